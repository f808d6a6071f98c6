/*
 * MSHV accelerator, x86: port I/O intercepts
 *
 * The hypervisor stops the VP before an IN/OUT/INS/OUTS; QEMU performs
 * the access and completes the instruction itself.  String forms run all
 * their iterations here in one go, translating guest pages with at most
 * one hypercall per page, never one per element.
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
#include <Zydis/Zydis.h>

/* Iterations of a REP string I/O instruction done per intercept. */
#define MSHV_STRING_IO_BATCH    4096

static uint64_t mshv_addr_mask(unsigned width)
{
    return width == 64 ? ~0ULL : MAKE_64BIT_MASK(0, width);
}

/* A register written with an address-size width: 32 bits zero-extend. */
static uint64_t mshv_addr_update(uint64_t old, uint64_t val, unsigned width)
{
    if (width == 32) {
        return (uint32_t)val;
    }
    return (old & ~mshv_addr_mask(width)) | (val & mshv_addr_mask(width));
}

static uint64_t mshv_seg_base(CPUState *cpu,
                              const struct hv_x64_io_port_intercept_message *io,
                              ZydisRegister seg)
{
    switch (seg) {
    case ZYDIS_REGISTER_ES:
        return io->es_segment.base;
    case ZYDIS_REGISTER_CS:
        return io->header.cs_segment.base;
    case ZYDIS_REGISTER_SS:
        return mshv_x86_segment(cpu, R_SS).base;
    case ZYDIS_REGISTER_FS:
        return mshv_x86_segment(cpu, R_FS).base;
    case ZYDIS_REGISTER_GS:
        return mshv_x86_segment(cpu, R_GS).base;
    default:
        return io->ds_segment.base;
    }
}

static int mshv_string_io(CPUState *cpu,
                          const struct hv_x64_io_port_intercept_message *io,
                          uint64_t rip)
{
    unsigned size = io->access_info & HV_X64_IO_ACCESS_SIZE_MASK;
    bool out = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;
    bool rep = io->access_info & HV_X64_IO_ACCESS_REP_PREFIX;
    bool down = io->header.rflags & (1 << 10);     /* DF */
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    MshvX86Mem mem;
    uint64_t idx, count, remaining, mask, base, i;
    unsigned width;
    ZydisRegister seg;
    bool long_mode;
    int ret;

    if (!mshv_x86_decode(io->header.execution_state,
                         io->header.cs_segment.attributes,
                         io->instruction_bytes,
                         MIN(io->instruction_byte_count,
                             sizeof(io->instruction_bytes)),
                         &insn, ops)) {
        return mshv_x86_inject_ud(cpu, "undecodable string port I/O");
    }
    width = insn.address_width;
    mask = mshv_addr_mask(width);
    seg = ZYDIS_REGISTER_ES;
    for (i = 0; i < insn.operand_count; i++) {
        if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            seg = ops[i].mem.segment;
        }
    }
    long_mode = mshv_x86_mode(io->header.execution_state,
                              io->header.cs_segment.attributes) ==
                ZYDIS_MACHINE_MODE_LONG_64;
    seg = out ? seg : ZYDIS_REGISTER_ES;
    /* 64-bit code: only FS and GS have a base. */
    base = long_mode && seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS ?
           0 : mshv_seg_base(cpu, io, seg);
    idx = out ? io->rsi : io->rdi;
    count = rep ? io->rcx & mask : 1;
    /*
     * A guest can ask for 2^64 iterations: do a bounded batch and let the
     * instruction run again (as hardware may, between iterations), so the
     * vCPU stays responsive to kicks.
     */
    remaining = count > MSHV_STRING_IO_BATCH ? count - MSHV_STRING_IO_BATCH : 0;
    count -= remaining;

    mshv_x86_mem_init(&mem, cpu, io->header.execution_state);
    for (i = 0; i < count; i++) {
        uint64_t linear = base + (idx & mask);
        uint32_t data = 0;

        if (!long_mode) {
            linear = (uint32_t)linear;
        }
        /* the element's memory first: a fault leaves the port untouched */
        ret = out ? mshv_x86_mem_rw(&mem, linear, &data, size, false) :
                    mshv_x86_mem_check(&mem, linear, size, true);
        if (ret == -EFAULT) {
            /* the elements done so far count, the instruction stays */
            remaining += count - i;
            break;
        }
        if (ret < 0) {
            return ret;
        }
        if (out) {
            address_space_write(&address_space_io, io->port_number,
                                MEMTXATTRS_UNSPECIFIED, &data, size);
        } else {
            address_space_read(&address_space_io, io->port_number,
                               MEMTXATTRS_UNSPECIFIED, &data, size);
            ret = mshv_x86_mem_rw(&mem, linear, &data, size, true);
            if (ret < 0) {
                return ret;
            }
        }
        idx = mshv_addr_update(idx, down ? idx - size : idx + size, width);
    }

    {
        MshvX86RegUpdate upd[] = {
            { out ? R_ESI : R_EDI, idx },
            { R_ECX, rep ? mshv_addr_update(io->rcx, remaining, width) :
                           io->rcx },
        };

        return mshv_x86_complete(cpu, remaining ? io->header.rip : rip, upd,
                                 ARRAY_SIZE(upd));
    }
}

int mshv_x86_handle_io(CPUState *cpu, const struct hv_message *msg)
{
    const struct hv_x64_io_port_intercept_message *io =
        (const void *)msg->payload;
    unsigned size = io->access_info & HV_X64_IO_ACCESS_SIZE_MASK;
    bool write = io->header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;
    uint64_t rip = io->header.rip +
                   (io->header.instruction_length_and_cr8 & 0xf);
    uint64_t rax = io->rax;
    uint32_t data = rax;

    trace_mshv_io(cpu->cpu_index, io->port_number, size, write,
                  io->access_info & HV_X64_IO_ACCESS_STRING_OP,
                  io->header.rip);
    if (size != 1 && size != 2 && size != 4) {
        mshv_fail(cpu, "decoding a port I/O intercept", EINVAL, 0);
        return -1;
    }
    if (io->access_info & HV_X64_IO_ACCESS_STRING_OP) {
        return mshv_string_io(cpu, io, rip);
    }
    address_space_rw(&address_space_io, io->port_number,
                     MEMTXATTRS_UNSPECIFIED, &data, size, write);
    if (write) {
        return mshv_x86_complete(cpu, rip, NULL, 0);
    }
    if (size == 4) {
        rax = data;             /* a 32-bit result clears bits 63:32 */
    } else {
        uint64_t mask = MAKE_64BIT_MASK(0, size * 8);

        rax = (rax & ~mask) | (data & mask);
    }
    {
        MshvX86RegUpdate upd = { R_EAX, rax };

        return mshv_x86_complete(cpu, rip, &upd, 1);
    }
}
