/*
 * MSHV simulator: VP registers beyond the register table
 *
 * The register table (target/i386/mshv/mshv-regs.c) maps the names that
 * have a home in CPUX86State.  A root partition may get and set more of
 * the TLFS x64 namespace: registers of processor features TCG does not
 * model (CET and shadow stacks, SGX launch control, TSX_CTRL, UMWAIT, the
 * debug control MSR, MTRRs past the 8 QEMU keeps), the guest crash
 * registers, and the second pending-event register.  The hypervisor keeps
 * those for the VMM, so the simulator does too: each VP has a value for
 * each, that reads back what was written.
 *
 * Some are computed, read-only, and ignore writes: the hypervisor
 * information registers (the CPUID leaves 0x40000002-6 as 128-bit
 * values), the clock frequencies, the reference counter and the initial
 * APIC ID.  PRED_CMD is a command: written, it does nothing on TCG, and
 * reads as 0.  PENDING_EVENT0 is an event the next entry injects, then
 * clears, as PENDING_INTERRUPTION (the register table's) does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "kvm/hyperv-proto.h"
#include "mshv/mshv-vp-state.h"
#include "mshv-sim.h"

/* Names kept as plain values, in the order of their slots. */
static const uint32_t mshv_sim_kept_names[] = {
    HV_REGISTER_GUEST_CRASH_P0,
    HV_REGISTER_GUEST_CRASH_P1,
    HV_REGISTER_GUEST_CRASH_P2,
    HV_REGISTER_GUEST_CRASH_P3,
    HV_REGISTER_GUEST_CRASH_P4,
    HV_REGISTER_GUEST_CRASH_CTL,
    HV_REGISTER_PENDING_EVENT0,
    HV_REGISTER_PENDING_EVENT1,
    HV_REGISTER_PENDING_DEBUG_EXCEPTION,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 8,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 9,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 10,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 11,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 12,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 13,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 14,
    HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + 15,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 8,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 9,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 10,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 11,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 12,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 13,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 14,
    HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 15,
    HV_X64_REGISTER_DEBUG_CTL,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL0,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL0 + 1,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL0 + 2,
    HV_X64_REGISTER_SGX_LAUNCH_CONTROL3,
    HV_X64_REGISTER_TSX_CTRL,
    HV_X64_REGISTER_U_CET,
    HV_X64_REGISTER_S_CET,
    HV_X64_REGISTER_SSP,
    HV_X64_REGISTER_PL0_SSP,
    HV_X64_REGISTER_PL1_SSP,
    HV_X64_REGISTER_PL2_SSP,
    HV_X64_REGISTER_PL3_SSP,
    HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR,
    HV_X64_REGISTER_UMWAIT_CONTROL,
    HV_REGISTER_SIRBP,
};

struct MshvSimExtraRegs {
    union hv_register_value kept[ARRAY_SIZE(mshv_sim_kept_names)];
};

MshvSimExtraRegs *mshv_sim_extra_regs_new(void)
{
    return g_new0(MshvSimExtraRegs, 1);
}

static union hv_register_value *mshv_sim_kept(MshvSimExtraRegs *x,
                                              uint32_t name)
{
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(mshv_sim_kept_names); i++) {
        if (mshv_sim_kept_names[i] == name) {
            return &x->kept[i];
        }
    }
    return NULL;
}

/* A computed, read-only register's value; false if @name is none. */
static bool mshv_sim_computed(MshvSimPartition *pt, CPUState *cs,
                              uint32_t name, union hv_register_value *v)
{
    uint32_t r[4], leaf;

    switch (name) {
    case HV_REGISTER_HYPERVISOR_VERSION:
        leaf = HV_CPUID_VERSION;
        break;
    case HV_REGISTER_PRIVILEGES_AND_FEATURES_INFO:
        leaf = HV_CPUID_FEATURES;
        break;
    case HV_REGISTER_FEATURES_INFO:
        leaf = HV_CPUID_ENLIGHTMENT_INFO;
        break;
    case HV_REGISTER_IMPLEMENTATION_LIMITS_INFO:
        leaf = HV_CPUID_IMPLEMENT_LIMITS;
        break;
    case HV_REGISTER_HARDWARE_FEATURES_INFO:
        leaf = HV_CPUID_IMPLEMENT_LIMITS + 1;
        break;
    case HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY:
        v->reg64 = mshv_sim_tsc_frequency();
        return true;
    case HV_REGISTER_INTERRUPT_CLOCK_FREQUENCY:
        v->reg64 = MSHV_SIM_APIC_FREQUENCY;
        return true;
    case HV_REGISTER_TIME_REF_COUNT:
        v->reg64 = mshv_sim_hv_reference_time(cs);
        return true;
    case HV_X64_REGISTER_INITIAL_APIC_ID:
        v->reg64 = X86_CPU(cs)->apic_id;
        return true;
    case HV_REGISTER_GUEST_IDLE:
    case HV_X64_REGISTER_PRED_CMD:
        v->reg64 = 0;
        return true;
    default:
        return false;
    }
    mshv_sim_hv_cpuid(pt, leaf, &r[0], &r[1], &r[2], &r[3]);
    v->reg128.low_part = r[0] | (uint64_t)r[1] << 32;
    v->reg128.high_part = r[2] | (uint64_t)r[3] << 32;
    return true;
}

