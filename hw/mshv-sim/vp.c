/*
 * MSHV simulator: virtual processors
 *
 * A VP is a TCG x86 CPU that runs only while the VMM has a RUN_VP
 * outstanding on the VP channel.  It stops, with its architectural state
 * at the start of the instruction, when it needs the VMM (port I/O, an
 * unmapped GPA, a write to a read-only region, a triple fault); the
 * message goes back as the RUN_VP reply and into the intercept message
 * page, and the register page is refreshed.  HLT and interrupt delivery
 * stay inside: a halted VP sleeps in TCG until its LAPIC wakes it.
 *
 * Threads: VP channel requests are handled in the main loop (and the
 * VMM's answer to a stop -- its RUN_VP, a translation, an interrupt
 * assertion -- on the VP's own thread, which watches for it); everything
 * that writes a VP's CPUX86State runs on that VP's own thread (intercept
 * hooks, run_on_cpu work), so state is always consistent.  The one read
 * elsewhere is a stopped VP's page walk (hvcall.c), under the BQL, while
 * nothing can start the VP.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/sockets.h"
#include "qemu/cutils.h"
#include "qemu/timer.h"
#include "system/cpus.h"
#include "exec/exec-all.h"
#include "exec/cputlb.h"
#include "hw/core/cpu.h"
#include "hw/qdev-core.h"
#include "cpu.h"
#include "tcg/hv-hooks.h"
#include "hw/i386/apic.h"
#include "mshv/mshv-regs.h"
#include "mshv/mshv-vp-state.h"
#include "kvm/hyperv-proto.h"
#include "hw/mshv-sim/poll-window.h"
#include "mshv-sim.h"
#include "trace.h"
#include <Zydis/Zydis.h>

#define MSHV_SIM_STATE_SIZE     (2 * MSHV_HV_PAGE_SIZE)

struct MshvSimVp {
    MshvSimPartition *pt;
    uint32_t index;
    X86CPU *cpu;
    int chan;
    void *state;
    struct hv_vp_register_page *regpage;
    struct hv_message *msgpage;

    QemuMutex lock;             /* run_pending, undelivered */
    bool run_pending;           /* a RUN_VP awaits its reply */
    bool intercepted;           /* stopped by an intercept (suspend reg) */
    bool undelivered;           /* msgpage holds a message not yet sent */
    bool shutdown;              /* triple-faulted: reset before running */
    int extint;                 /* pending ExtINT vector, or -1 */
    DECLARE_BITMAP(eoi, 256);   /* level EOIs not yet reported (lock) */
    uint64_t notify;            /* DELIVERABILITY_NOTIFICATIONS requests */
    uint16_t sints_ready;       /* requested SINTs now free to report (lock) */
    MshvSimExtraRegs *extra;    /* registers beyond the table (VP thread) */

    /* CPUID and MSR results the VMM registered; the hooks apply them. */
    QemuMutex results_lock;
    GArray *cpuid;              /* of MshvSimCpuid */
    GArray *msr_results;        /* of MshvSimMsrResult */
    bool injecting;             /* the exception is the VMM's: deliver it */

    /* Watching for the next RUN_VP after a stop */
    int64_t poll_ns;            /* how long (poll-window.h); set with BQL */
    int64_t stopped_at;         /* when the VMM's turn began, or 0 */

    /*
     * The request being answered: the channel carries one at a time, and
     * its handler may let the BQL go (run_on_cpu) while another thread
     * answers another VP's.
     */
    uint8_t *req_in;            /* MSHV_SIM_MAX_PAYLOAD bytes */
    uint8_t *req_out;           /* MSHV_HVCALL_MAX_IO_SIZE bytes */
};

typedef struct MshvSimMsrResult {
    uint32_t index;
    uint32_t access;            /* HV_INTERCEPT_ACCESS_MASK_* */
    uint32_t action;            /* HV_UNIMPLEMENTED_MSR_ACTION_* */
} MshvSimMsrResult;

typedef struct MshvSimCpuid {
    uint32_t leaf, subleaf;
    bool subleaf_specific;
    uint32_t value[4], mask[4];     /* EAX, EBX, ECX, EDX */
} MshvSimCpuid;

/* Registers mirrored in the register page, looked up once. */
static const MshvReg *mshv_sim_rp_rflags, *mshv_sim_rp_seg[6],
                     *mshv_sim_rp_xmm[6], *mshv_sim_rp_cr8,
                     *mshv_sim_rp_pending, *mshv_sim_rp_istate;

MshvSimVp *mshv_sim_vp_find(MshvSimPartition *pt, uint32_t index)
{
    return index < MSHV_MAX_VPS ? pt->vps[index] : NULL;
}

uint32_t mshv_sim_vp_index(MshvSimVp *vp)
{
    return vp->index;
}

CPUState *mshv_sim_vp_cpu(MshvSimVp *vp)
{
    return CPU(vp->cpu);
}

bool mshv_sim_vp_stopped(MshvSimVp *vp)
{
    bool stopped;

    qemu_mutex_lock(&vp->lock);
    stopped = !vp->run_pending;
    qemu_mutex_unlock(&vp->lock);
    return stopped;
}

static MshvSimVp *mshv_sim_vp_of(CPUState *cs)
{
    return mshv_sim_vp_find(mshv_sim_partition(), X86_CPU(cs)->apic_id);
}

/* ---- Register page ------------------------------------------------------- */

static uint64_t mshv_sim_reg64(const MshvReg *reg, CPUX86State *env)
{
    union hv_register_value v;

    reg->get(reg, env, &v);
    return v.reg64;
}

static void mshv_sim_regpage_fill(MshvSimVp *vp)
{
    struct hv_vp_register_page *rp = vp->regpage;
    CPUX86State *env = &vp->cpu->env;
    union hv_register_value v;
    int i;

    for (i = 0; i < 16; i++) {
        rp->gp_registers[i] = env->regs[i];
    }
    rp->rip = env->eip;
    rp->rflags = mshv_sim_reg64(mshv_sim_rp_rflags, env);
    for (i = 0; i < 6; i++) {
        mshv_sim_rp_xmm[i]->get(mshv_sim_rp_xmm[i], env, &v);
        rp->xmm[i] = v.reg128;
        mshv_sim_rp_seg[i]->get(mshv_sim_rp_seg[i], env, &v);
        rp->segment[i] = v.segment;
    }
    rp->cr0 = env->cr[0];
    rp->cr3 = env->cr[3];
    rp->cr4 = env->cr[4];
    rp->cr8 = mshv_sim_reg64(mshv_sim_rp_cr8, env);
    rp->efer = env->efer;
    rp->dr7 = env->dr[7];
    rp->pending_interruption = mshv_sim_reg64(mshv_sim_rp_pending, env);
    rp->interrupt_state = mshv_sim_reg64(mshv_sim_rp_istate, env);
    rp->xfem = env->xcr0;
    rp->dirty = 0;
    /* The VMM may read the page as soon as it sees isvalid. */
    smp_wmb();
    rp->isvalid = 1;
}

/*
 * After the VMM changed state the CPU derives other state from; MMU
 * state (control registers, EFER) also invalidates the TLB, which is
 * costly enough to skip when only GPRs, RIP, flags or segments moved.
 */
static void mshv_sim_env_changed(CPUState *cs, bool mmu)
{
    CPUX86State *env = cpu_env(cs);

    x86_update_hflags(env);
    if (mmu) {
        /* CR4 and XCR0 gate SSE, AVX, SMAP, UMIP and MPX: hflags too */
        cpu_x86_update_cr4(env, env->cr[4]);
        cpu_sync_bndcs_hflags(env);
        tlb_flush(cs);
    }
}

