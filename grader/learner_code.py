"""What is decided from a learner's code alone, before any of it runs: an nbgrader preprocessor of its
own, chained before GuardedExecute in nbgrader_config.py (`c.Autograde.autograde_preprocessors`).

`ReadLearnerCode` reads the notebook's cells (through the student kit's coursekit/reading.py, the one
parse every rule shares) and leaves its findings in `resources["learner_code"]`, a `CodeFindings`:
- `tampering`: what the learner's code does to what the checks rely on (grader/tamper.py): every
  check then scores 0;
- `own_work`: {graded name: reasons} for each graded function that uses what its part's OWN_WORK list
  does not allow (student-kit/coursekit/own_work.py): its checks score 0;
- `problems`: the lines for the instructor that these make, and large data carried in the code;
- `run_sources`: {cell name: the source that runs when graded}: only the code a graded function or an
  answer needs and that passed its list (with `checked_code_only` off, all of it), its reads of the
  learner's own attribute names guarded; None for a notebook without OWN_WORK (every cell as written).
GuardedExecute (grader/execute.py) then runs the kernel and the judge on these findings.
"""
from dataclasses import dataclass, field

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from coursekit.own_work import embedded_data, notebook_plan, own_work_lists

from .course import references
from .notebook import code_cells, is_learner_cell, is_test_cell
from .tamper import (import_aliases, imports_not_installed, locked_callables, protected_modules,
                     rebinds_locked_names, tampering_in_code)

KEY = "learner_code"  # where the findings are in nbgrader's resources


@dataclass(frozen=True)
class CodeFindings:
    tampering: tuple = ()
    own_work: dict = field(default_factory=dict)
    problems: tuple = ()
    run_sources: dict = None


def read_notebook(nb, checked_code_only=True, judged=()):
    """The findings (`CodeFindings`) for the notebook `nb`, running nothing; `judged`, the sources the judge runs
    besides the notebook's cells (the assignment's references.py): names they bind are no learner's answers."""
    learner_cells = code_cells(nb, is_learner_cell)  # [(cell name, source)], the names quoted as own_work reads them
    learner = [source for _, source in learner_cells]
    locked = [c.source for c in nb.cells if c.cell_type == "code" and not is_learner_cell(c)]
    helpers = [source for _, source in code_cells(nb, lambda c: not is_learner_cell(c) and not is_test_cell(c))]
    tests = [source for _, source in code_cells(nb, is_test_cell)]

    # What each graded function may use, and what of the learner's cells runs: only the code a graded
    # function or an answer needs, once it has passed that part's list
    named = [(name.strip("'"), source) for name, source in learner_cells]
    ran = {}  # (the statements that run, as the learner wrote them: what the tampering rules read)
    left_out = {}  # (statements that change what a graded name reads, left out of its code: named to the instructor)
    own_work, run_sources = notebook_plan(named, locked, tests, whole=not checked_code_only, judged=judged,
                                          unguarded=ran, notes=left_out)
    if not own_work_lists(locked):
        run_sources = None  # every learner cell runs whole, as written

    # What the learner's code does to what the checks rely on (grader/tamper.py), in the code that runs when graded:
    # there it costs every check its points. The same in code that does not run (a scratch cell's
    # `torch.backends.cudnn.deterministic = True`, `def check_loss`, `import torch.optim`: rounds forty-eight and
    # forty-nine saw an honest line cost a whole notebook) is only named to the instructor.
    protected = protected_modules(locked)  # what the locked and test cells import
    aliases = import_aliases(locked + learner, protected)
    watched = locked_callables(locked)

    def tampering_in(cells):
        found = [f"cell {name} {what}" for name, source in cells
                 for what in tampering_in_code(source, aliases, protected, watched)]
        return list(dict.fromkeys(found + imports_not_installed(cells) + rebinds_locked_names(cells, helpers)))
    ran = learner_cells if run_sources is None else [(name, ran.get(name.strip("'"), "")) for name, _ in learner_cells]
    tampering = tampering_in(ran)
    problems = [f"{what}, in code that does not run when graded (no score changes for it)"
                for what in tampering_in(learner_cells) if what not in tampering]
    problems += [f"{name} uses what its part does not allow ({'; '.join(reasons)}): the checks of {name} score 0"
                 for name, reasons in own_work.items()]
    problems += list(dict.fromkeys(note for notes in left_out.values() for note in notes))
    problems += embedded_data(named)
    return CodeFindings(tuple(dict.fromkeys(tampering)), own_work, tuple(problems), run_sources)


class ReadLearnerCode(NbGraderPreprocessor):
    """Reads the learner's code, running nothing, and leaves what it found in the resources for
    GuardedExecute (see the module's docstring)."""

    checked_code_only = Bool(True, help="Run in the learner's kernel only the code that a graded function or an "
                             "answer needs and that passed its part's OWN_WORK list (student-kit/coursekit/own_work.py); "
                             "the rest of each learner cell (scratch cells, magics) does not run. Off: every learner "
                             "statement runs, as nbgrader runs it, the checked ones guarded: for testing the sandbox "
                             "and the other guards, not for a class (scratch code then runs unchecked and can change "
                             "what a graded function reads). A notebook without OWN_WORK runs whole.").tag(config=True)

    def preprocess(self, nb, resources):
        resources = dict(resources or {})
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        judged = [references(assignment, CourseDirectory(config=self.config).root)] if assignment else []
        resources[KEY] = read_notebook(nb, self.checked_code_only, judged)
        return nb, resources
