#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make soak: a -smp 4 guest under -accel mshv on the simulator, with
virtio-blk and virtio-net I/O, first rebooting itself SOAK_REBOOTS times
(default 100), then doing I/O for SOAK_IO_MINUTES (default 60).  Every
block the guest reads is the image as the host knows it, every block it
wrote is in the image, every file it fetched has the right checksum; no
boot or round may hang.  Prints the figures as "soak: ..." lines.

Not part of make check (its length is the point); run with scripts/soak.
"""

import functools
import hashlib
import http.server
import os
import threading
import time

import mshvtest
from mshvtest import MshvSimTest

DISK_SIZE = 16 << 20
BLOB_SIZE = 4 << 20
INIT = 'QEMU-GUEST-MARKER: init reached'


def sha256_file(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Soak(MshvSimTest):

    timeout = 24 * 3600

    def setUp(self):
        super().setUp()
        self.reboots = int(os.environ.get('SOAK_REBOOTS', '100'))
        self.io_minutes = float(os.environ.get('SOAK_IO_MINUTES', '60'))
        self.disk = os.path.join(self.workdir, 'disk.img')
        with open(self.disk, 'wb') as f:
            f.write(bytes((i * 7 + i // 4096) & 0xff
                          for i in range(DISK_SIZE)))
        blob = os.path.join(self.workdir, 'blob')
        data = os.urandom(BLOB_SIZE)
        with open(blob, 'wb') as f:
            f.write(data)
        self.blob_sum = hashlib.sha256(data).hexdigest()
        handler = functools.partial(QuietHandler, directory=self.workdir)
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        self.addCleanup(self.server.shutdown)
        self.url = f'http://10.0.2.2:{self.server.server_address[1]}/blob'

    def start(self, end, vm):
        self.sim_vm(vm)
        self.launch_guest(accel='mshv', kernel='bzImage', end=end, vm=vm,
                          no_reboot=False,
                          # kernel messages only for emergencies (a
                          # panic): none split the checks' marker lines
                          append='loglevel=1 mshvtest=virtioblk,virtionet '
                                 f'VIRTIONET_URL={self.url}',
                          args=('-smp', '4', '-vga', 'none', '-nic', 'none',
                                '-drive', f'file={self.disk},format=raw,'
                                          'if=none,id=d0,cache=none',
                                '-device', 'virtio-blk-pci,drive=d0',
                                '-netdev', 'user,id=n0',
                                '-device', 'virtio-net-pci,netdev=n0'))

    def check_round(self, image_sum):
        """The guest's next virtioblk and virtionet output: it read the
        image the host had, what it wrote is in the image, it fetched the
        file whole.  Returns the image's checksum now."""
        n = self.rounds_seen
        self.rounds_seen += 1
        read = self.console_lines('virtioblk: read ')[n:]
        wrote = self.console_lines('virtioblk: wrote ')[n:]
        got = self.console_lines('virtionet: got ')[n:]
        self.assertEqual(len(read), 1)
        self.assertEqual(read[0].split()[-1], image_sum, 'a block was lost')
        with open(self.disk, 'rb') as f:
            f.seek(1024 * 4096)
            self.assertEqual(hashlib.sha256(f.read(64 * 4096)).hexdigest(),
                             wrote[0].split()[-1], 'a write was lost')
        self.assertEqual(got[0].split()[-1], self.blob_sum)
        return sha256_file(self.disk)

    def test_soak(self):
        image_sum = sha256_file(self.disk)
        self.rounds_seen = 0
        self.set_machine('q35')
        start = time.monotonic()
        self.start('reboot', self.vm)
        for _ in range(self.reboots + 1):
            self.wait_console(INIT, failure_message='Kernel panic',
                              timeout=300)
            self.wait_console('QEMU-GUEST-CHECK: virtionet ok',
                              failure_message='FAILED', timeout=300)
            image_sum = self.check_round(image_sum)
        boot_secs = (time.monotonic() - start) / (self.reboots + 1)
        print(f'soak: {self.reboots} reboots of a -smp 4 guest, '
              f'{boot_secs:.1f} s per boot with its I/O, none lost',
              flush=True)
        self.vm.kill()

        # The I/O phase: one boot, then rounds from its shell.
        vm = self.get_vm(name='io')
        self.start('shell', vm)
        self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                          failure_message='FAILED', timeout=300)
        image_sum = self.check_round(image_sum)
        rounds = 0
        deadline = time.monotonic() + self.io_minutes * 60
        io_start = time.monotonic()
        while time.monotonic() < deadline:
            rounds += 1
            self.guest_run('/checks/disk-rw virtioblk /dev/vda && '
                           'echo "virtionet: got $(wget -q -O - '
                           f'{self.url} | sha256sum | cut -d" " -f1)"',
                           vm=vm, timeout=300)
            image_sum = self.check_round(image_sum)
        minutes = (time.monotonic() - io_start) / 60
        mib = rounds * (DISK_SIZE + 2 * 64 * 4096 + BLOB_SIZE) / (1 << 20)
        print(f'soak: {rounds} I/O rounds in {minutes:.1f} min, '
              f'{mib:.0f} MiB read, written and fetched, every checksum '
              'right', flush=True)
        vm.kill()


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
