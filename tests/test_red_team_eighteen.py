"""An independent red team's eighteenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused; a failing test is an attack that wins (the static rule
accepts the learner's code, grader/tamper.py names no tampering, embedded_data names no data to the
instructor, the code runs as graded with the guards installed, and it earns check points without doing
what the check asks).

Winning, all confirmed through the judge harness: 4 + 7 + 3 = 14 points over three assignments
(mnist_classifier's test_mnist_accuracy, 4, six ways; optimizers' test_my_adam_basic, test_my_rmsprop_basic and
test_my_sgd_basic, 7; training_recipes' test_my_adamw_basic, 3). Two roads: identifiers that DATA_BUDGET does not
count (1, 2), and the budget itself, which a network trained elsewhere fits (3, 4).

This round's first road: round seventeen's fix counts, in DATA_BUDGET, "data a value can be made of": text and
bytes constants, numbers, the names of defs and classes (`__name__` reads them) and the keywords of calls
(`**kwargs` reads them). It does not count any other identifier: a variable's name (ast.Name), an
attribute's name (ast.Attribute), a parameter's name (ast.arg). Python turns each of those into text
without any dunder, with nothing but what @python lists:

- an attribute's name: `repr(module)` of an nn.Module writes each child's attribute name, `(name): ...`;
- a local variable's name: reading it before it is bound raises UnboundLocalError, and `str(error)` is
  "local variable 'name' referenced before assignment" (`except Exception as error`, `str`);
- a parameter's name: calling a def without it raises TypeError, "f() missing 1 required positional
  argument: 'name'".

An identifier may be any length (the parser takes a name of millions of characters), so each of these
carries any amount of data past a DATA_BUDGET of 1 KB that counts it as 0 bytes, and CODE_BUDGET sees one
node. embedded_data looks at constants and written-out lists only: it names none of them. Written as
`z` + hexadecimal digits, the name is decoded with `int(text[i:i + 2], 16)` (@python).

1. A pretrained MNISTNet carried in an identifier (round seventeen's weights: the reference architecture,
   18,378 parameters trained OUTSIDE the notebook with torch.optim.Adam and light affine augmentation,
   quantized to 8 bits; they are in tests/test_red_team_seventeen.py), and a train_one_epoch that trains
   nothing (returns 0.0). Three ways to read the name, a test each:
   a. an attribute's name: `self.z<36,756 hex digits> = nn.Identity()` in MNISTNet.__init__, read back from
      `repr(self)` (@python);
   b. a local variable's name, read back from the UnboundLocalError's message;
   c. a parameter's name, read back from the TypeError's message.
   WIN (each of a, b, c): test_mnist_accuracy (4 points), "your MNISTNet, trained by your train_one_epoch
   for 2 epochs, reaches 98.5%", with a train_one_epoch that never steps the optimizer. The static rule,
   the budget and tamper are silent, embedded_data names nothing; MNISTNet's visible checks
   (test_mnist_net_output_shape, test_mnist_net_layers, test_mnist_net_returns_logits) pass too, as for an
   honest net (they are not counted as won: the layers are honest). Confirmed through the judge harness
   (_refused: static rule and tamper silent, the real check run with the guards installed; the fake
   kernel's test set is the plain one, bar 98.5%). The control (test_the_control_net_with_zero_weights_...):
   the same code with every weight code 0x7f (all weights zero) fails test_mnist_accuracy, so the check
   did run and the weights are what passed it. On the graded, warped views (GRADED_ACCURACY 95%) these are the
   weights round seventeen measured at 98.8-98.9% with grader.heldout.warp: reasoned, not run through a
   real `./course grade`.

2. Stub optimizers that replay torch's own paths (round seventeen's attack 2, its tables computed here the
   same way: torch.optim.X run on the checks' toy_loss over a grid of starting values, every element a lane,
   cubic interpolation in the starting value) with the table carried in a local variable's name (1b's
   channel), so that the 2.3 to 4.9 MB of float64 paths count as a few bytes. MyAdam, MyRMSprop, MySGD
   (optimizers) and MyAdamW (training_recipes) write no update rule, hold no torch optimizer and run none of
   torch.optim's kernels. MySGD's 102 lanes' keys, written out, are 1,977 bytes of numbers (refused by the
   budget, a first draft); computed with a comprehension (`round(0.85 + k / 1000, 3)`), they are not.
   WINS, each confirmed through the judge harness (_refused: static rule and tamper silent, embedded_data
   silent, the real check run with the guards): test_my_adam_basic (3 points), test_my_rmsprop_basic (2),
   test_my_sgd_basic (2, its momentum drawn for each learner), test_my_adamw_basic (3): 10 points. MySGD and
   MyAdam also passed at judge seeds 1 to 5 (each drawing other starting values, and for SGD another
   momentum); round seventeen measured the tables' misses (under 1% of elements a lane). The hidden checks
   (up to 200 steps, four shapes) were not attempted.

3. A network trained elsewhere that fits the budget as it is counted: 3,276 weights (MNISTNet with 6 and 10
   channels: Conv2d(1, 6, 5), MaxPool2d(2), Conv2d(6, 10, 5), MaxPool2d(2), Linear(160, 10)), trained OUTSIDE
   the notebook (6 epochs of torch.optim.Adam under OneCycleLR, random affine augmentation), quantized to 4
   bits a weight with one scale a tensor: 1,638 bytes. Measured outside the judge: 98.30% on the plain test
   set (under the visible 98.5%), 97.74%, 97.57%, 97.66% on views warped with grader.heldout.warp (seeds 0,
   1, 2), against GRADED_ACCURACY 95%. Two ways to carry it past DATA_BUDGET, a test each:
   a. split: DATA_BUDGET is per graded function, and mnist_predictions runs two of them. MNISTNet's code
      carries the features' 833 bytes (944 bytes of data in all, 265 nodes) and loads them in __init__;
      train_one_epoch's carries the classifier's 805 bytes (855 in all) and loads them into
      `list(model.parameters())[-2:]` (@training, `.data` @tensor), then returns 0.0: it never steps.
   b. free constants: DATA_BUDGET counts True, False, None and Ellipsis (and "" and b"") as 0 bytes, and
      CODE_BUDGET a node each: four of them are two bits a node. MNISTNet alone carries 850 bytes in a bytes
      constant and the other 788 as 3,152 such constants (in tuples of 900, joined by +, so embedded_data
      names none): 982 bytes of data and 3,509 nodes, under both budgets; train_one_epoch returns 0.0.
   WIN (each of a and b): test_mnist_accuracy (4 points) as graded, on warped views. Confirmed through the
   judge harness on a data root made by grader.heldout.views (the learner's warped, shuffled test images
   and views.json, as a graded kernel and the judge see them, so accuracy_needed() is 95%): a passed at
   views seeds 7 and 8 (printed test accuracy 97.63% and 97.91%), and each test here runs it at seed 7. On
   the plain test set (the harness's default, bar 98.5%) the same net fails: so it is a win of the graded
   check only, which is the one that counts.

4. A network trained elsewhere inside ONE function's 1 KB, no trick at all: what docs/trust.md leaves open
   ("whether a network of about a thousand 8-bit weights, trained elsewhere, could pass is not measured").
   MNISTNet with 4 and 6 channels (Conv2d(1, 4, 5), MaxPool2d(2), Conv2d(4, 6, 5), MaxPool2d(2),
   Linear(96, 10)): 1,680 weights, trained OUTSIDE the notebook (6 epochs of Adam under OneCycleLR with
   random affine augmentation, then 2 epochs of 4-bit quantization-aware fine-tuning), 4 bits a weight: 840
   bytes, in one bytes constant. MNISTNet's code carries 968 bytes of data and 282 nodes (under 1,024 and
   4,000); train_one_epoch returns 0.0. Measured outside the judge: 98.08% on the plain test set, 97.39%,
   97.24%, 97.41% on warped views (seeds 0, 1, 2); the same net before the fine-tuning, quantized after
   training, gave 95.7%, 95.5%, 95.7%.
   WIN: test_mnist_accuracy (4 points) as graded, on warped views. Confirmed through the judge harness on
   grader.heldout.views data roots (seeds 7 and 9: printed test accuracy 97.28% and 97.34%, bar 95%); on the
   plain test set (bar 98.5%) it fails. So a budget of 1 KB a function does not make the accuracy check
   evidence of the learner's network or loop: the 95% bar on warped views is within reach of a sub-kilobyte
   network trained elsewhere.

Refused, or no win (tried this round):
- MySGD's table keys written out (102 lanes x 3 numbers): 1,977 bytes, over DATA_BUDGET (then computed).
- The tiny net of 3a/3b on the plain test set: 98.30% < 98.5% (the self-check bar); it wins only on warped
  views, i.e. when graded.
- Docstrings as data: nothing in @python reads a docstring without naming __doc__ (help, inspect, vars are
  not listed; property's doc and an exception's str do not expose it): not found.
- one_cycle_lr and the losses: their visible checks draw their settings or inputs for each learner; a table
  of torch's values in a name does not cover them (not attempted beyond reasoning).
- The alias roads docs/trust.md names (a value handed on through a method; `CLS = Box`): only reasoned, not
  run this round. In training_recipes no check hands learner code a torch optimizer or scheduler, in
  mnist_classifier only train_one_epoch gets one (no narrower part needs it), and in optimizers round
  sixteen's closing (torch's optimizer steps only the model's parameters as made, settings drawn for each
  learner) still stands as far as I could see; the budget holes above make them unnecessary anyway.

What would close it: count every identifier's text as DATA_BUDGET counts a def's name (ast.Name.id,
ast.Attribute.attr, ast.arg.arg, import aliases, global/nonlocal names, match captures), or cap an
identifier's length; give every constant node a cost (or count the bits that a node's choice carries);
budget the learner's notebook as a whole (or the functions one check runs together), not each function
alone; and, since a network of under 1 KB trained elsewhere passes (4), do not rest the accuracy check on
the budget: it can be evidence of the network only with a training loop the check sees do the work (e.g.
compare the network's accuracy before and after the learner's train_one_epoch, from a start the check
draws and sets itself).
"""
import base64
import contextlib
import os
import tempfile
from unittest import mock

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, O, R, checks_of, locked, replaced
from test_red_team_thirteen import _refused
from test_red_team_seventeen import (ADAM_LANES, ADAMW_LANES, EDGE, NO_TRAINING, RMSPROP_LANES, SCALES, SGD_LANES,
                                     SIDE, WEIGHTS, _toy_paths)

