/*
 * Hooks that let a hypervisor built on x86 TCG (the MSHV simulator) take
 * over what a hardware hypervisor intercepts: port I/O, accesses the
 * memory map cannot serve (unmapped GPAs, writes to read-only regions),
 * CPUID, MSRs, exceptions, x87 errors reported through FERR#, external
 * interrupts, EOIs of level-triggered vectors, triple faults and INIT.
 *
 * The base calls the x86_hv_*() wrappers below, one line at each hook
 * point (the patches tcg-x86-hypervisor-hooks and
 * x86-apic-tcg-hypervisor-hooks; docs/devel/mshv/base.rst); all they do
 * is check the one pointer x86_tcg_hv_hooks.  Without hooks installed
 * (every other machine) TCG and the APIC behave exactly as before.  A
 * hypervisor installs every hook.
 *
 * A hook that takes an instruction over does not return: it stops the
 * instruction before it has any effect (cpu_restore_state with the given
 * retaddr, then cpu_loop_exit), so the guest's architectural state is
 * that of the instruction's start.  An exception taken over is left
 * undelivered the same way.  A hook that faults the instruction raises
 * the exception itself (raise_exception_err_ra with retaddr).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_TCG_HV_HOOKS_H
#define TARGET_I386_TCG_HV_HOOKS_H

#include "exec/memattrs.h"
#include "exec/mmu-access-type.h"

typedef struct X86TcgHvHooks {
    /* IN/OUT/INS/OUTS; @data is the value written (OUT).  */
    void (*io)(CPUX86State *env, uint32_t port, unsigned size,
               bool is_write, uint32_t data, uintptr_t retaddr);
    /*
     * A load or store the memory map answered with an error; @mmu_idx
     * MMU_PHYS_IDX: the page walk's own read of a paging entry.
     */
    void (*transaction_failed)(CPUState *cs, hwaddr physaddr, vaddr addr,
                               unsigned size, MMUAccessType access_type,
                               int mmu_idx, MemTxAttrs attrs,
                               MemTxResult response, uintptr_t retaddr);
    /*
     * CPUID: the result computed from the CPU model, to override, or
     * the instruction to take over.
     */
    void (*cpuid)(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
                  uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                  uint32_t *edx, uintptr_t retaddr);
    /*
     * RDMSR/WRMSR of @index (@value: the value written): true if the
     * hypervisor completed it (a read's result is then in EDX:EAX), false
     * if it is not the hypervisor's (TCG goes on).
     */
    bool (*msr)(CPUX86State *env, uint32_t index, bool is_write,
                uint64_t value, uintptr_t retaddr);
    /*
     * RDMSR/WRMSR of an MSR TCG does not implement, which it would read
     * as 0 and ignore writes to: *@value is what a read gives.
     */
    void (*msr_unimplemented)(CPUX86State *env, uint32_t index,
                              bool is_write, uint64_t *value,
                              uintptr_t retaddr);
    /*
     * Exception @vector (below 32; @is_int: raised by INT n, INT3 or
     * INTO, @next_eip the instruction after it) about to be delivered.
     */
    void (*exception)(CPUX86State *env, int vector, bool is_int,
                      int error_code, target_ulong next_eip);
    /*
     * No APIC vector is pending: the vector of the hypervisor's pending
     * ExtINT, or -1 (it raises no interrupt cycle then).
     */
    int (*pic_interrupt)(CPUX86State *env);
    /* Whether pic_interrupt has work (ExtINT ignores APIC priorities). */
    bool (*pic_pending)(CPUX86State *env);
    /* The APIC gave the CPU @vector (its ISR bit now set). */
    void (*apic_interrupt)(CPUX86State *env, int vector);
    /*
     * The APIC EOIed a level-triggered vector (TMR set), which would go
     * to the IOAPIC; called from within the EOI write, which completes.
     */
    void (*level_eoi)(CPUX86State *env, int vector);
    /*
     * An x87 error pending at a waiting instruction while CR0.NE is
     * clear (FERR#, where #MF would be with NE set): taken over.
     */
    void (*legacy_fp_error)(CPUX86State *env, uintptr_t retaddr);
    /* A third fault while delivering a double fault. */
    void (*triple_fault)(CPUX86State *env);
    /*
     * INIT reset the CPU (do_cpu_init); @before is its state until then,
     * for what the hypervisor keeps across INIT that QEMU resets.
     */
    void (*init)(CPUX86State *env, const CPUX86State *before);
    /*
     * The TSC's count at this machine's TSC count @ticks: the
     * hypervisor's host may run its TSC at another rate.
     */
    uint64_t (*tsc)(uint64_t ticks);
} X86TcgHvHooks;

