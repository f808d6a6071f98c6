/*
 * MSHV register table: Microsoft Hypervisor register names <-> CPUX86State
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "hw/i386/apic_internal.h"
#include "system/tcg.h"
#include "mshv-regs.h"

/* ---- Plain fields ---------------------------------------------------- */

static void get_u64(const MshvReg *reg, CPUX86State *env,
                    union hv_register_value *v)
{
    v->reg64 = *(uint64_t *)((char *)env + reg->offset);
}

static void set_u64(const MshvReg *reg, CPUX86State *env,
                    const union hv_register_value *v)
{
    *(uint64_t *)((char *)env + reg->offset) = v->reg64;
}

/* A register the hypervisor reports but the guest cannot change. */
static void set_ignore(const MshvReg *reg, CPUX86State *env,
                       const union hv_register_value *v)
{
}

#define REG_FIELD(n, f) \
    { .name = (n), .label = #f, .get = get_u64, .set = set_u64, \
      .offset = offsetof(CPUX86State, f) }
#define REG_FIELD_WHOLE(n, f) \
    { .name = (n), .label = #f, .get = get_u64, .set = set_u64, \
      .offset = offsetof(CPUX86State, f), .whole_state_only = true }
#define REG_FIELD_ELEM(n, f, i) \
    { .name = (n), .label = #f "[" #i "]", .get = get_u64, .set = set_u64, \
      .offset = offsetof(CPUX86State, f[i]) }

QEMU_BUILD_BUG_ON(sizeof(target_ulong) != sizeof(uint64_t));

/* ---- General purpose registers, RIP, RFLAGS --------------------------- */

static void get_rflags(const MshvReg *reg, CPUX86State *env,
                       union hv_register_value *v)
{
    v->reg64 = cpu_compute_eflags(env);
}

static void set_rflags(const MshvReg *reg, CPUX86State *env,
                       const union hv_register_value *v)
{
    env->eflags = v->reg64 | 0x2;
    if (tcg_enabled()) {
        /*
         * Written with the CPU outside cpu_exec(), where TCG keeps all
         * flags in eflags and rebuilds its lazy state on entry; the lazy
         * state must agree meanwhile, as cpu_compute_eflags() reads it.
         */
        CC_SRC = env->eflags & (CC_O | CC_S | CC_Z | CC_A | CC_P | CC_C);
        CC_OP = CC_OP_EFLAGS;
        env->df = 1 - (2 * ((env->eflags >> 10) & 1));
    }
}

/* ---- Segments and descriptor tables ---------------------------------- */

/*
 * hv attributes are the descriptor's bits 40-55 less the limit nibble;
 * QEMU keeps the same bits at 8-23 of SegmentCache.flags.
 */
#define HV_SEG_ATTR_BITS        0xf0ffu

static void get_seg(const MshvReg *reg, CPUX86State *env,
                    union hv_register_value *v)
{
    const SegmentCache *sc = reg->index < 6 ? &env->segs[reg->index] :
                             reg->index == 6 ? &env->ldt : &env->tr;

    memset(v, 0, sizeof(*v));
    v->segment.base = sc->base;
    v->segment.limit = sc->limit;
    v->segment.selector = sc->selector;
    v->segment.attributes = (sc->flags >> DESC_TYPE_SHIFT) & HV_SEG_ATTR_BITS;
}

static void set_seg(const MshvReg *reg, CPUX86State *env,
                    const union hv_register_value *v)
{
    SegmentCache *sc = reg->index < 6 ? &env->segs[reg->index] :
                       reg->index == 6 ? &env->ldt : &env->tr;

    sc->base = v->segment.base;
    sc->limit = v->segment.limit;
    sc->selector = v->segment.selector;
    sc->flags = (uint32_t)(v->segment.attributes & HV_SEG_ATTR_BITS)
                << DESC_TYPE_SHIFT;
}

#define SEG(n, i, l) \
    { .name = (n), .label = l, .get = get_seg, .set = set_seg, .index = (i) }

static void get_table(const MshvReg *reg, CPUX86State *env,
                      union hv_register_value *v)
{
    const SegmentCache *sc = reg->index ? &env->gdt : &env->idt;

    memset(v, 0, sizeof(*v));
    v->table.base = sc->base;
    v->table.limit = sc->limit;
}

