# nbgrader configuration for this course directory (the repository root).
# Only what differs from nbgrader's defaults is set here.
c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "pytorch-loss-course"

# Per-cell time limit while autograding (nbgrader's default is 30 s). The course's longest
# graded cell is the MNIST module's end-to-end training test, planned at about a minute on
# 2 CPU cores; 120 s leaves room for a slow machine and still stops a cell that never ends.
# Module 1's cells each take under 2 s.
c.Execute.timeout = 120

# `nbgrader zip_collect`: file names as an LMS (Canvas, for example) names the notebooks that
# Colab learners download and upload: <login>_[late_]<number>_<number>_<notebook>.ipynb, such as
# "adalovelace_12345_67890_loss_functions.ipynb". Colab's "loss_functions (1).ipynb" style
# renames are undone by the ` (n)` that the pattern leaves out of the notebook name.
# nbgrader matches the pattern against the file's whole path, hence the leading ".*/".
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:late_)?\d+_\d+_(?P<file_id>[^/]+?)(?: \(\d+\))?\.ipynb$"
)
