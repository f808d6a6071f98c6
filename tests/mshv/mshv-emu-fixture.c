/*
 * The MSHV instruction executor's tests: the fake machine
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-fixture.h"


static int fake_mem(MshvEmu *emu, uint64_t la, void *buf, unsigned size,
                    bool write)
{
    Fixture *f = container_of(emu, Fixture, emu);
    uint8_t *p;

    if (la >= DEV_BASE && la + size <= DEV_BASE + DEV_SIZE) {
        p = f->dev + (la - DEV_BASE);
        if (buf) {
            write ? f->dev_writes++ : f->dev_reads++;
        }
    } else if (la >= RAM_BASE && la + size <= RAM_BASE + RAM_SIZE) {
        p = f->ram + (la - RAM_BASE);
    } else if (f->sink) {
        if (!write) {
            memset(buf, 0, size);
        }
        return 0;
    } else {
        return -1;
    }
    if (!buf) {
        g_assert_true(write);   /* a check before a store */
        return 0;
    }
    if (write) {
        memcpy(p, buf, size);
    } else {
        memcpy(buf, p, size);
    }
    return 0;
}

static int fake_seg(MshvEmu *emu, ZydisRegister reg, MshvEmuSeg *seg)
{
    Fixture *f = container_of(emu, Fixture, emu);

    if (reg >= ZYDIS_REGISTER_ES && reg <= ZYDIS_REGISTER_GS) {
        *seg = f->sreg[reg - ZYDIS_REGISTER_ES];
    } else if (reg == ZYDIS_REGISTER_GDTR) {
        *seg = f->gdtr;
    } else if (reg == ZYDIS_REGISTER_LDTR) {
        *seg = f->ldtr;
    } else if (reg == ZYDIS_REGISTER_TR) {
        *seg = f->tr;
    } else {
        return -1;
    }
    return 0;
}

/* 16 bytes of vector register INDEX in REGS, read or written. */
static int fake_vector(uint8_t regs[16][16], unsigned index,
                       uint8_t value[16], bool write)
{
    g_assert_cmpuint(index, <, 16);
    memcpy(write ? regs[index] : value, write ? value : regs[index], 16);
    return 0;
}

static int fake_xmm(MshvEmu *emu, unsigned index, uint8_t value[16],
                    bool write)
{
    return fake_vector(container_of(emu, Fixture, emu)->xmm, index, value,
                       write);
}

static int fake_sysreg(MshvEmu *emu, ZydisRegister reg, uint64_t *value)
{
    Fixture *f = container_of(emu, Fixture, emu);

    if (reg == ZYDIS_REGISTER_CR0) {
        *value = f->cr0;
    } else if (reg == ZYDIS_REGISTER_CR4) {
        *value = f->cr4;
    } else {
        return -1;
    }
    return 0;
}

static int fake_ymm_high(MshvEmu *emu, unsigned index, uint8_t value[16],
                         bool write)
{
    Fixture *f = container_of(emu, Fixture, emu);

    f->zmm_zeroed[index] |= write;
    if (write) {
        memset(f->zmm_upper[index], 0, 32);
    }
    return fake_vector(f->ymm_high, index, value, write);
}

static int fake_zmm(MshvEmu *emu, unsigned index, uint8_t *value,
                    bool write)
{
    Fixture *f = container_of(emu, Fixture, emu);
    uint8_t *reg = index < 16 ? f->zmm_upper[index] : f->zmm_hi16[index - 16];
    unsigned size = index < 16 ? 32 : 64;

    g_assert_cmpuint(index, <, 32);
    memcpy(write ? reg : value, write ? value : reg, size);
    return 0;
}

static int fake_kreg(MshvEmu *emu, unsigned index, uint64_t *value)
{
    g_assert_cmpuint(index, <, 8);
    *value = container_of(emu, Fixture, emu)->k[index];
    return 0;
}

static int fake_mmx(MshvEmu *emu, unsigned index, uint64_t *value,
                    bool write)
{
    Fixture *f = container_of(emu, Fixture, emu);

    g_assert_cmpuint(index, <, 8);
    if (!write) {
        *value = f->mm[index];
        return 0;
    }
    if (value) {
        f->mm[index] = *value;
    }
    f->mmx_state = true;
    return 0;
}

static const MshvEmuOps fake_ops = {
    .mem = fake_mem,
    .seg = fake_seg,
    .xmm = fake_xmm,
    .ymm_high = fake_ymm_high,
    .mmx = fake_mmx,
    .zmm = fake_zmm,
    .kreg = fake_kreg,
    .sysreg = fake_sysreg,
};

void fixture_init(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->emu.ops = &fake_ops;
    f->emu.mode = ZYDIS_MACHINE_MODE_LONG_64;
    f->emu.rflags = 0x2;
    f->emu.rip = 0x1000;
}

MshvEmuResult run(Fixture *f, const uint8_t *bytes, size_t len,
                         unsigned *insn_len)
{
    ZydisDecoder dec;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

    /* (as mshv-decode.c: the stack width follows the mode) */
    g_assert_true(ZYAN_SUCCESS(ZydisDecoderInit(
        &dec, f->emu.mode,
        f->emu.mode == ZYDIS_MACHINE_MODE_LONG_64 ? ZYDIS_STACK_WIDTH_64 :
        f->emu.mode == ZYDIS_MACHINE_MODE_LEGACY_32 ? ZYDIS_STACK_WIDTH_32 :
        ZYDIS_STACK_WIDTH_16)));
    g_assert_true(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len,
                                                      &insn, ops)));
    if (insn_len) {
        *insn_len = insn.length;
    }
    return mshv_emu_exec(&f->emu, &insn, ops);
}

size_t encode(uint8_t *code, int bits, uint8_t opc8)
{
    size_t len = 0;

    if (bits == 16) {
        code[len++] = 0x66;
    } else if (bits == 64) {
        code[len++] = 0x48;
    }
    code[len++] = bits == 8 ? opc8 : opc8 + 1;
    return len;
}
