"""student-kit/coursekit/own_work.py: "implement it yourself" by allowlist, read from the learner's source, and
only the code that passed it runs when graded.

Pure and fast: source text only, no kernel. The attacks are written as a learner who reads the
grader's source would write them (and as the red team did); the honest corpus (tests/kit/honest.py)
is many styles of correct code, every one of which must pass.
"""
import ast

import nbformat
import pytest

from conftest import ROOT
from grader.course import assignments
from grader.notebook import is_learner_cell, is_test_cell
from coursekit import own_work
from coursekit.reading import python_text
from coursekit.own_work import GUARD, GUARD_CLASS, Allowed, VOCABULARIES, embedded_data, names_the_checks_read, notebook_plan, own_work_lists
from kit.honest import HONEST, SCRATCH


def notebook(assignment):
    return nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def locked(assignment):
    return [c.source for c in notebook(assignment).cells if c.cell_type == "code" and not is_learner_cell(c)]


def editable_cells(assignment):
    """(grade_id, source) of every code cell a learner can edit, with the reference solutions in them."""
    cells = []
    for i, cell in enumerate(notebook(assignment).cells):
        if cell.cell_type == "code" and is_learner_cell(cell):
            cells.append((cell.metadata.get("nbgrader", {}).get("grade_id", f"{i + 1}"), cell.source))
    return cells


def replaced(assignment, grade_id, source, *more):
    cells = [(name, source if name == grade_id else src) for name, src in editable_cells(assignment)]
    assert any(name == grade_id for name, _ in cells), grade_id
    return cells + list(more)


def checks_of(assignment):
    return [c.source for c in notebook(assignment).cells if c.cell_type == "code" and is_test_cell(c)]


def check(assignment, cells):
    return notebook_plan(cells, locked(assignment), checks_of(assignment))[0]


def runs(assignment, cells):
    """{cell name: the source that runs in the kernel when graded}."""
    return notebook_plan(cells, locked(assignment), checks_of(assignment))[1]


def graded(assignment):
    """The graded names of `assignment`: its OWN_WORK's."""
    return sorted(own_work_lists(locked(assignment)))


