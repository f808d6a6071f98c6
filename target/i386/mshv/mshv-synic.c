/*
 * MSHV accelerator, x86: QEMU's Hyper-V devices (VMBus, hv-balloon) on the
 * guest's SynIC, which the hypervisor owns
 *
 * QEMU's SynIC code (hw/hyperv) posts messages and sets event flags
 * through this backend: HVCALL_POST_MESSAGE_DIRECT and
 * HVCALL_SIGNAL_EVENT_DIRECT.  A message its slot refuses is retried when
 * the hypervisor reports the slot free (a SINT-deliverable notification,
 * requested from the vCPU's thread).  The guest's HvPostMessage and
 * HvSignalEvent reach QEMU as hypercall intercepts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include CONFIG_DEVICES
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/memalign.h"
#include "migration/vmstate.h"
#include <sys/ioctl.h>
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-x86.h"
#include "trace.h"

#ifdef CONFIG_HYPERV
#include "hw/hyperv/hyperv.h"

static int mshv_synic_status(uint16_t status)
{
    switch (status) {
    case HV_STATUS_SUCCESS:
        return 0;
    case HV_STATUS_INSUFFICIENT_BUFFERS:
        return -EAGAIN;
    case HV_STATUS_INVALID_VP_STATE:
        /* the guest has not enabled its SynIC, page or SINT */
        return -ENXIO;
    default:
        return -EINVAL;
    }
}

static int mshv_synic_post_msg(CPUState *cs, uint32_t sint,
                               const struct hyperv_message *msg)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cs);
    struct hv_input_post_message_direct in = {
        .vp_index = s->accel.vp_index,
        .sint_index = sint,
    };
    uint16_t status = 0;
    int ret;

    QEMU_BUILD_BUG_ON(sizeof(*msg) != sizeof(in.message));
    memcpy(in.message, msg, sizeof(in.message));
    ret = mshv_hvcall(mshv_state->pt_fd, HVCALL_POST_MESSAGE_DIRECT, 0, &in,
                      sizeof(in), NULL, 0, &status, NULL);
    trace_mshv_synic_post(s->accel.vp_index, sint, msg->header.message_type,
                          status);
    if (ret < 0 && !status) {
        error_report("mshv: posting a SynIC message to VP %u failed: %s",
                     s->accel.vp_index, strerror(-ret));
        return ret;
    }
    ret = mshv_synic_status(status);
    if (ret == -EAGAIN) {
        /* the vCPU asks to hear when the guest has emptied the slot */
        qatomic_or(&s->sints_wanted, 1u << sint);
        qemu_cpu_kick(cs);
    }
    return ret;
}

static int mshv_synic_set_event_flag(CPUState *cs, uint32_t sint,
                                     unsigned eventno)
{
    AccelCPUState *s = cs->accel;
    struct hv_input_signal_event_direct in = {
        .target_vp = s->vp_index,
        .target_sint = sint,
        .flag_number = eventno,
    };
    struct hv_output_signal_event_direct out = { 0 };
    uint16_t status = 0;
    int ret;

    ret = mshv_hvcall(mshv_state->pt_fd, HVCALL_SIGNAL_EVENT_DIRECT, 0, &in,
                      sizeof(in), &out, sizeof(out), &status, NULL);
    trace_mshv_synic_signal(s->vp_index, sint, eventno, status);
    if (ret < 0 && !status) {
        error_report("mshv: signalling a SynIC event to VP %u failed: %s",
                     s->vp_index, strerror(-ret));
        return ret;
    }
    return mshv_synic_status(status);
}

/*
 * The hypervisor's VP index, the APIC ID (mshv_arch_vcpu_init); a vCPU
 * still without its VP is none the guest can name.
 */
static uint32_t mshv_synic_vp_index(CPUState *cs)
{
    return cs->accel ? mshv_x86_cpu_state(cs)->accel.vp_index : UINT32_MAX;
}

