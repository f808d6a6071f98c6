#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""-accel mshv end to end, on the MSHV simulator: QEMU runs as an
unmodified /dev/mshv client under scripts/mshv-sim-run."""

import json
import os
import re
import socket
import tempfile
import time
from pathlib import Path

import mshvtest
from mshvtest import SIM_RUN, MshvSimTest, run_qemu, tiny_bios


class AccelOnSimulator(MshvSimTest):

    def test_real_mode_port_io(self):
        bios = tiny_bios(os.path.join(self.workdir, 'tiny.bin'),
                         b'TINY-GUEST-ON-MSHV')
        res = run_qemu(SIM_RUN, [
            '--hv', self.qemu_bin, '--', self.qemu_bin,
            '-accel', 'mshv', '-M', 'pc', '-display', 'none', '-vga', 'none',
            '-net', 'none', '-bios', bios, '-serial', 'stdio', '-no-reboot',
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'])
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('TINY-GUEST-ON-MSHV', res.stdout)
        self.assertEqual(res.stderr, '')

    def test_probe_reports_mshv(self):
        """libvirt's capability probe (-machine none with an accelerator
        list, QMP only) on the simulator: query-accelerators says mshv."""
        self.set_machine('none')
        self.sim_vm()
        self.vm.add_args('-S', '-no-user-config', '-nodefaults', '-nographic',
                         '-machine', 'accel=mshv:tcg')
        self.vm.launch()
        info = self.vm.cmd('query-accelerators')
        self.assertEqual(info['enabled'], 'mshv')
        self.assertIn('tcg', info['present'])
        self.assertIn('[mshv]', self.hmp('info accelerators'))
        self.vm.shutdown()

    def test_hypervisor_output_reaches_client(self):
        """The hypervisor process writes where its client's stderr goes."""
        self.set_machine('none')
        self.sim_vm()
        self.vm._wrapper[-1:-1] = ['--hv-args',
                                   '-trace mshv_sim_create_partition']
        self.vm.add_args('-accel', 'mshv', '-S', '-nodefaults')
        self.vm.launch()
        self.vm.shutdown()
        self.assertIn('mshv_sim_create_partition', self.vm.get_log())

    def test_daemonize(self):
        """-daemonize on the simulator, as libvirt's probe runs QEMU: the
        command returns with its output pipes closed (the hypervisor
        process does not hold them) while the daemon runs; the hypervisor
        process ends with the daemon."""
        tmp = tempfile.TemporaryDirectory(prefix='mshv-daemon-')
        self.addCleanup(tmp.cleanup)
        pidfile = os.path.join(tmp.name, 'qemu.pid')
        sock = os.path.join(tmp.name, 'qmp.sock')
        res = run_qemu(SIM_RUN, [
            '--hv', self.qemu_bin, '--', self.qemu_bin, '-accel', 'mshv',
            '-M', 'none', '-S', '-display', 'none', '-nodefaults',
            '-daemonize', '-pidfile', pidfile,
            '-qmp', f'unix:{sock},server=on,wait=off'], timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        daemon = int(Path(pidfile).read_text())
        hvs = [int(stat.parent.name) for stat in Path('/proc').glob('*/stat')
               if stat.parent.name.isdigit() and
               self.proc_parent(stat) == daemon and b'mshv-sim-hv' in
               (stat.parent / 'cmdline').read_bytes()]
        self.assertEqual(len(hvs), 1)
        # plain QMP: a client library may fail on the close that "quit"
        # brings about
        with socket.socket(socket.AF_UNIX) as qmp:
            qmp.connect(sock)
            stream = qmp.makefile('rw')

            def execute(command):
                stream.write(json.dumps({'execute': command}) + '\n')
                stream.flush()
                while True:
                    answer = json.loads(stream.readline())
                    if 'return' in answer or 'error' in answer:
                        return answer
            json.loads(stream.readline())           # the greeting
            execute('qmp_capabilities')
            self.assertEqual(execute('query-accelerators')['return']
                             ['enabled'], 'mshv')
            stream.write('{"execute": "quit"}\n')
            stream.flush()
        deadline = time.monotonic() + 30
        while any(Path(f'/proc/{pid}').exists() for pid in (daemon, *hvs)):
            self.assertLess(time.monotonic(), deadline,
                            'the daemon or its hypervisor process is left')
            time.sleep(0.2)

    @staticmethod
    def proc_parent(stat):
        try:
            return int(stat.read_text().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def test_absurd_cpuid_level_is_refused(self):
        """A CPU model level no real CPU has would take billions of
        hypercalls: QEMU says so and exits instead of hanging."""
        res = run_qemu(SIM_RUN, [
            '--hv', self.qemu_bin, '--', self.qemu_bin,
            '-accel', 'mshv', '-M', 'pc', '-display', 'none',
            '-cpu', 'qemu64,level=0xfffffffe', '-nodefaults'], timeout=60)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn('CPUID leaf 0xfffffffe is beyond what -accel mshv '
                      'programs', res.stderr)

    def test_cpu_model_reaches_guest(self):
        """The guest's CPUID is QEMU's -cpu model, not the hypervisor's."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='bzImage',
                        append='mshvtest=cpuinfo',
                        args=('-vga', 'none', '-net', 'none',
                              '-cpu', 'Nehalem,-popcnt'))
        line = self.console_lines('cpuinfo-flags:')[0]
        flags = set(line.split('cpuinfo-flags:', 1)[1].split())
        self.assertIn('sse4_2', flags)          # Nehalem has it
        self.assertNotIn('popcnt', flags)       # removed on the command line
        self.assertNotIn('avx', flags)          # not a Nehalem feature
        self.assertNotIn('la57', flags)         # the simulator's CPU has it

    def test_cpu_host_is_the_hypervisors_processor(self):
        """-cpu host gives the guest the processor the hypervisor offers
        (on the simulator: TCG's "max", minus nested virtualization),
        its name included."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='bzImage',
                        append='mshvtest=cpuinfo',
                        args=('-vga', 'none', '-net', 'none',
                              '-cpu', 'host'))
        line = self.console_lines('cpuinfo-flags:')[0]
        flags = set(line.split('cpuinfo-flags:', 1)[1].split())
        # in no default model, all in the simulator's processor
        for flag in ('avx2', 'sha_ni', 'la57', 'rdpid', 'x2apic',
                     'hypervisor'):
            self.assertIn(flag, flags)
        self.assertFalse(flags & {'svm', 'vmx', 'npt'})
        model = self.console_lines('cpuinfo-model:')[0]
        self.assertIn('QEMU TCG CPU version', model)

    def test_cpu_model_filtered_by_hypervisor(self):
        """A named model's features the hypervisor lacks are dropped with
        a warning (the simulator's processor has no AVX-512), and refused
        with enforce."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='bzImage',
                        append='mshvtest=cpuinfo',
                        args=('-vga', 'none', '-net', 'none',
                              '-cpu', 'Skylake-Server'))
        line = self.console_lines('cpuinfo-flags:')[0]
        flags = set(line.split('cpuinfo-flags:', 1)[1].split())
        self.assertIn('avx2', flags)
        self.assertNotIn('avx512f', flags)
        self.assertIn("host doesn't support requested feature: "
                      "CPUID.07H:EBX.avx512f", self.vm.get_log())
        res = run_qemu(SIM_RUN, [
            '--hv', self.qemu_bin, '--', self.qemu_bin,
            '-accel', 'mshv', '-M', 'pc', '-display', 'none',
            '-cpu', 'Skylake-Server,enforce', '-nodefaults'], timeout=60)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("Host doesn't support requested features", res.stderr)

    def test_hv_properties_select_enlightenments(self):
        """hv-* CPU properties become the partition's synthetic processor
        features: with hv-vpindex and hv-frequencies only, the guest finds
        the VP index, frequency and hypercall MSRs (privilege flags 0x860)
        but no reference TSC page, and keeps time without it; a property
        the hypervisor has no feature for is refused with a warning."""
        self.set_machine('pc')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='vmlinux',
                        args=('-vga', 'none', '-net', 'none',
                              '-cpu', 'qemu64,hv-vpindex=on,'
                              'hv-frequencies=on,hv-crash=on'))
        self.assertTrue(self.console_lines(
            r'Hyper-V: privilege flags low 0x860,'))
        self.assertFalse(self.console_lines('hyperv_clocksource'))
        log = self.vm.get_log()
        self.assertIn('no partition feature for hv-crash; ignored', log)

    def mmio_check(self, hv_args=None):
        """The guest's mmio-check program, all of it passing."""
        self.set_machine('pc')
        self.sim_vm(hv_args=hv_args)
        self.boot_guest(accel='mshv', kernel='vmlinux',
                        append='mshvtest=mmio',
                        args=('-vga', 'none', '-net', 'none',
                              '-cpu', 'qemu64,+popcnt,+movbe,+sse4.1,'
                                      '+xsave,+avx',
                              '-device', 'pc-testdev'))
        summary = self.console_lines(r'mmio-check: \d+ passed')
        self.assertEqual(len(summary), 1)
        passed, failed = re.findall(r'(\d+) passed, (\d+) failed',
                                    summary[0])[0]
        self.assertEqual(failed, '0')
        cases = self.console_lines(r'mmio-check: [\w-]+ ok')
        self.assertEqual(len(cases), int(passed))
        self.assertGreaterEqual(int(passed), 144)
        for case in ('vmovdqu_load256', 'vmovdqa_load128',
                     'divide-by-zero-de', 'noncanonical-jump-gp',
                     'movdqa-misaligned-gp', 'movq_mmx_load',
                     'mmx_load_after_x87', 'mmx_store_after_x87',
                     'rep-insb-down', 'rex-w-insd',
                     'rep-insb-page-fault',
                     'rep-insb-copy-on-write', 'movs-mmio-page-fault',
                     'step-ram', 'step-mmio-load', 'step-mmio-store',
                     'step-rep-ram', 'step-rep-mmio',
                     'step-port-in', 'step-port-out',
                     'movlpd_load', 'pinsrb_load', 'vbroadcastf128_load',
                     'vmovddup_load256', 'vpextrw_store',
                     'mov-gs-ldt', 'lgs', 'lss', 'pop-gs', 'far-jmp',
                     'far-call-ret', 'iretq-frame', 'mov-gs-absent-np',
                     'mov-ds-beyond-gdt-gp', 'ltr-user-gp',
                     'far-jmp-data-gp', 'mov-ss-step'):
            self.assertEqual(len(self.console_lines(f'{case} ok')), 1, case)
        self.assertEqual(len(self.console_lines('unsupported-ud ok')), 1)
        warnings = [line for line in self.vm.get_log().splitlines()
                    if 'cannot emulate' in line]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn('paddb', warnings[0])

    def test_mmio_executor_matches_tcg(self):
        """Every instruction form the executor handles gives, on a device
        (pc-testdev's memory-like window), what TCG gives on RAM; an
        unsupported one raises #UD in the guest and one warning.  The
        VMM's access to the other operand's memory faults as the
        instruction's own would: pages not mapped yet, copy-on-write.
        Single-stepping (RFLAGS.TF) over an instruction the VMM completes
        traps once, right after it, as over one the hypervisor runs."""
        self.mmio_check()

    def test_mmio_executor_fetches_instructions(self):
        """The same with intercept messages that carry no instruction
        bytes (a hypervisor may give none): the VMM reads each
        instruction from guest memory, string port I/O included."""
        self.mmio_check(hv_args='-machine insn-bytes=0')

    def test_halt_messages_run_again(self):
        """HALT messages (the simulator's fault injection: every third
        RUN_VP answered with one before the VP runs, as a hypervisor may
        for a halted VP) are run again: the guest boots on two vCPUs and
        powers off as without them."""
        cnt = os.path.join(self.workdir, 'counters.txt')
        os.environ['MSHV_SIM_COUNTERS'] = cnt
        try:
            self.set_machine('pc')
            self.sim_vm(hv_args='-machine halt-every=3')
            self.boot_guest(accel='mshv', kernel='bzImage',
                            append='mshvtest=cpus',
                            args=('-smp', '2', '-vga', 'none', '-net', 'none'))
        finally:
            del os.environ['MSHV_SIM_COUNTERS']
        self.assertEqual(len(self.console_lines('cpus online: 0-1$')), 1)
        c = mshvtest.sim_counters(cnt)
        self.log.info('%d HALT messages in %d runs', c['injected.halt'],
                      c['run_vp'])
        self.assertGreater(c['injected.halt'], 100)

    def injected_stop(self, hv_args, reason):
        """Boot the test guest on a hypervisor process with HV_ARGS (a
        fault injection): the VM must stop with REASON, and QEMU stay up,
        answer QMP and quit; returns QEMU's lines naming REASON."""
        self.set_machine('pc')
        self.sim_vm(hv_args=hv_args)
        self.launch_guest(accel='mshv', kernel='bzImage',
                          args=('-vga', 'none', '-net', 'none'))
        with self.assertRaisesRegex(AssertionError, reason):
            self.wait_console('QEMU-GUEST-MARKER: done', timeout=120)
        self.assertEqual(self.vm.cmd('query-status')['status'],
                         'internal-error')
        self.vm.shutdown()
        self.assertEqual(self.vm.exitcode(), 0)
        return [line for line in self.vm.get_log().splitlines()
                if re.search(reason, line)]

    def test_unsupported_feature_stops_vm(self):
        """An unsupported-feature message (a hardware task switch, which
        the simulator's fault injection sends as the 200th stop) stops
        the VM with the reason."""
        stops = self.injected_stop('-machine unsupported-feature=200',
                                   'hardware task switch')
        self.assertEqual(len(stops), 1, stops)
        self.assertIn('the guest used a hardware task switch, which the '
                      'hypervisor does not support (feature 2', stops[0])

    def test_malformed_message_stops_vm(self):
        """A message no working hypervisor sends (the simulator's fault
        injection: the 100th claims a payload larger than a message) stops
        the VM with the reason."""
        stops = self.injected_stop('-machine malformed-message=100',
                                   'malformed message')
        self.assertEqual(len(stops), 1, stops)
        self.assertIn('its payload is larger than a message', stops[0])


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
