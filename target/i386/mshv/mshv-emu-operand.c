/*
 * MSHV accelerator, x86: the instruction executor's registers, memory
 * operands and flags
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

/* ---- Registers ----------------------------------------------------------- */

/* GPR index and bit position of a Zydis general purpose register. */
static bool gpr_of(ZydisRegister reg, int *index, unsigned *shift)
{
    *shift = 0;
    if (reg >= ZYDIS_REGISTER_AL && reg <= ZYDIS_REGISTER_BL) {
        *index = reg - ZYDIS_REGISTER_AL;
    } else if (reg >= ZYDIS_REGISTER_AH && reg <= ZYDIS_REGISTER_BH) {
        *index = reg - ZYDIS_REGISTER_AH;
        *shift = 8;
    } else if (reg >= ZYDIS_REGISTER_SPL && reg <= ZYDIS_REGISTER_R15B) {
        *index = 4 + reg - ZYDIS_REGISTER_SPL;
    } else if (reg >= ZYDIS_REGISTER_AX && reg <= ZYDIS_REGISTER_R15W) {
        *index = reg - ZYDIS_REGISTER_AX;
    } else if (reg >= ZYDIS_REGISTER_EAX && reg <= ZYDIS_REGISTER_R15D) {
        *index = reg - ZYDIS_REGISTER_EAX;
    } else if (reg >= ZYDIS_REGISTER_RAX && reg <= ZYDIS_REGISTER_R15) {
        *index = reg - ZYDIS_REGISTER_RAX;
    } else {
        return false;
    }
    return true;
}

static unsigned reg_width(MshvEmu *e, ZydisRegister reg)
{
    return ZydisRegisterGetWidth(e->mode, reg);
}

bool mshv_emu_reg_read(MshvEmu *e, ZydisRegister reg, uint64_t *v)
{
    unsigned shift;
    int i;

    if (!gpr_of(reg, &i, &shift)) {
        return false;
    }
    *v = (e->gpr[i] >> shift) & width_mask(reg_width(e, reg));
    return true;
}

bool mshv_emu_reg_write(MshvEmu *e, ZydisRegister reg, uint64_t v)
{
    unsigned width = reg_width(e, reg), shift;
    uint64_t mask;
    int i;

    if (!gpr_of(reg, &i, &shift)) {
        return false;
    }
    if (width == 32) {
        /* 32-bit destinations zero bits 63:32. */
        e->gpr[i] = (uint32_t)v;
    } else {
        mask = width_mask(width) << shift;
        e->gpr[i] = (e->gpr[i] & ~mask) | ((v << shift) & mask);
    }
    e->gpr_written |= 1u << i;
    return true;
}

/* ---- Memory operands ----------------------------------------------------- */

static uint64_t mshv_emu_seg_base(MshvEmu *e, ZydisRegister seg)
{
    MshvEmuSeg s;

    /* In 64-bit mode only FS and GS have a base. */
    if (e->mode == ZYDIS_MACHINE_MODE_LONG_64 &&
        seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS) {
        return 0;
    }
    if (seg < ZYDIS_REGISTER_ES || seg > ZYDIS_REGISTER_GS) {
        seg = ZYDIS_REGISTER_DS;
    }
    /* (a failed read has stopped the VM already) */
    return e->ops->seg(e, seg, &s) < 0 ? 0 : s.base;
}

uint64_t mshv_emu_linear(MshvEmu *e, ZydisRegister seg, uint64_t offset,
                         unsigned addr_width)
{
    uint64_t la = mshv_emu_seg_base(e, seg) + (offset & width_mask(addr_width));

    return e->mode == ZYDIS_MACHINE_MODE_LONG_64 ? la : (uint32_t)la;
}

bool mshv_emu_mem_address(MshvEmu *e, const ZydisDecodedInstruction *insn,
                          const ZydisDecodedOperand *op, uint64_t *la)
{
    uint64_t off = op->mem.disp.has_displacement ? op->mem.disp.value : 0;
    uint64_t v;

    if (op->mem.base == ZYDIS_REGISTER_RIP ||
        op->mem.base == ZYDIS_REGISTER_EIP) {
        off += e->rip + insn->length;
    } else if (op->mem.base != ZYDIS_REGISTER_NONE) {
        if (!mshv_emu_reg_read(e, op->mem.base, &v)) {
            return false;
        }
        off += v;
    }
    if (op->mem.index != ZYDIS_REGISTER_NONE) {
        if (!mshv_emu_reg_read(e, op->mem.index, &v)) {
            return false;
        }
        off += v * (op->mem.scale ? op->mem.scale : 1);
    }
    *la = mshv_emu_linear(e, op->mem.segment, off, insn->address_width);
    return true;
}

bool mshv_emu_alignment_fault(MshvEmu *e, uint64_t la, unsigned bytes)
{
    if (e->cpl == 3 && e->cr0_am && (e->rflags & FL_AC) &&
        (la & (bytes - 1))) {
        mshv_emu_fault(e, EMU_EXCP_AC, true, 0);
        return true;
    }
    return false;
}

int mshv_emu_mem_rw(MshvEmu *e, uint64_t la, uint64_t *v, unsigned bits,
                    bool write)
{
    uint64_t buf = write ? *v : 0;

    if (mshv_emu_alignment_fault(e, la, bits / 8) ||
        e->ops->mem(e, la, &buf, bits / 8, write) < 0) {
        return -1;
    }
    if (!write) {
        *v = buf & width_mask(bits);
    }
    return 0;
}

/* ---- Operands ------------------------------------------------------------ */

OpStatus mshv_emu_op_read(MshvEmu *e, const ZydisDecodedInstruction *insn,
                          const ZydisDecodedOperand *op, uint64_t *v)
{
    uint64_t la;

    switch (op->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return mshv_emu_reg_read(e, op->reg.value, v) ? OP_OK : OP_BAD;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        *v = op->imm.value.u & width_mask(op->size);
        return OP_OK;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (op->size > 64 || !mshv_emu_mem_address(e, insn, op, &la)) {
            return OP_BAD;
        }
        return mshv_emu_mem_rw(e, la, v, op->size, false) < 0 ? OP_STOP : OP_OK;
    default:
        return OP_BAD;
    }
}

OpStatus mshv_emu_op_write(MshvEmu *e, const ZydisDecodedInstruction *insn,
                           const ZydisDecodedOperand *op, uint64_t v)
{
    uint64_t la;

    switch (op->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        return mshv_emu_reg_write(e, op->reg.value, v) ? OP_OK : OP_BAD;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        if (op->size > 64 || !mshv_emu_mem_address(e, insn, op, &la)) {
            return OP_BAD;
        }
        return mshv_emu_mem_rw(e, la, &v, op->size, true) < 0 ? OP_STOP : OP_OK;
    default:
        return OP_BAD;
    }
}

/* ---- Flags --------------------------------------------------------------- */

void mshv_emu_set_flags(MshvEmu *e, uint32_t mask, uint32_t flags)
{
    e->rflags = (e->rflags & ~(uint64_t)mask) | (flags & mask);
}
