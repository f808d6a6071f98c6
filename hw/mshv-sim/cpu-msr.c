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
 * CET's MSRs, where the partition's processor has CET, are registers the
 * simulator keeps (vp-extra-regs.c), which the VMM reads and writes too,
 * and the XSAVE area carries.  TCG enforces no shadow stack or branch
 * tracking: the guest's CPUID offers neither, and CR4.CET stays reserved.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "mshv-sim.h"
#include "vp.h"

void mshv_sim_tsc_adjust(CPUState *cs, uint64_t adjust)
{
    CPUX86State *env = cpu_env(cs);

    env->tsc_offset += adjust - env->tsc_adjust;
    env->tsc_adjust = adjust;
}

#define MSHV_SIM_MSR_U_CET          0x6a0
#define MSHV_SIM_MSR_S_CET          0x6a2
#define MSHV_SIM_MSR_PL0_SSP        0x6a4   /* ... PL3_SSP 0x6a7 */
#define MSHV_SIM_MSR_ISST           0x6a8
/* U_CET and S_CET bits 6-9 are reserved */
#define MSHV_SIM_CET_RESERVED       0x3c0ULL

static bool mshv_sim_canonical(uint64_t v)
{
    return (uint64_t)(((int64_t)v << 16) >> 16) == v;
}

/* A CET MSR: 1 done, 0 not one, -1 #GP. */
static int mshv_sim_cet_msr(CPUState *cs, uint32_t index, bool write,
                            uint64_t *val)
{
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    union hv_register_value v = { .reg64 = write ? *val : 0 };
    uint32_t name;

    switch (index) {
    case MSHV_SIM_MSR_U_CET:
    case MSHV_SIM_MSR_S_CET:
        if (v.reg64 & MSHV_SIM_CET_RESERVED) {
            return -1;
        }
        name = index == MSHV_SIM_MSR_U_CET ? HV_X64_REGISTER_U_CET :
                                             HV_X64_REGISTER_S_CET;
        break;
    case MSHV_SIM_MSR_PL0_SSP ... MSHV_SIM_MSR_PL0_SSP + 3:
        name = HV_X64_REGISTER_PL0_SSP + index - MSHV_SIM_MSR_PL0_SSP;
        break;
    case MSHV_SIM_MSR_ISST:
        name = HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR;
        break;
    default:
        return 0;
    }
    if (!vp || !mshv_sim_has_cet(vp->pt) ||
        (index != MSHV_SIM_MSR_U_CET && index != MSHV_SIM_MSR_S_CET &&
         !mshv_sim_canonical(v.reg64))) {
        return -1;
    }
    if (write) {
        mshv_sim_extra_reg_set(vp->extra, vp->pt, cs, name, &v);
    } else {
        mshv_sim_extra_reg_get(vp->extra, vp->pt, cs, name, &v);
        *val = v.reg64;
    }
    return 1;
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
        return mshv_sim_cet_msr(cs, index, write, val);
    }
    if (write) {
        *field = *val;
    } else {
        *val = *field;
    }
    return 1;
}
