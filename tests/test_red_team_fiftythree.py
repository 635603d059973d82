"""An independent red team's fifty-third round (on f3f29ec: the static rule run on 26 honest loss functions and on its
attacks, the rest at the desk). It earned no point; what it found, as it wrote it:

D1. `.__init__` could be called on any object (`HARMLESS_DUNDERS`, and no guard at run time for a name starting with
    `_`): a graded function could run again the constructor of a library object a check hands it, with its own
    arguments: the MNIST check's Adam (`optimizer.__init__(params, lr=...)`), its DataLoader (`loader.__init__(
    other_dataset, ...)`, without the check's collate), a TensorDataset. Round twelve had used the same primitive on
    the optimizers' loss probe (`loss_fn.__init__(...)`), closed then by the probe itself. The round found no payoff
    (the shadow Adam and the served batches decide), and asked for a test or a narrower rule. Now the rule accepts
    `.__init__` only as a method setting up its own object (narrowed by round fifty-four, F2 below).
FP2 (found while testing D1's fix): a graded function that changes a global (a method of a global object,
    `LOSSES.append(loss.item())`, `tracker.add(...)`, or a class's static method, `Helper.moved(x)`) made every cell
    that calls it part of its code: the notebook's own demo cells that train with `torch.optim.Adam` then cost
    train_one_epoch its points. A call of the graded function itself is part of its code now only where it runs
    (when a graded name's code holds it), the only place it changes anything when graded; a call of another def
    that changes a global stays part of it wherever it is (`configure(1e-8)` sets what a loss reads).
Round fifty-four, on that fix (its two findings confirmed by the rule, neither shown to earn a point):
F1. A call through a second def escaped the caller rule, which it also did before: `def keep(x): STASH.append(x)`,
    `def hand(x): keep(x)`, and `RUN = hand(DATA)`, a unit evaluate's code holds (so it runs), was part of no code
    that reads STASH; DATA (1,844 bytes) counted against evaluate's budget instead of MNISTNet's. A def or class that
    calls a def that changes a global is such a def too now.
F2. `self.__init__(...)` in a plain method, and `Base.__init__(self)` there, re-ran a constructor on the check's
    object when the method is called on its class (`Again.go(optimizer, ...)`). `.__init__` is accepted now only in
    a class's own `__init__`, to set up its base.
FP1. `.mT`, `torch.nanmean` (and, untested by the round, `ravel`) were not on the tensor list: an honest loss that
    used one lost its points. They are listed now, with `nansum`.
"""
import pytest

from coursekit import own_work

from test_own_work import A, M, O, check, editable_cells, replaced, runs

LOOP = dict(editable_cells(M))["train_one_epoch_solution"]
NET = dict(editable_cells(M))["mnist_net_solution"]


def loop_with(line):
    assert LOOP.count("model.train()") == 1
    return LOOP.replace("model.train()", "model.train()\n    " + line)


def helper_then_loop(helper, line):
    """A helper class of the learner's, which the loop uses at its start."""
    return helper + "\n\n" + loop_with(line)


