/*
 * The MSHV instruction executor's stack operations and near control
 * transfers (target/i386/mshv/mshv-emu-stack.c) with the stack or the
 * branch target in the fake device: what is stored where, RSP and RIP
 * after, #GP(0) for a non-canonical target, nothing changed by a fault.
 * And the stores of system registers (SMSW, MOV m, Sreg).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"

#define RSP         4
#define RBP         5
#define TOP         (DEV_BASE + 0x80)
#define NONCANON    0x0000800000000000ULL
#define CANON57     0x00ff000000000000ULL   /* canonical with LA57 only */

static uint64_t dev64(Fixture *f, unsigned off)
{
    uint64_t v;

    memcpy(&v, f->dev + off, 8);
    return v;
}

static void set_dev64(Fixture *f, unsigned off, uint64_t v)
{
    memcpy(f->dev + off, &v, 8);
}

static void stack_init(Fixture *f)
{
    fixture_init(f);
    f->emu.gpr[RSP] = TOP;
    f->emu.gpr[3] = DEV_BASE + 8;            /* RBX: an operand */
    set_dev64(f, 8, 0x1122334455667788ULL);
}

/* Run BYTES; it must complete, RIP past it unless BRANCH says where. */
static void done(Fixture *f, const uint8_t *bytes, size_t len, uint64_t rip)
{
    unsigned n;

    g_assert_cmpint(run(f, bytes, len, &n), ==, MSHV_EMU_DONE);
    g_assert_cmphex(f->emu.rip, ==, rip ? rip : 0x1000 + n);
}

static void test_push(void)
{
    static const uint8_t push_m[] = { 0xff, 0x33 };        /* push [rbx] */
    static const uint8_t push_i8[] = { 0x6a, 0xfb };       /* push -5 */
    static const uint8_t push_w[] = { 0x66, 0x6a, 0x05 };  /* push word 5 */
    static const uint8_t push_rsp[] = { 0x54 };            /* push rsp */
    static const uint8_t pushfq[] = { 0x9c };
    Fixture f;

    stack_init(&f);
    done(&f, push_m, sizeof(push_m), 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP - 8);
    g_assert_cmphex(dev64(&f, 0x78), ==, 0x1122334455667788ULL);

    stack_init(&f);
    done(&f, push_i8, sizeof(push_i8), 0);
    g_assert_cmphex(dev64(&f, 0x78), ==, (uint64_t)-5);

    stack_init(&f);
    done(&f, push_w, sizeof(push_w), 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP - 2);
    g_assert_cmphex(dev64(&f, 0x7e) & 0xffff, ==, 5);

    /* the value from before the push */
    stack_init(&f);
    done(&f, push_rsp, sizeof(push_rsp), 0);
    g_assert_cmphex(dev64(&f, 0x78), ==, TOP);

    /* RF (bit 16) is stored as 0 */
    stack_init(&f);
    f.emu.rflags = 0x10246;
    done(&f, pushfq, sizeof(pushfq), 0);
    g_assert_cmphex(dev64(&f, 0x78), ==, 0x246);
}

static void test_pop(void)
{
    static const uint8_t pop_m[] = { 0x8f, 0x03 };         /* pop [rbx] */
    static const uint8_t pop_rsp_m[] = { 0x8f, 0x04, 0x24 };/* pop [rsp] */
    static const uint8_t pop_rcx[] = { 0x59 };
    static const uint8_t pop_fs[] = { 0x0f, 0xa1 };
    Fixture f;

    stack_init(&f);
    set_dev64(&f, 0x80, 0xa5a5a5a5a5a5a5a5ULL);
    done(&f, pop_m, sizeof(pop_m), 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 8);
    g_assert_cmphex(dev64(&f, 8), ==, 0xa5a5a5a5a5a5a5a5ULL);

    /* the destination is addressed with the RSP after the pop */
    stack_init(&f);
    set_dev64(&f, 0x80, 0x77);
    done(&f, pop_rsp_m, sizeof(pop_rsp_m), 0);
    g_assert_cmphex(dev64(&f, 0x88), ==, 0x77);

    stack_init(&f);
    set_dev64(&f, 0x80, 0x1234);
    done(&f, pop_rcx, sizeof(pop_rcx), 0);
    g_assert_cmphex(f.emu.gpr[1], ==, 0x1234);

    /* a segment register: a null selector loads, one beyond the GDT not */
    stack_init(&f);
    set_dev64(&f, 0x80, 0);
    done(&f, pop_fs, sizeof(pop_fs), 0);
    g_assert_cmphex(f.emu.seg_written, ==, 1u << 4);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 8);
    stack_init(&f);
    set_dev64(&f, 0x80, 0x18);
    g_assert_cmpint(run(&f, pop_fs, sizeof(pop_fs), NULL), ==,
                    MSHV_EMU_FAULT);
    g_assert_cmphex(f.emu.fault_code, ==, 0x18);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP);
}

