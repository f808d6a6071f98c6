/*
 * Hyper-V SynIC backend: the hook hw/hyperv/hyperv.c calls when the
 * hypervisor, not QEMU, owns the guest's SynIC pages (MSHV); included by
 * hw/hyperv/hyperv.h (patches/hyperv-synic-backend.patch).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_HYPERV_SYNIC_BACKEND_H
#define HW_HYPERV_SYNIC_BACKEND_H

#include "hw/hyperv/hyperv-proto.h"

/*
 * Where SynIC messages and event flags go when the hypervisor, not QEMU,
 * owns the guest's SynIC pages (MSHV).  Without one, QEMU keeps the pages
 * and raises SINTs through KVM's routes.
 */
typedef struct HvSynicBackend {
    /*
     * Post @msg to SINT @sint of @cs: 0, -EAGAIN when the guest's slot is
     * full (the backend then calls hyperv_synic_sints_ready once it is
     * free), or another negative errno.
     */
    int (*post_msg)(CPUState *cs, uint32_t sint,
                    const struct hyperv_message *msg);
    /* Set event flag @eventno of SINT @sint of @cs: 0 or negative errno. */
    int (*set_event_flag)(CPUState *cs, uint32_t sint, unsigned eventno);
    /*
     * The VP index the guest knows @cs by (what it names in VMBus
     * messages): the hypervisor's, which need not be the CPU index.
     */
    uint32_t (*vp_index)(CPUState *cs);
} HvSynicBackend;

void hyperv_synic_set_backend(const HvSynicBackend *backend);
/* The backend, under the BQL: the slots of SINTs @sints of @cs are free. */
void hyperv_synic_sints_ready(CPUState *cs, uint32_t sints);

#endif /* HW_HYPERV_SYNIC_BACKEND_H */
