/*
 * MSHV accelerator, x86: its per-vCPU state, and what its files share
 * (mshv_x86_*; docs/devel/mshv/accelerator.rst, "Naming")
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_X86_H
#define TARGET_I386_MSHV_X86_H

#include "hw/hyperv/mshv-abi.h"
#include "system/mshv_int.h"
#include "mshv-decode.h"
#include "mshv-emu.h"
#include "mshv-exit.h"

/* x86 per-vCPU state, around the accelerator's (CPUState::accel). */
typedef struct MshvX86CPUState {
    AccelCPUState accel;
    struct hv_vp_register_page *regs;   /* NULL: no register page */
    bool extint_window;         /* PIC interrupt window requested */
    uint32_t sints_wanted;      /* SINT-deliverable requests to make */
    uint16_t sints_notify;      /* ... made (vCPU thread) */
    /*
     * The VP's XSAVE area as the hypervisor last gave it (compacted);
     * components QEMU does not model go back unchanged.
     */
    void *xsave;
    uint32_t xsave_size;        /* page multiple */
    /*
     * The SynIC message and event pages (overlay pages the hypervisor
     * keeps) as migration carries them; NULL without a SynIC.
     */
    void *synic_pages;
    /* ... and the synthetic timers' state; NULL without them */
    struct hv_synthetic_timers_state *stimers;
    bool synic_pages_loaded;    /* ... arrived, for the hypervisor */
    bool keep_tsc;              /* hot-plugged, its state not yet put */
    struct MshvX86Migration *migration;     /* mshv-migration.c */
    struct MshvX86Opaque *opaque;           /* mshv-opaque.c */
} MshvX86CPUState;

static inline MshvX86CPUState *mshv_x86_cpu_state(CPUState *cpu)
{
    return container_of(cpu->accel, MshvX86CPUState, accel);
}

/* General purpose registers, RAX... R15 (R_EAX... order). */
#define MSHV_X86_GPRS   16

/*
 * The segment registers an intercept message carries, indexed R_ES...
 * R_GS; NULL for those it does not.
 */
typedef const struct hv_x64_segment_register *MshvX86KnownSegs[6];

/* Guest memory by linear address, with a one-page translation cache. */
typedef struct MshvX86Mem {
    CPUState *cpu;
    bool paging;
    bool user;                  /* a user access: a page fault says so */
    bool cpl3;                  /* the VP is at CPL 3 */
    bool faulted;               /* a #PF for the guest is pending */
    bool probe;                 /* a refused access raises no #PF */
    uint64_t page_gva;          /* -1: nothing cached */
    uint64_t page_gpa;
    bool page_writable;
    bool page_user;             /* translated for a user access */
} MshvX86Mem;

/* mshv-apic.c: HVCALL_ASSERT_VIRTUAL_INTERRUPT; 0 or -errno. */
int mshv_x86_assert_interrupt(uint32_t type, uint64_t dest, bool logical,
                              bool level, uint32_t vector);

/* mshv-cpu.c: one register of the stopped VP */

/* One register by hypercall; failures are reported (WHAT) and stop the VM. */
int mshv_x86_lint0_accepts_pic(CPUState *cpu);
int mshv_x86_get_reg(CPUState *cpu, uint32_t name,
                     union hv_register_value *value);
int mshv_x86_set_reg(CPUState *cpu, uint32_t name,
                     const union hv_register_value *value, const char *what);
/* A segment register of the stopped VP (register page, else hypercall). */
struct hv_x64_segment_register mshv_x86_segment(CPUState *cpu, int seg);

/* mshv-gmem.c: guest memory as the emulated instruction reaches it */

void mshv_x86_mem_init(MshvX86Mem *mem, CPUState *cpu,
                       uint16_t execution_state);
/*
 * 0; -EFAULT when the guest's page tables refuse the access, as they
 * would the instruction's own: a #PF is then pending for the guest
 * (mem->faulted), and the caller leaves the instruction unfinished, for
 * the guest to run again after its handler; or -1 after stopping the VM
 * with the reason.
 */
int mshv_x86_mem_rw(MshvX86Mem *mem, uint64_t linear, void *buf,
                    unsigned size, bool write);
/* The same checks, for an access still to come: 0, -EFAULT or -1. */
int mshv_x86_mem_check(MshvX86Mem *mem, uint64_t linear, unsigned size,
                       bool write);

/*
 * An intercepted instruction the executor (mshv-emu*.c) runs on the
 * stopped VP, and the executor callbacks for its memory and segments.
 */
typedef struct MshvX86EmuVp {
    MshvEmu emu;
    CPUState *cpu;
    MshvX86Mem mem;
    MshvX86KnownSegs segs;
} MshvX86EmuVp;

/*
 * Complete BYTES, LEN of them from an intercept message, with the rest of
 * the instruction at CS:RIP read from guest memory (up to 15 bytes, as
 * far as the pages translate for execution).  Returns the new length.
 */
unsigned mshv_x86_fetch_insn(MshvX86Mem *mem,
                             const struct hv_x64_intercept_message_header *h,
                             uint8_t *bytes, unsigned len);
/*
 * Decode the intercepted instruction: from the message's BYTES (LEN), or,
 * when they are not all of it, with the rest fetched from guest memory.
 */
bool mshv_x86_decode_intercept(MshvX86Mem *mem,
                               const struct hv_x64_intercept_message_header *h,
                               const uint8_t *bytes, unsigned len,
                               ZydisDecodedInstruction *insn,
                               ZydisDecodedOperand *operands);

