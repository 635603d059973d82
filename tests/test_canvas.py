"""`./course canvas pull|push` (grader/canvas.py) against a Canvas server of the tests' own
(tests/kit/fake_canvas.py): a class pulled into submitted/ exactly as zip_collect files Canvas's zip,
graded (a stub gradebook: the scores ./course grade would write, without kernels), pushed with a
dry run first, pushed again with nothing to change, a grade entered in Canvas left alone; and each
error a user can hit (an expired token, a rate limit, no such course, a token file in the course)
said clearly."""
import filecmp
import shutil
import subprocess
import sys
import warnings
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry

from conftest import ROOT
from grader.canvas import main
from kit.fake_canvas import FakeCanvas

A, COURSE, CANVAS_A, TOKEN = "loss_functions", 101, 9001, "instructor-token"
COURSE_ID = "pytorch-loss-course"


def stub_notebook(score):
    """A notebook handed in, standing for one that ./course grade scores `score` (tests read it back)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"stub score {score}", id="stub")])
    nb.metadata["stub_score"] = score
    return nbformat.writes(nb).encode()


# Canvas user id -> (sortable name, the latest attempt's files [(name, stub score, file id)], late, kind).
# The notebooks' scores say which upload must be graded: the kept one scores, every other one would not.
CLASS = {
    31001: ("Lovelace, Ada", [("loss_functions.ipynb", 10, 5001), ("loss_functions-1.ipynb", 90, 5107)], False,
            "online_upload"),
    31003: ("Turing, Alan", [("Copy of loss_functions.ipynb", 70, 5003)], True, "online_upload"),
    31004: ("de la Cruz, María", [("Copy_of_loss_functions (1)-2.ipynb", 100, 5004)], False, "online_upload"),
    31005: ("Hopper, Grace", [], False, "online_url"),  # a Colab link instead of the file
    31007: ("Curie, Marie", [("loss_functions.pdf", 0, 5007)], False, "online_upload"),
    31008: ("Excused, Ed", [("loss_functions.ipynb", 50, 5008)], False, "online_upload"),
}
SECOND_ATTEMPT = (31002, "Babbage, Charles", [("loss_functions.ipynb", 80, 5002)], [("loss_functions.ipynb", 20, 5108)])
NOTHING = (31006, "Noether, Emmy")  # on the roster, handed nothing in
# What Canvas's Download Submissions zip names these files (lib/content_zipper.rb), for the comparison.
CANVAS_ZIP = {"lovelaceada_31001_5001_loss_functions.ipynb": 10, "lovelaceada_31001_5107_loss_functions-1.ipynb": 90,
              "babbagecharles_31002_5108_loss_functions.ipynb": 20,
              "turingalan_LATE_31003_5003_Copy of loss_functions.ipynb": 70,
              "delacruzmara_31004_5004_Copy_of_loss_functions (1)-2.ipynb": 100,
              "hoppergrace_31005_link.html": None, "curiemarie_31007_5007_loss_functions.pdf": 0,
              "excuseded_31008_5008_loss_functions.ipynb": 50}
GRADED = {"31001": 90, "31002": 20, "31003": 70, "31004": 100, "31008": 50}


def fill(canvas):
    canvas.add_course(COURSE, "Loss functions and optimization")
    canvas.add_assignment(COURSE, CANVAS_A, A, 100)
    canvas.add_assignment(COURSE, 9002, "optimizers", 30)  # another assignment, not touched
    for user_id, (name, files, late, kind) in CLASS.items():
        canvas.add_learner(user_id, name)
        canvas.hand_in(CANVAS_A, user_id, [(f, stub_notebook(s), i) for f, s, i in files], late, kind)
    user_id, name, first, second = SECOND_ATTEMPT
    canvas.add_learner(user_id, name)
    for attempt in (first, second):
        canvas.hand_in(CANVAS_A, user_id, [(f, stub_notebook(s), i) for f, s, i in attempt])
    canvas.add_learner(*NOTHING)
    canvas.set_grade(CANVAS_A, 31008, excused=True)
    return canvas


@pytest.fixture
def canvas():
    with FakeCanvas(TOKEN) as server:
        yield fill(server)


def make_course(path):
    """A course root as an instructor has it, enough for zip_collect and the gradebook."""
    path.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", path)
    (path / "grader").symlink_to(ROOT / "grader")
    shutil.copytree(ROOT / "release" / A, path / "release" / A)
    return path


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """The assignment, one notebook, one 100-point check, no learner (nbgrader makes a new gradebook in
    seconds: made once, copied into each course)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", COURSE_ID) as gb:
        gb.update_or_create_assignment(A)
        gb.add_notebook(A, A)
        gb.add_grade_cell("checks", A, A, max_score=100, cell_type="code")
    return path


