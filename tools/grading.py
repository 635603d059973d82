"""What makes autograding safe with any submission, plugged into nbgrader by nbgrader_config.py.

`GuardedExecute` replaces nbgrader's `Execute` step. It runs each learner's notebook like
nbgrader does, and also:

- runs the kernel in a sandbox (`SandboxedKernelManager`, bubblewrap): the course folder, the
  home folder and /tmp are hidden, the file system is read-only but for an empty working folder
  of its own, there is no network (so no gradebook server either), and memory is capped. The
  learner's code cannot read the hidden tests or the solutions, nor write to the gradebook or to
  another learner's folder;
- keeps grading after a kernel death (`os._exit`, a segfault): the cell gets an error, a fresh
  kernel runs the cells after it; and after a cell that ignores the timeout's interrupt;
- cuts a cell's output past `output_limit` bytes, so a submission that prints hundreds of MB
  cannot exhaust the grader;
- fails every test cell that runs after the submission tampered with what the tests rely on:
  rebinding `torch.testing.assert_close`, `torch.allclose`, builtins, the loss functions the
  tests compare with, or a name the locked cells defined; found in the learner's code before it
  runs, and checked in the kernel before and after each test cell;
- writes what went wrong on top of the graded notebook (so the learner's feedback says it) and
  as one line per notebook to the file named by $COURSE_GRADING_REPORT (for the instructor).

The guard runs in the same Python process as the learner's code, so a learner who studies it
could still hide a patch from it; the static check of the learner's code is there for that.
"""
import ast
import asyncio
import json
import os
import shutil
import site
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Enum, Integer

NOTE_KEY = "grading_note"  # cell metadata key of the note the grader puts on top of a notebook
REPORT_ENV = "COURSE_GRADING_REPORT"
SANDBOX_ENV = "COURSE_SANDBOX"  # "0": run kernels without the sandbox (trusted notebooks only)
MEMORY_ENV = "COURSE_GRADING_MEMORY"  # bytes of memory a kernel may allocate
HIDE_ENV = "COURSE_GRADING_HIDE"  # more folders to hide from kernels (os.pathsep-separated)

# Modules whose contents the tests rely on; rebinding anything in them is tampering.
PROTECTED_MODULES = ("builtins", "math", "torch", "torch.testing", "torch.nn", "torch.nn.functional",
                     "torch.optim", "torch.nn.modules.loss")
# Classes whose methods the tests rely on.
PROTECTED_CLASSES = ("torch.Tensor", "torch._C.TensorBase", "torch.nn.Module", "torch.optim.Optimizer",
                     "torch.optim.SGD", "torch.optim.Adam", "torch.optim.RMSprop", "torch.nn.Linear",
                     "torch.nn.Conv2d", "torch.nn.MaxPool2d", "torch.nn.MSELoss", "torch.nn.L1Loss",
                     "torch.nn.HuberLoss", "torch.nn.SmoothL1Loss", "torch.nn.BCELoss", "torch.nn.BCEWithLogitsLoss",
                     "torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss", "torch.nn.MultiMarginLoss")

# The course folders the kernel must not see: nbgrader_config.py adds its own folder; the
# folder nbgrader was started in is one too (nbgrader changes folders while it converts).
COURSE_ROOTS = [os.getcwd()]

DEFAULT_DATA = "~/.cache/pytorch-loss-course/data"  # the notebooks' data root without COURSE_DATA_DIR

# Environment a kernel keeps (the rest, such as an instructor's tokens, is dropped).
KERNEL_ENV = ("PATH", "HOME", "LANG", "LC_", "TZ", "COURSE_DATA_DIR", "OMP_", "MKL_", "OPENBLAS_",
              "PYTHONHASHSEED", "NBGRADER_", "VIRTUAL_ENV", "CUDA_VISIBLE_DEVICES", "TERM")


# ----------------------------------------------------------------------------- the sandbox

def sandbox_wanted():
    return os.environ.get(SANDBOX_ENV, "1") != "0"


def sandbox_problem():
    """Why kernels cannot be sandboxed here, or None when they can."""
    if not shutil.which("bwrap"):
        return ("bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt-get install "
                "bubblewrap), or set COURSE_SANDBOX=0 to grade without a sandbox (trusted notebooks only)")
    return None


def _existing_real(paths):
    out = []
    for p in paths:
        if p and os.path.exists(p):
            real = os.path.realpath(p)
            if real not in out:
                out.append(real)
    return out


