"""An independent red team's twenty-first round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, the code runs as graded with the guards installed, and it
earns check points without doing what the check asks). Each has a control that shows the harness is not vacuous.

Closed after the round (each test failed against the code it attacked and passes now): mnist_classifier's helpers
find a network's modules, parameters and buffers where nn.Module keeps them (`modules_of`, `tensors_of`: its
_modules, _parameters and _buffers, read with vars(), never a method of the learner's class); mnist_predictions
resets torch's own layer classes only (a parameter in a subclass of one, a frozen one, or a tensor a torch layer
holds outside its parameters counts as kept), and while the network predicts it compares the weights before each
module's forward too (attack 5 calls its layers with the written weights); net_layers asks that each kind of layer
change the network's output (`outputs_that_count`), net_gradients counts a weight whose gradient is all zeros as
unused (attack 6); run_epochs gives RecordedOptimizer the model's loss on each batch, and test_train_one_epoch_learns
asks for its gradients and that the returned loss be the mean of the losses stepped on (attack 4). The proxies of
attacks 3 and 5 now assert that mnist_predictions refuses (any step missing, or anything moved, written or kept, or
the accuracy under the bar); the two judge tests of test_mnist_accuracy run in the suite. Left out of scope, as
docs/trust.md says: attack 5 with torch's functions on the written weights and no module call is the "second
network computed in the forward".

The round's road: round twenty's fix calls nn.Module's methods "through the class" (nn.Module.modules(net),
nn.Module.parameters(net), nn.Module.named_parameters(net), nn.Module.buffers(net)), but those methods are one line
deep: `modules` is `for _, m in self.named_modules(): yield m`, `parameters` is `self.named_parameters(...)`,
`buffers` is `self.named_buffers(...)`, and named_parameters/named_buffers are `self._named_members(...)`, which
calls `self.named_modules(...)`. Every one is an INSTANCE lookup on the learner's network, and a class of the
learner's may define `named_modules` (a public name; the rule accepts it, as it accepted round twenty's
`named_parameters`) or `_named_members` (a learner's own `_helper`, which the rule accepts too). kernel_side's
`hides_library` guards instance SETS; a method of the learner's class is not a set.

1. WIN, mnist_classifier test_mnist_net_layers (1 point). A linear MNISTNet (no convolution, no pooling) whose class
   defines `named_modules` to list a fresh Conv2d and MaxPool2d it never uses: net_layers'
   nn.Module.modules(net_class()) walks them and each "computes what its layer does". Control: the same net without
   the method passes the output shape and fails the layers check.
   test_named_modules_of_the_class_shows_decoy_layers_to_test_mnist_net_layers.

2. WIN, mnist_classifier test_mnist_net_hidden (1 hidden point). The reference CNN plus a Linear layer forward never
   uses; MNISTNet.named_modules leaves it out, so net_gradients' nn.Module.named_parameters(net) never lists it
   (round twenty's attack 5, closed for `named_parameters`, open one level down). Control: without the method it
   fails. test_named_modules_of_the_class_hides_parameters_without_gradient.
   2b. The same with `_named_members` (the underscore helper named_parameters calls): WIN, same point.
   test_named_members_of_the_class_hides_parameters_without_gradient. So a fix that bans public nn.Module names
   in a learner's class does not close it.

3. WIN by proxy, mnist_classifier test_mnist_accuracy (4 points), NOT run through the judge (the brief forbids
   running the accuracy check on this machine). MNISTNet (HIDDEN_NET) loads round nineteen's LATE network (840
   bytes, 4 bits a weight, trained OUTSIDE the notebook) into its Conv2d/Linear layers in __init__ and makes them
   requires_grad_(False); its class's `named_modules` shows only itself and a decoy nn.Linear(1, 1), whose output
   times 0 is added to the logits (so the decoy's parameters get the loss's gradient, zeros). mnist_predictions'
   modules/parameters/buffers all see the decoy alone: torch's reset_parameters resets the decoy, Adam steps the
   decoy, `kept` is 0 (the decoy is in a Linear), `written` is 0 (the decoy holds the loss's gradient at every
   looked-at step), `moved` is 0 (the decoy is the very tensor stepped, changed only by steps; no buffers), steps ==
   batches with the reference loop; the carried network predicts. Evidence: the rule accepts the cells (data
   budget included, 1,008 of 1,024) and embedded_data names nothing; test_mnist_net_output_shape passes through
   the judge (the guards let __init__ and forward run as graded); and the notebook's own mnist_predictions, run
   in this process (the learner's cells as notebook_plan rewrites them, with kernel_side's guards installed) on
   1,024 training images (16 steps) and the 10,000 real test images, reports steps == batches,
   moved = written = kept = 0 and 98.08% accuracy (the zero-weights control: about 10%). On warped views the same
   840-byte network passed GRADED_ACCURACY in rounds eighteen to twenty. The judge test is written and skipped
   unless RED21_RUN_MNIST is set. test_named_modules_hides_the_predicting_network_from_mnist_predictions[False]
   (fails = wins), test_named_modules_hides_the_predicting_network_from_test_mnist_accuracy (skipped).

4. WIN, mnist_classifier test_train_one_epoch_learns (2 points). Round twenty's model_loss fix went to optimizers'
   run_train alone: mnist_classifier's run_epochs hands train_one_epoch a RecordedOptimizer without model_loss,
   and the check takes the RETURNED losses on trust (only their type is checked, not that they are the losses the
   steps followed). BLIND_LOOP steps on loss_fn(model(inputs * 0), labels) (only the bias moves, so "the
   parameters changed" holds and every step's gradients are fresh; the model never sees its data) and returns
   1 / (a counter kept in a mutable default argument): "lowers the loss" holds. Control: the hidden
   test_train_one_epoch_matches_reference fails. test_a_loop_that_never_sees_the_data_passes_test_train_one_epoch_learns.

5. WIN by proxy, mnist_classifier test_mnist_accuracy (4 points), no library method involved, NOT run through the
   judge (as 3). mnist_predictions looks at the weights only BETWEEN prediction batches. MNISTNet (SWAP_BACK) keeps
   LATE's network as plain tensors in a list attribute (no parameter, no buffer: nothing the check walks); each
   forward under no_grad writes them into its layers' .data (a listed name, a data descriptor: hides_library lets
   it through), computes, and writes back the values that were there. After every batch the layers hold the very
   tensors, with the values of the last step. The loop is round twenty's ZERO_STEPS (Adam on the loss times 0 moves
   nothing), so the run trains nothing. Evidence as for 3: rule and budget (996 of 1,024), embedded_data,
   test_mnist_net_output_shape and test_mnist_net_hidden through the judge, and the guarded in-process
   mnist_predictions: steps == batches, moved = written = kept = 0, 98.08% (zero control ~10%).
   test_weights_swapped_in_and_back_within_each_prediction[False] (fails = wins),
   test_weights_swapped_in_and_back_pass_test_mnist_accuracy (skipped). This one survives any fix of 1-3.

   docs/trust.md's "Not promised" names "a forward pass that computes a second network from data in its own code"
   as able to "lift a weak network of the learner's over the bar". 3 and 5 go further than lifting: the carried
   network does ALL the predicting while the watched one stays at torch's starting weights (5) or is a decoy (3);
   and 5 breaks the promise in so many words ("the weights change only by those steps (while it trains and while
   the network predicts)"): they change, inside every prediction call, and change back.

6. WIN, mnist_classifier test_mnist_net_layers (1 point) and test_mnist_net_hidden (1 hidden point), no trick: a
   linear classifier plus a registered Conv2d and MaxPool2d whose output, times 0, is added to the logits. net_layers
   asks that the layers exist and compute what torch's do, not that forward uses them; net_gradients asks that every
   gradient be not None (zeros pass). Control: the linear net alone fails test_mnist_net_layers (attack 1's control).
   test_layers_that_count_zero_pass_test_mnist_net_layers. (1 and 2 are then other roads to the same points; they
   matter because they also reach mnist_predictions, 3.)

What would close them: 1-3: in every kernel-side helper, walk a learner's network without any instance lookup
(iterate `_modules`, `_parameters`, `_buffers` through nn.Module's own `__dict__` descriptors, or call
`nn.Module.named_modules`/`nn.Module._named_members` with a frozen copy of nn.Module's functions whose globals
resolve `self.x` only through nn.Module), or, simpler, refuse in the static rule (and in own_class at run time)
any learner class built on nn.Module that defines a name nn.Module (or any library class in its MRO) defines,
underscore helpers included, except forward, __init__, extra_repr and reset_parameters. 4: give run_epochs'
RecordedOptimizer model_loss (the loss on the batch, or on the whole loader) and compare the returned losses with
the recorded steps' (the sample-weighted mean of the epoch's recorded losses), as optimizers' test_train_basic does.
6: ask that each layer matter to the output: the net's output's gradient with respect to each Conv2d/Linear weight
not all zero on a random batch, and each MaxPool2d called in forward (a forward hook, registered through nn.Module).
5: no look at the learner's object between calls proves what happened inside a call. Partial closes: forward
pre-hooks and hooks on every watched layer (registered through nn.Module, removed after) that compare its weight
and bias with the last step's at each layer call inside the prediction (catches a write into the layers; a forward
that computes with its plain tensors by tensor ops, never calling a layer, is not caught); or a data check that
the prediction is a function of the watched parameters (e.g. predict with gradients on and ask that the logits'
gradient reach every parameter, and that predictions recomputed by torch.func.functional_call with a copy of the
watched parameters, perturbed, change). The sound close is a threat-model one (docs/trust.md): a network trained
elsewhere within DATA_BUDGET passes whenever the learner's forward decides what it computes with.

Tried or reasoned, refused or not won this round:
- Instance sets that skip hides_library: `setattr(x, "name", v)` with a constant name is rewritten through the
  guard (own_work _Guard.visit_Call); a computed name is refused statically; `object.__setattr__`/`vars` are
  dunder roads the rule refuses; `add_module`/`register_buffer` on a name a module already has raise KeyError in
  torch itself ("attribute already exists"), so they cannot hide a method. Reasoned.
- A learner MNISTNet defining `train` (called by nn.Module.eval(net) in mnist_predictions and net_gradients): it
  runs learner code when prediction starts, but predicting_unchanged compares with the last step's weights after
  every batch, so a load there is seen; with named_modules (3) it is not needed. Reasoned.
- optimizers test_train_basic: with model_loss every step's gradient must be the model's MSE gradient on the data,
  and fresh requires it be the last recorded loss's: the five-line loop is what passes (undoing each step after it
  is still doing it). RecordedOptimizer's model_loss calls model(x) on the check's nn.Linear: train cannot reach
  its hooks (register_forward_hook is on no list) nor shadow forward (hides_library). Reasoned.
- optimizers' same_parameters: nn.Module.parameters(model) -> model.named_parameters() is an instance lookup too,
  but the model is the check's nn.Linear, and an instance set of named_parameters/named_modules/_named_members on
  it is refused by hides_library (and `_named_members` is no own name of train's). Reasoned.
- training_recipes: check_schedule and compare_with_torch draw settings in the judge; the losses' run_loss reads
  value.requires_grad/backward/detach by instance (round twenty: evidence only); no learner nn.Module is handed
  to any training_recipes helper, so the named_modules road has no target there. Reasoned.

Not got to: running test_mnist_accuracy through the judge for attacks 3 and 5 (forbidden here; ~1-3 min on a loaded
machine), and a Conv2d subclass whose `weight` property feeds reset_parameters a decoy (an alternative to 3).
"""
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import notebook_plan
from test_own_work import M, O, checks_of, locked, replaced
from test_red_team_thirteen import _refused


