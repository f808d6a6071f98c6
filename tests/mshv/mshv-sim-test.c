/*
 * MSHV simulator conformance: drives /dev/mshv directly, as a VMM would,
 * with tiny guest programs, and checks what comes back against the
 * driver's and the hypervisor's documented behaviour.
 *
 * Run under the simulator: LD_PRELOAD=libmshv-sim-preload.so and
 * MSHV_SIM_HV=qemu-system-x86_64 (tests/mshv/meson.build sets both).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/bswap.h"
#include "qemu/memalign.h"
#include "hw/hyperv/mshv-abi.h"
#include "hw/mshv-sim/caps.h"

#define GUEST_RAM_SIZE      0x10000     /* GPA 0 - 64 KiB */
#define GUEST_CODE          0x1000
#define GUEST_ROM_GPA       0x10000
#define GUEST_UNMAPPED      0x20000

typedef struct Guest {
    int dev;
    int pt;
    int vp;
    uint32_t index;             /* the VP's */
    uint8_t *ram;
    int ram_fd;
} Guest;

/* ---- Plumbing ------------------------------------------------------------ */

static int hvcall(int fd, uint16_t code, uint16_t reps, void *in,
                  size_t in_sz, void *out, size_t out_sz, uint16_t *status)
{
    struct mshv_root_hvcall call = {
        .code = code,
        .reps = reps,
        .in_sz = in_sz,
        .out_sz = out_sz,
        .in_ptr = (uintptr_t)in,
        .out_ptr = (uintptr_t)out,
    };
    int ret = ioctl(fd, MSHV_ROOT_HVCALL, &call);

    if (status) {
        *status = call.status;
    }
    return ret;
}

static void set_regs(Guest *g, const struct hv_register_assoc *regs,
                     unsigned count)
{
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[64];
    } QEMU_PACKED in = { .hdr.vp_index = g->index };
    uint16_t status;

    g_assert_cmpuint(count, <=, ARRAY_SIZE(in.regs));
    memcpy(in.regs, regs, count * sizeof(*regs));
    g_assert_cmpint(hvcall(g->vp, HVCALL_SET_VP_REGISTERS, count, &in,
                           sizeof(in.hdr) + count * sizeof(*regs), NULL, 0,
                           &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
}

static void get_regs(Guest *g, const uint32_t *names, unsigned count,
                     union hv_register_value *values)
{
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[64];
    } QEMU_PACKED in = { .hdr.vp_index = g->index };
    uint16_t status;

    g_assert_cmpuint(count, <=, ARRAY_SIZE(in.names));
    memcpy(in.names, names, count * sizeof(*names));
    g_assert_cmpint(hvcall(g->vp, HVCALL_GET_VP_REGISTERS, count, &in,
                           sizeof(in.hdr) + count * sizeof(*names), values,
                           count * sizeof(*values), &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
}

static uint64_t get_reg(Guest *g, uint32_t name)
{
    union hv_register_value v;

    get_regs(g, &name, 1, &v);
    return v.reg64;
}

static void set_reg(Guest *g, uint32_t name, uint64_t value)
{
    struct hv_register_assoc r = { .name = name, .value.reg64 = value };

    set_regs(g, &r, 1);
}

static void set_property(Guest *g, uint32_t code, uint64_t value)
{
    struct hv_input_set_partition_property in = {
        .property_code = code,
        .property_value = value,
    };
    uint16_t status;

    g_assert_cmpint(hvcall(g->pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in,
                           sizeof(in), NULL, 0, &status), ==, 0);
}

static int map_memory(int pt, uint64_t gpa, void *addr, uint64_t size,
                      uint8_t flags)
{
    struct mshv_user_mem_region r = {
        .size = size,
        .guest_pfn = gpa >> 12,
        .userspace_addr = (uintptr_t)addr,
        .flags = flags,
    };

    return ioctl(pt, MSHV_SET_GUEST_MEMORY, &r);
}

static void *shared_memory(size_t size, int *fd_out)
{
    int fd = memfd_create("mshv-sim-test", MFD_CLOEXEC);
    void *p;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert(p != MAP_FAILED);
    if (fd_out) {
        *fd_out = fd;
    } else {
        close(fd);
    }
    return p;
}

/*
 * A partition with 64 KiB of RAM at GPA 0 and VP 0 in real mode, and the
 * synthetic processor features @features.
 */
static void guest_init_features(Guest *g, const uint8_t *code, size_t len,
                                uint64_t features)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    struct mshv_create_vp vp = { .vp_index = 0 };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .base = 0, .limit = 0xffff, .selector = 0,
                             .attributes = 0x9b } },
        { .name = HV_X64_REGISTER_DS,
          .value.segment = { .base = 0, .limit = 0xffff, .selector = 0,
                             .attributes = 0x93 } },
        { .name = HV_X64_REGISTER_RIP, .value.reg64 = GUEST_CODE },
        { .name = HV_X64_REGISTER_RFLAGS, .value.reg64 = 0x2 },
    };

    g->index = 0;
    g->dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(g->dev, >=, 0);
    g->pt = ioctl(g->dev, MSHV_CREATE_PARTITION, &args);
    g_assert_cmpint(g->pt, >=, 0);
    if (features) {
        set_property(g, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
                     features);
    }
    g_assert_cmpint(ioctl(g->pt, MSHV_INITIALIZE_PARTITION), ==, 0);
    g->ram = shared_memory(GUEST_RAM_SIZE, &g->ram_fd);
    memcpy(g->ram + GUEST_CODE, code, len);
    g_assert_cmpint(map_memory(g->pt, 0, g->ram, GUEST_RAM_SIZE,
                               1 << MSHV_SET_MEM_BIT_WRITABLE |
                               1 << MSHV_SET_MEM_BIT_EXECUTABLE), ==, 0);
    g->vp = ioctl(g->pt, MSHV_CREATE_VP, &vp);
    g_assert_cmpint(g->vp, >=, 0);
    set_regs(g, regs, ARRAY_SIZE(regs));
}

static void guest_init(Guest *g, const uint8_t *code, size_t len)
{
    guest_init_features(g, code, len, 0);
}

static void guest_fini(Guest *g)
{
    close(g->vp);
    close(g->pt);
    close(g->dev);
    munmap(g->ram, GUEST_RAM_SIZE);
    close(g->ram_fd);
}

static void run(Guest *g, struct hv_message *msg)
{
    struct mshv_run_vp run;

    g_assert_cmpint(ioctl(g->vp, MSHV_RUN_VP, &run), ==, 0);
    memcpy(msg, run.msg_buf, sizeof(*msg));
}

/* Complete an intercepted instruction the way a VMM does. */
static void skip(Guest *g, const struct hv_x64_intercept_message_header *h)
{
    set_reg(g, HV_X64_REGISTER_RIP,
            h->rip + (h->instruction_length_and_cr8 & 0xf));
}

/* A real-mode interrupt handler at 0000:2000 for @vector, a stack below. */
static void set_handler(Guest *g, unsigned vector, const uint8_t *handler,
                        size_t len)
{
    memcpy(g->ram + 0x2000, handler, len);
    g->ram[vector * 4 + 0] = 0x00;
    g->ram[vector * 4 + 1] = 0x20;
    set_reg(g, HV_X64_REGISTER_RSP, 0x8000);
}

/* ---- Tests --------------------------------------------------------------- */

static void test_unknown_ioctls(void)
{
    int dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(dev, >=, 0);
    errno = 0;
    g_assert_cmpint(ioctl(dev, _IO(MSHV_IOCTL, 0x3f)), ==, -1);
    g_assert_cmpint(errno, ==, ENOTTY);
    /* MSHV_CHECK_EXTENSION belongs to the VTL driver, not mshv_root. */
    g_assert_cmpint(ioctl(dev, _IOW(MSHV_IOCTL, 0x00, uint32_t), 0), ==, -1);
    g_assert_cmpint(errno, ==, ENOTTY);
    close(dev);
}

static void test_create_partition_flags(void)
{
    int dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    struct mshv_create_partition bad_flags = { .pt_flags = 1ULL << 6 };
    struct mshv_create_partition bad_iso = { .pt_isolation = 1 };
    struct mshv_create_partition_v2 v2 = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC |
                    1 << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES,
        .pt_num_cpu_fbanks = 1,
    };
    int pt;

    g_assert_cmpint(ioctl(dev, MSHV_CREATE_PARTITION, &bad_flags), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(ioctl(dev, MSHV_CREATE_PARTITION, &bad_iso), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(ioctl(dev, MSHV_CREATE_PARTITION, &v2), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    v2.pt_num_cpu_fbanks = MSHV_NUM_CPU_FEATURES_BANKS;
    pt = ioctl(dev, MSHV_CREATE_PARTITION, &v2);
    g_assert_cmpint(pt, >=, 0);
    g_assert_cmpint(ioctl(pt, MSHV_INITIALIZE_PARTITION), ==, 0);
    /* Idempotent. */
    g_assert_cmpint(ioctl(pt, MSHV_INITIALIZE_PARTITION), ==, 0);
    close(pt);
    close(dev);
}

static void test_partition_properties(void)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    struct hv_input_set_partition_property set = {
        .property_code = HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
        .property_value = 1 << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
                          1 << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX,
    };
    struct hv_input_get_partition_property get = {
        .property_code = HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
    };
    struct hv_output_get_partition_property out;
    int dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    int pt = ioctl(dev, MSHV_CREATE_PARTITION, &args);
    uint16_t status;

    g_assert_cmpint(pt, >=, 0);
    g_assert_cmpint(hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set,
                           sizeof(set), NULL, 0, &status), ==, 0);
    g_assert_cmpint(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &get,
                           sizeof(get), &out, sizeof(out), &status), ==, 0);
    g_assert_cmphex(out.property_value, ==, set.property_value);

    /* An early property: fixed once the partition is initialized. */
    g_assert_cmpint(ioctl(pt, MSHV_INITIALIZE_PARTITION), ==, 0);
    g_assert_cmpint(hvcall(pt, HVCALL_SET_PARTITION_PROPERTY, 0, &set,
                           sizeof(set), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARTITION_STATE);

    get.property_code = 0x7fffffff;
    g_assert_cmpint(hvcall(pt, HVCALL_GET_PARTITION_PROPERTY, 0, &get,
                           sizeof(get), &out, sizeof(out), &status), ==, -1);
    g_assert_cmpint(errno, ==, EIO);
    g_assert_cmphex(status, ==, HV_STATUS_UNKNOWN_PROPERTY);
    close(pt);
    close(dev);
}

static void test_memory_rules(void)
{
    static const uint8_t code[] = { 0xf4 };
    uint8_t *more = shared_memory(0x2000, NULL);
    void *private = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct mshv_user_mem_region r;
    Guest g;

    guest_init(&g, code, sizeof(code));

    /* Overlapping GPAs. */
    g_assert_cmpint(map_memory(g.pt, 0x8000, more, 0x2000, 0), ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    /* Size 0, unaligned size or address, unknown flags. */
    g_assert_cmpint(map_memory(g.pt, 0x40000, more, 0, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(map_memory(g.pt, 0x40000, more, 0x800, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(map_memory(g.pt, 0x40000, more + 8, 0x1000, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(map_memory(g.pt, 0x40000, more, 0x1000, 0x8), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    /* The simulator needs shared memory and says so. */
    g_assert_cmpint(map_memory(g.pt, 0x40000, private, 0x1000, 0), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);

    /* Map, then unmap: exact match only. */
    g_assert_cmpint(map_memory(g.pt, 0x40000, more, 0x2000, 0), ==, 0);
    r = (struct mshv_user_mem_region) {
        .size = 0x1000, .guest_pfn = 0x40, .userspace_addr = (uintptr_t)more,
        .flags = 1 << MSHV_SET_MEM_BIT_UNMAP,
    };
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_GUEST_MEMORY, &r), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    r.guest_pfn = 0x50;
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_GUEST_MEMORY, &r), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    r.guest_pfn = 0x40;
    r.size = 0x2000;
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_GUEST_MEMORY, &r), ==, 0);

    guest_fini(&g);
    munmap(more, 0x2000);
    munmap(private, 0x1000);
}

static void test_vp_limits(void)
{
    static const uint8_t code[] = { 0xf4 };
    struct mshv_create_vp vp;
    Guest g;

    guest_init(&g, code, sizeof(code));
    vp.vp_index = MSHV_MAX_VPS;
    g_assert_cmpint(ioctl(g.pt, MSHV_CREATE_VP, &vp), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    vp.vp_index = 0;
    g_assert_cmpint(ioctl(g.pt, MSHV_CREATE_VP, &vp), ==, -1);
    g_assert_cmpint(errno, ==, EEXIST);
    g_assert_cmpint(ioctl(g.vp, _IO(MSHV_IOCTL, 0x3f)), ==, -1);
    g_assert_cmpint(errno, ==, ENOTTY);
    /* Many VPs, and the highest index: each gets its LAPIC */
    for (vp.vp_index = 1; vp.vp_index < 40; vp.vp_index++) {
        g_assert_cmpint(ioctl(g.pt, MSHV_CREATE_VP, &vp), >=, 0);
    }
    vp.vp_index = MSHV_MAX_VPS - 1;
    g_assert_cmpint(ioctl(g.pt, MSHV_CREATE_VP, &vp), >=, 0);
    guest_fini(&g);
}

/*
 * Requests that would have crashed the hypervisor process: events VM
 * entry cannot inject, memory past the end of its file, access tracking
 * turned on over mapped regions.
 */
static void test_bad_requests(void)
{
    static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };
    struct hv_input_set_partition_property prop = {
        .property_code = HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
        .property_value = 1,
    };
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc reg;
    } QEMU_PACKED bad = {
        .reg.name = HV_REGISTER_PENDING_INTERRUPTION,
        .reg.value.reg64 = HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_EXCEPTION <<
                HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            0x100ULL << HV_PENDING_INTERRUPTION_VECTOR_SHIFT,
    };
    struct hv_input_assert_virtual_interrupt illegal = {
        .control = HV_X64_INTERRUPT_TYPE_FIXED,
        .vector = 5,
    };
    struct hv_message msg;
    uint16_t status;
    uint8_t *rom;
    int fd;
    Guest g;

    guest_init(&g, code, sizeof(code));
    g_assert_cmpint(hvcall(g.vp, HVCALL_SET_VP_REGISTERS, 1, &bad,
                           sizeof(bad), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);

    /* two pages mapped, one page of file */
    fd = memfd_create("mshv-sim-test-short", MFD_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, 0x1000), ==, 0);
    rom = mmap(NULL, 0x2000, PROT_READ, MAP_SHARED, fd, 0);
    g_assert(rom != MAP_FAILED);
    g_assert_cmpint(map_memory(g.pt, GUEST_ROM_GPA, rom, 0x2000,
                               1 << MSHV_SET_MEM_BIT_EXECUTABLE), ==, -1);
    g_assert_cmpint(errno, ==, EFAULT);

    g_assert_cmpint(hvcall(g.pt, HVCALL_SET_PARTITION_PROPERTY, 0, &prop,
                           sizeof(prop), NULL, 0, &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);

    /* a fixed interrupt with a vector a LAPIC calls illegal */
    g_assert_cmpint(hvcall(g.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0,
                           &illegal, sizeof(illegal), NULL, 0, &status),
                    ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
    /* the hypervisor is still there and the VP runs */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    munmap(rom, 0x2000);
    close(fd);
    guest_fini(&g);
}

static void test_register_round_trip(void)
{
    static const uint8_t code[] = { 0xf4 };
    static const struct {
        uint32_t name;
        uint64_t value;
    } regs64[] = {
        { HV_X64_REGISTER_RAX, 0x1111111111111111ULL },
        { HV_X64_REGISTER_RCX, 0x2222222222222222ULL },
        { HV_X64_REGISTER_RDX, 0x3333333333333333ULL },
        { HV_X64_REGISTER_RBX, 0x4444444444444444ULL },
        { HV_X64_REGISTER_RSP, 0x5555555555555550ULL },
        { HV_X64_REGISTER_RBP, 0x6666666666666666ULL },
        { HV_X64_REGISTER_RSI, 0x7777777777777777ULL },
        { HV_X64_REGISTER_RDI, 0x8888888888888888ULL },
        { HV_X64_REGISTER_R8, 8 }, { HV_X64_REGISTER_R9, 9 },
        { HV_X64_REGISTER_R10, 10 }, { HV_X64_REGISTER_R11, 11 },
        { HV_X64_REGISTER_R12, 12 }, { HV_X64_REGISTER_R13, 13 },
        { HV_X64_REGISTER_R14, 14 }, { HV_X64_REGISTER_R15, 15 },
        { HV_X64_REGISTER_RIP, 0x1234 },
        { HV_X64_REGISTER_RFLAGS, 0x2 | 0x1 | 0x40 | 0x400 | 0x800 },
        { HV_X64_REGISTER_CR2, 0xdead000 },
        { HV_X64_REGISTER_DR0, 0x1000 }, { HV_X64_REGISTER_DR3, 0x4000 },
        { HV_X64_REGISTER_XFEM, 0x3 },
        { HV_X64_REGISTER_PAT, 0x0007040600070406ULL },
        { HV_X64_REGISTER_SYSENTER_CS, 0x10 },
        { HV_X64_REGISTER_SYSENTER_EIP, 0xffffffff81000000ULL },
        { HV_X64_REGISTER_SYSENTER_ESP, 0xffffffff82000000ULL },
        { HV_X64_REGISTER_STAR, 0x0023001000000000ULL },
        { HV_X64_REGISTER_LSTAR, 0xffffffff81a00000ULL },
        { HV_X64_REGISTER_CSTAR, 0xffffffff81b00000ULL },
        { HV_X64_REGISTER_SFMASK, 0x47700 },
        { HV_X64_REGISTER_KERNEL_GS_BASE, 0xffff888000000000ULL },
        { HV_X64_REGISTER_TSC_AUX, 3 },
        { HV_X64_REGISTER_MSR_MTRR_DEF_TYPE, 0xc06 },
        { HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0, 0x80000006 },
        { HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + 3, 0xff80000800ULL },
        { HV_X64_REGISTER_MSR_MTRR_FIX4KF8000, 0x0606060606060606ULL },
        { HV_REGISTER_GUEST_OS_ID, 0x8100000000000000ULL },
    };
    struct hv_register_assoc assoc[ARRAY_SIZE(regs64) + 2];
    uint32_t names[ARRAY_SIZE(regs64) + 2];
    union hv_register_value values[ARRAY_SIZE(regs64) + 2];
    const unsigned n = ARRAY_SIZE(regs64);
    Guest g;
    unsigned i;

    guest_init(&g, code, sizeof(code));
    memset(assoc, 0, sizeof(assoc));
    for (i = 0; i < n; i++) {
        assoc[i].name = names[i] = regs64[i].name;
        assoc[i].value.reg64 = regs64[i].value;
    }
    assoc[n].name = names[n] = HV_X64_REGISTER_XMM0 + 7;
    assoc[n].value.reg128.low_part = 0x0123456789abcdefULL;
    assoc[n].value.reg128.high_part = 0xfedcba9876543210ULL;
    assoc[n + 1].name = names[n + 1] = HV_X64_REGISTER_GS;
    assoc[n + 1].value.segment = (struct hv_x64_segment_register) {
        .base = 0x12340000, .limit = 0xfffff, .selector = 0x2b,
        .attributes = 0xf3 | HV_SEG_ATTR_G | HV_SEG_ATTR_DB,
    };
    set_regs(&g, assoc, n + 2);
    get_regs(&g, names, n + 2, values);
    for (i = 0; i < n; i++) {
        g_test_message("register 0x%x", names[i]);
        g_assert_cmphex(values[i].reg64, ==, regs64[i].value);
    }
    g_assert_cmphex(values[n].reg128.low_part, ==, 0x0123456789abcdefULL);
    g_assert_cmphex(values[n].reg128.high_part, ==, 0xfedcba9876543210ULL);
    g_assert_cmphex(values[n + 1].segment.base, ==, 0x12340000);
    g_assert_cmphex(values[n + 1].segment.limit, ==, 0xfffff);
    g_assert_cmphex(values[n + 1].segment.selector, ==, 0x2b);
    g_assert_cmphex(values[n + 1].segment.attributes, ==,
                    0xf3 | HV_SEG_ATTR_G | HV_SEG_ATTR_DB);

    /* Unknown register names fail the whole call where they stand. */
    names[0] = 0x7ff00000;
    {
        struct {
            struct hv_input_vp_registers hdr;
            uint32_t names[1];
        } QEMU_PACKED in = { .names = { 0x7ff00000 } };
        union hv_register_value out;
        uint16_t status;

        g_assert_cmpint(hvcall(g.vp, HVCALL_GET_VP_REGISTERS, 1, &in,
                               sizeof(in), &out, sizeof(out), &status), ==, -1);
        g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
    }
    guest_fini(&g);
}

static void test_io_port_intercepts(void)
{
    static const uint8_t code[] = {
        0xba, 0xf8, 0x03,           /* mov dx, 0x3f8 */
        0xb0, 0x41,                 /* mov al, 'A' */
        0xee,                       /* out dx, al */
        0xe4, 0x60,                 /* in al, 0x60 */
        0xa2, 0x00, 0x30,           /* mov [0x3000], al */
        0x66, 0xef,                 /* out dx, eax */
        0xf3, 0x6e,                 /* rep outsb */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;

    guest_init(&g, code, sizeof(code));

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x3f8);
    g_assert_cmpuint(io->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmpuint(io->access_info, ==, 1);
    g_assert_cmphex(io->rax & 0xff, ==, 'A');
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 5);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 1);
    g_assert_cmpuint(io->instruction_bytes[0], ==, 0xee);
    g_assert_cmpuint(io->header.execution_state & HV_X64_EXEC_STATE_CR0_PE,
                     ==, 0);
    skip(&g, &io->header);

    /* IN: the VMM supplies AL; the guest then stores it in RAM. */
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x60);
    g_assert_cmpuint(io->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_READ);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 2);
    set_reg(&g, HV_X64_REGISTER_RAX, 0x5a);
    skip(&g, &io->header);

    run(&g, &msg);
    g_assert_cmpuint(g.ram[0x3000], ==, 0x5a);
    g_assert_cmphex(io->port_number, ==, 0x3f8);
    g_assert_cmpuint(io->access_info, ==, 4);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 2);
    skip(&g, &io->header);

    /* String I/O: the VP stops before the first element. */
    set_reg(&g, HV_X64_REGISTER_RCX, 3);
    set_reg(&g, HV_X64_REGISTER_RSI, 0x3000);
    run(&g, &msg);
    g_assert_cmpuint(io->access_info, ==, 1 | HV_X64_IO_ACCESS_STRING_OP |
                                         HV_X64_IO_ACCESS_REP_PREFIX);
    g_assert_cmphex(io->rcx, ==, 3);
    g_assert_cmphex(io->rsi, ==, 0x3000);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 2);
    /* The registers show the same stop: nothing moved yet. */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, io->header.rip);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RCX), ==, 3);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RSI), ==, 0x3000);
    guest_fini(&g);
}

