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
#include <time.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define MSHV_DEVICE_PATH        "/dev/mshv"

/* A plausible identity for the device node (misc major, dynamic minor). */
#define MSHV_DEVICE_RDEV        makedev(10, 120)
#define MSHV_DEVICE_INO         0x6d736876

/* ---- Real functions ---------------------------------------------------- */

/*
 * Resolved lazily: other libraries' constructors may open files before
 * ours runs.  While dlsym itself runs, a re-entered interposer uses the
 * raw system call instead (dlsym may allocate, and allocators may open).
 */
static __thread int in_dlsym;

/* A slot's value once the lookup found nothing (closefrom on old glibc). */
#define REAL_ABSENT     ((void *)1)

static void *real_sym(void **slot, const char *name)
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

#define REAL(name, type) ((type)real_sym(&real_##name, #name))

static void *real_open, *real_open64, *real_openat, *real_openat64;
static void *real___open_2, *real___open64_2;
static void *real___openat_2, *real___openat64_2;
static void *real_ioctl, *real_mmap, *real_mmap64;
static void *real_close, *real_close_range, *real_closefrom;
static void *real_dup, *real_dup2, *real_dup3, *real_fcntl, *real_fcntl64;
static void *real_stat, *real_lstat, *real_stat64, *real_lstat64;
static void *real_fstatat, *real_fstatat64, *real_statx;
static void *real___xstat, *real___lxstat, *real___xstat64;
static void *real___lxstat64, *real___fxstatat, *real___fxstatat64;
static void *real_access, *real_euidaccess, *real_eaccess, *real_faccessat;

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*close_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef void (*closefrom_fn)(int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef int (*stat_fn)(const char *, struct stat *);
typedef int (*stat64_fn)(const char *, struct stat64 *);
typedef int (*fstatat_fn)(int, const char *, struct stat *, int);
typedef int (*fstatat64_fn)(int, const char *, struct stat64 *, int);
typedef int (*xstat_fn)(int, const char *, struct stat *);
typedef int (*xstat64_fn)(int, const char *, struct stat64 *);
typedef int (*fxstatat_fn)(int, int, const char *, struct stat *, int);
typedef int (*fxstatat64_fn)(int, int, const char *, struct stat64 *, int);
typedef int (*statx_fn)(int, const char *, int, unsigned, struct statx *);
typedef int (*access_fn)(const char *, int);
typedef int (*faccessat_fn)(int, const char *, int, int);

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
 * the fd is not ours (then the real function must handle it).
 */
MshvFile *mshv_file_get(int fd)
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
    if (fd_identity(fd, &dev, &ino) == 0 && dev == f->dev && ino == f->ino) {
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
    REAL(open, open_fn);
    REAL(open64, open_fn);
    REAL(openat, openat_fn);
    REAL(openat64, openat_fn);
    REAL(ioctl, ioctl_fn);
    REAL(mmap, mmap_fn);
    REAL(mmap64, mmap_fn);
    REAL(close, close_fn);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- open ------------------------------------------------------------- */

static bool is_mshv_path(const char *path)
{
    return path && strcmp(path, MSHV_DEVICE_PATH) == 0;
}

static int open_device(int flags)
{
    int fd, ret;

    /* What the VFS would say about a character device node. */
    if (flags & O_DIRECTORY) {
        errno = ENOTDIR;
        return -1;
    }
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        errno = EEXIST;
        return -1;
    }
    fd = memfd_create("mshv", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0) {
        return -1;
    }
    ret = mshv_file_install(fd, MSHV_FILE_DEVICE, NULL, NULL);
    if (ret < 0) {
        mshv_sys_close(fd);
        errno = -ret;
        return -1;
    }
    return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        return va_arg(ap, mode_t);
    }
    return 0;
}

