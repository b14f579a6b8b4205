"""remora's reference Linux guest: Debian's own kernel and busybox-static in a
generated initramfs, booted by the same QEMU code as remora (tests/lib/qemu.py).

    import linuxguest
    g = linuxguest.build(adds=[("build/bench/fsbench-static", "/bin/fsbench")],
                         out="build/bench/linux-initrd.cpio")
    r = linuxguest.run(g, share="/dev/shm/x", fs="virtiofs", args=["fsbench", "boot", "f"])
    r.status, r.verified, r.events      # exit status, marker check, timed console marks

Front ends: tools/linux-guest/build (prints the kernel and initrd paths) and
tools/linux-guest/run (boots it over a directory). README.md beside this file
says what is inside and why. Python 3.11 standard library only; needs
apt-get and dpkg-deb (Debian) the first time, then works from the cache.

Cache: $REMORA_CACHE (default ~/.cache/remora)/linux-guest/KERNEL-PKG_VERSION/
holds vmlinuz, the modules the init loads, busybox, and the base initramfs
(base-HASH.cpio; the hash covers the init script, busybox and the modules),
built once; a lock file keeps two builds apart.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import os
import re
import secrets
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import qemu  # noqa: E402

INIT = os.path.join(HERE, "init")
CACHE = os.path.join(os.environ.get("REMORA_CACHE") or os.path.expanduser("~/.cache/remora"),
                     "linux-guest")
# The meta-package that names the current distribution kernel; override with
# REMORA_LINUX_PACKAGE=linux-image-6.1.0-NN-amd64 (or a -cloud-amd64 one).
KERNEL_META = "linux-image-amd64"
BUSYBOX_PKG = "busybox-static"

# What each file system needs loaded (their dependencies are added from each
# module's own .modinfo "depends=", the field depmod turns into modules.dep).
MODULE_SETS = {
    "virtiofs": ["virtio_pci", "virtiofs"],
    "9p": ["virtio_pci", "9pnet_virtio", "9p"],
}
FS_TYPES = {                            # fs -> (/proc/mounts type, statfs f_type)
    "virtiofs": ("virtiofs", 0x65735546),   # FUSE_SUPER_MAGIC
    "9p": ("9p", 0x01021997),               # V9FS_MAGIC (9p2000.L passes the host's on)
}
MARKER = ".linux-guest-marker"
POWER_OFF_RE = re.compile(r"linux-guest: power off, status (\d+)")
EVENT_RE = re.compile(r"^linux-guest: (init|modules loaded|mounted|run|power off|error)\b")
# The kernel command line besides lg_* and the command: the serial console,
# quiet (a stock kernel printing its whole log to a 115200-baud UART would
# measure the UART), and no reboot loop after a panic.
BASE_APPEND = "console=ttyS0 quiet panic=-1"


def say(msg: str) -> None:
    sys.stderr.write(f"linux-guest: {msg}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------
# Debian packages

def _run(argv, cwd=None) -> str:
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"failed ({p.returncode}): {shlex.join(argv)}\n{p.stdout[-2000:]}")
    return p.stdout


def _candidate(pkg: str) -> str | None:
    out = subprocess.run(["apt-cache", "policy", pkg], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    m = re.search(r"Candidate:\s*(\S+)", out)
    return m.group(1) if m and m.group(1) != "(none)" else None


_updated = False


def apt_candidate(pkg: str) -> str:
    """The version apt would install, after one `apt-get update` if apt
    knows none (a fresh machine has empty lists)."""
    global _updated
    v = _candidate(pkg)
    if v is None and not _updated:
        say("apt-get update")
        _run(["apt-get", "update", "-q"])
        _updated = True
        v = _candidate(pkg)
    if v is None:
        raise RuntimeError(f"apt knows no package {pkg}")
    return v


def kernel_package() -> str:
    """linux-image-X-amd64: $REMORA_LINUX_PACKAGE, else what the
    linux-image-amd64 meta-package depends on."""
    pkg = os.environ.get("REMORA_LINUX_PACKAGE")
    if pkg:
        return pkg
    apt_candidate(KERNEL_META)
    out = _run(["apt-cache", "depends", "--no-recommends", "--no-suggests", KERNEL_META])
    m = re.search(r"Depends:\s*(linux-image-\S+)", out)
    if not m:
        raise RuntimeError(f"cannot tell which kernel {KERNEL_META} depends on:\n{out}")
    return m.group(1)


def apt_download(pkg: str, version: str, dest: str) -> str:
    """Downloads pkg=version into dest; returns the .deb's path."""
    os.makedirs(dest, exist_ok=True)
    argv = ["apt-get", "download", "-q", f"{pkg}={version}"]
    if os.geteuid() == 0:
        # As root apt downloads as its sandbox user, who may not write here.
        argv[2:2] = ["-o", "APT::Sandbox::User=root"]
    say(f"apt-get download {pkg}={version}")
    _run(argv, cwd=dest)
    debs = [f for f in os.listdir(dest) if f.startswith(pkg + "_") and f.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"apt-get download {pkg}: expected one .deb in {dest}, found {debs}")
    return os.path.join(dest, debs[0])


