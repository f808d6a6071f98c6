/*
 * MSHV accelerator: the Microsoft Hypervisor through Linux's /dev/mshv
 *
 * Interface for code outside accel/mshv and target/i386/mshv.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_MSHV_H
#define SYSTEM_MSHV_H

#ifdef COMPILING_PER_TARGET
# ifdef CONFIG_MSHV
#  define CONFIG_MSHV_IS_POSSIBLE
# endif
#else
# define CONFIG_MSHV_IS_POSSIBLE
#endif

#ifdef CONFIG_MSHV_IS_POSSIBLE
extern bool mshv_allowed;
#define mshv_enabled() (mshv_allowed)
#else
#define mshv_enabled() (false)
#endif

#define TYPE_MSHV_ACCEL ACCEL_CLASS_NAME("mshv")

/* The device node MSHV uses unless "-accel mshv,device=PATH" says otherwise. */
#define MSHV_DEFAULT_DEVICE "/dev/mshv"

#endif /* SYSTEM_MSHV_H */
