/*
 * How long a VMM takes to map guest memory: REGIONS regions of TOTAL
 * bytes together, with MSHV_SET_GUEST_MEMORY straight on /dev/mshv (the
 * simulator's, under LD_PRELOAD, or the kernel's).  For tests/bench.
 *
 *   mshv-map-bench REGIONS TOTAL      prints "seconds S" for the maps
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "qemu/cutils.h"
#include "hw/hyperv/mshv-abi.h"

int main(int argc, char **argv)
{
    struct mshv_create_partition args = {
        .pt_flags = 1 << MSHV_PT_BIT_LAPIC,
    };
    uint64_t regions, total, size, i;
    int64_t t0, t1;
    uint8_t *mem;
    int dev, pt, fd;

    if (argc != 3) {
        fprintf(stderr, "usage: mshv-map-bench REGIONS TOTAL\n");
        return 2;
    }
    if (qemu_strtou64(argv[1], NULL, 0, &regions) < 0 ||
        qemu_strtou64(argv[2], NULL, 0, &total) < 0 || !regions) {
        fprintf(stderr, "mshv-map-bench: REGIONS and TOTAL must be numbers, "
                "REGIONS at least 1\n");
        return 2;
    }
    size = QEMU_ALIGN_DOWN(total / regions, 4096);
    if (!size) {
        fprintf(stderr, "mshv-map-bench: need regions of at least 4 KiB\n");
        return 2;
    }

    dev = open("/dev/mshv", O_RDWR | O_CLOEXEC);
    if (dev < 0) {
        perror("mshv-map-bench: /dev/mshv");
        return 1;
    }
    pt = ioctl(dev, MSHV_CREATE_PARTITION, &args);
    if (pt < 0 || ioctl(pt, MSHV_INITIALIZE_PARTITION) < 0) {
        perror("mshv-map-bench: creating the partition");
        return 1;
    }
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
        struct mshv_user_mem_region r = {
            .size = size,
            .guest_pfn = (i * size) >> 12,
            .userspace_addr = (uintptr_t)mem + i * size,
            .flags = 1 << MSHV_SET_MEM_BIT_WRITABLE |
                     1 << MSHV_SET_MEM_BIT_EXECUTABLE,
        };

        if (ioctl(pt, MSHV_SET_GUEST_MEMORY, &r) < 0) {
            fprintf(stderr, "mshv-map-bench: region %" PRIu64 ": %s\n", i,
                    strerror(errno));
            return 1;
        }
    }
    t1 = g_get_monotonic_time();
    printf("regions %" PRIu64 " bytes %" PRIu64 " seconds %.3f\n", regions,
           size * regions, (t1 - t0) / 1e6);
    close(pt);
    close(dev);
    return 0;
}
