"""The file-system harness's toolkit (tests/fs/run-tests): host-side
helpers (trees, the byte pattern, FNV-1a via tests/fs/fnv1a.c, guest paths
on the host), the console contract of tests/guest/check.h, and the Case /
Scenario objects a scenario reports through.
"""

import errno
import os
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import qemu  # noqa: E402

BUILD = os.environ.get("REMORA_BUILD_DIR") or os.path.join(ROOT, "build")
IMAGE = os.path.join(BUILD, "remora-test")
LOGDIR = os.path.join(BUILD, "test-logs")
TOOLDIR = os.path.join(BUILD, "fs-tools")

MiB = 1 << 20

# --------------------------------------------------------------------------
# Host helpers


def tmp_base():
    """Where scenario trees go: $REMORA_FS_TMP, else /dev/shm with 1 GiB
    free, else /tmp."""
    env = os.environ.get("REMORA_FS_TMP")
    if env:
        return env
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize >= (1 << 30) and os.access("/dev/shm", os.W_OK):
            return "/dev/shm"
    except OSError:
        pass
    return tempfile.gettempdir()


_PAT_BASE = bytes((i * 7) & 0xff for i in range(256))
_PAT_ADD = [bytes((x + c) & 0xff for x in range(256)) for c in range(256)]


def pattern(seed, off, n):
    """tests/guest/fstest.h pat_fill(): the byte at file offset k is
    (7k + 13(k >> 8) + 101 seed) & 0xff. Built a 256-byte block at a time
    (7 * 256 is 0 mod 256, so a block is _PAT_BASE plus a constant), which
    keeps multi-megabyte patterns quick."""
    if n <= 0:
        return b""
    first, last = off >> 8, (off + n - 1) >> 8
    blocks = b"".join(_PAT_BASE.translate(_PAT_ADD[(j * 13 + seed * 101) & 0xff])
                      for j in range(first, last + 1))
    start = off - (first << 8)
    return blocks[start:start + n]


