"""The student edition (`./course publish DIR`, tools/publish.py): the lessons and the student
copies, a learner's README, nothing else; no line of a solution or a hidden test; every badge
opens a file of the edition; and no one's files are ever overwritten."""
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup

from conftest import LESSONS, RELEASE_NOTEBOOKS, ROOT, SOURCE_NOTEBOOKS, rel, run_publish
from grader.course import assignments
from kit.browser import chromium
from tools.publish import BADGE, COLAB_URL, MARKER, SITE, STUDENT_REPO, published_path

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SHORTEST_SECRET = 12
# Reference-solution lines that lesson 3 teaches word for word (the network it builds and its
# accuracy loop): public by the lesson's design, so allowed in lessons/ and nowhere else.
TAUGHT_IN_LESSONS = {
    "nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),",
    "nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),",
    "return correct / len(loader.dataset)",
    "loss = loss_fn(model(inputs), targets)",  # the training loop's forward step, as lessons 1 and 2 teach it
}
COLAB_GITHUB = re.compile(r"https://colab\.research\.google\.com/github/([^)\s\"'<>]*)")
COURSE_FILES = ("course", "nbgrader_config.py", "requirements.txt", "requirements-learner.txt", "README.md", "grader", "tools", "student-kit", "notebooks", "source",
                "release")


@pytest.fixture
def scratch(tmp_path):
    """A copy of the course's own files, to break."""
    course = tmp_path / "course"
    course.mkdir()
    for name in COURSE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, course / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, course / name)
    return course


def snapshot(folder):
    """Every path under `folder` (.git too), with each file's bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


def texts(tree):
    """{path: text} of every file of `tree` but .git; a notebook's text is every string in it
    (cell sources, outputs, metadata); a page's is its HTML and the text it shows."""
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, (dict, list)):
            for value in node.values() if isinstance(node, dict) else node:
                yield from strings(value)
    found = {}
    for path in sorted(tree.rglob("*")):
        key = path.relative_to(tree).as_posix()
        if path.is_file() and not key.startswith(".git/"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                text = "\n".join(strings(json.loads(text)))
            elif path.suffix == ".html":  # its markup (links) and its text (code, highlighted in spans)
                text += "\n" + BeautifulSoup(text, "html.parser").get_text()
            found[key] = text
    return found


def secrets(path):
    """The lines of source notebook `path` that a learner must never see: every line of each
    `### BEGIN SOLUTION` ... `### END SOLUTION` and `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS`
    region, and every line of the markdown solution cells (the hand-graded reference answers).

    Excluded, as public by design: a line that occurs anywhere in the notebook's text outside those
    regions and cells (what nbgrader leaves in the student copy, e.g. `optimizer.zero_grad()` in a
    visible test), and a line shorter than 12 characters once stripped (`else:`, `continue`,
    `losses = []`, `correct = 0`: syntax that any notebook may hold)."""
    secret, public = [], []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            secret += cell.source.splitlines()
            continue
        secret += [line for region in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source)
                   for line in region.splitlines()]
        public.append(HIDDEN.sub("", SOLUTION.sub("", cell.source)))
    public = "\n".join(public)
    return {line.strip() for line in secret if len(line.strip()) >= SHORTEST_SECRET and line.strip() not in public}


def leaks(tree, path):
    """{secret line of `path`: [files of `tree` that show it]}."""
    files = texts(tree)
    found = {line: [name for name, text in files.items() if line in text
                    and not (line in TAUGHT_IN_LESSONS and name.startswith(("lessons/", f"{SITE}/lessons/")))]
             for line in secrets(path)}
    return {line: names for line, names in found.items() if names}


@pytest.mark.slow  # (every test of the edition: publishing checks release/ in a scratch course)
@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_no_line_of_a_solution_or_hidden_test_is_published(edition, path):
    assert len(secrets(path)) >= 30, "the secret lines are not found: has the notebook's layout changed?"
    shown = leaks(edition, path)
    assert not shown, f"the student edition shows lines of {rel(path)}'s solutions or hidden tests: {shown}"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_the_leak_check_finds_every_line_of_a_published_master_copy(tmp_path, path):
    (tmp_path / "assignments").mkdir()
    shutil.copy(path, tmp_path / "assignments" / path.name)
    assert set(leaks(tmp_path, path)) == secrets(path)


