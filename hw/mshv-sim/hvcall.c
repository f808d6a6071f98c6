/*
 * MSHV simulator: hypercalls the VMM passes through MSHV_ROOT_HVCALL
 *
 * Inputs arrive as the VMM built them (the driver side has already
 * applied its own checks and put the partition id in the first u64);
 * results are HV_STATUS values, as the hypervisor returns them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "system/cpu-timers.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/boards.h"
#include "cpu.h"
#include "cpu-internal.h"
#include "mshv/mshv-vp-state.h"
#include "mshv-sim.h"
#include "trace.h"

static MshvSimVp *mshv_sim_hvcall_vp(MshvSimPartition *pt, uint32_t index,
                                     uint16_t *status)
{
    MshvSimVp *vp = mshv_sim_vp_find(pt, index);

    *status = vp ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_VP_INDEX;
    return vp;
}

static uint16_t mshv_sim_get_vp_registers(MshvSimPartition *pt,
                                          uint16_t reps, const void *in,
                                          size_t in_size, void *out,
                                          size_t out_size, unsigned *done)
{
    const struct hv_input_vp_registers *hdr = in;
    uint16_t status;
    MshvSimVp *vp;

    if (in_size < sizeof(*hdr) + reps * sizeof(uint32_t) ||
        out_size < reps * sizeof(union hv_register_value) || !reps) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    vp = mshv_sim_hvcall_vp(pt, hdr->vp_index, &status);
    if (!vp) {
        return status;
    }
    return mshv_sim_vp_get_registers(vp,
                                     (const uint32_t *)((const char *)in +
                                                        sizeof(*hdr)),
                                     reps, out, done);
}

static uint16_t mshv_sim_set_vp_registers(MshvSimPartition *pt,
                                          uint16_t reps, const void *in,
                                          size_t in_size, unsigned *done)
{
    const struct hv_input_vp_registers *hdr = in;
    g_autofree struct hv_register_assoc *regs = NULL;
    uint16_t status;
    MshvSimVp *vp;

    if (in_size < sizeof(*hdr) + reps * sizeof(*regs) || !reps) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    vp = mshv_sim_hvcall_vp(pt, hdr->vp_index, &status);
    if (!vp) {
        return status;
    }
    regs = g_memdup2((const char *)in + sizeof(*hdr), reps * sizeof(*regs));
    return mshv_sim_vp_set_registers(vp, regs, reps, done);
}

/* Privileges the guest sees in CPUID 0x40000003, from the features. */
static uint64_t mshv_sim_privileges(MshvSimPartition *pt)
{
    static const struct {
        int feature;
        int privilege;
    } map[] = {
        { HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG, 0 },
        { HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER, 1 },
        { HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS, 2 },
        { HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS, 3 },
        { HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS, 4 },
        { HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS, 5 },
        { HV_SYNTHETIC_PROC_ACCESS_VP_INDEX, 6 },
        { HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC, 9 },
        { HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG, 10 },
        { HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS, 11 },
        { HV_SYNTHETIC_PROC_SIGNAL_EVENTS, 32 + 5 },
    };
    uint64_t p = 0;
    int i;

    for (i = 0; i < ARRAY_SIZE(map); i++) {
        if (pt->synthetic_proc_features & (1ULL << map[i].feature)) {
            p |= 1ULL << map[i].privilege;
        }
    }
    return p;
}

static uint16_t mshv_sim_get_property(MshvSimPartition *pt, uint32_t code,
                                      uint64_t *value)
{
    switch (code) {
    case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
        *value = mshv_sim_privileges(pt);
        break;
    case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
        *value = pt->synthetic_proc_features;
        break;
    case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
        *value = pt->unimplemented_msr_action;
        break;
    case HV_PARTITION_PROPERTY_TIME_FREEZE:
        *value = pt->time_frozen;
        break;
    case HV_PARTITION_PROPERTY_REFERENCE_TIME:
        *value = mshv_sim_hv_get_reference_time(pt);
        break;
    case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
        *value = pt->gpa_access_tracking;
        break;
    case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
        /* TCG's TSC runs at the host's TSC rate (cpu_get_ticks()). */
        *value = mshv_sim_tsc_frequency();
        break;
    case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
        *value = MSHV_SIM_PHYSICAL_ADDRESS_WIDTH;
        break;
    case HV_PARTITION_PROPERTY_XSAVE_STATES:
        *value = mshv_sim_xsave_states(pt);
        break;
    case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
        *value = mshv_xsave_compacted_size(mshv_sim_xsave_states(pt));
        break;
    case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
        *value = mshv_sim_processor_features(pt, 0);
        break;
    case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1:
        *value = mshv_sim_processor_features(pt, 1);
        break;
    case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
        *value = MSHV_SIM_PROCESSOR_CL_FLUSH_SIZE;
        break;
    default:
        return HV_STATUS_UNKNOWN_PROPERTY;
    }
    return HV_STATUS_SUCCESS;
}

