"""Find, in a learner's code, what reaches the PyTorch built-ins an assignment asks them to write.

`own_work_violations(cells, own_work)` reads the learner's cells as text (the `ast` module: no
torch, nothing runs) and says, for each name the learner must write themselves (an "own_work
name": `mse_loss`, `MySGD`, ...), which parts of their code reach a built-in it must not use.
The dynamic checks in the notebooks (swapping `F.mse_loss` for a function that fails) catch an
honest mistake; this static check is for the learner who works around them.

Rules
-----
Reading a cell. IPython syntax (`%magic`, `!shell`, `x?`) is first turned into Python by IPython's
`TransformerManager`. A cell that still does not parse runs nothing in the kernel either (a
SyntaxError), so it reaches nothing; it is reported, as "does not parse", under each own_work name
its text mentions (under none if it mentions none).

Units and the call graph. Each top-level statement of a cell is a unit: a `def NAME`/`class NAME`
(decorators, defaults and bases included) or any other statement. An own_work name's code is the
units that define it (`def`/`class`, assignment, import) or change it (`NAME.attr = ...`,
`NAME[k] = ...`, `NAME.method(...)`, `setattr(NAME, ...)`, `type.__setattr__(NAME, ...)`,
`functools.update_wrapper(NAME, ...)`, `global NAME` then an assignment in a def, passing it to a
def/class of the learner's that changes one of its parameters), and every unit reached from
those: a unit that uses a global name reaches every unit that defines or changes that name, in
any cell and any order, to the end. So a
top-level lambda, helper function, helper class, alias or list that an own_work function uses is
part of that function.

Forbidden references count for the own_work names whose list holds the name:
- an attribute with a forbidden name, whatever it is taken from: `F.mse_loss`, `nn.MSELoss`,
  `torch.ops.aten.mse_loss`, `torch._C._nn.mse_loss`, `x.mse_loss`, `torch.nn.modules.loss.MSELoss`;
- an imported forbidden name (`from torch.nn.functional import mse_loss as m`), and a bare name
  that is forbidden and not a def/class of the learner's (`Adam(...)` after a star import);
- `getattr`/`hasattr`/`setattr`/`delattr`/`operator.attrgetter`/`operator.methodcaller` with a
  constant forbidden name, `X.__dict__["name"]`, `vars(X)["name"]`, `sys.modules["..."]`;
- a string that contains a forbidden name (case-insensitive), after constant folding: `+`, `*`,
  `%`, f-strings, slices (`"ssol_esm"[::-1]`), `str` methods (`join`, `replace`, `lower`,
  `format`, ...), `chr`/`ord`/`bytes`/`map`/`reversed`, one-loop comprehensions, base64, codecs
  (rot13) and binascii decoding, and names assigned a constant once in all the code. The names of
  the learner's own defs/classes that are not forbidden names are first cut out of the string, so
  `"MySGD(lr=0.1)"` does not name `SGD`. Not checked: strings that are statements of their own
  (docstrings, "like nn.MSELoss()", and any other: nothing keeps them but `__doc__`, an escape; a
  cell's last statement is checked, IPython keeps it as output), comments (not code), and messages
  for people: the message of an `assert`, the arguments of the exception a `raise` builds, the
  arguments of `print`, `warnings.*` and `logging.*`.
- A list holding "Optimizer" forbids every torch optimizer: any `torch.optim.<anything>` and
  `torch.distributed.optim.<anything>` (through aliases too: `import torch.optim as o`,
  `opt = torch.optim`, `from torch import optim`), an attribute, import or bare name called like a
  torch optimizer class (`SGD`, `AdamW`, `Rprop`, `LBFGS`, ...), `_functional`, `_foreach_*`,
  `_fused_*`, and strings naming any of them. Subclassing a class is a reference to it.

Escapes, which could reach any built-in:
- the builtins `eval`, `exec`, `compile`, `__import__`, `globals`, `locals`, `vars`, `breakpoint`,
  `__builtins__`, `__build_class__`; `getattr`/`setattr`/`hasattr`/`delattr` with a computed name or
  passed around as values; `type()` with three arguments; a metaclass; `open()` for writing;
- the attributes `__dict__`, `__globals__`, `__code__`, `__closure__`, `__subclasses__`,
  `__bases__`, `__base__`, `__mro__`, `mro`, `__getattribute__`, `__getattr__`, `__defaults__`,
  `__kwdefaults__`, `__doc__`, `__reduce__`, `__reduce_ex__`, `__loader__`, `__spec__`,
  `__builtins__`, `__import__`, and frame and code attributes (`f_globals`, `tb_frame`, ...);
- any private part of torch (`torch._C`, `torch._VF`, `torch._foreach_add_`,
  `torch.optim._functional`, ...), `torch.ops`, `torch.jit`, `torch.hub`, `torch.overrides`,
  `torch.fx`, `torch.library`, `torch.package`, `torch.load`, `torch.serialization`,
  `torch.utils.cpp_extension`, and the attribute names only torch's internals have (`ops`, `aten`,
  `_C`, `_VF`, `_functional`, `_foreach_*`, ...) on something the check cannot name;
- `torch.optim` used as a value: anything but `torch.optim.X`, an import, or a plain alias
  `opt = torch.optim`;
- the modules `importlib`, `inspect`, `ctypes`, `pickle`, `marshal`, `dill`, `cloudpickle`,
  `copyreg`, `shelve`, `builtins`, `__main__`, `IPython`, `ipykernel`, `pydoc`, `pkgutil`, `runpy`,
  `code`, `codeop`, `gc`, `subprocess`, `multiprocessing`, `zipimport`, `imp`, `logging.config`,
  `unittest.mock`, and `sys.modules`, `sys._getframe`, `sys.meta_path`, `sys.path_hooks`,
  `sys.settrace`, `sys.setprofile`, `os.system`/`popen`/`exec*`/`spawn*`,
  `types.FunctionType`/`CodeType`/`LambdaType`/`ModuleType`/`FrameType`, `string.Formatter`,
  `typing.get_type_hints`/`ForwardRef`: any use, imports included; star imports from torch or
  from those modules;
- `get_ipython()`, `!shell` and IPython magics but the harmless ones (`%matplotlib`, `%who`,
  `x?`, `%load_ext autoreload`, `%config InlineBackend.*`, ...): the code that `%time`, `%timeit`,
  `%prun` and `%%capture` run is checked as code in its place;
- code the check cannot read: nested too deeply for Python's recursion limit, or building
  strings with more than 100,000 folding steps.
An escape inside an own_work def/class counts for that name (and for the own_work names that
reach it); anywhere else (a cell's top level, a helper of the learner's) it counts for every
own_work name: nobody can tell where it leads.

Top-level code that no own_work name reaches. A forbidden reference at the top level of a cell
that defines an own_work name counts for every own_work name that forbids it (keep comparisons
with the built-in out of your function's cell), and so does one in a statement that patches a
module or an object it cannot name (`torch.Tensor.my_loss = F.mse_loss`,
`type(x).my_loss = ...`). A forbidden reference anywhere else that no own_work
name reaches is ordinary code and is not reported: `torch.optim.SGD` in a scratch cell,
`compare_with_torch(MySGD, torch.optim.SGD)`, printing `F.mse_loss(a, b)` beside `mse_loss(a, b)`
there, a def that compares the two and is never used by an own_work function.

Each name gets its reasons deduplicated, the most direct first (forbidden references in its own
code, then escapes in it, then top-level references, then escapes elsewhere), at most 5, each
under 120 characters; names with no reason are left out of the result.

Limits (a static check can be fooled)
-------------------------------------
- A string built by code the folder does not run (a loop that appends characters, arithmetic in a
  `for`, text read from a file, a tensor or `In[...]`) names nothing; with a lookup mechanism that
  is not one of the escapes above, it reaches the built-in unseen. The standard library has more
  lookups than this list.
- A helper of the learner's that changes an object it is given in a way not listed above (for
  instance through a second helper), or a name passed to it in a container, is not followed.
- A forbidden reference in a scratch cell inside a def that is called at top level and changes
  state the def reaches without a global name (an object it builds, a parameter it passes on).
- Code in cells that are not passed (pass every cell the learner can edit).
- A loss computed with another built-in that the own_work map does not name
  (`F.nll_loss(F.log_softmax(x, 1), y)` for `cross_entropy`, `F.binary_cross_entropy_with_logits`
  on `torch.logit(p)` for `binary_cross_entropy`): name those in the map to forbid them.
"""
import ast
import base64
import binascii
import codecs
import re