/*
 * An ioeventfd takes a matching write to an unmapped GPA: the eventfd is
 * signalled and the instruction completes with no intercept; other data,
 * a read, or the binding gone, and the VMM gets the write as usual.
 */
static void test_ioeventfd(void)
{
    static const uint8_t code[] = {
        0xb8, 0x00, 0x20,               /* mov ax, 0x2000 */
        0x8e, 0xd8,                     /* mov ds, ax */
        0xc6, 0x06, 0x00, 0x00, 0x42,   /* mov byte [0], 0x42: matches */
        0xc6, 0x06, 0x00, 0x00, 0x42,   /* again */
        0xc6, 0x06, 0x00, 0x00, 0x43,   /* mov byte [0], 0x43: does not */
        0xc6, 0x06, 0x00, 0x00, 0x42,   /* after deassign */
        0xf4,
    };
    struct mshv_user_ioeventfd io = {
        .datamatch = 0x42,
        .addr = GUEST_UNMAPPED,
        .len = 1,
        .flags = 1u << MSHV_IOEVENTFD_BIT_DATAMATCH,
    };
    struct hv_message msg;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    uint64_t count = 0;
    Guest g;

    guest_init(&g, code, sizeof(code));
    io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g_assert_cmpint(io.fd, >=, 0);
    g_assert_cmpint(ioctl(g.pt, MSHV_IOEVENTFD, &io), ==, 0);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmphex(mem->header.rip, ==, GUEST_CODE + 15);
    g_assert_cmpint(read(io.fd, &count, sizeof(count)), ==, sizeof(count));
    g_assert_cmpuint(count, ==, 2);
    skip(&g, &mem->header);

    io.flags |= 1u << MSHV_IOEVENTFD_BIT_DEASSIGN;
    g_assert_cmpint(ioctl(g.pt, MSHV_IOEVENTFD, &io), ==, 0);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmphex(mem->header.rip, ==, GUEST_CODE + 20);
    g_assert_cmpint(read(io.fd, &count, sizeof(count)), ==, -1);
    g_assert_cmpint(errno, ==, EAGAIN);
    close(io.fd);
    guest_fini(&g);
}

static void test_mmio_intercepts(void)
{
    static const uint8_t code[] = {
        0xb8, 0x00, 0x20,           /* mov ax, 0x2000 */
        0x8e, 0xd8,                 /* mov ds, ax */
        0x88, 0x1e, 0x00, 0x00,     /* mov [0], bl */
        0x8a, 0x0e, 0x01, 0x00,     /* mov cl, [1] */
        0xb8, 0x00, 0x10,           /* mov ax, 0x1000 */
        0x8e, 0xd8,                 /* mov ds, ax */
        0xc6, 0x06, 0x00, 0x00, 0x77, /* mov byte [0], 0x77: the ROM */
        0xf4,
    };
    uint8_t *rom = shared_memory(0x1000, NULL);
    struct hv_message msg;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    Guest g;

    guest_init(&g, code, sizeof(code));
    rom[0] = 0x42;
    g_assert_cmpint(map_memory(g.pt, GUEST_ROM_GPA, rom, 0x1000,
                               1 << MSHV_SET_MEM_BIT_EXECUTABLE), ==, 0);
    set_reg(&g, HV_X64_REGISTER_RBX, 0x99);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED);
    g_assert_cmphex(mem->header.rip, ==, GUEST_CODE + 5);
    g_assert_cmpuint(mem->instruction_byte_count, >=, 4);
    g_assert_cmpuint(mem->instruction_bytes[0], ==, 0x88);
    g_assert_cmpuint(mem->header.instruction_length_and_cr8 & 0xf, ==, 4);
    g_assert_true(mem->memory_access_info & HV_X64_MEMORY_ACCESS_GVA_GPA_VALID);
    skip(&g, &mem->header);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_READ);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED + 1);
    skip(&g, &mem->header);

    /* A write to a read-only region: a GPA intercept, ROM unchanged. */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_GPA_INTERCEPT);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_ROM_GPA);
    g_assert_cmpuint(rom[0], ==, 0x42);
    guest_fini(&g);
    munmap(rom, 0x1000);
}

/*
 * The system registers round-trip too, set together as a VMM restoring a
 * 64-bit guest does (values the CPU accepts, so that they read back
 * as set): control, debug and table registers, EFER, x87 and SSE state,
 * XCR0 and the pending-event registers.
 */
/* Set the N registers of SET in one call; each reads back as written. */
static void assert_regs_round_trip(Guest *g,
                                   const struct hv_register_assoc *set,
                                   unsigned n)
{
    g_autofree uint32_t *names = g_new(uint32_t, n);
    g_autofree union hv_register_value *got =
        g_new(union hv_register_value, n);
    unsigned i;

    set_regs(g, set, n);
    for (i = 0; i < n; i++) {
        names[i] = set[i].name;
    }
    get_regs(g, names, n, got);
    for (i = 0; i < n; i++) {
        g_test_message("register 0x%x", names[i]);
        g_assert_cmpmem(&got[i], sizeof(got[i]), &set[i].value,
                        sizeof(set[i].value));
    }
}

static void test_register_round_trip_system(void)
{
    static const uint8_t code[] = { 0xf4 };
    const uint64_t pending = HV_PENDING_INTERRUPTION_PENDING |
        (uint64_t)HV_X64_PENDING_EXCEPTION <<
            HV_PENDING_INTERRUPTION_TYPE_SHIFT |
        HV_PENDING_INTERRUPTION_DELIVER_ERROR_CODE |
        13ULL << HV_PENDING_INTERRUPTION_VECTOR_SHIFT |
        0x18ULL << HV_PENDING_INTERRUPTION_ERROR_CODE_SHIFT;
    struct hv_register_assoc set[] = {
        { .name = HV_X64_REGISTER_CR3, .value.reg64 = 0x7000 },
        /* PAE, PGE, OSFXSR, OSXMMEXCPT, OSXSAVE */
        { .name = HV_X64_REGISTER_CR4, .value.reg64 = 0x406a0 },
        /* SCE, LME, LMA, NXE */
        { .name = HV_X64_REGISTER_EFER, .value.reg64 = 0xd01 },
        /* PE, MP, ET, NE, WP, AM, PG */
        { .name = HV_X64_REGISTER_CR0, .value.reg64 = 0x80050033 },
        { .name = HV_X64_REGISTER_CR2, .value.reg64 = 0xffffc90000123456ULL },
        { .name = HV_X64_REGISTER_CR8, .value.reg64 = 5 },
        { .name = HV_X64_REGISTER_XFEM, .value.reg64 = 0x3 },
        { .name = HV_X64_REGISTER_DR1, .value.reg64 = 0xffffffff81000000ULL },
        { .name = HV_X64_REGISTER_DR2, .value.reg64 = 0x2000 },
        { .name = HV_X64_REGISTER_DR6, .value.reg64 = 0xffff0ff1 },
        { .name = HV_X64_REGISTER_DR7, .value.reg64 = 0x401 },
        { .name = HV_X64_REGISTER_IDTR,
          .value.table = { .limit = 0xfff, .base = 0xfffffe0000000000ULL } },
        { .name = HV_X64_REGISTER_GDTR,
          .value.table = { .limit = 0x7f, .base = 0xfffffe0000001000ULL } },
        { .name = HV_X64_REGISTER_LDTR,
          .value.segment = { .base = 0x30000, .limit = 0xff,
                             .selector = 0x28, .attributes = 0x82 } },
        { .name = HV_X64_REGISTER_TR,
          .value.segment = { .base = 0xfffffe0000003000ULL, .limit = 0x67,
                             .selector = 0x40, .attributes = 0x8b } },
        { .name = HV_X64_REGISTER_FP_MMX0 + 2,      /* 1.0 */
          .value.reg128 = { .low_part = 0x8000000000000000ULL,
                            .high_part = 0x3fff } },
        { .name = HV_X64_REGISTER_FP_CONTROL_STATUS,
          .value.fp_control_status = { .fp_control = 0x27f,
                                       .fp_status = 0x3800,
                                       .fp_tag = 0x80,
                                       .last_fp_op = 0x5d9,
                                       .last_fp_rip = 0x401234 } },
        { .name = HV_X64_REGISTER_XMM_CONTROL_STATUS,
          .value.xmm_control_status = { .last_fp_rdp = 0x602000,
                                        .xmm_status_control = 0x1fa0,
                                        .xmm_status_control_mask = 0xffff } },
        { .name = HV_X64_REGISTER_XMM0 + 15,
          .value.reg128 = { .low_part = 0x1111222233334444ULL,
                            .high_part = 0x5555666677778888ULL } },
        { .name = HV_REGISTER_PENDING_INTERRUPTION, .value.reg64 = pending },
        { .name = HV_REGISTER_INTERRUPT_STATE,
          .value.reg64 = HV_INTERRUPT_STATE_SHADOW },
    };
    Guest g;

    guest_init(&g, code, sizeof(code));
    assert_regs_round_trip(&g, set, ARRAY_SIZE(set));
    guest_fini(&g);
}

/* Register names that change by themselves between a read and a write. */
static bool reg_moves(uint32_t name)
{
    return name == HV_X64_REGISTER_TSC || name == HV_REGISTER_VP_RUNTIME ||
           name == HV_REGISTER_TIME_REF_COUNT ||
           /* writing what it reads sends an IPI */
           name == HV_X64_REGISTER_SYNTHETIC_ICR;
}

/*
 * Every register name the hypervisor answers, found by asking for each
 * name of each class, reads back as it was after the VMM writes what it
 * read (a VMM saving and restoring a VP does just that); names it does
 * not answer fail alone, with HV_STATUS_INVALID_PARAMETER.
 */
static void test_register_every_name(void)
{
    static const uint8_t code[] = { 0xf4 };
    static const struct {
        uint32_t first, count;
    } classes[] = {
        { 0x00000000, 0x300 },      /* suspend, activity, hypervisor info */
        { 0x00010000, 0x10 },       /* pending events */
        { 0x00020000, 0x20 },       /* general purpose */
        { 0x00030000, 0x20 },       /* FP and vector */
        { 0x00040000, 0x10 },       /* control */
        { 0x00041000, 0x10 },       /* intermediate control */
        { 0x00050000, 0x10 },       /* debug */
        { 0x00060000, 0x10 },       /* segment */
        { 0x00070000, 0x10 },       /* table */
        { 0x00080000, 0x100 },      /* architectural MSRs */
        { 0x00090000, 0x40 },       /* synthetic MSRs */
        { 0x000a0000, 0x20 },       /* SynIC */
        { 0x000b0000, 0x10 },       /* synthetic timers */
    };
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[1];
    } QEMU_PACKED in = { .hdr.vp_index = 0 };
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[1];
    } QEMU_PACKED set = { .hdr.vp_index = 0 };
    union hv_register_value value, again;
    unsigned c, i, found = 0, kept = 0;
    uint16_t status;
    Guest g;

    /* every feature the simulator offers, so every register it has */
    guest_init_features(&g, code, sizeof(code),
                        MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES);
    for (c = 0; c < ARRAY_SIZE(classes); c++) {
        for (i = 0; i < classes[c].count; i++) {
            uint32_t name = classes[c].first + i;
            int ret;

            in.names[0] = name;
            memset(&value, 0, sizeof(value));
            ret = hvcall(g.vp, HVCALL_GET_VP_REGISTERS, 1, &in, sizeof(in),
                         &value, sizeof(value), &status);
            if (ret < 0) {
                g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
                continue;
            }
            found++;
            if (reg_moves(name)) {
                continue;
            }
            set.regs[0].name = name;
            set.regs[0].value = value;
            g_test_message("register 0x%x", name);
            ret = hvcall(g.vp, HVCALL_SET_VP_REGISTERS, 1, &set, sizeof(set),
                         NULL, 0, &status);
            if (ret < 0) {
                /* read-only: refused as such, and unchanged */
                g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
            } else {
                kept++;
            }
            again.reg128.low_part = ~value.reg128.low_part;
            g_assert_cmpint(hvcall(g.vp, HVCALL_GET_VP_REGISTERS, 1, &in,
                                   sizeof(in), &again, sizeof(again),
                                   &status), ==, 0);
            g_assert_cmpmem(&again, sizeof(again), &value, sizeof(value));
        }
    }
    g_test_message("%u register names, %u written back", found, kept);
    /* the accelerator's register table, give or take a few */
    g_assert_cmpuint(found, >=, 150);
    g_assert_cmpuint(kept, >=, 145);
    guest_fini(&g);
}

/* ---- Protected and long mode --------------------------------------------- */

/* Long-mode page tables: 4 levels, the first 2 MiB in 4 KiB pages. */
#define GUEST_PML4          0x8000
#define GUEST_PAGE_TABLE    0xb000
#define PTE_P               (1ULL << 0)
#define PTE_W               (1ULL << 1)
#define PTE_U               (1ULL << 2)
#define PTE_A               (1ULL << 5)
#define PTE_D               (1ULL << 6)
#define PTE_PS              (1ULL << 7)
#define PTE_NX              (1ULL << 63)

static uint64_t *guest_pte(Guest *g, uint64_t gva)
{
    return (uint64_t *)(g->ram + GUEST_PAGE_TABLE) + (gva >> 12);
}

/* VP 0 at GUEST_CODE in 32-bit protected mode, flat, without paging. */
static void guest_init_protected(Guest *g, const uint8_t *code, size_t len)
{
    const struct hv_x64_segment_register flat = {
        .limit = 0xffffffff, .selector = 0x10,
        .attributes = 0x93 | HV_SEG_ATTR_DB | HV_SEG_ATTR_G,
    };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CR0, .value.reg64 = 0x11 },  /* PE, ET */
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .limit = 0xffffffff, .selector = 0x08,
                             .attributes = 0x9b | HV_SEG_ATTR_DB |
                                           HV_SEG_ATTR_G } },
        { .name = HV_X64_REGISTER_DS, .value.segment = flat },
        { .name = HV_X64_REGISTER_ES, .value.segment = flat },
        { .name = HV_X64_REGISTER_SS, .value.segment = flat },
    };

    guest_init(g, code, len);
    set_regs(g, regs, ARRAY_SIZE(regs));
}

/*
 * VP 0 at GUEST_CODE in 64-bit mode (NX on), its page tables at GUEST_PML4
 * mapping the first 2 MiB of addresses one to one, supervisor read/write
 * (the levels above allow all): a test changes single PTEs (guest_pte).
 */
static void guest_init_long(Guest *g, const uint8_t *code, size_t len)
{
    const struct hv_x64_segment_register data = {
        .limit = 0xffffffff, .selector = 0x10,
        .attributes = 0x93 | HV_SEG_ATTR_DB | HV_SEG_ATTR_G,
    };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CR3, .value.reg64 = GUEST_PML4 },
        { .name = HV_X64_REGISTER_CR4, .value.reg64 = 1 << 5 },   /* PAE */
        { .name = HV_X64_REGISTER_EFER,         /* LME, LMA, NXE */
          .value.reg64 = 1 << 8 | 1 << 10 | 1 << 11 },
        /* PE, ET, NE, WP, PG */
        { .name = HV_X64_REGISTER_CR0, .value.reg64 = 0x80010031 },
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .limit = 0xffffffff, .selector = 0x08,
                             .attributes = 0x9b | HV_SEG_ATTR_L |
                                           HV_SEG_ATTR_G } },
        { .name = HV_X64_REGISTER_DS, .value.segment = data },
        { .name = HV_X64_REGISTER_ES, .value.segment = data },
        { .name = HV_X64_REGISTER_SS, .value.segment = data },
    };
    uint64_t *table;
    unsigned i;

    guest_init(g, code, len);
    table = (uint64_t *)(g->ram + GUEST_PML4);
    /* PML4, PDPT and PD: one entry each, to the next level's page */
    for (i = 0; i < 3; i++) {
        table[i * 512] = (GUEST_PML4 + (i + 1) * 0x1000) | PTE_P | PTE_W |
                         PTE_U;
    }
    for (i = 0; i < 512; i++) {
        *guest_pte(g, i << 12) = (uint64_t)i << 12 | PTE_P | PTE_W;
    }
    set_regs(g, regs, ARRAY_SIZE(regs));
}

/* HVCALL_TRANSLATE_VIRTUAL_ADDRESS of @gva for VP @index. */
static struct hv_output_translate_virtual_address
translate(Guest *g, uint32_t index, uint64_t gva, uint64_t flags,
          uint16_t *status)
{
    struct hv_input_translate_virtual_address in = {
        .vp_index = index,
        .control_flags = flags,
        .gva_page = gva >> 12,
    };
    struct hv_output_translate_virtual_address out;

    memset(&out, 0xff, sizeof(out));
    hvcall(g->vp, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in),
           &out, sizeof(out), status);
    return out;
}

/* The GPA page @gva translates to; fails the test if it does not. */
static uint64_t translate_ok(Guest *g, uint64_t gva)
{
    uint16_t status;
    struct hv_output_translate_virtual_address out =
        translate(g, g->index, gva, HV_TRANSLATE_GVA_VALIDATE_READ, &status);

    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_SUCCESS);
    return out.gpa_page << 12;
}

/*
 * 32-bit protected mode: port I/O and MMIO stop with the mode in the
 * message, and addresses translate one to one.
 */
static void test_protected_mode(void)
{
    static const uint8_t code[] = {
        0x66, 0xba, 0xf8, 0x03,         /* mov dx, 0x3f8 */
        0xb8, 0x44, 0x33, 0x22, 0x11,   /* mov eax, 0x11223344 */
        0xef,                           /* out dx, eax */
        0x89, 0x05, 0x10, 0x00, 0x02, 0x00, /* mov [0x20010], eax */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    Guest g;

    guest_init_protected(&g, code, sizeof(code));
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x3f8);
    g_assert_cmpuint(io->access_info, ==, 4);
    g_assert_cmphex(io->rax, ==, 0x11223344);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 9);
    g_assert_cmpuint(io->header.instruction_length_and_cr8 & 0xf, ==, 1);
    g_assert_cmphex(io->header.execution_state &
                    (HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA |
                     HV_X64_EXEC_STATE_CPL_MASK), ==, HV_X64_EXEC_STATE_CR0_PE);
    g_assert_cmphex(io->header.cs_segment.attributes, ==,
                    0x9b | HV_SEG_ATTR_DB | HV_SEG_ATTR_G);
    /* no paging: every address is its own translation */
    g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x5000);
    g_assert_cmphex(translate_ok(&g, 0x12345000), ==, 0x12345000);
    skip(&g, &io->header);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED + 0x10);
    g_assert_cmphex(mem->guest_virtual_address, ==, GUEST_UNMAPPED + 0x10);
    g_assert_cmpuint(mem->header.instruction_length_and_cr8 & 0xf, ==, 6);
    g_assert_cmpuint(mem->instruction_bytes[0], ==, 0x89);
    guest_fini(&g);
}