static bool mshv_sim_reg_is_mmu(uint32_t name)
{
    return (name >= HV_X64_REGISTER_CR0 && name <= HV_X64_REGISTER_XFEM) ||
           name == HV_X64_REGISTER_EFER || name == HV_X64_REGISTER_PAT ||
           name == HV_X64_REGISTER_APIC_BASE;
}

/*
 * Take what the VMM wrote into a valid register page.  Before a register
 * hypercall too: the VMM's page writes (an RIP advance past an emulated
 * instruction) come first in its program order and must not be lost.
 */
static void mshv_sim_regpage_flush(MshvSimVp *vp)
{
    struct hv_vp_register_page *rp = vp->regpage;
    CPUX86State *env = &vp->cpu->env;
    uint32_t dirty = qatomic_read(&rp->dirty);

    if (dirty) {
        trace_mshv_sim_vp_regpage_dirty(vp->index, rp->isvalid, dirty);
    }
    if (!rp->isvalid || !dirty) {
        return;
    }
    /* Read the fields only after the dirty mask that covers them. */
    smp_rmb();
    mshv_regs_from_page(rp, dirty, env);
    mshv_sim_env_changed(CPU(vp->cpu), false);
    rp->dirty = 0;
}

/* At entry: the page is the VMM's no more until the next exit fills it. */
static void mshv_sim_regpage_apply(MshvSimVp *vp)
{
    mshv_sim_regpage_flush(vp);
    vp->regpage->dirty = 0;
    vp->regpage->isvalid = 0;
}

/* ---- Stopping and running ------------------------------------------------ */

static void mshv_sim_vp_reply_run(MshvSimVp *vp, int ret,
                                  const struct hv_message *msg)
{
    MshvSimHeader hdr = {
        .op = MSHV_SIM_OP_RUN_VP,
        .ret = ret,
        .len = msg ? sizeof(*msg) : 0,
    };
    int err = mshv_sim_send(vp->chan, &hdr, msg, NULL, 0);

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
static bool mshv_sim_vp_exit(MshvSimVp *vp, const struct hv_message *msg)
{
    CPUState *cs = CPU(vp->cpu);
    bool pending;

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
static G_NORETURN void mshv_sim_vp_leave(CPUState *cs)
{
    cs->exception_index = EXCP_INTERRUPT;
    cpu_loop_exit(cs);
}

static void mshv_sim_vp_serve(MshvSimVp *vp, bool watched);

/* As much of a request as tells whether a watching VP may take it. */
typedef struct MshvSimPeek {
    MshvSimHeader hdr;
    struct hv_input_translate_virtual_address translate;
} MshvSimPeek;

/*
 * Hypercalls that are part of the VMM's answer to a stop, which the
 * watching VP takes too: a translation of one of the VP's own addresses
 * (a string I/O exit asks for one), an interrupt assertion (a device the
 * exit raised an interrupt).  Nothing that waits for another VP: from
 * inside cpu_exec() that could deadlock against its exclusive work.
 */
static bool mshv_sim_vp_answer_hvcall(MshvSimVp *vp, const MshvSimHeader *h,
                                      const void *payload, size_t len)
{
    const struct hv_input_translate_virtual_address *t = payload;

    if (h->op != MSHV_SIM_OP_HVCALL) {
        return false;
    }
    switch (h->arg[0]) {
    case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
        return true;
    case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
        return h->len >= sizeof(*t) && len >= sizeof(*t) &&
               t->vp_index == vp->index;
    default:
        return false;
    }
}

/*
 * The VMM answered the VP's last stop, with its RUN_VP or a hypercall on
 * the way there (mshv_sim_vp_answer_hvcall).  An answer the VP's own
 * watch took leaves the window as it is; one the main loop had to take
 * adapts it.
 */
static void mshv_sim_vp_answered(MshvSimVp *vp, bool watched)
{
    int64_t stopped_at = qatomic_xchg(&vp->stopped_at, 0);

    if (stopped_at && !watched) {
        qatomic_set(&vp->poll_ns,
                    mshv_sim_poll_window(vp->poll_ns,
                                         get_clock() - stopped_at));
    }
}

/*
 * On the VP's thread, right after a stop: watch the VP channel for the
 * VMM's answer a little while (hw/mshv-sim/poll-window.h) and take it
 * here, sparing two wake-ups: the main loop's, then this thread's.
 * The main loop, which may be woken by the same request, takes it when
 * it gets the BQL first; between looks the BQL is let go, unless the
 * stop came with it held (a failed access to a BQL-locked region).
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

    if (!qatomic_read(&vp->poll_ns)) {
        return;
    }
    if (!locked) {
        bql_lock();
    }
    deadline = qatomic_read(&vp->stopped_at) + vp->poll_ns;
    while (qatomic_read(&cs->stop) && cpu_work_list_empty(cs)) {
        n = recv(vp->chan, &peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
        if (n >= (ssize_t)sizeof(peek.hdr) &&
            peek.hdr.op == MSHV_SIM_OP_RUN_VP) {
            mshv_sim_count(MSHV_SIM_CNT_RUN_WATCHED);
            mshv_sim_vp_serve(vp, true);
            break;
        }
        if (n >= (ssize_t)sizeof(peek.hdr) &&
            mshv_sim_vp_answer_hvcall(vp, &peek.hdr, &peek.translate,
                                      n - sizeof(peek.hdr))) {
            mshv_sim_count(MSHV_SIM_CNT_HVCALL_WATCHED);
            mshv_sim_vp_serve(vp, true);
            /* the VMM's turn again, from now */
            deadline = qatomic_read(&vp->stopped_at) + vp->poll_ns;
            continue;
        }
        if (n >= 0 || errno != EAGAIN || get_clock() >= deadline) {
            break;
        }
        /* and let whatever else wants this CPU run meanwhile */
        if (!locked) {
            bql_unlock();
        }
        sched_yield();
        if (!locked) {
            bql_lock();
        }
    }
    if (!locked) {
        bql_unlock();
    }
}

/* Stop the VP with @msg, counted as @counter, and leave cpu_exec(). */
static G_NORETURN void mshv_sim_vp_stop(MshvSimVp *vp,
                                        const struct hv_message *msg,
                                        MshvSimCounter counter)
{
    mshv_sim_count(counter);
    qatomic_set(&vp->stopped_at, get_clock());
    if (mshv_sim_vp_exit(vp, msg)) {
        mshv_sim_vp_await_run(vp);
    } else {
        qatomic_set(&vp->stopped_at, 0);
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
    mshv_sim_count(MSHV_SIM_CNT_INTERCEPT_APIC_EOI);
    trace_mshv_sim_vp_eoi(vp->index, vector);
    /* only the VP's thread clears run_pending: it still holds */
    mshv_sim_vp_exit(vp, &msg);
    return true;
}

static void mshv_sim_fill_header(CPUState *cs, struct hv_message *msg,
                                 uint32_t type, size_t payload_size,
                                 unsigned insn_len, unsigned access);

/*
 * On the VP's thread: requested SINT-deliverable notifications whose
 * message slot is now free become due.
 */
static void mshv_sim_vp_check_sints(MshvSimVp *vp)
{
    uint16_t want = qatomic_read(&vp->notify) >> HV_DELIVERABILITY_SINTS_SHIFT;
    uint16_t ready;

    if (!want) {
        return;
    }
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
static bool mshv_sim_vp_report_sints(MshvSimVp *vp, unsigned insn_len)
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
    mshv_sim_count(MSHV_SIM_CNT_INTERCEPT_OTHER);
    mshv_sim_vp_exit(vp, &msg);
    return true;
}

/* What the hypervisor has to tell the VMM, one message per RUN_VP. */
static bool mshv_sim_vp_report_pending(MshvSimVp *vp)
{
    return mshv_sim_vp_report_eoi(vp) || mshv_sim_vp_report_sints(vp, 0);
}

static void mshv_sim_vp_eoi_work(CPUState *cs, run_on_cpu_data data)
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

    mshv_sim_regpage_apply(vp);
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

    qemu_mutex_lock(&vp->lock);
    pending = vp->run_pending;
    vp->run_pending = false;
    qemu_mutex_unlock(&vp->lock);

    if (pending) {
        /* Explicit suspend: the VP stops where it is. */
        qatomic_set(&cs->stop, true);
        mshv_sim_regpage_fill(vp);
        mshv_sim_count(MSHV_SIM_CNT_RUN_CANCELLED);
        mshv_sim_vp_reply_run(vp, -EINTR, NULL);
    }
}

