"""Canvas in and out: learners' notebooks from Canvas's "Download Submissions" zip into nbgrader,
their scores and feedback back to Canvas.

- `CanvasCollector`, the `nbgrader zip_collect` plugin (set in nbgrader_config.py). Canvas names
  each file in its zip `<name>[_LATE]_<user id>_<file id>_<file name>` (lib/content_zipper.rb):
  <name> is the learner's sortable name, lower case, letters, digits and `_` only, and not unique;
  <user id> is the Canvas user id, which is unique and becomes the nbgrader student id; <file id>
  is the id of the uploaded file, which Canvas numbers in upload order. <file name> is what the
  learner uploaded, as Colab and Canvas renamed it: "Copy of loss_functions.ipynb" (Colab's
  "Save a copy in Drive"), "Copy_of_..." (an LMS that replaces spaces), "loss_functions (1).ipynb"
  (a browser's second download), "loss_functions-1.ipynb" (Canvas's own rename of a file uploaded
  again: -1 to -7, then a random uuid). Each file is graded as the assignment's notebook it names;
  of several uploads of one learner, the latest (highest file id) is graded and the others skipped.
  Files that cannot be graded (no user id, another assignment's notebook, not a notebook, a link
  or text entry instead of a file) are skipped with a `PROBLEM <file>: ...` line saying what to do.
- `CanvasExport`, an `nbgrader export` plugin: the gradebook CSV that Canvas exports, with each
  learner's total score (autograded and hand-graded, less any late penalty) in the assignment's
  column, to import into Canvas (Grades > Import). Only the learner columns and the graded
  assignments' columns are written, so nothing else in Canvas changes.
- `python -m grader.lms feedback-zip ASSIGNMENT OUT.zip`: every learner's feedback page in one
  zip, each named like the file the learner handed in, for Canvas's "Re-upload Submissions".
"""
import argparse
import csv
import io
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin, ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import unzip
from traitlets import Unicode

# <name>[_LATE]_<user id>_<file id>_<file name>: the name is the shortest that fits, as Canvas
# itself reads these names back (the first two all-digit parts are the user id and the file id).
CANVAS_NAME = re.compile(r"(?P<prefix>(?P<name>.*?)_(?:late_)?(?P<user_id>[0-9]+)_(?P<file_id>[0-9]+)_)(?P<file_name>.+)",
                         re.I | re.S)
# Every other place where the prefix could end: a sortable name may itself hold "_<digits>_<digits>"
# (a learner who sets theirs), and so may a file name. Then the name reads as more than one learner's.
OTHER_READING = re.compile(r"(?=_(?:late_)?(?P<user_id>[0-9]+)_(?P<file_id>[0-9]+)_.)", re.I | re.S)
SORTABLE_NAME = re.compile(r"[a-z0-9_]*", re.I)  # what Canvas keeps of a name (non-word characters dropped)
# Anonymous grading: "anon_<anonymous id>" instead of the name and user id.
ANONYMOUS = re.compile(r"(?:late_)?anon_[^_]+_\d+_.+", re.I | re.S)
# A text entry or a link (a Colab URL, say) handed in instead of a file: no file id.
TEXT_OR_LINK = re.compile(r".*?_(?:late_)?(?P<user_id>[0-9]+)_(?P<kind>text|link)\.html", re.I | re.S)
# What Colab, browsers and LMSes add to a notebook's name, outermost first.
COPY_OF = re.compile(r"^copy[ _]of[ _]", re.I)
SUFFIX = re.compile(r"(?:-[0-9]+|-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[ _]?\([0-9]+\))$", re.I)
DOWNLOAD_IPYNB = "in Colab: File > Download > Download .ipynb"


class LmsError(Exception):
    """A mistake the instructor can fix; its message says how."""


class Upload:
    """One file of the LMS's zip and what becomes of it: collected for `student_id` as the
    assignment's notebook `file_id`, or skipped because of `problem` (or as an older upload)."""

    def __init__(self, path, student_id="", file_id="", order=(0, 0), prefix="", problem="", note=""):
        self.path, self.student_id, self.file_id, self.order = path, student_id, file_id, order
        self.prefix, self.problem, self.note = prefix, problem, note
        self.kept = not problem
        self.newer = None  # the learner's upload that is graded instead of this one

    @property
    def name(self):
        return os.path.basename(self.path)


def _key(name):
    """Notebook names compared as people type them: any case, spaces or underscores."""
    return re.sub(r"[ _]+", "_", name.strip().casefold())


