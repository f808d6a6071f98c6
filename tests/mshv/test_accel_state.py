#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reading a running guest's state does not disturb it: "info registers"
in a loop (each one a full register read, then a write-back before the
vCPU runs again) while the guest boots and computes checksums."""

import hashlib
import threading

import mshvtest
from mshvtest import MshvSimTest

# What the guest's "checksum" check prints each round.
EXPECTED = hashlib.sha256(
    ''.join(f'{i}\n' for i in range(1, 100001)).encode()).hexdigest()


class AccelState(MshvSimTest):

    def test_info_registers_loop(self):
        self.set_machine('pc')
        self.sim_vm()
        stop = threading.Event()
        reads = []
        errors = []

        def poll():
            try:
                while not stop.is_set():
                    out = self.hmp('info registers')
                    if 'RIP=' in out:
                        reads.append(out)
            except Exception as err:  # pylint: disable=broad-except
                errors.append(err)

        # from the first instruction on: boot (timer calibration, IOAPIC
        # checks) is as sensitive as the workload.  The guest idles at the
        # end instead of powering off, so no command is in flight when
        # QEMU exits.
        vm = self.launch_guest(accel='mshv', end='wait',
                               append='mshvtest=checksum CHECKSUM_ROUNDS=6',
                               args=('-vga', 'none', '-net', 'none'))
        poller = threading.Thread(target=poll)
        poller.start()
        try:
            self.wait_console('checksum: start',
                              failure_message='Kernel panic')
            self.wait_console('QEMU-GUEST-MARKER: done ok',
                              failure_message='Kernel panic')
        finally:
            stop.set()
            poller.join()
        self.assertEqual(errors, [])
        vm.shutdown()

        sums = [line.split('checksum: ', 1)[1].strip()
                for line in self.console_lines(r'checksum: [0-9a-f]{64}')]
        self.assertEqual(len(sums), 6)
        self.assertEqual(set(sums), {EXPECTED})
        # the loop really ran while the guest worked
        self.assertGreater(len(reads), 20)
        self.log.info('%d register reads while the guest ran', len(reads))


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
