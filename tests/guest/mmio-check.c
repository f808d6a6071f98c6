/*
 * Guest program: every instruction form the MSHV accelerator emulates on
 * MMIO, run twice in the guest -- on ordinary RAM, where the hypervisor
 * (TCG in the simulator) executes it, and on pc-testdev's memory-like MMIO
 * window, where the VMM's executor does.  Registers, flags and memory
 * must come out the same.  An instruction the executor does not handle
 * must raise #UD (SIGILL) on MMIO.  Plus string port I/O cases, and the
 * VMM's accesses to the other operand's memory faulting as the
 * instruction's own would (a page not yet mapped, a copy-on-write page).
 * Segment loads and far transfers are in mmio-check-seg.c, the vector
 * moves in mmio-check-vector.c.
 *
 * Runs as a static binary from the test initramfs (/bin/mmio-check);
 * needs "-device pc-testdev" (its 64 KiB window at 0xff000000) and
 * /dev/mem.  Prints one line per case and a summary; exits non-zero on
 * any difference.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE     /* REG_RIP, REG_EFL */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "mmio-check.h"

#define TESTDEV_IOMEM   0xff000000UL
CASE(mov_load8, "movb 5(%[m]), %%al")
/* AH cannot be encoded with REX: address through RSI */
CASE(mov_load8_high, "movb 6(%%rsi), %%ah")
CASE(mov_load16, "movw 2(%[m]), %%cx")
CASE(mov_load32, "movl 4(%[m]), %%edx")
CASE(mov_load64, "movq 8(%[m]), %%rax")
CASE(mov_store8, "movb %%bl, 1(%[m])")
CASE(mov_store16, "movw %%bx, 2(%[m])")
CASE(mov_store32, "movl %%ebx, 4(%[m])")
CASE(mov_store64, "movq %%rbx, 8(%[m])")
CASE(mov_store_imm32, "movl $0x12345678, 12(%[m])")
CASE(mov_store_imm64, "movq $-5, 16(%[m])")
CASE(movzx_b, "movzbl 1(%[m]), %%eax")
CASE(movzx_w, "movzwq 2(%[m]), %%rcx")
CASE(movsx_b, "movsbq 3(%[m]), %%rdx")
CASE(movsx_w, "movswl 6(%[m]), %%eax")
CASE(movsxd, "movslq 4(%[m]), %%rax")
CASE(movnti, "movntiq %%rbx, 24(%[m])")
CASE(add_store, "addl %%ebx, (%[m])")
CASE(add_load, "addq 8(%[m]), %%rax")
CASE(adc_store, "adcq %%rbx, 8(%[m])")
CASE(sbb_load, "sbbl (%[m]), %%ecx")
CASE(sub_imm, "subq $7, 16(%[m])")
CASE(and_imm8, "andb $0x0f, 2(%[m])")
CASE(or_store16, "orw %%bx, 4(%[m])")
CASE(xor_store, "xorl %%edx, 12(%[m])")
CASE(cmp_imm8, "cmpb $0x80, 3(%[m])")
CASE(cmp_reg64, "cmpq %%rbx, 8(%[m])")
CASE(test_reg, "testl %%ebx, (%[m])")
CASE(test_imm, "testb $0x81, 1(%[m])")
CASE(inc, "incl (%[m])")
CASE(dec, "decq 8(%[m])")
CASE(neg, "negw 2(%[m])")
CASE(not, "notb 3(%[m])")
CASE(bt_reg, "btl %%ecx, (%[m])")
CASE(bts_imm, "btsq $5, 8(%[m])")
CASE(btr_reg, "btrw %%cx, 2(%[m])")
CASE(btc_imm, "btcl $31, 4(%[m])")
CASE(xchg, "xchgq %%rbx, 8(%[m])")
CASE(xadd, "xaddl %%ebx, (%[m])")
CASE(cmpxchg, "lock cmpxchgq %%rbx, 8(%[m])")
CASE(movsb, "movsb")
CASE(rep_movsl, "rep movsl")
CASE(rep_movsb_down, "std\n\trep movsb\n\tcld")
CASE(rep_stosq, "rep stosq")
CASE(lodsw, "lodsw")
CASE(repe_cmpsb, "repe cmpsb")
CASE(repne_scasb, "repne scasb")
CASE(cmovz_load, "cmovzq 8(%[m]), %%rax")
/* not taken with ZF set: ECX's upper half is cleared all the same */
CASE(cmovnz_load32, "cmovnzl 4(%[m]), %%ecx")
CASE(cmovl_load16, "cmovlw 2(%[m]), %%dx")
CASE(setc_store, "setc 3(%[m])")
CASE(setnle_store, "setnle 5(%[m])")
CASE(bsf_load, "bsfq 8(%[m]), %%rdx")
CASE(bsr_load32, "bsrl 4(%[m]), %%edx")
CASE(popcnt_load, "popcntq 8(%[m]), %%rbx")
CASE(movbe_load, "movbeq 8(%[m]), %%rax")
CASE(movbe_store32, "movbel %%ebx, 12(%[m])")
CASE(imul_load, "imulq 8(%[m]), %%rbx")
CASE(imul_imm32, "imull $-3, 4(%[m]), %%ecx")
CASE(imul_load16, "imulw 2(%[m]), %%dx")
CASE(mul_load, "mulq 8(%[m])")
CASE(imul1_load32, "imull 4(%[m])")
CASE(div_load, "divq 8(%[m])")
CASE(div_load8, "divb 5(%[m])")
CASE(idiv_load16, "idivw 2(%[m])")
CASE(shl_cl, "shlq %%cl, 8(%[m])")
CASE(sar_1, "sarl 4(%[m])")
CASE(rol_imm16, "rolw $3, 2(%[m])")
CASE(rcr_cl8, "rcrb %%cl, 1(%[m])")
CASE(shrd_imm, "shrdq $12, %%rbx, 8(%[m])")
CASE(shld_cl32, "shldl %%cl, %%ebx, 4(%[m])")

