/*
 * MSHV accelerator: the Microsoft Hypervisor through Linux's /dev/mshv
 *
 * Interface for code outside accel/mshv and target/i386/mshv.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_MSHV_H
#define SYSTEM_MSHV_H

#include "hw/pci/msi.h"
#include "qemu/event_notifier.h"

#ifdef COMPILING_PER_TARGET
# ifdef CONFIG_MSHV
#  define CONFIG_MSHV_IS_POSSIBLE
# endif
#else
# define CONFIG_MSHV_IS_POSSIBLE
#endif

#ifdef CONFIG_MSHV_IS_POSSIBLE
extern bool mshv_allowed;
#define mshv_enabled() (mshv_allowed)
#else
#define mshv_enabled() (false)
#endif

#define TYPE_MSHV_ACCEL ACCEL_CLASS_NAME("mshv")

/*
 * The partition's MSI routing table and irqfds (used through
 * system/accel-irq.h; stubs return -ENOSYS where MSHV is not built in).
 */
#define mshv_msi_via_irqfd_enabled() mshv_enabled()
int mshv_irqchip_add_msi_route(int vector, PCIDevice *dev);
int mshv_irqchip_update_msi_route(int virq, MSIMessage msg, PCIDevice *dev);
void mshv_irqchip_commit_routes(void);
void mshv_irqchip_release_virq(int virq);
int mshv_irqchip_irqfd(EventNotifier *n, EventNotifier *rn, int virq,
                       bool assign);

/* The device node MSHV uses unless "-accel mshv,device=PATH" says otherwise. */
#define MSHV_DEFAULT_DEVICE "/dev/mshv"

#endif /* SYSTEM_MSHV_H */
