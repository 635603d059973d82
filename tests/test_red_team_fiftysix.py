"""An independent red team's fifty-sixth and fifty-seventh rounds (desk rounds: the static rule run on tiny snippets).

FP1 (round fifty-six). An honest loop that appends to a global log (`HISTORY.append(...)`, style 8 of the honest
    train_one_epoch) lost its points to a scratch cell that only looked at the log: `plt.plot(HISTORY)` hands the list
    to a function of matplotlib's, which may change it, so that statement was part of the loop's code and used what
    its list does not allow; so did a learning-rate sweep that appends to the log beside `torch.optim.SGD(...)`. A
    statement the code does not need defined (it only changes what the code reads, or calls what does) and that uses
    what the list does not allow is now left out of the code, and does not run for it: the loop keeps its points. It
    still costs them when it runs all the same, for another graded name.
F1 (round fifty-seven, on that change). A statement left out only because it reads what a left-out one binds, which
    ran for another graded name (at the cost of that name's points), carried 900 bytes into a global mse_loss reads
    past mse_loss's budget. A left-out statement that runs all the same is part of the code again: checked against
    the list and counted in the budget.
Round fifty-eight (desk, on the first form of that change, which added a left-out statement that runs back to the code
    alone, after the fact):
F1. What only such a statement reaches (`DATA = [...]`, read by `YLOG.append(STASH.extend(DATA) or (lambda: W))`) was
    in no code's budget: 900 bytes more in a global mse_loss reads, at no graded name's cost (l1_loss's code, for which
    the statement runs, binds W itself; mse_loss's does not, so the statement was left out of it as a reader of a
    left-out binding).
F2. Such a statement ran without the guards of the name it was added back to: `STASH.append(lambda o: o.step())`, for
    MySGD's code, called `.step()` of any object, where MySGD's code reads `.step` only of the learner's own objects.
    Now a statement that runs is never left out: grading finds the code again, with it kept, until what runs leaves out
    nothing; it is then part of the code with all it reaches, checked, guarded and counted as any statement is.
Round fifty-nine (desk; 7,100 random scratch programs found nothing that runs outside a name's checked code):
FP1. An honest fill, `scale = 1.0` then `TABLE['scale'] = scale`, did not run when graded (mse_loss scored 0, its
    visible check passed) once a later scratch loop reused the name, `for scale in [...]: plt.plot(...)`: the loop was
    left out, `scale` counted as bound by left-out lines alone, and the fill, which reads it, was left out with it. A
    name is gone now only when no line that stays in the code binds it; the note says why each line is left out.
Round sixty (desk): the same with a name the kernel holds before the learner's cells run. A fill that calls `max(...)`
    did not run once a later plot cell rebound it (`min, max = torch.tensor(values).aminmax()`, `for max in [...]`): such
    a name (Python's, IPython's, a locked cell's) is never gone.
Round sixty-one (desk; its random search ran each notebook in order and as graded):
FP1. A line kept in the code could read a name that, when graded, nothing binds before it: its NameError stopped the
    rest of its cell, the graded def below it included (the function scored 0, its visible check passed). (a) Chains:
    `baseline = round(ref_loss, 3)` read what a left-out line bound, and `HISTORY.append((baseline, 0))` read what it
    bound, but only one step was followed. (b) A later line that binds the name again (`scale = 1.0`, `del scale`
    after the fill) kept the fill that read it. Readers are followed to the end now, and a name counts as bound for a
    line only where a line that stays binds it before that line.
FP2. A log line that builds the network (`HISTORY.append((count(MNISTNet()), 0))`) brought the MNISTNet class, which
    runs for MNISTNet, into train_one_epoch's code, and cost it its points (as before the change of round fifty-six).
    A line that only reads what runs for another name and uses what this list does not allow is left out instead.
Round sixty-two (desk; a random search of 3,400 notebooks run in order and as graded):
FP1. A line's own binding counted as binding what it reads: `ref_loss = ref_loss.item()`, `scale += 0.5`,
    `scale = round(scale, 2)` stayed after the line that first bound the name was left out, and their NameError, and
    that of the log line reading them, stopped the graded def's cell. Only a def's, a class's, an import's, a `for`
    loop's or a `with` block's own names count as bound before what the line reads now, `x += 1` reads x, and
    `del x` binds nothing.
Round sixty-three (desk; no point found): a `for`, `with`, `class` or `def` line's head reads before the line binds
    (`for LOG in LOG:`, `with G as G:`, `class G(G):`): its names do not count as bound before what the head reads.
"""
import pytest

