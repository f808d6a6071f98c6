/*
 * MSRs that must survive a move (live migration, snapshot, restore from a
 * file), through /dev/cpu/N/msr (the msr module).
 *
 *   msr-state set CPU     write a pattern to MSRs the kernel leaves alone
 *                         (or that only 32-bit SYSENTER uses), saving the
 *                         originals in /tmp/msr-state.CPU
 *   msr-state check CPU   the pattern is still there, and the MSRs the
 *                         kernel set (PAT, TSC_AUX, SYSCALL target) are
 *                         what they were at "set"; then put the
 *                         originals back
 *
 * Prints "msr-state: CPU N ok" or what differs, and exits 0 or 1.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSR_SYSENTER_ESP    0x175
#define MSR_SYSENTER_EIP    0x176
#define MSR_MTRR_BASE7      0x20e
#define MSR_MTRR_MASK7      0x20f
#define MSR_PAT             0x277
#define MSR_LSTAR           0xc0000082
#define MSR_TSC_AUX         0xc0000103

/* Written and checked: a pattern per CPU (the variable MTRR left off). */
static const struct {
    uint32_t index;
    uint64_t pattern;
} written[] = {
    { MSR_SYSENTER_ESP, 0xffffc90012345000ULL },
    { MSR_SYSENTER_EIP, 0xffffffff81a5a5a0ULL },
    { MSR_MTRR_BASE7, 0x0000000abc000006ULL },
    { MSR_MTRR_MASK7, 0x0000000fff000000ULL },   /* valid bit (11) clear */
};

/* Only read: the kernel's values, the same after the move. */
static const uint32_t kept[] = { MSR_PAT, MSR_LSTAR, MSR_TSC_AUX };

#define N_WRITTEN (sizeof(written) / sizeof(written[0]))
#define N_KEPT (sizeof(kept) / sizeof(kept[0]))

static int msr_fd(int cpu)
{
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
    fd = open(path, O_RDWR);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    return fd;
}

static uint64_t rdmsr(int fd, uint32_t index)
{
    uint64_t v;

    if (pread(fd, &v, sizeof(v), index) != sizeof(v)) {
        fprintf(stderr, "msr-state: cannot read MSR 0x%x\n", index);
        exit(1);
    }
    return v;
}

static void wrmsr(int fd, uint32_t index, uint64_t v)
{
    if (pwrite(fd, &v, sizeof(v), index) != sizeof(v)) {
        fprintf(stderr, "msr-state: cannot write MSR 0x%x\n", index);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint64_t saved[N_WRITTEN + N_KEPT];
    char path[64];
    FILE *f;
    int cpu, fd, bad = 0;
    unsigned i;

    if (argc != 3 || (strcmp(argv[1], "set") && strcmp(argv[1], "check"))) {
        fprintf(stderr, "usage: msr-state set|check CPU\n");
        return 2;
    }
    cpu = atoi(argv[2]);
    fd = msr_fd(cpu);
    snprintf(path, sizeof(path), "/tmp/msr-state.%d", cpu);
    if (!strcmp(argv[1], "set")) {
        for (i = 0; i < N_WRITTEN; i++) {
            saved[i] = rdmsr(fd, written[i].index);
        }
        for (i = 0; i < N_KEPT; i++) {
            saved[N_WRITTEN + i] = rdmsr(fd, kept[i]);
        }
        f = fopen(path, "w");
        if (!f || fwrite(saved, sizeof(saved), 1, f) != 1 || fclose(f)) {
            perror(path);
            return 1;
        }
        for (i = 0; i < N_WRITTEN; i++) {
            wrmsr(fd, written[i].index, written[i].pattern ^ cpu);
        }
        printf("msr-state: CPU %d set\n", cpu);
        return 0;
    }
    f = fopen(path, "r");
    if (!f || fread(saved, sizeof(saved), 1, f) != 1) {
        perror(path);
        return 1;
    }
    fclose(f);
    for (i = 0; i < N_WRITTEN; i++) {
        uint64_t v = rdmsr(fd, written[i].index);

        if (v != (written[i].pattern ^ cpu)) {
            printf("msr-state: CPU %d MSR 0x%x is 0x%" PRIx64
                   ", not 0x%" PRIx64 "\n", cpu, written[i].index, v,
                   written[i].pattern ^ cpu);
            bad = 1;
        }
        wrmsr(fd, written[i].index, saved[i]);
    }
    for (i = 0; i < N_KEPT; i++) {
        uint64_t v = rdmsr(fd, kept[i]);

        if (v != saved[N_WRITTEN + i]) {
            printf("msr-state: CPU %d MSR 0x%x is 0x%" PRIx64
                   ", was 0x%" PRIx64 "\n", cpu, kept[i], v,
                   saved[N_WRITTEN + i]);
            bad = 1;
        }
    }
    printf("msr-state: CPU %d %s\n", cpu, bad ? "FAILED" : "ok");
    return bad;
}
