/*
 * libFuzzer target for the MSHV accelerator's instruction executor
 * (target/i386/mshv/mshv-emu*.c): any bytes a guest could put at the
 * intercepted RIP, in any mode, with any register values.  The executor
 * must never crash, read or write outside what the memory callback gives
 * it, or move RIP anywhere but past the instruction.
 *
 * Input: byte 0 = mode and alignment checking, bytes 1-16 = instruction,
 * the rest seed the registers.  "make fuzz" builds it with clang's
 * libFuzzer and runs it; built with MSHV_FUZZ_STANDALONE it is a
 * deterministic test of its own (random inputs from a fixed seed) in
 * "make check".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-fuzz.h"

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
    FuzzEmu f;
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
    fuzz_emu_init(&f, modes[m], 0x1000);
    /* byte 0's upper bits: CPL, CR0.AM, RFLAGS.AC (alignment checking) */
    f.emu.cpl = (data[0] >> 4) & 3;
    f.emu.cr0_am = data[0] & 0x40;
    f.emu.rflags |= data[0] & 0x80 ? 0x40000 : 0;
    if (size > 17) {
        memcpy(f.emu.gpr, data + 17, MIN(size - 17, sizeof(f.emu.gpr)));
    }
    fuzz_done += fuzz_emu_exec(&f, &insn, ops);
    return 0;
}

#ifdef MSHV_FUZZ_STANDALONE
/* Half the time, a common MMIO opcode with random operands. */
static void fuzz_emu_shape(uint8_t *buf, size_t len, GRand *rand)
{
    static const uint8_t opcodes[] = {
        0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0x01, 0x03, 0x09, 0x21,
        0x29, 0x31, 0x39, 0x85, 0x87, 0xa4, 0xa5, 0xaa, 0xab, 0xac,
        0xf6, 0xf7, 0xfe, 0xff, 0x80, 0x81, 0x83,
    };

    if (g_rand_boolean(rand)) {
        buf[1] = opcodes[g_rand_int_range(rand, 0, sizeof(opcodes))];
    }
}

int main(int argc, char **argv)
{
    unsigned runs = argc > 1 ? atoi(argv[1]) : 2000000;

    fuzz_standalone(runs, 64, fuzz_emu_shape);
    printf("%u inputs, %u executed to completion\n", runs, fuzz_done);
    if (fuzz_done < runs / 4) {
        fprintf(stderr, "mshv-emu-fuzz: too few inputs executed: the "
                "executor refuses what it should run\n");
        return 1;
    }
    return 0;
}
#endif
