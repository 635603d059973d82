"""What a learner sees before submitting: each pitfall the lessons and assignments stress fails a
visible check, with a message that says what to fix. Runs the reference copy's cells in this
process, as a learner's notebook runs them in Colab (learner_call(f, ...) is f(...) there)."""
import contextlib
import io

import nbformat
import pytest

import coursekit
from coursekit.reading import python_text
from grader.course import ROOT, assignments
from grader.notebook import HIDDEN_TESTS


def cells_of(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return nb.cells


def run_cells(assignment, replacements, stop_after=None, skip=(), student=False):
    """Run the notebook's code cells in one namespace, as a learner's Run All does, with the reference
    solutions except the `replacements` ({solution grade_id: (old, new)}, old None for the whole cell);
    test cells only when they are `stop_after` or not in `skip`; `student`: without the hidden tests, as
    in the student copy. Returns (namespace, printed text)."""
    namespace, out = {}, io.StringIO()
    coursekit.VISIBLE_RESULTS.clear()  # (a new kernel's: the kit keeps them)
    for cell in cells_of(assignment):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type != "code" or not meta or grade_id in skip:  # free cells: timing, comparisons
            continue
        if stop_after and meta.get("grade") and not meta.get("solution") and grade_id != stop_after:
            continue
        source = cell.source
        if grade_id in replacements:
            old, new = replacements[grade_id]
            if old is None:
                source = new
            else:
                assert old in source, f"the reference solution changed: {old!r} is gone from {grade_id}"
                source = source.replace(old, new)
        if student:
            source = HIDDEN_TESTS.sub("", source)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(python_text(source), namespace)
        if grade_id == stop_after:
            return namespace, out.getvalue()
    return namespace, out.getvalue()


def run_visible_check(assignment, test_id, replacements):
    """The message of the visible check `test_id` as a learner's notebook shows it, or None when it passed."""
    namespace, printed = run_cells(assignment, replacements, stop_after=test_id)
    assert test_id in coursekit.VISIBLE_RESULTS, f"{test_id} recorded no result"
    message = coursekit.VISIBLE_RESULTS[test_id][1]
    assert message is None or f"FAILED {test_id}" in printed, "a failed check says so where it runs"
    return message


PITFALLS = [  # (assignment, test cell, {solution: (reference code or None, the mistake)}, what the message must say)
    ("loss_functions", "test_mse_loss_basic",
     {"mse_loss_solution": (None, "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n")},
     "then take the mean (not the sum)"),
    ("loss_functions", "test_huber_loss_delta",  # SmoothL1's formula: passes the default-delta check
     {"huber_loss_solution": (None, "def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
                                    "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n")},
     "SmoothL1 divides by delta instead"),
    ("loss_functions", "test_multi_margin_loss_margin",
     {"multi_margin_loss_solution": (None, "def multi_margin_loss(scores, target, margin=1.0):\n"
                                           "    true = scores.gather(1, target.unsqueeze(1))\n"
                                           "    hinge = (1.0 - true + scores).clamp(min=0).scatter(1, target.unsqueeze(1), 0.0)\n"
                                           "    return (hinge.sum(dim=1) / scores.shape[1]).mean()\n")},
     "Use the margin argument, not 1"),
    ("loss_functions", "test_cross_entropy_basic",
     {"cross_entropy_solution": (None, "def cross_entropy(logits, target):\n    p = torch.softmax(logits, dim=1)\n"
                                       "    return -torch.log(p[torch.arange(len(target)), target]).mean()\n")},
     "underflows to 0 and log(0) is -inf"),
    ("mnist_classifier", "test_train_one_epoch_mean_over_samples",
     {"train_one_epoch_solution": ("loss.item() * len(inputs)", "loss.item()")},
     "weight each batch's loss by its number of samples"),
    ("optimizers", "test_my_adam_basic",
     {"my_adam_solution": ("v_hat.sqrt() + self.eps", "(v_hat + self.eps).sqrt()")},
     "ε goes after the square root, m̂ / (√v̂ + ε)"),
    ("optimizers", "test_my_adam_basic",
     {"my_adam_solution": ("m_hat = self.m[i] / (1 - beta1 ** self.t[i])", "m_hat = self.m[i]")},
     None),  # half a bias correction: fails, with no slip named that is not there
    ("optimizers", "test_my_adam_basic",
     {"my_adam_solution": ("            m_hat = self.m[i] / (1 - beta1 ** self.t[i])\n"
                           "            v_hat = self.v[i] / (1 - beta2 ** self.t[i])\n",
                           "            m_hat, v_hat = self.m[i], self.v[i]\n")},
     "bias correction divides m by (1 − β1^t) and v by (1 − β2^t)"),
    ("optimizers", "test_my_rmsprop_basic",
     {"my_rmsprop_solution": ("self.square_avg[i].sqrt() + self.eps", "(self.square_avg[i] + self.eps).sqrt()")},
     "ε goes after the square root, g / (√s + ε)"),
    ("optimizers", "test_my_rmsprop_basic",
     {"my_rmsprop_solution": ("mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)",
                              "mul_(1 - self.alpha).addcmul_(p.grad, p.grad, value=self.alpha)")},
     "s = α·s + (1 − α)·g²"),
    ("optimizers", "test_my_sgd_basic",
     {"my_sgd_solution": ("self.buffers[i].mul_(self.momentum).add_(p.grad)",
                          "self.buffers[i].mul_(self.momentum).add_(p.grad, alpha=1 - self.momentum)")},
     "the buffer is b = μ·b + g (the whole gradient"),
    ("training_recipes", "test_one_cycle_lr_basic",
     {"one_cycle_lr_solution": ("pct_start * total_steps - 1", "pct_start * total_steps")},
     "Your schedule is OneCycleLR with the peak one step late"),
    ("training_recipes", "test_one_cycle_lr_basic",
     {"one_cycle_lr_solution": ("(1 + math.cos(math.pi * pct))", "2 * (1 - pct)")},
     "Your schedule is OneCycleLR with a linear anneal"),
    ("training_recipes", "test_one_cycle_lr_settings",
     {"one_cycle_lr_solution": ("final = initial / final_div_factor", "final = initial")},
     "Your schedule is OneCycleLR with no final division"),
    ("training_recipes", "test_my_adamw_basic",
     {"my_adamw_solution": ("p.mul_(1 - self.lr * self.weight_decay)", "p.grad.add_(p, alpha=self.weight_decay)")},
     "torch.optim.Adam(weight_decay=...), the L2 term added to the gradient"),
    ("training_recipes", "test_my_adamw_basic",
     {"my_adamw_solution": ("p.mul_(1 - self.lr * self.weight_decay)", "p.mul_(1 - self.weight_decay)")},
     "the decay not multiplied by lr"),
    ("training_recipes", "test_bce_with_logits_weighted_basic",
     {"bce_with_logits_weighted_solution": ("pos_weight * target * F.softplus(-logits) + (1 - target) * F.softplus(logits)",
                                            "target * F.softplus(-logits) + pos_weight * (1 - target) * F.softplus(logits)")},
     "pos_weight on the negative term"),
    ("training_recipes", "test_bce_with_logits_weighted_basic",
     {"bce_with_logits_weighted_solution": ("F.softplus(-logits)",
                                            "((-logits).clamp(min=0) + torch.log1p(torch.exp(-logits.abs())))")},
     "use F.softplus, whose gradient is right at 0"),
    ("training_recipes", "test_cross_entropy_weighted_basic",
     {"cross_entropy_weighted_solution": ("/ row_weight.sum()", "/ len(target)")},
     "the weighted sum divided by N, the number of rows"),
]


@pytest.mark.parametrize("assignment, test_id, replacements, message", PITFALLS,
                         ids=[f"{p[1]}-{i}" for i, p in enumerate(PITFALLS)])
def test_pitfall_fails_a_visible_check_that_says_what_to_fix(assignment, test_id, replacements, message):
    said = run_visible_check(assignment, test_id, replacements)
    assert said is not None, f"{test_id} passes with the mistake {replacements}"
    if message is None:
        assert "It moves exactly like" not in said, f"a slip was named that is not there: {said[:300]}"
    else:
        assert message in said, f"{test_id} should say {message!r}, says: {said[:400]}"


@pytest.mark.parametrize("test_id", ["test_my_sgd_basic", "test_my_adam_basic", "test_my_rmsprop_basic"])
def test_reference_passes_the_visible_checks(test_id):
    assert run_visible_check("optimizers", test_id, {}) is None


def test_the_smoothl1_mistake_passes_the_default_delta_check():
    """Why the delta check must be visible: with delta = 1 SmoothL1 and Huber agree."""
    smooth_l1 = ("def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
                 "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n")
    assert run_visible_check("loss_functions", "test_huber_loss_basic", {"huber_loss_solution": (None, smooth_l1)}) is None


@pytest.mark.parametrize("assignment", assignments())
def test_visible_checks_carry_two_thirds_of_the_autograded_points(assignment):
    """A learner can check, before submitting, at least two thirds of the points the grader gives."""
    tests = [c for c in cells_of(assignment)
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]
    total = sum(c.metadata.nbgrader["points"] for c in tests)
    visible = sum(c.metadata.nbgrader["points"] for c in tests if "### BEGIN HIDDEN TESTS" not in c.source)
    print(f"{assignment}: {visible} of {total} auto-graded points checkable before submitting")
    assert visible * 3 >= total * 2, f"{assignment}: visible checks carry {visible} of {total} auto-graded points"


MISTAKE_MIDWAY = {  # a mistake early in the notebook: the run must go on past it
    "loss_functions": ("test_huber_loss_delta", {"huber_loss_solution": (
        None, "def huber_loss(pred, target, delta=1.0):\n    return (pred - target).abs().mean()\n")}),
    "optimizers": ("test_my_sgd_basic", {"my_sgd_solution": (
        None, "class MySGD:\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n\n"
              "    def zero_grad(self):\n        pass\n\n    def step(self):\n        pass\n")}),
    "training_recipes": ("test_one_cycle_lr_basic", {"one_cycle_lr_solution": (
        None, "def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):\n"
              "    return max_lr\n")}),
}


@pytest.mark.parametrize("assignment", sorted(MISTAKE_MIDWAY))
def test_summary_is_the_learners_score_and_a_failure_does_not_stop_the_run(assignment, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace, printed = run_cells(assignment, {}, student=True)
    total = sum(namespace["VISIBLE_CHECKS"].values())
    assert f"Visible checks: {total} of {total} points" in printed and "FAILED" not in printed

    failing, mistake = MISTAKE_MIDWAY[assignment]
    namespace, printed = run_cells(assignment, mistake, student=True, skip={"visible_checks_summary"})
    results = dict(coursekit.VISIBLE_RESULTS)
    assert set(namespace_checks(assignment)) <= set(results), "a failed check stopped the run"
    assert results[failing][1] and f"FAILED {failing}" in printed
    lost = namespace_checks(assignment)[failing]
    with pytest.raises(AssertionError, match="some visible checks failed"):
        run_cells(assignment, mistake, student=True)
    earned = sum(p for g, (p, message) in results.items() if message is None)
    assert earned <= total - lost


def namespace_checks(assignment):
    """The summary cell's list of visible checks: {grade id: points}."""
    summary = next(c for c in cells_of(assignment)
                   if c.metadata.get("nbgrader", {}).get("grade_id") == "visible_checks_summary")
    namespace = {}
    exec(summary.source.split("\nsummary(")[0], namespace)
    return namespace["VISIBLE_CHECKS"]


def test_when_graded_a_failed_visible_check_fails_its_cell(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    smooth_l1 = ("def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
                 "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n")
    with pytest.raises(AssertionError, match="SmoothL1"):
        run_cells("loss_functions", {"huber_loss_solution": (None, smooth_l1)}, stop_after="test_huber_loss_delta")


@pytest.mark.parametrize("assignment", assignments())
def test_summary_lists_exactly_the_visible_checks(assignment):
    cells = cells_of(assignment)
    summary = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "visible_checks_summary"]
    assert len(summary) == 1 and summary[0].metadata.nbgrader.get("locked"), "one locked summary cell"
    namespace = {}
    exec(summary[0].source.split("\nsummary(")[0], namespace)
    tests = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]
    visible = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in tests
               if "### BEGIN HIDDEN TESTS" not in c.source}
    assert namespace["VISIBLE_CHECKS"] == visible
    assert namespace["HIDDEN_POINTS"] == sum(c.metadata.nbgrader["points"] for c in tests) - sum(visible.values())
    assert namespace["HAND_GRADED_POINTS"] == sum(c.metadata.nbgrader["points"] for c in cells
                                                  if c.metadata.get("nbgrader", {}).get("grade")
                                                  and c.metadata.nbgrader.get("solution"))
    for grade_id, points in visible.items():
        cell = next(c for c in tests if c.metadata.nbgrader["grade_id"] == grade_id)
        assert cell.source.splitlines()[1] == f'with visible_check("{grade_id}", {points}):', \
            f"{grade_id}: wrap the check in visible_check with its own id and points"