def _stems(stem):
    """`stem` and what it was before Colab, a browser or Canvas renamed it, outermost first."""
    yield stem
    while True:
        bare = SUFFIX.sub("", COPY_OF.sub("", stem)).strip()
        if bare == stem or not bare:
            return
        stem = bare
        yield stem


def read_name(path, notebooks, other_notebooks):
    """What the LMS file `path` is: an Upload for a learner's notebook, or one with a problem.
    `notebooks`: the assignment's notebook names ("loss_functions.ipynb"); `other_notebooks`: other
    assignments' notebook names. Returns None for files an unzip leaves behind (macOS's ._ files)."""
    name = os.path.basename(path)
    if name.startswith(".") or "__MACOSX" in Path(path).parts:
        return None
    if ANONYMOUS.fullmatch(name):
        return Upload(path, problem="Canvas's anonymous id, not a user id: download the submissions again with "
                                    "anonymous grading turned off for the assignment")
    entry = TEXT_OR_LINK.fullmatch(name)
    if entry:
        return Upload(path, problem=f"learner {entry['user_id']} handed in a {entry['kind']} entry, not the notebook "
                                    f"file: ask them to upload the .ipynb ({DOWNLOAD_IPYNB})")
    match = CANVAS_NAME.fullmatch(name)
    if not match:
        return Upload(path, problem="no Canvas user id in the name (expected <name>_<user id>_<file id>_<file>, as in "
                                    "Canvas's Download Submissions zip): find the learner's Canvas user id and put the "
                                    "file in submitted/<user id>/<assignment>/ under the assignment's notebook name")
    user_id, file_name = match["user_id"], match["file_name"]
    readers = sorted({m["user_id"] for m in OTHER_READING.finditer(name, match.start("file_name") - 1)
                      if SORTABLE_NAME.fullmatch(name, 0, m.start())} - {user_id})
    if readers:  # which one Canvas wrote cannot be told from the name: never guess whose work it is
        return Upload(path, problem=f"the name reads as learner {user_id}'s upload or as learner "
                                    f"{' or '.join(readers)}'s (digits in a Canvas name or in the file name): find on "
                                    f"Canvas whose file it is and put the file in submitted/<user id>/<assignment>/ "
                                    f"under the assignment's notebook name")
    stem, ext = os.path.splitext(file_name)
    if ext.lower() != ".ipynb":
        return Upload(path, problem=f"learner {user_id} handed in {file_name!r}, not a notebook: ask them to upload "
                                    f"the .ipynb ({DOWNLOAD_IPYNB})")
    if ext != ".ipynb":  # nbgrader keeps the extension as it is: the notebook would not be found
        return Upload(path, problem=f"learner {user_id} handed in {file_name!r}: ask them to upload it as .ipynb, in "
                                    f"lower case")
    mine = {_key(os.path.splitext(n)[0]): n for n in notebooks}
    others = {_key(os.path.splitext(n)[0]): n for n in other_notebooks if n not in notebooks}
    stems = [_key(s) for s in _stems(stem)]
    order = (int(match["file_id"]), int(m[1]) if (m := re.search(r"-([0-9]+)$", stem)) else 0)
    found = next((mine[s] for s in stems if s in mine), None)
    if found:
        return Upload(path, user_id, found, order, match["prefix"])
    other = next((others[s] for s in stems if s in others), None)
    if other:
        return Upload(path, problem=f"learner {user_id} handed in {other}, another assignment's notebook: ask them to "
                                    f"upload {' or '.join(notebooks)}")
    if len(notebooks) == 1:
        return Upload(path, user_id, notebooks[0], order, match["prefix"],
                      note=f"named {file_name!r}, graded as {notebooks[0]}, the assignment's only notebook: check "
                           f"that it is this assignment's")
    return Upload(path, problem=f"learner {user_id} handed in {file_name!r}: no notebook of this assignment has that "
                                f"name ({', '.join(notebooks)}); rename it to the right one and collect it again")


def _archive_folder(path):
    """The folder an unzip (nbgrader's) extracts the archive `path` into, or None if not an archive."""
    stem, ext = os.path.splitext(path)
    if ext.lower() not in (".zip", ".gz"):
        return None
    return stem[:-len(".tar")] if stem.lower().endswith(".tar") else stem


