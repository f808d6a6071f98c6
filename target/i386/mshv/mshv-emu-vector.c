/*
 * MSHV accelerator, x86: the instruction executor's moves between vector
 * registers and memory (SSE, AVX)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/*
 * SSE and AVX moves between an XMM or YMM register and memory (guests
 * copy framebuffers and device windows with them: glibc's memcpy).
 * Loads of 32 or 64 bits zero the rest of the register.  The forms that
 * require alignment (MOVDQA, MOVAPS, the non-temporal ones...) raise
 * #GP(0) on an address not a multiple of their size, as the processor
 * does.  MMX registers: MOVD, MOVQ and MOVNTQ.  EVEX: mshv-emu-evex.c.
 */
bool mshv_emu_has_xmm_operand(const ZydisDecodedInstruction *insn,
                              const ZydisDecodedOperand *ops)
{
    int i;

    for (i = 0; i < insn->operand_count_visible; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ops[i].reg.value >= ZYDIS_REGISTER_XMM0 &&
            ops[i].reg.value <= ZYDIS_REGISTER_XMM31) {
            return true;
        }
    }
    return false;
}

unsigned mshv_emu_vector_reg(ZydisRegister r, unsigned *index)
{
    if (r >= ZYDIS_REGISTER_MM0 && r <= ZYDIS_REGISTER_MM7) {
        *index = r - ZYDIS_REGISTER_MM0;
        return 8;
    }
    if (r >= ZYDIS_REGISTER_XMM0 && r <= ZYDIS_REGISTER_XMM15) {
        *index = r - ZYDIS_REGISTER_XMM0;
        return 16;
    }
    if (r >= ZYDIS_REGISTER_YMM0 && r <= ZYDIS_REGISTER_YMM15) {
        *index = r - ZYDIS_REGISTER_YMM0;
        return 32;
    }
    return 0;
}

/*
 * An MMX register and memory: a load zero-extends a doubleword; a store
 * puts the x87 unit in MMX state once the memory took the value.
 */
static MshvEmuResult vector_mmx(MshvEmu *e, unsigned index, uint64_t la,
                                unsigned bytes, bool load)
{
    uint64_t v = 0;

    if (!e->ops->mmx) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (load) {
        if (mshv_emu_mem_rw(e, la, &v, bytes * 8, false) < 0 ||
            e->ops->mmx(e, index, &v, true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    } else if (e->ops->mmx(e, index, &v, false) < 0 ||
               mshv_emu_mem_rw(e, la, &v, bytes * 8, true) < 0 ||
               e->ops->mmx(e, index, NULL, true) < 0) {
        return MSHV_EMU_STOPPED;
    }
    return MSHV_EMU_DONE;
}

bool mshv_emu_vector_needs_alignment(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVDQA: case ZYDIS_MNEMONIC_VMOVDQA:
    case ZYDIS_MNEMONIC_VMOVDQA32: case ZYDIS_MNEMONIC_VMOVDQA64:
    case ZYDIS_MNEMONIC_MOVAPS: case ZYDIS_MNEMONIC_VMOVAPS:
    case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_VMOVAPD:
    case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_VMOVNTDQ:
    case ZYDIS_MNEMONIC_MOVNTDQA: case ZYDIS_MNEMONIC_VMOVNTDQA:
    case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_VMOVNTPS:
    case ZYDIS_MNEMONIC_MOVNTPD: case ZYDIS_MNEMONIC_VMOVNTPD:
        return true;
    default:
        return false;
    }
}

MshvEmuResult mshv_emu_exec_vector(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *reg, *mem;
    bool vex = insn->encoding == ZYDIS_INSTRUCTION_ENCODING_VEX;
    uint8_t value[32] = { 0 };
    unsigned bytes, width, index;
    bool load;
    uint64_t la;

    if (insn->encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX) {
        return mshv_emu_exec_evex(e, insn, ops);
    }
    if ((!vex && insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) ||
        insn->operand_count_visible != 2 || !e->ops->xmm ||
        (vex && !e->ops->ymm_high)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    load = ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY;
    reg = load ? &ops[0] : &ops[1];
    mem = load ? &ops[1] : &ops[0];
    bytes = mem->size / 8;
    width = reg->type == ZYDIS_OPERAND_TYPE_REGISTER ?
            mshv_emu_vector_reg(reg->reg.value, &index) : 0;
    if (!width || (width == 32 && !vex) ||
        mem->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        (bytes != 4 && bytes != 8 && bytes != width) ||
        !mshv_emu_mem_address(e, insn, mem, &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (width == 8) {
        return vector_mmx(e, index, la, bytes, load);
    }
    if (mshv_emu_vector_needs_alignment(insn->mnemonic) &&
        (la & (bytes - 1))) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    if (load) {
        /*
         * The rest of the register is zeroed: to bit 127 by the legacy
         * forms, to the top of the register by VEX's (and its upper
         * half goes in the XSAVE state, which no register carries).
         */
        if (e->ops->mem(e, la, value, bytes, false) < 0 ||
            e->ops->xmm(e, index, value, true) < 0 ||
            (vex && e->ops->ymm_high(e, index, value + 16, true) < 0)) {
            return MSHV_EMU_STOPPED;
        }
    } else {
        if (e->ops->xmm(e, index, value, false) < 0 ||
            (width == 32 && e->ops->ymm_high(e, index, value + 16,
                                             false) < 0) ||
            e->ops->mem(e, la, value, bytes, true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    }
    return MSHV_EMU_DONE;
}