def test_the_shared_helpers_are_written_once_in_the_student_kit():
    """visible_check, the summary, learner_call and the training-loop probes come from coursekit; no
    notebook defines its own copy."""
    for assignment in assignments():
        for cell in cells_of(assignment):
            for name in ("visible_check", "being_graded", "learner_call", "RecordedLoss", "RecordedOptimizer"):
                assert f"def {name}(" not in cell.source and f"class {name}:" not in cell.source, (assignment, name)


def _notebook_file(assignment, replacements, tmp_path):
    """The source notebook with `replacements` ({grade_id: new source}), saved as a learner's file."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in replacements:
            cell.source = replacements[cell.metadata.nbgrader.grade_id]
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(nb, path)
    return path


BUILT_IN = {
    "loss_functions": ("test_mse_loss_basic", "mse_loss_solution",
                       "def mse_loss(pred, target):\n    return F.mse_loss(pred, target)\n", "uses torch.nn.functional.mse_loss"),
    "optimizers": ("test_my_sgd_basic", "my_sgd_solution",
                   "class MySGD(torch.optim.SGD):\n    pass\n", "uses torch.optim.SGD"),
    "mnist_classifier": ("test_evaluate_accuracy", "evaluate_solution",
                         "def evaluate(model, loader, device):\n    return __import__('sklearn')\n", "uses __import__"),
}


@pytest.mark.parametrize("assignment", sorted(BUILT_IN))
def test_the_own_work_rule_is_a_visible_check_too(assignment, tmp_path, monkeypatch):
    """In the learner's notebook (JupyterLab names its file in JPY_SESSION_NAME; Colab hands over its
    copy), a graded function that uses what its part does not allow fails its visible checks with
    the grader's own words; the reference passes them all with the rule applied."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    test_id, cell, source, words = BUILT_IN[assignment]
    monkeypatch.setenv("JPY_SESSION_NAME", str(_notebook_file(assignment, {cell: source}, tmp_path)))
    message = run_visible_check(assignment, test_id, {cell: (None, source)})
    assert message and "uses what its part does not allow" in message and words in message, message
    monkeypatch.setenv("JPY_SESSION_NAME", str(_notebook_file(assignment, {}, tmp_path)))
    namespace, printed = run_cells(assignment, {}, skip={"visible_checks_summary", "test_mnist_accuracy"}, student=True)
    assert "FAILED" not in printed, printed[-2000:]


def test_a_line_left_out_when_graded_is_a_note_in_the_learners_visible_check(monkeypatch, capsys):
    """A statement that changes what a graded function reads, with what its part does not allow, does not run when
    graded (student-kit/coursekit/own_work.py, round fifty-six): the visible check says so once, and still passes."""
    import torch

    from coursekit import checks
    nb = nbformat.read(ROOT / "source" / "loss_functions" / "loss_functions.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "mse_loss_solution":
            cell.source = "SEEN = []\n\n\ndef mse_loss(pred, target):\n    return ((pred - target) ** 2).mean() + 0 * len(SEEN)\n"
    nb.cells.append(nbformat.v4.new_code_cell("SEEN.append(F.mse_loss)\n"))
    monkeypatch.setattr(checks, "this_notebook", lambda: nb)
    monkeypatch.setattr(checks, "_said", set())

    def mse_loss(pred, target):
        return ((pred - target) ** 2).mean()
    for _ in range(2):
        assert checks.learner_call(mse_loss, torch.ones(2), torch.zeros(2)) == 1.0
    said = capsys.readouterr().err
    assert said.count("note: ") == 1 and "`SEEN.append(F.mse_loss)` does not run when mse_loss is graded" in said, said
