/*
 * MSHV accelerator, x86: the instruction executor's moves of part of a
 * vector register, legacy SSE and VEX: MOVLPS, MOVLPD, MOVHPS, MOVHPD
 * (the other half kept, or for VEX taken from the second source),
 * MOVDDUP, the broadcasts (VBROADCASTSS/SD/F128/I128, VPBROADCASTB/W/D/Q;
 * their EVEX forms and AVX-512's tuple broadcasts in mshv-emu-evex.c),
 * PINSRB/W/D/Q and PEXTRB/W/D/Q, EXTRACTPS.
 *
 * A legacy form leaves the register's bits above 127 alone; a VEX or EVEX
 * form zeroes them above its width, as every VEX and EVEX write does.  The
 * EVEX forms reach registers 16-31 and (MOVDDUP) 512 bits; EVEX MOVDDUP,
 * the one of them with a mask, merges or zeroes the quadwords its mask
 * leaves out (its memory is read whole: no fault suppression).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

typedef enum LaneOp {
    LANE_LOW,           /* bits 63:0 */
    LANE_HIGH,          /* bits 127:64 */
    LANE_DUP,           /* each 128-bit lane's low quadword, twice */
    LANE_BROADCAST,     /* the element, everywhere */
    LANE_INSERT,        /* element imm8 */
    LANE_EXTRACT,       /* element imm8, to memory */
} LaneOp;

/* Which move MNEMONIC is, and its element's size in bytes (0: none). */
static unsigned lane_op(ZydisMnemonic m, LaneOp *op)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVLPS: case ZYDIS_MNEMONIC_MOVLPD:
    case ZYDIS_MNEMONIC_VMOVLPS: case ZYDIS_MNEMONIC_VMOVLPD:
        *op = LANE_LOW;
        return 8;
    case ZYDIS_MNEMONIC_MOVHPS: case ZYDIS_MNEMONIC_MOVHPD:
    case ZYDIS_MNEMONIC_VMOVHPS: case ZYDIS_MNEMONIC_VMOVHPD:
        *op = LANE_HIGH;
        return 8;
    case ZYDIS_MNEMONIC_MOVDDUP: case ZYDIS_MNEMONIC_VMOVDDUP:
        *op = LANE_DUP;
        return 8;
    case ZYDIS_MNEMONIC_VPBROADCASTB:
        *op = LANE_BROADCAST;
        return 1;
    case ZYDIS_MNEMONIC_VPBROADCASTW:
        *op = LANE_BROADCAST;
        return 2;
    case ZYDIS_MNEMONIC_VBROADCASTSS: case ZYDIS_MNEMONIC_VPBROADCASTD:
        *op = LANE_BROADCAST;
        return 4;
    case ZYDIS_MNEMONIC_VBROADCASTSD: case ZYDIS_MNEMONIC_VPBROADCASTQ:
        *op = LANE_BROADCAST;
        return 8;
    case ZYDIS_MNEMONIC_VBROADCASTF32X2: case ZYDIS_MNEMONIC_VBROADCASTI32X2:
        *op = LANE_BROADCAST;
        return 8;
    case ZYDIS_MNEMONIC_VBROADCASTF128: case ZYDIS_MNEMONIC_VBROADCASTI128:
    case ZYDIS_MNEMONIC_VBROADCASTF32X4: case ZYDIS_MNEMONIC_VBROADCASTI32X4:
    case ZYDIS_MNEMONIC_VBROADCASTF64X2: case ZYDIS_MNEMONIC_VBROADCASTI64X2:
        *op = LANE_BROADCAST;
        return 16;
    case ZYDIS_MNEMONIC_VBROADCASTF32X8: case ZYDIS_MNEMONIC_VBROADCASTI32X8:
    case ZYDIS_MNEMONIC_VBROADCASTF64X4: case ZYDIS_MNEMONIC_VBROADCASTI64X4:
        *op = LANE_BROADCAST;
        return 32;
    case ZYDIS_MNEMONIC_PINSRB: case ZYDIS_MNEMONIC_VPINSRB:
        *op = LANE_INSERT;
        return 1;
    case ZYDIS_MNEMONIC_PINSRW: case ZYDIS_MNEMONIC_VPINSRW:
        *op = LANE_INSERT;
        return 2;
    case ZYDIS_MNEMONIC_PINSRD: case ZYDIS_MNEMONIC_VPINSRD:
        *op = LANE_INSERT;
        return 4;
    case ZYDIS_MNEMONIC_PINSRQ: case ZYDIS_MNEMONIC_VPINSRQ:
        *op = LANE_INSERT;
        return 8;
    case ZYDIS_MNEMONIC_PEXTRB: case ZYDIS_MNEMONIC_VPEXTRB:
        *op = LANE_EXTRACT;
        return 1;
    case ZYDIS_MNEMONIC_PEXTRW: case ZYDIS_MNEMONIC_VPEXTRW:
        *op = LANE_EXTRACT;
        return 2;
    case ZYDIS_MNEMONIC_PEXTRD: case ZYDIS_MNEMONIC_VPEXTRD:
    case ZYDIS_MNEMONIC_EXTRACTPS: case ZYDIS_MNEMONIC_VEXTRACTPS:
        *op = LANE_EXTRACT;
        return 4;
    case ZYDIS_MNEMONIC_PEXTRQ: case ZYDIS_MNEMONIC_VPEXTRQ:
        *op = LANE_EXTRACT;
        return 8;
    default:
        return 0;
    }
}

