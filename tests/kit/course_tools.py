"""Plain helpers shared by the tests and the benchmarks: a scratch copy of the course,
nbgrader commands run in it, and student notebooks filled with chosen solutions."""
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "source").iterdir() if p.is_dir())


def nbgrader(*args, cwd, check=True, timeout=1800):
    """Run `nbgrader ARGS` in the course root `cwd`; return the completed process."""
    bindir = str(Path(sys.executable).parent)  # nbgrader calls alembic from PATH
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([os.path.join(bindir, "nbgrader"), *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def scratch_course(dest, assignments=ASSIGNMENTS):
    """Copy what an instructor's course root holds into `dest` and generate the student copies there."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("nbgrader_config.py", "course", "requirements.txt", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("requirements.in", "requirements-cpu.txt"):  # the lock's input and its CPU-only twin
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "tools", dest / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    for assignment in assignments:
        shutil.copytree(ROOT / "source" / assignment, dest / "source" / assignment)
        nbgrader("generate_assignment", assignment, "--force", cwd=dest)
    return dest


def grade_ids(nb, **flags):
    """The nbgrader cells of `nb` whose metadata has all of `flags` (e.g. solution=True), by grade_id."""
    return {c.metadata.nbgrader["grade_id"]: c for c in nb.cells
            if "nbgrader" in c.metadata and all(c.metadata.nbgrader.get(k) == v for k, v in flags.items())}


def filled_student_copy(assignment, notebook, release_root, replacements=None, student_copy=None):
    """The student copy of `notebook` (release_root/release/<assignment>/<notebook>, or the file
    `student_copy`, such as the one in the student edition), its solution cells filled with the
    reference solution, except those in `replacements` ({grade_id: source}), which get that source instead."""
    source = nbformat.read(ROOT / "source" / assignment / notebook, as_version=4)
    student_copy = student_copy or Path(release_root) / "release" / assignment / notebook
    student = nbformat.read(student_copy, as_version=4)
    reference = grade_ids(source, solution=True)
    replacements = dict(replacements or {})
    unknown = set(replacements) - set(reference)
    assert not unknown, f"no solution cells named {sorted(unknown)} in {notebook}"
    for grade_id, cell in grade_ids(student, solution=True).items():
        cell.source = replacements[grade_id] if grade_id in replacements else reference[grade_id].source
    return student


HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def secret_lines(nb, public_texts=()):
    """The lines of `nb`'s hidden tests that show up nowhere a learner may see: not outside the
    hidden regions, and not in `public_texts` (such as the learners' own code)."""
    sources = [cell.source for cell in nb.cells]
    public = "\n".join([HIDDEN_REGION.sub("", source) for source in sources] + list(public_texts))
    hidden = (line.strip() for source in sources for region in HIDDEN_REGION.findall(source)
              for line in region.splitlines())
    return {line for line in hidden if len(line) >= 12 and line not in public}


def cell_scores(db_url, assignment, students, notebook=None):
    """{student: {grade_id: (score, max_score, needs_manual_grade)}} from the gradebook at `db_url`."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        return {s: {g.name: (g.score, g.max_score, g.needs_manual_grade)
                    for g in gb.find_submission_notebook(notebook or assignment, assignment, s).grades}
                for s in students}


def feedback_text(course, learner, assignment, notebook=None):
    """What the learner reads in their feedback page: its text, without the HTML."""
    page = (Path(course) / "feedback" / learner / assignment / f"{notebook or assignment}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))
