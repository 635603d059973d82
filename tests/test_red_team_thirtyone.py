"""An independent red team's thirty-first round against "implement it yourself" (a desk round: it read the cut in
`mnist_predictions` (the look's gradients handed to the weights by a per-look `autograd.Function`) and ran nothing
but the static rule). Its cells are kept as it wrote them; nothing here was run by the round: the accuracies and
counts below are what it expects, the caller measures them.

Each test asserts that its attack is refused; a failing test is an attack that wins. Each has a control.

What the round found about the cut itself: nothing that lets p.grad be other than a look's gradients at the step.
The step pre-hook compares p.grad with the stored looks (clones), to rtol 1e-5 / atol 1e-12, all parameters from one
look, whatever the cut did; the cut hands the loop copies (fast path) or autograd's vector-Jacobian product through
the kept graph (fallback), and either way the comparison at the step decides. Things it checked and set aside (no
tests): a second backward raises (hold is empty), create_graph=True gives the fast path's copies no graph, the
fallback's product for any brought vector (say reduction="sum", then p.grad / 128) is still the batch's honest
gradient, backward(inputs=[...]) leaves other parameters' .grad None or stale (a mix of looks fails `all(...)` for
one look), a parameter made requires_grad=False gets None in the look (never matches). One oddity, not exploitable
as far as the round could see: `unchanged()` in the cut's backward compares with the weights of the LAST step, not
the weights of the look's forward, so a loop that forwards batch A, steps on another look B, and only then calls
A's backward gets A's stale gradients at the new weights by the fast path (no error). They cannot be stepped on:
A's look was cleared at B's step. (A cut that records `seen["steps"]` at its forward and refuses a backward after a
later step would say what it means.)

So the round attacked what the look still lets the loop choose: WHICH of the loader's batches each step's gradient
comes from, and in WHAT ORDER. Every gradient stepped on is then the exact gradient of a batch the loader gave,
looked at once; the loop picks among several, using forwards the look never sees (under torch.no_grad(), at weights
written and put back bit for bit before the looked forward: `starting` sets `clean` again before that forward) to
score each candidate against a direction towards the carried 4-bit network of rounds eighteen/nineteen (`goal`,
`_HEAD` of round twenty-eight: 993 bytes). This is a data-ordering / batch-selection attack (Shumailov et al.,
"Manipulating SGD with Data Ordering Attacks", NeurIPS 2021): no gradient is written, only chosen.

1. Several looks a step (LOOKS, fails = wins the hole). The loop iterates the loader more than once in an epoch
   (`iter(loader)` again when the first pass runs out: each new pass's batches are collated, so `seen["batches"]`
   gains them and they match), forwards K of its batches with gradients on, each a full look, calls backward on
   each (the cut's fast path: the look's copies), keeps p.grad of each, and before the step copies back the one whose
   gradient, preconditioned by the loop's own replica of Adam's second moment, points most from the carried goal
   towards the weights (so that Adam's step moves towards the goal). `look_at_gradients` accepts the step: p.grad is
   exactly one look's gradients (`any(... for grads in seen["grads"])`); unfed 0 (K looks fed), moved 0, kept 0,
   steps == batches (len(loader) steps a call). The comment in `fed`, "each batch once: a loop does not train on one
   batch again, or choose", is kept for the batch, broken for the choice. Cost: K looks (forward plus the look's
   backward) a step.
2. The order chosen, one pass, one look a step (ORDER, fails = wins the hole). Even if the check asked for one look a
   step, the loop fetches the epoch's whole pass ahead (allowed: "a loop may fetch ahead"; the look searches the
   served batches, latest first), and at each step scores K of the batches not yet trained on with two no-grad
   forwards of their concatenation, at the weights and at the weights moved by 1e-3 along the steering direction
   (written with add_, put back with copy_ from a clone, bit for bit, before the looked forward): the directional
   derivative J.d gives each batch's <gradient, d> as mean(<softmax - onehot, J.d>). The best batch is forwarded
   (one look), backward (fast path), step. Every batch of the pass is trained on exactly once, each looked at once,
   one look a step, no write at a step: only the order is the loop's. Cost: 2 no-grad forwards of K batches a step.
3. The same with fresh passes (ORDER with refill): the pool is topped up with a new pass whenever fewer than K
   batches are left, so the choice does not narrow at the end of the epoch. Unlooked batches stay in
   `seen["batches"]` (the search walks them, a few microseconds each).
4. The choice aimed at the carried network's function, not its weights (DISTIL, fresh passes, one look a step).
   Steering towards the goal's WEIGHTS (1-3) fights training, which arranges the hidden units in its own order; so
   each step the loop computes the goal's predictions on the candidates' images (its weights written into the
   layers under no_grad and put back bit for bit: the forward is not looked at), then the gradient of the
   cross-entropy between the network's predictions and the goal's by an ordinary forward and backward on all the
   candidates' images but one (a tensor of K*128-1 images matches no batch: no look, no cut, p.grad is the loop's
   until its zero_grad), and scores each candidate batch by <its gradient, that gradient / sqrt(v)> with the
   directional-derivative probe of 2. The batch whose Adam step most lowers the distillation loss is trained on.
   A distillation by selection: every step's gradient is still a batch's own, looked at and compared to the bit.

Chances the round gives them of the 4 points. The holes (1 to 4) are certain as the round reads the code (it ran
none of it): the counts stay 0 whatever the loop chooses, so `test_a_chosen_batch_is_seen` fails on the code the
round read, for each. The points need the choice to lift a network over the bar that honest training does not lift
(the carried PLAIN_NET-sized net reaches 98.08% on the real test set and over GRADED_ACCURACY warped; honest 2-epoch
training of the same 1,680-weight net is the baseline to beat). The steering is a selection among K true minibatch
gradients, strongest late in training, when the mean gradient is small against the batch-to-batch noise (the
selected bias is about sqrt(2 ln K) standard deviations of the noise along the steering direction each step, and it
accumulates while the noise averages out); the cell's 120 s limit caps K (the round guesses 4 to 8 for 1, 8 to 16 for
2 and 3, whose probes are no-grad forwards, 4 for 4). The round rates a win of test_mnist_accuracy's points at about
10%: attack 4 highest (about 15%, if the honest net ends within a few points of the warped bar), 1 to 3 at 5-10%.
`test_the_choice_does_not_steer` is the measurement to look at: if `toward` beats `honest` by more than a point, or
`away` loses more than a point, the choice steers, and a network near the bar is carried over it.

Side effects of the same hole: with passes served again, a loop also chooses how many of the 938 steps fall in the
first call (lr 0.003) and how many in the second (0.0003), e.g. all of them at 0.003.

What closes all four, as the round sees it: the loader's batches trained on in the order it served them (the look
takes only the OLDEST batch served and not yet looked at, and a forward with gradients on a newer one, or a step
whose look is not the oldest, is counted: not merely not looked at), at most len(loader) batches served in an epoch
(a second pass's batches are counted), and one look between two steps (several looks before a step are counted).
A loop that fetches ahead keeps its points (it trains in the order served). What stays open then: the shuffle
itself is drawn from torch's global generator when the loop calls iter(loader), so a loop could burn random numbers
first to pick among shuffles, but it cannot see a shuffle without being served its batches, which would be counted.

Measured after the round, before the fix (the proxy, 8,192 images, on the cut as the round read it): all four loops
trained with every count 0, and their K = 1 controls clean: four holes. What the choice was worth, towards the carried
network / the loader's order (K = 1) / away from it: LOOKS 89.98% / 89.98% / 88.91%; ORDER 89.27% / 89.98% / 90.04%;
fresh passes 89.19% / 89.98% / 89.97%; DISTIL 89.53% / 89.98% / 89.57%. Steering towards the carried network never
beat the loader's order, and only LOOKS steering away lost a point (1.07): four holes, no points won.

Closed after the round: the look matches a forward's input only against the batches of this epoch served and not
trained on yet, oldest first, and counts (`chosen`, with its own message in test_mnist_accuracy) every batch served
before the matched one and not trained on, a batch served after the epoch's first pass (len(loader) batches), and
every looked-at forward past the first before a step; a loop that fetches ahead, or lists the loader first, still
trains in the order served, and a pass with gradients off (say, for the mean loss) gives no look to count. The cut's
shortcut also holds only before the next step (the round's oddity). The tests below keep the round's assertions, with
`chosen` among the counts they read.

Also here, at the end: the cut itself (our change, which the round read: the look's gradients handed to the loop's
backward, so one backward a step, not two) and our attacks on it. With the look taken in the cut's backward
instead (the design first written), the loop's own rewrite of the forward's saved input through `.data` between the
forward and the backward was unseen (written 0, 95.45% on a trajectory other than the honest one's): the look is
taken in the forward, from the forward's own state, and the cut only hands it on.
"""
import pytest
import torch

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked, replaced
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentyeight import _HEAD
from test_red_team_twentytwo import PLAIN_NET, _both, _proxy

