/*
 * MSHV simulator: packets on the partition and VP channels
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/socket.h>
#include "mshv-sim.h"

/*
 * Receive one packet.  Returns its length (header included), 0 on EOF
 * with no packet, or -errno.  Attached fds beyond *nfds are closed.
 */
int mshv_sim_recv(int fd, MshvSimHeader *hdr, void *payload, size_t max,
                  int *fds, unsigned *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * MSHV_SIM_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov[2] = {
        { .iov_base = hdr, .iov_len = sizeof(*hdr) },
        { .iov_base = payload, .iov_len = max },
    };
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = 2,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    unsigned want = *nfds, got = 0;
    struct cmsghdr *cmsg;
    ssize_t n;

    /* no fds unless a packet brings some: callers close what *nfds says */
    *nfds = 0;
    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            int *p = (int *)CMSG_DATA(cmsg);
            size_t i, count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            for (i = 0; i < count; i++) {
                if (got < want) {
                    fds[got++] = p[i];
                } else {
                    close(p[i]);
                }
            }
        }
    }
    *nfds = got;
    if (n == 0) {
        return 0;
    }
    if (n < sizeof(*hdr) || (msg.msg_flags & MSG_TRUNC) ||
        hdr->len != n - sizeof(*hdr)) {
        while (got) {
            close(fds[--got]);
        }
        *nfds = 0;
        return -EPROTO;
    }
    return n;
}

int mshv_sim_send(int fd, const MshvSimHeader *hdr, const void *payload,
                  const int *fds, unsigned nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * MSHV_SIM_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
        { .iov_base = (void *)payload, .iov_len = hdr->len },
    };
    struct msghdr msg = {
        .msg_iov = iov,
        .msg_iovlen = hdr->len ? 2 : 1,
    };
    ssize_t n;

    assert(nfds <= MSHV_SIM_MAX_FDS);
    if (nfds) {
        struct cmsghdr *cmsg;

        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int mshv_sim_reply(int fd, const MshvSimHeader *req, int ret,
                   uint64_t arg0, uint64_t arg1,
                   const void *payload, uint32_t len)
{
    MshvSimHeader hdr = {
        .op = req->op,
        .ret = ret,
        .len = len,
        .arg = { arg0, arg1 },
    };

    return mshv_sim_send(fd, &hdr, payload, NULL, 0);
}
