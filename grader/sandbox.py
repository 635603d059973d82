"""The sandbox a learner's kernel runs in while it is graded (bubblewrap), used by grading.GuardedExecute.

The learner is taken for an adversary with all of Python (ctypes, mmap, fork, threads, affinity
calls, reading any file it can see). The kernel starts from an EMPTY root file system and sees
only what is listed here (an allowlist, `sandbox_command`):

- the system's runtime, read-only: /usr, and /bin /lib /lib64 /sbin /lib32 /libx32 as the host has
  them (symlinks into /usr on a merged-/usr system, read-only folders otherwise);
- from /etc only ld.so.cache, ld.so.conf, ld.so.conf.d, localtime, timezone, fonts and
  alternatives (read-only), plus a generated passwd, group, hosts and nsswitch.conf that name
  root and the sandbox's user only (no shadow, no other account);
- the Python environment, read-only, at the paths it has on the host: sys.prefix,
  sys.base_prefix (and the exec prefixes), and the real folders of the site-packages entries of
  sys.path; nothing else of the folders above them (so under /root only the path to the venv
  and to the Python it was made from);
- the folders of `python_path` (pure-Python packages: grading gives the student kit's), read-only,
  at /opt/python-path/<n>, on the kernel's PYTHONPATH;
- the caller's read-only data mounts (`SandboxedKernelManager.data_mounts`: (host path, path in
  the sandbox) pairs, files or folders; none by default; grading mounts the data root's
  held-out views, grader/heldout.py); one that would show one of `hidden_folders` (the course
  root, the staging folders) is refused;
- the run folder (connection file and the kernel's ipc sockets), read-write, at its host path:
  /dev/shm/cg<pid>-*/r (a tmpfs, so what the kernel writes there counts in its memory, not on disk;
  the system's temporary folder where /dev/shm is not a tmpfs);
- the working folder and HOME, /home/learner: an empty size-capped tmpfs of its own, owned by
  the kernel's user, holding copies of the files the caller lists in `work_files` (none by
  default; they are mounted read-only at /run/work-files to be copied), never the files handed
  in beside the learner's notebook;
- a new /dev (null, zero, full, random, urandom, tty, pts), a new /proc (of the kernel's own pid
  namespace), and size-capped (`tmp_size`) tmpfs at /tmp and /dev/shm.

No network (a network namespace of its own), new pid, ipc, uts and cgroup namespaces, a new
session (no terminal to inject into), and the sandbox dies with the grader. The kernel runs
`python -P` (no working folder on sys.path, so no handed-in `ipykernel_launcher.py` or
`torch.py` can stand in for the real ones) with the environment filtered (KERNEL_ENV).

When the grader is root the kernel runs unprivileged: bubblewrap (as root) builds the mounts,
then `setpriv` inside it switches to `uid`/`gid` (65534 by default) with no supplementary
groups, no capabilities (bounding set emptied too) and no_new_privs. When it is not root,
bubblewrap runs in a user namespace that maps the grader's own uid to `uid`.

Resources: each kernel gets a cgroup of its own (v2, or v1 memory + pids + cpuset hierarchies),
under the grader's own cgroup in `course-grading/<unique>`, made before the kernel starts and
joined by the launcher before it runs bubblewrap, so that every process of the kernel is in it.
It caps memory (anonymous, shared mmap and tmpfs pages together: `memory`, no swap), the number
of processes and threads (`max_processes`), and the cores (`cpus`; a cpuset, which
sched_setaffinity cannot widen). RLIMIT_DATA = `memory` too, so that an ordinary Python
allocation past the cap raises MemoryError rather than getting the kernel killed, and
RLIMIT_FSIZE = `tmp_size`. The kernel's processes all die with it: bubblewrap's init (pid 1 of
the kernel's pid namespace, which takes every process in it along when it dies) is killed with
bubblewrap when jupyter_client kills the kernel, or with the grader; and then, on clean-up,
whatever is left in the cgroup is killed and the cgroup removed (a grader killed outright leaves
its cgroup behind: the next grader kills what is still in it and removes it). Where no cgroup can be made
(not root, read-only cgroupfs, a controller missing: `limits_problem()` says why) the limits
fall back, with one warning in the log, to RLIMIT_AS (`memory` plus the measured address space
of a kernel with torch imported), RLIMIT_DATA, the tmpfs size caps and `taskset`.
"""
import asyncio
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode, default

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")  # set from `threads`
KERNEL_ENV = ("PATH", "HOME", "LANG", "LC_", "TZ", "COURSE_DATA_DIR", "OMP_", "MKL_", "OPENBLAS_",
              "PYTHONHASHSEED", "NBGRADER_", "VIRTUAL_ENV", "CUDA_VISIBLE_DEVICES", "TERM")

