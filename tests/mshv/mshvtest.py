# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the qemu-mshv functional tests.

The tests use QEMU's own functional test framework (tests/functional,
qemu_test).  Its TAP output comes from pycotap, which Debian bookworm
lacks; scripts/install-deps unpacks trixie's python3-pycotap into the cache
and this module puts it on sys.path before qemu_test is imported.
"""

import contextlib
import functools
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path


def cache_dir():
    env = os.environ.get('QEMU_MSHV_CACHE')
    if env:
        return Path(env)
    xdg = os.environ.get('XDG_CACHE_HOME', os.path.expanduser('~/.cache'))
    return Path(xdg) / 'qemu-mshv'


_PYCOTAP = cache_dir() / 'unpacked/python3-pycotap/usr/lib/python3/dist-packages'
if _PYCOTAP.is_dir():
    sys.path.insert(0, str(_PYCOTAP))

# pylint: disable=wrong-import-position
import pycotap  # noqa: E402
from qemu_test import QemuSystemTest, wait_for_console_pattern  # noqa: E402
import rekick  # noqa: E402

# The top of the qemu-mshv clone (our files are linked into the build's
# source tree, so resolve the link).
MSHV_TOP = Path(os.path.realpath(__file__)).parents[2]

GUEST_DONE = 'QEMU-GUEST-MARKER: done'

# Seconds a boot of the test guest may take before the test fails; boots
# take 2-5 s under TCG on the project's 2-core machines.
BOOT_TIMEOUT = 90

# Every wait of the tests scaled: a build with sanitizers runs slower
# (make check-sanitizers sets it).
TIMEOUT_SCALE = float(os.environ.get('MSHV_TEST_TIMEOUT_SCALE', '1'))


def guest_file(name):
    """A file of the test guest built by tests/guest/build-guest."""
    gdir = os.environ.get('MSHV_TEST_GUEST')
    if not gdir:
        raise RuntimeError('MSHV_TEST_GUEST is not set (run through meson test)')
    path = Path(gdir) / name
    if not path.exists():
        raise RuntimeError(f'test guest file {path} is missing')
    return str(path)


def tiny_bios(path, message=b'TINY-GUEST-OK'):
    """Write a 64 KiB real-mode firmware image that prints MESSAGE on COM1
    and leaves through isa-debug-exit at port 0xf4 (exit status 1)."""
    code = bytes([
        0xBA, 0xF8, 0x03,        # mov dx, 0x3f8
        0xBE, 0x18, 0x00,        # mov si, msg
        0x2E, 0xAC,              # l: cs lodsb
        0x84, 0xC0,              # test al, al
        0x74, 0x03,              # jz done
        0xEE,                    # out dx, al
        0xEB, 0xF7,              # jmp l
        0xBA, 0xF4, 0x00,        # done: mov dx, 0xf4
        0xB0, 0x00,              # mov al, 0
        0xEE,                    # out dx, al
        0xF4,                    # hlt
        0xEB, 0xFD,              # jmp $-1
    ])
    msg = message + b'\r\n\x00'
    img = bytearray(b'\xff' * 65536)
    img[0:len(code)] = code
    img[0x18:0x18 + len(msg)] = msg
    img[0xFFF0:0xFFF5] = bytes([0xEA, 0x00, 0x00, 0x00, 0xF0])
    Path(path).write_bytes(bytes(img))
    return str(path)


# ASan's one notice about QEMU's coroutines (make check-sanitizers): not
# something the program said.
ASAN_NOTICE = re.compile(r"^==\d+==WARNING: ASan doesn't fully support "
                         r"makecontext/swapcontext.*\n", re.M)


def run_qemu(qemu_bin, args, timeout=60):
    """Run QEMU to completion; returns the CompletedProcess (its stderr
    without the sanitizer's notice)."""
    res = subprocess.run([qemu_bin] + list(args), capture_output=True,
                         text=True, timeout=timeout * TIMEOUT_SCALE,
                         check=False, stdin=subprocess.DEVNULL)
    res.stderr = ASAN_NOTICE.sub('', res.stderr)
    return res


@contextlib.contextmanager
def http_served(directory):
    """An HTTP server on the host's loopback serving DIRECTORY while the
    block runs, which a guest on QEMU's user network reaches at 10.0.2.2;
    yields its port."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=directory)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# What QEMU prints when the VM cannot go on: wait_console stops there.
STOPPED = re.compile(r'the VM is stopped|mshv-sim: the hypervisor process')


class MshvBootTest(QemuSystemTest):
    """Boots the test guest and checks what it prints."""

    timeout = 120

    def boot_guest(self, accel='tcg', kernel='vmlinux', append='',
                   args=(), qemu_bin=None, done=GUEST_DONE + ' ok',
                   end='poweroff', no_reboot=True,
                   initrd='initramfs.cpio.gz'):
        """Boot the test guest to its final marker; returns the seconds it
        took from launch to the marker.  END is what the guest does then:
        'poweroff' or 'reboot' (QEMU exits: -no-reboot), 'wait' (the
        guest idles and QEMU keeps running for the test to inspect),
        'halt' (the guest stops every CPU with interrupts off, so that
        nothing but a reset brings it back, and QEMU keeps running) or
        'shell' (the guest runs what guest_run() sends it).
        NO_REBOOT=False leaves out -no-reboot, which turns every reset,
        system_reset too, into an exit."""
        if qemu_bin:
            self.qemu_bin = qemu_bin
        start = time.monotonic()
        vm = self.launch_guest(accel, kernel, append, args, end, no_reboot,
                               initrd=initrd)
        # a failed check ends the wait at once instead of timing out
        self.wait_console(done, failure_message=(
            GUEST_DONE + ' failed' if done == GUEST_DONE + ' ok'
            else 'Kernel panic'))
        elapsed = time.monotonic() - start
        if end == 'halt':
            self.wait_console('reboot: System halted',
                              failure_message='Kernel panic')
            # the kernel says so before it stops the CPUs
            self.wait_hv_idle(vm)
        elif end != 'wait':
            vm.wait(timeout=30)
        return elapsed

    def launch_guest(self, accel='tcg', kernel='vmlinux', append='',
                     args=(), end='poweroff', no_reboot=True, vm=None,
                     initrd='initramfs.cpio.gz'):
        """Start the test guest and return at once (boot_guest waits for
        its final marker); the arguments are boot_guest's (KERNEL and
        INITRD: its files, another kernel's for test_guest_kernels).  VM:
        the machine to start (self.vm by default)."""
        vm = vm or self.vm
        vm.set_console()
        vm.add_args('-accel', accel, '-m', '512',
                    '-kernel', guest_file(kernel),
                    '-initrd', guest_file(initrd),
                    '-append', f'console=ttyS0 panic=-1 mshvend={end} '
                    + append,
                    *args)
        if no_reboot:
            vm.add_args('-no-reboot')
        vm.launch()
        return vm

    def wait_console(self, pattern, failure_message=None,
                     timeout=BOOT_TIMEOUT, vm=None):
        """wait_for_console_pattern (of VM, self.vm by default), failing
        after TIMEOUT seconds instead of hanging the whole suite -- or at
        once when QEMU says the VM stopped for good (a failed hypervisor
        call, the simulator's hypervisor process gone), with its words."""
        log = getattr(vm or self.vm, '_qemu_log_path', None)
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout

        def check(signum, frame):
            try:
                with open(log, encoding='utf-8', errors='replace') as f:
                    stops = [line.strip() for line in f
                             if STOPPED.search(line)]
            except (OSError, TypeError):
                stops = []
            if stops:
                # the hypervisor process's end first: it says why
                stops.sort(key=lambda line: 'mshv-sim:' not in line)
                raise AssertionError(f'waiting for "{pattern}": '
                                     + ' / '.join(stops[:3]))
            if time.monotonic() >= deadline:
                raise TimeoutError(f'no "{pattern}" on the console after '
                                   f'{timeout} s')
        old = signal.signal(signal.SIGALRM, check)
        signal.setitimer(signal.ITIMER_REAL, 1, 1)
        try:
            wait_for_console_pattern(self, pattern,
                                     failure_message=failure_message, vm=vm)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    @staticmethod
    def hv_cpu_ticks(vm):
        """CPU time, in clock ticks, of the simulator's hypervisor
        processes that VM's QEMU started (its partitions)."""
        qemu = vm.get_pid()
        ticks = 0
        for stat in Path('/proc').glob('[0-9]*/stat'):
            try:
                fields = stat.read_text().rsplit(')', 1)[1].split()
                if int(fields[1]) != qemu or b'mshv-sim-hv' not in \
                        (stat.parent / 'cmdline').read_bytes():
                    continue
            except (OSError, IndexError, ValueError):
                continue    # gone meanwhile
            ticks += int(fields[11]) + int(fields[12])   # utime, stime
        return ticks

    def wait_hv_idle(self, vm=None, timeout=60):
        """Wait until VM's hypervisor process uses (almost) no CPU for two
        seconds in a row: every VP asleep.  A halted guest gets there
        soon; a running one never does."""
        vm = vm or self.vm
        hz = os.sysconf('SC_CLK_TCK')
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        last, quiet = self.hv_cpu_ticks(vm), 0
        while quiet < 2:
            self.assertLess(time.monotonic(), deadline,
                            f'the hypervisor process still busy after '
                            f'{timeout} s: a VP is running')
            time.sleep(1)
            ticks = self.hv_cpu_ticks(vm)
            quiet = quiet + 1 if ticks - last <= hz // 50 else 0
            last = ticks

    def hmp(self, command, vm=None):
        vm = vm or self.vm
        return vm.cmd('human-monitor-command', command_line=command)

    def wait_migrated(self, vm, timeout=180):
        """Wait for VM's migration (either side) to complete; returns
        query-migrate's answer, failing the test if it failed."""
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = vm.cmd('query-migrate')
            if info.get('status') == 'completed':
                return info
            self.assertNotIn(info.get('status'), ('failed', 'cancelled'),
                             info)
            time.sleep(0.2)
        self.fail(f'migration did not complete in {timeout} s')
        return None

    def guest_run(self, command, vm=None, timeout=BOOT_TIMEOUT):
        """Run COMMAND in the guest (booted with end='shell'); fails the
        test unless it succeeds."""
        vm = vm or self.vm
        self._guest_commands = getattr(self, '_guest_commands', 0) + 1
        tag = f'GUEST-COMMAND-{self._guest_commands}'
        vm.console_socket.sendall(
            f'if {command}; then echo "{tag} ok"; '
            f'else echo "{tag} FAILED"; fi\n'.encode())
        self.wait_console(f'{tag} ok', failure_message=f'{tag} FAILED',
                          vm=vm, timeout=timeout)

    def assert_roms_from(self, datadir, *names):
        """Each firmware file in NAMES is in DATADIR; those QEMU lists in
        "info roms" were loaded with that file's size.  (A PCI option ROM
        or VGA BIOS that cannot be found stops QEMU, so the boot itself
        shows those were loaded.)"""
        roms = self.hmp('info roms')
        loaded = {name: int(size, 16) for size, name in
                  re.findall(r'size=(0x[0-9a-f]+) name="([^"]+)"', roms)}
        for name in names:
            path = os.path.join(datadir, name)
            self.assertTrue(os.path.isfile(path), path)
            if name in loaded:
                self.assertEqual(loaded[name], os.path.getsize(path), name)
        return loaded

    def console_text(self):
        with open(self.console_log_name, encoding='utf-8',
                  errors='replace') as log:
            return log.read()

    def console_lines(self, pattern):
        rx = re.compile(pattern)
        return [line for line in self.console_text().splitlines()
                if rx.search(line)]


# scripts/mshv-sim-run: runs a /dev/mshv client on the MSHV simulator.
SIM_RUN = str(MSHV_TOP / 'scripts' / 'mshv-sim-run')


def sim_counters(path, timeout=20):
    """The simulator's counters (MSHV_SIM_COUNTERS=PATH), which its
    hypervisor process writes when the partition goes away: possibly just
    after QEMU has exited."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    with open(path, encoding='utf-8') as f:
        return {k: int(v) for k, v in (line.split() for line in f)}


def sim_preload():
    """The simulator's preload library of the build under test."""
    return os.path.join(os.environ['QEMU_BUILD_ROOT'], 'hw', 'mshv-sim',
                        'preload', 'libmshv-sim-preload.so')


class MshvSimTest(MshvBootTest):
    """Tests of -accel mshv, on the MSHV simulator."""

    def sim_vm(self, vm=None, hv_args=None):
        """The test VM (or VM), started through the simulator wrapper;
        HV_ARGS: more arguments for the hypervisor process."""
        vm = vm or self.vm
        vm._wrapper = [SIM_RUN, '--hv', self.qemu_bin,
                       '--preload', sim_preload(),
                       *(['--hv-args', hv_args] if hv_args else []), '--']
        return vm


# A simulated host with CET whatever the real one has (hypervisor process
# arguments): partitions keep CET's registers, MSRs and XSAVE components.
# (Where the real processor lacks CET, a VMM cannot learn the components'
# sizes from its own CPUID; this one takes the architecture's.)
CET_HOST = '-machine cet=on'


# ---- Debian's upstream QEMU (its own -accel mshv) on the simulator --------

# scripts/upstream-run: runs a command from the trixie root that
# scripts/install-upstream makes, on the MSHV simulator.
UPSTREAM_RUN = str(MSHV_TOP / 'scripts' / 'upstream-run')
UPSTREAM_ROOT = cache_dir() / 'upstream-root'
# The root's QEMU, as the chrooted command sees it.
UPSTREAM_QEMU = '/usr/bin/qemu-system-x86_64'

# The simulated host's processor: TCG's "max" without LA57.  Upstream
# registers no CPUID leaf 7, so its guests see the host's own structured
# features beside its model's 48-bit linear address width; on a host with
# LA57 their 5-level paging breaks (docs/devel/mshv/upstream.rst, U2).
UPSTREAM_HOST_CPU = '-cpu max,la57=off'


def upstream_version():
    """The upstream QEMU package installed in the root ('' if none)."""
    stamp = UPSTREAM_ROOT / '.mshv-upstream'
    if not stamp.exists():
        return ''
    lines = stamp.read_text().splitlines()
    return lines[1].split()[-1] if len(lines) > 1 else ''


def upstream_defect(reason):
    """An expected failure caused by a proven upstream defect: REASON
    names it (docs/devel/mshv/upstream.rst).  TAP reports it as "not ok
    ... # TODO", and a pass as a failure, so a fixed defect shows.  Only
    a failure from the step the defect shows in is expected: the test
    calls defect_step() before it, and a failure before that (a boot
    that never got there) is a failure like any other."""
    def wrap(func):
        @functools.wraps(func)
        def run(self, *args, **kwargs):
            # unittest's own switch for "a failure now is expected"
            # (unittest.case._Outcome, Python 3.11); defect_step() sets it
            self._outcome.expecting_failure = False
            return func(self, *args, **kwargs)
        run = unittest.expectedFailure(run)
        run.upstream_defect = reason
        return run
    return wrap


def _tap_expected_failure(self, test, err):
    super(pycotap.TAPTestResult, self).addExpectedFailure(test, err)
    method = getattr(test, test._testMethodName, None)
    reason = getattr(method, 'upstream_defect', 'expected failure')
    self.message.write(self.expectedFailures[-1][1] + '\n')
    self.print_result('not ok', test, 'TODO ' + reason)


pycotap.TAPTestResult.addExpectedFailure = _tap_expected_failure


class UpstreamTest(MshvBootTest):
    """Tests of Debian's upstream QEMU and its -accel mshv, unmodified, on
    the MSHV simulator: what works is checked as for ours; what fails for
    a proven upstream defect is an expected failure naming it."""

    timeout = 300

    def defect_step(self):
        """In an @upstream_defect test: from here on, a failure is the
        defect's."""
        self._outcome.expecting_failure = True

    def setUp(self):
        super().setUp()
        if not upstream_version():
            self.fail(f'no upstream QEMU root in {UPSTREAM_ROOT}: '
                      'run scripts/install-upstream')

    def tearDown(self):
        # Upstream may not quit when asked (U1): stop it for sure.
        for vm in self._vms.values():
            vm.kill()
        super().tearDown()

    def upstream_vm(self, vm=None, host_cpu=UPSTREAM_HOST_CPU):
        """The test VM (or VM) as upstream's QEMU on the simulator, whose
        hypervisor process runs HOST_CPU's processor."""
        vm = vm or self.vm
        vm._binary = UPSTREAM_QEMU
        vm._wrapper = [UPSTREAM_RUN, '--hv', self.qemu_bin,
                       '--preload', sim_preload(), '--hv-args', host_cpu,
                       '--']
        return vm

    def killed_after(self, seconds, vm=None):
        """A context in which VM (self.vm) is killed if the block takes
        more than SECONDS: a QMP or HMP command that waits for its vCPUs
        to stop (U1) would otherwise block the test for ever."""
        vm = vm or self.vm
        timer = threading.Timer(seconds, os.kill, (vm.get_pid(),
                                                   signal.SIGKILL))

        class Deadline:
            def __enter__(self):
                timer.start()

            def __exit__(self, *exc):
                timer.cancel()
        return Deadline()

    def rekicked(self, vm=None, period=0.1):
        """A context in which VM's (self.vm's) vCPU threads get SIG_IPI
        every PERIOD seconds, as our accelerator's re-kick thread does:
        U1 (a lost kick) must not decide a test."""
        return rekick.Rekicked((vm or self.vm).get_pid, period)

    def wait_exit(self, vm=None, timeout=30):
        """QEMU exits by itself within TIMEOUT seconds; else it is killed
        and the test fails."""
        vm = vm or self.vm
        timeout *= TIMEOUT_SCALE
        try:
            vm.wait(timeout=timeout)
        except Exception as exc:   # AbnormalShutdown: it has been killed
            self.fail(f'QEMU did not exit within {timeout} s ({exc})')