static void set_table(const MshvReg *reg, CPUX86State *env,
                      const union hv_register_value *v)
{
    SegmentCache *sc = reg->index ? &env->gdt : &env->idt;

    sc->base = v->table.base;
    sc->limit = v->table.limit;
}

/* ---- Control registers ----------------------------------------------- */

static void get_cr8(const MshvReg *reg, CPUX86State *env,
                    union hv_register_value *v)
{
    X86CPU *cpu = env_archcpu(env);

    v->reg64 = cpu->apic_state ? cpu_get_apic_tpr(cpu->apic_state) : 0;
}

static void set_cr8(const MshvReg *reg, CPUX86State *env,
                    const union hv_register_value *v)
{
    X86CPU *cpu = env_archcpu(env);

    if (cpu->apic_state) {
        cpu_set_apic_tpr(cpu->apic_state, v->reg64 & 0xf);
    }
}

static void get_apic_base(const MshvReg *reg, CPUX86State *env,
                          union hv_register_value *v)
{
    X86CPU *cpu = env_archcpu(env);

    v->reg64 = cpu->apic_state ? cpu_get_apic_base(cpu->apic_state) : 0;
}

static void set_apic_base(const MshvReg *reg, CPUX86State *env,
                          const union hv_register_value *v)
{
    X86CPU *cpu = env_archcpu(env);

    if (cpu->apic_state) {
        cpu_set_apic_base(cpu->apic_state, v->reg64);
    }
}

/* ---- x87, MMX, SSE --------------------------------------------------- */

static void get_xmm(const MshvReg *reg, CPUX86State *env,
                    union hv_register_value *v)
{
    v->reg128.low_part = env->xmm_regs[reg->index].ZMM_Q(0);
    v->reg128.high_part = env->xmm_regs[reg->index].ZMM_Q(1);
}

static void set_xmm(const MshvReg *reg, CPUX86State *env,
                    const union hv_register_value *v)
{
    env->xmm_regs[reg->index].ZMM_Q(0) = v->reg128.low_part;
    env->xmm_regs[reg->index].ZMM_Q(1) = v->reg128.high_part;
}

/* FP_MMXn is ST(n), stack relative, as in the FXSAVE image. */
static void get_fp(const MshvReg *reg, CPUX86State *env,
                   union hv_register_value *v)
{
    const floatx80 *f = &env->fpregs[(env->fpstt + reg->index) & 7].d;

    v->reg128.low_part = f->low;
    v->reg128.high_part = f->high;
}

static void set_fp(const MshvReg *reg, CPUX86State *env,
                   const union hv_register_value *v)
{
    floatx80 *f = &env->fpregs[(env->fpstt + reg->index) & 7].d;

    f->low = v->reg128.low_part;
    f->high = v->reg128.high_part & 0xffff;
}

static void get_fp_control(const MshvReg *reg, CPUX86State *env,
                           union hv_register_value *v)
{
    uint8_t tags = 0;
    int i;

    for (i = 0; i < 8; i++) {
        tags |= (!env->fptags[i]) << i;
    }
    memset(v, 0, sizeof(*v));
    v->fp_control_status.fp_control = env->fpuc;
    v->fp_control_status.fp_status = (env->fpus & ~0x3800) |
                                     (env->fpstt & 7) << 11;
    v->fp_control_status.fp_tag = tags;
    v->fp_control_status.last_fp_op = env->fpop;
    v->fp_control_status.last_fp_rip = env->fpip;
}

static void set_fp_control(const MshvReg *reg, CPUX86State *env,
                           const union hv_register_value *v)
{
    unsigned top = (v->fp_control_status.fp_status >> 11) & 7;
    FPReg st[8];
    int i;

    /*
     * FP_MMXn are ST(n), relative to TOP (as FXSAVE keeps them): keep
     * each ST(n) where it is when TOP moves, whatever the order the
     * registers are set in.
     */
    for (i = 0; i < 8; i++) {
        st[i] = env->fpregs[(env->fpstt + i) & 7];
    }
    for (i = 0; i < 8; i++) {
        env->fpregs[(top + i) & 7] = st[i];
    }
    env->fpuc = v->fp_control_status.fp_control;
    env->fpstt = top;
    env->fpus = v->fp_control_status.fp_status & ~0x3800;
    for (i = 0; i < 8; i++) {
        env->fptags[i] = !((v->fp_control_status.fp_tag >> i) & 1);
    }
    env->fpop = v->fp_control_status.last_fp_op;
    env->fpip = v->fp_control_status.last_fp_rip;
}

