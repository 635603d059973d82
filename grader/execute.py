"""What makes autograding safe with any submission, plugged into nbgrader by nbgrader_config.py.

`GuardedExecute` replaces nbgrader's `Execute` step. The learner's cells run in the learner's
kernel; the verdicts are decided outside it:

- test cells never run in the kernel. The judge (grader/judge.py) runs them here, in the grader's
  process, with the notebook's locked cells (restored from the gradebook by nbgrader) for helpers;
  they reach the learner's code only through `learner_call`, which sends inputs to the kernel and
  takes results back as data (grader/kernel_side.py). Hidden tests and expected values never enter
  the kernel; their random inputs are drawn from a seed of the course's secret and the learner's
  id. The judge writes each test cell's outputs (what it printed, and its failure): nothing the
  kernel prints, hooks, patches, raises or swallows can turn a failure into a pass;
- the kernel runs in a sandbox by allowlist (grader/sandbox.py): the Python environment, the data
  it needs (held-out test sets without their labels, grader/heldout.py) and an empty working
  folder, as an unprivileged user, with its memory, processes and cores capped by cgroups;
- each graded function's code may use only what its part lists (`OWN_WORK` in the helper cell,
  student-kit/coursekit/own_work.py): a function that uses anything else scores 0 on its checks. Only the code
  that a graded function or an answer needs, and that passed its list, runs in the kernel: a
  learner's scratch cells are not run when graded;
- a kernel that does not start is retried (the machine's fault, never the learner's); a dead or
  stuck kernel is replaced and grading goes on; everything the kernel sends back counts against
  `output_limit` per cell, metadata included;
- what went wrong is written on top of the graded notebook (so the learner's feedback says it)
  and as one line of JSON per notebook to `report_file` (for the class command, grader/grade.py).
"""
import ast
import asyncio
import hashlib
import json
import os
import re
import tempfile
import time
from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer, List, Unicode, default

from . import heldout, kernel_side
from .course import REFERENCES, references
from .judge import Judge, LearnerError, error_name, error_text
from .notebook import add_note, cell_name, is_learner_cell, is_test_cell
import coursekit
from coursekit.reading import module_level_names, parse
from .learner_code import KEY as FINDINGS
from .outcome import NotebookReport, OutputBudget
from .sandbox import SandboxedKernelManager, sandbox_problem



class KernelStartError(RuntimeError):
    """No kernel could be started: the machine's fault, never the learner's (no learner code ran yet)."""


STUDENT_KIT = os.path.dirname(os.path.dirname(os.path.abspath(coursekit.__file__)))  # student-kit/

