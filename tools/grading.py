"""What makes autograding safe with any submission, plugged into nbgrader by nbgrader_config.py.

`GuardedExecute` replaces nbgrader's `Execute` step. The learner's cells run in the learner's
kernel; the verdicts are decided outside it:

- test cells never run in the kernel. The judge (tools/judge.py) runs them here, in the grader's
  process, with the notebook's locked cells (restored from the gradebook by nbgrader) for helpers;
  they reach the learner's code only through `learner_call`, which sends inputs to the kernel and
  takes results back as data (tools/kernel_side.py). Hidden tests and expected values never enter
  the kernel; their random inputs are drawn from a seed of the course's secret and the learner's
  id. The judge writes each test cell's outputs (what it printed, and its failure): nothing the
  kernel prints, hooks, patches, raises or swallows can turn a failure into a pass;
- the kernel runs in a sandbox by allowlist (tools/sandbox.py): the Python environment, the data
  it needs (held-out test sets without their labels, tools/heldout.py) and an empty working
  folder, as an unprivileged user, with its memory, processes and cores capped by cgroups;
- calls into PyTorch's built-ins that the assignment asks the learner to write are found in the
  learner's code (tools/own_work.py): that function's checks score 0;
- a kernel that does not start is retried (the machine's fault, never the learner's); a dead or
  stuck kernel is replaced and grading goes on; everything the kernel sends back counts against
  `output_limit` per cell, metadata included;
- what went wrong is written on top of the graded notebook (so the learner's feedback says it)
  and as one line per notebook to the file named by $COURSE_GRADING_REPORT (for the instructor).
"""
import ast
import asyncio
import hashlib
import importlib.util
import json
import os
import re
import tempfile
import time
from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer, List, Unicode

import heldout
import kernel_side
from judge import Judge, LearnerError, error_name, error_text
from own_work import own_work_violations

from sandbox import (COURSE_ROOTS, HIDE_ENV, MEMORY_ENV, SandboxedKernelManager, default_memory,  # noqa: F401
                     sandbox_problem, sandbox_wanted)

NOTE_KEY = "grading_note"  # cell metadata key of the note the grader puts on top of a notebook
REPORT_ENV = "COURSE_GRADING_REPORT"

# Modules whose contents the tests rely on; rebinding anything in them is tampering.
PROTECTED_MODULES = ("builtins", "math", "torch", "torch.testing", "torch.nn", "torch.nn.functional",
                     "torch.optim", "torch.nn.modules.loss")



# ----------------------------------------------------------------------------- tampering

