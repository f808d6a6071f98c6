/*
 * MSHV simulator: the Hyper-V interface a guest of the partition sees
 *
 * The partition's synthetic processor features select the enlightenments
 * (TLFS): the hypervisor CPUID leaves, the guest OS ID and hypercall
 * MSRs with the hypercall page, the VP index, the partition reference
 * counter and reference TSC page, the TSC and APIC frequency MSRs, and
 * the VP assist page MSR (kept, not used), the SynIC's MSRs (SCONTROL,
 * SIMP, SIEFP, SINTs, EOM; their messages and events are synic.c's); the
 * guest's hypercalls, of which the TLB flush and cluster IPI ones are
 * tlb-ipi.c's.
 *
 * Reference time is the guest's TSC in 100 ns units, so the counter MSR,
 * the TSC page and the TSC agree, and move with the TSC when the VMM
 * saves and restores it.  MSR state lives in the VP's CPUX86State
 * (msr_hv_*), where the register table reads and writes it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "exec/cpu-common.h"
#include "exec/exec-all.h"
#include "exec/address-spaces.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "kvm/hyperv-proto.h"
#include "mshv-sim.h"
#include "trace.h"

/* TLFS bits QEMU's hyperv-proto.h does not name. */
#define HV_HYPERCALL_LOCKED             (1ULL << 1)
#define HV_REFERENCE_TSC_ENABLE         (1ULL << 0)

static const uint8_t mshv_sim_hypercall_code[] = {
    0xe4, MSHV_SIM_HYPERCALL_PORT,
    0xc3,
};

#define MSHV_SIM_HV_BUILD               19041
#define MSHV_SIM_HV_VERSION             0x000a0000      /* 10.0 */

typedef struct MshvSimHvFeature {
    unsigned synthetic;         /* HV_SYNTHETIC_PROC_* bit */
    uint32_t privilege;         /* CPUID 0x40000003 EAX */
    uint32_t misc;              /* CPUID 0x40000003 EDX */
    uint32_t hints;             /* CPUID 0x40000004 EAX */
} MshvSimHvFeature;

/* What the simulator implements, and how the guest learns of it. */
static const MshvSimHvFeature mshv_sim_hv_features[] = {
    { HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER,
      HV_TIME_REF_COUNT_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS, HV_HYPERCALL_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_VP_INDEX, HV_VP_INDEX_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC,
      HV_REFERENCE_TSC_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS, HV_ACCESS_FREQUENCY_MSRS,
      HV_FREQUENCY_MSRS_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS, HV_SYNIC_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS, HV_SYNTIMERS_AVAILABLE },
    { HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS, 0,
      HV_STIMER_DIRECT_MODE_AVAILABLE },

    { HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG, HV_VP_RUNTIME_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS, HV_APIC_ACCESS_AVAILABLE },
    { HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG, 0,
      HV_GUEST_IDLE_STATE_AVAILABLE },
    { HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS, 0, 0,
      HV_REMOTE_TLB_FLUSH_RECOMMENDED },
    { HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI, 0, 0,
      HV_CLUSTER_IPI_RECOMMENDED },
    { HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS, 0, 0,
      HV_EX_PROCESSOR_MASKS_RECOMMENDED },
};

static bool mshv_sim_hv_has(MshvSimPartition *pt, unsigned synthetic)
{
    uint64_t f = pt->synthetic_proc_features;

    return (f & (1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT)) &&
           (f & (1ULL << synthetic));
}

/* The CPUID bits of the partition's features, @offset into the table. */
static uint32_t mshv_sim_hv_cpuid_bits(MshvSimPartition *pt, size_t offset)
{
    uint32_t bits = 0;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(mshv_sim_hv_features); i++) {
        if (mshv_sim_hv_has(pt, mshv_sim_hv_features[i].synthetic)) {
            bits |= *(const uint32_t *)((const char *)&mshv_sim_hv_features[i]
                                        + offset);
        }
    }
    return bits;
}

