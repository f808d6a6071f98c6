/*
 * MSHV accelerator, x86: the instruction executor for intercepted memory
 * accesses and string port I/O: which family runs an instruction
 * (mshv-emu-arith.c, -string.c, -vector.c), and the moves and exchanges
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/* SMSW: CR0's low 16 bits (UMIP would have faulted before any access) */
static MshvEmuResult mshv_emu_smsw(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *dst)
{
    uint64_t v;

    if (!e->ops->sysreg) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (e->ops->sysreg(e, ZYDIS_REGISTER_CR0, &v) < 0) {
        return MSHV_EMU_STOPPED;
    }
    return status(mshv_emu_op_write(e, insn, dst, v & 0xffff));
}

/* MOV m16, Sreg: the selector */
static MshvEmuResult mshv_emu_store_sreg(MshvEmu *e,
                                         const ZydisDecodedInstruction *insn,
                                         const ZydisDecodedOperand *dst,
                                         ZydisRegister reg)
{
    MshvEmuSeg seg;

    if (e->ops->seg(e, reg, &seg) < 0) {
        return MSHV_EMU_STOPPED;
    }
    return status(mshv_emu_op_write(e, insn, dst, seg.selector));
}

static bool is_sreg(const ZydisDecodedOperand *op)
{
    return op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
           op->reg.value >= ZYDIS_REGISTER_ES &&
           op->reg.value <= ZYDIS_REGISTER_GS;
}

