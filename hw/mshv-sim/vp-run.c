/*
 * MSHV simulator: running and stopping a VP
 *
 * RUN_VP releases the VP; a stop fills the register and message pages and
 * answers the outstanding RUN_VP (or the next one).  After a stop, the VP's
 * thread watches a while for the VMM's answer (poll-window.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "system/cpus.h"
#include "exec/exec-all.h"
#include "hw/mshv-sim/poll-window.h"
#include "vp.h"
#include "trace.h"

/*
 * The reply to the VMM's RUN_VP: posted in shared memory if the driver
 * side watches for it (MshvSimVpShared), else a packet.
 */
static bool mshv_sim_vp_post_reply(MshvSimVp *vp, int ret,
                                   const struct hv_message *msg)
{
    MshvSimVpShared *sh = vp->shared;

    if (qatomic_read(&sh->reply_watch) != MSHV_SIM_RUN_WATCHED) {
        return false;
    }
    /* the driver side reads these only once it sees the post */
    sh->reply_ret = ret;
    if (msg) {
        memcpy(sh->reply_msg, msg, sizeof(*msg));
    }
    if (qatomic_cmpxchg(&sh->reply_watch, MSHV_SIM_RUN_WATCHED,
                        MSHV_SIM_RUN_POSTED) != MSHV_SIM_RUN_WATCHED) {
        return false;
    }
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_REPLY_POSTED);
    return true;
}

static void mshv_sim_vp_reply_run(MshvSimVp *vp, int ret,
                                  const struct hv_message *msg)
{
    MshvSimHeader hdr = {
        .op = MSHV_SIM_OP_RUN_VP,
        .ret = ret,
        .len = msg ? sizeof(*msg) : 0,
    };
    int err;

    QEMU_BUILD_BUG_ON(sizeof(*msg) != sizeof(vp->shared->reply_msg));
    if (mshv_sim_vp_post_reply(vp, ret, msg)) {
        return;
    }
    err = mshv_sim_send(vp->chan, &hdr, msg, NULL, 0);

    if (err < 0 && err != -EPIPE && err != -ECONNRESET) {
        error_report("mshv-sim: VP %u: cannot answer RUN_VP: %s",
                     vp->index, strerror(-err));
    }
}

/*
 * On the VP's thread: stop the VP with a message for the VMM.  The caller
 * leaves the CPU loop right after (mshv_sim_vp_leave).  Returns whether
 * the message went out as a RUN_VP's reply (else it waits for the next).
 */
bool mshv_sim_vp_exit(MshvSimVp *vp, const struct hv_message *msg)
{
    CPUState *cs = CPU(vp->cpu);
    struct hv_message injected;
    uint32_t nth = qatomic_fetch_inc(&vp->pt->messages_sent) + 1;
    bool pending;

    if (nth == vp->pt->malformed_message) {
        injected = *msg;
        injected.header.payload_size = 0xff;
        msg = &injected;
    } else if (nth == vp->pt->unsupported_feature) {
        struct hv_unsupported_feature_message *u = (void *)injected.payload;

        memset(&injected, 0, sizeof(injected));
        injected.header.message_type = HVMSG_UNSUPPORTED_FEATURE;
        injected.header.payload_size = sizeof(*u);
        u->vp_index = vp->index;
        u->feature_code = HV_UNSUPPORTED_FEATURE_TASK_SWITCH_TSS;
        msg = &injected;
    }
    mshv_sim_regpage_fill(vp);
    memcpy(vp->msgpage, msg, sizeof(*msg));
    qatomic_set(&cs->stop, true);

    qemu_mutex_lock(&vp->lock);
    pending = vp->run_pending;
    vp->run_pending = false;
    vp->intercepted = true;
    vp->undelivered = !pending;
    qemu_mutex_unlock(&vp->lock);

    trace_mshv_sim_vp_exit(vp->index, msg->header.message_type,
                           vp->cpu->env.eip);
    if (pending) {
        mshv_sim_vp_reply_run(vp, 0, msg);
    }
    return pending;
}

