/*
 * The MSHV accelerator's instruction executor (target/i386/mshv/mshv-emu*.c)
 * on its own: instructions against a fake device, results and flags
 * checked against what this (x86-64) host's CPU computes for the same
 * operation.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "mshv-emu-fixture.h"

/* ---- Host oracle: the flags this CPU computes ---------------------------- */

#define HOST_OP(name, insn)                                                 \
static uint64_t host_##name(uint64_t a, uint64_t b, int bits,               \
                            uint64_t cf_in, uint64_t *flags)                \
{                                                                           \
    uint64_t fl;                                                            \
    switch (bits) {                                                         \
    case 8: {                                                               \
        uint8_t x = a, y = b;                                               \
        asm("bt $0, %3\n\t" insn "b %2, %0\n\tpushfq\n\tpop %1"             \
            : "+q"(x), "=r"(fl) : "q"(y), "r"(cf_in) : "cc");               \
        *flags = fl;                                                        \
        return x;                                                           \
    }                                                                       \
    case 16: {                                                              \
        uint16_t x = a, y = b;                                              \
        asm("bt $0, %3\n\t" insn "w %2, %0\n\tpushfq\n\tpop %1"             \
            : "+r"(x), "=r"(fl) : "r"(y), "r"(cf_in) : "cc");               \
        *flags = fl;                                                        \
        return x;                                                           \
    }                                                                       \
    case 32: {                                                              \
        uint32_t x = a, y = b;                                              \
        asm("bt $0, %3\n\t" insn "l %2, %0\n\tpushfq\n\tpop %1"             \
            : "+r"(x), "=r"(fl) : "r"(y), "r"(cf_in) : "cc");               \
        *flags = fl;                                                        \
        return x;                                                           \
    }                                                                       \
    default: {                                                              \
        uint64_t x = a, y = b;                                              \
        asm("bt $0, %3\n\t" insn "q %2, %0\n\tpushfq\n\tpop %1"             \
            : "+r"(x), "=r"(fl) : "r"(y), "r"(cf_in) : "cc");               \
        *flags = fl;                                                        \
        return x;                                                           \
    }                                                                       \
    }                                                                       \
}

HOST_OP(add, "add")
HOST_OP(adc, "adc")
HOST_OP(sub, "sub")
HOST_OP(sbb, "sbb")
HOST_OP(and, "and")
HOST_OP(or, "or")
HOST_OP(xor, "xor")
HOST_OP(cmp, "cmp")

typedef uint64_t (*HostOp)(uint64_t, uint64_t, int, uint64_t, uint64_t *);

/*
 * OP [dev], reg for each width: opcode byte for r/m8, reg8 and for r/m, reg
 * (16/32/64 via prefixes), with [rax] as the device address.
 */
static void check_alu(const char *name, uint8_t opc8, HostOp host,
                      bool stores)
{
    static const uint64_t values[] = {
        0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
        0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
        0x8000000000000000ULL, 0xffffffffffffffffULL, 0x123456789abcdefULL,
    };
    static const int widths[] = { 8, 16, 32, 64 };
    unsigned w, i, j, cf;

    for (w = 0; w < ARRAY_SIZE(widths); w++) {
        int bits = widths[w];
        uint8_t code[4];
        size_t len = encode(code, bits, opc8);

        code[len++] = 0x18;                 /* ModRM: [rax], ebx/bl */
        for (i = 0; i < ARRAY_SIZE(values); i++) {
            for (j = 0; j < ARRAY_SIZE(values); j++) {
                for (cf = 0; cf < 2; cf++) {
                    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
                    uint64_t a = values[i] & mask, b = values[j] & mask;
                    uint64_t want_flags, want, got = 0;
                    Fixture f;

                    fixture_init(&f);
                    f.emu.gpr[0] = DEV_BASE;
                    f.emu.gpr[3] = b;
                    f.emu.rflags |= cf;
                    memcpy(f.dev, &a, 8);
                    want = host(a, b, bits, cf, &want_flags);
                    g_assert_cmpint(run(&f, code, len, NULL), ==,
                                    MSHV_EMU_DONE);
                    memcpy(&got, f.dev, bits / 8);
                    if ((f.emu.rflags & FLAGS_MASK) !=
                        (want_flags & FLAGS_MASK) ||
                        got != (stores ? want : a)) {
                        g_test_message("%s%d 0x%" PRIx64 ", 0x%" PRIx64
                                       " cf=%u: got 0x%" PRIx64 " flags 0x%"
                                       PRIx64 ", host 0x%" PRIx64
                                       " flags 0x%" PRIx64, name, bits, a, b,
                                       cf, got, f.emu.rflags & FLAGS_MASK,
                                       stores ? want : a,
                                       want_flags & FLAGS_MASK);
                        g_test_fail();
                        return;
                    }
                    g_assert_cmpuint(f.emu.rip, ==, 0x1000 + len);
                }
            }
        }
    }
}