bool mshv_emu_is_lane_move(ZydisMnemonic m)
{
    LaneOp op;

    return lane_op(m, &op) != 0;
}

/*
 * An XMM, YMM or (EVEX) ZMM register operand: its index, and width in
 * bytes (0: not one the encoding reaches).
 */
static unsigned lane_reg(const ZydisDecodedOperand *op, bool evex,
                         unsigned *index)
{
    unsigned width;

    if (op->type != ZYDIS_OPERAND_TYPE_REGISTER) {
        return 0;
    }
    if (evex) {
        return mshv_emu_evex_reg(op->reg.value, index);
    }
    width = mshv_emu_vector_reg(op->reg.value, index);
    return width >= 16 ? width : 0;         /* (not an MMX register) */
}

/* The low 128 bits of register @index */
static int lane_read(MshvEmu *e, bool evex, unsigned index, uint8_t v[64])
{
    return evex ? mshv_emu_evex_reg_read(e, index, v, 16) :
                  e->ops->xmm(e, index, v, false);
}

/*
 * Write @width bytes of register @index: a legacy form only its low 128
 * bits, a VEX or EVEX one zeroing the rest.
 */
static int lane_write(MshvEmu *e, ZydisInstructionEncoding enc,
                      unsigned index, uint8_t v[64], unsigned width)
{
    switch (enc) {
    case ZYDIS_INSTRUCTION_ENCODING_EVEX:
        return mshv_emu_evex_reg_write(e, index, v, width);
    case ZYDIS_INSTRUCTION_ENCODING_VEX:
        return e->ops->xmm(e, index, v, true) < 0 ||
               e->ops->ymm_high(e, index, v + 16, true) < 0 ? -1 : 0;
    default:
        return e->ops->xmm(e, index, v, true);
    }
}

/* Memory through the callback: elements of up to 8 bytes alignment-checked */
static int lane_mem(MshvEmu *e, uint64_t la, uint8_t *buf, unsigned bytes,
                    bool write)
{
    uint64_t v = 0;

    if (bytes > 8) {
        return e->ops->mem(e, la, buf, bytes, write);
    }
    memcpy(&v, buf, bytes);
    if (mshv_emu_mem_rw(e, la, &v, bytes * 8, write) < 0) {
        return -1;
    }
    memcpy(buf, &v, bytes);
    return 0;
}

