/*
 * The MSHV instruction executor's AVX-512 (EVEX) moves and broadcasts
 * with the fake device, against this host's processor running the same
 * instruction on RAM: registers 0-31, 128 to 512 bits, unmasked, merge-
 * and zero-masked (the tails of glibc's EVEX memset are masked byte
 * stores).  Register and memory after each must be the processor's; a
 * masked store leaves the unselected bytes of the device alone.  Skipped
 * on a host without AVX-512 (F, DQ, BW, VL) enabled by the OS.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <cpuid.h>
#include "mshv-emu-fixture.h"

typedef void (*HostInsn)(uint8_t *reg, uint8_t *mem, uint64_t k1);

/*
 * On the host: register REG from REG's 64 bytes, K1, then the
 * instruction with RBX at MEM, then REG back.  Registers the compiler
 * never uses without -mavx512f need no clobber; ZMM2 and ZMM3 do.
 */
#define HOST(fn, reg, text)                                                 \
static void fn(uint8_t *r, uint8_t *mem, uint64_t k1)                       \
{                                                                           \
    asm volatile("kmovq %[k], %%k1\n\t"                                    \
                 "vmovdqu64 (%[r]), %%zmm" reg "\n\t"                      \
                 text "\n\t"                                                \
                 "vmovdqu64 %%zmm" reg ", (%[r])"                          \
                 : : [r] "r"(r), [k] "r"(k1), "b"(mem)                      \
                 : "memory", "xmm2", "xmm3");                               \
}

HOST(h_load256, "16", "vmovdqu64 (%%rbx), %%ymm16")
HOST(h_store256, "17", "vmovdqu64 %%ymm17, (%%rbx)")
HOST(h_store8_masked, "16", "vmovdqu8 %%ymm16, (%%rbx)%{%%k1%}")
HOST(h_load8_merge, "18", "vmovdqu8 (%%rbx), %%ymm18%{%%k1%}")
HOST(h_load32_zero, "19", "vmovdqu32 (%%rbx), %%zmm19%{%%k1%}%{z%}")
HOST(h_store512_aligned, "20", "vmovdqa64 %%zmm20, (%%rbx)")
HOST(h_load128, "21", "vmovdqu64 (%%rbx), %%xmm21")
HOST(h_load512_low, "2", "vmovdqu64 (%%rbx), %%zmm2")
HOST(h_store_ps_masked, "3", "vmovups %%zmm3, (%%rbx)%{%%k1%}")
HOST(h_load16_merge512, "22", "vmovdqu16 (%%rbx), %%zmm22%{%%k1%}")
HOST(h_bcast_ss, "16", "vbroadcastss (%%rbx), %%zmm16%{%%k1%}")
HOST(h_bcast_b_zero, "17", "vpbroadcastb (%%rbx), %%ymm17%{%%k1%}%{z%}")
HOST(h_bcast_i32x4, "18", "vbroadcasti32x4 (%%rbx), %%zmm18")
HOST(h_bcast_f64x2, "19", "vbroadcastf64x2 (%%rbx), %%ymm19%{%%k1%}")
HOST(h_bcast_q128, "20", "vpbroadcastq (%%rbx), %%xmm20")
HOST(h_bcast_sd_zero, "2", "vbroadcastsd (%%rbx), %%zmm2%{%%k1%}%{z%}")
HOST(h_movlps, "16", "vmovlps (%%rbx), %%xmm16, %%xmm16")
HOST(h_movhpd_store, "18", "vmovhpd %%xmm18, (%%rbx)")
HOST(h_pinsrd, "19", "vpinsrd $2, (%%rbx), %%xmm19, %%xmm19")
HOST(h_pextrw, "21", "vpextrw $5, %%xmm21, (%%rbx)")
HOST(h_movddup512, "22", "vmovddup (%%rbx), %%zmm22")
HOST(h_movddup128, "23", "vmovddup (%%rbx), %%xmm23")
HOST(h_movddup512_merge, "22", "vmovddup (%%rbx), %%zmm22%{%%k1%}")
HOST(h_movddup256_zero, "23", "vmovddup (%%rbx), %%ymm23%{%%k1%}%{z%}")
HOST(h_movddup128_merge, "23", "vmovddup (%%rbx), %%xmm23%{%%k1%}")

