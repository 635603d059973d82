# nbgrader configuration for this course directory (the repository root).
# Only what differs from nbgrader's defaults is set here.
import os
import re
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, GetGrades,
                                    IgnorePattern, LimitOutput, SaveAutoGrades)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import grading  # noqa: E402 (tools/grading.py: sandbox, crash and cheat guards)
from grading import GuardedExecute  # noqa: E402

grading.COURSE_ROOTS.append(os.path.dirname(os.path.abspath(__file__)))  # hidden from learners' kernels

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "pytorch-loss-course"

# nbgrader's exchange: the folder that release_assignment, fetch_assignment, submit, collect,
# release_feedback and fetch_feedback (and the Formgrader's Release and Collect) go through.
# Here exchange/ in this course directory (git-ignored; `./course lab` makes it), for learners
# on this machine. On a JupyterHub, put the shared one here, the same that the learners'
# nbgrader_config.py names: c.Exchange.root = "/srv/nbgrader/exchange".
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")

# Per-cell time limit while autograding (nbgrader's default is 30 s). The course's longest
# graded cell is mnist_classifier's end-to-end test, two epochs of the learner's own network on
# MNIST: about 15 s with the reference network on 2 CPU cores. 120 s leaves room for a larger
# network or a slower machine, and still stops a cell that never ends. Other cells take seconds.
c.Execute.timeout = 120

# Autograding runs each notebook through tools/grading.py's GuardedExecute instead of nbgrader's
# Execute: the kernel runs in a sandbox that cannot see the course folder (hidden tests,
# solutions, gradebook, other learners) or the network, a dead or stuck kernel is replaced and
# grading goes on, huge outputs are cut, and tampering with what the tests rely on fails the tests.
# The rest is nbgrader's own list.
c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# `nbgrader zip_collect` reads Canvas's "Download Submissions" zip with tools/lms.py's plugin:
# <name>[_LATE]_<user id>_<file id>_<file>.ipynb, the student id being the Canvas user id; the
# renames of Colab ("Copy of ..."), browsers (" (1)") and Canvas ("-1" on a resubmission) undone;
# a learner's latest upload graded; files it cannot grade skipped with a PROBLEM line.
from lms import CanvasCollector, CanvasExtractor  # noqa: E402

c.ZipCollectApp.collector_plugin = CanvasCollector
# Unpacks only Canvas's own zip: an archive a learner handed in is never opened (it could hold a
# notebook named as another learner's); a broken entry or an unsafe path is skipped with a PROBLEM line.
c.ZipCollectApp.extractor_plugin = CanvasExtractor


class HideHiddenTestCode(ClearHiddenTests):
    """Feedback says which hidden checks failed, and their messages, but never shows their code.

    nbgrader's feedback shows the autograded notebook, where the hidden tests were put back. This
    cuts each hidden region out again, and cuts the traceback of an error in such a cell (which
    quotes the code line by line) down to its last line, "AssertionError: <the message>".
    A line of hidden test code that the learner's own code printed (it can read the cells that ran
    before it from the kernel) is cut from the outputs too.
    """

    def preprocess(self, nb, resources):
        hidden = "\n".join(region for cell in nb.cells for region in _HIDDEN.findall(cell.source))
        public = "\n".join(_HIDDEN.sub("", cell.source) for cell in nb.cells)
        self._secret = {line.strip() for line in hidden.splitlines()
                        if len(line.strip()) >= 12 and line.strip() not in public}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        before = cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.source != before:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        for output in cell.get("outputs", []) if self._secret else []:
            if "text" in output:
                output.text = self._scrub(output.text)
            for key, value in output.get("data", {}).items():
                if isinstance(value, str):
                    output.data[key] = self._scrub(value)
            if "traceback" in output:
                output.traceback = [self._scrub(line) for line in output.traceback]
        return cell, resources

    def _scrub(self, text):
        lines = text.split("\n")
        kept = [line for line in lines if not any(secret in line for secret in self._secret)]
        return text if len(kept) == len(lines) else "\n".join(kept + ["[hidden test code cut by the grader]"])


_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestCode, CSSHTMLHeaderPreprocessor]
# A learner's outputs are shown in the feedback page as text, never as live HTML or scripts.
c.HTMLExporter.sanitize_html = True
