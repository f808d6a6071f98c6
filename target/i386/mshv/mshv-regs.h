/*
 * MSHV register table: the one place that says how each Microsoft
 * Hypervisor register name maps to QEMU's CPUX86State.
 *
 * The MSHV accelerator uses it to fill CPUX86State from
 * HVCALL_GET_VP_REGISTERS and to build HVCALL_SET_VP_REGISTERS; the MSHV
 * simulator uses it the other way round to answer those hypercalls from
 * its TCG CPUs.  Accessors touch only CPUX86State fields; whoever runs
 * the CPU recomputes derived state (hflags, TLB) after a set.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_REGS_H
#define TARGET_I386_MSHV_REGS_H

#include "hw/hyperv/mshv-abi.h"

typedef struct MshvReg MshvReg;

struct MshvReg {
    uint32_t name;              /* enum hv_register_name */
    const char *label;
    void (*get)(const MshvReg *reg, CPUX86State *env,
                union hv_register_value *value);
    void (*set)(const MshvReg *reg, CPUX86State *env,
                const union hv_register_value *value);
    size_t offset;              /* for plain 64-bit fields of CPUX86State */
    unsigned index;             /* for arrays: which element */
    /*
     * Written only with the whole state (reset, load): registers that move
     * by themselves, and the partition's own, which a VP's stale copy
     * must not overwrite.
     */
    bool whole_state_only;
    /*
     * Written after every other register of a whole state: the TSC, which
     * a TSC_ADJUST write moves.
     */
    bool put_last;
    /*
     * Whether a VP of ENV's CPU model has the register (NULL: every VP):
     * the hypervisor refuses the MSRs of features the processor lacks.
     */
    bool (*present)(const CPUX86State *env);
};

/* Every register the table knows, in hypervisor-name order. */
extern const MshvReg mshv_regs[];
extern const size_t mshv_regs_count;

/* The entry for NAME, or NULL when the table does not know it. */
const MshvReg *mshv_reg_find(uint32_t name);

/*
 * mshv-regpage.c: copy the register-page classes in DIRTY
 * (HV_X64_REGISTER_CLASS_* bits) into ENV: what a VMM wrote to the page,
 * as the hypervisor consumes it; fill every field of the page from ENV,
 * as the hypervisor does at an intercept (the valid and dirty flags are
 * the caller's).
 */
void mshv_regs_from_page(const struct hv_vp_register_page *rp,
                         uint32_t dirty, CPUX86State *env);
void mshv_regs_to_page(CPUX86State *env, struct hv_vp_register_page *rp);

/* False for registers the guest's VMM cannot set (read-only ones). */
bool mshv_reg_is_writable(const MshvReg *reg);

#endif /* TARGET_I386_MSHV_REGS_H */
