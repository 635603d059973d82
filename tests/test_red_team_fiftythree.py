"""An independent red team's fifty-third round (on f3f29ec: the static rule run on 26 honest loss functions and on its
attacks, the rest at the desk). It earned no point; what it found, as it wrote it:

D1. `.__init__` could be called on any object (`HARMLESS_DUNDERS`, and no guard at run time for a name starting with
    `_`): a graded function could run again the constructor of a library object a check hands it, with its own
    arguments: the MNIST check's Adam (`optimizer.__init__(params, lr=...)`), its DataLoader (`loader.__init__(
    other_dataset, ...)`, without the check's collate), a TensorDataset. Round twelve had used the same primitive on
    the optimizers' loss probe (`loss_fn.__init__(...)`), closed then by the probe itself. The round found no payoff
    (the shadow Adam and the served batches decide), and asked for a test or a narrower rule. Now the rule accepts
    `.__init__` only as a method setting up its own object: `super().__init__(...)`, `super(C, self).__init__(...)`,
    `self.__init__(...)`, `Base.__init__(self, ...)` (a class of the learner's or of a module), in an undecorated
    method whose `self` is not bound again.
FP2 (found while testing D1's fix): a call of a learner's def that changes a global (a method of a global object,
    `LOSSES.append(loss.item())`, `tracker.add(...)`, or a class's static method, `Helper.moved(x)`) made every cell
    that calls that def part of its code: the notebook's own demo cells that train with `torch.optim.Adam` then cost
    train_one_epoch its points. Such a call is part of the code now only where it runs (when a graded name's code
    holds it), which is the only place it can change anything when graded.
FP1. `.mT`, `torch.nanmean` (and, untested by the round, `ravel`) were not on the tensor list: an honest loss that
    used one lost its points. They are listed now, with `nansum`.
"""
import pytest

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
        "class Base:\n    pass\n\n\nclass Again:\n    def go(self):\n        Base.__init__(self)\n\n\nBase = print\n",
        "Again().go()"),
    "the constructor kept, not called": helper_then_loop(
        "class Again:\n    def __init__(self, opt):\n        self.set_up = opt.__init__\n", "Again(optimizer)"),
    "an exception's name over self": helper_then_loop(
        "class Again:\n    def go(self):\n        try:\n            1 / 0\n        except ZeroDivisionError as self:\n"
        "            self.__init__()\n", "Again().go()"),
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


def test_an_optimizer_set_up_by_its_own_base_class_or_again_by_itself_is_its_own_work():
    source = dict(editable_cells(O))["my_sgd_solution"]
    assert source.count("class MySGD:") == 1 and source.count("    def zero_grad(self") == 1, source[:300]
    based = ("class Base:\n    def __init__(self, params):\n        self.params = list(params)\n\n\n"
             + source.replace("class MySGD:", "class MySGD(Base):").replace(
                 "    def zero_grad(self", "    def restart(self, params, lr):\n        Base.__init__(self, params)\n"
                                          "        self.__init__(params, lr)\n\n    def zero_grad(self"))
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


def test_a_call_that_runs_is_part_of_the_code_of_what_reads_the_global_it_changes():
    """The scratch call runs (evaluate reads what it binds, and it passes evaluate's list), and it changes STASH
    through the loop: it is part of MNISTNet's code, which reads STASH, and is checked against MNISTNet's list."""
    loop = helper_then_loop("STASH = []\n", "STASH.append(optimizer)")
    net = NET.replace("super().__init__()", "super().__init__()\n        self.kept = STASH")
    assert "self.kept = STASH" in net
    caller = ("caller", "RUN = train_one_epoch(MNISTNet().eval(), [], None, None, 'cpu')\n")
    evaluate = dict(editable_cells(M))["evaluate_solution"].replace("model.eval()", "model.eval()\n    RUN")
    cells = replaced(M, "train_one_epoch_solution", loop, caller)
    cells = [(n, net if n == "mnist_net_solution" else evaluate if n == "evaluate_solution" else s) for n, s in cells]
    found = check(M, cells)
    assert "train_one_epoch(MNISTNet().eval()" in " ".join(found.get("MNISTNet", [])), found
    assert "RUN = train_one_epoch" in runs(M, cells)["caller"]
