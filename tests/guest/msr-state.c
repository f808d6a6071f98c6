/*
 * MSRs that must survive a move (live migration, snapshot, restore from a
 * file), through /dev/cpu/N/msr (the msr module).
 *
 *   msr-state set CPU     write a pattern to MSRs the kernel leaves alone
 *                         (or that only 32-bit SYSENTER uses; a Hyper-V
 *                         synthetic timer it does not use; CET's, which
 *                         the hypervisor keeps whatever CPUID says),
 *                         saving the originals in /tmp/msr-state.CPU;
 *                         says which optional groups the CPU has
 *   msr-state check CPU   the pattern is still there, and the MSRs the
 *                         kernel set (PAT, TSC_AUX, SYSCALL target) are
 *                         what they were at "set"; then put the
 *                         originals back
 *   msr-state initial CPU CET's MSRs, which Linux leaves alone when its
 *                         CPUID shows no CET, are 0, as a reset left them
 *
 * Prints "msr-state: CPU N ok" or what differs, and exits 0 or 1.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
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
/* Hyper-V synthetic timer 3 (Linux ticks with timer 0): left disabled */
#define HV_MSR_STIMER3_CONFIG   0x400000b6
#define HV_MSR_STIMER3_COUNT    0x400000b7
/* CET: its controls (nothing enabled), shadow-stack pointers, SSP table */
#define MSR_U_CET           0x6a0
#define MSR_S_CET           0x6a2
#define MSR_PL0_SSP         0x6a4
#define MSR_PL1_SSP         0x6a5
#define MSR_PL2_SSP         0x6a6
#define MSR_PL3_SSP         0x6a7
#define MSR_ISST            0x6a8

/*
 * Written and checked: a pattern per CPU (the variable MTRR left off, the
 * synthetic timer disabled); an optional one (of a group) is skipped
 * where a read of it faults (no Hyper-V synthetic timers, no CET).
 */
static const struct {
    uint32_t index;
    uint64_t pattern;
    const char *optional;
} written[] = {
    { MSR_SYSENTER_ESP, 0xffffc90012345000ULL },
    { MSR_SYSENTER_EIP, 0xffffffff81a5a5a0ULL },
    { MSR_MTRR_BASE7, 0x0000000abc000006ULL },
    { MSR_MTRR_MASK7, 0x0000000fff000000ULL },   /* valid bit (11) clear */
    { HV_MSR_STIMER3_CONFIG, 0x0000000000020f20ULL, "stimer" },  /* SINT 2 */
    { HV_MSR_STIMER3_COUNT, 0x0000123456789a00ULL, "stimer" },
    /* legacy bitmap bases only: no enable bit, bits 6-9 reserved */
    { MSR_U_CET, 0x00007fa5a5a50000ULL, "cet" },
    { MSR_S_CET, 0x0000700012340000ULL, "cet" },
    { MSR_PL0_SSP, 0xffffc90000a50000ULL, "cet" },
    { MSR_PL1_SSP, 0xffffc90000a60000ULL, "cet" },
    { MSR_PL2_SSP, 0xffffc90000a70000ULL, "cet" },
    { MSR_PL3_SSP, 0x00007ffd00a80000ULL, "cet" },
    { MSR_ISST, 0xffffffff82a90000ULL, "cet" },
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

static bool try_rdmsr(int fd, uint32_t index, uint64_t *v)
{
    return pread(fd, v, sizeof(*v), index) == sizeof(*v);
}

static uint64_t rdmsr(int fd, uint32_t index)
{
    uint64_t v;

    if (!try_rdmsr(fd, index, &v)) {
        fprintf(stderr, "msr-state: cannot read MSR 0x%x\n", index);
        exit(1);
    }
    return v;
}

/* written[i]'s pattern for @cpu (bits 16+: no enable or mode bit). */
static uint64_t pattern(unsigned i, int cpu)
{
    return written[i].pattern ^ ((uint64_t)cpu << 16);
}

/* Whether the CPU has written[i] (an optional one may be absent). */
static bool present(int fd, unsigned i)
{
    uint64_t v;

    return !written[i].optional || try_rdmsr(fd, written[i].index, &v);
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

    if (argc != 3 || (strcmp(argv[1], "set") && strcmp(argv[1], "check") &&
                      strcmp(argv[1], "initial"))) {
        fprintf(stderr, "usage: msr-state set|check|initial CPU\n");
        return 2;
    }
    cpu = atoi(argv[2]);
    fd = msr_fd(cpu);
    if (!strcmp(argv[1], "initial")) {
        for (i = 0; i < N_WRITTEN; i++) {
            uint64_t v;

            if (!written[i].optional || strcmp(written[i].optional, "cet") ||
                !present(fd, i)) {
                continue;
            }
            v = rdmsr(fd, written[i].index);
            if (v) {
                printf("msr-state: CPU %d MSR 0x%x is 0x%" PRIx64
                       ", not 0\n", cpu, written[i].index, v);
                bad = 1;
            }
        }
        printf("msr-state: CPU %d initial %s\n", cpu, bad ? "FAILED" : "ok");
        return bad;
    }
    snprintf(path, sizeof(path), "/tmp/msr-state.%d", cpu);
    if (!strcmp(argv[1], "set")) {
        for (i = 0; i < N_WRITTEN; i++) {
            saved[i] = present(fd, i) ? rdmsr(fd, written[i].index) : 0;
        }
        for (i = 0; i < N_KEPT; i++) {
            saved[N_WRITTEN + i] = rdmsr(fd, kept[i]);
        }
        f = fopen(path, "w");
        if (!f || fwrite(saved, sizeof(saved), 1, f) != 1 || fclose(f)) {
            perror(path);
            return 1;
        }
        printf("msr-state: CPU %d set", cpu);
        for (i = 0; i < N_WRITTEN; i++) {
            if (present(fd, i)) {
                wrmsr(fd, written[i].index, pattern(i, cpu));
            }
            if (written[i].optional &&
                (!i || written[i - 1].optional != written[i].optional)) {
                printf(", %s %s", written[i].optional,
                       present(fd, i) ? "yes" : "no");
            }
        }
        printf("\n");
        return 0;
    }
    f = fopen(path, "r");
    if (!f || fread(saved, sizeof(saved), 1, f) != 1) {
        perror(path);
        return 1;
    }
    fclose(f);
    for (i = 0; i < N_WRITTEN; i++) {
        uint64_t v;

        if (!present(fd, i)) {
            continue;
        }
        v = rdmsr(fd, written[i].index);

        if (v != (pattern(i, cpu))) {
            printf("msr-state: CPU %d MSR 0x%x is 0x%" PRIx64
                   ", not 0x%" PRIx64 "\n", cpu, written[i].index, v,
                   pattern(i, cpu));
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
