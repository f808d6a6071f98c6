/*
 * MSHV simulator: guest physical memory
 *
 * Each region the VMM maps is the VMM's own memory, passed as a file
 * descriptor and mapped shared, so the guest and the VMM see the same
 * bytes.  Writable regions are plain RAM; read-only ones are ROM devices
 * whose writes fail, so the CPU stops with a GPA intercept.  Every GPA no
 * region covers belongs to one catch-all region whose accesses fail the
 * same way and become unmapped-GPA intercepts (emulated MMIO).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/lockable.h"
#include "qemu/rcu.h"
#include "qemu/rcu_queue.h"
#include "exec/address-spaces.h"
#include "exec/exec-all.h"
#include "exec/ram_addr.h"
#include "mshv-sim.h"
#include "trace.h"

static MemTxResult mshv_sim_unmapped_read(void *opaque, hwaddr addr,
                                          uint64_t *data, unsigned size,
                                          MemTxAttrs attrs)
{
    *data = ~0ULL;
    return MEMTX_DECODE_ERROR;
}

/*
 * An ioeventfd takes a write to an unmapped GPA over (opaque: the
 * partition); everything else fails, and the VMM gets the intercept.
 */
static MemTxResult mshv_sim_unmapped_write(void *opaque, hwaddr addr,
                                           uint64_t data, unsigned size,
                                           MemTxAttrs attrs)
{
    MshvSimPartition *pt = opaque;

    return pt && mshv_sim_ioeventfd_write(pt, addr, data, size) ?
           MEMTX_OK : MEMTX_DECODE_ERROR;
}

/*
 * Both the catch-all region and the write side of read-only regions
 * (opaque NULL) fail every access but a write an ioeventfd takes; the
 * intercept hook tells the two apart by the GPA.  (Reads of a read-only
 * region never get here: it is in ROMD mode.)
 */
static const MemoryRegionOps mshv_sim_fail_ops = {
    .read_with_attrs = mshv_sim_unmapped_read,
    .write_with_attrs = mshv_sim_unmapped_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 8,
    .valid.unaligned = true,
    .impl.min_access_size = 1,
    .impl.max_access_size = 8,
    .impl.unaligned = true,
};

/*
 * Batched maps: QEMU rebuilds the whole memory map at each change, so a
 * VMM mapping thousands of regions one ioctl at a time took seconds, then
 * minutes.  While no VP runs, nothing can see the map, and the changes
 * share one memory transaction: ended by the next request that is not a
 * map or unmap (RUN_VP among them), or a millisecond after the last one.
 */
#define MSHV_SIM_MAP_BATCH_NS   1000000

/*
 * QEMU's dispatch table holds at most 4096 sections per address space,
 * and asserts beyond that.  The regions and the holes between them are
 * sections; a few more are QEMU's own.
 */
#define MSHV_SIM_MAX_SECTIONS   (4096 - 64)

/*
 * How many sections a region of @pages at @pfn adds (or, gone, takes
 * away): itself and a hole split in two, less a hole's side for each
 * neighbour it touches (a region or an end of the space).  @self is left
 * out of the neighbours.
 */
static unsigned mshv_sim_region_sections(MshvSimPartition *pt, uint64_t pfn,
                                         uint64_t pages,
                                         const MshvSimRegion *self)
{
    uint64_t end = 1ULL << (MSHV_SIM_PHYSICAL_ADDRESS_WIDTH - 12);
    unsigned touching = (pfn == 0) + (pfn + pages == end);
    MshvSimRegion *o;

    QTAILQ_FOREACH(o, &pt->regions, next) {
        if (o != self) {
            touching += (o->pfn + o->pages == pfn) + (o->pfn == pfn + pages);
        }
    }
    return 2 - MIN(touching, 2);
}

static bool mshv_sim_vps_running(MshvSimPartition *pt)
{
    unsigned i;

    for (i = 0; i < MSHV_MAX_VPS; i++) {
        if (pt->vps[i] && !mshv_sim_vp_stopped(pt->vps[i])) {
            return true;
        }
    }
    return false;
}

static void mshv_sim_memory_batch(MshvSimPartition *pt)
{
    if (!pt->map_batch) {
        if (mshv_sim_vps_running(pt)) {
            return;                     /* each change at once */
        }
        memory_region_transaction_begin();
        pt->map_batch = true;
    }
    timer_mod(pt->map_batch_timer,
              qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + MSHV_SIM_MAP_BATCH_NS);
}

