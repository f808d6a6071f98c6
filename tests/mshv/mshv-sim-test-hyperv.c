/*
 * MSHV simulator conformance: the Hyper-V enlightenments (CPUID values,
 * SynIC, SINT notifications, hypercall intercepts), two VPs, the TSC and
 * the APIC's CPUID
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

/* ---- Hyper-V enlightenments ---------------------------------------------- */

/* Run to the next "out 0x80/0x81, al" and step past it; returns the port. */
unsigned run_to_out(Guest *g)
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

int cpuid_values(Guest *g, uint32_t flags,
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

    /*
     * A request while the slot holds a message not flagged pending (one
     * the hypervisor put there since, as a timer's at an EOM): flagged,
     * so that the guest's EOM comes and with it the notification.
     */
    stl_le_p(slot, 0xc);
    stb_p(slot + 5, 0);
    set_reg(&g, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, want_sint2);
    g_assert_cmphex(ldub_p(slot + 5), ==, HV_MESSAGE_FLAG_PENDING);
    stl_le_p(slot, HVMSG_NONE);
    run(&g, &msg);
    g_assert_cmphex(msg.header.message_type, ==, HVMSG_SYNIC_SINT_DELIVERABLE);
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

gpointer run_to_message(gpointer opaque)
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

void mshv_sim_test_add_hyperv(void)
{
    g_test_add_func("/mshv-sim/hyperv/enlightenments", test_hv_enlightenments);
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
    g_test_add_func("/mshv-sim/partition/reference-time-restore",
                    test_reference_time_restore);
    g_test_add_func("/mshv-sim/vp/tsc-deadline-timer", test_tsc_deadline_timer);
    g_test_add_func("/mshv-sim/vp/cpuid-values", test_vp_cpuid_values);
}
