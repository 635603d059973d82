"""The common mistakes of each assignment, one file per assignment: tests/mistakes/<assignment>.py,
for every assignment of the course's registry (grader.course.assignments()). The end-to-end
grading tests (tests/test_grading.py) hand in one learner per mistake and check what each loses
and what their feedback says; tests/test_mistakes.py fails, naming the file to write, while an
assignment has none.

Each file defines:
- MISTAKES: {learner: ({solution grade_id: the learner's source}, {test grade_ids that must lose
  their points})}; REFERENCE ("ada") makes no mistake: ({}, set()).
- FEEDBACK_MESSAGES: {learner: what that learner's feedback page must show of a failed test's
  message (a visible test's or a hidden one's)}, for every learner who makes a mistake; None
  where no message is checked (say why in a comment).
Optionally, SLIPS: {a fragment of a slip's text: the learners who make it}, the slips that the
class report (grader/report.py) must name, each with exactly those learners (tests/test_grading.py).
`reference_solution` and `mutate` write a mistake into the reference solution.
"""
import importlib
from pathlib import Path

import nbformat

from grader.course import ROOT, assignments

REFERENCE = "ada"  # the learner who hands in the reference solution
HERE = Path(__file__).resolve().parent


def reference_solution(assignment, grade_id):
    """The source of the solution cell `grade_id` of `assignment`'s master copy."""
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    return cells[grade_id].source


def mutate(source, old, new):
    """`source` with one common mistake written in; the mistake must really be there."""
    assert old in source, f"the reference solution changed: {old!r} is gone"
    return source.replace(old, new)


def where(assignment):
    """The file of `assignment`'s common mistakes, relative to the course root."""
    return (HERE / f"{assignment}.py").relative_to(ROOT).as_posix()


def mistakes(assignment):
    """The module of `assignment`'s common mistakes (MISTAKES, FEEDBACK_MESSAGES)."""
    if not (HERE / f"{assignment}.py").is_file():
        raise LookupError(f"the assignment {assignment} has no common mistakes: write {where(assignment)}, defining "
                          f"MISTAKES and FEEDBACK_MESSAGES as {where('loss_functions')} does")
    return importlib.import_module(f"{__name__}.{assignment}")


def problems(assignment):
    """What is missing or wrong in `assignment`'s common mistakes, as sentences ([] when nothing is)."""
    try:
        module = mistakes(assignment)
    except LookupError as e:
        return [str(e)]
    return check(assignment, module)


def check(assignment, module):
    """What is missing or wrong in `module`, the common mistakes of `assignment` (sentences)."""
    path = where(assignment)
    found = [f"{path} defines no {name} dict" for name in ("MISTAKES", "FEEDBACK_MESSAGES")
             if not isinstance(getattr(module, name, None), dict)]
    if found:
        return found
    table, messages = module.MISTAKES, module.FEEDBACK_MESSAGES
    if table.get(REFERENCE) != ({}, set()):
        found.append(f"{path}: MISTAKES needs the reference learner, {REFERENCE!r}: ({{}}, set())")
    wrong = [learner for learner, (replacements, _) in table.items() if replacements]
    if not wrong:
        found.append(f"{path}: MISTAKES has no learner who makes a mistake")
    missing = [learner for learner in wrong if learner not in messages]
    if missing:
        found.append(f"{path}: FEEDBACK_MESSAGES has no entry for {', '.join(missing)}: the text of a failed "
                     "test's message their feedback must show (or None, with a comment saying why none is checked)")
    stray = sorted(set(messages) - set(wrong))
    if stray:
        found.append(f"{path}: FEEDBACK_MESSAGES names {', '.join(stray)}, who make no mistake in MISTAKES")
    if wrong and not any(isinstance(messages.get(learner), str) for learner in wrong):
        found.append(f"{path}: FEEDBACK_MESSAGES checks no message at all")
    nb = nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    solutions = {m["grade_id"] for m in meta if m.get("solution")}
    tests = {m["grade_id"] for m in meta if m.get("grade") and not m.get("solution")}
    for learner in wrong:
        replacements, failures = table[learner]
        unknown = sorted(set(replacements) - solutions)
        if unknown:
            found.append(f"{path}: {learner} replaces {', '.join(unknown)}, not solution cells of {assignment}")
        if not failures or set(failures) - tests:
            found.append(f"{path}: {learner} must lose the points of test cells of {assignment} "
                         f"({', '.join(sorted(set(failures) - tests)) or 'none named'})")
    return found


def strays():
    """Files of tests/mistakes/ that name no assignment of the course (one renamed or removed)."""
    return sorted(p.relative_to(ROOT).as_posix() for p in HERE.glob("[!_]*.py") if p.stem not in assignments())