static void mshv_sim_region_free(MshvSimRegion *r)
{
    object_unparent(OBJECT(&r->mr));
    g_free(r->access);
    /* Old flat views may still point at the region for a while. */
    g_free_rcu(r, rcu);
}

void mshv_sim_memory_flush(MshvSimPartition *pt)
{
    GSList *l;

    /* (false whenever a VP runs guest code: no lock needed to see it) */
    if (!qatomic_read(&pt->map_batch)) {
        return;
    }
    pt->map_batch = false;
    timer_del(pt->map_batch_timer);
    memory_region_transaction_commit();
    for (l = pt->unmapped_regions; l; l = l->next) {
        mshv_sim_region_free(l->data);
    }
    g_slist_free(pt->unmapped_regions);
    pt->unmapped_regions = NULL;
}

static void mshv_sim_map_batch_expired(void *opaque)
{
    mshv_sim_memory_flush(opaque);
}

void mshv_sim_memory_init(MshvSimPartition *pt)
{
    pt->map_batch_timer = timer_new_ns(QEMU_CLOCK_REALTIME,
                                       mshv_sim_map_batch_expired, pt);
    memory_region_init_io(&pt->unmapped, OBJECT(pt), &mshv_sim_fail_ops,
                          pt, "mshv-sim-unmapped",
                          1ULL << MSHV_SIM_PHYSICAL_ADDRESS_WIDTH);
    memory_region_add_subregion_overlap(get_system_memory(), 0,
                                        &pt->unmapped, -1000);
    pt->sections = 1;
    qemu_mutex_init(&pt->low_code_lock);
}

MshvSimRegion *mshv_sim_region_find(MshvSimPartition *pt, uint64_t gpa)
{
    MshvSimRegion *r;
    uint64_t pfn = gpa >> 12;

    QTAILQ_FOREACH_RCU(r, &pt->regions, next) {
        if (pfn >= r->pfn && pfn < r->pfn + r->pages) {
            return r;
        }
    }
    return NULL;
}

/*
 * A ROM device's RAM is QEMU's own; put the VMM's pages in its place so
 * the guest reads what the VMM wrote.
 */
static bool mshv_sim_rom_from_fd(MshvSimRegion *r, const char *name,
                                 uint64_t size, int fd, uint64_t offset,
                                 Error **errp)
{
    struct stat st;
    void *host;

    /* Pages past the file's end would fault (SIGBUS) when the guest reads. */
    if (fstat(fd, &st) < 0 || offset + size < offset ||
        offset + size > (uint64_t)st.st_size) {
        error_setg(errp, "the read-only region's memory is not all backed "
                   "by its file");
        return false;
    }
    if (!memory_region_init_rom_device_nomigrate(&r->mr, NULL,
                                                 &mshv_sim_fail_ops, NULL, name,
                                                 size, errp)) {
        return false;
    }
    host = memory_region_get_ram_ptr(&r->mr);
    if (mmap(host, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             fd, offset) == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map the read-only region");
        object_unparent(OBJECT(&r->mr));
        return false;
    }
    close(fd);
    return true;
}

/*
 * Log guest writes to a region (QEMU logs per region for one client
 * only: the "VGA" one).  Only writes from now on count: a new RAM block
 * starts all dirty, and an old log is stale.
 */
static void mshv_sim_region_log(MshvSimRegion *r, bool on)
{
    if (on) {
        g_free(memory_region_snapshot_and_clear_dirty(&r->mr, 0,
                                                      r->pages << 12,
                                                      DIRTY_MEMORY_VGA));
    }
    memory_region_set_log(&r->mr, on, DIRTY_MEMORY_VGA);
}

