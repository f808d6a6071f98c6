/*
 * MSHV simulator conformance: protected and long mode guests, and
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS against their page tables
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

/* ---- Protected and long mode --------------------------------------------- */

/* Long-mode page tables: 4 levels, the first 2 MiB in 4 KiB pages. */
#define GUEST_PML4          0x8000
#define GUEST_PAGE_TABLE    0xb000
#define PTE_P               (1ULL << 0)
#define PTE_W               (1ULL << 1)
#define PTE_U               (1ULL << 2)
#define PTE_A               (1ULL << 5)
#define PTE_D               (1ULL << 6)
#define PTE_PS              (1ULL << 7)
#define PTE_NX              (1ULL << 63)

static uint64_t *guest_pte(Guest *g, uint64_t gva)
{
    return (uint64_t *)(g->ram + GUEST_PAGE_TABLE) + (gva >> 12);
}

/* VP 0 at GUEST_CODE in 32-bit protected mode, flat, without paging. */
static void guest_init_protected(Guest *g, const uint8_t *code, size_t len)
{
    const struct hv_x64_segment_register flat = {
        .limit = 0xffffffff, .selector = 0x10,
        .attributes = 0x93 | HV_SEG_ATTR_DB | HV_SEG_ATTR_G,
    };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CR0, .value.reg64 = 0x11 },  /* PE, ET */
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .limit = 0xffffffff, .selector = 0x08,
                             .attributes = 0x9b | HV_SEG_ATTR_DB |
                                           HV_SEG_ATTR_G } },
        { .name = HV_X64_REGISTER_DS, .value.segment = flat },
        { .name = HV_X64_REGISTER_ES, .value.segment = flat },
        { .name = HV_X64_REGISTER_SS, .value.segment = flat },
    };

    guest_init(g, code, len);
    set_regs(g, regs, ARRAY_SIZE(regs));
}

/*
 * VP 0 at GUEST_CODE in 64-bit mode (NX on), its page tables at GUEST_PML4
 * mapping the first 2 MiB of addresses one to one, supervisor read/write
 * (the levels above allow all): a test changes single PTEs (guest_pte).
 */
static void guest_init_long(Guest *g, const uint8_t *code, size_t len)
{
    const struct hv_x64_segment_register data = {
        .limit = 0xffffffff, .selector = 0x10,
        .attributes = 0x93 | HV_SEG_ATTR_DB | HV_SEG_ATTR_G,
    };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CR3, .value.reg64 = GUEST_PML4 },
        { .name = HV_X64_REGISTER_CR4, .value.reg64 = 1 << 5 },   /* PAE */
        { .name = HV_X64_REGISTER_EFER,         /* LME, LMA, NXE */
          .value.reg64 = 1 << 8 | 1 << 10 | 1 << 11 },
        /* PE, ET, NE, WP, PG */
        { .name = HV_X64_REGISTER_CR0, .value.reg64 = 0x80010031 },
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .limit = 0xffffffff, .selector = 0x08,
                             .attributes = 0x9b | HV_SEG_ATTR_L |
                                           HV_SEG_ATTR_G } },
        { .name = HV_X64_REGISTER_DS, .value.segment = data },
        { .name = HV_X64_REGISTER_ES, .value.segment = data },
        { .name = HV_X64_REGISTER_SS, .value.segment = data },
    };
    uint64_t *table;
    unsigned i;

    guest_init(g, code, len);
    table = (uint64_t *)(g->ram + GUEST_PML4);
    /* PML4, PDPT and PD: one entry each, to the next level's page */
    for (i = 0; i < 3; i++) {
        table[i * 512] = (GUEST_PML4 + (i + 1) * 0x1000) | PTE_P | PTE_W |
                         PTE_U;
    }
    for (i = 0; i < 512; i++) {
        *guest_pte(g, i << 12) = (uint64_t)i << 12 | PTE_P | PTE_W;
    }
    set_regs(g, regs, ARRAY_SIZE(regs));
}

