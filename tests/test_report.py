"""The class report's parts that need no graded class (grader/report.py): how a failed check's
message is read as a slip, the health flags, the record's line and where it goes. The report of a
graded class is checked against the gradebook in tests/test_class_grading.py and tests/test_grading.py."""
import subprocess

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader import report


@pytest.mark.parametrize("message, slip", [
    ("mse_loss on inputs of shape (3, 1), (3, 1): wrong value. Square each difference, then take the mean.\n"
     "Scalars are not close!\nExpected 9.08 but got 27.25.", "wrong value. Square each difference, then take the mean."),
    ("huber_loss on inputs of shape (50,), (50,) with {'delta': 0.5}: wrong value. delta is a parameter: use it.",
     "wrong value. delta is a parameter: use it."),
    ("MyAdam(): after step 2, parameter 0 of shape (3,) differs. It moves exactly like Adam with ε inside the square "
     "root: add ε after the square root: m̂ / (√v̂ + ε).", "Adam with ε inside the square root"),
    ("The question: a loss function measures how wrong the predictions are.",
     "The question: a loss function measures how wrong the predictions are."),
    ("", None),
])
def test_a_failed_checks_message_read_as_its_slip(message, slip):
    assert report.slip_text(message) == slip


def test_the_same_slip_on_other_inputs_is_one_slip():
    a = report.slip_text("mse_loss on inputs of shape (3, 1), (3, 1): wrong value. Take the mean.\nExpected 1 but got 2")
    b = report.slip_text("mse_loss on inputs of shape (8, 3), (8, 3): wrong value. Take the mean.\nExpected 5 but got 7")
    assert a == b


def test_health_flags():
    strong_fail = [0, 0, 1, 1]  # the learners with the highest totals of the other checks fail it
    rest = [20, 18, 3, 1]
    r = report.pearson(strong_fail, rest)
    assert r < 0 and report.upper_lower(strong_fail, rest) == -1
    assert report.flags(0.5, r, -1) == ["strong learners fail it more often than weak ones: likely broken"]
    assert report.flags(0.5, r, 0.0) == []  # the groups pass it alike: no flag on the correlation alone
    good = [1, 1, 0, 0]
    assert report.pearson(good, rest) > 0 and report.flags(0.5, report.pearson(good, rest), 1) == []
    assert report.flags(1.0, None, None) == ["everybody passes"] and report.flags(0.0, None, None) == ["nobody passes"]
    assert report.pearson([1, 1, 1], [1, 2, 3]) is None  # no spread: no correlation


RECORD = dict(files="a" * 64, commit="c" * 40, clean=True, secret=report.secret_fingerprint("s3cret-value"),
              lock="b" * 64, settings={"timeout": 120}, score=3.0, max_score=5.0, host="grader-1",
              time="2026-12-05T01:00:00+00:00")


def test_the_record_never_holds_the_secret():
    fingerprint = report.secret_fingerprint("s3cret-value")
    assert "s3cret-value" not in fingerprint and fingerprint != report.secret_fingerprint("s3cret-valuf")
    line = report.record_line(RECORD)
    assert "s3cret" not in line and "\n" not in line
    assert line.startswith("files aaaaaaaaaaaa, course cccccccccccc (clean), secret " + fingerprint[:12])
    assert line.endswith("graded 2026-12-05T01:00:00+00:00 on grader-1")


def test_the_record_is_the_graded_notebooks_last_cell_once():
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    files = {"a.ipynb": nbformat.writes(nb).encode(), "timestamp.txt": b"t"}
    once = report.stamp(files, ["a"], RECORD)
    twice = report.stamp(once, ["a"], dict(RECORD, host="grader-2"))
    cells = nbformat.reads(twice["a.ipynb"].decode(), as_version=4).cells
    assert len(cells) == 2 and cells[-1].metadata[report.RECORD_KEY]["host"] == "grader-2"
    assert report.record_line(dict(RECORD, host="grader-2")) in cells[-1].source
    assert twice["timestamp.txt"] == b"t"


def test_git_state_of_a_course(tmp_path):
    course = tmp_path / "course"
    (course / "grader").mkdir(parents=True)
    (course / "grader" / "x.py").write_text("x = 1\n")
    assert report.git_state(course) == (None, None)  # not a git checkout
    git = ["git", "-C", str(course), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "grader"], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    (course / "submitted").mkdir()
    (course / "submitted" / "x.txt").write_text("a learner's file does not make the course unclean\n")
    assert report.git_state(course) == (head, True)
    (course / "grader" / "x.py").write_text("x = 2\n")
    assert report.git_state(course) == (head, False)


def test_report_outside_a_course_says_where_to_run_it(tmp_path):
    with pytest.raises(SystemExit) as stop:
        report.main(["loss_functions", "--root", str(tmp_path)])
    assert "has no nbgrader_config.py: run this in the course root" in str(stop.value)


def test_csv_rows_hold_every_table():
    data = dict(learners={"ada": dict(score=2.0, max_score=3.0, graded=True, seconds=1.5, host="h", problems=[],
                                      record=RECORD)},
                checks=[dict(check="test_a", points=1.0, passed=1, learners=1, pass_rate=1.0, mean=1.0,
                             discrimination=None, upper_lower=None, flags=["everybody passes"])],
                slips=[dict(slip="wrong value.", count=1, learners=["ada"], checks=["test_a"])])
    rows = report.csv_rows(data)
    assert [r["table"] for r in rows] == ["learner", "check", "slip"]
    assert all(set(r) <= set(report.CSV_COLUMNS) for r in rows)
    assert '"secret": "' in rows[0]["record"] and "s3cret" not in rows[0]["record"]


def test_report_never_replaces_someones_files(tmp_path):
    """A report.html or report.csv that the report did not write is left as it is, with a message."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.html").write_text("<p>my own notes</p>")
    with pytest.raises(SystemExit) as stop:
        report.main(["loss_functions", "--root", str(tmp_path), "--out", str(out)])
    assert "report.html exists and is not a class report: move it away" in str(stop.value)
    assert (out / "report.html").read_text() == "<p>my own notes</p>"
    (out / "report.html").write_text(f"<html><head>{report.GENERATOR}</head></html>")  # one it wrote: replaced
    (out / "report.csv").write_text(",".join(report.CSV_COLUMNS) + "\r\n")
    assert report.not_ours(out) == []