__all__ = ["own_work_violations"]

MAX_REASONS = 5
MAX_REASON_LEN = 119

# Every optimizer class torch.optim has had, and the base class.
OPTIMIZER_CLASSES = {
    "Optimizer", "SGD", "ASGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "SparseAdam", "Adagrad",
    "Adadelta", "Adafactor", "RMSprop", "Rprop", "LBFGS", "Muon",
}
OPTIMIZER_MARK = "Optimizer"  # in a forbidden list: every torch optimizer is forbidden
OPTIMIZER_STRINGS = ("torch.optim", "_functional", "_foreach_", "_fused_")

ESCAPE_BUILTINS = {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "breakpoint",
                   "__builtins__", "__build_class__", "__loader__", "__spec__"}
NAME_BUILTINS = {"getattr", "setattr", "hasattr", "delattr"}
ESCAPE_ATTRS = {
    "__dict__", "__globals__", "__code__", "__closure__", "__subclasses__", "__bases__", "__base__", "__mro__",
    "mro", "__getattribute__", "__getattr__", "__defaults__", "__kwdefaults__", "__reduce__", "__reduce_ex__",
    "__loader__", "__spec__", "__builtins__", "__import__",
    "f_globals", "f_locals", "f_back", "f_builtins", "f_code", "gi_frame", "cr_frame", "ag_frame", "tb_frame",
    "co_consts", "co_code", "__doc__",
}
# Attribute names only torch's internals have: an escape even when the check cannot tell the object.
INTERNAL_ATTRS = {"ops", "aten", "_C", "_VF", "_ops", "_nn", "_refs", "_prims", "_decomp", "_functional",
                  "_dynamo", "_inductor", "_VariableFunctions", "_jit_internal"}
INTERNAL_PREFIXES = ("_foreach_", "_fused_")
ESCAPE_PATHS = [
    "torch.ops", "torch.jit", "torch.hub", "torch.overrides", "torch.fx", "torch.library", "torch.package",
    "torch.load", "torch.serialization", "torch.utils.cpp_extension",
    "importlib", "inspect", "ctypes", "pickle", "marshal", "dill", "cloudpickle", "copyreg", "shelve",
    "builtins", "__main__", "IPython", "ipykernel", "pydoc", "pkgutil", "runpy", "code", "codeop", "gc", "subprocess",
    "multiprocessing", "zipimport", "imp", "logging.config", "unittest.mock",
    # what runs code given as text or data: profilers, debuggers, tracers, timers, unpicklers
    "functools.singledispatch", "functools.singledispatchmethod", "sys.path", "site",
    "cProfile", "profile", "pstats", "timeit", "pdb", "bdb", "trace", "doctest", "threading", "_thread",
    "concurrent", "asyncio", "signal", "atexit", "weakref", "numpy.load", "numpy.lib", "numpy.ctypeslib",
    "torch.utils.data.datapipes", "torch.multiprocessing", "torch.distributed", "torch.compile",
    "sys.modules", "sys._getframe", "sys.meta_path", "sys.path_hooks", "sys.settrace", "sys.setprofile",
    "os.system", "os.popen", "os.execl", "os.execle", "os.execlp", "os.execv", "os.execve", "os.execvp",
    "os.execvpe", "os.spawnl", "os.spawnv", "os.spawnve", "os.posix_spawn",
    "types.FunctionType", "types.CodeType", "types.LambdaType", "types.ModuleType", "types.FrameType",
    "string.Formatter", "typing.get_type_hints", "typing.ForwardRef", "typing._eval_type",
]
ESCAPE_MODULE_ROOTS = {p for p in ESCAPE_PATHS if "." not in p}
KNOWN_MODULES = ESCAPE_MODULE_ROOTS | {"sys", "os", "types", "operator", "functools", "string", "typing",
                                      "warnings", "logging", "base64", "codecs", "binascii"}
NAME_LOOKUPS = {"operator.attrgetter", "operator.methodcaller"}
DEFAULT_ALIASES = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional", "optim": "torch.optim",
                   "np": "numpy"}
# Calls whose arguments are messages for people (not checked for forbidden names).
MESSAGE_FUNCS = {"print"}
MESSAGE_PREFIXES = ("warnings.", "logging.")
# Calls that change their first argument (for the call graph).
MUTATORS = {"functools.update_wrapper"}  # and setattr, delattr, X.__setattr__, object.__setattr__(X, ...)

SAFE_LINE_MAGICS = {"matplotlib", "autoreload", "who", "whos", "who_ls", "pwd", "pinfo", "pinfo2", "pdef",
                    "pdoc", "precision", "xmode", "lsmagic", "magic"}
CODE_LINE_MAGICS = {"time", "timeit", "prun"}
CODE_CELL_MAGICS = {"time", "timeit", "prun", "capture"}

