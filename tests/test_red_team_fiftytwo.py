"""An independent red team's fifty-second round (on c82d498, confirmed by a whole `nbgrader autograde` in the sandbox),
its finding as it wrote it:

F1. IPython's automagic ran code nobody checked. The kernel reads a cell through `InteractiveShell.transform_cell`:
    IPython's static transform (what the reader compared, round fifty-one), then, for a cell that is ONE line after it,
    the prefilter, whose reading depends on the kernel's state. With automagic on (IPython's default), `env[...] = 0`
    runs as the %env magic when no `env` is bound yet, and a magic's argument has each `{expr}` in it evaluated: a
    string, data to the reader, ran as code. The reader took `env` for the learner's own name (a later cell binds it:
    the rules do not read the order of the cells) and kept the store, a unit that changes `env`, which a graded
    function read; a cell holding only it was one line once IPython dropped the blank lines before it. The payload
    set `l1_loss` to PyTorch's own (`torch._refs`): 2 of 2 points on a stub that returns 0.
    Now every run source ends with a comment line, so the kernel never hands a graded cell to the prefilter; a run
    source that IPython would still read as one line does not run; and the grading kernel has automagic and autocall
    off besides.
"""
import ast
import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from coursekit import own_work
from grader.course import nbgrader, scratch_course
from coursekit.reading import python_text
from kit.course_tools import cell_scores, filled_student_copy
from test_own_work import A, M, O, R, check, editable_cells, replaced, runs

STUB = "def l1_loss(pred, target):\n    env\n    return pred.sum() * 0\n"
PAYLOAD = ("env['{exec(\"import torch._refs.nn.functional as R; get_ipython().user_ns[\\'l1_loss\\'] = "
           "lambda pred, target: R.l1_loss(pred, target)\")}'] = 0\n")
ATTACK = replaced(A, "l1_loss_solution", STUB, ("payload", PAYLOAD), ("later", "env = {}\n"))


def kernel_readings(sources):
    """What a kernel's IPython (automagic on, IPython's default) reads each of `sources` as: its
    `transform_cell`, prefilter included, in a Python of its own (the shell is a process-wide singleton)."""
    code = ("import json, sys\nfrom IPython.core.interactiveshell import InteractiveShell\n"
            "shell = InteractiveShell.instance(history_manager=None)\n"
            "print(json.dumps([shell.transform_cell(s) for s in json.load(sys.stdin)]))\n")
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(sources), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.slow
def test_the_kernel_reads_a_one_line_cell_through_its_automagic():
    """The mechanism, which is IPython's: one line `env[...] = 0` runs as the %env magic."""
    [reading] = kernel_readings(["\n\n" + PAYLOAD])
    assert "run_line_magic('env'" in reading


def test_the_reader_takes_the_store_for_the_learners_own_and_runs_it():
    """The attack as the rules read it: nothing refused, and the payload's cell runs when graded."""
    assert check(A, ATTACK) == {}
    assert runs(A, ATTACK)["payload"].strip().startswith("env[")


def test_a_text_ipython_reads_as_one_line_does_not_run_as_written():
    assert not own_work._runs_as_written("\n\n" + PAYLOAD)
    assert not own_work._runs_as_written("x = 1\n")
    assert own_work._runs_as_written("x = 1\n#\n")


@pytest.mark.slow
def test_every_run_source_is_read_by_the_kernel_as_it_was_checked():
    """The attack's and every assignment's reference cells: each run source is two lines or more after IPython's
    static transform, and the kernel's own reading (automagic on) is the checked syntax tree."""
    sources = [s for a, cells in ((A, ATTACK), (A, editable_cells(A)), (O, editable_cells(O)),
                                  (M, editable_cells(M)), (R, editable_cells(R)))
               for s in runs(a, cells).values() if s.strip()]
    assert any(s.strip().startswith("env[") for s in sources)
    for source in sources:
        assert len(python_text(source).splitlines()) > 1, source
    for source, reading in zip(sources, kernel_readings(sources), strict=True):
        assert ast.dump(ast.parse(reading)) == ast.dump(ast.parse(source)), (source, reading)


@pytest.mark.slow
def test_the_attack_earns_no_point_when_graded(tmp_path):
    """The round's notebook, graded by `nbgrader autograde` with the course's configuration (sandboxed kernel):
    l1_loss's checks score 0, and the payload's cell ran as Python (the store fails: no `env` yet), not as %env."""
    course = tmp_path / "course"
    scratch_course(course, [A])
    nb = filled_student_copy(A, f"{A}.ipynb", course, {"l1_loss_solution": STUB})
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "l1_loss_solution")
    nb.cells.insert(at + 1, new_code_cell(PAYLOAD))
    nb.cells.append(new_code_cell("env = {}\n"))
    folder = course / "submitted" / "mallory" / A
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{A}.ipynb")
    proc = nbgrader("autograde", A, "--student", "mallory", "--force", cwd=course, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", A, ["mallory"])["mallory"]
    assert scores["test_l1_loss_basic"][0] == 0 and scores["test_l1_loss_shapes"][0] == 0, scores
    assert scores["test_mse_loss_basic"][0] == scores["test_mse_loss_basic"][1], scores
    graded = nbformat.read(course / "autograded" / "mallory" / A / f"{A}.ipynb", as_version=4)
    payload = next(c for c in graded.cells if c.cell_type == "code" and c.source == PAYLOAD)
    text = json.dumps(payload.outputs)
    assert "env:" not in text and "NameError" in text, text
    shutil.rmtree(course, ignore_errors=True)
