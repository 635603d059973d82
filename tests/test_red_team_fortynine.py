"""An independent red team's forty-ninth round (two desk rounds on 233d296, run where they could: one on the parts other
than MNIST, one on test_mnist_accuracy), as it wrote them.

49a FP-1. A scratch cell's `torch.backends.cudnn.deterministic = True` (a line many notebooks start with) was read as
     tampering ("replaces torch.backends.cudnn.deterministic") and every check of the notebook scored 0, though a
     scratch cell never runs when graded. Now every tampering rule is held to the code that runs when graded (where
     the own-work lists already refuse such a line); what it finds in code that does not run is named to the
     instructor, with no score changed for it.
49a FP-2. The round-48 reading of `import torch.optim` as `import torch` held at the top level only: inside a `try`
     it still cost MySGD, MyAdam and MyRMSprop their points. Now every import is read so, wherever it is.
49b F1. The check watched the weights before each step and the gradients the step took, but not what the step did
     with them: the loop holds the check's Adam, and wrote its learning rate, eps and moments before the last step so
     that the step landed every weight on a network trained elsewhere (97.47% on 1,000 training images, every count
     0; the same network trained honestly: 67.83%). Only the own-work list (no `.param_groups`, no `.state`) refused
     it. Now the check steps an Adam of its own beside the loop's, with the same gradients, and a step that moves the
     weights otherwise is counted (`moved`).
49b H1. A batch's size as an integer tensor (`x.sum(0) / torch.tensor(x.size(0))`) was `varied` at the smaller last
     batch (only float tensors followed the size): now a one-number integer tensor follows it as an integer does.
49b F2. A tensor of the forward's own whose contents could not be read as bytes made the new comparison raise inside
     the forward's hook; now it follows nothing.
"""
import copy

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell

from conftest import ROOT
from grader.learner_code import read_notebook
from test_carried import REFERENCE_LOOP, _clean, _helpers_namespace, _run
from test_own_work import A, O, R, check, editable_cells

CUDNN = "import torch\ntorch.backends.cudnn.deterministic = True\ntorch.backends.cudnn.benchmark = False\n"


@pytest.mark.parametrize("assignment", [A, O, R])
def test_a_scratch_cell_that_sets_torchs_flags_costs_nothing_and_is_named(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    nb.cells.append(new_code_cell(CUDNN))
    found = read_notebook(nb)
    assert found.tampering == () and found.own_work == {}, found
    assert any("replaces torch.backends.cudnn.deterministic, in code that does not run when graded" in p
               for p in found.problems), found.problems
    # where every statement runs (ReadLearnerCode.checked_code_only off), it is tampering as before
    assert any("replaces torch.backends.cudnn" in t for t in read_notebook(copy.deepcopy(nb), False).tampering)


@pytest.mark.parametrize("assignment, scratch", [
    (O, "try:\n    import torch.optim\nexcept ImportError:\n    pass\n"),
    (R, "if True:\n    import torch.optim.lr_scheduler\n"),
    (O, "with torch.no_grad():\n    import torch.optim, math\n"),
])
def test_an_import_of_a_submodule_anywhere_in_a_scratch_cell_costs_nothing(assignment, scratch):
    assert check(assignment, editable_cells(assignment) + [("scratch", scratch)]) == {}


def test_an_import_of_a_submodule_in_a_try_is_still_checked_through_it():
    cheat = "try:\n    import torch.optim\nexcept ImportError:\n    pass\n\nclass MySGD(torch.optim.SGD):\n    pass\n"
    found = check(O, [(name, cheat if name == "my_sgd_solution" else source) for name, source in editable_cells(O)])
    assert "uses torch.optim.SGD" in " ".join(found["MySGD"]), found


def test_one_number_tensors_follow_the_size_and_unreadable_ones_follow_nothing():
    ns = _helpers_namespace(1024)
    same = ns["same_told"]

    def own(value, dtype):
        t = torch.tensor(value, dtype=dtype)
        return [("tensor", ("tensor", str(t.dtype), tuple(t.shape), t.numpy().tobytes()))]
    for dtype in (torch.int64, torch.int32):
        assert same(own(104, dtype), 104, own(128, dtype), 128, (128, 104))
        assert same(own(104 * 784, dtype), 104, own(128 * 784, dtype), 128, (128, 104))
        assert not same(own(105, dtype), 104, own(128, dtype), 128, (128, 104))
        assert not same(own(-104, dtype), 104, own(-128, dtype), 128, (128, 104))
    assert not same(own(104, torch.int16), 104, own(128, torch.int16), 128, (128, 104))  # (no number kind of its own)
    unreadable = [("tensor", ("tensor", "torch.float32", (), 140000000000000))]
    assert not same(unreadable, 104, [("tensor", ("tensor", "torch.float32", (), 140000000000001))], 128, (128, 104))
    short = [("tensor", ("tensor", "torch.float32", (), b"\x00\x00"))]
    assert not same(short, 104, [("tensor", ("tensor", "torch.float32", (), b"\x00\x01"))], 128, (128, 104))


NET = '''
class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 5); self.c2 = nn.Conv2d(8, 16, 5); self.fc = nn.Linear(256, 10); self.p = nn.MaxPool2d(2)
    def forward(self, x):
        x = self.p(torch.relu(self.c1(x)))
        x = self.p(torch.relu(self.c2(x)))
        return self.fc(x.flatten(1))
'''

# the attack, as the red team wrote it: an honest loop that, at the run's last step, writes Adam's settings and state so
# that step() lands the weights on TARGET
ADAM_STATE = '''
CALLS = [0]
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()
    CALLS[0] += 1
    total, n = 0.0, 0
    for i, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if CALLS[0] == 2 and i == len(loader) - 1:   # the last step of the run
            g = optimizer.param_groups[0]
            g["lr"], g["eps"], g["betas"] = 1e6, 1e6, (0.9, 0.999)
            for p, t in zip(g["params"], TARGET):
                st = optimizer.state[p]
                st["step"].fill_(1e7)                      # bias corrections 1
                st["exp_avg_sq"].zero_()
                st["exp_avg"].copy_(((p.detach() - t) - 0.1 * p.grad) / 0.9)
        optimizer.step()
        total += loss.item() * len(y); n += len(y)
    return total / n
'''


@pytest.mark.slow
def test_a_loop_that_writes_the_optimizers_state_moves_the_weights_and_is_counted():
    ns = _helpers_namespace(1000)
    exec(NET, ns)
    torch.manual_seed(0)
    net = ns["MNISTNet"]()
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    images, labels = ns["test_data"].tensors  # ("trained elsewhere": on the public test set itself)
    for _ in range(2):
        order = torch.randperm(len(images))
        for k in range(0, len(images), 128):
            batch = order[k:k + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(images[batch]), labels[batch]).backward()
            opt.step()
    ns = _helpers_namespace(1000)
    exec(NET, ns)
    ns["TARGET"] = [p.detach().clone() for p in net.parameters()]
    exec(ADAM_STATE, ns)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345)
    accuracy = (result["predictions"] == ns["test_data"].tensors[1]).float().mean().item()
    assert accuracy > 0.95 and result["moved"] >= 1 and not _clean(result), (accuracy, result["moved"])
    # the same network with the reference loop trains cleanly: every step is the check's own Adam's, to the bit
    result, accuracy = _run(NET, loop=REFERENCE_LOOP, images=1000, graded=False)
    assert _clean(result) and not result["moved"] and accuracy < 0.9, (accuracy, result["moved"])
