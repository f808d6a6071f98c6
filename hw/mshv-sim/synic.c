/*
 * MSHV simulator: the SynIC's messages and events
 *
 * The VMM posts messages (HvPostMessageDirect) and signals events
 * (HvSignalEventDirect) to a VP's SINTs, as do the hypervisor's own
 * synthetic timers; each lands in the guest's SIMP or SIEFP page and
 * raises the SINT's vector.  Slots free again (EOM, auto-EOI) are what
 * SINT-deliverable notifications report.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "exec/address-spaces.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "kvm/hyperv-proto.h"
#include "mshv-sim.h"
#include "trace.h"

typedef struct MshvSimSynicWork {
    MshvSimVp *vp;
    uint32_t sint;
    const uint8_t *message;     /* post: HV_MESSAGE_SIZE bytes */
    uint32_t flag;              /* signal: the event flag */
    bool newly_signaled;
    uint16_t status;
} MshvSimSynicWork;

/*
 * The guest page of @page_msr (SIMP, SIEFP) for SINT @sint, if the SynIC,
 * the page and the SINT are all enabled; else 0 and the status why.
 */
static hwaddr mshv_sim_synic_slot(CPUX86State *env, uint64_t page_msr,
                                  uint32_t sint, uint16_t *status)
{
    if (sint >= HV_SYNIC_SINT_COUNT) {
        *status = HV_STATUS_INVALID_PARAMETER;
        return 0;
    }
    /* (vectors 0-15 are illegal for a LAPIC: such a SINT is unusable) */
    if (!(env->msr_hv_synic_control & HV_SYNIC_ENABLE) ||
        !(page_msr & HV_SIMP_ENABLE) ||
        (env->msr_hv_synic_sint[sint] & HV_SINT_MASKED) ||
        (env->msr_hv_synic_sint[sint] & 0xff) < 16) {
        *status = HV_STATUS_INVALID_VP_STATE;
        return 0;
    }
    *status = HV_STATUS_SUCCESS;
    return (page_msr & TARGET_PAGE_MASK) + sint * HV_MESSAGE_SIZE;
}

/*
 * Of the SINTs in @sints, which a sender waits on, those whose message
 * slot is free to post to.  The message in each other slot is flagged
 * pending, so that the guest writes EOM once it has emptied the slot: the
 * hypervisor does so for every sender it holds back (a refused message
 * sets the flag itself, but the slot may have taken another since -- a
 * timer's, at the guest's EOM).
 */
uint16_t mshv_sim_synic_free_slots(CPUState *cs, uint16_t sints)
{
    CPUX86State *env = cpu_env(cs);
    uint16_t free = 0, status;
    unsigned i;
    hwaddr slot;

    for (i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
        if (!(sints & (1u << i))) {
            continue;
        }
        slot = mshv_sim_synic_slot(env, env->msr_hv_synic_msg_page, i,
                                   &status);
        if (!slot) {
            continue;
        }
        if (ldl_le_phys(&address_space_memory, slot) == HVMSG_NONE) {
            free |= 1u << i;
        } else {
            stb_phys(&address_space_memory, slot + 5,
                     ldub_phys(&address_space_memory, slot + 5) |
                     HV_MESSAGE_FLAG_PENDING);
        }
    }
    return free;
}

/*
 * The APIC gave the VP @vector: a SINT with auto-EOI has it EOIed at once,
 * as the hypervisor does (the guest's handler writes no EOI).
 */
void mshv_sim_synic_auto_eoi(CPUState *cs, int vector)
{
    CPUX86State *env = cpu_env(cs);
    uint64_t sint;
    unsigned i;

    if (!(env->msr_hv_synic_control & HV_SYNIC_ENABLE)) {
        return;
    }
    for (i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
        sint = env->msr_hv_synic_sint[i];
        if (!(sint & HV_SINT_MASKED) && (sint & HV_SINT_AUTO_EOI) &&
            (sint & HV_SINT_VECTOR_MASK) == vector) {
            /* the APIC's EOI register, on the VP's own APIC */
            address_space_stl(&address_space_memory,
                              (cpu_get_apic_base(X86_CPU(cs)->apic_state) &
                               MSR_IA32_APICBASE_BASE) + 0xb0, 0,
                              MEMTXATTRS_UNSPECIFIED, NULL);
            return;
        }
    }
}

static void mshv_sim_synic_raise(MshvSimVp *vp, CPUX86State *env,
                                 uint32_t sint)
{
    mshv_sim_deliver_interrupt(mshv_sim_vp_partition(vp),
                               HV_X64_INTERRUPT_TYPE_FIXED,
                               mshv_sim_vp_index(vp), false, false,
                               env->msr_hv_synic_sint[sint] & 0xff);
}

