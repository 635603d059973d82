"""An independent red team's fifteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, the code runs as graded with the guards
installed, and it earns check points without doing what the check asks).

1. Torch's optimizers, run on a grid of starting points during the hidden check, replayed by
   interpolation for stub optimizers. The hidden check test_train_reaches_the_line hands the learner's
   train torch.optim.SGD(lr=0.02, momentum=0.9), Adam(lr=0.05) and RMSprop(lr=0.01) (in RecordedOptimizer,
   which steps them while the run is open): exactly the settings of test_my_optimizers_in_my_train, on the
   same nn.Linear(1, 1) and the same three points of y = 2x. Only the starting point (w0, b0), drawn in
   [-1, 1]^2 from a seed the learner cannot know, differs. torch.optim's update rules are elementwise, so
   train points the model's two parameters (`p.data = ...`, @tensor) at vectors of 1 + 401^2 entries:
   entry 0 is the run under check, the others a grid of starting points, each its own regression (the
   gradient of a sum of per-entry losses). One torch step moves all of them as it would move each alone:
   entry 0 gives the hidden check exactly its reference losses and end point (so the hidden point is kept),
   and the grid's first 50 steps go into train's own table. In test_my_optimizers_in_my_train, with
   MySGD, MyAdam and MyRMSprop stubs that never move a parameter, train reads (w0, b0) off the model,
   interpolates torch's trajectory bilinearly from the table, puts the model at each of its 50 first
   points (`p.data`) before computing the loss (which the checks' probe records), and at w = 2 at the end:
   the check compares exactly those 50 losses (rtol 1e-4) and the end weight. Everything is train's (one
   part, @training), nothing goes between parts; the rule, tamper and the guards see nothing. run_train
   has no holds_torch_optimizer, and the probe's close() comes after the harvest, which needs no kept
   optimizer. WIN: test_my_optimizers_in_my_train (2 points) with three stubs, test_train_basic (2) and
   test_train_reaches_the_line (1) kept; the same stubs with an honest train fail it. A grid of 89 x 89
   starting points over [-1.1, 1.1]^2 and Catmull-Rom interpolation reach rtol 1e-4 on the 50 losses
   (bilinear needs about 401 x 401); the harvest costs the hidden check a few seconds.
Near misses (no point): check_schedule and compare_with_torch zip the learner's list with torch's with no
length check, but the lists are built by the kept helpers (schedule_lrs, optimizer_steps) from range(...),
not by the learner; RecordedOptimizer.__getattr__ hands any non-underscore name to the inner torch
optimizer while the run is open, but the only names of @training that an Optimizer has (step, zero_grad)
are the probe's own; the data channel sends a str/float subclass as an opaque object and NaN fails
assert_close; (reasoned, not run) the same elementwise trick cannot serve MyAdam's or MyRMSprop's own
checks (other betas, eps and alpha than the hidden run's, and their starting points are drawn at check time).

It won before this round's fix, and fails now: test_my_optimizers_in_my_train draws its optimizers' settings
for each learner, so no other check hands train a torch optimizer with them.
"""
import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from test_own_work import O, replaced
from test_red_team_thirteen import _refused


STUBS = {"my_sgd_solution": '''class MySGD:
    def __init__(self, params, lr=0.01, momentum=0.0):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
''', "my_adam_solution": '''class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
''', "my_rmsprop_solution": '''class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        pass
'''}

GRID_TRAIN = '''RUNS = []
TABLE = {}
SIDE, EDGE = 89, 1.1
HARVEST = {3: "SGD", 4: "Adam", 5: "RMSprop"}
REPLAY = {6: "SGD", 7: "Adam", 8: "RMSprop"}


def honest(model, inputs, targets, loss_fn, optimizer, epochs):
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def cubic(t):
    return [((2 - t) * t - 1) * t / 2, ((3 * t - 5) * t * t + 2) / 2, ((4 - 3 * t) * t + 1) * t / 2, (t - 1) * t * t / 2]


def harvest(name, model, inputs, targets, optimizer, epochs):
    w, b = list(model.parameters())
    axis = torch.linspace(-EDGE, EDGE, SIDE)
    w.data = torch.cat([w.detach().reshape(1), torch.repeat_interleave(axis, SIDE)])
    b.data = torch.cat([b.detach().reshape(1), axis.repeat(SIDE)])
    ws, bs, losses = [], [], []
    for t in range(epochs):
        if t < 50:
            ws.append(w.detach()[1:].clone())
            bs.append(b.detach()[1:].clone())
        per_entry = ((inputs * w + b - targets) ** 2).mean(dim=0)
        losses.append(per_entry[0].item())
        optimizer.zero_grad()
        per_entry.sum().backward()
        optimizer.step()
    TABLE[name] = (torch.stack(ws), torch.stack(bs))
    w.data = w.detach()[:1].reshape(1, 1).clone()
    b.data = b.detach()[:1].clone()
    return losses


def replay(name, model, inputs, targets, loss_fn, optimizer, epochs):
    w, b = list(model.parameters())
    ws, bs = TABLE[name]
    step = 2 * EDGE / (SIDE - 1)
    fi, fj = (w.item() + EDGE) / step, (b.item() + EDGE) / step
    i, j = int(fi), int(fj)
    ci, cj = cubic(fi - i), cubic(fj - j)
    corners = [((i + di - 1) * SIDE + j + dj - 1, ci[di] * cj[dj]) for di in range(4) for dj in range(4)]
    path_w = sum(ws[:, k].double() * f for k, f in corners)
    path_b = sum(bs[:, k].double() * f for k, f in corners)
    losses = []
    for t in range(epochs):
        if t < 50:
            w.data = torch.full((1, 1), path_w[t].item())
            b.data = torch.full((1,), path_b[t].item())
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    w.data = torch.full((1, 1), 2.0)
    b.data = torch.full((1,), 0.0)
    return losses


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    RUNS.append(epochs)
    run = len(RUNS)
    if run in HARVEST:
        return harvest(HARVEST[run], model, inputs, targets, optimizer, epochs)
    if run in REPLAY and REPLAY[run] in TABLE:
        return replay(REPLAY[run], model, inputs, targets, loss_fn, optimizer, epochs)
    return honest(model, inputs, targets, loss_fn, optimizer, epochs)
'''

TRAIN_CHECKS = ["test_train_basic", "test_train_reaches_the_line", "test_my_optimizers_in_my_train"]


def _with_stubs(train):
    return [(n, STUBS.get(n, s)) for n, s in replaced(O, "train_solution", train)]


def test_torchs_optimizers_on_a_grid_replayed_for_stub_optimizers():
    """optimizers: stubs MySGD, MyAdam and MyRMSprop pass test_my_optimizers_in_my_train (2 points)."""
    passed = _refused(O, _with_stubs(GRID_TRAIN), ["train", "MySGD", "MyAdam", "MyRMSprop"], TRAIN_CHECKS)
    assert "test_my_optimizers_in_my_train" not in passed, (
        f"train ran torch.optim on a grid of starting points in the hidden check and replayed it: {passed}")


def test_the_stubs_alone_fail_in_my_train():
    """(Where attack 1 stands without its table: the stubs with an honest train fail the check.)"""
    honest = GRID_TRAIN.replace("    if run in HARVEST:", "    if False:").replace("    if run in REPLAY", "    if False")
    passed = _refused(O, _with_stubs(honest), ["train", "MySGD", "MyAdam", "MyRMSprop"],
                      ["test_my_optimizers_in_my_train"])
    assert "test_my_optimizers_in_my_train" not in passed, passed