uint16_t mshv_sim_map_gpa(MshvSimPartition *pt, uint64_t pfn, uint64_t size,
                          int fd, uint64_t offset, uint8_t flags)
{
    g_autofree char *name = g_strdup_printf("mshv-sim-gpa-%" PRIx64, pfn);
    uint64_t pages = size >> 12;
    MshvSimRegion *r, *other;
    Error *err = NULL;
    unsigned sections;
    bool ok;

    if (!size || (size & 0xfff) || pfn + pages < pfn ||
        pfn + pages > (1ULL << (MSHV_SIM_PHYSICAL_ADDRESS_WIDTH - 12))) {
        close(fd);
        return HV_STATUS_INVALID_PARAMETER;
    }
    QTAILQ_FOREACH(other, &pt->regions, next) {
        if (pfn < other->pfn + other->pages && other->pfn < pfn + pages) {
            close(fd);
            return HV_STATUS_INVALID_PARAMETER;
        }
    }
    sections = mshv_sim_region_sections(pt, pfn, pages, NULL);
    if (pt->sections + sections > MSHV_SIM_MAX_SECTIONS) {
        error_report("mshv-sim: cannot map guest frame 0x%" PRIx64 ": the "
                     "simulator holds at most %d regions and holes between "
                     "them, and has %u", pfn, MSHV_SIM_MAX_SECTIONS,
                     pt->sections);
        close(fd);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }

    r = g_new0(MshvSimRegion, 1);
    r->pfn = pfn;
    r->pages = pages;
    r->flags = flags;
    if (flags & (1 << MSHV_SET_MEM_BIT_WRITABLE)) {
        ok = memory_region_init_ram_from_fd(&r->mr, NULL, name, size,
                                            RAM_SHARED, fd, offset, &err);
        if (!ok) {
            close(fd);
        }
    } else {
        ok = mshv_sim_rom_from_fd(r, name, size, fd, offset, &err);
        if (!ok) {
            close(fd);
        }
    }
    if (!ok) {
        error_report_err(err);
        g_free(r);
        return HV_STATUS_INSUFFICIENT_MEMORY;
    }
    r->access = g_malloc0(pages);
    if (pt->gpa_access_tracking && (flags & (1 << MSHV_SET_MEM_BIT_WRITABLE))) {
        mshv_sim_region_log(r, true);
    }
    mshv_sim_memory_batch(pt);
    memory_region_add_subregion(get_system_memory(), pfn << 12, &r->mr);
    pt->sections += sections;
    QTAILQ_INSERT_TAIL_RCU(&pt->regions, r, next);
    trace_mshv_sim_map_gpa(pfn, size, flags);
    return HV_STATUS_SUCCESS;
}

uint16_t mshv_sim_unmap_gpa(MshvSimPartition *pt, uint64_t pfn,
                            uint64_t size)
{
    MshvSimRegion *r;
    ram_addr_t ram;

    QTAILQ_FOREACH(r, &pt->regions, next) {
        if (r->pfn == pfn && r->pages == size >> 12) {
            QTAILQ_REMOVE_RCU(&pt->regions, r, next);
            pt->sections -= mshv_sim_region_sections(pt, pfn, r->pages, r);
            mshv_sim_memory_batch(pt);
            memory_region_del_subregion(get_system_memory(), &r->mr);
            /*
             * A later region may reuse these ram_addr_t offsets; code
             * translated from this one must not run from it.
             */
            ram = memory_region_get_ram_addr(&r->mr);
            tb_invalidate_phys_range(ram, ram + size - 1);
            if (pt->map_batch) {
                /* the memory map sees it until the transaction ends */
                pt->unmapped_regions = g_slist_prepend(pt->unmapped_regions,
                                                       r);
            } else {
                mshv_sim_region_free(r);
            }
            trace_mshv_sim_unmap_gpa(pfn, size);
            return HV_STATUS_SUCCESS;
        }
    }
    return HV_STATUS_INVALID_PARAMETER;
}

/* ---- Instruction fetch after the VMM's writes -------------------------- */

