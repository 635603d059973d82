"""The course as the grader, the tests and the benchmarks see it: its assignments, in module order,
and nbgrader's commands run in a course root (this repository, or a scratch copy of it).

The assignments are discovered, never listed: every folder of source/ that holds a notebook. Their
order is the modules' order, the order of the lessons (notebooks/NN_*.ipynb) that link to them
(a lesson's Colab badge or link names `assignments/<assignment>/`); an assignment that no lesson
links to comes last, by name. Adding a module adds an assignment to everything that iterates over
`assignments()`: the grading tests, the hygiene checks, publishing, the benchmarks.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent  # this course's root (where nbgrader_config.py is)
# What a course root holds beside source/: copied into a scratch course as they are.
COURSE_FILES = ("nbgrader_config.py", "course", "requirements.txt", "requirements.in", "requirements-cpu.txt",
                "README.md")
COURSE_FOLDERS = ("grader", "tools", "student-kit")


def assignments(root=ROOT):
    """The assignments of the course at `root`, in module order."""
    source = Path(root) / "source"
    found = sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) if source.is_dir() else []
    order = []
    for lesson in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        text = "".join(cell.source for cell in nbformat.read(lesson, as_version=4).cells)
        order += [name for name in re.findall(r"assignments/(\w+)/", text) if name in found and name not in order]
    return order + [name for name in found if name not in order]


REFERENCES = "references.py"  # an assignment's references, for the judge alone (never copied by nbgrader)


def references(assignment, root=ROOT):
    """The source of `assignment`'s references.py ("" when it has none): what the hidden checks compare
    with, run by the judge after the notebook's locked cells, never in the learner's kernel."""
    path = Path(root) / "source" / assignment / REFERENCES
    return path.read_text() if path.is_file() else ""


def notebooks(assignment, root=ROOT):
    """The notebooks (names without .ipynb) of `assignment`'s source folder."""
    return sorted(p.stem for p in (Path(root) / "source" / assignment).glob("*.ipynb"))


def nbgrader_env(env=None):
    """`env` (default: this process's) with this Python's scripts first on PATH: nbgrader runs
    alembic, which must be the environment's own."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader(*args, cwd, check=True, timeout=1800):
    """Run `nbgrader ARGS` in the course root `cwd`; return the completed process."""
    proc = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=cwd, env=nbgrader_env(),
                          text=True, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def scratch_course(dest, names=None, root=ROOT):
    """Copy what an instructor's course root holds (of the course at `root`) into `dest`, with the
    assignments `names` (default: all), and generate their student copies there."""
    dest, root = Path(dest), Path(root)
    dest.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        if (root / name).exists():
            shutil.copy2(root / name, dest / name)
    for name in COURSE_FOLDERS:
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for assignment in assignments(root) if names is None else names:
        shutil.copytree(root / "source" / assignment, dest / "source" / assignment)
        if not (dest / "gradebook.db").exists():  # (the first generate_assignment makes it: stamped here, at once)
            seed_gradebook(dest / "gradebook.db", gradebook_version())
        nbgrader("generate_assignment", assignment, "--force", cwd=dest)
    return dest


def seed_gradebook(path, version):
    """An empty SQLite gradebook at `path` stamped with alembic's `version`, as nbgrader's Gradebook stamps a new
    one (it runs `alembic heads` for the version, about 3 s a time); nbgrader adds its tables when it opens it."""
    import contextlib
    import sqlite3
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (version,))
        db.commit()


def gradebook_version():
    """The version nbgrader stamps a new gradebook with: the head of its alembic migrations (alembic's own API, in
    this process)."""
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR
    return ScriptDirectory(ALEMBIC_DIR).get_current_head()
