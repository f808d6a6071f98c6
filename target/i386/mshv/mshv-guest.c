/*
 * MSHV accelerator, x86: decoding, guest memory and completing
 * intercepted instructions
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "exec/address-spaces.h"
#include "system/mshv_int.h"
#include "system/runstate.h"
#include "cpu.h"
#include "mshv-x86.h"
#include "trace.h"

ZydisMachineMode mshv_x86_mode(uint16_t execution_state,
                               uint16_t cs_attributes)
{
    bool lma = execution_state & HV_X64_EXEC_STATE_EFER_LMA;

    if (lma && (cs_attributes & HV_SEG_ATTR_L)) {
        return ZYDIS_MACHINE_MODE_LONG_64;
    }
    if (cs_attributes & HV_SEG_ATTR_DB) {
        return lma ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 :
                     ZYDIS_MACHINE_MODE_LEGACY_32;
    }
    if (lma) {
        return ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
    }
    return execution_state & HV_X64_EXEC_STATE_CR0_PE ?
           ZYDIS_MACHINE_MODE_LEGACY_16 : ZYDIS_MACHINE_MODE_REAL_16;
}

bool mshv_x86_decode(uint16_t execution_state, uint16_t cs_attributes,
                     const uint8_t *bytes, unsigned len,
                     ZydisDecodedInstruction *insn,
                     ZydisDecodedOperand *operands)
{
    ZydisMachineMode mode = mshv_x86_mode(execution_state, cs_attributes);
    ZydisStackWidth width = mode == ZYDIS_MACHINE_MODE_LONG_64 ?
                            ZYDIS_STACK_WIDTH_64 :
                            (cs_attributes & HV_SEG_ATTR_DB) ?
                            ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16;
    ZydisDecoder dec;

    return ZYAN_SUCCESS(ZydisDecoderInit(&dec, mode, width)) &&
           ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len, insn,
                                               operands));
}

int mshv_x86_get_reg(CPUState *cpu, uint32_t name,
                     union hv_register_value *value)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t name;
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index, .name = name };
    uint16_t status;
    int ret = mshv_hvcall(s->vp_fd, HVCALL_GET_VP_REGISTERS, 1, &in,
                          sizeof(in), value, sizeof(*value), &status, NULL);

    if (ret < 0) {
        mshv_fail(cpu, "reading a register", -ret, status);
    }
    return ret;
}

int mshv_x86_set_reg(CPUState *cpu, uint32_t name,
                     const union hv_register_value *value, const char *what)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc reg;
    } QEMU_PACKED in = {
        .hdr.vp_index = s->vp_index,
        .reg.name = name,
        .reg.value = *value,
    };
    uint16_t status;
    int ret = mshv_hvcall(s->vp_fd, HVCALL_SET_VP_REGISTERS, 1, &in,
                          sizeof(in), NULL, 0, &status, NULL);

    if (ret < 0) {
        mshv_fail(cpu, what, -ret, status);
    }
    return ret;
}

struct hv_x64_segment_register mshv_x86_segment(CPUState *cpu, int seg)
{
    AccelCPUState *s = cpu->accel;
    union hv_register_value v = { 0 };

    if (s->regs && s->regs->isvalid) {
        return s->regs->segment[seg];
    }
    mshv_x86_get_reg(cpu, HV_X64_REGISTER_ES + seg, &v);
    return v.segment;
}

void mshv_x86_mem_init(MshvX86Mem *mem, CPUState *cpu,
                       uint16_t execution_state)
{
    AccelCPUState *s = cpu->accel;
    union hv_register_value cr0 = { 0 };

    mem->cpu = cpu;
    mem->page_gva = -1;
    mem->user = (execution_state & HV_X64_EXEC_STATE_CPL_MASK) == 3;
    mem->faulted = false;
    if (!(execution_state & HV_X64_EXEC_STATE_CR0_PE)) {
        mem->paging = false;
    } else if (s->regs && s->regs->isvalid) {
        mem->paging = s->regs->cr0 & CR0_PG_MASK;
    } else {
        mshv_x86_get_reg(cpu, HV_X64_REGISTER_CR0, &cr0);
        mem->paging = cr0.reg64 & CR0_PG_MASK;
    }
}

static int mshv_x86_inject_exception(CPUState *cpu, unsigned vector,
                                     bool has_error_code, uint32_t error_code,
                                     const char *what)
{
    union hv_register_value v = {
        .reg64 = HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_EXCEPTION <<
                HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            (uint64_t)vector << HV_PENDING_INTERRUPTION_VECTOR_SHIFT,
    };

    if (has_error_code) {
        v.reg64 |= HV_PENDING_INTERRUPTION_DELIVER_ERROR_CODE |
                   (uint64_t)error_code <<
                       HV_PENDING_INTERRUPTION_ERROR_CODE_SHIFT;
    }
    return mshv_x86_set_reg(cpu, HV_REGISTER_PENDING_INTERRUPTION, &v, what);
}

/*
 * The guest's page tables refuse an access of the instruction being
 * emulated: the guest gets the #PF the instruction itself would raise.
 */