/*
 * The VMM's devices write guest RAM behind TCG's back (DMA into the
 * shared pages), so code translated from a page goes on running after a
 * device has loaded other code there -- where a processor would run the
 * new bytes.  Boot loaders do that all the time below 1 MiB: the BIOS
 * runs an MBR at 0x7c00, which loads the partition's boot sector over
 * itself with INT 13h.  So before a VP runs on (@compare), each page
 * there holding translated code is compared with a copy taken when it was
 * last seen, and its translations are dropped if it changed.  When a VP
 * stops for the VMM, only pages translated since are copied: a page with
 * a copy was checked at the last run, and since then only a VP could
 * write it, which TCG itself notices (at worst the copy is stale and
 * the next comparison drops translations TCG had made again: a spurious
 * drop, never a stale run).  (Above 1 MiB, operating systems write their
 * pages with the CPU before running new code from DMA'd ones, in
 * practice; comparing all of memory on every exit would cost too much.)
 *
 * Once the guest has left the firmware, its pages keep their
 * translations and were compared on every run, unchanged, for the VM's
 * whole life: fifteen pages, half the simulator's work per intercept.
 * So a page found unchanged MSHV_SIM_LOW_CODE_RETIRE times in a row has
 * its translations dropped instead, which leaves it out until TCG
 * translates it again; a page that keeps coming back (firmware still
 * running) waits twice as long each time, so retranslating it never
 * costs more than the comparisons it spares.
 */
#define MSHV_SIM_LOW_CODE_RETIRE        256
#define MSHV_SIM_LOW_CODE_RETIRE_MAX    8   /* doublings */

void mshv_sim_low_code_sync(MshvSimPartition *pt, bool compare)
{
    DECLARE_BITMAP(seen, MSHV_SIM_LOW_CODE_PAGES) = { 0 };
    MshvSimRegion *r;
    uint64_t pfn, end;
    ram_addr_t base;

    /* (VPs stop and run concurrently; regions go away after a grace period) */
    QEMU_LOCK_GUARD(&pt->low_code_lock);
    RCU_READ_LOCK_GUARD();
    QTAILQ_FOREACH_RCU(r, &pt->regions, next) {
        if (r->pfn >= MSHV_SIM_LOW_CODE_PAGES ||
            !(r->flags & (1 << MSHV_SET_MEM_BIT_WRITABLE))) {
            continue;
        }
        end = MIN(r->pfn + r->pages, MSHV_SIM_LOW_CODE_PAGES);
        base = memory_region_get_ram_addr(&r->mr);
        /* the usual case, once the guest left the BIOS: no code there */
        if (cpu_physical_memory_all_dirty(base, (end - r->pfn) << 12,
                                          DIRTY_MEMORY_CODE)) {
            continue;
        }
        for (pfn = r->pfn; pfn < end; pfn++) {
            ram_addr_t ram = base + ((pfn - r->pfn) << 12);
            uint8_t *host, *copy;

            /* TCG clears a page's code-dirty bit when it translates it */
            if (cpu_physical_memory_get_dirty_flag(ram, DIRTY_MEMORY_CODE)) {
                continue;
            }
            set_bit(pfn, seen);
            if (!pt->low_code) {
                pt->low_code = g_malloc(MSHV_SIM_LOW_CODE_PAGES << 12);
            }
            host = (uint8_t *)memory_region_get_ram_ptr(&r->mr) +
                   ((pfn - r->pfn) << 12);
            copy = pt->low_code + (pfn << 12);
            if (test_bit(pfn, pt->low_code_valid)) {
                if (!compare) {
                    continue;
                }
                if (memcmp(copy, host, 4096)) {
                    trace_mshv_sim_low_code_changed(pfn);
                    tb_invalidate_phys_range(ram, ram + 4095);
                } else if (++pt->low_code_same[pfn] <
                           MSHV_SIM_LOW_CODE_RETIRE <<
                           pt->low_code_retired[pfn]) {
                    continue;
                } else {
                    trace_mshv_sim_low_code_retired(pfn);
                    tb_invalidate_phys_range(ram, ram + 4095);
                    pt->low_code_retired[pfn] =
                        MIN(pt->low_code_retired[pfn] + 1,
                            MSHV_SIM_LOW_CODE_RETIRE_MAX);
                    pt->low_code_same[pfn] = 0;
                    clear_bit(pfn, seen);
                    continue;
                }
            }
            pt->low_code_same[pfn] = 0;
            memcpy(copy, host, 4096);
            set_bit(pfn, pt->low_code_valid);
        }
    }
    /* a page without code (or memory) now: its copy is stale */
    bitmap_and(pt->low_code_valid, pt->low_code_valid, seen,
               MSHV_SIM_LOW_CODE_PAGES);
}

/* ---- Page access tracking ------------------------------------------------ */

