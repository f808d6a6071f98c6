/*
 * Guest program mmio-check: what its parts share
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_GUEST_MMIO_CHECK_H
#define TESTS_GUEST_MMIO_CHECK_H

#include <stdint.h>

/* Print case NAME's result and count it. */
void report(const char *name, int ok, unsigned *passed, unsigned *failed);
/* Whether BODY(AREA) raises signal SIG. */
int raises(int sig, void (*body)(uint8_t *), uint8_t *area);

/* mmio-check-seg.c: segment loads and far transfers */
void check_segments(uint8_t *ram, uint8_t *mmio, unsigned *passed,
                    unsigned *failed);

#endif