NET_CHECKS = ["test_mnist_accuracy", "test_mnist_net_output_shape", "test_mnist_net_layers",
              "test_mnist_net_returns_logits"]

# How MNISTNet's __init__ gets the text of the name `z<hex>` into `digits`, by each channel
READ_BY = {
    # an attribute's name: nn.Module's repr writes "(name): Identity()"
    "attribute": '''        self.{name} = nn.Identity()
        text = repr(self)
        start = text.index("(z") + 2
        digits = text[start:text.index(")", start)]
''',
    # a local variable's name: "local variable 'name' referenced before assignment"
    "local": '''        try:
            {name}
        except Exception as error:
            text = str(error)
        {name} = None
        start = text.index("'z") + 2
        digits = text[start:text.index("'", start)]
''',
    # a parameter's name: "blob() missing 1 required positional argument: 'name'"
    "argument": '''        def blob({name}):
            return {name}
        try:
            blob()
        except Exception as error:
            text = str(error)
        start = text.index("'z") + 2
        digits = text[start:text.index("'", start)]
''',
}

PRETRAINED_NET = '''SCALES = {scales!r}


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 4 * 4, 10)
{read}        codes = torch.tensor([int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)],
                             dtype=torch.float32) - 127
        tensors = [self.features[0].weight, self.features[0].bias, self.features[3].weight,
                   self.features[3].bias, self.classifier.weight, self.classifier.bias]
        start = 0
        for tensor, scale in zip(tensors, SCALES):
            n = tensor.numel()
            tensor.data = (codes[start:start + n] * scale).reshape(tensor.shape)
            start += n

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''


def _net_cells(channel, data=None):
    data = base64.b64decode("".join(WEIGHTS)) if data is None else data
    name = "z" + data.hex()
    source = PRETRAINED_NET.format(scales=SCALES, read=READ_BY[channel].format(name=name))
    return [(n, NO_TRAINING if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", source)]


def _net_passes(channel, data=None):
    cells_ = _net_cells(channel, data)
    named = embedded_data(cells_)
    return [] if named else _refused(M, cells_, ["MNISTNet", "train_one_epoch"], NET_CHECKS)


def test_a_pretrained_mnistnet_in_an_attribute_name_read_by_repr():
    """mnist_classifier: the weights in a child module's attribute name, read back from repr(self), and a
    train_one_epoch that trains nothing: test_mnist_accuracy (4 points)."""
    assert "test_mnist_accuracy" not in _net_passes("attribute"), (
        "a pretrained MNISTNet carried in an attribute's name (read by repr) passed the accuracy check with no "
        "training, and the data budget counted none of it")


def test_a_pretrained_mnistnet_in_a_local_variable_name_read_from_unboundlocalerror():
    """mnist_classifier: the weights in a local variable's name, read back from the UnboundLocalError's
    message: test_mnist_accuracy (4 points)."""
    assert "test_mnist_accuracy" not in _net_passes("local"), (
        "a pretrained MNISTNet carried in a local variable's name passed the accuracy check with no training")


def test_a_pretrained_mnistnet_in_a_parameter_name_read_from_typeerror():
    """mnist_classifier: the weights in a parameter's name, read back from the TypeError's message:
    test_mnist_accuracy (4 points)."""
    assert "test_mnist_accuracy" not in _net_passes("argument"), (
        "a pretrained MNISTNet carried in a parameter's name passed the accuracy check with no training")


def test_the_control_net_with_zero_weights_fails_the_accuracy_check():
    """(The control: the same code and channel with every weight 0 fails the accuracy check, so the check ran
    and the carried weights are what pass it.)"""
    # (After the round, names count in the data budget, which refuses this channel outright: the control is
    # run with the budget lifted, so that it still shows the harness is not vacuous.)
    from coursekit import own_work
    budget = own_work.DATA_BUDGET
    own_work.DATA_BUDGET = 10 ** 9
    try:
        passed = _net_passes("attribute", bytes([0x7f]) * len(base64.b64decode("".join(WEIGHTS))))
    finally:
        own_work.DATA_BUDGET = budget
    # (After round twenty-one, a layer must change the network's output to count, and zero weights change
    # nothing: the layers' check fails the control too, and the shape checks show that the network ran.)
    assert "test_mnist_accuracy" not in passed and "test_mnist_net_output_shape" in passed


# ----------------------------------------------------------------------------------------------
# 2. Stub optimizers replaying torch's paths (round seventeen's tables), the table in a local's name.

REPLAY = '''KEYS = {keys}
ROWS = {rows}
EDGE, SIDE = {edge!r}, {side!r}


