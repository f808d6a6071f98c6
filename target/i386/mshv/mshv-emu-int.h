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

/* mshv-emu-segment.c: segment loads and the far transfers' CS */

/* The width of the stack pointer: 64, or SS.B's 32 or 16.  0: unknown. */
unsigned mshv_emu_stack_width(MshvEmu *e);
/* Load SREG (ES ... GS, not CS) with selector SEL, checked. */
MshvEmuResult mshv_emu_load_sreg(MshvEmu *e, ZydisRegister sreg,
                                 uint16_t sel);
/*
 * A far transfer to SEL:TARGET (BITS: the operand size), by far JMP or
 * CALL, or by far RET (RET): CS loaded and checked, RIP set.
 */
MshvEmuResult mshv_emu_load_cs(MshvEmu *e, uint16_t sel, bool ret,
                               uint64_t target, unsigned bits);
/* MOV Sreg,m; LDS, LES, LFS, LGS, LSS; LTR, LLDT */
MshvEmuResult mshv_emu_exec_segment(MshvEmu *e,
                                    const ZydisDecodedInstruction *insn,
                                    const ZydisDecodedOperand *ops);
/* Whether ADDR is canonical (57 bits with CR4.LA57). */
bool mshv_emu_canonical(MshvEmu *e, uint64_t addr);

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