/* HVCALL_TRANSLATE_VIRTUAL_ADDRESS of @gva for VP @index. */
static struct hv_output_translate_virtual_address
translate(Guest *g, uint32_t index, uint64_t gva, uint64_t flags,
          uint16_t *status)
{
    struct hv_input_translate_virtual_address in = {
        .vp_index = index,
        .control_flags = flags,
        .gva_page = gva >> 12,
    };
    struct hv_output_translate_virtual_address out;

    memset(&out, 0xff, sizeof(out));
    hvcall(g->vp, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in),
           &out, sizeof(out), status);
    return out;
}

/* The GPA page @gva translates to; fails the test if it does not. */
static uint64_t translate_ok(Guest *g, uint64_t gva)
{
    uint16_t status;
    struct hv_output_translate_virtual_address out =
        translate(g, g->index, gva, HV_TRANSLATE_GVA_VALIDATE_READ, &status);

    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_SUCCESS);
    return out.gpa_page << 12;
}

/*
 * 32-bit protected mode: port I/O and MMIO stop with the mode in the
 * message, and addresses translate one to one.
 */
/*
 * Code the VMM writes into guest RAM (as a device's DMA does) is what the
 * VP runs next, even where it ran other code before: an MBR loading a
 * boot sector over itself at 0x7c00.  Also after hundreds of stops that
 * found the page unchanged, once the simulator stopped comparing it and
 * dropped its translations (hw/mshv-sim/memory.c): a translation made
 * again must be compared again.
 */
static void test_vmm_rewrites_code(void)
{
    static const uint8_t code[] = {
        0xb0, 0x11,                     /* l: mov al, 0x11 */
        0xe6, 0x10,                     /* out 0x10, al */
        0xeb, 0xfa,                     /* jmp l */
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    uint8_t expect = 0x11;
    Guest g;
    int round;

    guest_init(&g, code, sizeof(code));
    for (round = 0; round < 1100; round++) {
        run(&g, &msg);
        g_assert_cmphex(msg.header.message_type, ==,
                        HVMSG_X64_IO_PORT_INTERCEPT);
        g_assert_cmphex(io->port_number, ==, 0x10);
        g_assert_cmphex(io->rax & 0xff, ==, expect);
        skip(&g, &io->header);
        /* the next round's immediate, written while the VP is stopped */
        if (round < 3 || round == 300 || round == 1000) {
            expect += 0x11;
            g.ram[GUEST_CODE + 1] = expect;
        }
    }
    guest_fini(&g);
}

static void test_protected_mode(void)
{
    static const uint8_t code[] = {
        0x66, 0xba, 0xf8, 0x03,         /* mov dx, 0x3f8 */
        0xb8, 0x44, 0x33, 0x22, 0x11,   /* mov eax, 0x11223344 */
        0xef,                           /* out dx, eax */
        0x89, 0x05, 0x10, 0x00, 0x02, 0x00, /* mov [0x20010], eax */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    Guest g;

    guest_init_protected(&g, code, sizeof(code));
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x3f8);
    g_assert_cmpuint(io->access_info, ==, 4);
    g_assert_cmphex(io->rax, ==, 0x11223344);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 9);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 1);
    g_assert_cmphex(io->header.execution_state &
                    (HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA |
                     HV_X64_EXEC_STATE_CPL_MASK), ==, HV_X64_EXEC_STATE_CR0_PE);
    g_assert_cmphex(io->header.cs_segment.attributes, ==,
                    0x9b | HV_SEG_ATTR_DB | HV_SEG_ATTR_G);
    /* no paging: every address is its own translation */
    g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x5000);
    g_assert_cmphex(translate_ok(&g, 0x12345000), ==, 0x12345000);
    skip(&g, &io->header);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED + 0x10);
    g_assert_cmphex(mem->guest_virtual_address, ==, GUEST_UNMAPPED + 0x10);
    g_assert_cmpuint(mem->header.instruction_length_and_cr8 & 0xf, ==, 6);
    g_assert_cmpuint(mem->instruction_bytes[0], ==, 0x89);
    guest_fini(&g);
}

