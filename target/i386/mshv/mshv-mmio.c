/*
 * MSHV accelerator, x86: memory intercepts
 *
 * An access to a GPA no region maps (emulated MMIO) or a write to a
 * read-only region stops the VP before the instruction.  QEMU decodes it
 * (Zydis), executes it with the device access in place of the memory
 * operand (mshv-emu*.c), and writes the registers back: through the
 * register page with no hypercall, or with one hypercall to read and one
 * to write without it.  Writes to ROM reach the ROM's memory region,
 * which discards them as hardware does.
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

typedef struct MshvMmio {
    MshvX86EmuVp vp;
    const struct hv_x64_memory_intercept_message *msg;
} MshvMmio;

static int mshv_mmio_mem(MshvEmu *emu, uint64_t linear, void *buf,
                         unsigned size, bool write)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);
    const struct hv_x64_memory_intercept_message *msg = m->msg;

    /* The access the hypervisor reported: use its GPA, no translation. */
    if ((msg->memory_access_info & HV_X64_MEMORY_ACCESS_GVA_GPA_VALID) &&
        linear >= msg->guest_virtual_address &&
        linear - msg->guest_virtual_address + size <=
            0x1000 - (msg->guest_physical_address & 0xfff)) {
        hwaddr gpa = msg->guest_physical_address +
                     (linear - msg->guest_virtual_address);

        if (!buf) {
            return 0;           /* a check: the access reached it already */
        }
        address_space_rw(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                         buf, size, write);
        return 0;
    }
    return mshv_x86_emu_mem(emu, linear, buf, size, write);
}

/* XMM0-5 are in the register page; the others cost a hypercall. */
static int mshv_mmio_xmm(MshvEmu *emu, unsigned index, uint8_t value[16],
                         bool write)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);
    MshvX86CPUState *s = mshv_x86_cpu_state(m->vp.cpu);
    union hv_register_value v = { 0 };

    if (s->regs && s->regs->isvalid && index < ARRAY_SIZE(s->regs->xmm)) {
        if (write) {
            memcpy(&s->regs->xmm[index], value, 16);
            s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_XMM;
        } else {
            memcpy(value, &s->regs->xmm[index], 16);
        }
        return 0;
    }
    if (write) {
        memcpy(&v.reg128, value, 16);
        return mshv_x86_set_reg(m->vp.cpu, HV_X64_REGISTER_XMM0 + index, &v,
                                "writing an XMM register for MMIO");
    }
    if (mshv_x86_get_reg(m->vp.cpu, HV_X64_REGISTER_XMM0 + index, &v) < 0) {
        return -1;
    }
    memcpy(value, &v.reg128, 16);
    return 0;
}

static int mshv_mmio_ymm_high(MshvEmu *emu, unsigned index,
                              uint8_t value[16], bool write)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);

    return mshv_x86_ymm_high(m->vp.cpu, index, value, write);
}

static int mshv_mmio_mmx(MshvEmu *emu, unsigned index, uint64_t *value,
                         bool write)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);

    return mshv_x86_mmx(m->vp.cpu, index, value, write);
}

static int mshv_mmio_zmm(MshvEmu *emu, unsigned index, uint8_t *value,
                         bool write)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);

    return mshv_x86_zmm(m->vp.cpu, index, value, write);
}

static int mshv_mmio_kreg(MshvEmu *emu, unsigned index, uint64_t *value)
{
    MshvMmio *m = container_of(emu, MshvMmio, vp.emu);

    return mshv_x86_kreg(m->vp.cpu, index, value);
}

static const MshvEmuOps mshv_mmio_ops = {
    .mem = mshv_mmio_mem,
    .seg = mshv_x86_emu_seg,
    .xmm = mshv_mmio_xmm,
    .ymm_high = mshv_mmio_ymm_high,
    .mmx = mshv_mmio_mmx,
    .zmm = mshv_mmio_zmm,
    .kreg = mshv_mmio_kreg,
    .sysreg = mshv_x86_emu_sysreg,
};

