/*
 * MSHV simulator, driver side: the hypervisor process's output follows
 * its client's.
 *
 * A hypervisor process that inherited the client's stdout and stderr
 * would hold them for the partition's life, whatever the client does
 * with its own: a -daemonize'd client's parent (libvirt's capability
 * probe) waits for EOF on those pipes and never saw it.  So the
 * hypervisor writes into pipes, and a thread of the client copies what
 * comes to the client's descriptors 1 and 2 as they are at that moment
 * (/dev/null once a daemon let go of its terminal).  The thread ends
 * when the hypervisor process has gone.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

/* A descriptor moved above @floor (close-on-exec), or -1. */
static int fd_above(int fd, int floor)
{
    int moved;

    if (fd > floor) {
        return fd;
    }
    moved = fcntl(fd, F_DUPFD_CLOEXEC, floor + 1);
    mshv_sys_close(fd);
    return moved;
}

int mshv_hv_output_open(MshvHvOutput *out, int floor)
{
    int i, p[2];

    for (i = 0; i < 2; i++) {
        out->read_end[i] = out->write_end[i] = -1;
    }
    for (i = 0; i < 2; i++) {
        if (pipe2(p, O_CLOEXEC) < 0) {
            goto fail;
        }
        /* clear of the descriptors the spawn puts in place */
        out->read_end[i] = fd_above(p[0], floor);
        out->write_end[i] = fd_above(p[1], floor);
        if (out->read_end[i] < 0 || out->write_end[i] < 0) {
            goto fail;
        }
    }
    return 0;

fail:
    mshv_hv_output_close(out);
    return -errno;
}

void mshv_hv_output_close(MshvHvOutput *out)
{
    int i;

    for (i = 0; i < 2; i++) {
        if (out->read_end[i] >= 0) {
            mshv_sys_close(out->read_end[i]);
        }
        if (out->write_end[i] >= 0) {
            mshv_sys_close(out->write_end[i]);
        }
        out->read_end[i] = out->write_end[i] = -1;
    }
}

static void copy_all(int fd, const char *buf, ssize_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;     /* the client's output is gone: drop it */
        }
        buf += n;
        len -= n;
    }
}

static void *hv_output_thread(void *opaque)
{
    MshvHvOutput *out = opaque;
    struct pollfd p[2] = {
        { .fd = out->read_end[0], .events = POLLIN },
        { .fd = out->read_end[1], .events = POLLIN },
    };
    unsigned open_ends = 2, i;
    char buf[4096];

    while (open_ends) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (i = 0; i < 2; i++) {
            ssize_t n;

            if (p[i].fd < 0 || !p[i].revents) {
                continue;
            }
            n = read(p[i].fd, buf, sizeof(buf));
            if (n > 0) {
                copy_all(STDOUT_FILENO + i, buf, n);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                mshv_sys_close(p[i].fd);
                p[i].fd = -1;
                open_ends--;
            }
        }
    }
    for (i = 0; i < 2; i++) {
        if (p[i].fd >= 0) {
            mshv_sys_close(p[i].fd);
        }
    }
    free(out);
    return NULL;
}

int mshv_hv_output_start(MshvHvOutput *out)
{
    MshvHvOutput *mine = malloc(sizeof(*mine));
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t thread;
    int i, err;

    if (!mine) {
        return -ENOMEM;
    }
    /* the client's hypervisor ends are for the hypervisor process only */
    for (i = 0; i < 2; i++) {
        mshv_sys_close(out->write_end[i]);
        out->write_end[i] = -1;
    }
    *mine = *out;
    out->read_end[0] = out->read_end[1] = -1;
    /* no signal of the client's (SIG_IPI, say) lands on this thread */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&thread, &attr, hv_output_thread, mine);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        *out = *mine;
        free(mine);
        mshv_hv_output_close(out);
        return -err;
    }
    return 0;
}
