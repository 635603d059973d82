"""Seconds to autograde one submission of each assignment, and to run each notebook alone.

Usage: ./course run python -m bench.autograde
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

from grader.course import ROOT, assignments, nbgrader, scratch_course
from tests.kit.course_tools import filled_student_copy
from bench.results import recorded


def main():
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course")
        for assignment in assignments():
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
    with recorded("bench/autograde.py", "One submission autograded by plain nbgrader; each lesson run", "--write" in sys.argv[1:]):
        main()
