"""The "implement it yourself" rule, by allowlist: what a learner's code may use.

`own_work_violations(cells, own_work, locked)` reads the learner's cells as text (`ast`: nothing
runs) and returns, for each graded name whose code uses something its part does not allow, the
reasons (each with the cell, the line and the line's code). `notebook_violations(cells, locked)`
returns what no cell of the learner's may do at all.

What a part allows (`OWN_WORK` in the assignment's helper cell: {graded name: [entries]})
------------------------------------------------------------------------------------------
- `"@tensor"`, `"@python"`, ...: a vocabulary of this module (VOCABULARIES), written once for
  the course;
- `"torch.nn.functional.softplus"`: a name reached through a module (an import of the learner's
  or of a locked cell, under any alias); `"math.*"`: everything under a module;
- `".grad"`: an attribute, taken from any value (a tensor's method, a parameter's `.grad`);
- `"len"`: a built-in, or a name that a locked cell defines (the parts list none by default).

The graded name's code is every top-level statement (a *unit*) that defines it, and every unit
that defines, changes or aliases a name that code reads, to the end: a helper function, a base
class, a table, a global an earlier cell fills. In that code every name is the learner's own
(a parameter, a local, a def, a class, an assignment of the learner's, checked in turn) or on
the part's list; every attribute is on the list, or one the learner's code sets on its own
objects (`self.lr = lr`), or an attribute of a module that leads to a listed name; every import
is of a listed module or name. Nothing else is accepted: no attribute or name starting with `_`
but `_` itself, the learner's own `_helpers` and `__init__`/`__name__`/`__class__`/`__doc__`;
no `getattr`/`setattr`/`hasattr` with a computed name; no module as a value; no name a locked
cell defines (the checks' helpers, the references) unless the part lists it; no name nobody
defines (IPython's `In`, `_`, `get_ipython`).

What no cell may do (`notebook_violations`), in any cell, reached or not: import a module
outside SCRATCH_MODULES, reach through a module a name outside SCRATCH_NAMES, use a built-in
outside SCRATCH_BUILTINS (`eval`, `exec`, `compile`, `globals`, `vars`, `open`, ...), an attribute
starting with `_` (but the few above), a computed `getattr`/`setattr`/`delattr`, `get_ipython()`
or a magic other than the harmless ones (`%matplotlib`, `%time`/`%timeit` whose code is checked
as code, ...). Scratch cells may use every built-in loss and optimizer, to compare.

What this static rule cannot see is left to the checks (which compare behaviour with the
references in the grader): a value that flows into the graded code only as the result of a call
(`r = mse_loss(a, b); r.mean = ...` with a global `r` the function returns) is not followed.
"""
import ast
import importlib.util
import os

__all__ = ["own_work_violations", "notebook_violations", "VOCABULARIES", "read_cell"]

MAX_REASONS = 5
HARMLESS_DUNDERS = {"__init__", "__name__", "__qualname__", "__class__", "__doc__"}
NAME_BUILTINS = {"getattr", "setattr", "hasattr", "delattr"}

