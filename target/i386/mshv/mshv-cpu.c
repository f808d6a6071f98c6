/*
 * MSHV accelerator, x86: VPs (creation, reset, destruction) and their
 * register state
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "system/mshv.h"
#include "system/mshv_int.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "qemu/memalign.h"
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

/* ---- VPs ----------------------------------------------------------------- */

/* The VP's XSAVE area: as large as the partition's, laid out as its. */
static int mshv_xsave_area_init(MshvX86CPUState *s, Error **errp)
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
    MshvX86CPUState *s = g_new0(MshvX86CPUState, 1);
    void *page;

    if (!mshv_partition_ready()) {
        error_setg(errp, "the partition could not be initialized");
        g_free(s);
        return -1;
    }
    /* The hypervisor's APIC ID is the VP index. */
    s->accel.vp_index = X86_CPU(cpu)->apic_id;
    s->accel.vp_fd = mshv_vp_open(s->accel.vp_index, errp);
    if (s->accel.vp_fd < 0) {
        g_free(s);
        return -1;
    }
    /*
     * A hot-plugged vCPU's reset would set its TSC to 0 while the others
     * run on: it keeps the partition's, as the hypervisor gives it.
     */
    s->keep_tsc = DEVICE(cpu)->hotplugged;
    page = mmap(NULL, MSHV_HV_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                s->accel.vp_fd,
                MSHV_VP_MMAP_OFFSET_REGISTERS * MSHV_HV_PAGE_SIZE);
    /* Without a register page every register access is a hypercall. */
    s->regs = page == MAP_FAILED ? NULL : page;
    cpu->accel = &s->accel;
    cpu->vcpu_dirty = true;
    if (mshv_xsave_area_init(s, errp) < 0 ||
        mshv_x86_setup_cpuid(cpu, errp) < 0) {
        return -1;
    }
    mshv_x86_synic_vcpu_init(cpu);
    mshv_x86_migration_init(cpu);
    mshv_x86_opaque_init(cpu);
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
    if (cpu->accel) {
        mshv_x86_opaque_reset(cpu);
    }
}

void mshv_arch_vcpu_destroy(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    if (s->regs) {
        munmap(s->regs, MSHV_HV_PAGE_SIZE);
    }
    mshv_x86_synic_vcpu_destroy(cpu);
    mshv_x86_migration_destroy(cpu);
    mshv_x86_opaque_destroy(cpu);
    qemu_vfree(s->xsave);
    qemu_vfree(s->synic_pages);
    /* (a vCPU unplugged: its VP stays in the partition) */
    mshv_vp_park(s->accel.vp_index, s->accel.vp_fd);
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
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
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
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

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

/*
 * The VP's XSAVE state read into s->xsave, and in it the slice of
 * component @bit at @offset, @size bytes long (NULL, the VM stopped, if
 * the component has no such slice).  *@in_use: XSTATE_BV.
 */
static uint8_t *mshv_xsave_slice(CPUState *cpu, int bit, unsigned offset,
                                 unsigned size, uint64_t *in_use)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    uint32_t csize;
    uint8_t *comp;

    if (mshv_vp_state(cpu, false, MSHV_VP_STATE_XSAVE, s->xsave,
                      s->xsave_size, "reading the XSAVE state") < 0) {
        return NULL;
    }
    comp = mshv_xsave_component_at(s->xsave, s->xsave_size, bit, &csize);
    if (!comp || csize < offset + size) {
        mshv_fail(cpu, "finding vector registers in the XSAVE state",
                  EINVAL, 0);
        return NULL;
    }
    *in_use = mshv_xsave_in_use(s->xsave);
    return comp + offset;
}

/*
 * Read or write a slice mshv_xsave_slice() found: a component in its
 * initial state reads as zeros, whatever is there, and is zeroed and
 * marked in use before a first write, which goes back to the VP.
 */
static int mshv_xsave_slice_rw(CPUState *cpu, int bit, uint8_t *slice,
                               unsigned size, uint64_t in_use,
                               uint8_t *value, bool write)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    uint32_t csize;

    if (!write) {
        if (in_use & (1ULL << bit)) {
            memcpy(value, slice, size);
        } else {
            memset(value, 0, size);
        }
        return 0;
    }
    if (!(in_use & (1ULL << bit))) {
        uint8_t *comp = mshv_xsave_component_at(s->xsave, s->xsave_size, bit,
                                                &csize);

        memset(comp, 0, csize);
    }
    memcpy(slice, value, size);
    mshv_xsave_set_in_use(s->xsave, in_use | 1ULL << bit);
    return mshv_vp_state(cpu, true, MSHV_VP_STATE_XSAVE, s->xsave,
                         s->xsave_size, "writing the XSAVE state");
}

