/*
 * How long a VMM takes to set a partition up and take it down, straight on
 * /dev/mshv (the simulator's, under LD_PRELOAD, or the kernel's).  For
 * tests/bench.
 *
 *   mshv-map-bench map REGIONS TOTAL
 *       maps REGIONS regions of TOTAL bytes together with
 *       MSHV_SET_GUEST_MEMORY, then unmaps them one by one; prints
 *       "seconds S unmap_seconds S"
 *   mshv-map-bench vps N
 *       creates N VPs (MSHV_CREATE_VP), then closes them and the
 *       partition; prints "seconds S destroy_seconds S"
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/cutils.h"
#include "hw/hyperv/mshv-abi.h"

static int dev = -1;

static int partition(void)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    int pt;

    dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        perror("mshv-map-bench: /dev/mshv");
        exit(1);
    }
    pt = ioctl(dev, MSHV_CREATE_PARTITION, &args);
    if (pt < 0 || ioctl(pt, MSHV_INITIALIZE_PARTITION) < 0) {
        perror("mshv-map-bench: creating the partition");
        exit(1);
    }
    return pt;
}

static void set_memory(int pt, uint64_t gpa, uint64_t size, void *hva,
                       bool unmap, uint64_t i)
{
    struct mshv_user_mem_region r = {
        .size = size,
        .guest_pfn = gpa >> 12,
        .userspace_addr = (uintptr_t)hva,
        .flags = unmap ? 1 << MSHV_SET_MEM_BIT_UNMAP :
                 1 << MSHV_SET_MEM_BIT_WRITABLE |
                 1 << MSHV_SET_MEM_BIT_EXECUTABLE,
    };

    if (ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) < 0) {
        fprintf(stderr, "mshv-map-bench: %smapping region %" PRIu64 ": %s\n",
                unmap ? "un" : "", i, strerror(errno));
        exit(1);
    }
}

static int bench_map(uint64_t regions, uint64_t total)
{
    uint64_t size = QEMU_ALIGN_DOWN(total / regions, 4096), i;
    int64_t t0, t1, t2;
    uint8_t *mem;
    int pt, fd;

    if (!size) {
        fprintf(stderr, "mshv-map-bench: need regions of at least 4 KiB\n");
        return 2;
    }
    pt = partition();
    /* shared and sparse: nothing is touched */
    fd = memfd_create("mshv-map-bench", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, size * regions) < 0) {
        perror("mshv-map-bench: memfd");
        return 1;
    }
    mem = mmap(NULL, size * regions, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
               0);
    if (mem == MAP_FAILED) {
        perror("mshv-map-bench: mmap");
        return 1;
    }

    t0 = g_get_monotonic_time();
    for (i = 0; i < regions; i++) {
        set_memory(pt, i * size, size, mem + i * size, false, i);
    }
    t1 = g_get_monotonic_time();
    for (i = 0; i < regions; i++) {
        set_memory(pt, i * size, size, mem + i * size, true, i);
    }
    t2 = g_get_monotonic_time();
    printf("regions %" PRIu64 " bytes %" PRIu64 " seconds %.3f "
           "unmap_seconds %.3f\n", regions, size * regions, (t1 - t0) / 1e6,
           (t2 - t1) / 1e6);
    close(pt);
    close(dev);
    return 0;
}

static int bench_vps(uint64_t n)
{
    g_autofree int *vp = g_new(int, n);
    int64_t t0, t1, t2;
    uint64_t i;
    int pt = partition();

    t0 = g_get_monotonic_time();
    for (i = 0; i < n; i++) {
        struct mshv_create_vp args = { .vp_index = i };

        vp[i] = ioctl(pt, MSHV_CREATE_VP, &args);
        if (vp[i] < 0) {
            fprintf(stderr, "mshv-map-bench: creating VP %" PRIu64 ": %s\n",
                    i, strerror(errno));
            return 1;
        }
    }
    t1 = g_get_monotonic_time();
    for (i = 0; i < n; i++) {
        close(vp[i]);
    }
    close(pt);
    close(dev);
    t2 = g_get_monotonic_time();
    printf("vps %" PRIu64 " seconds %.3f destroy_seconds %.3f\n", n,
           (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t a, b = 0;

    if (argc >= 3 && !strcmp(argv[1], "map") && argc == 4 &&
        qemu_strtou64(argv[2], NULL, 0, &a) == 0 &&
        qemu_strtou64(argv[3], NULL, 0, &b) == 0 && a) {
        return bench_map(a, b);
    }
    if (argc == 3 && !strcmp(argv[1], "vps") &&
        qemu_strtou64(argv[2], NULL, 0, &a) == 0 && a &&
        a <= MSHV_MAX_VPS) {
        return bench_vps(a);
    }
    fprintf(stderr, "usage: mshv-map-bench map REGIONS TOTAL\n"
            "       mshv-map-bench vps N (1 to %d)\n", MSHV_MAX_VPS);
    return 2;
}