def table_digits():
    try:
        {name}
    except Exception as error:
        text = str(error)
    {name} = None
    start = text.index("'z") + 2
    return text[start:text.index("'", start)]


DIGITS = table_digits()
TABLE = torch.tensor([int(DIGITS[i:i + 2], 16) for i in range(0, len(DIGITS), 2)],
                     dtype=torch.uint8).view(torch.float64).reshape(-1, SIDE)


class {cls}:
    """Replays torch's paths on the checks' toy loss, from the table: no update rule."""

    def __init__(self, params, {signature}):
        self.params = list(params)
        self.start = [p.detach().clone() for p in self.params]
        self.key = {key}
        self.count = [0] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is None or (self.key + (i,)) not in KEYS:
                continue
            row = TABLE[ROWS[KEYS.index(self.key + (i,))] + self.count[i]]
            self.count[i] += 1
            u = (self.start[i] + EDGE) / (2 * EDGE) * (SIDE - 1)
            k = u.floor().long().clamp(1, SIDE - 3)
            f = u - k
            y0, y1, y2, y3 = row[k - 1], row[k], row[k + 1], row[k + 2]
            p.data = y1 + 0.5 * f * (y2 - y0 + f * (2 * y0 - 5 * y1 + 4 * y2 - y3 + f * (3 * (y1 - y2) + y3 - y0)))
