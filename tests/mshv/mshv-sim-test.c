/*
 * MSHV simulator conformance: drives /dev/mshv directly, as a VMM would,
 * with tiny guest programs, and checks what comes back against the
 * driver's and the hypervisor's documented behaviour.
 *
 * Run under the simulator: LD_PRELOAD=libmshv-sim-preload.so and
 * MSHV_SIM_HV=qemu-system-x86_64 (tests/mshv/meson.build sets both).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "mshv-sim-test.h"

/* ---- Plumbing ------------------------------------------------------------ */

int hvcall(int fd, uint16_t code, uint16_t reps, void *in,
           size_t in_sz, void *out, size_t out_sz, uint16_t *status)
{
    struct mshv_root_hvcall call = {
        .code = code,
        .reps = reps,
        .in_sz = in_sz,
        .out_sz = out_sz,
        .in_ptr = (uintptr_t)in,
        .out_ptr = (uintptr_t)out,
    };
    int ret = ioctl(fd, MSHV_ROOT_HVCALL, &call);

    if (status) {
        *status = call.status;
    }
    return ret;
}

void set_regs(Guest *g, const struct hv_register_assoc *regs,
              unsigned count)
{
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[64];
    } QEMU_PACKED in = { .hdr.vp_index = g->index };
    uint16_t status;

    g_assert_cmpuint(count, <=, ARRAY_SIZE(in.regs));
    memcpy(in.regs, regs, count * sizeof(*regs));
    g_assert_cmpint(hvcall(g->vp, HVCALL_SET_VP_REGISTERS, count, &in,
                           sizeof(in.hdr) + count * sizeof(*regs), NULL, 0,
                           &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
}

void get_regs(Guest *g, const uint32_t *names, unsigned count,
              union hv_register_value *values)
{
    struct {
        struct hv_input_vp_registers hdr;
        uint32_t names[64];
    } QEMU_PACKED in = { .hdr.vp_index = g->index };
    uint16_t status;

    g_assert_cmpuint(count, <=, ARRAY_SIZE(in.names));
    memcpy(in.names, names, count * sizeof(*names));
    g_assert_cmpint(hvcall(g->vp, HVCALL_GET_VP_REGISTERS, count, &in,
                           sizeof(in.hdr) + count * sizeof(*names), values,
                           count * sizeof(*values), &status), ==, 0);
    g_assert_cmphex(status, ==, HV_STATUS_SUCCESS);
}

uint64_t get_reg(Guest *g, uint32_t name)
{
    union hv_register_value v;

    get_regs(g, &name, 1, &v);
    return v.reg64;
}

void set_reg(Guest *g, uint32_t name, uint64_t value)
{
    struct hv_register_assoc r = { .name = name, .value.reg64 = value };

    set_regs(g, &r, 1);
}

void set_property(Guest *g, uint32_t code, uint64_t value)
{
    struct hv_input_set_partition_property in = {
        .property_code = code,
        .property_value = value,
    };
    uint16_t status;

    g_assert_cmpint(hvcall(g->pt, HVCALL_SET_PARTITION_PROPERTY, 0, &in,
                           sizeof(in), NULL, 0, &status), ==, 0);
}

int map_memory(int pt, uint64_t gpa, void *addr, uint64_t size,
               uint8_t flags)
{
    struct mshv_user_mem_region r = {
        .size = size,
        .guest_pfn = gpa >> 12,
        .userspace_addr = (uintptr_t)addr,
        .flags = flags,
    };

    return ioctl(pt, MSHV_SET_GUEST_MEMORY, &r);
}

void *shared_memory(size_t size, int *fd_out)
{
    int fd = memfd_create("mshv-sim-test", MFD_CLOEXEC);
    void *p;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert(p != MAP_FAILED);
    if (fd_out) {
        *fd_out = fd;
    } else {
        close(fd);
    }
    return p;
}

/*
 * A partition with 64 KiB of RAM at GPA 0 and VP 0 in real mode, and the
 * synthetic processor features @features.
 */
void guest_init_features(Guest *g, const uint8_t *code, size_t len,
                         uint64_t features)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    struct mshv_create_vp vp = { .vp_index = 0 };
    struct hv_register_assoc regs[] = {
        { .name = HV_X64_REGISTER_CS,
          .value.segment = { .base = 0, .limit = 0xffff, .selector = 0,
                             .attributes = 0x9b } },
        { .name = HV_X64_REGISTER_DS,
          .value.segment = { .base = 0, .limit = 0xffff, .selector = 0,
                             .attributes = 0x93 } },
        { .name = HV_X64_REGISTER_RIP, .value.reg64 = GUEST_CODE },
        { .name = HV_X64_REGISTER_RFLAGS, .value.reg64 = 0x2 },
    };

    g->index = 0;
    g->dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(g->dev, >=, 0);
    g->pt = ioctl(g->dev, MSHV_CREATE_PARTITION, &args);
    g_assert_cmpint(g->pt, >=, 0);
    if (features) {
        set_property(g, HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
                     features);
    }
    g_assert_cmpint(ioctl(g->pt, MSHV_INITIALIZE_PARTITION), ==, 0);
    g->ram = shared_memory(GUEST_RAM_SIZE, &g->ram_fd);
    memcpy(g->ram + GUEST_CODE, code, len);
    g_assert_cmpint(map_memory(g->pt, 0, g->ram, GUEST_RAM_SIZE,
                               1 << MSHV_SET_MEM_BIT_WRITABLE |
                               1 << MSHV_SET_MEM_BIT_EXECUTABLE), ==, 0);
    g->vp = ioctl(g->pt, MSHV_CREATE_VP, &vp);
    g_assert_cmpint(g->vp, >=, 0);
    set_regs(g, regs, ARRAY_SIZE(regs));
}

