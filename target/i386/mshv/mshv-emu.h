/*
 * MSHV accelerator, x86: the instruction executor for intercepted memory
 * accesses (emulated MMIO, writes to read-only memory) and string port
 * I/O (INS, OUTS), with the one REP engine for both.
 *
 * Zydis decodes; this executes one instruction on a register snapshot and
 * reaches memory only through callbacks, so it can be tested and fuzzed
 * without a hypervisor (tests/mshv/mshv-emu-test.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_EMU_H
#define TARGET_I386_MSHV_EMU_H

#include <Zydis/Zydis.h>

typedef struct MshvEmu MshvEmu;

/*
 * A segment register with its hidden part, the attributes in the
 * hypervisor's layout: the descriptor's type, S, DPL and P in bits 7:0,
 * AVL, L, D/B and G in bits 15:12.
 */
typedef struct MshvEmuSeg {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint16_t attributes;
} MshvEmuSeg;

/* MshvEmu.seg_new: ES ... GS (ZydisRegister - ZYDIS_REGISTER_ES), LDTR, TR */
enum { MSHV_EMU_SEG_LDTR = 6, MSHV_EMU_SEG_TR = 7, MSHV_EMU_SEGS = 8 };

typedef struct MshvEmuOps {
    /*
     * Read or write guest memory at a linear address: 0, or -1 to stop.
     * BUF NULL: check the access only (a write), so that INS leaves the
     * port alone, and a masked store writes nothing, when the memory
     * would fault.  Accesses are up to 64 bytes.
     */
    int (*mem)(MshvEmu *emu, uint64_t linear, void *buf, unsigned size,
               bool write);
    /*
     * Read segment register REG: ZYDIS_REGISTER_ES ... GS, LDTR, TR, or
     * GDTR (its base and limit).  0, or -1 to stop.
     */
    int (*seg)(MshvEmu *emu, ZydisRegister reg, MshvEmuSeg *seg);
    /* Read or write XMM register INDEX (0-15): 0, or -1 to stop. */
    int (*xmm)(MshvEmu *emu, unsigned index, uint8_t value[16], bool write);
    /*
     * Read or write bits 255:128 of YMM register INDEX (0-15); a write
     * also zeroes any bits above 255, as a VEX instruction's does.  0, or
     * -1 to stop.  NULL: VEX instructions are not executed.
     */
    int (*ymm_high)(MshvEmu *emu, unsigned index, uint8_t value[16],
                    bool write);
    /*
     * Read or write MMX register INDEX (0-7).  A read changes nothing; a
     * write (VALUE NULL: only this) also does to the x87 unit what every
     * MMX instruction does: TOP 0 and all tags valid.  0, or -1 to stop.
     * NULL: MMX moves are not executed.
     */
    int (*mmx)(MshvEmu *emu, unsigned index, uint64_t *value, bool write);
    /*
     * What the xmm and ymm_high callbacks do not reach of ZMM register
     * INDEX (0-31): bits 511:256 (32 bytes) of ZMM0-15, all 512 bits of
     * ZMM16-31.  0, or -1 to stop.  NULL: EVEX moves are not executed.
     */
    int (*zmm)(MshvEmu *emu, unsigned index, uint8_t *value, bool write);
    /* Read opmask register INDEX (1-7): 0, or -1 to stop. */
    int (*kreg)(MshvEmu *emu, unsigned index, uint64_t *value);
    /*
     * Read or write I/O port PORT: 0, or -1 to stop.  NULL: INS and OUTS
     * are not executed (MSHV_EMU_UNSUPPORTED).
     */
    int (*port)(MshvEmu *emu, uint16_t port, void *buf, unsigned size,
                bool write);
    /*
     * Read a control register the snapshot does not hold: CR0 or CR4.
     * 0, or -1 to stop.  NULL: the instructions that need one are not
     * executed.
     */
    int (*sysreg)(MshvEmu *emu, ZydisRegister reg, uint64_t *value);
} MshvEmuOps;

/* Indices of MshvEmu.gpr: general purpose registers in encoding order. */
enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI };

struct MshvEmu {
    const MshvEmuOps *ops;
    void *opaque;
    ZydisMachineMode mode;
    uint64_t gpr[16];           /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI... */
    uint64_t rip;
    uint64_t rflags;
    /*
     * What alignment checking depends on besides RFLAGS.AC: #AC for a
     * misaligned data access at CPL 3 with CR0.AM set.
     */
    uint8_t cpl;
    bool cr0_am;
    uint32_t gpr_written;       /* bit n: gpr[n] changed */
    /*
     * Segment registers the instruction loaded, for the caller to write
     * back with the others (bit n of seg_written: seg_new[n]); and MOV or
     * POP SS's blocking of interrupts and debug traps until the next
     * instruction has run.
     */
    MshvEmuSeg seg_new[MSHV_EMU_SEGS];
    uint8_t seg_written;
    bool ss_shadow;
    /* An IRET completed: the processor unblocks NMIs. */
    bool nmi_unblocked;
    /*
     * The access under way reads or writes a descriptor table: a
     * supervisor access whatever the CPL (for the mem callback).
     */
    bool system_access;
    /*
     * A REP iteration ran and more remain (RIP stays on the instruction):
     * under RFLAGS.TF the processor traps after it all the same.
     */
    bool iterated;
    /* MSHV_EMU_FAULT: the exception, as the instruction raises it */
    uint8_t fault_vector;
    bool fault_has_code;
    uint32_t fault_code;
};

typedef enum MshvEmuResult {
    /* executed; RIP advanced, unless a REP string op has iterations left */
    MSHV_EMU_DONE,
    MSHV_EMU_UNSUPPORTED,       /* not an instruction we execute: #UD */
    MSHV_EMU_STOPPED,           /* a memory callback failed */
    /*
     * the instruction raises an exception (#DE, #GP(0) for a
     * non-canonical target ...): nothing changed, the caller injects
     * EMU->fault_*
     */
    MSHV_EMU_FAULT,
} MshvEmuResult;

/* Execute INSN (decoded in EMU->mode) on EMU's registers. */
MshvEmuResult mshv_emu_exec(MshvEmu *emu, const ZydisDecodedInstruction *insn,
                            const ZydisDecodedOperand *operands);

#endif /* TARGET_I386_MSHV_EMU_H */
