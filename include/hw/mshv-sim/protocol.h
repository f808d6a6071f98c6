/*
 * MSHV simulator: the wire protocol between the preload library (which
 * plays the Linux mshv_root driver inside any /dev/mshv client) and the
 * hypervisor process (qemu-system-x86_64 -M mshv-sim-hv, which plays the
 * Microsoft Hypervisor and runs the partition's VPs with TCG).
 *
 * One hypervisor process serves one partition.  The driver side holds a
 * SOCK_SEQPACKET connection per partition (the "partition channel") and
 * one per VP (the "VP channel").  Every request is one packet: a
 * MshvSimHeader, then `len` payload bytes, with `nfds` file descriptors
 * attached as SCM_RIGHTS.  Every request except MSHV_SIM_OP_CANCEL_RUN
 * gets exactly one reply packet of the same shape, whose `ret` is 0 or a
 * negative errno.  Hypercall-level results travel as HV_STATUS values in
 * the reply's arg[0], exactly as the hypervisor would return them.
 *
 * The split of work mirrors Linux: the driver side validates ioctl
 * arguments (errno), keeps the region/VP/irqfd bookkeeping and turns
 * ioctls into requests; the hypervisor side implements hypercalls,
 * intercepts, messages and guest-visible behaviour.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_PROTOCOL_H
#define HW_MSHV_SIM_PROTOCOL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "hw/hyperv/mshv-abi.h"

#define MSHV_SIM_PROTOCOL_VERSION       6

/* The largest payload of one packet (hypercall buffers are <= 4 KiB). */
#define MSHV_SIM_MAX_PAYLOAD            (64 * 1024)
#define MSHV_SIM_MAX_FDS                4

/*
 * The hypervisor process is started as
 *   $MSHV_SIM_HV -M mshv-sim-hv,channel=FD [MSHV_SIM_HV_ARGS...]
 * with FD its end of the partition channel.  MSHV_SIM_HV defaults to the
 * qemu-system-x86_64 the wrapper (scripts/mshv-sim-run) names.
 */
#define MSHV_SIM_ENV_HV                 "MSHV_SIM_HV"
#define MSHV_SIM_ENV_HV_ARGS            "MSHV_SIM_HV_ARGS"
#define MSHV_SIM_MACHINE_NAME           "mshv-sim-hv"
/* This machine's TSC rate in Hz, as the driver side measured it (caps.h) */
#define MSHV_SIM_ENV_HOST_TSC_HZ        "MSHV_SIM_HOST_TSC_HZ"

