"""Grading a whole class with `./course grade` (grader/grade.py): every hostile and broken
submission of tests/kit/fixtures.py graded in one run with honest learners, in parallel. The run
completes, the honest scores are those of serial `nbgrader autograde`, the gradebook stays
consistent, no submitted file changes, and each problem is named to the instructor and the
learner. Then the same on a PostgreSQL gradebook, and a re-grade that changes nothing."""
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from grader import grade as class_grade, report as class_report, worker
from grader.course import ROOT
from grader.sandbox import sandbox_problem
from grader.staging import stage_submission
from kit.browser import chromium
from kit.course_tools import cell_scores, feedback_text, nbgrader, scratch_course
from kit.fixtures import ASSIGNMENT, HONEST, HOSTILE, NOTEBOOK, hand_in, notebook
from kit.report_tools import assert_csv_matches_gradebook, assert_page_matches_gradebook, records, report_csv

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))]

CELL_TIMEOUT = 10  # seconds: short, so that the cells that never end cost little
MEMORY = 3_000_000_000  # bytes per kernel: the memory hog meets it soon
CHEATS = [name for name in HOSTILE if name.startswith(("patches-", "equals-"))] + ["edited-tests"]


def grade(course, *args):
    """`./course grade` as `python -m grader.grade` (the environment is this one); returns its output."""
    cmd = [sys.executable, "-m", "grader.grade", ASSIGNMENT, "--timeout", str(CELL_TIMEOUT), "--memory", str(MEMORY),
           "--ReadLearnerCode.checked_code_only=False", *args]  # every cell runs whole: the guards are what is tested
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"grade failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout


def fingerprint(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def problem_lines(output):
    return {m.group(1): m.group(2) for m in re.finditer(r"^PROBLEM ([^/\n]+)/[^:\n]+: (.*)$", output, re.M)}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """A course with every honest and hostile learner handed in, graded by 2 workers, with feedback."""
    course = scratch_course(tmp_path_factory.mktemp("class"), [ASSIGNMENT])
    for name, build in HONEST.items():
        hand_in(course, name, build(course))
    for name, (build, _) in HOSTILE.items():
        hand_in(course, name, build(course))
    submitted = fingerprint(course / "submitted")
    output = grade(course, "--workers", "2")
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    students = [*HONEST, *HOSTILE]
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, students)
    return dict(course=course, output=output, scores=scores, submitted=submitted)


@pytest.fixture(scope="module")
def honest_alone(tmp_path_factory):
    """The honest learners alone, graded by plain serial `nbgrader autograde`."""
    course = scratch_course(tmp_path_factory.mktemp("alone"), [ASSIGNMENT])
    for name, build in HONEST.items():
        hand_in(course, name, build(course))
    nbgrader("autograde", ASSIGNMENT, cwd=course)
    return cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, list(HONEST))


def test_one_grading_secret_in_the_course_root(hostile_class):
    """Made once by ./course grade, before its workers start: every learner, and every re-grade,
    draws the checks' inputs from it."""
    secret = hostile_class["course"] / ".grading_secret"
    assert secret.is_file() and secret.stat().st_mode & 0o777 == 0o600
    assert not list((hostile_class["course"] / "submitted").rglob(".grading_secret"))


def test_every_learner_graded(hostile_class):
    for student in [*HONEST, *HOSTILE]:
        assert re.search(rf"^{re.escape(student)}\s+\d", hostile_class["output"], re.M), f"no score for {student}"


def test_honest_scores_as_serial_nbgrader_alone(hostile_class, honest_alone):
    assert honest_alone["honest-full"]["test_mse_loss_basic"][0] == 1  # the comparison means something
    for student in HONEST:
        assert hostile_class["scores"][student] == honest_alone[student], student


def test_submitted_files_unchanged(hostile_class):
    assert fingerprint(hostile_class["course"] / "submitted") == hostile_class["submitted"]


