/*
 * MSHV accelerator, x86: the instruction executor's stack operations and
 * near control transfers, for a stack or a branch target in MMIO: PUSH,
 * POP, PUSHF, CALL, RET, JMP, LEAVE and ENTER.
 *
 * Nothing is committed until every access went through: a fault leaves
 * RSP and RIP as they were.  Far transfers are in mshv-emu-far.c; POP of
 * a segment register loads it through mshv-emu-segment.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

#define CR4_LA57        (1ULL << 12)
#define RFLAGS_RF_VM    0x30000ULL      /* PUSHF stores them as 0 */

bool mshv_emu_canonical(MshvEmu *e, uint64_t addr)
{
    uint64_t cr4 = 0;

    if ((uint64_t)((int64_t)(addr << 16) >> 16) == addr) {
        return true;
    }
    if ((uint64_t)((int64_t)(addr << 7) >> 7) != addr) {
        return false;
    }
    /* canonical with 57 bits only: is 5-level paging on? */
    return e->ops->sysreg && e->ops->sysreg(e, ZYDIS_REGISTER_CR4, &cr4) == 0 &&
           (cr4 & CR4_LA57);
}

/* Whether a near branch may go to @target (else #GP(0)). */
static bool canonical(MshvEmu *e, uint64_t target)
{
    return e->mode != ZYDIS_MACHINE_MODE_LONG_64 ||
           mshv_emu_canonical(e, target);
}

/* Store @v (@bits wide) below *@sp (the stack pointer, moved). */
static OpStatus stack_push(MshvEmu *e, unsigned sw, uint64_t *sp, uint64_t v,
                           unsigned bits)
{
    *sp = (*sp - bits / 8) & width_mask(sw);
    return mshv_emu_mem_rw(e, mshv_emu_linear(e, ZYDIS_REGISTER_SS, *sp, sw),
                           &v, bits, true) < 0 ? OP_STOP : OP_OK;
}

/* Load @v (@bits wide) from *@sp (the stack pointer, moved). */
static OpStatus stack_pop(MshvEmu *e, unsigned sw, uint64_t *sp, uint64_t *v,
                          unsigned bits)
{
    if (mshv_emu_mem_rw(e, mshv_emu_linear(e, ZYDIS_REGISTER_SS, *sp, sw),
                        v, bits, false) < 0) {
        return OP_STOP;
    }
    *sp = (*sp + bits / 8) & width_mask(sw);
    return OP_OK;
}

static void set_sp(MshvEmu *e, unsigned sw, uint64_t sp)
{
    e->gpr[GPR_RSP] = addr_update(e->gpr[GPR_RSP], sp, sw);
    e->gpr_written |= 1u << GPR_RSP;
}

/* A near branch to @target: #GP(0) if it is not canonical. */
static MshvEmuResult branch(MshvEmu *e, uint64_t target, unsigned bits,
                            bool *branched)
{
    if (!canonical(e, target)) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    e->rip = target & width_mask(bits);
    *branched = true;
    return MSHV_EMU_DONE;
}

static bool is_sreg(const ZydisDecodedOperand *op)
{
    return op->type == ZYDIS_OPERAND_TYPE_REGISTER &&
           op->reg.value >= ZYDIS_REGISTER_ES &&
           op->reg.value <= ZYDIS_REGISTER_GS;
}