/*
 * 64-bit mode with paging: messages carry the mode; translations follow
 * the guest's page tables as they are now, for the stopped VP, asked
 * right after its stop (when its own thread answers) and later; a string
 * I/O stop shows the guest's virtual addresses; an access through a page
 * mapped to an unmapped GPA reports both addresses.
 */
static void test_long_mode_paging(void)
{
    static const uint8_t code[] = {
        0x66, 0xba, 0xf8, 0x03,         /* mov dx, 0x3f8 */
        0xb0, 0x41,                     /* mov al, 'A' */
        0xee,                           /* out dx, al */
        0xf3, 0x6e,                     /* rep outsb */
        0x48, 0xb8, 0x08, 0x70, 0, 0, 0, 0, 0, 0, /* mov rax, 0x7008 */
        0x48, 0x89, 0x18,               /* mov [rax], rbx */
        0xee,                           /* out dx, al */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    struct hv_output_translate_virtual_address out;
    uint16_t status;
    Guest g;
    unsigned i;

    guest_init_long(&g, code, sizeof(code));
    *guest_pte(&g, 0x5000) = 0x6000 | PTE_P | PTE_W;    /* elsewhere */
    *guest_pte(&g, 0x4000) = 0x4000;                    /* not present */
    *guest_pte(&g, 0x7000) = GUEST_UNMAPPED | PTE_P | PTE_W;

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->rax & 0xff, ==, 'A');
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 6);
    g_assert_cmphex(io->header.execution_state &
                    (HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA |
                     HV_X64_EXEC_STATE_CPL_MASK), ==,
                    HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA);
    g_assert_cmphex(io->header.cs_segment.attributes, ==,
                    0x9b | HV_SEG_ATTR_L | HV_SEG_ATTR_G);
    /* asked at once, then again and again while the VP stays stopped */
    for (i = 0; i < 50; i++) {
        g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x6000);
        g_assert_cmphex(translate_ok(&g, 0x5fff), ==, 0x6000);
        g_assert_cmphex(translate_ok(&g, GUEST_CODE), ==, GUEST_CODE);
    }
    out = translate(&g, g.index, 0x4000, HV_TRANSLATE_GVA_VALIDATE_READ,
                    &status);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    /* beyond the mapped 2 MiB, and not canonical */
    out = translate(&g, g.index, 0x40000000, 0, &status);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    out = translate(&g, g.index, 0x0000800000000000ULL, 0, &status);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    /* the tables as they are now, not as when the VP stopped */
    *guest_pte(&g, 0x4000) = 0x9000 | PTE_P;
    g_assert_cmphex(translate_ok(&g, 0x4000), ==, 0x9000);
    /* no such VP */
    translate(&g, 5, 0x5000, 0, &status);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_VP_INDEX);
    skip(&g, &io->header);

    /* rep outsb from virtual 0x5000: the VP stops before the first byte */
    set_reg(&g, HV_X64_REGISTER_RCX, 4);
    set_reg(&g, HV_X64_REGISTER_RSI, 0x5010);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmpuint(io->access_info, ==, 1 | HV_X64_IO_ACCESS_STRING_OP |
                                         HV_X64_IO_ACCESS_REP_PREFIX);
    g_assert_cmphex(io->rsi, ==, 0x5010);
    g_assert_cmphex(io->rcx, ==, 4);
    g_assert_cmphex(translate_ok(&g, io->rsi), ==, 0x6000);
    /* complete it as a VMM does: all four elements, registers moved */
    set_reg(&g, HV_X64_REGISTER_RSI, 0x5014);
    set_reg(&g, HV_X64_REGISTER_RCX, 0);
    skip(&g, &io->header);

    /* through a page that maps an unmapped GPA: both addresses */
    set_reg(&g, HV_X64_REGISTER_RBX, 0x1122334455667788ULL);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_virtual_address, ==, 0x7008);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED + 8);
    g_assert_true(mem->memory_access_info & HV_X64_MEMORY_ACCESS_GVA_VALID);
    g_assert_cmpuint(mem->header.instruction_length_and_cr8 & 0xf, ==, 3);
    g_assert_cmpuint(mem->instruction_bytes[0], ==, 0x48);
    g_assert_cmpuint(mem->instruction_bytes[1], ==, 0x89);
    skip(&g, &mem->header);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 22);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RSI), ==, 0x5014);
    guest_fini(&g);
}

