"""Autograde every collected submission of an assignment, in parallel, whatever the learners handed in.

    ./course grade ASSIGNMENT [--workers N] [--student ID ...] [--timeout S] [--memory BYTES]

Run it in the course root (where nbgrader_config.py is), after `nbgrader generate_assignment` and
`nbgrader collect`/`zip_collect`. Each learner is graded by `nbgrader autograde ASSIGNMENT
--student ID` in a process of its own, N at a time (default: one per core), each with its share
of the cores as its thread count (a fresh fork of a server that has nbgrader imported already,
which saves seconds a learner). The scores are nbgrader's own, the same as serial grading, and
land in the gradebook that nbgrader_config.py names (SQLite by default, or `db_url`).

Before nbgrader sees a submission, a copy of it is checked and mended in a private staging
folder (the learner's file in submitted/ is never changed):
- a notebook that is empty, not JSON, or not a notebook, or that is missing or misnamed, is
  graded as the blank student copy (0 points), with a note that says why;
- a test or solution cell that the learner deleted is put back from the student copy (a test
  cell the learner edited is restored by nbgrader itself); the note says which.
The kernel runs in tools/grading.py's sandbox with its guards. What went wrong is written on top of
the graded notebook, so the learner's feedback (`nbgrader generate_feedback`) says it, and here
as one line per learner and notebook. A learner whose grading fails or hangs as a whole is graded
as the blank copy, with the reason.
"""
import argparse
import json
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import re
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path


# What a grading process imports (2.5 s, most of it jsonschema's IRI grammar): imported once, by
# multiprocessing's fork server, which forks each learner's grading process from itself.
PRELOAD = ["nbgrader.apps.autogradeapp", "nbgrader.preprocessors", "nbgrader.api", "nbclient", "nbconvert",
           "jupyter_client.manager", "IPython.core.inputtransformer2", "sqlalchemy", "torch", "numpy"]


def start_forkserver():
    """The fork server, importing PRELOAD while the caller goes on (`ready` waits for it). Each
    learner's grading process is then a fresh fork of it, a process of its own, without the imports."""
    os.environ["PYTHONHASHSEED"] = "0"  # the server's, so every grading process's, hash order
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    # The server and its helper keep no output of their own (the grading processes write to their
    # logs), nor this process's: whoever reads it sees its end when this process ends.
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
    return context


def ready(context):
    """Wait until the fork server has imported nbgrader (a one-off cost, not the first learner's)."""
    process = context.Process(target=int)
    process.start()
    process.join()
    return context


if __name__ == "__main__":
    start_forkserver()  # it imports nbgrader while this process does the same below

import nbformat  # noqa: E402
from nbgrader.api import Gradebook, MissingEntry  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
from traitlets.config.loader import PyFileConfigLoader  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import grading  # noqa: E402

GRACE = 120  # seconds a learner's grading may take beyond its cells' time limits (kernel starts, writing)