# ----------------------------------------------------------------------------------------------
# 1. nn.Module.modules(net) is `for _, m in self.named_modules(): yield m`: an INSTANCE lookup of named_modules,
#    which the learner's class may define. net_layers calls nn.Module.modules(net_class()).

NAMED_MODULES = '''
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        return iter([("", self), ("c", nn.Conv2d(1, 4, kernel_size=3)), ("p", nn.MaxPool2d(2)),
                     ("classifier", self.classifier)])
'''

LINEAR = '''class MNISTNet(nn.Module):
    """A linear classifier on the flattened image: no convolution, no pooling."""

    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.classifier(x.flatten(start_dim=1))
'''


def test_the_rule_accepts_a_class_defining_named_modules():
    cells_ = replaced(M, "mnist_net_solution", LINEAR + NAMED_MODULES)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]


def test_named_modules_of_the_class_shows_decoy_layers_to_test_mnist_net_layers():
    """mnist_classifier: a linear MNISTNet whose class defines named_modules to list a Conv2d and a MaxPool2d it
    never uses: nn.Module.modules(net) (net_layers, "through the class") asks the instance for named_modules.
    test_mnist_net_layers (1 point)."""
    checks = ["test_mnist_net_output_shape", "test_mnist_net_layers"]
    plain = _refused(M, replaced(M, "mnist_net_solution", LINEAR), ["MNISTNet"], checks)
    assert "test_mnist_net_output_shape" in plain and "test_mnist_net_layers" not in plain  # (the control)
    passed = _refused(M, replaced(M, "mnist_net_solution", LINEAR + NAMED_MODULES), ["MNISTNet"], checks)
    assert "test_mnist_net_layers" not in passed, "MNISTNet.named_modules showed decoy layers to net_layers"