def test_the_lines_lessons_may_teach_are_reference_lines_they_teach():
    reference = set().union(*(secrets(path) for path in SOURCE_NOTEBOOKS))
    lessons = "\n".join(texts(ROOT / "notebooks").values())
    assert TAUGHT_IN_LESSONS <= reference and all(line in lessons for line in TAUGHT_IN_LESSONS), \
        "TAUGHT_IN_LESSONS lists a line that is no longer both a solution line and in a lesson: remove it"


def pages():
    """The edition's web pages: {published notebook: its page}."""
    return {published_path(rel(path)): f"{SITE}/{published_path(rel(path)).split('/')[0]}/{path.stem}.html"
            for path in LESSONS + RELEASE_NOTEBOOKS}


def figure_cells(path):
    """The code cells of the notebook at `path` that draw a figure (matplotlib's plt.show())."""
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and "plt.show()" in c.source]


@pytest.mark.slow
def test_the_edition_holds_exactly_the_allowlist(edition):
    expected = {"README.md", "requirements.txt", MARKER, f"{SITE}/index.html"} | set(pages().values())
    expected |= {f"lessons/{p.name}" for p in LESSONS}
    expected |= {"assignments/" + p.relative_to(ROOT / "release").as_posix()
                 for a in assignments() for p in (ROOT / "release" / a).rglob("*") if p.is_file()}
    expected |= {name for name in ("LICENSE", "LICENSE.md", "LICENSE.txt") if (ROOT / name).is_file()}
    expected |= {"student-kit/pyproject.toml"} | {p.relative_to(ROOT).as_posix()
                                                  for p in (ROOT / "student-kit" / "coursekit").glob("*.py")}
    published = {p.relative_to(edition).as_posix() for p in edition.rglob("*") if p.is_file()}
    assert published == expected
    assert {f"assignments/{p.parent.name}/{p.name}" for p in RELEASE_NOTEBOOKS} <= published
    for path in RELEASE_NOTEBOOKS:
        assert (edition / published_path(rel(path))).read_bytes() == path.read_bytes(), f"{rel(path)} was changed"
    for path in LESSONS:  # the lesson as it is, with its outputs
        cells = lambda nb: [(c.cell_type, c.get("id"), c.source) for c in nb.cells]
        assert cells(nbformat.read(edition / published_path(rel(path)), 4)) == cells(nbformat.read(path, 4)), \
            f"{rel(path)}'s cells were changed"
    assert (edition / "requirements.txt").read_bytes() == (ROOT / "requirements-learner.txt").read_bytes()
    marker = json.loads((edition / MARKER).read_text())
    assert set(marker["files"]) == expected - {MARKER}


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=rel)
def test_the_editions_lessons_carry_their_outputs_and_figures(edition, path):
    """Each published lesson was run top to bottom: every code cell ran, in order, without an error,
    and every cell that draws a figure holds it (an interactive one at its first values)."""
    nb = nbformat.read(edition / published_path(rel(path)), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "not every cell ran, in order"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"], "a cell failed"
    drawn = {c.id for c in code if any("image/png" in o.get("data", {}) for o in c.outputs)}
    assert figure_cells(path) and {c.id for c in figure_cells(path)} <= drawn, "a figure is missing"
    assert not [o for c in code for o in c.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})], \
        "a widget that only a running kernel shows was published"
    assert all(c.outputs == [] for c in nbformat.read(path, 4).cells if c.cell_type == "code"), \
        f"{rel(path)} in the course has outputs"


# Marks each <img> with the size the browser decoded it at, once the page has loaded.
RENDERED = ("<script>addEventListener('load', () => { for (const img of document.images) "
            "img.dataset.rendered = img.naturalWidth + 'x' + img.naturalHeight; });</script>")


