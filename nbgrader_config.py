# nbgrader configuration for this course directory (the repository root).
# Only what differs from nbgrader's defaults is set here.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "pytorch-loss-course"

# Per-cell time limit while autograding (nbgrader's default is 30 s). The course's longest
# graded cell is mnist_classifier's end-to-end test, two epochs of the learner's own network on
# MNIST: about 15 s with the reference network on 2 CPU cores. 120 s leaves room for a larger
# network or a slower machine, and still stops a cell that never ends. Other cells take seconds.
c.Execute.timeout = 120

# `nbgrader zip_collect`: file names as an LMS (Canvas, for example) names the notebooks that
# Colab learners download and upload: <login>_[late_]<number>_<number>_<notebook>.ipynb, such as
# "adalovelace_12345_67890_loss_functions.ipynb". Colab's "loss_functions (1).ipynb" style
# renames are undone by the ` (n)` that the pattern leaves out of the notebook name.
# nbgrader matches the pattern against the file's whole path, hence the leading ".*/".
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:late_)?\d+_\d+_(?P<file_id>[^/]+?)(?: \(\d+\))?\.ipynb$"
)


class HideHiddenTestCode(ClearHiddenTests):
    """Feedback says which hidden checks failed, and their messages, but never shows their code.

    nbgrader's feedback shows the autograded notebook, where the hidden tests were put back. This
    cuts each hidden region out again, and cuts the traceback of an error in such a cell (which
    quotes the code line by line) down to its last line, "AssertionError: <the message>".
    """

    def preprocess_cell(self, cell, resources, cell_index):
        before = cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.source != before:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestCode, CSSHTMLHeaderPreprocessor]
