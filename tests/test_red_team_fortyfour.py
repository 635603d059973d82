"""An independent red team's forty-fourth round (desk and in-process, on 0e3f084), as it wrote its attacks.

Each test asserts that its attack is refused now; every one of them won before this round's fixes: the static
rule accepted it, and the judge's checks (in-process, tests/kit/judged.py; F1, F2 and F5 also graded for real with
`python -m grader.grade`) gave it the points of the checks named, as many as the reference solution.

1. An optimizer that steps a parameter without a gradient as if its gradient were 0 (F1), or whose zero_grad()
   fills zeros instead of setting None (F2): SGD's and RMSprop's checks had no parameter without a gradient on
   some steps (only Adam's and AdamW's had), so MySGD and MyRMSprop had their 6 points. Now they have one, and the
   feedback names the slip.
2. An optimizer that skips a parameter whose gradient is exactly 0 (F5): no check ever handed one, so all four
   optimizers (12 points of optimizers, 4 of training_recipes) passed; torch.optim steps with a zero gradient as
   with any other (a dead ReLU's weights have one). Now `sometimes` gives a parameter no gradient on some steps and
   one of exactly 0 on others (`zeroed_on_step`), and the feedback names the slip.
3. An optimizer that keeps its state by the parameter's shape, not by the parameter (F6): every check's
   parameters had distinct shapes (9 points). Now the hidden checks have two parameters of one shape, and so does
   each visible check with a parameter without a gradient on some steps.
4. MNISTNet returning probabilities (a sigmoid at the end, or 10 × softmax): test_mnist_net_returns_logits refused
   only rows that sum to 1 or whose logsumexp is 0 (1 point). Now every score ≥ 0 is refused too: a fresh
   network's raw scores have both signs (every score ≤ 0 may be honest, logits less their largest: round 45).
5. `labels.to(device)` with what it returns dropped (below, where its attacks are).
"""
import pytest

from mistakes import mutate
from mistakes.mnist_classifier import EVALUATE, TRAIN_ONE_EPOCH
from test_own_work import M, O, R, editable_cells, replaced
from test_red_team_ten import _judge

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

NONE_AS_ZERO_SGD = 'class MySGD:\n    """SGD with momentum, but a parameter whose gradient is None still moves by its decayed\n    momentum (None read as a zero gradient): not torch.optim.SGD\'s rule, which skips it."""\n\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n        self.lr = lr\n        self.momentum = momentum\n        self.buffers = [None] * len(self.params)\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            g = p.grad if p.grad is not None else torch.zeros_like(p)\n            if self.momentum != 0:\n                if self.buffers[i] is None:\n                    if p.grad is None:\n                        continue\n                    self.buffers[i] = g.clone()\n                else:\n                    self.buffers[i].mul_(self.momentum).add_(g)\n                update = self.buffers[i]\n            else:\n                update = g\n            p.add_(update, alpha=-self.lr)\n'

NONE_AS_ZERO_RMSPROP = 'class MyRMSprop:\n    """RMSprop, but a parameter whose gradient is None has its average decayed as if its gradient\n    were zero (torch.optim.RMSprop leaves it as it was)."""\n\n    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):\n        self.params = list(params)\n        self.lr, self.alpha, self.eps = lr, alpha, eps\n        self.square_avg = [torch.zeros_like(p) for p in self.params]\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            g = p.grad if p.grad is not None else torch.zeros_like(p)\n            self.square_avg[i].mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)\n            p.sub_(self.lr * g / (self.square_avg[i].sqrt() + self.eps))\n'

ZERO_FILL_RMSPROP = 'class MyRMSprop:\n    """RMSprop whose zero_grad() fills the gradients with zeros instead of setting them to None."""\n\n    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):\n        self.params = list(params)\n        self.lr, self.alpha, self.eps = lr, alpha, eps\n        self.square_avg = [torch.zeros_like(p) for p in self.params]\n\n    def zero_grad(self):\n        for p in self.params:\n            if p.grad is not None:\n                p.grad.zero_()\n\n    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            if p.grad is None:\n                continue\n            self.square_avg[i].mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)\n            p.sub_(self.lr * p.grad / (self.square_avg[i].sqrt() + self.eps))\n'

