"""One learner's grading, from a task that carries everything it needs to a report that carries
everything it made. The same function grades on this machine (`./course grade`, a thread per
learner) and on a Dask worker anywhere (`./course grade --scheduler`): it needs no course folder,
no shared file system and no gradebook of the course's.

A task is grader/task.py's `Task`, this learner's (their id and the files they handed in, as bytes),
with the class's `Shared` inputs (the course's nbgrader_config.py, the assignment's student copies
and source files, a gradebook holding only the assignment, the grading secret, the `Settings`).
`grade_one(task, shared)`:

1. stages a private course root in a temporary folder: the submission checked and mended
   (grader/staging.py), the assignment's own gradebook, the configuration;
2. runs nbgrader's own `autograde` there for this learner, in a fresh process (forked from a
   server that has nbgrader imported), in a process group of its own, killed past its deadline;
   the learner's code runs in the sandbox with the guards (grader/execute.py);
3. grades the blank student copy instead, with the reason, when grading fails or hangs as a
   whole (the learner's fault); reports the machine's failure, grading nothing, when no kernel
   could start (the machine's fault);
4. returns the `Report`: the autograded folder's files, each cell's score, the problems, the seconds.

Only the machine that runs `./course grade` writes the course's gradebook and autograded/, from
the reports (grader/grade.py).
"""
import json
import multiprocessing
import multiprocessing.forkserver
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from .task import Report, fingerprint

# What a grading process imports (2.5 s, most of it jsonschema's IRI grammar): imported once, by
# multiprocessing's fork server, which forks each learner's grading process from itself.
PRELOAD = ["nbgrader.apps.autogradeapp", "nbgrader.preprocessors", "nbgrader.api", "nbclient", "nbconvert",
           "jupyter_client.manager", "IPython.core.inputtransformer2", "sqlalchemy", "torch", "numpy", "grader.execute"]
# What torch imports at the first optimizer a process makes (3.7 s), as the judge's references of most assignments
# do: preloaded too, unless the class's judge makes no optimizer (its first learner then starts 3.7 s sooner).
OPTIMIZERS = ["torch._dynamo"]

_server = []
_server_lock = threading.Lock()


def fork_server(optimizers=True):
    """The fork server (started once per process, importing PRELOAD, and OPTIMIZERS where `optimizers`, while the
    caller goes on). Each learner's grading process is a fresh fork of it, a process of its own, without the imports."""
    with _server_lock:
        if _server:
            return _server[0]
        os.environ["PYTHONHASHSEED"] = "0"  # the server's, so every grading process's, hash order
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD + (OPTIMIZERS if optimizers else []))
        # The server keeps no output of its own (the grading processes write to their logs), nor
        # this process's: whoever reads it sees its end when this process ends.
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        quiet = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            multiprocessing.forkserver.ensure_running()
        finally:
            for fd, old in zip((1, 2), saved):
                os.dup2(old, fd)
                os.close(old)
            os.close(quiet)
        _server.append(context)
        return context


def can_grade_here(sandbox=True):
    """None when this process can grade, else why not. A Dask worker answers it before its first
    task, and starts its fork server meanwhile (its first learner does not wait for the imports)."""
    from .sandbox import sandbox_problem
    if multiprocessing.current_process().daemon:
        return ("this Dask worker is a daemonic process, which may not start the grading processes: start "
                "the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (or `dask worker --no-nanny`)")
    problem = sandbox_problem() if sandbox else None
    if problem is None:
        context = fork_server()
        process = context.Process(target=int)  # waits until the server has imported PRELOAD
        process.start()
        process.join()
    return problem


# ----------------------------------------------------------------------------- the task

