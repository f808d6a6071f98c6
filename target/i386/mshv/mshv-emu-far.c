/*
 * MSHV accelerator, x86: the instruction executor's far control
 * transfers, for a far pointer, a gate's stack or a return frame in MMIO:
 * far JMP and CALL (direct, or through a call gate to the same or an
 * inner privilege level), far RET and IRET (to the same or an outer
 * level, IRET also to virtual-8086 mode).
 *
 * Each follows its pseudo-code in the SDM (vol. 2, CALL, JMP, RET, IRET):
 * the descriptors checked with the faults and selectors it names, a
 * stack switch through the TSS for an inner level, the data segment
 * registers an outer level may not use made null.  Nothing is committed
 * before every check passed.  Task switches (a task gate or TSS as the
 * target, IRET with NT set outside long mode) are not executed: the
 * guest gets #UD, as KVM's emulator also leaves them to the processor.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-emu-int.h"

#define FL_IF           0x0200ULL
#define FL_IOPL         0x3000ULL
#define FL_NT           0x4000ULL
#define FL_RF           0x10000ULL
#define FL_VIF          0x80000ULL
#define FL_VIP          0x100000ULL
#define FL_ID           0x200000ULL
#define FL_IOPL_OF(f)   (((f) >> 12) & 3)
#define FL_FIXED        0x2ULL

/* What IRET loads in real mode; less IOPL in virtual-8086 mode */
#define IRET_REAL_MASK  0x257fd5ULL
#define CR4_VME         1ULL

#define TYPE_TSS16      1
#define TYPE_CALL16     4
#define TYPE_TASK       5
#define TYPE_TSS32      9
#define TYPE_CALL32     12

#define V86_ATTR        (ATTR_P | ATTR_S | ATTR_WRITABLE | ATTR_ACCESSED | \
                         3 << 5)

/*
 * A stack a transfer pushes to or pops from: the current one, or the
 * inner level's from the TSS (accessed as supervisor).
 */
typedef struct FarStack {
    uint64_t base;
    uint64_t sp;
    unsigned width;             /* of the pointer: 16, 32 or 64 */
    bool inner;
} FarStack;

static unsigned seg_index(ZydisRegister reg)
{
    return reg - ZYDIS_REGISTER_ES;
}

static uint64_t stack_la(MshvEmu *e, const FarStack *s)
{
    uint64_t la;

    if (!s->inner) {
        return mshv_emu_linear(e, ZYDIS_REGISTER_SS, s->sp, s->width);
    }
    la = s->base + s->sp;
    return s->width == 64 ? la : (uint32_t)la;
}

static OpStatus far_push(MshvEmu *e, FarStack *s, uint64_t v, unsigned bits)
{
    uint64_t sp = s->sp;
    int ret;

    s->sp = (s->sp - bits / 8) & width_mask(s->width);
    ret = s->inner ? mshv_emu_table_rw(e, stack_la(e, s), &v, bits, true) :
          mshv_emu_mem_rw(e, stack_la(e, s), &v, bits, true);
    if (ret < 0) {
        s->sp = sp;
        return OP_STOP;
    }
    return OP_OK;
}

static OpStatus far_pop(MshvEmu *e, FarStack *s, uint64_t *v, unsigned bits)
{
    if (mshv_emu_mem_rw(e, stack_la(e, s), v, bits, false) < 0) {
        return OP_STOP;
    }
    s->sp = (s->sp + bits / 8) & width_mask(s->width);
    return OP_OK;
}

static void set_sp(MshvEmu *e, unsigned width, uint64_t sp)
{
    e->gpr[GPR_RSP] = addr_update(e->gpr[GPR_RSP], sp, width);
    e->gpr_written |= 1u << GPR_RSP;
}

/*
 * Whether RIP may be TARGET (BITS wide) in CS: canonical for 64-bit code,
 * else truncated and within the limit; #GP(0) if not.
 */
