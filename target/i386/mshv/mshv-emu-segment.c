/*
 * MSHV accelerator, x86: the instruction executor's segment loads, for a
 * selector or far pointer in MMIO or a stack in MMIO: MOV Sreg, POP
 * Sreg, LDS/LES/LFS/LGS/LSS, LTR, LLDT, and far JMP, CALL and RET.
 *
 * A load reads the descriptor from the GDT or LDT and checks it as the
 * processor does (SDM vol. 2, each instruction's protected mode
 * exceptions), raising #GP, #NP or #SS with the selector.  The registers
 * loaded go to MshvEmu.seg_new for the caller to write back, only when
 * the whole instruction went through.  The far transfers themselves,
 * with gates and changes of privilege, are in mshv-emu-far.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

#define CR0_PE          1ULL

#define TSS_AVAIL_16    1
#define LDT_TYPE        2
#define TSS_BUSY_BIT    2
#define TSS_AVAIL_32    9

bool mshv_emu_long_mode(MshvEmu *e)
{
    return e->mode == ZYDIS_MACHINE_MODE_LONG_64 ||
           e->mode == ZYDIS_MACHINE_MODE_LONG_COMPAT_32 ||
           e->mode == ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
}

bool mshv_emu_real_or_v86(MshvEmu *e)
{
    uint64_t cr0;

    if (e->rflags & RFLAGS_VM) {
        return true;
    }
    return e->mode == ZYDIS_MACHINE_MODE_REAL_16 ||
           (e->mode == ZYDIS_MACHINE_MODE_LEGACY_32 && e->ops->sysreg &&
            e->ops->sysreg(e, ZYDIS_REGISTER_CR0, &cr0) == 0 &&
            !(cr0 & CR0_PE));
}

MshvEmuResult mshv_emu_sel_fault(MshvEmu *e, uint8_t vector, uint16_t sel)
{
    return mshv_emu_fault(e, vector, true, sel & 0xfffc);
}

int mshv_emu_table_rw(MshvEmu *e, uint64_t la, uint64_t *v, unsigned bits,
                    bool write)
{
    int ret;

    e->system_access = true;
    ret = e->ops->mem(e, la, v, bits / 8, write);
    e->system_access = false;
    return ret;
}

MshvEmuResult mshv_emu_read_descriptor(MshvEmu *e, uint16_t sel, bool wide,
                                     uint64_t desc[2], uint64_t *at)
{
    MshvEmuSeg table;

    if (e->ops->seg(e, sel & SEL_TI ? ZYDIS_REGISTER_LDTR :
                    ZYDIS_REGISTER_GDTR, &table) < 0) {
        return MSHV_EMU_STOPPED;
    }
    if ((sel & SEL_TI) &&
        (!(table.selector & ~3) || !(table.attributes & ATTR_P))) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);       /* no LDT */
    }
    if ((sel | 7) + (wide ? 8 : 0) > table.limit) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    *at = table.base + (sel & ~7);
    if (!mshv_emu_long_mode(e)) {
        *at = (uint32_t)*at;
    }
    desc[1] = 0;
    if (mshv_emu_table_rw(e, *at, &desc[0], 64, false) < 0 ||
        (wide && mshv_emu_table_rw(e, *at + 8, &desc[1], 64, false) < 0)) {
        return MSHV_EMU_STOPPED;
    }
    return MSHV_EMU_DONE;
}

static MshvEmuSeg unpack(uint16_t sel, const uint64_t desc[2], bool wide)
{
    uint64_t d = desc[0];
    MshvEmuSeg s = {
        .selector = sel,
        .base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000),
        .limit = (d & 0xffff) | ((d >> 32) & 0xf0000),
        .attributes = (d >> 40) & 0xf0ff,
    };

    if (wide) {
        s.base |= desc[1] << 32;
    }
    if (s.attributes & ATTR_G) {
        s.limit = (s.limit << 12) | 0xfff;
    }
    return s;
}

/*
 * The checks of SDM vol. 3 5.8 and each instruction's, for code.  A far
 * RET or IRET may go to an outer level (the caller changes the stack).
 */
