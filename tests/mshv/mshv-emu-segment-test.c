/*
 * The MSHV instruction executor's segment loads and far transfers
 * (target/i386/mshv/mshv-emu-segment.c), with the selector, the far
 * pointer or the stack in the fake device and a GDT in its RAM: the
 * registers loaded with the descriptor's base, limit and attributes, the
 * accessed and busy bits set in the table, the faults of the SDM with
 * the selector as their code, and nothing loaded when one is raised.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"

#define RSP         4
#define RBX         3
#define TOP         (DEV_BASE + 0x80)

#define SEG_CS      1
#define SEG_SS      2
#define SEG_DS      3
#define SEG_GS      5

/* Descriptor: base, limit (bytes, or pages with G), access byte, flags */
static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access,
                     uint8_t flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
           (uint64_t)access << 40 | (uint64_t)(limit >> 16 & 0xf) << 48 |
           (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

/* The GDT in RAM: its selectors */
enum {
    GDT_CODE64 = 0x08,      /* DPL 0, L */
    GDT_DATA0 = 0x10,       /* writable, DPL 0, accessed bit clear */
    GDT_RODATA = 0x18,      /* read-only */
    GDT_ABSENT = 0x20,      /* writable, not present */
    GDT_CODE32 = 0x28,      /* DPL 0, D */
    GDT_DATA3 = 0x30,       /* writable, DPL 3, base 0x12345000 */
    GDT_GATE = 0x38,        /* a call gate */
    GDT_TSS = 0x40,         /* 64-bit available TSS, 16 bytes */
    GDT_UCODE64 = 0x50,     /* DPL 3, L */
    GDT_GATE64 = 0x58,      /* a 64-bit call gate, DPL 3, 16 bytes */
    GDT_UCODE32 = 0x68,     /* DPL 3, D */
    GDT_GATE32 = 0x70,      /* a 32-bit call gate, DPL 3, 2 parameters */
    GDT_LIMIT = 0x77,
};

/* The TSS, in RAM after the GDT */
#define TSS_AT      0x80
#define INNER_TOP   (DEV_BASE + 0xf0)

static uint64_t gdt(Fixture *f, unsigned sel)
{
    uint64_t v;

    memcpy(&v, f->ram + sel, 8);
    return v;
}

static void set_gdt(Fixture *f, unsigned sel, uint64_t v)
{
    memcpy(f->ram + sel, &v, 8);
}

static void set_dev(Fixture *f, unsigned off, uint64_t v, unsigned size)
{
    memcpy(f->dev + off, &v, size);
}

/* 64-bit mode at CPL 0, the GDT above, RBX pointing into the device. */
static void seg_init(Fixture *f)
{
    fixture_init(f);
    f->gdtr = (MshvEmuSeg) { .base = RAM_BASE, .limit = GDT_LIMIT };
    f->cr0 = 0x80000011;                    /* PG, ET, PE */
    f->sreg[SEG_CS] = (MshvEmuSeg) { .selector = GDT_CODE64,
                                     .attributes = 0xa09b };
    set_gdt(f, GDT_CODE64, desc(0, 0xfffff, 0x9b, 0xa));
    set_gdt(f, GDT_DATA0, desc(0, 0xfffff, 0x92, 0xc));
    set_gdt(f, GDT_RODATA, desc(0, 0xfffff, 0x91, 0xc));
    set_gdt(f, GDT_ABSENT, desc(0, 0xfffff, 0x13, 0xc));
    set_gdt(f, GDT_CODE32, desc(0, 0xfffff, 0x9b, 0xc));
    set_gdt(f, GDT_DATA3, desc(0x12345000, 0xfff, 0xf3, 0x4));
    set_gdt(f, GDT_GATE, 0x00008c0000080000ULL);
    set_gdt(f, GDT_TSS, desc(0x89abc000, 0x67, 0x89, 0));
    set_gdt(f, GDT_TSS + 8, 0xffffffffULL);    /* base 63:32 */
    set_gdt(f, GDT_UCODE64, desc(0, 0xfffff, 0xfb, 0xa));
    set_gdt(f, GDT_UCODE32, desc(0, 0xfffff, 0xfb, 0xc));
    f->emu.gpr[RSP] = TOP;
    f->emu.gpr[RBX] = DEV_BASE + 8;
}

static MshvEmuResult fault(Fixture *f, const uint8_t *bytes, size_t len,
                           uint8_t vector, uint32_t code)
{
    MshvEmuResult r = run(f, bytes, len, NULL);

    g_assert_cmpint(r, ==, MSHV_EMU_FAULT);
    g_assert_cmpuint(f->emu.fault_vector, ==, vector);
    g_assert_true(f->emu.fault_has_code);
    g_assert_cmphex(f->emu.fault_code, ==, code);
    g_assert_cmphex(f->emu.rip, ==, 0x1000);
    g_assert_cmphex(f->emu.gpr[RSP], ==, TOP);
    return r;
}

/* MOV SS and MOV DS from the device: loaded, checked, accessed bit set */
static void test_mov_sreg(void)
{
    static const uint8_t mov_ss[] = { 0x8e, 0x13 };        /* mov ss,[rbx] */
    static const uint8_t mov_ds[] = { 0x8e, 0x1b };        /* mov ds,[rbx] */
    Fixture f;

    seg_init(&f);
    set_dev(&f, 8, GDT_DATA0, 2);
    g_assert_cmpint(run(&f, mov_ss, sizeof(mov_ss), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x1002);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << SEG_SS);
    g_assert_true(f.emu.ss_shadow);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].selector, ==, GDT_DATA0);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].attributes, ==, 0xc093);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].limit, ==, 0xffffffff);
    g_assert_cmphex(gdt(&f, GDT_DATA0) >> 40 & 0xff, ==, 0x93);

    /* a read-only SS: #GP(selector); an absent DS: #NP(selector) */
    seg_init(&f);
    set_dev(&f, 8, GDT_RODATA, 2);
    fault(&f, mov_ss, sizeof(mov_ss), 13, GDT_RODATA);
    g_assert_cmphex(f.emu.seg_written, ==, 0);
    seg_init(&f);
    set_dev(&f, 8, GDT_ABSENT, 2);
    fault(&f, mov_ds, sizeof(mov_ds), 11, GDT_ABSENT);
    g_assert_cmphex(gdt(&f, GDT_ABSENT) >> 40 & 0xff, ==, 0x13);

    /* beyond the GDT's limit; a null SS at CPL 3 */
    seg_init(&f);
    set_dev(&f, 8, GDT_LIMIT + 1, 2);
    fault(&f, mov_ds, sizeof(mov_ds), 13, GDT_LIMIT + 1);
    seg_init(&f);
    f.emu.cpl = 3;
    set_dev(&f, 8, 3, 2);
    fault(&f, mov_ss, sizeof(mov_ss), 13, 0);

    /* a null DS: unusable; DPL 3 data from CPL 3 */
    seg_init(&f);
    set_dev(&f, 8, 0, 2);
    g_assert_cmpint(run(&f, mov_ds, sizeof(mov_ds), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].attributes, ==, 0);
    g_assert_false(f.emu.ss_shadow);
    seg_init(&f);
    f.emu.cpl = 3;
    set_dev(&f, 8, GDT_DATA3 | 3, 2);
    g_assert_cmpint(run(&f, mov_ds, sizeof(mov_ds), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].base, ==, 0x12345000);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].limit, ==, 0xfff);
    /* the LDT: none loaded, #GP(selector); then entry 1 of one */
    seg_init(&f);
    set_dev(&f, 8, 0x0c, 2);
    fault(&f, mov_ds, sizeof(mov_ds), 13, 0x0c);
    f.ldtr = (MshvEmuSeg) { .selector = 0x48, .base = RAM_BASE + 0x80,
                            .limit = 0xf, .attributes = 0x82 };
    set_gdt(&f, 0x88, desc(0xabc000, 0xfffff, 0x93, 0xc));
    g_assert_cmpint(run(&f, mov_ds, sizeof(mov_ds), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].base, ==, 0xabc000);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].selector, ==, 0x0c);

    /* DPL 0 data from CPL 3 */
    seg_init(&f);
    f.emu.cpl = 3;
    set_dev(&f, 8, GDT_DATA0 | 3, 2);
    fault(&f, mov_ds, sizeof(mov_ds), 13, GDT_DATA0);
}

