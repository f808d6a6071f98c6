/*
 * MSHV simulator, hypervisor side: one partition per process, its VPs run
 * as TCG x86 CPUs.  See docs/devel/mshv/simulator.rst.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_H
#define HW_MSHV_SIM_H

#include "qom/object.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "exec/memory.h"
#include "hw/hyperv/mshv-abi.h"
#include "hw/mshv-sim/protocol.h"
#include "hw/mshv-sim/caps.h"
#include "qemu/rcu.h"

#define TYPE_MSHV_SIM_MACHINE MACHINE_TYPE_NAME(MSHV_SIM_MACHINE_NAME)
OBJECT_DECLARE_SIMPLE_TYPE(MshvSimPartition, MSHV_SIM_MACHINE)

typedef struct MshvSimVp MshvSimVp;
typedef struct MshvSimIrqfd MshvSimIrqfd;
typedef struct MshvSimIoeventfd MshvSimIoeventfd;

/* Conventional memory, where boot loaders load and run one another. */
#define MSHV_SIM_LOW_CODE_PAGES     256

/*
 * A guest memory region mapped with MSHV_SIM_OP_MAP_GPA.  The list is
 * changed under the BQL and read under RCU (VPs look regions up too).
 */
typedef struct MshvSimRegion {
    struct rcu_head rcu;        /* first: g_free_rcu() needs it there */
    uint64_t pfn;
    uint64_t pages;
    uint8_t flags;              /* MSHV_SET_MEM_BIT_* */
    /*
     * HV_GPA_PAGE_ACCESS_STATE_* per page, kept since the last query;
     * guest writes reach it from TCG's dirty log when the VMM asks.
     */
    uint8_t *access;
    MemoryRegion mr;
    QTAILQ_ENTRY(MshvSimRegion) next;
} MshvSimRegion;

typedef enum MshvSimCounter {
    MSHV_SIM_CNT_INTERCEPT_IO,
    MSHV_SIM_CNT_INTERCEPT_IO_STRING,
    MSHV_SIM_CNT_INTERCEPT_UNMAPPED_GPA,
    MSHV_SIM_CNT_INTERCEPT_GPA,
    MSHV_SIM_CNT_INTERCEPT_APIC_EOI,
    MSHV_SIM_CNT_INTERCEPT_OTHER,
    MSHV_SIM_CNT_INJECTED_HALT,
    MSHV_SIM_CNT_RUN,
    MSHV_SIM_CNT_RUN_CANCELLED,
    MSHV_SIM_CNT_RUN_WATCHED,
    MSHV_SIM_CNT_RUN_POSTED,
    MSHV_SIM_CNT_REPLY_POSTED,
    MSHV_SIM_CNT_MAIN_LOOP_IDLE,
    MSHV_SIM_CNT_HVCALL_WATCHED,
    MSHV_SIM_CNT_HVCALL,
    MSHV_SIM_CNT_REGS_GET,
    MSHV_SIM_CNT_REGS_SET,
    MSHV_SIM_CNT_INTERRUPT,
    MSHV_SIM_CNT_IRQFD_SIGNAL,
    MSHV_SIM_CNT_IOEVENTFD_SIGNAL,
    MSHV_SIM_CNT_GUEST_FLUSH,
    MSHV_SIM_CNT_GUEST_IPI,
    MSHV_SIM_CNT_GPA_ACCESS,
    MSHV_SIM_CNT_GPA_ACCESS_PAGES,
    MSHV_SIM_CNT__MAX,
} MshvSimCounter;

struct MshvSimPartition {
    MachineState parent_obj;

    int channel;                /* partition channel (machine property) */
    bool cet;                   /* the host has CET (machine property) */
    uint64_t tsc_frequency;     /* the host's TSC rate, Hz; 0: this one's */
    uint8_t insn_bytes;         /* bytes an intercept message carries */
    /*
     * Fault injection, for testing VMMs (0: none): the Nth message to the
     * VMM malformed; the Nth an unsupported feature (a task switch);
     * every Nth RUN_VP answered with a HALT message before the VP runs.
     */
    uint32_t malformed_message;
    uint32_t unsupported_feature;
    uint32_t halt_every;
    uint32_t messages_sent;
    uint32_t runs;
    bool created;
    bool initialized;
    uint64_t pt_flags;
    uint64_t disabled_fbanks[MSHV_NUM_CPU_FEATURES_BANKS];
    uint64_t disabled_xsave;
    uint64_t synthetic_proc_features;
    uint64_t unimplemented_msr_action;
    uint64_t gpa_access_tracking;
    bool time_frozen;
    /* installed intercepts (intercept.c) */
    QemuMutex intercept_lock;
    GArray *intercepts;
    uint32_t intercept_types;   /* a bit per type installed */
    /* the partition's synthetic MSRs (not per VP) */
    uint64_t hv_guest_os_id;
    uint64_t hv_hypercall;
    uint64_t hv_reference_tsc;
    /*
     * Reference time less what the TSC gives (100 ns), which the VMM's
     * REFERENCE_TIME sets; the TSC page's offset.
     */
    int64_t ref_time_offset;

