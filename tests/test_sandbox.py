"""The grading sandbox (grader/sandbox.py) attacked from inside a kernel, as a learner's code could:
what it can see, who it runs as, what it can shadow, how much memory, how many processes and
which cores it can take, and what survives its kernel."""
import ast
import asyncio
import json
import os
import queue
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traitlets.config import Config

from grader import sandbox
from grader.sandbox import SandboxedKernelManager, limits_problem, sandbox_problem

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
slow = pytest.mark.slow  # (every test that starts a kernel)
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the grader is not root, so the kernel keeps its uid")
with_cgroups = pytest.mark.skipif(sandbox_problem() is not None or limits_problem() is not None,
                                  reason=f"no cgroup for kernels here: {limits_problem()}")

REPO = Path(__file__).resolve().parent.parent
MB = 1_000_000


@pytest.fixture(scope="module", autouse=True)
def no_cgroup_left_behind():
    """Every kernel's cgroup is gone when its kernel is, however the kernel ended."""
    yield
    if limits_problem() is None:
        version, bases = sandbox._layout()
        parents = {os.path.join(b, sandbox.CGROUP_PARENT) for b in (bases if version == "v2" else bases.values())}
        left = [e.path for p in parents if os.path.isdir(p) for e in os.scandir(p)
                if e.is_dir() and e.name.startswith(f"k{os.getpid()}-")]
        assert not left, f"cgroups left behind: {left}"


class Died(Exception):
    """The kernel died while running the code."""


