/*
 * MSHV accelerator, x86: the instruction executor's moves between vector
 * registers and memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/*
 * SSE moves between an XMM register and memory (guests copy framebuffers
 * and device windows with them).  Loads of 32 or 64 bits zero the rest of
 * the register.  Alignment is not checked: MOVDQA and friends on a
 * misaligned MMIO address move the data instead of raising #GP.
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

MshvEmuResult mshv_emu_exec_vector(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops)
{
    const ZydisDecodedOperand *reg, *mem;
    uint8_t value[16] = { 0 };
    unsigned bytes;
    bool load;
    uint64_t la;

    if (insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY ||
        insn->operand_count_visible != 2 || !e->ops->xmm) {
        return MSHV_EMU_UNSUPPORTED;
    }
    load = ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY;
    reg = load ? &ops[0] : &ops[1];
    mem = load ? &ops[1] : &ops[0];
    bytes = mem->size / 8;
    if (reg->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        reg->reg.value < ZYDIS_REGISTER_XMM0 ||
        reg->reg.value > ZYDIS_REGISTER_XMM15 ||
        mem->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        (bytes != 4 && bytes != 8 && bytes != 16) ||
        !mshv_emu_mem_address(e, insn, mem, &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (load) {
        if (e->ops->mem(e, la, value, bytes, false) < 0 ||
            e->ops->xmm(e, reg->reg.value - ZYDIS_REGISTER_XMM0, value,
                        true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    } else {
        if (e->ops->xmm(e, reg->reg.value - ZYDIS_REGISTER_XMM0, value,
                        false) < 0 ||
            e->ops->mem(e, la, value, bytes, true) < 0) {
            return MSHV_EMU_STOPPED;
        }
    }
    return MSHV_EMU_DONE;
}
