/*
 * MSHV simulator, driver side: packets on a SOCK_SEQPACKET channel to
 * the hypervisor process (protocol.h): a header, the payload, and file
 * descriptors as SCM_RIGHTS, all in one message.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#define CMSG_FDS_SPACE  CMSG_SPACE(MSHV_SIM_MAX_FDS * sizeof(int))

static bool is_disconnect(int err)
{
    return err == EPIPE || err == ECONNRESET || err == ENOTCONN;
}

int mshv_chan_send(int sock, const MshvSimHeader *h, const void *payload,
                   const int *fds, unsigned nfds)
{
    union {
        char buf[CMSG_FDS_SPACE];
        struct cmsghdr align;
    } ctl;
    MshvSimHeader hdr = *h;
    struct iovec iov[2] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = (void *)payload, .iov_len = h->len },
    };
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = h->len ? 2 : 1,
    };
    ssize_t n;

    if (nfds > MSHV_SIM_MAX_FDS || h->len > MSHV_SIM_MAX_PAYLOAD) {
        return -EINVAL;
    }
    hdr.nfds = nfds;
    if (nfds) {
        struct cmsghdr *c;

        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    do {
        /* MSG_NOSIGNAL: a dead peer is an error, not SIGPIPE */
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return is_disconnect(errno) ? -ECONNRESET : -errno;
    }
    if ((size_t)n != sizeof(hdr) + h->len) {
        return -EPROTO;
    }
    return 0;
}

static void close_received_fds(struct msghdr *msg)
{
    struct cmsghdr *c;

    for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int fd;

            for (size_t i = 0; i < n; i++) {
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
                mshv_sys_close(fd);
            }
        }
    }
}

int mshv_chan_recv(int sock, MshvSimHeader *h, void *buf, size_t buf_len)
{
    union {
        char buf[CMSG_FDS_SPACE];
        struct cmsghdr align;
    } ctl;
    struct iovec iov[2] = {
        { .iov_base = h, .iov_len = sizeof(*h) },
        { .iov_base = buf, .iov_len = buf_len },
    };
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = buf_len ? 2 : 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    ssize_t n;
    size_t got;

    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return is_disconnect(errno) ? -ECONNRESET : -errno;
    }
    if (n == 0) {
        return -ECONNRESET;
    }
    /* Replies never carry descriptors; do not leak any that came. */
    close_received_fds(&msg);
    if ((size_t)n < sizeof(*h)) {
        return -EPROTO;
    }
    got = n - sizeof(*h);
    if (msg.msg_flags & MSG_TRUNC) {
        /* more than we asked for: keep the prefix, as a short read */
        if (h->len < buf_len) {
            return -EPROTO;
        }
        return buf_len;
    }
    if (h->len != got) {
        return -EPROTO;
    }
    return got;
}

int64_t mshv_now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

bool mshv_chan_ready(int sock)
{
    struct pollfd p = { .fd = sock, .events = POLLIN };

    return poll(&p, 1, 0) > 0;
}

bool mshv_chan_watch(int sock, int64_t deadline)
{
    do {
        if (mshv_chan_ready(sock)) {
            return true;
        }
        /* and let whatever else wants this CPU run meanwhile */
        sched_yield();
    } while (mshv_now_ns() < deadline);
    return false;
}
