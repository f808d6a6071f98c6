/*
 * MSHV accelerator, x86: the guest's CPUID is QEMU's -cpu model
 *
 * Every leaf and subleaf of the model is registered with the hypervisor
 * (HVCALL_REGISTER_INTERCEPT_RESULT, all bits overridden but those the
 * processor derives from the VP's state), so the guest sees exactly what
 * QEMU's CPUX86State describes, per vCPU (APIC IDs and topology leaves
 * differ between vCPUs).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-x86.h"

/*
 * Leaves whose output depends on ECX, and how many subleaves are worth
 * asking for (0: the leaf ignores ECX).  Leaf 7's count is the CPU
 * model's, where a model is known.
 */
unsigned mshv_x86_cpuid_subleaf_count(uint32_t leaf)
{
    switch (leaf) {
    case 0xd:
        return 64;
    case 0x4:
    case 0x8000001d:
    case 0xb:
    case 0x1f:
        return 8;
    case 0x7:
    case 0xf:
    case 0x10:
    case 0x12:
    case 0x14:
    case 0x17:
    case 0x18:
    case 0x1d:
    case 0x1e:
    case 0x24:
        return 4;
    default:
        return 0;
    }
}

static unsigned mshv_cpuid_subleaves(CPUX86State *env, uint32_t leaf)
{
    if (leaf == 0x7) {
        /* level-func7 comes from the command line: bounded like others */
        return MIN(env->cpuid_level_func7, 0xffu) + 1;
    }
    return mshv_x86_cpuid_subleaf_count(leaf);
}

/*
 * Bits the processor computes from the VP's current state (CR4, XCR0,
 * XSS): the hypervisor's answer, never a value fixed now.
 */
static void mshv_cpuid_dynamic(
    struct hv_input_register_intercept_result_cpuid *in)
{
    switch (in->input_eax) {
    case 0x1:
        in->ecx_mask &= ~CPUID_EXT_OSXSAVE;
        break;
    case 0x7:
        if (in->input_ecx == 0) {
            in->ecx_mask &= ~CPUID_7_0_ECX_OSPKE;
        }
        break;
    case 0xd:
        /* the XSAVE area size for the enabled components */
        if (in->input_ecx <= 1) {
            in->ebx_mask = 0;
        }
        break;
    }
}

static int mshv_cpuid_register(CPUState *cpu, uint32_t leaf, uint32_t subleaf,
                               bool subleaf_specific, Error **errp)
{
    AccelCPUState *s = cpu->accel;
    struct hv_input_register_intercept_result_cpuid in = {
        .vp_index = s->vp_index,
        .intercept_type = HV_INTERCEPT_TYPE_X64_CPUID,
        .input_eax = leaf,
        .input_ecx = subleaf,
        .subleaf_specific = subleaf_specific,
        .always_override = 1,
        .eax_mask = ~0u,
        .ebx_mask = ~0u,
        .ecx_mask = ~0u,
        .edx_mask = ~0u,
    };
    uint32_t eax, ebx, ecx, edx;
    uint16_t status;
    int ret;

    mshv_cpuid_dynamic(&in);
    cpu_x86_cpuid(cpu_env(cpu), leaf, subleaf, &eax, &ebx, &ecx, &edx);
    in.eax = eax;
    in.ebx = ebx;
    in.ecx = ecx;
    in.edx = edx;
    ret = mshv_hvcall(s->vp_fd, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in,
                      sizeof(in), NULL, 0, &status, NULL);
    if (ret < 0) {
        error_setg(errp, "programming CPUID leaf 0x%x.%u failed: %s "
                   "(hypervisor status 0x%x)", leaf, subleaf, strerror(-ret),
                   status);
    }
    return ret;
}

/* Leaves of one range we program; real models stop far below. */
#define MSHV_CPUID_MAX_LEAVES   0x100

static int mshv_cpuid_range(CPUState *cpu, uint32_t first, uint32_t last,
                            Error **errp)
{
    CPUX86State *env = cpu_env(cpu);
    uint32_t leaf, sub, n;

    if (last < first) {
        return 0;
    }
    if (last - first >= MSHV_CPUID_MAX_LEAVES) {
        error_setg(errp, "CPUID leaf 0x%x is beyond what -accel mshv "
                   "programs (at most 0x%x): lower the CPU model's level, "
                   "xlevel or xlevel2 property", last,
                   first + MSHV_CPUID_MAX_LEAVES - 1);
        return -1;
    }
    for (leaf = first; leaf <= last; leaf++) {
        n = mshv_cpuid_subleaves(env, leaf);
        if (!n) {
            if (mshv_cpuid_register(cpu, leaf, 0, false, errp) < 0) {
                return -1;
            }
            continue;
        }
        for (sub = 0; sub < n; sub++) {
            if (mshv_cpuid_register(cpu, leaf, sub, true, errp) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

int mshv_x86_setup_cpuid(CPUState *cpu, Error **errp)
{
    CPUX86State *env = cpu_env(cpu);

    if (mshv_cpuid_range(cpu, 0, env->cpuid_level, errp) < 0 ||
        mshv_cpuid_range(cpu, 0x80000000, env->cpuid_xlevel, errp) < 0) {
        return -1;
    }
    if (env->cpuid_xlevel2 >= 0xc0000000 &&
        mshv_cpuid_range(cpu, 0xc0000000, env->cpuid_xlevel2, errp) < 0) {
        return -1;
    }
    return 0;
}