@pytest.fixture
def course(tmp_path, monkeypatch, empty_gradebook):
    monkeypatch.setenv("CANVAS_API_TOKEN", TOKEN)
    course = make_course(tmp_path / "course")
    shutil.copy(empty_gradebook, course / "gradebook.db")
    return course


def canvas_cli(course, canvas, *args):
    return main([*args, "--root", str(course), "--url", canvas.url, "--course", str(COURSE),
                 "--CanvasSync.backoff=0"])


def stub_grade(course, learners=None, penalties=None):
    """What ./course grade writes, without kernels, in the course's gradebook (`empty_gradebook`): each
    learner's score read from the stub notebook in submitted/ (so a wrong file pulled is a wrong score),
    and what generate_feedback writes, a feedback page per learner."""
    penalties = penalties or {}
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        folders = sorted((course / "submitted").glob(f"*/{A}")) if learners is None else \
            [course / "submitted" / learner / A for learner in learners]
        for folder in folders:
            learner = folder.parent.name
            score = nbformat.read(folder / f"{A}.ipynb", as_version=4).metadata["stub_score"]
            warnings.simplefilter("ignore")  # nbgrader's add_submission trips SQLAlchemy's autoflush warnings
            gb.update_or_create_student(learner)
            try:
                gb.find_submission(A, learner)
            except MissingEntry:
                gb.add_submission(A, learner)
            grade = gb.find_grade("checks", A, A, learner)
            grade.auto_score, grade.needs_manual_grade = score, False
            gb.find_submission_notebook(A, A, learner).late_submission_penalty = penalties.get(learner)
            gb.db.commit()
            page = course / "feedback" / learner / A / f"{A}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"<html><body>{learner}: {score} points</body></html>")


def puts(canvas):
    return [path for method, path in canvas.requests if method in ("PUT", "POST")]


@pytest.mark.slow
def test_pull_files_the_class_as_zip_collect_files_canvas_zip(canvas, course, tmp_path, capfd):
    assert canvas_cli(course, canvas, "pull", A) == 0
    out = capfd.readouterr()
    text = out.out + out.err
    assert "PROBLEM hoppergrace_31005_link.html: learner 31005 handed in a link entry" in text
    assert "PROBLEM curiemarie_31007_5007_loss_functions.pdf: learner 31007 handed in 'loss_functions.pdf', " \
           "not a notebook" in text
    assert "lovelaceada_31001_5001_loss_functions.ipynb: an older upload of learner 31001" in text
    # the same class through Canvas's zip and the README's zip_collect: the same files in submitted/
    other = make_course(tmp_path / "by-zip")
    (other / "downloaded" / A / "archive").mkdir(parents=True)
    with zipfile.ZipFile(other / "downloaded" / A / "archive" / "submissions.zip", "w") as zipped:
        for name, score in CANVAS_ZIP.items():
            zipped.writestr(name, b"" if score is None else stub_notebook(score))
    subprocess.run([sys.executable, "-m", "nbgrader", "zip_collect", A], cwd=other, check=True, capture_output=True)
    pulled = sorted(str(p.relative_to(course)) for p in (course / "submitted").rglob("*") if p.is_file())
    zipped = sorted(str(p.relative_to(other)) for p in (other / "submitted").rglob("*") if p.is_file())
    assert pulled == zipped == [f"submitted/{learner}/{A}/{A}.ipynb" for learner in sorted(GRADED)]
    for path in pulled:
        assert filecmp.cmp(course / path, other / path, shallow=False), path
    for learner, score in GRADED.items():
        assert nbformat.read(course / "submitted" / learner / A / f"{A}.ipynb", as_version=4).metadata.stub_score == score
    # a second pull is refused unless told, as zip_collect is; with --force it collects again
    assert canvas_cli(course, canvas, "pull", A) == 1
    assert "holds an earlier collection: run again with --force" in capfd.readouterr().err
    canvas.hand_in(CANVAS_A, 31006, [("loss_functions.ipynb", stub_notebook(40), 5200)])
    canvas.files[5007]["_deleted"] = True  # deleted in Canvas between the listing and the download
    assert canvas_cli(course, canvas, "pull", A, "--force") == 0
    assert "PROBLEM curiemarie_31007_5007_loss_functions.pdf: Canvas no longer has this file of learner 31007" \
        in capfd.readouterr().out
    assert nbformat.read(course / "submitted" / "31006" / A / f"{A}.ipynb", as_version=4).metadata.stub_score == 40


