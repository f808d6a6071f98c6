/*
 * Interrupt delivery as a VMM sees it, straight on /dev/mshv (the
 * simulator's, under LD_PRELOAD, or the kernel's): N fixed interrupts to a
 * running VP, one at a time, each sent only when the guest has counted the
 * one before.  For tests/bench.
 *
 *   mshv-irq-bench MODE N    MODE: hypercall (HVCALL_ASSERT_VIRTUAL_
 *                            INTERRUPT, as QEMU's IOAPIC and MSIs) or
 *                            irqfd (an eventfd bound to an MSI route)
 *
 * Prints "MODE N seconds S p50_us X p99_us Y": the whole run, and the
 * median and 99th percentile of send-to-guest-handler latencies.
 *
 * The guest is real-mode code whose handler counts into its RAM; it
 * reaches its LAPIC (SVR, EOI) through DS based at 0xfee00000.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/atomic.h"
#include "qemu/cutils.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "hw/hyperv/mshv-abi.h"

#define RAM_SIZE        0x10000
#define CODE            0x1000
#define HANDLER         0x2000
#define COUNTER         0x3000
#define VECTOR          0x30

static const uint8_t guest_code[] = {
    0x66, 0xc7, 0x06, 0xf0, 0x00,       /* mov dword [0xf0], 0x1ff: SVR */
    0xff, 0x01, 0x00, 0x00,
    0xfb,                               /* sti */
    0xf4,                               /* l: hlt */
    0xeb, 0xfd,                         /* jmp l */
};

static const uint8_t guest_handler[] = {
    0x2e, 0xff, 0x06, 0x00, 0x30,       /* inc word cs:[0x3000] */
    0x66, 0xc7, 0x06, 0xb0, 0x00,       /* mov dword [0xb0], 0: EOI */
    0x00, 0x00, 0x00, 0x00,
    0xcf,                               /* iret */
};

typedef struct Vm {
    int pt, vp;
    uint8_t *ram;
} Vm;

static void die(const char *what)
{
    fprintf(stderr, "mshv-irq-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int hvcall(int fd, uint16_t code, void *in, size_t in_sz)
{
    struct mshv_root_hvcall call = {
        .code = code,
        .reps = code == HVCALL_SET_VP_REGISTERS ? 4 : 0,
        .in_sz = in_sz,
        .in_ptr = (uintptr_t)in,
    };

    return ioctl(fd, MSHV_ROOT_HVCALL, &call);
}

static void vm_init(Vm *vm)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    struct mshv_create_vp vp = { .vp_index = 0 };
    struct {
        struct hv_input_vp_registers hdr;
        struct hv_register_assoc regs[4];
    } QEMU_PACKED regs = {
        .regs = {
            { .name = HV_X64_REGISTER_CS,
              .value.segment = { .base = 0, .limit = 0xffff,
                                 .attributes = 0x9b } },
            { .name = HV_X64_REGISTER_DS,
              .value.segment = { .base = 0xfee00000, .limit = 0xffff,
                                 .attributes = 0x93 } },
            { .name = HV_X64_REGISTER_RIP, .value.reg64 = CODE },
            { .name = HV_X64_REGISTER_RSP, .value.reg64 = 0x8000 },
        },
    };
    struct mshv_user_mem_region mem = {
        .size = RAM_SIZE,
        .flags = 1 << MSHV_SET_MEM_BIT_WRITABLE |
                 1 << MSHV_SET_MEM_BIT_EXECUTABLE,
    };
    int dev, fd;

    dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        die("/dev/mshv");
    }
    vm->pt = ioctl(dev, MSHV_CREATE_PARTITION, &args);
    if (vm->pt < 0 || ioctl(vm->pt, MSHV_INITIALIZE_PARTITION) < 0) {
        die("creating the partition");
    }
    fd = memfd_create("mshv-irq-bench", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, RAM_SIZE) < 0) {
        die("memfd");
    }
    vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (vm->ram == MAP_FAILED) {
        die("mmap");
    }
    memcpy(vm->ram + CODE, guest_code, sizeof(guest_code));
    memcpy(vm->ram + HANDLER, guest_handler, sizeof(guest_handler));
    vm->ram[VECTOR * 4 + 1] = HANDLER >> 8;     /* IVT: 0000:2000 */
    mem.userspace_addr = (uintptr_t)vm->ram;
    if (ioctl(vm->pt, MSHV_SET_GUEST_MEMORY, &mem) < 0) {
        die("mapping guest memory");
    }
    vm->vp = ioctl(vm->pt, MSHV_CREATE_VP, &vp);
    if (vm->vp < 0 || hvcall(vm->vp, HVCALL_SET_VP_REGISTERS, &regs,
                             sizeof(regs)) < 0) {
        die("creating the VP");
    }
}

