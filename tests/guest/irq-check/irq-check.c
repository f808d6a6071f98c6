/*
 * Guest program: interrupt delivery, checked without an OS in the way.
 *
 * Booted bare (PVH) with two vCPUs, "-device pc-testdev" (its port 0x2000
 * drives ISA IRQ lines from the guest) and "-device isa-debug-exit".
 * Each case prints "irq-check: NAME ok" or "irq-check: NAME FAILED: why"
 * on COM1; the program ends with a summary line and leaves through
 * isa-debug-exit (status 1 when every case passed, 3 otherwise).
 *
 * What it covers, and which path of the accelerator each case takes:
 *   self-ipi, nmi-self    the hypervisor's LAPIC alone
 *   ap-start              INIT/SIPI to the second vCPU
 *   ipi-to-ap, ipi-back   fixed IPIs between the vCPUs
 *   nmi-ap                NMI IPI to the other vCPU
 *   nmi-wakes-cli-hlt     an NMI ends a halt with interrupts off; a
 *                         fixed IPI waits for STI
 *   lapic-timer           the LAPIC timer, periodic
 *   pic-timer             PIT -> 8259 -> LINT0 ExtINT (QEMU's PIC, the
 *                         hypervisor's virtual wire)
 *   extint-and-lapic      an ExtINT and a LAPIC vector pending at once
 *   ioapic-edge           pc-testdev line -> IOAPIC -> assert interrupt
 *   ioapic-level          a level line held high fires again after each
 *                         EOI (HVMSG_X64_APIC_EOI -> IOAPIC) until lowered
 *   ioapic-remote-irr     and the IOAPIC's remote IRR is clear after it
 *   ioapic-logical        logical destination mode to the second vCPU
 *   ioapic-physical-ap    physical destination to the second vCPU
 *
 * With "synic=1" on its command line (and "-device hyperv-testdev", whose
 * port 0x3000 makes QEMU's SynIC code answer the guest) it runs, instead,
 * the cases of QEMU's Hyper-V devices on the hypervisor's SynIC:
 *   synic-messages        HvPostMessage to a connection on each of the 16
 *                         SINTs; QEMU posts it back into that SINT's slot
 *                         and the SINT's vector fires
 *   synic-events          HvSignalEvent (fast) for a connection on each
 *                         SINT; QEMU sets the flag in that SINT's part of
 *                         the event page and the vector fires
 *   synic-busy-retry      a message QEMU posts to a full slot is marked
 *                         pending and arrives once the guest empties the
 *                         slot and writes EOM
 *
 * With "bench=N" on its command line (-append) it runs no cases but times
 * N IOAPIC edge interrupts, one at a time, for make bench: it prints
 * "irq-bench: ioapic N TOTAL_US P50_US10 P99_US10" (latencies from the
 * port write that raises the line to the handler, in tenths of a
 * microsecond).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "irq-check.h"

static uint64_t idt[256];
static struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) idt_desc = { sizeof(idt) - 1, (uint32_t)idt };

/* Written by interrupt handlers and the other vCPU: volatile. */
volatile uint32_t counts[MAX_CPUS][256];
static volatile bool ap_online;                 /* set by the AP */
/* the AP halts with interrupts off while set (volatile: shared) */
static volatile bool ap_cli_hlt;
static volatile uint32_t ap_wakes;              /* counted by the AP */
static volatile uint32_t level_lower_after = 2;     /* read by isr() */
static unsigned passed, failed;
uint64_t tsc_per_ms;
static volatile uint64_t edge_tsc;              /* set by isr() */
static volatile uint16_t ferr_fsw;              /* set by isr() */


static uint32_t ioapic_read(uint32_t reg)
{
    mmio_write(IOAPIC_BASE, reg);
    return mmio_read(IOAPIC_BASE + 0x10);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    mmio_write(IOAPIC_BASE, reg);
    mmio_write(IOAPIC_BASE + 0x10, v);
}

static void ioapic_route(unsigned pin, uint32_t low, uint8_t dest)
{
    ioapic_write(IOREDTBL(pin) + 1, (uint32_t)dest << 24);
    ioapic_write(IOREDTBL(pin), low);
}

