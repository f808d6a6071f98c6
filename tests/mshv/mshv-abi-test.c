/*
 * include/hw/hyperv/mshv-abi.h against the kernel's <linux/mshv.h>: every
 * ioctl number, flag, struct size and field offset in mshv-abi-list.h.
 * Skipped (visibly) when no linux/mshv.h was found at configure time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/hyperv/mshv-abi.h"
#include "mshv-abi-table.h"

static const MshvAbiEntry mshv_abi_ours[] G_GNUC_UNUSED = {
#include "mshv-abi-list.h"
    { NULL, 0 }
};

static void test_matches_linux(void)
{
#ifndef HAVE_LINUX_MSHV_H
    g_test_skip("no linux/mshv.h (Linux >= 6.15 uapi headers) was found at "
                "configure time; scripts/install-deps provides one");
#else
    const MshvAbiEntry *ours = mshv_abi_ours;
    const MshvAbiEntry *kernel = mshv_abi_linux;
    int mismatches = 0;

    for (; ours->name && kernel->name; ours++, kernel++) {
        g_assert_cmpstr(ours->name, ==, kernel->name);
        if (ours->value != kernel->value) {
            g_test_message("%s: ours 0x%" PRIx64 ", linux/mshv.h 0x%" PRIx64,
                           ours->name, ours->value, kernel->value);
            mismatches++;
        }
    }
    g_assert_null(ours->name);
    g_assert_null(kernel->name);
    g_assert_cmpint(mismatches, ==, 0);
#endif
}

/* Numbers the rest of the project relies on, as the ABI documents them. */
static void test_documented_values(void)
{
    g_assert_cmphex(MSHV_CREATE_PARTITION, ==, 0x4010B800);
    g_assert_cmphex(MSHV_ROOT_HVCALL, ==, 0xC020B807);
    g_assert_cmphex(MSHV_INITIALIZE_PARTITION, ==, 0x0000B800);
    g_assert_cmphex(MSHV_CREATE_VP, ==, 0x4004B801);
    g_assert_cmphex(MSHV_SET_GUEST_MEMORY, ==, 0x4020B802);
    g_assert_cmphex(MSHV_IRQFD, ==, 0x4010B803);
    g_assert_cmphex(MSHV_IOEVENTFD, ==, 0x4020B804);
    g_assert_cmphex(MSHV_SET_MSI_ROUTING, ==, 0x4008B805);
    g_assert_cmphex(MSHV_GET_GPAP_ACCESS_BITMAP, ==, 0xC020B806);
    g_assert_cmphex(MSHV_RUN_VP, ==, 0x8100B800);
    g_assert_cmphex(MSHV_GET_VP_STATE, ==, 0xC010B801);
    g_assert_cmphex(MSHV_SET_VP_STATE, ==, 0xC010B802);
    g_assert_cmpuint(MSHV_PT_FLAGS_MASK, ==, 0x3f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/abi/documented-values", test_documented_values);
    g_test_add_func("/mshv/abi/matches-linux-uapi", test_matches_linux);
    return g_test_run();
}
