"""An independent red team's eleventh round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; every one of them won before that round's fixes (the
static rule accepted the learner's code, it ran as graded with the guards installed, and it earned
check points without doing what the check asks, or got past the rule).

1. Writing outcomes into the checks' probes: a learner's function set, or appended to, the record that a
   locked cell's probe keeps and the check reads back (RecordingModel.calls, RecordedOptimizer.steps,
   RecordedLoss.values). Now the probes keep their records under names starting with `_`, which graded
   code may not name, and the guard sets none of the learner's names on an object not theirs that has it.
2. `T = type(X)` then `T(name, bases, {...})`: a class with any hook. Now type(x) is only compared, read
   from or passed to isinstance.
3. `TT = torch.Tensor; TT.values = ...`: a library class changed for the whole kernel. Now every
   attribute set or delete goes through the guard, which sets nothing on a library class, module or
   function.
"""
import warnings

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import notebook_plan
from kit.judged import cells, fake_kernel, is_test, judge_notebook
from test_own_work import A, M, O, R, checks_of, graded_namespace, locked, replaced
from test_red_team_ten import _judge  # noqa: F401 (round twelve imports it from here)


# ----------------------------------------------------------------------------------------------
# 1. Writing outcomes into the checks' probes. The records that a check reads back from the kernel
#    live on objects of the locked cells that the check hands the learner's function: RecordingModel's
#    .calls (its mode and grad mode at each forward), RecordedOptimizer's .steps, RecordedLoss's .values.
#    `calls` is an attribute name of the learner's own (their code sets it), so the guard lets them SET
#    it on any object that is not a class, module or function (kernel_side.Own.__setitem__): the probe's
#    record is replaced by one the learner wrote. evaluate earns test_evaluate_mode_and_no_grad (2 points)
#    without model.eval() or torch.no_grad(); train_one_epoch earns test_train_one_epoch_mode_and_device
#    without model.train() (the check leaves the model in eval mode first).

FAKED_EVALUATE = '''def evaluate(model, loader, device):
    correct = 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        correct += (model(inputs).argmax(dim=1) == labels).sum().item()
    model.calls = [{"training": False, "grad_enabled": False}]
    return correct / len(loader.dataset)
'''

FAKED_TRAIN_ONE_EPOCH = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    total_loss, samples, calls = 0.0, 0, []
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(inputs)
        samples += len(inputs)
        calls.append({"training": True, "grad_enabled": True})
    model.calls = calls
    return total_loss / samples
'''

# optimizers: train never calls optimizer.zero_grad() (the gradients pile up epoch after epoch) and
# writes RecordedOptimizer's .steps itself, each step "fresh" and following its loss: test_train_basic.
FAKED_TRAIN = '''def train(model, inputs, targets, loss_fn, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    optimizer.steps = [{"loss": value, "fresh_gradients": True} for value in losses]
    return losses
'''

# optimizers, through a name on the part's list (not guarded at all): RecordedLoss keeps its values in
# .values, which "@python" allows (dict.values): train returns twice each loss, not the loss, and appends
# that to the probe's list before each step, so that RecordedOptimizer records it as the step's loss.
FAKED_TRAIN_VALUES = '''def train(model, inputs, targets, loss_fn, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        loss_fn.values.append(2 * loss.item())
        optimizer.step()
        losses.append(2 * loss.item())
    return losses
'''

PROBE_RECORDS = {"train_values": (O, "train_solution", FAKED_TRAIN_VALUES, "test_train_basic"),
                 "evaluate": (M, "evaluate_solution", FAKED_EVALUATE, "test_evaluate_mode_and_no_grad"),
                 "train_one_epoch": (M, "train_one_epoch_solution", FAKED_TRAIN_ONE_EPOCH,
                                     "test_train_one_epoch_mode_and_device"),
                 "train": (O, "train_solution", FAKED_TRAIN, "test_train_basic")}


@pytest.mark.parametrize("name", sorted(PROBE_RECORDS))
def test_a_function_writes_the_record_of_the_checks_probe(name):
    """mnist_classifier, optimizers: the check of the loop's process passes on a record the learner's function wrote, not on the model's."""
    assignment, cell, source, check = PROBE_RECORDS[name]
    found, verdicts = _judge(assignment, replaced(assignment, cell, source), [check])
    if name.split("_values")[0] in found:
        return
    assert verdicts[check] is not None, f"{name} wrote the probe's record itself and passes {check}"


# ----------------------------------------------------------------------------------------------
# 2. Rule bypass (no points shown): round ten's fix reads `type` only as `type(x)`, and refuses a call of
#    `type(x)`'s result written in one expression; bound to a name first, type(x) is `type` itself, and
#    calling that name makes a class (a metaclass too) with any hook, from a dict the class-statement
#    check of double-underscore names never sees (__instancecheck__, __getattribute__, __new__,
#    __init_subclass__, __torch_function__, __torch_dispatch__, ...). It runs as graded. What it made
#    could not be recorded by the guard (own_class wants type(cls) is type on a class statement), so it
#    did not reach a library object's attributes in this round's tries.

def test_type_bound_to_a_name_makes_a_class_with_any_hook():
    source = ("class Peek:\n    pass\n\n\nT = type(Peek)\n"
              "Everything = T('Everything', (T,), {'__instancecheck__': lambda cls, value: True})\n\n\n"
              "def mse_loss(pred, target):\n    assert isinstance(pred, Everything('E', (), {}))\n"
              "    return ((pred - target) ** 2).mean()\n")
    found, _ = notebook_plan(replaced(A, "mse_loss_solution", source), locked(A), checks_of(A))
    assert "mse_loss" in found, "T = type(Peek); T(name, bases, {'__instancecheck__': ...}) is accepted"


# ----------------------------------------------------------------------------------------------
# 3. Rule bypass (no points shown): a library class changed for the whole kernel. An attribute name on
#    the part's list is not guarded, and a store through a name bound to a library class is not "a change
#    of a module": `TT = torch.Tensor; TT.values = TT.mean` replaces a method of every tensor, the checks'
#    helpers' (run_loss, the probes) and every other part's included, and it stays for the next checks.
#    The same with `type(optimizer).step = ...` (RecordedOptimizer, a probe of the checks) in a @training
#    part. A road between parts (the documented alias case, through a library class instead of a table)
#    and into the checks' own code in the kernel.

def test_a_part_changes_a_method_of_every_tensor():
    import torch
    source = "TT = torch.Tensor\n\n\ndef mse_loss(pred, target):\n    TT.values = TT.mean\n" \
             "    return ((pred - target) ** 2).values()\n"
    original = torch.Tensor.values
    try:
        found, ns = graded_namespace(A, replaced(A, "mse_loss_solution", source))
        if "mse_loss" in found:
            return
        try:
            ns["mse_loss"](torch.ones(2), torch.zeros(2))
        except Exception:
            return
        assert torch.Tensor.values is original, "mse_loss replaced torch.Tensor.values for the whole kernel"
    finally:
        torch.Tensor.values = original
