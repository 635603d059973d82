"""An independent red team's forty-seventh round (a desk round, on eefc872: it read the code and ran nothing), its one
finding that earns points, as it wrote it.

F1. optimizers, test_my_optimizers_in_my_train (2 points): a graded optimizer bound to a plain string (`MySGD =
    "SGD"`) passes the own-work rule (a 3-byte constant), comes to the judge as data, and `run_train` in the kernel
    turns a string into torch.optim's class of that name (the checks of `train` hand it "SGD" on purpose): the
    learner's honest train stepped torch's optimizer and matched torch's run, with no optimizer written. Parts 2-4
    refuse the same strings (compare_with_torch asserts `uses_torch_optim`); Part 5 did not ask. Now `run_train`
    says whether the optimizer it stepped was or held torch.optim's, and Part 5 refuses it. And, for every part of
    every assignment (round forty-seven's F6: the other checks failed such values only by accident), a name that
    OWN_WORK grades must reach the judge as a function or class: a value fails each check that reads it, by name.
"""
import pytest

from test_own_work import O, editable_cells
from test_red_team_ten import _judge

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

STRINGS = {"my_sgd_solution": 'MySGD = "SGD"\n', "my_adam_solution": 'MyAdam = "Adam"\n',
           "my_rmsprop_solution": 'MyRMSprop = "RMSprop"\n'}


def test_optimizers_named_by_strings_lose_the_check_of_them_in_train():
    cells = [(name, STRINGS.get(name, source)) for name, source in editable_cells(O)]
    found, verdicts = _judge(O, cells, {"test_train_basic", "test_my_optimizers_in_my_train"})
    assert not found, found  # (the static rule accepts the strings: the check is what refuses them)
    assert verdicts["test_train_basic"] is None, verdicts  # (train is the reference: its own check passes)
    assert "must be a function or class your cells define, not a value (a str)" in str(verdicts["test_my_optimizers_in_my_train"]), verdicts


@pytest.mark.parametrize("assignment, cell, value, check", [
    ("loss_functions", "mse_loss_solution", "mse_loss = 0.25\n", "test_mse_loss_basic"),
    ("training_recipes", "one_cycle_lr_solution", "one_cycle_lr = [0.004, 0.1]\n", "test_one_cycle_lr_basic"),
    ("training_recipes", "my_adamw_solution", "MyAdamW = 'AdamW'\n", "test_my_adamw_basic"),
])
def test_a_graded_name_bound_to_a_value_fails_its_checks_by_name(assignment, cell, value, check):
    cells = [(name, value if name == cell else source) for name, source in editable_cells(assignment)]
    found, verdicts = _judge(assignment, cells, {check})
    assert not found, found
    assert "must be a function or class your cells define" in str(verdicts[check]), verdicts


def test_the_reference_keeps_the_check():
    found, verdicts = _judge(O, editable_cells(O), {"test_my_optimizers_in_my_train"})
    assert not found and verdicts["test_my_optimizers_in_my_train"] is None, verdicts
