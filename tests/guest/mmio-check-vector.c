/*
 * Guest program mmio-check, part three: moves between vector registers
 * (SSE, AVX, MMX) and memory, whole or in part, each on RAM and on
 * pc-testdev's MMIO window, compared (mmio-check.c runs them).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "mmio-check.h"

/* AVX (VEX) moves: the YMM register's upper half through XSAVE state */
CASE(vmovdqu_load256, "vmovdqu 16(%[m]), %%ymm0\n\tvmovdqu %%ymm0, (%[x])")
CASE(vmovdqu_store256, "vmovdqu (%[x]), %%ymm1\n\tvmovdqu %%ymm1, 24(%[m])")
/* a VEX.128 load zeroes the upper half, a legacy one keeps it */
CASE(vmovdqa_load128, "vmovdqu (%[x]), %%ymm2\n\tvmovdqa 32(%[m]), %%xmm2\n\t"
                      "vmovdqu %%ymm2, (%[x])")
CASE(movdqu_keeps_upper, "vmovdqu (%[x]), %%ymm3\n\tmovdqu 16(%[m]), %%xmm3\n\t"
                         "vmovdqu %%ymm3, (%[x])")
CASE(vmovd_load, "vmovdqu (%[x]), %%ymm1\n\tvmovd 4(%[m]), %%xmm1\n\t"
                 "vmovdqu %%ymm1, (%[x])")
CASE(vmovq_store, "vmovdqu (%[x]), %%ymm2\n\tvmovq %%xmm2, 40(%[m])")

/* SSE moves */
CASE(movdqu_load,
     "movdqu 16(%[m]), %%xmm0\n\tmovdqu %%xmm0, (%[x])")
CASE(movups_store,
     "movdqu (%[x]), %%xmm1\n\tmovups %%xmm1, 32(%[m])")
CASE(movaps_load,
     "movaps 16(%[m]), %%xmm9\n\tmovdqu %%xmm9, (%[x])")
CASE(movntdq_store,
     "movdqu (%[x]), %%xmm2\n\tmovntdq %%xmm2, 32(%[m])")
CASE(movq_load,
     "movdqu (%[x]), %%xmm3\n\tmovq 8(%[m]), %%xmm3\n\tmovdqu %%xmm3, (%[x])")
CASE(movq_store, "movdqu (%[x]), %%xmm0\n\tmovq %%xmm0, 40(%[m])")
CASE(movd_load,
     "movdqu (%[x]), %%xmm1\n\tmovd 4(%[m]), %%xmm1\n\tmovdqu %%xmm1, (%[x])")
CASE(movd_store, "movdqu (%[x]), %%xmm2\n\tmovd %%xmm2, 44(%[m])")
/* Part of a register: the rest kept, zeroed or copied */
CASE(movhps_load, "movdqu (%[x]), %%xmm0\n\tmovhps 8(%[m]), %%xmm0\n\t"
                  "movdqu %%xmm0, (%[x])")
CASE(movlpd_load, "movdqu (%[x]), %%xmm1\n\tmovlpd 16(%[m]), %%xmm1\n\t"
                  "movdqu %%xmm1, (%[x])")
CASE(movhpd_store, "movdqu (%[x]), %%xmm2\n\tmovhpd %%xmm2, 24(%[m])")
CASE(movlps_store, "movdqu (%[x]), %%xmm3\n\tmovlps %%xmm3, 40(%[m])")
CASE(movddup_load, "movddup 8(%[m]), %%xmm0\n\tmovdqu %%xmm0, (%[x])")
CASE(pinsrw_load, "movdqu (%[x]), %%xmm1\n\tpinsrw $5, 6(%[m]), %%xmm1\n\t"
                  "movdqu %%xmm1, (%[x])")
CASE(pinsrb_load, "movdqu (%[x]), %%xmm2\n\tpinsrb $9, 3(%[m]), %%xmm2\n\t"
                  "movdqu %%xmm2, (%[x])")
CASE(pextrq_store, "movdqu (%[x]), %%xmm2\n\tpextrq $1, %%xmm2, 48(%[m])")
CASE(extractps_store,
     "movdqu (%[x]), %%xmm3\n\textractps $2, %%xmm3, 52(%[m])")
