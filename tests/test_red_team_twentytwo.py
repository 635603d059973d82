"""An independent red team's twenty-second round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Run as the round ran it (02:0x UTC, on the commit this branch starts from):

Closed after the round (each test below failed against the code it attacked and passes now): mnist_predictions'
step pre-hook hands torch's step a closure of its own that runs the learner's and then looks at the weights and
the gradients again (attack 1; an honest loop that computes its loss in a closure passes, the controls' third
case), and coursekit's RecordedOptimizer runs a closure itself before it records; `layers_that_count` (was
outputs_that_count) adds noise of the size of each layer's output to it and asks that the network's output move
by more than LAYER_EFFECT (1e-3) of its size, in eval mode, each pass from one seed, the pass with no noise again
at two random places (attack 2; our drifting forward at the end), and a network whose forward fails counts no
layer (attack 3: the flatsize mistake now loses test_mnist_net_layers too); net_gradients counts a layer that does
not count as unused; RecordingModel records whether its input is what TrackedTensor.to gave back (attack 4) and
the mode of every module, None when they differ (attack 5). Attack 1's control now asserts that the write is
seen. Left out, as docs/trust.md says: a forward that tells the check's noise apart (a layer computed again with
torch's functions and compared).

1. WIN, mnist_classifier test_mnist_accuracy (4 points), through the judge on warped views (round eighteen's
   _warped_views, seed 7: accuracy_needed() is GRADED_ACCURACY), 46 s. torch's `Optimizer.step(closure)` runs its
   step PRE-hooks first, then the closure, then the update, then the post-hooks. mnist_predictions hands
   train_one_epoch torch's Adam itself, and does all its looking in those hooks: `before_step` (weights unchanged
   since the last step; at 64 drawn steps, the gradients those of the last loss) and `after_step` (records the
   weights as "the last step's"). train_one_epoch (IN_STEP) is the honest loop (loss_fn(model(inputs), labels),
   zero_grad, backward: every hook check holds) except that it calls `optimizer.step(put)`: `.step` is on the list,
   a closure is an ordinary argument. `put` runs inside the step, after the pre-hook looked: it writes round
   nineteen's 840-byte, 4-bit network (trained OUTSIDE the notebook; carried in train_one_epoch's own code, within
   DATA_BUDGET) into the parameters' .data and sets every .grad to zeros, so Adam's update is exactly 0 (its
   averages stay 0) and the post-hook records the written weights as the step's. Every later pre-hook sees the
   weights "as the last step left them"; the very parameters, in torch's own Conv2d/Linear layers, reset by the
   check, trained (requires_grad), no decoy, no library method, no swap while predicting. Result: steps == batches,
   moved = written = kept = 0, and the carried network predicts (98.08% on the real test set in the in-process
   proxy; over GRADED_ACCURACY on the warped views through the judge). The closure only fires for a 6-parameter
   model, so test_train_one_epoch_learns and the hidden test_train_one_epoch_matches_reference (2 + 2 points) pass
   too. Not the trust.md's "Not promised" roads: no second network computed in forward (forward is the plain
   CNN), no `s - s.detach()`; it is a write, which the promise names ("the weights change only by those steps",
   "by a write, by written gradients"): the write and the written gradients happen inside the step.
   Controls (in-process proxy, 1,024 training images): zero carried weights predict at chance; the same write
   called right after optimizer.step() instead of inside it is seen (moved > 0).
   test_weights_written_in_the_step_closure_pass_test_mnist_accuracy (fails = wins),
   test_the_step_closure_controls.

2. WIN, mnist_classifier test_mnist_net_layers (1 point) and test_mnist_net_hidden (1 hidden point). Round
   twenty-one's "layers times 0" (its attack 6) closed by asking that each layer kind's output change the net's
   output, by a GRADIENT test (outputs_that_count: grad of (out * randn).sum() w.r.t. the layer's output not all
   zero) and that weight gradients not be all zero (net_gradients). A linear classifier plus
   `1e-30 * pool(conv(x)).flatten(1)[:, :10]` added to its logits: the gradients are tiny and nonzero (float32
   reaches 1e-38), so every layer "counts" and every weight "gets a gradient", while the output is bit for bit
   the linear classifier's (1e-30 is far below float32's resolution at the logits' size). Control: times 0.0
   passes the shape check alone. test_layers_scaled_by_1e30_pass_the_layer_checks.

3. WIN, mnist_classifier test_mnist_net_layers (1 point). outputs_that_count returns None when net(x) raises, and
   net_layers then counts EVERY layer ("its other checks fail then": the flatsize mistake, commit 57724b6). They
   need not: a linear MNISTNet beside a registered Conv2d and MaxPool2d it never uses, whose forward raises only on
   the first call of an instance with a batch of 2 (net_layers' first call; net_outputs' first batch is 1 image, so
   test_mnist_net_output_shape and test_mnist_net_returns_logits pass too). Control: the same net that never raises
   fails the layers check. test_a_forward_that_fails_once_counts_every_layer.

4. WIN (weak: a process check fooled), mnist_classifier test_train_one_epoch_mode_and_device (1 point) and
   test_evaluate_hidden (1 hidden point). The "moves each batch to the device" part counts calls of TrackedTensor.to;
   it does not ask that what the model sees be what .to returned. A loop and an evaluate that call
   `inputs.to(device), labels.to(device)` and drop the results (and compute on the unmoved batch) pass. On the
   CPU this changes no number, but on any other device the loop would fail. Control: without the dropped calls
   both fail. test_dropped_to_results_pass_the_device_checks.

5. WIN (weak: a process check fooled), mnist_classifier test_evaluate_mode_and_no_grad (2 points). RecordingModel
   records `self.training` of the top module only, so `model.training = False` (`.training` is on @training's list;
   a data attribute, hides_library lets the set through) passes "evaluate puts the model in evaluation mode",
   while every submodule (a Dropout, a BatchNorm) stays in training mode. Control: without it, fails.
   test_the_top_flag_alone_passes_test_evaluate_mode_and_no_grad.

Refused (tests below pass):
6. optimizers: train capturing the torch optimizer the check wraps (RecordedOptimizer.__getattr__ forwards every
   public name to it) by `optimizer.register_step_pre_hook(...)` with the name made "own" by a class of the
   learner's that defines it: refused by the static rule (`.register_step_pre_hook` is not train's own name, and
   `type(opt)` kept is refused). Of Adam's public names only step and zero_grad are on train's list, and those
   RecordedOptimizer defines itself. test_train_cannot_hook_the_wrapped_torch_optimizer.
7. training_recipes: cross_entropy_weighted through torch's losses by other roads: torch.special.torch.nn...
   (torch.special imports torch; `_only_modules_under` refuses a module outside the prefix), getattr(torch, "nn"),
   getattr(F, "cross_entropy"), a default argument, an import inside the def, torch.Tensor.cross_entropy,
   F.nll_loss, type(F.softplus) kept, torch.linalg.LinAlgError.args, typing.Any.__call__: all refused statically.
   test_built_in_losses_by_other_roads_are_refused.

Reasoned, not won (no test): training_recipes gives the learner's code nothing but tensors and numbers (its
torch runs are in the judge), and the @python/@tensor vocabularies hold no update rule or loss of torch's (the
wildcards torch.special.*, torch.linalg.*, math.*, itertools.* hold no module or class reaching one);
one_cycle_lr's and MyAdamW's visible settings and seeds are drawn per learner, so no table fits DATA_BUDGET. The
optimizers' compare_with_torch calls step() with no closure, so attack 1's road does not reach MyAdam/MySGD;
run_train's and run_epochs' RecordedOptimizer records fresh/model gradients before the inner step, so a closure
there can change the update after the record too, but those checks compare the trajectory with the reference's
(hidden) or ask that the loss fall, which a write cannot fake cheaply. A learner class's `__call__`
(CLASS_DUNDERS) or a layer's `.forward` (on @layers) skip module hooks; with the weights written and put back
inside forward that is round twenty-one's attack 5 with "no module call", which trust.md leaves out of scope.

What would close them: 1: hand train_fn a wrapper of Adam whose step takes no arguments (or refuses a closure),
or check in the pre-hook AND inside the step (a post-hook comparing the update with what Adam makes of the
pre-hook's gradients: weights after == weights before - Adam's update); more generally, take the check's
look-points out of torch's hook order. 2: ask for a gradient comparable to the output's scale (e.g. the relative
change of the output when the layer's output is zeroed, or a gradient norm above a fraction of the linear
part's), or that the net's output change when the layer's weights are re-drawn. 3: when net(x) raises, count no
layer (the shape check already says why), or retry on another batch. 4: have RecordingModel record whether its
input is a tensor .to returned (TrackedTensor marks its results). 5: record the training flag of every submodule
(or the Dropout's), or compare outputs with a Dropout in the recording model.
"""
import os

