/*
 * Guest program: N 4 KiB random reads with O_DIRECT from a block device,
 * one at a time, timed in the guest, for the virtio-blk benchmark
 * (tests/bench).
 *
 *   blk-bench DEVICE N     prints "blk-bench: N NS" (NS: guest
 *                          nanoseconds for all N reads)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    uint64_t size, blocks, state = 88172645463325252ull, start;
    unsigned long i, n;
    void *buf;
    int fd;

    if (argc != 3 || sscanf(argv[2], "%lu", &n) != 1) {
        fprintf(stderr, "usage: blk-bench DEVICE N\n");
        return 2;
    }
    fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
        perror(argv[1]);
        return 1;
    }
    blocks = size / BLOCK;
    if (!blocks || posix_memalign(&buf, BLOCK, BLOCK)) {
        fprintf(stderr, "blk-bench: %s is empty\n", argv[1]);
        return 1;
    }
    start = now_ns();
    for (i = 0; i < n; i++) {
        /* xorshift: the same offsets every run */
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if (pread(fd, buf, BLOCK, (state % blocks) * BLOCK) != BLOCK) {
            perror("blk-bench: read");
            return 1;
        }
    }
    printf("blk-bench: %lu %" PRIu64 "\n", n, now_ns() - start);
    return 0;
}