bool mshv_sim_hv_cpuid(MshvSimPartition *pt, uint32_t leaf, uint32_t *eax,
                       uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    if (leaf < HV_CPUID_VENDOR_AND_MAX_FUNCTIONS ||
        leaf > HV_CPUID_VENDOR_AND_MAX_FUNCTIONS + 0x0fffffff) {
        return false;
    }
    *eax = *ebx = *ecx = *edx = 0;
    if (!(pt->synthetic_proc_features &
          (1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT))) {
        return true;
    }
    switch (leaf) {
    case HV_CPUID_VENDOR_AND_MAX_FUNCTIONS:
        *eax = HV_CPUID_IMPLEMENT_LIMITS + 1;
        *ebx = ldl_le_p("Micr");
        *ecx = ldl_le_p("osof");
        *edx = ldl_le_p("t Hv");
        break;
    case HV_CPUID_INTERFACE:
        if (pt->synthetic_proc_features & (1ULL << HV_SYNTHETIC_PROC_HV1)) {
            *eax = ldl_le_p("Hv#1");
        }
        break;
    case HV_CPUID_VERSION:
        *eax = MSHV_SIM_HV_BUILD;
        *ebx = MSHV_SIM_HV_VERSION;
        break;
    case HV_CPUID_FEATURES:
        *eax = mshv_sim_hv_cpuid_bits(pt, offsetof(MshvSimHvFeature,
                                                   privilege));
        *edx = mshv_sim_hv_cpuid_bits(pt, offsetof(MshvSimHvFeature, misc));
        break;
    case HV_CPUID_ENLIGHTMENT_INFO:
        *eax = mshv_sim_hv_cpuid_bits(pt, offsetof(MshvSimHvFeature, hints));
        *ebx = 0xffffffff;      /* never notify long spin waits */
        break;
    case HV_CPUID_IMPLEMENT_LIMITS:
        *eax = MSHV_MAX_VPS;
        *ebx = MSHV_MAX_VPS;
        break;
    }
    return true;
}

/* 2^64 * 10^7 / TSC rate: reference time = TSC * scale >> 64. */
static uint64_t mshv_sim_hv_tsc_scale(void)
{
    return ((unsigned __int128)10000000 << 64) / mshv_sim_tsc_frequency();
}

/*
 * The partition's reference time (100 ns units) as VP @cs reads it: its
 * TSC (RDTSC's value) through the TSC page's scale and offset.
 */
uint64_t mshv_sim_hv_reference_time(CPUState *cs)
{
    CPUX86State *env = cpu_env(cs);
    MshvSimPartition *pt = mshv_sim_vp_partition(mshv_sim_cpu_vp(cs));

    return (((unsigned __int128)(cpu_get_tsc(env) + env->tsc_offset) *
             mshv_sim_hv_tsc_scale()) >> 64) +
           qatomic_read(&pt->ref_time_offset);
}

uint64_t mshv_sim_hv_get_reference_time(MshvSimPartition *pt)
{
    MshvSimVp *vp0 = mshv_sim_vp_find(pt, 0);

    /* before any VP, time since the hypervisor started */
    return vp0 ? mshv_sim_hv_reference_time(mshv_sim_vp_cpu(vp0)) :
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) / 100 +
                 pt->ref_time_offset;
}

static void mshv_sim_hv_set_reference_tsc(MshvSimPartition *pt,
                                          uint64_t val);

/* The VMM restores the reference time: the TSC page's offset moves. */
void mshv_sim_hv_set_reference_time(MshvSimPartition *pt, uint64_t value)
{
    qatomic_set(&pt->ref_time_offset, pt->ref_time_offset +
                (int64_t)(value - mshv_sim_hv_get_reference_time(pt)));
    mshv_sim_hv_set_reference_tsc(pt, pt->hv_reference_tsc);
}

/* Write a page of the guest's (the hypervisor's overlay on its RAM). */
static void mshv_sim_hv_fill_page(uint64_t gpa, const void *data,
                                  size_t len)
{
    g_autofree uint8_t *page = g_malloc0(TARGET_PAGE_SIZE);

    memcpy(page, data, len);
    cpu_physical_memory_write(gpa, page, TARGET_PAGE_SIZE);
}

static void mshv_sim_hv_set_hypercall(MshvSimPartition *pt, uint64_t val)
{
    /* A locked MSR keeps its value until reset. */
    if (pt->hv_hypercall & HV_HYPERCALL_LOCKED) {
        return;
    }
    pt->hv_hypercall = val;
    if (val & HV_HYPERCALL_ENABLE) {
        mshv_sim_hv_fill_page(val & TARGET_PAGE_MASK,
                              mshv_sim_hypercall_code,
                              sizeof(mshv_sim_hypercall_code));
    }
}