_PYTHON_BUILTINS = [
    "abs", "all", "any", "bool", "callable", "classmethod", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "getattr", "hasattr", "hash", "id", "int", "isinstance", "iter", "len", "list", "map", "max",
    "min", "next", "object", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "setattr",
    "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "zip", "NotImplemented",
    "Exception", "ValueError", "TypeError", "RuntimeError", "NotImplementedError", "KeyError", "IndexError",
    "AssertionError", "ZeroDivisionError", "ArithmeticError", "StopIteration", "AttributeError",
]
_PYTHON_METHODS = [
    "collections.defaultdict", "collections.OrderedDict", "collections.deque", "collections.Counter", "itertools.*",
    ".append", ".extend", ".insert", ".pop", ".get", ".items", ".keys", ".values", ".setdefault", ".update",
    ".copy", ".clear", ".index", ".count", ".remove", ".format", ".join", ".real", ".imag", ".is_integer",
]
# Tensor arithmetic, reductions, shapes and creation: functions of torch and methods of tensors.
_TENSOR_FUNCS = [
    "abs", "add", "addcdiv", "addcmul", "all", "allclose", "amax", "amin", "any", "arange", "argmax", "argmin",
    "as_tensor", "bmm", "broadcast_tensors", "cat", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "clone",
    "concat", "concatenate", "cos", "count_nonzero", "cumsum", "diag", "div", "dot", "einsum", "empty",
    "empty_like", "eq", "exp", "expm1", "eye", "flatten", "flip", "float16", "float32", "float64", "bfloat16",
    "double", "floor", "full", "full_like", "gather", "ge", "gt", "index_select", "int64", "int32", "isclose",
    "isfinite", "isinf", "isnan", "le", "lerp", "linspace", "log", "log10", "log1p", "log2", "log_softmax",
    "logaddexp", "logical_and", "logical_not", "logical_or", "logsumexp", "long", "lt", "masked_fill", "matmul",
    "max", "maximum", "mean", "min", "minimum", "mm", "mul", "multiply", "ne", "neg", "negative", "norm",
    "numel", "ones", "ones_like", "outer", "pow", "prod", "rand", "rand_like", "randn", "randn_like", "randint",
    "reciprocal", "relu", "reshape", "rsqrt", "scatter", "scatter_add", "sigmoid", "sign", "sin", "softmax",
    "sqrt", "square", "squeeze", "stack", "std", "sub", "subtract", "sum", "t", "tanh", "tensor", "topk",
    "transpose", "tril", "triu", "true_divide", "unsqueeze", "var", "where", "zeros", "zeros_like", "bool",
    "finfo", "iinfo", "is_tensor", "is_floating_point", "numel", "no_grad", "enable_grad", "float", "int", "long",
    "result_type", "promote_types", "get_default_dtype", "Size", "Tensor", "dtype", "device", "inf", "nan",
    "e", "pi", "heaviside", "nan_to_num", "take_along_dim", "narrow", "split", "chunk", "unbind", "repeat_interleave",
]
_TENSOR_METHODS = [
    "T", "abs", "abs_", "add", "add_", "addcdiv", "addcdiv_", "addcmul", "addcmul_", "all", "amax", "amin", "any",
    "argmax", "argmin", "bool", "ceil", "clamp", "clamp_", "clamp_max", "clamp_min", "clamp_min_", "clip", "clone",
    "contiguous", "copy_", "cos", "cpu", "cumsum", "data", "detach", "detach_", "device", "dim", "div", "div_",
    "double", "dtype", "eps", "eq", "exp", "exp_", "expand", "expand_as", "expm1", "fill_", "flatten", "flip",
    "float", "floor", "gather", "ge", "grad", "gt", "half", "index_select", "int", "is_floating_point", "isfinite",
    "isnan", "item", "le", "lerp", "lerp_", "log", "log1p", "log_softmax", "logsumexp", "long", "lt", "masked_fill",
    "masked_fill_", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "mul_", "ndim", "ne", "neg",
    "neg_", "new_full", "new_ones", "new_tensor", "new_zeros", "norm", "numel", "pow", "pow_", "prod", "reciprocal",
    "relu", "requires_grad", "requires_grad_", "reshape", "reshape_as", "rsqrt", "scatter", "scatter_",
    "scatter_add", "shape", "sigmoid", "sign", "size", "softmax", "split", "sqrt", "sqrt_", "square", "square_",
    "squeeze", "std", "sub", "sub_", "sum", "t", "tanh", "to", "tolist", "topk", "transpose", "type_as",
    "unsqueeze", "values", "indices", "numpy", "masked_select", "nonzero", "sort", "argsort", "cumsum_", "round", "var", "view", "view_as", "where", "zero_", "max", "min", "tiny",
    "is_cuda", "chunk", "unbind", "repeat", "take_along_dim", "narrow", "nan_to_num", "float64", "float32",
]
VOCABULARIES = {
    # Python itself: the built-ins that look nothing up, the methods of lists, dicts and strings, and
    # collections' and itertools' containers.
    "@python": _PYTHON_BUILTINS + _PYTHON_METHODS,
    # Tensor arithmetic: torch's functions and the tensors' methods above, and math.
    "@tensor": [f"torch.{f}" for f in _TENSOR_FUNCS] + [f".{m}" for m in _TENSOR_METHODS] + [
        "math.*", "torch.linalg.*", "torch.special.*"],
    # A training loop: a model, a loss function, an optimizer and a data loader, used as the lesson does.
    "@training": [".train", ".eval", ".training", ".zero_grad", ".backward", ".step", ".parameters",
                  ".named_parameters", ".dataset", ".batch_size", "torch.no_grad", "torch.inference_mode",
                  "torch.set_grad_enabled", "torch.enable_grad"],
    # A network's layers, as the lesson builds them.
    "@layers": [f"torch.nn.{c}" for c in (
        "Module", "Conv2d", "MaxPool2d", "Linear", "ReLU", "Sequential", "Flatten", "Dropout", "Dropout2d",
        "BatchNorm1d", "BatchNorm2d", "LeakyReLU", "GELU", "Tanh", "Sigmoid", "AvgPool2d", "AdaptiveAvgPool2d",
        "AdaptiveMaxPool2d", "ModuleList", "ModuleDict", "Identity", "ELU", "SiLU")] + [
        f"torch.nn.functional.{f}" for f in (
            "relu", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout",
            "dropout2d", "leaky_relu", "gelu", "elu", "silu", "tanh", "sigmoid")] + [
        ".forward", ".weight", ".bias", ".in_features", ".out_features", ".out_channels", ".in_channels",
        ".kernel_size"],
}

