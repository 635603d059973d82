"""The trusted side of grading: test cells run here, in the grader's own Python process, never in
the learner's kernel.

A `Judge` holds a namespace like a notebook's. It runs the notebook's locked cells (the helpers,
the data, restored from the gradebook by nbgrader) and its test cells (hidden tests included).
A name that a test uses and the judge does not define is looked up in the learner's kernel: a
value (a string, a number, a tensor) comes over as data; a function or class stays there and is
bound here to a `LearnerCode` handle. Calling it, or `learner_call(probe, ...)` with a probe from
the helper cells, sends the arguments to the kernel as data and returns the result as data
(grader/kernel_side.py). Every comparison runs here, on that data, with inputs drawn from a seed
that the learner cannot know: nothing the learner's process prints, patches, raises or swallows
can turn a failed check into a passed one, and no line of a hidden test reaches it.
"""
import ast
import builtins
import contextlib
import io
import json
import random
import types

from coursekit.checks import judging
from coursekit.reading import bound_anywhere, python_text

from . import kernel_side


class LearnerError(Exception):
    """The learner's code raised `ename` (or could not be reached); the check fails with it."""

    def __init__(self, ename, evalue):
        self.ename, self.evalue = str(ename)[:100], str(evalue)[:2000]
        super().__init__(f"{self.ename}: {self.evalue}")


class LearnerCode(kernel_side.LearnerName):
    """A function or class of the learner's, which stays in the learner's kernel."""

    def __init__(self, name, judge):
        super().__init__(name)
        self.__name__ = self.__qualname__ = name
        self._judge = judge

    def __call__(self, *args, **kwargs):
        return self._judge.learner_call(self, *args, **kwargs)

    def __repr__(self):
        return f"<the learner's {self.name}>"


class Judge:
    """Runs locked and test cells in a namespace of its own; reaches the kernel through `request`,
    a function that sends a JSON request to the kernel and returns its JSON answer (or raises
    LearnerError when the kernel could not answer)."""

    def __init__(self, request):
        self._request = request
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.ns["learner_call"] = self.learner_call
        self._learner_names = set()

    # --- reaching the learner's kernel

    def learner_call(self, f, *args, **kwargs):
        """f(*args, **kwargs) run in the learner's kernel, `f` a learner's function or class, or a
        helper of the locked cells (the kernel ran the same cell); arguments and result as data."""
        name = getattr(f, "__name__", None)
        if not isinstance(f, LearnerCode) and self.ns.get(name) is not f:
            raise TypeError(f"learner_call: {f!r} is neither the learner's code nor a helper of the locked cells")
        request = {"op": "call", "name": name, "args": self._encode(list(args)), "kwargs": self._encode(kwargs)}
        return self._decode(self._ask(request))

    def _encode(self, value):
        def named(v):
            if isinstance(v, kernel_side.LearnerName):
                return kernel_side.LearnerName(v.name)
            if isinstance(v, (types.FunctionType, type)) and self.ns.get(v.__name__) is v:
                return kernel_side.LearnerName(v.__name__)  # a helper the kernel defined too
            if type(v) in (list, tuple):
                return type(v)(named(x) for x in v)
            if type(v) is dict:
                return {k: named(x) for k, x in v.items()}
            return v
        return kernel_side.encode(named(value))

    def _decode(self, data):
        try:
            return kernel_side.decode(data, learner=lambda name: LearnerCode(name, self))
        except (ValueError, TypeError, KeyError) as e:
            raise LearnerError("UnreadableAnswer", f"the kernel's answer could not be read as data ({e})") from None

    def _ask(self, request):
        answer = self._request(json.dumps(request))
        try:
            answer = json.loads(answer)
        except ValueError:
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data") from None
        if type(answer) is not dict:
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data")
        if "error" in answer and type(answer["error"]) is list and len(answer["error"]) == 2:
            raise LearnerError(*answer["error"])
        if "ok" not in answer:
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data")
        return answer["ok"]

    def _bind_learner_names(self, tree):
        """Bind each name `tree` reads but neither defines nor the namespace has, from the kernel."""
        for name in self._learner_names:
            self.ns.pop(name, None)
        self._learner_names = set()
        stored = bound_anywhere(tree)
        wanted = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                        - stored - set(self.ns) - set(dir(builtins)))
        if not wanted:
            return
        found = self._ask({"op": "resolve", "names": wanted})
        if type(found) is not dict:
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data")
        graded = self.ns.get("OWN_WORK") if type(self.ns.get("OWN_WORK")) is dict else {}
        for name in wanted:
            entry = found.get(name)
            if type(entry) is not dict or entry.get("kind") == "missing":
                continue
            if name in graded and entry.get("kind") != "callable":  # (round forty-seven: `MySGD = "SGD"`)
                kind = type(self._decode(entry.get("value"))).__name__
                raise LearnerError("NotYourCode", f"{name} must be a function or class your cells define, "
                                   f"not a value (a {kind})")
            self.ns[name] = (LearnerCode(name, self) if entry.get("kind") == "callable"
                             else self._decode(entry.get("value")))
            self._learner_names.add(name)

    # --- running cells

    def run(self, source, seed=None, test=True):
        """Run a cell's code here. Returns (what it printed, the exception that failed it or None).
        Only a test cell (`test`) reads names from the learner's kernel: a locked cell, which defines
        the helpers the tests trust, takes nothing from it."""
        printed = io.StringIO()
        try:
            tree = ast.parse(python_text(source))  # (a locked cell may hold IPython's syntax: %pip)
            if test:
                self._bind_learner_names(tree)
            if seed is not None:
                _seed_everything(seed)
            with contextlib.redirect_stdout(printed), judging():  # being_graded(): a failed check fails its cell
                exec(compile(tree, "<test>", "exec"), self.ns)
        except Exception as e:  # the check failed (or the learner's code raised): the verdict
            return printed.getvalue(), e
        finally:
            self.ns["learner_call"] = self.learner_call  # the helper cells import the learner's own
        return printed.getvalue(), None


def _seed_everything(seed):
    import numpy
    import torch
    random.seed(seed)
    numpy.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def error_name(error):
    """What a failed check's error is called in the feedback."""
    return error.ename if isinstance(error, LearnerError) else type(error).__name__


def error_text(error):
    return error.evalue if isinstance(error, LearnerError) else str(error)
