/*
 * MSHV simulator: the partition, as a machine type of its own
 *
 * "-M mshv-sim-hv,channel=FD" is started by the simulator's preload
 * library; FD is the partition channel (include/hw/mshv-sim/protocol.h).
 * The machine has no devices and no RAM of its own: the client's memory
 * is mapped in region by region, and VPs are created on request.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/i386/apic.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/error-report.h"
#include "qemu/event_notifier.h"
#include "qemu/main-loop.h"
#include "qemu/sockets.h"
#include "system/runstate.h"
#include "system/cpu-timers.h"
#include "hw/boards.h"
#include "cpu.h"
#include "mshv/mshv-vp-state.h"
#include "mshv-sim.h"
#include "trace.h"

static uint8_t mshv_sim_payload[MSHV_SIM_MAX_PAYLOAD];

static const char *const mshv_sim_counter_names[MSHV_SIM_CNT__MAX] = {
    [MSHV_SIM_CNT_INTERCEPT_IO] = "intercept.io_port",
    [MSHV_SIM_CNT_INTERCEPT_IO_STRING] = "intercept.io_port_string",
    [MSHV_SIM_CNT_INTERCEPT_UNMAPPED_GPA] = "intercept.unmapped_gpa",
    [MSHV_SIM_CNT_INTERCEPT_GPA] = "intercept.gpa",
    [MSHV_SIM_CNT_INTERCEPT_APIC_EOI] = "intercept.apic_eoi",
    [MSHV_SIM_CNT_INTERCEPT_OTHER] = "intercept.other",
    [MSHV_SIM_CNT_INJECTED_HALT] = "injected.halt",
    [MSHV_SIM_CNT_RUN] = "run_vp",
    [MSHV_SIM_CNT_RUN_CANCELLED] = "run_vp.cancelled",
    [MSHV_SIM_CNT_RUN_WATCHED] = "run_vp.watched",
    [MSHV_SIM_CNT_RUN_POSTED] = "run_vp.posted",
    [MSHV_SIM_CNT_REPLY_POSTED] = "run_vp.reply_posted",
    [MSHV_SIM_CNT_MAIN_LOOP_IDLE] = "main_loop.idle",
    [MSHV_SIM_CNT_HVCALL_WATCHED] = "hvcall.watched",
    [MSHV_SIM_CNT_HVCALL] = "hvcall",
    [MSHV_SIM_CNT_REGS_GET] = "registers.get",
    [MSHV_SIM_CNT_REGS_SET] = "registers.set",
    [MSHV_SIM_CNT_INTERRUPT] = "interrupt.assert",
    [MSHV_SIM_CNT_IRQFD_SIGNAL] = "interrupt.irqfd",
    [MSHV_SIM_CNT_IOEVENTFD_SIGNAL] = "ioeventfd.signal",
    [MSHV_SIM_CNT_GUEST_FLUSH] = "guest_hypercall.tlb_flush",
    [MSHV_SIM_CNT_GUEST_IPI] = "guest_hypercall.ipi",
    [MSHV_SIM_CNT_GPA_ACCESS] = "gpa_access.calls",
    [MSHV_SIM_CNT_GPA_ACCESS_PAGES] = "gpa_access.pages",
};

static GString *mshv_sim_counters_text(MshvSimPartition *pt)
{
    GString *s = g_string_new(NULL);
    int i;

    for (i = 0; i < MSHV_SIM_CNT__MAX; i++) {
        g_string_append_printf(s, "%s %" PRIu64 "\n", mshv_sim_counter_names[i],
                               qatomic_read(&pt->counters[i]));
    }
    for (i = 0; i < ARRAY_SIZE(pt->hvcall_counts); i++) {
        uint64_t n = qatomic_read(&pt->hvcall_counts[i]);

        if (n) {
            g_string_append_printf(s, "hvcall.0x%04x %" PRIu64 "\n", i, n);
        }
    }
    return s;
}

static uint16_t mshv_sim_create(MshvSimPartition *pt, const void *payload,
                                uint32_t len)
{
    struct mshv_create_partition_v2 args;

    if (pt->created || len != sizeof(args)) {
        return HV_STATUS_INVALID_PARAMETER;
    }
    memcpy(&args, payload, sizeof(args));
    pt->pt_flags = args.pt_flags;
    pt->disabled_fbanks[0] = args.pt_cpu_fbanks[0];
    pt->disabled_fbanks[1] = args.pt_cpu_fbanks[1];
    pt->disabled_xsave = args.pt_disabled_xsave;
    pt->created = true;
    trace_mshv_sim_create_partition(args.pt_flags);
    return HV_STATUS_SUCCESS;
}

static void mshv_sim_close_fds(int *fds, unsigned nfds)
{
    while (nfds) {
        close(fds[--nfds]);
    }
}

/*
 * With MSHV_SIM_COUNTERS=FILE in the environment, the counters of the
 * partition's whole life are written there when it is torn down, and
 * those so far on SIGUSR2 (written whole, then renamed into place, so a
 * reader never sees half a file).
 */