/*
 * Post @message (HV_MESSAGE_SIZE bytes) to SINT @sint of the VP whose
 * thread this is: the VMM's messages and the hypervisor's own (timers).
 */
uint16_t mshv_sim_synic_post(MshvSimVp *vp, CPUState *cs, uint32_t sint,
                             const uint8_t *message)
{
    CPUX86State *env = cpu_env(cs);
    uint16_t status;
    hwaddr slot = mshv_sim_synic_slot(env, env->msr_hv_synic_msg_page, sint,
                                      &status);
    uint32_t type;
    uint8_t flags;

    if (!slot) {
        return status;
    }
    /*
     * A synthetic timer's message may come while the VMM's maps are
     * batched (no VP runs then): the map must be the one it made.
     */
    mshv_sim_memory_flush(mshv_sim_vp_partition(vp));
    type = ldl_le_phys(&address_space_memory, slot);
    if (type != HVMSG_NONE) {
        /* busy: the guest is to write EOM when it has emptied the slot */
        flags = ldub_phys(&address_space_memory, slot + 5);
        stb_phys(&address_space_memory, slot + 5,
                 flags | HV_MESSAGE_FLAG_PENDING);
        return HV_STATUS_INSUFFICIENT_BUFFERS;
    }
    /* the type last: the guest never sees half a message */
    cpu_physical_memory_write(slot + 4, message + 4, HV_MESSAGE_SIZE - 4);
    /* the body before the type, for a guest reading on another VP */
    smp_wmb();
    stl_le_phys(&address_space_memory, slot, ldl_le_p(message));
    mshv_sim_synic_raise(vp, env, sint);
    return HV_STATUS_SUCCESS;
}

static void mshv_sim_synic_post_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimSynicWork *w = data.host_ptr;

    w->status = mshv_sim_synic_post(w->vp, cs, w->sint, w->message);
}

static void mshv_sim_synic_signal_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimSynicWork *w = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    hwaddr slot = mshv_sim_synic_slot(env, env->msr_hv_synic_evt_page,
                                      w->sint, &w->status);
    hwaddr byte = slot + w->flag / 8;
    uint8_t bits;

    if (!slot) {
        return;
    }
    bits = ldub_phys(&address_space_memory, byte);
    w->newly_signaled = !(bits & (1u << (w->flag % 8)));
    if (w->newly_signaled) {
        stb_phys(&address_space_memory, byte, bits | 1u << (w->flag % 8));
        mshv_sim_synic_raise(w->vp, env, w->sint);
    }
}

/* @fn on the VP's thread, which owns its SynIC registers. */
static uint16_t mshv_sim_synic_call(MshvSimPartition *pt, uint32_t vp_index,
                                    run_on_cpu_func fn, MshvSimSynicWork *w)
{
    w->vp = mshv_sim_vp_find(pt, vp_index);
    if (!w->vp) {
        return HV_STATUS_INVALID_VP_INDEX;
    }
    run_on_cpu(mshv_sim_vp_cpu(w->vp), fn, RUN_ON_CPU_HOST_PTR(w));
    return w->status;
}

uint16_t mshv_sim_hv_post_message(MshvSimPartition *pt, const void *in,
                                  size_t in_size)
{
    const struct hv_input_post_message_direct *pm = in;
    MshvSimSynicWork w = { .status = HV_STATUS_INVALID_PARAMETER };

    if (in_size < sizeof(*pm)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    w.sint = pm->sint_index;
    w.message = pm->message;
    return mshv_sim_synic_call(pt, pm->vp_index, mshv_sim_synic_post_work,
                               &w);
}

uint16_t mshv_sim_hv_signal_event(MshvSimPartition *pt, const void *in,
                                  size_t in_size, void *out, size_t out_size)
{
    const struct hv_input_signal_event_direct *se = in;
    struct hv_output_signal_event_direct *so = out;
    MshvSimSynicWork w = { .status = HV_STATUS_INVALID_PARAMETER };
    uint16_t status;

    if (in_size < sizeof(*se) || out_size < sizeof(*so) ||
        se->flag_number >= HV_MESSAGE_SIZE * 8) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    w.sint = se->target_sint;
    w.flag = se->flag_number;
    memset(so, 0, sizeof(*so));
    status = mshv_sim_synic_call(pt, se->target_vp,
                                 mshv_sim_synic_signal_work, &w);
    if (status == HV_STATUS_SUCCESS) {
        so->newly_signaled = w.newly_signaled;
    }
    return status;
}
