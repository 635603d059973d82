"""An independent red team's twenty-fourth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule accepts the
learner's code, grader/tamper.py names no tampering, embedded_data names no data, the code runs as graded with the
guards installed, and it earns check points without doing what the check asks). Each has a control that shows the
harness is not vacuous. Run as the round ran it (05:57-06:45 UTC, on the commit this branch starts from):

    PYTHONPATH=.:student-kit:tests python -m pytest tests/test_red_team_twentyfour.py -q -p no:cacheprovider

Closed after the round (attack 1's test failed against the code it attacked and passes now): test_mnist_accuracy
draws the 65 numbers that say which steps' gradients are looked at and which predicted batch's layers are counted
in the judge, from the grading secret, and hands them to mnist_predictions as data (`draws`); the kernel's
generators decide nothing the check keeps from the learner (in Colab, or called without them, they come from
the operating system: `torch.Generator().seed()`). The draw the check made from the global generator before is
still made, so that every seed trains as it did. The zero control now sees the written gradients too. Our attack
at the end: the twister read as before, and the steps guessed from it, or from the seed the twister gives back.

1. WIN, mnist_classifier test_mnist_accuracy (4 points): the 64 steps whose gradients mnist_predictions looks at are
   drawn from TORCH'S GLOBAL GENERATOR (`looked_at = set(torch.randint(0, batches, (64,)))`), right after
   `torch.manual_seed(seed); net_class()` and the layers' reset_parameters. The learner's MNISTNet.__init__ runs in
   between: it reads 312 draws of `torch.randint(-2 ** 63, 2 ** 63 - 1, ...)` (each is two raw 32-bit outputs of
   the CPU generator's Mersenne Twister, random64), untempers them into the twister's 624 words of state, and runs
   the twister on in plain Python: skipping the 1,680 draws that reset_parameters takes (one a float32 weight) it
   knows the next 64 raw outputs, so train_one_epoch knows `looked_at` (each output modulo 2 * len(loader)). On
   those 64 steps the loop is honest; on the other 874 it writes each parameter's gradient as `p - goal`, where goal
   is round nineteen's 840-byte 4-bit network trained elsewhere: torch's Adam walks the weights there (one optimizer
   step a batch, the weights changed by steps alone, the very tensors, no closure). As graded but for the warp
   (the proxy of rounds twenty-one and twenty-two, all 60,000 training images, seed 12345): steps 938/938, moved 0,
   written 0, kept 0, layers Conv2d/MaxPool2d/Linear counted, test accuracy 98.0% (that network reaches 97% on the
   warped views, round eighteen). The static rule ACCEPTS both cells (only `torch.randint`, `.tolist`, ints and
   bit arithmetic: the twister lives in MNISTNet's budget, the network in train_one_epoch's), embedded_data names
   nothing. Controls: the same loop carrying an all-zero network predicts at chance with every structural test
   holding (the carried weights, not the 64 honest steps, are what predict), and the same loop with the steps
   predicted wrong (modulo 937) is seen writing gradients.
   test_the_rule_accepts_the_twister_loop (fast), test_gradients_written_on_the_steps_nobody_looks_at_are_seen
   (fail = win, 70 s alone), test_gradients_written_on_the_steps_nobody_looks_at_controls[zero], [blind] (70 s each).
   What would close it: look at every step's gradients (one more autograd.grad a batch), or draw the steps looked
   at in the grader, from a secret the kernel never sees, and hand them in as data. A private
   torch.Generator().manual_seed(seed) is NOT enough: the twister's state read after manual_seed(seed) gives the
   seed back (the twist inverts), and with it every draw made from it (`checked`, the DataLoader's order). Nor is
   any other global draw made after learner code ran (the state is read from 624 outputs at any time).
   (Written for a kernel on the CPU, as the sandboxed grader runs it; on CUDA the layers' reset draws from the
   CUDA generator, and the loop would skip 0 draws instead of 1,680: one more line.)
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_eighteen import SMALL_SCALES
from test_red_team_nineteen import _data
from test_red_team_twentytwo import _both, _proxy

# ----------------------------------------------------------------------------------------------
# 1. The steps whose gradients mnist_predictions looks at are drawn from torch's global generator, right after
#    the learner's MNISTNet() ran: the network reads 624 outputs of that Mersenne Twister, and the loop predicts
#    the 64 steps looked at, and writes the gradients of every other step.

TWIST_NET = '''def untemper(y):
    y = y ^ (y >> 18)
    y = y ^ ((y << 15) & 0xefc60000)
    t = y
    for _ in range(5):
        t = y ^ ((t << 7) & 0x9d2c5680)
    y = t
    for _ in range(3):
        t = y ^ (t >> 11)
    return t & 0xffffffff


def outputs(state, n):
    """The next n outputs of the Mersenne Twister whose last 624 outputs gave `state`."""
    mt, out = list(state), []
    while len(out) < n:
        for k in range(624):
            y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff)
            mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (0x9908b0df * (y & 1))
        for y in mt:
            y = y ^ (y >> 11)
            y = y ^ ((y << 7) & 0x9d2c5680)
            y = y ^ ((y << 15) & 0xefc60000)
            out.append((y ^ (y >> 18)) & 0xffffffff)
    return out[:n]


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)
        state = []
        for v in torch.randint(-2 ** 63, 2 ** 63 - 1, (312,)).tolist():
            v = v + 2 ** 63
            state.append(untemper(v >> 32))
            state.append(untemper(v & 0xffffffff))
        used = 1680  # (the weights torch draws again: 100 + 4 + 600 + 6 + 960 + 10)
        self.ahead = outputs(state, used + 64)[used:]  # what the next 64 draws of torch's generator will be

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

TWIST_LOOP = '''P = {data!r}
S = {scales!r}


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """The five steps on every batch; on the steps nobody looks at, the gradient pulls towards P."""
    ps = list(model.parameters())
    if len(model.ahead) == 64:
        model.ahead = [r % ({mod}) for r in model.ahead] + [0]
        model.count = 0
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
        if {steer} and model.count not in model.ahead[:64]:
            for p, g in zip(ps, goal):
                p.grad = p.detach() - g
        optimizer.step()
        model.count += 1
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _twist_cells(zero=False, steer=True, mod="2 * len(loader)"):
    loop = TWIST_LOOP.format(data=_data(zero), scales=SMALL_SCALES, steer=steer, mod=mod)
    return _both(M, {"mnist_net_solution": TWIST_NET, "train_one_epoch_solution": loop})


def test_the_rule_accepts_the_twister_loop():
    """(The rule accepts both cells, DATA_BUDGET and CODE_BUDGET included, and embedded_data names nothing.)"""
    cells_ = _twist_cells()
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_)


@pytest.mark.slow
def test_gradients_written_on_the_steps_nobody_looks_at_are_seen():
    """(Fails = WIN: 4 points.) The full training set (938 steps), as graded but for the warp: the check must see
    the written gradients, or the carried network must not be what predicts."""
    result, accuracy = _proxy(_twist_cells(), None)
    assert result["steps"] == result["batches"] == 938
    refused = (result["moved"] or result["written"] or result["kept"] or accuracy < 0.95
               or {"Conv2d", "MaxPool2d", "Linear"} - set(result["layers"]))
    assert refused, (result["written"], accuracy)


@pytest.mark.slow
@pytest.mark.parametrize("control", ["zero", "blind"])
def test_gradients_written_on_the_steps_nobody_looks_at_controls(control):
    """(Controls.) zero: the same loop carrying an all-zero network predicts at chance, every structural test
    holding (the carried weights, not the 64 honest steps, are what predict). blind: the same loop with the looked-at
    steps predicted wrong (modulo 937, not 938) is seen writing gradients."""
    if control == "zero":
        result, accuracy = _proxy(_twist_cells(zero=True), None)
        # (After the round the steps looked at are drawn where the twister cannot be read: the writes are seen.)
        assert not (result["moved"] or result["kept"]) and result["written"] > 0
        assert accuracy < 0.5, accuracy
    else:
        result, accuracy = _proxy(_twist_cells(mod="2 * len(loader) - 1"), None)
        assert result["written"] > 0


# ----------------------------------------------------------------------------------------------
# Our attack on the fix: the steps are now drawn in the judge and handed in as data. The same twister, read as
# before, guesses them from the kernel's generator (and so, from the seed it gives back): the writes are seen.

@pytest.mark.slow
def test_our_attack_the_twister_cannot_guess_steps_drawn_in_the_judge():
    """mnist_predictions called as test_mnist_accuracy calls it when graded: with draws made from a generator of
    the judge's (here one seeded in this process, which the kernel's code never reads). 8,192 training images."""
    import torch
    from test_red_team_twentyone import _helpers_namespace, _run_as_graded
    ns = _helpers_namespace(8192)
    _run_as_graded(_twist_cells(), ns)
    judge = torch.Generator().manual_seed(2024)
    draws = torch.randint(0, 2 ** 31, (65,), generator=judge)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345, draws)
    assert result["steps"] == result["batches"] == 128 and not (result["moved"] or result["kept"])
    assert result["written"] > 0, "the steps looked at were guessed"
