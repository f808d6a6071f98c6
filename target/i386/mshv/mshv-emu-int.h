/*
 * MSHV accelerator, x86: the instruction executor's own helpers, shared
 * by its files (mshv-emu*.c) and private to them
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_EMU_INT_H
#define TARGET_I386_MSHV_EMU_INT_H

#include "mshv-emu.h"
#include "mshv-emu-flags.h"

typedef enum {
    OP_OK,
    OP_BAD,                     /* an operand form we do not handle */
    OP_STOP,                    /* memory callback failed */
} OpStatus;

static inline MshvEmuResult status(OpStatus s)
{
    return s == OP_OK ? MSHV_EMU_DONE :
           s == OP_STOP ? MSHV_EMU_STOPPED : MSHV_EMU_UNSUPPORTED;
}

#define TRY(expr) \
    do { \
        OpStatus s_ = (expr); \
        if (s_ != OP_OK) { \
            return status(s_); \
        } \
    } while (0)

/* A register written with an address-size width: 32 bits zero-extend. */
static inline uint64_t addr_update(uint64_t old, uint64_t val, unsigned width)
{
    if (width == 32) {
        return (uint32_t)val;
    }
    return (old & ~width_mask(width)) | (val & width_mask(width));
}

static inline uint64_t sign_extend(uint64_t v, unsigned bits)
{
    return bits >= 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >>
                                       (64 - bits));
}

/* The exceptions the executor raises itself */
#define EMU_EXCP_DE     0
#define EMU_EXCP_TS     10
#define EMU_EXCP_NP     11
#define EMU_EXCP_SS     12
#define EMU_EXCP_GP     13
#define EMU_EXCP_AC     17
#define EMU_NO_FAULT    0xff

static inline MshvEmuResult mshv_emu_fault(MshvEmu *e, uint8_t vector,
                                           bool has_code, uint32_t code)
{
    e->fault_vector = vector;
    e->fault_has_code = has_code;
    e->fault_code = code;
    return MSHV_EMU_FAULT;
}

static inline ZydisRegister accumulator(unsigned bits)
{
    return bits == 8 ? ZYDIS_REGISTER_AL : bits == 16 ? ZYDIS_REGISTER_AX :
           bits == 32 ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_RAX;
}

/* mshv-emu-operand.c: registers, memory and operands */

bool mshv_emu_reg_read(MshvEmu *e, ZydisRegister reg, uint64_t *v);
bool mshv_emu_reg_write(MshvEmu *e, ZydisRegister reg, uint64_t v);
/* The linear address of SEG:OFFSET, OFFSET truncated to ADDR_WIDTH. */
uint64_t mshv_emu_linear(MshvEmu *e, ZydisRegister seg, uint64_t offset,
                         unsigned addr_width);
bool mshv_emu_mem_address(MshvEmu *e, const ZydisDecodedInstruction *insn,
                          const ZydisDecodedOperand *op, uint64_t *la);
/*
 * Alignment checking: true, with #AC(0) made the fault to raise, if an
 * access of BYTES at LA must fault so (mshv_emu_exec then returns
 * MSHV_EMU_FAULT for the instruction).
 */
bool mshv_emu_alignment_fault(MshvEmu *e, uint64_t la, unsigned bytes);
/* Memory through the callback, alignment-checked; -1 to stop. */
int mshv_emu_mem_rw(MshvEmu *e, uint64_t la, uint64_t *v, unsigned bits,
                    bool write);
OpStatus mshv_emu_op_read(MshvEmu *e, const ZydisDecodedInstruction *insn,
                          const ZydisDecodedOperand *op, uint64_t *v);
OpStatus mshv_emu_op_write(MshvEmu *e, const ZydisDecodedInstruction *insn,
                           const ZydisDecodedOperand *op, uint64_t v);
void mshv_emu_set_flags(MshvEmu *e, uint32_t mask, uint32_t flags);

/* The instruction families, each in its file */

/* The vector moves that raise #GP(0) off an address aligned to their size */
bool mshv_emu_vector_needs_alignment(ZydisMnemonic m);

