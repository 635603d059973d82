"""A check's points are stated once, in nbgrader's metadata (`points` of each graded cell); everything
else that says them is written from it by this tool:

- each part's heading, `## Part N · Title (P points)` (the points of the graded cells up to the next heading);
- the introduction's table, `| N. ... | P |` and its `| **total** | **T** |` row;
- each visible check's `visible_check("grade_id", P)`, and a hidden check's announcement,
  `Hidden tests (P points) will check ...` (its `visible_check`, a format check, carries 0);
- the summary cell's `VISIBLE_CHECKS` and `HIDDEN_POINTS, HAND_GRADED_POINTS`.

    ./course run python -m tools.points            rewrite every source notebook from its metadata
    ./course run python -m tools.points --check    exit 1, naming what differs, when one is not in line

Then regenerate release/ (`nbgrader generate_assignment A --force`). Notebooks are written as nbformat
writes them; a notebook already in line is left untouched.
"""
import argparse
import re
import sys

import nbformat

from grader.course import ROOT, assignments

PART = re.compile(r"^(## Part (\d+) · .*?) \((\d+) points?(, graded by hand)?\)$", re.M)
ROW = re.compile(r"^\| (\d+)\. (.*?) \| (\d+) \|$", re.M)
TOTAL = re.compile(r"^\| \*\*total\*\* \| \*\*(\d+)\*\* \|$", re.M)
VISIBLE = re.compile(r'visible_check\("(\w+)", (\d+)\)')
ANNOUNCED = re.compile(r"Hidden tests \((\d+) points?\)")
HIDDEN = "### BEGIN HIDDEN TESTS"


def _points(n, word="point"):
    return f"{n} {word}{'s' if n != 1 else ''}"


def in_line(nb):
    """`nb` (a source notebook) with every statement of points written from its metadata."""
    cells = nb.cells
    meta = [c.metadata.get("nbgrader", {}) for c in cells]
    tests = {m["grade_id"]: (m["points"], HIDDEN in c.source) for c, m in zip(cells, meta)
             if m.get("grade") and not m.get("solution")}
    hand = sum(m["points"] for m in meta if m.get("grade") and m.get("solution"))
    parts, current = {}, None  # part number -> its points
    for cell, m in zip(cells, meta):
        heading = PART.search(cell.source) if cell.cell_type == "markdown" else None
        if heading:
            current = int(heading.group(2))
            parts[current] = 0
        elif cell.cell_type == "markdown" and cell.source.startswith("## "):
            current = None
        if current is not None and m.get("grade"):
            parts[current] += m["points"]
    for cell, m in zip(cells, meta):
        if cell.cell_type == "markdown":
            cell.source = PART.sub(lambda h: f"{h.group(1)} ({_points(parts[int(h.group(2))])}{h.group(4) or ''})",
                                   cell.source)
            if TOTAL.search(cell.source):
                cell.source = ROW.sub(lambda r: f"| {r.group(1)}. {r.group(2)} | {parts.get(int(r.group(1)), r.group(3))} |",
                                      cell.source)
                cell.source = TOTAL.sub(f"| **total** | **{sum(parts.values())}** |", cell.source)
        elif m.get("grade_id") in tests:
            points, hidden = tests[m["grade_id"]]
            cell.source = VISIBLE.sub(lambda v: f'visible_check("{v.group(1)}", {0 if hidden else points})', cell.source)
            if hidden:
                cell.source = ANNOUNCED.sub(f"Hidden tests ({_points(points)})", cell.source)
        elif m.get("grade_id") == "visible_checks_summary":
            visible = "".join(f'    "{g}": {p},\n' for g, (p, hidden) in tests.items() if not hidden)
            cell.source = re.sub(r"VISIBLE_CHECKS = \{\n.*?\n\}", lambda _: "VISIBLE_CHECKS = {\n" + visible + "}",
                                 cell.source, flags=re.S)
            hidden_points = sum(p for p, hidden in tests.values() if hidden)
            cell.source = re.sub(r"HIDDEN_POINTS, HAND_GRADED_POINTS = \d+, \d+",
                                 f"HIDDEN_POINTS, HAND_GRADED_POINTS = {hidden_points}, {hand}", cell.source)
    return nb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a notebook is not in line")
    args = parser.parse_args()
    out_of_line = []
    for assignment in assignments():
        for path in sorted((ROOT / "source" / assignment).glob("*.ipynb")):
            before = nbformat.writes(nbformat.read(path, as_version=4))
            after = nbformat.writes(in_line(nbformat.read(path, as_version=4)))
            if before != after:
                out_of_line.append(path.relative_to(ROOT).as_posix())
                if not args.check:
                    path.write_text(after, encoding="utf-8")
    if out_of_line:
        verb = "not in line with its metadata" if args.check else "rewritten from its metadata"
        print("\n".join(f"{p}: {verb}" for p in out_of_line))
        if args.check:
            print("run: ./course run python -m tools.points, then regenerate release/", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
