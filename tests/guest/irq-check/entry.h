/*
 * irq-check: what entry.S and the C side share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef IRQ_CHECK_ENTRY_H
#define IRQ_CHECK_ENTRY_H

#include <stdint.h>

/* The registers isr_common pushed, then what the stub and CPU pushed. */
struct Frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error, eip, cs, eflags;
};

/* entry.S */
extern const char trampoline_start[], trampoline_end[], isr_stubs[];

/* called from entry.S */
void bsp_main(uint32_t start_info);
void ap_main(void);
void isr(struct Frame *f);

#endif
