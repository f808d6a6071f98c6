/*
 * MSHV VP state blobs (MSHV_GET/SET_VP_STATE) <-> QEMU's x86 state
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "cpu.h"
#include "hw/i386/apic.h"
#include "mshv-vp-state.h"

/* ---- LAPIC --------------------------------------------------------------- */

static bool mshv_apic_x2(APICCommonState *s)
{
    return s->apicbase & MSR_IA32_APICBASE_EXTD;
}

void mshv_lapic_state_from_apic(APICCommonState *s,
                                struct hv_local_interrupt_controller_state *l)
{
    bool x2 = mshv_apic_x2(s);

    memset(l, 0, sizeof(*l));
    /* Register values, as the guest reads them. */
    l->apic_id = x2 ? s->initial_apic_id : (uint32_t)s->id << 24;
    l->apic_version = s->version | (APIC_LVT_NB - 1) << 16;
    l->apic_ldr = x2 ? s->extended_log_dest : (uint32_t)s->log_dest << 24;
    l->apic_dfr = x2 ? 0 : (uint32_t)s->dest_mode << 28 | 0x0fffffff;
    l->apic_spurious = s->spurious_vec;
    memcpy(l->apic_isr, s->isr, sizeof(l->apic_isr));
    memcpy(l->apic_tmr, s->tmr, sizeof(l->apic_tmr));
    memcpy(l->apic_irr, s->irr, sizeof(l->apic_irr));
    l->apic_esr = s->esr;
    l->apic_icr_high = s->icr[1];
    l->apic_icr_low = s->icr[0];
    l->apic_lvt_timer = s->lvt[APIC_LVT_TIMER];
    l->apic_lvt_thermal = s->lvt[APIC_LVT_THERMAL];
    l->apic_lvt_perfmon = s->lvt[APIC_LVT_PERFORM];
    l->apic_lvt_lint0 = s->lvt[APIC_LVT_LINT0];
    l->apic_lvt_lint1 = s->lvt[APIC_LVT_LINT1];
    l->apic_lvt_error = s->lvt[APIC_LVT_ERROR];
    l->apic_lvt_cmci = APIC_LVT_MASKED;         /* QEMU's APIC has none */
    l->apic_initial_count = s->initial_count;
    l->apic_counter_value = apic_get_current_count(s);
    l->apic_divide_configuration = s->divide_conf;
}

void mshv_lapic_state_to_apic(
    const struct hv_local_interrupt_controller_state *l, APICCommonState *s)
{
    uint32_t v, elapsed;

    if (mshv_apic_x2(s)) {
        s->extended_log_dest = l->apic_ldr;
    } else {
        s->log_dest = l->apic_ldr >> 24;
        s->dest_mode = l->apic_dfr >> 28;
    }
    s->spurious_vec = l->apic_spurious & 0x1ff;
    memcpy(s->isr, l->apic_isr, sizeof(s->isr));
    memcpy(s->tmr, l->apic_tmr, sizeof(s->tmr));
    memcpy(s->irr, l->apic_irr, sizeof(s->irr));
    s->esr = l->apic_esr;
    s->icr[1] = l->apic_icr_high;
    s->icr[0] = l->apic_icr_low;
    s->lvt[APIC_LVT_TIMER] = l->apic_lvt_timer;
    s->lvt[APIC_LVT_THERMAL] = l->apic_lvt_thermal;
    s->lvt[APIC_LVT_PERFORM] = l->apic_lvt_perfmon;
    s->lvt[APIC_LVT_LINT0] = l->apic_lvt_lint0;
    s->lvt[APIC_LVT_LINT1] = l->apic_lvt_lint1;
    s->lvt[APIC_LVT_ERROR] = l->apic_lvt_error;
    s->divide_conf = l->apic_divide_configuration & 0xb;
    v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
    s->count_shift = (v + 1) & 7;
    s->initial_count = l->apic_initial_count;
    /* QEMU keeps the count as a load time: the one that reads as given. */
    elapsed = l->apic_counter_value <= s->initial_count ?
              s->initial_count - l->apic_counter_value : 0;
    s->initial_count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) -
                                 ((int64_t)elapsed << s->count_shift);
}

/* ---- XSAVE --------------------------------------------------------------- */

#define MSHV_XSAVE_LEGACY_SIZE  sizeof(X86LegacyXSaveArea)
#define MSHV_XSAVE_HEADER_SIZE  sizeof(X86XSaveHeader)
#define MSHV_XSAVE_BV_OFFSET    MSHV_XSAVE_LEGACY_SIZE
#define MSHV_XSAVE_COMP_OFFSET  (MSHV_XSAVE_LEGACY_SIZE + 8)
#define MSHV_XSAVE_COMPONENTS   63

