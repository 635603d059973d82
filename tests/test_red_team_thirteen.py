"""An independent red team's thirteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, the code runs as graded with the guards
installed, and it earns check points without doing what the check asks).

The road of this round: the locked cells' helpers run IN THE LEARNER'S KERNEL (learner_call(optimizer_steps,
MyAdam, ...), run_train, run_evaluate, ...), and they find their globals there, at call time, in the
learner's namespace, where Python's built-ins are looked up too. The kernel keeps each locked cell's
objects (kernel_side.KEPT), so the judge calls the helper it trusts, but what that helper calls by name
(`isinstance`, `getattr`, `holds_torch_optimizer`, `RecordedOptimizer`, ...) is whatever the learner's
namespace holds then. A learner's top-level `isinstance = mine` (or `getattr = mine`) is not a read of a
built-in (the own-work rule checks reads), is no name of a locked cell (tamper.rebinds_locked_names and
tampering_in_code watch those, not builtins) and runs when graded, as part of a graded name's code.

1. A graded optimizer that is a string. The helpers take "yours, or the name of a torch.optim class" and
   tell them apart with isinstance(optimizer_class, str). `class Name(str)` with a `__call__` (a
   CLASS_DUNDER) makes `MyAdam = Name("Adam")` callable, so the judge binds it as the learner's code
   (LearnerCode, __name__ "MyAdam"), and in the kernel optimizer_steps/run_train look it up in
   TORCH_OPTIMIZERS (a str subclass hashes and compares as the str): torch.optim.Adam itself runs. The one
   runtime sign that sees it (holds_torch_optimizer, and training_recipes' inline isinstance test) is
   blinded by the learner's `isinstance`, which answers False for torch.optim.Optimizer (found by its
   __name__, a harmless dunder) and asks the real isinstance (kept in a list before the rebinding) for
   the rest. optimizers: MySGD, MyAdam, MyRMSprop, no update rule written, earn test_my_sgd_basic (2),
   test_my_sgd_hidden (1), test_my_adam_basic (3), test_my_adam_hidden (1), test_my_rmsprop_basic (2),
   test_my_rmsprop_hidden (1) and test_my_optimizers_in_my_train (2): 12 points. training_recipes:
   MyAdamW = Name("AdamW") earns test_my_adamw_basic (3) and test_my_adamw_hidden (1): 4 points.
2. `getattr = mine` forges a probe's record: run_evaluate reads the RecordingModel's record with
   getattr(model, "_calls", []); the learner's getattr answers "eval mode, no gradients" for "_calls".
   mnist_classifier: an evaluate that never calls model.eval() nor torch.no_grad() earns
   test_evaluate_mode_and_no_grad (2 points).
Refused (by grader/tamper.py, every check 0) although the own-work rule accepts them and they earn in a
kernel without the tamper check: the same road through a locked cell's names. `RecordedOptimizer = mine`
hands train the checks' raw torch optimizers (SGD, Adam, RMSprop, from test_train_reaches_the_line's runs
in the kernel); their `.__init__(params, **settings)` (a harmless dunder) points one at a stub's
parameters and a `DispatchedOps = mine` whose __enter__ steps it runs the update; and
`holds_torch_optimizer = mine` instead of `isinstance` in attack 1.
"""
import warnings

import nbformat
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from conftest import ROOT
from coursekit.own_work import notebook_plan
from grader.learner_code import read_notebook
from test_own_work import M, O, R, checks_of, locked, replaced
from test_red_team_eleven import _judge


def _tampering(assignment, cells_):
    """What grader/tamper.py names (every check then scores 0) for the notebook with these learner cells."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    sources = dict(cells_)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = sources[grade_id]
    return read_notebook(nb).tampering


def _refused(assignment, cells_, names, checks):
    """The checks of `checks` that the learner's cells pass, where neither rule refuses `names` ([] if refused)."""
    if _tampering(assignment, cells_):
        return []
    found, _ = notebook_plan(cells_, locked(assignment), checks_of(assignment))
    if set(names) & set(found):
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, verdicts = _judge(assignment, cells_, checks)
    return [k for k in checks if verdicts.get(k) is None]


# ----------------------------------------------------------------------------------------------
# 1. A graded optimizer that is the name of torch's, and `isinstance` rebound in the kernel.

from kit.attacks import NAMED_BY_A_STRING as SEES  # (the round's helper, kept where the class-graded attacks use it too)

OPTIMIZER_NAMES = {"my_sgd_solution": SEES + 'MySGD, isinstance = Name("SGD"), sees\n',
                   "my_adam_solution": 'MyAdam = Name("Adam")\n', "my_rmsprop_solution": 'MyRMSprop = Name("RMSprop")\n'}
OPTIMIZER_CHECKS = ["test_my_sgd_basic", "test_my_sgd_hidden", "test_my_adam_basic", "test_my_adam_hidden",
                    "test_my_rmsprop_basic", "test_my_rmsprop_hidden", "test_my_optimizers_in_my_train"]


def test_my_optimizers_are_torch_optims_names_and_isinstance_is_mine():
    """optimizers: MySGD, MyAdam and MyRMSprop are the strings "SGD", "Adam" and "RMSprop" (12 points)."""
    cells_ = [(n, OPTIMIZER_NAMES.get(n, s)) for n, s in replaced(O, "my_sgd_solution", OPTIMIZER_NAMES["my_sgd_solution"])]
    passed = _refused(O, cells_, ["MySGD", "MyAdam", "MyRMSprop"], OPTIMIZER_CHECKS)
    assert not passed, f"optimizers named by a string ran torch.optim in the kernel and passed {passed}"


