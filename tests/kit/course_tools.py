"""Helpers of the tests and the benchmarks: student notebooks filled with chosen solutions, the
hidden lines of a notebook, the scores in a gradebook, and a feedback page read as text. The course
itself (its root, its assignments in module order, nbgrader run in a course root, a scratch copy)
is grader.course's, re-exported here for the tests that use both."""
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup

from grader.course import ROOT, assignments, nbgrader, scratch_course
from grader.notebook import secret_lines as _secret_lines

__all__ = ["ROOT", "assignments", "nbgrader", "scratch_course",  # grader.course's, re-exported
           "grade_ids", "filled_student_copy", "secret_lines", "cell_scores", "page_text", "feedback_text"]


def grade_ids(nb, **flags):
    """The nbgrader cells of `nb` whose metadata has all of `flags` (e.g. solution=True), by grade_id."""
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
            if "nbgrader" in c.metadata and all(c.metadata.nbgrader.get(k) == v for k, v in flags.items())}


def filled_student_copy(assignment, notebook, release_root, replacements=None, student_copy=None):
    """The student copy of `notebook` (release_root/release/<assignment>/<notebook>, or the file
    `student_copy`, such as the one in the student edition), its solution cells filled with the
    reference solution, except those in `replacements` ({grade_id: source}), which get that source instead."""
    source = nbformat.read(ROOT / "source" / assignment / notebook, as_version=4)
    student_copy = student_copy or Path(release_root) / "release" / assignment / notebook
    student = nbformat.read(student_copy, as_version=4)
    reference = grade_ids(source, solution=True)
    replacements = dict(replacements or {})
    unknown = set(replacements) - set(reference)
    assert not unknown, f"no solution cells named {sorted(unknown)} in {notebook}"
    for grade_id, cell in grade_ids(student, solution=True).items():
        cell.source = replacements[grade_id] if grade_id in replacements else reference[grade_id].source
    return student


def secret_lines(nb, public_texts=()):
    """The lines of `nb`'s hidden tests that show up nowhere a learner may see (grader.notebook's
    rule, which the feedback plug-in applies): not outside the hidden regions, and not in
    `public_texts` (such as the learners' own code)."""
    return _secret_lines([cell.source for cell in nb.cells], public_texts)


def cell_scores(db_url, assignment, students, notebook=None):
    """{student: {grade_id: (score, max_score, needs_manual_grade)}} from the gradebook at `db_url`."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        return {s: {g.name: (g.score, g.max_score, g.needs_manual_grade)
                    for g in gb.find_submission_notebook(notebook or assignment, assignment, s).grades}
                for s in students}


def page_text(html):
    """The text a browser shows of the HTML page `html` (an HTML parser's, not a regex's)."""
    return BeautifulSoup(html, "html.parser").get_text()


def feedback_text(course, learner, assignment, notebook=None):
    """What the learner reads in their feedback page: its text, without the HTML."""
    return page_text((Path(course) / "feedback" / learner / assignment / f"{notebook or assignment}.html").read_text())