/* All GPRs: from the register page, else in one hypercall. */
static int mshv_mmio_load_gprs(MshvMmio *m)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(m->vp.cpu);
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[16];
    } QEMU_PACKED in = { .hdr.vp_index = s->accel.vp_index };
    union hv_register_value out[16];
    uint16_t status;
    int i, ret;

    if (s->regs && s->regs->isvalid) {
        memcpy(m->vp.emu.gpr, s->regs->gp_registers, sizeof(m->vp.emu.gpr));
        return 0;
    }
    for (i = 0; i < 16; i++) {
        in.names[i] = HV_X64_REGISTER_RAX + i;
    }
    ret = mshv_hvcall(s->accel.vp_fd, HVCALL_GET_VP_REGISTERS, 16, &in,
                      sizeof(in), out, sizeof(out), &status, NULL);
    if (ret < 0) {
        mshv_fail(m->vp.cpu, "reading registers for MMIO emulation", -ret,
                  status);
        return ret;
    }
    for (i = 0; i < 16; i++) {
        m->vp.emu.gpr[i] = out[i].reg64;
    }
    return 0;
}

static int mshv_mmio_store(MshvMmio *m)
{
    MshvEmu *emu = &m->vp.emu;

    return mshv_x86_complete_emulated(m->vp.cpu, &m->msg->header, emu, true);
}

static void mshv_mmio_format(const ZydisDecodedInstruction *insn,
                             const ZydisDecodedOperand *ops, uint64_t rip,
                             char *text, size_t size)
{
    ZydisFormatter fmt;

    ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
    ZydisFormatterFormatInstruction(&fmt, insn, ops,
                                    insn->operand_count_visible, text, size,
                                    rip, NULL);
}

int mshv_x86_handle_mmio(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_x64_memory_intercept_message *mem =
        (const void *)msg->payload;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    MshvMmio m = {
        .vp.emu.ops = &mshv_mmio_ops,
        .vp.cpu = cpu,
        .vp.segs = { [R_CS] = &mem->header.cs_segment },
        .msg = mem,
    };

    trace_mshv_mmio(cpu->cpu_index, mem->guest_physical_address,
                    mem->header.intercept_access_type, mem->header.rip,
                    mem->header.rflags);
    mshv_x86_mem_init(&m.vp.mem, cpu, mem->header.execution_state);
    if (!mshv_x86_decode_intercept(&m.vp.mem, &mem->header,
                                   mem->instruction_bytes,
                                   mem->instruction_byte_count, &insn, ops)) {
        return mshv_x86_inject_ud(cpu, "undecodable instruction on MMIO");
    }
    mshv_x86_exit_emu_start(&m.vp.emu, &mem->header);
    if (mshv_mmio_load_gprs(&m) < 0) {
        return -1;
    }
    if (trace_event_get_state_backends(TRACE_MSHV_MMIO_INSN)) {
        char text[96];

        mshv_mmio_format(&insn, ops, mem->header.rip, text, sizeof(text));
        trace_mshv_mmio_insn(cpu->cpu_index, text);
    }
    switch (mshv_emu_exec(&m.vp.emu, &insn, ops)) {
    case MSHV_EMU_DONE:
        return mshv_mmio_store(&m);
    case MSHV_EMU_FAULT:
        /* a fault: the instruction changed nothing, RIP stays on it */
        return mshv_x86_emu_fault(&m.vp);
    case MSHV_EMU_UNSUPPORTED: {
        char text[96];

        mshv_mmio_format(&insn, ops, mem->header.rip, text, sizeof(text));
        warn_report_once("mshv: vCPU %d: cannot emulate \"%s\" on MMIO at "
                         "0x%" PRIx64 "; the guest gets #UD",
                         cpu->cpu_index, text, mem->guest_physical_address);
        return mshv_x86_inject_ud(cpu, text);
    }
    default:
        /*
         * The other operand's page faulted: the guest gets the #PF, and
         * the REP iterations done so far count, as the CPU's own fault
         * would leave them; RIP stays at the instruction.
         */
        if (!m.vp.mem.faulted) {
            return -1;
        }
        m.vp.emu.seg_written = 0;       /* (nothing loaded them yet) */
        m.vp.emu.ss_shadow = false;
        return mshv_mmio_store(&m);
    }
}