import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, O, R, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data


def _both(assignment, new):
    """The learner's cells with every cell of `new` ({grade_id: source}) replaced."""
    first = next(iter(new))
    return [(n, new.get(n, s)) for n, s in replaced(assignment, first, new[first])]


# ----------------------------------------------------------------------------------------------
# 1. optimizer.step(closure): torch runs the step's pre-hooks, THEN the closure, then the update, then the
#    post-hooks. mnist_predictions looks only in those hooks; the closure writes a network trained elsewhere.

PLAIN_NET = '''class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

IN_STEP = '''P = {data!r}
S = {scales!r}


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch; optimizer.step is handed a closure, which torch's step calls after its
    pre-hooks: it writes the weights and zero gradients."""
    ps = list(model.parameters())
    codes, goal, start = [], [], 0
    for b in P:
        codes.append(b // 16 - 8)
        codes.append(b % 16 - 8)
    for p, s in zip(ps, S):
        n = p.numel()
        goal.append((torch.tensor(codes[start:start + n], dtype=torch.float32) * s).reshape(p.shape))
        start += n

    def put():
        for p, g in zip(ps, goal):
            p.data = g.clone()
            p.grad = torch.zeros_like(p)

    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step({closure})
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


HONEST_CLOSURE = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch, the loss computed in a closure handed to optimizer.step."""
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)

        def closure():
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _in_step_cells(zero=False, closure="put if len(ps) == 6 else None"):
    loop = IN_STEP.format(data=_data(zero), scales=SMALL_SCALES, closure=closure)
    if closure == "after":  # (the control: the same write, right after the step instead of inside it)
        loop = loop.replace("optimizer.step(after)", "optimizer.step()\n        if len(ps) == 6:\n            put()")
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_step_closure_loop():
    """(The rule accepts the cells, DATA_BUDGET included, and embedded_data names nothing.)"""
    cells_ = _in_step_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)


