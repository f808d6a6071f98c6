#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A Debian bookworm guest as users run one, under -accel mshv on the MSHV
simulator: the disk scripts/make-debian-guest makes (systemd,
openssh-server, Debian's kernel) on virtio-blk, booted through firmware
-- SeaBIOS through the MBR and SYSLINUX, OVMF through systemd-boot -- on
q35 with virtio-net on QEMU's user network.  systemd must reach
multi-user.target with no failed unit; the host logs in over SSH through
a forwarded port and runs commands; "systemctl poweroff" ends QEMU."""

import os
import socket
import subprocess
import time

import mshvtest
from mshvtest import MshvSimTest

GUEST_DIR = mshvtest.cache_dir() / 'debian-guest'
# A systemd boot through firmware takes about a minute on the simulator on
# the project's 2-core machines.
BOOT_TIMEOUT = 300


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class DebianGuest(MshvSimTest):

    timeout = 600

    def ssh(self, port, command, timeout=60):
        """Run COMMAND in the guest as root over SSH; the result."""
        return subprocess.run(
            ['ssh', '-i', str(GUEST_DIR / 'id_ed25519'), '-p', str(port),
             '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
             '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
             '-o', 'ConnectTimeout=20', 'root@127.0.0.1', command],
            capture_output=True, text=True, check=False,
            timeout=timeout * mshvtest.TIMEOUT_SCALE,
            stdin=subprocess.DEVNULL)

    def boot_debian(self, firmware, smp):
        """Boot the Debian disk through FIRMWARE (extra QEMU options) with
        SMP vCPUs; log in over SSH, check systemd and the CPUs, power
        off."""
        disk = GUEST_DIR / 'disk.raw'
        self.assertTrue(disk.exists(),
                        f'{disk} is missing: run scripts/make-debian-guest')
        port = free_port()
        self.set_machine('q35')
        self.sim_vm()
        self.vm.set_console()
        self.vm.add_args(
            '-accel', 'mshv', '-m', '1024', '-smp', str(smp), *firmware,
            '-vga', 'none', '-nic', 'none',
            # the image stays as made: the guest's writes go to a
            # temporary overlay
            '-drive', f'file={disk},format=raw,if=none,id=d0,snapshot=on',
            '-device', 'virtio-blk-pci,drive=d0,bootindex=0',
            '-netdev', f'user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22',
            '-device', 'virtio-net-pci,netdev=n0')
        start = time.monotonic()
        self.vm.launch()
        self.wait_console('debian-mshv login:', timeout=BOOT_TIMEOUT,
                          failure_message='Kernel panic')
        booted = time.monotonic() - start
        # sshd may come up just after the login prompt
        deadline = time.monotonic() + 60 * mshvtest.TIMEOUT_SCALE
        while True:
            res = self.ssh(port, 'systemctl is-system-running --wait')
            if res.returncode != 255 or time.monotonic() > deadline:
                break
            time.sleep(2)
        self.assertNotEqual(res.returncode, 255,
                            f'no SSH login: {res.stderr.strip()}')
        state = res.stdout.strip()
        failed = self.ssh(port, 'systemctl --failed --no-legend --plain')
        self.assertEqual((state, failed.stdout.strip()), ('running', ''),
                         'systemd did not boot cleanly')
        res = self.ssh(port, 'systemctl is-active multi-user.target; nproc; '
                       'uname -r; cat /proc/cmdline')
        self.assertEqual(res.returncode, 0, res.stderr)
        active, nproc, kver, cmdline = res.stdout.splitlines()
        self.assertEqual(active, 'active')
        self.assertEqual(int(nproc), smp)
        self.assertIn('root=LABEL=debian-root', cmdline)
        # the connection may end before ssh hears back: QEMU's exit counts
        self.ssh(port, 'systemctl poweroff')
        self.vm.wait(timeout=120 * mshvtest.TIMEOUT_SCALE)
        self.assertEqual(self.vm.exitcode(), 0)
        self.log.info('Debian %s, %d vCPUs, %s: login prompt after %.1f s',
                      kver, smp, ' '.join(firmware) or 'SeaBIOS', booted)
        return kver

    def test_seabios_smp2(self):
        """SeaBIOS: the MBR's SYSLINUX loads the kernel and initramfs."""
        self.boot_debian((), 2)
        self.assertFalse(self.console_lines(r'efi: EFI v'))

    def test_ovmf_smp2(self):
        """OVMF: \\EFI\\BOOT\\BOOTX64.EFI (systemd-boot) on the EFI system
        partition starts the kernel's EFI stub."""
        self.boot_debian(('-bios', 'OVMF.fd'), 2)
        self.assertTrue(self.console_lines(r'efi: EFI v[\d.]+ by EDK II'))

    def test_ovmf_smp4(self):
        self.boot_debian(('-bios', 'OVMF.fd'), 4)
        self.assertTrue(self.console_lines(r'efi: EFI v[\d.]+ by EDK II'))


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