/* LGS and LSS with a far pointer in the device; LDS in 32-bit mode */
static void test_load_far_pointer(void)
{
    static const uint8_t lgs[] = { 0x0f, 0xb5, 0x03 };     /* lgs eax,[rbx] */
    static const uint8_t lds[] = { 0xc5, 0x33 };           /* lds esi,[ebx] */
    Fixture f;

    seg_init(&f);
    set_dev(&f, 8, 0x87654321, 4);
    set_dev(&f, 12, GDT_DATA0, 2);
    g_assert_cmpint(run(&f, lgs, sizeof(lgs), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[0], ==, 0x87654321);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << SEG_GS);
    g_assert_false(f.emu.ss_shadow);

    seg_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    f.emu.gpr[RBX] = (uint32_t)DEV_BASE + 8;
    set_dev(&f, 8, 0x1234, 4);
    set_dev(&f, 12, GDT_DATA3, 2);          /* RPL 0 < DPL 3: fine */
    g_assert_cmpint(run(&f, lds, sizeof(lds), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.gpr[6], ==, 0x1234);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].base, ==, 0x12345000);

    /* a fault leaves the offset's register alone */
    seg_init(&f);
    set_dev(&f, 8, 0x87654321, 4);
    set_dev(&f, 12, GDT_ABSENT, 2);
    f.emu.gpr[0] = 7;
    fault(&f, lgs, sizeof(lgs), 11, GDT_ABSENT);
    g_assert_cmphex(f.emu.gpr[0], ==, 7);
}

