/*
 * MSHV accelerator: what common code needs when MSHV is not built in
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/mshv.h"

bool mshv_allowed;

int mshv_irqchip_add_msi_route(int vector, PCIDevice *dev)
{
    return -ENOSYS;
}

int mshv_irqchip_update_msi_route(int virq, MSIMessage msg, PCIDevice *dev)
{
    return -ENOSYS;
}

void mshv_irqchip_commit_routes(void)
{
}

void mshv_irqchip_release_virq(int virq)
{
}

int mshv_irqchip_irqfd(EventNotifier *n, EventNotifier *rn, int virq,
                       bool assign)
{
    return -ENOSYS;
}