ZERO_SKIPPED_SGD = 'class MySGD:\n    """SGD with optional momentum, updating like torch.optim.SGD(params, lr=lr, momentum=momentum)."""\n\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n        self.lr = lr\n        self.momentum = momentum\n        self.buffers = [None] * len(self.params)\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            if p.grad is None or not p.grad.any():  # (a gradient of zeros taken for none)\n                continue\n            update = p.grad\n            if self.momentum != 0:\n                if self.buffers[i] is None:\n                    self.buffers[i] = p.grad.clone()\n                else:\n                    self.buffers[i].mul_(self.momentum).add_(p.grad)\n                update = self.buffers[i]\n            p.add_(update, alpha=-self.lr)\n'

ZERO_SKIPPED_ADAM = 'class MyAdam:\n    """Adam, updating like torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)."""\n\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):\n        self.params = list(params)\n        self.lr, self.betas, self.eps = lr, betas, eps\n        self.m = [torch.zeros_like(p) for p in self.params]\n        self.v = [torch.zeros_like(p) for p in self.params]\n        self.t = [0] * len(self.params)\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        beta1, beta2 = self.betas\n        for i, p in enumerate(self.params):\n            if p.grad is None or not p.grad.any():  # (a gradient of zeros taken for none)\n                continue\n            self.t[i] += 1\n            self.m[i].mul_(beta1).add_(p.grad, alpha=1 - beta1)\n            self.v[i].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)\n            m_hat = self.m[i] / (1 - beta1 ** self.t[i])\n            v_hat = self.v[i] / (1 - beta2 ** self.t[i])\n            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))\n'

ZERO_SKIPPED_RMSPROP = 'class MyRMSprop:\n    """RMSprop, updating like torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps)."""\n\n    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):\n        self.params = list(params)\n        self.lr, self.alpha, self.eps = lr, alpha, eps\n        self.square_avg = [torch.zeros_like(p) for p in self.params]\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            if p.grad is None or not p.grad.any():  # (a gradient of zeros taken for none)\n                continue\n            self.square_avg[i].mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)\n            p.sub_(self.lr * p.grad / (self.square_avg[i].sqrt() + self.eps))\n'

ZERO_SKIPPED_ADAMW = 'class MyAdamW:\n    """AdamW, updating like torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)."""\n\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):\n        self.params = list(params)\n        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay\n        self.m = [torch.zeros_like(p) for p in self.params]\n        self.v = [torch.zeros_like(p) for p in self.params]\n        self.t = [0] * len(self.params)\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        beta1, beta2 = self.betas\n        for i, p in enumerate(self.params):\n            if p.grad is None or not p.grad.any():  # (a gradient of zeros taken for none)\n                continue\n            p.mul_(1 - self.lr * self.weight_decay)\n            self.t[i] += 1\n            self.m[i].mul_(beta1).add_(p.grad, alpha=1 - beta1)\n            self.v[i].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)\n            m_hat = self.m[i] / (1 - beta1 ** self.t[i])\n            v_hat = self.v[i] / (1 - beta2 ** self.t[i])\n            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))\n'

BY_SHAPE_SGD = 'class MySGD:\n    """SGD with momentum whose buffers are kept per shape: parameters of one shape share a buffer."""\n\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n        self.lr = lr\n        self.momentum = momentum\n        self.buffers = {}\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        for p in self.params:\n            if p.grad is None:\n                continue\n            update = p.grad\n            if self.momentum != 0:\n                key = tuple(p.shape)\n                if key not in self.buffers:\n                    self.buffers[key] = p.grad.clone()\n                else:\n                    self.buffers[key].mul_(self.momentum).add_(p.grad)\n                update = self.buffers[key]\n            p.add_(update, alpha=-self.lr)\n'

