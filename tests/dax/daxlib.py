"""The DAX tests' toolkit (tests/dax/run-tests): the data pattern and
FNV-1a 64 (the same as tests/dax/daxtest.c), daxtest scripts with the model
of every file they touch and the result each line must print, and one VM
run (Run.boot) with its checks.
"""

from __future__ import annotations

import array
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fs"))
import fstest  # noqa: E402
import qemu  # noqa: E402

BUILD = os.path.join(ROOT, "build")
LOGDIR = os.path.join(BUILD, "test-logs")
TOOLDIR = os.path.join(BUILD, "dax")
IMAGE = os.path.join(BUILD, "dax.img")

KiB, MiB = 1 << 10, 1 << 20
RANGE = 2 * MiB                         # fs/virtiofs/dax.h DAX_RANGE_SIZE
SIGNALS = {"SIGSEGV": 11, "SIGBUS": 7}  # a crashed program's status is 128 + signal

# ---------------------------------------------------------------------------
# Data: the pattern, FNV-1a 64


def pattern(seed: int, off: int, n: int) -> bytes:
    """daxtest.c pat_fill(): the little-endian word at offset k (k a
    multiple of 8) is (seed << 40) | k."""
    if n <= 0:
        return b""
    a, b = off & ~7, (off + n + 7) & ~7
    base = seed << 40
    words = array.array("Q", range(base | a, base | b, 8))
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()[off - a:off - a + n]


FNV_INIT, FNV_PRIME = 0xcbf29ce484222325, 0x100000001b3


def fnv_tool() -> str:
    """tests/fs/fnv1a.c, built once (tests/fs/fstest.py)."""
    return fstest.fnv_tool()


def fnv_files(reqs: list[tuple[str, int, int]]) -> list[tuple[int, str]]:
    """[(path, off, len or -1)] -> [(bytes hashed, hash as 16 hex digits)]"""
    return [(-1, f"error {b}") if a == "error" else (a, f"{b:016x}") for a, b in fstest.fnv_ranges(reqs)]


def fnv(data: bytes) -> str:
    if len(data) <= 16 * KiB:
        h = FNV_INIT
        for b in data:
            h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
        return f"{h:016x}"
    os.makedirs(TOOLDIR, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=TOOLDIR, prefix="fnv-") as f:
        f.write(data)
        f.flush()
        return fnv_files([(f.name, 0, -1)])[0][1]