static void mshv_sim_vp_run(MshvSimVp *vp, bool watched)
{
    CPUState *cs = CPU(vp->cpu);
    bool busy, undelivered;

    qemu_mutex_lock(&vp->lock);
    busy = vp->run_pending;
    undelivered = vp->undelivered;
    if (!busy && !undelivered) {
        vp->run_pending = true;
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
    mshv_sim_count(MSHV_SIM_CNT_RUN);
    async_run_on_cpu(cs, mshv_sim_vp_run_work, RUN_ON_CPU_HOST_PTR(vp));
    cpu_resume(cs);
}

/* ---- Intercept messages -------------------------------------------------- */

/* Up to 16 bytes at CS:RIP, as far as they can be read. */
static unsigned mshv_sim_fetch_insn(CPUState *cs, uint8_t *buf)
{
    CPUX86State *env = cpu_env(cs);
    vaddr pc = env->segs[R_CS].base + env->eip;
    unsigned n = 16, first = TARGET_PAGE_SIZE - (pc & ~TARGET_PAGE_MASK);

    memset(buf, 0, 16);
    if (first < n) {
        if (cpu_memory_rw_debug(cs, pc, buf, first, false) < 0) {
            return 0;
        }
        if (cpu_memory_rw_debug(cs, pc + first, buf + first, n - first,
                                false) < 0) {
            return first;
        }
        return n;
    }
    return cpu_memory_rw_debug(cs, pc, buf, n, false) < 0 ? 0 : n;
}

static bool mshv_sim_decode(CPUX86State *env, const uint8_t *buf,
                            unsigned len, ZydisDecodedInstruction *insn)
{
    ZydisDecoder dec;
    ZydisMachineMode mode;
    ZydisStackWidth width;

    if (env->hflags & HF_CS64_MASK) {
        mode = ZYDIS_MACHINE_MODE_LONG_64;
        width = ZYDIS_STACK_WIDTH_64;
    } else if (env->hflags & HF_CS32_MASK) {
        mode = env->hflags & HF_LMA_MASK ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 :
               ZYDIS_MACHINE_MODE_LEGACY_32;
        width = ZYDIS_STACK_WIDTH_32;
    } else {
        mode = env->hflags & HF_LMA_MASK ? ZYDIS_MACHINE_MODE_LONG_COMPAT_16 :
               (env->cr[0] & CR0_PE_MASK) ? ZYDIS_MACHINE_MODE_LEGACY_16 :
               ZYDIS_MACHINE_MODE_REAL_16;
        width = ZYDIS_STACK_WIDTH_16;
    }
    return ZYAN_SUCCESS(ZydisDecoderInit(&dec, mode, width)) &&
           ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, buf, len,
                                                      insn));
}

/* The length of the instruction at CS:RIP, or 0 if it cannot be read. */
static unsigned mshv_sim_insn_length(CPUState *cs)
{
    ZydisDecodedInstruction insn;
    uint8_t buf[16];
    unsigned len = mshv_sim_fetch_insn(cs, buf);

    return len && mshv_sim_decode(cpu_env(cs), buf, len, &insn) ?
           insn.length : 0;
}

/* Whether delivering hardware exception @vector pushes an error code. */
static bool mshv_sim_exception_has_error_code(int vector)
{
    switch (vector) {
    case EXCP08_DBLE:
    case EXCP0A_TSS:
    case EXCP0B_NOSEG:
    case EXCP0C_STACK:
    case EXCP0D_GPF:
    case EXCP0E_PAGE:
    case EXCP11_ALGN:
    case 21:                    /* #CP */
        return true;
    default:
        return false;
    }
}

/*
 * The message's header and, at the start of its payload, the intercept
 * header every intercept message begins with.
 */
static void mshv_sim_fill_header(CPUState *cs, struct hv_message *msg,
                                 uint32_t type, size_t payload_size,
                                 unsigned insn_len, unsigned access)
{
    struct hv_x64_intercept_message_header *h = (void *)msg->payload;
    CPUX86State *env = cpu_env(cs);
    X86CPU *cpu = X86_CPU(cs);
    union hv_register_value v;
    uint16_t state = env->hflags & HF_CPL_MASK;

    msg->header.message_type = type;
    msg->header.payload_size = payload_size;
    if (env->cr[0] & CR0_PE_MASK) {
        state |= HV_X64_EXEC_STATE_CR0_PE;
    }
    if (env->cr[0] & CR0_AM_MASK) {
        state |= HV_X64_EXEC_STATE_CR0_AM;
    }
    if (env->hflags & HF_LMA_MASK) {
        state |= HV_X64_EXEC_STATE_EFER_LMA;
    }
    if (env->hflags & HF_INHIBIT_IRQ_MASK) {
        state |= HV_X64_EXEC_STATE_INTERRUPT_SHADOW;
    }
    h->vp_index = cpu->apic_id;
    h->instruction_length_and_cr8 = (insn_len & 0xf) |
        (mshv_sim_reg64(mshv_sim_rp_cr8, env) & 0xf) << 4;
    h->intercept_access_type = access;
    h->execution_state = state;
    mshv_sim_rp_seg[R_CS]->get(mshv_sim_rp_seg[R_CS], env, &v);
    h->cs_segment = v.segment;
    h->rip = env->eip;
    h->rflags = mshv_sim_reg64(mshv_sim_rp_rflags, env);
}

/*
 * A hypercall for the VMM: HVMSG_HYPERCALL_INTERCEPT at the trap (its
 * length completes the call, as a VMCALL's would), the calling
 * convention's registers in the message.
 */
static G_NORETURN void mshv_sim_vp_hypercall_intercept(MshvSimVp *vp)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_hypercall_intercept_message *hc = (void *)msg.payload;
    unsigned i;

    mshv_sim_fill_header(cs, &msg, HVMSG_HYPERCALL_INTERCEPT, sizeof(*hc),
                         MSHV_SIM_HYPERCALL_INSN_LEN,
                         HV_INTERCEPT_ACCESS_EXECUTE);
    hc->rax = env->regs[R_EAX];
    hc->rbx = env->regs[R_EBX];
    hc->rcx = env->regs[R_ECX];
    hc->rdx = env->regs[R_EDX];
    hc->r8 = env->regs[8];
    hc->rsi = env->regs[R_ESI];
    hc->rdi = env->regs[R_EDI];
    for (i = 0; i < ARRAY_SIZE(hc->xmmregisters); i++) {
        hc->xmmregisters[i].low_part = env->xmm_regs[i].ZMM_Q(0);
        hc->xmmregisters[i].high_part = env->xmm_regs[i].ZMM_Q(1);
    }
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