static MshvEmuResult check_target(MshvEmu *e, const MshvEmuSeg *cs,
                                  uint64_t *target, unsigned bits)
{
    if (mshv_emu_long_mode(e) && (cs->attributes & ATTR_L)) {
        if (!mshv_emu_canonical(e, *target)) {
            return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
        }
        return MSHV_EMU_DONE;
    }
    *target &= width_mask(bits);
    if (!mshv_emu_real_or_v86(e) && *target > cs->limit) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    return MSHV_EMU_DONE;
}

/* The current CS's selector, for CALL to push */
static MshvEmuResult current_cs(MshvEmu *e, uint64_t *sel)
{
    MshvEmuSeg cs;

    if (e->ops->seg(e, ZYDIS_REGISTER_CS, &cs) < 0) {
        return MSHV_EMU_STOPPED;
    }
    *sel = cs.selector;
    return MSHV_EMU_DONE;
}

/*
 * The inner level CPL's stack for a call gate: SS:ESP from a 16- or
 * 32-bit TSS, checked (#TS, #SS with SS); RSP from a 64-bit TSS with a
 * null SS.
 */
static MshvEmuResult inner_stack(MshvEmu *e, unsigned cpl, FarStack *st,
                                 MshvEmuSeg *ss)
{
    bool tss32 = mshv_emu_long_mode(e), tss16;
    unsigned at, size;
    uint64_t sp, sel;
    MshvEmuSeg tr;
    MshvEmuResult r;

    if (e->ops->seg(e, ZYDIS_REGISTER_TR, &tr) < 0) {
        return MSHV_EMU_STOPPED;
    }
    tss16 = !tss32 && !(tr.attributes & 8);
    at = tss32 ? 4 + 8 * cpl : tss16 ? 2 + 4 * cpl : 4 + 8 * cpl;
    size = tss32 ? 8 : tss16 ? 4 : 8;
    if (at + size - 1 > tr.limit) {
        return mshv_emu_sel_fault(e, EMU_EXCP_TS, tr.selector);
    }
    *st = (FarStack) { .inner = true, .width = 64 };
    if (tss32) {
        if (mshv_emu_table_rw(e, tr.base + at, &sp, 64, false) < 0) {
            return MSHV_EMU_STOPPED;
        }
        if (!mshv_emu_canonical(e, sp)) {
            return mshv_emu_fault(e, EMU_EXCP_SS, true, 0);
        }
        st->sp = sp;
        *ss = mshv_emu_null_ss(cpl);
        return MSHV_EMU_DONE;
    }
    if (mshv_emu_table_rw(e, (uint32_t)(tr.base + at), &sp,
                          tss16 ? 16 : 32, false) < 0 ||
        mshv_emu_table_rw(e, (uint32_t)(tr.base + at + size / 2), &sel,
                          16, false) < 0) {
        return MSHV_EMU_STOPPED;
    }
    if (!(sel & ~3) || SEL_RPL(sel) != cpl) {
        return mshv_emu_sel_fault(e, EMU_EXCP_TS, sel);
    }
    r = mshv_emu_load_segment(e, ZYDIS_REGISTER_SS, sel, MSHV_EMU_LOAD_STACK,
                              cpl, ss);
    if (r == MSHV_EMU_FAULT && e->fault_vector == EMU_EXCP_GP) {
        e->fault_vector = EMU_EXCP_TS;      /* the TSS's SS is at fault */
    }
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    st->base = ss->base;
    st->width = ss->attributes & ATTR_DB ? 32 : 16;
    st->sp = sp & width_mask(st->width);
    return MSHV_EMU_DONE;
}

/*
 * The end of a far JMP or CALL to CS:OFF: CALL pushes the caller's CS and
 * return address, BITS wide, on ST; then CS and RIP are loaded.
 */
static MshvEmuResult far_transfer(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  FarStack *st, const MshvEmuSeg *cs,
                                  uint64_t off, unsigned bits)
{
    uint64_t sel, next = e->rip + insn->length;
    MshvEmuResult r;

    if (insn->mnemonic == ZYDIS_MNEMONIC_CALL) {
        r = current_cs(e, &sel);
        if (r != MSHV_EMU_DONE) {
            return r;
        }
        TRY(far_push(e, st, sel, bits));
        TRY(far_push(e, st, next & width_mask(bits), bits));
        set_sp(e, st->width, st->sp);
    }
    mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_CS), cs);
    e->rip = off;
    return MSHV_EMU_DONE;
}

