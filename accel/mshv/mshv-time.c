/*
 * MSHV accelerator: partition time
 *
 * The partition's time (its reference time, the VPs' TSCs, their timers)
 * stands still while the VM is stopped: TIME_FREEZE.  Migration and
 * snapshots carry the partition's reference time, which the hypervisor
 * keeps apart from the VPs' TSCs (the TSC page maps one onto the other),
 * and it is restored before the guest runs again: a new partition's
 * reference time starts near zero, and the guest's clock would go back.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "trace.h"

/* Before the guest runs again: the reference time that arrived. */
static int mshv_time_restore(MshvState *s, Error **errp)
{
    if (!s->ref_time_loaded) {
        return 0;
    }
    s->ref_time_loaded = false;
    trace_mshv_time_restore(s->ref_time);
    return mshv_set_property(s, HV_PARTITION_PROPERTY_REFERENCE_TIME,
                             s->ref_time, errp);
}

static void mshv_time_state_change(void *opaque, bool running, RunState state)
{
    MshvState *s = opaque;
    Error *err = NULL;

    if (running == !s->time_frozen || !mshv_partition_ready()) {
        return;
    }
    if ((running && mshv_time_restore(s, &err) < 0) ||
        mshv_set_property(s, HV_PARTITION_PROPERTY_TIME_FREEZE, !running,
                          &err) < 0) {
        error_report_err(err);
        error_printf("mshv: the guest's time would not be right: the VM "
                     "stays stopped\n");
        qemu_system_vmstop_request(RUN_STATE_INTERNAL_ERROR);
        return;
    }
    s->time_frozen = !running;
}

static int mshv_time_pre_save(void *opaque)
{
    MshvState *s = opaque;
    Error *err = NULL;

    s->ref_time_valid = s->initialized;
    s->ref_time = 0;
    if (s->ref_time_valid &&
        mshv_get_property(s, HV_PARTITION_PROPERTY_REFERENCE_TIME,
                          &s->ref_time, &err) < 0) {
        error_report_err(err);
        return -EIO;
    }
    trace_mshv_time_save(s->ref_time_valid, s->ref_time);
    return 0;
}

static int mshv_time_post_load(void *opaque, int version_id)
{
    MshvState *s = opaque;

    s->ref_time_loaded = s->ref_time_valid;
    return 0;
}

static const VMStateDescription vmstate_mshv_time = {
    .name = "mshv-partition-time",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = mshv_time_pre_save,
    .post_load = mshv_time_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(ref_time_valid, MshvState),
        VMSTATE_UINT64(ref_time, MshvState),
        VMSTATE_END_OF_LIST()
    },
};

void mshv_time_init(MshvState *s)
{
    vmstate_register(NULL, 0, &vmstate_mshv_time, s);
    s->vmstate = qemu_add_vm_change_state_handler(mshv_time_state_change, s);
}
