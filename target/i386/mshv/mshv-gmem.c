/*
 * MSHV accelerator, x86: guest memory by linear address, as the
 * instruction being emulated reaches it
 *
 * Addresses translate with HVCALL_TRANSLATE_VIRTUAL_ADDRESS, one
 * hypercall per page and none for a page just translated; an access the
 * guest's page tables refuse becomes the guest's own #PF.  Instruction
 * bytes an intercept message lacks are fetched the same way.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "exec/address-spaces.h"
#include "system/mshv_int.h"
#include "system/runstate.h"
#include "cpu.h"
#include "mshv-walk.h"
#include "mshv-x86.h"
#include "trace.h"

void mshv_x86_mem_init(MshvX86Mem *mem, CPUState *cpu,
                       uint16_t execution_state)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    union hv_register_value cr0 = { 0 };

    mem->cpu = cpu;
    mem->page_gva = -1;
    mem->user = (execution_state & HV_X64_EXEC_STATE_CPL_MASK) == 3;
    mem->cpl3 = mem->user;
    mem->faulted = false;
    mem->probe = false;
    if (!(execution_state & HV_X64_EXEC_STATE_CR0_PE)) {
        mem->paging = false;
    } else if (s->regs && s->regs->isvalid) {
        mem->paging = s->regs->cr0 & CR0_PG_MASK;
    } else {
        mshv_x86_get_reg(cpu, HV_X64_REGISTER_CR0, &cr0);
        mem->paging = cr0.reg64 & CR0_PG_MASK;
    }
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

/*
 * Paging entries the hypervisor could not read: through QEMU's memory map,
 * which reaches the device, as the processor's own walk does.
 */
static bool mshv_x86_walk_read(void *opaque, uint64_t gpa, bool wide,
                               uint64_t *entry)
{
    uint64_t v = 0;

    address_space_read(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                       &v, wide ? 8 : 4);
    *entry = le64_to_cpu(v);
    return true;
}

static void mshv_x86_walk_set_bits(void *opaque, uint64_t gpa, uint32_t bits)
{
    uint32_t v = 0;

    address_space_read(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                       &v, 4);
    v |= cpu_to_le32(bits);
    address_space_write(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                        &v, 4);
}

static const MshvWalkOps mshv_x86_walk_ops = {
    .read = mshv_x86_walk_read,
    .set_bits = mshv_x86_walk_set_bits,
};

/*
 * The walk the hypervisor could not finish (@hv_result), done here: its
 * result code in *@result, or -1 if the VP's registers could not be read
 * (reported, the VM stopped).
 */
static int mshv_x86_walk(MshvX86Mem *mem, uint64_t gva, uint64_t flags,
                         uint32_t hv_result, uint64_t *gpa, uint32_t *result)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(mem->cpu);
    static const uint32_t names[] = {
        HV_X64_REGISTER_CR0, HV_X64_REGISTER_CR3, HV_X64_REGISTER_CR4,
        HV_X64_REGISTER_EFER, HV_X64_REGISTER_RFLAGS,
    };
    union hv_register_value v[ARRAY_SIZE(names)];
    MshvWalkCpu cpu = {
        .cpl = mem->user ? 3 : 0,
        .phys_bits = X86_CPU(mem->cpu)->phys_bits,
        .a20_mask = ~0ULL,
    };
    size_t i;

    if (s->regs && s->regs->isvalid) {
        cpu.cr0 = s->regs->cr0;
        cpu.cr3 = s->regs->cr3;
        cpu.cr4 = s->regs->cr4;
        cpu.efer = s->regs->efer;
        cpu.rflags = s->regs->rflags;
    } else {
        for (i = 0; i < ARRAY_SIZE(names); i++) {
            if (mshv_x86_get_reg(mem->cpu, names[i], &v[i]) < 0) {
                return -1;
            }
        }
        cpu.cr0 = v[0].reg64;
        cpu.cr3 = v[1].reg64;
        cpu.cr4 = v[2].reg64;
        cpu.efer = v[3].reg64;
        cpu.rflags = v[4].reg64;
    }
    *result = mshv_walk_translate(&cpu, &mshv_x86_walk_ops, NULL, gva,
                                  flags, gpa);
    trace_mshv_walk(mem->cpu->cpu_index, gva, hv_result, *result, *gpa);
    return 0;
}