MshvEmuResult mshv_emu_exec_stack(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops,
                                  bool *branched)
{
    unsigned sw = mshv_emu_stack_width(e), bits = insn->operand_width;
    uint64_t sp = e->gpr[GPR_RSP] & width_mask(sw), old_sp = e->gpr[GPR_RSP];
    uint64_t v, target, next = e->rip + insn->length;

    MshvEmuSeg seg;
    MshvEmuResult r;

    if (!sw) {
        return MSHV_EMU_STOPPED;
    }
    if (insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
        return mshv_emu_exec_far(e, insn, ops, sw, branched);
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_PUSH:
        if (is_sreg(&ops[0])) {
            /* a selector, zero-extended */
            if (e->ops->seg(e, ops[0].reg.value, &seg) < 0) {
                return MSHV_EMU_STOPPED;
            }
            v = seg.selector;
        } else {
            /* (PUSH RSP stores the value from before the push) */
            TRY(mshv_emu_op_read(e, insn, &ops[0], &v));
            v = sign_extend(v, ops[0].size);
        }
        TRY(stack_push(e, sw, &sp, v, bits));
        break;
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHFQ:
        TRY(stack_push(e, sw, &sp, e->rflags & ~RFLAGS_RF_VM, bits));
        break;
    case ZYDIS_MNEMONIC_POP: {
        OpStatus st;

        TRY(stack_pop(e, sw, &sp, &v, bits));
        if (is_sreg(&ops[0])) {
            r = mshv_emu_load_sreg(e, ops[0].reg.value, v);
            if (r != MSHV_EMU_DONE) {
                return r;
            }
            e->ss_shadow = ops[0].reg.value == ZYDIS_REGISTER_SS;
            break;
        }
        /* a memory destination is addressed with the new RSP */
        set_sp(e, sw, sp);
        st = mshv_emu_op_write(e, insn, &ops[0], v);
        if (st != OP_OK) {
            e->gpr[GPR_RSP] = old_sp;
            return status(st);
        }
        /* (POP RSP: the value popped wins) */
        return MSHV_EMU_DONE;
    }
    case ZYDIS_MNEMONIC_CALL:
        if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            target = next + ops[0].imm.value.s;
        } else {
            TRY(mshv_emu_op_read(e, insn, &ops[0], &target));
        }
        if (!canonical(e, target)) {
            return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
        }
        TRY(stack_push(e, sw, &sp, next, bits));
        set_sp(e, sw, sp);
        return branch(e, target, bits, branched);
    case ZYDIS_MNEMONIC_JMP:
        if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            return MSHV_EMU_UNSUPPORTED;    /* no memory: never here */
        }
        TRY(mshv_emu_op_read(e, insn, &ops[0], &target));
        return branch(e, target, bits, branched);
    case ZYDIS_MNEMONIC_RET:
        TRY(stack_pop(e, sw, &sp, &target, bits));
        if (!canonical(e, target)) {
            return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
        }
        if (insn->operand_count_visible &&
            ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            sp = (sp + ops[0].imm.value.u) & width_mask(sw);
        }
        set_sp(e, sw, sp);
        return branch(e, target, bits, branched);
    case ZYDIS_MNEMONIC_LEAVE:
        /* RSP = RBP, then POP RBP */
        sp = e->gpr[GPR_RBP] & width_mask(sw);
        TRY(stack_pop(e, sw, &sp, &v, bits));
        mshv_emu_reg_write(e, bits == 16 ? ZYDIS_REGISTER_BP :
                              bits == 32 ? ZYDIS_REGISTER_EBP :
                              ZYDIS_REGISTER_RBP, v);
        break;
    case ZYDIS_MNEMONIC_ENTER: {
        uint64_t frame;

        /* nesting levels copy frame pointers: not done */
        if (ops[1].imm.value.u & 0x1f) {
            return MSHV_EMU_UNSUPPORTED;
        }
        TRY(stack_push(e, sw, &sp, e->gpr[GPR_RBP] & width_mask(bits),
                       bits));
        frame = sp;
        mshv_emu_reg_write(e, bits == 16 ? ZYDIS_REGISTER_BP :
                              bits == 32 ? ZYDIS_REGISTER_EBP :
                              ZYDIS_REGISTER_RBP, frame);
        sp = (sp - ops[0].imm.value.u) & width_mask(sw);
        break;
    }
    default:
        return MSHV_EMU_UNSUPPORTED;
    }
    set_sp(e, sw, sp);
    return MSHV_EMU_DONE;
}