#if defined(CONFIG_TCG) && !defined(CONFIG_USER_ONLY)
extern const X86TcgHvHooks *x86_tcg_hv_hooks;

static inline const X86TcgHvHooks *x86_hv_hooks(void)
{
    return unlikely(x86_tcg_hv_hooks) ? x86_tcg_hv_hooks : NULL;
}
#else
static inline const X86TcgHvHooks *x86_hv_hooks(void)
{
    return NULL;
}
#endif

/* Port I/O helpers, before the access. */
static inline void x86_hv_io(CPUX86State *env, uint32_t port, unsigned size,
                             bool is_write, uint32_t data, uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->io(env, port, size, is_write, data, ra);
    }
}

/* helper_cpuid, on the model's result. */
static inline void x86_hv_cpuid(CPUX86State *env, uint32_t *eax,
                                uint32_t *ebx, uint32_t *ecx, uint32_t *edx,
                                uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->cpuid(env, env->regs[R_EAX], env->regs[R_ECX], eax, ebx, ecx, edx,
                 ra);
    }
}

/* helper_rdmsr/helper_wrmsr, first: true if done (return then). */
static inline bool x86_hv_msr(CPUX86State *env, bool is_write,
                              uint64_t value, uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    return h && h->msr(env, env->regs[R_ECX], is_write, value, ra);
}

/* helper_rdmsr/helper_wrmsr, at an MSR TCG lacks (a read's *@value). */
static inline void x86_hv_msr_unimplemented(CPUX86State *env, bool is_write,
                                            uint64_t *value, uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->msr_unimplemented(env, env->regs[R_ECX], is_write, value, ra);
    }
}

/* x86_cpu_do_interrupt, before an exception is delivered. */
static inline void x86_hv_exception(CPUX86State *env, CPUState *cs)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h && cs->exception_index < 32) {
        h->exception(env, cs->exception_index, env->exception_is_int,
                     env->error_code, env->exception_next_eip);
    }
}

/* A triple fault: true if the hypervisor took it (no reset request). */
static inline bool x86_hv_triple_fault(CPUX86State *env)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->triple_fault(env);
    }
    return h;
}

/* TCGCPUOps::do_transaction_failed (real x86 ignores them). */
static inline void x86_hv_transaction_failed(CPUState *cs, hwaddr physaddr,
                                             vaddr addr, unsigned size,
                                             MMUAccessType access_type,
                                             int mmu_idx, MemTxAttrs attrs,
                                             MemTxResult response,
                                             uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->transaction_failed(cs, physaddr, addr, size, access_type, mmu_idx,
                              attrs, response, ra);
    }
}

/* The APIC gave the CPU @vector. */
static inline void x86_hv_apic_interrupt(CPUX86State *env, int vector)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->apic_interrupt(env, vector);
    }
}

/*
 * No APIC vector: true if the hypervisor answers the interrupt cycle
 * (*@vector, or -1) instead of the 8259, which it has none of.
 */
static inline bool x86_hv_pic_interrupt(CPUX86State *env, int *vector)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        *vector = h->pic_interrupt(env);
    }
    return h;
}

/*
 * The hypervisor has ExtINT work for the CPU: the APIC raises
 * CPU_INTERRUPT_HARD again (not just keeps it: handling a poll took
 * TCG's one look at interrupts, and the ExtINT must be taken at the next
 * instruction boundary), and the 8259's output counts as up.
 */
static inline bool x86_hv_extint_pending(CPUX86State *env)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    return h && h->pic_pending(env);
}

/* A level-triggered EOI: true if the hypervisor took it from the IOAPIC. */
static inline bool x86_hv_level_eoi(CPUX86State *env, int vector)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->level_eoi(env, vector);
    }
    return h;
}

/* fpu_raise_exception with CR0.NE clear, before FERR# is raised. */
static inline void x86_hv_legacy_fp_error(CPUX86State *env, uintptr_t ra)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->legacy_fp_error(env, ra);
    }
}

/* do_cpu_init, once the CPU is reset. */
static inline void x86_hv_init(CPUX86State *env, const CPUX86State *before)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    if (h) {
        h->init(env, before);
    }
}

/* cpu_get_tsc: what the guest's TSC counts from. */
static inline uint64_t x86_hv_tsc(uint64_t ticks)
{
    const X86TcgHvHooks *h = x86_hv_hooks();

    return h ? h->tsc(ticks) : ticks;
}

#endif /* TARGET_I386_TCG_HV_HOOKS_H */
