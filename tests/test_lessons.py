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


def test_the_lessons_ask_their_own_questions_not_the_graded_ones():
    """A lesson's "Check yourself" prints the right letter when asked: it must not be the graded question."""
    assert len(graded_answers()) >= 2, "the assignments' multiple-choice questions were not found"
    asked = {question for path in LESSONS for question, _ in lesson_quizzes(path)}
    assert len(asked) >= 2, "the lessons' Check yourself questions were not found"
    assert not asked & set(graded_answers()), f"a lesson gives away a graded question: {asked & set(graded_answers())}"


# What each module teaches first: an assignment's question may use what its module and the ones
# before it taught, never what a later module teaches (the README's Modules table gives the order).
TAUGHT_LATER = {"loss_functions": ("Adam", "RMSprop", "momentum", "optimiz"),
                "optimizers": ("Conv2d", "convolution", "MaxPool", "MNIST")}


def test_an_assignment_asks_only_what_its_module_has_taught():
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for index, cell in enumerate(cells):
            if cell.metadata.get("nbgrader", {}).get("solution") and re.search(r"^answer_\w+ = ", cell.source, re.M):
                question = cells[index - 1].source
                for term in TAUGHT_LATER.get(path.parent.name, ()):
                    assert term not in question, f"{path.parent.name} asks about {term!r}, which a later module teaches"


@pytest.mark.parametrize("path", LESSONS, ids=rel)
def test_quiz_feedback_is_immediate_and_explains_every_letter(path):
    for question, source in lesson_quizzes(path):
        assert "Set your answer to one letter" in feedback(source, ""), "an empty answer asks for a letter"
        right = [letter for letter in "abcd" if feedback(source, letter).startswith("Right")]
        assert len(right) == 1, f"{question!r}: exactly one right letter, not {right}"
        for letter in "abcd":
            said = feedback(source, letter)
            assert len(said.split(". ", 1)[1]) > 40, f"{question!r} ({letter}): explain the answer, not just right/wrong"
