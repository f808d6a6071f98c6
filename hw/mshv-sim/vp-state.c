/*
 * MSHV simulator: VP state blobs (MSHV_GET/SET_VP_STATE)
 *
 * LAPIC, XSAVE, the SynIC message and event pages and the synthetic
 * timers, in the hypervisor's layouts (target/i386/mshv/mshv-vp-state.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/timer.h"
#include "hw/i386/apic.h"
#include "hw/i386/apic_internal.h"
#include "mshv/mshv-vp-state.h"
#include "vp.h"
#include "trace.h"

typedef struct MshvSimStateWork {
    MshvSimVp *vp;
    uint8_t type;               /* MSHV_VP_STATE_* */
    bool set;
    uint8_t *buf;               /* MSHV_HV_PAGE_SIZE bytes */
    uint32_t len;               /* SET: bytes the VMM sent */
    uint16_t status;
} MshvSimStateWork;

/* The partition's XSAVE components, laid out as the hypervisor does. */
static uint64_t mshv_sim_xcomp_bv(MshvSimPartition *pt)
{
    return MSHV_XSAVE_COMPACTED | XSTATE_FP_MASK | XSTATE_SSE_MASK |
           mshv_sim_xsave_states(pt);
}

static void mshv_sim_lapic_set(MshvSimVp *vp,
    const struct hv_local_interrupt_controller_state *l)
{
    APICCommonState *s = APIC_COMMON(vp->cpu->apic_state);

    mshv_lapic_state_to_apic(l, s);
    if (apic_next_timer(s, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL))) {
        timer_mod(s->timer, s->next_time);
    } else {
        timer_del(s->timer);
    }
    /* IRR may hold what the CPU must now take. */
    apic_poll_irq(DEVICE(s));
}

static void mshv_sim_state_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimStateWork *w = data.host_ptr;
    X86CPU *cpu = w->vp->cpu;
    struct hv_local_interrupt_controller_state *l = (void *)w->buf;

    w->status = HV_STATUS_SUCCESS;
    switch (w->type) {
    case MSHV_VP_STATE_LAPIC:
        if (!cpu->apic_state) {
            w->status = HV_STATUS_INVALID_VP_STATE;
        } else if (w->set) {
            mshv_sim_lapic_set(w->vp, l);
        } else {
            mshv_lapic_state_from_apic(APIC_COMMON(cpu->apic_state), l);
        }
        break;
    case MSHV_VP_STATE_XSAVE:
        if (w->set) {
            if (!mshv_xsave_to_cpu(w->buf, w->len, cpu)) {
                w->status = HV_STATUS_INVALID_PARAMETER;
            } else {
                mshv_sim_extra_regs_from_xsave(w->vp->extra, w->buf, w->len);
            }
        } else {
            mshv_xsave_init(w->buf, mshv_sim_xcomp_bv(w->vp->pt));
            if (!mshv_xsave_from_cpu(cpu, w->buf,
                                     MSHV_HV_PAGE_SIZE)) {
                w->status = HV_STATUS_INVALID_VP_STATE;
            } else {
                mshv_sim_extra_regs_to_xsave(w->vp->extra, w->buf,
                                             MSHV_HV_PAGE_SIZE);
            }
        }
        break;
    case MSHV_VP_STATE_SIMP:
    case MSHV_VP_STATE_SIEFP: {
        uint64_t msr = w->type == MSHV_VP_STATE_SIMP ?
                       cpu->env.msr_hv_synic_msg_page :
                       cpu->env.msr_hv_synic_evt_page;

        /* the overlay page is the guest's own page here */
        if (msr & HV_SIMP_ENABLE) {
            cpu_physical_memory_rw(msr & TARGET_PAGE_MASK, w->buf,
                                   MSHV_HV_PAGE_SIZE, w->set);
        } else if (w->set && !buffer_is_zero(w->buf, w->len)) {
            w->status = HV_STATUS_INVALID_VP_STATE;
        }
        break;
    }
    case MSHV_VP_STATE_SYNTHETIC_TIMERS:
        if (w->set) {
            mshv_sim_stimer_set_state(w->vp, cs, (void *)w->buf);
        } else {
            mshv_sim_stimer_get_state(w->vp, cs, (void *)w->buf);
        }
        break;
    default:
        w->status = HV_STATUS_INVALID_PARAMETER;
        break;
    }
}

uint16_t mshv_sim_vp_state_io(MshvSimVp *vp, uint8_t type, bool set,
                              uint8_t *buf, uint32_t len)
{
    MshvSimStateWork w = {
        .vp = vp,
        .type = type,
        .set = set,
        .buf = buf,
        .len = len,
        .status = HV_STATUS_INVALID_PARAMETER,
    };

    trace_mshv_sim_vp_state(vp->index, w.type, w.set, w.len);
    if (w.type < MSHV_VP_STATE_COUNT) {
        run_on_cpu(CPU(vp->cpu), mshv_sim_state_work, RUN_ON_CPU_HOST_PTR(&w));
    }
    return w.status;
}