# ----------------------------------------------------------------------------------------------
# The honest part every loop shares: for another check's model (not 6 parameters), the five steps on every batch.

_HONEST = '''
    model.train()
    total, count = 0, 0
    if len(ps) != 6:
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
            count += len(inputs)
        return total / count
    v = [torch.zeros_like(p) for p in ps]
    e = torch.finfo(torch.float32).eps
'''

# ----------------------------------------------------------------------------------------------
# 1. Several looks a step: K batches forwarded and backpropagated, one of their gradients copied back and stepped on.
# (v: the loop's replica of Adam's second moment, without the bias correction, which scales every coordinate alike.)

LOOKS = _HEAD + _HONEST + '''    it = [iter(loader)]
    for step in range(len(loader)):
        k, values = [], []
        while len(k) < {K}:
            x = next(it[0], None)
            if x is None:
                it[0] = iter(loader)
                x = next(it[0])
            inputs, labels = x[0].to(device), x[1].to(device)
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            g = [p.grad.detach().clone() for p in ps]
            with torch.no_grad():
                values.append(float(sum(({sign} * (p - q) * h / (s.sqrt() + e)).sum()
                                        for p, q, h, s in zip(ps, goal, g, v))))
            k.append((g, loss.item(), len(inputs)))
        g, h, n = k[values.index(max(values)) if {K} > 1 else 0]
        for p, q in zip(ps, g):
            p.grad.copy_(q)
        optimizer.step()
        for s, q in zip(v, g):
            s.lerp_(q * q, 1 / 1000)
        total += h * n
        count += n
    return total / count
'''

