"""Grading a class on Dask (`./course grade --scheduler`), for real: a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, no mock. The class holds honest learners and hostile ones.

- The scores are those of serial `nbgrader autograde` (the course's configuration, one learner
  after the other), cell by cell, for every learner that serial nbgrader can grade; the broken
  submissions (which serial nbgrader cannot read) score as `./course grade` scores them locally.
- One worker is killed (SIGKILL, with its nanny) while it grades: the class still completes, each
  learner is graded once, with the same scores, the gradebook is consistent, and no submitted file
  changed.
"""
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.sandbox import sandbox_problem
from kit.course_tools import cell_scores, nbgrader, scratch_course
from kit.fixtures import ASSIGNMENT, HONEST, HOSTILE, reference_with, hand_in

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))]

CELL_TIMEOUT = 10
MEMORY = 3_000_000_000
# what serial nbgrader can grade too: honest learners, cheats, a kernel that dies, the course out of reach
SERIAL = ["honest-full", "honest-partial", "honest-blank", "patches-assert-close", "patches-quietly", "os-exit",
          "reads-course", "edited-tests", "widens-cores"]
BROKEN = ["not-json", "deleted-tests", "sleeps"]  # graded as ./course grade grades them, on this machine too
CLASS = SERIAL + BROKEN


def fingerprint(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


# the reference solution, whose kernel asks for every core of the machine and says which it got
WIDENS_CORES = reference_with("import os\nos.sched_setaffinity(0, range(os.cpu_count()))\n"
                               "print('cores:', sorted(os.sched_getaffinity(0)))\n")
PINNED = os.cpu_count() >= 2  # each worker started on a core of its own (taskset)


LEARNERS = {**HONEST, "widens-cores": WIDENS_CORES, **{name: build for name, (build, _) in HOSTILE.items()}}


def build(course, name):
    return LEARNERS[name](course)


def _dask(course, *args, log, cores=None):
    """A dask command of this environment, run in the course (its grader/ importable), in a session of
    its own, on `cores` (taskset) when given."""
    env = dict(os.environ, PYTHONPATH=f"{course}{os.pathsep}{course / 'student-kit'}", DASK_DISTRIBUTED__WORKER__DAEMON="False")
    pin = ["taskset", "-c", cores] if cores else []
    return subprocess.Popen([*pin, str(Path(sys.executable).parent / "dask"), *args], cwd=course, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers (one thread each) on 127.0.0.1; yields (address, {name: worker process})."""
    course = scratch_course(tmp_path_factory.mktemp("dist"), [ASSIGNMENT])
    info = course / "scheduler.json"
    log = open(course / "dask.log", "w")
    procs = [_dask(course, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
                   "--scheduler-file", str(info), log=log)]
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert info.exists(), (course / "dask.log").read_text()
    address = json.loads(info.read_text())["address"]
    workers = {name: _dask(course, "worker", address, "--nworkers", "1", "--nthreads", "1", "--name", name, log=log,
                           cores=str(core) if PINNED else None)
               for core, name in enumerate(("w1", "w2"))}
    procs += workers.values()
    from distributed import Client
    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    try:
        yield dict(course=course, address=address, workers=workers)
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


def grade(course, *args, **kw):
    cmd = [sys.executable, "-m", "grader.grade", ASSIGNMENT, "--timeout", str(CELL_TIMEOUT), "--memory", str(MEMORY),
           "--ReadLearnerCode.checked_code_only=False", *args]  # every cell runs whole: the guards are what is tested
    return subprocess.Popen(cmd, cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def distributed_class(cluster):
    """The class graded through the scheduler; one worker killed while it grades."""
    course = cluster["course"]
    for name in CLASS:
        hand_in(course, name, build(course, name))
    submitted = fingerprint(course / "submitted")
    proc = grade(course, "--scheduler", cluster["address"])
    lines, killed = [], None
    from distributed import Client
    with Client(cluster["address"], timeout="60s") as client:
        for line in proc.stdout:
            lines.append(line)
            if killed is None and re.match(r"\[2/\d+\]", line):
                # the worker grading a learner now dies with its nanny and everything it started
                busy = {w: keys for w, keys in client.processing().items() if keys}
                names = {w: info["name"] for w, info in client.scheduler_info()["workers"].items()}
                victim = names[next(iter(busy))] if busy else "w1"
                os.killpg(cluster["workers"][victim].pid, signal.SIGKILL)
                killed = dict(name=victim, busy=bool(busy))
    proc.wait(timeout=1800)
    output = "".join(lines)
    assert proc.returncode == 0, f"grade failed:\n{output[-5000:]}\n{proc.stderr.read()[-5000:]}"
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, CLASS)
    return dict(course=course, output=output, scores=scores, submitted=submitted, killed=killed)


@pytest.fixture(scope="module")
def serial_class(tmp_path_factory):
    """The learners that serial nbgrader can grade, graded by `nbgrader autograde`, one after the other."""
    course = scratch_course(tmp_path_factory.mktemp("serial"), [ASSIGNMENT])
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Execute.timeout = {CELL_TIMEOUT}\n"
                      f"c.SandboxedKernelManager.memory = {MEMORY}\nc.ReadLearnerCode.checked_code_only = False\n")
    for name in SERIAL:
        hand_in(course, name, build(course, name))
    nbgrader("autograde", ASSIGNMENT, cwd=course, check=False)
    return cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, SERIAL)


@pytest.fixture(scope="module")
def local_class(tmp_path_factory):
    """The broken submissions graded by `./course grade` on this machine's cores."""
    course = scratch_course(tmp_path_factory.mktemp("local"), [ASSIGNMENT])
    for name in BROKEN:
        hand_in(course, name, build(course, name))
    proc = grade(course, "--workers", "2")
    out, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, f"grade failed:\n{out[-5000:]}\n{err[-5000:]}"
    return cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, BROKEN)


def test_a_busy_worker_was_killed(distributed_class):
    """The kill hit a worker while it graded (else the test below proves less)."""
    assert distributed_class["killed"] == dict(name=distributed_class["killed"]["name"], busy=True)


def test_every_learner_graded_once(distributed_class):
    output = distributed_class["output"]
    for student in CLASS:
        assert len(re.findall(rf"^\[\d+/\d+\] {re.escape(student)}:", output, re.M)) == 1, student
        assert re.search(rf"^{re.escape(student)}\s+\d", output, re.M), f"no score for {student}"


def test_scores_as_serial_nbgrader(distributed_class, serial_class):
    assert serial_class["honest-full"]["test_mse_loss_basic"][0] == 1  # the comparison means something
    for student in SERIAL:
        assert distributed_class["scores"][student] == serial_class[student], student


def test_broken_submissions_as_graded_locally(distributed_class, local_class):
    for student in BROKEN:
        assert distributed_class["scores"][student] == local_class[student], student


def test_gradebook_consistent_and_submissions_unchanged(distributed_class):
    course = distributed_class["course"]
    assert fingerprint(course / "submitted") == distributed_class["submitted"]
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM student").fetchone()[0] == len(CLASS)
        assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == len(CLASS)
    for student in CLASS:
        graded = course / "autograded" / student / ASSIGNMENT
        assert (graded / f"{ASSIGNMENT}.ipynb").is_file(), student


def test_problems_named_and_dashboard_printed(distributed_class):
    output = distributed_class["output"]
    assert re.search(r"^grade: Dask dashboard: http://127\.0\.0\.1:\d+/status$", output, re.M)
    for student in BROKEN:
        assert re.search(rf"^PROBLEM {re.escape(student)}/", output, re.M), student
    assert re.search(r"PROBLEM lines so far: \d+", output)


@pytest.mark.skipif(not PINNED, reason="one core: nothing to pin")
def test_a_kernel_stays_on_its_workers_core(distributed_class):
    """Each worker runs on a core of its own (taskset): the kernel it grades in is held there by a
    cpuset, and a learner who asks for every core still gets only that one."""
    graded = nbformat.read(distributed_class["course"] / "autograded" / "widens-cores" / ASSIGNMENT
                           / f"{ASSIGNMENT}.ipynb", as_version=4)
    said = [line for cell in graded.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
            for line in out.get("text", "").splitlines() if line.startswith("cores:")]
    assert said in (["cores: [0]"], ["cores: [1]"]), said


def _sleep_then(value, seconds):
    time.sleep(seconds)
    return value


def test_tasks_whose_scattered_data_is_lost_come_back_cancelled_not_as_a_crash():
    """The red team's crash: a worker restarted for memory took the scattered course data with it,
    and `distributed.wait` raised FuturesCancelledError out of the class command. The runner now
    returns the cancelled tasks (run_tasks sends them again, tests/test_grader_units.py) and
    scatters the data again with the next task."""
    from concurrent.futures import CancelledError
    from distributed import Client, LocalCluster
    from grader.grade import Cluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as local, \
            Client(local) as client:
        runner = Cluster.__new__(Cluster)  # its wait and lost only: no grading here
        runner.client, runner.shared = client, client.scatter({"course": 1}, broadcast=True, hash=False)
        futures = [client.submit(_sleep_then, runner.shared, 2, pure=False) for _ in range(2)]
        time.sleep(0.5)
        client.cancel(runner.shared)  # as a restarted worker loses it
        done = runner.wait(futures)
        assert done == set(futures) and runner.shared is None
        for future in done:
            with pytest.raises(CancelledError):
                future.result()