/*
 * 64-bit mode with paging: messages carry the mode; translations follow
 * the guest's page tables as they are now, for the stopped VP, asked
 * right after its stop (when its own thread answers) and later; a string
 * I/O stop shows the guest's virtual addresses; an access through a page
 * mapped to an unmapped GPA reports both addresses.
 */
static void test_long_mode_paging(void)
{
    static const uint8_t code[] = {
        0x66, 0xba, 0xf8, 0x03,         /* mov dx, 0x3f8 */
        0xb0, 0x41,                     /* mov al, 'A' */
        0xee,                           /* out dx, al */
        0xf3, 0x6e,                     /* rep outsb */
        0x48, 0xb8, 0x08, 0x70, 0, 0, 0, 0, 0, 0, /* mov rax, 0x7008 */
        0x48, 0x89, 0x18,               /* mov [rax], rbx */
        0xee,                           /* out dx, al */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_memory_intercept_message *mem = (void *)msg.payload;
    struct hv_output_translate_virtual_address out;
    uint16_t status;
    Guest g;
    unsigned i;

    guest_init_long(&g, code, sizeof(code));
    *guest_pte(&g, 0x5000) = 0x6000 | PTE_P | PTE_W;    /* elsewhere */
    *guest_pte(&g, 0x4000) = 0x4000;                    /* not present */
    *guest_pte(&g, 0x7000) = GUEST_UNMAPPED | PTE_P | PTE_W;

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->rax & 0xff, ==, 'A');
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 6);
    g_assert_cmphex(io->header.execution_state &
                    (HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA |
                     HV_X64_EXEC_STATE_CPL_MASK), ==,
                    HV_X64_EXEC_STATE_CR0_PE | HV_X64_EXEC_STATE_EFER_LMA);
    g_assert_cmphex(io->header.cs_segment.attributes, ==,
                    0x9b | HV_SEG_ATTR_L | HV_SEG_ATTR_G);
    /* asked at once, then again and again while the VP stays stopped */
    for (i = 0; i < 50; i++) {
        g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x6000);
        g_assert_cmphex(translate_ok(&g, 0x5fff), ==, 0x6000);
        g_assert_cmphex(translate_ok(&g, GUEST_CODE), ==, GUEST_CODE);
    }
    out = translate(&g, g.index, 0x4000, HV_TRANSLATE_GVA_VALIDATE_READ,
                    &status);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    /* beyond the mapped 2 MiB, and not canonical */
    out = translate(&g, g.index, 0x40000000, 0, &status);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    out = translate(&g, g.index, 0x0000800000000000ULL, 0, &status);
    g_assert_cmpuint(out.result_code, ==, HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    /* the tables as they are now, not as when the VP stopped */
    *guest_pte(&g, 0x4000) = 0x9000 | PTE_P;
    g_assert_cmphex(translate_ok(&g, 0x4000), ==, 0x9000);
    /* no such VP */
    translate(&g, 5, 0x5000, 0, &status);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_VP_INDEX);
    skip(&g, &io->header);

    /* rep outsb from virtual 0x5000: the VP stops before the first byte */
    set_reg(&g, HV_X64_REGISTER_RCX, 4);
    set_reg(&g, HV_X64_REGISTER_RSI, 0x5010);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmpuint(io->access_info, ==, 1 | HV_X64_IO_ACCESS_STRING_OP |
                                         HV_X64_IO_ACCESS_REP_PREFIX);
    g_assert_cmphex(io->rsi, ==, 0x5010);
    g_assert_cmphex(io->rcx, ==, 4);
    g_assert_cmphex(translate_ok(&g, io->rsi), ==, 0x6000);
    /* complete it as a VMM does: all four elements, registers moved */
    set_reg(&g, HV_X64_REGISTER_RSI, 0x5014);
    set_reg(&g, HV_X64_REGISTER_RCX, 0);
    skip(&g, &io->header);

    /* through a page that maps an unmapped GPA: both addresses */
    set_reg(&g, HV_X64_REGISTER_RBX, 0x1122334455667788ULL);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_UNMAPPED_GPA);
    g_assert_cmpuint(mem->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_WRITE);
    g_assert_cmphex(mem->guest_virtual_address, ==, 0x7008);
    g_assert_cmphex(mem->guest_physical_address, ==, GUEST_UNMAPPED + 8);
    g_assert_true(mem->memory_access_info & HV_X64_MEMORY_ACCESS_GVA_VALID);
    g_assert_cmpuint(mem->header.instruction_length_and_cr8 & 0xf, ==, 3);
    g_assert_cmpuint(mem->instruction_bytes[0], ==, 0x48);
    g_assert_cmpuint(mem->instruction_bytes[1], ==, 0x89);
    skip(&g, &mem->header);

    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 22);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RSI), ==, 0x5014);
    guest_fini(&g);
}

static uint32_t translate_result(Guest *g, uint64_t gva, uint64_t flags)
{
    uint16_t status;
    struct hv_output_translate_virtual_address out =
        translate(g, g->index, gva, flags, &status);

    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    return out.result_code;
}

/*
 * The checks a translation makes when asked to (long mode): privilege,
 * writability, no-execute, reserved bits; large pages; accessed and dirty
 * bits set only on request; unknown control flags refused.
 */
static void test_translate_checks(void)
{
    static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };   /* out 0x80, al */
    const uint64_t rd = HV_TRANSLATE_GVA_VALIDATE_READ;
    const uint64_t wr = rd | HV_TRANSLATE_GVA_VALIDATE_WRITE;
    const uint64_t ex = HV_TRANSLATE_GVA_VALIDATE_EXECUTE;
    const uint64_t user = HV_TRANSLATE_GVA_USER_ACCESS;
    const uint64_t set_bits = HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS;
    uint64_t *pd;
    struct hv_message msg;
    uint16_t status;
    Guest g;

    guest_init_long(&g, code, sizeof(code));
    pd = (uint64_t *)(g.ram + GUEST_PML4 + 0x2000);
    *guest_pte(&g, 0x2000) = 0x2000 | PTE_P | PTE_U | PTE_NX;
    *guest_pte(&g, 0x3000) = 0x3000 | PTE_P;                /* read-only */
    *guest_pte(&g, 0x4000) = 0x4000 | PTE_P | 1ULL << 51;   /* reserved */
    *guest_pte(&g, 0x6000) = 0x6000 | PTE_P | 1ULL << 58;   /* the OS's */
    pd[1] = 0x400000 | PTE_P | PTE_W | PTE_PS;              /* 2 MiB */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);

    g_assert_cmpuint(translate_result(&g, 0x3000, rd), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* CR0.WP: read-only for the supervisor too, unless exempt */
    g_assert_cmpuint(translate_result(&g, 0x3000, wr), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, 0x3000, wr |
                                      HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* supervisor pages are not the user's; user pages are */
    g_assert_cmpuint(translate_result(&g, 0x5000, rd | user), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, 0x2000, rd | user), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    /* no-execute */
    g_assert_cmpuint(translate_result(&g, 0x2000, ex), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_cmpuint(translate_result(&g, GUEST_CODE, ex), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmpuint(translate_result(&g, 0x4000, rd), ==,
                     HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS);
    g_assert_cmphex(translate_ok(&g, 0x6000), ==, 0x6000);
    g_assert_cmphex(translate_ok(&g, 0x234567), ==, 0x434000);

    /* accessed and dirty bits: untouched unless asked for */
    g_assert_false(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D));
    translate_ok(&g, 0x5000);
    g_assert_false(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D));
    g_assert_cmpuint(translate_result(&g, 0x5000, rd | set_bits), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmphex(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D), ==, PTE_A);
    g_assert_true(pd[0] & PTE_A);
    g_assert_cmpuint(translate_result(&g, 0x5000, wr | set_bits), ==,
                     HV_TRANSLATE_GVA_SUCCESS);
    g_assert_cmphex(*guest_pte(&g, 0x5000) & (PTE_A | PTE_D), ==,
                    PTE_A | PTE_D);
    /* a refused access sets nothing dirty */
    g_assert_cmpuint(translate_result(&g, 0x3000, wr | set_bits), ==,
                     HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION);
    g_assert_false(*guest_pte(&g, 0x3000) & PTE_D);

    translate(&g, g.index, 0x5000, 1ULL << 20, &status);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
    guest_fini(&g);
}

/*
 * 32-bit paging, with and without PAE, on a VP stopped in protected mode:
 * 4 KiB pages and large ones (4 MiB, 2 MiB), as the tables say.
 */
static void test_translate_32bit_paging(void)
{
    static const uint8_t code[] = { 0xe6, 0x80, 0xf4 };   /* out 0x80, al */
    uint32_t *pd, *pt;
    uint64_t *pdpt, *pd64, *pt64;
    struct hv_message msg;
    Guest g;

    guest_init_protected(&g, code, sizeof(code));
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);

    /* two levels of 4-byte entries, and a 4 MiB page (CR4.PSE) */
    pd = (uint32_t *)(g.ram + 0x8000);
    pt = (uint32_t *)(g.ram + 0x9000);
    pd[0] = 0x9000 | PTE_P | PTE_W;
    pd[1] = 0x800000 | PTE_P | PTE_W | PTE_PS;
    pt[5] = 0x7000 | PTE_P | PTE_W;
    set_reg(&g, HV_X64_REGISTER_CR3, 0x8000);
    set_reg(&g, HV_X64_REGISTER_CR4, 1 << 4);                  /* PSE */
    set_reg(&g, HV_X64_REGISTER_CR0, 0x80000011);
    g_assert_cmphex(translate_ok(&g, 0x5000), ==, 0x7000);
    g_assert_cmphex(translate_ok(&g, 0x4abcde), ==, 0x8ab000);
    g_assert_cmpuint(translate_result(&g, 0x6000, 0), ==,
                     HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);

    /* PAE: a PDPTE, then two levels of 8-byte entries, and 2 MiB pages */
    pdpt = (uint64_t *)(g.ram + 0xa000);
    pd64 = (uint64_t *)(g.ram + 0xb000);
    pt64 = (uint64_t *)(g.ram + 0xc000);
    memset(pdpt, 0, 0x3000);
    pdpt[1] = 0xb000 | PTE_P;                   /* 1 GiB - 2 GiB */
    pd64[0] = 0xc000 | PTE_P | PTE_W;
    pd64[1] = 0xa00000 | PTE_P | PTE_W | PTE_PS;
    pt64[3] = 0x3000 | PTE_P;
    set_reg(&g, HV_X64_REGISTER_CR3, 0xa000);
    set_reg(&g, HV_X64_REGISTER_CR4, 1 << 5);                  /* PAE */
    g_assert_cmphex(translate_ok(&g, 0x40003000), ==, 0x3000);
    g_assert_cmphex(translate_ok(&g, 0x40212345), ==, 0xa12000);
    g_assert_cmpuint(translate_result(&g, 0x3000, 0), ==,
                     HV_TRANSLATE_GVA_PAGE_NOT_PRESENT);
    guest_fini(&g);
}

/* Two OUTs: the register page tests complete the first through the page. */
static const uint8_t two_outs[] = {
    0xb0, 0x11,                     /* mov al, 0x11 */
    0xe6, 0x80,                     /* out 0x80, al */
    0xe6, 0x81,                     /* out 0x81, al */
    0xf4,
};

static struct hv_vp_register_page *register_page(Guest *g)
{
    void *rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g->vp,
                    MSHV_VP_MMAP_OFFSET_REGISTERS * 4096);

    g_assert(rp != MAP_FAILED);
    return rp;
}

/* Complete a 2-byte OUT through the page: RIP and RAX, marked dirty. */
static void page_complete_out(struct hv_vp_register_page *rp,
                              const struct hv_x64_io_port_intercept_message *io,
                              uint64_t rax)
{
    rp->rip = io->header.rip + 2;
    rp->gp_registers[0] = rax;
    rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP |
                1u << HV_X64_REGISTER_CLASS_GENERAL;
}

static void test_register_page(void)
{
    struct hv_vp_register_page *rp;
    struct hv_message msg, *page;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;

    guest_init(&g, two_outs, sizeof(two_outs));
    rp = register_page(&g);
    page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, g.vp,
                MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE * 4096);
    g_assert(page != MAP_FAILED);
    g_assert(mmap(NULL, 4096, PROT_READ, MAP_SHARED, g.vp,
                  MSHV_VP_MMAP_OFFSET_GHCB * 4096) == MAP_FAILED);
    g_assert_cmpint(errno, ==, ENODEV);

    run(&g, &msg);
    g_assert_cmpuint(rp->version, ==, HV_VP_REGISTER_PAGE_VERSION_1);
    g_assert_cmpuint(rp->isvalid, ==, 1);
    g_assert_cmphex(rp->rip, ==, GUEST_CODE + 2);
    g_assert_cmphex(rp->gp_registers[0] & 0xff, ==, 0x11);
    g_assert_cmpmem(page, sizeof(*page), &msg, sizeof(msg));

    page_complete_out(rp, io, 0x22);
    run(&g, &msg);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 4);
    g_assert_cmphex(io->rax & 0xff, ==, 0x22);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xff, ==, 0x22);
    munmap(rp, 4096);
    munmap(page, 4096);
    guest_fini(&g);
}

/*
 * An OUT completed through the register page, then a register hypercall
 * (as a VMM asks for an interrupt window right after emulating): the
 * page's RIP advance is not lost, the OUT does not run twice, and reads
 * through the hypercall see the page's writes.
 */
static void test_page_writes_survive_hypercall(void)
{
    struct hv_vp_register_page *rp;
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;

    guest_init(&g, two_outs, sizeof(two_outs));
    rp = register_page(&g);
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x80);

    page_complete_out(rp, io, 0x22);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, GUEST_CODE + 4);
    set_reg(&g, HV_X64_REGISTER_RBX, 0x33);
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x81);
    g_assert_cmphex(io->header.rip, ==, GUEST_CODE + 4);
    g_assert_cmphex(io->rax & 0xff, ==, 0x22);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RBX), ==, 0x33);
    munmap(rp, 4096);
    guest_fini(&g);
}

/*
 * Flags written while the VP is stopped are the ones its next instructions
 * see: through SET_VP_REGISTERS and through the register page, and they
 * survive an intercept in between (guests keep flags live across MMIO).
 */
static void test_flags_survive_stop(void)
{
    static const uint8_t code[] = {
        0x9c,                       /* pushf */
        0x58,                       /* pop ax */
        0xe6, 0x80,                 /* out 0x80, al: the flags, first */
        0x9c,                       /* pushf */
        0x58,                       /* pop ax */
        0xe6, 0x81,                 /* out 0x81, al: then again */
        0xf4,
    };
    static const uint8_t arith[] = { 0x01, 0x04, 0x10, 0x40, 0x80 };
    struct hv_vp_register_page *rp;
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;
    int i;

    for (i = 0; i < ARRAY_SIZE(arith); i++) {
        guest_init(&g, code, sizeof(code));
        set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
        set_reg(&g, HV_X64_REGISTER_RFLAGS, 0x2 | arith[i]);
        g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RFLAGS), ==,
                        0x2 | arith[i]);
        run(&g, &msg);
        g_assert_cmphex(io->port_number, ==, 0x80);
        g_assert_cmphex(io->rax & 0xff, ==, 0x2 | arith[i]);
        g_assert_cmphex(io->header.rflags, ==, 0x2 | arith[i]);

        /* The other flags, written through the page with the completion. */
        rp = register_page(&g);
        rp->rip = io->header.rip + 2;
        rp->rflags = 0x2 | (0xd5 & ~arith[i]);
        rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP |
                    1u << HV_X64_REGISTER_CLASS_FLAGS;
        run(&g, &msg);
        g_assert_cmphex(io->port_number, ==, 0x81);
        g_assert_cmphex(io->rax & 0xff, ==, 0x2 | (0xd5 & ~arith[i]));
        munmap(rp, 4096);
        guest_fini(&g);
    }
}

/*
 * Code run from a region, then the GPA remapped to other memory: the VP
 * runs the new contents (QEMU reuses a freed region's internal addresses,
 * so translations of the old code must not survive the unmap).
 */
static void test_remap_runs_new_code(void)
{
    static const uint8_t jump[] = {
        0xea, 0x00, 0x00, 0x00, 0x10,   /* jmp 0x1000:0 (GPA 0x10000) */
    };
    uint8_t *a = shared_memory(0x1000, NULL);
    uint8_t *b = shared_memory(0x1000, NULL);
    /* l: out 0xa0 (0xb0), al; jmp l */
    static const uint8_t out_a[] = { 0xe6, 0xa0, 0xeb, 0xfc };
    static const uint8_t out_b[] = { 0xe6, 0xb0, 0xeb, 0xfc };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;
    int i;

    memcpy(a, out_a, sizeof(out_a));
    memcpy(b, out_b, sizeof(out_b));
    guest_init(&g, jump, sizeof(jump));
    for (i = 0; i < 4; i++) {
        uint8_t *mem = i & 1 ? b : a;

        g_assert_cmpint(map_memory(g.pt, GUEST_ROM_GPA, mem, 0x1000,
                                   1 << MSHV_SET_MEM_BIT_WRITABLE |
                                   1 << MSHV_SET_MEM_BIT_EXECUTABLE), ==, 0);
        run(&g, &msg);
        g_assert_cmphex(msg.header.message_type, ==,
                        HVMSG_X64_IO_PORT_INTERCEPT);
        g_assert_cmphex(io->port_number, ==, i & 1 ? 0xb0 : 0xa0);
        skip(&g, &io->header);
        run(&g, &msg);
        g_assert_cmphex(io->port_number, ==, i & 1 ? 0xb0 : 0xa0);
        g_assert_cmpint(ioctl(g.pt, MSHV_SET_GUEST_MEMORY,
                              &(struct mshv_user_mem_region) {
                                  .size = 0x1000,
                                  .guest_pfn = GUEST_ROM_GPA >> 12,
                                  .userspace_addr = (uintptr_t)mem,
                                  .flags = 1 << MSHV_SET_MEM_BIT_UNMAP,
                              }), ==, 0);
        /* CS still points at the region: run it again from its start */
        set_reg(&g, HV_X64_REGISTER_RIP, 0);
    }
    guest_fini(&g);
    munmap(a, 0x1000);
    munmap(b, 0x1000);
}

/*
 * For the interrupt-window cases: a guest whose ExtINT vector 0x30 runs
 * "out 0x90; hlt", entered with IF=1 and the window requested; the first
 * RUN_VP reports the window open at the first instruction.
 */
static void window_guest_init(Guest *g, const uint8_t *code, size_t len)
{
    static const uint8_t handler[] = {
        0xe6, 0x90,                 /* out 0x90, al */
        0xf4,                       /* hlt */
    };
    struct hv_message msg;
    struct hv_x64_interruption_deliverable_message *d = (void *)msg.payload;

    guest_init(g, code, len);
    set_handler(g, 0x30, handler, sizeof(handler));
    set_reg(g, HV_X64_REGISTER_RFLAGS, 0x2 | 0x200);
    set_reg(g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS,
            HV_DELIVERABILITY_INTERRUPT);
    g_assert_cmphex(get_reg(g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS),
                    ==, HV_DELIVERABILITY_INTERRUPT);
    run(g, &msg);
    g_assert_cmphex(msg.header.message_type, ==,
                    HVMSG_X64_INTERRUPTION_DELIVERABLE);
    g_assert_cmpuint(d->deliverable_type, ==, HV_X64_PENDING_INTERRUPT);
    g_assert_cmphex(d->header.rip, ==, GUEST_CODE);
    /* one-shot */
    g_assert_cmphex(get_reg(g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS),
                    ==, 0);
}

