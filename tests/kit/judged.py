"""The judge (grader/judge.py) on a real assignment with the learner's kernel played by a namespace
in this process, answering through grader/kernel_side.py's `serve`: quick to run for many seeds,
with nothing of nbgrader or Jupyter in the way (tests/test_judge.py, bench/check_seeds.py)."""
import json
import os
import types
from unittest import mock

import nbformat

from coursekit.reading import module_level_names, python_text, read_cell
from grader import kernel_side
from grader.course import ROOT, references
from grader.judge import Judge
from grader.notebook import is_locked

SLOW_CELLS = {"test_mnist_accuracy"}  # two epochs of MNIST: the class-grading tests run it


def cells(assignment, release=False):
    folder = "release" if release else "source"
    return nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4).cells


def is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade") and not meta.get("solution")) and cell.cell_type == "code"


def fake_kernel(assignment, release=False, learner_code="", ns=None):
    """The learner's kernel, played here: every cell but the tests run in a namespace (`ns`, or a new
    one; then `learner_code`, a cell of the learner's own); returns the `request` function the judge
    sends its JSON to, and the list of what was sent."""
    ns = {} if ns is None else ns
    for cell in cells(assignment, release):
        free = "nbgrader" not in cell.metadata  # the learner's own cells: timing, comparisons (not graded)
        if cell.cell_type == "code" and not is_test(cell) and not free:
            try:
                with mock.patch.dict(os.environ, NBGRADER_EXECUTION="autograde"):  # as nbgrader runs the kernel
                    exec(python_text(cell.source), ns)
            except NotImplementedError:
                pass
    shell = types.SimpleNamespace(user_ns=ns)
    module = types.ModuleType("kernel")
    exec(compile(open(kernel_side.__file__).read(), "kernel", "exec"), module.__dict__)
    module.get_ipython = lambda: shell
    module.install_guards(ns)  # as grader/kernel_side.py's install_code, before the learner's code
    locked = [c for c in cells(assignment, release) if c.cell_type == "code" and not is_test(c) and is_locked(c)]
    names = sorted(set().union(*(module_level_names(read_cell(c.source)[0]) for c in locked)))
    module.serve(json.dumps({"op": "keep", "names": names}))  # as grader/execute.py after each locked cell
    exec(learner_code, ns)
    sent = []

    def request(payload):
        sent.append(payload)
        return module.serve(payload)
    return request, sent


def judge_notebook(assignment, request, source_assignment=None, seed=1234, skip=SLOW_CELLS, printed=None):
    """Run the source notebook's locked cells and tests but `skip` in a judge, every check drawing
    its inputs from `seed`; {grade_id: error or None}. What each check prints goes in `printed`."""
    judge = Judge(request)
    verdicts, loaded = {}, False
    for cell in cells(source_assignment or assignment):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade_id") in skip:
            continue
        if is_test(cell) and not loaded:  # as grader/execute.py: after the locked cells, before the checks
            loaded = True
            assert judge.run(references(source_assignment or assignment), test=False)[1] is None
        if is_test(cell):
            output, verdicts[meta["grade_id"]] = judge.run(cell.source, seed=seed)
            if printed is not None:
                printed[meta["grade_id"]] = output
        elif meta.get("locked"):
            _, error = judge.run(cell.source, test=False)
            assert error is None, f"locked cell {meta['grade_id']}: {error!r}"
    return verdicts


def honest_notebooks(assignment):
    """The honest corpus (tests/kit/honest.py) as whole notebooks: the k-th style of every graded
    function together, as the grader runs them (only what the own-work plan runs)."""
    from coursekit.own_work import notebook_plan
    from tests.kit.honest import HONEST
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    learner = [(c.metadata.get("nbgrader", {}).get("grade_id", str(i + 1)), c.source) for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("locked")]
    locked = [c.source for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")]
    tests = [c.source for c in nb.cells if is_test(c)]
    assert assignment in HONEST, f"tests/kit/honest.py has no honest styles of {assignment}'s graded functions"
    variants = HONEST[assignment]
    for k in range(max(len(v) for v in variants.values())):
        cells = [(name, variants[name][k % len(variants[name])] if name in variants else source)
                 for name, source in learner if name in variants]
        found, runs = notebook_plan(cells, locked, tests)
        yield k, found, "\n".join(runs[name] for name, _ in cells)