/* Far JMP, CALL and RET with the pointer or the stack in the device */
static void test_far_transfers(void)
{
    static const uint8_t ljmp[] = { 0xff, 0x2b };          /* jmp far [rbx] */
    static const uint8_t lcall[] = { 0x48, 0xff, 0x1b };   /* call far m16:64 */
    static const uint8_t lret[] = { 0x48, 0xcb };          /* retfq */
    static const uint8_t lret_imm[] = { 0xca, 0x10, 0x00 }; /* retf 16 */
    Fixture f;
    uint64_t v;

    /* to 32-bit code: RIP the 32-bit offset, CS loaded with RPL = CPL */
    seg_init(&f);
    set_dev(&f, 8, 0xfffff000, 4);
    set_dev(&f, 12, GDT_CODE32 | 3, 2);
    g_assert_cmpint(run(&f, ljmp, sizeof(ljmp), NULL), ==,
                    MSHV_EMU_FAULT);        /* RPL 3 > CPL 0 */
    set_dev(&f, 12, GDT_CODE32, 2);
    g_assert_cmpint(run(&f, ljmp, sizeof(ljmp), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0xfffff000);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << SEG_CS);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].selector, ==, GDT_CODE32);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].attributes, ==, 0xc09b);

    /* CALL m16:64: CS then the return address pushed, 8 bytes each */
    seg_init(&f);
    set_dev(&f, 8, 0x00007fff00001234ULL, 8);
    set_dev(&f, 16, GDT_CODE64, 2);
    g_assert_cmpint(run(&f, lcall, sizeof(lcall), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x00007fff00001234ULL);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP - 16);
    memcpy(&v, f.dev + 0x78, 8);
    g_assert_cmphex(v, ==, GDT_CODE64);
    memcpy(&v, f.dev + 0x70, 8);
    g_assert_cmphex(v, ==, 0x1003);

    /* a non-canonical 64-bit target: #GP(0), nothing pushed */
    seg_init(&f);
    set_dev(&f, 8, 0x0000800000000000ULL, 8);
    set_dev(&f, 16, GDT_CODE64, 2);
    fault(&f, lcall, sizeof(lcall), 13, 0);

    /* RETF: back from the device's stack; RETF 16 drops 16 more bytes */
    seg_init(&f);
    set_dev(&f, 0x80, 0x2000, 8);
    set_dev(&f, 0x88, GDT_CODE64, 8);
    g_assert_cmpint(run(&f, lret, sizeof(lret), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x2000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 16);
    seg_init(&f);
    set_dev(&f, 0x80, 0x3000, 4);
    set_dev(&f, 0x84, GDT_CODE32, 4);
    g_assert_cmpint(run(&f, lret_imm, sizeof(lret_imm), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x3000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 8 + 16);

    /* a 64-bit call gate whose upper half is not of type 0: #GP(gate) */
    seg_init(&f);
    set_dev(&f, 8, 0, 4);
    set_dev(&f, 12, GDT_GATE, 2);
    fault(&f, ljmp, sizeof(ljmp), 13, GDT_GATE);
    /* to data: #GP(selector) */
    set_dev(&f, 12, GDT_DATA0, 2);
    fault(&f, ljmp, sizeof(ljmp), 13, GDT_DATA0);
}

/* A call gate: selector, offset, parameters, DPL (type 12: 32/64-bit) */
static uint64_t gate(uint16_t sel, uint32_t off, unsigned params,
                     unsigned dpl)
{
    return (off & 0xffff) | (uint64_t)sel << 16 | (uint64_t)params << 32 |
           (uint64_t)(0x8c | dpl << 5) << 40 | (uint64_t)(off >> 16) << 48;
}

/* 64-bit mode at CPL 3 in GDT_UCODE64, SS GDT_DATA3, a TSS in RAM */
static void user_init(Fixture *f)
{
    seg_init(f);
    f->emu.cpl = 3;
    f->sreg[SEG_CS] = (MshvEmuSeg) { .selector = GDT_UCODE64 | 3,
                                     .attributes = 0xa0fb };
    f->sreg[SEG_SS] = (MshvEmuSeg) { .selector = GDT_DATA3 | 3,
                                     .limit = 0xffffffff,
                                     .attributes = 0xc0f3 };
    f->tr = (MshvEmuSeg) { .selector = GDT_TSS, .base = RAM_BASE + TSS_AT,
                           .limit = 0x67, .attributes = 0x8b };
    set_gdt(f, GDT_GATE64, gate(GDT_CODE64, 0x81000000, 0, 3));
    set_gdt(f, GDT_GATE64 + 8, 0xffffffffULL);
    memcpy(f->ram + TSS_AT + 4, &(uint64_t) { INNER_TOP }, 8);    /* RSP0 */
}

static uint64_t dev64(Fixture *f, unsigned off)
{
    uint64_t v;

    memcpy(&v, f->dev + off, 8);
    return v;
}

/*
 * CALL through a 64-bit call gate from CPL 3 to CPL 0: RSP0 from the
 * TSS, a null SS, the caller's SS, RSP, CS and RIP on the new stack.
 * JMP through it to a more privileged level, or a gate of DPL 0 from
 * CPL 3: #GP.
 */
static void test_call_gate(void)
{
    static const uint8_t lcall[] = { 0x48, 0xff, 0x1b };   /* call far m16:64 */
    static const uint8_t ljmp[] = { 0xff, 0x2b };          /* jmp far m16:32 */
    Fixture f;

    user_init(&f);
    set_dev(&f, 16, GDT_GATE64 | 3, 2);
    g_assert_cmpint(run(&f, lcall, sizeof(lcall), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0xffffffff81000000ULL);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << SEG_CS | 1u << SEG_SS);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].selector, ==, GDT_CODE64);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].selector, ==, 0);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].attributes, ==, 0xc093);
    g_assert_cmphex(f.emu.gpr[RSP], ==, INNER_TOP - 32);
    g_assert_cmphex(dev64(&f, 0xe8), ==, GDT_DATA3 | 3);
    g_assert_cmphex(dev64(&f, 0xe0), ==, TOP);
    g_assert_cmphex(dev64(&f, 0xd8), ==, GDT_UCODE64 | 3);
    g_assert_cmphex(dev64(&f, 0xd0), ==, 0x1003);

    user_init(&f);
    set_dev(&f, 12, GDT_GATE64 | 3, 2);
    fault(&f, ljmp, sizeof(ljmp), 13, GDT_CODE64);
    user_init(&f);
    set_gdt(&f, GDT_GATE64, gate(GDT_CODE64, 0x81000000, 0, 0));
    set_dev(&f, 16, GDT_GATE64 | 3, 2);
    fault(&f, lcall, sizeof(lcall), 13, GDT_GATE64);
    /* no RSP0 within the TSS's limit: #TS(TSS) */
    user_init(&f);
    f.tr.limit = 8;
    set_dev(&f, 16, GDT_GATE64 | 3, 2);
    fault(&f, lcall, sizeof(lcall), 10, GDT_TSS);
}