/* The VMM asserts the ExtINT whose handler window_guest_init() set up. */
static void assert_window_extint(Guest *g)
{
    struct hv_input_assert_virtual_interrupt irq = {
        .control = HV_X64_INTERRUPT_TYPE_EXTINT,
        .vector = 0x30,
    };
    uint16_t status;

    g_assert_cmpint(hvcall(g->pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &irq,
                           sizeof(irq), NULL, 0, &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
}

/* The ExtINT's handler ran: its frame returns to @rip with IF set. */
static void assert_window_frame(Guest *g, uint64_t rip)
{
    g_assert_cmphex(g->ram[0x8000 - 6] | g->ram[0x8000 - 5] << 8, ==, rip);
    g_assert_cmphex((g->ram[0x8000 - 2] | g->ram[0x8000 - 1] << 8) & 0x200,
                    ==, 0x200);
}

/*
 * An interrupt window: requested while the guest runs with IF=0, it opens
 * only after STI and the instruction STI shadows; the ExtINT asserted
 * then reaches the guest's handler with the vector given at that time.
 */
static void test_interrupt_window_extint(void)
{
    static const uint8_t code[] = {
        0xfa,                       /* cli */
        0xe6, 0x80,                 /* out 0x80, al */
        0xfb,                       /* sti */
        0x90,                       /* nop: in STI's shadow */
        0xeb, 0xfe,                 /* jmp $ */
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_interruption_deliverable_message *d = (void *)msg.payload;
    Guest g;

    /* IF was 1 at entry: the window is open before the CLI. */
    window_guest_init(&g, code, sizeof(code));

    /* Asked again: no window while IF=0, nor in STI's shadow. */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x80);
    set_reg(&g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS,
            HV_DELIVERABILITY_INTERRUPT);
    skip(&g, &io->header);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==,
                    HVMSG_X64_INTERRUPTION_DELIVERABLE);
    g_assert_cmphex(d->header.rip, ==, GUEST_CODE + 5);

    assert_window_extint(&g);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x90);
    g_assert_cmphex(io->header.rip, ==, 0x2000);
    /* the interrupt frame: return to the JMP */
    assert_window_frame(&g, GUEST_CODE + 5);
    guest_fini(&g);
}

/*
 * A window that opens right before a CLI: the ExtINT the VMM asserts then
 * is taken at that boundary, before the CLI runs (on TCG the look at
 * interrupts the resume spends on the APIC must not be the only one).
 */
static void test_interrupt_window_before_cli(void)
{
    static const uint8_t code[] = {
        0xfa,                       /* cli */
        0xe6, 0x80,                 /* out 0x80, al */
        0xf4,                       /* hlt */
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;

    window_guest_init(&g, code, sizeof(code));
    assert_window_extint(&g);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x90);
    /* the frame returns to the CLI */
    assert_window_frame(&g, GUEST_CODE);
    guest_fini(&g);
}

/*
 * An exception the VMM makes pending (how it injects #UD for an
 * instruction it cannot emulate) is delivered before the VP executes
 * anything, with the faulting instruction's address as return address.
 */
static void test_pending_exception(void)
{
    static const uint8_t code[] = {
        0xe6, 0x80,                 /* out 0x80, al */
        0xf4,
    };
    static const uint8_t handler[] = {
        0xe6, 0x96,                 /* out 0x96, al */
        0xf4,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_handler(&g, 6, handler, sizeof(handler));
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x80);
    set_reg(&g, HV_REGISTER_PENDING_INTERRUPTION,
            HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_EXCEPTION <<
                HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            6ULL << HV_PENDING_INTERRUPTION_VECTOR_SHIFT);
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x96);
    /* the frame returns to the OUT the VMM did not complete */
    g_assert_cmphex(g.ram[0x8000 - 6] | g.ram[0x8000 - 5] << 8, ==,
                    GUEST_CODE);
    g_assert_cmphex(get_reg(&g, HV_REGISTER_PENDING_INTERRUPTION), ==, 0);
    guest_fini(&g);
}

/*
 * An irqfd delivers its GSI's route, as it stands when the eventfd is
 * signalled: here an NMI (which a real-mode guest takes without enabling
 * its LAPIC) to VP 0.
 */
static void test_irqfd_msi_route(void)
{
    static const uint8_t code[] = {
        0xe6, 0x80,                 /* out 0x80, al */
        0xeb, 0xfe,                 /* jmp $ */
    };
    static const uint8_t handler[] = {
        0xe6, 0x91,                 /* out 0x91, al */
        0xf4,
    };
    struct {
        struct mshv_user_irq_table hdr;
        struct mshv_user_irq_entry e[1];
    } table = {
        .hdr.nr = 1,
        .e[0] = { .gsi = 7, .address_lo = 0xfee00000, .data = 4 << 8 },
    };
    struct mshv_user_irqfd irqfd = { .gsi = 7 };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    uint64_t one = 1;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_handler(&g, 2, handler, sizeof(handler));
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x80);
    skip(&g, &io->header);

    irqfd.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g_assert_cmpint(irqfd.fd, >=, 0);
    g_assert_cmpint(ioctl(g.pt, MSHV_IRQFD, &irqfd), ==, 0);
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_MSI_ROUTING, &table), ==, 0);
    g_assert_cmpint(write(irqfd.fd, &one, sizeof(one)), ==, sizeof(one));
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x91);
    /* the NMI frame returns into the loop */
    g_assert_cmphex(g.ram[0x8000 - 6] | g.ram[0x8000 - 5] << 8, ==,
                    GUEST_CODE + 2);

    /* a route's address is read as an MSI address, never written to */
    table.e[0].address_lo = 0x5000;
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_MSI_ROUTING, &table), ==, 0);
    g_assert_cmpint(write(irqfd.fd, &one, sizeof(one)), ==, sizeof(one));
    g_usleep(200 * 1000);
    g_assert_cmphex(g.ram[0x5000] | g.ram[0x5001] << 8, ==, 0);

    irqfd.flags = 1u << MSHV_IRQFD_BIT_DEASSIGN;
    g_assert_cmpint(ioctl(g.pt, MSHV_IRQFD, &irqfd), ==, 0);
    close(irqfd.fd);
    guest_fini(&g);
}

/*
 * A level-triggered interrupt the guest EOIs: without a resampler the VMM
 * hears of it (HVMSG_X64_APIC_EOI, before the guest goes on); with an
 * irqfd resampler whose GSI is the vector, the resample eventfd is
 * signalled instead and the VMM gets no message.  The guest reaches its
 * LAPIC through DS, based at 0xfee00000 by the test.
 */
static void test_level_eoi_and_resample(void)
{
    static const uint8_t code[] = {
        0x66, 0xc7, 0x06, 0xf0, 0x00,       /* mov dword [0xf0], 0x1ff: */
        0xff, 0x01, 0x00, 0x00,             /* SVR, APIC enabled */
        0xfb,                               /* sti */
        0xeb, 0xfe,                         /* jmp $ */
    };
    static const uint8_t handler[] = {
        0x66, 0xc7, 0x06, 0xb0, 0x00,       /* mov dword [0xb0], 0: EOI */
        0x00, 0x00, 0x00, 0x00,
        0xe6, 0x92,                         /* out 0x92, al */
        0xcf,                               /* iret */
    };
    struct hv_register_assoc ds = {
        .name = HV_X64_REGISTER_DS,
        .value.segment = {
            .base = 0xfee00000, .limit = 0xffff,
            .attributes = HV_SEG_ATTR_P | HV_SEG_ATTR_S | 0x3,
        },
    };
    struct hv_input_assert_virtual_interrupt level = {
        .control = HV_X64_INTERRUPT_TYPE_FIXED |
                   HV_INTERRUPT_CONTROL_LEVEL_TRIGGERED,
        .vector = 0x30,
    };
    struct {
        struct mshv_user_irq_table hdr;
        struct mshv_user_irq_entry e[1];
    } table = {
        .hdr.nr = 1,
        .e[0] = { .gsi = 0x30, .address_lo = 0xfee00000,
                  .data = 0x30 | 1 << 14 | 1 << 15 },
    };
    struct mshv_user_irqfd irqfd = {
        .gsi = 0x30, .flags = 1u << MSHV_IRQFD_BIT_RESAMPLE,
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_x64_apic_eoi_message *eoi = (void *)msg.payload;
    uint64_t one = 1, count = 0;
    uint16_t status;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_handler(&g, 0x30, handler, sizeof(handler));
    set_regs(&g, &ds, 1);

    /* asserted by hypercall: the EOI comes back as a message */
    g_assert_cmpint(hvcall(g.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &level,
                           sizeof(level), NULL, 0, &status), ==, 0);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_APIC_EOI);
    g_assert_cmpuint(eoi->vp_index, ==, 0);
    g_assert_cmphex(eoi->interrupt_vector, ==, 0x30);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x92);
    skip(&g, &io->header);

    /* from a resampling irqfd: the resampler takes the EOI */
    g_assert_cmpint(ioctl(g.pt, MSHV_SET_MSI_ROUTING, &table), ==, 0);
    irqfd.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    irqfd.resamplefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g_assert_cmpint(ioctl(g.pt, MSHV_IRQFD, &irqfd), ==, 0);
    g_assert_cmpint(write(irqfd.fd, &one, sizeof(one)), ==, sizeof(one));
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x92);
    g_assert_cmpint(read(irqfd.resamplefd, &count, sizeof(count)), ==,
                    sizeof(count));
    g_assert_cmpuint(count, ==, 1);

    irqfd.flags = 1u << MSHV_IRQFD_BIT_DEASSIGN;
    g_assert_cmpint(ioctl(g.pt, MSHV_IRQFD, &irqfd), ==, 0);
    close(irqfd.fd);
    close(irqfd.resamplefd);
    guest_fini(&g);
}

/* ---- Dirty and accessed page tracking ------------------------------------ */

/* MSHV_GET_GPAP_ACCESS_BITMAP over @count RAM pages from @base. */
static int gpap_bitmap_range(Guest *g, uint8_t type, uint8_t op,
                             uint64_t base, uint64_t count, uint16_t *bits)
{
    struct mshv_gpap_access_bitmap args = {
        .access_type = type,
        .access_op = op,
        .page_count = count,
        .gpap_base = base,
        .bitmap_ptr = (uintptr_t)bits,
    };

    *bits = 0;
    return ioctl(g->pt, MSHV_GET_GPAP_ACCESS_BITMAP, &args);
}

/* ... over the guest's 16 RAM pages. */
static int gpap_bitmap(Guest *g, uint8_t type, uint8_t op, uint16_t *bits)
{
    return gpap_bitmap_range(g, type, op, 0, GUEST_RAM_SIZE >> 12, bits);
}

static uint16_t dirty_pages(Guest *g)
{
    uint16_t bits;

    g_assert_cmpint(gpap_bitmap(g, MSHV_GPAP_ACCESS_TYPE_DIRTY,
                                MSHV_GPAP_ACCESS_OP_CLEAR, &bits), ==, 0);
    return bits;
}

static void test_dirty_bitmap(void)
{
    static const uint8_t code[] = {
        0xc6, 0x06, 0x00, 0x30, 0x01,   /* mov byte [0x3000], 1 */
        0xc6, 0x06, 0x10, 0x50, 0x02,   /* mov byte [0x5010], 2 */
        0xc7, 0x06, 0xfe, 0x7f, 0x03, 0x00, /* mov word [0x7ffe], 3 */
        0xe6, 0x80,                     /* out 0x80, al */
        0xc6, 0x06, 0x00, 0x90, 0x04,   /* mov byte [0x9000], 4 */
        0xe6, 0x80,                     /* out 0x80, al */
        0xc6, 0x06, 0x00, 0xb0, 0x05,   /* mov byte [0xb000], 5 */
        0xe6, 0x80,                     /* out 0x80, al */
    };
    struct {
        struct hv_input_get_gpa_pages_access_state in;
        uint8_t pad[8];
    } QEMU_PACKED req = { .in.hv_gpa_page_number = 2 };
    struct mshv_gpap_access_bitmap bad;
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    uint8_t states[4];
    uint16_t bits, status;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_property(&g, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING, 1);
    g_assert_cmphex(dirty_pages(&g), ==, 0);

    /* Guest writes are dirty (a word across no page edge: one page). */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    /* (a query of some pages leaves the others' state alone) */
    g_assert_cmpint(gpap_bitmap_range(&g, MSHV_GPAP_ACCESS_TYPE_DIRTY,
                                      MSHV_GPAP_ACCESS_OP_CLEAR, 0, 4, &bits),
                    ==, 0);
    g_assert_cmphex(bits, ==, 1u << 3);
    g_assert_cmpint(gpap_bitmap_range(&g, MSHV_GPAP_ACCESS_TYPE_DIRTY,
                                      MSHV_GPAP_ACCESS_OP_CLEAR, 4, 12, &bits),
                    ==, 0);
    g_assert_cmphex(bits, ==, 1u << 1 | 1u << 3);
    g_assert_cmphex(dirty_pages(&g), ==, 0);        /* CLEAR cleared them */
    skip(&g, &io->header);
    run(&g, &msg);
    g_assert_cmphex(dirty_pages(&g), ==, 1u << 9);

    /* ACCESSED: written pages are accessed too; CLEAR clears both bits. */
    g_assert_cmpint(gpap_bitmap(&g, MSHV_GPAP_ACCESS_TYPE_ACCESSED,
                                MSHV_GPAP_ACCESS_OP_CLEAR, &bits), ==, 0);
    g_assert_cmphex(bits, ==, 1u << 3 | 1u << 5 | 1u << 7 | 1u << 9);
    g_assert_cmpint(gpap_bitmap(&g, MSHV_GPAP_ACCESS_TYPE_ACCESSED,
                                MSHV_GPAP_ACCESS_OP_NOOP, &bits), ==, 0);
    g_assert_cmphex(bits, ==, 0);

    /* The driver's quirk: NOOP sets, like SET; the state before is read. */
    g_assert_cmpint(gpap_bitmap(&g, MSHV_GPAP_ACCESS_TYPE_DIRTY,
                                MSHV_GPAP_ACCESS_OP_NOOP, &bits), ==, 0);
    g_assert_cmphex(bits, ==, 0);
    g_assert_cmphex(dirty_pages(&g), ==, 0xffff);

    /* The raw hypercall: one state byte per page. */
    req.in.flags = HV_GPA_PAGE_ACCESS_SET_DIRTY;
    g_assert_cmpint(hvcall(g.pt, HVCALL_GET_GPA_PAGES_ACCESS_STATES, 4, &req,
                           sizeof(req.in), states, sizeof(states), &status),
                    ==, 0);
    g_assert_cmphex(states[0], ==, HV_GPA_PAGE_ACCESS_STATE_ACCESSED);
    g_assert_cmphex(dirty_pages(&g), ==, 0xf << 2);

    /* Bad requests; a range past the mapped memory fails whole. */
    bad = (struct mshv_gpap_access_bitmap) {
        .access_type = MSHV_GPAP_ACCESS_TYPE_COUNT, .page_count = 1,
        .bitmap_ptr = (uintptr_t)&bits,
    };
    g_assert_cmpint(ioctl(g.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &bad), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    bad.access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY;
    bad.page_count = 0;
    g_assert_cmpint(ioctl(g.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &bad), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    bad.page_count = 1;
    bad.bitmap_ptr = 0;
    g_assert_cmpint(ioctl(g.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &bad), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    /* (the pages before the failure still see the op, as in a rep call) */
    bad.page_count = 32;
    bad.access_op = MSHV_GPAP_ACCESS_OP_CLEAR;
    bad.bitmap_ptr = (uintptr_t)states;
    memset(states, 0x5a, sizeof(states));
    g_assert_cmpint(ioctl(g.pt, MSHV_GET_GPAP_ACCESS_BITMAP, &bad), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmphex(states[0], ==, 0x5a);           /* nothing copied */

    /* With tracking off, guest writes are not reported. */
    set_property(&g, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING, 0);
    skip(&g, &io->header);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmpuint(g.ram[0xb000], ==, 5);
    g_assert_cmphex(dirty_pages(&g), ==, 0);
    guest_fini(&g);
}

/* ---- VP state blobs ------------------------------------------------------ */

static int vp_state(Guest *g, unsigned long req, uint8_t type, void *buf,
                    uint32_t *size)
{
    struct mshv_get_set_vp_state args = {
        .type = type,
        .buf_sz = 4096,
        .buf_ptr = (uintptr_t)buf,
    };
    int ret = ioctl(g->vp, req, &args);

    if (size) {
        *size = args.buf_sz;
    }
    return ret;
}

/* The VP's LAPIC software-enabled (spurious vector register), as guests do. */
static void lapic_on(Guest *g)
{
    uint8_t *page = qemu_memalign(4096, 4096);
    struct hv_local_interrupt_controller_state *l = (void *)page;

    g_assert_cmpint(vp_state(g, MSHV_GET_VP_STATE, MSHV_VP_STATE_LAPIC, page,
                             NULL), ==, 0);
    l->apic_spurious = 0x1ff;
    g_assert_cmpint(vp_state(g, MSHV_SET_VP_STATE, MSHV_VP_STATE_LAPIC, page,
                             NULL), ==, 0);
    qemu_vfree(page);
}

static void test_vp_state_lapic(void)
{
    static const uint8_t code[] = {
        0xfb,                           /* sti */
        0xf4,                           /* hlt */
        0xeb, 0xfd,                     /* jmp $-1 */
    };
    static const uint8_t handler[] = {
        0xb0, 0x40,                     /* mov al, 0x40 */
        0xe6, 0x80,                     /* out 0x80, al */
        0xcf,                           /* iret */
    };
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_local_interrupt_controller_state *l;
    uint8_t *page = qemu_memalign(4096, 4096);
    uint32_t size;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_handler(&g, 0x40, handler, sizeof(handler));
    set_property(&g, HV_PARTITION_PROPERTY_TIME_FREEZE, 1);
    l = (void *)page;
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_LAPIC, page,
                             &size), ==, 0);
    g_assert_cmpuint(size, ==, 4096);
    g_assert_cmphex(l->apic_id, ==, 0);
    g_assert_cmphex(l->apic_version & 0xff, ==, 0x14);
    g_assert_cmphex(l->apic_lvt_timer & 0x10000, ==, 0x10000);  /* masked */

    /* What is set reads back (time frozen: the count stands still)... */
    l->apic_spurious = 0x1ff;
    l->apic_lvt_timer = 0x10000 | 0x30;
    l->apic_divide_configuration = 0xa;
    l->apic_initial_count = 0x100000;
    l->apic_counter_value = 0x80000;
    l->apic_lvt_lint0 = 0x700;
    l->apic_irr[0x40 / 32] = 1u << (0x40 % 32);
    g_assert_cmpint(vp_state(&g, MSHV_SET_VP_STATE, MSHV_VP_STATE_LAPIC, page,
                             NULL), ==, 0);
    memset(page, 0, 4096);
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_LAPIC, page,
                             NULL), ==, 0);
    g_assert_cmphex(l->apic_spurious, ==, 0x1ff);
    g_assert_cmphex(l->apic_lvt_timer, ==, 0x10030);
    g_assert_cmphex(l->apic_lvt_lint0, ==, 0x700);
    g_assert_cmphex(l->apic_divide_configuration, ==, 0xa);
    g_assert_cmphex(l->apic_initial_count, ==, 0x100000);
    g_assert_cmphex(l->apic_counter_value, ==, 0x80000);
    g_assert_cmphex(l->apic_irr[2], ==, 1);

    /* ...and the LAPIC acts on it: the pending vector is delivered. */
    set_property(&g, HV_PARTITION_PROPERTY_TIME_FREEZE, 0);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x80);
    g_assert_cmphex(io->rax & 0xff, ==, 0x40);

    /* Malformed requests. */
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_COUNT, page,
                             NULL), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_LAPIC,
                             page + 8, NULL), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    qemu_vfree(page);
    guest_fini(&g);
}

static uint64_t get_property(Guest *g, uint32_t code);

static void test_vp_state_xsave(void)
{
    static const uint8_t code[] = { 0xf4 };
    const uint32_t name = HV_X64_REGISTER_XMM0 + 3;
    uint8_t *page = qemu_memalign(4096, 4096);
    union hv_register_value v;
    uint32_t size, i;
    Guest g;

    guest_init(&g, code, sizeof(code));
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_XSAVE, page,
                             &size), ==, 0);
    /*
     * The partition's components (x87, SSE and AVX first, their
     * compacted area 512 + 64 + 256 bytes), as large as it says
     */
    g_assert_cmpuint(size, ==, get_property(
                         &g, HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE));
    g_assert_cmphex(ldq_le_p(page + 520), ==, 0x8000000000000000ULL |
                    get_property(&g, HV_PARTITION_PROPERTY_XSAVE_STATES));
    g_assert_cmphex(get_property(&g, HV_PARTITION_PROPERTY_XSAVE_STATES) & 7,
                    ==, 7);

    /* XMM3 (legacy area) and YMM3's upper half (AVX, right after) */
    for (i = 0; i < 16; i++) {
        page[160 + 3 * 16 + i] = 0x30 + i;
        page[576 + 3 * 16 + i] = 0xa0 + i;
    }
    stq_le_p(page + 512, 0x7);
    g_assert_cmpint(vp_state(&g, MSHV_SET_VP_STATE, MSHV_VP_STATE_XSAVE, page,
                             NULL), ==, 0);
    get_regs(&g, &name, 1, &v);
    g_assert_cmphex(v.reg128.low_part, ==, ldq_le_p(page + 160 + 48));
    g_assert_cmphex(v.reg128.high_part, ==, ldq_le_p(page + 168 + 48));
    memset(page, 0, 4096);
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_XSAVE, page,
                             NULL), ==, 0);
    for (i = 0; i < 16; i++) {
        g_assert_cmphex(page[160 + 3 * 16 + i], ==, 0x30 + i);
        g_assert_cmphex(page[576 + 3 * 16 + i], ==, 0xa0 + i);
    }

    /* An area that is not compacted is refused. */
    stq_le_p(page + 520, 0x7);
    g_assert_cmpint(vp_state(&g, MSHV_SET_VP_STATE, MSHV_VP_STATE_XSAVE, page,
                             NULL), ==, -1);
    g_assert_cmpint(errno, ==, EINVAL);
    qemu_vfree(page);
    guest_fini(&g);
}

