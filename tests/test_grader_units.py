"""Units of the grader that read source text only (no kernel, no nbgrader run): the cell kinds
(grader/notebook.py) as nbgrader marks them, what the tamper check protects (grader/tamper.py),
derived from the notebook rather than listed, and the course's registry of assignments
(grader/course.py)."""
import json
from pathlib import PurePosixPath

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.nbgraderformat import MetadataValidator

from conftest import RELEASE_NOTEBOOKS, ROOT, SOURCE_NOTEBOOKS, rel
from grader import worker
from grader.course import assignments, notebooks
from grader.notebook import HIDDEN_TESTS, is_learner_cell, is_test_cell, secret_lines
from grader.tamper import import_aliases, protected_modules, tampering_in_code
from tools import publish


# ----------------------------------------------------------------------------- cell kinds

def nbgrader_cell(kind, **flags):
    """A cell with nbgrader's metadata as its Create Assignment toolbar writes it."""
    meta = {"schema_version": 3, "grade_id": f"cell_{kind}", "solution": False, "grade": False, "locked": False, **flags}
    if meta["grade"] or meta.get("task"):
        meta["points"] = 1
    new = new_markdown_cell if kind in ("written_answer", "task") else new_code_cell
    return new("x = 1", metadata={"nbgrader": meta})


# kind: (metadata, the learner's, a check)
KINDS = {
    "autograded_answer": (dict(solution=True), True, False),
    "autograder_tests": (dict(grade=True, locked=True), False, True),
    "written_answer": (dict(solution=True, grade=True), True, False),
    "read_only": (dict(locked=True), False, False),
    "task": (dict(task=True, locked=True), False, False),
}


@pytest.mark.parametrize("kind", KINDS)
def test_cell_kinds_follow_nbgraders_metadata(kind):
    flags, learner, check = KINDS[kind]
    cell = nbgrader_cell(kind, **flags)
    MetadataValidator().validate_cell(cell)  # metadata nbgrader itself accepts
    assert (is_learner_cell(cell), is_test_cell(cell)) == (learner, check)


def test_a_cell_without_nbgrader_metadata_is_the_learners():
    for cell in (new_code_cell("y = 2"), new_markdown_cell("notes")):
        assert is_learner_cell(cell) and not is_test_cell(cell)


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=rel)
def test_the_learners_cells_are_the_ones_nbgrader_lets_them_edit(path):
    """In a student copy nbgrader generated, a cell is the learner's exactly when nbgrader left it
    editable (its LockCells makes every other nbgrader cell read-only)."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        editable = cell.metadata.get("editable", True) is not False
        assert is_learner_cell(cell) == editable, f"{rel(path)} cell {i + 1}"
        assert not (is_test_cell(cell) and editable), f"{rel(path)} cell {i + 1}: a check the learner may edit"
    assert any(is_test_cell(c) for c in nb.cells) and any(is_learner_cell(c) for c in nb.cells)


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_hidden_regions_are_nbgraders_and_only_in_checks(path):
    """The hidden-test regions the grader reads are the ones nbgrader's ClearHiddenTests cuts: in the
    checks, and gone from the student copy."""
    nb = nbformat.read(path, as_version=4)
    hidden = [c for c in nb.cells if HIDDEN_TESTS.search(c.source)]
    assert hidden and all(is_test_cell(c) for c in hidden)
    student = nbformat.read(ROOT / rel(path).replace("source/", "release/", 1), as_version=4)
    assert not any(HIDDEN_TESTS.search(c.source) for c in student.cells)
    assert secret_lines([c.source for c in nb.cells])


# ----------------------------------------------------------------------------- what is protected

def locked_sources(nb):
    return [c.source for c in nb.cells if c.cell_type == "code" and not is_learner_cell(c)]


@pytest.mark.parametrize("assignment", assignments())
def test_protected_modules_are_what_the_locked_cells_import(assignment):
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    protected = protected_modules(locked_sources(nb))
    assert {"builtins", "torch", "coursekit"} <= set(protected), protected
    assert "json" not in protected  # no locked cell of the course imports it


@pytest.mark.parametrize("assignment", assignments())
def test_a_new_modules_torch_classes_are_protected_without_a_list(assignment):
    """nn.LSTM and optim.AdamW, which no check of the course uses, are protected all the same: the
    locked cells import torch, and everything under it is protected."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    locked = locked_sources(nb)
    protected = protected_modules(locked)
    learner = ("import torch.nn as q\nfrom torch import optim as o\n"
               "nn.LSTM.forward = lambda self, x: x\ntorch.optim.AdamW.step = lambda self, closure=None: None\n"
               "q.GRU.forward = None\nsetattr(o.AdamW, 'zero_grad', None)\nimport json\njson.dumps = str\n")
    found = tampering_in_code(learner, import_aliases(locked + [learner], protected), protected)
    assert found == ["replaces torch.nn.LSTM.forward", "replaces torch.optim.AdamW.step", "replaces torch.nn.GRU.forward",
                     "calls setattr on torch.optim.AdamW"], found  # json: the learner's own import, not protected


