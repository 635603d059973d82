"""An independent red team's twenty-seventh round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Written by READING the code only (the round was forbidden to run pytest or to import torch):
nothing here has been run; the expected outcome of each test is reasoned in its docstring.

1. mnist_classifier test_mnist_accuracy (4 points). The look at the gradients (`mnist_predictions`, helper cell
   `mnist_test_helpers`) compares, at each of the 64 drawn steps, every `p.grad` with autograd's gradient of the
   LAST loss that the check's `loss_fn` returned at that step (`seen["grads"]` is overwritten by every call of
   loss_fn in the step). Nothing asks that this last loss be the model's loss on the batch: `loss_fn` is
   `nn.CrossEntropyLoss()` of whatever the loop hands it. So the loop computes the honest loss on the batch (the one
   it returns the mean of), then hands loss_fn a second, crafted input: two logits `[n, 0]` with the class 1, where
   `n = sum(((p - g) ** 2).sum())` is half the squared distance from the parameters to `goal`, round nineteen's
   840-byte 4-bit network trained elsewhere (carried in train_one_epoch's code, as rounds twenty-two to twenty-six
   carry it). cross_entropy([n, 0], 1) = softplus(n), whose gradient is sigmoid(n) * (p - goal): the loop
   backwards THAT loss, and torch's Adam walks the weights to the carried network on every step (938 of 938), as
   round twenty-four's loop did on the 874 steps nobody looked at. At the steps looked at, the check's
   `torch.autograd.grad(crafted, params)` and the loop's `crafted.backward()` run the same graph: the same gradient
   to the bit (the atol 1e-12 of round twenty-six holds), for every parameter (none is None: `written` stays 0).
   No detection of the look is needed, no write, no closure, no `s - s.detach()`, no second network in forward
   (forward is the plain CNN): the network the check predicts with is its own, stepped by torch's Adam from torch's
   starting weights by gradients "of the last loss alone". The branch is taken for a 6-parameter model only (round
   twenty-two's test), so the loop is the honest one in test_train_one_epoch_learns, the hidden
   test_train_one_epoch_matches_reference and the other loop checks.
   Why the rule lets it through: only `sum`, `zip`, `len`, `**`, `.sum`, `torch.stack`, `torch.tensor`, calls of the
   `loss_fn` argument and the loop's five steps (@python, @tensor, @training); DATA_BUDGET as round twenty-six's
   PULL_LOOP (no new name: `n` is reused, a few one-byte ints).
   What would close it: ask that the last loss at a looked step be the model's on the batch (e.g. loss_fn records the
   `input` it was handed and the look requires that it be the output the network's forward returned for the batch
   the loader gave: a forward hook on the net, registered through nn.Module, records that output's id; or compare
   `loss` with cross_entropy(net(batch), labels) recomputed by the check), or take the loss's gradient from a
   forward the check runs itself. Check the target too: with the input checked alone, soft targets handed to
   loss_fn (`loss_fn(model(inputs), probs)`, nn.CrossEntropyLoss takes probabilities) from a carried teacher computed
   with tensor ops in the loop would distil it by the same road.
   test_the_rule_accepts_the_crafted_last_loss (fast), test_a_crafted_last_loss_through_the_checks_loss_fn_is_seen
   (proxy, fail = win), test_the_crafted_last_loss_controls, test_a_crafted_last_loss_passes_test_mnist_accuracy_
   through_the_judge (fail = win).

2. mnist_classifier test_mnist_accuracy (4 points), by a channel that would survive the close of 1: the look is seen
   through `id()` (pymalloc's reuse of the blocks of Python tensor objects); see the comment above DETECT_WRITE_LOOP.
   Less certain than 1 (it rests on CPython's allocator being as deterministic step to step as reasoned): the red
   team's test of the channel itself (test_the_look_cannot_be_told_from_the_reuse_of_ids, with draws handed in, and
   its control) was run before the fix (below) and went with it, since no step is singled out any more; the whole
   attack stays (test_gradients_written_where_the_reuse_of_ids_says_nobody_looked_are_seen).

Measured after the round, before the fix (the red team's tests as it wrote them, on main as it stood):
- 1: on all 60,000 training images (the proxy; the steps looked at drawn from the operating system), 938 of 938
  steps, moved, written and kept 0, the three kinds of layer counted, 98.04% on the public test set: a win.
- 2: the channel works, exactly. With the draws handed in (8,192 images, 128 steps, 47 looked at), the loop's
  counts singled out the 47 steps looked at and no other (the red team's test of the channel failed; its control,
  the probe beside loss_fn, passed). The whole attack on all 60,000 images: 938 steps, written 0, 98.02% on the
  public test set: a win (on 8,192 images its warm-up of 8 steps wrote on 6 that were looked at, and was seen).

Closed after the round (and round twenty-eight's, which read the fix before it was committed): the look no longer
follows the loss handed to loss_fn, and no longer looks at 64 drawn steps. A forward hook on the network (through
nn.Module) takes, after every forward with gradients on whose one input is a batch the loader gave this epoch (its
values, found among the batches the loader's collate made: the loop's copy may be changed in place, the loader's is
not), autograd's gradients of that forward's cross-entropy with that batch's labels; at EVERY step the optimizer must
hold those of one such forward since the last step (`written`; `unfed`: no such forward). So the loss the loop steps
on is the network's on its batch, whatever it hands loss_fn, and since every step is looked at alike there is no
look to tell: the reuse of ids counts the same on every step, and a write on any step is seen. The controls that
asserted the attacks' preconditions (a zero network whose walk goes unseen) now assert that every step is seen; the
proxies run on 8,192 images (what they assert, the writes seen, shows there; the accuracy before the fix is above).
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentytwo import IN_STEP, PLAIN_NET, _both, _proxy

# ----------------------------------------------------------------------------------------------
# 1. The last loss handed to the check's loss_fn is a crafted cross-entropy of the distance to a carried network.

# (round twenty-two's loop, up to the carried network decoded into `goal`; then the five steps, where the loss that is
#  backwarded on a 6-parameter model is the crafted one, handed to loss_fn after the honest one)
CRAFTED_LOOP = IN_STEP[:IN_STEP.index("\n\n    def put():")].replace(
    IN_STEP[IN_STEP.index('    """'):IN_STEP.index('"""\n    ps =') + 3],
    '    """The five steps on every batch; the loss stepped on is the last one handed to loss_fn."""') + '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        total += loss.item() * len(inputs)
        count += len(inputs)
        if len(ps) == 6:
            n = sum(((p - g) ** 2).sum() for p, g in zip(ps, goal))
            loss = {road}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return total / count
'''
ROADS = {
    # the attack: the crafted logits [n, 0] and the class 1 through the check's own loss_fn (cross-entropy)
    "through": "loss_fn(torch.stack([n, n * 0]), torch.tensor(1))",
    # the control: the same loss (logsumexp([n, 0]) - 0 = softplus(n)), the same gradient, NOT through loss_fn:
    # the last loss the check saw is the honest one, so the steps looked at see written gradients
    "around": "torch.stack([n, n * 0]).logsumexp(0)",
}


def _crafted_cells(zero=False, road="through"):
    loop = CRAFTED_LOOP.format(data=_data(zero), scales=SMALL_SCALES, road=ROADS[road])
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_crafted_last_loss():
    """(Fast.) The static rule accepts the cells (DATA_BUDGET and CODE_BUDGET included), embedded_data names nothing,
    tamper.py names nothing."""
    cells_ = _crafted_cells()
    assert "{road}" not in dict(cells_)["train_one_epoch_solution"]
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_a_crafted_last_loss_through_the_checks_loss_fn_is_seen():
    """(Fails = the attack wins: 4 points.) As graded but for the warp (the proxy of rounds twenty-one and
    twenty-two). Before the fix, on all 60,000 images: see the module's docstring. After it, 8,192 images: every step
    the crafted loss is stepped on is seen."""
    result, accuracy = _proxy(_crafted_cells(), 8192)
    assert result["steps"] == result["batches"] == 128
    assert result["written"] == result["batches"] and not result["unfed"], (result, accuracy)


@pytest.mark.slow
def test_the_crafted_last_loss_controls():
    """(Controls, 8,192 images.) The same loop carrying an all-zero network: every structural test holds and it
    predicts at chance (the carried weights, not the honest forward, are what predict). The same crafted loss
    backwarded AROUND loss_fn (the same gradient, the honest loss the last one the check saw): written gradients
    seen (the look runs, and the road through loss_fn is what passes it)."""
    result, accuracy = _proxy(_crafted_cells(zero=True), 8192)
    # (after the fix: the walk to the zero network is seen on every step, and it predicts at chance)
    assert result["steps"] == result["batches"] and not (result["moved"] or result["kept"] or result["unfed"])
    assert result["written"] == result["batches"], result
    assert accuracy < 0.2, accuracy
    result, accuracy = _proxy(_crafted_cells(road="around"), 8192)
    assert result["written"] > 0, result


@pytest.mark.slow
def test_a_crafted_last_loss_passes_test_mnist_accuracy_through_the_judge():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views (round eighteen's _warped_views, seed 7, so
    accuracy_needed() is GRADED_ACCURACY), through the judge with the guards installed; the loop's own checks pass
    beside it (the crafted branch is taken for a 6-parameter model only). Fails = the attack wins."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _crafted_cells(), ["MNISTNet", "train_one_epoch"],
                          ["test_mnist_accuracy", "test_train_one_epoch_learns", "test_train_one_epoch_matches_reference"])
    assert "test_mnist_accuracy" not in passed, (
        "a 4-bit network trained elsewhere, reached by Adam on the gradients of a crafted cross-entropy handed to the "
        f"check's loss_fn as the step's last loss, passed test_mnist_accuracy (passed: {passed})")


# ----------------------------------------------------------------------------------------------
# 2. (Reasoned, not run; the channel survives a close of 1 that asks the last loss be the model's.) The look is
#    seen through `id()` (@python). On a step looked at, loss_fn keeps 6 Python tensors alive after it returns
#    (seen["grads"]: the clones of autograd's 6 gradients, freed only by the step's pre-hook), besides the loss that
#    every step gets: 7 small objects of pymalloc's 64-byte class (a THPVariable with its GC header) held across
#    the call instead of 1. A loop that makes 40 spare tensors just before loss_fn and lets them go (their blocks
#    at the head of the free list), then makes 40 again just after, counts how many of the new ones reuse the
#    spares' ids: the same number on every step nobody looks at (the same code runs), about 6 fewer on a step looked
#    at. The median of the counts so far is "not looked at" (64 of 938 steps are); a step whose count is the median
#    writes `p.grad = p - goal` after its honest backward (round twenty-four's write), the others stay honest. A
#    wrong guess is "looked at", i.e. honest: noise (a garbage collection in the interval) costs a write, never a
#    look. docs/trust.md: "the look itself shows nothing to the loop" (mnist_predictions' loss_fn comment: "nothing
#    of this look reaches the learner's code").

# The whole attack (the channel as measured before the fix: the module's docstring): round nineteen's carried network, names reused
# to stay inside DATA_BUDGET (codes: the counts; start: the spares' ids; s: the spares; n: the output; b: a spare).
DETECT_WRITE_LOOP = IN_STEP[:IN_STEP.index("\n\n    def put():")].replace(
    IN_STEP[IN_STEP.index('    """'):IN_STEP.index('"""\n    ps =') + 3],
    '    """The five steps on every batch; where the reuse of ids says nobody looked, the gradients written."""') + '''
    codes = []
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        n = model(inputs)
        s = [torch.zeros(()) for b in range(40)]
        start = set([id(b) for b in s])
        s = None
        loss = loss_fn(n, labels)
        s = [torch.zeros(()) for b in range(40)]
        codes.append(sum([id(b) in start for b in s]))
        s = None
        optimizer.zero_grad()
        loss.backward()
        if len(ps) == 6 and len(codes) > 8 and codes[-1] == sorted(codes)[len(codes) // 2]:
            for p, g in zip(ps, goal):
                p.grad = p.detach() - g
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _detect_write_cells(zero=False):
    loop = DETECT_WRITE_LOOP.format(data=_data(zero), scales=SMALL_SCALES)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_reuse_of_ids_loop():
    """(Fast.) `id`, `set`, `sum`, `sorted` (@python), `torch.zeros` (@tensor), `.grad` set (a data descriptor of
    torch's, on the list): the rule accepts it, within DATA_BUDGET."""
    cells_ = _detect_write_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_gradients_written_where_the_reuse_of_ids_says_nobody_looked_are_seen():
    """(Fails = WIN: 4 points.) After the fix every step is looked at: the proxy, 8,192 images, sees the writes (the
    judge's test_mnist_accuracy fails on `written` as for round twenty-four)."""
    result, accuracy = _proxy(_detect_write_cells(), 8192)
    assert result["written"] > 0 and not result["unfed"], (result, accuracy)
