/*
 * The libFuzzer entry point of the MSHV fuzz targets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_MSHV_FUZZ_H
#define TESTS_MSHV_FUZZ_H

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
