#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The binary finds the firmware it boots with, without -L: SeaBIOS and the
linuxboot/PVH option ROMs on pc and q35, iPXE for the default NIC, qboot on
microvm, OVMF for UEFI.  These boots use TCG; the same guests under
-accel mshv are tested with the accelerator."""

import os

import mshvtest
from mshvtest import MshvBootTest


class FirmwareBoot(MshvBootTest):

    def datadir(self):
        """Where the build-tree binary looks first: its qemu-bundle."""
        bindir = os.path.dirname(os.path.realpath(self.qemu_bin))
        out = mshvtest.run_qemu(self.qemu_bin, ['-L', 'help']).stdout
        dirs = [d for d in out.splitlines()
                if d.startswith(os.path.join(bindir, 'qemu-bundle'))
                and d.endswith('/share/qemu')]
        self.assertTrue(dirs, out)
        return dirs[0]

    def test_pc_seabios_bzimage(self):
        self.set_machine('pc')
        self.boot_guest(kernel='bzImage', args=('-vga', 'none'), end='wait')
        loaded = self.assert_roms_from(self.datadir(), 'bios-256k.bin',
                                       'linuxboot_dma.bin')
        self.assertIn('linuxboot_dma.bin', loaded)

    def test_q35_seabios_pvh(self):
        self.set_machine('q35')
        self.boot_guest(kernel='vmlinux', args=('-vga', 'none'), end='wait')
        loaded = self.assert_roms_from(self.datadir(), 'bios-256k.bin',
                                       'pvh.bin')
        self.assertIn('pvh.bin', loaded)

    def test_q35_default_devices(self):
        # Default VGA and NIC: vgabios-stdvga.bin and efi-e1000e.rom.
        self.set_machine('q35')
        self.boot_guest(kernel='vmlinux', args=('-display', 'none'),
                        end='wait')
        self.assert_roms_from(self.datadir(), 'bios-256k.bin',
                              'vgabios-stdvga.bin', 'efi-e1000e.rom')

    def test_microvm_qboot(self):
        self.set_machine('microvm')
        # With ACPI, Debian's kernel sometimes spins early under TCG on
        # microvm (no PIT/HPET to calibrate against); without, it never has.
        self.vm.set_machine('microvm,acpi=off')
        self.boot_guest(kernel='vmlinux', end='wait')
        self.assert_roms_from(self.datadir(), 'bios-microvm.bin')

    def test_q35_ovmf(self):
        self.set_machine('q35')
        self.boot_guest(kernel='bzImage', end='wait',
                        args=('-bios', 'OVMF.fd', '-vga', 'none', '-net',
                              'none'))
        self.assert_roms_from(self.datadir(), 'OVMF.fd')


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