static void get_xmm_control(const MshvReg *reg, CPUX86State *env,
                            union hv_register_value *v)
{
    memset(v, 0, sizeof(*v));
    v->xmm_control_status.last_fp_rdp = env->fpdp;
    v->xmm_control_status.xmm_status_control = env->mxcsr;
    v->xmm_control_status.xmm_status_control_mask = 0x0000ffff;
}

static void set_xmm_control(const MshvReg *reg, CPUX86State *env,
                            const union hv_register_value *v)
{
    env->fpdp = v->xmm_control_status.last_fp_rdp;
    env->mxcsr = v->xmm_control_status.xmm_status_control;
}

/* ---- Events and activity --------------------------------------------- */

static void get_pending_interruption(const MshvReg *reg, CPUX86State *env,
                                     union hv_register_value *v)
{
    uint64_t p = 0;

    if (env->exception_injected) {
        p = HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_EXCEPTION <<
                HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            (uint64_t)(env->exception_nr & 0xffff) <<
                HV_PENDING_INTERRUPTION_VECTOR_SHIFT;
        if (env->has_error_code) {
            p |= HV_PENDING_INTERRUPTION_DELIVER_ERROR_CODE |
                 (uint64_t)(uint32_t)env->error_code <<
                    HV_PENDING_INTERRUPTION_ERROR_CODE_SHIFT;
        }
    } else if (env->interrupt_injected >= 0) {
        p = HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)(env->interrupt_injected & 0xff) <<
                HV_PENDING_INTERRUPTION_VECTOR_SHIFT;
    } else if (env->nmi_injected) {
        p = HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_NMI << HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            2ULL << HV_PENDING_INTERRUPTION_VECTOR_SHIFT;
    }
    v->reg64 = p;
}

static void set_pending_interruption(const MshvReg *reg, CPUX86State *env,
                                     const union hv_register_value *v)
{
    uint64_t p = v->reg64;
    unsigned type = (p & HV_PENDING_INTERRUPTION_TYPE_MASK) >>
                    HV_PENDING_INTERRUPTION_TYPE_SHIFT;
    unsigned vector = (p >> HV_PENDING_INTERRUPTION_VECTOR_SHIFT) & 0xffff;

    env->exception_injected = 0;
    env->interrupt_injected = -1;
    env->nmi_injected = 0;
    if (!(p & HV_PENDING_INTERRUPTION_PENDING)) {
        return;
    }
    switch (type) {
    case HV_X64_PENDING_EXCEPTION:
        env->exception_injected = 1;
        env->exception_nr = vector;
        env->has_error_code =
            !!(p & HV_PENDING_INTERRUPTION_DELIVER_ERROR_CODE);
        env->error_code = p >> HV_PENDING_INTERRUPTION_ERROR_CODE_SHIFT;
        break;
    case HV_X64_PENDING_NMI:
        env->nmi_injected = 1;
        break;
    default:
        env->interrupt_injected = vector & 0xff;
        break;
    }
}

static void get_interrupt_state(const MshvReg *reg, CPUX86State *env,
                                union hv_register_value *v)
{
    v->reg64 = (env->hflags & HF_INHIBIT_IRQ_MASK ?
                HV_INTERRUPT_STATE_SHADOW : 0) |
               (env->hflags2 & HF2_NMI_MASK ?
                HV_INTERRUPT_STATE_NMI_MASKED : 0);
}

static void set_interrupt_state(const MshvReg *reg, CPUX86State *env,
                                const union hv_register_value *v)
{
    env->hflags &= ~HF_INHIBIT_IRQ_MASK;
    env->hflags2 &= ~HF2_NMI_MASK;
    if (v->reg64 & HV_INTERRUPT_STATE_SHADOW) {
        env->hflags |= HF_INHIBIT_IRQ_MASK;
    }
    if (v->reg64 & HV_INTERRUPT_STATE_NMI_MASKED) {
        env->hflags2 |= HF2_NMI_MASK;
    }
}