def _dotted(node):
    """'a.b.c' for the expression a.b.c, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def import_aliases(sources):
    """{name: module path} for the imports in `sources` (plus torch/builtins under their own names)."""
    aliases = {m: m for m in PROTECTED_MODULES if "." not in m}
    aliases["__builtins__"] = "builtins"
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def _trees(sources):
    for source in sources:
        tree = _parse(source)
        if tree is not None:
            yield tree


def _parse(source):
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)  # %magics and !commands to Python
    except Exception:
        pass
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _protected(path):
    return path is not None and any(path == m or path.startswith(m + ".") for m in PROTECTED_MODULES)


def _resolve(node, aliases):
    path = _dotted(node)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + ("." + rest if rest else "")


def tampering_in_code(source, aliases, locked_names=()):
    """What `source` (a learner's cell) does to what the tests rely on: a list of short phrases."""
    tree = _parse(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for t in _targets(target):
                if isinstance(t, ast.Attribute) and _protected(_resolve(t.value, aliases)):
                    found.append(f"replaces {_resolve(t, aliases)}")
                elif isinstance(t, ast.Subscript) and isinstance(t.value, (ast.Attribute, ast.Call)):
                    inner = t.value
                    if isinstance(inner, ast.Attribute) and inner.attr == "__dict__":
                        inner = inner.value
                    elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "vars" and inner.args:
                        inner = inner.args[0]
                    if _protected(_resolve(inner, aliases)):
                        found.append(f"rewrites the namespace of {_resolve(inner, aliases)}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args and _protected(_resolve(node.args[0], aliases)):
            found.append(f"calls {node.func.id} on {_resolve(node.args[0], aliases)}")
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and _protected(node.args[0].value) \
                and (_dotted(node.func) or "").split(".")[-1] in ("patch", "setattr"):
            found.append(f"patches {node.args[0].value}")
        if isinstance(node, ast.Name) and node.id == "__builtins__":
            found.append("uses __builtins__")
        if isinstance(node, ast.FunctionDef) and node.name == "__eq__" and node.body \
                and isinstance(node.body[-1], ast.Return) and isinstance(node.body[-1].value, ast.Constant) \
                and node.body[-1].value.value is True and len(node.body) <= 2:
            found.append("defines an __eq__ that says True to anything")
    # top-level rebinding of a name that a locked cell bound (a test helper, an imported function)
    for node in tree.body:
        names = []
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in getattr(node, "targets", None) or [node.target]:
                names += [t.id for t in ast.walk(target) if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        for name in names:
            if name in locked_names:
                found.append(f"redefines {name}, which the tests use")
    return list(dict.fromkeys(found))


def _targets(target):
    """The assigned expressions in `target` (unpacking tuples and lists, not attribute chains)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            yield from _targets(t)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)
    else:
        yield target


def locked_callables(sources):
    """Names the locked cells bind to imports, functions and classes: what the tests call."""
    names = set()
    for tree in _trees(sources):
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return names


# ----------------------------------------------------------------------------- execution

class KernelStartError(RuntimeError):
    """No kernel could be started: the machine's fault, never the learner's (no learner code ran yet)."""


class GuardedExecute(Execute):
    """nbgrader's Execute, with the verdicts decided outside the learner's process (see the module's docstring)."""

    output_limit = Integer(2_000_000, help="Bytes a learner's kernel may send back for one cell (outputs, "
                           "metadata, everything); the rest is cut.").tag(config=True)
    answer_limit = Integer(64_000_000, help="Bytes a learner's kernel may send back to one call of a check "
                           "(the data the check compares).").tag(config=True)
    secret_file = Unicode(".grading_secret", help="File with the course's grading secret (made when missing). The "
                          "hidden checks' inputs are drawn from it and the learner's id, so a learner cannot know "
                          "them and a re-grade draws the same. Relative to the folder grading starts in.").tag(config=True)
    held_out = List(Unicode(), ["MNIST"], help="Data sets in the data root whose test labels the learner's kernel "
                    "never sees (tools/heldout.py): its test images come shuffled and slightly perturbed, the "
                    "labels stay with the grader.").tag(config=True)
    start_attempts = Integer(3, help="Tries to start a kernel before grading gives up on the machine.").tag(config=True)
    startup_timeout = Integer(120, help="Seconds a kernel may take to start.").tag(config=True)
    store_widget_state = Bool(False, help="Widget state is the learner's output: not kept.").tag(config=True)
    # The kernel holds nothing worth a graceful exit, which waits for torch's teardown (1-2 s).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    def __init__(self, *args, **kwargs):
        if sandbox_wanted():
            problem = sandbox_problem()
            if problem:
                raise RuntimeError(problem)
            kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)
        self._secret = read_secret(os.path.abspath(self.secret_file))

    # --- the run as a whole

    def preprocess(self, nb, resources=None, km=None):
        self._problems = []
        self._tampering = []
        self._kept = self._cut = self._sent_back = 0
        info = (resources or {}).get("nbgrader", {})
        self._name = (resources or {}).get("unique_key") or "notebook"
        self._learner = f"{info.get('student', '')}/{info.get('assignment', '')}/{info.get('notebook', '')}"
        learner = [c.source for c in nb.cells if c.cell_type == "code" and _learner_cell(c)]
        locked = [c.source for c in nb.cells if c.cell_type == "code" and not _learner_cell(c)]
        aliases = import_aliases(locked + learner)
        watched = locked_callables(locked)
        self._own_work_cells = [(_cell_name(c, i), c.source) for i, c in enumerate(nb.cells)
                                if c.cell_type == "code" and _learner_cell(c)]
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and _learner_cell(cell):
                for what in tampering_in_code(cell.source, aliases, watched):
                    self._tamper(f"cell {_cell_name(cell, index)} {what}")
        helpers = [c.source for c in nb.cells if c.cell_type == "code" and not _learner_cell(c) and not _test_cell(c)]
        for what in imports_not_installed(self._own_work_cells):
            self._tamper(what)
        for what in rebinds_locked_names(self._own_work_cells, helpers):
            self._tamper(what)
        for reasons in own_work_violations(self._own_work_cells, {"the notebook": []}, anywhere=True).values():
            for what in reasons:
                self._tamper(what)
        self._own_work = None  # found once the helper cells have said what is the learner's own work
        self._cell_seconds = 0.0
        with tempfile.TemporaryDirectory(prefix="course-judge-") as views:
            self._data_mounts, judge_data = heldout.views(self.held_out, self._seed("data"), views)
            self._judge = Judge(self._request_from_thread)
            self._judge_env = {"COURSE_DATA_DIR": judge_data} if judge_data else {}
            nb, resources = super().preprocess(nb, resources, km)
        self._report(nb, resources)
        return nb, resources

    def _seed(self, what):
        digest = hashlib.sha256(f"{self._secret}\0{self._learner}\0{what}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    def _tamper(self, what):
        if what not in self._tampering:
            self._tampering.append(what)

    def _report(self, nb, resources):
        problems = list(self._problems)
        if self._tampering:
            problems.insert(0, "changes what the tests rely on or reaches past its own code ("
                            + "; ".join(self._tampering[:5]) + (f"; and {len(self._tampering) - 5} more"
                                                                if len(self._tampering) > 5 else "")
                            + "): every test scores 0")
        if problems:
            add_note(nb, problems)
        self._write_report(problems=problems, cell_seconds=round(self._cell_seconds, 3))
        for p in problems:
            self.log.warning("%s: %s", self._name, p)

    def _write_report(self, **entry):
        """One line of JSON for the class command ($COURSE_GRADING_REPORT): what it knows of this
        notebook comes from here, never from the log, which the learner's output could imitate."""
        path = os.environ.get(REPORT_ENV)
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({"notebook": self._name, **entry}) + "\n")

    # --- the kernel

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.data_mounts = list(self._data_mounts)
        return km

    async def async_start_new_kernel(self, **kwargs):
        await self._start_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        await self._start_kernel()
        return self.kc

    start_new_kernel = run_sync(async_start_new_kernel)  # nbclient's sync names call the async ones
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _start_kernel(self, **kwargs):
        """A started kernel with the grader's code in it, tried `start_attempts` times: a kernel
        that does not start is the machine's fault (load, a slow disk), never the learner's."""
        if self.kc is not None:
            return
        for attempt in range(1, self.start_attempts + 1):
            try:
                if self.km is None or not self.km.has_kernel:
                    self.km = self.km or self.create_kernel_manager()
                    await Execute.async_start_new_kernel(self, **kwargs)
                await Execute.async_start_new_kernel_client(self)
                content = await self._silent(kernel_side.install_code())
                self.log.info("kernel started: %s", getattr(self.km, "connection_file", ""))
                if content.get("status") != "ok":
                    raise RuntimeError(f"the grader's code could not be installed in the kernel: {content.get('evalue')}")
                return
            except Exception as e:
                self.log.warning("kernel start %d of %d failed: %s", attempt, self.start_attempts, e)
                last = e
                await self._discard_kernel()
                self.km = self.create_kernel_manager()
                await asyncio.sleep(2 * attempt)
        self._write_report(machine_failure=f"no kernel could be started in {self.start_attempts} tries ({last})")
        raise KernelStartError(f"no kernel could be started in {self.start_attempts} tries ({last})")

    async def _discard_kernel(self):
        try:
            await self._async_cleanup_kernel()
        except Exception:  # it is dead or stuck already
            pass
        self.km = self.kc = None

    async def _replace_kernel(self):
        await self._discard_kernel()
        await self._start_kernel()

    async def _silent(self, code, expressions=None, timeout=None):
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=expressions or {},
                                 allow_stdin=False)
        reply = await asyncio.wait_for(self._reply(msg_id), timeout or self.startup_timeout)
        return reply["content"]

    async def _reply(self, msg_id):
        while True:
            msg = await self.kc.shell_channel.get_msg()
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    # --- the judge's calls into the kernel

    def _request_from_thread(self, payload):
        """For the judge, which runs in a worker thread: one request to the kernel, on the event loop."""
        return asyncio.run_coroutine_threadsafe(self._request(payload), self._loop).result()

    async def _request(self, payload):
        """Send `payload` to the grader's code in the kernel; its JSON answer, or LearnerError."""
        if self.kc is None:
            raise LearnerError("KernelDied", "the learner's kernel was not running")
        msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                 user_expressions={"r": f"__course_grader__({payload!r})"})
        try:
            reply = await asyncio.wait_for(self._reply(msg_id), self.timeout)
        except asyncio.TimeoutError:
            await ensure_async(self.km.interrupt_kernel())
            try:
                await asyncio.wait_for(self._reply(msg_id), 15)
            except asyncio.TimeoutError:
                self._problems.append(f"the learner's code ran past the {self.timeout} s limit in a check and had "
                                      "to be killed; the cells after it ran in a fresh kernel")
                await self._replace_kernel()
            raise LearnerError("TimeoutError", f"your code ran past the {self.timeout} s time limit in this check")
        finally:
            self._sent_back += await self._drain_iopub()
        if not await ensure_async(self.km.is_alive()):
            self._problems.append("the kernel died while a check ran the learner's code; later cells ran in a fresh kernel")
            await self._replace_kernel()
            raise LearnerError("KernelDied", "the Python process running your code died in this check")
        result = reply["content"].get("user_expressions", {}).get("r", {})
        text = result.get("data", {}).get("text/plain", "") if result.get("status") == "ok" else ""
        if result.get("status") != "ok":
            self.log.warning("the grader's code in the kernel failed: %s", str(result)[:500])
        if len(text) > self.answer_limit:
            raise LearnerError("AnswerTooLarge", f"your code sent back {len(text) / 1e6:.0f} MB to one check; "
                               f"at most {self.answer_limit / 1e6:.0f} MB count")
        if not _ONE_STRING.fullmatch(text):  # a repr of the JSON string `serve` returns, nothing else
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data")
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise LearnerError("UnreadableAnswer", "the kernel's answer was not the grader's data") from None

    async def _drain_iopub(self):
        """Bytes of what the kernel printed or displayed during a check (thrown away, but counted)."""
        size = 0
        while self.kc is not None:
            try:
                msg = await self.kc.iopub_channel.get_msg(timeout=0)
            except Empty:
                break
            size += message_size(msg)
        return size

    # --- one cell

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        started = time.monotonic()
        try:
            if _test_cell(cell):
                return await self._judge_cell(cell, cell_index)
            cell = await self._kernel_cell(cell, cell_index, execution_count, store_history)
            if not _learner_cell(cell):  # a locked cell: the helpers and data the tests use, here too
                await self._keep_in_kernel(cell)
                await self._judge_locked(cell, cell_index)
            return cell
        finally:
            self._cell_seconds += time.monotonic() - started

    async def _keep_in_kernel(self, cell):
        """The kernel keeps what this locked cell defined, as it is now: the checks call the helpers
        they trust, whatever the learner's cells bind to those names later."""
        names = sorted(bound_names(cell.source))
        if names and self.kc is not None:
            try:
                await self._request(json.dumps({"op": "keep", "names": names}))
            except LearnerError:
                pass

    async def _judge_locked(self, cell, index):
        saved = {k: os.environ.get(k) for k in self._judge_env}
        os.environ.update(self._judge_env)
        try:
            _, error = await self._in_thread(self._judge.run, cell.source, None, False)
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        if error is not None:
            self._problems.append(f"the grader could not run locked cell {_cell_name(cell, index)} "
                                  f"({error_name(error)}: {error_text(error)[:200]}); tests that use it fail")

    async def _judge_cell(self, cell, index):
        """A test cell, run by the judge: its verdict and messages become the cell's outputs."""
        cell.outputs = []
        cell.execution_count = None
        self._sent_back = 0
        if self._own_work is None:
            self._own_work = own_work_violations(self._own_work_cells, self._judge.ns.get("BUILTIN_NAMES") or {},
                                                 anywhere=True)
            for name, reasons in self._own_work.items():
                self._problems.append(f"{name} is not the learner's own work ({'; '.join(reasons)}): "
                                      f"the checks of {name} score 0")
        printed, error = await self._in_thread(self._judge.run, cell.source, self._seed(_cell_name(cell, index)))
        if printed:
            cell.outputs.append(new_output("stream", name="stdout", text=printed[:self.output_limit]))
        used = [name for name in self._own_work if re.search(rf"\b{re.escape(name)}\b", cell.source)]
        if self._tampering:
            error = LearnerError("GradingIntegrityError", "the submission changes what the tests rely on or reaches "
                                 "past its own code (" + "; ".join(self._tampering[:3]) + "), so no test counts")
        elif error is None and used:
            error = LearnerError("NotOwnWork", f"{', '.join(used)} reaches PyTorch's built-in that it should "
                                 f"implement ({'; '.join(self._own_work[used[0]])}), so this check scores 0")
        if error is not None:
            cell.outputs.append(_error(error_name(error), error_text(error)))
        if self._sent_back > self.output_limit:
            self._problems.append(f"the learner's code printed {self._sent_back / 1e6:.0f} MB during the checks of "
                                  f"cell {_cell_name(cell, index)}; none of it was kept")
        return cell

    async def _in_thread(self, fn, *args):
        self._loop = asyncio.get_running_loop()
        self._sent_back = 0
        return await asyncio.to_thread(fn, *args)

    async def _kernel_cell(self, cell, cell_index, execution_count, store_history):
        """A learner's cell or a locked cell, run in the kernel as nbgrader would, with the guards."""
        name = _cell_name(cell, cell_index)
        self._kept = self._cut = 0
        try:
            await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            cell.outputs.append(_error("KernelDied", "the Python process running the notebook died in this cell "
                                       "(os._exit, a crash, or out of memory); the cells after it ran in a fresh one"))
            self._problems.append(f"the kernel died in cell {name}; later cells ran in a fresh kernel")
            await self._replace_kernel()
            return cell
        except CellTimeoutError:
            cell.outputs.append(_error("CellTimeoutError", f"this cell ran past the {self.timeout} s limit and did "
                                       "not stop when interrupted; it was killed, the cells after it ran in a fresh kernel"))
            self._problems.append(f"cell {name} ran past the {self.timeout} s limit and had to be killed")
            await self._replace_kernel()
            return cell
        if self._cut:
            cell.outputs.append(new_output("stream", name="stdout", text=(
                f"\n[the grader cut this cell's output here: {self._cut / 1e6:.1f} MB more were not kept]\n")))
            self._problems.append(f"cell {name} sent back {(self._kept + self._cut) / 1e6:.0f} MB of output; "
                                  f"only the first {self.output_limit / 1e6:.0f} MB were kept")
        for out in cell.outputs:
            if out.output_type != "error":
                continue
            if out.ename == "CellTimeoutError":
                self._problems.append(f"cell {name} ran past the {self.timeout} s limit and was stopped")
            elif out.ename == "SystemExit":
                self._problems.append(f"cell {name} called sys.exit(); grading went on with the next cell")
            elif out.ename == "StdinNotImplementedError":
                self._problems.append(f"cell {name} asked for input(), which grading cannot answer")
            elif _learner_cell(cell) and out.ename not in ("NotImplementedError", "KeyboardInterrupt"):
                self._problems.append(f"cell {name} raised {out.ename}: {str(out.evalue)[:120]}")
        return cell

    def output(self, outs, msg, display_id, cell_index):
        size = message_size(msg)
        if self._kept + size > self.output_limit:
            self._cut += size
            if msg["msg_type"] != "error":
                return None
            content = msg["content"]  # an error still counts (it decides nothing now), but cut to its name
            msg = dict(msg, content=dict(ename=str(content.get("ename", "Error"))[:100],
                                         evalue=str(content.get("evalue", ""))[:1000], traceback=[]))
        else:
            self._kept += size
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """A display updated again (`display_id`): what it carries counts against the limit too."""
        size = message_size(msg)
        if self._kept + size > self.output_limit:
            self._cut += size
            return None
        self._kept += size
        return super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages are counted, never kept: grading needs no widget state."""
        self._cut += message_size(msg)

    execute_cell = run_sync(async_execute_cell)


_ONE_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", re.S)


def bound_names(source):
    """The names a cell binds at its top level (defs, classes, assignments, imports)."""
    tree = _parse(source)
    if tree is None:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def imports_not_installed(learner_cells):
    """Where the learner's code imports a module the grader's environment does not have: a module
    the learner's code writes at run time, whose code no check reads."""
    found = []
    for cell_name, source in learner_cells:
        tree = _parse(source)
        for node in ast.walk(tree) if tree else []:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else ["."] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                root = name.split(".")[0]
                if root == "" or root != "." and importlib.util.find_spec(root) is not None:
                    continue
                found.append(f"cell {cell_name} imports {name}, which is not installed where it is graded")
    return list(dict.fromkeys(found))


def rebinds_locked_names(learner_cells, locked_sources):
    """Where the learner's code binds, in any form, a function, class or import of the locked cells
    (what the checks call) or one of the grader's names: phrases for the instructor. Importing
    again what a locked cell imported under the same name is fine."""
    imports, protected = {}, {"learner_call", "__course_grader__", "get_ipython", "__builtins__"}
    for source in locked_sources:
        tree = _parse(source)
        for node in tree.body if tree else []:
            if isinstance(node, ast.Import):
                for a in node.names:
                    imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    imports[a.asname or a.name] = f"{node.module}.{a.name}"
        protected |= {n.name for n in (tree.body if tree else [])
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    protected |= set(imports) | {"BUILTIN_NAMES"}
    found = []
    for cell_name, source in learner_cells:
        tree = _parse(source)
        if tree is None:
            continue
        for name, node in _bindings(tree):
            if name not in protected:
                continue
            if isinstance(node, ast.alias) and imports.get(name) == node.name_path:
                continue
            found.append(f"cell {cell_name} binds {name}, which the checks rely on")
    return list(dict.fromkeys(found))


def _bindings(tree):
    """(name, node) for every binding of a module-level name in `tree`: assignments of all kinds,
    loop and with targets, walrus, except and match captures, imports, defs and classes, del, and
    names a function declares global."""
    def walk(node, declared):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if not isinstance(node, ast.Lambda) and not declared.get("local"):
                yield node.name, node
            inner = {n for sub in ast.walk(node) if isinstance(sub, (ast.Global, ast.Nonlocal)) for n in sub.names}
            for child in ast.iter_child_nodes(node):
                yield from walk(child, {"local": True, "global": inner})
            return
        local = declared.get("local")
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if not local or node.id in declared.get("global", ()):
                yield node.id, node
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not local:
            for a in node.names:
                a.name_path = (a.name if a.asname or isinstance(node, ast.Import) and "." not in a.name
                               else a.name.split(".")[0]) if isinstance(node, ast.Import) else f"{node.module}.{a.name}"
                yield (a.asname or a.name.split(".")[0]), a
        elif isinstance(node, ast.ExceptHandler) and node.name and not local:
            yield node.name, node
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name and not local:
            yield node.name, node
        for child in ast.iter_child_nodes(node):
            yield from walk(child, declared)
    yield from walk(tree, {})


def message_size(msg):
    """Bytes of everything a kernel's message carries back: text, data, metadata, transient, buffers."""
    content = msg.get("content", {})
    try:
        size = len(json.dumps(content, default=str))
    except (ValueError, TypeError, RecursionError):
        size = len(str(content))
    return size + len(json.dumps(msg.get("metadata", {}), default=str)) + sum(len(b) for b in msg.get("buffers", []) or [])


def read_secret(path):
    """The course's grading secret, made (random, readable by its owner only) when missing."""
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        secret = os.urandom(32).hex()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another grading process made it first
            return read_secret(path)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
        return secret


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _learner_cell(cell):
    """A cell whose code the learner wrote: a solution cell, or a cell of their own."""
    meta = _nbgrader(cell)
    return not meta.get("locked") and not (meta.get("grade") and not meta.get("solution"))


def _test_cell(cell):
    meta = _nbgrader(cell)
    return bool(meta.get("grade") and not meta.get("solution"))


def _cell_name(cell, index):
    return f"'{_nbgrader(cell)['grade_id']}'" if _nbgrader(cell).get("grade_id") else f"{index + 1}"


def add_note(nb, problems, intro="The grader found problems in this submission:"):
    """Put `problems` (sentences) in a note on top of `nb`, where the learner's feedback shows it."""
    cells = [c for c in nb.cells[:1] if c.metadata.get(NOTE_KEY)]
    if cells:
        note = cells[0]
    else:
        note = new_markdown_cell("**Grader's note.** " + intro + "\n", metadata={NOTE_KEY: True})
        nb.cells.insert(0, note)
    note.source += "".join("\n- " + re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", " ", p) for p in problems)
    return nb
