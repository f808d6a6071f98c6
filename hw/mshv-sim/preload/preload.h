/*
 * MSHV simulator, driver side: a preload library that plays Linux's
 * mshv_root driver inside an unmodified /dev/mshv client and forwards
 * what the hypervisor would do to the simulator's hypervisor process.
 *
 * Internal interfaces shared by the library's files.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_PRELOAD_H
#define HW_MSHV_SIM_PRELOAD_H

/*
 * The interposers must define the plain symbols (open, mmap, stat, ...):
 * large-file redirection (open -> open64) and fortified inline wrappers
 * would turn our definitions into duplicates or conflicts, whatever
 * flags the surrounding build passes.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hw/hyperv/mshv-abi.h"
#include "hw/mshv-sim/protocol.h"

/*
 * Only the interposed libc names leave the library: the client (QEMU
 * itself) may have mshv_* symbols of its own, and neither side must bind
 * to the other's.
 */
#pragma GCC visibility push(hidden)

#define MSHV_PAGE_SIZE          4096ULL
#define MSHV_PAGE_ALIGNED(x)    (((x) & (MSHV_PAGE_SIZE - 1)) == 0)

/* Largest hypercall batch of MSHV_GET_GPAP_ACCESS_BITMAP, as the driver. */
#define MSHV_GPAP_BATCH_PAGES   4095

typedef struct MshvPartition MshvPartition;
typedef struct MshvVp MshvVp;
typedef struct MshvRegion MshvRegion;
typedef struct MshvIrqfd MshvIrqfd;
typedef struct MshvIoeventfd MshvIoeventfd;

/* ---- Open files (preload.c) ------------------------------------------- */

typedef enum MshvFileType {
    MSHV_FILE_DEVICE = 1,
    MSHV_FILE_PARTITION,
    MSHV_FILE_VP,
} MshvFileType;

/*
 * What the kernel calls a struct file: shared by dup()ed fd numbers and
 * kept alive by in-flight calls, so "release" runs once, after the last
 * of them, exactly when Linux would run the driver's release hook.
 */
typedef struct MshvFile {
    MshvFileType type;
    unsigned refs;              /* fd numbers + calls in flight; g_lock */
    dev_t dev;                  /* identity of the real fd, to notice */
    ino_t ino;                  /* fds closed behind our back */
    MshvPartition *pt;          /* partition and VP files */
    MshvVp *vp;                 /* VP files */
} MshvFile;

int mshv_file_install(int fd, MshvFileType type, MshvPartition *pt,
                      MshvVp *vp);
MshvFile *mshv_file_lookup(int fd, bool verify);
void mshv_file_put(MshvFile *f);

/* Raw system calls, so internal fds never pass through our interposers. */
/*
 * libc's own function NAME, looked up once into its slot real_NAME (the
 * interposer's file defines the slot): NULL if libc has none, or while
 * the lookup itself re-enters an interposer (use the system call then).
 */
void *mshv_real_sym(void **slot, const char *name);
#define REAL_ABSENT     ((void *)1)     /* a slot's value once none found */
#define REAL(name, type) ((type)mshv_real_sym(&real_##name, #name))
/* paths.c: resolve the open family's slots (the library's constructor) */
void mshv_paths_init(void);

int mshv_sys_close(int fd);
int mshv_sys_open(const char *path, int flags);
int mshv_sys_dupfd(int fd);
void *mshv_sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off);
int mshv_sys_munmap(void *addr, size_t len);

void mshv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* hv-output.c: the hypervisor process's stdout and stderr, as pipes */
typedef struct MshvHvOutput {
    int read_end[2];            /* stdout, stderr: the client's ends */
    int write_end[2];           /* the hypervisor process's */
} MshvHvOutput;

/* Make the pipes, every descriptor above @floor; 0 or -errno. */
int mshv_hv_output_open(MshvHvOutput *out, int floor);
void mshv_hv_output_close(MshvHvOutput *out);
/*
 * Once the hypervisor process holds its ends: close them here and copy
 * what comes to the client's stdout and stderr; 0 or -errno (then all
 * of @out is closed).
 */
int mshv_hv_output_start(MshvHvOutput *out);

/* ---- User memory (uaccess.c) ------------------------------------------ */

/* 0, or -EFAULT if [addr, addr + len) is not all accessible. */
int mshv_copy_from_user(void *dst, uint64_t src, size_t len);
int mshv_copy_to_user(uint64_t dst, const void *src, size_t len);
int mshv_check_user_readable(uint64_t addr, size_t len);
/* in a forked child, before anything else */
void mshv_uaccess_forked(void);

/* ---- Channel (channel.c) ---------------------------------------------- */

/*
 * Both return -errno on failure; a closed or reset peer is -ECONNRESET,
 * a malformed packet -EPROTO.  mshv_chan_recv returns the payload length
 * it stored (a longer payload is cut to buf_len).
 */
int mshv_chan_send(int sock, const MshvSimHeader *h, const void *payload,
                   const int *fds, unsigned nfds);
int mshv_chan_recv(int sock, MshvSimHeader *h, void *buf, size_t buf_len);
/* CLOCK_MONOTONIC in ns */
int64_t mshv_now_ns(void);
/* A packet is waiting on @sock. */
bool mshv_chan_ready(int sock);
/*
 * Watch @sock for a packet until @deadline (mshv_now_ns()), yielding the
 * CPU between looks (hw/mshv-sim/poll-window.h); whether one came.
 */
bool mshv_chan_watch(int sock, int64_t deadline);

/* ---- Partitions (partition.c) ----------------------------------------- */

