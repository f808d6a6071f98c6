/*
 * MSHV accelerator, x86: what an incoming migration (or a snapshot being
 * loaded) must find here before the guest may go on
 *
 * QEMU's CPU state carries register values, not the processor they ran
 * on: a guest moved to a vCPU lacking a feature it was shown, or to a
 * processor that lays its XSAVE area out differently, would go on with
 * the wrong idea of its CPU and fail later, in ways nobody could trace
 * back to the move.  So each vCPU's section ("mshv-cpu") carries the
 * CPUID feature words the guest saw and the standard-format XSAVE layout
 * of the components it was offered, and the destination refuses the
 * stream, naming what it lacks, when it cannot take them; so too when
 * its TSC runs at another rate, which the hypervisor gives a partition as
 * its host's (no TSC scaling the VMM could ask for).  The section
 * travels in the migration's setup phase, before any RAM: a destination
 * on a host without what the guest needs refuses at once, and the source
 * goes on running.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "cpu.h"
#include "cpu-internal.h"
#include "system/mshv_int.h"
#include "mshv-i386.h"
#include "mshv-x86.h"
#include "trace.h"

/* XSAVE components whose standard-format place the guest learns. */
#define MSHV_MIG_XSAVE_COMPONENTS   64

struct MshvX86Migration {
    CPUState *cpu;
    uint64_t features[FEATURE_WORDS];
    /* per component the guest was offered: size << 32 | offset */
    uint64_t xsave_layout[MSHV_MIG_XSAVE_COMPONENTS];
    /* the vendor of the processor under the hypervisor (leaf 0 EBX EDX ECX) */
    uint32_t host_vendor[3];
    uint64_t tsc_hz;            /* the guest's TSC rate; 0: not known */
};

/* The partition's TSC rate, 0 if the hypervisor does not say. */
static uint64_t mshv_mig_tsc_hz(void)
{
    Error *err = NULL;
    uint64_t hz;

    if (mshv_get_property(mshv_state,
                          HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY,
                          &hz, &err) < 0) {
        error_report_err(err);
        return 0;
    }
    return hz;
}

static void mshv_mig_host_vendor(uint32_t vendor[3])
{
    vendor[0] = mshv_get_supported_cpuid(0, 0, R_EBX);
    vendor[1] = mshv_get_supported_cpuid(0, 0, R_EDX);
    vendor[2] = mshv_get_supported_cpuid(0, 0, R_ECX);
}

/*
 * Where the processor the hypervisor offers puts component @i in a
 * standard-format area (what the guest's CPUID leaf 0xD says).
 */
static uint64_t mshv_mig_xsave_place(unsigned i)
{
    return (uint64_t)mshv_get_supported_cpuid(0xd, i, R_EAX) << 32 |
           mshv_get_supported_cpuid(0xd, i, R_EBX);
}

static int mshv_mig_pre_save(void *opaque)
{
    MshvX86Migration *m = opaque;
    CPUX86State *env = cpu_env(m->cpu);
    /* the model's, fixed: XCR0 is the guest's, and not synchronized yet */
    uint64_t offered = env->features[FEAT_XSAVE_XCR0_LO] |
                       (uint64_t)env->features[FEAT_XSAVE_XCR0_HI] << 32;
    unsigned i;

    memcpy(m->features, env->features, sizeof(m->features));
    mshv_mig_host_vendor(m->host_vendor);
    m->tsc_hz = mshv_mig_tsc_hz();
    memset(m->xsave_layout, 0, sizeof(m->xsave_layout));
    for (i = 2; i < MSHV_MIG_XSAVE_COMPONENTS; i++) {
        if (offered & (1ULL << i)) {
            m->xsave_layout[i] = mshv_mig_xsave_place(i);
        }
    }
    return 0;
}

/*
 * A processor of the source's vendor.  Below CPUID the vendors differ
 * (SYSENTER and SYSCALL in long and compatibility mode, MSRs, errata),
 * and the hypervisor runs the guest on the processor as it is: whatever
 * vendor the CPU model names, a guest that booted on one vendor's
 * processor does not move to the other's.
 */
static void mshv_mig_other_vendor(MshvX86Migration *m, int version_id,
                                  GString *out)
{
    uint32_t here[3];
    char theirs[13] = "", ours[13] = "";

    if (version_id < 2) {
        return;     /* (a stream from before the source said) */
    }
    mshv_mig_host_vendor(here);
    if (!memcmp(here, m->host_vendor, sizeof(here))) {
        return;
    }
    memcpy(theirs, m->host_vendor, 12);
    memcpy(ours, here, 12);
    g_string_append_printf(out, " a %s host processor (this host's is %s; "
                           "a guest cannot move between processor vendors)",
                           theirs, ours);
}

/*
 * A TSC at the source's rate: the guest calibrated its clocks against it
 * (or read the rate from the hypervisor) once, at boot.
 */
static void mshv_mig_tsc_rate(MshvX86Migration *m, int version_id,
                              GString *out)
{
    uint64_t here;

    if (version_id < 3 || !m->tsc_hz) {
        return;     /* (not said) */
    }
    here = mshv_mig_tsc_hz();
    if (here && here != m->tsc_hz) {
        g_string_append_printf(out, " a TSC running at %" PRIu64 " Hz (this "
                               "host's runs at %" PRIu64 " Hz; the hypervisor "
                               "runs a guest's TSC at its host's rate)",
                               m->tsc_hz, here);
    }
}