static MshvEmuResult lane_store(MshvEmu *e, const ZydisDecodedOperand *ops,
                                LaneOp op, unsigned elem, uint64_t la,
                                unsigned nops, bool evex)
{
    uint8_t v[64];
    unsigned index, off = 0;

    if (lane_reg(&ops[1], evex, &index) != 16) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (op == LANE_HIGH) {
        off = 8;
    } else if (op == LANE_EXTRACT) {
        if (nops < 3 || ops[2].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            return MSHV_EMU_UNSUPPORTED;
        }
        off = (ops[2].imm.value.u & (16 / elem - 1)) * elem;
    } else if (op != LANE_LOW) {
        return MSHV_EMU_UNSUPPORTED;        /* no such store */
    }
    if (lane_read(e, evex, index, v) < 0 ||
        lane_mem(e, la, v + off, elem, true) < 0) {
        return MSHV_EMU_STOPPED;
    }
    return MSHV_EMU_DONE;
}

MshvEmuResult mshv_emu_exec_lane(MshvEmu *e,
                                 const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops)
{
    bool evex = insn->encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX;
    bool vex = insn->encoding == ZYDIS_INSTRUCTION_ENCODING_VEX || evex;
    unsigned n = insn->operand_count_visible, elem, width, index, src;
    unsigned mi, i, bytes, off;
    uint8_t v[64] = { 0 }, m[64];
    uint64_t la;
    LaneOp op;

    elem = lane_op(insn->mnemonic, &op);
    if (elem && op == LANE_BROADCAST && evex) {
        return mshv_emu_exec_evex_broadcast(e, insn, ops, elem);
    }
    if (!elem || !e->ops->xmm || (vex && !e->ops->ymm_high) ||
        (evex && (!e->ops->zmm ||
                  (insn->avx.mask.mode != ZYDIS_MASK_MODE_DISABLED &&
                   op != LANE_DUP))) ||
        (!vex && insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    for (mi = 0; mi < n && ops[mi].type != ZYDIS_OPERAND_TYPE_MEMORY; mi++) {
        /* the memory operand */
    }
    if (mi == n || !mshv_emu_mem_address(e, insn, &ops[mi], &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (mi == 0) {
        return lane_store(e, ops, op, elem, la, n, evex);
    }
    width = lane_reg(&ops[0], evex, &index);
    if (!width || (width > 16 && !vex) || (width > 16 && op != LANE_DUP &&
                                           op != LANE_BROADCAST)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    /* the register the rest comes from: VEX's second source, or itself */
    src = index;
    if (vex && (op == LANE_LOW || op == LANE_HIGH || op == LANE_INSERT) &&
        mi == 2 && lane_reg(&ops[1], evex, &src) != 16) {
        return MSHV_EMU_UNSUPPORTED;
    }
    /* a wide MOVDDUP reads all of it; its odd quadwords are not used */
    bytes = op == LANE_DUP && width > 16 ? width : elem;
    if (op == LANE_BROADCAST && elem == 16 && width != 32) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if ((op == LANE_LOW || op == LANE_HIGH || op == LANE_INSERT) &&
        lane_read(e, evex, src, v) < 0) {
        return MSHV_EMU_STOPPED;
    }
    if (lane_mem(e, la, m, bytes, false) < 0) {
        return MSHV_EMU_STOPPED;
    }
    switch (op) {
    case LANE_LOW:
        memcpy(v, m, 8);
        break;
    case LANE_HIGH:
        memcpy(v + 8, m, 8);
        break;
    case LANE_DUP:
        for (off = 0; off < width; off += 16) {
            memcpy(v + off, m + off, 8);
            memcpy(v + off + 8, m + off, 8);
        }
        break;
    case LANE_BROADCAST:
        for (off = 0; off < width; off += elem) {
            memcpy(v + off, m, elem);
        }
        break;
    case LANE_INSERT:
        for (i = mi + 1; i < n && ops[i].type != ZYDIS_OPERAND_TYPE_IMMEDIATE;
             i++) {
            /* the immediate */
        }
        if (i == n) {
            return MSHV_EMU_UNSUPPORTED;
        }
        off = (ops[i].imm.value.u & (16 / elem - 1)) * elem;
        memcpy(v + off, m, elem);
        break;
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    if (evex && op == LANE_DUP) {
        return mshv_emu_evex_masked_write(e, insn, index, v, width, 8);
    }
    return lane_write(e, insn->encoding, index, v, width) < 0 ?
           MSHV_EMU_STOPPED : MSHV_EMU_DONE;
}
