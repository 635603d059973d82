"""The demo class: four fictional learners of loss_functions in submitted/, and what grading made
of them in autograded/, so an instructor sees the pipeline's output before grading a class.

    ./course run python -m tests.kit.demo_class [DEST]

regenerates submitted/demo-*/ and autograded/demo-*/ in DEST (default: the course root), and
autograded/demo_scores.csv, the score of every graded cell. The graded notebooks are kept as
inputs only, like every notebook in the repository: the restored tests and the grader's note,
without the outputs of the run (`nbgrader generate_feedback` shows those). The learners are graded with
`./course grade` in a scratch copy of the course, so the course's own gradebook is not touched.
Delete submitted/demo-*/ before you collect your own class.
"""
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from grader.course import ROOT, scratch_course

from .course_tools import cell_scores
from .fixtures import ASSIGNMENT, HONEST, HOSTILE, hand_in

DEMO = {
    "demo-ada": HONEST["honest-full"],       # full marks (the written answer waits for a person)
    "demo-ben": HONEST["honest-partial"],    # two mistakes
    "demo-cy": HONEST["honest-blank"],       # handed in the student copy untouched
    "demo-dee": HOSTILE["patches-assert-close"][0],  # replaced torch.testing.assert_close
}
SCORES = "demo_scores.csv"


def regenerate(dest=ROOT):
    dest = Path(dest)
    with tempfile.TemporaryDirectory() as tmp:
        course = scratch_course(Path(tmp) / "course", [ASSIGNMENT])
        for name, build in DEMO.items():
            hand_in(course, name, build(course))
        subprocess.run([sys.executable, "-m", "grader.grade", ASSIGNMENT], cwd=course, check=True)
        for step in ("submitted", "autograded"):
            for name in DEMO:
                shutil.rmtree(dest / step / name, ignore_errors=True)
                shutil.copytree(course / step / name, dest / step / name)
        for path in (dest / "autograded").glob("demo-*/*/*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            path.chmod(0o644)  # nbgrader leaves its graded copies read-only
            nbformat.write(nb, path)
        scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT, list(DEMO))
    with open(dest / "autograded" / SCORES, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "grade_id", "score", "max_score"])
        for student, cells in scores.items():
            for grade_id, (score, max_score, _) in sorted(cells.items()):
                writer.writerow([student, grade_id, score, max_score])
    return dest


if __name__ == "__main__":
    print(f"demo class written to {regenerate(*sys.argv[1:])}")
