"""Every assignment of the course's registry has its common mistakes (tests/mistakes/<assignment>.py),
which the end-to-end grading tests hand in: a new assignment without them fails here, naming the
file to write, not silently in no test."""
import types

import pytest

from grader.course import assignments
from mistakes import check, mistakes, problems, strays


@pytest.mark.parametrize("assignment", assignments())
def test_each_assignment_has_its_common_mistakes_and_their_feedback_messages(assignment):
    found = problems(assignment)
    assert not found, "\n".join(found)


def test_no_mistakes_file_names_an_assignment_the_course_lacks():
    assert not strays(), f"no assignment of the course is named as these files: {strays()}"


def test_a_missing_file_is_named():
    assert problems("new_module") == [
        "the assignment new_module has no common mistakes: write tests/mistakes/new_module.py, defining "
        "MISTAKES and FEEDBACK_MESSAGES as tests/mistakes/loss_functions.py does"]


def test_a_learner_without_a_feedback_message_is_named():
    real = mistakes("loss_functions")
    messages = {k: v for k, v in real.FEEDBACK_MESSAGES.items() if k != "detached"}
    found = check("loss_functions", types.SimpleNamespace(MISTAKES=real.MISTAKES, FEEDBACK_MESSAGES=messages))
    assert len(found) == 1 and "tests/mistakes/loss_functions.py: FEEDBACK_MESSAGES has no entry for detached" in found[0]
    wrong_ids = dict(real.MISTAKES, typo=({"mse_los_solution": "x = 1\n"}, {"test_mse_loss_basic"}))
    found = check("loss_functions", types.SimpleNamespace(MISTAKES=wrong_ids, FEEDBACK_MESSAGES=dict(messages, detached=None, typo=None)))
    assert found == ["tests/mistakes/loss_functions.py: typo replaces mse_los_solution, not solution cells of loss_functions"]