static void mshv_sim_write_counters(MshvSimPartition *pt)
{
    const char *path = getenv("MSHV_SIM_COUNTERS");
    g_autoptr(GString) text = NULL;
    g_autofree char *tmp = NULL;
    g_autoptr(GError) err = NULL;

    /*
     * Only a partition that ran: a VMM's short-lived scratch partition
     * (QEMU asks one for its CPUID) must not leave its zeros for a
     * reader waiting for the real partition's counters.
     */
    if (!path || !*path || !pt->counters[MSHV_SIM_CNT_RUN]) {
        return;
    }
    text = mshv_sim_counters_text(pt);
    tmp = g_strdup_printf("%s.%d.tmp", path, getpid());
    if (!g_file_set_contents(tmp, text->str, text->len, &err) ||
        rename(tmp, path) < 0) {
        error_report("mshv-sim: cannot write the counters to %s: %s", path,
                     err ? err->message : strerror(errno));
    }
}

/*
 * SIGUSR2 writes the counters so far (a benchmark's look in the middle of
 * a run; the file has only the signalled process's partition).  The
 * handler only wakes the main loop, which writes them.
 */
static MshvSimPartition *mshv_sim_counted;
static EventNotifier mshv_sim_counters_wanted;

static void mshv_sim_counters_signal(int sig)
{
    event_notifier_set(&mshv_sim_counters_wanted);
}

static void mshv_sim_counters_requested(EventNotifier *e)
{
    event_notifier_test_and_clear(e);
    mshv_sim_write_counters(mshv_sim_counted);
}

static void mshv_sim_counters_on_signal(MshvSimPartition *pt)
{
    struct sigaction sa = { .sa_handler = mshv_sim_counters_signal };

    if (event_notifier_init(&mshv_sim_counters_wanted, false) < 0) {
        return;             /* counters only at the end, then */
    }
    mshv_sim_counted = pt;
    event_notifier_set_handler(&mshv_sim_counters_wanted,
                               mshv_sim_counters_requested);
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}

