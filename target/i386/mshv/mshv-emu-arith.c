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
    case ZYDIS_MNEMONIC_LZCNT:
    case ZYDIS_MNEMONIC_TZCNT:
        /* CF: a zero source; ZF: a zero result; the others undefined */
        v = !a ? bits : insn->mnemonic == ZYDIS_MNEMONIC_TZCNT ? ctz64(a) :
            clz64(a) - (64 - bits);
        mshv_emu_set_flags(e, FL_CF | FL_ZF,
                           (a ? 0 : FL_CF) | (v ? 0 : FL_ZF));
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
    case ZYDIS_MNEMONIC_LZCNT:
    case ZYDIS_MNEMONIC_TZCNT:
    case ZYDIS_MNEMONIC_MOVBE:
        return true;
    case ZYDIS_MNEMONIC_IMUL:
        /* the forms with an explicit destination, not RDX:RAX */
        return insn->operand_count_visible >= 2;
    default:
        return false;
    }
}

MshvEmuResult mshv_emu_exec_muldiv(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    bool is_signed = insn->mnemonic == ZYDIS_MNEMONIC_IMUL ||
                     insn->mnemonic == ZYDIS_MNEMONIC_IDIV;
    ZydisRegister lo_reg = accumulator(bits);
    ZydisRegister hi_reg = bits == 16 ? ZYDIS_REGISTER_DX :
                           bits == 32 ? ZYDIS_REGISTER_EDX :
                           ZYDIS_REGISTER_RDX;
    uint64_t src, lo, hi = 0, m = width_mask(bits);
    unsigned __int128 u, q, r;
    __int128 s;

    TRY(mshv_emu_op_read(e, insn, &ops[0], &src));
    if (bits == 8) {
        /* AX = AL * r/m8; AL, AH = AX / r/m8 */
        mshv_emu_reg_read(e, ZYDIS_REGISTER_AX, &lo);
        hi = lo >> 8;
        lo &= 0xff;
    } else {
        mshv_emu_reg_read(e, lo_reg, &lo);
        mshv_emu_reg_read(e, hi_reg, &hi);
    }
    src &= m;
    if (insn->mnemonic == ZYDIS_MNEMONIC_MUL ||
        insn->mnemonic == ZYDIS_MNEMONIC_IMUL) {
        bool overflow;

        if (is_signed) {
            s = (__int128)(int64_t)sign_extend(lo, bits) *
                (int64_t)sign_extend(src, bits);
            u = (unsigned __int128)s;
            overflow = s != (__int128)(int64_t)sign_extend((uint64_t)u & m,
                                                           bits);
        } else {
            u = (unsigned __int128)lo * src;
            overflow = (u >> bits) != 0;
        }
        lo = (uint64_t)u & m;
        hi = (uint64_t)(u >> bits) & m;
        /* CF and OF: the upper half matters; SF, ZF, AF, PF undefined */
        mshv_emu_set_flags(e, FL_CF | FL_OF, overflow ? FL_CF | FL_OF : 0);
    } else {
        /* the dividend is twice the width: (hi << bits) | lo */
        u = ((unsigned __int128)hi << bits) | lo;
        if (!src) {
            return mshv_emu_fault(e, EMU_EXCP_DE, false, 0);
        }
        if (is_signed) {
            __int128 n = bits == 64 ? (__int128)u :
                         (__int128)(int64_t)sign_extend((uint64_t)u, 2 * bits);
            __int128 d = (int64_t)sign_extend(src, bits);
            __int128 sq, sr;

            /* (INT_MIN / -1 overflows in C too) */
            if (d == -1) {
                if (n < -(__int128)(m >> 1)) {
                    return mshv_emu_fault(e, EMU_EXCP_DE, false, 0);
                }
                sq = -n;
                sr = 0;
            } else {
                sq = n / d;
                sr = n % d;
            }
            if (sq > (__int128)(m >> 1) || sq < -(__int128)(m >> 1) - 1) {
                return mshv_emu_fault(e, EMU_EXCP_DE, false, 0);
            }
            q = (unsigned __int128)sq;
            r = (unsigned __int128)sr;
        } else {
            q = u / src;
            r = u % src;
            if (q > m) {
                return mshv_emu_fault(e, EMU_EXCP_DE, false, 0);
            }
        }
        lo = (uint64_t)q & m;
        hi = (uint64_t)r & m;
        /* all six arithmetic flags undefined: left as they were */
    }
    if (bits == 8) {
        mshv_emu_reg_write(e, ZYDIS_REGISTER_AX, hi << 8 | lo);
    } else {
        mshv_emu_reg_write(e, lo_reg, lo);
        mshv_emu_reg_write(e, hi_reg, hi);
    }
    return MSHV_EMU_DONE;
}

