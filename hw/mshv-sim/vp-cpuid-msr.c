/*
 * MSHV simulator: CPUID and MSRs as a VP sees them
 *
 * CPUID: the CPU model's answer, the hypervisor's leaves, and what the VMM
 * registered (HVCALL_REGISTER_INTERCEPT_RESULT); MSRs: the hypervisor's
 * own, the processor's that TCG lacks, and for the rest the VMM's
 * intercept or the unimplemented-MSR action.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "exec/exec-all.h"
#include "tcg/helper-tcg.h"
#include "vp.h"
#include "trace.h"

/* What the VMM registered for @leaf/@subleaf, over @regs. */
static void mshv_sim_vp_cpuid_registered(MshvSimVp *vp, uint32_t leaf,
                                         uint32_t subleaf, uint32_t regs[4])
{
    unsigned i, r;

    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->cpuid->len; i++) {
        MshvSimCpuid *c = &g_array_index(vp->cpuid, MshvSimCpuid, i);

        if (c->leaf == leaf &&
            (!c->subleaf_specific || c->subleaf == subleaf)) {
            for (r = 0; r < 4; r++) {
                regs[r] = (regs[r] & ~c->mask[r]) |
                          (c->value[r] & c->mask[r]);
            }
            break;
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
}

/*
 * CPUID as the VP sees it: the model's answer, the hypervisor's leaves,
 * and, with REGISTERED, what the VMM registered on top; then the bits
 * the VP's own state sets.
 */
static void mshv_sim_vp_cpuid(MshvSimVp *vp, uint32_t leaf, uint32_t subleaf,
                              bool registered, uint32_t regs[4])
{
    cpu_x86_cpuid(&vp->cpu->env, leaf, subleaf, &regs[0], &regs[1], &regs[2],
                  &regs[3]);
    /*
     * A child partition has no nested virtualization (TCG's "max" has);
     * its LAPIC timer has TSC-deadline mode (lapic-timer.c).
     */
    if (leaf == 1) {
        regs[2] &= ~CPUID_EXT_VMX;
        regs[2] |= CPUID_EXT_TSC_DEADLINE_TIMER;
    } else if (leaf == 0x80000001) {
        regs[2] &= ~CPUID_EXT3_SVM;
    } else if (leaf == 0x8000000a) {
        memset(regs, 0, 4 * sizeof(regs[0]));
    }
    /* The hypervisor leaves are the hypervisor's, never TCG's own. */
    mshv_sim_hv_cpuid(vp->pt, leaf, &regs[0], &regs[1], &regs[2], &regs[3]);
    if (registered) {
        mshv_sim_vp_cpuid_registered(vp, leaf, subleaf, regs);
    }
    /* As the processor's: no APIC bit while the guest has it disabled. */
    if (leaf == 1 && vp->cpu->apic_state &&
        !(cpu_get_apic_base(vp->cpu->apic_state) & MSR_IA32_APICBASE_ENABLE)) {
        regs[3] &= ~CPUID_APIC;
    }
}

/* Every CPUID the guest executes. */
void mshv_sim_hook_cpuid(CPUX86State *env, uint32_t leaf,
                         uint32_t subleaf, uint32_t *eax,
                         uint32_t *ebx, uint32_t *ecx, uint32_t *edx,
                         uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_cpu_vp(env_cpu(env));
    uint32_t regs[4];

    if (!vp) {
        return;
    }
    mshv_sim_vp_cpuid(vp, leaf, subleaf, true, regs);
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_CPUID, leaf, 0) ||
        mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID, 0,
                             0)) {
        mshv_sim_vp_cpuid_intercept(vp, regs, retaddr);
    }
    *eax = regs[0];
    *ebx = regs[1];
    *ecx = regs[2];
    *edx = regs[3];
}

/* The XSAVE area size for COMPONENTS, standard or compacted (leaf 0xD). */
static uint32_t mshv_sim_xsave_size(MshvSimVp *vp, uint64_t components,
                                    bool compacted)
{
    uint32_t size = 576, offset = 576, regs[4];
    unsigned i;

    for (i = 2; i < 64; i++) {
        if (!(components & (1ULL << i))) {
            continue;
        }
        mshv_sim_vp_cpuid(vp, 0xd, i, false, regs);
        if (compacted) {
            if (regs[2] & 2) {      /* 64-byte aligned */
                offset = ROUND_UP(offset, 64);
            }
            offset += regs[0];
            size = offset;
        } else {
            size = MAX(size, regs[1] + regs[0]);
        }
    }
    return size;
}