def grade_one(task, shared):
    """Grade one learner (see the module's docstring): a grader/task.py Task and Shared in, a Report out."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        made = _grade_staged(task, shared, Path(tmp) / "course", tmp)
    return Report(student=task.student, assignment=shared.assignment, seconds=round(time.monotonic() - start, 3),
                  host=socket.gethostname(), fingerprint=fingerprint(shared, task), **made)


def _grade_staged(task, shared, stage, tmp):
    """What grading in the private course root `stage` made: a Report's graded, problems, and,
    when graded, files, scores and seconds in cells."""
    from .staging import stage_submission
    submitted = stage / "submitted" / task.student / shared.assignment
    _write_course(stage, shared)
    try:
        problems = stage_submission(task.files, shared.release, submitted, task.reason, task.notes)
    except (OSError, MemoryError) as e:  # the machine's fault (a full disk, no memory): no score, graded again
        return _machine_failure(shared, f"staging failed ({type(e).__name__}: {str(e)[:120]})")
    except Exception as e:  # whatever the learner handed in, it stays this learner's problem
        problems = _restage_blank(stage, shared, task.student,
                                  f"the grader could not read this submission ({type(e).__name__}: {str(e)[:120]})")
    deadline = shared.deadline()
    argv = autograde_argv(shared, task.student)
    config = autograde_config(shared, stage, Path(tmp), task.cpus or own_cores())
    rc, log, entries = _autograde(argv, config, stage, deadline)
    graded = stage / "autograded" / task.student / shared.assignment
    failures = [e["machine_failure"] for e in entries if "machine_failure" in e]
    if failures:  # the machine's fault: no score, and the instructor grades again
        return _machine_failure(shared, failures[0])
    if rc != 0 or not all((graded / f"{n}.ipynb").exists() for n in shared.notebooks):
        # Graded as the blank copy instead, so the gradebook and the feedback say what happened.
        reason = failure_reason(rc, log, deadline, entries)
        problems = _restage_blank(stage, shared, task.student, reason)
        if shared.settings.debug_logs:
            sys.stderr.write(log)
        rc, log, entries = _autograde(argv, config, stage, deadline)
        if rc != 0 or not all((graded / f"{n}.ipynb").exists() for n in shared.notebooks):
            sys.stderr.write(log)
            return dict(graded=False, problems={n: [reason, "grading the blank copy failed too: see the log"]
                                                for n in shared.notebooks})
    for entry in entries:
        found = problems.setdefault(entry["notebook"], [])
        found += [p for p in entry.get("problems", []) if p not in found]
    return dict(graded=True, problems=problems, cell_seconds=round(sum(e.get("cell_seconds", 0.0) for e in entries), 3),
                files=_read_folder(graded), scores=_scores(stage, shared, task.student))


def _machine_failure(shared, what):
    """A learner the machine could not grade: no score, nothing written, graded again next run."""
    return dict(graded=False, problems={n: [f"NOT GRADED: {what} on {socket.gethostname()}; grade this learner again"]
                                        for n in shared.notebooks})


def _write_course(stage, shared):
    """A private course root: the course's configuration, the assignment's gradebook and source files."""
    stage.mkdir(parents=True)
    (stage / "nbgrader_config.py").write_text(shared.config)
    (stage / "gradebook.db").write_bytes(shared.gradebook)
    (stage / ".grading_secret").write_text(shared.secret + "\n")
    os.chmod(stage / ".grading_secret", 0o600)
    for name, data in shared.source_files.items():
        path = stage / "source" / shared.assignment / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _restage_blank(stage, shared, student, reason):
    from .staging import stage_submission
    for folder in ("submitted", "autograded"):
        shutil.rmtree(stage / folder / student, ignore_errors=True)
    (stage / "gradebook.db").write_bytes(shared.gradebook)
    return stage_submission({}, shared.release, stage / "submitted" / student / shared.assignment, reason)


def _read_folder(folder):
    """{relative path: bytes} of the plain files under `folder` (a link the learner's code made is not followed)."""
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*"))
            if f.is_file() and not f.is_symlink()}


