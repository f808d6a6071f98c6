/*
 * MSHV accelerator, x86: VP state QEMU's CPU state has no place for
 *
 * The hypervisor keeps more of a VP than CPUX86State models: XSAVE
 * components QEMU does not know (CET's user and supervisor state, and
 * whatever a newer processor adds), and registers without a field (CET's
 * controls and shadow-stack pointers, the guest crash parameters).  The
 * hypervisor lets a guest use them by the partition's processor
 * features, not by the CPUID it shows, so a guest can hold state there
 * that no CPU model of QEMU names.  That state is carried whole:
 *
 * - a migration or snapshot takes it from the VP, in each vCPU's
 *   "mshv-cpu-opaque" section (after the CPU's own state): the XSAVE
 *   components not in their initial state, each with its size, and the
 *   registers the VP has;
 * - the destination puts it back with the rest of the VP's state, or
 *   refuses the stream, naming what it lacks, if its partition has not
 *   a component or register that holds anything, or lays a component out
 *   in another size;
 * - a reset returns it to its initial state, as the processor's would.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "migration/vmstate.h"
#include "qemu/error-report.h"
#include "cpu.h"
#include "system/mshv_int.h"
#include "mshv-i386.h"
#include "mshv-vp-state.h"
#include "mshv-x86.h"
#include "trace.h"

#define MSHV_OPAQUE_XSAVE_COMPONENTS    64
#define MSHV_OPAQUE_REGS_MAX            16

/*
 * The registers carried, where the VP has them: those the hypervisor
 * answers for, CET's only where the partition's processor has CET (a
 * hypervisor may keep them regardless, with no guest to use them).
 */
static const struct {
    uint32_t name;
    const char *label;
    bool cet;
} mshv_opaque_regs[] = {
    { HV_REGISTER_GUEST_CRASH_P0, "GUEST_CRASH_P0" },
    { HV_REGISTER_GUEST_CRASH_P1, "GUEST_CRASH_P1" },
    { HV_REGISTER_GUEST_CRASH_P2, "GUEST_CRASH_P2" },
    { HV_REGISTER_GUEST_CRASH_P3, "GUEST_CRASH_P3" },
    { HV_REGISTER_GUEST_CRASH_P4, "GUEST_CRASH_P4" },
    { HV_X64_REGISTER_U_CET, "U_CET", true },
    { HV_X64_REGISTER_S_CET, "S_CET", true },
    { HV_X64_REGISTER_SSP, "SSP", true },
    { HV_X64_REGISTER_PL0_SSP, "PL0_SSP", true },
    { HV_X64_REGISTER_PL1_SSP, "PL1_SSP", true },
    { HV_X64_REGISTER_PL2_SSP, "PL2_SSP", true },
    { HV_X64_REGISTER_PL3_SSP, "PL3_SSP", true },
    { HV_X64_REGISTER_INTERRUPT_SSP_TABLE_ADDR, "INTERRUPT_SSP_TABLE_ADDR",
      true },
};

QEMU_BUILD_BUG_ON(ARRAY_SIZE(mshv_opaque_regs) > MSHV_OPAQUE_REGS_MAX);

struct MshvX86Opaque {
    CPUState *cpu;
    uint32_t present;           /* a bit per mshv_opaque_regs[] the VP has */
    bool put_pending;           /* values[] go to the VP with its state */
    uint64_t values[MSHV_OPAQUE_REGS_MAX];      /* by mshv_opaque_regs[] */

    /* The section: components as they follow in xsave_data, registers. */
    uint64_t xsave_bv;
    uint32_t xsave_size[MSHV_OPAQUE_XSAVE_COMPONENTS];
    uint32_t xsave_len;
    uint8_t *xsave_data;
    uint32_t nregs;
    uint32_t reg_names[MSHV_OPAQUE_REGS_MAX];
    uint64_t reg_values[MSHV_OPAQUE_REGS_MAX];
};

