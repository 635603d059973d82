"""An independent red team's forty-eighth round (two desk rounds on 1582fea: one on the parts other than MNIST, one on
test_mnist_accuracy). Neither found points without the work; both found honest code that lost points, which this file
keeps, each as the red team wrote it, beside the same code made a cheat where there is one.

Round 48a (loss_functions, optimizers, training_recipes):
FP1. A scratch cell's `import torch.optim` binds `torch` again, so it was part of the code of every graded function
     that reads `torch`, and was checked as an import of torch.optim: MySGD, MyAdam and MyRMSprop scored 0 (12 points;
     training_recipes' `import torch.optim.lr_scheduler`, 7). Now `import a.b.c` is read, and runs, as `import a`.
FP2. One import statement of several names was one unit: `import math, torch.nn.functional as F` cost one_cycle_lr
     its 4 points. Now each name is an import of its own.
FP3. A scratch cell that binds a name of the locked cells (`def check_loss(...)`, `summary = {...}`) scored the whole
     notebook 0, though a scratch cell never runs when graded. Now only a statement that runs is held to that rule.
FP4. A learner's own `reference_train` (the lesson's loop, to compare with) was taken for an answer the checks read
     (only references.py, which the judge runs, defines it) and cost 3 points. Now names the judge's references bind
     are no learner's answers.
FP5. `p.grad.conj()`, a line of torch's own Adam, was refused: @tensor lists `.conj` now.

Round 48b (test_mnist_accuracy): honest forwards lost the 4 points as `varied` at the smaller last batch: Bessel's
correction as a float factor, `* (n / (n - 1))` (HFP1), its inverse `(n - 1) / n` (HFP2), and the batch's count as a
0-d tensor, `torch.tensor(float(n))` (HFP3). Now `follows` accepts one less a number in inverse proportion, and a
tensor of the forward's own holding one float follows the size as a float does. F1 (latent: the allowlist does not
list it): a non-tensor argument that is no number, word, dtype or device (a `torch.Generator`, whose state its text
does not show and which every run again would share) was counted by its text; now it costs more than the budget.
"""
import ast
import copy

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell

from conftest import ROOT
from grader.course import references
from grader.learner_code import read_notebook
from test_carried import HONEST_STYLES, _clean, _helpers_namespace, _run
from test_own_work import A, O, R, check, editable_cells, replaced, runs

# --------------------------------------------------------------------------------------------- round 48a

TORCH_OPTIM_SCRATCH = ("scratch", "import torch.optim\n\np = torch.zeros(3, requires_grad=True)\n"
                                  "opt = torch.optim.SGD([p], lr=0.1)\n")
SCHEDULER_SCRATCH = ("scratch", "import torch.optim.lr_scheduler\n\n"
                                "opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n"
                                "sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=100)\n")


@pytest.mark.parametrize("assignment, scratch", [(O, TORCH_OPTIM_SCRATCH), (R, SCHEDULER_SCRATCH)])
def test_a_scratch_import_of_a_submodule_costs_no_graded_function(assignment, scratch):
    cells = editable_cells(assignment) + [scratch]
    assert check(assignment, cells) == {}
    ran = runs(assignment, cells)["scratch"]
    assert "optim" not in ran and ast.unparse(ast.parse(ran)) in ("", "import torch"), ran


def test_a_graded_function_that_imports_a_submodule_is_still_checked_through_it():
    """`import torch.optim` runs as `import torch`: what the code then reads through `torch` is checked as before."""
    cheat = "import torch.optim\n\nclass MySGD(torch.optim.SGD):\n    pass\n"
    found = check(O, replaced(O, "my_sgd_solution", cheat))
    assert "uses torch.optim.SGD" in " ".join(found["MySGD"]), found
    cheat = "import torch.optim as optim\n\nMySGD = optim.SGD\n"
    found = check(O, replaced(O, "my_sgd_solution", cheat))
    assert "torch.optim" in " ".join(found["MySGD"]), found


@pytest.mark.parametrize("assignment, cell, first", [
    (R, "one_cycle_lr_solution", "import math, torch.nn.functional as F\n"),
    (O, "my_sgd_solution", "import torch, torch.nn as nn\n"),
])
def test_one_import_of_several_names_is_an_import_of_each(assignment, cell, first):
    source = dict(editable_cells(assignment))[cell]
    assert check(assignment, replaced(assignment, cell, first + source)) == {}
    # and the name a part does not list is still refused where the code reads it
    found = check(R, replaced(R, "one_cycle_lr_solution", "import math, torch.nn.functional as F\n" + source.replace(
        "math.cos(math.pi * pct)", "float(F.softsign(torch.tensor(math.pi * pct)))"))) if assignment == R else None
    assert found is None or "torch.nn.functional.softsign" in " ".join(found["one_cycle_lr"]), found


def _notebook_with(assignment, extra):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    nb.cells.append(new_code_cell(extra))
    return nb


SCRATCH_REBINDINGS = [
    (A, "def check_loss(mine, theirs):\n    print(float(mine), float(theirs))\n\n"
        "check_loss(mse_loss(torch.ones(2), torch.zeros(2)), F.mse_loss(torch.ones(2), torch.zeros(2)))\n"),
    (A, "summary = {'mse': 1.0}\n"),
    (O, "def run_train(opt_class, lr):\n    pass\n"),
    (R, "def make_params():\n    return [torch.randn(3, requires_grad=True)]\n"),
]


@pytest.mark.parametrize("assignment, extra", SCRATCH_REBINDINGS)
def test_a_scratch_cell_that_binds_a_locked_name_is_no_tampering(assignment, extra):
    nb = _notebook_with(assignment, extra)
    assert read_notebook(nb).tampering == ()
    # the same statements run (with every statement run, as ReadLearnerCode.checked_code_only=False does): named
    assert any("check" in t or "rel" in t for t in read_notebook(copy.deepcopy(nb), checked_code_only=False).tampering)


