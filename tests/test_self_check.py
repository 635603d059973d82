"""What a learner sees before submitting: each pitfall the lessons and assignments stress fails a
visible check, with a message that says what to fix. Runs the reference copy's cells in this
process, as a learner's notebook runs them in Colab (learner_call(f, ...) is f(...) there)."""
import nbformat
import pytest

from course_tools import ROOT


def cells_of(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return nb.cells


def run_visible_check(assignment, test_id, replacements):
    """Run the notebook's code cells up to `test_id` with the reference solutions, except the
    `replacements` ({solution grade_id: (old, new)}), and return the check's AssertionError message
    or None when it passed."""
    namespace = {}
    for cell in cells_of(assignment):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type != "code" or (meta.get("grade") and grade_id != test_id):
            continue
        source = cell.source
        if grade_id in replacements:
            old, new = replacements[grade_id]
            if old is None:  # the whole cell written another way
                source = new
            else:
                assert old in source, f"the reference solution changed: {old!r} is gone from {grade_id}"
                source = source.replace(old, new)
        if not meta:  # a learner's free cell (a timing cell, a comparison): not needed by the checks
            continue
        if grade_id == test_id:
            try:
                exec(source, namespace)
            except AssertionError as error:
                return str(error)
            return None
        exec(source, namespace)
    raise AssertionError(f"no test cell {test_id} in {assignment}")


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
     "Adam with ε inside the square root: add ε after the square root"),
    ("optimizers", "test_my_adam_basic",
     {"my_adam_solution": ("m_hat = self.m[i] / (1 - beta1 ** self.t[i])", "m_hat = self.m[i]")},
     None),  # half a bias correction: fails, with no slip named that is not there
    ("optimizers", "test_my_adam_basic",
     {"my_adam_solution": ("            m_hat = self.m[i] / (1 - beta1 ** self.t[i])\n"
                           "            v_hat = self.v[i] / (1 - beta2 ** self.t[i])\n",
                           "            m_hat, v_hat = self.m[i], self.v[i]\n")},
     "Adam with no bias correction: divide m by (1 − β1^t) and v by (1 − β2^t)"),
    ("optimizers", "test_my_rmsprop_basic",
     {"my_rmsprop_solution": ("self.square_avg[i].sqrt() + self.eps", "(self.square_avg[i] + self.eps).sqrt()")},
     "RMSprop with ε inside the square root"),
    ("optimizers", "test_my_rmsprop_basic",
     {"my_rmsprop_solution": ("mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)",
                              "mul_(1 - self.alpha).addcmul_(p.grad, p.grad, value=self.alpha)")},
     "RMSprop with α and 1 − α swapped"),
    ("optimizers", "test_my_sgd_basic",
     {"my_sgd_solution": ("self.buffers[i].mul_(self.momentum).add_(p.grad)",
                          "self.buffers[i].mul_(self.momentum).add_(p.grad, alpha=1 - self.momentum)")},
     "SGD with the momentum buffer damped"),
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


@pytest.mark.parametrize("assignment", sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir()))
def test_visible_checks_carry_two_thirds_of_the_autograded_points(assignment):
    """A learner can check, before submitting, at least two thirds of the points the grader gives."""
    tests = [c for c in cells_of(assignment)
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]
    total = sum(c.metadata.nbgrader["points"] for c in tests)
    visible = sum(c.metadata.nbgrader["points"] for c in tests if "### BEGIN HIDDEN TESTS" not in c.source)
    print(f"{assignment}: {visible} of {total} auto-graded points checkable before submitting")
    assert visible * 3 >= total * 2, f"{assignment}: visible checks carry {visible} of {total} auto-graded points"
