"""The student edition: the learner-facing repository that the Open in Colab badges point at.

    ./course publish DIR                          write the student edition into DIR
    ./course run python -m tools.publish badges   point every badge (notebooks/, source/, README.md's
                                                  Modules table) at STUDENT_REPO; then regenerate
                                                  release/ with nbgrader

(`./course publish DIR` runs `python -m tools.publish DIR` in the course root, DIR made absolute first.)

The edition is built by allowlist: the lessons, the student copies from release/, the student kit
(student-kit/: the assignments' shared checks, which their first cell installs in Colab from the
edition's tag v<coursekit.__version__>), a learner's README.md, requirements.txt (the learner's lock,
requirements-learner.txt: what the notebooks import, not the instructor's tools), LICENSE when there
is one, and MARKER. The lessons are published with their outputs: each is run top to bottom here
(nbclient; the lessons seed themselves, so their numbers are those their text quotes; lesson 3 reads
MNIST from the data root), and docs/ holds every lesson and assignment rendered as a web page
(nbconvert), figures inline, with docs/index.html linking them. notebooks/ itself keeps inputs only.
A lesson run is kept in the cache (`ran_lesson`): publishing again from the same lesson and the same
environment reuses it.
Nothing else of the course
(source/, tools/, tests/, the gradebook, submissions, ...) is ever read into it. Nothing is
regenerated here: publishing refuses while release/ is not what nbgrader makes from source/.
(To publish into a folder named `badges`, write `./badges`.)
"""
import hashlib
import html
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

from grader.course import ROOT, assignments, scratch_course

STUDENT_REPO = "pytorch-loss-course/pytorch-loss-course-student"  # github.com/<STUDENT_REPO>: the student edition
COLAB_URL = f"https://colab.research.google.com/github/{STUDENT_REPO}/blob/main/"
BADGE_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE = re.compile(r"\[!\[Open In Colab\]\(" + re.escape(BADGE_SVG) + r"\)\]\((https://colab\.research\.google\.com/github/[^)\s]*)\)")
# Any link that opens a notebook of a GitHub repository in Colab, up to the path in the repository.
COLAB_LINK = re.compile(r"\(https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/main/")
# Where an assignment's first cell installs the student kit from (the edition's repository, at a tag)
KIT_URL = re.compile(r"git\+https://github\.com/[^/\s@]+/[^/\s@]+@")
# A badge in README.md's Modules table, after the course path of the notebook it opens.
README_BADGE = re.compile(r"`([^`\s]+\.ipynb)` " + BADGE.pattern)
MARKER = ".student-edition.json"  # in a folder written by publish(): what it wrote, so the next publish may replace it
LICENSES = ("LICENSE", "LICENSE.md", "LICENSE.txt")
LEARNER_LOCK = "requirements-learner.txt"  # published as the edition's requirements.txt
SITE = "docs"  # the rendered pages: docs/index.html, docs/lessons/*.html, docs/assignments/*.html
CELL_TIMEOUT = 1800  # seconds one lesson cell may run when publishing (lesson 3 trains on MNIST on a CPU)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class Refused(Exception):
    """Publishing stopped before writing anything; the message says why and what to do."""


def published_path(path):
    """Where the course file `path` (relative to the course root) lies in the student edition:
    notebooks/X.ipynb in lessons/, release/A/... in assignments/A/. A source notebook's badge opens
    its student copy, so source/A/... maps where release/A/... does."""
    parts = PurePosixPath(path).parts
    if len(parts) == 2 and parts[0] == "notebooks":
        return f"lessons/{parts[1]}"
    if len(parts) >= 3 and parts[0] in ("release", "source"):
        return "/".join(("assignments",) + parts[1:])
    raise ValueError(f"{path} is not published")


def badge(path):
    """The Open in Colab badge of the published file at `path`."""
    return f"[![Open In Colab]({BADGE_SVG})]({COLAB_URL}{path})"


def rel(path, base=ROOT):
    """`path` relative to `base` (the course root), with forward slashes."""
    return Path(path).relative_to(base).as_posix()


# --- the badges of both editions --------------------------------------------------------------

