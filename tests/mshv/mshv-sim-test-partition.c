/*
 * MSHV simulator conformance: partitions, memory rules, the ABI's
 * refusals, register round trips and the port I/O and MMIO intercepts
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

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

/*
 * Thousands of one-page regions, mapped while the VP does not run (they
 * share one memory transaction in the simulator): mapped up to the
 * simulator's limit, then refused with ENOMEM -- its hypervisor process
 * stays up -- and the last one mapped is what the VP reads right after.
 */
static void test_many_regions(void)
{
    static const uint8_t code[] = {
        0xa1, 0x00, 0x00,           /* mov ax, [0] */
        0xe6, 0x10,                 /* out 0x10, al */
    };
    const unsigned most = 5000;
    uint8_t *pages = shared_memory(most * 0x1000, NULL);
    struct hv_message msg;
    struct hv_x64_io_port_intercept_message *io = (void *)msg.payload;
    struct hv_register_assoc ds = { .name = HV_X64_REGISTER_DS };
    unsigned n;
    Guest g;

    guest_init(&g, code, sizeof(code));
    for (n = 0; n < most; n++) {
        pages[n * 0x1000] = n * 7;
        if (map_memory(g.pt, 0x1000000 + n * 0x1000, pages + n * 0x1000,
                       0x1000, 1 << MSHV_SET_MEM_BIT_WRITABLE) < 0) {
            break;
        }
    }
    g_assert_cmpint(errno, ==, ENOMEM);
    g_assert_cmpuint(n, >, 4000);
    g_assert_cmpuint(n, <, most);

    ds.value.segment = (struct hv_x64_segment_register) {
        .base = 0x1000000 + (n - 1) * 0x1000, .limit = 0xffff,
        .attributes = 0x93,
    };
    set_regs(&g, &ds, 1);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_X64_IO_PORT_INTERCEPT);
    g_assert_cmphex(io->rax & 0xff, ==, (uint8_t)((n - 1) * 7));

    guest_fini(&g);
    munmap(pages, most * 0x1000);
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
void assert_regs_round_trip(Guest *g,
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

void mshv_sim_test_add_partition(void)
{
    g_test_add_func("/mshv-sim/abi/unknown-ioctls", test_unknown_ioctls);
    g_test_add_func("/mshv-sim/partition/create-flags",
                    test_create_partition_flags);
    g_test_add_func("/mshv-sim/partition/properties",
                    test_partition_properties);
    g_test_add_func("/mshv-sim/memory/rules", test_memory_rules);
    g_test_add_func("/mshv-sim/memory/many-regions", test_many_regions);
    g_test_add_func("/mshv-sim/vp/limits", test_vp_limits);
    g_test_add_func("/mshv-sim/abi/bad-requests", test_bad_requests);
    g_test_add_func("/mshv-sim/vp/register-round-trip",
                    test_register_round_trip);
    g_test_add_func("/mshv-sim/vp/register-round-trip-system",
                    test_register_round_trip_system);
    g_test_add_func("/mshv-sim/vp/register-every-name",
                    test_register_every_name);
    g_test_add_func("/mshv-sim/intercept/io-port", test_io_port_intercepts);
    g_test_add_func("/mshv-sim/intercept/mmio", test_mmio_intercepts);
    g_test_add_func("/mshv-sim/ioeventfd/mmio-write", test_ioeventfd);
}
