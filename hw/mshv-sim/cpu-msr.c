/*
 * MSHV simulator: processor MSRs TCG does not implement
 *
 * A hardware hypervisor gives its guests the processor's speculation
 * controls, TSC_ADJUST and IA32_XSS; TCG's RDMSR/WRMSR know none of
 * them.  Their values live in the VP's CPUX86State, where the register
 * table (SPEC_CTRL, U_XSS, TSC_ADJUST ...) reads and writes them, so the
 * VMM and the guest see one value.  The speculation controls change
 * nothing in TCG; TSC_ADJUST moves the TSC, as the SDM says: a write adds
 * its difference to the old value to the TSC.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "mshv-sim.h"

void mshv_sim_tsc_adjust(CPUState *cs, uint64_t adjust)
{
    CPUX86State *env = cpu_env(cs);

    env->tsc_offset += adjust - env->tsc_adjust;
    env->tsc_adjust = adjust;
}

int mshv_sim_cpu_msr(CPUState *cs, uint32_t index, bool write,
                     uint64_t *val)
{
    CPUX86State *env = cpu_env(cs);
    uint64_t *field;

    switch (index) {
    case MSR_IA32_SPEC_CTRL:
        field = &env->spec_ctrl;
        break;
    case MSR_IA32_XSS:
        field = &env->xss;
        break;
    case MSR_IA32_PRED_CMD:
        /* a command (IBPB): write-only */
        if (!write) {
            return -1;
        }
        return 1;
    case MSR_IA32_TSCDEADLINE:
        if (write) {
            env->tsc_deadline = *val;
            mshv_sim_tsc_deadline_sync(mshv_sim_cpu_vp(cs), cs);
        } else {
            *val = env->tsc_deadline;
        }
        return 1;
    case MSR_TSC_ADJUST:
        if (write) {
            mshv_sim_tsc_adjust(cs, *val);
        } else {
            *val = env->tsc_adjust;
        }
        return 1;
    default:
        return 0;
    }
    if (write) {
        *field = *val;
    } else {
        *val = *field;
    }
    return 1;
}