static void mshv_sim_hook_io(CPUX86State *env, uint32_t port, unsigned size,
                             bool is_write, uint32_t data, uintptr_t retaddr)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_vp_of(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    ZydisDecodedInstruction insn;
    union hv_register_value v;
    unsigned len, insn_len = 0;
    bool string = false, rep = false;

    cpu_restore_state(cs, retaddr);
    if (!is_write && mshv_sim_hv_is_hypercall(cs)) {
        /* a call through the hypercall page */
        if (!mshv_sim_hv_hypercall(cs)) {
            mshv_sim_vp_hypercall_intercept(vp);
        }
        cpu_loop_exit(cs);
    }
    len = mshv_sim_fetch_insn(cs, io->instruction_bytes);
    if (len && mshv_sim_decode(env, io->instruction_bytes, len, &insn)) {
        insn_len = insn.length;
        string = insn.mnemonic == ZYDIS_MNEMONIC_INSB ||
                 insn.mnemonic == ZYDIS_MNEMONIC_INSW ||
                 insn.mnemonic == ZYDIS_MNEMONIC_INSD ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSB ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSW ||
                 insn.mnemonic == ZYDIS_MNEMONIC_OUTSD;
        rep = string && (insn.attributes & ZYDIS_ATTRIB_HAS_REP);
    }

    mshv_sim_fill_header(cs, &msg, HVMSG_X64_IO_PORT_INTERCEPT, sizeof(*io),
                         insn_len,
                         is_write ? HV_INTERCEPT_ACCESS_WRITE :
                                    HV_INTERCEPT_ACCESS_READ);
    io->port_number = port;
    io->access_info = size | (string ? HV_X64_IO_ACCESS_STRING_OP : 0) |
                      (rep ? HV_X64_IO_ACCESS_REP_PREFIX : 0);
    io->instruction_byte_count = len;
    io->rax = env->regs[R_EAX];
    mshv_sim_rp_seg[R_DS]->get(mshv_sim_rp_seg[R_DS], env, &v);
    io->ds_segment = v.segment;
    mshv_sim_rp_seg[R_ES]->get(mshv_sim_rp_seg[R_ES], env, &v);
    io->es_segment = v.segment;
    io->rcx = env->regs[R_ECX];
    io->rsi = env->regs[R_ESI];
    io->rdi = env->regs[R_EDI];

    mshv_sim_vp_stop(vp, &msg, string ? MSHV_SIM_CNT_INTERCEPT_IO_STRING :
                                        MSHV_SIM_CNT_INTERCEPT_IO);
}

static void mshv_sim_hook_transaction_failed(CPUState *cs, hwaddr physaddr,
                                             vaddr addr, unsigned size,
                                             MMUAccessType access_type,
                                             MemTxAttrs attrs,
                                             MemTxResult response,
                                             uintptr_t retaddr)
{
    CPUX86State *env = cpu_env(cs);
    MshvSimVp *vp = mshv_sim_vp_of(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    ZydisDecodedInstruction insn;
    bool mapped = mshv_sim_region_find(vp->pt, physaddr) != NULL;
    unsigned len, insn_len = 0;

    if (retaddr) {
        cpu_restore_state(cs, retaddr);
    }
    len = mshv_sim_fetch_insn(cs, mem->instruction_bytes);
    if (len && mshv_sim_decode(env, mem->instruction_bytes, len, &insn)) {
        insn_len = insn.length;
    }

    mshv_sim_fill_header(cs, &msg,
                         mapped ? HVMSG_GPA_INTERCEPT : HVMSG_UNMAPPED_GPA,
                         sizeof(*mem), insn_len,
                         access_type == MMU_DATA_STORE ?
                            HV_INTERCEPT_ACCESS_WRITE :
                         access_type == MMU_INST_FETCH ?
                            HV_INTERCEPT_ACCESS_EXECUTE :
                            HV_INTERCEPT_ACCESS_READ);
    mem->cache_type = 0;        /* uncached, as emulated MMIO is */
    mem->instruction_byte_count = len;
    mem->memory_access_info = HV_X64_MEMORY_ACCESS_GVA_VALID |
                              HV_X64_MEMORY_ACCESS_GVA_GPA_VALID;
    mem->guest_virtual_address = addr;
    mem->guest_physical_address = physaddr;

    mshv_sim_vp_stop(vp, &msg, mapped ? MSHV_SIM_CNT_INTERCEPT_GPA :
                                        MSHV_SIM_CNT_INTERCEPT_UNMAPPED_GPA);
}

static void mshv_sim_hook_triple_fault(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_vp_of(cs);
    struct hv_message msg = { 0 };

    /* The VMM resets the VP: no double fault is in progress any more. */
    env->old_exception = -1;
    mshv_sim_fill_header(cs, &msg, HVMSG_UNRECOVERABLE_EXCEPTION,
                         sizeof(struct hv_x64_intercept_message_header), 0,
                         HV_INTERCEPT_ACCESS_READ);
    vp->shutdown = true;
    mshv_sim_count(MSHV_SIM_CNT_INTERCEPT_OTHER);
    mshv_sim_vp_exit(vp, &msg);
}

/*
 * CPUID as the VP sees it: the model's answer, the hypervisor's leaves,
 * and, with REGISTERED, what the VMM registered on top.
 */
static void mshv_sim_vp_cpuid(MshvSimVp *vp, uint32_t leaf, uint32_t subleaf,
                              bool registered, uint32_t regs[4])
{
    unsigned i, r;

    cpu_x86_cpuid(&vp->cpu->env, leaf, subleaf, &regs[0], &regs[1], &regs[2],
                  &regs[3]);
    /* A child partition has no nested virtualization (TCG's "max" has). */
    if (leaf == 1) {
        regs[2] &= ~CPUID_EXT_VMX;
    } else if (leaf == 0x80000001) {
        regs[2] &= ~CPUID_EXT3_SVM;
    } else if (leaf == 0x8000000a) {
        memset(regs, 0, 4 * sizeof(regs[0]));
    }
    /* The hypervisor leaves are the hypervisor's, never TCG's own. */
    mshv_sim_hv_cpuid(vp->pt, leaf, &regs[0], &regs[1], &regs[2], &regs[3]);
    if (!registered) {
        return;
    }
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->cpuid->len; i++) {
        MshvSimCpuid *c = &g_array_index(vp->cpuid, MshvSimCpuid, i);

        if (c->leaf == leaf &&
            (!c->subleaf_specific || c->subleaf == subleaf)) {
            for (r = 0; r < 4; r++) {
                regs[r] = (regs[r] & ~c->mask[r]) |
                          (c->value[r] & c->mask[r]);
            }
            break;
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
}

/*
 * An intercepted CPUID: HVMSG_X64_CPUID_INTERCEPT with what the VP would
 * have seen; the VMM sets RAX, RBX, RCX, RDX and steps past.
 */
static G_NORETURN void mshv_sim_vp_cpuid_intercept(MshvSimVp *vp,
                                                   const uint32_t regs[4],
                                                   uintptr_t retaddr)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_cpuid_intercept_message *ci = (void *)msg.payload;

    cpu_restore_state(cs, retaddr);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_CPUID_INTERCEPT, sizeof(*ci),
                         mshv_sim_insn_length(cs),
                         HV_INTERCEPT_ACCESS_EXECUTE);
    ci->rax = env->regs[R_EAX];
    ci->rcx = env->regs[R_ECX];
    ci->rdx = env->regs[R_EDX];
    ci->rbx = env->regs[R_EBX];
    ci->default_result_rax = regs[0];
    ci->default_result_rbx = regs[1];
    ci->default_result_rcx = regs[2];
    ci->default_result_rdx = regs[3];
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

/* Every CPUID the guest executes. */
static void mshv_sim_hook_cpuid(CPUX86State *env, uint32_t leaf,
                                uint32_t subleaf, uint32_t *eax,
                                uint32_t *ebx, uint32_t *ecx, uint32_t *edx,
                                uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_vp_of(env_cpu(env));
    uint32_t regs[4];

    if (!vp) {
        return;
    }
    mshv_sim_vp_cpuid(vp, leaf, subleaf, true, regs);
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_CPUID, leaf, 0) ||
        mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID, 0,
                             0)) {
        mshv_sim_vp_cpuid_intercept(vp, regs, retaddr);
    }
    *eax = regs[0];
    *ebx = regs[1];
    *ecx = regs[2];
    *edx = regs[3];
}