/*
 * A VP waiting for SIPI is halted and has its APIC's wait_for_sipi set,
 * as TCG keeps it (which the simulator's VPs run on) and as QEMU's APIC
 * migrates it: that flag alone tells STARTUP_SUSPEND from HALT_SUSPEND,
 * so that no write-back turns the one into the other.
 */
static APICCommonState *activity_apic(CPUX86State *env)
{
    DeviceState *apic = env_archcpu(env)->apic_state;

    return apic ? APIC_COMMON(apic) : NULL;
}

static void get_activity(const MshvReg *reg, CPUX86State *env,
                         union hv_register_value *v)
{
    APICCommonState *apic = activity_apic(env);

    if (apic && apic->wait_for_sipi) {
        v->reg64 = HV_ACTIVITY_STARTUP_SUSPEND;
    } else {
        v->reg64 = env_cpu(env)->halted ? HV_ACTIVITY_HALT_SUSPEND : 0;
    }
}

static void set_activity(const MshvReg *reg, CPUX86State *env,
                         const union hv_register_value *v)
{
    APICCommonState *apic = activity_apic(env);
    bool startup = v->reg64 & HV_ACTIVITY_STARTUP_SUSPEND;

    env_cpu(env)->halted = startup ||
                           (v->reg64 & HV_ACTIVITY_HALT_SUSPEND);
    if (apic) {
        apic->wait_for_sipi = startup;
    }
}

/* ---- MSRs ------------------------------------------------------------- */

static void get_sysenter_cs(const MshvReg *reg, CPUX86State *env,
                            union hv_register_value *v)
{
    v->reg64 = env->sysenter_cs;
}

static void set_sysenter_cs(const MshvReg *reg, CPUX86State *env,
                            const union hv_register_value *v)
{
    env->sysenter_cs = v->reg64;
}

static void get_mtrr_cap(const MshvReg *reg, CPUX86State *env,
                         union hv_register_value *v)
{
    v->reg64 = MSR_MTRRcap_VCNT | MSR_MTRRcap_FIXRANGE_SUPPORT |
               MSR_MTRRcap_WC_SUPPORTED;
}

static void get_mtrr_var(const MshvReg *reg, CPUX86State *env,
                         union hv_register_value *v)
{
    const MTRRVar *var = &env->mtrr_var[reg->index & 0xff];

    v->reg64 = reg->index & 0x100 ? var->mask : var->base;
}

static void set_mtrr_var(const MshvReg *reg, CPUX86State *env,
                         const union hv_register_value *v)
{
    MTRRVar *var = &env->mtrr_var[reg->index & 0xff];

    if (reg->index & 0x100) {
        var->mask = v->reg64;
    } else {
        var->base = v->reg64;
    }
}

#define MTRR_BASE(n) \
    { .name = HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + (n), \
      .label = "mtrr_var[" #n "].base", .get = get_mtrr_var, \
      .set = set_mtrr_var, .index = (n) }
#define MTRR_MASK(n) \
    { .name = HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + (n), \
      .label = "mtrr_var[" #n "].mask", .get = get_mtrr_var, \
      .set = set_mtrr_var, .index = 0x100 | (n) }

static void get_vp_index(const MshvReg *reg, CPUX86State *env,
                         union hv_register_value *v)
{
    v->reg64 = env_archcpu(env)->apic_id;
}

static void get_sversion(const MshvReg *reg, CPUX86State *env,
                         union hv_register_value *v)
{
    v->reg64 = 1;
}

static void get_zero(const MshvReg *reg, CPUX86State *env,
                     union hv_register_value *v)
{
    v->reg64 = 0;
}

/* ---- Registers of optional processor features ----------------------- */

static bool has_spec_ctrl(const CPUX86State *env)
{
    return (env->features[FEAT_7_0_EDX] & CPUID_7_0_EDX_SPEC_CTRL) ||
           (env->features[FEAT_8000_0008_EBX] & CPUID_8000_0008_EBX_IBRS);
}

static bool has_virt_ssbd(const CPUX86State *env)
{
    return env->features[FEAT_8000_0008_EBX] & CPUID_8000_0008_EBX_VIRT_SSBD;
}