/* The VP runs (and halts between interrupts) on its own thread. */
static void *vp_thread(void *opaque)
{
    Vm *vm = opaque;
    struct mshv_run_vp run;

    for (;;) {
        if (ioctl(vm->vp, MSHV_RUN_VP, &run) < 0 && errno != EINTR) {
            die("MSHV_RUN_VP");
        }
        fprintf(stderr, "mshv-irq-bench: unexpected message 0x%x\n",
                ((struct hv_message *)run.msg_buf)->header.message_type);
        exit(1);
    }
    return NULL;
}

static uint16_t guest_count(Vm *vm)
{
    return qatomic_read((uint16_t *)(vm->ram + COUNTER));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct hv_input_assert_virtual_interrupt assert_in = {
        .control = HV_X64_INTERRUPT_TYPE_FIXED,
        .vector = VECTOR,
    };
    struct {
        struct mshv_user_irq_table hdr;
        struct mshv_user_irq_entry e[1];
    } table = {
        .hdr.nr = 1,
        .e[0] = { .gsi = 1, .address_lo = 0xfee00000,
                  .data = VECTOR | 1 << 14 },
    };
    struct mshv_user_irqfd irqfd = { .gsi = 1 };
    uint64_t n, i, one = 1;
    int64_t t0, start, *lat;
    bool use_irqfd;
    QemuThread thread;
    uint16_t seen;
    Vm vm;

    if (argc != 3 || qemu_strtou64(argv[2], NULL, 0, &n) < 0 || !n ||
        (strcmp(argv[1], "hypercall") && strcmp(argv[1], "irqfd"))) {
        fprintf(stderr, "usage: mshv-irq-bench hypercall|irqfd N\n");
        return 2;
    }
    use_irqfd = !strcmp(argv[1], "irqfd");
    vm_init(&vm);
    if (use_irqfd) {
        irqfd.fd = eventfd(0, EFD_CLOEXEC);
        if (irqfd.fd < 0 || ioctl(vm.pt, MSHV_SET_MSI_ROUTING, &table) < 0 ||
            ioctl(vm.pt, MSHV_IRQFD, &irqfd) < 0) {
            die("binding the irqfd");
        }
    }
    qemu_thread_create(&thread, "vp", vp_thread, &vm, QEMU_THREAD_DETACHED);
    /* the guest has enabled its LAPIC once it halts: give it a moment */
    g_usleep(200 * 1000);

    lat = g_new(int64_t, n);
    start = g_get_monotonic_time();
    for (i = 0; i < n; i++) {
        seen = guest_count(&vm);
        t0 = get_clock();
        if (use_irqfd) {
            if (write(irqfd.fd, &one, sizeof(one)) != sizeof(one)) {
                die("signalling the irqfd");
            }
        } else if (hvcall(vm.pt, HVCALL_ASSERT_VIRTUAL_INTERRUPT,
                          &assert_in, sizeof(assert_in)) < 0) {
            die("HVCALL_ASSERT_VIRTUAL_INTERRUPT");
        }
        while (guest_count(&vm) == seen) {
            if (get_clock() - t0 > NANOSECONDS_PER_SECOND * 5) {
                fprintf(stderr, "mshv-irq-bench: interrupt %" PRIu64
                        " not taken in 5 s\n", i);
                return 1;
            }
        }
        lat[i] = get_clock() - t0;
    }
    qsort(lat, n, sizeof(*lat), cmp_i64);
    printf("%s %" PRIu64 " seconds %.3f p50_us %.1f p99_us %.1f\n", argv[1], n,
           (g_get_monotonic_time() - start) / 1e6, lat[n / 2] / 1e3,
           lat[n * 99 / 100] / 1e3);
    return 0;
}