/*
 * 32-bit protected mode: CALL through a 32-bit gate from CPL 3 to 0 with
 * two parameters copied to the inner stack (SS0:ESP0 from the TSS), then
 * RETF 8 back out: CS, EIP, ESP and SS of the caller, the parameters
 * dropped from both stacks, DS made null (DPL 0 < CPL 3), ES kept.
 */
static void test_legacy_gate(void)
{
    static const uint8_t lcall[] = { 0xff, 0x1b };         /* call far [ebx] */
    static const uint8_t retf8[] = { 0xca, 0x08, 0x00 };   /* retf 8 */
    uint32_t v32;
    Fixture f;

    seg_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    f.emu.cpl = 3;
    f.sreg[SEG_CS] = (MshvEmuSeg) { .selector = GDT_UCODE32 | 3,
                                    .limit = 0xffffffff,
                                    .attributes = 0xc0fb };
    f.sreg[SEG_SS] = (MshvEmuSeg) { .selector = GDT_DATA3 | 3,
                                    .limit = 0xffffffff,
                                    .attributes = 0xc0f3 };
    f.tr = (MshvEmuSeg) { .selector = GDT_TSS, .base = RAM_BASE + TSS_AT,
                          .limit = 0x67, .attributes = 0x8b };
    set_gdt(&f, GDT_GATE32, gate(GDT_CODE32, 0x00401000, 2, 3));
    v32 = INNER_TOP;
    memcpy(f.ram + TSS_AT + 4, &v32, 4);                   /* ESP0 */
    v32 = GDT_DATA0;
    memcpy(f.ram + TSS_AT + 8, &v32, 4);                   /* SS0 */
    f.emu.gpr[RSP] = DEV_BASE + 0x40;
    set_dev(&f, 0x40, 0x11111111, 4);
    set_dev(&f, 0x44, 0x22222222, 4);
    set_dev(&f, 12, GDT_GATE32 | 3, 2);
    g_assert_cmpint(run(&f, lcall, sizeof(lcall), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x00401000);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].selector, ==, GDT_CODE32);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].selector, ==, GDT_DATA0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, INNER_TOP - 24);
    g_assert_cmphex(dev64(&f, 0xe8), ==,
                    (uint64_t)(GDT_DATA3 | 3) << 32 | (DEV_BASE + 0x40));
    g_assert_cmphex(dev64(&f, 0xe0), ==, 0x2222222211111111ULL);
    g_assert_cmphex(dev64(&f, 0xd8), ==,
                    (uint64_t)(GDT_UCODE32 | 3) << 32 | 0x1002);

    /* back: now at CPL 0 on the inner stack */
    f.emu.cpl = 0;
    f.emu.rip = 0x1000;
    f.sreg[SEG_CS] = f.emu.seg_new[SEG_CS];
    f.sreg[SEG_SS] = f.emu.seg_new[SEG_SS];
    f.sreg[SEG_DS] = (MshvEmuSeg) { .selector = GDT_DATA0,
                                    .limit = 0xffffffff,
                                    .attributes = 0xc093 };
    f.sreg[0] = (MshvEmuSeg) { .selector = GDT_DATA3 | 3,
                               .base = 0x12345000, .limit = 0xfff,
                               .attributes = 0x40f3 };
    g_assert_cmpint(run(&f, retf8, sizeof(retf8), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x1002);
    g_assert_cmphex(f.emu.seg_written, ==,
                    1u << SEG_CS | 1u << SEG_SS | 1u << SEG_DS);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].selector, ==, GDT_UCODE32 | 3);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].selector, ==, GDT_DATA3 | 3);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].base, ==, 0x12345000);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].selector, ==, 0);
    g_assert_false(f.emu.seg_new[SEG_DS].attributes & 0x80);
    g_assert_cmphex(f.emu.gpr[RSP], ==, DEV_BASE + 0x48);
}

