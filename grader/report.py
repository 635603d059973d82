"""What the instructor learns from a graded class, and the record behind every score.

    ./course run python -m grader.report ASSIGNMENT [--root .]

writes `reports/<assignment>/report.html` (one self-contained page: its plots are PNGs inlined as
base64) and `reports/<assignment>/report.csv` beside it, from the gradebook and what `./course grade`
kept of each learner (`.grading-state/`: seconds, host, problems, record); `./course grade` writes
them too when it has graded an assignment. The page shows:

- the score distribution (a histogram of the gradebook's totals);
- each check (an autograded grade cell): points, pass rate (full points), mean score, and how well it
  separates strong from weak learners: the point-biserial correlation of its score with the total of
  the other checks, and the upper-lower index (pass rate of the top 27% by that total minus the
  bottom 27%'s). A check that everybody passes, nobody passes, or that strong learners fail more
  often than weak ones (both measures negative: likely broken) is flagged;
- the slips named across the class: each failed check's message (the AssertionError its test cell
  shows in the graded notebook, as in the learner's feedback), read as its slip (see `slip_text`),
  with how many learners made it, who, and in which checks;
- the learners with PROBLEM lines, those handed in but not graded, and each learner's seconds;
- each score's record (`learner_record`): the hash of the files graded, the course's commit and
  whether its grading files were clean, a fingerprint of the grading secret (a hash, never the
  secret), the lock's hash, the grader's settings, the host and the time. `./course grade` writes it
  in its `--report` JSON lines, in `.grading-state/`, as one line at the end of the graded notebook
  (so in the learner's feedback), and `nbgrader export` (`RecordExport`) puts it in a column.
"""
import argparse
import base64
import csv
import hashlib
import html
import io
import json
import math
import re
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.plugins import CsvExportPlugin

RECORD_KEY = "grading_record"  # cell metadata key of the record's line at the end of a graded notebook
REPORTS = "reports"
GENERATOR = '<meta name="generator" content="grader.report">'  # marks a page this module wrote
# The files whose changes since the commit change a verdict (besides the learner's): "clean" is about these.
GRADING_FILES = ["grader", "student-kit", "source", "release", "nbgrader_config.py", "requirements.txt"]
UPPER_LOWER = 0.27  # the share of learners in the upper and the lower group of the upper-lower index


# ----------------------------------------------------------------------------- the record behind a score

def sha256(data):
    return hashlib.sha256(data if isinstance(data, bytes) else json.dumps(data, sort_keys=True).encode()).hexdigest()


def secret_fingerprint(secret):
    """A fingerprint of the grading secret: tells two secrets apart, and gives nothing of the secret away."""
    return sha256(f"pytorch-loss-course grading secret\0{secret}".encode())


def git_state(root):
    """(the course's commit, whether its grading files are as committed), or (None, None) outside git.
    Files git does not track (a learner's, __pycache__) do not count."""
    def git(*args):
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None, None
        top = Path(git("rev-parse", "--show-toplevel").stdout.strip())
        if top.resolve() != Path(root).resolve():  # a course inside someone else's checkout: not its commit
            return None, None
        status = git("status", "--porcelain", "--untracked-files=no", "--", *GRADING_FILES)
        return head.stdout.strip(), status.returncode == 0 and not status.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, None


def course_record(root, shared):
    """The fields of a record that the whole class shares: commit, clean, secret, lock, settings
    (grader/task.py's Settings.verdict(), with the hash of the course's nbgrader_config.py)."""
    commit, clean = git_state(root)
    lock = Path(root) / "requirements.txt"
    return dict(commit=commit, clean=clean, secret=secret_fingerprint(shared.secret),
                lock=sha256(lock.read_bytes()) if lock.is_file() else None,
                settings=dict(shared.settings.verdict(), duedate=shared.duedate, config=sha256(shared.config.encode())))