def read_names(paths, notebooks, other_notebooks, root=None):
    """Every file of `paths` read by `read_name`; of a learner's uploads of one notebook only the
    latest (highest Canvas file id, then highest -N) is kept, the others point to it in `newer`.
    A file that was inside an archive found among `paths`, or inside a folder below `root` named like
    a learner's upload, came out of a file a learner handed in: its name is the learner's, not
    Canvas's, and never says whose it is (it is skipped, with a PROBLEM line)."""
    paths = sorted(paths)
    archives = {folder for p in paths if (folder := _archive_folder(p))}
    uploads = []
    for path in paths:
        upload = read_name(path, notebooks, other_notebooks)
        if upload is None:
            continue
        below = Path(os.path.relpath(path, root)).parts[:-1] if root else ()
        inside = next((str(folder) for folder in Path(path).parents if str(folder) in archives), None) or next(
            (part for part in below if CANVAS_NAME.fullmatch(part) or ANONYMOUS.fullmatch(part)), None)
        if inside:
            upload = Upload(path, problem=f"inside {os.path.basename(inside)}, a file a learner handed in: its name "
                                          f"is the learner's, not Canvas's; ask them to upload the .ipynb itself")
        uploads.append(upload)
    latest = {}
    for upload in uploads:
        if upload.kept:
            key = (upload.student_id, upload.file_id)
            if key not in latest or upload.order > latest[key].order:
                latest[key] = upload
    for upload in uploads:
        if upload.kept and latest[(upload.student_id, upload.file_id)] is not upload:
            upload.kept, upload.newer = False, latest[(upload.student_id, upload.file_id)]
    return uploads


def course_notebooks(root, assignment):
    """(the assignment's notebook names, every other assignment's), from release/ and source/."""
    root = Path(root)
    mine, others = set(), set()
    for step in ("release", "source"):
        for path in root.glob(f"{step}/*/*.ipynb"):
            (mine if path.parent.name == assignment else others).add(path.name)
    return sorted(mine), sorted(others - mine)


class CanvasCollector(FileNameCollectorPlugin):
    """`nbgrader zip_collect` for Canvas's Download Submissions zip (see the module's docstring).
    nbgrader hands it one file at a time; it reads the whole extracted folder on the first, so it
    can skip a learner's older uploads (nbgrader would need timestamps, which Canvas's names do not
    carry, and would write a made-up one into the learner's timestamp.txt)."""

    _uploads = None

    def collect(self, submitted_file):
        if self._uploads is None:
            app = self.parent
            folder = app._format_collect_path(app.extracted_directory)
            paths = [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files]
            mine, others = course_notebooks(app.coursedir.root, app.coursedir.assignment_id)
            if not mine:
                self.log.warning("PROBLEM %s: no notebooks in release/%s: run nbgrader generate_assignment first",
                                 app.coursedir.assignment_id, app.coursedir.assignment_id)
            self._uploads = {u.path: u for u in read_names(set(paths) | {submitted_file}, mine, others, folder)}
        upload = self._uploads.get(submitted_file)
        if upload is None:
            return None
        if upload.problem:
            self.log.warning("PROBLEM %s: %s (skipped)", upload.name, upload.problem)
            return None
        if upload.newer:
            self.log.info("%s: an older upload of learner %s, skipped for the newer %s", upload.name,
                          upload.student_id, upload.newer.name)
            return None
        if upload.note:
            self.log.warning("PROBLEM %s: %s", upload.name, upload.note)
        return {"student_id": upload.student_id, "file_id": upload.file_id}


def _fit(name, limit=255):
    """`name`, its stem cut until it fits in a file name of `limit` bytes (the extension kept)."""
    stem, ext = os.path.splitext(name)
    while len(os.fsencode(stem + ext)) > limit and stem:
        stem = stem[:-1]
    return stem + ext


