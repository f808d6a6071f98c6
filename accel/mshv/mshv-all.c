/*
 * MSHV accelerator: the Microsoft Hypervisor through Linux's /dev/mshv
 *
 * Accelerator object, partition lifecycle and guest memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qapi/error.h"
#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qom/object.h"
#include "exec/address-spaces.h"
#include "hw/boards.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "system/runstate.h"
#include "exec/ram_addr.h"
#include "qemu/bitmap.h"
#include "trace.h"

bool mshv_allowed;
MshvState *mshv_state;

int mshv_hvcall(int fd, uint16_t code, uint16_t reps, const void *in,
                size_t in_size, void *out, size_t out_size,
                uint16_t *status, uint16_t *reps_done)
{
    struct mshv_root_hvcall call = {
        .code = code,
        .reps = reps,
        .in_sz = in_size,
        .out_sz = out_size,
        .in_ptr = (uintptr_t)in,
        .out_ptr = (uintptr_t)out,
    };
    int ret = ioctl(fd, MSHV_ROOT_HVCALL, &call);

    if (status) {
        *status = call.status;
    }
    if (reps_done) {
        *reps_done = call.reps;
    }
    trace_mshv_hvcall(code, reps, call.status, ret < 0 ? errno : 0);
    return ret < 0 ? -errno : 0;
}

/* A failure the VM cannot go on from: say what, and stop it. */
void mshv_fail(CPUState *cpu, const char *what, int err, uint16_t status)
{
    g_autofree char *where = cpu ? g_strdup_printf(" on vCPU %d",
                                                   cpu->cpu_index) : NULL;

    error_report("mshv: %s%s failed: %s (hypervisor status 0x%x); "
                 "the VM is stopped", what, where ? where : "",
                 strerror(err), status);
    /* From a vCPU thread this also stops that vCPU at once. */
    vm_stop(RUN_STATE_INTERNAL_ERROR);
}

int mshv_set_property(MshvState *s, uint32_t code, uint64_t value,
                      Error **errp)
{
    struct hv_input_set_partition_property in = {
        .property_code = code,
        .property_value = value,
    };
    uint16_t status;
    int ret = mshv_hvcall(s->pt_fd, HVCALL_SET_PARTITION_PROPERTY, 0, &in,
                          sizeof(in), NULL, 0, &status, NULL);

    if (ret < 0) {
        error_setg(errp, "setting partition property 0x%x to 0x%" PRIx64
                   " failed: %s (hypervisor status 0x%x)", code, value,
                   strerror(-ret), status);
    }
    return ret;
}

int mshv_get_property(MshvState *s, uint32_t code, uint64_t *value,
                      Error **errp)
{
    struct hv_input_get_partition_property in = { .property_code = code };
    struct hv_output_get_partition_property out = { 0 };
    uint16_t status;
    int ret = mshv_hvcall(s->pt_fd, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
                          sizeof(in), &out, sizeof(out), &status, NULL);

    if (ret < 0) {
        error_setg(errp, "reading partition property 0x%x failed: %s "
                   "(hypervisor status 0x%x)", code, strerror(-ret), status);
        return ret;
    }
    *value = out.property_value;
    return 0;
}

/* ---- Guest memory -------------------------------------------------------- */

/* Mapped writable RAM, for dirty page tracking. */
typedef struct MshvSlot {
    hwaddr start;
    hwaddr size;
    bool log;                   /* QEMU wants its dirty pages */
} MshvSlot;

/*
 * The whole pages of @section MSHV can map (it maps 4 KiB pages), and
 * whether the guest can write them; false when there are none.
 */
static bool mshv_section_pages(MemoryRegionSection *section, hwaddr *start,
                               hwaddr *size, hwaddr *delta, bool *writable)
{
    MemoryRegion *mr = section->mr;

    *writable = !mr->readonly && !mr->rom_device;
    if (!memory_region_is_ram(mr)) {
        /*
         * MMIO, or a ROM device in MMIO mode (its ROMD-mode section was
         * removed when the mode changed): unmapped, so every access traps.
         */
        if (!memory_region_is_romd(mr)) {
            return false;
        }
        *writable = false;
    }
    *start = section->offset_within_address_space;
    *size = int128_get64(section->size);
    *delta = ROUND_UP(*start, MSHV_HV_PAGE_SIZE) - *start;
    if (*delta >= *size) {
        return false;
    }
    *start += *delta;
    *size = ROUND_DOWN(*size - *delta, MSHV_HV_PAGE_SIZE);
    return *size != 0;
}