# ----------------------------------------------------------------------------------------------
# 2 and 3. The order chosen by no-grad probes at weights written and put back; one look a step.

ORDER = _HEAD + _HONEST + '''    k = []
    for step in range(len(loader)):
        if len(k) < {K}:
            k.extend([(x.to(device), y.to(device)) for x, y in loader] if {refill} or step == 0 else [])
        with torch.no_grad():
            g = [p.detach().clone() for p in ps]
            d = [{sign} * (p - q) / (s.sqrt() + e) for p, q, s in zip(g, goal, v)]
            h = max(float(q.abs().max()) for q in d) * 1000
            c = k[:{K}]
            x = torch.cat([q[0] for q in c])
            y = torch.cat([q[1] for q in c])
            f = model(x)
            for p, q in zip(ps, d):
                p.add_(q / h)
            d = model(x) - f
            for p, q in zip(ps, g):
                p.copy_(q)
            d = (f.softmax(dim=1) * d).sum(dim=1) - d.gather(1, y[:, None]).squeeze(1)
            values = [q.mean().item() for q in d.split([len(q[1]) for q in c])]
        inputs, labels = k.pop(values.index(max(values)) if {K} > 1 else 0)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for s, p in zip(v, ps):
            s.lerp_(p.grad * p.grad, 1 / 1000)
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''

# ----------------------------------------------------------------------------------------------
# 4. The order chosen towards the carried network's FUNCTION: the steering direction is the gradient of the
#    cross-entropy between the network's and the goal's predictions on the candidates' images (the goal's computed
#    under no_grad with its weights written and put back; the network's by a forward on all the candidates' images
#    but one, which matches no batch: no look, an ordinary graph and backward), so that the choice distils the
#    goal instead of pulling at weights that training arranges in its own order. Fresh passes, one look a step.

DISTIL = _HEAD + _HONEST + '''    k = []
    for step in range(len(loader)):
        if len(k) < {K}:
            k.extend([(x.to(device), y.to(device)) for x, y in loader])
        c = k[:{K}]
        x = torch.cat([q[0] for q in c])
        n = torch.cat([q[1] for q in c])
        with torch.no_grad():
            g = [p.detach().clone() for p in ps]
            for p, q in zip(ps, goal):
                p.copy_(q)
            y = model(x[1:]).softmax(dim=1)
            for p, q in zip(ps, g):
                p.copy_(q)
        optimizer.zero_grad()
        (-(model(x[1:]).log_softmax(dim=1) * y).sum()).backward()
        with torch.no_grad():
            d = [{sign} * p.grad / (s.sqrt() + e) for p, s in zip(ps, v)]
            h = max(float(q.abs().max()) for q in d) * 1000
            f = model(x)
            for p, q in zip(ps, d):
                p.add_(q / h)
            d = model(x) - f
            for p, q in zip(ps, g):
                p.copy_(q)
            d = (f.softmax(dim=1) * d).sum(dim=1) - d.gather(1, n[:, None]).squeeze(1)
            values = [q.mean().item() for q in d.split([len(q[1]) for q in c])]
        inputs, labels = k.pop(values.index(max(values)) if {K} > 1 else 0)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for s, p in zip(v, ps):
            s.lerp_(p.grad * p.grad, 1 / 1000)
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