    /*
     * Copies of the pages below 1 MiB that hold translated code, to find
     * the VMM's writes to them (memory.c); valid: a bit per page.  For
     * each page, how many comparisons in a row found it unchanged, and
     * how often its translations were dropped for that (memory.c).
     */
    QemuMutex low_code_lock;
    uint8_t *low_code;
    unsigned long low_code_valid[BITS_TO_LONGS(MSHV_SIM_LOW_CODE_PAGES)];
    uint32_t low_code_same[MSHV_SIM_LOW_CODE_PAGES];
    uint8_t low_code_retired[MSHV_SIM_LOW_CODE_PAGES];

    MemoryRegion unmapped;      /* catches every GPA no region maps */
    QTAILQ_HEAD(, MshvSimRegion) regions;
    /*
     * Maps and unmaps while no VP runs share one memory transaction
     * (memory.c), and the regions unmapped meanwhile live until it ends.
     */
    bool map_batch;
    QEMUTimer *map_batch_timer;
    GSList *unmapped_regions;
    /* what the regions cut the guest physical space into (memory.c) */
    unsigned sections;
    MshvSimVp *vps[MSHV_MAX_VPS];

    struct mshv_user_irq_entry *routes;     /* MSI routing table */
    unsigned nr_routes;
    QLIST_HEAD(, MshvSimIrqfd) irqfds;
    QLIST_HEAD(, MshvSimIoeventfd) ioeventfds;

    uint64_t counters[MSHV_SIM_CNT__MAX];
    uint64_t hvcall_counts[0x200];
};

/*
 * hvcall.c: the partition's processor features (bank 0 or 1) and XSAVE
 * components; whether it has CET (state, MSRs and registers).
 */
uint64_t mshv_sim_processor_features(MshvSimPartition *pt, unsigned bank);
uint64_t mshv_sim_xsave_states(MshvSimPartition *pt);
/* A VP's CPU without the features whose XSAVE state the host lacks. */
void mshv_sim_cpu_fit_host(Object *cpu);
bool mshv_sim_has_cet(MshvSimPartition *pt);

/* intercept.c; @access 0: any access */
void mshv_sim_intercepts_init(MshvSimPartition *pt);
uint16_t mshv_sim_install_intercept(MshvSimPartition *pt, const void *in,
                                    size_t in_size);
bool mshv_sim_intercepted(MshvSimPartition *pt, uint32_t type,
                          uint64_t parameter, uint32_t access);

/* Counted events, reported by the machine's counters request. */
static inline void mshv_sim_count(MshvSimPartition *pt, MshvSimCounter c)
{
    qatomic_inc(&pt->counters[c]);
}

static inline void mshv_sim_count_n(MshvSimPartition *pt, MshvSimCounter c,
                                    uint64_t n)
{
    qatomic_add(&pt->counters[c], n);
}

/* channel.c */
int mshv_sim_recv(int fd, MshvSimHeader *hdr, void *payload, size_t max,
                  int *fds, unsigned *nfds);
int mshv_sim_send(int fd, const MshvSimHeader *hdr, const void *payload,
                  const int *fds, unsigned nfds);
int mshv_sim_reply(int fd, const MshvSimHeader *req, int ret,
                   uint64_t arg0, uint64_t arg1,
                   const void *payload, uint32_t len);

/* memory.c */
void mshv_sim_memory_init(MshvSimPartition *pt);
/*
 * End the maps' memory transaction, if one is open: before anything but
 * another map or unmap is done for the partition or one of its VPs.
 */
void mshv_sim_memory_flush(MshvSimPartition *pt);
uint16_t mshv_sim_map_gpa(MshvSimPartition *pt, uint64_t pfn, uint64_t size,
                          int fd, uint64_t offset, uint8_t flags);
uint16_t mshv_sim_unmap_gpa(MshvSimPartition *pt, uint64_t pfn,
                            uint64_t size);
MshvSimRegion *mshv_sim_region_find(MshvSimPartition *pt, uint64_t gpa);
void mshv_sim_set_access_tracking(MshvSimPartition *pt, bool on);
void mshv_sim_low_code_sync(MshvSimPartition *pt, bool compare);
uint16_t mshv_sim_gpa_access_states(MshvSimPartition *pt, uint64_t pfn,
                                    uint64_t count, uint64_t flags,
                                    uint8_t *states, unsigned *done);

/*
 * vp.c and the vp-*.c files below it (vp.h).  @serve takes the VP
 * channel's requests: the top layer's mshv_sim_vp_serve.
 */
