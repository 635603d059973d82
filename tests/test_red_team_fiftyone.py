"""An independent red team's fifty-first round (a desk round on 3ccc278: it read the code and ran nothing), its finding
as it wrote it, confirmed here:

F1. What runs was not what was checked. The run source is `ast.unparse` of the checked trees, and the kernel reads it
    through IPython, whose doctest prompt stripper (IPython 9) takes `>>>` and `...` off the start of lines. A docstring
    written on one line as "\\n>>> 0\\n" is unparsed with a line `>>> 0`, and a string '\\x22\\x22\\x22' as '\"\"\"', which
    fools the stripper's guess of what is inside a string: the checked statement `...[type(Z).addcdiv_, T[0]] = [f, 0]`
    (a read of a listed attribute, and a store into the Ellipsis) ran as `[type(Z).addcdiv_, T[0]] = [f, 0]`, which sets
    torch.Tensor.addcdiv_ for every tensor: the step of Adam, the loop's and the check's own alike, could then land the
    weights on a network carried in the code. Now a cell whose run source IPython reads otherwise does not run, and
    costs each graded function whose code is in it.
"""
import ast

from coursekit.reading import python_text
from test_own_work import A, M, check, editable_cells, replaced, runs

ATTACK = '''T = [0]
Q = '\\x22\\x22\\x22'
Z = torch.zeros(1)

def fake_addcdiv(self, tensor1, tensor2, value=1):
    return self

...[type(Z).addcdiv_, T[0]] = [fake_addcdiv, 0]

def g():
    "\\n>>> 0\\n"
    return 0

def train_one_epoch(model, loader, loss_fn, optimizer, device):
    g(); T[0]; len(Q)
    model.train()
    total, n = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        total += loss.item() * len(x); n += len(x)
    return total / n
'''


def test_ipython_reads_the_unparsed_attack_otherwise():
    """The mechanism, which is IPython's: the text `ast.unparse` writes turns a read into a store when IPython reads it."""
    text = ast.unparse(ast.parse(ATTACK))
    assert "[type(Z).addcdiv_, T[0]] = [fake_addcdiv, 0]" in python_text(text).splitlines()


def test_a_cell_that_would_not_run_as_checked_does_not_run_and_costs_its_function():
    cells = replaced(M, "train_one_epoch_solution", ATTACK)
    assert "would not run as it was checked" in " ".join(check(M, cells)["train_one_epoch"])
    assert runs(M, cells)["train_one_epoch_solution"] == ""


def test_every_run_source_of_the_references_and_an_honest_doctest_runs_as_written():
    honest = ('def mse_loss(pred, target):\n    """The mean of the squared differences.\n\n'
              '    >>> float(mse_loss(torch.ones(2), torch.zeros(2)))\n    1.0\n    """\n'
              '    return ((pred - target) ** 2).mean()\n')
    cells = replaced(A, "mse_loss_solution", honest)
    assert check(A, cells) == {}
    for cell, source in runs(A, cells).items():
        assert ast.dump(ast.parse(python_text(source))) == ast.dump(ast.parse(source)), cell
    assert check(M, editable_cells(M)) == {}