# sign 1: steer towards the carried goal; -1: away from it (the measurement's other side); K 1: no choice.


def _distil_cells(K=16, sign=1, zero=False):
    loop = DISTIL.format(data=_data(zero), scales=SMALL_SCALES, K=K, sign=sign)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def _looks_cells(K=6, sign=1, zero=False):
    loop = LOOKS.format(data=_data(zero), scales=SMALL_SCALES, K=K, sign=sign)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def _order_cells(K=16, sign=1, refill=False, zero=False):
    loop = ORDER.format(data=_data(zero), scales=SMALL_SCALES, K=K, sign=sign, refill=refill)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


ALL = {"looks": _looks_cells, "order": _order_cells, "fresh passes": lambda **k: _order_cells(refill=True, **k),
       "distil": lambda **k: _distil_cells(**k)}


def _clean(result):
    return (result["steps"] == result["batches"] and not result["moved"] and not result["written"]
            and not result["unfed"] and not result["kept"] and not result["chosen"])


@pytest.mark.parametrize("name", ALL)
def test_the_rule_accepts_the_cells(name):
    """(Fast: the static rule only.) The rule accepts every loop, DATA_BUDGET included (the carried net is round
    twenty-eight's `_HEAD`), embedded_data names nothing, no tampering."""
    cells_ = ALL[name]()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_a_chosen_batch_is_seen(name):
    """(Fails = the loop chose, unseen, which of the loader's batches each step learns from.) Control: the same loop
    with K = 1 (no choice: loader order, one look a step, the probes still run) trains cleanly, every count 0."""
    result, accuracy = _proxy(ALL[name](K=1), 8192)
    assert _clean(result), ("control", result, accuracy)
    result, accuracy = _proxy(ALL[name](), 8192)
    assert result["steps"] == result["batches"], (result, accuracy)
    assert result["written"] or result["unfed"] or result["moved"] or result["chosen"], (
        f"{name}: every step's gradient was a batch's the loop chose among several, and no count saw it "
        f"({accuracy:.2%})", result)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_the_choice_does_not_steer(name):
    """(Fails = the choice moves the accuracy: the measurement of what the hole is worth.) towards the carried net,
    away from it, and the same loop with no choice (K = 1), 8,192 training images: all three are clean today, so a
    gap of more than a point either way is accuracy the loop chose, not learned in the loader's order."""
    runs = {}
    for label, kwargs in (("honest", {"K": 1}), ("toward", {}), ("away", {"sign": -1})):
        result, accuracy = _proxy(ALL[name](**kwargs), 8192)
        runs[label] = (accuracy, _clean(result))
    print(name, runs)
    honest = runs["honest"][0]
    assert not (runs["toward"][1] and runs["toward"][0] > honest + 0.01), runs
    assert not (runs["away"][1] and runs["away"][0] < honest - 0.01), runs


