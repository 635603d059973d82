"""Canvas in and out (grader/lms.py): the file names Canvas and Colab really produce, collected as
the right learner and notebook or skipped with a PROBLEM line; then a class handed in under such
names, taken through the instructors' guide's commands (docs/instructors.md), down to the CSV and the feedback zip for Canvas."""
import csv
import io
import shutil
import subprocess
import zipfile

import nbformat
import pytest

from conftest import ROOT
from grader.course import scratch_course
from grader.lms import CanvasExtractor, read_name, read_names
from kit.course_tools import cell_scores, filled_student_copy
from test_grading import readme_instructor_commands

NOTEBOOKS = ["loss_functions.ipynb"]
OTHERS = ["mnist_classifier.ipynb", "optimizers.ipynb"]

# Canvas: <sortable name, lower case, non-word characters dropped>[_LATE]_<user id>_<file id>_<file name>.
ACCEPTED = [  # (file name in the zip, Canvas user id)
    ("lovelaceada_12345_67890_loss_functions.ipynb", "12345"),
    ("lovelaceada_12345_67891_loss_functions-1.ipynb", "12345"),  # Canvas's rename of a resubmission
    ("lovelaceada_12345_67899_loss_functions-5bd0e3a5-1c1b-4c3e-9d0a-0c4f7f2b9a11.ipynb", "12345"),  # after -7
    ("turingalan_LATE_22222_70001_loss_functions.ipynb", "22222"),
    ("turingalan_late_22222_70001_loss_functions.ipynb", "22222"),
    ("de_la_cruzmaria_33333_70002_loss_functions.ipynb", "33333"),  # "_" in the name
    ("de_la_cruzmaria_LATE_33333_70002_loss_functions.ipynb", "33333"),
    ("hopper_44444_70003_Copy of loss_functions.ipynb", "44444"),  # Colab's "Save a copy in Drive"
    ("hopper_44444_70003_Copy_of_loss_functions.ipynb", "44444"),  # spaces replaced by an LMS
    ("hopper_44444_70003_Copy of Copy of loss_functions.ipynb", "44444"),
    ("hopper_44444_70003_loss_functions (1).ipynb", "44444"),  # a browser's second download
    ("hopper_44444_70003_loss_functions(2).ipynb", "44444"),
    ("hopper_44444_70003_Copy_of_loss_functions_(1).ipynb", "44444"),
    ("hopper_44444_70003_Copy of loss_functions (1)-2.ipynb", "44444"),
    ("hopper_LATE_44444_70003_Copy_of_loss_functions (3)-1.ipynb", "44444"),
    ("hopper_44444_70003_Loss Functions.ipynb", "44444"),
    ("2pac_55555_70004_loss_functions.ipynb", "55555"),  # a name that starts with digits
    ("_55556_70005_loss_functions.ipynb", "55556"),  # an empty name
]
REJECTED = [  # (file name in the zip, what the PROBLEM line says)
    ("hopper_44444_70003_optimizers.ipynb", "learner 44444 handed in optimizers.ipynb, another assignment's notebook"),
    ("hopper_44444_70003_Copy of mnist_classifier (1).ipynb", "mnist_classifier.ipynb, another assignment's notebook"),
    ("adalovelace_loss_functions.ipynb", "no Canvas user id in the name"),
    ("loss_functions.ipynb", "no Canvas user id in the name"),
    ("ada_12345_loss_functions.ipynb", "no Canvas user id in the name"),
    ("hopper_44444_70003_loss_functions.py", "learner 44444 handed in 'loss_functions.py', not a notebook"),
    ("hopper_44444_70003_loss_functions.pdf", "not a notebook"),
    ("hopper_44444_70003_loss_functions.ipynb.txt", "not a notebook"),
    ("hopper_44444_70003_loss_functions.IPYNB", "ask them to upload it as .ipynb, in lower case"),
    ("hopper_44444_link.html", "learner 44444 handed in a link entry, not the notebook file"),
    ("hopper_LATE_44444_text.html", "learner 44444 handed in a text entry"),
    ("anon_k3J9x_70003_loss_functions.ipynb", "anonymous id"),
    ("LATE_anon_k3J9x_70003_loss_functions.ipynb", "anonymous id"),
    ("ada_\u0661\u0662\u0663_70003_loss_functions.ipynb", "no Canvas user id"),  # not digits Canvas writes
    ("ada_12345_\uff17\uff10\uff10\uff10\uff13_loss_functions.ipynb", "no Canvas user id"),
]