/*
 * Far JMP or CALL through the call gate GATE (its first 8 bytes in
 * DESC): to the code segment it names, at the gate's offset; CALL to
 * inner non-conforming code also switches to that level's stack, with
 * the caller's SS:ESP and the gate's parameters copied onto it.
 */
static MshvEmuResult through_gate(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  uint16_t gate, uint64_t desc[2],
                                  FarStack *st, bool *branched)
{
    bool call = insn->mnemonic == ZYDIS_MNEMONIC_CALL;
    bool lm = mshv_emu_long_mode(e);
    unsigned type = (desc[0] >> 40) & 0xf, gdpl = (desc[0] >> 45) & 3;
    unsigned bits, params, cpl = e->cpl, i;
    uint64_t off, code, at, v;
    MshvEmuSeg cs, ss;
    FarStack inner;
    MshvEmuResult r;

    if (!lm && (type == TYPE_TSS16 || type == TYPE_TSS32 ||
                type == TYPE_TASK)) {
        return MSHV_EMU_UNSUPPORTED;            /* a task switch */
    }
    if (lm ? type != TYPE_CALL32 : type != TYPE_CALL16 &&
        type != TYPE_CALL32) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, gate);
    }
    if (gdpl < e->cpl || gdpl < SEL_RPL(gate)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_GP, gate);
    }
    if (!((desc[0] >> 40) & ATTR_P)) {
        return mshv_emu_sel_fault(e, EMU_EXCP_NP, gate);
    }
    code = (desc[0] >> 16) & 0xffff;
    off = (desc[0] & 0xffff) | ((desc[0] >> 32) & 0xffff0000);
    params = (desc[0] >> 32) & 0x1f;
    bits = lm ? 64 : type == TYPE_CALL32 ? 32 : 16;
    if (lm) {
        /* the upper half: offset 63:32, and a type of 0 */
        r = mshv_emu_read_descriptor(e, gate, true, desc, &at);
        if (r != MSHV_EMU_DONE) {
            return r;
        }
        if ((desc[1] >> 40) & 0x1f) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, gate);
        }
        off |= (desc[1] & 0xffffffff) << 32;
    }
    if (!(code & ~3)) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    r = mshv_emu_load_segment(e, ZYDIS_REGISTER_CS, code,
                              MSHV_EMU_LOAD_CODE_GATE, e->cpl, &cs);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    if (!(cs.attributes & ATTR_CONFORMING)) {
        if (!call && ATTR_DPL(cs.attributes) != e->cpl) {
            return mshv_emu_sel_fault(e, EMU_EXCP_GP, code);
        }
        cpl = ATTR_DPL(cs.attributes);
    }
    r = check_target(e, &cs, &off, bits);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    cs.selector = (code & ~3) | cpl;
    if (call && cpl < e->cpl) {
        uint64_t old_sp = e->gpr[GPR_RSP] & width_mask(bits);
        MshvEmuSeg old_ss;

        r = inner_stack(e, cpl, &inner, &ss);
        if (r != MSHV_EMU_DONE) {
            return r;
        }
        if (e->ops->seg(e, ZYDIS_REGISTER_SS, &old_ss) < 0) {
            return MSHV_EMU_STOPPED;
        }
        TRY(far_push(e, &inner, old_ss.selector, bits));
        TRY(far_push(e, &inner, old_sp, bits));
        /* the parameters, the last one (deepest on the stack) first */
        for (i = params; !lm && i > 0; i--) {
            FarStack arg = *st;

            arg.sp = (st->sp + (i - 1) * (bits / 8)) & width_mask(st->width);
            TRY(far_pop(e, &arg, &v, bits));
            TRY(far_push(e, &inner, v, bits));
        }
        ss.selector = (ss.selector & ~3) | cpl;
        *st = inner;
        mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_SS), &ss);
    }
    return far_transfer(e, insn, st, &cs, off, bits);
}

