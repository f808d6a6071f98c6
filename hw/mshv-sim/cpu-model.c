/*
 * MSHV simulator: the processor the partitions run on -- the machine's
 * CPU model (a host profile's -cpu), as TCG executes it -- and what the
 * hypervisor says of it: the processor feature banks and the XSAVE
 * components.
 *
 * A VMM builds a partition from these (upstream QEMU and Cloud Hypervisor
 * ask the host partition for the banks), so they follow the model: a
 * Nehalem host does not claim MOVBE or BMI, and a VMM that believed it
 * would show its guest instructions TCG then refuses.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/boards.h"
#include "cpu.h"
#include "cpu-internal.h"
#include "mshv-sim.h"

/*
 * The machine's CPU model, expanded as a VP's will be (each VP is one of
 * its CPUs): its feature words, worked out once (a hypervisor process
 * runs one partition), when the partition is created, on the main loop,
 * before any VP can ask.
 */
static FeatureWordArray mshv_sim_model;
static bool mshv_sim_model_known;

static const FeatureWordArray *mshv_sim_cpu_model(MshvSimPartition *pt)
{
    X86CPU *cpu;
    Error *err = NULL;
    FeatureWord w;

    if (mshv_sim_model_known) {
        return &mshv_sim_model;
    }
    cpu = X86_CPU(object_new(MACHINE(pt)->cpu_type));
    mshv_sim_cpu_fit_host(OBJECT(cpu));
    x86_cpu_expand_features(cpu, &err);
    if (err) {
        /* (cannot happen with a model the machine started with) */
        error_report_err(err);
    } else {
        for (w = 0; w < FEATURE_WORDS; w++) {
            mshv_sim_model[w] = cpu->env.features[w] &
                                x86_cpu_get_supported_feature_word(cpu, w);
        }
    }
    object_unref(OBJECT(cpu));
    mshv_sim_model_known = true;
    return &mshv_sim_model;
}

/*
 * Processor feature bank bits (bank 0: 0-63, bank 1: 64-127) and the
 * CPUID features they stand for.  Bits with no CPUID feature of their own
 * (mitigations, the hypervisor's own abilities) stay set; the TSC-deadline
 * timer is the simulator's APIC's, whatever the model says.
 */
static const struct {
    uint8_t bit;
    FeatureWord word;
    uint64_t mask;
} mshv_sim_bank_features[] = {
    { 0, FEAT_1_ECX, CPUID_EXT_SSE3 },
    { 1, FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM },
    { 2, FEAT_1_ECX, CPUID_EXT_SSSE3 },
    { 3, FEAT_1_ECX, CPUID_EXT_SSE41 },
    { 4, FEAT_1_ECX, CPUID_EXT_SSE42 },
    { 5, FEAT_8000_0001_ECX, CPUID_EXT3_SSE4A },
    { 6, FEAT_8000_0001_ECX, CPUID_EXT3_XOP },
    { 7, FEAT_1_ECX, CPUID_EXT_POPCNT },
    { 8, FEAT_1_ECX, CPUID_EXT_CX16 },
    { 9, FEAT_8000_0001_ECX, CPUID_EXT3_CR8LEG },
    { 10, FEAT_8000_0001_ECX, CPUID_EXT3_ABM },
    { 11, FEAT_8000_0001_ECX, CPUID_EXT3_MISALIGNSSE },
    { 12, FEAT_8000_0001_EDX, CPUID_EXT2_MMXEXT },
    { 13, FEAT_8000_0001_EDX, CPUID_EXT2_3DNOW },
    { 14, FEAT_8000_0001_EDX, CPUID_EXT2_3DNOWEXT },
    { 15, FEAT_8000_0001_EDX, CPUID_EXT2_PDPE1GB },
    { 16, FEAT_1_ECX, CPUID_EXT_AES },
    { 17, FEAT_1_ECX, CPUID_EXT_PCLMULQDQ },
    { 18, FEAT_1_ECX, CPUID_EXT_PCID },
    { 19, FEAT_8000_0001_ECX, CPUID_EXT3_FMA4 },
    { 20, FEAT_1_ECX, CPUID_EXT_F16C },
    { 21, FEAT_1_ECX, CPUID_EXT_RDRAND },
    { 22, FEAT_7_0_EBX, CPUID_7_0_EBX_FSGSBASE },
    { 23, FEAT_7_0_EBX, CPUID_7_0_EBX_SMEP },
    { 24, FEAT_7_0_EBX, CPUID_7_0_EBX_ERMS },
    { 25, FEAT_7_0_EBX, CPUID_7_0_EBX_BMI1 },
    { 26, FEAT_7_0_EBX, CPUID_7_0_EBX_BMI2 },
    { 27, FEAT_7_0_EBX, CPUID_7_0_EBX_HLE },
    { 28, FEAT_7_0_EBX, CPUID_7_0_EBX_RTM },
    { 29, FEAT_1_ECX, CPUID_EXT_MOVBE },
    { 32, FEAT_7_0_EBX, CPUID_7_0_EBX_RDSEED },
    { 33, FEAT_7_0_EBX, CPUID_7_0_EBX_ADX },
    { 34, FEAT_8000_0001_ECX, CPUID_EXT3_3DNOWPREFETCH },
    { 35, FEAT_7_0_EBX, CPUID_7_0_EBX_SMAP },
    { 36, FEAT_7_0_EBX, CPUID_7_0_EBX_HLE },
    { 37, FEAT_7_0_EBX, CPUID_7_0_EBX_RTM },
    { 38, FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP },
    { 39, FEAT_7_0_EBX, CPUID_7_0_EBX_CLFLUSHOPT },
    { 40, FEAT_7_0_EBX, CPUID_7_0_EBX_CLWB },
    { 41, FEAT_7_0_EBX, CPUID_7_0_EBX_SHA_NI },
    { 43, FEAT_7_0_EBX, CPUID_7_0_EBX_INVPCID },
    { 44, FEAT_7_0_EDX, CPUID_7_0_EDX_SPEC_CTRL },
    { 45, FEAT_7_0_EDX, CPUID_7_0_EDX_STIBP },
    { 46, FEAT_8000_0008_EBX, CPUID_8000_0008_EBX_IBPB },
    { 49, FEAT_7_0_EDX, CPUID_7_0_EDX_FSRM },
    { 57, FEAT_7_0_ECX, CPUID_7_0_ECX_RDPID },
    { 58, FEAT_7_0_ECX, CPUID_7_0_ECX_UMIP },
    { 65, FEAT_8000_0007_EDX, CPUID_APM_INVTSC },
    { 66, FEAT_8000_0008_EBX, CPUID_8000_0008_EBX_CLZERO },
    { 68, FEAT_7_0_ECX, CPUID_7_0_ECX_LA57 },
    { 76, FEAT_7_0_ECX, CPUID_7_0_ECX_WAITPKG },
    { 77, FEAT_7_0_ECX, CPUID_7_0_ECX_MOVDIRI },
    { 78, FEAT_7_0_ECX, CPUID_7_0_ECX_MOVDIR64B },
    { 79, FEAT_7_0_ECX, CPUID_7_0_ECX_CLDEMOTE },
    { 80, FEAT_7_0_EDX, CPUID_7_0_EDX_SERIALIZE },
    { 82, FEAT_7_0_EBX, CPUID_7_0_EBX_TSC_ADJUST },
    { 83, FEAT_7_1_EAX, CPUID_7_1_EAX_FZRM },
    { 84, FEAT_7_1_EAX, CPUID_7_1_EAX_FSRS },
    { 85, FEAT_7_1_EAX, CPUID_7_1_EAX_FSRC },
};