'''


def _replay(cls, torch_class, signature, key, lanes, side=SIDE, keys_code=None, rows_code=None):
    """The learner's cell: round seventeen's table of torch_class's paths (`lanes`), as the hex digits of a name;
    KEYS and ROWS written out, or as `keys_code` and `rows_code` (102 lanes of keys written out are over 1 KB)."""
    import torch
    grid = torch.linspace(-EDGE, EDGE, side, dtype=torch.float64)
    tables, rows, keys, row = [], [], [], 0
    for lane_key, settings, grad_scale, steps in lanes:
        tables.append(_toy_paths(torch_class, settings, lane_key[-1], grad_scale, steps, grid))
        keys.append(lane_key)
        rows.append(row)
        row += steps
    name = "z" + torch.cat(tables).contiguous().numpy().tobytes().hex()
    return REPLAY.format(keys=keys_code or repr(tuple(keys)), rows=rows_code or repr(tuple(rows)), edge=EDGE,
                         side=side, name=name, cls=cls,
                         signature=signature, key=key)


def _replay_passes(assignment, grade_id, cls, check, *args, **kwargs):
    cells_ = replaced(assignment, grade_id, _replay(cls, *args, **kwargs))
    named = embedded_data(cells_)
    return [] if named else _refused(assignment, cells_, [cls], [check])


def test_a_stub_myadam_replays_torchs_adam_from_a_name():
    """optimizers: MyAdam, no update rule, replays torch.optim.Adam's paths carried in a local's name:
    test_my_adam_basic (3 points)."""
    import torch
    assert "test_my_adam_basic" not in _replay_passes(
        O, "my_adam_solution", "MyAdam", "test_my_adam_basic", torch.optim.Adam,
        "lr=1e-3, betas=(0.9, 0.999), eps=1e-8", "(lr, betas[0], betas[1], eps)", ADAM_LANES), (
        "a stub MyAdam replayed torch.optim.Adam's paths from a table in a name and passed test_my_adam_basic")


def test_a_stub_myrmsprop_replays_torchs_rmsprop_from_a_name():
    """optimizers: the same for MyRMSprop: test_my_rmsprop_basic (2 points)."""
    import torch
    assert "test_my_rmsprop_basic" not in _replay_passes(
        O, "my_rmsprop_solution", "MyRMSprop", "test_my_rmsprop_basic", torch.optim.RMSprop,
        "lr=1e-2, alpha=0.99, eps=1e-8", "(lr, alpha, eps)", RMSPROP_LANES), (
        "a stub MyRMSprop replayed torch.optim.RMSprop's paths from a table in a name and passed test_my_rmsprop_basic")


# SGD_LANES' keys, computed (written out, their 306 numbers alone are over DATA_BUDGET)
SGD_KEYS = "((0.1, 0.0, 0),) + tuple((0.1, round(0.85 + k / 1000, 3), 0) for k in range(101))"


def test_a_stub_mysgd_replays_torchs_sgd_from_a_name():
    """optimizers: the same for MySGD, a lane for each momentum test_my_sgd_basic can draw: 2 points."""
    import torch
    assert "test_my_sgd_basic" not in _replay_passes(
        O, "my_sgd_solution", "MySGD", "test_my_sgd_basic", torch.optim.SGD, "lr, momentum=0.0", "(lr, momentum)",
        SGD_LANES, side=1201, keys_code=SGD_KEYS, rows_code="tuple(range(0, 510, 5))"), (
        "a stub MySGD replayed torch.optim.SGD's paths from a table in a name and passed test_my_sgd_basic")


def test_a_stub_myadamw_replays_torchs_adamw_from_a_name():
    """training_recipes: the same for MyAdamW: test_my_adamw_basic (3 points)."""
    import torch
    assert "test_my_adamw_basic" not in _replay_passes(
        R, "my_adamw_solution", "MyAdamW", "test_my_adamw_basic", torch.optim.AdamW,
        "lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2", "(lr, betas[0], betas[1], eps, weight_decay)",
        ADAMW_LANES), (
        "a stub MyAdamW replayed torch.optim.AdamW's paths from a table in a name and passed test_my_adamw_basic")


# ----------------------------------------------------------------------------------------------
# 3. A network of 3,276 weights trained elsewhere, 4 bits a weight (1,638 bytes): within the budget as it is
#    counted, split between MNISTNet and train_one_epoch (each function has its own 1 KB), or all in MNISTNet
#    with half of it in True/False/None/... constants, which DATA_BUDGET counts as 0 bytes. Graded on warped
#    views (grader.heldout.views writes them, with views.json, so the checks ask for GRADED_ACCURACY).

# MNISTNet (1, 6, 10 channels: Conv2d(1, 6, 5), MaxPool2d(2), Conv2d(6, 10, 5), MaxPool2d(2), Linear(160, 10)),
# trained OUTSIDE the notebook (6 epochs of torch.optim.Adam, OneCycleLR, random affine augmentation), each
# tensor quantized to 4 bits (codes -7..7 times one scale a tensor), two codes + 8 a byte, in the order of
# TINY_SCALES' tensors. Measured outside the judge: 98.30% on the plain test set, 97.74%, 97.57%, 97.66% on
# views warped with grader.heldout.warp (seeds 0, 1, 2).
TINY_SCALES = [0.11286170993532453, 0.025217301079205105, 0.14765548706054688, 0.018057380403791155,
               0.0874918018068586, 0.01690487563610077]
TINY = (
    "iVaql0iqZGmrh3mslqm7FUZ1REe4ZUq7l4uYl5doiXmnmZpniZmXhXulWah0qoZZqGe7lxl1NXcmlFaKR3qHZVV2abiKy7rKd5dV"
    "I6YTZ5mnZ3iGZ4iId3eHh5mIiZmHeXWJh2mHd4iImIeJiHeZiImIiYVYmHeJh4mYeJmWiYpmVWiWdYq4aKqXiZqZiImZh3mphZmY"
    "eImIiIh3iIh4iJiHmamIdmebaImnipeIiHdneIhnd3iId4iJiIipmZiZiXmJmHaJdnmGeJeJiZiJiImYiJmYVIh3iGaXd2hnZ3mH"
    "iamZiYd4h3iHd4mIiId3epqZq4eIdWh2V4dmmoiJeIiHiIh5iIeYiImHeIaIiGiJd4iFh3dniZmIiamImImZaZqYZ4hmiZeJmHmY"
    "eJmHmYiGiIlnmZiYmZmIe6l4l3eGRGg1d3aIdoh4eIeImIiJmZmZiJeIiWeYl5mJmIiJd2eImqiImJiXd3ZGVmeWiYp3mZmYiKeI"
    "h4iJiYeIaZiHiqmYqaiIiYhniGV4lliJh4mpmZiIh4iIeImXd4iHZ4aId3eJeomXuJiIaIiHiYiHl5ljaqUlmneJiZmoiplneWZn"
    "qId5hniYZ4dViZWZmIqpiah3qCR4QZpkaqh5qoiZiZh4mIh5mYeIeHeJiGiYh5iIqYd6mIiIeImIqpmJqFV5dUepiIiIiYqIh5iJ"
    "qGeImXZ5mYd4mXeZqGiZiaqZmZiJiYiHd4eHd3eIiImJmIiXiImImKl3d5iHeqmWu6mJqpiJiZh4iIh3eYh3qod4hmVndUZ3ZYZ2"
    "aHdniIh5mIiampiJqWd3eZiZmZiYmZl3iId3h3aIeId4mZiJiIiIiIZ4h1d2dnd3h4d4iIeZmqmYmYiGeXZomHeHiHaomHqZiKiJ"
    "hmd4iZmXeZmIeHh3dnmqmIiYh3iKmHeaqYmZmJmYiJqYdniHZmeIiGeHd3d4eIeHeId3mYeHeIh2eJmZiqiIiIiIiaqImad4mWaI"
    "h3iZmHmKdXiFV4dWiWaJmIiImZd5qVWpZFiGZ3h3eIiYeImHqYmYiZqKmIeJmGmZhqmYu5iJqpiKmIiZeIiIqGdnd3iIeKl2iXZ4"
    "iId3so+7unl5q2h6eXl3aJeHmYeZlpmZh4aXl5maWZlpqoeYmHaYdWeciJmJiIhBmGeod6h5h0dliXuJmpnYRaqZeKiHlnmXZ4hX"
    "iFZ4iJl4iIqZqnelFniJeZqHiohniYeIdJmZqYlpmpqamHiWRneHV5dGiEaKiHZXhWeXRXhKmSiZWImah5uYiqiqmJyodnhoh4iI"
    "qrt1RYhXWGeInHmraKl5l3iYqbqXiXmVeJWId6h5mIi3eYh1l2e5ioeHiIeYd5mIqrl4qWeHiIeImVd3SHl4mXZ5aapnl2eGdXeK"
    "iKmYmIiYm5qWmIZoinicd2h2mKiJmVO6moiZZ5hYqniJZ5lmiYq6lmeXiGeImppoiXeYmIiId2eIiXiIiXeHKJlImkeIZngpmYeI"
    "h5lnqYmHd4eImKiIqZiYmJmYmYVFZmVnhld3eFVUmFS4daqHqYeZmZiIVDSIm5doqIapgpiYmYepiHd3iYd4mZiZeIqoiZh5iZl4"
    "qcuYl2d4ZpdodlaZdpmIWJhUU5mGqYp3eZmbiIp3m3iqZTaJhIeZd4poeIiIeJmaummaaYhphompiYaYeHiIh4mYhoeYeIh3eJh4"
    "eHVXZ2Z3hDSYiImqaap4iWeKmYqpeGmKiKuomZmGmZWJqIhodWaFZ3Vmd4mHiHeKh4qIh3mqiqqIiGeIRnh4d4mJmYmqqJVGh4ia"
    "l6mH26i4dqhml1aZaJd5lqm3Z2Z5d4pniIiIJoo3qVd3iZeKqYqnmmSGFayIuYmHaZZ2uYiZiIl4d0NoeJqYiIioh4iYWIgniEVW"
    "d6h4qGdmaJdHmFeKZ4iJqpiIaYdKaGl3yqmYmZiqZna7qZiHh4hmZ2aJhnp4movKdneIeLqYmYh3iIiJiIhHmod4hoqGinZ5l5iH"
    "mHmYiqmqiKqXqompiKd4mImpiLh2ZmiGZ2Z5iJqIh5h3d3eWdomXiJd4iXiImXd4Zoh2l1dYiWeJiIiXiHeYaIiHd5h3mYd5h3l4"
    "qXaomJeImGhUV6uIqnaXmmaclWenl4mYiak0iEaYlmiXd4mZiId5iGqXiZiYd6l0mWSYZZmId5p5uik1aGHC"
)

TINY_NET = '''{data}
FEATURE_SCALES = {scales!r}


