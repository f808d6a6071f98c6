/*
 * MSHV accelerator, x86: VPs, register state and the run loop
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "exec/address-spaces.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "system/runstate.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "hw/intc/ioapic.h"
#include "qemu/memalign.h"
#include "hw/boards.h"
#include "hw/i386/apic_internal.h"
#include "mshv-regs.h"
#include "mshv-vp-state.h"
#include "kvm/hyperv-proto.h"
#include "mshv-x86.h"

/* Per hypercall: SET is limited by its 4 KiB input, GET by its output. */
#define MSHV_SET_REGS_MAX   ((MSHV_HVCALL_MAX_IO_SIZE - \
                              sizeof(struct hv_input_vp_registers)) / \
                             sizeof(struct hv_register_assoc))
#define MSHV_GET_REGS_MAX   (MSHV_HVCALL_MAX_IO_SIZE / \
                             sizeof(union hv_register_value))

/* What Linux and Windows guests expect of Hyper-V when -cpu names none. */
static const uint64_t mshv_default_synthetic_features =
    1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
    1ULL << HV_SYNTHETIC_PROC_HV1 |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC |
    1ULL << HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS |
    1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS |
    1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS |
    1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI |
    1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS;

/*
 * QEMU's hv-* CPU properties (HYPERV_FEAT_*) as synthetic features;
 * "none" where the Microsoft Hypervisor has no partition feature for one.
 */
static const struct {
    unsigned feat;
    const char *name;
    bool none;
    uint64_t synthetic;
} mshv_hv_props[] = {
    /* a recommendation the hypervisor makes by itself: nothing to ask */
    { HYPERV_FEAT_RELAXED, "hv-relaxed" },
    { HYPERV_FEAT_VAPIC, "hv-vapic", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS },
    { HYPERV_FEAT_TIME, "hv-time", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER |
      1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC },
    { HYPERV_FEAT_CRASH, "hv-crash", true },
    { HYPERV_FEAT_RESET, "hv-reset", true },
    { HYPERV_FEAT_VPINDEX, "hv-vpindex", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX },
    { HYPERV_FEAT_RUNTIME, "hv-runtime", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG },
    { HYPERV_FEAT_SYNIC, "hv-synic", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS |
      1ULL << HV_SYNTHETIC_PROC_SIGNAL_EVENTS },
    { HYPERV_FEAT_STIMER, "hv-stimer", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS },
    { HYPERV_FEAT_FREQUENCIES, "hv-frequencies", false,
      1ULL << HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS },
    { HYPERV_FEAT_REENLIGHTENMENT, "hv-reenlightenment", true },
    /* both with the Ex forms, for VPs past 63 */
    { HYPERV_FEAT_TLBFLUSH, "hv-tlbflush", false,
      1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS |
      1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS },
    { HYPERV_FEAT_EVMCS, "hv-evmcs", false,
      1ULL << HV_SYNTHETIC_PROC_ENLIGHTENED_VMCS },
    { HYPERV_FEAT_IPI, "hv-ipi", false,
      1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI |
      1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS },
    { HYPERV_FEAT_STIMER_DIRECT, "hv-stimer-direct", false,
      1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS },
    { HYPERV_FEAT_AVIC, "hv-avic", true },
    { HYPERV_FEAT_SYNDBG, "hv-syndbg", true },
    { HYPERV_FEAT_MSR_BITMAP, "hv-emsr-bitmap", true },
    { HYPERV_FEAT_XMM_INPUT, "hv-xmm-input", true },
    { HYPERV_FEAT_TLBFLUSH_EXT, "hv-tlbflush-ext", true },
    { HYPERV_FEAT_TLBFLUSH_DIRECT, "hv-tlbflush-direct", true },
};

/*
 * No hv-* property on -cpu: the defaults above.  Otherwise what they
 * ask for, with the hypercall interface every enlightenment needs.
 */
