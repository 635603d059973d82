"""Seconds to autograde one submission of each assignment, and to run each notebook alone.

Usage: ./course run python bench/autograde.py
Builds a scratch course in a temporary folder, submits the reference solution as one learner,
and times `nbgrader autograde` (kernel start, imports and every cell, hidden tests included).
Then times a top-to-bottom run of every lesson with nbclient.
"""
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from course_tools import ASSIGNMENTS, ROOT, filled_student_copy, nbgrader, scratch_course  # noqa: E402


def main():
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course")
        for assignment in ASSIGNMENTS:
            notebook = f"{assignment}.ipynb"
            dest = course / "submitted" / "benchmark" / assignment / notebook
            dest.parent.mkdir(parents=True)
            nbformat.write(filled_student_copy(assignment, notebook, course), dest)
            start = time.perf_counter()
            nbgrader("autograde", assignment, cwd=course)
            print(f"autograde {assignment}: {time.perf_counter() - start:.1f} s for one submission")
        for lesson in sorted((ROOT / "notebooks").glob("*.ipynb")):
            nb = nbformat.read(lesson, as_version=4)
            start = time.perf_counter()
            NotebookClient(nb, timeout=600, resources={"metadata": {"path": tmp}}).execute()
            print(f"run {lesson.name}: {time.perf_counter() - start:.1f} s top to bottom")


if __name__ == "__main__":
    main()
