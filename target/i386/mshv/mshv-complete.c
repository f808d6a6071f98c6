/*
 * MSHV accelerator, x86: finishing an intercepted instruction, with its
 * register results or with the exception it raises instead
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-x86.h"

int mshv_x86_inject_exception(CPUState *cpu, unsigned vector,
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
 * The single-step trap after an instruction the VMM completed: the
 * hypervisor did not run it, so it raises none.  DR6 keeps what else it
 * reports (a data breakpoint the same instruction hit).
 */
static int mshv_x86_single_step_trap(CPUState *cpu)
{
    union hv_register_value dr6;
    int ret;

    ret = mshv_x86_get_reg(cpu, HV_X64_REGISTER_DR6, &dr6);
    if (ret < 0) {
        return ret;
    }
    dr6.reg64 |= DR6_BS;
    ret = mshv_x86_set_reg(cpu, HV_X64_REGISTER_DR6, &dr6,
                           "setting DR6.BS for a single-step trap");
    if (ret < 0) {
        return ret;
    }
    return mshv_x86_inject_exception(cpu, EXCP01_DB, false, 0,
                                     "injecting a single-step #DB");
}

static int mshv_x86_set_results(CPUState *cpu, uint64_t rip,
                                const uint64_t *rflags, const uint64_t *gpr,
                                uint32_t gpr_written)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[2 + MSHV_X86_GPRS];
    } QEMU_PACKED in = { .hdr.vp_index = s->accel.vp_index };
    uint16_t status;
    unsigned n = 0;
    int i, ret;

    if (s->regs && s->regs->isvalid) {
        s->regs->rip = rip;
        s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_IP;
        if (rflags) {
            s->regs->rflags = *rflags;
            s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_FLAGS;
        }
        for (i = 0; i < MSHV_X86_GPRS; i++) {
            if (gpr_written & (1u << i)) {
                s->regs->gp_registers[i] = gpr[i];
            }
        }
        if (gpr_written) {
            s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_GENERAL;
        }
        return 0;
    }
    in.regs[n].name = HV_X64_REGISTER_RIP;
    in.regs[n++].value.reg64 = rip;
    if (rflags) {
        in.regs[n].name = HV_X64_REGISTER_RFLAGS;
        in.regs[n++].value.reg64 = *rflags;
    }
    for (i = 0; i < MSHV_X86_GPRS; i++) {
        if (gpr_written & (1u << i)) {
            in.regs[n].name = HV_X64_REGISTER_RAX + i;
            in.regs[n++].value.reg64 = gpr[i];
        }
    }
    ret = mshv_hvcall(s->accel.vp_fd, HVCALL_SET_VP_REGISTERS, n, &in,
                      sizeof(in.hdr) + n * sizeof(in.regs[0]), NULL, 0,
                      &status, NULL);
    if (ret < 0) {
        mshv_fail(cpu, "completing an instruction", -ret, status);
    }
    return ret;
}

/*
 * The segment registers an emulated instruction loaded: through the
 * register page when it is valid and holds them, else by hypercall.
 */
static int mshv_x86_set_segments(CPUState *cpu, const MshvEmu *emu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    union hv_register_value v = { 0 };
    unsigned i;

    for (i = 0; i < MSHV_EMU_SEGS; i++) {
        const MshvEmuSeg *seg = &emu->seg_new[i];

        if (!(emu->seg_written & (1u << i))) {
            continue;
        }
        v.segment = (struct hv_x64_segment_register) {
            .base = seg->base, .limit = seg->limit,
            .selector = seg->selector, .attributes = seg->attributes,
        };
        if (s->regs && s->regs->isvalid && i < ARRAY_SIZE(s->regs->segment)) {
            s->regs->segment[i] = v.segment;
            s->regs->dirty |= 1u << HV_X64_REGISTER_CLASS_SEGMENT;
        } else if (mshv_x86_set_reg(cpu, HV_X64_REGISTER_ES + i, &v,
                                    "loading a segment register") < 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * What the instruction did to interrupt blocking: MOV SS or POP SS, no
 * interrupt nor debug trap before the next one; IRET, NMIs unblocked.
 */
static int mshv_x86_set_blocking(CPUState *cpu, const MshvEmu *emu)
{
    union hv_register_value v;

    if (mshv_x86_get_reg(cpu, HV_REGISTER_INTERRUPT_STATE, &v) < 0) {
        return -1;
    }
    if (emu->ss_shadow) {
        v.reg64 |= HV_INTERRUPT_STATE_SHADOW;
    }
    if (emu->nmi_unblocked) {
        v.reg64 &= ~(uint64_t)HV_INTERRUPT_STATE_NMI_MASKED;
    }
    return mshv_x86_set_reg(cpu, HV_REGISTER_INTERRUPT_STATE, &v,
                            "setting interrupt blocking after an emulated "
                            "instruction");
}

int mshv_x86_complete_emulated(CPUState *cpu,
                               const struct hv_x64_intercept_message_header *at,
                               const MshvEmu *emu, bool set_rflags)
{
    int ret = 0;

    QEMU_BUILD_BUG_ON(HV_X64_REGISTER_ES + MSHV_EMU_SEG_LDTR !=
                      HV_X64_REGISTER_LDTR ||
                      HV_X64_REGISTER_ES + MSHV_EMU_SEG_TR !=
                      HV_X64_REGISTER_TR);
    if (emu->seg_written) {
        ret = mshv_x86_set_segments(cpu, emu);
    }
    if (ret == 0) {
        ret = mshv_x86_set_results(cpu, emu->rip,
                                   set_rflags ? &emu->rflags : NULL,
                                   emu->gpr, emu->gpr_written);
    }
    if (ret == 0 && (emu->ss_shadow || emu->nmi_unblocked)) {
        ret = mshv_x86_set_blocking(cpu, emu);
    }
    if (ret == 0 && emu->ss_shadow) {
        /* the single-step trap comes after the next instruction */
        return 0;
    }
    /* (RIP stays where the instruction faulted and runs again) */
    if (ret == 0 && (at->rflags & TF_MASK) &&
        (emu->rip != at->rip || emu->iterated)) {
        ret = mshv_x86_single_step_trap(cpu);
    }
    return ret;
}

int mshv_x86_complete(CPUState *cpu,
                      const struct hv_x64_intercept_message_header *at,
                      uint64_t rip, const uint64_t *rflags,
                      const uint64_t *gpr, uint32_t gpr_written)
{
    int ret = mshv_x86_set_results(cpu, rip, rflags, gpr, gpr_written);

    if (ret == 0 && (at->rflags & TF_MASK) && rip != at->rip) {
        ret = mshv_x86_single_step_trap(cpu);
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