def test_gradebook_consistent(hostile_class):
    course = hostile_class["course"]
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    release_cells = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, ["honest-full"])["honest-full"]
    for student, cells in hostile_class["scores"].items():
        assert cells.keys() == release_cells.keys(), f"{student}: grades missing or extra"
        for grade_id, (score, max_score, needs_manual) in cells.items():
            assert 0 <= score <= max_score, (student, grade_id)
            if grade_id.startswith("test_"):
                assert not needs_manual, (student, grade_id)


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_instructor_line(hostile_class, student):
    lines = problem_lines(hostile_class["output"])
    phrase = HOSTILE[student][1]
    assert student in lines, f"no PROBLEM line for {student}"
    assert phrase in lines[student], f"{student}: {lines[student]!r} does not say {phrase!r}"
    assert len(re.findall(rf"^PROBLEM {re.escape(student)}/{NOTEBOOK}:", hostile_class["output"], re.M)) == 1


def test_no_problem_for_honest_learners(hostile_class):
    assert not set(HONEST) & set(problem_lines(hostile_class["output"]))


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_learner_feedback_says_what_happened(hostile_class, student):
    text = feedback_text(hostile_class["course"], student, ASSIGNMENT)
    assert "Grader's note" in text and HOSTILE[student][1] in text


@pytest.mark.parametrize("student", CHEATS)
def test_cheats_earn_nothing(hostile_class, student):
    tests = {g: s for g, s in hostile_class["scores"][student].items() if g.startswith("test_")}
    assert sum(score for score, _, _ in tests.values()) == 0, tests


def test_code_cannot_reach_the_course(hostile_class):
    course = hostile_class["course"]
    with sqlite3.connect(course / "gradebook.db") as db:  # the gradebook the learner tried to overwrite
        assert db.execute("SELECT COUNT(*) FROM student").fetchone()[0] == len(HONEST) + len(HOSTILE)
    lines = problem_lines(hostile_class["output"])
    assert "No such file or directory" in lines["reads-course"]  # the course folder is not there at all
    assert "No such file or directory" in lines["writes-course"]
    assert hostile_class["scores"]["honest-full"]["test_l1_loss_basic"][0] == 1


def _running(text):
    """Whether a process whose command line holds `text` is running."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                return True
        except OSError:  # it ended meanwhile
            pass
    return False


def _descendants(pid):
    """The pids of every process below `pid` now (from /proc's parent ids)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _alive(pid):
    """Whether `pid` runs (a zombie, waiting for its parent to read its exit, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_stuck_grading_is_killed_with_its_kernel(tmp_path, monkeypatch):
    """A learner's grading process that runs past its deadline is killed, its kernel with it."""
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # the fork server sets it; put back after the test
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    hand_in(course, "sleeps", HOSTILE["sleeps"][0](course))
    app = class_grade.ClassGrading()
    app.initialize([ASSIGNMENT, f"--root={course}", "--timeout=600", f"--memory={MEMORY}", "--workers=1",
                    "--ReadLearnerCode.checked_code_only=False"])
    coursedir = class_grade.load_course(app)
    shared = class_grade.read_shared(app, coursedir, ASSIGNMENT, [Path(NOTEBOOK).stem], "None", tmp_path)
    stage = tmp_path / "stage"
    worker._write_course(stage, shared)
    stage_submission(class_grade.handed_in(coursedir, ASSIGNMENT, "sleeps", 10**9, 10**9)[0], shared.release,
                     stage / "submitted" / "sleeps" / ASSIGNMENT)
    argv = worker.autograde_argv(shared, "sleeps")
    config = worker.autograde_config(shared, stage, tmp_path)
    started = time.monotonic()
    rc, log, _ = worker._autograde(argv, config, stage, deadline=15)
    assert rc is None and time.monotonic() - started < 30, f"not stopped at its deadline (exit code {rc}):\n{log}"
    kernel = re.search(r"kernel started: (\S+)", log)  # the grader logs the kernel's connection file
    assert kernel, f"the kernel never started, so this tests nothing:\n{log}"
    gone = time.monotonic() + 10
    while _running(kernel.group(1)) and time.monotonic() < gone:
        time.sleep(0.2)
    assert not _running(kernel.group(1)), "the kernel outlived its killed grading process"


def test_regrade_gives_the_same_scores(hostile_class, tmp_path):
    """Grading again, one worker this time, changes no score, nor any field of the scores' records
    but the time (and the host, the same machine here); the --report lines carry the new records."""
    course = hostile_class["course"]
    again = ["honest-full", "honest-partial", "os-exit", "patches-quietly", "not-json", "deleted-tests"]
    before = records(course, ASSIGNMENT, again)
    lines = tmp_path / "report.jsonl"
    output = grade(course, "--workers", "1", "--regrade", "--report", str(lines),
                   *[a for s in again for a in ("--student", s)])
    assert f"grade: {ASSIGNMENT}: {len(again)} learners" in output
    assert cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, again) == \
        {s: hostile_class["scores"][s] for s in again}
    after = records(course, ASSIGNMENT, again)
    for student in again:
        assert before[student] and after[student]["time"] >= before[student]["time"], student
        same = lambda record: {k: v for k, v in record.items() if k not in ("time", "host")}  # noqa: E731
        assert same(after[student]) == same(before[student]), student
        assert after[student]["score"] == sum(s for s, _, _ in hostile_class["scores"][student].values())
    sent = {line["student"]: line for line in map(json.loads, lines.read_text().splitlines())}
    assert {s: sent[s]["record"] for s in again} == after