def _scores(stage, shared, student):
    """{notebook: {grade_id: [auto score, max score]}} from the private gradebook, as the worker's nbgrader wrote them."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{stage / 'gradebook.db'}", shared.course_id) as gb:
        return {nb: {g.name: [g.auto_score, g.max_score] for g in gb.find_submission_notebook(nb, shared.assignment,
                                                                                            student).grades}
                for nb in shared.notebooks}


# ----------------------------------------------------------------------------- nbgrader, in a process of its own

def own_cores(affinity=None, cores=None):
    """The cores this process may run on, as "0,2-3", or "" when it may run on all of them. A Dask
    worker started under `taskset -c 2` grades its learners' kernels in a cpuset of core 2, which
    their code cannot widen (the local runner gives each task its slot's cores instead)."""
    affinity = sorted(os.sched_getaffinity(0) if affinity is None else affinity)
    if len(affinity) >= (os.cpu_count() if cores is None else cores):
        return ""
    runs = []
    for core in affinity:
        if runs and core == runs[-1][1] + 1:
            runs[-1][1] = core
        else:
            runs.append([core, core])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def autograde_config(shared, stage, tmp, cpus=""):
    """nbgrader's settings for one learner's grading in the private course root `stage`, as traitlets
    config (plain data): the grading classes' settings as resolved once (`shared.settings.grading`),
    then this learner's, which win. `_autograde` writes them as the stage's nbgrader_config.json,
    which nbgrader loads after its nbgrader_config.py (the course's), so they win over that too."""
    s = shared.settings
    # the staging folder, the course root the command named, and this worker's own copy of the course
    # (on a Dask worker, its clone: its source/ holds the hidden tests), whatever the data root is
    from .course import ROOT
    hidden = list(dict.fromkeys([str(tmp), *s.hidden_folders, str(ROOT)]))
    learner = {"CourseDirectory": {"root": str(stage), "db_url": f"sqlite:///{stage / 'gradebook.db'}",
                                   "course_id": shared.course_id},
               "Execute": {"timeout": s.timeout},
               "GuardedExecute": {"secret_file": str(stage / ".grading_secret"), "report_file": str(tmp / "report.jsonl"),
                                  "threads": s.threads},
               "SandboxedKernelManager": {"memory": s.memory, "cpus": cpus, "hidden_folders": hidden}}
    config = {section: dict(values) for section, values in s.grading.items()}
    for section, values in learner.items():
        config.setdefault(section, {}).update(values)
    return config


def autograde_argv(shared, student):
    """`nbgrader autograde`'s arguments for one learner: which learner; every setting is in the config."""
    return [shared.assignment, "--student", student, "--force"]


_running = {}  # pid: process, of the grading processes running now (stopped all at once on Ctrl-C)
_stopped = threading.Event()


class Stopped(Exception):
    """Grading was stopped (Ctrl-C): no report, nothing written."""


def stop_all():
    """Kill every grading process this process started (and their kernels, in their process groups);
    start none again."""
    _stopped.set()
    for pid in list(_running):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _autograde(argv, config, stage, deadline):
    """Run `nbgrader autograde ARGV` in `stage` with `config` (autograde_config) in a fresh process; kill
    its process group past `deadline` seconds. Returns (exit code, or None when killed; its log; the
    report's entries)."""
    (stage / "nbgrader_config.json").write_text(json.dumps(config))
    report = Path(config["GuardedExecute"]["report_file"])
    report.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile("w+", prefix="course-grade-log-") as log:
        proc = fork_server().Process(target=autograde_process, args=(argv, str(stage), log.name))
        if _stopped.is_set():
            raise Stopped()
        proc.start()
        _running[proc.pid] = proc
        try:
            proc.join(deadline)
            if _stopped.is_set():
                raise Stopped()
            rc = proc.exitcode
            if rc is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:  # not yet in a group of its own
                    proc.kill()
                proc.join()
        finally:
            _running.pop(proc.pid, None)
        log.seek(0)
        text = log.read()
    entries = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    return rc, text, entries


def autograde_process(argv, cwd, log):
    """One learner's grading process: `nbgrader autograde ARGV` run in `cwd`, its output appended
    to the file `log`, in a process group of its own."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(cwd)
    from nbgrader.apps.autogradeapp import AutogradeApp

    from .course import nbgrader_env
    os.environ.update(nbgrader_env())  # nbgrader runs alembic from PATH
    AutogradeApp.launch_instance(argv=argv)  # exits with nbgrader's code (multiprocessing: 0 when it returns)


def failure_reason(rc, log, deadline, entries=()):
    """Why grading failed as a whole: past its deadline, the failure GuardedExecute reported, or else
    the last error line of nbgrader's own log (nbgrader failed before or after the notebook ran)."""
    if rc is None:
        return f"grading took longer than {deadline:.0f} s as a whole and was stopped"
    reported = [e["failure"] for e in entries if "failure" in e]
    if reported:
        return f"grading failed: {reported[-1]}"
    errors = [line.strip() for line in log.splitlines() if re.match(r"\s*[\w.]*(Error|Exception)\w*: ", line)]
    return "grading failed" + (f": {errors[-1][:200]}" if errors else f" (exit code {rc})")