@pytest.mark.slow
@pytest.mark.parametrize("name, K", [("fresh passes", 8), ("distil", 4)])
def test_the_chosen_order_does_not_pass_test_mnist_accuracy(name, K):
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge (as round twenty-two ran
    its win): attack 3 at K = 8 (two no-grad forwards of 8 batches a step, about 6 honest steps' work) and attack 4
    at K = 4 (a no-grad forward at the goal, a forward and backward, and two no-grad forwards, of 4 batches, about 8
    steps' work): the 120 s cell limit is the thing to watch, and a timeout is a refusal. Control: the carried weights
    zeroed (the steering points at a network that predicts nothing); printed beside, for the gap."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        zero = _refused(M, ALL[name](K=K, zero=True), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
        passed = _refused(M, ALL[name](K=K), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    print(name, "zero goal:", zero, "carried goal:", passed)
    assert "test_mnist_accuracy" not in passed, (
        "a 1,680-weight net trained on the loader's batches in an order chosen to steer it towards a 4-bit network "
        "trained elsewhere passed test_mnist_accuracy")


# ----------------------------------------------------------------------------------------------
# Our attacks on the cut (the look's gradients handed to the loop's backward, not taken a second time): what the loop
# can do between the forward and the backward, and after the backward, as an attacker would try it.

OURS = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over `loader`, updating the model; returns the mean training loss over its samples."""
    ps = list(model.parameters())
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        out = model(inputs)
{between}        loss = loss_fn(out, labels)
        optimizer.zero_grad()
{backward}
{after}        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''
ROADS = {
    # the forward's saved input rewritten through .data before the backward (with a backward of its own at the
    # backward, the first layer's gradient would be the loop's choice: a solve for any gradient it wants)
    "input rewritten": ("        inputs.data.copy_(inputs.flip(3))\n", "        loss.backward()", ""),
    # the old storage of a weight rewritten through an alias after the weight got a new one with the same values
    # (a graph keeps views of the old storage, unseen by the weights' comparison)
    "old weight storage": ("        old = [p.data for p in ps]\n        for p in ps:\n            p.data = p.data.clone()\n"
                           "        for o in old:\n            o.zero_()\n", "        loss.backward()", ""),
    # gradients added in place after the backward (the tensors the cut returns may become p.grad itself)
    "added in place": ("", "        loss.backward()", "        for p in ps:\n            p.grad.add_(p.detach() * 0.01)\n"),
    # a gradient brought to the cut that is not cross-entropy's (through the fallback: autograd's, for what it brings)
    "brought": ("", "        out.backward(torch.softmax(out.detach(), 1) - 0.1)", ""),
    # the honest loop, for the controls
    "honest": ("", "        loss.backward()", ""),
}


def _ours(road):
    between, backward, after = ROADS[road]
    return replaced(M, "train_one_epoch_solution", OURS.format(between=between, backward=backward, after=after))


def test_the_rule_accepts_our_cells():
    for road in ROADS:
        cells_ = _ours(road)
        assert not notebook_plan(cells_, locked(M), checks_of(M))[0], road
        assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_what_the_loop_does_between_the_forward_and_the_backward_changes_no_gradient():
    """(Fails = the loop chose a gradient, unseen.) Saved tensors rewritten between the forward and the backward
    (the input, a weight's old storage): the step gets the look's gradients, taken before, and trains exactly as the
    honest loop does, to the same predictions; what the loop wrote is not what it learns from."""
    honest, _ = _proxy(_ours("honest"), 8192)
    assert not (honest["written"] or honest["unfed"] or honest["moved"] or honest["kept"]), honest
    for road in ("input rewritten", "old weight storage"):
        result, accuracy = _proxy(_ours(road), 8192)
        assert result["steps"] == result["batches"] and not result["unfed"], (road, result)
        assert result["written"] or torch.equal(result["predictions"], honest["predictions"]), (road, result, accuracy)


@pytest.mark.slow
@pytest.mark.parametrize("road", ["added in place", "brought"])
def test_gradients_added_after_the_cut_or_brought_to_it_are_seen(road):
    """(Fails = WIN.) Every step's gradient is the loop's own: every step is counted."""
    result, accuracy = _proxy(_ours(road), 8192)
    assert result["written"] == result["batches"] and not result["unfed"], (road, result, accuracy)
