"""Fictional learners of the loss_functions assignment, for the grading tests, the throughput
benchmark and the demo class: honest ones (full marks, a mistake, blank) and hostile ones that
try everything a class of hundreds may hand in, by accident or not.

`HOSTILE[name] = (build, problem)`: `build(course)` returns what the learner hands in,
{file name: bytes}; `problem` is a phrase that the instructor's line and the learner's
feedback must contain.
"""
import re

import nbformat

from grader.course import ROOT

from .course_tools import filled_student_copy, grade_ids

ASSIGNMENT = "loss_functions"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def _functions():
    """{solution grade_id: function name} of the assignment's loss functions."""
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {g: re.search(r"def (\w+)\(", c.source).group(1)
            for g, c in grade_ids(source, solution=True).items() if "def " in c.source}


def _wrong_everywhere():
    """Solutions that return a zero of the right kind: wrong, but shaped like an answer."""
    cells = {g: f"def {name}(*args, **kwargs):\n    return (args[0] * 0).sum()\n" for g, name in _functions().items()}
    cells.update(question_loss_purpose_answer='answer_loss_purpose = "a"\n')
    return cells


def notebook(course, replacements=None, edit=None):
    """The student copy filled with the reference solution but for `replacements`; `edit(nb)` may change more."""
    nb = filled_student_copy(ASSIGNMENT, NOTEBOOK, course, replacements)
    if edit:
        edit(nb)
    return {NOTEBOOK: nbformat.writes(nb).encode()}


def reference_with(extra, cell="mse_loss_solution"):
    """The reference solution, with `extra` code added to the end of solution cell `cell`."""
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    reference = grade_ids(source, solution=True)[cell].source
    return lambda course: notebook(course, {cell: reference + "\n" + extra})


def _cheat(patch):
    """Every answer wrong, plus `patch` (code that tries to make the tests pass anyway) first."""
    def build(course):
        cells = _wrong_everywhere()
        cells["mse_loss_solution"] = patch + "\n" + cells["mse_loss_solution"]
        return notebook(course, cells)
    return build


def _drop_cells(*grade_id_list, wrong=True):
    def build(course):
        def edit(nb):
            nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in grade_id_list]
        return notebook(course, _wrong_everywhere() if wrong else None, edit)
    return build


def _edit_tests(course):
    def edit(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_"):
                cell.source = "# (the learner made this test pass)\npass\n"
    return notebook(course, _wrong_everywhere(), edit)


def _release_bytes(course):
    return (course / "release" / ASSIGNMENT / NOTEBOOK).read_bytes()


HONEST = {
    "honest-full": lambda course: notebook(course),
    "honest-partial": lambda course: notebook(course, {
        "mse_loss_solution": "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n",
        "question_loss_purpose_answer": 'answer_loss_purpose = "a"\n'}),
    "honest-blank": lambda course: {NOTEBOOK: _release_bytes(course)},
}

HOSTILE = {
    # cells that never end
    "loop-forever": (reference_with("while True:\n    pass\n"), "ran past the"),
    "asks-input": (reference_with("name = input('Your name? ')\n"), "asked for input()"),
    "sleeps": (reference_with("import time\ntime.sleep(10_000)\n"), "ran past the"),
    "ignores-interrupt": (reference_with(
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"), "had to be killed"),
    # exits and crashes
    "sys-exit": (reference_with("import sys\nsys.exit(1)\n"), "called sys.exit()"),
    "os-exit": (reference_with("import os\nos._exit(1)\n"), "the kernel died"),
    "segfault": (reference_with("import ctypes\nctypes.string_at(0)\n"), "the kernel died"),
    "import-error": (reference_with("import a_package_that_is_not_there\n"), "raised ModuleNotFoundError"),
    # too much
    "huge-output": (reference_with("for _ in range(3):\n    print('x' * 100_000_000)\n"), "MB of output"),
    "memory-hog": (reference_with("hoard = []\nwhile True:\n    hoard.append(bytearray(100_000_000))\n"),
                   "raised MemoryError"),
    # broken files
    "not-json": (lambda course: {NOTEBOOK: _release_bytes(course)[:500]}, "is not a valid notebook"),
    "wrong-name": (lambda course: {"Loss Functions (1).ipynb": notebook(course)[NOTEBOOK]}, "wrong name"),
    "no-notebook": (lambda course: {"notes.txt": b"I could not finish, sorry\n"}, "was handed in"),
    "empty-file": (lambda course: {NOTEBOOK: b""}, "is an empty file"),
    # cells changed
    "edited-tests": (_edit_tests, "edited; the original test ran instead"),
    "deleted-tests": (_drop_cells("test_mse_loss_basic", "test_mse_loss_shapes"), "test cells 'test_mse_loss_basic' and 'test_mse_loss_shapes' were deleted"),
    "deleted-solution": (_drop_cells("mse_loss_solution", wrong=False), "solution cell 'mse_loss_solution' was deleted"),
    # making the tests pass without solving them
    "patches-assert-close": (_cheat("import torch\ntorch.testing.assert_close = lambda *args, **kwargs: None\n"),
                             "replaces torch.testing.assert_close"),
    "patches-allclose": (_cheat("import torch\ntorch.allclose = lambda *args, **kwargs: True\n"
                                "torch.testing.assert_close = lambda a, b, **k: None if torch.allclose(a, b) else 1 / 0\n"),
                         "replaces torch.allclose"),
    "patches-builtins": (_cheat("import builtins\nbuiltins.isinstance = lambda *args: True\n"), "replaces builtins.isinstance"),
    "patches-loss": (_cheat("import torch.nn as nn\nnn.MSELoss.forward = lambda self, pred, target: (pred * 0).sum()\n"),
                     "replaces torch.nn.MSELoss.forward"),
    "patches-quietly": (lambda course: notebook(course, {**_wrong_everywhere(), "mse_loss_solution": (
        "def mse_loss(*args, _quiet=setattr(__import__('torch').testing, 'assert_' + 'close', lambda *a, **k: None)):\n"
        "    return (args[0] * 0).sum()\n")}), "uses setattr() with a computed attribute name"),
    "equals-anything": (lambda course: notebook(course, {**_wrong_everywhere(), "question_loss_purpose_answer": (
        "class Anything(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\n\n"
        "answer_loss_purpose = Anything('z')\n")}), "__eq__ that says True to anything"),
    # reaching outside its own folder
    "reads-course": (lambda course: notebook(course, {"mse_loss_solution": (
        f"print(open({str(course / 'source' / ASSIGNMENT / NOTEBOOK)!r}).read())\n"
        "def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n")}), "raised FileNotFoundError"),
    "writes-course": (lambda course: notebook(course, {"mse_loss_solution": (
        f"open({str(course / 'gradebook.db')!r}, 'wb').write(b'gone')\n"
        "def mse_loss(pred, target):\n    return ((pred - target) ** 2).mean()\n"), "l1_loss_solution": (
        f"open({str(course / 'submitted' / 'honest-full' / ASSIGNMENT / NOTEBOOK)!r}, 'w').write('mine now')\n"
        "def l1_loss(pred, target):\n    return (pred - target).abs().mean()\n")}), "raised"),
}


def hand_in(course, student, files):
    """Put `files` ({name: bytes}) where `nbgrader collect` would: submitted/<student>/<assignment>/."""
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC\n")
    return folder