BY_SHAPE_ADAM = 'class MyAdam:\n    """Adam whose running averages and step counts are kept per shape, not per parameter: two parameters\n    of the same shape share one m, one v and one t (torch.optim.Adam keeps them per parameter)."""\n\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):\n        self.params = list(params)\n        self.lr, self.betas, self.eps = lr, betas, eps\n        self.state = {}\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n    def step(self):\n        beta1, beta2 = self.betas\n        for p in self.params:\n            if p.grad is None:\n                continue\n            key = tuple(p.shape)\n            if key not in self.state:\n                self.state[key] = [0, torch.zeros_like(p), torch.zeros_like(p)]\n            s = self.state[key]\n            s[0] += 1\n            s[1].mul_(beta1).add_(p.grad, alpha=1 - beta1)\n            s[2].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)\n            m_hat = s[1] / (1 - beta1 ** s[0])\n            v_hat = s[2] / (1 - beta2 ** s[0])\n            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))\n'

SIGMOID_OUT = 'class MNISTNet(nn.Module):\n    """The lesson\'s CNN with a sigmoid on the scores: probabilities of each digit, not logits (a\n    common slip: nn.CrossEntropyLoss wants raw scores)."""\n\n    def __init__(self):\n        super().__init__()\n        self.features = nn.Sequential(\n            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),\n            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),\n        )\n        self.classifier = nn.Linear(32 * 4 * 4, 10)\n        self.squash = nn.Sigmoid()\n\n    def forward(self, x):\n        return self.squash(self.classifier(self.features(x).flatten(start_dim=1)))\n'

SOFTMAX_SCALED = 'class MNISTNet(nn.Module):\n    """The lesson\'s CNN with a softmax at the end, times the number of classes."""\n\n    def __init__(self):\n        super().__init__()\n        self.features = nn.Sequential(\n            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),\n            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),\n        )\n        self.classifier = nn.Linear(32 * 4 * 4, 10)\n\n    def forward(self, x):\n        return 10 * self.classifier(self.features(x).flatten(start_dim=1)).softmax(dim=1)\n'


OPTIMIZER_CHECKS = {"test_my_sgd_basic", "test_my_sgd_hidden", "test_my_adam_basic", "test_my_adam_hidden",
                    "test_my_rmsprop_basic", "test_my_rmsprop_hidden", "test_my_optimizers_in_my_train"}
ADAMW_CHECKS = {"test_my_adamw_basic", "test_my_adamw_hidden"}


def _failed(assignment, cells, want):
    found, verdicts = _judge(assignment, cells, want)
    assert not found, found  # (the static rule accepts every one: the checks are what refuse it)
    return {name: str(error) for name, error in verdicts.items() if error is not None}


@pytest.mark.parametrize("assignment, checks", [(O, OPTIMIZER_CHECKS), (R, ADAMW_CHECKS),
                                                (M, {"test_mnist_net_returns_logits"})])
def test_the_reference_passes_the_checks_of_this_round(assignment, checks):
    assert _failed(assignment, _reference(assignment), checks) == {}


def _reference(assignment):
    return editable_cells(assignment)  # (the reference solutions in the learner's cells)


@pytest.mark.parametrize("cells, slip", [
    ({"my_sgd_solution": NONE_AS_ZERO_SGD, "my_rmsprop_solution": NONE_AS_ZERO_RMSPROP},
     "with a parameter without a gradient stepped as if its gradient were 0"),
    ({"my_rmsprop_solution": ZERO_FILL_RMSPROP}, "with a parameter without a gradient stepped as if its gradient were 0"),
    ({"my_sgd_solution": ZERO_SKIPPED_SGD, "my_adam_solution": ZERO_SKIPPED_ADAM,
      "my_rmsprop_solution": ZERO_SKIPPED_RMSPROP}, "with a parameter whose gradient is all 0 not stepped"),
    ({"my_sgd_solution": BY_SHAPE_SGD, "my_adam_solution": BY_SHAPE_ADAM}, "parameter 2 of shape (3,) differs"),
], ids=["none as zero", "zero fill", "zero skipped", "state by shape"])
def test_an_optimizer_with_the_wrong_rule_for_some_parameters_loses_its_checks(cells, slip):
    failed = _failed(O, [(name, cells.get(name, source)) for name, source in _reference(O)], OPTIMIZER_CHECKS)
    classes = {name.split("_")[1] for name in cells}  # (sgd, adam, rmsprop)
    assert {check for check in OPTIMIZER_CHECKS if check.split("_")[2] in classes} == set(failed), failed
    assert any(slip in message for message in failed.values()), failed


