"""An independent red team's twenty-ninth round against "implement it yourself", as it wrote its attacks (a desk
round: it read the code while CI held the machine, and ran nothing; its file was a draft beside round twenty-eight's).

Each test asserts that its attack is refused; a failing test is an attack that wins. Each has a control.

1. mnist_classifier test_mnist_accuracy (4 points). The look's batch and labels were LIVE VIEWS of train_data (the
   collate recorded the samples, which TensorDataset gives as views); the loop reaches the same storage through
   `loader.dataset[:]` (`.dataset` is on @training) and rewrites images and labels in place: whatever it writes is
   "the batch the loader gave, with its labels".
2. The forward the look takes its gradients from may run at weights the loop wrote and puts back before the step
   (`moved` looked only at step boundaries).
Together: each step, 128 copies of one image with labels the loop chooses, at X = goal' + (W - goal)/50 (goal' the
carried net with the last bias shifted so that softmax(f_goal'(x)) equals the labels' histogram exactly): the
candidate gradient is, to first order, (1/50) F_x (W - goal), zero at W = goal for every x; Adam walks W to goal
(eps=1: exact soft-target distillation at W).

Measured after the round, before the fix (the proxy, as the red team wrote its tests, on 6984e82): the labels
rewritten in the loader's data (8,192 images): moved, written, unfed and kept 0, and the network learned the shifted
labels (1.33% on the real test set): the loop chose what the network trained on, unseen. The forward at weights
written and put back: nothing counted. The pull on all 60,000 images: nothing counted, but 48.96% (/50) and 58.88%
(/1) on the public test set, under the bar: two holes, no points won. Our attack below was seen before the fix too
(128 of 128 written).

Closed after the round: the loop's loader serves a copy of the training data (what the loop does to
`loader.dataset`, the look never reads); the collate records each sample's place, and the look compares the
forward's input with, and takes the labels from, the data the check keeps; and a forward gives the look gradients
only when the weights before it (a forward pre-hook through nn.Module) and after it are the last step's
(`unchanged()`). Each image that `image_batch` hands a network in the other checks is a copy too. The tests below
keep the red team's assertions; the pull runs on 8,192 images after the fix (the refusal shows there; the accuracy
before the fix is above). At the end, our attack on the fix.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentyeight import LOOP_CHECKS, _HEAD
from test_red_team_twentytwo import PLAIN_NET, _both, _proxy

PULL_TAIL = '''
    model.train()
    total, count = 0.0, 0
    if len(ps) == 6:
        b, n = loader.dataset[:]
        b[:, 0, 0, 0] = torch.arange(len(n))
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        if len(ps) == 6:
            s = inputs[:, 0, 0, 0].long()
            inputs = inputs[:1].clone()
            inputs[:, 0, 0, 0] = inputs[:, 0, 0, 1]
            codes = [p.detach().clone() for p in ps]
            for p, g in zip(ps, goal):
                p.data = g.clone()
            with torch.no_grad():
                start = model(inputs).log_softmax(1)
            labels = torch.arange(len(s)) % 10
            b[s] = inputs
            n[s] = labels
            for p, g, t in zip(ps, goal, codes):
                p.data = g + (t - g) / {eps}
            p.data = p.data + (labels[:, None] == torch.arange(10)).float().mean(0).log() - start[0]
            inputs = b[s]
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        if len(ps) == 6:
            for p, t in zip(ps, codes):
                p.data = t
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''

# the control that is certain: the loader's labels rewritten in place; honest five steps on the batches
RELABEL_TAIL = '''
    model.train()
    total, count = 0.0, 0
    if len(ps) == 6:
        b, n = loader.dataset[:]
        n.copy_((n + 1) % 10)
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''

# lever 2 alone: the forward at written weights (twice the real ones), put back after backward
WRITTEN_POINT_TAIL = '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        codes = [p.detach().clone() for p in ps]
        if len(ps) == 6:
            for p, t in zip(ps, codes):
                p.data = 2 * t
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        for p, t in zip(ps, codes):
            p.data = t
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _cells(tail, zero=False, **fmt):
    loop = (_HEAD + tail).format(data=_data(zero), scales=SMALL_SCALES, **fmt)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


@pytest.mark.parametrize("tail", [PULL_TAIL, RELABEL_TAIL, WRITTEN_POINT_TAIL])
def test_the_rule_accepts(tail):
    cells_ = _cells(tail, eps=50)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_labels_rewritten_in_the_loaders_data_set_are_seen():
    """(Fails = the look takes labels the loop wrote.) Expected before a fix: written 0, unfed 0, moved 0, and the
    network predicts the shifted labels (accuracy near 0 on the real test set)."""
    result, accuracy = _proxy(_cells(RELABEL_TAIL), 8192)
    assert result["written"] or result["unfed"] or result["moved"], (result, accuracy)


@pytest.mark.slow
def test_a_forward_at_written_weights_is_seen():
    """(Fails = the look takes gradients at weights the loop wrote and put back.) Expected before a fix: nothing
    counted."""
    result, accuracy = _proxy(_cells(WRITTEN_POINT_TAIL), 8192)
    assert result["written"] or result["moved"], (result, accuracy)


@pytest.mark.slow
@pytest.mark.parametrize("eps", [50, 1])
def test_the_pull_to_the_carried_network_is_seen(eps):
    """(Fails = WIN if the accuracy is over the bar.) Before the fix, on all 60,000 images (the pull needs the 938
    steps): see the module's docstring (eps=50: the first-order pull in weight space; eps=1: exact soft-target
    distillation at W with the logit shift). After it, 8,192 images: the loop's rewritten batches are no batch of
    the loader's."""
    result, accuracy = _proxy(_cells(PULL_TAIL, eps=eps), 8192)
    assert result["steps"] == result["batches"]
    assert result["written"] or result["unfed"] or result["moved"] or accuracy < 0.9, (result, accuracy)


