"""An independent red team's fourteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, the code runs as graded with the guards
installed, and it earns check points without doing what the check asks, or reaches what the rule says
is out of its reach).

1. WIN (2 points for a stub MyRMSprop, at the cost of 1 hidden point): a run given up keeps its torch
   optimizer open. run_train closes the checks' RecordedOptimizer only when the learner's train RETURNS
   (`losses = train_fn(...); optimizer.close()`, no try/finally), so a train that keeps the optimizer
   and the model's parameters in a table of its own and then raises leaves the probe open, and its
   inner torch.optim optimizer steppable in any later check (the probe's step() and zero_grad() are
   on train's list). The hidden check test_train_reaches_the_line runs, in the kernel, exactly the
   settings of test_my_optimizers_in_my_train (SGD lr 0.02 momentum 0.9, Adam lr 0.05, RMSprop lr 0.01)
   on the same nn.Linear(1, 1): train gives up its 5th run (RMSprop, before any step, so the state
   is fresh), and in the 8th (MyRMSprop's, in test_my_optimizers_in_my_train) points the kept
   parameters at the new model's (`old.data = new.data`, `old.grad = new.grad`, both on @tensor) and
   steps torch.optim.RMSprop itself. MyRMSprop has no update rule; test_my_optimizers_in_my_train (2)
   passes, where the same stub with an honest train fails it (test_train_reaches_the_line, 1, is lost).
   run_train has no holds_torch_optimizer, and on the CPU torch's RMSprop runs no _foreach_ kernel.
   (Any one of the three can be kept this way, not two: the hidden check's loop stops at the run
   given up. RecordedLoss has no close() at all, but no part of these notebooks needs a built-in loss.)
2. WIN (the promise "a part with a wider list cannot fill a table that a narrower part reads"): the
   alias rule follows NAMES, and a call's result has none. A table reached through a call is filled by
   train (@training) and read by MySGD (@python, @tensor) without train's statement becoming MySGD's
   code: `view()['x'] = ...` with `def view(): return TABLE` (the def lets TABLE go, so the def is
   MySGD's code, but its callers are not), a generator (`yield TABLE`, `yield from [TABLE]`), a
   decorator that returns TABLE, a learner's CLASS let go bare (`cls = Box; cls.store['x'] = ...`: a
   def's or class's own name let go is exempt, but a class's namespace is a table), a def's mutable
   default returned by a call (`def keep(d={}): return d`), a closure's dict (`holder()`), a class
   attribute reached through an instance (`Box().store['x'] = ...`), MySGD's own class attribute
   filled through an instance that train makes (`MySGD([], 0.1).table['x'] = ...`). Each is
   accepted statically, runs when graded, and MySGD's step runs `.backward()` from train's lambda.
Near misses (refused): the roads the alias rule does follow (`a or TABLE`, `x if c else TABLE`, `a, *b
= [TABLE]`, sorted/zip/iter/next/slices of a list holding it, a dict or comprehension holding it, a
lambda default, a `with` item, `**TABLE`, an exception's argument, match captures and mappings, `+=
[TABLE]`, a walrus inside a call, `global VIEW; VIEW = TABLE`); a table bound only by a def's `global` (no name of the learner's);
attack 1 with the probe closed (train
returns normally: the closed probe refuses step()).
"""
import warnings

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import notebook_plan
from test_own_work import (O, _ALIAS_SGD, _ALIAS_TRAIN, _PUT, checks_of, graded_namespace, locked, replaced)
from test_red_team_thirteen import _refused, _tampering


# ----------------------------------------------------------------------------------------------
# 1. A run given up keeps its torch optimizer open for a later check.

GIVING_UP_TRAIN = '''RUNS = []
HELD = []


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    RUNS.append(epochs)
    params = list(model.parameters())
    if len(RUNS) == 5:
        HELD.append((optimizer, params))
        raise RuntimeError("this run is given up")
    theirs = HELD[0] if len(RUNS) == 8 and HELD else None
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if theirs is not None:
            for old, new in zip(theirs[1], params):
                old.data = new.data
                old.grad = new.grad
            theirs[0].step()
        losses.append(loss.item())
    return losses
'''

STUB_RMSPROP = '''class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
'''

TRAIN_CHECKS = ["test_train_basic", "test_train_reaches_the_line", "test_my_optimizers_in_my_train"]


def _with_stub(train):
    return [(n, STUB_RMSPROP if n == "my_rmsprop_solution" else s) for n, s in replaced(O, "train_solution", train)]