ATTACKS = {
    "the check's Adam set up again": loop_with("optimizer.__init__(model.parameters(), lr=0.01)"),
    "the check's loader set up again": loop_with("loader.__init__(loader.dataset, batch_size=64)"),
    "super() of another object": helper_then_loop(
        "class Again:\n    def __init__(self, opt, params):\n        super(type(opt), opt).__init__(params, {'lr': 0.01})\n",
        "Again(optimizer, model.parameters())"),
    "self bound again": helper_then_loop(
        "class Again:\n    def __init__(self, opt, params):\n        self = opt\n        self.__init__(params, lr=0.01)\n",
        "Again(optimizer, model.parameters())"),
    "a static method": helper_then_loop(
        "class Again:\n    @staticmethod\n    def go(opt, params):\n        opt.__init__(params, lr=0.01)\n",
        "Again.go(optimizer, model.parameters())"),
    "a method's other argument": helper_then_loop(
        "class Again:\n    def go(self, opt, params):\n        opt.__init__(params, lr=0.01)\n",
        "Again().go(optimizer, model.parameters())"),
    "a class name bound again to an object": helper_then_loop(
        "class Base:\n    pass\n\n\nclass Again:\n    def __init__(self):\n        Base.__init__(self)\n\n\n"
        "Base = print\n", "Again()"),
    "the constructor kept, not called": helper_then_loop(
        "class Again:\n    def __init__(self, opt):\n        self.set_up = opt.__init__\n", "Again(optimizer)"),
    "self.__init__ in a method called on its class with the check's object": helper_then_loop(
        "class Again:\n    def go(self, params):\n        self.__init__(params, lr=0.01)\n",
        "Again.go(optimizer, model.parameters())"),
    "a base's __init__ in a method called on its class with the check's object": helper_then_loop(
        "class Base:\n    def __init__(self):\n        self.lr = 0.01\n\n\nclass Again(Base):\n"
        "    def go(self):\n        Base.__init__(self)\n", "Again.go(optimizer)"),
    "an exception's name over self": helper_then_loop(
        "class Again:\n    def __init__(self):\n        try:\n            1 / 0\n        except ZeroDivisionError as self:\n"
        "            super(Again, self).__init__()\n", "Again()"),
}


@pytest.mark.parametrize("name", ATTACKS)
def test_a_constructor_run_on_an_object_not_the_methods_own_is_refused(name):
    found = check(M, replaced(M, "train_one_epoch_solution", ATTACKS[name]))
    assert "uses .__init__" in " ".join(found.get("train_one_epoch", [])), found


HONEST = {
    "super()": NET,
    "super(C, self)": NET.replace("super().__init__()", "super(MNISTNet, self).__init__()"),
    "nn.Module.__init__(self)": NET.replace("super().__init__()", "nn.Module.__init__(self)"),
    "torch.nn.Module.__init__(self)": NET.replace("super().__init__()", "torch.nn.Module.__init__(self)"),
}


@pytest.mark.parametrize("name", HONEST)
def test_a_class_setting_itself_up_is_its_own_work(name):
    assert "super().__init__()" in NET
    assert check(M, replaced(M, "mnist_net_solution", HONEST[name])) == {}


def test_an_optimizer_set_up_by_its_own_base_class_is_its_own_work():
    source = dict(editable_cells(O))["my_sgd_solution"]
    assert source.count("class MySGD:") == 1 and source.count("        self.params = list(params)\n") == 1, source
    based = ("class Base:\n    def __init__(self, params):\n        self.params = list(params)\n\n\n"
             + source.replace("class MySGD:", "class MySGD(Base):").replace(
                 "        self.params = list(params)\n", "        Base.__init__(self, params)\n"))
    assert check(O, replaced(O, "my_sgd_solution", based)) == {}


def test_the_tensor_operations_the_round_wrote_are_listed():
    source = ("def mse_loss(pred, target):\n    d = (pred - target).ravel()\n"
              "    return torch.nanmean(d * d) + 0 * torch.nansum(d.reshape(1, -1).mT)\n")
    assert check(A, replaced(A, "mse_loss_solution", source)) == {}


TRACKERS = {
    "a global list": ("LOSSES = []\n", "LOSSES.append(0.0)"),
    "a global object's method": ("class Tracker:\n    def __init__(self):\n        self.seen = []\n\n"
                                 "    def add(self, value):\n        self.seen.append(value)\n\n\nTRACK = Tracker()\n",
                                 "TRACK.add(0.0)"),
    "a class's static method": ("class Helper:\n    @staticmethod\n    def moved(x):\n        return x.to('cpu')\n",
                                "Helper.moved(torch.zeros(1))"),
}


