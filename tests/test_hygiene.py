"""Committed notebooks are inputs: valid, clean, readable nbgrader metadata, Colab-ready."""
import ast
import hashlib
import re
import sys

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from conftest import ALL_NOTEBOOKS, DEMO_NOTEBOOKS, LESSONS, RELEASE_NOTEBOOKS, ROOT, SOURCE_NOTEBOOKS, rel
from kit.course_tools import grade_ids
from tools import publish
from tools.publish import COLAB_URL, published_path

NOTEBOOK_METADATA = {"kernelspec", "language_info"}
CELL_METADATA = {"nbgrader", "deletable", "editable",  # the last two: nbgrader's locks in release/
                 "jupyter", "cellView"}  # a folded cell: JupyterLab's source_hidden, Colab's form view
COLAB_PREINSTALLED = {"torch", "torchvision", "numpy", "matplotlib", "tqdm", "ipywidgets"}
GRADE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def read(path):
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def graded_notebooks():
    return SOURCE_NOTEBOOKS + RELEASE_NOTEBOOKS


def test_every_assignment_is_released():
    assert [p.parent.name for p in SOURCE_NOTEBOOKS] == [p.parent.name for p in RELEASE_NOTEBOOKS]
    assert LESSONS and SOURCE_NOTEBOOKS


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=rel)
def test_valid_nbformat_4_with_python3_kernel(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=rel)
def test_no_outputs_and_lean_metadata(path):
    nb = read(path)
    assert set(nb.metadata) <= NOTEBOOK_METADATA, f"extra notebook metadata: {set(nb.metadata) - NOTEBOOK_METADATA}"
    for i, cell in enumerate(nb.cells):
        where = f"{rel(path)} cell {i}"
        assert set(cell.metadata) <= CELL_METADATA, f"{where}: extra metadata {set(cell.metadata) - CELL_METADATA}"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{where} has outputs: clear them before committing"
            assert cell.execution_count is None, f"{where} has an execution count"
        if path in LESSONS:
            assert "nbgrader" not in cell.metadata, f"{where}: lessons are not graded"


@pytest.mark.parametrize("path", DEMO_NOTEBOOKS, ids=rel)
def test_demo_class_notebooks_have_no_outputs(path):
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{rel(path)} cell {i} has outputs"


@pytest.mark.parametrize("path", graded_notebooks(), ids=rel)
def test_nbgrader_metadata_is_valid_and_readable(path):
    nb = read(path)
    MetadataValidator().validate_nb(nb)
    ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)), f"duplicate grade ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for grade_id in ids:
        assert GRADE_ID.match(grade_id), f"grade id {grade_id!r} should be descriptive snake_case words"
    tests = grade_ids(nb, grade=True, solution=False)
    assert tests, "an assignment without test cells grades nothing"
    for grade_id, cell in tests.items():
        assert cell.source.startswith("# Check that "), f"{grade_id}: first line should be '# Check that ...'"
        assert grade_id.startswith("test_"), f"{grade_id}: test cells are named test_..."
        if path in SOURCE_NOTEBOOKS:
            assert re.search(r"\bassert(_close)?\b|\b(check|compare)_\w+\(", cell.source), f"{grade_id} asserts nothing"


@pytest.mark.parametrize("path", graded_notebooks(), ids=rel)
def test_points_in_each_heading_match_its_cells(path):
    nb = read(path)
    parts, current = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading = cell.source.splitlines()[0]
            match = re.search(r"\((\d+) points?", heading)
            current = [heading, int(match.group(1)), 0] if match else None
            if current:
                parts.append(current)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert current, f"{meta['grade_id']} is graded but its part's heading states no points"
            current[2] += meta["points"]
    assert parts
    for heading, stated, actual in parts:
        assert stated == actual, f"{heading!r} states {stated} points, its cells give {actual}"
    total = re.search(r"\*\*total\*\* \| \*\*(\d+)\*\*", nb.cells[0].source)
    assert total and int(total.group(1)) == sum(p[2] for p in parts), "the intro's points table total is off"


def badge_target(path):
    """Where a notebook's Open in Colab badge must point, in the student edition (tools/publish.py):
    to the notebook itself; a source notebook's, to its student copy."""
    return published_path(rel(path))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=rel)