# ----------------------------------------------------------------------------- the class report

def test_class_report_matches_the_gradebook(hostile_class):
    """./course grade wrote reports/<assignment>/: every number of its CSV is the gradebook's, every
    learner with a PROBLEM line is listed with it, every learner has their seconds and the record
    behind their score, and the slips name the honest learner's mistake."""
    course = hostile_class["course"]
    assert "grade: class report: " in hostile_class["output"]
    tables = assert_csv_matches_gradebook(course, ASSIGNMENT)
    learners = tables["learner"]
    assert set(learners) == set(HONEST) | set(HOSTILE)
    for student, line in problem_lines(hostile_class["output"]).items():
        assert line[:100] in learners[student]["problems"], student
    for student in HONEST:
        assert learners[student]["problems"] == "", student
    for student, row in learners.items():
        assert float(row["seconds"]) > 0, student
        record = json.loads(row["record"])
        assert record["files"] and record["lock"] and record["secret"] and record["settings"], student
        assert record["score"] == float(row["score"]) and record["commit"] is None  # (the scratch course is no git checkout)
    secret = (course / ".grading_secret").read_text().strip()
    assert secret not in (course / "reports" / ASSIGNMENT / "report.csv").read_text()
    assert secret not in (course / "reports" / ASSIGNMENT / "report.html").read_text()
    slips = tables["slip"]
    mean = next(slip for text, slip in slips.items() if "then take the mean (not the sum)" in text)
    assert "honest-partial" in mean["who"].split() and int(mean["count"]) == len(mean["who"].split())
    assert not any("honest-full" in slip["who"].split() for slip in slips.values())
    # (the class runs every cell whole, ReadLearnerCode.checked_code_only off: the tampering runs, and no check counts)
    tampered = {s for s, line in problem_lines(hostile_class["output"]).items() if "changes what the tests rely on" in line}
    assert tampered and not any(tampered & set(slip["who"].split()) for slip in slips.values())  # no check ran for them


def test_every_score_has_its_record_in_the_feedback_and_the_export(hostile_class):
    course = hostile_class["course"]
    kept = records(course, ASSIGNMENT, [*HONEST, *HOSTILE])
    shown = ["honest-full", "honest-partial", "not-json", "os-exit"]
    nbgrader("generate_feedback", ASSIGNMENT, "--force", cwd=course)
    for student in shown:  # (feedback made again: a test above may have graded them again since)
        assert f"Grading record: {class_report.record_line(kept[student])}" in \
            feedback_text(course, student, ASSIGNMENT), student
    nbgrader("export", cwd=course)
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for student, record in kept.items():
        assert rows[student]["grading_record"] == class_report.record_line(record), student