/* The registers of @mask (mshv_opaque_regs[] bits), read or written. */
static int mshv_opaque_regs_io(CPUState *cpu, uint32_t mask, bool set,
                               uint64_t *values, bool quiet)
{
    AccelCPUState *s = cpu->accel;
    struct {
        struct hv_input_vp_registers hdr;
        union {
            uint32_t names[MSHV_OPAQUE_REGS_MAX];
            struct hv_register_assoc assoc[MSHV_OPAQUE_REGS_MAX];
        };
    } QEMU_PACKED in = { .hdr.vp_index = s->vp_index };
    union hv_register_value out[MSHV_OPAQUE_REGS_MAX];
    unsigned i, n = 0, idx[MSHV_OPAQUE_REGS_MAX];
    uint16_t status, done;
    size_t in_size;
    int ret;

    for (i = 0; i < ARRAY_SIZE(mshv_opaque_regs); i++) {
        if (!(mask & (1u << i))) {
            continue;
        }
        if (set) {
            memset(&in.assoc[n], 0, sizeof(in.assoc[n]));
            in.assoc[n].name = mshv_opaque_regs[i].name;
            in.assoc[n].value.reg64 = values[i];
        } else {
            in.names[n] = mshv_opaque_regs[i].name;
        }
        idx[n++] = i;
    }
    if (!n) {
        return 0;
    }
    in_size = sizeof(in.hdr) + n * (set ? sizeof(in.assoc[0]) :
                                          sizeof(in.names[0]));
    ret = mshv_hvcall(s->vp_fd, set ? HVCALL_SET_VP_REGISTERS :
                                      HVCALL_GET_VP_REGISTERS, n,
                      &in, in_size, set ? NULL : out,
                      set ? 0 : n * sizeof(out[0]), &status, &done);
    if (ret < 0 || done != n) {
        if (!quiet) {
            mshv_fail(cpu, set ? "writing the CET and crash registers" :
                      "reading the CET and crash registers",
                      ret < 0 ? -ret : EIO, status);
        }
        return -1;
    }
    for (i = 0; !set && i < n; i++) {
        values[idx[i]] = out[i].reg64;
    }
    return 0;
}

/* ---- State kept with the VP's ------------------------------------------ */

void mshv_x86_opaque_reset(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    MshvX86Opaque *o = s->opaque;

    if (!o) {
        return;     /* (a vCPU whose initialization failed part way) */
    }
    mshv_xsave_set_in_use(s->xsave, mshv_xsave_in_use(s->xsave) &
                          ~mshv_xsave_unmodelled(s->xsave));
    memset(o->values, 0, sizeof(o->values));
    o->put_pending = true;
}

int mshv_x86_opaque_put(CPUState *cpu)
{
    MshvX86Opaque *o = mshv_x86_cpu_state(cpu)->opaque;

    if (!o || !o->put_pending) {
        return 0;
    }
    if (mshv_opaque_regs_io(cpu, o->present, true, o->values, false) < 0) {
        return -1;
    }
    o->put_pending = false;
    return 0;
}

/* ---- Migration ---------------------------------------------------------- */

