"""Autograde every collected submission of an assignment, whatever the learners handed in: on this
machine's cores, or on a Dask cluster of any size.

    ./course grade ASSIGNMENT [--workers N] [--student ID ...] [--timeout S] [--memory BYTES]
                              [--scheduler tcp://HOST:PORT] [--regrade]

Run it in the course root (where nbgrader_config.py is), after `nbgrader generate_assignment` and
`nbgrader collect`/`zip_collect`. Each learner is one task (grader/worker.py): it carries the
learner's handed-in files and what the whole class shares (the course's configuration, the
assignment's student copies, source files and gradebook entries, the grading secret), and returns
one report (the autograded notebooks, each cell's score, the problems, the seconds). Without
--scheduler the tasks run here, N at a time (default: one per core), each on its share of the
cores; with it, on the Dask workers of that scheduler (anywhere: they need this repository's
environment, not its files). The scores are nbgrader's own, the same as serial `nbgrader autograde`.

This process alone writes the gradebook that nbgrader_config.py names (SQLite by default, or
`db_url`) and autograded/, learner by learner as their reports come back: from each report it
creates the submission and replays nbgrader's own SaveAutoGrades and AssignLatePenalties on the
graded notebooks. A learner whose grading fails or hangs as a whole is graded as the blank copy,
with the reason; a task lost with its worker runs again elsewhere. What went wrong is written on
top of the graded notebook (the learner's feedback says it) and here, one PROBLEM line per learner
and notebook. The learners' files in submitted/ are never changed.

At the end it writes the class report, reports/<assignment>/report.html and report.csv
(grader/report.py), and every score carries its record (the files graded, the course's commit, ...).

Stopped (Ctrl-C) and run again, it grades only the learners not yet graded, or whose submission,
assignment or settings changed since (the state is kept in .grading-state/); --regrade grades
everyone again.

Every setting is a traitlets setting: `c.ClassGrading.workers = 8` or `c.ClassGrading.scheduler =
"tcp://..."` in nbgrader_config.py, `--ClassGrading.workers=8` (or the short flags above) here, and
the grading classes' (`--GuardedExecute.output_limit=...`). They are resolved once into
grader/task.py's `Settings`, which travels with every task to each learner's nbgrader unchanged.
"""
import hashlib
import json
import os
import sys
import threading
import time
import warnings
from collections import deque
from concurrent.futures import FIRST_COMPLETED, CancelledError, ThreadPoolExecutor, wait
from pathlib import Path

from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Application

from . import report as class_report, worker
from .task import OF_THE_RUN, Report, Settings, Shared, Task, fingerprint, grading_classes
from .notebook import printable

DESCRIPTION = __doc__.split("\n\n")[0]

