/*
 * MSHV simulator, driver side: interposition of the path-based entry
 * points through which a client finds /dev/mshv -- open and its
 * flavours, stat and access probes.  The node exists for them as a
 * character device the caller may open; every other path goes to libc.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#define MSHV_DEVICE_PATH        "/dev/mshv"

/* A plausible identity for the device node (misc major, dynamic minor). */
#define MSHV_DEVICE_RDEV        makedev(10, 120)
#define MSHV_DEVICE_INO         0x6d736876

static void *real_open, *real_open64, *real_openat, *real_openat64;
static void *real___open_2, *real___open64_2;
static void *real___openat_2, *real___openat64_2;
static void *real_stat, *real_lstat, *real_stat64, *real_lstat64;
static void *real_fstatat, *real_fstatat64, *real_statx;
static void *real___xstat, *real___lxstat, *real___xstat64;
static void *real___lxstat64, *real___fxstatat, *real___fxstatat64;
static void *real_access, *real_euidaccess, *real_eaccess, *real_faccessat;

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
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

/* Resolved early, before other threads race to open files. */
void mshv_paths_init(void)
{
    REAL(open, open_fn);
    REAL(open64, open_fn);
    REAL(openat, openat_fn);
    REAL(openat64, openat_fn);
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

/* open() and open64(): the device, else libc's, else the system call. */
static int probe_open(open_fn real, const char *path, int flags,
                      mode_t mode)
{
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    if (real) {
        return real(path, flags, mode);
    }
    return pass_openat(NULL, AT_FDCWD, path, flags, mode);
}

static int probe_openat(openat_fn real, int dirfd, const char *path,
                        int flags, mode_t mode)
{
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    return pass_openat(real, dirfd, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return probe_open(REAL(open, open_fn), path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return probe_open(REAL(open64, open_fn), path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return probe_openat(REAL(openat, openat_fn), dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;

    va_start(ap, flags);
    mode = open_mode(flags, ap);
    va_end(ap);
    return probe_openat(REAL(openat64, openat_fn), dirfd, path, flags, mode);
}

/*
 * The _FORTIFY_SOURCE entry points (no mode: O_CREAT is refused there):
 * libc's @real (no directory) or @real_at, else the system call.
 */
static int probe_open_2(open2_fn real, openat2_fn real_at, int dirfd,
                        const char *path, int flags)
{
    if (is_mshv_path(path)) {
        return open_device(flags);
    }
    if (real) {
        return real(path, flags);
    }
    if (real_at) {
        return real_at(dirfd, path, flags);
    }
    return pass_openat(NULL, dirfd, path, flags, 0);
}

int __open_2(const char *path, int flags)
{
    return probe_open_2(REAL(__open_2, open2_fn), NULL, AT_FDCWD, path,
                        flags);
}

int __open64_2(const char *path, int flags)
{
    return probe_open_2(REAL(__open64_2, open2_fn), NULL, AT_FDCWD, path,
                        flags);
}

int __openat_2(int dirfd, const char *path, int flags)
{
    return probe_open_2(NULL, REAL(__openat_2, openat2_fn), dirfd, path,
                        flags);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    return probe_open_2(NULL, REAL(__openat64_2, openat2_fn), dirfd, path,
                        flags);
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

/* access() and its two aliases: libc's, or the system call they make. */
static int probe_access(access_fn real, const char *path, int mode)
{
    if (is_mshv_path(path)) {
        return fake_access(mode);
    }
    return real ? real(path, mode)
                : syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

int access(const char *path, int mode)
{
    return probe_access(REAL(access, access_fn), path, mode);
}

int euidaccess(const char *path, int mode)
{
    return probe_access(REAL(euidaccess, access_fn), path, mode);
}

int eaccess(const char *path, int mode)
{
    return probe_access(REAL(eaccess, access_fn), path, mode);
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
