/*
 * MSHV accelerator, x86: the instruction executor's arithmetic, logic,
 * bit and conditional instructions with a memory operand
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "mshv-emu-int.h"

MshvEmuResult mshv_emu_exec_alu(MshvEmu *e, const ZydisDecodedInstruction *insn,
                                const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    uint64_t a, b = 0, r, cf = e->rflags & FL_CF;
    uint32_t f;
    bool store = true;

    TRY(mshv_emu_op_read(e, insn, &ops[0], &a));
    if (insn->operand_count_visible > 1) {
        TRY(mshv_emu_op_read(e, insn, &ops[1], &b));
        b = sign_extend(b, ops[1].size) & width_mask(bits);
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_ADD:
        r = a + b;
        mshv_emu_set_flags(e, FL_ARITH, flags_add(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_ADC:
        r = a + b + cf;
        mshv_emu_set_flags(e, FL_ARITH, flags_add(a, b, cf, bits));
        break;
    case ZYDIS_MNEMONIC_SUB:
        r = a - b;
        mshv_emu_set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_SBB:
        r = a - b - cf;
        mshv_emu_set_flags(e, FL_ARITH, flags_sub(a, b, cf, bits));
        break;
    case ZYDIS_MNEMONIC_CMP:
        r = a;
        store = false;
        mshv_emu_set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
        break;
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_TEST:
        r = a & b;
        store = insn->mnemonic == ZYDIS_MNEMONIC_AND;
        mshv_emu_set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_OR:
        r = a | b;
        mshv_emu_set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_XOR:
        r = a ^ b;
        mshv_emu_set_flags(e, FL_ARITH, flags_result(r, bits));
        break;
    case ZYDIS_MNEMONIC_INC:
        r = a + 1;
        f = flags_add(a, 1, 0, bits);
        mshv_emu_set_flags(e, FL_ARITH & ~FL_CF, f);
        break;
    case ZYDIS_MNEMONIC_DEC:
        r = a - 1;
        f = flags_sub(a, 1, 0, bits);
        mshv_emu_set_flags(e, FL_ARITH & ~FL_CF, f);
        break;
    case ZYDIS_MNEMONIC_NEG:
        r = -a;
        f = flags_sub(0, a, 0, bits);
        mshv_emu_set_flags(e, FL_ARITH, f);
        break;
    case ZYDIS_MNEMONIC_NOT:
        r = ~a;
        break;
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    if (store) {
        TRY(mshv_emu_op_write(e, insn, &ops[0], r & width_mask(bits)));
    }
    return MSHV_EMU_DONE;
}

MshvEmuResult mshv_emu_exec_bt(MshvEmu *e, const ZydisDecodedInstruction *insn,
                               const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    ZydisDecodedOperand dst = ops[0];
    uint64_t a, off;
    bool bit;

    TRY(mshv_emu_op_read(e, insn, &ops[1], &off));
    if (ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        dst.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        /* A register offset reaches beyond the addressed operand. */
        int64_t soff = sign_extend(off, ops[1].size);

        dst.mem.disp.has_displacement = true;
        dst.mem.disp.value += (soff >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) *
                              (int64_t)(bits / 8);
        off = soff & (bits - 1);
    } else {
        off &= bits - 1;
    }
    TRY(mshv_emu_op_read(e, insn, &dst, &a));
    bit = a >> off & 1;
    mshv_emu_set_flags(e, FL_CF, bit ? FL_CF : 0);
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BT:
        return MSHV_EMU_DONE;
    case ZYDIS_MNEMONIC_BTS:
        a |= 1ULL << off;
        break;
    case ZYDIS_MNEMONIC_BTR:
        a &= ~(1ULL << off);
        break;
    default:
        a ^= 1ULL << off;
        break;
    }
    TRY(mshv_emu_op_write(e, insn, &dst, a));
    return MSHV_EMU_DONE;
}

/* Whether condition @cc (the low nibble of a Jcc, SETcc or CMOVcc) holds. */
bool mshv_emu_cond_holds(uint64_t fl, unsigned cc)
{
    bool sf_ne_of = !(fl & FL_SF) != !(fl & FL_OF);
    bool r;

    switch (cc >> 1) {
    case 0:
        r = fl & FL_OF;
        break;
    case 1:
        r = fl & FL_CF;
        break;
    case 2:
        r = fl & FL_ZF;
        break;
    case 3:
        r = fl & (FL_CF | FL_ZF);
        break;
    case 4:
        r = fl & FL_SF;
        break;
    case 5:
        r = fl & FL_PF;
        break;
    case 6:
        r = sf_ne_of;
        break;
    default:
        r = (fl & FL_ZF) || sf_ne_of;
        break;
    }
    return r ^ (cc & 1);
}

