/*
 * MSHV simulator, driver side: interposition of the libc entry points
 * through which a client reaches /dev/mshv, and the table of open files.
 *
 * Every mshv fd is a real kernel fd (a memfd), so close, dup, poll on
 * the number, fork and exec behave normally; the table only says which
 * numbers are ours and what they stand for.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* ---- Real functions ---------------------------------------------------- */

/*
 * Resolved lazily: other libraries' constructors may open files before
 * ours runs.  While dlsym itself runs, a re-entered interposer uses the
 * raw system call instead (dlsym may allocate, and allocators may open).
 */
static __thread int in_dlsym;


void *mshv_real_sym(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (p || in_dlsym) {
        return p == REAL_ABSENT ? NULL : p;
    }
    in_dlsym = 1;
    p = dlsym(RTLD_NEXT, name);
    if (!p) {
        /* glibc >= 2.33 keeps the __xstat family as compat symbols only */
        p = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
    }
    in_dlsym = 0;
    __atomic_store_n(slot, p ? p : REAL_ABSENT, __ATOMIC_RELEASE);
    return p;
}

static void *real_ioctl, *real_mmap, *real_mmap64;
static void *real_close, *real_close_range, *real_closefrom;
static void *real_dup, *real_dup2, *real_dup3, *real_fcntl, *real_fcntl64;

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*close_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef void (*closefrom_fn)(int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);

/* ---- Raw system calls -------------------------------------------------- */

int mshv_sys_close(int fd)
{
    return syscall(SYS_close, fd);
}

int mshv_sys_open(const char *path, int flags)
{
    return syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);
}

int mshv_sys_dupfd(int fd)
{
    return syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
}

void *mshv_sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off)
{
    mmap_fn real = REAL(mmap, mmap_fn);

    if (real) {
        return real(addr, len, prot, flags, fd, off);
    }
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int mshv_sys_munmap(void *addr, size_t len)
{
    return syscall(SYS_munmap, addr, len);
}

void mshv_log(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;
    int saved = errno;

    n = snprintf(buf, sizeof(buf), "mshv-sim: ");
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2) {
        n = sizeof(buf) - 2;
    }
    buf[n++] = '\n';
    if (write(STDERR_FILENO, buf, n) < 0) {
        /* nowhere left to report it */
    }
    errno = saved;
}

/* ---- The table of open files ------------------------------------------ */

/* g_lock guards g_files, every MshvFile's refs and the partition list. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static MshvFile **g_files;
static int g_nr_files;
static int g_used;              /* atomic: nonzero entries, a fast "none" */

static int fd_identity(int fd, dev_t *dev, ino_t *ino)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        return -errno;
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return 0;
}

/* Called with g_lock held. */
static int table_set(int fd, MshvFile *f)
{
    if (fd >= g_nr_files) {
        int n = g_nr_files ? g_nr_files : 64;
        MshvFile **t;

        while (n <= fd) {
            n *= 2;
        }
        t = realloc(g_files, n * sizeof(*t));
        if (!t) {
            return -ENOMEM;
        }
        memset(t + g_nr_files, 0, (n - g_nr_files) * sizeof(*t));
        g_files = t;
        g_nr_files = n;
    }
    if (f && !g_files[fd]) {
        __atomic_add_fetch(&g_used, 1, __ATOMIC_RELAXED);
    } else if (!f && g_files[fd]) {
        __atomic_sub_fetch(&g_used, 1, __ATOMIC_RELAXED);
    }
    g_files[fd] = f;
    return 0;
}

/* Called with g_lock held; returns the entry, now owned by the caller. */
static MshvFile *table_take(int fd)
{
    MshvFile *f;

    if (fd < 0 || fd >= g_nr_files || !g_files[fd]) {
        return NULL;
    }
    f = g_files[fd];
    table_set(fd, NULL);
    return f;
}

static void file_release(MshvFile *f)
{
    switch (f->type) {
    case MSHV_FILE_DEVICE:
        break;
    case MSHV_FILE_PARTITION:
        mshv_partition_release(f->pt);
        mshv_partition_put(f->pt);
        break;
    case MSHV_FILE_VP:
        mshv_partition_put(f->pt);
        break;
    }
    free(f);
}

