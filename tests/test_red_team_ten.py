"""An independent red team's tenth round against "implement it yourself", as it wrote its attacks.

Each test asserts that its attack is refused: every one of them won before the fixes of that round
(the static rule accepted the learner's code, it ran as graded with the guards installed, and it
earned the checks). What closed them: a class statement takes no keywords and builds on named
classes; `type` is only `type(x)`; the guard records a class only when `type` made it, and reads a
class's MRO and namespace as `type` keeps them; a module's data container is not under a wildcard
entry; a local or parameter named with double underscores is refused; the check of a learner's
optimizers in their own `train` runs torch's side with the reference loop, in the grader.
"""
import warnings

import pytest

pytestmark = pytest.mark.slow  # (the judge runs the real checks)

from coursekit.own_work import notebook_plan
from kit.judged import cells, fake_kernel, is_test, judge_notebook
from test_own_work import A, O, R, checks_of, graded_namespace, locked, replaced

# ----------------------------------------------------------------------------------------------
# 1. `class C(**{"metaclass": f})`: the check of a metaclass looks only at `metaclass=` written out, and
#    a metaclass may be any callable. With `f = lambda *args: cls` the class statement hands ANY object
#    (a library class, a module) to the grader's `@__own_class__`, which records it as the learner's
#    class. Record `type` and the classes of an object's MRO, and the run-time guard reads any of the
#    learner's attribute names on that object: the round-six road (a storage's .type() imports a dotted
#    name, the AttributeError's .obj is the module) is open again, to any module (torch.optim,
#    torch._decomp, ...). Nothing else is needed: every loss, optimizer and schedule below is torch's.
# 2. `type` as a value: the check of `type(name, bases, dict)` looks only at a call of the name `type`;
#    `[type][0](...)` or `type(SomeClass)(...)` makes a class with any hook (a metaclass too: see 3).

UNLOCK = '''class Names:
    def __init__(self):
        self.mro = self.untyped_storage = self.obj = self.SGD = self.AdamW = self.OneCycleLR = None
        self.param_groups = self.step = self.mse_loss = self.l1_loss = self.huber_loss = self.nll_loss = None
        self.binary_cross_entropy = self.binary_cross_entropy_with_logits = self.multi_margin_loss = None


def own(cls):
    class Mine(**{"metaclass": lambda *args: cls}):
        pass
    return cls


def unlock(obj):
    own(type)
    for k in type.mro(type(type(obj))) + type.mro(type(obj)):
        own(k)
    return obj


def module(dotted):
    Names()
    try:
        unlock(unlock(torch.zeros(1)).untyped_storage()).type(dotted + ".nonexistent")
    except AttributeError as e:
        return unlock(unlock(e).obj)


'''

ONE_CYCLE = UNLOCK + '''LRS = {}


def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    key = (total_steps, max_lr, pct_start, div_factor, final_div_factor)
    if key not in LRS:
        o = unlock(module("torch.optim").SGD([torch.zeros(1, requires_grad=True)], lr=max_lr))
        s = unlock(module("torch.optim.lr_scheduler").OneCycleLR(o, max_lr=max_lr, total_steps=total_steps,
                   pct_start=pct_start, div_factor=div_factor, final_div_factor=final_div_factor))
        LRS[key] = []
        for _ in range(total_steps):
            LRS[key].append(o.param_groups[0]["lr"])
            o.step()
            s.step()
    return LRS[key][step]
'''

ADAMW = '''HIDDEN = {}


class MyAdamW:
    def __init__(self, params, **settings):
        self.params = list(params)
        HIDDEN[id(self)] = unlock(module("torch.optim").AdamW(self.params, foreach=False, **settings))

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        HIDDEN[id(self)].step()
'''

MSE = UNLOCK + '''def mse_loss(pred, target):
    return module("torch.nn.functional").mse_loss(pred, target)
'''


# Every loss of loss_functions is torch's own: its decompositions and refs (pure tensor code, so no
# built-in loss's autograd node and no loss function's name for the checks' runtime signs to see).
LOSSES = UNLOCK + '''DECOMP, REFS = "torch._decomp.decompositions", "torch._refs.nn.functional"


def mse_loss(pred, target):
    return module(DECOMP).mse_loss(pred, target)


def l1_loss(pred, target):
    return module(REFS).l1_loss(pred, target)


def huber_loss(pred, target, delta=1.0):
    return module(REFS).huber_loss(pred, target, delta=delta)


def binary_cross_entropy(probs, target):
    return module(DECOMP).binary_cross_entropy(probs, target)


def binary_cross_entropy_with_logits(logits, target):
    return module(DECOMP).binary_cross_entropy_with_logits(logits, target, None, None, 1)


def cross_entropy(logits, target):
    return module(REFS).nll_loss(torch.log_softmax(logits, 1), target)


def multi_margin_loss(scores, target, margin=1.0):
    return module(DECOMP).multi_margin_loss(scores, target, margin=margin)
'''