static void set_line(unsigned isa_irq, bool level)
{
    outb(TESTDEV_IRQ_PORT + isa_irq, level);
}

static unsigned apic_id(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

static void send_ipi(uint8_t dest, uint32_t icr)
{
    lapic_write(LAPIC_ICR_HI, (uint32_t)dest << 24);
    lapic_write(LAPIC_ICR_LO, icr);
    while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY) {
        asm volatile("pause");
    }
}

/* ---- Output -------------------------------------------------------------- */

static void putc_serial(char c)
{
    while (!(inb(COM1 + 5) & 0x20)) {
        asm volatile("pause");
    }
    outb(COM1, c);
}

static void puts_serial(const char *s)
{
    while (*s) {
        putc_serial(*s++);
    }
}

static void putu(uint32_t v)
{
    char buf[11];
    int i = sizeof(buf);

    buf[--i] = 0;
    do {
        buf[--i] = '0' + v % 10;
        v /= 10;
    } while (v);
    puts_serial(buf + i);
}

static void puthex(uint32_t v)
{
    int i;

    puts_serial("0x");
    for (i = 28; i >= 0; i -= 4) {
        putc_serial("0123456789abcdef"[(v >> i) & 0xf]);
    }
}

static void finish(void)
{
    puts_serial("irq-check: ");
    putu(passed);
    puts_serial(" passed, ");
    putu(failed);
    puts_serial(" failed\r\n");
    outl(DEBUG_EXIT_PORT, failed ? 1 : 0);
    for (;;) {
        asm volatile("cli; hlt");
    }
}

/* ---- Cases --------------------------------------------------------------- */

void report(const char *name, bool ok, const char *why, uint32_t got)
{
    puts_serial("irq-check: ");
    puts_serial(name);
    if (ok) {
        passed++;
        puts_serial(" ok\r\n");
        return;
    }
    failed++;
    puts_serial(" FAILED: ");
    puts_serial(why);
    puts_serial(" (got ");
    putu(got);
    puts_serial(")\r\n");
}

/* Wait with interrupts on until *count reaches want or @ms pass. */
uint32_t wait_count(volatile uint32_t *count, uint32_t want, uint32_t ms)
{
    uint64_t end = rdtsc() + tsc_per_ms * ms;

    asm volatile("sti");
    while (*count < want && rdtsc() < end) {
        asm volatile("pause");
    }
    asm volatile("cli");
    return *count;
}

/* Let stray deliveries arrive before a count is judged exact. */
void settle(uint32_t ms)
{
    uint64_t end = rdtsc() + tsc_per_ms * ms;

    asm volatile("sti");
    while (rdtsc() < end) {
        asm volatile("pause");
    }
    asm volatile("cli");
}

void isr(struct Frame *f)
{
    unsigned cpu = apic_id();
    unsigned v = f->vector;

    if (cpu >= MAX_CPUS) {
        cpu = MAX_CPUS - 1;
    }
    if (v < 32 && v != VEC_NMI) {
        puts_serial("irq-check: unexpected exception ");
        putu(v);
        puts_serial(" error ");
        puthex(f->error);
        puts_serial(" at eip ");
        puthex(f->eip);
        puts_serial("\r\n");
        failed++;
        finish();
    }
    counts[cpu][v]++;
    switch (v) {
    case VEC_EDGE:
        edge_tsc = rdtsc();
        break;
    case VEC_NMI:
    case VEC_SPURIOUS:
        return;                     /* no EOI for either */
    case VEC_PIC_BASE:
        outb(0x20, 0x20);           /* ExtINT: the 8259 wants the EOI */
        return;
    case VEC_TO_AP:
        send_ipi(0, ICR_FIXED | ICR_ASSERT | VEC_TO_BSP);
        break;
    case VEC_FERR:
        /* what DOS-era handlers do: read the error, clear it, ack 0xf0 */
        asm volatile("fnstsw %0; fnclex" : "=m"(ferr_fsw));
        outb(0xf0, 0);
        break;
    case VEC_LEVEL:
        /* Keep the line up for the first deliveries: each EOI re-fires. */
        if (counts[cpu][v] >= level_lower_after) {
            set_line(LEVEL_PIN, false);
        }
        break;
    }
    lapic_write(LAPIC_EOI, 0);
}