int mshv_x86_ymm_high(CPUState *cpu, unsigned index, uint8_t value[16],
                      bool write)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    uint64_t in_use;
    uint32_t zsize;
    uint8_t *ymm, *zmm;

    ymm = mshv_xsave_slice(cpu, XSTATE_YMM_BIT, 16 * index, 16, &in_use);
    if (!ymm) {
        return -1;
    }
    /* a VEX write zeroes the register's bits above 255 too */
    zmm = mshv_xsave_component_at(s->xsave, s->xsave_size,
                                  XSTATE_ZMM_Hi256_BIT, &zsize);
    if (write && zmm && (in_use & XSTATE_ZMM_Hi256_MASK) &&
        zsize >= 32 * (index + 1)) {
        memset(zmm + 32 * index, 0, 32);
    }
    return mshv_xsave_slice_rw(cpu, XSTATE_YMM_BIT, ymm, 16, in_use, value,
                               write);
}

int mshv_x86_zmm(CPUState *cpu, unsigned index, uint8_t *value, bool write)
{
    int bit = index < 16 ? XSTATE_ZMM_Hi256_BIT : XSTATE_Hi16_ZMM_BIT;
    unsigned size = index < 16 ? 32 : 64;
    uint64_t in_use;
    uint8_t *slice = mshv_xsave_slice(cpu, bit, size * (index & 15), size,
                                      &in_use);

    return slice ? mshv_xsave_slice_rw(cpu, bit, slice, size, in_use, value,
                                       write) : -1;
}

int mshv_x86_kreg(CPUState *cpu, unsigned index, uint64_t *value)
{
    uint64_t in_use;
    uint8_t *slice = mshv_xsave_slice(cpu, XSTATE_OPMASK_BIT, 8 * index, 8,
                                      &in_use);

    return slice ? mshv_xsave_slice_rw(cpu, XSTATE_OPMASK_BIT, slice, 8,
                                       in_use, (uint8_t *)value, false) : -1;
}

/*
 * MMX register INDEX is the x87 register R<INDEX>, physical, where the
 * hypervisor's FP_MMXn are ST(n), relative to TOP (as in the FXSAVE
 * image).  A write leaves the x87 unit as an MMX instruction does: TOP
 * 0, so that ST(n) is Rn, every tag valid, and a written register's bits
 * 79:64 all ones.  Two hypercalls; guests rarely aim MMX at devices.
 */
int mshv_x86_mmx(CPUState *cpu, unsigned index, uint64_t *value, bool write)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[9];
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index };
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[9];
    } QEMU_PACKED set = { .hdr.vp_index = s->vp_index };
    union hv_register_value regs[9];
    struct hv_x64_fp_control_status_register *fcs =
        &regs[8].fp_control_status;
    unsigned top, i;
    uint16_t status;
    int ret;

    for (i = 0; i < 8; i++) {
        in.names[i] = HV_X64_REGISTER_FP_MMX0 + i;
    }
    in.names[8] = HV_X64_REGISTER_FP_CONTROL_STATUS;
    ret = mshv_hvcall(s->vp_fd, HVCALL_GET_VP_REGISTERS, 9, &in, sizeof(in),
                      regs, sizeof(regs), &status, NULL);
    if (ret < 0) {
        mshv_fail(cpu, "reading the x87 registers for an MMX access", -ret,
                  status);
        return ret;
    }
    top = (fcs->fp_status >> 11) & 7;
    if (!write) {
        *value = regs[(index - top) & 7].reg128.low_part;
        return 0;
    }
    for (i = 0; i < 8; i++) {
        set.regs[i].name = HV_X64_REGISTER_FP_MMX0 + i;
        set.regs[i].value = regs[(i - top) & 7];
    }
    if (value) {
        set.regs[index].value.reg128.low_part = *value;
        set.regs[index].value.reg128.high_part = 0xffff;
    }
    fcs->fp_status &= ~(7u << 11);
    fcs->fp_tag = 0xff;
    set.regs[8].name = HV_X64_REGISTER_FP_CONTROL_STATUS;
    set.regs[8].value = regs[8];
    ret = mshv_hvcall(s->vp_fd, HVCALL_SET_VP_REGISTERS, 9, &set,
                      sizeof(set), NULL, 0, &status, NULL);
    if (ret < 0) {
        mshv_fail(cpu, "writing the x87 registers for an MMX access", -ret,
                  status);
    }
    return ret;
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

