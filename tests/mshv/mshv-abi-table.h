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

/* How mshv-abi-list.h turns into table entries, on both sides. */
#define ABI_VALUE(name) { #name, (uint64_t)(name) },
#define ABI_SIZE(s) { "sizeof(struct " #s ")", sizeof(struct s) },
#define ABI_FIELD(s, f) { "offsetof(struct " #s ", " #f ")", \
                          offsetof(struct s, f) },

/* Terminated by an entry with a NULL name. */
extern const MshvAbiEntry mshv_abi_linux[];

#endif
