/*
 * The MSHV instruction executor's multiplies, divides, shifts and
 * rotates with a memory operand: results and the flags the SDM defines
 * checked against what this (x86-64) host's CPU computes; a divide the
 * CPU would fault on raises #DE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"

#define OF  0x800
#define AF  0x010
#define CF  0x001
#define ARITH 0x8d5

static const uint64_t values[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
    0x80000000, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
    0xffffffffffffffffULL, 0x123456789abcdefULL, 0xfedcba9876543210ULL,
};
static const int widths[] = { 8, 16, 32, 64 };

static uint64_t mask_of(int bits)
{
    return bits == 64 ? ~0ULL : (1ULL << bits) - 1;
}


/* ---- MUL, IMUL, DIV, IDIV ------------------------------------------------ */

/*
 * The host's F6/F7 /EXT on RDX:RAX with SRC: returns false if it would
 * raise #DE (predicted from the operands, so the host never faults).
 */
static bool host_muldiv(unsigned ext, int bits, uint64_t *rax, uint64_t *rdx,
                        uint64_t src, uint64_t *fl)
{
    uint64_t a = *rax, d = *rdx, f;

    if (ext >= 6) {
        uint64_t m = mask_of(bits);
        __int128 n, q;

        if (!(src & m)) {
            return false;
        }
        if (ext == 6) {
            unsigned __int128 u = bits == 8 ? a & 0xffff :
                ((unsigned __int128)(d & m) << bits) | (a & m);

            if (u / (src & m) > m) {
                return false;
            }
        } else {
            int sh = 64 - bits;

            n = bits == 8 ? (int16_t)a :
                bits == 64 ? (__int128)(((unsigned __int128)d << 64) | a) :
                (int64_t)((((d & m) << bits) | (a & m)) << (64 - 2 * bits))
                >> (64 - 2 * bits);
            q = n / ((int64_t)(src << sh) >> sh);
            if (q > (__int128)(m >> 1) || q < -(__int128)(m >> 1) - 1) {
                return false;
            }
        }
    }
#define MULDIV(sfx, reg, cons)                                              \
    switch (ext) {                                                          \
    case 4:                                                                 \
        asm("mul" sfx " %4\n\tpushfq\n\tpop %2"                             \
            : "+a"(a), "+d"(d), "=r"(f) : "0"(a), cons((reg)src) : "cc");   \
        break;                                                              \
    case 5:                                                                 \
        asm("imul" sfx " %4\n\tpushfq\n\tpop %2"                            \
            : "+a"(a), "+d"(d), "=r"(f) : "0"(a), cons((reg)src) : "cc");   \
        break;                                                              \
    case 6:                                                                 \
        asm("div" sfx " %4\n\tpushfq\n\tpop %2"                             \
            : "+a"(a), "+d"(d), "=r"(f) : "0"(a), cons((reg)src) : "cc");   \
        break;                                                              \
    default:                                                                \
        asm("idiv" sfx " %4\n\tpushfq\n\tpop %2"                            \
            : "+a"(a), "+d"(d), "=r"(f) : "0"(a), cons((reg)src) : "cc");   \
        break;                                                              \
    }
    switch (bits) {
    case 8:
        MULDIV("b", uint8_t, "q")
        break;
    case 16:
        MULDIV("w", uint16_t, "r")
        break;
    case 32:
        MULDIV("l", uint32_t, "r")
        break;
    default:
        MULDIV("q", uint64_t, "r")
        break;
    }
#undef MULDIV
    *rax = a;
    *rdx = d;
    *fl = f;
    return true;
}

