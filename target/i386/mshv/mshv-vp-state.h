/*
 * MSHV VP state blobs (MSHV_GET/SET_VP_STATE) <-> QEMU's x86 state
 *
 * The one place that says how the hypervisor's LAPIC page and compacted
 * XSAVE area map to APICCommonState and CPUX86State.  The MSHV
 * accelerator reads and writes its VPs' state through it; the MSHV
 * simulator answers the same requests from its TCG CPUs with it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_VP_STATE_H
#define TARGET_I386_MSHV_VP_STATE_H

#include "hw/hyperv/mshv-abi.h"
#include "hw/i386/apic_internal.h"

/* XCOMP_BV bit 63: the area is in the compacted format. */
#define MSHV_XSAVE_COMPACTED    (1ULL << 63)

/* Supervisor components: CET's user state and its ring 0-2 stacks. */
#define MSHV_XSAVE_CET_U        11
#define MSHV_XSAVE_CET_S        12

/*
 * The LAPIC page from @s; the current count is computed now
 * (QEMU_CLOCK_VIRTUAL) from the count's load time.
 */
void mshv_lapic_state_from_apic(APICCommonState *s,
                                struct hv_local_interrupt_controller_state *l);

/*
 * @s from the LAPIC page; the load time is set so that the count reads
 * l->apic_counter_value now.  The APIC ID is the VP's and stays.
 */
void mshv_lapic_state_to_apic(
    const struct hv_local_interrupt_controller_state *l, APICCommonState *s);

/* An empty compacted XSAVE area for the components in @xcomp_bv. */
void mshv_xsave_init(void *buf, uint64_t xcomp_bv);

/* Bytes of a compacted XSAVE area holding the components in @xcomp_bv. */
size_t mshv_xsave_compacted_size(uint64_t xcomp_bv);

/*
 * Fill the components QEMU models in the compacted area @buf (its
 * XCOMP_BV already says which there are) from @cpu; components QEMU
 * does not model keep what @buf had.  False: @buf is not a compacted
 * area of at most @len bytes whose components are all known.
 */
bool mshv_xsave_from_cpu(X86CPU *cpu, void *buf, size_t len);

/* @cpu's FPU, SSE and extended state from the compacted area @buf. */
bool mshv_xsave_to_cpu(const void *buf, size_t len, X86CPU *cpu);

/*
 * The components of the compacted area @buf that QEMU's CPU state has no
 * place for (the hypervisor keeps them; the accelerator carries them
 * whole).
 */
uint64_t mshv_xsave_unmodelled(const void *buf);

/* XSTATE_BV of @buf: the components not in their initial state. */
uint64_t mshv_xsave_in_use(const void *buf);
void mshv_xsave_set_in_use(void *buf, uint64_t xstate_bv);

/*
 * Component @i (2 and up) of the compacted area @buf of @len bytes, and
 * its size in *@size; NULL if the area has none.
 */
uint8_t *mshv_xsave_component_at(void *buf, size_t len, unsigned i,
                                 uint32_t *size);

#endif /* TARGET_I386_MSHV_VP_STATE_H */