/* Leave cpu_exec() for the vCPU thread's loop, which then sees the stop. */
G_NORETURN void mshv_sim_vp_leave(CPUState *cs)
{
    cs->exception_index = EXCP_INTERRUPT;
    cpu_loop_exit(cs);
}

/* As much of a request as tells whether a watching VP may take it. */
typedef struct MshvSimPeek {
    MshvSimHeader hdr;
    struct hv_input_translate_virtual_address translate;
} MshvSimPeek;

/* A hypercall of the VMM's answer to a stop (mshv_sim_watcher_takes) */
bool mshv_sim_vp_answer_hvcall(MshvSimVp *vp, const MshvSimHeader *h,
                               const void *payload, size_t len)
{
    return h->op == MSHV_SIM_OP_HVCALL &&
           mshv_sim_watcher_takes(h->arg[0], payload, MIN(h->len, len),
                                  vp->index);
}

/*
 * The VMM answered the VP's last stop, with its RUN_VP or a hypercall on
 * the way there (mshv_sim_vp_answer_hvcall).  An answer the VP's own
 * watch took leaves the window as it is; one the main loop had to take
 * adapts it.
 */
void mshv_sim_vp_answered(MshvSimVp *vp, bool watched)
{
    int64_t stopped_at = qatomic_xchg(&vp->stopped_at, 0);

    if (stopped_at && !watched) {
        qatomic_set(&vp->poll_ns,
                    mshv_sim_poll_window(vp->poll_ns,
                                         get_clock() - stopped_at));
    }
}

/*
 * The watch for the VMM's next RUN_VP ends: one posted until now is
 * still taken here, under the BQL, so that a cancellation sent after the
 * claim finds the run queued.  The driver side may take a post back (its
 * caller was interrupted), turning it into a watch again: claim with a
 * compare-and-swap, then look again.
 */
static void mshv_sim_vp_end_watch(MshvSimVp *vp)
{
    for (;;) {
        uint32_t was = qatomic_cmpxchg(&vp->shared->run_watch,
                                       MSHV_SIM_RUN_WATCHED,
                                       MSHV_SIM_RUN_NOT_WATCHED);

        switch (was) {
        case MSHV_SIM_RUN_POSTED:
            if (qatomic_cmpxchg(&vp->shared->run_watch, MSHV_SIM_RUN_POSTED,
                                MSHV_SIM_RUN_NOT_WATCHED) ==
                MSHV_SIM_RUN_POSTED) {
                mshv_sim_count(vp->pt, MSHV_SIM_CNT_RUN_WATCHED);
                mshv_sim_count(vp->pt, MSHV_SIM_CNT_RUN_POSTED);
                mshv_sim_vp_take_posted_run(vp);
                return;
            }
            break;
        case MSHV_SIM_RUN_CALL_POSTED:
            mshv_sim_vp_take_posted_call(vp);
            break;
        case MSHV_SIM_RUN_CALL_DONE:
            /*
             * The driver side, spinning for it, takes the result now --
             * unless the VMM is gone: then nobody will.
             */
            if (mshv_sim_chan_hung_up(vp->chan)) {
                qatomic_set(&vp->shared->run_watch, MSHV_SIM_RUN_NOT_WATCHED);
                return;
            }
            sched_yield();
            break;
        default:
            return;
        }
    }
}

/*
 * On the VP's thread, right after a stop whose reply went out with the
 * VP watching (run_watch set, see mshv_sim_vp_stop): watch the VP channel
 * for the VMM's answer a little while (hw/mshv-sim/poll-window.h) and
 * take it here, sparing two wake-ups: the main loop's, then this
 * thread's.  The main loop, which may be woken by the same request, takes
 * it when it gets the BQL first; between looks the BQL is let go, unless
 * the stop came with it held (a failed access to a BQL-locked region).
 * Work queued for the VP (the main loop took a request that needs it)
 * ends the watch, so the VP's thread can do it.
 */