def test_a_run_given_up_keeps_its_torch_optimizer_open_for_a_stub_rmsprop():
    """optimizers: a stub MyRMSprop passes test_my_optimizers_in_my_train (2 points) with torch's RMSprop."""
    passed = _refused(O, _with_stub(GIVING_UP_TRAIN), ["train", "MyRMSprop"], TRAIN_CHECKS)
    assert "test_my_optimizers_in_my_train" not in passed, (
        f"train kept a given-up run's RecordedOptimizer open and stepped torch.optim.RMSprop for a stub: {passed}")


def test_the_stub_rmsprop_alone_fails_in_my_train():
    """(Where attack 1 stands without its kept optimizer: the same train, never giving up a run.)"""
    honest = GIVING_UP_TRAIN.replace("len(RUNS) == 5", "False")
    passed = _refused(O, _with_stub(honest), ["train", "MyRMSprop"], TRAIN_CHECKS)
    assert "test_my_optimizers_in_my_train" not in passed and "test_train_reaches_the_line" in passed, passed


def test_a_run_that_returns_closes_its_optimizer():
    """Near miss: kept from a run that returns, the probe is closed and refuses step()."""
    kept = GIVING_UP_TRAIN.replace('        raise RuntimeError("this run is given up")\n', "")
    passed = _refused(O, _with_stub(kept), ["train", "MyRMSprop"], ["test_my_optimizers_in_my_train"])
    assert "test_my_optimizers_in_my_train" not in passed, passed


# ----------------------------------------------------------------------------------------------
# 2. A table reached through a call: train (@training) fills what MySGD (@python, @tensor) reads.

MISSED_ROADS = {  # (cells before train, train's statement, what MySGD's step calls)
    "return_value": ("def view():\n    return TABLE\n", f"    view()['x'] = {_PUT}", "TABLE['x']"),
    "generator": ("def view():\n    yield TABLE\n", f"    for v in view():\n        v['x'] = {_PUT}", "TABLE['x']"),
    "yield_from": ("def view():\n    yield from [TABLE]\n", f"    for v in view():\n        v['x'] = {_PUT}",
                   "TABLE['x']"),
    "decorator": ("def deco(f):\n    return TABLE\n", f"    @deco\n    def v():\n        pass\n    v['x'] = {_PUT}",
                  "TABLE['x']"),
    "class_let_go_bare": ("class Box:\n    store = {}\n", f"    cls = Box\n    cls.store['x'] = {_PUT}",
                          "Box.store['x']"),
    "mutable_default": ("def keep(d={}):\n    return d\n", f"    keep()['x'] = {_PUT}", "keep()['x']"),
    "closure": ("def make():\n    store = {}\n\n    def get():\n        return store\n    return get\n\n\n"
                "holder = make()\n", f"    holder()['x'] = {_PUT}", "holder()['x']"),
    "instance_of_class": ("class Box:\n    store = {}\n", f"    Box().store['x'] = {_PUT}", "Box.store['x']"),
    "my_sgds_own_class_attribute": ("", f"    MySGD([], 0.1).table['x'] = {_PUT}", "self.table['x']"),
}
# (MySGD keeps the table as its own class attribute: `table = {}` in its body)
_OWN_TABLE_SGD = _ALIAS_SGD.replace("TABLE = {}\n\n\nclass MySGD:\n", "class MySGD:\n    table = {}\n\n")

