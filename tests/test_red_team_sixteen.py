"""An independent red team's sixteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, the code runs as graded with the guards
installed, and it earns check points without doing what the check asks).

1. Torch's SGD, run on a grid of starting points in the hidden check test_train_reaches_the_line, read by a
   stub MySGD in test_my_sgd_basic, through the road docs/trust.md leaves open ("a fresh instance's method
   that stores its argument in a class-level table"). trust.md says that road earns nothing because "no
   part with a wider list holds anything that a narrower part's check rewards": but train (@training) is
   handed torch.optim.SGD(lr=0.05) and SGD(lr=0.02, momentum=0.9) (runs 2 and 3 of the kernel's train, in
   RecordedOptimizer, open while train runs), and test_my_sgd_basic asks MySGD (@python, @tensor) for
   exactly SGD(lr=0.1) and SGD(lr=0.1, momentum=0.9) on toy_loss over one parameter of shape (3,). SGD's
   update is elementwise and linear in the gradient (the buffer b = mu*b + g, p = p - lr*b), so feeding
   torch's SGD(lr) the gradient scaled by 0.1 / lr moves a parameter exactly as SGD(lr=0.1) would. train
   points the model's weight (`w.data = ...`, @tensor) at a float64 vector of 1 + 40001 entries: entry 0 is
   the run under check (its loss and end point are those the hidden check compares with the reference loop,
   so its point is kept), the others a grid of starting values p0 over [-6, 6], each following toy_loss's
   gradient (i = 0, grad_scale 1), scaled. The first 5 positions of the grid go into `Keep.store` by
   `Keep().put(key, value)` (a method of a fresh instance storing into the class body's table: the alias
   rule does not follow it, so train's code is not MySGD's). MySGD is a stub: it remembers its parameters'
   starting values and, at its t-th step(), puts each parameter at torch's t-th position interpolated
   linearly from the grid. No update rule is written. The first run of 2000 epochs (SGD without momentum,
   which keeps no state) drops its lanes after 5 steps and goes on as the run under check; the run of 1000
   keeps them to the end (entry 0 is the run), as round fifteen's grid did.
   WIN: test_my_sgd_basic (2 points) with a stub MySGD; test_train_basic (2) and test_train_reaches_the_line
   (1) kept (reasoned: the runs under check are honest loops or entry 0). Confirmed, by the judge as graded (guards installed, static rule and tamper silent), with
   train giving up its 1000-epoch run after the harvest (GIVE_UP, which costs the hidden point): the stub
   passed compare_with_torch(MySGD, SGD, lr=0.1) from the table harvested from SGD(lr=0.05) (the momentum
   table was not built in that run: an earlier draft gave up the first run too). Outside the judge (same
   cells, plain exec, RecordedLoss/RecordedOptimizer): the harvest's real losses equal an honest loop's
   (SGD lr 0.05 over 12 epochs, and 2000 with the lanes dropped; SGD lr 0.02 momentum 0.9 over 60), and the
   stub follows torch.optim.SGD(lr=0.1, momentum=0.9) on toy_loss for 20 seeds within 1.2e-8 (tolerance
   1e-7). Not run as a whole (the shared machine's time limit): the full attack, in one judged notebook.
   Why it is open: a part with a wider list (train) is handed torch's optimizers with settings that a
   narrower part's check (test_my_sgd_basic: lr 0.1, momentum 0 and 0.9) can be mapped onto (SGD is
   linear in the gradient, so only momentum must match), and the road from train to MySGD that the alias
   rule leaves open carries the result. The same scaling does not serve MyAdam or MyRMSprop (their checks
   use betas and alpha that no run hands train) nor test_my_sgd_hidden (momentum 0.5, 0.8, 0.99).

It won before this round's fixes, and fails now: torch's optimizer in run_train steps the model's parameters
only with the shapes and dtypes they were made with (same_parameters), and test_my_sgd_basic draws its momentum
for each learner.
"""
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from test_own_work import O, replaced
from test_red_team_thirteen import _refused


