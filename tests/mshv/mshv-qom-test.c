/*
 * QOM registration of the MSHV accelerator
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

static bool qlist_has_name(QList *list, const char *name)
{
    const QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (d && g_str_equal(qdict_get_str(d, "name"), name)) {
            return true;
        }
    }
    return false;
}

static void test_accel_type_registered(void)
{
    QTestState *qts = qtest_init("-M none");
    QDict *resp;

    resp = qtest_qmp(qts, "{ 'execute': 'qom-list-types',"
                     "  'arguments': { 'implements': 'accel' } }");
    g_assert(qdict_haskey(resp, "return"));
    g_assert_true(qlist_has_name(qdict_get_qlist(resp, "return"),
                                 "mshv-accel"));
    qobject_unref(resp);
    qtest_quit(qts);
}

static void test_accel_device_property(void)
{
    QTestState *qts = qtest_init("-M none");
    QDict *resp;

    resp = qtest_qmp(qts, "{ 'execute': 'qom-list-properties',"
                     "  'arguments': { 'typename': 'mshv-accel' } }");
    g_assert(qdict_haskey(resp, "return"));
    g_assert_true(qlist_has_name(qdict_get_qlist(resp, "return"), "device"));
    qobject_unref(resp);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/mshv/qom/accel-type", test_accel_type_registered);
    qtest_add_func("/mshv/qom/device-property", test_accel_device_property);
    return g_test_run();
}