static void idt_init(void)
{
    unsigned i;

    for (i = 0; i < 256; i++) {
        uint32_t off = (uint32_t)isr_stubs + 16 * i;

        idt[i] = (off & 0xffff) | 0x08u << 16 |
                 (uint64_t)((off & 0xffff0000u) | 0x8e00) << 32;
    }
}

static void lapic_init(void)
{
    asm volatile("lidt %0" : : "m"(idt_desc));
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_DFR, 0xffffffff);             /* flat model */
    lapic_write(LAPIC_LDR, (1u << apic_id()) << 24);
}

void ap_main(void)
{
    lapic_init();
    ap_online = true;
    for (;;) {
        if (ap_cli_hlt) {
            /* only an NMI (or INIT) ends this halt */
            asm volatile("cli; hlt");
            ap_wakes++;
            ap_cli_hlt = false;
            continue;
        }
        asm volatile("sti; hlt; cli");
    }
}

/* The TSC against the PIT's channel 2 one-shot: 10 ms. */
static void calibrate_tsc(void)
{
    uint64_t start;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);     /* gate on, speaker off */
    outb(0x43, 0xb0);                           /* ch2, lo/hi, mode 0 */
    outb(0x42, 11932 & 0xff);
    outb(0x42, 11932 >> 8);
    start = rdtsc();
    while (!(inb(0x61) & 0x20)) {
        asm volatile("pause");
    }
    tsc_per_ms = (uint32_t)(rdtsc() - start) / 10;
    if (!tsc_per_ms) {
        tsc_per_ms = 1000000;
    }
}

static void test_self_ipi(void)
{
    send_ipi(0, ICR_SELF | ICR_FIXED | ICR_ASSERT | VEC_SELF);
    report("self-ipi", wait_count(&counts[0][VEC_SELF], 1, 1000) == 1,
           "self IPI not delivered once", counts[0][VEC_SELF]);
}

static void test_nmi_self(void)
{
    send_ipi(apic_id(), ICR_NMI | ICR_ASSERT);
    report("nmi-self", wait_count(&counts[0][VEC_NMI], 1, 1000) == 1,
           "NMI not delivered once", counts[0][VEC_NMI]);
}

static void test_ap_start(void)
{
    const char *s;
    char *d = (char *)TRAMPOLINE_BASE;
    uint64_t end;

    for (s = trampoline_start; s < trampoline_end; s++) {
        *d++ = *s;
    }
    send_ipi(1, ICR_INIT | ICR_ASSERT);
    settle(10);
    send_ipi(1, ICR_STARTUP | ICR_ASSERT | TRAMPOLINE_BASE >> 12);
    settle(1);
    if (!ap_online) {
        send_ipi(1, ICR_STARTUP | ICR_ASSERT | TRAMPOLINE_BASE >> 12);
    }
    end = rdtsc() + tsc_per_ms * 5000;
    while (!ap_online && rdtsc() < end) {
        asm volatile("pause");
    }
    report("ap-start", ap_online, "second vCPU did not come up", 0);
}

static void test_ipis(void)
{
    send_ipi(1, ICR_FIXED | ICR_ASSERT | VEC_TO_AP);
    report("ipi-to-ap", wait_count(&counts[1][VEC_TO_AP], 1, 2000) == 1,
           "IPI to the second vCPU not delivered once", counts[1][VEC_TO_AP]);
    report("ipi-back", wait_count(&counts[0][VEC_TO_BSP], 1, 2000) == 1,
           "IPI from the second vCPU not delivered once",
           counts[0][VEC_TO_BSP]);
    send_ipi(1, ICR_NMI | ICR_ASSERT);
    report("nmi-ap", wait_count(&counts[1][VEC_NMI], 1, 2000) == 1,
           "NMI to the second vCPU not delivered once", counts[1][VEC_NMI]);
}

