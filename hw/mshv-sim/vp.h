/*
 * MSHV simulator: the virtual processor, shared by the files that make
 * it up (below the dispatcher, which reaches a VP through mshv-sim.h):
 *
 *   vp.c              lifecycle: creation, lookup, the channel's fd
 *   vp-run.c          running and stopping: RUN_VP, cancel, messages due
 *   vp-exits.c        guest events TCG reports, made intercept messages
 *   vp-cpuid-msr.c    CPUID and MSR results, intercepts and registrations
 *   vp-interrupts.c   ExtINT, interrupt windows, level-triggered EOIs
 *   vp-regs.c         register page, register get/set
 *   vp-state.c        VP state blobs (LAPIC, XSAVE, SynIC pages, timers)
 *   vp-channel.c      requests on the VP channel (the top layer)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_VP_H
#define HW_MSHV_SIM_VP_H

#include "cpu.h"
#include "mshv/mshv-regs.h"
#include "mshv-sim.h"

#define MSHV_SIM_STATE_SIZE     (MSHV_SIM_VP_STATE_PAGES * MSHV_HV_PAGE_SIZE)

struct MshvSimVp {
    MshvSimPartition *pt;
    MshvSimVpServe *serve;
    uint32_t index;
    X86CPU *cpu;
    int chan;
    void *state;
    struct hv_vp_register_page *regpage;
    struct hv_message *msgpage;
    MshvSimVpShared *shared;    /* with the driver side only */

    QemuMutex lock;             /* run_pending, undelivered, run_seq */
    bool run_pending;           /* a RUN_VP awaits its reply */
    uint64_t run_seq;           /* RUN_VPs taken, the pending one's number */
    uint64_t cancel_seq;        /* the run a CANCEL_RUN was meant for */
    bool intercepted;           /* stopped by an intercept (suspend reg) */
    bool undelivered;           /* msgpage holds a message not yet sent */
    bool shutdown;              /* triple-faulted: reset before running */
    int extint;                 /* pending ExtINT vector, or -1 */
    DECLARE_BITMAP(eoi, 256);   /* level EOIs not yet reported (lock) */
    uint64_t notify;            /* DELIVERABILITY_NOTIFICATIONS requests */
    uint16_t sints_ready;       /* requested SINTs now free to report (lock) */
    MshvSimExtraRegs *extra;    /* registers beyond the table (VP thread) */

    /* CPUID and MSR results the VMM registered; the hooks apply them. */
    QemuMutex results_lock;
    GArray *cpuid;              /* of MshvSimCpuid */
    GArray *msr_results;        /* of MshvSimMsrResult */
    bool injecting;             /* the exception is the VMM's: deliver it */

    /* Watching for the next RUN_VP after a stop */
    int64_t poll_ns;            /* how long (poll-window.h); set with BQL */
    int64_t stopped_at;         /* when the VMM's turn began, or 0 */

    /*
     * The request being answered: the channel carries one at a time, and
     * its handler may let the BQL go (run_on_cpu) while another thread
     * answers another VP's.
     */
    uint8_t *req_in;            /* MSHV_SIM_MAX_PAYLOAD bytes */
    uint8_t *req_out;           /* MSHV_HVCALL_MAX_IO_SIZE bytes */
};

typedef struct MshvSimMsrResult {
    uint32_t index;
    uint32_t access;            /* HV_INTERCEPT_ACCESS_MASK_* */
    uint32_t action;            /* HV_UNIMPLEMENTED_MSR_ACTION_* */
} MshvSimMsrResult;

typedef struct MshvSimCpuid {
    uint32_t leaf, subleaf;
    bool subleaf_specific;
    uint32_t value[4], mask[4];     /* EAX, EBX, ECX, EDX */
} MshvSimCpuid;

/* vp-run.c */
bool mshv_sim_vp_exit(MshvSimVp *vp, const struct hv_message *msg);
G_NORETURN void mshv_sim_vp_leave(CPUState *cs);
G_NORETURN void mshv_sim_vp_stop(MshvSimVp *vp, const struct hv_message *msg,
                                 MshvSimCounter counter);
bool mshv_sim_vp_answer_hvcall(MshvSimVp *vp, const MshvSimHeader *h,
                               const void *payload, size_t len);
void mshv_sim_vp_answered(MshvSimVp *vp, bool watched);
void mshv_sim_vp_check_sints(MshvSimVp *vp);
bool mshv_sim_vp_report_sints(MshvSimVp *vp, unsigned insn_len);
void mshv_sim_vp_eoi_work(CPUState *cs, run_on_cpu_data data);
void mshv_sim_vp_run(MshvSimVp *vp, bool watched);
/* vp-channel.c: a RUN_VP or hypercall posted in MshvSimVpShared */
void mshv_sim_vp_take_posted_run(MshvSimVp *vp);
bool mshv_sim_vp_take_posted_call(MshvSimVp *vp);
void mshv_sim_vp_cancel(MshvSimVp *vp);

/* vp-exits.c */
void mshv_sim_fill_header(CPUState *cs, struct hv_message *msg,
                          uint32_t type, size_t payload_size,
                          unsigned insn_len, unsigned access);
G_NORETURN void mshv_sim_vp_cpuid_intercept(MshvSimVp *vp,
                                            const uint32_t regs[4],
                                            uintptr_t retaddr);
G_NORETURN void mshv_sim_vp_msr_intercept(MshvSimVp *vp, uint32_t index,
                                          bool is_write, uintptr_t retaddr);

/* vp-cpuid-msr.c: the TCG hooks' halves for CPUID and RDMSR/WRMSR */
void mshv_sim_hook_cpuid(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
                         uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                         uint32_t *edx, uintptr_t retaddr);
bool mshv_sim_hook_msr(CPUX86State *env, uint32_t index, bool is_write,
                       uint64_t value, uintptr_t retaddr);
void mshv_sim_hook_msr_unimplemented(CPUX86State *env, uint32_t index,
                                     bool is_write, uint64_t *value,
                                     uintptr_t retaddr);

/* vp-interrupts.c */
int mshv_sim_hook_pic_interrupt(CPUX86State *env);
void mshv_sim_hook_apic_interrupt(CPUX86State *env, int vector);
bool mshv_sim_hook_pic_pending(CPUX86State *env);
void mshv_sim_hook_level_eoi(CPUX86State *env, int vector);
void mshv_sim_request_notify(MshvSimVp *vp, uint64_t bits);

/* vp-regs.c */
void mshv_sim_regpage_fill(MshvSimVp *vp);
void mshv_sim_regpage_apply(MshvSimVp *vp);

/* vp-state.c: MSHV_VP_STATE_* @type into or out of @buf (a page) */
uint16_t mshv_sim_vp_state_io(MshvSimVp *vp, uint8_t type, bool set,
                              uint8_t *buf, uint32_t len);

#endif /* HW_MSHV_SIM_VP_H */