static const HvSynicBackend mshv_synic_backend = {
    .post_msg = mshv_synic_post_msg,
    .set_event_flag = mshv_synic_set_event_flag,
    .vp_index = mshv_synic_vp_index,
};

static int mshv_synic_vp_state(MshvX86CPUState *s, bool set, uint8_t type,
                               void *buf, uint32_t size)
{
    struct mshv_get_set_vp_state args = {
        .type = type,
        .buf_sz = size,
        .buf_ptr = (uintptr_t)buf,
    };

    if (ioctl(s->accel.vp_fd, set ? MSHV_SET_VP_STATE : MSHV_GET_VP_STATE,
              &args) < 0) {
        return -errno;
    }
    return 0;
}

/*
 * The SynIC pages, MSHV_VP_STATE_SIMP then _SIEFP, then the synthetic
 * timers' state (a message waiting for its slot among it); 0 or -errno.
 */
static int mshv_synic_pages(MshvX86CPUState *s, bool set)
{
    int ret;

    ret = mshv_synic_vp_state(s, set, MSHV_VP_STATE_SIMP, s->synic_pages,
                              MSHV_HV_PAGE_SIZE);
    if (ret == 0) {
        ret = mshv_synic_vp_state(s, set, MSHV_VP_STATE_SIEFP,
                                  (uint8_t *)s->synic_pages +
                                  MSHV_HV_PAGE_SIZE, MSHV_HV_PAGE_SIZE);
    }
    if (ret == 0 && s->stimers) {
        ret = mshv_synic_vp_state(s, set, MSHV_VP_STATE_SYNTHETIC_TIMERS,
                                  s->stimers, MSHV_HV_PAGE_SIZE);
    }
    return ret;
}

static int mshv_synic_pre_save(void *opaque)
{
    MshvX86CPUState *s = opaque;
    int ret = mshv_synic_pages(s, false);

    if (ret < 0) {
        error_report("mshv: saving the SynIC pages and timers of VP %u "
                     "failed: %s",
                     s->accel.vp_index, strerror(-ret));
    }
    return ret;
}

static int mshv_synic_post_load(void *opaque, int version_id)
{
    MshvX86CPUState *s = opaque;

    /* to the hypervisor with the registers, which enable the pages */
    s->synic_pages_loaded = true;
    return 0;
}

static bool mshv_stimers_needed(void *opaque)
{
    MshvX86CPUState *s = opaque;

    return s->stimers;
}

static const VMStateDescription vmstate_mshv_stimers = {
    .name = "mshv-synic/stimers",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = mshv_stimers_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER_POINTER_UNSAFE(stimers, MshvX86CPUState, 0,
                                      sizeof(struct hv_synthetic_timers_state)),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_mshv_synic = {
    .name = "mshv-synic",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = mshv_synic_pre_save,
    .post_load = mshv_synic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER_POINTER_UNSAFE(synic_pages, MshvX86CPUState, 0,
                                      2 * MSHV_HV_PAGE_SIZE),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_mshv_stimers,
        NULL
    },
};

int mshv_x86_synic_put_pages(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    int ret;

    if (!s->synic_pages_loaded) {
        return 0;
    }
    s->synic_pages_loaded = false;
    ret = mshv_synic_pages(s, true);
    if (ret < 0) {
        mshv_fail(cpu, "restoring the SynIC pages and timers", -ret, 0);
    }
    return ret;
}

static const uint64_t mshv_vmbus_features =
    1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG;

void mshv_x86_synic_vcpu_init(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    if (!(mshv_state->synthetic_features &
          (1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS))) {
        return;
    }
    s->synic_pages = qemu_memalign(MSHV_HV_PAGE_SIZE, 2 * MSHV_HV_PAGE_SIZE);
    memset(s->synic_pages, 0, 2 * MSHV_HV_PAGE_SIZE);
    if (mshv_state->synthetic_features &
        (1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS)) {
        /* (the driver takes whole pages, as for every VP state) */
        s->stimers = qemu_memalign(MSHV_HV_PAGE_SIZE, MSHV_HV_PAGE_SIZE);
        memset(s->stimers, 0, MSHV_HV_PAGE_SIZE);
    }
    vmstate_register(NULL, cpu->cpu_index, &vmstate_mshv_synic, s);
    hyperv_synic_set_backend(&mshv_synic_backend);
    hyperv_synic_add(cpu);
    /* what Windows wants beside VMBus (hv-stimer, hv-vapic, hv-runtime) */
    if ((mshv_state->synthetic_features & mshv_vmbus_features) ==
        mshv_vmbus_features) {
        hyperv_set_vmbus_recommended_features_enabled();
    }
}

