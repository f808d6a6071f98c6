/*
 * MSHV simulator, driver side: VPs.  A VP fd is the VP's own memfd
 * (register page, intercept message page, and a third page the VMM
 * cannot map: the two sides' posted runs and replies), shared with the
 * hypervisor process, so mmap of the fd is a plain file mapping; its
 * ioctls go to the hypervisor on the VP's own channel.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "hw/mshv-sim/caps.h"
#include "hw/mshv-sim/poll-window.h"


/* ---- MSHV_CREATE_VP (partition fd, pt->lock held) -------------------- */

static int vp_memfd_new(void)
{
    struct hv_vp_register_page regs = {
        .version = HV_VP_REGISTER_PAGE_VERSION_1,
        .isvalid = 0,
    };
    int fd, saved;

    fd = memfd_create("mshv_vp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, MSHV_SIM_VP_STATE_PAGES * MSHV_PAGE_SIZE) < 0 ||
        pwrite(fd, &regs, sizeof(regs), 0) != sizeof(regs) ||
        /* the hypervisor maps it too: no one may shrink it under us */
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
              F_SEAL_SEAL) < 0) {
        saved = errno;
        mshv_sys_close(fd);
        return -saved;
    }
    return fd;
}

long mshv_vp_create(MshvPartition *pt, uint64_t arg)
{
    struct mshv_create_vp args;
    MshvSimHeader req = { .op = MSHV_SIM_OP_CREATE_VP };
    MshvSimHeader rep;
    MshvVp *vp;
    void *shared;
    int sv[2], fds[2], memfd, ret;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if (args.vp_index >= MSHV_MAX_VPS) {
        return -EINVAL;
    }
    if (pt->vps[args.vp_index]) {
        return -EEXIST;
    }
    if (__atomic_load_n(&pt->dead, __ATOMIC_ACQUIRE)) {
        return -EIO;
    }
    vp = calloc(1, sizeof(*vp));
    if (!vp) {
        return -ENOMEM;
    }
    memfd = vp_memfd_new();
    if (memfd < 0) {
        free(vp);
        return memfd;
    }
    shared = mshv_sys_mmap(NULL, MSHV_PAGE_SIZE, PROT_READ | PROT_WRITE,
                           MAP_SHARED, memfd,
                           MSHV_SIM_VP_SHARED_PAGE * MSHV_PAGE_SIZE);
    if (shared == MAP_FAILED) {
        ret = -errno;
        mshv_sys_close(memfd);
        free(vp);
        return ret;
    }
    vp->shared = shared;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        ret = -errno;
        mshv_sys_munmap(shared, MSHV_PAGE_SIZE);
        mshv_sys_close(memfd);
        free(vp);
        return ret;
    }

    req.arg[0] = args.vp_index;
    fds[0] = sv[1];
    fds[1] = memfd;
    ret = mshv_partition_call(pt, pt->chan, &req, NULL, 0, fds, 2,
                              &rep, NULL, 0);
    mshv_sys_close(sv[1]);
    if (ret >= 0) {
        ret = mshv_hv_status_to_errno(rep.arg[0]);
    }
    if (ret < 0) {
        mshv_sys_close(sv[0]);
        mshv_sys_munmap(shared, MSHV_PAGE_SIZE);
        mshv_sys_close(memfd);
        free(vp);
        return ret;
    }

    pthread_mutex_init(&vp->lock, NULL);
    vp->pt = pt;
    vp->index = args.vp_index;
    vp->chan = sv[0];
    /*
     * The VP exists in the hypervisor now, whatever happens to the fd.
     * Published complete: a forked child reads the array unlocked.
     */
    __atomic_store_n(&pt->vps[args.vp_index], vp, __ATOMIC_RELEASE);

    mshv_partition_get(pt);
    ret = mshv_file_install(memfd, MSHV_FILE_VP, pt, vp);
    if (ret < 0) {
        mshv_partition_put(pt);
        mshv_sys_close(memfd);
        return ret;
    }
    return memfd;
}

/* ---- MSHV_RUN_VP ----------------------------------------------------- */