/* The CPUID features the guest saw that this vCPU lacks, by name. */
static void mshv_mig_missing_features(MshvX86Migration *m, GString *out)
{
    CPUX86State *env = cpu_env(m->cpu);
    FeatureWord w;
    unsigned bit;

    for (w = 0; w < FEATURE_WORDS; w++) {
        const FeatureWordInfo *fw = &feature_word_info[w];
        uint64_t lack = m->features[w] & ~env->features[w];

        if (fw->type != CPUID_FEATURE_WORD) {
            continue;
        }
        for (bit = 0; bit < 64; bit++) {
            if (!(lack & (1ULL << bit))) {
                continue;
            }
            if (fw->feat_names[bit]) {
                g_string_append_printf(out, " %s", fw->feat_names[bit]);
            } else if (fw->cpuid.eax == 0xd && !fw->cpuid.ecx) {
                /* XCR0's supported bits, low (EAX) and high (EDX) */
                g_string_append_printf(out, " XSAVE component %u",
                                       bit + (fw->cpuid.reg == R_EDX ? 32 : 0));
            } else {
                g_string_append_printf(out, " CPUID[0x%x].%s[%u]",
                                       fw->cpuid.eax,
                                       "EAX\0ECX\0EDX\0EBX" + 4 * fw->cpuid.reg,
                                       bit);
            }
        }
    }
}

/*
 * XSAVE components the guest was offered that the partition lacks, or
 * that the processor places elsewhere than the source's did.  (From the
 * stream: this vCPU's own state has not arrived yet.)
 */
static void mshv_mig_xsave_mismatch(MshvX86Migration *m, GString *out)
{
    CPUX86State *env = cpu_env(m->cpu);
    /* the ones this vCPU does not offer, mshv_mig_missing_features names */
    uint64_t offered = env->features[FEAT_XSAVE_XCR0_LO] |
                       (uint64_t)env->features[FEAT_XSAVE_XCR0_HI] << 32;
    Error *err = NULL;
    uint64_t states, here;
    unsigned i;

    if (mshv_get_property(mshv_state, HV_PARTITION_PROPERTY_XSAVE_STATES,
                          &states, &err) < 0) {
        error_report_err(err);
        g_string_append(out, " the partition's XSAVE components (the "
                        "hypervisor did not say which)");
        return;
    }
    for (i = 2; i < MSHV_MIG_XSAVE_COMPONENTS; i++) {
        if (!m->xsave_layout[i] || !(offered & (1ULL << i))) {
            continue;
        }
        if (!(states & (1ULL << i))) {
            g_string_append_printf(out, " XSAVE component %u", i);
            continue;
        }
        here = mshv_mig_xsave_place(i);
        if (m->xsave_layout[i] != here) {
            g_string_append_printf(out, " XSAVE component %u as %u bytes at "
                                   "%u (here %u at %u)", i,
                                   (uint32_t)(m->xsave_layout[i] >> 32),
                                   (uint32_t)m->xsave_layout[i],
                                   (uint32_t)(here >> 32), (uint32_t)here);
        }
    }
}

static int mshv_mig_post_load(void *opaque, int version_id)
{
    MshvX86Migration *m = opaque;
    g_autoptr(GString) lack = g_string_new("");

    mshv_mig_other_vendor(m, version_id, lack);
    mshv_mig_tsc_rate(m, version_id, lack);
    mshv_mig_missing_features(m, lack);
    mshv_mig_xsave_mismatch(m, lack);
    if (lack->len) {
        mshv_x86_migration_refuse(m->cpu, lack->str);
        return -EINVAL;
    }
    trace_mshv_migration_accepted(m->cpu->cpu_index);
    return 0;
}

void mshv_x86_migration_refuse(CPUState *cpu, const char *lack)
{
    bool host = object_dynamic_cast(OBJECT(cpu), X86_CPU_TYPE_NAME("host"));

    error_report("mshv: vCPU %d: the incoming guest state needs what this "
                 "vCPU does not have:%s; start the destination with the "
                 "source's -cpu, on a host whose processor has all of it%s",
                 cpu->cpu_index, lack, host ? " (-cpu host is the "
                 "processor a guest starts on: to move between hosts with "
                 "different processors, start it with a named model both "
                 "have)" : "");
}

static const VMStateDescription vmstate_mshv_cpu = {
    .name = "mshv-cpu",
    .early_setup = true,
    .version_id = 3,
    .minimum_version_id = 1,
    .pre_save = mshv_mig_pre_save,
    .post_load = mshv_mig_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(features, MshvX86Migration, FEATURE_WORDS),
        VMSTATE_UINT64_ARRAY(xsave_layout, MshvX86Migration,
                             MSHV_MIG_XSAVE_COMPONENTS),
        VMSTATE_UINT32_ARRAY_V(host_vendor, MshvX86Migration, 3, 2),
        VMSTATE_UINT64_V(tsc_hz, MshvX86Migration, 3),
        VMSTATE_END_OF_LIST()
    },
};

void mshv_x86_migration_init(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    s->migration = g_new0(MshvX86Migration, 1);
    s->migration->cpu = cpu;
    vmstate_register(NULL, cpu->cpu_index, &vmstate_mshv_cpu, s->migration);
}

void mshv_x86_migration_destroy(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    if (s->migration) {
        vmstate_unregister(NULL, &vmstate_mshv_cpu, s->migration);
        g_free(s->migration);
        s->migration = NULL;
    }
}