uint64_t mshv_sim_processor_features(MshvSimPartition *pt, unsigned bank)
{
    const FeatureWordArray *model = mshv_sim_cpu_model(pt);
    uint64_t f = bank ? MSHV_SIM_PROCESSOR_FEATURES1 :
                        MSHV_SIM_PROCESSOR_FEATURES0;
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(mshv_sim_bank_features); i++) {
        unsigned bit = mshv_sim_bank_features[i].bit;

        if (bit / 64 == bank &&
            !((*model)[mshv_sim_bank_features[i].word] &
              mshv_sim_bank_features[i].mask)) {
            f &= ~(1ULL << (bit % 64));
        }
    }
    if (bank && !pt->cet) {
        f &= ~MSHV_SIM_PROCESSOR_FEATURES1_CET;
    }
    return f & ~pt->disabled_fbanks[bank];
}

bool mshv_sim_has_cet(MshvSimPartition *pt)
{
    return mshv_sim_processor_features(pt, 1) &
           MSHV_SIM_PROCESSOR_FEATURES1_CET;
}

/*
 * The features of the CPU model whose XSAVE state the real processor
 * has no component for: a VMM sizes the components of the partition's
 * XSAVE area from its own CPUID, which the simulator cannot change, so
 * the simulated processor goes without them (TCG's "max" has MPX and PKU
 * on any host).
 */
static const struct {
    unsigned component;
    const char *feature;
} mshv_sim_xsave_features[] = {
    { XSTATE_YMM_BIT, "avx" },
    { XSTATE_BNDREGS_BIT, "mpx" },
    { XSTATE_BNDCSR_BIT, "mpx" },
    { XSTATE_PKRU_BIT, "pku" },
};

void mshv_sim_cpu_fit_host(Object *cpu)
{
    uint32_t eax, ebx, ecx, edx;
    unsigned i;

    host_cpuid(0xd, 0, &eax, &ebx, &ecx, &edx);
    for (i = 0; i < ARRAY_SIZE(mshv_sim_xsave_features); i++) {
        if (!(eax & (1u << mshv_sim_xsave_features[i].component))) {
            object_property_set_bool(cpu, mshv_sim_xsave_features[i].feature,
                                     false, &error_abort);
        }
    }
}

/* The XSAVE components of the partition's processor, as XCR0 has them. */
uint64_t mshv_sim_xsave_states(MshvSimPartition *pt)
{
    const FeatureWordArray *model = mshv_sim_cpu_model(pt);
    uint64_t states = XSTATE_FP_MASK | XSTATE_SSE_MASK |
                      (*model)[FEAT_XSAVE_XCR0_LO] |
                      (*model)[FEAT_XSAVE_XCR0_HI] << 32;

    if (mshv_sim_has_cet(pt)) {
        states |= MSHV_SIM_XSAVE_CET;
    }
    return states & ~pt->disabled_xsave;
}