def _proxy(cells_, train_images):
    """mnist_predictions as the helper cell writes it, run in this process with the learner's cells as graded
    (round twenty-one's proxy): its record and the accuracy on the real test set."""
    from test_red_team_twentyone import _helpers_namespace, _run_as_graded
    ns = _helpers_namespace(train_images)
    _run_as_graded(cells_, ns)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345)
    accuracy = (result["predictions"] == ns["test_data"].tensors[1]).float().mean().item()
    return result, accuracy


@pytest.mark.slow
def test_the_step_closure_controls():
    """(Controls, 1,024 training images: the carried weights are what predict (zero weights: chance, with every
    structural test holding), and the same write right after optimizer.step() is seen.)"""
    result, accuracy = _proxy(_in_step_cells(zero=True), 1024)
    # (After the round, the check looks at the weights and gradients after the closure too: the write is seen.)
    assert result["steps"] == result["batches"] and result["moved"] > 0
    assert accuracy < 0.2
    result, accuracy = _proxy(_both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": HONEST_CLOSURE}),
                              1024)  # (an honest loop that hands step a closure is not refused)
    assert result["steps"] == result["batches"] and not (result["moved"] or result["written"] or result["kept"])
    result, accuracy = _proxy(_in_step_cells(closure="after"), 1024)
    assert result["moved"] > 0