SANDBOX_HOME = "/home/learner"  # the kernel's HOME and working folder
SANDBOX_USER = "learner"
WORK_FILES_AT = "/run/work-files"  # where `work_files` are mounted before being copied into HOME
PYTHON_PATH_AT = "/opt/python-path"  # where the `python_path` folders are mounted (on the kernel's PYTHONPATH)
ETC_KEPT = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "fonts", "alternatives")
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
CGROUP_PARENT = "course-grading"  # the folder the kernels' cgroups are made in
CONTROLLERS = ("memory", "pids", "cpuset")
CPUS = r"[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*"  # what `cpus` may be


def sandbox_problem():
    """Why kernels cannot be sandboxed here, or None when they can."""
    if not shutil.which("bwrap"):
        return ("bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt-get install "
                "bubblewrap), or set c.GuardedExecute.sandbox = False to grade without a sandbox (trusted notebooks only)")
    missing = [p for p in ("prlimit", "setpriv", "taskset") if not shutil.which(p)]
    if missing:
        return (f"{', '.join(missing)} (util-linux) is not installed, which the grading sandbox "
                "needs; or set c.GuardedExecute.sandbox = False to grade without a sandbox (trusted notebooks only)")
    return None


def default_memory(kernels=1):
    """Bytes a kernel may use by default: 3/4 of the machine's memory, shared by `kernels`."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(total * 3 // 4 // kernels)


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _check_exposes_nothing_hidden(path, what, hidden_folders):
    real = os.path.realpath(path)
    for hidden in (os.path.realpath(p) for p in hidden_folders if p):
        if _under(hidden, real):
            raise ValueError(f"{what} {path!r} would show the course folder {hidden!r} to learners' code")


def _python_paths(hidden_folders=()):
    """The folders the kernel's Python needs, real paths, outermost only (none that holds one of `hidden_folders`)."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             *[p for p in sys.path if p and os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")]]
    paths = []
    for p in found:
        for q in (os.path.abspath(p), os.path.realpath(p)):
            if os.path.isdir(q) and q not in paths:
                paths.append(q)
    paths.sort(key=len)
    paths = [p for i, p in enumerate(paths) if not any(_under(p, q) for q in paths[:i])]
    for p in paths:
        if not _under(p, "/usr"):
            _check_exposes_nothing_hidden(p, "the Python environment", hidden_folders)
    return paths


def _ancestors(path):
    """The folders above `path`, "/" left out."""
    out, path = [], os.path.dirname(os.path.normpath(path))
    while path not in ("/", ""):
        out.append(path)
        path = os.path.dirname(path)
    return out


def _kernel_argv(cmd):
    """The kernel's command with the working folder kept off sys.path (python -P, or -I before 3.11)."""
    cmd = list(cmd)
    if cmd and os.path.basename(cmd[0]).startswith("python") and "-P" not in cmd[1:3] and "-I" not in cmd[1:3]:
        cmd.insert(1, "-P" if sys.version_info >= (3, 11) else "-I")
    return cmd


def _write_etc(folder, uid, gid):
    os.makedirs(folder, exist_ok=True)
    files = {
        "passwd": (f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                   f"{SANDBOX_USER}:x:{uid}:{gid}:{SANDBOX_USER}:{SANDBOX_HOME}:/usr/sbin/nologin\n"),
        "group": f"root:x:0:\n{SANDBOX_USER}:x:{gid}:\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
    }
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(folder, name), 0o644)
    return {f"/etc/{name}": os.path.join(folder, name) for name in files}


