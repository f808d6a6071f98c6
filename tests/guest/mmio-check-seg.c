/*
 * Guest program mmio-check, part two: segment loads and far transfers
 * with the selector, the far pointer or the stack in pc-testdev's MMIO
 * window, each run on RAM too, from user mode (CPL 3) of a 64-bit
 * process.  A descriptor of the process's own LDT (modify_ldt) gives GS
 * a base to check; a not-present one must raise #NP (SIGBUS), a
 * selector beyond the GDT and LTR at CPL 3 #GP (SIGSEGV), on MMIO as on
 * RAM.  MOV SS holds the single-step trap back until the next
 * instruction has run.  IRETQ pops its whole frame (RIP, CS, RFLAGS,
 * RSP, SS) from the area.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <asm/ldt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "mmio-check.h"

#define USER_CS         0x33    /* Linux's 64-bit user code */
#define USER_DS         0x2b
#define LDT_DATA        0x07    /* LDT entry 0, RPL 3 */
#define LDT_ABSENT      0x0f    /* LDT entry 1, not present */
#define BEYOND_GDT      0xfff3

/* What GS's LDT descriptor points at */
static uint32_t gs_data[4] = { 0x11111111, 0x22222222, 0xcafef00d, 4 };

static int set_ldt(unsigned entry, int present)
{
    struct user_desc d = {
        .entry_number = entry,
        .base_addr = (uint32_t)(uintptr_t)gs_data,
        .limit = 0xfff,
        .seg_32bit = 1,
        .contents = 0,                  /* data, expand-up */
        .seg_not_present = !present,
        .useable = 1,
    };

    return syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

static void set16(uint8_t *m, unsigned off, uint16_t v)
{
    memcpy(m + off, &v, 2);     /* the device takes it as any store */
}

static void set32(uint8_t *m, unsigned off, uint32_t v)
{
    memcpy(m + off, &v, 4);
}

static void set64(uint8_t *m, unsigned off, uint64_t v)
{
    memcpy(m + off, &v, 8);
}

/* MOV GS from memory, then a load through GS; GS back to null after */
static uint64_t mov_gs(uint8_t *m)
{
    uint32_t v, sel;

    set16(m, 8, LDT_DATA);
    asm volatile("mov 8(%2), %%gs\n\t"
                 "movl %%gs:8, %0\n\t"
                 "mov %%gs, %1\n\t"
                 "mov %3, %%gs"
                 : "=&r"(v), "=&r"(sel) : "r"(m), "r"(0) : "memory");
    return (uint64_t)sel << 32 | v;
}

/* LGS ECX, m16:32 */
static uint64_t lgs(uint8_t *m)
{
    uint32_t v, sel;
    uint64_t rcx = 0xffffffffffffffffULL;

    set32(m, 16, 0x89abcdef);
    set16(m, 20, LDT_DATA);
    asm volatile("lgs 16(%3), %%ecx\n\t"
                 "movl %%gs:4, %0\n\t"
                 "mov %%gs, %1\n\t"
                 "mov %4, %%gs"
                 : "=&r"(v), "=&r"(sel), "+c"(rcx) : "r"(m), "r"(0)
                 : "memory");
    return rcx ^ (uint64_t)sel << 48 ^ v;
}

/* LSS RSP, m16:64: the stack pointer it already had, SS as it was */
static uint64_t lss(uint8_t *m)
{
    uint64_t rsp, after;
    uint32_t ss;

    asm volatile("mov %%rsp, %0" : "=r"(rsp));
    set64(m, 24, rsp);
    set16(m, 32, USER_DS);
    asm volatile("rex.W lss 24(%2), %%esp\n\t"
                 "mov %%rsp, %0\n\t"
                 "mov %%ss, %1"
                 : "=&r"(after), "=&r"(ss) : "r"(m) : "memory");
    return (after - rsp) ^ ss;
}

/* POP GS with the stack in the area */
static uint64_t pop_gs(uint8_t *m)
{
    uint32_t v;

    set64(m, 40, LDT_DATA);
    asm volatile("mov %%rsp, %%r11\n\t"
                 "lea 40(%1), %%rsp\n\t"
                 "pop %%gs\n\t"
                 "mov %%r11, %%rsp\n\t"
                 "movl %%gs:12, %0\n\t"
                 "mov %2, %%gs"
                 : "=&r"(v) : "r"(m), "r"(0) : "r11", "memory");
    return v;
}

/* Far JMP through m16:32 and m16:64 to Linux's user code segment */
static uint64_t far_jmp(uint8_t *m)
{
    uint64_t hits = 0;

    asm volatile("lea 1f(%%rip), %%rax\n\t"
                 "movl %%eax, 48(%1)\n\t"
                 "movw %2, 52(%1)\n\t"
                 "ljmpl *48(%1)\n\t"
                 "ud2\n"
                 "1:\n\t"
                 "inc %0\n\t"
                 "lea 2f(%%rip), %%rax\n\t"
                 "movq %%rax, 48(%1)\n\t"
                 "movw %2, 56(%1)\n\t"
                 "rex.W ljmp *48(%1)\n\t"
                 "ud2\n"
                 "2:\n\t"
                 "add $2, %0"
                 : "+r"(hits) : "r"(m), "i"(USER_CS) : "rax", "memory");
    return hits;
}

/*
 * Far CALL with the stack in the area, through a pointer in RAM; the
 * callee's far RET pops it from the area again.  What the call pushed
 * stays in the area for the caller to compare.
 */
static uint64_t far_call_ret(uint8_t *m)
{
    static uint64_t ptr[2];
    uint64_t ret_rip, hits = 0;

    asm volatile("lea 1f(%%rip), %%rax\n\t"
                 "mov %%rax, (%2)\n\t"
                 "movw %3, 8(%2)\n\t"
                 "mov %%rsp, %%r11\n\t"
                 "lea 64(%1), %%rsp\n\t"
                 "rex.W lcall *(%2)\n\t"
                 "jmp 2f\n"
                 "1:\n\t"
                 "inc %0\n\t"
                 "lretq\n"
                 "2:\n\t"
                 "mov %%r11, %%rsp"
                 : "+r"(hits) : "r"(m), "r"(ptr), "i"(USER_CS)
                 : "rax", "r11", "memory");
    memcpy(&ret_rip, m + 48, 8);
    /* the return address is in this function on either run */
    return hits | (ret_rip - (uint64_t)(uintptr_t)far_call_ret < 4096) << 1 |
           (uint64_t)m[56] << 8;
}

/*
 * IRETQ with its frame in the area, to the next instruction with CF and
 * OF set and the same stack; the flags it loaded, then 1 << 16.  (The
 * flags are read 128 bytes down, clear of the red zone, with LEA, which
 * leaves them alone.)
 */
static uint64_t iretq_frame(uint8_t *m)
{
    uint64_t flags, hits = 0;

    asm volatile("lea 1f(%%rip), %%rax\n\t"
                 "mov %%rax, 64(%2)\n\t"
                 "movq %3, 72(%2)\n\t"
                 "sub $128, %%rsp\n\t"
                 "pushfq\n\t"
                 "pop %%rax\n\t"
                 "add $128, %%rsp\n\t"
                 "or $0x801, %%rax\n\t"
                 "mov %%rax, 80(%2)\n\t"
                 "mov %%rsp, 88(%2)\n\t"
                 "movq %4, 96(%2)\n\t"
                 "lea 64(%2), %%rsp\n\t"
                 "iretq\n\t"
                 "ud2\n"
                 "1:\n\t"
                 "lea -128(%%rsp), %%rsp\n\t"
                 "pushfq\n\t"
                 "pop %1\n\t"
                 "lea 128(%%rsp), %%rsp\n\t"
                 "inc %0"
                 : "+r"(hits), "=&r"(flags)
                 : "r"(m), "i"(USER_CS), "i"(USER_DS)
                 : "rax", "memory", "cc");
    return (flags & 0x801) | hits << 16;
}

/* GS from a not-present LDT descriptor: #NP, SIGBUS */
static void gs_absent(uint8_t *m)
{
    set16(m, 8, LDT_ABSENT);
    asm volatile("mov 8(%0), %%gs" : : "r"(m) : "memory");
}

/* DS with a selector beyond the GDT's limit: #GP, SIGSEGV */
static void ds_beyond_gdt(uint8_t *m)
{
    set16(m, 8, BEYOND_GDT);
    asm volatile("mov 8(%0), %%ds" : : "r"(m) : "memory");
}

/* LTR at CPL 3: #GP(0), SIGSEGV */
static void ltr_user(uint8_t *m)
{
    set16(m, 8, USER_DS);
    asm volatile("ltr 8(%0)" : : "r"(m) : "memory");
}

/* Far JMP to a data segment: #GP(selector), SIGSEGV */
static void far_jmp_data(uint8_t *m)
{
    set32(m, 48, 0);
    set16(m, 52, USER_DS);
    asm volatile("ljmpl *48(%0)" : : "r"(m) : "memory");
}

/* volatile: written by the signal handler */
static volatile unsigned long ss_traps, ss_trap_rip;

static void on_ss_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    ss_traps++;
    ss_trap_rip = uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_EFL] &= ~0x100UL;     /* TF off */
}

