#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vCPU hot-plug under -accel mshv, on the MSHV simulator: device_add of
a vCPU the guest then brings up, device_del (the guest takes it down and
ejects it, and QEMU removes it), and the same slot plugged again and
brought up again: a removed vCPU's VP is there for the new one."""

import time

import mshvtest
from mshvtest import MshvSimTest

CPU1 = '/sys/devices/system/cpu/cpu1'


class AccelHotplug(MshvSimTest):

    timeout = 300

    def slot(self, vm):
        """The slot the test plugs into: the highest (APIC ID 3)."""
        slots = vm.cmd('query-hotpluggable-cpus')
        self.assertEqual(len(slots), 4, slots)
        return slots[0]

    def plug(self, vm):
        slot = self.slot(vm)
        self.assertNotIn('qom-path', slot)
        vm.cmd('device_add', driver=slot['type'], id='hotcpu',
               **slot['props'])
        self.assertIn('qom-path', self.slot(vm))
        # the guest learns of it from ACPI, and brings it up
        self.guest_run(f'for i in $(seq 100); do [ -e {CPU1}/online ] && '
                       'break; sleep 0.1; done; '
                       f'echo 1 > {CPU1}/online && taskset -c 1 true && '
                       'grep -qx 0-1 /sys/devices/system/cpu/online', vm=vm)

    def unplug(self, vm):
        vm.cmd('device_del', id='hotcpu')
        # the guest takes it down and ejects it; then QEMU unrealizes it
        vm.event_wait('DEVICE_DELETED', timeout=60,
                      match={'data': {'device': 'hotcpu'}})
        self.assertNotIn('qom-path', self.slot(vm))
        self.guest_run('grep -qx 0 /sys/devices/system/cpu/online', vm=vm)
        self.assertEqual(len(vm.cmd('query-cpus-fast')), 1)

    def test_plug_unplug_replug(self):
        vm = self.get_vm()
        self.sim_vm(vm)
        self.launch_guest(accel='mshv', vm=vm, end='shell',
                          args=('-M', 'q35', '-smp', '1,maxcpus=4',
                                '-vga', 'none', '-net', 'none'))
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        for _ in range(2):
            self.plug(vm)
            self.assertEqual(len(vm.cmd('query-cpus-fast')), 2)
            self.unplug(vm)
        # a third time, and the guest keeps working on both
        self.plug(vm)
        self.guest_run('/checks/cpus >/dev/null', vm=vm)
        # each new VP's TSC ran in step with the partition's: no clock
        # went back when the guest brought it up
        self.guest_run("! dmesg | grep '^\\[ *18446744'", vm=vm)
        vm.shutdown()


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
