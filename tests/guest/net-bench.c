/*
 * Guest program: one TCP transfer to or from a host, timed in the guest,
 * for the virtio-net benchmark (tests/bench).
 *
 *   net-bench recv ADDR PORT BYTES   read BYTES the host sends
 *   net-bench send ADDR PORT BYTES   send BYTES; the host answers one
 *                                    byte once it has them all
 *
 * prints "net-bench: MODE BYTES NS" (NS: guest nanoseconds from connect
 * to the last byte, or to the host's answer).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    static char buf[CHUNK];
    struct sockaddr_in sa = { .sin_family = AF_INET };
    unsigned long long bytes, done = 0;
    unsigned port;
    uint64_t start;
    ssize_t r;
    int fd, sending;

    if (argc != 5 || (strcmp(argv[1], "recv") && strcmp(argv[1], "send")) ||
        inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
        sscanf(argv[3], "%u", &port) != 1 ||
        sscanf(argv[4], "%llu", &bytes) != 1) {
        fprintf(stderr, "usage: net-bench recv|send ADDR PORT BYTES\n");
        return 2;
    }
    sending = !strcmp(argv[1], "send");
    sa.sin_port = htons(port);
    memset(buf, 0x5a, sizeof(buf));
    start = now_ns();
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("net-bench: connect");
        return 1;
    }
    while (done < bytes) {
        size_t n = bytes - done < CHUNK ? bytes - done : CHUNK;

        r = sending ? write(fd, buf, n) : read(fd, buf, n);
        if (r <= 0) {
            fprintf(stderr, "net-bench: %s after %llu bytes failed\n",
                    argv[1], done);
            return 1;
        }
        done += r;
    }
    if (sending && (shutdown(fd, SHUT_WR) < 0 || read(fd, buf, 1) != 1)) {
        fprintf(stderr, "net-bench: the host did not confirm %llu bytes\n",
                bytes);
        return 1;
    }
    printf("net-bench: %s %llu %" PRIu64 "\n", argv[1], bytes,
           now_ns() - start);
    close(fd);
    return 0;
}