from coursekit import own_work
from coursekit.own_work import notebook_plan

from kit.honest import HONEST
from test_own_work import A, M, O, check, checks_of, editable_cells, locked, replaced, runs

LOGGING_LOOP = next(s for s in HONEST[M]["train_one_epoch_solution"] if "HISTORY.append" in s)
PLOT = "import matplotlib.pyplot as plt\n\nplt.plot(HISTORY)\nplt.close()\n"
SWEEP = ("for lr in [0.1, 0.01]:\n    sweep_net = MNISTNet().to(device)\n"
         "    HISTORY.append(('lr', lr))\n    train_one_epoch(sweep_net, train_loader, nn.CrossEntropyLoss(),\n"
         "                    torch.optim.SGD(sweep_net.parameters(), lr=lr), device)\n")
LOOK = "recent = HISTORY[-5:]\nprint(sorted(HISTORY)[:3], torch.optim.SGD)\n"


def with_scratch(*scratch):
    return replaced(M, "train_one_epoch_solution", LOGGING_LOOP,
                    *[(f"scratch{i}", source) for i, source in enumerate(scratch)])


def test_a_plot_or_a_sweep_of_the_log_an_honest_loop_appends_to_costs_it_nothing():
    for scratch in ([PLOT], [SWEEP], [PLOT, SWEEP, LOOK]):
        cells = with_scratch(*scratch)
        assert check(M, cells) == {}, (scratch, check(M, cells))
        ran = "".join(text for cell, text in runs(M, cells).items() if cell.startswith("scratch"))
        assert "plt" not in ran and "SGD" not in ran, ran  # (`recent = HISTORY[-5:]` may run: its list allows it)


def test_what_is_left_out_is_named_for_the_instructor_and_the_learner():
    notes = {}
    notebook_plan(with_scratch(PLOT), locked(M), checks_of(M), notes=notes)
    assert any("plt.plot(HISTORY)" in note and "does not run when train_one_epoch is graded" in note
               for note in notes["train_one_epoch"]), notes


def test_a_left_out_statement_that_runs_for_another_graded_name_still_costs_the_points():
    """A layer in the log: MNISTNet's list allows it, so the statement runs for MNISTNet (whose forward reads the
    log), and train_one_epoch's does not."""
    net = "SIZES = []\n\n\n" + dict(editable_cells(M))["mnist_net_solution"].replace(
        "super().__init__()", "super().__init__()\n        self.seen = len(SIZES)")
    shared = "SIZES.append(nn.Linear(2, 2))\n"
    loop = LOGGING_LOOP.replace("start = len(HISTORY)", "start = len(HISTORY) + 0 * len(SIZES)")
    cells = replaced(M, "train_one_epoch_solution", loop, ("shared", shared))
    cells = [(n, net if n == "mnist_net_solution" else s) for n, s in cells]
    found = check(M, cells)
    assert "MNISTNet" not in found and "uses torch.nn.Linear" in " ".join(found["train_one_epoch"]), found
    assert "nn.Linear" in runs(M, cells)["shared"]


