/*
 * MSHV: a guest virtual address translated as
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS does it
 *
 * A walk of the page tables as they are in guest memory now, in whichever
 * paging mode the processor state says, with the checks the VMM asks for
 * (HV_TRANSLATE_GVA_VALIDATE_*) made with the VP's privilege unless the
 * VMM names one, and optionally the accessed and dirty bits set as the
 * access itself would set them.  QEMU's own debug walk (the one gdb and
 * the monitor use) checks nothing, hence this one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "hw/hyperv/mshv-abi.h"
#include "mshv-walk.h"

typedef struct MshvWalk {
    const MshvWalkCpu *cpu;
    const MshvWalkOps *ops;
    void *opaque;
    uint64_t flags;             /* HV_TRANSLATE_GVA_* */
    uint64_t rsvd;              /* address bits an entry must not set */
    bool nxe;
    bool writable, user, nx;    /* what every level so far allows */
} MshvWalk;

/*
 * Read the entry at @addr, check it and fold its permissions into @w.
 * Returns HV_TRANSLATE_GVA_SUCCESS or why the walk ends here.
 */
static uint32_t mshv_walk_entry(MshvWalk *w, uint64_t addr, bool wide,
                                bool may_be_large, uint64_t *entry)
{
    uint64_t e;

    if (!w->ops->read(w->opaque, addr, wide, &e)) {
        return HV_TRANSLATE_GVA_GPA_UNMAPPED;
    }
    if (!(e & PG_PRESENT_MASK)) {
        return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
    }
    if (wide && ((e & w->rsvd) || ((e & PG_NX_MASK) && !w->nxe) ||
                 ((e & PG_PSE_MASK) && !may_be_large))) {
        return HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS;
    }
    w->writable &= !!(e & PG_RW_MASK);
    w->user &= !!(e & PG_USER_MASK);
    w->nx |= w->nxe && (e & PG_NX_MASK);
    if (w->flags & HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS &&
        !(e & PG_ACCESSED_MASK)) {
        w->ops->set_bits(w->opaque, addr, PG_ACCESSED_MASK);
    }
    *entry = e;
    return HV_TRANSLATE_GVA_SUCCESS;
}

/* May the access the VMM describes go through a page @w allows? */
static bool mshv_walk_allowed(const MshvWalkCpu *cpu, const MshvWalk *w)
{
    uint64_t f = w->flags;
    bool user = f & HV_TRANSLATE_GVA_USER_ACCESS ? true :
                f & HV_TRANSLATE_GVA_SUPERVISOR_ACCESS ? false :
                cpu->cpl == 3;
    bool smap;

    if (f & HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT) {
        return true;
    }
    if (user && !w->user) {
        return false;
    }
    if ((f & HV_TRANSLATE_GVA_VALIDATE_WRITE) && !w->writable &&
        (user || (cpu->cr0 & CR0_WP_MASK))) {
        return false;
    }
    if (f & HV_TRANSLATE_GVA_VALIDATE_EXECUTE) {
        return !w->nx &&
               !(!user && w->user && (cpu->cr4 & CR4_SMEP_MASK));
    }
    /* supervisor data access to a user page */
    smap = !user && w->user && (cpu->cr4 & CR4_SMAP_MASK) &&
           ((f & HV_TRANSLATE_GVA_ENFORCE_SMAP) ||
            (!(f & HV_TRANSLATE_GVA_OVERRIDE_SMAP) &&
             !(cpu->rflags & AC_MASK)));
    return !smap;
}

uint32_t mshv_walk_translate(const MshvWalkCpu *cpu, const MshvWalkOps *ops,
                             void *opaque, uint64_t gva, uint64_t flags,
                             uint64_t *gpa)
{
    bool lma = cpu->efer & MSR_EFER_LMA;
    MshvWalk w = {
        .cpu = cpu,
        .ops = ops,
        .opaque = opaque,
        .flags = flags,
        /* address bits the CPU lacks; 52-62 are the OS's in long mode */
        .rsvd = (cpu->phys_bits < 52 ?
                 MAKE_64BIT_MASK(cpu->phys_bits, 52 - cpu->phys_bits) : 0) |
                (lma ? 0 : MAKE_64BIT_MASK(52, 11)),
        .nxe = cpu->efer & MSR_EFER_NXE,
        .writable = true,
        .user = true,
    };
    bool wide = cpu->cr4 & CR4_PAE_MASK;
    unsigned bits = wide ? 9 : 10, level, shift = 0;
    uint64_t table, addr = 0;
    uint64_t e = 0, page_mask;
    uint32_t res;

    if (!(cpu->cr0 & CR0_PG_MASK)) {
        *gpa = gva & cpu->a20_mask & ~0xfffULL;
        return HV_TRANSLATE_GVA_SUCCESS;
    }
    if (lma) {
        level = cpu->cr4 & CR4_LA57_MASK ? 5 : 4;
        shift = 12 + 9 * level;
        /* canonical: the bits above the walk's copy its top bit */
        if (((int64_t)gva << (64 - shift)) >> (64 - shift) != (int64_t)gva) {
            return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
        }
        table = cpu->cr3 & PG_ADDRESS_MASK;
    } else if (wide) {
        /* PAE: one of four PDPTEs, which carry no permissions */
        gva = (uint32_t)gva;
        if (!ops->read(opaque, (cpu->cr3 & ~0x1fULL) + ((gva >> 30) & 3) * 8,
                       true, &e)) {
            return HV_TRANSLATE_GVA_GPA_UNMAPPED;
        }
        if (!(e & PG_PRESENT_MASK)) {
            return HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
        }
        if (e & (w.rsvd | PG_NX_MASK | 0x1e6)) {
            return HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS;
        }
        level = 2;
        table = e & PG_ADDRESS_MASK;
    } else {
        gva = (uint32_t)gva;
        level = 2;
        table = cpu->cr3 & 0xfffff000;
    }

    for (;; level--) {
        shift = 12 + bits * (level - 1);
        addr = table + ((gva >> shift) & MAKE_64BIT_MASK(0, bits)) *
                       (wide ? 8 : 4);
        /* PS: a large page at levels 2 and 3, the PAT bit at level 1 */
        res = mshv_walk_entry(&w, addr, wide, level <= 3, &e);
        if (res != HV_TRANSLATE_GVA_SUCCESS) {
            return res;
        }
        if (level == 1 ||
            (e & PG_PSE_MASK && (wide || (cpu->cr4 & CR4_PSE_MASK)))) {
            break;
        }
        table = e & (wide ? PG_ADDRESS_MASK : 0xfffff000);
    }

    if (!mshv_walk_allowed(cpu, &w)) {
        return HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION;
    }
    page_mask = MAKE_64BIT_MASK(0, shift);
    if (wide) {
        *gpa = e & PG_ADDRESS_MASK & ~page_mask;
    } else if (level == 2) {
        /* a 4 MiB page (PSE-36: address bits 32-39 in bits 13-20) */
        *gpa = (e & 0xffc00000) | ((e & 0x1fe000ULL) << 19);
    } else {
        *gpa = e & 0xfffff000;
    }
    *gpa = (*gpa | (gva & page_mask)) & cpu->a20_mask & ~0xfffULL;
    if ((flags & HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS) &&
        (flags & HV_TRANSLATE_GVA_VALIDATE_WRITE) && !(e & PG_DIRTY_MASK)) {
        ops->set_bits(opaque, addr, PG_DIRTY_MASK);
    }
    return HV_TRANSLATE_GVA_SUCCESS;
}
