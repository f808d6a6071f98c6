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
#define ABI_VALUE(name) { #name, (uint64_t)(name) },
#define ABI_SIZE(s) { "sizeof(struct " #s ")", sizeof(struct s) },
#define ABI_FIELD(s, f) { "offsetof(struct " #s ", " #f ")", \
                          offsetof(struct s, f) },
#include "mshv-abi-list.h"
#undef ABI_VALUE
#undef ABI_SIZE
#undef ABI_FIELD
    { NULL, 0 }
};