int mshv_arch_synthetic_features(uint64_t *features, Error **errp)
{
    g_autoptr(GString) ignored = g_string_new(NULL);
    uint64_t hv = 0;
    Object *model;
    unsigned i;

    /* The -cpu model with its properties, as every vCPU will have it. */
    if (current_machine && current_machine->cpu_type) {
        model = object_new(current_machine->cpu_type);
        hv = X86_CPU(model)->hyperv_features;
        object_unref(model);
    }
    if (!hv) {
        *features = mshv_default_synthetic_features;
        return 0;
    }
    *features = 1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT |
                1ULL << HV_SYNTHETIC_PROC_HV1 |
                1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS;
    for (i = 0; i < ARRAY_SIZE(mshv_hv_props); i++) {
        if (!(hv & (1ULL << mshv_hv_props[i].feat))) {
            continue;
        }
        *features |= mshv_hv_props[i].synthetic;
        if (mshv_hv_props[i].none) {
            g_string_append_printf(ignored, "%s%s", ignored->len ? ", " : "",
                                   mshv_hv_props[i].name);
        }
    }
    if (ignored->len) {
        warn_report("-accel mshv: the Microsoft Hypervisor has no partition "
                    "feature for %s; ignored", ignored->str);
    }
    return 0;
}

/* ---- VPs ----------------------------------------------------------------- */

/* The VP's XSAVE area: as large as the partition's, laid out as its. */
static int mshv_xsave_area_init(AccelCPUState *s, Error **errp)
{
    uint64_t size, states;

    if (mshv_get_property(mshv_state, HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE,
                          &size, errp) < 0 ||
        mshv_get_property(mshv_state, HV_PARTITION_PROPERTY_XSAVE_STATES,
                          &states, errp) < 0) {
        return -1;
    }
    /* (a size of 0: a component whose layout QEMU cannot learn) */
    if (!mshv_xsave_compacted_size(states) ||
        mshv_xsave_compacted_size(states) > size || size > 507 * 4096) {
        error_setg(errp, "the partition's XSAVE area (components 0x%" PRIx64
                   ", %" PRIu64 " bytes) is not one QEMU can lay out",
                   states, size);
        return -1;
    }
    s->xsave_size = ROUND_UP(size, MSHV_HV_PAGE_SIZE);
    s->xsave = qemu_memalign(MSHV_HV_PAGE_SIZE, s->xsave_size);
    memset(s->xsave, 0, s->xsave_size);
    mshv_xsave_init(s->xsave, states);
    return 0;
}

int mshv_arch_vcpu_init(CPUState *cpu, Error **errp)
{
    AccelCPUState *s = g_new0(AccelCPUState, 1);
    struct mshv_create_vp args = { .vp_index = X86_CPU(cpu)->apic_id };
    void *page;

    if (!mshv_partition_ready()) {
        error_setg(errp, "the partition could not be initialized");
        g_free(s);
        return -1;
    }
    /* The hypervisor's APIC ID is the VP index. */
    s->vp_index = args.vp_index;
    s->vp_fd = ioctl(mshv_state->pt_fd, MSHV_CREATE_VP, &args);
    if (s->vp_fd < 0) {
        error_setg_errno(errp, errno, "creating VP %u failed", s->vp_index);
        g_free(s);
        return -1;
    }
    page = mmap(NULL, MSHV_HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                s->vp_fd, MSHV_VP_MMAP_OFFSET_REGISTERS * MSHV_HV_PAGE_SIZE);
    /* Without a register page every register access is a hypercall. */
    s->regs = page == MAP_FAILED ? NULL : page;
    cpu->accel = s;
    cpu->vcpu_dirty = true;
    if (mshv_xsave_area_init(s, errp) < 0 ||
        mshv_x86_setup_cpuid(cpu, errp) < 0) {
        return -1;
    }
    mshv_x86_synic_vcpu_init(cpu);
    return 0;
}