/* ---- Hyper-V enlightenments ---------------------------------------------- */

/* Run to the next "out 0x80/0x81, al" and step past it; returns the port. */
static unsigned run_to_out(Guest *g)
{
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;

    run(g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    skip(g, &io->header);
    return io->port_number;
}

/* CPUID bits (the test is not built per target) */
#define CPUID_1_ECX_VMX             (1u << 5)
#define CPUID_1_ECX_HYPERVISOR      (1u << 31)
#define CPUID_1_ECX_X2APIC          (1u << 21)
#define CPUID_1_EDX_APIC            (1u << 9)
#define CPUID_80000001_ECX_SVM      (1u << 2)

static int cpuid_values(Guest *g, uint32_t flags,
                        const struct hv_cpuid_leaf_info *leaves, unsigned n,
                        struct hv_output_get_vp_cpuid_values *out,
                        uint16_t *status)
{
    struct {
        struct hv_input_get_vp_cpuid_values hdr;
        struct hv_cpuid_leaf_info leaf[8];
    } QEMU_PACKED in = { .hdr.vp_index = 0, .hdr.flags = flags };

    g_assert_cmpuint(n, <=, ARRAY_SIZE(in.leaf));
    memcpy(in.leaf, leaves, n * sizeof(*leaves));
    return hvcall(g->vp, HVCALL_GET_VP_CPUID_VALUES, n, &in,
                  sizeof(in.hdr) + n * sizeof(*leaves), out,
                  n * sizeof(*out), status);
}

/*
 * HVCALL_GET_VP_CPUID_VALUES answers what the VP's CPUID instruction
 * gives (registered results only when asked), with no nested
 * virtualization, XSAVE sizes for the components given, and the
 * hypervisor's own leaves.
 */
static void test_vp_cpuid_values(void)
{
    static const uint8_t code[] = {
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
    };
    static const struct hv_cpuid_leaf_info leaves[] = {
        { .eax = 1, .xfem = 3 },
        { .eax = 0x80000001, .xfem = 3 },
        { .eax = 0xd, .ecx = 0, .xfem = 3 },
        { .eax = 0xd, .ecx = 0, .xfem = 7 },
        { .eax = 0x40000000, .xfem = 3 },
    };
    struct hv_output_get_vp_cpuid_values out[ARRAY_SIZE(leaves)];
    struct hv_output_get_vp_cpuid_values reg[ARRAY_SIZE(leaves)];
    struct hv_input_register_intercept_result_cpuid ri = {
        .intercept_type = HV_INTERCEPT_TYPE_X64_CPUID,
        .input_eax = 1,
        .always_override = 1,
        .ecx = 0,
        .ecx_mask = CPUID_1_ECX_HYPERVISOR,
    };
    uint16_t status;
    Guest g;

    guest_init_features(&g, code, sizeof(code),
                        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
                        1ULL << HV_SYNTHETIC_PROC_HV1);
    g_assert_cmpint(cpuid_values(&g, 0, leaves, ARRAY_SIZE(leaves), out,
                                 &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
    g_assert_cmphex(out[0].ecx & CPUID_1_ECX_VMX, ==, 0);
    g_assert_cmphex(out[0].ecx & CPUID_1_ECX_HYPERVISOR, !=, 0);
    g_assert_cmphex(out[1].ecx & CPUID_80000001_ECX_SVM, ==, 0);
    g_assert_cmpuint(out[2].ebx, ==, 576);          /* x87 + SSE */
    g_assert_cmpuint(out[3].ebx, ==, 576 + 256);    /* + AVX */
    g_assert_cmphex(out[4].ebx, ==, 0x7263694d);    /* "Micr" */

    /* the guest's CPUID agrees */
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RCX), ==, out[0].ecx);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX), ==, out[0].edx);

    /* a registered result: the guest sees it; asked for, so does the call */
    g_assert_cmpint(hvcall(g.vp, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &ri,
                           sizeof(ri), NULL, 0, &status), ==, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RCX), ==,
                    out[0].ecx & ~CPUID_1_ECX_HYPERVISOR);
    g_assert_cmpint(cpuid_values(&g, HV_GET_VP_CPUID_APPLY_REGISTERED_VALUES,
                                 leaves, 1, reg, &status), ==, 0);
    g_assert_cmphex(reg[0].ecx, ==, out[0].ecx & ~CPUID_1_ECX_HYPERVISOR);
    g_assert_cmpint(cpuid_values(&g, 0, leaves, 1, reg, &status), ==, 0);
    g_assert_cmphex(reg[0].ecx, ==, out[0].ecx);

    /* a rep call without reps is refused */
    g_assert_cmpint(cpuid_values(&g, 0, leaves, 0, reg, &status), ==, -1);
    guest_fini(&g);
}

static void test_hv_enlightenments(void)
{
    /* real mode, CS = DS = 0, code at 0x1000 */
    static const uint8_t code[] = {
        0x66, 0xb8, 0x00, 0x00, 0x00, 0x40,     /* mov eax, 0x40000000 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb8, 0x03, 0x00, 0x00, 0x40,     /* mov eax, 0x40000003 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x02, 0x00, 0x00, 0x40,     /* mov ecx, VP_INDEX */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        /* hypercall page at 0x3000, enabled */
        0x66, 0xb9, 0x01, 0x00, 0x00, 0x40,     /* mov ecx, HYPERCALL */
        0x66, 0xb8, 0x01, 0x30, 0x00, 0x00,     /* mov eax, 0x3001 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb8, 0x08, 0x00, 0x00, 0x00,     /* mov eax, 8 (spin wait) */
        0xe8, 0x00, 0x00,                       /* call 0x3000 (@53) */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb8, 0x34, 0x12, 0x00, 0x00,     /* mov eax, 0x1234 */
        0xe8, 0x00, 0x00,                       /* call 0x3000 (@64) */
        0xe6, 0x80,                             /* out 0x80, al */
        /* reference TSC page at 0x4000, then the counter */
        0x66, 0xb9, 0x21, 0x00, 0x00, 0x40,     /* mov ecx, REFERENCE_TSC */
        0x66, 0xb8, 0x01, 0x40, 0x00, 0x00,     /* mov eax, 0x4001 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x20, 0x00, 0x00, 0x40,     /* mov ecx, TIME_REF_COUNT */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        /* a synthetic MSR the partition has not: #GP */
        0x66, 0xb9, 0xb0, 0x00, 0x00, 0x40,     /* mov ecx, STIMER0_CONFIG */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
    };
    static const uint8_t gp_handler[] = {
        0xe6, 0x81,                             /* out 0x81, al */
        0xf4,                                   /* hlt */
    };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC;
    static const unsigned calls[] = { 53, 64 };
    uint8_t prog[sizeof(code)];
    uint64_t ref;
    unsigned i;
    Guest g;

    /* near calls to the hypercall page: relative to the next IP */
    memcpy(prog, code, sizeof(code));
    for (i = 0; i < ARRAY_SIZE(calls); i++) {
        g_assert_cmphex(prog[calls[i]], ==, 0xe8);
        stw_le_p(prog + calls[i] + 1, 0x3000 - (GUEST_CODE + calls[i] + 3));
    }
    guest_init_features(&g, prog, sizeof(prog), features);
    set_handler(&g, 13, gp_handler, sizeof(gp_handler));
    /* reference time is the guest's TSC, not the host's, in 100 ns */
    set_reg(&g, HV_X64_REGISTER_TSC, 0);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RBX), ==, 0x7263694d);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RCX), ==, 0x666f736f);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX), ==, 0x76482074);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), >=, 0x40000005);

    /* what was asked: reference counter, SynIC, hypercalls, VP index, TSC */
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==,
                    1u << 1 | 1u << 2 | 1u << 5 | 1u << 6 | 1u << 9);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 0);

    /* the hypercall page is filled in; calls through it return status */
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(g.ram[0x3000], !=, 0);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, HV_STATUS_SUCCESS);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==,
                    HV_STATUS_INVALID_HYPERCALL_CODE);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX), ==, 0);

    /* the TSC page: valid sequence and a scale; the counter runs */
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmpuint(ldl_le_p(g.ram + 0x4000), ==, 1);
    g_assert_cmphex(ldq_le_p(g.ram + 0x4008), !=, 0);
    ref = get_reg(&g, HV_X64_REGISTER_RDX) << 32 |
          (uint32_t)get_reg(&g, HV_X64_REGISTER_RAX);
    g_assert_cmpuint(ref, >, 0);
    g_assert_cmpuint(ref, <, 10 * 10000000);   /* < 10 s since TSC 0 */

    g_assert_cmpuint(run_to_out(&g), ==, 0x81);
    guest_fini(&g);
}

static void test_hv_synic(void)
{
    static const uint8_t code[] = {
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0x83, 0x00, 0x00, 0x40,     /* mov ecx, SIMP */
        0x66, 0xb8, 0x01, 0x50, 0x00, 0x00,     /* mov eax, 0x5001 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x82, 0x00, 0x00, 0x40,     /* mov ecx, SIEFP */
        0x66, 0xb8, 0x01, 0x60, 0x00, 0x00,     /* mov eax, 0x6001 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x92, 0x00, 0x00, 0x40,     /* mov ecx, SINT2 */
        0x66, 0xb8, 0x50, 0x00, 0x00, 0x00,     /* mov eax, 0x50 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x93, 0x00, 0x00, 0x40,     /* mov ecx, SINT3 */
        0x66, 0xb8, 0x61, 0x00, 0x00, 0x00,     /* mov eax, 0x61 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x80, 0x00, 0x00, 0x40,     /* mov ecx, SCONTROL */
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x81, 0x00, 0x00, 0x40,     /* mov ecx, SVERSION */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xfb,                                   /* sti */
        0xf4,                                   /* hlt */
        0xeb, 0xfd,                             /* jmp $-1 */
    };
    /*
     * SINT2's vector 0x50 and SINT3's 0x61 (a higher priority class: no
     * EOI in between): "out 0x82, al" with AL = the vector, then iret
     */
    static const uint8_t vectors[2] = { 0x50, 0x61 };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS;
    struct hv_input_post_message_direct post = {
        .vp_index = 0, .sint_index = 2,
    };
    struct hv_input_signal_event_direct sig = {
        .target_vp = 0, .target_sint = 3, .flag_number = 13,
    };
    struct hv_output_signal_event_direct out;
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    uint8_t *page = qemu_memalign(4096, 4096);
    uint16_t status;
    unsigned i;
    Guest g;

    guest_init_features(&g, code, sizeof(code), features);
    for (i = 0; i < 2; i++) {
        uint8_t *h = g.ram + 0x2000 + 16 * i;

        h[0] = 0xb0;                /* mov al, vector */
        h[1] = vectors[i];
        h[2] = 0xe6;                /* out 0x82, al */
        h[3] = 0x82;
        h[4] = 0xcf;                /* iret */
        stw_le_p(g.ram + vectors[i] * 4, 0x2000 + 16 * i);
        stw_le_p(g.ram + vectors[i] * 4 + 2, 0);
    }
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    /* the LAPIC on (spurious vector register), so SINTs reach the VP */
    lapic_on(&g);

    /* before the guest enables its SynIC, nothing can be posted */
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_VP_STATE);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 1);  /* version */

    /* a message lands in SINT2's slot and raises its vector */
    stl_le_p(post.message, 0x12345);            /* message type */
    post.message[4] = 8;                        /* payload size */
    memcpy(post.message + 16, "synic ok", 8);
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, 0);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x82);
    g_assert_cmphex(io->rax & 0xff, ==, 0x50);
    skip(&g, &io->header);
    g_assert_cmphex(ldl_le_p(g.ram + 0x5000 + 2 * 256), ==, 0x12345);
    g_assert_cmpmem(g.ram + 0x5000 + 2 * 256 + 16, 8, "synic ok", 8);

    /* the slot is still full: refused, and marked so the guest EOMs */
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INSUFFICIENT_BUFFERS);
    g_assert_cmphex(g.ram[0x5000 + 2 * 256 + 5] & 1, ==, 1);

    /* an event flag on SINT3: set once, interrupt once */
    g_assert_cmpint(hvcall(g.pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &sig,
                           sizeof(sig), &out, sizeof(out), &status), ==, 0);
    g_assert_cmpuint(out.newly_signaled, ==, 1);
    run(&g, &msg);
    g_assert_cmphex(io->port_number, ==, 0x82);
    g_assert_cmphex(io->rax & 0xff, ==, 0x61);
    skip(&g, &io->header);
    g_assert_cmphex(g.ram[0x6000 + 3 * 256 + 1], ==, 1u << (13 % 8));
    g_assert_cmpint(hvcall(g.pt, HVCALL_SIGNAL_EVENT_DIRECT, 0, &sig,
                           sizeof(sig), &out, sizeof(out), &status), ==, 0);
    g_assert_cmpuint(out.newly_signaled, ==, 0);

    /* the SynIC pages as VP state: the message page as the guest has it */
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE, MSHV_VP_STATE_SIMP, page,
                             NULL), ==, 0);
    g_assert_cmphex(ldl_le_p(page + 2 * 256), ==, 0x12345);
    qemu_vfree(page);
    guest_fini(&g);
}

/*
 * A message the slot refused is retried when the VMM's SINT-deliverable
 * request fires: right after the guest's EOM once it emptied the slot,
 * or at the next run when the slot is free already.
 */
static void test_hv_sint_deliverable(void)
{
    static const uint8_t code[] = {
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0x83, 0x00, 0x00, 0x40,     /* mov ecx, SIMP */
        0x66, 0xb8, 0x01, 0x50, 0x00, 0x00,     /* mov eax, 0x5001 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x92, 0x00, 0x00, 0x40,     /* mov ecx, SINT2 */
        0x66, 0xb8, 0x50, 0x00, 0x00, 0x00,     /* mov eax, 0x50 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x80, 0x00, 0x00, 0x40,     /* mov ecx, SCONTROL */
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0x30,                             /* wrmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xfb,                                   /* sti */
        0xf4,                                   /* hlt */
        0xeb, 0xfd,                             /* jmp $-1 */
    };
    /* vector 0x50: "out 0x82, al", SynIC EOM, x2APIC EOI, iret */
    static const uint8_t handler[] = {
        0xb0, 0x50,                             /* mov al, 0x50 */
        0xe6, 0x82,                             /* out 0x82, al */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x66, 0xb9, 0x84, 0x00, 0x00, 0x40,     /* mov ecx, EOM */
        0x0f, 0x30,                             /* wrmsr (@16) */
        0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC EOI */
        0x0f, 0x30,                             /* wrmsr */
        0xcf,                                   /* iret */
    };
    const uint64_t after_eom = 0x2000 + 18;
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS;
    const uint64_t want_sint2 = 1ULL << (HV_DELIVERABILITY_SINTS_SHIFT + 2);
    struct hv_input_post_message_direct post = {
        .vp_index = 0, .sint_index = 2,
    };
    struct hv_message msg;
    struct hv_synic_sint_deliverable_message *d = (void *)msg.payload;
    uint8_t *page = qemu_memalign(4096, 4096);
    uint8_t *slot;
    uint16_t status;
    Guest g;

    guest_init_features(&g, code, sizeof(code), features);
    slot = g.ram + 0x5000 + 2 * 256;
    memcpy(g.ram + 0x2000, handler, sizeof(handler));
    stw_le_p(g.ram + 0x50 * 4, 0x2000);
    stw_le_p(g.ram + 0x50 * 4 + 2, 0);
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    /* x2APIC mode (the handler EOIs by MSR), the LAPIC on */
    set_reg(&g, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xd00);
    lapic_on(&g);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);

    /* message A arrives; the guest's handler stops before its EOM */
    stl_le_p(post.message, 0xa);
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x82);

    /* B is refused; the VMM asks to hear when SINT2 can take it */
    stl_le_p(post.message, 0xb);
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INSUFFICIENT_BUFFERS);
    set_reg(&g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, want_sint2);

    /* the guest empties the slot and EOMs: told right after the WRMSR */
    stl_le_p(slot, HVMSG_NONE);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_SYNIC_SINT_DELIVERABLE);
    g_assert_cmphex(d->deliverable_sints, ==, 1u << 2);
    g_assert_cmphex(d->header.rip, ==, after_eom);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, after_eom);
    /* one-shot: the request is used up */
    g_assert_cmphex(get_reg(&g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS),
                    ==, 0);

    /* B now goes through */
    g_assert_cmpint(hvcall(g.pt, HVCALL_POST_MESSAGE_DIRECT, 0, &post,
                           sizeof(post), NULL, 0, &status), ==, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x82);
    g_assert_cmphex(ldl_le_p(slot), ==, 0xb);

    /* a request for a slot already free fires at the next run */
    stl_le_p(slot, HVMSG_NONE);
    set_reg(&g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, want_sint2);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_SYNIC_SINT_DELIVERABLE);
    g_assert_cmphex(d->deliverable_sints, ==, 1u << 2);
    g_assert_cmphex(d->header.rip, ==, 0x2004);   /* nothing ran */
    qemu_vfree(page);
    guest_fini(&g);
}

/*
 * The guest's hypercalls the hypervisor does not handle: without the
 * hypercall intercept HvPostMessage finds no connection; with it the VMM
 * gets HVMSG_HYPERCALL_INTERCEPT at the call and completes it.
 */
static void test_hv_hypercall_intercept(void)
{
    static const uint8_t code[] = {
        0x66, 0xb9, 0x01, 0x00, 0x00, 0x40,     /* mov ecx, HYPERCALL */
        0x66, 0xb8, 0x01, 0x30, 0x00, 0x00,     /* mov eax, 0x3001 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x00, 0x40, 0x00, 0x00,     /* mov ecx, 0x4000 (in) */
        0x66, 0xb8, 0x5c, 0x00, 0x00, 0x00,     /* mov eax, HvPostMessage */
        0xe8, 0x00, 0x00,                       /* call 0x3000 (@29) */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb8, 0x5c, 0x00, 0x00, 0x00,     /* mov eax, HvPostMessage */
        0xe8, 0x00, 0x00,                       /* call 0x3000 (@40) */
        0xe6, 0x80,                             /* out 0x80, al */
    };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS;
    static const unsigned calls[] = { 29, 40 };
    struct hv_input_install_intercept ii = {
        .access_type = HV_INTERCEPT_ACCESS_MASK_EXECUTE,
        .intercept_type = HV_INTERCEPT_TYPE_HYPERCALL,
    };
    struct hv_message msg;
    struct hv_x64_hypercall_intercept_message *hc = (void *)msg.payload;
    uint8_t prog[sizeof(code)];
    uint16_t status;
    unsigned i;
    Guest g;

    memcpy(prog, code, sizeof(code));
    for (i = 0; i < ARRAY_SIZE(calls); i++) {
        g_assert_cmphex(prog[calls[i]], ==, 0xe8);
        stw_le_p(prog + calls[i] + 1, 0x3000 - (GUEST_CODE + calls[i] + 3));
    }
    guest_init_features(&g, prog, sizeof(prog), features);
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==,
                    HV_STATUS_INVALID_CONNECTION_ID);

    g_assert_cmpint(hvcall(g.pt, HVCALL_INSTALL_INTERCEPT, 0, &ii, sizeof(ii),
                           NULL, 0, &status), ==, 0);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_HYPERCALL_INTERCEPT);
    g_assert_cmphex(hc->header.rip, ==, 0x3000);
    g_assert_cmpuint(hc->header.instruction_length_and_cr8 & 0xf, ==, 2);
    g_assert_cmphex(hc->header.intercept_access_type, ==,
                    HV_INTERCEPT_ACCESS_EXECUTE);
    g_assert_cmphex(hc->rax & 0xffff, ==, 0x5c);
    g_assert_cmphex(hc->rcx, ==, 0x4000);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, 0x3000);
    /* the VMM completes the call with its status */
    set_reg(&g, HV_X64_REGISTER_RAX, HV_STATUS_INSUFFICIENT_BUFFERS);
    skip(&g, &hc->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==,
                    HV_STATUS_INSUFFICIENT_BUFFERS);
    guest_fini(&g);
}

