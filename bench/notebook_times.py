"""How long each lesson and assignment takes: words to read and seconds for every cell to run.

Usage: ./course run python -m bench.notebook_times [--write]
Runs every lesson, and every student copy filled with the reference solution, top to bottom with
nbclient in an empty folder (as in Colab), on this machine's CPU, and counts the words a learner
reads (markdown and code). Prints one line per notebook. With --write it puts the result in each
notebook's "**Time:**" line (notebooks/ and source/) and regenerates release/ with nbgrader.
"""
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

from grader.course import ROOT, assignments, nbgrader
from tests.kit.course_tools import filled_student_copy
from bench.results import recorded

WORDS_A_MINUTE = 200  # reading speed for technical prose with formulas and code
TIME_LINE = re.compile(r"\*\*Time:\*\* [^\n]*")


def words(nb):
    return sum(len(re.findall(r"\w+", cell.source)) for cell in nb.cells)


def run_seconds(nb):
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": folder}}).execute()
        return time.perf_counter() - start


MINUTES_A_LINE, MINUTES_AN_ANSWER = 4, 15  # writing and checking code, an estimate (learners vary a lot)


def coding_estimate(source_nb):
    """What writing an assignment takes, estimated from its reference solution: its lines of code
    (between ### BEGIN SOLUTION and ### END SOLUTION, no blank or comment line) and written answers."""
    lines = written = 0
    for cell in source_nb.cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if cell.cell_type == "markdown":
            written += 1
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            lines += sum(1 for line in block.splitlines() if line.strip() and not line.strip().startswith("#"))
    middle = MINUTES_A_LINE * lines + MINUTES_AN_ANSWER * written
    low, high = (max(15, round(middle * f / 15) * 15) for f in (0.6, 1.5))
    return (f"plus an estimated {low} to {high} minutes to write and check your code (an estimate: "
            f"{lines} lines of code in the reference solution and {written} written answer"
            f"{'s' if written != 1 else ''}, at {MINUTES_A_LINE} minutes a line and {MINUTES_AN_ANSWER} an answer)")


def time_line(n_words, seconds, source_nb=None):
    """The **Time:** line: reading and running, measured; for an assignment (`source_nb`, its master
    copy), the coding time, estimated."""
    minutes = max(5, round((n_words / WORDS_A_MINUTE + seconds / 60) / 5) * 5)
    extra = f", {coding_estimate(source_nb)}" if source_nb is not None else ""
    return (f"**Time:** about {minutes} minutes to read and run{extra}; {n_words:,} words at "
            f"{WORDS_A_MINUTE} a minute, every cell runs in {seconds:.0f} s on a 2-core CPU.")


def main(write):
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(path, nbformat.read(path, as_version=4), None) for path in sorted((ROOT / "notebooks").glob("*.ipynb"))]
        targets += [(ROOT / "source" / a / f"{a}.ipynb", filled_student_copy(a, f"{a}.ipynb", ROOT), a) for a in assignments()]
        for path, nb, assignment in targets:
            n_words, seconds = words(nb), run_seconds(nb)
            line = time_line(n_words, seconds, assignment and nbformat.read(path, as_version=4))
            print(f"{path.relative_to(ROOT)}: {n_words} words, {seconds:.1f} s to run; {line}")
            if write:
                committed = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                first = committed.cells[0]
                if not TIME_LINE.search(first.source):
                    raise SystemExit(f"{path.relative_to(ROOT)}: its first cell has no '**Time:** ...' line to update")
                first.source = TIME_LINE.sub(lambda _: line, first.source)
                nbformat.write(committed, path)
        if write:
            for assignment in assignments():
                nbgrader("generate_assignment", assignment, "--force", cwd=ROOT)


if __name__ == "__main__":
    with recorded("bench/notebook_times.py", "Notebooks top to bottom", "--write" in sys.argv[1:]):
        main("--write" in sys.argv[1:])