/* The XSAVE area size for COMPONENTS, standard or compacted (leaf 0xD). */
static uint32_t mshv_sim_xsave_size(MshvSimVp *vp, uint64_t components,
                                    bool compacted)
{
    uint32_t size = 576, offset = 576, regs[4];
    unsigned i;

    for (i = 2; i < 64; i++) {
        if (!(components & (1ULL << i))) {
            continue;
        }
        mshv_sim_vp_cpuid(vp, 0xd, i, false, regs);
        if (compacted) {
            if (regs[2] & 2) {      /* 64-byte aligned */
                offset = ROUND_UP(offset, 64);
            }
            offset += regs[0];
            size = offset;
        } else {
            size = MAX(size, regs[1] + regs[0]);
        }
    }
    return size;
}

/* HVCALL_GET_VP_CPUID_VALUES */
uint16_t mshv_sim_vp_cpuid_values(MshvSimVp *vp, uint32_t flags,
                                  const struct hv_cpuid_leaf_info *leaves,
                                  unsigned n,
                                  struct hv_output_get_vp_cpuid_values *out)
{
    bool registered = flags & HV_GET_VP_CPUID_APPLY_REGISTERED_VALUES;
    unsigned i;

    for (i = 0; i < n; i++) {
        uint32_t regs[4];

        mshv_sim_vp_cpuid(vp, leaves[i].eax, leaves[i].ecx, registered,
                          regs);
        if (leaves[i].eax == 0xd && leaves[i].ecx <= 1 &&
            !(flags & HV_GET_VP_CPUID_USE_VP_XFEM_XSS)) {
            /* Sizes for the components asked about, not the VP's own. */
            regs[1] = leaves[i].ecx == 0
                ? mshv_sim_xsave_size(vp, leaves[i].xfem, false)
                : mshv_sim_xsave_size(vp, leaves[i].xfem | leaves[i].xss,
                                      true);
        }
        out[i].eax = regs[0];
        out[i].ebx = regs[1];
        out[i].ecx = regs[2];
        out[i].edx = regs[3];
    }
    return HV_STATUS_SUCCESS;
}

uint16_t mshv_sim_vp_register_cpuid(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_cpuid *in)
{
    MshvSimCpuid c = {
        .leaf = in->input_eax,
        .subleaf = in->input_ecx,
        .subleaf_specific = in->subleaf_specific,
        .value = { in->eax, in->ebx, in->ecx, in->edx },
        .mask = { in->eax_mask, in->ebx_mask, in->ecx_mask, in->edx_mask },
    };
    unsigned i;

    trace_mshv_sim_vp_register_cpuid(vp->index, c.leaf, c.subleaf,
                                     c.subleaf_specific ? " (subleaf)" : "",
                                     in->eax, in->ebx, in->ecx, in->edx);
    trace_mshv_sim_vp_register_cpuid_masks(in->eax_mask, in->ebx_mask,
                                           in->ecx_mask, in->edx_mask);
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->cpuid->len; i++) {
        MshvSimCpuid *old = &g_array_index(vp->cpuid, MshvSimCpuid, i);

        if (old->leaf == c.leaf &&
            old->subleaf_specific == c.subleaf_specific &&
            (!c.subleaf_specific || old->subleaf == c.subleaf)) {
            *old = c;
            break;
        }
    }
    if (i == vp->cpuid->len) {
        /* Subleaf-specific results first: they win over a whole leaf. */
        if (c.subleaf_specific) {
            g_array_prepend_val(vp->cpuid, c);
        } else {
            g_array_append_val(vp->cpuid, c);
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
    return HV_STATUS_SUCCESS;
}

/*
 * TCG can take an external interrupt now: deliver the ExtINT the VMM
 * asserted or, if the VMM only asked to hear when the VP can take one,
 * stop with HVMSG_X64_INTERRUPTION_DELIVERABLE -- the VMM then acks its
 * PIC, so the vector is the PIC's at delivery time, as with INTA.
 */
static int mshv_sim_hook_pic_interrupt(CPUX86State *env)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_vp_of(cs);
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
        mshv_sim_count(MSHV_SIM_CNT_INTERCEPT_OTHER);
        mshv_sim_vp_exit(vp, &msg);
    }
    /* Nothing to deliver (the ExtINT was cleared): no interrupt cycle. */
    mshv_sim_vp_leave(cs);
}

static void mshv_sim_hook_apic_interrupt(CPUX86State *env, int vector)
{
    if (mshv_sim_vp_of(env_cpu(env))) {
        mshv_sim_synic_auto_eoi(env_cpu(env), vector);
    }
}

static bool mshv_sim_hook_pic_pending(CPUX86State *env)
{
    MshvSimVp *vp = mshv_sim_vp_of(env_cpu(env));

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
static void mshv_sim_hook_level_eoi(CPUX86State *env, int vector)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_vp_of(cs);

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
 * An intercepted RDMSR/WRMSR: HVMSG_X64_MSR_INTERCEPT; the VMM sets
 * RDX:RAX for a read, or injects #GP, and steps past.
 */
static G_NORETURN void mshv_sim_vp_msr_intercept(MshvSimVp *vp,
                                                 uint32_t index,
                                                 bool is_write,
                                                 uintptr_t retaddr)
{
    CPUState *cs = CPU(vp->cpu);
    CPUX86State *env = cpu_env(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_msr_intercept_message *mi = (void *)msg.payload;

    cpu_restore_state(cs, retaddr);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_MSR_INTERCEPT, sizeof(*mi),
                         mshv_sim_insn_length(cs),
                         is_write ? HV_INTERCEPT_ACCESS_WRITE :
                                    HV_INTERCEPT_ACCESS_READ);
    mi->msr_number = index;
    mi->rdx = env->regs[R_EDX];
    mi->rax = env->regs[R_EAX];
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

static int mshv_sim_hook_msr(CPUX86State *env, uint32_t index,
                             bool is_write, uint64_t *value,
                             uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_vp_of(env_cpu(env));
    int ret;

    if (!vp) {
        return 0;
    }
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_MSR_INDEX, index,
                             is_write ? HV_INTERCEPT_ACCESS_MASK_WRITE :
                                        HV_INTERCEPT_ACCESS_MASK_READ)) {
        mshv_sim_vp_msr_intercept(vp, index, is_write, retaddr);
    }
    ret = mshv_sim_hv_msr(vp, env_cpu(env), index, is_write, value);
    if (ret == 0) {
        ret = mshv_sim_cpu_msr(env_cpu(env), index, is_write, value);
    }
    if (ret > 0 && !is_write && index == MSHV_SIM_MSR_GUEST_IDLE) {
        /* RDMSR done (zero), then as HLT: asleep until an interrupt */
        env->regs[R_EAX] = 0;
        env->regs[R_EDX] = 0;
        env->eip += 2;
        env->hflags &= ~HF_INHIBIT_IRQ_MASK;
        env_cpu(env)->halted = 1;
        env_cpu(env)->exception_index = EXCP_HLT;
        cpu_loop_exit(env_cpu(env));
    }
    if (ret > 0 && is_write && index == HV_X64_MSR_EOM) {
        /* a timer message the slot refused goes first */
        mshv_sim_stimer_eom(vp, env_cpu(env));
        /* a slot the guest emptied: tell the VMM now, after the WRMSR */
        mshv_sim_vp_check_sints(vp);
        if (mshv_sim_vp_report_sints(vp, 2)) {
            mshv_sim_vp_leave(env_cpu(env));
        }
    }
    return ret;
}

