/*
 * MSHV accelerator, x86: the local APIC as QEMU sees it
 *
 * The LAPIC lives in the hypervisor.  This device only forwards what
 * QEMU's interrupt sources send it: MSIs (from the IOAPIC and from PCI
 * devices, written to the APIC's MSI window) and external NMIs become
 * HVCALL_ASSERT_VIRTUAL_INTERRUPT.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/i386/apic_internal.h"
#include "hw/i386/apic-msidef.h"
#include "hw/pci/msi.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-x86.h"
#include "trace.h"

int mshv_x86_assert_interrupt(uint32_t type, uint64_t dest, bool logical,
                              bool level, uint32_t vector)
{
    struct hv_input_assert_virtual_interrupt in = {
        .control = type |
                   (level ? HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED : 0) |
                   (logical ? HV_INTERRUPT_CONTROL_LOGICAL_DEST_MODE : 0),
        .dest_addr = dest,
        .vector = vector,
    };
    uint16_t status;
    int ret;

    ret = mshv_hvcall(mshv_state->pt_fd, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0,
                      &in, sizeof(in), NULL, 0, &status, NULL);
    if (ret < 0) {
        error_report_once("mshv: delivering interrupt vector %u (type %u) "
                          "to APIC 0x%" PRIx64 " failed: %s (hypervisor "
                          "status 0x%x)", vector, type, dest, strerror(-ret),
                          status);
    }
    return ret;
}

static void mshv_send_msi(MSIMessage *msi)
{
    uint64_t addr = msi->address;
    uint32_t data = msi->data;
    uint32_t dest = (addr & MSI_ADDR_DEST_ID_MASK) >> MSI_ADDR_DEST_ID_SHIFT;
    uint32_t type = (data >> MSI_DATA_DELIVERY_MODE_SHIFT) & 0x7;
    uint32_t vector = (data & MSI_DATA_VECTOR_MASK) >> MSI_DATA_VECTOR_SHIFT;

    /* x2APIC destinations above 255 travel in address bits 63:40. */
    dest |= (addr >> 32) & 0xffffff00;
    /*
     * A LAPIC refuses vectors 0-15 ("received illegal vector"); an IOAPIC
     * still in its power-on state sends vector 0 while QEMU resets it.
     */
    if ((type == HV_X64_INTERRUPT_TYPE_FIXED ||
         type == HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY) && vector < 16) {
        trace_mshv_msi_illegal_vector(addr, data);
        return;
    }
    mshv_x86_assert_interrupt(type, dest,
                              (addr >> MSI_ADDR_DEST_MODE_SHIFT) & 1,
                              (data >> MSI_DATA_TRIGGER_SHIFT) & 1, vector);
}

static uint64_t mshv_apic_mem_read(void *opaque, hwaddr addr, unsigned size)
{
    return ~(uint64_t)0;
}

static void mshv_apic_mem_write(void *opaque, hwaddr addr, uint64_t data,
                                unsigned size)
{
    MSIMessage msi = { .address = APIC_DEFAULT_ADDRESS + addr, .data = data };

    mshv_send_msi(&msi);
}

static const MemoryRegionOps mshv_apic_io_ops = {
    .read = mshv_apic_mem_read,
    .write = mshv_apic_mem_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void mshv_apic_realize(DeviceState *dev, Error **errp)
{
    APICCommonState *s = APIC_COMMON(dev);

    memory_region_init_io(&s->io_memory, OBJECT(s), &mshv_apic_io_ops, s,
                          "mshv-apic-msi", APIC_SPACE_SIZE);
    msi_nonbroken = true;
    /*
     * No TPR-patching option ROM: it speeds up a QEMU-emulated APIC, and
     * it would rewrite guest code and state behind the hypervisor's back.
     */
    s->vapic_control &= ~VAPIC_ENABLE_MASK;
}

/* Nothing of the hypervisor's to release: the VP keeps its LAPIC. */
static void mshv_apic_unrealize(DeviceState *dev)
{
}

static int mshv_apic_set_base(APICCommonState *s, uint64_t val)
{
    s->apicbase = val;
    return 0;
}

static void mshv_apic_set_tpr(APICCommonState *s, uint8_t val)
{
    s->tpr = (val & 0x0f) << 4;
}

static uint8_t mshv_apic_get_tpr(APICCommonState *s)
{
    return s->tpr >> 4;
}

static void mshv_apic_vapic_base_update(APICCommonState *s)
{
}

static void mshv_apic_external_nmi(APICCommonState *s)
{
    mshv_x86_assert_interrupt(HV_X64_INTERRUPT_TYPE_NMI, s->initial_apic_id,
                              false, false, 2);
}

static void mshv_apic_class_init(ObjectClass *klass, void *data)
{
    APICCommonClass *k = APIC_COMMON_CLASS(klass);

    k->realize = mshv_apic_realize;
    k->unrealize = mshv_apic_unrealize;
    k->set_base = mshv_apic_set_base;
    k->set_tpr = mshv_apic_set_tpr;
    k->get_tpr = mshv_apic_get_tpr;
    k->vapic_base_update = mshv_apic_vapic_base_update;
    k->external_nmi = mshv_apic_external_nmi;
    k->send_msi = mshv_send_msi;
}

static const TypeInfo mshv_apic_info = {
    .name = "mshv-apic",
    .parent = TYPE_APIC_COMMON,
    .instance_size = sizeof(APICCommonState),
    .class_init = mshv_apic_class_init,
};

static void mshv_apic_register_types(void)
{
    type_register_static(&mshv_apic_info);
}

type_init(mshv_apic_register_types)
