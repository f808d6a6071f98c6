/*
 * libFuzzer target for what the MSHV accelerator does with the messages
 * a hypervisor stops a VP with: any message bytes, as a buggy hypervisor
 * or a mismatched driver could hand over, go through the checks the run
 * loop applies (target/i386/mshv/mshv-exit.c); a message that passes
 * goes where its handler takes it -- the instruction it names decoded in
 * the mode it names and run by the executor, with the registers the
 * message and the register page carry; a hypercall's arguments unpacked;
 * the next RIP computed.  Nothing may crash, and what passes the checks
 * must keep the invariants the handlers rely on.
 *
 * Input: byte 0 picks the message type (or keeps the raw one), bytes
 * 1-256 are the message, the next 128 the register page's GPRs.  Built
 * with MSHV_FUZZ_STANDALONE it is a deterministic test in "make check".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../../target/i386/mshv/mshv-decode.h"
#include "../../target/i386/mshv/mshv-exit.h"
#include "mshv-fuzz.h"

/* Messages the checks let through, and instructions then completed. */
static unsigned fuzz_passed, fuzz_done;

static void fuzz_exit_insn(FuzzEmu *f,
                           const struct hv_x64_intercept_message_header *h,
                           const uint8_t *bytes, unsigned count)
{
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

    /* the checks bound the count by the bytes a message holds */
    assert(count <= 16);
    if (mshv_x86_decode(h->execution_state, h->cs_segment.attributes,
                        bytes, count, &insn, ops)) {
        fuzz_done += fuzz_emu_exec(f, &insn, ops);
    }
}

static void fuzz_exit_next_rip(const struct hv_x64_intercept_message_header *h)
{
    uint64_t next = mshv_x86_exit_next_rip(h);
    ZydisMachineMode mode = mshv_x86_intercept_mode(h->execution_state,
                                                    h->cs_segment.attributes,
                                                    NULL);

    assert(next != h->rip);
    assert(mode == ZYDIS_MACHINE_MODE_LONG_64 || next <= UINT32_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t types[] = {
        HVMSG_X64_IO_PORT_INTERCEPT, HVMSG_UNMAPPED_GPA, HVMSG_GPA_INTERCEPT,
        HVMSG_HYPERCALL_INTERCEPT, HVMSG_X64_APIC_EOI,
        HVMSG_SYNIC_SINT_DELIVERABLE, HVMSG_X64_INTERRUPTION_DELIVERABLE,
        HVMSG_UNRECOVERABLE_EXCEPTION, HVMSG_UNSUPPORTED_FEATURE,
        HVMSG_X64_HALT, HVMSG_X64_LEGACY_FP_ERROR,
    };
    struct hv_message msg = { 0 };
    const struct hv_x64_intercept_message_header *h =
        (const void *)msg.payload;
    const char *why;
    FuzzEmu f;

    if (size < 2) {
        return 0;
    }
    memcpy(&msg, data + 1, MIN(size - 1, sizeof(msg)));
    if (data[0] < ARRAY_SIZE(types)) {
        msg.header.message_type = types[data[0]];
    }
    why = mshv_x86_exit_check(&msg);
    if (why) {
        assert(*why);
        return 0;
    }
    fuzz_passed++;
    fuzz_emu_init(&f, ZYDIS_MACHINE_MODE_LONG_64, 0);
    if (size > 1 + sizeof(msg)) {
        memcpy(f.emu.gpr, data + 1 + sizeof(msg),
               MIN(size - 1 - sizeof(msg), sizeof(f.emu.gpr)));
    }
    switch (msg.header.message_type) {
    case HVMSG_X64_IO_PORT_INTERCEPT: {
        const struct hv_x64_io_port_intercept_message *io =
            (const void *)msg.payload;

        if (io->access_info & HV_X64_IO_ACCESS_STRING_OP) {
            mshv_x86_exit_string_io_start(&f.emu, io);
            fuzz_exit_insn(&f, h, io->instruction_bytes,
                           io->instruction_byte_count);
        } else {
            fuzz_exit_next_rip(h);
        }
        break;
    }
    case HVMSG_UNMAPPED_GPA:
    case HVMSG_GPA_INTERCEPT: {
        const struct hv_x64_memory_intercept_message *mem =
            (const void *)msg.payload;

        mshv_x86_exit_emu_start(&f.emu, h);
        fuzz_exit_insn(&f, h, mem->instruction_bytes,
                       mem->instruction_byte_count);
        break;
    }
    case HVMSG_HYPERCALL_INTERCEPT: {
        const struct hv_x64_hypercall_intercept_message *hc =
            (const void *)msg.payload;
        MshvX86HypercallArgs a;

        mshv_x86_exit_hypercall_args(hc, &a);
        assert(a.longmode || (uint32_t)a.control == (uint32_t)hc->rax);
        fuzz_exit_next_rip(h);
        break;
    }
    }
    return 0;
}

#ifdef MSHV_FUZZ_STANDALONE
/*
 * Mostly messages a hypervisor could send: a handled type, a payload
 * size that fits, an access size, length and byte count in range, and a
 * common MMIO or string I/O opcode at the start of the bytes.
 */
static void fuzz_exit_shape(uint8_t *buf, size_t len, GRand *rand)
{
    static const uint8_t opcodes[] = {
        0x88, 0x89, 0x8a, 0x8b, 0xc7, 0x01, 0x31, 0x85, 0xa4, 0xa5, 0xaa,
        0xab, 0x6c, 0x6d, 0x6e, 0x6f, 0xf3, 0xff,
    };
    struct hv_message *msg = (void *)(buf + 1);
    struct hv_x64_io_port_intercept_message *io = (void *)msg->payload;
    struct hv_x64_memory_intercept_message *mem = (void *)msg->payload;

    if (g_rand_int_range(rand, 0, 8) == 0) {
        return;                 /* raw bytes */
    }
    buf[0] %= 4;
    msg->header.payload_size %= sizeof(msg->payload) + 1;
    io->header.instruction_length_and_cr8 =
        g_rand_int_range(rand, 1, 16);
    io->header.intercept_access_type %= 2;
    io->access_info = (io->access_info & ~HV_X64_IO_ACCESS_SIZE_MASK) |
                      (1 << g_rand_int_range(rand, 0, 3));
    io->instruction_byte_count %= 17;
    io->instruction_bytes[0] =
        opcodes[g_rand_int_range(rand, 0, sizeof(opcodes))];
    mem->instruction_byte_count %= 17;
    mem->instruction_bytes[0] =
        opcodes[g_rand_int_range(rand, 0, sizeof(opcodes))];
}

int main(int argc, char **argv)
{
    unsigned runs = argc > 1 ? atoi(argv[1]) : 1000000;

    fuzz_standalone(runs, 1 + sizeof(struct hv_message) + 128,
                    fuzz_exit_shape);
    printf("%u messages, %u passed the checks, %u instructions completed\n",
           runs, fuzz_passed, fuzz_done);
    if (fuzz_passed < runs / 4 || fuzz_done < runs / 50) {
        fprintf(stderr, "mshv-exit-fuzz: too few messages got past the "
                "checks or ran: the checks refuse what they should take\n");
        return 1;
    }
    return 0;
}
#endif