typedef void MshvSimVpServe(MshvSimVp *vp, bool watched);
uint16_t mshv_sim_vp_create(MshvSimPartition *pt, uint32_t index, int chan,
                            int state_fd, MshvSimVpServe *serve);
MshvSimVp *mshv_sim_vp_find(MshvSimPartition *pt, uint32_t index);
uint32_t mshv_sim_vp_index(MshvSimVp *vp);
CPUState *mshv_sim_vp_cpu(MshvSimVp *vp);
/* The VP a CPU of the partition is (set when the VP is created). */
static inline MshvSimVp *mshv_sim_cpu_vp(CPUState *cs)
{
    return cs->opaque;
}
MshvSimPartition *mshv_sim_vp_partition(MshvSimVp *vp);
/* No RUN_VP is outstanding: the VP runs no guest code until the next. */
bool mshv_sim_vp_stopped(MshvSimVp *vp);

/*
 * gva.c: translate @gva on @cs's page tables with HV_TRANSLATE_GVA_* @flags;
 * returns an HV_TRANSLATE_GVA_* result, and on success the page in *@gpa.
 */
uint32_t mshv_sim_gva_translate(CPUState *cs, uint64_t gva, uint64_t flags,
                                uint64_t *gpa);
uint16_t mshv_sim_vp_get_registers(MshvSimVp *vp, const uint32_t *names,
                                   unsigned count,
                                   union hv_register_value *values,
                                   unsigned *done);
uint16_t mshv_sim_vp_set_registers(MshvSimVp *vp,
                                   const struct hv_register_assoc *regs,
                                   unsigned count, unsigned *done);
void mshv_sim_vp_install_hooks(void);

/*
 * machine.c: the simulated host's TSC rate, which the guests' TSC runs at
 * (TCG's TSC scaled from this machine's when the profile sets another).
 */
uint64_t mshv_sim_tsc_frequency(void);
uint64_t mshv_sim_tsc_scale(uint64_t ticks);
void mshv_sim_vp_assert_extint(MshvSimVp *vp, uint8_t vector);
void mshv_sim_vp_clear_extint(MshvSimVp *vp);
uint16_t mshv_sim_vp_cpuid_values(MshvSimVp *vp, uint32_t flags,
                                  const struct hv_cpuid_leaf_info *leaves,
                                  unsigned n,
                                  struct hv_output_get_vp_cpuid_values *out);
uint16_t mshv_sim_vp_register_cpuid(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_cpuid *in);
uint16_t mshv_sim_vp_register_msr_result(MshvSimVp *vp,
    const struct hv_input_register_intercept_result_msr *in);

/* hyperv.c: the guest-visible Hyper-V interface */
/*
 * Hypercall page: "in al, imm8" (the trap: TCG has no VMCALL; the port
 * does not matter, the caller's RIP at the page's start does), "ret".
 */
#define MSHV_SIM_HYPERCALL_PORT         0xff
#define MSHV_SIM_HYPERCALL_INSN_LEN     2
/* Reading it idles the VP (TLFS "guest idle"). */
#define MSHV_SIM_MSR_GUEST_IDLE         0x400000F0

