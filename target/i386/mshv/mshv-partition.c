/*
 * MSHV accelerator, x86: what the architecture sets up in a partition
 * once it is initialized
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include CONFIG_DEVICES
#include "system/mshv_int.h"

/*
 * Whether QEMU's Hyper-V devices (VMBus, hv-balloon) answer the guest's
 * SynIC hypercalls: with a SynIC, when QEMU has them.
 */
static bool mshv_partition_wants_hypercalls(MshvState *s)
{
#ifdef CONFIG_HYPERV
    return s->synthetic_features &
           (1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS);
#else
    return false;
#endif
}

/* The guest's hypercalls QEMU's devices answer come to QEMU. */
int mshv_arch_partition_init(MshvState *s, Error **errp)
{
    struct hv_input_install_intercept in = {
        .access_type = HV_INTERCEPT_ACCESS_MASK_EXECUTE,
        .intercept_type = HV_INTERCEPT_TYPE_HYPERCALL,
    };
    uint16_t status = 0;
    int ret;

    if (!mshv_partition_wants_hypercalls(s)) {
        return 0;
    }
    ret = mshv_hvcall(s->pt_fd, HVCALL_INSTALL_INTERCEPT, 0, &in, sizeof(in),
                      NULL, 0, &status, NULL);
    if (ret < 0) {
        error_setg(errp, "installing the hypercall intercept failed: %s "
                   "(hypervisor status 0x%x)", strerror(-ret), status);
    }
    return ret;
}
