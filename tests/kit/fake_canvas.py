"""A Canvas server for the tests, on 127.0.0.1 in a thread: the endpoints `./course canvas` uses
(grader/canvas.py, through canvasapi), answered with the shapes of Canvas's REST API documentation
(https://canvas.instructure.com/doc/api/): courses, assignments (search_term), submissions with
include[]=user and their attachments, file downloads, grading a submission with a comment, and the
three steps of a comment file upload (ask for an upload URL, post the file there unauthenticated,
follow the redirect to create_success). Lists are paged with Link headers. Errors as Canvas sends
them: an unknown token (401, WWW-Authenticate, "Invalid access token."), a rate limit (403 "Rate Limit
Exceeded", X-Rate-Limit-Remaining: 0), a resource that does not exist (404).

The state is plain data the tests read and change: `courses`, `assignments`, `users`,
`submissions` ({(assignment id, user id): submission}), `files`, `requests` (every request's method
and path), `rate_limited` (how many of the next API requests get the rate limit), `leave_after_listing`
(learners who leave the course between the listing of submissions and their grading: a 404 then)."""
import itertools
import json
import threading
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}


class FakeCanvas:
    def __init__(self, token="instructor-token", per_page=2):
        self.token, self.per_page = token, per_page
        self.courses, self.assignments, self.users, self.submissions, self.files = {}, {}, {}, {}, {}
        self.requests, self.rate_limited, self.lock = [], 0, threading.Lock()
        self.leave_after_listing = set()  # user ids whose enrolment ends once the submissions were listed
        self._ids = itertools.count(700000)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --------------------------------------------------------------------------- filling the course

    def add_course(self, course_id, name):
        self.courses[course_id] = {"id": course_id, "name": name, "course_code": name, "workflow_state": "available"}

    def add_assignment(self, course_id, assignment_id, name, points):
        self.assignments[assignment_id] = {"id": assignment_id, "course_id": course_id, "name": name,
                                           "points_possible": points, "grading_type": "points",
                                           "submission_types": ["online_upload"], "published": True}

    def add_learner(self, user_id, sortable_name):
        last, _, first = sortable_name.partition(", ")
        self.users[user_id] = {"id": user_id, "name": f"{first} {last}".strip(), "sortable_name": sortable_name,
                               "short_name": first or last}
        for assignment_id in self.assignments:
            self.submissions[(assignment_id, user_id)] = {
                "id": next(self._ids), "assignment_id": assignment_id, "user_id": user_id, "attempt": None,
                "body": None, "grade": None, "score": None, "entered_grade": None, "entered_score": None,
                "submission_type": None, "submitted_at": None, "graded_at": None, "grader_id": None,
                "workflow_state": "unsubmitted", "late": False, "excused": False, "missing": False,
                "late_policy_status": None, "points_deducted": None, "seconds_late": 0, "attachments": [],
                "submission_comments": [], "grade_matches_current_submission": True}

    def add_file(self, name, content, content_type="application/x-ipynb+json", file_id=None):
        file_id = file_id or next(self._ids)
        self.files[file_id] = {"id": file_id, "uuid": f"uuid{file_id}", "display_name": name, "filename": name,
                               "content-type": content_type, "size": len(content), "url": "", "_content": content}
        return file_id

    def hand_in(self, assignment_id, user_id, files=(), late=False, kind="online_upload"):
        """The learner's new attempt: `files` [(name, bytes, file id or None)], which replace the last attempt's."""
        sub = self.submissions[(assignment_id, user_id)]
        ids = [self.add_file(name, content, file_id=file_id) for name, content, file_id in files]
        sub.update(attempt=(sub["attempt"] or 0) + 1, submission_type=kind, workflow_state="submitted",
                   submitted_at="2026-11-20T23:59:00Z", late=late, seconds_late=3600 if late else 0,
                   _attachments=ids, url="https://colab.research.google.com/drive/x" if kind == "online_url" else None)

    def set_grade(self, assignment_id, user_id, score=None, excused=False):
        """A grade entered in Canvas by hand (SpeedGrader): not through the API."""
        self.submissions[(assignment_id, user_id)].update(
            score=score, entered_score=score, grade=None if score is None else f"{score:g}",
            entered_grade=None if score is None else f"{score:g}", excused=excused,
            workflow_state="graded" if score is not None or excused else "submitted")

    # ----------------------------------------------------------------------------------- rendering

    def file_json(self, file_id):
        data = {k: v for k, v in self.files[file_id].items() if not k.startswith("_")}
        data["url"] = f"{self.url}/files/{file_id}/download?download_frd=1&verifier=v{file_id}"
        return data

    def submission_json(self, sub, include_user):
        data = {k: v for k, v in sub.items() if not k.startswith("_")}
        data["attachments"] = [self.file_json(i) for i in sub.get("_attachments", [])]
        if include_user:
            data["user"] = self.users[sub["user_id"]]
        return data