def test_adamw_that_skips_a_zero_gradient_loses_its_checks():
    failed = _failed(R, [(name, ZERO_SKIPPED_ADAMW if name == "my_adamw_solution" else source)
                         for name, source in _reference(R)], ADAMW_CHECKS)
    assert set(failed) == ADAMW_CHECKS and all("whose gradient is all 0 not stepped" in m for m in failed.values())


@pytest.mark.parametrize("net", [SIGMOID_OUT, SOFTMAX_SCALED], ids=["sigmoid", "10 x softmax"])
def test_a_network_that_returns_probabilities_loses_the_logits_check(net):
    failed = _failed(M, replaced(M, "mnist_net_solution", net), {"test_mnist_net_returns_logits"})
    assert "not raw scores" in failed.get("test_mnist_net_returns_logits", ""), failed


def test_logits_shifted_by_their_largest_are_logits():
    """(honest, round forty-five) z - max z: every score ≤ 0, and cross-entropy is the same; 14b2e00 refused it."""
    net = SIGMOID_OUT.replace("return self.squash(self.classifier(self.features(x).flatten(start_dim=1)))",
                              "z = self.classifier(self.features(x).flatten(start_dim=1))\n"
                              "        return z - z.max(dim=1, keepdim=True).values")
    assert net != SIGMOID_OUT
    assert _failed(M, replaced(M, "mnist_net_solution", net), {"test_mnist_net_returns_logits"}) == {}


# 5. `labels.to(device)` with what it returns dropped: the labels stay where they were (on a GPU the loss, or the
#    comparison, of the moved outputs with them fails), and the checks, which counted the calls to .to and looked at
#    the model's input alone, gave the device points (test_train_one_epoch_mode_and_device, test_evaluate_hidden:
#    1 each). Now every operation that mixes a tensor moved to the device with one of the batch left behind is
#    counted (`mixed`), while one brought back with .cpu() is the host's again.
MOVED = "inputs, labels = inputs.to(device), labels.to(device)"
LEFT = "inputs = inputs.to(device)\n{0}labels.to(device)"
LABELS_LEFT_TRAIN = mutate(TRAIN_ONE_EPOCH, MOVED, LEFT.format(" " * 8))
LABELS_LEFT_EVALUATE = mutate(EVALUATE, MOVED, LEFT.format(" " * 12))
BACK_ON_THE_HOST = '''def evaluate(model, loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for inputs, labels in loader:
            correct += (model(inputs.to(device)).argmax(dim=1).cpu() == labels).sum().item()
            labels.to(device)
    return correct / len(loader.dataset)
'''


@pytest.mark.parametrize("grade_id, cell, check", [
    ("train_one_epoch_solution", LABELS_LEFT_TRAIN, "test_train_one_epoch_mode_and_device"),
    ("evaluate_solution", LABELS_LEFT_EVALUATE, "test_evaluate_hidden")], ids=["train_one_epoch", "evaluate"])
def test_labels_left_where_they_were_lose_the_device_point(grade_id, cell, check):
    failed = _failed(M, replaced(M, grade_id, cell), {check})
    assert "labels.to(device) returns the moved tensor" in failed.get(check, ""), failed


def test_predictions_brought_back_to_the_host_meet_the_labels_there():
    """(honest: correct on a GPU too) the predictions moved back with .cpu() compared with the labels never moved."""
    assert _failed(M, replaced(M, "evaluate_solution", BACK_ON_THE_HOST), {"test_evaluate_hidden"}) == {}