def rendered_figures(page, tmp_path):
    """The figures (inline PNG images of at least 200x100 pixels) headless Chromium renders on `page`."""
    probe = tmp_path / page.name
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", RENDERED + "</body>"), encoding="utf-8")
    dom = BeautifulSoup(chromium(probe, "--dump-dom", "--virtual-time-budget=10000", profile=tmp_path / "profile"),
                        "html.parser")
    sizes = [tuple(map(int, img.get("data-rendered", "0x0").split("x"))) for img in dom.find_all("img")
             if img.get("src", "").startswith("data:image/png;base64,")]
    return [size for size in sizes if size[0] >= 200 and size[1] >= 100]


@pytest.mark.slow
def test_the_editions_pages_render_with_their_figures_in_a_browser(edition, tmp_path):
    readme = (edition / "README.md").read_text()
    assert f"`{SITE}/index.html`" in readme, "the learner's README does not link the pages"
    index = BeautifulSoup(chromium(edition / SITE / "index.html", "--dump-dom", profile=tmp_path / "profile"),
                          "html.parser")
    linked = {(edition / SITE / a["href"]).resolve() for a in index.find_all("a")}
    assert linked == {(edition / page).resolve() for page in pages().values()}, "the index does not link every page"
    for path in LESSONS + RELEASE_NOTEBOOKS:
        page = edition / pages()[published_path(rel(path))]
        figures = rendered_figures(page, tmp_path)
        assert len(figures) >= len(figure_cells(path)), f"{page.name}: {len(figures)} figures rendered: {figures}"
        text = BeautifulSoup(chromium(page, "--dump-dom", profile=tmp_path / "profile"), "html.parser").get_text()
        first = next(c.source for c in nbformat.read(path, 4).cells if c.cell_type == "markdown")
        assert first.splitlines()[0].lstrip("# ").strip() in text, f"{page.name} does not show its notebook"


@pytest.mark.slow
def test_the_editions_student_kit_installs_with_pip_at_the_version_the_notebooks_pin(edition, tmp_path):
    """What an assignment's first cell installs in Colab (pip, from the edition's student-kit/ at the
    tag v<version>), installed here from the published folder: it imports, at that version."""
    import coursekit
    kit = shutil.copytree(edition / "student-kit", tmp_path / "student-kit")  # (pip builds in the folder)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(tmp_path / "site"), str(kit)], check=True)
    probe = subprocess.run([sys.executable, "-c", "import coursekit, coursekit.own_work; print(coursekit.__version__, "
                            "coursekit.__file__)"], env={"PYTHONPATH": str(tmp_path / "site"), "PATH": os.environ["PATH"]},
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    version, where = probe.stdout.split()
    assert version == coursekit.__version__ and where.startswith(str(tmp_path / "site"))
    for path in RELEASE_NOTEBOOKS:
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source
        assert f"{STUDENT_REPO}@v{version}#subdirectory=student-kit" in first, f"{rel(path)} pins another kit"


@pytest.mark.slow
def test_every_badge_opens_a_file_of_the_edition(edition):
    files = texts(edition)
    targets = [(name, url) for name, text in files.items() for url in COLAB_GITHUB.findall(text)]
    for name, url in targets:
        repo_path = url.removeprefix(f"{STUDENT_REPO}/blob/main/")
        assert repo_path != url and repo_path in files, f"{name} has a badge to {url}, not a file of the edition"
    assert len([t for t in targets if t[0] == "README.md"]) == len(LESSONS + RELEASE_NOTEBOOKS)
    for name in files:
        if name.endswith(".ipynb"):
            first = nbformat.read(edition / name, as_version=4).cells[0].source
            assert BADGE.findall(first) == [f"{COLAB_URL}{name}"], f"{name}'s badge opens another file"


@pytest.mark.slow
def test_the_learner_readme_sets_up_colab_and_a_local_lab_and_names_the_data_folder(edition):
    readme = (edition / "README.md").read_text()
    for needed in ("Save a copy in Drive", "python3 -m venv .venv", "py -m venv .venv", "PowerShell",
                   "-m pip install -r requirements.txt", "jupyter lab", f"git clone https://github.com/{STUDENT_REPO}.git",
                   "`$COURSE_DATA_DIR`", "`~/.cache/pytorch-loss-course/data`", "MNIST/raw/",
                   '"Working in Colab, and how to hand in"'):
        assert needed in readme, f"the learner's README should say {needed!r}"
    lesson = "\n".join(texts(ROOT / "notebooks").values())
    assert 'os.environ.get("COURSE_DATA_DIR", "~/.cache/pytorch-loss-course/data")' in lesson, \
        "the README's data folder is not the one the lessons read"
    for path in RELEASE_NOTEBOOKS:
        assert any(c.source.startswith("## Working in Colab, and how to hand in")
                   for c in nbformat.read(path, as_version=4).cells), f"{rel(path)} has no hand-in section"
    for forbidden in ("./course", "nbgrader", "source/", "release/"):
        assert forbidden not in readme, f"the learner's README mentions the instructor's {forbidden!r}"


@pytest.mark.slow
def test_publishing_again_replaces_the_edition_and_keeps_git(edition, tmp_path):
    dest = tmp_path / "student-edition"
    shutil.copytree(edition, dest)
    (dest / ".git" / "refs").mkdir(parents=True)
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / ".git" / "refs" / "main").write_bytes(b"\x00instructor's history")
    # a file the last publish wrote that is no longer published goes
    (dest / "lessons" / "00_gone.ipynb").write_text("{}")
    marker = json.loads((dest / MARKER).read_text())
    marker["files"]["lessons/00_gone.ipynb"] = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    (dest / MARKER).write_text(json.dumps(marker))
    git = {k: v for k, v in snapshot(dest).items() if k.startswith(".git")}

    proc = run_publish(dest)
    assert proc.returncode == 0, proc.stderr
    after = snapshot(dest)
    assert {k: v for k, v in after.items() if k.startswith(".git")} == git
    assert {k: v for k, v in after.items() if not k.startswith(".git")} == snapshot(edition)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student-edition"], "a staging folder was left behind"


