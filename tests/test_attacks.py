"""The red team's attacks (tests/kit/attacks.py) graded with `./course grade`, one class per
assignment beside honest learners (and, for attacks on the run itself, each beside one honest
learner in a run of its own): no attack earns more than it did honestly, shows what it must not
(hidden tests, solutions, files outside its sandbox, a marker it prints only when it got through),
runs code on the grader's machine, prints to the instructor what it must not, stops the run or is
left ungraded, or changes an honest learner's score; the grader's own processes stay small."""
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.course import ROOT, nbgrader, scratch_course
from grader.sandbox import sandbox_problem
from kit import attacks
from kit.course_tools import cell_scores, page_text, secret_lines
from kit.fixtures import HONEST

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

ASSIGNMENTS = sorted({a["assignment"] for a in attacks.ATTACKS.values()})
MEMORY = 2_500_000_000
# What the honest learners score (the class-grading tests check these against serial nbgrader).
HONEST_SCORES = {"honest-full": 20, "honest-partial": 17, "honest-blank": 0, "honest-opt": 16, "honest-recipes": 14}


def hand_in(course, student, assignment, files):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC\n")


class Monitor(threading.Thread):
    """Samples, while grade.py runs: the largest RSS of a grader process (uid 0, not a kernel), the
    total RSS of the grader processes, the largest grading log file, and the host's /dev/shm use."""

    def __init__(self, root_pid):
        super().__init__(daemon=True)
        self.root_pid, self.stop = root_pid, False
        self.max_rss, self.max_rss_cmd, self.max_total, self.max_log, self.max_shm = 0, "", 0, 0, 0

    def run(self):
        while not self.stop:
            try:
                self.sample()
            except Exception:
                pass
            time.sleep(0.3)

    def sample(self):
        parents, info = {}, {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":", 1) for line in f if ":" in line)
                parents[int(pid)] = int(status["PPid"])
                info[int(pid)] = (int(status["Uid"].split()[0]), int(status.get("VmRSS", "0 kB").split()[0]) * 1024)
            except (OSError, KeyError, ValueError):
                pass
        family = {self.root_pid}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in family and pid not in family:
                    family.add(pid)
                    changed = True
        total = 0
        for pid in family:
            uid, rss = info.get(pid, (None, 0))
            if uid == 0:
                total += rss
                if rss > self.max_rss:
                    self.max_rss = rss
                    try:
                        self.max_rss_cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")[:120].decode()
                    except OSError:
                        pass
        self.max_total = max(self.max_total, total)
        for f in Path("/tmp").glob("course-grade-log-*"):
            try:
                self.max_log = max(self.max_log, f.stat().st_size)
            except OSError:
                pass
        st = os.statvfs("/dev/shm")
        self.max_shm = max(self.max_shm, (st.f_blocks - st.f_bfree) * st.f_frsize)


