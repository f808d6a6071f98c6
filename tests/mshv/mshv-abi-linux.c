/*
 * The kernel's side of mshv-abi-test: the values in mshv-abi-list.h as
 * <linux/mshv.h> defines them.  Built only when that header is available.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>
#include <linux/mshv.h>
#include "mshv-abi-table.h"

const MshvAbiEntry mshv_abi_linux[] = {
#include "mshv-abi-list.h"
    { NULL, 0 }
};