static void test_call_ret_jmp(void)
{
    static const uint8_t call_rel[] = { 0xe8, 0x10, 0x00, 0x00, 0x00 };
    static const uint8_t call_m[] = { 0xff, 0x13 };        /* call [rbx] */
    static const uint8_t jmp_m[] = { 0xff, 0x23 };         /* jmp [rbx] */
    static const uint8_t ret[] = { 0xc3 };
    static const uint8_t ret_imm[] = { 0xc2, 0x10, 0x00 };
    static const uint8_t call_far[] = { 0x48, 0xff, 0x1b };
    Fixture f;

    stack_init(&f);
    done(&f, call_rel, sizeof(call_rel), 0x1015);
    g_assert_cmphex(dev64(&f, 0x78), ==, 0x1005);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP - 8);

    stack_init(&f);
    set_dev64(&f, 8, 0xffffffff81000000ULL);
    done(&f, call_m, sizeof(call_m), 0xffffffff81000000ULL);
    g_assert_cmphex(dev64(&f, 0x78), ==, 0x1002);

    stack_init(&f);
    set_dev64(&f, 8, 0x401000);
    done(&f, jmp_m, sizeof(jmp_m), 0x401000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP);

    stack_init(&f);
    set_dev64(&f, 0x80, 0x2000);
    done(&f, ret, sizeof(ret), 0x2000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 8);

    stack_init(&f);
    set_dev64(&f, 0x80, 0x2000);
    done(&f, ret_imm, sizeof(ret_imm), 0x2000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP + 0x18);

    /* far: a null selector in the pointer is #GP(0), nothing pushed */
    stack_init(&f);
    g_assert_cmpint(run(&f, call_far, sizeof(call_far), NULL), ==,
                    MSHV_EMU_FAULT);
    g_assert_cmpuint(f.emu.fault_vector, ==, 13);
    g_assert_cmphex(f.emu.fault_code, ==, 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP);
}

/* A non-canonical target: #GP(0), and nothing pushed, popped or moved. */
static void test_noncanonical(void)
{
    static const uint8_t call_m[] = { 0xff, 0x13 };
    static const uint8_t jmp_m[] = { 0xff, 0x23 };
    static const uint8_t ret[] = { 0xc3 };
    const uint8_t *insns[] = { call_m, jmp_m, ret };
    const size_t lens[] = { sizeof(call_m), sizeof(jmp_m), sizeof(ret) };
    unsigned i, la57;

    for (i = 0; i < ARRAY_SIZE(insns); i++) {
        for (la57 = 0; la57 < 2; la57++) {
            uint64_t target = la57 ? CANON57 : NONCANON;
            Fixture f;

            stack_init(&f);
            set_dev64(&f, 8, target);
            set_dev64(&f, 0x80, target);
            g_assert_cmpint(run(&f, insns[i], lens[i], NULL), ==,
                            MSHV_EMU_FAULT);
            g_assert_cmpuint(f.emu.fault_vector, ==, 13);
            g_assert_true(f.emu.fault_has_code);
            g_assert_cmpuint(f.emu.fault_code, ==, 0);
            g_assert_cmphex(f.emu.rip, ==, 0x1000);
            g_assert_cmphex(f.emu.gpr[RSP], ==, TOP);
            g_assert_cmphex(dev64(&f, 0x78), ==, 0);

            /* with 5-level paging, 57 bits are canonical */
            if (la57) {
                stack_init(&f);
                f.cr4 = 1 << 12;
                set_dev64(&f, 8, target);
                set_dev64(&f, 0x80, target);
                done(&f, insns[i], lens[i], target);
            }
        }
    }
}