# The same road to net_gradients (test_mnist_net_hidden): nn.Module.named_parameters(net) walks
# self._named_members(...), which asks the instance for named_modules. A Linear layer forward never uses is
# left out of the walk, so no "parameter without gradient" is seen.

from test_red_team_twenty import DEAD as _DEAD_AND_ITS_METHOD  # noqa: E402

DEAD = _DEAD_AND_ITS_METHOD[:_DEAD_AND_ITS_METHOD.index("\n    def named_parameters")]  # (the class alone)
SEEN_PART = '''
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        shown = [(prefix, self), (prefix + "features", self.features), (prefix + "classifier", self.classifier)]
        shown += [(prefix + "features." + str(i), m) for i, m in enumerate(self.features)]
        return iter(shown)
'''


def test_named_modules_of_the_class_hides_parameters_without_gradient():
    """mnist_classifier: an unused Linear layer left out of MNISTNet.named_modules, hidden from net_gradients'
    nn.Module.named_parameters(net): test_mnist_net_hidden (1 point)."""
    checks = ["test_mnist_net_hidden"]
    assert _refused(M, replaced(M, "mnist_net_solution", DEAD), ["MNISTNet"], checks) == []  # (the control)
    passed = _refused(M, replaced(M, "mnist_net_solution", DEAD + SEEN_PART), ["MNISTNet"], checks)
    assert "test_mnist_net_hidden" not in passed, "MNISTNet.named_modules hid a parameter that gets no gradient"


