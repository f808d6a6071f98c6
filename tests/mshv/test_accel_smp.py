#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""-accel mshv with several vCPUs, and machine resets, on the MSHV
simulator: application processors start through the hypervisor's
INIT/SIPI with the APIC IDs of QEMU's topology; guest reboots and
system_reset bring the machine back up."""

import re
import time

import mshvtest
from mshvtest import MshvSimTest

INIT = 'QEMU-GUEST-MARKER: init reached'


class AccelSmp(MshvSimTest):

    def test_smp2_pc(self):
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', append='mshvtest=cpus',
                        args=('-smp', '2', '-vga', 'none', '-net', 'none'))
        self.assertEqual(len(self.console_lines('cpus online: 0-1$')), 1)

    def test_smp4_two_sockets_q35(self):
        """2 sockets of 3 cores, 4 present: the fourth CPU is socket 1's
        first core, APIC ID 4 -- the guest must find every CPU online
        with the IDs the firmware tables give, and run work on each.
        Then every CPU reads a page that one of them replaces again and
        again (remote TLB flushes while the others run): no stale read."""
        self.set_machine('q35')
        self.sim_vm()
        self.boot_guest(accel='mshv',
                        append='mshvtest=cpus,apicids,tlbstress',
                        args=('-smp', '4,sockets=2,cores=3,threads=1,'
                              'maxcpus=6', '-vga', 'none', '-net', 'none'))
        self.assertEqual(len(self.console_lines('cpus online: 0-3$')), 1)
        line = self.console_lines('apicids:')[0]
        ids = [int(x) for x in line.split('apicids:', 1)[1].split()]
        self.assertEqual(sorted(ids), [0, 1, 2, 4])
        self.assertEqual(len(self.console_lines('CHECK: cpus ok')), 1)
        # remote TLB flushes and IPIs by hypercall, not by IPI and exits
        self.assertEqual(len(self.console_lines(
            'Hyper-V: Using hypercall for remote TLB flush')), 1)
        self.assertEqual(len(self.console_lines(
            'Hyper-V: Using IPI hypercalls')), 1)
        self.assertEqual(len(self.console_lines('CHECK: tlbstress ok')), 1)
        line = self.console_lines(r'tlb-stress: \d+ rounds')[0]
        rounds = re.search(r'tlb-stress: (\d+) rounds', line).group(1)
        self.assertGreater(int(rounds), 100)

    def boots(self):
        return len(self.console_lines(INIT))

    def test_guest_reboot_loop(self):
        """The guest reboots itself (reboot -f) ten times."""
        self.set_machine('pc')
        self.sim_vm()
        self.launch_guest(accel='mshv', end='reboot', no_reboot=False,
                          args=('-vga', 'none', '-net', 'none'))
        for _ in range(11):
            self.wait_console(INIT, failure_message='Kernel panic')
        self.assertEqual(self.boots(), 11)
        self.assertEqual(len(self.console_lines('reboot: Restarting')), 10)

    def test_system_reset(self):
        """QMP system_reset of a 2-vCPU guest that halted every CPU with
        interrupts off (halt -f), as only a reset brings back: it boots
        again with both CPUs."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', append='mshvtest=cpus', end='halt',
                        no_reboot=False,
                        args=('-smp', '2', '-vga', 'none', '-net', 'none'))
        self.vm.cmd('system_reset')
        self.wait_console('QEMU-GUEST-MARKER: done ok',
                          failure_message='Kernel panic')
        self.assertEqual(self.boots(), 2)
        self.assertEqual(len(self.console_lines('cpus online: 0-1$')), 2)
        self.assertEqual(self.console_lines('done failed'), [])

    def launch_clock_guest(self, ticks):
        """A guest printing its own clock once a second for TICKS seconds
        (guest check 'clock'), started and at its first line."""
        self.set_machine('pc')
        self.sim_vm()
        # the guest idles at its end: powering off then would race with
        # the test's own quit
        self.launch_guest(accel='mshv', end='wait',
                          append=f'mshvtest=clock CLOCK_TICKS={ticks}',
                          args=('-vga', 'none', '-net', 'none'))
        self.wait_console('clock: start', failure_message='Kernel panic')

    def clock_ticks(self):
        return [float(line.split('clock:', 1)[1])
                for line in self.console_lines(r'clock: [0-9.]+$')]

    def test_nmi(self):
        """The monitor's nmi and QMP inject-nmi reach the guest: Linux
        reports an NMI it has no handler for, and carries on (its clock
        check runs to the end)."""
        self.launch_clock_guest(6)
        self.hmp('nmi')
        self.wait_console('NMI received for unknown reason',
                          failure_message='Kernel panic')
        self.vm.cmd('inject-nmi')
        self.wait_console('NMI received for unknown reason',
                          failure_message='Kernel panic')
        # the check ran to its end after the NMIs (kernel messages may
        # split its lines, so they are not counted here)
        self.wait_console('QEMU-GUEST-MARKER: done ok',
                          failure_message='Kernel panic')

    def test_stop_cont_freezes_guest_time(self):
        """While the VM is stopped (monitor stop, then cont) partition time
        stands still: the guest's clock shows no gap."""
        self.launch_clock_guest(10)
        start = time.monotonic()
        time.sleep(1.5)                 # pause between ticks, not before
        self.hmp('stop')
        self.assertFalse(self.vm.cmd('query-status')['running'])
        time.sleep(5)
        self.hmp('cont')
        self.assertTrue(self.vm.cmd('query-status')['running'])
        self.wait_console('QEMU-GUEST-MARKER: done ok',
                          failure_message='Kernel panic')
        # the pause happened: ten one-second ticks took 14 s or more
        self.assertGreaterEqual(time.monotonic() - start, 14)
        ups = self.clock_ticks()
        self.assertEqual(len(ups), 10)
        gaps = [b - a for a, b in zip(ups, ups[1:])]
        # one second apart, give or take a slow simulator, never the pause
        self.assertLess(max(gaps), 3.0, gaps)

if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