static int mshv_x86_page_fault(MshvX86Mem *mem, uint64_t gva, bool write,
                               uint32_t result)
{
    union hv_register_value cr2 = { .reg64 = gva };
    uint32_t error_code =
        (result != HV_TRANSLATE_GVA_PAGE_NOT_PRESENT ? PG_ERROR_P_MASK : 0) |
        (write ? PG_ERROR_W_MASK : 0) |
        (mem->user ? PG_ERROR_U_MASK : 0) |
        (result == HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS ?
         PG_ERROR_RSVD_MASK : 0);

    trace_mshv_page_fault(mem->cpu->cpu_index, gva, error_code);
    if (mshv_x86_set_reg(mem->cpu, HV_X64_REGISTER_CR2, &cr2,
                         "raising a page fault") < 0 ||
        mshv_x86_inject_exception(mem->cpu, EXCP0E_PAGE, true, error_code,
                                  "raising a page fault") < 0) {
        return -1;
    }
    mem->faulted = true;
    return -EFAULT;
}

static int mshv_x86_translate(MshvX86Mem *mem, uint64_t gva, bool write,
                              uint64_t *gpa)
{
    AccelCPUState *s = mem->cpu->accel;
    struct hv_input_translate_virtual_address in = {
        .vp_index = s->vp_index,
        .control_flags = HV_TRANSLATE_GVA_VALIDATE_READ |
                         (write ? HV_TRANSLATE_GVA_VALIDATE_WRITE : 0) |
                         HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS,
        .gva_page = gva >> 12,
    };
    struct hv_output_translate_virtual_address out;
    uint16_t status;
    int ret;

    if (!mem->paging) {
        *gpa = gva;
        return 0;
    }
    if (mem->page_gva == (gva & ~0xfffULL) && (!write || mem->page_writable)) {
        *gpa = mem->page_gpa | (gva & 0xfff);
        return 0;
    }
    ret = mshv_hvcall(s->vp_fd, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in,
                      sizeof(in), &out, sizeof(out), &status, NULL);
    if (ret < 0) {
        mshv_fail(mem->cpu, "translating a guest address", -ret, status);
        return -1;
    }
    switch (out.result_code) {
    case HV_TRANSLATE_GVA_SUCCESS:
        break;
    case HV_TRANSLATE_GVA_PAGE_NOT_PRESENT:
    case HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION:
    case HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS:
        return mshv_x86_page_fault(mem, gva, write, out.result_code);
    default:
        error_report("mshv: vCPU %d: guest address 0x%" PRIx64 " does not "
                     "translate (result %u) during instruction emulation",
                     mem->cpu->cpu_index, gva, out.result_code);
        vm_stop(RUN_STATE_INTERNAL_ERROR);
        return -1;
    }
    mem->page_gva = gva & ~0xfffULL;
    mem->page_gpa = out.gpa_page << 12;
    mem->page_writable = write;
    *gpa = mem->page_gpa | (gva & 0xfff);
    return 0;
}

/* Translate each page of [linear, linear + size); with @buf, access it. */
static int mshv_x86_mem_access(MshvX86Mem *mem, uint64_t linear, void *buf,
                               unsigned size, bool write)
{
    uint8_t *p = buf;

    while (size) {
        unsigned chunk = MIN(size, 0x1000 - (linear & 0xfff));
        uint64_t gpa;
        int ret = mshv_x86_translate(mem, linear, write, &gpa);

        if (ret < 0) {
            return ret;
        }
        if (p) {
            address_space_rw(&address_space_memory, gpa,
                             MEMTXATTRS_UNSPECIFIED, p, chunk, write);
            p += chunk;
        }
        linear += chunk;
        size -= chunk;
    }
    return 0;
}

int mshv_x86_mem_rw(MshvX86Mem *mem, uint64_t linear, void *buf,
                    unsigned size, bool write)
{
    return mshv_x86_mem_access(mem, linear, buf, size, write);
}

int mshv_x86_mem_check(MshvX86Mem *mem, uint64_t linear, unsigned size,
                       bool write)
{
    return mshv_x86_mem_access(mem, linear, NULL, size, write);
}

int mshv_x86_complete(CPUState *cpu, uint64_t rip,
                      const MshvX86RegUpdate *upd, unsigned n)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[8];
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index };
    uint16_t status;
    unsigned i;
    int ret;

    assert(n < ARRAY_SIZE(in.regs));
    if (s->regs && s->regs->isvalid) {
        s->regs->rip = rip;
        s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
        for (i = 0; i < n; i++) {
            s->regs->gp_registers[upd[i].reg] = upd[i].value;
        }
        if (n) {
            s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_GENERAL;
        }
        return 0;
    }
    in.regs[0].name = HV_X64_REGISTER_RIP;
    in.regs[0].value.reg64 = rip;
    for (i = 0; i < n; i++) {
        in.regs[i + 1].name = HV_X64_REGISTER_RAX + upd[i].reg;
        in.regs[i + 1].value.reg64 = upd[i].value;
    }
    ret = mshv_hvcall(s->vp_fd, HVCALL_SET_VP_REGISTERS, n + 1, &in,
                      sizeof(in.hdr) + (n + 1) * sizeof(in.regs[0]), NULL, 0,
                      &status, NULL);
    if (ret < 0) {
        mshv_fail(cpu, "completing an instruction", -ret, status);
    }
    return ret;
}

int mshv_x86_inject_ud(CPUState *cpu, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR | LOG_UNIMP,
                  "mshv: vCPU %d: %s: injecting #UD\n", cpu->cpu_index, why);
    return mshv_x86_inject_exception(cpu, EXCP06_ILLOP, false, 0,
                                     "injecting #UD");
}