def learner_record(course, digest, report, score, max_score):
    """The record behind one learner's score: the course's fields, the hash of the files graded
    (`digest`: grade.files_digest's), the score, the host that graded and the time it was filed."""
    return dict(files=sha256(digest) if digest is not None else None, **course, score=score, max_score=max_score,
                host=report.host or socket.gethostname(),
                time=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def record_line(record):
    """The record in one line, for the learner's feedback and the export."""
    if not record:
        return ""
    short = lambda v: (v or "none")[:12]  # noqa: E731
    clean = {True: "clean", False: "changed since", None: "not a git checkout"}[record.get("clean")]
    return (f"files {short(record.get('files'))}, course {short(record.get('commit'))} ({clean}), "
            f"secret {short(record.get('secret'))}, lock {short(record.get('lock'))}, "
            f"settings {sha256(record.get('settings'))[:12]}; graded {record.get('time')} on {record.get('host')}")


def stamp(files, notebooks, record):
    """`files` (a report's {path: bytes}) with the record's line as a last cell of each graded notebook."""
    import nbformat
    from nbformat.v4 import new_markdown_cell
    files = dict(files)
    for name in notebooks:
        path = f"{name}.ipynb"
        if path not in files:
            continue
        nb = nbformat.reads(files[path].decode(), as_version=4)
        nb.cells = [c for c in nb.cells if RECORD_KEY not in c.metadata]
        nb.cells.append(new_markdown_cell(f"*Grading record:* {record_line(record)}.", metadata={RECORD_KEY: record}))
        files[path] = nbformat.writes(nb).encode()
    return files


def kept_state(root, assignment, student):
    """What `./course grade` kept of a learner ({} when nothing)."""
    path = Path(root) / ".grading-state" / assignment / f"{student}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class RecordExport(CsvExportPlugin):
    """nbgrader's CSV export (grades.csv) with one column more, `grading_record`: the record behind
    each score, in one line (empty where `./course grade` kept none)."""

    def export(self, gradebook):
        super().export(gradebook)
        dest = Path(self.to or "grades.csv")
        root = Path(self.parent.coursedir.root) if getattr(self.parent, "coursedir", None) else Path(".")
        with open(dest, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            return
        out = [rows[0] + ["grading_record"]]
        a, s = rows[0].index("assignment"), rows[0].index("student_id")
        for row in rows[1:]:
            out.append(row + [record_line(kept_state(root, row[a], row[s]).get("record")) if row[s] else ""])
        with open(dest, "w", newline="") as f:
            csv.writer(f).writerows(out)


# ----------------------------------------------------------------------------- the class, from the gradebook

# "It moves exactly like Adam with ε inside the square root: add ε after ..." (the optimizers' named slips)
MOVES_LIKE = re.compile(r"It moves exactly like (?P<what>.+?) with (?P<slip>.+?): ")
# "mse_loss on inputs of shape (3, 1), (3, 1) with {'delta': 0.5}: ": where a check found it, not what
LOCATION = re.compile(r"^\w+ on inputs of shape .*?(?: with \{.*?\})?: ")


def slip_text(message):
    """The slip a failed check's message names: its first line, without where the check found it
    (the inputs' shapes differ between checks and learners), or the usual mistake a check replayed
    ("Adam with ε inside the square root"). None for an empty message."""
    line = (message or "").strip().split("\n")[0].strip()
    named = MOVES_LIKE.search(line)
    if named:
        return f"{named['what']} with {named['slip']}"
    line = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", LOCATION.sub("", line)).strip()
    return line or None


def failed_messages(path):
    """{grade_id: the AssertionError message of each check that failed} in the graded notebook `path`."""
    import nbformat

    from .notebook import grade_id, is_test_cell
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (no graded notebook: no messages)
        return {}
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and is_test_cell(cell):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error" and out.get("ename") == "AssertionError":
                    found[grade_id(cell)] = out.get("evalue", "")
    return found


def pearson(xs, ys):
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def upper_lower(passed, rest):
    """The pass rate of the learners with the highest `rest` totals (the top 27%, at least one)
    minus the lowest's. None with fewer than two learners."""
    n = len(passed)
    if n < 2:
        return None
    k = max(1, round(UPPER_LOWER * n))
    order = sorted(range(n), key=lambda i: rest[i])
    lower, upper = order[:k], order[-k:]
    return sum(passed[i] for i in upper) / k - sum(passed[i] for i in lower) / k


def flags(pass_rate, r, d):
    """The health flags of a check passed by `pass_rate` of the class, with point-biserial `r` and
    upper-lower index `d`: likely broken when both are negative (the strong pass it less often than
    the weak, and its score falls as the rest rises)."""
    found = []
    if pass_rate == 1:
        found.append("everybody passes")
    elif pass_rate == 0:
        found.append("nobody passes")
    elif r is not None and d is not None and r < 0 and d < 0:
        found.append("strong learners fail it more often than weak ones: likely broken")
    return found


def class_data(root, assignment, ungraded=(), problems=None):
    """Everything the report shows, as plain data, from the course at `root`: its gradebook (scores),
    its graded notebooks (the checks' messages), what ./course grade kept (.grading-state/), and
    `ungraded`/`problems`, what the run that just ended knows beyond them."""
    from nbgrader.api import Gradebook, MissingEntry
    root = Path(root).resolve()
    coursedir = _coursedir(root)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            entry = gb.find_assignment(assignment)
        except MissingEntry:
            raise SystemExit(f"report: the gradebook has no assignment {assignment!r}: run `./course run nbgrader "
                             f"generate_assignment {assignment}` and `./course grade {assignment}` first") from None
        notebooks = sorted(nb.name for nb in entry.notebooks)
        max_score = entry.max_score
        checks = {}  # grade_id: points (autograded code cells, in notebook order)
        for nb in sorted(entry.notebooks, key=lambda n: n.name):
            for cell in nb.grade_cells:
                if cell.cell_type == "code":
                    checks[cell.name] = cell.max_score
        learners = {}
        for sub in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student_id):
            cells = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
            learners[sub.student_id] = dict(score=sub.score, max_score=max_score, cells=cells,
                                            needs_manual_grade=bool(sub.needs_manual_grade))
    submitted = root / coursedir.submitted_directory
    handed_in = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    not_graded = sorted(set(ungraded) | {s for s in handed_in if s not in learners})
    for student in sorted(set(learners) | set(not_graded)):
        kept = kept_state(root, assignment, student)
        found = (problems or {}).get(student, kept.get("problems", {})) or {}
        row = learners.setdefault(student, dict(score=None, max_score=max_score, cells={}, needs_manual_grade=False))
        row.update(graded=student not in not_graded, seconds=kept.get("seconds"), host=kept.get("host"),
                   record=kept.get("record"),
                   problems=[f"{name}.ipynb: {'; '.join(p)}" for name, p in sorted(found.items()) if p])
    graded = [s for s in learners if learners[s]["graded"]]
    # Discrimination is measured on the learners who earned some autograded point: a blank or unreadable
    # submission, graded as the blank copy, fails every check and says nothing of any check's health.
    tried = [s for s in graded if any(learners[s]["cells"].get(c) for c in checks)]
    rows = []
    for check, points in checks.items():
        share = {s: (learners[s]["cells"].get(check) or 0.0) / points if points else 0.0 for s in graded}
        scores = list(share.values())
        rest = [sum(learners[s]["cells"].get(c) or 0.0 for c in checks if c != check) for s in tried]
        passed = [1.0 if x >= 1 else 0.0 for x in scores]
        rate = sum(passed) / len(graded) if graded else None
        r = pearson([share[s] for s in tried], rest)
        d = upper_lower([1.0 if share[s] >= 1 else 0.0 for s in tried], rest)
        rows.append(dict(check=check, points=points, pass_rate=rate, passed=int(sum(passed)), learners=len(graded),
                         mean=sum(scores) * points / len(graded) if graded else None,
                         discrimination=r, upper_lower=d, flags=flags(rate, r, d) if graded else []))
    slips = {}
    for student in graded:
        for nb in notebooks:
            path = root / coursedir.autograded_directory / student / assignment / f"{nb}.ipynb"
            for check, message in failed_messages(path).items():
                cell = learners[student]["cells"].get(check)
                if check not in checks or (cell is not None and cell >= checks[check]):
                    continue  # only checks that lost their points (a message and the gradebook agree)
                text = slip_text(message)
                if text:
                    slip = slips.setdefault(text, dict(slip=text, learners=set(), checks=set()))
                    slip["learners"].add(student)
                    slip["checks"].add(check)
    slips = sorted(({**s, "learners": sorted(s["learners"]), "checks": sorted(s["checks"]),
                     "count": len(s["learners"])} for s in slips.values()), key=lambda s: (-s["count"], s["slip"]))
    return dict(assignment=assignment, max_score=max_score, notebooks=notebooks, checks=rows, learners=learners,
                slips=slips, written=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _coursedir(root):
    """The course's CourseDirectory, as its nbgrader_config.py sets it."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Application
    app = Application()
    app.load_config_file("nbgrader_config.py", path=str(root))
    coursedir = CourseDirectory(config=app.config)
    coursedir.root = str(root)
    return coursedir


# ----------------------------------------------------------------------------- the page and the CSV

def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def plots(data):
    """(histogram of the totals, pass rate of each check) as inlined PNGs."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    totals = [row["score"] for row in data["learners"].values() if row["graded"] and row["score"] is not None]
    top = max(data["max_score"] or 1, 1)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(totals, bins=[i for i in range(0, int(math.ceil(top)) + 2)], color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"score (of {top:g})")
    ax.set_ylabel("learners")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"{data['assignment']}: scores of {len(totals)} graded learners")
    histogram = _png(fig)
    plt.close(fig)
    checks = data["checks"]
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(checks) + 1))
    ax.barh([c["check"] for c in checks][::-1], [c["pass_rate"] or 0 for c in checks][::-1],
            color=["#c44e52" if c["flags"] else "#55a868" for c in checks][::-1])
    ax.set_xlim(0, 1)
    ax.set_xlabel("pass rate (red: flagged)")
    ax.tick_params(axis="y", labelsize=7)
    rates = _png(fig)
    plt.close(fig)
    return histogram, rates


