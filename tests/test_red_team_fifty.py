"""An independent red team's fiftieth round (a desk round on 8220d02 over every assignment, run where it could). It found
no points without the work; its one finding, as it wrote it:

F1. A scratch cell with an expression nested deeper than the reader's recursion reaches (`x = 1+1+...+1`, 600 terms or
    more, which Python compiles and runs) raised RecursionError out of the own-work reader, and so out of reading the
    notebook: its grading failed as a whole and the learner was graded as the blank copy, with a vague reason. Now such a
    cell is one the reader cannot read ("nested too deeply"), as a cell that does not parse is: it does not run when
    graded, and costs a graded function only if that function's name is in it.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell

from conftest import ROOT
from grader.learner_code import read_notebook
from test_own_work import A, check, editable_cells, replaced, runs


@pytest.mark.parametrize("terms", [450, 700, 3000])
def test_a_deeply_nested_scratch_cell_is_unread_and_costs_nothing(terms):
    nb = nbformat.read(ROOT / "source" / A / f"{A}.ipynb", as_version=4)
    nb.cells.append(new_code_cell("x = " + "+".join(["1"] * terms) + "\n"))
    found = read_notebook(nb)
    assert found.tampering == () and found.own_work == {}, found
    cells = editable_cells(A) + [("deep", "x = " + "+".join(["1"] * terms) + "\n")]
    assert check(A, cells) == {} and runs(A, cells)["deep"] == ""


def test_a_graded_function_in_a_cell_too_deep_to_read_is_refused_by_name():
    deep = "def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean() * (" + "+".join(["1"] * 700) + ")\n"
    found = check(A, replaced(A, "mse_loss_solution", deep))
    assert "nested too deeply" in " ".join(found["mse_loss"]), found
