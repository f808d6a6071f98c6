#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make install: the installed binary, with its firmware, boots the test
guest without -L."""

import os
import re
import subprocess

import mshvtest
from mshvtest import MSHV_TOP, MshvBootTest, run_qemu

FIRMWARE = ('bios-256k.bin', 'vgabios-stdvga.bin', 'efi-e1000e.rom',
            'efi-virtio.rom', 'linuxboot_dma.bin', 'pvh.bin', 'kvmvapic.bin',
            'qboot.rom', 'bios-microvm.bin', 'OVMF.fd', 'edk2-x86_64-code.fd',
            'edk2-i386-vars.fd')


class Install(MshvBootTest):

    def install(self):
        dest = os.path.join(self.workdir, 'root')
        res = subprocess.run(['make', '-C', str(MSHV_TOP), 'install-files',
                              'DESTDIR=' + dest],
                             capture_output=True, text=True, check=False)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        config = (MSHV_TOP / 'build' / 'config.mk').read_text()
        prefix = re.search(r'^MSHV_PREFIX := (.*)$', config, re.M).group(1)
        return dest + prefix

    def test_installed_binary_boots(self):
        prefix = self.install()
        qemu = os.path.join(prefix, 'bin', 'qemu-system-x86_64')
        self.assertTrue(os.access(qemu, os.X_OK), qemu)
        for name in FIRMWARE:
            path = os.path.join(prefix, 'share', 'qemu', name)
            self.assertTrue(os.path.isfile(path), path)
            self.assertFalse(os.path.islink(path), path)

        res = run_qemu(qemu, ['-accel', 'help'])
        self.assertIn('mshv', res.stdout.splitlines())

        self.set_machine('pc')
        self.boot_guest(kernel='bzImage', qemu_bin=qemu, end='wait',
                        args=('-display', 'none'))
        self.assert_roms_from(os.path.join(prefix, 'share', 'qemu'),
                              'bios-256k.bin', 'linuxboot_dma.bin',
                              'vgabios-stdvga.bin', 'efi-e1000.rom')


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