/*
 * MOV SS with RFLAGS.TF: the trap comes after the instruction that
 * follows it, not after the MOV.  1: so.
 */
static int mov_ss_step(uint8_t *m)
{
    struct sigaction sa = { .sa_sigaction = on_ss_trap,
                            .sa_flags = SA_SIGINFO };
    unsigned long after;

    set16(m, 8, USER_DS);
    ss_traps = 0;
    sigaction(SIGTRAP, &sa, NULL);
    asm volatile("lea 1f(%%rip), %0\n\t"
                 "pushfq\n\t"
                 "orq $0x100, (%%rsp)\n\t"
                 "popfq\n\t"
                 "mov 8(%1), %%ss\n\t"
                 "nop\n"
                 "1:\n\t"
                 "nop\n\t"
                 "nop"
                 : "=&r"(after) : "r"(m) : "memory");
    signal(SIGTRAP, SIG_DFL);
    return ss_traps == 1 && ss_trap_rip == after;
}

static void same(const char *name, uint64_t (*fn)(uint8_t *), uint64_t want,
                 uint8_t *ram, uint8_t *mmio, unsigned *passed,
                 unsigned *failed)
{
    uint64_t on_ram = fn(ram), on_mmio = fn(mmio);

    if (on_ram != want || on_mmio != want) {
        printf("mmio-check: %s: 0x%llx on RAM, 0x%llx on MMIO, want "
               "0x%llx\n", name, (unsigned long long)on_ram,
               (unsigned long long)on_mmio, (unsigned long long)want);
    }
    report(name, on_ram == want && on_mmio == want, passed, failed);
}

