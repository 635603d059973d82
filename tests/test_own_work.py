"""grader/own_work.py: the static check that a learner wrote the losses and optimizers themselves.

Pure and fast: source text only, no kernel, no torch.
"""
import ast
import base64

import nbformat
import pytest

from conftest import ROOT
from grader.own_work import own_work_violations


def notebook_builtin_names(assignment):
    """The BUILTIN_NAMES dict the notebook's locked cells define, if they define one."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "BUILTIN_NAMES" in cell.source:
            names = {}  # the cell's constant assignments, run as the judge runs them (no imports needed)
            for stmt in ast.parse(cell.source).body:
                if isinstance(stmt, ast.Assign):
                    try:
                        exec(compile(ast.Module([stmt], []), "<cell>", "exec"), names)
                    except NameError:  # an assignment that needs the cell's functions: not a constant
                        pass
            return names.get("BUILTIN_NAMES")
    return {}


def with_notebook(assignment, names):
    """`names`, with what the notebook's BUILTIN_NAMES adds."""
    merged = {k: list(v) for k, v in names.items()}
    for k, v in notebook_builtin_names(assignment).items():
        merged.setdefault(k, [])
        merged[k] += [n for n in v if n not in merged[k]]
    return merged


# What each function of the learner's must not reach (loss_functions: the notebook's BUILTIN_NAMES
# and nn's classes; optimizers: the torch optimizer, and every torch optimizer through "Optimizer").
LOSSES = {
    "mse_loss": ["mse_loss", "MSELoss"],
    "l1_loss": ["l1_loss", "L1Loss"],
    "huber_loss": ["huber_loss", "smooth_l1_loss", "HuberLoss", "SmoothL1Loss"],
    "binary_cross_entropy": ["binary_cross_entropy", "BCELoss"],
    "binary_cross_entropy_with_logits": ["binary_cross_entropy_with_logits", "BCEWithLogitsLoss"],
    "cross_entropy": ["cross_entropy", "cross_entropy_loss", "CrossEntropyLoss"],
    "multi_margin_loss": ["multi_margin_loss", "MultiMarginLoss"],
}
OPTIMIZERS = {"MySGD": ["SGD", "Optimizer"], "MyAdam": ["Adam", "Optimizer"], "MyRMSprop": ["RMSprop", "Optimizer"]}
LOSSES = with_notebook("loss_functions", LOSSES)
OPTIMIZERS = with_notebook("optimizers", OPTIMIZERS)
NOTEBOOKS = {"loss_functions": LOSSES, "optimizers": OPTIMIZERS}


