"""CONTRIBUTING.md's "Adding a module" steps are enough: a throwaway assignment added to a scratch
copy of the repository by those steps alone (no other file touched) is found by the registry in its
module's place, passes the quick loop there (whose tests iterate over the registry; run on all that the new
module can change), and grades: its
reference solution gets full marks and its untouched student copy zero."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.course import ROOT, assignments, nbgrader
from grader.sandbox import sandbox_problem

pytestmark = pytest.mark.slow

NEW = "tiny_losses"  # the throwaway assignment (a copy of the first one, under a new name)
TEMPLATE = "loss_functions"


def repository_copy(dest):
    """The repository's tracked files (what a fresh clone holds), copied into `dest`."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def renamed(text, lesson=None):
    """`text` of a copy of the template, its names made the new module's (as CONTRIBUTING says)."""
    if lesson:
        text = text.replace(*lesson)
    return text.replace(TEMPLATE, NEW)


@pytest.fixture(scope="module")
def contributed(tmp_path_factory):
    repo = repository_copy(tmp_path_factory.mktemp("repo"))
    lessons = sorted((repo / "notebooks").glob("*.ipynb"))
    # 1. the lesson, numbered after the last one, linking to its assignment
    number = int(re.match(r"\d+", lessons[-1].name).group()) + 1
    names = (lessons[0].stem, f"{number:02d}_{NEW}")
    lesson = nbformat.read(lessons[0], as_version=4)
    for cell in lesson.cells:
        cell.source = renamed(cell.source, names)
    nbformat.write(lesson, repo / "notebooks" / f"{names[1]}.ipynb")
    # 2. the source notebook, from a copy of an existing assignment
    source = nbformat.read(repo / "source" / TEMPLATE / f"{TEMPLATE}.ipynb", as_version=4)
    for cell in source.cells:
        cell.source = renamed(cell.source, names)
    (repo / "source" / NEW).mkdir()
    nbformat.write(source, repo / "source" / NEW / f"{NEW}.ipynb")
    # 3. its common mistakes
    shutil.copy(repo / "tests" / "mistakes" / f"{TEMPLATE}.py", repo / "tests" / "mistakes" / f"{NEW}.py")
    # 4. regenerate
    nbgrader("generate_assignment", NEW, "--force", cwd=repo)
    subprocess.run([sys.executable, "-m", "tools.publish", "badges"], cwd=repo, check=True, capture_output=True)
    # 5. the README's Modules table
    readme = repo / "README.md"
    text = readme.read_text()
    row = next(line for line in text.splitlines() if f"release/{TEMPLATE}/{TEMPLATE}.ipynb" in line)
    new_row = renamed(row, names)
    last = [line for line in text.splitlines() if line.startswith("| ") and ".ipynb" in line and "release/" in line][-1]
    readme.write_text(text.replace(last, last + "\n" + new_row, 1))
    return repo


def test_the_registry_finds_it_in_module_order(contributed):
    assert assignments(contributed) == [*assignments(), NEW]


def collected(repo, *select):
    """How many tests the quick loop, narrowed by `select`, collects in `repo`."""
    out = subprocess.run([sys.executable, "-m", "pytest", "-m", "not slow", "-q", "--collect-only", *select], cwd=repo,
                         capture_output=True, text=True).stdout
    return int(re.search(r"(\d+)(?:/\d+)? tests? collected", out).group(1))


def test_the_quick_loop_passes_with_it(contributed):
    """The quick loop in the copy, on all that adding a module can change: every test of the new module and every
    test that is not one existing module's own (those, parametrized by the module they read, run in the suite
    itself and read nothing the steps touch)."""
    theirs = " or ".join(assignments())
    select = ["-k", f"{NEW} or not ({theirs})"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-x", "-p", "no:randomly", *select],
                          cwd=contributed, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    count = int(re.search(r"(\d+) passed", proc.stdout).group(1))
    new = collected(contributed, "-k", NEW)
    assert new > 20  # (the new module gets the tests every module gets: its notebooks, release, self-check, ...)
    assert count > collected(ROOT, "-k", f"not ({theirs})") + new - 5  # the loop ran, not skipped


@pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
def test_it_grades(contributed):
    for learner, nb in (("ada", contributed / "source" / NEW / f"{NEW}.ipynb"),
                        ("untouched", contributed / "release" / NEW / f"{NEW}.ipynb")):
        folder = contributed / "submitted" / learner / NEW
        folder.mkdir(parents=True)
        shutil.copy(nb, folder / f"{NEW}.ipynb")
    proc = subprocess.run([sys.executable, "-m", "grader.grade", NEW, "--workers", "2"], cwd=contributed,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    scores = {name: (float(score), float(most))
              for name, score, most in re.findall(r"^(ada|untouched)\s+([\d.]+)\s+([\d.]+)", proc.stdout, re.M)}
    hand_graded = sum(float(c.metadata.nbgrader.get("points", 0)) for c in
                      nbformat.read(contributed / "release" / NEW / f"{NEW}.ipynb", as_version=4).cells
                      if c.metadata.get("nbgrader", {}).get("solution") and c.metadata.nbgrader.get("grade"))
    assert scores["ada"][0] == scores["ada"][1] - hand_graded > 0, proc.stdout[-3000:]
    assert scores["untouched"][0] == 0