static uint16_t mshv_sim_set_property(MshvSimPartition *pt, uint32_t code,
                                      uint64_t value)
{
    switch (code) {
    case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
        /* An "early" property: fixed once the partition is initialized. */
        if (pt->initialized) {
            return HV_STATUS_INVALID_PARTITION_STATE;
        }
        if (value & ~MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES) {
            return HV_STATUS_INVALID_PARAMETER;
        }
        pt->synthetic_proc_features = value;
        break;
    case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
        if (value > HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO) {
            return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
        }
        pt->unimplemented_msr_action = value;
        break;
    case HV_PARTITION_PROPERTY_TIME_FREEZE:
        if (value > 1) {
            return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
        }
        /* Frozen partition time: no virtual clock, no TSC progress. */
        if (value && !pt->time_frozen) {
            cpu_disable_ticks();
        } else if (!value && pt->time_frozen) {
            cpu_enable_ticks();
        }
        pt->time_frozen = value;
        break;
    case HV_PARTITION_PROPERTY_REFERENCE_TIME:
        mshv_sim_hv_set_reference_time(pt, value);
        break;
    case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
        if (value > 1) {
            return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
        }
        mshv_sim_set_access_tracking(pt, value);
        break;
    default:
        return mshv_sim_get_property(pt, code, &value) ==
               HV_STATUS_UNKNOWN_PROPERTY ? HV_STATUS_UNKNOWN_PROPERTY :
                                            HV_STATUS_ACCESS_DENIED;
    }
    return HV_STATUS_SUCCESS;
}

static uint16_t mshv_sim_assert_interrupt(MshvSimPartition *pt,
                                          const void *in, size_t in_size)
{
    const struct hv_input_assert_virtual_interrupt *ai = in;
    uint16_t status;

    if (in_size < sizeof(*ai)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    status = mshv_sim_deliver_interrupt(
        pt, ai->control & HV_INTERRUPT_CONTROL_TYPE_MASK, ai->dest_addr,
        ai->control & HV_INTERRUPT_CONTROL_LOGICAL_DEST_MODE,
        ai->control & HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED, ai->vector);
    if (status == HV_STATUS_SUCCESS) {
        mshv_sim_count(pt, MSHV_SIM_CNT_INTERRUPT);
    }
    return status;
}

typedef struct MshvSimTranslate {
    uint64_t gva;
    uint64_t flags;
    uint64_t gpa;
    uint32_t result;
} MshvSimTranslate;

/* Control flags the hypervisor knows: the HV_TRANSLATE_GVA_* bits, the VTL */
#define MSHV_SIM_TRANSLATE_FLAGS        (0x7ffULL | 0xffULL << 56)

static void mshv_sim_translate_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimTranslate *t = data.host_ptr;

    t->result = mshv_sim_gva_translate(cs, t->gva, t->flags, &t->gpa);
}