# What any cell of the learner's may import and reach through a module: generous, so that scratch
# cells compare with the built-ins, plot and time; nothing that evaluates text, resolves a name,
# walks objects, loads code or writes files.
SCRATCH_MODULES = {
    "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.optim.lr_scheduler", "torch.utils",
    "torch.utils.data", "torch.testing", "torchvision", "torchvision.datasets", "torchvision.transforms",
    "numpy", "matplotlib", "matplotlib.pyplot", "math", "random", "time", "tqdm", "tqdm.auto", "tqdm.notebook",
    "collections", "itertools", "copy", "statistics", "json", "warnings", "ipywidgets", "os", "os.path",
}
SCRATCH_NAMES = VOCABULARIES["@python"] + VOCABULARIES["@tensor"] + VOCABULARIES["@layers"] + [
    "torch.nn.*", "torch.optim.*", "torch.utils.data.*", "torch.testing.*", "torchvision.datasets.*",
    "torchvision.transforms.*", "matplotlib.*", "random.*", "time.*", "tqdm.*", "collections.*", "copy.copy", "copy.deepcopy",
    "statistics.*", "json.*", "warnings.*", "ipywidgets.*", "math.*",
    "torch.manual_seed", "torch.seed", "torch.Generator", "torch.randperm", "torch.cuda.is_available",
    "torch.backends.mps.is_available", "torch.get_num_threads", "torch.set_num_threads", "torch.set_printoptions",
    "torch.from_numpy", "torch.__version__", "torch.cdist", "torch.histc", "torch.sort", "torch.argsort",
    "torch.unique", "torch.round", "torch.trunc", "torch.frac", "torch.fmod", "torch.remainder", "torch.cumprod",
    "torch.meshgrid", "torch.logspace", "torch.bernoulli", "torch.multinomial", "torch.normal", "torch.uint8",
    "torch.int8", "torch.int16", "torch.complex64", "torch.equal", "torch.autograd.grad", "torch.randint_like",
    "torch.nn.functional.*", "os.environ", "os.path.*", "os.getcwd", "os.cpu_count", "torch.save", "torch.compile", "torch.inference_mode", "torch.set_grad_enabled",
] + [f"numpy.{f}" for f in (
    "array", "asarray", "linspace", "arange", "zeros", "ones", "mean", "std", "sum", "sqrt", "exp", "log", "abs",
    "max", "min", "argmax", "argmin", "pi", "e", "float32", "float64", "int64", "clip", "where", "maximum",
    "minimum", "allclose", "isclose", "round", "cumsum", "diff", "histogram", "meshgrid", "stack", "concatenate",
    "logspace", "percentile", "median", "sort", "unique", "full", "inf", "nan", "log1p", "square", "tanh",
    "random.*", "linalg.*", "testing.*", "ndarray", "var", "prod", "polyfit", "polyval", "convolve", "ones_like",
    "zeros_like", "argsort", "corrcoef", "vstack", "hstack", "isfinite", "nanmean", "exp2", "power")]