void mshv_x86_synic_vcpu_destroy(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    if (s->synic_pages) {
        vmstate_unregister(NULL, &vmstate_mshv_synic, s);
    }
    qemu_vfree(s->stimers);
    s->stimers = NULL;
}

void mshv_x86_synic_ready(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_synic_sint_deliverable_message *d =
        (const void *)msg->payload;

    mshv_x86_cpu_state(cpu)->sints_notify &= ~d->deliverable_sints;
    bql_lock();
    hyperv_synic_sints_ready(cpu, d->deliverable_sints);
    bql_unlock();
}

/*
 * The guest's hypercalls the hypervisor leaves to QEMU.  TLFS calling
 * convention: RCX control, RDX input, R8 output in 64-bit mode; EDX:EAX,
 * EBX:ECX and EDI:ESI otherwise.  The result goes to RAX (EDX:EAX).
 */
int mshv_x86_handle_hypercall(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_x64_hypercall_intercept_message *hc =
        (const void *)msg->payload;
    MshvX86HypercallArgs a;
    uint64_t result;
    uint64_t gpr[MSHV_X86_GPRS];
    bool fast;

    mshv_x86_exit_hypercall_args(hc, &a);
    fast = a.control & HV_HYPERCALL_FAST;

    bql_lock();
    switch (a.control & 0xffff) {
    case HV_POST_MESSAGE:
        result = hyperv_hcall_post_message(a.in, fast);
        break;
    case HV_SIGNAL_EVENT:
        result = hyperv_hcall_signal_event(a.in, fast);
        break;
    case HV_POST_DEBUG_DATA:
        result = hyperv_hcall_post_dbg_data(a.in, a.out, fast);
        break;
    case HV_RETRIEVE_DEBUG_DATA:
        result = hyperv_hcall_retreive_dbg_data(a.in, a.out, fast);
        break;
    case HV_RESET_DEBUG_SESSION:
        result = hyperv_hcall_reset_dbg_session(a.out);
        break;
    default:
        result = HV_STATUS_INVALID_HYPERCALL_CODE;
        break;
    }
    bql_unlock();
    trace_mshv_hypercall(cpu->cpu_index, a.control, result);

    gpr[R_EAX] = a.longmode ? result : (uint32_t)result;
    gpr[R_EDX] = result >> 32;
    return mshv_x86_complete(cpu, &hc->header,
                             mshv_x86_exit_next_rip(&hc->header), NULL, gpr,
                             1u << R_EAX | (a.longmode ? 0 : 1u << R_EDX));
}

#else

void mshv_x86_synic_vcpu_destroy(CPUState *cpu)
{
}

int mshv_x86_synic_put_pages(CPUState *cpu)
{
    return 0;
}

void mshv_x86_synic_vcpu_init(CPUState *cpu)
{
}

void mshv_x86_synic_ready(CPUState *cpu, const struct hv_message *msg)
{
}

int mshv_x86_handle_hypercall(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_x64_hypercall_intercept_message *hc =
        (const void *)msg->payload;
    uint64_t gpr[MSHV_X86_GPRS] = {
        [R_EAX] = HV_STATUS_INVALID_HYPERCALL_CODE,
    };

    return mshv_x86_complete(cpu, &hc->header, hc->header.rip +
                             (hc->header.instruction_length_and_cr8 & 0xf),
                             NULL, gpr, 1u << R_EAX);
}

#endif
