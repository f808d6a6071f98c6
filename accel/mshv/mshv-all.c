/*
 * MSHV accelerator: the Microsoft Hypervisor through Linux's /dev/mshv
 *
 * Accelerator object, device and partition lifecycle.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qom/object.h"
#include "hw/boards.h"
#include "system/mshv.h"
#include "trace.h"

bool mshv_allowed;

struct MshvState {
    AccelState parent_obj;

    char *device;
    int fd;
};

OBJECT_DECLARE_SIMPLE_TYPE(MshvState, MSHV_ACCEL)

static const char *mshv_open_hint(int err)
{
    switch (err) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
        return "is this a Hyper-V root or L1VH partition with the mshv_root "
               "driver loaded?";
    case EACCES:
    case EPERM:
        return "run QEMU as a user that may open the device, "
               "for example root";
    default:
        return NULL;
    }
}

static int mshv_open_device(MshvState *s, Error **errp)
{
    const char *path = s->device ? s->device : MSHV_DEFAULT_DEVICE;
    const char *hint;
    int fd;

    fd = qemu_open_old(path, O_RDWR | O_CLOEXEC);
    trace_mshv_open_device(path, fd);
    if (fd < 0) {
        int err = errno;

        hint = mshv_open_hint(err);
        error_setg(errp, "could not open %s: %s%s%s%s", path, strerror(err),
                   hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
        return -err;
    }
    s->fd = fd;
    return 0;
}

static int mshv_init_machine(MachineState *ms)
{
    MshvState *s = MSHV_ACCEL(ms->accelerator);
    Error *err = NULL;
    int ret;

    ret = mshv_open_device(s, &err);
    if (ret < 0) {
        error_report_err(err);
        return ret;
    }

    error_report("%s opened, but this build cannot create partitions yet; "
                 "use -accel tcg", s->device ? s->device : MSHV_DEFAULT_DEVICE);
    close(s->fd);
    s->fd = -1;
    return -ENOSYS;
}

static char *mshv_get_device(Object *obj, Error **errp)
{
    return g_strdup(MSHV_ACCEL(obj)->device);
}

static void mshv_set_device(Object *obj, const char *value, Error **errp)
{
    MshvState *s = MSHV_ACCEL(obj);

    g_free(s->device);
    s->device = g_strdup(value);
}

static void mshv_accel_instance_init(Object *obj)
{
    MSHV_ACCEL(obj)->fd = -1;
}

static void mshv_accel_instance_finalize(Object *obj)
{
    MshvState *s = MSHV_ACCEL(obj);

    g_free(s->device);
    if (s->fd >= 0) {
        close(s->fd);
    }
}

static void mshv_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "MSHV";
    ac->init_machine = mshv_init_machine;
    ac->init_reports_errors = true;
    ac->allowed = &mshv_allowed;

    object_class_property_add_str(oc, "device", mshv_get_device,
                                  mshv_set_device);
    object_class_property_set_description(oc, "device",
        "Path of the MSHV device node (default " MSHV_DEFAULT_DEVICE ")");
}

static const TypeInfo mshv_accel_type = {
    .name = TYPE_MSHV_ACCEL,
    .parent = TYPE_ACCEL,
    .instance_size = sizeof(MshvState),
    .instance_init = mshv_accel_instance_init,
    .instance_finalize = mshv_accel_instance_finalize,
    .class_init = mshv_accel_class_init,
};

static void mshv_register_types(void)
{
    type_register_static(&mshv_accel_type);
}

type_init(mshv_register_types);
