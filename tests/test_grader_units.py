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


def _shared(**settings):
    """A class's shared inputs with nothing in them but `settings` (grader/task.py)."""
    from grader.task import Settings, Shared
    fields = dict(timeout=1, memory=1, memory_given=0, threads=1, grace=1, cell_margin=1, max_file_bytes=10**6,
                  max_learner_bytes=10**6, max_learner_files=10, sandbox=True, secret_file=".grading_secret")
    return Shared(assignment="a", course_id="c", settings=Settings(**dict(fields, **settings)), secret="s",
                  config="", release={"a": {"cells": []}}, source_files={}, source_notebooks=[], gradebook=b"")


@pytest.mark.parametrize("affinity, cores, expected", [
    ({0, 1, 2, 3}, 4, ""), ({2}, 4, "2"), ({0, 1, 3}, 4, "0-1,3"), ({4, 5, 6, 9, 10}, 16, "4-6,9-10")])
def test_a_worker_started_on_some_cores_keeps_its_kernels_there(affinity, cores, expected):
    """A Dask worker under `taskset -c 2` passes core 2 on as each kernel's cpuset (`cpus`, which
    tests/test_sandbox.py shows the kernel cannot widen); a worker on every core passes nothing on."""
    assert worker.own_cores(affinity, cores) == expected
    config = worker.autograde_config(_shared(), PurePosixPath("/stage"), PurePosixPath("/tmp"), expected)
    assert config["SandboxedKernelManager"]["cpus"] == expected


def test_the_workers_own_course_is_hidden_whatever_the_command_names():
    """On Dask the command's course root means nothing on a worker: the worker hides its own copy of
    the course (its source/ holds the hidden tests) and its staging folder, so a data root that would
    show either is refused there as it is locally (the red team read source/ through one)."""
    config = worker.autograde_config(_shared(), PurePosixPath("/stage"), PurePosixPath("/tmp/t"))
    assert config["SandboxedKernelManager"]["hidden_folders"] == ["/tmp/t", str(ROOT)]


def test_a_task_dask_loses_with_its_workers_is_sent_again_never_graded_blank(tmp_path):
    """The red team crashed the class command: a worker restarted for memory took the data scattered
    to it, Dask cancelled every task, and the command died. Now a cancelled task is the machine's
    fault: sent again as it was (never as the blank copy), and after LOST_TRIES losses left ungraded."""
    from concurrent.futures import CancelledError, Future
    from types import SimpleNamespace
    from grader import grade
    from grader.task import Report, Task

    class Runner:  # answers each learner's first tasks with a cancellation
        workers = 1

        def __init__(self, losses):
            self.losses, self.sent, self.lost_calls = losses, [], 0

        def submit(self, task, shared):
            self.sent.append(task)
            future = Future()
            if sum(t.student == task.student for t in self.sent) <= self.losses[task.student]:
                future.set_exception(CancelledError("lost"))
            else:
                future.set_result(Report(task.student, "a", graded=True, problems={}, host=task.reason))
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
    runner = Runner({"once": 1, "always": 99})
    reports = dict((task.student, report) for task, report in
                   grade.run_tasks(runner, [Task("once"), Task("always")], _shared(), coursedir, ["a"]))
    assert reports["once"] == Report("once", "a", graded=True, problems={}, host=None)
    assert reports["always"].graded is False
    assert "lost with its workers 3 times" in reports["always"].problems["a"][0]
    assert [t.student for t in runner.sent].count("always") == grade.LOST_TRIES
    assert not any(t.reason for t in runner.sent), "a lost task is never sent as the blank copy"
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


def _other_value(trait):
    """A value of `trait` that is not its default."""
    from traitlets import Bool, Enum, Integer, List, Unicode
    if isinstance(trait, Bool):
        return not trait.default_value
    if isinstance(trait, Enum):
        return next(v for v in trait.values if v != trait.default_value)
    if isinstance(trait, Integer):
        return (trait.default_value or 0) + 7
    if isinstance(trait, Unicode):
        return "/set/by/the/test"
    if isinstance(trait, List):
        return ["/set/by/the/test"]
    raise AssertionError(f"no test value for a {type(trait).__name__} setting: add one here")


def _grading_traits():
    """(class, name, trait) of every setting that the grader's own classes define, and Execute.timeout."""
    from nbgrader.preprocessors import Execute
    from grader.task import grading_classes
    found = [(cls, name, trait) for cls in grading_classes() if cls.__module__.startswith("grader.")
             for name, trait in sorted(cls.class_own_traits(config=True).items())]
    return found + [(Execute, "timeout", Execute.class_traits()["timeout"])]


def _settings(tmp_path, argv=(), lines=()):
    """grader/task.py's Settings as `./course grade a ARGV` resolves them, with `lines` added to the
    course's nbgrader_config.py."""
    from grader.grade import ClassGrading
    from grader.task import Settings
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text() + "\n".join(lines))
    app = ClassGrading()
    app.initialize(["a", f"--root={tmp_path}", "--workers=2", *argv])
    return Settings.resolve(app)


# Settings that each learner's grading sets for itself, from the settings: the worker's own files, its cores.
PER_LEARNER = {("GuardedExecute", "report_file"): "the worker's own report file",
               ("GuardedExecute", "secret_file"): "the secret read from it is staged for each learner",
               ("SandboxedKernelManager", "cpus"): "the cores of the worker's slot"}