@pytest.mark.slow
def test_round_trip_pull_grade_push_push_again_and_a_grade_entered_in_canvas(canvas, course, capfd):
    assert canvas_cli(course, canvas, "pull", A) == 0
    unmatched = course / "submitted" / "31099" / A  # collected from nbgrader's exchange: not on Canvas
    unmatched.mkdir(parents=True)
    (unmatched / f"{A}.ipynb").write_bytes(stub_notebook(33))
    stub_grade(course, penalties={"31003": 5})
    capfd.readouterr()
    # the dry run: who changes from what to what, and nothing posted
    requests = len(canvas.requests)
    assert canvas_cli(course, canvas, "push", A) == 0
    dry = capfd.readouterr().out
    for learner, now, new in [("31001", "-", "90"), ("31002", "-", "20"), ("31003", "-", "65"), ("31004", "-", "100")]:
        line = next(line for line in dry.splitlines() if line.strip().startswith(learner))
        assert f"{now} -> {new}; attach {A}.html" in line
    assert "31008" in dry and "EX (here: 50): left as is: excused in Canvas; --overwrite replaces it" in dry
    assert "PROBLEM 31099: graded here, but no learner of Canvas course 101 has that user id" in dry
    assert "PROBLEM 31005 (Hopper, Grace): handed in on Canvas, not graded here" in dry
    assert "wait for grading by hand" not in dry
    assert "PROBLEM 31006" not in dry  # handed nothing in: nothing to say
    assert "dry run: 4 grades would change and 4 feedback comments be posted; run again with --yes" in dry
    assert not puts(canvas) and len(canvas.requests) > requests
    # posted: each grade and one comment with the learner's own feedback page attached
    assert canvas_cli(course, canvas, "push", A, "--yes") == 0
    assert "posted 4 of 4" in capfd.readouterr().out
    for learner, score in {"31001": 90, "31002": 20, "31003": 65, "31004": 100}.items():
        sub = canvas.submissions[(CANVAS_A, int(learner))]
        assert (sub["score"], sub["grade"]) == (score, f"{score}")
        [comment] = sub["submission_comments"]
        [attached] = comment["attachments"]
        assert attached["display_name"] == f"{A}.html"
        assert canvas.files[attached["id"]]["_content"] == (course / "feedback" / learner / A / f"{A}.html").read_bytes()
        assert f"{score} of 100 points" in comment["comment"]
    assert canvas.submissions[(CANVAS_A, 31008)]["excused"] and canvas.submissions[(CANVAS_A, 31008)]["score"] is None
    assert all(s["score"] is None for (a, _), s in canvas.submissions.items() if a == 9002)
    # again, through ./course itself: nothing to change, nothing posted
    before = len(puts(canvas))
    again = subprocess.run([str(ROOT / "course"), "canvas", "push", A, "--yes", "--root", str(course), "--url",
                            canvas.url, "--course", str(COURSE)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "nothing to change" in again.stdout and len(puts(canvas)) == before
    # a grade entered in Canvas by hand stays, even when the grade here changes; --overwrite replaces it
    canvas.set_grade(CANVAS_A, 31001, 55)
    assert canvas_cli(course, canvas, "push", A, "--yes") == 0
    out = capfd.readouterr().out
    assert "55 (here: 90): left as is: entered in Canvas, not pushed by this course (last pushed: 90)" in out
    assert canvas.submissions[(CANVAS_A, 31001)]["score"] == 55 and len(puts(canvas)) == before
    assert canvas_cli(course, canvas, "push", A, "--yes", "--overwrite") == 0
    out = capfd.readouterr().out
    assert "55 -> 90" in out and canvas.submissions[(CANVAS_A, 31001)]["score"] == 90
    assert "EX -> 50" in out and not canvas.submissions[(CANVAS_A, 31008)]["excused"]
    assert canvas.submissions[(CANVAS_A, 31008)]["score"] == 50
    # a regraded learner: the new total goes, with the new feedback page; the rest stays
    (course / "submitted" / "31002" / A / f"{A}.ipynb").write_bytes(stub_notebook(25))
    stub_grade(course, ["31002"])
    assert canvas_cli(course, canvas, "push", A, "--yes") == 0
    out = capfd.readouterr().out
    assert "20 -> 25; attach" in out and "posted 1 of 1" in out
    assert len(canvas.submissions[(CANVAS_A, 31002)]["submission_comments"]) == 2
    # what was pushed is recorded beside the course's files, never in submitted/; the token nowhere
    assert (course / ".canvas-pushes" / f"{A}.json").is_file()
    assert not [p for p in course.rglob("*") if p.is_file() and not p.is_symlink() and TOKEN.encode() in p.read_bytes()]


def test_push_dry_run_then_post_then_nothing_without_nbgrader(canvas, course, capsys):
    """The quick loop's round trip: the gradebook as the pull would have filled it (no nbgrader run)."""
    for learner, score in GRADED.items():
        folder = course / "submitted" / learner / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_bytes(stub_notebook(score))
    stub_grade(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.find_grade("checks", A, A, "31004").needs_manual_grade = True
        gb.db.commit()
    assert canvas_cli(course, canvas, "push", A) == 0
    out = capsys.readouterr().out
    assert "4 grades would change" in out and not puts(canvas)
    assert "PROBLEM 31004: answers wait for grading by hand" in out and out.count("wait for grading by hand") == 1
    assert canvas_cli(course, canvas, "push", A, "--yes") == 0
    assert [canvas.submissions[(CANVAS_A, int(i))]["score"] for i in ("31001", "31002", "31003", "31004")] == \
        [90, 20, 70, 100]
    capsys.readouterr()
    assert canvas_cli(course, canvas, "push", A, "--yes") == 0
    assert "nothing to change" in capsys.readouterr().out


def test_a_learner_who_left_the_course_meanwhile_is_named_and_the_rest_posted(canvas, course, capsys):
    for learner, score in {"31001": 90, "31002": 20}.items():
        folder = course / "submitted" / learner / A
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_bytes(stub_notebook(score))
    stub_grade(course)
    canvas.leave_after_listing = {31001}
    assert canvas_cli(course, canvas, "push", A, "--yes") == 1
    out = capsys.readouterr().out
    assert "PROBLEM 31001: not posted: Canvas has no submission of learner 31001 for this assignment any more" in out
    assert "posted 1 of 2" in out and canvas.submissions[(CANVAS_A, 31002)]["score"] == 20


def test_an_expired_token_says_to_make_a_new_one(canvas, course, capsys, monkeypatch):
    monkeypatch.setenv("CANVAS_API_TOKEN", "expired")
    assert canvas_cli(course, canvas, "pull", A) == 1
    err = capsys.readouterr().err
    assert "Canvas refused the API token (Invalid access token.): it has expired" in err
    assert "New Access Token" in err and "CANVAS_API_TOKEN" in err


def test_a_rate_limit_is_waited_out_then_said(canvas, course, capsys):
    canvas.rate_limited = 3
    assert canvas_cli(course, canvas, "push", A) == 0
    captured = capsys.readouterr()
    assert captured.err.count("Canvas's rate limit reached: waiting") == 3 and canvas.rate_limited == 0
    assert "nothing to change" in captured.out
    canvas.rate_limited = 100
    assert main(["push", A, "--root", str(course), "--url", canvas.url, "--course", str(COURSE),
                 "--CanvasSync.backoff=0", "--CanvasSync.retries=2"]) == 1
    err = capsys.readouterr().err
    assert "Canvas's rate limit: still refused after 2 retries; wait a few minutes" in err
    assert canvas.rate_limited == 97


def test_no_such_course_or_assignment(canvas, course, capsys):
    assert main(["pull", A, "--root", str(course), "--url", canvas.url, "--course", "999"]) == 1
    assert "no course 999 on http://127.0.0.1" in capsys.readouterr().err
    canvas.assignments[CANVAS_A]["name"] = "Loss functions (week 1)"
    assert canvas_cli(course, canvas, "pull", A) == 1
    assert "no assignment of Canvas course 101 titled loss_functions" in capsys.readouterr().err
    assert canvas_cli(course, canvas, "push", A, "--canvas-assignment", "9999") == 1
    assert "no assignment 9999 in Canvas course 101" in capsys.readouterr().err
    assert canvas_cli(course, canvas, "push", A, "--canvas-assignment", str(CANVAS_A)) == 0
    assert "assignment 'Loss functions (week 1)' (id 9001)" in capsys.readouterr().out


def test_the_token_comes_from_outside_the_course(canvas, course, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CANVAS_API_TOKEN")
    assert canvas_cli(course, canvas, "push", A) == 1
    assert "no Canvas API token: set CANVAS_API_TOKEN" in capsys.readouterr().err
    inside = course / "canvas_token.txt"
    inside.write_text(TOKEN)
    assert canvas_cli(course, canvas, "push", A, "--token-file", str(inside)) == 1
    assert "is inside the course directory: move it out" in capsys.readouterr().err
    assert not any(path == "/api/v1/courses/101" for _, path in canvas.requests)  # never sent
    outside = tmp_path / "token"
    outside.write_text(TOKEN + "\n")
    assert canvas_cli(course, canvas, "push", A, "--token-file", str(outside)) == 0
    assert main(["push", A, "--root", str(course), "--url", "http://canvas.example.edu", "--course", "101"]) == 1
    assert "give Canvas's https:// address" in capsys.readouterr().err


def test_canvas_address_and_course_come_from_nbgrader_config_and_the_command_line_wins(canvas, course, capsys):
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CanvasSync.url = {canvas.url!r}\nc.CanvasSync.course = 999\n")
    assert main(["push", A, "--root", str(course)]) == 1
    assert "no course 999 on http://127.0.0.1" in capsys.readouterr().err
    assert main(["push", A, "--root", str(course), "--course", str(COURSE)]) == 0
    assert "-> Canvas course 101, assignment 'loss_functions' (id 9001)" in capsys.readouterr().out
