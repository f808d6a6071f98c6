/*
 * MSHV simulator conformance: what the test files share (the guest, the
 * plumbing in mshv-sim-test.c, and helpers one area lends another)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_MSHV_SIM_TEST_H
#define TESTS_MSHV_SIM_TEST_H

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/bswap.h"
#include "qemu/memalign.h"
#include "hw/hyperv/mshv-abi.h"
#include "hw/mshv-sim/caps.h"

#define GUEST_RAM_SIZE      0x10000     /* GPA 0 - 64 KiB */
#define GUEST_CODE          0x1000
#define GUEST_ROM_GPA       0x10000
#define GUEST_UNMAPPED      0x20000

typedef struct Guest {
    int dev;
    int pt;
    int vp;
    uint32_t index;             /* the VP's */
    uint8_t *ram;
    int ram_fd;
} Guest;

/* mshv-sim-test.c: the plumbing */

int hvcall(int fd, uint16_t code, uint16_t reps, void *in,
           size_t in_sz, void *out, size_t out_sz, uint16_t *status);
void set_regs(Guest *g, const struct hv_register_assoc *regs,
              unsigned count);
void get_regs(Guest *g, const uint32_t *names, unsigned count,
              union hv_register_value *values);
uint64_t get_reg(Guest *g, uint32_t name);
void set_reg(Guest *g, uint32_t name, uint64_t value);
void set_property(Guest *g, uint32_t code, uint64_t value);
uint64_t get_property(Guest *g, uint32_t code);
int map_memory(int pt, uint64_t gpa, void *addr, uint64_t size,
               uint8_t flags);
void *shared_memory(size_t size, int *fd_out);
void guest_init_features(Guest *g, const uint8_t *code, size_t len,
                         uint64_t features);
void guest_init(Guest *g, const uint8_t *code, size_t len);
void guest_fini(Guest *g);
void run(Guest *g, struct hv_message *msg);
void skip(Guest *g, const struct hv_x64_intercept_message_header *h);
void set_handler(Guest *g, unsigned vector, const uint8_t *handler,
                 size_t len);

/* mshv-sim-test-partition.c */

void assert_regs_round_trip(Guest *g,
                            const struct hv_register_assoc *set,
                            unsigned n);

/* mshv-sim-test-vp.c */

int vp_state(Guest *g, unsigned long req, uint8_t type, void *buf,
             uint32_t *size);
void lapic_on(Guest *g);

/* mshv-sim-test-hyperv.c */

unsigned run_to_out(Guest *g);
int cpuid_values(Guest *g, uint32_t flags,
                 const struct hv_cpuid_leaf_info *leaves, unsigned n,
                 struct hv_output_get_vp_cpuid_values *out,
                 uint16_t *status);
gpointer run_to_message(gpointer opaque);

/* Each file adds its test cases */

void mshv_sim_test_add_partition(void);
void mshv_sim_test_add_paging(void);
void mshv_sim_test_add_vp(void);
void mshv_sim_test_add_hyperv(void);
void mshv_sim_test_add_intercepts(void);
void mshv_sim_test_add_hvcalls(void);

#endif /* TESTS_MSHV_SIM_TEST_H */