def test_what_is_protected_follows_the_locked_cells():
    """A notebook whose locked cells import numpy protects numpy; one whose cells do not, does not."""
    learner = "np.mean = lambda *a, **k: 0\n"
    for locked, flagged in [(["import numpy as np\n"], ["replaces numpy.mean"]), (["import math\n"], [])]:
        protected = protected_modules(locked)
        assert tampering_in_code(learner, import_aliases(locked + [learner], protected), protected) == flagged


# ----------------------------------------------------------------------------- the registry

def test_the_assignments_are_in_module_order():
    """The registry's order is the README's Modules table's (module 1, 2, ...)."""
    assert assignments()[:3] == ["loss_functions", "optimizers", "mnist_classifier"]
    assert assignments() == [PurePosixPath(copy).parts[1] for _, _, copy in publish.modules()]
    assert [p.parent.name for p in SOURCE_NOTEBOOKS] == sorted(assignments())
    assert all(notebooks(a) == [a] for a in assignments())


def test_the_registry_is_discovered_from_source_in_the_lessons_order(tmp_path):
    """Order: the lessons' links (assignments/<name>/), then any assignment no lesson links to, by
    name; a folder of source/ without a notebook is no assignment."""
    def write(path, *texts):
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(new_notebook(cells=[new_markdown_cell(t) for t in texts]), path)
    write(tmp_path / "notebooks" / "01_first.ipynb", "[Open](https://x/blob/main/assignments/zeta/zeta.ipynb)")
    write(tmp_path / "notebooks" / "02_second.ipynb", "see assignments/alpha/alpha.ipynb and assignments/zeta/zeta.ipynb",
          "assignments/gone/gone.ipynb")
    for name in ("alpha", "beta", "zeta"):
        write(tmp_path / "source" / name / f"{name}.ipynb", name)
    (tmp_path / "source" / "empty").mkdir()
    assert assignments(tmp_path) == ["zeta", "alpha", "beta"]


class _Course:
    """Just enough of nbgrader's CourseDirectory: submitted/<student>/<assignment>/ under `root`."""
    submitted_directory = "submitted"

    def __init__(self, root):
        self.root = root

    def format_path(self, kind, student, assignment):
        return str(self.root / kind / student / assignment)


def test_a_submission_is_known_by_each_file_not_by_their_bytes_run_together(tmp_path):
    """The resume digest cannot be fooled by one file imitating two (the red team's collision)."""
    from grader.grade import files_digest
    a = tmp_path / "submitted" / "a" / "x"
    b = tmp_path / "submitted" / "b" / "x"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / "a.txt").write_bytes(b"x")
    (a / "x.ipynb").write_bytes(b"{}")
    (b / "a.txt").write_bytes(b"x\0x.ipynb\0{}")
    course = _Course(tmp_path)
    assert files_digest(course, "x", "a") != files_digest(course, "x", "b")
    (b / "a.txt").write_bytes(b"x")
    (b / "x.ipynb").write_bytes(b"{}")
    assert files_digest(course, "x", "a") == files_digest(course, "x", "b")


@pytest.mark.parametrize("affinity, cores, expected", [
    ({0, 1, 2, 3}, 4, ""), ({2}, 4, "2"), ({0, 1, 3}, 4, "0-1,3"), ({4, 5, 6, 9, 10}, 16, "4-6,9-10")])
def test_a_worker_started_on_some_cores_keeps_its_kernels_there(affinity, cores, expected):
    """A Dask worker under `taskset -c 2` passes core 2 on as each kernel's cpuset (`cpus`, which
    tests/test_sandbox.py shows the kernel cannot widen); a worker on every core passes nothing on."""
    assert worker.own_cores(affinity, cores) == expected
    shared = {"assignment": "a", "course_id": "c", "settings": {"timeout": 1, "threads": 1, "memory": 1,
                                                                "hidden_folders": []}}
    config = worker.autograde_config(shared, "s", PurePosixPath("/stage"), PurePosixPath("/tmp"), expected)
    assert config["SandboxedKernelManager"]["cpus"] == expected


def test_the_workers_own_course_is_hidden_whatever_the_command_names():
    """On Dask the command's course root means nothing on a worker: the worker hides its own copy of
    the course (its source/ holds the hidden tests) and its staging folder, so a data root that would
    show either is refused there as it is locally (the red team read source/ through one)."""
    shared = {"assignment": "a", "course_id": "c", "settings": {"timeout": 1, "threads": 1, "memory": 1,
                                                                "hidden_folders": []}}
    config = worker.autograde_config(shared, "s", PurePosixPath("/stage"), PurePosixPath("/tmp/t"))
    assert config["SandboxedKernelManager"]["hidden_folders"] == ["/tmp/t", str(ROOT)]