/*
 * The guest OS ID, hypercall and reference TSC MSRs belong to the
 * partition: what VP 0 wrote, VP 1 reads (Linux checks the hypercall MSR
 * on whichever CPU loads its VMBus driver).
 */
static void test_hv_partition_wide_msrs(void)
{
    static const uint8_t code[] = {
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0x00, 0x00, 0x00, 0x40,     /* mov ecx, GUEST_OS_ID */
        0x66, 0xb8, 0x34, 0x12, 0x00, 0x00,     /* mov eax, 0x1234 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x01, 0x00, 0x00, 0x40,     /* mov ecx, HYPERCALL */
        0x66, 0xb8, 0x01, 0x30, 0x00, 0x00,     /* mov eax, 0x3001 */
        0x0f, 0x30,                             /* wrmsr */
        0xe6, 0x80,                             /* out 0x80, al */
    };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS;
    struct mshv_create_vp cv = { .vp_index = 1 };
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[2];
    } QEMU_PACKED in = {
        .hdr.vp_index = 1,
        .names = { HV_REGISTER_GUEST_OS_ID, HV_X64_REGISTER_HYPERCALL },
    };
    union hv_register_value out[2];
    uint16_t status;
    int vp1;
    Guest g;

    guest_init_features(&g, code, sizeof(code), features);
    vp1 = ioctl(g.pt, MSHV_CREATE_VP, &cv);
    g_assert_cmpint(vp1, >=, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmpint(hvcall(vp1, HVCALL_GET_VP_REGISTERS, 2, &in, sizeof(in),
                           out, sizeof(out), &status), ==, 0);
    g_assert_cmphex(out[0].reg64, ==, 0x1234);
    g_assert_cmphex(out[1].reg64 & ~0xfffULL, ==, 0x3000);
    g_assert_cmphex(out[1].reg64 & 1, ==, 1);
    close(vp1);
    guest_fini(&g);
}

static gpointer run_to_message(gpointer opaque)
{
    Guest *g = opaque;
    struct hv_message *msg = g_new(struct hv_message, 1);

    run(g, msg);
    return msg;
}

/*
 * Two VPs running at once: VP 0 starts VP 1 (INIT, SIPI), waits for it to
 * say it is up, and sends it a fixed IPI, which VP 1's handler reports,
 * while VP 1's MSHV_RUN_VP has been blocked in another thread all along.
 */
/*
 * VP 1 of G's partition, in G1; both in x2APIC mode, VP 0 the BSP with
 * its LAPIC on.
 */
static void guest_add_vp1(Guest *g, Guest *g1)
{
    struct mshv_create_vp cv = { .vp_index = 1 };

    *g1 = *g;
    g1->index = 1;
    g1->vp = ioctl(g->pt, MSHV_CREATE_VP, &cv);
    g_assert_cmpint(g1->vp, >=, 0);
    set_reg(g, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xd00);
    set_reg(g1, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xc00);
    lapic_on(g);
}

/*
 * Run VP 1 (in a thread: it waits inside MSHV_RUN_VP for VP 0 to start
 * it) and VP 0, to their port writes: PORT0 for VP 0, PORT1 for VP 1,
 * whose intercept is returned (g_free it).
 */
static struct hv_message *run_both_to_out(Guest *g, Guest *g1,
                                          unsigned port0, unsigned port1)
{
    GThread *thread = g_thread_new("vp1", run_to_message, g1);
    struct hv_x64_io_port_intercept_message *io;
    struct hv_message *msg1;

    g_usleep(100 * 1000);
    g_assert_cmpuint(run_to_out(g), ==, port0);
    msg1 = g_thread_join(thread);
    g_assert_cmphex(msg1->header.message_type, ==,
                    HVMSG_X64_IO_PORT_INTERCEPT);
    io = (void *)msg1->payload;
    g_assert_cmphex(io->port_number, ==, port1);
    g_assert_cmpuint(io->header.vp_index, ==, 1);
    return msg1;
}

static void test_two_vps_ipi(void)
{
    static const uint8_t vp0[] = {
        0x66, 0xb9, 0x30, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC ICR */
        0x66, 0xba, 0x01, 0x00, 0x00, 0x00,     /* mov edx, 1 (VP 1) */
        0x66, 0xb8, 0x00, 0x45, 0x00, 0x00,     /* mov eax, INIT */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb8, 0x03, 0x46, 0x00, 0x00,     /* mov eax, SIPI 0x3000 */
        0x0f, 0x30,                             /* wrmsr */
        0x80, 0x3e, 0x00, 0x05, 0x01,           /* cmp byte [0x500], 1 */
        0x75, 0xf9,                             /* jne (the cmp) */
        0x66, 0xb8, 0x60, 0x40, 0x00, 0x00,     /* mov eax, fixed 0x60 */
        0x0f, 0x30,                             /* wrmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xf4,                                   /* hlt */
    };
    static const uint8_t vp1[] = {
        0x66, 0xb9, 0x0f, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC SVR */
        0x66, 0xb8, 0xff, 0x01, 0x00, 0x00,     /* mov eax, 0x1ff */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0xc6, 0x06, 0x00, 0x05, 0x01,           /* mov byte [0x500], 1 */
        0xfb,                                   /* sti */
        0xf4,                                   /* hlt */
        0xeb, 0xfd,                             /* jmp (the hlt) */
    };
    /* vector 0x60: "out 0x81, al" with AL = 0x60 */
    static const uint8_t handler[] = { 0xb0, 0x60, 0xe6, 0x81, 0xf4 };
    struct hv_message *msg1;
    struct hv_x64_io_port_intercept_message *io;
    Guest g, g1;

    guest_init(&g, vp0, sizeof(vp0));
    memcpy(g.ram + 0x3000, vp1, sizeof(vp1));
    memcpy(g.ram + 0x2100, handler, sizeof(handler));
    stw_le_p(g.ram + 0x60 * 4, 0x2100);
    stw_le_p(g.ram + 0x60 * 4 + 2, 0);
    guest_add_vp1(&g, &g1);
    msg1 = run_both_to_out(&g, &g1, 0x80, 0x81);
    io = (void *)msg1->payload;
    g_assert_cmphex(io->rax & 0xff, ==, 0x60);
    g_free(msg1);
    close(g1.vp);
    guest_fini(&g);
}

/*
 * A VP waiting for SIPI stays so through any register write-back (the
 * VMM reads its registers, then writes them all back, activity too), and
 * then starts at the SIPI; HALT_SUSPEND would leave it deaf to it.
 */
static void test_startup_suspend(void)
{
    static const uint8_t vp0[] = {
        0x66, 0xb9, 0x30, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC ICR */
        0x66, 0xba, 0x01, 0x00, 0x00, 0x00,     /* mov edx, 1 (VP 1) */
        0x66, 0xb8, 0x03, 0x46, 0x00, 0x00,     /* mov eax, SIPI 0x3000 */
        0x0f, 0x30,                             /* wrmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xf4,                                   /* hlt */
    };
    static const uint8_t vp1[] = { 0xe6, 0x81, 0xf4 };  /* out 0x81; hlt */
    uint64_t activity;
    Guest g, g1;

    guest_init(&g, vp0, sizeof(vp0));
    memcpy(g.ram + 0x3000, vp1, sizeof(vp1));
    guest_add_vp1(&g, &g1);

    /* as QEMU leaves an AP after reset, then "info registers" */
    set_reg(&g1, HV_REGISTER_INTERNAL_ACTIVITY_STATE,
            HV_ACTIVITY_STARTUP_SUSPEND);
    activity = get_reg(&g1, HV_REGISTER_INTERNAL_ACTIVITY_STATE);
    g_assert_cmphex(activity, ==, HV_ACTIVITY_STARTUP_SUSPEND);
    set_reg(&g1, HV_X64_REGISTER_RAX, get_reg(&g1, HV_X64_REGISTER_RAX));
    set_reg(&g1, HV_REGISTER_INTERNAL_ACTIVITY_STATE, activity);
    g_assert_cmphex(get_reg(&g1, HV_REGISTER_INTERNAL_ACTIVITY_STATE), ==,
                    HV_ACTIVITY_STARTUP_SUSPEND);

    /* the SIPI alone (no INIT) starts it at 0x3000 */
    g_free(run_both_to_out(&g, &g1, 0x80, 0x81));
    g_assert_cmphex(get_reg(&g1, HV_REGISTER_INTERNAL_ACTIVITY_STATE), ==, 0);
    close(g1.vp);
    guest_fini(&g);
}

/* A VP created while others run reads the partition's TSC, not 0. */
static void test_new_vp_tsc(void)
{
    static const uint8_t code[] = { 0xf4 };
    struct mshv_create_vp cv = { .vp_index = 1 };
    const uint64_t tsc = 1ULL << 50;
    Guest g, g1;

    guest_init(&g, code, sizeof(code));
    set_reg(&g, HV_X64_REGISTER_TSC, tsc);
    g1 = g;
    g1.index = 1;
    g1.vp = ioctl(g.pt, MSHV_CREATE_VP, &cv);
    g_assert_cmpint(g1.vp, >=, 0);
    g_assert_cmphex(get_reg(&g1, HV_X64_REGISTER_TSC), >=, tsc);
    g_assert_cmphex(get_reg(&g1, HV_X64_REGISTER_TSC), <=,
                    get_reg(&g, HV_X64_REGISTER_TSC));
    close(g1.vp);
    guest_fini(&g);
}

/*
 * The LAPIC timer in TSC-deadline mode: IA32_TSC_DEADLINE armed by the
 * guest raises the LVT timer's vector when the TSC gets there, and then
 * reads 0.
 */
static void test_tsc_deadline_timer(void)
{
    static const uint8_t code[] = {
        0x66, 0xb9, 0x32, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC LVTT */
        0x66, 0xb8, 0x60, 0x00, 0x04, 0x00,     /* mov eax, deadline|0x60 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x0f, 0x31,                             /* rdtsc */
        0x66, 0x05, 0x00, 0x00, 0x10, 0x00,     /* add eax, 0x100000 */
        0x66, 0x83, 0xd2, 0x00,                 /* adc edx, 0 */
        0x66, 0xb9, 0xe0, 0x06, 0x00, 0x00,     /* mov ecx, TSC_DEADLINE */
        0x0f, 0x30,                             /* wrmsr */
        0xfb,                                   /* sti */
        0xf4,                                   /* hlt */
        0xeb, 0xfd,                             /* jmp (the hlt) */
    };
    /* vector 0x60: "out 0x81, al" with AL = 0x60 */
    static const uint8_t handler[] = { 0xb0, 0x60, 0xe6, 0x81, 0xf4 };
    Guest g;

    guest_init(&g, code, sizeof(code));
    memcpy(g.ram + 0x2100, handler, sizeof(handler));
    stw_le_p(g.ram + 0x60 * 4, 0x2100);
    stw_le_p(g.ram + 0x60 * 4 + 2, 0);
    set_reg(&g, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xd00);
    lapic_on(&g);
    g_assert_cmpuint(run_to_out(&g), ==, 0x81);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_TSC_DEADLINE), ==, 0);
    guest_fini(&g);
}

static uint64_t get_property(Guest *g, uint32_t code)
{
    struct hv_input_get_partition_property in = { .property_code = code };
    struct hv_output_get_partition_property out;
    uint16_t status;

    g_assert_cmpint(hvcall(g->pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
                           sizeof(in), &out, sizeof(out), &status), ==, 0);
    return out.property_value;
}

/*
 * The VMM restores the partition's reference time (frozen, as after an
 * incoming migration): it reads back as set, then runs on from there.
 */
static void test_reference_time_restore(void)
{
    static const uint8_t code[] = { 0xf4 };
    const uint64_t t = 1ULL << 40;
    Guest g;

    guest_init_features(&g, code, sizeof(code),
                        MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES);
    set_property(&g, HV_PARTITION_PROPERTY_TIME_FREEZE, 1);
    g_assert_cmpuint(get_property(&g, HV_PARTITION_PROPERTY_REFERENCE_TIME),
                     <, t);
    set_property(&g, HV_PARTITION_PROPERTY_REFERENCE_TIME, t);
    g_assert_cmpuint(get_property(&g, HV_PARTITION_PROPERTY_REFERENCE_TIME),
                     ==, t);
    set_property(&g, HV_PARTITION_PROPERTY_TIME_FREEZE, 0);
    g_usleep(10 * 1000);
    g_assert_cmpuint(get_property(&g, HV_PARTITION_PROPERTY_REFERENCE_TIME),
                     >, t);
    g_assert_cmpuint(get_property(&g, HV_PARTITION_PROPERTY_REFERENCE_TIME),
                     <, t + 10000000);
    guest_fini(&g);
}

/*
 * The APIC as the guest's CPUID has it: with IA32_APIC_BASE.EN clear,
 * CPUID.1:EDX.APIC reads 0; where the VMM's CPUID hides x2APIC, setting
 * EXTD raises #GP.
 */
static void test_apic_cpuid_and_x2apic(void)
{
    static const uint8_t code[] = {
        0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,     /* mov ecx, APIC_BASE */
        0x0f, 0x32,                             /* rdmsr */
        0x66, 0x25, 0xff, 0xf7, 0xff, 0xff,     /* and eax, ~EN */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00,     /* mov ecx, APIC_BASE */
        0x0f, 0x32,                             /* rdmsr */
        0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00,     /* or eax, EN | EXTD */
        0x0f, 0x30,                             /* wrmsr: #GP */
        0xe6, 0x81,                             /* out 0x81, al */
        0xf4,                                   /* hlt */
    };
    /* #GP (vector 13): "out 0x8d, al" */
    static const uint8_t gp[] = { 0xe6, 0x8d, 0xf4 };
    struct hv_input_register_intercept_result_cpuid ri = {
        .intercept_type = HV_INTERCEPT_TYPE_X64_CPUID,
        .input_eax = 1,
        .always_override = 1,
        .ecx = 0,
        .ecx_mask = CPUID_1_ECX_X2APIC,
        /* (as a VMM registers its model: APIC set, the whole register) */
        .edx = CPUID_1_EDX_APIC,
        .edx_mask = CPUID_1_EDX_APIC,
    };
    uint16_t status;
    Guest g;

    guest_init(&g, code, sizeof(code));
    memcpy(g.ram + 0x2200, gp, sizeof(gp));
    stw_le_p(g.ram + 13 * 4, 0x2200);
    stw_le_p(g.ram + 13 * 4 + 2, 0);
    g_assert_cmpint(hvcall(g.vp, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &ri,
                           sizeof(ri), NULL, 0, &status), ==, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX) & CPUID_1_EDX_APIC, ==,
                    0);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RCX) & CPUID_1_ECX_X2APIC,
                    ==, 0);
    g_assert_cmpuint(run_to_out(&g), ==, 0x8d);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_APIC_BASE) &
                    (0x400 | 0x800), ==, 0);
    guest_fini(&g);
}

typedef struct Concurrent {
    Guest *g;
    int runs;                   /* what the runner does */
    volatile bool done;         /* the runner finished */
    gint others;                /* calls the other threads made */
    gint slots;                 /* memory regions the threads took */
} Concurrent;

static gpointer concurrent_runner(gpointer opaque)
{
    Concurrent *c = opaque;
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    int i;

    for (i = 0; i < c->runs; i++) {
        run(c->g, &msg);
        g_assert_cmphex(msg.header.message_type, ==,
                        HVMSG_X64_IO_PORT_INTERCEPT);
        g_assert_cmphex(io->port_number, ==, 0x80);
        skip(c->g, &io->header);
    }
    c->done = true;
    return NULL;
}

/* VP registers through the VP fd: waits for each RUN_VP, as the driver. */
static gpointer concurrent_regs(gpointer opaque)
{
    Concurrent *c = opaque;
    unsigned n = 0;

    while (!c->done) {
        uint64_t rip = get_reg(c->g, HV_X64_REGISTER_RIP);

        g_assert_cmphex(rip, >=, GUEST_CODE);
        g_assert_cmphex(rip, <, GUEST_CODE + 16);
        n++;
    }
    g_atomic_int_add(&c->others, n);
    return NULL;
}

/* Memory map/unmap and properties through the partition fd meanwhile. */
static gpointer concurrent_partition(gpointer opaque)
{
    Concurrent *c = opaque;
    struct hv_input_get_partition_property in = {
        .property_code = HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
    };
    struct hv_output_get_partition_property out;
    void *extra = shared_memory(0x10000, NULL);
    /* a GPA range of its own, above the guest's RAM */
    uint64_t gpa = 0x100000 + 0x10000 * g_atomic_int_add(&c->slots, 1);
    uint16_t status;
    unsigned n = 0;

    while (!c->done) {
        g_assert_cmpint(map_memory(c->g->pt, gpa, extra, 0x10000,
                                   1 << MSHV_SET_MEM_BIT_WRITABLE), ==, 0);
        g_assert_cmpint(hvcall(c->g->pt, HVCALL_GET_PARTITION_PROPERTY, 0,
                               &in, sizeof(in), &out, sizeof(out), &status),
                        ==, 0);
        g_assert_cmpint(map_memory(c->g->pt, gpa, extra, 0x10000,
                                   1 << MSHV_SET_MEM_BIT_UNMAP), ==, 0);
        n++;
    }
    munmap(extra, 0x10000);
    g_atomic_int_add(&c->others, n);
    return NULL;
}

/*
 * Ioctls from several threads at once: one runs the VP (every intercept
 * seen exactly once: the guest counts them), one reads its registers
 * (serialized with RUN_VP by the VP's lock), two map and unmap memory and
 * read properties on the partition fd.
 */
static void test_concurrent_ioctls(void)
{
    static const uint8_t code[] = {
        0xff, 0x06, 0x00, 0x06,                 /* inc word [0x600] */
        0xe6, 0x80,                             /* out 0x80, al */
        0xeb, 0xf8,                             /* jmp (the inc) */
    };
    Concurrent c = { .runs = 2000 };
    GThread *threads[4];
    unsigned i;
    Guest g;

    guest_init(&g, code, sizeof(code));
    c.g = &g;
    threads[0] = g_thread_new("runner", concurrent_runner, &c);
    threads[1] = g_thread_new("regs", concurrent_regs, &c);
    threads[2] = g_thread_new("partition", concurrent_partition, &c);
    threads[3] = g_thread_new("partition2", concurrent_partition, &c);
    for (i = 0; i < ARRAY_SIZE(threads); i++) {
        g_thread_join(threads[i]);
    }
    g_assert_cmpuint(lduw_le_p(g.ram + 0x600), ==, c.runs);
    g_assert_cmpint(c.others, >, 0);
    guest_fini(&g);
}

static uint16_t install_intercept(Guest *g, uint32_t type, uint32_t access,
                                  uint64_t parameter)
{
    struct hv_input_install_intercept ii = {
        .access_type = access,
        .intercept_type = type,
        .intercept_parameter = parameter,
    };
    uint16_t status = 0;

    hvcall(g->pt, HVCALL_INSTALL_INTERCEPT, 0, &ii, sizeof(ii), NULL, 0,
           &status);
    return status;
}

/* "out PORT, al", then return past the 2-byte instruction that faulted */
static void set_skip_handler(Guest *g, unsigned vector, uint16_t at,
                             uint8_t port)
{
    static const uint8_t handler[] = {
        0xe6, 0x00,                             /* out PORT (@1), al */
        0x55,                                   /* push bp */
        0x89, 0xe5,                             /* mov bp, sp */
        0x83, 0x46, 0x02, 0x02,                 /* add word [bp+2], 2 */
        0x5d,                                   /* pop bp */
        0xcf,                                   /* iret */
    };

    memcpy(g->ram + at, handler, sizeof(handler));
    g->ram[at + 1] = port;
    stw_le_p(g->ram + vector * 4, at);
    stw_le_p(g->ram + vector * 4 + 2, 0);
}

/*
 * CPUID, MSR and exception intercepts a VMM installs: the VP stops before
 * the instruction (or with the exception undelivered) with the message,
 * what is not intercepted runs as before, and the unimplemented-MSR
 * action (partition default #GP, or a per-MSR result) applies.
 */
