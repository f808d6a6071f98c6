/*
 * MSHV simulator: the SynIC's synthetic timers (TLFS "Synthetic Timers")
 *
 * Four per VP, counting in the partition's reference time (100 ns).  A
 * one-shot timer fires at its count and disables itself; a periodic one
 * fires every count.  An expiry raises the timer's APIC vector (direct
 * mode) or posts HVMSG_TIMER_EXPIRED to its SINT; a message its slot
 * refuses waits for the guest's EOM.  The values live in the CPU state
 * (msr_hv_stimer_*), the deadlines in QEMU timers on the virtual clock,
 * so they stop with the VM.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "hw/core/cpu.h"
#include "cpu.h"
#include "kvm/hyperv-proto.h"
#include "mshv-sim.h"
#include "trace.h"

#define STIMER_ENABLE           (1ULL << 0)
#define STIMER_PERIODIC         (1ULL << 1)
#define STIMER_AUTO_ENABLE      (1ULL << 3)
#define STIMER_VECTOR(c)        (((c) >> 4) & 0xff)
#define STIMER_DIRECT           (1ULL << 12)
#define STIMER_SINT(c)          (((c) >> 16) & 0xf)

#define HV_TIMER_MESSAGE_SIZE   24

typedef struct MshvSimStimer {
    QEMUTimer *timer;
    MshvSimVp *vp;
    CPUState *cs;
    unsigned index;
    uint64_t expiration;        /* reference time of the next expiry */
    bool undelivered;           /* its message waits for the slot */
    uint64_t undelivered_expiration;
} MshvSimStimer;

static MshvSimStimer mshv_sim_stimers[MSHV_MAX_VPS][HV_STIMER_COUNT];

static MshvSimStimer *mshv_sim_stimer(MshvSimVp *vp, CPUState *cs,
                                      unsigned index)
{
    MshvSimStimer *t = &mshv_sim_stimers[mshv_sim_vp_index(vp)][index];

    t->vp = vp;
    t->cs = cs;
    t->index = index;
    return t;
}

/* HVMSG_TIMER_EXPIRED to the timer's SINT; false if the slot is full. */
static bool mshv_sim_stimer_post(MshvSimStimer *t, uint64_t expiration)
{
    CPUX86State *env = cpu_env(t->cs);
    uint32_t sint = STIMER_SINT(env->msr_hv_stimer_config[t->index]);
    uint8_t msg[HV_MESSAGE_SIZE] = { 0 };
    uint16_t status;

    stl_le_p(msg, HVMSG_TIMER_EXPIRED);
    msg[4] = HV_TIMER_MESSAGE_SIZE;
    stl_le_p(msg + 16, t->index);
    stq_le_p(msg + 24, expiration);
    stq_le_p(msg + 32, mshv_sim_hv_reference_time(t->cs));
    status = mshv_sim_synic_post(t->vp, t->cs, sint, msg);
    trace_mshv_sim_stimer_expired(mshv_sim_vp_index(t->vp), t->index,
                                  expiration, status);
    return status != HV_STATUS_INSUFFICIENT_BUFFERS;
}

/* (Re)arm from the CPU state: after an MSR write, a restore or a reset. */
static void mshv_sim_stimer_arm(MshvSimStimer *t)
{
    CPUX86State *env = cpu_env(t->cs);
    uint64_t config = env->msr_hv_stimer_config[t->index];
    uint64_t count = env->msr_hv_stimer_count[t->index];
    uint64_t now;

    if (!t->timer) {
        return;
    }
    timer_del(t->timer);
    if (!(config & STIMER_ENABLE) || !count) {
        return;
    }
    now = mshv_sim_hv_reference_time(t->cs);
    t->expiration = config & STIMER_PERIODIC ? now + count : count;
    trace_mshv_sim_stimer_armed(mshv_sim_vp_index(t->vp), t->index, config,
                                now, t->expiration);
    timer_mod(t->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              (t->expiration > now ? (t->expiration - now) * 100 : 0));
}

/* On the VP's thread: the timer expired. */
static void mshv_sim_stimer_expire_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimStimer *t = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    uint64_t *config = &env->msr_hv_stimer_config[t->index];
    uint64_t count = env->msr_hv_stimer_count[t->index];
    uint64_t now;

    if (!(*config & STIMER_ENABLE) || !count) {
        return;
    }
    /* re-armed since this expiry was queued: not due yet */
    now = mshv_sim_hv_reference_time(cs);
    if (now < t->expiration) {
        timer_mod(t->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  (t->expiration - now) * 100);
        return;
    }
    if (*config & STIMER_DIRECT) {
        mshv_sim_deliver_interrupt(mshv_sim_vp_partition(t->vp),
                                   HV_X64_INTERRUPT_TYPE_FIXED,
                                   mshv_sim_vp_index(t->vp), false, false,
                                   STIMER_VECTOR(*config));
        trace_mshv_sim_stimer_expired(mshv_sim_vp_index(t->vp), t->index,
                                      t->expiration, 0);
    } else if (!t->undelivered && !mshv_sim_stimer_post(t, t->expiration)) {
        t->undelivered = true;
        t->undelivered_expiration = t->expiration;
    }
    if (!(*config & STIMER_PERIODIC)) {
        *config &= ~STIMER_ENABLE;
        return;
    }
    /* the next period; a VP that was away skips what it missed */
    now = mshv_sim_hv_reference_time(cs);
    t->expiration += count;
    if (t->expiration <= now) {
        t->expiration = now + count;
    }
    timer_mod(t->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              (t->expiration - now) * 100);
}