class CanvasExtractor(ExtractorPlugin):
    """`nbgrader zip_collect`'s extractor for Canvas: the archives in archive/ (Canvas's zip) are
    unzipped, one entry at a time, and nothing inside them: a learner's .zip stays a file, skipped
    as not a notebook. An entry that cannot be extracted (unsafe path, broken data) is skipped with
    a PROBLEM line and the others are extracted; one whose name is too long for the disk is
    extracted under its name cut short (the Canvas prefix and the extension kept)."""

    def extract(self, archive_path, extracted_path):
        for root, _, files in os.walk(archive_path):
            to = os.path.normpath(os.path.join(extracted_path, os.path.relpath(root, archive_path)))
            os.makedirs(to, exist_ok=True)
            for name in sorted(files):
                src = os.path.join(root, name)
                folder = _archive_folder(name)
                if folder is None or os.path.splitext(name)[1] not in self.zip_ext:
                    shutil.copy(src, os.path.join(to, _fit(name)))
                elif zipfile.is_zipfile(src):
                    self._unzip(src, os.path.join(to, folder))
                else:
                    try:
                        unzip(src, to, zip_ext=self.zip_ext, create_own_folder=True, tree=False)
                    except Exception as error:  # noqa: BLE001 (a broken archive: report it, collect the rest)
                        self.log.warning("PROBLEM %s: cannot be extracted (%s): download it again (skipped)", name, error)

    def _unzip(self, src, folder):
        self.log.info("Extracting %s to %s", src, folder)
        with zipfile.ZipFile(src) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if info.is_dir():
                    continue
                if info.filename.startswith("/") or "\\" in info.filename or any(p in ("", ".", "..") for p in parts):
                    self.log.warning("PROBLEM %s: an unsafe path in %s (skipped)", info.filename, src)
                    continue
                target = os.path.join(folder, *[_fit(p) for p in parts])
                written = False
                try:
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with archive.open(info) as data, open(target, "xb") as out:
                        written = True
                        shutil.copyfileobj(data, out)
                except Exception as error:  # noqa: BLE001 (a broken entry: report it, extract the rest)
                    self.log.warning("PROBLEM %s: cannot be extracted from %s (%s) (skipped)", info.filename, src, error)
                    if written:  # half written: not graded as the learner's work
                        os.remove(target)
                    continue
                if target != os.path.join(folder, *parts):
                    self.log.warning("PROBLEM %s: its name is too long for the disk: extracted as %s",
                                     info.filename, os.path.basename(target))


def _canvas_title(header):
    """The assignment's title in a Canvas gradebook column header, "<title> (<assignment id>)"."""
    match = re.fullmatch(r"(.*\S)\s*\(\d+\)", header.strip())
    return match[1] if match else header.strip()


def _points(value):
    return f"{round(value, 2):g}"


def canvas_total(submission):
    """What Canvas gets for an nbgrader submission: its total score (autograded and hand-graded), less
    any late penalty, never below 0 (the CSV export and `./course canvas push` both send it)."""
    return max(0.0, submission.score - submission.late_submission_penalty)


class CanvasExport(ExportPlugin):
    """`nbgrader export --exporter=grader.lms.CanvasExport --CanvasExport.roster=GRADEBOOK.csv --to OUT.csv`
    (run in the course root, which nbgrader puts on the import path before it imports the exporter):
    the gradebook CSV that Canvas exports,
    with each graded learner's score filled in, to import into Canvas. Learners are matched on
    Canvas's ID column (the user id, which zip_collect made the student id); each nbgrader
    assignment on the column whose title is its name. A learner on the
    roster without a submission keeps the cell Canvas exported (empty when Canvas has no grade):
    Canvas's import changes only the cells that differ from its gradebook, so the learner stays
    without a grade, and an excused (EX) or hand-entered grade in Canvas is not overwritten."""

    roster = Unicode("", help="The gradebook CSV that Canvas exports (Grades > Export > Export Entire "
                              "Gradebook)").tag(config=True)

    def export(self, gradebook):
        try:
            self._export(gradebook)
        except LmsError as error:
            self.log.error("%s", error)
            sys.exit(1)

    def problem(self, who, what):
        self.log.warning("PROBLEM %s: %s", who, what)

    def _export(self, gradebook):
        if not self.roster:
            raise LmsError("give the gradebook CSV that Canvas exports (Grades > Export > Export Entire Gradebook): "
                           "--CanvasExport.roster=FILE.csv")
        roster, dest = Path(self.roster), Path(self.to or "canvas_grades.csv")
        if not roster.is_file():
            raise LmsError(f"{roster}: no such file (the gradebook CSV that Canvas exports)")
        if dest.exists() and dest.resolve() == roster.resolve():
            raise LmsError(f"--to {dest} is the roster itself: give another file name")
        text = roster.read_text(encoding="utf-8-sig")
        delimiter = ";" if text.partition("\n")[0].count(";") > text.partition("\n")[0].count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        header = [h.strip() for h in rows[0]] if rows else []
        if not header or not header[0].startswith("Student") or "ID" not in header or "Section" not in header:
            raise LmsError(f"{roster} is not a Canvas gradebook export: its first row should start with Student, ID, "
                           "SIS User ID, SIS Login ID, Section")
        learner_columns, id_column = header.index("Section") + 1, header.index("ID")
        known = [a.name for a in gradebook.assignments]
        unknown = [str(a) for a in self.assignment if str(a) not in known]
        if unknown:
            raise LmsError(f"no assignment {', '.join(unknown)} in the gradebook (it has {', '.join(known) or 'none'})")
        columns = {}
        for name in [str(a) for a in self.assignment] or known:
            found = [i for i in range(learner_columns, len(header)) if _key(_canvas_title(header[i])) == _key(name)]
            if len(found) == 1:
                columns[name] = found[0]
            elif found:
                self.problem(name, f"{len(found)} columns of {roster} are titled {name}: rename all but one in Canvas")
            elif gradebook.assignment_submissions(name):
                self.problem(name, f"no column of {roster} is titled {name}: give the Canvas assignment that title, "
                                   f"or rename its column to '{name} (<its Canvas id>)', and export again")
        if not columns:
            raise LmsError(f"nothing to export: no column of {roster} is titled like an nbgrader assignment")
        on_roster, scored = set(), 0
        out = [header[:learner_columns] + [header[i] for i in columns.values()]]
        for row in rows[1:]:
            row += [""] * (len(header) - len(row))
            if row[0].strip().startswith("Points Possible"):
                out.append(row[:learner_columns] + [row[i] for i in columns.values()])
                for name, i in columns.items():
                    most = gradebook.find_assignment(name).max_score
                    if re.fullmatch(r"\s*\d+(\.\d*)?\s*", row[i]) and abs(float(row[i]) - most) > 1e-6:
                        self.problem(name, f"Canvas counts it out of {row[i].strip()} points, nbgrader out of "
                                           f"{_points(most)}: the CSV has nbgrader's points; set the Canvas "
                                           f"assignment's points to {_points(most)}")
                continue
            learner = row[id_column].strip()
            if not learner:  # Canvas's "Muted" / "Manual Posting" row: the import skips it too
                continue
            on_roster.add(learner)
            cells = []
            for name, i in columns.items():
                try:
                    submission = gradebook.find_submission(name, learner)
                except MissingEntry:
                    cells.append(row[i])  # handed nothing in: Canvas's cell as it is (see the class's docstring)
                    continue
                scored += 1
                cells.append(_points(canvas_total(submission)))
                if submission.needs_manual_grade:
                    self.problem(f"{learner}/{name}", "answers wait for grading by hand (Formgrader): the score "
                                                      "leaves them out; export again after grading them")
            out.append(row[:learner_columns] + cells)
        for name in columns:
            for submission in gradebook.assignment_submissions(name):
                if submission.student_id not in on_roster:
                    self.problem(f"{submission.student_id}/{name}", f"graded, but no learner of {roster} has that ID "
                                                                    f"(Canvas user id): not in {dest}")
        with open(dest, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=delimiter).writerows(out)
        self.log.info("Wrote %s: %d scores of %s for Canvas (Grades > Import)", dest, scored, ", ".join(columns))


