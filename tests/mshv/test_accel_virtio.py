#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio devices under -accel mshv, on the MSHV simulator, and the fast
paths they take: doorbells as ioeventfds the hypervisor signals (no vCPU
exit), and interrupts as irqfds the hypervisor delivers through the MSI
routing table (no hypercall from QEMU), shown by the simulator's
counters."""

import functools
import hashlib
import http.server
import os
import threading

import mshvtest
from mshvtest import MshvSimTest

DISK_SIZE = 8 << 20


def counters(path):
    with open(path, encoding='utf-8') as f:
        return {k: int(v) for k, v in (line.split() for line in f)}


class AccelVirtio(MshvSimTest):

    def make_disk(self):
        path = os.path.join(self.workdir, 'disk.img')
        data = bytes((i * 7 + i // 4096) & 0xff for i in range(DISK_SIZE))
        with open(path, 'wb') as f:
            f.write(data)
        return path, hashlib.sha256(data).hexdigest()

    def virtio_blk(self, machine, device, *extra):
        disk, digest = self.make_disk()
        cnt = os.path.join(self.workdir, 'counters.txt')
        os.environ['MSHV_SIM_COUNTERS'] = cnt
        try:
            self.set_machine(machine)
            self.sim_vm()
            self.boot_guest(accel='mshv', append='mshvtest=virtioblk',
                            args=('-vga', 'none', '-net', 'none',
                                  '-drive', f'file={disk},format=raw,'
                                  'if=none,id=d0',
                                  '-device', f'{device},drive=d0', *extra))
        finally:
            del os.environ['MSHV_SIM_COUNTERS']
        read = self.console_lines('virtioblk: read ')[0].split()[-1]
        self.assertEqual(read, digest)
        wrote = self.console_lines('virtioblk: wrote ')[0].split()[-1]
        with open(disk, 'rb') as f:
            f.seek(1024 * 4096)
            self.assertEqual(hashlib.sha256(f.read(64 * 4096)).hexdigest(),
                             wrote)
        self.assertEqual(len(self.console_lines('CHECK: virtioblk ok')), 1)
        return counters(cnt)

    def test_blk_q35_ioeventfd(self):
        """Modern virtio-pci: every queue notification is an MMIO write
        the hypervisor turns into an eventfd signal."""
        c = self.virtio_blk('q35', 'virtio-blk-pci')
        self.assertGreaterEqual(c['ioeventfd.signal'], 10)

    def test_blk_q35_iothread_irqfd(self):
        """With an iothread the device completes requests through its
        guest notifiers: MSI-X vectors become MSI routes and irqfds, and
        every doorbell and every completion interrupt bypasses both the
        vCPU and QEMU's hypercalls."""
        c = self.virtio_blk('q35', 'virtio-blk-pci,iothread=io0',
                            '-object', 'iothread,id=io0')
        self.assertGreaterEqual(c['ioeventfd.signal'], 10)
        self.assertGreaterEqual(c['interrupt.irqfd'], 10)

    def test_blk_pc_ioeventfd_off(self):
        """Without ioeventfd the notifications exit to QEMU, and the
        device still works."""
        c = self.virtio_blk('pc', 'virtio-blk-pci,ioeventfd=off')
        self.assertEqual(c['ioeventfd.signal'], 0)

    def test_blk_intx_pc(self):
        """vectors=0: no MSI-X, the device raises its PCI INTx line, a
        level-triggered IOAPIC pin; each completion's EOI comes back as
        HVMSG_X64_APIC_EOI so the line can fire again."""
        c = self.virtio_blk('pc', 'virtio-blk-pci,vectors=0')
        self.assertGreater(c['intercept.apic_eoi'], 10)
        self.assertEqual(c['interrupt.irqfd'], 0)

    def test_rng_q35(self):
        cnt = os.path.join(self.workdir, 'counters.txt')
        os.environ['MSHV_SIM_COUNTERS'] = cnt
        try:
            self.set_machine('q35')
            self.sim_vm()
            self.boot_guest(accel='mshv', append='mshvtest=virtiorng',
                            args=('-vga', 'none', '-net', 'none',
                                  '-object', 'rng-random,id=rng0,'
                                  'filename=/dev/urandom',
                                  '-device', 'virtio-rng-pci,rng=rng0'))
        finally:
            del os.environ['MSHV_SIM_COUNTERS']
        self.assertEqual(len(self.console_lines('CHECK: virtiorng ok')), 1)
        self.assertGreater(counters(cnt)['ioeventfd.signal'], 0)

    def test_net_q35(self):
        """virtio-net on QEMU's user network: the guest fetches a 4 MiB
        file from an HTTP server on the host's loopback; the checksum
        matches and the doorbells were ioeventfds."""
        blob = os.path.join(self.workdir, 'blob')
        data = os.urandom(4 << 20)
        with open(blob, 'wb') as f:
            f.write(data)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                    directory=self.workdir)
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        port = server.server_address[1]
        cnt = os.path.join(self.workdir, 'counters.txt')
        os.environ['MSHV_SIM_COUNTERS'] = cnt
        try:
            self.set_machine('q35')
            self.sim_vm()
            self.boot_guest(accel='mshv',
                            append='mshvtest=virtionet VIRTIONET_URL='
                                   f'http://10.0.2.2:{port}/blob',
                            args=('-vga', 'none', '-nic', 'none',
                                  '-netdev', 'user,id=n0',
                                  '-device', 'virtio-net-pci,netdev=n0'))
        finally:
            del os.environ['MSHV_SIM_COUNTERS']
            server.shutdown()
        got = self.console_lines('virtionet: got ')[0].split()[-1]
        self.assertEqual(got, hashlib.sha256(data).hexdigest())
        self.assertGreater(counters(cnt)['ioeventfd.signal'], 0)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
