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


PITFALLS = [  # (assignment, test cell, {solution: (reference code, the mistake)}, what the message must say)
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