/*
 * HLT with interrupts off: a fixed IPI stays pending and the vCPU stays
 * halted; an NMI wakes it, and the IPI is taken once it enables
 * interrupts again.
 */
static void test_nmi_wakes_cli_hlt(void)
{
    uint32_t kicks = counts[1][VEC_KICK], woke_early;

    ap_cli_hlt = true;
    send_ipi(1, ICR_FIXED | ICR_ASSERT | VEC_KICK);    /* into its loop */
    wait_count(&counts[1][VEC_KICK], kicks + 1, 2000);
    settle(50);
    send_ipi(1, ICR_FIXED | ICR_ASSERT | VEC_KICK);    /* stays pending */
    settle(100);
    woke_early = ap_wakes;
    send_ipi(1, ICR_NMI | ICR_ASSERT);
    report("nmi-wakes-cli-hlt",
           !woke_early && wait_count(&ap_wakes, 1, 2000) == 1 &&
           wait_count(&counts[1][VEC_KICK], kicks + 2, 2000) == kicks + 2,
           "halted vCPU: early wake-ups, then wake-ups and IPIs",
           woke_early << 16 | ap_wakes << 8 | (counts[1][VEC_KICK] - kicks));
}

/*
 * An x87 error with CR0.NE clear (MS-DOS compatible reporting): no #MF,
 * but FERR# and ISA IRQ 13, once, with the error still in the status
 * word for the handler; the FWAIT that found it then completes.
 */
static void test_legacy_fp_error(void)
{
    static const uint16_t unmask_zero_divide = 0x037f & ~(1u << 2);
    static const uint32_t zero;         /* 0.0f */
    uint32_t cr0, n;

    ioapic_route(13, VEC_FERR, 0);
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    /* MP, no EM, TS or NE */
    asm volatile("mov %0, %%cr0" : : "r"((cr0 | 2u) & ~(4u | 8u | 32u)));
    asm volatile("fninit; fldcw %0; fld1; fdivs %1; sti; nop; fwait; cli"
                 : : "m"(unmask_zero_divide), "m"(zero));
    n = wait_count(&counts[0][VEC_FERR], 1, 2000);
    settle(20);
    n = counts[0][VEC_FERR];
    asm volatile("fninit; mov %0, %%cr0" : : "r"(cr0));
    ioapic_route(13, RTE_MASKED, 0);
    /* FSW: ES (bit 7) and ZE (bit 2) */
    report("legacy-fp-error", n == 1 && (ferr_fsw & 0x84) == 0x84,
           "not one IRQ 13 with the zero-divide error pending",
           n << 16 | ferr_fsw);
}

static void test_lapic_timer(void)
{
    uint32_t n;

    lapic_write(LAPIC_TIMER_DIV, 0xb);                  /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, (1u << 17) | VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 200000);
    n = wait_count(&counts[0][VEC_LAPIC_TIMER], 5, 5000);
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);             /* masked */
    lapic_write(LAPIC_TIMER_INIT, 0);
    report("lapic-timer", n >= 5, "fewer than 5 periodic ticks", n);
}

/* 8259 pair (master 0x20, slave 0x28), only IRQ0 open; PIT at 1 kHz. */
static void pic_timer_start(void)
{
    outb(0x20, 0x11);
    outb(0x21, VEC_PIC_BASE);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa1, VEC_PIC_BASE + 8);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, 0xfe);
    outb(0xa1, 0xff);
    /* virtual wire: LINT0 takes the 8259's INTR as ExtINT */
    lapic_write(LAPIC_LVT_LINT0, 0x700);
    lapic_write(LAPIC_LVT_LINT1, 0x400);
    /* PIT channel 0, rate generator */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
}

static void pic_timer_stop(void)
{
    outb(0x21, 0xff);
    lapic_write(LAPIC_LVT_LINT0, 1u << 16);
    settle(5);
}

static void test_pic_timer(void)
{
    uint32_t n;

    pic_timer_start();
    n = wait_count(&counts[0][VEC_PIC_BASE], 10, 5000);
    pic_timer_stop();
    report("pic-timer", n >= 10, "fewer than 10 IRQ0s through ExtINT", n);
}

