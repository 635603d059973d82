# nbgrader configuration for this course directory (the repository root).
# Only what differs from nbgrader's defaults is set here.
import os
import sys

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))
if COURSE_ROOT not in sys.path:  # the course's grader/ package, wherever nbgrader is started from
    sys.path.insert(0, COURSE_ROOT)
from grader.execute import GuardedExecute  # noqa: E402
from grader.feedback import HideHiddenTestCode  # noqa: E402
from grader.learner_code import ReadLearnerCode  # noqa: E402
from grader.lms import CanvasCollector, CanvasExtractor  # noqa: E402
from grader.report import RecordExport  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "pytorch-loss-course"
# An assignment's references.py (what the hidden checks compare with, the slips its messages name) is
# the grader's alone: nbgrader leaves it out of every copy it makes (release/, the learners' folders).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "references.py"]

# nbgrader's exchange: the folder that release_assignment, fetch_assignment, submit, collect,
# release_feedback and fetch_feedback (and the Formgrader's Release and Collect) go through.
# Here exchange/ in this course directory (git-ignored; `./course lab` makes it), for learners
# on this machine. On a JupyterHub, put the shared one here, the same that the learners'
# nbgrader_config.py names: c.Exchange.root = "/srv/nbgrader/exchange".
c.Exchange.root = os.path.join(COURSE_ROOT, "exchange")

# Per-cell time limit while autograding (nbgrader's default is 30 s). The course's longest
# graded cell is mnist_classifier's end-to-end test, two epochs of the learner's own network on
# MNIST: about 15 s with the reference network on 2 CPU cores. 120 s leaves room for a larger
# network or a slower machine, and still stops a cell that never ends. Other cells take seconds.
c.Execute.timeout = 120

# Autograding first reads each notebook's code, running nothing (grader/learner_code.py's
# ReadLearnerCode: tampering, the own-work rule, what of the learner's cells runs), then runs it through
# grader/execute.py's GuardedExecute instead of nbgrader's Execute: the kernel runs in a sandbox that cannot see the course folder (hidden tests,
# solutions, gradebook, other learners) or the network, a dead or stuck kernel is replaced and
# grading goes on, huge outputs are cut, and tampering with what the tests rely on fails the tests.
# The rest is nbgrader's own list.
c.Autograde.autograde_preprocessors = [ReadLearnerCode, GuardedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# No mount of the learner's sandbox may show the course folder (hidden tests, solutions, gradebook,
# other learners); the sandbox is an allowlist, so nothing else shows either.
c.SandboxedKernelManager.hidden_folders = [COURSE_ROOT]

# `nbgrader zip_collect` reads Canvas's "Download Submissions" zip with grader/lms.py's plugin:
# <name>[_LATE]_<user id>_<file id>_<file>.ipynb, the student id being the Canvas user id; the
# renames of Colab ("Copy of ..."), browsers (" (1)") and Canvas ("-1" on a resubmission) undone;
# a learner's latest upload graded; files it cannot grade skipped with a PROBLEM line.
c.ZipCollectApp.collector_plugin = CanvasCollector
# Unpacks only Canvas's own zip: an archive a learner handed in is never opened (it could hold a
# notebook named as another learner's); a broken entry or an unsafe path is skipped with a PROBLEM line.
c.ZipCollectApp.extractor_plugin = CanvasExtractor
# `./course canvas pull|push` (grader/canvas.py): Canvas's address and the course id (the number in the
# course's address). The API token is never set here: CANVAS_API_TOKEN, or --token-file outside the course.
# c.CanvasSync.url = "https://canvas.example.edu"
# c.CanvasSync.course = 12345

# `nbgrader export` writes nbgrader's grades.csv with one column more, grading_record: the record
# behind each score that ./course grade filed (files graded, commit, secret's fingerprint, lock, ...).
c.ExportApp.plugin_class = RecordExport

# Feedback says which hidden checks failed, and their messages, never their code (grader/feedback.py).
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestCode, CSSHTMLHeaderPreprocessor]
# A learner's outputs are shown in the feedback page as text, never as live HTML or scripts.
c.HTMLExporter.sanitize_html = True
