"""release/ is exactly what nbgrader generates from source/, and shows no hidden test."""
import nbformat
import pytest

from conftest import RELEASE_NOTEBOOKS, SOURCE_NOTEBOOKS, ROOT, rel
from grader.course import assignments
from kit.course_tools import secret_lines


@pytest.mark.parametrize("assignment", assignments())
def test_release_is_current(course, assignment):
    generated = sorted(p.relative_to(course) for p in (course / "release" / assignment).rglob("*") if p.is_file())
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "release" / assignment).rglob("*") if p.is_file())
    assert generated == committed, "release/ has other files than nbgrader generates"
    for path in generated:
        assert (ROOT / path).read_bytes() == (course / path).read_bytes(), (
            f"{path} is stale: run `./course run nbgrader generate_assignment {assignment} --force` and commit it")


def test_every_source_notebook_has_a_student_copy():
    assert [rel(p).replace("source/", "release/", 1) for p in SOURCE_NOTEBOOKS] == [rel(p) for p in RELEASE_NOTEBOOKS]


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_student_copy_shows_no_hidden_test(path):
    secrets = secret_lines(nbformat.read(path, as_version=4))
    assert secrets, f"{rel(path)} has no hidden tests"
    student_copy = nbformat.read(ROOT / rel(path).replace("source/", "release/", 1), as_version=4)
    student = "\n".join(cell.source for cell in student_copy.cells)
    assert "HIDDEN TESTS" not in student
    shown = [line for line in secrets if line in student]
    assert not shown, f"the student copy shows hidden test code: {shown[:3]}"