static void mshv_sim_stimer_cb(void *opaque)
{
    MshvSimStimer *t = opaque;

    async_run_on_cpu(t->cs, mshv_sim_stimer_expire_work,
                     RUN_ON_CPU_HOST_PTR(t));
}

static MshvSimStimer *mshv_sim_stimer_init(MshvSimVp *vp, CPUState *cs,
                                           unsigned index)
{
    MshvSimStimer *t = mshv_sim_stimer(vp, cs, index);

    if (!t->timer) {
        t->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, mshv_sim_stimer_cb, t);
    }
    return t;
}

int mshv_sim_stimer_msr(MshvSimVp *vp, CPUState *cs, uint32_t index,
                        bool write, uint64_t *val)
{
    CPUX86State *env = cpu_env(cs);
    unsigned n = (index - HV_X64_MSR_STIMER0_CONFIG) / 2;
    bool is_count = (index - HV_X64_MSR_STIMER0_CONFIG) & 1;
    MshvSimStimer *t = mshv_sim_stimer_init(vp, cs, n);
    uint64_t *config = &env->msr_hv_stimer_config[n];
    uint64_t *count = &env->msr_hv_stimer_count[n];

    if (!write) {
        *val = is_count ? *count : *config;
        return 1;
    }
    if (is_count) {
        *count = *val;
        if (!*val) {
            *config &= ~STIMER_ENABLE;
        } else if (*config & STIMER_AUTO_ENABLE) {
            *config |= STIMER_ENABLE;
        }
    } else {
        if ((*val & STIMER_DIRECT) &&
            !(mshv_sim_vp_partition(vp)->synthetic_proc_features &
              (1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS))) {
            return -1;
        }
        *config = *val;
        /* a message timer needs a SINT */
        if (!(*config & STIMER_DIRECT) && !STIMER_SINT(*config)) {
            *config &= ~STIMER_ENABLE;
        }
    }
    t->undelivered = false;
    mshv_sim_stimer_arm(t);
    return 1;
}

void mshv_sim_stimer_sync(MshvSimVp *vp, CPUState *cs)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        MshvSimStimer *t = mshv_sim_stimer(vp, cs, i);

        if (t->timer || (cpu_env(cs)->msr_hv_stimer_config[i] &
                         STIMER_ENABLE)) {
            t = mshv_sim_stimer_init(vp, cs, i);
            t->undelivered = false;
            mshv_sim_stimer_arm(t);
        }
    }
}

/* The guest wrote EOM: a message that found its slot full goes again. */
void mshv_sim_stimer_eom(MshvSimVp *vp, CPUState *cs)
{
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        MshvSimStimer *t = mshv_sim_stimer(vp, cs, i);

        if (t->undelivered &&
            mshv_sim_stimer_post(t, t->undelivered_expiration)) {
            t->undelivered = false;
        }
    }
}

void mshv_sim_stimer_get_state(MshvSimVp *vp, CPUState *cs,
                               struct hv_synthetic_timers_state *st)
{
    CPUX86State *env = cpu_env(cs);
    unsigned i;

    memset(st, 0, sizeof(*st));
    for (i = 0; i < HV_STIMER_COUNT; i++) {
        MshvSimStimer *t = mshv_sim_stimer(vp, cs, i);

        st->timers[i].config = env->msr_hv_stimer_config[i];
        st->timers[i].count = env->msr_hv_stimer_count[i];
        st->timers[i].flags = t->undelivered;
        st->timers[i].undelivered_exp_time = t->undelivered_expiration;
    }
}

void mshv_sim_stimer_set_state(MshvSimVp *vp, CPUState *cs,
                               const struct hv_synthetic_timers_state *st)
{
    CPUX86State *env = cpu_env(cs);
    unsigned i;

    for (i = 0; i < HV_STIMER_COUNT; i++) {
        MshvSimStimer *t = mshv_sim_stimer_init(vp, cs, i);

        env->msr_hv_stimer_config[i] = st->timers[i].config;
        env->msr_hv_stimer_count[i] = st->timers[i].count;
        mshv_sim_stimer_arm(t);
        t->undelivered = st->timers[i].flags & 1;
        t->undelivered_expiration = st->timers[i].undelivered_exp_time;
    }
}
