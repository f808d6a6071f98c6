/*
 * MSHV simulator: a VP's registers
 *
 * The register page (filled at each stop, taken back at each entry and
 * before a register hypercall) and HVCALL_GET/SET_VP_REGISTERS, through
 * the shared register table (target/i386/mshv/mshv-regs.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "exec/cputlb.h"
#include "system/cpus.h"
#include "vp.h"
#include "trace.h"

void mshv_sim_regpage_fill(MshvSimVp *vp)
{
    struct hv_vp_register_page *rp = vp->regpage;

    mshv_regs_to_page(&vp->cpu->env, rp);
    rp->dirty = 0;
    /* The VMM may read the page as soon as it sees isvalid. */
    smp_wmb();
    rp->isvalid = 1;
}

/*
 * After the VMM changed state the CPU derives other state from; MMU
 * state (control registers, EFER) also invalidates the TLB, which is
 * costly enough to skip when only GPRs, RIP, flags or segments moved.
 */
static void mshv_sim_env_changed(CPUState *cs, bool mmu)
{
    CPUX86State *env = cpu_env(cs);

    x86_update_hflags(env);
    /*
     * TCG takes TF, VM and IOPL from EFLAGS at each translation block;
     * copied into hflags too, they would outlive the EFLAGS bits TCG
     * clears (exception delivery clears TF: every instruction of the
     * guest's #DB handler would then single-step).
     */
    env->hflags &= ~(HF_TF_MASK | HF_VM_MASK | HF_IOPL_MASK);
    if (mmu) {
        /* CR4 and XCR0 gate SSE, AVX, SMAP, UMIP and MPX: hflags too */
        cpu_x86_update_cr4(env, env->cr[4]);
        cpu_sync_bndcs_hflags(env);
        tlb_flush(cs);
    }
}

static bool mshv_sim_reg_is_mmu(uint32_t name)
{
    return (name >= HV_X64_REGISTER_CR0 && name <= HV_X64_REGISTER_XFEM) ||
           name == HV_X64_REGISTER_EFER || name == HV_X64_REGISTER_PAT ||
           name == HV_X64_REGISTER_APIC_BASE;
}

/*
 * Take what the VMM wrote into a valid register page.  Before a register
 * hypercall too: the VMM's page writes (an RIP advance past an emulated
 * instruction) come first in its program order and must not be lost.
 */
static void mshv_sim_regpage_flush(MshvSimVp *vp)
{
    struct hv_vp_register_page *rp = vp->regpage;
    CPUX86State *env = &vp->cpu->env;
    uint32_t dirty = qatomic_read(&rp->dirty);

    if (dirty) {
        trace_mshv_sim_vp_regpage_dirty(vp->index, rp->isvalid, dirty);
    }
    if (!rp->isvalid || !dirty) {
        return;
    }
    /* Read the fields only after the dirty mask that covers them. */
    smp_rmb();
    mshv_regs_from_page(rp, dirty, env);
    mshv_sim_env_changed(CPU(vp->cpu), false);
    rp->dirty = 0;
}

/* At entry: the page is the VMM's no more until the next exit fills it. */
void mshv_sim_regpage_apply(MshvSimVp *vp)
{
    mshv_sim_regpage_flush(vp);
    vp->regpage->dirty = 0;
    vp->regpage->isvalid = 0;
}

typedef struct MshvSimRegsWork {
    MshvSimVp *vp;
    const uint32_t *names;
    const struct hv_register_assoc *assocs;
    union hv_register_value *values;
    unsigned count;
    unsigned done;
    uint16_t status;
} MshvSimRegsWork;

/* Registers the hypervisor itself owns, not the CPU. */
static bool mshv_sim_get_hv_reg(MshvSimVp *vp, uint32_t name,
                                union hv_register_value *v)
{
    memset(v, 0, sizeof(*v));
    switch (name) {
    case HV_REGISTER_EXPLICIT_SUSPEND:
        v->reg64 = !qatomic_read(&vp->run_pending);
        return true;
    case HV_REGISTER_INTERCEPT_SUSPEND:
        v->reg64 = qatomic_read(&vp->intercepted);
        return true;
    case HV_REGISTER_DISPATCH_SUSPEND:
        return true;
    default:
        return false;
    }
}

/* What VM entry would accept as an event to inject. */
static bool mshv_sim_pending_valid(uint64_t p)
{
    unsigned type = (p & HV_PENDING_INTERRUPTION_TYPE_MASK) >>
                    HV_PENDING_INTERRUPTION_TYPE_SHIFT;
    unsigned vector = (p >> HV_PENDING_INTERRUPTION_VECTOR_SHIFT) & 0xffff;

    if (!(p & HV_PENDING_INTERRUPTION_PENDING)) {
        return true;
    }
    switch (type) {
    case HV_X64_PENDING_INTERRUPT:
        return vector >= 16 && vector <= 0xff;
    case HV_X64_PENDING_NMI:
        return vector == 2;
    case HV_X64_PENDING_EXCEPTION:
        return vector < 32;
    default:
        return false;
    }
}

