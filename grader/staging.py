"""A learner's handed-in files, checked and mended before nbgrader sees them.

Whatever a learner hands in, nbgrader gets a notebook it can grade, and the learner's note says
what was done to it:
- a notebook that is empty, not JSON, or not a notebook, or that is missing or misnamed, is
  replaced by the blank student copy (0 points);
- every cell's nbgrader metadata is put back from the student copy (a learner cannot change what
  a cell is worth or whether it is a test), and a test or solution cell that the learner deleted
  is put back too (a test cell the learner edited is restored by nbgrader itself).
The learner's own files are never changed: staging works on copies, in bytes.
"""
import nbformat

from .notebook import NOTE_KEY, add_note, is_test_cell, read_notebook


def stage_submission(files, release, dest, reason=None, notes=()):
    """Write into the folder `dest` the learner's handed-in `files` ({name: bytes}, as handed in),
    each notebook of `release` ({notebook name: student copy}) mended, or the blank student copy
    in its place. With `reason`, every notebook is the blank copy, for that reason. `notes`: what
    the class command found (files left out, a timestamp that is not a time), said first.
    Returns {notebook: [problems]}."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if not name.endswith(".ipynb"):
            (dest / name).write_bytes(data)  # timestamp.txt and the learner's own files
    extra = [name for name in files if name.endswith(".ipynb") and name[:-len(".ipynb")] not in release]
    problems = {}
    for name, blank in release.items():
        blank = nbformat.from_dict(blank)
        data = files.get(f"{name}.ipynb")
        if reason is not None:
            nb, found = None, [reason]
        elif data is None:
            why = f"no {name}.ipynb was handed in" + (
                f" (found {', '.join(extra)}: a wrong name? rename it to {name}.ipynb and grade again)" if extra else "")
            nb, found = None, [why]
        else:
            nb, why = read_notebook(data, f"{name}.ipynb")
            found = [why] if why else mend(nb, blank)
        note = found
        if nb is None:
            nb = blank
            note = [found[0] + "; the blank student copy was graded in its place, so every test scores 0"]
        note = [*notes, *note]
        if note:
            add_note(nb, note)
        nbformat.write(nb, dest / f"{name}.ipynb")
        problems[name] = [*notes, *found] if reason is not None else note
    return problems


def mend(nb, release):
    """Put back, from the student copy `release`, the nbgrader metadata of every cell (a learner
    cannot change what a cell is worth or whether it is a test) and every nbgrader cell the learner
    deleted. Returns the problems, as sentences for the learner and the instructor."""
    edited, deleted = [], {}
    problems = _restore_metadata(nb, release)
    present = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    insert_at = 0
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in present:
            insert_at = nb.cells.index(present[grade_id]) + 1
            if is_test_cell(cell) and present[grade_id].source.strip() != cell.source.strip():
                edited.append(grade_id)
            continue
        kind = "test" if is_test_cell(cell) else "solution" if cell.metadata.nbgrader.get("solution") else "locked"
        nb.cells.insert(insert_at, nbformat.from_dict(cell))
        insert_at += 1
        deleted.setdefault(kind, []).append(grade_id)
    problems += [f"{_cells('test', edited)} edited; the original test ran instead"] if edited else []
    for kind, ids in deleted.items():
        problems.append(f"{_cells(kind, ids)} deleted; the original was put back"
                        + (" (blank, so it scores 0)" if kind == "solution" else ""))
    return problems


def _restore_metadata(nb, release):
    """Each cell's nbgrader metadata as the student copy has it: a cell whose grade_id the student
    copy has gets that cell's metadata (and type); any other nbgrader metadata, malformed or not,
    and a second cell claiming the same grade_id, lose it and become plain cells."""
    originals = {c.metadata["nbgrader"]["grade_id"]: c for c in release.cells if "grade_id" in c.metadata.get("nbgrader", {})}
    seen, changed = set(), 0
    for cell in nb.cells:  # only the grader writes its note
        cell.metadata.pop(NOTE_KEY, None)
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        original = originals.get(grade_id) if isinstance(grade_id, str) else None
        if original is None or grade_id in seen:
            del cell.metadata["nbgrader"]
            changed += 1
            continue
        seen.add(grade_id)
        if meta != original.metadata["nbgrader"] or cell.cell_type != original.cell_type:
            changed += 1
            if cell.cell_type != original.cell_type:
                nb.cells[i] = cell = nbformat.from_dict(original)
            cell.metadata["nbgrader"] = nbformat.from_dict(original.metadata["nbgrader"])
    return [f"the grading metadata of {changed} cell{'s' if changed != 1 else ''} had been changed; "
            "the student copy's was put back"] if changed else []


def _cells(kind, ids):
    """"test cell 'a' was", "test cells 'a', 'b' and 'c' were", "test cells 'a', 'b', 'c' and 13 more were"."""
    quoted = [f"'{i}'" for i in ids]
    if len(quoted) == 1:
        return f"{kind} cell {quoted[0]} was"
    shown = ", ".join(quoted[:3]) + (f" and {len(quoted) - 3} more" if len(quoted) > 3 else "")
    if len(quoted) <= 3:
        shown = ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
    return f"{kind} cells {shown} were"