/*
 * The stack in the area for TEXT: RSP at 48(%[m]), the real one kept
 * aside (globals: the asm names them).
 */
uint64_t mmio_saved_rsp, mmio_saved_rbp;

#define STACK_CASE(fn, text)                                                \
    CASE(fn, "mov %%rsp, mmio_saved_rsp(%%rip)\n\t"                         \
             "lea 48(%[m]), %%rsp\n\t" text "\n\t"                          \
             "mov mmio_saved_rsp(%%rip), %%rsp")

CASE(smsw_store, "smsw 2(%[m])")
CASE(mov_sreg_store, "mov %%ss, 6(%[m])")

STACK_CASE(push_mem, "pushq 8(%[m])\n\tpopq %%rax")
STACK_CASE(push_imm, "pushq $-7\n\tpushw $0x1234\n\tpopw %%bx\n\tpopq %%rcx")
STACK_CASE(pop_mem, "popq 16(%[m])")
STACK_CASE(call_ret, "call 1f\n\tjmp 2f\n1:\tret\n2:")
STACK_CASE(call_mem, "lea 1f(%%rip), %%rax\n\tmov %%rax, 24(%[m])\n\t"
                     "call *24(%[m])\n\tjmp 2f\n1:\tret $8\n2:")
STACK_CASE(jmp_mem, "lea 1f(%%rip), %%rax\n\tmov %%rax, 24(%[m])\n\t"
                    "jmp *24(%[m])\n\tud2\n1:")
STACK_CASE(pushf_pop, "pushfq\n\tpopq %%rax")
/* RDI: the area (%[m] may be RBP, which ENTER and LEAVE change) */
STACK_CASE(enter_leave, "mov %%rbp, mmio_saved_rbp(%%rip)\n\t"
                        "mov $0x77, %%rbp\n\tenter $16, $0\n\t"
                        "mov %%rbp, %%rdx\n\tsub %%rdi, %%rdx\n\t"
                        "leave\n\tmov %%rbp, %%rbx\n\t"
                        "mov mmio_saved_rbp(%%rip), %%rbp")
