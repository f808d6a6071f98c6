/*
 * MSHV simulator, driver side: partitions.  MSHV_CREATE_PARTITION starts
 * one hypervisor process per partition and talks to it on the partition
 * channel; the partition fd's ioctls are dispatched here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"
#include "hw/mshv-sim/poll-window.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The hypervisor process's end of the partition channel. */
#define HV_CHANNEL_FD           3

/* How long a destroyed partition's hypervisor process may take to exit. */
#define HV_EXIT_TIMEOUT_MS      5000
/* How long to wait for an exit status to put in the death message. */
#define HV_DEATH_STATUS_MS      200

/* Partition ids as the hypervisor would hand them out. */
static uint64_t g_next_partition_id = 1;

/* ---- The hypervisor process --------------------------------------------- */

static void free_strv(char **v)
{
    if (v) {
        for (char **p = v; *p; p++) {
            free(*p);
        }
        free(v);
    }
}

#define HV_STR_(x) #x
#define HV_STR(x) HV_STR_(x)

static char **hv_argv(const char *hv)
{
    static const char *const fixed[] = {
        "-M", MSHV_SIM_MACHINE_NAME ",channel=3",
        "-accel", "tcg,thread=multi",
        /* VPs are TCG vCPUs created on demand: TCG sizes for the most */
        "-smp", "1,maxcpus=" HV_STR(MSHV_MAX_VPS),
        "-nodefaults", "-no-user-config",
        "-display", "none", "-monitor", "none", "-serial", "none",
    };
    const char *extra = getenv(MSHV_SIM_ENV_HV_ARGS);
    size_t n = 1 + sizeof(fixed) / sizeof(fixed[0]), i = 0;
    char *copy = NULL, *save = NULL, *word;
    char **argv;

    if (extra) {
        copy = strdup(extra);
        if (!copy) {
            return NULL;
        }
        /* upper bound: every other character starts a word */
        n += strlen(extra) / 2 + 1;
    }
    argv = calloc(n + 1, sizeof(*argv));
    if (!argv) {
        free(copy);
        return NULL;
    }
    argv[i++] = strdup(hv);
    for (size_t j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++) {
        argv[i++] = strdup(fixed[j]);
    }
    for (word = copy ? strtok_r(copy, " \t\n", &save) : NULL; word;
         word = strtok_r(NULL, " \t\n", &save)) {
        argv[i++] = strdup(word);
    }
    free(copy);
    for (size_t j = 0; j < i; j++) {
        if (!argv[j]) {
            free_strv(argv);
            return NULL;
        }
    }
    return argv;
}

/*
 * Our environment without LD_PRELOAD (the hypervisor is not a client),
 * and with the TSC rate we answer with (caps.h) in place of any the
 * environment names, so that the two sides agree: *@made, to free with
 * the array.
 */
static char **hv_envp(char **made)
{
    const size_t tsc_len = strlen(MSHV_SIM_ENV_HOST_TSC_HZ "=");
    size_t n = 0, i = 0;
    char **envp;

    *made = NULL;
    for (char **e = environ; e && *e; e++) {
        n++;
    }
    envp = calloc(n + 2, sizeof(*envp));
    if (!envp) {
        return NULL;
    }
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0 &&
            strncmp(*e, MSHV_SIM_ENV_HOST_TSC_HZ "=", tsc_len) != 0) {
            envp[i++] = *e;
        }
    }
    if (asprintf(made, MSHV_SIM_ENV_HOST_TSC_HZ "=%llu",
                 (unsigned long long)mshv_machine_tsc_hz()) < 0) {
        *made = NULL;
        free(envp);
        return NULL;
    }
    envp[i] = *made;
    return envp;
}

/*
 * posix_spawn rather than fork: no atfork handlers, no async-signal-safety
 * worries in a multithreaded client.  The child gets its own process group
 * so that a terminal's ^C reaches the client only; the hypervisor process
 * ends when its channel closes.
 */
