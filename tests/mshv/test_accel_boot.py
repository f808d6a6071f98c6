#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Linux boots under -accel mshv on the MSHV simulator: -M pc and -M q35,
through SeaBIOS with a bzImage and with direct (PVH) entry into vmlinux,
with the machines' default devices (VGA, NIC) where a user gets them.
The guest finds itself on Hyper-V, keeps time with its reference TSC
page and ticks with a synthetic timer, as on a real MSHV partition."""

import os
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
        screen through MMIO with flags live across the intercepts.  VGA's
        framebuffer turns the partition's dirty page tracking on, once:
        Linux sizing the BARs (decoding off, then on) must not turn it off
        again, which costs a sweep marking all RAM dirty each time."""
        trace = os.path.join(self.workdir, 'dirty-tracking.log')
        # (the test machine's -vga none, put back to the default's VGA)
        self.boot('pc', 'bzImage',
                  args=('-vga', 'std', '-trace', 'mshv_dirty_tracking',
                        '-trace', 'mshv_dirty_bitmap', '-D', trace))
        with open(trace, encoding='utf-8') as f:
            lines = f.read().splitlines()
        self.assertEqual(
            [x for x in lines if 'dirty page tracking' in x],
            ['mshv_dirty_tracking partition-wide dirty page tracking on 1'])
        self.assertFalse([x for x in lines if ' op 2 ' in x])

    def test_q35_bzimage_default_devices(self):
        """q35: PCIe MMCONFIG, PAM shadowing of SeaBIOS, e1000e."""
        self.boot('q35', 'bzImage')

    def test_pc_pvh(self):
        """Direct 32-bit entry; the kernel reprograms the PIC before it
        enables interrupts, so IRQ0 must be acknowledged late."""
        self.boot('pc', 'vmlinux', args=('-vga', 'none', '-net', 'none'))

    def test_q35_pvh(self):
        self.boot('q35', 'vmlinux', args=('-vga', 'none', '-net', 'none'))

    def ovmf(self, smp):
        """UEFI: OVMF starts SMP CPUS itself (its MP services, INIT/SIPI
        through the hypervisor), hands them back, and boots the test
        guest's bzImage (EFI stub); Linux starts them again."""
        self.set_machine('q35')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='bzImage', append='mshvtest=cpus',
                        args=('-bios', 'OVMF.fd', '-smp', str(smp),
                              '-vga', 'none', '-net', 'none'))
        self.assertTrue(self.console_lines(r'efi: EFI v[\d.]+ by EDK II'))
        online = '0' if smp == 1 else f'0-{smp - 1}'
        self.assertEqual(len(self.console_lines(f'cpus online: {online}$')),
                         1)

    def test_q35_ovmf(self):
        self.ovmf(1)

    def test_q35_ovmf_smp4(self):
        self.ovmf(4)

    def test_smm_refused(self):
        """No System Management Mode in an MSHV partition, so no OVMF
        Secure Boot build: smm=on is refused with the reason."""
        self.set_machine('q35')
        res = mshvtest.run_qemu(mshvtest.SIM_RUN, [
            '--hv', self.qemu_bin, '--', self.qemu_bin, '-accel', 'mshv',
            '-M', 'q35,smm=on', '-display', 'none', '-nodefaults'],
            timeout=60)
        self.assertEqual(res.returncode, 1)
        self.assertIn('System Management Mode not supported', res.stderr)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
