/*
 * irq-check, with "paging=1": page tables in emulated MMIO.
 *
 * A page table in pc-testdev's memory-like window maps a virtual page to
 * RAM.  The processor's walk reads such a table from the device; under
 * MSHV the hypervisor cannot, so an access through it stops the VP at
 * the paging entry's GPA, the VMM walks the tables itself, reading the
 * entry from the device, and completes the access in RAM.  The same
 * program under TCG is the reference.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "irq-check.h"

#define TESTDEV_IOMEM   0xff000000u     /* pc-testdev's 64 KiB window */
#define VIRT            0x40000000u     /* mapped through it */
#define PTE_P           0x001u
#define PTE_W           0x002u
#define PTE_A           0x020u
#define PTE_D           0x040u
#define PDE_PS          0x080u
#define CR0_PG          0x80000000u
#define CR4_PSE         0x10u

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t target[1024] __attribute__((aligned(4096)));

static void paging(bool on)
{
    uint32_t cr0, cr4;

    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    if (on) {
        asm volatile("mov %%cr4, %0" : "=r"(cr4));
        asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PSE));
        asm volatile("mov %0, %%cr3" : : "r"(page_dir));
        asm volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_PG) : "memory");
    } else {
        asm volatile("mov %0, %%cr0" : : "r"(cr0 & ~CR0_PG) : "memory");
    }
}

void mmio_paging_check(void)
{
    /* volatile: the device's memory */
    volatile uint32_t *pt = (volatile uint32_t *)TESTDEV_IOMEM;
    /* volatile: a page reached through the table, under the compiler */
    volatile uint32_t *virt = (volatile uint32_t *)VIRT;
    /* volatile: the same page, written behind the compiler's back */
    volatile uint32_t *ram = target;
    uint32_t i, loaded, pte;

    /* 4 MiB pages map everything to itself, but for the 4 MiB at VIRT */
    for (i = 0; i < 1024; i++) {
        page_dir[i] = (i << 22) | PDE_PS | PTE_W | PTE_P;
    }
    page_dir[VIRT >> 22] = TESTDEV_IOMEM | PTE_W | PTE_P;
    for (i = 0; i < 1024; i++) {
        pt[i] = 0;
    }
    pt[0] = (uint32_t)(uintptr_t)target | PTE_W | PTE_P;
    ram[5] = 0x12345678;

    paging(true);
    virt[4] = 0x5a5aa5a5;
    loaded = virt[5];
    paging(false);

    pte = pt[0];
    report("mmio-page-table-store", ram[4] == 0x5a5aa5a5,
           "word at the page's RAM", ram[4]);
    report("mmio-page-table-load", loaded == 0x12345678, "word loaded",
           loaded);
    /* the walk marks its entry accessed, and dirty for the store */
    report("mmio-page-table-bits", (pte & (PTE_A | PTE_D)) ==
           (PTE_A | PTE_D), "paging entry", pte);
}