/* A component QEMU keeps in CPUX86State, at a known standard offset. */
static const ExtSaveArea *mshv_xsave_modelled(unsigned i)
{
    const ExtSaveArea *e;

    if (i < 2 || i >= XSAVE_STATE_AREA_COUNT) {
        return NULL;
    }
    e = &x86_ext_save_areas[i];
    return e->size && e->offset ? e : NULL;
}

/*
 * The sizes of the CET components, fixed by the architecture (U_CET and
 * PL3_SSP; PL0_SSP to PL2_SSP): for a processor that does not report
 * them, as the simulator's offer of CET state on any host is.
 */
static uint32_t mshv_xsave_fixed_size(unsigned i)
{
    switch (i) {
    case MSHV_XSAVE_CET_U:
        return 16;
    case MSHV_XSAVE_CET_S:
        return 24;
    default:
        return 0;
    }
}

/*
 * Size and 64-byte alignment of component @i: the processor's (the
 * hypervisor lays the area out as XSAVEC would), else QEMU's table,
 * else the architecture's.
 */
static bool mshv_xsave_component(unsigned i, uint32_t *size, bool *align)
{
    uint32_t eax, ebx, ecx, edx;
    const ExtSaveArea *e = mshv_xsave_modelled(i);

    host_cpuid(0xd, i, &eax, &ebx, &ecx, &edx);
    if (eax) {
        *size = eax;
        *align = ecx & 2;
        return true;
    }
    if (e) {
        *size = e->size;
        *align = e->ecx & ESA_FEATURE_ALIGN64_MASK;
        return true;
    }
    *size = mshv_xsave_fixed_size(i);
    *align = false;
    return *size;
}

/* Offsets of the components in @xcomp_bv; the area's size, or 0. */
static size_t mshv_xsave_layout(uint64_t xcomp_bv,
                                uint32_t offsets[MSHV_XSAVE_COMPONENTS])
{
    size_t offset = MSHV_XSAVE_LEGACY_SIZE + MSHV_XSAVE_HEADER_SIZE;
    uint32_t size;
    bool align;
    unsigned i;

    for (i = 2; i < MSHV_XSAVE_COMPONENTS; i++) {
        if (!(xcomp_bv & (1ULL << i))) {
            continue;
        }
        if (!mshv_xsave_component(i, &size, &align)) {
            return 0;
        }
        if (align) {
            offset = ROUND_UP(offset, 64);
        }
        offsets[i] = offset;
        offset += size;
    }
    return offset;
}

/* The components an area holds: x87 and SSE always, then XCOMP_BV's. */
static uint64_t mshv_xsave_states(uint64_t xcomp_bv)
{
    return (xcomp_bv & ~MSHV_XSAVE_COMPACTED) | XSTATE_FP_MASK |
           XSTATE_SSE_MASK;
}

size_t mshv_xsave_compacted_size(uint64_t xcomp_bv)
{
    uint32_t offsets[MSHV_XSAVE_COMPONENTS];

    return mshv_xsave_layout(xcomp_bv, offsets);
}

void mshv_xsave_init(void *buf, uint64_t xcomp_bv)
{
    memset(buf, 0, MSHV_XSAVE_LEGACY_SIZE + MSHV_XSAVE_HEADER_SIZE);
    stq_le_p((uint8_t *)buf + MSHV_XSAVE_COMP_OFFSET,
             xcomp_bv | MSHV_XSAVE_COMPACTED);
}

/* The standard-format area QEMU's xsave helpers fill and read. */
static size_t mshv_xsave_standard_size(void)
{
    size_t size = MSHV_XSAVE_LEGACY_SIZE + MSHV_XSAVE_HEADER_SIZE;
    unsigned i;

    for (i = 2; i < XSAVE_STATE_AREA_COUNT; i++) {
        const ExtSaveArea *e = mshv_xsave_modelled(i);

        if (e) {
            size = MAX(size, e->offset + e->size);
        }
    }
    return size;
}

static bool mshv_xsave_check(const void *buf, size_t len, uint64_t *xcomp_bv,
                             uint32_t offsets[MSHV_XSAVE_COMPONENTS])
{
    size_t size;

    if (len < MSHV_XSAVE_LEGACY_SIZE + MSHV_XSAVE_HEADER_SIZE) {
        return false;
    }
    *xcomp_bv = ldq_le_p((const uint8_t *)buf + MSHV_XSAVE_COMP_OFFSET);
    if (!(*xcomp_bv & MSHV_XSAVE_COMPACTED)) {
        return false;
    }
    size = mshv_xsave_layout(*xcomp_bv, offsets);
    return size && size <= len;
}