static MshvSlot *mshv_slot_find(hwaddr start)
{
    MshvState *s = mshv_state;
    unsigned i;

    for (i = 0; s->slots && i < s->slots->len; i++) {
        MshvSlot *slot = &g_array_index(s->slots, MshvSlot, i);

        if (slot->start == start) {
            return slot;
        }
    }
    return NULL;
}

static void mshv_slot_update(hwaddr start, hwaddr size, bool add, bool log)
{
    MshvState *s = mshv_state;
    MshvSlot slot = { .start = start, .size = size, .log = log };
    MshvSlot *old = mshv_slot_find(start);

    if (!s->slots) {
        s->slots = g_array_new(false, false, sizeof(MshvSlot));
    }
    if (old && add) {
        *old = slot;
    } else if (old) {
        *old = g_array_index(s->slots, MshvSlot, s->slots->len - 1);
        g_array_set_size(s->slots, s->slots->len - 1);
    } else if (add) {
        g_array_append_val(s->slots, slot);
    }
}

static void mshv_map(MemoryRegionSection *section, bool add)
{
    MshvState *s = mshv_state;
    MemoryRegion *mr = section->mr;
    hwaddr start, size, delta;
    struct mshv_user_mem_region region;
    bool writable;
    int ret;

    if (!mshv_section_pages(section, &start, &size, &delta, &writable)) {
        return;
    }
    if (!mshv_partition_ready()) {
        s->memory_fatal = true;
        return;
    }
    region = (struct mshv_user_mem_region) {
        .size = size,
        .guest_pfn = start >> 12,
        .userspace_addr = (uintptr_t)memory_region_get_ram_ptr(mr) +
                          section->offset_within_region + delta,
        .flags = (add ? 0 : 1 << MSHV_SET_MEM_BIT_UNMAP) |
                 (writable ? 1 << MSHV_SET_MEM_BIT_WRITABLE : 0) |
                 1 << MSHV_SET_MEM_BIT_EXECUTABLE,
    };
    trace_mshv_set_memory(add, start, size, writable);
    ret = ioctl(s->pt_fd, MSHV_SET_GUEST_MEMORY, &region);
    if (ret < 0) {
        error_report("mshv: %s guest memory %s at 0x%" HWADDR_PRIx
                     " (0x%" HWADDR_PRIx " bytes) failed: %s",
                     add ? "mapping" : "unmapping", memory_region_name(mr),
                     start, size, strerror(errno));
        s->memory_fatal = true;
        return;
    }
    if (writable) {
        mshv_slot_update(start, size, add,
                         memory_region_get_dirty_log_mask(mr) != 0);
    }
}

/* ---- Dirty page tracking ------------------------------------------------- */

/*
 * MSHV_GET_GPAP_ACCESS_BITMAP for the dirty bits of @pages pages from
 * @start, applying @op; @bitmap gets one bit per page.
 */
static int mshv_dirty_bitmap(hwaddr start, hwaddr pages, uint8_t op,
                             unsigned long *bitmap)
{
    struct mshv_gpap_access_bitmap args = {
        .access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY,
        .access_op = op,
        .page_count = pages,
        .gpap_base = start >> 12,
        .bitmap_ptr = (uintptr_t)bitmap,
    };
    int ret = ioctl(mshv_state->pt_fd, MSHV_GET_GPAP_ACCESS_BITMAP, &args);

    trace_mshv_dirty_bitmap(start, pages, op, ret < 0 ? errno : 0);
    return ret < 0 ? -errno : 0;
}

/*
 * The hypervisor tracks dirty pages for the whole partition: on while any
 * slot is logged (VGA memory, migration).  Before it goes off every page
 * is marked dirty again, as Microsoft's hypervisor requires -- a sweep of
 * all RAM.  So it goes off only after a second of not being wanted: Linux
 * turns a PCI device's memory decoding off and on while it sizes the
 * BARs, and every time VGA's framebuffer went away and came back a pc
 * guest's boot swept its RAM again (seven times).
 */
