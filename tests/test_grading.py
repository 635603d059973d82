"""The grading pipeline end to end, through the README's instructor commands, in a scratch
course: full marks for the reference solution, zero for the untouched student copy, and
common mistakes losing exactly the points of the cells that test them."""
import csv
import re
import subprocess
import zipfile

import nbformat
import pytest

from conftest import ROOT
from course_tools import cell_scores, feedback_text, filled_student_copy, grade_ids, secret_lines


def reference_solution(assignment, grade_id):
    source = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return grade_ids(source, solution=True)[grade_id].source


def mutate(source, old, new):
    """`source` with one common mistake written in; the mistake must really be there."""
    assert old in source, f"the reference solution changed: {old!r} is gone"
    return source.replace(old, new)


MY_SGD = reference_solution("optimizers", "my_sgd_solution")
MY_ADAM = reference_solution("optimizers", "my_adam_solution")
MY_RMSPROP = reference_solution("optimizers", "my_rmsprop_solution")

# Per assignment, learner id -> (solution cells replaced by a common mistake, test cells that must
# lose their points). The reference learner ("ada") makes none; "untouched" hands in the student
# copy as released.
LOSS_FUNCTIONS = {
    "ada": ({}, set()),
    "sumsquares": ({
        "mse_loss_solution": "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n",
        "huber_loss_solution": (  # SmoothL1's formula: equal to Huber only for delta = 1
            "def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
            "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n"),
        "question_loss_purpose_answer": 'answer_loss_purpose = "a"\n',
    }, {"test_mse_loss_basic", "test_mse_loss_shapes", "test_huber_loss_delta", "test_huber_loss_hidden",
        "test_question_loss_purpose"}),
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
    }, {"test_binary_cross_entropy_with_logits_basic", "test_binary_cross_entropy_with_logits_soft_targets",
        "test_binary_cross_entropy_with_logits_hidden", "test_cross_entropy_basic", "test_cross_entropy_hidden",
        "test_multi_margin_loss_basic", "test_multi_margin_loss_margin", "test_multi_margin_loss_hidden"}),
    "builtins": ({
        "l1_loss_solution": "def l1_loss(pred, target):\n    return F.l1_loss(pred, target)\n",
        "binary_cross_entropy_solution": (  # clamps probabilities instead of logs
            "def binary_cross_entropy(probs, target):\n    p = probs.clamp(1e-7, 1 - 1e-7)\n"
            "    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()\n"),
        "question_adaptive_optimizer_answer": 'answer_adaptive_optimizer = "a"\n',
    }, {"test_l1_loss_basic", "test_l1_loss_shapes", "test_binary_cross_entropy_basic",
        "test_binary_cross_entropy_hidden", "test_question_adaptive_optimizer"}),
    "detached": ({  # right value, but cut off from autograd
        "mse_loss_solution": "def mse_loss(pred, target):\n    return torch.tensor(((pred - target) ** 2).mean().item())\n",
    }, {"test_mse_loss_basic", "test_mse_loss_shapes"}),
}
OPTIMIZERS = {
    "ada": ({}, set()),
    "lateloss": ({
        "train_solution": (  # records the loss after the update, not before
            "def train(model, inputs, targets, loss_fn, optimizer, epochs):\n    losses = []\n"
            "    for _ in range(epochs):\n        optimizer.zero_grad()\n"
            "        loss_fn(model(inputs), targets).backward()\n        optimizer.step()\n"
            "        losses.append(loss_fn(model(inputs), targets).item())\n    return losses\n"),
        "my_adam_solution": mutate(MY_ADAM, "v_hat.sqrt() + self.eps", "(v_hat + self.eps).sqrt()"),
        "my_rmsprop_solution": mutate(MY_RMSPROP, "            if p.grad is None:\n                continue\n", ""),
    }, {"test_train_basic", "test_my_adam_basic", "test_my_adam_hidden", "test_my_rmsprop_hidden"}),
    "generator": ({
        "my_sgd_solution": mutate(MY_SGD, "self.params = list(params)", "self.params = params"),
        "my_adam_solution": mutate(mutate(MY_ADAM, " / (1 - beta1 ** self.t[i])", ""), " / (1 - beta2 ** self.t[i])", ""),
    }, {"test_my_sgd_basic", "test_my_sgd_hidden", "test_my_adam_basic", "test_my_adam_hidden",
        "test_my_optimizers_in_my_train"}),
}
MNIST_NET = reference_solution("mnist_classifier", "mnist_net_solution")
TRAIN_ONE_EPOCH = reference_solution("mnist_classifier", "train_one_epoch_solution")
EVALUATE = reference_solution("mnist_classifier", "evaluate_solution")
MNIST_CLASSIFIER = {
    "ada": ({}, set()),
    "batchmean": ({  # averages the batches' means: wrong when the last batch is smaller
        "train_one_epoch_solution": mutate(mutate(TRAIN_ONE_EPOCH, "loss.item() * len(inputs)", "loss.item()"),
                                           "samples += len(inputs)", "samples += 1"),
        "evaluate_solution": mutate(mutate(EVALUATE, ".sum().item()", ".float().mean().item()"),
                                    "correct / len(loader.dataset)", "correct / len(loader)"),
    }, {"test_train_one_epoch_mean_over_samples", "test_evaluate_accuracy"}),
    "forgetful": ({  # no model.train() / model.eval(), no torch.no_grad(), batches left where they are
        "train_one_epoch_solution": mutate(mutate(TRAIN_ONE_EPOCH, "    model.train()\n", ""),
                                           "inputs, labels = inputs.to(device), labels.to(device)", "pass"),
        "evaluate_solution": mutate(mutate(mutate(EVALUATE, "    model.eval()\n", ""), "with torch.no_grad():", "if True:"),
                                    "inputs, labels = inputs.to(device), labels.to(device)", "pass"),
    }, {"test_train_one_epoch_mode_and_device", "test_evaluate_mode_and_no_grad", "test_evaluate_hidden"}),
    "nozerograd": ({
        "train_one_epoch_solution": mutate(TRAIN_ONE_EPOCH, "        optimizer.zero_grad()\n", ""),
    }, {"test_train_one_epoch_learns", "test_train_one_epoch_matches_reference", "test_mnist_accuracy"}),
    "logsoftmax": ({  # log-probabilities out: trains as well (CrossEntropyLoss applies log-softmax again), but not logits
        "mnist_net_solution": mutate(MNIST_NET, ".flatten(start_dim=1))", ".flatten(start_dim=1)).log_softmax(dim=1)"),
    }, {"test_mnist_net_returns_logits"}),
    "flatsize": ({  # in_features computed as if the convolutions were padded
        "mnist_net_solution": mutate(MNIST_NET, "nn.Linear(32 * 4 * 4, 10)", "nn.Linear(32 * 7 * 7, 10)"),
    }, {"test_mnist_net_output_shape", "test_mnist_net_returns_logits", "test_mnist_net_hidden", "test_mnist_accuracy"}),
}
MISTAKES = {"loss_functions": LOSS_FUNCTIONS, "optimizers": OPTIMIZERS, "mnist_classifier": MNIST_CLASSIFIER}
# What the feedback must show of the tests' messages (visible tests, and hidden ones), per assignment and learner.
FEEDBACK_MESSAGES = {
    "loss_functions": {"sumsquares": "Square each difference, then take the mean",
                       "builtins": "PyTorch's built-in losses", "detached": "cut off from autograd"},
    "optimizers": {"lateloss": "record the loss before optimizer.step()", "generator": "MyAdam(): after step 1, parameter 0 of shape (3,) differs"},
    "mnist_classifier": {"forgetful": "call model.train() first", "logsoftmax": "remove the log_softmax at the end",
                         "flatsize": "check the in_features of your Linear layer",
                         "batchmean": "weight each batch's loss by its number of samples"},  # a hidden test's message
}


