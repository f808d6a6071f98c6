/*
 * MSHV accelerator: what common code needs when MSHV is not built in
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/mshv.h"

bool mshv_allowed;