static bool has_mpx(const CPUX86State *env)
{
    return env->features[FEAT_7_0_EBX] & CPUID_7_0_EBX_MPX;
}

static bool has_xsaves(const CPUX86State *env)
{
    return env->features[FEAT_XSAVE] & CPUID_XSAVE_XSAVES;
}

static bool has_tsc_deadline(const CPUX86State *env)
{
    return env->features[FEAT_1_ECX] & CPUID_EXT_TSC_DEADLINE_TIMER;
}

static bool has_tsc_adjust(const CPUX86State *env)
{
    return env->features[FEAT_7_0_EBX] & CPUID_7_0_EBX_TSC_ADJUST;
}

static bool has_xfd(const CPUX86State *env)
{
    return env->features[FEAT_XSAVE] & CPUID_D_1_EAX_XFD;
}

static bool is_intel(const CPUX86State *env)
{
    return IS_INTEL_CPU(env);
}

#define REG_FEATURE(n, f, p) \
    { .name = (n), .label = #f, .get = get_u64, .set = set_u64, \
      .offset = offsetof(CPUX86State, f), .present = (p) }

#define GPR(n, i) REG_FIELD_ELEM(n, regs, i)
#define XMM(i) \
    { .name = HV_X64_REGISTER_XMM0 + (i), .label = "xmm" #i, \
      .get = get_xmm, .set = set_xmm, .index = (i) }
#define FPR(i) \
    { .name = HV_X64_REGISTER_FP_MMX0 + (i), .label = "st" #i, \
      .get = get_fp, .set = set_fp, .index = (i) }
#define CUSTOM(n, l, g, s) { .name = (n), .label = (l), .get = (g), .set = (s) }