static void test_alu_add(void)
{
    check_alu("add", 0x00, host_add, true);
}
static void test_alu_adc(void) { check_alu("adc", 0x10, host_adc, true); }
static void test_alu_sub(void) { check_alu("sub", 0x28, host_sub, true); }
static void test_alu_sbb(void) { check_alu("sbb", 0x18, host_sbb, true); }
static void test_alu_and(void) { check_alu("and", 0x20, host_and, true); }
static void test_alu_or(void) { check_alu("or", 0x08, host_or, true); }
static void test_alu_xor(void) { check_alu("xor", 0x30, host_xor, true); }
static void test_alu_cmp(void) { check_alu("cmp", 0x38, host_cmp, false); }

/* ---- Moves --------------------------------------------------------------- */

static void test_mov_forms(void)
{
    /* mov eax, [rbx]: a 32-bit load zero-extends into RAX. */
    static const uint8_t load32[] = { 0x8b, 0x03 };
    /* movzx ecx, word [rbx+2] */
    static const uint8_t movzx[] = { 0x0f, 0xb7, 0x4b, 0x02 };
    /* movsx rdx, byte [rbx+4] */
    static const uint8_t movsx[] = { 0x48, 0x0f, 0xbe, 0x53, 0x04 };
    /* mov byte [rbx+8], 0x5a */
    static const uint8_t store_imm[] = { 0xc6, 0x43, 0x08, 0x5a };
    /* mov [rbx+0x10], ah */
    static const uint8_t store_ah[] = { 0x88, 0x63, 0x10 };
    /* movnti [rbx+0x18], rsi */
    static const uint8_t movnti[] = { 0x48, 0x0f, 0xc3, 0x73, 0x18 };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    f.emu.gpr[0] = 0xffffffffffffffffULL;
    memcpy(f.dev, "\x11\x22\x33\x44\x80\x00\x00\x00", 8);
    g_assert_cmpint(run(&f, load32, sizeof(load32), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[0], ==, 0x44332211);
    g_assert_cmpint(run(&f, movzx, sizeof(movzx), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[1], ==, 0x4433);
    g_assert_cmpint(run(&f, movsx, sizeof(movsx), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[2], ==, 0xffffffffffffff80ULL);
    g_assert_cmpint(run(&f, store_imm, sizeof(store_imm), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.dev[8], ==, 0x5a);
    f.emu.gpr[0] = 0xabcd;
    g_assert_cmpint(run(&f, store_ah, sizeof(store_ah), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.dev[0x10], ==, 0xab);
    f.emu.gpr[6] = 0x0102030405060708ULL;
    g_assert_cmpint(run(&f, movnti, sizeof(movnti), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.dev + 0x18, 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    g_assert_cmphex(f.emu.gpr_written, ==, 1 << 0 | 1 << 1 | 1 << 2);
}

static void test_bit_ops(void)
{
    /* bts dword [rbx], ecx with ecx = 35: bit 3 of the next dword. */
    static const uint8_t bts[] = { 0x0f, 0xab, 0x0b };
    /* btr dword [rbx], 3 */
    static const uint8_t btr_imm[] = { 0x0f, 0xba, 0x33, 0x03 };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    f.emu.gpr[1] = 35;
    g_assert_cmpint(run(&f, bts, sizeof(bts), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.dev[4], ==, 0x08);
    g_assert_cmphex(f.emu.rflags & 1, ==, 0);
    f.dev[0] = 0x08;
    g_assert_cmpint(run(&f, btr_imm, sizeof(btr_imm), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.dev[0], ==, 0);
    g_assert_cmphex(f.emu.rflags & 1, ==, 1);
}

static void test_exchanges(void)
{
    /* xchg, xadd and cmpxchg [rbx], ecx */
    static const uint8_t xchg[] = { 0x87, 0x0b };
    static const uint8_t xadd[] = { 0x0f, 0xc1, 0x0b };
    static const uint8_t cmpxchg[] = { 0x0f, 0xb1, 0x0b };
    uint32_t v;
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    v = 7;
    memcpy(f.dev, &v, 4);
    f.emu.gpr[1] = 9;
    g_assert_cmpint(run(&f, xchg, sizeof(xchg), NULL), ==, MSHV_EMU_DONE);
    memcpy(&v, f.dev, 4);
    g_assert_cmpuint(v, ==, 9);
    g_assert_cmpuint(f.emu.gpr[1], ==, 7);

    g_assert_cmpint(run(&f, xadd, sizeof(xadd), NULL), ==, MSHV_EMU_DONE);
    memcpy(&v, f.dev, 4);
    g_assert_cmpuint(v, ==, 16);
    g_assert_cmpuint(f.emu.gpr[1], ==, 9);

    /* EAX != [rbx]: EAX gets [rbx], ZF clear. */
    f.emu.gpr[0] = 1;
    g_assert_cmpint(run(&f, cmpxchg, sizeof(cmpxchg), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.emu.gpr[0], ==, 16);
    g_assert_cmpuint(f.emu.rflags & 0x40, ==, 0);
    /* EAX == [rbx]: [rbx] gets ECX, ZF set. */
    g_assert_cmpint(run(&f, cmpxchg, sizeof(cmpxchg), NULL), ==,
                    MSHV_EMU_DONE);
    memcpy(&v, f.dev, 4);
    g_assert_cmpuint(v, ==, 9);
    g_assert_cmpuint(f.emu.rflags & 0x40, ==, 0x40);
}

static void test_string_ops(void)
{
    static const uint8_t rep_movsb[] = { 0xf3, 0xa4 };
    static const uint8_t rep_stosd[] = { 0xf3, 0xab };
    static const uint8_t lodsw[] = { 0x66, 0xad };
    Fixture f;
    unsigned i;

    fixture_init(&f);
    for (i = 0; i < 16; i++) {
        f.dev[i] = i + 1;
    }
    /* Device -> RAM, 16 bytes, forward. */
    f.emu.gpr[6] = DEV_BASE;
    f.emu.gpr[7] = RAM_BASE;
    f.emu.gpr[1] = 16;
    g_assert_cmpint(run(&f, rep_movsb, sizeof(rep_movsb), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.ram, 16, f.dev, 16);
    g_assert_cmphex(f.emu.gpr[1], ==, 0);
    g_assert_cmphex(f.emu.gpr[6], ==, DEV_BASE + 16);
    g_assert_cmphex(f.emu.gpr[7], ==, RAM_BASE + 16);
    g_assert_cmpuint(f.dev_reads, ==, 16);

    /* RAM -> device backwards with DF: stosd fills 3 dwords down. */
    f.emu.rflags |= 0x400;
    f.emu.gpr[0] = 0xdeadbeef;
    f.emu.gpr[7] = DEV_BASE + 0x20;
    f.emu.gpr[1] = 3;
    g_assert_cmpint(run(&f, rep_stosd, sizeof(rep_stosd), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.dev + 0x18, 12,
                    "\xef\xbe\xad\xde\xef\xbe\xad\xde\xef\xbe\xad\xde", 12);
    g_assert_cmphex(f.emu.gpr[7], ==, DEV_BASE + 0x20 - 12);

    /* lods without REP: one element, RCX untouched. */
    f.emu.rflags &= ~0x400ULL;
    f.emu.gpr[6] = DEV_BASE;
    f.emu.gpr[1] = 77;
    g_assert_cmpint(run(&f, lodsw, sizeof(lodsw), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[0] & 0xffff, ==, 0x0201);
    g_assert_cmphex(f.emu.gpr[1], ==, 77);
}

static void test_long_rep_in_batches(void)
{
    static const uint8_t rep_stosb[] = { 0xf3, 0xaa };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[7] = DEV_BASE;
    f.emu.gpr[1] = 1ULL << 40;
    f.emu.rflags |= 0x400;          /* down: stays inside the device */
    f.emu.gpr[7] = DEV_BASE + DEV_SIZE - 1;
    f.dev_writes = 0;
    /* Past the device the callback fails: stop without moving RIP. */
    g_assert_cmpint(run(&f, rep_stosb, sizeof(rep_stosb), NULL), ==,
                    MSHV_EMU_STOPPED);
    g_assert_cmpuint(f.emu.rip, ==, 0x1000);

    /* A long REP runs in bounded batches; RIP stays until the last one. */
    fixture_init(&f);
    f.sink = true;
    f.emu.gpr[7] = 0x800000;
    f.emu.gpr[1] = 10000;
    g_assert_cmpint(run(&f, rep_stosb, sizeof(rep_stosb), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.emu.rip, ==, 0x1000);
    g_assert_cmpuint(f.emu.gpr[1], ==, 10000 - 4096);
    g_assert_cmpuint(run(&f, rep_stosb, sizeof(rep_stosb), NULL), ==,
                     MSHV_EMU_DONE);
    g_assert_cmpuint(f.emu.gpr[1], ==, 10000 - 8192);
    g_assert_cmpuint(run(&f, rep_stosb, sizeof(rep_stosb), NULL), ==,
                     MSHV_EMU_DONE);
    g_assert_cmpuint(f.emu.gpr[1], ==, 0);
    g_assert_cmpuint(f.emu.rip, ==, 0x1002);
    g_assert_cmphex(f.emu.gpr[7], ==, 0x800000 + 10000);
}

/*
 * Instructions that share a mnemonic or a prefix with others: the SSE
 * MOVSD/MOVSS are not the string MOVSD; a segment override applies to a
 * string source; LOCK is legal on every read-modify-write ALU op.
 */
static void test_lookalikes(void)
{
    static const uint8_t movsd_store[] = { 0xf2, 0x0f, 0x11, 0x03 };
    static const uint8_t movsd_load[] = { 0xf2, 0x0f, 0x10, 0x0b };
    static const uint8_t movss_load[] = { 0xf3, 0x0f, 0x10, 0x13 };
    static const uint8_t fs_movsb[] = { 0x64, 0xa4 };
    static const uint8_t lock_adc[] = { 0xf0, 0x11, 0x03 };
    static const uint8_t lock_neg[] = { 0xf0, 0xf7, 0x1b };
    uint8_t want[16] = { 0 };
    Fixture f;
    int j;

    fixture_init(&f);
    for (j = 0; j < DEV_SIZE; j++) {
        f.dev[j] = j;
    }
    for (j = 0; j < 16; j++) {
        f.xmm[0][j] = 0xa0 + j;
        f.xmm[1][j] = 0xee;
        f.xmm[2][j] = 0xee;
    }
    f.emu.gpr[3] = DEV_BASE;            /* rbx */
    f.emu.gpr[6] = 0x5000;              /* rsi: must stay */
    f.emu.gpr[7] = 0x6000;              /* rdi: must stay */
    /* movsd [rbx], xmm0: 8 bytes stored, no string registers touched */
    g_assert_cmpint(run(&f, movsd_store, sizeof(movsd_store), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpmem(f.dev, 8, f.xmm[0], 8);
    g_assert_cmpuint(f.dev[8], ==, 8);
    g_assert_cmphex(f.emu.gpr[6], ==, 0x5000);
    g_assert_cmphex(f.emu.gpr[7], ==, 0x6000);
    /* movsd xmm1, [rbx]: 8 bytes, the rest of xmm1 zeroed */
    g_assert_cmpint(run(&f, movsd_load, sizeof(movsd_load), NULL), ==,
                    MSHV_EMU_DONE);
    memcpy(want, f.dev, 8);
    g_assert_cmpmem(f.xmm[1], 16, want, 16);
    /* movss xmm2, [rbx]: 4 bytes */
    g_assert_cmpint(run(&f, movss_load, sizeof(movss_load), NULL), ==,
                    MSHV_EMU_DONE);
    memset(want, 0, sizeof(want));
    memcpy(want, f.dev, 4);
    g_assert_cmpmem(f.xmm[2], 16, want, 16);

    /* fs movsb: the source is FS-relative, the destination ES (RAM) */
    fixture_init(&f);
    f.dev[0x10] = 0x5a;
    f.sreg[4].base = 0x1000;          /* FS */
    f.emu.gpr[6] = DEV_BASE + 0x10 - 0x1000;
    f.emu.gpr[7] = RAM_BASE;
    g_assert_cmpint(run(&f, fs_movsb, sizeof(fs_movsb), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.ram[0], ==, 0x5a);

    /* lock adc [rbx], eax with CF set; lock neg dword [rbx] */
    fixture_init(&f);
    f.dev[0] = 5;
    f.emu.gpr[0] = 2;
    f.emu.gpr[3] = DEV_BASE;
    f.emu.rflags |= 1;
    g_assert_cmpint(run(&f, lock_adc, sizeof(lock_adc), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.dev[0], ==, 8);
    g_assert_cmpint(run(&f, lock_neg, sizeof(lock_neg), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmpuint(f.dev[0], ==, 0xf8);
}

/* ---- Conditions and computed loads, against this CPU -------------------- */

#define HOST_SETCC(cc)                                                      \
static bool host_set##cc(uint64_t fl)                                       \
{                                                                           \
    uint8_t r;                                                              \
    asm("push %1\n\tpopfq\n\tset" #cc " %0" : "=q"(r) : "r"(fl) : "cc");     \
    return r;                                                               \
}

HOST_SETCC(o) HOST_SETCC(no) HOST_SETCC(b) HOST_SETCC(nb)
HOST_SETCC(z) HOST_SETCC(nz) HOST_SETCC(be) HOST_SETCC(nbe)
HOST_SETCC(s) HOST_SETCC(ns) HOST_SETCC(p) HOST_SETCC(np)
HOST_SETCC(l) HOST_SETCC(nl) HOST_SETCC(le) HOST_SETCC(nle)

/* SETcc [rbx] and CMOVcc eax, [rbx], for each condition and flag mix. */
static void test_conditional(void)
{
    static bool (*const host[16])(uint64_t) = {
        host_seto, host_setno, host_setb, host_setnb, host_setz, host_setnz,
        host_setbe, host_setnbe, host_sets, host_setns, host_setp,
        host_setnp, host_setl, host_setnl, host_setle, host_setnle,
    };
    static const uint32_t bit[] = { 0x001, 0x004, 0x040, 0x080, 0x800 };
    unsigned cc, combo, i;

    for (cc = 0; cc < 16; cc++) {
        for (combo = 0; combo < 32; combo++) {
            uint8_t setcc[] = { 0x0f, 0x90 + cc, 0x03 };
            uint8_t cmovcc[] = { 0x0f, 0x40 + cc, 0x03 };
            uint64_t fl = 0x2;
            bool want;
            Fixture f;

            for (i = 0; i < ARRAY_SIZE(bit); i++) {
                fl |= combo & (1u << i) ? bit[i] : 0;
            }
            want = host[cc](fl);
            fixture_init(&f);
            f.emu.rflags = fl;
            f.emu.gpr[3] = DEV_BASE;
            f.dev[0] = 0x55;
            g_assert_cmpint(run(&f, setcc, sizeof(setcc), NULL), ==,
                            MSHV_EMU_DONE);
            g_assert_cmpuint(f.dev[0], ==, want);
            g_assert_cmphex(f.emu.rflags, ==, fl);

            memcpy(f.dev, "\x11\x22\x33\x44", 4);
            f.emu.gpr[0] = 0xdeadbeef00c0ffeeULL;
            g_assert_cmpint(run(&f, cmovcc, sizeof(cmovcc), NULL), ==,
                            MSHV_EMU_DONE);
            /* the upper half of RAX is cleared either way */
            g_assert_cmphex(f.emu.gpr[0], ==, want ? 0x44332211 : 0xc0ffee);
            g_assert_cmpuint(f.dev_reads, ==, 1);   /* read either way */
        }
    }
}

static uint64_t host_bsf(uint64_t a)
{
    uint64_t r;
    asm("bsf %1, %0" : "=r"(r) : "r"(a) : "cc");
    return r;
}

static uint64_t host_bsr(uint64_t a)
{
    uint64_t r;
    asm("bsr %1, %0" : "=r"(r) : "r"(a) : "cc");
    return r;
}

static uint64_t host_popcnt(uint64_t a, uint64_t *fl)
{
    uint64_t r;
    asm("popcnt %2, %0\n\tpushfq\n\tpop %1" : "=r"(r), "=r"(*fl) : "r"(a)
        : "cc");
    return r;
}

static uint64_t host_imul(uint64_t a, uint64_t b, uint64_t *fl)
{
    asm("imul %2, %0\n\tpushfq\n\tpop %1" : "+r"(a), "=r"(*fl) : "r"(b)
        : "cc");
    return a;
}

static uint32_t host_imul32(uint32_t a, uint32_t b, uint64_t *fl)
{
    asm("imul %2, %0\n\tpushfq\n\tpop %1" : "+r"(a), "=r"(*fl) : "r"(b)
        : "cc");
    return a;
}

/*
 * BSF, BSR, POPCNT, MOVBE (both ways) and IMUL (two operands, and three
 * with an immediate) with a device operand, against this CPU.
 */
static void test_computed_loads(void)
{
    static const uint8_t bsf[] = { 0x48, 0x0f, 0xbc, 0x03 };
    static const uint8_t bsr[] = { 0x48, 0x0f, 0xbd, 0x03 };
    static const uint8_t popcnt[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x03 };
    static const uint8_t movbe_ld[] = { 0x48, 0x0f, 0x38, 0xf0, 0x03 };
    static const uint8_t movbe_st[] = { 0x0f, 0x38, 0xf1, 0x0b };
    static const uint8_t imul[] = { 0x48, 0x0f, 0xaf, 0x03 };
    static const uint8_t imul3[] = { 0x6b, 0x03, 0xfd };  /* eax=[rbx]*-3 */
    static const uint64_t values[] = {
        0, 1, 2, 0x80, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
        0x8000000000000000ULL, 0xffffffffffffffffULL, 0x123456789abcdefULL,
        0x5555555555555555ULL,
    };
    unsigned i, j;

    for (i = 0; i < ARRAY_SIZE(values); i++) {
        uint64_t a = values[i], fl, want;
        Fixture f;

        fixture_init(&f);
        f.emu.gpr[3] = DEV_BASE;
        memcpy(f.dev, &a, 8);

        f.emu.gpr[0] = 0x77;
        g_assert_cmpint(run(&f, bsf, sizeof(bsf), NULL), ==, MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.gpr[0], ==, a ? host_bsf(a) : 0x77);
        g_assert_cmphex(f.emu.rflags & 0x40, ==, a ? 0 : 0x40);
        f.emu.gpr[0] = 0x77;
        g_assert_cmpint(run(&f, bsr, sizeof(bsr), NULL), ==, MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.gpr[0], ==, a ? host_bsr(a) : 0x77);

        f.emu.rflags = 0x8d7;
        want = host_popcnt(a, &fl);
        g_assert_cmpint(run(&f, popcnt, sizeof(popcnt), NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.gpr[0], ==, want);
        g_assert_cmphex(f.emu.rflags & FLAGS_MASK, ==, fl & FLAGS_MASK);

        g_assert_cmpint(run(&f, movbe_ld, sizeof(movbe_ld), NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.gpr[0], ==, __builtin_bswap64(a));
        f.emu.gpr[1] = a;
        g_assert_cmpint(run(&f, movbe_st, sizeof(movbe_st), NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex((uint32_t)ldl_le_p(f.dev), ==, __builtin_bswap32(a));
        memcpy(f.dev, &a, 8);

        for (j = 0; j < ARRAY_SIZE(values); j++) {
            uint64_t b = values[j];

            f.emu.gpr[0] = b;
            want = host_imul(b, a, &fl);
            g_assert_cmpint(run(&f, imul, sizeof(imul), NULL), ==,
                            MSHV_EMU_DONE);
            g_assert_cmphex(f.emu.gpr[0], ==, want);
            g_assert_cmphex(f.emu.rflags & 0x801, ==, fl & 0x801);
        }
        want = host_imul32(a, -3, &fl);
        g_assert_cmpint(run(&f, imul3, sizeof(imul3), NULL), ==,
                        MSHV_EMU_DONE);
        g_assert_cmphex(f.emu.gpr[0], ==, want);
        g_assert_cmphex(f.emu.rflags & 0x801, ==, fl & 0x801);
    }
}

static void test_unsupported(void)
{
    /* fld dword [rbx]: not something guests do to MMIO. */
    static const uint8_t fld[] = { 0xd9, 0x03 };
    /* kmovw [rbx], k1: VEX 0F 91, SETNO's opcode, is no SETcc */
    static const uint8_t kmovw[] = { 0xc5, 0xf8, 0x91, 0x0b };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE;
    g_assert_cmpint(run(&f, kmovw, sizeof(kmovw), NULL), ==,
                    MSHV_EMU_UNSUPPORTED);
    g_assert_cmpint(run(&f, fld, sizeof(fld), NULL), ==,
                    MSHV_EMU_UNSUPPORTED);
    g_assert_cmpuint(f.emu.rip, ==, 0x1000);
    g_assert_cmpuint(f.dev_reads + f.dev_writes, ==, 0);
}

static void test_memory_stop(void)
{
    static const uint8_t load[] = { 0x8b, 0x03 };   /* mov eax, [rbx] */
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = 0x4000;          /* nothing there: the callback fails */
    g_assert_cmpint(run(&f, load, sizeof(load), NULL), ==, MSHV_EMU_STOPPED);
    g_assert_cmpuint(f.emu.rip, ==, 0x1000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/alu/add", test_alu_add);
    g_test_add_func("/mshv/emu/alu/adc", test_alu_adc);
    g_test_add_func("/mshv/emu/alu/sub", test_alu_sub);
    g_test_add_func("/mshv/emu/alu/sbb", test_alu_sbb);
    g_test_add_func("/mshv/emu/alu/and", test_alu_and);
    g_test_add_func("/mshv/emu/alu/or", test_alu_or);
    g_test_add_func("/mshv/emu/alu/xor", test_alu_xor);
    g_test_add_func("/mshv/emu/alu/cmp", test_alu_cmp);
    g_test_add_func("/mshv/emu/mov-forms", test_mov_forms);
    g_test_add_func("/mshv/emu/bit-ops", test_bit_ops);
    g_test_add_func("/mshv/emu/exchanges", test_exchanges);
    g_test_add_func("/mshv/emu/string-ops", test_string_ops);
    g_test_add_func("/mshv/emu/long-rep", test_long_rep_in_batches);
    g_test_add_func("/mshv/emu/lookalikes", test_lookalikes);
    g_test_add_func("/mshv/emu/conditional", test_conditional);
    g_test_add_func("/mshv/emu/computed-loads", test_computed_loads);
    g_test_add_func("/mshv/emu/unsupported", test_unsupported);
    g_test_add_func("/mshv/emu/memory-stop", test_memory_stop);
    return g_test_run();
}
