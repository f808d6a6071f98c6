/*
 * MSHV simulator: MSI routes, irqfds and ioeventfds
 *
 * The driver side has checked every request (preload/irq.c); here the
 * bindings act.  An irqfd's eventfd is watched by the main loop and, when
 * signalled, the GSI's route is delivered as an MSI, looked up at that
 * moment (a route changed after binding takes effect, as in the driver).
 * An ioeventfd swallows a matching guest write to an unmapped GPA: the
 * eventfd is signalled and the instruction completes with no intercept.
 * A level-triggered route's EOI signals the resample eventfd of an irqfd
 * whose GSI equals the vector (the driver's rule) instead of reaching the
 * VMM as HVMSG_X64_APIC_EOI.
 *
 * All of it runs under the BQL: requests in the main loop, guest writes
 * in MMIO dispatch, EOIs in the APIC.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "hw/i386/apic-msidef.h"
#include "mshv-sim.h"
#include "exec/address-spaces.h"
#include "trace.h"

#define HV_X64_MSI_ADDRESS_BASE         0xfee00000ULL

struct MshvSimIrqfd {
    QLIST_ENTRY(MshvSimIrqfd) next;
    MshvSimPartition *pt;
    uint32_t id;
    uint32_t gsi;
    int efd;
    int resamplefd;             /* or -1 */
};

struct MshvSimIoeventfd {
    QLIST_ENTRY(MshvSimIoeventfd) next;
    uint32_t id;
    uint64_t addr;
    uint32_t len;               /* 0: any width */
    bool datamatch;
    uint64_t data;
    int efd;
};

static const struct mshv_user_irq_entry *
mshv_sim_route_find(MshvSimPartition *pt, uint32_t gsi)
{
    unsigned i;

    for (i = 0; i < pt->nr_routes; i++) {
        if (pt->routes[i].gsi == gsi) {
            return &pt->routes[i];
        }
    }
    return NULL;
}