static int spawn_hypervisor(MshvPartition *pt, int hv_end)
{
    const char *hv = getenv(MSHV_SIM_ENV_HV);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    MshvHvOutput out;
    sigset_t set;
    char **argv, **envp, *made;
    pid_t pid;
    int err, moved = -1;
    bool piped;

    if (!hv || !*hv) {
        mshv_log("cannot create a partition: set " MSHV_SIM_ENV_HV " to a "
                 "qemu-system-x86_64 built with the MSHV simulator "
                 "(scripts/mshv-sim-run does this)");
        return -ENOENT;
    }
    /*
     * posix_spawn reports a failed exec only where vfork semantics hold
     * (not under valgrind, say); a missing binary is the common mistake.
     */
    if (strchr(hv, '/') && syscall(SYS_faccessat, AT_FDCWD, hv, X_OK) < 0) {
        err = errno;
        mshv_log("cannot start the hypervisor process %s (from "
                 MSHV_SIM_ENV_HV "): %s", hv, strerror(err));
        return -err;
    }
    if (hv_end <= HV_CHANNEL_FD) {
        /*
         * dup2 onto itself would leave close-on-exec set, and stdout or
         * stderr put in place first would replace it
         */
        moved = fcntl(hv_end, F_DUPFD_CLOEXEC, HV_CHANNEL_FD + 1);
        if (moved < 0) {
            return -errno;
        }
        hv_end = moved;
    }
    argv = hv_argv(hv);
    envp = hv_envp(&made);
    if (!argv || !envp) {
        free_strv(argv);
        free(envp);
        free(made);
        if (moved >= 0) {
            mshv_sys_close(moved);
        }
        return -ENOMEM;
    }
    err = mshv_hv_output_open(&out, HV_CHANNEL_FD);
    piped = err == 0;
    if (!piped) {
        mshv_log("the hypervisor process shares this process's stdout and "
                 "stderr (no pipes for its own: %s)", strerror(-err));
    }

    posix_spawn_file_actions_init(&fa);
    /* in its own process group it must never wait for terminal input */
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    if (piped) {
        posix_spawn_file_actions_adddup2(&fa, out.write_end[0],
                                         STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out.write_end[1],
                                         STDERR_FILENO);
    }
    posix_spawn_file_actions_adddup2(&fa, hv_end, HV_CHANNEL_FD);
    /* nothing of the client's but the channel (glibc >= 2.34) */
    posix_spawn_file_actions_addclosefrom_np(&fa, HV_CHANNEL_FD + 1);
    posix_spawnattr_init(&attr);
    sigemptyset(&set);
    posix_spawnattr_setsigmask(&attr, &set);
    sigfillset(&set);
    posix_spawnattr_setsigdefault(&attr, &set);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                             POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    err = posix_spawnp(&pid, hv, &fa, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free_strv(argv);
    free(envp);
    free(made);
    if (moved >= 0) {
        mshv_sys_close(moved);
    }
    if (err) {
        if (piped) {
            mshv_hv_output_close(&out);
        }
        mshv_log("cannot start the hypervisor process %s (from "
                 MSHV_SIM_ENV_HV "): %s", hv, strerror(err));
        return -err;
    }
    if (piped) {
        err = mshv_hv_output_start(&out);
        if (err) {
            mshv_log("the hypervisor process's output is lost (no thread "
                     "to copy it: %s)", strerror(-err));
        }
    }
    pt->pid = pid;
    pt->hv_pid = pid;
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        /* the rest of it */
    }
}

/*
 * Reap the hypervisor process, waiting at most @timeout_ms; then either
 * kill it (@force) or leave it for later.  Never waits for a pid twice:
 * after a reap the number may belong to another child of the client.
 */
static void reap(MshvPartition *pt, long timeout_ms, bool force)
{
    long waited = 0, step = 1;
    int status, saved = errno;
    pid_t r;

    pthread_mutex_lock(&pt->reap_lock);
    while (pt->pid > 0) {
        r = waitpid(pt->pid, &status, WNOHANG);
        if (r == pt->pid) {
            pt->wstatus = status;
            pt->reaped = true;
            pt->pid = 0;
        } else if (r < 0 && errno != EINTR) {
            /* ECHILD: the client reaped it (SIGCHLD handler, SIG_IGN) */
            pt->pid = 0;
        } else if (waited >= timeout_ms) {
            if (force) {
                kill(pt->pid, SIGKILL);
                do {
                    r = waitpid(pt->pid, &status, 0);
                } while (r < 0 && errno == EINTR);
                pt->pid = 0;
            }
            break;
        } else if (r == 0) {
            sleep_ms(step);
            waited += step;
            step = step < 20 ? step * 2 : step;
        }
    }
    pthread_mutex_unlock(&pt->reap_lock);
    errno = saved;
}

