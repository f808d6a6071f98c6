/*
 * MSHV accelerator, x86: the instruction executor's AVX-512 (EVEX) moves
 * between vector registers and memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/*
 * glibc picks its EVEX memcpy and memset on processors with AVX-512 (they
 * use YMM16-31 and, for the tails, masked stores), so a guest copying to
 * or filling a device window through them stops here: VMOVDQU8/16/32/64,
 * VMOVDQA32/64, VMOVUPS/UPD/APS/APD and the non-temporal moves, of 128,
 * 256 or 512 bits, with any of the 32 registers, unmasked, merge-masked
 * or (loads) zero-masked.  Only the elements the mask selects are
 * accessed -- a device sees nothing of the others, as the processor
 * suppresses them -- and a store checks every one before it writes any.
 * A load zeroes the register above the vector length.  The broadcasts
 * (VBROADCASTSS/SD, VPBROADCASTB/W/D/Q, VBROADCASTF/I32X2/X4/X8 and
 * F/I64X2/X4) read their element or tuple once and fill the register,
 * masked the same ways.  Not here: scalar and other partial-width forms
 * (#UD).
 */

/* XMM, YMM or ZMM register @r: its index (0-31) and width (0: none). */
unsigned mshv_emu_evex_reg(ZydisRegister r, unsigned *index)
{
    static const ZydisRegister first[] = {
        ZYDIS_REGISTER_XMM0, ZYDIS_REGISTER_YMM0, ZYDIS_REGISTER_ZMM0,
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(first); i++) {
        if (r >= first[i] && r <= first[i] + 31) {
            *index = r - first[i];
            return 16 << i;
        }
    }
    return 0;
}

/* The first @bytes of register @index (0-31), whichever callbacks hold it. */
int mshv_emu_evex_reg_read(MshvEmu *e, unsigned index, uint8_t value[64],
                           unsigned bytes)
{
    uint8_t upper[64];

    if (index >= 16) {
        if (e->ops->zmm(e, index, upper, false) < 0) {
            return -1;
        }
        memcpy(value, upper, bytes);
        return 0;
    }
    if (e->ops->xmm(e, index, value, false) < 0 ||
        (bytes > 16 && e->ops->ymm_high(e, index, value + 16, false) < 0) ||
        (bytes > 32 && e->ops->zmm(e, index, value + 32, false) < 0)) {
        return -1;
    }
    return 0;
}

/* Write the first @bytes of register @index and zero the rest of it. */
int mshv_emu_evex_reg_write(MshvEmu *e, unsigned index, uint8_t value[64],
                            unsigned bytes)
{
    memset(value + bytes, 0, 64 - bytes);
    if (index >= 16) {
        return e->ops->zmm(e, index, value, true);
    }
    /* ymm_high zeroes bits 511:256; zmm then writes them when wanted */
    if (e->ops->xmm(e, index, value, true) < 0 ||
        e->ops->ymm_high(e, index, value + 16, true) < 0 ||
        (bytes > 32 && e->ops->zmm(e, index, value + 32, true) < 0)) {
        return -1;
    }
    return 0;
}

/*
 * The elements @mask selects of @count of @esize bytes at @la, to or from
 * @value (NULL: a store's check only): 0, or -1 when one stopped.
 */