static void mshv_sim_vp_await_run(MshvSimVp *vp)
{
    CPUState *cs = CPU(vp->cpu);
    bool locked = bql_locked();
    int64_t deadline;
    MshvSimPeek peek;
    ssize_t n;

    if (!locked) {
        bql_lock();
    }
    deadline = qatomic_read(&vp->stopped_at) + vp->poll_ns;
    while (qatomic_read(&cs->stop) && cpu_work_list_empty(cs)) {
        /* before the look: a hypercall sent after it rings this */
        uint32_t rung = qatomic_load_acquire(&vp->shared->sent);

        uint32_t state = qatomic_read(&vp->shared->run_watch);

        if (state == MSHV_SIM_RUN_POSTED) {
            break;
        }
        if (state == MSHV_SIM_RUN_CALL_POSTED) {
            if (mshv_sim_vp_take_posted_call(vp)) {
                /* the VMM's turn again, from now */
                deadline = qatomic_read(&vp->stopped_at) + vp->poll_ns;
            }
            continue;
        }
        n = recv(vp->chan, &peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
        if (n >= (ssize_t)sizeof(peek.hdr) &&
            peek.hdr.op == MSHV_SIM_OP_RUN_VP) {
            mshv_sim_count(vp->pt, MSHV_SIM_CNT_RUN_WATCHED);
            vp->serve(vp, true);
            break;
        }
        if (n >= (ssize_t)sizeof(peek.hdr) &&
            mshv_sim_vp_answer_hvcall(vp, &peek.hdr, &peek.translate,
                                      n - sizeof(peek.hdr))) {
            mshv_sim_count(vp->pt, MSHV_SIM_CNT_HVCALL_WATCHED);
            vp->serve(vp, true);
            /* the VMM's turn again, from now */
            deadline = qatomic_read(&vp->stopped_at) + vp->poll_ns;
            continue;
        }
        if (n >= 0 || errno != EAGAIN || get_clock() >= deadline) {
            break;
        }
        if (!locked) {
            bql_unlock();
        }
        if (!mshv_sim_poll_spin(&vp->shared->run_watch,
                                1u << MSHV_SIM_RUN_POSTED |
                                1u << MSHV_SIM_RUN_CALL_POSTED,
                                &vp->shared->sent, rung)) {
            /* and let whatever else wants this CPU run meanwhile */
            sched_yield();
        }
        if (!locked) {
            bql_lock();
        }
    }
    mshv_sim_vp_end_watch(vp);
    if (!locked) {
        bql_unlock();
    }
}

/* Stop the VP with @msg, counted as @counter, and leave cpu_exec(). */
G_NORETURN void mshv_sim_vp_stop(MshvSimVp *vp,
                                 const struct hv_message *msg,
                                 MshvSimCounter counter)
{
    bool locked = bql_locked();
    bool watch;

    mshv_sim_count(vp->pt, counter);
    /* what the guest ran, before the VMM may write over it */
    mshv_sim_low_code_sync(vp->pt, false);
    qatomic_set(&vp->stopped_at, get_clock());
    watch = qatomic_read(&vp->poll_ns) != 0;
    if (watch) {
        /*
         * Before the reply goes out: a VMM watching for it answers within
         * microseconds, and its RUN_VP must find the VP watching then,
         * not become a packet for the main loop.
         */
        qatomic_set(&vp->shared->run_watch, MSHV_SIM_RUN_WATCHED);
        smp_mb(); /* the flag before the reply and the looks at the channel */
    }
    if (!mshv_sim_vp_exit(vp, msg)) {
        qatomic_set(&vp->stopped_at, 0);
        if (watch) {
            /* no reply went out: a RUN_VP posted meanwhile is the next */
            if (!locked) {
                bql_lock();
            }
            mshv_sim_vp_end_watch(vp);
            if (!locked) {
                bql_unlock();
            }
        }
    } else if (watch) {
        mshv_sim_vp_await_run(vp);
    }
    mshv_sim_vp_leave(CPU(vp->cpu));
}

/*
 * On the VP's thread, between instructions: report one EOI of a
 * level-triggered vector, if a RUN_VP is there to carry it.  Each RUN_VP
 * then reports the next, before the VP runs again.
 */
static bool mshv_sim_vp_report_eoi(MshvSimVp *vp)
{
    struct hv_message msg = { 0 };
    struct hv_x64_apic_eoi_message *eoi = (void *)msg.payload;
    unsigned long vector;

    qemu_mutex_lock(&vp->lock);
    vector = find_first_bit(vp->eoi, 256);
    if (!vp->run_pending || vector >= 256) {
        qemu_mutex_unlock(&vp->lock);
        return false;
    }
    clear_bit(vector, vp->eoi);
    qemu_mutex_unlock(&vp->lock);

    msg.header.message_type = HVMSG_X64_APIC_EOI;
    msg.header.payload_size = sizeof(*eoi);
    eoi->vp_index = vp->index;
    eoi->interrupt_vector = vector;
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_INTERCEPT_APIC_EOI);
    trace_mshv_sim_vp_eoi(vp->index, vector);
    /* only the VP's thread clears run_pending: it still holds */
    mshv_sim_vp_exit(vp, &msg);
    return true;
}

