"""The course's student kit: what the assignments' notebooks share (their visible checks, the probes of
a training loop, and the own-work rule the grader applies), installed by an assignment's first cell
in Colab (from the student edition's repository, pinned to this version) and from requirements.txt
elsewhere. It holds no reference solution: nothing here computes a loss or an update rule."""
from .checks import VISIBLE_RESULTS, being_graded, learner_call, summary, visible_check
from .probes import RecordedLoss, RecordedOptimizer

__version__ = "1.3.0"
__all__ = ["VISIBLE_RESULTS", "being_graded", "learner_call", "summary", "visible_check",
           "RecordedLoss", "RecordedOptimizer"]
