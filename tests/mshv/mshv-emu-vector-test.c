/*
 * The MSHV instruction executor's moves between vector registers and the
 * fake device: SSE and AVX (XMM, and YMM through its upper half), MMX
 * (through the x87 unit, which an MMX write puts in MMX state): what
 * lands where, what a load zeroes or keeps.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"

static void test_sse_moves(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[8];
        unsigned len, xmm, size, off;
        bool load;
    } forms[] = {
        /* movdqu xmm1, [rbx+0x10] */
        { "movdqu load", { 0xf3, 0x0f, 0x6f, 0x4b, 0x10 }, 5, 1, 16, 0x10,
          true },
        /* movdqa [rbx+0x20], xmm9 */
        { "movdqa store", { 0x66, 0x44, 0x0f, 0x7f, 0x4b, 0x20 }, 6, 9, 16,
          0x20, false },
        /* movups xmm2, [rbx] */
        { "movups load", { 0x0f, 0x10, 0x13 }, 3, 2, 16, 0, true },
        /* movaps [rbx+0x30], xmm3 */
        { "movaps store", { 0x0f, 0x29, 0x5b, 0x30 }, 4, 3, 16, 0x30, false },
        /* movntdq [rbx+0x40], xmm4 */
        { "movntdq store", { 0x66, 0x0f, 0xe7, 0x63, 0x40 }, 5, 4, 16, 0x40,
          false },
        /* movq xmm5, [rbx+8]: zeroes bits 127:64 */
        { "movq load", { 0xf3, 0x0f, 0x7e, 0x6b, 0x08 }, 5, 5, 8, 8, true },
        /* movq [rbx+0x50], xmm6 */
        { "movq store", { 0x66, 0x0f, 0xd6, 0x73, 0x50 }, 5, 6, 8, 0x50,
          false },
        /* movd xmm7, [rbx+4]: zeroes bits 127:32 */
        { "movd load", { 0x66, 0x0f, 0x6e, 0x7b, 0x04 }, 5, 7, 4, 4, true },
        /* movd [rbx+0x60], xmm0 */
        { "movd store", { 0x66, 0x0f, 0x7e, 0x43, 0x60 }, 5, 0, 4, 0x60,
          false },
    };
    Fixture f;
    int i, j;

    for (i = 0; i < ARRAY_SIZE(forms); i++) {
        unsigned len, off = forms[i].off;
        uint8_t want[16];

        fixture_init(&f);
        f.emu.gpr[3] = DEV_BASE;
        for (j = 0; j < DEV_SIZE; j++) {
            f.dev[j] = 0x80 + j;
        }
        memset(f.xmm, 0xee, sizeof(f.xmm));
        for (j = 0; j < 16; j++) {
            f.xmm[forms[i].xmm][j] = j + 1;
        }
        g_test_message("%s", forms[i].name);
        g_assert_cmpint(run(&f, forms[i].bytes, forms[i].len, &len), ==,
                        MSHV_EMU_DONE);
        g_assert_cmpuint(len, ==, forms[i].len);
        g_assert_cmphex(f.emu.rip, ==, 0x1000 + len);
        if (forms[i].load) {
            memset(want, 0, sizeof(want));
            memcpy(want, f.dev + off, forms[i].size);
            g_assert_cmpmem(f.xmm[forms[i].xmm], 16, want, 16);
        } else {
            g_assert_cmpmem(f.dev + off, forms[i].size,
                            f.xmm[forms[i].xmm], forms[i].size);
            /* nothing past the operand */
            g_assert_cmpuint(f.dev[off + forms[i].size], ==,
                             0x80 + off + forms[i].size);
        }
    }
}

/*
 * AVX (VEX) moves: a YMM register's upper half goes to and from the
 * ymm_high callback; a VEX.128 load zeroes it (and what is above), a
 * legacy SSE load leaves it.
 */
