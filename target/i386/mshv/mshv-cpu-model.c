/*
 * MSHV accelerator, x86: the processor the hypervisor offers
 *
 * What a guest may be given is what a VP answers for CPUID when nothing is
 * registered over it (HVCALL_GET_VP_CPUID_VALUES), asked once of a scratch
 * partition: the hypervisor already left out what the partition cannot
 * use.  QEMU filters every CPU model against it, "-cpu host" and "max"
 * take all of it, and the XSAVE layout QEMU keeps follows it.  The hv-*
 * properties of the model say which synthetic (Hyper-V) features the
 * partition is created with.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "accel/accel-cpu-target.h"
#include "hw/boards.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-i386.h"
#include "mshv-x86.h"
#include "trace.h"

typedef struct MshvCpuidEntry {
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t regs[4];           /* EAX, ECX, EDX, EBX: QEMU's R_* order */
} MshvCpuidEntry;

static GArray *mshv_supported;  /* of MshvCpuidEntry; NULL: not asked yet */

/* What the hypervisor is asked about: leaves without subleaves once. */
static unsigned mshv_supported_subleaves(uint32_t leaf)
{
    return MAX(mshv_x86_cpuid_subleaf_count(leaf), 1);
}

/* Leaves one query may carry: input and output each fit a page. */
#define MSHV_CPUID_BATCH    128

/* Ask the VP about LEAVES, appending what it answers to mshv_supported. */
static int mshv_supported_ask(int vp_fd,
                              const struct hv_cpuid_leaf_info *leaves,
                              unsigned n, Error **errp)
{
    struct {
        struct hv_input_get_vp_cpuid_values hdr;
        struct hv_cpuid_leaf_info leaf[MSHV_CPUID_BATCH];
    } QEMU_PACKED in = { 0 };
    struct hv_output_get_vp_cpuid_values out[MSHV_CPUID_BATCH];
    unsigned done, i;
    uint16_t status;
    int ret;

    for (done = 0; done < n; done += i) {
        unsigned batch = MIN(n - done, MSHV_CPUID_BATCH);

        memcpy(in.leaf, leaves + done, batch * sizeof(*leaves));
        ret = mshv_hvcall(vp_fd, HVCALL_GET_VP_CPUID_VALUES, batch, &in,
                          sizeof(in.hdr) + batch * sizeof(*leaves), out,
                          batch * sizeof(*out), &status, NULL);
        if (ret < 0) {
            error_setg(errp, "asking the hypervisor for its CPUID values "
                       "failed: %s (hypervisor status 0x%x)", strerror(-ret),
                       status);
            return -1;
        }
        for (i = 0; i < batch; i++) {
            MshvCpuidEntry e = {
                .leaf = leaves[done + i].eax,
                .subleaf = leaves[done + i].ecx,
                .regs = {
                    [R_EAX] = out[i].eax, [R_EBX] = out[i].ebx,
                    [R_ECX] = out[i].ecx, [R_EDX] = out[i].edx,
                },
            };

            g_array_append_val(mshv_supported, e);
        }
    }
    return 0;
}

/* Every leaf and subleaf of the range FIRST's EAX announces. */
static int mshv_supported_ask_range(int vp_fd, uint32_t first, Error **errp)
{
    g_autoptr(GArray) leaves = g_array_new(false, true,
                                           sizeof(struct hv_cpuid_leaf_info));
    struct hv_cpuid_leaf_info info = {
        .eax = first,
        .xfem = XSTATE_FP_MASK | XSTATE_SSE_MASK,
    };
    uint32_t last, leaf, sub;

    if (mshv_supported_ask(vp_fd, &info, 1, errp) < 0) {
        return -1;
    }
    last = g_array_index(mshv_supported, MshvCpuidEntry,
                         mshv_supported->len - 1).regs[R_EAX];
    /* A range that is absent answers with something else, or nothing. */
    if (last <= first || last - first > 0xff) {
        return 0;
    }
    for (leaf = first + 1; leaf <= last; leaf++) {
        for (sub = 0; sub < mshv_supported_subleaves(leaf); sub++) {
            info.eax = leaf;
            info.ecx = sub;
            g_array_append_val(leaves, info);
        }
    }
    return mshv_supported_ask(vp_fd, (void *)leaves->data, leaves->len, errp);
}

