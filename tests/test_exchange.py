"""nbgrader's exchange end to end on one machine, as on a JupyterHub: the instructor releases
loss_functions into a shared exchange root; two learners, each with a home folder and a
~/.jupyter/nbgrader_config.py of their own, fetch it, work and submit (one of them twice); the
instructor collects, grades with `./course grade` (grader/grade.py), generates and releases
feedback; each learner fetches their own. And `./course lab` makes the course-local exchange
that the Formgrader's Release and Collect need."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.course import nbgrader, scratch_course
from grader.sandbox import sandbox_problem
from kit.course_tools import cell_scores, filled_student_copy
from mistakes import mistakes

pytestmark = pytest.mark.slow

ASSIGNMENT = "loss_functions"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = "pytorch-loss-course"
# Each learner's submissions in order, as the solution cells replaced by a common mistake
# (tests/mistakes/loss_functions.py): ada first hands in a mistake, then the reference solution.
MISTAKES = mistakes(ASSIGNMENT).MISTAKES
SUBMISSIONS = {"ada": [MISTAKES["naive"][0], {}],
               "grace": [MISTAKES["sumsquares"][0]]}
GRACE_LOSES = MISTAKES["sumsquares"][1]
# What a learner's nbgrader needs: the README's JupyterHub recipe puts it in /etc/jupyter/nbgrader_config.py.
LEARNER_CONFIG = 'c = get_config()\nc.CourseDirectory.course_id = "{course_id}"\nc.Exchange.root = "{root}"\n'
BIN = Path(sys.executable).parent


def as_learner(name, home, *args):
    """`nbgrader ARGS` run by learner `name` in their home folder, with their own Jupyter config,
    data and nbgrader cache (all under HOME), none of the instructor's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "XDG_"))}
    env.update(HOME=str(home), USER=name, LOGNAME=name, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=home, env=env, text=True, capture_output=True, timeout=600)
    assert proc.returncode == 0, f"{name}: nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def submissions_cached(home):
    """The learner's own record of each submission (nbgrader's cache): {timestamp: notebook text}."""
    cache = Path(home) / ".local/share/jupyter/nbgrader_cache" / COURSE_ID
    return {(d / "timestamp.txt").read_text(): (d / NOTEBOOK).read_text() for d in cache.glob(f"*+{ASSIGNMENT}+*")}


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    top = tmp_path_factory.mktemp("exchange")
    exchange = top / "srv" / "nbgrader" / "exchange"
    exchange.mkdir(parents=True)
    exchange.chmod(0o777)  # nbgrader's docs: readable and writable by every user
    course = scratch_course(top / "instructor" / "course", [ASSIGNMENT])
    with open(course / "nbgrader_config.py", "a") as config:  # the README's one setting for a shared exchange
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
        if sandbox_problem():  # the exchange is tested here, not the sandbox: these notebooks are trusted
            config.write("c.GuardedExecute.sandbox = False\n")
    nbgrader("release_assignment", ASSIGNMENT, cwd=course)

    homes, fetched = {}, {}
    for name in SUBMISSIONS:
        home = homes[name] = top / "home" / name
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(LEARNER_CONFIG.format(course_id=COURSE_ID, root=exchange))
        as_learner(name, home, "fetch_assignment", ASSIGNMENT)
        fetched[name] = (home / ASSIGNMENT / NOTEBOOK).read_text()
    handed_in = {}
    for name, answers in SUBMISSIONS.items():
        for replacements in answers:
            nb = filled_student_copy(ASSIGNMENT, NOTEBOOK, course, replacements)
            nbformat.write(nb, homes[name] / ASSIGNMENT / NOTEBOOK)
            # nbgrader names a submission after the OS account that runs it (on a JupyterHub, the
            # learner's login); here every learner is this one account, so the name is given.
            as_learner(name, homes[name], "submit", ASSIGNMENT, f"--student={name}")
        handed_in[name] = (homes[name] / ASSIGNMENT / NOTEBOOK).read_text()

    nbgrader("collect", ASSIGNMENT, cwd=course)
    proc = subprocess.run([sys.executable, "-m", "grader.grade", ASSIGNMENT], cwd=course, text=True,
                          capture_output=True, timeout=900)
    assert proc.returncode == 0, f"grade failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    nbgrader("release_feedback", ASSIGNMENT, cwd=course)
    for name, home in homes.items():
        as_learner(name, home, "fetch_feedback", ASSIGNMENT)
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, list(SUBMISSIONS))
    return dict(course=course, exchange=exchange, homes=homes, fetched=fetched, handed_in=handed_in, scores=scores)


def collected(course, name, filename=NOTEBOOK):
    return (course / "submitted" / name / ASSIGNMENT / filename).read_text()