/*
 * An ExtINT and a LAPIC vector pending together when interrupts open:
 * ExtINT goes first (it ignores priorities), and the LAPIC's vector
 * must still follow.
 */
static void test_extint_and_lapic(void)
{
    uint32_t pic = counts[0][VEC_PIC_BASE];
    uint32_t timer = counts[0][VEC_LAPIC_TIMER];
    uint64_t end;
    uint32_t n;

    pic_timer_start();
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);          /* one-shot */
    lapic_write(LAPIC_TIMER_INIT, 1000);
    /* both become pending while IF=0 (the PIT ticks every 1 ms) */
    end = rdtsc() + tsc_per_ms * 20;
    while (rdtsc() < end) {
        asm volatile("pause");
    }
    n = wait_count(&counts[0][VEC_LAPIC_TIMER], timer + 1, 2000) - timer;
    pic_timer_stop();
    lapic_write(LAPIC_LVT_TIMER, 1u << 16);
    report("extint-and-lapic", n == 1 && counts[0][VEC_PIC_BASE] > pic,
           "the LAPIC vector pending behind an ExtINT was not delivered",
           n);
}

/* One edge on EDGE_PIN routed to @dest: the second vCPU only takes it. */
static void ioapic_to_ap(const char *name, uint32_t mode, uint8_t vector,
                         uint8_t dest)
{
    uint32_t n;

    ioapic_route(EDGE_PIN, mode | vector, dest);
    set_line(EDGE_PIN, true);
    set_line(EDGE_PIN, false);
    n = wait_count(&counts[1][vector], 1, 2000);
    settle(20);
    report(name, n == 1 && counts[0][vector] == 0,
           "the destination must reach the second vCPU only", n);
}

static void test_ioapic(void)
{
    uint32_t n;

    /*
     * edge: one delivery per rising edge (pulses spaced so that none is
     * still pending when the next comes), none for the line staying up
     */
    ioapic_route(EDGE_PIN, VEC_EDGE, 0);
    set_line(EDGE_PIN, true);
    set_line(EDGE_PIN, false);
    wait_count(&counts[0][VEC_EDGE], 1, 2000);
    set_line(EDGE_PIN, true);
    settle(20);
    set_line(EDGE_PIN, false);
    wait_count(&counts[0][VEC_EDGE], 2, 2000);
    set_line(EDGE_PIN, true);
    set_line(EDGE_PIN, false);
    wait_count(&counts[0][VEC_EDGE], 3, 2000);
    settle(20);
    n = counts[0][VEC_EDGE];
    report("ioapic-edge", n == 3, "not one interrupt per rising edge", n);

    /* level: fires, is EOIed with the line still up, fires again... */
    level_lower_after = 3;
    ioapic_route(LEVEL_PIN, RTE_LEVEL | VEC_LEVEL, 0);
    set_line(LEVEL_PIN, true);
    n = wait_count(&counts[0][VEC_LEVEL], 3, 2000);
    settle(50);
    n = counts[0][VEC_LEVEL];
    report("ioapic-level", n == 3,
           "a held level line must fire again after each EOI, until lowered",
           n);
    report("ioapic-remote-irr",
           !(ioapic_read(IOREDTBL(LEVEL_PIN)) & RTE_REMOTE_IRR),
           "remote IRR still set after the last EOI",
           ioapic_read(IOREDTBL(LEVEL_PIN)));

    /* ...and a line that is raised again later fires again */
    level_lower_after = 4;
    set_line(LEVEL_PIN, true);
    n = wait_count(&counts[0][VEC_LEVEL], 4, 2000);
    settle(20);
    report("ioapic-level-again", counts[0][VEC_LEVEL] == 4,
           "a level line raised again after EOI did not fire once",
           counts[0][VEC_LEVEL]);
    ioapic_route(LEVEL_PIN, RTE_MASKED, 0);
    set_line(LEVEL_PIN, false);

    /* destinations: logical (flat, bit 1 = the second vCPU), physical */
    ioapic_to_ap("ioapic-logical", RTE_LOGICAL, VEC_LOGICAL, 1u << 1);
    ioapic_to_ap("ioapic-physical-ap", 0, VEC_PHYS_AP, 1);
    ioapic_route(EDGE_PIN, RTE_MASKED, 0);
}

