/*
 * Hooks that let a hypervisor built on x86 TCG (the MSHV simulator) take
 * over what a hardware hypervisor intercepts: port I/O, accesses the
 * memory map cannot serve (unmapped GPAs, writes to read-only regions),
 * CPUID, MSRs, exceptions, EOIs of level-triggered vectors and triple
 * faults.  With no hooks installed (every other machine) TCG behaves
 * exactly as before.
 *
 * The cpuid hook may change the result of every CPUID instruction.
 *
 * A hook that takes an instruction over does not return: it stops the
 * instruction before it has any effect (cpu_restore_state with the given
 * retaddr, then cpu_loop_exit), so the guest's architectural state is
 * that of the instruction's start.  An exception taken over is left
 * undelivered the same way.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_TCG_HV_HOOKS_H
#define TARGET_I386_TCG_HV_HOOKS_H

#include "exec/memattrs.h"
#include "exec/mmu-access-type.h"

typedef struct X86TcgHvHooks {
    /* IN/OUT/INS/OUTS; *data is the value written (OUT).  */
    void (*io)(CPUX86State *env, uint32_t port, unsigned size,
               bool is_write, uint32_t data, uintptr_t retaddr);
    /* A load or store the memory map answered with an error. */
    void (*transaction_failed)(CPUState *cs, hwaddr physaddr, vaddr addr,
                               unsigned size, MMUAccessType access_type,
                               MemTxAttrs attrs, MemTxResult response,
                               uintptr_t retaddr);
    /*
     * CPUID: the result computed from the CPU model, to override, or
     * the instruction to take over.
     */
    void (*cpuid)(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
                  uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                  uint32_t *edx, uintptr_t retaddr);
    /*
     * RDMSR/WRMSR of @index (*value: the value written, or read):
     * 0 not the hypervisor's (TCG goes on), 1 done, -1 #GP.
     */
    int (*msr)(CPUX86State *env, uint32_t index, bool is_write,
               uint64_t *value, uintptr_t retaddr);
    /*
     * RDMSR/WRMSR of an MSR TCG does not implement, which it would read
     * as 0 and ignore writes to: 0 do that (*value: what a read gives),
     * -1 #GP.
     */
    int (*msr_unimplemented)(CPUX86State *env, uint32_t index,
                             bool is_write, uint64_t *value,
                             uintptr_t retaddr);
    /*
     * Exception @vector (below 32; @is_int: raised by INT n, INT3 or
     * INTO, @next_eip the instruction after it) about to be delivered.
     */
    void (*exception)(CPUX86State *env, int vector, bool is_int,
                      int error_code, target_ulong next_eip);
    /* The vector of a pending ExtINT, or -1 (no APIC vector pending). */
    int (*pic_interrupt)(CPUX86State *env);
    /* Whether pic_interrupt has work (checked when an APIC vector won). */
    bool (*pic_pending)(CPUX86State *env);
    /* The APIC gave the CPU @vector (its ISR bit now set). */
    void (*apic_interrupt)(CPUX86State *env, int vector);
    /*
     * The APIC EOIed a level-triggered vector (TMR set), which would go
     * to the IOAPIC; called from within the EOI write, which completes.
     */
    void (*level_eoi)(CPUX86State *env, int vector);
    /* A third fault while delivering a double fault. */
    void (*triple_fault)(CPUX86State *env);
} X86TcgHvHooks;

extern const X86TcgHvHooks *x86_tcg_hv_hooks;

#endif /* TARGET_I386_TCG_HV_HOOKS_H */
