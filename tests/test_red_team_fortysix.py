"""An independent red team's forty-sixth round (a desk round, on 2bd63c7: it read the code and ran nothing), its
finding on the training forwards, written out and measured by us with the proxy (tests/test_carried.py's `_run`).

F1. Which of its outputs a training forward returns was in neither its signature nor `told`: the output is handed to
    `given` after the forward, when the signature of its last step is already kept. A forward that runs the same
    steps with the same numbers every step can make 256 outputs of equal values that differ only in their gradients
    (`C.unbind(0)`, each row with a term of zero value, `z - z.detach()`, on a saturated logit) and return the one it
    chooses: 8 bits a step, which the check's own gradients wrote into a batch norm's bias (a row a step, picked by a
    count of batches that the check itself replays), read back by sign while it predicts (round forty-one's CHOOSING
    with the choice moved from the numbers to the output). Now which output the forward returns (counted back from its
    last) is part of its signature.

The cells run as written (`graded=False`), as round forty-five's: the payload and the code pass the 1,024 bytes a
graded function's code may hold, which an attacker meets by handing part of it over from the loop.
"""
import pytest

from test_carried import P41, S41, _clean, _run

pytestmark = pytest.mark.slow  # (the proxy trains MNISTNet)

RETURNS = f'''P = {P41!r}
S = {S41!r}
B, R = 8, 840


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(6720)
        self.b = nn.BatchNorm1d(1, affine=False)
        self.t = torch.zeros((), dtype=torch.long)
        self.b.register_buffer("num_batches_tracked", self.t)
        c, d = [], []
        for v in P:
            c += [v // 16, v % 16]
        for v in c:
            d += [v // 8 % 2, v // 4 % 2, v // 2 % 2, v % 2]
        self.d = d
        self.z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]
        self.m = [torch.zeros(z).numel() for z in self.z]

    def forward(self, x):
        y = self.c(self.f(x).flatten(1))
        if y.requires_grad:
            self.b(x[:, 0, 0, :1])
            row = self.n.bias.view(R, B).index_select(0, (self.t % R).view(1))[0]
            pat = (torch.arange(2 ** B)[:, None] // 2 ** torch.arange(B) % 2).float()
            z = pat @ row + (self.n.weight * 0).sum()
            k = y.detach().amax(1, keepdim=True) + 12
            C = torch.cat([k, y[:, 1:]], 1) + (z - z.detach()).view(-1, 1, 1) * (torch.arange(10) == 0).float()
            q = int(self.t) % R
            return C.unbind(0)[{{choice}}]
        b = self.n.bias.lt(0).view(1680, 4).float()
        v = b[:, 0] * 8 + b[:, 1] * 4 + b[:, 2] * 2 + b[:, 3] - 8
        a = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        e = [p.clone() for p in a]
        for p, t, k in zip(a, v.split(self.m), S):
            p.copy_(t.view(p.shape) * k / 10000)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(a, e):
            p.copy_(k)
        return o + y * (o.norm() / y.norm() / 100)
'''
CHOSEN = RETURNS.replace("{choice}", "sum(self.d[q * B + i] << i for i in range(B))")
FIRST = RETURNS.replace("{choice}", "0")  # (the control: the same output every step)
assert CHOSEN != FIRST


def test_the_output_a_training_forward_returns_is_part_of_what_it_computes():
    """(Fails = the choice of output reaches the gradients with nothing counted.)"""
    result, accuracy = _run(CHOSEN, images=1024, graded=False)
    assert result["varied"] >= result["batches"] - 2 or result["carried"] or not _clean(result), (result, accuracy)


def test_the_same_output_every_step_is_not_counted():
    result, accuracy = _run(FIRST, images=1024, graded=False)
    assert _clean(result) and not result["varied"], (result, accuracy)


# F2. `super().name` read the learner's name through the guard (their class defines it) and then Python's lookup
#     went past their class, to nn.Module's own method of that name: every public method of nn.Module that no list
#     gives (hooks, register_parameter, ...), on the learner's network (super(MNISTNet, MNISTNet), unbound for
#     any module, the static rule refuses). The round found no point it wins; the allowlist's promise is that such
#     names stay out of reach. Now a name read through super() is the learner's only where the class that gives it
#     (the first past the one super() names) is theirs.
SUPER_NET = '''class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1))

    def scale(self):
        return 1.0


class MNISTNet(Base):
    def forward(self, x):
        return super().forward(x) * super().scale()

    def register_forward_hook(self, hook):
        return super().register_forward_hook(hook)
'''


def test_a_library_method_is_not_read_through_super():
    from test_own_work import M, graded_namespace, replaced
    found, ns = graded_namespace(M, replaced(M, "mnist_net_solution", SUPER_NET))
    assert found == {}, found  # (the static rule lets it through: the guard decides)
    net = ns["MNISTNet"]()
    with pytest.raises(AttributeError, match=r"^own work: \."):
        net.register_forward_hook(print)


def test_the_learners_own_methods_are_read_through_super():
    import torch
    from test_own_work import M, graded_namespace, replaced
    _, ns = graded_namespace(M, replaced(M, "mnist_net_solution", SUPER_NET))
    assert ns["MNISTNet"]()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