static void mshv_sim_hv_set_reference_tsc(MshvSimPartition *pt,
                                          uint64_t val)
{
    uint8_t page[24] = { 0 };

    pt->hv_reference_tsc = val;
    if (val & HV_REFERENCE_TSC_ENABLE) {
        stl_le_p(page, 1);                              /* sequence: valid */
        stq_le_p(page + 8, mshv_sim_hv_tsc_scale());    /* scale */
        stq_le_p(page + 16, pt->ref_time_offset);       /* offset */
        mshv_sim_hv_fill_page(val & TARGET_PAGE_MASK, page, sizeof(page));
    }
}

/*
 * The partition's own synthetic registers (guest OS ID, hypercall page,
 * reference TSC page), by MSR or by register name: one value every VP
 * sees, which a VP's INIT leaves alone.
 */
uint64_t *mshv_sim_hv_partition_reg(MshvSimPartition *pt, uint32_t name)
{
    switch (name) {
    case HV_X64_MSR_GUEST_OS_ID:
    case HV_REGISTER_GUEST_OS_ID:
        return &pt->hv_guest_os_id;
    case HV_X64_MSR_HYPERCALL:
    case HV_X64_REGISTER_HYPERCALL:
        return &pt->hv_hypercall;
    case HV_X64_MSR_REFERENCE_TSC:
    case HV_REGISTER_REFERENCE_TSC:
        return &pt->hv_reference_tsc;
    default:
        return NULL;
    }
}

/* Where a synthetic MSR that is plain storage keeps its value, or NULL. */
static uint64_t *mshv_sim_hv_msr_field(MshvSimPartition *pt,
                                       CPUX86State *env, uint32_t index)
{
    uint64_t *field = mshv_sim_hv_partition_reg(pt, index);

    if (field) {
        return field;
    }
    switch (index) {
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        return &env->msr_hv_vapic;
    case HV_X64_MSR_SCONTROL:
        return &env->msr_hv_synic_control;
    case HV_X64_MSR_SIEFP:
        return &env->msr_hv_synic_evt_page;
    case HV_X64_MSR_SIMP:
        return &env->msr_hv_synic_msg_page;
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        return &env->msr_hv_synic_sint[index - HV_X64_MSR_SINT0];
    default:
        return NULL;
    }
}

/*
 * The APIC's EOI, ICR and TPR registers by synthetic MSR, in either APIC
 * mode: what the x2APIC MSRs or the xAPIC page would do.
 */
static void mshv_sim_hv_apic_msr(CPUState *cs, uint32_t index, bool write,
                                 uint64_t *val)
{
    uint64_t base = cpu_get_apic_base(X86_CPU(cs)->apic_state);
    hwaddr page = base & MSR_IA32_APICBASE_BASE;
    unsigned reg = index == HV_X64_MSR_EOI ? 0x0b :
                   index == HV_X64_MSR_ICR ? 0x30 : 0x08;
    AddressSpace *as = &address_space_memory;

    if (base & MSR_IA32_APICBASE_EXTD) {
        bql_lock();
        if (write) {
            apic_msr_write(reg, *val);
        } else {
            apic_msr_read(reg, val);
        }
        bql_unlock();
        return;
    }
    if (!write) {
        *val = address_space_ldl(as, page + reg * 16, MEMTXATTRS_UNSPECIFIED,
                                 NULL);
        if (reg == 0x30) {
            *val |= (uint64_t)address_space_ldl(as, page + 0x310,
                                                MEMTXATTRS_UNSPECIFIED,
                                                NULL) << 32;
        }
        return;
    }
    if (reg == 0x30) {
        /* the destination first: the low half sends */
        address_space_stl(as, page + 0x310, *val >> 32,
                          MEMTXATTRS_UNSPECIFIED, NULL);
    }
    address_space_stl(as, page + reg * 16, (uint32_t)*val,
                      MEMTXATTRS_UNSPECIFIED, NULL);
}