def make_someone_elses(case, dest, edition):
    """A folder that publish must refuse, in `dest`."""
    if case == "a file":
        dest.write_text("not a folder")
        return
    if case == "a folder with their notes":
        dest.mkdir()
        (dest / "notes.txt").write_text("mine")
        return
    shutil.copytree(edition, dest)
    if case == "an edition with a file of theirs":
        (dest / "lessons" / "mine.ipynb").write_text("{}")
    elif case == "an edition with a file they changed":
        (dest / "README.md").write_text("my own README")
    elif case == "an edition with a link of theirs":  # same bytes as published, but a link
        (dest.parent / "mine.md").write_bytes((dest / "README.md").read_bytes())
        (dest / "README.md").unlink()
        (dest / "README.md").symlink_to(dest.parent / "mine.md")
    elif case == "a broken marker":
        (dest / MARKER).write_text("not json")


@pytest.mark.slow
@pytest.mark.parametrize("case", ["a file", "a folder with their notes", "an edition with a file of theirs",
                                  "an edition with a file they changed", "an edition with a link of theirs",
                                  "a broken marker"])
def test_refuses_someone_elses_folder_and_changes_nothing(edition, tmp_path, case):
    dest = tmp_path / "dest"
    make_someone_elses(case, dest, edition)
    before = snapshot(tmp_path)
    proc = run_publish(dest)
    assert proc.returncode == 1 and "Nothing was written" in proc.stderr, proc.stderr
    assert snapshot(tmp_path) == before