static void test_avx_moves(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[6];
        unsigned len, reg, size, off;
        bool load, vex;
    } forms[] = {
        { "vmovdqu ymm1, [rbx+0x10]", { 0xc5, 0xfe, 0x6f, 0x4b, 0x10 }, 5,
          1, 32, 0x10, true, true },
        { "vmovdqu [rbx+0x20], ymm2", { 0xc5, 0xfe, 0x7f, 0x53, 0x20 }, 5,
          2, 32, 0x20, false, true },
        { "vmovups [rbx+0x40], ymm6", { 0xc5, 0xfc, 0x11, 0x73, 0x40 }, 5,
          6, 32, 0x40, false, true },
        { "vmovdqu xmm3, [rbx+0x30]", { 0xc5, 0xfa, 0x6f, 0x5b, 0x30 }, 5,
          3, 16, 0x30, true, true },
        { "vmovd xmm4, [rbx+4]", { 0xc5, 0xf9, 0x6e, 0x63, 0x04 }, 5,
          4, 4, 4, true, true },
        { "vmovq [rbx+0x50], xmm5", { 0xc5, 0xf9, 0xd6, 0x6b, 0x50 }, 5,
          5, 8, 0x50, false, true },
        { "movdqu xmm1, [rbx]", { 0xf3, 0x0f, 0x6f, 0x0b }, 4,
          1, 16, 0, true, false },
    };
    Fixture f;
    int i, j;

    for (i = 0; i < ARRAY_SIZE(forms); i++) {
        unsigned r = forms[i].reg, off = forms[i].off, size = forms[i].size;
        uint8_t reg[32], want[32] = { 0 };

        fixture_init(&f);
        f.emu.gpr[3] = DEV_BASE;
        for (j = 0; j < DEV_SIZE; j++) {
            f.dev[j] = 0x80 + j;
        }
        for (j = 0; j < 16; j++) {
            f.xmm[r][j] = j + 1;
            f.ymm_high[r][j] = j + 0x41;
        }
        memcpy(reg, f.xmm[r], 16);
        memcpy(reg + 16, f.ymm_high[r], 16);
        g_test_message("%s", forms[i].name);
        g_assert_cmpint(run(&f, forms[i].bytes, forms[i].len, NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.rip, ==, 0x1000 + forms[i].len);
        if (!forms[i].load) {
            g_assert_cmpmem(f.dev + off, size, reg, size);
            g_assert_cmpuint(f.dev[off + size], ==, 0x80 + off + size);
            continue;
        }
        memcpy(want, f.dev + off, size);
        if (!forms[i].vex) {
            memcpy(want + 16, reg + 16, 16);     /* kept */
        }
        g_assert_cmpmem(f.xmm[r], 16, want, 16);
        g_assert_cmpmem(f.ymm_high[r], 16, want + 16, 16);
        g_assert_cmpint(f.zmm_zeroed[r], ==, forms[i].vex);
    }
}

