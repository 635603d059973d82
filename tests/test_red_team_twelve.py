"""An independent red team's twelfth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, it runs as graded with the guards installed, and it earns check points
without doing what the check asks).

1. Re-initialising the checks' probes: `__init__` is a "harmless" double-underscore attribute
   (own_work.HARMLESS_DUNDERS), read on any object and never guarded. `loss_fn.__init__(fn, params)` on
   the RecordedLoss the check hands the learner's loop runs RecordedLoss.__init__ again: the probe now
   computes the learner's `fn` and records the gradients of the learner's `params` (a dummy tensor whose
   gradient is always zero), not the model's. RecordedOptimizer.step() then finds "fresh" gradients at
   every step although the loop never calls optimizer.zero_grad() (the model's gradients pile up from
   step to step): optimizers' train earns test_train_basic (2 points), mnist_classifier's
   train_one_epoch test_train_one_epoch_learns (2 points). Each hidden check that compares with the
   reference loop fails (what shows the loop is wrong).
2. A torch optimizer carried from one check's run to another's: train keeps the hidden check's fresh
   torch.optim.Adam(lr=0.05) in its own global and steps it in test_my_optimizers_in_my_train's run with
   MyAdam(lr=0.05), a stub (2 points for 1 hidden point lost).
Near misses (no point shown): str.format reads `_`-attributes and dunders as text; a typing alias
forwards an attribute set to a library class (collections.abc.Iterable), a road between parts.

Every one of them won, or got past the rule, before that round's fixes: the probes are set up once;
run_train closes its optimizer probe when the learner's loop returns (nothing of it steps after);
`.format` is off the @python list (f-strings are checked); graded code sets attributes only on its own
objects, tensors and modules.
"""
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from test_own_work import M, O, replaced
from test_red_team_eleven import _judge

# ----------------------------------------------------------------------------------------------
# 1. `loss_fn.__init__(...)`: the probe's parameters are the learner's, so its "fresh gradients" are too.

REINIT_TRAIN = '''def train(model, inputs, targets, loss_fn, optimizer, epochs):
    probe = torch.zeros(1, requires_grad=True)
    loss_fn.__init__(lambda out, tgt: ((out - tgt) ** 2).mean() + 0 * probe.sum(), [probe])
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''

REINIT_TRAIN_ONE_EPOCH = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    probe = torch.zeros(1, requires_grad=True)
    loss_fn.__init__(lambda out, y: -torch.log_softmax(out, 1).gather(1, y.unsqueeze(1)).mean() + 0 * probe.sum(),
                     [probe])
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''

REINIT = {"train": (O, "train_solution", REINIT_TRAIN, "test_train_basic"),
          "train_one_epoch": (M, "train_one_epoch_solution", REINIT_TRAIN_ONE_EPOCH, "test_train_one_epoch_learns")}


@pytest.mark.parametrize("name", sorted(REINIT))
def test_a_loop_reinitialises_the_checks_loss_probe(name):
    """optimizers, mnist_classifier: a loop that never zeroes the gradients passes the check of its steps."""
    assignment, cell, source, check = REINIT[name]
    found, verdicts = _judge(assignment, replaced(assignment, cell, source), [check])
    if name in found:
        return
    assert verdicts[check] is not None, f"{name} re-initialised the loss probe (loss_fn.__init__) and passes {check}"


# ----------------------------------------------------------------------------------------------
# 2. A torch optimizer carried from one check's run to another's. The hidden test_train_reaches_the_line
#    runs train with torch.optim.Adam(lr=0.05) (the third of its runs, the second of 2000 epochs), and
#    test_my_optimizers_in_my_train later runs train with MyAdam(lr=0.05): the same settings. train keeps
#    the hidden run's RecordedOptimizer (its torch Adam not stepped yet) and that run's parameters in its
#    own global (no other part reads or writes it: no alias, no rule of the lists is bent), and in the
#    run with MyAdam points the kept parameters at the new model's (`.data`, `.grad`: listed names, set on
#    any object that is no class, module or function) and steps torch's Adam. MyAdam is a stub whose
#    step() does nothing (test_my_adam_basic fails, as it should); test_my_optimizers_in_my_train (2
#    points) passes, the hidden check (1 point) fails. train tells MyAdam's run by the parameters the
#    stub was built on (a list MyAdam fills and train reads: MyAdam's code is in train's, under a wider
#    list).

CARRYING_TRAIN = '''STASH = {"long_runs": 0, "adam": None}


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    params = list(model.parameters())
    if epochs == 2000:
        STASH["long_runs"] += 1
        if STASH["long_runs"] == 2:  # the hidden check's torch.optim.Adam(lr=0.05), fresh: keep it
            STASH["adam"] = (optimizer, params)
            return []
    step, zero, old = optimizer.step, optimizer.zero_grad, params
    if STUBS and STUBS[-1][0] is params[0] and STASH["adam"] is not None:  # MyAdam's run: torch's Adam
        (adam, old) = STASH["adam"]
        step, zero = adam.step, adam.zero_grad
        for o, n in zip(old, params):
            o.data = n.data
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        zero()
        model.zero_grad()
        loss.backward()
        for o, n in zip(old, params):
            o.grad = n.grad
        step()
        losses.append(loss.item())
    return losses