/* HVCALL_GET_VP_CPUID_VALUES */
uint16_t mshv_sim_vp_cpuid_values(MshvSimVp *vp, uint32_t flags,
                                  const struct hv_cpuid_leaf_info *leaves,
                                  unsigned n,
                                  struct hv_output_get_vp_cpuid_values *out)
{
    bool registered = flags & HV_GET_VP_CPUID_APPLY_REGISTERED_VALUES;
    unsigned i;

    for (i = 0; i < n; i++) {
        uint32_t regs[4];

        mshv_sim_vp_cpuid(vp, leaves[i].eax, leaves[i].ecx, registered,
                          regs);
        if (leaves[i].eax == 0xd && leaves[i].ecx <= 1 &&
            !(flags & HV_GET_VP_CPUID_USE_VP_XFEM_XSS)) {
            /* Sizes for the components asked about, not the VP's own. */
            regs[1] = leaves[i].ecx == 0
                ? mshv_sim_xsave_size(vp, leaves[i].xfem, false)
                : mshv_sim_xsave_size(vp, leaves[i].xfem | leaves[i].xss,
                                      true);
        }
        out[i].eax = regs[0];
        out[i].ebx = regs[1];
        out[i].ecx = regs[2];
        out[i].edx = regs[3];
    }
    return HV_STATUS_SUCCESS;
}

uint16_t mshv_sim_vp_register_cpuid(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_cpuid *in)
{
    MshvSimCpuid c = {
        .leaf = in->input_eax,
        .subleaf = in->input_ecx,
        .subleaf_specific = in->subleaf_specific,
        .value = { in->eax, in->ebx, in->ecx, in->edx },
        .mask = { in->eax_mask, in->ebx_mask, in->ecx_mask, in->edx_mask },
    };
    unsigned i;

    trace_mshv_sim_vp_register_cpuid(vp->index, c.leaf, c.subleaf,
                                     c.subleaf_specific ? " (subleaf)" : "",
                                     in->eax, in->ebx, in->ecx, in->edx);
    trace_mshv_sim_vp_register_cpuid_masks(in->eax_mask, in->ebx_mask,
                                           in->ecx_mask, in->edx_mask);
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->cpuid->len; i++) {
        MshvSimCpuid *old = &g_array_index(vp->cpuid, MshvSimCpuid, i);

        if (old->leaf == c.leaf &&
            old->subleaf_specific == c.subleaf_specific &&
            (!c.subleaf_specific || old->subleaf == c.subleaf)) {
            *old = c;
            break;
        }
    }
    if (i == vp->cpuid->len) {
        /* Subleaf-specific results first: they win over a whole leaf. */
        if (c.subleaf_specific) {
            g_array_prepend_val(vp->cpuid, c);
        } else {
            g_array_append_val(vp->cpuid, c);
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
    return HV_STATUS_SUCCESS;
}

/* RDMSR/WRMSR: 1 done, 0 not the hypervisor's, -1 #GP. */
static int mshv_sim_msr(CPUX86State *env, uint32_t index, bool is_write,
                        uint64_t *value, uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_cpu_vp(env_cpu(env));
    int ret;

    if (!vp) {
        return 0;
    }
    /* x2APIC mode only where the guest's CPUID offers it, as hardware */
    if (is_write && index == MSR_IA32_APICBASE &&
        (*value & MSR_IA32_APICBASE_EXTD)) {
        uint32_t regs[4];

        mshv_sim_vp_cpuid(vp, 1, 0, true, regs);
        if (!(regs[2] & CPUID_EXT_X2APIC)) {
            return -1;
        }
    }
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_MSR_INDEX, index,
                             is_write ? HV_INTERCEPT_ACCESS_MASK_WRITE :
                                        HV_INTERCEPT_ACCESS_MASK_READ)) {
        mshv_sim_vp_msr_intercept(vp, index, is_write, retaddr);
    }
    ret = mshv_sim_hv_msr(vp, env_cpu(env), index, is_write, value);
    if (ret == 0) {
        ret = mshv_sim_cpu_msr(env_cpu(env), index, is_write, value);
    }
    if (ret > 0 && !is_write && index == MSHV_SIM_MSR_GUEST_IDLE) {
        /* RDMSR done (zero), then as HLT: asleep until an interrupt */
        env->regs[R_EAX] = 0;
        env->regs[R_EDX] = 0;
        env->eip += 2;
        env->hflags &= ~HF_INHIBIT_IRQ_MASK;
        env_cpu(env)->halted = 1;
        env_cpu(env)->exception_index = EXCP_HLT;
        cpu_loop_exit(env_cpu(env));
    }
    if (ret > 0 && is_write && index == HV_X64_MSR_EOM) {
        /* a timer message the slot refused goes first */
        mshv_sim_stimer_eom(vp, env_cpu(env));
        /* a slot the guest emptied: tell the VMM now, after the WRMSR */
        mshv_sim_vp_check_sints(vp);
        if (mshv_sim_vp_report_sints(vp, 2)) {
            mshv_sim_vp_leave(env_cpu(env));
        }
    }
    return ret;
}