@pytest.mark.parametrize("where", ["nbgrader_config.py", "command line"])
def test_every_grading_setting_reaches_the_learners_nbgrader_and_the_fingerprint(tmp_path, where):
    """A setting of any class that grades a notebook, set in nbgrader_config.py or on the class
    command's command line, arrives in the config each learner's nbgrader loads (as traitlets hands
    it to an instance there) and changes the resume fingerprint: a new trait needs no other code."""
    from dataclasses import replace
    from traitlets.config import Config
    from grader.task import Task, configured, fingerprint
    task = Task("s", digest=[])
    plain = replace(_shared(), settings=_settings(tmp_path / "plain"))
    checked = 0
    for cls, name, trait in _grading_traits():
        value = _other_value(trait)
        if where == "command line" and isinstance(value, list):
            continue  # a list on the command line is traitlets' own parsing
        folder = tmp_path / f"{cls.__name__}.{name}"
        folder.mkdir()
        settings = (_settings(folder, lines=[f"c.{cls.__name__}.{name} = {value!r}"]) if where == "nbgrader_config.py"
                    else _settings(folder, argv=[f"--{cls.__name__}.{name}={value}"]))
        shared = replace(plain, settings=settings)
        config = Config(worker.autograde_config(shared, PurePosixPath("/stage"), PurePosixPath("/tmp/t")))
        seen = configured(config, cls, name)
        if (cls.__name__, name) == ("GuardedExecute", "secret_file"):
            assert settings.secret_file == value
        elif (cls.__name__, name) == ("SandboxedKernelManager", "hidden_folders"):
            assert set(value) <= set(seen), (name, seen)
        elif (cls.__name__, name) not in PER_LEARNER:
            assert seen == value, f"{cls.__name__}.{name} = {value!r} from {where} reaches a learner's nbgrader as {seen!r}"
        assert fingerprint(shared, task) != fingerprint(plain, task), f"{cls.__name__}.{name} leaves the fingerprint"
        checked += 1
    # every setting of ReadLearnerCode (1), GuardedExecute (13), SandboxedKernelManager (11), Execute.timeout
    assert checked >= (26 if where == "nbgrader_config.py" else 21), checked


def test_every_class_command_setting_is_of_the_run_or_a_field_that_reaches_its_use(tmp_path):
    """Each ClassGrading setting is either of the run alone (which learners, where; grader/task.py's
    OF_THE_RUN) or a Settings field of the same name, which reaches where it is used and, unless it
    only says how fast (NOT_A_VERDICT), the fingerprint."""
    from dataclasses import replace
    from traitlets.config import Config
    from grader.grade import ClassGrading
    from grader.task import NOT_A_VERDICT, OF_THE_RUN, Settings, Task, configured, fingerprint
    from grader.sandbox import SandboxedKernelManager
    from nbgrader.preprocessors import Execute
    own = ClassGrading.class_own_traits(config=True)
    fields = set(Settings.__dataclass_fields__)
    assert set(own) - set(OF_THE_RUN) <= fields, "a ClassGrading setting that is neither of the run nor in Settings"
    task = Task("s", digest=[])
    plain = replace(_shared(), settings=_settings(tmp_path / "plain"))
    where_used = {"timeout": lambda s, c: configured(c, Execute, "timeout"),
                  "memory": lambda s, c: configured(c, SandboxedKernelManager, "memory"),
                  "threads": lambda s, c: c.GuardedExecute.threads}
    for name in sorted(set(own) - set(OF_THE_RUN)):
        value = _other_value(own[name])
        folder = tmp_path / name
        folder.mkdir()
        settings = _settings(folder, argv=[f"--ClassGrading.{name}={value}"])
        assert getattr(settings, name) == value, name
        shared = replace(plain, settings=settings)
        if name in where_used:
            config = Config(worker.autograde_config(shared, PurePosixPath("/stage"), PurePosixPath("/tmp/t")))
            assert where_used[name](shared, config) == value, name
        if name in ("grace", "cell_margin"):
            assert shared.deadline() != plain.deadline() or not shared.code_cells, name
        if name not in NOT_A_VERDICT:
            assert fingerprint(shared, task) != fingerprint(plain, task), f"ClassGrading.{name} leaves the fingerprint"


def test_a_setting_of_another_class_on_the_command_line_is_refused(tmp_path, capsys):
    """Only the grading classes' settings reach a learner's nbgrader: another one is named, not dropped."""
    with pytest.raises(SystemExit):
        _settings(tmp_path, argv=["--CourseDirectory.course_id=x"])
    assert "--CourseDirectory... is not a grading setting" in capsys.readouterr().err


@pytest.mark.slow
def test_a_seeded_gradebook_is_the_one_nbgrader_makes(tmp_path, monkeypatch):
    """grader/course.py stamps a new SQLite gradebook as nbgrader does (which runs `alembic heads`, ~3 s):
    the same version, and the same tables once nbgrader has opened it."""
    import sqlite3

    from nbgrader.api import Gradebook

    from grader.course import gradebook_version, nbgrader_env, seed_gradebook
    monkeypatch.setenv("PATH", nbgrader_env()["PATH"])  # (nbgrader runs the environment's alembic)
    seed_gradebook(tmp_path / "seeded.db", gradebook_version())
    for name in ("seeded.db", "nbgraders.db"):
        with Gradebook(f"sqlite:///{tmp_path / name}", "course101"):
            pass

    def schema(name):
        with sqlite3.connect(tmp_path / name) as db:
            return (db.execute("SELECT version_num FROM alembic_version").fetchall(),
                    sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()))

    assert schema("seeded.db") == schema("nbgraders.db")