def feedback_zip(assignment, out, root="."):
    """Every learner's feedback page for `assignment` in the zip `out`, each named like the file
    the learner handed in (with .html), so that Canvas's "Re-upload Submissions" gives each learner
    theirs (it reads the user id and file id from the name). Returns the lines to print."""
    root, out = Path(root), Path(out)
    extracted = root / "downloaded" / assignment / "extracted"
    if not extracted.is_dir():
        raise LmsError(f"{extracted} not found: put Canvas's zip in downloaded/{assignment}/archive/ and run "
                       f"nbgrader zip_collect {assignment} first")
    mine, others = course_notebooks(root, assignment)
    uploads = [u for u in read_names([str(p) for p in extracted.rglob("*") if p.is_file()], mine, others, extracted)
               if u.kept]
    lines, pages = [], {}
    for upload in uploads:
        page = root / "feedback" / upload.student_id / assignment / (os.path.splitext(upload.file_id)[0] + ".html")
        if page.is_file():
            pages[os.path.splitext(upload.name)[0] + ".html"] = page
        else:
            lines.append(f"no feedback for learner {upload.student_id} ({upload.name}): run "
                         f"nbgrader generate_feedback {assignment}")
    handed_in = {u.student_id for u in uploads}
    for page in sorted(root.glob(f"feedback/*/{assignment}/*.html")):
        if page.parent.parent.name not in handed_in:
            lines.append(f"feedback of {page.parent.parent.name} left out: no Canvas submission of theirs in "
                         f"{extracted}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, page in sorted(pages.items()):
            archive.write(page, name)
    lines.append(f"{out}: feedback of {len(pages)} learners, for Canvas: the assignment's page > Re-upload Submissions")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("feedback-zip", help="every learner's feedback in one zip for Canvas's "
                                                       "Re-upload Submissions")
    command.add_argument("assignment")
    command.add_argument("out", help="the zip to write, e.g. feedback_loss_functions.zip")
    args = parser.parse_args(argv)
    try:
        for line in feedback_zip(args.assignment, args.out):
            print(line)
    except LmsError as error:
        sys.exit(f"lms: {error}")


if __name__ == "__main__":
    main()