def _under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def sandbox_command(cmd, cwd, rundir, memory):
    """`cmd` wrapped in bubblewrap: / read-only; the course, home, /tmp and /run hidden; `cwd`
    backed by an empty folder of its own; `rundir` (connection file and sockets) shared; no
    network; at most `memory` bytes of data."""
    private = [*COURSE_ROOTS, os.getcwd(), *os.environ.get(HIDE_ENV, "").split(os.pathsep)]
    hide = _existing_real([*private, os.path.expanduser("~"), "/tmp", "/var/tmp", "/run", "/dev/shm"])
    hide = [h for h in hide if h != "/" and not any(o != h and _under(h, o) for o in hide)]
    # What stays visible under the hidden folders: Python and its packages, and the data.
    private = _existing_real(private)
    python = _existing_real([sys.prefix, sys.base_prefix, site.getusersitepackages()])
    keep = _existing_real([*python, os.environ.get("COURSE_DATA_DIR"), os.path.expanduser(DEFAULT_DATA),
                           *[p for p in sys.path if any(_under(os.path.realpath(p), q) for q in python)]])
    keep = [k for k in keep if any(_under(k, h) for h in hide) and not any(_under(p, k) for p in private)]
    keep = [k for k in keep if not any(o != k and _under(k, o) for o in keep)]
    work = os.path.join(rundir, "work")
    os.makedirs(work, exist_ok=True)
    args = ["prlimit", f"--data={int(memory)}", "--",
            "bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-net",
            "--unshare-uts", "--cap-drop", "ALL",
            # ipykernel would take the sandbox's init for a dead parent; --die-with-parent does its job
            "--unsetenv", "JPY_PARENT_PID", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for h in hide:
        args += ["--tmpfs", h]
    for k in keep:
        args += ["--ro-bind", k, k]
    args += ["--bind", rundir, rundir, "--bind", work, os.path.realpath(cwd), "--chdir", os.path.realpath(cwd)]
    return args + ["--", *cmd]


def default_memory(kernels=1):
    """Bytes a kernel may allocate: $COURSE_GRADING_MEMORY, or 3/4 of the memory shared by `kernels`."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(os.environ.get(MEMORY_ENV) or total * 3 // 4 // kernels)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel in the sandbox, talking over Unix sockets in a private folder (it has no network).
    Interrupts go by message, since a signal would reach bubblewrap and not the kernel."""

    async def _async_pre_start_kernel(self, **kw):
        self._rundir = tempfile.mkdtemp(prefix="cg-", dir="/tmp")  # short: socket paths are limited
        self.transport = "ipc"
        self.connection_file = os.path.join(self._rundir, "kernel.json")
        self.ip = os.path.join(self._rundir, "k")
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        cwd = kw.get("cwd") or os.getcwd()
        env = kw.get("env") or dict(os.environ)
        kw["env"] = {k: v for k, v in env.items() if k.startswith(KERNEL_ENV)}
        # What the learner's code may read in its working folder: the assignment's own files,
        # never the notebooks (the graded copy there holds the hidden tests).
        work = os.path.join(self._rundir, "work")
        os.makedirs(work, exist_ok=True)
        for entry in os.scandir(cwd):
            if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".ipynb"):
                shutil.copy(entry.path, work)
        kw["cwd"] = self._rundir
        kernel_cmd = sandbox_command(kernel_cmd, cwd, self._rundir, default_memory())
        self.log.debug("kernel in the sandbox: %s", kernel_cmd)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart and getattr(self, "_rundir", None):
            shutil.rmtree(self._rundir, ignore_errors=True)


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


# Run in the kernel (as a user expression: nothing is left in the learner's namespace): the
# identity of everything in the protected modules and classes, of the watched names, and
# which builtins the learner's namespace shadows with a function.
_FINGERPRINT = """(lambda sys, watched, full, U: (lambda json, builtins, ns: (lambda big: json.dumps(dict(
    digest=sys.modules['hashlib'].md5(json.dumps(big, sort_keys=True).encode()).hexdigest(),
    names={k: id(v) for k, v in ns.items() if k in watched},
    shadowed=sorted(k for k, v in ns.items() if k in vars(builtins) and callable(v) and not k.startswith('_')
                    and v is not vars(builtins)[k]),
    **(big if full else {}))))(dict(
    modules={m: ({k: U(v) for k, v in vars(sys.modules[m]).items() if m == 'builtins' or not k.startswith('_')},
                 id(sys.modules[m])) for m in %(modules)r if m in sys.modules},
    classes={c: {k: U(v) for k, v in vars(eval(c, {'torch': sys.modules['torch']})).items()}
             for c in %(classes)r if 'torch' in sys.modules})))(
    sys.modules['json'], sys.modules['builtins'], get_ipython().user_ns))(__import__('sys'), %(watched)r, %(full)r,
    # torch wraps some of its own functions on first use (functools.wraps): the wrapped one counts
    lambda v: id(__import__('inspect').unwrap(v) if type(v).__name__ == 'function' else v))"""