/* The other end of channel @fd is gone (either side asks, without waiting) */
static inline bool mshv_sim_chan_hung_up(int fd)
{
    struct pollfd p = { .fd = fd, .events = 0 };

    return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

/*
 * Page 2 of a VP's memfd.  While the stopped VP's thread watches for the
 * VMM's answer (hw/mshv-sim/poll-window.h) it sets @run_watch to
 * MSHV_SIM_RUN_WATCHED; a RUN_VP then is posted by turning that into
 * MSHV_SIM_RUN_POSTED instead of sent as a packet, so that it wakes
 * nobody but the watcher (a packet would wake the hypervisor's main loop
 * too).  Its reply is a packet as always.  Compare-and-swap on both
 * sides: whoever changes MSHV_SIM_RUN_WATCHED first wins.  A post is the
 * driver's until the VP's thread claims it (MSHV_SIM_RUN_POSTED to
 * MSHV_SIM_RUN_NOT_WATCHED): an interrupted MSHV_RUN_VP takes it back
 * (to MSHV_SIM_RUN_WATCHED) instead of sending MSHV_SIM_OP_CANCEL_RUN,
 * which, as a packet, could overtake it.
 *
 * The other way, while the driver side watches for the reply to its
 * RUN_VP it sets @reply_watch to MSHV_SIM_RUN_WATCHED (before it posts or
 * sends the run), and the reply is posted instead of sent: @reply_ret
 * and, for a message, @reply_msg (a struct hv_message), then
 * MSHV_SIM_RUN_POSTED by compare-and-swap; that spares a packet each
 * way.  The driver side ends its watch by compare-and-swap too, and
 * takes a reply that got in first.
 *
 * A hypercall that is part of the VMM's answer to the stop (those the
 * watching thread takes: an interrupt assertion, a translation of the
 * VP's own address) is posted the same way, when it fits: @call_* filled
 * in, then @run_watch from MSHV_SIM_RUN_WATCHED to
 * MSHV_SIM_RUN_CALL_POSTED.  The VP's thread claims it
 * (MSHV_SIM_RUN_CALL_CLAIMED), makes it, and posts the result in the same
 * fields (MSHV_SIM_RUN_CALL_DONE); the driver side takes that and hands
 * the watch back (MSHV_SIM_RUN_WATCHED).  A call not claimed in time the
 * driver side takes back, as a RUN_VP, and sends instead.
 *
 * @sent rings a bell: the driver side adds one after each hypercall it
 * sends on the VP channel, so that the VP's watching thread sees it come
 * at once, as it sees a posted RUN_VP, without a system call per look.
 */
#define MSHV_SIM_CALL_POST_MAX          256

typedef struct MshvSimVpShared {
    uint32_t run_watch;
    uint32_t reply_watch;
    int32_t reply_ret;
    uint32_t sent;
    uint8_t reply_msg[256];
    uint16_t call_code;
    uint16_t call_status;           /* out: HV_STATUS */
    uint32_t call_reps;             /* in: rep count; out: reps done */
    uint32_t call_in_len;
    uint32_t call_out_len;
    uint8_t call_in[MSHV_SIM_CALL_POST_MAX];
    uint8_t call_out[MSHV_SIM_CALL_POST_MAX];
} MshvSimVpShared;

/*
 * Whether the stopped VP @vp_index's watching thread takes hypercall @code
 * with input @in (@len bytes) as part of the VMM's answer to the stop: an
 * interrupt assertion (a device the exit raised an interrupt), a
 * translation of one of its own addresses (a string I/O exit asks for
 * one).  Nothing that waits for another VP: from inside TCG's execution
 * loop that could deadlock against its exclusive work.
 */
static inline bool mshv_sim_watcher_takes(uint16_t code, const void *in,
                                          size_t len, uint32_t vp_index)
{
    struct hv_input_translate_virtual_address t;

    switch (code) {
    case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
        return true;
    case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
        if (len < sizeof(t)) {
            return false;
        }
        memcpy(&t, in, sizeof(t));
        return t.vp_index == vp_index;
    default:
        return false;
    }
}

enum {
    MSHV_SIM_RUN_NOT_WATCHED,
    MSHV_SIM_RUN_WATCHED,
    MSHV_SIM_RUN_POSTED,
    MSHV_SIM_RUN_CALL_POSTED,
    MSHV_SIM_RUN_CALL_CLAIMED,
    MSHV_SIM_RUN_CALL_DONE,
};

#define MSHV_SIM_VP_STATE_PAGES         3
#define MSHV_SIM_VP_SHARED_PAGE         2

typedef struct MshvSimHeader {
    uint32_t op;                /* MshvSimOp */
    int32_t ret;                /* reply: 0 or -errno */
    uint32_t len;               /* payload bytes following the header */
    uint32_t nfds;              /* fds attached with SCM_RIGHTS */
    uint64_t arg[4];
} MshvSimHeader;

typedef enum MshvSimOp {
    /*
     * Partition channel.
     */

    /*
     * First request.  arg[0] = MSHV_SIM_PROTOCOL_VERSION; payload:
     * struct mshv_create_partition_v2 (a v1 request is zero-extended, with
     * pt_num_cpu_fbanks = 2 and no banks disabled).
     * Reply arg[0]: HV_STATUS; arg[1]: the size of the partition's
     * compacted XSAVE area (what MSHV_GET_VP_STATE needs).
     */
    MSHV_SIM_OP_CREATE_PARTITION = 1,

    /* No arguments.  Reply arg[0]: HV_STATUS. */
    MSHV_SIM_OP_INITIALIZE_PARTITION,

    /*
     * Map guest memory.  fd[0]: the file backing the client's memory;
     * arg[0] = guest_pfn, arg[1] = size in bytes, arg[2] = offset of the
     * region in fd[0], arg[3] = MSHV_SET_MEM_BIT_* flags.
     * Reply arg[0]: HV_STATUS.
     */
    MSHV_SIM_OP_MAP_GPA,

    /* arg[0] = guest_pfn, arg[1] = size.  Reply arg[0]: HV_STATUS. */
    MSHV_SIM_OP_UNMAP_GPA,

    /*
     * Create a VP.  arg[0] = vp_index; fd[0]: the VP channel (hypervisor
     * end); fd[1]: a 3-page memfd whose page 0 is the VP's register page
     * (struct hv_vp_register_page), page 1 its intercept message page and
     * page 2 the two sides' own (MshvSimVpShared), which the VMM never
     * maps.  Reply arg[0]: HV_STATUS.
     */
    MSHV_SIM_OP_CREATE_VP,

    /*
     * A hypercall (partition channel: for any VP; VP channel: the same).
     * arg[0] = code, arg[1] = rep count, arg[2] = output size; payload:
     * the input (its first u64 already holds the partition id).
     * Reply arg[0] = HV_STATUS, arg[1] = reps completed, payload: output.
     */
    MSHV_SIM_OP_HVCALL,

    /*
     * Replace the MSI routing table.  payload: struct mshv_user_irq_entry
     * [arg[0]], already validated.  Reply arg[0]: HV_STATUS.
     */
    MSHV_SIM_OP_SET_MSI_ROUTING,

    /*
     * Bind (arg[1] bit 0 clear) or unbind an irqfd.  fd[0]: eventfd,
     * fd[1]: resample eventfd if arg[1] has MSHV_IRQFD_BIT_RESAMPLE;
     * arg[0] = gsi, arg[1] = flags, arg[2] = driver's id for the binding.
     * Unbinding names the binding by arg[2] alone, no fds.
     */
    MSHV_SIM_OP_IRQFD,

    /*
     * Bind or unbind an MMIO ioeventfd.  fd[0]: eventfd (bind only);
     * arg[0] = addr, arg[1] = len, arg[2] = datamatch, arg[3] = flags |
     * (driver's id << 32).  Unbinding names the binding by id.
     */
    MSHV_SIM_OP_IOEVENTFD,

    /*
     * HVCALL_GET_GPA_PAGES_ACCESS_STATES over a range, for
     * MSHV_GET_GPAP_ACCESS_BITMAP.  arg[0] = base pfn, arg[1] = page count,
     * arg[2] = HV_GPA_PAGE_ACCESS_* flags.  Reply arg[0] = HV_STATUS,
     * payload: one state byte per page.
     */
    MSHV_SIM_OP_GPA_ACCESS_STATES,

    /*
     * Deterministic counters (intercepts by type, hypercalls by code,
     * requests by op) for benchmarks.  Reply payload: "name value\n" text.
     */
    MSHV_SIM_OP_GET_COUNTERS,

    /*
     * VP channel.
     */

    /*
     * Run the VP until it has a message for the VMM.  Reply: ret 0 and
     * the 256-byte struct hv_message as payload (also left in the
     * intercept message page), or ret -EINTR after MSHV_SIM_OP_CANCEL_RUN
     * stopped the VP with no message in flight.
     */
    MSHV_SIM_OP_RUN_VP,

    /*
     * Sent on the VP channel while RUN_VP is outstanding, when the
     * client thread got a signal.  No reply of its own: the outstanding
     * RUN_VP is answered (with a message that raced in, or -EINTR).
     */
    MSHV_SIM_OP_CANCEL_RUN,

    /*
     * MSHV_GET_VP_STATE / MSHV_SET_VP_STATE.  arg[0] = MSHV_VP_STATE_*.
     * GET reply payload: the state; SET payload: the state.
     * Reply arg[0]: HV_STATUS.
     */
    MSHV_SIM_OP_GET_VP_STATE,
    MSHV_SIM_OP_SET_VP_STATE,

    MSHV_SIM_OP_COUNT,
} MshvSimOp;

#endif /* HW_MSHV_SIM_PROTOCOL_H */
