"""An independent red team's nineteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, embedded_data names no data to the
instructor, the code runs as graded with the guards installed, and it earns check points without doing
what the check asks).

Target: round eighteen's new watching of the MNIST accuracy run (`mnist_predictions` in mnist_classifier's
helper cell). It (i) resets every layer whose type IS nn.Conv2d, nn.Linear, nn.BatchNorm1d or nn.BatchNorm2d
to torch's own starting weights, (ii) counts one optimizer step a batch, (iii) checks that the weights change
only by steps, between the first step and the end of the last epoch, and (iv) at 64 steps drawn from the seed,
that each parameter's .grad equals the gradient of the last loss_fn(...) call (None where that gradient is
None). Each of the following defeats it with the network of 1,680 weights trained OUTSIDE the notebook that
round eighteen measured (tests/test_red_team_eighteen.py, SMALL: 840 bytes, 4 bits a weight, inside
MNISTNet's DATA_BUDGET with no trick; 98.08% on the plain test set, about 97.3% on warped views).

1. Weights written after the watching ends. `moved` is last compared after the second epoch, before the
   check's `net.eval()` and its prediction forward passes under torch.no_grad(). MNISTNet's forward loads
   the carried weights into its own layers (`tensor.data = ...`) the first time a layer's output does not
   require grad (`h.requires_grad`, @tensor): i.e. at the first prediction, after every check of the run.
   train_one_epoch is the reference solution, unchanged: the run the check watches is an honest one, and
   then the network it trained is thrown away. Nothing here is "a second network computed from data in the
   forward's code" (docs/trust.md's out-of-scope case): the network's own parameters come back by a write,
   which docs/trust.md says the check closes ("weights trained elsewhere neither survive the start nor come
   back by a write").
   test_a_pretrained_net_written_at_the_first_prediction_after_the_watched_run.

2. Layers that the reset does not see, and empty steps. The reset picks layers by `type(module) in (...)`,
   so a subclass (`class Conv(nn.Conv2d)`, `class Dense(nn.Linear)`, each with only a docstring: @layers
   lists the classes, the rule lets a learner's class build on them) keeps the weights its __init__ gave
   it: the carried ones. train_one_epoch then takes one optimizer step a batch whose loss reaches none of
   the weights (`loss_fn(torch.zeros(n, 10).requires_grad_(), labels)` after optimizer.zero_grad(), which
   sets every .grad to None): torch's Adam skips parameters whose .grad is None, so the weights never
   move; at the drawn steps the check's torch.autograd.grad(..., allow_unused=True) of that loss is None
   for every parameter, as every .grad is: "the gradients of the last loss alone" holds.
   test_subclassed_layers_skip_the_reset_and_the_steps_are_empty.

Both: test_mnist_accuracy (4 points) as graded, on warped views (grader.heldout.views data root, as round
eighteen ran them; the plain test set's 98.5% bar is above this net's 98.08%, so the self-check fails and
the graded check is what is won).

Confirmed through the judge harness (_refused: the static rule and tamper silent, embedded_data silent, the
real check run with the kernel-side guards, on a grader.heldout.views data root at seed 7, so
accuracy_needed() is GRADED_ACCURACY): attack 1 passed both with train_one_epoch the reference solution (151 s)
and with the empty steps of attack 2 (14 s; the test uses the empty steps, so that no training of the tiny net
can be what passes); attack 2 passed (14 s). Controls (test_the_controls_with_zero_weights_fail): the same cells
with every carried code 0 (all weights zero) fail test_mnist_accuracy, so the check ran and the carried weights
are what pass it. WIN: 4 points (mnist_classifier, test_mnist_accuracy), two ways.

What would close it: compare the weights with the run's last ones at the prediction too (or predict with a copy
of the parameters the check took after the last step, loaded into the layers by the check, never calling the
learner's code on weights it did not watch); reset every module that has a reset_parameters
(isinstance, or refuse learner subclasses of torch's layers), and check that the weights the prediction uses
are all in what the optimizer stepped; and at the drawn steps ask that the last loss's gradient reach every
parameter (not None), i.e. that the loss be the model's on that batch, and that the steps moved the weights.

Refused, or not won (tried or reasoned this round):
- Budget, GIVEN_NAMES: a name Python, torch or the lists give costs 0 bytes, so a tuple of such names
  (`(abs, sum, max, ...)`, 2 nodes each, about 10 bits a name) carries roughly 2.5 KB more a function under
  CODE_BUDGET. Only reasoned: 2 to 3 KB buys nothing now that the accuracy check resets weights (attacks 1 and 2
  need only 840 bytes) and torch's optimizer paths need megabytes.
- The null-step loop alone (torch's init kept, no carried weights): steps and gradients pass the watching, the
  accuracy is chance; the zero-weight controls above show the check fails it.
- Learner layers kept in a plain list (not registered, so neither reset nor stepped): left alone, as it is the
  out-of-scope "second network" of docs/trust.md.
- Predicting looked_at (drawn from the global generator after net_class()): not needed, attack 2's empty steps
  satisfy every drawn step; not attempted.
- The optimizers' and recipes' checks, the alias roads (a method's stored argument, `CLS = Box`): only read,
  not run; no road found in the time (the round spent its time on the accuracy check's watching).
"""
import base64

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from test_red_team_eighteen import ALL, FROM_BYTES, SMALL, SMALL_SCALES, TINY_NET, _warped_views