/* mshv-emu-evex.c: AVX-512 moves */
MshvEmuResult mshv_emu_exec_evex(MshvEmu *e,
                                 const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops);
/* XMM, YMM or ZMM register 0-31: its index, and width in bytes (0: not) */
unsigned mshv_emu_evex_reg(ZydisRegister r, unsigned *index);
/* The first @bytes of register @index (0-31) */
int mshv_emu_evex_reg_read(MshvEmu *e, unsigned index, uint8_t value[64],
                           unsigned bytes);
/* Write the first @bytes of register @index, zero the rest of it */
int mshv_emu_evex_reg_write(MshvEmu *e, unsigned index, uint8_t value[64],
                            unsigned bytes);
/*
 * Write @fill (@bytes) to register @index under the EVEX instruction's
 * mask of @esize-byte elements: the others merged or zeroed as it says.
 */
MshvEmuResult mshv_emu_evex_masked_write(MshvEmu *e,
                                         const ZydisDecodedInstruction *insn,
                                         unsigned index, const uint8_t *fill,
                                         unsigned bytes, unsigned esize);
/* An EVEX broadcast of a @chunk-byte element or tuple (from lane moves) */
MshvEmuResult mshv_emu_exec_evex_broadcast(MshvEmu *e,
                                           const ZydisDecodedInstruction *insn,
                                           const ZydisDecodedOperand *ops,
                                           unsigned chunk);

/* mshv-emu-arith.c */
MshvEmuResult mshv_emu_exec_alu(MshvEmu *e,
                                const ZydisDecodedInstruction *insn,
                                const ZydisDecodedOperand *ops);
MshvEmuResult mshv_emu_exec_bt(MshvEmu *e,
                               const ZydisDecodedInstruction *insn,
                               const ZydisDecodedOperand *ops);
/* MUL, IMUL, DIV, IDIV of RDX:RAX (AX) by their one operand */
MshvEmuResult mshv_emu_exec_muldiv(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops);
/* SHL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD */
MshvEmuResult mshv_emu_exec_shift(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops);
/* Whether condition CC (the low nibble of a Jcc, SETcc or CMOVcc) holds. */
bool mshv_emu_cond_holds(uint64_t rflags, unsigned cc);
bool mshv_emu_is_compute(const ZydisDecodedInstruction *insn);
MshvEmuResult mshv_emu_exec_compute(MshvEmu *e,
                                    const ZydisDecodedInstruction *insn,
                                    const ZydisDecodedOperand *ops);

/* mshv-emu-lane.c: moves of part of a vector register */
bool mshv_emu_is_lane_move(ZydisMnemonic m);
MshvEmuResult mshv_emu_exec_lane(MshvEmu *e,
                                 const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *ops);

/* Segment attributes (MshvEmuSeg): the descriptor's bits 47:40, 55:52 */
#define ATTR_TYPE       0x000f
#define ATTR_ACCESSED   0x0001
#define ATTR_WRITABLE   0x0002          /* data; readable for code */
#define ATTR_CONFORMING 0x0004          /* code */
#define ATTR_CODE       0x0008
#define ATTR_S          0x0010
#define ATTR_DPL(a)     (((a) >> 5) & 3)
#define ATTR_P          0x0080
#define ATTR_L          0x2000
#define ATTR_DB         0x4000
#define ATTR_G          0x8000

#define SEL_TI          4
#define SEL_RPL(s)      ((s) & 3)

#define RFLAGS_VM       (1ULL << 17)

/* mshv-emu-segment.c: segment loads */

/* What a selector is loaded for: the checks differ. */
typedef enum MshvEmuLoad {
    MSHV_EMU_LOAD_DATA,         /* DS, ES, FS, GS */
    MSHV_EMU_LOAD_STACK,        /* SS */
    MSHV_EMU_LOAD_CODE,         /* CS by far JMP or CALL */
    MSHV_EMU_LOAD_CODE_RET,     /* CS by far RET or IRET */
    MSHV_EMU_LOAD_CODE_GATE,    /* CS through a call gate */
    MSHV_EMU_LOAD_LDT,          /* LDTR by LLDT */
    MSHV_EMU_LOAD_TSS,          /* TR by LTR */
} MshvEmuLoad;

