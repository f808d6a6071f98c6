/*
 * Guest program mmio-check: what its parts share
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_GUEST_MMIO_CHECK_H
#define TESTS_GUEST_MMIO_CHECK_H

#include <stdint.h>

#define AREA            64

#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define DF 0x400
#define OF 0x800
#define ARITH (CF | PF | AF | ZF | SF | OF)

typedef struct State {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, flags;
    uint64_t xmm[4];            /* XMM or YMM: the second half for AVX */
} State;

typedef void (*Body)(State *s, uint8_t *m);

/*
 * One instruction (or a short sequence around it) with RAX-RDI and the
 * flags taken from and returned to State; %[m] is the memory area.
 */
#define CASE(fn, text)                                                      \
static void fn(State *s, uint8_t *m)                                        \
{                                                                           \
    uint64_t fl = s->flags;                                                 \
    asm volatile("push %[fl]\n\tpopfq\n\t" text "\n\tpushfq\n\tpop %[fl]"  \
                 : "+a"(s->rax), "+b"(s->rbx), "+c"(s->rcx), "+d"(s->rdx),  \
                   "+S"(s->rsi), "+D"(s->rdi), [fl] "+r"(fl)                \
                 : [m] "r"(m), [x] "r"(s->xmm)                              \
                 : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm9",  \
                   "mm0", "mm1", "mm2", "mm7", "st", "st(1)");              \
    s->flags = fl;                                                          \
}

typedef struct Case {
    const char *name;
    Body body;
    uint32_t flags_defined;     /* the others are undefined after it */
    uint64_t rax, rbx, rcx, rdx;
    int si, di;                 /* offsets into the area, -1: a constant */
} Case;

#define C(n, fl, ...) { #n, n, fl, __VA_ARGS__ }

/* mmio-check-vector.c: SSE, AVX and MMX moves; the AVX ones, if any */
extern const Case vector_cases[];
extern const unsigned vector_case_count;
extern const Case avx_cases[];
extern const unsigned avx_case_count;
/* CPUID.1:ECX.AVX and OSXSAVE, and XCR0 enabling SSE and AVX state */
int have_avx(void);

/* Print case NAME's result and count it. */
void report(const char *name, int ok, unsigned *passed, unsigned *failed);
/* Whether BODY(AREA) raises signal SIG. */
int raises(int sig, void (*body)(uint8_t *), uint8_t *area);

/* mmio-check-seg.c: segment loads and far transfers */
void check_segments(uint8_t *ram, uint8_t *mmio, unsigned *passed,
                    unsigned *failed);

#endif
