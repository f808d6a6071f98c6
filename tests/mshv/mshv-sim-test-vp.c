/*
 * MSHV simulator conformance: the register page, interrupt windows, pending
 * events, irqfds, dirty page tracking and the VP state blobs
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

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

int vp_state(Guest *g, unsigned long req, uint8_t type, void *buf,
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
void lapic_on(Guest *g)
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

void mshv_sim_test_add_vp(void)
{
    g_test_add_func("/mshv-sim/vp/register-page", test_register_page);
    g_test_add_func("/mshv-sim/vp/page-writes-survive-hypercall",
                    test_page_writes_survive_hypercall);
    g_test_add_func("/mshv-sim/irqfd/msi-route", test_irqfd_msi_route);
    g_test_add_func("/mshv-sim/interrupt/level-eoi-and-resample",
                    test_level_eoi_and_resample);
    g_test_add_func("/mshv-sim/vp/flags-survive-stop", test_flags_survive_stop);
    g_test_add_func("/mshv-sim/interrupt/pending-exception",
                    test_pending_exception);
    g_test_add_func("/mshv-sim/interrupt/window-extint",
                    test_interrupt_window_extint);
    g_test_add_func("/mshv-sim/interrupt/window-before-cli",
                    test_interrupt_window_before_cli);
    g_test_add_func("/mshv-sim/memory/dirty-bitmap", test_dirty_bitmap);
    g_test_add_func("/mshv-sim/vp/state-lapic", test_vp_state_lapic);
    g_test_add_func("/mshv-sim/vp/state-xsave", test_vp_state_xsave);
    g_test_add_func("/mshv-sim/memory/remap-runs-new-code",
                    test_remap_runs_new_code);
}