#define MSHV_TRACKING_OFF_DELAY_MS  1000

static void mshv_set_tracking(bool want)
{
    MshvState *s = mshv_state;
    Error *err = NULL;
    unsigned i;

    for (i = 0; !want && i < s->slots->len; i++) {
        MshvSlot *slot = &g_array_index(s->slots, MshvSlot, i);
        g_autofree unsigned long *bitmap =
            bitmap_new(slot->size / MSHV_HV_PAGE_SIZE);

        mshv_dirty_bitmap(slot->start, slot->size / MSHV_HV_PAGE_SIZE,
                          MSHV_GPAP_ACCESS_OP_SET, bitmap);
    }
    if (mshv_set_property(mshv_state,
                          HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
                          want, &err) < 0) {
        error_reportf_err(err, "mshv: cannot turn dirty page tracking %s: ",
                          want ? "on" : "off");
        if (want) {
            s->memory_fatal = true;
        }
        return;
    }
    trace_mshv_dirty_tracking(want);
    s->dirty_tracking = want;
}

static bool mshv_tracking_wanted(void)
{
    MshvState *s = mshv_state;
    unsigned i;

    for (i = 0; s->slots && i < s->slots->len; i++) {
        if (g_array_index(s->slots, MshvSlot, i).log) {
            return true;
        }
    }
    return false;
}

static void mshv_tracking_off_timer(void *opaque)
{
    if (mshv_state->dirty_tracking && !mshv_tracking_wanted() &&
        mshv_partition_ready()) {
        mshv_set_tracking(false);
    }
}

/* (the partition is initialized on first need: not before it is needed) */
static void mshv_update_tracking(void)
{
    MshvState *s = mshv_state;

    if (mshv_tracking_wanted()) {
        if (s->tracking_off_timer) {
            timer_del(s->tracking_off_timer);
        }
        if (!s->dirty_tracking && mshv_partition_ready()) {
            mshv_set_tracking(true);
        }
    } else if (s->dirty_tracking) {
        if (!s->tracking_off_timer) {
            s->tracking_off_timer =
                timer_new_ms(QEMU_CLOCK_REALTIME, mshv_tracking_off_timer,
                             NULL);
        }
        if (!timer_pending(s->tracking_off_timer)) {
            timer_mod(s->tracking_off_timer,
                      qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                      MSHV_TRACKING_OFF_DELAY_MS);
        }
    }
}

static void mshv_log_start(MemoryListener *listener,
                           MemoryRegionSection *section, int old, int new)
{
    hwaddr start, size, delta;
    bool writable;

    if (mshv_section_pages(section, &start, &size, &delta, &writable) &&
        writable) {
        mshv_slot_update(start, size, true, new != 0);
    }
}

static void mshv_log_sync(MemoryListener *listener,
                          MemoryRegionSection *section)
{
    MemoryRegion *mr = section->mr;
    hwaddr start, size, delta, pages;
    g_autofree unsigned long *bitmap = NULL;
    bool writable;
    int ret;

    if (!mshv_state->dirty_tracking ||
        !mshv_section_pages(section, &start, &size, &delta, &writable) ||
        !writable) {
        return;
    }
    pages = size / MSHV_HV_PAGE_SIZE;
    bitmap = bitmap_new(pages);
    ret = mshv_dirty_bitmap(start, pages, MSHV_GPAP_ACCESS_OP_CLEAR, bitmap);
    if (ret < 0) {
        /* Whatever was written may be lost: no copy of it can be trusted. */
        error_report("mshv: reading the dirty pages of %s at 0x%"
                     HWADDR_PRIx " failed: %s; the VM is stopped",
                     memory_region_name(mr), start, strerror(-ret));
        qemu_system_vmstop_request(RUN_STATE_INTERNAL_ERROR);
        return;
    }
    cpu_physical_memory_set_dirty_lebitmap(bitmap,
        memory_region_get_ram_addr(mr) + section->offset_within_region + delta,
        pages);
}

