/*
 * MSHV simulator: what the simulated hypervisor offers.  Both the driver
 * side (answering host-partition queries on /dev/mshv) and the hypervisor
 * process use these, so the two always agree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MSHV_SIM_CAPS_H
#define HW_MSHV_SIM_CAPS_H

#include <cpuid.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hw/hyperv/mshv-abi.h"
#include "hw/mshv-sim/protocol.h"

/* Hyper-V enlightenments the simulator implements for guests. */
#define MSHV_SIM_ASSIGNABLE_SYNTHETIC_PROC_FEATURES \
    ((1ULL << HV_SYNTHETIC_PROC_HYPERVISOR_PRESENT) | \
     (1ULL << HV_SYNTHETIC_PROC_HV1) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_RUN_TIME_REG) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_COUNTER) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNIC_REGS) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_SYNTHETIC_TIMER_REGS) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_INTR_CTRL_REGS) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_HYPERCALL_REGS) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_VP_INDEX) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_PARTITION_REFERENCE_TSC) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_GUEST_IDLE_REG) | \
     (1ULL << HV_SYNTHETIC_PROC_ACCESS_FREQUENCY_REGS) | \
     (1ULL << HV_SYNTHETIC_PROC_DIRECT_SYNTHETIC_TIMERS) | \
     (1ULL << HV_SYNTHETIC_PROC_EXTENDED_PROCESSOR_MASKS) | \
     (1ULL << HV_SYNTHETIC_PROC_TB_FLUSH_HYPERCALLS) | \
     (1ULL << HV_SYNTHETIC_PROC_SYNTHETIC_CLUSTER_IPI) | \
     (1ULL << HV_SYNTHETIC_PROC_SIGNAL_EVENTS))

/* The APIC timer counts QEMU_CLOCK_VIRTUAL nanoseconds. */
#define MSHV_SIM_APIC_FREQUENCY                 1000000000ULL

/* Guest physical address width of simulated partitions. */
#define MSHV_SIM_PHYSICAL_ADDRESS_WIDTH         40

/*
 * XSAVE components: a partition has its CPU model's (XCR0), and CET's
 * user and supervisor state where the host has CET.  The host partition
 * (driver side, which knows no CPU model) answers with x87, SSE and AVX
 * and CET's; compacted area size for those.
 */
#define MSHV_SIM_XSAVE_CET                      (3ULL << 11)
#define MSHV_SIM_XSAVE_STATES                   (0x7ULL | MSHV_SIM_XSAVE_CET)
#define MSHV_SIM_MAX_XSAVE_DATA_SIZE            (512 + 64 + 256 + 16 + 24)

/* The compacted XSAVE area's size for @states (of the above). */
static inline uint32_t mshv_sim_xsave_data_size(uint64_t states)
{
    return MSHV_SIM_MAX_XSAVE_DATA_SIZE -
           (states & MSHV_SIM_XSAVE_CET ? 0 : 16 + 24);
}

/*
 * Whether the processor under the simulator has CET (shadow stacks or
 * indirect branch tracking).  The simulator offers CET state where it
 * does, by default: a VMM learns the sizes of XSAVE components from its
 * own CPUID, which the simulator cannot change.
 */
static inline bool mshv_sim_host_has_cet(void)
{
    unsigned a, b, c, d;

    return __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
           ((c & (1u << 7)) || (d & (1u << 20)));
}

/* VMM_CAPABILITIES bank 0: assignable synthetic processor features. */
#define MSHV_SIM_VMM_CAPABILITIES               (1ULL << 4)

/* Processor feature banks 0/1: all that the simulator's CPUs may offer. */
#define MSHV_SIM_PROCESSOR_FEATURES0            0xffffffffffffffffULL
#define MSHV_SIM_PROCESSOR_FEATURES1            0x00000000003fffffULL
/* ... bank 1's CET shadow stack and indirect branch tracking */
#define MSHV_SIM_PROCESSOR_FEATURES1_CET \
    (HV_PROCESSOR_FEATURES1_CET_SS | HV_PROCESSOR_FEATURES1_CET_IBT)

#define MSHV_SIM_PROCESSOR_CL_FLUSH_SIZE        8   /* in 8-byte units */

/* A TSC reading and CLOCK_MONOTONIC_RAW's, taken within a few cycles */
static inline void mshv_sim_tsc_clock_pair(uint64_t *tsc, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < 5; i++) {
        struct timespec t;
        uint64_t before = __builtin_ia32_rdtsc(), after;

        clock_gettime(CLOCK_MONOTONIC_RAW, &t);
        after = __builtin_ia32_rdtsc();
        if (after - before < best) {
            best = after - before;
            *tsc = before + best / 2;
            *ns = t.tv_sec * 1000000000ULL + t.tv_nsec;
        }
    }
}

/*
 * The frequency of this machine's TSC, which TCG reads: what the simulated
 * host's TSC runs at unless its profile says otherwise (the hypervisor
 * process's -machine tsc-frequency, which scales TCG's TSC).  Measured
 * once against CLOCK_MONOTONIC_RAW (unslewed, so 5 ms are enough to
 * round to the MHz) by the driver side, which hands its figure to the
 * hypervisor processes it starts (MSHV_SIM_ENV_HOST_TSC_HZ): both sides
 * agree, and no partition's creation waits for another measurement.
 */
static inline uint64_t mshv_sim_host_tsc_frequency(void)
{
    static uint64_t freq;
    uint64_t c0 = 0, c1 = 0, t0 = 0, t1 = 0;
    const char *given;

    /* (the driver side is not linked with QEMU's string helpers) */
    given = freq ? NULL : getenv(MSHV_SIM_ENV_HOST_TSC_HZ);
    if (given && (sscanf(given, "%" SCNu64, &freq) != 1 ||
                  freq < 100000000 || freq > 10000000000ULL)) {
        freq = 0;               /* not a TSC rate: measure it */
    }
    if (!freq) {
        mshv_sim_tsc_clock_pair(&c0, &t0);
        do {
            mshv_sim_tsc_clock_pair(&c1, &t1);
        } while (t1 - t0 < 5000000);
        /* Round to 1 MHz, as firmware-reported frequencies are. */
        freq = ((c1 - c0) * 1000000000ULL / (t1 - t0) + 500000) /
               1000000 * 1000000;
    }
    return freq;
}

#endif /* HW_MSHV_SIM_CAPS_H */
