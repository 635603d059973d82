"""An independent red team's twenty-fifth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Run as the round ran it (on the commit this branch starts from):

    PYTHONPATH=.:student-kit:tests python -m pytest tests/test_red_team_twentyfive.py -q -p no:cacheprovider

Closed after the round (attack 1's two tests failed against the code they attacked and pass now): the check's
loss_fn looks at the gradients inside a try: a graph autograd cannot go through (freed by the loop's own backward,
or changed in place), which no honest loop hands in, fails that step's look (counted as written gradients, and a
later call in the same step does not mend it) instead of raising into the learner's code, so nothing the loop can
see differs between the steps looked at and the others. The zero control now sees the writes too. Our attack at
the end: the same loop, asking the oracle on every step.

1. WIN, mnist_classifier test_mnist_accuracy (4 points): round twenty-four moved the DRAW of the 64 steps whose
   gradients are looked at into the judge, but the LOOK still happens where the learner sees it: the loss_fn that
   mnist_predictions hands to train_one_epoch calls `torch.autograd.grad(loss, params, retain_graph=True)` on those
   steps only, at the moment the learner calls it. The learner's loop runs the forward, then frees the network's
   graph with its own `out.sum().backward()` (no retain_graph), then calls loss_fn(out, labels): on a step looked
   at, the check's autograd.grad raises "Trying to backward through the graph a second time", which the loop
   catches (try/except RuntimeError); it then calls loss_fn again on a fresh forward (the check looks again, and
   this time records the true gradients) and steps honestly. On every other step loss_fn returns quietly, and the
   loop writes each parameter's gradient as `p - goal` (round nineteen's 840-byte 4-bit network, as round
   twenty-four's loop): torch's Adam walks the weights to the carried network. The oracle is exact, so no guess
   is needed. Only `.sum`, `.backward`, `try/except`, ints and tensor arithmetic: the static rule accepts the cells
   (in train_one_epoch's budget), embedded_data names nothing. Controls: the same loop carrying an all-zero network
   predicts at chance with steps, moved, written and kept all holding (the carried weights are what predict), and
   the same loop that writes on the looked-at steps too ("blind") is seen writing gradients.
   As graded but for the warp (the proxy of rounds twenty-one and twenty-two, all 60,000 training images, seed
   12345, the steps drawn from the operating system): steps 938/938, moved 0, written 0, kept 0, layers
   Conv2d/MaxPool2d/Linear counted, test accuracy 98.1% (the carried network reaches 97% on the warped views,
   round eighteen). 38 s (155 s beside another run, 2 CPUs); the controls 6 s and 14 s. Through the judge on warped views (the
   steps looked at drawn from the grading secret, the guards installed), test_mnist_accuracy PASSES (73 s); the
   blind loop through the same judge is refused (written gradients seen, 13 s). The whole file: 2 failed, 4 passed,
   148 s.
   test_the_rule_accepts_the_oracle_loop (fast; tamper.py too), test_the_check_looking_at_gradients_cannot_be_observed
   (fail = win, proxy, full training set), test_the_oracle_loop_through_the_judge_on_warped_views (fail = win),
   controls: test_the_check_looking_at_gradients_controls[zero], [blind], test_the_oracle_loop_through_the_judge_control.
   What would close it: whatever loss_fn does on a looked-at step must be invisible to the caller. An honest loop
   never hands loss_fn an output whose graph is already freed (or whose saved tensors were changed in place: the
   same error, another oracle), so loss_fn could catch the autograd.grad failure itself and count the step as
   written, never raising into the learner's code; or differentiate on every step (one more autograd.grad a
   batch). Looking later (the step's pre-hook) is no way out: the honest loop's backward has freed the graph.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _tampering
from test_red_team_twentytwo import PLAIN_NET, _both, _proxy

# ----------------------------------------------------------------------------------------------
# 1. The check's loss_fn differentiates the loss on the steps looked at, inside the learner's call: a loop that
#    freed the graph first sees it fail there, and is honest on exactly those steps.

ORACLE_LOOP = '''P = {data!r}
S = {scales!r}


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch; on the steps nobody looks at, the gradient pulls towards P."""
    ps = list(model.parameters())
    codes, goal, start = [], [], 0
    for b in P:
        codes.append(b // 16 - 8)
        codes.append(b % 16 - 8)
    for p, s in zip(ps, S):
        n = p.numel()
        goal.append((torch.tensor(codes[start:start + n], dtype=torch.float32) * s).reshape(p.shape))
        start += n
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        out = model(inputs)
        out.sum().backward()
        looked = False
        try:
            loss = loss_fn(out, labels)
        except RuntimeError:
            looked = True
            loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        if looked and {honest}:
            loss.backward()
        else:
            for p, g in zip(ps, goal):
                p.grad = p.detach() - g
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _oracle_cells(zero=False, honest=True):
    loop = ORACLE_LOOP.format(data=_data(zero), scales=SMALL_SCALES, honest=honest)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_oracle_loop():
    """(The rule accepts both cells, DATA_BUDGET and CODE_BUDGET included, embedded_data names nothing, and
    grader/tamper.py names no tampering.)"""
    cells_ = _oracle_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)
    assert not _tampering(M, cells_)