int mshv_sim_hv_msr(MshvSimVp *vp, CPUState *cs, uint32_t index,
                    bool write, uint64_t *val)
{
    MshvSimPartition *pt = mshv_sim_vp_partition(vp);
    CPUX86State *env = cpu_env(cs);
    uint64_t *field;
    unsigned need;

    if (!write) {
        *val = 0;
    }
    if (index < HV_X64_MSR_GUEST_OS_ID || index > HV_X64_MSR_GUEST_OS_ID +
                                                  0xff) {
        return 0;
    }
    switch (index) {
    case HV_X64_MSR_GUEST_OS_ID:
    case HV_X64_MSR_HYPERCALL:
        need = HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS;
        break;
    case HV_X64_MSR_VP_INDEX:
        need = HV_SYNTHETIC_PROC_ACCESS_VP_INDEX;
        break;
    case HV_X64_MSR_TIME_REF_COUNT:
        need = HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER;
        break;
    case HV_X64_MSR_VP_RUNTIME:
        need = HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG;
        break;
    case HV_X64_MSR_REFERENCE_TSC:
        need = HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC;
        break;
    case HV_X64_MSR_TSC_FREQUENCY:
    case HV_X64_MSR_APIC_FREQUENCY:
        need = HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS;
        break;
    case HV_X64_MSR_SCONTROL:
    case HV_X64_MSR_SVERSION:
    case HV_X64_MSR_SIEFP:
    case HV_X64_MSR_SIMP:
    case HV_X64_MSR_EOM:
    case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
        need = HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS;
        break;
    case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
        need = HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS;
        break;
    case HV_X64_MSR_EOI:
    case HV_X64_MSR_ICR:
    case HV_X64_MSR_TPR:
        need = HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS;
        break;
    case MSHV_SIM_MSR_GUEST_IDLE:
        need = HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG;
        break;
    case HV_X64_MSR_APIC_ASSIST_PAGE:
        /*
         * The VP assist page: kept, not used (nothing the simulator offers
         * reads or writes it); Linux sets it up on every Hyper-V.
         */
        need = HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS;
        break;
    default:
        trace_mshv_sim_hv_msr(index, write, *val, -1);
        return -1;
    }
    if (!mshv_sim_hv_has(pt, need)) {
        trace_mshv_sim_hv_msr(index, write, *val, -1);
        return -1;
    }
    if (need == HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS &&
        index != HV_X64_MSR_APIC_ASSIST_PAGE) {
        /* a partition without an in-hypervisor LAPIC has none to reach */
        if (!X86_CPU(cs)->apic_state) {
            trace_mshv_sim_hv_msr(index, write, *val, -1);
            return -1;
        }
        mshv_sim_hv_apic_msr(cs, index, write, val);
        trace_mshv_sim_hv_msr(index, write, *val, 1);
        return 1;
    }
    if (index == MSHV_SIM_MSR_GUEST_IDLE) {
        /* a read idles the VP (the caller halts it); writes are ignored */
        *val = 0;
        trace_mshv_sim_hv_msr(index, write, *val, 1);
        return 1;
    }
    if (need == HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS) {
        int ret = mshv_sim_stimer_msr(vp, cs, index, write, val);

        trace_mshv_sim_hv_msr(index, write, *val, ret);
        return ret;
    }
    field = mshv_sim_hv_msr_field(pt, env, index);
    if (write) {
        switch (index) {
        case HV_X64_MSR_HYPERCALL:
            mshv_sim_hv_set_hypercall(pt, *val);
            break;
        case HV_X64_MSR_REFERENCE_TSC:
            mshv_sim_hv_set_reference_tsc(pt, *val);
            break;
        case HV_X64_MSR_EOM:
            /*
             * The VMM retries a message the slot refused, told by a
             * SINT-deliverable notification (the VP's, after the write).
             */
            break;
        default:
            if (!field) {
                trace_mshv_sim_hv_msr(index, write, *val, -1);
                return -1;      /* read-only */
            }
            *field = *val;
            break;
        }
    } else {
        switch (index) {
        case HV_X64_MSR_VP_INDEX:
            *val = mshv_sim_vp_index(vp);
            break;
        case HV_X64_MSR_TIME_REF_COUNT:
        case HV_X64_MSR_VP_RUNTIME:
            /* a VP on the simulator counts as always running */
            *val = mshv_sim_hv_reference_time(cs);
            break;
        case HV_X64_MSR_TSC_FREQUENCY:
            *val = mshv_sim_tsc_frequency();
            break;
        case HV_X64_MSR_APIC_FREQUENCY:
            *val = MSHV_SIM_APIC_FREQUENCY;
            break;
        case HV_X64_MSR_SVERSION:
            *val = HV_SYNIC_VERSION;
            break;
        case HV_X64_MSR_EOM:
            /* a command, but it reads as 0, as Hyper-V's and KVM's do */
            *val = 0;
            break;
        default:
            if (!field) {
                trace_mshv_sim_hv_msr(index, write, *val, -1);
                return -1;
            }
            *val = *field;
            break;
        }
    }
    trace_mshv_sim_hv_msr(index, write, *val, 1);
    return 1;
}

