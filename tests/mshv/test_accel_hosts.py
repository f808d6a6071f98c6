#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Simulated hosts of different processors (scripts/mshv-sim-run --host,
profiles in hw/mshv-sim/hosts): -cpu host offers what the host's
processor has; a guest on a model both hosts can run moves live from one
to the other and finds the same CPUID; a destination whose host lacks
what the guest was shown, or whose processor is another vendor's,
refuses the move at once, and the source goes on running."""

import os
import re
import subprocess
import sys
import tempfile
import time

from qemu.machine.machine import VMLaunchFailure

import mshvtest
from mshvtest import MshvSimTest

# a model both Intel profiles can run; the guest's clock must survive too
COMMON = 'Nehalem'
# What a VMM asks /dev/mshv of the host before it makes a partition (as
# upstream QEMU and Cloud Hypervisor do): the processor feature banks and
# the XSAVE components, through MSHV_ROOT_HVCALL on the host partition.
HOST_PROPERTIES = r"""
import ctypes, fcntl, os, struct
fd = os.open('/dev/mshv', os.O_RDWR)
for code in (0x6000a, 0x6000b, 0x60007):
    inb = ctypes.create_string_buffer(struct.pack('<QII', 2**64 - 1, code, 0))
    outb = ctypes.create_string_buffer(8)
    args = bytearray(struct.pack('<HHHHH6xQQ', 0x44, 0, 16, 8, 0,
                                 ctypes.addressof(inb), ctypes.addressof(outb)))
    fcntl.ioctl(fd, 0xC020B807, args)
    print(struct.unpack('<Q', outb.raw)[0])
