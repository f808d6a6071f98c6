/*
 * MSI routes and irqfds, whichever accelerator delivers them
 *
 * A device that lets the accelerator take its MSIs straight from an
 * eventfd (virtio-pci) allocates a route per vector, binds the vector's
 * eventfd to it, and updates the route when the guest reprograms or
 * masks the vector.  KVM keeps these in its irqchip routing table, MSHV
 * in the partition's MSI routing table (MSHV_SET_MSI_ROUTING,
 * MSHV_IRQFD).  The calls mirror the kvm_irqchip_* ones they replace.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_ACCEL_IRQ_H
#define SYSTEM_ACCEL_IRQ_H

#include "hw/pci/msi.h"
#include "qemu/event_notifier.h"
#include "system/kvm.h"

/* Route changes batched until committed; KVM's own type serves both. */
typedef KVMRouteChange AccelRouteChange;

/* Whether MSIs can be delivered from irqfds (else QEMU injects them). */
bool accel_msi_via_irqfd_enabled(void);

AccelRouteChange accel_irqchip_begin_route_changes(void);
/* A route for MSI/MSI-X @vector of @dev (an empty one if @dev is NULL). */
int accel_irqchip_add_msi_route(AccelRouteChange *c, int vector,
                                PCIDevice *dev);
void accel_irqchip_commit_route_changes(AccelRouteChange *c);
int accel_irqchip_update_msi_route(int virq, MSIMessage msg, PCIDevice *dev);
/* Send the table if anything changed since the last commit. */
void accel_irqchip_commit_routes(void);
void accel_irqchip_release_virq(int virq);

/* @rn: resample notifier for a level-triggered route, or NULL. */
int accel_irqchip_add_irqfd_notifier_gsi(EventNotifier *n, EventNotifier *rn,
                                         int virq);
int accel_irqchip_remove_irqfd_notifier_gsi(EventNotifier *n, int virq);

#endif /* SYSTEM_ACCEL_IRQ_H */
