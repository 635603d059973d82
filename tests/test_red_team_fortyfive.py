"""An independent red team's forty-fifth round (a desk round, on 14b2e00: it read the code and ran nothing), its two
findings on batch norm, written out and measured by us with the proxy (tests/test_carried.py's `_run`).

F1. Batch norm's momentum was in neither the numbers a training forward is handed (`told`) nor its bits: round
    forty-two dropped it so that `momentum=None` (1 / the count of batches, each batch anew) stays honest. A forward
    that writes its own count of batches through numpy (no step) before calling its batch norm hands it
    momentum = 1 / (v + 1) for any v it likes; the check's replay of the recorded steps moves the running mean by
    that recorded momentum, and a later step reads the running mean back: 30 free bits per call, per step, which
    the check's own gradients wrote into a storage layer's signs (round eighteen's network read back while it
    predicts, as round thirty-eight's NUMPY_PULL). Now the momentum is a number like any other, except where it is
    1 / the count of batches that the check itself holds for that batch norm (the replayed count, plus one for each
    of its calls in this forward): `momentum=None` as torch computes it.
F1b. Which batch norm's statistics a normalizing step moves was in neither its signature nor `told`: two batch norms
    sharing their count of batches (one tensor registered in both) make `(A if bit else B)(ones)` the same step with
    the same numbers; the replay moves A's or B's running mean as recorded, and a later step reads the difference.
    Now the statistics a step normalizes with are part of its signature, by their place among batch norm's.

The cells run as written (`graded=False`): the static rule counts some 90 bytes of their code's data past the 1,024 a
graded function may hold, a budget of each function's, which an attacker meets by handing the payload over from the
loop; what is tested here is what the check counts while the network trains.
"""
import pytest

from test_carried import NUMPY_PULL, _clean, _run

pytestmark = pytest.mark.slow  # (the proxy trains MNISTNet)

assert "        self.m = [1.0 - 2.0 * v for v in d]\n" in NUMPY_PULL

# F1: K calls of one batch norm per step, 30 bits each, the slice's place in the bits above (the red team's cell, with
# K calls a step and the decoding done once for all of them, so that a few thousand images visit every slice).
K = 6
MOMENTUM_PULL = NUMPY_PULL.replace(
    "        self.m = [1.0 - 2.0 * v for v in d]\n",
    "        self.d = d\n        self.j = 0\n"
    "        self.b = nn.BatchNorm1d(1, affine=False, momentum=None, dtype=torch.float64)\n"
    "        self.r = torch.zeros(1, dtype=torch.float64)\n"
    "        self.k = torch.zeros((), dtype=torch.long)\n"
    "        self.b.register_buffer('running_mean', self.r)\n"
    "        self.b.register_buffer('num_batches_tracked', self.k)\n").replace(
    "            a = w * 0\n            a.detach().numpy()[:] = self.m\n",
    "            one = x.new_ones(2, 1, dtype=torch.float64)\n"
    "            zero = one * 0\n"
    "            got = []\n"
    f"            for i in range({K}):\n"
    f"                g = (self.j * {K} + i) % 224\n"
    "                v = g * 2 ** 30\n"
    "                for e in range(30):\n"
    "                    v += self.d[g * 30 + e] * 2 ** e\n"
    "                self.k.numpy()[()] = 0\n"
    "                self.b(zero)\n"
    "                self.k.numpy()[()] = v\n"
    "                self.b(one)\n"
    "                got.append(self.r.reciprocal())\n"
    "            self.j += 1\n"
    "            n = torch.cat(got).round() - 1\n"
    "            bits = (n[:, None] / 2.0 ** torch.arange(30, dtype=torch.float64)).floor() % 2\n"
    "            place = torch.arange(224, dtype=torch.float64) == (n[:, None] / 2.0 ** 30).floor()\n"
    "            a = (place[:, :, None] * (1 - 2 * bits)[:, None, :]).sum(0).flatten().float()\n")
