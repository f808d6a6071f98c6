/*
 * MSHV accelerator, x86: the instruction executor's string instructions
 * (MOVS, STOS, LODS, CMPS, SCAS and port I/O's INS, OUTS), with or
 * without REP
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/*
 * Iterations of a REP string instruction executed per intercept: a guest
 * can ask for 2^64, so a bounded batch runs and the instruction runs
 * again (as hardware may stop between iterations); the vCPU stays
 * responsive to kicks.  (scripts/fuzz makes it small: a fuzz input then
 * runs a short batch, not thousands of accesses, through the same paths.)
 */
#ifndef MSHV_EMU_STRING_BATCH
#define MSHV_EMU_STRING_BATCH   4096
#endif

/* MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, with or without REP. */
MshvEmuResult mshv_emu_exec_string(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops, bool *more)
{
    unsigned aw = insn->address_width, bits = insn->operand_width;
    uint64_t amask = width_mask(aw);
    bool rep = insn->attributes & (ZYDIS_ATTRIB_HAS_REP |
                                   ZYDIS_ATTRIB_HAS_REPE |
                                   ZYDIS_ATTRIB_HAS_REPNE);
    bool repne = insn->attributes & ZYDIS_ATTRIB_HAS_REPNE;
    int64_t step = (e->rflags & FL_DF) ? -(int64_t)(bits / 8) : bits / 8;
    ZydisRegister src_seg = ZYDIS_REGISTER_DS;
    uint16_t port = e->gpr[GPR_RDX];
    uint64_t total, count, a = 0, b;
    int i;

    /*
     * Ports are at most 32 bits wide: REX.W INSD and OUTSD move a
     * doubleword, as the processor ignores the prefix for them.
     */
    if (insn->mnemonic == ZYDIS_MNEMONIC_INSD ||
        insn->mnemonic == ZYDIS_MNEMONIC_OUTSD) {
        bits = 32;
        step = (e->rflags & FL_DF) ? -4 : 4;
    }
    /* String operands are hidden ones: the source's segment may be any. */
    for (i = 0; i < insn->operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (ops[i].mem.base == ZYDIS_REGISTER_RSI ||
             ops[i].mem.base == ZYDIS_REGISTER_ESI ||
             ops[i].mem.base == ZYDIS_REGISTER_SI)) {
            src_seg = ops[i].mem.segment;
        }
    }
    total = rep ? e->gpr[GPR_RCX] & amask : 1;
    /* single-stepping: one iteration, then the trap, as the CPU does */
    count = MIN(total, e->rflags & FL_TF ? 1 : MSHV_EMU_STRING_BATCH);
    *more = total > count;
    while (count) {
        uint64_t si = mshv_emu_linear(e, src_seg, e->gpr[GPR_RSI], aw);
        uint64_t di = mshv_emu_linear(e, ZYDIS_REGISTER_ES, e->gpr[GPR_RDI],
                                      aw);
        bool moves_si = true, moves_di = true, compares = false;

        switch (insn->mnemonic) {
        case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW:
        case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_MOVSQ:
            if (mshv_emu_mem_rw(e, si, &a, bits, false) < 0 ||
                mshv_emu_mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            break;
        case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
        case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
            mshv_emu_reg_read(e, accumulator(bits), &a);
            if (mshv_emu_mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_si = false;
            break;
        case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW:
        case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
            if (mshv_emu_mem_rw(e, si, &a, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            mshv_emu_reg_write(e, accumulator(bits), a);
            moves_di = false;
            break;
        case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW:
        case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_CMPSQ:
            if (mshv_emu_mem_rw(e, si, &a, bits, false) < 0 ||
                mshv_emu_mem_rw(e, di, &b, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            mshv_emu_set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
            compares = true;
            break;
        case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
        case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ:
            mshv_emu_reg_read(e, accumulator(bits), &a);
            if (mshv_emu_mem_rw(e, di, &b, bits, false) < 0) {
                return MSHV_EMU_STOPPED;
            }
            mshv_emu_set_flags(e, FL_ARITH, flags_sub(a, b, 0, bits));
            moves_si = false;
            compares = true;
            break;
        case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW:
        case ZYDIS_MNEMONIC_INSD:
            /* The memory first: a fault leaves the port untouched. */
            if (mshv_emu_alignment_fault(e, di, bits / 8) ||
                e->ops->mem(e, di, NULL, bits / 8, true) < 0 ||
                e->ops->port(e, port, &a, bits / 8, false) < 0 ||
                mshv_emu_mem_rw(e, di, &a, bits, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_si = false;
            break;
        case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW:
        case ZYDIS_MNEMONIC_OUTSD:
            if (mshv_emu_mem_rw(e, si, &a, bits, false) < 0 ||
                e->ops->port(e, port, &a, bits / 8, true) < 0) {
                return MSHV_EMU_STOPPED;
            }
            moves_di = false;
            break;
        default:
            return MSHV_EMU_UNSUPPORTED;
        }
        if (moves_si) {
            e->gpr[GPR_RSI] = addr_update(e->gpr[GPR_RSI],
                                          e->gpr[GPR_RSI] + step, aw);
            e->gpr_written |= 1u << GPR_RSI;
        }
        if (moves_di) {
            e->gpr[GPR_RDI] = addr_update(e->gpr[GPR_RDI],
                                          e->gpr[GPR_RDI] + step, aw);
            e->gpr_written |= 1u << GPR_RDI;
        }
        count--;
        total--;
        if (rep) {
            e->gpr[GPR_RCX] = addr_update(e->gpr[GPR_RCX], total, aw);
            e->gpr_written |= 1u << GPR_RCX;
            if (compares && !!(e->rflags & FL_ZF) == repne) {
                *more = false;
                break;
            }
        }
    }
    e->iterated = *more;
    return MSHV_EMU_DONE;
}
