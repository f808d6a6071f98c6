/*
 * MSHV simulator, driver side: MSI routing, irqfds and ioeventfds.
 *
 * The driver side validates and keeps the bindings (as mshv_eventfd.c
 * does); the hypervisor process gets its own reference to each eventfd
 * and does the signalling.  Eventfds are compared as the kernel does, by
 * open file description, so a dup() of a bound eventfd is "the same".
 *
 * Called with pt->lock held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>

struct MshvIrqfd {
    MshvIrqfd *next;
    uint32_t id;
    uint32_t gsi;
    uint32_t flags;
    int efd;                    /* our own reference to the eventfd */
    int resamplefd;             /* ours too, or -1 */
};

struct MshvIoeventfd {
    MshvIoeventfd *next;
    uint32_t id;
    uint64_t addr;
    uint64_t datamatch;
    uint32_t len;
    bool wildcard;
    int efd;
};

#define MSI_LEVEL_TRIGGERED     (1u << 15)

/* ---- Eventfds -------------------------------------------------------- */

/* What eventfd_ctx_fdget() would say about @fd: 0, -EBADF or -EINVAL. */
static int eventfd_check(int fd)
{
    char path[64], link[64];
    ssize_t n;

    if (fd < 0) {
        return -EBADF;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
    }
    link[n] = '\0';
    return strcmp(link, "anon_inode:[eventfd]") == 0 ? 0 : -EINVAL;
}

/* The eventfd-id line of /proc/self/fdinfo/@fd, or -1. */
static long long eventfd_id(int fd)
{
    char path[64], buf[512], *p;
    long long id = -1;
    ssize_t n;
    int f;

    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    f = mshv_sys_open(path, O_RDONLY);
    if (f < 0) {
        return -1;
    }
    n = read(f, buf, sizeof(buf) - 1);
    mshv_sys_close(f);
    if (n > 0) {
        buf[n] = '\0';
        p = strstr(buf, "eventfd-id:");
        if (p && sscanf(p + 11, "%lld", &id) != 1) {
            id = -1;
        }
    }
    return id;
}

/* Do @a and @b name one open file description? */
static bool same_file(int a, int b)
{
    long long ia, ib;
    long r;
    int saved = errno;

    r = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b);
    if (r < 0) {
        /* no kcmp (CONFIG_KCMP off, seccomp): eventfd-id is per file */
        ia = eventfd_id(a);
        ib = eventfd_id(b);
        r = ia < 0 || ia != ib;
    }
    errno = saved;
    return r == 0;
}

static void close_fd(int fd)
{
    if (fd >= 0) {
        mshv_sys_close(fd);
    }
}

static uint32_t new_binding_id(MshvPartition *pt)
{
    if (++pt->next_binding_id == 0) {
        pt->next_binding_id = 1;
    }
    return pt->next_binding_id;
}

/* ---- MSHV_SET_MSI_ROUTING -------------------------------------------- */

static const struct mshv_user_irq_entry *route_of(MshvPartition *pt,
                                                  uint32_t gsi)
{
    for (uint32_t i = 0; i < pt->nr_routes; i++) {
        if (pt->routes[i].gsi == gsi) {
            return &pt->routes[i];
        }
    }
    return NULL;
}

static bool routes_valid(const struct mshv_user_irq_entry *e, uint32_t nr)
{
    uint8_t *seen = calloc(MSHV_MAX_GUEST_IRQS / 8, 1);
    bool ok = seen != NULL;

    for (uint32_t i = 0; ok && i < nr; i++) {
        if (e[i].gsi >= MSHV_MAX_GUEST_IRQS || e[i].address_hi ||
            (seen[e[i].gsi / 8] & (1u << (e[i].gsi % 8)))) {
            ok = false;
        } else {
            seen[e[i].gsi / 8] |= 1u << (e[i].gsi % 8);
        }
    }
    free(seen);
    return ok;
}

long mshv_ioctl_set_msi_routing(MshvPartition *pt, uint64_t arg)
{
    struct mshv_user_irq_table table;
    struct mshv_user_irq_entry *entries = NULL;
    MshvSimHeader req = { .op = MSHV_SIM_OP_SET_MSI_ROUTING };
    MshvSimHeader rep;
    size_t size;
    int ret;

    if (mshv_copy_from_user(&table, arg, sizeof(table)) < 0) {
        return -EFAULT;
    }
    if (table.nr > MSHV_MAX_GUEST_IRQS || table.rsvd) {
        return -EINVAL;
    }
    size = table.nr * sizeof(*entries);
    if (table.nr) {
        entries = malloc(size);
        if (!entries) {
            return -ENOMEM;
        }
        if (mshv_copy_from_user(entries, arg + sizeof(table), size) < 0) {
            free(entries);
            return -EFAULT;
        }
        if (!routes_valid(entries, table.nr)) {
            free(entries);
            return -EINVAL;
        }
    }

    req.arg[0] = table.nr;
    ret = mshv_partition_call(pt, pt->chan, &req, entries, size, NULL, 0,
                              &rep, NULL, 0);
    if (ret >= 0) {
        ret = mshv_hv_status_to_errno(rep.arg[0]);
    }
    if (ret < 0) {
        free(entries);
        return ret;
    }
    free(pt->routes);
    pt->routes = entries;
    pt->nr_routes = table.nr;
    return 0;
}

