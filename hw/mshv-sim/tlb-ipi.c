/*
 * MSHV simulator: the guest's TLB flush and synthetic cluster IPI
 * hypercalls
 *
 * With the partition's TB_FLUSH_HYPERCALLS feature a guest flushes other
 * VPs' TLBs in one hypercall instead of sending IPIs and waiting for
 * every target (TLFS HvCallFlushVirtualAddressSpace/List); with
 * SYNTHETIC_CLUSTER_IPI it sends one fixed interrupt to a set of VPs
 * (HvCallSendSyntheticClusterIpi).  EXTENDED_PROCESSOR_MASKS adds the Ex
 * forms, whose sparse VP sets reach beyond VP 63.
 *
 * A flush empties the whole TLB of each target: more than the guest asked
 * for, which is always correct, and TCG's TLB has no address spaces to
 * tell apart.  It is complete when the hypercall returns: the targets'
 * flushes are queued first, the caller's own goes last as safe work,
 * which runs only when every VP is out of its CPU loop, and a VP takes
 * its queued work before it runs guest code again.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "exec/address-spaces.h"
#include "exec/exec-all.h"
#include "exec/cputlb.h"
#include "hw/core/cpu.h"
#include "cpu.h"
#include "mshv-sim.h"
#include "trace.h"

/* A hypercall's input can neither cross nor leave its page (TLFS). */
static bool mshv_sim_hcall_read(const MshvSimHcall *hc, uint64_t off,
                                void *buf, uint64_t len)
{
    if (hc->fast) {
        if (off + len > sizeof(hc->fast_in)) {
            return false;
        }
        memcpy(buf, (const uint8_t *)hc->fast_in + off, len);
        return true;
    }
    if ((hc->in_gpa & ~TARGET_PAGE_MASK) + off + len > TARGET_PAGE_SIZE) {
        return false;
    }
    return address_space_read(&address_space_memory, hc->in_gpa + off,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static unsigned mshv_sim_hcall_reps(const MshvSimHcall *hc)
{
    return (hc->control >> HV_HYPERCALL_REP_COUNT_SHIFT) &
           HV_HYPERCALL_REP_MASK;
}

static unsigned mshv_sim_hcall_varhead(const MshvSimHcall *hc)
{
    return ((hc->control >> HV_HYPERCALL_VARHEAD_SHIFT) &
            HV_HYPERCALL_VARHEAD_MASK) * 8;
}

/*
 * The VPs of the HV_VP_SET at @off into @targets: its format, its valid
 * bank mask, then a 64-VP bank for each bit of the mask, which the
 * caller's variable header size must cover exactly.
 */
static uint16_t mshv_sim_hcall_vp_set(const MshvSimHcall *hc, unsigned off,
                                      unsigned long *targets)
{
    uint64_t format, banks, bank;
    unsigned b, n = 0, vp;

    if (!mshv_sim_hcall_read(hc, off, &format, 8) ||
        !mshv_sim_hcall_read(hc, off + 8, &banks, 8)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (format == HV_GENERIC_SET_ALL) {
        bitmap_fill(targets, MSHV_MAX_VPS);
        return mshv_sim_hcall_varhead(hc) ? HV_STATUS_INVALID_HYPERCALL_INPUT
                                          : HV_STATUS_SUCCESS;
    }
    if (format != HV_GENERIC_SET_SPARSE_4K) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    if (mshv_sim_hcall_varhead(hc) != ctpop64(banks) * 8) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    for (b = 0; b < HV_VP_SET_BANK_COUNT_MAX; b++) {
        if (!(banks & (1ULL << b))) {
            continue;
        }
        if (!mshv_sim_hcall_read(hc, off + 16 + 8 * n++, &bank, 8)) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        for (vp = b * 64; bank; vp++, bank >>= 1) {
            if ((bank & 1) && vp < MSHV_MAX_VPS) {
                set_bit(vp, targets);
            }
        }
    }
    return HV_STATUS_SUCCESS;
}

/* A 64-bit processor mask: VPs 0-63. */
static void mshv_sim_hcall_vp_mask(uint64_t mask, unsigned long *targets)
{
    unsigned vp;

    for (vp = 0; mask && vp < MSHV_MAX_VPS; vp++, mask >>= 1) {
        if (mask & 1) {
            set_bit(vp, targets);
        }
    }
}

static void mshv_sim_flush_self(CPUState *cs, run_on_cpu_data data)
{
    tlb_flush(cs);
}

static uint16_t mshv_sim_flush(MshvSimPartition *pt, CPUState *cs,
                               const MshvSimHcall *hc, bool ex, bool list)
{
    DECLARE_BITMAP(targets, MSHV_MAX_VPS) = { 0 };
    uint64_t flags;
    unsigned head = 16, vp;
    uint16_t status;
    MshvSimVp *t;

    /* address space, flags, then the processor mask or the VP set */
    if (!mshv_sim_hcall_read(hc, 8, &flags, 8)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (ex) {
        status = mshv_sim_hcall_vp_set(hc, head, targets);
        if (status != HV_STATUS_SUCCESS) {
            return status;
        }
        head += 16 + mshv_sim_hcall_varhead(hc);
    } else {
        uint64_t mask;

        if (mshv_sim_hcall_varhead(hc) ||
            !mshv_sim_hcall_read(hc, head, &mask, 8)) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        mshv_sim_hcall_vp_mask(mask, targets);
        head += 8;
    }
    if (list) {
        uint64_t last;

        /* the GVA ranges: read none, flush all; they must be there */
        if (!mshv_sim_hcall_reps(hc) || hc->fast ||
            !mshv_sim_hcall_read(hc, head + 8 * (mshv_sim_hcall_reps(hc) - 1),
                                 &last, 8)) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
    } else if (mshv_sim_hcall_reps(hc)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (flags & HV_FLUSH_ALL_PROCESSORS) {
        bitmap_fill(targets, MSHV_MAX_VPS);
    }
    for (vp = find_first_bit(targets, MSHV_MAX_VPS); vp < MSHV_MAX_VPS;
         vp = find_next_bit(targets, MSHV_MAX_VPS, vp + 1)) {
        t = mshv_sim_vp_find(pt, vp);
        /* a TLB is its own thread's to touch: a flush from here races */
        if (t && mshv_sim_vp_cpu(t) != cs) {
            async_run_on_cpu(mshv_sim_vp_cpu(t), mshv_sim_flush_self,
                             RUN_ON_CPU_NULL);
        }
    }
    /*
     * The caller's flush last, once every VP has left its CPU loop: each
     * target runs its flush before it executes again.
     */
    async_safe_run_on_cpu(cs, mshv_sim_flush_self, RUN_ON_CPU_NULL);
    mshv_sim_count(pt, MSHV_SIM_CNT_GUEST_FLUSH);
    return HV_STATUS_SUCCESS;
}

static uint16_t mshv_sim_send_ipi(MshvSimPartition *pt,
                                  const MshvSimHcall *hc, bool ex)
{
    DECLARE_BITMAP(targets, MSHV_MAX_VPS) = { 0 };
    uint32_t vector;
    uint8_t vtl;
    uint16_t status;
    unsigned vp;
    MshvSimVp *t;

    /* vector, target VTL, 3 reserved bytes, the mask or the VP set */
    if (mshv_sim_hcall_reps(hc) ||
        !mshv_sim_hcall_read(hc, 0, &vector, 4) ||
        !mshv_sim_hcall_read(hc, 4, &vtl, 1)) {
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    }
    if (ex) {
        status = mshv_sim_hcall_vp_set(hc, 8, targets);
        if (status != HV_STATUS_SUCCESS) {
            return status;
        }
    } else {
        uint64_t mask;

        if (mshv_sim_hcall_varhead(hc) ||
            !mshv_sim_hcall_read(hc, 8, &mask, 8)) {
            return HV_STATUS_INVALID_HYPERCALL_INPUT;
        }
        mshv_sim_hcall_vp_mask(mask, targets);
    }
    if (vector < 16 || vector > 0xff || vtl) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    for (vp = find_first_bit(targets, MSHV_MAX_VPS); vp < MSHV_MAX_VPS;
         vp = find_next_bit(targets, MSHV_MAX_VPS, vp + 1)) {
        t = mshv_sim_vp_find(pt, vp);
        if (t) {
            mshv_sim_deliver_interrupt(pt, HV_X64_INTERRUPT_TYPE_FIXED,
                                       X86_CPU(mshv_sim_vp_cpu(t))->apic_id,
                                       false, false, vector);
        }
    }
    mshv_sim_count(pt, MSHV_SIM_CNT_GUEST_IPI);
    return HV_STATUS_SUCCESS;
}

bool mshv_sim_tlb_ipi_hypercall(MshvSimPartition *pt, CPUState *cs,
                                const MshvSimHcall *hc, uint16_t *status)
{
    uint64_t f = pt->synthetic_proc_features;
    bool flush = f & (1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS);
    bool ipi = f & (1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI);
    bool ex = f & (1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS);
    uint16_t code = hc->control & 0xffff;

    switch (code) {
    case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:
    case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
        break;
    case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
    case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
        flush &= ex;
        break;
    case HVCALL_SEND_IPI:
        break;
    case HVCALL_SEND_IPI_EX:
        ipi &= ex;
        break;
    default:
        return false;
    }
    if (code == HVCALL_SEND_IPI || code == HVCALL_SEND_IPI_EX ? !ipi
                                                             : !flush) {
        return false;   /* not offered to this partition */
    }
    if (!hc->fast && !QEMU_IS_ALIGNED(hc->in_gpa, 8)) {
        *status = HV_STATUS_INVALID_ALIGNMENT;
        return true;
    }
    switch (code) {
    case HVCALL_SEND_IPI:
    case HVCALL_SEND_IPI_EX:
        *status = mshv_sim_send_ipi(pt, hc, code == HVCALL_SEND_IPI_EX);
        break;
    default:
        ex = code == HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX ||
             code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX;
        *status = mshv_sim_flush(pt, cs, hc, ex,
                                 code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST ||
                                 code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX);
        break;
    }
    return true;
}