# ----------------------------------------------------------------------------------------------
# 3. The same road to mnist_predictions (test_mnist_accuracy): its nn.Module.modules(net), nn.Module.parameters(net)
#    and nn.Module.buffers(net) all ask the instance for named_modules. MNISTNet shows the check ONE decoy layer
#    (an nn.Linear(1, 1) whose output, times 0, is added to the logits, so its parameters get the loss's gradient):
#    the check resets the decoy alone, Adam steps the decoy alone, and every look at "the network's parameters"
#    sees the decoy. The network that predicts is round nineteen's LATE (840 bytes, 4 bits a weight, trained
#    OUTSIDE the notebook), loaded in __init__ and never reset, never stepped, never watched.

import os  # noqa: E402

from coursekit.own_work import embedded_data  # noqa: E402
from test_red_team_eighteen import SMALL_SCALES  # noqa: E402
from test_red_team_nineteen import LATE, _data  # noqa: E402

_HEAD = LATE[:LATE.index("class MNISTNet")]
HIDDEN_NET = _HEAD + '''class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)
        self.d = nn.Linear(1, 1)  # the decoy
        codes = []
        for b in P:
            codes.append(b // 16 - 8)
            codes.append(b % 16 - 8)
        tensors = [self.features[0].weight, self.features[0].bias, self.features[3].weight,
                   self.features[3].bias, self.classifier.weight, self.classifier.bias]
        start = 0
        for tensor, scale in zip(tensors, SCALES):
            n = tensor.numel()
            tensor.data = (torch.tensor(codes[start:start + n], dtype=torch.float32) * scale).reshape(tensor.shape)
            tensor.requires_grad_(False)
            start += n

    def named_modules(self, *a, **k):
        return iter([("", self), ("d", self.d)])

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1)) + 0 * self.d(x.new_ones(1, 1))
'''
REFERENCE_LOOP = dict(replaced(M, "mnist_net_solution", ""))["train_one_epoch_solution"]  # (the honest loop)