/* Far JMP and CALL, the pointer direct or in memory */
static MshvEmuResult far_jmp_call(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops,
                                  FarStack *st, bool *branched)
{
    unsigned bits = insn->operand_width;
    uint64_t off, sel, la, desc[2], at;
    MshvEmuSeg cs;
    MshvEmuResult r;

    if (ops[0].type == ZYDIS_OPERAND_TYPE_POINTER) {
        off = ops[0].ptr.offset;
        sel = ops[0].ptr.segment;
    } else if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
               mshv_emu_mem_address(e, insn, &ops[0], &la)) {
        if (mshv_emu_mem_rw(e, la, &off, bits, false) < 0 ||
            mshv_emu_mem_rw(e, la + bits / 8, &sel, 16, false) < 0) {
            return MSHV_EMU_STOPPED;
        }
    } else {
        return MSHV_EMU_UNSUPPORTED;
    }
    if (!mshv_emu_real_or_v86(e) && (sel & ~3)) {
        r = mshv_emu_read_descriptor(e, sel, false, desc, &at);
        if (r != MSHV_EMU_DONE) {
            return r;
        }
        if (!((desc[0] >> 40) & ATTR_S)) {
            return through_gate(e, insn, sel, desc, st, branched);
        }
    }
    r = mshv_emu_load_segment(e, ZYDIS_REGISTER_CS, sel, MSHV_EMU_LOAD_CODE,
                              e->cpl, &cs);
    if (r == MSHV_EMU_DONE) {
        r = check_target(e, &cs, &off, bits);
    }
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    return far_transfer(e, insn, st, &cs, off, bits);
}

/*
 * A return to outer level CPL: ES, DS, FS and GS become null where they
 * hold data or non-conforming code more privileged than CPL.
 */
static MshvEmuResult null_inner_segments(MshvEmu *e, unsigned cpl)
{
    static const ZydisRegister regs[] = {
        ZYDIS_REGISTER_ES, ZYDIS_REGISTER_DS,
        ZYDIS_REGISTER_FS, ZYDIS_REGISTER_GS,
    };
    MshvEmuSeg s;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(regs); i++) {
        if (e->ops->seg(e, regs[i], &s) < 0) {
            return MSHV_EMU_STOPPED;
        }
        if (!(s.selector & ~3) ||
            ((s.attributes & ATTR_CODE) &&
             (s.attributes & ATTR_CONFORMING)) ||
            ATTR_DPL(s.attributes) >= cpl) {
            continue;
        }
        /* (the base stays: FS and GS keep theirs in 64-bit mode) */
        s.selector = 0;
        s.attributes &= ~ATTR_P;
        mshv_emu_commit_seg(e, seg_index(regs[i]), &s);
    }
    return MSHV_EMU_DONE;
}

/*
 * The protected-mode return of far RET and IRET, RIP (OFF) and CS (SEL)
 * popped from ST: CS checked and loaded; to an outer level, or by IRET
 * in 64-bit mode, SS:RSP popped and loaded too.  IMM: what RET N drops
 * from each stack.
 */
static MshvEmuResult protected_return(MshvEmu *e, FarStack *st, uint64_t off,
                                      uint16_t sel, unsigned bits,
                                      uint64_t imm, bool iret)
{
    unsigned cpl = SEL_RPL(sel), width = st->width;
    bool outer = cpl > e->cpl;
    bool pop_ss = outer || (iret && e->mode == ZYDIS_MACHINE_MODE_LONG_64);
    uint64_t sp, ss_sel;
    MshvEmuSeg cs, ss;
    MshvEmuResult r;

    r = mshv_emu_load_segment(e, ZYDIS_REGISTER_CS, sel,
                              MSHV_EMU_LOAD_CODE_RET, e->cpl, &cs);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    st->sp = (st->sp + imm) & width_mask(st->width);
    sp = st->sp;
    if (pop_ss) {
        TRY(far_pop(e, st, &sp, bits));
        TRY(far_pop(e, st, &ss_sel, bits));
        ss_sel &= 0xffff;
        if (!(ss_sel & ~3) && mshv_emu_long_mode(e) &&
            (cs.attributes & ATTR_L) && cpl != 3) {
            ss = mshv_emu_null_ss(cpl);
            ss.selector = ss_sel;
        } else if (!(ss_sel & ~3)) {
            return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
        } else {
            r = mshv_emu_load_segment(e, ZYDIS_REGISTER_SS, ss_sel,
                                      MSHV_EMU_LOAD_STACK, cpl, &ss);
            if (r != MSHV_EMU_DONE) {
                return r;
            }
        }
        width = mshv_emu_long_mode(e) && (cs.attributes & ATTR_L) ? 64 :
                ss.attributes & ATTR_DB ? 32 : 16;
        sp = (sp + imm) & width_mask(width);
    }
    r = check_target(e, &cs, &off, bits);
    if (r == MSHV_EMU_DONE && outer) {
        r = null_inner_segments(e, cpl);
    }
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    if (pop_ss) {
        mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_SS), &ss);
    }
    mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_CS), &cs);
    set_sp(e, width, sp);
    e->rip = off;
    return MSHV_EMU_DONE;
}

