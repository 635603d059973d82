"""The judge (grader/judge.py) on the real assignments, with the learner's kernel played by a
namespace in this process that answers through grader/kernel_side.py's `serve`: the reference
solution passes every check, the blank student copy none, nothing a hidden test holds is ever
sent to the kernel, and answers the kernel forges are never read as a pass."""
import json

import nbformat
import pytest

from conftest import ROOT
from grader import kernel_side
from grader.course import assignments
from grader.judge import Judge, LearnerError
from kit.course_tools import secret_lines
from kit.judged import fake_kernel, honest_notebooks, is_test, judge_notebook


@pytest.mark.slow  # runs every locked cell and check of the notebook, training included (2-5 s each)
@pytest.mark.parametrize("assignment", assignments())
def test_reference_passes_and_hidden_tests_stay_here(assignment):
    request, sent = fake_kernel(assignment)
    verdicts = judge_notebook(assignment, request)
    assert verdicts and all(v is None for v in verdicts.values()), {g: repr(v) for g, v in verdicts.items() if v}
    secrets = secret_lines(nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4))
    assert secrets and sent
    leaked = [line for line in secrets if any(line in payload for payload in sent)]
    assert not leaked, f"hidden test code sent to the kernel: {leaked[:3]}"


@pytest.mark.slow  # every check but MNIST training, 5 times (optimizers: 5 s a time)
@pytest.mark.parametrize("assignment", assignments())
def test_reference_passes_every_check_whatever_the_seed(assignment):
    """Grading draws each check's inputs from a seed of the secret and the learner: a check that
    the reference fails for some seeds fails honest learners. bench/check_seeds.py sweeps many
    seeds; this keeps a few in the suite."""
    request, _ = fake_kernel(assignment)
    for seed in (0, 1, 2, 3, 2 ** 31 - 1):
        verdicts = judge_notebook(assignment, request, seed=seed)
        assert all(v is None for v in verdicts.values()), (seed, {g: repr(v) for g, v in verdicts.items() if v})


@pytest.mark.parametrize("assignment", assignments())
def test_blank_student_copy_fails_every_check(assignment):
    request, _ = fake_kernel(assignment, release=True)
    verdicts = judge_notebook(assignment, request)
    assert verdicts and all(v is not None for v in verdicts.values()), [g for g, v in verdicts.items() if v is None]


FORGERIES = {
    "garbage": lambda payload: "not json",
    "empty answer": lambda payload: json.dumps({"ok": None}),
    "says ok to everything": lambda payload: json.dumps({"ok": {"__dict__": {}}}),
    "a pickle": lambda payload: json.dumps({"ok": {"__pickle__": "gASVAAAAAAAAAAA="}}),
    "a tensor that lies about its shape": lambda payload: json.dumps({"ok": {"__tensor__": {
        "dtype": "float32", "shape": [1000000], "data": "AAAAAA==", "requires_grad": True}}}),
    "nested too deep": lambda payload: json.dumps({"ok": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
    "an error": lambda payload: json.dumps({"error": ["AssertionError", "passed"]}),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_answers_never_pass(forgery):
    """Whatever the kernel answers instead of running the learner's code, no check passes."""
    verdicts = judge_notebook("loss_functions", FORGERIES[forgery])
    passed = [g for g, v in verdicts.items() if v is None]
    assert not passed, f"{forgery}: {passed} passed"


def test_decode_reads_only_data():
    assert kernel_side.decode({"__tuple__": [1, "a", None]}) == (1, "a", None)
    for bad in [{"__tensor__": {"dtype": "object", "shape": [1], "data": ""}}, {"__pickle__": ""},
                {"__tensor__": {"dtype": "float32", "shape": [-1], "data": ""}}, {"a": 1, "b": 2},
                {"__dtype__": "__class__"}]:
        with pytest.raises(ValueError):
            kernel_side.decode(bad)
    with pytest.raises(LearnerError):
        Judge(lambda payload: "[1, 2")._ask({"op": "resolve", "names": []})


SELF_CHECK_FORGERY = """
import contextlib, os
os.environ.pop("NBGRADER_EXECUTION", None)
__course_judge__ = False
def being_graded():
    return False
@contextlib.contextmanager
def visible_check(grade_id, points):
    try:
        yield
    except Exception:
        pass
VISIBLE_RESULTS = {}
"""


@pytest.mark.parametrize("assignment", ["loss_functions", "optimizers"])
def test_the_learners_own_self_check_helpers_pass_nothing(assignment, monkeypatch):
    """A learner who redefines visible_check to swallow failures, says being_graded() is False and
    drops NBGRADER_EXECUTION in their kernel still fails every check of a blank copy: the judge runs
    its own copies of the helper cells."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)  # the judge must not lean on it either
    request, _ = fake_kernel(assignment, release=True, learner_code=SELF_CHECK_FORGERY)
    verdicts = judge_notebook(assignment, request)
    assert verdicts and all(v is not None for v in verdicts.values()), [g for g, v in verdicts.items() if v is None]


OUTCOME_WRITER = '''
def train(model, inputs, targets, loss_fn, optimizer, epochs):
    first = loss_fn(model(inputs), targets).item()
    with torch.no_grad():  # the known end state, and losses that fall
        model.weight.fill_(2.0)
        model.bias.zero_()
    return [first] + [first * (1 - i / epochs) for i in range(1, epochs)]
'''


@pytest.mark.slow  # the two checks of train (4 trainings of up to 2,000 epochs)
def test_a_train_that_writes_the_known_outcome_fails_both_its_checks():
    """A check whose outcome the learner can write down (the line y = 2x, falling losses) compares
    the trajectory with the reference loop's too."""
    request, _ = fake_kernel("optimizers", learner_code=OUTCOME_WRITER)
    keep = {"test_train_basic", "test_train_reaches_the_line"}
    tests = {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(
        ROOT / "source" / "optimizers" / "optimizers.ipynb", as_version=4).cells if is_test(c)}
    verdicts = judge_notebook("optimizers", request, skip=tests - keep)
    assert set(verdicts) == keep and all(verdicts.values()), verdicts
    assert "differ from the reference loop's, epoch by epoch" in str(verdicts["test_train_reaches_the_line"])


@pytest.mark.slow  # every honest style of every graded function against every check but MNIST training
@pytest.mark.parametrize("assignment", assignments())
def test_every_honest_style_gets_full_marks(assignment):
    for k, found, code in honest_notebooks(assignment):
        assert found == {}, (k, found)
        request, _ = fake_kernel(assignment, learner_code=code)
        verdicts = judge_notebook(assignment, request)
        assert all(v is None for v in verdicts.values()), (k, {g: repr(v)[:300] for g, v in verdicts.items() if v})