def feedback_folder(round_trip, name):
    return round_trip["homes"][name] / ASSIGNMENT / "feedback"


def test_each_learner_fetches_the_student_copy(round_trip):
    release = (round_trip["course"] / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    for name in SUBMISSIONS:
        assert round_trip["fetched"][name] == release, f"{name} fetched something else than release/"


def test_collect_takes_each_learners_latest_submission(round_trip):
    course = round_trip["course"]
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(SUBMISSIONS)
    for name, answers in SUBMISSIONS.items():
        cached = submissions_cached(round_trip["homes"][name])
        assert len(cached) == len(answers), f"{name}: {len(answers)} submissions made, {len(cached)} recorded"
        latest = max(cached)
        assert collected(course, name, "timestamp.txt") == latest
        assert collected(course, name) == cached[latest] == round_trip["handed_in"][name]
    assert len(set(submissions_cached(round_trip["homes"]["ada"]).values())) == 2  # ada's two differ


def test_full_solution_gets_full_marks_and_a_mistake_loses_exactly_its_points(round_trip):
    scores = round_trip["scores"]
    auto = {name: {g: s for g, s in cells.items() if g.startswith("test_")} for name, cells in scores.items()}
    assert GRACE_LOSES <= set(auto["grace"])
    for grade_id, (score, max_score, _) in auto["ada"].items():
        assert score == max_score > 0, f"ada's latest submission (the reference) lost points on {grade_id}"
    for grade_id, (score, max_score, _) in auto["grace"].items():
        assert score == (0 if grade_id in GRACE_LOSES else max_score), f"grace, {grade_id}"
    lost = sum(m - s for s, m, _ in auto["grace"].values())
    assert lost == sum(auto["grace"][g][1] for g in GRACE_LOSES) > 0


def test_feedback_reaches_each_learner_under_the_submissions_timestamp(round_trip):
    course = round_trip["course"]
    for name in SUBMISSIONS:
        timestamp = collected(course, name, "timestamp.txt")
        folder = feedback_folder(round_trip, name)
        # nbgrader's layout: <assignment>/feedback/<timestamp>/<notebook>.html. Only the graded
        # submission has feedback: ada's first one gets none.
        assert sorted(p.name for p in folder.iterdir()) == [timestamp], name
        assert sorted(p.name for p in (folder / timestamp).iterdir()) == [f"{ASSIGNMENT}.html"], name
        mine = (course / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert (folder / timestamp / f"{ASSIGNMENT}.html").read_text() == mine, f"{name} got other feedback than theirs"


def test_no_learner_gets_anothers_feedback(round_trip):
    course = round_trip["course"]
    ada, grace = ((course / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text() for name in ("ada", "grace"))
    assert ada != grace
    # Released feedback is named by a hash of each submission's secret, which only its author's
    # nbgrader cache holds: claiming the other's name fetches nothing more.
    as_learner("grace", round_trip["homes"]["grace"], "fetch_feedback", ASSIGNMENT, "--student=ada")
    pages = [p.read_text() for p in feedback_folder(round_trip, "grace").rglob("*.html")]
    assert pages == [grace]


def test_lab_makes_the_course_local_exchange_the_formgrader_needs(tmp_path):
    course = scratch_course(tmp_path / "course", [])
    lab = subprocess.run(["bash", "course", "lab", "--version"], cwd=course, text=True, capture_output=True, timeout=600)
    assert lab.returncode == 0, lab.stderr
    root = course / "exchange"
    assert stat.S_IMODE(root.stat().st_mode) == 0o777, "nbgrader's exchange must be writable by every user"
    # What the Formgrader asks before it offers Release and Collect (nbgrader's NbGraderAPI).
    check = ("from nbgrader.apps import NbGrader, NbGraderAPI\napp = NbGrader()\napp.load_config_file()\n"
             "api = NbGraderAPI(config=app.config)\nprint(api.exchange_root, api.exchange_missing, api.course_id)")
    api = subprocess.run([sys.executable, "-c", check], cwd=course, text=True, capture_output=True, timeout=300)
    assert api.stdout.split() == [str(root), "False", COURSE_ID], api.stderr


def test_lab_says_why_when_the_exchange_cannot_be_made(tmp_path):
    course = scratch_course(tmp_path / "course", [])
    impossible = course / "README.md" / "exchange"  # under a file: cannot be made, even by root
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(impossible)!r}\n")
    lab = subprocess.run(["bash", "course", "lab", "--version"], cwd=course, text=True, capture_output=True, timeout=600)
    assert lab.returncode == 0, "the lab opens all the same"
    assert f"nbgrader's exchange {impossible} does not exist and cannot be made" in lab.stderr
    assert "Release and Collect" in lab.stderr and "c.Exchange.root" in lab.stderr
