/*
 * Guest program: keep memory and vector registers busy and check them,
 * so that a migration that loses a dirty page or register state shows.
 *
 *   mem-stress MIB SECONDS
 *
 * Round after round, writes a pattern that depends on the round into
 * every page of MIB MiB, then reads all of it back; meanwhile the upper
 * halves of YMM12-YMM15 (when the CPU has AVX) hold a pattern of the
 * round too, checked at the end of each round.  Prints "mem-stress:
 * round N ok" after each round, and stops after SECONDS of guest time
 * with "mem-stress: N rounds ok, avx yes|no"; any difference is printed
 * and the program fails.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <cpuid.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096
#define WORDS_PER_PAGE (PAGE / 8)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t pattern(uint64_t round, uint64_t page, uint64_t word)
{
    uint64_t x = round * 0x9e3779b97f4a7c15ull ^ page * 0xbf58476d1ce4e5b9ull ^
                 word;

    x ^= x >> 31;
    return x * 0x94d049bb133111ebull;
}

static int have_avx(void)
{
    unsigned a, b, c, d;
    unsigned lo, hi;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AVX) ||
        !(c & bit_OSXSAVE)) {
        return 0;
    }
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;
}

/* The upper halves of YMM12-15 <- @in (4 x 16 bytes); lower halves zero. */
static void ymm_load(const uint8_t *in)
{
    asm volatile("vpxor %%xmm12, %%xmm12, %%xmm12\n\t"
                 "vinsertf128 $1, (%0), %%ymm12, %%ymm12\n\t"
                 "vpxor %%xmm13, %%xmm13, %%xmm13\n\t"
                 "vinsertf128 $1, 16(%0), %%ymm13, %%ymm13\n\t"
                 "vpxor %%xmm14, %%xmm14, %%xmm14\n\t"
                 "vinsertf128 $1, 32(%0), %%ymm14, %%ymm14\n\t"
                 "vpxor %%xmm15, %%xmm15, %%xmm15\n\t"
                 "vinsertf128 $1, 48(%0), %%ymm15, %%ymm15"
                 : : "r"(in) : "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

static void ymm_store(uint8_t *out)
{
    asm volatile("vextractf128 $1, %%ymm12, (%0)\n\t"
                 "vextractf128 $1, %%ymm13, 16(%0)\n\t"
                 "vextractf128 $1, %%ymm14, 32(%0)\n\t"
                 "vextractf128 $1, %%ymm15, 48(%0)"
                 : : "r"(out) : "memory");
}

int main(int argc, char **argv)
{
    unsigned long mib, seconds, pages, p, w;
    volatile uint64_t *mem;     /* each store and load must happen */
    uint8_t ymm_in[64], ymm_out[64];
    uint64_t round;
    double end;
    int avx = have_avx();

    if (argc != 3 || sscanf(argv[1], "%lu", &mib) != 1 ||
        sscanf(argv[2], "%lu", &seconds) != 1) {
        fprintf(stderr, "usage: mem-stress MIB SECONDS\n");
        return 2;
    }
    pages = mib * 1024 * 1024 / PAGE;
    mem = malloc(pages * PAGE);
    if (!mem) {
        perror("mem-stress");
        return 1;
    }
    end = now() + seconds;
    for (round = 1; now() < end; round++) {
        for (w = 0; w < sizeof(ymm_in) / 8; w++) {
            uint64_t v = pattern(round, ~0ul, w);

            memcpy(ymm_in + w * 8, &v, 8);
        }
        if (avx) {
            ymm_load(ymm_in);
        }
        /* a few words per page, at places that move with the round */
        for (p = 0; p < pages; p++) {
            for (w = round % 8; w < WORDS_PER_PAGE; w += 128) {
                mem[p * WORDS_PER_PAGE + w] = pattern(round, p, w);
            }
        }
        for (p = 0; p < pages; p++) {
            for (w = round % 8; w < WORDS_PER_PAGE; w += 128) {
                uint64_t got = mem[p * WORDS_PER_PAGE + w];

                if (got != pattern(round, p, w)) {
                    printf("mem-stress: page %lu word %lu of round %" PRIu64
                           " holds 0x%" PRIx64 ", not 0x%" PRIx64 "\n",
                           p, w, round, got, pattern(round, p, w));
                    return 1;
                }
            }
        }
        if (avx) {
            ymm_store(ymm_out);
            if (memcmp(ymm_in, ymm_out, sizeof(ymm_in))) {
                printf("mem-stress: the YMM registers lost their upper "
                       "halves in round %" PRIu64 "\n", round);
                return 1;
            }
        }
        printf("mem-stress: round %" PRIu64 " ok\n", round);
        fflush(stdout);
    }
    printf("mem-stress: %" PRIu64 " rounds ok, avx %s\n", round - 1,
           avx ? "yes" : "no");
    return 0;
}
