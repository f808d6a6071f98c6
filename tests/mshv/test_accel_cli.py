#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The -accel mshv command line: registration, help, device errors,
fallback to TCG, and the version string."""

import os

import mshvtest
from mshvtest import MshvBootTest, run_qemu, tiny_bios


class AccelCli(MshvBootTest):

    def test_help_lists_mshv(self):
        res = run_qemu(self.qemu_bin, ['-accel', 'help'])
        self.assertEqual(res.returncode, 0, res.stderr)
        accels = res.stdout.splitlines()[1:]
        self.assertIn('mshv', accels)
        self.assertIn('tcg', accels)
        self.assertIn('kvm', accels)

    def test_version_names_fork_and_base(self):
        res = run_qemu(self.qemu_bin, ['--version'])
        self.assertEqual(res.returncode, 0, res.stderr)
        first = res.stdout.splitlines()[0]
        self.assertRegex(first,
                         r'^QEMU emulator version 10\.0\.\d+ '
                         r'\(qemu-mshv \d+\.\d+\.\d+, '
                         r'Debian base 1:10\.0\.\d+\+ds-\S+\)$')

    def check_missing_device(self, args, path):
        res = run_qemu(self.qemu_bin, ['-M', 'none', '-display', 'none']
                       + args)
        self.assertEqual(res.returncode, 1, res.stderr)
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        prog = os.path.basename(self.qemu_bin)
        self.assertEqual(
            lines[0],
            f'{prog}: -accel {args[1]}: could not open {path}: '
            'No such file or directory (is this a Hyper-V root or L1VH '
            'partition with the mshv_root driver loaded?)')

    def test_missing_device_path(self):
        path = os.path.join(self.workdir, 'no-such-mshv')
        self.check_missing_device(['-accel', f'mshv,device={path}'], path)

    def test_missing_default_device(self):
        if os.path.exists('/dev/mshv'):
            self.skipTest('/dev/mshv exists on this host')
        self.check_missing_device(['-accel', 'mshv'], '/dev/mshv')

    def check_fallback(self, args):
        bios = tiny_bios(os.path.join(self.workdir, 'tiny.bin'))
        missing = os.path.join(self.workdir, 'no-such-mshv')
        args = [a.replace('@DEV@', missing) for a in args]
        res = run_qemu(self.qemu_bin, args + [
            '-M', 'pc', '-display', 'none', '-vga', 'none', '-net', 'none',
            '-bios', bios, '-serial', 'stdio', '-no-reboot',
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'])
        # isa-debug-exit with 0 written: status (0 << 1) | 1.
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('TINY-GUEST-OK', res.stdout)
        self.assertIn('falling back to tcg', res.stderr)
        self.assertIn('could not open', res.stderr)

    def test_fallback_colon_list(self):
        if os.path.exists('/dev/mshv'):
            self.skipTest('/dev/mshv exists on this host')
        self.check_fallback(['-accel', 'mshv:tcg'])

    def test_fallback_repeated_accel(self):
        self.check_fallback(['-accel', 'mshv,device=@DEV@', '-accel', 'tcg'])

    def test_fallback_machine_accel(self):
        if os.path.exists('/dev/mshv'):
            self.skipTest('/dev/mshv exists on this host')
        self.check_fallback(['-machine', 'accel=mshv:tcg'])

    def test_bad_accel_list(self):
        res = run_qemu(self.qemu_bin, ['-M', 'none', '-accel', 'mshv::tcg'])
        self.assertEqual(res.returncode, 1)
        self.assertIn("invalid accelerator list 'mshv::tcg'", res.stderr)

    def test_query_accelerators(self):
        """QMP query-accelerators (in the schema, where libvirt looks for
        it) and HMP info accelerators: the accelerators built in, the one
        in use."""
        self.set_machine('none')
        self.vm.add_args('-accel', 'tcg', '-S')
        self.vm.launch()
        schema = self.vm.cmd('query-qmp-schema')
        self.assertIn('query-accelerators',
                      [e['name'] for e in schema if e['meta-type'] == 'command'])
        info = self.vm.cmd('query-accelerators')
        self.assertEqual(info['enabled'], 'tcg')
        for accel in ('kvm', 'mshv', 'qtest', 'tcg'):
            self.assertIn(accel, info['present'])
        self.assertEqual(info['present'], sorted(info['present']))
        self.assertEqual(
            self.hmp('info accelerators').strip(),
            ' '.join(f'[{a}]' if a == 'tcg' else a for a in info['present']))
        self.assertEqual(self.vm.cmd('query-kvm'),
                         {'enabled': False, 'present': True})
        self.vm.shutdown()


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