@pytest.mark.slow
def test_weights_written_in_the_step_closure_pass_test_mnist_accuracy():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge; the loop's checks
    (test_train_one_epoch_learns, hidden test_train_one_epoch_matches_reference) pass beside it."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _in_step_cells(), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, (
        "a 4-bit network trained elsewhere, written into the parameters by a closure handed to optimizer.step "
        "(after the step's pre-hooks looked), passed test_mnist_accuracy")


# ----------------------------------------------------------------------------------------------
# 2. Layers that count 1e-30: the gradient tests of outputs_that_count and net_gradients see them; the output
#    is bit for bit the linear classifier's.

TINY = '''class MNISTNet(nn.Module):
    """A linear classifier; a Conv2d and a MaxPool2d whose output, times a tiny number, is added to the logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.classifier = nn.Linear(28 * 28, 10)

    def forward(self, x):
        logits = self.classifier(x.flatten(start_dim=1))
        return logits + {scale} * self.pool(self.conv(x)).flatten(start_dim=1)[:, :10]
'''
NET_CHECKS = ["test_mnist_net_output_shape", "test_mnist_net_layers", "test_mnist_net_hidden"]


@pytest.mark.slow
def test_layers_scaled_by_1e30_pass_the_layer_checks():
    """mnist_classifier: test_mnist_net_layers (1 point) and test_mnist_net_hidden (1 hidden point) for a linear
    classifier whose convolution and pooling change no output bit."""
    import torch
    import torch.nn as nn
    ns = {"nn": nn, "torch": torch}
    exec(TINY.format(scale="1e-30"), ns)
    net, x = ns["MNISTNet"](), torch.randn(64, 1, 28, 28)
    assert torch.equal(net(x), net.classifier(x.flatten(start_dim=1)))  # (the layers change no output bit)
    zero = _refused(M, replaced(M, "mnist_net_solution", TINY.format(scale="0.0")), ["MNISTNet"], NET_CHECKS)
    assert zero == ["test_mnist_net_output_shape"]  # (the control: round twenty-one's times 0 is refused)
    passed = _refused(M, replaced(M, "mnist_net_solution", TINY.format(scale="1e-30")), ["MNISTNet"], NET_CHECKS)
    assert passed == ["test_mnist_net_output_shape"], f"layers that change no output bit passed {passed}"


# ----------------------------------------------------------------------------------------------
# 3. outputs_that_count gives None when net(x) raises, and net_layers then counts every layer.

FAILS_ONCE = '''class MNISTNet(nn.Module):
    """A linear classifier beside a Conv2d and a MaxPool2d it never uses; its first forward on 2 images fails."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.classifier = nn.Linear(28 * 28, 10)
        self.ran = {ran}

    def forward(self, x):
        if len(x) == 2 and not self.ran:
            raise ValueError("not yet")
        self.ran = True
        return self.classifier(x.flatten(start_dim=1))
'''


@pytest.mark.slow
def test_a_forward_that_fails_once_counts_every_layer():
    """mnist_classifier: test_mnist_net_layers (1 point) for a linear classifier whose Conv2d and MaxPool2d are
    never used; the output-shape and logits checks pass too."""
    checks = ["test_mnist_net_output_shape", "test_mnist_net_layers", "test_mnist_net_returns_logits"]
    plain = _refused(M, replaced(M, "mnist_net_solution", FAILS_ONCE.format(ran="True")), ["MNISTNet"], checks)
    assert plain == ["test_mnist_net_output_shape", "test_mnist_net_returns_logits"]  # (the control)
    passed = _refused(M, replaced(M, "mnist_net_solution", FAILS_ONCE.format(ran="False")), ["MNISTNet"], checks)
    assert "test_mnist_net_layers" not in passed, "a forward that fails on net_layers' first call counted every layer"