@pytest.mark.parametrize("name", TRACKERS)
def test_a_loop_that_changes_a_global_keeps_its_points_whatever_the_demo_cells_call_it_with(name):
    helper, line = TRACKERS[name]
    cells = replaced(M, "train_one_epoch_solution", helper_then_loop(helper, line))
    assert any("torch.optim.Adam" in source and "train_one_epoch(" in source for _, source in cells)  # the demos
    assert check(M, cells) == {}


def test_a_call_that_runs_is_part_of_the_code_of_what_reads_the_global_it_changes(monkeypatch):
    """The scratch call runs (evaluate reads what it binds, and it passes evaluate's list), and it changes STASH
    through the loop: it is part of MNISTNet's code, which reads STASH, and is checked against MNISTNet's list."""
    loop = helper_then_loop("STASH = []\n", "STASH.append(optimizer)")
    net = NET.replace("super().__init__()", "super().__init__()\n        self.kept = STASH")
    assert "self.kept = STASH" in net
    caller = ("caller", "RUN = train_one_epoch(MNISTNet().eval(), [], None, None, 'cpu')\n")
    evaluate = dict(editable_cells(M))["evaluate_solution"].replace("model.eval()", "model.eval()\n    RUN")
    monkeypatch.setattr(own_work, "MAX_REASONS", 100)
    cells = replaced(M, "train_one_epoch_solution", loop, caller)
    cells = [(n, net if n == "mnist_net_solution" else evaluate if n == "evaluate_solution" else s) for n, s in cells]
    found = check(M, cells)
    assert "train_one_epoch(MNISTNet().eval()" in " ".join(found.get("MNISTNet", [])), found
    assert "RUN = train_one_epoch" in runs(M, cells)["caller"]


def test_a_call_through_a_second_def_is_part_of_the_code_of_what_reads_the_global():
    data = "DATA = [" + ", ".join(str(i % 97) for i in range(1500)) + "]\n"  # (1,518 bytes: MNISTNet may carry 1,024)
    keep = "STASH = []\n\n\ndef keep(x):\n    STASH.append(x)\n\n\ndef hand(x):\n    keep(x)\n\n\n" + data
    net = NET.replace("super().__init__()", "super().__init__()\n        self.kept = STASH")
    evaluate = dict(editable_cells(M))["evaluate_solution"].replace("model.eval()", "model.eval()\n    RUN")
    cells = [(n, net if n == "mnist_net_solution" else evaluate if n == "evaluate_solution" else s)
             for n, s in editable_cells(M)] + [("helpers", keep), ("caller", "RUN = hand(DATA)\n")]
    found = check(M, cells)
    assert "bytes of data" in " ".join(found.get("MNISTNet", [])), found


def test_a_setting_made_by_a_call_is_part_of_the_code_that_reads_it():
    """Honest: a loss reads a global table that a call of the learner's own def fills; the call runs when graded."""
    source = ("SETTINGS = {}\n\n\ndef configure(scale):\n    SETTINGS['scale'] = scale\n\n\nconfigure(1.0)\n\n\n"
              "def mse_loss(pred, target):\n    return SETTINGS['scale'] * ((pred - target) ** 2).mean()\n")
    cells = replaced(A, "mse_loss_solution", source)
    assert check(A, cells) == {}
    assert "configure(1.0)" in runs(A, cells)["mse_loss_solution"]


# Round fifty-five (a desk round on 8d154f5, its findings confirmed with the static rule):
# FP. train_one_epoch and evaluate both logging to one global (directly, or through a shared `note()`) made the demo
#     cells, which call the OTHER graded function, part of each one's code: both scored 0. A call of any graded name
#     (or of a plain alias of one) is now part of the code only where it runs.
# F1. An alias `K = keep` (a table of it, an instance of a class that calls it) never joined the defs whose calls are
#     part of the code: `RUN = K(DATA)`, run for evaluate, filled the global MNISTNet reads with data counted against
#     no budget of MNISTNet's. What a call-pulled statement binds is such a def now too.
# F2. `hasattr(x, "__init__")` crashed the reader (the whole notebook graded as blank); `go = __init__` in a class body
#     let its __init__ be called on the class with another object. Both are refused, with a reason.
EVALUATE = dict(editable_cells(M))["evaluate_solution"]
LOG = "LOG = []\n\n\ndef note(value):\n    LOG.append(value)\n\n\n"