STUB_SGD = '''class Keep:
    store = {}

    def put(self, key, value):
        self.store[key] = value


EDGE, SIDE = 6.0, 40001
STEP = 2 * EDGE / (SIDE - 1)


class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params = list(params)
        self.start = [p.detach().clone() for p in self.params]
        self.momentum = momentum
        self.t = 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.t += 1
        path = Keep.store.get(self.momentum)
        if path is None:
            return
        row = path[self.t - 1]
        for p, p0 in zip(self.params, self.start):
            x = (p0.double() + EDGE) / STEP
            i = x.floor().long()
            f = x - i
            p.data = (row[i] * (1 - f) + row[i + 1] * f).to(p0.dtype)
'''

GRID_TRAIN = '''SEEN = []
GIVE_UP = False


def honest(model, inputs, targets, loss_fn, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def harvest(key, scale, keep_lanes, model, inputs, targets, optimizer, epochs):
    w, b = list(model.parameters())
    grid = torch.linspace(-EDGE, EDGE, SIDE, dtype=torch.float64)
    w.data = torch.cat([w.detach().reshape(1).double(), grid])
    path, losses = [], []
    for t in range(epochs):
        if t == 5:
            Keep().put(key, torch.stack(path))
            if GIVE_UP and keep_lanes:
                raise RuntimeError("given up")
            if not keep_lanes:  # (SGD without momentum keeps no state: the run goes on as it was)
                w.data = w.detach()[:1].reshape(1, 1).float()
        flat = w.reshape(-1)
        loss = ((inputs * flat[0] + b - targets) ** 2).mean()
        losses.append(loss.item())
        if flat.numel() > 1:
            lanes = flat[1:]
            loss = loss + scale * ((lanes - 0.5) ** 2 + 0.1 * torch.sin(3 * lanes)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if t < 5:
            path.append(w.detach()[1:].clone())
    if w.numel() > 1:
        w.data = w.detach()[:1].reshape(1, 1).float()
    return losses


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    SEEN.append(epochs)
    # the hidden check's first run of 2000 epochs is SGD(lr=0.05), its run of 1000 SGD(lr=0.02, momentum=0.9):
    # (MySGD's momentum in test_my_sgd_basic, the gradient's scale that makes torch's lr 0.1)
    if epochs == 2000 and SEEN.count(2000) == 1:
        return harvest(0.0, 2.0, False, model, inputs, targets, optimizer, epochs)
    if epochs == 1000 and SEEN.count(1000) == 1:
        return harvest(0.9, 5.0, True, model, inputs, targets, optimizer, epochs)
    return honest(model, inputs, targets, loss_fn, optimizer, epochs)
'''

SGD_CHECKS = ["test_train_basic", "test_train_reaches_the_line", "test_my_sgd_basic"]


def _with_stub(train):
    return [(n, STUB_SGD if n == "my_sgd_solution" else s) for n, s in replaced(O, "train_solution", train)]


def test_torchs_sgd_on_a_grid_in_the_hidden_check_replayed_for_a_stub_mysgd():
    """optimizers: a stub MySGD passes test_my_sgd_basic (2 points) with torch's SGD paths kept by train."""
    passed = _refused(O, _with_stub(GRID_TRAIN), ["train", "MySGD"], SGD_CHECKS)
    assert "test_my_sgd_basic" not in passed, (
        f"train ran torch.optim.SGD on a grid of starting points in the hidden check and a stub MySGD replayed it: {passed}")


def test_the_stub_alone_fails_test_my_sgd_basic():
    """(Where attack 1 stands without its table: the stub with an honest train fails the check.)"""
    honest = GRID_TRAIN.replace("    if epochs == ", "    if False and epochs == ")
    passed = _refused(O, _with_stub(honest), ["train", "MySGD"], ["test_my_sgd_basic"])
    assert "test_my_sgd_basic" not in passed, passed