class ClassGrading(Application):
    """The class command's settings (see the module's docstring)."""

    name = "course-grade"
    description = DESCRIPTION
    workers = Integer(0, help="Learners graded at once on this machine (0: one per core)").tag(config=True)
    students = List(Unicode(), help="Grade only these learners (default: everyone who handed in)").tag(config=True)
    timeout = Integer(0, help="Seconds a cell may run (0: Execute.timeout)").tag(config=True)
    memory = Integer(0, help="Bytes a learner's kernel may use (0: 3/4 of the memory, shared by the workers; "
                        "on a Dask cluster, 3/4 of 4 GiB)").tag(config=True)
    threads = Integer(0, help="Threads a learner's checks and kernel use (0: this machine's cores shared by the "
                         "workers; on a Dask cluster, 1)").tag(config=True)
    scheduler = Unicode("", help="Address of a Dask scheduler (tcp://HOST:PORT): grade on its workers "
                        "instead of this machine's cores").tag(config=True)
    regrade = Bool(False, help="Grade again the learners already graded and unchanged since").tag(config=True)
    grace = Integer(120, help="Seconds a learner's grading may take beyond its cells' time limits (kernel "
                    "starts, writing)").tag(config=True)
    cell_margin = Integer(15, help="Seconds each code cell may take beyond `timeout` (an interrupt, a kernel "
                          "replaced) before the learner's grading as a whole is stopped").tag(config=True)
    max_file_bytes = Integer(100_000_000, help="Bytes a file a learner handed in may hold; a larger one is "
                             "left out of grading, with a PROBLEM line").tag(config=True)
    max_learner_bytes = Integer(200_000_000, help="Bytes all the files a learner handed in may hold together; "
                                "the files past it are left out, with a PROBLEM line").tag(config=True)
    max_learner_files = Integer(1000, help="Files a learner may hand in; the files past it (notebooks first, "
                                "then in name order) are left out, with a PROBLEM line").tag(config=True)
    root = Unicode(".", help="The course root").tag(config=True)
    report = Unicode("", help="File to write one line of JSON to per learner graded, as each finishes: "
                     "student, graded, seconds, cell_seconds, problems, each cell's [score, max score], "
                     "host (what the benchmarks read), and the record behind the score (grader/report.py)").tag(config=True)
    debug_logs = Bool(False, help="Print a failed grading's whole log").tag(config=True)

    @property
    def classes(self):  # --help-all lists the settings of the grading itself too
        from .execute import GuardedExecute
        from .learner_code import ReadLearnerCode
        from .sandbox import SandboxedKernelManager
        return [ClassGrading, ReadLearnerCode, GuardedExecute, SandboxedKernelManager]

    aliases = {"workers": "ClassGrading.workers", "student": "ClassGrading.students",
               "timeout": "ClassGrading.timeout", "memory": "ClassGrading.memory", "threads": "ClassGrading.threads",
               "scheduler": "ClassGrading.scheduler", "root": "ClassGrading.root", "report": "ClassGrading.report"}
    flags = {"regrade": ({"ClassGrading": {"regrade": True}}, "Grade everyone again"),
             "debug-logs": ({"ClassGrading": {"debug_logs": True}}, "Print a failed grading's whole log")}

    def initialize(self, argv=None):
        self.parse_command_line(argv)
        self.root_path = Path(self.root).resolve()
        if not (self.root_path / "nbgrader_config.py").exists():
            self.exit_with(f"{self.root_path} has no nbgrader_config.py: run this in the course root")
        if len(self.extra_args) != 1:
            self.exit_with("give one assignment: ./course grade ASSIGNMENT [options] (--help-all lists them)")
        grading = {c.__name__ for c in grading_classes()}
        other = sorted(set(self.cli_config) - grading - {"ClassGrading"})
        if other:  # a learner's nbgrader gets the grading classes' settings (grader/task.py), no others
            self.exit_with(f"--{other[0]}... is not a grading setting (those are of {', '.join(sorted(grading))} "
                           "and ClassGrading): set it in nbgrader_config.py")
        self.load_config_file("nbgrader_config.py", path=str(self.root_path))  # the command line still wins

    def exit_with(self, message, code=2):
        print(f"grade: {message}", file=sys.stderr)
        self.exit(code)

    def start(self):
        sys.exit(grade_class(self))


# ----------------------------------------------------------------------------- what the class shares

def load_course(app):
    from nbgrader.coursedir import CourseDirectory
    coursedir = CourseDirectory(config=app.config)
    coursedir.root = str(app.root_path)
    return coursedir


def judge_makes_optimizers(source):
    """Whether the judge of the assignment whose source folder is `source` may make a torch optimizer: the code of
    its references or of its notebooks names `optim` (or cannot be read). Only how soon grading starts depends on it
    (worker.fork_server)."""
    import nbformat
    try:
        code = [f.read_text() for f in source.glob("*.py")]
        for f in source.glob("*.ipynb"):
            code += [c.source for c in nbformat.read(f, as_version=4).cells if c.cell_type == "code"]
    except Exception:
        return True
    return any("optim" in text for text in code)