static void mshv_region_add(MemoryListener *listener,
                            MemoryRegionSection *section)
{
    mshv_map(section, true);
}

static void mshv_region_del(MemoryListener *listener,
                            MemoryRegionSection *section)
{
    mshv_map(section, false);
}

/*
 * MMIO doorbells (virtio's notify writes): the hypervisor signals the
 * eventfd itself and the vCPU does not exit.  Port I/O ones stay with
 * QEMU's memory core, which signals them on the port intercept (the
 * driver refuses port I/O ioeventfds); so does an MMIO one the driver
 * refused, at the cost of an exit per write.
 */
static void mshv_ioeventfd(MemoryRegionSection *section, bool match_data,
                           uint64_t data, EventNotifier *e, bool add)
{
    struct mshv_user_ioeventfd args = {
        .datamatch = match_data ? data : 0,
        .addr = section->offset_within_address_space,
        .len = int128_get64(section->size),
        .fd = event_notifier_get_fd(e),
        .flags = (match_data ? 1u << MSHV_IOEVENTFD_BIT_DATAMATCH : 0) |
                 (add ? 0 : 1u << MSHV_IOEVENTFD_BIT_DEASSIGN),
    };
    int ret;

    if (!mshv_partition_ready()) {
        return;
    }
    ret = ioctl(mshv_state->pt_fd, MSHV_IOEVENTFD, &args);

    trace_mshv_ioeventfd(add, args.addr, args.len, match_data, data,
                         ret < 0 ? errno : 0);
    if (ret < 0 && add) {
        warn_report_once("mshv: the hypervisor refused an ioeventfd at "
                         "0x%" PRIx64 " (%s); QEMU handles such doorbells "
                         "itself, with a vCPU exit each", (uint64_t)args.addr,
                         strerror(errno));
    }
}

static void mshv_eventfd_add(MemoryListener *listener,
                             MemoryRegionSection *section, bool match_data,
                             uint64_t data, EventNotifier *e)
{
    mshv_ioeventfd(section, match_data, data, e, true);
}

static void mshv_eventfd_del(MemoryListener *listener,
                             MemoryRegionSection *section, bool match_data,
                             uint64_t data, EventNotifier *e)
{
    mshv_ioeventfd(section, match_data, data, e, false);
}

static void mshv_commit(MemoryListener *listener)
{
    MshvState *s = mshv_state;

    mshv_update_tracking();
    if (s->memory_fatal) {
        s->memory_fatal = false;
        if (runstate_is_running()) {
            qemu_system_vmstop_request(RUN_STATE_INTERNAL_ERROR);
        } else {
            exit(1);
        }
    }
}

/* ---- Partition ----------------------------------------------------------- */

static const char *mshv_open_hint(int err)
{
    switch (err) {
    case ENOENT:
    case ENXIO:
    case ENODEV:
        return "is this a Hyper-V root or L1VH partition with the mshv_root "
               "driver loaded?";
    case EACCES:
    case EPERM:
        return "run QEMU as a user that may open the device, "
               "for example root";
    default:
        return NULL;
    }
}

static int mshv_open_device(MshvState *s, Error **errp)
{
    const char *path = s->device ? s->device : MSHV_DEFAULT_DEVICE;
    const char *hint;
    int fd;

    fd = qemu_open_old(path, O_RDWR | O_CLOEXEC);
    trace_mshv_open_device(path, fd);
    if (fd < 0) {
        int err = errno;

        hint = mshv_open_hint(err);
        error_setg(errp, "could not open %s: %s%s%s%s", path, strerror(err),
                   hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
        return -err;
    }
    s->fd = fd;
    return 0;
}

/* Every partition QEMU creates is created alike: the guest's, or a scratch. */
static int mshv_create_partition(MshvState *s, Error **errp)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC | 1 << MSHV_PT_BIT_X2APIC,
        .pt_isolation = MSHV_PT_ISOLATION_NONE,
    };
    int fd = ioctl(s->fd, MSHV_CREATE_PARTITION, &args);

    if (fd < 0) {
        error_setg_errno(errp, errno, "creating the partition failed");
        return -errno;
    }
    return fd;
}