def load_course(root):
    """nbgrader's CourseDirectory and the Execute time limit, as nbgrader_config.py sets them."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(root)
    timeout = config.get("Execute", {}).get("timeout", 30)
    return coursedir, timeout


def with_busy_timeout(db_url):
    """SQLite answers 'database is locked' after 5 s of another writer; workers wait longer."""
    if db_url.startswith("sqlite:///") and "?" not in db_url:
        return db_url + "?timeout=120"
    return db_url


# ----------------------------------------------------------------------------- staging

def read_notebook(path):
    """(notebook, None) or (None, what is wrong with the file)."""
    data = path.read_bytes()
    if not data.strip():
        return None, f"{path.name} is an empty file ({len(data)} bytes)"
    try:
        json.loads(data)
    except UnicodeDecodeError:
        return None, f"{path.name} is not a text file"
    except ValueError as e:
        return None, f"{path.name} is not a valid notebook (not JSON: {e})"
    except RecursionError:
        return None, f"{path.name} is not a valid notebook (its JSON is nested too deeply to read)"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat's own errors, and anything its validator trips on
        return None, f"{path.name} is not a valid notebook ({(str(e).splitlines() or [type(e).__name__])[0][:120]})"
    return nb, None


def mend(nb, release):
    """Put back, from the student copy `release`, the nbgrader metadata of every cell (a learner
    cannot change what a cell is worth or whether it is a test) and every nbgrader cell the learner
    deleted. Returns the problems, as sentences for the learner and the instructor."""
    edited, deleted = [], {}
    problems = _restore_metadata(nb, release)
    present = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    insert_at = 0
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in present:
            insert_at = nb.cells.index(present[grade_id]) + 1
            if grading._test_cell(cell) and present[grade_id].source.strip() != cell.source.strip():
                edited.append(grade_id)
            continue
        kind = "test" if grading._test_cell(cell) else "solution" if cell.metadata.nbgrader.get("solution") else "locked"
        nb.cells.insert(insert_at, nbformat.from_dict(cell))
        insert_at += 1
        deleted.setdefault(kind, []).append(grade_id)
    problems += [f"{_cells('test', edited)} edited; the original test ran instead"] if edited else []
    for kind, ids in deleted.items():
        problems.append(f"{_cells(kind, ids)} deleted; the original was put back"
                        + (" (blank, so it scores 0)" if kind == "solution" else ""))
    return problems


def printable(text):
    """`text` without control characters (a learner's error message may hold terminal escapes)."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text)


def _restore_metadata(nb, release):
    """Each cell's nbgrader metadata as the student copy has it: a cell whose grade_id the student
    copy has gets that cell's metadata (and type); any other nbgrader metadata, malformed or not,
    and a second cell claiming the same grade_id, lose it and become plain cells."""
    originals = {c.metadata["nbgrader"]["grade_id"]: c for c in release.cells if "grade_id" in c.metadata.get("nbgrader", {})}
    seen, changed = set(), 0
    for cell in nb.cells:  # only the grader writes its note
        cell.metadata.pop(grading.NOTE_KEY, None)
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        original = originals.get(grade_id) if isinstance(grade_id, str) else None
        if original is None or grade_id in seen:
            del cell.metadata["nbgrader"]
            changed += 1
            continue
        seen.add(grade_id)
        if meta != original.metadata["nbgrader"] or cell.cell_type != original.cell_type:
            changed += 1
            if cell.cell_type != original.cell_type:
                nb.cells[i] = cell = nbformat.from_dict(original)
            cell.metadata["nbgrader"] = nbformat.from_dict(original.metadata["nbgrader"])
    return [f"the grading metadata of {changed} cell{'s' if changed != 1 else ''} had been changed; "
            "the student copy's was put back"] if changed else []


def _cells(kind, ids):
    """"test cell 'a' was", "test cells 'a', 'b' and 'c' were", "test cells 'a', 'b', 'c' and 13 more were"."""
    quoted = [f"'{i}'" for i in ids]
    if len(quoted) == 1:
        return f"{kind} cell {quoted[0]} was"
    shown = ", ".join(quoted[:3]) + (f" and {len(quoted) - 3} more" if len(quoted) > 3 else "")
    if len(quoted) <= 3:
        shown = ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
    return f"{kind} cells {shown} were"


def stage_learner(coursedir, assignment, student, notebooks, stage):
    """A course root in `stage` holding only this learner's mended submission.
    Returns {notebook: [problems]}."""
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    dest = stage / "submitted" / student / assignment
    dest.mkdir(parents=True)
    for f in source.rglob("*") if source.is_dir() else []:
        if f.is_file() and f.suffix != ".ipynb":  # the assignment's own files; nbgrader copies them in
            target = stage / "source" / assignment / f.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
    handed_in = sorted(p for p in submitted.iterdir() if p.is_file() and not p.is_symlink())
    for f in handed_in:
        if f.suffix != ".ipynb":
            shutil.copy(f, dest / f.name)  # timestamp.txt and the learner's own files
    extra = [f.name for f in handed_in if f.suffix == ".ipynb" and f.stem not in notebooks]
    problems = {}
    for name in notebooks:
        path = submitted / f"{name}.ipynb"
        blank = nbformat.read(release / f"{name}.ipynb", as_version=4)
        if path.is_symlink() or not path.exists():
            why = f"no {name}.ipynb was handed in" + (
                f" (found {', '.join(extra)}: a wrong name? rename it to {name}.ipynb and grade again)" if extra else "")
            nb, found = None, [why]
        else:
            nb, why = read_notebook(path)
            found = [why] if why else mend(nb, blank)
        if nb is None:
            nb = blank
            found[0] += "; the blank student copy was graded in its place, so every test scores 0"
        if found:
            grading.add_note(nb, found)
        nbformat.write(nb, dest / f"{name}.ipynb")
        problems[name] = found
    return problems


# ----------------------------------------------------------------------------- one learner

def autograde_argv(coursedir, assignment, student, stage, db_url, timeout, secret_file):
    """`nbgrader autograde`'s arguments for one learner, graded in the staging course root, with
    the course's grading secret (nbgrader runs the preprocessors in the staging folder)."""
    return [assignment, "--student", student, "--force",
            f"--CourseDirectory.root={stage}", f"--CourseDirectory.db_url={db_url}",
            f"--CourseDirectory.course_id={coursedir.course_id}", f"--Execute.timeout={timeout}",
            f"--GuardedExecute.secret_file={secret_file}"]


def autograde_process(argv, cwd, env, log):
    """One learner's grading process: `nbgrader autograde ARGV` run in `cwd` with environment
    `env`, its output appended to the file `log`, in a process group of its own."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    import torch  # the checks run here (tools/judge.py), on this learner's share of the cores
    torch.set_num_threads(int(env.get("OMP_NUM_THREADS", "1")))
    from nbgrader.apps.autogradeapp import AutogradeApp
    AutogradeApp.launch_instance(argv=argv)  # exits with nbgrader's code (multiprocessing: 0 when it returns)


def run_worker(context, argv, cwd, env, deadline):
    """Run autograde_process; kill its process group past `deadline` seconds.
    Returns (exit code, or None when killed; log text)."""
    with tempfile.NamedTemporaryFile("w+", prefix="course-grade-log-") as log:
        proc = context.Process(target=autograde_process, args=(argv, str(cwd), env, log.name))
        proc.start()
        proc.join(deadline)
        rc = proc.exitcode
        if rc is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:  # not yet in a group of its own
                proc.kill()
            proc.join()
        log.seek(0)
        return rc, log.read()


def failure_reason(rc, log, deadline):
    if rc is None:
        return f"grading took longer than {deadline:.0f} s as a whole and was stopped"
    errors = [line.strip() for line in log.splitlines() if re.match(r"\s*[\w.]*(Error|Exception)\w*: ", line)]
    return "grading failed" + (f": {errors[-1][:200]}" if errors else f" (exit code {rc})")


def grade_learner(coursedir, assignment, student, notebooks, options, base):
    """Stage, autograde and file one learner, on a CPU slot of its own. Returns (student, {notebook:
    [problems]}, seconds, cell seconds, graded): graded is False when the machine, not the learner,
    kept it from being graded (no kernel could start); nothing is then written for the learner."""
    slot = options.slots.get()
    try:
        return _grade_learner(coursedir, assignment, student, notebooks, options, base, slot)
    finally:
        options.slots.put(slot)


def slot_cpus(slot, workers, cores):
    """The cores of worker slot `slot` (as "0-3" or "2"): each its own share, so no learner starves another."""
    if workers >= cores:
        return str(slot % cores)
    first, last = slot * cores // workers, (slot + 1) * cores // workers - 1
    return str(first) if first == last else f"{first}-{last}"


def _grade_learner(coursedir, assignment, student, notebooks, options, base, slot):
    start = time.monotonic()
    stage = base / student
    try:
        problems = stage_learner(coursedir, assignment, student, notebooks, stage)
    except Exception as e:  # whatever the learner handed in, it stays this learner's problem
        shutil.rmtree(stage, ignore_errors=True)
        problems = stage_blank(coursedir, assignment, student, notebooks, stage,
                               f"the grader could not read this submission ({type(e).__name__}: {str(e)[:120]})")
    report = stage / "report.jsonl"
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS=str(options.threads),
               MKL_NUM_THREADS=str(options.threads), OPENBLAS_NUM_THREADS=str(options.threads),
               **{grading.REPORT_ENV: str(report), grading.HIDE_ENV: str(base),
                  grading.MEMORY_ENV: str(options.memory)})
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # nbgrader runs alembic
    # the deadline comes from the student copy: a learner cannot buy time by handing in more cells
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    code_cells = sum(1 for name in notebooks for c in nbformat.read(release / f"{name}.ipynb", 4).cells
                     if c.cell_type == "code")
    deadline = code_cells * (options.timeout + 15) + GRACE
    argv = autograde_argv(coursedir, assignment, student, stage, options.db_url, options.timeout, options.secret_file)
    argv += [f"--SandboxedKernelManager.memory={options.memory}",
             f"--SandboxedKernelManager.cpus={slot_cpus(slot, options.workers, os.cpu_count() or 1)}"]
    rc, log = run_worker(options.context, argv, coursedir.root, env, deadline)
    graded = stage / "autograded" / student / assignment
    entries = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    failures = [e["machine_failure"] for e in entries if "machine_failure" in e]
    if failures:  # the machine's fault: no score, and the instructor grades again
        return student, {n: [f"NOT GRADED: {failures[0]} on this machine; grade this learner again"]
                         for n in notebooks}, time.monotonic() - start, 0.0, False
    if rc != 0 or not all((graded / f"{n}.ipynb").exists() for n in notebooks):
        # Graded as the blank copy instead, so the gradebook and the feedback say what happened.
        reason = failure_reason(rc, log, deadline)
        shutil.rmtree(stage)
        problems = stage_blank(coursedir, assignment, student, notebooks, stage, reason)
        if os.environ.get("COURSE_GRADING_DEBUG"):
            sys.stderr.write(log)
        rc, log = run_worker(options.context, argv, coursedir.root, env, deadline)
        if rc != 0:
            problems = {n: [reason, "grading the blank copy failed too: see the log"] for n in notebooks}
            sys.stderr.write(log)
    entries = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    for entry in entries:
        found = problems.setdefault(entry["notebook"], [])
        found += [p for p in entry.get("problems", []) if p not in found]
    install(graded, Path(coursedir.format_path(coursedir.autograded_directory, student, assignment)))
    cell_seconds = sum(entry.get("cell_seconds", 0.0) for entry in entries)
    return student, problems, time.monotonic() - start, cell_seconds, True


def stage_blank(coursedir, assignment, student, notebooks, stage, reason):
    """Stage this learner with the blank student copy in place of each notebook, noting `reason`."""
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    folder = stage / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name in notebooks:
        blank = nbformat.read(release / f"{name}.ipynb", 4)
        nbformat.write(grading.add_note(blank, [reason + "; the blank student copy was graded in its place, "
                                                "so every test scores 0"]), folder / f"{name}.ipynb")
    return {name: [reason] for name in notebooks}


def install(graded, dest):
    """Replace `dest` with the graded folder: its plain files only (a link the learner's code
    made is not followed)."""
    if not graded.is_dir():
        return
    tmp = dest.parent / f".{dest.name}.new"
    shutil.rmtree(tmp, ignore_errors=True)
    for f in graded.rglob("*"):
        if f.is_file() and not f.is_symlink():
            target = tmp / f.relative_to(graded)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    tmp.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


# ----------------------------------------------------------------------------- the class

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="learners graded at once (default: the number of cores, %(default)s here)")
    parser.add_argument("--student", action="append", help="grade only this learner (repeatable)")
    parser.add_argument("--timeout", type=int, help="seconds a cell may run (default: Execute.timeout)")
    parser.add_argument("--memory", type=int, help="bytes a learner's kernel may allocate "
                        "(default: 3/4 of the memory, shared by the workers)")
    parser.add_argument("--root", default=".", help="the course root (default: here)")
    options = parser.parse_args(argv)
    start = time.monotonic()
    context = start_forkserver()
    root = Path(options.root).resolve()
    if not (root / "nbgrader_config.py").exists():
        parser.error(f"{root} has no nbgrader_config.py: run this in the course root")
    if grading.sandbox_wanted() and grading.sandbox_problem():
        parser.error(grading.sandbox_problem())
    coursedir, timeout = load_course(root)
    options.timeout = options.timeout or timeout
    options.workers = max(1, options.workers)
    options.threads = max(1, (os.cpu_count() or 1) // options.workers)
    options.memory = options.memory or grading.default_memory(options.workers)
    options.db_url = with_busy_timeout(coursedir.db_url)
    # The course's grading secret, in the course root (or where nbgrader_config.py says), made here
    # once before the workers start, so that every learner and every re-grade draws from the same one.
    options.secret_file = str(root / coursedir.config.get("GuardedExecute", {}).get("secret_file", ".grading_secret"))
    grading.read_secret(options.secret_file)
    assignment = options.assignment
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            notebooks = sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
    except MissingEntry:
        parser.error(f"the gradebook has no assignment {assignment!r}: run `nbgrader generate_assignment {assignment}` first")
    submitted = root / coursedir.submitted_directory
    students = options.student or sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    missing = [s for s in students if not (submitted / s / assignment).is_dir()]
    if missing:
        parser.error(f"no submission of {assignment} for {', '.join(missing)} in {submitted}")
    if not students:
        print(f"grade: nothing to grade: no folder {submitted}/<student>/{assignment}/")
        return 0
    print(f"grade: {assignment}: {len(students)} learners, {options.workers} workers x {options.threads} threads, "
          f"cells stop after {options.timeout} s", flush=True)
    options.context = ready(context)
    options.slots = queue.Queue()
    for slot in range(options.workers):
        options.slots.put(slot)
    results, ungraded = {}, []
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp, \
            ThreadPoolExecutor(options.workers) as pool:
        base = Path(tmp)
        futures = [pool.submit(grade_learner, coursedir, assignment, s, notebooks, options, base) for s in students]
        for done, future in enumerate(as_completed(futures), 1):
            student, problems, seconds, cell_seconds, graded = future.result()
            results[student] = problems
            if not graded:
                ungraded.append(student)
            flag = "; problems: see below" if any(problems.values()) else ""
            print(f"[{done}/{len(students)}] {student}: {seconds:.1f} s ({cell_seconds:.1f} s in cells{flag})", flush=True)
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
             for student in students for name, found in sorted(results[student].items()) if found]
    print("\n" + "\n".join(lines) if lines else "\nno problems found")
    print(f"\ngrade: {len(students)} learners in {elapsed:.1f} s ({elapsed / len(students):.1f} s each, "
          f"{options.workers} workers); {len(lines)} notebooks with problems")
    if ungraded:
        print(f"grade: {len(ungraded)} learners could not be graded on this machine: run `./course grade "
              f"{assignment}` again for them (--student ID)")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
