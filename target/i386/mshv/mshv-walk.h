/*
 * MSHV: a guest virtual address translated as
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS does it
 *
 * The one page walker, shared: the MSHV simulator answers the hypercall
 * with it (hw/mshv-sim/gva.c), and the accelerator walks with it itself
 * where the hypervisor cannot, page tables the hypervisor cannot read
 * (in emulated MMIO) being read through QEMU's memory map, as the
 * processor's walk reads them from the device (mshv-gmem.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_WALK_H
#define TARGET_I386_MSHV_WALK_H

/* The processor state a walk depends on. */
typedef struct MshvWalkCpu {
    uint64_t cr0, cr3, cr4, efer, rflags;
    unsigned cpl;
    unsigned phys_bits;         /* MAXPHYADDR */
    uint64_t a20_mask;          /* ~0 unless the A20 gate masks bit 20 */
} MshvWalkCpu;

typedef struct MshvWalkOps {
    /*
     * Read the paging entry at @gpa (8 bytes if @wide, else 4): false if
     * the GPA is not memory the walk can read (the result is then
     * HV_TRANSLATE_GVA_GPA_UNMAPPED).
     */
    bool (*read)(void *opaque, uint64_t gpa, bool wide, uint64_t *entry);
    /* Set the accessed or dirty @bits in the entry at @gpa, atomically. */
    void (*set_bits)(void *opaque, uint64_t gpa, uint32_t bits);
} MshvWalkOps;

/*
 * Translate @gva with the checks HV_TRANSLATE_GVA_* @flags ask for (the
 * privilege the VP's unless they name one); on success the page's GPA
 * in *@gpa.  Returns an HV_TRANSLATE_GVA_* result code.
 */
uint32_t mshv_walk_translate(const MshvWalkCpu *cpu, const MshvWalkOps *ops,
                             void *opaque, uint64_t gva, uint64_t flags,
                             uint64_t *gpa);

#endif /* TARGET_I386_MSHV_WALK_H */