/*
 * An MSR neither the hypervisor nor the processor implements: the VMM's
 * if it installed the MSR intercept, else the action the VMM registered
 * for this MSR, else the partition's unimplemented-MSR action.
 */
static int mshv_sim_hook_msr_unimplemented(CPUX86State *env, uint32_t index,
                                           bool is_write, uint64_t *value,
                                           uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_vp_of(env_cpu(env));
    uint32_t access = is_write ? HV_INTERCEPT_ACCESS_MASK_WRITE :
                                 HV_INTERCEPT_ACCESS_MASK_READ;
    uint64_t action;
    unsigned i;

    if (!vp) {
        return 0;
    }
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_MSR, 0, access)) {
        mshv_sim_vp_msr_intercept(vp, index, is_write, retaddr);
    }
    action = qatomic_read(&vp->pt->unimplemented_msr_action);
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->msr_results->len; i++) {
        MshvSimMsrResult *r = &g_array_index(vp->msr_results,
                                             MshvSimMsrResult, i);

        if (r->index == index && (r->access & access)) {
            action = r->action;
            break;
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
    trace_mshv_sim_msr_unimplemented(vp->index, index, is_write, action);
    if (action == HV_UNIMPLEMENTED_MSR_ACTION_FAULT) {
        return -1;
    }
    *value = 0;
    return 0;
}

uint16_t mshv_sim_vp_register_msr_result(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_msr *in)
{
    MshvSimMsrResult r = {
        .index = in->msr_index,
        .access = in->access_type,
        .action = in->action,
    };
    unsigned i;

    if ((r.access & ~(HV_INTERCEPT_ACCESS_MASK_READ |
                      HV_INTERCEPT_ACCESS_MASK_WRITE)) ||
        r.action > HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->msr_results->len; i++) {
        MshvSimMsrResult *old = &g_array_index(vp->msr_results,
                                               MshvSimMsrResult, i);

        if (old->index == r.index && old->access == r.access) {
            g_array_remove_index(vp->msr_results, i);
            break;
        }
    }
    /* the newest first: it wins where access masks overlap */
    g_array_prepend_val(vp->msr_results, r);
    qemu_mutex_unlock(&vp->results_lock);
    return HV_STATUS_SUCCESS;
}

/*
 * An exception the VMM intercepts, about to be delivered: it stays
 * undelivered, the VP stops at the faulting instruction (after it, for a
 * trap) with HVMSG_X64_EXCEPTION_INTERCEPT.  The VMM may inject it back
 * (a pending event), which is then delivered without a second intercept.
 */
static void mshv_sim_hook_exception(CPUX86State *env, int vector,
                                    bool is_int, int error_code,
                                    target_ulong next_eip)
{
    CPUState *cs = env_cpu(env);
    MshvSimVp *vp = mshv_sim_vp_of(cs);
    struct hv_message msg = { 0 };
    struct hv_x64_exception_intercept_message *ex = (void *)msg.payload;
    bool software = is_int && (vector == EXCP03_INT3 || vector == EXCP04_INTO);
    union hv_register_value v;
    unsigned len;

    if (!vp || qatomic_xchg(&vp->injecting, false) ||
        (is_int && !software) ||
        !mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_EXCEPTION, vector,
                              0)) {
        return;
    }
    env->old_exception = -1;
    len = mshv_sim_fetch_insn(cs, ex->instruction_bytes);
    mshv_sim_fill_header(cs, &msg, HVMSG_X64_EXCEPTION_INTERCEPT, sizeof(*ex),
                         software ? next_eip - env->eip :
                                    mshv_sim_insn_length(cs),
                         HV_INTERCEPT_ACCESS_EXECUTE);
    ex->exception_vector = vector;
    if (!is_int && mshv_sim_exception_has_error_code(vector)) {
        ex->exception_info |= HV_X64_EXCEPTION_INFO_ERROR_CODE_VALID;
        ex->error_code = error_code;
    }
    if (software) {
        ex->exception_info |= HV_X64_EXCEPTION_INFO_SOFTWARE;
    }
    ex->instruction_byte_count = len;
    ex->exception_parameter = vector == EXCP0E_PAGE ? env->cr[2] :
                              vector == EXCP01_DB ? env->dr[6] : 0;
    mshv_sim_rp_seg[R_DS]->get(mshv_sim_rp_seg[R_DS], env, &v);
    ex->ds_segment = v.segment;
    mshv_sim_rp_seg[R_SS]->get(mshv_sim_rp_seg[R_SS], env, &v);
    ex->ss_segment = v.segment;
    ex->rax = env->regs[R_EAX];
    ex->rcx = env->regs[R_ECX];
    ex->rdx = env->regs[R_EDX];
    ex->rbx = env->regs[R_EBX];
    ex->rsp = env->regs[R_ESP];
    ex->rbp = env->regs[R_EBP];
    ex->rsi = env->regs[R_ESI];
    ex->rdi = env->regs[R_EDI];
#ifdef TARGET_X86_64
    ex->r8 = env->regs[8];
    ex->r9 = env->regs[9];
    ex->r10 = env->regs[10];
    ex->r11 = env->regs[11];
    ex->r12 = env->regs[12];
    ex->r13 = env->regs[13];
    ex->r14 = env->regs[14];
    ex->r15 = env->regs[15];
#endif
    mshv_sim_vp_stop(vp, &msg, MSHV_SIM_CNT_INTERCEPT_OTHER);
}

static const X86TcgHvHooks mshv_sim_hooks = {
    .msr = mshv_sim_hook_msr,
    .msr_unimplemented = mshv_sim_hook_msr_unimplemented,
    .exception = mshv_sim_hook_exception,
    .level_eoi = mshv_sim_hook_level_eoi,
    .io = mshv_sim_hook_io,
    .transaction_failed = mshv_sim_hook_transaction_failed,
    .triple_fault = mshv_sim_hook_triple_fault,
    .pic_interrupt = mshv_sim_hook_pic_interrupt,
    .pic_pending = mshv_sim_hook_pic_pending,
    .apic_interrupt = mshv_sim_hook_apic_interrupt,
    .cpuid = mshv_sim_hook_cpuid,
};

void mshv_sim_vp_install_hooks(void)
{
    int i;

    mshv_sim_rp_rflags = mshv_reg_find(HV_X64_REGISTER_RFLAGS);
    mshv_sim_rp_cr8 = mshv_reg_find(HV_X64_REGISTER_CR8);
    mshv_sim_rp_pending = mshv_reg_find(HV_REGISTER_PENDING_INTERRUPTION);
    mshv_sim_rp_istate = mshv_reg_find(HV_REGISTER_INTERRUPT_STATE);
    for (i = 0; i < 6; i++) {
        mshv_sim_rp_seg[i] = mshv_reg_find(HV_X64_REGISTER_ES + i);
        mshv_sim_rp_xmm[i] = mshv_reg_find(HV_X64_REGISTER_XMM0 + i);
    }
    x86_tcg_hv_hooks = &mshv_sim_hooks;
}