def learners(assignment):
    return [*MISTAKES[assignment], "untouched"]


def user_id(assignment, learner):
    """The learner's Canvas user id, which zip_collect makes their nbgrader student id."""
    return str(1000 + learners(assignment).index(learner))


def readme_instructor_commands(assignment):
    """The README's instructor commands, for `assignment` in place of loss_functions."""
    text = (ROOT / "README.md").read_text()
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
                text = nbformat.writes(filled_student_copy(assignment, notebook, course, MISTAKES[assignment][learner][0]))
            suffix = " (1)" if number == 1 else ""  # a file Colab renamed on a second download
            archive.writestr(f"{learner}_{user_id(assignment, learner)}_{2000 + number}_{assignment}{suffix}.ipynb", text)


def canvas_gradebook(assignment, path):
    """The gradebook CSV that Canvas exports, with every learner of `assignment` on it."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         *(f"{a} ({900 + i})" for i, a in enumerate(sorted(MISTAKES)))])
        writer.writerow(["    Points Possible", "", "", "", "", *([""] * len(MISTAKES))])
        for learner in learners(assignment):
            writer.writerow([learner, user_id(assignment, learner), "", learner, "A", *([""] * len(MISTAKES))])


@pytest.fixture(scope="module", params=sorted(MISTAKES))
def graded(request, course):
    """Every learner of one assignment collected, autograded, given feedback and exported, by the
    README's commands; returns (course, assignment, {learner: {grade_id: (score, max, needs_manual)}})."""
    assignment = request.param
    archive = course / "downloaded" / assignment / "archive"
    archive.mkdir(parents=True)
    lms_zip(course, assignment, archive / "submissions.zip")
    canvas_gradebook(assignment, course / "canvas_gradebook.csv")
    for command in readme_instructor_commands(assignment):
        proc = subprocess.run(command, shell=True, cwd=course, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"README command failed: {command}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
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
    for learner, (_, expected_failures) in MISTAKES[assignment].items():
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
        if learner in FEEDBACK_MESSAGES[assignment]:
            assert FEEDBACK_MESSAGES[assignment][learner] in text
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
    learners_code = [code for replacements, _ in MISTAKES[assignment].values() for code in replacements.values()]
    secrets = secret_lines(source, learners_code)
    assert secrets
    for learner in learners(assignment):
        text = feedback_text(course, user_id(assignment, learner), assignment)
        shown = [line for line in secrets if line in text]
        assert not shown, f"{learner}'s feedback shows hidden test code: {shown[:3]}"
        assert "HIDDEN TESTS" not in text
