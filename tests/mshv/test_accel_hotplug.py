#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vCPU and memory hot-plug under -accel mshv, on the MSHV simulator:
device_add of a vCPU the guest then brings up, device_del (the guest
takes it down and ejects it, and QEMU removes it), and the same slot
plugged again and brought up again: a removed vCPU's VP is there for the
new one.  A DIMM plugged, used and removed the same way; a virtio-mem
device grown and shrunk."""

import os
import tempfile
import time

import mshvtest
from mshvtest import MshvSimTest

CPU1 = '/sys/devices/system/cpu/cpu1'
# the guest's MemTotal in KiB, as a shell expression
MEMTOTAL = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)"


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

    def boot_shell(self, smp):
        """A q35 guest with -smp SMP at its shell."""
        vm = self.get_vm()
        self.sim_vm(vm)
        self.launch_guest(accel='mshv', vm=vm, end='shell',
                          args=('-M', 'q35', '-smp', smp,
                                '-vga', 'none', '-net', 'none'))
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        return vm

    def test_plug_unplug_replug(self):
        vm = self.boot_shell('1,maxcpus=4')
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

    def test_plug_refused(self):
        """A vCPU the hypervisor cannot take (an index past the
        partition's 256 VPs) is an error of device_add, naming the limit;
        the guest runs on, and the next vCPU plugs and comes up."""
        vm = self.boot_shell('1,sockets=300,maxcpus=300')
        slots = {s['props']['socket-id']: s
                 for s in vm.cmd('query-hotpluggable-cpus')}
        far = slots[270]
        r = vm.qmp('device_add', driver=far['type'], id='farcpu',
                   **far['props'])
        self.assertIn('error', r)
        self.assertIn('creating VP 270 failed: a partition has at most '
                      '256 VPs', r['error']['desc'])
        self.assertEqual(len(vm.cmd('query-cpus-fast')), 1)
        near = slots[1]
        vm.cmd('device_add', driver=near['type'], id='hotcpu',
               **near['props'])
        self.guest_run(f'for i in $(seq 100); do [ -e {CPU1}/online ] && '
                       'break; sleep 0.1; done; '
                       f'echo 1 > {CPU1}/online && taskset -c 1 true', vm=vm)
        self.assertEqual(len(vm.cmd('query-cpus-fast')), 2)
        vm.shutdown()

    def test_memory_add_remove(self):
        """A 256 MiB DIMM plugged at run time (ACPI memory hotplug): the
        guest onlines it as movable memory, its MemTotal grows by that
        much, and it fills more memory than it had before the plug,
        checked page by page (mem-stress) -- so the partition maps the
        DIMM.  device_del: the guest offlines and ejects it, QEMU removes
        it, and MemTotal is back where it was."""
        vm = self.get_vm()
        self.sim_vm(vm)
        # the hypervisor's view: the DIMM's GPA range mapped, then unmapped
        vm._wrapper[-1:-1] = ['--hv-args', '-trace mshv_sim_*map_gpa']
        self.launch_guest(accel='mshv', vm=vm, end='shell',
                          append='memhp_default_state=online_movable',
                          args=('-M', 'q35', '-m', '512,slots=2,maxmem=2G',
                                '-vga', 'none', '-net', 'none'))
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        self.guest_run(f'echo {MEMTOTAL} > /tmp/before', vm=vm)
        # (shared memory: the simulator's hypervisor process maps it too)
        vm.cmd('object-add', qom_type='memory-backend-memfd', id='mem1',
               size=256 << 20, share=True)
        vm.cmd('device_add', driver='pc-dimm', id='dimm1', memdev='mem1')
        self.guest_run('for i in $(seq 100); do '
                       f'[ {MEMTOTAL} -ge $(($(cat /tmp/before) + 262144)) ] '
                       '&& break; sleep 0.1; done; '
                       f'[ {MEMTOTAL} -eq $(($(cat /tmp/before) + 262144)) ]',
                       vm=vm)
        # more than the guest had free before the plug
        self.guest_run('mem-stress 560 2 >/dev/null', vm=vm)
        vm.cmd('device_del', id='dimm1')
        vm.event_wait('DEVICE_DELETED', timeout=60,
                      match={'data': {'device': 'dimm1'}})
        vm.cmd('object-del', id='mem1')
        self.guest_run(f'[ {MEMTOTAL} -eq $(cat /tmp/before) ]', vm=vm)
        self.guest_run('mem-stress 64 1 >/dev/null', vm=vm)
        vm.shutdown()
        # the DIMM sits at 4 GiB (above q35's 512 MiB of low RAM)
        log = vm.get_log()
        self.assertIn('mshv_sim_map_gpa pfn 0x100000 size 0x10000000', log)
        self.assertIn('mshv_sim_unmap_gpa pfn 0x100000 size 0x10000000', log)

    def test_virtio_mem_grow_shrink(self):
        """virtio-mem: the guest's driver plugs the blocks QEMU's
        requested-size asks for (MemTotal grows by 256 MiB, and the guest
        fills more than it had), then unplugs them when it asks for less
        (MemTotal back)."""
        vm = self.get_vm()
        self.sim_vm(vm)
        self.launch_guest(accel='mshv', vm=vm, end='shell',
                          append='memhp_default_state=online_movable',
                          args=('-M', 'q35', '-m', '512,maxmem=2G',
                                '-vga', 'none', '-net', 'none',
                                '-object', 'memory-backend-memfd,id=vmem0,'
                                'size=1G,share=on',
                                '-device', 'virtio-mem-pci,id=vm0,'
                                'memdev=vmem0,block-size=2M,'
                                'requested-size=0'))
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='Kernel panic')
        self.guest_run('/checks/virtio-load virtio_mem', vm=vm)
        self.guest_run(f'echo {MEMTOTAL} > /tmp/before', vm=vm)
        path = '/machine/peripheral/vm0'
        for size, kib in ((256 << 20, 262144), (0, 0)):
            vm.cmd('qom-set', path=path, property='requested-size',
                   value=size)
            self.guest_run('for i in $(seq 100); do '
                           f'[ {MEMTOTAL} -eq $(($(cat /tmp/before) + {kib}))'
                           ' ] && break; sleep 0.1; done; '
                           f'[ {MEMTOTAL} -eq $(($(cat /tmp/before) + {kib}))'
                           ' ]', vm=vm)
            self.assertEqual(vm.cmd('qom-get', path=path, property='size'),
                             size)
            if size:
                self.guest_run('mem-stress 560 2 >/dev/null', vm=vm)
        vm.shutdown()

    def test_migrate_after_memory_add(self):
        """Live migration of a guest with a hot-added DIMM in use: the
        destination, started with that DIMM on its command line, gets a
        450 MiB file the guest wrote into memory (more than fits without
        the DIMM) intact, and the DIMM's memory."""
        tmp = tempfile.TemporaryDirectory(prefix='mshv-memhp-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'migrate.sock')
        args = ('-M', 'q35', '-m', '512,slots=2,maxmem=2G', '-vga', 'none',
                '-net', 'none')
        dimm = ('-object', 'memory-backend-memfd,id=mem1,size=256M,share=on',
                '-device', 'pc-dimm,id=dimm1,memdev=mem1')
        src = self.get_vm(name='source')
        self.sim_vm(src)
        self.launch_guest(accel='mshv', vm=src, end='shell', args=args,
                          append='memhp_default_state=online_movable')
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=src,
                          failure_message='Kernel panic')
        grown = f'[ {MEMTOTAL} -eq $(($(cat /tmp/before) + 262144)) ]'
        self.guest_run(f'echo {MEMTOTAL} > /tmp/before', vm=src)
        src.cmd('object-add', qom_type='memory-backend-memfd', id='mem1',
                size=256 << 20, share=True)
        src.cmd('device_add', driver='pc-dimm', id='dimm1', memdev='mem1')
        self.guest_run(f'for i in $(seq 100); do {grown} && break; '
                       f'sleep 0.1; done; {grown}', vm=src)
        # (a tmpfs of its own: the root one is half the boot-time RAM)
        self.guest_run('mkdir -p /big && mount -t tmpfs -o size=600m big /big '
                       '&& dd if=/dev/urandom of=/big/file bs=1M count=450 '
                       '2>/dev/null && sha256sum /big/file > /tmp/big.sum',
                       vm=src)
        dst = self.get_vm(name='dest')
        self.sim_vm(dst)
        self.launch_guest(accel='mshv', vm=dst, end='shell',
                          args=(*args, *dimm, '-incoming', f'unix:{sock}'),
                          append='memhp_default_state=online_movable')
        src.cmd('migrate', uri=f'unix:{sock}')
        self.wait_migrated(src)
        self.wait_migrated(dst)
        self.guest_run('sha256sum -c /tmp/big.sum >/dev/null', vm=dst)
        self.guest_run(grown, vm=dst)
        src.shutdown()
        dst.shutdown()


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