static int pass_openat(openat_fn real, int dirfd, const char *path,
                       int flags, mode_t mode)
{
    if (real) {
        return real(dirfd, path, flags, mode);
    }
    return syscall(SYS_openat, dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    open_fn real;
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(open, open_fn);
    if (real) {
        return real(path, flags, mode);
    }
    return pass_openat(NULL, AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    open_fn real;
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(open64, open_fn);
    if (real) {
        return real(path, flags, mode);
    }
    return pass_openat(NULL, AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    return pass_openat(REAL(openat, openat_fn), dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    return pass_openat(REAL(openat64, openat_fn), dirfd, path, flags, mode);
}

/* The _FORTIFY_SOURCE entry points (no mode: O_CREAT is refused there). */
int __open_2(const char *path, int flags)
{
    open2_fn real;

    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(__open_2, open2_fn);
    return real ? real(path, flags)
                : pass_openat(NULL, AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
    open2_fn real;

    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(__open64_2, open2_fn);
    return real ? real(path, flags)
                : pass_openat(NULL, AT_FDCWD, path, flags, 0);
}

int __openat_2(int dirfd, const char *path, int flags)
{
    openat2_fn real;

    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(__openat_2, openat2_fn);
    return real ? real(dirfd, path, flags)
                : pass_openat(NULL, dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    openat2_fn real;

    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    real = REAL(__openat64_2, openat2_fn);
    return real ? real(dirfd, path, flags)
                : pass_openat(NULL, dirfd, path, flags, 0);
}

/* ---- stat and access probes ------------------------------------------- */

/*
 * The node is reported as owned by the caller so that permission checks
 * done by hand agree with access(), which succeeds.
 */
static void device_stat(struct stat *st)
{
    static struct timespec load_time;

    if (!load_time.tv_sec) {
        clock_gettime(CLOCK_REALTIME, &load_time);
    }
    memset(st, 0, sizeof(*st));
    st->st_dev = makedev(0, 5);
    st->st_ino = MSHV_DEVICE_INO;
    st->st_mode = S_IFCHR | 0600;
    st->st_nlink = 1;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_rdev = MSHV_DEVICE_RDEV;
    st->st_blksize = 4096;
    st->st_atim = load_time;
    st->st_mtim = load_time;
    st->st_ctim = load_time;
}

static int fake_stat(void *buf)
{
    struct stat st;

    if (!buf) {
        errno = EFAULT;
        return -1;
    }
    device_stat(&st);
    /* struct stat and struct stat64 are the same on x86-64 */
    memcpy(buf, &st, sizeof(st));
    return 0;
}

static int pass_fstatat(int dirfd, const char *path, void *buf, int flags)
{
    return syscall(SYS_newfstatat, dirfd, path, buf, flags);
}

/*
 * Every stat flavour: the device node is faked, other paths go to libc's
 * function (or, if it has none, the fstatat system call that does the
 * same, with DIRFD and FLAGS as that flavour means them).
 */
#define MSHV_STAT_WRAPPER(name, fn_type, params, args, dirfd, flags)       \
int name params                                                            \
{                                                                          \
    fn_type real;                                                          \
                                                                           \
    if (is_mshv_path(path)) {                                              \
        return fake_stat(buf);                                             \
    }                                                                      \
    real = REAL(name, fn_type);                                            \
    return real ? real args : pass_fstatat(dirfd, path, buf, flags);       \
}

MSHV_STAT_WRAPPER(stat, stat_fn, (const char *path, struct stat *buf),
                  (path, buf), AT_FDCWD, 0)
MSHV_STAT_WRAPPER(lstat, stat_fn, (const char *path, struct stat *buf),
                  (path, buf), AT_FDCWD, AT_SYMLINK_NOFOLLOW)
MSHV_STAT_WRAPPER(stat64, stat64_fn, (const char *path, struct stat64 *buf),
                  (path, buf), AT_FDCWD, 0)
MSHV_STAT_WRAPPER(lstat64, stat64_fn, (const char *path, struct stat64 *buf),
                  (path, buf), AT_FDCWD, AT_SYMLINK_NOFOLLOW)
MSHV_STAT_WRAPPER(fstatat, fstatat_fn,
                  (int dirfd, const char *path, struct stat *buf, int flags),
                  (dirfd, path, buf, flags), dirfd, flags)
MSHV_STAT_WRAPPER(fstatat64, fstatat64_fn,
                  (int dirfd, const char *path, struct stat64 *buf,
                   int flags),
                  (dirfd, path, buf, flags), dirfd, flags)

/* Binaries built against glibc < 2.33 call these instead. */
MSHV_STAT_WRAPPER(__xstat, xstat_fn,
                  (int ver, const char *path, struct stat *buf),
                  (ver, path, buf), AT_FDCWD, 0)
MSHV_STAT_WRAPPER(__lxstat, xstat_fn,
                  (int ver, const char *path, struct stat *buf),
                  (ver, path, buf), AT_FDCWD, AT_SYMLINK_NOFOLLOW)
MSHV_STAT_WRAPPER(__xstat64, xstat64_fn,
                  (int ver, const char *path, struct stat64 *buf),
                  (ver, path, buf), AT_FDCWD, 0)
MSHV_STAT_WRAPPER(__lxstat64, xstat64_fn,
                  (int ver, const char *path, struct stat64 *buf),
                  (ver, path, buf), AT_FDCWD, AT_SYMLINK_NOFOLLOW)
MSHV_STAT_WRAPPER(__fxstatat, fxstatat_fn,
                  (int ver, int dirfd, const char *path, struct stat *buf,
                   int flags),
                  (ver, dirfd, path, buf, flags), dirfd, flags)
MSHV_STAT_WRAPPER(__fxstatat64, fxstatat64_fn,
                  (int ver, int dirfd, const char *path, struct stat64 *buf,
                   int flags),
                  (ver, dirfd, path, buf, flags), dirfd, flags)

int statx(int dirfd, const char *path, int flags, unsigned int mask,
          struct statx *buf)
{
    statx_fn real;
    struct stat st;

    if (is_mshv_path(path)) {
        device_stat(&st);
        memset(buf, 0, sizeof(*buf));
        buf->stx_mask = STATX_BASIC_STATS;
        buf->stx_blksize = st.st_blksize;
        buf->stx_nlink = st.st_nlink;
        buf->stx_uid = st.st_uid;
        buf->stx_gid = st.st_gid;
        buf->stx_mode = st.st_mode;
        buf->stx_ino = st.st_ino;
        buf->stx_atime.tv_sec = st.st_atim.tv_sec;
        buf->stx_atime.tv_nsec = st.st_atim.tv_nsec;
        buf->stx_mtime = buf->stx_atime;
        buf->stx_ctime = buf->stx_atime;
        buf->stx_rdev_major = major(st.st_rdev);
        buf->stx_rdev_minor = minor(st.st_rdev);
        buf->stx_dev_major = major(st.st_dev);
        buf->stx_dev_minor = minor(st.st_dev);
        return 0;
    }
    real = REAL(statx, statx_fn);
    if (real) {
        return real(dirfd, path, flags, mask, buf);
    }
    return syscall(SYS_statx, dirfd, path, flags, mask, buf);
}

static int fake_access(int mode)
{
    /* rw for its owner, as a 0600 node owned by the caller */
    if (mode & X_OK) {
        errno = EACCES;
        return -1;
    }
    return 0;
}

int access(const char *path, int mode)
{
    access_fn real;

    if (is_mshv_path(path)) {
        return fake_access(mode);
    }
    real = REAL(access, access_fn);
    return real ? real(path, mode)
                : syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

int euidaccess(const char *path, int mode)
{
    access_fn real;

    if (is_mshv_path(path)) {
        return fake_access(mode);
    }
    real = REAL(euidaccess, access_fn);
    return real ? real(path, mode)
                : syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

int eaccess(const char *path, int mode)
{
    access_fn real;

    if (is_mshv_path(path)) {
        return fake_access(mode);
    }
    real = REAL(eaccess, access_fn);
    return real ? real(path, mode)
                : syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
    faccessat_fn real;

    if (is_mshv_path(path)) {
        return fake_access(mode);
    }
    real = REAL(faccessat, faccessat_fn);
    return real ? real(dirfd, path, mode, flags)
                : syscall(SYS_faccessat, dirfd, path, mode);
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

    f = is_vfs_ioctl(req) ? NULL : mshv_file_get(fd);
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

    f = (flags & MAP_ANONYMOUS) ? NULL : mshv_file_get(fd);
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
