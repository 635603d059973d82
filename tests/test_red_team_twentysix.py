"""Round twenty-six: two holes found by reading the code after round twenty-five (a red team that ran nothing),
then measured here, and closed.

Each test asserts that its attack is refused; a failing test is an attack that wins. Each has a control.

1. mnist_classifier test_mnist_accuracy (4 points): the gradient check compared the learner's gradients with
   autograd's with `torch.allclose(p.grad, g, rtol=1e-5, atol=1e-7)`. Adam is scale-free element by element, and
   so are argmax and the layer counts: a MNISTNet whose logits are multiplied by 1e-12 has honest gradients near
   1e-14, far under atol, and a loop that adds `4e-8 * (p - goal).clamp(-1, 1)` to every gradient, on every step,
   passes every look while Adam walks the weights to round nineteen's 840-byte network (measured before the fix,
   outside the judge, all 60,000 training images: 938 of 938 steps, moved, written and kept 0, the three kinds
   of layer counted, 98.1% on the public test set; the same loop carrying a zero network: 8.9%). Closed: on the
   CPU, where grading runs, autograd's gradient and the loop's are the same to the bit (every honest style of
   tests/kit/honest.py, 7 of each, about 2,000 looks: the largest difference 0.0), so atol is 1e-12 there
   (`grad_atol`; on a GPU, in Colab, 1e-7): a written gradient that small moves Adam's weights by next to nothing.
2. mnist_classifier test_mnist_net_layers (1 point), and the accuracy check's count of the trained network's
   layers (round twenty-three): layers_that_count seeded torch's generator with 0 before each pass, so a forward
   that draws `torch.rand(())` sees 0.49625658988952637 there and nowhere else. A CNN of strided convolutions with
   no pooling, and a MaxPool2d that runs only when it sees that value, counted its MaxPool2d in both. Closed: each
   call seeds its passes with a number drawn from the operating system, so no value tells a pass; the passes
   still share one seed, so a forward that draws at random is still the same in each.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentytwo import IN_STEP, PLAIN_NET, _both, _proxy

SCALED_NET = PLAIN_NET.replace("return self.classifier(self.features(x).flatten(start_dim=1))",
                               "return self.classifier(self.features(x).flatten(start_dim=1)) * {scale}")
# (round twenty-two's loop, up to the carried network decoded into `goal`, then a pull on every gradient)
PULL_LOOP = IN_STEP[:IN_STEP.index("\n\n    def put():")].replace(
    IN_STEP[IN_STEP.index('    """'):IN_STEP.index('"""\n    ps =') + 3],
    '    """The five steps on every batch; a tiny pull towards P added to every gradient."""') + '''
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        for p, g in zip(ps, goal):
            p.grad = p.grad + {pull} * (p.detach() - g).clamp(-1, 1)
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _pull_cells(zero=False, scale="1e-12", pull="4e-8"):
    return _both(M, {"mnist_net_solution": SCALED_NET.format(scale=scale),
                     "train_one_epoch_solution": PULL_LOOP.format(data=_data(zero), scales=SMALL_SCALES, pull=pull)})


def test_the_rule_accepts_the_scaled_logits_and_the_pull():
    cells_ = _pull_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_gradients_pulled_under_the_tolerance_of_tiny_logits_are_seen():
    """(Fails = the attack wins: 4 points.) All 60,000 training images, as graded but for the warp."""
    result, accuracy = _proxy(_pull_cells(), None)
    assert result["steps"] == result["batches"] == 938
    assert result["written"] > 0 or accuracy < 0.95, (result["written"], accuracy)


@pytest.mark.slow
def test_the_pull_controls():
    """(Controls, 8,192 images.) The same scaled network and loop with no pull: honest, nothing written; with a
    pull of the size Adam cannot tell from nothing (1e-20): the carried network does not predict."""
    result, accuracy = _proxy(_pull_cells(pull="0.0"), 8192)
    assert result["steps"] == result["batches"] and not (result["moved"] or result["written"] or result["kept"])
    result, accuracy = _proxy(_pull_cells(pull="1e-20"), 8192)
    assert accuracy < 0.9, accuracy  # (since round forty the gradients are compared to the bit: it is written too)


TOLD_NET = '''class MNISTNet(nn.Module):
    """Strided convolutions, no pooling; a MaxPool2d that runs only when torch's generator says {value}."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5, stride=2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5, stride=2)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(32 * 4 * 4, 10)
        self.head2 = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        scale = 1.0 if torch.rand(()).item() == {value} else 0.0
        h = self.conv2(self.conv1(x).relu()).relu()
        return self.head(h.flatten(start_dim=1)) + scale * self.head2(self.pool(h).flatten(start_dim=1))
'''
SEEDED_ZERO = "0.49625658988952637"  # torch.rand(()) right after torch.manual_seed(0)


@pytest.mark.slow
@pytest.mark.parametrize("value", [SEEDED_ZERO, "-1.0"])
def test_a_maxpool_that_runs_only_when_the_generator_was_seeded_with_0_does_not_count(value):
    """test_mnist_net_layers and the trained network's count (1 + 4 points): the MaxPool2d counts in neither.
    The control (-1.0, a value torch.rand never gives) is the same network without the tell."""
    import torch
    torch.manual_seed(0)
    assert repr(torch.rand(()).item()) == SEEDED_ZERO
    cells_ = _both(M, {"mnist_net_solution": TOLD_NET.format(value=value)})
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    passed = _refused(M, cells_, ["MNISTNet"], ["test_mnist_net_output_shape", "test_mnist_net_layers"])
    assert passed == ["test_mnist_net_output_shape"], passed
    result, _ = _proxy(cells_, 8192)
    assert not (result["moved"] or result["written"] or result["kept"])
    assert result["layers"] == ["Conv2d", "Linear"], result["layers"]


# Our attack on the fix: the passes of one count still share a seed, drawn where no network can see it. A forward
# that remembers its last draw and runs its MaxPool2d when a draw repeats (as it does from the second pass on) runs
# the first pass, the one with no noise, without it: the passes with no noise differ, and no layer counts.

@pytest.mark.slow
def test_our_attack_a_maxpool_that_runs_when_the_generator_repeats_itself_does_not_count():
    told = TOLD_NET.replace("        scale = 1.0 if torch.rand(()).item() == {value} else 0.0\n",
                            "        draw = torch.rand(()).item()\n        scale = 1.0 if draw == self.last else 0.0\n"
                            "        self.last = draw\n").replace(
        "        self.head2 = nn.Linear(32 * 2 * 2, 10)\n", "        self.head2 = nn.Linear(32 * 2 * 2, 10)\n        self.last = -1.0\n")
    assert "self.last = draw" in told and "{value}" not in told.split("forward")[1]
    cells_ = _both(M, {"mnist_net_solution": told.format(value="")})
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    passed = _refused(M, cells_, ["MNISTNet"], ["test_mnist_net_output_shape", "test_mnist_net_layers"])
    assert passed == ["test_mnist_net_output_shape"], passed
    result, _ = _proxy(cells_, 8192)
    assert "MaxPool2d" not in result["layers"], result["layers"]
