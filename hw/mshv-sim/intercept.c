/*
 * MSHV simulator: the intercepts a VMM installs (HVCALL_INSTALL_INTERCEPT)
 *
 * Port I/O and unmapped or protected GPAs always reach the VMM, so
 * installing those changes nothing.  The others are kept in one
 * partition-wide list the VPs consult at CPUID, RDMSR/WRMSR, exceptions
 * and hypercalls; a bit per installed type lets a VP skip the lookup
 * (and its lock) when no intercept of that type exists.  Installing the
 * same type and parameter again replaces the access mask; a mask of 0
 * removes the intercept.  The access mask tells reads from writes for
 * MSRs; for CPUID, exceptions and hypercalls any access bit installs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "mshv-sim.h"
#include "trace.h"

typedef struct MshvSimIntercept {
    uint32_t type;              /* enum hv_intercept_type */
    uint32_t access;            /* HV_INTERCEPT_ACCESS_MASK_* */
    uint64_t parameter;         /* leaf, MSR index or vector; else 0 */
} MshvSimIntercept;

#define MSHV_SIM_ACCESS_ALL     (HV_INTERCEPT_ACCESS_MASK_READ | \
                                 HV_INTERCEPT_ACCESS_MASK_WRITE | \
                                 HV_INTERCEPT_ACCESS_MASK_EXECUTE)

void mshv_sim_intercepts_init(MshvSimPartition *pt)
{
    qemu_mutex_init(&pt->intercept_lock);
    pt->intercepts = g_array_new(false, false, sizeof(MshvSimIntercept));
}

/* What identifies an intercept of @type besides the type itself. */
static bool mshv_sim_intercept_parameter(uint32_t type, uint64_t in,
                                         uint64_t *parameter)
{
    switch (type) {
    case HV_INTERCEPT_TYPE_X64_CPUID:
        *parameter = (uint32_t)in;
        return true;
    case HV_INTERCEPT_TYPE_X64_MSR_INDEX:
        *parameter = (uint32_t)in;
        return true;
    case HV_INTERCEPT_TYPE_EXCEPTION:
        *parameter = (uint16_t)in;
        return *parameter < 32;
    case HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID:
    case HV_INTERCEPT_TYPE_X64_MSR:
    case HV_INTERCEPT_TYPE_HYPERCALL:
        *parameter = 0;
        return true;
    default:
        return false;
    }
}

uint16_t mshv_sim_install_intercept(MshvSimPartition *pt, const void *in,
                                    size_t in_size)
{
    const struct hv_input_install_intercept *ii = in;
    MshvSimIntercept icpt;
    uint32_t types = 0;
    unsigned i;

    if (in_size < sizeof(*ii) || (ii->access_type & ~MSHV_SIM_ACCESS_ALL)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (ii->intercept_type == HV_INTERCEPT_TYPE_X64_IO_PORT ||
        ii->intercept_type == HV_INTERCEPT_TYPE_MMIO) {
        /* Every port access and every unmapped GPA reaches the VMM. */
        return HV_STATUS_SUCCESS;
    }
    icpt.type = ii->intercept_type;
    icpt.access = ii->access_type;
    if (!mshv_sim_intercept_parameter(icpt.type, ii->intercept_parameter,
                                      &icpt.parameter)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    trace_mshv_sim_install_intercept(icpt.type, icpt.access, icpt.parameter);

    qemu_mutex_lock(&pt->intercept_lock);
    for (i = 0; i < pt->intercepts->len; i++) {
        MshvSimIntercept *old = &g_array_index(pt->intercepts,
                                               MshvSimIntercept, i);

        if (old->type == icpt.type && old->parameter == icpt.parameter) {
            g_array_remove_index(pt->intercepts, i);
            break;
        }
    }
    if (icpt.access) {
        g_array_append_val(pt->intercepts, icpt);
    }
    for (i = 0; i < pt->intercepts->len; i++) {
        types |= 1u << g_array_index(pt->intercepts, MshvSimIntercept,
                                     i).type;
    }
    qatomic_set(&pt->intercept_types, types);
    qemu_mutex_unlock(&pt->intercept_lock);
    return HV_STATUS_SUCCESS;
}

bool mshv_sim_intercepted(MshvSimPartition *pt, uint32_t type,
                          uint64_t parameter, uint32_t access)
{
    bool found = false;
    unsigned i;

    if (!(qatomic_read(&pt->intercept_types) & (1u << type))) {
        return false;
    }
    qemu_mutex_lock(&pt->intercept_lock);
    for (i = 0; i < pt->intercepts->len && !found; i++) {
        MshvSimIntercept *icpt = &g_array_index(pt->intercepts,
                                                MshvSimIntercept, i);

        found = icpt->type == type && icpt->parameter == parameter &&
                (icpt->access & (access ? access : MSHV_SIM_ACCESS_ALL));
    }
    qemu_mutex_unlock(&pt->intercept_lock);
    return found;
}