def write_bytes(path, data, mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


_fnv_lock = threading.Lock()
_fnv_tool = None


def fnv_tool():
    """Build tests/fs/fnv1a.c once (into build/fs-tools/)."""
    global _fnv_tool
    with _fnv_lock:
        if _fnv_tool:
            return _fnv_tool
        src = os.path.join(HERE, "fnv1a.c")
        exe = os.path.join(TOOLDIR, "fnv1a")
        os.makedirs(TOOLDIR, exist_ok=True)
        if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
            subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-o", exe, src], check=True)
        _fnv_tool = exe
        return exe


def fnv_ranges(reqs):
    """[(path, off, len or -1)] -> [(bytes hashed, hash) or ('error', errno)]"""
    if not reqs:
        return []
    inp = "".join(f"{p}\t{o}\t{n}\n" for p, o, n in reqs)
    out = subprocess.run([fnv_tool()], input=inp, capture_output=True, text=True, check=True).stdout
    res = []
    for ln in out.splitlines():
        a, b = ln.split()
        res.append(("error", int(b)) if a == "error" else (int(a), int(b, 16)))
    return res


def host_path(root, gpath, follow=True):
    """The host path of the guest's absolute gpath in a share rooted at root,
    resolving symlinks as the guest does (absolute targets start at root).
    follow: resolve a final symlink too."""
    parts = [p for p in gpath.split("/") if p]
    stack, links = [], 0
    while parts:
        p = parts.pop(0)
        if p == ".":
            continue
        if p == "..":
            if stack:
                stack.pop()
            continue
        cand = os.path.join(root, *stack, p)
        if os.path.islink(cand) and (parts or follow):
            links += 1
            if links > 40:
                raise OSError(errno.ELOOP, "too many links", gpath)
            t = os.readlink(cand)
            if t.startswith("/"):
                stack = []
            parts = [x for x in t.split("/") if x] + parts
            continue
        stack.append(p)
    return os.path.join(root, *stack)


def errno_result(e):
    """An OSError as the guest prints it: -ENOENT is -2."""
    return -e.errno


# --------------------------------------------------------------------------
# Console parsing

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CASE_RE = re.compile(r"^fstest: (\w+)\.(\w+): (PASS|FAIL)(?:: (.*))?$")
ALSO_RE = re.compile(r"^fstest: (\w+)\.(\w+): also: (.*)$")
SUITE_SUM_RE = re.compile(r"^fstest: (\w+): (\d+) passed, (\d+) failed$")
FUSE_RE = re.compile(r"^fuse: (\S+) #(\d+) (\S+) node (\d+)(.*?) -> (?:ok, (\d+) bytes|error (-?\d+)) "
                     r"\(\d+ us\)$")


def lines_of(console):
    out = []
    for raw in console.split("\n"):
        raw = ANSI_RE.sub("", raw)
        segs = [s for s in raw.split("\r") if s]
        out.append(segs[-1] if segs else "")
    return out


def fields(line, prefix):
    """'fstest: stat PATH a=1 b=2' -> (PATH, {'a': '1', 'b': '2'})"""
    rest = line[len(prefix):].split()
    return rest[0], dict(kv.split("=", 1) for kv in rest[1:])


# --------------------------------------------------------------------------
# Cases and scenarios


class Case:
    def __init__(self, name):
        self.name = name
        self.failures = []      # (expected, saw)
        self.tail = None        # console lines to show on failure

    def check(self, cond, expected, saw):
        if not cond:
            self.failures.append((expected, saw))
        return bool(cond)

    def eq(self, what, want, got):
        return self.check(want == got, f"{what} {want}", f"{got}")


class Scenario:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self.tmpdirs = []
        self.lines = []
        self.result = None

    def note(self, text):
        """A line for build/test-logs/fs-SCENARIO.info."""
        with open(os.path.join(LOGDIR, f"fs-{self.name}.info"), "a") as f:
            f.write(f"note: {text}\n")

    def case(self, name):
        c = Case(name)
        self.cases.append(c)
        return c

    def tree(self, label="root"):
        d = tempfile.mkdtemp(prefix=f"remora-fs-{self.name}-{label}-", dir=tmp_base())
        os.chmod(d, 0o755)
        self.tmpdirs.append(d)
        return d

    def boot(self, shares, suites, options="", timeout=120, on_line=None, mem="256M",
             virtiofsd_opts=(), virtiofsd_cache="none", killed=False):
        """Boot the test kernel with shares [(tag, dir)], run suites, and
        record the fs-SCENARIO case, then one case per guest case line.
        virtiofsd_cache: virtiofsd's -o cache= (none|auto|always).
        killed: on_line kills QEMU on purpose (kill_vm): the suites are not
        expected to reach their summaries, QEMU to end by SIGKILL."""
        vm = self.case(f"fs-{self.name}")
        if not os.path.isfile(IMAGE):
            vm.check(False, f"{os.path.relpath(IMAGE, ROOT)} to exist (make build/remora-test)",
                     "no such file")
            return None
        append = f"test={','.join(suites)}" + (f" {options}" if options else "")
        if os.environ.get("REMORA_FS_OPTIONS"):     # e.g. "fstest.only=seek trace=fuse"
            append += " " + os.environ["REMORA_FS_OPTIONS"]
        log = os.path.join(LOGDIR, f"fs-{self.name}.log")
        r = qemu.run(image=IMAGE, machine="q35", mem=mem, append=append, virtiofs=shares,
                     timeout=timeout, log=log, on_line=on_line, virtiofsd_opts=virtiofsd_opts,
                     virtiofsd_cache=virtiofsd_cache)
        self.result = r
        write_info(f"fs-{self.name}", r)
        self.lines = lines_of(r.console)
        vm.tail = self.lines[-40:]
        if killed:
            self.check_killed_vm(vm, r, timeout)
        else:
            self.check_vm(vm, r, suites, timeout)
        self.guest_cases(suites)
        return r

    def check_vm(self, vm, r, suites, timeout):
        if r.timed_out:
            vm.check(False, f"the VM to finish within {timeout} s", "a timeout")
            return
        if r.error:
            vm.check(False, "the VM to run", r.error)
            return
        panic = next((ln for ln in self.lines if ln.startswith("panic:")), None)
        vm.check(panic is None, "no panic", repr(panic))
        vm.check(any(ln.startswith("vfs: mounted ") and " on /" in ln for ln in self.lines),
                 "'vfs: mounted TAG on /'", "no such line")
        failed = 0
        for s in suites:
            sums = [SUITE_SUM_RE.match(ln) for ln in self.lines]
            sums = [m for m in sums if m and m.group(1) == s]
            lines = [m for m in map(CASE_RE.match, self.lines) if m and m.group(1) == s]
            if not vm.check(sums, f"suite {s} to run to its summary 'fstest: {s}: N passed, N failed'",
                            "no summary line"):
                failed += 1
                continue
            p, f = int(sums[-1].group(2)), int(sums[-1].group(3))
            failed += f > 0
            vm.check(p + f == len(lines), f"{p + f} case lines for suite {s}", f"{len(lines)}")
            vm.check(p == sum(m.group(3) == "PASS" for m in lines),
                     f"{p} PASS lines for suite {s}", f"{sum(m.group(3) == 'PASS' for m in lines)}")
        vm.check(r.status == (1 if failed else 0), f"guest status {1 if failed else 0}",
                 f"status {r.status} (qemu rc {r.qemu_rc})")

    def check_killed_vm(self, vm, r, timeout):
        """The VM of a scenario that kills QEMU: it was killed (not timed
        out, not ended by itself), without a panic first."""
        if r.timed_out:
            vm.check(False, f"the VM to be killed within {timeout} s", "a timeout")
            return
        panic = next((ln for ln in self.lines if ln.startswith("panic:")), None)
        vm.check(panic is None, "no panic", repr(panic))
        vm.check(any(ln.startswith("vfs: mounted ") and " on /" in ln for ln in self.lines),
                 "'vfs: mounted TAG on /'", "no such line")
        vm.check(r.qemu_rc == -signal.SIGKILL, "QEMU ended by SIGKILL (the harness killed it)",
                 f"qemu rc {r.qemu_rc}")

    def guest_cases(self, suites):
        def split(msg):
            """'expected X, saw Y (f.c:1)' -> (X, 'Y (f.c:1)')"""
            if msg.startswith("expected ") and ", saw " in msg:
                exp, _, saw = msg[len("expected "):].partition(", saw ")
                return exp, saw
            return "PASS", msg

        also = {}
        for ln in self.lines:
            m = ALSO_RE.match(ln)
            if m:
                also.setdefault(f"{m.group(1)}.{m.group(2)}", []).append(split(m.group(3)))
        for ln in self.lines:
            m = CASE_RE.match(ln)
            if not m or m.group(1) not in suites:
                continue
            c = self.case(f"{m.group(1)}.{m.group(2)}")
            if m.group(3) == "FAIL":
                c.failures.append(split(m.group(4) or ""))
                c.failures += also.get(c.name, [])

    def guest_lines(self, prefix):
        return [ln for ln in self.lines if ln.startswith(prefix)]



# --------------------------------------------------------------------------
# Pauses: the guest asks, the harness acts on the host, the guest goes on


class Pauses:
    """on_line for suites that pause (fstest_pause): at 'fstest: PAUSE TAG'
    run actions[TAG](vm) on the host, then type a newline so the guest goes
    on (unless the action returns False: it ended the VM). Records the tags
    in order, when each came (time.monotonic()), and what went wrong in an
    action (a bug in the test: reported by check())."""

    def __init__(self, actions):
        self.actions = actions
        self.seen = []
        self.at = {}
        self.errors = {}
        self.results = {}

    def __call__(self, line, vm):
        if not line.startswith("fstest: PAUSE "):
            return
        tag = line.split()[2]
        self.seen.append(tag)
        self.at[tag] = time.monotonic()
        fn = self.actions.get(tag)
        go_on = True
        if fn is not None:
            try:
                self.results[tag] = fn(vm)
                go_on = self.results[tag] is not False
            except Exception as e:  # noqa: BLE001 (reported as a case failure)
                self.errors[tag] = f"{type(e).__name__}: {e}"
        if go_on:
            vm.write("\n")

    def check(self, c, want):
        """Every pause in want came, in that order, and its action ran."""
        c.check(self.seen == list(want), f"pauses {' '.join(want)}", " ".join(self.seen) or "none")
        for tag, err in self.errors.items():
            c.check(False, f"the host action at PAUSE {tag} to run", err)


def kill_vm(vm):
    """SIGKILL the VM's QEMU (an on_line action: a power cut). Only QEMU:
    virtiofsd sees the socket close and is stopped by qemu.run as usual."""
    os.kill(vm._proc.pid, signal.SIGKILL)     # qemu.VM keeps the Popen private
    return False


def classify(data, old, new):
    """What a read of a file changed from old to new returned: 'old',
    'new', 'mixed' (every byte is the old or the new file's byte at that
    offset, e.g. an old page and a new one), or None (garbage)."""
    if data == old:
        return "old"
    if data == new:
        return "new"
    if len(data) > max(len(old), len(new)):
        return None
    for i, b in enumerate(data):
        if not ((i < len(old) and old[i] == b) or (i < len(new) and new[i] == b)):
            return None
    return "mixed"


# --------------------------------------------------------------------------
# Checks shared by the scenarios

def check_sums(s, root, c, expect_paths):
    """fstest: sum PATH SIZE HASH and fstest: sumat PATH OFF LEN HASH lines
    against the host's files."""
    sums = {}
    for ln in s.guest_lines("fstest: sum "):
        _, _, path, size, h = ln.split()
        sums[path] = (int(size), int(h, 16))
    for p in expect_paths:
        c.check(p in sums, f"a 'fstest: sum {p} ...' line", "none")
    paths = sorted(sums)
    got = fnv_ranges([(host_path(root, p), 0, -1) for p in paths])
    for p, want in zip(paths, got):
        c.check(sums[p] == want, f"{p}: {want[0]} bytes, FNV-1a {want[1]:016x} (host)",
                f"{sums[p][0]} bytes, {sums[p][1]:016x}")
    ats = []
    for ln in s.guest_lines("fstest: sumat "):
        _, _, path, off, n, h = ln.split()
        ats.append((path, int(off), int(n), int(h, 16)))
    got = fnv_ranges([(host_path(root, p), off, n) for p, off, n, _ in ats])
    for (p, off, n, h), want in zip(ats, got):
        c.check((n, h) == want, f"{p} [{off}, +{n}): {want[0]} bytes, {want[1]:016x} (host)",
                f"{n} bytes, {h:016x}")
    return len(sums) + len(ats)


def check_stats(s, root, c):
    n = 0
    for ln in s.guest_lines("fstest: stat ") + s.guest_lines("fstest: lstat "):
        kind = ln.split()[1]
        path, f = fields(ln, f"fstest: {kind} ")
        try:
            st = os.lstat(host_path(root, path, follow=(kind == "stat")))
        except OSError as e:
            c.check(False, f"{kind} {path} to succeed on the host", str(e))
            continue
        want = {"mode": f"0{st.st_mode:o}", "size": str(st.st_size), "nlink": str(st.st_nlink),
                "ino": str(st.st_ino), "uid": str(st.st_uid), "gid": str(st.st_gid),
                "mtime": f"{st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d}"}
        for k, v in want.items():
            c.check(f.get(k) == v, f"{kind} {path}: {k}={v} (host)", f"{k}={f.get(k)}")
        n += 1
    return n


class HostTree:
    """Checks of a share's host directory, in guest paths (/write/x)."""

    def __init__(self, root, case):
        self.root, self.c = root, case

    def p(self, gpath):
        return os.path.join(self.root, gpath.lstrip("/"))

    def lstat(self, gpath):
        try:
            return os.lstat(self.p(gpath))
        except OSError as e:
            self.c.check(False, f"{gpath} to exist on the host", f"{e.strerror}")
            return None

    def file(self, gpath, data, mode=None):
        st = self.lstat(gpath)
        if st is None:
            return
        if not self.c.check(stat.S_ISREG(st.st_mode), f"{gpath} a regular file",
                            f"mode 0{st.st_mode:o}"):
            return
        if mode is not None:
            self.c.check(stat.S_IMODE(st.st_mode) == mode, f"{gpath} mode 0{mode:o}",
                         f"0{stat.S_IMODE(st.st_mode):o}")
        with open(self.p(gpath), "rb") as f:
            got = f.read()
        if len(got) != len(data):
            self.c.check(False, f"{gpath} {len(data)} bytes", f"{len(got)} bytes")
        if got != data:
            i = next((k for k in range(min(len(got), len(data))) if got[k] != data[k]),
                     min(len(got), len(data)))
            self.c.check(False, f"{gpath} byte {i} on: {data[i:i + 12]!r}", f"{got[i:i + 12]!r}")

    def dir(self, gpath, mode=None):
        st = self.lstat(gpath)
        if st is None:
            return
        self.c.check(stat.S_ISDIR(st.st_mode), f"{gpath} a directory", f"mode 0{st.st_mode:o}")
        if mode is not None:
            self.c.check(stat.S_IMODE(st.st_mode) == mode, f"{gpath} mode 0{mode:o}",
                         f"0{stat.S_IMODE(st.st_mode):o}")

    def absent(self, gpath):
        self.c.check(not os.path.lexists(self.p(gpath)), f"{gpath} gone on the host", "it exists")

    def symlink(self, gpath, target):
        st = self.lstat(gpath)
        if st is not None and self.c.check(stat.S_ISLNK(st.st_mode), f"{gpath} a symlink",
                                           f"mode 0{st.st_mode:o}"):
            self.c.eq(f"{gpath} -> ", target, os.readlink(self.p(gpath)))

    def mode(self, gpath, mode):
        st = self.lstat(gpath)
        if st is not None:
            self.c.check(st.st_mode == mode, f"{gpath} st_mode 0{mode:o}", f"0{st.st_mode:o}")

    def times(self, gpath, atime_ns=None, mtime_ns=None):
        st = self.lstat(gpath)
        if st is None:
            return
        if atime_ns is not None:
            self.c.eq(f"{gpath} atime ns", atime_ns, st.st_atime_ns)
        if mtime_ns is not None:
            self.c.eq(f"{gpath} mtime ns", mtime_ns, st.st_mtime_ns)



def snapshot(top):
    """{relative path: (type bits, mode, size, content or link target)}"""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    extra = f.read()
            elif stat.S_ISLNK(st.st_mode):
                extra = os.readlink(p)
            else:
                extra = None
            out[os.path.relpath(p, top)] = (st.st_mode, st.st_size, extra)
    return out


def check_unchanged(c, before, after, where):
    for k in sorted(set(before) | set(after)):
        if k not in after:
            c.check(False, f"{where}/{k} still there", "it is gone")
        elif k not in before:
            c.check(False, f"no {where}/{k} (failed calls change nothing)", "it was created")
        elif before[k] != after[k]:
            b, a = before[k], after[k]
            c.check(False, f"{where}/{k} unchanged (mode 0{b[0]:o}, {b[1]} bytes)",
                    f"mode 0{a[0]:o}, {a[1]} bytes" + (", other content" if a[2] != b[2] else ""))



FORGET_RE = re.compile(r"^fuse: (\S+) #(\d+) BATCH_FORGET (\d+) nodes \(no reply\)$")


def trace_sections(lines):
    """{name: [dict(op, node, detail, bytes, err)]} from the lines between
    'fstest: trace begin NAME' and 'fstest: trace end NAME'."""
    out, cur = {}, None
    for ln in lines:
        if ln.startswith("fstest: trace begin "):
            cur = out.setdefault(ln.split()[3], [])
        elif ln.startswith("fstest: trace end "):
            cur = None
        elif cur is not None and ln.startswith("fuse: "):
            m = FUSE_RE.match(ln)
            if m:
                cur.append({"op": m.group(3), "node": int(m.group(4)), "detail": m.group(5).strip(),
                            "bytes": int(m.group(6)) if m.group(6) else None,
                            "err": int(m.group(7)) if m.group(7) else 0, "line": ln})
                continue
            m = FORGET_RE.match(ln)
            if m:
                cur.append({"op": "BATCH_FORGET", "nodes": int(m.group(3)), "line": ln})
            else:
                cur.append({"op": "?", "line": ln})
    return out


def check_ops(c, name, reqs, want):
    ops = [r["op"] for r in reqs]
    return c.check(ops == want, f"{name}: opcodes {' '.join(want)}", " ".join(ops) or "none")



def write_info(name, r):
    with open(os.path.join(LOGDIR, f"{name}.info"), "w") as f:
        f.write(f"cmd: {shlex.join(r.cmd)}\n")
        for argv in r.virtiofsd_cmds:
            f.write(f"virtiofsd: {shlex.join(argv)}\n")
        f.write(f"accel: {r.accel}\nqemu rc: {r.qemu_rc}\nstatus: {r.status}\n"
                f"timed out: {r.timed_out}\nduration: {r.duration:.1f} s\n")
        for n in r.notes:
            f.write(f"note: {n}\n")
        if r.stderr:
            f.write("--- qemu stderr\n" + r.stderr)
        if r.virtiofsd_log:
            f.write("--- virtiofsd log\n" + r.virtiofsd_log)