/*
 * On the VP's thread: requested SINT-deliverable notifications whose
 * message slot is now free become due.
 */
void mshv_sim_vp_check_sints(MshvSimVp *vp)
{
    uint16_t want = qatomic_read(&vp->notify) >> HV_DELIVERABILITY_SINTS_SHIFT;
    uint16_t ready;

    if (!want) {
        return;
    }
    /*
     * (which flags the busy ones pending: without that, a timer message
     * put in the slot at an EOM left the VMM's message waiting for ever,
     * a VMBus that never answered)
     */
    ready = mshv_sim_synic_free_slots(CPU(vp->cpu), want);
    if (ready) {
        qatomic_and(&vp->notify,
                    ~((uint64_t)ready << HV_DELIVERABILITY_SINTS_SHIFT));
        qemu_mutex_lock(&vp->lock);
        vp->sints_ready |= ready;
        qemu_mutex_unlock(&vp->lock);
    }
}

/*
 * Report the due SINT-deliverable notifications (one message for all), if
 * a RUN_VP is there to carry them; @insn_len completes the instruction the
 * VP is at first.
 */
bool mshv_sim_vp_report_sints(MshvSimVp *vp, unsigned insn_len)
{
    CPUState *cs = CPU(vp->cpu);
    struct hv_message msg = { 0 };
    struct hv_synic_sint_deliverable_message *d = (void *)msg.payload;
    uint16_t ready;

    qemu_mutex_lock(&vp->lock);
    ready = vp->sints_ready;
    if (!vp->run_pending || !ready) {
        qemu_mutex_unlock(&vp->lock);
        return false;
    }
    vp->sints_ready = 0;
    qemu_mutex_unlock(&vp->lock);

    vp->cpu->env.eip += insn_len;
    mshv_sim_fill_header(cs, &msg, HVMSG_SYNIC_SINT_DELIVERABLE, sizeof(*d),
                         0, HV_INTERCEPT_ACCESS_READ);
    d->deliverable_sints = ready;
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_INTERCEPT_OTHER);
    mshv_sim_vp_exit(vp, &msg);
    return true;
}

/* What the hypervisor has to tell the VMM, one message per RUN_VP. */
static bool mshv_sim_vp_report_pending(MshvSimVp *vp)
{
    return mshv_sim_vp_report_eoi(vp) || mshv_sim_vp_report_sints(vp, 0);
}

void mshv_sim_vp_eoi_work(CPUState *cs, run_on_cpu_data data)
{
    mshv_sim_vp_report_eoi(data.host_ptr);
}

/*
 * An event the VMM made pending (HV_REGISTER_PENDING_INTERRUPTION: the
 * register table leaves it in env's KVM-style fields, which TCG ignores)
 * is delivered first thing at the next entry, as VM entry injects it.
 * Until then it reads back as pending, for a VMM saving the VP's state.
 */
static void mshv_sim_take_pending_event(MshvSimVp *vp)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = &vp->cpu->env;

    /* PENDING_INTERRUPTION's exception first, PENDING_EVENT0's after */
    if (env->exception_injected ||
        mshv_sim_extra_regs_take_event(vp->extra, cs)) {
        qatomic_set(&vp->injecting, true);
        env->old_exception = -1;
        cs->exception_index = env->exception_nr;
        env->exception_is_int = 0;
        env->exception_next_eip = env->eip;
        env->exception_injected = 0;
        env->has_error_code = 0;
    }
    if (env->nmi_injected) {
        env->nmi_injected = 0;
        cpu_interrupt(cs, CPU_INTERRUPT_NMI);
    }
    if (env->interrupt_injected >= 0) {
        mshv_sim_vp_assert_extint(vp, env->interrupt_injected);
        env->interrupt_injected = -1;
    }
}

