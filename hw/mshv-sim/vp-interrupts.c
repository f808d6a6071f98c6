/*
 * MSHV simulator: a VP's external interrupts and interrupt windows
 *
 * ExtINT vectors the VMM asserts (its PIC), the interruption-deliverable
 * notification, SynIC auto-EOI, and EOIs of level-triggered vectors, which
 * the VMM's IOAPIC must hear of.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/cpus.h"
#include "exec/exec-all.h"
#include "vp.h"
#include "trace.h"

/*
 * TCG can take an external interrupt now: deliver the ExtINT the VMM
 * asserted or, if the VMM only asked to hear when the VP can take one,
 * stop with HVMSG_X64_INTERRUPTION_DELIVERABLE -- the VMM then acks its
 * PIC, so the vector is the PIC's at delivery time, as with INTA.
 */
int mshv_sim_hook_pic_interrupt(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_interruption_deliverable_message *d = (void *)msg.payload;
    int vector;

    if (!vp) {
        return -1;
    }
    /*
     * TCG dropped CPU_INTERRUPT_HARD to get here, and the LAPIC may have
     * a vector waiting behind the ExtINT work: make it look again once
     * this one is delivered (or not), or that vector is lost.
     */
    cpu_interrupt(cs, CPU_INTERRUPT_POLL);
    vector = qatomic_xchg(&vp->extint, -1);
    if (vector >= 0) {
        return vector;
    }
    if (qatomic_fetch_and(&vp->notify, ~HV_DELIVERABILITY_INTERRUPT) &
        HV_DELIVERABILITY_INTERRUPT) {
        mshv_sim_fill_header(cs, &msg, HVMSG_X64_INTERRUPTION_DELIVERABLE,
                             sizeof(*d), 0, HV_INTERCEPT_ACCESS_READ);
        d->deliverable_type = HV_X64_PENDING_INTERRUPT;
        mshv_sim_count(vp->pt, MSHV_SIM_CNT_INTERCEPT_OTHER);
        mshv_sim_vp_exit(vp, &msg);
    }
    /* Nothing to deliver (the ExtINT was cleared): no interrupt cycle. */
    mshv_sim_vp_leave(cs);
}

/*
 * The APIC gave the CPU @vector: ExtINT work waits behind it (raised
 * again, or TCG would not look), and a SynIC auto-EOI vector is EOIed.
 */
void mshv_sim_hook_apic_interrupt(CPUX86State *env, int vector)
{
    if (!mshv_sim_cpu_vp(env_cpu(env))) {
        return;
    }
    if (mshv_sim_hook_pic_pending(env)) {
        cpu_interrupt(env_cpu(env), CPU_INTERRUPT_HARD);
    }
    mshv_sim_synic_auto_eoi(env_cpu(env), vector);
}

bool mshv_sim_hook_pic_pending(CPUX86State *env)
{
    MshvSimVp *vp = mshv_sim_cpu_vp(env_cpu(env));

    return vp && (qatomic_read(&vp->extint) >= 0 ||
                  (qatomic_read(&vp->notify) & HV_DELIVERABILITY_INTERRUPT));
}

void mshv_sim_vp_assert_extint(MshvSimVp *vp, uint8_t vector)
{
    qatomic_set(&vp->extint, vector);
    cpu_interrupt(CPU(vp->cpu), CPU_INTERRUPT_HARD);
}

void mshv_sim_vp_clear_extint(MshvSimVp *vp)
{
    qatomic_set(&vp->extint, -1);
    /* The LAPIC decides whether CPU_INTERRUPT_HARD stays (its vectors). */
    cpu_interrupt(CPU(vp->cpu), CPU_INTERRUPT_POLL);
}

/*
 * The guest EOIed a level-triggered vector: the VMM's IOAPIC must hear
 * of it (remote IRR).  The EOI write completes; the VP stops at the end
 * of the translation block, as after an instruction.
 */
void mshv_sim_hook_level_eoi(CPUX86State *env, int vector)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_cpu_vp(cs);

    if (!vp || vector < 0 || vector > 255) {
        return;
    }
    /* a resampling irqfd takes it, as the driver would */
    if (mshv_sim_irqfd_resample(vp->pt, vector)) {
        return;
    }
    qemu_mutex_lock(&vp->lock);
    set_bit(vector, vp->eoi);
    qemu_mutex_unlock(&vp->lock);
    async_run_on_cpu(cs, mshv_sim_vp_eoi_work, RUN_ON_CPU_HOST_PTR(vp));
}

/*
 * External-interrupt (the request VMMs use for a PIC) and SINT requests
 * fire; an NMI request is kept and read back but never fires.
 */
void mshv_sim_request_notify(MshvSimVp *vp, uint64_t bits)
{
    qatomic_set(&vp->notify, bits);
    if (bits & HV_DELIVERABILITY_INTERRUPT) {
        cpu_interrupt(CPU(vp->cpu), CPU_INTERRUPT_HARD);
    }
    /* a slot already free is reported at the next RUN_VP */
    mshv_sim_vp_check_sints(vp);
}