class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, {c1}, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d({c1}, {c2}, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear({c2} * 16, 10)
        codes = []
{decode}        tensors = [{tensors}]
        start = 0
        for tensor, scale in zip(tensors, FEATURE_SCALES):
            n = tensor.numel()
            tensor.data = (torch.tensor(codes[start:start + n], dtype=torch.float32) * scale).reshape(tensor.shape)
            start += n

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

FROM_BYTES = '''        for b in P:
            codes.append(b // 16 - 8)
            codes.append(b % 16 - 8)
'''

# four free constants, two bits each: two of them make a byte's half
FROM_BYTES_AND_FLAGS = FROM_BYTES + '''        flags = [False, True, None, ...]
        for i in range(0, len(FLAGS), 2):
            codes.append(flags.index(FLAGS[i]) * 4 + flags.index(FLAGS[i + 1]) - 8)
'''

HEAD_FROM_TRAIN = '''Q = {data!r}
HEAD_SCALES = {scales!r}


def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """Trains nothing: it loads the rest of the network, trained elsewhere."""
    codes = []
    for b in Q:
        codes.append(b // 16 - 8)
        codes.append(b % 16 - 8)
    tensors = list(model.parameters())[-2:]
    start = 0
    for tensor, scale in zip(tensors, HEAD_SCALES):
        n = tensor.numel()
        tensor.data = (torch.tensor(codes[start:start + n], dtype=torch.float32) * scale).reshape(tensor.shape)
        start += n
    return 0.0
'''

FEATURES = "self.features[0].weight, self.features[0].bias, self.features[3].weight, self.features[3].bias"
ALL = FEATURES + ", self.classifier.weight, self.classifier.bias"
FEATURE_BYTES = (156 + 1510) // 2  # conv1's and conv2's weights and biases, two codes a byte


def _flags(data):
    """`data`'s codes as pairs of two-bit flags, in tuples of fewer than EMBEDDED_ITEMS items, joined by +."""
    flags = ["False", "True", "None", "..."]
    items = [flags[b >> k & 3] for b in data for k in (6, 4, 2, 0)]
    return " + ".join("(" + ", ".join(items[i:i + 900]) + ",)" for i in range(0, len(items), 900))


def _tiny_cells(where):
    data = base64.b64decode("".join(TINY))
    if where == "split":  # the features in MNISTNet, the classifier in train_one_epoch
        net = TINY_NET.format(data=f"P = {data[:FEATURE_BYTES]!r}", scales=tuple(TINY_SCALES[:4]), decode=FROM_BYTES,
                              tensors=FEATURES, c1=6, c2=10)
        train = HEAD_FROM_TRAIN.format(data=data[FEATURE_BYTES:], scales=tuple(TINY_SCALES[4:]))
    else:  # all in MNISTNet: 850 bytes in a bytes constant, the rest in flags
        net = TINY_NET.format(data=f"P = {data[:850]!r}\nFLAGS = {_flags(data[850:])}", scales=tuple(TINY_SCALES),
                              decode=FROM_BYTES_AND_FLAGS, tensors=ALL, c1=6, c2=10)
        train = NO_TRAINING
    return [(n, train if n == "train_one_epoch_solution" else s) for n, s in replaced(M, "mnist_net_solution", net)]


@contextlib.contextmanager
def _warped_views(seed=7):
    """The data root as graded: test images warped by grader.heldout for a learner, with views.json (so
    accuracy_needed() is GRADED_ACCURACY), in the fake kernel and the judge alike."""
    from grader.heldout import views
    with tempfile.TemporaryDirectory() as dest:
        _, judge_root = views(["MNIST"], seed, dest, os.path.expanduser("~/.cache/pytorch-loss-course/data"))
        with mock.patch.dict(os.environ, COURSE_DATA_DIR=judge_root):
            yield


def _tiny_passes(where, warped=True):
    cells_ = _tiny_cells(where)
    if embedded_data(cells_):
        return []
    with _warped_views() if warped else contextlib.nullcontext():
        return _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])


