#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The binary finds the firmware it boots with, without -L: SeaBIOS and the
linuxboot/PVH option ROMs on pc and q35, qboot on microvm, OVMF for UEFI.
These boots use TCG; the same guest under -accel mshv is tested with the
accelerator."""

import mshvtest
from mshvtest import MshvBootTest


class FirmwareBoot(MshvBootTest):

    def test_pc_seabios_bzimage(self):
        self.set_machine('pc')
        self.boot_guest(kernel='bzImage', args=('-vga', 'none'))
        self.assertTrue(self.console_lines('SeaBIOS'))

    def test_q35_seabios_pvh(self):
        self.set_machine('q35')
        self.boot_guest(kernel='vmlinux', args=('-vga', 'none'))
        self.assertTrue(self.console_lines('SeaBIOS'))

    def test_q35_default_devices(self):
        # Default VGA and NIC need vgabios-stdvga.bin and efi-e1000e.rom.
        self.set_machine('q35')
        self.boot_guest(kernel='vmlinux', args=('-display', 'none'))
        self.assertTrue(self.console_lines('iPXE'))

    def test_microvm_qboot(self):
        self.set_machine('microvm')
        self.vm.set_machine('microvm,acpi=off')
        self.boot_guest(kernel='vmlinux', append='reboot=t')

    def test_q35_ovmf(self):
        self.set_machine('q35')
        self.boot_guest(kernel='bzImage',
                        args=('-bios', 'OVMF.fd', '-vga', 'none', '-net',
                              'none'))


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