MshvEmuResult mshv_emu_exec(MshvEmu *e, const ZydisDecodedInstruction *insn,
                            const ZydisDecodedOperand *ops)
{
    MshvEmuResult r = MSHV_EMU_UNSUPPORTED;
    bool more = false, branched = false;
    uint64_t a, b, acc;

    e->fault_vector = EMU_NO_FAULT;
    e->seg_written = 0;
    e->ss_shadow = false;
    e->nmi_unblocked = false;

    if (insn->attributes & ZYDIS_ATTRIB_HAS_LOCK &&
        insn->mnemonic != ZYDIS_MNEMONIC_XCHG &&
        insn->mnemonic != ZYDIS_MNEMONIC_XADD &&
        insn->mnemonic != ZYDIS_MNEMONIC_CMPXCHG &&
        insn->mnemonic != ZYDIS_MNEMONIC_ADD &&
        insn->mnemonic != ZYDIS_MNEMONIC_ADC &&
        insn->mnemonic != ZYDIS_MNEMONIC_SBB &&
        insn->mnemonic != ZYDIS_MNEMONIC_NEG &&
        insn->mnemonic != ZYDIS_MNEMONIC_NOT &&
        insn->mnemonic != ZYDIS_MNEMONIC_OR &&
        insn->mnemonic != ZYDIS_MNEMONIC_AND &&
        insn->mnemonic != ZYDIS_MNEMONIC_XOR &&
        insn->mnemonic != ZYDIS_MNEMONIC_SUB &&
        insn->mnemonic != ZYDIS_MNEMONIC_INC &&
        insn->mnemonic != ZYDIS_MNEMONIC_DEC &&
        !(insn->mnemonic >= ZYDIS_MNEMONIC_BT &&
          insn->mnemonic <= ZYDIS_MNEMONIC_BTS)) {
        return MSHV_EMU_UNSUPPORTED;
    }

    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_MOVZX:
        r = status(mshv_emu_op_read(e, insn, &ops[1], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_write(e, insn, &ops[0], a));
        }
        break;
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_MOVNTI:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD:
        /* (an immediate narrower than its destination is sign-extended) */
        if (insn->operand_count_visible != 2) {
            break;
        }
        if (is_sreg(&ops[1])) {
            r = mshv_emu_store_sreg(e, insn, &ops[0], ops[1].reg.value);
            break;
        }
        if (is_sreg(&ops[0])) {
            r = mshv_emu_exec_segment(e, insn, ops);
            break;
        }
        r = status(mshv_emu_op_read(e, insn, &ops[1], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_write(e, insn, &ops[0],
                                         sign_extend(a, ops[1].size) &
                                         width_mask(ops[0].size)));
        }
        break;
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_ADC:
    case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT:
        r = mshv_emu_exec_alu(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_SMSW:
        r = mshv_emu_smsw(e, insn, &ops[0]);
        break;
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES:
    case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS: case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_LLDT:
        r = mshv_emu_exec_segment(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_MUL: case ZYDIS_MNEMONIC_DIV:
    case ZYDIS_MNEMONIC_IDIV:
        r = mshv_emu_exec_muldiv(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_IMUL:
        /* the one-operand form; the others compute into a register */
        r = insn->operand_count_visible == 1 ?
            mshv_emu_exec_muldiv(e, insn, ops) :
            mshv_emu_exec_compute(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_SHL: case ZYDIS_MNEMONIC_SAR:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR:
    case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD:
        r = mshv_emu_exec_shift(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_PUSH: case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_PUSHF: case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ: case ZYDIS_MNEMONIC_CALL:
    case ZYDIS_MNEMONIC_RET: case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_LEAVE: case ZYDIS_MNEMONIC_ENTER:
        r = mshv_emu_exec_stack(e, insn, ops, &branched);
        break;
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ: {
        unsigned sw = mshv_emu_stack_width(e);

        r = sw ? mshv_emu_exec_far(e, insn, ops, sw, &branched) :
                 MSHV_EMU_STOPPED;
        break;
    }
    case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_BTS:
    case ZYDIS_MNEMONIC_BTR: case ZYDIS_MNEMONIC_BTC:
        r = mshv_emu_exec_bt(e, insn, ops);
        break;
    case ZYDIS_MNEMONIC_XCHG:
        r = status(mshv_emu_op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_read(e, insn, &ops[1], &b));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_write(e, insn, &ops[0], b));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_write(e, insn, &ops[1], a));
        }
        break;
    case ZYDIS_MNEMONIC_XADD:
        r = status(mshv_emu_op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_read(e, insn, &ops[1], &b));
        }
        if (r == MSHV_EMU_DONE) {
            mshv_emu_set_flags(e, FL_ARITH, flags_add(a, b, 0, ops[0].size));
            r = status(mshv_emu_op_write(e, insn, &ops[0],
                                         (a + b) & width_mask(ops[0].size)));
        }
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_write(e, insn, &ops[1], a));
        }
        break;
    case ZYDIS_MNEMONIC_CMPXCHG:
        r = status(mshv_emu_op_read(e, insn, &ops[0], &a));
        if (r == MSHV_EMU_DONE) {
            r = status(mshv_emu_op_read(e, insn, &ops[1], &b));
        }
        if (r != MSHV_EMU_DONE) {
            break;
        }
        mshv_emu_reg_read(e, accumulator(ops[0].size), &acc);
        mshv_emu_set_flags(e, FL_ARITH, flags_sub(acc, a, 0, ops[0].size));
        if (acc == a) {
            r = status(mshv_emu_op_write(e, insn, &ops[0], b));
        } else {
            mshv_emu_reg_write(e, accumulator(ops[0].size), a);
        }
        break;
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
    case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
    case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
    case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
    case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
    case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
        /* MOVSD with an XMM operand is the SSE move, not the string op. */
        if (mshv_emu_has_xmm_operand(insn, ops)) {
            r = mshv_emu_exec_vector(e, insn, ops);
            break;
        }
        r = mshv_emu_exec_string(e, insn, ops, &more);
        break;
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
    case ZYDIS_MNEMONIC_INSD: case ZYDIS_MNEMONIC_OUTSB:
    case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
        if (e->ops->port) {
            r = mshv_emu_exec_string(e, insn, ops, &more);
        }
        break;
    case ZYDIS_MNEMONIC_MOVD: case ZYDIS_MNEMONIC_MOVQ:
    case ZYDIS_MNEMONIC_MOVDQA: case ZYDIS_MNEMONIC_MOVDQU:
    case ZYDIS_MNEMONIC_MOVAPS: case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_MOVNTDQA:
    case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_MOVNTPD:
    case ZYDIS_MNEMONIC_MOVSS: case ZYDIS_MNEMONIC_LDDQU:
    case ZYDIS_MNEMONIC_MOVNTQ:
    case ZYDIS_MNEMONIC_VMOVD: case ZYDIS_MNEMONIC_VMOVQ:
    case ZYDIS_MNEMONIC_VMOVDQA: case ZYDIS_MNEMONIC_VMOVDQU:
    case ZYDIS_MNEMONIC_VMOVAPS: case ZYDIS_MNEMONIC_VMOVUPS:
    case ZYDIS_MNEMONIC_VMOVAPD: case ZYDIS_MNEMONIC_VMOVUPD:
    case ZYDIS_MNEMONIC_VMOVNTDQ: case ZYDIS_MNEMONIC_VMOVNTDQA:
    case ZYDIS_MNEMONIC_VMOVNTPS: case ZYDIS_MNEMONIC_VMOVNTPD:
    case ZYDIS_MNEMONIC_VMOVSS: case ZYDIS_MNEMONIC_VMOVSD:
    case ZYDIS_MNEMONIC_VLDDQU:
    case ZYDIS_MNEMONIC_VMOVDQU8: case ZYDIS_MNEMONIC_VMOVDQU16:
    case ZYDIS_MNEMONIC_VMOVDQU32: case ZYDIS_MNEMONIC_VMOVDQU64:
    case ZYDIS_MNEMONIC_VMOVDQA32: case ZYDIS_MNEMONIC_VMOVDQA64:
        r = mshv_emu_exec_vector(e, insn, ops);
        break;
    default:
        if (mshv_emu_is_lane_move(insn->mnemonic)) {
            r = mshv_emu_exec_lane(e, insn, ops);
        } else if (mshv_emu_is_compute(insn)) {
            r = mshv_emu_exec_compute(e, insn, ops);
        }
        break;
    }
    /* an access that faulted in the executor (#AC) stopped the family */
    if (r == MSHV_EMU_STOPPED && e->fault_vector != EMU_NO_FAULT) {
        r = MSHV_EMU_FAULT;
    }
    if (r == MSHV_EMU_DONE && !more && !branched) {
        e->rip += insn->length;
        if (e->mode != ZYDIS_MACHINE_MODE_LONG_64) {
            e->rip = (uint32_t)e->rip;
        }
    }
    return r;
}