# ----------------------------------------------------------------------------------------------
# 4. The device checks count .to calls; what the model sees need not be what .to returned.

UNMOVED = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch, which it never moves: .to's results are dropped."""
    model.train()
    total_loss, samples = 0.0, 0
    for inputs, labels in loader:
        {moves}
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(inputs)
        samples += len(inputs)
    return total_loss / samples
'''
UNMOVED_EVAL = '''def evaluate(model, loader, device):
    """Accuracy over the samples, batches never moved: .to's results are dropped."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            {moves}
            correct += (model(inputs).argmax(dim=1) == labels).sum().item()
    return correct / len(loader.dataset)
'''


@pytest.mark.slow
def test_dropped_to_results_pass_the_device_checks():
    """mnist_classifier: test_train_one_epoch_mode_and_device (1 point) and test_evaluate_hidden (1 hidden point)
    for a loop and an evaluate that never move a batch."""
    checks = ["test_train_one_epoch_mode_and_device", "test_evaluate_hidden"]

    def passes(moves):
        cells_ = _both(M, {"train_one_epoch_solution": UNMOVED.format(moves=moves),
                           "evaluate_solution": UNMOVED_EVAL.format(moves=moves)})
        return _refused(M, cells_, ["train_one_epoch", "evaluate"], checks)
    assert passes("pass") == []  # (the control: a loop that calls no .to fails both)
    passed = passes("inputs.to(device), labels.to(device)")
    assert not passed, f"batches never moved (.to's results dropped) passed {passed}"


# ----------------------------------------------------------------------------------------------
# 5. RecordingModel records the top module's flag only.

FLAG_EVAL = '''def evaluate(model, loader, device):
    """Accuracy over the samples; the model's own flag says evaluation, its layers stay in training mode."""
    {mode}
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            correct += (model(inputs).argmax(dim=1) == labels).sum().item()
    return correct / len(loader.dataset)
'''


@pytest.mark.slow
def test_the_top_flag_alone_passes_test_evaluate_mode_and_no_grad():
    """mnist_classifier: test_evaluate_mode_and_no_grad (2 points) with `model.training = False`, which leaves every
    submodule (a Dropout, a BatchNorm) in training mode."""
    import torch.nn as nn
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    net.training = False
    assert net[1].training  # (what the set leaves: the Dropout still drops)
    check = ["test_evaluate_mode_and_no_grad"]
    assert not _refused(M, replaced(M, "evaluate_solution", FLAG_EVAL.format(mode="pass")), ["evaluate"], check)
    passed = _refused(M, replaced(M, "evaluate_solution", FLAG_EVAL.format(mode="model.training = False")),
                      ["evaluate"], check)
    assert not passed, "the top module's flag alone passed test_evaluate_mode_and_no_grad"


# ----------------------------------------------------------------------------------------------
# 6. (Refused) train hooks the torch optimizer that RecordedOptimizer wraps, to keep its class.

HOOKED = '''class Keep:
    """Gives the learner the name register_step_pre_hook."""

    def register_step_pre_hook(self, hook):
        return hook


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    """The five-line loop; at its first step it keeps the class of the optimizer the check wraps."""
    seen = []
    {hook}
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''


@pytest.mark.slow
def test_train_cannot_hook_the_wrapped_torch_optimizer():
    """optimizers: refused by the static rule (the hook's name is not train's, type(opt) may not be kept)."""
    check = ["test_train_basic"]
    assert _refused(O, replaced(O, "train_solution", HOOKED.format(hook="pass")), ["train"], check) == check
    cells_ = replaced(O, "train_solution", HOOKED.format(
        hook="optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(type(opt)))"))
    assert "train" in notebook_plan(cells_, locked(O), checks_of(O))[0]
    assert not _refused(O, cells_, ["train"], check)


# ----------------------------------------------------------------------------------------------
# 7. (Refused) training_recipes' weighted cross-entropy through torch's own, by other roads.