@pytest.mark.slow
def test_the_pull_controls():
    """Zero carried network: every count 0 and chance accuracy (the carried weights are what predict)."""
    result, accuracy = _proxy(_cells(PULL_TAIL, zero=True, eps=50), 8192)
    assert not (result["moved"] or result["kept"]), result
    assert accuracy < 0.2, accuracy


@pytest.mark.slow
def test_the_pull_passes_test_mnist_accuracy_through_the_judge():
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _cells(PULL_TAIL, eps=50), ["MNISTNet", "train_one_epoch"],
                          ["test_mnist_accuracy"] + LOOP_CHECKS)
    assert "test_mnist_accuracy" not in passed, passed


# Our attack on the fix: the weights written after the forward (the look's gradients are taken then, at the last
# step's weights) and before the loop's backward, which runs through the same parameters at the written values.
BETWEEN_TAIL = WRITTEN_POINT_TAIL.replace(
    """        if len(ps) == 6:
            for p, t in zip(ps, codes):
                p.data = 2 * t
        loss = loss_fn(model(inputs), labels)""", """        out = model(inputs)
        if len(ps) == 6:
            for p, t in zip(ps, codes):
                p.data = 2 * t
        loss = loss_fn(out, labels)""")


# The same five steps with nothing written: what the attack must not differ from unless it is counted.
UNWRITTEN_TAIL = WRITTEN_POINT_TAIL.replace(
    """        if len(ps) == 6:
            for p, t in zip(ps, codes):
                p.data = 2 * t
""", "")


@pytest.mark.slow
def test_our_attack_weights_written_between_the_forward_and_the_backward_are_seen():
    """(Fails = a step took gradients at weights written after the forward, unseen.) Either every step is counted
    (written), or the gradients the loop steps with are the forward's own, at the last step's weights, and it trains
    as the loop that writes nothing (since round forty-five the replayed forward holds each weight as it was then)."""
    assert BETWEEN_TAIL != WRITTEN_POINT_TAIL != UNWRITTEN_TAIL
    cells_ = _cells(BETWEEN_TAIL)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    result, accuracy = _proxy(cells_, 2048)
    assert not result["unfed"], result
    if result["written"] == result["batches"]:
        return
    honest, honest_accuracy = _proxy(_cells(UNWRITTEN_TAIL), 2048)
    assert not (result["written"] or result["moved"]), (result, accuracy)
    assert (result["predictions"] == honest["predictions"]).float().mean() > 0.995, (accuracy, honest_accuracy)