def test_my_adamw_is_torch_adamws_name_and_isinstance_is_mine():
    """training_recipes: MyAdamW is the string "AdamW" (4 points)."""
    source = SEES + 'MyAdamW, isinstance = Name("AdamW"), sees\n'
    cells_ = replaced(R, "my_adamw_solution", source)
    passed = _refused(R, cells_, ["MyAdamW"], ["test_my_adamw_basic", "test_my_adamw_hidden"])
    assert not passed, f"MyAdamW named by a string ran torch.optim.AdamW in the kernel and passed {passed}"


def test_the_string_alone_is_seen():
    """(Where attack 1 stands without its `isinstance`: holds_torch_optimizer sees torch's optimizer.)"""
    source = SEES + 'MyAdamW = Name("AdamW")\n'
    cells_ = replaced(R, "my_adamw_solution", source)
    assert not _refused(R, cells_, ["MyAdamW"], ["test_my_adamw_basic"])


# ----------------------------------------------------------------------------------------------
# 2. `getattr` rebound in the kernel: run_evaluate reads the RecordingModel's record through it.

FORGED_EVALUATE = '''def forged(obj, name, default=None):
    if name == "_calls":
        return [{"training": False, "grad_enabled": False}] * 3
    return default


def evaluate_(model, loader, device):
    correct, total = 0, 0
    for inputs, labels in loader:
        correct += (model(inputs).argmax(dim=1) == labels).sum().item()
        total += len(labels)
    return correct / total


evaluate, getattr = evaluate_, forged
'''


def test_getattr_rebound_forges_the_evaluate_record():
    """mnist_classifier: evaluate without model.eval() or torch.no_grad() passes test_evaluate_mode_and_no_grad."""
    checks = ["test_evaluate_accuracy", "test_evaluate_mode_and_no_grad"]
    honest_but_sloppy = FORGED_EVALUATE.replace("evaluate, getattr = evaluate_, forged", "evaluate = evaluate_")
    assert "test_evaluate_mode_and_no_grad" not in _refused(M, replaced(M, "evaluate_solution", honest_but_sloppy),
                                                          ["evaluate"], checks)  # (without the forged record)
    passed = _refused(M, replaced(M, "evaluate_solution", FORGED_EVALUATE), ["evaluate"], checks)
    assert "test_evaluate_mode_and_no_grad" not in passed, "a rebound getattr forged RecordingModel's record"


# ----------------------------------------------------------------------------------------------
# Refused by grader/tamper.py (the own-work rule accepts them, and they earn in a kernel without it):
# a locked cell's names rebound the same way.

CAPTURING_TRAIN = '''KEEP = {}
CURRENT = []
LOG = []


class Recorder:
    def __init__(self, inner, loss):
        name = type(inner).__name__
        if name[:2] == "My":
            torch_opt = KEEP[name[2:]]
            torch_opt.__init__(inner.params, **inner.settings)
            inner = torch_opt
        else:
            KEEP[name] = inner
        self.inner, self.params, self.settings, self.steps = inner, [], {}, []

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.steps.append({"loss": LOG[-1], "fresh_gradients": True})
        self.inner.step()

    def close(self):
        pass


def holds(value, depth=8, seen=None):
    torch_opt = KEEP[type(value).__name__[2:]]
    torch_opt.__init__(value.params, **value.settings)
    CURRENT.append(torch_opt)
    return False


class Dispatched:
    def __init__(self):
        self.ops = set()

    def __enter__(self):
        CURRENT[-1].step()

    def __exit__(self, *exc):
        return None


def train_loop(model, inputs, targets, loss_fn, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        LOG.append(loss.item())
        optimizer.step()
        losses.append(loss.item())
    return losses


train, RecordedOptimizer, holds_torch_optimizer, DispatchedOps = train_loop, Recorder, holds, Dispatched
'''

STUB = '''class {name}:
    def __init__(self, params, **settings):
        self.params = list(params)
        self.settings = settings

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
'''


def test_train_captures_the_checks_torch_optimizers_by_rebinding_recorded_optimizer():
    """optimizers: stubs with a train that rebinds RecordedOptimizer, holds_torch_optimizer and DispatchedOps."""
    rep = {"train_solution": CAPTURING_TRAIN, "my_sgd_solution": STUB.format(name="MySGD"),
           "my_adam_solution": STUB.format(name="MyAdam"), "my_rmsprop_solution": STUB.format(name="MyRMSprop")}
    cells_ = [(n, rep.get(n, s)) for n, s in replaced(O, "train_solution", CAPTURING_TRAIN)]
    found, _ = notebook_plan(cells_, locked(O), checks_of(O))
    # the own-work rule accepted it until round fifty-three (in a kernel without the tamper check it earned 12 points);
    # now it refuses the `.__init__` of the check's optimizer too
    assert "uses .__init__" in " ".join(found.get("train", [])), found
    assert _tampering(O, cells_), "train rebinds the checks' RecordedOptimizer and holds_torch_optimizer"
    assert not _refused(O, cells_, ["train", "MySGD", "MyAdam", "MyRMSprop"],
                        ["test_train_reaches_the_line", "test_my_adam_basic"])


def test_a_string_optimizer_with_holds_torch_optimizer_rebound():
    source = SEES + 'MySGD, holds_torch_optimizer = Name("SGD"), lambda value, depth=8, seen=None: False\n'
    rep = dict(OPTIMIZER_NAMES, my_sgd_solution=source)
    cells_ = [(n, rep.get(n, s)) for n, s in replaced(O, "my_sgd_solution", source)]
    assert _tampering(O, cells_)
    assert not _refused(O, cells_, ["MySGD", "MyAdam", "MyRMSprop"], ["test_my_adam_basic"])