/* ---- IOAPIC delivery benchmark ------------------------------------------ */

#define BENCH_BUCKETS       20000       /* tenths of a microsecond: 2 ms */

static uint32_t bench_hist[BENCH_BUCKETS + 1];

/* 64 by 32 bits without libgcc. */
static uint64_t udiv64(uint64_t n, uint32_t d)
{
    uint64_t q = 0, r = 0;
    int bit;

    for (bit = 63; bit >= 0; bit--) {
        r = r << 1 | ((n >> bit) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ull << bit;
        }
    }
    return q;
}

static uint32_t bench_percentile(uint32_t n, uint32_t pct)
{
    uint32_t want = udiv64((uint64_t)n * pct + 99, 100), seen = 0, i;

    for (i = 0; i <= BENCH_BUCKETS; i++) {
        seen += bench_hist[i];
        if (seen >= want) {
            return i;
        }
    }
    return BENCH_BUCKETS;
}

/* The value of "NAME=" on the PVH command line, or 0. */
static uint32_t cmdline_number(uint32_t start_info, const char *name)
{
    const char *p, *q;
    uint32_t cmdline, v = 0;

    cmdline = start_info ? *(uint32_t *)(start_info + 24) : 0;
    for (p = (const char *)cmdline; p && *p; p++) {
        for (q = name; *q && *p == *q; p++, q++) {
            continue;
        }
        if (!*q) {
            while (*p >= '0' && *p <= '9') {
                v = v * 10 + *p++ - '0';
            }
            return v;
        }
    }
    return 0;
}

static void bench_ioapic(uint32_t n)
{
    uint32_t tsc_per_us10 = udiv64(tsc_per_ms, 10000), i, t10;
    uint32_t tsc_per_us = udiv64(tsc_per_ms, 1000);
    uint64_t start, sent;

    if (!tsc_per_us10) {
        tsc_per_us10 = tsc_per_us = 1;
    }
    ioapic_route(EDGE_PIN, VEC_EDGE, 0);
    asm volatile("sti");
    start = rdtsc();
    for (i = 0; i < n; i++) {
        sent = rdtsc();
        set_line(EDGE_PIN, true);
        while (counts[0][VEC_EDGE] <= i) {
            asm volatile("pause");
        }
        t10 = udiv64(edge_tsc - sent, tsc_per_us10);
        bench_hist[t10 < BENCH_BUCKETS ? t10 : BENCH_BUCKETS]++;
        set_line(EDGE_PIN, false);
    }
    asm volatile("cli");
    puts_serial("irq-bench: ioapic ");
    putu(n);
    puts_serial(" ");
    putu(udiv64(rdtsc() - start, tsc_per_us));
    puts_serial(" ");
    putu(bench_percentile(n, 50));
    puts_serial(" ");
    putu(bench_percentile(n, 99));
    puts_serial("\r\n");
    ioapic_route(EDGE_PIN, RTE_MASKED, 0);
}

void bsp_main(uint32_t start_info)
{
    uint32_t bench = cmdline_number(start_info, "bench=");
    unsigned pin;

    puts_serial("irq-check: start\r\n");
    idt_init();
    lapic_init();
    /* nothing from the 8259s or the IOAPIC until a case asks */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    for (pin = 0; pin < 24; pin++) {
        ioapic_route(pin, RTE_MASKED, 0);
    }
    calibrate_tsc();
    if (bench) {
        bench_ioapic(bench);
        finish();
    }
    if (cmdline_number(start_info, "paging=")) {
        mmio_paging_check();
        finish();
    }
    if (cmdline_number(start_info, "synic=")) {
        synic_check();
        finish();
    }

    test_self_ipi();
    test_nmi_self();
    test_lapic_timer();
    test_pic_timer();
    test_extint_and_lapic();
    test_ap_start();
    if (ap_online) {
        test_ipis();
        test_nmi_wakes_cli_hlt();
    }
    test_ioapic();
    test_legacy_fp_error();
    finish();
}