static void mshv_supported_load(void)
{
    Error *err = NULL;
    int pt_fd, vp_fd;

    if (mshv_supported) {
        return;
    }
    mshv_supported = g_array_new(false, true, sizeof(MshvCpuidEntry));
    vp_fd = mshv_scratch_vp_create(&pt_fd, &err);
    if (vp_fd >= 0) {
        if (mshv_supported_ask_range(vp_fd, 0, &err) < 0 ||
            mshv_supported_ask_range(vp_fd, 0x80000000, &err) < 0 ||
            mshv_supported_ask_range(vp_fd, 0xc0000000, &err) < 0) {
            g_array_set_size(mshv_supported, 0);
        }
        close(vp_fd);
        close(pt_fd);
    }
    if (err) {
        /* Nothing is supported, so the CPU model's features are refused. */
        error_append_hint(&err, "No CPU feature can be offered to the "
                          "guest; check that the hypervisor is usable.\n");
        error_report_err(err);
    }
    trace_mshv_cpuid_supported(mshv_supported->len);
}

static const MshvCpuidEntry *mshv_supported_find(uint32_t leaf,
                                                 uint32_t subleaf)
{
    unsigned i;

    mshv_supported_load();
    if (mshv_supported_subleaves(leaf) == 1) {
        subleaf = 0;
    }
    for (i = 0; i < mshv_supported->len; i++) {
        MshvCpuidEntry *e = &g_array_index(mshv_supported, MshvCpuidEntry, i);

        if (e->leaf == leaf && e->subleaf == subleaf) {
            return e;
        }
    }
    return NULL;
}

uint32_t mshv_get_supported_cpuid(uint32_t leaf, uint32_t subleaf, int reg)
{
    const MshvCpuidEntry *e;
    uint32_t value;

    /* The hypervisor's own leaves are QEMU's Hyper-V code's to describe. */
    if ((leaf & 0xf0000000) == 0x40000000) {
        return 0;
    }
    e = mshv_supported_find(leaf, subleaf);
    value = e ? e->regs[reg] : 0;
    /*
     * The partition is created with an x2APIC; QEMU decides whether the
     * guest sees a hypervisor, and describes the topology (the scratch
     * VP is alone in its partition).
     */
    if (leaf == 1 && reg == R_ECX) {
        value |= CPUID_EXT_X2APIC | CPUID_EXT_HYPERVISOR;
    } else if (leaf == 1 && reg == R_EDX) {
        value |= CPUID_HT;
    } else if (leaf == 0x80000001 && reg == R_ECX) {
        value |= CPUID_EXT3_CMP_LEG;
    } else if (leaf == 0x80000001 && reg == R_EDX &&
               (value & CPUID_EXT2_LM)) {
        /*
         * An Intel processor reports SYSCALL only in 64-bit mode, and the
         * scratch VP asks from real mode: with long mode, it has it (else
         * every model would lose it, and "-cpu MODEL,enforce" fail).
         */
        value |= CPUID_EXT2_SYSCALL;
    }
    return value;
}

/* What Linux and Windows guests expect of Hyper-V when -cpu names none. */
static const uint64_t mshv_default_synthetic_features =
    1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
    1ULL << HV_SYNTHETIC_PROC_HV1 |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS |
    1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS |
    1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS |
    1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI |
    1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS;

/*
 * QEMU's hv-* CPU properties (HYPERV_FEAT_*) as synthetic features;
 * "none" where the Microsoft Hypervisor has no partition feature for one.
 */
static const struct {
    unsigned feat;
    const char *name;
    bool none;
    uint64_t synthetic;
} mshv_hv_props[] = {
    /* a recommendation the hypervisor makes by itself: nothing to ask */
    { HYPERV_FEAT_RELAXED, "hv-relaxed" },
    { HYPERV_FEAT_VAPIC, "hv-vapic", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS },
    { HYPERV_FEAT_TIME, "hv-time", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
      1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC },
    { HYPERV_FEAT_CRASH, "hv-crash", true },
    { HYPERV_FEAT_RESET, "hv-reset", true },
    { HYPERV_FEAT_VPINDEX, "hv-vpindex", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX },
    { HYPERV_FEAT_RUNTIME, "hv-runtime", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG },
    { HYPERV_FEAT_SYNIC, "hv-synic", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
      1ULL << HV_SYNTHETIC_PROC_SIGNAL_EVENTS },
    { HYPERV_FEAT_STIMER, "hv-stimer", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS },
    { HYPERV_FEAT_FREQUENCIES, "hv-frequencies", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS },
    { HYPERV_FEAT_REENLIGHTENMENT, "hv-reenlightenment", true },
    /* both with the Ex forms, for VPs past 63 */
    { HYPERV_FEAT_TLBFLUSH, "hv-tlbflush", false,
      1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS |
      1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS },
    { HYPERV_FEAT_EVMCS, "hv-evmcs", false,
      1ULL << HV_SYNTHETIC_PROC_ENLIGHTENED_VMCS },
    { HYPERV_FEAT_IPI, "hv-ipi", false,
      1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI |
      1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS },
    { HYPERV_FEAT_STIMER_DIRECT, "hv-stimer-direct", false,
      1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS },
    { HYPERV_FEAT_AVIC, "hv-avic", true },
    { HYPERV_FEAT_SYNDBG, "hv-syndbg", true },
    { HYPERV_FEAT_MSR_BITMAP, "hv-emsr-bitmap", true },
    { HYPERV_FEAT_XMM_INPUT, "hv-xmm-input", true },
    { HYPERV_FEAT_TLBFLUSH_EXT, "hv-tlbflush-ext", true },
    { HYPERV_FEAT_TLBFLUSH_DIRECT, "hv-tlbflush-direct", true },
};