SCRATCH_BUILTINS = set(_PYTHON_BUILTINS) | {
    "delattr", "dir", "help", "format", "chr", "ord", "bin", "hex", "oct", "complex", "bytes", "bytearray",
    "ascii", "issubclass", "display", "Warning", "UserWarning", "KeyboardInterrupt", "True", "False", "None",
}
HARMLESS_MAGICS = {"matplotlib", "load_ext", "autoreload", "config", "who", "whos", "who_ls", "pwd", "pinfo",
                   "pinfo2", "pdef", "pdoc", "psource", "lsmagic", "magic", "precision"}
CODE_MAGICS = {"time", "timeit", "capture"}


# ----------------------------------------------------------------------------------------------
# Reading a cell

def read_cell(source):
    """(tree, None) for a cell's source, IPython's syntax turned into Python first, or (None, why)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        source = TransformerManager().transform_cell(source)
    except Exception:  # IPython could not read it: the kernel could not either
        pass
    try:
        return ast.parse(source), None
    except SyntaxError as e:
        return None, f"does not parse ({e.msg}, line {e.lineno})"
    except (RecursionError, MemoryError, ValueError):
        return None, "cannot be read (nested too deeply)"


def _magic(node):
    """(kind, name, code) for a statement that is `get_ipython().run_line_magic/run_cell_magic(...)`."""
    call = node.value if isinstance(node, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name)
            and call.func.value.func.id == "get_ipython" and not call.func.value.args):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in call.args]
    if call.func.attr == "run_line_magic" and len(args) == 2 and None not in args:
        return "line", args[0].lstrip("%"), args[1]
    if call.func.attr == "run_cell_magic" and len(args) == 3 and None not in args:
        return "cell", args[0], args[2]
    return "other", call.func.attr, None


class Unit:
    """One top-level statement of a learner's cell, and what it binds, changes and reads."""

    def __init__(self, node, cell, lines, tree_lines):
        self.node, self.cell, self.lines = node, cell, lines
        self.binds, self.changes, self.reads, self.aliases = set(), set(), set(), set()
        self.effects = set()  # globals a def changes when it is called
        _Names(self).visit_top(node)

    def line(self, node):
        lineno = getattr(node, "lineno", None) or getattr(self.node, "lineno", 1)
        text = self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""
        cell = self.cell if str(self.cell).isdigit() else f"'{self.cell}'"
        return f"cell {cell} line {lineno}: `{text[:70]}`"


