/*
 * Guest program: remote TLB flushes while every CPU runs, and reads that
 * would show a stale translation.
 *
 *   tlb-stress SECONDS
 *
 * One thread per online CPU, each pinned to its CPU.  Thread 0 replaces
 * the page at a fixed address again and again (mmap MAP_FIXED: the old
 * page is unmapped and the other CPUs' TLBs flushed -- under Hyper-V by
 * the HvFlushVirtualAddress hypercalls) and writes the round's number
 * into the new page.  The other threads read that page all the while,
 * and map, touch and unmap pages of their own (more flushes, from every
 * CPU).  A reader that sees the number go backwards, or anything but 0
 * (a page not written yet) or a round number, read through a stale
 * translation.  Prints "tlb-stress: N rounds, M reads ok" or what went
 * wrong, and fails then.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define MAGIC 0x746c6273ull         /* "tlbs", in each round's word */
#define MAX_THREADS 64

/* volatile: each read must reach memory through the CPU's TLB */
static volatile uint64_t *shared;
/* volatile: written by thread 0, polled by the others */
static volatile uint64_t round_no;
/* volatile: set by any thread, polled by all */
static volatile int stop;
static int failed;
static uint64_t reads[MAX_THREADS];

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(long cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) {
        perror("tlb-stress: sched_setaffinity");
        exit(1);
    }
}

static void *reader(void *arg)
{
    long cpu = (long)arg;
    uint64_t last = 0, v, seen;
    unsigned i;

    pin(cpu);
    while (!stop) {
        for (i = 0; i < 64; i++) {
            v = shared[0];
            if (v == 0) {
                continue;       /* a new page, its round not written yet */
            }
            seen = v >> 32 == MAGIC ? (uint32_t)v : 0;
            if (!seen || seen < last || seen > round_no) {
                printf("tlb-stress: CPU %ld read 0x%llx after round %llu "
                       "(now %llu): a stale translation\n", cpu,
                       (unsigned long long)v, (unsigned long long)last,
                       (unsigned long long)round_no);
                failed = 1;
                stop = 1;
                return NULL;
            }
            last = seen;
            reads[cpu]++;
        }
        /* flushes from this CPU too */
        char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("tlb-stress: mmap");
            exit(1);
        }
        memset(p, (int)cpu, 4 * PAGE);
        munmap(p, 4 * PAGE);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5, end;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), cpu;
    pthread_t threads[MAX_THREADS];
    unsigned long long total = 0;
    void *p;

    if (cpus < 2 || cpus > MAX_THREADS) {
        printf("tlb-stress: needs 2 to %d CPUs, has %ld\n", MAX_THREADS,
               cpus);
        return 1;
    }
    shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("tlb-stress: mmap");
        return 1;
    }
    pin(0);
    for (cpu = 1; cpu < cpus; cpu++) {
        if (pthread_create(&threads[cpu], NULL, reader, (void *)cpu)) {
            printf("tlb-stress: cannot start a thread\n");
            return 1;
        }
    }
    end = now() + seconds;
    while (!stop && now() < end) {
        p = mmap((void *)shared, PAGE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != (void *)shared) {
            perror("tlb-stress: mmap MAP_FIXED");
            return 1;
        }
        round_no++;
        shared[0] = MAGIC << 32 | round_no;
    }
    stop = 1;
    for (cpu = 1; cpu < cpus; cpu++) {
        pthread_join(threads[cpu], NULL);
        total += reads[cpu];
    }
    if (failed) {
        return 1;
    }
    printf("tlb-stress: %llu rounds, %llu reads ok\n",
           (unsigned long long)round_no, total);
    return 0;
}