static void test_mmx_moves(void)
{
    static const struct {
        const char *name;
        uint8_t bytes[5];
        unsigned len, reg, size, off;
        bool load;
    } forms[] = {
        { "movq mm1, [rbx+8]", { 0x0f, 0x6f, 0x4b, 0x08 }, 4, 1, 8, 8, true },
        { "movq [rbx+0x10], mm7", { 0x0f, 0x7f, 0x7b, 0x10 }, 4, 7, 8, 0x10,
          false },
        { "movd mm2, [rbx+4]", { 0x0f, 0x6e, 0x53, 0x04 }, 4, 2, 4, 4, true },
        { "movd [rbx+0x20], mm3", { 0x0f, 0x7e, 0x5b, 0x20 }, 4, 3, 4, 0x20,
          false },
        { "movntq [rbx+0x30], mm0", { 0x0f, 0xe7, 0x43, 0x30 }, 4, 0, 8,
          0x30, false },
    };
    Fixture f;
    int i, j;

    for (i = 0; i < ARRAY_SIZE(forms); i++) {
        unsigned r = forms[i].reg, off = forms[i].off, size = forms[i].size;
        uint64_t want = 0;

        fixture_init(&f);
        f.emu.gpr[3] = DEV_BASE;
        for (j = 0; j < DEV_SIZE; j++) {
            f.dev[j] = 0x80 + j;
        }
        for (j = 0; j < 8; j++) {
            f.mm[j] = 0x1111111111111111ULL * (j + 1);
        }
        g_test_message("%s", forms[i].name);
        g_assert_cmpint(run(&f, forms[i].bytes, forms[i].len, NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.rip, ==, 0x1000 + forms[i].len);
        g_assert_true(f.mmx_state);
        if (forms[i].load) {
            memcpy(&want, f.dev + off, size);   /* MOVD: zero-extended */
            g_assert_cmphex(f.mm[r], ==, want);
        } else {
            g_assert_cmpmem(f.dev + off, size, &f.mm[r], size);
            g_assert_cmpuint(f.dev[off + size], ==, 0x80 + off + size);
        }
    }

    /* a store that faults leaves the x87 unit as it was */
    fixture_init(&f);
    f.emu.gpr[3] = 0x4000;
    g_assert_cmpint(run(&f, forms[1].bytes, forms[1].len, NULL), ==,
                    MSHV_EMU_STOPPED);
    g_assert_false(f.mmx_state);
}

/* Part of a register: what is kept, what is zeroed, what is copied */
static void test_lane_moves(void)
{
    static const uint8_t movhps[] = { 0x0f, 0x16, 0x0b };
    static const uint8_t vmovhps[] = { 0xc5, 0xe8, 0x16, 0x4b, 0x08 };
    static const uint8_t vbroadcastss[] = { 0xc4, 0xe2, 0x7d, 0x18, 0x5b,
                                            0x04 };
    static const uint8_t pextrw[] = { 0x66, 0x0f, 0x3a, 0x15, 0x4b, 0x10,
                                      0x06 };
    static const uint8_t pinsrb[] = { 0x66, 0x0f, 0x3a, 0x20, 0x53, 0x03,
                                      0x09 };
    static const uint8_t vmovddup[] = { 0xc5, 0xff, 0x12, 0x13 };
    uint8_t want[16];
    Fixture f;
    int i;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    for (i = 0; i < DEV_SIZE; i++) {
        f.dev[i] = 0x80 + i;
    }
    for (i = 0; i < 16; i++) {
        f.xmm[1][i] = f.xmm[2][i] = i + 1;
        f.ymm_high[1][i] = f.ymm_high[2][i] = 0xee;
    }

    /* movhps xmm1, [rbx]: bits 63:0 and the upper half kept */
    g_assert_cmpint(run(&f, movhps, sizeof(movhps), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.xmm[1], 8, f.xmm[2], 8);
    g_assert_cmpmem(f.xmm[1] + 8, 8, f.dev, 8);
    g_assert_cmpuint(f.ymm_high[1][0], ==, 0xee);
    g_assert_false(f.zmm_zeroed[1]);

    /* vmovhps xmm1, xmm2, [rbx+8]: low from XMM2, upper half zeroed */
    g_assert_cmpint(run(&f, vmovhps, sizeof(vmovhps), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.xmm[1], 8, f.xmm[2], 8);
    g_assert_cmpmem(f.xmm[1] + 8, 8, f.dev + 8, 8);
    g_assert_cmpuint(f.ymm_high[1][0], ==, 0);
    g_assert_true(f.zmm_zeroed[1]);

    /* vbroadcastss ymm3, [rbx+4]: eight copies */
    g_assert_cmpint(run(&f, vbroadcastss, sizeof(vbroadcastss), NULL), ==,
                    MSHV_EMU_DONE);
    for (i = 0; i < 4; i++) {
        g_assert_cmpmem(f.xmm[3] + 4 * i, 4, f.dev + 4, 4);
        g_assert_cmpmem(f.ymm_high[3] + 4 * i, 4, f.dev + 4, 4);
    }

    /* pextrw [rbx+0x10], xmm1, 6: word 6, two bytes only */
    g_assert_cmpint(run(&f, pextrw, sizeof(pextrw), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.dev + 0x10, 2, f.xmm[1] + 12, 2);
    g_assert_cmpuint(f.dev[0x12], ==, 0x92);

    /* pinsrb xmm2, [rbx+3], 9: byte 9 only */
    memcpy(want, f.xmm[2], 16);
    want[9] = f.dev[3];
    g_assert_cmpint(run(&f, pinsrb, sizeof(pinsrb), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.xmm[2], 16, want, 16);

    /* vmovddup ymm2, [rbx]: quadwords 0 and 2 of 32 bytes, each twice */
    g_assert_cmpint(run(&f, vmovddup, sizeof(vmovddup), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.xmm[2], 8, f.dev, 8);
    g_assert_cmpmem(f.xmm[2] + 8, 8, f.dev, 8);
    g_assert_cmpmem(f.ymm_high[2], 8, f.dev + 16, 8);
    g_assert_cmpmem(f.ymm_high[2] + 8, 8, f.dev + 16, 8);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/vector/sse-moves", test_sse_moves);
    g_test_add_func("/mshv/emu/vector/avx-moves", test_avx_moves);
    g_test_add_func("/mshv/emu/vector/mmx-moves", test_mmx_moves);
    g_test_add_func("/mshv/emu/vector/lane-moves", test_lane_moves);
    return g_test_run();
}