static void test_muldiv(void)
{
    static const char *const names[] = { "mul", "imul", "div", "idiv" };
    unsigned ext, w, i, j, k, faults = 0, runs = 0;

    for (ext = 4; ext < 8; ext++) {
        for (w = 0; w < ARRAY_SIZE(widths); w++) {
            int bits = widths[w];
            uint8_t code[4];
            size_t len = encode(code, bits, 0xf6);

            code[len++] = ext << 3 | 0x03;         /* [rbx] */
            for (i = 0; i < ARRAY_SIZE(values); i++) {
                for (j = 0; j < ARRAY_SIZE(values); j++) {
                    for (k = 0; k < 3; k++) {
                        /* RDX: 0, small, the sign of RAX */
                        uint64_t rax = values[i], src = values[j];
                        uint64_t rdx = k == 0 ? 0 : k == 1 ? 1 :
                                       (int64_t)rax < 0 ? ~0ULL : 0;
                        uint64_t want_a = rax, want_d = rdx, want_fl = 0;
                        bool ok = host_muldiv(ext, bits, &want_a, &want_d,
                                              src, &want_fl);
                        MshvEmuResult r;
                        Fixture f;

                        fixture_init(&f);
                        f.emu.gpr[0] = rax;
                        f.emu.gpr[2] = rdx;
                        f.emu.gpr[3] = DEV_BASE;
                        f.emu.rflags = 0x2 | ARITH;
                        memcpy(f.dev, &src, 8);
                        r = run(&f, code, len, NULL);
                        runs++;
                        if (!ok) {
                            g_assert_cmpint(r, ==, MSHV_EMU_FAULT);
                            g_assert_cmpuint(f.emu.fault_vector, ==, 0);
                            g_assert_cmphex(f.emu.rip, ==, 0x1000);
                            faults++;
                            continue;
                        }
                        if (r != MSHV_EMU_DONE ||
                            f.emu.gpr[0] != want_a ||
                            f.emu.gpr[2] != want_d ||
                            (ext < 6 &&
                             (f.emu.rflags & (CF | OF)) !=
                             (want_fl & (CF | OF)))) {
                            g_error("%s%d rax 0x%" PRIx64 " rdx 0x%" PRIx64
                                    " src 0x%" PRIx64 ": got %d rax 0x%" PRIx64
                                    " rdx 0x%" PRIx64 " fl 0x%" PRIx64
                                    ", want rax 0x%" PRIx64 " rdx 0x%" PRIx64
                                    " fl 0x%" PRIx64, names[ext - 4], bits,
                                    rax, rdx, src, r, f.emu.gpr[0],
                                    f.emu.gpr[2], f.emu.rflags, want_a,
                                    want_d, want_fl);
                        }
                        g_assert_cmphex(f.emu.rip, ==, 0x1000 + len);
                    }
                }
            }
        }
    }
    /* both outcomes were seen */
    g_assert_cmpuint(faults, >, 100);
    g_assert_cmpuint(runs - faults, >, 1000);
}

/* ---- Shifts and rotates -------------------------------------------------- */

/* The host's shift or rotate of A by COUNT (in CL), from flags FL_IN. */
#define HOST_SHIFT(name)                                                    \
static uint64_t host_##name(int bits, uint64_t a, uint8_t count,            \
                            uint64_t fl_in, uint64_t *fl)                   \
{                                                                           \
    switch (bits) {                                                         \
    case 8: {                                                               \
        uint8_t x = a;                                                      \
        asm("push %3\n\tpopfq\n\t" #name "b %%cl, %0\n\tpushfq\n\tpop %1"  \
            : "+q"(x), "=r"(*fl) : "c"(count), "r"(fl_in) : "cc");          \
        return x;                                                           \
    }                                                                       \
    case 16: {                                                              \
        uint16_t x = a;                                                     \
        asm("push %3\n\tpopfq\n\t" #name "w %%cl, %0\n\tpushfq\n\tpop %1"  \
            : "+r"(x), "=r"(*fl) : "c"(count), "r"(fl_in) : "cc");          \
        return x;                                                           \
    }                                                                       \
    case 32: {                                                              \
        uint32_t x = a;                                                     \
        asm("push %3\n\tpopfq\n\t" #name "l %%cl, %0\n\tpushfq\n\tpop %1"  \
            : "+r"(x), "=r"(*fl) : "c"(count), "r"(fl_in) : "cc");          \
        return x;                                                           \
    }                                                                       \
    default: {                                                              \
        uint64_t x = a;                                                     \
        asm("push %3\n\tpopfq\n\t" #name "q %%cl, %0\n\tpushfq\n\tpop %1"  \
            : "+r"(x), "=r"(*fl) : "c"(count), "r"(fl_in) : "cc");          \
        return x;                                                           \
    }                                                                       \
    }                                                                       \
}

HOST_SHIFT(rol)
HOST_SHIFT(ror)
HOST_SHIFT(rcl)
HOST_SHIFT(rcr)
HOST_SHIFT(shl)
HOST_SHIFT(shr)
HOST_SHIFT(sal)
HOST_SHIFT(sar)

