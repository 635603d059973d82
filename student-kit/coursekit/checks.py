"""The assignments' visible checks: what a learner's notebook runs before handing in.

- `visible_check(grade_id, points)`: one check. In the learner's notebook a failed check prints its
  message and the run goes on, so that `summary` lists every check; when the notebook is graded a
  failed check fails its cell, as any error does.
- `learner_call(f, *args)`: how a check runs the learner's code. Here it first applies the
  own-work rule (`coursekit.own_work`, the rule the grader applies) to the learner's code in this
  notebook, so that a function that uses what its part does not allow fails its checks now, with
  the same words the grader would write. When the notebook is graded the checks run in the grader,
  which has its own `learner_call`; this one decides nothing there.
- `summary(...)`: the learner's score before submitting.
"""
import contextlib
import contextvars
import json
import os
import sys
from pathlib import Path

VISIBLE_RESULTS = {}  # grade id -> (points, None when the check passed, else its message)
_JUDGING = contextvars.ContextVar("coursekit_judging", default=False)


@contextlib.contextmanager
def judging():
    """While active, the checks run in the grader (grader/judge.py): being_graded() is True."""
    token = _JUDGING.set(True)
    try:
        yield
    finally:
        _JUDGING.reset(token)


def being_graded():
    """True while the grader runs this notebook (nbgrader in the kernel, or the grader's own judge)."""
    return "NBGRADER_EXECUTION" in os.environ or _JUDGING.get()


@contextlib.contextmanager
def visible_check(grade_id, points):
    """Run one visible check (see the module's docstring)."""
    try:
        yield
    except Exception as error:
        VISIBLE_RESULTS[grade_id] = (points, f"{type(error).__name__}: {error}")
        if being_graded():
            raise
        print(f"FAILED {grade_id} ({points} point{'s' if points != 1 else ''}): {type(error).__name__}: {error}",
              file=sys.stderr)
    else:
        VISIBLE_RESULTS[grade_id] = (points, None)


def summary(visible_checks, hidden_points, hand_graded_points):
    """Print every visible check, passed, failed or not run, with its points: the score so far."""
    if being_graded():
        print("skipped while grading: this summary is for you, before you submit")
        return
    earned = 0
    for grade_id, points in visible_checks.items():
        points_text = f"{points} point{'s' if points != 1 else ''}"
        if grade_id not in VISIBLE_RESULTS:
            print(f"  not run  {grade_id} ({points_text}): run its cell")
        elif VISIBLE_RESULTS[grade_id][1] is None:
            earned += points
            print(f"  passed   {grade_id} ({points_text})")
        else:
            print(f"  FAILED   {grade_id} ({points_text}): {VISIBLE_RESULTS[grade_id][1][:160]}")
    print(f"\nVisible checks: {earned} of {sum(visible_checks.values())} points. When your notebook is graded, "
          f"hidden tests add up to {hidden_points} more points and the written answers {hand_graded_points}.")
    assert all(VISIBLE_RESULTS.get(g, (0, "not run"))[1] is None for g in visible_checks), (
        "some visible checks failed or did not run: fix them (see the list above) before you submit")


# ------------------------------------------------------------------------------------------------
# The own-work rule, before handing in

def learner_call(f, *args, **kwargs):
    """f(*args, **kwargs), once the learner's code among f and its arguments passes the own-work rule."""
    names = [getattr(x, "__name__", None) for x in (f, *args)]
    for name, reasons in own_work_problems().items():
        if name in names:
            raise AssertionError(f"{name} uses what its part does not allow: {'; '.join(reasons)}. Write it "
                                 "with what the part lists in OWN_WORK (the helper cell); when graded, its "
                                 "checks would score 0")
    for name, notes in _left_out.items():
        for note in notes:
            if name in names and note not in _said:  # once: it may be a scratch cell's plot, which changes nothing
                _said.add(note)
                print(f"note: {note}; if {name} needs what that line does, it passes here and fails when graded",
                      file=sys.stderr)
    return f(*args, **kwargs)


_read = {}  # the kernel's execution count -> what the rule found in the notebook then
_left_out = {}  # graded name -> the statements that change what it reads and do not run when it is graded
_said = set()  # the notes printed already


def own_work_problems():
    """{graded name: what it uses that its part does not allow}, read from this notebook as it is now
    (as last saved, outside Colab), once per cell run; empty when the notebook cannot be read from
    here: then only grading applies the rule."""
    try:
        from IPython import get_ipython
        key = get_ipython().execution_count
    except (ImportError, AttributeError):
        key = None
    if key is None or key not in _read:
        nb = this_notebook()
        if nb is None:
            return {}
        from .own_work import notebook_plan
        learner, locked, tests = [], [], []  # the cells as the grader sorts them (nbgrader's kinds)
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = cell.get("source", "")
            source = source if isinstance(source, str) else "".join(source)
            if meta.get("solution") or not (meta.get("grade") or meta.get("locked")):
                learner.append((meta.get("grade_id") or str(i + 1), source))
            else:
                locked.append(source)
                if meta.get("grade"):
                    tests.append(source)
        _read.clear()
        _left_out.clear()
        _read[key] = notebook_plan(learner, locked, tests, notes=_left_out)[0]
    return _read[key]


def this_notebook():
    """The notebook this kernel runs, as a dict: Colab's copy of it (with edits not yet saved), else
    the file JupyterLab or VS Code names; None when neither is there."""
    try:
        from google.colab import _message  # Colab
        return _message.blocking_request("get_ipynb", timeout_sec=20)["ipynb"]
    except Exception:
        pass
    candidates = [os.environ.get("JPY_SESSION_NAME", "")]  # JupyterLab and Notebook 7: the notebook's path
    try:
        from IPython import get_ipython
        candidates.append(get_ipython().user_ns.get("__vsc_ipynb_file__", ""))  # VS Code
    except (ImportError, AttributeError):
        pass
    for path in candidates:
        if path and path.endswith(".ipynb") and Path(path).is_file():
            try:
                return json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    return None