class _Names(ast.NodeVisitor):
    """Fills a Unit's sets: the global names its statement binds, changes, reads and aliases."""

    def __init__(self, unit):
        self.unit = unit
        self.scopes = []  # local names of the enclosing functions
        self.globals = []  # names declared global in them

    def visit_top(self, node):
        self.visit(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.unit.binds.add(node.name)

    def _local(self, name):
        return any(name in s for s in self.scopes) and not any(name in g for g in self.globals)

    def _function(self, node, args, body):
        local = _local_names(node)
        self.scopes.append(local)
        self.globals.append({n for sub in ast.walk(node) if isinstance(sub, ast.Global) for n in sub.names})
        for child in ([args] if args else []) + (body if isinstance(body, list) else [body]):
            self.visit(child)
        declared = self.globals.pop()
        self.scopes.pop()
        self.unit.effects |= declared
        if not self.scopes:
            self.unit.binds |= declared

    def visit_FunctionDef(self, node):
        for d in node.decorator_list:
            self.visit(d)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self._function(node, None, node.body)
        if self.scopes:
            self.scopes[-1].add(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self._function(node, None, node.body)

    def visit_ClassDef(self, node):
        for child in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(child)
        self._function(node, None, node.body)

    def _comprehension(self, node):
        self._function(node, None, [g for g in node.generators] + [
            *(e for e in (getattr(node, "elt", None), getattr(node, "key", None), getattr(node, "value", None)) if e)])

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Name(self, node):
        if self._local(node.id):
            return
        if isinstance(node.ctx, ast.Load):
            self.unit.reads.add(node.id)
        elif not self.scopes:
            self.unit.binds.add(node.id)
        else:
            self.unit.effects.add(node.id)

    def _root(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):  # not through a call's result
            node = node.value
        return node.id if isinstance(node, ast.Name) and not self._local(node.id) else None

    def _changed(self, target):
        for t in ast.walk(target):
            if isinstance(t, (ast.Attribute, ast.Subscript)):
                name = self._root(t)
                if name:
                    (self.unit.effects if self.scopes else self.unit.changes).add(name)

    def visit_Assign(self, node):
        for t in node.targets:
            self._changed(t)
        self._alias(node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._changed(node.target)
        if isinstance(node.target, ast.Name) and not self._local(node.target.id):
            (self.unit.effects if self.scopes else self.unit.changes).add(node.target.id)
        self._alias(node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._changed(node.target)
        if node.value:
            self._alias(node.value)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for t in node.targets:
            self._changed(t)
        self.generic_visit(node)

    def visit_Call(self, node):
        # a method called on a global may change it; a global passed to a call may be changed
        if isinstance(node.func, ast.Attribute):
            name = self._root(node.func.value)
            if name:
                (self.unit.effects if self.scopes else self.unit.changes).add(name)
        # a global passed to a function of the learner's (or to setattr) may be changed by it; torch's
        # functions and the methods of values change nothing they are given but their own object
        if isinstance(node.func, ast.Name) and (node.func.id not in _BUILTIN_NAMES or node.func.id in ("setattr", "delattr")):
            for arg in node.args + [k.value for k in node.keywords]:
                for n in ast.walk(arg):
                    if isinstance(n, ast.Name) and not self._local(n.id):
                        (self.unit.effects if self.scopes else self.unit.changes).add(n.id)
        self.generic_visit(node)

    def _alias(self, value):
        """Globals used as values, not only called (`f(x)` aliases x, not f; `m.to(d)` aliases m):
        the assigned name may be the same object."""
        if self.scopes:  # inside a function, only its locals get the value (a `global` is a binding)
            return
        called = {id(n.func) for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        inner = set()  # names a comprehension or lambda in the value binds for itself
        for n in ast.walk(value):
            if isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)):
                inner |= _local_names(n)
        for n in ast.walk(value):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in inner and id(n) not in called:
                self.unit.aliases.add(n.id)

    def visit_Return(self, node):
        if node.value is not None:
            self._alias(node.value)
        self.generic_visit(node)

    def visit_Import(self, node):
        for a in node.names:
            name = a.asname or a.name.split(".")[0]
            if self.scopes:
                self.scopes[-1].add(name)
            else:
                self.unit.binds.add(name)

    visit_ImportFrom = visit_Import


def _local_names(node):
    """The names a function, lambda, class body or comprehension binds in its own scope."""
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        names |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
        names |= {x.arg for x in (a.vararg, a.kwarg) if x}
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        for g in node.generators:
            names |= {n.id for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        return names
    body = node.body if isinstance(node.body, list) else [node.body]
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            stack.extend(n.decorator_list)
            continue
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {a.asname or a.name.split(".")[0] for a in n.names}
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            names.add(n.name)
        elif isinstance(n, ast.NamedExpr):
            names.add(n.target.id)
        stack.extend(ast.iter_child_nodes(n))
    if isinstance(node, ast.ClassDef):
        return names  # a class body's names are attributes, not locals of its methods
    return names


# ----------------------------------------------------------------------------------------------
# A program: the learner's cells as units, and the modules every cell can reach by name

class Program:
    def __init__(self, cells, locked=()):
        self.units, self.unread = [], []
        self.modules = {}  # global name -> module path, from the learner's and the locked cells' imports
        self.locked = set()  # names the locked cells bind (not imports)
        for source in locked:
            tree, _ = read_cell(source)
            for node in tree.body if tree else []:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    self.modules.update(_import_paths(node))
                else:
                    self.locked |= _top_binds(node)
        self.locked -= set(self.modules)
        self.learner_modules = {}
        for cell, source in cells:
            tree, why = read_cell(source)
            if tree is None:
                self.unread.append((cell, why, source))
                continue
            lines = source.splitlines()
            for node in tree.body:
                self.units.append(Unit(node, cell, lines, None))
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    self.learner_modules.update(_import_paths(node))
        self.own = set().union(*(u.binds for u in self.units)) if self.units else set()
        outside = (set(self.modules) | set(self.learner_modules) | _BUILTIN_NAMES) - self.own
        for u in self.units:  # modules and built-ins are not the learner's objects to change
            u.changes -= outside
            u.effects -= outside
            u.aliases -= outside
        # a learner's import binds a module alias; any other binding makes the name the learner's value
        plain = set().union(*(u.binds for u in self.units if not isinstance(u.node, (ast.Import, ast.ImportFrom)))) \
            if self.units else set()
        self.modules.update(self.learner_modules)
        for name in plain:
            self.modules.pop(name, None)

    def reached(self, name):
        """The units that make up `name`'s code: those that define it, and, to the end, those that
        define, change or alias a name that code reads, and the calls of a def that changes one."""
        names, called, done = {name}, set(), []
        todo = list(range(len(self.units)))
        changed = True
        while changed:
            changed = False
            for i in list(todo):
                u = self.units[i]
                hit = (u.binds | u.changes | u.effects) & names or u.reads & called \
                    or (u.aliases & names and (u.binds or u.changes))
                if not hit:
                    continue
                todo.remove(i)
                done.append(i)
                changed = True
                new = (u.reads | u.binds | u.changes | u.aliases) - set(self.modules)
                if u.effects & names or u.effects & new:
                    called |= u.binds
                names |= new
        return [self.units[i] for i in sorted(done)]


def _import_paths(node):
    """{bound name: module path or dotted name} for an import statement."""
    found = {}
    for a in node.names:
        if isinstance(node, ast.Import):
            found[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and not node.level and a.name != "*":
            found[a.asname or a.name] = f"{node.module}.{a.name}"
    return found


def _top_binds(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


# ----------------------------------------------------------------------------------------------
# The rule: what a piece of code uses, against a list

class Allowed:
    """A part's list, its vocabularies expanded."""

    def __init__(self, entries):
        self.names, self.attrs, self.paths, self.prefixes = set(), set(), set(), set()
        for entry in _expand(entries):
            if entry.startswith("."):
                self.attrs.add(entry[1:])
            elif entry.endswith(".*"):
                self.prefixes.add(entry[:-2])
            elif "." in entry:
                self.paths.add(entry)
            else:
                self.names.add(entry)

    def path(self, dotted):
        if dotted in self.paths:
            return True
        if any(part.startswith("_") for part in dotted.split(".")):
            return False
        return any(dotted.startswith(p + ".") and _only_modules_under(p, dotted) for p in self.prefixes)

    def module(self, dotted):
        """May code import the module `dotted` (something under it is allowed)?"""
        return (dotted in self.prefixes or any(p.startswith(dotted + ".") for p in self.paths | self.prefixes)
                or any(dotted.startswith(p + ".") for p in self.prefixes))


def _only_modules_under(prefix, dotted):
    """Whether every module on the way from `prefix` to `dotted` is itself under `prefix`: a module
    re-exports the modules it imports (`matplotlib.pyplot.sys`, `torch.nn.functional.torch`), and a
    wildcard stops there. What cannot be found by getattr (made at run time) is an AttributeError there."""
    import importlib
    import types
    try:
        value = importlib.import_module(prefix)
    except Exception:
        return False
    path = prefix
    for part in dotted[len(prefix) + 1:].split("."):
        path += "." + part
        try:
            value = getattr(value, part)
        except AttributeError:
            try:  # a submodule not imported yet
                value = importlib.import_module(path)
            except Exception:
                return True
        except Exception:
            return True
        if isinstance(value, types.ModuleType):
            name = getattr(value, "__name__", "")
            if not (name == prefix or name.startswith(prefix + ".")):
                return False
    return True


def _expand(entries):
    for entry in entries:
        if entry.startswith("@"):
            if entry not in VOCABULARIES:
                raise ValueError(f"OWN_WORK names the vocabulary {entry}, which grader/own_work.py does not have "
                                 f"(it has {', '.join(sorted(VOCABULARIES))})")
            yield from VOCABULARIES[entry]
        else:
            yield entry


class _Check(ast.NodeVisitor):
    """Walks units and reports what they use that `allowed` does not allow."""

    def __init__(self, program, allowed, own_attrs, unit, scratch=False):
        self.p, self.allowed, self.own_attrs, self.unit, self.scratch = program, allowed, own_attrs, unit, scratch
        self.scopes, self.found = [], []

    def report(self, node, what):
        self.found.append(f"{self.unit.line(node)} {what}")

    def run(self):
        magic = _magic(self.unit.node)
        if magic:
            kind, name, code = magic
            if kind == "line" and name in HARMLESS_MAGICS:
                return self.found
            if name in CODE_MAGICS and code is not None:
                tree, why = read_cell(code)
                if tree is None:
                    self.report(self.unit.node, f"runs code that {why}")
                for node in tree.body if tree else []:
                    self.visit(node)
                return self.found
            self.report(self.unit.node, f"runs the IPython command %{name}, which is not allowed")
            return self.found
        self.visit(self.unit.node)
        return self.found

    # names

    def _local(self, name):
        return any(name in s for s in self.scopes)

    def _module(self, name):
        """The module path a name stands for here, or None."""
        if self._local(name):
            return None
        return self.p.modules.get(name)

    def visit_Name(self, node):
        name = node.id
        if not isinstance(node.ctx, ast.Load) or self._local(name):
            return
        path = self._module(name)
        if path is not None:
            self._path(node, path)
            return
        if name in self.p.own:
            return
        if name in self.allowed.names:
            return
        if self.scratch:
            return  # scratch cells may call the helpers; the built-ins are checked by notebook_violations
        if name in self.p.locked:
            self.report(node, f"uses {name}, a helper of the notebook's locked cells")
        else:
            self.report(node, f"uses {name}")

    def _path(self, node, dotted):
        if self.allowed.path(dotted):
            return
        self.report(node, f"uses {dotted}")

    def visit_Attribute(self, node):
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        chain.reverse()
        if isinstance(base, ast.Name) and self._module(base.id) is not None:
            # a module's name: the longest listed path, then attributes of what it gives
            root = self._module(base.id)
            for k in range(len(chain), 0, -1):
                dotted = ".".join([root] + chain[:k])
                if self.allowed.path(dotted):
                    for attr in chain[k:]:
                        self._attr(node, attr)
                    if isinstance(node.ctx, (ast.Store, ast.Del)):
                        self.report(node, f"changes {'.'.join([root] + chain)}")
                    return
            self.report(node, f"uses {'.'.join([root] + chain)}")
            return
        self.visit(base)
        for i, attr in enumerate(chain):
            self._attr(node, attr, store=isinstance(node.ctx, (ast.Store, ast.Del)) and i == len(chain) - 1)

    def _attr(self, node, attr, store=False):
        if attr.startswith("_") and attr not in HARMLESS_DUNDERS:
            self.report(node, f"uses the attribute .{attr} (a name starting with _)")
        elif store or attr in self.allowed.attrs or attr in self.own_attrs or self.scratch:
            return
        elif attr not in HARMLESS_DUNDERS:
            self.report(node, f"uses .{attr}")

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in NAME_BUILTINS and not self._local(func.id) \
                and func.id not in self.p.own:
            if len(node.args) < 2 or not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                self.report(node, f"uses {func.id}() with a computed attribute name")
            else:
                self.visit(node.args[0])
                self._attr(node, node.args[1].value, store=func.id in ("setattr", "delattr"))
                if func.id not in (self.allowed.names if not self.scratch else SCRATCH_BUILTINS):
                    self.report(node, f"uses {func.id}")
                for arg in node.args[2:] + [k.value for k in node.keywords]:
                    self.visit(arg)
                return
        self.generic_visit(node)

    # scopes

    def _function(self, node, body):
        for d in getattr(node, "decorator_list", []):
            self.visit(d)
        if not isinstance(node, ast.ClassDef):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(default)
            for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs + [node.args.vararg, node.args.kwarg]:
                if a is not None and a.annotation is not None:
                    self.visit(a.annotation)
        else:
            for child in node.bases + [k.value for k in node.keywords]:
                self.visit(child)
        self.scopes.append(_local_names(node) - (set() if not isinstance(node, ast.ClassDef) else set()))
        for child in body if isinstance(body, list) else [body]:
            self.visit(child)
        self.scopes.pop()

    def visit_FunctionDef(self, node):
        self._function(node, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._function(node, node.body)

    def visit_ClassDef(self, node):
        # a class body's names are not visible in its methods, but a class body reads its own
        for d in node.decorator_list:
            self.visit(d)
        for child in node.bases + [k.value for k in node.keywords]:
            self.visit(child)
        self.scopes.append(_local_names(node))
        for child in node.body:
            self.visit(child)
        self.scopes.pop()

    def _comprehension(self, node):
        self.scopes.append(_local_names(node))
        for g in node.generators:
            self.visit(g)
        for e in (getattr(node, "elt", None), getattr(node, "key", None), getattr(node, "value", None)):
            if e is not None:
                self.visit(e)
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    # imports

    def visit_Import(self, node):
        for a in node.names:
            if not self._importable(a.name):
                self.report(node, f"imports {a.name}")

    def visit_ImportFrom(self, node):
        if node.level:
            self.report(node, "imports from a relative module")
            return
        for a in node.names:
            if a.name == "*":
                self.report(node, f"imports everything from {node.module}")
            elif not (self._importable(f"{node.module}.{a.name}") or self.allowed.path(f"{node.module}.{a.name}")):
                self.report(node, f"imports {node.module}.{a.name}")

    def _importable(self, dotted):
        if any(part.startswith("_") for part in dotted.split(".")):
            return False
        if self.scratch:
            return dotted in SCRATCH_MODULES
        return self.allowed.module(dotted) or dotted in self.allowed.paths


def own_attributes(units):
    """Attribute names the learner's code gives its own objects: `X.name = ...` (any target),
    `setattr(X, "name", ...)`, and what a class of theirs defines in its body."""
    names = set()
    for u in units:
        for n in ast.walk(u.node):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                names.add(n.attr)
            elif isinstance(n, ast.ClassDef):
                for stmt in n.body:
                    names |= _top_binds(stmt)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" \
                    and len(n.args) >= 2 and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str):
                names.add(n.args[1].value)
    return {n for n in names if not n.startswith("_")}


# ----------------------------------------------------------------------------------------------
# The two checks

def own_work_violations(cells, own_work, locked=()):
    """{graded name: [reasons]} for each name in `own_work` ({name: [entries]}) whose code uses
    what its part does not allow; `cells` are the learner's [(cell name, source)], `locked` the
    locked cells' sources (their imports and the names they define)."""
    program = Program(cells, locked)
    found = {}
    for name, entries in own_work.items():
        allowed = Allowed(entries)
        units = program.reached(name)
        own_attrs = own_attributes(units)
        reasons = []
        for unit in units:
            reasons += _Check(program, allowed, own_attrs, unit).run()
        for cell, why, source in program.unread:
            if name in source:
                reasons.append(f"cell {cell} {why}")
        if reasons:
            found[name] = list(dict.fromkeys(reasons))[:MAX_REASONS]
    return found


def notebook_violations(cells, locked=()):
    """What the learner's cells, any of them, use that no cell may: [reasons], at most 5."""
    program = Program(cells, locked)
    allowed = Allowed(SCRATCH_NAMES + sorted(SCRATCH_BUILTINS))
    reasons = []
    for unit in program.units:
        check = _Check(program, allowed, set(), unit, scratch=True)
        for reason in check.run():
            reasons.append(reason)
        for n in ast.walk(unit.node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in program.own \
                    and n.id not in program.modules and n.id not in program.locked and not _magic(unit.node) \
                    and (n.id in _BUILTIN_NAMES and n.id not in SCRATCH_BUILTINS or n.id == "get_ipython"
                         or n.id.startswith("__")):
                reasons.append(f"{unit.line(n)} uses {n.id}")
    return list(dict.fromkeys(reasons))[:MAX_REASONS]


_BUILTIN_NAMES = set(dir(__import__("builtins")))