def sandbox_command(cmd, *, run, etc, uid, gid, tmp_size, env, data_mounts=(), work_files=(),
                    privileged=None, hidden_folders=()):
    """`cmd` (the kernel's command) wrapped in bubblewrap, seeing only what the module's docstring
    lists. `run`: the run folder (read-write, same path inside); `etc`: {path in the sandbox:
    generated file}; `env`: the kernel's whole environment; `data_mounts`: (host, sandbox) pairs
    mounted read-only; `work_files`: (host file, name) pairs copied into the working folder."""
    privileged = os.geteuid() == 0 if privileged is None else privileged
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if not privileged:  # an unprivileged user namespace, the grader's uid seen as `uid`
        args += ["--unshare-user", "--uid", str(uid), "--gid", str(gid), "--cap-drop", "ALL"]
    args += ["--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    made = set()

    def mount(*option, dest):
        # the folders above `dest` first, 0755 (bubblewrap would copy the host's modes: /root is 0700)
        nonlocal args
        for above in reversed(_ancestors(dest)):
            if above not in made:
                args += ["--perms", "0755", "--dir", above]
                made.add(above)
        made.add(dest)
        args += [*option, dest]

    # the system's runtime
    mount("--ro-bind", "/usr", dest="/usr")
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            mount("--symlink", os.readlink(d), dest=d)
        elif os.path.isdir(d):
            mount("--ro-bind", d, dest=d)
    for name in ETC_KEPT:
        path = os.path.join("/etc", name)
        if os.path.islink(path):
            mount("--symlink", os.readlink(path), dest=path)
        elif os.path.exists(path):
            mount("--ro-bind", path, dest=path)
    for dest, src in etc.items():
        mount("--ro-bind", src, dest=dest)
    mount("--dev", dest="/dev")
    mount("--perms", "1777", "--size", str(tmp_size), "--tmpfs", dest="/dev/shm")
    mount("--proc", dest="/proc")
    mount("--perms", "1777", "--size", str(tmp_size), "--tmpfs", dest="/tmp")
    # Python, the data, the run folder, the working folder
    for p in _python_paths(hidden_folders):
        mount("--ro-bind", p, dest=p)
    for src, dest in data_mounts:
        mount("--ro-bind", src, dest=dest)
    mount("--bind", run, dest=run)
    mount("--size", str(tmp_size), "--tmpfs", dest=SANDBOX_HOME)
    for src, name in work_files:
        mount("--ro-bind", src, dest=f"{WORK_FILES_AT}/{name}")
    args += ["--chdir", SANDBOX_HOME, "--", "/bin/sh", "-c"]
    # The first steps inside, still as root when privileged: the working folder gets its files
    # and its owner, then setpriv drops to `uid`/`gid` for good and runs the kernel.
    script = 'set -e\n'
    if work_files:
        script += f'cp -R {WORK_FILES_AT}/. {SANDBOX_HOME}/\n'
    if privileged:
        script += (f'chown -R {int(uid)}:{int(gid)} {SANDBOX_HOME}\nchmod 700 {SANDBOX_HOME}\n'
                   f'exec setpriv --reuid={int(uid)} --regid={int(gid)} --clear-groups --inh-caps=-all '
                   '--ambient-caps=-all --bounding-set=-all --no-new-privs -- "$@"\n')
    else:
        script += 'exec "$@"\n'
    return args + [script, "sandbox", *_kernel_argv(cmd)]


# ----------------------------------------------------------------------------- cgroups

class CgroupError(Exception):
    """No cgroup can be made for a kernel here; the message says why."""


def _read(path):
    with open(path) as f:
        return f.read().strip()


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def _unescape(field):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _cgroup_mounts():
    """(fstype, mount point, root of the mount, super options) of each cgroup file system mounted."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rest = left.split(), right.split()
            if len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
                out.append((rest[0], _unescape(fields[4]), _unescape(fields[3]), rest[2].split(",")))
    return out


def _own_cgroups():
    """{controller: this process's cgroup path}, with "" for the unified (v2) hierarchy."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, controllers, path = line.rstrip("\n").split(":", 2)
            if hid == "0" and not controllers:
                out[""] = path
            for c in filter(None, controllers.split(",")):
                out[c] = path
    return out


def _folder_of(mount, root, path):
    """Where cgroup `path` is in a hierarchy mounted at `mount` (which shows the tree from `root`)."""
    if path is not None and _under(path, root):
        folder = os.path.join(mount, os.path.relpath(path, root))
        if os.path.isdir(folder):
            return os.path.normpath(folder)
    return mount


def _layout():
    """("v2", [candidate base folders]) or ("v1", {controller: base folder}); CgroupError if neither."""
    mounts, own = _cgroup_mounts(), _own_cgroups()
    reasons = []
    for fstype, mount, root, _ in mounts:
        if fstype != "cgroup2":
            continue
        base = _folder_of(mount, root, own.get(""))
        try:
            available = _read(os.path.join(base, "cgroup.controllers")).split()
        except OSError:
            available = []
        missing = [c for c in CONTROLLERS if c not in available]
        if not missing:  # the grader's own cgroup first, then the folders above it
            bases = [base]
            while _under(bases[-1], mount) and bases[-1] != mount:
                bases.append(os.path.dirname(bases[-1]))
            return "v2", bases
        reasons.append(f"cgroup v2 at {mount} lacks the {', '.join(missing)} controller(s)")
    v1 = {}
    for fstype, mount, root, options in mounts:
        for c in CONTROLLERS:
            if fstype == "cgroup" and c in options and c not in v1:
                v1[c] = _folder_of(mount, root, own.get(c))
    if len(v1) == len(CONTROLLERS):
        return "v1", v1
    missing = [c for c in CONTROLLERS if c not in v1]
    reasons.append(f"no cgroup v1 hierarchy for {', '.join(missing)}")
    raise CgroupError("; ".join(reasons))


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(parent, pattern):
    """The folders in `parent` named `pattern` (its group: a grader's pid) whose grader is dead and
    that are over a minute old: what graders that died (killed, say) left behind."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for e in entries:
        m = re.fullmatch(pattern, e.name)
        try:
            if m and e.is_dir(follow_symlinks=False) and not _pid_alive(int(m.group(1))) \
                    and time.time() - e.stat(follow_symlinks=False).st_mtime > 60:
                yield e
        except OSError:
            pass


def _sweep(parent):
    """Remove the cgroups that graders which died left in `parent`, killing what is still in them
    (a process that outlived its grader, or one still exiting when the grader was killed)."""
    for e in _leftovers(parent, r"k(\d+)-[0-9a-f]+"):
        for _ in range(50):
            try:
                for pid in _read(os.path.join(e.path, "cgroup.procs")).split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                os.rmdir(e.path)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)


class KernelCgroup:
    """The cgroup(s) of one kernel: `procs_files` are what its launcher joins, `folders` what exists."""

    def __init__(self, version, folders):
        self.version, self.folders = version, folders
        self.procs_files = [os.path.join(f, "cgroup.procs") for f in folders]

    @classmethod
    def create(cls, memory, max_processes, cpus=""):
        if cpus and not re.fullmatch(CPUS, cpus):
            raise ValueError(f"cpus: {cpus!r} is not a list of cores such as '0', '0-3' or '0,2'")
        version, bases = _layout()
        name = f"k{os.getpid()}-{secrets.token_hex(4)}"
        made = []
        try:
            if version == "v2":
                group = cls._create_v2(bases, name, made, memory, max_processes, cpus)
                return cls("v2", [group])
            return cls("v1", cls._create_v1(bases, name, made, memory, max_processes, cpus))
        except OSError as e:
            for folder in reversed(made):
                try:
                    os.rmdir(folder)
                except OSError:
                    pass
            raise CgroupError(f"cannot set up a cgroup ({e.strerror}: {e.filename})") from None

    @staticmethod
    def _enable(folder):
        """Let `folder`'s children use the controllers (cgroup v2)."""
        on = _read(os.path.join(folder, "cgroup.subtree_control")).split()
        wanted = [c for c in CONTROLLERS if c not in on]
        if wanted:
            _write(os.path.join(folder, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))

    @classmethod
    def _create_v2(cls, bases, name, made, memory, max_processes, cpus):
        last = None
        for base in bases:  # the grader's own cgroup, else the nearest folder above that will do
            try:
                # (fails when `base` holds processes and is not a root, as cgroup v2 allows none there;
                # or when the folder above it does not hand the controllers down)
                cls._enable(base)
                parent = os.path.join(base, CGROUP_PARENT)
                os.makedirs(parent, exist_ok=True)
                cls._enable(parent)
                break
            except OSError as e:
                last = e
        else:
            raise last
        _sweep(parent)
        group = os.path.join(parent, name)
        os.mkdir(group)
        made.append(group)
        _write(os.path.join(group, "memory.max"), int(memory))
        for setting, value in (("memory.swap.max", 0), ("memory.oom.group", 1)):
            if os.path.exists(os.path.join(group, setting)):
                _write(os.path.join(group, setting), value)
        _write(os.path.join(group, "pids.max"), int(max_processes))
        if cpus:
            _write(os.path.join(group, "cpuset.cpus"), cpus)
        _write(os.path.join(group, "cpuset.mems"), _read(os.path.join(parent, "cpuset.mems.effective")))
        return group

    @staticmethod
    def _create_v1(bases, name, made, memory, max_processes, cpus):
        groups = []
        for controller in CONTROLLERS:
            base = bases[controller]
            parent = os.path.join(base, CGROUP_PARENT)
            if not os.path.isdir(parent):
                try:
                    os.mkdir(parent)
                except FileExistsError:
                    pass
            if controller == "cpuset":  # a new cpuset has no cores and no memory nodes until given some
                for setting in ("cpuset.cpus", "cpuset.mems"):
                    if not _read(os.path.join(parent, setting)):
                        _write(os.path.join(parent, setting), _read(os.path.join(base, setting)))
            _sweep(parent)
            group = os.path.join(parent, name)
            os.mkdir(group)
            made.append(group)
            groups.append(group)
            if controller == "memory":
                _write(os.path.join(group, "memory.limit_in_bytes"), int(memory))
                if os.path.exists(os.path.join(group, "memory.memsw.limit_in_bytes")):
                    _write(os.path.join(group, "memory.memsw.limit_in_bytes"), int(memory))
                if os.path.exists(os.path.join(group, "memory.swappiness")):
                    try:
                        _write(os.path.join(group, "memory.swappiness"), 0)
                    except OSError:
                        pass
            elif controller == "pids":
                _write(os.path.join(group, "pids.max"), int(max_processes))
            else:
                _write(os.path.join(group, "cpuset.cpus"), cpus or _read(os.path.join(parent, "cpuset.cpus")))
                _write(os.path.join(group, "cpuset.mems"), _read(os.path.join(parent, "cpuset.mems")))
        return groups

    def pids(self):
        found = set()
        for procs in self.procs_files:
            try:
                found.update(int(p) for p in _read(procs).split())
            except OSError:
                pass
        return found

    def remove_empty(self):
        for folder in self.folders:
            os.rmdir(folder)

    async def remove(self, timeout=10.0):
        """Kill what is left in the cgroup, then remove it. False when it could not be removed."""
        deadline = time.monotonic() + timeout
        kill = os.path.join(self.folders[0], "cgroup.kill")
        while True:
            if self.version == "v2" and os.path.exists(kill):
                try:
                    _write(kill, 1)
                except OSError:
                    pass
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            left = []
            for folder in self.folders:
                try:
                    os.rmdir(folder)
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(folder)
            self.folders = left
            self.procs_files = [os.path.join(f, "cgroup.procs") for f in left]
            if not left:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)


_limits_problem = []


def limits_problem():
    """None when each kernel can get a cgroup of its own here (memory, processes and cores capped
    for all its processes together); else a one-line reason why (then the weaker rlimits hold)."""
    if not _limits_problem:
        try:
            KernelCgroup.create(memory=1 << 30, max_processes=64).remove_empty()
            _limits_problem.append(None)
        except (CgroupError, OSError) as e:
            reason = str(e) if isinstance(e, CgroupError) else f"{e.strerror}: {e.filename}"
            if os.geteuid() != 0:
                reason += " (the grader is not root)"
            _limits_problem.append(reason)
    return _limits_problem[0]


_baseline = []


def kernel_address_space():
    """Bytes of address space a kernel with torch imported takes before any learner code (measured
    once: shared libraries and reservations count in RLIMIT_AS though they take no memory), plus
    room for its threads' stacks and malloc arenas."""
    if not _baseline:
        probe = ("import ipykernel.kernelapp, torch, torch.nn.functional, torch.optim\n"
                 "torch.ones(256, 256) @ torch.ones(256, 256)\n"
                 "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmPeak')][0])\n")
        try:
            out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=120,
                                 cwd=tempfile.gettempdir())
            peak = int(out.stdout.split()[-1]) * 1024
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            peak = 6 << 30
        _baseline.append(peak + (os.cpu_count() or 1) * (72 << 20) + (1 << 30))
    return _baseline[0]


