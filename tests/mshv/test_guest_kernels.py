#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernels users run, under -accel mshv on the MSHV simulator: Debian
trixie's (6.12) and trixie-backports' newest, from Debian's packages
(scripts/install-deps), each with the test guest's busybox initramfs and
its modules.  On each: the boot, every CPU online and running work, a
virtio-blk disk read whole and written, a file fetched over virtio-net,
virtio-rng, and the VMBus negotiated over the SynIC."""

import hashlib
import os

import mshvtest
from mshvtest import MshvSimTest

DISK_SIZE = 8 << 20


class GuestKernels(MshvSimTest):

    def boot_kernel(self, suite, machine, smp):
        """Boot SUITE's kernel on MACHINE with SMP vCPUs, its virtio
        devices and a VMBus; run the checks and compare what they read
        and fetched with the host's files."""
        disk = os.path.join(self.workdir, 'disk.img')
        image = bytes((i * 13 + i // 4096) & 0xff for i in range(DISK_SIZE))
        with open(disk, 'wb') as f:
            f.write(image)
        blob = os.urandom(1 << 20)
        with open(os.path.join(self.workdir, 'blob'), 'wb') as f:
            f.write(blob)
        with open(mshvtest.guest_file(f'kernel-version-{suite}'),
                  encoding='utf-8') as f:
            kver = f.read().strip()
        self.set_machine(machine)
        self.sim_vm()
        with mshvtest.http_served(self.workdir) as port:
            self.boot_guest(
                accel='mshv', kernel=f'bzImage-{suite}',
                initrd=f'initramfs-{suite}.cpio.gz',
                append='mshvtest=cpus,virtioblk,virtionet,virtiorng,vmbus '
                       f'VIRTIONET_URL=http://10.0.2.2:{port}/blob',
                args=('-smp', str(smp), '-vga', 'none', '-nic', 'none',
                      '-drive', f'file={disk},format=raw,if=none,id=d0',
                      '-device', 'virtio-blk-pci,drive=d0',
                      '-netdev', 'user,id=n0',
                      '-device', 'virtio-net-pci,netdev=n0',
                      '-device', 'virtio-rng-pci',
                      '-device', 'vmbus-bridge'))
        # the kernel asked for, not the default guest's
        self.assertEqual(len(self.console_lines(
            rf'Linux version {kver.replace("+", "[+]")} ')), 1)
        self.assertEqual(len(self.console_lines(
            f'cpus online: 0-{smp - 1}$')), 1)
        self.assertEqual(self.console_lines('virtioblk: read ')[0].split()[-1],
                         hashlib.sha256(image).hexdigest())
        wrote = self.console_lines('virtioblk: wrote ')[0].split()[-1]
        with open(disk, 'rb') as f:
            f.seek(1024 * 4096)
            self.assertEqual(hashlib.sha256(f.read(64 * 4096)).hexdigest(),
                             wrote)
        self.assertEqual(self.console_lines('virtionet: got ')[0].split()[-1],
                         hashlib.sha256(blob).hexdigest())
        self.assertEqual(len(self.console_lines(
            r'hv_vmbus: Vmbus version:\d+\.\d+')), 1)
        for check in ('cpus', 'virtioblk', 'virtionet', 'virtiorng',
                      'vmbus'):
            self.assertEqual(len(self.console_lines(
                f'QEMU-GUEST-CHECK: {check} ok')), 1)

    def test_trixie_q35_smp2(self):
        self.boot_kernel('trixie', 'q35', 2)

    def test_trixie_pc_smp4(self):
        self.boot_kernel('trixie', 'pc', 4)

    def test_trixie_backports_q35_smp2(self):
        self.boot_kernel('trixie-backports', 'q35', 2)

    def test_trixie_backports_pc_smp4(self):
        self.boot_kernel('trixie-backports', 'pc', 4)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