void mshv_file_put(MshvFile *f)
{
    unsigned refs;

    if (!f) {
        return;
    }
    pthread_mutex_lock(&g_lock);
    refs = --f->refs;
    pthread_mutex_unlock(&g_lock);
    if (refs == 0) {
        file_release(f);
    }
}

/*
 * Takes over one partition reference for partition and VP files.  On
 * failure the caller still owns both the fd and the reference.
 */
int mshv_file_install(int fd, MshvFileType type, MshvPartition *pt,
                      MshvVp *vp)
{
    MshvFile *f = calloc(1, sizeof(*f));
    MshvFile *old;
    int ret;

    if (!f) {
        return -ENOMEM;
    }
    f->type = type;
    f->refs = 1;
    f->pt = pt;
    f->vp = vp;
    ret = fd_identity(fd, &f->dev, &f->ino);
    if (ret < 0) {
        free(f);
        return ret;
    }
    pthread_mutex_lock(&g_lock);
    /* A number still listed was closed behind our back: forget it. */
    old = table_take(fd);
    ret = table_set(fd, f);
    if (old && --old->refs != 0) {
        old = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    if (old) {
        file_release(old);
    }
    if (ret < 0) {
        free(f);
    }
    return ret;
}

/*
 * The entry for @fd with a reference the caller must drop, or NULL if
 * the fd is not ours (then the real function must handle it).  @verify:
 * make sure (fstat) that the number still names our file, not another
 * one that took it after a close we did not see (a raw system call).
 */
MshvFile *mshv_file_lookup(int fd, bool verify)
{
    MshvFile *f;
    dev_t dev;
    ino_t ino;

    if (fd < 0 || !__atomic_load_n(&g_used, __ATOMIC_RELAXED)) {
        return NULL;
    }
    pthread_mutex_lock(&g_lock);
    f = fd < g_nr_files ? g_files[fd] : NULL;
    if (f) {
        f->refs++;
    }
    pthread_mutex_unlock(&g_lock);
    if (!f) {
        return NULL;
    }
    if (!verify ||
        (fd_identity(fd, &dev, &ino) == 0 && dev == f->dev &&
         ino == f->ino)) {
        return f;
    }

    /* Closed by a path we do not see (a raw syscall): drop the number. */
    pthread_mutex_lock(&g_lock);
    if (fd < g_nr_files && g_files[fd] == f) {
        table_set(fd, NULL);
        f->refs--;
    }
    pthread_mutex_unlock(&g_lock);
    mshv_file_put(f);
    return NULL;
}

/* @newfd now also names @oldfd's file (after a successful dup). */
static void file_dup(int oldfd, int newfd)
{
    MshvFile *f, *gone = NULL;

    if (newfd < 0 || oldfd == newfd) {
        return;
    }
    pthread_mutex_lock(&g_lock);
    gone = table_take(newfd);
    if (gone && --gone->refs != 0) {
        gone = NULL;
    }
    f = oldfd >= 0 && oldfd < g_nr_files ? g_files[oldfd] : NULL;
    if (f && table_set(newfd, f) == 0) {
        f->refs++;
    }
    pthread_mutex_unlock(&g_lock);
    if (gone) {
        file_release(gone);
    }
}

/* Drop every number in [first, last]; returns how many were listed. */
static int files_take_range(unsigned first, unsigned last, MshvFile ***out,
                            int **fds)
{
    unsigned i, nr;
    int n = 0, cap = 0;

    *out = NULL;
    *fds = NULL;
    if (!__atomic_load_n(&g_used, __ATOMIC_RELAXED)) {
        return 0;
    }
    pthread_mutex_lock(&g_lock);
    nr = g_nr_files;
    for (i = first; i < nr && i <= last; i++) {
        if (g_files[i]) {
            cap++;
        }
    }
    if (cap) {
        *out = malloc(cap * sizeof(**out));
        *fds = malloc(cap * sizeof(**fds));
        if (!*out || !*fds) {
            free(*out);
            free(*fds);
            *out = NULL;
            *fds = NULL;
            cap = 0;
        }
    }
    for (i = first; cap && i < nr && i <= last; i++) {
        if (g_files[i]) {
            (*fds)[n] = i;
            (*out)[n++] = table_take(i);
        }
    }
    pthread_mutex_unlock(&g_lock);
    return n;
}

static void files_put_taken(MshvFile **files, int n)
{
    for (int i = 0; i < n; i++) {
        mshv_file_put(files[i]);
    }
}

static void files_restore(MshvFile **files, int *fds, int n)
{
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < n; i++) {
        if (table_set(fds[i], files[i]) < 0) {
            files[i]->refs--;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

/* ---- fork ---------------------------------------------------------------- */

static MshvPartition *g_partitions;

void mshv_partition_list_add(MshvPartition *pt)
{
    pthread_mutex_lock(&g_lock);
    pt->next = g_partitions;
    g_partitions = pt;
    pthread_mutex_unlock(&g_lock);
}

void mshv_partition_list_del(MshvPartition *pt)
{
    MshvPartition **p;

    pthread_mutex_lock(&g_lock);
    for (p = &g_partitions; *p; p = &(*p)->next) {
        if (*p == pt) {
            *p = pt->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_lock);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&g_lock);
}

/*
 * A forked child must not talk on its parent's channels: requests and
 * replies of two processes would interleave.  It forgets every mshv
 * object (its copies of our fds behave as plain memfds) and closes its
 * copies of the channels, so the hypervisor process still sees EOF when
 * the parent is done.
 */
static void atfork_child(void)
{
    mshv_uaccess_forked();
    pthread_mutex_init(&g_lock, NULL);
    mshv_partition_forget_all(g_partitions);
    g_partitions = NULL;
    /* the entries stay allocated: other fds of the child may share them */
    free(g_files);
    g_files = NULL;
    g_nr_files = 0;
    g_used = 0;
}

__attribute__((constructor))
static void mshv_preload_init(void)
{
    mshv_paths_init();
    REAL(ioctl, ioctl_fn);
    REAL(mmap, mmap_fn);
    REAL(mmap64, mmap_fn);
    REAL(close, close_fn);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- ioctl ------------------------------------------------------------ */

static long device_ioctl(unsigned int req, uint64_t arg)
{
    switch (req) {
    case MSHV_CREATE_PARTITION:
        return mshv_partition_create(arg);
    case MSHV_ROOT_HVCALL:
        return mshv_hvcall_ioctl(NULL, NULL, arg);
    default:
        return -ENOTTY;
    }
}

/* Handled by the VFS before any driver sees them. */
static bool is_vfs_ioctl(unsigned int req)
{
    return req == FIOCLEX || req == FIONCLEX || req == FIONBIO ||
           req == FIOASYNC;
}

int ioctl(int fd, unsigned long request, ...)
{
    unsigned int req = request;     /* the kernel's cmd is 32 bits */
    ioctl_fn real;
    MshvFile *f;
    va_list ap;
    void *argp;
    long ret;
    int saved = errno;

    va_start(ap, request);
    argp = va_arg(ap, void *);
    va_end(ap);

    /*
     * An MSHV ioctl on a number of ours is ours, unverified: the fstat
     * would be one of the three system calls an intercept's MSHV_RUN_VP
     * makes, and as costly as the other two.  Only a close we could not
     * see would make the number name another file, and a caller that
     * then sends it an MSHV ioctl is mistaken either way; anything else
     * (isatty's TCGETS, say) is verified, to reach such a file.
     */
    f = is_vfs_ioctl(req) ? NULL
                          : mshv_file_lookup(fd, _IOC_TYPE(req) != MSHV_IOCTL);
    if (!f) {
        errno = saved;
        real = REAL(ioctl, ioctl_fn);
        return real ? real(fd, request, argp)
                    : syscall(SYS_ioctl, fd, request, argp);
    }

    switch (f->type) {
    case MSHV_FILE_DEVICE:
        ret = device_ioctl(req, (uintptr_t)argp);
        break;
    case MSHV_FILE_PARTITION:
        ret = mshv_partition_ioctl(f->pt, req, (uintptr_t)argp);
        break;
    case MSHV_FILE_VP:
        ret = mshv_vp_ioctl(f->vp, req, (uintptr_t)argp);
        break;
    default:
        ret = -ENOTTY;
        break;
    }
    mshv_file_put(f);
    if (ret < 0) {
        errno = -ret;
        return -1;
    }
    errno = saved;
    return ret;
}

/* ---- mmap ------------------------------------------------------------- */

static void *do_mmap(mmap_fn real, void *addr, size_t len, int prot,
                     int flags, int fd, off_t off)
{
    MshvFile *f;
    void *p;
    int saved = errno;

    f = (flags & MAP_ANONYMOUS) ? NULL : mshv_file_lookup(fd, true);
    if (!f) {
        errno = saved;
        if (real) {
            return real(addr, len, prot, flags, fd, off);
        }
        return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    }
    if (f->type == MSHV_FILE_VP) {
        p = mshv_vp_mmap(f->vp, addr, len, prot, flags, fd, off);
    } else {
        /* neither /dev/mshv nor a partition fd has an mmap method */
        errno = ENODEV;
        p = MAP_FAILED;
    }
    mshv_file_put(f);
    return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(REAL(mmap, mmap_fn), addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(REAL(mmap64, mmap_fn), addr, len, prot, flags, fd, off);
}

/* ---- close and dup ---------------------------------------------------- */

int close(int fd)
{
    close_fn real = REAL(close, close_fn);
    MshvFile *f = NULL;
    int ret, err;

    if (fd >= 0 && __atomic_load_n(&g_used, __ATOMIC_RELAXED)) {
        /* unlisted before the number can be reused by another thread */
        pthread_mutex_lock(&g_lock);
        f = table_take(fd);
        pthread_mutex_unlock(&g_lock);
    }
    ret = real ? real(fd) : mshv_sys_close(fd);
    err = errno;
    mshv_file_put(f);
    errno = err;
    return ret;
}

int close_range(unsigned int first, unsigned int last, int flags)
{
    close_range_fn real = REAL(close_range, close_range_fn);
    MshvFile **files = NULL;
    int *fds = NULL;
    int n = 0, ret, err;

    if (!(flags & CLOSE_RANGE_CLOEXEC) && first <= last) {
        n = files_take_range(first, last, &files, &fds);
    }
    ret = real ? real(first, last, flags)
               : syscall(SYS_close_range, first, last, flags);
    err = errno;
    if (ret < 0) {
        files_restore(files, fds, n);
    } else {
        files_put_taken(files, n);
    }
    free(files);
    free(fds);
    errno = err;
    return ret;
}

void closefrom(int lowfd)
{
    closefrom_fn real = REAL(closefrom, closefrom_fn);
    MshvFile **files;
    int *fds;
    int n, err = errno;

    if (lowfd < 0) {
        lowfd = 0;
    }
    n = files_take_range(lowfd, ~0U, &files, &fds);
    if (real) {
        real(lowfd);
    } else {
        syscall(SYS_close_range, lowfd, ~0U, 0);
    }
    files_put_taken(files, n);
    free(files);
    free(fds);
    errno = err;
}

int dup(int oldfd)
{
    dup_fn real = REAL(dup, dup_fn);
    int ret = real ? real(oldfd) : syscall(SYS_dup, oldfd);
    int err = errno;

    if (ret >= 0) {
        file_dup(oldfd, ret);
    }
    errno = err;
    return ret;
}

static int dup_onto(int ret, int oldfd, int newfd)
{
    int err = errno;

    if (ret >= 0) {
        file_dup(oldfd, newfd);
    }
    errno = err;
    return ret;
}

int dup2(int oldfd, int newfd)
{
    dup2_fn real = REAL(dup2, dup2_fn);

    return dup_onto(real ? real(oldfd, newfd)
                         : syscall(SYS_dup3, oldfd, newfd, 0),
                    oldfd, newfd);
}

int dup3(int oldfd, int newfd, int flags)
{
    dup3_fn real = REAL(dup3, dup3_fn);

    return dup_onto(real ? real(oldfd, newfd, flags)
                         : syscall(SYS_dup3, oldfd, newfd, flags),
                    oldfd, newfd);
}

static int do_fcntl(fcntl_fn real, int fd, int cmd, void *arg)
{
    int ret = real ? real(fd, cmd, arg) : syscall(SYS_fcntl, fd, cmd, arg);
    int err = errno;

    if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
        file_dup(fd, ret);
    }
    errno = err;
    return ret;
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    /* every fcntl argument is an int, a pointer or absent */
    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(REAL(fcntl, fcntl_fn), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(REAL(fcntl64, fcntl_fn), fd, cmd, arg);
}