def test_a_tiny_pretrained_net_split_between_mnistnet_and_train_one_epoch():
    """mnist_classifier: 1,638 bytes of weights trained elsewhere, 833 in MNISTNet's code and 805 in
    train_one_epoch's (which loads them and trains nothing), each under its own DATA_BUDGET:
    test_mnist_accuracy (4 points) on warped views."""
    assert "test_mnist_accuracy" not in _tiny_passes("split"), (
        "a 4-bit network of 3,276 weights trained elsewhere, split between two graded functions' budgets, passed "
        "the accuracy check on warped views with no training")


def test_a_tiny_pretrained_net_in_mnistnet_with_half_its_data_in_free_constants():
    """mnist_classifier: the same 1,638 bytes all in MNISTNet: 850 in a bytes constant, the rest in 3,152
    True/False/None/... constants (DATA_BUDGET counts them 0, CODE_BUDGET 1 node each): test_mnist_accuracy
    (4 points) on warped views, with a train_one_epoch that returns 0.0."""
    assert "test_mnist_accuracy" not in _tiny_passes("flags"), (
        "a 4-bit network of 3,276 weights trained elsewhere, half of it in True/False/None/Ellipsis constants, "
        "passed the accuracy check on warped views with no training")


# ----------------------------------------------------------------------------------------------
# 4. What docs/trust.md leaves unmeasured: a network trained elsewhere inside one function's 1 KB, no trick.

