#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Linux boots under -accel mshv on the MSHV simulator: -M pc and -M q35,
through SeaBIOS with a bzImage and with direct (PVH) entry into vmlinux,
with the machines' default devices (VGA, NIC) where a user gets them.
The guest finds itself on Hyper-V and keeps time with its reference TSC
page, as on a real MSHV partition."""

import mshvtest
from mshvtest import MshvSimTest


class AccelBoot(MshvSimTest):

    def boot(self, machine, kernel, args=()):
        self.set_machine(machine)
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel=kernel, args=args)
        self.assertEqual(
            len(self.console_lines('QEMU-GUEST-MARKER: init reached')), 1)
        self.assertTrue(self.console_lines(
            'Hypervisor detected: Microsoft Hyper-V'))
        # the frequencies come from the hypervisor, not a calibration
        self.assertTrue(self.console_lines('Hyper-V: LAPIC Timer Frequency'))
        self.assertTrue(self.console_lines(
            'Switched to clocksource hyperv_clocksource_tsc_page'))
        self.assertFalse(self.console_lines('unchecked MSR access'))

    def test_pc_bzimage_default_devices(self):
        """SeaBIOS, its VGA BIOS and iPXE ROM; vgacon copies the text
        screen through MMIO with flags live across the intercepts."""
        self.boot('pc', 'bzImage')

    def test_q35_bzimage_default_devices(self):
        """q35: PCIe MMCONFIG, PAM shadowing of SeaBIOS, e1000e."""
        self.boot('q35', 'bzImage')

    def test_pc_pvh(self):
        """Direct 32-bit entry; the kernel reprograms the PIC before it
        enables interrupts, so IRQ0 must be acknowledged late."""
        self.boot('pc', 'vmlinux', args=('-vga', 'none', '-net', 'none'))

    def test_q35_pvh(self):
        self.boot('q35', 'vmlinux', args=('-vga', 'none', '-net', 'none'))


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