def _hidden_cells(zero=False, shown=True):
    net = HIDDEN_NET.format(data=_data(zero), scales=SMALL_SCALES)
    if not shown:  # (the control: without named_modules the check resets every layer)
        net = net[:net.index("    def named_modules")] + net[net.index("    def forward"):]
    return replaced(M, "mnist_net_solution", net)


def test_the_rule_accepts_the_hidden_network():
    """(The notebook passes the static rule, its data budget included, and names no embedded data; the guards let
    its __init__ and forward run as graded: test_mnist_net_output_shape passes through the judge.)"""
    cells_ = _hidden_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)
    assert "test_mnist_net_output_shape" in _refused(M, cells_, ["MNISTNet"], ["test_mnist_net_output_shape"])


def _helpers_namespace(train_images):
    """The notebook's locked setup and helper cells run in this process, with `train_images` training images (the
    real test set): mnist_predictions as written, without the judge (a proxy: the brief forbids running the full
    accuracy check here, which takes minutes)."""
    import nbformat
    import torch
    from torch.utils.data import TensorDataset
    from torchvision import datasets
    from conftest import ROOT
    nb = nbformat.read(ROOT / "source" / M / f"{M}.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells if c.cell_type == "code"}
    ns = {"__name__": "__main__"}
    exec(by_id["setup_imports"], ns)
    root = os.path.expanduser("~/.cache/pytorch-loss-course/data")

    def tensors(ds, n=None):
        x, y = ds.data[:n], ds.targets[:n]
        return TensorDataset(((x.float() / 255 - 0.1307) / 0.3081).unsqueeze(1), y)
    ns["train_data"] = tensors(datasets.MNIST(root, train=True), train_images)
    ns["test_data"] = tensors(datasets.MNIST(root, train=False))
    ns["device"] = torch.device("cpu")
    exec(by_id["mnist_test_helpers"], ns)
    from grader.kernel_side import own_work_guards
    ns["__own__"], ns["__own_class__"] = own_work_guards()  # (the learner's cells run as graded: guarded)
    return ns


def _run_as_graded(cells_, ns):
    """The learner's cells as the grader runs them in the kernel (notebook_plan's guarded sources) in `ns`."""
    for name, source in notebook_plan(cells_, locked(M), checks_of(M))[1].items():
        if name in ("mnist_net_solution", "train_one_epoch_solution"):
            exec(source, ns)


def _proxy_refuses(cells_, zero, attack):
    """The proxy of test_mnist_accuracy: mnist_predictions on these cells, run as graded in this process, refuses
    (a step missing, anything moved, written or kept, or the accuracy under 95%); the zero control predicts at
    chance (the carried weights are what predict). As the round ran it, every structural test held."""
    ns = _helpers_namespace(1024)
    _run_as_graded(cells_, ns)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345)
    accuracy = (result["predictions"] == ns["test_data"].tensors[1]).float().mean().item()
    refused = (result["steps"] != result["batches"] or any((result["moved"], result["written"], result["kept"]))
               or accuracy < 0.95)
    if zero:
        assert accuracy < 0.2
    else:
        assert refused, (f"{attack}: every structural test held and a network never trained in the run "
                         f"predicted {accuracy:.2%}")


