/*
 * libFuzzer target for the MSHV accelerator's instruction executor
 * (target/i386/mshv/mshv-emu.c): any bytes a guest could put at the
 * intercepted RIP, in any mode, with any register values.  The executor
 * must never crash, read or write outside what the memory callback gives
 * it, or move RIP anywhere but past the instruction.
 *
 * Input: byte 0 = mode, bytes 1-16 = instruction, the rest seed the
 * registers.  "make fuzz" builds it with clang's libFuzzer and runs it;
 * built with MSHV_FUZZ_STANDALONE it is a deterministic test of its own
 * (random inputs from a fixed seed) in "make check".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../../target/i386/mshv/mshv-emu.h"
#include "mshv-fuzz.h"

typedef struct FuzzEmu {
    MshvEmu emu;
    uint8_t page[4096];
    uint8_t xmm[16][16];
    unsigned accesses;
} FuzzEmu;

static int fuzz_mem(MshvEmu *emu, uint64_t la, void *buf, unsigned size,
                    bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);
    unsigned off = la & 0xfff;

    assert(size >= 1 && size <= 16);
    /* A bound on runaway REP loops: the memory "ends". */
    if (++f->accesses > 4096 || off + size > sizeof(f->page)) {
        return -1;
    }
    if (write) {
        memcpy(f->page + off, buf, size);
    } else {
        memcpy(buf, f->page + off, size);
    }
    return 0;
}

static uint64_t fuzz_seg_base(MshvEmu *emu, ZydisRegister seg)
{
    return 0x10000 * (seg - ZYDIS_REGISTER_ES);
}

static int fuzz_xmm(MshvEmu *emu, unsigned index, uint8_t value[16],
                    bool write)
{
    FuzzEmu *f = container_of(emu, FuzzEmu, emu);

    assert(index < 16);
    if (write) {
        memcpy(f->xmm[index], value, 16);
    } else {
        memcpy(value, f->xmm[index], 16);
    }
    return 0;
}

static const MshvEmuOps fuzz_ops = {
    .mem = fuzz_mem,
    .seg_base = fuzz_seg_base,
    .xmm = fuzz_xmm,
};

/* Inputs the executor completed: a fuzz run must exercise it, not #UD. */
static unsigned fuzz_done;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ZydisMachineMode modes[] = {
        ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_MACHINE_MODE_LEGACY_32,
        ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_MACHINE_MODE_REAL_16,
        ZYDIS_MACHINE_MODE_LONG_COMPAT_32,
    };
    static const ZydisStackWidth widths[] = {
        ZYDIS_STACK_WIDTH_64, ZYDIS_STACK_WIDTH_32, ZYDIS_STACK_WIDTH_16,
        ZYDIS_STACK_WIDTH_16, ZYDIS_STACK_WIDTH_32,
    };
    ZydisDecoder dec;
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    FuzzEmu f = { .emu.ops = &fuzz_ops };
    unsigned m, len;

    if (size < 2) {
        return 0;
    }
    m = data[0] % ARRAY_SIZE(modes);
    len = MIN(size - 1, 16);
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, modes[m], widths[m])) ||
        !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, data + 1, len, &insn,
                                              ops))) {
        return 0;
    }
    f.emu.mode = modes[m];
    f.emu.rip = 0x1000;
    f.emu.rflags = 0x2;
    if (size > 17) {
        memcpy(f.emu.gpr, data + 17, MIN(size - 17, sizeof(f.emu.gpr)));
    }
    switch (mshv_emu_exec(&f.emu, &insn, ops)) {
    case MSHV_EMU_DONE:
        /*
         * Past the instruction, at a branch's target, or on it with REP
         * iterations left.
         */
        assert(f.emu.rip == 0x1000 + insn.length ||
               insn.meta.category == ZYDIS_CATEGORY_CALL ||
               insn.meta.category == ZYDIS_CATEGORY_RET ||
               insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
               (f.emu.rip == 0x1000 &&
                (insn.attributes & (ZYDIS_ATTRIB_HAS_REP |
                                    ZYDIS_ATTRIB_HAS_REPE |
                                    ZYDIS_ATTRIB_HAS_REPNE))));
        fuzz_done++;
        break;
    case MSHV_EMU_FAULT:
        /* an exception the instruction raises: #DE or #GP(0) */
        assert(f.emu.fault_vector == 0 || f.emu.fault_vector == 13);
        /* fall through */
    case MSHV_EMU_UNSUPPORTED:
    case MSHV_EMU_STOPPED:
        assert(f.emu.rip == 0x1000);
        break;
    }
    return 0;
}

#ifdef MSHV_FUZZ_STANDALONE
int main(int argc, char **argv)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(0x6d736876);
    uint8_t buf[64];
    unsigned i, j, runs = argc > 1 ? atoi(argv[1]) : 2000000;

    for (i = 0; i < runs; i++) {
        for (j = 0; j < sizeof(buf); j++) {
            buf[j] = g_rand_int(rand);
        }
        /* Half the time, a common MMIO opcode with random operands. */
        if (i & 1) {
            static const uint8_t opcodes[] = {
                0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0x01, 0x03, 0x09, 0x21,
                0x29, 0x31, 0x39, 0x85, 0x87, 0xa4, 0xa5, 0xaa, 0xab, 0xac,
                0xf6, 0xf7, 0xfe, 0xff, 0x80, 0x81, 0x83,
            };
            buf[1] = opcodes[g_rand_int_range(rand, 0, sizeof(opcodes))];
        }
        LLVMFuzzerTestOneInput(buf, 8 + g_rand_int_range(rand, 0, 56));
    }
    printf("%u inputs, %u executed to completion\n", runs, fuzz_done);
    if (fuzz_done < runs / 4) {
        fprintf(stderr, "mshv-emu-fuzz: too few inputs executed: the "
                "executor refuses what it should run\n");
        return 1;
    }
    return 0;
}
#endif
