/*
 * MSHV simulator conformance: concurrent ioctls, CPUID/MSR/exception
 * intercepts, synthetic timers, the EOM read, APIC MSRs and idle
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

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

void mshv_sim_test_add_intercepts(void)
{
    g_test_add_func("/mshv-sim/intercept/cpuid-msr-exception",
                    test_cpuid_msr_exception_intercepts);
    g_test_add_func("/mshv-sim/hyperv/eom-reads-zero", test_hv_eom_reads_zero);
    g_test_add_func("/mshv-sim/hyperv/synthetic-timers", test_hv_stimers);
    g_test_add_func("/mshv-sim/hyperv/apic-msrs-and-idle",
                    test_hv_apic_msrs_and_idle);
    g_test_add_func("/mshv-sim/vp/concurrent-ioctls", test_concurrent_ioctls);
}