class Lock:
    """An exclusive flock on PATH for the with-block (two builds, one cache)."""

    def __init__(self, path: str):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, "a")

    def __enter__(self):
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


# --------------------------------------------------------------------------
# Kernel modules

def modinfo(path: str) -> dict[str, str]:
    """The key=value strings of a module's .modinfo section (first value of
    each key; an ELF64 little-endian .ko, as Debian's amd64 modules are)."""
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] != b"\x7fELF" or d[4] != 2:
        raise RuntimeError(f"{path}: not an ELF64 module (compressed?)")
    shoff = struct.unpack_from("<Q", d, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
    strtab_off = secs[shstrndx][4]
    info: dict[str, str] = {}
    for name_off, _t, _f, _a, off, size, *_ in secs:
        end = d.index(b"\0", strtab_off + name_off)
        if d[strtab_off + name_off:end] != b".modinfo":
            continue
        for item in d[off:off + size].split(b"\0"):
            if b"=" in item:
                k, v = item.decode(errors="replace").split("=", 1)
                info.setdefault(k, v)
    return info


def module_name(filename: str) -> str:
    return os.path.basename(filename).split(".ko")[0].replace("-", "_")


def load_order(wanted: list[str], modpaths: dict[str, str]) -> list[str]:
    """Module names, dependencies first (depth-first post-order), for the
    wanted ones and everything they depend on."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(m: str, chain: list[str]):
        if state.get(m) == 2:
            return
        if state.get(m) == 1:
            raise RuntimeError("module dependency cycle: " + " -> ".join(chain + [m]))
        if m not in modpaths:
            raise RuntimeError(f"module {m} is not in the kernel package (needed by {chain})")
        state[m] = 1
        deps = [x for x in modinfo(modpaths[m]).get("depends", "").split(",") if x]
        for dep in deps:
            visit(dep.replace("-", "_"), chain + [m])
        state[m] = 2
        order.append(m)

    for w in wanted:
        visit(w, [])
    return order


# --------------------------------------------------------------------------
# cpio (newc), written here: no cpio program needed, and device nodes
# without root

class Cpio:
    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1
        self.dirs: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev=(0, 0), nlink=1):
        name_b = name.lstrip("/").encode() + b"\0"
        hdr = b"070701" + b"".join(b"%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        self.buf.write(hdr + name_b)
        self.buf.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, path: str):
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p and p not in self.dirs:
                self.dirs.add(p)
                self._entry(p, 0o040755, nlink=2)

    def file(self, path: str, data: bytes, mode: int = 0o644):
        self.dir(os.path.dirname(path))
        self._entry(path, 0o100000 | mode, data)

    def symlink(self, path: str, target: str):
        self.dir(os.path.dirname(path))
        self._entry(path, 0o120777, target.encode())

    def chardev(self, path: str, major: int, minor: int, mode: int = 0o600):
        self.dir(os.path.dirname(path))
        self._entry(path, 0o020000 | mode, rdev=(major, minor))

    def bytes(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        data = self.buf.getvalue()
        return data + b"\0" * (-len(data) % 512)


# --------------------------------------------------------------------------
# Build

@dataclasses.dataclass
class Guest:
    kernel: str                 # vmlinuz
    initrd: str                 # the initramfs to boot (base + additions)
    version: str                # "linux-image-6.1.0-NN-amd64 6.1.x-y"
    busybox: str                # busybox-static's version
    modules: dict               # fs -> module file names in load order
    info: dict


def _write_atomic(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _ensure_kernel(pkg: str, ver: str, kdir: str) -> None:
    """Downloads and extracts the kernel package into kdir: vmlinuz, config,
    and the modules of every MODULE_SETS entry with their dependencies
    (uncompressed, as the package ships them) in kdir/modules/."""
    if os.path.exists(os.path.join(kdir, ".complete")):
        return
    tmp = tempfile.mkdtemp(prefix="dl-", dir=os.path.dirname(kdir))
    try:
        deb = apt_download(pkg, ver, tmp)
        say(f"extracting {os.path.basename(deb)}")
        x = os.path.join(tmp, "x")
        _run(["dpkg-deb", "-x", deb, x])
        boot = os.path.join(x, "boot")
        vmlinuz = [f for f in os.listdir(boot) if f.startswith("vmlinuz-")]
        config = [f for f in os.listdir(boot) if f.startswith("config-")]
        if len(vmlinuz) != 1:
            raise RuntimeError(f"{pkg}: expected one /boot/vmlinuz-*, found {vmlinuz}")
        mroot = os.path.join(x, "lib", "modules")
        kver = os.listdir(mroot)[0]
        modpaths = {}
        for dp, _dn, fn in os.walk(os.path.join(mroot, kver)):
            for f in fn:
                if ".ko" in f:
                    modpaths[module_name(f)] = os.path.join(dp, f)
        out = kdir + ".tmp"
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.join(out, "modules"))
        shutil.copy(os.path.join(boot, vmlinuz[0]), os.path.join(out, "vmlinuz"))
        if config:
            shutil.copy(os.path.join(boot, config[0]), os.path.join(out, "config"))
        lines = [f"package: {pkg} {ver}", f"kernel-release: {kver}"]
        for fs, wanted in MODULE_SETS.items():
            order = load_order(wanted, modpaths)
            files = []
            for m in order:
                src = modpaths[m]
                if not src.endswith(".ko"):
                    raise RuntimeError(f"{src}: compressed module; add decompression here")
                shutil.copy(src, os.path.join(out, "modules", os.path.basename(src)))
                files.append(os.path.basename(src))
            lines.append(f"modules-{fs}: {' '.join(files)}")
        with open(os.path.join(out, "info"), "w") as f:
            f.write("\n".join(lines) + "\n")
        open(os.path.join(out, ".complete"), "w").close()
        shutil.rmtree(kdir, ignore_errors=True)
        os.replace(out, kdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ensure_busybox(ver: str, bdir: str) -> None:
    if os.path.exists(os.path.join(bdir, ".complete")):
        return
    tmp = tempfile.mkdtemp(prefix="dl-", dir=os.path.dirname(bdir))
    try:
        deb = apt_download(BUSYBOX_PKG, ver, tmp)
        x = os.path.join(tmp, "x")
        _run(["dpkg-deb", "-x", deb, x])
        out = bdir + ".tmp"
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        shutil.copy(os.path.join(x, "bin", "busybox"), os.path.join(out, "busybox"))
        applets = _run([os.path.join(out, "busybox"), "--list"]).split()
        with open(os.path.join(out, "applets"), "w") as f:
            f.write("\n".join(applets) + "\n")
        open(os.path.join(out, ".complete"), "w").close()
        shutil.rmtree(bdir, ignore_errors=True)
        os.replace(out, bdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_info(path: str) -> dict:
    info = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(": ")
            info[k] = v
    return info


def build(adds=(), out: str | None = None) -> Guest:
    """The guest's kernel and initramfs, built (once) into the cache.

    adds: (host file, guest path) pairs put into an extra cpio archive that
    is appended to the cached base one (the kernel unpacks concatenated
    archives in turn) and written to out, which adds requires."""
    pkg = kernel_package()
    kver = apt_candidate(pkg)
    bbver = apt_candidate(BUSYBOX_PKG)
    kdir = os.path.join(CACHE, f"{pkg}_{kver}".replace(":", "%3a"))
    bdir = os.path.join(CACHE, f"busybox_{bbver}".replace(":", "%3a"))
    os.makedirs(CACHE, exist_ok=True)
    with Lock(os.path.join(CACHE, ".lock")):
        _ensure_kernel(pkg, kver, kdir)
        _ensure_busybox(bbver, bdir)
        info = _read_info(os.path.join(kdir, "info"))
        modules = {fs: info[f"modules-{fs}"].split() for fs in MODULE_SETS}
        with open(INIT, "rb") as f:
            init = f.read()
        with open(os.path.join(bdir, "busybox"), "rb") as f:
            busybox = f.read()
        applets = open(os.path.join(bdir, "applets")).read().split()
        h = hashlib.sha256(init + busybox)
        for fs in sorted(modules):
            h.update(("\n" + fs + ":" + " ".join(modules[fs])).encode())
        base = os.path.join(kdir, f"base-{h.hexdigest()[:12]}.cpio")
        if not os.path.exists(base):
            c = Cpio()
            for d in ("dev", "proc", "sys", "mnt", "tmp", "etc", "lib/modules"):
                c.dir(d)
            c.chardev("dev/console", 5, 1)      # init's stdio before devtmpfs
            c.chardev("dev/null", 1, 3, 0o666)
            c.file("init", init, 0o755)
            c.file("bin/busybox", busybox, 0o755)
            for a in applets:
                if a != "busybox":
                    c.symlink(f"bin/{a}", "busybox")
            for fs, files in modules.items():
                c.file(f"etc/modules-{fs}", ("\n".join(files) + "\n").encode())
            for f in sorted({m for files in modules.values() for m in files}):
                with open(os.path.join(kdir, "modules", f), "rb") as mf:
                    c.file(f"lib/modules/{f}", mf.read())
            _write_atomic(base, c.bytes())
    initrd = base
    if adds:
        if not out:
            raise ValueError("build(adds=...) needs out=")
        c = Cpio()
        for src, dst in adds:
            with open(src, "rb") as f:
                data = f.read()
            c.file(dst, data, os.stat(src).st_mode & 0o777)
        with open(base, "rb") as f:
            data = f.read()
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        _write_atomic(out, data + c.bytes())
        initrd = out
    return Guest(kernel=os.path.join(kdir, "vmlinuz"), initrd=initrd, version=f"{pkg} {kver}",
                 busybox=bbver, modules=modules, info=info)


# --------------------------------------------------------------------------
# Run

@dataclasses.dataclass
class LinuxResult:
    status: int | None
    result: qemu.Result
    events: list                # (seconds after QEMU launch, console line) for marker lines
    lines: list                 # (seconds after launch, line) for every console line
    verified: bool              # the marker proves the claimed mount
    verify_note: str            # why not, or what was seen
    append: str                 # the kernel command line
    exit_s: float | None        # launch -> QEMU gone


def dax_capable(qemu_bin: str | None = None) -> bool:
    """Does this QEMU's vhost-user-fs-pci have a DAX window (cache-size=)?
    Upstream QEMU 7.2 does not; a DAX host's patched QEMU does."""
    try:
        out = subprocess.run([qemu_bin or qemu.QEMU, "-device", "vhost-user-fs-pci,help"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "cache-size" in out


def ninep_args(share: str, tag: str) -> list[str]:
    """QEMU arguments for a virtio-9p-pci device over share (mount_tag tag)."""
    model = "passthrough" if os.geteuid() == 0 else "mapped-xattr"
    return ["-fsdev", f"local,id=fs9p,path={os.path.abspath(share)},security_model={model},multidevs=remap",
            "-device", f"virtio-9p-pci,fsdev=fs9p,mount_tag={tag}"]


def kernel_cmdline(fs: str, tag: str, opts: str | None, nonce: str, args: list[str],
                   extra: str | None = None) -> str:
    parts = [BASE_APPEND]
    if extra:
        parts.append(extra)
    parts.append(f"lg_fs={fs}")
    if fs != "none":
        parts.append(f"lg_tag={tag}")
    if opts:
        if '"' in opts or " " in opts:
            raise ValueError(f"mount options {opts!r}: no blanks or double quotes")
        parts.append(f"lg_opts={opts}")
    parts.append(f"lg_nonce={nonce}")
    if args:
        parts.append("--")
        for a in args:
            if '"' in a:
                raise ValueError(f"argument {a!r}: the kernel's command line cannot carry '\"'")
            parts.append(f'"{a}"' if (not a or re.search(r"\s", a)) else a)
    return " ".join(parts)


def host_fs_magic(path: str) -> int | None:
    """statfs f_type of a host directory (coreutils stat -f)."""
    try:
        out = subprocess.run(["stat", "-f", "-c", "%t", path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=10).stdout.strip()
        return int(out, 16)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def fs_magics(fs: str, share: str) -> set:
    """The statfs types a guest may see on its mount of share over fs:
    virtiofs reports FUSE's; 9p2000.L reports the host file system's own
    (v9fs_statfs copies the server's), so there the /proc/mounts type and
    the marker's presence in the host directory are the proof."""
    magics = {FS_TYPES[fs][1]}
    if fs == "9p":
        m = host_fs_magic(share)
        if m is not None:
            magics.add(m)
    return magics


def verify_marker(share: str, fs: str, nonce: str, need_opts=()) -> tuple[bool, str]:
    """Did the guest write the marker into this very directory, over fs,
    with the options asked for?"""
    path = os.path.join(share, MARKER)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return False, f"no marker in {share} ({e.strerror}): the guest did not write into this directory"
    kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    want_type = FS_TYPES[fs][0]
    want_magics = fs_magics(fs, share)
    if kv.get("nonce") != nonce:
        return False, f"marker nonce {kv.get('nonce')!r}, expected {nonce!r} (a stale marker?)"
    fields = kv.get("mount", "").split()
    if len(fields) < 4 or fields[1] != "/mnt" or fields[2] != want_type:
        return False, f"marker mount line {kv.get('mount')!r}: not {want_type} on /mnt"
    try:
        magic = int(kv.get("statfs_type", ""), 16)
    except ValueError:
        magic = None
    if magic not in want_magics:
        return False, (f"statfs type {kv.get('statfs_type')!r}, expected "
                       + " or ".join(f"{m:#x}" for m in sorted(want_magics)))
    mopts = fields[3].split(",")
    for o in need_opts:
        if not any(m == o or m.startswith(o + "=") for m in mopts):
            return False, f"mount options {fields[3]} lack {o}"
    return True, kv.get("mount", "")


def run(guest: Guest, share: str | None, fs: str = "virtiofs", tag: str = "bench",
        opts: str | None = None, args=(), cache: str = "none", mem: str = "512M",
        timeout: float = 600, accel: str | None = None, need_opts=(), vfs_device_opts: str = "",
        virtiofsd_opts=(), stream=None, log: str | None = None, append_extra: str | None = None,
        verify: bool = True) -> LinuxResult:
    """Boots the guest with share mounted on /mnt over fs (virtiofs through
    virtiofsd -o cache=CACHE, or 9p through QEMU's virtio-9p-pci), runs args
    there and returns its status. need_opts: mount options the marker must
    show (e.g. ("dax",)); vfs_device_opts: more vhost-user-fs-pci properties
    (e.g. "cache-size=2G" on a DAX host)."""
    if fs not in ("virtiofs", "9p", "none"):
        raise ValueError(f"bad fs {fs!r} (virtiofs|9p|none)")
    nonce = secrets.token_hex(8)
    if share is not None and fs != "none":
        try:
            os.unlink(os.path.join(share, MARKER))
        except FileNotFoundError:
            pass
    append = kernel_cmdline(fs, tag, opts, nonce, list(args), append_extra)
    lines: list = []

    def on_line(line, vm):
        lines.append((time.monotonic(), line))

    extra = ninep_args(share, tag) if fs == "9p" else []
    r = qemu.run(image=guest.kernel, initrd=guest.initrd, machine="q35", mem=mem, append=append,
                 virtiofs=share if fs == "virtiofs" else None, virtiofs_tag=tag, timeout=timeout,
                 accel=accel, extra=extra, stream=stream, log=log, on_line=on_line,
                 virtiofsd_cache=cache, virtiofsd_opts=virtiofsd_opts,
                 power_off_re=POWER_OFF_RE, vfs_device_opts=vfs_device_opts)
    t0 = r.launched or 0.0
    rel = [(t - t0, line) for t, line in lines]
    events = [(t, line) for t, line in rel if EVENT_RE.match(line)]
    ok, note = (True, "no mount") if fs == "none" or not verify else \
        verify_marker(share, fs, nonce, need_opts)
    exit_s = (r.ended - t0) if (r.ended and r.launched) else None
    return LinuxResult(status=r.status, result=r, events=events, lines=rel, verified=ok,
                       verify_note=note, append=append, exit_s=exit_s)


def event_time(res: LinuxResult, name: str) -> float | None:
    """Seconds from QEMU's launch to the first console event NAME."""
    for t, line in res.events:
        if line.startswith("linux-guest: " + name):
            return t
    return None