@pytest.mark.parametrize("name, user_id", ACCEPTED)
def test_canvas_and_colab_names_are_collected_as_the_learner_and_notebook(name, user_id):
    upload = read_name(f"/x/extracted/submissions/{name}", NOTEBOOKS, OTHERS)
    assert (upload.problem, upload.note, upload.student_id, upload.file_id) == ("", "", user_id, "loss_functions.ipynb")
    assert upload.prefix.endswith(f"_{user_id}_{upload.order[0]}_") and name.startswith(upload.prefix)


@pytest.mark.parametrize("name, problem", REJECTED)
def test_files_that_cannot_be_graded_are_skipped_with_what_to_do(name, problem):
    upload = read_name(f"/x/extracted/submissions/{name}", NOTEBOOKS, OTHERS)
    assert not upload.kept and problem in upload.problem
    assert ("ask them" in upload.problem or "put the file in submitted/" in upload.problem
            or "anonymous grading turned off" in upload.problem)


def test_a_notebook_of_another_name_is_graded_with_a_problem_line():
    upload = read_name("/x/noether_77777_70009_Untitled0.ipynb", NOTEBOOKS, OTHERS)
    assert upload.kept and (upload.student_id, upload.file_id) == ("77777", "loss_functions.ipynb")
    assert "Untitled0.ipynb" in upload.note and "check that it is this assignment's" in upload.note
    two = read_name("/x/noether_77777_70009_Untitled0.ipynb", ["part1.ipynb", "part2.ipynb"], OTHERS)
    assert not two.kept and "no notebook of this assignment has that name (part1.ipynb, part2.ipynb)" in two.problem


def test_leftovers_of_an_unzip_are_ignored():
    assert read_name("/x/__MACOSX/._ada_12345_67890_loss_functions.ipynb", NOTEBOOKS, OTHERS) is None
    assert read_name("/x/.DS_Store", NOTEBOOKS, OTHERS) is None


@pytest.mark.parametrize("older, newer", [
    ("ada_12345_67890_loss_functions.ipynb", "ada_12345_67991_loss_functions-1.ipynb"),
    ("ada_12345_67890_loss_functions-1.ipynb", "ada_12345_67991_loss_functions-2.ipynb"),
    ("ada_12345_67890_loss_functions-7.ipynb", "ada_12345_67991_loss_functions-0b9d2c1e-aaaa-4bbb-8ccc-123456789abc.ipynb"),
    ("ada_12345_67890_loss_functions.ipynb", "ada_LATE_12345_67991_Copy of loss_functions.ipynb"),
    ("ada_12345_9_loss_functions-3.ipynb", "ada_12345_10_loss_functions.ipynb"),  # file ids, not names, say which is newer
])
def test_the_latest_upload_of_a_learner_is_kept(older, newer):
    for paths in ([older, newer], [newer, older]):
        uploads = {u.name: u for u in read_names([f"/x/{p}" for p in paths], NOTEBOOKS, OTHERS)}
        assert uploads[newer].kept and not uploads[older].kept and uploads[older].newer is uploads[newer]


def test_learners_who_share_a_name_stay_apart():
    uploads = read_names(["/x/smithjohn_31005_5005_loss_functions.ipynb", "/x/smithjohn_31006_5006_loss_functions.ipynb"],
                         NOTEBOOKS, OTHERS)
    assert [(u.student_id, u.kept) for u in uploads] == [("31005", True), ("31006", True)]


@pytest.mark.parametrize("attack", [
    "x_31003_99999999_31004_5004_loss_functions.ipynb",  # learner 31004 whose sortable name is x_31003_99999999
    "x_late_31003_99999999_31004_5004_loss_functions.ipynb",
    "x_31003_99999999_LATE_31004_5004_loss_functions.ipynb",
    "ab_31004_5004_31003_99999999_loss_functions.ipynb",  # or the file name: which one Canvas wrote is unknowable
])
def test_a_name_that_reads_as_two_learners_is_never_collected_as_either(attack):
    real = "victim_31003_5003_loss_functions.ipynb"
    uploads = {u.name: u for u in read_names([f"/x/{attack}", f"/x/{real}"], NOTEBOOKS, OTHERS)}
    assert uploads[real].kept and uploads[real].newer is None
    assert not uploads[attack].kept and "31003" in uploads[attack].problem and "31004" in uploads[attack].problem
    assert "put the file in submitted/" in uploads[attack].problem


