"""The grading pipeline end to end, through the README's instructor commands, in a scratch
course: full marks for the reference solution, zero for the untouched student copy, and
common mistakes losing exactly the points of the cells that test them."""
import csv
import re
import shutil
import subprocess
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT
from course_tools import filled_student_copy, grade_ids

ASSIGNMENT = NOTEBOOK = "loss_functions"

# Learner id -> (solution cells replaced by a common mistake, test cells that must lose their points).
# The reference learner ("ada") has none; "untouched" hands in the student copy as released.
MISTAKES = {
    "ada": ({}, set()),
    "sumsquares": ({
        "mse_loss_solution": "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n",
        "huber_loss_solution": (  # SmoothL1's formula: equal to Huber only for delta = 1
            "def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
            "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n"),
        "question_loss_purpose_answer": 'answer_loss_purpose = "a"\n',
    }, {"test_mse_loss_basic", "test_mse_loss_hidden", "test_huber_loss_hidden", "test_question_loss_purpose"}),
    "naive": ({
        "binary_cross_entropy_with_logits_solution": (
            "def binary_cross_entropy_with_logits(logits, target):\n    p = torch.sigmoid(logits)\n"
            "    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()\n"),
        "cross_entropy_solution": (
            "def cross_entropy(logits, target):\n    p = torch.softmax(logits, dim=1)\n"
            "    return -torch.log(p[torch.arange(len(target)), target]).mean()\n"),
        "multi_margin_loss_solution": (  # divides by C - 1 instead of C
            "def multi_margin_loss(scores, target, margin=1.0):\n"
            "    true = scores.gather(1, target.unsqueeze(1))\n"
            "    hinge = (margin - true + scores).clamp(min=0).scatter(1, target.unsqueeze(1), 0.0)\n"
            "    return (hinge.sum(dim=1) / (scores.shape[1] - 1)).mean()\n"),
    }, {"test_binary_cross_entropy_with_logits_basic", "test_binary_cross_entropy_with_logits_hidden",
        "test_cross_entropy_basic", "test_cross_entropy_hidden",
        "test_multi_margin_loss_basic", "test_multi_margin_loss_hidden"}),
    "builtins": ({
        "l1_loss_solution": "def l1_loss(pred, target):\n    return F.l1_loss(pred, target)\n",
        "binary_cross_entropy_solution": (  # clamps probabilities instead of logs
            "def binary_cross_entropy(probs, target):\n    p = probs.clamp(1e-7, 1 - 1e-7)\n"
            "    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()\n"),
        "question_adaptive_optimizer_answer": 'answer_adaptive_optimizer = "a"\n',
    }, {"test_l1_loss_basic", "test_l1_loss_hidden", "test_binary_cross_entropy_basic",
        "test_binary_cross_entropy_hidden", "test_question_adaptive_optimizer"}),
    "detached": ({  # right value, but cut off from autograd
        "mse_loss_solution": "def mse_loss(pred, target):\n    return torch.tensor(((pred - target) ** 2).mean().item())\n",
    }, {"test_mse_loss_basic", "test_mse_loss_hidden"}),
}
LEARNERS = [*MISTAKES, "untouched"]


def readme_instructor_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- instructor-commands -->\n```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def lms_zip(course, path):
    """A zip of every learner's notebook named as an LMS names Colab uploads."""
    release = course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    with zipfile.ZipFile(path, "w") as archive:
        for number, learner in enumerate(LEARNERS):
            if learner == "untouched":
                text = release.read_text()
            else:
                text = nbformat.writes(filled_student_copy(ASSIGNMENT, f"{NOTEBOOK}.ipynb", course, MISTAKES[learner][0]))
            suffix = " (1)" if learner == "naive" else ""  # a file Colab renamed on a second download
            archive.writestr(f"{learner}_{1000 + number}_{2000 + number}_{NOTEBOOK}{suffix}.ipynb", text)


@pytest.fixture(scope="module")
def graded(course):
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    lms_zip(course, archive / "submissions.zip")
    for command in readme_instructor_commands():
        proc = subprocess.run(command, shell=True, cwd=course, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"README command failed: {command}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {}
        for learner in LEARNERS:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, learner)
            scores[learner] = {g.name: (g.score, g.max_score, g.auto_score, g.needs_manual_grade) for g in nb.grades}
    return course, scores


def autograded_tests(scores):
    return {name: s for name, s in scores.items() if name.startswith("test_")}


def test_zip_collect_found_every_learner(graded):
    course, scores = graded
    for learner in LEARNERS:
        assert (course / "submitted" / learner / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()
    assert set(scores) == set(LEARNERS)


def test_every_test_cell_is_graded(graded):
    _, scores = graded
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    assert set(autograded_tests(scores["ada"])) == set(grade_ids(source, grade=True, solution=False))


def test_reference_solution_gets_full_marks(graded):
    _, scores = graded
    for name, (score, max_score, _, _) in autograded_tests(scores["ada"]).items():
        assert score == max_score > 0, f"the reference solution lost points on {name}"
    written = scores["ada"]["written_huber_vs_mse"]
    assert written[3], "a written answer must wait for a person to grade it"


def test_untouched_student_copy_gets_zero(graded):
    _, scores = graded
    for name, (score, *_rest) in scores["untouched"].items():
        assert score == 0, f"the untouched student copy earned {score} on {name}"


@pytest.mark.parametrize("learner", [name for name in MISTAKES if name != "ada"])
def test_common_mistakes_lose_exactly_their_points(graded, learner):
    _, scores = graded
    expected_failures = MISTAKES[learner][1]
    for name, (score, max_score, _, _) in autograded_tests(scores[learner]).items():
        if name in expected_failures:
            assert score == 0, f"{learner}: {name} should catch the mistake"
        else:
            assert score == max_score, f"{learner}: {name} lost points for a mistake it does not test"


def test_feedback_shows_scores_and_the_learners_messages(graded):
    course, _ = graded
    feedback = {learner: (course / "feedback" / learner / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
                for learner in LEARNERS}
    assert "Square each difference, then take the mean" in feedback["sumsquares"]
    assert "calls PyTorch&#39;s built-in l1_loss" in feedback["builtins"] or \
        "calls PyTorch's built-in l1_loss" in feedback["builtins"]
    assert "cut off from autograd" in feedback["detached"]
    assert re.search(r"Score:\s*</?\w*>?\s*21\.0 / 23\.0|21\.0 / 23\.0", feedback["ada"])


def test_export_writes_every_learner_to_csv(graded):
    course, scores = graded
    rows = {row["student_id"]: row for row in csv.DictReader((course / "grades.csv").open())}
    assert set(rows) == set(LEARNERS)
    assert float(rows["ada"]["raw_score"]) == 21.0
    assert float(rows["untouched"]["raw_score"]) == 0.0
    assert float(rows["ada"]["max_score"]) == 23.0
