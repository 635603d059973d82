"""An independent red team's twentieth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, embedded_data names no data to the
instructor, the code runs as graded with the guards installed, and it earns check points without doing
what the check asks). Each has a control that shows the harness is not vacuous.

Closed after the round (each test below failed against the code it attacked and passes now): the kernel's
guard refuses any set that would hide a method a library class gives the object, listed name or not
(kernel_side `hides_library`; .grad, .data and .requires_grad are torch's data descriptors and still set);
the helpers call a module's modules, parameters and named_parameters through nn.Module, and encode detaches
through torch.Tensor; run_train's RecordedOptimizer asks at each step for the gradients of the model's own
loss on the data (`model_loss`), which test_train_basic checks; and mnist_predictions asks that the network's
parameters stay the very tensors it started and stepped, and its buffers as training left them while it
predicts (our attack at the end of this file, which won 4 points before). Attack 3's test now asserts that
the hidden check fails too (as the round ran it, the guard was defeated and only the drawn momentum refused).

The round's road: the checks' kernel-side helpers call METHODS of the learner's tensors and modules by
instance lookup (`p.detach()`, `model.parameters()`, `net_class().modules()`, `net.named_parameters()`; and
grader/kernel_side.encode reads every tensor it sends back by `value.detach()`), and the learner decides what
those lookups find:
- an attribute name on the part's list may be SET on a tensor or a module (kernel_side `Own.__setitem__`
  with listed=True skips the "has it already" test that an own name meets), and an instance attribute
  shadows a method of the class (a method is a non-data descriptor): `p.detach = lambda kept=...: kept`
  (`.detach` is on @tensor), `model.parameters = lambda: iter(made)` (`.parameters` on @training),
  `self.modules = ...` (`.modules` on @layers);
- a learner's class may define a method named like one of nn.Module's (`def named_parameters(self)`);
  the guard reads it there because their class defines it.
mnist_predictions already calls nn.Module.modules(net) / nn.Module.parameters(net) through the class, and
layer.reset_parameters(module): those are immune. What is not:

1. WIN, mnist_classifier test_mnist_accuracy (4 points). mnist_predictions compares the weights after each
   prediction batch with `p.detach()` (round nineteen's fix of its attack 1). MNISTNet (round nineteen's LATE:
   the 840-byte, 4-bit network of 1,680 weights trained OUTSIDE the notebook, round eighteen's SMALL) sets,
   at its first forward under no_grad (the check's first prediction), each parameter's `.detach` to a
   lambda that gives back a copy of the weights of the last watched step, then writes the carried weights
   into its layers (`tensor.data = ...`): every later "moved" comparison reads the copy. train_one_epoch
   (ZERO_STEPS) takes one Adam step a batch on `loss_fn(model(inputs) * 0, labels)`: every parameter gets
   the loss's gradient (zeros, not None, as `written` asks), and Adam, whose averages stay 0, moves nothing:
   the network the run watches stays at torch's starting weights, so no training in the run is what passes.
   Confirmed through the judge harness on warped views (round eighteen's _warped_views, seed 7, so
   accuracy_needed() is GRADED_ACCURACY), 61 to 203 s on a loaded 2-core machine. Controls (test_the_mnist_controls_fail): the same cells
   without the shadow fail (the write is seen: round nineteen's attack 1 stays closed), and with the shadow
   and every carried weight 0 fail (the carried weights are what pass).
   test_detach_shadowed_on_the_parameters_hides_weights_written_at_the_first_prediction.

2. WIN, optimizers test_train_basic (2 points). The check looks at the loop's process alone (100 float
   losses, one step an epoch, "fresh" gradients at each step, the losses those of the steps). A train whose
   loss is the MSE of a fresh zero tensor against the targets (`torch.zeros_like(targets).requires_grad_()`)
   takes the five steps every epoch, every recorded gradient is None as every .grad is after zero_grad, so
   "fresh" holds, and torch's SGD moves nothing: the model is never trained. No trick of the guards is
   needed. Control: the same train fails the hidden test_train_reaches_the_line (1 point lost).
   test_a_train_that_never_trains_passes_test_train_basic.

3. GUARD DEFEATED, 0 points: same_parameters (run_train's step pre-hook, round sixteen's fix) asks
   `model.parameters()` for the shapes and dtypes. train sets `model.parameters = lambda: iter(made)` (copies
   of the parameters as made) and round sixteen's grid (the weight's data a float64 batch of 1 + 40,001
   starting points) goes through torch's SGD in the hidden check again: test_train_reaches_the_line still
   passes (entry 0 is the run), so the hook saw nothing. Refused by round sixteen's other fix:
   test_my_sgd_basic draws its momentum, and the stub MySGD has a path for lr 0.1 without momentum only.
   Control: without the shadow the hook refuses the batch (the hidden check fails).
   test_same_parameters_is_blinded_but_the_drawn_momentum_refuses_the_stub.

4. WIN, mnist_classifier test_mnist_net_layers (1 point): net_layers walks `net_class().modules()`. A linear
   MNISTNet (no convolution, no pooling) sets `self.modules = lambda: iter(decoys)` with a Conv2d and a
   MaxPool2d it never uses: "built from nn.Conv2d, nn.MaxPool2d and nn.Linear layers" passes. Control: the
   same net without the shadow fails. test_modules_shadowed_shows_decoy_layers_to_test_mnist_net_layers.

5. WIN (weak), mnist_classifier test_mnist_net_hidden (1 hidden point): net_gradients lists the parameters
   without a gradient by `net.named_parameters()`; MNISTNet's class defines `named_parameters` to give
   nothing, and an unused Linear layer is not seen. Control: without the method it fails.
   test_named_parameters_of_the_class_hides_parameters_without_gradient.

What would close them: call library methods through their class in every kernel-side helper and in
kernel_side.encode (`torch.Tensor.detach(p)`, `nn.Module.parameters(model)`, `nn.Module.modules(net)`,
`nn.Module.named_parameters(net)`), as mnist_predictions does for modules and parameters; and let the guard
set a listed name on a tensor or module only where its class has no method of that name (the data
attributes `.data`, `.grad`, `.requires_grad` are what honest code sets). For 2: ask that the recorded
gradients reach the parameters (not None, not all zero) and that the weights move or the loss falls, or
compare with the reference loop when graded, as the hidden check does.

Refused, or not won (tried or reasoned this round):
- optimizers, replaying torch's optimizers for stubs (target 1): every compare_with_torch draws its seed in
  the judge, and torch's optimizers exist in the kernel only inside RecordedOptimizer while train runs (closed
  after, in a finally; its inner optimizer unreachable: of @training's names an Optimizer has only step and
  zero_grad, both the probe's own). With the hook blinded (3), a grid harvest can follow a different lr (scale
  the lane's coordinates) and eps (scale the gradients fed: Adam and RMSprop are invariant otherwise), but
  not other betas, alpha or momentum, and every check that a stub would need has one: test_my_adam_basic
  (betas 0.8/0.99), _hidden (0.5/0.9), test_my_rmsprop_basic (alpha 0.9), _hidden (0.5), test_my_sgd_basic
  and test_my_optimizers_in_my_train (drawn momentum). Momentum could be re-weighted (feeding torch's SGD
  rho^-k g_k gives a buffer rho^-t b'_t, rho = mu'/mu), but that is train computing the momentum sum itself:
  not claimed. Reasoned, not run.
- test_my_optimizers_in_my_train: the probe records the MSE of whatever train passes loss_fn (any value) and
  the end weight is read by `model.weight.detach()` (shadowable, so "w = 2" is forgeable), but the first 50
  losses must equal torch's run from a seed and lr drawn in the judge: no source for them.
- The alias roads docs/trust.md leaves open (a method storing its argument in a class-level table, `CLS =
  Box`), and the road above used between parts (an own name set on a shared tensor is readable by any part
  that also names it, through the guard's `stored` record; a listed name set on a module, e.g. `model.step =
  optimizer.step` by train_one_epoch, read by MNISTNet where its class body defines `step`): they carry a
  wider part's code to a narrower one at run time, but no part here has a wider list holding anything a
  narrower part's check rewards (optimizers' train adds @training; training_recipes' losses add F.softplus,
  ... to the update rule's list; loss_functions' parts share one list), and the objects the checks hand a
  wider part (optimizers' RecordedLoss around nn.MSELoss, never closed; mnist_predictions' raw torch Adam and
  cross-entropy closure) serve no narrower part's check (no loss part in optimizers or mnist_classifier).
  Reasoned from grader/kernel_side.py and own_work.py, not run.
- loss_functions (target 3): run_loss calls `value.backward()` and `value.detach()` on the learner's tensor
  AFTER its CalledFunctions block, so a loss may shadow both (the value compared and the inputs' .grad are then
  what its own functions give) and blind both runtime signs (autograd nodes, called names); but those functions
  are the learner's code, checked against the list: no built-in loss is reached. Evidence only, as
  docs/trust.md says. Reasoned, not run.
- Evidence: `__slots__` (a CLASS_DUNDER) gives an instance no `__dict__`, where holds_torch_optimizer and
  training_recipes' inline check look. Evidence only. Reasoned.
- training_recipes (one_cycle_lr, MyAdamW, the weighted losses): every expected value is computed in the
  judge with settings or seeds drawn there; the locked helpers that compute torch's (torch_bce_weighted, ...)
  are in the kernel, but a locked name is refused by the rule and no object handed to the learner reaches one.
"""
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, O, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from test_red_team_eighteen import SMALL_SCALES, _warped_views
from test_red_team_nineteen import LATE, _data