@pytest.mark.parametrize("zero", [False, True])
def test_named_modules_hides_the_predicting_network_from_mnist_predictions(zero):
    """mnist_classifier, proxy of test_mnist_accuracy (4 points): mnist_predictions, as the notebook's helper cell
    writes it, run in this process on 1,024 training images (2 epochs: 16 steps) and the real 10,000 test images,
    with HIDDEN_NET and the reference loop: it reports no step missing, nothing moved, nothing kept, nothing written,
    and the predictions are the carried network's (over 95% right; the zero control, about 10%)."""
    _proxy_refuses(_hidden_cells(zero), zero, "mnist_predictions watched a decoy")


def test_named_modules_hides_the_predicting_network_from_test_mnist_accuracy():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge (not run this round)."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _hidden_cells(), ["MNISTNet"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed


# ----------------------------------------------------------------------------------------------
# 4. mnist_classifier's run_epochs hands train_one_epoch a RecordedOptimizer WITHOUT model_loss (round twenty's fix
#    went to optimizers' run_train alone), and test_train_one_epoch_learns takes the returned losses on trust (only
#    their type is checked: not that they are the recorded ones). A loop that steps on the model's output for
#    ZEROED inputs (only the bias moves: the model never sees the data) and returns a loss that falls because a
#    counter grows passes "takes the five steps ... and lowers the loss".

BLIND_LOOP = '''def train_one_epoch(model, loader, loss_fn, optimizer, device, epochs=[]):
    """Five steps a batch, on the model's output for zeroed inputs; the loss returned falls with a counter."""
    model.train()
    epochs.append(len(epochs))
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs * 0), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return 1.0 / len(epochs)
'''
LOOP_CHECKS = ["test_train_one_epoch_learns", "test_train_one_epoch_mode_and_device",
               "test_train_one_epoch_matches_reference"]


def test_a_loop_that_never_sees_the_data_passes_test_train_one_epoch_learns():
    """mnist_classifier: train_one_epoch steps on model(inputs * 0) and returns 1/count: test_train_one_epoch_learns
    (2 points) and test_train_one_epoch_mode_and_device (1 point, honestly: the batches are moved)."""
    passed = _refused(M, replaced(M, "train_one_epoch_solution", BLIND_LOOP), ["train_one_epoch"], LOOP_CHECKS)
    assert passed, "the static rule or the tamper check refused the loop"  # (the harness ran the checks)
    assert "test_train_one_epoch_matches_reference" not in passed  # (the control: it does not train as the loop does)
    assert "test_train_one_epoch_learns" not in passed, (
        "a loop that never shows the model its data, returning a loss that falls by a counter, passed")


# 2b. The same hiding one level further down: nn.Module.named_parameters(net) is
#     `yield from self._named_members(...)`, and the rule lets a class define its own `_helpers`.

OWN_MEMBERS = '''
    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        for m in [self.features[0], self.features[3], self.classifier]:
            for k, v in get_members_fn(m):
                yield k, v
'''


def test_named_members_of_the_class_hides_parameters_without_gradient():
    """mnist_classifier: MNISTNet._named_members (an underscore name the rule lets a class define) walks the used
    layers alone: net_gradients' nn.Module.named_parameters(net) misses the unused Linear: test_mnist_net_hidden
    (1 point). (So banning public nn.Module names in a learner's class would not close attack 2.)"""
    passed = _refused(M, replaced(M, "mnist_net_solution", DEAD + OWN_MEMBERS), ["MNISTNet"], ["test_mnist_net_hidden"])
    assert "test_mnist_net_hidden" not in passed, "MNISTNet._named_members hid a parameter that gets no gradient"


# ----------------------------------------------------------------------------------------------
# 5. No library method at all: mnist_predictions looks at the weights BETWEEN prediction batches. MNISTNet keeps the
#    network trained elsewhere (LATE's 840 bytes) as plain tensors (a list attribute: no parameter, no buffer), and
#    every forward under no_grad writes them into its layers' .data, computes, and writes back what was there: after
#    every batch the layers hold the very tensors, with the very values, of the last step. The loop is round
#    twenty's ZERO_STEPS (Adam on the loss times 0 moves nothing): the run trains nothing.

from test_red_team_twenty import ZERO_STEPS  # noqa: E402

