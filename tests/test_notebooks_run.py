"""Every cell of every notebook runs, each notebook alone in an empty folder as in Colab: the
lessons and student copies as the student edition publishes them, the source notebooks from here."""
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import LESSONS, RELEASE_NOTEBOOKS, ROOT, SOURCE_NOTEBOOKS, rel
from grader.course import references
from kit.course_tools import filled_student_copy
from tools.publish import published_path, publish

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """The student edition, published as `./course publish` does."""
    dest = tmp_path_factory.mktemp("edition") / "student-edition"
    publish(dest)
    return dest


def run_alone(notebook, folder, kit=None):
    """Re-run every cell of `notebook` with nbval, in `folder` holding only that notebook,
    with nothing from the repository importable; with `kit` (a student-kit/ folder), the student kit
    installed from it by pip first, as an assignment's first cell installs it in Colab (from the
    student edition: here without the network, so from the folder)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    if kit is not None:
        site = folder.parent / f"{folder.name}-site"
        kit = shutil.copytree(kit, folder.parent / f"{folder.name}-kit")  # (pip builds in the folder it installs)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--target", str(site), str(kit)], check=True)
        env["PYTHONPATH"] = str(site)
    assert sorted(os.listdir(folder)) == [notebook.name]
    proc = subprocess.run(
        # (a cell's time limit well above any cell's time on a busy machine: this test asks that the cells run,
        # bench/notebook_times.py how long they take)
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-cell-timeout=600", "-p", "no:cacheprovider",
         "-q", notebook.name],
        cwd=folder, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"{notebook.name} failed when run alone:\n{proc.stdout[-8000:]}\n{proc.stderr[-2000:]}"


@pytest.mark.parametrize("path", LESSONS, ids=rel)
def test_published_lesson_runs_alone_like_in_colab(path, edition, tmp_path):
    published = edition / published_path(rel(path))
    (tmp_path / path.name).write_bytes(published.read_bytes())
    run_alone(tmp_path / path.name, tmp_path)


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_source_notebook_runs_alone(path, tmp_path):
    """The master copy, hidden tests included, with its references.py run where the judge runs it:
    after the locked cells, before the first check."""
    nb = nbformat.read(path, as_version=4)
    source = references(path.parent.name)
    if source:
        first = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")
                     and not c.metadata.get("nbgrader", {}).get("solution"))
        nb.cells.insert(first, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, tmp_path / path.name)
    run_alone(tmp_path / path.name, tmp_path, kit=ROOT / "student-kit")


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=rel)
def test_published_student_copy_with_reference_solution_runs_alone(path, edition, tmp_path):
    nb = filled_student_copy(path.parent.name, path.name, None,
                             student_copy=edition / published_path(rel(path)))
    nbformat.write(nb, tmp_path / path.name)
    run_alone(tmp_path / path.name, tmp_path, kit=edition / "student-kit")
