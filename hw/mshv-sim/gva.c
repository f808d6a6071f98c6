/*
 * MSHV simulator: guest virtual addresses, translated as
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS does it
 *
 * The shared walker (target/i386/mshv/mshv-walk.c) over the VP's TCG
 * state and the partition's memory: a paging entry in a GPA no region
 * maps (emulated MMIO, which only the VMM can read) ends the walk with
 * HV_TRANSLATE_GVA_GPA_UNMAPPED, as the hypervisor cannot read it either.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "exec/memory.h"
#include "hw/core/cpu.h"
#include "cpu.h"
#include "mshv-sim.h"
#include "vp.h"
#include "mshv/mshv-walk.h"

static bool mshv_sim_gva_read(void *opaque, uint64_t gpa, bool wide,
                              uint64_t *entry)
{
    CPUState *cs = opaque;

    if (!mshv_sim_region_find(mshv_sim_cpu_vp(cs)->pt, gpa)) {
        return false;
    }
    *entry = wide ? x86_ldq_phys(cs, gpa) : x86_ldl_phys(cs, gpa);
    return true;
}

/* Set @bits in the entry at @gpa atomically, as the CPU's walk does. */
static void mshv_sim_gva_set_bits(void *opaque, uint64_t gpa, uint32_t bits)
{
    CPUState *cs = opaque;
    hwaddr len = sizeof(uint32_t);
    uint32_t *p = address_space_map(cs->as, gpa, &len, true,
                                    MEMTXATTRS_UNSPECIFIED);

    if (!p) {
        return;
    }
    if (len == sizeof(uint32_t)) {
        qatomic_or(p, cpu_to_le32(bits));
    }
    address_space_unmap(cs->as, p, len, true, len);
}

static const MshvWalkOps mshv_sim_gva_ops = {
    .read = mshv_sim_gva_read,
    .set_bits = mshv_sim_gva_set_bits,
};

uint32_t mshv_sim_gva_translate(CPUState *cs, uint64_t gva, uint64_t flags,
                                uint64_t *gpa)
{
    CPUX86State *env = cpu_env(cs);
    MshvWalkCpu cpu = {
        .cr0 = env->cr[0],
        .cr3 = env->cr[3],
        .cr4 = env->cr[4],
        .efer = env->efer,
        .rflags = env->eflags,
        .cpl = env->hflags & HF_CPL_MASK,
        .phys_bits = X86_CPU(cs)->phys_bits,
        .a20_mask = x86_get_a20_mask(env),
    };

    return mshv_walk_translate(&cpu, &mshv_sim_gva_ops, cs, gva, flags, gpa);
}
