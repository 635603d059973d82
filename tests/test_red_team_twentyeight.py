"""An independent red team's twenty-eighth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Written by READING the code only (the round was forbidden to run pytest or to import torch):
nothing here has been run; the expected outcome of each test is reasoned in its docstring.

The change attacked (uncommitted on main): mnist_predictions (helper cell `mnist_test_helpers`) keeps a clone of
each batch in the loader's collate_fn, and a forward hook on the network (`fed`, registered through nn.Module) runs
after every forward with grad enabled whose single positional input EQUALS the batch (`torch.equal` of the values),
taking autograd's gradients of cross_entropy(that forward's output, the batch's labels); at every step the optimizer's
gradients must equal those of the last such forward (`written`), and a step with no such forward counts `unfed`.

1. mnist_classifier test_mnist_accuracy (4 points). The look anchors the loss to the forward's INPUT by value only.
   A tensor can equal the batch to the bit and still carry a graph: `inputs.detach() + b * (k * (n - n.detach()))`
   is the batch plus an exact 0.0, and autograd differentiates the 0.0. The network is round twenty-two's PLAIN_NET
   (its forward untouched: no `s - s.detach()` in forward, no second network in forward, nothing carried in
   MNISTNet); the loop (train_one_epoch, which carries round nineteen's 840-byte 4-bit network in `goal`, as rounds
   twenty-two to twenty-seven did) takes the batch's input gradient `b` from an honest first pass
   (`inputs.requires_grad_()`, backward), then feeds the network the steered copy. The hook sees the batch (equal
   values), grad enabled, one positional tensor; its `autograd.grad(cross_entropy(output, y), params)` goes through
   the input's graph too: honest gradient + k * sum(b * dCE/dx) * dn/dp = honest + 1e6 * 2 (p - goal) (dCE/dx is
   `b` again, to the bit: same weights, same values, no dropout). The loop backwards the same output's
   cross-entropy: the same gradient (written 0, for every parameter; unfed 0), and torch's Adam walks the weights to
   the carried network on every step, as round twenty-seven's loss did. The reported loss is the honest one (the
   same values). Why the rule lets it through: `.requires_grad_`, `.grad`, `.detach` (@tensor), `**`, `/`, `sum`,
   `zip`, `len` (@python) and the five steps; DATA_BUDGET: 993 of 1,024 (no new name: `b`, `start`, `n` reused,
   five one-byte ints). Close: in `fed`, a forward whose input requires grad (has a graph) fails the step
   (`seen["grads"] = False`) instead of being taken: no honest loop's batch requires grad.

2. Same check, a road that survives the close of 1 (no detach anywhere): the forward's KEYWORD arguments never reach
   the hook (`nn.Module.register_forward_hook(net, fed)` without with_kwargs: `args` is the positional ones only).
   MNISTNet.forward(self, x, steer=None) returns `steer` when given; the loop calls
   `model(inputs, steer=-n * (labels[:, None] == torch.arange(10)))` (n: the squared distance to the carried network):
   the hook sees one positional tensor equal to the batch, and the output is the crafted logits, whose cross-entropy
   is log(9 + e^-n) + n, increasing in n: round twenty-seven's crafted loss, now "the network's own forward". With
   the steer passed positionally (`model(inputs, E)`: two args, not looked at) the last forward looked at is the
   honest one and the steered gradient is seen (the control). Closing the keyword road (with_kwargs=True, refuse
   any) leaves the same pass-through by an attribute the loop sets on its own MNISTNet (`model.steer = E`): a
   forward is learner code, so this is the "forward that steers its own gradients" class of docs/trust.md's Not
   promised, without `s - s.detach()` and with the data in the LOOP's budget, not the forward's; the docs should
   say so (or the look should ask that the output be the output of the network's last torch layer).

3. Honest cost (fail = an honest learner loses 4 points): a loop that moves the epoch's batches to the device first
   (`batches = [(x.to(device), y.to(device)) for x, y in loader]`, then the five steps on each) passes every loop
   check (in order, moved, training mode) but the collate_fn's copy is then the LAST batch for the whole epoch:
   every other step is `unfed` (and `written`). Same for a look-ahead `next(it)` prefetch, `list(loader)`, micro-
   batches, and augmentation in the loop. See the report for the others (time: an autograd.grad on all 938 steps
   instead of 64 makes the check ~1.5-1.7x slower than cell 25's estimate, whose warning is at 90 s of 120).

Measured after the round, on the fix as the round read it (each road put back alone; the proxy, all 60,000 training
images): 1, the steered input: 938 of 938 steps, moved, written, unfed and kept 0, 98.06% on the public test set, a
win; 2, the keyword: the same, 98.06%, a win; 3, the prefetching honest loop (8,192 images): 126 of 128 steps unfed,
and 0 of 4 points for an honest learner.

Closed after the round (before the fix landed):
1. A forward whose input requires a gradient (carries a graph) gives the look nothing, and counts as a forward on
   the batch: the step is `written`. No batch the loader gives requires a gradient.
2. The hook is registered with_kwargs: a forward that is handed anything besides its one input is not the network's
   forward on the batch, and the step's gradients must be those of one that is (the honest forward above it here:
   `written`). The same pass-through by an attribute the loop sets on its own MNISTNet (`model.steer = E`, which
   the forward returns) is a forward that returns what the loop hands it: docs/trust.md names it with the forward
   that steers its own gradients, under "Not promised".
3. The look finds the forward's input among all the batches the loader gave this epoch (latest first), and takes
   the labels from there: a loop that fetches ahead keeps its points.
Time: a look on every step is one more backward a step. The reference MNISTNet and loop through mnist_predictions
on all 60,000 images, in this process: 12.7 s and 11.9 s before, 21.1 s and 18.0 s after (about 1.6 times); the
assignment's timing cell now warns when 1.7 times its estimate of two epochs passes 90 s of grading's 120.
The tests below assert the refusals after the fix; the proxies run on 8,192 images (the writes seen show there).
At the end, our own attacks on the fix, and honest loops beside them.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, editable_cells, locked, replaced
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentytwo import IN_STEP, PLAIN_NET, _both, _proxy

LOOP_CHECKS = ["test_train_one_epoch_learns", "test_train_one_epoch_mode_and_device",
               "test_train_one_epoch_matches_reference", "test_train_one_epoch_mean_over_samples"]

# (round twenty-two's loop, up to the carried network decoded into `goal`)
_HEAD = IN_STEP[:IN_STEP.index("\n\n    def put():")].replace(
    IN_STEP[IN_STEP.index('    """'):IN_STEP.index('"""\n    ps =') + 3],
    '    """The five steps on every batch; for a 6-parameter model, a pull towards P."""')

# ----------------------------------------------------------------------------------------------
# 1. The batch fed with a graph: equal to the loader's batch to the bit, carrying the pull towards the carried net.

STEER_LOOP = _HEAD + '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        if len(ps) == 6:
            inputs.requires_grad_()
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        if len(ps) == 6:
            b = inputs.grad
            start = 10 ** 6 / (b * b).sum()
            n = sum(((p - g) ** 2).sum() for p, g in zip(ps, goal))
            {road}
            optimizer.zero_grad()
            loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''
ROADS = {
    # the attack: the pull rides on the input, which equals the batch; the hook takes its gradient from this forward
    "through": "loss = loss_fn(model(inputs.detach() + b * (start * (n - n.detach()))), labels)",
    # the control: the same pull added to the loss AROUND the forward (the forward the hook saw is the plain one):
    # every step's gradients differ from the look's, so `written` counts them
    "around": "loss = loss_fn(model(inputs.detach()), labels) + 10 ** 6 * n",
}


def _steer_cells(zero=False, road="through"):
    loop = STEER_LOOP.format(data=_data(zero), scales=SMALL_SCALES, road=ROADS[road])
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_steered_input():
    """(Fast.) The static rule accepts the cells (DATA_BUDGET: 993 bytes by coursekit's own `carried`, as reasoned;
    CODE_BUDGET far off), embedded_data names nothing (as for rounds twenty-two to twenty-seven's carried network),
    tamper.py names nothing."""
    cells_ = _steer_cells()
    assert "{road}" not in dict(cells_)["train_one_epoch_solution"]
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_a_steered_input_is_seen_by_the_look():
    """(Fails = the attack wins: 4 points.) mnist_predictions as the helper cell writes it, in this process (round
    twenty-two's proxy), 8,192 training images: every step on the steered input is seen."""
    result, accuracy = _proxy(_steer_cells(), 8192)
    assert result["steps"] == result["batches"] == 128
    assert result["written"] == result["batches"] and not result["unfed"], (result, accuracy)


@pytest.mark.slow
def test_the_steered_input_controls():
    """(Controls, 8,192 images.) The same loop carrying an all-zero network: every structural test holds and it
    predicts at chance (the carried weights, not the honest forward, are what predict). The same pull added to the
    loss around the forward instead of through its input: written gradients seen (the look runs on every step, and
    the road through the input is what passes it)."""
    result, accuracy = _proxy(_steer_cells(zero=True), 8192)
    assert result["steps"] == result["batches"]
    assert not (result["moved"] or result["unfed"] or result["kept"]), result
    assert result["written"] == result["batches"], result  # (after the fix: the walk is seen on every step)
    assert accuracy < 0.2, accuracy
    result, _ = _proxy(_steer_cells(road="around"), 8192)
    assert result["written"] > 0 and not result["unfed"], result


@pytest.mark.slow
def test_a_steered_input_passes_test_mnist_accuracy_through_the_judge():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views (round eighteen's _warped_views, seed 7, so
    accuracy_needed() is GRADED_ACCURACY), through the judge with the guards installed; the loop's own checks pass
    beside it (the steered branch is taken for a 6-parameter model only). Fails = the attack wins."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _steer_cells(), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"] + LOOP_CHECKS)
    assert "test_mnist_accuracy" not in passed, (
        "a 4-bit network trained elsewhere, reached by Adam on gradients steered through an input equal to the batch "
        f"(its graph carries the pull), passed test_mnist_accuracy (passed: {passed})")


