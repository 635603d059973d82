"""What the lessons teach agrees with what the assignments grade."""
import contextlib
import io
import re

import nbformat
import pytest

from conftest import LESSONS, ROOT, rel


def graded_answers():
    """{question text: right letter} of every multiple-choice question of the assignments' reference copies."""
    answers = {}
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            match = re.search(r'^(answer_\w+) = "([a-d])"$', cell.source, re.M)
            if match and cell.metadata.get("nbgrader", {}).get("solution"):
                question = re.search(r"\*\*(?:Question \d+\.\*\* )?(.+?\?)", nb.cells[index - 1].source).group(1)
                answers[question.strip("* ")] = match.group(2)
    return answers


def lesson_quizzes(path):
    """[(question, quiz cell source)] of a lesson's 'Check yourself' questions."""
    cells = nbformat.read(path, as_version=4).cells
    return [(re.search(r"\*\*(.+?\?)\*\*", cells[i - 1].source).group(1), cell.source)
            for i, cell in enumerate(cells) if "check_answer(my_answer" in cell.source]


def feedback(quiz_source, letter):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(quiz_source.replace('my_answer = ""', f"my_answer = {letter!r}"), {})
    return out.getvalue()


def test_the_assignments_questions_are_asked_in_the_lessons():
    assert len(graded_answers()) >= 2, "the assignments' multiple-choice questions were not found"
    asked = {question for path in LESSONS for question, _ in lesson_quizzes(path)}
    assert set(graded_answers()) <= asked, f"not asked in any lesson: {set(graded_answers()) - asked}"


@pytest.mark.parametrize("path", LESSONS, ids=rel)
def test_quiz_feedback_is_immediate_and_agrees_with_the_grading(path):
    answers = graded_answers()
    for question, source in lesson_quizzes(path):
        assert "Set your answer to one letter" in feedback(source, ""), "an empty answer asks for a letter"
        right = [letter for letter in "abcd" if feedback(source, letter).startswith("Right")]
        assert right == [answers[question]], f"{question!r}: the lesson accepts {right}, the assignment {answers[question]}"
        for letter in "abcd":
            said = feedback(source, letter)
            assert len(said.split(". ", 1)[1]) > 40, f"{question!r} ({letter}): explain the answer, not just right/wrong"
