"""Canvas without a zip: learners' notebooks pulled from Canvas's API, scores and feedback pushed to it.

    ./course canvas pull ASSIGNMENT [--force]
    ./course canvas push ASSIGNMENT [--yes] [--overwrite]

Run in the course root. Canvas's address and course id come from nbgrader_config.py
(`c.CanvasSync.url = "https://canvas.example.edu"`, `c.CanvasSync.course = 12345`) or the command line
(`--url`, `--course`); the Canvas assignment is the one titled like the nbgrader assignment. The
instructor's API token is read from the environment variable CANVAS_API_TOKEN (`CanvasSync.token_env`)
or from a file outside the course (`--token-file PATH`); it is never written anywhere.

- pull: every learner's latest Canvas submission, each file named as Canvas's "Download Submissions"
  zip names it, in one zip in downloaded/<assignment>/archive/, then `nbgrader zip_collect` with the
  course's Canvas plugins (grader/lms.py): the same student ids (Canvas user ids), the same files in
  submitted/, the same handling of late, repeated and renamed uploads, the same PROBLEM lines.
- push: each graded learner's total (grader.lms.canvas_total, as the CSV export computes it) as the
  Canvas grade, and their feedback pages attached to one submission comment. It prints what would
  change first and posts only with --yes. A grade in Canvas that this course did not push (entered by
  hand, imported, or excused) is left as it is unless --overwrite; what was pushed is recorded in
  .canvas-pushes/<assignment>.json (a push run again changes nothing). Learners graded here but not in
  the Canvas course, and learners who handed in on Canvas but are not graded here, are named.

A rate limit from Canvas (403 "Rate Limit Exceeded") is retried with backoff (`CanvasSync.retries`,
`CanvasSync.backoff`); every other error stops with a message saying what to do.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path
from urllib.parse import urlparse

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Application

from .lms import LmsError, _key, _points, canvas_total, course_notebooks

DESCRIPTION = __doc__.split("\n\n")[0]
RECORDS = ".canvas-pushes"
MISSING = "-"


class CanvasSync(Application):
    """`./course canvas pull|push ASSIGNMENT`'s settings (see the module's docstring)."""

    name = "course-canvas"
    description = DESCRIPTION
    url = Unicode("", help="Canvas's address, e.g. https://canvas.example.edu").tag(config=True)
    course = Integer(0, help="The Canvas course id (the number in the course's address, /courses/<id>)").tag(
        config=True)
    token_env = Unicode("CANVAS_API_TOKEN", help="The environment variable holding the instructor's Canvas API "
                        "token").tag(config=True)
    token_file = Unicode("", help="A file holding the token instead (outside the course directory)").tag(config=True)
    canvas_assignment = Integer(0, help="The Canvas assignment id, when its title is not the nbgrader "
                                "assignment's name").tag(config=True)
    yes = Bool(False, help="push: post the changes (without it, only show them)").tag(config=True)
    overwrite = Bool(False, help="push: replace grades this course did not push (hand-entered, excused)").tag(
        config=True)
    force = Bool(False, help="pull: collect again over an earlier collection (as zip_collect --force)").tag(
        config=True)
    retries = Integer(5, help="Times a request that hit Canvas's rate limit is tried again").tag(config=True)
    backoff = Float(2.0, help="Seconds before the first retry after a rate limit; doubled each time").tag(
        config=True)
    root = Unicode(".", help="The course root").tag(config=True)

    aliases = {"url": "CanvasSync.url", "course": "CanvasSync.course", "token-file": "CanvasSync.token_file",
               "canvas-assignment": "CanvasSync.canvas_assignment", "root": "CanvasSync.root"}
    flags = {"yes": ({"CanvasSync": {"yes": True}}, "push: post the changes shown"),
             "overwrite": ({"CanvasSync": {"overwrite": True}}, "push: replace grades this course did not push"),
             "force": ({"CanvasSync": {"force": True}}, "pull: collect again over an earlier collection")}

    def initialize(self, argv=None):
        self.parse_command_line(argv)
        self.root_path = Path(self.root).resolve()
        if not (self.root_path / "nbgrader_config.py").exists():
            raise LmsError(f"{self.root_path} has no nbgrader_config.py: run this in the course root")
        if len(self.extra_args) != 2 or self.extra_args[0] not in ("pull", "push"):
            raise LmsError("usage: ./course canvas pull|push ASSIGNMENT [options] (--help-all lists them)")
        self.command, self.assignment = self.extra_args
        self.load_config_file("nbgrader_config.py", path=str(self.root_path))  # the command line still wins

    # ------------------------------------------------------------------------------------ Canvas access

    def token(self):
        if self.token_file:
            path = Path(self.token_file).expanduser().resolve()
            if path.is_relative_to(self.root_path):
                raise LmsError(f"the token file {path} is inside the course directory: move it out (a token must "
                               f"never be committed), e.g. to ~/.canvas_token, and give that path")
            if not path.is_file():
                raise LmsError(f"the token file {path} does not exist")
            token = path.read_text().strip()
            if not token:
                raise LmsError(f"the token file {path} is empty")
            return token
        token = os.environ.get(self.token_env, "").strip()
        if not token:
            raise LmsError(f"no Canvas API token: set {self.token_env} (Canvas: Account > Settings > New Access "
                           f"Token) or give --token-file PATH (a file outside the course)")
        return token

    def connect(self):
        from canvasapi import Canvas
        if not self.url:
            raise LmsError("no Canvas address: set c.CanvasSync.url in nbgrader_config.py or give --url")
        if not self.course:
            raise LmsError("no Canvas course id: set c.CanvasSync.course in nbgrader_config.py or give --course")
        address = urlparse(self.url)
        local = address.hostname in ("localhost", "127.0.0.1", "::1")
        if address.scheme != "https" and not (address.scheme == "http" and local):
            raise LmsError(f"{self.url}: give Canvas's https:// address (the token must not travel unencrypted)")
        with warnings.catch_warnings():
            if local:  # canvasapi warns of http://, which only a server on this machine may use
                warnings.filterwarnings("ignore", "Canvas may respond unexpectedly", UserWarning)
            canvas = Canvas(self.url.rstrip("/"), self.token())
        self.canvas_course = self.call(canvas.get_course, self.course)
        return self.canvas_course

    def call(self, function, *args, **kwargs):
        """`function(...)`, tried again after a rate limit; Canvas's errors as LmsError."""
        from canvasapi.exceptions import (CanvasException, Forbidden, InvalidAccessToken, ResourceDoesNotExist,
                                          Unauthorized)
        from requests.exceptions import ConnectionError as Unreachable
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return function(*args, **kwargs)
            except InvalidAccessToken as error:
                raise LmsError(f"Canvas refused the API token ({_message(error)}): it has expired or was deleted; "
                               f"make a new one (Canvas: Account > Settings > New Access Token) and set "
                               f"{self.token_env}") from None
            except Unauthorized as error:
                raise LmsError(f"the token's Canvas user may not do this in course {self.course} ({_message(error)}): "
                               f"use a token of one of the course's teachers") from None
            except ResourceDoesNotExist:
                if not hasattr(self, "canvas_course"):
                    raise LmsError(f"no course {self.course} on {self.url} (or the token's user cannot see it): check "
                                   f"c.CanvasSync.course (the number in the course's address)") from None
                raise
            except Forbidden as error:
                if "rate limit" not in str(error).lower():
                    raise LmsError(f"Canvas refused ({_message(error)}): the token's user needs a teacher's rights "
                                   f"in course {self.course}") from None
                if attempt == self.retries:
                    raise LmsError(f"Canvas's rate limit: still refused after {self.retries} retries; wait a few "
                                   f"minutes and run the command again (what was done is kept, the rest is done "
                                   f"then)") from None
                print(f"canvas: Canvas's rate limit reached: waiting {delay:g} s", file=sys.stderr, flush=True)
                time.sleep(delay)
                delay *= 2
            except Unreachable as error:
                raise LmsError(f"cannot reach Canvas at {self.url} ({type(error).__name__}): check the address and "
                               f"the network") from None
            except CanvasException as error:
                raise LmsError(f"Canvas answered with an error ({_message(error)}): run the command again later "
                               f"(what was done is kept)") from None

    def find_assignment(self):
        from canvasapi.exceptions import ResourceDoesNotExist
        if self.canvas_assignment:
            try:
                return self.call(self.canvas_course.get_assignment, self.canvas_assignment)
            except ResourceDoesNotExist:
                raise LmsError(f"no assignment {self.canvas_assignment} in Canvas course {self.course}: check "
                               f"--canvas-assignment (the number in the assignment's address)") from None
        found = [a for a in self.call(lambda: list(self.canvas_course.get_assignments(search_term=self.assignment)))
                 if _key(a.name) == _key(self.assignment)]
        if len(found) != 1:
            what = f"{len(found)} assignments" if found else "no assignment"
            raise LmsError(f"{what} of Canvas course {self.course} titled {self.assignment}: give the Canvas "
                           f"assignment that title, or its id with --canvas-assignment ID")
        return found[0]

    def submissions(self, assignment):
        return self.call(lambda: list(assignment.get_submissions(include=["user"])))

    # ------------------------------------------------------------------------------------------- pull

    def pull(self):
        from canvasapi.exceptions import ResourceDoesNotExist
        self.connect()
        assignment = self.find_assignment()
        downloaded = self.root_path / "downloaded" / self.assignment
        extracted = downloaded / "extracted"
        if extracted.is_dir() and any(extracted.iterdir()) and not self.force:
            raise LmsError(f"{extracted.relative_to(self.root_path)} holds an earlier collection: run again with "
                           f"--force to collect again (as nbgrader zip_collect --force)")
        archive = downloaded / "archive"
        archive.mkdir(parents=True, exist_ok=True)
        target = archive / f"canvas-api-{self.assignment}.zip"
        part = downloaded / f".{target.name}.part"  # outside archive/ until complete
        files, learners = 0, 0
        try:
            zipped = zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED)  # Canvas's zip, one file at a time
        except OSError as error:
            raise LmsError(f"cannot write {part}: {error}") from None
        try:
            with zipped:
                for submission in self.submissions(assignment):
                    if not getattr(submission, "submitted_at", None):
                        continue
                    user = getattr(submission, "user", {}) or {}
                    name = re.sub(r"[^a-z0-9_]", "", str(user.get("sortable_name", "")).lower())
                    prefix = f"{name}{'_LATE' if getattr(submission, 'late', False) else ''}_{submission.user_id}_"
                    learners += 1
                    kind = getattr(submission, "submission_type", None)
                    if kind in ("online_url", "online_text_entry"):  # Canvas's zip holds a page for these
                        zipped.writestr(f"{prefix}{'link' if kind == 'online_url' else 'text'}.html", b"")
                        files += 1
                        continue
                    for attachment in submission.attachments:
                        display = str(getattr(attachment, "display_name", "") or attachment.filename).replace("/", "_")
                        try:
                            content = self.call(attachment.get_contents, binary=True)
                        except ResourceDoesNotExist:
                            print(f"PROBLEM {prefix}{attachment.id}_{display}: Canvas no longer has this file of "
                                  f"learner {submission.user_id} (deleted?): ask them to upload it again (skipped)",
                                  flush=True)
                            continue
                        zipped.writestr(f"{prefix}{attachment.id}_{display}", content)
                        files += 1
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        part.replace(target)
        print(f"canvas: {files} files of {learners} learners from Canvas assignment {assignment.name!r} "
              f"(id {assignment.id}), collecting them", flush=True)
        command = [sys.executable, "-m", "nbgrader", "zip_collect", self.assignment]
        done = subprocess.run(command + (["--force"] if self.force else []), cwd=self.root_path)
        if done.returncode:
            raise LmsError(f"nbgrader zip_collect {self.assignment} failed (see above)")
        return 0

    # ------------------------------------------------------------------------------------------- push

    def push(self):
        from nbgrader.api import Gradebook
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        coursedir.root = str(self.root_path)
        with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
            if self.assignment not in [a.name for a in gradebook.assignments]:
                raise LmsError(f"no assignment {self.assignment} in the gradebook: grade it first "
                               f"(./course grade {self.assignment})")
            most = gradebook.find_assignment(self.assignment).max_score
            graded = {}
            for submission in gradebook.assignment_submissions(self.assignment):
                pages = [Path(coursedir.format_path(coursedir.feedback_directory, submission.student_id,
                                                    self.assignment)) / f"{nb.name}.html"
                         for nb in submission.notebooks]
                graded[submission.student_id] = (_points(canvas_total(submission)), pages,
                                                 submission.needs_manual_grade)
        self.connect()
        assignment = self.find_assignment()
        canvas = {str(s.user_id): s for s in self.submissions(assignment)}
        problems = []
        possible = getattr(assignment, "points_possible", None)
        if possible is not None and abs(float(possible) - most) > 1e-6:
            problems.append(f"PROBLEM {self.assignment}: Canvas counts it out of {_points(float(possible))} points, "
                            f"nbgrader out of {_points(most)}: set the Canvas assignment's points to {_points(most)}")
        record_path = self.root_path / RECORDS / f"{self.assignment}.json"
        records = json.loads(record_path.read_text()) if record_path.is_file() else {}
        where = f"{self.course}/{assignment.id}"
        pushed = records.setdefault(where, {})
        plan, left = [], []
        for learner, (score, pages, manual) in sorted(graded.items(), key=lambda item: _order(item[0])):
            submission = canvas.get(learner)
            if submission is None:
                problems.append(f"PROBLEM {learner}: graded here, but no learner of Canvas course {self.course} has "
                                f"that user id: not pushed")
                continue
            if manual:
                problems.append(f"PROBLEM {learner}: answers wait for grading by hand (Formgrader): the score leaves "
                                f"them out; push again after grading them")
            now = _canvas_grade(submission)
            last = pushed.get(learner, {})
            missing = [p for p in pages if not p.is_file()]
            if missing:
                problems.append(f"PROBLEM {learner}: no feedback page {missing[0].relative_to(self.root_path)}: run "
                                f"nbgrader generate_feedback {self.assignment} (the grade is pushed without it)")
            pages = [p for p in pages if p.is_file()]
            feedback = _digest(pages) if pages else None
            name = _name(submission)
            if now not in (MISSING, score, last.get("score")) and not self.overwrite:
                why = "excused in Canvas" if now == "EX" else (
                    f"entered in Canvas, not pushed by this course (last pushed: {last['score']})" if last else
                    "entered in Canvas, not pushed by this course")
                left.append((learner, name, now, score, f"left as is: {why}; --overwrite replaces it"))
                continue
            new_grade = score != now
            new_feedback = feedback is not None and feedback != last.get("feedback")
            if new_grade or new_feedback:
                plan.append((learner, name, now, score, new_grade, pages if new_feedback else [], feedback))
        unmatched = sorted((u for u, s in canvas.items() if u not in graded and getattr(s, "submitted_at", None)),
                           key=_order)
        for learner in unmatched:
            problems.append(f"PROBLEM {learner} ({_name(canvas[learner])}): handed in on Canvas, not graded here: "
                            f"not pulled yet (./course canvas pull {self.assignment}, then grade), or the pull "
                            f"skipped the file (its PROBLEM line said why)")
        print(f"canvas push {self.assignment} -> Canvas course {self.course}, assignment {assignment.name!r} "
              f"(id {assignment.id})")
        width = max([len(row[0]) for row in plan + left] + [7])
        for learner, name, now, score, new_grade, pages, _ in plan:
            change = f"{now} -> {score}" if new_grade else f"{score} (unchanged)"
            attach = f"; attach {', '.join(p.name for p in pages)}" if pages else ""
            print(f"  {learner:<{width}}  {name[:28]:<28}  {change}{attach}")
        for learner, name, now, score, why in left:
            print(f"  {learner:<{width}}  {name[:28]:<28}  {now} (here: {score}): {why}")
        for line in problems:
            print(line)
        grades = sum(1 for row in plan if row[4])
        comments = sum(1 for row in plan if row[5])
        if not plan:
            print(f"canvas: nothing to change ({len(graded)} graded learners; {len(left)} left as is)")
            return 0
        if not self.yes:
            print(f"canvas: dry run: {grades} grades would change and {comments} feedback comments be posted; "
                  f"run again with --yes to post them")
            return 0
        posted = 0
        for learner, name, now, score, new_grade, pages, feedback in plan:
            try:
                self.post(assignment, canvas[learner], score if new_grade else None, pages, most)
            except LmsError as error:
                print(f"PROBLEM {learner}: not posted: {error}", flush=True)
                continue
            pushed[learner] = {"score": score, "feedback": feedback or pushed.get(learner, {}).get("feedback")}
            record_path.parent.mkdir(exist_ok=True)
            part = record_path.with_suffix(".tmp")
            part.write_text(json.dumps(records, indent=1, sort_keys=True))
            part.replace(record_path)
            posted += 1
        print(f"canvas: posted {posted} of {len(plan)} learners' changes")
        return 0 if posted == len(plan) else 1

    def post(self, assignment, submission, score, pages, most):
        from canvasapi.exceptions import ResourceDoesNotExist
        from canvasapi.upload import Uploader
        endpoint = f"courses/{self.course}/assignments/{assignment.id}/submissions/{submission.user_id}/comments/files"
        try:
            file_ids = []
            for page in pages:
                uploaded, answer = self.call(Uploader(submission._requester, endpoint, str(page)).start)
                if not uploaded:
                    raise LmsError(f"Canvas did not take the feedback page {page.name}: {answer}")
                file_ids.append(answer["id"])
            edit = {}
            if score is not None:
                edit["submission"] = {"posted_grade": score}
                if getattr(submission, "excused", False):
                    edit["submission"]["excuse"] = False
            if file_ids:
                shown = score if score is not None else _canvas_grade(submission)
                edit["comment"] = {"text_comment": f"Feedback on {self.assignment}: {shown} of {_points(most)} "
                                                   f"points; the attached page shows each check.",
                                   "file_ids": file_ids}
            self.call(submission.edit, **edit)
        except ResourceDoesNotExist:
            raise LmsError(f"Canvas has no submission of learner {submission.user_id} for this assignment any more "
                           f"(left the course?)") from None


def _message(error):
    message = getattr(error, "message", error)
    if isinstance(message, list):
        return "; ".join(str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in message)
    return str(message)


def _canvas_grade(submission):
    if getattr(submission, "excused", False):
        return "EX"
    score = getattr(submission, "entered_score", None)
    if score is None:
        score = getattr(submission, "score", None)
    return MISSING if score is None else _points(float(score))


def _name(submission):
    user = getattr(submission, "user", None) or {}
    return str(user.get("sortable_name") or user.get("name") or "")


def _order(learner):
    return (0, int(learner), "") if learner.isdigit() else (1, 0, learner)


def _digest(pages):
    digest = hashlib.sha256()
    for page in pages:
        digest.update(page.name.encode() + b"\0" + page.read_bytes() + b"\0")
    return digest.hexdigest()


def main(argv=None):
    app = CanvasSync()
    try:
        app.initialize(argv)
        if app.command == "pull":
            mine, _ = course_notebooks(app.root_path, app.assignment)
            if not mine:
                raise LmsError(f"no notebooks in release/{app.assignment}: run nbgrader generate_assignment "
                               f"{app.assignment} first")
            return app.pull()
        return app.push()
    except LmsError as error:
        print(f"canvas: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
