#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Linux boots under -accel mshv on the MSHV simulator: -M pc and -M q35,
through SeaBIOS with a bzImage and with direct (PVH) entry into vmlinux,
with the machines' default devices (VGA, NIC) where a user gets them.
The guest finds itself on Hyper-V, keeps time with its reference TSC
page and ticks with a synthetic timer, as on a real MSHV partition."""

import time

import mshvtest
from mshvtest import GUEST_DONE, MshvSimTest


class AccelBoot(MshvSimTest):

    def boot(self, machine, kernel, args=()):
        self.set_machine(machine)
        self.sim_vm()
        start = time.monotonic()
        self.launch_guest(accel='mshv', kernel=kernel,
                          append='mshvtest=clockevents', args=args)
        self.wait_console('clockevents: sleep start',
                          failure_message='Kernel panic')
        sleep_start = time.monotonic()
        self.wait_console('clockevents: sleep end, guest clock',
                          failure_message='Kernel panic')
        slept = time.monotonic() - sleep_start
        self.wait_console(GUEST_DONE + ' ok',
                          failure_message=GUEST_DONE + ' failed')
        elapsed = time.monotonic() - start
        self.vm.wait(timeout=30)
        self.assertEqual(
            len(self.console_lines('QEMU-GUEST-MARKER: init reached')), 1)
        self.assertTrue(self.console_lines(
            'Hypervisor detected: Microsoft Hyper-V'))
        # the frequencies come from the hypervisor, not a calibration
        self.assertTrue(self.console_lines('Hyper-V: LAPIC Timer Frequency'))
        self.assertTrue(self.console_lines(
            'Switched to clocksource hyperv_clocksource_tsc_page'))
        self.assertFalse(self.console_lines('unchecked MSR access'))
        # the tick comes from synthetic timer 0 (direct mode), and the
        # guest's clock keeps pace with the host's: a guest whose timers
        # and reference time disagree counts time many times too fast
        self.assertEqual(len(self.console_lines(
            'clockevent: clockevent0 Hyper-V clockevent$')), 1)
        uptime = float(self.console_lines(
            'init reached, uptime')[0].rsplit(' ', 1)[1])
        self.assertLess(uptime, elapsed)
        self.assertGreater(slept, 0.9)
        self.assertLess(slept, 5)

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
