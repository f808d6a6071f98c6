/*
 * MSHV simulator, driver side: copy_from_user / copy_to_user.
 *
 * ioctl arguments come from an untrusted caller; a bad pointer must give
 * EFAULT as in the kernel, not a crash inside the library.  The kernel
 * checks every access; we let it, by copying through process_vm_readv /
 * process_vm_writev on ourselves -- unless the buffer lies in the live
 * part of the calling thread's stack, which is there for certain: the
 * usual case (QEMU's MSHV_RUN_VP message, most ioctl arguments), and one
 * system call less on each.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

/* Set once process_vm_* turn out to be unavailable (seccomp, old kernel). */
static int use_proc_mem;

/* Our pid, for process_vm_*: getpid() is a system call each time. */
static pid_t self_pid;

void mshv_uaccess_forked(void)
{
    __atomic_store_n(&self_pid, 0, __ATOMIC_RELAXED);
}

static pid_t self(void)
{
    pid_t pid = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);

    if (!pid) {
        pid = getpid();
        __atomic_store_n(&self_pid, pid, __ATOMIC_RELAXED);
    }
    return pid;
}

static ssize_t proc_mem_rw(void *local, uint64_t remote, size_t len,
                           bool write)
{
    int fd = mshv_sys_open("/proc/self/mem", write ? O_RDWR : O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    if (write) {
        n = pwrite(fd, local, len, (off_t)remote);
    } else {
        n = pread(fd, local, len, (off_t)remote);
    }
    mshv_sys_close(fd);
    return n;
}

/* The top of this thread's stack; UINTPTR_MAX if unknown. */
static __thread uintptr_t stack_top;

/*
 * Between our own frame and the stack's top: memory that cannot go away
 * while we run.  (Not in a signal handler on an alternate stack, whose
 * frame is not on the thread's stack: that takes the checked path.)
 */
static bool on_live_stack(uint64_t addr, size_t len)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    pthread_attr_t attr;
    void *base;
    size_t size;

    if (!stack_top) {
        stack_top = UINTPTR_MAX;
        if (!pthread_getattr_np(pthread_self(), &attr)) {
            if (!pthread_attr_getstack(&attr, &base, &size)) {
                stack_top = (uintptr_t)base + size;
            }
            pthread_attr_destroy(&attr);
        }
    }
    return stack_top != UINTPTR_MAX && sp < stack_top &&
           addr > sp && len <= stack_top - addr && addr < stack_top;
}

static int user_rw(void *local, uint64_t remote, size_t len, bool write)
{
    struct iovec l = { .iov_base = local, .iov_len = len };
    struct iovec r = { .iov_base = (void *)(uintptr_t)remote,
                       .iov_len = len };
    ssize_t n;
    int saved = errno;

    if (len == 0) {
        return 0;
    }
    if (remote + len < remote || (int64_t)remote < 0) {
        return -EFAULT;
    }
    if (on_live_stack(remote, len)) {
        if (write) {
            memcpy((void *)(uintptr_t)remote, local, len);
        } else {
            memcpy(local, (void *)(uintptr_t)remote, len);
        }
        return 0;
    }
    if (!__atomic_load_n(&use_proc_mem, __ATOMIC_RELAXED)) {
        if (write) {
            n = process_vm_writev(self(), &l, 1, &r, 1, 0);
        } else {
            n = process_vm_readv(self(), &l, 1, &r, 1, 0);
        }
        if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
            errno = saved;
            return n == (ssize_t)len ? 0 : -EFAULT;
        }
        __atomic_store_n(&use_proc_mem, 1, __ATOMIC_RELAXED);
    }
    n = proc_mem_rw(local, remote, len, write);
    errno = saved;
    return n == (ssize_t)len ? 0 : -EFAULT;
}

int mshv_copy_from_user(void *dst, uint64_t src, size_t len)
{
    return user_rw(dst, src, len, false);
}

int mshv_copy_to_user(uint64_t dst, const void *src, size_t len)
{
    return user_rw((void *)src, dst, len, true);
}

int mshv_check_user_readable(uint64_t addr, size_t len)
{
    char buf[4096];
    size_t n;
    int ret;

    while (len) {
        n = len < sizeof(buf) ? len : sizeof(buf);
        ret = mshv_copy_from_user(buf, addr, n);
        if (ret < 0) {
            return ret;
        }
        addr += n;
        len -= n;
    }
    return 0;
}
