#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Live migration under -accel mshv, on the MSHV simulator: the guest
(four vCPUs, their timers in TSC-deadline mode until the synthetic
timers take over) keeps writing and checking memory and vector
registers (tests/guest/mem-stress.c) while it moves from one QEMU to
another, and checks after it the MSRs it set on every CPU before;
pages it dirties during the copy come from the hypervisor's dirty page
tracking, its LAPIC, XSAVE state and SynIC pages from
MSHV_GET/SET_VP_STATE.  The guest has its VMBus up before the move and
unloads it after, which takes a message exchange with the destination;
its tick comes from a synthetic timer's messages on both sides."""

import os
import tempfile

import mshvtest
from mshvtest import MshvSimTest

# Synthetic timers in message mode (no hv-stimer-direct): Linux ticks with
# HVMSG_TIMER_EXPIRED on its VMBus SINT from the time hv_vmbus loads, so the
# timers' state and their messages cross the move too.  (In direct mode
# Linux stops its only tick when hv_vmbus unloads, so the unload after the
# move would hang, on Hyper-V as here.)
HV_FEATURES = ('hv-vpindex=on,hv-runtime=on,hv-time=on,hv-synic=on,'
               'hv-stimer=on,hv-frequencies=on')

# Guest memory the workload rewrites every round, and how long it runs.
STRESS_MIB = 96
STRESS_SECONDS = 40


class AccelMigrate(MshvSimTest):

    timeout = 300

    def start(self, name, *extra):
        vm = self.get_vm(*extra, name=name)
        self.sim_vm(vm, hv_args=mshvtest.CET_HOST)
        self.launch_guest(accel='mshv', vm=vm, kernel='bzImage',
                          append='mshvtest=msrset,vmbus,clockevents,memstress,'
                                 f'msrcheck,vmbusunload '
                                 f'MEM_STRESS="{STRESS_MIB} {STRESS_SECONDS}"',
                          args=('-M', 'q35', '-smp', '4',
                                '-cpu', 'qemu64,+xsave,+avx,+tsc-deadline,' +
                                HV_FEATURES,
                                '-vga', 'none', '-net', 'none',
                                '-device', 'vmbus-bridge'))
        return vm

    def test_live_migration(self):
        # (a socket path must be short: not in the test's work directory)
        tmp = tempfile.TemporaryDirectory(prefix='mshv-migrate-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'migrate.sock')
        src = self.start('source')
        # every CPU holds an MSR pattern, CET's among them (a simulated
        # host with CET: its registers and XSAVE components move too)
        for cpu in range(4):
            self.wait_console(f'msr-state: CPU {cpu} set, stimer yes, '
                              'cet yes', vm=src,
                              failure_message='CHECK: msrset FAILED')
        # once hv_vmbus is up, the tick is the synthetic timer's
        self.wait_console('clockevent0 Hyper-V clockevent', vm=src,
                          failure_message='Kernel panic')
        # the workload is running, with AVX, before the copy starts
        self.wait_console('mem-stress: round 2 ok', vm=src,
                          failure_message='CHECK: memstress FAILED')
        dst = self.start('dest', '-incoming', f'unix:{sock}')
        src.cmd('migrate-set-capabilities', capabilities=[
            {'capability': 'events', 'state': True}])
        # slow enough that the guest dirties pages during the copy
        src.cmd('migrate-set-parameters', max_bandwidth=64 << 20)
        src.cmd('migrate', uri=f'unix:{sock}')
        info = self.wait_migrated(src)
        self.log.info('migration: %s', info)
        # several passes: pages the guest wrote meanwhile were sent again
        self.assertGreater(info['ram']['dirty-sync-count'], 1, info)
        self.assertGreater(info['ram']['transferred'], STRESS_MIB << 20)
        self.assertEqual(dst.cmd('query-status')['status'], 'running')
        # the guest goes on on the destination: rounds there, all checked
        self.wait_console('mem-stress: round', vm=dst,
                          failure_message='CHECK: memstress FAILED')
        self.wait_console('rounds ok, avx yes', vm=dst,
                          failure_message='CHECK: memstress FAILED', timeout=120)
        self.wait_console('vmbusunload: unloaded', vm=dst,
                          failure_message='CHECK: vmbusunload FAILED')
        self.wait_console(mshvtest.GUEST_DONE + ' ok', vm=dst,
                          failure_message=mshvtest.GUEST_DONE + ' failed')
        dst.wait(timeout=30)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