def template_gradebook(db_url, course_id, assignment, path):
    """A SQLite gradebook at `path` holding only `assignment` as the course's gradebook has it (its
    notebooks, cells, points and source cells): what nbgrader's autograde reads, without a learner."""
    from nbgrader.api import Gradebook
    from sqlalchemy import text

    from .course import gradebook_version, seed_gradebook
    with Gradebook(db_url, course_id) as src:
        try:  # stamped as the course's gradebook is
            version = src.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            version = None
    seed_gradebook(path, version or gradebook_version())
    with Gradebook(db_url, course_id) as src, Gradebook(f"sqlite:///{path}", course_id) as dst:
        a = src.find_assignment(assignment)
        dst.add_assignment(assignment, duedate=a.duedate)
        for nb in a.notebooks:
            dst.add_notebook(nb.name, assignment, kernelspec=nb.kernelspec)
            for c in nb.grade_cells:
                dst.add_grade_cell(c.name, nb.name, assignment, max_score=c.max_score, cell_type=c.cell_type)
            for c in nb.solution_cells:
                dst.add_solution_cell(c.name, nb.name, assignment)
            for c in nb.task_cells:
                dst.add_task_cell(c.name, nb.name, assignment, max_score=c.max_score, cell_type=c.cell_type)
            for c in nb.source_cells:
                dst.add_source_cell(c.name, nb.name, assignment, cell_type=c.cell_type, locked=c.locked,
                                    source=c.source, checksum=c.checksum)
    return Path(path).read_bytes()


def read_shared(app, coursedir, assignment, notebooks, duedate, tmp):
    """What every learner's task needs (grader/task.py's Shared), its settings resolved from `app`."""
    import nbformat
    from .execute import read_secret
    root = app.root_path
    settings = Settings.resolve(app)
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    copies = {name: dict(nbformat.read(release / f"{name}.ipynb", as_version=4)) for name in notebooks}
    # The course's grading secret, in the course root (or where nbgrader_config.py says), made here
    # once, so that every learner and every re-grade draws from the same one.
    secret = read_secret(str(root / settings.secret_file))
    return Shared(assignment=assignment, course_id=coursedir.course_id, settings=settings, secret=secret,
                  config=(root / "nbgrader_config.py").read_text(), release=copies,
                  source_files={str(f.relative_to(source)): f.read_bytes() for f in sorted(source.rglob("*"))
                                if f.is_file() and f.suffix != ".ipynb"} if source.is_dir() else {},
                  source_notebooks=[p.read_bytes() for p in sorted(source.glob("*.ipynb"))],
                  gradebook=template_gradebook(coursedir.db_url, coursedir.course_id, assignment,
                                               Path(tmp) / "assignment.db"),
                  duedate=duedate)


def files_digest(coursedir, assignment, student):
    """A digest of what `student` handed in: each plain file's name (as bytes), size and own digest,
    read a block at a time."""
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    entries = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.is_symlink():
            digest = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            entries.append([os.fsencode(p.name).hex(), p.stat().st_size, digest.hexdigest()])
    return entries


MAX_TIMESTAMP_BYTES = 100


def submission_time(coursedir, assignment, student):
    """(the time in the learner's timestamp.txt, or None; a problem, or None). A file that is not
    a time (nbgrader's submit writes it on the learner's side) counts as none, with a problem."""
    from nbgrader.utils import parse_utc
    path = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment)) / "timestamp.txt"
    if not path.is_file():
        return None, None
    try:
        with path.open("rb") as f:
            data = f.read(MAX_TIMESTAMP_BYTES + 1)
        if len(data) > MAX_TIMESTAMP_BYTES:  # nbgrader writes 30 bytes; parsing megabytes takes hours
            raise ValueError(f"more than {MAX_TIMESTAMP_BYTES} bytes")
        return parse_utc(data.decode("utf-8").strip()), None
    except Exception as e:
        return None, (f"timestamp.txt is not a time ({type(e).__name__}: {printable(str(e))[:80]}): graded as "
                      "handed in without one (no late penalty applied)")