/*
 * Far RET from CPL 0 to 64-bit code at CPL 3: SS:RSP popped too, RET 16
 * dropping 16 bytes from both stacks; an SS whose RPL is not 3 is
 * #GP(SS), and nothing is loaded.
 */
static void test_ret_outer(void)
{
    static const uint8_t lret16[] = { 0x48, 0xca, 0x10, 0x00 };
    Fixture f;

    seg_init(&f);
    set_dev(&f, 0x80, 0x401000, 8);
    set_dev(&f, 0x88, GDT_UCODE64 | 3, 8);
    set_dev(&f, 0xa0, 0x7ffff000, 8);
    set_dev(&f, 0xa8, GDT_DATA3 | 3, 8);
    g_assert_cmpint(run(&f, lret16, sizeof(lret16), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x401000);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].selector, ==, GDT_UCODE64 | 3);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].attributes, ==, 0xa0fb);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].selector, ==, GDT_DATA3 | 3);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].attributes, ==, 0x40f3);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0x7ffff010);

    seg_init(&f);
    set_dev(&f, 0x80, 0x401000, 8);
    set_dev(&f, 0x88, GDT_UCODE64 | 3, 8);
    set_dev(&f, 0xa8, GDT_DATA3, 8);
    fault(&f, lret16, sizeof(lret16), 13, GDT_DATA3);
    g_assert_cmphex(f.emu.seg_written, ==, 0);
}

