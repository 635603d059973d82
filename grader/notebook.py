"""What the grader reads in a notebook, in one place: which cells the learner wrote, which are
checks, what a cell is called in messages, the hidden-test regions, the grader's note on top of a
graded notebook, and a handed-in file read as a notebook (or why it cannot be).

The cell kinds are nbgrader's own (`nbgrader.utils`): a solution cell and a cell without nbgrader
metadata are the learner's; a grade cell that is not a solution cell is a check (a test cell);
every other nbgrader cell is locked.
"""
import json
import re

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader.utils import is_grade, is_locked, is_solution

NOTE_KEY = "grading_note"  # cell metadata key of the note the grader puts on top of a notebook

# A hidden-test region of a test cell, as nbgrader marks it (ClearHiddenTests' default delimiters).
HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def is_learner_cell(cell):
    """A cell whose code the learner wrote: a solution cell, or a cell of their own."""
    return not is_locked(cell)


def is_test_cell(cell):
    """A check: an autograded cell that is not the learner's answer."""
    return is_grade(cell) and not is_solution(cell)


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def cell_name(cell, index):
    """How messages name a cell: its grade_id in quotes, else its position (from 1)."""
    return f"'{grade_id(cell)}'" if grade_id(cell) else f"{index + 1}"


def code_cells(nb, *kinds):
    """[(name, source)] of `nb`'s code cells for which every function in `kinds` says yes."""
    return [(cell_name(c, i), c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and all(kind(c) for kind in kinds)]


def secret_lines(sources, public_texts=()):
    """The lines of the hidden regions in `sources` (cell sources) that show up nowhere a learner
    may see: not outside the hidden regions, and not in `public_texts` (such as the learner's own
    code). Lines shorter than 12 characters are left out (too common to be a secret)."""
    public = "\n".join([HIDDEN_TESTS.sub("", source) for source in sources] + list(public_texts))
    hidden = (line.strip() for source in sources for region in HIDDEN_TESTS.findall(source)
              for line in region.splitlines())
    return {line for line in hidden if len(line) >= 12 and line not in public}


def add_note(nb, problems, intro="The grader found problems in this submission:"):
    """Put `problems` (sentences) in a note on top of `nb`, where the learner's feedback shows it."""
    cells = [c for c in nb.cells[:1] if c.metadata.get(NOTE_KEY)]
    if cells:
        note = cells[0]
    else:
        note = new_markdown_cell("**Grader's note.** " + intro + "\n", metadata={NOTE_KEY: True})
        nb.cells.insert(0, note)
    note.source += "".join("\n- " + re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", p) for p in problems)
    return nb


def printable(text):
    """`text` without control characters (a learner's error message may hold terminal escapes)."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text)


MAX_CONTAINERS = 100_000  # JSON objects and lists a handed-in notebook may hold (a learner's has under 1,000)


def read_notebook(data, name):
    """(notebook, None) from the bytes `data` of the file `name`, or (None, what is wrong with it).
    A file of more than MAX_CONTAINERS '{' and '[' is refused before it is parsed: a few MB of empty
    objects would take gigabytes and minutes to read and validate."""
    if not data.strip():
        return None, f"{name} is an empty file ({len(data)} bytes)"
    containers = data.count(b"{") + data.count(b"[")
    if containers > MAX_CONTAINERS:
        return None, (f"{name} is not a notebook the grader reads: it holds {containers:,} JSON objects and "
                      f"lists ('{{' and '['), at most {MAX_CONTAINERS:,} are read")
    try:
        json.loads(data)
    except UnicodeDecodeError:
        return None, f"{name} is not a text file"
    except ValueError as e:
        return None, f"{name} is not a valid notebook (not JSON: {e})"
    except RecursionError:
        return None, f"{name} is not a valid notebook (its JSON is nested too deeply to read)"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat's own errors, and anything its validator trips on
        return None, f"{name} is not a valid notebook ({(str(e).splitlines() or [type(e).__name__])[0][:120]})"
    return nb, None