class Kernel:
    """A SandboxedKernelManager kernel started as nbclient starts it, with `cwd` the folder the
    grader thinks the kernel works in."""

    def __init__(self, cwd, **traits):
        self.km = SandboxedKernelManager(kernel_name="python3", **traits)
        self.cwd = cwd

    async def __aenter__(self):
        await self.km.start_kernel(cwd=str(self.cwd))
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=60)
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    async def stop(self):
        if getattr(self, "kc", None):
            self.kc.stop_channels()
            self.kc = None
        await self.km.shutdown_kernel(now=True)

    async def run(self, code, timeout=60):
        """Run `code`; returns the value it left in `result` (a literal); raises Died."""
        msg_id = self.kc.execute(code, user_expressions={"r": "result"}, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = await self.kc.get_shell_msg(timeout=0.25)
            except queue.Empty:
                if not await self.km.is_alive():
                    raise Died() from None
                continue
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content["status"] != "ok":
                raise AssertionError(f"{content.get('ename')}: {content.get('evalue')}")
            value = content["user_expressions"]["r"]
            assert value["status"] == "ok", value
            return ast.literal_eval(value["data"]["text/plain"])
        raise TimeoutError(code)


def kernel_test(body):
    """Run the coroutine function `body(tmp_path)` as a test (a slow one: it starts kernels)."""
    def test(tmp_path):
        asyncio.run(asyncio.wait_for(body(tmp_path), 120))
    test.__name__, test.__doc__ = body.__name__, body.__doc__
    return slow(test)


def handed_in(tmp_path):
    """A folder as the grader has it: the learner's notebook with files handed in beside it that
    would replace the kernel and torch if they were imported."""
    folder = tmp_path / "submitted" / "mallory" / "loss_functions"
    folder.mkdir(parents=True)
    (folder / "loss_functions.ipynb").write_text("{}")
    (folder / "ipykernel_launcher.py").write_text("raise SystemExit('the handed-in ipykernel_launcher.py ran')\n")
    (folder / "torch.py").write_text("SHADOWED = True\n")
    (folder / "notes.txt").write_text("handed in\n")
    return folder


# ----------------------------------------------------------------------------- what it sees

@kernel_test
async def test_sees_only_the_allowlist(tmp_path):
    """No course, no other folder of the host, no handed-in file, no password hashes, no network;
    Python, the data mounts and the work files are there; the real kernel and torch run."""
    data = tmp_path / "data"
    (data / "MNIST").mkdir(parents=True)
    (data / "MNIST" / "labels.txt").write_text("0 1 2\n")
    extra = tmp_path / "given.csv"
    extra.write_text("x,y\n1,2\n")
    venv = os.path.realpath(sys.prefix)
    allowed_in_root = {p.split("/")[2] for p in sandbox._python_paths() if p.startswith("/root/")}
    async with Kernel(handed_in(tmp_path), data_mounts=[(str(data), "/data")], work_files=[str(extra)]) as k:
        found = await k.run(f"""
import os, socket, sys
def attempt(f):
    try:
        return repr(f())
    except Exception as e:
        return type(e).__name__
status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)
import torch
result = dict(
    uid=os.getuid(), euid=os.geteuid(), gid=os.getgid(), groups=os.getgroups(),
    caps=[status[c].strip() for c in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')],
    no_new_privs=status['NoNewPrivs'].strip(),
    shadow=attempt(lambda: open('/etc/shadow').read()),
    etc=sorted(os.listdir('/etc')), root=sorted(os.listdir('/root')), top=sorted(os.listdir('/')),
    repo=os.path.exists({str(REPO)!r}), tests=os.path.exists({str(tmp_path)!r}),
    host_cwd=os.path.exists({str(tmp_path / 'submitted')!r}),
    cwd=os.getcwd(), files=sorted(os.listdir('.')), home=os.environ['HOME'],
    given=open('given.csv').read(), given_writable=attempt(lambda: open('given.csv', 'a').write('3,4\\n')),
    data=open('/data/MNIST/labels.txt').read(), data_writable=attempt(lambda: open('/data/new', 'w')),
    torch=torch.__file__, shadowed=hasattr(torch, 'SHADOWED'), launcher=sys.modules.get('ipykernel_launcher') and
        sys.modules['ipykernel_launcher'].__file__,
    interfaces=[name for _, name in socket.if_nameindex()],
    connect=attempt(lambda: socket.create_connection(('1.1.1.1', 53), timeout=2)),
    usr_writable=attempt(lambda: open('/usr/x', 'w')), root_writable=attempt(lambda: open('/x', 'w')),
    tmp=attempt(lambda: open('/tmp/x', 'w').write('x')),
)
""")
    assert found["uid"] != 0 and found["euid"] != 0 and found["gid"] != 0
    if os.geteuid() == 0:
        assert (found["uid"], found["gid"], found["groups"]) == (65534, 65534, [])
        assert found["caps"] == ["0000000000000000"] * 5 and found["no_new_privs"] == "1"
    assert found["shadow"] in ("FileNotFoundError", "PermissionError")
    assert "shadow" not in found["etc"] and "gshadow" not in found["etc"]
    assert set(found["etc"]) <= {*sandbox.ETC_KEPT, "passwd", "group", "hosts", "nsswitch.conf"}
    assert set(found["root"]) <= allowed_in_root, found["root"]  # only the way to the Python environment
    assert set(found["top"]) <= {"usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc", "dev", "proc",
                                 "tmp", "root", "home", "run", "data", "opt"}, found["top"]
    assert not found["repo"] and not found["tests"] and not found["host_cwd"]
    # the working folder: empty but for the work file (and what the kernel itself wrote in its home)
    assert found["cwd"] == found["home"] == sandbox.SANDBOX_HOME
    assert not {"loss_functions.ipynb", "ipykernel_launcher.py", "torch.py", "notes.txt"} & set(found["files"])
    assert "given.csv" in found["files"] and found["given"] == "x,y\n1,2\n" and found["given_writable"] == "4"
    assert extra.read_text() == "x,y\n1,2\n"  # a copy was written to
    assert found["data"] == "0 1 2\n" and found["data_writable"] in ("OSError", "PermissionError")
    assert found["torch"].startswith(venv) and not found["shadowed"]
    assert found["launcher"] is None or found["launcher"].startswith(os.path.realpath(sys.base_prefix)) \
        or found["launcher"].startswith(venv)
    assert found["interfaces"] == ["lo"] and found["connect"] == "OSError"
    assert found["usr_writable"] in ("OSError", "PermissionError") and found["root_writable"] in ("OSError", "PermissionError")
    assert found["tmp"] == "1"


def test_command_is_an_allowlist(tmp_path):
    """The bubblewrap command starts from an empty root: no bind of / or of the home folder."""
    cmd = sandbox.sandbox_command(["python", "-m", "ipykernel_launcher"], run=str(tmp_path), etc={}, uid=65534,
                                  gid=65534, tmp_size=MB, env={"HOME": sandbox.SANDBOX_HOME})
    pairs = {(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")}
    sources = {src for src, _ in pairs}
    assert "/" not in sources and os.path.expanduser("~") not in sources and str(REPO) not in sources
    assert "-P" in cmd[cmd.index("ipykernel_launcher") - 3:]


def test_settings_from_config(monkeypatch, tmp_path):
    """The settings are traitlets (--SandboxedKernelManager.memory=... on nbgrader's command line, or
    nbgrader_config.py); `memory` defaults to 3/4 of the machine's memory, whatever the environment
    says, and `hidden_folders` to the folder grading starts in."""
    monkeypatch.setenv("COURSE_GRADING_MEMORY", "123456789")  # gone: no setting comes from the environment
    assert SandboxedKernelManager().memory == sandbox.default_memory() == \
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4
    config = Config({"SandboxedKernelManager": {"memory": 5 * 10**8, "cpus": "0", "max_processes": 99,
                                                "uid": 1234, "tmp_size": 10**7, "hidden_folders": [str(tmp_path)]}})
    km = SandboxedKernelManager(config=config)
    assert (km.memory, km.cpus, km.max_processes, km.uid, km.gid, km._tmp_bytes(), km.hidden_folders) == \
        (5 * 10**8, "0", 99, 1234, 65534, 10**7, [str(tmp_path)])
    monkeypatch.chdir(REPO)
    assert SandboxedKernelManager().hidden_folders == [str(REPO)]
    with pytest.raises(ValueError):  # a data mount may not show a course folder
        SandboxedKernelManager(hidden_folders=[str(REPO)], data_mounts=[(str(REPO.parent), "/data")])._mounts()
    with pytest.raises(ValueError):  # ... the folder grading starts in, by default
        SandboxedKernelManager(data_mounts=[(str(REPO.parent), "/data")])._mounts()
    assert SandboxedKernelManager(hidden_folders=[str(REPO)], data_mounts=[f"{REPO / 'source'}:/data"])._mounts() == \
        [(str(REPO / "source"), "/data")]
    (tmp_path / "course").mkdir()
    (tmp_path / "data").mkdir()
    assert SandboxedKernelManager(hidden_folders=[str(tmp_path / "course")],
                                  data_mounts=[(str(tmp_path / "data"), "/data")])._mounts() == \
        [(str(tmp_path / "data"), "/data")]  # only the hidden folders are refused


# ----------------------------------------------------------------------------- limits

async def _capped(tmp_path, code):
    """Whether `code` is stopped by the 600 MB cap (the kernel killed, or an error raised)."""
    async with Kernel(tmp_path, memory=600 * MB, tmp_size=2000 * MB) as k:
        assert await k.run("b = bytearray(200_000_000); b[::4096] = b'x' * len(b[::4096]); del b; result = 'ok'") == "ok"
        try:
            return await k.run(code, timeout=90)
        except Died:
            return "killed"
        except AssertionError as e:
            return str(e)


@with_cgroups
@kernel_test
async def test_shared_memory_files_are_capped(tmp_path):
    """1 GB written to /dev/shm (which is no RLIMIT's business) is stopped at 600 MB."""
    outcome = await _capped(tmp_path, """
with open('/dev/shm/hoard', 'wb') as f:
    for _ in range(16):
        f.write(b'x' * 64_000_000)
        f.flush()
result = 'not capped'
""")
    assert outcome == "killed" or outcome.startswith(("OSError", "MemoryError")), outcome


@with_cgroups
@kernel_test
async def test_shared_mmap_is_capped(tmp_path):
    """1 GB of MAP_SHARED|MAP_ANONYMOUS memory, touched page by page, is stopped at 600 MB."""
    outcome = await _capped(tmp_path, """
import mmap
m = mmap.mmap(-1, 1 << 30, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
for i in range(0, 1 << 30, 4096):
    m[i] = 1
result = 'not capped'
""")
    assert outcome == "killed" or outcome.startswith(("OSError", "MemoryError")), outcome


@with_cgroups
@kernel_test
async def test_run_folder_is_capped(tmp_path):
    """The one host folder the kernel may write to (its sockets' folder) takes no disk: 1 GB written
    there is stopped at 600 MB too."""
    outcome = await _capped(tmp_path, """
import os
from ipykernel import get_connection_file
with open(os.path.join(os.path.dirname(get_connection_file()), 'hoard'), 'wb') as f:
    for _ in range(16):
        f.write(b'x' * 64_000_000)
        f.flush()
result = 'not capped'
""")
    assert outcome == "killed" or outcome.startswith(("OSError", "MemoryError")), outcome


@kernel_test
async def test_plain_hoarding_raises_memory_error(tmp_path):
    """Ordinary allocations past the cap raise MemoryError and the kernel lives (the grader says so)."""
    async with Kernel(tmp_path, memory=600 * MB) as k:
        outcome = await k.run("""
hoard = []
try:
    while True:
        hoard.append(bytearray(50_000_000))
except MemoryError:
    result = ('MemoryError', len(hoard))
del hoard
""")
        assert outcome[0] == "MemoryError" and outcome[1] <= 12
        assert await k.run("result = 1 + 1") == 2


@with_cgroups
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 cores")
@kernel_test
async def test_cores_cannot_be_widened(tmp_path):
    """With cpus='0', asking for cores 0 and 1 leaves the kernel and its new threads on core 0."""
    async with Kernel(tmp_path, cpus="0") as k:
        found = await k.run("""
import os, threading
def attempt(f):
    try:
        f()
        return 'done'
    except OSError as e:
        return type(e).__name__
tried = attempt(lambda: os.sched_setaffinity(0, {0, 1}))
allowed = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Cpus_allowed_list')][0]
seen = []
t = threading.Thread(target=lambda: seen.append(open('/proc/thread-self/status').read()))
t.start(); t.join()
thread = [l.split()[1] for l in seen[0].splitlines() if l.startswith('Cpus_allowed_list')][0]
only_1 = attempt(lambda: os.sched_setaffinity(0, {1}))
result = dict(tried=tried, allowed=allowed, thread=thread, affinity=sorted(os.sched_getaffinity(0)), only_1=only_1)
""")
    assert found["allowed"] == "0" and found["thread"] == "0" and found["affinity"] == [0], found
    assert found["only_1"] == "OSError", found  # core 1 alone is refused outright


@with_cgroups
@kernel_test
async def test_fork_bomb_is_stopped(tmp_path):
    """A fork bomb meets the process limit; the kernel survives it."""
    async with Kernel(tmp_path, max_processes=64) as k:
        found = await k.run("""
import os, signal, time
children, error = [], None
for _ in range(1000):
    try:
        pid = os.fork()
    except OSError as e:
        error = type(e).__name__
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
result = dict(forked=len(children), error=error)
""")
        assert found["error"] in ("BlockingIOError", "OSError") and found["forked"] < 64, found
        assert await k.run("result = 1 + 1") == 2


@as_root
@with_cgroups
@kernel_test
async def test_nothing_outlives_the_kernel(tmp_path):
    """A double-forked daemon in its own session dies with the kernel; the cgroup goes with it."""
    seconds = str(random.randint(900_000, 999_999))
    async with Kernel(tmp_path) as k:
        await k.run(f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv('/bin/sleep', ['sleep', '{seconds}'])
    os._exit(0)
os.wait()
time.sleep(0.2)
result = None
""")
        daemons = _processes(["sleep", seconds])
        folders = list(k.km._cgroup.folders)
        assert daemons and all(os.path.isdir(f) for f in folders)
        assert set(daemons) <= k.km._cgroup.pids()
        rundir = k.km._rundir
    gone = time.monotonic() + 10
    while _processes(["sleep", seconds]) and time.monotonic() < gone:
        await asyncio.sleep(0.1)
    assert not _processes(["sleep", seconds]), "the daemon outlived its kernel"
    assert not any(os.path.exists(f) for f in folders), "the kernel's cgroup is still there"
    assert not os.path.exists(rundir)


@as_root
@with_cgroups
@kernel_test
async def test_cgroup_kill_alone_stops_everything(tmp_path):
    """The cgroup's clean-up alone kills every process of the kernel (bubblewrap's included)."""
    async with Kernel(tmp_path) as k:
        group = k.km._cgroup
        assert group.pids()
        copy = sandbox.KernelCgroup(group.version, list(group.folders))
        assert await copy.remove(timeout=10)
        assert not any(os.path.exists(f) for f in group.folders)
        assert not await k.km.is_alive() or await _eventually_dead(k.km)


async def _eventually_dead(km):
    for _ in range(50):
        if not await km.is_alive():
            return True
        await asyncio.sleep(0.1)
    return False


ORPHAN = """
import asyncio, json, time
from grader import sandbox
async def main():
    km = sandbox.SandboxedKernelManager(kernel_name="python3")
    await km.start_kernel(cwd={cwd!r})
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    print(json.dumps(dict(rundir=km._rundir, cgroup=km._cgroup.folders if km._cgroup else [])), flush=True)
    time.sleep(600)
asyncio.run(main())
"""


@kernel_test
async def test_killed_grader_leaves_nothing_running(tmp_path):
    """A grader killed outright takes its kernel along; the next grader removes what it left."""
    grader = subprocess.Popen([sys.executable, "-c", ORPHAN.format(cwd=str(tmp_path))], cwd=REPO,  # (grader.sandbox)
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    def report():  # (the kernel's banner comes on the same pipe)
        for line in grader.stdout:
            if line.startswith("{"):
                return json.loads(line)
    try:
        left = await asyncio.wait_for(asyncio.to_thread(report), 60)
    finally:
        grader.kill()
        grader.wait()
    mark = left["rundir"].encode()
    gone = time.monotonic() + 10
    while _processes_with(mark) and time.monotonic() < gone:
        await asyncio.sleep(0.1)
    assert not _processes_with(mark), "the kernel outlived its killed grader"
    long_ago = time.time() - 3600
    for folder in [left["rundir"], *left["cgroup"]]:
        os.utime(folder, (long_ago, long_ago))
    async with Kernel(tmp_path):
        pass
    assert not os.path.exists(left["rundir"]) and not any(os.path.exists(f) for f in left["cgroup"])


def _processes_with(text):
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            pass
    return found


def _processes(argv):
    """Pids of the processes whose command line is `argv`."""
    want = ("\0".join(argv) + "\0").encode()
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == want:
                found.append(int(cmdline.parent.name))
        except OSError:
            pass
    return found


@kernel_test
async def test_fallback_without_cgroups(tmp_path):
    """Without cgroups: RLIMIT_AS (the cap plus a kernel's measured address space), taskset, and a
    warning; torch still imports and a shared mapping past the cap fails."""
    saved = list(sandbox._limits_problem), list(sandbox._warned)
    sandbox._limits_problem[:] = ["cgroups switched off by the test"]
    sandbox._warned[:] = []
    try:
        async with Kernel(tmp_path, memory=1500 * MB, cpus="0") as k:  # (torch's libraries need 0.9 GB of RLIMIT_DATA)
            limit = 1500 * MB + sandbox.kernel_address_space()
            found = await k.run(f"""
import mmap, os, resource
import torch
x = (torch.ones(200, 200) @ torch.ones(200, 200)).sum().item()
try:
    mmap.mmap(-1, {limit}, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    big = 'mapped'
except OSError as e:
    big = type(e).__name__
result = dict(rlimit_as=resource.getrlimit(resource.RLIMIT_AS)[0], x=x, big=big,
              affinity=sorted(os.sched_getaffinity(0)), shm=os.statvfs('/dev/shm').f_blocks * os.statvfs('/dev/shm').f_frsize)
""")
            assert k.km._cgroup is None
        assert found["rlimit_as"] == limit and found["x"] == 200 ** 3 and found["big"] == "OSError", found
        assert found["affinity"] == [0] and found["shm"] <= 375 * MB + 4096, found
        assert sandbox._warned == ["cgroups switched off by the test"]
    finally:
        sandbox._limits_problem[:], sandbox._warned[:] = saved
