/*
 * MSHV simulator: the LAPIC timer's TSC-deadline mode
 *
 * Every processor the hypervisor runs on has it, and Linux prefers it;
 * QEMU's APIC model does not.  With the LVT timer in TSC-deadline mode,
 * a write of IA32_TSC_DEADLINE arms the timer: when the VP's TSC reaches
 * the value, the LVT timer's vector is raised (unless masked) and the
 * MSR reads 0 again; 0 disarms it.  The value lives in the CPU state
 * (tsc_deadline), the deadline in a QEMU timer on the virtual clock,
 * which stops with the VM as the TSC does.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "hw/core/cpu.h"
#include "hw/i386/apic_internal.h"
#include "hw/mshv-sim/caps.h"
#include "cpu.h"
#include "mshv-sim.h"
#include "trace.h"

#define APIC_LVT_TIMER_MODE     (3 << APIC_LVT_TIMER_SHIFT)

typedef struct MshvSimDeadline {
    QEMUTimer *timer;
    MshvSimVp *vp;
    CPUState *cs;
} MshvSimDeadline;

static MshvSimDeadline mshv_sim_deadlines[MSHV_MAX_VPS];

static uint64_t mshv_sim_vp_tsc(CPUX86State *env)
{
    return cpu_get_tsc(env) + env->tsc_offset;
}

static void mshv_sim_deadline_expire_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimDeadline *d = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    DeviceState *apic_dev = X86_CPU(cs)->apic_state;
    uint32_t lvt;
    uint64_t deadline = env->tsc_deadline;

    /* (no LAPIC, no timer to raise: the deadline only reads back) */
    if (!apic_dev) {
        return;
    }
    lvt = APIC_COMMON(apic_dev)->lvt[APIC_LVT_TIMER];

    /* disarmed, or re-armed later, since this expiry was queued */
    if (!deadline || mshv_sim_vp_tsc(env) < deadline) {
        mshv_sim_tsc_deadline_sync(d->vp, cs);
        return;
    }
    env->tsc_deadline = 0;
    trace_mshv_sim_tsc_deadline_expired(mshv_sim_vp_index(d->vp), deadline,
                                        lvt);
    if ((lvt & APIC_LVT_TIMER_MODE) == APIC_LVT_TIMER_TSCDEADLINE &&
        !(lvt & APIC_LVT_MASKED)) {
        mshv_sim_deliver_interrupt(mshv_sim_vp_partition(d->vp),
                                   HV_X64_INTERRUPT_TYPE_FIXED,
                                   mshv_sim_vp_index(d->vp), false, false,
                                   lvt & 0xff);
    }
}

static void mshv_sim_deadline_cb(void *opaque)
{
    MshvSimDeadline *d = opaque;

    async_run_on_cpu(d->cs, mshv_sim_deadline_expire_work,
                     RUN_ON_CPU_HOST_PTR(d));
}

void mshv_sim_tsc_deadline_sync(MshvSimVp *vp, CPUState *cs)
{
    MshvSimDeadline *d = &mshv_sim_deadlines[mshv_sim_vp_index(vp)];
    CPUX86State *env = cpu_env(cs);
    uint64_t now, ns = 0;

    if (!d->timer) {
        if (!env->tsc_deadline) {
            return;
        }
        d->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, mshv_sim_deadline_cb, d);
    }
    d->vp = vp;
    d->cs = cs;
    timer_del(d->timer);
    if (!env->tsc_deadline) {
        return;
    }
    now = mshv_sim_vp_tsc(env);
    if (env->tsc_deadline > now) {
        ns = muldiv64(env->tsc_deadline - now, NANOSECONDS_PER_SECOND,
                      mshv_sim_tsc_frequency());
    }
    timer_mod(d->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
}