/*
 * IRETQ: at CPL 0 with a null SS (allowed below CPL 3), IF and IOPL
 * loaded and NMIs unblocked; at CPL 3 with IOPL 0, IF and IOPL kept; NT
 * set is #GP(0) in long mode, a non-canonical RIP #GP(0).
 */
static void test_iret(void)
{
    static const uint8_t iretq[] = { 0x48, 0xcf };
    Fixture f;

    seg_init(&f);
    set_dev(&f, 0x80, 0x2000, 8);
    set_dev(&f, 0x88, GDT_CODE64, 8);
    set_dev(&f, 0x90, 0x3283, 8);           /* IOPL 3, IF, SF, CF */
    set_dev(&f, 0x98, 0x5000, 8);
    set_dev(&f, 0xa0, 0, 8);
    g_assert_cmpint(run(&f, iretq, sizeof(iretq), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x2000);
    g_assert_cmphex(f.emu.rflags, ==, 0x3283);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0x5000);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].attributes, ==, 0xc093);
    g_assert_true(f.emu.nmi_unblocked);

    user_init(&f);
    set_dev(&f, 0x80, 0x3000, 8);
    set_dev(&f, 0x88, GDT_UCODE64 | 3, 8);
    set_dev(&f, 0x90, 0x3283, 8);
    set_dev(&f, 0x98, 0x6000, 8);
    set_dev(&f, 0xa0, GDT_DATA3 | 3, 8);
    g_assert_cmpint(run(&f, iretq, sizeof(iretq), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rflags, ==, 0x83);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0x6000);

    seg_init(&f);
    f.emu.rflags = 0x4002;
    fault(&f, iretq, sizeof(iretq), 13, 0);
    g_assert_false(f.emu.nmi_unblocked);
    seg_init(&f);
    set_dev(&f, 0x80, 0x0000800000000000ULL, 8);
    set_dev(&f, 0x88, GDT_CODE64, 8);
    fault(&f, iretq, sizeof(iretq), 13, 0);
}

/*
 * IRET in real mode (16 bits: FLAGS' upper half kept), and IRETD from
 * CPL 0 into virtual-8086 mode: every segment register popped, loaded
 * as selector x 16.
 */
static void test_iret_real_v86(void)
{
    static const uint8_t iret[] = { 0xcf };
    static const uint32_t frame[] = {
        0x100, 0x2000, 0x20202, 0xfffe, 0x3000, 0x4000, 0x5000, 0, 0,
    };
    Fixture f;

    seg_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_REAL_16;
    f.emu.rflags = 0x40002;
    f.sreg[SEG_SS].base = DEV_BASE;
    f.emu.gpr[RSP] = 0x80;
    set_dev(&f, 0x80, 0x1234, 2);
    set_dev(&f, 0x82, 0xf000, 2);
    set_dev(&f, 0x84, 0x0283, 2);
    g_assert_cmpint(run(&f, iret, sizeof(iret), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x1234);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].base, ==, 0xf0000);
    g_assert_cmphex(f.emu.rflags, ==, 0x40283);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0x86);

    seg_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    f.sreg[SEG_SS] = (MshvEmuSeg) { .limit = 0xffffffff,
                                    .attributes = 0xc093 };
    f.emu.gpr[RSP] = DEV_BASE + 0x80;
    memcpy(f.dev + 0x80, frame, sizeof(frame));
    g_assert_cmpint(run(&f, iret, sizeof(iret), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rflags, ==, 0x20202);
    g_assert_cmphex(f.emu.rip, ==, 0x100);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0xfffe);
    g_assert_cmphex(f.emu.seg_written, ==, 0x3f);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].base, ==, 0x20000);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].base, ==, 0x30000);
    g_assert_cmphex(f.emu.seg_new[SEG_DS].base, ==, 0x50000);
    g_assert_cmphex(f.emu.seg_new[SEG_SS].attributes, ==, 0xf3);

    /* in virtual-8086 mode with IOPL 0 and no VME: #GP(0) */
    f.emu.rflags = 0x20002;
    f.emu.rip = 0x1000;
    f.emu.gpr[RSP] = TOP;
    fault(&f, iret, sizeof(iret), 13, 0);
}

