"""An independent red team's twenty-third round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Run as the round ran it (05:4x-06:3x UTC, on the commit this branch starts from):

    PYTHONPATH=.:student-kit:tests python -m pytest tests/test_red_team_twentythree.py -q -p no:cacheprovider

Closed after the round (attack 2's tests failed against the code they attacked and pass now): the layer checks run
the network on MNIST's own images, in the batches it trains on and predicts: net_layers counts the layers of a
fresh network on 1000 test images drawn from the check's seed (`image_batch`), net_gradients takes the gradients
of 128 training images and counts the layers on 1000 test images, so neither the size of a batch nor its pixels
tell a check from training or predicting. And since a forward can still tell a fresh network from a trained one
by its own state, mnist_predictions counts the TRAINED network's layers on one of the batches it predicts (drawn
from the seed, looked at before it predicts it), and test_mnist_accuracy asks that a Conv2d, a MaxPool2d and a
Linear count there: layers that run only for a fresh network, or only on a batch seen before, cost the 4 points
of the accuracy check (our attacks at the end). Left: such a network may still pass test_mnist_net_layers (1
point) for a fresh network, at the price of the accuracy check.

1. Refused (by the kernel's guard, at run time), mnist_classifier test_mnist_accuracy (4 points): round twenty-two's
   closure road moved inside torch's step by another door. torch's Adam (on the CPU, the single-tensor path) reads
   `p.grad.is_sparse` in `_init_group`, AFTER the step pre-hooks (and a closure) and BEFORE the update and the
   post-hook. A gradient of the learner's own `class Carry(torch.Tensor)` with an `is_sparse` property that writes
   the parameter (round nineteen's 840-byte 4-bit network) would be written inside every step and recorded by the
   post-hook as "the step's" weights, with the gradients honest (the pre-hook's look at them holds). The static rule
   ACCEPTS the cells (`torch.Tensor` is on @tensor and may be a base class; `property` is on @python; DATA_BUDGET
   and CODE_BUDGET hold; embedded_data names nothing) and plain torch does what the attack needs (the control:
   the weights are written between the pre-hook and the post-hook); what refuses it is grader/kernel_side.py's
   own_class, which refuses a class whose metaclass is not `type` (torch.Tensor's is _TensorMeta), so the cell
   fails as graded. (Worth keeping: if a Tensor subclass is ever admitted, this wins 4 points.)
   test_the_rule_accepts_the_sparse_question_loop (the static acceptance),
   test_a_gradient_of_the_learners_own_tensor_class_cannot_write_inside_adams_step (5 s).

2. WIN, mnist_classifier test_mnist_net_layers (1 point) and hidden test_mnist_net_hidden (1 point), through the
   judge, 5 s each. The layer checks run the network on inputs a forward can tell from MNIST's: net_layers on a
   batch of exactly 2 images, net_gradients on 300 and layers_that_count on its first 8, all of them
   torch.randn images (values below -1, which MNIST's normalized pixels, >= -0.4242, never reach). MNISTNet is a
   linear classifier `classifier(x.flatten(1))` beside a Conv2d, a MaxPool2d and a second Linear, which it adds to
   the logits only when the batch is the checks' (`len(x) in (2, 8, 300)`, or `x.min() < -1`): every layer then
   counts (noise of its output's size moves the output far over LAYER_EFFECT, the no-noise passes agree), every
   weight gets a nonzero gradient, the layers compute what torch's do, the eval outputs agree; on MNIST's batches
   (128 and 96 training, 1000 predicting) the network is the linear classifier bit for bit. Not the out-of-scope
   road (no layer recomputed with torch's functions and compared with the check's noise): the forward tells the
   check's INPUTS apart, by their size or their pixels. Control: the same network with a tell that the checks'
   inputs do not meet (`len(x) in (64, 128)`, `x.min() < -100`) fails both. 
   test_layers_run_only_on_the_checks_inputs_fail_the_layer_checks[sizes], [noise] (fail = win).
   What would close it: run the layer checks on batches of MNIST images (the training set the kernel has), of
   sizes drawn for each learner, or better, in the run of mnist_predictions itself (count the layers of the network
   that was trained and predicted, on the batches it predicted).

3. Refused (static rule), training_recipes bce_with_logits_weighted (3 points): torch's TOP-LEVEL loss functions,
   which F's are built on (torch.binary_cross_entropy_with_logits, torch.kl_div, torch.hinge_embedding_loss,
   torch.margin_ranking_loss, ... , not among round twenty-two's roads), reached directly, with the name made the
   learner's own by a class attribute of that name, by getattr, through torch.special.torch, and imported by name
   (with and without the own name): each is named. Control: an honest softplus version is accepted.
   test_torchs_top_level_losses_are_refused.

Reasoned, not won (no test): loss_functions and training_recipes' losses: @tensor's wildcards torch.special.* and
torch.linalg.* hold norms and xlogy (arithmetic, not torch's losses); `torch.special.Tensor` is accepted as a value
but torch.Tensor has no loss method (only `dist`), and an own name read on it is the guard's to refuse. Optimizers
and MyAdamW: compare_with_torch draws a seed for every call, so no trajectory table fits DATA_BUDGET; a learner's
class cannot build on torch.optim.Optimizer (not on UPDATE_RULE). mnist_predictions: `nn.Module.eval(net)` calls
the learner's `train(False)` (MNISTNet may define `train`) AFTER the check's last look at the trained weights and
the buffer snapshot, but every write it could make is seen by the look before each module's forward; a BatchNorm's
running statistics may be written freely while the loop trains (they are snapshotted only after training), but they
hold 2 numbers a channel, no network.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_twentytwo import PLAIN_NET, _both, _proxy


# ----------------------------------------------------------------------------------------------
# 1. A gradient of the learner's own Tensor subclass, whose `is_sparse` property torch's Adam reads in its
#    _init_group: INSIDE the step, after the step pre-hook (and a closure) looked, before the post-hook records.

IN_ADAM = '''P = {data!r}
S = {scales!r}


class Carry(torch.Tensor):
    """A gradient that, when torch's Adam asks whether it is sparse, writes its parameter."""

    @property
    def is_sparse(self):
        {write}
        return False


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch; each gradient is handed to the step as a Carry."""
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
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        if len(ps) == 6:
            for p, g in zip(ps, goal):
                c = Carry(p.grad)
                c.param = p
                c.goal = g
                p.grad = c
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''
WRITE = "self.param.data = self.goal.clone()"


def _in_adam_cells(zero=False, write=WRITE):
    loop = IN_ADAM.format(data=_data(zero), scales=SMALL_SCALES, write=write)
    return _both(M, {"mnist_net_solution": PLAIN_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_sparse_question_loop():
    """(The rule accepts the cells, DATA_BUDGET and CODE_BUDGET included, and embedded_data names nothing.)"""
    cells_ = _in_adam_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)


@pytest.mark.slow
def test_a_gradient_of_the_learners_own_tensor_class_cannot_write_inside_adams_step():
    """(Refused when run as graded: the kernel's guard refuses a class built on torch.Tensor (its metaclass,
    _TensorMeta), so no Carry exists and the cell fails. Plain torch would let it win: the control shows that
    Adam reads `p.grad.is_sparse` between its pre-hook and its post-hook.)"""
    import torch
    import torch.nn as nn

    class Carry(torch.Tensor):
        @property
        def is_sparse(self):
            self.param.data = self.goal.clone()
            return False
    lin = nn.Linear(3, 2)
    optimizer = torch.optim.Adam(lin.parameters(), lr=3e-3)
    seen = []
    optimizer.register_step_pre_hook(lambda o, a, k: seen.append(lin.bias.detach().clone()))
    lin(torch.randn(4, 3)).sum().backward()
    for p in lin.parameters():
        c = Carry(p.grad)
        c.param, c.goal = p, torch.full_like(p, 7.0)
        p.grad = c
    optimizer.step()
    assert not torch.allclose(seen[0], torch.full((2,), 7.0), atol=0.01)
    assert torch.allclose(lin.bias.detach(), torch.full((2,), 7.0), atol=0.01)  # (written inside the step)
    with pytest.raises(TypeError, match="metaclass"):
        _proxy(_in_adam_cells(zero=True), 256)


# ----------------------------------------------------------------------------------------------
# 2. The layer checks run the network on batches of fixed sizes (net_layers: 2 images; net_gradients: 300, and 8
#    for layers_that_count); a linear classifier that runs its Conv2d, MaxPool2d and second Linear only on batches
#    of those sizes passes test_mnist_net_layers and test_mnist_net_hidden. Trained and graded on batches of 128 and
#    1000 it is a linear classifier.

SIZED = '''class MNISTNet(nn.Module):
    """A linear classifier; its convolution, pooling and second Linear run only when {tell}."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=5)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(4 * 12 * 12, 10)
        self.classifier = nn.Linear(28 * 28, 10)

    def forward(self, x):
        logits = self.classifier(x.flatten(start_dim=1))
        if {tell}:
            logits = logits + self.head(self.pool(self.conv(x).relu()).flatten(start_dim=1))
        return logits