static int mshv_x86_translate(MshvX86Mem *mem, uint64_t gva, bool write,
                              uint64_t *gpa)
{
    AccelCPUState *s = mem->cpu->accel;
    struct hv_input_translate_virtual_address in = {
        .vp_index = s->vp_index,
        /*
         * The VP's CPL decides the privilege, except for a descriptor
         * table access at CPL 3, a supervisor one: only then is it said
         * (the flag's only use, so that every other translation asks
         * exactly what it always did).
         */
        .control_flags = HV_TRANSLATE_GVA_VALIDATE_READ |
                         (write ? HV_TRANSLATE_GVA_VALIDATE_WRITE : 0) |
                         (mem->user || !mem->cpl3 ? 0 :
                          HV_TRANSLATE_GVA_SUPERVISOR_ACCESS) |
                         HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS,
        .gva_page = gva >> 12,
    };
    struct hv_output_translate_virtual_address out;
    uint64_t walked = 0;
    uint16_t status;
    int ret;

    if (!mem->paging) {
        *gpa = gva;
        return 0;
    }
    if (mem->page_gva == (gva & ~0xfffULL) && mem->page_user == mem->user &&
        (!write || mem->page_writable)) {
        *gpa = mem->page_gpa | (gva & 0xfff);
        return 0;
    }
    ret = mshv_hvcall(s->vp_fd, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in,
                      sizeof(in), &out, sizeof(out), &status, NULL);
    if (ret < 0) {
        mshv_fail(mem->cpu, "translating a guest address", -ret, status);
        return -1;
    }
    if (out.result_code != HV_TRANSLATE_GVA_SUCCESS &&
        out.result_code != HV_TRANSLATE_GVA_PAGE_NOT_PRESENT &&
        out.result_code != HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION &&
        out.result_code != HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS) {
        /*
         * The hypervisor could not finish the walk: a paging entry, or
         * the page, in memory it does not map or may not touch (emulated
         * MMIO, ROM); the processor reads the one from the device and
         * the access reaches the other as QEMU's memory map says.
         */
        uint32_t result;

        if (mshv_x86_walk(mem, gva, in.control_flags, out.result_code,
                          &walked, &result) < 0) {
            return -1;
        }
        out.result_code = result;
        out.gpa_page = walked >> 12;
    }
    switch (out.result_code) {
    case HV_TRANSLATE_GVA_SUCCESS:
        break;
    case HV_TRANSLATE_GVA_PAGE_NOT_PRESENT:
    case HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION:
    case HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS:
        if (mem->probe) {
            return -EFAULT;
        }
        return mshv_x86_page_fault(mem, gva, write, out.result_code);
    default:
        error_report("mshv: vCPU %d: guest address 0x%" PRIx64 " does not "
                     "translate (result %u) during instruction emulation; "
                     "the VM is stopped",
                     mem->cpu->cpu_index, gva, out.result_code);
        vm_stop(RUN_STATE_INTERNAL_ERROR);
        return -1;
    }
    mem->page_gva = gva & ~0xfffULL;
    mem->page_gpa = out.gpa_page << 12;
    mem->page_writable = write;
    mem->page_user = mem->user;
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

unsigned mshv_x86_fetch_insn(MshvX86Mem *mem,
                             const struct hv_x64_intercept_message_header *h,
                             uint8_t *bytes, unsigned len)
{
    bool long_mode = (h->execution_state & HV_X64_EXEC_STATE_EFER_LMA) &&
                     (h->cs_segment.attributes & HV_SEG_ATTR_L);
    /* 64-bit code ignores CS's base, whatever the descriptor said */
    uint64_t pc = long_mode ? h->rip : h->cs_segment.base + h->rip;

    /*
     * The CPU fetched these bytes a moment ago; a page that no longer
     * translates (another vCPU changed the page tables) ends the fetch,
     * and whatever is there decodes or not.  No #PF: the guest never
     * asked for this access.
     */
    mem->probe = true;
    while (len < 15) {
        uint64_t la = pc + len;
        unsigned chunk = MIN(15 - len, 0x1000 - (la & 0xfff));

        if (!long_mode) {
            la = (uint32_t)la;
        }
        if (mshv_x86_mem_rw(mem, la, bytes + len, chunk, false) < 0) {
            break;
        }
        len += chunk;
    }
    mem->probe = false;
    trace_mshv_fetch_insn(mem->cpu->cpu_index, pc, len);
    return len;
}

bool mshv_x86_decode_intercept(MshvX86Mem *mem,
                               const struct hv_x64_intercept_message_header *h,
                               const uint8_t *bytes, unsigned len,
                               ZydisDecodedInstruction *insn,
                               ZydisDecodedOperand *operands)
{
    uint8_t buf[16];

    len = MIN(len, sizeof(buf));
    if (mshv_x86_decode(h->execution_state, h->cs_segment.attributes, bytes,
                        len, insn, operands)) {
        return true;
    }
    if (len >= 15) {
        return false;           /* all there is, and it does not decode */
    }
    memcpy(buf, bytes, len);
    len = mshv_x86_fetch_insn(mem, h, buf, len);
    return mshv_x86_decode(h->execution_state, h->cs_segment.attributes, buf,
                           len, insn, operands);
}

int mshv_x86_emu_mem(MshvEmu *emu, uint64_t linear, void *buf,
                     unsigned size, bool write)
{
    MshvX86EmuVp *vp = container_of(emu, MshvX86EmuVp, emu);
    bool user = vp->mem.user;
    int ret;

    /* a descriptor table access is a supervisor one at any CPL */
    vp->mem.user = user && !emu->system_access;
    ret = buf ? mshv_x86_mem_rw(&vp->mem, linear, buf, size, write) :
                mshv_x86_mem_check(&vp->mem, linear, size, write);
    vp->mem.user = user;
    return ret;
}

int mshv_x86_emu_seg(MshvEmu *emu, ZydisRegister reg, MshvEmuSeg *seg)
{
    MshvX86EmuVp *vp = container_of(emu, MshvX86EmuVp, emu);
    union hv_register_value v = { 0 };
    struct hv_x64_segment_register s;

    if (reg >= ZYDIS_REGISTER_ES && reg <= ZYDIS_REGISTER_GS) {
        int r = R_ES + (reg - ZYDIS_REGISTER_ES);

        s = vp->segs[r] ? *vp->segs[r] : mshv_x86_segment(vp->cpu, r);
    } else if (reg == ZYDIS_REGISTER_GDTR) {
        if (mshv_x86_get_reg(vp->cpu, HV_X64_REGISTER_GDTR, &v) < 0) {
            return -1;
        }
        *seg = (MshvEmuSeg) { .base = v.table.base, .limit = v.table.limit };
        return 0;
    } else if (reg == ZYDIS_REGISTER_LDTR || reg == ZYDIS_REGISTER_TR) {
        if (mshv_x86_get_reg(vp->cpu, reg == ZYDIS_REGISTER_LDTR ?
                             HV_X64_REGISTER_LDTR : HV_X64_REGISTER_TR,
                             &v) < 0) {
            return -1;
        }
        s = v.segment;
    } else {
        return -1;
    }
    *seg = (MshvEmuSeg) {
        .base = s.base, .limit = s.limit, .selector = s.selector,
        .attributes = s.attributes,
    };
    return 0;
}

int mshv_x86_emu_sysreg(MshvEmu *emu, ZydisRegister reg, uint64_t *value)
{
    MshvX86EmuVp *vp = container_of(emu, MshvX86EmuVp, emu);
    MshvX86CPUState *s = mshv_x86_cpu_state(vp->cpu);
    union hv_register_value v = { 0 };

    if (reg != ZYDIS_REGISTER_CR0 && reg != ZYDIS_REGISTER_CR4) {
        return -1;
    }
    if (s->regs && s->regs->isvalid) {
        *value = reg == ZYDIS_REGISTER_CR0 ? s->regs->cr0 : s->regs->cr4;
        return 0;
    }
    if (mshv_x86_get_reg(vp->cpu, reg == ZYDIS_REGISTER_CR0 ?
                         HV_X64_REGISTER_CR0 : HV_X64_REGISTER_CR4, &v) < 0) {
        return -1;
    }
    *value = v.reg64;
    return 0;
}

int mshv_x86_emu_fault(MshvX86EmuVp *vp)
{
    MshvEmu *e = &vp->emu;

    trace_mshv_emu_fault(vp->cpu->cpu_index, e->rip, e->fault_vector,
                         e->fault_code);
    return mshv_x86_inject_exception(vp->cpu, e->fault_vector,
                                     e->fault_has_code, e->fault_code,
                                     "raising the fault of an emulated "
                                     "instruction");
}