bool mshv_sim_hv_is_hypercall(CPUState *cs)
{
    CPUX86State *env = cpu_env(cs);
    hwaddr gpa;

    uint64_t hypercall =
        mshv_sim_vp_partition(mshv_sim_cpu_vp(cs))->hv_hypercall;

    if (!(hypercall & HV_HYPERCALL_ENABLE) ||
        (env->hflags & HF_CPL_MASK)) {
        return false;
    }
    gpa = cpu_get_phys_page_debug(cs, env->segs[R_CS].base + env->eip);
    return gpa != -1 &&
           (gpa & TARGET_PAGE_MASK) ==
           (hypercall & TARGET_PAGE_MASK) &&
           (gpa & ~TARGET_PAGE_MASK) == 0;
}

/*
 * A call through the hypercall page (the VP is at its trap, the caller's
 * registers as the TLFS calling convention has them).  The hypervisor
 * handles the spin-wait notification and, when the partition has them,
 * the TLB flush and cluster IPI calls itself; every other hypercall is
 * the VMM's when it installed the hypercall intercept (false: the trap is
 * not completed), else HvPostMessage and HvSignalEvent find no connection
 * and the rest are unknown.  Otherwise completes the trap instruction.
 */
bool mshv_sim_hv_hypercall(CPUState *cs)
{
    CPUX86State *env = cpu_env(cs);
    MshvSimPartition *pt = mshv_sim_vp_partition(mshv_sim_cpu_vp(cs));
    bool longmode = env->hflags & HF_CS64_MASK;
    MshvSimHcall hc;
    uint64_t result;
    uint16_t status;

    /* 64-bit: RCX, RDX, R8; 32-bit: EDX:EAX, EBX:ECX, EDI:ESI */
    if (longmode) {
        hc.control = env->regs[R_ECX];
        hc.fast_in[0] = env->regs[R_EDX];
        hc.fast_in[1] = env->regs[8];
    } else {
        hc.control = (uint64_t)(uint32_t)env->regs[R_EDX] << 32 |
                     (uint32_t)env->regs[R_EAX];
        hc.fast_in[0] = (uint64_t)(uint32_t)env->regs[R_EBX] << 32 |
                        (uint32_t)env->regs[R_ECX];
        hc.fast_in[1] = (uint64_t)(uint32_t)env->regs[R_EDI] << 32 |
                        (uint32_t)env->regs[R_ESI];
    }
    hc.fast = hc.control & HV_HYPERCALL_FAST_BIT;
    hc.in_gpa = hc.fast_in[0];

    if ((hc.control & 0xffff) == HVCALL_NOTIFY_LONG_SPIN_WAIT) {
        status = HV_STATUS_SUCCESS;
    } else if (mshv_sim_tlb_ipi_hypercall(pt, cs, &hc, &status)) {
        /* done */
    } else if (mshv_sim_intercepted(pt, HV_INTERCEPT_TYPE_HYPERCALL, 0, 0)) {
        trace_mshv_sim_hv_hypercall(hc.control & 0xffff, -1);
        return false;
    } else {
        status = (hc.control & 0xffff) == HV_POST_MESSAGE ||
                 (hc.control & 0xffff) == HV_SIGNAL_EVENT
                 ? HV_STATUS_INVALID_CONNECTION_ID
                 : HV_STATUS_INVALID_HYPERCALL_CODE;
    }
    result = status;
    if (status == HV_STATUS_SUCCESS) {
        /* every rep done */
        result |= hc.control & (HV_HYPERCALL_REP_MASK <<
                                HV_HYPERCALL_REP_COUNT_SHIFT);
    }
    trace_mshv_sim_hv_hypercall(hc.control & 0xffff, result);
    if (longmode) {
        env->regs[R_EAX] = result;
    } else {
        env->regs[R_EAX] = (uint32_t)result;
        env->regs[R_EDX] = result >> 32;
    }
    env->eip += MSHV_SIM_HYPERCALL_INSN_LEN;
    return true;
}
