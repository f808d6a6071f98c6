#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio devices under -accel mshv, on the MSHV simulator, and the fast
paths they take: doorbells as ioeventfds the hypervisor signals (no vCPU
exit), and interrupts as irqfds the hypervisor delivers through the MSI
routing table (no hypercall from QEMU), shown by the simulator's
counters."""

import hashlib
import os
import subprocess
import tempfile
import time

import mshvtest
from mshvtest import MshvSimTest

DISK_SIZE = 8 << 20


class AccelVirtio(MshvSimTest):

    def make_disk(self):
        path = os.path.join(self.workdir, 'disk.img')
        data = bytes((i * 7 + i // 4096) & 0xff for i in range(DISK_SIZE))
        with open(path, 'wb') as f:
            f.write(data)
        return path, hashlib.sha256(data).hexdigest()

    def run_guest(self, machine, check, args):
        """Boot the test guest on the simulator with ARGS to run CHECK (a
        check's name, then kernel parameters for it); returns the
        simulator's counters."""
        cnt = os.path.join(self.workdir, 'counters.txt')
        os.environ['MSHV_SIM_COUNTERS'] = cnt
        try:
            self.set_machine(machine)
            self.sim_vm()
            self.boot_guest(accel='mshv', append=f'mshvtest={check}',
                            args=('-vga', 'none', '-net', 'none', *args))
        finally:
            del os.environ['MSHV_SIM_COUNTERS']
        name = check.split()[0]
        self.assertEqual(len(self.console_lines(f'CHECK: {name} ok')), 1)
        return mshvtest.sim_counters(cnt)

    def virtio_disk(self, machine, check, devices):
        """A disk image behind DEVICES (which use drive d0): the guest
        reads it whole and writes to it; both checked from the host."""
        disk, digest = self.make_disk()
        c = self.run_guest(machine, check,
                           ('-drive', f'file={disk},format=raw,if=none,id=d0',
                            *devices))
        self.check_disk_io(check, disk, digest)
        return c

    def check_disk_io(self, check, disk, digest):
        """What the guest's CHECK read is the image, what it wrote is in
        the image."""
        read = self.console_lines(f'{check}: read ')[0].split()[-1]
        self.assertEqual(read, digest)
        wrote = self.console_lines(f'{check}: wrote ')[0].split()[-1]
        with open(disk, 'rb') as f:
            f.seek(1024 * 4096)
            self.assertEqual(hashlib.sha256(f.read(64 * 4096)).hexdigest(),
                             wrote)

    def virtio_blk(self, machine, device, *extra):
        return self.virtio_disk(machine, 'virtioblk',
                                ('-device', f'{device},drive=d0', *extra))

    def virtio_scsi(self, machine, device, *extra):
        return self.virtio_disk(machine, 'virtioscsi',
                                ('-device', f'{device},id=scsi0',
                                 '-device', 'scsi-hd,drive=d0,bus=scsi0.0',
                                 *extra))

    def test_blk_microvm(self):
        """-M microvm as it comes (ACPI on), through qboot into the kernel:
        a virtio-mmio disk the guest reads whole and writes to; then it
        powers off and QEMU exits.  The guest takes every interrupt
        through the IOAPICs, with LINT0 masked and the 8259 never
        programmed.  The PIT still ticks into the 8259, whose vectors are
        then 0-7: none may reach the CPU (vector 0 is a divide error)."""
        disk, digest = self.make_disk()
        self.set_machine('microvm')
        self.sim_vm()
        self.boot_guest(accel='mshv', append='mshvtest=virtioblk',
                        args=('-drive', f'file={disk},format=raw,if=none,'
                              'id=d0',
                              '-device', 'virtio-blk-device,drive=d0'))
        self.assertEqual(len(self.console_lines('CHECK: virtioblk ok')), 1)
        self.check_disk_io('virtioblk', disk, digest)

    def test_microvm_acpi_off(self):
        """microvm without ACPI, two vCPUs (from the MP table): the guest
        runs work on each, then reboots by triple fault (reboot=t, as
        QEMU's microvm documentation recommends), which -no-reboot makes
        QEMU's exit.  (Without ACPI the guest can neither power off nor
        find a virtio-mmio device: Debian's kernel takes none from its
        command line.)"""
        self.set_machine('microvm')
        self.vm.set_machine('microvm,acpi=off')
        self.sim_vm()
        self.boot_guest(accel='mshv', append='mshvtest=cpus reboot=t',
                        end='reboot', args=('-smp', '2'))
        self.assertEqual(len(self.console_lines('cpus online: 0-1$')), 1)

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

    def virtio_rng(self, machine, device):
        return self.run_guest(machine, 'virtiorng',
                              ('-object', 'rng-random,id=rng0,'
                               'filename=/dev/urandom',
                               '-device', f'{device},rng=rng0'))

    def test_rng_q35(self):
        self.assertGreater(self.virtio_rng('q35', 'virtio-rng-pci')
                           ['ioeventfd.signal'], 0)

    def test_rng_pc_intx(self):
        c = self.virtio_rng('pc', 'virtio-rng-pci,vectors=0')
        self.assertGreater(c['intercept.apic_eoi'], 0)

    def test_vhost_user_blk_q35(self):
        """vhost-user-blk served by qemu-storage-daemon: the daemon takes
        the queue kicks from the ioeventfds the hypervisor signals and
        completes requests through irqfds, reading and writing guest
        memory itself; QEMU sees none of it."""
        qsd = os.path.join(os.environ['QEMU_BUILD_ROOT'], 'storage-daemon',
                           'qemu-storage-daemon')
        disk, digest = self.make_disk()
        # (a socket path must be short: not in the test's work directory)
        tmp = tempfile.TemporaryDirectory(prefix='mshv-vhost-')
        self.addCleanup(tmp.cleanup)
        sock = os.path.join(tmp.name, 'vhost.sock')
        daemon = subprocess.Popen(
            [qsd, '--blockdev', f'driver=file,node-name=file0,filename={disk}',
             '--blockdev', 'driver=raw,node-name=disk0,file=file0',
             '--export', 'type=vhost-user-blk,id=exp0,node-name=disk0,'
             f'addr.type=unix,addr.path={sock},writable=on'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.addCleanup(daemon.wait, 30)
        self.addCleanup(daemon.terminate)
        deadline = time.monotonic() + 30
        while not os.path.exists(sock) and time.monotonic() < deadline:
            self.assertIsNone(daemon.poll(), 'qemu-storage-daemon exited')
            time.sleep(0.1)
        c = self.run_guest('q35', 'virtioblk',
                           ('-chardev', f'socket,id=vu0,path={sock}',
                            '-device', 'vhost-user-blk-pci,chardev=vu0'))
        self.check_disk_io('virtioblk', disk, digest)
        self.assertGreaterEqual(c['ioeventfd.signal'], 10)
        self.assertGreaterEqual(c['interrupt.irqfd'], 10)

    def test_scsi_q35_iothread_irqfd(self):
        """virtio-scsi on an iothread: doorbells as ioeventfds and
        completions as irqfds, as for virtio-blk."""
        c = self.virtio_scsi('q35', 'virtio-scsi-pci,iothread=io0',
                             '-object', 'iothread,id=io0')
        self.assertGreaterEqual(c['ioeventfd.signal'], 10)
        self.assertGreaterEqual(c['interrupt.irqfd'], 10)

    def test_scsi_pc_intx(self):
        c = self.virtio_scsi('pc', 'virtio-scsi-pci,vectors=0')
        self.assertGreater(c['intercept.apic_eoi'], 10)
        self.assertEqual(c['interrupt.irqfd'], 0)

    def test_scsi_discard(self):
        """virtio-scsi with discard=unmap: the guest discards 4 MiB of its
        disk (blkdiscard, SCSI UNMAP) and the host's raw image gives those
        blocks back -- a hole that reads as zeros -- the rest intact."""
        disk, _ = self.make_disk()
        with open(disk, 'rb') as f:
            data = f.read()
        before = os.stat(disk).st_blocks
        self.run_guest('q35', 'discard',
                       ('-drive', f'file={disk},format=raw,if=none,id=d0,'
                        'discard=unmap', '-device', 'virtio-scsi-pci,id=scsi0',
                        '-device', 'scsi-hd,drive=d0,bus=scsi0.0'))
        start, length = 1 << 20, 4 << 20
        self.assertLessEqual(os.stat(disk).st_blocks,
                             before - length // 512)
        with open(disk, 'rb') as f:
            after = f.read()
        self.assertEqual(after[start:start + length], bytes(length))
        self.assertEqual(after[:start], data[:start])
        self.assertEqual(after[start + length:], data[start + length:])

    def virtio_net(self, machine, device):
        """virtio-net on QEMU's user network: the guest fetches a 4 MiB
        file from an HTTP server on the host's loopback; the checksum
        must match."""
        blob = os.path.join(self.workdir, 'blob')
        data = os.urandom(4 << 20)
        with open(blob, 'wb') as f:
            f.write(data)
        with mshvtest.http_served(self.workdir) as port:
            c = self.run_guest(machine, 'virtionet VIRTIONET_URL='
                               f'http://10.0.2.2:{port}/blob',
                               ('-nic', 'none', '-netdev', 'user,id=n0',
                                '-device', f'{device},netdev=n0'))
        got = self.console_lines('virtionet: got ')[0].split()[-1]
        self.assertEqual(got, hashlib.sha256(data).hexdigest())
        return c

    def test_net_q35(self):
        """The doorbells were ioeventfds."""
        self.assertGreater(self.virtio_net('q35', 'virtio-net-pci')
                           ['ioeventfd.signal'], 0)

    def test_net_pc_intx_ioeventfd_off(self):
        """No MSI-X and no ioeventfd: INTx through the IOAPIC, doorbells
        exit to QEMU."""
        c = self.virtio_net('pc', 'virtio-net-pci,vectors=0,ioeventfd=off')
        self.assertEqual(c['ioeventfd.signal'], 0)
        self.assertGreater(c['intercept.apic_eoi'], 0)


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
