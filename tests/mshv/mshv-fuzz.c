/*
 * The MSHV fuzz targets' common parts (see mshv-fuzz.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-fuzz.h"

static int fuzz_mem(MshvEmu *emu, uint64_t la, void *buf, unsigned size,
                    bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);
    unsigned off = la & 0xfff;

    assert(size >= 1 && size <= 64);
    /* A bound on runaway REP loops: the memory "ends". */
    if (++f->accesses > 4096 || off + size > sizeof(f->page)) {
        return -1;
    }
    if (!buf) {
        assert(write);          /* INS checking its destination first */
    } else if (write) {
        memcpy(f->page + off, buf, size);
    } else {
        memcpy(buf, f->page + off, size);
    }
    return 0;
}

/*
 * ES ... GS with bases 64 KiB apart; the GDT and the LDT are the page's
 * two halves, so descriptor loads read fuzzed descriptors, and a busy
 * 32-bit TSS inside the GDT gives a call gate fuzzed inner stacks.
 */
static int fuzz_seg(MshvEmu *emu, ZydisRegister reg, MshvEmuSeg *seg)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    if (reg >= ZYDIS_REGISTER_ES && reg <= ZYDIS_REGISTER_GS) {
        *seg = f->sreg[reg - ZYDIS_REGISTER_ES];
    } else if (reg == ZYDIS_REGISTER_GDTR) {
        *seg = (MshvEmuSeg) { .base = 0, .limit = 0x7ff };
    } else if (reg == ZYDIS_REGISTER_LDTR) {
        *seg = (MshvEmuSeg) { .base = 0x800, .limit = 0x7ff,
                              .selector = 0x28, .attributes = 0x82 };
    } else if (reg == ZYDIS_REGISTER_TR) {
        *seg = (MshvEmuSeg) { .base = 0x700, .limit = 0x67,
                              .selector = 0x30, .attributes = 0x8b };
    } else {
        return -1;
    }
    return 0;
}

static int fuzz_vector(MshvEmu *emu, unsigned index, uint8_t value[16],
                       bool write, unsigned half)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    assert(index < 16);
    if (write) {
        memcpy(f->xmm[index] + half * 16, value, 16);
    } else {
        memcpy(value, f->xmm[index] + half * 16, 16);
    }
    return 0;
}

static int fuzz_xmm(MshvEmu *emu, unsigned index, uint8_t value[16],
                    bool write)
{
    return fuzz_vector(emu, index, value, write, 0);
}

static int fuzz_ymm_high(MshvEmu *emu, unsigned index, uint8_t value[16],
                         bool write)
{
    return fuzz_vector(emu, index, value, write, 1);
}

/* A port reads as the page and absorbs writes, as a device might. */
static int fuzz_port(MshvEmu *emu, uint16_t port, void *buf, unsigned size,
                     bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    assert(size == 1 || size == 2 || size == 4);
    if (++f->accesses > 4096) {
        return -1;
    }
    if (!write) {
        memcpy(buf, f->page + (port & 0xff0), size);
    }
    return 0;
}

static int fuzz_mmx(MshvEmu *emu, unsigned index, uint64_t *value,
                    bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    assert(index < 8);
    if (!write) {
        *value = f->mm[index];
    } else if (value) {
        f->mm[index] = *value;
    }
    return 0;
}

static int fuzz_zmm(MshvEmu *emu, unsigned index, uint8_t *value,
                    bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);
    unsigned size = index < 16 ? 32 : 64;

    assert(index < 32);
    memcpy(write ? f->zmm[index] : value, write ? value : f->zmm[index],
           size);
    return 0;
}

static int fuzz_kreg(MshvEmu *emu, unsigned index, uint64_t *value)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    assert(index < 8);
    *value = f->k[index];
    return 0;
}

static int fuzz_sysreg(MshvEmu *emu, ZydisRegister reg, uint64_t *value)
{
    *value = 0x80050033 ^ reg;
    return 0;
}

