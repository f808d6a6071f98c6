#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Snapshots under -accel mshv, on the MSHV simulator: savevm, loadvm and
delvm (qcow2 internal snapshots), the snapshot-save/-load/-delete jobs,
and migration to a file.  Each snapshot is taken while the guest runs
with one of its two CPUs never brought up (maxcpus=1): that VP waits for
SIPI in the snapshot, and the guest brings it up after the restore.
"info registers" on it meanwhile must not turn the wait into a halt.
The guest checks its MSRs, memory, vector registers and TSC-deadline
timer after each restore."""

import os
import subprocess
import time

import mshvtest
from mshvtest import MshvSimTest

# The guest brings up its second CPU and runs a program there.
ONLINE_CPU1 = ('echo 1 > /sys/devices/system/cpu/cpu1/online && '
               'taskset -c 1 true && '
               'grep -qx 0-1 /sys/devices/system/cpu/online')
CPU1_OFFLINE = 'grep -qx 0 /sys/devices/system/cpu/online'
# State the guest checks after the restore: memory and vector registers
# (mem-stress, in the background), MSRs (msrset/msrcheck; synthetic timer
# 3's among them), and its tick in TSC-deadline mode (Linux ticks with a
# synthetic timer only once its VMBus driver loads, without direct mode).
# hv-frequencies: the guest takes its TSC rate from the hypervisor; one
# it calibrates under load may come out 0, and no TSC-deadline mode then.
CPU = ('qemu64,+xsave,+avx,+tsc-deadline,hv-vpindex=on,hv-time=on,'
       'hv-frequencies=on,hv-synic=on,hv-stimer=on')
CLOCKEVENT = ('ce=$(cat /sys/devices/system/clockevents/clockevent0/'
              'current_device) && echo "clockevent0: $ce" && '
              '[ "$ce" = lapic-deadline ]')
# The simulated host has CET (CET_HOST): its MSRs (and so XSAVE
# components) hold a pattern too.
STATE_SET = (CLOCKEVENT + ' && /checks/msrset && '
             'grep -q "stimer yes, cet yes" /tmp/msr-set.0 && '
             '{ mem-stress 16 8 >/tmp/mem-stress.log 2>&1 & }')
STATE_CHECK = (CLOCKEVENT + ' && /checks/msrcheck && '
               'for i in $(seq 300); do grep -q "rounds ok, avx yes" '
               '/tmp/mem-stress.log && break; sleep 0.2; done && '
               'grep -q "rounds ok, avx yes" /tmp/mem-stress.log')


class AccelSnapshot(MshvSimTest):

    timeout = 300

    def setUp(self):
        super().setUp()
        self.disk = os.path.join(self.workdir, 'disk.qcow2')
        qemu_img = self.build_file('qemu-img')
        self.assertTrue(os.path.exists(qemu_img), 'qemu-img was not built')
        subprocess.run([qemu_img, 'create', '-q', '-f', 'qcow2',
                        self.disk, '64M'], check=True)

    def start(self, *extra, name='source', hv_args=mshvtest.CET_HOST):
        vm = self.get_vm(name=name)
        self.sim_vm(vm, hv_args=hv_args)
        # (system_reset resets: no -no-reboot)
        self.launch_guest(accel='mshv', vm=vm, end='shell',
                          append='maxcpus=1', no_reboot=False,
                          args=('-M', 'q35', '-smp', '2', '-cpu', CPU,
                                '-vga', 'none', '-net', 'none',
                                '-blockdev', 'driver=file,node-name=file0,'
                                f'filename={self.disk}',
                                '-blockdev', 'driver=qcow2,node-name=disk0,'
                                'file=file0',
                                '-device', 'virtio-blk-pci,drive=disk0',
                                *extra))
        return vm

    def booted(self, vm):
        """The guest is at its shell, CPU 1 still waiting for SIPI; the
        mark file says 'before'."""
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        self.guest_run(CPU1_OFFLINE, vm=vm)
        self.guest_run('echo before > /tmp/mark', vm=vm)
        self.guest_run(STATE_SET, vm=vm)

    def diverge(self, vm):
        """After the snapshot: what the restore must undo."""
        self.guest_run('echo after > /tmp/mark', vm=vm)
        self.guest_run(ONLINE_CPU1, vm=vm)

    def restored(self, vm):
        """The guest is back at the snapshot, and goes on from there: its
        memory as it was, CPU 1 still down, then up when asked, with any
        number of register reads of the waiting VP in between."""
        self.guest_run('[ "$(cat /tmp/mark)" = before ]', vm=vm)
        self.guest_run(CPU1_OFFLINE, vm=vm)
        self.guest_run(STATE_CHECK, vm=vm, timeout=120)
        for _ in range(3):
            self.assertIn('RIP=', self.hmp('info registers -a', vm=vm))
        self.hmp('stop', vm=vm)
        self.hmp('info registers -a', vm=vm)
        self.hmp('cont', vm=vm)
        self.guest_run(ONLINE_CPU1, vm=vm)
        self.guest_run('/checks/cpus >/dev/null', vm=vm)
        # each VP's TSC went on from the snapshot's: no clock went back
        self.guest_run("! dmesg | grep '^\\[ *18446744'", vm=vm)

    def hmp_ok(self, command, vm):
        out = self.hmp(command, vm=vm)
        self.assertNotIn('rror', out, f'{command}: {out}')
        return out

    def wait_job(self, vm, job_id, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = {j['id']: j for j in vm.cmd('query-jobs')}
            job = jobs[job_id]
            if job['status'] == 'concluded':
                self.assertNotIn('error', job, job)
                vm.cmd('job-dismiss', id=job_id)
                return
            time.sleep(0.2)
        self.fail(f'job {job_id} did not conclude in {timeout} s')

    def test_savevm_loadvm(self):
        vm = self.start()
        self.booted(vm)
        self.hmp_ok('savevm snap1', vm)
        self.diverge(vm)
        # as a user would: a reset first, then back to the snapshot; the
        # reset took CET's state (MSRs, XSAVE components) back to 0
        self.hmp_ok('system_reset', vm)
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        self.guest_run('/checks/modload msr && '
                       'msr-state initial 0', vm=vm)
        self.hmp_ok('stop', vm)
        self.hmp_ok('loadvm snap1', vm)
        self.hmp_ok('cont', vm)
        self.restored(vm)
        self.assertIn('snap1', self.hmp_ok('info snapshots', vm))
        self.hmp_ok('delvm snap1', vm)
        self.assertNotIn('snap1', self.hmp('info snapshots', vm=vm))
        vm.shutdown()

    def test_snapshot_jobs(self):
        vm = self.start()
        self.booted(vm)
        vm.cmd('snapshot-save', job_id='save', tag='snap1',
               vmstate='disk0', devices=['disk0'])
        self.wait_job(vm, 'save')
        self.diverge(vm)
        vm.cmd('snapshot-load', job_id='load', tag='snap1',
               vmstate='disk0', devices=['disk0'])
        self.wait_job(vm, 'load')
        if vm.cmd('query-status')['status'] != 'running':
            vm.cmd('cont')
        self.restored(vm)
        vm.cmd('snapshot-delete', job_id='delete', tag='snap1',
               devices=['disk0'])
        self.wait_job(vm, 'delete')
        self.assertNotIn('snap1', self.hmp('info snapshots', vm=vm))
        vm.shutdown()

    def saved_to_file(self):
        """Boot the guest and migrate it to a file: the file, and the
        vCPUs' registers as the source had them."""
        state = os.path.join(self.workdir, 'state.bin')
        src = self.start()
        self.booted(src)
        src.cmd('migrate', uri=f'file:{state}')
        self.wait_migrated(src)
        regs = self.hmp('info registers -a', vm=src)
        src.shutdown()
        return state, regs

    def test_migrate_file(self):
        state, regs = self.saved_to_file()
        # restored paused (-S), to compare it with what was saved
        dst = self.start('-S', '-incoming', f'file:{state}', name='dest')
        self.wait_migrated(dst)
        self.assertEqual(self.hmp('info registers -a', vm=dst), regs)
        self.hmp_ok('cont', dst)
        self.restored(dst)
        dst.shutdown()

    def test_incoming_defer(self):
        state, _ = self.saved_to_file()
        dst = self.start('-incoming', 'defer', name='dest')
        dst.cmd('migrate-incoming', uri=f'file:{state}')
        self.wait_migrated(dst)
        self.restored(dst)
        dst.shutdown()

    def refused(self, dst, state):
        """DST, started with -incoming defer, refuses the stream in the
        file STATE and does not run; its log."""
        dst.cmd('migrate-incoming', uri=f'file:{state}', exit_on_error=False)
        deadline = time.monotonic() + 60
        while dst.cmd('query-migrate').get('status') != 'failed':
            self.assertLess(time.monotonic(), deadline, 'not refused')
            time.sleep(0.2)
        self.assertNotEqual(dst.cmd('query-status')['status'], 'running')
        dst.shutdown()
        return dst.get_log()

    def test_refuse_missing_feature(self):
        """A destination whose vCPU lacks a feature the guest was shown
        (AVX, which the guest also enabled in XCR0) refuses the stream,
        saying what it lacks, instead of running a broken guest."""
        state, _ = self.saved_to_file()
        dst = self.start('-cpu', CPU.replace('+avx,', ''), '-incoming',
                         'defer', name='dest')
        log = self.refused(dst, state)
        self.assertIn('the incoming guest state needs what this vCPU does '
                      'not have: avx', log)
        self.assertIn("start the destination with the source's -cpu", log)

    def test_refuse_cet_state(self):
        """A destination on a host without CET refuses a guest that holds
        CET state (in its MSRs, so XSAVE components 11 and 12 and the CET
        registers), naming it, whatever CPUID the guest was shown."""
        state, _ = self.saved_to_file()
        dst = self.start('-incoming', 'defer', name='dest',
                         hv_args='-machine cet=off')
        log = self.refused(dst, state)
        self.assertIn('the incoming guest state needs what this vCPU does '
                      'not have: register U_CET register S_CET', log)
        self.assertIn('XSAVE component 11 (CET) XSAVE component 12 (CET)',
                      log)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
