/*
 * MSHV accelerator internals, shared by accel/mshv (partition, memory,
 * vCPU threads) and target/i386/mshv (x86 registers, intercepts).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_MSHV_INT_H
#define SYSTEM_MSHV_INT_H

#include "qemu/accel.h"
#include "exec/memory.h"
#include "hw/hyperv/mshv-abi.h"
#include "system/mshv.h"
#include "qemu/timer.h"

typedef struct MshvState {
    AccelState parent_obj;

    char *device;               /* "device" property */
    int fd;                     /* /dev/mshv */
    int pt_fd;                  /* the partition */
    MemoryListener memory_listener;
    VMChangeStateEntry *vmstate;
    bool initialized;           /* MSHV_INITIALIZE_PARTITION done */
    bool init_failed;           /* ... failed, and said why */
    bool time_frozen;
    /* Partition reference time (mshv-time.c), as migration carries it */
    uint64_t ref_time;
    bool ref_time_valid;        /* ... read from an initialized partition */
    bool ref_time_loaded;       /* ... arrived, for the next thaw */
    bool dirty_tracking;        /* GPA_PAGE_ACCESS_TRACKING is on */
    QEMUTimer *tracking_off_timer;  /* ... goes off when it fires */
    uint64_t synthetic_features;    /* the partition's, once initialized */

    /* Guest memory (mshv-all.c) */
    GArray *slots;              /* mapped writable RAM: MshvSlot */
    bool memory_fatal;          /* a mapping failed: stop at the commit */

    /* MSI routing (mshv-irq.c) */
    struct mshv_user_irq_entry *routes;     /* indexed by GSI */
    unsigned long *routes_used;
    unsigned routes_size;
    bool routes_dirty;          /* changed since MSHV_SET_MSI_ROUTING */

    /*
     * VPs of unplugged vCPUs, by VP index -> fd: the partition keeps a
     * VP until it is deleted, so a vCPU plugged into the slot again
     * takes the VP back (creating it again would fail).
     */
    GHashTable *parked_vps;
} MshvState;

OBJECT_DECLARE_SIMPLE_TYPE(MshvState, MSHV_ACCEL)

extern MshvState *mshv_state;

/*
 * Per-vCPU state: CPUState::accel.  The architecture allocates it inside
 * its own per-vCPU state (mshv_arch_vcpu_init).
 */
struct AccelCPUState {
    int vp_fd;
    uint32_t vp_index;
    bool in_run;                /* inside MSHV_RUN_VP, or about to be */
};

/* accel/mshv/mshv-all.c */
int mshv_hvcall(int fd, uint16_t code, uint16_t reps, const void *in,
                size_t in_size, void *out, size_t out_size,
                uint16_t *status, uint16_t *reps_done);
void mshv_fail(CPUState *cpu, const char *what, int err, uint16_t status);
int mshv_get_property(MshvState *s, uint32_t code, uint64_t *value,
                      Error **errp);
int mshv_set_property(MshvState *s, uint32_t code, uint64_t value,
                      Error **errp);
/* Initialize the partition if that is not done yet; false if it failed. */
bool mshv_partition_ready(void);
/*
 * The fd of VP @index of the partition: created, or the one an unplugged
 * vCPU left (mshv_vp_park()); -1 with @errp set if creating it failed.
 */
int mshv_vp_open(uint32_t index, Error **errp);
void mshv_vp_park(uint32_t index, int fd);
/* A VP of a fresh partition that never runs; its fd, and the partition's. */
int mshv_scratch_vp_create(int *pt_fd, Error **errp);

/* accel/mshv/mshv-time.c: freeze and thaw, and migrated reference time */
void mshv_time_init(MshvState *s);

/* accel/mshv/mshv-accel-ops.c */
int mshv_vcpu_run(CPUState *cpu, struct hv_message *msg);

/*
 * The architecture interface (target/<arch>/mshv): what accel/mshv asks
 * of the architecture; the only functions named mshv_arch_*.
 */
int mshv_arch_vcpu_init(CPUState *cpu, Error **errp);
void mshv_arch_vcpu_destroy(CPUState *cpu);
void mshv_arch_reset_vcpu(CPUState *cpu);
int mshv_arch_vcpu_exec(CPUState *cpu);
int mshv_arch_get_registers(CPUState *cpu);
int mshv_arch_put_registers(CPUState *cpu, bool full);
/* The partition's synthetic processor features, from the CPU model. */
int mshv_arch_synthetic_features(uint64_t *features, Error **errp);
/* What the architecture sets up in an initialized partition. */
int mshv_arch_partition_init(MshvState *s, Error **errp);

#endif /* SYSTEM_MSHV_INT_H */