def test_a_graded_function_that_binds_a_locked_name_is_still_named():
    """A statement that runs when graded (the graded function's own cell) and binds a locked cell's name."""
    cheat = ("def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n\n"
             "run_loss = mse_loss\n\n"
             "def l1_loss(pred, target):\n    keep = run_loss\n    return (pred - target).abs().mean()\n")
    nb = nbformat.read(ROOT / "source" / A / f"{A}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "mse_loss_solution")
    cell.source = cheat
    found = read_notebook(nb)
    assert found.tampering or "l1_loss" in found.own_work, found


def _reference_train_copied():
    """The judge's reference loop, as a learner who copies the lesson's loop to compare with their own writes it."""
    tree = ast.parse(references(O))
    return ast.unparse(next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "reference_train"))


def test_a_learners_function_named_like_a_judges_reference_is_no_answer():
    nb = _notebook_with(O, _reference_train_copied())
    assert "reference_train" in read_notebook(nb).own_work  # (without the judge's references: taken for an answer)
    assert read_notebook(nb, judged=[references(O)]).own_work == {}


def test_adam_with_conj_as_torch_writes_it():
    source = dict(editable_cells(O))["my_adam_solution"]
    assert "addcmul_(p.grad, p.grad," in source
    honest = source.replace("addcmul_(p.grad, p.grad,", "addcmul_(p.grad, p.grad.conj(),")
    assert check(O, replaced(O, "my_adam_solution", honest)) == {}


# --------------------------------------------------------------------------------------------- round 48b

def test_floats_and_tensors_that_follow_the_size_as_bessels_correction_does_are_the_same_told():
    ns = _helpers_namespace(1024)
    same = ns["same_told"]
    f = lambda v: __import__("struct").pack("<d", v)  # noqa: E731

    def told(n, m=784, dtype=torch.float32):
        t = torch.tensor(float(n * m), dtype=dtype)
        contents = t.flatten().contiguous().view(torch.uint8).numpy().tobytes()
        return [("numbers", [f(n * m / (n * m - 1)), f((n * m - 1) / (n * m))]),
                ("tensor", ("tensor", str(t.dtype), tuple(t.shape), contents))]

    for dtype in (torch.float32, torch.float64):
        assert same(told(104, dtype=dtype), 104, told(128, dtype=dtype), 128, (128, 104))
        assert same(told(96, dtype=dtype), 96, told(128, dtype=dtype), 128, (128, 96))
        # the same forms at another size, or another number, are not
        assert not same(told(103, dtype=dtype), 104, told(128, dtype=dtype), 128, (128, 104))
        wrong = told(104, dtype=dtype)
        wrong[0] = ("numbers", [f(104 * 784 / (104 * 784 - 2)), wrong[0][1][1]])
        assert not same(wrong, 104, told(128, dtype=dtype), 128, (128, 104))
        wrong = told(104, dtype=dtype)
        wrong[0] = ("numbers", [wrong[0][1][0], f((104 * 784 - 1) / (104 * 784) * (1 + 1e-7))])
        assert not same(wrong, 104, told(128, dtype=dtype), 128, (128, 104))
    # a tensor of two numbers follows nothing (one integer follows the size as an integer does: round forty-nine)
    two = lambda v: ("tensor", ("tensor", "torch.float32", (2,), torch.tensor([v, 1.0]).numpy().tobytes()))  # noqa: E731
    assert not same([two(104.0)], 104, [two(128.0)], 128, (128, 104))


UNBIASED = HONEST_STYLES[-1]  # (the last honest style, 15: normalised by hand with the batch's unbiased variance, / (n - 1.0))
assert "/ (n - 1.0)" in UNBIASED
BESSEL = UNBIASED.replace(  # Bessel's correction as a float factor, the count of values as a tensor (round 48b)
    "        mu = h.mean((0, 2, 3), keepdim=True)\n"
    "        var = ((h - mu) ** 2).sum((0, 2, 3), keepdim=True) / (n - 1.0)\n",
    "        count = torch.tensor(float(n))\n"
    "        mu = h.sum((0, 2, 3), keepdim=True) / count\n"
    "        var = ((h - mu) ** 2).mean((0, 2, 3), keepdim=True) * (n / (n - 1))\n")
GENERATOR = UNBIASED.replace(  # numbers drawn from a generator of the network's own, whose state its text does not show
    "        self.fc = nn.Linear(8 * 14 * 14, 10)\n",
    "        self.fc = nn.Linear(8 * 14 * 14, 10)\n        self.g = torch.Generator().manual_seed(1234)\n").replace(
    "        return self.fc(", "        h = h + 0.0 * torch.randint(0, 2, (1,), generator=self.g)\n        return self.fc(")
assert BESSEL != UNBIASED and GENERATOR.count("generator=self.g") == 1


@pytest.mark.slow
def test_bessels_correction_as_a_float_and_the_count_as_a_tensor_train_cleanly():
    result, accuracy = _run(BESSEL, images=1000)
    assert _clean(result) and not result["varied"] and not result["carried"], result
    assert accuracy > 0.5, accuracy


@pytest.mark.slow
def test_a_generator_handed_to_an_operation_costs_more_than_the_budget():
    ns = _helpers_namespace(1024)
    assert ns["bits_of"](torch.Generator()) > ns["CARRIED_BITS"]
    assert ns["bits_of"]("floor") == 40 and ns["bits_of"](torch.float32) == 4
    result, _ = _run(GENERATOR, images=1000, graded=False)  # (OWN_WORK lists no Generator)
    assert result["carried"] > ns["CARRIED_BITS"], result