uint16_t mshv_sim_set_msi_routing(MshvSimPartition *pt, const void *payload,
                                  size_t len, uint32_t nr)
{
    if (nr > MSHV_MAX_GUEST_IRQS ||
        len != nr * sizeof(struct mshv_user_irq_entry)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    g_free(pt->routes);
    pt->routes = g_memdup2(payload, len);
    pt->nr_routes = nr;
    return HV_STATUS_SUCCESS;
}

/*
 * One interrupt to the guest's local APICs, as an MSI would arrive: what
 * HVCALL_ASSERT_VIRTUAL_INTERRUPT and an irqfd's route both come to.
 */
uint16_t mshv_sim_deliver_interrupt(MshvSimPartition *pt, uint32_t type,
                                    uint64_t dest, bool logical, bool level,
                                    uint32_t vector)
{
    uint32_t data;
    uint64_t addr;

    switch (type) {
    case HV_X64_INTERRUPT_TYPE_FIXED:
    case HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY:
    case HV_X64_INTERRUPT_TYPE_SMI:
    case HV_X64_INTERRUPT_TYPE_NMI:
    case HV_X64_INTERRUPT_TYPE_INIT:
    case HV_X64_INTERRUPT_TYPE_EXTINT:
        break;
    default:
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (vector > 0xff || dest > 0xff) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    /* The LAPIC would refuse it ("received illegal vector"). */
    if ((type == HV_X64_INTERRUPT_TYPE_FIXED ||
         type == HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY) && vector < 16) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    trace_mshv_sim_assert_interrupt(type, dest, vector);
    if (type == HV_X64_INTERRUPT_TYPE_EXTINT) {
        /* Not an APIC message: the vector goes straight to the VP. */
        MshvSimVp *vp = mshv_sim_vp_find(pt, dest);

        if (!vp) {
            return HV_STATUS_INVALID_PARAMETER;
        }
        mshv_sim_vp_assert_extint(vp, vector);
        return HV_STATUS_SUCCESS;
    }
    addr = HV_X64_MSI_ADDRESS_BASE | dest << 12 | (logical ? 1 << 2 : 0);
    data = vector | type << 8 | 1 << 14 | (level ? 1 << 15 : 0);
    address_space_stl_le(&address_space_memory, addr, data,
                         MEMTXATTRS_UNSPECIFIED, NULL);
    return HV_STATUS_SUCCESS;
}

/*
 * A route's MSI, decoded as the driver turns it into an interrupt (it is
 * never a memory write: any address is read as an MSI address).
 */
static void mshv_sim_route_deliver(MshvSimPartition *pt,
                                   const struct mshv_user_irq_entry *e)
{
    mshv_sim_deliver_interrupt(
        pt, (e->data >> MSI_DATA_DELIVERY_MODE_SHIFT) & 7,
        (e->address_lo & MSI_ADDR_DEST_ID_MASK) >> MSI_ADDR_DEST_ID_SHIFT,
        (e->address_lo >> MSI_ADDR_DEST_MODE_SHIFT) & 1,
        (e->data >> MSI_DATA_TRIGGER_SHIFT) & 1,
        (e->data & MSI_DATA_VECTOR_MASK) >> MSI_DATA_VECTOR_SHIFT);
}

static void mshv_sim_irqfd_read(void *opaque)
{
    MshvSimIrqfd *irqfd = opaque;
    const struct mshv_user_irq_entry *route;
    uint64_t count;

    if (read(irqfd->efd, &count, sizeof(count)) != sizeof(count)) {
        return;
    }
    route = mshv_sim_route_find(irqfd->pt, irqfd->gsi);
    trace_mshv_sim_irqfd(irqfd->gsi, route != NULL);
    if (route) {
        mshv_sim_count(irqfd->pt, MSHV_SIM_CNT_IRQFD_SIGNAL);
        mshv_sim_route_deliver(irqfd->pt, route);
    }
}

static void mshv_sim_irqfd_free(MshvSimIrqfd *irqfd)
{
    qemu_set_fd_handler(irqfd->efd, NULL, NULL, NULL);
    close(irqfd->efd);
    if (irqfd->resamplefd >= 0) {
        close(irqfd->resamplefd);
    }
    QLIST_REMOVE(irqfd, next);
    g_free(irqfd);
}

uint16_t mshv_sim_irqfd(MshvSimPartition *pt, uint32_t gsi, uint32_t flags,
                        uint32_t id, const int *fds, unsigned nfds)
{
    bool resample = flags & (1u << MSHV_IRQFD_BIT_RESAMPLE);
    MshvSimIrqfd *irqfd;

    if (flags & (1u << MSHV_IRQFD_BIT_DEASSIGN)) {
        QLIST_FOREACH(irqfd, &pt->irqfds, next) {
            if (irqfd->id == id) {
                mshv_sim_irqfd_free(irqfd);
                return HV_STATUS_SUCCESS;
            }
        }
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (nfds != (resample ? 2 : 1)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    irqfd = g_new0(MshvSimIrqfd, 1);
    irqfd->pt = pt;
    irqfd->id = id;
    irqfd->gsi = gsi;
    irqfd->efd = fds[0];
    irqfd->resamplefd = resample ? fds[1] : -1;
    QLIST_INSERT_HEAD(&pt->irqfds, irqfd, next);
    /* one signalled before it was bound counts too: the fd is readable */
    qemu_set_fd_handler(irqfd->efd, mshv_sim_irqfd_read, NULL, irqfd);
    return HV_STATUS_SUCCESS;
}

bool mshv_sim_irqfd_resample(MshvSimPartition *pt, uint32_t vector)
{
    static const uint64_t one = 1;
    MshvSimIrqfd *irqfd;
    bool found = false;

    QLIST_FOREACH(irqfd, &pt->irqfds, next) {
        if (irqfd->resamplefd >= 0 && irqfd->gsi == vector) {
            if (write(irqfd->resamplefd, &one, sizeof(one)) < 0) {
                /* a full counter still wakes the reader */
            }
            found = true;
        }
    }
    return found;
}

uint16_t mshv_sim_ioeventfd(MshvSimPartition *pt, uint64_t addr,
                            uint32_t len, uint64_t data, uint64_t flags_id,
                            const int *fds, unsigned nfds)
{
    uint32_t flags = flags_id, id = flags_id >> 32;
    MshvSimIoeventfd *e;

    if (flags & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)) {
        QLIST_FOREACH(e, &pt->ioeventfds, next) {
            if (e->id == id) {
                QLIST_REMOVE(e, next);
                close(e->efd);
                g_free(e);
                return HV_STATUS_SUCCESS;
            }
        }
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (nfds != 1 || (flags & (1u << MSHV_IOEVENTFD_BIT_PIO))) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    e = g_new0(MshvSimIoeventfd, 1);
    e->id = id;
    e->addr = addr;
    e->len = len;
    e->datamatch = flags & (1u << MSHV_IOEVENTFD_BIT_DATAMATCH);
    e->data = data;
    e->efd = fds[0];
    QLIST_INSERT_HEAD(&pt->ioeventfds, e, next);
    return HV_STATUS_SUCCESS;
}

bool mshv_sim_ioeventfd_write(MshvSimPartition *pt, uint64_t gpa,
                              uint64_t data, unsigned size)
{
    static const uint64_t one = 1;
    uint64_t mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
    MshvSimIoeventfd *e;

    QLIST_FOREACH(e, &pt->ioeventfds, next) {
        if (e->addr != gpa || (e->len && e->len != size) ||
            (e->datamatch && (e->data & mask) != (data & mask))) {
            continue;
        }
        mshv_sim_count(pt, MSHV_SIM_CNT_IOEVENTFD_SIGNAL);
        trace_mshv_sim_ioeventfd(gpa, size, data);
        if (write(e->efd, &one, sizeof(one)) < 0) {
            /* a full counter still wakes the reader */
        }
        return true;
    }
    return false;
}

void mshv_sim_irq_release(MshvSimPartition *pt)
{
    MshvSimIoeventfd *e, *next_e;
    MshvSimIrqfd *irqfd, *next_irqfd;

    QLIST_FOREACH_SAFE(irqfd, &pt->irqfds, next, next_irqfd) {
        mshv_sim_irqfd_free(irqfd);
    }
    QLIST_FOREACH_SAFE(e, &pt->ioeventfds, next, next_e) {
        QLIST_REMOVE(e, next);
        close(e->efd);
        g_free(e);
    }
    g_free(pt->routes);
    pt->routes = NULL;
    pt->nr_routes = 0;
}