static MshvEmuResult check_code(MshvEmu *e, uint16_t sel, uint16_t attr,
                                MshvEmuLoad load)
{
    unsigned dpl = ATTR_DPL(attr), rpl = SEL_RPL(sel);

    if (!(attr & ATTR_S) || !(attr & ATTR_CODE)) {
        /* (a gate or TSS for a far JMP or CALL is seen before) */
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    if (load == MSHV_EMU_LOAD_CODE) {
        if (attr & ATTR_CONFORMING ? dpl > e->cpl :
            rpl > e->cpl || dpl != e->cpl) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
        }
    } else if (load == MSHV_EMU_LOAD_CODE_GATE) {
        if (dpl > e->cpl) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
        }
    } else {
        if (rpl < e->cpl) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
        }
        if (attr & ATTR_CONFORMING ? dpl > rpl : dpl != rpl) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
        }
    }
    if (!(attr & ATTR_P)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_NP, sel);
    }
    if (mshv_emu_long_mode(e) && (attr & ATTR_L) && (attr & ATTR_DB)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    /* a call gate in long mode leads to 64-bit code only */
    if (load == MSHV_EMU_LOAD_CODE_GATE && mshv_emu_long_mode(e) &&
        !(attr & ATTR_L)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    return MSHV_EMU_DONE;
}

/* For SS, CPL is the level the stack is for: a return's may be outer */
static MshvEmuResult check_data(MshvEmu *e, uint16_t sel, uint16_t attr,
                                MshvEmuLoad load, unsigned cpl)
{
    unsigned dpl = ATTR_DPL(attr), rpl = SEL_RPL(sel);

    if (!(attr & ATTR_S)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    if (load == MSHV_EMU_LOAD_STACK) {
        if (rpl != cpl || dpl != cpl || (attr & ATTR_CODE) ||
            !(attr & ATTR_WRITABLE)) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
        }
        return attr & ATTR_P ? MSHV_EMU_DONE :
               mshv_emu_sel_fault(e, EMU_EXCP_SS, sel);
    }
    /* data, or readable code; privilege unless conforming code */
    if ((attr & ATTR_CODE) && !(attr & ATTR_WRITABLE)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    if ((!(attr & ATTR_CODE) || !(attr & ATTR_CONFORMING)) &&
        (rpl > dpl || e->cpl > dpl)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    return attr & ATTR_P ? MSHV_EMU_DONE :
           mshv_emu_sel_fault(e, EMU_EXCP_NP, sel);
}

static MshvEmuResult check_system(MshvEmu *e, uint16_t sel,
                                  const uint64_t desc[2], MshvEmuLoad load)
{
    unsigned type = (desc[0] >> 40) & 0x1f;     /* with S */

    if (load == MSHV_EMU_LOAD_TSS ? type != TSS_AVAIL_32 &&
                           (mshv_emu_long_mode(e) || type != TSS_AVAIL_16) :
        type != LDT_TYPE) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    if (mshv_emu_long_mode(e) && ((desc[1] >> 40) & 0x1f)) {
        /* the upper half's type is not 0 */
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    if (!((desc[0] >> 40) & ATTR_P)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_NP, sel);
    }
    return MSHV_EMU_DONE;
}

MshvEmuSeg mshv_emu_null_ss(unsigned cpl)
{
    return (MshvEmuSeg) {
        .selector = cpl,
        .limit = 0xffffffff,
        .attributes = ATTR_P | ATTR_S | ATTR_WRITABLE | ATTR_ACCESSED |
                      cpl << 5 | ATTR_DB | ATTR_G,
    };
}

/* The register a null selector loads: unusable, except SS in 64-bit mode */
static MshvEmuResult load_null(MshvEmu *e, uint16_t sel, MshvEmuLoad load,
                               unsigned cpl, MshvEmuSeg *out)
{
    *out = (MshvEmuSeg) { .selector = sel };
    switch (load) {
    case MSHV_EMU_LOAD_DATA:
    case MSHV_EMU_LOAD_LDT:
        return MSHV_EMU_DONE;
    case MSHV_EMU_LOAD_STACK:
        if (e->mode == ZYDIS_MACHINE_MODE_LONG_64 && cpl != 3 &&
            SEL_RPL(sel) == cpl) {
            *out = mshv_emu_null_ss(cpl);
            return MSHV_EMU_DONE;
        }
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    default:
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
}

MshvEmuResult mshv_emu_load_segment(MshvEmu *e, ZydisRegister reg,
                                    uint16_t sel, MshvEmuLoad load,
                                    unsigned cpl, MshvEmuSeg *out)
{
    bool system = load == MSHV_EMU_LOAD_LDT || load == MSHV_EMU_LOAD_TSS;
    bool wide = system && mshv_emu_long_mode(e);
    uint64_t desc[2], at, d;
    MshvEmuResult r;
    uint16_t attr;

    if (!e->ops->seg) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (mshv_emu_real_or_v86(e)) {
        if (system) {
            return MSHV_EMU_UNSUPPORTED;    /* LTR, LLDT: #UD there */
        }
        /* real mode keeps the hidden limit and attributes */
        if (e->ops->seg(e, reg, out) < 0) {
            return MSHV_EMU_STOPPED;
        }
        if (e->rflags & RFLAGS_VM) {
            out->limit = 0xffff;
            out->attributes = ATTR_P | ATTR_S | ATTR_WRITABLE |
                              ATTR_ACCESSED | 3 << 5 |
                              (load <= MSHV_EMU_LOAD_STACK ? 0 : ATTR_CODE);
        }
        out->selector = sel;
        out->base = (uint64_t)sel << 4;
        return MSHV_EMU_DONE;
    }
    if (!(sel & ~3)) {
        return load_null(e, sel, load, cpl, out);
    }
    if (system && (sel & SEL_TI)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, sel);
    }
    r = mshv_emu_read_descriptor(e, sel, wide, desc, &at);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    attr = (desc[0] >> 40) & 0xf0ff;
    r = system ? check_system(e, sel, desc, load) :
        load >= MSHV_EMU_LOAD_CODE ? check_code(e, sel, attr, load) :
        check_data(e, sel, attr, load, cpl);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    d = desc[0];
    if (load == MSHV_EMU_LOAD_TSS) {
        d |= (uint64_t)TSS_BUSY_BIT << 40;
    } else if (!system) {
        d |= (uint64_t)ATTR_ACCESSED << 40;
    }
    if (d != desc[0] && mshv_emu_table_rw(e, at, &d, 64, true) < 0) {
        return MSHV_EMU_STOPPED;
    }
    desc[0] = d;
    *out = unpack(sel, desc, wide);
    if (load == MSHV_EMU_LOAD_CODE) {
        out->selector = (sel & ~3) | e->cpl;
    }
    return MSHV_EMU_DONE;
}

void mshv_emu_commit_seg(MshvEmu *e, unsigned index, const MshvEmuSeg *s)
{
    e->seg_new[index] = *s;
    e->seg_written |= 1u << index;
}

static unsigned sreg_index(ZydisRegister reg)
{
    return reg - ZYDIS_REGISTER_ES;
}

/* The width of the stack pointer: 64, or SS.B's 32 or 16.  0: unknown. */
unsigned mshv_emu_stack_width(MshvEmu *e)
{
    MshvEmuSeg ss;

    if (e->mode == ZYDIS_MACHINE_MODE_LONG_64) {
        return 64;
    }
    if (e->ops->seg(e, ZYDIS_REGISTER_SS, &ss) < 0) {
        return 0;
    }
    return ss.attributes & ATTR_DB ? 32 : 16;
}

/* Load SREG (ES ... GS) with SEL: MOV, POP, LxS */
MshvEmuResult mshv_emu_load_sreg(MshvEmu *e, ZydisRegister sreg,
                                 uint16_t sel)
{
    MshvEmuSeg s;
    MshvEmuResult r;

    if (sreg < ZYDIS_REGISTER_ES || sreg > ZYDIS_REGISTER_GS ||
        sreg == ZYDIS_REGISTER_CS) {
        return MSHV_EMU_UNSUPPORTED;
    }
    r = mshv_emu_load_segment(e, sreg, sel, sreg == ZYDIS_REGISTER_SS ?
                              MSHV_EMU_LOAD_STACK : MSHV_EMU_LOAD_DATA,
                              e->cpl, &s);
    if (r == MSHV_EMU_DONE) {
        mshv_emu_commit_seg(e, sreg_index(sreg), &s);
    }
    return r;
}

/* MOV Sreg, m16 */
static MshvEmuResult exec_mov_sreg(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops)
{
    MshvEmuResult r;
    uint64_t sel;

    TRY(mshv_emu_op_read(e, insn, &ops[1], &sel));
    r = mshv_emu_load_sreg(e, ops[0].reg.value, sel);
    if (r == MSHV_EMU_DONE && ops[0].reg.value == ZYDIS_REGISTER_SS) {
        e->ss_shadow = true;
    }
    return r;
}

/* LTR, LLDT m16 */
static MshvEmuResult exec_system_load(MshvEmu *e,
                                      const ZydisDecodedInstruction *insn,
                                      const ZydisDecodedOperand *ops)
{
    bool tss = insn->mnemonic == ZYDIS_MNEMONIC_LTR;
    MshvEmuSeg s;
    MshvEmuResult r;
    uint64_t sel;

    if (mshv_emu_real_or_v86(e)) {
        return MSHV_EMU_UNSUPPORTED;            /* #UD */
    }
    if (e->cpl) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    TRY(mshv_emu_op_read(e, insn, &ops[0], &sel));
    r = mshv_emu_load_segment(e, tss ? ZYDIS_REGISTER_TR : ZYDIS_REGISTER_LDTR,
                              sel, tss ? MSHV_EMU_LOAD_TSS : MSHV_EMU_LOAD_LDT,
                              e->cpl, &s);
    if (r == MSHV_EMU_DONE) {
        mshv_emu_commit_seg(e, tss ? MSHV_EMU_SEG_TR : MSHV_EMU_SEG_LDTR, &s);
    }
    return r;
}

/* LDS, LES, LFS, LGS, LSS r, m16:16/32/64: offset, then selector */
static MshvEmuResult exec_load_far_pointer(MshvEmu *e,
                                           const ZydisDecodedInstruction *insn,
                                           const ZydisDecodedOperand *ops)
{
    unsigned bits = ops[0].size;
    ZydisRegister seg;
    uint64_t la, off, sel;
    MshvEmuResult r;

    seg = insn->mnemonic == ZYDIS_MNEMONIC_LDS ? ZYDIS_REGISTER_DS :
          insn->mnemonic == ZYDIS_MNEMONIC_LES ? ZYDIS_REGISTER_ES :
          insn->mnemonic == ZYDIS_MNEMONIC_LFS ? ZYDIS_REGISTER_FS :
          insn->mnemonic == ZYDIS_MNEMONIC_LGS ? ZYDIS_REGISTER_GS :
          ZYDIS_REGISTER_SS;
    if (ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY ||
        !mshv_emu_mem_address(e, insn, &ops[1], &la)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (mshv_emu_mem_rw(e, la, &off, bits, false) < 0 ||
        mshv_emu_mem_rw(e, la + bits / 8, &sel, 16, false) < 0) {
        return MSHV_EMU_STOPPED;
    }
    r = mshv_emu_load_sreg(e, seg, sel);
    if (r == MSHV_EMU_DONE && !mshv_emu_reg_write(e, ops[0].reg.value, off)) {
        return MSHV_EMU_UNSUPPORTED;
    }
    return r;
}

MshvEmuResult mshv_emu_exec_segment(MshvEmu *e,
                                    const ZydisDecodedInstruction *insn,
                                    const ZydisDecodedOperand *ops)
{
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_MOV:
        return exec_mov_sreg(e, insn, ops);
    case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_LLDT:
        return exec_system_load(e, insn, ops);
    default:
        return exec_load_far_pointer(e, insn, ops);
    }
}