/* The flags a protected-mode IRET at level CPL (before it) loads */
static uint64_t iret_flags(MshvEmu *e, uint64_t popped, unsigned bits,
                           unsigned cpl)
{
    uint64_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;

    if (cpl == 0) {
        mask |= FL_IOPL | FL_VIF | FL_VIP;
    }
    if (cpl <= FL_IOPL_OF(e->rflags)) {
        mask |= FL_IF;
    }
    if (bits == 16) {
        mask &= 0xffff;
    }
    return (e->rflags & ~mask) | (popped & mask) | FL_FIXED;
}

/* IRET from protected mode to virtual-8086 mode: all registers popped */
static MshvEmuResult iret_to_v86(MshvEmu *e, FarStack *st, uint64_t eip,
                                 uint64_t cs_sel, uint64_t flags)
{
    static const ZydisRegister order[] = {
        ZYDIS_REGISTER_SS, ZYDIS_REGISTER_ES, ZYDIS_REGISTER_DS,
        ZYDIS_REGISTER_FS, ZYDIS_REGISTER_GS,
    };
    uint64_t esp, sel[ARRAY_SIZE(order)];
    MshvEmuSeg s = { .limit = 0xffff, .attributes = V86_ATTR };
    unsigned i;

    TRY(far_pop(e, st, &esp, 32));
    for (i = 0; i < ARRAY_SIZE(order); i++) {
        TRY(far_pop(e, st, &sel[i], 32));
    }
    for (i = 0; i < ARRAY_SIZE(order); i++) {
        s.selector = sel[i];
        s.base = (uint64_t)s.selector << 4;
        mshv_emu_commit_seg(e, seg_index(order[i]), &s);
    }
    s.selector = cs_sel;
    s.base = (uint64_t)s.selector << 4;
    mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_CS), &s);
    e->rflags = (flags & (IRET_REAL_MASK | RFLAGS_VM | FL_VIF | FL_VIP)) |
                FL_FIXED;
    e->rip = eip & 0xffff;
    e->gpr[GPR_RSP] = (uint32_t)esp;
    e->gpr_written |= 1u << GPR_RSP;
    return MSHV_EMU_DONE;
}

/* IRET in real or virtual-8086 mode: IP, CS and FLAGS, CS's base x16 */
static MshvEmuResult iret_real(MshvEmu *e, FarStack *st, unsigned bits)
{
    bool v86 = e->rflags & RFLAGS_VM, vme = false;
    uint64_t ip, sel, flags, mask = IRET_REAL_MASK, cr4;
    MshvEmuSeg cs;
    MshvEmuResult r;

    if (v86 && FL_IOPL_OF(e->rflags) < 3) {
        /* only CR4.VME's 16-bit IRET, which loads IF into VIF */
        vme = bits == 16 && e->ops->sysreg &&
              e->ops->sysreg(e, ZYDIS_REGISTER_CR4, &cr4) == 0 &&
              (cr4 & CR4_VME);
        if (!vme) {
            return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
        }
    }
    TRY(far_pop(e, st, &ip, bits));
    TRY(far_pop(e, st, &sel, bits));
    TRY(far_pop(e, st, &flags, bits));
    if (vme && (((flags & FL_IF) && (e->rflags & FL_VIP)) ||
                (flags & FL_TF))) {
        return mshv_emu_fault(e, EMU_EXCP_GP, true, 0);
    }
    r = mshv_emu_load_segment(e, ZYDIS_REGISTER_CS, sel & 0xffff,
                              MSHV_EMU_LOAD_CODE_RET, e->cpl, &cs);
    if (r != MSHV_EMU_DONE) {
        return r;
    }
    if (v86) {
        mask &= ~FL_IOPL;
    }
    if (bits == 16) {
        mask &= 0xffff;
    }
    if (vme) {
        /* IF stays; the popped IF goes to VIF */
        mask = (mask & ~FL_IF) | FL_VIF;
        flags = (flags & ~FL_VIF) | (flags & FL_IF ? FL_VIF : 0);
    }
    mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_CS), &cs);
    e->rflags = (e->rflags & ~mask) | (flags & mask) | FL_FIXED;
    e->rip = ip & width_mask(bits);
    set_sp(e, st->width, st->sp);
    return MSHV_EMU_DONE;
}

