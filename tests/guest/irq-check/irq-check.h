/*
 * irq-check: what its C files share (the cases in irq-check.c, those of
 * "synic=1" in synic.c and of "paging=1" in mmio-paging.c)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef IRQ_CHECK_H
#define IRQ_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "entry.h"

#define TRAMPOLINE_BASE     0x8000

#define LAPIC_BASE          0xfee00000u
#define LAPIC_ID            0x020
#define LAPIC_TPR           0x080
#define LAPIC_EOI           0x0b0
#define LAPIC_LDR           0x0d0
#define LAPIC_DFR           0x0e0
#define LAPIC_SVR           0x0f0
#define LAPIC_ICR_LO        0x300
#define LAPIC_ICR_HI        0x310
#define LAPIC_LVT_TIMER     0x320
#define LAPIC_LVT_LINT0     0x350
#define LAPIC_LVT_LINT1     0x360
#define LAPIC_TIMER_INIT    0x380
#define LAPIC_TIMER_DIV     0x3e0

#define ICR_FIXED           0x000
#define ICR_NMI             0x400
#define ICR_INIT            0x500
#define ICR_STARTUP         0x600
#define ICR_ASSERT          0x4000
#define ICR_BUSY            0x1000
#define ICR_SELF            0x40000

#define IOAPIC_BASE         0xfec00000u
#define IOREDTBL(pin)       (0x10 + 2 * (pin))
#define RTE_LOGICAL         (1u << 11)
#define RTE_REMOTE_IRR      (1u << 14)
#define RTE_LEVEL           (1u << 15)
#define RTE_MASKED          (1u << 16)

#define TESTDEV_IRQ_PORT    0x2000
#define DEBUG_EXIT_PORT     0xf4
#define COM1                0x3f8

#define EDGE_PIN            10
#define LEVEL_PIN           11

enum {
    VEC_NMI = 2,
    VEC_PIC_BASE = 0x20,            /* 8259 master: IRQ0 is 0x20 */
    VEC_SELF = 0x40,
    VEC_TO_AP = 0x41,
    VEC_TO_BSP = 0x42,
    VEC_KICK = 0x43,
    VEC_EDGE = 0x50,
    VEC_LEVEL = 0x51,
    VEC_LOGICAL = 0x52,
    VEC_PHYS_AP = 0x53,
    VEC_FERR = 0x54,                /* ISA IRQ 13 through the IOAPIC */
    VEC_LAPIC_TIMER = 0x60,
    VEC_SINT0 = 0xa0,               /* SINT n: VEC_SINT0 + n */
    VEC_SPURIOUS = 0xff,
};

#define MAX_CPUS            2

/* Deliveries per vCPU and vector, counted by isr(). */
extern volatile uint32_t counts[MAX_CPUS][256];
/* TSC ticks per millisecond, from the PIT */
extern uint64_t tsc_per_ms;

/* ---- Hardware access ----------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline uint32_t mmio_read(uint32_t addr)
{
    return *(volatile uint32_t *)addr;     /* a device register: volatile */
}

static inline void mmio_write(uint32_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;        /* a device register: volatile */
}

static inline uint32_t lapic_read(uint32_t reg)
{
    return mmio_read(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
    mmio_write(LAPIC_BASE + reg, v);
}

/* Wait with interrupts on until *count reaches want or @ms pass. */
uint32_t wait_count(volatile uint32_t *count, uint32_t want, uint32_t ms);
/* Let stray deliveries arrive before a count is judged exact. */
void settle(uint32_t ms);
/* One line per case, "irq-check: NAME ok" or why not. */
void report(const char *name, bool ok, const char *why, uint32_t got);

/* synic.c: the cases of "synic=1" */
void synic_check(void);
/* mmio-paging.c: the cases of "paging=1" */
void mmio_paging_check(void);

#endif /* IRQ_CHECK_H */