def test_class_report_on_demand_is_the_same(hostile_class, tmp_path):
    """`python -m grader.report ASSIGNMENT` writes the report again from the gradebook: the same CSV."""
    course = hostile_class["course"]
    proc = subprocess.run([sys.executable, "-m", "grader.report", ASSIGNMENT, "--out", str(tmp_path)], cwd=course,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report.csv").read_text() == (course / "reports" / ASSIGNMENT / "report.csv").read_text()


def test_a_broken_check_is_flagged(tmp_path):
    """A course whose question check expects a wrong letter: the learners strong elsewhere fail it, the
    weak pass it, and the report flags it as likely broken (and it alone); each record names the
    course's commit, clean."""
    course = scratch_course(tmp_path / "course", [])
    shutil.copytree(ROOT / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    source = course / "source" / ASSIGNMENT / NOTEBOOK
    text = source.read_text()
    assert text.count('assert answer_loss_purpose == \\"b\\"') == 1
    source.write_text(text.replace('assert answer_loss_purpose == \\"b\\"', 'assert answer_loss_purpose == \\"a\\"'))
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    git = ["git", "-C", str(course), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", *class_report.GRADING_FILES], check=True)
    subprocess.run([*git, "commit", "-qm", "the course"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    strong = {"strong-1": HONEST["honest-full"](course), "strong-2": notebook(course)}
    weak = {"weak-1": HONEST["honest-partial"](course), "weak-2": notebook(course, {
        "mse_loss_solution": "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n",
        "l1_loss_solution": "def l1_loss(pred, target):\n    return (pred - target).abs().sum()\n",
        "question_loss_purpose_answer": 'answer_loss_purpose = "a"\n'})}
    for name, files in {**strong, **weak}.items():
        hand_in(course, name, files)
    grade(course, "--workers", "2")
    tables = assert_csv_matches_gradebook(course, ASSIGNMENT)
    broken = {name for name, row in tables["check"].items() if "likely broken" in row["flags"]}
    assert broken == {"test_question_loss_purpose"}, broken
    assert float(tables["check"]["test_question_loss_purpose"]["upper_lower"]) == -1
    assert "test_question_loss_purpose (strong learners fail it" in \
        (course / "reports" / ASSIGNMENT / "report.html").read_text()
    for student, record in records(course, ASSIGNMENT, [*strong, *weak]).items():
        assert record["commit"] == head and record["clean"] is True, (student, record)


def test_class_report_page_in_a_browser(hostile_class, tmp_path):
    """The report page, rendered by headless Chromium: self-contained (its images inlined), and its
    tables show the gradebook's numbers."""
    course = hostile_class["course"]
    page = course / "reports" / ASSIGNMENT / "report.html"
    soup = BeautifulSoup(page.read_text(), "html.parser")
    images = [img["src"] for img in soup.find_all("img")]
    assert len(images) == 2 and all(src.startswith("data:image/png;base64,") for src in images)
    assert not soup.find_all(["link", "script", "iframe"]) and "http" not in page.read_text()
    dom = chromium(page, "--dump-dom", profile=tmp_path / "profile")
    assert_page_matches_gradebook(dom, f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
    shot = tmp_path / "report.png"
    chromium(page, "--window-size=1200,2400", f"--screenshot={shot}", profile=tmp_path / "profile")
    assert shot.stat().st_size > 50_000, "the screenshot is (nearly) blank"


def test_run_again_grades_only_what_changed(hostile_class):
    """Run again, the command grades nobody who is graded and unchanged since (as after Ctrl-C),
    prints their scores and problems as before, and grades again a learner who handed in again."""
    course = hostile_class["course"]
    students = ["honest-full", "honest-partial", "not-json"]
    args = [a for s in students for a in ("--student", s)]
    output = grade(course, "--workers", "1", *args)
    assert f"grade: {ASSIGNMENT}: 0 learners" in output and "3 already graded and unchanged, skipped" in output
    assert problem_lines(output).keys() == {"not-json"}
    handed_in = course / "submitted" / "honest-partial" / ASSIGNMENT / NOTEBOOK
    before = handed_in.read_bytes()
    try:
        handed_in.write_bytes(HONEST["honest-full"](course)[NOTEBOOK])
        output = grade(course, "--workers", "1", *args)
        assert f"grade: {ASSIGNMENT}: 1 learners" in output and re.search(r"^\[1/1\] honest-partial:", output, re.M)
        full = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, ["honest-partial"])["honest-partial"]
        assert full == hostile_class["scores"]["honest-full"]
    finally:
        handed_in.write_bytes(before)
        grade(course, "--workers", "1", "--student", "honest-partial")
    assert cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, ["honest-partial"])["honest-partial"] == \
        hostile_class["scores"]["honest-partial"]


def test_ctrl_c_then_again_finishes_the_class(tmp_path, honest_alone):
    """Ctrl-C stops the command at once (its grading processes with it), keeps the learners graded so
    far, and the same command run again grades only the rest: the class complete, scores unchanged."""
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    learners = {f"{name}-{i}": build for i in (1, 2) for name, build in HONEST.items()}
    for name, build in learners.items():
        hand_in(course, name, build(course))
    cmd = [sys.executable, "-m", "grader.grade", ASSIGNMENT, "--timeout", str(CELL_TIMEOUT), "--memory", str(MEMORY),
           "--ReadLearnerCode.checked_code_only=False", "--workers", "1"]  # as grade() runs it, but for the workers
    # (Ctrl-C's signal as a terminal sends it, even where this run's launcher ignores it: bash ignores SIGINT for a
    # command it starts in the background, and Python then leaves it ignored)
    proc = subprocess.Popen(cmd, cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = ""
    while not first.startswith("[1/"):
        first = proc.stdout.readline()
        assert first or proc.poll() is None, "grading ended before its first learner"
    started = _descendants(proc.pid)  # the fork server, a grading process, its kernel's processes
    assert len(started) >= 3, started
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    kept = re.search(r"grade: stopped: (\d+) of 6 learners graded and kept", out)
    assert kept and 1 <= int(kept.group(1)) < 6, out
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in started if _alive(pid)], "a grading process or kernel outlived Ctrl-C"
    output = grade(course, "--workers", "2")
    assert f"{kept.group(1)} already graded and unchanged, skipped" in output
    assert f"grade: {ASSIGNMENT}: {6 - int(kept.group(1))} learners" in output
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, list(learners))
    assert scores == {name: honest_alone[name.rsplit("-", 1)[0]] for name in learners}


def test_a_task_that_keeps_failing_is_graded_as_the_blank_copy(tmp_path, monkeypatch, capsys):
    """A learner's task that fails as a whole on its worker (here: every time, but for the blank
    copy) is graded as the blank student copy, with a PROBLEM line saying why: never lost, never skipped."""
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # the fork server sets it; put back after the test
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    hand_in(course, "honest-full", HONEST["honest-full"](course))
    real = worker.grade_one

    def fails(task, shared):
        if not task.reason:
            raise OSError("the worker's disk is full")
        return real(task, shared)

    monkeypatch.setattr(worker, "grade_one", fails)
    assert class_grade.main([ASSIGNMENT, f"--root={course}", "--workers=1", f"--timeout={CELL_TIMEOUT}"]) == 0
    output = capsys.readouterr().out
    assert (f"PROBLEM honest-full/{NOTEBOOK}: grading failed on its worker (OSError: the worker's disk is full)"
            in output), output
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, ["honest-full"])["honest-full"]
    assert scores and all(score == 0 for score, _, _ in scores.values()), scores
    assert "blank student copy was graded in its place" in feedback_text_of_graded(course, "honest-full")


def test_no_learners_files_stop_the_class_or_fill_the_machine(tmp_path, honest_alone):
    """Files no class command should trip on (found by the red team): a name that is not UTF-8, a
    timestamp.txt that is not a time, a file past the size cap, many cells each under the per-cell
    output cap. The run completes, each is named, the honest learner's score is untouched."""
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.GuardedExecute.notebook_output_limit = 3_000_000\n")
    hand_in(course, "aaa-bytes", HONEST["honest-full"](course))
    os.close(os.open(os.fsencode(course / "submitted" / "aaa-bytes" / ASSIGNMENT) + b"/notes-\xff.txt", os.O_CREAT | os.O_WRONLY))
    folder = hand_in(course, "aab-timestamp", HONEST["honest-full"](course))
    (folder / "timestamp.txt").write_text("not a date\n")
    folder = hand_in(course, "aac-big", HONEST["honest-full"](course))
    (folder / "data.bin").write_bytes(b"x" * 3_000_000)
    many = "display({'text/plain': 'A' * 900_000}, raw=True)\n"
    hand_in(course, "aad-outputs", {NOTEBOOK: nbformat.writes(_with_cells(course, [many] * 8)).encode()})
    # the red team on Dask: 3 MB of empty objects took a worker past 2.8 GB and 60 s, and crashed the
    # class when its memory was capped; 2 MB of digits in timestamp.txt held the command 200 s (it grows
    # as the square); 50,000 files held nbgrader for minutes
    bloated = nbformat.reads(HONEST["honest-full"](course)[NOTEBOOK].decode(), as_version=4)
    bloated.metadata["x"] = [{}] * 500_000  # 1.5 MB, under the 2 MB cap of this test
    hand_in(course, "aae-bloat", {NOTEBOOK: json.dumps(bloated, separators=(",", ":")).encode()})
    folder = hand_in(course, "aaf-long-timestamp", HONEST["honest-full"](course))
    (folder / "timestamp.txt").write_text("1" * 2_000_000)
    hand_in(course, "aag-files", {**HONEST["honest-full"](course), **{f"a{i:04}.txt": b"" for i in range(1005)},
                                  "a.bin": b"x" * 1_990_000})  # before the notebook by name; with it, past 2 MB
    hand_in(course, "honest-full", HONEST["honest-full"](course))
    output = grade(course, "--workers", "2", "--ClassGrading.max_file_bytes=2000000",
                   "--ClassGrading.max_learner_bytes=2000000")
    lines = problem_lines(output)
    assert "its name is not UTF-8" in lines["aaa-bytes"]
    assert "timestamp.txt is not a time" in lines["aab-timestamp"]
    assert "data.bin (3 MB) was left out" in lines["aac-big"]
    assert "MB of output" in lines["aad-outputs"]
    assert "JSON objects and lists" in lines["aae-bloat"]
    assert "timestamp.txt is not a time (ValueError: more than 100 bytes)" in lines["aaf-long-timestamp"]
    assert "7 files were left out: a learner may hand in at most 1,000 files" in lines["aag-files"]
    assert "a.bin (2 MB) was left out" in lines["aag-files"]
    graded = course / "autograded" / "aad-outputs" / ASSIGNMENT / NOTEBOOK
    assert graded.stat().st_size < 4_000_000
    names = ["honest-full", "aaa-bytes", "aab-timestamp", "aaf-long-timestamp", "aag-files"]
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, names + ["aae-bloat"])
    assert all(score == 0 for score, _, _ in scores.pop("aae-bloat").values())
    assert scores == {s: honest_alone["honest-full"] for s in names}


def _with_cells(course, sources):
    """The reference solution with cells of the learner's own, `sources`, added at the end."""
    from nbformat.v4 import new_code_cell
    nb = nbformat.reads(HONEST["honest-full"](course)[NOTEBOOK].decode(), as_version=4)
    nb.cells += [new_code_cell(source) for source in sources]
    return nb


def test_a_full_disk_is_the_machines_fault(tmp_path, monkeypatch, capsys):
    """A learner's staging that fails for the machine (a full disk) leaves them ungraded, to grade
    again, never a 0 that the next run would keep."""
    from grader import staging
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    course = scratch_course(tmp_path / "course", [ASSIGNMENT])
    hand_in(course, "honest-full", HONEST["honest-full"](course))

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(staging, "stage_submission", full)
    assert class_grade.main([ASSIGNMENT, f"--root={course}", "--workers=1"]) == 3
    output = capsys.readouterr().out
    assert "NOT GRADED: staging failed (OSError" in output and "not graded" in output
    assert not (course / ".grading-state" / ASSIGNMENT / "honest-full.json").exists()
    row = report_csv(course, ASSIGNMENT)["learner"]["honest-full"]  # the class report says so too
    assert row["graded"] == "False" and "NOT GRADED: staging failed (OSError" in row["problems"] and not row["score"]


def feedback_text_of_graded(course, learner):
    """The grader's note on top of the learner's graded notebook."""
    nb = nbformat.read(course / "autograded" / learner / ASSIGNMENT / NOTEBOOK, as_version=4)
    return nb.cells[0].source


# ----------------------------------------------------------------------------- PostgreSQL

def _postgres_bin(name):
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    return str(found) if found else None


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A PostgreSQL server of its own on 127.0.0.1, with a password; yields a db_url for a new database."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (./course installs it with apt-get where it can: package postgresql)")
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is missing from the environment")
    # (not under pytest's own temporary folder, which only root may enter)
    data = Path(tempfile.mkdtemp(prefix="course-pg-")) / "data"
    (data.parent / "pw").write_text("grader-secret\n")
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        for path in (data.parent, data.parent / "pw"):
            shutil.chown(path, "postgres")
    run = subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
                          f"--pwfile={data.parent / 'pw'}"], capture_output=True, text=True)
    assert run.returncode == 0, f"initdb failed:\n{run.stdout}\n{run.stderr}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(data.parent / "log"), "-o",
                    f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data.parent}", "start"],
                   check=True, capture_output=True)
    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", password="grader-secret", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute("CREATE DATABASE gradebook")
        conn.close()
        yield f"postgresql+psycopg2://postgres:grader-secret@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data.parent, ignore_errors=True)


