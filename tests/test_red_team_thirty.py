"""An independent red team's thirtieth round against "implement it yourself" (a desk round: it read round
twenty-nine's fix before it landed, and ran nothing but the static rule). Its cells are kept as it wrote them.

Each test asserts that its attack is refused; a failing test is an attack that wins. Each has a control.

1. mnist_classifier test_mnist_accuracy (4 points). The look asked nothing of the network's mode: a loop that runs
   two crafted images through a per-pixel BatchNorm1d(784, momentum=1.0) under torch.no_grad() (no look) writes its
   running statistics, then calls model.eval() and runs the one looked-at forward on the loader's batch: in
   evaluation mode the layer outputs c + 1e-8 x, every image of the batch becomes the image c the loop chose, with
   the batch's labels, and the look's gradients are exactly the loop's. Below, c is a blank image (the red team's
   proof of concept): the network learns nothing, and no count saw it. (Its step towards a win, distilling the
   carried network at points c it searches for, it rated at 15% and is not kept.)
2. The look accepted any batch the loader had served this epoch, again and again: a loop that trains 469 times on
   its first batch, or picks among candidates, was not counted.

Measured before the fix (the proxy, 8,192 images, on the fix as the round read it): the batch replaced through
batch norm: 128 steps, moved, written, unfed and kept 0 (12.6%: it learned from a blank image); one batch again and
again: nothing counted (86.7%). Two holes, no points won.

Closed after the round: a forward gives the look gradients only when every module of the network is in training
mode (read from the module's own `training`, as nn.Module keeps it), and each batch gives one look, once: the batch
a look has used is no longer among those a forward can match. A second forward on the batch (an honest loop's
accuracy) gives none, and costs no second backward.
"""
import pytest

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked, replaced
from test_red_team_thirteen import _tampering
from test_red_team_twentytwo import _both, _proxy

NET = '''class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm1d(28 * 28, momentum=1.0)
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = self.norm(x.flatten(start_dim=1)).reshape(len(x), 1, 28, 28)
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

LOOP = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over `loader`, updating the model; returns the mean training loss over its samples."""
    ps = list(model.parameters())
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        if len(ps) == 8:
            with torch.no_grad():
                c = torch.zeros(784)
                v = 10.0 ** 16
                m = (ps[1].detach() - c) * (v + 1e-5) ** 0.5 / ps[0].detach()
                model(torch.stack([m + (v / 2) ** 0.5, m - (v / 2) ** 0.5]).reshape(2, 1, 28, 28))
            model.eval()
        loss = loss_fn(model(inputs), labels)
        model.train()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    if len(ps) == 8:
        with torch.no_grad():
            d = ((ps[0].detach() ** 2 - 1e-5) / 2).sqrt()
            model(torch.stack([ps[1].detach() + d, ps[1].detach() - d]).reshape(2, 1, 28, 28))
    return total / count
'''

PICK = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over `loader`, updating the model; returns the mean training loss over its samples."""
    model.train()
    total, count = 0.0, 0
    kept = []
    for inputs, labels in loader:
        if not kept:
            kept.append((inputs.to(device), labels.to(device)))
        inputs, labels = kept[0]
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
    return total / count
'''


def _bn_cells():
    return _both(M, {"mnist_net_solution": NET, "train_one_epoch_solution": LOOP})


def test_the_rule_accepts_the_cells():
    for cells_ in (_bn_cells(), replaced(M, "train_one_epoch_solution", PICK)):
        assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
        assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
def test_a_batch_replaced_through_batch_norm_statistics_is_seen():
    """(Fails = the loop chose what the network trains on, unseen.) Every step's forward ran in evaluation mode."""
    result, accuracy = _proxy(_bn_cells(), 8192)
    assert result["steps"] == result["batches"]
    assert result["written"] == result["batches"] and not result["unfed"], (result, accuracy)


@pytest.mark.slow
def test_one_batch_trained_on_again_and_again_is_seen():
    """(Fails = the look takes a batch it has taken before.) 64 batches an epoch: the first step of each is looked at,
    the other 63 find no batch not trained on yet."""
    result, accuracy = _proxy(replaced(M, "train_one_epoch_solution", PICK), 8192)
    assert result["steps"] == result["batches"] == 128
    assert result["unfed"] == result["batches"] - 2, (result, accuracy)


@pytest.mark.slow
def test_the_controls():
    """The per-pixel batch-norm network with the notebook's own loop: nothing counted (the network is not what is
    refused); and the reference cells: nothing counted."""
    honest = PICK.replace(
            "        if not kept:\n            kept.append((inputs.to(device), labels.to(device)))\n"
            "        inputs, labels = kept[0]\n", "        inputs, labels = inputs.to(device), labels.to(device)\n")
    assert honest != PICK
    for cells_ in (replaced(M, "mnist_net_solution", NET), replaced(M, "train_one_epoch_solution", honest)):
        result, accuracy = _proxy(cells_, 8192)
        assert result["steps"] == result["batches"]
        assert not (result["unfed"] or result["written"] or result["moved"] or result["kept"]), (result, accuracy)