_NO = object()
_MAX_STR = 10000
_MAX_INT = 1 << 256
_MAX_STEPS = 100000  # folding work for one top-level statement


def own_work_violations(cells, own_work, anywhere=False):
    """cells: list of (cell_name, source) of the learner's code (every cell the learner could edit).
    own_work: {learner_name: [built-in names it must not reach]}, e.g.
        {"mse_loss": ["mse_loss", "MSELoss"], "MySGD": ["SGD", "Optimizer"], ...}
    Returns {learner_name: [reasons]} for every learner_name whose code reaches a forbidden built-in,
    each reason a short phrase for the instructor and learner, e.g.
    "cell 'mse_loss_solution' calls torch.ops.aten.mse_loss", "cell 'my_adam_solution' uses eval()".
    With `anywhere`, a forbidden reference counts wherever it stands in the learner's code, not only
    where an own_work name reaches it (a notebook-wide rule: "do not use these built-ins at all").
    """
    own_work = {name: list(forbidden) for name, forbidden in own_work.items()}
    program = _Program(own_work)
    program.anywhere = anywhere
    reasons = {name: [] for name in own_work}  # name -> [(rank, order, text)]
    for index, (cell_name, source) in enumerate(cells):
        error = program.add_cell(index, str(cell_name), source)
        if error is not None:
            for name in own_work:
                if re.search(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", source or ""):
                    reasons[name].append((0, (index, 0, 0), f"cell '{cell_name}' does not parse ({error})"))
    program.analyse()
    for name, forbidden in own_work.items():
        reasons[name].extend(program.reasons_for(name, forbidden))
    result = {}
    for name, found in reasons.items():
        texts = []
        for _, _, text in sorted(found, key=lambda r: (r[0], r[1])):
            text = _fit(text)
            if text not in texts:
                texts.append(text)
        if texts:
            result[name] = texts[:MAX_REASONS]
    return result


# ----------------------------------------------------------------------------------------------
# Findings and units

class _Finding:
    """One thing a unit does: kind 'name' (a forbidden-name candidate), 'string' or 'escape'."""

    def __init__(self, kind, text, order, ident=None, path=None, value=None, parent_value=None):
        self.kind, self.text, self.order = kind, text, order
        self.ident, self.path, self.value, self.parent_value = ident, path, value, parent_value

    def hits(self, forbidden, strip):
        """The forbidden names (of `forbidden`) this finding reaches."""
        family = OPTIMIZER_MARK in forbidden
        if self.kind == "name":
            found = [self.ident] if self.ident in forbidden else []
            if family and not found and _optimizer_like(self.ident, self.path):
                found = ["torch.optim"]
            return found
        if self.kind == "string":
            found = _string_hits(self.value, forbidden, strip)
            if found and self.parent_value is not None and _string_hits(self.parent_value, forbidden, strip):
                return []  # reported once, where the whole string is built
            return found
        return []


def _optimizer_like(ident, path):
    """A torch optimizer, its functional form or its kernels (also torch.distributed.optim's)."""
    return (ident in OPTIMIZER_CLASSES or ident == "_functional" or ident.startswith(INTERNAL_PREFIXES)
            or (path is not None and path.startswith("torch.") and "optim" in path.split(".")[1:-1]))


def _string_hits(value, forbidden, strip):
    text = value.lower()
    for name in strip:
        text = text.replace(name, "\0")
    found = []
    for name in forbidden:
        if name.lower() in text and name.lower() not in (f.lower() for f in found):
            found.append(name)
    if OPTIMIZER_MARK in forbidden and not found:
        if any(s in text for s in OPTIMIZER_STRINGS) or any(c.lower() in text for c in OPTIMIZER_CLASSES):
            found = ["a torch optimizer"]
    return found


class _Unit:
    def __init__(self, cell_index, cell_name, stmt):
        self.cell_index, self.cell_name, self.stmt = cell_index, cell_name, stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.kind, self.name = ("class" if isinstance(stmt, ast.ClassDef) else "def"), stmt.name
        else:
            self.kind, self.name = "stmt", None
        self.defines = set()  # names it binds at module level
        self.changes = set()  # global names it changes (attribute stores, mutating calls, ...)
        self.refs = set()  # global names it uses
        self.patches = False  # stores into a module's attributes
        self.changes_params = False  # a def/class that changes an object it is given
        self.passes = []  # (learner function, global names passed to it)
        self.findings = []

    def where(self, learner):
        if self.kind != "stmt" and self.name == learner:
            return ""
        if self.kind != "stmt":
            return f" (in {self.name})"
        return " (at top level)"


# ----------------------------------------------------------------------------------------------
# The program: every cell, the global facts, the analysis

class _Program:
    def __init__(self, own_work):
        self.own_work = own_work
        self.forbidden_union = {n for names in own_work.values() for n in names}
        self.cells = []  # (index, name, tree)
        self.units = []
        self.parents = {}
        self.keep = []  # trees parsed from magics (their ids must stay unique)
        self.anywhere = False

    def add_cell(self, index, name, source):
        source = source or ""
        try:
            from IPython.core.inputtransformer2 import TransformerManager
            source = TransformerManager().transform_cell(source)
        except Exception:  # noqa: BLE001 - IPython missing or confused: read it as Python
            pass
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            return f"{error.msg}, line {error.lineno}"
        except (ValueError, RecursionError, MemoryError) as error:
            return type(error).__name__
        self.cells.append((index, name, tree))
        self._link(tree)
        return None

    def _link(self, tree):
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node

    # -- global facts ---------------------------------------------------------------------
    def analyse(self):
        self.learner_defs = set()
        self.module_bound = set()
        for _, _, tree in self.cells:
            for stmt in tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.learner_defs.add(stmt.name)
            self.module_bound |= _bound_names(tree.body)[0]
        self.strip = sorted({n.lower() for n in self.learner_defs | set(self.own_work)}
                            - {n.lower() for n in self.forbidden_union}, key=len, reverse=True)
        self._collect_constants()
        self._collect_aliases()
        for index, name, tree in self.cells:
            docstrings = _idle_strings(tree)
            for stmt in tree.body:
                unit = _Unit(index, name, stmt)
                visitor = _Visitor(self, unit, docstrings)
                try:
                    visitor.run(stmt)
                except RecursionError:
                    unit.findings.append(_Finding("escape", "is nested too deeply to check", (stmt.lineno, 0)))
                except Exception as error:  # noqa: BLE001 - a gap in this check must not hide code
                    unit.findings.append(_Finding("escape", f"could not be checked ({type(error).__name__})",
                                                  (stmt.lineno, 0)))
                if visitor.folder.exhausted:
                    unit.findings.append(_Finding("escape", "builds strings too costly to check",
                                                  (stmt.lineno, 0)))
                self.units.append(unit)
        changers = {u.name for u in self.units if u.kind != "stmt" and u.changes_params}
        for unit in self.units:
            for function, names in unit.passes:
                if function in changers:
                    unit.changes |= names
        self.binders = {}
        for unit in self.units:
            for n in unit.defines | unit.changes:
                self.binders.setdefault(n, []).append(unit)
        self.own_cells = {u.cell_index for u in self.units if u.defines & set(self.own_work)}

    def _collect_constants(self):
        """Names bound exactly once in all the learner's code, by an assignment of a constant."""
        counts, assigned = {}, {}
        for _, _, tree in self.cells:
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    counts[node.id] = counts.get(node.id, 0) + 1
                elif isinstance(node, ast.arg):
                    counts[node.arg] = counts.get(node.arg, 0) + 2
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    counts[node.name] = counts.get(node.name, 0) + 2
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias in node.names:
                        bound = alias.asname or alias.name.split(".")[0]
                        counts[bound] = counts.get(bound, 0) + 2
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    counts[node.name] = counts.get(node.name, 0) + 2
                if (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name)):
                    assigned[node.targets[0].id] = node.value
        self.constants = {}
        candidates = {n: v for n, v in assigned.items() if counts.get(n) == 1}
        for _ in range(3):
            for n, value in candidates.items():
                if n not in self.constants:
                    folded = _Folder(self, None).fold(value)
                    if folded is not _NO:
                        self.constants[n] = folded

    def _collect_aliases(self):
        """Module-level names that stand for a module or a module's attribute (imports, plain aliases)."""
        self.aliases = {n: p for n, p in DEFAULT_ALIASES.items() if n not in self.module_bound}
        for _, _, tree in self.cells:
            for node in ast.walk(tree):
                for bound, path in _import_bindings(node):
                    self.aliases[bound] = path
        for _ in range(3):
            for _, _, tree in self.cells:
                for stmt in tree.body:
                    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                            and isinstance(stmt.targets[0], ast.Name)):
                        path = self.resolve(stmt.value, None)
                        if path is not None:
                            self.aliases[stmt.targets[0].id] = path

    def is_builtin(self, name, visitor=None):
        """`name` means the Python builtin: not bound by the learner, at module level or locally."""
        if name in self.module_bound:
            return False
        return visitor is None or not visitor.is_local(name)

    def resolve(self, node, visitor):
        """The dotted path `node` stands for (e.g. 'torch.nn.functional.mse_loss'), or None."""
        if isinstance(node, ast.Name):
            if visitor is not None and visitor.is_local(node.id):
                return visitor.local_aliases.get(node.id)
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in KNOWN_MODULES and node.id not in self.module_bound:
                return node.id  # a module a notebook cell may have imported for the learner
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, visitor)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            func = node.func.id
            if func in ("getattr",) and len(node.args) >= 2 and self.is_builtin(func, visitor):
                name = _Folder(self, visitor).fold(node.args[1])
                base = self.resolve(node.args[0], visitor)
                if isinstance(name, str) and base is not None:
                    return f"{base}.{name}"
            if func == "__import__" and node.args and self.is_builtin(func, visitor):
                name = _Folder(self, visitor).fold(node.args[0])
                if isinstance(name, str):
                    return name if len(node.args) >= 4 or node.keywords else name.split(".")[0]
        if isinstance(node, ast.Call) and node.args:
            func = self.resolve(node.func, visitor)
            if func == "importlib.import_module":
                name = _Folder(self, visitor).fold(node.args[0])
                if isinstance(name, str):
                    return name
        if isinstance(node, ast.Subscript):
            key = _Folder(self, visitor).fold(node.slice)
            if isinstance(key, str) and self.resolve(node.value, visitor) == "sys.modules":
                return key
        return None

    # -- attribution ------------------------------------------------------------------------
    def reasons_for(self, learner, forbidden):
        found = []
        roots = self.binders.get(learner, [])
        reached, queue = [], list(roots)
        seen = set()
        while queue:
            unit = queue.pop(0)
            if id(unit) in seen:
                continue
            seen.add(id(unit))
            reached.append(unit)
            for ref in sorted(unit.refs):
                queue.extend(self.binders.get(ref, []))
        root_ids = {id(u) for u in roots}
        for unit in reached:
            near = 0 if id(unit) in root_ids else 1
            for f in unit.findings:
                order = (near, unit.cell_index, f.order)
                if f.kind == "escape":
                    found.append((2, order, f"cell '{unit.cell_name}' {f.text}{unit.where(learner)}"))
                else:
                    for hit in f.hits(forbidden, self.strip):
                        found.append((1, order, self._text(unit, f, hit, learner)))
        for unit in self.units:
            if id(unit) in seen:
                continue
            order = (2, unit.cell_index, 0)
            another_own = unit.kind != "stmt" and unit.name in self.own_work  # that function's own finding
            if self.anywhere and not another_own or unit.kind == "stmt" and (unit.cell_index in self.own_cells
                                                                             or unit.patches):
                for f in unit.findings:
                    if f.kind != "escape":
                        for hit in f.hits(forbidden, self.strip):
                            found.append((3, order + (f.order,), self._text(unit, f, hit, learner)))
            if not (unit.kind != "stmt" and unit.name in self.own_work):
                for f in unit.findings:
                    if f.kind == "escape":
                        found.append((4, order + (f.order,),
                                      f"cell '{unit.cell_name}' {f.text}{unit.where(learner)}"))
        return found

    @staticmethod
    def _text(unit, finding, hit, learner):
        if finding.kind == "string":
            text = f"has the string {_short(repr(finding.value), 40)}, naming {hit}"
        else:
            text = finding.text
        return f"cell '{unit.cell_name}' {text}{unit.where(learner)}"