static const struct {
    const char *name;
    HostInsn host;
    uint8_t bytes[7];
    unsigned len, reg;
} cases[] = {
    { "vmovdqu64 ymm16, [rbx]", h_load256,
      { 0x62, 0xe1, 0xfe, 0x28, 0x6f, 0x03 }, 6, 16 },
    { "vmovdqu64 [rbx], ymm17", h_store256,
      { 0x62, 0xe1, 0xfe, 0x28, 0x7f, 0x0b }, 6, 17 },
    { "vmovdqu8 [rbx]{k1}, ymm16", h_store8_masked,
      { 0x62, 0xe1, 0x7f, 0x29, 0x7f, 0x03 }, 6, 16 },
    { "vmovdqu8 ymm18{k1}, [rbx]", h_load8_merge,
      { 0x62, 0xe1, 0x7f, 0x29, 0x6f, 0x13 }, 6, 18 },
    { "vmovdqu32 zmm19{k1}{z}, [rbx]", h_load32_zero,
      { 0x62, 0xe1, 0x7e, 0xc9, 0x6f, 0x1b }, 6, 19 },
    { "vmovdqa64 [rbx], zmm20", h_store512_aligned,
      { 0x62, 0xe1, 0xfd, 0x48, 0x7f, 0x23 }, 6, 20 },
    { "vmovdqu64 xmm21, [rbx]", h_load128,
      { 0x62, 0xe1, 0xfe, 0x08, 0x6f, 0x2b }, 6, 21 },
    { "vmovdqu64 zmm2, [rbx]", h_load512_low,
      { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x13 }, 6, 2 },
    { "vmovups [rbx]{k1}, zmm3", h_store_ps_masked,
      { 0x62, 0xf1, 0x7c, 0x49, 0x11, 0x1b }, 6, 3 },
    { "vmovdqu16 zmm22{k1}, [rbx]", h_load16_merge512,
      { 0x62, 0xe1, 0xff, 0x49, 0x6f, 0x33 }, 6, 22 },
    { "vbroadcastss zmm16{k1}, [rbx]", h_bcast_ss,
      { 0x62, 0xe2, 0x7d, 0x49, 0x18, 0x03 }, 6, 16 },
    { "vpbroadcastb ymm17{k1}{z}, [rbx]", h_bcast_b_zero,
      { 0x62, 0xe2, 0x7d, 0xa9, 0x78, 0x0b }, 6, 17 },
    { "vbroadcasti32x4 zmm18, [rbx]", h_bcast_i32x4,
      { 0x62, 0xe2, 0x7d, 0x48, 0x5a, 0x13 }, 6, 18 },
    { "vbroadcastf64x2 ymm19{k1}, [rbx]", h_bcast_f64x2,
      { 0x62, 0xe2, 0xfd, 0x29, 0x1a, 0x1b }, 6, 19 },
    { "vpbroadcastq xmm20, [rbx]", h_bcast_q128,
      { 0x62, 0xe2, 0xfd, 0x08, 0x59, 0x23 }, 6, 20 },
    { "vbroadcastsd zmm2{k1}{z}, [rbx]", h_bcast_sd_zero,
      { 0x62, 0xf2, 0xfd, 0xc9, 0x19, 0x13 }, 6, 2 },
    { "vmovlps xmm16, xmm16, [rbx]", h_movlps,
      { 0x62, 0xe1, 0x7c, 0x00, 0x12, 0x03 }, 6, 16 },
    { "vmovhpd [rbx], xmm18", h_movhpd_store,
      { 0x62, 0xe1, 0xfd, 0x08, 0x17, 0x13 }, 6, 18 },
    { "vpinsrd xmm19, xmm19, [rbx], 2", h_pinsrd,
      { 0x62, 0xe3, 0x65, 0x00, 0x22, 0x1b, 0x02 }, 7, 19 },
    { "vpextrw [rbx], xmm21, 5", h_pextrw,
      { 0x62, 0xe3, 0x7d, 0x08, 0x15, 0x2b, 0x05 }, 7, 21 },
    { "vmovddup zmm22, [rbx]", h_movddup512,
      { 0x62, 0xe1, 0xff, 0x48, 0x12, 0x33 }, 6, 22 },
    { "vmovddup xmm23, [rbx]", h_movddup128,
      { 0x62, 0xe1, 0xff, 0x08, 0x12, 0x3b }, 6, 23 },
    { "vmovddup zmm22{k1}, [rbx]", h_movddup512_merge,
      { 0x62, 0xe1, 0xff, 0x49, 0x12, 0x33 }, 6, 22 },
    { "vmovddup ymm23{k1}{z}, [rbx]", h_movddup256_zero,
      { 0x62, 0xe1, 0xff, 0xa9, 0x12, 0x3b }, 6, 23 },
    { "vmovddup xmm23{k1}, [rbx]", h_movddup128_merge,
      { 0x62, 0xe1, 0xff, 0x09, 0x12, 0x3b }, 6, 23 },
};

static bool host_has_avx512(void)
{
    unsigned a, b, c, d;
    uint32_t xcr0_lo, xcr0_hi;

    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) ||
        (b & (1u << 16 | 1u << 17 | 1u << 30 | 1u << 31)) !=
        (1u << 16 | 1u << 17 | 1u << 30 | 1u << 31)) {  /* F, DQ, BW, VL */
        return false;
    }
    __get_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 27))) {                    /* OSXSAVE */
        return false;
    }
    asm("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    return (xcr0_lo & 0xe6) == 0xe6;    /* SSE, AVX, opmask, ZMM state */
}