/* ---- Registers through hypercalls ---------------------------------------- */

typedef struct MshvSimRegsWork {
    MshvSimVp *vp;
    const uint32_t *names;
    const struct hv_register_assoc *assocs;
    union hv_register_value *values;
    unsigned count;
    unsigned done;
    uint16_t status;
} MshvSimRegsWork;

/*
 * External-interrupt (the request VMMs use for a PIC) and SINT requests
 * fire; an NMI request is kept and read back but never fires.
 */
static void mshv_sim_request_notify(MshvSimVp *vp, uint64_t bits)
{
    qatomic_set(&vp->notify, bits);
    if (bits & HV_DELIVERABILITY_INTERRUPT) {
        cpu_interrupt(CPU(vp->cpu), CPU_INTERRUPT_HARD);
    }
    /* a slot already free is reported at the next RUN_VP */
    mshv_sim_vp_check_sints(vp);
}

/* Registers the hypervisor itself owns, not the CPU. */
static bool mshv_sim_get_hv_reg(MshvSimVp *vp, uint32_t name,
                                union hv_register_value *v)
{
    memset(v, 0, sizeof(*v));
    switch (name) {
    case HV_REGISTER_EXPLICIT_SUSPEND:
        v->reg64 = !qatomic_read(&vp->run_pending);
        return true;
    case HV_REGISTER_INTERCEPT_SUSPEND:
        v->reg64 = qatomic_read(&vp->intercepted);
        return true;
    case HV_REGISTER_DISPATCH_SUSPEND:
        return true;
    default:
        return false;
    }
}

/* What VM entry would accept as an event to inject. */
static bool mshv_sim_pending_valid(uint64_t p)
{
    unsigned type = (p & HV_PENDING_INTERRUPTION_TYPE_MASK) >>
                    HV_PENDING_INTERRUPTION_TYPE_SHIFT;
    unsigned vector = (p >> HV_PENDING_INTERRUPTION_VECTOR_SHIFT) & 0xffff;

    if (!(p & HV_PENDING_INTERRUPTION_PENDING)) {
        return true;
    }
    switch (type) {
    case HV_X64_PENDING_INTERRUPT:
        return vector >= 16 && vector <= 0xff;
    case HV_X64_PENDING_NMI:
        return vector == 2;
    case HV_X64_PENDING_EXCEPTION:
        return vector < 32;
    default:
        return false;
    }
}

static void mshv_sim_get_regs_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimRegsWork *w = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    uint64_t *field;
    unsigned i;

    mshv_sim_regpage_flush(w->vp);
    env->tsc = cpu_get_tsc(env) + env->tsc_offset;
    for (i = 0; i < w->count; i++) {
        const MshvReg *reg = mshv_reg_find(w->names[i]);

        if (mshv_sim_get_hv_reg(w->vp, w->names[i], &w->values[i])) {
            continue;
        }
        field = mshv_sim_hv_partition_reg(w->vp->pt, w->names[i]);
        if (field) {
            w->values[i].reg64 = qatomic_read(field);
            continue;
        }
        if (w->names[i] == HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) {
            w->values[i].reg64 = qatomic_read(&w->vp->notify);
            continue;
        }
        if (!reg && mshv_sim_extra_reg_get(w->vp->extra, w->vp->pt, cs,
                                           w->names[i], &w->values[i])) {
            continue;
        }
        if (!reg) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        memset(&w->values[i], 0, sizeof(w->values[i]));
        reg->get(reg, env, &w->values[i]);
    }
    w->done = i;
    for (i = 0; trace_event_get_state_backends(TRACE_MSHV_SIM_VP_GET_REG) &&
                i < w->done; i++) {
        trace_mshv_sim_vp_get_reg(w->vp->index, w->names[i],
                                  w->values[i].reg128.low_part,
                                  w->values[i].reg128.high_part);
    }
}

static void mshv_sim_set_regs_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimRegsWork *w = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    bool tsc = false, mmu = false, stimer = false;
    uint64_t *field;
    unsigned i;

    mshv_sim_regpage_flush(w->vp);
    for (i = 0; i < w->count; i++) {
        uint32_t name = w->assocs[i].name;
        const MshvReg *reg = mshv_reg_find(name);
        union hv_register_value value = w->assocs[i].value, scratch;

        trace_mshv_sim_vp_set_reg(w->vp->index, name,
                                  value.reg128.low_part,
                                  value.reg128.high_part);
        if (mshv_sim_get_hv_reg(w->vp, name, &scratch)) {
            /* The VMM must not write suspend registers: ignore, as Linux. */
            continue;
        }
        if (name == HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) {
            mshv_sim_request_notify(w->vp, w->assocs[i].value.reg64);
            continue;
        }
        field = mshv_sim_hv_partition_reg(w->vp->pt, name);
        if (field) {
            /* restored state: the pages are in guest memory already */
            qatomic_set(field, w->assocs[i].value.reg64);
            continue;
        }
        if (name == HV_REGISTER_PENDING_INTERRUPTION &&
            !mshv_sim_pending_valid(w->assocs[i].value.reg64)) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (!reg && mshv_sim_extra_reg_set(w->vp->extra, w->vp->pt, cs, name,
                                           &value)) {
            continue;
        }
        if (!reg) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (name == HV_X64_REGISTER_TSC_ADJUST) {
            /* as a WRMSR would: the TSC moves (an absolute TSC wins) */
            mshv_sim_tsc_adjust(cs, w->assocs[i].value.reg64);
            continue;
        }
        reg->set(reg, env, &value);
        tsc |= name == HV_X64_REGISTER_TSC;
        mmu |= mshv_sim_reg_is_mmu(name);
        stimer |= name >= HV_REGISTER_STIMER0_CONFIG &&
                  name < HV_REGISTER_STIMER0_CONFIG + 2 * HV_STIMER_COUNT;
    }
    w->done = i;
    if (tsc) {
        env->tsc_offset = env->tsc - cpu_get_tsc(env);
    }
    /* timers count in reference time, which follows the TSC */
    if (stimer || tsc) {
        mshv_sim_stimer_sync(w->vp, cs);
    }
    mshv_sim_env_changed(cs, mmu);
    /* The register page no longer matches: the VMM must re-read it. */
    w->vp->regpage->isvalid = 0;
}

uint16_t mshv_sim_vp_get_registers(MshvSimVp *vp, const uint32_t *names,
                                   unsigned count,
                                   union hv_register_value *values,
                                   unsigned *done)
{
    MshvSimRegsWork w = {
        .vp = vp, .names = names, .values = values, .count = count,
        .status = HV_STATUS_SUCCESS,
    };

    mshv_sim_count(MSHV_SIM_CNT_REGS_GET);
    run_on_cpu(CPU(vp->cpu), mshv_sim_get_regs_work, RUN_ON_CPU_HOST_PTR(&w));
    *done = w.done;
    return w.status;
}

uint16_t mshv_sim_vp_set_registers(MshvSimVp *vp,
                                   const struct hv_register_assoc *regs,
                                   unsigned count, unsigned *done)
{
    MshvSimRegsWork w = {
        .vp = vp, .assocs = regs, .count = count,
        .status = HV_STATUS_SUCCESS,
    };

    mshv_sim_count(MSHV_SIM_CNT_REGS_SET);
    run_on_cpu(CPU(vp->cpu), mshv_sim_set_regs_work, RUN_ON_CPU_HOST_PTR(&w));
    *done = w.done;
    return w.status;
}