/* After the machine's reset, before its state goes to the hypervisor. */
void mshv_arch_reset_vcpu(CPUState *cpu)
{
    CPUX86State *env = cpu_env(cpu);
    unsigned i;

    /*
     * As the hypervisor creates a VP: every SINT masked.  QEMU's SynIC
     * object keeps no pages of its own here, so it is not reset (its
     * reset insists that no device still holds a route, which a message
     * waiting for a full slot does).
     */
    for (i = 0; i < ARRAY_SIZE(env->msr_hv_synic_sint); i++) {
        env->msr_hv_synic_sint[i] = HV_SINT_MASKED;
    }
}

void mshv_arch_vcpu_destroy(CPUState *cpu)
{
    AccelCPUState *s = cpu->accel;

    if (s->regs) {
        munmap(s->regs, MSHV_HV_PAGE_SIZE);
    }
    mshv_x86_synic_vcpu_destroy(cpu);
    qemu_vfree(s->xsave);
    qemu_vfree(s->synic_pages);
    close(s->vp_fd);
    g_free(s);
    cpu->accel = NULL;
}

/* ---- Registers ----------------------------------------------------------- */

/* One register by hypercall: for the intercept handlers' one-offs. */
int mshv_x86_get_reg(CPUState *cpu, uint32_t name,
                     union hv_register_value *value)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t name;
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index, .name = name };
    uint16_t status;
    int ret = mshv_hvcall(s->vp_fd, HVCALL_GET_VP_REGISTERS, 1, &in,
                          sizeof(in), value, sizeof(*value), &status, NULL);

    if (ret < 0) {
        mshv_fail(cpu, "reading a register", -ret, status);
    }
    return ret;
}

int mshv_x86_set_reg(CPUState *cpu, uint32_t name,
                     const union hv_register_value *value, const char *what)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc reg;
    } QEMU_PACKED in = {
        .hdr.vp_index = s->vp_index,
        .reg.name = name,
        .reg.value = *value,
    };
    uint16_t status;
    int ret = mshv_hvcall(s->vp_fd, HVCALL_SET_VP_REGISTERS, 1, &in,
                          sizeof(in), NULL, 0, &status, NULL);

    if (ret < 0) {
        mshv_fail(cpu, what, -ret, status);
    }
    return ret;
}

struct hv_x64_segment_register mshv_x86_segment(CPUState *cpu, int seg)
{
    AccelCPUState *s = cpu->accel;
    union hv_register_value v = { 0 };

    if (s->regs && s->regs->isvalid) {
        return s->regs->segment[seg];
    }
    mshv_x86_get_reg(cpu, HV_X64_REGISTER_ES + seg, &v);
    return v.segment;
}

static int mshv_vp_state(CPUState *cpu, bool set, uint8_t type, void *buf,
                         uint32_t size, const char *what)
{
    struct mshv_get_set_vp_state args = {
        .type = type,
        .buf_sz = size,
        .buf_ptr = (uintptr_t)buf,
    };

    if (ioctl(cpu->accel->vp_fd, set ? MSHV_SET_VP_STATE : MSHV_GET_VP_STATE,
              &args) < 0) {
        mshv_fail(cpu, what, errno, 0);
        return -1;
    }
    return 0;
}

/*
 * The XSAVE area, which no register carries in full (the upper halves of
 * the YMM registers and beyond), then the registers override it.
 */
static int mshv_get_xsave(CPUState *cpu)
{
    AccelCPUState *s = cpu->accel;

    if (mshv_vp_state(cpu, false, MSHV_VP_STATE_XSAVE, s->xsave,
                      s->xsave_size, "reading the XSAVE state") < 0) {
        return -1;
    }
    if (!mshv_xsave_to_cpu(s->xsave, s->xsave_size, X86_CPU(cpu))) {
        mshv_fail(cpu, "decoding the XSAVE state", EINVAL, 0);
        return -1;
    }
    return 0;
}