void guest_init(Guest *g, const uint8_t *code, size_t len)
{
    guest_init_features(g, code, len, 0);
}

void guest_fini(Guest *g)
{
    close(g->vp);
    close(g->pt);
    close(g->dev);
    munmap(g->ram, GUEST_RAM_SIZE);
    close(g->ram_fd);
}

void run(Guest *g, struct hv_message *msg)
{
    struct mshv_run_vp run;

    g_assert_cmpint(ioctl(g->vp, MSHV_RUN_VP, &run), ==, 0);
    memcpy(msg, run.msg_buf, sizeof(*msg));
}

/* Complete an intercepted instruction the way a VMM does. */
void skip(Guest *g, const struct hv_x64_intercept_message_header *h)
{
    set_reg(g, HV_X64_REGISTER_RIP,
            h->rip + (h->instruction_length_and_cr8 & 0xf));
}

/* A real-mode interrupt handler at 0000:2000 for @vector, a stack below. */
void set_handler(Guest *g, unsigned vector, const uint8_t *handler,
                 size_t len)
{
    memcpy(g->ram + 0x2000, handler, len);
    g->ram[vector * 4 + 0] = 0x00;
    g->ram[vector * 4 + 1] = 0x20;
    set_reg(g, HV_X64_REGISTER_RSP, 0x8000);
}


uint64_t get_property(Guest *g, uint32_t code)
{
    struct hv_input_get_partition_property in = { .property_code = code };
    struct hv_output_get_partition_property out;
    uint16_t status;

    g_assert_cmpint(hvcall(g->pt, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
                           sizeof(in), &out, sizeof(out), &status), ==, 0);
    return out.property_value;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!getenv("MSHV_SIM_HV")) {
        g_test_message("MSHV_SIM_HV is not set: run through meson test");
    }
    mshv_sim_test_add_partition();
    mshv_sim_test_add_paging();
    mshv_sim_test_add_vp();
    mshv_sim_test_add_hyperv();
    mshv_sim_test_add_intercepts();
    mshv_sim_test_add_hvcalls();
    return g_test_run();
}