int mshv_vp_open(uint32_t index, Error **errp)
{
    struct mshv_create_vp args = { .vp_index = index };
    gpointer fd;
    int vp_fd;

    if (mshv_state->parked_vps &&
        g_hash_table_steal_extended(mshv_state->parked_vps,
                                    GUINT_TO_POINTER(index), NULL, &fd)) {
        trace_mshv_vp_unpark(index);
        return GPOINTER_TO_INT(fd);
    }
    if (index >= MSHV_MAX_VPS) {
        /* the driver's limit: it refuses with a bare EINVAL */
        error_setg(errp, "creating VP %u failed: a partition has at most "
                   "%u VPs; start QEMU with -smp maxcpus=%u or fewer",
                   index, MSHV_MAX_VPS, MSHV_MAX_VPS);
        return -EINVAL;
    }
    vp_fd = ioctl(mshv_state->pt_fd, MSHV_CREATE_VP, &args);
    if (vp_fd < 0) {
        error_setg_errno(errp, errno, "creating VP %u failed", index);
    }
    return vp_fd;
}

void mshv_vp_park(uint32_t index, int fd)
{
    if (!mshv_state->parked_vps) {
        mshv_state->parked_vps = g_hash_table_new(NULL, NULL);
    }
    g_hash_table_insert(mshv_state->parked_vps, GUINT_TO_POINTER(index),
                        GINT_TO_POINTER(fd));
    trace_mshv_vp_park(index);
}

/*
 * A partition with one VP that never runs, for questions only a VP can
 * answer (the processor the hypervisor offers) before the guest's own
 * partition may be initialized.
 */
int mshv_scratch_vp_create(int *pt_fd, Error **errp)
{
    struct mshv_create_vp vp = { .vp_index = 0 };
    int fd, vp_fd;

    if (!mshv_state) {
        error_setg(errp, "the MSHV accelerator is not initialized");
        return -1;
    }
    fd = mshv_create_partition(mshv_state, errp);
    if (fd < 0) {
        error_prepend(errp, "scratch partition: ");
        return -1;
    }
    if (ioctl(fd, MSHV_INITIALIZE_PARTITION) < 0) {
        error_setg_errno(errp, errno,
                         "initializing a scratch partition failed");
        close(fd);
        return -1;
    }
    vp_fd = ioctl(fd, MSHV_CREATE_VP, &vp);
    if (vp_fd < 0) {
        error_setg_errno(errp, errno, "creating a scratch VP failed");
        close(fd);
        return -1;
    }
    *pt_fd = fd;
    return vp_fd;
}

/* Early properties, then initialize; time starts frozen. */
static int mshv_initialize_partition(MshvState *s, Error **errp)
{
    uint64_t features;
    int ret;

    if (mshv_arch_synthetic_features(&features, errp) < 0) {
        return -EINVAL;
    }
    ret = mshv_set_property(s, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
                            features, errp);
    if (ret < 0) {
        return ret;
    }
    if (ioctl(s->pt_fd, MSHV_INITIALIZE_PARTITION) < 0) {
        error_setg_errno(errp, errno, "initializing the partition failed");
        return -errno;
    }
    s->synthetic_features = features;
    /*
     * MSRs the hypervisor does not implement read as zero and ignore
     * writes, as with Hyper-V's own VMMs, instead of the hypervisor's
     * default #GP: guests read processor MSRs a virtual processor may
     * lack without a fault handler (Linux on AMD reads SYSCFG so).
     */
    ret = mshv_set_property(s, HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION,
                            HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO,
                            errp);
    if (ret < 0) {
        return ret;
    }
    ret = mshv_set_property(s, HV_PARTITION_PROPERTY_TIME_FREEZE, 1, errp);
    if (ret < 0) {
        return ret;
    }
    s->time_frozen = true;
    return mshv_arch_partition_init(s, errp);
}

/*
 * The partition is initialized when first needed (the first vCPU, or
 * memory a board maps before its CPUs): its synthetic processor features
 * come from the CPU model's hv-* properties, known only once -cpu has
 * been parsed, after the accelerator started, and the hypervisor takes
 * them only before initialization.
 */