def handed_in(coursedir, assignment, student, max_file, max_total, drop=(), max_files=1000):
    """({file name: bytes}, [problems]) of what `student` handed in: the plain files of their
    submission folder, but those in `drop`, each at most `max_file` bytes and all at most `max_total`,
    at most `max_files` of them (a file past any is left out, with a problem: the class command never
    holds more), notebooks counted first."""
    folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    files, problems, total, over = {}, [], 0, 0
    # notebooks first, then timestamp.txt: the caps leave out a learner's other files before them
    for p in sorted(folder.iterdir(), key=lambda p: (p.suffix != ".ipynb", p.name != "timestamp.txt", p.name)):
        if not p.is_file() or p.is_symlink() or p.name in drop:
            continue
        if len(files) >= max_files:
            over += 1
            continue
        size = p.stat().st_size
        name = printable(os.fsencode(p.name).decode("utf-8", "replace"))
        if size > max_file or total + size > max_total:
            problems.append(f"{name} ({size / 1e6:.0f} MB) was left out: a learner's file may hold at most "
                            f"{max_file / 1e6:.0f} MB, all of them {max_total / 1e6:.0f} MB")
            continue
        try:
            p.name.encode("utf-8")
        except UnicodeError:
            problems.append(f"{name} was left out: its name is not UTF-8")
            continue
        files[p.name] = p.read_bytes()
        total += size
    if over:
        problems.append(f"{over:,} files were left out: a learner may hand in at most {max_files:,} files")
    return files, problems


def state_path(app, assignment, student):
    return app.root_path / ".grading-state" / assignment / f"{student}.json"


# ----------------------------------------------------------------------------- the one writer

def file_report(coursedir, report, shared, timestamp):
    """Write one learner's report into the course: autograded/<student>/<assignment>/ replaced by the
    report's files, and the gradebook's submission (handed in at `timestamp`, or None) made by
    nbgrader's own preprocessors from the graded notebooks, as `nbgrader autograde` makes it.
    Returns problems of the filing itself."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
    from sqlalchemy.exc import SAWarning
    assignment, student = report.assignment, report.student
    dest = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    install(report.files, dest)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb, warnings.catch_warnings():
        # (nbgrader's add_submission trips SQLAlchemy's autoflush warnings, harmlessly, as in nbgrader autograde)
        warnings.simplefilter("ignore", category=SAWarning)
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
    for name in shared.notebooks:
        nb = nbformat.reads(report.files[f"{name}.ipynb"].decode(), as_version=4)
        resources = {"nbgrader": dict(notebook=name, assignment=assignment, student=student,
                                      db_url=coursedir.db_url)}
        for step in (SaveAutoGrades(), AssignLatePenalties(config=coursedir.config)):
            nb, resources = step.preprocess(nb, resources)
    problems = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for name, expected in report.scores.items():
            filed = {g.name: [g.auto_score, g.max_score]
                     for g in gb.find_submission_notebook(name, assignment, student).grades}
            if filed != expected:
                problems.append(f"the gradebook's scores of {name} differ from the grading's: {filed} != {expected}")
    return problems


def file_record(coursedir, report, notebooks, course, digest):
    """The record behind the score just filed (grader/report.py), also written as the last cell of
    each graded notebook, where the learner's feedback shows it in one line."""
    from nbgrader.api import Gradebook
    assignment, student = report.assignment, report.student
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        score, max_score = submission.score, submission.max_score
    record = class_report.learner_record(course, digest, report, score, max_score)
    dest = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    files = {f"{name}.ipynb": (dest / f"{name}.ipynb").read_bytes() for name in notebooks
             if (dest / f"{name}.ipynb").is_file()}
    for path, data in class_report.stamp(files, notebooks, record).items():
        (dest / path).write_bytes(data)
    return record


def install(files, dest):
    """Replace the folder `dest` with `files` ({relative path: bytes})."""
    import shutil
    tmp = dest.parent / f".{dest.name}.new"
    shutil.rmtree(tmp, ignore_errors=True)
    for name, data in files.items():
        target = (tmp / name).resolve()
        if not str(target).startswith(str(tmp.resolve()) + os.sep):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    tmp.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


# ----------------------------------------------------------------------------- running the tasks

class Local:
    """Tasks on this machine's cores: a thread per task, each on a slot of cores of its own."""

    def __init__(self, app, settings=None):
        self.workers = app.workers
        self.slots = list(range(app.workers))
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(app.workers)
        worker.fork_server()  # (started by grade_class already: it imports nbgrader while this process goes on)

    def describe(self, settings):
        return f"{self.workers} workers x {settings.threads} threads"

    def submit(self, task, shared):
        return self.pool.submit(self._run, task, shared)

    def _run(self, task, shared):
        with self.lock:
            slot = self.slots.pop()
        try:
            return worker.grade_one(task.but(cpus=slot_cpus(slot, self.workers, os.cpu_count() or 1)), shared)
        finally:
            with self.lock:
                self.slots.append(slot)

    def wait(self, futures):
        return wait(futures, return_when=FIRST_COMPLETED).done

    def lost(self):
        pass

    def stop(self):
        worker.stop_all()
        self.pool.shutdown(wait=False, cancel_futures=True)


