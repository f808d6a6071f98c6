/*
 * irq-check: PVH entry, interrupt stubs and the AP trampoline.
 *
 * QEMU's PVH loader enters at the PHYS32_ENTRY note's address in flat
 * 32-bit protected mode with paging off; an AP started by INIT/SIPI
 * begins in real mode at the trampoline copied to TRAMPOLINE_BASE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define TRAMPOLINE_BASE 0x8000
#define STACK_SIZE      8192
#define CODE_SEL        0x08
#define DATA_SEL        0x10

    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4, 4, 18                  /* "Xen", 4-byte desc, PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long _start
    .popsection

    .macro load_data_segments
    movw $DATA_SEL, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    .endm

    .text
    .code32
    .globl _start
_start:
    cli
    lgdt gdt_desc
    ljmp $CODE_SEL, $1f
1:  load_data_segments
    movl $bsp_stack + STACK_SIZE, %esp
    pushl %ebx                      /* PVH start_info */
    call bsp_main
2:  hlt
    jmp 2b

/* Where the trampoline lands, in 32-bit mode: one stack per AP. */
ap_entry32:
    load_data_segments
    movl $1, %eax
    lock xaddl %eax, ap_count
    incl %eax
    shll $13, %eax                  /* * STACK_SIZE */
    leal ap_stacks(%eax), %esp
    call ap_main
3:  hlt
    jmp 3b

/* Copied to TRAMPOLINE_BASE; runs with CS = TRAMPOLINE_BASE >> 4. */
    .code16
    .globl trampoline_start, trampoline_end
trampoline_start:
    cli
    lgdtl %cs:(tramp_gdt_desc - trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $CODE_SEL, $ap_entry32
tramp_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
trampoline_end:
    .code32

/*
 * One 16-byte stub per vector: an error code (a dummy where the CPU
 * pushes none), the vector, then the common path into C.
 */
    .altmacro
    .macro isr_stub n
    .balign 16
    .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17)
    .else
    pushl $0
    .endif
    pushl $\n
    jmp isr_common
    .endm

    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    isr_stub %vec
    .set vec, vec + 1
    .endr

isr_common:
    pushal
    cld
    pushl %esp                      /* struct Frame * */
    call isr
    addl $4, %esp
    popal
    addl $8, %esp
    iret

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* CODE_SEL: flat 32-bit code */
    .quad 0x00cf92000000ffff        /* DATA_SEL: flat data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

ap_count:
    .long 0

    .bss
    .balign 16
bsp_stack:
    .skip STACK_SIZE
    .globl ap_stacks
ap_stacks:
    .skip STACK_SIZE * 8

    .section .note.GNU-stack, "", @progbits