/* ---- MSHV_IRQFD ------------------------------------------------------ */

static void irqfd_unbind(MshvPartition *pt, MshvIrqfd *irqfd)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_IRQFD };
    MshvSimHeader rep;

    /* no fds, so no RESAMPLE bit that would announce one */
    req.arg[0] = irqfd->gsi;
    req.arg[1] = 1u << MSHV_IRQFD_BIT_DEASSIGN;
    req.arg[2] = irqfd->id;
    /* Cannot fail in the driver; a dead hypervisor has dropped it too. */
    mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0, &rep, NULL, 0);
    close_fd(irqfd->efd);
    close_fd(irqfd->resamplefd);
    free(irqfd);
}

static long irqfd_deassign(MshvPartition *pt,
                           const struct mshv_user_irqfd *args)
{
    MshvIrqfd **p = &pt->irqfds, *irqfd;
    int ret = eventfd_check(args->fd);

    if (ret < 0) {
        return ret;
    }
    while (*p) {
        irqfd = *p;
        if (irqfd->gsi == args->gsi && same_file(irqfd->efd, args->fd)) {
            *p = irqfd->next;
            irqfd_unbind(pt, irqfd);
        } else {
            p = &irqfd->next;
        }
    }
    return 0;
}

static long irqfd_assign(MshvPartition *pt, const struct mshv_user_irqfd *args)
{
    bool resample = args->flags & (1u << MSHV_IRQFD_BIT_RESAMPLE);
    const struct mshv_user_irq_entry *route;
    MshvSimHeader req = { .op = MSHV_SIM_OP_IRQFD };
    MshvSimHeader rep;
    MshvIrqfd *irqfd;
    int fds[2];
    int ret;

    ret = eventfd_check(args->fd);
    if (ret < 0) {
        return ret;
    }
    if (resample) {
        ret = eventfd_check(args->resamplefd);
        if (ret < 0) {
            return ret;
        }
        /* a resampler only makes sense for a level-triggered route */
        route = route_of(pt, args->gsi);
        if (!route || !(route->data & MSI_LEVEL_TRIGGERED)) {
            return -EINVAL;
        }
    }
    for (irqfd = pt->irqfds; irqfd; irqfd = irqfd->next) {
        if (same_file(irqfd->efd, args->fd)) {
            return -EBUSY;
        }
    }
    if (__atomic_load_n(&pt->dead, __ATOMIC_ACQUIRE)) {
        return -EIO;
    }

    irqfd = calloc(1, sizeof(*irqfd));
    if (!irqfd) {
        return -ENOMEM;
    }
    irqfd->gsi = args->gsi;
    irqfd->flags = args->flags;
    irqfd->resamplefd = -1;
    irqfd->efd = mshv_sys_dupfd(args->fd);
    if (resample && irqfd->efd >= 0) {
        irqfd->resamplefd = mshv_sys_dupfd(args->resamplefd);
    }
    if (irqfd->efd < 0 || (resample && irqfd->resamplefd < 0)) {
        ret = -errno;
        goto fail;
    }
    irqfd->id = new_binding_id(pt);

    fds[0] = irqfd->efd;
    fds[1] = irqfd->resamplefd;
    req.arg[0] = irqfd->gsi;
    req.arg[1] = irqfd->flags;
    req.arg[2] = irqfd->id;
    ret = mshv_partition_call(pt, pt->chan, &req, NULL, 0, fds,
                              resample ? 2 : 1, &rep, NULL, 0);
    if (ret < 0) {
        goto fail;
    }
    irqfd->next = pt->irqfds;
    pt->irqfds = irqfd;
    return 0;

fail:
    close_fd(irqfd->efd);
    close_fd(irqfd->resamplefd);
    free(irqfd);
    return ret;
}

long mshv_ioctl_irqfd(MshvPartition *pt, uint64_t arg)
{
    struct mshv_user_irqfd args;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if (args.flags & ~MSHV_IRQFD_FLAGS_MASK) {
        return -EINVAL;
    }
    if (args.flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)) {
        return irqfd_deassign(pt, &args);
    }
    return irqfd_assign(pt, &args);
}

/* ---- MSHV_IOEVENTFD -------------------------------------------------- */

static void ioeventfd_unbind(MshvPartition *pt, MshvIoeventfd *p)
{
    MshvSimHeader req = { .op = MSHV_SIM_OP_IOEVENTFD };
    MshvSimHeader rep;
    uint32_t flags = 1u << MSHV_IOEVENTFD_BIT_DEASSIGN;

    if (!p->wildcard) {
        flags |= 1u << MSHV_IOEVENTFD_BIT_DATAMATCH;
    }
    req.arg[0] = p->addr;
    req.arg[1] = p->len;
    req.arg[2] = p->datamatch;
    req.arg[3] = flags | ((uint64_t)p->id << 32);
    mshv_partition_call(pt, pt->chan, &req, NULL, 0, NULL, 0, &rep, NULL, 0);
    close_fd(p->efd);
    free(p);
}