static void test_frames(void)
{
    static const uint8_t leave[] = { 0xc9 };
    static const uint8_t enter[] = { 0xc8, 0x20, 0x00, 0x00 };
    static const uint8_t enter_nested[] = { 0xc8, 0x20, 0x00, 0x01 };
    Fixture f;

    stack_init(&f);
    f.emu.gpr[RBP] = DEV_BASE + 0x40;
    set_dev64(&f, 0x40, 0xfeedface);
    done(&f, leave, sizeof(leave), 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, DEV_BASE + 0x48);
    g_assert_cmphex(f.emu.gpr[RBP], ==, 0xfeedface);

    stack_init(&f);
    f.emu.gpr[RBP] = 0xabcdef;
    done(&f, enter, sizeof(enter), 0);
    g_assert_cmphex(dev64(&f, 0x78), ==, 0xabcdef);
    g_assert_cmphex(f.emu.gpr[RBP], ==, TOP - 8);
    g_assert_cmphex(f.emu.gpr[RSP], ==, TOP - 8 - 0x20);

    stack_init(&f);
    g_assert_cmpint(run(&f, enter_nested, sizeof(enter_nested), NULL), ==,
                    MSHV_EMU_UNSUPPORTED);
}

/* Outside 64-bit mode SS.B sizes the stack pointer; 16 bits wrap. */
static void test_stack_width(void)
{
    static const uint8_t push_m[] = { 0xff, 0x33 };        /* push [ebx] */
    Fixture f;

    stack_init(&f);
    f.emu.mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    f.emu.gpr[RSP] = 0xdead0000ULL << 32 | (uint32_t)TOP;
    f.sreg[2].attributes = 0x4093;          /* SS: B set */
    done(&f, push_m, sizeof(push_m), 0);
    /* a 32-bit ESP write clears bits 63:32 */
    g_assert_cmphex(f.emu.gpr[RSP], ==, (uint32_t)TOP - 4);
    g_assert_cmphex(dev64(&f, 0x7c) & 0xffffffff, ==, 0x55667788);

    stack_init(&f);
    f.sink = true;
    f.emu.mode = ZYDIS_MACHINE_MODE_LEGACY_32;
    f.emu.gpr[RSP] = 0xabcd0002;
    f.sreg[2].attributes = 0x0093;          /* SS: B clear */
    done(&f, push_m, sizeof(push_m), 0);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0xabcdfffe);
}

/* The stack's memory fails: nothing committed. */
static void test_stack_stop(void)
{
    static const uint8_t call_rel[] = { 0xe8, 0x10, 0x00, 0x00, 0x00 };
    Fixture f;

    stack_init(&f);
    f.emu.gpr[RSP] = 0x7000;                 /* no memory there */
    g_assert_cmpint(run(&f, call_rel, sizeof(call_rel), NULL), ==,
                    MSHV_EMU_STOPPED);
    g_assert_cmphex(f.emu.rip, ==, 0x1000);
    g_assert_cmphex(f.emu.gpr[RSP], ==, 0x7000);
}

/* SMSW and MOV of a segment register to the device. */
static void test_system_stores(void)
{
    static const uint8_t smsw[] = { 0x0f, 0x01, 0x23 };    /* smsw [rbx] */
    static const uint8_t mov_fs[] = { 0x8c, 0x23 };        /* mov [rbx], fs */
    Fixture f;

    stack_init(&f);
    f.cr0 = 0x80050033;
    done(&f, smsw, sizeof(smsw), 0);
    g_assert_cmphex(dev64(&f, 8), ==, 0x1122334455660033ULL);

    stack_init(&f);
    f.sreg[4] = (MshvEmuSeg) { .selector = 0x2b, .attributes = 0xc0f3 };
    done(&f, mov_fs, sizeof(mov_fs), 0);
    g_assert_cmphex(dev64(&f, 8), ==, 0x112233445566002bULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/stack/push", test_push);
    g_test_add_func("/mshv/emu/stack/pop", test_pop);
    g_test_add_func("/mshv/emu/stack/call-ret-jmp", test_call_ret_jmp);
    g_test_add_func("/mshv/emu/stack/noncanonical", test_noncanonical);
    g_test_add_func("/mshv/emu/stack/frames", test_frames);
    g_test_add_func("/mshv/emu/stack/width", test_stack_width);
    g_test_add_func("/mshv/emu/stack/stop", test_stack_stop);
    g_test_add_func("/mshv/emu/system-stores", test_system_stores);
    return g_test_run();
}
