/*
 * MSHV accelerator, x86: what QEMU's x86 CPU code asks of it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_I386_H
#define TARGET_I386_MSHV_I386_H

/*
 * Register REG (R_EAX...) of CPUID LEAF.SUBLEAF as the hypervisor offers
 * it to a partition: the bits a guest may be given.
 */
uint32_t mshv_get_supported_cpuid(uint32_t leaf, uint32_t subleaf, int reg);

#endif /* TARGET_I386_MSHV_I386_H */