/* By the ModRM reg field of D2/D3: /0 ROL ... /7 SAR */
static uint64_t (*const host_shift[8])(int, uint64_t, uint8_t, uint64_t,
                                       uint64_t *) = {
    host_rol, host_ror, host_rcl, host_rcr,
    host_shl, host_shr, host_sal, host_sar,
};

/* The flags the SDM defines after EXT by COUNT (masked) of a BITS value. */
static uint64_t shift_defined(unsigned ext, int bits, unsigned count)
{
    uint64_t m = ARITH;

    if (count != 1) {
        m &= ~OF;
    }
    if (ext >= 4) {
        m &= ~AF;
        if (count > bits && ext != 7) {
            m &= ~CF;           /* SHL, SHR past the width */
        }
    }
    return m;
}

static void test_shifts(void)
{
    static const uint8_t counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32,
                                      33, 63, 64, 65, 0xff };
    unsigned ext, w, i, c, cf;

    for (ext = 0; ext < 8; ext++) {
        for (w = 0; w < ARRAY_SIZE(widths); w++) {
            int bits = widths[w];
            uint8_t code[4];
            size_t len = encode(code, bits, 0xd2);

            code[len++] = ext << 3;                /* [rax], CL */
            for (i = 0; i < ARRAY_SIZE(values); i++) {
                for (c = 0; c < ARRAY_SIZE(counts); c++) {
                    for (cf = 0; cf < 2; cf++) {
                        uint64_t a = values[i] & mask_of(bits);
                        unsigned masked = counts[c] &
                                          (bits == 64 ? 0x3f : 0x1f);
                        uint64_t want_fl, want, got = 0, def;
                        Fixture f;

                        fixture_init(&f);
                        f.emu.gpr[0] = DEV_BASE;
                        f.emu.gpr[1] = counts[c];
                        f.emu.rflags = 0x2 | cf | (i & 1 ? ARITH & ~CF : 0);
                        memcpy(f.dev, &a, 8);
                        want = host_shift[ext](bits, a, counts[c],
                                               f.emu.rflags, &want_fl);
                        if (!masked) {
                            /* count 0: the flags stay as they were */
                            want_fl = f.emu.rflags;
                        }
                        g_assert_cmpint(run(&f, code, len, NULL), ==,
                                        MSHV_EMU_DONE);
                        memcpy(&got, f.dev, bits / 8);
                        def = shift_defined(ext, bits, masked);
                        if (got != (want & mask_of(bits)) ||
                            (f.emu.rflags & def) != (want_fl & def)) {
                            g_error("/%u %d-bit 0x%" PRIx64 " by %u cf %u: "
                                    "got 0x%" PRIx64 " fl 0x%" PRIx64
                                    ", want 0x%" PRIx64 " fl 0x%" PRIx64
                                    " (defined 0x%" PRIx64 ")", ext, bits,
                                    a, counts[c], cf, got, f.emu.rflags,
                                    want, want_fl, def);
                        }
                        /* count 0: not even a write */
                        g_assert_cmpuint(f.dev_writes, ==, masked ? 1 : 0);
                    }
                }
            }
        }
    }
}

