/*
 * MSHV, x86: what an intercept message asks of QEMU, checked first
 *
 * The hypervisor's messages are input: a hypervisor bug, or a kernel
 * driver that does not match it, can hand QEMU any bytes.  Each message
 * is checked here against what a working hypervisor sends before a
 * handler acts on it, and the values handlers derive from a message come
 * from here.  Pure functions of the message, with no accelerator state,
 * so that the exit fuzz target (tests/mshv/fuzz-mshv-exit.c) runs exactly
 * this code on arbitrary messages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MSHV_EXIT_H
#define TARGET_I386_MSHV_EXIT_H

#include "hw/hyperv/mshv-abi.h"
#include "mshv-emu.h"

/*
 * NULL when @msg is a message QEMU can act on, else what is wrong with
 * it.  Types QEMU has no handler for are not judged here.
 */
const char *mshv_x86_exit_check(const struct hv_message *msg);

/*
 * The instruction after the one an IN, OUT or hypercall intercept
 * stopped at: 32 bits wide outside 64-bit mode.
 */
uint64_t mshv_x86_exit_next_rip(
    const struct hv_x64_intercept_message_header *h);

/*
 * The executor set up for the instruction @h stopped at: mode, RIP,
 * flags, and what alignment checking needs (CPL, CR0.AM).
 */
void mshv_x86_exit_emu_start(MshvEmu *emu,
                             const struct hv_x64_intercept_message_header *h);

/*
 * The same for INS or OUTS: the registers they use come in the message,
 * and DX is the port it names.
 */
void mshv_x86_exit_string_io_start(
    MshvEmu *emu, const struct hv_x64_io_port_intercept_message *io);

/* A hypercall's arguments under the TLFS calling convention. */
typedef struct MshvX86HypercallArgs {
    bool longmode;
    uint64_t control, in, out;
} MshvX86HypercallArgs;

void mshv_x86_exit_hypercall_args(
    const struct hv_x64_hypercall_intercept_message *hc,
    MshvX86HypercallArgs *args);

#endif /* TARGET_I386_MSHV_EXIT_H */