static const MshvEmuOps fuzz_ops = {
    .mem = fuzz_mem,
    .seg = fuzz_seg,
    .xmm = fuzz_xmm,
    .ymm_high = fuzz_ymm_high,
    .mmx = fuzz_mmx,
    .zmm = fuzz_zmm,
    .kreg = fuzz_kreg,
    .port = fuzz_port,
    .sysreg = fuzz_sysreg,
};

void fuzz_emu_init(FuzzEmu *f, ZydisMachineMode mode, uint64_t rip)
{
    unsigned i;

    memset(f, 0, sizeof(*f));
    f->emu.ops = &fuzz_ops;
    f->emu.mode = mode;
    f->emu.rip = rip;
    f->emu.rflags = 0x2;
    f->k[1] = 0x5555555555555555ULL;
    f->k[2] = 0x00000000ffff0000ULL;
    for (i = 0; i < ARRAY_SIZE(f->sreg); i++) {
        uint32_t v = 0x80050033 ^ (ZYDIS_REGISTER_ES + i);

        f->sreg[i] = (MshvEmuSeg) {
            .base = 0x10000 * i, .limit = 0xffffffff,
            .selector = v, .attributes = v >> 16,
        };
    }
}

static bool fuzz_is_iret(const ZydisDecodedInstruction *insn)
{
    return insn->mnemonic == ZYDIS_MNEMONIC_IRET ||
           insn->mnemonic == ZYDIS_MNEMONIC_IRETD ||
           insn->mnemonic == ZYDIS_MNEMONIC_IRETQ;
}

bool fuzz_emu_exec(FuzzEmu *f, const ZydisDecodedInstruction *insn,
                   const ZydisDecodedOperand *ops)
{
    uint64_t rip = f->emu.rip, next = rip + insn->length;

    if (f->emu.mode != ZYDIS_MACHINE_MODE_LONG_64) {
        next = (uint32_t)next;
    }
    switch (mshv_emu_exec(&f->emu, insn, ops)) {
    case MSHV_EMU_DONE:
        assert(f->emu.rip == next ||
               insn->meta.category == ZYDIS_CATEGORY_CALL ||
               insn->meta.category == ZYDIS_CATEGORY_RET ||
               insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
               (f->emu.rip == rip &&
                (insn->attributes & (ZYDIS_ATTRIB_HAS_REP |
                                     ZYDIS_ATTRIB_HAS_REPE |
                                     ZYDIS_ATTRIB_HAS_REPNE))));
        /*
         * only far transfers and IRET load CS, and only IRET unblocks
         * NMIs; only a load of SS sets the shadow
         */
        assert(!(f->emu.seg_written & (1u << 1)) ||
               insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ||
               fuzz_is_iret(insn));
        assert(!f->emu.nmi_unblocked || fuzz_is_iret(insn));
        assert(!f->emu.ss_shadow || (f->emu.seg_written & (1u << 2)));
        return true;
    case MSHV_EMU_FAULT:
        /*
         * an exception the instruction raises: #DE, #GP, #AC(0), or a
         * segment load's #TS, #NP or #SS, with a selector's index for a
         * code
         */
        assert(f->emu.fault_vector == 0 || f->emu.fault_vector == 10 ||
               f->emu.fault_vector == 11 ||
               f->emu.fault_vector == 12 || f->emu.fault_vector == 13 ||
               f->emu.fault_vector == 17);
        assert(!(f->emu.fault_code & ~0xfffcu));
        /* fall through */
    case MSHV_EMU_UNSUPPORTED:
    case MSHV_EMU_STOPPED:
        assert(f->emu.rip == rip);
        return false;
    }
    g_assert_not_reached();
}

void fuzz_standalone(unsigned runs, size_t max_len,
                     void (*shape)(uint8_t *buf, size_t len, GRand *rand))
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(0x6d736876);
    g_autofree uint8_t *buf = g_malloc(max_len);
    unsigned i;
    size_t j, len;

    for (i = 0; i < runs; i++) {
        for (j = 0; j < max_len; j++) {
            buf[j] = g_rand_int(rand);
        }
        len = 8 + g_rand_int_range(rand, 0, max_len - 8);
        if (shape) {
            shape(buf, len, rand);
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
}
