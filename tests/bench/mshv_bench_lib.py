# SPDX-License-Identifier: GPL-2.0-or-later
"""What tests/bench/mshv-bench measures: the guests it boots, the
workloads it runs in them and the helpers it runs straight on the ABI,
each returning its figures; mshv-bench itself only reports them."""

import json
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOP = Path(os.path.realpath(__file__)).parents[2]
sys.path.insert(0, str(TOP / 'tests' / 'mshv'))
import rekick  # noqa: E402  pylint: disable=wrong-import-position
INIT_MARKER = 'QEMU-GUEST-MARKER: init reached'
DONE_MARKER = 'QEMU-GUEST-MARKER: done'
EXIT_MODES = ('pio', 'pio-string', 'mmio-load', 'mmio-store', 'mmio-rmw')


def build_dir():
    config = TOP / 'build' / 'config.mk'
    for line in config.read_text().splitlines():
        if line.startswith('MSHV_BUILD := '):
            return Path(line.split(':= ', 1)[1])
    sys.exit('mshv-bench: not configured: run ./configure && make')


BUILD = build_dir() / 'qemu'
QEMU = BUILD / 'qemu-system-x86_64'
GUEST = BUILD / 'tests' / 'mshv'
SIM_RUN = TOP / 'scripts' / 'mshv-sim-run'
PRELOAD = BUILD / 'hw' / 'mshv-sim' / 'preload' / 'libmshv-sim-preload.so'
ON_SIMULATOR = not os.path.exists('/dev/mshv')

# Debian's upstream QEMU in the root scripts/install-upstream makes, run on
# the simulator by scripts/upstream-run ("accelerator" 'upstream' here).
UPSTREAM_RUN = TOP / 'scripts' / 'upstream-run'
UPSTREAM_QEMU = '/usr/bin/qemu-system-x86_64'
# tests/mshv/mshvtest.py's UPSTREAM_HOST_CPU: a host without LA57, on
# which upstream's guests run (docs/devel/mshv/upstream.rst, U2).
UPSTREAM_HOST_CPU = '-cpu max,la57=off'


def upstream_label():
    """'upstream X.Y.Z' of the installed root, or None without one."""
    cache = Path(os.environ.get('QEMU_MSHV_CACHE') or
                 Path(os.environ.get('XDG_CACHE_HOME',
                                     os.path.expanduser('~/.cache')))
                 / 'qemu-mshv')
    stamp = cache / 'upstream-root' / '.mshv-upstream'
    if not ON_SIMULATOR or not stamp.exists():
        return None
    # its package's line ("qemu-system-x86 VERSION"), among the others'
    m = re.search(r'^qemu-system-x86 (\S+)$', stamp.read_text(), re.M)
    if not m:
        return 'upstream'
    return 'upstream ' + re.sub(r'^\d+:|[+~-].*$', '', m.group(1))


def qemu_command(accel, args):
    """The command that runs QEMU with ARGS under ACCEL: mshv on the
    simulator goes through mshv-sim-run, 'upstream' is upstream's QEMU
    and -accel mshv through upstream-run."""
    if accel == 'upstream':
        return [str(UPSTREAM_RUN), '--hv', str(QEMU),
                '--hv-args', UPSTREAM_HOST_CPU, '--', UPSTREAM_QEMU,
                '-accel', 'mshv'] + list(args)
    cmd = [str(QEMU), '-accel', accel] + list(args)
    if accel == 'mshv' and ON_SIMULATOR:
        # Under this interpreter: "env python3" may find a version
        # manager's shim, 0.1 s of shell scripts per launch that a boot row
        # would count against the VMM (a real host runs no launcher).
        cmd = [sys.executable, str(SIM_RUN), '--hv', str(QEMU), '--'] + cmd
    return cmd