def _handler(canvas):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body=b"", content_type="application/json; charset=utf-8", headers=()):
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def page(self, items, query):
            """One page of `items`, with Canvas's Link header (current, next, prev, first, last)."""
            per_page = int(query.get("per_page", [canvas.per_page])[0])
            number = int(query.get("page", ["1"])[0])
            last = max(1, -(-len(items) // per_page))
            base = f"{canvas.url}{urlparse(self.path).path}"
            rest = [(k, v) for k, values in query.items() if k not in ("page", "per_page") for v in values]

            def link(n, rel):
                return f'<{base}?{urlencode(rest + [("page", n), ("per_page", per_page)])}>; rel="{rel}"'

            links = [link(number, "current"), link(1, "first"), link(last, "last")]
            if number < last:
                links.append(link(number + 1, "next"))
            if number > 1:
                links.append(link(number - 1, "prev"))
            self.send(200, items[(number - 1) * per_page:number * per_page], headers=[("Link", ",".join(links))])

        def body(self):
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def handle_any(self, method):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            parts = url.path.strip("/").split("/")
            with canvas.lock:
                canvas.requests.append((method, url.path))
            data = self.body() if method in ("POST", "PUT") else b""
            if len(parts) == 3 and parts[0] == "files" and parts[2] == "download" and method == "GET":  # a download
                file = canvas.files.get(int(parts[1])) if parts[1].isdigit() else None
                if not file or file.get("_deleted"):
                    return self.send(404, NOT_FOUND)
                return self.send(200, file["_content"], file["content-type"])
            if parts[:1] == ["upload"] and method == "POST":  # step 2 of an upload: no token, to the upload_url
                return self.upload(parts, data)
            if parts[:2] != ["api", "v1"]:
                return self.send(404, NOT_FOUND)
            parts = parts[2:]
            if parts[:1] == ["files"] and parts[2:] == ["create_success"]:  # step 3: the redirect's target
                file_id = int(parts[1])
                if query.get("uuid") != [canvas.files[file_id]["uuid"]]:
                    return self.send(400, {"errors": [{"message": "invalid uuid"}]})
                return self.send(200, canvas.file_json(file_id))
            if self.headers.get("Authorization") != f"Bearer {canvas.token}":
                return self.send(401, {"errors": [{"message": "Invalid access token."}]},
                                 headers=[("WWW-Authenticate", 'Bearer realm="canvas-lms"')])
            with canvas.lock:
                limited = canvas.rate_limited > 0
                canvas.rate_limited -= limited
            if limited:
                return self.send(403, b"403 Forbidden (Rate Limit Exceeded)\n", "text/plain; charset=utf-8",
                                 headers=[("X-Rate-Limit-Remaining", "0.0"), ("X-Request-Cost", "30.5")])
            return self.api(method, parts, query, data)

        def api(self, method, parts, query, data):
            if len(parts) < 2 or parts[0] != "courses" or not parts[1].isdigit() or int(parts[1]) not in canvas.courses:
                return self.send(404, NOT_FOUND)
            course_id, rest = int(parts[1]), parts[2:]
            mine = {i: a for i, a in canvas.assignments.items() if a["course_id"] == course_id}
            if not rest and method == "GET":
                return self.send(200, canvas.courses[course_id])
            if rest == ["assignments"] and method == "GET":
                term = query.get("search_term", [""])[0].lower()
                return self.page([a for _, a in sorted(mine.items()) if term in a["name"].lower()], query)
            if len(rest) < 2 or rest[0] != "assignments" or not rest[1].isdigit() or int(rest[1]) not in mine:
                return self.send(404, NOT_FOUND)
            assignment_id, rest = int(rest[1]), rest[2:]
            if not rest and method == "GET":
                return self.send(200, mine[assignment_id])
            include_user = "user" in query.get("include[]", [])
            if rest == ["submissions"] and method == "GET":
                subs = [canvas.submission_json(s, include_user) for (a, _), s in sorted(canvas.submissions.items())
                        if a == assignment_id]
                for user_id in canvas.leave_after_listing:
                    canvas.submissions.pop((assignment_id, user_id), None)
                return self.page(subs, query)
            if len(rest) < 2 or rest[0] != "submissions" or not rest[1].isdigit() or \
                    (assignment_id, int(rest[1])) not in canvas.submissions:
                return self.send(404, NOT_FOUND)
            sub = canvas.submissions[(assignment_id, int(rest[1]))]
            if rest[2:] == ["comments", "files"] and method == "POST":  # step 1 of an upload
                form = parse_qs(data.decode())
                name = form["name"][0]
                token = next(canvas._ids)
                canvas.files[("pending", token)] = {"name": name, "size": int(form["size"][0])}
                return self.send(200, {"upload_url": f"{canvas.url}/upload/{token}",
                                       "upload_params": {"filename": name, "content_type": "text/html"},
                                       "file_param": "file"})
            if not rest[2:] and method == "PUT":
                return self.grade(sub, parse_qs(data.decode()))
            if not rest[2:] and method == "GET":
                return self.send(200, canvas.submission_json(sub, include_user))
            return self.send(404, NOT_FOUND)

        def upload(self, parts, data):
            pending = canvas.files.pop(("pending", int(parts[1])), None) if parts[1:2] and parts[1].isdigit() else None
            if pending is None:
                return self.send(400, {"errors": [{"message": "upload expired"}]})
            message = BytesParser(policy=email_policy).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + data)
            fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                      for part in message.iter_parts()}
            content = fields.get("file")
            if content is None or fields.get("filename", b"").decode() != pending["name"]:
                return self.send(400, {"errors": [{"message": "missing file or upload_params"}]})
            file_id = canvas.add_file(pending["name"], content, "text/html")
            return self.send(301, b"", headers=[
                ("Location", f"{canvas.url}/api/v1/files/{file_id}/create_success?uuid={canvas.files[file_id]['uuid']}")])

        def grade(self, sub, form):
            if "submission[posted_grade]" in form:
                score = float(form["submission[posted_grade]"][0])
                sub.update(score=score, entered_score=score, grade=f"{score:g}", entered_grade=f"{score:g}",
                           excused=False, workflow_state="graded")
            if form.get("submission[excuse]") == ["false"]:
                sub["excused"] = False
            if "comment[text_comment]" in form or "comment[file_ids][]" in form:
                ids = [int(i) for i in form.get("comment[file_ids][]", [])]
                if any(i not in canvas.files for i in ids):
                    return self.send(400, {"errors": [{"message": "unknown file id"}]})
                sub["submission_comments"].append({"id": next(canvas._ids), "author_id": 1,
                                                   "comment": form.get("comment[text_comment]", [""])[0],
                                                   "attachments": [canvas.file_json(i) for i in ids]})
            return self.send(200, canvas.submission_json(sub, False))

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PUT(self):
            self.handle_any("PUT")

    return Handler
