"""The feedback plug-in: what `nbgrader generate_feedback` shows a learner of the hidden tests.

nbgrader's feedback shows the autograded notebook, where the hidden tests were put back.
`HideHiddenTestCode` (in nbgrader_config.py's GenerateFeedback.preprocessors) cuts each hidden
region out again, and cuts the traceback of an error in such a cell (which quotes the code line
by line) down to its last line, "AssertionError: <the message>". A line of hidden test code that
the learner's own code printed (it can read the cells that ran before it from the kernel) is cut
from the outputs too. The learner still reads which hidden checks failed, and their messages.
"""
from nbgrader.preprocessors import ClearHiddenTests

from .notebook import secret_lines


class HideHiddenTestCode(ClearHiddenTests):
    """Feedback says which hidden checks failed, and their messages, but never shows their code."""

    def preprocess(self, nb, resources):
        self._secret = secret_lines([cell.source for cell in nb.cells])
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