# MNISTNet with 4 and 6 channels (Conv2d(1, 4, 5), MaxPool2d(2), Conv2d(4, 6, 5), MaxPool2d(2), Linear(96, 10)):
# 1,680 weights, trained OUTSIDE the notebook (6 epochs of Adam under OneCycleLR with random affine augmentation,
# then 2 epochs of 4-bit quantization-aware fine-tuning), 4 bits a weight: 840 bytes. Measured outside the judge:
# 98.08% on the plain test set, 97.39%, 97.24%, 97.41% on views warped by grader.heldout.warp (seeds 0, 1, 2).
SMALL_SCALES = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318,
                0.11152498211179461, 0.022458102021898543)
SMALL = (
    "VlfKZBXMdEnNhmq9s6iFF1ZDRmV1dVepM5ynmadpqom5qquIqqundIukW7hTu5ZJy4fcUYmGVndnl3mamax3mpiGVoeImam6iJh3"
    "dWd2h4d3aJmIeqiamIiYmquIiZiHd4d3aId2iomrqImoZ5mYiIuXeWeKdWa3nISItjdVRYiJiXiadXiXd2iJiId3iYuHl3N5Uiik"
    "OZqHZniFV4dUd3dWd4dpiLyIiaeYp2mIeIh4aHdmV3dmh5dpmoiqu6u6qbqamYmZh5qHepmnOIm5Z2molXmYhnZ5qGiqpIibamam"
    "hmiJl3iJdqiHaZiIiIiUd2dWiXdXqIiJl1eaqrqniphomJiIiMh3iauZZ6mmd2l3FYl0qYh4h2d5eIiZmXi6hoZniYiJiod4l4mX"
    "Z3eIh5qpqZmHa7plq8qZmIiIdWmGaLl6q6Z5eJmKmZiJuXhod2ZneJd4eYd3l5h2VnZUR9gv65h4iXWIdpqIh3mIiYZ4hUaZdZiX"
    "mZqIeGmaeKiJd4ZVyXeoeHiIWapohzeHZpiIuZeHdWeHiJepiap4lYmRiZeryZl5mZibl5h2eYdIiGeJV2eYeKhnqFeodol3d5mH"
    "m6mHqJmHmnicmZmImEaFVGaWeXeZmJioVZqpiYhpd4mYh3eYiLmYmJephpiHeHl4eoiIVomXiahli6p4h3iIiYlFmFVndmiHmJmJ"
    "R4iZmZmYZ4domIeIuZm4hpiYmZiZhnh3ipmKmUV4mIeHd5mZiqm6yYmIV4d2eKh1toeWZ6VomYqomJiWV1M2YpmWp3iHeFiZd4mX"
    "iah3hkGYhIiZmYmZVIh3eIlnmFZml4ipqamXeIdod4eYqZl5nKicuIeZlnmpeZl4iImHl2N0ZnVmhka8qIl4mWmXeFVod5mJmJmo"
    "mHeHeXiaSKomiiZ3aJiZqMmXl5qouXNnqph5mXeIeZeFV4iXmqeqmKiIp3dld1RnqHeYqYeHl0TJp6iGmHhmZ3iImIh3iHmXh3io"
    "eJiHh1dmaWhoh3h2emeIqJiImXm6iat4iXh4aZl4h3eIZ3qImGiHeGaalVaXRYl4iZqYqrp1WIeYV4lnmFiZeZh2eIRZmahomFmY"
    "eFRoemmJqoWIZlsy0bfo"
)