static uint32_t translate_result(Guest *g, uint64_t gva, uint64_t flags)
{
    uint16_t status;
    struct hv_output_translate_virtual_address out =
        translate(g, g->index, gva, flags, &status);

    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    return out.result_code;
}

/*
 * The checks a translation makes when asked to (long mode): privilege,
 * writability, no-execute, reserved bits; large pages; accessed and dirty
 * bits set only on request; unknown control flags refused.
 */
static void test_translate_checks(void)
{
    static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };   /* out 0x80, al */
    const uint64_t rd = HV_TRANSLATE_GVA_VALIDATE_READ;
    const uint64_t wr = rd | HV_TRANSLATE_GVA_VALIDATE_WRITE;
    const uint64_t ex = HV_TRANSLATE_GVA_VALIDATE_EXECUTE;
    const uint64_t user = HV_TRANSLATE_GVA_USER_ACCESS;
    const uint64_t set_bits = HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS;
    uint64_t *pd;
    struct hv_message msg;
    uint16_t status;
    Guest g;

    guest_init_long(&g, code, sizeof(code));
    pd = (uint64_t *)(g.ram + GUEST_PML4 + 0x2000);
    *guest_pte(&g, 0x2000) = 0x2000 | PTE_P | PTE_U | PTE_NX;
    *guest_pte(&g, 0x3000) = 0x3000 | PTE_P;                /* read-only */
    *guest_pte(&g, 0x4000) = 0x4000 | PTE_P | 1ULL << 51;   /* reserved */
    *guest_pte(&g, 0x6000) = 0x6000 | PTE_P | 1ULL << 58;   /* the OS's */
    pd[1] = 0x400000 | PTE_P | PTE_W | PTE_PS;              /* 2 MiB */
    /* a page table in a GPA no region maps: the hypervisor cannot read it */
    pd[2] = GUEST_UNMAPPED | PTE_P | PTE_W;
    *guest_pte(&g, 0x7000) = GUEST_UNMAPPED | PTE_P | PTE_W;
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);

    g_assert_cmpuint(translate_result(&g, 0x3000, rd), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* CR0.WP: read-only for the supervisor too, unless exempt */
    g_assert_cmpuint(translate_result(&g, 0x3000, wr), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, 0x3000, wr |
                                      HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* supervisor pages are not the user's; user pages are */
    g_assert_cmpuint(translate_result(&g, 0x5000, rd | user), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, 0x2000, rd | user), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* no-execute */
    g_assert_cmpuint(translate_result(&g, 0x2000, ex), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, GUEST_CODE, ex), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmpuint(translate_result(&g, 0x4000, rd), ==,
                     HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS);
    g_assert_cmphex(translate_ok(&g, 0x6000), ==, 0x6000);
    g_assert_cmphex(translate_ok(&g, 0x234567), ==, 0x434000);
    g_assert_cmpuint(translate_result(&g, 0x401000, rd), ==,
                     HV_TRANSLATE_GVA_GPA_UNMAPPED);
    /* a data page there is the VMM's to reach: the walk succeeds */
    g_assert_cmphex(translate_ok(&g, 0x7000), ==, GUEST_UNMAPPED);

    /* accessed and dirty bits: untouched unless asked for */
    g_assert_false(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D));
    translate_ok(&g, 0x5000);
    g_assert_false(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D));
    g_assert_cmpuint(translate_result(&g, 0x5000, rd | set_bits), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmphex(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D), ==, PTE_A);
    g_assert_true(pd[0] & PTE_A);
    g_assert_cmpuint(translate_result(&g, 0x5000, wr | set_bits), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmphex(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D), ==,
                    PTE_A | PTE_D);
    /* a refused access sets nothing dirty */
    g_assert_cmpuint(translate_result(&g, 0x3000, wr | set_bits), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_false(*guest_pte(&g, 0x3000) & PTE_D);

    translate(&g, g.index, 0x5000, 1ULL << 20, &status);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
    guest_fini(&g);
}