def _n(value, digits=2):
    return "" if value is None else f"{value:.{digits}f}" if isinstance(value, float) and value != int(value) \
        else f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _table(table_id, header, rows):
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def learner_rows(data):
    return [[s, _n(r["score"]), _n(r["max_score"]), "yes" if r["graded"] else "NOT GRADED", _n(r["seconds"], 1),
             r["host"] or "", "; ".join(r["problems"]), record_line(r["record"])] for s, r in data["learners"].items()]


def check_rows(data):
    return [[c["check"], _n(c["points"]), f"{c['passed']}/{c['learners']}", _n(c["pass_rate"]), _n(c["mean"]),
             _n(c["discrimination"]), _n(c["upper_lower"]), "; ".join(c["flags"])] for c in data["checks"]]


def render(data):
    """The report as one self-contained HTML page."""
    e = html.escape
    histogram, rates = plots(data)
    learners = data["learners"]
    graded = [r for r in learners.values() if r["graded"]]
    troubled = [[s, "NOT GRADED" if not r["graded"] else "", "; ".join(r["problems"])]
                for s, r in learners.items() if r["problems"] or not r["graded"]]
    flagged = [c for c in data["checks"] if c["flags"]]
    seconds = [r["seconds"] for r in graded if r["seconds"] is not None]
    parts = [
        f"<h1>Class report: {e(data['assignment'])}</h1>",
        f'<p id="summary">Learners handed in: {len(learners)}; graded: {len(graded)}; not graded: '
        f"{len(learners) - len(graded)}; with PROBLEM lines or not graded: {len(troubled)}; checks: "
        f"{len(data['checks'])}. Written {e(data['written'])} from the gradebook.</p>",
        "<h2>Score distribution</h2>", f'<img id="histogram" alt="histogram of the scores" src="{histogram}">',
        "<h2>Checks</h2>",
        "<p>Pass rate: learners with the check's full points. Discrimination: the point-biserial correlation of "
        "the check's score with the total of the other checks; upper&minus;lower: the pass rate of the top 27% "
        "by that total minus the bottom 27%'s; both among the learners who earned some point (a blank "
        "submission fails every check and tells nothing of one). When both are negative, strong learners fail the "
        "check more often than weak ones: look at the check first.</p>",
        "<p id=\"flagged\">Flagged: " + (e(", ".join(f"{c['check']} ({'; '.join(c['flags'])})" for c in flagged))
                                         or "none") + "</p>",
        _table("checks", ["check", "points", "passed", "pass rate", "mean score", "discrimination", "upper-lower",
                          "flags"], check_rows(data)),
        f'<img id="pass-rates" alt="pass rate of each check" src="{rates}">',
        "<h2>Slips named across the class</h2>",
        "<p>Each failed check's message, as the learner's feedback shows it, without where the check found it.</p>",
        _table("slips", ["slip", "learners", "who", "checks"],
               [[s["slip"], s["count"], ", ".join(s["learners"]), ", ".join(s["checks"])] for s in data["slips"]]),
        "<h2>PROBLEM lines and learners not graded</h2>",
        _table("problems", ["learner", "graded", "PROBLEM"], troubled) if troubled else '<p id="problems">none</p>',
        "<h2>Learners</h2>",
        f"<p>Seconds per learner: {_n(sum(seconds) / len(seconds), 1) if seconds else '-'} on average, "
        f"{_n(max(seconds), 1) if seconds else '-'} at most.</p>",
        _table("learners", ["learner", "score", "max", "graded", "seconds", "host", "PROBLEM", "record"],
               learner_rows(data)),
        "<h2>Records</h2><p>Behind every score: the hash of the files graded, the course's commit (clean: its "
        "grading files as committed), a fingerprint of the grading secret, the lock's hash, the settings' hash, "
        "the host and the time. Regrading the same files with the same course gives the same fields but the "
        "last two.</p>",
        _table("records", ["learner", "files", "commit", "clean", "secret", "lock", "settings", "score", "host", "time"],
               [[s, *(str((r["record"] or {}).get(k, "")) for k in ("files", "commit", "clean", "secret", "lock")),
                 json.dumps((r["record"] or {}).get("settings", ""), sort_keys=True),
                 *(str((r["record"] or {}).get(k, "")) for k in ("score", "host", "time"))]
                for s, r in learners.items()]),
    ]
    style = ("body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left;vertical-align:top}"
             "th{background:#eee}#checks td:last-child{color:#c44e52;font-weight:bold}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{GENERATOR}<title>Class report: {e(data['assignment'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")




