"""Boot one remora image in QEMU and report what happened.

Used by tests/qemu-run (the command-line front end) and tests/boot/run-tests.
Python 3.11 standard library only.

    from qemu import run
    r = run(image="build/remora", machine="q35", append="test=clock")
    r.status      # guest exit status (None if timed out / QEMU failed)
    r.console     # serial console text ("\r\n" folded to "\n")
    r.pci         # QEMU's query-pci result (list of buses) when qmp=True

Shares: virtiofs=DIR (tag virtiofs_tag) or virtiofs=[(TAG, DIR), ...] gives
one vhost-user-fs-pci device and one virtiofsd per directory.

Talking to the guest: on_line(line, vm) is called (from the console reader
thread) for every console line; vm.write("...\n") types on the guest's
serial console (QEMU's stdin), and vm.virtiofsd lists the running
Virtiofsd objects (vm.virtiofsd[i].server_pid(), .fd_count()).

Exit status: the guest writes S to isa-debug-exit (port 0xf4) and QEMU exits
with (S << 1) | 1; a guest that powers off through ACPI makes QEMU exit 0 and
the status is taken from its last "remora: power off, status S" line.

Processes: QEMU and virtiofsd are started in their own sessions (so their
process group id is their pid) and only those groups are signalled; sockets
live in a private temporary directory that is removed afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

QEMU = os.environ.get("REMORA_QEMU", "qemu-system-x86_64")
VIRTIOFSD = os.environ.get("REMORA_VIRTIOFSD", "/usr/lib/qemu/virtiofsd")
DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=0x04"
POWER_OFF_RE = re.compile(r"remora: power off, status (\d+)")

# Exit codes of the runner itself (besides the guest's status).
EXIT_TIMEOUT = 124
EXIT_QEMU_FAILED = 255


@dataclasses.dataclass
class Result:
    status: int | None          # guest status; None on timeout or QEMU failure
    console: str                # serial output, "\r\n" -> "\n"
    timed_out: bool
    qemu_rc: int | None         # QEMU's own exit code (None if killed on timeout)
    pci: list | None            # query-pci "return" value when qmp=True
    cmd: list                   # final QEMU argv
    stderr: str = ""            # QEMU's stderr
    accel: str = ""
    exit_code: int = 0          # what qemu-run exits with
    error: str | None = None    # "qemu failed: ..." / "timeout after N s" / ...
    notes: list = dataclasses.field(default_factory=list)
    virtiofsd_cmd: list | None = None   # the first share's virtiofsd argv
    virtiofsd_log: str = ""             # every virtiofsd's log, one after another
    virtiofsd_cmds: list = dataclasses.field(default_factory=list)
    duration: float = 0.0
    launched: float | None = None       # time.monotonic() just before QEMU was started
    ended: float | None = None          # time.monotonic() when QEMU was seen gone


# --------------------------------------------------------------------------
# Helpers

def cpu_has_virt() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return "vmx" in flags or "svm" in flags
    except OSError:
        pass
    return False


def choose_accel(accel: str | None = None) -> str:
    """accel: None (use $REMORA_ACCEL, default auto), 'auto', 'tcg' or 'kvm'.

    auto picks KVM only when the CPU advertises vmx/svm: the /dev/kvm of this
    kind of host may be a paging-based KVM ("kvm_pvm") that cannot boot a
    stock kernel, so its mere presence is not enough."""
    if accel is None:
        accel = os.environ.get("REMORA_ACCEL") or "auto"
    accel = accel.strip().lower()
    if accel not in ("auto", "tcg", "kvm"):
        raise ValueError(f"bad accelerator {accel!r} (auto|tcg|kvm)")
    if accel == "auto":
        ok = os.path.exists("/dev/kvm") and os.access("/dev/kvm", os.R_OK | os.W_OK)
        accel = "kvm" if ok and cpu_has_virt() else "tcg"
    return accel


_SIZE_RE = re.compile(r"^(\d+)([KMGT]?)(i?B)?$", re.I)


def normalize_mem(mem: str | int) -> tuple[str, int]:
    """'128M' / '6G' / 512 (MiB, like -m) -> (QEMU size string, bytes)."""
    s = str(mem).strip()
    m = _SIZE_RE.match(s)
    if not m:
        raise ValueError(f"bad memory size {mem!r}")
    n, unit = int(m.group(1)), (m.group(2) or "M").upper()
    shift = {"K": 10, "M": 20, "G": 30, "T": 40}[unit]
    return f"{n}{unit}", n << shift


# Devices that sit on PCI (microvm needs pcie=on for them).  Heuristic on the
# driver name; anything unknown is treated as non-PCI.
_PCI_DEVICE_NAMES = {
    "e1000", "e1000e", "rtl8139", "nvme", "qemu-xhci", "nec-usb-xhci", "ich9-ahci",
    "pcie-root-port", "pci-bridge", "ivshmem-plain", "ivshmem-doorbell", "edu",
    "pci-testdev", "vmxnet3", "megasas", "lsi53c895a", "ich9-usb-uhci1",
    "piix3-usb-uhci", "usb-ehci", "ich9-usb-ehci1", "intel-hda", "ich9-intel-hda",
    "bochs-display", "VGA", "secondary-vga", "virtio-vga", "pvpanic-pci", "pcie-pci-bridge",
}


def is_pci_device(spec: str) -> bool:
    name = spec.split(",", 1)[0].strip()
    return (name in _PCI_DEVICE_NAMES or name.endswith("-pci") or "-pci-" in name
            or name.endswith("-pci-non-transitional") or name.endswith("-pci-transitional"))


def quote_arg(a: str) -> str:
    """Quote one argv word for the kernel command line if it needs it.

    'beta=two words' -> 'beta="two words"', 'x y' -> '"x y"'.  Words without
    whitespace pass unchanged (so a literal '--' stays '--')."""
    if a and not re.search(r"\s", a):
        return a
    m = re.match(r"^([A-Za-z0-9_.\-]+)=(.*)$", a, re.S)
    if m:
        return f'{m.group(1)}="{m.group(2)}"'
    return f'"{a}"'


def quote_cmdline_word(a: str) -> str:
    r"""Quote one word exactly for the kernel's parser (kernel/cmdline.h:
    blanks separate, 'single' quotes keep everything, backslash escapes
    outside them).  Plain words pass unchanged; anything else is put in
    single quotes, a ' inside as '\'' (so "" becomes '')."""
    if a and re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", a):
        return a
    return "'" + a.replace("'", "'\\''") + "'"


def app_cmdline(options: str | None, args: list[str]) -> str:
    """Kernel command line for an application: options, "--", then each
    argument quoted with quote_cmdline_word so it arrives as one argv word."""
    parts = [options] if options else []
    parts.append("--")
    parts += [quote_cmdline_word(a) for a in args]
    return " ".join(parts)


def join_append(append: str | None, rest: list[str] | None) -> str | None:
    parts = []
    if append:
        parts.append(append)
    if rest:
        parts.append(" ".join(quote_arg(a) for a in rest))
    return " ".join(parts) if parts else None


# Processes started by this module that are still alive: killed by
# kill_all_started() (e.g. from a KeyboardInterrupt handler).
_live_lock = threading.Lock()
_live: set[subprocess.Popen] = set()
_stopping = False


def _spawn(argv, **kw) -> subprocess.Popen:
    with _live_lock:
        if _stopping:
            raise RuntimeError("shutting down")
        p = subprocess.Popen(argv, start_new_session=True, **kw)
        _live.add(p)
    return p


def _kill_group(p: subprocess.Popen | None, grace: float = 3.0) -> None:
    """SIGTERM (then SIGKILL) the process group that p leads.

    The group is ours: p was started with start_new_session=True, so its
    pgid is its pid.  We only signal while p has not been reaped, so the id
    cannot have been recycled."""
    if p is None:
        return
    try:
        if p.returncode is None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
    finally:
        with _live_lock:
            _live.discard(p)


def kill_all_started() -> None:
    """Kill every process this module started and start no more."""
    global _stopping
    with _live_lock:
        _stopping = True
        procs = list(_live)
    for p in procs:
        _kill_group(p, grace=1.0)


def _wait_for_path(path: str, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.02)
    return os.path.exists(path)


# --------------------------------------------------------------------------
# virtiofsd

_sandbox_cache: str | None = None
_sandbox_lock = threading.Lock()


VIRTIOFSD_CACHE_MODES = ("none", "auto", "always")


def _virtiofsd_argv(sock: str, source: str, sandbox: str, opts=(), cache: str = "none") -> list[str]:
    """opts: more -o options, e.g. ("readdirplus",); cache: none|auto|always."""
    if cache not in VIRTIOFSD_CACHE_MODES:
        raise ValueError(f"bad virtiofsd cache mode {cache!r} (none|auto|always)")
    argv = [VIRTIOFSD, f"--socket-path={sock}", "-o", f"source={source}",
            "-o", f"cache={cache}", "-o", f"sandbox={sandbox}"]
    for o in opts:
        argv += ["-o", o]
    return argv


def probe_virtiofsd_sandbox(tmpdir: str, note=lambda s: None) -> str:
    """Find a sandbox mode virtiofsd can use here ('namespace' or 'chroot').

    virtiofsd sets up its sandbox only after a vhost-user client connected, so
    a failing namespace sandbox shows up only then.  Probe: start it on a
    scratch socket, connect, hang up, and check it reached its main loop."""
    global _sandbox_cache
    with _sandbox_lock:
        if _sandbox_cache:
            return _sandbox_cache
        src = os.path.join(tmpdir, "probe-src")
        os.makedirs(src, exist_ok=True)
        for sandbox in ("namespace", "chroot"):
            sock = os.path.join(tmpdir, f"probe-{sandbox}.sock")
            logp = os.path.join(tmpdir, f"probe-{sandbox}.log")
            with open(logp, "wb") as log:
                p = _spawn(_virtiofsd_argv(sock, src, sandbox), stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT)
            ok = False
            try:
                if _wait_for_path(sock, 5.0, p):
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    try:
                        s.connect(sock)
                        time.sleep(0.3)     # let it pass the sandbox setup
                    finally:
                        s.close()
                    try:
                        p.wait(5.0)
                    except subprocess.TimeoutExpired:
                        pass
                with open(logp, errors="replace") as f:
                    text = f.read()
                ok = "virtio_loop: Entry" in text
            finally:
                _kill_group(p)
            if ok:
                _sandbox_cache = sandbox
                return sandbox
            note(f"virtiofsd sandbox={sandbox} failed: {text.strip()[-300:]}")
        _sandbox_cache = "chroot"   # last resort; failures will be reported
        return _sandbox_cache


class Virtiofsd:
    def __init__(self, source: str, tmpdir: str, note, name: str = "virtiofs", tag: str = "root",
                 opts=(), cache: str = "none"):
        self.opts = tuple(opts)
        self.cache = cache
        self.source = os.path.abspath(source)
        self.tmpdir = tmpdir
        self.note = note
        self.tag = tag
        self.proc: subprocess.Popen | None = None
        self.sock = os.path.join(tmpdir, f"{name}.sock")
        self.logpath = os.path.join(tmpdir, f"{name}d.log")
        self.argv: list[str] | None = None
        self.sandbox = None

    def start(self) -> None:
        os.makedirs(self.source, exist_ok=True)
        first = probe_virtiofsd_sandbox(self.tmpdir, self.note)
        order = [first] + [m for m in ("namespace", "chroot") if m != first]
        for sandbox in order:
            if os.path.exists(self.sock):
                os.unlink(self.sock)
            self.argv = _virtiofsd_argv(self.sock, self.source, sandbox, self.opts, self.cache)
            with open(self.logpath, "ab") as log:
                self.proc = _spawn(self.argv, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT)
            if _wait_for_path(self.sock, 10.0, self.proc):
                self.sandbox = sandbox
                if sandbox != "namespace":
                    self.note(f"virtiofsd: using sandbox={sandbox}")
                return
            rc = self.proc.poll()
            _kill_group(self.proc)
            self.note(f"virtiofsd sandbox={sandbox} exited early (rc={rc}): "
                      f"{self.log()[-300:].strip()}")
        raise RuntimeError("virtiofsd failed to start: " + self.log()[-500:])

    def log(self) -> str:
        try:
            with open(self.logpath, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self) -> None:
        _kill_group(self.proc)

    def server_pid(self) -> int | None:
        """The process that serves requests. With sandbox=namespace
        virtiofsd forks once it has a client: the parent only waits, the
        child (in new namespaces) does the work. So: the deepest live
        descendant of the process we started."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        pid = self.proc.pid
        while True:
            kids = _children(pid)
            if not kids:
                return pid
            pid = max(kids)

    def fd_count(self) -> int | None:
        """Open file descriptors of the serving process (None if gone)."""
        pid = self.server_pid()
        if pid is None:
            return None
        try:
            return len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return None