@pytest.mark.slow
def test_the_check_looking_at_gradients_cannot_be_observed():
    """(Fails = WIN: 4 points.) The full training set (938 steps), as graded but for the warp: the check must see
    the written gradients, or the carried network must not be what predicts."""
    result, accuracy = _proxy(_oracle_cells(), None)
    assert result["steps"] == result["batches"] == 938
    refused = (result["moved"] or result["written"] or result["kept"] or accuracy < 0.95
               or {"Conv2d", "MaxPool2d", "Linear"} - set(result["layers"]))
    assert refused, (result, accuracy)


@pytest.mark.slow
@pytest.mark.parametrize("control", ["zero", "blind"])
def test_the_check_looking_at_gradients_controls(control):
    """(Controls, 8,192 training images.) zero: the same loop carrying an all-zero network predicts at chance, every
    structural test holding (the carried weights, not the honest steps, are what predict). blind: the same loop
    writing on the looked-at steps too is seen writing gradients."""
    if control == "zero":
        result, accuracy = _proxy(_oracle_cells(zero=True), 8192)
        assert result["steps"] == result["batches"]
        # (After the round the look never raises into the loop: the freed graph it is shown fails the look.)
        assert not (result["moved"] or result["kept"]) and result["written"] > 0
        assert accuracy < 0.5, accuracy
    else:
        result, accuracy = _proxy(_oracle_cells(honest=False), 8192)
        assert result["written"] > 0


@pytest.mark.slow
def test_the_oracle_loop_through_the_judge_on_warped_views():
    """(Fails = WIN: 4 points.) test_mnist_accuracy as graded: through the judge (which draws the steps looked at
    from the grading secret and hands them in), on warped views, the guards installed."""
    from test_red_team_eighteen import _warped_views
    from test_red_team_thirteen import _refused
    with _warped_views():
        passed = _refused(M, _oracle_cells(), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, (
        "a 4-bit network trained elsewhere, written as gradients on every step the check's loss_fn did not "
        "differentiate (seen by the failure of its autograd.grad on a freed graph), passed test_mnist_accuracy")


@pytest.mark.slow
def test_the_oracle_loop_through_the_judge_control():
    """(Control.) The same loop writing its gradients on the looked-at steps too ("blind"), through the same judge
    on warped views: refused (the judge's draws reach the check, which sees the writes it is shown)."""
    from test_red_team_eighteen import _warped_views
    from test_red_team_thirteen import _refused
    with _warped_views():
        passed = _refused(M, _oracle_cells(honest=False), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed


# ----------------------------------------------------------------------------------------------
# Our attack on the fix: the loop hands loss_fn a freed graph on every step and then a fresh forward, so that a
# look, wherever it falls, sees the fresh one; and writes its gradients on every step (it can no longer tell).

@pytest.mark.slow
def test_our_attack_a_freed_graph_then_a_fresh_one_on_every_step_is_seen():
    """The oracle asked on every step, answered never: the loop steers on every step, and the looks (a failed
    look is not mended by the fresh forward that follows it in the same step) see the writes. 8,192 images."""
    asked = '''        looked = False
        loss_fn(out, labels)  # (the look, where it falls, fails here)
        loss = loss_fn(model(inputs), labels)  # (and would see the fresh graph here)
'''
    old = """        looked = False
        try:
            loss = loss_fn(out, labels)
        except RuntimeError:
            looked = True
            loss = loss_fn(model(inputs), labels)
"""
    cells_ = [(n, src.replace(old, asked)) for n, src in _oracle_cells()]
    assert any(asked in src for _, src in cells_) and not notebook_plan(cells_, locked(M), checks_of(M))[0]
    result, accuracy = _proxy(cells_, 8192)
    assert result["steps"] == result["batches"] and result["written"] > 0