def _import_bindings(node):
    """(bound name, dotted path) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name
            else:
                root = alias.name.split(".")[0]
                yield root, root
    elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}"


def _idle_strings(tree):
    """Ids of the strings that are statements of their own (docstrings and others): nothing keeps them
    but a def's or class's __doc__, except the last statement of a cell, which IPython keeps as output."""
    idle = set()
    for i, stmt in enumerate(tree.body):
        nodes = ast.walk(stmt) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else [
            stmt] if i < len(tree.body) - 1 else []
        for node in nodes:
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                idle.add(id(node.value))
    return idle


def _docstring(node, out):
    body = getattr(node, "body", None)
    if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
        out.add(id(body[0].value))


_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bound_names(body):
    """(names bound, names declared global) directly in `body` (not in nested functions/classes)."""
    bound, declared = set(), set()
    stack = list(body) if isinstance(body, list) else [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            stack.extend(node.decorator_list)
            if not isinstance(node, ast.ClassDef):
                stack.extend(d for d in node.args.defaults + node.args.kw_defaults if d is not None)
            else:
                stack.extend(node.bases)
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            continue
        if isinstance(node, _COMPS):
            stack.append(node.generators[0].iter)
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared, declared


def _params(args):
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return set(names)


class _Scope:
    def __init__(self, kind, names, declared_global=(), params=()):
        self.kind, self.names, self.declared_global = kind, set(names), set(declared_global)
        self.params = set(params)  # the parameters whose changes reach the caller's objects


# ----------------------------------------------------------------------------------------------
# The visitor: one unit's findings, names used, names changed

class _Visitor:
    def __init__(self, program, unit, docstrings):
        self.program, self.unit = program, unit
        self.scopes = []
        self.no_strings = set(docstrings)  # ids of nodes whose strings are not checked
        self.local_aliases = {}
        self.folder = _Folder(program, self)

    def run(self, stmt):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _docstring(stmt, self.no_strings)
        self.visit(stmt)

    # -- scopes -------------------------------------------------------------------------------
    def is_local(self, name):
        for depth in range(len(self.scopes) - 1, -1, -1):
            scope = self.scopes[depth]
            if scope.kind == "class" and depth != len(self.scopes) - 1:
                continue
            if name in scope.declared_global:
                return False
            if name in scope.names:
                return True
        return False

    def visit(self, node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.check(node)
            for child in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d]:
                self.visit(child)
            for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs + [node.args.vararg,
                                                                                       node.args.kwarg]:
                if a is not None and a.annotation is not None:
                    self.visit(a.annotation)
            if node.returns is not None:
                self.visit(node.returns)
            self._bind(node.name)
            _docstring(node, self.no_strings)
            names, declared = _bound_names(node.body)
            params = _params(node.args)
            changed = set(params)
            if self.scopes and self.scopes[-1].kind == "class" and (node.args.posonlyargs + node.args.args):
                changed.discard((node.args.posonlyargs + node.args.args)[0].arg)  # self, cls
            self.scopes.append(_Scope("function", names | params, declared, changed))
            for stmt in node.body:
                self.visit(stmt)
            self.scopes.pop()
            return
        if isinstance(node, ast.Lambda):
            for child in node.args.defaults + [d for d in node.args.kw_defaults if d]:
                self.visit(child)
            self.scopes.append(_Scope("function", _params(node.args)))
            self.visit(node.body)
            self.scopes.pop()
            return
        if isinstance(node, ast.ClassDef):
            self.check(node)
            for child in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                self.visit(child)
            self._bind(node.name)
            _docstring(node, self.no_strings)
            self.scopes.append(_Scope("class", _bound_names(node.body)[0]))
            for stmt in node.body:
                self.visit(stmt)
            self.scopes.pop()
            return
        if isinstance(node, _COMPS):
            self.check(node)
            self.visit(node.generators[0].iter)
            targets = set()
            for gen in node.generators:
                targets |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
            self.scopes.append(_Scope("function", targets))
            for i, gen in enumerate(node.generators):
                self.visit(gen.target)
                if i:
                    self.visit(gen.iter)
                for cond in gen.ifs:
                    self.visit(cond)
            for elt in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.visit(elt)
            self.scopes.pop()
            return
        self.check(node)
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _bind(self, name):
        if not self.is_local(name):
            self.unit.defines.add(name)

    # -- findings -----------------------------------------------------------------------------
    def order(self, node):
        return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))

    def escape(self, node, text):
        self.unit.findings.append(_Finding("escape", text, self.order(node)))

    def name(self, node, ident, path, text):
        self.unit.findings.append(_Finding("name", text, self.order(node), ident=ident, path=path))

    def parent(self, node):
        return self.program.parents.get(id(node))

    def relevant(self, ident, path):
        return ident in self.program.forbidden_union or _optimizer_like(ident, path)

    def check(self, node):
        if isinstance(node, ast.Name):
            self.check_name(node)
        elif isinstance(node, ast.Attribute):
            self.check_attribute(node)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        elif isinstance(node, ast.Subscript):
            self.check_subscript(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.check_import(node)
        elif isinstance(node, ast.ClassDef):
            if any(k.arg == "metaclass" for k in node.keywords):
                self.escape(node, f"gives {node.name} a metaclass")
        elif isinstance(node, ast.Assert) and node.msg is not None:
            self.no_strings.update(id(n) for n in ast.walk(node.msg))
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in node.exc.args + [k.value for k in node.exc.keywords]:
                self.no_strings.update(id(n) for n in ast.walk(arg))
        elif isinstance(node, ast.Assign):
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and self.scopes:
                path = self.program.resolve(node.value, self)
                if path is not None:
                    self.local_aliases[node.targets[0].id] = path
        if isinstance(node, ast.expr) and id(node) not in self.no_strings:
            self.check_string(node)

    def check_string(self, node):
        value = self.folder.fold(node)
        strings = _strings(value)
        if strings is None:
            return
        parent = self.parent(node)
        parent_value = None
        if isinstance(parent, ast.expr):
            parent_strings = _strings(self.folder.fold(parent))
            if parent_strings is not None:
                parent_value = "\n".join(parent_strings)
        self.unit.findings.append(_Finding("string", "", self.order(node), value="\n".join(strings),
                                           parent_value=parent_value))

    def check_name(self, node):
        program, unit, ident = self.program, self.unit, node.id
        local = self.is_local(ident)
        if isinstance(node.ctx, ast.Store) or isinstance(node.ctx, ast.Del):
            if not local:
                unit.defines.add(ident)
            return
        if not local:
            unit.refs.add(ident)
        builtin = program.is_builtin(ident, self)
        parent = self.parent(node)
        called = isinstance(parent, ast.Call) and parent.func is node
        if builtin and ident == "get_ipython":
            self.check_ipython(node)
        elif builtin and ident in ESCAPE_BUILTINS:
            self.escape(node, f"uses {ident}()" if called else f"uses {ident}")
        elif builtin and ident in NAME_BUILTINS:
            if not called:
                self.escape(node, f"passes {ident} around as a value")
            else:
                name = self.folder.fold(parent.args[1]) if len(parent.args) >= 2 else _NO
                if not isinstance(name, str):
                    self.escape(node, f"uses {ident}() with a computed name")
                else:
                    base = program.resolve(parent.args[0], self)
                    path = None if base is None else f"{base}.{name}"
                    if self.relevant(name, path):
                        self.name(node, name, path,
                                  f"uses {ident}({_short(ast.unparse(parent.args[0]), 40)}, {name!r})")
                if ident in ("setattr", "delattr") and parent.args:
                    self.mutates(parent.args[0])
        elif builtin and ident == "type" and called and len(parent.args) == 3:
            self.escape(node, "builds a class with type(name, bases, namespace)")
        elif builtin and ident == "open" and called:
            mode = parent.args[1] if len(parent.args) >= 2 else next(
                (k.value for k in parent.keywords if k.arg == "mode"), None)
            mode = "r" if mode is None else self.folder.fold(mode)
            if not isinstance(mode, str) or set(mode) & set("wax+"):
                self.escape(node, "writes a file with open()")
        elif ident in program.forbidden_union and not local and ident not in program.learner_defs:
            self.name(node, ident, program.resolve(node, self), f"refers to {ident}")
        path = program.resolve(node, self)
        if path is not None:
            self.check_path(node, path, None)

    def check_attribute(self, node):
        program, attr = self.program, node.attr
        path = program.resolve(node, self)
        parent = self.parent(node)
        called = isinstance(parent, ast.Call) and parent.func is node
        shown = _short(ast.unparse(node), 60)
        if attr in ESCAPE_ATTRS:
            self.escape(node, f"uses {shown}")
        if self.relevant(attr, path):
            self.name(node, attr, path, f"{'calls' if called else 'uses'} {shown}")
        if path is not None:
            self.check_path(node, path, program.resolve(node.value, self))
        elif attr in INTERNAL_ATTRS or attr.startswith(INTERNAL_PREFIXES):
            self.escape(node, f"uses {shown}")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.mutates(node)
        elif called:
            root = _root(node.value)
            if root is not None and self.is_local(root.id):
                self.local_change(root.id)
            elif root is not None and root.id not in program.aliases:
                self.unit.changes.add(root.id)

    def check_subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.mutates(node)
        key = self.folder.fold(node.slice)
        if not isinstance(key, str):
            return
        value = node.value
        namespace = (isinstance(value, ast.Attribute) and value.attr == "__dict__") or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in ("vars", "globals", "locals")) or (
            self.program.resolve(value, self) == "sys.modules")
        if namespace:
            ident = key.split(".")[-1]
            if self.relevant(ident, None):
                self.name(node, ident, None, f"uses {_short(ast.unparse(node), 60)}")

    def check_import(self, node):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                return
            for alias in node.names:
                if alias.name == "*":
                    if module.split(".")[0] == "torch" or module.split(".")[0] in ESCAPE_MODULE_ROOTS:
                        self.escape(node, f"star-imports {module}")
                    continue
                path = f"{module}.{alias.name}"
                shown = f"imports {alias.name} from {module}" + (f" as {alias.asname}" if alias.asname else "")
                if self.relevant(alias.name, path):
                    self.name(node, alias.name, path, shown)
                self.check_path(node, path, None, label=f"imports {path}")
        else:
            for alias in node.names:
                parts = alias.name.split(".")
                for ident in parts:
                    if self.relevant(ident, alias.name):
                        self.name(node, ident, alias.name, f"imports {alias.name}")
                        break
                self.check_path(node, alias.name, None, label=f"imports {alias.name}")
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name.split(".")[0])
        if self.scopes:
            self.local_aliases.update(_import_bindings(node))

    def check_path(self, node, path, base_path, label=None):
        """Escapes found from the dotted path a node stands for (each once per chain of attributes)."""
        def entering(prefix):
            if path != prefix and not path.startswith(prefix + "."):
                return False
            return base_path is None or not (base_path == prefix or base_path.startswith(prefix + "."))

        for prefix in ESCAPE_PATHS:
            if entering(prefix):
                self.escape(node, label or f"uses {prefix}")
                break
        parts = path.split(".")
        if parts[0] == "torch":
            for i, part in enumerate(parts[1:], 1):
                if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
                    private = ".".join(parts[:i + 1])
                    if entering(private):
                        self.escape(node, label or f"uses {private}")
                    break
        if path in NAME_LOOKUPS and not isinstance(node, (ast.Import, ast.ImportFrom)):
            parent = self.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node and parent.args:
                names = [self.folder.fold(a) for a in parent.args]
                if all(isinstance(n, str) for n in names):
                    for n in names:
                        for ident in n.split("."):
                            if self.relevant(ident, None):
                                self.name(node, ident, None, f"uses {path.split('.')[-1]}({n!r})")
                    return
            self.escape(node, f"uses {path} with a computed name")
        if path == "torch.optim" and not isinstance(node, (ast.Import, ast.ImportFrom)):
            parent = self.parent(node)
            ok = (isinstance(parent, ast.Attribute) and parent.value is node) or (
                isinstance(parent, ast.Assign) and parent.value is node
                and all(isinstance(t, ast.Name) for t in parent.targets)) or (
                isinstance(parent, ast.Call) and parent.args and parent.args[0] is node
                and isinstance(parent.func, ast.Name) and parent.func.id == "getattr"
                and len(parent.args) >= 2 and isinstance(self.folder.fold(parent.args[1]), str))
            if not ok:
                self.escape(node, "uses torch.optim as a value")

    def check_call(self, node):
        program = self.program
        func_path = program.resolve(node.func, self)
        if isinstance(node.func, ast.Name) and not self.is_local(node.func.id):
            name = node.func.id
            if name in program.learner_defs:
                roots = [_root(a) for a in node.args + [k.value for k in node.keywords]]
                names = {r.id for r in roots if r is not None and not self.is_local(r.id)}
                self.unit.passes.append((name, names - set(program.aliases)))
            if name in MESSAGE_FUNCS and program.is_builtin(name, self):
                self._messages(node)
        if func_path is not None and (func_path in MUTATORS) and node.args:
            self.mutates(node.args[0], call=True)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("__setattr__", "__delattr__"):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in ("object", "type") and program.is_builtin(owner.id, self):
                if node.args:
                    self.mutates(node.args[0], call=True)
            else:
                self.mutates(owner, call=True)
        if func_path is not None and func_path.startswith(MESSAGE_PREFIXES):
            self._messages(node)

    def _messages(self, call):
        for arg in call.args + [k.value for k in call.keywords]:
            self.no_strings.update(id(n) for n in ast.walk(arg))

    def mutates(self, target, call=False):
        """`target` (a store target, or an argument of a call that may change it) is changed."""
        root = _root(target)
        if root is None:
            if not isinstance(target, (ast.Constant, ast.Lambda)):
                self.unit.patches = True  # an attribute of an object it cannot name: of a class, say
            return
        if self.is_local(root.id):
            self.local_change(root.id)
            return
        if root.id in self.program.aliases or (root.id not in self.program.module_bound
                                               and root.id in DEFAULT_ALIASES):
            if not call:
                self.unit.patches = True  # a module's attribute: reaches everyone
            return
        self.unit.changes.add(root.id)

    def local_change(self, name):
        for scope in reversed(self.scopes):
            if name in scope.names and scope.kind == "function":
                if name in scope.params:
                    self.unit.changes_params = True
                return

    # -- IPython --------------------------------------------------------------------------------
    def check_ipython(self, node):
        call = self.parent(node)
        attr = self.parent(call) if isinstance(call, ast.Call) and call.func is node else None
        outer = self.parent(attr) if isinstance(attr, ast.Attribute) else None
        if not (isinstance(outer, ast.Call) and outer.func is attr):
            self.escape(node, "uses get_ipython()")
            return
        args = [self.folder.fold(a) for a in outer.args]
        if attr.attr in ("system", "getoutput"):
            self.escape(node, "runs a shell command (!)")
            return
        if attr.attr not in ("run_line_magic", "run_cell_magic") or not args or not isinstance(args[0], str):
            self.escape(node, f"uses get_ipython().{attr.attr}")
            return
        magic, cell = args[0], attr.attr == "run_cell_magic"
        if cell and magic in CODE_CELL_MAGICS and len(args) == 3 and isinstance(args[2], str):
            code = _parse_magic_code(args[2])
            setup = _parse_magic_code(args[1]) if isinstance(args[1], str) and args[1].strip() else None
            if code is not None and setup is not None:  # %%timeit's line is code run first
                self.no_strings.update(id(n) for n in ast.walk(outer.args[1]))
                code.body[:0] = setup.body
        elif not cell and magic in CODE_LINE_MAGICS and len(args) >= 2 and isinstance(args[1], str):
            code = _parse_magic_code(args[1])
        elif not cell and _harmless_magic(magic, args[1] if len(args) > 1 else ""):
            return
        else:
            self.escape(node, f"uses the {'%%' if cell else '%'}{magic} magic")
            return
        if code is None:
            self.escape(node, f"uses the {'%%' if cell else '%'}{magic} magic on code that does not parse")
            return
        self.no_strings.update(id(n) for n in ast.walk(outer.args[-1]))
        self.program.keep.append(code)
        self.program._link(code)
        for stmt in code.body:
            self.visit(stmt)


def _harmless_magic(magic, line):
    line = line.strip() if isinstance(line, str) else None
    return magic in SAFE_LINE_MAGICS or (magic == "load_ext" and line == "autoreload") or (
        magic == "config" and line is not None and re.fullmatch(r"InlineBackend\.\w+ *= *['\"\w.]*", line))


def _parse_magic_code(text):
    """The code a %time/%timeit/%prun magic runs, without the magic's options."""
    for _ in range(8):
        try:
            return ast.parse(text)
        except SyntaxError:
            pass
        except (ValueError, RecursionError, MemoryError):
            return None
        match = re.match(r"\s*-\w+(\s+[\w.]+(?=\s))?\s*", text)
        if not match:
            return None
        text = text[match.end():]
    return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def _strings(value):
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    if isinstance(value, str):
        return [value] if value else None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, bytes)) for v in value):
        return [v.decode("latin-1") if isinstance(v, bytes) else v for v in value]
    return None