/* The LAPIC, read as the APIC base register (already read) says. */
static int mshv_get_lapic(CPUState *cpu)
{
    X86CPU *x86 = X86_CPU(cpu);
    struct hv_local_interrupt_controller_state *lapic;
    int ret;

    if (!x86->apic_state) {
        return 0;
    }
    lapic = qemu_memalign(MSHV_HV_PAGE_SIZE, MSHV_HV_PAGE_SIZE);
    ret = mshv_vp_state(cpu, false, MSHV_VP_STATE_LAPIC, lapic,
                        MSHV_HV_PAGE_SIZE, "reading the LAPIC state");
    if (ret == 0) {
        mshv_lapic_state_to_apic(lapic, APIC_COMMON(x86->apic_state));
    }
    qemu_vfree(lapic);
    return ret;
}

static int mshv_put_vp_state(CPUState *cpu)
{
    AccelCPUState *s = cpu->accel;
    X86CPU *x86 = X86_CPU(cpu);
    struct hv_local_interrupt_controller_state *lapic;
    int ret;

    if (x86->apic_state) {
        lapic = qemu_memalign(MSHV_HV_PAGE_SIZE, MSHV_HV_PAGE_SIZE);
        memset(lapic, 0, MSHV_HV_PAGE_SIZE);
        mshv_lapic_state_from_apic(APIC_COMMON(x86->apic_state), lapic);
        ret = mshv_vp_state(cpu, true, MSHV_VP_STATE_LAPIC, lapic,
                            MSHV_HV_PAGE_SIZE, "writing the LAPIC state");
        qemu_vfree(lapic);
        if (ret < 0) {
            return -1;
        }
    }
    if (!mshv_xsave_from_cpu(x86, s->xsave, s->xsave_size)) {
        mshv_fail(cpu, "encoding the XSAVE state", EINVAL, 0);
        return -1;
    }
    return mshv_vp_state(cpu, true, MSHV_VP_STATE_XSAVE, s->xsave,
                         s->xsave_size, "writing the XSAVE state");
}

/*
 * The table's registers a VP of this CPU model has, in table order; for
 * a put, those the VMM may write (all of them for a whole state), the
 * put_last ones at the end.
 */
static size_t mshv_regs_select(CPUX86State *env, bool put, bool full,
                               const MshvReg **sel)
{
    size_t i, n = 0;
    int last;

    for (last = 0; last <= put; last++) {
        for (i = 0; i < mshv_regs_count; i++) {
            const MshvReg *reg = &mshv_regs[i];

            if ((reg->present && !reg->present(env)) ||
                (put && (!mshv_reg_is_writable(reg) ||
                         (!full && reg->whole_state_only) ||
                         reg->put_last != last))) {
                continue;
            }
            sel[n++] = reg;
        }
    }
    return n;
}

int mshv_arch_get_registers(CPUState *cpu)
{
    AccelCPUState *s = cpu->accel;
    CPUX86State *env = cpu_env(cpu);
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[MSHV_GET_REGS_MAX];
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index };
    g_autofree union hv_register_value *values =
        g_new0(union hv_register_value, MSHV_GET_REGS_MAX);
    g_autofree const MshvReg **sel = g_new(const MshvReg *, mshv_regs_count);
    size_t first, i, n, count;
    uint16_t status, done;
    int ret;

    if (mshv_get_xsave(cpu) < 0) {
        return -1;
    }
    count = mshv_regs_select(env, false, true, sel);
    for (first = 0; first < count; first += n) {
        n = MIN(count - first, MSHV_GET_REGS_MAX);
        for (i = 0; i < n; i++) {
            in.names[i] = sel[first + i]->name;
        }
        ret = mshv_hvcall(s->vp_fd, HVCALL_GET_VP_REGISTERS, n, &in,
                          sizeof(in.hdr) + n * sizeof(uint32_t), values,
                          n * sizeof(*values), &status, &done);
        if (ret < 0 || done != n) {
            mshv_fail(cpu, "reading registers", ret < 0 ? -ret : EIO,
                      status);
            return -1;
        }
        for (i = 0; i < n; i++) {
            sel[first + i]->set(sel[first + i], env, &values[i]);
        }
    }
    /*
     * Register-page writes not yet consumed (an intercept completed
     * through the page, the VP not run since) are newer than what the
     * hypervisor reported.
     */
    if (s->regs && s->regs->isvalid && s->regs->dirty) {
        mshv_regs_from_page(s->regs, s->regs->dirty, env);
    }
    x86_update_hflags(env);
    return mshv_get_lapic(cpu);
}

