/*
 * MSHV, x86: what an intercept message asks of QEMU, checked first
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-decode.h"
#include "mshv-exit.h"

/*
 * The length of the instruction the processor reported (VM-exit
 * instruction length): 1 to 15 for an exit the processor reports one
 * for.  QEMU steps past it, so a 0 would run the instruction forever.
 */
static bool mshv_exit_length_ok(const struct hv_x64_intercept_message_header *h)
{
    unsigned len = h->instruction_length_and_cr8 & 0xf;

    return len >= 1 && len <= 15;
}

const char *mshv_x86_exit_check(const struct hv_message *msg)
{
    const struct hv_x64_intercept_message_header *h =
        (const void *)msg->payload;

    if (msg->header.payload_size > sizeof(msg->payload)) {
        return "its payload is larger than a message";
    }
    switch (msg->header.message_type) {
    case HVMSG_X64_IO_PORT_INTERCEPT: {
        const struct hv_x64_io_port_intercept_message *io =
            (const void *)msg->payload;
        unsigned size = io->access_info & HV_X64_IO_ACCESS_SIZE_MASK;

        if (size != 1 && size != 2 && size != 4) {
            return "its access size is not 1, 2 or 4";
        }
        if (h->intercept_access_type > HV_INTERCEPT_ACCESS_WRITE) {
            return "it is neither a read nor a write";
        }
        if (io->instruction_byte_count > sizeof(io->instruction_bytes)) {
            return "it counts more instruction bytes than it has";
        }
        return mshv_exit_length_ok(h) ? NULL : "its instruction length is "
                                               "not 1 to 15";
    }
    case HVMSG_UNMAPPED_GPA:
    case HVMSG_GPA_INTERCEPT: {
        const struct hv_x64_memory_intercept_message *mem =
            (const void *)msg->payload;

        if (h->intercept_access_type > HV_INTERCEPT_ACCESS_EXECUTE) {
            return "its access type is unknown";
        }
        if (mem->instruction_byte_count > sizeof(mem->instruction_bytes)) {
            return "it counts more instruction bytes than it has";
        }
        return NULL;
    }
    case HVMSG_HYPERCALL_INTERCEPT:
        return mshv_exit_length_ok(h) ? NULL : "its instruction length is "
                                               "not 1 to 15";
    default:
        return NULL;
    }
}

uint64_t mshv_x86_exit_next_rip(
    const struct hv_x64_intercept_message_header *h)
{
    uint64_t rip = h->rip + (h->instruction_length_and_cr8 & 0xf);

    /* EIP outside 64-bit mode, as the executor steps it (mshv-emu.c) */
    return mshv_x86_intercept_mode(h->execution_state,
                                   h->cs_segment.attributes, NULL) ==
           ZYDIS_MACHINE_MODE_LONG_64 ? rip : (uint32_t)rip;
}

void mshv_x86_exit_emu_start(MshvEmu *emu,
                             const struct hv_x64_intercept_message_header *h)
{
    emu->mode = mshv_x86_intercept_mode(h->execution_state,
                                        h->cs_segment.attributes, NULL);
    emu->rip = h->rip;
    emu->rflags = h->rflags;
    emu->cpl = h->execution_state & HV_X64_EXEC_STATE_CPL_MASK;
    emu->cr0_am = h->execution_state & HV_X64_EXEC_STATE_CR0_AM;
}

void mshv_x86_exit_string_io_start(
    MshvEmu *emu, const struct hv_x64_io_port_intercept_message *io)
{
    mshv_x86_exit_emu_start(emu, &io->header);
    emu->gpr[GPR_RCX] = io->rcx;
    emu->gpr[GPR_RDX] = io->port_number;
    emu->gpr[GPR_RSI] = io->rsi;
    emu->gpr[GPR_RDI] = io->rdi;
}

void mshv_x86_exit_hypercall_args(
    const struct hv_x64_hypercall_intercept_message *hc,
    MshvX86HypercallArgs *args)
{
    args->longmode = mshv_x86_intercept_mode(hc->header.execution_state,
                                             hc->header.cs_segment.attributes,
                                             NULL) ==
                     ZYDIS_MACHINE_MODE_LONG_64;
    if (args->longmode) {
        args->control = hc->rcx;
        args->in = hc->rdx;
        args->out = hc->r8;
    } else {
        args->control = (hc->rdx << 32) | (uint32_t)hc->rax;
        args->in = (hc->rbx << 32) | (uint32_t)hc->rcx;
        args->out = (hc->rdi << 32) | (uint32_t)hc->rsi;
    }
}