class GuardedExecute(Execute):
    """nbgrader's Execute, with the verdicts decided outside the learner's process (see the module's docstring)."""

    output_limit = Integer(2_000_000, help="Bytes a learner's kernel may send back for one cell (outputs, "
                           "metadata, everything); the rest is cut.").tag(config=True)
    notebook_output_limit = Integer(20_000_000, help="Bytes of output the graded notebook keeps, all its cells "
                                    "together (a learner's many cells each under `output_limit` stop here); the "
                                    "rest is cut.").tag(config=True)
    answer_limit = Integer(64_000_000, help="Bytes a learner's kernel may send back to one call of a check "
                           "(the data the check compares).").tag(config=True)
    secret_file = Unicode(".grading_secret", help="File with the course's grading secret (made when missing). The "
                          "hidden checks' inputs are drawn from it and the learner's id, so a learner cannot know "
                          "them and a re-grade draws the same. Relative to the folder grading starts in.").tag(config=True)
    held_out = List(Unicode(), ["MNIST"], help="Data sets in the data root whose test labels the learner's kernel "
                    "never sees (grader/heldout.py): its test images come shuffled and slightly perturbed, the "
                    "labels stay with the grader. A notebook whose locked cells do not name a set does not see it.").tag(config=True)
    data_root = Unicode(help="The data root the notebooks load their data sets from, mounted read-only "
                        "for the learner's kernel at the same path (default: the notebooks' own, "
                        "$COURSE_DATA_DIR or ~/.cache/pytorch-loss-course/data)").tag(config=True)
    sandbox = Bool(True, help="Run the learner's kernel in the sandbox (grader/sandbox.py). Off only for "
                   "trusted notebooks on a machine without bubblewrap.").tag(config=True)
    threads = Integer(0, help="Threads for the checks (torch, in the grader) and for the learner's kernel "
                      "(0: torch's default)").tag(config=True)
    report_file = Unicode("", help="File to which one line of JSON per graded notebook is appended: its "
                          "problems, seconds in cells, or why the machine could not grade it (none: not "
                          "written)").tag(config=True)
    start_attempts = Integer(3, help="Tries to start a kernel before grading gives up on the machine.").tag(config=True)
    startup_timeout = Integer(120, help="Seconds a kernel may take to start.").tag(config=True)
    store_widget_state = Bool(False, help="Widget state is the learner's output: not kept.").tag(config=True)
    # The kernel holds nothing worth a graceful exit, which waits for torch's teardown (1-2 s).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandbox:
            problem = sandbox_problem()
            if problem:
                raise RuntimeError(problem)
            self.kernel_manager_class = SandboxedKernelManager
        self._secret = read_secret(os.path.abspath(self.secret_file))
        if self.threads:
            import torch  # the checks run here, on this learner's share of the cores
            torch.set_num_threads(self.threads)

    @default("data_root")
    def _default_data_root(self):
        return str(heldout.data_root())

    # --- the run as a whole

    def preprocess(self, nb, resources=None, km=None):
        findings = (resources or {}).get(FINDINGS)
        if findings is None:
            raise RuntimeError("GuardedExecute runs what grader.learner_code.ReadLearnerCode decided from the code: "
                               "put ReadLearnerCode before GuardedExecute in c.Autograde.autograde_preprocessors "
                               "(nbgrader_config.py)")
        self._own_work, self._run_sources = findings.own_work, findings.run_sources
        self._budget = OutputBudget(self.output_limit, self.notebook_output_limit)
        self._sent_back = 0
        info = (resources or {}).get("nbgrader", {})
        self._outcome = NotebookReport(self.report_file, (resources or {}).get("unique_key") or "notebook",
                                       findings.problems, findings.tampering)
        self._learner = f"{info.get('student', '')}/{info.get('assignment', '')}/{info.get('notebook', '')}"
        self._assignment, self._references_loaded = info.get("assignment", ""), False
        with tempfile.TemporaryDirectory(prefix="course-judge-") as views:
            locked = [cell.source for cell in nb.cells if cell.cell_type == "code" and not is_learner_cell(cell)]
            used = [name for name in self.held_out if any(name in source for source in locked)]  # (read, by name)
            self._data_mounts, judge_data = heldout.views(self.held_out, self._seed("data"), views, self.data_root, used)
            self._judge = Judge(self._request_from_thread)
            self._judge_env = {"COURSE_DATA_DIR": judge_data} if judge_data else {}
            try:
                nb, resources = super().preprocess(nb, resources, km)
            except KernelStartError:
                raise
            except BaseException as e:  # the grading of this notebook failed as a whole: the reason, as data
                self._outcome.write(failure=f"{type(e).__name__}: {str(e)[:200]}")
                raise
        problems = self._outcome.finish()
        if problems:
            add_note(nb, problems)
        for p in problems:
            self.log.warning("%s: %s", self._outcome.notebook, p)
        return nb, resources

    def _seed(self, what):
        digest = hashlib.sha256(f"{self._secret}\0{self._learner}\0{what}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    # --- the kernel

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.data_mounts = list(self._data_mounts)
            km.python_path = [STUDENT_KIT]  # the helper cells import coursekit, as in Colab
            km.threads = km.threads or self.threads
        else:  # a kernel without the sandbox inherits this process's environment: the kit on its path
            paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if STUDENT_KIT not in paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([STUDENT_KIT] + [p for p in paths if p])
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
        self._outcome.write(machine_failure=f"no kernel could be started in {self.start_attempts} tries ({last})")
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
                self._outcome.problem(f"the learner's code ran past the {self.timeout} s limit in a check and had "
                                      "to be killed; the cells after it ran in a fresh kernel")
                await self._replace_kernel()
            raise LearnerError("TimeoutError", f"your code ran past the {self.timeout} s time limit in this check")
        finally:
            self._sent_back += await self._drain_iopub()
        if not await ensure_async(self.km.is_alive()):
            self._outcome.problem("the kernel died while a check ran the learner's code; later cells ran in a fresh kernel")
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
            if is_test_cell(cell):
                return await self._judge_cell(cell, cell_index)
            if is_learner_cell(cell):
                return await self._learner_cell(cell, cell_index, execution_count, store_history)
            cell = await self._kernel_cell(cell, cell_index, execution_count, store_history)
            if not is_learner_cell(cell):  # a locked cell: the helpers and data the tests use, here too
                await self._keep_in_kernel(cell)
                await self._judge_locked(cell, cell_index)
            return cell
        finally:
            self._outcome.cell_seconds += time.monotonic() - started

    async def _learner_cell(self, cell, cell_index, execution_count, store_history):
        """A learner's cell: what of it a graded function or an answer needs, and has passed its part's
        list, runs in the kernel (the other lines blank); the graded notebook keeps the whole source."""
        if self._run_sources is None:
            return await self._kernel_cell(cell, cell_index, execution_count, store_history)
        source = cell.source
        cell.source = self._run_sources.get(cell_name(cell, cell_index).strip("'"), "")
        try:
            if not cell.source.strip():
                cell.outputs, cell.execution_count = [], None
                cell.outputs.append(new_output("stream", name="stdout", text=(
                    "[not run when graded: no graded function or answer needs this cell]\n")))
                return cell
            return await self._kernel_cell(cell, cell_index, execution_count, store_history)
        finally:
            cell.source = source

    async def _keep_in_kernel(self, cell):
        """The kernel keeps what this locked cell defined, as it is now: the checks call the helpers
        they trust, whatever the learner's cells bind to those names later."""
        tree = parse(cell.source)
        names = sorted(module_level_names(tree)) if tree is not None else []
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
            self._outcome.problem(f"the grader could not run locked cell {cell_name(cell, index)} "
                                  f"({error_name(error)}: {error_text(error)[:200]}); tests that use it fail")

    async def _judge_cell(self, cell, index):
        """A test cell, run by the judge: its verdict and messages become the cell's outputs."""
        cell.outputs = []
        cell.execution_count = None
        self._sent_back = 0
        if not self._references_loaded:  # after the locked cells, before the first check
            self._references_loaded = True
            await self._judge_references()
        printed, error = await self._in_thread(self._judge.run, cell.source, self._seed(cell_name(cell, index)))
        if printed:
            cell.outputs.append(new_output("stream", name="stdout", text=printed[:self.output_limit]))
        used = [name for name in self._own_work if re.search(rf"\b{re.escape(name)}\b", cell.source)]
        if self._outcome.tampering:
            error = LearnerError("GradingIntegrityError", "the submission changes what the tests rely on or reaches "
                                 "past its own code (" + "; ".join(self._outcome.tampering[:3]) + "), so no test counts")
        elif error is None and used:
            error = LearnerError("NotOwnWork", f"{', '.join(used)} uses what its part does not allow "
                                 f"({'; '.join(self._own_work[used[0]])}), so this check scores 0: write it with "
                                 "what the part lists in OWN_WORK (the helper cell)")
        if error is not None:
            cell.outputs.append(_error(error_name(error), error_text(error)))
            if error_text(error).startswith("own work: ."):  # the guard (grader/kernel_side.py) refused a read
                self._outcome.problem(f"cell {cell_name(cell, index)}: the learner's code read what is not theirs, "
                                      f"refused when graded ({error_text(error)[:200]})")
        if self._sent_back > self.output_limit:
            self._outcome.problem(f"the learner's code printed {self._sent_back / 1e6:.0f} MB during the checks of "
                                  f"cell {cell_name(cell, index)}; none of it was kept")
        return cell

    async def _judge_references(self):
        """The assignment's references.py (grader/course.py), run by the judge in the locked cells' namespace."""
        source = references(self._assignment, CourseDirectory(config=self.config).root)
        if source:
            _, error = await self._in_thread(self._judge.run, source, None, False)
            if error is not None:
                self._outcome.problem(f"the grader could not run the assignment's {REFERENCES} "
                                      f"({error_name(error)}: {error_text(error)[:200]}); tests that use it fail")

    async def _in_thread(self, fn, *args):
        self._loop = asyncio.get_running_loop()
        self._sent_back = 0
        return await asyncio.to_thread(fn, *args)

    async def _kernel_cell(self, cell, cell_index, execution_count, store_history):
        """A learner's cell or a locked cell, run in the kernel as nbgrader would, with the guards."""
        name = cell_name(cell, cell_index)
        self._budget.new_cell()
        try:
            await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            cell.outputs.append(_error("KernelDied", "the Python process running the notebook died in this cell "
                                       "(os._exit, a crash, or out of memory); the cells after it ran in a fresh one"))
            self._outcome.problem(f"the kernel died in cell {name}; later cells ran in a fresh kernel")
            await self._replace_kernel()
            return cell
        except CellTimeoutError:
            cell.outputs.append(_error("CellTimeoutError", f"this cell ran past the {self.timeout} s limit and did "
                                       "not stop when interrupted; it was killed, the cells after it ran in a fresh kernel"))
            self._outcome.problem(f"cell {name} ran past the {self.timeout} s limit and had to be killed")
            await self._replace_kernel()
            return cell
        if self._budget.cut:
            cell.outputs.append(new_output("stream", name="stdout", text=self._budget.note()))
            self._outcome.problem(self._budget.problem(name))
        for out in cell.outputs:
            if out.output_type != "error":
                continue
            if out.ename == "CellTimeoutError":
                self._outcome.problem(f"cell {name} ran past the {self.timeout} s limit and was stopped")
            elif out.ename == "SystemExit":
                self._outcome.problem(f"cell {name} called sys.exit(); grading went on with the next cell")
            elif out.ename == "StdinNotImplementedError":
                self._outcome.problem(f"cell {name} asked for input(), which grading cannot answer")
            elif is_learner_cell(cell) and out.ename not in ("NotImplementedError", "KeyboardInterrupt"):
                self._outcome.problem(f"cell {name} raised {out.ename}: {str(out.evalue)[:120]}")
        return cell

    def output(self, outs, msg, display_id, cell_index):
        if self._budget.over(message_size(msg)):
            if msg["msg_type"] != "error":
                return None
            content = msg["content"]  # an error still counts (it decides nothing now), but cut to its name
            msg = dict(msg, content=dict(ename=str(content.get("ename", "Error"))[:100],
                                         evalue=str(content.get("evalue", ""))[:1000], traceback=[]))
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """A display updated again (`display_id`): what it carries counts against the limit too."""
        if self._budget.over(message_size(msg)):
            return None
        return super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        """Widget messages are counted, never kept: grading needs no widget state."""
        self._budget.discard(message_size(msg))

    execute_cell = run_sync(async_execute_cell)


_ONE_STRING = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"", re.S)


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