/*
 * An instruction that reads its memory operand and computes into a
 * register (or, for SETcc and MOVBE's store, writes one): CMOVcc, SETcc,
 * BSF, BSR, POPCNT, MOVBE and two- and three-operand IMUL.  Flags as the
 * SDM defines them; the ones it leaves undefined stay as they were.
 */
MshvEmuResult mshv_emu_exec_compute(MshvEmu *e,
                                    const ZydisDecodedInstruction *insn,
                                    const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size, cc = insn->opcode & 0xf;
    uint64_t a, b, v;
    MshvEmuResult r;

    if (insn->opcode_map == ZYDIS_OPCODE_MAP_0F &&
        (insn->opcode & 0xf0) == 0x90) {
        /* SETcc */
        return status(mshv_emu_op_write(e, insn, &ops[0],
                                        mshv_emu_cond_holds(e->rflags, cc)));
    }
    r = status(mshv_emu_op_read(e, insn, &ops[1], &a));
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    a &= width_mask(ops[1].size);
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BSF:
    case ZYDIS_MNEMONIC_BSR:
        /* a zero source leaves the destination as it was */
        mshv_emu_set_flags(e, FL_ZF, a ? 0 : FL_ZF);
        if (!a) {
            return MSHV_EMU_DONE;
        }
        v = insn->mnemonic == ZYDIS_MNEMONIC_BSF ? ctz64(a) : 63 - clz64(a);
        break;
    case ZYDIS_MNEMONIC_POPCNT:
        mshv_emu_set_flags(e, FL_ARITH, a ? 0 : FL_ZF);
        v = ctpop64(a);
        break;
    case ZYDIS_MNEMONIC_MOVBE:
        v = bits == 16 ? bswap16(a) : bits == 32 ? bswap32(a) : bswap64(a);
        break;
    case ZYDIS_MNEMONIC_IMUL: {
        __int128 p;

        /* r, r/m: times the destination; r, r/m, imm: times the imm */
        if (insn->operand_count_visible == 3) {
            b = ops[2].imm.value.s;
        } else if (mshv_emu_reg_read(e, ops[0].reg.value, &b)) {
            b = sign_extend(b, bits);
        } else {
            return MSHV_EMU_UNSUPPORTED;
        }
        p = (__int128)(int64_t)sign_extend(a, bits) * (int64_t)b;
        v = (uint64_t)p & width_mask(bits);
        mshv_emu_set_flags(e, FL_CF | FL_OF,
                           p != (__int128)(int64_t)sign_extend(v, bits) ?
                           FL_CF | FL_OF : 0);
        break;
    }
    default:
        /* CMOVcc: the source is read whatever the condition */
        if (!mshv_emu_cond_holds(e->rflags, cc)) {
            /* (a 32-bit destination is zero-extended all the same) */
            if (bits == 32 && mshv_emu_reg_read(e, ops[0].reg.value, &v)) {
                mshv_emu_reg_write(e, ops[0].reg.value, v);
            }
            return MSHV_EMU_DONE;
        }
        v = a;
        break;
    }
    return status(mshv_emu_op_write(e, insn, &ops[0], v & width_mask(bits)));
}

/* The instructions mshv_emu_exec_compute() runs. */
bool mshv_emu_is_compute(const ZydisDecodedInstruction *insn)
{
    /* (VEX's AVX-512 mask moves share the 0F 4x and 9x opcodes) */
    if (insn->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
        insn->opcode_map == ZYDIS_OPCODE_MAP_0F &&
        ((insn->opcode & 0xf0) == 0x40 || (insn->opcode & 0xf0) == 0x90)) {
        return true;    /* CMOVcc, SETcc */
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_BSF:
    case ZYDIS_MNEMONIC_BSR:
    case ZYDIS_MNEMONIC_POPCNT:
    case ZYDIS_MNEMONIC_MOVBE:
        return true;
    case ZYDIS_MNEMONIC_IMUL:
        /* the forms with an explicit destination, not RDX:RAX */
        return insn->operand_count_visible >= 2;
    default:
        return false;
    }
}