/* ---- VP state blobs ------------------------------------------------------ */

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
           (MSHV_SIM_XSAVE_STATES & ~pt->disabled_xsave);
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
            }
        } else {
            mshv_xsave_init(w->buf, mshv_sim_xcomp_bv(w->vp->pt));
            if (!mshv_xsave_from_cpu(cpu, w->buf,
                                     MSHV_SIM_MAX_XSAVE_DATA_SIZE)) {
                w->status = HV_STATUS_INVALID_VP_STATE;
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

static void mshv_sim_vp_state(MshvSimVp *vp, const MshvSimHeader *req,
                              const uint8_t *in, uint32_t len)
{
    g_autofree uint8_t *buf = g_malloc0(MSHV_HV_PAGE_SIZE);
    MshvSimStateWork w = {
        .vp = vp,
        .type = req->arg[0],
        .set = req->op == MSHV_SIM_OP_SET_VP_STATE,
        .buf = buf,
        .len = MIN(len, MSHV_HV_PAGE_SIZE),
        .status = HV_STATUS_INVALID_PARAMETER,
    };

    trace_mshv_sim_vp_state(vp->index, w.type, w.set, w.len);
    if (w.type < MSHV_VP_STATE_COUNT) {
        if (w.set) {
            memcpy(buf, in, w.len);
        }
        run_on_cpu(CPU(vp->cpu), mshv_sim_state_work, RUN_ON_CPU_HOST_PTR(&w));
    }
    mshv_sim_reply(vp->chan, req, 0, w.status, 0, buf,
                   w.set || w.status ? 0 : MSHV_HV_PAGE_SIZE);
}

/* ---- The VP channel ------------------------------------------------------ */

/* A hypercall on the VP's channel. */
static void mshv_sim_vp_hvcall(MshvSimVp *vp, const MshvSimHeader *req,
                               bool watched)
{
    size_t out_size = MIN(req->arg[2], MSHV_HVCALL_MAX_IO_SIZE);
    bool answer = mshv_sim_vp_answer_hvcall(vp, req, vp->req_in, req->len) &&
                  qatomic_read(&vp->stopped_at);
    unsigned done = 0;
    uint16_t status;

    if (answer) {
        mshv_sim_vp_answered(vp, watched);
    }
    memset(vp->req_out, 0, out_size);
    status = mshv_sim_hvcall(vp->pt, vp, req->arg[0], req->arg[1],
                             vp->req_in, req->len, vp->req_out, out_size,
                             &done);
    mshv_sim_reply(vp->chan, req, 0, status, done, vp->req_out, out_size);
    if (answer) {
        /* the RUN_VP it leads to is the rest of the VMM's answer */
        qatomic_set(&vp->stopped_at, get_clock());
    }
}

/*
 * Take one request off the VP's channel and answer it: on the main loop,
 * or (@watched) on the VP's thread watching after a stop.
 */
static void mshv_sim_vp_serve(MshvSimVp *vp, bool watched)
{
    MshvSimHeader req;
    int fds[MSHV_SIM_MAX_FDS];
    unsigned nfds = MSHV_SIM_MAX_FDS;
    int n = mshv_sim_recv(vp->chan, &req, vp->req_in, MSHV_SIM_MAX_PAYLOAD,
                          fds, &nfds);

    while (nfds) {
        close(fds[--nfds]);
    }
    if (n == -EAGAIN) {
        return;
    }
    if (n <= 0) {
        /* The VP fd was closed; the VP itself lives on (as in Linux). */
        qemu_set_fd_handler(vp->chan, NULL, NULL, NULL);
        return;
    }
    trace_mshv_sim_vp_request(vp->index, req.op);

    switch (req.op) {
    case MSHV_SIM_OP_RUN_VP:
        mshv_sim_vp_run(vp, watched);
        break;
    case MSHV_SIM_OP_CANCEL_RUN:
        async_run_on_cpu(CPU(vp->cpu), mshv_sim_vp_cancel_work,
                         RUN_ON_CPU_HOST_PTR(vp));
        break;
    case MSHV_SIM_OP_HVCALL:
        mshv_sim_vp_hvcall(vp, &req, watched);
        break;
    case MSHV_SIM_OP_GET_VP_STATE:
    case MSHV_SIM_OP_SET_VP_STATE:
        mshv_sim_vp_state(vp, &req, vp->req_in, req.len);
        break;
    default:
        mshv_sim_reply(vp->chan, &req, -ENOSYS, 0, 0, NULL, 0);
        break;
    }
}

static void mshv_sim_vp_request(void *opaque)
{
    mshv_sim_vp_serve(opaque, false);
}

uint16_t mshv_sim_vp_create(MshvSimPartition *pt, uint32_t index, int chan,
                            int state_fd)
{
    MachineState *ms = MACHINE(pt);
    Error *err = NULL;
    MshvSimVp *vp;
    Object *cpu;
    void *state;
    unsigned i;

    if (index >= MSHV_MAX_VPS) {
        close(chan);
        close(state_fd);
        return HV_STATUS_INVALID_VP_INDEX;
    }
    if (pt->vps[index]) {
        close(chan);
        close(state_fd);
        return HV_STATUS_INVALID_PARAMETER;
    }
    state = mmap(NULL, MSHV_SIM_STATE_SIZE, PROT_READ | PROT_WRITE,
                 MAP_SHARED, state_fd, 0);
    close(state_fd);
    if (state == MAP_FAILED) {
        error_report("mshv-sim: VP %u: cannot map its state pages: %s",
                     index, strerror(errno));
        close(chan);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }

    vp = g_new0(MshvSimVp, 1);
    vp->pt = pt;
    vp->index = index;
    vp->chan = chan;
    vp->state = state;
    vp->regpage = state;
    vp->msgpage = (void *)((char *)state + MSHV_HV_PAGE_SIZE);
    vp->extint = -1;
    vp->req_in = g_malloc(MSHV_SIM_MAX_PAYLOAD);
    vp->req_out = g_malloc(MSHV_HVCALL_MAX_IO_SIZE);
    qemu_mutex_init(&vp->results_lock);
    vp->cpuid = g_array_new(false, true, sizeof(MshvSimCpuid));
    vp->msr_results = g_array_new(false, true, sizeof(MshvSimMsrResult));
    vp->extra = mshv_sim_extra_regs_new();
    qemu_mutex_init(&vp->lock);
    pt->vps[index] = vp;

    cpu = object_new(ms->cpu_type);
    /* APIC ID = VP index, as the hypervisor defines it. */
    object_property_set_uint(cpu, "apic-id", index, &error_abort);
    /* Created stopped (explicit suspend): the first RUN_VP releases it. */
    DEVICE(cpu)->hotplugged = false;
    if (!qdev_realize(DEVICE(cpu), NULL, &err)) {
        error_report_err(err);
        object_unref(cpu);
        pt->vps[index] = NULL;
        munmap(state, MSHV_SIM_STATE_SIZE);
        close(chan);
        g_free(vp->req_in);
        g_free(vp->req_out);
        g_free(vp);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }
    vp->cpu = X86_CPU(cpu);
    object_unref(cpu);
    cpu_reset(CPU(cpu));
    /* the SynIC's interrupts start masked */
    for (i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
        vp->cpu->env.msr_hv_synic_sint[i] = HV_SINT_MASKED;
    }

    qemu_socket_set_nonblock(chan);
    qemu_set_fd_handler(chan, mshv_sim_vp_request, NULL, vp);
    trace_mshv_sim_vp_create(index);
    return HV_STATUS_SUCCESS;
}