def _short(text, limit):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fit(text):
    return text if len(text) <= MAX_REASON_LEN else text[:MAX_REASON_LEN - 3] + "..."


# ----------------------------------------------------------------------------------------------
# Constant folding of strings

_STR_METHODS = {"join", "replace", "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize",
                "swapcase", "casefold", "format", "removeprefix", "removesuffix", "split", "rsplit", "encode",
                "decode", "partition", "rpartition", "zfill"}
_INT_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
            ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b, ast.BitXor: lambda a, b: a ^ b,
            ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b}
_DECODERS = {
    "base64.b64decode": base64.b64decode, "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.b32decode": base64.b32decode, "base64.b16decode": base64.b16decode,
    "base64.a85decode": base64.a85decode, "base64.b85decode": base64.b85decode,
    "base64.decodebytes": base64.decodebytes, "binascii.unhexlify": binascii.unhexlify,
    "binascii.a2b_hex": binascii.a2b_hex, "binascii.a2b_base64": binascii.a2b_base64,
    "codecs.decode": codecs.decode, "codecs.encode": codecs.encode,
}


def _small(value):
    if isinstance(value, (str, bytes, bytearray, list, tuple)):
        return len(value) <= _MAX_STR
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return True
    if isinstance(value, int):
        return -_MAX_INT < value < _MAX_INT
    return False