def _children(pid: int) -> list[int]:
    """Child processes of pid (from /proc/PID/task/*/children, else by a
    scan of /proc for the parent id)."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    found_file = False
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                found_file = True
                kids += [int(x) for x in f.read().split()]
        except OSError:
            pass
    if found_file:
        return kids
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        # comm may contain spaces: the fields after the last ')' are fixed.
        fields = st[st.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            kids.append(int(d))
    return kids


# --------------------------------------------------------------------------
# QMP

class QMP:
    def __init__(self, path: str, timeout: float):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.f = self.sock.makefile("rwb")
        self.greeting = self._read()
        self.n = 0

    def _read(self) -> dict:
        line = self.f.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name: str, **args):
        self.n += 1
        msg = {"execute": name, "id": self.n}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            r = self._read()
            if "event" in r:
                continue
            if r.get("id") != self.n:
                continue
            if "error" in r:
                raise RuntimeError(f"QMP {name}: {r['error']}")
            return r.get("return")

    def close(self):
        try:
            self.f.close()
        finally:
            self.sock.close()


# --------------------------------------------------------------------------
# The run

def build_cmd(*, image=None, cdrom=None, machine="q35", mem="128M", append=None,
              devices=(), accel="tcg", debug_exit=True, vfs_sock=None,
              virtiofs_tag="root", qmp_sock=None, extra=(), vfs_socks=(), initrd=None,
              vfs_device_opts="") -> list[str]:
    """vfs_sock/virtiofs_tag: one virtio-fs device; vfs_socks: a list of
    (socket, tag) for several (used when given). initrd: -initrd (a Linux
    guest, tools/linux-guest); vfs_device_opts: more vhost-user-fs-pci
    properties, e.g. "cache-size=2G" for a DAX window."""
    shares = list(vfs_socks) or ([(vfs_sock, virtiofs_tag)] if vfs_sock is not None else [])
    if machine not in ("pc", "q35", "microvm"):
        raise ValueError(f"bad machine {machine!r} (pc|q35|microvm)")
    if bool(image) == bool(cdrom):
        raise ValueError("give exactly one of image / cdrom")
    memstr, _ = normalize_mem(mem)
    mopts = [machine]
    any_pci = bool(shares) or any(is_pci_device(d) for d in devices)
    if machine == "microvm" and any_pci:
        mopts.append("pcie=on")
    cmd = [QEMU, "-M", ",".join(mopts), "-accel", accel, "-m", memstr,
           "-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none",
           "-serial", "stdio"]
    if image:
        cmd += ["-kernel", image]
    else:
        cmd += ["-cdrom", cdrom, "-boot", "d"]
    if initrd:
        cmd += ["-initrd", initrd]
    if append:
        cmd += ["-append", append]
    if debug_exit:
        cmd += ["-device", DEBUG_EXIT]
    if shares:
        # vhost-user needs guest RAM shareable with the backend process.
        cmd += ["-object", f"memory-backend-memfd,id=mem,size={memstr},share=on",
                "-numa", "node,memdev=mem"]
    for i, (sock, tag) in enumerate(shares):
        cmd += ["-chardev", f"socket,id=vfs{i},path={sock}",
                "-device", f"vhost-user-fs-pci,queue-size=1024,chardev=vfs{i},tag={tag}"
                + (f",{vfs_device_opts}" if vfs_device_opts else "")]
    for d in devices:
        cmd += ["-device", d]
    if qmp_sock is not None:
        cmd += ["-S", "-qmp", f"unix:{qmp_sock},server=on,wait=off"]
    cmd += list(extra)
    return cmd


def decode_status(qemu_rc: int, console: str, stderr: str, power_off_re=None):
    """-> (status, exit_code, error, warning). power_off_re: the guest's
    power-off line with the status as group 1 (default remora's)."""
    m = None
    for m in (power_off_re or POWER_OFF_RE).finditer(console):
        pass
    powered = int(m.group(1)) if m else None
    if qemu_rc == 0:
        if powered is None:
            # With -no-reboot a triple fault (a reset) also ends QEMU with 0.
            return None, EXIT_QEMU_FAILED, ("QEMU exited 0 but the guest never printed 'remora: power off' "
                                            "(a reset or triple fault?)"), None
        return powered, powered & 0xff, None, None
    if qemu_rc == 1 and powered is None and stderr.strip():
        msg = "qemu failed: " + stderr.strip()
        return None, EXIT_QEMU_FAILED, msg, None
    if qemu_rc > 0 and qemu_rc & 1:
        st = qemu_rc >> 1
        # QEMU's exit code has 8 bits: (139 << 1) | 1 arrives as 23. The
        # console's power-off line carries the whole status.
        if powered is not None and ((powered << 1) | 1) & 0xff == qemu_rc:
            st = powered
        warn = None
        if powered is not None and powered != st:
            warn = f"debug-exit status {st} differs from console power-off status {powered}"
        return st, st & 0xff, None, warn
    err = f"qemu failed: exit code {qemu_rc}" + (": " + stderr.strip() if stderr.strip() else "")
    return None, EXIT_QEMU_FAILED, err, None


class VM:
    """The running VM as on_line sees it."""

    def __init__(self, proc: subprocess.Popen, virtiofsd: list, note):
        self._proc = proc
        self._lock = threading.Lock()
        self.virtiofsd = virtiofsd     # Virtiofsd objects, in device order
        self.note = note

    def write(self, data) -> None:
        """Type data on the guest's serial console."""
        if isinstance(data, str):
            data = data.encode()
        with self._lock:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()


def _shares(virtiofs, virtiofs_tag) -> list[tuple[str, str]]:
    if virtiofs is None:
        return []
    if isinstance(virtiofs, (str, os.PathLike)):
        return [(virtiofs_tag, os.fspath(virtiofs))]
    shares = [(str(t), os.fspath(d)) for t, d in virtiofs]
    tags = [t for t, _ in shares]
    if len(set(tags)) != len(tags):
        raise ValueError(f"virtio-fs tags must differ: {tags}")
    return shares


def run(image=None, cdrom=None, machine="q35", mem="128M", append=None, devices=(),
        virtiofs=None, virtiofs_tag="root", timeout=60, debug_exit=True, qmp=False,
        accel=None, extra=(), stream=None, log=None, print_cmd=False, msg=None,
        on_line=None, virtiofsd_opts=(), virtiofsd_cache="none", stdin=None,
        on_output=None, initrd=None, power_off_re=None, vfs_device_opts="") -> Result:
    """Boot once.  stream: binary file to echo the console to (e.g.
    sys.stdout.buffer); log: path to write the console to; msg: callable for
    'qemu-run: ...' notes (they are also kept in Result.notes); stderr of QEMU
    is echoed through msg as well when msg is given.  virtiofs: a directory
    (shared with tag virtiofs_tag) or a list of (tag, directory).  on_line:
    see the module comment; without it the guest's console input is
    /dev/null.  on_output(data, vm): the same, for every chunk of raw console
    bytes as it arrives (for output that does not end a line, like a
    prompt).  stdin="inherit": QEMU reads our own standard input instead
    (an interactive console; QEMU puts a terminal in raw mode and restores
    it when it exits).  virtiofsd_opts: more `-o` options for every
    virtiofsd; virtiofsd_cache: its -o cache= mode, none (default), auto or
    always.  initrd, vfs_device_opts: see build_cmd; power_off_re: see
    decode_status (a Linux guest prints its own power-off line)."""
    notes: list[str] = []
    verbose = print_cmd or os.environ.get("REMORA_VERBOSE") == "1"

    def note(s: str):
        notes.append(s)
        if msg:
            msg(s)

    accel = choose_accel(accel)
    note(f"accel={accel}")
    shares = _shares(virtiofs, virtiofs_tag)
    tmpdir = tempfile.mkdtemp(prefix="qemu-run-")
    vfss: list[Virtiofsd] = []
    qemu = None
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    logf = open(log, "wb") if log else None
    threads = []
    pci = None
    timed_out = False
    launched = ended = None
    t0 = time.monotonic()
    try:
        for i, (tag, src) in enumerate(shares):
            # The first keeps the historical file names (virtiofs.sock).
            vfs = Virtiofsd(src, tmpdir, note, name="virtiofs" if i == 0 else f"virtiofs{i}", tag=tag,
                            opts=virtiofsd_opts, cache=virtiofsd_cache)
            vfss.append(vfs)
            vfs.start()
            if verbose:
                note(f"virtiofsd ({tag}): " + shlex.join(vfs.argv))
        qmp_sock = os.path.join(tmpdir, "qmp.sock") if qmp else None
        cmd = build_cmd(image=image, cdrom=cdrom, machine=machine, mem=mem, append=append,
                        devices=list(devices), accel=accel, debug_exit=debug_exit,
                        vfs_socks=[(v.sock, v.tag) for v in vfss],
                        qmp_sock=qmp_sock, extra=list(extra), initrd=initrd,
                        vfs_device_opts=vfs_device_opts)
        if verbose:
            note("cmd: " + shlex.join(cmd))
        # timeout <= 0 (or None): no limit.
        deadline = time.monotonic() + (timeout if timeout and timeout > 0 else 10 ** 9)
        if stdin == "inherit":
            qemu_in = None
        elif stdin is not None:
            raise ValueError(f"bad stdin {stdin!r} (None or 'inherit')")
        else:
            qemu_in = subprocess.PIPE if (on_line or on_output) else subprocess.DEVNULL
        launched = time.monotonic()
        qemu = _spawn(cmd, stdin=qemu_in, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        vm = VM(qemu, vfss, note)
        partial = [b""]
        stdout_eof = [None]

        def feed_lines(b: bytes):
            data = partial[0] + b
            *done, partial[0] = data.split(b"\n")
            for raw in done:
                line = raw.decode("utf-8", errors="replace").replace("\r", "")
                try:
                    on_line(line, vm)
                except Exception as e:  # the caller's bug: keep the VM's output flowing
                    note(f"on_line failed on {line!r}: {type(e).__name__}: {e}")

        def pump_out():
            fd = qemu.stdout.fileno()
            while True:
                b = os.read(fd, 65536)
                if not b:
                    # QEMU's stdout closes when it exits: a sharper
                    # exit time than the polling wait below.
                    stdout_eof[0] = time.monotonic()
                    break
                out_chunks.append(b)
                if stream is not None:
                    try:
                        stream.write(b)
                        stream.flush()
                    except (OSError, ValueError):
                        pass
                if logf is not None:
                    logf.write(b)
                    logf.flush()
                if on_output:
                    try:
                        on_output(b, vm)
                    except Exception as e:  # as for on_line
                        note(f"on_output failed: {type(e).__name__}: {e}")
                if on_line:
                    feed_lines(b)

        def pump_err():
            for line in qemu.stderr:
                err_chunks.append(line)
                if msg:
                    try:
                        sys.stderr.write(line.decode(errors="replace"))
                        sys.stderr.flush()
                    except (OSError, ValueError):
                        pass

        for fn in (pump_out, pump_err):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            threads.append(t)

        if qmp:
            if not _wait_for_path(qmp_sock, max(1.0, min(20.0, deadline - time.monotonic())), qemu):
                if qemu.poll() is None:
                    note("QMP socket did not appear")
            else:
                q = None
                try:
                    # The socket file exists from bind(); QEMU may not be
                    # listening yet, which refuses the connection: retry.
                    for attempt in range(50):
                        try:
                            q = QMP(qmp_sock, timeout=max(1.0, min(30.0, deadline - time.monotonic())))
                            break
                        except ConnectionRefusedError:
                            if attempt == 49 or qemu.poll() is not None:
                                raise
                            time.sleep(0.1)
                    q.cmd("qmp_capabilities")
                    try:
                        pci = q.cmd("query-pci")
                    except RuntimeError as e:   # e.g. microvm without PCI
                        note(f"query-pci: {e}")
                        pci = []
                    try:
                        q.cmd("cont")
                    except (OSError, EOFError):
                        # A quick guest may exit before the reply is read.
                        time.sleep(0.2)
                        if qemu.poll() is None:
                            raise
                except (OSError, EOFError, RuntimeError, ValueError) as e:
                    note(f"QMP failed: {e}")
                finally:
                    if q:
                        q.close()

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            try:
                qemu.wait(min(left, 0.5))
                ended = time.monotonic()
                break
            except subprocess.TimeoutExpired:
                pass
        if timed_out:
            _kill_group(qemu, grace=1.0)
        for t in threads:
            t.join(5.0)
        if ended is not None and stdout_eof[0] is not None:
            ended = min(ended, stdout_eof[0])
    finally:
        _kill_group(qemu)
        for vfs in vfss:
            vfs.stop()
        if logf is not None:
            logf.close()
        for t in threads:
            t.join(2.0)
        for f in (qemu.stdin if qemu else None, qemu.stdout if qemu else None,
                  qemu.stderr if qemu else None):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        vfs_log = _vfs_logs(vfss)       # before the directory holding it goes
        _rmtree(tmpdir)

    console = b"".join(out_chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
    stderr = b"".join(err_chunks).decode("utf-8", errors="replace")
    res = Result(status=None, console=console, timed_out=timed_out,
                 qemu_rc=None if timed_out else qemu.returncode, pci=pci, cmd=cmd,
                 stderr=stderr, accel=accel, notes=notes,
                 virtiofsd_cmd=vfss[0].argv if vfss else None,
                 virtiofsd_log=vfs_log, virtiofsd_cmds=[v.argv for v in vfss],
                 duration=time.monotonic() - t0, launched=launched, ended=ended)
    if timed_out:
        res.exit_code = EXIT_TIMEOUT
        res.error = f"timeout after {timeout:g} s"
        note(res.error)
        return res
    st, code, err, warn = decode_status(qemu.returncode, console, stderr, power_off_re)
    res.status, res.exit_code, res.error = st, code, err
    if warn:
        note("warning: " + warn)
    if err:
        note(err)
    return res


def _vfs_logs(vfss: list) -> str:
    if len(vfss) == 1:
        return vfss[0].log()
    return "".join(f"--- virtiofsd for tag {v.tag}\n{v.log()}" for v in vfss)


def _rmtree(path: str) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------
# query-pci helpers (shared with the boot tests)

def flatten_pci(buses) -> list[dict]:
    """query-pci result -> flat list of devices (recursing into bridges)."""
    out = []

    def walk(devs, busno):
        for d in devs or []:
            d = dict(d)
            d.setdefault("bus", busno)
            out.append(d)
            br = d.get("pci_bridge")
            if br:
                sec = (br.get("bus") or {}).get("secondary", 0)
                walk(br.get("devices"), sec)

    for b in buses or []:
        walk(b.get("devices"), b.get("bus", 0))
    return out