# ----------------------------------------------------------------------------------------------
# 2. The crafted logits through the forward's keyword argument, which the hook never sees.

KWARG_NET = PLAIN_NET.replace(
    "    def forward(self, x):\n        return self.classifier(self.features(x).flatten(start_dim=1))",
    "    def forward(self, x, steer=None):\n"
    "        if steer is not None:\n"
    "            return steer\n"
    "        return self.classifier(self.features(x).flatten(start_dim=1))")

KWARG_LOOP = _HEAD + '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        total += loss.item() * len(inputs)
        count += len(inputs)
        if len(ps) == 6:
            n = sum(((p - g) ** 2).sum() for p, g in zip(ps, goal))
            {road}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return total / count
'''
KWARG_ROADS = {
    # the attack: one positional tensor (the batch) and the crafted logits as a keyword: the hook looks at this forward
    "keyword": "loss = loss_fn(model(inputs, steer=-n * (labels[:, None] == torch.arange(10))), labels)",
    # the control: the same crafted logits handed positionally: two args, the hook passes this forward by, and the
    # last forward it looked at is the honest one above: written gradients seen
    "positional": "loss = loss_fn(model(inputs, -n * (labels[:, None] == torch.arange(10))), labels)",
}


def _kwarg_cells(zero=False, road="keyword"):
    loop = KWARG_LOOP.format(data=_data(zero), scales=SMALL_SCALES, road=KWARG_ROADS[road])
    assert KWARG_NET != PLAIN_NET
    return _both(M, {"mnist_net_solution": KWARG_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_keyword_pass_through():
    """(Fast.) `steer` is the learner's own parameter name (a few bytes of each budget); `None`, `[:, None]`,
    `torch.arange`, `==` are on the lists."""
    cells_ = _kwarg_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_crafted_logits_through_a_keyword_are_seen_by_the_look():
    """(Fails = the attack wins: 4 points.) The proxy, 8,192 training images: every step is seen (the forward handed
    a keyword is not the network's forward on the batch; the one above it is, and its gradients are not stepped on)."""
    result, accuracy = _proxy(_kwarg_cells(), 8192)
    assert result["steps"] == result["batches"] == 128
    assert result["written"] == result["batches"] and not result["unfed"], (result, accuracy)


@pytest.mark.slow
def test_the_keyword_pass_through_controls():
    """(Controls, 8,192 images.) Zero carried network: structural tests hold, chance accuracy. The crafted logits
    handed positionally: written gradients seen."""
    result, accuracy = _proxy(_kwarg_cells(zero=True), 8192)
    assert not (result["moved"] or result["unfed"] or result["kept"]), result
    assert result["written"] == result["batches"], result  # (after the fix: the walk is seen on every step)
    assert accuracy < 0.2, accuracy
    result, _ = _proxy(_kwarg_cells(road="positional"), 8192)
    assert result["written"] > 0, result


# ----------------------------------------------------------------------------------------------
# 3. Honest cost: a loop that moves its batches to the device before it trains.

PREFETCH = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The epoch's batches moved to the device first, then the five steps on each; the mean loss over samples."""
    batches = [(x.to(device), y.to(device)) for x, y in loader]
    model.train()
    total, count = 0.0, 0
    for inputs, labels in batches:
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def test_the_rule_accepts_the_prefetching_loop():
    cells_ = replaced(M, "train_one_epoch_solution", PREFETCH)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_an_honest_loop_that_moves_its_batches_first_is_not_refused_by_the_look():
    """(Fails = an honest learner loses test_mnist_accuracy's 4 points.) The proxy, 1,024 training images (8 batches
    an epoch): expected under the change, unfed = written = 14 (the collate_fn's copy is the epoch's last batch while
    the loop steps on the first seven; after the fix, the look finds each step's batch among the epoch's). The
    control beside it: the notebook's reference loop, nothing counted."""
    result, _ = _proxy(editable_cells(M), 1024)  # (control: the reference loop, one forward a step on the batch)
    assert not (result["unfed"] or result["written"] or result["moved"] or result["kept"]), result
    result, _ = _proxy(replaced(M, "train_one_epoch_solution", PREFETCH), 1024)
    assert result["steps"] == result["batches"]
    assert not (result["unfed"] or result["written"] or result["moved"] or result["kept"]), result


@pytest.mark.slow
def test_the_prefetching_loop_earns_every_loop_point_and_test_mnist_accuracy():
    """(Fails = an honest learner loses points.) Through the judge, on warped views, with the reference MNISTNet: the
    prefetching loop passes the four loop checks (reasoned: in order, moved, training mode, the mean of the stepped
    losses) and, before the change, test_mnist_accuracy; under the change, test_mnist_accuracy fails (unfed)."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, replaced(M, "train_one_epoch_solution", PREFETCH), ["train_one_epoch"],
                          ["test_mnist_accuracy"] + LOOP_CHECKS)
    assert set(LOOP_CHECKS) <= set(passed), passed  # (the control: the style is honest by every loop check)
    assert "test_mnist_accuracy" in passed, f"an honest prefetching loop lost test_mnist_accuracy (passed: {passed})"


# ----------------------------------------------------------------------------------------------
# Our attacks on the fix, and honest loops beside them (8,192 images each).

ON_THE_FIX = {
    # the batch's labels changed in place before the forward: the look takes the loader's labels, not the loop's
    "relabelled": "labels.copy_(labels.flip(0))",
    # the batch's images changed in place: no longer a batch the loader gave (unfed), whatever the loss
    "redrawn": "inputs.mul_(0.5)",
    # the pull added to the true class's logit in the loop (a steer outside forward; added to every logit alike it
    # would change no gradient, cross-entropy not seeing a shift): the look's gradients are the output's alone
    "steered output": "n = sum(((p - g) ** 2).sum() for p, g in zip(ps, goal))\n"
                      "            out = out - (n - n.detach()) * (labels[:, None] == torch.arange(10))",
}
FIX_LOOP = _HEAD + '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        if len(ps) == 6:
            {change}
        out = model(inputs)
        if len(ps) == 6:
            {steer}
        loss = loss_fn(out, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _fix_cells(name):
    change, steer = (ON_THE_FIX[name], "pass") if name != "steered output" else ("pass", ON_THE_FIX[name])
    loop = FIX_LOOP.format(data=_data(False), scales=SMALL_SCALES, change=change, steer=steer)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


@pytest.mark.parametrize("name", ON_THE_FIX)
def test_our_attacks_on_the_fix_pass_the_rule(name):
    cells_ = _fix_cells(name)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
@pytest.mark.parametrize("name", ON_THE_FIX)
def test_our_attacks_on_the_fix_are_seen(name):
    result, _ = _proxy(_fix_cells(name), 8192)
    assert result["steps"] == result["batches"] == 128
    if name == "redrawn":
        assert result["unfed"] == result["batches"], result
    else:
        assert result["written"] == result["batches"] and not result["unfed"], result


DROPOUT_NET = PLAIN_NET.replace("nn.Linear(6 * 16, 10)", "nn.Sequential(nn.Dropout(0.3), nn.Linear(6 * 16, 10))")
ACCURACY_LOOP = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps, and the batch's accuracy from a second forward between backward and step (with dropout, a
    forward of its own)."""
    model.train()
    total, count, hits = 0.0, 0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        hits += (model(inputs).argmax(dim=1) == labels).sum().item()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


@pytest.mark.slow
def test_honest_loops_beside_the_fix_are_not_refused():
    """A network with dropout whose loop runs it on its batch again between backward and step (the look takes one
    forward's gradients among those since the last step)."""
    assert DROPOUT_NET != PLAIN_NET
    cells_ = _both(M, {"mnist_net_solution": DROPOUT_NET, "train_one_epoch_solution": ACCURACY_LOOP})
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    result, _ = _proxy(cells_, 8192)
    assert result["steps"] == result["batches"]
    assert not (result["unfed"] or result["written"] or result["moved"] or result["kept"]), result