class Cluster:
    """Tasks on a Dask scheduler's workers."""

    def __init__(self, app, settings):
        from distributed import Client
        self.client = Client(app.scheduler, timeout="30s")
        workers = self.client.scheduler_info().get("workers", {})
        if not workers:
            raise SystemExit(f"grade: the Dask scheduler {app.scheduler} has no workers: start some "
                             f"(`dask worker {app.scheduler}`)")
        missing = self.client.run_on_scheduler(lambda: __import__("importlib.util").util.find_spec("grader") is None)
        if missing:
            raise SystemExit(f"grade: the Dask scheduler {app.scheduler} cannot import the course's grader/ package, "
                             "which it needs to read the tasks: start it in the course root with "
                             "PYTHONPATH=$PWD (see docs/cluster.md)")
        problems = {w: p for w, p in self.client.run(worker.can_grade_here, settings.sandbox).items() if p}
        if problems:
            raise SystemExit("grade: some Dask workers cannot grade:\n" +
                             "\n".join(f"  {w}: {p}" for w, p in sorted(problems.items())))
        self.workers = len(workers)
        services = self.client.scheduler_info().get("services", {})
        self.dashboard = self.client.dashboard_link if "dashboard" in services else None
        self.shared = None

    def describe(self, settings):
        return f"Dask scheduler {self.client.scheduler.address}: {self.workers} workers x {settings.threads} threads"

    def submit(self, task, shared):
        if self.shared is None:
            self.shared = self.client.scatter(shared, broadcast=True, hash=False)
        # one key per learner and submission: a task lost with its worker runs again, never twice at once
        key = f"grade-{shared.assignment}-{task.student}-{(fingerprint(shared, task) or '')[:12]}"
        if task.reason:
            key += "-blank"
        if task.lost:
            key += f"-again{task.lost}"
        return self.client.submit(worker.grade_one, task, self.shared, key=key, pure=False, retries=1)

    def wait(self, futures):
        from distributed import wait as dask_wait
        try:
            return dask_wait(futures, return_when="FIRST_COMPLETED").done
        except CancelledError:  # tasks lost with the data scattered to their workers (all restarted)
            self.lost()
            return {f for f in futures if f.done()}

    def lost(self):
        self.shared = None  # scattered again with the next task

    def stop(self):
        self.client.close()  # the scheduler forgets this client's tasks


def slot_cpus(slot, workers, cores):
    """The cores of worker slot `slot` (as "0-3" or "2"): each its own share, so no learner starves another."""
    if workers >= cores:
        return str(slot % cores)
    first, last = slot * cores // workers, (slot + 1) * cores // workers - 1
    return str(first) if first == last else f"{first}-{last}"


LOST_TRIES = 3  # a task lost with its workers (restarted, their scattered data gone) is sent this many times