class Guest:
    """One run of the test guest; serial console lines with arrival times."""

    def __init__(self, accel, machine, kernel='vmlinux', append='',
                 args=(), mem=512, counters=None, no_reboot=True):
        cmd = qemu_command(accel, [
            '-M', machine, '-m', str(mem), '-display', 'none',
            '-serial', 'stdio'] + (['-no-reboot'] if no_reboot else []) + [
            '-kernel', str(GUEST / kernel),
            '-initrd', str(GUEST / 'initramfs.cpio.gz'),
            '-append', 'console=ttyS0 panic=-1 ' + append] + list(args))
        env = dict(os.environ)
        if counters and accel in ('mshv', 'upstream') and ON_SIMULATOR:
            env['MSHV_SIM_COUNTERS'] = str(counters)
        self.accel = accel
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, env=env)
        self.lines = []

    def wait_for(self, text, timeout=300):
        """Seconds from launch until a console line contains TEXT."""
        deadline = self.start + timeout
        buf = b''
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            # a guest that hangs quietly must not hang the benchmark
            ready, _, _ = select.select([fd], [], [],
                                        max(0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b'\n')
            for raw in done:
                line = raw.decode(errors='replace').strip('\r')
                self.lines.append(line)
                if text in line:
                    return time.monotonic() - self.start
        self.stop()
        raise RuntimeError(f'no "{text}" from the guest; last lines: '
                           + ' | '.join(self.lines[-5:]))

    def stop(self):
        if self.proc.poll() is None and self.accel == 'upstream':
            # it may not quit on a signal (upstream.rst, U1): measured
            # already, nothing to lose
            self.proc.kill()
        elif self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def read_counters(path, timeout=20):
    """The simulator writes its counters when the partition goes away."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            out = {}
            for line in path.read_text().splitlines():
                name, value = line.split()
                out[name] = int(value)
            path.unlink()
            return out
        time.sleep(0.1)
    raise RuntimeError(f'the simulator wrote no counters to {path}')


def summary(values):
    return {'median': statistics.median(values), 'min': min(values),
            'max': max(values), 'n': len(values)}


# ---- Benchmarks -------------------------------------------------------------

BOOTS = {
    'boot pc, PVH vmlinux, -smp 1': dict(
        machine='pc', kernel='vmlinux', args=('-vga', 'none', '-net', 'none')),
    'boot pc, PVH vmlinux, -smp 2': dict(
        machine='pc', kernel='vmlinux',
        args=('-smp', '2', '-vga', 'none', '-net', 'none')),
    'boot pc, PVH vmlinux, -smp 8': dict(
        machine='pc', kernel='vmlinux',
        args=('-smp', '8', '-vga', 'none', '-net', 'none')),
    'boot pc, PVH vmlinux, -smp 16': dict(
        machine='pc', kernel='vmlinux',
        args=('-smp', '16', '-vga', 'none', '-net', 'none')),
    'boot q35, SeaBIOS bzImage, -smp 1': dict(machine='q35',
                                             kernel='bzImage'),
    'boot microvm, -smp 1': dict(machine='microvm,acpi=off',
                                 kernel='vmlinux', append='reboot=t'),
}


def bench_boot(name, reps, accel):
    cfg = BOOTS[name]
    times = []
    for i in range(reps + 1):
        g = Guest(accel, cfg['machine'], kernel=cfg['kernel'],
                  append=cfg.get('append', ''), args=cfg.get('args', ()))
        try:
            t = g.wait_for(INIT_MARKER)
        finally:
            g.stop()
        if i:                           # the first run warms caches up
            times.append(t)
    return summary(times)


def bench_guest_hypercalls(accel):
    """The TLB flush and IPI hypercalls of a 2-vCPU boot to the end of
    the guest's run, from the simulator's counters (one run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'counters'
        g = Guest(accel, 'pc', args=('-smp', '2', '-vga', 'none',
                                     '-net', 'none'),
                  append='mshvend=wait', counters=path)
        try:
            g.wait_for(DONE_MARKER)
        finally:
            g.stop()
        c = read_counters(path)
    return {k: c.get('guest_hypercall.' + k, 0) for k in ('tlb_flush', 'ipi')}


def qmp_commands(path, commands):
    """Run each QMP command of COMMANDS on the monitor at PATH, in turn,
    waiting for each one's answer."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        f = sock.makefile('rw')
        f.readline()                    # the greeting
        for cmd in [{'execute': 'qmp_capabilities'}] + list(commands):
            f.write(json.dumps(cmd) + '\n')
            f.flush()
            while True:
                answer = json.loads(f.readline())
                if 'return' in answer or 'error' in answer:
                    break


def bench_vga_idle(seconds=10, refresh_hz=10):
    """A pc guest with standard VGA in a graphics mode (its framebuffer
    painted once), idle after that, from the simulator's counters: per
    second, its GPA access-state queries with the pages they cover (and
    the other counters), left alone and with a display
    client refreshing the screen REFRESH_HZ times a second (a QMP
    screendump each time).  Each is a run idle SECONDS less a run idle
    for no time."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'counters'
        sock = Path(tmp) / 'qmp'
        for name, idle, hz in (('base', 0, 0), ('idle', seconds, 0),
                               ('display', seconds, refresh_hz)):
            g = Guest('mshv', 'pc', append='mshvtest=vgafb mshvend=wait',
                      args=('-vga', 'std', '-net', 'none',
                            '-qmp', f'unix:{sock},server=on,wait=off'),
                      counters=path)
            try:
                g.wait_for(DONE_MARKER)
                end = time.monotonic() + idle
                while time.monotonic() < end:
                    if hz:
                        qmp_commands(sock, [{
                            'execute': 'screendump',
                            'arguments': {'filename': str(Path(tmp) /
                                                          'screen.ppm')}}])
                    time.sleep(1 / hz if hz else
                               max(0.0, end - time.monotonic()))
            finally:
                g.stop()
            out[name] = read_counters(path)
    rates = {}
    for name in ('idle', 'display'):
        c, b = out[name], out['base']
        rates[name] = {k: (c.get(k, 0) - b.get(k, 0)) / seconds
                       for k in set(c) | set(b)}
    return rates


def bench_reboot(reps, accel):
    """A 2-vCPU guest that reboots itself: seconds from its 'Restarting'
    to the next init marker, and the cold boot of the same run.
    Upstream's vCPU threads are re-kicked from outside, as in the test
    suite: a lost kick hangs its reset (docs/devel/mshv/upstream.rst, U1)."""
    reboots, colds = [], []
    for i in range(reps + 1):
        g = Guest(accel, 'pc', append='mshvend=reboot', no_reboot=False,
                  args=('-smp', '2', '-vga', 'none', '-net', 'none'))
        kicks = rekick.Rekicked(lambda g=g: g.proc.pid if accel == 'upstream'
                                else None)
        try:
            with kicks:
                cold = g.wait_for(INIT_MARKER)
                restart = g.wait_for('reboot: Restarting')
                again = g.wait_for(INIT_MARKER)
        finally:
            g.stop()
        if i:
            colds.append(cold)
            reboots.append(again - restart)
    return summary(reboots), summary(colds)


def exit_run(accel, plan, counters=None):
    """One boot running the guest's exit-bench over PLAN, a list of
    (mode, n); returns [(mode, n, guest_ns)]."""
    spec = ' '.join(f'{m} {n}' for m, n in plan)
    g = Guest(accel, 'pc', append=f'mshvtest=exits EXIT_BENCH="{spec}"',
              args=('-vga', 'none', '-net', 'none', '-device', 'pc-testdev'),
              counters=counters)
    try:
        g.wait_for(DONE_MARKER, timeout=900)
    finally:
        g.stop()
    out = []
    for line in g.lines:
        m = re.search(r'exit-bench: (\S+) (\d+) (\d+)', line)
        if m:
            out.append((m.group(1), int(m.group(2)), int(m.group(3))))
    if len(out) != len(plan):
        raise RuntimeError('exit-bench did not finish: '
                           + ' | '.join(g.lines[-5:]))
    return out


def bench_exit_rates(reps, accel, n):
    plan = [(mode, n) for mode in EXIT_MODES for _ in range(reps + 1)]
    runs = exit_run(accel, plan)
    rates = {}
    for mode in EXIT_MODES:
        per = [count / (ns / 1e9) for m, count, ns in runs if m == mode]
        rates[mode] = summary(per[1:])
    return rates


def bench_exit_counts(n, accel='mshv'):
    """Hypercalls and RUN_VP calls per exit, from the simulator's counters:
    a run with N exits of each kind less a run with none."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'counters'
        exit_run(accel, [('pio', 0)], counters=path)
        base = read_counters(path)
        counts = {}
        for mode in EXIT_MODES:
            exit_run(accel, [(mode, n)], counters=path)
            c = read_counters(path)
            d = {k: c.get(k, 0) - base.get(k, 0) for k in c}
            intercepts = sum(v for k, v in d.items()
                             if k.startswith('intercept.'))
            counts[mode] = {
                'intercepts': intercepts,
                # the two boots' own timer interrupts differ a little
                'hypercalls_per_exit': max(0.0, d['hvcall'] / n),
                'run_vp_per_exit': d['run_vp'] / n,
                # RUN_VPs the stopped VP's thread took itself, over the
                # whole run: unlike the counts above, it varies from boot
                # to boot too much to take a difference
                'watched': c.get('run_vp.watched', 0) / max(1, c['run_vp']),
                # wake-ups of the hypervisor's main loop by a request
                # the stopped VP's thread had taken already
                'main_loop_idle': d.get('main_loop.idle', 0) / n,
                'hypercalls': {k: v for k, v in d.items()
                               if k.startswith('hvcall.0x') and v},
                # of the exits' hypercalls, those the stopped VP answered
                'hvcall_watched': d.get('hvcall.watched', 0) /
                                  max(1, d['hvcall']),
            }
    return counts


BLK_DISK_MIB = 64


def host_mhz():
    """The host processor's clock, for cycles per event (None unknown)."""
    m = re.search(r'^cpu MHz\s*:\s*([\d.]+)',
                  Path('/proc/cpuinfo').read_text(), re.M)
    return float(m.group(1)) if m else None


def tsc_clock():
    """Kernel parameters that keep the guest's clock on the TSC: under
    TCG its calibration against the PIT can fail, and the HPET it falls
    back to costs an MMIO exit per clock read, which would be counted as
    the device's.  (Hyper-V's reference TSC page is the real answer.)"""
    mhz = host_mhz()
    khz = f' tsc_early_khz={int(mhz * 1000)}' if mhz else ''
    return 'tsc=reliable clocksource=tsc' + khz


def blk_run(accel, runs, counters=None):
    """One q35 boot with a virtio-blk disk on an iothread, running the
    guest's blk-bench once per entry of RUNS (reads per run); returns
    [(reads, guest_ns)]."""
    with tempfile.TemporaryDirectory() as tmp:
        disk = Path(tmp) / 'disk.img'
        with open(disk, 'wb') as f:
            f.truncate(BLK_DISK_MIB << 20)
        spec = ' '.join(str(n) for n in runs)
        g = Guest(accel, 'q35', append=f'{tsc_clock()} '
                  f'mshvtest=blkbench BLK_BENCH="{spec}"',
                  args=('-vga', 'none', '-net', 'none',
                        '-drive', f'file={disk},format=raw,if=none,id=d0,'
                        'cache=none,aio=threads',
                        '-object', 'iothread,id=io0',
                        '-device', 'virtio-blk-pci,drive=d0,iothread=io0'),
                  counters=counters)
        try:
            g.wait_for(DONE_MARKER, timeout=900)
        finally:
            g.stop()
    out = [(int(m.group(1)), int(m.group(2))) for m in
           (re.search(r'blk-bench: (\d+) (\d+)', line) for line in g.lines)
           if m]
    if len(out) != len(runs):
        raise RuntimeError('blk-bench did not finish: '
                           + ' | '.join(g.lines[-5:]))
    return out


def bench_blk_iops(reps, accel, n):
    runs = blk_run(accel, [n] * (reps + 1))
    return summary([count / (ns / 1e9) for count, ns in runs[1:]])


def bench_blk_counts(n, accel='mshv'):
    """Per request, from the simulator's counters: a run of N reads less
    a run of none."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'counters'
        blk_run(accel, [0], counters=path)
        base = read_counters(path)
        blk_run(accel, [n], counters=path)
        c = read_counters(path)
    d = {k: (c.get(k, 0) - base.get(k, 0)) / n for k in c}
    # the two boots' own timer and console exits differ a little
    d['intercepts'] = max(0.0, sum(v for k, v in d.items()
                                   if k.startswith('intercept.')))
    return d


class NetPeer:
    """The host end of the virtio-net benchmark, on loopback (the guest
    reaches it as 10.0.2.2 through QEMU's user network): a source that
    sends until the guest hangs up, and a sink that answers one byte
    when the guest has sent everything and shut down its side."""

    def __init__(self):
        self.socks = []
        self.ports = {}
        for mode, serve in (('recv', self.source), ('send', self.sink)):
            sock = socket.socket()
            sock.bind(('127.0.0.1', 0))
            sock.listen()
            self.socks.append(sock)
            self.ports[mode] = sock.getsockname()[1]
            threading.Thread(target=self.accept, args=(sock, serve),
                             daemon=True).start()

    @staticmethod
    def accept(sock, serve):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    @staticmethod
    def source(conn):
        chunk = b'\xa5' * (256 << 10)
        with conn:
            try:
                while True:
                    conn.sendall(chunk)
            except OSError:
                pass

    @staticmethod
    def sink(conn):
        with conn:
            try:
                while conn.recv(256 << 10):
                    pass
                conn.sendall(b'!')
            except OSError:
                pass

    def close(self):
        for sock in self.socks:
            sock.close()


def net_guest(accel, peer, plan, counters=None, extra=''):
    """A q35 guest with virtio-net on QEMU's user network that runs the
    guest's net-bench once per (mode, bytes) of PLAN against PEER."""
    spec = ' '.join(f'{mode} {peer.ports[mode]} {n}' for mode, n in plan)
    return Guest(accel, 'q35', append=f'{tsc_clock()} {extra}'
                 f'mshvtest=netbench NET_BENCH="{spec}"',
                 args=('-vga', 'none', '-nic', 'none',
                       '-netdev', 'user,id=n0',
                       '-device', 'virtio-net-pci,netdev=n0'),
                 counters=counters)


def net_run(accel, plan, counters=None):
    """One boot of net_guest(); returns [(mode, bytes, guest_ns)]."""
    peer = NetPeer()
    g = net_guest(accel, peer, plan, counters)
    try:
        g.wait_for(DONE_MARKER, timeout=900)
    finally:
        g.stop()
        peer.close()
    out = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in
           (re.search(r'net-bench: (\w+) (\d+) (\d+)', line)
            for line in g.lines) if m]
    if len(out) != len(plan):
        raise RuntimeError('net-bench did not finish: '
                           + ' | '.join(g.lines[-5:]))
    return out


def bench_net_throughput(reps, accel, mib):
    """MiB/s per direction: recv (host to guest) and send."""
    plan = [(mode, mib << 20) for _ in range(reps + 1)
            for mode in ('recv', 'send')]
    runs = net_run(accel, plan)
    return {mode: summary([n / (1 << 20) / (ns / 1e9)
                           for m, n, ns in runs[2:] if m == mode])
            for mode in ('recv', 'send')}


def sim_counters_now(g, path):
    """The simulator's counters so far, for guest G (the hypervisor
    process writes them to PATH on SIGUSR2)."""
    vmm = g.proc.pid                    # mshv-sim-run execs the VMM
    # (a child is listed under the thread that started it)
    kids = [k for t in Path(f'/proc/{vmm}/task').iterdir()
            for k in (t / 'children').read_text().split()]
    for kid in kids:
        if b'mshv-sim-hv' in Path(f'/proc/{kid}/cmdline').read_bytes():
            os.kill(int(kid), signal.SIGUSR2)
            return read_counters(path)
    raise RuntimeError('no simulator process under the VMM')


def bench_net_counts(mib):
    """Per MiB received, from the simulator's counters read just before
    and just after one transfer of MIB MiB.  The guest runs it quiet
    (no kernel console messages: IPv6's "link becomes ready", which
    comes a second or two after the link is up, alone is a hundred
    serial exits) and settled (the boot's background work, libata
    polling its ports and the TSC calibrated against the PM timer, is
    over), so the difference is the transfer's own."""
    peer = NetPeer()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'counters'
        g = net_guest('mshv', peer, [('recv', mib << 20)], path,
                      'quiet NET_SETTLE=6 ')
        try:
            g.wait_for('net-bench: settling')
            time.sleep(3)
            base = sim_counters_now(g, path)
            g.wait_for('net-bench: recv', timeout=900)
            c = sim_counters_now(g, path)
        finally:
            g.stop()
            peer.close()
    d = {k: (c.get(k, 0) - base.get(k, 0)) / mib for k in c}
    d['intercepts'] = sum(v for k, v in d.items()
                          if k.startswith('intercept.'))
    return d


def ioapic_delivery(accel, n):
    """tests/guest/irq-check in its benchmark mode: N edge interrupts
    from pc-testdev through QEMU's IOAPIC, one at a time; (rate per s,
    p50 us, p99 us)."""
    prog = GUEST / 'irq-check'
    cmd = qemu_command(accel, [
        '-M', 'pc', '-m', '128', '-display', 'none', '-nodefaults',
        '-serial', 'stdio', '-no-reboot', '-kernel', str(prog),
        '-append', f'bench={n}', '-device', 'pc-testdev',
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=300 if accel == 'upstream' else 600,
                             stdin=subprocess.DEVNULL, check=False).stdout
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b''
        out = out.decode(errors='replace') if isinstance(out, bytes) else out
    m = re.search(r'irq-bench: ioapic (\d+) (\d+) (\d+) (\d+)', out)
    if not m:
        raise RuntimeError('irq-check bench did not finish: ' + out[-300:])
    count, total_us, p50, p99 = (int(x) for x in m.groups())
    return count / (total_us / 1e6), p50 / 10, p99 / 10


def qemu_rss_kib(accel):
    g = Guest(accel, 'q35', kernel='vmlinux', append='mshvend=wait',
              args=('-vga', 'none', '-net', 'none'), mem=1024)
    try:
        g.wait_for(DONE_MARKER)
        time.sleep(2)
        # the VMM: mshv-sim-run execs it (the hypervisor process, its
        # child, holds the guest's RAM and TCG's code: not counted)
        pid = g.proc.pid
        status = Path(f'/proc/{pid}/status').read_text()
        return int(re.search(r'VmRSS:\s+(\d+)', status).group(1))
    finally:
        g.stop()


def abi_helper(name, args, timeout):
    """The standard output of tests/mshv/NAME ARGS, a helper straight on
    the ABI (through the simulator's driver side where there is no
    /dev/mshv), or None if it is not built."""
    helper = BUILD / 'tests' / 'mshv' / name
    if not helper.exists():
        return None
    env = dict(os.environ)
    if ON_SIMULATOR:
        env['LD_PRELOAD'] = str(PRELOAD)
        env['MSHV_SIM_HV'] = str(QEMU)
    return subprocess.run([str(helper)] + [str(a) for a in args],
                          capture_output=True, text=True, env=env,
                          timeout=timeout, check=True).stdout


def scale_helper(*args):
    """tests/mshv/mshv-map-bench ARGS: its figures by name (seconds,
    unmap_seconds / destroy_seconds), or None unbuilt."""
    out = abi_helper('mshv-map-bench', args, 1200)
    if out is None:
        return None
    return {k: float(v) for k, v in re.findall(r'(\w*seconds) (\S+)', out)}


def irq_delivery(mode, n):
    """tests/mshv/mshv-irq-bench: N interrupts sent one at a time to a
    running VP, by hypercall or irqfd; (rate per s, p50 us, p99 us), or
    None unbuilt."""
    out = abi_helper('mshv-irq-bench', (mode, n), 600)
    if out is None:
        return None
    m = re.search(r'seconds (\S+) p50_us (\S+) p99_us (\S+)', out)
    return n / float(m.group(1)), float(m.group(2)), float(m.group(3))
