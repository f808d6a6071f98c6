/*
 * MSI routes and irqfds, whichever accelerator delivers them: KVM's
 * irqchip or MSHV's MSI routing table.  See system/accel-irq.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/accel-irq.h"
#include "system/kvm.h"
#include "system/mshv.h"

bool accel_msi_via_irqfd_enabled(void)
{
    return kvm_msi_via_irqfd_enabled() || mshv_msi_via_irqfd_enabled();
}

AccelRouteChange accel_irqchip_begin_route_changes(void)
{
    if (kvm_enabled()) {
        return kvm_irqchip_begin_route_changes(kvm_state);
    }
    return (AccelRouteChange) { .s = NULL, .changes = 0 };
}

int accel_irqchip_add_msi_route(AccelRouteChange *c, int vector,
                                PCIDevice *dev)
{
    int virq;

    if (kvm_enabled()) {
        return kvm_irqchip_add_msi_route(c, vector, dev);
    }
    if (!mshv_enabled()) {
        return -ENOSYS;
    }
    virq = mshv_irqchip_add_msi_route(vector, dev);
    if (virq >= 0) {
        c->changes++;
    }
    return virq;
}

void accel_irqchip_commit_route_changes(AccelRouteChange *c)
{
    if (kvm_enabled()) {
        kvm_irqchip_commit_route_changes(c);
    } else if (mshv_enabled() && c->changes) {
        mshv_irqchip_commit_routes();
        c->changes = 0;
    }
}

int accel_irqchip_update_msi_route(int virq, MSIMessage msg, PCIDevice *dev)
{
    if (kvm_enabled()) {
        return kvm_irqchip_update_msi_route(kvm_state, virq, msg, dev);
    }
    if (mshv_enabled()) {
        return mshv_irqchip_update_msi_route(virq, msg, dev);
    }
    return -ENOSYS;
}

void accel_irqchip_commit_routes(void)
{
    if (kvm_enabled()) {
        kvm_irqchip_commit_routes(kvm_state);
    } else if (mshv_enabled()) {
        mshv_irqchip_commit_routes();
    }
}

void accel_irqchip_release_virq(int virq)
{
    if (kvm_enabled()) {
        kvm_irqchip_release_virq(kvm_state, virq);
    } else if (mshv_enabled()) {
        mshv_irqchip_release_virq(virq);
    }
}

int accel_irqchip_add_irqfd_notifier_gsi(EventNotifier *n, EventNotifier *rn,
                                         int virq)
{
    if (kvm_enabled()) {
        return kvm_irqchip_add_irqfd_notifier_gsi(kvm_state, n, rn, virq);
    }
    if (mshv_enabled()) {
        return mshv_irqchip_irqfd(n, rn, virq, true);
    }
    return -ENOSYS;
}

int accel_irqchip_remove_irqfd_notifier_gsi(EventNotifier *n, int virq)
{
    if (kvm_enabled()) {
        return kvm_irqchip_remove_irqfd_notifier_gsi(kvm_state, n, virq);
    }
    if (mshv_enabled()) {
        return mshv_irqchip_irqfd(n, NULL, virq, false);
    }
    return -ENOSYS;
}