struct MshvVp {
    pthread_mutex_t lock;       /* held for each VP-fd ioctl */
    MshvPartition *pt;
    uint32_t index;
    int chan;                   /* VP channel, driver end */
    MshvSimVpShared *shared;    /* page 2 of the VP's memfd */
    int64_t poll_ns;            /* RUN_VP's watch (poll-window.h); lock */
    int64_t call_poll_ns;       /* a hypercall's, on the VP channel; lock */
};

struct MshvPartition {
    pthread_mutex_t lock;       /* partition-fd ioctls, partition channel */
    unsigned refs;              /* partition fd + VP fds; atomic */
    uint64_t id;
    int chan;                   /* partition channel, driver end */
    int64_t call_poll_ns;       /* a hypercall's watch on it; lock */
    int dead;                   /* a channel broke; atomic */
    int death_reported;         /* atomic */

    pthread_mutex_t reap_lock;
    pid_t pid;                  /* hypervisor process; 0 once reaped */
    pid_t hv_pid;               /* the same, for messages */
    bool reaped;
    int wstatus;                /* valid once reaped */

    bool initialized;
    uint32_t xsave_size;        /* of the partition's XSAVE area */
    MshvVp *vps[MSHV_MAX_VPS];

    MshvRegion *regions;
    size_t nr_regions;
    size_t regions_cap;

    struct mshv_user_irq_entry *routes;
    uint32_t nr_routes;
    MshvIrqfd *irqfds;
    MshvIoeventfd *ioeventfds;
    uint32_t next_binding_id;

    MshvPartition *next;        /* all partitions of the process; g_lock */
};

long mshv_partition_create(uint64_t arg);
int mshv_partition_host_properties(const uint32_t *codes, uint64_t *vals,
                                   unsigned n);
long mshv_partition_ioctl(MshvPartition *pt, unsigned int req, uint64_t arg);
void mshv_partition_release(MshvPartition *pt);
void mshv_partition_get(MshvPartition *pt);
void mshv_partition_put(MshvPartition *pt);
void mshv_partition_forget_all(MshvPartition *list);
void mshv_partition_list_add(MshvPartition *pt);
void mshv_partition_list_del(MshvPartition *pt);

/*
 * One request/reply exchange on @chan (the partition channel with pt->lock
 * held, or a VP channel with that VP's lock held).  Returns the reply's
 * payload length, the reply's own -errno, or -EIO once the hypervisor
 * process is gone.
 */
int mshv_partition_call(MshvPartition *pt, int chan, MshvSimHeader *req,
                        const void *payload, uint32_t len,
                        const int *fds, unsigned nfds,
                        MshvSimHeader *rep, void *rbuf, size_t rlen);
/*
 * The same, watching for the reply for *@window ns first (the channel's
 * window, poll-window.h, adapted here): for the hypercalls the hypervisor
 * answers within microseconds.  @bell, if not NULL, is rung once the
 * request is sent (MshvSimVpShared.sent).
 */
int mshv_partition_call_watched(MshvPartition *pt, int chan, uint32_t *bell,
                                int64_t *window, MshvSimHeader *req,
                                const void *payload, uint32_t len,
                                MshvSimHeader *rep, void *rbuf,
                                size_t rlen);
/* A channel broke (err: the channel error); returns -EIO. */
int mshv_partition_died(MshvPartition *pt, int err);

/* ---- VPs (vp.c) ------------------------------------------------------- */

long mshv_vp_create(MshvPartition *pt, uint64_t arg);
long mshv_vp_ioctl(MshvVp *vp, unsigned int req, uint64_t arg);
/*
 * The VP this thread is handling an exit of (its last MSHV_RUN_VP's), if
 * it is @pt's and its lock could be taken: the caller sends on its
 * channel, where the stopped VP's thread answers at once, then unlocks.
 */
MshvVp *mshv_vp_trylock_handled(MshvPartition *pt);
/* A hypercall posted to a stopped, watching VP (vp.c); false: send it. */
bool mshv_vp_post_call(MshvVp *vp, uint16_t code, uint32_t reps,
                       const void *in, uint32_t in_len,
                       void *out, uint32_t out_len,
                       uint16_t *status, uint32_t *reps_done);
void *mshv_vp_mmap(MshvVp *vp, void *addr, size_t len, int prot, int flags,
                   int fd, off_t off);

/* ---- Hypercalls (hvcall.c) -------------------------------------------- */

/* pt == NULL: /dev/mshv (host); vp != NULL: a VP fd. */
long mshv_hvcall_ioctl(MshvPartition *pt, MshvVp *vp, uint64_t arg);
int mshv_hv_status_to_errno(uint64_t status);
/* This machine's TSC rate, measured once per client (caps.h) */
uint64_t mshv_machine_tsc_hz(void);

/* ---- Interrupts (irq.c) ----------------------------------------------- */

long mshv_ioctl_set_msi_routing(MshvPartition *pt, uint64_t arg);
long mshv_ioctl_irqfd(MshvPartition *pt, uint64_t arg);
long mshv_ioctl_ioeventfd(MshvPartition *pt, uint64_t arg);
void mshv_irq_release(MshvPartition *pt);
void mshv_irq_free(MshvPartition *pt);

/* ---- Memory (memory.c) ------------------------------------------------ */

long mshv_ioctl_set_guest_memory(MshvPartition *pt, uint64_t arg);
long mshv_ioctl_get_gpap_access_bitmap(MshvPartition *pt, uint64_t arg);
void mshv_memory_free(MshvPartition *pt);

#pragma GCC visibility pop

/*
 * Interposed libc entry points that glibc's headers do not declare (the
 * _FORTIFY_SOURCE variants, and the stat family of glibc < 2.33).
 */
struct stat;
struct stat64;
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf,
               int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf,
                 int flags);

#endif /* HW_MSHV_SIM_PRELOAD_H */