/*
 * 32-bit paging, with and without PAE, on a VP stopped in protected mode:
 * 4 KiB pages and large ones (4 MiB, 2 MiB), as the tables say.
 */
static void test_translate_32bit_paging(void)
{
    static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };   /* out 0x80, al */
    uint32_t *pd, *pt;
    uint64_t *pdpt, *pd64, *pt64;
    struct hv_message msg;
    Guest g;

    guest_init_protected(&g, code, sizeof(code));
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);

    /* two levels of 4-byte entries, and a 4 MiB page (CR4.PSE) */
    pd = (uint32_t *)(g.ram + 0x8000);
    pt = (uint32_t *)(g.ram + 0x9000);
    pd[0] = 0x9000 | PTE_P | PTE_W;
    pd[1] = 0x800000 | PTE_P | PTE_W | PTE_PS;
    pt[5] = 0x7000 | PTE_P | PTE_W;
    set_reg(&g, HV_X64_REGISTER_CR3, 0x8000);
    set_reg(&g, HV_X64_REGISTER_CR4, 1 << 4);                  /* PSE */
    set_reg(&g, HV_X64_REGISTER_CR0, 0x80000011);
    g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x7000);
    g_assert_cmphex(translate_ok(&g, 0x4abcde), ==, 0x8ab000);
    g_assert_cmpuint(translate_result(&g, 0x6000, 0), ==,
                     HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);

    /* PAE: a PDPTE, then two levels of 8-byte entries, and 2 MiB pages */
    pdpt = (uint64_t *)(g.ram + 0xa000);
    pd64 = (uint64_t *)(g.ram + 0xb000);
    pt64 = (uint64_t *)(g.ram + 0xc000);
    memset(pdpt, 0, 0x3000);
    pdpt[1] = 0xb000 | PTE_P;                   /* 1 GiB - 2 GiB */
    pd64[0] = 0xc000 | PTE_P | PTE_W;
    pd64[1] = 0xa00000 | PTE_P | PTE_W | PTE_PS;
    pt64[3] = 0x3000 | PTE_P;
    set_reg(&g, HV_X64_REGISTER_CR3, 0xa000);
    set_reg(&g, HV_X64_REGISTER_CR4, 1 << 5);                  /* PAE */
    g_assert_cmphex(translate_ok(&g, 0x40003000), ==, 0x3000);
    g_assert_cmphex(translate_ok(&g, 0x40212345), ==, 0xa12000);
    g_assert_cmpuint(translate_result(&g, 0x3000, 0), ==,
                     HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    guest_fini(&g);
}

/* Two OUTs: the register page tests complete the first through the page. */

void mshv_sim_test_add_paging(void)
{
    g_test_add_func("/mshv-sim/mode/protected", test_protected_mode);
    g_test_add_func("/mshv-sim/memory/vmm-rewrites-code",
                    test_vmm_rewrites_code);
    g_test_add_func("/mshv-sim/mode/long-paging", test_long_mode_paging);
    g_test_add_func("/mshv-sim/hvcall/translate-checks", test_translate_checks);
    g_test_add_func("/mshv-sim/hvcall/translate-32bit-paging",
                    test_translate_32bit_paging);
}