# One optimizer step a batch, on a loss that reaches none of the model's weights: after zero_grad every .grad
# is None, torch's Adam steps no parameter, and the check's gradients of this loss are None for all of them.
EMPTY_STEPS = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One optimizer step a batch, on a loss that reaches none of the model's weights: every step is empty."""
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        labels = labels.to(device)
        optimizer.zero_grad()
        scores = torch.zeros(len(labels), 10, device=device).requires_grad_()
        loss = loss_fn(scores, labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count
'''

# ----------------------------------------------------------------------------------------------
# 1. The carried weights written into the network at its first forward under no_grad: the check's prediction,
#    after the last comparison of the weights.

LATE = '''P = {data!r}
SCALES = {scales!r}


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)
        self.loaded = False

    def forward(self, x):
        h = self.features[0](x)
        if not h.requires_grad and not self.loaded:  # the first forward under no_grad: the run is over
            self.loaded = True
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
                start += n
            h = self.features[0](x)
        return self.classifier(self.features[1:](h).flatten(start_dim=1))
'''

# ----------------------------------------------------------------------------------------------
# 2. Subclasses of nn.Conv2d and nn.Linear, which `type(module) in (...)` does not reset, loaded in __init__.

KEPT = '''class Conv(nn.Conv2d):
    """A Conv2d by another name (the check resets type(module) is nn.Conv2d only)."""


class Dense(nn.Linear):
    """A Linear by another name."""


''' + TINY_NET.replace("nn.Conv2d(", "Conv(").replace("nn.Linear(", "Dense(")


def _data(zero=False):
    data = base64.b64decode("".join(SMALL))
    return bytes([0x88]) * len(data) if zero else data  # (0x88: both codes 0)


def _cells(attack, zero=False):
    data = _data(zero)
    if attack == "late":
        net = LATE.format(data=data, scales=SMALL_SCALES)
    else:
        net = KEPT.format(data=f"P = {data!r}", scales=SMALL_SCALES, decode=FROM_BYTES, tensors=ALL, c1=4, c2=6)
    return [(n, EMPTY_STEPS if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", net)]


def _passes(attack, zero=False):
    cells_ = _cells(attack, zero)
    if embedded_data(cells_):
        return []
    with _warped_views():
        return _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])


def test_the_rule_accepts_both_attacks():
    """(Both notebooks pass the static rule, its data budget included, and name no embedded data.)"""
    for attack in ("late", "kept"):
        cells_ = _cells(attack)
        assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
        assert not embedded_data(cells_)


def test_a_pretrained_net_written_at_the_first_prediction_after_the_watched_run():
    """mnist_classifier: the weights trained elsewhere written into MNISTNet's own layers at its first forward
    under no_grad (the check's prediction, after its last look at the weights), with a loop whose steps are
    empty (the reference loop passes too): test_mnist_accuracy (4 points) on warped views."""
    assert "test_mnist_accuracy" not in _passes("late"), (
        "a network trained elsewhere, written into MNISTNet's layers at the check's first prediction (after the "
        "run's watching ended), passed the accuracy check")


def test_subclassed_layers_skip_the_reset_and_the_steps_are_empty():
    """mnist_classifier: Conv(nn.Conv2d) and Dense(nn.Linear) keep the weights trained elsewhere that __init__
    loads (the reset picks exact types), and train_one_epoch's one step a batch is on a loss that reaches no
    weight: test_mnist_accuracy (4 points) on warped views."""
    assert "test_mnist_accuracy" not in _passes("kept"), (
        "layers subclassing nn.Conv2d/nn.Linear kept weights trained elsewhere through the check's reset, and empty "
        "optimizer steps passed its watching: the accuracy check passed")


@pytest.mark.parametrize("attack", ["late", "kept"])
def test_the_controls_with_zero_weights_fail(attack):
    """(The control: the same cells with every carried weight 0 fail the accuracy check, so the check ran and
    the carried weights are what pass it.)"""
    assert _passes(attack, zero=True) == []