static void mshv_sim_partition_request(void *opaque)
{
    MshvSimPartition *pt = opaque;
    MshvSimHeader req;
    int fds[MSHV_SIM_MAX_FDS];
    unsigned nfds = MSHV_SIM_MAX_FDS;
    uint16_t status = HV_STATUS_SUCCESS;
    int n;

    n = mshv_sim_recv(pt->channel, &req, mshv_sim_payload,
                      sizeof(mshv_sim_payload), fds, &nfds);
    if (n == -EAGAIN) {
        return;
    }
    if (n <= 0) {
        /* The driver side closed the partition: tear everything down. */
        if (n < 0) {
            error_report("mshv-sim: partition channel: %s", strerror(-n));
        }
        mshv_sim_write_counters(pt);
        mshv_sim_irq_release(pt);
        qemu_set_fd_handler(pt->channel, NULL, NULL, NULL);
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_SIGNAL);
        return;
    }
    trace_mshv_sim_request(req.op, req.arg[0], req.arg[1]);

    if (req.op != MSHV_SIM_OP_CREATE_PARTITION && !pt->created) {
        mshv_sim_close_fds(fds, nfds);
        mshv_sim_reply(pt->channel, &req, -EPROTO, 0, 0, NULL, 0);
        return;
    }

    if (req.op != MSHV_SIM_OP_MAP_GPA && req.op != MSHV_SIM_OP_UNMAP_GPA) {
        mshv_sim_memory_flush(pt);
    }
    switch (req.op) {
    case MSHV_SIM_OP_CREATE_PARTITION:
        if (req.arg[0] != MSHV_SIM_PROTOCOL_VERSION) {
            mshv_sim_reply(pt->channel, &req, -EPROTO, 0, 0, NULL, 0);
            break;
        }
        status = mshv_sim_create(pt, mshv_sim_payload, req.len);
        mshv_sim_reply(pt->channel, &req, 0, status,
                       mshv_xsave_compacted_size(mshv_sim_xsave_states(pt)),
                       NULL, 0);
        break;

    case MSHV_SIM_OP_INITIALIZE_PARTITION:
        pt->initialized = true;
        mshv_sim_reply(pt->channel, &req, 0, HV_STATUS_SUCCESS, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_MAP_GPA:
        if (nfds != 1) {
            mshv_sim_close_fds(fds, nfds);
            mshv_sim_reply(pt->channel, &req, -EBADF, 0, 0, NULL, 0);
            break;
        }
        status = mshv_sim_map_gpa(pt, req.arg[0], req.arg[1], fds[0],
                                  req.arg[2], req.arg[3]);
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_UNMAP_GPA:
        status = mshv_sim_unmap_gpa(pt, req.arg[0], req.arg[1]);
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_CREATE_VP:
        if (nfds != 2) {
            mshv_sim_close_fds(fds, nfds);
            mshv_sim_reply(pt->channel, &req, -EBADF, 0, 0, NULL, 0);
            break;
        }
        status = mshv_sim_vp_create(pt, req.arg[0], fds[0], fds[1],
                                        mshv_sim_vp_serve);
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_HVCALL: {
        static uint8_t out[MSHV_HVCALL_MAX_IO_SIZE];
        size_t out_size = MIN(req.arg[2], sizeof(out));
        unsigned done = 0;

        memset(out, 0, out_size);
        status = mshv_sim_hvcall(pt, NULL, req.arg[0], req.arg[1],
                                 mshv_sim_payload, req.len, out, out_size,
                                 &done);
        mshv_sim_reply(pt->channel, &req, 0, status, done, out, out_size);
        break;
    }

    case MSHV_SIM_OP_SET_MSI_ROUTING:
        mshv_sim_close_fds(fds, nfds);
        status = mshv_sim_set_msi_routing(pt, mshv_sim_payload, req.len,
                                          req.arg[0]);
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_IRQFD:
        status = mshv_sim_irqfd(pt, req.arg[0], req.arg[1], req.arg[2],
                                fds, nfds);
        if (status != HV_STATUS_SUCCESS ||
            (req.arg[1] & (1u << MSHV_IRQFD_BIT_DEASSIGN))) {
            mshv_sim_close_fds(fds, nfds);
        }
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_IOEVENTFD:
        status = mshv_sim_ioeventfd(pt, req.arg[0], req.arg[1], req.arg[2],
                                    req.arg[3], fds, nfds);
        if (status != HV_STATUS_SUCCESS ||
            (req.arg[3] & (1u << MSHV_IOEVENTFD_BIT_DEASSIGN))) {
            mshv_sim_close_fds(fds, nfds);
        }
        mshv_sim_reply(pt->channel, &req, 0, status, 0, NULL, 0);
        break;

    case MSHV_SIM_OP_GPA_ACCESS_STATES: {
        static uint8_t states[MSHV_SIM_MAX_PAYLOAD];
        uint64_t count = MIN(req.arg[1], sizeof(states));
        unsigned done;

        mshv_sim_close_fds(fds, nfds);
        status = mshv_sim_gpa_access_states(pt, req.arg[0], count, req.arg[2],
                                            states, &done);
        mshv_sim_reply(pt->channel, &req, 0, status, 0, states, done);
        break;
    }

    case MSHV_SIM_OP_GET_COUNTERS: {
        g_autoptr(GString) text = mshv_sim_counters_text(pt);

        mshv_sim_reply(pt->channel, &req, 0, HV_STATUS_SUCCESS, 0,
                       text->str, text->len);
        break;
    }

    default:
        mshv_sim_close_fds(fds, nfds);
        mshv_sim_reply(pt->channel, &req, -ENOSYS, 0, 0, NULL, 0);
        break;
    }
}