bool mshv_sim_extra_reg_get(MshvSimExtraRegs *x, MshvSimPartition *pt,
                            CPUState *cs, uint32_t name,
                            union hv_register_value *v)
{
    union hv_register_value *kept = mshv_sim_kept(x, name);

    memset(v, 0, sizeof(*v));
    if (kept) {
        *v = *kept;
        return true;
    }
    return mshv_sim_computed(pt, cs, name, v);
}

bool mshv_sim_extra_reg_set(MshvSimExtraRegs *x, MshvSimPartition *pt,
                            CPUState *cs, uint32_t name,
                            const union hv_register_value *v)
{
    union hv_register_value *kept = mshv_sim_kept(x, name), ignored;

    if (kept) {
        *kept = *v;
        return true;
    }
    return mshv_sim_computed(pt, cs, name, &ignored);
}

/*
 * CET's XSAVE components are registers kept here: the user state (U_CET,
 * PL3_SSP) and the supervisor one (PL0_SSP to PL2_SSP), 8 bytes each.
 */
static const struct {
    unsigned component;
    uint32_t names[3];
    unsigned count;
} mshv_sim_cet_xsave[] = {
    { MSHV_XSAVE_CET_U,
      { HV_X64_REGISTER_U_CET, HV_X64_REGISTER_PL3_SSP }, 2 },
    { MSHV_XSAVE_CET_S,
      { HV_X64_REGISTER_PL0_SSP, HV_X64_REGISTER_PL1_SSP,
        HV_X64_REGISTER_PL2_SSP }, 3 },
};

void mshv_sim_extra_regs_to_xsave(MshvSimExtraRegs *x, void *buf, size_t len)
{
    unsigned i, j;
    uint32_t size;

    for (i = 0; i < ARRAY_SIZE(mshv_sim_cet_xsave); i++) {
        uint8_t *p = mshv_xsave_component_at(buf, len,
                                             mshv_sim_cet_xsave[i].component,
                                             &size);
        bool in_use = false;

        if (!p || size < 8 * mshv_sim_cet_xsave[i].count) {
            continue;
        }
        for (j = 0; j < mshv_sim_cet_xsave[i].count; j++) {
            uint32_t name = mshv_sim_cet_xsave[i].names[j];
            uint64_t v = mshv_sim_kept(x, name)->reg64;

            stq_le_p(p + 8 * j, v);
            in_use |= v != 0;
        }
        if (in_use) {
            mshv_xsave_set_in_use(buf, mshv_xsave_in_use(buf) |
                                  1ULL << mshv_sim_cet_xsave[i].component);
        }
    }
}

void mshv_sim_extra_regs_from_xsave(MshvSimExtraRegs *x, void *buf,
                                    size_t len)
{
    unsigned i, j;
    uint32_t size;

    for (i = 0; i < ARRAY_SIZE(mshv_sim_cet_xsave); i++) {
        unsigned c = mshv_sim_cet_xsave[i].component;
        uint8_t *p = mshv_xsave_component_at(buf, len, c, &size);
        bool in_use = mshv_xsave_in_use(buf) & (1ULL << c);

        if (!p || size < 8 * mshv_sim_cet_xsave[i].count) {
            continue;
        }
        for (j = 0; j < mshv_sim_cet_xsave[i].count; j++) {
            mshv_sim_kept(x, mshv_sim_cet_xsave[i].names[j])->reg64 =
                in_use ? ldq_le_p(p + 8 * j) : 0;
        }
    }
}

/*
 * At entry: a pending exception in PENDING_EVENT0 becomes the VP's
 * exception, its parameter CR2 (#PF) or DR6 (#DB); any other event type
 * is dropped.  Returns whether an exception is now to be delivered.
 */
bool mshv_sim_extra_regs_take_event(MshvSimExtraRegs *x, CPUState *cs)
{
    union hv_register_value *ev = mshv_sim_kept(x,
                                                HV_REGISTER_PENDING_EVENT0);
    CPUX86State *env = cpu_env(cs);
    uint64_t e = ev->reg128.low_part;
    unsigned vector = (e >> HV_PENDING_EVENT_VECTOR_SHIFT) & 0xffff;
    bool take;

    take = (e & HV_PENDING_EVENT_PENDING) &&
           ((e & HV_PENDING_EVENT_TYPE_MASK) >> HV_PENDING_EVENT_TYPE_SHIFT) ==
           HV_X64_PENDING_EVENT_EXCEPTION && vector < 32;
    if (take) {
        env->exception_injected = 1;
        env->exception_nr = vector;
        env->has_error_code = !!(e & HV_PENDING_EVENT_DELIVER_ERROR_CODE);
        env->error_code = e >> HV_PENDING_EVENT_ERROR_CODE_SHIFT;
        if (vector == EXCP0E_PAGE) {
            env->cr[2] = ev->reg128.high_part;
        } else if (vector == EXCP01_DB) {
            env->dr[6] |= ev->reg128.high_part;
        }
    }
    memset(ev, 0, sizeof(*ev));
    return take;
}