/* Sorted by name: mshv_reg_find() searches it. */
const MshvReg mshv_regs[] = {
    CUSTOM(HV_REGISTER_INTERNAL_ACTIVITY_STATE, "activity",
           get_activity, set_activity),
    CUSTOM(HV_REGISTER_PENDING_INTERRUPTION, "pending_interruption",
           get_pending_interruption, set_pending_interruption),
    CUSTOM(HV_REGISTER_INTERRUPT_STATE, "interrupt_state",
           get_interrupt_state, set_interrupt_state),
    GPR(HV_X64_REGISTER_RAX, R_EAX),
    GPR(HV_X64_REGISTER_RCX, R_ECX),
    GPR(HV_X64_REGISTER_RDX, R_EDX),
    GPR(HV_X64_REGISTER_RBX, R_EBX),
    GPR(HV_X64_REGISTER_RSP, R_ESP),
    GPR(HV_X64_REGISTER_RBP, R_EBP),
    GPR(HV_X64_REGISTER_RSI, R_ESI),
    GPR(HV_X64_REGISTER_RDI, R_EDI),
    GPR(HV_X64_REGISTER_R8, 8),
    GPR(HV_X64_REGISTER_R9, 9),
    GPR(HV_X64_REGISTER_R10, 10),
    GPR(HV_X64_REGISTER_R11, 11),
    GPR(HV_X64_REGISTER_R12, 12),
    GPR(HV_X64_REGISTER_R13, 13),
    GPR(HV_X64_REGISTER_R14, 14),
    GPR(HV_X64_REGISTER_R15, 15),
    REG_FIELD(HV_X64_REGISTER_RIP, eip),
    CUSTOM(HV_X64_REGISTER_RFLAGS, "rflags", get_rflags, set_rflags),
    XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
    XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
    FPR(0), FPR(1), FPR(2), FPR(3), FPR(4), FPR(5), FPR(6), FPR(7),
    CUSTOM(HV_X64_REGISTER_FP_CONTROL_STATUS, "fp_control_status",
           get_fp_control, set_fp_control),
    CUSTOM(HV_X64_REGISTER_XMM_CONTROL_STATUS, "xmm_control_status",
           get_xmm_control, set_xmm_control),
    REG_FIELD_ELEM(HV_X64_REGISTER_CR0, cr, 0),
    REG_FIELD_ELEM(HV_X64_REGISTER_CR2, cr, 2),
    REG_FIELD_ELEM(HV_X64_REGISTER_CR3, cr, 3),
    REG_FIELD_ELEM(HV_X64_REGISTER_CR4, cr, 4),
    CUSTOM(HV_X64_REGISTER_CR8, "cr8", get_cr8, set_cr8),
    REG_FIELD(HV_X64_REGISTER_XFEM, xcr0),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR0, dr, 0),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR1, dr, 1),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR2, dr, 2),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR3, dr, 3),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR6, dr, 6),
    REG_FIELD_ELEM(HV_X64_REGISTER_DR7, dr, 7),
    SEG(HV_X64_REGISTER_ES, R_ES, "es"),
    SEG(HV_X64_REGISTER_CS, R_CS, "cs"),
    SEG(HV_X64_REGISTER_SS, R_SS, "ss"),
    SEG(HV_X64_REGISTER_DS, R_DS, "ds"),
    SEG(HV_X64_REGISTER_FS, R_FS, "fs"),
    SEG(HV_X64_REGISTER_GS, R_GS, "gs"),
    SEG(HV_X64_REGISTER_LDTR, 6, "ldtr"),
    SEG(HV_X64_REGISTER_TR, 7, "tr"),
    { .name = HV_X64_REGISTER_IDTR, .label = "idtr", .get = get_table,
      .set = set_table, .index = 0 },
    { .name = HV_X64_REGISTER_GDTR, .label = "gdtr", .get = get_table,
      .set = set_table, .index = 1 },
    { .name = HV_X64_REGISTER_TSC, .label = "tsc", .get = get_u64,
      .set = set_u64, .offset = offsetof(CPUX86State, tsc),
      .whole_state_only = true, .put_last = true },
    REG_FIELD(HV_X64_REGISTER_EFER, efer),
    REG_FIELD(HV_X64_REGISTER_KERNEL_GS_BASE, kernelgsbase),
    CUSTOM(HV_X64_REGISTER_APIC_BASE, "apic_base",
           get_apic_base, set_apic_base),
    REG_FIELD(HV_X64_REGISTER_PAT, pat),
    CUSTOM(HV_X64_REGISTER_SYSENTER_CS, "sysenter_cs",
           get_sysenter_cs, set_sysenter_cs),
    REG_FIELD(HV_X64_REGISTER_SYSENTER_EIP, sysenter_eip),
    REG_FIELD(HV_X64_REGISTER_SYSENTER_ESP, sysenter_esp),
    REG_FIELD(HV_X64_REGISTER_STAR, star),
    REG_FIELD(HV_X64_REGISTER_LSTAR, lstar),
    REG_FIELD(HV_X64_REGISTER_CSTAR, cstar),
    REG_FIELD(HV_X64_REGISTER_SFMASK, fmask),
    CUSTOM(HV_X64_REGISTER_MSR_MTRR_CAP, "mtrr_cap",
           get_mtrr_cap, set_ignore),
    REG_FIELD(HV_X64_REGISTER_MSR_MTRR_DEF_TYPE, mtrr_deftype),
    MTRR_BASE(0), MTRR_BASE(1), MTRR_BASE(2), MTRR_BASE(3),
    MTRR_BASE(4), MTRR_BASE(5), MTRR_BASE(6), MTRR_BASE(7),
    MTRR_MASK(0), MTRR_MASK(1), MTRR_MASK(2), MTRR_MASK(3),
    MTRR_MASK(4), MTRR_MASK(5), MTRR_MASK(6), MTRR_MASK(7),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX64K00000, mtrr_fixed, 0),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX16K80000, mtrr_fixed, 1),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX16KA0000, mtrr_fixed, 2),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000, mtrr_fixed, 3),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 1, mtrr_fixed, 4),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 2, mtrr_fixed, 5),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 3, mtrr_fixed, 6),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 4, mtrr_fixed, 7),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 5, mtrr_fixed, 8),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KC0000 + 6, mtrr_fixed, 9),
    REG_FIELD_ELEM(HV_X64_REGISTER_MSR_MTRR_FIX4KF8000, mtrr_fixed, 10),
    REG_FIELD(HV_X64_REGISTER_TSC_AUX, tsc_aux),
    REG_FEATURE(HV_X64_REGISTER_BNDCFGS, msr_bndcfgs, has_mpx),
    REG_FEATURE(HV_X64_REGISTER_SPEC_CTRL, spec_ctrl, has_spec_ctrl),
    REG_FEATURE(HV_X64_REGISTER_VIRT_SPEC_CTRL, virt_ssbd, has_virt_ssbd),
    REG_FEATURE(HV_X64_REGISTER_U_XSS, xss, has_xsaves),
    REG_FEATURE(HV_X64_REGISTER_TSC_DEADLINE, tsc_deadline,
                has_tsc_deadline),
    REG_FEATURE(HV_X64_REGISTER_TSC_ADJUST, tsc_adjust, has_tsc_adjust),
    REG_FEATURE(HV_X64_REGISTER_XFD, msr_xfd, has_xfd),
    REG_FEATURE(HV_X64_REGISTER_XFD_ERR, msr_xfd_err, has_xfd),
    REG_FEATURE(HV_X64_REGISTER_MSR_IA32_MISC_ENABLE, msr_ia32_misc_enable,
                is_intel),
    REG_FEATURE(HV_X64_REGISTER_IA32_FEATURE_CONTROL,
                msr_ia32_feature_control, is_intel),
    REG_FIELD_WHOLE(HV_REGISTER_VP_RUNTIME, msr_hv_runtime),
    REG_FIELD_WHOLE(HV_X64_REGISTER_HYPERCALL, msr_hv_hypercall),
    REG_FIELD_WHOLE(HV_REGISTER_GUEST_OS_ID, msr_hv_guest_os_id),
    CUSTOM(HV_REGISTER_VP_INDEX, "vp_index", get_vp_index, set_ignore),
    REG_FIELD(HV_REGISTER_VP_ASSIST_PAGE, msr_hv_vapic),
    REG_FIELD_WHOLE(HV_REGISTER_REFERENCE_TSC, msr_hv_tsc),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 0, msr_hv_synic_sint, 0),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 1, msr_hv_synic_sint, 1),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 2, msr_hv_synic_sint, 2),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 3, msr_hv_synic_sint, 3),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 4, msr_hv_synic_sint, 4),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 5, msr_hv_synic_sint, 5),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 6, msr_hv_synic_sint, 6),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 7, msr_hv_synic_sint, 7),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 8, msr_hv_synic_sint, 8),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 9, msr_hv_synic_sint, 9),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 10, msr_hv_synic_sint, 10),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 11, msr_hv_synic_sint, 11),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 12, msr_hv_synic_sint, 12),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 13, msr_hv_synic_sint, 13),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 14, msr_hv_synic_sint, 14),
    REG_FIELD_ELEM(HV_REGISTER_SINT0 + 15, msr_hv_synic_sint, 15),
    REG_FIELD(HV_REGISTER_SCONTROL, msr_hv_synic_control),
    CUSTOM(HV_REGISTER_SVERSION, "sversion", get_sversion, set_ignore),
    REG_FIELD(HV_REGISTER_SIEFP, msr_hv_synic_evt_page),
    REG_FIELD(HV_REGISTER_SIMP, msr_hv_synic_msg_page),
    CUSTOM(HV_REGISTER_EOM, "eom", get_zero, set_ignore),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_CONFIG + 0, msr_hv_stimer_config, 0),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_COUNT + 0, msr_hv_stimer_count, 0),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_CONFIG + 2, msr_hv_stimer_config, 1),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_COUNT + 2, msr_hv_stimer_count, 1),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_CONFIG + 4, msr_hv_stimer_config, 2),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_COUNT + 4, msr_hv_stimer_count, 2),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_CONFIG + 6, msr_hv_stimer_config, 3),
    REG_FIELD_ELEM(HV_REGISTER_STIMER0_COUNT + 6, msr_hv_stimer_count, 3),
};

const size_t mshv_regs_count = ARRAY_SIZE(mshv_regs);

static int mshv_reg_cmp(const void *key, const void *elem)
{
    uint32_t name = *(const uint32_t *)key;
    const MshvReg *reg = elem;

    return name < reg->name ? -1 : name > reg->name;
}

const MshvReg *mshv_reg_find(uint32_t name)
{
    return bsearch(&name, mshv_regs, mshv_regs_count, sizeof(MshvReg),
                   mshv_reg_cmp);
}

bool mshv_reg_is_writable(const MshvReg *reg)
{
    return reg->set != set_ignore;
}
