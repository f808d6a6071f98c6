#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""QEMU's Hyper-V devices under -accel mshv, on the MSHV simulator: the
hypervisor owns the guest's SynIC, QEMU posts messages and signals events
through it, and the guest's HvPostMessage/HvSignalEvent come back to QEMU
as hypercall intercepts."""

import time

import mshvtest
from mshvtest import MshvSimTest

MIB = 1 << 20


class AccelHyperv(MshvSimTest):

    def test_vmbus_version_negotiation(self):
        """Linux's hv_vmbus finds the VMBus (vmbus-bridge) and negotiates
        a protocol version with QEMU's VMBus over the SynIC: messages both
        ways.  After system_reset (SINTs masked again, VMBus reset) the
        rebooted guest negotiates again.  The topology's APIC IDs (the
        VP indexes) are not the CPU indexes: 0, 1, 2, 4."""
        self.set_machine('q35')
        self.sim_vm()
        self.launch_guest(accel='mshv', kernel='bzImage',
                          append='mshvtest=vmbus,cpus', end='wait',
                          no_reboot=False,
                          args=('-vga', 'none', '-net', 'none',
                                '-smp', '4,sockets=2,cores=3,maxcpus=6',
                                '-device', 'vmbus-bridge'))
        for boot in range(2):
            if boot:
                self.vm.cmd('system_reset')
            self.wait_console('QEMU-GUEST-CHECK: vmbus ok',
                              failure_message='QEMU-GUEST-CHECK: vmbus '
                                              'FAILED')
            self.wait_console('QEMU-GUEST-MARKER: done ok')
        self.assertEqual(len(self.console_lines(
            r'hv_vmbus: Vmbus version:\d+\.\d+')), 2)
        self.assertEqual(len(self.console_lines('cpus online: 0-3$')), 2)

    def test_hv_balloon(self):
        """hv_balloon binds over a VMBus channel (ring buffers in guest
        memory, event flags both ways), and a QMP balloon request takes
        128 MiB from the guest, which sees its free memory drop.
        (QEMU's hv-balloon waits 50 s after the guest's driver starts
        before it asks for anything.)"""
        self.set_machine('q35')
        self.sim_vm()
        self.launch_guest(accel='mshv', kernel='bzImage',
                          append='mshvtest=hvballoon', end='wait',
                          args=('-vga', 'none', '-net', 'none',
                                # Linux balloons only without hibernation
                                '-global', 'ICH9-LPC.disable_s4=1',
                                '-device', 'vmbus-bridge',
                                '-device', 'hv-balloon,id=hvb'))
        self.wait_console('hvballoon: ready',
                          failure_message='QEMU-GUEST-MARKER: done failed')
        self.vm.cmd('balloon', value=384 * MIB)
        self.wait_console('QEMU-GUEST-MARKER: done ok',
                          failure_message='QEMU-GUEST-MARKER: done failed',
                          timeout=150)
        # The guest's free memory drops as its driver takes pages; QEMU
        # counts them as each batch's response arrives, a little later.
        deadline = time.monotonic() + 30
        while (self.vm.cmd('query-balloon')['actual'] != 384 * MIB
               and time.monotonic() < deadline):
            time.sleep(0.2)
        self.assertEqual(self.vm.cmd('query-balloon')['actual'], 384 * MIB)
        line = self.console_lines('hvballoon: free .* -> ')[0]
        before, after = (int(w) for w in line.split()
                         if w.isdigit())
        self.assertGreaterEqual(before - after, 96 * 1024)
        # Requests while the guest's driver answers earlier ones: QEMU
        # reads the channel from the command too, with the guest's
        # packets waiting (it used to abort then, under load).
        deadline = time.monotonic() + 15
        n = 0
        while time.monotonic() < deadline:
            self.vm.cmd('balloon', value=(384 + 64 * (n % 2)) * MIB)
            n += 1
        self.assertEqual(self.vm.cmd('query-status')['status'], 'running')
        self.log.info('%d balloon requests', n)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