def _diff(before, now):
    """Names whose object changed between two fingerprints (`now` may have the digest only)."""
    changed = [] if now["digest"] == before["digest"] or "modules" in now else ["(the protected modules)"]
    for m, (items, module_id) in before["modules"].items() if "modules" in now else ():
        now_items, now_id = now["modules"].get(m, ({}, None))
        if now_id != module_id:
            changed.append(f"sys.modules[{m!r}]")
        changed += [f"{m}.{k}" for k, v in items.items() if now_items.get(k) != v]
    for c, items in before["classes"].items() if "classes" in now else ():
        changed += [f"{c}.{k}" for k, v in items.items() if now["classes"].get(c, {}).get(k) != v]
    changed += [k for k, v in before["names"].items() if now["names"].get(k) != v]
    changed += [f"{k} (shadows the builtin)" for k in now["shadowed"] if k not in before["shadowed"]]
    return changed


# ----------------------------------------------------------------------------- execution

class GuardedExecute(Execute):
    """nbgrader's Execute, made safe for any submission (see the module's docstring)."""

    output_limit = Integer(2_000_000, help="Bytes of output kept per cell; the rest is cut.").tag(config=True)
    # The kernel holds nothing worth a graceful exit, which waits for torch's teardown (1-2 s).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate").tag(config=True)

    def __init__(self, *args, **kwargs):
        if sandbox_wanted():
            problem = sandbox_problem()
            if problem:
                raise RuntimeError(problem)
            kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)

    # --- the run as a whole

    def preprocess(self, nb, resources=None, km=None):
        self._problems = []
        self._tampering = []
        self._reported = set()  # what tampering was reported already
        self._uninspectable = False
        self._fingerprint = None
        self._kept = self._cut = 0
        learner = [c.source for c in nb.cells if c.cell_type == "code" and _learner_cell(c)]
        locked = [c.source for c in nb.cells if c.cell_type == "code" and not _learner_cell(c)]
        self._aliases = import_aliases(locked + learner)
        self._watched = locked_callables(locked)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and _learner_cell(cell):
                for what in tampering_in_code(cell.source, self._aliases, self._watched):
                    self._tamper(f"cell {_cell_name(cell, index)} {what}")
                    self._reported.add(what.split(" ")[-1])  # "replaces torch.allclose": found already
        self._cell_seconds = 0.0
        nb, resources = super().preprocess(nb, resources, km)
        self.log.info("cell-seconds %.3f total", self._cell_seconds)
        self._report(nb, resources)
        return nb, resources

    def _tamper(self, what):
        if what not in self._tampering:
            self._tampering.append(what)

    def _report(self, nb, resources):
        problems = list(self._problems)
        if self._tampering:
            problems.insert(0, "tampered with what the tests rely on (" + "; ".join(self._tampering)
                            + "): every test cell after that scores 0")
        name = resources.get("unique_key") or "notebook"
        if problems:
            add_note(nb, problems)
        path = os.environ.get(REPORT_ENV)
        if path and problems:
            with open(path, "a") as f:
                f.write(json.dumps({"notebook": name, "problems": problems}) + "\n")
        for p in problems:
            self.log.warning("%s: %s", name, p)

    # --- the kernel

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        # the modules the tests use, imported before any learner code, then their fingerprint
        await self._silent("import hashlib, inspect, json, math, torch, torch.testing, torch.nn, torch.nn.functional, torch.optim")
        self._fingerprint = await self._take_fingerprint(full=True)
        if not isinstance(self._fingerprint, dict):
            self._problems.append(f"the grader could not inspect the new kernel ({self._fingerprint}), "
                                  "so no test can count")
            self._uninspectable = True
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # nbclient's sync names

    async def _silent(self, code, expressions=None):
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=expressions or {},
                                 allow_stdin=False)
        reply = await self.async_wait_for_reply(msg_id)
        return reply["content"] if reply else {}

    async def _take_fingerprint(self, full=False):
        """The kernel's fingerprint, or the reason it could not be taken (a string). Without `full`,
        the protected modules and classes come as a digest only (a check then costs milliseconds)."""
        expr = _FINGERPRINT % dict(modules=PROTECTED_MODULES, classes=PROTECTED_CLASSES, watched=sorted(self._watched),
                                   full=full)
        content = await self._silent("", {"fp": expr})
        result = content.get("user_expressions", {}).get("fp", {})
        if result.get("status") != "ok":
            return f"{result.get('ename', 'no answer')}: {result.get('evalue', '')}".rstrip(": ")
        try:
            return json.loads(ast.literal_eval(result["data"]["text/plain"]))
        except (ValueError, SyntaxError, KeyError, TypeError) as e:
            return f"unreadable answer ({type(e).__name__})"

    async def _check(self, cell, index, record_names):
        """Compare the kernel with its fingerprint; with `record_names`, take the names' ids anew.
        False when the kernel could not be inspected (out of memory, say): the test cannot count."""
        if not isinstance(self._fingerprint, dict):
            return False
        try:
            now = await self._take_fingerprint()
            if isinstance(now, dict) and now["digest"] != self._fingerprint["digest"]:
                detail = await self._take_fingerprint(full=True)
                now = detail if isinstance(detail, dict) else now
        except DeadKernelError:  # it died between cells (out of memory, say)
            self._problems.append(f"the kernel died after cell {_cell_name(cell, index)}; "
                                  "later cells ran in a fresh kernel")
            await self._replace_kernel()
            return False
        if not isinstance(now, dict):
            if not self._uninspectable:
                self._problems.append(f"after cell {_cell_name(cell, index)} the grader could not inspect the "
                                      f"kernel ({now}), so the tests it could not check score 0")
            self._uninspectable = True
            return False
        changed = [c for c in _diff(self._fingerprint, now) if c not in self._reported]
        self._reported.update(changed)
        if changed:
            self._tamper(f"by cell {_cell_name(cell, index)}: {', '.join(changed[:5])}"
                         + (f" and {len(changed) - 5} more" if len(changed) > 5 else "") + " changed")
        if record_names:
            self._fingerprint["names"] = now["names"]
        return True

    async def _replace_kernel(self):
        try:
            await self._async_cleanup_kernel()
        except Exception:  # it is dead or stuck already
            self.km = self.kc = None
        self.km = self.create_kernel_manager()
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()
        self._fingerprint and self._fingerprint.update(names={})

    # --- one cell

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        name = _cell_name(cell, cell_index)
        test = _test_cell(cell)
        checked = await self._check(cell, cell_index, record_names=False) if test else True
        self._kept = self._cut = 0
        started = time.monotonic()
        try:
            # test cells stay out of the kernel's history, where later learner code could read them
            await super().async_execute_cell(cell, cell_index, execution_count, store_history and not test)
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
        finally:
            self._cell_seconds += time.monotonic() - started
        if self._cut:
            cell.outputs.append(new_output("stream", name="stdout", text=(
                f"\n[the grader cut this cell's output here: {self._cut / 1e6:.1f} MB more were not kept]\n")))
            self._problems.append(f"cell {name} printed {(self._kept + self._cut) / 1e6:.0f} MB of output; "
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
        if not _learner_cell(cell):
            checked = await self._check(cell, cell_index, record_names=True) and checked
        if test and not checked:
            cell.outputs.append(_error("GradingCheckError", "the grader could not inspect the kernel after this "
                                       "cell (out of memory?), so this test cannot count"))
        if test and self._tampering:
            cell.outputs.append(_error("GradingIntegrityError", "the submission changed what the tests rely on ("
                                       + "; ".join(self._tampering) + "), so this test cannot count"))
        return cell

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] != "error":  # errors always count: they decide the score
            content = msg.get("content", {})
            size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
            if self._kept + size > self.output_limit:
                self._cut += size
                return None
            self._kept += size
        return super().output(outs, msg, display_id, cell_index)

    execute_cell = run_sync(async_execute_cell)


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
    note.source += "".join(f"\n- {p}" for p in problems)
    return nb