static void test_cpuid_msr_exception_intercepts(void)
{
    static const uint8_t code[] = {
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0xa2,                             /* cpuid (@6) */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x0f, 0xa2,                             /* cpuid: leaf 0 runs */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x74, 0x01, 0x00, 0x00,     /* mov ecx, SYSENTER_CS */
        0x0f, 0x32,                             /* rdmsr (@23) */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x30,                             /* wrmsr: writes run */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x99, 0x09, 0x00, 0xc0,     /* mov ecx, 0xc0000999 */
        0x0f, 0x32,                             /* rdmsr: #GP */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x32,                             /* rdmsr: reads 0 */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x32,                             /* rdmsr (@45) */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x0b,                             /* ud2 (@49) */
        0xe6, 0x80,                             /* out 0x80, al */
        0xcc,                                   /* int3 (@53) */
        0xe6, 0x80,                             /* out 0x80, al */
        0xf4,                                   /* hlt */
    };
    struct hv_input_register_intercept_result_msr result = {
        .vp_index = 0,
        .intercept_type = HV_INTERCEPT_TYPE_X64_MSR,
        .msr_index = 0xc0000999,
        .access_type = HV_INTERCEPT_ACCESS_MASK_READ,
        .action = HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO,
    };
    struct hv_cpuid_leaf_info leaf1 = { .eax = 1 };
    struct hv_output_get_vp_cpuid_values values;
    struct hv_message msg;
    struct hv_x64_cpuid_intercept_message *ci = (void *)msg.payload;
    struct hv_x64_msr_intercept_message *mi = (void *)msg.payload;
    struct hv_x64_exception_intercept_message *ex = (void *)msg.payload;
    uint16_t status;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    set_skip_handler(&g, 13, 0x2000, 0x81);
    set_skip_handler(&g, 6, 0x2100, 0x82);

    /* bad requests */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_EXCEPTION,
                                      HV_INTERCEPT_ACCESS_MASK_EXECUTE, 32),
                    ==, HV_STATUS_INVALID_PARAMETER);
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_CPUID, 8, 1),
                    ==, HV_STATUS_INVALID_PARAMETER);
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_APIC_SMI,
                                      HV_INTERCEPT_ACCESS_MASK_EXECUTE, 0),
                    ==, HV_STATUS_INVALID_PARAMETER);
    result.action = 2;
    g_assert_cmpint(hvcall(g.pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &result,
                           sizeof(result), NULL, 0, &status), ==, -1);
    g_assert_cmphex(status, ==, HV_STATUS_INVALID_PARAMETER);
    result.action = HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO;

    /* CPUID of leaf 1: stopped at the instruction, the default result */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_CPUID,
                                      HV_INTERCEPT_ACCESS_MASK_EXECUTE, 1),
                    ==, HV_STATUS_SUCCESS);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_CPUID_INTERCEPT);
    g_assert_cmphex(ci->header.rip, ==, GUEST_CODE + 6);
    g_assert_cmpuint(ci->header.instruction_length_and_cr8 & 0xf, ==, 2);
    g_assert_cmphex(ci->rax, ==, 1);
    g_assert_cmpint(cpuid_values(&g, 0, &leaf1, 1, &values, &status), ==, 0);
    g_assert_cmphex(ci->default_result_rax, ==, values.eax);
    g_assert_cmphex(ci->default_result_rcx, ==, values.ecx);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, GUEST_CODE + 6);
    set_reg(&g, HV_X64_REGISTER_RAX, 0x5a);
    skip(&g, &ci->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 0x5a);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), >=, 0xd);

    /* reads of one MSR: the VMM's; writes run */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_MSR_INDEX,
                                      HV_INTERCEPT_ACCESS_MASK_READ, 0x174),
                    ==, HV_STATUS_SUCCESS);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_MSR_INTERCEPT);
    g_assert_cmphex(mi->header.rip, ==, GUEST_CODE + 23);
    g_assert_cmpuint(mi->header.intercept_access_type, ==,
                     HV_INTERCEPT_ACCESS_READ);
    g_assert_cmphex(mi->msr_number, ==, 0x174);
    set_reg(&g, HV_X64_REGISTER_RAX, 0x77);
    set_reg(&g, HV_X64_REGISTER_RDX, 0);
    skip(&g, &mi->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 0x77);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_SYSENTER_CS), ==, 0x77);

    /* an MSR nobody implements: #GP by default, then the VMM's action */
    g_assert_cmpuint(run_to_out(&g), ==, 0x81);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmpint(hvcall(g.pt, HVCALL_REGISTER_INTERCEPT_RESULT, 0, &result,
                           sizeof(result), NULL, 0, &status), ==, 0);
    set_reg(&g, HV_X64_REGISTER_RAX, 0x11);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 0);
    /* ... and with the MSR intercept, the VMM's */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_MSR,
                                      HV_INTERCEPT_ACCESS_MASK_READ, 0),
                    ==, HV_STATUS_SUCCESS);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_MSR_INTERCEPT);
    g_assert_cmphex(mi->header.rip, ==, GUEST_CODE + 45);
    g_assert_cmphex(mi->msr_number, ==, 0xc0000999);
    skip(&g, &mi->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);

    /* #UD: intercepted, then injected by the VMM without a second stop */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_EXCEPTION,
                                      HV_INTERCEPT_ACCESS_MASK_EXECUTE, 6),
                    ==, HV_STATUS_SUCCESS);
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_EXCEPTION,
                                      HV_INTERCEPT_ACCESS_MASK_EXECUTE, 3),
                    ==, HV_STATUS_SUCCESS);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==,
                    HVMSG_X64_EXCEPTION_INTERCEPT);
    g_assert_cmpuint(ex->exception_vector, ==, 6);
    g_assert_cmphex(ex->header.rip, ==, GUEST_CODE + 49);
    g_assert_cmpuint(ex->exception_info, ==, 0);
    g_assert_cmpuint(ex->instruction_byte_count, ==, 16);
    g_assert_cmphex(ex->instruction_bytes[0], ==, 0x0f);
    g_assert_cmphex(ex->instruction_bytes[1], ==, 0x0b);
    set_reg(&g, HV_REGISTER_PENDING_INTERRUPTION,
            HV_PENDING_INTERRUPTION_PENDING |
            (uint64_t)HV_X64_PENDING_EXCEPTION <<
                HV_PENDING_INTERRUPTION_TYPE_SHIFT |
            6ULL << HV_PENDING_INTERRUPTION_VECTOR_SHIFT);
    g_assert_cmpuint(run_to_out(&g), ==, 0x82);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    /* INT3: a software exception, its length to step past */
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==,
                    HVMSG_X64_EXCEPTION_INTERCEPT);
    g_assert_cmpuint(ex->exception_vector, ==, 3);
    g_assert_cmphex(ex->header.rip, ==, GUEST_CODE + 53);
    g_assert_cmpuint(ex->exception_info, ==,
                     HV_X64_EXCEPTION_INFO_SOFTWARE);
    g_assert_cmpuint(ex->header.instruction_length_and_cr8 & 0xf, ==, 1);
    skip(&g, &ex->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);

    /* removed (access mask 0): CPUID of leaf 1 runs again */
    g_assert_cmphex(install_intercept(&g, HV_INTERCEPT_TYPE_X64_CPUID, 0, 1),
                    ==, HV_STATUS_SUCCESS);
    set_reg(&g, HV_X64_REGISTER_RIP, GUEST_CODE);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, values.eax);
    guest_fini(&g);
}

/*
 * Synthetic timers: STIMER0 one-shot in message mode on SINT3 (its
 * HVMSG_TIMER_EXPIRED in the slot, then disabled), STIMER1 periodic in
 * direct mode (its vector, again and again); both as VP state.
 */
static void test_hv_stimers(void)
{
    static const uint8_t code[] = {
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0x83, 0x00, 0x00, 0x40,     /* mov ecx, SIMP */
        0x66, 0xb8, 0x01, 0x50, 0x00, 0x00,     /* mov eax, 0x5001 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x93, 0x00, 0x00, 0x40,     /* mov ecx, SINT3 */
        0x66, 0xb8, 0x61, 0x00, 0x00, 0x00,     /* mov eax, 0x61 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x80, 0x00, 0x00, 0x40,     /* mov ecx, SCONTROL */
        0x66, 0xb8, 0x01, 0x00, 0x00, 0x00,     /* mov eax, 1 */
        0x0f, 0x30,                             /* wrmsr */
        /* STIMER0: SINT3, auto-enable; count = now + 2 ms */
        0x66, 0xb9, 0xb0, 0x00, 0x00, 0x40,     /* mov ecx, STIMER0_CONFIG */
        0x66, 0xb8, 0x08, 0x00, 0x03, 0x00,     /* mov eax, 0x30008 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0x20, 0x00, 0x00, 0x40,     /* mov ecx, TIME_REF_COUNT */
        0x0f, 0x32,                             /* rdmsr */
        0x66, 0x05, 0x20, 0x4e, 0x00, 0x00,     /* add eax, 20000 */
        0x66, 0x83, 0xd2, 0x00,                 /* adc edx, 0 */
        0x66, 0xb9, 0xb1, 0x00, 0x00, 0x40,     /* mov ecx, STIMER0_COUNT */
        0x0f, 0x30,                             /* wrmsr */
        /* STIMER1: enabled, periodic, direct, vector 0x62; 1 ms */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0xb2, 0x00, 0x00, 0x40,     /* mov ecx, STIMER1_CONFIG */
        0x66, 0xb8, 0x23, 0x16, 0x00, 0x00,     /* mov eax, 0x1623 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0xb9, 0xb3, 0x00, 0x00, 0x40,     /* mov ecx, STIMER1_COUNT */
        0x66, 0xb8, 0x10, 0x27, 0x00, 0x00,     /* mov eax, 10000 */
        0x0f, 0x30,                             /* wrmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xfb,                                   /* sti */
        0xf4,                                   /* hlt */
        0xeb, 0xfd,                             /* jmp (the hlt) */
    };
    /* "out 0x82, al" with AL = the vector, x2APIC EOI, iret */
    static const uint8_t handler[] = {
        0xb0, 0x00,                             /* mov al, vector (@1) */
        0xe6, 0x82,                             /* out 0x82, al */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC EOI */
        0x0f, 0x30,                             /* wrmsr */
        0xcf,                                   /* iret */
    };
    static const uint8_t vectors[2] = { 0x61, 0x62 };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS |
        1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS;
    struct hv_synthetic_timers_state *st;
    uint8_t *page = qemu_memalign(4096, 4096);
    uint8_t *slot;
    unsigned i, one_shot = 0, periodic = 0;
    Guest g;

    guest_init_features(&g, code, sizeof(code), features);
    slot = g.ram + 0x5000 + 3 * 256;
    for (i = 0; i < 2; i++) {
        uint8_t *h = g.ram + 0x2000 + 32 * i;

        memcpy(h, handler, sizeof(handler));
        h[1] = vectors[i];
        stw_le_p(g.ram + vectors[i] * 4, 0x2000 + 32 * i);
        stw_le_p(g.ram + vectors[i] * 4 + 2, 0);
    }
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    set_reg(&g, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xd00);
    lapic_on(&g);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);

    for (i = 0; i < 100 && (!one_shot || periodic < 3); i++) {
        struct hv_message msg;
        struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;

        run(&g, &msg);
        g_assert_cmphex(msg.header.message_type, ==,
                        HVMSG_X64_IO_PORT_INTERCEPT);
        g_assert_cmphex(io->port_number, ==, 0x82);
        one_shot += (io->rax & 0xff) == 0x61;
        periodic += (io->rax & 0xff) == 0x62;
        skip(&g, &io->header);
    }
    g_assert_cmpuint(one_shot, ==, 1);
    g_assert_cmpuint(periodic, >=, 3);
    /* the one-shot's message: timer 0, at the count written */
    g_assert_cmphex((uint32_t)ldl_le_p(slot), ==, HVMSG_TIMER_EXPIRED);
    g_assert_cmpuint(ldl_le_p(slot + 16), ==, 0);
    g_assert_cmphex(ldq_le_p(slot + 24), ==,
                    get_reg(&g, HV_REGISTER_STIMER0_COUNT));
    g_assert_cmpuint(ldq_le_p(slot + 32), >=, ldq_le_p(slot + 24));
    /* it disabled itself; the periodic one runs on */
    g_assert_cmphex(get_reg(&g, HV_REGISTER_STIMER0_CONFIG) & 1, ==, 0);
    st = (void *)page;
    g_assert_cmpint(vp_state(&g, MSHV_GET_VP_STATE,
                             MSHV_VP_STATE_SYNTHETIC_TIMERS, page, NULL),
                    ==, 0);
    g_assert_cmphex(st->timers[1].config, ==, 0x1623);
    g_assert_cmpuint(st->timers[1].count, ==, 10000);
    qemu_vfree(page);
    guest_fini(&g);
}

/*
 * The APIC by synthetic MSR (TPR, ICR, EOI) in xAPIC mode, where real-mode
 * code cannot reach the APIC page, and guest idle: a read that sleeps
 * like HLT until an interrupt comes.
 */
/* The SynIC's EOM MSR reads as 0 (no #GP), as Hyper-V's and KVM's. */
static void test_hv_eom_reads_zero(void)
{
    static const uint8_t code[] = {
        0x66, 0xb9, 0x84, 0x00, 0x00, 0x40,     /* mov ecx, HV EOM */
        0x66, 0xb8, 0x5a, 0x5a, 0x5a, 0x5a,     /* mov eax, 0x5a5a5a5a */
        0x66, 0xba, 0x5a, 0x5a, 0x5a, 0x5a,     /* mov edx, 0x5a5a5a5a */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0xf4,                                   /* hlt */
    };
    Guest g;

    guest_init_features(&g, code, sizeof(code),
                        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
                        1ULL << HV_SYNTHETIC_PROC_HV1 |
                        1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 0);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX), ==, 0);
    guest_fini(&g);
}

static void test_hv_apic_msrs_and_idle(void)
{
    static const uint8_t code[] = {
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb9, 0x72, 0x00, 0x00, 0x40,     /* mov ecx, HV TPR */
        0x66, 0xb8, 0x20, 0x00, 0x00, 0x00,     /* mov eax, 0x20 */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al (0x20) */
        /* two self-IPIs of 0x70: the second only after the HV EOI */
        0x66, 0xb9, 0x71, 0x00, 0x00, 0x40,     /* mov ecx, HV ICR */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0xb8, 0x70, 0x40, 0x04, 0x00,     /* mov eax, self, 0x70 */
        0x0f, 0x30,                             /* wrmsr */
        0xfb,                                   /* sti */
        0x90,                                   /* nop */
        0xfa,                                   /* cli */
        0x66, 0xb9, 0x71, 0x00, 0x00, 0x40,     /* mov ecx, HV ICR */
        0x66, 0xb8, 0x70, 0x40, 0x04, 0x00,     /* mov eax, self, 0x70 */
        0x0f, 0x30,                             /* wrmsr */
        0xfb,                                   /* sti */
        0x90,                                   /* nop */
        /* idle until the VMM's interrupt, then say so */
        0x66, 0xb9, 0xf0, 0x00, 0x00, 0x40,     /* mov ecx, GUEST_IDLE */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x84,                             /* out 0x84, al */
        0xf4,                                   /* hlt */
    };
    /* "out 0x82/0x83, al", EOI by HV MSR, iret */
    static const uint8_t handler[] = {
        0xb0, 0x00,                             /* mov al, vector (@1) */
        0xe6, 0x82,                             /* out port (@3), al */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x66, 0xb9, 0x70, 0x00, 0x00, 0x40,     /* mov ecx, HV EOI */
        0x0f, 0x30,                             /* wrmsr */
        0xcf,                                   /* iret */
    };
    const uint64_t features =
        1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
        1ULL << HV_SYNTHETIC_PROC_HV1 |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS |
        1ULL << HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG;
    struct hv_input_assert_virtual_interrupt irq = {
        .control = HV_X64_INTERRUPT_TYPE_FIXED,
        .vector = 0x71,
    };
    uint8_t *page = qemu_memalign(4096, 4096);
    struct hv_message *m;
    struct hv_x64_io_port_intercept_message *io;
    GThread *thread;
    uint16_t status;
    unsigned i;
    Guest g;

    guest_init_features(&g, code, sizeof(code), features);
    for (i = 0; i < 2; i++) {
        uint8_t *h = g.ram + 0x2000 + 32 * i;

        memcpy(h, handler, sizeof(handler));
        h[1] = 0x70 + i;
        h[3] = 0x82 + i;
        stw_le_p(g.ram + (0x70 + i) * 4, 0x2000 + 32 * i);
        stw_le_p(g.ram + (0x70 + i) * 4 + 2, 0);
    }
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    lapic_on(&g);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xff, ==, 0x20);
    for (i = 0; i < 2; i++) {
        g_assert_cmpuint(run_to_out(&g), ==, 0x82);
    }
    /* the VP sleeps in its RUN_VP until an interrupt */
    thread = g_thread_new("idle", run_to_message, &g);
    g_usleep(200 * 1000);
    g_assert_cmpint(hvcall(g.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0, &irq,
                           sizeof(irq), NULL, 0, &status), ==, 0);
    m = g_thread_join(thread);
    io = (void *)m->payload;
    g_assert_cmphex(m->header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->port_number, ==, 0x83);
    skip(&g, &io->header);
    g_assert_cmpuint(run_to_out(&g), ==, 0x84);
    g_free(m);
    qemu_vfree(page);
    guest_fini(&g);
}

static void on_signal(int sig)
{
}

typedef struct RunThread {
    Guest *g;
    int ret;
    int err;
} RunThread;

static void *run_thread(void *opaque)
{
    RunThread *t = opaque;
    struct mshv_run_vp run;

    t->ret = ioctl(t->g->vp, MSHV_RUN_VP, &run);
    t->err = errno;
    return NULL;
}

static void check_eintr(Guest *g, int sa_flags)
{
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = sa_flags };
    RunThread t = { .g = g };
    pthread_t thread;

    sigemptyset(&sa.sa_mask);
    g_assert_cmpint(sigaction(SIGUSR1, &sa, NULL), ==, 0);
    g_assert_cmpint(pthread_create(&thread, NULL, run_thread, &t), ==, 0);
    g_usleep(200 * 1000);
    pthread_kill(thread, SIGUSR1);
    pthread_join(thread, NULL);
    g_assert_cmpint(t.ret, ==, -1);
    g_assert_cmpint(t.err, ==, EINTR);
}

static void test_run_eintr(void)
{
    static const uint8_t code[] = { 0xeb, 0xfe };     /* jmp $ */
    Guest g;

    guest_init(&g, code, sizeof(code));
    check_eintr(&g, 0);
    /* A signal interrupts RUN_VP whatever SA_RESTART says, as in Linux. */
    check_eintr(&g, SA_RESTART);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RIP), ==, GUEST_CODE);
    guest_fini(&g);
}

/*
 * A signal that comes while MSHV_RUN_VP watches for its reply (the VP has
 * just been answered quickly, so the watch window is open) interrupts it
 * all the same.  The guest writes to RAM once it runs, so the signal is
 * sent only after the RUN_VP is under way, and only once: a lost signal
 * leaves the VP in its loop and the call hanging.
 */
static void test_run_eintr_while_watching(void)
{
    static const uint8_t code[] = {
        0xe6, 0x80,                 /* out 0x80, al */
        0xfe, 0x06, 0x00, 0x05,     /* inc byte [0x500] */
        0xeb, 0xfe,                 /* jmp $ */
    };
    struct hv_message msg;
    struct sigaction sa = { .sa_handler = on_signal };
    volatile uint8_t *mark;     /* guest RAM the VP writes meanwhile */
    Guest g;
    unsigned i, j;

    guest_init(&g, code, sizeof(code));
    mark = g.ram + 0x500;
    sigemptyset(&sa.sa_mask);
    g_assert_cmpint(sigaction(SIGUSR1, &sa, NULL), ==, 0);
    for (i = 0; i < 200; i++) {
        RunThread t = { .g = &g };
        uint8_t before = *mark;
        struct timespec deadline;
        gint64 give_up;
        pthread_t thread;

        /* the same OUT, not stepped past: quick answers open the window */
        set_reg(&g, HV_X64_REGISTER_RIP, GUEST_CODE);
        for (j = 0; j < 8; j++) {
            run(&g, &msg);
            g_assert_cmphex(msg.header.message_type, ==,
                            HVMSG_X64_IO_PORT_INTERCEPT);
        }
        set_reg(&g, HV_X64_REGISTER_RIP, GUEST_CODE + 2);
        g_assert_cmpint(pthread_create(&thread, NULL, run_thread, &t), ==, 0);
        give_up = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (*mark == before) {
            g_assert_cmpint(g_get_monotonic_time(), <, give_up);
        }
        pthread_kill(thread, SIGUSR1);
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 10;
        g_assert_cmpint(pthread_timedjoin_np(thread, NULL, &deadline), ==, 0);
        g_assert_cmpint(t.ret, ==, -1);
        g_assert_cmpint(t.err, ==, EINTR);
    }
    guest_fini(&g);
}