def _small_cells():
    data = base64.b64decode("".join(SMALL))
    net = TINY_NET.format(data=f"P = {data!r}", scales=SMALL_SCALES, decode=FROM_BYTES, tensors=ALL, c1=4, c2=6)
    return [(n, NO_TRAINING if n == "train_one_epoch_solution" else s)
            for n, s in replaced(M, "mnist_net_solution", net)]


def test_a_tiny_pretrained_net_within_one_kb():
    """mnist_classifier: 1,680 weights trained elsewhere, 840 bytes in one bytes constant of MNISTNet's (with
    the rest of its code, about 950 bytes of data: under DATA_BUDGET with no trick), and a train_one_epoch
    that returns 0.0: test_mnist_accuracy (4 points) on warped views, as graded."""
    import ast
    from coursekit.own_work import DATA_BUDGET, carried
    cells_ = _small_cells()
    assert carried(ast.parse(dict(cells_)["mnist_net_solution"]))[0] <= DATA_BUDGET  # (no budget trick needed)
    passed = [] if embedded_data(cells_) else None
    if passed is None:
        with _warped_views():
            passed = _refused(M, cells_, ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"])
    assert "test_mnist_accuracy" not in passed, (
        "a 4-bit network of 1,680 weights (840 bytes) trained elsewhere, inside MNISTNet's 1 KB, passed the accuracy "
        "check on warped views with a train_one_epoch that trains nothing")


# ----------------------------------------------------------------------------------------------
# What closed this round, attacked once more (written by us, after the round). The accuracy check now starts
# the network from torch's own initialization and watches the run: one optimizer step a batch, the weights
# changed by those steps alone, and at 64 steps drawn from the seed the gradients those of the last loss.
# A loop that trains honestly but writes its own gradients (here scaled by 1.5, which Adam nearly ignores, so
# the accuracy alone would still pass), or that writes the weights after its steps, loses the check.

WRITTEN_GRADIENTS = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        for p in model.parameters():
            p.grad = p.grad * 1.5{extra}
        optimizer.step(){after}
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count
'''


@pytest.mark.parametrize("extra, after", [("", ""), ("  # (left as computed below)", "\n        with torch.no_grad():\n"
                                                                            "            for p in model.parameters():\n"
                                                                            "                p.mul_(1.001)")],
                         ids=["written gradients", "weights written after a step"])
def test_a_loop_that_writes_gradients_or_weights_loses_the_accuracy_check(extra, after):
    source = WRITTEN_GRADIENTS.format(extra=extra, after=after)
    if after:  # (the weights written, the gradients left alone)
        source = source.replace("        for p in model.parameters():\n            p.grad = p.grad * 1.5  # (left as computed below)\n", "")
    cells_ = replaced(M, "train_one_epoch_solution", source)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]  # the rule accepts the loop: the run is what tells
    assert _refused(M, cells_, ["train_one_epoch"], ["test_mnist_accuracy"]) == []
