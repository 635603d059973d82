"""What grading one notebook keeps besides its verdicts: the output budget of the learner's kernel and
the report for the class command. GuardedExecute (grader/execute.py) holds one of each per notebook."""
import json


class OutputBudget:
    """Bytes of output the graded notebook keeps: at most `cell_limit` per cell and `notebook_limit` in
    all; what would pass either is cut (counted in `cut`)."""

    def __init__(self, cell_limit, notebook_limit):
        self.cell_limit, self.notebook_limit = cell_limit, notebook_limit
        self.kept = self.cut = self.total = 0

    def new_cell(self):
        self.kept = self.cut = 0

    def over(self, size):
        """Whether `size` more bytes would pass the cell's or the notebook's limit (else they count as kept)."""
        if self.kept + size > self.cell_limit or self.total + size > self.notebook_limit:
            self.cut += size
            return True
        self.kept += size
        self.total += size
        return False

    def discard(self, size):
        """Bytes counted, never kept (widget messages)."""
        self.cut += size

    def note(self):
        """What the graded cell says where its output was cut, or None."""
        if not self.cut:
            return None
        return f"\n[the grader cut this cell's output here: {self.cut / 1e6:.1f} MB more were not kept]\n"

    def problem(self, cell):
        """The instructor's line for a cell whose output was cut, or None."""
        if not self.cut:
            return None
        return (f"cell {cell} sent back {(self.kept + self.cut) / 1e6:.0f} MB of output; only "
                f"{self.kept / 1e6:.0f} MB were kept (a cell keeps at most {self.cell_limit / 1e6:.0f} MB, "
                f"the notebook {self.notebook_limit / 1e6:.0f} MB)")


class NotebookReport:
    """One graded notebook's problems (lines for the instructor) and tampering, and its line of JSON in
    the class command's report file (`path`, none: not written): what the class command knows of this
    notebook comes from here, never from the log, which the learner's output could imitate."""

    def __init__(self, path, notebook, problems=(), tampering=()):
        self.path, self.notebook = path, notebook
        self.problems, self.tampering = list(problems), list(dict.fromkeys(tampering))
        self.cell_seconds = 0.0

    def problem(self, line):
        self.problems.append(line)

    def all_problems(self):
        """The problems, the tampering first (every test then scores 0)."""
        problems = list(self.problems)
        if self.tampering:
            more = f"; and {len(self.tampering) - 5} more" if len(self.tampering) > 5 else ""
            problems.insert(0, "changes what the tests rely on or reaches past its own code ("
                            + "; ".join(self.tampering[:5]) + more + "): every test scores 0")
        return problems

    def write(self, **entry):
        if self.path:
            with open(self.path, "a") as f:
                f.write(json.dumps({"notebook": self.notebook, **entry}) + "\n")

    def finish(self):
        """Write the notebook's line: its problems and seconds in cells; returns the problems."""
        problems = self.all_problems()
        self.write(problems=problems, cell_seconds=round(self.cell_seconds, 3))
        return problems