static const Case cases[] = {
    C(mov_load8, ARITH, 0, 0, 0, 0, -1, -1),
    C(mov_load8_high, ARITH, 0x1111, 0, 0, 0, 0, -1),
    C(mov_load16, ARITH, 0, 0, 0xffffffffffffffff, 0, -1, -1),
    C(mov_load32, ARITH, 0, 0, 0, 0xffffffffffffffff, -1, -1),
    C(mov_load64, ARITH, 0, 0, 0, 0, -1, -1),
    C(mov_store8, ARITH, 0, 0x1122334455667788, 0, 0, -1, -1),
    C(mov_store16, ARITH, 0, 0x1122334455667788, 0, 0, -1, -1),
    C(mov_store32, ARITH, 0, 0x1122334455667788, 0, 0, -1, -1),
    C(mov_store64, ARITH, 0, 0x1122334455667788, 0, 0, -1, -1),
    C(mov_store_imm32, ARITH, 0, 0, 0, 0, -1, -1),
    C(mov_store_imm64, ARITH, 0, 0, 0, 0, -1, -1),
    C(movzx_b, ARITH, 0xffffffffffffffff, 0, 0, 0, -1, -1),
    C(movzx_w, ARITH, 0, 0, 0xffffffffffffffff, 0, -1, -1),
    C(movsx_b, ARITH, 0, 0, 0, 0, -1, -1),
    C(movsx_w, ARITH, 0xffffffffffffffff, 0, 0, 0, -1, -1),
    C(movsxd, ARITH, 0, 0, 0, 0, -1, -1),
    C(movnti, ARITH, 0, 0x0102030405060708, 0, 0, -1, -1),
    C(add_store, ARITH, 0, 0x7fffff80, 0, 0, -1, -1),
    C(add_load, ARITH, 0x8000000000000000, 0, 0, 0, -1, -1),
    C(adc_store, ARITH, 0, 0xffffffffffffffff, 0, 0, -1, -1),
    C(sbb_load, ARITH, 0, 0, 0x80, 0, -1, -1),
    C(sub_imm, ARITH, 0, 0, 0, 0, -1, -1),
    C(and_imm8, ARITH & ~AF, 0, 0, 0, 0, -1, -1),
    C(or_store16, ARITH & ~AF, 0, 0x8001, 0, 0, -1, -1),
    C(xor_store, ARITH & ~AF, 0, 0, 0, 0xa5a5a5a5, -1, -1),
    C(cmp_imm8, ARITH, 0, 0, 0, 0, -1, -1),
    C(cmp_reg64, ARITH, 0, 0x9796959493929190, 0, 0, -1, -1),
    C(test_reg, ARITH & ~AF, 0, 0x80000001, 0, 0, -1, -1),
    C(test_imm, ARITH & ~AF, 0, 0, 0, 0, -1, -1),
    C(inc, ARITH, 0, 0, 0, 0, -1, -1),
    C(dec, ARITH, 0, 0, 0, 0, -1, -1),
    C(neg, ARITH, 0, 0, 0, 0, -1, -1),
    C(not, ARITH, 0, 0, 0, 0, -1, -1),
    /* bit 37 of a bit string: the access is the dword after (%[m]) */
    C(bt_reg, CF, 0, 0, 37, 0, -1, -1),
    C(bts_imm, CF, 0, 0, 0, 0, -1, -1),
    C(btr_reg, CF, 0, 0, 3, 0, -1, -1),
    C(btc_imm, CF, 0, 0, 0, 0, -1, -1),
    C(xchg, ARITH, 0, 0x5555555555555555, 0, 0, -1, -1),
    C(xadd, ARITH, 0, 0x01010101, 0, 0, -1, -1),
    /* compares unequal: RAX gets the memory operand */
    C(cmpxchg, ARITH, 1, 0xabcdef, 0, 0, -1, -1),
    C(movsb, ARITH, 0, 0, 0, 0, 3, 40),
    C(rep_movsl, ARITH, 0, 0, 4, 0, 0, 32),
    C(rep_movsb_down, ARITH, 0, 0, 5, 0, 20, 50),
    C(rep_stosq, ARITH, 0x0123456789abcdef, 0, 3, 0, -1, 8),
    C(lodsw, ARITH, 0xffffffffffffffff, 0, 0, 0, 2, -1),
    C(repe_cmpsb, ARITH, 0, 0, 16, 0, 0, 32),
    C(repne_scasb, ARITH, 0x85, 0, 16, 0, -1, 0),
    C(cmovz_load, ARITH, 0x1111, 0, 0, 0, -1, -1),
    C(cmovnz_load32, ARITH, 0, 0, 0xffffffffffffffff, 0, -1, -1),
    C(cmovl_load16, ARITH, 0, 0, 0, 0x123456789abcdef, -1, -1),
    C(setc_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(setnle_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(bsf_load, ZF, 0, 0, 0, 0x77, -1, -1),
    C(bsr_load32, ZF, 0, 0, 0, 0xffffffffffffffff, -1, -1),
    C(popcnt_load, ARITH, 0, 0x55, 0, 0, -1, -1),
    C(movbe_load, ARITH, 0x99, 0, 0, 0, -1, -1),
    C(movbe_store32, ARITH, 0, 0x11223344aabbccdd, 0, 0, -1, -1),
    C(imul_load, CF | OF, 0, 0x100000001, 0, 0, -1, -1),
    C(imul_imm32, CF | OF, 0, 0, 0xffffffffffffffff, 0, -1, -1),
    C(imul_load16, CF | OF, 0, 0, 0, 0xffff0000000f, -1, -1),
    C(mul_load, CF | OF, 0x123456789, 0, 0, 0x5555, -1, -1),
    C(imul1_load32, CF | OF, 0xfffffff0, 0, 0, 0x77, -1, -1),
    C(div_load, 0, 0xfedcba9876543210, 0, 0, 0x42, -1, -1),
    C(div_load8, 0, 0x3039, 0, 0, 0, -1, -1),
    C(idiv_load16, 0, 0x1234, 0, 0, 0xffff, -1, -1),
    C(shl_cl, CF | SF | ZF | PF, 0, 0, 5, 0, -1, -1),
    C(sar_1, ARITH & ~AF, 0, 0, 0, 0, -1, -1),
    C(rol_imm16, CF, 0, 0, 0, 0, -1, -1),
    C(rcr_cl8, CF, 0, 0, 3, 0, -1, -1),
    C(shrd_imm, CF | SF | ZF | PF, 0, 0x0123456789abcdef, 0, 0, -1, -1),
    C(shld_cl32, CF | SF | ZF | PF, 0, 0x89abcdef, 7, 0, -1, -1),
    C(smsw_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(mov_sreg_store, ARITH, 0, 0, 0, 0, -1, -1),
    C(push_mem, ARITH, 0, 0, 0, 0, -1, -1),
    C(push_imm, ARITH, 0, 0, 0, 0, -1, -1),
    C(pop_mem, ARITH, 0, 0, 0, 0, -1, -1),
    C(call_ret, ARITH, 0, 0, 0, 0, -1, -1),
    C(call_mem, ARITH, 0, 0, 0, 0, -1, -1),
    C(jmp_mem, ARITH, 0, 0, 0, 0, -1, -1),
    C(pushf_pop, ARITH, 0, 0, 0, 0, -1, -1),
    C(enter_leave, ARITH, 0, 0, 0, 0, -1, 0),
};

/* The flags each case starts with: all arithmetic flags clear, then set. */
static const uint64_t flags_in[] = { 0x002, 0x002 | ARITH };

/* Two halves alike but for byte 7, where REPE CMPSB stops. */
static void fill(volatile uint8_t *area)
{
    int i;

    for (i = 0; i < AREA / 2; i++) {
        area[i] = area[AREA / 2 + i] = 0x80 + i * 7;
    }
    area[AREA / 2 + 7] ^= 1;
}

static void run(const Case *c, uint64_t flags, uint8_t *area, State *s,
                uint8_t *after)
{
    int i;

    memset(s, 0, sizeof(*s));
    s->rax = c->rax;
    s->rbx = c->rbx;
    s->rcx = c->rcx;
    s->rdx = c->rdx;
    s->rsi = c->si < 0 ? 0x5151 : (uint64_t)(area + c->si);
    s->rdi = c->di < 0 ? 0xd1d1 : (uint64_t)(area + c->di);
    s->flags = flags;
    s->xmm[0] = 0x1716151413121110;
    s->xmm[1] = 0x1f1e1d1c1b1a1918;
    s->xmm[2] = 0x2726252423222120;
    s->xmm[3] = 0x2f2e2d2c2b2a2928;
    fill(area);
    c->body(s, area);
    /* pointers as offsets, so the two runs compare */
    if (c->si >= 0) {
        s->rsi -= (uint64_t)area;
    }
    if (c->di >= 0) {
        s->rdi -= (uint64_t)area;
    }
    for (i = 0; i < AREA; i++) {
        /* volatile: byte reads of the device, not a memcpy */
        after[i] = ((volatile uint8_t *)area)[i];
    }
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
    siglongjmp(fault_jmp, 1);
}

int raises(int sig, void (*body)(uint8_t *), uint8_t *area)
{
    struct sigaction sa = { .sa_handler = on_fault };
    volatile int raised = 0;    /* volatile: kept across siglongjmp */

    sigaction(sig, &sa, NULL);
    if (sigsetjmp(fault_jmp, 1) == 0) {
        body(area);
    } else {
        raised = 1;
    }
    signal(sig, SIG_DFL);
    return raised;
}

/* PADDB with a memory operand: SSE arithmetic, not a move (#UD on MMIO) */
static void paddb(uint8_t *area)
{
    asm volatile("paddb (%0), %%xmm0" : : "r"(area) : "xmm0", "memory");
}

/* MOVDQA from an address 8 bytes off 16: #GP(0) (SIGSEGV). */
static void movdqa_misaligned(uint8_t *area)
{
    asm volatile("movdqa 8(%0), %%xmm0" : : "r"(area) : "xmm0", "memory");
}

/* DIV by a zero in memory: #DE (SIGFPE), from the VMM as from the CPU. */
static void divide_by_zero(uint8_t *area)
{
    uint64_t rax = 1, rdx = 0;

    *(volatile uint32_t *)(area + 40) = 0;     /* volatile: a device store */
    asm volatile("divl 40(%2)" : "+a"(rax), "+d"(rdx) : "r"(area)
                 : "memory", "cc");
}

/* JMP through memory to a non-canonical address: #GP(0) (SIGSEGV). */
static void noncanonical_jump(uint8_t *area)
{
    /* volatile: a store to the device, not optimized away */
    *(volatile uint64_t *)(area + 32) = 0x8000000000000000ULL;
    asm volatile("jmp *32(%0)" : : "r"(area) : "memory");
}

/*
 * String port I/O, the VMM's other executor: REP INSB with DF=1 from
 * pc-testdev's port steps RDI down and stores below its start.
 */
static int rep_insb_down(void)
{
    uint8_t buf[16] = { 0 };
    void *rdi = &buf[8];
    uint64_t rcx = 4;
    uint8_t value;
    int i;

    if (iopl(3) < 0) {
        perror("mmio-check: iopl");
        return 0;
    }
    outl(0x11223344, 0xe0);
    value = inb(0xe0);
    asm volatile("std\n\trep insb\n\tcld"
                 : "+D"(rdi), "+c"(rcx) : "d"(0xe0) : "memory", "cc");
    for (i = 0; i < 16; i++) {
        if (buf[i] != (i >= 5 && i <= 8 ? value : 0)) {
            return 0;
        }
    }
    return rdi == &buf[4] && rcx == 0;
}

/*
 * REP INSD with REX.W: a doubleword, as the processor ignores the prefix
 * for it (the VMM once read 8 bytes from the port and stored them).
 * After rep-insb-down, which raised the I/O privilege level.
 */
static int rex_w_insd(void)
{
    uint8_t buf[16];
    void *rdi = buf;
    uint64_t rcx = 1;
    uint32_t value, got;
    int i;

    memset(buf, 0xa5, sizeof(buf));
    outl(0x55667788, 0xe0);
    value = inl(0xe0);
    asm volatile(".byte 0xf3, 0x48, 0x6d"           /* rep rex.w insd */
                 : "+D"(rdi), "+c"(rcx) : "d"(0xe0) : "memory", "cc");
    memcpy(&got, buf, 4);
    for (i = 4; i < 16; i++) {
        if (buf[i] != 0xa5) {
            return 0;
        }
    }
    return got == value && rdi == &buf[4] && rcx == 0;
}

/* Two fresh pages: nothing mapped until the first access faults. */
static uint8_t *fresh_pages(void)
{
    void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

/* REP INSB of @n bytes to @dst; true if all arrived and the registers moved */
static int rep_insb(uint8_t *dst, uint64_t n, uint8_t value)
{
    void *rdi = dst;
    uint64_t rcx = n, i;

    asm volatile("rep insb"
                 : "+D"(rdi), "+c"(rcx) : "d"(0xe0) : "memory");
    for (i = 0; i < n; i++) {
        if (dst[i] != value) {
            return 0;
        }
    }
    return rdi == dst + n && rcx == 0;
}

/*
 * REP INSB across two pages the guest kernel has not mapped yet: the
 * VMM's write to each faults, the kernel maps it, the instruction goes on.
 */
static int rep_insb_page_fault(void)
{
    uint8_t *p = fresh_pages();
    uint8_t value = inb(0xe0);

    return p && rep_insb(p + 4090, 12, value) && p[4089] == 0 &&
           p[4102] == 0;
}

/*
 * REP INSB into a copy-on-write page (a child's, after fork): the write
 * faults, the child gets its own copy, the parent's stays as it was.
 */
static int rep_insb_copy_on_write(void)
{
    uint8_t *p = fresh_pages();
    uint8_t value = inb(0xe0);
    int status;
    pid_t pid;

    if (!p) {
        return 0;
    }
    memset(p, 0x5a, 64);
    pid = fork();
    if (pid == 0) {
        _exit(rep_insb(p, 64, value) ? 0 : 1);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return 0;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
           p[0] == 0x5a && p[63] == 0x5a;
}

/*
 * REP MOVSB from the MMIO window across two pages not mapped yet: the
 * second faults with eight bytes done, which must count.
 */
static int movs_mmio_page_fault(uint8_t *mmio)
{
    uint8_t *p = fresh_pages();
    void *rsi = mmio, *rdi;
    uint64_t rcx = 16;
    int i;

    if (!p) {
        return 0;
    }
    rdi = p + 4088;
    for (i = 0; i < 16; i++) {
        mmio[i] = 0xa0 + i;
    }
    asm volatile("rep movsb"
                 : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory");
    for (i = 0; i < 16; i++) {
        if (p[4088 + i] != 0xa0 + i) {
            return 0;
        }
    }
    return rcx == 0 && rdi == p + 4104;
}

/*
 * Single-stepping (RFLAGS.TF) over an instruction the VMM completes, as
 * over one the hypervisor runs: one trap, right after the instruction,
 * with the flags the guest had (TF included).
 */
#define STEP_FLAGS  0x1d5   /* TF, SF, ZF, AF, PF, CF */

/* volatile: written by the signal handler */
static volatile unsigned long step_traps;
static volatile unsigned long step_rip, step_flags; /* volatile: as above */

static void on_sigtrap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    step_traps++;
    step_rip = uc->uc_mcontext.gregs[REG_RIP];
    step_flags = uc->uc_mcontext.gregs[REG_EFL];
    uc->uc_mcontext.gregs[REG_EFL] &= ~0x100UL;
}

#define STEP(fn, insn, ...)                                                 \
static unsigned long fn(uint8_t *m)                                         \
{                                                                           \
    unsigned long after, rax = 0;                                           \
    asm volatile("pushfq\n\torq %[fl], (%%rsp)\n\tpopfq\n\t"                \
                 insn "\n"                                                   \
                 "1:\tlea 1b(%%rip), %[after]"                              \
                 : [after] "=r"(after), "+a"(rax)                           \
                 : [fl] "i"(STEP_FLAGS), [m] "r"(m), "d"(0xe0)              \
                 : "memory", "cc");                                         \
    return after;                                                           \
}

STEP(step_nop, "nop")
STEP(step_load, "movl 4(%[m]), %%eax")
STEP(step_store, "movl %%eax, 8(%[m])")
STEP(step_in, "inb (%%dx), %%al")
STEP(step_out, "outb %%al, (%%dx)")

/*
 * REP MOVSB under TF traps after every iteration: at the instruction while
 * iterations remain, past it after the last.  volatile: the handler's.
 */
static volatile unsigned long rep_at, rep_traps_at, rep_traps_past;

static void on_sigtrap_rep(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    if ((unsigned long)uc->uc_mcontext.gregs[REG_RIP] == rep_at) {
        rep_traps_at++;
    } else {
        rep_traps_past++;
        uc->uc_mcontext.gregs[REG_EFL] &= ~0x100UL;
    }
}

/*
 * Three iterations from AREA's start to 32 bytes in: a trap at the
 * instruction after each of the first two, one past it after the last,
 * as the processor does.  TCG (RAM, with TCG_EXTRA: 1) traps once more at
 * the instruction, with RCX 0, before it moves on.
 */
static int step_rep_movsb(uint8_t *area, unsigned long tcg_extra)
{
    struct sigaction sa = { .sa_sigaction = on_sigtrap_rep,
                            .sa_flags = SA_SIGINFO };
    void *rsi = area, *rdi = area + 32;
    unsigned long rcx = 3, at;

    asm volatile("lea 1f(%%rip), %0" : "=r"(at));
    rep_at = at;
    rep_traps_at = rep_traps_past = 0;
    sigaction(SIGTRAP, &sa, NULL);
    asm volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n"
                 "1:\trep movsb"
                 : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory", "cc");
    signal(SIGTRAP, SIG_DFL);
    if (rep_traps_at != 2 + tcg_extra || rep_traps_past != 1 || rcx) {
        printf("mmio-check: single step of REP MOVSB: %lu traps at it, "
               "%lu past it, RCX %lu\n", rep_traps_at, rep_traps_past, rcx);
        return 0;
    }
    return 1;
}

static int single_step(unsigned long (*fn)(uint8_t *), uint8_t *m)
{
    struct sigaction sa = { .sa_sigaction = on_sigtrap,
                            .sa_flags = SA_SIGINFO };
    unsigned long after;

    sigaction(SIGTRAP, &sa, NULL);
    step_traps = 0;
    after = fn(m);
    signal(SIGTRAP, SIG_DFL);
    if (step_traps != 1 || step_rip != after ||
        (step_flags & STEP_FLAGS) != STEP_FLAGS) {
        printf("mmio-check: single step: %lu traps, at 0x%lx (0x%lx "
               "expected), flags 0x%lx\n", step_traps, step_rip, after,
               step_flags);
        return 0;
    }
    return 1;
}

void report(const char *name, int ok, unsigned *passed, unsigned *failed)
{
    printf("mmio-check: %s %s\n", name, ok ? "ok" : "FAILED");
    ok ? (*passed)++ : (*failed)++;
}

/* Case C on RAM and on MMIO, from each starting flags: the same? */
static void check(const Case *c, uint8_t *ram, uint8_t *mmio,
                  unsigned *passed, unsigned *failed)
{
    uint8_t ram_after[AREA], mmio_after[AREA];
    State want, got;
    unsigned f;
    int bad = 0;

    for (f = 0; f < 2; f++) {
        uint32_t mask = ~(uint32_t)ARITH | c->flags_defined;

        run(c, flags_in[f], ram, &want, ram_after);
        run(c, flags_in[f], mmio, &got, mmio_after);
        want.flags &= mask;
        got.flags &= mask;
        if (memcmp(&want, &got, sizeof(want)) ||
            memcmp(ram_after, mmio_after, AREA)) {
            bad = 1;
            printf("mmio-check: %s (flags in 0x%llx) differs: "
                   "rax %llx/%llx rbx %llx/%llx rcx %llx/%llx "
                   "rdx %llx/%llx rsi %llx/%llx rdi %llx/%llx "
                   "flags %llx/%llx xmm %llx:%llx/%llx:%llx "
                   "memory %s\n", c->name,
                   (unsigned long long)flags_in[f],
                   (unsigned long long)want.rax,
                   (unsigned long long)got.rax,
                   (unsigned long long)want.rbx,
                   (unsigned long long)got.rbx,
                   (unsigned long long)want.rcx,
                   (unsigned long long)got.rcx,
                   (unsigned long long)want.rdx,
                   (unsigned long long)got.rdx,
                   (unsigned long long)want.rsi,
                   (unsigned long long)got.rsi,
                   (unsigned long long)want.rdi,
                   (unsigned long long)got.rdi,
                   (unsigned long long)want.flags,
                   (unsigned long long)got.flags,
                   (unsigned long long)want.xmm[1],
                   (unsigned long long)want.xmm[0],
                   (unsigned long long)got.xmm[1],
                   (unsigned long long)got.xmm[0],
                   memcmp(ram_after, mmio_after, AREA) ? "differs"
                                                       : "same");
        }
    }
    printf("mmio-check: %s %s\n", c->name, bad ? "FAILED" : "ok");
    bad ? (*failed)++ : (*passed)++;
}

int main(void)
{
    static uint8_t ram[AREA] __attribute__((aligned(64)));
    uint8_t *mmio;
    unsigned i, failed = 0, passed = 0;
    int fd;

    fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        perror("mmio-check: /dev/mem");
        return 2;
    }
    mmio = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                TESTDEV_IOMEM);
    if (mmio == MAP_FAILED) {
        perror("mmio-check: mmap of pc-testdev's window");
        return 2;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check(&cases[i], ram, mmio, &passed, &failed);
    }
    for (i = 0; i < vector_case_count; i++) {
        check(&vector_cases[i], ram, mmio, &passed, &failed);
    }
    if (have_avx()) {
        for (i = 0; i < avx_case_count; i++) {
            check(&avx_cases[i], ram, mmio, &passed, &failed);
        }
    } else {
        printf("mmio-check: no AVX, its cases not run\n");
    }

    if (raises(SIGILL, paddb, mmio) && !raises(SIGILL, paddb, ram)) {
        printf("mmio-check: unsupported-ud ok\n");
        passed++;
    } else {
        printf("mmio-check: unsupported-ud FAILED\n");
        failed++;
    }
    report("divide-by-zero-de", raises(SIGFPE, divide_by_zero, mmio) &&
           raises(SIGFPE, divide_by_zero, ram), &passed, &failed);
    report("noncanonical-jump-gp", raises(SIGSEGV, noncanonical_jump, mmio) &&
           raises(SIGSEGV, noncanonical_jump, ram), &passed, &failed);
    report("movdqa-misaligned-gp", raises(SIGSEGV, movdqa_misaligned, mmio) &&
           raises(SIGSEGV, movdqa_misaligned, ram), &passed, &failed);
    report("rep-insb-down", rep_insb_down(), &passed, &failed);
    report("rex-w-insd", rex_w_insd(), &passed, &failed);
    report("rep-insb-page-fault", rep_insb_page_fault(), &passed, &failed);
    report("rep-insb-copy-on-write", rep_insb_copy_on_write(), &passed,
           &failed);
    report("movs-mmio-page-fault", movs_mmio_page_fault(mmio), &passed,
           &failed);
    report("step-ram", single_step(step_load, ram) &&
           single_step(step_nop, ram), &passed, &failed);
    report("step-mmio-load", single_step(step_load, mmio), &passed,
           &failed);
    report("step-mmio-store", single_step(step_store, mmio), &passed,
           &failed);
    report("step-rep-ram", step_rep_movsb(ram, 1), &passed, &failed);
    report("step-rep-mmio", step_rep_movsb(mmio, 0), &passed, &failed);
    report("step-port-in", single_step(step_in, NULL), &passed, &failed);
    report("step-port-out", single_step(step_out, NULL), &passed, &failed);
    check_segments(ram, mmio, &passed, &failed);
    printf("mmio-check: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
