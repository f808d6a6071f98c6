/*
 * irq-check, with "synic=1": QEMU's SynIC code (hyperv-testdev) on the
 * hypervisor's SynIC -- a message and an event flag on each SINT, and a
 * message to a full slot retried after the guest's EOM.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "irq-check.h"

#define HV_MSR_GUEST_OS_ID  0x40000000
#define HV_MSR_HYPERCALL    0x40000001
#define HV_MSR_SCONTROL     0x40000080
#define HV_MSR_SIEFP        0x40000082
#define HV_MSR_SIMP         0x40000083
#define HV_MSR_EOM          0x40000084
#define HV_MSR_SINT0        0x40000090
#define HV_POST_MESSAGE     0x5c
#define HV_SIGNAL_EVENT     0x5d
#define HV_HYPERCALL_FAST   (1u << 16)
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x13
#define HV_MSG_PENDING      0x01

/* hyperv-testdev: port 0x3000, SINT | VP << 8 | command << 16 | conn << 24 */
#define HVTEST_PORT         0x3000
#define HVTEST_MSG_CONN     4
#define HVTEST_EVT_CONN     6

#define SINTS               16

struct hv_message {
    uint32_t type;
    uint8_t size, flags, rsvd[2];
    uint64_t sender;
    uint8_t payload[240];
};

static uint8_t hcall_page[4096] __attribute__((aligned(4096)));
/* the hypervisor writes these pages behind the compiler's back */
static volatile struct hv_message simp[SINTS] /* volatile: hypervisor's */
    __attribute__((aligned(4096)));
static volatile uint8_t siefp[SINTS][256] /* volatile: hypervisor's */
    __attribute__((aligned(4096)));
static struct {
    uint32_t conn, rsvd, type, size;
    uint8_t payload[240];
} post_in __attribute__((aligned(4096)));
static void *hcall_entry = hcall_page;

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                 "d"((uint32_t)(v >> 32)));
}

/* TLFS 32-bit convention: EDX:EAX control, EBX:ECX input, EDI:ESI output */
static uint64_t hypercall(uint32_t control, uint32_t in)
{
    uint32_t lo, hi;

    asm volatile("call *%[page]"
                 : "=a"(lo), "=d"(hi)
                 : "a"(control), "d"(0), "b"(0), "c"(in), "D"(0), "S"(0),
                   [page] "m"(hcall_entry)
                 : "memory", "cc");
    return (uint64_t)hi << 32 | lo;
}

static void synic_init(void)
{
    unsigned i;

    wrmsr(HV_MSR_GUEST_OS_ID, 1);
    wrmsr(HV_MSR_HYPERCALL, (uint32_t)hcall_page | 1);
    wrmsr(HV_MSR_SIMP, (uint32_t)simp | 1);
    wrmsr(HV_MSR_SIEFP, (uint32_t)siefp | 1);
    for (i = 0; i < SINTS; i++) {
        wrmsr(HV_MSR_SINT0 + i, VEC_SINT0 + i);
    }
    wrmsr(HV_MSR_SCONTROL, 1);
}

/* Empty a message slot the guest has read, as a SynIC driver does. */
static void synic_consume(unsigned sint)
{
    simp[sint].type = 0;
    asm volatile("mfence" : : : "memory");
    if (simp[sint].flags & HV_MSG_PENDING) {
        wrmsr(HV_MSR_EOM, 0);
    }
}

/*
 * HvPostMessage, tried again for up to a second while the host has no
 * buffer for it (QEMU still finishing the previous message on this
 * connection), as the TLFS asks of a guest and as Linux does.
 */
static uint64_t post_message(uint32_t conn, uint32_t type, uint8_t tag)
{
    uint64_t end = rdtsc() + tsc_per_ms * 1000, r;

    post_in.conn = conn;
    post_in.type = type;
    post_in.size = 8;
    post_in.payload[0] = tag;
    do {
        r = hypercall(HV_POST_MESSAGE, (uint32_t)&post_in);
    } while ((uint16_t)r == HV_STATUS_INSUFFICIENT_BUFFERS && rdtsc() < end);
    return r;
}

static void test_synic_messages(void)
{
    unsigned s, ok = 0;
    uint64_t r;

    for (s = 0; s < SINTS; s++) {
        outl(HVTEST_PORT, s | HVTEST_MSG_CONN << 16 | (s + 1) << 24);
        r = post_message(s + 1, 0x100 + s, s);
        if (r == 0 &&
            wait_count(&counts[0][VEC_SINT0 + s], 1, 1000) == 1 &&
            simp[s].type == 0x100 + s && simp[s].size == 8 &&
            simp[s].payload[0] == s) {
            ok++;
        }
        synic_consume(s);
    }
    report("synic-messages", ok == SINTS,
           "SINTs whose message came back", ok);
}

static void test_synic_events(void)
{
    unsigned s, ok = 0, flag;
    uint64_t r;

    for (s = 0; s < SINTS; s++) {
        flag = 32 + s;
        outl(HVTEST_PORT, s | HVTEST_EVT_CONN << 16 | flag << 24);
        r = hypercall(HV_SIGNAL_EVENT | HV_HYPERCALL_FAST, flag);
        if (r == 0 &&
            wait_count(&counts[0][VEC_SINT0 + s], 2, 1000) == 2 &&
            (siefp[s][flag / 8] & (1u << (flag % 8)))) {
            ok++;
        }
        siefp[s][flag / 8] = 0;
    }
    report("synic-events", ok == SINTS, "SINTs whose event flag came", ok);
}

static void test_synic_busy_retry(void)
{
    uint32_t n = counts[0][VEC_SINT0];
    uint64_t posted;
    bool pending;

    /* A arrives and stays unread; B finds the slot full */
    post_message(1, 0x200, 0xa);
    wait_count(&counts[0][VEC_SINT0], n + 1, 1000);
    posted = post_message(1, 0x201, 0xb);
    settle(50);
    pending = posted == 0 && simp[0].type == 0x200 &&
              (simp[0].flags & HV_MSG_PENDING);
    /* the guest reads A and says so: B follows */
    synic_consume(0);
    wait_count(&counts[0][VEC_SINT0], n + 2, 2000);
    report("synic-busy-retry",
           pending && simp[0].type == 0x201 && simp[0].payload[0] == 0xb,
           "message type in the slot", simp[0].type);
    synic_consume(0);
}

void synic_check(void)
{
    synic_init();
    test_synic_messages();
    test_synic_events();
    test_synic_busy_retry();
}