def editable_cells(assignment):
    """(grade_id, source) of every code cell a learner can edit, with the reference solutions in them."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or not meta.get("locked")):
            cells.append((meta.get("grade_id", f"cell_{i}"), cell.source))
    return cells


def reference_without(assignment, grade_id):
    return [(name, src) for name, src in editable_cells(assignment) if name != grade_id]


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_reference_solutions_reach_nothing(assignment):
    cells = editable_cells(assignment)
    assert any("BEGIN SOLUTION" in src for _, src in cells)
    assert own_work_violations(cells, NOTEBOOKS[assignment]) == {}


# ----------------------------------------------------------------------------------------------
# Attacks: (id, assignment, cell it replaces, [(cell name, source)], the name caught, a word of the reason)

SECRET = base64.b64encode(b"def mse_loss(pred, target):\n    return F.mse_loss(pred, target)\n").decode()

ATTACKS = [
    ("torch_ops_aten", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return torch.ops.aten.mse_loss(pred, target)
''')], "mse_loss", "calls torch.ops.aten.mse_loss"),
    ("torch_C_nn", "loss_functions", "l1_loss_solution", [("l1_loss_solution", '''
def l1_loss(pred, target):
    return torch._C._nn.l1_loss(pred, target, 1)
''')], "l1_loss", "calls torch._C._nn.l1_loss"),
    ("getattr_concatenated", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return getattr(F, "mse" + "_loss")(pred, target)
''')], "mse_loss", "uses getattr(F, 'mse_loss')"),
    ("getattr_reversed_fstring", "loss_functions", "huber_loss_solution", [("huber_loss_solution", '''
def huber_loss(pred, target, delta=1.0):
    name = f"{'rebuh'[::-1]}_{'LOSS'.lower()}"
    return getattr(F, name)(pred, target, delta=delta)
''')], "huber_loss", "'huber_loss'"),
    ("import_module", "loss_functions", "binary_cross_entropy_solution", [("binary_cross_entropy_solution", '''
import importlib

def binary_cross_entropy(probs, target):
    functional = importlib.import_module("torch.nn.functional")
    return functional.binary_cross_entropy(probs, target)
''')], "binary_cross_entropy", "binary_cross_entropy"),
    ("eval_string", "loss_functions", "cross_entropy_solution", [("cross_entropy_solution", '''
def cross_entropy(logits, target):
    return eval("F.cross_" + "entropy(logits, target)")
''')], "cross_entropy", "uses eval()"),
    ("exec_compile", "loss_functions", "multi_margin_loss_solution", [("multi_margin_loss_solution", '''
def multi_margin_loss(scores, target, margin=1.0):
    out = {}
    exec(compile("r = F.multi_margin_loss(s, t, margin=m)", "<x>", "exec"),
         {"F": F, "s": scores, "t": target, "m": margin}, out)
    return out["r"]
''')], "multi_margin_loss", "uses exec()"),
    ("dunder_import_getattr", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
loss = getattr(__import__("torch").nn.functional, "mse_loss")

def mse_loss(pred, target):
    return loss(pred, target)
''')], "mse_loss", "mse_loss"),
    ("sys_modules", "loss_functions", "l1_loss_solution", [("l1_loss_solution", '''
import sys

def l1_loss(pred, target):
    return sys.modules["torch.nn.functional"].l1_loss(pred, target)
''')], "l1_loss", "l1_loss"),
    ("vars_of_module", "loss_functions", "huber_loss_solution", [("huber_loss_solution", '''
def huber_loss(pred, target, delta=1.0):
    return vars(F)["huber_loss"](pred, target, delta=delta)
''')], "huber_loss", "vars(F)['huber_loss']"),
    ("module_dict", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return torch.nn.functional.__dict__["mse_loss"](pred, target)
''')], "mse_loss", "__dict__"),
    ("globals_lookup", "loss_functions", "cross_entropy_solution", [("cross_entropy_solution", '''
def cross_entropy(logits, target):
    return globals()["F"].cross_entropy(logits, target)
''')], "cross_entropy", "cross_entropy"),
    ("functional_alias", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
from torch.nn import functional as G

def mse_loss(pred, target):
    return G.mse_loss(pred, target)
''')], "mse_loss", "calls G.mse_loss"),
    ("import_as", "loss_functions", "l1_loss_solution", [("l1_loss_solution", '''
from torch.nn.functional import l1_loss as _l1

def l1_loss(pred, target):
    return _l1(pred, target)
''')], "l1_loss", "imports l1_loss from torch.nn.functional as _l1"),
    ("exec_base64_top_level", "loss_functions", "mse_loss_solution", [("mse_loss_solution", f'''
import base64
exec(base64.b64decode("{SECRET}"))
''')], "mse_loss", "uses exec()"),
    ("lambda_in_another_cell", "loss_functions", "binary_cross_entropy_solution", [
        ("scratch", "_bce = lambda p, t: F.binary_cross_entropy(p, t)\n"),
        ("binary_cross_entropy_solution", '''
def binary_cross_entropy(probs, target):
    return _bce(probs, target)
''')], "binary_cross_entropy", "calls F.binary_cross_entropy (at top level)"),
    ("staticmethod_class_attribute", "loss_functions", "huber_loss_solution", [("huber_loss_solution", '''
class _Impl:
    impl = staticmethod(F.huber_loss)

def huber_loss(pred, target, delta=1.0):
    return _Impl.impl(pred, target, delta=delta)
''')], "huber_loss", "uses F.huber_loss (in _Impl)"),
    ("decorator_replaces_function", "loss_functions", "l1_loss_solution", [
        ("scratch", '''
def builtin(function):
    return F.l1_loss
'''), ("l1_loss_solution", '''
@builtin
def l1_loss(pred, target):
    return (pred - target).abs().mean()
''')], "l1_loss", "uses F.l1_loss (in builtin)"),
    ("nn_modules_loss_class", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return torch.nn.modules.loss.MSELoss()(pred, target)
''')], "mse_loss", "torch.nn.modules.loss.MSELoss"),
    ("chr_codes_and_pydoc", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
import pydoc

def mse_loss(pred, target):
    where = "torch.nn.functional." + "".join(chr(c) for c in [109, 115, 101, 95, 108, 111, 115, 115])
    return pydoc.locate(where)(pred, target)
''')], "mse_loss", "naming mse_loss"),
    ("monkeypatched_tensor_method", "loss_functions", "mse_loss_solution", [
        ("scratch", "torch.Tensor.squared_error = F.mse_loss\n"),
        ("mse_loss_solution", '''
def mse_loss(pred, target):
    return pred.squared_error(target)
''')], "mse_loss", "uses F.mse_loss (at top level)"),
    ("setattr_on_the_tensor_class", "loss_functions", "mse_loss_solution", [
        ("scratch", 'setattr(type(torch.ones(1)), "squared_error", F.mse_loss)\n'),
        ("mse_loss_solution", '''
def mse_loss(pred, target):
    return pred.squared_error(target)
''')], "mse_loss", "uses F.mse_loss (at top level)"),
    ("global_rebinding_helper", "loss_functions", "cross_entropy_solution", [
        ("cross_entropy_solution", '''
def cross_entropy(logits, target):
    return (torch.logsumexp(logits, 1) - logits.gather(1, target[:, None])[:, 0]).mean()
'''), ("scratch", '''
def _swap():
    global cross_entropy
    cross_entropy = F.cross_entropy

_swap()
''')], "cross_entropy", "uses F.cross_entropy (in _swap)"),
    ("attrgetter", "loss_functions", "multi_margin_loss_solution", [("multi_margin_loss_solution", '''
import operator

def multi_margin_loss(scores, target, margin=1.0):
    return operator.attrgetter("nn.functional.multi_margin_loss")(torch)(scores, target, margin=margin)
''')], "multi_margin_loss", "attrgetter('nn.functional.multi_margin_loss')"),
    ("timeit_magic_and_shell", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
!echo hello
def mse_loss(pred, target):
    return ((pred - target) ** 2).mean()
''')], "mse_loss", "runs a shell command"),
    ("list_of_builtins", "loss_functions", "mse_loss_solution", [
        ("scratch", "LOSSES = []\nLOSSES.append(F.mse_loss)\n"),
        ("mse_loss_solution", '''
def mse_loss(pred, target):
    return LOSSES[0](pred, target)
''')], "mse_loss", "uses F.mse_loss (at top level)"),
    ("getattribute_of_object", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return object.__getattribute__(F, "mse" "_loss")(pred, target)
''')], "mse_loss", "uses object.__getattribute__"),
    ("rot13_name", "loss_functions", "l1_loss_solution", [("l1_loss_solution", '''
import codecs

def l1_loss(pred, target):
    return getattr(F, codecs.decode("y1_ybff", "rot13"))(pred, target)
''')], "l1_loss", "uses getattr(F, 'l1_loss')"),
    ("subclasses_of_the_loss_base", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    found = [c for c in torch.nn.modules.loss._Loss.__subclasses__() if c.__name__.startswith("MSE")]
    return found[0]()(pred, target)
''')], "mse_loss", "__subclasses__"),
    ("default_argument", "loss_functions", "cross_entropy_solution", [("cross_entropy_solution", '''
def cross_entropy(logits, target, _impl=F.cross_entropy):
    return _impl(logits, target)
''')], "cross_entropy", "uses F.cross_entropy"),
    ("subclass_of_the_nn_loss", "loss_functions", "binary_cross_entropy_with_logits_solution", [
        ("binary_cross_entropy_with_logits_solution", '''
class _Stable(nn.BCEWithLogitsLoss):
    pass

def binary_cross_entropy_with_logits(logits, target):
    return _Stable()(logits, target)
''')], "binary_cross_entropy_with_logits", "uses nn.BCEWithLogitsLoss (in _Stable)"),
    ("ipython_eval", "loss_functions", "mse_loss_solution", [("mse_loss_solution", '''
def mse_loss(pred, target):
    return get_ipython().ev("F.mse_" + "loss(pred, target)")
''')], "mse_loss", "uses get_ipython().ev"),
    ("timeit_setup_runs_code", "loss_functions", "mse_loss_solution", [("scratch", '''%%timeit exec(chr(120))
mse_loss(torch.ones(2), torch.zeros(2))
''')], "mse_loss", "uses exec() (at top level)"),
    ("helper_that_patches_its_argument", "optimizers", "my_adam_solution", [
        ("my_adam_solution", '''
def patch(cls, step):
    cls.step = step

class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
'''), ("scratch", "patch(MyAdam, torch.optim.Adam.step)\n")], "MyAdam", "uses torch.optim.Adam.step (at top level)"),
    ("optimizer_subclasses", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        kinds = {c.__name__: c for c in torch.optim.Optimizer.__subclasses__()}
        self.inner = kinds["S" + "GD"](params, lr=lr, momentum=momentum)
''')], "MySGD", "__subclasses__"),
    ("from_torch_import_optim", "optimizers", "my_rmsprop_solution", [("my_rmsprop_solution", '''
from torch import optim as o

class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.inner = o.RMSprop(params, lr=lr, alpha=alpha, eps=eps)
''')], "MyRMSprop", "calls o.RMSprop"),
    # optimizers
    ("optimizer_in_a_list", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.inner = [torch.optim.SGD(params, lr, momentum=momentum)]

    def zero_grad(self):
        self.inner[0].zero_grad()

    def step(self):
        self.inner[0].step()
''')], "MySGD", "calls torch.optim.SGD"),
    ("partial_in_a_list", "optimizers", "my_adam_solution", [("my_adam_solution", '''
import functools

class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.make = [functools.partial(torch.optim.Adam, lr=lr, betas=betas, eps=eps)]
        self.inner = self.make[0](params)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''')], "MyAdam", "uses torch.optim.Adam"),
    ("subclass", "optimizers", "my_adam_solution", [("my_adam_solution", '''
class MyAdam(torch.optim.Adam):
    pass
''')], "MyAdam", "uses torch.optim.Adam"),
    ("optimizer_base_class", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
class MySGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-group["lr"])
''')], "MySGD", "uses torch.optim.Optimizer"),
    ("import_alias_other_cell", "optimizers", "my_adam_solution", [
        ("scratch", "from torch.optim import Adam as A\n"),
        ("my_adam_solution", '''
class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.inner = A(params, lr=lr, betas=betas, eps=eps)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''')], "MyAdam", "imports Adam from torch.optim as A"),
    ("module_alias", "optimizers", "my_rmsprop_solution", [("my_rmsprop_solution", '''
opt = torch.optim

class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.inner = opt.RMSprop(params, lr=lr, alpha=alpha, eps=eps)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''')], "MyRMSprop", "calls opt.RMSprop"),
    ("optim_dict", "optimizers", "my_adam_solution", [("my_adam_solution", '''
class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.inner = torch.optim.__dict__["Ad" + "am"](params, lr=lr, betas=betas, eps=eps)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''')], "MyAdam", "uses torch.optim.__dict__"),
    ("bases_through_a_global", "optimizers", "my_adam_solution", [
        ("scratch", 'Base = getattr(torch.optim, "Ad" + "am")\n'),
        ("my_adam_solution", '''
class MyAdam(Base):
    def step(self):
        return type(self).__bases__[0].step(self)
''')], "MyAdam", "uses getattr(torch.optim, 'Adam')"),
    ("functional_optimizer", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.buffers = [None] * len(self.params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        torch.optim._functional.sgd(self.params, [p.grad for p in self.params], self.buffers,
                                    weight_decay=0.0, momentum=self.momentum, lr=self.lr,
                                    dampening=0.0, nesterov=False, maximize=False)
''')], "MySGD", "torch.optim._functional"),
    ("foreach_kernel", "optimizers", "my_rmsprop_solution", [("my_rmsprop_solution", '''
class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.params, self.lr, self.alpha, self.eps = list(params), lr, alpha, eps

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        torch._foreach_add_(self.params, [p.grad for p in self.params], alpha=-self.lr)
''')], "MyRMSprop", "torch._foreach_add_"),
    ("other_torch_optimizer", "optimizers", "my_adam_solution", [("my_adam_solution", '''
class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.inner = torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=0.0)

    def zero_grad(self):
        self.inner.zero_grad()

    def step(self):
        self.inner.step()
''')], "MyAdam", "calls torch.optim.AdamW"),
    ("rebinding_the_name", "optimizers", "my_sgd_solution", [("my_sgd_solution", "MySGD = torch.optim.SGD\n")],
     "MySGD", "uses torch.optim.SGD (at top level)"),
    ("method_patched_later", "optimizers", "my_rmsprop_solution", [
        ("my_rmsprop_solution", '''
class MyRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.param_groups = [dict(params=list(params), lr=lr, alpha=alpha, eps=eps, centered=False,
                                  momentum=0, weight_decay=0, maximize=False, foreach=None,
                                  differentiable=False, capturable=False)]
        self.state = {}
'''), ("scratch", "MyRMSprop.step = torch.optim.RMSprop.step\n")], "MyRMSprop", "torch.optim.RMSprop.step"),
    ("type_setattr_on_the_class", "optimizers", "my_adam_solution", [
        ("my_adam_solution", '''
class MyAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
'''), ("scratch", 'type.__setattr__(MyAdam, "step", torch.optim.Adam.step)\n')],
     "MyAdam", "uses torch.optim.Adam.step (at top level)"),
    ("star_import", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
from torch.optim import *

class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.inner = SGD(params, lr=lr, momentum=momentum)
''')], "MySGD", "star-imports torch.optim"),
    ("escape_in_a_shared_helper", "optimizers", "my_sgd_solution", [("my_sgd_solution", '''
def _make(name, *args, **kwargs):
    return getattr(torch.optim, name)(*args, **kwargs)

class MySGD:
    def __init__(self, params, lr, momentum=0.0):
        self.inner = _make(self.__class__.__name__[2:], params, lr=lr, momentum=momentum)
''')], "MyAdam", "uses getattr() with a computed name (in _make)"),
]


@pytest.mark.parametrize("case", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_is_caught(case):
    _, assignment, replaced, cells, learner, reason = case
    found = own_work_violations(reference_without(assignment, replaced) + cells, NOTEBOOKS[assignment])
    assert learner in found, found
    assert any(reason in r for r in found[learner]), found[learner]
    for reasons in found.values():
        assert 1 <= len(reasons) <= 5 and len(set(reasons)) == len(reasons)
        assert all(len(r) < 120 for r in reasons)


def test_at_most_five_reasons():
    cells = reference_without("loss_functions", "mse_loss_solution") + [("mse_loss_solution", '''
def mse_loss(pred, target):
    a = torch.ops.aten.mse_loss(pred, target)
    b = getattr(F, "mse" + "_loss")(pred, target)
    c = F.__dict__["mse_loss"](pred, target)
    d = eval("F.mse_loss(pred, target)")
    e = vars(F)["mse_loss"](pred, target)
    return torch._C._nn.mse_loss(pred, target, 1) + a + b + c + d + e
''')]
    found = own_work_violations(cells, LOSSES)
    assert list(found) == ["mse_loss"] and len(found["mse_loss"]) == 5
    assert found["mse_loss"][0] == "cell 'mse_loss_solution' calls torch.ops.aten.mse_loss"


def test_attack_counts_only_for_the_names_it_serves():
    cells = reference_without("loss_functions", "mse_loss_solution") + [("mse_loss_solution", '''
def mse_loss(pred, target):
    return F.mse_loss(pred, target)
''')]
    assert own_work_violations(cells, LOSSES) == {"mse_loss": ["cell 'mse_loss_solution' calls F.mse_loss"]}


def test_top_level_escape_counts_for_everyone():
    cells = editable_cells("optimizers") + [("scratch", 'exec(open("mine.py").read())\n')]
    found = own_work_violations(cells, OPTIMIZERS)
    assert set(found) == set(OPTIMIZERS)
    assert found["MyAdam"] == ["cell 'scratch' uses exec() (at top level)"]


def test_a_cell_that_does_not_parse():
    cells = editable_cells("loss_functions") + [("broken", "def mse_loss(pred, target:\n    return F.mse_loss(pred)\n")]
    found = own_work_violations(cells, LOSSES)
    assert list(found) == ["mse_loss"]
    assert found["mse_loss"][0].startswith("cell 'broken' does not parse")
    assert own_work_violations(editable_cells("loss_functions") + [("broken", "1 +")], LOSSES) == {}


# ----------------------------------------------------------------------------------------------
# Honest code, even unusual, is not flagged

HONEST = [
    ("getattr_constant_name", "optimizers", "my_sgd_solution", '''
class MySGD:
    """Plain SGD (like torch.optim.SGD), hyper-parameters read back with getattr."""

    def __init__(self, params, lr, momentum=0.0):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.buffers = [None] * len(self.params)

    def __repr__(self):
        return f"MySGD(lr={self.lr}, momentum={getattr(self, 'momentum')})"

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        if not hasattr(self, "lr") or self.lr <= 0:
            raise ValueError(f"SGD needs a positive lr, got {self.lr}")
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            update = p.grad
            if getattr(self, "momentum") != 0:
                if self.buffers[i] is None:
                    self.buffers[i] = p.grad.clone()
                else:
                    self.buffers[i].mul_(self.momentum).add_(p.grad)
                update = self.buffers[i]
            p.add_(update, alpha=-self.lr)
'''),
    ("shared_helper", "loss_functions", "cross_entropy_solution", '''
def _mean_over_rows(values):
    """Average over the rows; shared with multi_margin_loss."""
    return values.mean()


def cross_entropy(logits, target):
    """Cross-entropy (like nn.CrossEntropyLoss())."""
    assert logits.dim() == 2, "cross_entropy expects (N, C) logits, like F.cross_entropy"
    true_logit = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return _mean_over_rows(torch.logsumexp(logits, dim=1) - true_logit)
'''),
    ("docstring_and_comment_name_the_builtin", "loss_functions", "mse_loss_solution", '''
def mse_loss(pred, target):
    """Like nn.MSELoss() and F.mse_loss, written by hand."""
    # F.mse_loss(pred, target) would do the same
    """Squares below; F.mse_loss is the reference."""
    diff = torch.where(pred > target, pred - target, target - pred)
    print("mse_loss:", diff.shape)
    return (diff.clamp(min=0) ** 2).mean()
'''),
    ("check_helper_and_own_base_class", "optimizers", "my_rmsprop_solution", '''
class MyRMSprop(MySGD):
    """RMSprop, sharing zero_grad with MySGD."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps
        self.square_avg = [torch.zeros_like(p) for p in self.params]
        self.state = {"step": 0, "name": type(self).__name__}

    @torch.no_grad()
    def step(self):
        self.state["step"] += 1
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            self.square_avg[i].mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)
            p.sub_(self.lr * p.grad / (self.square_avg[i].sqrt() + self.eps))