def test_data_in_a_left_out_statement_that_runs_for_another_name_counts_against_the_budget():
    """900 bytes for l1_loss, whose code W's binding costs its points; mse_loss's code holds 300 bytes of its own."""
    data = ", ".join(str(i % 97) for i in range(900))
    cells = replaced(A, "mse_loss_solution", "STASH = []\n\n\ndef mse_loss(pred, target):\n"
                     f"    return ((pred - target) ** 2).mean() + 0 * len(STASH) * len('{'m' * 300}')\n",
                     ("one", "W = np.zeros(1)\n"),
                     ("two", f"BOX = STASH.extend([{data}]) or (lambda: W)\n"),
                     ("three", "def l1_loss(pred, target):\n    return (pred - target).abs().mean() + 0 * len(BOX())\n"))
    cells = [(n, s) for n, s in cells if n != "l1_loss_solution"]
    found = check(A, cells)
    assert "uses np" in " ".join(found["l1_loss"]) and "bytes" not in " ".join(found["l1_loss"]), found
    assert "[0, 1, 2" in runs(A, cells)["two"]  # it runs for l1_loss, and changes what mse_loss reads
    assert "bytes of data" in " ".join(found["mse_loss"]), found


def test_the_code_a_name_needs_is_never_left_out():
    """A statement the code needs defined stays part of it and costs the points as before."""
    source = "import numpy as np\n\nSCALE = np.float32(2.0)\n\n\ndef mse_loss(pred, target):\n" \
             "    return ((pred - target) ** 2).mean() * SCALE / 2\n"
    found = check(A, replaced(A, "mse_loss_solution", source))
    assert "np" in " ".join(found["mse_loss"]), found
    program = own_work.Program(replaced(A, "mse_loss_solution", source), locked(A))
    units = own_work.code_of(program, {"mse_loss": ["@python", "@tensor"]})["mse_loss"]
    assert any("SCALE" in u.binds for u in units) and \
        any("SCALE" in u.binds for u in units if id(u) in own_work.required("mse_loss", units))


def test_what_a_statement_that_runs_reaches_counts_against_the_budget_of_what_it_changes():
    data = ", ".join(str(i % 97) for i in range(900))
    mse = ("STASH = []\n\n\ndef mse_loss(pred, target):\n"
           f"    return ((pred - target) ** 2).mean() + 0 * len(STASH) * len('{'m' * 700}')\n")
    l1 = "YLOG = []\nV2 = W = 0\n\n\ndef l1_loss(pred, target):\n    return (pred - target).abs().mean() + 0 * len(YLOG) * V2\n"
    cells = replaced(A, "mse_loss_solution", mse, ("one", "W = np.zeros(1)\n"), ("data", f"DATA = [{data}]\n"),
                     ("two", "YLOG.append(STASH.extend(DATA) or (lambda: W))\n"))
    cells = [(n, l1 if n == "l1_loss_solution" else s) for n, s in cells]
    found = check(A, cells)
    assert "bytes of data" in " ".join(found.get("mse_loss", [])) and "l1_loss" not in found, found


def test_a_statement_that_runs_is_guarded_for_every_name_whose_code_it_changes():
    cells = dict(editable_cells(O))
    sgd = "STASH = []\n\n\n" + cells["my_sgd_solution"].replace(
        "    def zero_grad(self):", "    def zero_grad(self):\n        [f(self) for f in STASH]")
    train = "YLOG = []\nV2 = W = 0\n\n\n" + cells["train_solution"].replace(
        "losses = []", "losses = [] + [0] * (0 * len(YLOG) * V2)")
    assert "[f(self) for f in STASH]" in sgd and "len(YLOG)" in train
    cells = replaced(O, "my_sgd_solution", sgd, ("one", "W = np.zeros(1)\n"),
                     ("two", "YLOG.append(STASH.append(lambda o: o.step()) or (lambda: W))\n"))
    cells = [(n, train if n == "train_solution" else s) for n, s in cells]
    assert check(O, cells) == {}
    assert "__own__(o, True)['step']()" in runs(O, cells)["two"], runs(O, cells)["two"]