static int mshv_opaque_pre_save(void *opaque)
{
    MshvX86Opaque *o = opaque;
    MshvX86CPUState *s = mshv_x86_cpu_state(o->cpu);
    uint64_t carried = mshv_xsave_unmodelled(s->xsave) &
                       mshv_xsave_in_use(s->xsave);
    unsigned i;

    /* the VP is stopped: its registers are as the guest left them */
    if (!o->put_pending &&
        mshv_opaque_regs_io(o->cpu, o->present, false, o->values,
                            true) < 0) {
        error_report("mshv: saving the CET and crash registers of vCPU %d "
                     "failed", o->cpu->cpu_index);
        return -EIO;
    }
    o->nregs = 0;
    memset(o->reg_names, 0, sizeof(o->reg_names));
    memset(o->reg_values, 0, sizeof(o->reg_values));
    for (i = 0; i < ARRAY_SIZE(mshv_opaque_regs); i++) {
        if (o->present & (1u << i)) {
            o->reg_names[o->nregs] = mshv_opaque_regs[i].name;
            o->reg_values[o->nregs++] = o->values[i];
        }
    }

    /* the XSAVE area was read with the rest of the VP's state */
    g_free(o->xsave_data);
    o->xsave_data = g_malloc(s->xsave_size);
    o->xsave_len = 0;
    o->xsave_bv = 0;
    memset(o->xsave_size, 0, sizeof(o->xsave_size));
    for (i = 2; i < MSHV_OPAQUE_XSAVE_COMPONENTS; i++) {
        uint32_t size;
        const uint8_t *p;

        if (!(carried & (1ULL << i))) {
            continue;
        }
        p = mshv_xsave_component_at(s->xsave, s->xsave_size, i, &size);
        if (!p || o->xsave_len + size > s->xsave_size) {
            return -EINVAL;
        }
        memcpy(o->xsave_data + o->xsave_len, p, size);
        o->xsave_len += size;
        o->xsave_size[i] = size;
        o->xsave_bv |= 1ULL << i;
    }
    trace_mshv_opaque_save(o->cpu->cpu_index, o->xsave_bv, o->nregs);
    return 0;
}

static int mshv_opaque_post_save(void *opaque)
{
    MshvX86Opaque *o = opaque;

    g_free(o->xsave_data);
    o->xsave_data = NULL;
    return 0;
}

/* The incoming registers into values[]; what this VP lacks into @lack. */
static void mshv_opaque_load_regs(MshvX86Opaque *o, GString *lack)
{
    unsigned i, j;

    memset(o->values, 0, sizeof(o->values));
    for (j = 0; j < MIN(o->nregs, MSHV_OPAQUE_REGS_MAX); j++) {
        for (i = 0; i < ARRAY_SIZE(mshv_opaque_regs); i++) {
            if (mshv_opaque_regs[i].name == o->reg_names[j]) {
                break;
            }
        }
        if (i < ARRAY_SIZE(mshv_opaque_regs) && (o->present & (1u << i))) {
            o->values[i] = o->reg_values[j];
        } else if (o->reg_values[j]) {
            /* (one that holds nothing is as good as absent) */
            g_string_append_printf(lack, " register %s",
                                   i < ARRAY_SIZE(mshv_opaque_regs) ?
                                   mshv_opaque_regs[i].label : "(unknown)");
            if (i == ARRAY_SIZE(mshv_opaque_regs)) {
                g_string_append_printf(lack, " 0x%x", o->reg_names[j]);
            }
        }
    }
}

/*
 * The incoming components into the VP's XSAVE area, if this partition
 * has each of them, in the same size; else what it lacks into @lack.
 */
static void mshv_opaque_load_xsave(MshvX86Opaque *o, GString *lack)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(o->cpu);
    uint64_t here = mshv_xsave_unmodelled(s->xsave);
    uint32_t offset = 0, size;
    size_t len = lack->len;
    unsigned i;

    for (i = 2; i < MSHV_OPAQUE_XSAVE_COMPONENTS; i++) {
        if (!(o->xsave_bv & (1ULL << i))) {
            continue;
        }
        if (!(here & (1ULL << i)) ||
            !mshv_xsave_component_at(s->xsave, s->xsave_size, i, &size)) {
            g_string_append_printf(lack, " XSAVE component %u%s", i,
                                   i == MSHV_XSAVE_CET_U ||
                                   i == MSHV_XSAVE_CET_S ? " (CET)" : "");
        } else if (size != o->xsave_size[i]) {
            g_string_append_printf(lack, " XSAVE component %u as %u bytes "
                                   "(here %u)", i, o->xsave_size[i], size);
        }
        offset += o->xsave_size[i];
    }
    if (offset != o->xsave_len) {
        g_string_append(lack, " XSAVE components as the stream lays them "
                        "out (it is malformed)");
    }
    if (lack->len != len) {
        return;
    }
    offset = 0;
    for (i = 2; i < MSHV_OPAQUE_XSAVE_COMPONENTS; i++) {
        if (o->xsave_bv & (1ULL << i)) {
            memcpy(mshv_xsave_component_at(s->xsave, s->xsave_size, i, &size),
                   o->xsave_data + offset, size);
            offset += size;
        }
    }
    /* the components the stream left out are in their initial state */
    mshv_xsave_set_in_use(s->xsave, (mshv_xsave_in_use(s->xsave) & ~here) |
                          o->xsave_bv);
}

