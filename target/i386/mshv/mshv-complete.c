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