def rewrite_badges():
    """Point the badge in the first cell of every lesson and source notebook, and each badge in
    README.md's Modules table, at the notebook's place in the student edition. Everything else
    stays byte for byte (notebooks are written as nbformat writes them). Checks every file before
    writing any. Returns the files changed."""
    writes = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "source").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        target = published_path(rel(path))
        first = nb.cells[0].source if nb.cells else ""
        if len(BADGE.findall(first)) != 1:
            raise Refused(f"{rel(path)}: its first cell should hold one Open in Colab badge; "
                          f"put this line under its title: {badge(target)}")
        if BADGE.sub(lambda m: badge(target), first) != first:
            nb.cells[0].source = BADGE.sub(lambda m: badge(target), first)
            writes[path] = nb
        for cell in nb.cells:  # the links between notebooks ("Before you start", "Next") open the edition too
            linked = COLAB_LINK.sub(lambda m: "(" + COLAB_URL, cell.source)  # (and the kit's install, below)
            linked = KIT_URL.sub(lambda m: f"git+https://github.com/{STUDENT_REPO}@", linked)
            if linked != cell.source:
                cell.source = linked
                writes[path] = nb
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = modules_section(text)
    section = text[start:end]
    if len(README_BADGE.findall(section)) != len(BADGE.findall(section)):
        raise Refused("README.md: in the Modules table, put each badge right after its notebook's path in backticks")
    section = README_BADGE.sub(lambda m: f"`{m[1]}` {badge(published_path(m[1]))}", section)
    for path, nb in writes.items():
        nbformat.write(nb, path)
    changed = [rel(path) for path in writes]
    if section != text[start:end]:
        readme.write_text(text[:start] + section + text[end:], encoding="utf-8")
        changed.append("README.md")
    return changed