@pytest.mark.parametrize("assignment", assignments())
def test_every_graded_function_has_a_list_and_every_list_is_readable(assignment):
    """OWN_WORK names exactly the functions and classes of the solution cells that the checks call."""
    lists = own_work_lists(locked(assignment))
    defined = {n.name for _, source in editable_cells(assignment) for n in ast.parse(source).body
               if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert lists and set(lists) == defined & set(names_the_checks_read(checks_of(assignment), locked(assignment)))
    for entries in lists.values():
        Allowed(entries)  # an unknown vocabulary raises


@pytest.mark.parametrize("assignment", assignments())
def test_reference_solutions_pass_and_run_whole(assignment):
    cells = editable_cells(assignment)
    assert any("BEGIN SOLUTION" in src for _, src in cells)
    assert check(assignment, cells) == {}
    ran = runs(assignment, cells)
    for name, source in cells:
        if "BEGIN SOLUTION" in source:  # every statement of the reference solutions runs, as written
            assert ast.dump(unguarded(ast.parse(ran[name]))) == ast.dump(ast.parse(source)), name


class _Unguard(ast.NodeTransformer):
    """What runs, without the own-work guards: `__own__(x)["n"]` is `x.n` again, no `@__own_class__`."""

    def visit_Subscript(self, node):
        self.generic_visit(node)
        v = node.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == GUARD:
            return ast.Attribute(value=v.args[0], attr=node.slice.value, ctx=node.ctx)
        return node

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        node.decorator_list = [d for d in node.decorator_list if not (isinstance(d, ast.Name) and d.id == GUARD_CLASS)]
        return node


def unguarded(tree):
    return _Unguard().visit(tree)


HONEST_CASES = [(a, cell, i, src) for a, cells in HONEST.items() for cell, variants in cells.items()
                for i, src in enumerate(variants)]


@pytest.mark.parametrize("case", HONEST_CASES, ids=[f"{a}-{c}-{i}" for a, c, i, _ in HONEST_CASES])
def test_honest_variant_passes_and_runs(case):
    assignment, cell, _, source = case
    cells = replaced(assignment, cell, source)
    assert check(assignment, cells) == {}
    assert runs(assignment, cells)[cell].strip()


def test_the_honest_corpus_has_five_styles_of_every_graded_function():
    for assignment, variants in HONEST.items():
        assert len(variants) == len(graded(assignment)) and all(len(v) >= 5 for v in variants.values()), assignment


SCRATCH_CASES = [(a, i, src) for a, cells in SCRATCH.items() for i, src in enumerate(cells)]


@pytest.mark.parametrize("case", SCRATCH_CASES, ids=[f"{a}-{i}" for a, i, _ in SCRATCH_CASES])
def test_scratch_cells_may_use_the_built_ins_and_do_not_run_when_graded(case):
    assignment, _, source = case
    cells = editable_cells(assignment) + [("scratch", source)]
    assert check(assignment, cells) == {}
    assert runs(assignment, cells)["scratch"] == ""


# ----------------------------------------------------------------------------------------------
# Attacks on a graded function: (id, assignment, cell replaced, source, extra cells, name caught, words)

A = "loss_functions"
O = "optimizers"
M = "mnist_classifier"
R = "training_recipes"
ATTACKS = [
    # the built-in, by every road the old denylist named and more
    ("functional", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return F.mse_loss(pred, target)\n",
     (), "mse_loss", "uses torch.nn.functional.mse_loss"),
    ("module_class", A, "l1_loss_solution", "def l1_loss(pred, target):\n    return nn.L1Loss()(pred, target)\n",
     (), "l1_loss", "uses torch.nn.L1Loss"),
    ("deep_path", A, "huber_loss_solution",
     "def huber_loss(pred, target, delta=1.0):\n    return torch.nn.modules.loss.HuberLoss(delta=delta)(pred, target)\n",
     (), "huber_loss", "torch.nn.modules.loss.HuberLoss"),
    ("aten", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return torch.ops.aten.mse_loss(pred, target)\n",
     (), "mse_loss", "uses torch.ops.aten.mse_loss"),
    ("torch_C", A, "l1_loss_solution", "def l1_loss(pred, target):\n    return torch._C._nn.l1_loss(pred, target, 1)\n",
     (), "l1_loss", "uses torch._C._nn.l1_loss"),
    ("import_as", A, "cross_entropy_solution",
     "from torch.nn.functional import cross_entropy as ce\n\ndef cross_entropy(logits, target):\n    return ce(logits, target)\n",
     (), "cross_entropy", "torch.nn.functional.cross_entropy"),
    ("import_itself", A, "mse_loss_solution", "from torch.nn.functional import mse_loss\n", (), "mse_loss",
     "imports torch.nn.functional.mse_loss"),
    ("alias_module", A, "mse_loss_solution",
     "import torch.nn.functional as G\n\ndef mse_loss(pred, target):\n    return G.mse_loss(pred, target)\n",
     (), "mse_loss", "uses torch.nn.functional.mse_loss"),
    ("module_as_value", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    f = [F][0]\n    return f.mse_loss(pred, target)\n", (), "mse_loss",
     "uses torch.nn.functional"),
    ("getattr_literal", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    return getattr(F, 'mse_loss')(pred, target)\n", (), "mse_loss", "uses torch.nn.functional"),
    ("getattr_computed", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    return getattr(pred, 'ms' + 'e')(target)\n", (), "mse_loss", "computed attribute name"),
    ("dict", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return F.__dict__['mse_loss'](pred, target)\n",
     (), "mse_loss", "__dict__"),
    ("vars", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return vars(F)['mse_loss'](pred, target)\n",
     (), "mse_loss", "uses vars"),
    ("eval", A, "cross_entropy_solution",
     "def cross_entropy(logits, target):\n    return eval('F.cross_' + 'entropy(logits, target)')\n", (), "cross_entropy",
     "uses eval"),
    ("exec_compile", A, "multi_margin_loss_solution", '''def multi_margin_loss(scores, target, margin=1.0):
    out = {}
    exec(compile("r = f(s, t, margin=m)", "<x>", "exec"), {"f": out, "s": scores}, out)
    return out["r"]
''', (), "multi_margin_loss", "uses exec"),
    ("dunder_import", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    return __import__('torch').nn.functional.mse_loss(pred, target)\n", (), "mse_loss",
     "__import__"),
    # C twins and other lookups the old list did not name
    ("c_pickle", A, "binary_cross_entropy_solution", '''import _pickle

def binary_cross_entropy(probs, target):
    return _pickle.loads(b"ctorch.nn.functional\\nbinary_cross_entropy\\n.")(probs, target)
''', (), "binary_cross_entropy", "_pickle"),
    ("c_operator", A, "mse_loss_solution", '''import _operator

def mse_loss(pred, target):
    return _operator.attrgetter("nn.functional.mse_loss")(torch)(pred, target)
''', (), "mse_loss", "_operator"),
    ("operator", A, "mse_loss_solution", '''from operator import attrgetter

def mse_loss(pred, target):
    return attrgetter("nn.functional.mse_loss")(torch)(pred, target)
''', (), "mse_loss", "operator.attrgetter"),
    ("imp", A, "l1_loss_solution", '''import _imp

def l1_loss(pred, target):
    return _imp.create_builtin  # anything of _imp
''', (), "l1_loss", "_imp"),
    ("frozen_importlib", A, "l1_loss_solution", '''from _frozen_importlib import _bootstrap

def l1_loss(pred, target):
    return _bootstrap._gcd_import("torch.nn.functional").l1_loss(pred, target)
''', (), "l1_loss", "_frozen_importlib"),
    ("ctypes", A, "l1_loss_solution", '''import _ctypes

def l1_loss(pred, target):
    return _ctypes.PyObj_FromPtr(0)
''', (), "l1_loss", "_ctypes"),
    ("traitlets_import_item", A, "huber_loss_solution", '''from traitlets.utils.importstring import import_item

def huber_loss(pred, target, delta=1.0):
    return import_item("torch.nn.functional.huber_loss")(pred, target, delta=delta)
''', (), "huber_loss", "traitlets.utils.importstring.import_item"),
    ("jinja2", A, "cross_entropy_solution", '''import jinja2

def cross_entropy(logits, target):
    run = jinja2.Environment().compile_expression("f.cross_entropy(x, y)")
    return run(f=F, x=logits, y=target)
''', (), "cross_entropy", "jinja2"),
    ("benchmark_timer", A, "mse_loss_solution", '''import torch.utils.benchmark as benchmark

def mse_loss(pred, target):
    box = {}
    benchmark.Timer("box['r'] = F.mse_loss(a, b)", globals={"box": box, "F": F, "a": pred, "b": target}).timeit(1)
    return box["r"]
''', (), "mse_loss", "torch.utils.benchmark"),
    ("pydoc_locate", A, "mse_loss_solution", '''import pydoc

def mse_loss(pred, target):
    return pydoc.locate("torch.nn.functional.mse_loss")(pred, target)
''', (), "mse_loss", "pydoc"),
    ("pkgutil_resolve", A, "mse_loss_solution", '''def mse_loss(pred, target):
    import pkgutil
    return pkgutil.resolve_name("torch.nn.functional:mse_loss")(pred, target)
''', (), "mse_loss", "imports pkgutil"),
    ("numpy_lookup", A, "mse_loss_solution", '''import numpy as np

def mse_loss(pred, target):
    return np.lib.utils.safe_eval("1")
''', (), "mse_loss", "numpy.lib"),
    ("ipython_history", A, "mse_loss_solution", '''def mse_loss(pred, target):
    return get_ipython().ev("F.mse_loss(pred, target)")
''', (), "mse_loss", "uses get_ipython"),
    ("in_history", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return In[-1]\n", (), "mse_loss", "uses In"),
    ("star_import", A, "mse_loss_solution",
     "from torch.nn.functional import *\n\ndef mse_loss(pred, target):\n    return smooth_l1_loss(pred, target, beta=1e-12)\n",
     (), "mse_loss", "uses smooth_l1_loss"),
    # the student copy's helpers: gadgets and references
    ("helper_run_loss", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    return run_loss(mse_loss, [pred, target], (), {})['value']\n", (), "mse_loss",
     "uses run_loss, a helper of the notebook's locked cells"),
    ("reference_train", O, "train_solution",
     "def train(model, inputs, targets, loss_fn, optimizer, epochs):\n"
     "    return reference_train(model, inputs, targets, loss_fn, optimizer, epochs)\n", (), "train", "reference_train"),
    ("slip_rule", O, "my_adam_solution", '''class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.update = adam_slips(lr, betas, eps)[0][2]
''', (), "MyAdam", "adam_slips"),
    ("name_resolver_helper", O, "my_sgd_solution", '''class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.steps = optimizer_steps
''', (), "MySGD", "optimizer_steps"),
    ("mnist_helper", M, "mnist_net_solution", '''class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = small_model("mlp", 0)

    def forward(self, x):
        return self.net(x)
''', (), "MNISTNet", "small_model"),
    # torch.optim, and a pretrained or foreign model
    ("torch_optim", O, "my_adam_solution", '''class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.inner = torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''', (), "MyAdam", "torch.optim.Adam"),
    ("subclass", O, "my_sgd_solution", "class MySGD(torch.optim.SGD):\n    pass\n", (), "MySGD", "torch.optim.SGD"),
    ("functional_optim", O, "my_rmsprop_solution", '''from torch.optim import _functional

class MyRMSprop:
    def step(self):
        _functional.rmsprop
''', (), "MyRMSprop", "torch.optim._functional"),
    ("torchvision_model", M, "mnist_net_solution", '''import torchvision

class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torchvision.models.resnet18(num_classes=10)
''', (), "MNISTNet", "torchvision.models.resnet18"),
    ("torch_nn_loss_in_loop", M, "train_one_epoch_solution", '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    return torch.optim.SGD
''', (), "train_one_epoch", "torch.optim.SGD"),
    # what reaches the function from elsewhere: helpers, tables, defaults, decorators, changes
    ("helper_in_other_cell", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return _impl(pred, target)\n",
     (("scratch", "def _impl(a, b):\n    return F.mse_loss(a, b)\n"),), "mse_loss", "torch.nn.functional.mse_loss"),
    ("global_set_by_a_call", A, "l1_loss_solution", '''IMPL = None

def set_impl(f):
    global IMPL
    IMPL = f

def l1_loss(pred, target):
    return IMPL(pred, target)
''', (("scratch", "set_impl(nn.L1Loss())\n"),), "l1_loss", "torch.nn.L1Loss"),
    ("changed_by_a_helper", A, "l1_loss_solution", '''class Box:
    pass

BOX = Box()

def l1_loss(pred, target):
    return BOX.run(pred, target)
''', (("scratch", "def fill(box):\n    box.run = F.l1_loss\n\nfill(BOX)\n"),), "l1_loss", "torch.nn.functional.l1_loss"),
    ("attribute_of_the_class", O, "my_sgd_solution", "class MySGD:\n    pass\n",
     (("scratch", "MySGD.step = torch.optim.SGD.step\nMySGD.__init__ = torch.optim.SGD.__init__\n"),), "MySGD",
     "torch.optim.SGD"),
    ("default_argument", A, "mse_loss_solution",
     "def mse_loss(pred, target, impl=F.mse_loss):\n    return impl(pred, target)\n", (), "mse_loss",
     "torch.nn.functional.mse_loss"),
    ("decorator", A, "mse_loss_solution",
     "def use(f):\n    return lambda g: f\n\n@use(F.mse_loss)\ndef mse_loss(pred, target):\n    pass\n", (), "mse_loss",
     "torch.nn.functional.mse_loss"),
    ("rebound_later", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n",
     (("scratch", "mse_loss = F.mse_loss\n"),), "mse_loss", "torch.nn.functional.mse_loss"),
    ("lambda_in_a_table", A, "huber_loss_solution",
     "LOSSES = {'h': lambda p, t, d: F.huber_loss(p, t, delta=d)}\n\ndef huber_loss(pred, target, delta=1.0):\n"
     "    return LOSSES['h'](pred, target, delta)\n", (), "huber_loss", "torch.nn.functional.huber_loss"),
    ("metaclass", O, "my_sgd_solution", "class MySGD(metaclass=type(torch.optim.SGD)):\n    pass\n", (), "MySGD",
     "torch.optim.SGD"),
    # a table that another cell fills through an alias: the alias lets the table go, so it is part of
    # the code of every function that reads the table
    ("table_filled_through_an_alias", A, "mse_loss_solution",
     "IMPLS = []\n\ndef mse_loss(pred, target):\n    return IMPLS[0](pred, target)\n",
     (("scratch", "alias = IMPLS\nalias.append(F.mse_loss)\n"),), "mse_loss", "torch.nn.functional.mse_loss"),
    ("private_attribute", O, "my_sgd_solution", '''class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params = list(params)

    def step(self):
        for p in self.params:
            p._version
''', (), "MySGD", "._version"),
    # training_recipes: its scheduler, AdamW, the weighted losses, and the checks' helpers
    ("torch_scheduler", R, "one_cycle_lr_solution", '''def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    p = torch.zeros(1, requires_grad=True)
    o = torch.optim.SGD([p], lr=max_lr)
    s = torch.optim.lr_scheduler.OneCycleLR(o, max_lr=max_lr, total_steps=total_steps, pct_start=pct_start)
    for _ in range(step):
        s.step()
    return o.param_groups[0]["lr"]
''', (), "one_cycle_lr", "torch.optim"),
    ("torch_schedule_helper", R, "one_cycle_lr_solution",
     "def one_cycle_lr(step, total_steps, max_lr, **kwargs):\n    return torch_one_cycle_lrs(total_steps, max_lr, **kwargs)[step]\n",
     (), "one_cycle_lr", "torch_one_cycle_lrs"),
    ("torch_adamw", R, "my_adamw_solution", '''class MyAdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        self.inner = torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''', (), "MyAdamW", "torch.optim.AdamW"),
    ("builtin_weighted_bce", R, "bce_with_logits_weighted_solution",
     "def bce_with_logits_weighted(logits, target, pos_weight):\n"
     "    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)\n",
     (), "bce_with_logits_weighted", "torch.nn.functional.binary_cross_entropy_with_logits"),
    ("builtin_weighted_ce", R, "cross_entropy_weighted_solution",
     "def cross_entropy_weighted(logits, target, weight):\n    return nn.CrossEntropyLoss(weight=weight)(logits, target)\n",
     (), "cross_entropy_weighted", "torch.nn.CrossEntropyLoss"),
    ("reference_helper_ce", R, "cross_entropy_weighted_solution",
     "def cross_entropy_weighted(logits, target, weight):\n    return torch_ce_weighted(logits, target, weight)\n",
     (), "cross_entropy_weighted", "torch_ce_weighted"),
]


# Statements that only change what a graded function reads, with what its list does not allow: they are left out of
# its code and do not run (round fifty-six), so the function finds the table empty, the attribute unset (id: a piece
# of the attack that must not run). The learner's visible check and the instructor's report name the line.
LEFT_OUT = {"global_set_by_a_call": "L1Loss", "changed_by_a_helper": "F.l1_loss", "attribute_of_the_class": "torch.optim",
            "table_filled_through_an_alias": "F.mse_loss"}


@pytest.mark.parametrize("case", [a for a in ATTACKS if a[0] in LEFT_OUT], ids=lambda a: a[0])
def test_a_change_that_its_list_does_not_allow_does_not_run(case):
    attack, assignment, cell, source, more, name, _ = case
    notes = {}
    found, ran = notebook_plan(replaced(assignment, cell, source, *more), locked(assignment), checks_of(assignment),
                               notes=notes)
    assert LEFT_OUT[attack] not in ran[more[0][0]], ran
    assert notes[name] and all("does not run when" in note for note in notes[name]), notes


@pytest.mark.parametrize("case", [a for a in ATTACKS if a[0] not in LEFT_OUT], ids=[a[0] for a in ATTACKS if a[0] not in LEFT_OUT])
def test_attack_is_caught(case):
    _, assignment, cell, source, more, name, words = case
    found = check(assignment, replaced(assignment, cell, source, *more))
    assert name in found, found
    assert any(words in r for r in found[name]), found[name]
    for reasons in found.values():
        assert 1 <= len(reasons) <= 5 and len(set(reasons)) == len(reasons)
        assert all("line" in r and "`" in r for r in reasons)  # the cell, the line and its code


def test_an_attack_counts_only_for_the_function_it_serves():
    found = check(A, replaced(A, "mse_loss_solution", "def mse_loss(pred, target):\n    return F.mse_loss(pred, target)\n"))
    assert list(found) == ["mse_loss"]
    assert found["mse_loss"] == ["cell 'mse_loss_solution' line 2: `return F.mse_loss(pred, target)` uses "
                                 "torch.nn.functional.mse_loss"]


# ----------------------------------------------------------------------------------------------
# What a scratch cell does to a graded function: it does not run when graded, so it changes nothing.
# (id, assignment, cell replaced or None, its source, scratch cell, a piece of the attack that must not run)

SCRATCH_ATTACKS = [
    ("gc_patch", A, None, None, "import gc\ngc.get_referents(torch)[0]['mean'] = F.mse_loss\n", "gc."),
    ("time_magic_rebinds", A, None, None,
     "%time mse_loss = lambda pred, target: [F][0].torch.ops.aten.mse_loss(pred, target)\n", "aten"),
    ("module_as_value", A, None, None, "B = [F][0].torch.sys.modules['builtins']\n"
     "B.exec('mse_loss.__code__ = (lambda pred, target: torch.ops.aten.mse_loss(pred, target)).__code__')\n", "B.exec"),
    ("config_magic", A, None, None, "%config Completer.greedy = exec('import gc') or False\n", "exec("),
    ("patch_a_tensor_method", A, "mse_loss_solution", "def mse_loss(pred, target):\n    return pred.type_as(target)\n",
     "G = F\nT = torch.Tensor\nT.type_as = lambda self, other: G.torch.ops.aten.mse_loss(self, other)\n", "aten"),
    ("patch_a_method_for_train", O, "train_solution",
     "def train(model, inputs, targets, loss_fn, optimizer, epochs):\n"
     "    return inputs.new_tensor([]).lerp(model, inputs, targets, loss_fn, optimizer, epochs)\n",
     "T = torch.Tensor\nT.lerp = lambda self, *args: reference_train(*args)\n", "reference_train"),
    ("fill_through_a_list", A, "cross_entropy_solution",
     "LOSS_PARTS = {}\n\ndef cross_entropy(logits, target):\n    return LOSS_PARTS['ce'](logits, target)\n",
     "[LOSS_PARTS][0].update(ce=F.cross_entropy)\n", "F.cross_entropy"),
    ("fill_through_a_default", A, "cross_entropy_solution",
     "LOSS_PARTS = {}\n\ndef cross_entropy(logits, target):\n    return LOSS_PARTS['ce'](logits, target)\n",
     "def fill(d=LOSS_PARTS):\n    d['ce'] = F.cross_entropy\n\nfill()\n", "F.cross_entropy"),
    ("fill_in_a_loop", O, None, None,
     "for c in [MyAdam]:\n    c.step = lambda self: self.inner.step()\n    c.inner = torch.optim.Adam\n", "c.inner ="),
    ("walrus", A, "cross_entropy_solution",
     "LOSS_PARTS = {}\n\ndef cross_entropy(logits, target):\n    return LOSS_PARTS['ce'](logits, target)\n",
     "(d := LOSS_PARTS)['ce'] = F.cross_entropy\n", "F.cross_entropy"),
    ("setattr_on_the_class", O, "my_sgd_solution",
     "class MySGD:\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n",
     "setattr(MySGD, 'step', torch.optim.SGD.step)\n", "torch.optim.SGD.step"),
    ("writefile", A, None, None, "%%writefile statistics.py\nimport gc\n", "gc"),
    ("shell", A, None, None, "!pip download gc\n", "pip"),
]


@pytest.mark.parametrize("case", SCRATCH_ATTACKS, ids=[a[0] for a in SCRATCH_ATTACKS])
def test_a_scratch_cell_does_not_run_when_graded(case):
    _, assignment, cell, source, scratch, marker = case
    cells = (replaced(assignment, cell, source) if cell else editable_cells(assignment)) + [("scratch", scratch)]
    ran = runs(assignment, cells)
    assert not any(marker in text for text in ran.values()), ran
    assert ran["scratch"] == ""


DEAD_REBINDING = '''import torch as backend
if not backend:
    backend = None

class LossSettings:
    ops = aten = mse_loss = None

def mse_loss(pred, target):
    LossSettings.ops
    return backend.ops.aten.mse_loss(pred, target)
'''

# Attacks through the code a graded name needs: flagged, and not run. (id, assignment, cell, source,
# the name flagged, words of the reason, a piece of the attack that must not run)
REACHED_ATTACKS = [
    ("dead_rebinding_and_class_attributes", A, "mse_loss_solution", DEAD_REBINDING, "mse_loss",
     "torch.ops.aten.mse_loss", "backend.ops"),
    ("local_import", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    import torch as T\n    return T.ops.aten.mse_loss(pred, target)\n",
     "mse_loss", "torch.ops.aten.mse_loss", "aten"),
    ("answer_that_patches", A, "question_loss_purpose_answer",
     "import gc\nanswer_loss_purpose = (gc.get_referents(torch)[0].update(mean=F.mse_loss), 'b')[1]\n",
     "answer_loss_purpose", "gc", "gc"),
]


@pytest.mark.parametrize("case", REACHED_ATTACKS, ids=[a[0] for a in REACHED_ATTACKS])
def test_reached_attack_is_flagged_and_does_not_run(case):
    _, assignment, cell, source, name, words, marker = case
    found, ran = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
    assert name in found and any(words in r for r in found[name]), found
    assert marker not in ran[cell], ran[cell]


def test_a_table_filled_with_what_the_list_does_not_allow_is_left_empty():
    source = ("LOSS_PARTS = {}\nLOSS_PARTS.update(ce=F.cross_entropy)\n\ndef cross_entropy(logits, target):\n"
              "    return LOSS_PARTS['ce'](logits, target)\n")
    found, ran = notebook_plan(replaced(A, "cross_entropy_solution", source), locked(A), checks_of(A))
    assert "F.cross_entropy" not in ran["cross_entropy_solution"] and "LOSS_PARTS = {}" in ran["cross_entropy_solution"]


# Honest code the red team found flagged by an earlier version: (assignment, cell replaced, source, scratch cell)
HONEST_FOUND = [
    (A, None, None, "def compare(mine, builtin, *x):\n    print(mine(*x), builtin(*x))\n\n"
     "a, b = torch.randn(4), torch.randn(4)\ncompare(mse_loss, F.mse_loss, a, b)\n"),
    (A, None, None, "PAIRS = {'mse': (mse_loss, nn.MSELoss()), 'l1': (l1_loss, nn.L1Loss())}\n"
     "for mine, theirs in PAIRS.values():\n    print(mine(torch.ones(2), torch.zeros(2)), theirs(torch.ones(2), torch.zeros(2)))\n"),
    (O, None, None, "def trajectory(cls):\n    p = torch.ones(2, requires_grad=True)\n    opt = cls([p], lr=0.1)\n"
     "    for _ in range(3):\n        opt.zero_grad()\n        (p ** 2).sum().backward()\n        opt.step()\n    return p\n\n"
     "print(trajectory(MyAdam), trajectory(torch.optim.Adam))\n"),
    (A, "cross_entropy_solution", "def cross_entropy(logits, target):\n    import torch.nn.functional as F\n"
     "    return -(F.log_softmax(logits, 1) * F.one_hot(target, logits.shape[1])).sum(1).mean()\n", None),
    (A, "mse_loss_solution", "from typing import Optional\n\ndef mse_loss(pred, target, weight: Optional[float] = None):\n"
     "    d = pred - target\n    return (d * d).sum() / d.nelement()\n", None),
    (A, "l1_loss_solution", "import math\n\ndef l1_loss(pred, target):\n"
     "    return (pred - target).abs().sum() / math.prod(pred.shape) if pred.count_nonzero() >= 0 else math.pi\n", None),
    (M, "mnist_net_solution", "class MNISTNet(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
     "        self.conv = nn.Conv2d(1, 8, 3)\n        nn.init.kaiming_normal_(self.conv.weight)\n"
     "        self.fc = nn.Linear(8 * 13 * 13, 10)\n\n    def forward(self, x):\n"
     "        return self.fc(torch.flatten(nn.functional.max_pool2d(torch.relu(self.conv(x)), 2), 1))\n", None),
]


@pytest.mark.parametrize("case", HONEST_FOUND, ids=range(len(HONEST_FOUND)))
def test_honest_code_the_red_team_found_flagged_is_accepted(case):
    assignment, cell, source, scratch = case
    cells = (replaced(assignment, cell, source) if cell else editable_cells(assignment)) + (
        [("scratch", scratch)] if scratch else [])
    assert check(assignment, cells) == {}


def test_a_cell_that_does_not_parse_names_the_functions_it_mentions():
    cells = editable_cells(A) + [("broken", "def mse_loss(pred, target:\n    return F.mse_loss(pred)\n")]
    found = check(A, cells)
    assert list(found) == ["mse_loss"] and "does not parse" in found["mse_loss"][0]
    assert check(A, editable_cells(A) + [("broken", "1 +")]) == {}


def test_vocabularies_hold_no_lookup():
    """The vocabularies are the course's allowlist: none of them names a module that evaluates text,
    resolves names, walks objects or loads code, and no entry starts with an underscore."""
    for name, entries in VOCABULARIES.items():
        for entry in entries:
            parts = entry.strip(".").split(".")
            assert not any(p.startswith("_") for p in parts), (name, entry)
            assert parts[0] not in {"importlib", "inspect", "gc", "ctypes", "pickle", "operator", "sys", "builtins",
                                    "types", "functools", "pydoc", "pkgutil", "os"}, (name, entry)
            assert entry not in {"torch.load", "torch.ops", "torch.library", "torch.jit", "torch.utils"}, (name, entry)


def student_copy_helpers(assignment):
    """The functions and classes the student copy's locked cells define, and what they import from
    the student kit (coursekit): all a learner can call."""
    nb = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_learner_cell(cell):
            body = ast.parse(python_text(cell.source)).body
            names |= {n.name for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            names |= {a.asname or a.name for n in body if isinstance(n, ast.ImportFrom) and n.module == "coursekit"
                      for a in n.names}
    return sorted(names)


@pytest.mark.parametrize("assignment", assignments())
def test_a_graded_function_that_calls_any_helper_of_the_student_copy_is_flagged(assignment):
    """No reference behaviour of the student copy earns a point: a graded function, or class, that
    hands its work to any function or class of the student copy's locked cells is flagged, and what
    is flagged does not run when graded."""
    helpers = student_copy_helpers(assignment)
    cells = dict(editable_cells(assignment))
    solution = {name: cell for cell, source in cells.items() for name in graded(assignment)
                if f"def {name}(" in source or f"class {name}" in source}
    assert len(helpers) >= 5 and set(solution) == set(graded(assignment))
    for name, cell in solution.items():
        for helper in helpers:
            source = (f"class {name}:\n    def __init__(self, *args, **kwargs):\n        self.inner = {helper}(*args, **kwargs)\n"
                      if name[0].isupper() else f"def {name}(*args, **kwargs):\n    return {helper}(*args, **kwargs)\n")
            found, ran = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
            assert any(f"uses {helper}, a helper" in r or f"uses coursekit.{helper}" in r
                       for r in found.get(name, [])), (name, helper, found)
            assert helper not in ran[cell], (name, helper)


def test_large_data_in_the_code_is_named_for_the_instructor():
    """Test images carried in the notebook (for a nearest-neighbour lookup) are named; code is not."""
    import base64
    blob = base64.b64encode(bytes(range(256)) * 40).decode()
    cells = editable_cells(M) + [("lookup", f"TEST_SET = '{blob}'\n"), ("labels", f"LABELS = {list(range(10)) * 150}\n")]
    found = embedded_data(cells)
    assert len(found) == 2 and "cell 'lookup' line 1 holds 13,656 characters of text" in found[0], found
    assert "cell 'labels' line 1 holds 1,500 items written out" in found[1]
    for assignment in assignments():
        assert embedded_data(editable_cells(assignment)) == []
    assert all(embedded_data([(a, src) for a, src in [("x", s)]]) == [] for cells in HONEST.values()
               for variants in cells.values() for s in variants)


# Data carried in the code (round seventeen: a trained network, torch's optimizer paths, OneCycleLR's values
# written into a learner's cells in pieces, or in a def's name). Each carries a few kilobytes in the code of
# one graded function, in another way; the budget counts them all.
_PIECES = ["PIECE_%d = b'%s'" % (i, "\\x%02x" % i * 300) for i in range(5)]
DATA_IN_THE_CODE = [  # (id, cell source that MSE's code reaches)
    ("one text constant", "W = '" + "ab" * 600 + "'\n"),
    ("bytes in pieces, joined", "\n".join(_PIECES) + "\nW = " + " + ".join(f"PIECE_{i}" for i in range(5)) + "\n"),
    ("numbers written out", "W = [" + ", ".join(f"{i / 7:.6f}" for i in range(200)) + "]\n"),
    ("small numbers, one a byte", "W = [" + ", ".join(str(i % 200) for i in range(1100)) + "]\n"),
    ("a def's name", "def w" + "abcdefghijklmnop" * 70 + "():\n    pass\n\nW = w" + "abcdefghijklmnop" * 70 + ".__name__\n"),
    ("keywords of a call", "def keys(**kw):\n    return list(kw)\n\nW = keys(" + ", ".join(
        f"k{'x' * 40}{i}=0" for i in range(30)) + ")\n"),
    ("one large int", "W = 0x" + "f" * 3000 + "\n"),
    ("True, False, None and ... (two bits a constant)", "W = [" + ", ".join(
        ["True", "False", "None", "..."][i % 4] for i in range(1100)) + "]\n"),
    ("parameter names (an error's message spells them)", "def w(" + ", ".join(f"a{'x' * 40}{i}=0" for i in range(30))
     + "):\n    return 0\n\nW = w\n"),
    ("names of locals", "def w():\n" + "".join(f"    v{i:03d}_yyyyyyyy = 0\n" for i in range(100)) + "\nW = w\n"),
    ("the code's own shape", "def w(t):\n" + "".join(f"    t = t {'+-'[i % 2]} t\n" for i in range(1200)) + "    return t\n\nW = w\n"),
]


@pytest.mark.parametrize("case", DATA_IN_THE_CODE, ids=[c[0] for c in DATA_IN_THE_CODE])
def test_data_carried_in_a_graded_functions_code_scores_nothing(case):
    _, table = case
    mse = "def mse_loss(predictions, targets):\n    return ((predictions - targets) ** 2).mean() + 0 * len(str(W))\n"
    cells = replaced(A, "mse_loss_solution", mse, ("table", table))
    found = check(A, cells)
    assert list(found) == ["mse_loss"], found
    assert "a graded function computes its answer; it does not carry it" in found["mse_loss"][0], found
    small = replaced(A, "mse_loss_solution", mse, ("table", "W = 'ab'\n"))
    assert check(A, small) == {}  # (the same code with little data is accepted: what is refused is the data)


def test_a_docstring_is_documentation_not_data():
    """A long docstring costs nothing; code that reads a docstring is refused (so no data rides there)."""
    essay = "Mean squared error. " * 200
    doc = f'def mse_loss(predictions, targets):\n    """{essay}"""\n    return ((predictions - targets) ** 2).mean()\n'
    assert check(A, replaced(A, "mse_loss_solution", doc)) == {}
    reading = doc.replace("    return", "    _ = mse_loss.__doc__\n    return")
    assert "__doc__" in " ".join(check(A, replaced(A, "mse_loss_solution", reading)).get("mse_loss", [])), \
        check(A, replaced(A, "mse_loss_solution", reading))


def test_the_honest_corpus_is_far_under_the_data_and_code_budgets():
    """Every honest variant's graded functions carry under a third of DATA_BUDGET and a fifth of CODE_BUDGET:
    an honest learner who writes messages, helpers and checks of their own has room to spare."""
    worst = [0, 0]
    for assignment, variants in HONEST.items():
        lists = own_work_lists(locked(assignment))
        for cell, sources in variants.items():
            for source in sources:
                program = own_work.Program(replaced(assignment, cell, source), locked(assignment))
                for units in own_work.code_of(program, lists).values():
                    data, nodes = own_work.budget_used(units)
                    worst = [max(worst[0], data), max(worst[1], nodes)]
    assert 100 < worst[0] < own_work.DATA_BUDGET / 3 and 200 < worst[1] < own_work.CODE_BUDGET / 5, worst


# The red team's second round: code that shares a line with checked code, line numbers that the text
# and the parser count differently, Python's introspection, getattr as a value, match's class patterns.
# (id, assignment, cell, source, the name, words of the reason or None when it must simply not run, what must not run)
ROUND_TWO = [
    ("semicolon", A, "mse_loss_solution",
     "X = None; globals().update(X=torch.ops.aten.mse_loss)\n\ndef mse_loss(pred, target):\n    return X(pred, target)\n",
     "mse_loss", None, "globals"),
    ("leading_blank_lines", A, "cross_entropy_solution",
     "\n\n\ndef cross_entropy(logits, target):\n    return X(logits, target) if 1 else (A1, A2, A3)\n"
     "globals().update(X=torch.ops.aten.cross_entropy_loss)\nA1 = 0\nA2 = 0\nA3 = 0\nX = None\n",
     "cross_entropy", None, "globals"),
    ("line_separator", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    return X(pred, target)  # squared error\u2028\n"
     "globals().update(X=torch.ops.aten.mse_loss)\nX = None\n", "mse_loss", None, "globals"),
    ("generator_frame", A, "mse_loss_solution", "def mse_loss(pred, target):\n    if 0:\n"
     "        pred.gi_frame = pred.f_globals = pred.ops = pred.aten = pred.mse_loss = None\n"
     "    frame = (i for i in [0]).gi_frame\n    return frame.f_globals['torch'].ops.aten.mse_loss(pred, target)\n",
     "mse_loss", "uses the attribute .gi_frame (Python's introspection)", "f_globals"),
    ("getattr_as_a_value", A, "l1_loss_solution", "def l1_loss(pred, target):\n    look = getattr\n"
     "    scope = look(l1_loss, '__glob' + 'als__')\n    return look(look(scope['torch'], 'ops'), 'aten').l1_loss(pred, target, 1)\n",
     "l1_loss", "uses getattr as a value", "look(l1_loss"),
    ("match_class_pattern", A, "huber_loss_solution", "def huber_loss(pred, target, delta=1.0):\n    match huber_loss:\n"
     "        case object(__globals__={'torch': object(ops=object(aten=object(huber_loss=impl)))}):\n"
     "            return impl(pred, target, 1, delta)\n", "huber_loss", "reads .__globals__ in a class pattern", "__globals__"),
]


@pytest.mark.parametrize("case", ROUND_TWO, ids=[a[0] for a in ROUND_TWO])
def test_round_two_attack_does_not_run(case):
    _, assignment, cell, source, name, words, marker = case
    found, ran = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
    if words:
        assert any(words in r for r in found.get(name, [])), found
    assert marker not in ran[cell], ran[cell]


# An independent red team's third round (all scored full marks before): a class body's names are
# not seen by the functions inside it, a name declared `global` is not local, and a name an
# assignment binds may still stand for Python's built-in or a locked cell's helper.
ROUND_THREE = [
    ("class_body_hides_a_global", A, "mse_loss_solution",
     "class Helper:\n    torch = ops = aten = mse_loss = None\n\n    def run(self, pred, target):\n"
     "        return torch.ops.aten.mse_loss(pred, target)\n\n\ndef mse_loss(pred, target):\n"
     "    return Helper().run(pred, target)\n", "mse_loss", "uses torch.ops.aten.mse_loss"),
    ("class_body_lambda", A, "huber_loss_solution",
     "class H:\n    torch = ops = aten = huber_loss = None\n"
     "    go = staticmethod(lambda pred, target, delta: torch.ops.aten.huber_loss(pred, target, 1, delta))\n\n"
     "def huber_loss(pred, target, delta=1.0):\n    return H.go(pred, target, delta)\n", "huber_loss", "uses torch.ops"),
    ("class_body_comprehension", A, "binary_cross_entropy_solution",
     "class B:\n    torch = ops = aten = binary_cross_entropy = None\n"
     "    fn = [torch.ops.aten.binary_cross_entropy for k in (0,)][0]\n\n"
     "def binary_cross_entropy(probs, target):\n    return B.fn(probs, target)\n", "binary_cross_entropy", "uses torch.ops"),
    ("class_body_optimizer", O, "my_sgd_solution",
     "class MySGD:\n    torch = optim = SGD = None\n    def __init__(self, params, lr, momentum=0.0):\n"
     "        self.box = [torch.optim.SGD(params, lr=lr, momentum=momentum)]\n    def zero_grad(self):\n"
     "        self.box[0].zero_grad()\n    def step(self):\n        self.box[0].step()\n", "MySGD", "uses torch.optim"),
    ("global_eval", A, "l1_loss_solution",
     "def l1_loss(pred, target):\n    global eval\n    if False:\n        eval = None\n"
     "    return eval('torch.ops.aten.l1_loss')(pred, target)\n", "l1_loss", "uses eval"),
    ("global_globals", A, "binary_cross_entropy_with_logits_solution",
     "def binary_cross_entropy_with_logits(logits, target):\n    global globals\n    if False:\n        globals = None\n"
     "    return globals()['torch'].ops.aten.binary_cross_entropy_with_logits(logits, target)\n\n\n"
     "binary_cross_entropy_with_logits.ops = binary_cross_entropy_with_logits.aten = None\n",
     "binary_cross_entropy_with_logits", "uses globals"),
    ("global_locked_table", O, "my_adam_solution",
     "class MyAdam:\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):\n        global TORCH_OPTIMIZERS\n"
     "        if False:\n            TORCH_OPTIMIZERS = None\n"
     "        self.box = [TORCH_OPTIMIZERS['Adam'](params, lr=lr, betas=betas, eps=eps)]\n    def zero_grad(self):\n"
     "        self.box[0].zero_grad()\n    def step(self):\n        self.box[0].step()\n",
     "MyAdam", "uses TORCH_OPTIMIZERS, a helper of the notebook's locked cells"),
    ("builtin_rebound", A, "l1_loss_solution",
     "eval = eval\n\ndef l1_loss(pred, target):\n    return eval('torch.ops.aten.l1_loss')(pred, target)\n",
     "l1_loss", "which is also Python's or IPython's eval"),
    ("locked_table_rebound", O, "my_rmsprop_solution",
     "TORCH_OPTIMIZERS = TORCH_OPTIMIZERS\n\nclass MyRMSprop:\n    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):\n"
     "        self.box = [TORCH_OPTIMIZERS['RMSprop'](params, lr=lr, alpha=alpha, eps=eps)]\n    def zero_grad(self):\n"
     "        self.box[0].zero_grad()\n    def step(self):\n        self.box[0].step()\n",
     "MyRMSprop", "uses TORCH_OPTIMIZERS, a helper of the notebook's locked cells"),
    ("nested_global", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    exec = None\n    def inner():\n        global exec\n"
     "        return exec\n    return inner()\n", "mse_loss", "uses exec"),
]


HONEST_SCOPES = [  # what Python's scopes do allow, kept
    (A, "mse_loss_solution", "class Pair:\n    scale = 2\n    doubled = [k * 2 for k in (scale, 1)]\n\n"
     "def mse_loss(pred, target):\n    total = 0\n    def add(x):\n        nonlocal total\n        total = total + x\n"
     "    add(((pred - target) ** 2).sum())\n    return total / pred.numel() * Pair.doubled[1] / 2\n"),
    (A, "l1_loss_solution", "COUNT = 0\n\ndef l1_loss(pred, target):\n    global COUNT\n    COUNT += 1\n"
     "    return (pred - target).abs().mean()\n"),
]


ANNOTATED = [
    (A, "mse_loss_solution", "from torch import Tensor\n\ndef mse_loss(pred: Tensor, target: Tensor) -> Tensor:\n"
     "    return ((pred - target) ** 2).mean()\n"),
    (A, "l1_loss_solution", "import typing\nNumber = typing.Union[int, float]\n\n"
     "def l1_loss(pred, target, scale: Number = 1) -> 'torch.Tensor':\n    return (pred - target).abs().mean() * scale\n"),
    (O, "my_sgd_solution", "from typing import Iterable\n\nclass MySGD:\n"
     "    def __init__(self, params: Iterable, lr, momentum=0.0):\n        self.params, self.lr, self.momentum = list(params), lr, momentum\n"
     "        self.buffers = {}\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n"
     "    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            if p.grad is None:\n"
     "                continue\n            b = p.grad.clone() if i not in self.buffers or not self.momentum else "
     "self.buffers[i].mul_(self.momentum).add_(p.grad)\n            self.buffers[i] = b\n            p.sub_(self.lr * b)\n"),
]


ANNOTATED += [  # what an annotation names or calls is neither checked nor run: it never was evaluated when graded
    (A, "mse_loss_solution", "import os\n\ndef mse_loss(pred: os.system('id'), target) -> exec('import os'):\n"
     "    total: torch.nn.functional.mse_loss(pred, target) = ((pred - target) ** 2).sum()\n"
     "    return total / pred.numel()\n"),
    (A, "l1_loss_solution", "from __future__ import annotations\nfrom collections.abc import Sequence\n\n"
     "def l1_loss(pred: torch.Tensor, target: Sequence[nn.Parameter] | None) -> float:\n"
     "    gap: torch.Tensor\n    gap = (pred - target).abs()\n    return gap.mean()\n"),
]


@pytest.mark.parametrize("case", ANNOTATED, ids=range(len(ANNOTATED)))
def test_annotations_are_notes_neither_checked_nor_run(case):
    """An annotated function (what linters ask for, or an annotation that names or calls what no part lists) is
    accepted, and runs without its annotations: the statements that only annotations read do not run."""
    assignment, cell, source = case
    found, ran = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
    assert found == {}
    tree = unguarded(ast.parse(ran[cell]))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.arg) and n.annotation is not None
                or getattr(n, "returns", None) is not None], ran[cell]
    assert all(ast.unparse(n.annotation) == "None" for n in ast.walk(tree) if isinstance(n, ast.AnnAssign)), ran[cell]
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], ran[cell]
    assert "Number =" not in ran[cell]
    graded = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert graded == [n.name for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


# The red team's fourth round: one import table where the last import won (an import that never
# runs remapped `torch` for the checker), and a class body's names read before the body binds them.
ROUND_FOUR = [
    ("never_run_import_remaps_torch", A, "mse_loss_solution",
     "def never():\n    import math as torch\n\ndef mse_loss(pred, target):\n"
     "    return torch.nn.functional.mse_loss(pred, target)\n", "mse_loss", "uses torch.nn.functional.mse_loss"),
    ("nested_import_remaps_a_local", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    import torch as T\n    def g():\n        import math as T\n"
     "    return T.nn.functional.mse_loss(pred, target)\n", "mse_loss", "uses torch.nn.functional.mse_loss"),
    ("scratch_import_remaps_torch", O, "my_sgd_solution",
     "def never():\n    import math as torch\n\nclass MySGD:\n    def __init__(self, params, **kw):\n"
     "        self.inner = [torch.optim.SGD(params, foreach=False, **kw)]\n    def zero_grad(self):\n"
     "        self.inner[0].zero_grad()\n    def step(self):\n        self.inner[0].step()\n",
     "MySGD", "uses torch.optim.SGD"),
    ("class_body_binds_after_use", A, "mse_loss_solution",
     "class Builtins:\n    mse = torch.nn.functional.mse_loss\n    torch = nn = functional = mse_loss = None\n\n"
     "def mse_loss(pred, target):\n    return Builtins.mse(pred, target)\n", "mse_loss", "uses torch.nn.functional.mse_loss"),
    ("class_body_except_binding", O, "my_adam_solution",
     "class MyAdam:\n    try:\n        pass\n    except Exception as torch:\n        pass\n    optim = Adam = None\n"
     "    impl = torch.optim.Adam\n    def __init__(self, params, **kw):\n        self.inner = [MyAdam.impl(params, **kw)]\n"
     "    def zero_grad(self):\n        self.inner[0].zero_grad()\n    def step(self):\n        self.inner[0].step()\n",
     "MyAdam", "uses torch.optim.Adam"),
    ("class_body_rebinds_a_locked_helper", O, "my_rmsprop_solution",
     "class MyRMSprop:\n    table = TORCH_OPTIMIZERS\n    TORCH_OPTIMIZERS = None\n"
     "    def __init__(self, params, **kw):\n        self.inner = [MyRMSprop.table['RMSprop'](params, **kw)]\n"
     "    def zero_grad(self):\n        self.inner[0].zero_grad()\n    def step(self):\n        self.inner[0].step()\n",
     "MyRMSprop", "uses TORCH_OPTIMIZERS, a helper of the notebook's locked cells"),
    ("wildcard_name_that_does_not_exist", A, "l1_loss_solution",
     "import math\n\ndef l1_loss(pred, target):\n    return math.nn(pred, target)\n", "l1_loss", "uses math.nn"),
]


HONEST_CLASS_BODIES = [
    (O, "my_sgd_solution", "class MySGD:\n    defaults = {'momentum': 0.0}\n    names = [k for k in defaults]\n\n"
     "    def __init__(self, params, lr, momentum=0.0):\n        self.params, self.lr, self.momentum = list(params), lr, momentum\n"
     "        self.buffers = {}\n\n    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n"
     "    @torch.no_grad()\n    def step(self):\n        for i, p in enumerate(self.params):\n            if p.grad is None:\n"
     "                continue\n            b = p.grad.clone() if i not in self.buffers or not self.momentum else "
     "self.buffers[i].mul_(self.momentum).add_(p.grad)\n            self.buffers[i] = b\n            p.sub_(self.lr * b)\n"),
]


# The red team's fifth round: a name the kernel already holds (IPython's __builtin__), "bound" by a
# statement that binds nothing; class patterns that read what __match_args__ names.
ROUND_FIVE = [
    ("annotation_binds_nothing", A, "mse_loss_solution",
     "__builtin__: object\n\n\ndef mse_loss(pred, target):\n    return __builtin__.eval('F.mse_loss(pred, target)')\n\n\n"
     "mse_loss.eval = None\n", "mse_loss", "uses __builtin__"),
    ("if_false_binds_nothing", O, "my_adam_solution",
     "if False:\n    __builtin__ = None\n\n\nclass MyAdam:\n    def __init__(self, params, **settings):\n"
     "        inner = __builtin__.eval('torch.optim.Adam')(params, foreach=False, **settings)\n"
     "        self.zero_grad = lambda: inner.zero_grad()\n        self.step = lambda: inner.step()\n        self.eval = None\n",
     "MyAdam", "uses __builtin__"),
    ("empty_loop_binds_nothing", A, "l1_loss_solution",
     "for Out in []:\n    pass\n\n\ndef l1_loss(pred, target):\n    return (pred - target).abs().mean() + 0 * len(Out)\n",
     "l1_loss", "uses Out"),
    ("kit_name_from_a_try_block", A, "huber_loss_solution",
     "coursekit: object\n\n\ndef huber_loss(pred, target, delta=1.0):\n"
     "    return coursekit.probes.torch.nn.functional.huber_loss(pred, target, delta=delta)\n",
     "huber_loss", "uses coursekit.probes"),
    ("match_args_reach_globals", O, "my_sgd_solution",
     "class Anything(type):\n    def __instancecheck__(cls, value):\n        return True\n\n\n"
     "class Globals(metaclass=Anything):\n    __match_args__ = ('__globals__',)\n\n\n"
     "def torch_optimizer(name):\n    match torch_optimizer:\n        case Globals(scope):\n"
     "            return scope['TORCH_OPTIMIZERS'][name]\n\n\nclass MySGD:\n    def __init__(self, params, **settings):\n"
     "        inner = torch_optimizer('SGD')(params, foreach=False, **settings)\n"
     "        self.zero_grad = lambda: inner.zero_grad()\n        self.step = lambda: inner.step()\n",
     "MySGD", "uses a class pattern with positional parts"),
    ("instancecheck_hook", O, "my_sgd_solution",
     "class Anything(type):\n    def __instancecheck__(cls, value):\n        return True\n\n\n"
     "class MySGD(metaclass=Anything):\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n"
     "    def zero_grad(self):\n        pass\n    def step(self):\n        pass\n",
     "MySGD", "defines __instancecheck__"),
]


HONEST_BINDINGS = [  # what surely binds a name, kept
    (M, "train_one_epoch_solution",
     "BATCH = 128\nif BATCH > 64:\n    BATCH_DEVICE = 'cuda'\nelse:\n    BATCH_DEVICE = 'cpu'\n\n\n"
     "def train_one_epoch(model, loader, loss_fn, optimizer, device):\n    model.train()\n    total, count = 0.0, 0\n"
     "    for inputs, labels in loader:\n        inputs, labels = inputs.to(device), labels.to(device)\n"
     "        loss = loss_fn(model(inputs), labels)\n        optimizer.zero_grad()\n        loss.backward()\n"
     "        optimizer.step()\n        total += loss.item() * len(inputs)\n        count += len(inputs)\n"
     "    assert BATCH_DEVICE in ('cuda', 'cpu')\n    return total / count\n"),
    (A, "mse_loss_solution", "match 2:\n    case int(k):\n        POWER = k\n    case _:\n        POWER = 2\n\n\n"
     "def mse_loss(pred, target):\n    return ((pred - target) ** POWER).mean()\n"),
]


# The red team's sixth round: an attribute name the learner "stores" in dead code became allowed on
# every object, so a storage's .type() (which imports a dotted name) and an AttributeError's .obj
# reached any module.
ROUND_SIX = [
    ("storage_type_imports_a_module", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    if False:\n        pred.untyped_storage = pred.obj = pred.mse_loss = None\n"
     "    try:\n        pred.untyped_storage().type('torch.nn.functional.nonexistent')\n    except AttributeError as e:\n"
     "        return e.obj.mse_loss(pred, target)\n", "mse_loss", "uses .untyped_storage"),
    ("storage_type_imports_builtins", A, "cross_entropy_solution",
     "def cross_entropy(logits, target):\n    if False:\n        logits.untyped_storage = logits.obj = logits.eval = None\n"
     "    try:\n        logits.untyped_storage().type('builtins.nonexistent')\n    except AttributeError as e:\n"
     "        return e.obj.eval('F.cross_entropy')(logits, target)\n", "cross_entropy", "uses .obj"),
    ("own_class_unlocks_library_names", O, "my_sgd_solution",
     "class Names:\n    def __init__(self):\n        self.storage = self.obj = self.SGD = None\n\n\n"
     "class MySGD:\n    def __init__(self, params, lr, momentum=0.0):\n        params = list(params)\n"
     "        try:\n            params[0].storage().type('torch.optim.nonexistent')\n        except AttributeError as e:\n"
     "            self.inner = e.obj.SGD(params, lr=lr, momentum=momentum)\n    def zero_grad(self):\n"
     "        self.inner.zero_grad()\n    def step(self):\n        self.inner.step()\n", "MySGD", "uses .storage"),
]


# The red team's seventh round: .numpy() leads to an array, its .ctypes helper and ctypes' types,
# whose from_address reads and writes memory: names those objects have are not the learner's either.
ROUND_SEVEN = [
    ("ctypes_from_address", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    if False:\n        pred.ctypes = pred.from_address = None\n"
     "    words = type(torch.zeros(1, 1, 1, 1).numpy().ctypes.shape)\n    box = [None]\n"
     "    function = words.from_address(id(F.relu))\n    scope = function[2]\n    holder = words.from_address(id(box))\n"
     "    items = words.from_address(holder[3])\n    words.from_address(scope)[0] += 1\n    items[0] = scope\n"
     "    return box[0]['mse_loss'](pred, target)\n", "mse_loss", "uses .ctypes"),
]


# The eighth round (ours, before the next red team): an attribute name of the learner's own, read on
# an object that is not theirs. The static rule refuses the names that library classes have, but a
# library object's instance attributes are in no class's dir() (a DataLoader's collate_fn, sampler,
# generator): at run time the guard (grader/kernel_side.py) refuses such a read unless the object is
# an instance of the learner's class, the class itself, or one their code set that name on.
_TRAIN_ONE_EPOCH = ("def train_one_epoch(model, loader, loss_fn, optimizer, device):\n    model.train()\n"
                    "    for inputs, labels in loader:\n        loss = loss_fn(model(inputs.to(device)), labels.to(device))\n"
                    "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n    return {peek}\n")
_PEEK = "class Peek:\n    def __init__(self):\n        self.collate_fn = None\n\n    def get(self):\n        return self.collate_fn\n\n\n"
RUNTIME_ATTACKS = [  # (name, the cell, what train_one_epoch returns)
    ("method_called_unbound_on_a_library_object", _PEEK + _TRAIN_ONE_EPOCH.format(peek="[Peek][0].get(loader)")),
    ("class_through_an_alias", _PEEK + "View = [Peek]\n\n" + _TRAIN_ONE_EPOCH.format(peek="[View][0][0].get(loader)")),
    ("class_through_type", _PEEK + _TRAIN_ONE_EPOCH.format(peek="type(Peek()).get(loader)")),
    ("own_name_read_off_self", _PEEK + _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn")),
    ("constant_getattr", _PEEK + _TRAIN_ONE_EPOCH.format(peek="getattr(loader, 'collate_fn')")),
    ("constant_getattr_with_a_default", _PEEK + _TRAIN_ONE_EPOCH.format(peek="getattr(loader, 'collate_fn', None)")),
    ("lambda_as_class_data", "class Peek:\n    collate_fn = None\n    get = lambda self: self.collate_fn\n\n\n"
     + _TRAIN_ONE_EPOCH.format(peek="[Peek][0].get(loader)")),
    ("self_rebound", "class Peek:\n    def __init__(self):\n        self.collate_fn = None\n\n    def get(self, other):\n"
     "        self = other\n        return self.collate_fn\n\n\n" + _TRAIN_ONE_EPOCH.format(peek="Peek().get(loader)")),
    ("static_method_takes_anything", "class Peek:\n    def __init__(self):\n        self.collate_fn = None\n\n"
     "    @staticmethod\n    def get(self):\n        return self.collate_fn\n\n\n" + _TRAIN_ONE_EPOCH.format(peek="Peek().get(loader)")),
    ("augmented_assignment_reads_first", _PEEK + _TRAIN_ONE_EPOCH.format(peek="[loader.sampler]").replace(
        "    return", "    loader.sampler += 0\n    return").replace("self.collate_fn = None", "self.sampler = self.collate_fn = None")),
    ("delete_then_read_the_class_default", _PEEK + _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn").replace(
        "    return", "    del loader.collate_fn\n    return")),
]


def graded_namespace(assignment, cells):
    """A namespace where the learner's cells ran as graded (only what the plan runs, guarded), after
    the own-work guards were installed as grader/kernel_side.py installs them."""
    from grader import kernel_side
    found, ran = notebook_plan(cells, locked(assignment), checks_of(assignment))
    ns = {}
    kernel_side.install_guards(ns)
    exec("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n", ns)
    for name, _ in cells:
        exec(ran.get(name, ""), ns)
    return found, ns


def _one_epoch(train_one_epoch):
    import torch
    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(8, 4), torch.randint(0, 3, (8,)))
    model = torch.nn.Linear(4, 3)
    return train_one_epoch(model, torch.utils.data.DataLoader(data, batch_size=4), torch.nn.CrossEntropyLoss(),
                           torch.optim.SGD(model.parameters(), lr=0.1), "cpu")


@pytest.mark.parametrize("case", RUNTIME_ATTACKS, ids=[a[0] for a in RUNTIME_ATTACKS])
def test_an_own_name_read_on_a_library_object_is_refused_when_graded(case):
    _, source = case
    source = source.replace("    model.train()", "    mine = Peek()\n    model.train()")  # Peek's names are own
    found, ns = graded_namespace(M, replaced(M, "train_one_epoch_solution", source))
    assert found == {}, found  # the static rule lets it through: the guard is what refuses it
    try:
        got = _one_epoch(ns["train_one_epoch"])
    except AttributeError as e:
        assert str(e).startswith("own work: ."), e
    else:
        assert got is None or got == [None], got  # a default, never the loader's own


STATIC_EIGHT = [  # what the guard needs from the static rule: class patterns held to the learner's classes
    ("class_pattern_reads_an_own_name", M, "train_one_epoch_solution",
     _PEEK + _TRAIN_ONE_EPOCH.format(peek="Peek().get()").replace(
         "    return Peek().get()", "    mine = Peek()\n    match loader:\n        case object(collate_fn=f):\n"
                                   "            return f"),
     "train_one_epoch", "reads .collate_fn in a class pattern"),
]

GUARD_BINDINGS = [  # the guard's names, bound by the learner: flagged, or never run
    _PEEK + "__own__ = lambda x: x\n\n" + _TRAIN_ONE_EPOCH.format(peek="[Peek][0].get(loader)"),
    _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn").replace(
        "    model.train()", "    global __own__\n    __own__ = dict\n    model.train()") + "\n\nclass Peek:\n    collate_fn = 0\n",
    "import math as __own_class__\n\n" + _TRAIN_ONE_EPOCH.format(peek="0"),
    "for __own__ in [dict]:\n    pass\n\n" + _PEEK + _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn"),
]


@pytest.mark.parametrize("source", GUARD_BINDINGS, ids=range(len(GUARD_BINDINGS)))
def test_the_guards_names_are_never_the_learners(source):
    _, ran = notebook_plan(replaced(M, "train_one_epoch_solution", source), locked(M), checks_of(M))
    assert not any(isinstance(n, (ast.Name, ast.alias)) and getattr(n, "id", getattr(n, "asname", None)) in (
        GUARD, GUARD_CLASS) and not isinstance(getattr(n, "ctx", None), ast.Load)
        for n in ast.walk(ast.parse(ran["train_one_epoch_solution"])))


# Every later round of the red team: the attack is named, with its words, for the graded function.
# The red team's eighth round: a def of a built-in's name, deleted again through `global` (or read by
# a class body before it binds it), gave back Python's eval and getattr; assigning __class__ swapped a
# library object into the learner's own class, past the guard; a wildcard entry (torch.special.*)
# walked into the attributes of a class the module re-exports (torch.special.Tensor.storage).
ROUND_NINE = [
    ("own_builtin_deleted_by_a_global", A, "cross_entropy_solution",
     "def eval(text):\n    return None\n\n\ndef restore():\n    global eval\n    del eval\n\n\nrestore()\n\n\n"
     "def cross_entropy(logits, target):\n    return eval('F.cross_entropy')(logits, target)\n",
     "cross_entropy", "uses eval, which is also Python's or IPython's eval"),
    ("own_getattr_deleted_by_a_global", A, "mse_loss_solution",
     "def getattr(obj, name):\n    return None\n\n\ndef restore():\n    global getattr\n    del getattr\n\n\nrestore()\n\n\n"
     "def mse_loss(pred, target):\n    cheat = lambda: 0\n    return getattr(cheat, '__globals__')['F'].mse_loss(pred, target)\n",
     "mse_loss", "uses the attribute .__globals__"),
    ("class_body_reads_the_builtin_before_binding_it", A, "cross_entropy_solution",
     "def eval(text):\n    return None\n\n\nclass Impl:\n    fn = eval('F.cross_entropy')\n    eval = None\n\n\n"
     "def cross_entropy(logits, target):\n    return Impl.fn(logits, target)\n", "cross_entropy",
     "uses eval, which is also Python's or IPython's eval"),
    ("class_swapped_to_an_own_subclass", M, "train_one_epoch_solution",
     _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn").replace(
         "    return", "    class Peek(type(loader)):\n        collate_fn = None\n    loader.__class__ = Peek\n    return"),
     "train_one_epoch", "uses the attribute .__class__"),
    ("wildcard_walks_into_tensor_storage", A, "mse_loss_solution",
     "def mse_loss(pred, target):\n    torch.special.Tensor.storage(pred).type('colorsys.x')\n"
     "    return ((pred - target) ** 2).mean()\n", "mse_loss", "uses .storage"),
    ("type_makes_a_class_with_any_hook", A, "mse_loss_solution",
     "Meta = type('Meta', (type,), {'__instancecheck__': lambda cls, value: True})\n\n\n"
     "def mse_loss(pred, target):\n    assert isinstance(pred, Meta('Anything', (), {}))\n"
     "    return ((pred - target) ** 2).mean()\n", "mse_loss", "uses type() to make a class"),
]

# The red team's ninth round: a class pattern read any attribute of anything (the class a name of
# theirs held when it ran), unguarded; del uncovered or removed what a class has.
_TRAIN = ("def train(model, inputs, targets, loss_fn, optimizer, epochs):\n    {body}\n    losses = []\n"
          "    for _ in range(epochs):\n        optimizer.zero_grad()\n        loss = loss_fn(model(inputs), targets)\n"
          "        loss.backward()\n        optimizer.step()\n        losses.append(loss.item())\n    return losses\n")
ROUND_TEN = [
    ("class_pattern_reads_the_inner_optimizer", O, "train_solution",
     "class C:\n    def __init__(self):\n        self.optimizer = None\n\n\n" + _TRAIN.format(
         body="C2 = type(optimizer)\n    match optimizer:\n        case C2(optimizer=inner):\n            pass"),
     "train", "reads .optimizer in a class pattern"),
    ("class_pattern_reads_a_library_name", A, "mse_loss_solution",
     "class C:\n    untyped_storage = None\n\n\ndef mse_loss(pred, target):\n    match pred:\n"
     "        case C(untyped_storage=u):\n            pass\n    return ((pred - target) ** 2).mean()\n",
     "mse_loss", "reads .untyped_storage in a class pattern"),
    ("delete_uncovers_what_a_class_has", O, "train_solution",
     _TRAIN.format(body="kind = type(optimizer)\n    del kind.zero_grad"), "train", "deletes .zero_grad"),
    ("delattr_uncovers_what_a_class_has", O, "train_solution",
     _TRAIN.format(body="delattr(type(optimizer), 'step')"), "train", "uses delattr"),
]

LATER_ROUNDS = ROUND_THREE + ROUND_FOUR + ROUND_FIVE + STATIC_EIGHT + ROUND_NINE + ROUND_TEN


def _train_with(ns, body_check):
    """Run the optimizers' `train` of `ns` once, as its check does, and give what it returned."""
    import torch
    from coursekit.probes import RecordedLoss, RecordedOptimizer
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    loss = RecordedLoss(torch.nn.MSELoss(), model.parameters())
    optimizer = RecordedOptimizer(torch.optim.SGD(model.parameters(), lr=0.1), loss)
    return ns["train"](model, torch.randn(4, 1), torch.randn(4, 1), loss, optimizer, 2)


RUNTIME_TEN = [  # refused by the guard when graded
    ("subclass_of_the_checks_optimizer_forwards_to_torch",
     "class Peek:\n    def __init__(self):\n        self.param_groups = None\n\n\n" + _TRAIN.format(
         body="Base = type(optimizer)\n    class Sub(Base):\n        pass\n"
              "    groups = Sub(optimizer, loss_fn).param_groups\n    return groups")),
    ("a_name_set_on_a_library_class_for_another_part",
     "class Peek:\n    def __init__(self):\n        self.stash = None\n\n\n" + _TRAIN.format(
         body="type(inputs).stash = {'optimizer': optimizer}")),
]


@pytest.mark.parametrize("case", RUNTIME_TEN, ids=[a[0] for a in RUNTIME_TEN])
def test_round_ten_is_refused_when_graded(case):
    _, source = case
    source = source.replace("    losses = []", "    mine = Peek()\n    losses = []", 1)
    found, ns = graded_namespace(O, replaced(O, "train_solution", source))
    if case[0] == "subclass_of_the_checks_optimizer_forwards_to_torch":  # since round eleven, refused as written
        assert any("keeps the class type(x) gives" in r for r in found.get("train", [])), found
        return
    assert found == {}, found  # the static rule lets it through: the guard decides
    with pytest.raises(AttributeError, match=r"^own work: \."):
        _train_with(ns, None)


def test_the_guard_refuses_an_own_name_on_a_subclass_of_the_checks_optimizer():
    """The guard alone, on round ten's class (which the static rule now refuses before it runs): a
    learner's subclass of a class not theirs forwards to it, so their own names are not read there."""
    import torch
    from coursekit import RecordedLoss, RecordedOptimizer
    from grader import kernel_side
    own, own_class = kernel_side.own_work_guards()
    inner = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)

    class Sub(RecordedOptimizer):
        pass
    own_class(Sub)
    with pytest.raises(AttributeError, match=r"^own work: \.param_groups"):
        own(Sub(inner, RecordedLoss(torch.nn.MSELoss(), [])))["param_groups"]


def test_the_guard_lets_no_set_hide_a_library_method():
    """Round twenty: a name the part lists, set on a tensor or module, hid the method the checks' helpers call
    (`p.detach = ...`, `model.parameters = ...`, `self.modules = ...`). The guard refuses such a set, listed or
    not, and still sets what honest code sets: .grad, .data and .requires_grad (through torch's descriptors), a
    layer of a module, and a learner's name on their own object, over a class attribute of their own."""
    import torch
    from grader import kernel_side
    own, own_class = kernel_side.own_work_guards()
    p, layer = torch.nn.Parameter(torch.ones(2)), torch.nn.Linear(2, 2)

    class Net(torch.nn.Module):
        scale = 1.0
    own_class(Net)
    net = Net()
    for obj, name in [(p, "detach"), (p, "clone"), (layer, "parameters"), (layer, "forward"), (net, "modules"),
                      (net, "named_parameters"), (net, "eval")]:
        for listed in (True, False):
            with pytest.raises(AttributeError, match=rf"^own work: \.{name} may not be set"):
                own(obj, False, listed)[name] = lambda *args, **kwargs: None
    own(p, False, True)["grad"] = torch.zeros(2)
    own(p, False, True)["data"] = torch.zeros(2)
    own(p, False, True)["requires_grad"] = False
    own(net, False, True)["layer"] = layer
    own(net)["scale"] = 2.0
    assert p.grad.tolist() == [0.0, 0.0] and p.data.tolist() == [0.0, 0.0] and not p.requires_grad
    assert net.layer is layer and net.scale == 2.0 and Net.scale == 1.0


# Rounds six and seven, now refused where they run: a name the learner "stores" in dead code that a
# library class has too (a storage's .type(), which imports a dotted name; an AttributeError's .obj;
# an array's .ctypes) is read, when graded, only on an object whose classes are all the learner's.
def _call_loss(name):
    import torch
    return lambda ns: ns[name](torch.randn(3, 4), torch.tensor([0, 1, 2]) if name == "cross_entropy" else torch.randn(3, 4))


def _call_sgd(ns):
    import torch
    ns["MySGD"]([torch.nn.Parameter(torch.ones(2))], lr=0.1)


REFUSED_WHEN_RUN = [(case[0], case[1], case[2], case[3], case[4],
                     _call_sgd if case[4] == "MySGD" else _call_loss(case[4])) for case in ROUND_SIX + ROUND_SEVEN]


@pytest.mark.parametrize("case", REFUSED_WHEN_RUN, ids=[a[0] for a in REFUSED_WHEN_RUN])
def test_a_library_name_of_the_learners_is_refused_on_a_library_object_when_graded(case):
    _, assignment, cell, source, name, call = case
    found, ns = graded_namespace(assignment, replaced(assignment, cell, source))
    if name in found:  # refused already by the static rule (the class that names them is not reached)
        assert name not in ns
        return
    with pytest.raises(AttributeError, match=r"^own work: \."):
        call(ns)


@pytest.mark.parametrize("case", LATER_ROUNDS, ids=[a[0] for a in LATER_ROUNDS])
def test_later_rounds_attack_is_caught(case, monkeypatch):
    monkeypatch.setattr(own_work, "MAX_REASONS", 100)  # every reason, not the learner's first five
    _, assignment, cell, source, name, words = case
    found, _ = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
    assert any(words in r for r in found.get(name, [])), found


HONEST_OWN_OBJECTS = [  # the learner's own objects: state records, class constants, type tests, super
    (O, "my_sgd_solution", "class Slot:\n    def __init__(self):\n        self.velocity = None\n\n\n"
     "class MySGD:\n    SMALL = 0.0\n    LIMITS = (SMALL, 1.0)\n\n    def __init__(self, params, lr, momentum=0.0):\n"
     "        self.params = list(params)\n        self.lr, self.momentum = lr, momentum\n"
     "        self.slots = {id(p): Slot() for p in self.params}\n        assert MySGD.LIMITS[0] <= momentum\n\n"
     "    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n"
     "    def step(self):\n        for p in self.params:\n            if p.grad is None:\n                continue\n"
     "            slot = self.slots[id(p)]\n            assert isinstance(slot, Slot)\n"
     "            if slot.velocity is None or not self.momentum:\n                slot.velocity = p.grad.clone()\n"
     "            else:\n                slot.velocity = self.momentum * slot.velocity + p.grad\n"
     "            p -= self.lr * slot.velocity\n"),
    (M, "mnist_net_solution", "class MNISTNet(nn.Module):\n    def __init__(self):\n        super(MNISTNet, self).__init__()\n"
     "        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)\n        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)\n"
     "        self.pool = nn.MaxPool2d(2)\n        self.fc1 = nn.Linear(32 * 7 * 7, 128)\n        self.fc2 = nn.Linear(128, 10)\n\n"
     "    def forward(self, x):\n        x = self.pool(torch.relu(self.conv1(x)))\n        x = self.pool(torch.relu(self.conv2(x)))\n"
     "        return self.fc2(torch.relu(self.fc1(x.flatten(1))))\n"),
]


HONEST_LIBRARY_NAMES = [  # an own attribute name that a library class has too (Tensor.inner), on a plain class
    (O, "my_sgd_solution", "class MySGD:\n    def __init__(self, params, lr, momentum=0.0):\n        self.params = list(params)\n"
     "        self.lr, self.momentum = lr, momentum\n        self.total = 0\n        self.inner = [None] * len(self.params)\n\n"
     "    def zero_grad(self):\n        for p in self.params:\n            p.grad = None\n\n    @torch.no_grad()\n"
     "    def step(self):\n        self.total += 1\n        for i, p in enumerate(self.params):\n            if p.grad is None:\n"
     "                continue\n            if self.momentum and self.inner[i] is not None:\n"
     "                self.inner[i] = self.momentum * self.inner[i] + p.grad\n            else:\n"
     "                self.inner[i] = p.grad.clone()\n            p -= self.lr * (self.inner[i] if self.momentum else p.grad)\n"),
]


# What Python's scopes, class bodies and bindings do allow, kept.
HONEST_EDGES = HONEST_SCOPES + HONEST_CLASS_BODIES + HONEST_BINDINGS + HONEST_OWN_OBJECTS + HONEST_LIBRARY_NAMES


def test_the_learners_own_objects_work_when_graded():
    """Records of their own class, constants read on the class, state set on a parameter, super(): all
    read through the guard, as graded."""
    import torch
    sgd = HONEST_OWN_OBJECTS[0][2]
    inner = HONEST_LIBRARY_NAMES[0][2]
    on_params = sgd.replace("slot = self.slots[id(p)]", "slot = p").replace("assert isinstance(slot, Slot)", "pass")
    on_params = on_params.replace("slot.velocity is None", "not hasattr(slot, 'velocity') or slot.velocity is None")
    for source in (sgd, on_params, inner):
        found, ns = graded_namespace(O, replaced(O, "my_sgd_solution", source))
        assert found == {} and "__own__(" in notebook_plan(replaced(O, "my_sgd_solution", source), locked(O),
                                                           checks_of(O))[1]["my_sgd_solution"]
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        opt = ns["MySGD"]([w], lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            (w ** 2).sum().backward()
            opt.step()
        ref = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        torch_opt = torch.optim.SGD([ref], lr=0.1, momentum=0.9)
        for _ in range(3):
            torch_opt.zero_grad()
            (ref ** 2).sum().backward()
            torch_opt.step()
        torch.testing.assert_close(w.detach(), ref.detach())
    found, ns = graded_namespace(A, replaced(A, "mse_loss_solution", HONEST_SCOPES[0][2]))
    assert found == {} and float(ns["mse_loss"](torch.ones(3), torch.zeros(3))) == 1.0
    found, ns = graded_namespace(M, replaced(M, "mnist_net_solution", HONEST_OWN_OBJECTS[1][2]))
    assert found == {} and ns["MNISTNet"]()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("case", HONEST_EDGES, ids=range(len(HONEST_EDGES)))
def test_honest_edge_cases_are_accepted(case):
    assignment, cell, source = case
    found, _ = notebook_plan(replaced(assignment, cell, source), locked(assignment), checks_of(assignment))
    assert found == {}, found


def test_the_kernel_installs_the_guards_under_the_names_the_rewritten_code_calls():
    from grader import kernel_side
    ns = {}
    kernel_side.install_guards(ns)
    assert set(ns) == {GUARD, GUARD_CLASS}
    assert f"module.install_guards(get_ipython().user_ns)" in kernel_side.install_code()


# ----------------------------------------------------------------------------------------------
# The alias case: a table that a part with a wider list (train: @training) fills and a part with a
# narrower one (MySGD: @python, @tensor) reads. Whatever road the value takes from the table's name to
# the store (an alias, a helper's argument, a list holding it, a loop, a default, an attribute of an
# object), the statement that lets the table go is part of MySGD's code, checked against its list.
_HEAD, _REST = HONEST["optimizers"]["train_solution"][0].split("\n", 1)
_ALIAS_TRAIN = "{pre}\n" + _HEAD + "\n{body}\n" + _REST.replace("{", "{{").replace("}", "}}")
_ALIAS_SGD = ("TABLE = {}\n\n\nclass MySGD:\n    def __init__(self, params, lr, momentum=0.0):\n"
              "        self.params = list(params)\n\n    def zero_grad(self):\n        pass\n\n"
              "    def step(self):\n        TABLE['x'](self.params[0])\n")
_PUT = "lambda t: t.backward()"
ALIAS_ROADS = {
    "direct": ("", f"    TABLE['x'] = {_PUT}"),
    "local_alias": ("", f"    view = TABLE\n    view['x'] = {_PUT}"),
    "tuple_alias": ("", f"    view, other = TABLE, 1\n    view['x'] = {_PUT}"),
    "walrus": ("", f"    (view := TABLE)['x'] = {_PUT}"),
    "helper_argument": (f"def fill(d):\n    d['x'] = {_PUT}\n", "    fill(TABLE)"),
    "module_alias": ("VIEW = TABLE\n", f"    VIEW['x'] = {_PUT}"),
    "in_a_list": ("", f"    box = [TABLE]\n    box[0]['x'] = {_PUT}"),
    "loop_item": ("", f"    for view in [TABLE]:\n        view['x'] = {_PUT}"),
    "default": ("", f"    def put(d=TABLE):\n        d['x'] = {_PUT}\n    put()"),
    "unbound_method": ("", f"    dict.setdefault(TABLE, 'x', {_PUT})"),
    "alias_method": ("", f"    view = TABLE\n    view.update(x={_PUT})"),
    "object_attribute": ("class Box:\n    pass\n\n\nBOX = Box()\nBOX.t = TABLE\n", f"    BOX.t['x'] = {_PUT}"),
    "part_of_a_table": ("", f"    inner = TABLE.setdefault('inner', {{}})\n    inner['x'] = {_PUT}"),
}


@pytest.mark.parametrize("road", sorted(ALIAS_ROADS))
def test_a_table_filled_by_a_wider_part_is_checked_against_the_narrower_parts_list(road):
    pre, body = ALIAS_ROADS[road]
    cells = [(n, _ALIAS_SGD if n == "my_sgd_solution" else s)
             for n, s in replaced(O, "train_solution", _ALIAS_TRAIN.format(pre=pre, body=body))]
    found = check(O, cells)
    assert "MySGD" in found and any("uses .backward" in r for r in found["MySGD"]), found
    assert "train" not in found, found  # train's own list allows what it does