static void mshv_sim_get_regs_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimRegsWork *w = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    uint64_t *field;
    unsigned i;

    mshv_sim_regpage_flush(w->vp);
    env->tsc = cpu_get_tsc(env) + env->tsc_offset;
    for (i = 0; i < w->count; i++) {
        const MshvReg *reg = mshv_reg_find(w->names[i]);

        if (mshv_sim_get_hv_reg(w->vp, w->names[i], &w->values[i])) {
            continue;
        }
        field = mshv_sim_hv_partition_reg(w->vp->pt, w->names[i]);
        if (field) {
            w->values[i].reg64 = qatomic_read(field);
            continue;
        }
        if (w->names[i] == HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) {
            w->values[i].reg64 = qatomic_read(&w->vp->notify);
            continue;
        }
        if (!reg && mshv_sim_extra_reg_get(w->vp->extra, w->vp->pt, cs,
                                           w->names[i], &w->values[i])) {
            continue;
        }
        if (!reg) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        memset(&w->values[i], 0, sizeof(w->values[i]));
        reg->get(reg, env, &w->values[i]);
    }
    w->done = i;
    for (i = 0; trace_event_get_state_backends(TRACE_MSHV_SIM_VP_GET_REG) &&
                i < w->done; i++) {
        trace_mshv_sim_vp_get_reg(w->vp->index, w->names[i],
                                  w->values[i].reg128.low_part,
                                  w->values[i].reg128.high_part);
    }
}

static void mshv_sim_set_regs_work(CPUState *cs, run_on_cpu_data data)
{
    MshvSimRegsWork *w = data.host_ptr;
    CPUX86State *env = cpu_env(cs);
    bool tsc = false, mmu = false, stimer = false, deadline = false;
    uint64_t *field;
    unsigned i;

    mshv_sim_regpage_flush(w->vp);
    for (i = 0; i < w->count; i++) {
        uint32_t name = w->assocs[i].name;
        const MshvReg *reg = mshv_reg_find(name);
        union hv_register_value value = w->assocs[i].value, scratch;

        trace_mshv_sim_vp_set_reg(w->vp->index, name,
                                  value.reg128.low_part,
                                  value.reg128.high_part);
        if (mshv_sim_get_hv_reg(w->vp, name, &scratch)) {
            /* The VMM must not write suspend registers: ignore, as Linux. */
            continue;
        }
        if (name == HV_REGISTER_DELIVERABILITY_NOTIFICATIONS) {
            mshv_sim_request_notify(w->vp, w->assocs[i].value.reg64);
            continue;
        }
        field = mshv_sim_hv_partition_reg(w->vp->pt, name);
        if (field) {
            /* restored state: the pages are in guest memory already */
            qatomic_set(field, w->assocs[i].value.reg64);
            continue;
        }
        if (name == HV_REGISTER_PENDING_INTERRUPTION &&
            !mshv_sim_pending_valid(w->assocs[i].value.reg64)) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (!reg && mshv_sim_extra_reg_set(w->vp->extra, w->vp->pt, cs, name,
                                           &value)) {
            continue;
        }
        if (!reg) {
            w->status = HV_STATUS_INVALID_PARAMETER;
            break;
        }
        if (name == HV_X64_REGISTER_TSC_ADJUST) {
            /* as a WRMSR would: the TSC moves (an absolute TSC wins) */
            mshv_sim_tsc_adjust(cs, w->assocs[i].value.reg64);
            continue;
        }
        reg->set(reg, env, &value);
        tsc |= name == HV_X64_REGISTER_TSC;
        deadline |= name == HV_X64_REGISTER_TSC_DEADLINE;
        mmu |= mshv_sim_reg_is_mmu(name);
        stimer |= name >= HV_REGISTER_STIMER0_CONFIG &&
                  name < HV_REGISTER_STIMER0_CONFIG + 2 * HV_STIMER_COUNT;
    }
    w->done = i;
    if (tsc) {
        env->tsc_offset = env->tsc - cpu_get_tsc(env);
    }
    /* timers count in reference time, which follows the TSC */
    if (stimer || tsc) {
        mshv_sim_stimer_sync(w->vp, cs);
    }
    if (deadline || tsc) {
        mshv_sim_tsc_deadline_sync(w->vp, cs);
    }
    mshv_sim_env_changed(cs, mmu);
    /* The register page no longer matches: the VMM must re-read it. */
    w->vp->regpage->isvalid = 0;
}

uint16_t mshv_sim_vp_get_registers(MshvSimVp *vp, const uint32_t *names,
                                   unsigned count,
                                   union hv_register_value *values,
                                   unsigned *done)
{
    MshvSimRegsWork w = {
        .vp = vp, .names = names, .values = values, .count = count,
        .status = HV_STATUS_SUCCESS,
    };

    mshv_sim_count(vp->pt, MSHV_SIM_CNT_REGS_GET);
    run_on_cpu(CPU(vp->cpu), mshv_sim_get_regs_work, RUN_ON_CPU_HOST_PTR(&w));
    *done = w.done;
    return w.status;
}

uint16_t mshv_sim_vp_set_registers(MshvSimVp *vp,
                                   const struct hv_register_assoc *regs,
                                   unsigned count, unsigned *done)
{
    MshvSimRegsWork w = {
        .vp = vp, .assocs = regs, .count = count,
        .status = HV_STATUS_SUCCESS,
    };

    mshv_sim_count(vp->pt, MSHV_SIM_CNT_REGS_SET);
    run_on_cpu(CPU(vp->cpu), mshv_sim_set_regs_work, RUN_ON_CPU_HOST_PTR(&w));
    *done = w.done;
    return w.status;
}