'''

STUB_ADAM = '''STUBS = []


class MyAdam:
    def __init__(self, params, lr=0.001, **settings):
        self.params = list(params)
        STUBS.append(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
'''


def test_train_keeps_the_hidden_checks_torch_adam_for_my_adams_run():
    """optimizers: train with a MyAdam that does nothing fits y = 2x as torch.optim.Adam does."""
    cells_ = [(n, STUB_ADAM if n == "my_adam_solution" else s) for n, s in replaced(O, "train_solution", CARRYING_TRAIN)]
    want = ["test_train_basic", "test_train_reaches_the_line", "test_my_adam_basic", "test_my_optimizers_in_my_train"]
    found, verdicts = _judge(O, cells_, want)
    assert verdicts["test_my_adam_basic"] is not None  # the stub is no Adam
    if "train" in found or "MyAdam" in found:
        return
    assert verdicts["test_my_optimizers_in_my_train"] is not None, (
        "train kept the hidden check's torch.optim.Adam and passes test_my_optimizers_in_my_train with a stub MyAdam")


# ----------------------------------------------------------------------------------------------
# Near miss (no point earned here): str.format reads any attribute and item, `_`-names and dunders
# included, where the rule sees only `.format` ("@python"): "{0._optimizer.__class__.__name__}" names the
# torch optimizer inside the checks' probe, "{0._optimizer.defaults[lr]}" its settings, "{0._loss._values}"
# the probe's records, "{0.__globals__}" of a function the kernel's namespace. Only text comes back (no
# object), but it tells a loop which check is running it (what attack 2 needs, more surely than by its
# count of epochs).

def test_str_format_reads_private_attributes():
    source = ('def train(model, inputs, targets, loss_fn, optimizer, epochs):\n'
              '    return "{0._optimizer.__class__.__name__} {0._optimizer.defaults[lr]}".format(optimizer)\n')
    from test_own_work import _train_with, graded_namespace
    found, ns = graded_namespace(O, replaced(O, "train_solution", source))
    if "train" in found:
        return
    try:
        got = _train_with(ns, None)
    except AttributeError:
        return
    assert got != "SGD 0.1", "str.format read the probe's _optimizer, its class and its settings"


# ----------------------------------------------------------------------------------------------
# Near miss (a road between parts, no point shown): typing's aliases forward an attribute set to the class
# they stand for (typing.Iterable.x = v sets collections.abc.Iterable.x), and the guard's changes_shared
# sees a typing._GenericAlias (no class, module or function). `board = typing.Iterable; board.stash = v`
# in train (an own name set on an object that has none: allowed) and `typing.Iterable.stash` in MySGD (an
# own name read where the learner's code set it: allowed) carry train's objects (here the checks' probe's
# bound step, with torch.optim.SGD inside) to a part with a narrower list, through a library class that
# every part, and the checks, share. Round ten's torch.special.common_args road, with no dict in sight.

THROUGH_TYPING_TRAIN = '''import typing


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    board = typing.Iterable
    board.stash = optimizer.step
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''

THROUGH_TYPING_SGD = '''import typing


class MySGD:
    def __init__(self, params, lr=0.01, momentum=0.0):
        self.params = list(params)
        self.stash = None

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        return typing.Iterable.stash
'''


def test_a_part_hands_another_an_object_through_a_typing_alias():
    import collections.abc

    import torch
    from test_own_work import _train_with, graded_namespace
    cells_ = [(n, THROUGH_TYPING_SGD if n == "my_sgd_solution" else s)
              for n, s in replaced(O, "train_solution", THROUGH_TYPING_TRAIN)]
    try:
        found, ns = graded_namespace(O, cells_)
        if "train" in found or "MySGD" in found:
            return
        try:
            _train_with(ns, None)
            got = ns["MySGD"]([torch.zeros(1)]).step()
        except (AttributeError, TypeError):
            return
        assert not callable(got), "train handed MySGD the probe's step through typing.Iterable"
    finally:
        if "stash" in vars(collections.abc.Iterable):
            del collections.abc.Iterable.stash
