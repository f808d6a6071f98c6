/*
 * The MSHV fuzz targets' common parts: the libFuzzer entry point, an
 * executor whose callbacks are a 4 KiB page of memory, vector (up to
 * ZMM), opmask and MMX registers, and ports that read as the page, and
 * the invariants every
 * execution must keep.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_MSHV_FUZZ_H
#define TESTS_MSHV_FUZZ_H

#include "../../target/i386/mshv/mshv-emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzEmu {
    MshvEmu emu;
    uint8_t page[4096];
    uint8_t xmm[16][32];
    uint8_t zmm[32][64];        /* what xmm does not hold */
    uint64_t k[8];
    uint64_t mm[8];
    MshvEmuSeg sreg[6];         /* ES ... GS */
    unsigned accesses;
} FuzzEmu;

/* An executor on fuzz callbacks, at @rip in @mode with RFLAGS 0x2. */
void fuzz_emu_init(FuzzEmu *f, ZydisMachineMode mode, uint64_t rip);

/*
 * Run @insn on @f and check what the executor must guarantee: RIP past
 * the instruction, at a branch target, or on it with REP iterations left
 * when it completed; unchanged when it did not; only the faults an
 * instruction raises itself.  True when it completed.
 */
bool fuzz_emu_exec(FuzzEmu *f, const ZydisDecodedInstruction *insn,
                   const ZydisDecodedOperand *ops);

/* Run each target deterministically: @runs random inputs, fixed seed. */
void fuzz_standalone(unsigned runs, size_t max_len,
                     void (*shape)(uint8_t *buf, size_t len, GRand *rand));

#endif