class ReportError(Exception):
    """A report that cannot be written; the message says why and what to do."""


def not_ours(folder):
    """The files of `folder` that the report would replace but that it did not write (someone's)."""
    found = []
    page, table = folder / "report.html", folder / "report.csv"
    if page.exists() and (not page.is_file() or GENERATOR not in page.read_text(encoding="utf-8", errors="replace")):
        found.append(page)
    if table.exists() and (not table.is_file() or
                           table.read_text(encoding="utf-8", errors="replace").split("\n")[0].strip()
                           != ",".join(CSV_COLUMNS)):
        found.append(table)
    return found


CSV_COLUMNS = ["table", "name", "score", "max_score", "graded", "seconds", "host", "problems", "record",
               "passed", "learners", "pass_rate", "mean_score", "discrimination", "upper_lower", "flags",
               "count", "who", "checks"]


def csv_rows(data):
    """One row per learner (table=learner), per check (table=check) and per slip (table=slip)."""
    rows = []
    for s, r in data["learners"].items():
        rows.append(dict(table="learner", name=s, score=r["score"], max_score=r["max_score"], graded=r["graded"],
                         seconds=r["seconds"], host=r["host"], problems="; ".join(r["problems"]),
                         record=json.dumps(r["record"], sort_keys=True) if r["record"] else ""))
    for c in data["checks"]:
        rows.append(dict(table="check", name=c["check"], max_score=c["points"], passed=c["passed"],
                         learners=c["learners"], pass_rate=c["pass_rate"], mean_score=c["mean"],
                         discrimination=c["discrimination"], upper_lower=c["upper_lower"], flags="; ".join(c["flags"])))
    for s in data["slips"]:
        rows.append(dict(table="slip", name=s["slip"], count=s["count"], who=" ".join(s["learners"]),
                         checks=" ".join(s["checks"])))
    return rows


def write(root, assignment, ungraded=(), problems=None, out=None):
    """Write reports/<assignment>/report.html and report.csv in the course at `root`; returns the page's path."""
    folder = Path(out) if out else Path(root) / REPORTS / assignment
    theirs = not_ours(folder)
    if theirs:
        raise ReportError(f"{', '.join(map(str, theirs))} exists and is not a class report: move it away, or write "
                          f"the report elsewhere (python -m grader.report {assignment} --out DIR)")
    data = class_data(root, assignment, ungraded, problems)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text(render(data), encoding="utf-8")
    with open(folder / "report.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in csv_rows(data))
    return folder / "report.html"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write an assignment's class report (reports/<assignment>/) "
                                                 "from the gradebook and what ./course grade kept.")
    parser.add_argument("assignment")
    parser.add_argument("--root", default=".", help="the course root (default: here)")
    parser.add_argument("--out", default=None, help="the folder to write to (default: reports/<assignment>/)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "nbgrader_config.py").is_file():
        sys.exit(f"report: {root.resolve()} has no nbgrader_config.py: run this in the course root")
    try:
        page = write(root, args.assignment, out=args.out)
    except ReportError as e:
        sys.exit(f"report: {e}")
    print(f"report: {page} and {page.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
