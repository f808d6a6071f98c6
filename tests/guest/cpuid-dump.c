/*
 * Guest program: the CPUID this vCPU answers now, one line per leaf and
 * subleaf that QEMU's CPU models set (the basic and extended leaves up
 * to their maxima, the subleaves of 4, 7, 0xb and 0xd).  A test stores
 * the output before a migration and compares after it: /proc/cpuinfo
 * would only repeat what the kernel read at boot.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <cpuid.h>
#include <stdio.h>

static void leaf(unsigned l, unsigned sub)
{
    unsigned a, b, c, d;

    __cpuid_count(l, sub, a, b, c, d);
    printf("%08x.%u: %08x %08x %08x %08x\n", l, sub, a, b, c, d);
}

static void range(unsigned first)
{
    unsigned max, b, c, d, l, sub;

    __cpuid(first, max, b, c, d);
    for (l = first; l <= max && l < first + 0x40; l++) {
        unsigned subs = l == 4 || l == 7 || l == 0xb || l == 0xd ? 4 : 1;

        /* (leaf 0xb and 1f's EDX is the x2APIC ID: the vCPU's own) */
        for (sub = 0; sub < subs; sub++) {
            leaf(l, sub);
        }
    }
}

int main(void)
{
    range(0);
    range(0x80000000);
    return 0;
}