def test_open_in_colab_badge_points_to_itself(path):
    first = read(path).cells[0]
    urls = publish.BADGE.findall(first.source)
    assert urls == [f"{COLAB_URL}{badge_target(path)}"], f"badge in the first cell should point to {badge_target(path)}"


def test_readme_lists_every_notebook_with_a_badge():
    readme = (ROOT / "README.md").read_text()
    for path in LESSONS + RELEASE_NOTEBOOKS:
        assert f"`{rel(path)}` [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]" \
               f"({COLAB_URL}{published_path(rel(path))})" in readme, f"README has no Open in Colab badge for {rel(path)}"


def imported_modules(source):
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports cannot work in Colab"
            yield node.module.split(".")[0]


def kit_install(source):
    """Whether `source` installs the student kit (coursekit) in Colab, from the student edition,
    pinned to the kit's version, and only when it is not installed already (locally, when graded)."""
    from coursekit import __version__
    from tools.publish import STUDENT_REPO
    pinned = f'%pip install -q "coursekit @ git+https://github.com/{STUDENT_REPO}@v{__version__}#subdirectory=student-kit"'
    return "try:\n    import coursekit\nexcept ImportError:\n    " + pinned in source


def kit_digest():
    """The SHA-256 of the student kit's sources, as student-kit/DIGESTS records it."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "student-kit" / "coursekit").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_each_version_of_the_student_kit_names_one_content():
    """A change to the kit raises its version (Colab installs it by its version's tag)."""
    from coursekit import __version__
    lines = (ROOT / "student-kit" / "DIGESTS").read_text().splitlines()
    recorded = dict(line.split() for line in lines if line.strip() and not line.startswith("#"))
    assert recorded.get(__version__) == kit_digest(), (
        f"the student kit's sources changed under version {__version__}: raise coursekit.__version__ and add "
        f"the line `<version> {kit_digest()}` to student-kit/DIGESTS")
    assert len(set(recorded.values())) == len(recorded), "two versions of the kit with the same content"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_an_assignment_installs_the_student_kit_first_pinned_to_its_release(path):
    first = next(c for c in read(path).cells if c.cell_type == "code")
    assert kit_install(first.source), f"{rel(path)}: the first code cell installs coursekit in Colab, pinned"


@pytest.mark.parametrize("path", LESSONS + SOURCE_NOTEBOOKS, ids=rel)
def test_imports_only_what_colab_preinstalls(path):
    """... or the student kit, which an assignment's first cell installs there."""
    allowed = COLAB_PREINSTALLED | set(sys.stdlib_module_names)
    if kit_install(next(c for c in read(path).cells if c.cell_type == "code").source):
        allowed = allowed | {"coursekit"}
    for cell in read(path).cells:
        if cell.cell_type == "code":
            for module in imported_modules(cell.source):
                assert module in allowed, f"{rel(path)} imports {module}, which Colab does not preinstall"


@pytest.mark.parametrize("path", graded_notebooks(), ids=rel)
def test_every_hand_graded_answer_has_its_rubric_beside_it(path):
    """The Formgrader shows a submission's cells in order: the locked rubric right after each answer."""
    cells = read(path).cells
    answers = [i for i, c in enumerate(cells)
               if c.metadata.get("nbgrader", {}).get("grade") and c.metadata.nbgrader.get("solution")
               and c.cell_type == "markdown"]
    assert answers, "every assignment has a written answer graded by hand"
    for i in answers:
        grade_id, points = cells[i].metadata.nbgrader["grade_id"], cells[i].metadata.nbgrader["points"]
        rubric = cells[i + 1] if i + 1 < len(cells) else None
        assert rubric is not None and rubric.source.startswith(f"**Rubric ({points} points).**"), \
            f"{grade_id}: put a locked '**Rubric ({points} points).**' cell right after the answer"
        assert rubric.metadata.get("nbgrader", {}).get("locked"), f"{grade_id}: lock its rubric cell"
        awarded = sum(int(n) for n in re.findall(r"\*\*(\d+) points?:", rubric.source))
        assert awarded == points, f"{grade_id}'s rubric gives {awarded} of its {points} points"


@pytest.mark.parametrize("path", graded_notebooks(), ids=rel)
def test_every_assignment_says_how_to_hand_it_in(path):
    nb = read(path)
    assignment = path.parent.name
    section = next((c.source for c in nb.cells if c.source.startswith("## Working in Colab, and how to hand in")), "")
    assert section, "each assignment has a 'Working in Colab, and how to hand in' section"
    for needed in ("Save a copy in Drive", f"Copy of {assignment}.ipynb", "Download .ipynb",
                   "Runtime → Restart session and run all", "Kernel → Restart Kernel and Run All Cells",
                   "**on a CPU**", "latest file is graded"):
        assert needed in section, f"the hand-in section should say {needed!r}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=rel)
def test_device_is_cuda_or_apple_mps_or_cpu(path):
    choices = [cell for cell in read(path).cells if re.search(r"\bdevice = torch\.device\(", cell.source)]
    assert choices or path not in LESSONS, "every lesson picks its device"
    for cell in choices:
        assert "torch.cuda.is_available()" in cell.source and "torch.backends.mps.is_available()" in cell.source, \
            "pick cuda, then Apple's mps, then the cpu"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_every_hidden_test_cell_announces_itself(path):
    """In the student copy a hidden-test cell is empty but for this line: silence must not read as 'passed'."""
    hidden = {gid: cell for gid, cell in grade_ids(read(path), grade=True, solution=False).items()
              if "### BEGIN HIDDEN TESTS" in cell.source}
    assert hidden
    for grade_id, cell in hidden.items():
        points = cell.metadata.nbgrader["points"]
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        announced = re.search(r'print\("Hidden tests \((\d+) points?\) will check, when your notebook is graded', visible)
        assert announced and int(announced.group(1)) == points, \
            f"{grade_id}: print 'Hidden tests ({points} points) will check, when your notebook is graded, that ...'"


@pytest.mark.parametrize("path", LESSONS + graded_notebooks(), ids=rel)
def test_each_notebook_says_what_you_learn_what_you_need_how_long_and_what_next(path):
    cells = read(path).cells
    first, last = cells[0].source, cells[-1].source
    assert re.search(r"In this lesson you will:|^You will ", first, re.M), "say what the learner will learn"
    assert "**Before you start:**" in first, "say what to know first, with links to the lessons it builds on"
    assert re.search(r"\*\*Time:\*\* about \d+ minutes .*; [\d,]+ words at \d+ a minute, every cell runs in \d+ s "
                     r"on a 2-core CPU\.", first), \
        "a measured '**Time:**' line: run `./course run python -m bench.notebook_times --write`"
    if "source" in path.parts:  # an assignment also says how long writing the code takes, as an estimate
        from bench.notebook_times import coding_estimate
        assert coding_estimate(read(path)) in first, "run `./course run python -m bench.notebook_times --write`"
    assert "**Next:**" in last, "end with what comes next"


def test_every_colab_link_opens_a_file_of_the_student_edition():
    """Badges and the links between notebooks ("Before you start", "Next") all open the published files."""
    published = set(publish.allowlist())
    for path in ALL_NOTEBOOKS + [ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"https://colab\.research\.google\.com/github/[^)\s\"\\]+", text):
            assert url.startswith(publish.COLAB_URL), f"{rel(path)}: {url} does not open the student edition"
            assert url[len(publish.COLAB_URL):] in published, f"{rel(path)}: {url} opens no published file"


def mnist_loading(path):
    """The code of `path`'s cell that loads MNIST (the one that calls datasets.MNIST(..., download=True)):
    its top-level statements as ast.unparse writes them (no comments, one layout), prints left out;
    None when no cell loads it."""
    for cell in read(path).cells:
        if cell.cell_type != "code" or "datasets.MNIST(" not in cell.source:
            continue
        tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        if any(isinstance(node, ast.Call) and ast.unparse(node.func).endswith("datasets.MNIST")
               and any(k.arg == "download" for k in node.keywords) for node in ast.walk(tree)):
            return [ast.unparse(stmt) for stmt in tree.body
                    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                            and ast.unparse(stmt.value.func) == "print")]
    return None


