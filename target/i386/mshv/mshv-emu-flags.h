/*
 * MSHV accelerator, x86: the arithmetic flags of a result, as the
 * instruction executor (mshv-emu*.c) computes them; private to it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_EMU_FLAGS_H
#define TARGET_I386_MSHV_EMU_FLAGS_H

#define FL_CF   0x0001
#define FL_PF   0x0004
#define FL_AF   0x0010
#define FL_TF   0x0100
#define FL_ZF   0x0040
#define FL_SF   0x0080
#define FL_DF   0x0400
#define FL_OF   0x0800
#define FL_AC   0x40000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* The low BITS bits set. */
static inline uint64_t width_mask(unsigned bits)
{
    return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

static inline bool parity(uint64_t v)
{
    return !(__builtin_popcount(v & 0xff) & 1);
}

/* PF, ZF, SF of a result. */
static inline uint32_t flags_result(uint64_t r, unsigned bits)
{
    uint32_t f = 0;

    r &= width_mask(bits);
    if (parity(r)) {
        f |= FL_PF;
    }
    if (!r) {
        f |= FL_ZF;
    }
    if (r >> (bits - 1) & 1) {
        f |= FL_SF;
    }
    return f;
}

static inline uint32_t flags_add(uint64_t a, uint64_t b, uint64_t carry,
                                 unsigned bits)
{
    uint64_t m = width_mask(bits);
    uint64_t r = (a + b + carry) & m;
    uint32_t f = flags_result(r, bits);

    if (r < (a & m) || (carry && r == (a & m))) {
        f |= FL_CF;
    }
    if (((a ^ r) & (b ^ r)) >> (bits - 1) & 1) {
        f |= FL_OF;
    }
    if ((a ^ b ^ r) & 0x10) {
        f |= FL_AF;
    }
    return f;
}

static inline uint32_t flags_sub(uint64_t a, uint64_t b, uint64_t borrow,
                                 unsigned bits)
{
    uint64_t m = width_mask(bits);
    uint64_t r = (a - b - borrow) & m;
    uint32_t f = flags_result(r, bits);

    if ((a & m) < (b & m) || (borrow && (a & m) == (b & m))) {
        f |= FL_CF;
    }
    if (((a ^ b) & (a ^ r)) >> (bits - 1) & 1) {
        f |= FL_OF;
    }
    if ((a ^ b ^ r) & 0x10) {
        f |= FL_AF;
    }
    return f;
}

#endif /* TARGET_I386_MSHV_EMU_FLAGS_H */