def test_a_task_dask_loses_with_its_workers_is_sent_again_never_graded_blank(tmp_path):
    """The red team crashed the class command: a worker restarted for memory took the data scattered
    to it, Dask cancelled every task, and the command died. Now a cancelled task is the machine's
    fault: sent again as it was (never as the blank copy), and after LOST_TRIES losses left ungraded."""
    from concurrent.futures import CancelledError, Future
    from types import SimpleNamespace
    from grader import grade

    class Runner:  # answers each learner's first tasks with a cancellation
        workers = 1

        def __init__(self, losses):
            self.losses, self.sent, self.lost_calls = losses, [], 0

        def submit(self, task, shared):
            self.sent.append(dict(task))
            future = Future()
            if sum(t["student"] == task["student"] for t in self.sent) <= self.losses[task["student"]]:
                future.set_exception(CancelledError("lost"))
            else:
                future.set_result({"student": task["student"], "graded": True, "reason": task.get("reason")})
            return future

        def wait(self, futures):
            return set(futures)

        def lost(self):
            self.lost_calls += 1

    for student in ("once", "always"):
        (tmp_path / student / "a").mkdir(parents=True)
        (tmp_path / student / "a" / "a.ipynb").write_bytes(b"{}")
    coursedir = SimpleNamespace(submitted_directory="submitted",
                                format_path=lambda _, student, assignment: str(tmp_path / student / assignment))
    shared = {"assignment": "a", "settings": {"max_file_bytes": 10**6, "max_learner_bytes": 10**6,
                                              "max_learner_files": 10}}
    runner = Runner({"once": 1, "always": 99})
    reports = dict((learner["student"], report) for learner, report in
                   grade.run_tasks(runner, [{"student": "once"}, {"student": "always"}], shared, coursedir, ["a"]))
    assert reports["once"] == {"student": "once", "graded": True, "reason": None}
    assert reports["always"]["graded"] is False
    assert "lost with its workers 3 times" in reports["always"]["problems"]["a"][0]
    assert [t["student"] for t in runner.sent].count("always") == grade.LOST_TRIES
    assert not any(t.get("reason") for t in runner.sent), "a lost task is never sent as the blank copy"
    assert runner.lost_calls == 1 + grade.LOST_TRIES


def test_the_output_budget_cuts_a_cell_and_the_notebook():
    from grader.outcome import OutputBudget
    budget = OutputBudget(cell_limit=10, notebook_limit=25)
    assert [budget.over(4), budget.over(4), budget.over(4)] == [False, False, True]  # the cell's 10 bytes
    assert "cut this cell's output" in budget.note() and budget.problem("'x'").startswith("cell 'x' sent back")
    budget.new_cell()
    assert budget.note() is None and [budget.over(10), budget.over(10)] == [False, True]  # the notebook's 25
    budget.new_cell()
    assert budget.over(8) and budget.cut == 8 and budget.total == 18


def test_the_notebook_report_puts_tampering_first_and_writes_one_line(tmp_path):
    from grader.outcome import NotebookReport
    report = NotebookReport(str(tmp_path / "r.jsonl"), "ada/a/a", problems=["p1"], tampering=[f"t{i}" for i in range(7)])
    report.problem("p2")
    problems = report.finish()
    assert problems[0].startswith("changes what the tests rely on") and "and 2 more" in problems[0]
    assert problems[1:] == ["p1", "p2"]
    assert json.loads((tmp_path / "r.jsonl").read_text()) == {"notebook": "ada/a/a", "problems": problems,
                                                              "cell_seconds": 0.0}


def test_guarded_execute_needs_what_read_learner_code_found(tmp_path):
    """The kernel's side runs on the findings of the code's side: without them, a message that says
    how to chain the two, and nothing runs."""
    from grader.execute import GuardedExecute
    from grader.learner_code import KEY, ReadLearnerCode
    nb = nbformat.read(ROOT / "source" / "loss_functions" / "loss_functions.ipynb", as_version=4)
    execute = GuardedExecute(sandbox=False, secret_file=str(tmp_path / "secret"))
    with pytest.raises(RuntimeError, match="put ReadLearnerCode before GuardedExecute"):
        execute.preprocess(nb, {})
    _, resources = ReadLearnerCode().preprocess(nb, {"nbgrader": {}})
    findings = resources[KEY]
    assert findings.tampering == () and findings.own_work == {} and findings.run_sources
    _, resources = ReadLearnerCode(checked_code_only=False).preprocess(nb, {})
    whole = resources[KEY].run_sources  # every statement, the reference solutions' too
    assert all(whole[name] for name in whole) and set(whole) >= set(findings.run_sources)