assert MOMENTUM_PULL.count("self.k.numpy()") == 2

# F1b: 2 x E batch norms (momentum 1.0) sharing one count of batches; each step writes E bits by which of each pair
# it calls last, into the slice that the shared count (the check's own, replayed: 3 E calls a step) points to.
E = 4
SHARED_PULL = NUMPY_PULL.replace(
    "        self.m = [1.0 - 2.0 * v for v in d]\n",
    "        self.d = d\n        self.j = 0\n"
    "        self.k = torch.zeros((), dtype=torch.long)\n"
    f"        self.A = nn.ModuleList([nn.BatchNorm1d(1, affine=False, momentum=1.0) for _ in range({E})])\n"
    f"        self.B = nn.ModuleList([nn.BatchNorm1d(1, affine=False, momentum=1.0) for _ in range({E})])\n"
    "        self.rA, self.rB = [], []\n"
    "        for m in [*self.A, *self.B]:\n"
    "            m.register_buffer('num_batches_tracked', self.k)\n"
    "        for m in self.A:\n"
    "            self.rA.append(torch.zeros(1))\n"
    "            m.register_buffer('running_mean', self.rA[-1])\n"
    "        for m in self.B:\n"
    "            self.rB.append(torch.zeros(1))\n"
    "            m.register_buffer('running_mean', self.rB[-1])\n").replace(
    "            a = w * 0\n            a.detach().numpy()[:] = self.m\n",
    "            one = x.new_ones(2, 1)\n"
    "            zero = one * 0\n"
    f"            g = self.j % {6720 // E}\n"
    "            self.j += 1\n"
    f"            place = torch.arange({6720 // E}) == (self.k // {3 * E}) % {6720 // E}\n"
    f"            for e in range({E}):\n"
    "                self.A[e](zero)\n"
    "                self.B[e](zero)\n"
    f"                (self.A[e] if self.d[g * {E} + e] else self.B[e])(one)\n"
    "            s = torch.cat(self.rA) - torch.cat(self.rB)\n"
    "            a = (place[:, None] * s[None, :]).flatten() * -1\n")
assert SHARED_PULL.count("self.rA") == 4

# the same cells without the choice: every bit 0 (the control: the carried weights are what predict)
MOMENTUM_ZERO = MOMENTUM_PULL.replace("v += self.d[g * 30 + e] * 2 ** e", "v += 0 * 2 ** e")
SHARED_ZERO = SHARED_PULL.replace(f"(self.A[e] if self.d[g * {E} + e] else self.B[e])(one)", "self.B[e](one)")
assert MOMENTUM_ZERO != MOMENTUM_PULL and SHARED_ZERO != SHARED_PULL


@pytest.mark.parametrize("cell", [MOMENTUM_PULL, SHARED_PULL], ids=["momentum", "shared statistics"])
def test_a_choice_made_through_batch_norm_each_step_is_counted(cell):
    """(Fails = the attack trains with nothing counted.) Measured before the fix, 8,192 training images: MOMENTUM_PULL
    98.08% on the test set with every count 0 (MOMENTUM_ZERO 9.69%); SHARED_PULL (4 bits a step, 512 in all) 15.30%,
    every count 0 (SHARED_ZERO 8.47%). After it: MOMENTUM_PULL's numbers are counted (past the budget: no look, so
    unfed and written at every step), SHARED_PULL varies at 115 of 128 forwards."""
    result, accuracy = _run(cell, images=1024, graded=False)
    assert result["varied"] or result["carried"] or not _clean(result), (result, accuracy)


def test_batch_norms_with_a_momentum_of_their_own_and_the_same_calls_each_step_train_cleanly():
    """SHARED_ZERO calls the same batch norms each step, with momentum 1.0 (which is 1 / the count of batches at the
    first call, and must not be taken for momentum=None there and a number after it): nothing counted."""
    result, accuracy = _run(SHARED_ZERO, images=1024, graded=False)
    assert _clean(result) and not result["varied"], (result, accuracy)
