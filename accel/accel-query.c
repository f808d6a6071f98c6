/*
 * query-accelerators and "info accelerators": the accelerators this
 * binary has and the one the machine runs with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/accel.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-accelerator.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

AcceleratorInfo *qmp_query_accelerators(Error **errp)
{
    AccelState *current = current_accel();
    g_autoptr(AcceleratorInfo) info = g_new0(AcceleratorInfo, 1);
    AcceleratorList **tail = &info->present;
    bool found = false;
    int i;

    for (i = 0; i < ACCELERATOR__MAX; i++) {
        AccelClass *ac = accel_find(Accelerator_str(i));

        if (!ac) {
            continue;
        }
        QAPI_LIST_APPEND(tail, i);
        if (current && ACCEL_GET_CLASS(current) == ac) {
            info->enabled = i;
            found = true;
        }
    }
    if (!found) {
        error_setg(errp, "no accelerator is running the machine yet");
        return NULL;
    }
    return g_steal_pointer(&info);
}

void hmp_info_accelerators(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    g_autoptr(AcceleratorInfo) info = qmp_query_accelerators(&err);
    AcceleratorList *a;

    if (hmp_handle_error(mon, err)) {
        return;
    }
    /* "kvm mshv qtest [tcg]": the one in use in brackets */
    for (a = info->present; a; a = a->next) {
        const char *name = Accelerator_str(a->value);

        monitor_printf(mon, a->value == info->enabled ? "[%s]%s" : "%s%s",
                       name, a->next ? " " : "\n");
    }
}