int mshv_partition_died(MshvPartition *pt, int err)
{
    char why[128];

    __atomic_store_n(&pt->dead, 1, __ATOMIC_RELEASE);
    if (__atomic_exchange_n(&pt->death_reported, 1, __ATOMIC_ACQ_REL)) {
        return -EIO;
    }
    if (err != -EPROTO) {
        reap(pt, HV_DEATH_STATUS_MS, false);
    }
    pthread_mutex_lock(&pt->reap_lock);
    if (err == -EPROTO) {
        snprintf(why, sizeof(why), "sent a malformed reply");
    } else if (pt->reaped && WIFEXITED(pt->wstatus)) {
        snprintf(why, sizeof(why), "exited with status %d",
                 WEXITSTATUS(pt->wstatus));
    } else if (pt->reaped && WIFSIGNALED(pt->wstatus)) {
        snprintf(why, sizeof(why), "was killed by signal %d (%s)",
                 WTERMSIG(pt->wstatus), strsignal(WTERMSIG(pt->wstatus)));
    } else if (err == -ECONNRESET) {
        snprintf(why, sizeof(why), "closed its channel");
    } else {
        snprintf(why, sizeof(why), "is unreachable (%s)", strerror(-err));
    }
    pthread_mutex_unlock(&pt->reap_lock);
    mshv_log("the hypervisor process (pid %d) of partition %llu %s; "
             "ioctls on that partition now fail with EIO",
             (int)pt->hv_pid, (unsigned long long)pt->id, why);
    return -EIO;
}

static int partition_call(MshvPartition *pt, int chan, uint32_t *bell,
                          int64_t *window,
                          MshvSimHeader *req, const void *payload,
                          uint32_t len, const int *fds, unsigned nfds,
                          MshvSimHeader *rep, void *rbuf, size_t rlen)
{
    int64_t start = window ? mshv_now_ns() : 0;
    bool missed;
    int ret;

    if (__atomic_load_n(&pt->dead, __ATOMIC_ACQUIRE)) {
        return -EIO;
    }
    req->len = len;
    req->nfds = nfds;
    req->ret = 0;
    ret = mshv_chan_send(chan, req, payload, fds, nfds);
    if (ret < 0) {
        return ret == -ECONNRESET || ret == -EPROTO
               ? mshv_partition_died(pt, ret) : ret;
    }
    if (bell) {
        __atomic_add_fetch(bell, 1, __ATOMIC_RELEASE);
    }
    /* a reply the watch (if any) missed adapts the window */
    missed = window && !(*window && mshv_chan_watch(chan, start + *window));
    memset(rep, 0, sizeof(*rep));
    ret = mshv_chan_recv(chan, rep, rbuf, rlen);
    if (ret < 0) {
        return mshv_partition_died(pt, ret);
    }
    if (missed) {
        *window = mshv_sim_poll_window(*window, mshv_now_ns() - start);
    }
    if (rep->op != req->op || rep->ret > 0 || rep->ret < -4095) {
        return mshv_partition_died(pt, -EPROTO);
    }
    return rep->ret < 0 ? rep->ret : ret;
}

int mshv_partition_call(MshvPartition *pt, int chan, MshvSimHeader *req,
                        const void *payload, uint32_t len,
                        const int *fds, unsigned nfds,
                        MshvSimHeader *rep, void *rbuf, size_t rlen)
{
    return partition_call(pt, chan, NULL, NULL, req, payload, len, fds, nfds,
                          rep, rbuf, rlen);
}

int mshv_partition_call_watched(MshvPartition *pt, int chan, uint32_t *bell,
                                int64_t *window, MshvSimHeader *req,
                                const void *payload, uint32_t len,
                                MshvSimHeader *rep, void *rbuf,
                                size_t rlen)
{
    return partition_call(pt, chan, bell, window, req, payload, len, NULL, 0,
                          rep, rbuf, rlen);
}

/* ---- Lifetime -------------------------------------------------------- */

static MshvPartition *partition_new(void)
{
    MshvPartition *pt = calloc(1, sizeof(*pt));

    if (!pt) {
        return NULL;
    }
    pthread_mutex_init(&pt->lock, NULL);
    pthread_mutex_init(&pt->reap_lock, NULL);
    pt->refs = 1;
    pt->chan = -1;
    pt->id = __atomic_fetch_add(&g_next_partition_id, 1, __ATOMIC_RELAXED);
    return pt;
}

/*
 * The last fd is gone.  Closing the channels is what tells the hypervisor
 * process to delete the partition (VPs, memory, everything) and exit.
 */
