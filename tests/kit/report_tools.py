"""The class report (grader/report.py) read back and checked against the gradebook, independently of
how the report computes it: the scores straight from nbgrader's Gradebook, the correlations with numpy."""
import csv
import json
from pathlib import Path

import numpy
from bs4 import BeautifulSoup


def gradebook_class(db_url, assignment):
    """({student: (score, max_score)}, {check: points}, {student: {check: score}}) from the gradebook:
    the checks are the assignment's autograded code cells."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        entry = gb.find_assignment(assignment)
        checks = {c.name: c.max_score for nb in entry.notebooks for c in nb.grade_cells if c.cell_type == "code"}
        totals, cells = {}, {}
        for sub in gb.assignment_submissions(assignment):
            totals[sub.student_id] = (sub.score, sub.max_score)
            cells[sub.student_id] = {g.name: g.score or 0.0 for nb in sub.notebooks for g in nb.grades}
    return totals, checks, cells


def report_csv(course, assignment):
    """{table: {name: row}} of reports/<assignment>/report.csv."""
    tables = {}
    with open(Path(course) / "reports" / assignment / "report.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            tables.setdefault(row["table"], {})[row["name"]] = row
    return tables


def expected_checks(totals, checks, cells):
    """{check: (passed, learners, pass rate, mean, point-biserial r or None)} computed from the gradebook
    (r among the learners with some autograded point, as the report says)."""
    students = sorted(totals)
    tried = [s for s in students if sum(v for c, v in cells[s].items() if c in checks) > 0]
    found = {}
    for check, points in checks.items():
        x = numpy.array([cells[s].get(check, 0.0) / points for s in students])
        xt = numpy.array([cells[s].get(check, 0.0) / points for s in tried])
        rest = numpy.array([sum(v for c, v in cells[s].items() if c in checks and c != check) for s in tried])
        r = None if len(tried) < 2 or xt.std() == 0 or rest.std() == 0 else float(numpy.corrcoef(xt, rest)[0, 1])
        passed = int((x >= 1).sum())
        found[check] = (passed, len(students), passed / len(students), float(x.mean() * points), r)
    return found


def assert_csv_matches_gradebook(course, assignment, db_url=None):
    """Every number of the report's CSV is the gradebook's: each learner's score and maximum, and each
    check's points, passes, pass rate, mean score and discrimination. Returns the CSV's tables."""
    db_url = db_url or f"sqlite:///{Path(course) / 'gradebook.db'}"
    totals, checks, cells = gradebook_class(db_url, assignment)
    tables = report_csv(course, assignment)
    graded = {s: row for s, row in tables["learner"].items() if row["graded"] == "True"}
    assert set(graded) == set(totals), f"the report's graded learners {sorted(graded)} != the gradebook's"
    for student, (score, max_score) in totals.items():
        assert float(graded[student]["score"]) == score and float(graded[student]["max_score"]) == max_score, student
    assert set(tables["check"]) == set(checks), "the report's checks are not the gradebook's"
    for check, (passed, n, rate, mean, r) in expected_checks(totals, checks, cells).items():
        row = tables["check"][check]
        assert float(row["max_score"]) == checks[check], check
        assert (int(row["passed"]), int(row["learners"])) == (passed, n), check
        assert abs(float(row["pass_rate"]) - rate) < 1e-9 and abs(float(row["mean_score"]) - mean) < 1e-9, check
        if r is None:
            assert row["discrimination"] == "", check
        else:
            assert abs(float(row["discrimination"]) - r) < 1e-9, check
        if rate == 1:
            assert "everybody passes" in row["flags"], check
        elif rate == 0:
            assert "nobody passes" in row["flags"], check
        else:
            d = float(row["upper_lower"]) if row["upper_lower"] else None
            assert d is None or -1 <= d <= 1, check
            assert ("likely broken" in row["flags"]) == (r is not None and d is not None and r < 0 and d < 0), check
    return tables


def page_tables(dom):
    """{table id: [row of cell texts]} of the report page's DOM (as a browser rendered it)."""
    soup = BeautifulSoup(dom, "html.parser")
    return {t["id"]: [[td.get_text() for td in tr.find_all("td")] for tr in t.find("tbody").find_all("tr")]
            for t in soup.find_all("table")}


def assert_page_matches_gradebook(dom, db_url, assignment):
    """The page's learner and check tables show the gradebook's numbers (to the page's 2 decimals)."""
    totals, checks, cells = gradebook_class(db_url, assignment)
    tables = page_tables(dom)
    shown = {row[0]: row for row in tables["learners"] if row[3] == "yes"}
    assert set(shown) == set(totals)
    for student, (score, max_score) in totals.items():
        assert float(shown[student][1]) == score and float(shown[student][2]) == max_score, student
    rows = {row[0]: row for row in tables["checks"]}
    assert set(rows) == set(checks)
    for check, (passed, n, rate, mean, r) in expected_checks(totals, checks, cells).items():
        row = rows[check]
        assert float(row[1]) == checks[check] and row[2] == f"{passed}/{n}", (check, row)
        assert abs(float(row[3]) - rate) <= 0.005 and abs(float(row[4]) - mean) <= 0.005, (check, row)
        assert (row[5] == "") if r is None else abs(float(row[5]) - r) <= 0.005, (check, row)
    return tables


def records(course, assignment, students):
    """{student: the record ./course grade kept for them}."""
    return {s: json.loads((Path(course) / ".grading-state" / assignment / f"{s}.json").read_text()).get("record")
            for s in students}