def run_tasks(runner, learners, shared, coursedir, notebooks):
    """Yield (learner, report) as each learner's task finishes. At most a window of tasks is out at
    once (twice the workers), each reading its learner's files when it is sent, so that neither this
    process nor the scheduler holds a whole class's submissions. A task that fails as a whole (a
    worker lost again and again, ...) is sent again as the blank copy, with the reason. A task that
    Dask cancels, lost with the data scattered to its workers (all of them restarted), is the
    machine's fault: it is sent again as it was, and after LOST_TRIES losses left ungraded."""
    waiting, pending = deque(learners), {}
    window = max(4, 2 * runner.workers)
    settings = shared.settings
    while waiting or pending:
        while waiting and len(pending) < window:
            task = waiting.popleft()
            timestamp, late = submission_time(coursedir, shared.assignment, task.student)
            files, notes = handed_in(coursedir, shared.assignment, task.student, settings.max_file_bytes,
                                     settings.max_learner_bytes, drop={"timestamp.txt"} if late else (),
                                     max_files=settings.max_learner_files)
            sent = task.but(files=files, notes=tuple([late, *notes] if late else notes), timestamp=timestamp)
            pending[runner.submit(sent, shared)] = sent
        for future in runner.wait(list(pending)):
            task = pending.pop(future)
            try:
                report = future.result()
            except CancelledError as e:  # lost with its workers and the data they held: the machine's fault
                runner.lost()
                tries = task.lost + 1
                if tries < LOST_TRIES:
                    waiting.appendleft(task.but(lost=tries, files={}))
                    continue
                report = Report.not_graded(task.student, shared.assignment, notebooks,
                                           f"its task was lost with its workers {tries} times ({type(e).__name__})")
            except Exception as e:
                if not task.reason:
                    reason = f"grading failed on its worker ({type(e).__name__}: {str(e)[:200]})"
                    waiting.appendleft(task.but(reason=reason, files={}))
                    continue
                report = Report.not_graded(task.student, shared.assignment, notebooks,
                                           f"{task.reason}; the blank copy failed too ({type(e).__name__})")
            yield task, report


# ----------------------------------------------------------------------------- the class