def test_the_mnist_loading_code_is_the_same_wherever_it_is_copied():
    """The lesson's MNIST loading cell is copied into the assignment (each notebook runs alone, in
    Colab): every copy starts with the lesson's code, word for word but for comments, layout and prints."""
    copies = {rel(path): mnist_loading(path) for path in LESSONS + SOURCE_NOTEBOOKS}
    copies = {path: code for path, code in copies.items() if code}
    assert {"notebooks/03_mnist_classification.ipynb", "source/mnist_classifier/mnist_classifier.ipynb"} <= set(copies)
    lesson, reference = next(iter(copies.items()))  # the first lesson that loads MNIST
    for path, code in copies.items():
        differ = [f"{lesson}: {a!r}\n{path}: {b!r}" for a, b in zip(reference, code) if a != b]
        assert code[:len(reference)] == reference, (
            f"{path} loads MNIST otherwise than {lesson}: make the copies agree\n" + "\n".join(differ or ["(shorter)"]))


SCREEN = 40  # lines of code a learner sees in one screen


def code_lines_before_part_1(path):
    """The lines of code a learner scrolls past before Part 1: folded cells count their title alone."""
    lines = 0
    for cell in read(path).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## Part 1"):
            return lines
        if cell.cell_type == "code":
            folded = cell.metadata.get("jupyter", {}).get("source_hidden") and cell.metadata.get("cellView") == "form"
            lines += 1 if folded else len(cell.source.splitlines())
    raise AssertionError(f"{rel(path)} has no '## Part 1' heading")


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS + RELEASE_NOTEBOOKS, ids=rel)
def test_part_1_is_within_one_screen_of_code(path):
    assert code_lines_before_part_1(path) <= SCREEN, f"{rel(path)}: fold the helper cells (see tests/test_hygiene.py)"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=rel)
