/*
 * MSHV, x86: the Zydis decoding mode of guest code, and decoding the
 * instruction an intercept stopped at
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/hyperv/mshv-abi.h"
#include "mshv-decode.h"

ZydisMachineMode mshv_x86_machine_mode(bool lma, bool pe, bool cs_l,
                                       bool cs_db,
                                       ZydisStackWidth *stack_width)
{
    ZydisMachineMode mode;

    if (lma && cs_l) {
        mode = ZYDIS_MACHINE_MODE_LONG_64;
    } else if (cs_db) {
        mode = lma ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 :
                     ZYDIS_MACHINE_MODE_LEGACY_32;
    } else if (lma) {
        mode = ZYDIS_MACHINE_MODE_LONG_COMPAT_16;
    } else {
        mode = pe ? ZYDIS_MACHINE_MODE_LEGACY_16 : ZYDIS_MACHINE_MODE_REAL_16;
    }
    if (stack_width) {
        *stack_width = mode == ZYDIS_MACHINE_MODE_LONG_64 ?
                       ZYDIS_STACK_WIDTH_64 :
                       cs_db ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16;
    }
    return mode;
}

ZydisMachineMode mshv_x86_intercept_mode(uint16_t execution_state,
                                         uint16_t cs_attributes,
                                         ZydisStackWidth *stack_width)
{
    return mshv_x86_machine_mode(
        execution_state & HV_X64_EXEC_STATE_EFER_LMA,
        execution_state & HV_X64_EXEC_STATE_CR0_PE,
        cs_attributes & HV_SEG_ATTR_L, cs_attributes & HV_SEG_ATTR_DB,
        stack_width);
}

bool mshv_x86_decode(uint16_t execution_state, uint16_t cs_attributes,
                     const uint8_t *bytes, unsigned len,
                     ZydisDecodedInstruction *insn,
                     ZydisDecodedOperand *operands)
{
    ZydisStackWidth width;
    ZydisMachineMode mode = mshv_x86_intercept_mode(execution_state,
                                                    cs_attributes, &width);
    ZydisDecoder dec;

    return ZYAN_SUCCESS(ZydisDecoderInit(&dec, mode, width)) &&
           ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, len, insn,
                                               operands));
}