void mshv_sim_set_access_tracking(MshvSimPartition *pt, bool on)
{
    MshvSimRegion *r;

    if (on == !!pt->gpa_access_tracking) {
        return;
    }
    QTAILQ_FOREACH(r, &pt->regions, next) {
        if (r->flags & (1 << MSHV_SET_MEM_BIT_WRITABLE)) {
            mshv_sim_region_log(r, on);
        }
    }
    pt->gpa_access_tracking = on;
}

/*
 * Move what TCG logged for pages [first, first + n) of @r into
 * r->access.  QEMU clears its log in 64-page chunks (RAM blocks start on
 * one), so every page of the chunks is taken, not only those asked for.
 */
static void mshv_sim_region_fold_log(MshvSimPartition *pt, MshvSimRegion *r,
                                     uint64_t first, uint64_t n)
{
    uint64_t lo = QEMU_ALIGN_DOWN(first, BITS_PER_LONG);
    uint64_t hi = MIN(QEMU_ALIGN_UP(first + n, BITS_PER_LONG), r->pages);
    DirtyBitmapSnapshot *snap;
    uint64_t p;

    if (!pt->gpa_access_tracking ||
        !(r->flags & (1 << MSHV_SET_MEM_BIT_WRITABLE))) {
        return;
    }
    snap = memory_region_snapshot_and_clear_dirty(&r->mr, lo << 12,
                                                  (hi - lo) << 12,
                                                  DIRTY_MEMORY_VGA);
    for (p = lo; p < hi; p++) {
        if (memory_region_snapshot_get_dirty(&r->mr, snap, p << 12, 4096)) {
            r->access[p] |= HV_GPA_PAGE_ACCESS_STATE_ACCESSED |
                            HV_GPA_PAGE_ACCESS_STATE_DIRTY;
        }
    }
    g_free(snap);
}

/*
 * HVCALL_GET_GPA_PAGES_ACCESS_STATES: each page's state as it was, then
 * FLAGS applied.  Pages TCG wrote since the last query are dirty (and
 * accessed); guest reads are not tracked, so a page is accessed only
 * once written or once the VMM set the bit.  Stops at the first page no
 * region maps, as the hypervisor does for a GPA it does not own.
 */
uint16_t mshv_sim_gpa_access_states(MshvSimPartition *pt, uint64_t pfn,
                                    uint64_t count, uint64_t flags,
                                    uint8_t *states, unsigned *done)
{
    const uint64_t known = HV_GPA_PAGE_ACCESS_CLEAR_ACCESSED |
                           HV_GPA_PAGE_ACCESS_SET_ACCESSED |
                           HV_GPA_PAGE_ACCESS_CLEAR_DIRTY |
                           HV_GPA_PAGE_ACCESS_SET_DIRTY;
    uint64_t i = 0;

    *done = 0;
    if (flags & ~known) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    mshv_sim_count(pt, MSHV_SIM_CNT_GPA_ACCESS);
    while (i < count) {
        MshvSimRegion *r = mshv_sim_region_find(pt, (pfn + i) << 12);
        uint64_t first, n, j;

        if (!r) {
            return i ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
        }
        first = pfn + i - r->pfn;
        n = MIN(count - i, r->pages - first);
        mshv_sim_region_fold_log(pt, r, first, n);
        for (j = 0; j < n; j++) {
            uint8_t *st = &r->access[first + j];

            states[i + j] = *st;
            if (flags & HV_GPA_PAGE_ACCESS_CLEAR_ACCESSED) {
                *st &= ~HV_GPA_PAGE_ACCESS_STATE_ACCESSED;
            }
            if (flags & HV_GPA_PAGE_ACCESS_SET_ACCESSED) {
                *st |= HV_GPA_PAGE_ACCESS_STATE_ACCESSED;
            }
            if (flags & HV_GPA_PAGE_ACCESS_CLEAR_DIRTY) {
                *st &= ~HV_GPA_PAGE_ACCESS_STATE_DIRTY;
            }
            if (flags & HV_GPA_PAGE_ACCESS_SET_DIRTY) {
                *st |= HV_GPA_PAGE_ACCESS_STATE_DIRTY;
            }
        }
        i += n;
        *done = i;
        mshv_sim_count_n(pt, MSHV_SIM_CNT_GPA_ACCESS_PAGES, n);
    }
    return HV_STATUS_SUCCESS;
}