/*
 * Whether LINT0 takes the 8259's INTR now, as QEMU's own APIC decides it
 * (apic_accept_pic_intr): with the APIC globally disabled, or with LVT
 * LINT0 unmasked.  The LAPIC being the hypervisor's, ask it; 1 or 0, or
 * -1 if it cannot be read (the VM is stopped then).
 */
int mshv_x86_lint0_accepts_pic(CPUState *cpu)
{
    struct hv_local_interrupt_controller_state *lapic;
    union hv_register_value base;
    int ret;

    if (mshv_x86_get_reg(cpu, HV_X64_REGISTER_APIC_BASE, &base) < 0) {
        return -1;
    }
    if (!(base.reg64 & MSR_IA32_APICBASE_ENABLE)) {
        return 1;
    }
    lapic = qemu_memalign(MSHV_HV_PAGE_SIZE, MSHV_HV_PAGE_SIZE);
    ret = mshv_vp_state(cpu, false, MSHV_VP_STATE_LAPIC, lapic,
                        MSHV_HV_PAGE_SIZE, "reading the LAPIC state");
    if (ret == 0) {
        ret = !(lapic->apic_lvt_lint0 & APIC_LVT_MASKED);
    }
    qemu_vfree(lapic);
    return ret;
}

static int mshv_put_vp_state(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
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
 * a put, those the VMM may write (all of them for a whole state, but the
 * TSC with @keep_tsc), the put_last ones at the end.
 */
static size_t mshv_regs_select(CPUX86State *env, bool put, bool full,
                               bool keep_tsc, const MshvReg **sel)
{
    size_t i, n = 0;
    int last;

    for (last = 0; last <= put; last++) {
        for (i = 0; i < mshv_regs_count; i++) {
            const MshvReg *reg = &mshv_regs[i];

            if ((reg->present && !reg->present(env)) ||
                (put && (!mshv_reg_is_writable(reg) ||
                         (!full && reg->whole_state_only) ||
                         (keep_tsc && reg->name == HV_X64_REGISTER_TSC) ||
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
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    CPUX86State *env = cpu_env(cpu);
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[MSHV_GET_REGS_MAX];
    } QEMU_PACKED in = { .hdr.vp_index = s->accel.vp_index };
    g_autofree union hv_register_value *values =
        g_new0(union hv_register_value, MSHV_GET_REGS_MAX);
    g_autofree const MshvReg **sel = g_new(const MshvReg *, mshv_regs_count);
    size_t first, i, n, count;
    uint16_t status, done;
    int ret;

    if (mshv_get_xsave(cpu) < 0) {
        return -1;
    }
    count = mshv_regs_select(env, false, true, false, sel);
    for (first = 0; first < count; first += n) {
        n = MIN(count - first, MSHV_GET_REGS_MAX);
        for (i = 0; i < n; i++) {
            in.names[i] = sel[first + i]->name;
        }
        ret = mshv_hvcall(s->accel.vp_fd, HVCALL_GET_VP_REGISTERS, n, &in,
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
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    CPUX86State *env = cpu_env(cpu);
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[MSHV_SET_REGS_MAX];
    } QEMU_PACKED *in = g_malloc0(sizeof(*in));
    g_autofree const MshvReg **sel = g_new(const MshvReg *, mshv_regs_count);
    size_t first, i, n, count;
    uint16_t status, done;
    int ret = 0;

    in->hdr.vp_index = s->accel.vp_index;
    /* What follows supersedes anything still pending in the page. */
    if (s->regs) {
        s->regs->dirty = 0;
    }
    count = mshv_regs_select(env, true, full, s->keep_tsc, sel);
    for (first = 0; first < count; first += n) {
        n = MIN(count - first, MSHV_SET_REGS_MAX);
        for (i = 0; i < n; i++) {
            union hv_register_value value = { 0 };

            sel[first + i]->get(sel[first + i], env, &value);
            memset(&in->regs[i], 0, sizeof(in->regs[i]));
            in->regs[i].name = sel[first + i]->name;
            in->regs[i].value = value;
        }
        ret = mshv_hvcall(s->accel.vp_fd, HVCALL_SET_VP_REGISTERS, n, in,
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
    if (ret == 0 && full) {
        s->keep_tsc = false;
    }
    /*
     * The whole state (reset, machine start, incoming migration): after
     * the registers, so that the APIC base says how to read the LAPIC.
     */
    if (ret == 0 && full) {
        ret = mshv_put_vp_state(cpu);
    }
    if (ret == 0 && full) {
        ret = mshv_x86_opaque_put(cpu);
    }
    if (ret == 0 && full) {
        ret = mshv_x86_synic_put_pages(cpu);
    }
    return ret;
}
