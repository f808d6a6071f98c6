#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Interrupt delivery under -accel mshv, on the MSHV simulator, checked by
a bare guest program (tests/guest/irq-check: no OS between it and the
interrupt controllers) and by Linux with legacy interrupt routing."""

import os
import re

import mshvtest
from mshvtest import SIM_RUN, MshvSimTest, run_qemu

CASES = ['self-ipi', 'nmi-self', 'lapic-timer', 'pic-timer',
         'extint-and-lapic', 'ap-start',
         'ipi-to-ap', 'ipi-back', 'nmi-ap', 'nmi-wakes-cli-hlt',
         'ioapic-edge', 'ioapic-level',
         'ioapic-remote-irr', 'ioapic-level-again', 'ioapic-logical',
         'ioapic-physical-ap', 'legacy-fp-error']


SYNIC_CASES = ['synic-messages', 'synic-events', 'synic-busy-retry']
PAGING_CASES = ['mmio-page-table-store', 'mmio-page-table-load',
                'mmio-page-table-bits']


class AccelIrq(MshvSimTest):

    def irq_check(self, machine, accel, cases=None, args=()):
        cases = cases or CASES
        prog = os.path.join(os.environ['MSHV_TEST_GUEST'], 'irq-check')
        qemu = [self.qemu_bin, '-accel', accel, '-M', machine, '-smp', '2',
                '-m', '128', '-display', 'none', '-nodefaults',
                '-serial', 'stdio', '-no-reboot', '-kernel', prog,
                '-device', 'pc-testdev',
                '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', *args]
        if accel == 'mshv':
            qemu = ['--hv', self.qemu_bin, '--'] + qemu
            res = run_qemu(SIM_RUN, qemu, timeout=120)
        else:
            res = run_qemu(qemu[0], qemu[1:], timeout=120)
        self.log.info('%s', res.stdout)
        ok = re.findall(r'irq-check: ([\w-]+) ok', res.stdout)
        self.assertEqual(ok, cases, res.stdout + res.stderr)
        self.assertIn('%d passed, 0 failed' % len(cases), res.stdout)
        # isa-debug-exit: status 1 is the program's "all passed"
        self.assertEqual(res.returncode, 1, res.stderr)

    def test_reference_tcg(self):
        """The program itself is right: TCG's own APIC passes it."""
        self.irq_check('q35', 'tcg')

    def test_bare_pc(self):
        self.irq_check('pc', 'mshv')

    def test_bare_q35(self):
        self.irq_check('q35', 'mshv')

    def test_bare_synic(self):
        """QEMU's SynIC code on the hypervisor's SynIC, driven by the
        guest through hyperv-testdev: a message and an event flag back on
        each of the 16 SINTs, and a message to a full slot retried after
        the guest's EOM."""
        self.irq_check('q35', 'mshv', SYNIC_CASES,
                       ('-device', 'hyperv-testdev', '-append', 'synic=1'))

    def test_bare_mmio_page_table(self):
        """A page table in emulated MMIO (pc-testdev's window), which the
        hypervisor cannot read: a store and a load through it reach RAM,
        the VMM walking the tables and setting the entry's accessed and
        dirty bits, as TCG's walk does (the reference, first)."""
        args = ('-append', 'paging=1')
        self.irq_check('pc', 'tcg', PAGING_CASES, args)
        self.irq_check('pc', 'mshv', PAGING_CASES, args)

    def test_linux_noapic(self):
        """Linux with the IOAPIC unused: every device interrupt, the
        timer's included, goes 8259 -> ExtINT; the guest runs its checks
        and powers off."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', append='noapic mshvtest=legacyirq',
                        args=('-vga', 'none', '-net', 'none'))
        self.assertEqual(len(self.console_lines('CHECK: legacyirq ok')), 1)
        self.assertTrue(self.console_lines(r'legacyirq: +4:.*XT-PIC'))


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