/*
 * The simulated host's TSC: this machine's, or (-machine tsc-frequency) a
 * rate of the profile's, to which TCG's TSC is scaled from this machine's
 * by a 32.32 fixed-point factor.
 */
static uint64_t mshv_sim_tsc_hz;
static uint64_t mshv_sim_tsc_factor;    /* 0: not scaled */

uint64_t mshv_sim_tsc_frequency(void)
{
    return mshv_sim_tsc_hz ?: mshv_sim_host_tsc_frequency();
}

uint64_t mshv_sim_tsc_scale(uint64_t ticks)
{
    return mshv_sim_tsc_factor ?
           ((unsigned __int128)ticks * mshv_sim_tsc_factor) >> 32 : ticks;
}

static void mshv_sim_tsc_init(MshvSimPartition *pt)
{
    uint64_t host = mshv_sim_host_tsc_frequency();

    if (pt->tsc_frequency &&
        (pt->tsc_frequency < 100000000 || pt->tsc_frequency > 10000000000ULL)) {
        error_report("machine %s: tsc-frequency=%" PRIu64 " is not 0 (this "
                     "machine's) or 100 MHz to 10 GHz, in Hz",
                     MSHV_SIM_MACHINE_NAME, pt->tsc_frequency);
        exit(1);
    }
    mshv_sim_tsc_hz = pt->tsc_frequency ?: host;
    if (mshv_sim_tsc_hz != host) {
        mshv_sim_tsc_factor = ((unsigned __int128)mshv_sim_tsc_hz << 32) /
                              host;
    }
}

static void mshv_sim_machine_init(MachineState *ms)
{
    MshvSimPartition *pt = MSHV_SIM_MACHINE(ms);

    if (pt->channel < 0) {
        error_report("machine %s is started by the MSHV simulator "
                     "(scripts/mshv-sim-run), not by hand: it needs "
                     "channel=FD", MSHV_SIM_MACHINE_NAME);
        exit(1);
    }
    if (fcntl(pt->channel, F_GETFD) < 0) {
        error_report("machine %s: channel=%d is not an open file descriptor",
                     MSHV_SIM_MACHINE_NAME, pt->channel);
        exit(1);
    }
    qemu_socket_set_nonblock(pt->channel);
    qemu_set_cloexec(pt->channel);

    /* QEMU's APIC bus is sized once, before the first LAPIC. */
    apic_set_max_apic_id(MSHV_MAX_VPS);
    QTAILQ_INIT(&pt->regions);
    mshv_sim_memory_init(pt);
    mshv_sim_intercepts_init(pt);
    mshv_sim_tsc_init(pt);
    mshv_sim_vp_install_hooks();
    qemu_set_fd_handler(pt->channel, mshv_sim_partition_request, NULL, pt);
    mshv_sim_counters_on_signal(pt);
}

static void mshv_sim_get_channel(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    int32_t value = MSHV_SIM_MACHINE(obj)->channel;

    visit_type_int32(v, name, &value, errp);
}

static void mshv_sim_set_channel(Object *obj, Visitor *v, const char *name,
                                 void *opaque, Error **errp)
{
    int32_t value;

    if (visit_type_int32(v, name, &value, errp)) {
        MSHV_SIM_MACHINE(obj)->channel = value;
    }
}

static bool mshv_sim_get_cet(Object *obj, Error **errp)
{
    return MSHV_SIM_MACHINE(obj)->cet;
}

static void mshv_sim_set_cet(Object *obj, bool value, Error **errp)
{
    MSHV_SIM_MACHINE(obj)->cet = value;
}

static void mshv_sim_get_insn_bytes(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint8_t value = MSHV_SIM_MACHINE(obj)->insn_bytes;

    visit_type_uint8(v, name, &value, errp);
}

static void mshv_sim_set_insn_bytes(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    uint8_t value;

    if (!visit_type_uint8(v, name, &value, errp)) {
        return;
    }
    if (value > 16) {
        error_setg(errp, "insn-bytes must be 0 to 16");
        return;
    }
    MSHV_SIM_MACHINE(obj)->insn_bytes = value;
}