static long ioeventfd_deassign(MshvPartition *pt,
                               const struct mshv_user_ioeventfd *args)
{
    bool wildcard = !(args->flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH));
    MshvIoeventfd **pp, *p;
    int ret = eventfd_check(args->fd);

    if (ret < 0) {
        return ret;
    }
    for (pp = &pt->ioeventfds; *pp; pp = &(*pp)->next) {
        p = *pp;
        if (p->addr != args->addr || p->len != args->len ||
            p->wildcard != wildcard ||
            (!wildcard && p->datamatch != args->datamatch) ||
            !same_file(p->efd, args->fd)) {
            continue;
        }
        *pp = p->next;
        ioeventfd_unbind(pt, p);
        return 0;
    }
    return -ENOENT;
}

static long ioeventfd_assign(MshvPartition *pt,
                             const struct mshv_user_ioeventfd *args)
{
    bool wildcard = !(args->flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH));
    MshvSimHeader req = { .op = MSHV_SIM_OP_IOEVENTFD };
    MshvSimHeader rep;
    MshvIoeventfd *p;
    int ret;

    switch (args->len) {
    case 0: case 1: case 2: case 4: case 8:
        break;
    default:
        return -EINVAL;
    }
    if (args->addr + args->len < args->addr) {
        return -EINVAL;
    }
    ret = eventfd_check(args->fd);
    if (ret < 0) {
        return ret;
    }
    for (p = pt->ioeventfds; p; p = p->next) {
        if (p->addr == args->addr && p->len == args->len &&
            (p->wildcard || wildcard || p->datamatch == args->datamatch)) {
            return -EEXIST;
        }
    }
    if (__atomic_load_n(&pt->dead, __ATOMIC_ACQUIRE)) {
        return -EIO;
    }

    p = calloc(1, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    p->addr = args->addr;
    p->len = args->len;
    p->wildcard = wildcard;
    p->datamatch = wildcard ? 0 : args->datamatch;
    p->efd = mshv_sys_dupfd(args->fd);
    if (p->efd < 0) {
        ret = -errno;
        free(p);
        return ret;
    }
    p->id = new_binding_id(pt);

    req.arg[0] = p->addr;
    req.arg[1] = p->len;
    req.arg[2] = p->datamatch;
    req.arg[3] = args->flags | ((uint64_t)p->id << 32);
    ret = mshv_partition_call(pt, pt->chan, &req, NULL, 0, &p->efd, 1,
                              &rep, NULL, 0);
    if (ret < 0) {
        close_fd(p->efd);
        free(p);
        return ret;
    }
    p->next = pt->ioeventfds;
    pt->ioeventfds = p;
    return 0;
}

long mshv_ioctl_ioeventfd(MshvPartition *pt, uint64_t arg)
{
    struct mshv_user_ioeventfd args;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if ((args.flags & ~MSHV_IOEVENTFD_FLAGS_MASK) ||
        args.rsvd[0] || args.rsvd[1] || args.rsvd[2] || args.rsvd[3]) {
        return -EINVAL;
    }
    /* all port IO exits to the VMM */
    if (args.flags & (1u << MSHV_IOEVENTFD_BIT_PIO)) {
        return -EOPNOTSUPP;
    }
    if (args.flags & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)) {
        return ioeventfd_deassign(pt, &args);
    }
    return ioeventfd_assign(pt, &args);
}

/* ---- Teardown -------------------------------------------------------- */

/* The partition fd was closed: every binding goes, as in the driver. */
void mshv_irq_release(MshvPartition *pt)
{
    while (pt->irqfds) {
        MshvIrqfd *irqfd = pt->irqfds;

        pt->irqfds = irqfd->next;
        irqfd_unbind(pt, irqfd);
    }
    while (pt->ioeventfds) {
        MshvIoeventfd *p = pt->ioeventfds;

        pt->ioeventfds = p->next;
        ioeventfd_unbind(pt, p);
    }
}

/* The partition is gone (its channel closed): free what is left. */
void mshv_irq_free(MshvPartition *pt)
{
    while (pt->irqfds) {
        MshvIrqfd *irqfd = pt->irqfds;

        pt->irqfds = irqfd->next;
        close_fd(irqfd->efd);
        close_fd(irqfd->resamplefd);
        free(irqfd);
    }
    while (pt->ioeventfds) {
        MshvIoeventfd *p = pt->ioeventfds;

        pt->ioeventfds = p->next;
        close_fd(p->efd);
        free(p);
    }
    free(pt->routes);
    pt->routes = NULL;
    pt->nr_routes = 0;
}