/* A reply is already waiting (a message raced with the signal). */
/*
 * The VP whose MSHV_RUN_VP this thread last returned with a message: the
 * VP is stopped while the thread handles it, and its thread on the
 * hypervisor side watches its channel for the VMM's answer.
 */
static __thread MshvVp *handled_vp;
static __thread uint32_t handled_index;

MshvVp *mshv_vp_trylock_handled(MshvPartition *pt)
{
    MshvVp *vp = handled_vp;

    /*
     * Compare pointers only (the VP may be another partition's, gone):
     * it is this partition's, and alive, if the partition lists it.
     * Another thread holding its lock (in its own MSHV_RUN_VP, say) means
     * the partition channel instead.
     */
    if (!vp || __atomic_load_n(&pt->vps[handled_index],
                               __ATOMIC_ACQUIRE) != vp ||
        pthread_mutex_trylock(&vp->lock)) {
        return NULL;
    }
    return vp;
}

/*
 * Hand RUN_VP to the stopped VP's thread if it watches for it: no packet
 * (MshvSimVpShared).  False: send one.
 */
static bool post_run(MshvVp *vp)
{
    uint32_t watched = MSHV_SIM_RUN_WATCHED;

    return __atomic_compare_exchange_n(&vp->shared->run_watch, &watched,
                                       MSHV_SIM_RUN_POSTED, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/*
 * Take back a posted RUN_VP the VP's thread has not claimed yet: then
 * nothing ran and no reply is owed.  A cancellation must not be sent in
 * its place: as a packet it could reach the hypervisor before the VP's
 * thread claims the post, and be done before the run it cancels.
 */
static bool withdraw_run(MshvVp *vp)
{
    uint32_t posted = MSHV_SIM_RUN_POSTED;

    return __atomic_compare_exchange_n(&vp->shared->run_watch, &posted,
                                       MSHV_SIM_RUN_WATCHED, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/*
 * Post hypercall @code to @vp's watching thread (MshvSimVpShared): true
 * if it made it (*@status, *@reps_done, @out_len bytes at @out); false if
 * the VP does not watch, or did not take the call in time (taken back:
 * nothing was done, send it).  Only for the hypercalls the watcher takes
 * (mshv_sim_vp_answer_hvcall).  @vp's lock is held.
 */
bool mshv_vp_post_call(MshvVp *vp, uint16_t code, uint32_t reps,
                       const void *in, uint32_t in_len,
                       void *out, uint32_t out_len,
                       uint16_t *status, uint32_t *reps_done)
{
    MshvSimVpShared *sh = vp->shared;
    uint32_t watched = MSHV_SIM_RUN_WATCHED;
    uint32_t posted = MSHV_SIM_RUN_CALL_POSTED;
    int64_t deadline;

    if (in_len > sizeof(sh->call_in) || out_len > sizeof(sh->call_out) ||
        __atomic_load_n(&sh->run_watch, __ATOMIC_ACQUIRE) != watched) {
        return false;
    }
    sh->call_code = code;
    sh->call_reps = reps;
    sh->call_in_len = in_len;
    sh->call_out_len = out_len;
    memcpy(sh->call_in, in, in_len);
    if (!__atomic_compare_exchange_n(&sh->run_watch, &watched,
                                     MSHV_SIM_RUN_CALL_POSTED, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return false;
    }
    /* the watcher claims it within microseconds, or not at all */
    deadline = mshv_now_ns() + MSHV_SIM_POLL_MAX_NS;
    while (!mshv_sim_poll_spin(&sh->run_watch, 1u << MSHV_SIM_RUN_CALL_DONE,
                               NULL, 0)) {
        if (mshv_now_ns() >= deadline &&
            __atomic_compare_exchange_n(&sh->run_watch, &posted,
                                        MSHV_SIM_RUN_WATCHED, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            return false;
        }
        /*
         * Claimed: it is being made, the result comes -- unless the
         * hypervisor process died meanwhile; then the send that follows
         * finds the channel broken and the partition dead.
         */
        if (mshv_now_ns() >= deadline && mshv_sim_chan_hung_up(vp->chan)) {
            return false;
        }
        posted = MSHV_SIM_RUN_CALL_POSTED;
        sched_yield();
    }
    *status = sh->call_status;
    *reps_done = sh->call_reps;
    memcpy(out, sh->call_out, out_len);
    /* the watch is the VP's again */
    __atomic_store_n(&sh->run_watch, MSHV_SIM_RUN_WATCHED, __ATOMIC_RELEASE);
    return true;
}

/* A signal the caller lets in (@mask) is pending: the wait must end. */
static bool signalled(const sigset_t *mask)
{
    sigset_t pending;
    int i;

    if (sigpending(&pending)) {
        return false;
    }
    for (i = 1; i < NSIG; i++) {
        if (sigismember(&pending, i) == 1 && sigismember(mask, i) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Watch for the reply to RUN_VP until @deadline (MshvSimVpShared): true
 * if it came posted, in vp->shared.  The watch ends either way, and
 * early when a signal comes, as the driver's wait would.
 */
static bool watch_reply(MshvVp *vp, int64_t deadline, const sigset_t *mask)
{
    uint32_t *watch = &vp->shared->reply_watch;
    uint32_t watched = MSHV_SIM_RUN_WATCHED;

    do {
        if (mshv_sim_poll_spin(watch, 1u << MSHV_SIM_RUN_POSTED, NULL, 0)) {
            break;
        }
        if (signalled(mask)) {
            break;
        }
        /* and let whatever else wants this CPU run meanwhile */
        sched_yield();
    } while (mshv_now_ns() < deadline);
    if (__atomic_compare_exchange_n(watch, &watched,
                                    MSHV_SIM_RUN_NOT_WATCHED, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return false;
    }
    /* posted: from here on only this side changes it */
    __atomic_store_n(watch, MSHV_SIM_RUN_NOT_WATCHED, __ATOMIC_RELAXED);
    return true;
}

/*
 * Start RUN_VP and wait for its reply: posted (*@posted_reply), or a
 * packet on the channel (0), or a signal came (-EINTR: the run is
 * cancelled or taken back, see vp_run), or the partition died.
 */
static int run_and_wait(MshvVp *vp, bool *posted_reply)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_RUN_VP };
    MshvSimHeader cancel = { .op = MSHV_SIM_OP_CANCEL_RUN };
    struct pollfd p = { .fd = vp->chan, .events = POLLIN };
    int64_t start = mshv_now_ns();
    sigset_t all, mask;
    bool posted;
    int ret, err;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &mask);
    /* before the run starts, so that its reply can only come posted */
    __atomic_store_n(&vp->shared->reply_watch,
                     vp->poll_ns ? MSHV_SIM_RUN_WATCHED
                                 : MSHV_SIM_RUN_NOT_WATCHED,
                     __ATOMIC_RELEASE);
    posted = post_run(vp);
    err = posted ? 0 : mshv_chan_send(vp->chan, &req, NULL, NULL, 0);
    if (err) {
        __atomic_store_n(&vp->shared->reply_watch, MSHV_SIM_RUN_NOT_WATCHED,
                         __ATOMIC_RELAXED);
    } else if (vp->poll_ns && watch_reply(vp, start + vp->poll_ns, &mask)) {
        /* a VP that stops again within microseconds costs no wake-up */
        *posted_reply = true;
        goto out;
    }
    while (!err) {
        ret = ppoll(&p, 1, NULL, &mask);
        if (ret > 0) {
            /* the watch, if any, missed it */
            vp->poll_ns = mshv_sim_poll_window(vp->poll_ns,
                                               mshv_now_ns() - start);
            break;
        }
        if (ret < 0 && errno == EINTR) {
            err = -EINTR;
            break;
        }
        if (ret < 0 && errno != EAGAIN && errno != ENOMEM) {
            err = -errno;
        }
    }
    if (err == -EINTR && posted && withdraw_run(vp)) {
        goto out;
    }
    if (err == -EINTR) {
        /* the reply is owed all the same: it says if a message got in */
        err = mshv_chan_ready(vp->chan) ? 0 :
              mshv_chan_send(vp->chan, &cancel, NULL, NULL, 0);
    }
out:
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    return err;
}

/*
 * Signals are blocked for the whole call and let in only by ppoll(), so
 * a signal that comes at any point after the call began makes it return
 * -EINTR, as one does in the driver, where no handler can run
 * in the middle of an ioctl.  (poll() and ppoll() are never restarted
 * after a handler ran, whatever SA_RESTART says.)  That is how QEMU's
 * vCPU kick stops the VP.  Then the VP is cancelled (or its posted run
 * taken back) and the single reply says whether a message got in first.
 */
static long vp_run(MshvVp *vp, uint64_t arg)
{
    MshvPartition *pt = vp->pt;
    MshvSimHeader rep;
    struct hv_message msg;
    const struct hv_message *reply = &msg;
    bool posted_reply = false;
    int ret;

    handled_vp = NULL;
    if (__atomic_load_n(&pt->dead, __ATOMIC_ACQUIRE)) {
        return -EIO;
    }
    ret = run_and_wait(vp, &posted_reply);
    if (ret == -EINTR) {
        return ret;                 /* taken back: no reply is owed */
    }
    if (ret < 0) {
        return mshv_partition_died(pt, ret);
    }
    if (posted_reply) {
        rep.op = MSHV_SIM_OP_RUN_VP;
        rep.ret = vp->shared->reply_ret;
        reply = (const struct hv_message *)vp->shared->reply_msg;
    } else {
        memset(&msg, 0, sizeof(msg));
        /* uninterruptible from here: exactly one reply is owed */
        ret = mshv_chan_recv(vp->chan, &rep, &msg, sizeof(msg));
        if (ret < 0) {
            return mshv_partition_died(pt, ret);
        }
    }
    if (rep.op != MSHV_SIM_OP_RUN_VP || rep.ret > 0 || rep.ret < -4095) {
        return mshv_partition_died(pt, -EPROTO);
    }
    if (rep.ret < 0) {
        return rep.ret;
    }
    if (mshv_copy_to_user(arg, reply, sizeof(*reply)) < 0) {
        return -EFAULT;
    }
    handled_vp = vp;
    handled_index = vp->index;
    return 0;
}

/* ---- MSHV_GET_VP_STATE / MSHV_SET_VP_STATE --------------------------- */

static uint32_t vp_state_size(MshvVp *vp, uint8_t type)
{
    switch (type) {
    case MSHV_VP_STATE_LAPIC:
    case MSHV_VP_STATE_SIMP:
    case MSHV_VP_STATE_SIEFP:
        return MSHV_HV_PAGE_SIZE;
    case MSHV_VP_STATE_XSAVE:
        return vp->pt->xsave_size;
    case MSHV_VP_STATE_SYNTHETIC_TIMERS:
        return sizeof(struct hv_synthetic_timers_state);
    default:
        return 0;
    }
}

static long vp_state(MshvVp *vp, uint64_t arg, bool set)
{
    struct mshv_get_set_vp_state args;
    MshvSimHeader req = {
        .op = set ? MSHV_SIM_OP_SET_VP_STATE : MSHV_SIM_OP_GET_VP_STATE,
    };
    MshvSimHeader rep;
    uint32_t data_sz;
    uint8_t *buf;
    int ret;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if (args.type >= MSHV_VP_STATE_COUNT ||
        args.rsvd[0] || args.rsvd[1] || args.rsvd[2] ||
        !args.buf_sz || !MSHV_PAGE_ALIGNED(args.buf_sz) ||
        !MSHV_PAGE_ALIGNED(args.buf_ptr)) {
        return -EINVAL;
    }
    data_sz = vp_state_size(vp, args.type);
    /* The driver reports the size it needs whether or not it fits. */
    if (mshv_copy_to_user(arg + offsetof(struct mshv_get_set_vp_state,
                                         buf_sz),
                          &data_sz, sizeof(data_sz)) < 0) {
        return -EFAULT;
    }
    if (data_sz > args.buf_sz) {
        return -EINVAL;
    }
    /* All but the timers travel as whole pinned pages of the buffer. */
    if (args.type != MSHV_VP_STATE_SYNTHETIC_TIMERS &&
        mshv_check_user_readable(args.buf_ptr, args.buf_sz) < 0) {
        return -EFAULT;
    }

    buf = calloc(1, MSHV_HV_PAGE_SIZE);
    if (!buf) {
        return -ENOMEM;
    }
    req.arg[0] = args.type;
    if (set) {
        if (mshv_copy_from_user(buf, args.buf_ptr, data_sz) < 0) {
            ret = -EFAULT;
            goto out;
        }
        ret = mshv_partition_call(vp->pt, vp->chan, &req, buf, data_sz,
                                  NULL, 0, &rep, NULL, 0);
    } else {
        ret = mshv_partition_call(vp->pt, vp->chan, &req, NULL, 0, NULL, 0,
                                  &rep, buf, MSHV_HV_PAGE_SIZE);
    }
    if (ret < 0) {
        goto out;
    }
    ret = mshv_hv_status_to_errno(rep.arg[0]);
    if (ret == 0 && !set &&
        mshv_copy_to_user(args.buf_ptr, buf, data_sz) < 0) {
        ret = -EFAULT;
    }
out:
    free(buf);
    return ret;
}

/* ---- Dispatch -------------------------------------------------------- */

long mshv_vp_ioctl(MshvVp *vp, unsigned int req, uint64_t arg)
{
    long ret;

    /* for the whole call: another ioctl on this VP waits for a RUN_VP */
    pthread_mutex_lock(&vp->lock);
    switch (req) {
    case MSHV_RUN_VP:
        ret = vp_run(vp, arg);
        break;
    case MSHV_GET_VP_STATE:
        ret = vp_state(vp, arg, false);
        break;
    case MSHV_SET_VP_STATE:
        ret = vp_state(vp, arg, true);
        break;
    case MSHV_ROOT_HVCALL:
        ret = mshv_hvcall_ioctl(vp->pt, vp, arg);
        break;
    default:
        ret = -ENOTTY;
        break;
    }
    pthread_mutex_unlock(&vp->lock);
    return ret;
}

/* ---- mmap ------------------------------------------------------------ */

/*
 * Offset 0 is the register page, 1 the intercept message page, 2 the
 * GHCB (never present).  As in the driver, every page of a longer mapping
 * shows the same state page.
 */
void *mshv_vp_mmap(MshvVp *vp, void *addr, size_t len, int prot, int flags,
                   int fd, off_t off)
{
    size_t pages, i;
    void *p, *q;
    int page_flags;

    if (len == 0 || off < 0 || !MSHV_PAGE_ALIGNED((uint64_t)off)) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    switch (off / MSHV_PAGE_SIZE) {
    case MSHV_VP_MMAP_OFFSET_REGISTERS:
    case MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE:
        break;
    case MSHV_VP_MMAP_OFFSET_GHCB:
        errno = ENODEV;
        return MAP_FAILED;
    default:
        errno = EINVAL;
        return MAP_FAILED;
    }
    pages = (len + MSHV_PAGE_SIZE - 1) / MSHV_PAGE_SIZE;
    if (pages == 1) {
        return mshv_sys_mmap(addr, len, prot, flags, fd, off);
    }

    /* reserve the whole range, then put the page at every slot */
    p = mshv_sys_mmap(addr, len, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                      (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)), -1, 0);
    if (p == MAP_FAILED) {
        return p;
    }
    page_flags = (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
    for (i = 0; i < pages; i++) {
        q = mshv_sys_mmap((char *)p + i * MSHV_PAGE_SIZE, MSHV_PAGE_SIZE,
                          prot, page_flags, fd, off);
        if (q == MAP_FAILED) {
            int err = errno;

            mshv_sys_munmap(p, len);
            errno = err;
            return MAP_FAILED;
        }
    }
    return p;
}