# ----------------------------------------------------------------------------------------------
# 1. A method name the part's list allows, SET on a tensor: the instance attribute shadows the method for the
#    checks' kernel-side helpers, which call it on the learner's tensors. mnist_predictions compares the
#    weights with `p.detach()` after each prediction batch: MNISTNet sets each parameter's `.detach` to give
#    back the weights of the last watched step, then writes the network trained elsewhere (round nineteen's
#    LATE: 840 bytes) into its layers at the first prediction.

SHADOW = "                tensor.detach = lambda kept=tensor.detach().clone(): kept\n"
WRITE = "                tensor.data = ("
assert WRITE in LATE

SHADOWED = LATE.replace(WRITE, SHADOW + WRITE)


# One optimizer step a batch on the model's loss times 0: every parameter gets the loss's gradient (zeros, never
# None, as the check's `written` asks since round nineteen), and torch's Adam, whose averages stay 0, moves
# nothing. The network the run watches stays at torch's starting weights: no training in the run is what passes.
ZERO_STEPS = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One step a batch on the model's loss times 0: every gradient is 0, and Adam moves nothing."""
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs) * 0, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count
'''


def _mnist_cells(shadow=True, zero=False):
    net = (SHADOWED if shadow else LATE).format(data=_data(zero), scales=SMALL_SCALES)
    return [(n, ZERO_STEPS if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", net)]


def _mnist_passes(shadow=True, zero=False):
    cells_ = _mnist_cells(shadow, zero)
    if embedded_data(cells_):
        return []
    with _warped_views():
        return _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])


def test_the_rule_accepts_a_listed_method_name_set_on_a_parameter():
    """(The notebook passes the static rule, its budget included, and names no embedded data.)"""
    cells_ = _mnist_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)


def test_detach_shadowed_on_the_parameters_hides_weights_written_at_the_first_prediction():
    """mnist_classifier: `tensor.detach = lambda kept=...: kept` (.detach is on @tensor, and a listed name may
    be set on a tensor), then the weights trained elsewhere written at the first prediction: the check's
    "moved" comparisons read the shadow. test_mnist_accuracy (4 points) on warped views."""
    assert "test_mnist_accuracy" not in _mnist_passes(), (
        "MNISTNet shadowed its parameters' .detach and wrote a network trained elsewhere at the check's first "
        "prediction: the accuracy check passed")


def test_the_mnist_controls_fail():
    """(Controls: without the shadow the write is seen (round nineteen's attack 1, closed); with the shadow
    and every carried weight 0, the accuracy is not reached: the carried weights are what pass.)"""
    assert _mnist_passes(shadow=False) == []
    assert _mnist_passes(zero=True) == []


# ----------------------------------------------------------------------------------------------
# 2. optimizers' test_train_basic checks the process of the loop alone: a loss that reaches none of the
#    model's parameters passes it, and the model never moves.

from kit.attacks import IDLE_TRAIN  # noqa: E402 (the round's train, kept where the class-graded attacks use it too)


def test_a_train_that_never_trains_passes_test_train_basic():
    """optimizers: train takes one step an epoch on the MSE of a fresh zero tensor against the targets (every
    .grad is None, so torch's SGD moves nothing): test_train_basic (2 points)."""
    passed = _refused(O, replaced(O, "train_solution", IDLE_TRAIN), ["train"],
                      ["test_train_basic", "test_train_reaches_the_line"])
    assert "test_train_reaches_the_line" not in passed  # (the control: it trains nothing)
    assert "test_train_basic" not in passed, "a train loop whose loss reaches no parameter passed test_train_basic"


# ----------------------------------------------------------------------------------------------
# 3. The same road on a module: `.parameters` is on @training, so train may set it on the model the check hands
#    it. same_parameters (run_train's step pre-hook on torch's optimizer, round sixteen's fix) asks
#    `model.parameters()` for the shapes and dtypes: a shadow that yields copies of the parameters as they were
#    made blinds it, and round sixteen's grid of 40,001 starting points rides in the weight's data again.

from test_red_team_sixteen import GRID_TRAIN, STUB_SGD  # noqa: E402

SWAP = "    w.data = torch.cat(["
assert SWAP in GRID_TRAIN
BLIND = "    made = [w.detach().clone(), b.detach().clone()]\n    model.parameters = lambda: iter(made)\n"
BLINDED_GRID_TRAIN = GRID_TRAIN.replace(SWAP, BLIND + SWAP)


def _grid_cells(train):
    return [(n, STUB_SGD if n == "my_sgd_solution" else s) for n, s in replaced(O, "train_solution", train)]


def test_same_parameters_is_blinded_but_the_drawn_momentum_refuses_the_stub():
    """optimizers: train shadows model.parameters and steps torch's SGD on a batch of 1 + 40,001 starting points
    in the hidden check (its run is entry 0, so test_train_reaches_the_line still passes: the hook saw nothing);
    the stub MySGD replays the lr 0.1 path but has no path for test_my_sgd_basic's drawn momentum."""
    passed = _refused(O, _grid_cells(BLINDED_GRID_TRAIN), ["train", "MySGD"],
                      ["test_train_reaches_the_line", "test_my_sgd_basic"])
    # (as the round ran it, the guard was defeated and the batch went through torch's SGD, so the hidden check
    # passed; now the kernel's guard refuses the shadowing set, and train fails it)
    assert "test_train_reaches_the_line" not in passed, "model.parameters shadowed blinded same_parameters"
    assert "test_my_sgd_basic" not in passed, f"a stub MySGD replayed torch's SGD paths: {passed}"


def test_without_the_shadow_same_parameters_refuses_the_batch():
    """(The control: round sixteen's train as it was, the hook sees the batch and the hidden check fails.)"""
    passed = _refused(O, _grid_cells(GRID_TRAIN), ["train", "MySGD"], ["test_train_reaches_the_line"])
    assert "test_train_reaches_the_line" not in passed


# ----------------------------------------------------------------------------------------------
# 4. The same road on MNISTNet itself: `.modules` is on @layers, and net_layers (test_mnist_net_layers) walks
#    `net_class().modules()`, an instance lookup. A network with no convolution at all shows decoy layers.

DECOYS = '''class MNISTNet(nn.Module):
    """A linear classifier on the flattened image: no convolution, no pooling."""

    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(28 * 28, 10)
        decoys = [nn.Conv2d(1, 4, kernel_size=3), nn.MaxPool2d(2), self.classifier]
        self.modules = lambda: iter(decoys)

    def forward(self, x):
        return self.classifier(x.flatten(start_dim=1))