int mshv_arch_put_registers(CPUState *cpu, bool full)
{
    AccelCPUState *s = cpu->accel;
    CPUX86State *env = cpu_env(cpu);
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[MSHV_SET_REGS_MAX];
    } QEMU_PACKED *in = g_malloc0(sizeof(*in));
    g_autofree const MshvReg **sel = g_new(const MshvReg *, mshv_regs_count);
    size_t first, i, n, count;
    uint16_t status, done;
    int ret = 0;

    in->hdr.vp_index = s->vp_index;
    /* What follows supersedes anything still pending in the page. */
    if (s->regs) {
        s->regs->dirty = 0;
    }
    count = mshv_regs_select(env, true, full, sel);
    for (first = 0; first < count; first += n) {
        n = MIN(count - first, MSHV_SET_REGS_MAX);
        for (i = 0; i < n; i++) {
            union hv_register_value value = { 0 };

            sel[first + i]->get(sel[first + i], env, &value);
            memset(&in->regs[i], 0, sizeof(in->regs[i]));
            in->regs[i].name = sel[first + i]->name;
            in->regs[i].value = value;
        }
        ret = mshv_hvcall(s->vp_fd, HVCALL_SET_VP_REGISTERS, n, in,
                          sizeof(in->hdr) + n * sizeof(in->regs[0]),
                          NULL, 0, &status, &done);
        if (ret < 0 || done != n) {
            mshv_fail(cpu, "writing registers", ret < 0 ? -ret : EIO,
                      status);
            ret = -1;
            break;
        }
    }
    g_free(in);
    /*
     * The whole state (reset, machine start, incoming migration): after
     * the registers, so that the APIC base says how to read the LAPIC.
     */
    if (ret == 0 && full) {
        ret = mshv_put_vp_state(cpu);
    }
    if (ret == 0 && full) {
        ret = mshv_x86_synic_put_pages(cpu);
    }
    return ret;
}

/*
 * The 8259 raises CPU_INTERRUPT_HARD.  Its vector is only known when the
 * CPU acknowledges (INTA), which must wait until the guest can take an
 * interrupt -- a vector read early goes stale when the guest reprograms
 * the PIC meanwhile.  So ask the hypervisor to stop the VP once it can
 * (HVMSG_X64_INTERRUPTION_DELIVERABLE), and acknowledge then.  The same
 * register asks to hear when SINT message slots the SynIC backend found
 * full are free (HVMSG_SYNIC_SINT_DELIVERABLE); each request fires once.
 */
static int mshv_update_notifications(CPUState *cpu)
{
    AccelCPUState *s = cpu->accel;
    bool extint = !s->extint_window &&
                  (qatomic_read(&cpu->interrupt_request) & CPU_INTERRUPT_HARD);
    uint16_t sints = qatomic_xchg(&s->sints_wanted, 0) & ~s->sints_notify;
    union hv_register_value v;

    if (!extint && !sints) {
        return 0;
    }
    s->sints_notify |= sints;
    v.reg64 = (extint || s->extint_window ? HV_DELIVERABILITY_INTERRUPT : 0) |
              (uint64_t)s->sints_notify << HV_DELIVERABILITY_SINTS_SHIFT;
    if (mshv_x86_set_reg(cpu, HV_REGISTER_DELIVERABILITY_NOTIFICATIONS, &v,
                         "requesting interrupt and SINT notifications") < 0) {
        return -1;
    }
    s->extint_window |= extint;
    return 0;
}