static int mshv_opaque_post_load(void *opaque, int version_id)
{
    MshvX86Opaque *o = opaque;
    g_autoptr(GString) lack = g_string_new("");

    mshv_opaque_load_regs(o, lack);
    mshv_opaque_load_xsave(o, lack);
    g_free(o->xsave_data);
    o->xsave_data = NULL;
    if (lack->len) {
        mshv_x86_migration_refuse(o->cpu, lack->str);
        return -EINVAL;
    }
    /* (both go to the hypervisor with the rest of the incoming state) */
    o->put_pending = true;
    trace_mshv_opaque_load(o->cpu->cpu_index, o->xsave_bv, o->nregs);
    return 0;
}

static const VMStateDescription vmstate_mshv_opaque = {
    .name = "mshv-cpu-opaque",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = mshv_opaque_pre_save,
    .post_save = mshv_opaque_post_save,
    .post_load = mshv_opaque_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(xsave_bv, MshvX86Opaque),
        VMSTATE_UINT32_ARRAY(xsave_size, MshvX86Opaque,
                             MSHV_OPAQUE_XSAVE_COMPONENTS),
        VMSTATE_UINT32(xsave_len, MshvX86Opaque),
        VMSTATE_VBUFFER_ALLOC_UINT32(xsave_data, MshvX86Opaque, 0, NULL,
                                     xsave_len),
        VMSTATE_UINT32(nregs, MshvX86Opaque),
        VMSTATE_UINT32_ARRAY(reg_names, MshvX86Opaque, MSHV_OPAQUE_REGS_MAX),
        VMSTATE_UINT64_ARRAY(reg_values, MshvX86Opaque,
                             MSHV_OPAQUE_REGS_MAX),
        VMSTATE_END_OF_LIST()
    },
};

void mshv_x86_opaque_init(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);
    MshvX86Opaque *o = g_new0(MshvX86Opaque, 1);
    uint64_t features = 0;
    Error *err = NULL;
    bool cet;
    unsigned i;

    o->cpu = cpu;
    if (mshv_get_property(mshv_state, HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1,
                          &features, &err) < 0) {
        error_free(err);    /* (then no CET) */
    }
    cet = features & (HV_PROCESSOR_FEATURES1_CET_SS |
                      HV_PROCESSOR_FEATURES1_CET_IBT);
    for (i = 0; i < ARRAY_SIZE(mshv_opaque_regs); i++) {
        uint64_t values[MSHV_OPAQUE_REGS_MAX];

        if ((cet || !mshv_opaque_regs[i].cet) &&
            mshv_opaque_regs_io(cpu, 1u << i, false, values, true) == 0) {
            o->present |= 1u << i;
        }
    }
    trace_mshv_opaque_init(cpu->cpu_index, o->present,
                           mshv_xsave_unmodelled(s->xsave));
    s->opaque = o;
    vmstate_register(NULL, cpu->cpu_index, &vmstate_mshv_opaque, o);
}

void mshv_x86_opaque_destroy(CPUState *cpu)
{
    MshvX86CPUState *s = mshv_x86_cpu_state(cpu);

    if (s->opaque) {
        vmstate_unregister(NULL, &vmstate_mshv_opaque, s->opaque);
        g_free(s->opaque->xsave_data);
        g_free(s->opaque);
        s->opaque = NULL;
    }
}