def test_digits_in_a_file_name_of_the_same_learner_are_not_ambiguous():
    upload = read_name("/x/ada_12345_67890_ada_12345_67000_loss_functions.ipynb", NOTEBOOKS, OTHERS)
    assert upload.kept and (upload.student_id, upload.order[0]) == ("12345", 67890)
    spaced = read_name("/x/ada_12345_67890_loss functions 2024_10_05.ipynb", NOTEBOOKS, OTHERS)
    assert spaced.kept and spaced.student_id == "12345"  # no Canvas name has a space: one reading


@pytest.mark.parametrize("inside", ["mallory_31002_5002_stuff.zip", "mallory_31002_5002_stuff.tar.gz"])
def test_files_inside_an_archive_a_learner_handed_in_are_never_collected(inside):
    folder = "/x/extracted/submissions"
    stem = inside.split(".")[0]
    paths = [f"{folder}/{inside}", f"{folder}/{stem}/victim_31001_99999999_loss_functions.ipynb",
             f"{folder}/{stem}/deeper/victim_31001_99999998_loss_functions.ipynb",
             f"{folder}/victim_31001_5001_loss_functions.ipynb"]
    uploads = {u.path: u for u in read_names(paths, NOTEBOOKS, OTHERS, "/x/extracted")}
    assert [p for p, u in uploads.items() if u.kept] == [f"{folder}/victim_31001_5001_loss_functions.ipynb"]
    assert "a file a learner handed in" in uploads[paths[1]].problem
    # whatever the archive's type, a folder named like a learner's upload holds what the learner named
    named = read_names([f"{folder}/{stem}_tgz/victim_31001_99999999_loss_functions.ipynb"], NOTEBOOKS, OTHERS,
                       "/x/extracted")
    assert not named[0].kept and "ask them" in named[0].problem


def test_the_extractor_unzips_canvas_zip_entry_by_entry_and_nothing_inside_it(tmp_path):
    archive, extracted = tmp_path / "archive", tmp_path / "extracted"
    archive.mkdir()
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zipped:
        zipped.writestr("victim_31001_99999999_loss_functions.ipynb", "{}")
    long_name = "ada_12345_67890_" + "\u00e9" * 200 + ".ipynb"  # 400 bytes of a non-ASCII file name
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zipped:
        zipped.writestr("victim_31001_5001_loss_functions.ipynb", "real")
        zipped.writestr("mallory_31002_5002_stuff.zip", inner.getvalue())
        zipped.writestr("../escape_31003_5003_loss_functions.ipynb", "{}")
        zipped.writestr(long_name, "long")
    (archive / "broken.zip").write_bytes(b"not a zip")
    (archive / "broken.tar.gz").write_bytes(b"not a tar")
    CanvasExtractor().extract(str(archive), str(extracted))
    files = sorted(str(p.relative_to(extracted)) for p in extracted.rglob("*") if p.is_file())
    long_file = next(f for f in files if f.startswith("submissions/ada_12345_67890_") and f.endswith(".ipynb"))
    assert sorted(set(files) - {long_file}) == ["submissions/mallory_31002_5002_stuff.zip",
                                                "submissions/victim_31001_5001_loss_functions.ipynb"]
    assert not (tmp_path / "escape_31003_5003_loss_functions.ipynb").exists()
    assert read_name(str(extracted / long_file), NOTEBOOKS, OTHERS).student_id == "12345"