CASE(vmovhps_load, "vmovdqu (%[x]), %%ymm0\n\t"
                   "vmovhps 8(%[m]), %%xmm0, %%xmm0\n\tvmovdqu %%ymm0, (%[x])")
CASE(vbroadcastss_load,
     "vbroadcastss 4(%[m]), %%ymm1\n\tvmovdqu %%ymm1, (%[x])")
CASE(vbroadcastf128_load,
     "vbroadcastf128 16(%[m]), %%ymm3\n\tvmovdqu %%ymm3, (%[x])")
CASE(vmovddup_load256, "vmovddup (%[m]), %%ymm2\n\tvmovdqu %%ymm2, (%[x])")
CASE(vpinsrd_load, "vmovdqu (%[x]), %%ymm0\n\t"
                   "vpinsrd $3, 4(%[m]), %%xmm0, %%xmm0\n\t"
                   "vmovdqu %%ymm0, (%[x])")
CASE(vpextrw_store, "vmovdqu (%[x]), %%xmm1\n\tvpextrw $6, %%xmm1, 50(%[m])")

/* MMX moves: the registers are the x87 unit's, TOP 0 after each */
CASE(movq_mmx_load, "movq 8(%[m]), %%mm0\n\tmovq %%mm0, (%[x])\n\temms")
CASE(movq_mmx_store, "movq (%[x]), %%mm1\n\tmovq %%mm1, 16(%[m])\n\temms")
CASE(movd_mmx_load, "movq (%[x]), %%mm2\n\tmovd 4(%[m]), %%mm2\n\t"
                    "movq %%mm2, (%[x])\n\temms")
CASE(movd_mmx_store, "movq (%[x]), %%mm1\n\tmovd %%mm1, 20(%[m])\n\temms")
CASE(movntq_store, "movq (%[x]), %%mm0\n\tmovntq %%mm0, 24(%[m])\n\t"
                   "sfence\n\temms")
/* after x87 use (TOP 6): MM7 is the physical R7 (1.0), not ST(7) */
CASE(mmx_load_after_x87, "fninit\n\tfld1\n\tfldz\n\tmovq 8(%[m]), %%mm2\n\t"
                         "fnstsw %%ax\n\tmovq %%mm2, (%[x])\n\t"
                         "movq %%mm7, 8(%[x])\n\temms\n\tfninit")
CASE(mmx_store_after_x87, "fninit\n\tfld1\n\tmovq %%mm7, 8(%[m])\n\t"
                          "fnstsw %%ax\n\temms\n\tfninit")

const Case vector_cases[] = {
    C(movdqu_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movups_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movaps_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movntdq_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movq_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movq_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movd_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movd_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movhps_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movlpd_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movhpd_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movlps_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movddup_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(pinsrw_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movq_mmx_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movq_mmx_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movd_mmx_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(movd_mmx_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(movntq_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(mmx_load_after_x87, ARITH, 0, 0, 0, 0, -1, -1),
    C(mmx_store_after_x87, ARITH, 0, 0, 0, 0, -1, -1),
};

const unsigned vector_case_count = sizeof(vector_cases) /
                                   sizeof(vector_cases[0]);

/* Run only where the CPU and the kernel offer AVX. */
const Case avx_cases[] = {
    C(vmovdqu_load256, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovdqu_store256, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovdqa_load128, ARITH, 0, 0, 0, 0, -1, -1),
    C(movdqu_keeps_upper, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovd_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovq_store, ARITH, 0, 0, 0, 0, -1, -1),
    /* SSE4.1, which every processor with AVX has */
    C(pinsrb_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(pextrq_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(extractps_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovhps_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(vbroadcastss_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(vbroadcastf128_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(vmovddup_load256, ARITH, 0, 0, 0, 0, -1, -1),
    C(vpinsrd_load, ARITH, 0, 0, 0, 0, -1, -1),
    C(vpextrw_store, ARITH, 0, 0, 0, 0, -1, -1),
};

const unsigned avx_case_count = sizeof(avx_cases) / sizeof(avx_cases[0]);

int have_avx(void)
{
    uint32_t a = 1, b, c = 0, d, lo, hi;

    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if ((c & (3u << 27)) != (3u << 27)) {
        return 0;
    }
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}