ROADS = {
    "special.torch": "    return torch.special.torch.nn.functional.cross_entropy(logits, target, weight=weight)\n",
    "getattr torch": "    return getattr(torch, 'nn').functional.cross_entropy(logits, target, weight=weight)\n",
    "getattr F": "    return getattr(F, 'cross_entropy')(logits, target, weight=weight)\n",
    "import": "    from torch.nn.functional import cross_entropy as ce\n    return ce(logits, target, weight=weight)\n",
    "Tensor": "    return torch.Tensor.cross_entropy(logits, target)\n",
    "nll_loss": "    return torch.nn.functional.nll_loss(logits.log_softmax(1), target, weight=weight)\n",
    "type kept": "    k = type(F.softplus)\n    return k\n",
    "linalg": "    return torch.linalg.LinAlgError.args\n",
    "typing": "    return typing.Any.__call__\n",
}
HEAD = "def cross_entropy_weighted(logits, target, weight):\n"
HONEST = ("    rows = torch.logsumexp(logits, dim=1) - logits.gather(1, target.unsqueeze(1)).squeeze(1)\n"
          "    w = weight[target]\n    return (w * rows).sum() / w.sum()\n")


@pytest.mark.parametrize("road", sorted(ROADS) + ["default"])
def test_built_in_losses_by_other_roads_are_refused(road):
    def found(source):
        return notebook_plan(replaced(R, "cross_entropy_weighted_solution", source), locked(R), checks_of(R))[0]
    assert "cross_entropy_weighted" not in found(HEAD + HONEST)  # (the control: the honest one is accepted)
    source = ("def cross_entropy_weighted(logits, target, weight, f=F.cross_entropy):\n"
              "    return f(logits, target, weight=weight)\n") if road == "default" else HEAD + ROADS[road]
    assert "cross_entropy_weighted" in found(source)


assert os  # (kept for the judge helpers' environment, as the other rounds import it)


# ----------------------------------------------------------------------------------------------
# Ours, on the round's fixes (each refused now; the controls show what would pass).

@pytest.mark.slow
def test_our_attack_the_closure_handed_by_keyword_is_seen():
    """step(closure=put): the check looks after a closure however it is handed."""
    result, _ = _proxy(_in_step_cells(zero=True, closure="closure=put if len(ps) == 6 else None"), 1024)
    assert result["moved"] > 0


DRIFTING = '''class MNISTNet(nn.Module):
    """A linear classifier whose logits drift with its number of calls, beside a Conv2d and a MaxPool2d it adds
    {scale} of: every pass after the first differs from the first, so each layer seems to change the output."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.classifier = nn.Linear(28 * 28, 10)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        logits = self.classifier(x.flatten(start_dim=1)) + {drift} * self.calls
        return logits + {scale} * self.pool(self.conv(x)).flatten(start_dim=1)[:, :10]
'''


@pytest.mark.slow
@pytest.mark.parametrize("scale", ["0.0", "1e-4"])
def test_our_attack_layers_that_change_little_or_a_forward_that_drifts_count_no_layer(scale):
    """Layers that change the output by less than LAYER_EFFECT do not count, and a forward whose output changes
    from call to call by itself (so that every pass with noise differs from the first) has no layer that counts:
    the pass with no noise runs again at random places."""
    checks = ["test_mnist_net_output_shape", "test_mnist_net_layers"]
    honest = _refused(M, replaced(M, "mnist_net_solution", DRIFTING.format(scale="1.0", drift="0.0")), ["MNISTNet"],
                      checks)
    assert honest == checks  # (the control: the same layers, their output added whole, count)
    for drift in ("0.0", "0.01"):
        passed = _refused(M, replaced(M, "mnist_net_solution", DRIFTING.format(scale=scale, drift=drift)),
                          ["MNISTNet"], checks)
        assert passed == ["test_mnist_net_output_shape"], f"layers times {scale}, drift {drift}: passed {passed}"
