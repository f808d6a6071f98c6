/*
 * The MSHV instruction executor's tests: a fake machine with a device
 * window and a little RAM, shared by the test programs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_MSHV_EMU_FIXTURE_H
#define TESTS_MSHV_EMU_FIXTURE_H

#include "../../target/i386/mshv/mshv-emu.h"

#define DEV_BASE    0xfed00000ULL
#define DEV_SIZE    0x100
#define RAM_BASE    0x100000ULL
#define RAM_SIZE    0x100
#define FLAGS_MASK  0x8d5       /* OF SF ZF AF PF CF */

typedef struct Fixture {
    MshvEmu emu;
    uint8_t xmm[16][16];
    uint8_t ymm_high[16][16];   /* bits 255:128 */
    bool zmm_zeroed[16];        /* a VEX write cleared bits above 255 */
    uint8_t zmm_upper[16][32];  /* bits 511:256 of ZMM0-15 */
    uint8_t zmm_hi16[16][64];   /* ZMM16-31 */
    uint64_t k[8];
    uint64_t mm[8];
    bool mmx_state;             /* an MMX write set TOP 0, tags valid */
    uint8_t dev[DEV_SIZE];
    uint8_t ram[RAM_SIZE];
    unsigned dev_reads, dev_writes;
    bool sink;                  /* every other address reads 0, drops writes */
    uint64_t cr0, cr4;
    MshvEmuSeg sreg[6];         /* ES...GS, all zero but as a test sets */
    MshvEmuSeg gdtr, ldtr, tr;
} Fixture;

/*
 * Prefixes and opcode of width BITS (8: OPC8, else OPC8 + 1, with 66 or
 * REX.W) into CODE; returns their length.
 */
size_t encode(uint8_t *code, int bits, uint8_t opc8);
/* A fresh machine in 64-bit mode, RIP 0x1000, RFLAGS 0x2. */
void fixture_init(Fixture *f);
/* Decode BYTES in F's mode and execute; INSN_LEN: its length. */
MshvEmuResult run(Fixture *f, const uint8_t *bytes, size_t len,
                  unsigned *insn_len);

#endif /* TESTS_MSHV_EMU_FIXTURE_H */