static uint16_t mshv_sim_translate(MshvSimPartition *pt, const void *in,
                                   size_t in_size, void *out,
                                   size_t out_size)
{
    const struct hv_input_translate_virtual_address *ti = in;
    struct hv_output_translate_virtual_address *to = out;
    MshvSimTranslate t;
    uint16_t status;
    MshvSimVp *vp;

    if (in_size < sizeof(*ti) || out_size < sizeof(*to) ||
        (ti->control_flags & ~MSHV_SIM_TRANSLATE_FLAGS)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    vp = mshv_sim_hvcall_vp(pt, ti->vp_index, &status);
    if (!vp) {
        return status;
    }
    t.gva = ti->gva_page << 12;
    t.flags = ti->control_flags;
    /*
     * A stopped VP's paging state stands still, so its page tables can be
     * walked from here without waking its thread: that is the case of a
     * VMM emulating the instruction the VP stopped at.
     */
    if (mshv_sim_vp_stopped(vp)) {
        mshv_sim_translate_work(mshv_sim_vp_cpu(vp), RUN_ON_CPU_HOST_PTR(&t));
    } else {
        run_on_cpu(mshv_sim_vp_cpu(vp), mshv_sim_translate_work,
                   RUN_ON_CPU_HOST_PTR(&t));
    }
    memset(to, 0, sizeof(*to));
    to->result_code = t.result;
    if (t.result == HV_TRANSLATE_GVA_SUCCESS) {
        to->gpa_page = t.gpa >> 12;
    }
    return HV_STATUS_SUCCESS;
}

uint16_t mshv_sim_hvcall(MshvSimPartition *pt, MshvSimVp *caller,
                         uint16_t code, uint16_t reps,
                         const void *in, size_t in_size,
                         void *out, size_t out_size, unsigned *reps_done)
{
    uint16_t status;

    *reps_done = 0;
    mshv_sim_count(pt, MSHV_SIM_CNT_HVCALL);
    if (code < ARRAY_SIZE(pt->hvcall_counts)) {
        qatomic_inc(&pt->hvcall_counts[code]);
    }
    if (in_size < sizeof(uint64_t)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }

    switch (code) {
    case HVCALL_GET_VP_REGISTERS:
        status = mshv_sim_get_vp_registers(pt, reps, in, in_size, out,
                                           out_size, reps_done);
        break;
    case HVCALL_SET_VP_REGISTERS:
        status = mshv_sim_set_vp_registers(pt, reps, in, in_size, reps_done);
        break;
    case HVCALL_GET_PARTITION_PROPERTY: {
        const struct hv_input_get_partition_property *gp = in;
        struct hv_output_get_partition_property *po = out;

        if (in_size < sizeof(*gp) || out_size < sizeof(*po)) {
            status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        {
            uint64_t value = 0;

            status = mshv_sim_get_property(pt, gp->property_code, &value);
            po->property_value = value;
        }
        break;
    }
    case HVCALL_SET_PARTITION_PROPERTY: {
        const struct hv_input_set_partition_property *sp = in;

        if (in_size < sizeof(*sp)) {
            status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        status = mshv_sim_set_property(pt, sp->property_code,
                                       sp->property_value);
        break;
    }
    case HVCALL_INSTALL_INTERCEPT:
        status = mshv_sim_install_intercept(pt, in, in_size);
        break;
    case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
        status = mshv_sim_assert_interrupt(pt, in, in_size);
        break;
    case HVCALL_REGISTER_INTERCEPT_RESULT: {
        const struct hv_input_register_intercept_result_cpuid *ri = in;
        const struct hv_input_register_intercept_result_msr *rm = in;
        MshvSimVp *vp;

        if (in_size < sizeof(*rm) ||
            (rm->intercept_type == HV_INTERCEPT_TYPE_X64_CPUID &&
             in_size < sizeof(*ri))) {
            status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        vp = mshv_sim_hvcall_vp(pt, rm->vp_index, &status);
        if (!vp) {
            break;
        }
        switch (rm->intercept_type) {
        case HV_INTERCEPT_TYPE_X64_CPUID:
            status = mshv_sim_vp_register_cpuid(vp, ri);
            break;
        case HV_INTERCEPT_TYPE_X64_MSR:
            status = mshv_sim_vp_register_msr_result(vp, rm);
            break;
        default:
            status = HV_STATUS_INVALID_PARAMETER;
        }
        break;
    }
    case HVCALL_GET_VP_CPUID_VALUES: {
        const struct hv_input_get_vp_cpuid_values *cv = in;
        MshvSimVp *vp;

        if (in_size < sizeof(*cv) + reps * sizeof(struct hv_cpuid_leaf_info) ||
            out_size < reps * sizeof(struct hv_output_get_vp_cpuid_values) ||
            !reps) {
            status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        vp = mshv_sim_hvcall_vp(pt, cv->vp_index, &status);
        if (vp) {
            status = mshv_sim_vp_cpuid_values(vp, cv->flags,
                                              (const void *)(cv + 1), reps,
                                              out);
            *reps_done = status == HV_STATUS_SUCCESS ? reps : 0;
        }
        break;
    }
    case HVCALL_CLEAR_VIRTUAL_INTERRUPT: {
        unsigned i;

        for (i = 0; i < MSHV_MAX_VPS; i++) {
            if (pt->vps[i]) {
                mshv_sim_vp_clear_extint(pt->vps[i]);
            }
        }
        status = HV_STATUS_SUCCESS;
        break;
    }
    case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
        status = mshv_sim_translate(pt, in, in_size, out, out_size);
        break;
    case HVCALL_POST_MESSAGE_DIRECT:
        status = mshv_sim_hv_post_message(pt, in, in_size);
        break;
    case HVCALL_SIGNAL_EVENT_DIRECT:
        status = mshv_sim_hv_signal_event(pt, in, in_size, out, out_size);
        break;
    case HVCALL_GET_GPA_PAGES_ACCESS_STATES: {
        const struct hv_input_get_gpa_pages_access_state *ga = in;

        if (in_size < sizeof(*ga) || out_size < reps) {
            status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        status = mshv_sim_gpa_access_states(pt, ga->hv_gpa_page_number, reps,
                                            ga->flags, out, reps_done);
        break;
    }
    default:
        /* A hypercall the simulator does not implement (yet). */
        status = HV_STATUS_INVALID_HYPERCALL_CODE;
        break;
    }
    trace_mshv_sim_hvcall(code, reps, status, *reps_done);
    return status;
}
