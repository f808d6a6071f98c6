#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt drives qemu-mshv: trixie-backports' libvirt (in the root that
scripts/install-upstream makes, its daemon started by scripts/libvirt-run)
with our QEMU, on the MSHV simulator, as <domain type='hyperv'>.  The
capability probe records MSHV; domains boot by direct kernel boot and
through UEFI firmware, with the host's CPU and with a named model; they
reset, reboot, power off, are destroyed and undefined; snapshots revert;
a domain moves live to a second daemon; disks with io='native' and
io='io_uring', a TPM on swtpm and VNC graphics work."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import mshvtest
from mshvtest import MshvSimTest, cache_dir, guest_file, sim_preload

LIBVIRT_RUN = str(mshvtest.MSHV_TOP / 'scripts' / 'libvirt-run')
ROOT = Path(os.environ.get('MSHV_LIBVIRT_ROOT',
                           cache_dir() / 'upstream-root'))
SHELL = 'QEMU-GUEST-MARKER: shell'


class Libvirt(MshvSimTest):

    timeout = 600

    def setUp(self):
        super().setUp()
        if not (ROOT / 'usr' / 'sbin' / 'libvirtd').exists():
            self.fail(f'no libvirt in {ROOT}: run scripts/install-upstream')
        self.daemons = []
        self.consoles = {}
        self._commands = 0

    def tearDown(self):
        for sock in self.consoles.values():
            sock.close()
        for d in self.daemons:
            subprocess.run([LIBVIRT_RUN, 'stop', d], check=False)
            for log in Path(d).glob('*.log'):
                shutil.copy(log, self.outputdir)
            shutil.rmtree(d, ignore_errors=True)
        super().tearDown()

    # ---- The daemon ------------------------------------------------------

    def daemon(self, host=None):
        """A libvirt daemon of its own (its directory: the socket paths
        must be short, so not in the test's work directory); HOST: the
        simulated host's processor profile."""
        d = tempfile.mkdtemp(prefix='mshv-lv-')
        self.daemons.append(d)
        subprocess.run([LIBVIRT_RUN, 'start', d, '--hv', self.qemu_bin,
                        '--preload', sim_preload(),
                        *(['--host', host] if host else [])], check=True)
        return d

    def virsh(self, d, *args, check=True):
        r = subprocess.run([LIBVIRT_RUN, 'virsh', d, *args],
                           capture_output=True, text=True, timeout=300,
                           check=False)
        self.log.info('virsh %s: %s%s', ' '.join(args), r.stdout, r.stderr)
        if check:
            self.assertEqual(r.returncode, 0,
                             f'virsh {" ".join(args)}: {r.stderr}')
        return r

    def state(self, d, name):
        return self.virsh(d, 'domstate', name).stdout.strip()

    def wait_state(self, d, name, state, timeout=60):
        deadline = time.monotonic() + timeout
        while self.state(d, name) != state:
            self.assertLess(time.monotonic(), deadline,
                            f'{name} not {state} after {timeout} s')
            time.sleep(0.5)

    # ---- Domains -----------------------------------------------------------

    def domain_xml(self, d, name, end='shell', append='', cpu=None,
                   loader='', devices='', console=None):
        """A <domain type='hyperv'> booting the test guest's kernel, its
        serial console a socket (for commands) logged to a file."""
        console = console or d
        cpu = cpu or "<cpu mode='host-passthrough'/>"
        return f"""<domain type='hyperv'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <memoryBacking>
    <source type='memfd'/>
    <access mode='shared'/>
  </memoryBacking>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    {loader}
    <kernel>{guest_file('bzImage')}</kernel>
    <initrd>{guest_file('initramfs.cpio.gz')}</initrd>
    <cmdline>console=ttyS0 panic=-1 mshvend={end} {append}</cmdline>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  {cpu}
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>{d}/emulator</emulator>
    <serial type='unix'>
      <source mode='bind' path='{console}/{name}.sock'/>
      <log file='{console}/{name}.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='unix'>
      <source mode='bind' path='{console}/{name}.sock'/>
      <target type='serial' port='0'/>
    </console>
    {devices}
  </devices>
</domain>
"""

    def define(self, d, name, **kwargs):
        path = os.path.join(d, name + '.xml')
        Path(path).write_text(self.domain_xml(d, name, **kwargs))
        self.virsh(d, 'define', path)
        return path

    def console_log(self, d, name):
        path = Path(d) / (name + '.log')
        return path.read_text(errors='replace') if path.exists() else ''

    def wait_log(self, d, name, pattern, count=1, failure='Kernel panic',
                 timeout=mshvtest.BOOT_TIMEOUT):
        """The domain's console has shown PATTERN COUNT times."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.console_log(d, name)
            if failure and failure in text:
                self.fail(f'{name}: "{failure}" on the console')
            if text.count(pattern) >= count:
                return text
            self.assertLess(time.monotonic(), deadline,
                            f'{name}: no "{pattern}" (x{count}) on the '
                            f'console after {timeout} s')
            time.sleep(0.2)

    @staticmethod
    def _drain(sock):
        # What the guest writes is read from the log file; unread, it
        # would fill the socket and stall the guest's serial port.
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    def send(self, d, name, line):
        key = (d, name)
        if key not in self.consoles:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(os.path.join(d, name + '.sock'))
            threading.Thread(target=self._drain, args=(sock,),
                             daemon=True).start()
            self.consoles[key] = sock
        self.consoles[key].sendall(line.encode() + b'\n')

    def drop_console(self, d, name):
        sock = self.consoles.pop((d, name), None)
        if sock:
            sock.close()

    def guest_run(self, d, name, command, timeout=mshvtest.BOOT_TIMEOUT):
        """COMMAND in the guest's shell (end='shell') succeeds."""
        self._commands += 1
        tag = f'LIBVIRT-COMMAND-{self._commands}'
        self.send(d, name, f'if {command}; then echo "{tag} ok"; '
                           f'else echo "{tag} FAILED"; fi')
        return self.wait_log(d, name, f'{tag} ok',
                             failure=f'{tag} FAILED', timeout=timeout)

    def qemu_cmdline(self, name):
        """The command line of the domain's QEMU process."""
        for proc in Path('/proc').iterdir():
            try:
                args = (proc / 'cmdline').read_bytes().split(b'\0')
            except OSError:
                continue
            if b'-name' in args and \
                    args[args.index(b'-name') + 1].startswith(
                        f'guest={name},'.encode()):
                return [a.decode() for a in args]
        self.fail(f'no QEMU process of {name}')

    # ---- Tests -------------------------------------------------------------

    def test_domcapabilities(self):
        """The capability probe records MSHV: domain type hyperv, with
        the CPU modes of a hardware accelerator."""
        d = self.daemon()
        caps = self.virsh(d, 'domcapabilities', '--virttype', 'hyperv',
                          '--emulatorbin', f'{d}/emulator').stdout
        wanted = ['<domain>hyperv</domain>', "<value>memfd</value>"] + \
            [f"<mode name='{mode}' supported='yes'" for mode in
             ('host-passthrough', 'maximum', 'host-model', 'custom')]
        self.assertEqual([w for w in wanted if w not in caps], [])
        q35 = self.virsh(d, 'domcapabilities', '--virttype', 'hyperv',
                         '--emulatorbin', f'{d}/emulator', '--machine',
                         'q35').stdout
        self.assertTrue(re.search(r'<machine>pc-q35-[0-9.]+</machine>', q35),
                        'no q35 machine')

    def test_documented_xml(self):
        """The domain XML of docs/system/mshv.rst, as it stands there but
        for its paths and the simulator's shared memory, boots."""
        doc = (mshvtest.MSHV_TOP / 'docs' / 'system' / 'mshv.rst').read_text()
        m = re.search(r"\n(  <domain type='hyperv'>.*?  </domain>)\n", doc,
                      re.S)
        self.assertTrue(m, 'no domain XML in docs/system/mshv.rst')
        d = self.daemon()
        xml = m.group(1)
        for old, new in (('/path/to/bzImage', guest_file('bzImage')),
                         ('/path/to/initramfs.cpio.gz',
                          guest_file('initramfs.cpio.gz')),
                         ('console=ttyS0', 'console=ttyS0 mshvend=shell'),
                         ('/usr/local/bin/qemu-system-x86_64',
                          f'{d}/emulator'),
                         ('/run/mshv1.sock', f'{d}/mshv1.sock'),
                         ('/var/log/mshv1-console.log', f'{d}/mshv1.log'),
                         ('  <os>', "  <memoryBacking><source type='memfd'/>"
                          "<access mode='shared'/></memoryBacking>\n  <os>")):
            self.assertIn(old, xml)
            xml = xml.replace(old, new)
        Path(d, 'doc.xml').write_text(xml)
        self.virsh(d, 'define', f'{d}/doc.xml')
        self.virsh(d, 'start', 'mshv1')
        self.wait_log(d, 'mshv1', SHELL)
        self.guest_run(d, 'mshv1', 'grep -qx 0-1 /sys/devices/system/cpu/online')
        self.virsh(d, 'destroy', 'mshv1')

    def test_lifecycle(self):
        """define, start, commands on the console, virsh reset, a reboot
        by the guest, destroy, undefine; the QEMU is ours, on MSHV."""
        d = self.daemon()
        self.define(d, 'life')
        self.virsh(d, 'start', 'life')
        self.wait_log(d, 'life', SHELL)
        self.assertIn('-accel', self.qemu_cmdline('life'))
        self.assertIn('mshv', self.qemu_cmdline('life'))
        self.guest_run(d, 'life', '/checks/cpus')
        self.guest_run(d, 'life', 'grep -q "Hyper-V" /proc/cpuinfo || '
                       'dmesg | grep -q "Hypervisor detected: Microsoft'
                       ' Hyper-V"')
        self.virsh(d, 'reset', 'life')
        self.wait_log(d, 'life', SHELL, count=2)
        self.send(d, 'life', 'reboot -f')
        self.wait_log(d, 'life', SHELL, count=3)
        self.assertEqual(self.state(d, 'life'), 'running')
        self.virsh(d, 'destroy', 'life')
        self.assertEqual(self.state(d, 'life'), 'shut off')
        self.virsh(d, 'undefine', 'life')
        self.assertEqual(self.virsh(d, 'list', '--all', '--name')
                         .stdout.strip(), '')

    def test_firmware_named_model(self):
        """UEFI firmware (OVMF, its variables from the template) and a
        named CPU model; the guest powers itself off, and the domain is
        shut off."""
        d = self.daemon()
        fw = Path(self.qemu_bin).parent / 'qemu-bundle' / 'usr' / 'local' / \
            'share' / 'qemu'
        loader = (f"<loader readonly='yes' type='pflash'>"
                  f"{fw}/edk2-x86_64-code.fd</loader>"
                  f"<nvram template='{fw}/edk2-i386-vars.fd'>"
                  f"{d}/fw_VARS.fd</nvram>")
        self.define(d, 'fw', end='poweroff', append='mshvtest=cpuinfo',
                    loader=loader,
                    cpu="<cpu mode='custom' match='exact'>"
                        "<model fallback='forbid'>Nehalem</model></cpu>")
        self.virsh(d, 'start', 'fw')
        log = self.wait_log(d, 'fw', mshvtest.GUEST_DONE + ' ok',
                            timeout=180)
        self.assertIn('Nehalem', log)
        self.assertTrue(os.path.exists(f'{d}/fw_VARS.fd'))
        self.wait_state(d, 'fw', 'shut off')

    def test_snapshot_revert(self):
        """snapshot-create-as of the running domain (qcow2 disk, memory
        and all), then snapshot-revert: the guest is back where it was."""
        d = self.daemon()
        disk = os.path.join(d, 'snap.qcow2')
        subprocess.run([self.build_file('qemu-img'), 'create', '-q', '-f',
                        'qcow2', disk, '64M'], check=True)
        self.define(d, 'snap', devices=f"""<disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>""")
        self.virsh(d, 'start', 'snap')
        self.wait_log(d, 'snap', SHELL)
        self.guest_run(d, 'snap', 'echo before > /tmp/mark')
        self.virsh(d, 'snapshot-create-as', 'snap', 'snap1')
        self.guest_run(d, 'snap', 'echo after > /tmp/mark')
        # (libvirt may start a new QEMU for it: a new console socket)
        self.drop_console(d, 'snap')
        self.virsh(d, 'snapshot-revert', 'snap', 'snap1')
        self.assertEqual(self.state(d, 'snap'), 'running')
        self.guest_run(d, 'snap', '[ "$(cat /tmp/mark)" = before ]')
        self.assertIn('snap1', self.virsh(d, 'snapshot-list', 'snap',
                                          '--name').stdout)
        self.virsh(d, 'snapshot-delete', 'snap', 'snap1')
        self.virsh(d, 'destroy', 'snap')

    def test_migrate_live(self):
        """virsh migrate --live from one daemon to another: the guest goes
        on on the destination (its console a socket of its own there)."""
        src, dst = self.daemon(), self.daemon()
        self.define(src, 'mig')
        self.virsh(src, 'start', 'mig')
        self.wait_log(src, 'mig', SHELL)
        self.guest_run(src, 'mig', 'echo moving > /tmp/mark')
        xml = os.path.join(src, 'mig-dest.xml')
        Path(xml).write_text(self.virsh(src, 'dumpxml', '--migratable', 'mig')
                             .stdout.replace(f'{src}/mig.', f'{dst}/mig.'))
        self.drop_console(src, 'mig')
        self.virsh(src, 'migrate', '--live', '--verbose', '--xml', xml, 'mig',
                   f'qemu+unix:///system?socket={dst}/libvirt-sock',
                   'tcp://127.0.0.1')
        self.assertEqual(self.state(dst, 'mig'), 'running')
        self.assertNotEqual(self.state(src, 'mig'), 'running')
        self.guest_run(dst, 'mig', '[ "$(cat /tmp/mark)" = moving ] && '
                       '/checks/cpus')
        self.virsh(dst, 'destroy', 'mig')

    def test_cpu_baseline_across_hosts(self):
        """A fleet of two hosts with different processors (daemons on the
        Haswell and Nehalem profiles): hypervisor-cpu-baseline of both
        hosts' CPUs (their domcapabilities, concatenated) gives a CPU
        that hypervisor-cpu-compare finds each host can give, that a
        guest runs on, and on which the guest moves live from one host
        to the other; the Haswell host's own CPU is more than the
        Nehalem host can give."""
        haswell = self.daemon(host='intel-haswell')
        nehalem = self.daemon(host='intel-nehalem')
        caps = {d: self.virsh(d, 'domcapabilities', '--virttype', 'hyperv',
                              '--emulatorbin', f'{d}/emulator').stdout
                for d in (haswell, nehalem)}
        host_model = r"<mode name='host-model'[^>]*>\s*<model[^>]*>([\w-]+)<"
        self.assertEqual([re.search(host_model, caps[d]).group(1)
                          for d in (haswell, nehalem)],
                         ['Haswell-noTSX', 'Nehalem'])
        hosts = Path(haswell, 'hosts.xml')
        hosts.write_text(caps[haswell] + caps[nehalem])
        base = self.virsh(haswell, 'hypervisor-cpu-baseline', str(hosts),
                          '--virttype', 'hyperv',
                          '--emulator', f'{haswell}/emulator').stdout
        model = re.search(r"<model[^>]*>([\w-]+)<", base)
        self.assertIsNotNone(model, base)
        # (what the Nehalem host lacks is left out)
        self.assertNotRegex(model.group(1), 'Haswell|Broadwell|Skylake')
        self.assertNotRegex(base, "name='(avx2|avx|fma|movbe)'.*require")
        Path(haswell, 'baseline.xml').write_text(base)
        Path(haswell, 'haswell.xml').write_text(caps[haswell])

        def compare(d, what):
            r = self.virsh(d, 'hypervisor-cpu-compare',
                           f'{haswell}/{what}.xml', '--virttype', 'hyperv',
                           '--emulator', f'{d}/emulator', check=False)
            return r.stdout + r.stderr
        for d in (haswell, nehalem):
            self.assertRegex(compare(d, 'baseline'), 'identical|superset')
        self.assertIn('incompatible', compare(nehalem, 'haswell'))
        self.assertRegex(compare(haswell, 'haswell'), 'identical|superset')

        # The baseline runs, and moves from one host to the other.  (At
        # start libvirt also checks the vendor against the processor it
        # reads with its own CPUID: on a real host the hypervisor's, under
        # the simulator this machine's, whatever the profile; hence no
        # <vendor> here.)
        self.define(haswell, 'base',
                    cpu=re.sub(r'\s*<vendor>\w+</vendor>', '', base))
        self.virsh(haswell, 'start', 'base')
        self.wait_log(haswell, 'base', SHELL)
        xml = os.path.join(haswell, 'base-dest.xml')
        Path(xml).write_text(
            self.virsh(haswell, 'dumpxml', '--migratable', 'base')
            .stdout.replace(f'{haswell}/base.', f'{nehalem}/base.'))
        self.drop_console(haswell, 'base')
        self.virsh(haswell, 'migrate', '--live', '--xml', xml, 'base',
                   f'qemu+unix:///system?socket={nehalem}/libvirt-sock',
                   'tcp://127.0.0.1')
        self.assertEqual(self.state(nehalem, 'base'), 'running')
        self.guest_run(nehalem, 'base', '/checks/cpus')
        self.virsh(nehalem, 'destroy', 'base')

    def test_devices(self):
        """Disks with io='native' and io='io_uring' (written and read back
        past the page cache), a TPM 2.0 on swtpm, VNC graphics."""
        d = self.daemon()
        disks = ''
        for dev, io in (('vda', 'native'), ('vdb', 'io_uring')):
            img = os.path.join(d, f'{io}.img')
            with open(img, 'wb') as f:
                f.truncate(16 << 20)
            disks += f"""<disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='{io}'/>
      <source file='{img}'/>
      <target dev='{dev}' bus='virtio'/>
    </disk>"""
        self.define(d, 'dev', devices=disks + """
    <tpm model='tpm-crb'>
      <backend type='emulator' version='2.0'/>
    </tpm>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>""")
        self.virsh(d, 'start', 'dev')
        self.wait_log(d, 'dev', SHELL)
        args = ' '.join(self.qemu_cmdline('dev'))
        self.assertIn('"aio":"native"', args)
        self.assertIn('"aio":"io_uring"', args)
        self.guest_run(d, 'dev', '/checks/virtio-load virtio_blk && '
                       '/checks/disk-rw native /dev/vda && '
                       '/checks/disk-rw uring /dev/vdb && /checks/tpm')
        log = self.console_log(d, 'dev')
        for io in ('native', 'uring'):
            wrote = re.findall(f'{io}: wrote ([0-9a-f]+)', log)
            self.assertEqual(len(wrote), 1, log)
        display = self.virsh(d, 'domdisplay', 'dev').stdout.strip()
        m = re.fullmatch(r'vnc://127\.0\.0\.1:(\d+)', display)
        self.assertTrue(m, display)
        with socket.create_connection(('127.0.0.1', 5900 + int(m.group(1))),
                                      timeout=10) as vnc:
            self.assertEqual(vnc.recv(12), b'RFB 003.008\n')
        self.virsh(d, 'destroy', 'dev')


if __name__ == '__main__':
    mshvtest.QemuSystemTest.main()