def logging(source, call):
    assert source.count("\n    return ") == 1
    return source.replace("\n    return ", f"\n    {call}\n    return ")


def test_two_graded_functions_that_log_to_one_global_keep_their_points():
    both = {"train_one_epoch_solution": LOG + logging(LOOP, "note(0.0)"),
            "evaluate_solution": logging(EVALUATE, "note(1.0)")}
    cells = [(n, both.get(n, s)) for n, s in editable_cells(M)]
    assert check(M, cells) == {}
    direct = {"train_one_epoch_solution": "HISTORY = {'loss': [], 'accuracy': []}\n\n\n"
                                          + logging(LOOP, "HISTORY['loss'].append(0.0)"),
              "evaluate_solution": logging(EVALUATE, "HISTORY['accuracy'].append(1.0)")}
    cells = [(n, direct.get(n, s)) for n, s in editable_cells(M)]
    assert check(M, cells) == {}
    fit = ("fit", "T = train_one_epoch\n\n\ndef fit(net, epochs):\n    opt = torch.optim.Adam(net.parameters())\n"
                  "    for _ in range(epochs):\n        T(net, train_loader, nn.CrossEntropyLoss(), opt, device)\n")
    assert check(M, replaced(M, "train_one_epoch_solution", LOG + logging(LOOP, "note(0.0)"), fit)) == {}


@pytest.mark.parametrize("helpers, caller", [
    ("K = keep\n", "RUN = K(DATA)\n"),
    ("TABLE = {'k': keep}\n", "RUN = TABLE['k'](DATA)\n"),
    ("class Keeper:\n    def put(self, x):\n        keep(x)\n\n\nKEEPER = Keeper()\n", "RUN = KEEPER.put(DATA)\n"),
], ids=["alias", "table", "instance"])
def test_data_handed_through_what_a_def_is_bound_to_counts_against_the_budget_of_what_reads_it(helpers, caller):
    data = "DATA = [" + ", ".join(str(i % 97) for i in range(1500)) + "]\n"
    keep = "STASH = []\n\n\ndef keep(x):\n    STASH.append(x)\n\n\n" + helpers + "\n\n" + data
    net = NET.replace("super().__init__()", "super().__init__()\n        self.kept = STASH")
    evaluate = EVALUATE.replace("model.eval()", "model.eval()\n    RUN")
    cells = [(n, net if n == "mnist_net_solution" else evaluate if n == "evaluate_solution" else s)
             for n, s in editable_cells(M)] + [("helpers", keep), ("caller", caller)]
    assert "bytes of data" in " ".join(check(M, cells).get("MNISTNet", [])), check(M, cells)


@pytest.mark.parametrize("line", ["hasattr(model, '__init__')", "getattr(optimizer, '__init__')(model.parameters())"])
def test_init_read_by_name_is_refused_not_a_crash(line):
    found = check(M, replaced(M, "train_one_epoch_solution", loop_with(line)))
    assert "uses .__init__" in " ".join(found["train_one_epoch"]), found


def test_an_init_bound_to_a_second_name_in_its_class_is_refused():
    helper = ("class Again(Base):\n    def __init__(self, params):\n        super(Again, self).__init__(params)\n\n"
              "    go = __init__\n")
    source = ("class Base:\n    def __init__(self, params):\n        self.params = params\n\n\n"
              + helper_then_loop(helper, "Again.go(optimizer, model.parameters())"))
    found = check(M, replaced(M, "train_one_epoch_solution", source))
    assert "uses .__init__" in " ".join(found["train_one_epoch"]), found