def test_the_instructor_is_told_what_was_left_out():
    import nbformat

    from grader.course import ROOT
    from grader.learner_code import read_notebook
    nb = nbformat.read(ROOT / "source" / M / f"{M}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "train_one_epoch_solution":
            cell.source = LOGGING_LOOP
    nb.cells.append(nbformat.v4.new_code_cell(PLOT))
    found = read_notebook(nb)
    assert not found.own_work, found.own_work
    assert any("`plt.plot(HISTORY)` does not run when train_one_epoch is graded" in p for p in found.problems), found.problems


def test_a_later_loop_that_reuses_a_name_takes_nothing_from_the_fill_that_reads_it():
    source = ("TABLE = {}\nscale = 1.0\nTABLE['scale'] = scale\n\n\ndef mse_loss(pred, target):\n"
              "    return ((pred - target) ** 2).mean() * TABLE['scale']\n")
    sweep = ("import matplotlib.pyplot as plt\n\nfor scale in [0.5, 1.0, 2.0]:\n"
             "    plt.plot([mse_loss(torch.ones(1) * scale, torch.zeros(1)).item()])\nplt.close()\n")
    cells = replaced(A, "mse_loss_solution", source, ("sweep", sweep))
    notes = {}
    found, ran = notebook_plan(cells, locked(A), checks_of(A), notes=notes)
    assert found == {} and "TABLE['scale'] = scale" in ran["mse_loss_solution"], ran["mse_loss_solution"]
    assert "plt" not in ran["sweep"] and [n for n in notes["mse_loss"] if "for scale in" in n], notes


def test_a_line_that_reads_what_only_left_out_lines_bind_is_named_as_such():
    cells = replaced(A, "mse_loss_solution", "TABLE = {}\n\n\ndef mse_loss(pred, target):\n"
                     "    return ((pred - target) ** 2).mean() * len(TABLE)\n",
                     ("scratch", "import numpy as np\n\nONES = np.ones(1)\nTABLE['k'] = ONES\n"))
    notes = {}
    found, ran = notebook_plan(cells, locked(A), checks_of(A), notes=notes)
    assert found == {} and "np" not in ran["scratch"], ran
    assert any("`TABLE['k'] = ONES`" in n and "reading ONES, which no line that runs binds before it" in n
               for n in notes["mse_loss"]), notes


@pytest.mark.parametrize("scratch", ["import numpy as np\n\nmax = np.max([1.0, 2.0])\n",
                                     "import matplotlib.pyplot as plt\n\nfor max in [1, 2]:\n    plt.plot([max])\n",
                                     "min, max = torch.tensor([1.0, 2.0]).aminmax()\nprint(nn.MSELoss(), min, max)\n"])
def test_a_later_line_that_rebinds_a_builtin_takes_nothing_from_the_fill_that_calls_it(scratch):
    source = ("WEIGHTS = {}\nWEIGHTS['mean'] = 1 / max(1, 1)\n\n\ndef mse_loss(pred, target):\n"
              "    return ((pred - target) ** 2).mean() * WEIGHTS['mean']\n")
    found, ran = notebook_plan(replaced(A, "mse_loss_solution", source, ("scratch", scratch)), locked(A), checks_of(A))
    assert found == {} and "WEIGHTS['mean'] = 1 / max(1, 1)" in ran["mse_loss_solution"], ran["mse_loss_solution"]
    assert "max" not in ran["scratch"], ran["scratch"]


def _before_the_loop(scratch, loop):
    cells = replaced(M, "train_one_epoch_solution", loop)
    i = [n for n, _ in cells].index("train_one_epoch_solution")
    return cells[:i] + [("scratch", scratch)] + cells[i:]


@pytest.mark.parametrize("last, logged", [
    ("ref_loss = F.cross_entropy(untrained(images), labels).item()\nbaseline = round(ref_loss, 3)\n", "baseline"),
    ("ref_loss = F.cross_entropy(untrained(images), labels)\nref_loss = ref_loss.item()\n", "ref_loss")],
    ids=["a chain (round sixty-one)", "a value made into a number in place (round sixty-two)"])
def test_a_chain_of_lines_that_read_what_a_left_out_line_binds_is_left_out_to_the_end(last, logged):
    loop = LOGGING_LOOP.replace("HISTORY = []", f"HISTORY = []\nHISTORY.append(({logged}, 0))", 1)
    scratch = "untrained = MNISTNet()\nimages, labels = train_data[:64]\n" + last
    found, ran = notebook_plan(_before_the_loop(scratch, loop), locked(M), checks_of(M))
    assert found == {} and "def train_one_epoch" in ran["train_one_epoch_solution"]
    assert logged not in ran["train_one_epoch_solution"] + ran["scratch"], ran


@pytest.mark.parametrize("after", ["scale = 1.0\n", "del scale\n"])
def test_a_line_after_the_fill_that_binds_its_name_again_does_not_keep_it(after):
    fill = ("WEIGHTS = {}\nWEIGHTS['mean'] = scale\n\n\ndef mse_loss(pred, target):\n"
            "    return ((pred - target) ** 2).mean() + 0 * len(WEIGHTS)\n")
    plot = "import matplotlib.pyplot as plt\nfor scale in [0.5, 1.0]:\n    plt.plot([scale])\n"
    cells = [("s0", plot)] + replaced(A, "mse_loss_solution", fill, ("s3", after))
    found, ran = notebook_plan(cells, locked(A), checks_of(A))
    assert found == {} and "WEIGHTS['mean']" not in ran["mse_loss_solution"], ran["mse_loss_solution"]
    assert "def mse_loss" in ran["mse_loss_solution"]


@pytest.mark.parametrize("scratch", [
    "HISTORY.append((sum(p.numel() for p in MNISTNet().parameters()), 0))\n",
    "sizes = [p.numel() for p in MNISTNet().parameters()]\nHISTORY.append((float(sum(sizes)), 0))\n"])
def test_a_log_line_that_builds_the_network_costs_the_loop_nothing(scratch):
    cells = replaced(M, "train_one_epoch_solution", LOGGING_LOOP, ("scratch", scratch))
    notes = {}
    found, ran = notebook_plan(cells, locked(M), checks_of(M), notes=notes)
    assert found == {} and "HISTORY.append" not in ran["scratch"], (found, ran["scratch"])
    assert any("reading MNISTNet" in n for n in notes["train_one_epoch"]), notes


@pytest.mark.parametrize("middle", ["scale += 0.5\n", "scale = scale * 2\n", "scale = round(scale, 2)\n",
                                    "scale: float = scale\n", "del scale\nfor scale in [1.0]:\n    plt.plot([scale])\n"])
def test_a_line_that_reads_a_left_out_name_before_it_binds_it_again_is_left_out(middle):
    fill = ("WEIGHTS = {}\nWEIGHTS['mean'] = scale\n\n\ndef mse_loss(pred, target):\n"
            "    return ((pred - target) ** 2).mean() + 0 * len(WEIGHTS)\n")
    plot = "import matplotlib.pyplot as plt\nfor scale in [0.5, 1.0]:\n    plt.plot([scale])\n"
    cells = [("s0", plot), ("s1", middle)] + replaced(A, "mse_loss_solution", fill)
    found, ran = notebook_plan(cells, locked(A), checks_of(A))
    assert found == {} and "WEIGHTS['mean']" not in ran["mse_loss_solution"], ran["mse_loss_solution"]
    assert "def mse_loss" in ran["mse_loss_solution"] and "scale" not in ran["s1"], ran



@pytest.mark.parametrize("line", ["for LOG in LOG:\n    SCALE.append(1.0)\n", "with LOG as LOG:\n    SCALE.append(1.0)\n",
                                  "class LOG(LOG):\n    SCALE.append(1.0)\n"])
def test_a_line_whose_head_reads_the_name_it_binds_does_not_bind_it_first(line):
    source = f"SCALE = [1.0]\n{line}\n\ndef mse_loss(pred, target):\n    return ((pred - target) ** 2).mean() * SCALE[0]\n"
    cells = [("s1", "LOG = [F.mse_loss]\n")] + replaced(A, "mse_loss_solution", source)
    found, ran = notebook_plan(cells, locked(A), checks_of(A))
    assert found == {} and "LOG" not in ran["mse_loss_solution"] and "def mse_loss" in ran["mse_loss_solution"], ran