/*
 * No hv-* property on -cpu: the defaults above.  Otherwise what they
 * ask for, with the hypercall interface every enlightenment needs.
 */
int mshv_arch_synthetic_features(uint64_t *features, Error **errp)
{
    g_autoptr(GString) ignored = g_string_new(NULL);
    uint64_t hv = 0;
    Object *model;
    unsigned i;

    /* The -cpu model with its properties, as every vCPU will have it. */
    if (current_machine && current_machine->cpu_type) {
        model = object_new(current_machine->cpu_type);
        hv = X86_CPU(model)->hyperv_features;
        object_unref(model);
    }
    if (!hv) {
        *features = mshv_default_synthetic_features;
        return 0;
    }
    *features = 1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
                1ULL << HV_SYNTHETIC_PROC_HV1 |
                1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS;
    for (i = 0; i < ARRAY_SIZE(mshv_hv_props); i++) {
        if (!(hv & (1ULL << mshv_hv_props[i].feat))) {
            continue;
        }
        *features |= mshv_hv_props[i].synthetic;
        if (mshv_hv_props[i].none) {
            g_string_append_printf(ignored, "%s%s", ignored->len ? ", " : "",
                                   mshv_hv_props[i].name);
        }
    }
    if (ignored->len) {
        warn_report("-accel mshv: the Microsoft Hypervisor has no partition "
                    "feature for %s; ignored", ignored->str);
    }
    return 0;
}

/*
 * Where each XSAVE component lives in the standard (non-compacted) area,
 * which CPUID leaf 0xD tells the guest and QEMU's own save helpers use:
 * the processor's layout, since the hypervisor saves and restores guest
 * state where the processor puts it.  Components the processor lacks keep
 * Intel's offsets.
 */
static void mshv_cpu_xsave_layout_init(void)
{
    /* Intel's standard offsets (SDM vol. 1, 13.4.3) */
    static const uint32_t standard[XSAVE_STATE_AREA_COUNT] = {
        [XSTATE_YMM_BIT] = 576,
        [XSTATE_BNDREGS_BIT] = 960,
        [XSTATE_BNDCSR_BIT] = 1024,
        [XSTATE_OPMASK_BIT] = 1088,
        [XSTATE_ZMM_Hi256_BIT] = 1152,
        [XSTATE_Hi16_ZMM_BIT] = 1664,
        [XSTATE_PKRU_BIT] = 2688,
    };
    static bool done;
    unsigned i;

    if (done) {
        return;
    }
    done = true;
    x86_ext_save_areas[XSTATE_FP_BIT].offset = 0;
    x86_ext_save_areas[XSTATE_SSE_BIT].offset = 0;
    for (i = XSTATE_SSE_BIT + 1; i < XSAVE_STATE_AREA_COUNT; i++) {
        ExtSaveArea *esa = &x86_ext_save_areas[i];

        if (!esa->size) {
            continue;
        }
        if (mshv_get_supported_cpuid(0xd, i, R_EAX) == esa->size) {
            esa->offset = mshv_get_supported_cpuid(0xd, i, R_EBX);
            esa->ecx = mshv_get_supported_cpuid(0xd, i, R_ECX);
        } else {
            esa->offset = standard[i];
        }
    }
}

/*
 * Named models under MSHV: an x2APIC (the partition has one); no ACPI
 * thermal control, MONITOR/MWAIT or nested SVM, which a partition lacks.
 */
static PropValue mshv_default_props[] = {
    { "x2apic", "on" },
    { "acpi", "off" },
    { "monitor", "off" },
    { "svm", "off" },
    { NULL, NULL },
};