SWAP_BACK = _HEAD + '''class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)
        codes = []
        for b in P:
            codes.append(b // 16 - 8)
            codes.append(b % 16 - 8)
        self.kept = []
        start = 0
        for tensor, scale in zip(self.tensors(), SCALES):
            n = tensor.numel()
            self.kept.append((torch.tensor(codes[start:start + n], dtype=torch.float32) * scale).reshape(tensor.shape))
            start += n

    def tensors(self):
        return [self.features[0].weight, self.features[0].bias, self.features[3].weight,
                self.features[3].bias, self.classifier.weight, self.classifier.bias]

    def forward(self, x):
        h = self.features[0](x)
        if not h.requires_grad:  # (a prediction: computed with the kept network, the layers' values put back)
            old = [t.data for t in self.tensors()]
            for t, k in zip(self.tensors(), self.kept):
                t.data = k
            h = self.classifier(self.features(x).flatten(start_dim=1))
            for t, k in zip(self.tensors(), old):
                t.data = k
            return h
        return self.classifier(self.features[1:](h).flatten(start_dim=1))
'''


def _swap_cells(zero=False):
    net = SWAP_BACK.format(data=_data(zero), scales=SMALL_SCALES)
    return [(n, ZERO_STEPS if n == "train_one_epoch_solution" else s) for n, s in replaced(M, "mnist_net_solution", net)]


def test_the_rule_accepts_the_swapping_network():
    """(The rule accepts the cells, budget included, no embedded data; the guards let __init__ and forward (both
    branches) run as graded: test_mnist_net_output_shape and test_mnist_net_hidden pass through the judge.)"""
    cells_ = _swap_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)
    checks = ["test_mnist_net_output_shape", "test_mnist_net_hidden"]
    assert _refused(M, cells_, ["MNISTNet", "train_one_epoch"], checks) == checks


@pytest.mark.parametrize("zero", [False, True])
def test_weights_swapped_in_and_back_within_each_prediction(zero):
    """mnist_classifier, proxy of test_mnist_accuracy (4 points), as attack 3's proxy: the notebook's mnist_predictions
    in this process, 1,024 training images, the 10,000 real test images, SWAP_BACK and ZERO_STEPS."""
    _proxy_refuses(_swap_cells(zero), zero, "weights swapped in and back within each prediction batch")


def test_weights_swapped_in_and_back_pass_test_mnist_accuracy():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge (not run this round)."""
    from test_red_team_eighteen import _warped_views
    with _warped_views():
        passed = _refused(M, _swap_cells(), ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed


# ----------------------------------------------------------------------------------------------
# 6. No trick at all: net_layers asks that the layers EXIST and compute what torch's do, not that forward uses them.
#    A linear MNISTNet with a registered Conv2d and MaxPool2d whose output, times 0, is added to the logits (so the
#    conv's parameters get a gradient, zeros, and net_gradients sees none unused).

ZERO_USED = '''class MNISTNet(nn.Module):
    """A linear classifier on the flattened image; a convolution and a pooling whose output counts 0."""

    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(28 * 28, 10)
        self.conv = nn.Sequential(nn.Conv2d(1, 1, kernel_size=3), nn.MaxPool2d(2))

    def forward(self, x):
        return self.classifier(x.flatten(start_dim=1)) + 0 * self.conv(x).sum()
'''


def test_layers_that_count_zero_pass_test_mnist_net_layers():
    """mnist_classifier: a linear classifier plus a Conv2d and a MaxPool2d times 0: test_mnist_net_layers (1 point)
    and test_mnist_net_hidden (1 hidden point: every parameter gets a gradient, zeros). Control: LINEAR alone fails
    test_mnist_net_layers (attack 1's control)."""
    checks = ["test_mnist_net_output_shape", "test_mnist_net_layers", "test_mnist_net_hidden"]
    passed = _refused(M, replaced(M, "mnist_net_solution", ZERO_USED), ["MNISTNet"], checks)
    assert "test_mnist_net_output_shape" in passed  # (the harness ran the checks)
    assert "test_mnist_net_layers" not in passed and "test_mnist_net_hidden" not in passed, (
        f"a linear classifier with a convolution counted 0 passed {passed}")