CAUGHT_ROADS = {
    "boolop": f"    (None or TABLE)['x'] = {_PUT}",
    "ifexp": f"    (TABLE if 1 else None)['x'] = {_PUT}",
    "starred": f"    a, *b = [TABLE]\n    b[0]['x'] = {_PUT}",
    "sorted": f"    for v in sorted([TABLE], key=len):\n        v['x'] = {_PUT}",
    "zip": f"    for v, _ in zip([TABLE], [1]):\n        v['x'] = {_PUT}",
    "iter_next": f"    v = next(iter([TABLE]))\n    v['x'] = {_PUT}",
    "slice": f"    v = [TABLE][0:1][0]\n    v['x'] = {_PUT}",
    "dict_item": f"    d = {{}}\n    d[1] = TABLE\n    d[1]['x'] = {_PUT}",
    "dictcomp": f"    d = {{k: TABLE for k in [1]}}\n    d[1]['x'] = {_PUT}",
    "lambda_default": f"    f = lambda d=TABLE: d\n    f()['x'] = {_PUT}",
    "kwargs_unpack": "    fill(**TABLE)",
    "exception_argument": f"    try:\n        raise KeyError(TABLE)\n    except KeyError as e:\n        e.args[0]['x'] = {_PUT}",
    "match_capture": f"    match TABLE:\n        case v:\n            v['x'] = {_PUT}",
    "match_mapping": f"    match {{'t': TABLE}}:\n        case {{'t': v}}:\n            v['x'] = {_PUT}",
    "augassign_list": f"    lst = []\n    lst += [TABLE]\n    lst[0]['x'] = {_PUT}",
    "walrus_in_call": f"    print(v := TABLE)\n    v['x'] = {_PUT}",
    "global_alias": f"    global VIEW\n    VIEW = TABLE\n    VIEW['x'] = {_PUT}",
    "with_item": f"    with Holder(TABLE) as v:\n        v['x'] = {_PUT}",
}
_CAUGHT_PRE = ("class Holder:\n    def __init__(self, t):\n        self.t = t\n\n    def __enter__(self):\n"
               "        return self.t\n\n    def __exit__(self, *exc):\n        return False\n\n\n"
               "def fill(**kw):\n    kw['x'] = 1\n")


def _alias_cells(pre, body, read="TABLE['x']"):
    sgd = (_OWN_TABLE_SGD if read.startswith("self.") else _ALIAS_SGD).replace("TABLE['x']", read)
    return [(n, sgd if n == "my_sgd_solution" else s)
            for n, s in replaced(O, "train_solution", _ALIAS_TRAIN.format(pre=pre, body=body))]


def _caught(found):
    return "MySGD" in found and any("uses .backward" in r for r in found["MySGD"])


@pytest.mark.parametrize("road", sorted(MISSED_ROADS))
def test_a_table_reached_through_a_call_is_checked_against_the_narrower_list(road):
    """optimizers: train fills, through a call's result, a table MySGD reads (train's lambda runs .backward)."""
    cells_ = _alias_cells(*MISSED_ROADS[road])
    found = notebook_plan(cells_, locked(O), checks_of(O))[0]
    assert _caught(found) or _tampering(O, cells_), f"{road}: MySGD's code takes train's .backward unchecked: {found}"


@pytest.mark.parametrize("road", sorted(CAUGHT_ROADS))
def test_the_roads_the_alias_rule_follows(road):
    """Near misses: these roads make train's statement part of MySGD's code; or, where train's own list refuses the
    road (`global VIEW`, `e.args`), train's code does not run, and the statement changes nothing MySGD reads (what does
    not run is left out of MySGD's code since round fifty-six)."""
    found, ran = notebook_plan(_alias_cells(_CAUGHT_PRE, CAUGHT_ROADS[road]), locked(O), checks_of(O))
    assert _caught(found) or ("train" in found and _PUT not in ran["train_solution"]), (found, ran["train_solution"])


@pytest.mark.parametrize("road", sorted(MISSED_ROADS))
def test_a_table_reached_through_a_call_runs_when_graded(road):
    """Attack 2 as graded: MySGD.step() runs .backward(), which no list of MySGD's allows."""
    import torch
    pre, body, read = MISSED_ROADS[road]
    put = "lambda t: (t * t).sum().backward()"
    cells_ = _alias_cells(pre, body.replace(_PUT, put), read)
    found, ns = graded_namespace(O, cells_)
    if _caught(found) or found.get("MySGD"):
        return
    model = torch.nn.Linear(1, 1)
    x, y = torch.tensor([[1.0]]), torch.tensor([[2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns["train"](model, x, y, torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), 1)
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    ns["MySGD"]([w], lr=0.1).step()
    assert w.grad is None, f"{road}: MySGD's step ran train's .backward() as graded (its gradient is 2w)"


def test_a_table_a_def_binds_is_no_name_of_the_learners():
    """Near miss: a table bound only by a def's `global` (so in no list of valued names) is not theirs."""
    sgd = _ALIAS_SGD.replace("TABLE = {}\n", "def setup():\n    global TABLE\n    TABLE = {}\n\n\nsetup()\n")
    cells_ = [(n, sgd if n == "my_sgd_solution" else s) for n, s in replaced(
        O, "train_solution", _ALIAS_TRAIN.format(pre="", body=f"    view = TABLE\n    view['x'] = {_PUT}"))]
    found = notebook_plan(cells_, locked(O), checks_of(O))[0]
    assert "MySGD" in found and "train" in found, found