static void mshv_sim_get_malformed(Object *obj, Visitor *v,
                                   const char *name, void *opaque,
                                   Error **errp)
{
    uint32_t value = MSHV_SIM_MACHINE(obj)->malformed_message;

    visit_type_uint32(v, name, &value, errp);
}

static void mshv_sim_set_malformed(Object *obj, Visitor *v,
                                   const char *name, void *opaque,
                                   Error **errp)
{
    uint32_t value;

    if (visit_type_uint32(v, name, &value, errp)) {
        MSHV_SIM_MACHINE(obj)->malformed_message = value;
    }
}

static void mshv_sim_machine_instance_init(Object *obj)
{
    MSHV_SIM_MACHINE(obj)->channel = -1;
    MSHV_SIM_MACHINE(obj)->insn_bytes = 16;
    MSHV_SIM_MACHINE(obj)->cet = mshv_sim_host_has_cet();

    object_property_add_uint64_ptr(obj, "tsc-frequency",
                                   &MSHV_SIM_MACHINE(obj)->tsc_frequency,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_set_description(obj, "tsc-frequency",
        "The simulated host's TSC rate in Hz, 100 MHz to 10 GHz, which "
        "guests' TSC runs at (0, the default: this machine's)");

    /* fault injection, for testing VMMs */
    object_property_add_uint32_ptr(obj, "unsupported-feature",
                                   &MSHV_SIM_MACHINE(obj)->unsupported_feature,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_set_description(obj, "unsupported-feature",
        "The Nth message a VP stops with is an unsupported feature (a "
        "hardware task switch) instead (0, the default: none); a VMM must "
        "stop the VM saying so");
    object_property_add_uint32_ptr(obj, "halt-every",
                                   &MSHV_SIM_MACHINE(obj)->halt_every,
                                   OBJ_PROP_FLAG_READWRITE);
    object_property_set_description(obj, "halt-every",
        "Every Nth RUN_VP is answered with a HALT message before the VP "
        "runs (0, the default: none), as a hypervisor may answer for a "
        "halted VP; a VMM must run the VP again");
}

static void mshv_sim_machine_class_init(ObjectClass *oc, void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "MSHV simulator hypervisor (started by scripts/mshv-sim-run)";
    mc->init = mshv_sim_machine_init;
    mc->max_cpus = MSHV_MAX_VPS;
    mc->default_cpus = 1;
    mc->default_cpu_type = X86_CPU_TYPE_NAME("max");
    mc->no_floppy = 1;
    mc->no_cdrom = 1;
    mc->no_parallel = 1;
    mc->no_serial = 1;
    mc->default_ram_size = 0;

    object_class_property_add(oc, "channel", "int", mshv_sim_get_channel,
                              mshv_sim_set_channel, NULL, NULL);
    object_class_property_set_description(oc, "channel",
        "File descriptor of the partition channel");
    object_class_property_add_bool(oc, "cet", mshv_sim_get_cet,
                                   mshv_sim_set_cet);
    object_class_property_set_description(oc, "cet",
        "Whether the simulated host's processor has CET (its state, MSRs "
        "and registers kept for guests); by default, as the real one");
    object_class_property_add(oc, "insn-bytes", "uint8",
                              mshv_sim_get_insn_bytes,
                              mshv_sim_set_insn_bytes, NULL, NULL);
    object_class_property_set_description(oc, "insn-bytes",
        "How many instruction bytes intercept messages carry (0-16, "
        "default 16); a VMM must fetch the rest from guest memory");
    object_class_property_add(oc, "malformed-message", "uint32",
                              mshv_sim_get_malformed,
                              mshv_sim_set_malformed, NULL, NULL);
    object_class_property_set_description(oc, "malformed-message",
        "Fault injection, for testing VMMs: the Nth message a VP stops "
        "with claims a payload larger than a message (0, the default: "
        "none); a VMM must refuse it");
}

static const TypeInfo mshv_sim_machine_type = {
    .name = TYPE_MSHV_SIM_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(MshvSimPartition),
    .instance_init = mshv_sim_machine_instance_init,
    .class_init = mshv_sim_machine_class_init,
};

static void mshv_sim_register_types(void)
{
    type_register_static(&mshv_sim_machine_type);
}

type_init(mshv_sim_register_types)