# The class of the end-to-end test: Canvas user id -> (files handed in, oldest first, each the
# reference solution or the blank student copy), what the graded notebook must earn, whether the
# learner is on Canvas's roster.
CLASS = {
    "31001": ([("lovelaceada_31001_5001_loss_functions.ipynb", "blank"),
               ("lovelaceada_31001_5107_loss_functions-1.ipynb", "solution")], "full", True),
    "31002": ([("babbagecharles_31002_5002_loss_functions.ipynb", "solution"),
               ("babbagecharles_31002_5108_loss_functions-1.ipynb", "blank")], "zero", True),
    "31003": ([("turingalan_LATE_31003_5003_Copy of loss_functions.ipynb", "solution")], "full", True),
    "31004": ([("de_la_cruzmaria_late_31004_5004_Copy_of_loss_functions (1)-2.ipynb", "solution")], "full", True),
    "31005": ([("smithjohn_31005_5005_loss_functions (2).ipynb", "solution")], "full", True),
    "31006": ([("smithjohn_31006_5006_loss_functions.ipynb", "blank")], "zero", False),
}
REJECTED_FILES = {"hopperg_31007_5007_optimizers.ipynb": "another assignment's notebook",
                  "nobody_loss_functions.ipynb": "no Canvas user id",
                  "curiemarie_31008_5008_loss_functions.pdf": "not a notebook",
                  "noetheremmy_31009_link.html": "link entry",
                  # a learner's zip, holding a "newer upload" of 31001 (the blank copy): never collected
                  "mallory_31012_5012_stuff.zip": "not a notebook",
                  # learner 31013, sortable name x_31002_99999999, taking 31002's place (with the solution)
                  "x_31002_99999999_31013_5013_loss_functions.ipynb": "reads as learner 31002's upload or as learner 31013's",
                  "broken_31014_5014_notes.zip": "not a notebook"}  # not a zip: must not stop the collection
ROSTER = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "loss_functions (900001)", "optimizers (900002)",
           "Current Score", "Final Score"],
          ["    Points Possible", "", "", "", "", "100", "30", "(read only)", "(read only)"],
          *[[f"Learner {i}", i, f"s{i}", f"l{i}", "A", "", "7", "", ""] for i in CLASS if CLASS[i][2]],
          ["Nothing, Handed", "31010", "s31010", "l31010", "A", "", "", "", ""],  # handed nothing in
          ["Excused, Ex", "31011", "s31011", "l31011", "A", "EX", "", "", ""],  # excused in Canvas
          ["Student, Test", "31099", "", "", "A", "", "", "", ""]]


