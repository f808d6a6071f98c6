/*
 * MSHV accelerator, x86: port I/O intercepts
 *
 * The hypervisor stops the VP before an IN/OUT/INS/OUTS; QEMU performs
 * the access and completes the instruction itself (the message was
 * checked first, mshv-exit.c).  String forms run in
 * the instruction executor's REP engine (mshv-emu-string.c), translating
 * guest pages with at most one hypercall per page, never one per element.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "exec/address-spaces.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "mshv-x86.h"
#include "trace.h"

static int mshv_string_io_port(MshvEmu *emu, uint16_t port, void *buf,
                               unsigned size, bool write)
{
    address_space_rw(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, buf,
                     size, write);
    return 0;
}

static const MshvEmuOps mshv_string_io_ops = {
    .mem = mshv_x86_emu_mem,
    .seg = mshv_x86_emu_seg,
    .port = mshv_string_io_port,
};

static int mshv_string_io(CPUState *cpu,
                          const struct hv_x64_io_port_intercept_message *io)
{
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    MshvX86EmuVp sio = {
        .emu.ops = &mshv_string_io_ops,
        .cpu = cpu,
        .segs = {
            [R_ES] = &io->es_segment,
            [R_CS] = &io->header.cs_segment,
            [R_DS] = &io->ds_segment,
        },
    };

    mshv_x86_mem_init(&sio.mem, cpu, io->header.execution_state);
    if (!mshv_x86_decode_intercept(&sio.mem, &io->header,
                                   io->instruction_bytes,
                                   io->instruction_byte_count, &insn, ops)) {
        return mshv_x86_inject_ud(cpu, "undecodable string port I/O");
    }
    mshv_x86_exit_string_io_start(&sio.emu, io);
    switch (mshv_emu_exec(&sio.emu, &insn, ops)) {
    case MSHV_EMU_DONE:
        break;
    case MSHV_EMU_FAULT:
        return mshv_x86_emu_fault(&sio);
    case MSHV_EMU_UNSUPPORTED:
        return mshv_x86_inject_ud(cpu, "string port I/O QEMU cannot execute");
    default:
        /*
         * A page fault: the elements done so far count, the instruction
         * stays for the guest to run again after its #PF handler.
         */
        if (!sio.mem.faulted) {
            return -1;
        }
        break;
    }
    return mshv_x86_complete_emulated(cpu, &io->header, &sio.emu, false);
}

int mshv_x86_handle_io(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_x64_io_port_intercept_message *io =
        (const void *)msg->payload;
    unsigned size = io->access_info & HV_X64_IO_ACCESS_SIZE_MASK;
    bool write = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;
    uint64_t rip = mshv_x86_exit_next_rip(&io->header);
    uint64_t gpr[MSHV_X86_GPRS] = { [R_EAX] = io->rax };
    uint32_t data = io->rax;

    trace_mshv_io(cpu->cpu_index, io->port_number, size, write,
                  io->access_info & HV_X64_IO_ACCESS_STRING_OP,
                  io->header.rip);
    if (io->access_info & HV_X64_IO_ACCESS_STRING_OP) {
        return mshv_string_io(cpu, io);
    }
    address_space_rw(&address_space_io, io->port_number,
                     MEMTXATTRS_UNSPECIFIED, &data, size, write);
    if (write) {
        return mshv_x86_complete(cpu, &io->header, rip, NULL, NULL, 0);
    }
    if (size == 4) {
        gpr[R_EAX] = data;      /* a 32-bit result clears bits 63:32 */
    } else {
        uint64_t mask = MAKE_64BIT_MASK(0, size * 8);

        gpr[R_EAX] = (gpr[R_EAX] & ~mask) | (data & mask);
    }
    return mshv_x86_complete(cpu, &io->header, rip, NULL, gpr,
                             1u << R_EAX);
}