def modules_section(text):
    """Where README.md's "## Modules" section starts and ends in `text`."""
    match = re.search(r"^## Modules\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not match:
        raise Refused("README.md has no '## Modules' section (its table lists every lesson and assignment)")
    return match.start(1), match.end(1)


# --- what the edition holds ---------------------------------------------------------------------

def allowlist():
    """{published path: course file} of every file copied into the student edition as it is."""
    files = {"requirements.txt": ROOT / LEARNER_LOCK}
    files.update((name, ROOT / name) for name in LICENSES if (ROOT / name).is_file())
    # the student kit, which the assignments' first cell installs in Colab from the edition (pinned to
    # the tag v<its version>) and a learner installs beside requirements.txt elsewhere
    if (ROOT / "student-kit" / "pyproject.toml").is_file():
        files["student-kit/pyproject.toml"] = ROOT / "student-kit" / "pyproject.toml"
    for path in sorted((ROOT / "student-kit" / "coursekit").glob("*.py")):
        files[rel(path)] = path
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        files[published_path(rel(path))] = path
    for assignment in assignments():
        for path in sorted((ROOT / "release" / assignment).rglob("*")):
            if path.is_file():
                files[published_path(rel(path))] = path
    return files


def modules():
    """[(what the module teaches, lesson path, assignment path)] from README.md's Modules table,
    paths as in the course."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = modules_section(text)
    rows = []
    for line in text[start:end].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        paths = [re.findall(r"`([^`\s]+\.ipynb)`", cell) for cell in cells[1:]]
        if len(cells) == 3 and all(len(p) == 1 for p in paths):
            rows.append((cells[0], paths[0][0], paths[1][0]))
    return rows


def learner_readme():
    """The student edition's README.md."""
    rows = modules()
    listed = {p for row in rows for p in row[1:]}
    notebooks = [rel(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    notebooks += [f"release/{a}/{a}.ipynb" for a in assignments()]
    missing = sorted(set(notebooks) - listed)
    if missing:
        raise Refused(f"README.md's Modules table does not list {', '.join(missing)}: "
                      "add a row (module | lesson | student copy) for each")
    table = "\n".join(
        f"| {module} | {link(lesson)} | {link(copy)} |" for module, lesson, copy in rows)
    name = STUDENT_REPO.split("/")[1]
    return LEARNER_README.format(table=table, slug=STUDENT_REPO, name=name)


def link(course_path):
    path = published_path(course_path)
    return f"[`{path}`]({path}) {badge(path)}"


LEARNER_README = """\
# Loss functions and optimization in PyTorch

A hands-on course on **what a model minimises and how it minimises it**: regression and
classification losses built from their formulas, the training loop, and the optimizers that
drive it. Each module has a lesson to read and run, and a graded assignment: a notebook in which
you write the code yourself, with test cells that check your work as you go.

## Modules

| module | lesson | graded assignment |
| --- | --- | --- |
{table}

Work through each module's lesson first, then its assignment.

**Reading without running.** Each lesson in `lessons/` is saved with its outputs, run once before
publishing: its figures and printed numbers show on GitHub and before you run a cell (an
interactive slider shows its figure at its first value until you run it). `docs/index.html` links
to every lesson and assignment as a web page, figures included.

## Set-up

**In Google Colab** (nothing to install): click a badge above. What you change in the notebook a
badge opens is not kept: *File → Save a copy in Drive* before you write anything.
*Runtime → Change runtime type → GPU* makes the MNIST module faster; everything also runs on a CPU.

**On your own computer**, with [Python](https://www.python.org/downloads/) 3.11 or newer and
[git](https://git-scm.com/downloads) (or GitHub's *Code → Download ZIP*). `requirements.txt`
installs what the notebooks use, at the versions the course is tested with, on Linux, macOS and
Windows: PyTorch, torchvision, matplotlib, tqdm, ipywidgets and JupyterLab, with what they need.
The first install downloads a few hundred MB on macOS and Windows, a few GB on Linux (PyPI's
Linux PyTorch comes with NVIDIA's CUDA libraries).

Linux or macOS, in a terminal:

```bash
git clone https://github.com/{slug}.git
cd {name}
python3 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt ./student-kit
.venv/bin/jupyter lab
```

Windows, in PowerShell:

```powershell
git clone https://github.com/{slug}.git
cd {name}
py -m venv .venv
.venv\\Scripts\\python -m pip install -r requirements.txt ./student-kit
.venv\\Scripts\\jupyter lab
```

JupyterLab opens in your browser; open the notebooks from `lessons/` and `assignments/`. Next
time, only the last line is needed (from the same folder).

## Data

The MNIST module (lesson 3 and the `mnist_classifier` assignment) downloads the MNIST data set
(about 60 MB) the first time it runs, into one data folder that every notebook shares:
`$COURSE_DATA_DIR` when that environment variable is set, otherwise
`~/.cache/pytorch-loss-course/data` (on Windows `C:\\Users\\<you>\\.cache\\pytorch-loss-course\\data`).
In Colab that folder is on Colab's machine, so each new session downloads it again (a few seconds).

To keep it somewhere else, set the variable before starting JupyterLab:
`export COURSE_DATA_DIR=/path/to/data` (Linux, macOS) or `$env:COURSE_DATA_DIR = "D:\\data"`
(PowerShell). Without internet, put the four original files (`train-images-idx3-ubyte.gz`,
`train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`) in the
data folder's `MNIST/raw/`; the notebook says so, with the folder's path, when they are missing.

## Handing in an assignment

Each assignment's section **"Working in Colab, and how to hand in"** says exactly what to do. In
short: work in your own copy, run everything from a fresh start (*Restart and run all*) before you
hand in, then hand in the `.ipynb` file itself (in Colab: *File → Download → Download .ipynb*)
where your course says. The grader runs your notebook again from the top, on a CPU, with hidden
tests added to the ones you see.
"""


# --- lessons with their outputs, and their pages ------------------------------------------------

def ran_lesson(path, workdir):
    """The lesson at `path` as run_lesson() runs it, kept in the course's cache (beside ./course's
    environments) under the digest of the lesson and of this Python with every package installed:
    publishing again from the same lesson in the same environment does not run it again."""
    kept = kept_lesson(path)
    if kept.is_file():
        return kept.read_bytes()
    data = (nbformat.writes(run_lesson(path, workdir)) + "\n").encode("utf-8")
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.with_suffix(".part").write_bytes(data)
    kept.with_suffix(".part").replace(kept)
    return data


def kept_lesson(path):
    """Where ran_lesson() keeps the run of the lesson at `path` in this environment."""
    import importlib.metadata
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    key = digest(path.read_bytes() + "\n".join([sys.version, *installed]).encode("utf-8"))
    cache = Path(os.environ.get("COURSE_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "pytorch-loss-course")
    return cache / "published-lessons" / f"{path.stem}-{key[:16]}.ipynb"


def run_lesson(path, workdir):
    """The lesson at `path` run top to bottom in `workdir` (nbclient, this environment's python3
    kernel), each interactive widget's output (the figure at its sliders' first values) in place of
    the widget, which only a running kernel can show."""
    print(f"publish: running {rel(path)} (its outputs go into the edition)", file=sys.stderr, flush=True)
    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        raise Refused(f"{rel(path)} fails when run top to bottom: {lines[-1] if lines else type(error).__name__}; "
                      "fix it (run it in Jupyter with Restart and run all)") from None
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [shown for output in cell.outputs for shown in
                            (widget_outputs(state, output.data[WIDGET_VIEW]["model_id"])
                             if WIDGET_VIEW in output.get("data", {}) else [output])]
    return nb


def widget_outputs(state, model_id):
    """The outputs that the widget `model_id` and the widgets inside it show (ipywidgets' Output)."""
    model = state.get(model_id, {}).get("state", {})
    found = [nbformat.from_dict(output) for output in model.get("outputs", [])]
    for child in model.get("children", []):
        found += widget_outputs(state, child.removeprefix("IPY_MODEL_"))
    return found


def page(nb, title):
    """The notebook `nb` as a web page of its own (nbconvert's HTML, figures inline as data: URLs)."""
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def page_path(published):
    """Where the page of the published notebook `published` lies: docs/lessons/X.html, docs/assignments/A.html."""
    folder, name = published.split("/")[0], PurePosixPath(published).stem
    return f"{SITE}/{folder}/{name}.html"


def site_index(rows):
    """docs/index.html: a link to the page of each module's lesson and assignment."""
    items = "\n".join(
        f'<tr><td>{html.escape(re.sub(r"[`*]", "", module))}</td>'
        f'<td><a href="{page_path(lesson)[len(SITE) + 1:]}">{html.escape(PurePosixPath(lesson).stem)}</a></td>'
        f'<td><a href="{page_path(copy)[len(SITE) + 1:]}">{html.escape(PurePosixPath(copy).stem)}</a></td></tr>'
        for module, lesson, copy in rows)
    return SITE_INDEX.format(rows=items)


SITE_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Loss functions and optimization in PyTorch</title></head>
<body>
<h1>Loss functions and optimization in PyTorch</h1>
<p>Each lesson as a page, with its figures and printed results; each graded assignment as you start it.
To run them, open the notebooks (see the README).</p>
<table>
<tr><th>module</th><th>lesson</th><th>graded assignment</th></tr>
{rows}
</table>
</body></html>
"""


# --- publishing -----------------------------------------------------------------------------------

def stale_release():
    """Why release/ is not what `nbgrader generate_assignment` now makes from source/ ([] when it is),
    found as tests/test_release.py finds it: generate every assignment in a scratch course and compare."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="publish-check-") as tmp:
        try:
            course = scratch_course(Path(tmp) / "course")
        except AssertionError as error:  # nbgrader's own message
            raise Refused(f"cannot check release/: {error}") from None
        for assignment in assignments():
            generated = {rel(p, course): p for p in (course / "release" / assignment).rglob("*") if p.is_file()}
            committed = {rel(p): p for p in (ROOT / "release" / assignment).rglob("*") if p.is_file()}
            differ = sorted(path for path in generated.keys() | committed.keys()
                            if path not in generated or path not in committed
                            or generated[path].read_bytes() != committed[path].read_bytes())
            if differ:
                problems.append(f"{', '.join(differ)}: run `./course run nbgrader generate_assignment "
                                f"{assignment} --force`")
    return problems


def wrong_badges():
    """The published notebooks whose first cell's badge does not open them in the student edition."""
    problems = []
    for published, path in allowlist().items():
        if published.endswith(".ipynb"):
            nb = nbformat.read(path, as_version=4)
            urls = BADGE.findall(nb.cells[0].source) if nb.cells else []
            if urls != [COLAB_URL + published]:
                problems.append(rel(path))
    return problems


def digest(data):
    return hashlib.sha256(data).hexdigest()


def previous_files(dest):
    """The files of the edition published in `dest` before ({} for a new or empty folder, or one
    holding only .git); refuses any other folder, and any file the last publish did not write."""
    dest, root = dest.resolve(), ROOT.resolve()
    if dest == root or root in dest.parents:
        raise Refused(f"{dest} is inside the course repository: publish into a folder of its own "
                      "(the student edition is a repository of its own)")
    if dest.exists() and not dest.is_dir():
        raise Refused(f"{dest} is not a folder")
    if not dest.exists() or not [p for p in dest.iterdir() if p.name != ".git"]:
        return {}
    try:
        written = json.loads((dest / MARKER).read_text(encoding="utf-8"))["files"]
        if not isinstance(written, dict):
            raise TypeError
    except FileNotFoundError:
        raise Refused(f"{dest} is not empty and holds no student edition published before (no {MARKER}): "
                      "publish into a new or empty folder (a fresh clone of the student repository is fine)") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise Refused(f"{dest / MARKER} is not a list of published files: publish into a new or empty folder") from None
    theirs = []
    for folder, dirs, files in os.walk(dest):
        if Path(folder) == dest:
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            key = rel(path, dest)
            if key != MARKER and (path.is_symlink() or written.get(key) != digest(path.read_bytes())):
                theirs.append(key)
    if theirs:
        raise Refused(f"{dest} holds files that the last publish did not write, or that changed since: "
                      f"{', '.join(sorted(theirs))}. Publishing replaces every file but .git: move these "
                      "out (or delete them) and publish again")
    return written


def publish(dest):
    """Write the student edition into `dest`, replacing an edition published there before (its .git
    stays); return {published path: sha256}. Refuses, writing nothing, when `dest` holds anything else,
    when a badge is not the student edition's, or when release/ is stale."""
    dest = Path(dest).absolute()
    previous_files(dest)
    badges = wrong_badges()
    if badges:
        raise Refused(f"the Open in Colab badge of {', '.join(badges)} does not open it in the student "
                      f"edition (github.com/{STUDENT_REPO}): run `./course run python -m tools.publish badges`, "
                      "regenerate release/ (`./course run nbgrader generate_assignment NAME --force`) and publish again")
    contents = {path: source.read_bytes() for path, source in allowlist().items()}
    contents["README.md"] = learner_readme().encode("utf-8")
    stale = stale_release()
    if stale:
        raise Refused("release/ is not what nbgrader makes from source/ now; " + "; ".join(stale)
                      + ", then publish again")
    with tempfile.TemporaryDirectory(prefix="publish-run-") as workdir:
        for published, path in allowlist().items():
            if published.startswith("lessons/"):
                contents[published] = ran_lesson(path, workdir)
    for published, data in list(contents.items()):
        if published.endswith(".ipynb"):
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
            contents[page_path(published)] = page(nb, PurePosixPath(published).stem).encode("utf-8")
    contents[f"{SITE}/index.html"] = site_index(
        [(module, published_path(lesson), published_path(copy)) for module, lesson, copy in modules()]).encode("utf-8")
    files = {path: digest(data) for path, data in sorted(contents.items())}
    contents[MARKER] = (json.dumps({
        "about": "Written by `./course publish` from the course repository. Publishing again replaces "
                 "every file listed here and keeps .git; it refuses while any other file is here.",
        "files": files}, indent=1, sort_keys=True) + "\n").encode("utf-8")

    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".publish-", dir=dest.parent))
    try:
        for path, data in contents.items():
            (stage / path).parent.mkdir(parents=True, exist_ok=True)
            (stage / path).write_bytes(data)
        previous_files(dest)  # nothing of anyone else's appeared meanwhile
        dest.mkdir(exist_ok=True)
        for old in dest.iterdir():
            if old.name != ".git":
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old)
                else:
                    old.unlink()
        for new in stage.iterdir():
            os.replace(new, dest / new.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return files


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        if argv[0] == "badges":
            changed = rewrite_badges()
            print(f"badges point at github.com/{STUDENT_REPO}; changed: {', '.join(changed) or 'nothing'}")
            if any(path.startswith("source/") for path in changed):
                print("now regenerate the student copies: ./course run nbgrader generate_assignment NAME --force")
        else:
            files = publish(Path(argv[0]))
            print(f"published the student edition ({len(files) + 1} files) in {Path(argv[0]).absolute()}; "
                  f"commit it there and push it to github.com/{STUDENT_REPO}")
    except Refused as refusal:
        print(f"publish: {refusal}. Nothing was written.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
