/*
 * The MSHV instruction executor's alignment faults, as the processor
 * raises them on the device: #AC(0) for a misaligned data access at
 * CPL 3 with CR0.AM and RFLAGS.AC set (none otherwise), and #GP(0) for
 * the SSE and AVX moves that require an aligned operand -- with nothing
 * read, written or moved.  The host shows first that its processor
 * faults (Linux sets CR0.AM, so user code with RFLAGS.AC gets SIGBUS).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"

#define RFLAGS_AC   0x40000
#define RSP         4

static void set_ac(bool on)
{
    if (on) {
        asm volatile("pushf; orl %0, (%%rsp); popf" : : "i"(RFLAGS_AC)
                     : "memory", "cc");
    } else {
        asm volatile("pushf; andl %0, (%%rsp); popf" : : "i"(~RFLAGS_AC)
                     : "memory", "cc");
    }
}

/* The host's own behaviour, in a child: a misaligned load with AC. */
static void test_host_faults(void)
{
    if (g_test_subprocess()) {
        static uint8_t buf[16] QEMU_ALIGNED(16);
        uint32_t v;

        set_ac(true);
        asm volatile("movl 1(%1), %0" : "=r"(v) : "r"(buf) : "memory");
        set_ac(false);
        exit(0);                /* no fault: not what the test expects */
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
}

/* A user-mode machine with alignment checking on. */
static void align_init(Fixture *f)
{
    fixture_init(f);
    f->emu.cpl = 3;
    f->emu.cr0_am = true;
    f->emu.rflags |= RFLAGS_AC;
    f->emu.gpr[3] = DEV_BASE + 0x11;        /* RBX: misaligned but for bytes */
}

static void assert_fault(Fixture *f, MshvEmuResult r, uint8_t vector)
{
    g_assert_cmpint(r, ==, MSHV_EMU_FAULT);
    g_assert_cmpuint(f->emu.fault_vector, ==, vector);
    g_assert_true(f->emu.fault_has_code);
    g_assert_cmpuint(f->emu.fault_code, ==, 0);
    g_assert_cmpuint(f->emu.rip, ==, 0x1000);
    g_assert_cmpuint(f->emu.gpr_written, ==, 0);
    g_assert_cmpuint(f->dev_reads + f->dev_writes, ==, 0);
}

static void test_alignment_check(void)
{
    static const uint8_t load32[] = { 0x8b, 0x03 };     /* mov eax, [rbx] */
    static const uint8_t load8[] = { 0x8a, 0x03 };      /* mov al, [rbx] */
    static const uint8_t store16[] = { 0x66, 0x89, 0x03 }; /* mov [rbx], ax */
    Fixture f;

    align_init(&f);
    assert_fault(&f, run(&f, load32, sizeof(load32), NULL), 17);
    align_init(&f);
    assert_fault(&f, run(&f, store16, sizeof(store16), NULL), 17);

    /* a byte is never misaligned */
    align_init(&f);
    g_assert_cmpint(run(&f, load8, sizeof(load8), NULL), ==, MSHV_EMU_DONE);

    /* aligned: done */
    align_init(&f);
    f.emu.gpr[3] = DEV_BASE + 0x14;
    g_assert_cmpint(run(&f, load32, sizeof(load32), NULL), ==,
                    MSHV_EMU_DONE);

    /* each condition off in turn: no check */
    align_init(&f);
    f.emu.cpl = 0;
    g_assert_cmpint(run(&f, load32, sizeof(load32), NULL), ==,
                    MSHV_EMU_DONE);
    align_init(&f);
    f.emu.cr0_am = false;
    g_assert_cmpint(run(&f, load32, sizeof(load32), NULL), ==,
                    MSHV_EMU_DONE);
    align_init(&f);
    f.emu.rflags &= ~RFLAGS_AC;
    g_assert_cmpint(run(&f, load32, sizeof(load32), NULL), ==,
                    MSHV_EMU_DONE);
}

static void test_alignment_check_stack_and_strings(void)
{
    static const uint8_t push[] = { 0x53 };             /* push rbx */
    static const uint8_t rep_movsd[] = { 0xf3, 0xa5 };  /* rep movsd */
    Fixture f;

    align_init(&f);
    f.emu.gpr[RSP] = DEV_BASE + 0x84;       /* 8-byte pushes: misaligned */
    assert_fault(&f, run(&f, push, sizeof(push), NULL), 17);

    /* before the first element: RCX, RSI and RDI as they were */
    align_init(&f);
    f.emu.gpr[1] = 4;                       /* RCX */
    f.emu.gpr[6] = DEV_BASE + 0x22;         /* RSI */
    f.emu.gpr[7] = RAM_BASE;                /* RDI */
    assert_fault(&f, run(&f, rep_movsd, sizeof(rep_movsd), NULL), 17);
    g_assert_cmpuint(f.emu.gpr[1], ==, 4);
}

static void test_aligned_vector_moves(void)
{
    /* movdqa xmm1, [rbx]; movaps [rbx], xmm3; vmovdqa ymm2, [rbx] */
    static const uint8_t movdqa[] = { 0x66, 0x0f, 0x6f, 0x0b };
    static const uint8_t movaps[] = { 0x0f, 0x29, 0x1b };
    static const uint8_t vmovdqa[] = { 0xc5, 0xfd, 0x6f, 0x13 };
    static const uint8_t movdqu[] = { 0xf3, 0x0f, 0x6f, 0x0b };
    Fixture f;

    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + 8;
    assert_fault(&f, run(&f, movdqa, sizeof(movdqa), NULL), 13);
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + 4;
    assert_fault(&f, run(&f, movaps, sizeof(movaps), NULL), 13);
    /* 32 bytes: 16-byte alignment is not enough */
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + 0x10;
    assert_fault(&f, run(&f, vmovdqa, sizeof(vmovdqa), NULL), 13);
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + 0x20;
    g_assert_cmpint(run(&f, vmovdqa, sizeof(vmovdqa), NULL), ==,
                    MSHV_EMU_DONE);
    /* the unaligned form moves */
    fixture_init(&f);
    f.emu.gpr[3] = DEV_BASE + 8;
    g_assert_cmpint(run(&f, movdqu, sizeof(movdqu), NULL), ==,
                    MSHV_EMU_DONE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mshv/emu/align/host-faults", test_host_faults);
    g_test_add_func("/mshv/emu/align/check", test_alignment_check);
    g_test_add_func("/mshv/emu/align/stack-and-strings",
                    test_alignment_check_stack_and_strings);
    g_test_add_func("/mshv/emu/align/aligned-vector-moves",
                    test_aligned_vector_moves);
    return g_test_run();
}
