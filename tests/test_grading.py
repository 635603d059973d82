"""The grading pipeline end to end, through the instructors' guide's commands (docs/instructors.md), in a scratch
course: full marks for the reference solution, zero for the untouched student copy, and
common mistakes losing exactly the points of the cells that test them."""
import csv
import re
import subprocess
import zipfile

import nbformat
import pytest

from conftest import ROOT
from grader.course import assignments
from grader.report import record_line
from kit.course_tools import cell_scores, feedback_text, filled_student_copy, grade_ids, secret_lines
from kit.report_tools import assert_csv_matches_gradebook, records
from mistakes import mistakes

# Each assignment's common mistakes are in tests/mistakes/<assignment>.py (MISTAKES: learner ->
# (solution cells replaced by a common mistake, test cells that must lose their points);
# FEEDBACK_MESSAGES: what each learner's feedback must show); tests/test_mistakes.py checks that
# every assignment has them. The reference learner ("ada") makes none; "untouched" hands in the
# student copy as released.

pytestmark = pytest.mark.slow


def learners(assignment):
    return [*mistakes(assignment).MISTAKES, "untouched"]


def user_id(assignment, learner):
    """The learner's Canvas user id, which zip_collect makes their nbgrader student id."""
    return str(1000 + learners(assignment).index(learner))