def _judge(assignment, cells_, want=None):
    """(found, {check: error or None}) for the learner's cells run as graded, in a fake kernel."""
    found, ran = notebook_plan(cells_, locked(assignment), checks_of(assignment))
    code = "\n".join(ran[name] for name, _ in cells_)
    request, _ = fake_kernel(assignment, learner_code=code)
    tests = {c.metadata.get("nbgrader", {}).get("grade_id") for c in cells(assignment) if is_test(c)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verdicts = judge_notebook(assignment, request, skip=tests - set(want) if want else set())
    return found, verdicts


def test_type_as_a_value_makes_a_class_with_any_hook():
    for maker in ("[type][0]", "type(Pair)"):
        source = ("class Pair:\n    pass\n\n\n"
                  f"Anything = {maker}('Anything', (type,), {{'__instancecheck__': lambda cls, value: True}})\n\n\n"
                  "def mse_loss(pred, target):\n    assert isinstance(pred, Anything('A', (), {}))\n"
                  "    return ((pred - target) ** 2).mean()\n")
        found, _ = notebook_plan(replaced(A, "mse_loss_solution", source), locked(A), checks_of(A))
        assert "mse_loss" in found, (maker, found)


def test_a_metaclass_through_double_star_keywords():
    source = ("class Meta(type):\n    pass\n\n\nclass Loss(**{'metaclass': Meta}):\n    pass\n\n\n"
              "def mse_loss(pred, target):\n    Loss()\n    return ((pred - target) ** 2).mean()\n")
    found, _ = notebook_plan(replaced(A, "mse_loss_solution", source), locked(A), checks_of(A))
    assert "mse_loss" in found, found


def test_a_metaclass_hands_a_library_class_to_the_guard_mse_loss():
    """loss_functions: mse_loss is torch.nn.functional.mse_loss, reached through the module's import."""
    import torch
    import torch.nn.functional as F
    found, ns = graded_namespace(A, replaced(A, "mse_loss_solution", MSE))
    if "mse_loss" in found:
        return
    pred, target = torch.randn(5, 3), torch.randn(5, 3)
    with pytest.raises(AttributeError, match=r"^own work: \."):
        got = ns["mse_loss"](pred, target)
        assert not torch.equal(got, F.mse_loss(pred, target))


def test_a_metaclass_hands_a_library_class_to_the_guard_every_loss():
    """loss_functions: all seven losses are torch's decompositions, in one cell; every check passes."""
    solutions = {n for n, _ in replaced(A, "mse_loss_solution", "") if n.endswith("_solution")
                 and not n.startswith("question")}
    cells_ = [(n, LOSSES if n == "mse_loss_solution" else "" if n in solutions else s)
              for n, s in replaced(A, "mse_loss_solution", LOSSES)]
    found, verdicts = _judge(A, cells_)
    passed = [k for k, e in verdicts.items() if e is None and "question" not in k and k.rsplit("_", 1)[0] not in found]
    won = {name for name in ("mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
                             "binary_cross_entropy_with_logits", "cross_entropy", "multi_margin_loss")
           if name not in found and any(k.startswith(f"test_{name}_") for k in passed)}
    assert not won, (found, passed)


def test_a_metaclass_hands_a_library_class_to_the_guard_one_cycle_lr_and_adamw():
    """training_recipes: one_cycle_lr is torch's OneCycleLR and MyAdamW is torch.optim.AdamW (foreach=False,
    kept in a global table out of holds_torch_optimizer's sight): every check of both passes."""
    cells_ = [(n, {"one_cycle_lr_solution": ONE_CYCLE, "my_adamw_solution": ADAMW}.get(n, s))
              for n, s in replaced(R, "one_cycle_lr_solution", ONE_CYCLE)]
    want = ["test_one_cycle_lr_basic", "test_one_cycle_lr_settings", "test_my_adamw_basic"]
    found, verdicts = _judge(R, cells_, want)
    if "one_cycle_lr" in found and "MyAdamW" in found:
        return
    passed = [k for k, e in verdicts.items() if e is None]
    assert not passed, (found, passed)


# ----------------------------------------------------------------------------------------------
# 3. The same `type` as a value, another way past the guard: a metaclass with `__mro__` and `__dict__`
#    properties. The guard (grader/kernel_side.py, built_on / defined_by_them) reads a class's MRO with
#    getattr(kind, "__mro__"), which the metaclass answers: a learner's subclass of the checks'
#    RecordedOptimizer (RUNTIME_TEN's road) passes as "built on nothing but theirs", and its __getattr__
#    forwards to the torch optimizer inside. A step hook hands `train` torch.optim's classes (SGD, Adam,
#    RMSprop, from the checks of train); a table filled through an alias (the documented open case)
#    hands them to MySGD, MyAdam and MyRMSprop, whose .step()/.zero_grad() run lambdas of train's.

TRAIN_WITH_HOOK = '''TABLE = {}
Meta = [type][0]("Meta", (type,), {"__mro__": property(lambda c: (c, object)),
                                   "__dict__": property(lambda c: {"register_step_post_hook"})})


class Peek:
    def __init__(self):
        self.register_step_post_hook = None


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    view, mine = TABLE, Peek()
    view["step"], view["zero"] = lambda o: o.step(), lambda o: o.zero_grad()

    class Sub(Meta("Base", (), {}), type(optimizer)):
        pass
    try:
        Sub(optimizer, loss_fn).register_step_post_hook(lambda o, a, k: view.update({type(o).__name__: type(o)}))
    except AttributeError:
        pass
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''

TORCH_INSIDE = '''class {name}:
    def __init__(self, params, **settings):
        self.params = list(params)
        HIDDEN[id(self)] = TABLE["{torch}"](self.params, foreach=False, **settings)

    def zero_grad(self):
        TABLE["zero"](HIDDEN[id(self)])

    def step(self):
        TABLE["step"](HIDDEN[id(self)])
'''


def test_a_metaclass_fakes_the_mro_the_guard_reads():
    """optimizers, one part alone: train reads the torch optimizer's param_groups through a subclass of
    the checks' RecordedOptimizer (RUNTIME_TEN's subclass_of_the_checks_optimizer_forwards_to_torch)."""
    source = TRAIN_WITH_HOOK.replace('        self.register_step_post_hook = None',
                                     '        self.register_step_post_hook = self.param_groups = None').replace(
        '"__dict__": property(lambda c: {"register_step_post_hook"})',
        '"__dict__": property(lambda c: {"register_step_post_hook", "param_groups"})').replace(
        "    losses = []\n", "    losses = []\n    return Sub(optimizer, loss_fn).param_groups\n", 1)
    found, ns = graded_namespace(O, replaced(O, "train_solution", source))
    if "train" in found:
        return
    from test_own_work import _train_with
    with pytest.raises(AttributeError, match=r"^own work: \."):
        _train_with(ns, None)


# 3b. No alias is needed to carry a value from one part to another: a library's own dict reached through
#     an allowed wildcard (`torch.special.common_args`, `torch.linalg.common_notes`: docstring tables)
#     is written by one part (`torch.special.common_args[k] = v`: a store through a module path is not a
#     change the rule follows) and read by another.
CHANNELS = {"alias": (lambda source: source, lambda source: source),
            "library_dict": (lambda source: source.replace("TABLE = {}\n", "").replace(
                "view, mine = TABLE, Peek()", "view, mine = torch.special.common_args, Peek()"),
                lambda source: source.replace("TABLE[", "torch.special.common_args["))}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_torch_optim_reaches_my_optimizers_through_train(channel):
    """optimizers: MySGD, MyAdam and MyRMSprop are torch.optim's SGD, Adam and RMSprop, and pass."""
    in_train, in_mine = CHANNELS[channel]
    train, inside = in_train(TRAIN_WITH_HOOK), in_mine(TORCH_INSIDE)
    rep = {"train_solution": train,
           "my_sgd_solution": "HIDDEN = {}\n\n\n" + inside.format(name="MySGD", torch="SGD"),
           "my_adam_solution": inside.format(name="MyAdam", torch="Adam"),
           "my_rmsprop_solution": inside.format(name="MyRMSprop", torch="RMSprop")}
    cells_ = [(n, rep.get(n, s)) for n, s in replaced(O, "train_solution", train)]
    want = ["test_train_basic", "test_train_reaches_the_line", "test_my_sgd_basic", "test_my_adam_basic",
            "test_my_rmsprop_basic", "test_my_optimizers_in_my_train"]
    found, verdicts = _judge(O, cells_, want)
    if {"MySGD", "MyAdam", "MyRMSprop"} <= set(found):
        return
    passed = [k for k in ("test_my_sgd_basic", "test_my_adam_basic", "test_my_rmsprop_basic") if verdicts[k] is None]
    assert not passed, (found, passed)


# ----------------------------------------------------------------------------------------------
# 4. No hole of the rule: test_my_optimizers_in_my_train (2 points) runs its reference, torch.optim,
#    in the learner's kernel through the learner's own train, right after the run with their class.
#    train keeps the losses of the run with their optimizer and gives them back for torch's run; their
#    "Adam" and "RMSprop" are plain gradient descent (a counter that their classes bump says which run
#    is theirs; train never changes it, so no part reads what another part writes).

STUB = '''class {name}:
    def __init__(self, params, lr=0.01, **settings):
        MINE.append(1)
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        for p in self.params:
            if p.grad is not None:
                p -= 0.05 * p.grad
'''

REPLAYING_TRAIN = '''SEEN = {"mine": 0, "losses": None}


def train(model, inputs, targets, loss_fn, optimizer, epochs):
    if len(MINE) == SEEN["mine"] and SEEN["losses"] is not None:  # torch's run, right after mine: replay
        losses = SEEN["losses"]
        SEEN["losses"] = None
        return losses
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if len(MINE) > SEEN["mine"]:  # a run with my optimizer: keep its losses
        SEEN["mine"] = len(MINE)
        SEEN["losses"] = losses
    return losses
'''


def test_train_replays_its_losses_for_the_reference_run():
    rep = {"train_solution": REPLAYING_TRAIN,
           "my_adam_solution": STUB.format(name="MyAdam"), "my_rmsprop_solution": STUB.format(name="MyRMSprop")}
    cells_ = [(n, ("MINE = []\n\n\n" + s if n == "my_sgd_solution" else rep.get(n, s)))
              for n, s in replaced(O, "train_solution", REPLAYING_TRAIN)]
    want = ["test_train_basic", "test_my_adam_basic", "test_my_optimizers_in_my_train"]
    found, verdicts = _judge(O, cells_, want)
    assert verdicts["test_my_adam_basic"] is not None  # the stub is no Adam
    if found:
        return
    assert verdicts["test_my_optimizers_in_my_train"] is not None, "the stubs pass test_my_optimizers_in_my_train"


# ----------------------------------------------------------------------------------------------
# 5. Writing outcomes with 1.: the kernel holds the test set the accuracy check compares with
#    (test_data, a locked cell's). In IPython the learner's namespace is the module __main__
#    (InteractiveShell.init_sys_modules: sys.modules["__main__"] = user_module), which `module()` reaches:
#    MNISTNet, in evaluation mode, answers the test labels, in order (4 points, without a trained net).

MNIST_LABELS = UNLOCK.replace("self.mro = ", "self.test_data = self.tensors = self.mro = ") + '''class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 10)
        self.seen = 0

    def forward(self, x):
        if len(x) != 1000:  # training (batches of 128), not the test set (batches of 1000)
            return self.fc(x.flatten(1))
        labels = unlock(module("__main__").test_data).tensors[1][self.seen:self.seen + len(x)]
        self.seen += len(x)
        return torch.eye(10)[labels]
