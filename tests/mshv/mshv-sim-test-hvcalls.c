/*
 * MSHV simulator conformance: MSHV_RUN_VP and EINTR (and what the VMM
 * completed meanwhile), the TLFS register names and their effects on the
 * guest, the TLB flush and IPI hypercalls
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "mshv-sim-test.h"

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

typedef struct Kicker {
    pthread_t target;
    bool stop;
} Kicker;

static void *kick_thread(void *opaque)
{
    Kicker *k = opaque;
    unsigned n = 0;

    while (!qatomic_read(&k->stop)) {
        pthread_kill(k->target, SIGUSR1);
        /* 0-63 us apart: some land while a run is posted, not yet taken */
        g_usleep(n++ * 7 % 64);
    }
    return NULL;
}

/*
 * MSHV_RUN_VP interrupted at any moment, as QEMU's vCPU kicks do (every
 * "info registers"): each OUT the VMM completed through the register
 * page runs once, none is lost and none runs again.  The guest counts in
 * AL and writes each count out; a completion lost to a cancellation (the
 * register page filled again from the VP) shows as a count seen twice.
 */
static void test_run_eintr_completions(void)
{
    static const uint8_t code[] = {
        0xfe, 0xc0,                 /* inc al */
        0xe6, 0x80,                 /* out 0x80, al */
        0xeb, 0xfa,                 /* jmp inc */
    };
    struct sigaction sa = { .sa_handler = on_signal };
    struct hv_vp_register_page *rp;
    Kicker k = { .target = pthread_self() };
    pthread_t kicker;
    unsigned outs = 0, eintrs = 0;
    Guest g;

    guest_init(&g, code, sizeof(code));
    rp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g.vp,
              MSHV_VP_MMAP_OFFSET_REGISTERS * 4096);
    g_assert(rp != MAP_FAILED);
    sigemptyset(&sa.sa_mask);
    g_assert_cmpint(sigaction(SIGUSR1, &sa, NULL), ==, 0);
    g_assert_cmpint(pthread_create(&kicker, NULL, kick_thread, &k), ==, 0);
    /* enough of both, however the kicks fall: a bound, not a timeout */
    while ((outs < 20000 || eintrs < 200) && outs < 2000000) {
        struct mshv_run_vp run;
        struct hv_x64_io_port_intercept_message *io = (void *)
            ((struct hv_message *)run.msg_buf)->payload;

        if (ioctl(g.vp, MSHV_RUN_VP, &run) < 0) {
            g_assert_cmpint(errno, ==, EINTR);
            eintrs++;
            continue;
        }
        g_assert_cmphex(((struct hv_message *)run.msg_buf)->header.message_type,
                        ==, HVMSG_X64_IO_PORT_INTERCEPT);
        g_assert_cmphex(io->rax & 0xff, ==, (outs + 1) & 0xff);
        outs++;
        rp->rip = io->header.rip + 2;
        rp->dirty = 1u << HV_X64_REGISTER_CLASS_IP;
    }
    qatomic_set(&k.stop, true);
    pthread_join(kicker, NULL);
    g_test_message("%u OUTs, %u interrupted runs", outs, eintrs);
    g_assert_cmpuint(eintrs, >=, 200);
    munmap(rp, 4096);
    guest_fini(&g);
}

/* A property of the host, as /dev/mshv answers it. */
static uint64_t host_property(uint32_t code)
{
    struct hv_input_get_partition_property in = { .property_code = code };
    struct hv_output_get_partition_property out;
    int dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    uint16_t status;

    g_assert_cmpint(dev, >=, 0);
    g_assert_cmpint(hvcall(dev, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
                           sizeof(in), &out, sizeof(out), &status), ==, 0);
    close(dev);
    return out.property_value;
}

/*
 * A VP reports the TSC rate the driver side answers with, which is the
 * one it hands the hypervisor process: in a fresh client told an odd
 * rate, that rate on both sides, where a measurement would differ.
 */
static void test_tsc_rate_handed_over(void)
{
    static const uint8_t code[] = { 0xf4 };
    const uint64_t hz = 2345000000ULL;
    Guest g;

    if (g_test_subprocess()) {
        guest_init(&g, code, sizeof(code));
        g_assert_cmpuint(
            host_property(HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY),
            ==, hz);
        g_assert_cmpuint(get_reg(&g, HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY),
                         ==, hz);
        guest_fini(&g);
        return;
    }
    g_setenv(MSHV_SIM_ENV_HOST_TSC_HZ, "2345000000", TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_unsetenv(MSHV_SIM_ENV_HOST_TSC_HZ);
    g_test_trap_assert_passed();
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
    uint64_t hz;
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
    /* the driver side's figure (of /dev/mshv) and the hypervisor's agree */
    hz = host_property(HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY);
    g_assert_cmpuint(get_reg(&g, HV_REGISTER_PROCESSOR_CLOCK_FREQUENCY), ==,
                     hz);
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

void mshv_sim_test_add_hvcalls(void)
{
    g_test_add_func("/mshv-sim/vp/register-tlfs-names",
                    test_register_tlfs_names);
    g_test_add_func("/mshv-sim/vp/register-guest-effects",
                    test_register_guest_effects);
    g_test_add_func("/mshv-sim/hyperv/tlb-flush-and-ipi",
                    test_hv_tlb_flush_and_ipi);
    g_test_add_func("/mshv-sim/registers/tsc-rate-handed-over",
                    test_tsc_rate_handed_over);
    g_test_add_func("/mshv-sim/vp/run-eintr", test_run_eintr);
    g_test_add_func("/mshv-sim/vp/run-eintr-while-watching",
                    test_run_eintr_while_watching);
    g_test_add_func("/mshv-sim/vp/run-eintr-completions",
                    test_run_eintr_completions);
}