static void partition_destroy(MshvPartition *pt)
{
    mshv_partition_list_del(pt);
    for (int i = 0; i < MSHV_MAX_VPS; i++) {
        MshvVp *vp = pt->vps[i];

        if (vp) {
            mshv_sys_close(vp->chan);
            mshv_sys_munmap(vp->shared, MSHV_PAGE_SIZE);
            pthread_mutex_destroy(&vp->lock);
            free(vp);
        }
    }
    if (pt->chan >= 0) {
        mshv_sys_close(pt->chan);
    }
    reap(pt, HV_EXIT_TIMEOUT_MS, true);
    mshv_irq_free(pt);
    mshv_memory_free(pt);
    pthread_mutex_destroy(&pt->reap_lock);
    pthread_mutex_destroy(&pt->lock);
    free(pt);
}

void mshv_partition_get(MshvPartition *pt)
{
    __atomic_add_fetch(&pt->refs, 1, __ATOMIC_RELAXED);
}

void mshv_partition_put(MshvPartition *pt)
{
    if (__atomic_sub_fetch(&pt->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        partition_destroy(pt);
    }
}

/* The partition fd's last close: its eventfd bindings go at once. */
void mshv_partition_release(MshvPartition *pt)
{
    pthread_mutex_lock(&pt->lock);
    mshv_irq_release(pt);
    pthread_mutex_unlock(&pt->lock);
}

/* In a forked child: drop the parent's channels, free nothing. */
void mshv_partition_forget_all(MshvPartition *list)
{
    for (MshvPartition *pt = list; pt; pt = pt->next) {
        for (int i = 0; i < MSHV_MAX_VPS; i++) {
            if (pt->vps[i]) {
                mshv_sys_close(pt->vps[i]->chan);
            }
        }
        if (pt->chan >= 0) {
            mshv_sys_close(pt->chan);
        }
        /* the parent reaps the hypervisor process, not us */
        pt->pid = 0;
    }
}

/* ---- MSHV_CREATE_PARTITION ------------------------------------------ */

static bool v1_fields_valid(uint64_t flags, uint64_t isolation)
{
    return !(flags & ~MSHV_PT_FLAGS_MASK) &&
           isolation < MSHV_PT_ISOLATION_COUNT;
}

static bool all_zero(const void *p, size_t len)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < len; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* The argument as the hypervisor process wants it (always v2). */
static int read_create_args(uint64_t arg, struct mshv_create_partition_v2 *a)
{
    struct mshv_create_partition v1;

    memset(a, 0, sizeof(*a));
    if (mshv_copy_from_user(&v1, arg, sizeof(v1)) < 0) {
        return -EFAULT;
    }
    if (!v1_fields_valid(v1.pt_flags, v1.pt_isolation)) {
        return -EINVAL;
    }
    if (!(v1.pt_flags & (1ULL << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES))) {
        a->pt_flags = v1.pt_flags;
        a->pt_isolation = v1.pt_isolation;
        a->pt_num_cpu_fbanks = MSHV_NUM_CPU_FEATURES_BANKS;
        return 0;
    }
    if (mshv_copy_from_user(a, arg, sizeof(*a)) < 0) {
        return -EFAULT;
    }
    /* the caller may have changed it between the two reads */
    if (!v1_fields_valid(a->pt_flags, a->pt_isolation)) {
        return -EINVAL;
    }
    if (a->pt_num_cpu_fbanks != MSHV_NUM_CPU_FEATURES_BANKS ||
        !all_zero(a->pt_rsvd, sizeof(a->pt_rsvd)) ||
        !all_zero(a->pt_rsvd1, sizeof(a->pt_rsvd1))) {
        return -EINVAL;
    }
    return 0;
}

/*
 * A partition of @args in a hypervisor process of its own; NULL with
 * *@err set (-errno) if it could not be made.  @rep: the reply.
 */
static MshvPartition *partition_start(
    const struct mshv_create_partition_v2 *args, MshvSimHeader *rep,
    int *err)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_CREATE_PARTITION };
    MshvPartition *pt;
    int sv[2], ret;

    pt = partition_new();
    if (!pt) {
        *err = -ENOMEM;
        return NULL;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        *err = -errno;
        free(pt);
        return NULL;
    }
    pt->chan = sv[0];
    mshv_partition_list_add(pt);
    ret = spawn_hypervisor(pt, sv[1]);
    mshv_sys_close(sv[1]);
    if (ret == 0) {
        req.arg[0] = MSHV_SIM_PROTOCOL_VERSION;
        ret = mshv_partition_call(pt, pt->chan, &req, args, sizeof(*args),
                                  NULL, 0, rep, NULL, 0);
        if (ret >= 0) {
            ret = mshv_hv_status_to_errno(rep->arg[0]);
        }
    }
    if (ret < 0) {
        mshv_partition_put(pt);
        *err = ret;
        return NULL;
    }
    return pt;
}