'''
NET_CHECKS = ["test_mnist_net_output_shape", "test_mnist_net_layers", "test_mnist_net_returns_logits",
              "test_mnist_net_hidden"]


TELLS = {"sizes": ("len(x) in (2, 8, 300)", "len(x) in (64, 128)"),  # (the checks' batch sizes; the control's)
         "noise": ("x.min() < -1", "x.min() < -100")}  # (torch.randn images; MNIST's normalized pixels are >= -0.43)


@pytest.mark.slow
@pytest.mark.parametrize("tell", sorted(TELLS))
def test_layers_run_only_on_the_checks_inputs_fail_the_layer_checks(tell):
    """mnist_classifier: test_mnist_net_layers (1 point) and hidden test_mnist_net_hidden (1 point) for a network
    that is a linear classifier on every batch but the checks' (told apart by their sizes, 2, 8 and 300 images, or
    by their pixels, torch.randn's, which MNIST's never reach)."""
    import torch
    import torch.nn as nn
    from test_red_team_twentyone import _helpers_namespace
    attack, control = TELLS[tell]
    ns = {"nn": nn, "torch": torch}
    exec(SIZED.format(tell=attack), ns)
    data = _helpers_namespace(256)
    net, images = ns["MNISTNet"](), data["train_data"].tensors[0]
    # (MNIST's images, in the batches the accuracy check trains on and predicts: the linear classifier alone)
    for x in (images[:128], images[:96], data["test_data"].tensors[0][:1000]):
        assert torch.equal(net(x), net.classifier(x.flatten(start_dim=1)))
    refused = _refused(M, replaced(M, "mnist_net_solution", SIZED.format(tell=control)), ["MNISTNet"], NET_CHECKS)
    assert refused == ["test_mnist_net_output_shape", "test_mnist_net_returns_logits"]  # (the control)
    passed = _refused(M, replaced(M, "mnist_net_solution", SIZED.format(tell=attack)), ["MNISTNet"], NET_CHECKS)
    assert "test_mnist_net_layers" not in passed and "test_mnist_net_hidden" not in passed, (
        f"a linear classifier whose layers run only on the checks' inputs ({attack}) passed {passed}")


# ----------------------------------------------------------------------------------------------
# 3. (Refused) torch's top-level loss functions (torch.binary_cross_entropy_with_logits, torch.kl_div,
#    torch.hinge_embedding_loss, ...), which F's names are built on, by the roads of the own-name rule.

from test_own_work import R  # noqa: E402

BCE_HEAD = "def bce_with_logits_weighted(logits, target, pos_weight):\n"
BCE_CALL = "binary_cross_entropy_with_logits(logits, target, None, pos_weight, 1)\n"
OWN_NAME = "class B:\n    binary_cross_entropy_with_logits = 0\n\n\n"
TOP_LEVEL = {
    "direct": BCE_HEAD + "    return torch." + BCE_CALL,
    "own name": OWN_NAME + BCE_HEAD + "    return torch." + BCE_CALL,
    "getattr": BCE_HEAD + "    return getattr(torch, 'binary_cross_entropy_with_logits')(logits, target, None, pos_weight, 1)\n",
    "special.torch": BCE_HEAD + "    return torch.special.torch." + BCE_CALL,
    "import": "from torch import binary_cross_entropy_with_logits as b\n\n\n" + BCE_HEAD + "    return b(logits, target, None, pos_weight, 1)\n",
    "own name import": OWN_NAME + "from torch import binary_cross_entropy_with_logits\n\n\n" + BCE_HEAD + "    return " + BCE_CALL,
}
BCE_HONEST = BCE_HEAD + ("    w = 1 + (pos_weight - 1) * target\n"
                         "    return ((1 - target) * logits + w * F.softplus(-logits)).mean()\n")


@pytest.mark.parametrize("road", sorted(TOP_LEVEL))
def test_torchs_top_level_losses_are_refused(road):
    def found(source):
        return notebook_plan(replaced(R, "bce_with_logits_weighted_solution", source), locked(R), checks_of(R))[0]
    assert "bce_with_logits_weighted" not in found(BCE_HONEST)  # (the control: the honest one is accepted)
    assert "bce_with_logits_weighted" in found(TOP_LEVEL[road])


# ----------------------------------------------------------------------------------------------
# Our attacks on the fix. The layer checks now run the network on MNIST's own images, in the batches it trains on
# (128 training images) and predicts (1000 test images), and mnist_predictions counts the trained network's layers
# on a batch it predicts (drawn from the seed), before it predicts it: test_mnist_accuracy asks that a Conv2d, a
# MaxPool2d and a Linear count there. A forward that tells the checks apart by its own state instead: its layers
# run only until it has trained, or only on a batch it has seen before.

STATEFUL = '''class MNISTNet(nn.Module):
    """A CNN whose convolution path runs only {when}."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Linear(6 * 16, 10)
        self.classifier = nn.Linear(28 * 28, 10)
        self.calls = 0
        self.last = None

    def forward(self, x):
        seen = self.last is not None and self.last.shape == x.shape and bool((self.last - x).abs().sum() == 0)
        self.last = x.detach().clone()
        self.calls += 1
        scale = 1.0 if {tell} else 0.0  # (times 0 otherwise: every parameter still gets a gradient, zeros)
        return self.classifier(x.flatten(start_dim=1)) + scale * self.head(self.features(x).flatten(start_dim=1))
'''
STATES = {"until trained": ("for its first 12 batches (the check's training takes 16)", "self.calls <= 12"),
          "on a batch seen before": ("on a batch it has seen before", "seen"),
          "always (the control)": ("always", "True")}


@pytest.mark.slow
@pytest.mark.parametrize("state", sorted(STATES))
def test_our_attack_layers_that_run_by_the_networks_own_state_do_not_count_in_the_accuracy_check(state):
    """mnist_classifier: a trained MNISTNet whose convolution path runs only for its first batches (a fresh network's, as in the layer checks), or only on
    a batch it has seen before (so that the baseline pass of a check would differ from its noisy passes): the
    accuracy check's count of the trained network's layers, on a batch it predicts, finds no Conv2d and no
    MaxPool2d that count. The control, the path always run, counts all three kinds."""
    when, tell = STATES[state]
    cells_ = _both(M, {"mnist_net_solution": STATEFUL.format(when=when, tell=tell)})
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]  # (the rule accepts it)
    result, _ = _proxy(cells_, 1024)
    assert result["steps"] == result["batches"] and not (result["moved"] or result["kept"])
    # (since round thirty-seven the batch it keeps, a tensor of its own with new contents each step, is also counted:
    # `carried`, and the steps it is not looked at, `unfed` and `written`; what is asked here is the layers it counts)
    assert result["carried"] > 1024 and result["unfed"] == result["batches"] - 1, result
    if tell == "True":
        assert result["layers"] == ["Conv2d", "Linear", "MaxPool2d"]
    else:
        assert "Conv2d" not in result["layers"] and "MaxPool2d" not in result["layers"], result["layers"]