def readme_instructor_commands(assignment):
    """The instructors' guide's commands (docs/instructors.md), for `assignment` in place of loss_functions."""
    text = (ROOT / "docs" / "instructors.md").read_text()
    block = re.search(r"<!-- instructor-commands -->\n```bash\n(.*?)```", text, re.S).group(1)
    return [line.replace("loss_functions", assignment) for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def lms_zip(course, assignment, path):
    """A zip of every learner's notebook, named as an LMS names the files Colab learners upload."""
    notebook = f"{assignment}.ipynb"
    with zipfile.ZipFile(path, "w") as archive:
        for number, learner in enumerate(learners(assignment)):
            if learner == "untouched":
                text = (course / "release" / assignment / notebook).read_text()
            else:
                replacements = mistakes(assignment).MISTAKES[learner][0]
                text = nbformat.writes(filled_student_copy(assignment, notebook, course, replacements))
            suffix = " (1)" if number == 1 else ""  # a file Colab renamed on a second download
            archive.writestr(f"{learner}_{user_id(assignment, learner)}_{2000 + number}_{assignment}{suffix}.ipynb", text)


def canvas_gradebook(assignment, path):
    """The gradebook CSV that Canvas exports, with every learner of `assignment` on it."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *(f"{a} ({900 + i})" for i, a in enumerate(sorted(assignments())))])
        writer.writerow(["    Points Possible", "", "", "", "", *([""] * len(assignments()))])
        for learner in learners(assignment):
            writer.writerow([learner, user_id(assignment, learner), "", learner, "A", *([""] * len(assignments()))])


@pytest.fixture(scope="module", params=assignments())
def graded(request, course):
    """Every learner of one assignment collected, autograded, given feedback and exported, by the
    instructors' guide's commands; returns (course, assignment, {learner: {grade_id: (score, max, needs_manual)}})."""
    assignment = request.param
    archive = course / "downloaded" / assignment / "archive"
    archive.mkdir(parents=True)
    lms_zip(course, assignment, archive / "submissions.zip")
    canvas_gradebook(assignment, course / "canvas_gradebook.csv")
    for command in readme_instructor_commands(assignment):
        proc = subprocess.run(command, shell=True, cwd=course, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"docs/instructors.md command failed: {command}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    ids = {user_id(assignment, learner): learner for learner in learners(assignment)}
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", assignment, list(ids))
    return course, assignment, {ids[student]: cells for student, cells in scores.items()}


def autograded_tests(scores):
    return {name: s for name, s in scores.items() if name.startswith("test_")}


def test_zip_collect_found_every_learner(graded):
    course, assignment, scores = graded
    for learner in learners(assignment):
        assert (course / "submitted" / user_id(assignment, learner) / assignment / f"{assignment}.ipynb").exists()
    assert set(scores) == set(learners(assignment))


def test_every_test_cell_is_graded(graded):
    _, assignment, scores = graded
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert set(autograded_tests(scores["ada"])) == set(grade_ids(source, grade=True, solution=False))


def test_reference_solution_gets_full_marks(graded):
    _, assignment, scores = graded
    for name, (score, max_score, _) in autograded_tests(scores["ada"]).items():
        assert score == max_score > 0, f"the reference solution lost points on {name}"
    written = [name for name in scores["ada"] if name.startswith("written_")]
    assert written and all(scores["ada"][name][2] for name in written), "written answers wait for a person"


def test_untouched_student_copy_gets_zero(graded):
    _, assignment, scores = graded
    for name, (score, *_rest) in scores["untouched"].items():
        assert score == 0, f"the untouched student copy earned {score} on {name}"


def test_common_mistakes_lose_exactly_their_points(graded):
    _, assignment, scores = graded
    for learner, (_, expected_failures) in mistakes(assignment).MISTAKES.items():
        assert set(expected_failures) <= set(scores[learner])
        for name, (score, max_score, _) in autograded_tests(scores[learner]).items():
            if name in expected_failures:
                assert score == 0, f"{learner}: {name} should catch the mistake"
            else:
                assert score == max_score, f"{learner}: {name} lost points for a mistake it does not test"


def test_feedback_shows_scores_and_the_learners_messages(graded):
    course, assignment, scores = graded
    auto_total = sum(s[1] for s in autograded_tests(scores["ada"]).values())
    total = sum(s[1] for s in scores["ada"].values())
    for learner in learners(assignment):
        text = feedback_text(course, user_id(assignment, learner), assignment)
        earned = sum(s[0] or 0 for s in scores[learner].values())
        assert f"{earned:.1f} / {total:.1f}" in text, f"{learner}'s feedback does not show the score"
        message = mistakes(assignment).FEEDBACK_MESSAGES.get(learner)
        if message is not None:
            assert message in text, f"{learner}'s feedback does not show {message!r}"
    assert auto_total < total, "the written answer's points are part of the total"


def test_export_writes_every_learner_to_csv(graded):
    course, assignment, scores = graded
    rows = {row["student_id"]: row for row in csv.DictReader((course / "grades.csv").open())
            if row["assignment"] == assignment}
    ids = {learner: user_id(assignment, learner) for learner in learners(assignment)}
    assert set(ids.values()) <= set(rows)
    for learner, student in ids.items():
        assert float(rows[student]["raw_score"]) == sum(s[0] or 0 for s in scores[learner].values())
    assert float(rows[ids["untouched"]]["raw_score"]) == 0.0


def test_canvas_csv_and_feedback_zip_have_every_learner(graded):
    course, assignment, scores = graded
    with open(course / f"canvas_{assignment}.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = {row["ID"]: row for row in reader}
    column = next(name for name in reader.fieldnames if name.startswith(f"{assignment} ("))
    for learner in learners(assignment):
        earned = sum(s[0] or 0 for s in scores[learner].values())
        assert float(rows[user_id(assignment, learner)][column]) == pytest.approx(earned, abs=0.005)
    with zipfile.ZipFile(course / f"feedback_{assignment}.zip") as archive:
        names = archive.namelist()
    extracted = (course / "downloaded" / assignment / "extracted").rglob("*.ipynb")
    assert sorted(names) == sorted(path.name[:-len(".ipynb")] + ".html" for path in extracted)


def test_feedback_shows_no_hidden_test_code(graded):
    course, assignment, scores = graded
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    learners_code = [code for replacements, _ in mistakes(assignment).MISTAKES.values() for code in replacements.values()]
    secrets = secret_lines(source, learners_code)
    assert secrets
    for learner in learners(assignment):
        text = feedback_text(course, user_id(assignment, learner), assignment)
        shown = [line for line in secrets if line in text]
        assert not shown, f"{learner}'s feedback shows hidden test code: {shown[:3]}"
        assert "HIDDEN TESTS" not in text


def test_class_report_names_each_slip_and_matches_the_gradebook(graded):
    """`./course grade` (a README command) wrote the class report: its numbers are the gradebook's,
    it names each common mistake's slip with exactly the learners who made it, and every score
    carries its record, which `nbgrader export` (a README command) puts in its grading_record column."""
    course, assignment, scores = graded
    tables = assert_csv_matches_gradebook(course, assignment)
    names = {user_id(assignment, learner): learner for learner in learners(assignment)}
    slips = {text: {names[s] for s in row["who"].split()} for text, row in tables["slip"].items()}
    for text, row in tables["slip"].items():
        assert int(row["count"]) == len(slips[text]) > 0, text
    assert not any({"ada", "untouched"} & who for who in slips.values()), slips
    for fragment, who in getattr(mistakes(assignment), "SLIPS", {}).items():
        named = [found for text, found in slips.items() if fragment in text]
        assert named and set().union(*named) == who, f"{fragment!r}: named for {named}, made by {who}"
    kept = records(course, assignment, list(names))
    with open(course / "grades.csv", newline="") as f:
        exported = {row["student_id"]: row["grading_record"] for row in csv.DictReader(f)
                    if row["assignment"] == assignment}
    for student, record in kept.items():
        assert record and record["score"] == sum(s[0] or 0 for s in scores[names[student]].values()), student
        assert exported[student] == record_line(record), student
