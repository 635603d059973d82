"""The committed demo class (submitted/demo-*, autograded/demo-*) is what tests/kit/demo_class.py makes."""
import csv

import pytest

from conftest import ROOT
from grader.sandbox import sandbox_problem
from kit.demo_class import DEMO, SCORES, regenerate


def read_scores(path):
    with open(path) as f:
        return sorted(tuple(row.values()) for row in csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
def test_regenerated_demo_class_matches(tmp_path):
    regenerate(tmp_path)
    assert read_scores(tmp_path / "autograded" / SCORES) == read_scores(ROOT / "autograded" / SCORES)
    for name in DEMO:
        for step in ("submitted", "autograded"):
            files = sorted(p.relative_to(ROOT / step) for p in (ROOT / step / name).rglob("*") if p.is_file())
            assert files == sorted(p.relative_to(tmp_path / step) for p in (tmp_path / step / name).rglob("*")
                                   if p.is_file()), f"{step}/{name} differs"
        submitted = ROOT / "submitted" / name
        for path in submitted.rglob("*"):
            if path.is_file():
                assert path.read_bytes() == (tmp_path / "submitted" / path.relative_to(ROOT / "submitted")).read_bytes()


def test_demo_class_shows_each_kind():
    scores = {}
    for student, grade_id, score, max_score in read_scores(ROOT / "autograded" / SCORES):
        if grade_id.startswith("test_"):
            got, most = scores.get(student, (0.0, 0.0))
            scores[student] = (got + float(score), most + float(max_score))
    assert scores["demo-ada"][0] == scores["demo-ada"][1]  # full marks
    assert 0 < scores["demo-ben"][0] < scores["demo-ben"][1]  # partial
    assert scores["demo-cy"][0] == 0 and scores["demo-dee"][0] == 0  # blank, and the cheat
    assert "replaces torch.testing.assert_close" in (ROOT / "autograded" / "demo-dee" / "loss_functions"
                                                     / "loss_functions.ipynb").read_text()
