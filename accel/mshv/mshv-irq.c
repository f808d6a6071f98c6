/*
 * MSHV accelerator: the partition's MSI routing table and irqfds
 *
 * GSIs are handed out from 0 up, as many as the driver allows
 * (MSHV_MAX_GUEST_IRQS); the table is sent whole with
 * MSHV_SET_MSI_ROUTING, and only when a route changed since the last
 * commit.  An irqfd names its GSI; the hypervisor looks the route up
 * when the eventfd fires, so updating a route needs no rebinding.
 *
 * Called with the BQL held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qemu/bitmap.h"
#include "qemu/error-report.h"
#include "hw/pci/pci.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "trace.h"

static bool mshv_routes_grow(void)
{
    MshvState *s = mshv_state;
    unsigned size = s->routes_size ? s->routes_size * 2 : 64;

    if (s->routes_size >= MSHV_MAX_GUEST_IRQS) {
        return false;
    }
    size = MIN(size, MSHV_MAX_GUEST_IRQS);
    s->routes = g_renew(struct mshv_user_irq_entry, s->routes, size);
    s->routes_used = bitmap_zero_extend(s->routes_used, s->routes_size,
                                        size);
    s->routes_size = size;
    return true;
}

static void mshv_route_set(int gsi, MSIMessage msg)
{
    MshvState *s = mshv_state;
    struct mshv_user_irq_entry e = {
        .gsi = gsi,
        .address_lo = msg.address,
        .address_hi = msg.address >> 32,
        .data = msg.data,
    };

    if (memcmp(&s->routes[gsi], &e, sizeof(e))) {
        s->routes[gsi] = e;
        s->routes_dirty = true;
    }
}

int mshv_irqchip_add_msi_route(int vector, PCIDevice *dev)
{
    MshvState *s = mshv_state;
    MSIMessage msg = { 0 };
    unsigned long gsi;

    gsi = find_first_zero_bit(s->routes_used, s->routes_size);
    if (gsi >= s->routes_size && !mshv_routes_grow()) {
        error_report_once("mshv: all %u MSI routes are in use",
                          MSHV_MAX_GUEST_IRQS);
        return -ENOSPC;
    }
    if (dev) {
        msg = pci_get_msi_message(dev, vector);
    }
    set_bit(gsi, s->routes_used);
    /* a fresh entry differs from whatever was there: always dirty */
    memset(&s->routes[gsi], 0xff, sizeof(s->routes[gsi]));
    mshv_route_set(gsi, msg);
    trace_mshv_msi_route(gsi, msg.address, msg.data);
    return gsi;
}

int mshv_irqchip_update_msi_route(int virq, MSIMessage msg, PCIDevice *dev)
{
    MshvState *s = mshv_state;

    if (virq < 0 || virq >= s->routes_size ||
        !test_bit(virq, s->routes_used)) {
        return -EINVAL;
    }
    mshv_route_set(virq, msg);
    trace_mshv_msi_route(virq, msg.address, msg.data);
    return 0;
}

void mshv_irqchip_release_virq(int virq)
{
    MshvState *s = mshv_state;

    if (virq >= 0 && virq < s->routes_size &&
        test_and_clear_bit(virq, s->routes_used)) {
        s->routes_dirty = true;
    }
}

void mshv_irqchip_commit_routes(void)
{
    MshvState *s = mshv_state;
    g_autofree struct mshv_user_irq_table *table = NULL;
    unsigned long gsi;
    unsigned n = 0;

    if (!s->routes_dirty) {
        return;
    }
    table = g_malloc0(sizeof(*table) +
                      s->routes_size * sizeof(table->entries[0]));
    for (gsi = find_first_bit(s->routes_used, s->routes_size);
         gsi < s->routes_size;
         gsi = find_next_bit(s->routes_used, s->routes_size, gsi + 1)) {
        table->entries[n++] = s->routes[gsi];
    }
    table->nr = n;
    trace_mshv_msi_routing_commit(n);
    if (!mshv_partition_ready()) {
        return;
    }
    if (ioctl(s->pt_fd, MSHV_SET_MSI_ROUTING, table) < 0) {
        /* the old table stays: interrupts still go where they went */
        error_report("mshv: updating the MSI routing table (%u routes) "
                     "failed: %s; MSIs of devices using irqfds may be lost",
                     n, strerror(errno));
        return;
    }
    s->routes_dirty = false;
}

int mshv_irqchip_irqfd(EventNotifier *n, EventNotifier *rn, int virq,
                       bool assign)
{
    struct mshv_user_irqfd args = {
        .fd = event_notifier_get_fd(n),
        .resamplefd = rn ? event_notifier_get_fd(rn) : 0,
        .gsi = virq,
        .flags = (rn ? 1u << MSHV_IRQFD_BIT_RESAMPLE : 0) |
                 (assign ? 0 : 1u << MSHV_IRQFD_BIT_DEASSIGN),
    };
    int ret;

    if (!mshv_partition_ready()) {
        return -EIO;
    }
    ret = ioctl(mshv_state->pt_fd, MSHV_IRQFD, &args);

    trace_mshv_irqfd(assign, virq, args.fd, ret < 0 ? errno : 0);
    return ret < 0 ? -errno : 0;
}