/* IRET, IRETD, IRETQ: the frame popped from ST */
static MshvEmuResult exec_iret(MshvEmu *e, FarStack *st, unsigned bits)
{
    unsigned cpl = e->cpl;
    uint64_t ip, sel, flags;
    MshvEmuResult r;

    if (mshv_emu_real_or_v86(e)) {
        return iret_real(e, st, bits);
    }
    if (e->rflags & FL_NT) {
        /* a return from a nested task; none in long mode */
        return mshv_emu_long_mode(e) ?
               mshv_emu_fault(e, EMU_EXCP_GP, true, 0) : MSHV_EMU_UNSUPPORTED;
    }
    TRY(far_pop(e, st, &ip, bits));
    TRY(far_pop(e, st, &sel, bits));
    TRY(far_pop(e, st, &flags, bits));
    if (bits == 32 && (flags & RFLAGS_VM) && cpl == 0 &&
        !mshv_emu_long_mode(e)) {
        return iret_to_v86(e, st, ip, sel & 0xffff, flags);
    }
    r = protected_return(e, st, ip, sel & 0xffff, bits, 0, true);
    if (r == MSHV_EMU_DONE) {
        e->rflags = iret_flags(e, flags, bits, cpl);
    }
    return r;
}

MshvEmuResult mshv_emu_exec_far(MshvEmu *e,
                                const ZydisDecodedInstruction *insn,
                                const ZydisDecodedOperand *ops, unsigned sw,
                                bool *branched)
{
    FarStack st = {
        .sp = e->gpr[GPR_RSP] & width_mask(sw), .width = sw,
    };
    unsigned bits = insn->operand_width;
    uint64_t off, sel, imm = 0;
    MshvEmuResult r;

    if (!e->ops->seg) {
        return MSHV_EMU_UNSUPPORTED;
    }
    switch (insn->mnemonic) {
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_IRETQ:
        r = exec_iret(e, &st, bits);
        e->nmi_unblocked = r == MSHV_EMU_DONE;
        break;
    case ZYDIS_MNEMONIC_RET:
        TRY(far_pop(e, &st, &off, bits));
        TRY(far_pop(e, &st, &sel, bits));
        if (insn->operand_count_visible &&
            ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
            imm = ops[0].imm.value.u;
        }
        if (mshv_emu_real_or_v86(e)) {
            MshvEmuSeg cs;

            r = mshv_emu_load_segment(e, ZYDIS_REGISTER_CS, sel & 0xffff,
                                      MSHV_EMU_LOAD_CODE_RET, e->cpl, &cs);
            if (r == MSHV_EMU_DONE) {
                mshv_emu_commit_seg(e, seg_index(ZYDIS_REGISTER_CS), &cs);
                e->rip = off & width_mask(bits);
                set_sp(e, sw, st.sp + imm);
            }
            break;
        }
        r = protected_return(e, &st, off, sel & 0xffff, bits, imm, false);
        break;
    default:
        r = far_jmp_call(e, insn, ops, &st, branched);
        break;
    }
    if (r == MSHV_EMU_DONE) {
        *branched = true;
    }
    return r;
}