def _big_int(values):
    """Whether some int in `values` could make a formatted string huge (a width or precision)."""
    values = values if isinstance(values, (tuple, list, type({}.values()))) else [values]
    return any(isinstance(v, int) and abs(v) > _MAX_STR for v in values)


def _wide_format(text):
    return isinstance(text, (str, bytes)) and re.search(rb"\d{5}" if isinstance(text, bytes) else r"\d{5}", text)


class _Folder:
    """Evaluates constant expressions of strings, bytes and small ints; _NO when it cannot."""

    def __init__(self, program, visitor):
        self.program, self.visitor, self.memo = program, visitor, {}
        self.steps, self.exhausted = 0, False

    def fold(self, node, env=None, depth=0):
        if env is None and id(node) in self.memo:
            return self.memo[id(node)]
        try:
            value = self._fold(node, env or {}, depth)
        except Exception:  # noqa: BLE001 - anything it cannot evaluate is not a constant
            value = _NO
        if value is not _NO and not _small(value):
            value = _NO
        if env is None:
            self.memo[id(node)] = value
        return value

    def _builtin(self, name):
        return self.program.is_builtin(name, self.visitor)

    def _fold(self, node, env, depth):
        self.steps += 1
        if self.steps > _MAX_STEPS:
            self.exhausted = True
            return _NO
        if depth > 50:
            return _NO
        f = lambda n: self.fold(n, env or None, depth + 1) if not env else self._sub(n, env, depth)  # noqa: E731
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, (str, bytes, int, float, bool, type(None))) else _NO
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            return self.program.constants.get(node.id, _NO) if hasattr(self.program, "constants") else _NO
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                value = f(part)
                if value is _NO:
                    return _NO
                parts.append(value)
            return "".join(parts)
        if isinstance(node, ast.FormattedValue):
            value = f(node.value)
            if value is _NO:
                return _NO
            value = {-1: lambda v: v, 115: str, 114: repr, 97: ascii}[node.conversion](value)
            spec = "" if node.format_spec is None else f(node.format_spec)
            if spec is _NO or _wide_format(spec):
                return _NO
            return format(value, spec)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [f(e) for e in node.elts]
            if any(i is _NO for i in items):
                return _NO
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp):
            left, right = f(node.left), f(node.right)
            if left is _NO or right is _NO:
                return _NO
            return self._binop(node.op, left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
            value = f(node.operand)
            if not isinstance(value, int):
                return _NO
            return {ast.USub: -value, ast.UAdd: value, ast.Invert: ~value}[type(node.op)]
        if isinstance(node, ast.Subscript):
            value, index = f(node.value), self._slice(node.slice, f)
            if value is _NO or index is _NO or not isinstance(value, (str, bytes, list, tuple)):
                return _NO
            return value[index]
        if isinstance(node, ast.Call):
            return self._call(node, f)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
            gen = node.generators[0]
            if gen.is_async or gen.ifs or not isinstance(gen.target, ast.Name):
                return _NO
            items = f(gen.iter)
            if not isinstance(items, (str, bytes, list, tuple)):
                return _NO
            return self._each(node.elt, items, lambda item: dict(env, **{gen.target.id: item}), depth)
        return _NO

    def _sub(self, node, env, depth):
        try:
            value = self._fold(node, env, depth + 1)
        except Exception:  # noqa: BLE001
            return _NO
        return value if value is _NO or _small(value) else _NO

    def _slice(self, node, f):
        if isinstance(node, ast.Slice):
            parts = [None if p is None else f(p) for p in (node.lower, node.upper, node.step)]
            if any(p is _NO or not (p is None or isinstance(p, int)) for p in parts):
                return _NO
            return slice(*parts)
        index = f(node)
        return index if isinstance(index, int) else _NO

    @staticmethod
    def _binop(op, left, right):
        if isinstance(op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, list, tuple)):
            return left + right
        if isinstance(op, ast.Mult):
            seq, n = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int) and not isinstance(n, bool):
                return seq * n if len(seq) * max(n, 0) <= _MAX_STR else _NO
        if isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
            return _NO if _wide_format(left) or _big_int(right) else left % right
        if isinstance(left, int) and isinstance(right, int):
            if type(op) in _INT_OPS:
                return _INT_OPS[type(op)](left, right)
            if isinstance(op, (ast.LShift, ast.RShift)) and 0 <= right <= 64:
                return left << right if isinstance(op, ast.LShift) else left >> right
            if isinstance(op, ast.Pow) and 0 <= right <= 64 and abs(left) <= 1 << 32:
                return left ** right
        return _NO

    def _call(self, node, f):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return _NO
        func = node.func
        if isinstance(func, ast.Name) and func.id == "map" and self._builtin("map") and len(node.args) == 2:
            return self._map(node, f)
        if isinstance(func, ast.Name) and self._builtin(func.id):
            args = [f(a) for a in node.args]
            if any(a is _NO for a in args) or node.keywords:
                return _NO
            name = func.id
            if name == "chr" and len(args) == 1 and isinstance(args[0], int):
                return chr(args[0])
            if name == "ord" and len(args) == 1 and isinstance(args[0], str):
                return ord(args[0])
            if name == "str" and len(args) == 1 and isinstance(args[0], (str, int, float, bool, type(None))):
                return str(args[0])
            if name == "str" and len(args) in (2, 3) and isinstance(args[0], bytes):
                return str(*args)
            if name in ("bytes", "bytearray") and len(args) == 1 and isinstance(args[0], (list, tuple, bytes)):
                return bytes(args[0])
            if name in ("bytes", "bytearray") and len(args) in (2, 3) and isinstance(args[0], str):
                return bytes(*args)
            if name in ("list", "tuple", "reversed", "sorted") and len(args) == 1 and isinstance(
                    args[0], (str, bytes, list, tuple)):
                return {"list": list, "tuple": tuple, "reversed": lambda v: list(reversed(v)),
                        "sorted": sorted}[name](args[0])
            if name == "int" and 1 <= len(args) <= 2 and isinstance(args[0], (str, int)):
                return int(*args)
            if name == "range" and 1 <= len(args) <= 3 and all(isinstance(a, int) for a in args):
                r = range(*args)
                return list(r) if len(r) <= _MAX_STR else _NO
            return _NO
        if isinstance(func, ast.Attribute):
            return self._method(node, func, f)
        return _NO

    def _map(self, node, f):
        items = f(node.args[1])
        if not isinstance(items, (str, bytes, list, tuple)):
            return _NO
        mapper = node.args[0]
        if isinstance(mapper, ast.Name) and mapper.id in ("chr", "ord", "str") and self._builtin(mapper.id):
            return [{"chr": chr, "ord": ord, "str": str}[mapper.id](i) for i in items]
        if isinstance(mapper, ast.Lambda) and len(mapper.args.args) == 1 and not mapper.args.defaults:
            return self._each(mapper.body, items, lambda item: {mapper.args.args[0].arg: item}, 0)
        return _NO

    def _each(self, body, items, env_of, depth):
        """`body` folded once per item, in the environment `env_of(item)`: a list, or _NO."""
        out = []
        for item in items:
            value = self._sub(body, env_of(item), depth)
            if value is _NO:
                return _NO
            out.append(value)
        return out

    def _method(self, node, func, f):
        path = self.program.resolve(func, self.visitor) if hasattr(self.program, "aliases") else None
        if isinstance(func.value, ast.Name) and func.value.id == "bytes" and func.attr == "fromhex":
            path = "bytes.fromhex"
        if path in _DECODERS or path == "bytes.fromhex":
            args = [f(a) for a in node.args]
            if any(a is _NO for a in args) or node.keywords:
                return _NO
            return bytes.fromhex(*args) if path == "bytes.fromhex" else _DECODERS[path](*args)
        if func.attr not in _STR_METHODS:
            return _NO
        obj = f(func.value)
        if not isinstance(obj, (str, bytes)):
            return _NO
        args = [f(a) for a in node.args]
        kwargs = {k.arg: f(k.value) for k in node.keywords}
        if any(a is _NO for a in args) or any(v is _NO for v in kwargs.values()):
            return _NO
        if func.attr == "format" and (_wide_format(obj) or _big_int(args) or _big_int(kwargs.values()) or any(
                not isinstance(a, (str, bytes, int, float, bool, type(None)))
                for a in list(args) + list(kwargs.values()))):
            return _NO
        if func.attr == "zfill" and (not args or not isinstance(args[0], int) or args[0] > _MAX_STR):
            return _NO
        if func.attr == "replace" and len(args) >= 2 and isinstance(args[1], (str, bytes)):
            if (len(obj) + 1) * (len(args[1]) + 1) > 50 * _MAX_STR:
                return _NO
        return getattr(obj, func.attr)(*args, **kwargs)