/* LTR: the TSS marked busy, its 64-bit base; CPL 3 gets #GP(0) */
static void test_ltr(void)
{
    static const uint8_t ltr[] = { 0x0f, 0x00, 0x1b };     /* ltr [rbx] */
    Fixture f;

    seg_init(&f);
    set_dev(&f, 8, GDT_TSS, 2);
    g_assert_cmpint(run(&f, ltr, sizeof(ltr), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << MSHV_EMU_SEG_TR);
    g_assert_cmphex(f.emu.seg_new[MSHV_EMU_SEG_TR].base, ==,
                    0xffffffff89abc000ULL);
    g_assert_cmphex(f.emu.seg_new[MSHV_EMU_SEG_TR].attributes, ==, 0x8b);
    g_assert_cmphex(gdt(&f, GDT_TSS) >> 40 & 0xff, ==, 0x8b);
    /* busy now: a second LTR faults */
    g_assert_cmpint(run(&f, ltr, sizeof(ltr), NULL), ==, MSHV_EMU_FAULT);
    g_assert_cmphex(f.emu.fault_code, ==, GDT_TSS);

    seg_init(&f);
    f.emu.cpl = 3;
    set_dev(&f, 8, GDT_TSS, 2);
    fault(&f, ltr, sizeof(ltr), 13, 0);
    g_assert_cmphex(gdt(&f, GDT_TSS) >> 40 & 0xff, ==, 0x89);
}

/* Real mode: the base is the selector times 16, no descriptor read */
static void test_real_mode(void)
{
    static const uint8_t mov_es[] = { 0x8e, 0x07 };        /* mov es,[bx] */
    static const uint8_t ljmp[] = { 0xff, 0x2f };          /* jmp far [bx] */
    Fixture f;

    seg_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_REAL_16;
    f.gdtr.limit = 0;
    f.sreg[0] = (MshvEmuSeg) { .limit = 0xffffffff, .attributes = 0x8093 };
    f.sreg[SEG_DS].base = DEV_BASE;
    f.emu.gpr[RBX] = 8;
    set_dev(&f, 8, 0xb800, 2);
    g_assert_cmpint(run(&f, mov_es, sizeof(mov_es), NULL), ==,
                    MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.seg_new[0].base, ==, 0xb8000);
    g_assert_cmphex(f.emu.seg_new[0].selector, ==, 0xb800);

    set_dev(&f, 8, 0xf0001234, 4);
    g_assert_cmpint(run(&f, ljmp, sizeof(ljmp), NULL), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f.emu.rip, ==, 0x1234);
    g_assert_cmphex(f.emu.seg_new[SEG_CS].base, ==, 0xf0000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/segment/mov", test_mov_sreg);
    g_test_add_func("/mshv/emu/segment/far-pointer", test_load_far_pointer);
    g_test_add_func("/mshv/emu/segment/far-transfers", test_far_transfers);
    g_test_add_func("/mshv/emu/segment/call-gate", test_call_gate);
    g_test_add_func("/mshv/emu/segment/legacy-gate", test_legacy_gate);
    g_test_add_func("/mshv/emu/segment/ret-outer", test_ret_outer);
    g_test_add_func("/mshv/emu/segment/iret", test_iret);
    g_test_add_func("/mshv/emu/segment/iret-real-v86", test_iret_real_v86);
    g_test_add_func("/mshv/emu/segment/ltr", test_ltr);
    g_test_add_func("/mshv/emu/segment/real-mode", test_real_mode);
    return g_test_run();
}