def test_course_publish_takes_dir_relative_to_where_you_are(tmp_path):
    """`./course publish DIR` runs in the course root, with DIR relative to the caller's folder."""
    (tmp_path / "taken").write_text("not a folder")
    proc = subprocess.run(["bash", str(ROOT / "course"), "publish", "taken"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=dict(os.environ, PYTHON=sys.executable))
    assert proc.returncode == 1 and f"{tmp_path / 'taken'} is not a folder" in proc.stderr, proc.stderr


def test_refuses_a_folder_inside_the_course(scratch):
    proc = run_publish(scratch / "student-edition", scratch)
    assert proc.returncode == 1 and "inside the course repository" in proc.stderr, proc.stderr
    assert not (scratch / "student-edition").exists()


@pytest.mark.slow
def test_refuses_a_stale_release(scratch, tmp_path):
    path = scratch / "source" / "loss_functions" / "loss_functions.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\n\nA sentence added to the master copy."
    nbformat.write(nb, path)
    proc = run_publish(tmp_path / "student-edition", scratch)
    assert proc.returncode == 1, proc.stderr
    assert "./course run nbgrader generate_assignment loss_functions --force" in proc.stderr
    assert "optimizers" not in proc.stderr and not (tmp_path / "student-edition").exists()


def test_refuses_a_badge_that_opens_another_repository(scratch, tmp_path):
    path = scratch / "notebooks" / LESSONS[0].name
    path.write_text(path.read_text().replace(STUDENT_REPO, "someone/else"))
    proc = run_publish(tmp_path / "student-edition", scratch)
    assert proc.returncode == 1 and f"notebooks/{LESSONS[0].name}" in proc.stderr, proc.stderr
    assert "python -m tools.publish badges" in proc.stderr and not (tmp_path / "student-edition").exists()


def badges(course):
    """`./course run python -m tools.publish badges` in the course at `course`."""
    return subprocess.run([sys.executable, "-m", "tools.publish", "badges"], cwd=course,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_badge_command_rewrites_the_badges_and_nothing_else(scratch):
    old, expected = {}, {}
    for path in sorted((scratch / "notebooks").glob("*.ipynb")) + sorted((scratch / "source").glob("*/*.ipynb")):
        course_path = path.relative_to(scratch).as_posix()
        expected[path] = text = path.read_text()
        # the badge opens the course's own path in an old repository; the links between notebooks, the old one
        text = BADGE.sub(lambda m: m[0].replace(m[1], f"https://colab.research.google.com/github/someone/old/blob/main/"
                                                      f"{course_path}"), text, count=1)
        old[path] = text.replace(COLAB_URL, "https://colab.research.google.com/github/someone/old/blob/main/")
    readme = scratch / "README.md"
    row_badge = re.compile(r"`([^`]+\.ipynb)` (\[!\[Open In Colab\]\([^)]+\)\])\(https://colab[^)]*\)")
    old[readme] = row_badge.sub(lambda m: f"`{m[1]}` {m[2]}(https://colab.research.google.com/github/someone/old/"
                                          f"blob/main/{m[1]})", readme.read_text())
    expected[readme] = row_badge.sub(lambda m: f"`{m[1]}` {m[2]}({COLAB_URL}{published_path(m[1])})", old[readme])
    for path, text in old.items():
        path.write_text(text)
    others = {p: p.read_bytes() for p in (scratch / "release").rglob("*.ipynb")}

    proc = badges(scratch)
    assert proc.returncode == 0, proc.stderr
    for path, text in expected.items():
        assert path.read_text() == text, f"{path.relative_to(scratch)}: more than its badges changed"
        changed = sum(a != b for a, b in zip(old[path].splitlines(), text.splitlines()))
        linked = sum("colab.research.google.com/github/" in line for line in text.splitlines())
        assert changed == (len(LESSONS) if path == readme else linked), \
            "only the lines with a Colab link: one row a module in the README"
        nb = nbformat.read(path, as_version=4) if path.suffix == ".ipynb" else None
        assert nb is None or nbformat.writes(nb) + "\n" == text, "written as nbformat writes it"
    assert {p: p.read_bytes() for p in others} == others, "badges touched release/"
    proc = badges(scratch)
    assert "changed: nothing" in proc.stdout and all(p.read_text() == t for p, t in expected.items())


def test_the_badge_command_refuses_a_notebook_without_a_badge_and_writes_nothing(scratch):
    lesson = scratch / "notebooks" / LESSONS[-1].name
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[0].source = COLAB_GITHUB.sub("https://example.org/", nb.cells[0].source)
    nbformat.write(nb, lesson)
    for path in [scratch / "README.md", *(scratch / "notebooks").glob("*.ipynb")]:
        path.write_text(COLAB_GITHUB.sub("https://colab.research.google.com/github/someone/old/blob/main/x.ipynb",
                                         path.read_text()))
    before = snapshot(scratch)
    proc = badges(scratch)
    assert proc.returncode == 1 and f"notebooks/{lesson.name}" in proc.stderr and COLAB_URL in proc.stderr
    assert snapshot(scratch) == before
