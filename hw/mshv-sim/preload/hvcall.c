/*
 * MSHV simulator, driver side: MSHV_ROOT_HVCALL, the hypercall
 * pass-through, and the host-partition property queries that /dev/mshv
 * itself answers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "preload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/mshv-sim/caps.h"

/* What partition and VP fds may pass through (Linux 7.2). */
static const uint16_t passthru_hvcalls[] = {
    HVCALL_GET_PARTITION_PROPERTY,
    HVCALL_SET_PARTITION_PROPERTY,
    HVCALL_INSTALL_INTERCEPT,
    HVCALL_GET_VP_REGISTERS,
    HVCALL_SET_VP_REGISTERS,
    HVCALL_TRANSLATE_VIRTUAL_ADDRESS,
    HVCALL_CLEAR_VIRTUAL_INTERRUPT,
    HVCALL_REGISTER_INTERCEPT_RESULT,
    HVCALL_ASSERT_VIRTUAL_INTERRUPT,
    HVCALL_GET_GPA_PAGES_ACCESS_STATES,
    HVCALL_SIGNAL_EVENT_DIRECT,
    HVCALL_POST_MESSAGE_DIRECT,
    HVCALL_GET_VP_CPUID_VALUES,
    HVCALL_GET_PARTITION_PROPERTY_EX,
};

/* What /dev/mshv may pass through, always about the host itself. */
static const uint16_t self_passthru_hvcalls[] = {
    HVCALL_GET_PARTITION_PROPERTY,
    HVCALL_GET_PARTITION_PROPERTY_EX,
};

static bool code_allowed(uint16_t code, const uint16_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == code) {
            return true;
        }
    }
    return false;
}

static bool is_async(uint16_t code)
{
    return code == HVCALL_SET_PARTITION_PROPERTY;
}