/* RCL or RCR of A through CF by COUNT, one bit at a time (COUNT < 64) */
static uint64_t rotate_carry(uint64_t a, unsigned bits, unsigned count,
                             bool left, bool *cf)
{
    uint64_t msb = 1ULL << (bits - 1);

    while (count--) {
        bool out = left ? a & msb : a & 1;

        a = left ? (a << 1 | *cf) & width_mask(bits) :
                   a >> 1 | (*cf ? msb : 0);
        *cf = out;
    }
    return a;
}

/*
 * Flags as the SDM defines them; where it leaves one undefined (OF after
 * a count other than 1, AF, CF past the width), it stays as it was.
 */
MshvEmuResult mshv_emu_exec_shift(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size, count;
    bool double_shift = insn->mnemonic == ZYDIS_MNEMONIC_SHLD ||
                        insn->mnemonic == ZYDIS_MNEMONIC_SHRD;
    const ZydisDecodedOperand *count_op = &ops[double_shift ? 2 : 1];
    uint64_t a, b = 0, c, r, msb = 1ULL << (bits - 1);
    bool cf = e->rflags & FL_CF;
    uint32_t fl = 0, mask;

    TRY(mshv_emu_op_read(e, insn, &ops[0], &a));
    if (double_shift) {
        TRY(mshv_emu_op_read(e, insn, &ops[1], &b));
    }
    if (insn->operand_count_visible < (double_shift ? 3 : 2)) {
        c = 1;          /* (Zydis may leave the implicit 1 hidden) */
    } else {
        TRY(mshv_emu_op_read(e, insn, count_op, &c));
    }
    count = c & (bits == 64 ? 0x3f : 0x1f);
    if (!count) {
        return MSHV_EMU_DONE;   /* no write, no flags */
    }
    a &= width_mask(bits);
    mask = FL_CF | (count == 1 ? FL_OF : 0);
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_SHL:
        r = count < 64 ? a << count : 0;
        cf = count <= bits && (a >> (bits - count) & 1);
        if (count > bits) {
            mask &= ~FL_CF;
        }
        fl = flags_result(r, bits) | (!!(r & msb) != cf ? FL_OF : 0);
        mask |= FL_SF | FL_ZF | FL_PF;
        break;
    case ZYDIS_MNEMONIC_SHR:
        r = a >> count;
        cf = count <= bits && (a >> (count - 1) & 1);
        if (count > bits) {
            mask &= ~FL_CF;
        }
        fl = flags_result(r, bits) | (a & msb ? FL_OF : 0);
        mask |= FL_SF | FL_ZF | FL_PF;
        break;
    case ZYDIS_MNEMONIC_SAR: {
        int64_t sa = sign_extend(a, bits);

        r = (uint64_t)(sa >> MIN(count, 63));
        cf = (uint64_t)(sa >> MIN(count - 1, 63)) & 1;
        fl = flags_result(r, bits);     /* OF: 0 */
        mask |= FL_SF | FL_ZF | FL_PF;
        break;
    }
    case ZYDIS_MNEMONIC_ROL:
        c = count % bits;
        r = c ? a << c | a >> (bits - c) : a;
        cf = r & 1;
        fl = !!(r & msb) != cf ? FL_OF : 0;
        break;
    case ZYDIS_MNEMONIC_ROR:
        c = count % bits;
        r = c ? a >> c | a << (bits - c) : a;
        cf = r & msb;
        fl = !!(r & msb) != !!(r & msb >> 1) ? FL_OF : 0;
        break;
    case ZYDIS_MNEMONIC_RCL:
        r = rotate_carry(a, bits, bits < 32 ? count % (bits + 1) : count,
                         true, &cf);
        fl = !!(r & msb) != cf ? FL_OF : 0;
        break;
    case ZYDIS_MNEMONIC_RCR:
        fl = !!(a & msb) != cf ? FL_OF : 0;
        r = rotate_carry(a, bits, bits < 32 ? count % (bits + 1) : count,
                         false, &cf);
        break;
    case ZYDIS_MNEMONIC_SHLD:
    case ZYDIS_MNEMONIC_SHRD:
        if (count > bits) {
            /* a 16-bit operand shifted by 17-31: the result is undefined */
            return MSHV_EMU_UNSUPPORTED;
        }
        b &= width_mask(bits);
        if (insn->mnemonic == ZYDIS_MNEMONIC_SHLD) {
            r = count == bits ? b : a << count | b >> (bits - count);
            cf = a >> (bits - count) & 1;
        } else {
            r = count == bits ? b : a >> count | b << (bits - count);
            cf = a >> (count - 1) & 1;
        }
        r &= width_mask(bits);
        fl = flags_result(r, bits) | (!!(r & msb) != !!(a & msb) ? FL_OF : 0);
        mask |= FL_SF | FL_ZF | FL_PF;
        break;
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    /* the flags after the write: a write that faults leaves them */
    TRY(mshv_emu_op_write(e, insn, &ops[0], r & width_mask(bits)));
    mshv_emu_set_flags(e, mask, fl | (cf ? FL_CF : 0));
    return MSHV_EMU_DONE;
}