bool mshv_partition_ready(void)
{
    MshvState *s = mshv_state;
    Error *err = NULL;

    if (s->initialized || s->init_failed) {
        return s->initialized;
    }
    if (mshv_initialize_partition(s, &err) < 0) {
        error_report_err(err);
        s->init_failed = true;
        return false;
    }
    s->initialized = true;
    return true;
}

/*
 * Drivers before Linux 6.19 pin every page of guest RAM for the
 * partition's lifetime: a page QEMU gives back (a balloon's discard)
 * would stay mapped to the guest while QEMU sees a fresh one.  Those
 * drivers are told apart by /dev/mshv itself refusing MSHV_ROOT_HVCALL,
 * which came with movable (unpinned) memory.
 */
static bool mshv_driver_pins_memory(MshvState *s)
{
    struct hv_input_get_partition_property in = {
        .partition_id = HV_PARTITION_ID_SELF,
        .property_code = HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0,
    };
    struct hv_output_get_partition_property out;
    uint16_t status;

    return mshv_hvcall(s->fd, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
                       sizeof(in), &out, sizeof(out), &status, NULL) ==
           -ENOTTY;
}

static int mshv_init_machine(MachineState *ms)
{
    MshvState *s = MSHV_ACCEL(ms->accelerator);
    Error *err = NULL;
    int ret;

    ret = mshv_open_device(s, &err);
    if (ret == 0) {
        ret = s->pt_fd = mshv_create_partition(s, &err);
    }
    if (ret < 0) {
        error_report_err(err);
        if (s->pt_fd >= 0) {
            close(s->pt_fd);
            s->pt_fd = -1;
        }
        return ret;
    }
    mshv_state = s;

    if (mshv_driver_pins_memory(s) && ram_block_discard_disable(true)) {
        error_report("mshv: this kernel's driver pins guest memory, and "
                     "memory discards (balloons) could not be blocked: "
                     "remove the devices that discard memory");
        return -EBUSY;
    }

    s->memory_listener = (MemoryListener) {
        .name = "mshv",
        .region_add = mshv_region_add,
        .region_del = mshv_region_del,
        .commit = mshv_commit,
        .eventfd_add = mshv_eventfd_add,
        .eventfd_del = mshv_eventfd_del,
        .log_start = mshv_log_start,
        .log_stop = mshv_log_start,
        .log_sync = mshv_log_sync,
        .priority = MEMORY_LISTENER_PRIORITY_ACCEL,
    };
    memory_listener_register(&s->memory_listener, &address_space_memory);
    mshv_time_init(s);
    return 0;
}

static char *mshv_get_device(Object *obj, Error **errp)
{
    return g_strdup(MSHV_ACCEL(obj)->device);
}

static void mshv_set_device(Object *obj, const char *value, Error **errp)
{
    MshvState *s = MSHV_ACCEL(obj);

    g_free(s->device);
    s->device = g_strdup(value);
}

static void mshv_accel_instance_init(Object *obj)
{
    MshvState *s = MSHV_ACCEL(obj);

    s->fd = -1;
    s->pt_fd = -1;
}

static void mshv_accel_instance_finalize(Object *obj)
{
    MshvState *s = MSHV_ACCEL(obj);

    g_free(s->device);
    if (s->pt_fd >= 0) {
        close(s->pt_fd);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
}

static void mshv_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "MSHV";
    ac->init_machine = mshv_init_machine;
    ac->init_reports_errors = true;
    ac->allowed = &mshv_allowed;

    object_class_property_add_str(oc, "device", mshv_get_device,
                                  mshv_set_device);
    object_class_property_set_description(oc, "device",
        "Path of the MSHV device node (default " MSHV_DEFAULT_DEVICE ")");
}

static const TypeInfo mshv_accel_type = {
    .name = TYPE_MSHV_ACCEL,
    .parent = TYPE_ACCEL,
    .instance_size = sizeof(MshvState),
    .instance_init = mshv_accel_instance_init,
    .instance_finalize = mshv_accel_instance_finalize,
    .class_init = mshv_accel_class_init,
};

static void mshv_register_types(void)
{
    type_register_static(&mshv_accel_type);
}

type_init(mshv_register_types);
