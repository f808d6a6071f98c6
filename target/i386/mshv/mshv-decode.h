/*
 * MSHV, x86: the Zydis decoding mode of guest code
 *
 * Pure functions of the processor state, with no accelerator state, so
 * that anything decoding guest instructions (the accelerator's
 * intercepts, the MSHV simulator) decodes them in the same mode.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_DECODE_H
#define TARGET_I386_MSHV_DECODE_H

#include <Zydis/Zydis.h>

/*
 * The machine mode of code running with EFER.LMA @lma and CR0.PE @pe
 * from a code segment whose L and D/B bits are @cs_l and @cs_db; its
 * stack width goes to @stack_width unless that is NULL.
 */
ZydisMachineMode mshv_x86_machine_mode(bool lma, bool pe, bool cs_l,
                                       bool cs_db,
                                       ZydisStackWidth *stack_width);

/* The same, from an intercept's execution state and CS attributes. */
ZydisMachineMode mshv_x86_intercept_mode(uint16_t execution_state,
                                         uint16_t cs_attributes,
                                         ZydisStackWidth *stack_width);

/* Decode the intercepted instruction in the mode the VP was in. */
bool mshv_x86_decode(uint16_t execution_state, uint16_t cs_attributes,
                     const uint8_t *bytes, unsigned len,
                     ZydisDecodedInstruction *insn,
                     ZydisDecodedOperand *operands);

#endif /* TARGET_I386_MSHV_DECODE_H */