long mshv_partition_create(uint64_t arg)
{
    struct mshv_create_partition_v2 args;
    MshvSimHeader rep;
    MshvPartition *pt;
    int ret, fd;

    ret = read_create_args(arg, &args);
    if (ret < 0) {
        return ret;
    }
    pt = partition_start(&args, &rep, &ret);
    if (!pt) {
        return ret;
    }
    pt->xsave_size = rep.arg[1];

    fd = memfd_create("mshv_partition", MFD_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        mshv_partition_put(pt);
        return ret;
    }
    ret = mshv_file_install(fd, MSHV_FILE_PARTITION, pt, NULL);
    if (ret < 0) {
        mshv_sys_close(fd);
        mshv_partition_put(pt);
        return ret;
    }
    return fd;
}

/*
 * Properties of the host's processor that a host profile sets (its
 * feature banks and XSAVE components, for /dev/mshv's own hypercalls):
 * only a hypervisor process knows the profile's -cpu, so a scratch
 * partition's is asked, and goes.  @vals: one per @codes.
 */
int mshv_partition_host_properties(const uint32_t *codes, uint64_t *vals,
                                   unsigned n)
{
    struct mshv_create_partition_v2 args = {
        .pt_flags = 1ULL << MSHV_PT_BIT_LAPIC,
    };
    MshvSimHeader req, rep;
    MshvPartition *pt;
    int ret = 0;

    pt = partition_start(&args, &rep, &ret);
    if (!pt) {
        return ret;
    }
    for (unsigned i = 0; ret >= 0 && i < n; i++) {
        struct hv_input_get_partition_property in = {
            .partition_id = pt->id,
            .property_code = codes[i],
        };
        struct hv_output_get_partition_property out;

        req = (MshvSimHeader) {
            .op = MSHV_SIM_OP_HVCALL,
            .arg = { HVCALL_GET_PARTITION_PROPERTY, 0, sizeof(out) },
        };
        ret = mshv_partition_call(pt, pt->chan, &req, &in, sizeof(in),
                                  NULL, 0, &rep, &out, sizeof(out));
        if (ret >= 0) {
            ret = mshv_hv_status_to_errno(rep.arg[0]);
        }
        if (ret >= 0) {
            vals[i] = out.property_value;
        }
    }
    mshv_partition_put(pt);
    return ret < 0 ? ret : 0;
}

/* ---- Partition-fd ioctls --------------------------------------------- */

static long partition_initialize(MshvPartition *pt)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_INITIALIZE_PARTITION };
    MshvSimHeader rep;
    int ret;

    if (pt->initialized) {
        return 0;
    }
    ret = mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0,
                              &rep, NULL, 0);
    if (ret >= 0) {
        ret = mshv_hv_status_to_errno(rep.arg[0]);
    }
    if (ret == 0) {
        pt->initialized = true;
    }
    return ret;
}

long mshv_partition_ioctl(MshvPartition *pt, unsigned int req, uint64_t arg)
{
    long ret;

    pthread_mutex_lock(&pt->lock);
    switch (req) {
    case MSHV_INITIALIZE_PARTITION:
        ret = partition_initialize(pt);
        break;
    case MSHV_CREATE_VP:
        ret = mshv_vp_create(pt, arg);
        break;
    case MSHV_SET_GUEST_MEMORY:
        ret = mshv_ioctl_set_guest_memory(pt, arg);
        break;
    case MSHV_IRQFD:
        ret = mshv_ioctl_irqfd(pt, arg);
        break;
    case MSHV_IOEVENTFD:
        ret = mshv_ioctl_ioeventfd(pt, arg);
        break;
    case MSHV_SET_MSI_ROUTING:
        ret = mshv_ioctl_set_msi_routing(pt, arg);
        break;
    case MSHV_GET_GPAP_ACCESS_BITMAP:
        ret = mshv_ioctl_get_gpap_access_bitmap(pt, arg);
        break;
    case MSHV_ROOT_HVCALL:
        ret = mshv_hvcall_ioctl(pt, NULL, arg);
        break;
    default:
        ret = -ENOTTY;
        break;
    }
    pthread_mutex_unlock(&pt->lock);
    return ret;
}