/* SHLD and SHRD [rax], rbx, cl for 16, 32 and 64 bits. */
static void test_double_shifts(void)
{
    static const uint8_t counts[] = { 0, 1, 2, 8, 15, 16, 31, 32, 63, 64 };
    unsigned right, w, i, j, c;

    for (right = 0; right < 2; right++) {
        for (w = 1; w < ARRAY_SIZE(widths); w++) {
            int bits = widths[w];
            uint8_t code[5] = { 0 };
            size_t len = bits == 16 ? 1 : bits == 64 ? 1 : 0;

            code[0] = bits == 16 ? 0x66 : 0x48;
            code[len++] = 0x0f;
            code[len++] = right ? 0xad : 0xa5;
            code[len++] = 0x18;
            for (i = 0; i < ARRAY_SIZE(values); i++) {
                for (j = 0; j < ARRAY_SIZE(values); j += 3) {
                    for (c = 0; c < ARRAY_SIZE(counts); c++) {
                        uint64_t m = mask_of(bits);
                        uint64_t a = values[i] & m, b = values[j] & m;
                        unsigned masked = counts[c] &
                                          (bits == 64 ? 0x3f : 0x1f);
                        uint64_t x = a, fl, got = 0;
                        uint64_t def = ARITH & ~AF & ~(masked == 1 ? 0 : OF);
                        MshvEmuResult r;
                        Fixture f;

                        if (bits == 16) {
                            uint16_t x16 = a;

                            if (right) {
                                asm("shrdw %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                    : "+r"(x16), "=r"(fl)
                                    : "r"((uint16_t)b), "c"(counts[c])
                                    : "cc");
                            } else {
                                asm("shldw %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                    : "+r"(x16), "=r"(fl)
                                    : "r"((uint16_t)b), "c"(counts[c])
                                    : "cc");
                            }
                            x = x16;
                        } else if (bits == 32) {
                            uint32_t x32 = a;

                            if (right) {
                                asm("shrdl %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                    : "+r"(x32), "=r"(fl)
                                    : "r"((uint32_t)b), "c"(counts[c])
                                    : "cc");
                            } else {
                                asm("shldl %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                    : "+r"(x32), "=r"(fl)
                                    : "r"((uint32_t)b), "c"(counts[c])
                                    : "cc");
                            }
                            x = x32;
                        } else if (right) {
                            asm("shrdq %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                : "+r"(x), "=r"(fl) : "r"(b), "c"(counts[c])
                                : "cc");
                        } else {
                            asm("shldq %%cl, %2, %0\n\tpushfq\n\tpop %1"
                                : "+r"(x), "=r"(fl) : "r"(b), "c"(counts[c])
                                : "cc");
                        }
                        fixture_init(&f);
                        f.emu.gpr[0] = DEV_BASE;
                        f.emu.gpr[1] = counts[c];
                        f.emu.gpr[3] = b;
                        memcpy(f.dev, &a, 8);
                        r = run(&f, code, len, NULL);
                        if (masked > bits) {
                            /* 16 bits by 17-31: undefined, not done */
                            g_assert_cmpint(r, ==, MSHV_EMU_UNSUPPORTED);
                            continue;
                        }
                        g_assert_cmpint(r, ==, MSHV_EMU_DONE);
                        memcpy(&got, f.dev, bits / 8);
                        if (!masked) {
                            fl = f.emu.rflags;
                        }
                        if (got != x ||
                            (f.emu.rflags & def) != (fl & def)) {
                            g_error("sh%cd%d 0x%" PRIx64 ", 0x%" PRIx64
                                    " by %u: got 0x%" PRIx64 " fl 0x%" PRIx64
                                    ", want 0x%" PRIx64 " fl 0x%" PRIx64,
                                    right ? 'r' : 'l', bits, a, b, counts[c],
                                    got, f.emu.rflags, x, fl);
                        }
                    }
                }
            }
        }
    }
}

/* LZCNT and TZCNT (F3 0F BD/BC) from the device, 16, 32 and 64 bits. */
static void test_bit_counts(void)
{
    unsigned tz, w, i;

    for (tz = 0; tz < 2; tz++) {
        for (w = 1; w < ARRAY_SIZE(widths); w++) {
            int bits = widths[w];
            uint8_t code[6];
            size_t len = 0;

            if (bits == 16) {
                code[len++] = 0x66;
            }
            code[len++] = 0xf3;
            if (bits == 64) {
                code[len++] = 0x48;
            }
            code[len++] = 0x0f;
            code[len++] = tz ? 0xbc : 0xbd;
            code[len++] = 0x18;                    /* ebx, [rax] */
            for (i = 0; i < ARRAY_SIZE(values); i++) {
                uint64_t a = values[i] & mask_of(bits);
                uint64_t want = !a ? bits : tz ? __builtin_ctzll(a) :
                                __builtin_clzll(a) - (64 - bits);
                uint64_t want_fl = (a ? 0 : CF) | (want ? 0 : 0x40);
                Fixture f;

                fixture_init(&f);
                f.emu.gpr[0] = DEV_BASE;
                f.emu.gpr[3] = 0x5555555555555555ULL;
                memcpy(f.dev, &a, 8);
                g_assert_cmpint(run(&f, code, len, NULL), ==, MSHV_EMU_DONE);
                g_assert_cmphex(f.emu.gpr[3] & mask_of(bits), ==, want);
                g_assert_cmphex(f.emu.rflags & (CF | 0x40), ==, want_fl);
            }
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/muldiv", test_muldiv);
    g_test_add_func("/mshv/emu/shifts", test_shifts);
    g_test_add_func("/mshv/emu/double-shifts", test_double_shifts);
    g_test_add_func("/mshv/emu/bit-counts", test_bit_counts);
    return g_test_run();
}