"""
NO_DEVICES = ('-vga', 'none', '-net', 'none')


class AccelHosts(MshvSimTest):

    def host_vm(self, host, *args, name='default', hv_args=None):
        """A VM (not started) on simulated host HOST (HV_ARGS: hypervisor
        process arguments after the profile's)."""
        vm = self.get_vm(*args, name=name)
        self.sim_vm(vm, hv_args=hv_args)
        vm._wrapper[-1:-1] = ['--host', host]
        return vm

    def host_model(self, host):
        vm = self.host_vm(host, '-accel', 'mshv', '-S', '-nodefaults',
                          name=host)
        vm.launch()
        props = vm.cmd('query-cpu-model-expansion', type='full',
                       model={'name': 'host'})['model']['props']
        vm.shutdown()
        return props

    def test_host_model_follows_profile(self):
        """query-cpu-model-expansion of host (what libvirt compares and
        baselines across hosts) is each host's processor."""
        self.set_machine('none')
        nehalem = self.host_model('intel-nehalem')
        haswell = self.host_model('intel-haswell')
        epyc = self.host_model('amd-epyc')
        self.assertEqual(nehalem['vendor'], 'GenuineIntel')
        self.assertEqual(haswell['vendor'], 'GenuineIntel')
        self.assertEqual(epyc['vendor'], 'AuthenticAMD')
        self.assertIn('Nehalem', nehalem['model-id'])
        self.assertIn('Haswell', haswell['model-id'])

        def has(props):
            return {k for k, v in props.items() if v is True}
        # the later Intel processor has all of the earlier one's, and AVX
        self.assertEqual(has(nehalem) - has(haswell), set())
        for feature in ('avx', 'avx2', 'fma', 'movbe', 'xsave'):
            self.assertIn(feature, has(haswell) - has(nehalem), feature)
        self.assertIn('sha-ni', has(epyc) - has(haswell))
        # what the profiles leave out because TCG cannot run it
        self.assertFalse(haswell['pcid'])
        self.assertFalse(epyc['xsaves'])

    def host_properties(self, host):
        """Processor feature banks 0 and 1 and XSAVE components of HOST,
        as a VMM finds them."""
        res = subprocess.run([mshvtest.SIM_RUN, '--host', host, '--preload',
                              mshvtest.sim_preload(), '--hv', self.qemu_bin,
                              '--', sys.executable, '-c', HOST_PROPERTIES],
                             capture_output=True, text=True, timeout=60,
                             check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        return [int(v) for v in res.stdout.split()]

    def test_host_banks_follow_profile(self):
        """The feature banks and XSAVE components the host partition
        reports are the profile's processor's: the Nehalem host has SSE4.2
        and POPCNT but neither AES, F16C, BMI, MOVBE nor any XSAVE
        component beyond x87 and SSE; the Haswell host has those; only
        the EPYC host has SHA."""
        def bits(bank0, bank1):
            return {b for b in range(64) if bank0 >> b & 1} | \
                   {64 + b for b in range(64) if bank1 >> b & 1}
        nehalem, haswell, epyc = (self.host_properties(h) for h in
                                  ('intel-nehalem', 'intel-haswell',
                                   'amd-epyc'))
        # bank bits: 4 sse4_2, 7 popcnt, 16 aes, 20 f16c, 25/26 bmi1/2,
        # 29 movbe, 41 sha
        later = {16, 20, 25, 26, 29}
        self.assertEqual({4, 7} - bits(*nehalem[:2]), set())
        self.assertEqual(later & bits(*nehalem[:2]), set())
        self.assertEqual(later - bits(*haswell[:2]), set())
        self.assertNotIn(41, bits(*haswell[:2]))
        self.assertIn(41, bits(*epyc[:2]))
        self.assertEqual(nehalem[2], 0x3)
        self.assertEqual(haswell[2], 0x7)

    def start_on(self, host, name, *extra, model=COMMON):
        vm = self.host_vm(host, *extra, name=name)
        self.launch_guest(accel='mshv', vm=vm, kernel='bzImage', end='shell',
                          args=('-cpu', model, *NO_DEVICES))
        return vm

    def test_migrate_between_hosts(self):
        """A guest on a model both hosts run moves live from the Haswell
        host to the Nehalem one: every CPUID leaf it reads is the same
        after the move, and it goes on."""
        self.set_machine('pc')
        tmp = tempfile.TemporaryDirectory(prefix='mshv-hosts-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'migrate.sock')
        src = self.start_on('intel-haswell', 'source')
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=src)
        self.guest_run('cpuid-dump > /tmp/cpuid-before', vm=src)
        self.guest_run('grep -q "^00000001" /tmp/cpuid-before', vm=src)
        dst = self.start_on('intel-nehalem', 'dest', '-incoming',
                            f'unix:{sock}')
        src.cmd('migrate', uri=f'unix:{sock}')
        self.wait_migrated(src)
        self.wait_migrated(dst)
        self.assertEqual(dst.cmd('query-status')['status'], 'running')
        self.guest_run('cpuid-dump | cmp - /tmp/cpuid-before', vm=dst)
        self.guest_run('sleep 1', vm=dst)
        src.shutdown()
        dst.shutdown()

    def refused_move(self, model, src_host, dst_host, dst_hv_args=None):
        """Move a VM on -cpu MODEL from SRC_HOST to DST_HOST (with
        DST_HV_ARGS), which must refuse it in the migration's setup while
        the source goes on running; returns the destination's output."""
        self.set_machine('pc')
        tmp = tempfile.TemporaryDirectory(prefix='mshv-hosts-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'migrate.sock')
        src = self.host_vm(src_host, '-accel', 'mshv', '-cpu', model,
                           '-nodefaults', '-m', '64', name='source')
        src.launch()
        dst = self.host_vm(dst_host, '-accel', 'mshv', '-cpu', model,
                           '-nodefaults', '-m', '64', '-incoming',
                           f'unix:{sock}', name='dest', hv_args=dst_hv_args)
        dst.set_qmp_monitor(enabled=False)
        dst.launch()
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            self.assertLess(time.monotonic(), deadline, 'no listener')
            time.sleep(0.1)
        src.cmd('migrate', uri=f'unix:{sock}')
        deadline = time.monotonic() + 60
        while src.cmd('query-migrate').get('status') != 'failed':
            self.assertLess(time.monotonic(), deadline, 'not refused')
            time.sleep(0.2)
        self.assertEqual(src.cmd('query-status')['status'], 'running')
        dst.wait(timeout=30)
        self.assertNotEqual(dst.exitcode(), 0)
        src.shutdown()
        return dst.get_log()

    def test_refuse_what_the_host_lacks(self):
        """A guest shown AVX2 on the Haswell host cannot move to the
        Nehalem host: the destination refuses at once, naming what its
        host lacks, and the source goes on running."""
        log = self.refused_move('Haswell-noTSX-IBRS,-pcid,-invpcid,'
                                '-spec-ctrl', 'intel-haswell',
                                'intel-nehalem')
        self.assertIn("host doesn't support requested feature: "
                      "CPUID.07H:EBX.avx2", log)
        self.assertRegex(log, 'the incoming guest state needs what this '
                              'vCPU does not have: .*avx2')

    def test_refuse_cpu_host_across_hosts(self):
        """-cpu host is the Haswell host's processor: the Nehalem host
        refuses the guest, naming what it lacks and why -cpu host does
        not move."""
        log = self.refused_move('host', 'intel-haswell', 'intel-nehalem')
        self.assertRegex(log, 'does not have: .*avx2')
        self.assertIn('(-cpu host is the processor a guest starts on: to '
                      'move between hosts with different processors, start '
                      'it with a named model both have)', log)

    def test_refuse_other_vendor(self):
        """Even on a model both hosts run in full (qemu64), a guest does
        not move from an Intel host to an AMD one."""
        log = self.refused_move('qemu64', 'intel-haswell', 'amd-epyc')
        self.assertNotIn("doesn't support requested feature", log)
        self.assertIn('does not have: a GenuineIntel host processor (this '
                      "host's is AuthenticAMD; a guest cannot move between "
                      'processor vendors)', log)

    def test_refuse_other_tsc_rate(self):
        """The hypervisor runs a guest's TSC at its host's rate: a Haswell
        host whose TSC runs at 2 GHz instead of the profile's 2.6 GHz
        refuses the guest, naming both rates."""
        log = self.refused_move(COMMON, 'intel-haswell', 'intel-haswell',
                                '-machine tsc-frequency=2000000000')
        self.assertIn('does not have: a TSC running at 2600000000 Hz (this '
                      "host's runs at 2000000000 Hz; the hypervisor runs a "
                      "guest's TSC at its host's rate)", log)

    def test_guest_tsc_rate(self):
        """A guest's TSC runs at its host's rate, the profile's (3 GHz on
        the EPYC host), not this machine's: the kernel finds that rate
        and the guest's clock, which counts in TSC ticks, keeps the
        host's time."""
        self.set_machine('pc')
        vm = self.start_on('amd-epyc', 'epyc', model='host')
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm)
        mhz = re.search(r'tsc: Detected ([\d.]+) MHz processor',
                        self.console_text())
        self.assertIsNotNone(mhz, 'the kernel said no TSC rate')
        self.assertAlmostEqual(float(mhz.group(1)), 3000, delta=30)
        clock = 'read -r up _ < /proc/uptime; echo "tsc-clock: $up"'
        self.guest_run(clock, vm=vm)
        before = time.monotonic()
        self.guest_run(f'sleep 5; {clock}', vm=vm)
        elapsed = time.monotonic() - before
        up0, up1 = (float(line.split()[-1])
                    for line in self.console_lines('tsc-clock: ')[-2:])
        self.assertAlmostEqual(up1 - up0, elapsed, delta=0.1 * elapsed + 0.5)
        vm.shutdown()

    def level_on(self, host, level):
        """Start QEMU on HOST with -cpu LEVEL,enforce: None if it runs,
        else its output."""
        vm = self.host_vm(host, '-accel', 'mshv', '-cpu', f'{level},enforce',
                          '-nodefaults', '-S', name=f'{host}-{level}')
        try:
            vm.launch()
        except VMLaunchFailure as failure:
            return failure.output
        vm.shutdown()
        return None

    def test_abi_levels_per_host(self):
        """The x86-64 psABI levels as CPU models: each host runs, in full
        (enforce), the levels its processor has, and refuses the others
        naming what it lacks (TCG has no AVX-512, so no host has v4)."""
        self.set_machine('pc')
        for host in ('intel-nehalem', 'intel-haswell', 'amd-epyc'):
            self.assertIsNone(self.level_on(host, 'x86-64-v2'), host)
        for host in ('intel-haswell', 'amd-epyc'):
            self.assertIsNone(self.level_on(host, 'x86-64-v3'), host)
        log = self.level_on('intel-nehalem', 'x86-64-v3')
        self.assertIn("host doesn't support requested feature: "
                      "CPUID.07H:EBX.avx2", log)
        self.assertIn("CPUID.01H:ECX.avx", log)
        log = self.level_on('intel-haswell', 'x86-64-v4')
        self.assertIn("host doesn't support requested feature: "
                      "CPUID.07H:EBX.avx512f", log)

    def test_abi_level_guests(self):
        """A guest on x86-64-v3 on the AMD host finds the level's
        instructions and its processor's vendor; one on x86-64-v2 finds
        SSE4.2 and no AVX on the Haswell host, and moves live to the
        Nehalem host with every CPUID leaf the same."""
        self.set_machine('pc')
        epyc = self.start_on('amd-epyc', 'epyc', model='x86-64-v3')
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=epyc)
        self.guest_run('grep -q AuthenticAMD /proc/cpuinfo', vm=epyc)
        for flag in ('avx2', 'bmi2', 'fma', 'movbe', 'f16c', 'abm'):
            self.guest_run(f'grep -qw {flag} /proc/cpuinfo', vm=epyc)
        self.guest_run('! grep -qw sha_ni /proc/cpuinfo', vm=epyc)
        epyc.shutdown()

        tmp = tempfile.TemporaryDirectory(prefix='mshv-hosts-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'migrate.sock')
        src = self.start_on('intel-haswell', 'source', model='x86-64-v2')
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=src)
        self.guest_run('grep -qw sse4_2 /proc/cpuinfo', vm=src)
        self.guest_run('! grep -qw avx /proc/cpuinfo', vm=src)
        self.guest_run('cpuid-dump > /tmp/cpuid-before', vm=src)
        dst = self.start_on('intel-nehalem', 'dest', '-incoming',
                            f'unix:{sock}', model='x86-64-v2')
        src.cmd('migrate', uri=f'unix:{sock}')
        self.wait_migrated(src)
        self.wait_migrated(dst)
        self.guest_run('cpuid-dump | cmp - /tmp/cpuid-before', vm=dst)
        src.shutdown()
        dst.shutdown()


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