static void mshv_deliver_extint(CPUState *cpu)
{
    int irq = -1;

    cpu->accel->extint_window = false;
    bql_lock();
    if (cpu->interrupt_request & CPU_INTERRUPT_HARD) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
        irq = cpu_get_pic_interrupt(cpu_env(cpu));
    }
    bql_unlock();
    /* The 8259 was acknowledged: an interrupt lost now would wedge it. */
    if (irq >= 0 &&
        mshv_assert_interrupt(HV_X64_INTERRUPT_TYPE_EXTINT,
                              cpu->accel->vp_index, false, false, irq) < 0) {
        qemu_system_vmstop_request(RUN_STATE_INTERNAL_ERROR);
    }
}

int mshv_arch_vcpu_exec(CPUState *cpu)
{
    struct hv_message msg;
    int ret = 0;
    int r;

    if (cpu->vcpu_dirty) {
        if (mshv_arch_put_registers(cpu, false) < 0) {
            return EXCP_HLT;
        }
        cpu->vcpu_dirty = false;
    }
    bql_unlock();
    while (!ret) {
        if (qatomic_read(&cpu->exit_request)) {
            ret = EXCP_INTERRUPT;
            break;
        }
        if (mshv_update_notifications(cpu) < 0) {
            ret = EXCP_HLT;
            break;
        }
        r = mshv_vcpu_run(cpu, &msg);
        if (r == -EINTR) {
            ret = EXCP_INTERRUPT;
            break;
        }
        if (r < 0) {
            mshv_fail(cpu, "MSHV_RUN_VP", -r, 0);
            ret = EXCP_HLT;
            break;
        }
        switch (msg.header.message_type) {
        case HVMSG_X64_IO_PORT_INTERCEPT:
            if (mshv_x86_handle_io(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_UNMAPPED_GPA:
        case HVMSG_GPA_INTERCEPT:
            if (mshv_x86_handle_mmio(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_UNRECOVERABLE_EXCEPTION: {
            const struct hv_x64_intercept_message_header *h =
                (const void *)msg.payload;

            /* A triple fault resets the machine, as on hardware. */
            qemu_log_mask(LOG_GUEST_ERROR, "mshv: vCPU %d: triple fault at "
                          "%04x:%016" PRIx64 " (execution state 0x%x, "
                          "RFLAGS 0x%" PRIx64 "); resetting\n",
                          cpu->cpu_index, h->cs_segment.selector, h->rip,
                          h->execution_state, h->rflags);
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            ret = EXCP_INTERRUPT;
            break;
        }
        case HVMSG_X64_INTERRUPTION_DELIVERABLE:
            mshv_deliver_extint(cpu);
            break;
        case HVMSG_SYNIC_SINT_DELIVERABLE:
            mshv_x86_synic_ready(cpu, &msg);
            break;
        case HVMSG_HYPERCALL_INTERCEPT:
            if (mshv_x86_handle_hypercall(cpu, &msg) < 0) {
                ret = EXCP_HLT;
            }
            break;
        case HVMSG_X64_APIC_EOI:
            /* Level-triggered lines see their EOI (IOAPIC remote IRR). */
            ioapic_eoi_broadcast(
                ((const struct hv_x64_apic_eoi_message *)
                 msg.payload)->interrupt_vector);
            break;
        default:
            error_report("mshv: vCPU %d: message 0x%x is not handled yet",
                         cpu->cpu_index, msg.header.message_type);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_HLT;
            break;
        }
    }
    bql_lock();
    qatomic_set(&cpu->exit_request, 0);
    return ret;
}