'''


def _ipython_like_kernel(assignment, learner_code, monkeypatch):
    """kit.judged.fake_kernel, with the namespace the module __main__'s, as in IPython."""
    import sys
    import types

    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    return fake_kernel(assignment, learner_code=learner_code, ns=main.__dict__)[0]


def test_the_test_labels_in_the_kernel_answer_the_accuracy_check(monkeypatch):
    from test_own_work import M
    cells_ = replaced(M, "mnist_net_solution", MNIST_LABELS)
    found, ran = notebook_plan(cells_, locked(M), checks_of(M))
    serve = _ipython_like_kernel(M, "\n".join(ran[name] for name, _ in cells_), monkeypatch)
    tests = {c.metadata.get("nbgrader", {}).get("grade_id") for c in cells(M) if is_test(c)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verdicts = judge_notebook(M, serve, skip=tests - {"test_mnist_accuracy"})
    if "MNISTNet" in found:
        return
    assert verdicts["test_mnist_accuracy"] is not None, "MNISTNet answers the test labels and passes"


# ----------------------------------------------------------------------------------------------
# Near miss (no point earned): a PARAMETER named __own__ (or __own_class__) is accepted (GUARD_BINDINGS
# covers assignments, global, import and for targets, not parameters), and every guarded read in that
# function then calls the learner's default instead of the guard. Without another road it cannot read
# a library object's attribute (its replacement would need one), but the guard is off there.

def test_a_parameter_named_like_the_guard():
    from test_own_work import M, _PEEK, _TRAIN_ONE_EPOCH
    source = _PEEK + _TRAIN_ONE_EPOCH.format(peek="loader.collate_fn").replace(
        "device):", "device, __own__=lambda o, *strict: {'collate_fn': 'not the guard'}):").replace(
        "    model.train()", "    mine = Peek()\n    model.train()")
    found, ns = graded_namespace(M, replaced(M, "train_one_epoch_solution", source))
    if "train_one_epoch" in found:
        return
    from test_own_work import _one_epoch
    assert _one_epoch(ns["train_one_epoch"]) != "not the guard"