/* "-cpu host" and "max": the processor as the hypervisor presents it. */
static void mshv_cpu_max_instance_init(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    Object *obj = OBJECT(cpu);
    uint32_t words[12], eax;
    char vendor[CPUID_VENDOR_SZ + 1];
    char model_id[sizeof(words) + 1] = { 0 };
    unsigned i;

    x86_cpu_vendor_words2str(vendor, mshv_get_supported_cpuid(0, 0, R_EBX),
                             mshv_get_supported_cpuid(0, 0, R_EDX),
                             mshv_get_supported_cpuid(0, 0, R_ECX));
    for (i = 0; i < 3; i++) {
        words[i * 4] = mshv_get_supported_cpuid(0x80000002 + i, 0, R_EAX);
        words[i * 4 + 1] = mshv_get_supported_cpuid(0x80000002 + i, 0, R_EBX);
        words[i * 4 + 2] = mshv_get_supported_cpuid(0x80000002 + i, 0, R_ECX);
        words[i * 4 + 3] = mshv_get_supported_cpuid(0x80000002 + i, 0, R_EDX);
    }
    memcpy(model_id, words, sizeof(words));
    eax = mshv_get_supported_cpuid(1, 0, R_EAX);

    /*
     * No answer from the hypervisor (said when the query failed): the
     * model keeps its own vendor, which an empty one would not replace.
     */
    if (vendor[0]) {
        object_property_set_str(obj, "vendor", vendor, &error_abort);
    }
    object_property_set_int(obj, "family",
                            ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff),
                            &error_abort);
    object_property_set_int(obj, "model",
                            ((eax >> 4) & 0xf) | ((eax >> 12) & 0xf0),
                            &error_abort);
    object_property_set_int(obj, "stepping", eax & 0xf, &error_abort);
    object_property_set_str(obj, "model-id", model_id, &error_abort);
    object_property_set_bool(obj, "host-phys-bits", true, &error_abort);

    env->cpuid_min_level = mshv_get_supported_cpuid(0, 0, R_EAX);
    env->cpuid_min_xlevel = mshv_get_supported_cpuid(0x80000000, 0, R_EAX);
    env->cpuid_min_xlevel2 = mshv_get_supported_cpuid(0xc0000000, 0, R_EAX);
}

static void mshv_cpu_instance_init(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(cpu);

    mshv_cpu_xsave_layout_init();
    if (xcc->model) {
        char vendor[CPUID_VENDOR_SZ + 1];

        /* Vendor-specific instruction behaviour is the processor's. */
        x86_cpu_vendor_words2str(vendor,
                                 mshv_get_supported_cpuid(0, 0, R_EBX),
                                 mshv_get_supported_cpuid(0, 0, R_EDX),
                                 mshv_get_supported_cpuid(0, 0, R_ECX));
        if (vendor[0]) {
            object_property_set_str(OBJECT(cpu), "vendor", vendor,
                                    &error_abort);
        }
        x86_cpu_apply_props(cpu, mshv_default_props);
    }
    if (cpu->max_features) {
        mshv_cpu_max_instance_init(cpu);
    }
}

static bool mshv_cpu_realize(CPUState *cs, Error **errp)
{
    X86CPU *cpu = X86_CPU(cs);
    uint32_t phys_bits = 36;
    int vp_fd;

    /*
     * A hot-plugged vCPU's VP is made here, not in its thread, so that
     * the hypervisor's refusal fails device_add rather than QEMU; the
     * thread takes it (mshv_vp_open()).
     */
    if (DEVICE(cs)->hotplugged) {
        vp_fd = mshv_vp_open(cpu->apic_id, errp);
        if (vp_fd < 0) {
            return false;
        }
        mshv_vp_park(cpu->apic_id, vp_fd);
    }
    if (!(cpu->env.features[FEAT_8000_0001_EDX] & CPUID_EXT2_LM)) {
        return true;
    }
    if (mshv_get_supported_cpuid(0x80000000, 0, R_EAX) >= 0x80000008) {
        phys_bits = mshv_get_supported_cpuid(0x80000008, 0, R_EAX) & 0xff;
    }
    if (cpu->host_phys_bits) {
        cpu->phys_bits = phys_bits;
        if (cpu->host_phys_bits_limit &&
            cpu->phys_bits > cpu->host_phys_bits_limit) {
            cpu->phys_bits = cpu->host_phys_bits_limit;
        }
    } else if (cpu->phys_bits && cpu->phys_bits != phys_bits) {
        warn_report_once("the processor has %u physical address bits, the "
                         "phys-bits property asks for %u: guest memory "
                         "above the processor's limit is unusable", phys_bits,
                         cpu->phys_bits);
    }
    return true;
}

static void mshv_cpu_accel_class_init(ObjectClass *oc, void *data)
{
    AccelCPUClass *acc = ACCEL_CPU_CLASS(oc);

    acc->cpu_instance_init = mshv_cpu_instance_init;
    acc->cpu_target_realize = mshv_cpu_realize;
}

static const TypeInfo mshv_cpu_accel_type = {
    .name = ACCEL_CPU_NAME("mshv"),
    .parent = TYPE_ACCEL_CPU,
    .class_init = mshv_cpu_accel_class_init,
    .abstract = true,
};

static void mshv_cpu_accel_register_types(void)
{
    type_register_static(&mshv_cpu_accel_type);
}

type_init(mshv_cpu_accel_register_types);