def run(command, course):
    proc = subprocess.run(command, shell=True, cwd=course, capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def output(outputs, word):
    """What the guide's commands that contain `word` printed."""
    found = [text for command, text in outputs.items() if word in command]
    assert found, f"no command of docs/instructors.md contains {word}"
    return "\n".join(found)


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    """CLASS and REJECTED_FILES in one Canvas zip, taken through the instructors' guide's commands (docs/instructors.md)."""
    course = scratch_course(tmp_path_factory.mktemp("lms"), ["loss_functions"])
    shutil.copytree(ROOT / "source" / "optimizers", course / "source" / "optimizers")  # another assignment
    notebook = "loss_functions.ipynb"
    texts = {"blank": (course / "release" / "loss_functions" / notebook).read_text(),
             "solution": nbformat.writes(filled_student_copy("loss_functions", notebook, course))}
    archive = course / "downloaded" / "loss_functions" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as zipped:
        for files, _, _ in CLASS.values():
            for name, kind in files:
                zipped.writestr(name, texts[kind])
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as nested:
            nested.writestr("lovelaceada_31001_99999999_loss_functions.ipynb", texts["blank"])
        for name in REJECTED_FILES:
            zipped.writestr(name, {"mallory_31012_5012_stuff.zip": inner.getvalue(),
                                   "broken_31014_5014_notes.zip": b"not a zip"}.get(name, texts["solution"]))
    with open(course / "canvas_gradebook.csv", "w", newline="") as f:
        csv.writer(f).writerows(ROSTER)
    outputs = {}
    for command in readme_instructor_commands("loss_functions"):
        code, outputs[command] = run(command, course)
        assert code == 0, f"docs/instructors.md command failed: {command}\n{outputs[command][-4000:]}"
    scores = cell_scores(f"sqlite:///{course / 'gradebook.db'}", "loss_functions", list(CLASS))
    return course, outputs, scores


@pytest.mark.slow
def test_each_learner_is_graded_on_their_latest_upload(canvas_class):
    course, _, scores = canvas_class
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(CLASS)
    for learner, (_, expected, _) in CLASS.items():
        tests = {name: s for name, s in scores[learner].items() if name.startswith("test_")}
        assert tests
        for name, (score, max_score, _) in tests.items():
            assert score == (max_score if expected == "full" else 0), f"{learner} ({expected}): {name} scored {score}"


@pytest.mark.slow
def test_files_that_cannot_be_graded_give_problem_lines(canvas_class):
    _, outputs, _ = canvas_class
    for name, problem in REJECTED_FILES.items():
        line = next((line for line in output(outputs, "zip_collect").splitlines() if f"PROBLEM {name}: " in line), "")
        assert problem in line, f"no PROBLEM line for {name}"
    assert "lovelaceada_31001_5001_loss_functions.ipynb: an older upload of learner 31001" in output(outputs, "zip_collect")


@pytest.mark.slow
def test_canvas_csv_has_the_total_score_and_leaves_the_rest_of_canvas_alone(canvas_class):
    course, outputs, scores = canvas_class
    with open(course / "canvas_loss_functions.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "loss_functions (900001)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "100"]
    cells = {row[1]: row[5] for row in rows[2:]}
    for learner, (_, expected, on_roster) in CLASS.items():
        total = sum(score or 0 for score, *_ in scores[learner].values())
        assert (expected == "full") == (total > 0)
        if on_roster:
            assert float(cells[learner]) == pytest.approx(total, abs=0.005)
    assert cells["31010"] == "" and cells["31011"] == "EX" and cells["31099"] == ""  # no submission: unchanged
    assert "31006" not in cells
    assert "PROBLEM 31006/loss_functions: graded, but no learner of canvas_gradebook.csv has that ID" in output(outputs, "CanvasExport")
    assert "PROBLEM loss_functions: Canvas counts it out of 100 points, nbgrader out of" in output(outputs, "CanvasExport")


@pytest.mark.slow
def test_canvas_export_says_what_is_wrong_with_its_input(canvas_class):
    course, _, _ = canvas_class
    exporter = "nbgrader export --exporter=grader.lms.CanvasExport --assignment=loss_functions"
    code, out = run(f"./course run {exporter} --to c.csv", course)
    assert code == 1 and "--CanvasExport.roster=FILE.csv" in out
    code, out = run(f"./course run {exporter} --CanvasExport.roster=canvas_gradebook.csv --to canvas_gradebook.csv", course)
    assert code == 1 and "is the roster itself" in out
    (course / "grades_other.csv").write_text("name,score\nada,3\n")
    code, out = run(f"./course run {exporter} --CanvasExport.roster=grades_other.csv --to c.csv", course)
    assert code == 1 and "is not a Canvas gradebook export" in out and not (course / "c.csv").exists()
    code, out = run(f"./course run {exporter.replace('=loss_functions', '=loss_function')} "
                    "--CanvasExport.roster=canvas_gradebook.csv --to c.csv", course)
    assert code == 1 and "no assignment loss_function in the gradebook (it has loss_functions)" in out


@pytest.mark.slow
def test_feedback_zip_is_named_like_the_graded_uploads(canvas_class):
    course, _, _ = canvas_class
    with zipfile.ZipFile(course / "feedback_loss_functions.zip") as archive:
        pages = {name: archive.read(name) for name in archive.namelist()}
    graded = {learner: files[-1][0] for learner, (files, _, _) in CLASS.items()}
    assert sorted(pages) == sorted(name[:-len(".ipynb")] + ".html" for name in graded.values())
    for learner, name in graded.items():
        assert pages[name[:-len(".ipynb")] + ".html"] == \
            (course / "feedback" / learner / "loss_functions" / "loss_functions.html").read_bytes()
    (course / "feedback" / "31003").rename(course / "feedback-31003")
    try:
        code, out = run("./course run python -m grader.lms feedback-zip loss_functions again.zip", course)
    finally:
        (course / "feedback-31003").rename(course / "feedback" / "31003")
    assert code == 0 and "no feedback for learner 31003 (turingalan_LATE_31003_5003_Copy of loss_functions.ipynb)" in out
    with zipfile.ZipFile(course / "again.zip") as archive:
        assert len(archive.namelist()) == len(CLASS) - 1
