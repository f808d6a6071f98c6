/*
 * Guest program: N intercepted accesses of one kind, timed in the guest,
 * for the exit-cost benchmark (tests/bench).  Targets pc-testdev (needs
 * "-device pc-testdev"): its port 0xe0 and its MMIO window at 0xff000000.
 *
 *   exit-bench MODE N     MODE: pio, pio-string, mmio-load, mmio-store,
 *                         mmio-rmw
 *
 * Prints "exit-bench: MODE N NS" (NS: guest nanoseconds for all N).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>

#define TESTDEV_PORT    0xe0
#define TESTDEV_IOMEM   0xff000000UL
#define STRING_LEN      8       /* elements per REP OUTSB */

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* volatile: every access must reach the device (one intercept each) */
static volatile uint32_t *map_testdev(void)
{
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    void *p;

    if (fd < 0) {
        perror("exit-bench: /dev/mem");
        exit(2);
    }
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             TESTDEV_IOMEM);
    if (p == MAP_FAILED) {
        perror("exit-bench: mmap");
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    static const uint8_t bytes[STRING_LEN] = "exitbnch";
    volatile uint32_t *mmio = NULL;    /* volatile: see map_testdev */
    const char *mode;
    uint64_t n, i, t0, t1;
    uint32_t sink = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: exit-bench MODE N\n");
        return 2;
    }
    mode = argv[1];
    if (sscanf(argv[2], "%" SCNu64, &n) != 1) {
        fprintf(stderr, "exit-bench: N must be a number\n");
        return 2;
    }
    if (!strncmp(mode, "pio", 3) && iopl(3) < 0) {
        perror("exit-bench: iopl");
        return 2;
    }
    if (!strncmp(mode, "mmio", 4)) {
        mmio = map_testdev();
    }

    t0 = now_ns();
    if (!strcmp(mode, "pio")) {
        for (i = 0; i < n; i++) {
            outl(i, TESTDEV_PORT);
        }
    } else if (!strcmp(mode, "pio-string")) {
        for (i = 0; i < n; i++) {
            outsb(TESTDEV_PORT, bytes, STRING_LEN);
        }
    } else if (!strcmp(mode, "mmio-load")) {
        for (i = 0; i < n; i++) {
            sink += mmio[i & 15];
        }
    } else if (!strcmp(mode, "mmio-store")) {
        for (i = 0; i < n; i++) {
            mmio[i & 15] = i;
        }
    } else if (!strcmp(mode, "mmio-rmw")) {
        for (i = 0; i < n; i++) {
            asm volatile("addl $1, %0" : "+m"(mmio[i & 15]));
        }
    } else {
        fprintf(stderr, "exit-bench: unknown mode %s\n", mode);
        return 2;
    }
    t1 = now_ns();
    printf("exit-bench: %s %llu %llu\n", mode, (unsigned long long)n,
           (unsigned long long)(t1 - t0));
    return sink == 0xdeadbeef;  /* keeps the loads */
}