def grade_class(app):
    import tempfile

    from nbgrader.api import Gradebook, MissingEntry
    from tqdm import tqdm

    from .sandbox import sandbox_problem
    start = time.monotonic()
    assignment = app.extra_args[0]
    app.workers = max(1, app.workers or os.cpu_count() or 1)
    coursedir = load_course(app)
    if not app.scheduler:  # the fork server imports what grading needs while this process reads the class
        worker.fork_server(optimizers=judge_makes_optimizers(
            Path(coursedir.format_path(coursedir.source_directory, ".", assignment))))
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            entry = gb.find_assignment(assignment)
            notebooks = sorted(nb.name for nb in entry.notebooks)
            duedate = str(entry.duedate)
    except MissingEntry:
        app.exit_with(f"the gradebook has no assignment {assignment!r}: run `./course run nbgrader generate_assignment {assignment}` first")
    submitted = app.root_path / coursedir.submitted_directory
    students = app.students or sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    missing = [s for s in students if not (submitted / s / assignment).is_dir()]
    if missing:
        app.exit_with(f"no submission of {assignment} for {', '.join(missing)} in {submitted}")
    if not students:
        print(f"grade: nothing to grade: no folder {submitted}/<student>/{assignment}/")
        return 0
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        shared = read_shared(app, coursedir, assignment, notebooks, duedate, tmp)
    if not app.scheduler and shared.settings.sandbox and sandbox_problem():
        app.exit_with(sandbox_problem())
    runner = Cluster(app, shared.settings) if app.scheduler else Local(app)
    # what every score's record shares (grader/report.py): commit, clean, secret's fingerprint, lock, settings
    course_record = class_report.course_record(app.root_path, shared)
    learners, skipped, results, prints = [], [], {}, {}
    for student in students:
        try:
            extension = None
            with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
                extension = gb.find_submission(assignment, student).extension
        except MissingEntry:
            pass
        try:
            task = Task(student, digest=files_digest(coursedir, assignment, student), extension=str(extension))
        except Exception:  # unreadable: graded, never skipped
            task = Task(student)
        prints[student] = fingerprint(shared, task)
        state = state_path(app, assignment, student)
        kept = json.loads(state.read_text()) if state.exists() else {}
        graded = (app.root_path / coursedir.autograded_directory / student / assignment).is_dir()
        if prints[student] and kept.get("fingerprint") == prints[student] and graded and not app.regrade:
            skipped.append(student)
            results[student] = kept.get("problems", {})
        else:
            learners.append(task)
    print(f"grade: {assignment}: {len(learners)} learners, {runner.describe(shared.settings)}, "
          f"cells stop after {shared.settings.timeout} s" + (
              f"; {len(skipped)} already graded and unchanged, skipped (--regrade grades them again)" if skipped else ""),
          flush=True)
    if getattr(runner, "dashboard", None):
        print(f"grade: Dask dashboard: {runner.dashboard}", flush=True)
    ungraded, problem_lines, done_count = [], 0, 0
    bar = tqdm(total=len(learners), unit="learner", file=sys.stderr, disable=None, desc=assignment)
    summary = open(app.report, "w") if app.report else None
    try:
        for task, report in run_tasks(runner, learners, shared, coursedir, notebooks):
            student = report.student
            if report.graded:
                try:
                    filing = file_report(coursedir, report, shared, task.timestamp)
                    record = file_record(coursedir, report, notebooks, course_record, task.digest)
                    report = report.but(problems={n: [*report.problems.get(n, []), *filing] for n in
                                                  dict.fromkeys([*report.problems, *notebooks])}, record=record)
                except Exception as e:  # this learner stays ungraded; the class goes on
                    report = Report.not_graded(student, assignment, notebooks, "writing the grades failed "
                                               f"({type(e).__name__}: {printable(str(e))[:200]})",
                                               seconds=report.seconds, cell_seconds=report.cell_seconds,
                                               host=report.host)
            if report.graded:
                state = state_path(app, assignment, student)
                state.parent.mkdir(parents=True, exist_ok=True)
                state.write_text(json.dumps(dict(fingerprint=prints[student], seconds=report.seconds,
                                                 host=report.host, problems=report.problems, record=report.record)))
            else:
                ungraded.append(student)
            results[student] = report.problems
            if summary:
                summary.write(json.dumps(report.summary()) + "\n")
                summary.flush()
            done_count += 1
            problem_lines += sum(1 for found in report.problems.values() if found)
            bar.update(1)
            bar.set_postfix(problems=problem_lines)
            flag = "; problems: see below" if any(report.problems.values()) else ""
            tqdm.write(f"[{done_count}/{len(learners)}] {student}: {report.seconds:.1f} s "
                       f"({report.cell_seconds:.1f} s in cells{flag}); PROBLEM lines so far: {problem_lines}",
                       file=sys.stdout)
            sys.stdout.flush()
    except KeyboardInterrupt:
        runner.stop()
        print(f"\ngrade: stopped: {done_count} of {len(learners)} learners graded and kept; run the same command "
              f"again{' without --regrade' if app.regrade else ''} to grade the rest", flush=True)
        return 130
    finally:
        bar.close()
        if summary:
            summary.close()
    runner.stop()
    elapsed = time.monotonic() - start
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        print(f"\n{'learner':<24}{'score':>8}{'max':>6}")
        for student in students:
            if student in ungraded:
                print(f"{student:<24}{'-':>8}{'':>6}  not graded (see below)")
                continue
            submission = gb.find_submission(assignment, student)
            print(f"{student:<24}{submission.score:>8g}{submission.max_score:>6g}")
    lines = [f"PROBLEM {student}/{name}.ipynb: " + printable("; ".join(found))
             for student in students if student in results for name, found in sorted(results[student].items()) if found]
    print("\n" + "\n".join(lines) if lines else "\nno problems found")
    graded_now = len(learners)
    each = f"{elapsed / graded_now:.1f} s each, " if graded_now else ""
    print(f"\ngrade: {graded_now} learners in {elapsed:.1f} s ({each}{runner.workers} workers); "
          f"{len(lines)} notebooks with problems")
    try:
        page = class_report.write(app.root_path, assignment, ungraded, results)
        print(f"grade: class report: {page} (and report.csv beside it)")
    except (Exception, SystemExit) as e:  # the grades are filed: the report can be written again from them
        print(f"grade: the class report could not be written ({type(e).__name__}: {printable(str(e))[:200]}): "
              f"run `./course run python -m grader.report {assignment}`")
    if ungraded:
        where = "on the Dask workers" if app.scheduler else "on this machine"
        command = " ".join(["./course grade", *(a for a in sys.argv[1:] if a != "--regrade")]) if sys.argv[1:] \
            else f"./course grade {assignment}"
        print(f"grade: {len(ungraded)} learners could not be graded {where} (see NOT GRADED above): run `{command}` "
              "again: it grades them, and skips the learners graded and unchanged")
        return 3
    return 0


def main(argv=None):
    app = ClassGrading()
    app.initialize(argv)
    return grade_class(app)


if __name__ == "__main__":
    sys.exit(main())