void check_segments(uint8_t *ram, uint8_t *mmio, unsigned *passed,
                    unsigned *failed)
{
    if (set_ldt(0, 1) < 0 || set_ldt(1, 0) < 0 ||
        (uintptr_t)gs_data > 0xfffff000 ||
        (uintptr_t)far_call_ret > 0xfffff000) {
        perror("mmio-check: modify_ldt, or the program above 4 GiB");
        report("segments", 0, passed, failed);
        return;
    }
    same("mov-gs-ldt", mov_gs, (uint64_t)LDT_DATA << 32 | 0xcafef00d,
         ram, mmio, passed, failed);
    same("lgs", lgs, 0x89abcdef ^ (uint64_t)LDT_DATA << 48 ^ 0x22222222,
         ram, mmio, passed, failed);
    same("lss", lss, USER_DS, ram, mmio, passed, failed);
    same("pop-gs", pop_gs, 4, ram, mmio, passed, failed);
    same("far-jmp", far_jmp, 3, ram, mmio, passed, failed);
    same("far-call-ret", far_call_ret, 3 | USER_CS << 8, ram, mmio, passed,
         failed);
    same("iretq-frame", iretq_frame, 0x801 | 1 << 16, ram, mmio, passed,
         failed);
    report("mov-gs-absent-np", raises(SIGBUS, gs_absent, mmio) &&
           raises(SIGBUS, gs_absent, ram), passed, failed);
    report("mov-ds-beyond-gdt-gp", raises(SIGSEGV, ds_beyond_gdt, mmio) &&
           raises(SIGSEGV, ds_beyond_gdt, ram), passed, failed);
    report("ltr-user-gp", raises(SIGSEGV, ltr_user, mmio) &&
           raises(SIGSEGV, ltr_user, ram), passed, failed);
    report("far-jmp-data-gp", raises(SIGSEGV, far_jmp_data, mmio) &&
           raises(SIGSEGV, far_jmp_data, ram), passed, failed);
    report("mov-ss-step", mov_ss_step(ram) && mov_ss_step(mmio), passed,
           failed);
}