bool mshv_xsave_from_cpu(X86CPU *cpu, void *buf, size_t len)
{
    uint32_t offsets[MSHV_XSAVE_COMPONENTS];
    size_t std_size = mshv_xsave_standard_size();
    g_autofree uint8_t *std = g_malloc0(std_size);
    uint8_t *out = buf;
    uint64_t xcomp_bv, xstate_bv;
    unsigned i;

    if (!mshv_xsave_check(buf, len, &xcomp_bv, offsets)) {
        return false;
    }
    x86_cpu_xsave_all_areas(cpu, std, std_size);
    memcpy(out, std, MSHV_XSAVE_LEGACY_SIZE);
    /* What QEMU holds is live state: the processor loads all of it. */
    xstate_bv = ldq_le_p(out + MSHV_XSAVE_BV_OFFSET) | XSTATE_FP_MASK |
                XSTATE_SSE_MASK;
    for (i = 2; i < MSHV_XSAVE_COMPONENTS; i++) {
        const ExtSaveArea *e = mshv_xsave_modelled(i);

        if ((xcomp_bv & (1ULL << i)) && e) {
            memcpy(out + offsets[i], std + e->offset, e->size);
            xstate_bv |= 1ULL << i;
        }
    }
    xstate_bv &= mshv_xsave_states(xcomp_bv);
    stq_le_p(out + MSHV_XSAVE_BV_OFFSET, xstate_bv);
    return true;
}

bool mshv_xsave_to_cpu(const void *buf, size_t len, X86CPU *cpu)
{
    uint32_t offsets[MSHV_XSAVE_COMPONENTS];
    size_t std_size = mshv_xsave_standard_size();
    g_autofree uint8_t *std = g_malloc0(std_size);
    const uint8_t *in = buf;
    X86LegacyXSaveArea *legacy = (X86LegacyXSaveArea *)std;
    uint64_t xcomp_bv, xstate_bv;
    unsigned i;

    if (!mshv_xsave_check(buf, len, &xcomp_bv, offsets)) {
        return false;
    }
    xstate_bv = ldq_le_p(in + MSHV_XSAVE_BV_OFFSET) &
                mshv_xsave_states(xcomp_bv);
    memcpy(std, in, MSHV_XSAVE_LEGACY_SIZE);
    /* Components in their initial state need not be in the area. */
    if (!(xstate_bv & XSTATE_FP_MASK)) {
        legacy->fcw = 0x37f;
        legacy->fsw = 0;
        legacy->ftw = 0;
        legacy->fpop = 0;
        legacy->fpip = 0;
        legacy->fpdp = 0;
        memset(legacy->fpregs, 0, sizeof(legacy->fpregs));
    }
    if (!(xstate_bv & XSTATE_SSE_MASK)) {
        memset(legacy->xmm_regs, 0, sizeof(legacy->xmm_regs));
    }
    for (i = 2; i < MSHV_XSAVE_COMPONENTS; i++) {
        const ExtSaveArea *e = mshv_xsave_modelled(i);

        if ((xstate_bv & (1ULL << i)) && e) {
            memcpy(std + e->offset, in + offsets[i], e->size);
        }
    }
    stq_le_p(std + MSHV_XSAVE_BV_OFFSET, xstate_bv);
    x86_cpu_xrstor_all_areas(cpu, std, std_size);
    return true;
}

uint64_t mshv_xsave_unmodelled(const void *buf)
{
    uint64_t xcomp_bv = ldq_le_p((const uint8_t *)buf +
                                 MSHV_XSAVE_COMP_OFFSET);
    uint64_t out = 0;
    unsigned i;

    for (i = 2; i < MSHV_XSAVE_COMPONENTS; i++) {
        if ((xcomp_bv & (1ULL << i)) && !mshv_xsave_modelled(i)) {
            out |= 1ULL << i;
        }
    }
    return out;
}

uint64_t mshv_xsave_in_use(const void *buf)
{
    return ldq_le_p((const uint8_t *)buf + MSHV_XSAVE_BV_OFFSET);
}

void mshv_xsave_set_in_use(void *buf, uint64_t xstate_bv)
{
    stq_le_p((uint8_t *)buf + MSHV_XSAVE_BV_OFFSET, xstate_bv);
}

uint8_t *mshv_xsave_component_at(void *buf, size_t len, unsigned i,
                                 uint32_t *size)
{
    uint32_t offsets[MSHV_XSAVE_COMPONENTS];
    uint64_t xcomp_bv;
    bool align;

    if (i < 2 || i >= MSHV_XSAVE_COMPONENTS ||
        !mshv_xsave_check(buf, len, &xcomp_bv, offsets) ||
        !(xcomp_bv & (1ULL << i)) || !mshv_xsave_component(i, size, &align)) {
        return NULL;
    }
    return (uint8_t *)buf + offsets[i];
}