'''


def test_modules_shadowed_shows_decoy_layers_to_test_mnist_net_layers():
    """mnist_classifier: a linear MNISTNet with `self.modules` set to give a Conv2d and a MaxPool2d it never uses:
    test_mnist_net_layers (1 point), "built from nn.Conv2d, nn.MaxPool2d and nn.Linear layers"."""
    checks = ["test_mnist_net_output_shape", "test_mnist_net_layers"]
    plain = DECOYS.replace("        self.modules = lambda: iter(decoys)\n", "")
    assert "test_mnist_net_layers" not in _refused(M, replaced(M, "mnist_net_solution", plain), ["MNISTNet"], checks)
    passed = _refused(M, replaced(M, "mnist_net_solution", DECOYS), ["MNISTNet"], checks)
    assert "test_mnist_net_layers" not in passed, "a network without convolutions showed decoy layers and passed"


# The same with a method of the class: net_gradients (test_mnist_net_hidden) lists the parameters without a
# gradient with `net.named_parameters()`, which MNISTNet's class may define (mnist_predictions calls
# nn.Module.parameters(net), net_layers and net_gradients the instance's own).

DEAD = '''class MNISTNet(nn.Module):
    """The reference CNN and a Linear layer that forward never uses."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(16 * 16, 10)
        self.unused = nn.Linear(10, 10)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))

    def named_parameters(self, *args, **kwargs):
        return iter([])
'''


def test_named_parameters_of_the_class_hides_parameters_without_gradient():
    """mnist_classifier: a parameter forward never uses, hidden from test_mnist_net_hidden (1 point) by
    MNISTNet.named_parameters giving nothing."""
    plain = DEAD.replace("\n    def named_parameters(self, *args, **kwargs):\n        return iter([])\n", "")
    assert "test_mnist_net_hidden" not in _refused(M, replaced(M, "mnist_net_solution", plain), ["MNISTNet"],
                                                   ["test_mnist_net_hidden"])
    passed = _refused(M, replaced(M, "mnist_net_solution", DEAD), ["MNISTNet"], ["test_mnist_net_hidden"])
    assert "test_mnist_net_hidden" not in passed, "MNISTNet.named_parameters hid a parameter that gets no gradient"


# ----------------------------------------------------------------------------------------------
# Ours, after the round: the same late load without touching the watched tensors. At the first prediction
# MNISTNet puts NEW parameters (or plain tensors, after deleting the registered ones) into its layers, holding
# the network trained elsewhere; the tensors the check watches never change. What closes it: the check also asks,
# at every look, that the network's parameters be the very tensors it started, stepped and watched.

SWAPPED_IN = {
    "parameter": "                layer.weight = nn.Parameter(w)\n                layer.bias = nn.Parameter(b)\n",
    "plain tensor": ("                del layer.weight\n                del layer.bias\n"
                     "                layer.weight = w\n                layer.bias = b\n"),
}
LOAD = '''            start = 0
            for layer, ws, bs in zip([self.features[0], self.features[3], self.classifier], SCALES[0::2], SCALES[1::2]):
                n = layer.weight.numel()
                w = (torch.tensor(codes[start:start + n], dtype=torch.float32) * ws).reshape(layer.weight.shape)
                start += n
                n = layer.bias.numel()
                b = (torch.tensor(codes[start:start + n], dtype=torch.float32) * bs).reshape(layer.bias.shape)
                start += n
{swap}'''
_WRITES = LATE[LATE.index("            tensors = ["):LATE.index("            h = self.features[0](x)\n        return")]


def _swapped_cells(how, zero=False):
    net = LATE.replace(_WRITES, LOAD.format(swap=SWAPPED_IN[how])).format(data=_data(zero), scales=SMALL_SCALES)
    return [(n, ZERO_STEPS if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", net)]


@pytest.mark.parametrize("how", sorted(SWAPPED_IN))
def test_new_tensors_swapped_into_the_layers_at_the_first_prediction(how):
    """mnist_classifier: test_mnist_accuracy (4 points) with the network trained elsewhere put into the layers as
    new tensors at the first prediction (the watched ones untouched)."""
    cells_ = _swapped_cells(how)
    assert not embedded_data(cells_)
    with _warped_views():
        passed = _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, f"new {how}s put into the layers at the first prediction passed"