static void mshv_sim_vp_run_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimVp *vp = data.host_ptr;
    uint32_t every = vp->pt->halt_every;

    mshv_sim_regpage_apply(vp);
    if (every && (qatomic_fetch_inc(&vp->pt->runs) + 1) % every == 0) {
        /* (fault injection) a HALT message: the VMM runs the VP again */
        struct hv_message msg = { 0 };

        mshv_sim_fill_header(cs, &msg, HVMSG_X64_HALT,
                             sizeof(struct hv_x64_intercept_message_header),
                             0, HV_INTERCEPT_ACCESS_EXECUTE);
        mshv_sim_count(vp->pt, MSHV_SIM_CNT_INJECTED_HALT);
        mshv_sim_vp_exit(vp, &msg);
        return;
    }
    mshv_sim_low_code_sync(vp->pt, true);
    mshv_sim_take_pending_event(vp);
    if (vp->shutdown) {
        vp->shutdown = false;
        cs->halted = 0;
    }
    mshv_sim_vp_report_pending(vp);
}

static void mshv_sim_vp_cancel_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimVp *vp = data.host_ptr;
    bool pending;

    /*
     * Only the run the cancellation was meant for: it may have ended with
     * a message meanwhile and the VMM's next RUN_VP, already taken, is
     * not to be cancelled (its run work, queued after this, has not even
     * taken the VMM's register page writes yet).
     */
    qemu_mutex_lock(&vp->lock);
    pending = vp->run_pending && vp->run_seq == vp->cancel_seq;
    if (pending) {
        vp->run_pending = false;
    }
    qemu_mutex_unlock(&vp->lock);

    if (pending) {
        /* Explicit suspend: the VP stops where it is. */
        qatomic_set(&cs->stop, true);
        mshv_sim_regpage_fill(vp);
        mshv_sim_count(vp->pt, MSHV_SIM_CNT_RUN_CANCELLED);
        mshv_sim_vp_reply_run(vp, -EINTR, NULL);
    }
}

/*
 * CANCEL_RUN, in the channel's order: it stops the RUN_VP pending now, if
 * any (the driver side sends one when its wait is interrupted, and the
 * reply may be on its way already).
 */
void mshv_sim_vp_cancel(MshvSimVp *vp)
{
    bool pending;

    qemu_mutex_lock(&vp->lock);
    pending = vp->run_pending;
    vp->cancel_seq = vp->run_seq;
    qemu_mutex_unlock(&vp->lock);
    if (pending) {
        async_run_on_cpu(CPU(vp->cpu), mshv_sim_vp_cancel_work,
                         RUN_ON_CPU_HOST_PTR(vp));
    }
}

void mshv_sim_vp_run(MshvSimVp *vp, bool watched)
{
    CPUState *cs = CPU(vp->cpu);
    bool busy, undelivered;

    qemu_mutex_lock(&vp->lock);
    busy = vp->run_pending;
    undelivered = vp->undelivered;
    if (!busy && !undelivered) {
        vp->run_pending = true;
        vp->run_seq++;
        vp->intercepted = false;
    }
    vp->undelivered = false;
    qemu_mutex_unlock(&vp->lock);

    if (busy) {
        mshv_sim_vp_reply_run(vp, -EBUSY, NULL);
        return;
    }
    mshv_sim_vp_answered(vp, watched);
    if (undelivered) {
        mshv_sim_vp_reply_run(vp, 0, vp->msgpage);
        return;
    }
    mshv_sim_count(vp->pt, MSHV_SIM_CNT_RUN);
    async_run_on_cpu(cs, mshv_sim_vp_run_work, RUN_ON_CPU_HOST_PTR(vp));
    cpu_resume(cs);
}