bool mshv_sim_hook_msr(CPUX86State *env, uint32_t index, bool is_write,
                       uint64_t value, uintptr_t retaddr)
{
    int ret = mshv_sim_msr(env, index, is_write, &value, retaddr);

    if (ret < 0) {
        raise_exception_err_ra(env, EXCP0D_GPF, 0, retaddr);
    }
    if (ret > 0 && !is_write) {
        env->regs[R_EAX] = (uint32_t)value;
        env->regs[R_EDX] = (uint32_t)(value >> 32);
    }
    return ret > 0;
}

/*
 * An MSR neither the hypervisor nor the processor implements: the VMM's
 * if it installed the MSR intercept, else the action the VMM registered
 * for this MSR, else the partition's unimplemented-MSR action.
 */
void mshv_sim_hook_msr_unimplemented(CPUX86State *env, uint32_t index,
                                     bool is_write, uint64_t *value,
                                     uintptr_t retaddr)
{
    MshvSimVp *vp = mshv_sim_cpu_vp(env_cpu(env));
    uint32_t access = is_write ? HV_INTERCEPT_ACCESS_MASK_WRITE :
                                 HV_INTERCEPT_ACCESS_MASK_READ;
    uint64_t action;
    unsigned i;

    if (!vp) {
        return;
    }
    if (mshv_sim_intercepted(vp->pt, HV_INTERCEPT_TYPE_X64_MSR, 0, access)) {
        mshv_sim_vp_msr_intercept(vp, index, is_write, retaddr);
    }
    action = qatomic_read(&vp->pt->unimplemented_msr_action);
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->msr_results->len; i++) {
        MshvSimMsrResult *r = &g_array_index(vp->msr_results,
                                             MshvSimMsrResult, i);

        if (r->index == index && (r->access & access)) {
            action = r->action;
            break;
        }
    }
    qemu_mutex_unlock(&vp->results_lock);
    trace_mshv_sim_msr_unimplemented(vp->index, index, is_write, action);
    if (action == HV_UNIMPLEMENTED_MSR_ACTION_FAULT) {
        raise_exception_err_ra(env, EXCP0D_GPF, 0, retaddr);
    }
    *value = 0;
}

uint16_t mshv_sim_vp_register_msr_result(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_msr *in)
{
    MshvSimMsrResult r = {
        .index = in->msr_index,
        .access = in->access_type,
        .action = in->action,
    };
    unsigned i;

    if ((r.access & ~(HV_INTERCEPT_ACCESS_MASK_READ |
                      HV_INTERCEPT_ACCESS_MASK_WRITE)) ||
        r.action > HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    qemu_mutex_lock(&vp->results_lock);
    for (i = 0; i < vp->msr_results->len; i++) {
        MshvSimMsrResult *old = &g_array_index(vp->msr_results,
                                               MshvSimMsrResult, i);

        if (old->index == r.index && old->access == r.access) {
            g_array_remove_index(vp->msr_results, i);
            break;
        }
    }
    /* the newest first: it wins where access masks overlap */
    g_array_prepend_val(vp->msr_results, r);
    qemu_mutex_unlock(&vp->results_lock);
    return HV_STATUS_SUCCESS;
}