static int evex_elements(MshvEmu *e, uint64_t la, uint8_t *value,
                         unsigned esize, unsigned count, uint64_t mask,
                         bool write)
{
    unsigned i;

    for (i = 0; i < count; i++) {
        if ((mask >> i & 1) &&
            e->ops->mem(e, la + i * esize, value ? value + i * esize : NULL,
                        esize, write) < 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * The elements (of @count) the instruction's mask selects: *@mask.  A
 * store may not zero-mask (#UD, as the processor's).
 */
static MshvEmuResult evex_mask(MshvEmu *e, const ZydisDecodedInstruction *insn,
                               bool load, unsigned count, uint64_t *mask)
{
    *mask = ~0ULL;
    switch (insn->avx.mask.mode) {
    case ZYDIS_MASK_MODE_DISABLED:
        break;
    case ZYDIS_MASK_MODE_ZEROING:
        if (!load) {
            return MSHV_EMU_UNSUPPORTED;
        }
        /* fall through */
    case ZYDIS_MASK_MODE_MERGING:
        if (!e->ops->kreg) {
            return MSHV_EMU_UNSUPPORTED;
        }
        if (e->ops->kreg(e, insn->avx.mask.reg - ZYDIS_REGISTER_K0,
                         mask) < 0) {
            return MSHV_EMU_STOPPED;
        }
        break;
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    if (count < 64) {
        *mask &= (1ULL << count) - 1;
    }
    return MSHV_EMU_DONE;
}

static bool evex_all(uint64_t mask, unsigned count)
{
    return count == 64 ? mask == ~0ULL : mask == (1ULL << count) - 1;
}

MshvEmuResult mshv_emu_exec_evex_broadcast(MshvEmu *e,
                                           const ZydisDecodedInstruction *insn,
                                           const ZydisDecodedOperand *ops,
                                           unsigned chunk)
{
    unsigned bytes = insn->avx.vector_length / 8, esize, count, index, i;
    uint8_t fill[64], m[32] = { 0 };
    uint64_t mask, la;
    MshvEmuResult r;

    if (!e->ops->xmm || !e->ops->ymm_high || !e->ops->zmm ||
        insn->operand_count_visible != 3 ||
        ops[2].type != ZYDIS_OPERAND_TYPE_MEMORY ||
        mshv_emu_evex_reg(ops[0].reg.value, &index) != bytes ||
        !ops[0].element_size || chunk > sizeof(m) || chunk > bytes ||
        !mshv_emu_mem_address(e, insn, &ops[2], &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    esize = ops[0].element_size / 8;
    count = bytes / esize;
    r = evex_mask(e, insn, true, count, &mask);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    /* (no element selected: nothing read, as with the masked moves) */
    if (mask && e->ops->mem(e, la, m, chunk, false) < 0) {
        return MSHV_EMU_STOPPED;
    }
    for (i = 0; i < bytes; i += chunk) {
        memcpy(fill + i, m, chunk);
    }
    return mshv_emu_evex_masked_write(e, insn, index, fill, bytes, esize);
}

MshvEmuResult mshv_emu_evex_masked_write(MshvEmu *e,
                                         const ZydisDecodedInstruction *insn,
                                         unsigned index, const uint8_t *fill,
                                         unsigned bytes, unsigned esize)
{
    unsigned count = bytes / esize, i;
    uint8_t value[64];
    uint64_t mask;
    MshvEmuResult r;

    r = evex_mask(e, insn, true, count, &mask);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    if (evex_all(mask, count)) {
        memcpy(value, fill, bytes);
    } else {
        if (insn->avx.mask.mode == ZYDIS_MASK_MODE_ZEROING) {
            memset(value, 0, sizeof(value));
        } else if (mshv_emu_evex_reg_read(e, index, value, bytes) < 0) {
            return MSHV_EMU_STOPPED;
        }
        for (i = 0; i < count; i++) {
            if (mask >> i & 1) {
                memcpy(value + i * esize, fill + i * esize, esize);
            }
        }
    }
    return mshv_emu_evex_reg_write(e, index, value, bytes) < 0 ?
           MSHV_EMU_STOPPED : MSHV_EMU_DONE;
}

MshvEmuResult mshv_emu_exec_evex(MshvEmu *e,
                                 const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *reg, *mem;
    unsigned bytes = insn->avx.vector_length / 8, esize, count, index;
    uint8_t value[64];
    uint64_t mask, la;
    MshvEmuResult r;
    bool load, all;

    if (!e->ops->xmm || !e->ops->ymm_high || !e->ops->zmm ||
        insn->operand_count_visible != 3 ||
        ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
        insn->avx.broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID) {
        return MSHV_EMU_UNSUPPORTED;
    }
    load = ops[2].type == ZYDIS_OPERAND_TYPE_MEMORY;
    reg = load ? &ops[0] : &ops[2];
    mem = load ? &ops[2] : &ops[0];
    if (reg->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        mem->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        mshv_emu_evex_reg(reg->reg.value, &index) != bytes ||
        mem->size != bytes * 8 || !mem->element_size ||
        !mshv_emu_mem_address(e, insn, mem, &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    esize = mem->element_size / 8;
    count = bytes / esize;
    r = evex_mask(e, insn, load, count, &mask);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    all = evex_all(mask, count);
    if (mshv_emu_vector_needs_alignment(insn->mnemonic) &&
        (la & (bytes - 1))) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }

    if (load) {
        if (all) {
            if (e->ops->mem(e, la, value, bytes, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
        } else {
            if (insn->avx.mask.mode == ZYDIS_MASK_MODE_ZEROING) {
                memset(value, 0, sizeof(value));
            } else if (mshv_emu_evex_reg_read(e, index, value, bytes) < 0) {
                return MSHV_EMU_STOPPED;
            }
            if (evex_elements(e, la, value, esize, count, mask, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
        }
        return mshv_emu_evex_reg_write(e, index, value, bytes) < 0 ?
               MSHV_EMU_STOPPED : MSHV_EMU_DONE;
    }

    if (mshv_emu_evex_reg_read(e, index, value, bytes) < 0) {
        return MSHV_EMU_STOPPED;
    }
    if (all) {
        return e->ops->mem(e, la, value, bytes, true) < 0 ?
               MSHV_EMU_STOPPED : MSHV_EMU_DONE;
    }
    /* every selected element reachable before the first is written */
    return evex_elements(e, la, NULL, esize, count, mask, true) < 0 ||
           evex_elements(e, la, value, esize, count, mask, true) < 0 ?
           MSHV_EMU_STOPPED : MSHV_EMU_DONE;
}