def fnv_self_test():
    """The tool and the Python loop agree (and on a known vector)."""
    assert fnv(b"a") == "af63dc4c8601ec8c", fnv(b"a")
    data = pattern(3, 5, 40000)
    py = FNV_INIT
    for b in data:
        py = ((py ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    assert fnv(data) == f"{py:016x}"


def pattern_file(path: str, size: int, seed: int):
    with open(path, "wb") as f:
        for a in range(0, size, 4 * MiB):
            f.write(pattern(seed, a, min(4 * MiB, size - a)))


def first_diff_from_pattern(path: str, size: int, seed: int):
    """None if the host file is exactly `size` bytes of pattern seed, else
    (offset, what differs)."""
    st = os.stat(path)
    if st.st_size != size:
        return (min(st.st_size, size), f"size {st.st_size}")
    with open(path, "rb") as f:
        for a in range(0, size, 4 * MiB):
            want = pattern(seed, a, min(4 * MiB, size - a))
            got = f.read(len(want))
            if got != want:
                i = next(k for k in range(len(got)) if k >= len(want) or got[k] != want[k])
                return (a + i, f"{got[i:i + 8].hex()} instead of {want[i:i + 8].hex()}")
    return None


def tmp_base(need: int) -> str:
    """Where shares go: $REMORA_DAX_TMP, else /dev/shm when it has `need`
    bytes free, else /tmp."""
    env = os.environ.get("REMORA_DAX_TMP")
    if env:
        return env
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= need and os.access("/dev/shm", os.W_OK):
            return "/dev/shm"
    except OSError:
        pass
    return tempfile.gettempdir()


# ---------------------------------------------------------------------------
# Cases


class Case:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.tail = None

    def check(self, cond, expected, saw):
        if not cond:
            self.failures.append((str(expected), str(saw)))
        return bool(cond)


# ---------------------------------------------------------------------------
# Scripts and their models


class Script:
    """A daxtest script being written, with the model of each file it
    touches and the result each line must print. Expected values may be
    callables, evaluated after the VM (e.g. a hash of the host's file).
    Every line belongs to the case named by the last case() call."""

    def __init__(self, name, window=True):
        self.name = name
        self.window = window        # False: no DAX window (stores go through pwrite)
        self.lines = []             # script text lines
        self.expect = {}            # line number -> (case name, {key: value}, kind)
        self.cur = name
        self.order = []             # case names in order
        self.files = {}             # guest path -> bytearray model (None: not modelled)
        self.fds = {}               # slot -> guest path
        self.maps = {}              # slot -> (path, off, len)
        self.actions = {}           # pause tag -> fn(case)
        self.host_checks = []       # (case name, fn(case)) after the VM

    def case(self, name):
        self.cur = f"{self.name}.{name}"
        if self.cur not in self.order:
            self.order.append(self.cur)

    def _add(self, text, expect=None, kind="op"):
        self.lines.append(text)
        n = len(self.lines)
        if expect is not None:
            if self.cur not in self.order:
                self.order.append(self.cur)
            self.expect[n] = (self.cur, expect, kind)
        return n

    def text(self):
        return "".join(ln + "\n" for ln in self.lines)

    # --- files

    def model(self, path, data):
        self.files[path] = bytearray(data) if data is not None else None

    def open(self, slot, path, flags):
        self.fds[slot] = path
        if "t" in flags and self.files.get(path) is not None:
            del self.files[path][:]
        if "c" in flags and path not in self.files:
            self.files[path] = bytearray()
        self._add(f"open {slot} {path} {flags}", {"result": "ok"})

    def open_fails(self, slot, path, flags, err):
        self._add(f"open {slot} {path} {flags}", {"err": err})

    def close(self, slot):
        self._add(f"close {slot}", {"result": "ok"})

    def fsync(self, slot):
        self._add(f"fsync {slot}", {"result": "ok"})

    def size(self, slot):
        m = self.files[self.fds[slot]]
        self._add(f"size {slot}", {"size": str(len(m))})

    def read(self, slot, off, n):
        m = self.files[self.fds[slot]]
        data = bytes(m[off:off + n])
        self._add(f"read {slot} {off} {n}", {"n": str(len(data)), "fnv": fnv(data)})

    def readall(self, slot, chunk, seed=None, n=None, fnv_of=None, fnv_now=None):
        """With a model: expects its size and hash. Without (big files):
        n bytes, the pattern of seed, and the hash of fnv_of (a host path,
        hashed after the VM) or of fnv_now (hashed now)."""
        m = self.files.get(self.fds[slot])
        exp = {}
        if m is not None:
            exp = {"n": str(len(m)), "fnv": fnv(bytes(m))}
        else:
            exp["n"] = str(n)
            if fnv_of:
                exp["fnv"] = lambda p=fnv_of: fnv_files([(p, 0, -1)])[0][1]
            if fnv_now:
                exp["fnv"] = fnv_files([(fnv_now, 0, -1)])[0][1]
        if seed is not None:
            exp["pattern"] = "ok"
        self._add(f"readall {slot} {chunk}" + (f" {seed}" if seed is not None else ""), exp)

    def _put(self, path, off, data):
        m = self.files.get(path)
        if m is None:
            return
        if off > len(m):
            m.extend(bytes(off - len(m)))
        m[off:off + len(data)] = data

    def write(self, slot, off, n, seed):
        self._put(self.fds[slot], off, pattern(seed, off, n))
        self._add(f"write {slot} {off} {n} {seed}", {"n": str(n)})

    def fill(self, slot, size, chunk, seed):
        self._add(f"fill {slot} {size} {chunk} {seed}", {"n": str(size)})

    def append(self, slot, n, seed):
        path = self.fds[slot]
        at = len(self.files[path])
        self._put(path, at, pattern(seed, at, n))
        self._add(f"append {slot} {n} {seed} {at}", {"n": str(n), "at": str(at)})

    def trunc(self, slot, size):
        m = self.files[self.fds[slot]]
        if size < len(m):
            del m[size:]
        else:
            m.extend(bytes(size - len(m)))
        self._add(f"trunc {slot} {size}", {"result": "ok"})

    def falloc(self, slot, mode, off, n):
        m = self.files[self.fds[slot]]
        if mode == "punch":
            end = min(off + n, len(m))
            if off < end:
                m[off:end] = bytes(end - off)
        elif mode == "zero":
            if off + n > len(m):
                m.extend(bytes(off + n - len(m)))
            m[off:off + n] = bytes(n)
        elif mode == "collapse":
            del m[off:off + n]
        elif mode == "insert":
            m[off:off] = bytes(n)
        elif mode == "plain":
            if off + n > len(m):
                m.extend(bytes(off + n - len(m)))
        self._add(f"falloc {slot} {mode} {off} {n}", {"result": "ok"})

    def unlink(self, path):
        self.files.pop(path, None)
        self._add(f"unlink {path}", {"result": "ok"})

    # --- mappings (without a window: the same data through pread/pwrite)

    def map(self, mslot, slot, off, n, prot, err=None):
        if not self.window:
            self._add(f"map {mslot} {slot} {off} {n} {prot}", {"err": "ENODEV"})
            self.maps[mslot] = (self.fds[slot], off, n, slot)
            return
        if err:
            self._add(f"map {mslot} {slot} {off} {n} {prot}", {"err": err})
            return
        self.maps[mslot] = (self.fds[slot], off, n, slot)
        self._add(f"map {mslot} {slot} {off} {n} {prot}", {"result": "ok"})

    def mread(self, mslot, off, n):
        path, moff, _, slot = self.maps[mslot]
        m = self.files[path]
        data = bytes(m[moff + off:moff + off + n])
        if not self.window:
            self._add(f"read {slot} {moff + off} {n}", {"n": str(len(data)), "fnv": fnv(data)})
            return
        data += bytes(n - len(data))        # a page's tail past EOF reads as zeros
        self._add(f"mread {mslot} {off} {n}", {"n": str(n), "fnv": fnv(data)})

    def mcheck(self, mslot, off, n, seed):
        path, moff, _, slot = self.maps[mslot]
        if not self.window:
            self._add(f"read {slot} {moff + off} {n}",
                      {"n": str(n), "fnv": fnv(pattern(seed, moff + off, n))})
            return
        self._add(f"mcheck {mslot} {off} {n} {seed}", {"pattern": "ok"})

    def mwrite(self, mslot, off, n, seed):
        path, moff, _, slot = self.maps[mslot]
        if not self.window:
            self.write(slot, moff + off, n, seed)
            return
        self._put(path, moff + off, pattern(seed, moff + off, n))
        self._add(f"mwrite {mslot} {off} {n} {seed}", {"result": "ok"})

    def preadm(self, slot, off, n, mslot, moff, err=None):
        """pread from descriptor slot into mapping mslot at moff."""
        if err:
            self._add(f"preadm {slot} {off} {n} {mslot} {moff}", {"err": err})
            return
        src = self.files[self.fds[slot]]
        data = bytes(src[off:off + n])
        path, mo, _, _ = self.maps[mslot]
        self._put(path, mo + moff, data)
        self._add(f"preadm {slot} {off} {n} {mslot} {moff}", {"n": str(len(data))})

    def pwritem(self, slot, off, n, mslot, moff):
        """pwrite to descriptor slot from mapping mslot at moff."""
        path, mo, _, _ = self.maps[mslot]
        data = bytes(self.files[path][mo + moff:mo + moff + n])
        data += bytes(n - len(data))        # the last page's tail past EOF: zeros
        self._put(self.fds[slot], off, data)
        self._add(f"pwritem {slot} {off} {n} {mslot} {moff}", {"n": str(n)})

    def msync(self, mslot, how="sync"):
        if self.window:
            self._add(f"msync {mslot} {how}", {"result": "ok"})

    def unmap(self, mslot, off=None, n=None):
        if self.window:
            self._add(f"unmap {mslot}" + (f" {off} {n}" if off is not None else ""), {"result": "ok"})

    def touch(self, mslot, off, how, survive=False, value=None):
        """An access expected to end the program (or, survive=True, to read
        value)."""
        exp = {"survived": "value=" + str(value)} if survive else {"crash": True}
        self._add(f"touch {mslot} {off} {how}", exp, kind="touch")

    def pause(self, tag, action=None):
        """The guest waits; action(case) runs on the host first."""
        self._add(f"pause {tag}", {"result": "ok"})
        if action:
            self.actions[tag] = (self.cur, action)

    def host_check(self, fn):
        self.host_checks.append((self.cur, fn))
        if self.cur not in self.order:
            self.order.append(self.cur)


RESULT_RE = re.compile(r"^dax: (\d+) (\w+) -> (.*)$")
STATS_RE = re.compile(r"^vfs: (\S+): DAX: (\d+) maps, (\d+) hits, (\d+) upgrades, (\d+) unmaps in (\d+) "
                      r"batches, (\d+) inline reclaims, (\d+) bypasses, (\d+) busy$")
STATS_KEYS = ("maps", "hits", "upgrades", "unmaps", "batches", "inline", "bypasses", "busy")
WINDOW_RE = re.compile(r"^vfs: (\S+): DAX window (\d+) MiB at 0x[0-9a-f]+ \((\d+) ranges of 2 MiB\)$")
FALLBACK = ("vfs: root: no DAX: the device has no DAX window (shared memory region 0); "
            "file data goes through FUSE_READ/WRITE")
REFUSED = "vfs: root: dax=always, but the device has no DAX window (shared memory region 0): not mounting"
FUSE_RE = re.compile(r"^fuse: (\S+) #\d+ (\S+) node (\d+)(?: \"[^\"]*\")?(?: off (-?\d+))?(?: len (-?\d+))? "
                     r"-> (?:ok, \d+ bytes|error (-?\d+)) \(\d+ us\)$")


def parse_kv(text):
    out = {}
    for w in text.split():
        k, eq, v = w.partition("=")
        out[k] = v if eq else True
    return out


# ---------------------------------------------------------------------------
# One VM

POWER_OFF_RE = re.compile(r"remora: power off, status (\d+)")


def guest_status(r):
    """The guest's status. QEMU's exit code is 8 bits, so isa-debug-exit's
    (status << 1) | 1 loses the top bit of a status >= 128 (a crashed
    program's 128 + signal): qemu.run then reports 139 as 11. The console's
    power-off line has it whole; take it when it agrees with QEMU's code."""
    m = None
    for m in POWER_OFF_RE.finditer(r.console):
        pass
    if m and r.qemu_rc is not None and r.qemu_rc & 1 and (((int(m.group(1)) << 1) | 1) & 0xff) == r.qemu_rc:
        return int(m.group(1))
    return r.status


class Host:
    """Which QEMU and virtiofsd, and the window."""

    def __init__(self, kind, qemu_bin, virtiofsd_bin, window=None):
        self.kind, self.qemu, self.virtiofsd, self.window = kind, qemu_bin, virtiofsd_bin, window



class Run:
    """A scenario: its share, script, VM result and cases."""

    def __init__(self, name, tmp_need=1 << 30):
        self.name = name
        self.tmp_need = tmp_need
        self.cases: dict[str, Case] = {}
        self.order = []
        self.share = None
        self.tmpdirs = []
        self.r = None
        self.lines = []
        self.stats = {}
        self.duration = 0.0         # in VMs
        self.wall = 0.0             # the whole scenario
        self.vfs_log = ""

    def case(self, name):
        if name not in self.cases:
            self.cases[name] = Case(name)
            self.order.append(name)
        return self.cases[name]

    def tree(self, label="share"):
        d = tempfile.mkdtemp(prefix=f"remora-dax-{self.name}-{label}-", dir=tmp_base(self.tmp_need))
        os.chmod(d, 0o755)
        self.tmpdirs.append(d)
        return d

    def hp(self, gpath, share=None):
        return os.path.join(share or self.share, gpath.lstrip("/"))

    def boot(self, host: Host, script: Script | None, options="", timeout=120, shares=None,
             window=None, virtiofsd_opts=(), expect_status=0, expect_mount="window", args=None,
             virtiofsd_cache="none"):
        """Boot build/dax.img over the share running script; check the VM
        (case NAME.vm) and every result line against the script."""
        vmc = self.case(f"{self.name}.vm")
        if script is not None:
            with open(self.hp("/script"), "w") as f:
                f.write(script.text())
        window = window if window is not None else host.window
        dev_opts = f"cache-size={window}" if window else ""
        append = qemu.app_cmdline(options or None, args if args is not None else ["/script"])
        log = os.path.join(LOGDIR, f"dax-{self.name}.log")
        pauses = []
        vfs_logs = []

        def on_line(line, vm):
            line = line.replace("\r", "")
            if line.startswith("remora: power off"):
                # qemu.run's Result.virtiofsd_log is read after its
                # temporary directory (with the log) is gone: keep a copy
                # now, when the guest has sent its last request.
                vfs_logs[:] = [v.log() for v in vm.virtiofsd]
            if not line.startswith("dax: PAUSE "):
                return
            tag = line.split()[2]
            pauses.append(tag)
            act = script.actions.get(tag) if script else None
            if act:
                cname, fn = act
                try:
                    fn(self.case(cname))
                except Exception as e:  # noqa: BLE001 (a harness bug: reported)
                    self.case(cname).check(False, f"the host action at PAUSE {tag} to run",
                                           f"{type(e).__name__}: {e}")
            vm.write("\n")

        use_host(host)
        try:
            r = self.r = qemu.run(image=IMAGE, machine="q35", mem="256M", append=append,
                                  devices=["virtio-rng-pci"], virtiofs=shares or self.share,
                                  virtiofs_tag="root", timeout=timeout, log=log, on_line=on_line,
                                  virtiofsd_opts=("posix_lock",) + tuple(virtiofsd_opts),
                                  virtiofsd_cache=virtiofsd_cache, vfs_device_opts=dev_opts)
        finally:
            done_with_host()
        self.duration += r.duration
        self.vfs_log = r.virtiofsd_log or "".join(vfs_logs)
        self.lines = [ln.replace("\r", "") for ln in r.console.split("\n")]
        self.write_info(host, script, append, r, window)
        vmc.tail = self.lines[-30:]
        for ln in self.lines:
            m = STATS_RE.match(ln)
            if m:
                self.stats[m.group(1)] = dict(zip(STATS_KEYS, map(int, m.groups()[1:])))
        if r.timed_out:
            vmc.check(False, f"the VM to finish within {timeout} s", "a timeout")
            return r
        if r.status is None:
            vmc.check(False, "the VM to run", r.error)
            return r
        panic = next((ln for ln in self.lines if ln.startswith("panic")), None)
        vmc.check(panic is None, "no panic", panic)
        off = next((ln for ln in self.lines if "DAX off" in ln), None)
        vmc.check(off is None, "the window in use to the end (no 'DAX off' line)", off)
        if expect_mount == "window":
            w = [m for m in map(WINDOW_RE.match, self.lines) if m and m.group(1) == "root"]
            want = qemu.normalize_mem(window)[1] >> 20 if window else 0
            vmc.check(w and int(w[0].group(2)) == want and int(w[0].group(3)) == want // 2,
                      f"'vfs: root: DAX window {want} MiB at 0x... ({want // 2} ranges of 2 MiB)'",
                      w[0].group(0) if w else "no such line")
        elif expect_mount == "fallback":
            vmc.check(FALLBACK in self.lines, repr(FALLBACK), "no such line")
            vmc.check(not any(WINDOW_RE.match(ln) for ln in self.lines), "no DAX window line",
                      next((ln for ln in self.lines if WINDOW_RE.match(ln)), ""))
        if expect_mount != "refused":
            vmc.check("vfs: mounted root on /" in self.lines, "'vfs: mounted root on /'", "no such line")
            if expect_status == 0:
                vmc.check("dax: done" in self.lines, "the script to run to 'dax: done'",
                          next((ln for ln in reversed(self.lines) if ln.startswith("dax:")), "nothing"))
        status = guest_status(r)
        vmc.check(status == expect_status, f"guest status {expect_status}",
                  f"status {status} (qemu rc {r.qemu_rc})")
        if expect_mount == "window":
            vmc.check("root" in self.stats, "the unmount statistics line 'vfs: root: DAX: ...'",
                      "no such line")
        if script is not None:
            self.check_results(script)
            if script.actions:
                self.case(f"{self.name}.vm").check(
                    pauses == [ln.split()[1] for ln in script.lines if ln.startswith("pause ")],
                    "every pause of the script, in order",
                    " ".join(pauses) or "none")
        return r

    def check_results(self, script: Script):
        got = {}
        for ln in self.lines:
            m = RESULT_RE.match(ln)
            if m:
                got.setdefault(int(m.group(1)), []).append((m.group(2), m.group(3)))
        for name in script.order:
            self.case(name)
        for n, (cname, exp, kind) in sorted(script.expect.items()):
            c = self.case(cname)
            line = script.lines[n - 1]
            res = got.get(n)
            if kind == "touch":
                if exp.get("crash"):
                    c.check(res and res[0][1].startswith("about to") and len(res) == 1,
                            f"line {n} `{line}`: the access to end the program",
                            " / ".join(r for _, r in res) if res else "no result line")
                else:
                    c.check(res and len(res) == 2 and res[1][1] == f"survived {exp['survived']}",
                            f"line {n} `{line}`: to read {exp['survived']}",
                            " / ".join(r for _, r in res) if res else "no result line")
                continue
            if not res:
                c.check(False, f"line {n} `{line}`: a result", "none")
                continue
            kv = parse_kv(res[0][1])
            if "result" in exp:
                kv["result"] = res[0][1].split()[0]
            bad = []
            for k, v in exp.items():
                want = v() if callable(v) else v
                if kv.get(k) != want:
                    bad.append((k, want, kv.get(k)))
            if bad:
                c.check(False, f"line {n} `{line}`: " + ", ".join(f"{k}={w}" for k, w, _ in bad),
                        res[0][1])

    def check_host_file(self, c: Case, gpath, model, share=None):
        p = self.hp(gpath, share)
        try:
            with open(p, "rb") as f:
                got = f.read()
        except OSError as e:
            c.check(False, f"{gpath} on the host", e.strerror)
            return
        if got == model:
            return
        if len(got) != len(model):
            c.check(False, f"{gpath}: {len(model)} bytes on the host", f"{len(got)} bytes")
        i = next((k for k in range(min(len(got), len(model))) if got[k] != model[k]), None)
        if i is not None:
            c.check(False, f"{gpath} byte {i} on: {bytes(model[i:i + 8]).hex()}",
                    f"{got[i:i + 8].hex()}")

    def check_stats(self, c: Case, tag="root", **conds):
        """conds: key=(op, value), e.g. unmaps=('>', 0)."""
        st = self.stats.get(tag)
        if not c.check(st is not None, f"the unmount statistics line of {tag}", "none"):
            return
        for k, (op, v) in conds.items():
            ok = {">": st[k] > v, ">=": st[k] >= v, "==": st[k] == v, "<=": st[k] <= v}[op]
            c.check(ok, f"{k} {op} {v}", f"{k} = {st[k]} ({self.stats_line(tag)})")

    def stats_line(self, tag="root"):
        return next((ln for ln in self.lines if ln.startswith(f"vfs: {tag}: DAX: ")), "")

    def write_info(self, host, script, append, r, window):
        with open(os.path.join(LOGDIR, f"dax-{self.name}.info"), "w") as f:
            f.write(f"host: {host.kind} ({host.qemu}, {host.virtiofsd})\n")
            f.write(f"qemu: {shlex.join(r.cmd)}\n")
            for argv in r.virtiofsd_cmds:
                f.write(f"virtiofsd: {shlex.join(argv)}\n")
            f.write(f"append: {append}\nqemu rc: {r.qemu_rc}, status: {r.status}, "
                    f"timed out: {r.timed_out}, {r.duration:.1f} s, accel {r.accel}\n")
            # ./remora run --dax passes dax=always; cache-size needs a window.
            if window and host.kind.startswith("DAX"):
                f.write("by hand (with --keep): " + shlex.join(
                    ["./remora", "run", "--dax", window, "--options", append[:append.rfind("--")].strip(),
                     "--share", self.share, "build/dax.img", "/script"]) + "\n")
            for n in r.notes:
                f.write(f"note: {n}\n")
            if r.stderr.strip():
                f.write("--- qemu stderr\n" + r.stderr.strip() + "\n")
            if script is not None:
                f.write("--- script\n" + "".join(f"{i + 1:5d} {ln}\n" for i, ln in enumerate(script.lines)))
            if self.vfs_log.strip():
                f.write("--- virtiofsd\n" + self.vfs_log[-200000:])

    def finish(self, script: Script | None):
        if script is not None:
            for cname, fn in script.host_checks:
                try:
                    fn(self.case(cname))
                except Exception as e:  # noqa: BLE001
                    self.case(cname).check(False, "the host check to run", f"{type(e).__name__}: {e}")


# qemu.run takes its QEMU and virtiofsd from module globals: they change
# only while no VM runs (VMs of one host run two at a time).
_host_cond = threading.Condition()
_host_use = {"bins": None, "n": 0}


def use_host(host: Host):
    bins = (host.qemu, host.virtiofsd)
    with _host_cond:
        while _host_use["n"] and _host_use["bins"] != bins:
            _host_cond.wait()
        _host_use["bins"] = bins
        _host_use["n"] += 1
        qemu.QEMU, qemu.VIRTIOFSD = bins


def done_with_host():
    with _host_cond:
        _host_use["n"] -= 1
        _host_cond.notify_all()