def test_a_folded_cell_is_folded_in_jupyterlab_and_colab_and_says_what_it_does(path):
    """JupyterLab folds a cell whose metadata says jupyter.source_hidden; Colab shows a cell in its form
    view (cellView "form") as its #@title line alone. A folded cell is locked: its title says to run it."""
    for i, cell in enumerate(read(path).cells):
        hidden, form = cell.metadata.get("jupyter"), cell.metadata.get("cellView")
        if hidden is None and form is None:
            continue
        where = f"{rel(path)} cell {i}"
        assert hidden == {"source_hidden": True} and form == "form", f"{where}: fold it in both or neither"
        assert cell.source.startswith("#@title ") and "run" in cell.source.splitlines()[0], f"{where}: a #@title that says to run it"
        assert cell.metadata.get("nbgrader", {}).get("locked"), f"{where}: only locked cells are folded"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=rel)
def test_points_are_stated_once_in_the_metadata_and_written_everywhere_from_it(path):
    """tools/points.py writes the headings, the intro table, the visible checks, the hidden tests'
    announcements and the summary from nbgrader's metadata: the notebook is in line with it, and a
    point moved in the metadata moves everywhere."""
    from tools.points import in_line
    nb = read(path)
    assert nbformat.writes(in_line(read(path))) == nbformat.writes(nb), \
        f"{rel(path)}: run ./course run python -m tools.points, then regenerate release/"
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata.nbgrader.get("solution") and "BEGIN HIDDEN" not in c.source
                and c.metadata.nbgrader["points"] > 0)
    grade_id, points = test.metadata.nbgrader["grade_id"], test.metadata.nbgrader["points"]
    test.metadata.nbgrader["points"] = points + 1
    text = "\n".join(c.source for c in in_line(nb).cells)
    total = int(re.search(r"\| \*\*total\*\* \| \*\*(\d+)\*\* \|", "\n".join(c.source for c in read(path).cells)).group(1))
    assert f'visible_check("{grade_id}", {points + 1})' in text and f'"{grade_id}": {points + 1},' in text
    assert f"| **total** | **{total + 1}** |" in text


def test_the_readme_is_short_and_leads_to_each_guide():
    """The README says what the course is, its modules, the two commands and where to go next; each
    reader's guide is a file of docs/, linked from it."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 150
    assert "./course lab" in readme and "./course test" in readme
    for guide in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{guide.name})" in readme, f"the README does not link docs/{guide.name}"


def test_the_settings_page_is_written_from_the_code():
    from tools import settings_doc
    assert settings_doc.main(["--check"]) == 0, "docs/settings.md is not current: ./course run python -m tools.settings_doc"