def grade(course, assignment, students, label, out):
    """`./course grade` for `students`, watched: its exit code, output, and the largest grader process and log."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [sys.executable, "-m", "grader.grade", assignment, "--workers", "2", "--timeout", "10", "--memory", str(MEMORY),
           "--ReadLearnerCode.checked_code_only=False"]  # every cell runs whole: the guards are what is tested
    for s in students:
        cmd += ["--student", s]
    with open(out / f"{label}.stdout", "w") as so, open(out / f"{label}.stderr", "w") as se:
        proc = subprocess.Popen(cmd, cwd=course, env=env, stdout=so, stderr=se)
        monitor = Monitor(proc.pid)
        monitor.start()
        rc = proc.wait(timeout=3600)
        monitor.stop = True
        monitor.join()
    text = (out / f"{label}.stdout").read_text(errors="replace")
    return dict(rc=rc, text=text, students=students, stderr=(out / f"{label}.stderr").read_text(errors="replace"),
                rss_mb=monitor.max_rss >> 20, log_mb=monitor.max_log >> 20)


def outputs_text(path):
    """Everything of a graded notebook but its sources (which hold the hidden tests, for the instructor)."""
    nb = nbformat.read(path, as_version=4)
    parts = [json.dumps(nb.metadata, ensure_ascii=False)]
    for cell in nb.cells:
        parts.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))
        if cell.cell_type == "code":
            parts.append(json.dumps(cell.get("outputs", []), ensure_ascii=False))
            for out in cell.get("outputs", []):
                parts.append(str(out.get("text", "")))
                parts += [v if isinstance(v, str) else json.dumps(v) for v in out.get("data", {}).values()]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("attacked"), ASSIGNMENTS)
    out = tmp_path_factory.mktemp("runs")
    honest = {name: ("loss_functions", build(course)) for name, build in HONEST.items()}
    honest["honest-opt"] = ("optimizers", attacks.notebook("optimizers", course))
    honest["honest-recipes"] = ("training_recipes", attacks.notebook("training_recipes", course))
    for name, (assignment, files) in honest.items():
        hand_in(course, name, assignment, files)
    for name, attack in attacks.ATTACKS.items():
        if attack.get("host_file"):
            Path(attack["host_file"]).unlink(missing_ok=True)
        hand_in(course, name, attack["assignment"], attack["build"](course))
    runs = {}
    for assignment in ASSIGNMENTS:
        main = [n for n, a in attacks.ATTACKS.items() if a["assignment"] == assignment and a.get("round") != "alone"]
        main += [n for n, (a, _) in honest.items() if a == assignment]
        run = grade(course, assignment, main, f"{assignment}-main", out)
        runs.update({n: run for n in main})
        for n, a in attacks.ATTACKS.items():
            if a["assignment"] == assignment and a.get("round") == "alone":
                runs[n] = grade(course, assignment, [n, "honest-full"], f"{assignment}-alone-{n}", out)
        nbgrader("generate_feedback", assignment, "--force", cwd=course, check=False)
    scores = {}
    for name in [*attacks.ATTACKS, *honest]:
        assignment = attacks.ATTACKS[name]["assignment"] if name in attacks.ATTACKS else honest[name][0]
        found = cell_scores(f"sqlite:///{course / 'gradebook.db'}", assignment, [name]).get(name, {})
        scores[name] = sum(s or 0 for s, _, _ in found.values()) if found else None
    return dict(course=course, runs=runs, scores=scores)


def test_at_least_40_attacks_in_every_class():
    classes = {}
    for attack in attacks.ATTACKS.values():
        classes.setdefault(attack["cls"], []).append(attack)
    assert len(attacks.ATTACKS) >= 40 and all(len(v) >= 3 for v in classes.values()), {k: len(v) for k, v in classes.items()}


@pytest.mark.slow  # (every test of the attacked class: it is graded in a scratch course)
def test_honest_learners_keep_their_scores(attacked):
    assert {n: attacked["scores"][n] for n in HONEST_SCORES} == HONEST_SCORES


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(attacks.ATTACKS))
def test_attack_earns_and_shows_nothing(attacked, name):
    attack, course = attacks.ATTACKS[name], attacked["course"]
    assignment, run = attack["assignment"], attacked["runs"][name]
    score = attacked["scores"][name]
    assert score is not None, f"{name} was not graded"
    assert score <= attack["max_score"], f"{name} scored {score}, at most {attack['max_score']} honestly"
    graded = course / "autograded" / name / assignment / f"{assignment}.ipynb"
    page = course / "feedback" / name / assignment / f"{assignment}.html"
    assert graded.exists() and page.exists(), f"{name}: no graded notebook or no feedback page"
    raw = page.read_text(errors="replace")
    texts = [outputs_text(graded), raw, page_text(raw)]
    shown = [s for s in attack["must_not_show"] if any(s in t for t in texts)]
    assert not shown, f"{name} shows {shown}"
    live = [s for s in attack.get("must_not_be_live", []) if s in raw]
    assert not live, f"{name} puts live markup in the feedback page: {live}"
    assert not re.search(rf"^{re.escape(name)}\s+-\s+not graded", run["text"], re.M), f"{name} left ungraded"
    assert not [s for s in attack.get("must_not_print", []) if s in run["text"]], f"{name}: printed to the instructor"
    if attack.get("host_file"):
        assert not Path(attack["host_file"]).exists(), f"{name} ran code on the grader's machine"
    if len(run["students"]) <= 2:  # a run of its own: the run and the grader's resources are its
        assert run["rc"] == 0, f"{name}: grade.py exited with {run['rc']}:\n{run['stderr'][-2000:]}"
        limits = attack.get("limits", {})
        assert run["rss_mb"] <= limits.get("grader_rss_mb", 1 << 30), f"{name}: a grader process reached {run['rss_mb']} MB"
        assert run["log_mb"] <= limits.get("log_mb", 1 << 30), f"{name}: the grading log reached {run['log_mb']} MB"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_run_completes(attacked, assignment):
    runs = [r for n, r in attacked["runs"].items() if attacks.ATTACKS.get(n, {}).get("assignment", "") == assignment]
    assert runs and all(r["rc"] == 0 for r in runs), [r["stderr"][-1000:] for r in runs if r["rc"]]


def test_the_hidden_markers_are_hidden():
    """The lines the leak attacks must not show are hidden-test lines, in no cell a learner sees."""
    for assignment, markers in [("loss_functions", attacks.HIDDEN_LOSS), ("optimizers", attacks.HIDDEN_OPT),
                                ("mnist_classifier", attacks.HIDDEN_MNIST), ("training_recipes", attacks.HIDDEN_RECIPES)]:
        nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        secrets = secret_lines(nb)
        for marker in markers:
            assert any(marker in line for line in secrets), f"{marker!r} is not a hidden line of {assignment}"
