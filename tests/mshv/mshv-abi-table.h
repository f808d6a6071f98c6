/*
 * mshv-abi-test: one table of named ABI values per side.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_MSHV_ABI_TABLE_H
#define TESTS_MSHV_ABI_TABLE_H

typedef struct MshvAbiEntry {
    const char *name;
    uint64_t value;
} MshvAbiEntry;

/* Terminated by an entry with a NULL name. */
extern const MshvAbiEntry mshv_abi_linux[];

#endif