POSTGRES_CLASS = ["honest-full", "honest-partial", "honest-blank", "os-exit", "patches-quietly", "not-json",
                  "writes-course", "deleted-tests"]


def test_postgres_gradebook_same_scores(tmp_path, postgres, hostile_class):
    """Every command of the README on a PostgreSQL gradebook, grading in parallel: the same scores."""
    course = scratch_course(tmp_path / "pg", [])
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    shutil.copytree(hostile_class["course"] / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    for name in POSTGRES_CLASS:
        build = HONEST[name] if name in HONEST else HOSTILE[name][0]
        hand_in(course, name, build(course))
    output = grade(course, "--workers", "2")
    assert not (course / "gradebook.db").exists()
    assert cell_scores(postgres, ASSIGNMENT, POSTGRES_CLASS) == {s: hostile_class["scores"][s] for s in POSTGRES_CLASS}
    assert problem_lines(output).keys() == set(POSTGRES_CLASS) - set(HONEST)
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    assert HOSTILE["os-exit"][1] in feedback_text(course, "os-exit", ASSIGNMENT)
    export = nbgrader("export", cwd=course)
    assert export.returncode == 0 and "honest-full" in (course / "grades.csv").read_text()


# ----------------------------------------------------------------------------- feedback in a browser

def test_feedback_page_in_a_browser(hostile_class, tmp_path):
    """The learner's feedback page, rendered by headless Chromium: the screenshot shows the total
    score and each test's score (read back with OCR), and the page has the visible tests' messages."""
    if not shutil.which("tesseract"):
        pytest.skip("no Tesseract OCR (./course installs it with apt-get where it can: package tesseract-ocr)")
    learner = "honest-partial"
    page = hostile_class["course"] / "feedback" / learner / ASSIGNMENT / f"{ASSIGNMENT}.html"
    shot = tmp_path / "feedback.png"
    chromium(page, "--force-device-scale-factor=2", "--window-size=1000,1100", f"--screenshot={shot}",
             profile=tmp_path / "profile")
    assert shot.stat().st_size > 50_000, "the screenshot is (nearly) blank"
    text = subprocess.run(["tesseract", str(shot), "-"], capture_output=True, text=True, check=True).stdout
    scores = hostile_class["scores"][learner]
    total = sum(s for s, _, _ in scores.values())
    assert re.search(rf"{ASSIGNMENT.replace('_', '[_ ]')} \(Score: {total:.1f} / 22\.0\)", text), text  # (OCR may read _ as a space)
    shown = [(float(a), float(b)) for a, b in re.findall(r"\(Score: (\d+\.\d) / (\d+\.\d)\)", text)][1:]
    order = [c.metadata.nbgrader.grade_id for c in nbformat.read(page.parents[3] / "release" / ASSIGNMENT / NOTEBOOK, 4).cells
             if c.metadata.get("nbgrader", {}).get("points")]
    assert shown == [scores[g][:2] for g in order], f"the screenshot shows {shown}"
    assert any(s < m for s, m in shown) and any(s == m for s, m in shown)  # failed and passed tests alike
    dom = BeautifulSoup(chromium(page, "--dump-dom", profile=tmp_path / "profile"), "html.parser").get_text()
    assert "Square each difference, then take the mean" in dom  # a visible test's message to the learner
