#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a virtualization host's domains use, built in and working under
-accel mshv on the simulator: the seccomp sandbox, VNC, a TPM backed by
swtpm, virtfs, and disks on Linux AIO and io_uring."""

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

import mshvtest
from mshvtest import MshvSimTest

DISK_SIZE = 8 << 20
NO_DEVICES = ('-vga', 'none', '-net', 'none')


class AccelHostBuild(MshvSimTest):

    def swtpm(self, tmp, name='tpm'):
        """A TPM 2.0 emulator NAME on a control socket in TMP; stopped at
        the test's end."""
        state = os.path.join(tmp, name)
        sock = os.path.join(tmp, f'{name}.sock')
        os.mkdir(state)
        proc = subprocess.Popen(
            ['swtpm', 'socket', '--tpm2', '--tpmstate', f'dir={state}',
             '--ctrl', f'type=unixio,path={sock}', '--flags',
             'startup-clear'],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(proc.kill)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            self.assertIsNone(proc.poll(), 'swtpm exited')
            self.assertLess(time.monotonic(), deadline, 'no swtpm socket')
            time.sleep(0.05)
        return sock

    @staticmethod
    def tpm_args(sock, device='tpm-tis'):
        """QEMU's options for a TPM DEVICE on the swtpm at SOCK."""
        return ('-chardev', f'socket,id=chrtpm,path={sock}',
                '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
                '-device', f'{device},tpmdev=tpm0')

    def boot_q35(self, check, *args, end='poweroff'):
        """Boot the test guest on q35 with ARGS to run CHECK."""
        self.set_machine('q35')
        self.sim_vm()
        self.boot_guest(accel='mshv', kernel='bzImage',
                        append=f'mshvtest={check}', end=end,
                        args=(*NO_DEVICES, *args))

    def test_sandbox_vnc_tpm(self):
        """-sandbox on, a VNC server (it answers with the RFB greeting)
        and a TPM 2.0 on swtpm that the guest's driver finds and reads a
        PCR from."""
        self.assertIsNotNone(shutil.which('swtpm'),
                             'no swtpm: run scripts/install-deps')
        tmp = tempfile.mkdtemp(prefix='mshv-host-')
        self.addCleanup(shutil.rmtree, tmp, True)
        tpm = self.swtpm(tmp)
        vnc = os.path.join(tmp, 'vnc.sock')
        self.boot_q35('tpm', '-sandbox', 'on', '-vnc', f'unix:{vnc}',
                      *self.tpm_args(tpm), end='wait')
        self.assertRegex(self.console_lines('tpm: version')[0],
                         r'tpm: version 2, PCR 0 [0-9A-F]{64}$')
        self.assertTrue(self.vm.cmd('query-vnc')['enabled'])
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(vnc)
            self.assertEqual(s.recv(12), b'RFB 003.008\n')
        self.vm.shutdown()

    def test_measured_boot_ovmf_crb(self):
        """Measured boot: OVMF on a TPM 2.0 (swtpm behind tpm-crb)
        extends PCR 0 with what it booted, and the guest's CRB driver
        reads it back not all zeros."""
        self.assertIsNotNone(shutil.which('swtpm'),
                             'no swtpm: run scripts/install-deps')
        tmp = tempfile.mkdtemp(prefix='mshv-host-')
        self.addCleanup(shutil.rmtree, tmp, True)
        tpm = self.swtpm(tmp)
        self.boot_q35('tpm', '-bios', 'OVMF.fd',
                      *self.tpm_args(tpm, 'tpm-crb'))
        pcr0 = self.console_lines('tpm: version')[0].rsplit(' ', 1)[1]
        self.assertRegex(pcr0, r'^[0-9A-F]{64}$')
        self.assertNotEqual(pcr0, '0' * 64)

    def test_tpm_state_migrates(self):
        """Live migration with a vTPM: the destination's swtpm, fresh,
        gets the source's TPM state -- the guest reads the same PCR 0
        (SeaBIOS measured the boot into it) after the move."""
        self.assertIsNotNone(shutil.which('swtpm'),
                             'no swtpm: run scripts/install-deps')
        tmp = tempfile.mkdtemp(prefix='mshv-host-')
        self.addCleanup(shutil.rmtree, tmp, True)
        pcr0 = '/sys/class/tpm/tpm0/pcr-sha256/0'
        vms = []
        for name in ('source', 'dest'):
            tpm = self.swtpm(tmp, name)
            vm = self.get_vm(name=name)
            self.sim_vm(vm)
            incoming = ('-incoming', f'unix:{tmp}/migrate.sock') if vms else ()
            self.launch_guest(accel='mshv', vm=vm, kernel='bzImage',
                              end='shell',
                              args=('-M', 'q35', *NO_DEVICES,
                                    *self.tpm_args(tpm), *incoming))
            if not vms:
                self.wait_console('QEMU-GUEST-MARKER: shell', vm=vm,
                                  failure_message='Kernel panic')
                self.guest_run(f'cat {pcr0} > /tmp/pcr0 && '
                               "! grep -q '^0*$' /tmp/pcr0", vm=vm)
            vms.append(vm)
        src, dst = vms
        src.cmd('migrate', uri=f'unix:{tmp}/migrate.sock')
        self.wait_migrated(src)
        self.wait_migrated(dst)
        self.guest_run(f'cmp {pcr0} /tmp/pcr0', vm=dst)
        src.shutdown()
        dst.shutdown()

    def test_tpm_state_in_snapshot(self):
        """savevm/loadvm with a vTPM: the snapshot holds the TPM's state.
        PCR 16 is extended after savevm (a raw TPM2_PCR_Extend from the
        guest); loadvm brings back the TPM as it was, PCR 16 unextended."""
        self.assertIsNotNone(shutil.which('swtpm'),
                             'no swtpm: run scripts/install-deps')
        tmp = tempfile.mkdtemp(prefix='mshv-host-')
        self.addCleanup(shutil.rmtree, tmp, True)
        disk = os.path.join(tmp, 'disk.qcow2')
        subprocess.run([self.build_file('qemu-img'), 'create', '-q', '-f',
                        'qcow2', disk, '16M'], check=True)
        tpm = self.swtpm(tmp)
        self.set_machine('q35')
        self.sim_vm()
        self.launch_guest(accel='mshv', kernel='bzImage', end='shell',
                          args=(*NO_DEVICES,
                                '-drive', f'if=none,id=d0,file={disk},'
                                'format=qcow2',
                                *self.tpm_args(tpm)))
        self.wait_console('QEMU-GUEST-MARKER: shell',
                          failure_message='Kernel panic')
        pcr16 = '/sys/class/tpm/tpm0/pcr-sha256/16'
        self.guest_run(f"grep -q '^0*$' {pcr16}")
        out = self.hmp('savevm snap1')
        self.assertNotIn('rror', out)
        self.guest_run(f"/checks/tpmextend && ! grep -q '^0*$' {pcr16}")
        out = self.hmp('loadvm snap1')
        self.assertNotIn('rror', out)
        self.guest_run(f"grep -q '^0*$' {pcr16}")
        # and the TPM still works from there
        self.guest_run(f"/checks/tpmextend && ! grep -q '^0*$' {pcr16}")
        self.vm.shutdown()

    def test_virtfs(self):
        """-virtfs: the guest mounts a host directory over virtio-9p,
        reads what the host put there and writes a file the host reads."""
        shared = os.path.join(self.workdir, 'shared')
        os.mkdir(shared)
        with open(os.path.join(shared, 'from-host'), 'w') as f:
            f.write('put there by the host\n')
        self.boot_q35('virtfs', '-virtfs', f'local,path={shared},'
                      'mount_tag=host0,security_model=none')
        self.assertEqual(len(self.console_lines(
            'virtfs: read put there by the host$')), 1)
        with open(os.path.join(shared, 'from-guest')) as f:
            self.assertEqual(f.read(), 'written by the guest\n')

    def disk_with(self, aio):
        """A virtio-blk disk on AIO backend AIO (O_DIRECT, as with
        cache='none' in libvirt): the guest reads it whole and writes to
        it, both checked from the host."""
        disk = os.path.join(self.workdir, 'disk.img')
        data = bytes((i * 7 + i // 4096) & 0xff for i in range(DISK_SIZE))
        with open(disk, 'wb') as f:
            f.write(data)
        self.boot_q35('virtioblk', '-drive',
                      f'file={disk},format=raw,if=none,id=d0,aio={aio},'
                      'cache.direct=on', '-device', 'virtio-blk-pci,drive=d0')
        read = self.console_lines('virtioblk: read ')[0].split()[-1]
        self.assertEqual(read, hashlib.sha256(data).hexdigest())
        wrote = self.console_lines('virtioblk: wrote ')[0].split()[-1]
        with open(disk, 'rb') as f:
            f.seek(1024 * 4096)
            self.assertEqual(hashlib.sha256(f.read(64 * 4096)).hexdigest(),
                             wrote)

    def test_disk_linux_aio(self):
        self.disk_with('native')

    def test_disk_io_uring(self):
        self.disk_with('io_uring')


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