static void fixture_set_reg(Fixture *f, unsigned r, const uint8_t *v)
{
    if (r >= 16) {
        memcpy(f->zmm_hi16[r - 16], v, 64);
        return;
    }
    memcpy(f->xmm[r], v, 16);
    memcpy(f->ymm_high[r], v + 16, 16);
    memcpy(f->zmm_upper[r], v + 32, 32);
}

static void fixture_get_reg(Fixture *f, unsigned r, uint8_t *v)
{
    if (r >= 16) {
        memcpy(v, f->zmm_hi16[r - 16], 64);
        return;
    }
    memcpy(v, f->xmm[r], 16);
    memcpy(v + 16, f->ymm_high[r], 16);
    memcpy(v + 32, f->zmm_upper[r], 32);
}

static void test_evex_moves(void)
{
    static const uint64_t masks[] = {
        0x00000000ffffffffULL, 0x0000000000000007ULL, 0xa5a5a5a55a5a5a5aULL,
        0,
    };
    uint8_t host_reg[64] QEMU_ALIGNED(64), host_mem[128] QEMU_ALIGNED(64);
    uint8_t reg0[64], mem0[128], got[64];
    Fixture f;
    int i, j, m;

    if (!host_has_avx512()) {
        g_test_skip("the host has no AVX-512 (F, DQ, BW, VL)");
        return;
    }
    for (j = 0; j < 64; j++) {
        reg0[j] = 0x80 + j;
    }
    for (j = 0; j < 128; j++) {
        mem0[j] = j * 7 + 1;
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        for (m = 0; m < ARRAY_SIZE(masks); m++) {
            g_test_message("%s, k1 = 0x%" PRIx64, cases[i].name, masks[m]);
            memcpy(host_reg, reg0, 64);
            memcpy(host_mem, mem0, 128);
            cases[i].host(host_reg, host_mem, masks[m]);

            fixture_init(&f);
            memcpy(f.dev, mem0, 128);
            fixture_set_reg(&f, cases[i].reg, reg0);
            f.k[1] = masks[m];
            f.emu.gpr[3] = DEV_BASE;
            g_assert_cmpint(run(&f, cases[i].bytes, cases[i].len, NULL),
                            ==, MSHV_EMU_DONE);
            g_assert_cmphex(f.emu.rip, ==, 0x1000 + cases[i].len);
            fixture_get_reg(&f, cases[i].reg, got);
            g_assert_cmpmem(got, 64, host_reg, 64);
            g_assert_cmpmem(f.dev, 128, host_mem, 128);
        }
    }
}

/* Alignment, the forms not executed, and a store stopped before writing */
static void test_evex_faults(void)
{
    /* vmovdqa32 ymm23, [rbx+8]: 32-byte alignment required */
    static const uint8_t misaligned[] = {
        0x62, 0xe1, 0x7d, 0x28, 0x6f, 0xbb, 0x08, 0x00, 0x00, 0x00 };
    /* vmovss xmm16, [rbx] (EVEX): a scalar form, not executed */
    static const uint8_t scalar[] = { 0x62, 0xe1, 0x7e, 0x08, 0x10, 0x03 };
    /* vpbroadcastd zmm0{k1}, [rbx] */
    static const uint8_t broadcast[] = { 0x62, 0xf2, 0x7d, 0x49, 0x58, 0x03 };
    /* vmovdqu8 [rbx]{k1}, ymm16 */
    static const uint8_t store[] = { 0x62, 0xe1, 0x7f, 0x29, 0x7f, 0x03 };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    g_assert_cmpint(run(&f, misaligned, sizeof(misaligned), NULL), ==,
                    MSHV_EMU_FAULT);
    g_assert_cmpuint(f.emu.fault_vector, ==, 13);
    g_assert_cmpuint(f.dev_reads + f.dev_writes, ==, 0);

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    g_assert_cmpint(run(&f, scalar, sizeof(scalar), NULL), ==,
                    MSHV_EMU_UNSUPPORTED);

    /* a broadcast with no element selected reads nothing */
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    f.k[1] = 0;
    g_assert_cmpint(run(&f, broadcast, sizeof(broadcast), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.dev_reads, ==, 0);

    /* the last selected byte is past the device: nothing written at all */
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + DEV_SIZE - 16;
    f.k[1] = 1ULL << 0 | 1ULL << 31;
    g_assert_cmpint(run(&f, store, sizeof(store), NULL), ==,
                    MSHV_EMU_STOPPED);
    g_assert_cmpuint(f.dev_writes, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/evex/moves", test_evex_moves);
    g_test_add_func("/mshv/emu/evex/faults", test_evex_faults);
    return g_test_run();
}