bool mshv_emu_long_mode(MshvEmu *e);
/* Real mode and virtual-8086 mode load selector << 4 as the base. */
bool mshv_emu_real_or_v86(MshvEmu *e);
/* The fault VECTOR with the selector SEL as its error code */
MshvEmuResult mshv_emu_sel_fault(MshvEmu *e, uint8_t vector, uint16_t sel);
/* A descriptor table or TSS access: supervisor, whatever the CPL. */
int mshv_emu_table_rw(MshvEmu *e, uint64_t la, uint64_t *v, unsigned bits,
                      bool write);
/*
 * Read the descriptor SEL selects (16 bytes for a system descriptor in
 * long mode: WIDE) into DESC, its linear address to *AT.
 */
MshvEmuResult mshv_emu_read_descriptor(MshvEmu *e, uint16_t sel, bool wide,
                                       uint64_t desc[2], uint64_t *at);
/*
 * Load SEL into REG for LOAD, to *OUT, not yet committed: the descriptor
 * checked, its accessed (or for a TSS busy) bit set in the table as the
 * processor sets it.  CPL: the level a stack is loaded for (MOV SS: the
 * CPL; a return to an outer level: that level's).
 */
MshvEmuResult mshv_emu_load_segment(MshvEmu *e, ZydisRegister reg,
                                    uint16_t sel, MshvEmuLoad load,
                                    unsigned cpl, MshvEmuSeg *out);
/* The null SS of 64-bit code at level CPL (0-2) */
MshvEmuSeg mshv_emu_null_ss(unsigned cpl);
/* Segment INDEX (MshvEmu.seg_new) is S once the instruction completes. */
void mshv_emu_commit_seg(MshvEmu *e, unsigned index, const MshvEmuSeg *s);
/* The width of the stack pointer: 64, or SS.B's 32 or 16.  0: unknown. */
unsigned mshv_emu_stack_width(MshvEmu *e);
/* Load SREG (ES ... GS, not CS) with selector SEL, checked. */
MshvEmuResult mshv_emu_load_sreg(MshvEmu *e, ZydisRegister sreg,
                                 uint16_t sel);
/* MOV Sreg,m; LDS, LES, LFS, LGS, LSS; LTR, LLDT */
MshvEmuResult mshv_emu_exec_segment(MshvEmu *e,
                                    const ZydisDecodedInstruction *insn,
                                    const ZydisDecodedOperand *ops);
/* Whether ADDR is canonical (57 bits with CR4.LA57). */
bool mshv_emu_canonical(MshvEmu *e, uint64_t addr);

/*
 * mshv-emu-far.c: far JMP, CALL and RET, IRET (*BRANCHED: RIP is the
 * target); SW: the stack pointer's width
 */
MshvEmuResult mshv_emu_exec_far(MshvEmu *e,
                                const ZydisDecodedInstruction *insn,
                                const ZydisDecodedOperand *ops, unsigned sw,
                                bool *branched);

/* mshv-emu-string.c: MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS; REP */
MshvEmuResult mshv_emu_exec_string(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops,
                                   bool *more);

/*
 * mshv-emu-stack.c: PUSH, POP, PUSHF, near CALL, RET, JMP, LEAVE, ENTER;
 * *BRANCHED: RIP is the target, not to be advanced
 */
MshvEmuResult mshv_emu_exec_stack(MshvEmu *e,
                                  const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *ops,
                                  bool *branched);

/* mshv-emu-vector.c: SSE moves between a register and memory */
/* MM, XMM or YMM register @r: its index and width in bytes (0: none). */
unsigned mshv_emu_vector_reg(ZydisRegister r, unsigned *index);
bool mshv_emu_has_xmm_operand(const ZydisDecodedInstruction *insn,
                              const ZydisDecodedOperand *ops);
MshvEmuResult mshv_emu_exec_vector(MshvEmu *e,
                                   const ZydisDecodedInstruction *insn,
                                   const ZydisDecodedOperand *ops);

#endif /* TARGET_I386_MSHV_EMU_INT_H */