/*
 * The TLFS x64 register names a root partition gets and sets (upstream
 * QEMU's mshv accelerator among others): set together in one call, each
 * to a value of its own, they read back as written; the read-only ones
 * answer and ignore writes.
 */
static void test_register_tlfs_names(void)
{
    static const uint8_t code[] = { 0xf4 };
    static const uint32_t writable[] = {
        HV_X64_REGISTER_PAT, HV_X64_REGISTER_MSR_MTRR_DEF_TYPE,
        HV_X64_REGISTER_BNDCFGS, HV_X64_REGISTER_DEBUG_CTL,
        HV_X64_REGISTER_SGX_LAUNCH_CONTROL0,
        HV_X64_REGISTER_SGX_LAUNCH_CONTROL3,
        HV_X64_REGISTER_SPEC_CTRL, HV_X64_REGISTER_VIRT_SPEC_CTRL,
        HV_X64_REGISTER_TSX_CTRL, HV_X64_REGISTER_U_XSS,
        HV_X64_REGISTER_U_CET, HV_X64_REGISTER_S_CET, HV_X64_REGISTER_SSP,
        HV_X64_REGISTER_PL0_SSP, HV_X64_REGISTER_PL1_SSP,
        HV_X64_REGISTER_PL2_SSP, HV_X64_REGISTER_PL3_SSP,
        HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR,
        HV_X64_REGISTER_TSC_DEADLINE, HV_X64_REGISTER_UMWAIT_CONTROL,
        HV_X64_REGISTER_XFD, HV_X64_REGISTER_XFD_ERR,
        HV_X64_REGISTER_MSR_IA32_MISC_ENABLE,
        HV_X64_REGISTER_IA32_FEATURE_CONTROL,
        HV_REGISTER_PENDING_EVENT1, HV_REGISTER_PENDING_DEBUG_EXCEPTION,
        HV_REGISTER_GUEST_CRASH_P0, HV_REGISTER_GUEST_CRASH_P4,
        HV_REGISTER_GUEST_CRASH_CTL, HV_REGISTER_SIRBP,
    };
    static const uint32_t read_only[] = {
        HV_REGISTER_HYPERVISOR_VERSION, HV_REGISTER_FEATURES_INFO,
        HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY,
        HV_REGISTER_INTERRUPT_CLOCK_FREQUENCY,
        HV_X64_REGISTER_INITIAL_APIC_ID, HV_X64_REGISTER_PRED_CMD,
    };
    struct hv_register_assoc set[ARRAY_SIZE(writable) + 32];
    union hv_register_value before, after;
    unsigned i, n = 0;
    Guest g;

    guest_init_features(&g, code, sizeof(code),
                        MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES);
    memset(set, 0, sizeof(set));
    for (i = 0; i < ARRAY_SIZE(writable); i++, n++) {
        set[n].name = writable[i];
        set[n].value.reg64 = 0x1000 + n * 0x10 + 1;
        /* (a TSC deadline already past fires at once, then reads 0) */
        if (writable[i] == HV_X64_REGISTER_TSC_DEADLINE) {
            set[n].value.reg64 = 1ULL << 62;
        }
    }
    /* all 16 variable MTRRs, not only the 8 QEMU's CPUs have */
    for (i = 0; i < 16; i++, n++) {
        set[n].name = HV_X64_REGISTER_MSR_MTRR_PHYS_BASE0 + i;
        set[n].value.reg64 = 0x100000ULL * (i + 1) | 6;
        set[++n].name = HV_X64_REGISTER_MSR_MTRR_PHYS_MASK0 + i;
        set[n].value.reg64 = 0xfff00000ULL | 1 << 11;
    }
    assert_regs_round_trip(&g, set, n);

    for (i = 0; i < ARRAY_SIZE(read_only); i++) {
        get_regs(&g, &read_only[i], 1, &before);
        set[0].name = read_only[i];
        set[0].value.reg128.low_part = ~before.reg128.low_part;
        set_regs(&g, set, 1);
        get_regs(&g, &read_only[i], 1, &after);
        g_assert_cmpmem(&before, sizeof(before), &after, sizeof(after));
    }
    g_assert_cmpuint(get_reg(&g, HV_REGISTER_HYPERVISOR_VERSION), !=, 0);
    g_assert_cmpuint(get_reg(&g, HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY), >,
                     100000000);
    g_assert_cmpuint(get_reg(&g, HV_X64_REGISTER_INITIAL_APIC_ID), ==, 0);
    /* CPUID 0x40000004: the TLB flush, IPI and Ex hints asked for */
    get_regs(&g, &read_only[1], 1, &before);
    g_assert_cmphex(before.reg128.low_part & 0xc04, ==, 0xc04);
    guest_fini(&g);
}

/* EDX:EAX, as RDMSR and RDTSC leave a 64-bit value. */
static uint64_t edx_eax(Guest *g)
{
    return get_reg(g, HV_X64_REGISTER_RDX) << 32 |
           (uint32_t)get_reg(g, HV_X64_REGISTER_RAX);
}

/*
 * What the guest sees of registers the VMM sets: SPEC_CTRL and
 * MISC_ENABLE read back by RDMSR, TSC_ADJUST moves RDTSC (and its WRMSR
 * moves the TSC back), PENDING_EVENT0 delivers its exception.
 */
static void test_register_guest_effects(void)
{
    static const uint8_t code[] = {
        0x66, 0xb9, 0x48, 0x00, 0x00, 0x00,     /* mov ecx, SPEC_CTRL */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0xa0, 0x01, 0x00, 0x00,     /* mov ecx, MISC_ENABLE */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x31,                             /* rdtsc */
        0xe6, 0x80,                             /* out 0x80, al */
        0x0f, 0x31,                             /* rdtsc */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x3b, 0x00, 0x00, 0x00,     /* mov ecx, TSC_ADJUST */
        0x0f, 0x32,                             /* rdmsr */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x0f, 0x31,                             /* rdtsc */
        0xe6, 0x80,                             /* out 0x80, al */
        0xe6, 0x82,                             /* out 0x82, al */
        0xf4,
    };
    static const uint8_t ud_handler[] = {
        0xe6, 0x96,                             /* out 0x96, al */
        0xf4,
    };
    const uint64_t moved = 1ULL << 44;
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_SPEC_CTRL, .value.reg64 = 5 },
        { .name = HV_X64_REGISTER_MSR_IA32_MISC_ENABLE, .value.reg64 = 0x81 },
    };
    struct hv_register_assoc event = {
        .name = HV_REGISTER_PENDING_EVENT0,
        .value.reg128.low_part = HV_PENDING_EVENT_PENDING |
            (uint64_t)HV_X64_PENDING_EVENT_EXCEPTION <<
                HV_PENDING_EVENT_TYPE_SHIFT |
            6ULL << HV_PENDING_EVENT_VECTOR_SHIFT,
    };
    uint64_t t1, t2, t3, adjust;
    Guest g;

    guest_init(&g, code, sizeof(code));
    set_handler(&g, 6, ud_handler, sizeof(ud_handler));
    set_regs(&g, regs, ARRAY_SIZE(regs));
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX), ==, 5);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xff, ==, 0x81);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    t1 = edx_eax(&g);
    adjust = get_reg(&g, HV_X64_REGISTER_TSC_ADJUST);
    set_reg(&g, HV_X64_REGISTER_TSC_ADJUST, adjust + moved);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    t2 = edx_eax(&g);
    g_assert_cmpuint(t2 - t1, >=, moved);
    g_assert_cmpuint(t2 - t1, <, moved + moved / 2);

    /* the guest reads the VMM's TSC_ADJUST, and its write moves back */
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    g_assert_cmphex(edx_eax(&g), ==, adjust + moved);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    t3 = edx_eax(&g);
    g_assert_cmpuint(t3, <, t2 - moved / 2);
    g_assert_cmpuint(get_reg(&g, HV_X64_REGISTER_TSC_ADJUST), ==, 0);

    /* a pending event reads back until the VP enters, then is taken */
    set_regs(&g, &event, 1);
    g_assert_cmphex(get_reg(&g, HV_REGISTER_PENDING_EVENT0), ==,
                    event.value.reg128.low_part);
    g_assert_cmpuint(run_to_out(&g), ==, 0x96);
    g_assert_cmphex(get_reg(&g, HV_REGISTER_PENDING_EVENT0), ==, 0);
    guest_fini(&g);
}

/* Real-mode code: mov eax/edx/ecx/esi, imm32 (the 32-bit convention). */
static uint8_t *put_mov32(uint8_t *p, uint8_t opcode, uint32_t imm)
{
    *p++ = 0x66;
    *p++ = opcode;
    stl_le_p(p, imm);
    return p + 4;
}

/*
 * A hypercall through the page at 0x3000 from @p (at GPA @gpa), control
 * in EDX:EAX, the input GPA or fast input in EBX:ECX and EDI:ESI (EBX
 * and EDI zero), then "out 0x80, al" with the status.
 */
static uint8_t *put_hypercall(uint8_t *p, uint64_t gpa, uint64_t control,
                              uint32_t ecx, uint32_t esi)
{
    uint8_t *start = p;

    p = put_mov32(p, 0xb8, control);            /* mov eax */
    p = put_mov32(p, 0xba, control >> 32);      /* mov edx */
    p = put_mov32(p, 0xb9, ecx);                /* mov ecx */
    p = put_mov32(p, 0xbe, esi);                /* mov esi */
    *p++ = 0xe8;                                /* call rel16 */
    stw_le_p(p, 0x3000 - (gpa + (p + 2 - start)));
    p += 2;
    *p++ = 0xe6;                                /* out 0x80, al */
    *p++ = 0x80;
    return p;
}

/* A real-mode handler: EOI (x2APIC), out 0x81 with AL = @vector, iret. */
static void put_ipi_handler(Guest *g, uint16_t at, uint8_t vector)
{
    static const uint8_t head[] = {
        0x66, 0x50, 0x66, 0x51, 0x66, 0x52,     /* push eax, ecx, edx */
        0x66, 0xb9, 0x0b, 0x08, 0x00, 0x00,     /* mov ecx, x2APIC EOI */
        0x66, 0x31, 0xc0,                       /* xor eax, eax */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0xb0, 0x00,                             /* mov al, vector */
        0xe6, 0x81,                             /* out 0x81, al */
        0x66, 0x5a, 0x66, 0x59, 0x66, 0x58,     /* pop edx, ecx, eax */
        0xcf,                                   /* iret */
    };

    memcpy(g->ram + at, head, sizeof(head));
    g->ram[at + 21] = vector;
    stw_le_p(g->ram + vector * 4, at);
}

/*
 * The guest's TLB flush and cluster IPI hypercalls (32-bit calling
 * convention, from real mode): hinted in CPUID, memory and fast input,
 * rep lists, the Ex forms' sparse VP sets, and the errors.  The IPIs
 * reach the caller's own handlers.
 */
static void test_hv_tlb_flush_and_ipi(void)
{
    static const uint8_t head[] = {
        0x66, 0xb8, 0x04, 0x00, 0x00, 0x40,     /* mov eax, 0x40000004 */
        0x0f, 0xa2,                             /* cpuid */
        0xe6, 0x80,                             /* out 0x80, al */
        0x66, 0xb9, 0x01, 0x00, 0x00, 0x40,     /* mov ecx, HYPERCALL */
        0x66, 0xb8, 0x01, 0x30, 0x00, 0x00,     /* mov eax, 0x3001 */
        0x66, 0x31, 0xd2,                       /* xor edx, edx */
        0x0f, 0x30,                             /* wrmsr */
        0x66, 0x31, 0xdb,                       /* xor ebx, ebx */
        0x66, 0x31, 0xff,                       /* xor edi, edi */
        0xfb,                                   /* sti */
    };
    const uint64_t varhead1 = 1ULL << HV_HYPERCALL_VARHEAD_SHIFT;
    const uint64_t reps2 = 2ULL << HV_HYPERCALL_REP_COUNT_SHIFT;
    const struct {
        uint64_t control;
        uint32_t ecx, esi;
    } calls[] = {
        { HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0x5000 },
        { HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST | reps2, 0x5000 },
        { HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, 0x5000 },      /* no reps */
        { HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0x5004 },     /* misaligned */
        { HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX | varhead1, 0x5200 },
        /* fast: vector 0x40, the mask of VP 0 */
        { HVCALL_SEND_IPI | HV_HYPERCALL_FAST_BIT, 0x40, 1 },
        { HVCALL_SEND_IPI_EX | varhead1, 0x5100 },          /* vector 0x41 */
        { HVCALL_SEND_IPI | HV_HYPERCALL_FAST_BIT, 0x05, 1 },
    };
    uint8_t prog[512], *p = prog;
    unsigned i;
    Guest g;

    memcpy(p, head, sizeof(head));
    p += sizeof(head);
    for (i = 0; i < ARRAY_SIZE(calls); i++) {
        p = put_hypercall(p, GUEST_CODE + (p - prog), calls[i].control,
                          calls[i].ecx, calls[i].esi);
    }
    *p++ = 0xf4;                                /* hlt */
    guest_init_features(&g, prog, p - prog,
                        MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES);
    put_ipi_handler(&g, 0x2100, 0x40);
    put_ipi_handler(&g, 0x2140, 0x41);
    set_reg(&g, HV_X64_REGISTER_RSP, 0x8000);
    /* flush input: address space, flags (all processors), mask; 2 GVAs */
    stq_le_p(g.ram + 0x5008, HV_FLUSH_ALL_PROCESSORS);
    stq_le_p(g.ram + 0x5018, 0x1000);
    stq_le_p(g.ram + 0x5020, 0x2000);
    /* IPI Ex input: vector 0x41, VTL 0, a sparse set of bank 0: VP 0 */
    stl_le_p(g.ram + 0x5100, 0x41);
    stq_le_p(g.ram + 0x5108, HV_GENERIC_SET_SPARSE_4K);
    stq_le_p(g.ram + 0x5110, 1);
    stq_le_p(g.ram + 0x5118, 1);
    /* flush Ex input: address space, flags 0, the same set */
    stq_le_p(g.ram + 0x5210, HV_GENERIC_SET_SPARSE_4K);
    stq_le_p(g.ram + 0x5218, 1);
    stq_le_p(g.ram + 0x5220, 1);
    /* x2APIC on, software-enabled, so the IPIs are taken */
    set_reg(&g, HV_X64_REGISTER_APIC_BASE, 0xfee00000 | 0xd00);
    lapic_on(&g);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);
    /* remote TLB flush, cluster IPI, Ex processor masks recommended */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xc04, ==, 0xc04);

    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* flush space */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_SUCCESS);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* flush list */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_SUCCESS);
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RDX) & 0xfff, ==, 2);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* no reps */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_INVALID_HYPERCALL_INPUT);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* misaligned */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_INVALID_ALIGNMENT);
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* flush Ex */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_SUCCESS);

    /* each IPI reaches its handler before the call returns its status */
    for (i = 0x40; i <= 0x41; i++) {
        g_assert_cmpuint(run_to_out(&g), ==, 0x81);
        g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xff, ==, i);
        g_assert_cmpuint(run_to_out(&g), ==, 0x80);
        g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                        HV_STATUS_SUCCESS);
    }
    g_assert_cmpuint(run_to_out(&g), ==, 0x80);         /* vector 5 */
    g_assert_cmphex(get_reg(&g, HV_X64_REGISTER_RAX) & 0xffff, ==,
                    HV_STATUS_INVALID_PARAMETER);
    guest_fini(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!getenv("MSHV_SIM_HV")) {
        g_test_message("MSHV_SIM_HV is not set: run through meson test");
    }
    g_test_add_func("/mshv-sim/abi/unknown-ioctls", test_unknown_ioctls);
    g_test_add_func("/mshv-sim/partition/create-flags",
                    test_create_partition_flags);
    g_test_add_func("/mshv-sim/partition/properties",
                    test_partition_properties);
    g_test_add_func("/mshv-sim/memory/rules", test_memory_rules);
    g_test_add_func("/mshv-sim/vp/limits", test_vp_limits);
    g_test_add_func("/mshv-sim/abi/bad-requests", test_bad_requests);
    g_test_add_func("/mshv-sim/vp/register-round-trip",
                    test_register_round_trip);
    g_test_add_func("/mshv-sim/vp/register-round-trip-system",
                    test_register_round_trip_system);
    g_test_add_func("/mshv-sim/vp/register-every-name",
                    test_register_every_name);
    g_test_add_func("/mshv-sim/vp/register-tlfs-names",
                    test_register_tlfs_names);
    g_test_add_func("/mshv-sim/vp/register-guest-effects",
                    test_register_guest_effects);
    g_test_add_func("/mshv-sim/hyperv/tlb-flush-and-ipi",
                    test_hv_tlb_flush_and_ipi);
    g_test_add_func("/mshv-sim/vp/register-page", test_register_page);
    g_test_add_func("/mshv-sim/vp/page-writes-survive-hypercall",
                    test_page_writes_survive_hypercall);
    g_test_add_func("/mshv-sim/intercept/io-port", test_io_port_intercepts);
    g_test_add_func("/mshv-sim/intercept/mmio", test_mmio_intercepts);
    g_test_add_func("/mshv-sim/mode/protected", test_protected_mode);
    g_test_add_func("/mshv-sim/mode/long-paging", test_long_mode_paging);
    g_test_add_func("/mshv-sim/hvcall/translate-checks",
                    test_translate_checks);
    g_test_add_func("/mshv-sim/hvcall/translate-32bit-paging",
                    test_translate_32bit_paging);
    g_test_add_func("/mshv-sim/intercept/cpuid-msr-exception",
                    test_cpuid_msr_exception_intercepts);
    g_test_add_func("/mshv-sim/ioeventfd/mmio-write", test_ioeventfd);
    g_test_add_func("/mshv-sim/irqfd/msi-route", test_irqfd_msi_route);
    g_test_add_func("/mshv-sim/interrupt/level-eoi-and-resample",
                    test_level_eoi_and_resample);
    g_test_add_func("/mshv-sim/vp/run-eintr", test_run_eintr);
    g_test_add_func("/mshv-sim/vp/run-eintr-while-watching",
                    test_run_eintr_while_watching);
    g_test_add_func("/mshv-sim/vp/flags-survive-stop",
                    test_flags_survive_stop);
    g_test_add_func("/mshv-sim/interrupt/pending-exception",
                    test_pending_exception);
    g_test_add_func("/mshv-sim/interrupt/window-extint",
                    test_interrupt_window_extint);
    g_test_add_func("/mshv-sim/interrupt/window-before-cli",
                    test_interrupt_window_before_cli);
    g_test_add_func("/mshv-sim/memory/dirty-bitmap", test_dirty_bitmap);
    g_test_add_func("/mshv-sim/vp/state-lapic", test_vp_state_lapic);
    g_test_add_func("/mshv-sim/hyperv/enlightenments",
                    test_hv_enlightenments);
    g_test_add_func("/mshv-sim/hyperv/synic", test_hv_synic);
    g_test_add_func("/mshv-sim/hyperv/sint-deliverable",
                    test_hv_sint_deliverable);
    g_test_add_func("/mshv-sim/hyperv/hypercall-intercept",
                    test_hv_hypercall_intercept);
    g_test_add_func("/mshv-sim/hyperv/partition-wide-msrs",
                    test_hv_partition_wide_msrs);
    g_test_add_func("/mshv-sim/vp/two-vps-ipi", test_two_vps_ipi);
    g_test_add_func("/mshv-sim/vp/startup-suspend", test_startup_suspend);
    g_test_add_func("/mshv-sim/vp/new-vp-tsc", test_new_vp_tsc);
    g_test_add_func("/mshv-sim/vp/apic-cpuid-and-x2apic",
                    test_apic_cpuid_and_x2apic);
    g_test_add_func("/mshv-sim/hyperv/eom-reads-zero",
                    test_hv_eom_reads_zero);
    g_test_add_func("/mshv-sim/partition/reference-time-restore",
                    test_reference_time_restore);
    g_test_add_func("/mshv-sim/vp/tsc-deadline-timer",
                    test_tsc_deadline_timer);
    g_test_add_func("/mshv-sim/hyperv/synthetic-timers", test_hv_stimers);
    g_test_add_func("/mshv-sim/hyperv/apic-msrs-and-idle",
                    test_hv_apic_msrs_and_idle);
    g_test_add_func("/mshv-sim/vp/concurrent-ioctls", test_concurrent_ioctls);
    g_test_add_func("/mshv-sim/vp/state-xsave", test_vp_state_xsave);
    g_test_add_func("/mshv-sim/vp/cpuid-values", test_vp_cpuid_values);
    g_test_add_func("/mshv-sim/memory/remap-runs-new-code",
                    test_remap_runs_new_code);
    return g_test_run();
}