# ----------------------------------------------------------------------------- the manager

def _run_parent():
    """Where run folders go: /dev/shm when it is a tmpfs, so that what a kernel writes in its run
    folder is memory its cgroup pays for (and none of the disk); else the temporary folder."""
    try:
        with open("/proc/self/mountinfo") as f:
            shm = any(line.split()[4] == "/dev/shm" and line.partition(" - ")[2].startswith("tmpfs ") for line in f)
    except OSError:
        shm = False
    return "/dev/shm" if shm and os.access("/dev/shm", os.W_OK | os.X_OK) else tempfile.gettempdir()


def _sweep_run_folders(parent):
    """Remove the run folders (of this user) that graders which died left in `parent`."""
    for e in _leftovers(parent, r"cg(\d+)-\w+"):
        try:
            if e.stat(follow_symlinks=False).st_uid == os.geteuid():
                shutil.rmtree(e.path, ignore_errors=True)
        except OSError:
            pass


_warned = []


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel in the sandbox, talking over Unix sockets in a private folder (it has no network).
    Interrupts go by message, since a signal would reach bubblewrap and not the kernel."""

    memory = Integer(help="Bytes of memory the kernel may use, all its processes, shared memory and "
                          "tmpfs files together (default: 3/4 of the machine's)").tag(config=True)
    threads = Integer(0, help="Threads the kernel's numerical libraries use (OMP_NUM_THREADS and its kin; "
                             "0: their own default)").tag(config=True)
    hidden_folders = List(Unicode(), help="Folders no mount may show to the kernel (the course root, "
                          "grading's staging folders); the sandbox is an allowlist, so nothing outside its "
                          "mounts shows anyway: a mount that would show one is an error (default: the "
                          "folder grading starts in)").tag(config=True)

    @default("hidden_folders")
    def _default_hidden_folders(self):
        return [os.getcwd()]
    cpus = Unicode("", help="The cores the kernel may run on, such as '0' or '0-1' (default: all)").tag(config=True)
    uid = Integer(65534, help="The user id the kernel runs as").tag(config=True)
    gid = Integer(65534, help="The group id the kernel runs as").tag(config=True)
    max_processes = Integer(512, help="Processes and threads the kernel may have at once").tag(config=True)
    tmp_size = Integer(0, help="Bytes each of /tmp, /dev/shm and the working folder may hold "
                               "(0: a quarter of `memory`)").tag(config=True)
    data_mounts = List(help="Read-only mounts: [host path, path in the sandbox] pairs (or 'host:sandbox' "
                            "strings), files or folders").tag(config=True)
    work_files = List(Unicode(), help="Files copied into the kernel's (otherwise empty) working "
                                      "folder").tag(config=True)
    python_path = List(Unicode(), help="Host folders of pure-Python packages the kernel imports (read-only, "
                                       "mounted at PYTHON_PATH_AT/<n> and put on its PYTHONPATH): grading "
                                       "gives the student kit's (student-kit/)").tag(config=True)

    @default("memory")
    def _default_memory(self):
        return default_memory()

    def _tmp_bytes(self):
        return int(self.tmp_size or max(self.memory // 4, 16 << 20))

    def _mounts(self):
        out = []
        for m in self.data_mounts:
            src, dest = m.split(":", 1) if isinstance(m, str) else m
            if not os.path.isabs(dest) or not os.path.exists(src):
                raise ValueError(f"data mount {m!r}: needs an existing host path and an absolute path in the sandbox")
            _check_exposes_nothing_hidden(src, "data mount", self.hidden_folders)
            out.append((os.path.realpath(src), os.path.normpath(dest)))
        return out

    def _python_path_mounts(self):
        out = []
        for i, folder in enumerate(self.python_path):
            if not os.path.isdir(folder):
                raise ValueError(f"python_path {folder!r} is not a folder")
            _check_exposes_nothing_hidden(folder, "python_path folder", self.hidden_folders)
            out.append((os.path.realpath(folder), f"{PYTHON_PATH_AT}/{i}"))
        return out

    def _work_files(self):
        out = []
        for f in self.work_files:
            if not os.path.isfile(f):
                raise ValueError(f"work file {f!r} is not a file")
            out.append((os.path.realpath(f), os.path.basename(f)))
        return out

    async def _async_pre_start_kernel(self, **kw):
        if not getattr(self, "_rundir", None):  # (a restart keeps its folder and connection file)
            parent = _run_parent()
            _sweep_run_folders(parent)
            self._rundir = tempfile.mkdtemp(prefix=f"cg{os.getpid()}-", dir=parent)  # short: socket paths are limited
            self._run = os.path.join(self._rundir, "r")
            os.mkdir(self._run, 0o700)
            self.transport = "ipc"
            self.connection_file = os.path.join(self._run, "kernel.json")
            self.ip = os.path.join(self._run, "k")
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        privileged = os.geteuid() == 0
        if self.cpus and not re.fullmatch(CPUS, self.cpus):
            raise ValueError(f"cpus: {self.cpus!r} is not a list of cores such as '0', '0-3' or '0,2'")
        env = kw.get("env") or dict(os.environ)
        env = {k: v for k, v in env.items() if k.startswith(KERNEL_ENV)}
        env.update(HOME=SANDBOX_HOME, USER=SANDBOX_USER, LOGNAME=SANDBOX_USER)
        packages = self._python_path_mounts()
        if packages:
            env["PYTHONPATH"] = ":".join(dest for _, dest in packages)
        if self.threads:
            env.update({name: str(self.threads) for name in THREAD_ENV})
        if privileged:  # the kernel's user reads its connection file and makes its sockets here
            for path in (self._run, self.connection_file):
                os.chown(path, self.uid, self.gid)
        etc = _write_etc(os.path.join(self._rundir, "etc"), self.uid, self.gid)
        tmp = self._tmp_bytes()
        inner = sandbox_command(kernel_cmd, run=self._run, etc=etc, uid=self.uid, gid=self.gid, tmp_size=tmp,
                                env=env, data_mounts=self._mounts() + packages, work_files=self._work_files(),
                                privileged=privileged, hidden_folders=self.hidden_folders)
        self._cgroup = None
        if limits_problem() is None:
            try:
                self._cgroup = KernelCgroup.create(self.memory, self.max_processes, self.cpus)
            except CgroupError as e:
                self._warn_weak_limits(str(e))
        else:
            self._warn_weak_limits(limits_problem())
        limits = ["prlimit", f"--data={int(self.memory)}", f"--fsize={tmp}"]
        if self._cgroup is None:
            limits.append(f"--as={int(self.memory) + kernel_address_space()}")
            if privileged:  # (per user: all kernels of `uid` together)
                limits.append(f"--nproc={int(self.max_processes)}")
            limits += ["--", *(["taskset", "-c", self.cpus] if self.cpus else [])]
        else:
            limits.append("--")
        procs = self._cgroup.procs_files if self._cgroup else []
        # the launcher joins the cgroup, then becomes prlimit, which becomes bwrap
        join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"'
        cmd = ["/bin/sh", "-c", join, "launcher", str(len(procs)), *procs, *limits, *inner]
        kw["env"] = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
        kw["cwd"] = self._rundir
        # what the kernel writes to its own stdout and stderr is the learner's: it must not reach
        # the grader's log, which the instructor reads
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        self.log.debug("kernel in the sandbox: %s", cmd)
        try:
            return await super()._async_launch_kernel(cmd, **kw)
        except BaseException:
            await self._remove_cgroup()
            raise

    def _warn_weak_limits(self, reason):
        if not _warned:
            _warned.append(reason)
            self.log.warning("no cgroup for the learners' kernels (%s): memory is capped by RLIMIT_AS and the "
                             "tmpfs sizes instead, cores by taskset (which the kernel can undo)%s", reason,
                             ", processes by RLIMIT_NPROC (all kernels together)" if os.geteuid() == 0 else
                             ", processes not at all")

    async def _remove_cgroup(self):
        group, self._cgroup = getattr(self, "_cgroup", None), None
        if group is not None and not await group.remove():
            self.log.warning("could not remove the kernel's cgroup %s", ", ".join(group.folders))

    async def _async_cleanup_resources(self, restart=False):
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            await self._remove_cgroup()
            if not restart and getattr(self, "_rundir", None):
                shutil.rmtree(self._rundir, ignore_errors=True)
                self._rundir = None