/* MshvEmuOps.mem: mshv_x86_mem_rw(), or with BUF NULL _check(). */
int mshv_x86_emu_mem(MshvEmu *emu, uint64_t linear, void *buf,
                     unsigned size, bool write);
/* MshvEmuOps.seg: the VP's segment and descriptor table registers */
int mshv_x86_emu_seg(MshvEmu *emu, ZydisRegister reg, MshvEmuSeg *seg);
/* MshvEmuOps.sysreg: CR0 and CR4 of the VP. */
int mshv_x86_emu_sysreg(MshvEmu *emu, ZydisRegister reg, uint64_t *value);
/*
 * Bits 255:128 of YMM register INDEX, through the VP's XSAVE state; a
 * write zeroes the register's bits above 255 (MshvEmuOps.ymm_high).
 */
int mshv_x86_ymm_high(CPUState *cpu, unsigned index, uint8_t value[16],
                      bool write);
/*
 * MshvEmuOps.zmm and .kreg: AVX-512 register state through the VP's
 * XSAVE state.
 */
int mshv_x86_zmm(CPUState *cpu, unsigned index, uint8_t *value, bool write);
int mshv_x86_kreg(CPUState *cpu, unsigned index, uint64_t *value);
/* MMX register INDEX through the x87 registers (MshvEmuOps.mmx). */
int mshv_x86_mmx(CPUState *cpu, unsigned index, uint64_t *value, bool write);
/* Inject the exception the executor's instruction raised (MSHV_EMU_FAULT) */
int mshv_x86_emu_fault(MshvX86EmuVp *vp);

/* mshv-complete.c: finishing an intercepted instruction */

/*
 * Finish the instruction intercepted at @at: RIP, RFLAGS unless @rflags
 * is NULL, and each GPR whose bit is set in @gpr_written (bit n:
 * @gpr[n]), in one register-page write or one hypercall.  An instruction
 * that ran with RFLAGS.TF and moved RIP on then traps, as on hardware:
 * #DB with DR6.BS.
 */
int mshv_x86_complete(CPUState *cpu,
                      const struct hv_x64_intercept_message_header *at,
                      uint64_t rip, const uint64_t *rflags,
                      const uint64_t *gpr, uint32_t gpr_written);
/*
 * The same for an instruction the executor ran: also the segment
 * registers it loaded and the interrupt shadow of a load of SS, and
 * RFLAGS only if @set_rflags; a REP iteration that ran traps under TF.
 */
int mshv_x86_complete_emulated(CPUState *cpu,
                               const struct hv_x64_intercept_message_header *at,
                               const MshvEmu *emu, bool set_rflags);

/*
 * Make exception VECTOR pending, to be raised when the VP runs again in
 * place of the instruction; failures are reported (WHAT) and stop the VM.
 */
int mshv_x86_inject_exception(CPUState *cpu, unsigned vector,
                              bool has_error_code, uint32_t error_code,
                              const char *what);
/* Raise #UD in the guest for an instruction QEMU cannot emulate. */
int mshv_x86_inject_ud(CPUState *cpu, const char *why);

/* mshv-cpuid.c: the VP's CPUID, from the CPU model */
int mshv_x86_setup_cpuid(CPUState *cpu, Error **errp);
/* How many subleaves of CPUID @leaf to program or ask for (0: no ECX). */
unsigned mshv_x86_cpuid_subleaf_count(uint32_t leaf);

/*
 * mshv-migration.c: the vCPU's "mshv-cpu" migration section, whose load
 * refuses state this vCPU cannot take.
 */
typedef struct MshvX86Migration MshvX86Migration;
void mshv_x86_migration_init(CPUState *cpu);
void mshv_x86_migration_destroy(CPUState *cpu);
/* An incoming stream refused: what this vCPU lacks (" a, b"), and why. */
void mshv_x86_migration_refuse(CPUState *cpu, const char *lack);

/*
 * mshv-opaque.c: the VP's state CPUX86State has no place for (XSAVE
 * components, CET and crash registers): its migration section, its
 * reset, and its put with the rest of the VP's state (0 or -1).
 */
typedef struct MshvX86Opaque MshvX86Opaque;
void mshv_x86_opaque_init(CPUState *cpu);
void mshv_x86_opaque_destroy(CPUState *cpu);
void mshv_x86_opaque_reset(CPUState *cpu);
int mshv_x86_opaque_put(CPUState *cpu);

/* mshv-io.c, mshv-mmio.c: the intercepts; 0, or -1 to stop the vCPU */
int mshv_x86_handle_io(CPUState *cpu, const struct hv_message *msg);
int mshv_x86_handle_mmio(CPUState *cpu, const struct hv_message *msg);

/* mshv-synic.c: QEMU's Hyper-V devices on the hypervisor's SynIC */
void mshv_x86_synic_vcpu_init(CPUState *cpu);
void mshv_x86_synic_vcpu_destroy(CPUState *cpu);
/* The SynIC pages an incoming migration brought, once the SIMP is set. */
int mshv_x86_synic_put_pages(CPUState *cpu);
void mshv_x86_synic_ready(CPUState *cpu, const struct hv_message *msg);
int mshv_x86_handle_hypercall(CPUState *cpu, const struct hv_message *msg);

#endif /* TARGET_I386_MSHV_X86_H */
