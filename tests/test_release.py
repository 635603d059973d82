"""release/ is exactly what nbgrader generates from source/."""
import pytest

from conftest import RELEASE_NOTEBOOKS, SOURCE_NOTEBOOKS, ROOT, rel
from course_tools import ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_current(course, assignment):
    generated = sorted(p.relative_to(course) for p in (course / "release" / assignment).rglob("*") if p.is_file())
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "release" / assignment).rglob("*") if p.is_file())
    assert generated == committed, "release/ has other files than nbgrader generates"
    for path in generated:
        assert (ROOT / path).read_bytes() == (course / path).read_bytes(), (
            f"{path} is stale: run `./course run nbgrader generate_assignment {assignment} --force` and commit it")


def test_every_source_notebook_has_a_student_copy():
    assert [rel(p).replace("source/", "release/", 1) for p in SOURCE_NOTEBOOKS] == [rel(p) for p in RELEASE_NOTEBOOKS]