/* The kernel's hv_status_infos table. */
int mshv_hv_status_to_errno(uint64_t status)
{
    switch (status & 0xffff) {
    case HV_STATUS_SUCCESS:
        return 0;
    case HV_STATUS_INVALID_HYPERCALL_CODE:
    case HV_STATUS_INVALID_HYPERCALL_INPUT:
    case HV_STATUS_INVALID_PARAMETER:
    case HV_STATUS_INVALID_PARTITION_ID:
    case HV_STATUS_INVALID_VP_INDEX:
    case HV_STATUS_INVALID_PORT_ID:
    case HV_STATUS_INVALID_CONNECTION_ID:
    case HV_STATUS_INVALID_LP_INDEX:
    case HV_STATUS_INVALID_REGISTER_VALUE:
        return -EINVAL;
    case HV_STATUS_INSUFFICIENT_MEMORY:
    case HV_STATUS_INSUFFICIENT_ROOT_MEMORY:
    case HV_STATUS_INSUFFICIENT_CONTIGUOUS_MEMORY:
    case HV_STATUS_INSUFFICIENT_CONTIGUOUS_ROOT_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* ---- Host properties ------------------------------------------------- */

static uint64_t tsc_hz, machine_tsc_hz;

static void machine_tsc_measure(void)
{
    machine_tsc_hz = mshv_sim_host_tsc_frequency();
}

/*
 * This machine's TSC rate, measured once (it must not race with itself),
 * for our own answers and for the hypervisor processes we start.
 */
uint64_t mshv_machine_tsc_hz(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    int saved = errno;

    pthread_once(&once, machine_tsc_measure);
    errno = saved;
    return machine_tsc_hz;
}

/*
 * The simulated host's TSC rate: a host profile's, which its hypervisor
 * processes take as -machine tsc-frequency=HZ (in the arguments we give
 * them), or else this machine's.
 */
static void tsc_measure(void)
{
    const char *args = getenv(MSHV_SIM_ENV_HV_ARGS);
    const char *p = args;

    while (p && (p = strstr(p, "tsc-frequency=")) != NULL) {
        p += strlen("tsc-frequency=");
        /* the last one counts; (not linked with QEMU's string helpers) */
        if (sscanf(p, "%" SCNu64, &tsc_hz) != 1) {
            tsc_hz = 0;
        }
    }
    if (!tsc_hz) {
        tsc_hz = mshv_machine_tsc_hz();
    }
}

static uint64_t host_tsc_hz(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    int saved = errno;

    pthread_once(&once, tsc_measure);
    errno = saved;
    return tsc_hz;
}

/*
 * A host profile's processor (a -cpu among the hypervisor processes'
 * arguments): its feature banks and XSAVE components, which only a
 * hypervisor process can work out, asked once.
 */
static const uint32_t profile_codes[] = {
    HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0,
    HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1,
    HV_PARTITION_PROPERTY_XSAVE_STATES,
    HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE,
};
static uint64_t profile_vals[sizeof(profile_codes) / sizeof(profile_codes[0])];
static bool profile_known;

static void profile_ask(void)
{
    const char *args = getenv(MSHV_SIM_ENV_HV_ARGS);

    profile_known = args && strstr(args, "-cpu") &&
                    mshv_partition_host_properties(profile_codes,
                                                   profile_vals,
                                                   sizeof(profile_codes) /
                                                   sizeof(profile_codes[0]))
                    == 0;
}

static bool profile_property(uint32_t code, uint64_t *val)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    int saved = errno;

    pthread_once(&once, profile_ask);
    errno = saved;
    for (unsigned i = 0; profile_known &&
         i < sizeof(profile_codes) / sizeof(profile_codes[0]); i++) {
        if (profile_codes[i] == code) {
            *val = profile_vals[i];
            return true;
        }
    }
    return false;
}

static bool host_scalar_property(uint32_t code, uint64_t *val)
{
    if (profile_property(code, val)) {
        return true;
    }
    switch (code) {
    case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0:
        *val = MSHV_SIM_PROCESSOR_FEATURES0;
        return true;
    case HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1:
        *val = MSHV_SIM_PROCESSOR_FEATURES1;
        if (!mshv_sim_host_has_cet()) {
            *val &= ~MSHV_SIM_PROCESSOR_FEATURES1_CET;
        }
        return true;
    case HV_PARTITION_PROPERTY_XSAVE_STATES:
        *val = mshv_sim_host_has_cet() ? MSHV_SIM_XSAVE_STATES :
               MSHV_SIM_XSAVE_STATES & ~MSHV_SIM_XSAVE_CET;
        return true;
    case HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE:
        *val = mshv_sim_xsave_data_size(mshv_sim_host_has_cet() ?
                                        MSHV_SIM_XSAVE_STATES : 0);
        return true;
    case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
        *val = MSHV_SIM_PHYSICAL_ADDRESS_WIDTH;
        return true;
    case HV_PARTITION_PROPERTY_PROCESSOR_CL_FLUSH_SIZE:
        *val = MSHV_SIM_PROCESSOR_CL_FLUSH_SIZE;
        return true;
    case HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY:
        *val = host_tsc_hz();
        return true;
    default:
        return false;
    }
}

/* The banked layout of the large properties: u16 count, u16[3], u64[]. */
static void put_banked(uint8_t *out, uint64_t bank0)
{
    uint16_t count = 1;

    memcpy(out, &count, sizeof(count));
    memcpy(out + 8, &bank0, sizeof(bank0));
}

/* What the hypervisor answers about the root partition itself. */
static uint16_t host_hvcall(const struct mshv_root_hvcall *args,
                            const uint8_t *in, uint8_t *out)
{
    uint32_t code;
    uint64_t val;

    if (args->reps) {
        /* both are simple hypercalls */
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    memcpy(&code, in + offsetof(struct hv_input_get_partition_property,
                                property_code), sizeof(code));
    if (host_scalar_property(code, &val)) {
        memcpy(out, &val, sizeof(val));
        return HV_STATUS_SUCCESS;
    }
    if (args->code != HVCALL_GET_PARTITION_PROPERTY_EX) {
        return HV_STATUS_UNKNOWN_PROPERTY;
    }
    switch (code) {
    case HV_PARTITION_PROPERTY_VMM_CAPABILITIES:
        put_banked(out, MSHV_SIM_VMM_CAPABILITIES);
        return HV_STATUS_SUCCESS;
    case HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES:
        put_banked(out, MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES);
        return HV_STATUS_SUCCESS;
    default:
        return HV_STATUS_UNKNOWN_PROPERTY;
    }
}

/* ---- MSHV_ROOT_HVCALL ------------------------------------------------ */

static bool args_valid(const struct mshv_root_hvcall *a)
{
    for (size_t i = 0; i < sizeof(a->rsvd); i++) {
        if (a->rsvd[i]) {
            return false;
        }
    }
    if (a->status || !a->in_ptr || a->in_sz < sizeof(uint64_t) ||
        a->in_sz > MSHV_HVCALL_MAX_IO_SIZE) {
        return false;
    }
    if (a->out_ptr && (!a->out_sz || a->out_sz > MSHV_HVCALL_MAX_IO_SIZE)) {
        return false;
    }
    return true;
}

/*
 * pt == NULL: /dev/mshv, answered here.  Otherwise forwarded on the VP's
 * channel (VP fd, vp->lock held) or the partition channel (pt->lock held).
 */
long mshv_hvcall_ioctl(MshvPartition *pt, MshvVp *vp, uint64_t arg)
{
    struct mshv_root_hvcall args;
    MshvSimHeader req = { .op = MSHV_SIM_OP_HVCALL };
    MshvSimHeader rep;
    uint64_t pt_id, status, reps_done = 0;
    uint8_t *in, *out;
    long ret;

    if (mshv_copy_from_user(&args, arg, sizeof(args)) < 0) {
        return -EFAULT;
    }
    if (!args_valid(&args)) {
        return -EINVAL;
    }
    if (pt ? !code_allowed(args.code, passthru_hvcalls,
                           sizeof(passthru_hvcalls) /
                           sizeof(passthru_hvcalls[0]))
           : !code_allowed(args.code, self_passthru_hvcalls,
                           sizeof(self_passthru_hvcalls) /
                           sizeof(self_passthru_hvcalls[0]))) {
        return -EINVAL;
    }
    /* async calls need the partition fd (its lock orders them) */
    if (is_async(args.code) && (!pt || vp)) {
        return -EINVAL;
    }

    in = calloc(2, MSHV_HVCALL_MAX_IO_SIZE);
    if (!in) {
        return -ENOMEM;
    }
    out = in + MSHV_HVCALL_MAX_IO_SIZE;
    if (mshv_copy_from_user(in, args.in_ptr, args.in_sz) < 0) {
        ret = -EFAULT;
        goto out;
    }
    /* every allowed input starts with the target partition's id */
    pt_id = pt ? pt->id : HV_PARTITION_ID_SELF;
    memcpy(in, &pt_id, sizeof(pt_id));

    if (!pt) {
        status = host_hvcall(&args, in, out);
    } else {
        /*
         * An interrupt a device raised while the VMM handled an exit goes
         * where the stopped VP's thread takes it at once (any channel
         * carries a partition's hypercalls); the hypervisor's main loop
         * would take two more wake-ups.
         */
        MshvVp *via = !vp && args.code == HVCALL_ASSERT_VIRTUAL_INTERRUPT ?
                      mshv_vp_trylock_handled(pt) : NULL;
        MshvVp *on = vp ? vp : via;
        uint32_t out_sz = args.out_ptr ? args.out_sz : 0;
        uint16_t posted_status;
        uint32_t posted_reps;

        /* (and if it watches, it takes the call from memory, no packet) */
        if (on && mshv_sim_watcher_takes(args.code, in, args.in_sz,
                                         on->index) &&
            mshv_vp_post_call(on, args.code, args.reps, in, args.in_sz,
                              out, out_sz, &posted_status, &posted_reps)) {
            if (via) {
                pthread_mutex_unlock(&via->lock);
            }
            status = posted_status;
            reps_done = posted_reps;
            goto done;
        }
        req.arg[0] = args.code;
        req.arg[1] = args.reps;
        req.arg[2] = out_sz;
        ret = mshv_partition_call_watched(pt, on ? on->chan : pt->chan,
                                          on ? &on->shared->sent : NULL,
                                          on ? &on->call_poll_ns :
                                               &pt->call_poll_ns,
                                          &req, in, args.in_sz,
                                          &rep, out, MSHV_HVCALL_MAX_IO_SIZE);
        if (via) {
            pthread_mutex_unlock(&via->lock);
        }
        if (ret < 0) {
            goto out;
        }
        status = rep.arg[0];
        reps_done = rep.arg[1];
        if ((status & 0xffff) == HV_STATUS_CALL_PENDING &&
            !is_async(args.code)) {
            /* the driver's paranoia check: cannot happen */
            ret = -EBADFD;
            goto out;
        }
    }

done:
    ret = mshv_hv_status_to_errno(status);
    args.status = status & 0xffff;
    args.reps = args.reps ? reps_done : 0;
    if (mshv_copy_to_user(arg, &args, sizeof(args)) < 0) {
        ret = -EFAULT;
    }
    if (ret == 0 && args.out_ptr &&
        mshv_copy_to_user(args.out_ptr, out, args.out_sz) < 0) {
        ret = -EFAULT;
    }
out:
    free(in);
    return ret;
}
