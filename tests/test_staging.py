"""The staging and mending of a learner's handed-in files (grader/staging.py), before nbgrader
sees them, on the fictional learners of tests/kit/fixtures.py: no kernel, no nbgrader run."""
import nbformat
import pytest

from conftest import ROOT
from grader.notebook import NOTE_KEY
from grader.staging import mend, stage_submission
from kit.fixtures import ASSIGNMENT, HONEST, HOSTILE, NOTEBOOK

# The learners whose problem is found while staging (the others' show when their code runs).
STAGED = ["not-json", "wrong-name", "no-notebook", "empty-file", "edited-tests", "deleted-tests", "deleted-solution"]
BLANK = {"not-json", "wrong-name", "no-notebook", "empty-file"}  # graded as the blank student copy


def release():
    return {ASSIGNMENT: nbformat.read(ROOT / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)}


def nbgrader_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: (c.cell_type, c.metadata["nbgrader"])
            for c in nb.cells if "nbgrader" in c.metadata}


def stage(files, tmp_path):
    before = {name: bytes(data) for name, data in files.items()}
    problems = stage_submission(files, release(), tmp_path / "staged")
    assert files == before, "staging changed the learner's own files"
    return problems, nbformat.read(tmp_path / "staged" / NOTEBOOK, as_version=4)


@pytest.mark.parametrize("learner", sorted(HONEST))
def test_an_honest_learners_notebook_is_staged_as_handed_in(learner, tmp_path):
    files = HONEST[learner](ROOT)
    problems, staged = stage(files, tmp_path)
    assert problems == {ASSIGNMENT: []}
    handed_in = nbformat.reads(files[NOTEBOOK].decode(), as_version=4)
    assert [c.source for c in staged.cells] == [c.source for c in handed_in.cells]
    assert not any(c.metadata.get(NOTE_KEY) for c in staged.cells)


@pytest.mark.parametrize("learner", STAGED)
def test_a_broken_or_changed_submission_is_mended_and_says_so(learner, tmp_path):
    build, problem = HOSTILE[learner]
    problems, staged = stage(build(ROOT), tmp_path)
    assert len(problems[ASSIGNMENT]) == 1 and problem in problems[ASSIGNMENT][0], problems
    note = staged.cells[0]
    assert note.metadata.get(NOTE_KEY) and problem in note.source, "the learner's note says what was done"
    assert nbgrader_cells(staged) == nbgrader_cells(release()[ASSIGNMENT]), "every nbgrader cell, as released"
    if learner in BLANK:
        assert "the blank student copy was graded in its place" in problems[ASSIGNMENT][0]
        assert [c.source for c in staged.cells[1:]] == [c.source for c in release()[ASSIGNMENT].cells]


def test_changed_grading_metadata_is_put_back(tmp_path):
    nb = nbformat.reads(HONEST["honest-full"](ROOT)[NOTEBOOK].decode(), as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    tests[0].metadata.nbgrader.points = 1000  # worth more
    tests[1].metadata.nbgrader.grade = False  # no longer a test
    nb.cells.append(nbformat.from_dict(tests[2]))  # a second cell claiming a test's grade_id
    problems = mend(nb, release()[ASSIGNMENT])
    assert problems == ["the grading metadata of 3 cells had been changed; the student copy's was put back"]
    assert nbgrader_cells(nb) == nbgrader_cells(release()[ASSIGNMENT])
    assert "nbgrader" not in nb.cells[-1].metadata


def test_a_notebook_of_a_million_empty_objects_is_refused_unread(tmp_path):
    """3 MB of `{}` would take gigabytes and a minute to parse and validate (the red team crashed a
    Dask worker with it): it is graded as the blank copy, with its count said, before any parsing."""
    import json
    from grader.notebook import MAX_CONTAINERS
    nb = nbformat.reads(HONEST["honest-full"](ROOT)[NOTEBOOK].decode(), as_version=4)
    nb.metadata["x"] = [{}] * 1_000_000
    release = {NOTEBOOK[:-len(".ipynb")]: nbformat.read(ROOT / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)}
    problems = stage_submission({NOTEBOOK: json.dumps(nb).encode()}, release, tmp_path)
    [problem] = problems[NOTEBOOK[:-len(".ipynb")]]
    assert "1,00" in problem and "JSON objects and lists" in problem and "blank student copy" in problem
    for path in [*ROOT.glob("source/*/*.ipynb"), *ROOT.glob("notebooks/*.ipynb")]:  # the course's own: far under
        data = path.read_bytes()
        assert data.count(b"{") + data.count(b"[") < MAX_CONTAINERS // 20, path