def check(my_class, torch_class):
    mine, theirs = make_params(((3,),), 0), make_params(((3,),), 0)
    a, b = my_class(mine, lr=0.01), torch_class(theirs, lr=0.01)
    for opt, params in ((a, mine), (b, theirs)):
        opt.zero_grad()
        toy_loss(params, [0], 1.0).backward()
        opt.step()
    return mine, theirs
''', ("scratch", "check(MyRMSprop, torch.optim.RMSprop)\n")),
    ("local_names_like_modules", "loss_functions", "l1_loss_solution", '''
def l1_loss(pred, target, optim=None, F=None):
    parts = [x for x in (pred - target).abs().flatten()]
    return torch.stack(parts).mean() if optim is None else optim(F)
'''),
]


@pytest.mark.parametrize("case", HONEST, ids=[h[0] for h in HONEST])
def test_honest_code_is_not_flagged(case):
    _, assignment, replaced, source, *more = case
    cells = reference_without(assignment, replaced) + [(replaced, source)] + more
    assert own_work_violations(cells, NOTEBOOKS[assignment]) == {}


def test_scratch_cells_may_use_the_built_ins():
    losses = editable_cells("loss_functions") + [("scratch", '''
%load_ext autoreload
%autoreload 2
%config InlineBackend.figure_format = "retina"
%matplotlib inline
%timeit mse_loss(torch.ones(3), torch.zeros(3))
a, b = torch.randn(4), torch.randn(4)
print(mse_loss(a, b), F.mse_loss(a, b), nn.MSELoss()(a, b))
results = {"mse_loss": mse_loss(a, b).item()}
''')]
    assert own_work_violations(losses, LOSSES) == {}
    optimizers = editable_cells("optimizers") + [("scratch", '''
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)

model = Net()
x, y = regression_data()
history = train(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.01), 10)
mine = train(model, x, y, nn.MSELoss(), MySGD(model.parameters(), lr=0.01), 10)
compare_with_torch(MySGD, torch.optim.SGD, steps=5, lr=0.1)
''')]
    assert own_work_violations(optimizers, OPTIMIZERS) == {}


def test_a_built_in_beside_the_function_counts():
    cells = reference_without("loss_functions", "mse_loss_solution") + [("mse_loss_solution", '''
def mse_loss(pred, target):
    return ((pred - target) ** 2).mean()

print(mse_loss(torch.ones(2), torch.zeros(2)), F.mse_loss(torch.ones(2), torch.zeros(2)))
''')]
    found = own_work_violations(cells, LOSSES)  # the notebook forbids every built-in loss in every function
    assert found["mse_loss"] == ["cell 'mse_loss_solution' calls F.mse_loss (at top level)"]
    assert set(found) == set(LOSSES)