bool mshv_sim_hv_cpuid(MshvSimPartition *pt, uint32_t leaf, uint32_t *eax,
                       uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
int mshv_sim_hv_msr(MshvSimVp *vp, CPUState *cs, uint32_t index,
                    bool write, uint64_t *val);
bool mshv_sim_hv_is_hypercall(CPUState *cs);
uint64_t *mshv_sim_hv_partition_reg(MshvSimPartition *pt, uint32_t name);
/* false: the VMM's (hypercall intercept installed), trap not completed */
bool mshv_sim_hv_hypercall(CPUState *cs);
uint64_t mshv_sim_hv_reference_time(CPUState *cs);
/* HV_PARTITION_PROPERTY_REFERENCE_TIME, as VP 0 reads it, or set. */
uint64_t mshv_sim_hv_get_reference_time(MshvSimPartition *pt);
void mshv_sim_hv_set_reference_time(MshvSimPartition *pt, uint64_t value);

/*
 * synic.c: SynIC messages and events, from the VMM (HvPostMessageDirect,
 * HvSignalEventDirect) and the hypervisor's timers
 */
uint16_t mshv_sim_hv_post_message(MshvSimPartition *pt, const void *in,
                                  size_t in_size);
uint16_t mshv_sim_hv_signal_event(MshvSimPartition *pt, const void *in,
                                  size_t in_size, void *out, size_t out_size);
/* The free message slots of @sints; the others' messages flagged pending */
uint16_t mshv_sim_synic_free_slots(CPUState *cs, uint16_t sints);
uint16_t mshv_sim_synic_post(MshvSimVp *vp, CPUState *cs, uint32_t sint,
                             const uint8_t *message);
void mshv_sim_synic_auto_eoi(CPUState *cs, int vector);

/*
 * cpu-msr.c: processor MSRs TCG lacks: 1 done, 0 not one, -1 #GP.
 * mshv_sim_tsc_adjust: TSC_ADJUST written, which moves the TSC.
 */
int mshv_sim_cpu_msr(CPUState *cs, uint32_t index, bool write,
                     uint64_t *val);
void mshv_sim_tsc_adjust(CPUState *cs, uint64_t adjust);

/*
 * vp-extra-regs.c: VP registers the register table has no CPUX86State
 * home for.  get/set: false if @name is none of them.
 */
typedef struct MshvSimExtraRegs MshvSimExtraRegs;
MshvSimExtraRegs *mshv_sim_extra_regs_new(void);
bool mshv_sim_extra_reg_get(MshvSimExtraRegs *x, MshvSimPartition *pt,
                            CPUState *cs, uint32_t name,
                            union hv_register_value *v);
bool mshv_sim_extra_reg_set(MshvSimExtraRegs *x, MshvSimPartition *pt,
                            CPUState *cs, uint32_t name,
                            const union hv_register_value *v);
bool mshv_sim_extra_regs_take_event(MshvSimExtraRegs *x, CPUState *cs);
/* CET's XSAVE components of the compacted area @buf, to and from them */
void mshv_sim_extra_regs_to_xsave(MshvSimExtraRegs *x, void *buf,
                                  size_t len);
void mshv_sim_extra_regs_from_xsave(MshvSimExtraRegs *x, void *buf,
                                    size_t len);

/* A guest's hypercall, as its registers give it (hyperv.c). */
typedef struct MshvSimHcall {
    uint64_t control;
    bool fast;
    uint64_t in_gpa;            /* memory input (not fast) */
    uint64_t fast_in[2];        /* register input (fast) */
} MshvSimHcall;

/*
 * tlb-ipi.c: false if @hc is no TLB flush or cluster IPI hypercall the
 * partition has; else its status in *@status.
 */
bool mshv_sim_tlb_ipi_hypercall(MshvSimPartition *pt, CPUState *cs,
                                const MshvSimHcall *hc, uint16_t *status);

/*
 * lapic-timer.c: the LAPIC timer's TSC-deadline mode; _sync after the
 * deadline or the TSC changed.
 */
void mshv_sim_tsc_deadline_sync(MshvSimVp *vp, CPUState *cs);

/* stimer.c: the synthetic timers */
int mshv_sim_stimer_msr(MshvSimVp *vp, CPUState *cs, uint32_t index,
                        bool write, uint64_t *val);
void mshv_sim_stimer_sync(MshvSimVp *vp, CPUState *cs);
void mshv_sim_stimer_eom(MshvSimVp *vp, CPUState *cs);
void mshv_sim_stimer_get_state(MshvSimVp *vp, CPUState *cs,
                               struct hv_synthetic_timers_state *st);
void mshv_sim_stimer_set_state(MshvSimVp *vp, CPUState *cs,
                               const struct hv_synthetic_timers_state *st);

/*
 * irq.c: interrupt delivery, MSI routes, irqfds and ioeventfds.
 * mshv_sim_deliver_interrupt: one interrupt, as an MSI (HV_STATUS_*).
 */
uint16_t mshv_sim_deliver_interrupt(MshvSimPartition *pt, uint32_t type,
                                    uint64_t dest, bool logical, bool level,
                                    uint32_t vector);
uint16_t mshv_sim_set_msi_routing(MshvSimPartition *pt, const void *payload,
                                  size_t len, uint32_t nr);
uint16_t mshv_sim_irqfd(MshvSimPartition *pt, uint32_t gsi, uint32_t flags,
                        uint32_t id, const int *fds, unsigned nfds);
bool mshv_sim_irqfd_resample(MshvSimPartition *pt, uint32_t vector);
uint16_t mshv_sim_ioeventfd(MshvSimPartition *pt, uint64_t addr,
                            uint32_t len, uint64_t data, uint64_t flags_id,
                            const int *fds, unsigned nfds);
bool mshv_sim_ioeventfd_write(MshvSimPartition *pt, uint64_t gpa,
                              uint64_t data, unsigned size);
void mshv_sim_irq_release(MshvSimPartition *pt);

/* hvcall.c: the dispatcher */
uint16_t mshv_sim_hvcall(MshvSimPartition *pt, MshvSimVp *caller,
                         uint16_t code, uint16_t reps,
                         const void *in, size_t in_size,
                         void *out, size_t out_size, unsigned *reps_done);

/* vp-channel.c: the VP channel's requests (the dispatcher's layer) */
void mshv_sim_vp_serve(MshvSimVp *vp, bool watched);

#endif /* HW_MSHV_SIM_H */
