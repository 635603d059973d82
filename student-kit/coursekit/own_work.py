"""The "implement it yourself" rule, by allowlist: what a learner's code may use, and what runs.

`grading_plan(cells, locked, own_work, answers)` reads the learner's cells as text (`ast`: nothing
runs) and returns what grading does with them: for each graded name whose code uses something its
part does not allow, the reasons (each with the cell, the line and the line's code); and, for each
learner cell, the part of it that runs in the kernel when graded. Only the code that some graded
name needs runs there, and only once it has passed that name's list: a scratch cell (a comparison
with the built-in, a plot, a timing, a magic) is not run when graded, so nothing the check has not
accepted ever runs in the learner's kernel, and nothing outside a graded name's code can change it.

What a part allows (`OWN_WORK` in the assignment's helper cell: {graded name: [entries]})
------------------------------------------------------------------------------------------
- `"@tensor"`, `"@python"`, ...: a vocabulary of this module (VOCABULARIES), written once for
  the course;
- `"torch.nn.functional.softplus"`: a name reached through a module (an import of the learner's
  or of a locked cell, under any alias); `"math.*"`: everything under a module (but what it
  imported from elsewhere: `matplotlib.pyplot.sys` is not under `matplotlib`);
- `".grad"`: an attribute, taken from any value (a tensor's method, a parameter's `.grad`);
- `"len"`: a built-in, or a name that a locked cell defines (the parts list none by default).
Names the checks read from the kernel that OWN_WORK does not list (a quiz's answer) may use
`"@python"`.

A graded name's code is every top-level statement (a *unit*) that defines it, and every unit that
defines or changes (`X.a = ...`, `X[k] = ...`, `X += ...`, `X.append(...)`) a name that code
reads, to the end, with the imports it reads and the calls of a function of the learner's that
sets one of those names (`global`): a helper function, a base class, a table, a constant in another
cell. In that code every name is the learner's own (a parameter, a local, a def, a class, an
assignment of the learner's, checked in turn) or on the part's list; every attribute is on the
list, or one the learner's code sets on its own objects (`self.rate = rate`), or an attribute of a
module that leads to a listed name; every import is of a listed module or name. Nothing else is
accepted: no module as a value, no attribute or name starting with `_` but `_` itself, the
learner's own `_helpers` and `__init__`/`__name__`/`__class__`; no `getattr`/`setattr`/
`hasattr` with a computed name; no name a locked cell defines (the checks' helpers) unless the part
lists it; no name nobody defines (IPython's `In`, `_`, `get_ipython`, and so no magic). And the
code a graded function reaches holds at most DATA_BUDGET bytes of data and CODE_BUDGET syntax-tree
nodes: it computes its answer, it does not carry one worked out elsewhere.

A unit runs when graded if some graded name's code holds it and passes that name's list; the
other lines of a learner's cell are blanked (line numbers kept). So code the analysis misses is
code that does not run: an honest learner's function that needs it fails its check (a NameError),
never a dishonest one that passes.
"""
import ast
import builtins
import copy
import re

from .reading import bound_anywhere, captures, import_paths, module_level_names, python_text, read_cell

__all__ = ["embedded_data", "grading_plan", "notebook_plan", "own_work_lists", "names_the_checks_read", "VOCABULARIES", "read_cell"]

MAX_REASONS = 5


def _introspection():
    """The public attributes of Python's frames, code objects, generators, coroutines, tracebacks,
    functions and modules (`gi_frame`, `f_globals`, `co_consts`, ...): the roads to any object of the
    process, never allowed, not even as the learner's own attribute names. Read from the types."""
    import types
    kinds = (types.FrameType, types.CodeType, types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType,
             types.TracebackType, types.FunctionType, types.MethodType, types.ModuleType, types.CellType)
    names = {n for kind in kinds for n in dir(kind) if not n.startswith("_")}
    return names - {"clear", "close", "send", "throw", "replace", "count", "index"}


INTROSPECTION = _introspection()
# not __class__ (assigned, it swaps the class), nor __doc__ (a docstring is documentation, never data: DATA_BUDGET)
HARMLESS_DUNDERS = {"__init__", "__name__", "__qualname__"}
NAME_BUILTINS = {"getattr", "setattr", "hasattr", "delattr"}
# Names the kernel's namespace holds before the learner's code runs: Python's built-ins and IPython's
# (its history, its shell, `_1`, `_i1`, ...). A learner's name that is also one of these is theirs
# only when their own def or class binds it.
BUILTIN_NAMES = set(dir(builtins)) | {"In", "Out", "get_ipython", "exit", "quit", "display", "_ih", "_oh", "_dh",
                                      "_i", "_ii", "_iii", "_", "__", "___"}
IPYTHON_NUMBERED = re.compile(r"_i?\d+")
# What a class of the learner's may define with a double underscore: the protocols a plain class
# needs. Not __match_args__, __instancecheck__, __getattr__, __eq__, ...: hooks that reach past the code.
CLASS_DUNDERS = {"__init__", "__call__", "__len__", "__iter__", "__next__", "__getitem__", "__setitem__",
                 "__contains__", "__repr__", "__str__", "__enter__", "__exit__", "__slots__", "__doc__"}
# Built-in types whose class pattern `case int(x)` binds the subject itself, reading no attribute
SELF_MATCHING = {"bool", "bytearray", "bytes", "dict", "float", "frozenset", "int", "list", "set", "str", "tuple"}

_PYTHON_BUILTINS = [
    "abs", "all", "any", "bool", "callable", "classmethod", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "getattr", "hasattr", "hash", "id", "int", "isinstance", "iter", "len", "list", "map", "max",
    "min", "next", "object", "pow", "print", "property", "range", "repr", "reversed", "round", "set", "setattr",
    "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "zip", "NotImplemented",
    "Exception", "ValueError", "TypeError", "RuntimeError", "NotImplementedError", "KeyError", "IndexError",
    "AssertionError", "ZeroDivisionError", "ArithmeticError", "StopIteration", "AttributeError", "ImportError",
    "ModuleNotFoundError", "LookupError", "OverflowError",
]
_PYTHON_METHODS = [
    "collections.defaultdict", "collections.OrderedDict", "collections.deque", "collections.Counter", "itertools.*", "itertools.chain.from_iterable",
    "typing.Optional", "typing.List", "typing.Dict", "typing.Tuple", "typing.Iterable", "typing.Iterator",
    "typing.Sequence", "typing.Union", "typing.Callable", "typing.Any",
    ".append", ".extend", ".insert", ".pop", ".get", ".items", ".keys", ".values", ".setdefault", ".update",
    ".copy", ".clear", ".index", ".count", ".remove", ".join", ".real", ".imag", ".is_integer",
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
    "e", "pi", "heaviside", "nan_to_num", "take", "take_along_dim", "narrow", "split", "chunk", "unbind", "repeat_interleave",
    "xlogy", "preserve_format", "isinf", "log2", "sin", "logaddexp", "tril", "mm", "dot", "nonzero", "masked_select",
    "sort", "argsort", "round", "trunc", "cumprod", "diff", "vstack", "hstack", "expand_copy", "softplus",
    "logit", "erf", "bernoulli", "uint8", "bool", "softmax", "sigmoid", "tensordot", "kron", "diagonal", "trace",
    "nanmean", "nansum", "ravel",
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
    "is_cuda", "chunk", "unbind", "repeat", "take", "take_along_dim", "narrow", "nan_to_num", "float64", "float32",
    "count_nonzero", "nelement", "type", "dot", "mm", "log2", "sin", "cos", "logaddexp", "tril", "triu", "isinf",
    "bmm", "einsum", "outer", "exp2", "floor", "trunc", "cumprod", "diff", "log10", "lt_", "gt_", "permute",
    "movedim", "unflatten", "sum_to_size", "logical_not", "logical_and", "logical_or", "all", "any", "diagonal",
    "heaviside", "xlogy", "square", "erf", "logit", "clip_", "item", "element_size", "storage_offset", "stride",
    "conj", "conj_physical", "resolve_conj", "mT", "nanmean", "nansum", "ravel",
    "is_contiguous", "new_empty", "fill_diagonal_", "index_add", "index_add_", "index_fill", "scatter_add_",
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
        "AdaptiveMaxPool2d", "ModuleList", "ModuleDict", "Identity", "ELU", "SiLU")] + ["torch.nn.init.*"] + [
        f"torch.nn.functional.{f}" for f in (
            "relu", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "dropout",
            "dropout2d", "leaky_relu", "gelu", "elu", "silu", "tanh", "sigmoid")] + [
        ".forward", ".weight", ".bias", ".in_features", ".out_features", ".out_channels", ".in_channels",
        ".kernel_size", ".modules", ".children", ".apply", ".add_module", ".register_buffer",
        ".training"],  # (read, as `F.dropout(x, 0.5, self.training)`)
}


# ----------------------------------------------------------------------------------------------
# Reading a cell

def own_work_lists(locked):
    """The OWN_WORK dict that the locked cells (sources) define, read from their constant
    assignments, in order (a list named in OWN_WORK is defined before it). {} when none does."""
    names = {}
    for source in locked:
        tree, _ = read_cell(source)
        for stmt in tree.body if tree else []:
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                try:
                    value = eval(compile(ast.Expression(stmt.value), "<OWN_WORK>", "eval"), {"__builtins__": {}, **names})
                except Exception:  # not a constant (a call of the cell's functions): not a list of OWN_WORK
                    continue
                for t in stmt.targets:
                    names[t.id] = value
    lists = names.get("OWN_WORK", {})
    return {str(k): [str(e) for e in v] for k, v in lists.items()} if isinstance(lists, dict) else {}


class Unit:
    """One top-level statement of a learner's cell, and what it binds, changes and reads."""

    def __init__(self, node, cell, lines):
        self.node, self.cell, self.lines = node, cell, lines
        self.binds, self.changes, self.reads = set(), set(), set()
        self.effects = set()  # globals a def binds or changes when it is called
        # globals whose object (or a part of it) this statement lets go as a value, at the top level or
        # in a def: an alias, an argument, an element, a default, a return value (_Names._escapes)
        self.escapes, self.escapes_in_def = set(), set()
        self.lets_go = set()  # the learner's values a def lets go (Program fills it)
        self.hands_out = set()  # globals a def returns or yields (in a container or not): its callers get them
        # learner globals whose call's result this statement stores into or changes (`keep()["k"] = v`,
        # `Box().store[k] = v`, `d = make(); d[k] = v`): what a call hands back may be their state
        self.call_changes, self.call_effects = set(), set()
        self.first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        self.last = getattr(node, "end_lineno", None) or node.lineno
        _Names(self).visit_top(node)

    def line(self, node):
        lineno = getattr(node, "lineno", None) or self.node.lineno
        text = self.lines[lineno - 1].strip() if 0 < lineno <= len(self.lines) else ""
        cell = self.cell if str(self.cell).isdigit() else f"'{self.cell}'"
        return f"cell {cell} line {lineno}: `{text[:70]}`"


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _constant(node):
    """Whether an expression is a constant that no alias can change (a number, a string, a tuple of them)."""
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_constant(e) for e in node.elts)
    return isinstance(node, ast.Constant)


# Built-ins that read what they are given and hand none of it back: a global passed to one is not let go.
READING_BUILTINS = {"len", "isinstance", "int", "float", "str", "bool", "abs", "round", "repr", "print", "hash",
                    "id", "callable", "hasattr", "range", "format"}


def _outside(node):
    """What a def, lambda or class evaluates where it is written: decorators, defaults, annotations, bases."""
    if isinstance(node, ast.ClassDef):
        return node.decorator_list + node.bases + [k.value for k in node.keywords]
    if isinstance(node, _COMPREHENSIONS):  # the first iterable is evaluated where it is written
        return [node.generators[0].iter]
    a = node.args
    args = [x for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x is not None]
    return (list(getattr(node, "decorator_list", [])) + a.defaults + [d for d in a.kw_defaults if d is not None]
            + [x.annotation for x in args if x.annotation is not None]
            + ([node.returns] if getattr(node, "returns", None) is not None else []))


def _inside(node):
    """What runs in a def's, lambda's, class body's or comprehension's own scope."""
    if isinstance(node, _COMPREHENSIONS):
        first = node.generators[0]
        return [first.target, *first.ifs, *node.generators[1:]] + [
            e for e in (getattr(node, "elt", None), getattr(node, "key", None), getattr(node, "value", None))
            if e is not None]
    return node.body if isinstance(node.body, list) else [node.body]


def _visible(scopes, name):
    """The innermost of `scopes` ([(node, local names, ...)], outermost first) where `name` is local, as
    Python finds it: a class body's names are seen in that body alone, not in the functions, lambdas
    and comprehensions inside it. None when `name` is global there."""
    for i in range(len(scopes) - 1, -1, -1):
        if isinstance(scopes[i][0], ast.ClassDef) and i != len(scopes) - 1:
            continue
        if name in scopes[i][1]:
            return scopes[i]
        if name in _declared_here(scopes[i][0], (ast.Global,)):
            return None
    return None


class _Scoped(ast.NodeVisitor):
    """A visitor that enters each scope with `_scope(node, children)`, after what is evaluated outside it."""

    def _enter(self, node):
        for child in _outside(node):
            self.visit(child)
        self._scope(node, _inside(node))

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _enter
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter


class _Names(_Scoped):
    """Fills a Unit's sets: the global names its statement binds, changes and reads."""

    def __init__(self, unit):
        self.unit = unit
        self.scopes = []  # (node, local names) of the enclosing functions, classes and comprehensions
        self.globals = []  # names declared global in them
        self.derived = []  # {local name: the learner's global whose call made its value} of each of them

    def visit_top(self, node):
        self.parents = {child: parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
        self.visit(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.unit.binds.add(node.name)

    def _local(self, name):
        return _visible(self.scopes, name) is not None

    def _changed(self, name):
        (self.unit.effects if self.scopes else self.unit.changes).add(name)

    def _scope(self, node, children):
        self.derived.append({})
        self.scopes.append((node, _local_names(node)))
        self.globals.append({n for sub in ast.walk(node) if isinstance(sub, ast.Global) for n in sub.names})
        for child in children:
            self.visit(child)
        self.unit.effects |= self.globals.pop()
        self.scopes.pop()
        self.derived.pop()

    def visit_Name(self, node):
        if self._local(node.id):
            return
        if isinstance(node.ctx, ast.Load):
            self.unit.reads.add(node.id)
            chain = self._escapes(node)
            if chain:
                (self.unit.escapes_in_def if self.scopes else self.unit.escapes).add((node.id, chain))
                if self.scopes and self._handed_out(node):
                    self.unit.hands_out.add(node.id)
        elif not self.scopes:
            self.unit.binds.add(node.id)
        else:
            self.unit.effects.add(node.id)  # a `global` name a function binds

    def _escapes(self, node):
        """Whether the object a global names, or a part of it (`G`, `G["k"]`, `G.a`), leaves this
        expression as a value that other code may change (an alias, an argument, an element of a new
        container, a default, a loop's item, a return value): "name" for the name itself, "part" for
        a part of it, "" when it is only read (called, compared, computed with, indexed by, printed)."""
        top = node
        while isinstance(self.parents.get(top), (ast.Attribute, ast.Subscript)) and self.parents[top].value is top:
            top = self.parents[top]
        parent = self.parents.get(top)
        if isinstance(top.ctx, (ast.Store, ast.Del)):
            return ""  # a store into it: a change, which _targets records
        if isinstance(parent, ast.Call) and (parent.func is top or (
                isinstance(parent.func, ast.Name) and parent.func.id in READING_BUILTINS)):
            return ""
        if isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.FormattedValue, ast.Expr, ast.Assert,
                               ast.If, ast.While)) or (isinstance(parent, ast.IfExp) and parent.test is top):
            return ""
        if isinstance(parent, ast.Subscript) and parent.slice is top:
            return ""
        if isinstance(parent, ast.Attribute):  # (a method of the part read: its call is a change, visit_Call)
            return ""
        return "name" if top is node else "part"

    def _handed_out(self, node):
        """Whether the value at `node` leaves its function as what it returns or yields (in a container,
        a call's argument, a conditional or not)."""
        while True:
            parent = self.parents.get(node)
            if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom)) or (
                    isinstance(parent, ast.Lambda) and parent.body is node):
                return True
            if isinstance(parent, ast.Call) and parent.func is node:  # (what the call returns is not it)
                return False
            if not isinstance(parent, (ast.Attribute, ast.Subscript, ast.Starred, ast.List, ast.Tuple, ast.Set,
                                       ast.Dict, ast.IfExp, ast.BoolOp, ast.Call, ast.keyword, ast.NamedExpr,
                                       *_COMPREHENSIONS)):
                return False
            node = parent

    def _made_by(self, node):
        """(the global whose call made the object at `node`, the first thing read of what the call
        returned: an attribute's name, "[]" for an item, None for the result itself), for `f()["k"]`,
        `Box().store`, `obj.method()`, or a local bound to one of these; None if no call made it, or
        if a second call did (`f(x).detach()`, `keep().get("k")`: what a method returns is taken as new)."""
        first, called = None, False
        while True:
            if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
                first = node.attr if isinstance(node, ast.Attribute) else "[]" if isinstance(node, ast.Subscript) else first
                node = node.value
            elif isinstance(node, ast.Call):
                if called:  # what a method of the result returns (`f(x).detach()`): a new object
                    return None
                node, called, first, last_first = node.func, True, None, first
            else:
                break
        if not isinstance(node, ast.Name):
            return None
        if self._local(node.id):
            made = next((d[node.id] for d in reversed(self.derived) if node.id in d), None)
            return made and (made[0], made[1] if made[1] is not None else first)
        return (node.id, last_first) if called else None

    def _call_changed(self, node, store):
        made = self._made_by(node)
        if made:
            (self.unit.call_effects if self.scopes else self.unit.call_changes).add((*made, store))

    def _derive(self, target, value):  # a local bound to what a call of a learner's global made
        if self.scopes and isinstance(target, ast.Name) and self._local(target.id):
            made = self._made_by(value)
            if made:
                self.derived[-1][target.id] = made

    def visit_For(self, node):
        self._derive(node.target, node.iter)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def _capture(self, node):  # a match pattern's capture binds a name
        for name in captures(node):
            if not self._local(name):
                (self.unit.effects if self.scopes else self.unit.binds).add(name)
        self.generic_visit(node)

    visit_MatchAs = visit_MatchStar = visit_MatchMapping = _capture

    def _root(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):  # not through a call's result
            node = node.value
        return node.id if isinstance(node, ast.Name) and not self._local(node.id) else None

    def _targets(self, targets):
        for target in targets:
            for t in ast.walk(target):
                if isinstance(t, (ast.Attribute, ast.Subscript)):
                    if self._root(t):
                        self._changed(self._root(t))
                    else:
                        self._call_changed(t, True)

    def visit_Assign(self, node):
        self._targets(node.targets)
        for target in node.targets:
            self._derive(target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets([node.target])
        if isinstance(node.target, ast.Name) and not self._local(node.target.id):
            self._changed(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._targets([node.target])
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._targets(node.targets)
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Attribute):  # a method may change its object
            if self._root(node.func.value):
                self._changed(self._root(node.func.value))
            else:
                self._call_changed(node.func.value, False)
        self.generic_visit(node)

    def visit_Import(self, node):
        for a in node.names:
            name = a.asname or a.name.split(".")[0]
            if self.scopes:
                self.scopes[-1][1].add(name)
            else:
                self.unit.binds.add(name)

    visit_ImportFrom = visit_Import


def _local_names(node):
    """The names a function, lambda, class body or comprehension binds in its own scope (not those it
    declares global or nonlocal)."""
    return _bound_here(node) - _declared_here(node)


def _declared_here(node, kinds=(ast.Global, ast.Nonlocal)):
    """The names declared global or nonlocal (`kinds`) in this scope itself (not in a scope inside it)."""
    if isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
        return set()
    names, stack = set(), list(node.body)
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            names |= set(n.names)
        elif not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, *_COMPREHENSIONS)):
            stack.extend(ast.iter_child_nodes(n))
    return names


def _this_scope(node):
    """The nodes of a function's, lambda's or class body's own scope (not those of a scope inside it)."""
    if isinstance(node, _COMPREHENSIONS):
        return
    stack = list(node.body) if isinstance(node.body, list) else [node.body]
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, *_COMPREHENSIONS)):
            stack.extend(ast.iter_child_nodes(n))


def _bound_here(node):
    names = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        names |= {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
        names |= {x.arg for x in (a.vararg, a.kwarg) if x}
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        for g in node.generators:
            names |= {n.id for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        return names
    stack = list(node.body if isinstance(node.body, list) else [node.body])
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
        stack.extend(ast.iter_child_nodes(n))
    return names


def _add_paths(modules, node):
    for name, path in import_paths(node).items():
        modules.setdefault(name, set()).add(path)


# ----------------------------------------------------------------------------------------------
# A program: the learner's cells as units

class _Unannotated(ast.NodeTransformer):
    """A learner's cell as graded: without its annotations. Python 3.14 no longer evaluates them where a
    def is written (PEP 649), `from __future__ import annotations` never did, and nothing a part lists
    reads them, so they are left out of what runs and of what the rule checks: `params: Iterable[Tensor]`
    or `-> torch.optim.Optimizer` is a note for the reader, whatever it names."""

    def visit_arg(self, node):
        node.annotation = None
        return node

    def _def(self, node):
        node.returns = None
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = _def

    def visit_AnnAssign(self, node):  # `x: T = v` as `x: None = v`, `x: T` as `x: None` (a class's fields stay fields)
        self.generic_visit(node)
        node.annotation = ast.copy_location(ast.Constant(None), node.annotation)
        return node


class _RootImports(ast.NodeTransformer):
    """`import a.b.c`, which binds `a` to the package `a`, read and run as `import a`, wherever it is (in a `try`
    too: round forty-nine): what the code then reads through `a` is checked as any attribute is, and a submodule the
    part does not list (a scratch cell's `import torch.optim`, which binds `torch` again) costs no graded function
    that reads `torch` its points (round forty-eight), nor runs when graded."""

    def visit_Import(self, node):
        node.names = [a if a.asname else ast.alias(name=a.name.split(".")[0]) for a in node.names]
        return node


def _one_import_each(node):
    """A top-level statement as the units it is: an import of several names as one import a name, so that a graded
    function's code holds only the import of what it reads (`import math, torch.nn.functional as F` and a schedule
    that reads `math`: round forty-eight's desk round)."""
    if not isinstance(node, (ast.Import, ast.ImportFrom)):
        return [node]
    return [ast.copy_location(ast.Import(names=[a]) if isinstance(node, ast.Import) else
                              ast.ImportFrom(module=node.module, names=[a], level=node.level), node) for a in node.names]


class Program:
    def __init__(self, cells, locked=()):
        self.units, self.unread = [], []
        # name -> the module paths every import that binds it gives (the learner's or a locked cell's,
        # anywhere, reached or not): a use of the name is checked against each
        self.modules = {}
        self.locked = set()  # names the locked cells bind (not imports)
        locked_trees = [read_cell(source)[0] for source in locked]
        for tree in locked_trees:
            for node in tree.body if tree else []:
                for n in ast.walk(node):  # (an import in a try block too: the student kit's)
                    if isinstance(n, (ast.Import, ast.ImportFrom)):
                        _add_paths(self.modules, n)
            if tree is not None:
                self.locked |= module_level_names(tree)
        self.locked -= set(self.modules)
        # what the locked cells' classes define: names of objects the learner's code did not write
        self.locked_attrs = {n for tree in locked_trees if tree is not None
                             for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in _local_names(c)}
        self.locked_modules = set(self.modules)
        self.cells = []
        for cell, source in cells:
            self.cells.append((cell, source))
            tree, why = read_cell(source)
            if tree is None:
                self.unread.append((cell, why, source))
                continue
            lines = python_text(source).split("\n")  # as the parser counts lines (not str.splitlines)
            try:  # (an expression nested deeper than the reader's recursion reaches, a sum of 600 terms: round fifty)
                tree = _RootImports().visit(_Unannotated().visit(tree))
                units = [Unit(node, cell, lines) for statement in tree.body for node in _one_import_each(statement)]
                for u in units:
                    ast.unparse(u.node)  # (what runs is written from it)
            except RecursionError:
                self.unread.append((cell, "cannot be read (nested too deeply)", source))
                continue
            for u in units:
                self.units.append(u)
                for n in ast.walk(u.node):  # a name any import binds is a module wherever it is used
                    if isinstance(n, (ast.Import, ast.ImportFrom)):
                        _add_paths(self.modules, n)
        # the learner's own globals: what their cells bind. A name the kernel holds before they run
        # (Python's built-ins, IPython's, a locked cell's, a double-underscore name) is never theirs,
        # whatever binds it: `x: T`, `if False: x = 0`, `for x in []` bind nothing, and a def of that
        # name can be deleted again (`_own`)
        self.own = set().union(*(u.binds for u in self.units)) if self.units else set()
        # A value of the learner's that a statement lets go (`view = TABLE`, `fill(TABLE)`, `[TABLE]`) may
        # be changed through what it went to: that statement counts as changing it, so the code of every
        # graded function that reads it includes that statement, checked against that function's list.
        # At the top level a def's or class's own name let go is the function or class itself (scratch
        # cells hand their classes to helpers); a part of one, `Class.table`, is let go like any value,
        # and inside a def the name itself is too. A def that lets one go changes it only when it runs:
        # its callers are made part of the code only when it hands the value out (returns or yields it),
        # or binds or changes a global.
        made = {u.node.name for u in self.units if isinstance(u.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        # What a call hands back may be state of the learner's that every caller shares (a def's default
        # or closure, a table it returns): a store into it (`keep()["k"] = v`) or a method of a part of it
        # (`keep()["k"].append(v)`) changes that def (a method of the result itself, `loss_fn(a, b).item()`,
        # is how results are used). A class's call makes a fresh instance: only what its class body keeps
        # for all of them (`store = {}`) is shared.
        class_level = {u.node.name: _local_names(u.node) for u in self.units if isinstance(u.node, ast.ClassDef)}

        def shared(calls):
            return {name for name, first, store in calls if name in self.own and (
                first in class_level[name] if name in class_level else store or first is not None)}
        valued = set().union(*(u.binds for u in self.units if u.node.__class__ not in (
            ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef) and not (
            isinstance(u.node, ast.Assign) and _constant(u.node.value)))) if self.units else set()
        for u in self.units:
            u.changes |= {name for name, how in u.escapes if name in valued or (how == "part" and name in made)}
            u.lets_go = {name for name, _ in u.escapes_in_def if name in valued | made} | shared(u.call_effects)
            u.changes |= shared(u.call_changes)
            u.hands_out &= valued | made
        for u in self.units:  # a module is not the learner's object to change (the check reports a change of one)
            u.changes -= set(self.modules)
            u.effects -= set(self.modules)

    def aliases(self, names):
        """`names`, and every global a top-level statement binds to one of them as it is (`T = train_one_epoch`)."""
        names = set(names)
        while True:
            more = {t.id for u in self.units if isinstance(u.node, ast.Assign) and isinstance(u.node.value, ast.Name)
                    and u.node.value.id in names for t in u.node.targets if isinstance(t, ast.Name)} - names
            if not more:
                return names
            names |= more

    def reached(self, name, running=None, graded=(), left_out=()):
        """The units that make up `name`'s code: those that bind it, and, to the end, those that bind
        or change a name that code reads, and the calls of a def that binds or changes one; what such a call
        binds is such a def too (a def or class that calls one, an alias `K = keep`, a table of it, an instance:
        rounds fifty-four and fifty-five handed data through them). A call of a graded name (`graded`, and `name`)
        is part of the code only where it runs (`running`: the ids of the units some graded name's code holds;
        None: wherever it is): the demo cells' `train_one_epoch(...)` and `evaluate(...)`, of functions that append
        to a global log, cost them their points (rounds fifty-three and fifty-five), and change nothing when graded.
        The units in `left_out` (ids) are not part of it, nor is what only they reached."""
        gated = self.aliases({name, *graded})
        names, called, done = {name}, set(), set()
        changed = True
        while changed:
            changed = False
            for i, u in enumerate(self.units):
                if i in done or id(u) in left_out:
                    continue
                via = u.reads & called
                by_call = bool(via - gated) or (bool(via) and (running is None or id(u) in running))
                if not ((u.binds | u.changes | u.effects | u.lets_go) & names or by_call):
                    continue
                done.add(i)
                changed = True
                names |= u.reads | u.binds | u.changes
                if (u.effects | u.hands_out) & names or by_call:
                    called |= u.binds
        return [self.units[i] for i in sorted(done)]


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


def _dunder(name):
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def _only_modules_under(prefix, dotted):
    """Whether `dotted`, under the allowed `prefix`, is neither a module that is not itself under
    `prefix` on its way (a module re-exports what it imports: `matplotlib.pyplot.sys`), nor a module
    at its end (a module is no value), nor a name the module does not have, nor an attribute of what
    a module holds (a class's or a function's: only the part's list allows those)."""
    import importlib
    import types
    try:
        value = importlib.import_module(prefix)
    except Exception:
        return False
    path = prefix
    for part in dotted[len(prefix) + 1:].split("."):
        if not isinstance(value, types.ModuleType):  # an attribute of a class or function the module holds
            return False  # (torch.special.Tensor.storage, torch.linalg.LinAlgError.args): not under the prefix
        path += "." + part
        try:
            value = getattr(value, part)
        except AttributeError:
            try:  # a submodule not imported yet
                value = importlib.import_module(path)
            except Exception:
                return False  # nothing there: a name some other binding may give (never accepted)
        except Exception:
            return False
        if isinstance(value, types.ModuleType):
            name = getattr(value, "__name__", "")
            if not (name == prefix or name.startswith(prefix + ".")):
                return False
    # a module's own data container (torch.special.common_args, a dict) is no function of the part: a
    # part that fills it and another that reads it would share what the lists keep apart
    import collections.abc
    mutable = (collections.abc.MutableMapping, collections.abc.MutableSequence, collections.abc.MutableSet)
    return not isinstance(value, (types.ModuleType, *mutable))


def _expand(entries):
    for entry in entries:
        if entry.startswith("@"):
            if entry not in VOCABULARIES:
                raise ValueError(f"OWN_WORK names the vocabulary {entry}, which coursekit/own_work.py does not have "
                                 f"(it has {', '.join(sorted(VOCABULARIES))})")
            yield from VOCABULARIES[entry]
        else:
            yield entry


class _Check(_Scoped):
    """Walks a unit and reports what it uses that `allowed` does not allow."""

    def __init__(self, program, allowed, own_attrs, unit):
        self.p, self.allowed, self.own_attrs, self.unit = program, allowed, own_attrs, unit
        self.scopes = []  # [(node, local names, {local name: module path of a local import})]
        self.found = []

    def report(self, node, what):
        self.found.append(f"{self.unit.line(node)} {what}")

    def run(self):
        for name in sorted(self.unit.binds | self.unit.changes | self.unit.effects):
            if _dunder(name):  # the kernel's names: Python's, IPython's and the grader's own (GUARD)
                self.report(self.unit.node, f"binds or changes {name} (a double-underscore name is Python's, "
                                            "IPython's or the grader's)")
        self.parents = {child: parent for parent in ast.walk(self.unit.node) for child in ast.iter_child_nodes(parent)}
        self.visit(self.unit.node)
        return self.found

    # names

    def _module(self, name):
        """The module paths a name may stand for here (each import that binds it), or None (a local
        that is not an import, or a name no import binds). A name a class body binds is also looked
        up as a global there (before the body binds it, the global is what Python finds)."""
        scope = _visible(self.scopes, name)
        if scope is None:
            return sorted(self.p.modules[name]) if name in self.p.modules else None
        paths = set(scope[2].get(name, ()))
        if isinstance(scope[0], ast.ClassDef) and name in self.p.modules:
            paths |= self.p.modules[name]
        return sorted(paths) or None

    def _local(self, name):
        return _visible(self.scopes, name) is not None

    def _local_here(self, name):
        """Whether `name` is surely a local here. In a class body, a name the body binds is read as
        the global of that name until the body binds it: when that global is a locked helper, a
        module or a built-in, the name is checked as that global too."""
        scope = _visible(self.scopes, name)
        if scope is None:
            return False
        return not (isinstance(scope[0], ast.ClassDef)
                    and (name in self.p.locked or name in self.p.modules or name in BUILTIN_NAMES))

    def _own(self, name):
        """Whether the global `name` is surely the learner's own: bound by their code, and not also
        the name of a locked cell's helper, of a built-in or of IPython's (even a def of theirs of
        that name can be deleted again, `global eval; del eval`, or read before a class body binds
        it, and the built-in is back); never a double-underscore name (Python's and IPython's own)."""
        if name not in self.p.own or name in self.p.locked or _dunder(name):
            return False
        return not (name in BUILTIN_NAMES or IPYTHON_NUMBERED.fullmatch(name))

    def visit_Name(self, node):
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            return
        paths = self._module(name)
        if paths is not None:
            for path in paths:
                self._value(node, path)
        elif self._local_here(name) or self._own(name):
            return
        elif name in NAME_BUILTINS:
            self.report(node, f"uses {name} as a value (call it with a constant attribute name)")
        elif name == "type" and name not in self.p.own:  # (a call type(x) does not come here)
            self.report(node, "uses type as a value (call it as type(x))")
        elif name in self.allowed.names:
            return
        elif name in self.p.locked:
            self.report(node, f"uses {name}, a helper of the notebook's locked cells")
        elif name in self.p.own and _dunder(name):
            self.report(node, f"uses {name} (a double-underscore name: Python's or IPython's own)")
        elif name in self.p.own:
            self.report(node, f"uses {name}, which is also Python's or IPython's {name}: give yours another name")
        else:
            self.report(node, f"uses {name}")

    def _value(self, node, dotted):
        """A module's name, or a path through it, used as a value."""
        if not self.allowed.path(dotted):
            self.report(node, f"uses {dotted}")

    def visit_Attribute(self, node):
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        chain.reverse()
        roots = self._module(base.id) if isinstance(base, ast.Name) else None
        if roots is not None:  # through a module: the longest listed path, then attributes of what it gives
            for root in roots:
                self._through_module(node, root, chain)
            return
        self.visit(base)
        for i, attr in enumerate(chain):  # (a delete is checked as a read: it may uncover what a class has)
            self._attr(node, attr, store=isinstance(node.ctx, ast.Store) and i == len(chain) - 1)
        if isinstance(node.ctx, ast.Del) and chain[-1] not in self.own_attrs:
            self.report(node, f"deletes .{chain[-1]}, an attribute your code does not give its objects")

    def _through_module(self, node, root, chain):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.report(node, f"changes {'.'.join([root] + chain)}")
            return
        for k in range(len(chain), 0, -1):
            if self.allowed.path(".".join([root] + chain[:k])):
                for attr in chain[k:]:
                    self._attr(node, attr)
                return
        self.report(node, f"uses {'.'.join([root] + chain)}")

    def _attr(self, node, attr, store=False):
        if attr == "__init__" and not self._own_set_up(node):
            self.report(node, "uses .__init__ other than in a class's own __init__ to set up its base (write "
                              "super().__init__(...) there)")
        elif attr.startswith("_") and attr not in HARMLESS_DUNDERS:
            self.report(node, f"uses the attribute .{attr} (a name starting with _)")
        elif attr in INTROSPECTION:
            self.report(node, f"uses the attribute .{attr} (Python's introspection)")
        elif not (store or attr in self.allowed.attrs or attr in HARMLESS_DUNDERS or attr in self.own_attrs):
            self.report(node, f"uses .{attr}")

    def _own_set_up(self, node):
        """Whether `node`, an attribute `.__init__`, is a class's own `__init__` setting up its base: `super().__init__(
        ...)`, `super(C, self).__init__(...)` or `Base.__init__(self, ...)` for a class of the learner's or of a module,
        where `self`, the first parameter, is never bound again (an `__init__` gets a fresh object, or, by this rule
        alone, its subclass's `self`). Nothing else: a constructor run again on an object a check hands over (its
        loss, its optimizer, its loader) sets that object up with the learner's arguments (rounds twelve, fifty-three
        and fifty-four, the last through a method called on its class with the check's object for `self`)."""
        call = self.parents.get(node)
        if (not isinstance(node, ast.Attribute) or node.attr != "__init__" or not isinstance(call, ast.Call)
                or call.func is not node):
            return False  # (`hasattr(x, "__init__")` too: round fifty-five)
        method = call
        while method is not None and not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            method = self.parents.get(method)
        if (not isinstance(method, ast.FunctionDef) or method.name != "__init__" or method.decorator_list
                or not isinstance(self.parents.get(method), ast.ClassDef)
                or not (method.args.posonlyargs + method.args.args)):
            return False  # (any other method can be called through its class with another object for `self`)
        if any(isinstance(n, ast.Name) and n.id == "__init__" for n in ast.walk(self.parents[method])):
            return False  # nor can an __init__ the class body binds to a second name (`go = __init__`: round fifty-five)
        me = (method.args.posonlyargs + method.args.args)[0].arg
        again = bound_anywhere(ast.Module(body=method.body, type_ignores=[]))
        again |= {n.name for n in ast.walk(method) if isinstance(n, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar))}
        again |= {n.rest for n in ast.walk(method) if isinstance(n, ast.MatchMapping)}
        if me in again:
            return False

        def is_me(n):
            return isinstance(n, ast.Name) and n.id == me

        value = node.value
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"
                and self._module("super") is None and not self._local_here("super") and not self._own("super")
                and not value.keywords):
            return not value.args or (len(value.args) == 2 and is_me(value.args[1]))
        base = value
        while isinstance(base, ast.Attribute):
            base = base.value
        classes = {u.node.name for u in self.p.units if isinstance(u.node, ast.ClassDef)}
        a_class = isinstance(base, ast.Name) and (
            (base is not value and self._module(base.id) is not None)  # a path through a module: nn.Module
            or (base is value and base.id in classes and self._own(base.id) and not self._local_here(base.id)
                and all(isinstance(u.node, ast.ClassDef) for u in self.p.units if base.id in u.binds)))
        return a_class and bool(call.args) and is_me(call.args[0])

    def _builtin_type(self, node):
        return (isinstance(node, ast.Name) and node.id == "type" and self._module("type") is None
                and not self._local_here("type") and not self._own("type"))

    def _type_read(self, node):
        """Whether the class `node` (type(x)) gives is only compared, read from, or checked against."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Compare) or (isinstance(parent, ast.Attribute) and parent.value is node):
            return True
        return (isinstance(parent, ast.Call) and node in parent.args and isinstance(parent.func, ast.Name)
                and parent.func.id in ("isinstance", "issubclass"))

    def visit_Call(self, node):
        func = node.func
        if self._builtin_type(func):  # type(x), the class of x, and nothing else: never a class made from it
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                self.report(node, "uses type() to make a class (write a class statement)")
            elif not self._type_read(node):  # kept (`T = type(x)`), it can be called: a class with any hook
                self.report(node, "keeps the class type(x) gives (compare it, as type(x) is C, read an attribute "
                                  "of it, or pass it to isinstance)")
            for arg in node.args + [k.value for k in node.keywords]:
                self.visit(arg)
            return
        if isinstance(func, ast.Call) and self._builtin_type(func.func):
            self.report(node, "calls the class that type() gives (name the class you mean)")
        if isinstance(func, ast.Name) and func.id in NAME_BUILTINS and self._module(func.id) is None \
                and not self._local_here(func.id) and not self._own(func.id):
            if func.id not in self.allowed.names:
                self.report(node, f"uses {func.id}")
            elif len(node.args) < 2 or not (isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                self.report(node, f"uses {func.id}() with a computed attribute name")
                for arg in node.args + [k.value for k in node.keywords]:
                    self.visit(arg)
            else:
                self.visit(node.args[0])
                self._attr(node, node.args[1].value, store=func.id == "setattr")
                if func.id == "delattr" and node.args[1].value not in self.own_attrs:
                    self.report(node, f"deletes .{node.args[1].value}, an attribute your code does not give its objects")
                for arg in node.args[2:] + [k.value for k in node.keywords]:
                    self.visit(arg)
            return
        self.generic_visit(node)

    def visit_MatchClass(self, node):  # `case C(attr=...)` reads attributes without an ast.Attribute
        for attr in node.kwd_attrs:  # read where no guard can stand: only what the part's list allows
            if attr not in self.allowed.attrs:
                self.report(node, f"reads .{attr} in a class pattern (read it as x.{attr})")
        if node.patterns and not (isinstance(node.cls, ast.Name) and node.cls.id in SELF_MATCHING
                                  and len(node.patterns) == 1):
            self.report(node, "uses a class pattern with positional parts (they read the attributes its "
                              "__match_args__ names)")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        if node.keywords:  # metaclass=, **{...}: a metaclass may be any callable, and give any object
            self.report(node, "passes keywords to a class statement (a metaclass, or **): write class C(Base):")
        for base in node.bases:
            chain = base
            while isinstance(chain, ast.Attribute):
                chain = chain.value
            if not isinstance(chain, ast.Name):
                self.report(node, f"builds class {node.name} on a computed base (`{ast.unparse(base)[:40]}`): "
                                  "name the class it builds on")
        for name in sorted(_bound_here(node)):
            if _dunder(name) and name not in CLASS_DUNDERS:
                self.report(node, f"defines {name} (a hook of Python's that a class here may not define)")
        self._enter(node)

    # scopes

    def _scope(self, node, children):
        local = _local_names(node)
        imported = {}
        for n in _this_scope(node):  # a local import binds a module here, as at the top level
            if isinstance(n, (ast.Import, ast.ImportFrom)):
                _add_paths(imported, n)
        if not isinstance(node, ast.ClassDef):  # a class body's are checked with its hooks (visit_ClassDef)
            for name in sorted(local):
                if _dunder(name):  # a parameter or local named as the grader's guards would stand in for them
                    self.report(node, f"binds {name} (a double-underscore name is Python's, IPython's or the grader's)")
        self.scopes.append((node, local, imported))
        for child in children:
            self.visit(child)
        self.scopes.pop()

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
            dotted = f"{node.module}.{a.name}"
            if a.name == "*":
                self.report(node, f"imports everything from {node.module}")
            elif not (self._importable(dotted) or self.allowed.path(dotted)):
                self.report(node, f"imports {dotted}")

    def _importable(self, dotted):
        return not any(part.startswith("_") for part in dotted.split(".")) and self.allowed.module(dotted)


# Names a learner plausibly gives their own objects that library objects also have, all harmless
# there (`self.buffers`, `self.state`, `self.data`): guarded as any own name, not as a strict one.
OWN_ALSO_LIBRARY = {"buffers", "state", "data", "count", "index", "name", "params", "values", "items", "keys"}
_LIBRARY = []


def library_attributes():
    """The public attribute names of the objects a learner's code can get without writing them (Python's
    built-in types and exceptions, functions, frames, modules; tensors, storages, modules, parameters,
    dtypes, devices, sizes, generators, autograd nodes, optimizers, data loaders; numpy's arrays and
    their ctypes helper; ctypes' types; the classes a learner may subclass; the student kit's; and the
    metaclasses of all these). A learner's own attribute of one of these names could be a road on a
    library object (a storage's .type() imports a dotted name, an AttributeError's .obj is the module
    it was raised on): when graded it is read only where the learner's own class gives it (strict,
    `_Guard`)."""
    if not _LIBRARY:
        import types
        kinds = [v for v in vars(builtins).values() if isinstance(v, type)]
        kinds += [types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.CodeType, types.FrameType,
                  types.GeneratorType, types.ModuleType, types.TracebackType, types.SimpleNamespace]
        try:
            import torch
            from torch.utils.data import DataLoader, TensorDataset
            node = type(torch.ones(1, requires_grad=True).sum().grad_fn)
            kinds += [torch.Tensor, torch.UntypedStorage, torch.TypedStorage, torch.nn.Module, torch.nn.Parameter,
                      torch.dtype, torch.device, torch.Size, torch.Generator, torch.finfo, torch.iinfo,
                      torch.optim.Optimizer, DataLoader, TensorDataset, node]
            import torch.optim.lr_scheduler
            import torch.utils.data
            for module in (torch.nn, torch.optim, torch.optim.lr_scheduler, torch.utils.data):  # a class of the
                kinds += [v for v in vars(module).values() if isinstance(v, type)]  # learner's may subclass these
        except ImportError:
            pass
        try:  # what a tensor's .numpy() leads to: arrays, their ctypes helper, ctypes' types
            import ctypes
            import numpy
            helper = numpy.zeros((1, 1)).ctypes
            kinds += [numpy.ndarray, numpy.generic, numpy.dtype, type(helper), type(helper.shape), ctypes.Array,
                      ctypes.Structure, ctypes.Union, ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p]
        except ImportError:
            pass
        from . import checks, probes  # the student kit's own classes, which the locked cells hand the checks
        kinds += [v for module in (checks, probes) for v in vars(module).values() if isinstance(v, type)]
        kinds += [type(kind) for kind in kinds]  # and their metaclasses (ctypes' from_address is one's)
        _LIBRARY.append({n for kind in kinds for n in dir(kind) if not n.startswith("_")})
    return _LIBRARY[0]


def own_attributes(units):
    """Attribute names the learner's code gives its own objects: `X.name = ...` (any target),
    `setattr(X, "name", ...)`, `X.register_buffer("name", ...)` and `X.add_module("name", ...)` (a
    module's buffer or layer, read back as X.name), and what a class of theirs defines in its body."""
    names = set()
    for u in units:
        for n in ast.walk(u.node):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                names.add(n.attr)
            elif isinstance(n, ast.ClassDef):  # its methods and class attributes
                names |= _local_names(n)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "setattr" \
                    and len(n.args) >= 2 and isinstance(n.args[1], ast.Constant) and isinstance(n.args[1].value, str):
                names.add(n.args[1].value)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) \
                    and n.func.attr in ("register_buffer", "add_module") and n.args \
                    and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str):
                names.add(n.args[0].value)
    return {n for n in names if not n.startswith("_")}


# ----------------------------------------------------------------------------------------------
# At run time: an attribute name of the learner's own is read on their own objects alone

GUARD = "__own__"  # in the graded kernel (grader/kernel_side.py): __own__(x)["name"] is x.name, if x is theirs
GUARD_CLASS = "__own_class__"  # and this decorator records each class the learner's code defines


class _Guard(ast.NodeTransformer):
    """What runs when graded: each read, write or delete of an attribute named in `names` (the learner's
    own attribute names that their part's list does not allow) goes through GUARD, which refuses a read
    unless the object is an instance of the learner's class, the class itself, or an object their code
    set that attribute on; a name in `strict` (one a library class or a locked cell's class has too,
    `.inner`, `.storage`) only where the object's classes are all the learner's, or their code set it. The static rule cannot tell `slot.m` on their own record from the same name on
    a library object that has it as an instance attribute (in no class's dir()); this can. Every class
    their code defines is recorded, as the class statement makes it (the innermost decorator). Every
    other attribute set or delete goes through GUARD too: never on a library class, module or function
    (every part shares those), and an own name never on an object not theirs that has it already (a
    probe's record the check reads)."""

    def __init__(self, names, strict=()):
        self.names, self.strict = names, strict

    def _proxy(self, value, name):
        if name not in self.names:  # a name the part's list allows: set or deleted, never on what all parts share
            return ast.Call(func=ast.Name(GUARD, ast.Load()), args=[value, ast.Constant(False), ast.Constant(True)],
                            keywords=[])
        strict = [ast.Constant(True)] if name in self.strict else []
        return ast.Call(func=ast.Name(GUARD, ast.Load()), args=[value] + strict, keywords=[])

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr not in self.names and isinstance(node.ctx, ast.Load):
            return node
        return ast.copy_location(ast.Subscript(value=self._proxy(node.value, node.attr), slice=ast.Constant(node.attr),
                                               ctx=node.ctx), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        f, a = node.func, node.args
        if (not isinstance(f, ast.Name) or f.id not in ("getattr", "setattr", "hasattr", "delattr") or node.keywords
                or len(a) < 2 or not isinstance(a[1], ast.Constant)
                or (a[1].value not in self.names and f.id not in ("setattr", "delattr"))):
            return node
        if f.id in ("hasattr", "delattr") and len(a) == 2:
            new = ast.Call(func=ast.Attribute(self._proxy(a[0], a[1].value), "has" if f.id == "hasattr" else "delete",
                                              ast.Load()), args=[a[1]], keywords=[])
        elif f.id == "getattr" and len(a) == 2:
            new = ast.Subscript(value=self._proxy(a[0], a[1].value), slice=a[1], ctx=ast.Load())
        elif len(a) == 3:
            new = ast.Call(func=ast.Attribute(self._proxy(a[0], a[1].value), "get" if f.id == "getattr" else "set",
                                              ast.Load()),
                           args=[a[1], a[2]], keywords=[])
        else:
            return node
        return ast.copy_location(new, node)

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        node.decorator_list.append(ast.Name(GUARD_CLASS, ast.Load()))
        return node


# ----------------------------------------------------------------------------------------------
# Data carried in the code

# A graded function computes its answer; it does not carry it. Its code, with everything of the learner's
# it reaches, may hold at most DATA_BUDGET bytes of data a value can be made of: its text and bytes
# constants (a docstring is not read: no code may name `__doc__`), its numbers, and the names it makes up
# (an error's message spells a parameter's or a local's name; `__name__` a def's; `**kwargs` a keyword's),
# each name once; and at most CODE_BUDGET syntax-tree nodes, which bounds what the shape of the code itself
# can spell out. The names Python, torch and the parts' lists give (`sum`, `mean`, `weight`) are not made
# up and cost nothing. The honest corpus holds under a third and a fifth of these (tests/test_own_work.py);
# a table of torch's results or a test set's labels needs far more. A small network trained elsewhere does
# not (840 bytes pass the MNIST bar): that check watches the training run instead (docs/trust.md). Nor is the
# shape of the code a closed channel: a node can name one of the given names (about 10 bits), so CODE_BUDGET
# bounds it to a few kilobytes, no less.
DATA_BUDGET = 1024
CODE_BUDGET = 4000


def _given_names():
    words = set(dir(builtins)) | {"self", "cls", "torch", "nn", "F", "math", "optim", "functional"}
    for entries in VOCABULARIES.values():
        words |= {e.rstrip(".*").rsplit(".", 1)[-1] for e in entries}
    return words


GIVEN_NAMES = _given_names()


def _docstrings(tree):
    """The docstring constants of the defs and classes in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                yield first.value


def _made_up(node):
    """The name `node` makes up or uses, if it has one."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.keyword):
        return node.arg
    if isinstance(node, ast.alias):
        return node.asname or node.name
    if isinstance(node, (ast.MatchAs, ast.MatchStar)):
        return node.name
    return None


def carried(tree):
    """(bytes of constants, syntax-tree nodes, the names made up) that `tree` holds, as DATA_BUDGET and
    CODE_BUDGET count them."""
    docs = {id(d) for d in _docstrings(tree)}
    data = nodes = 0
    names = set()
    for node in ast.walk(tree):
        nodes += 1
        name = _made_up(node)
        if name and name not in GIVEN_NAMES:
            names.add(name)
        if isinstance(node, ast.Constant) and id(node) not in docs:
            v = node.value  # every constant costs a byte at least (`True`, `None`, `""`: each is a choice)
            if isinstance(v, str):
                data += max(1, len(v.encode("utf-8", "surrogatepass")))
            elif isinstance(v, bytes):
                data += max(1, len(v))
            elif isinstance(v, bool) or v is None or v is Ellipsis:
                data += 1
            elif isinstance(v, int):
                data += max(1, (abs(v).bit_length() + 7) // 8)
            else:  # a float or a complex
                data += 8 if isinstance(v, float) else 16
    return data, nodes, names


def budget_used(units):
    """(bytes of data, syntax-tree nodes) that `units`, the code of one graded function, carry."""
    sizes = [carried(u.node) for u in units]
    names = set().union(*(n for _, _, n in sizes))
    return sum(d for d, _, _ in sizes) + sum(len(n.encode("utf-8", "surrogatepass")) for n in names), \
        sum(n for _, n, _ in sizes)


def over_budget(units):
    """A reason when `units`, the code of one graded function, carry more data or code than a graded
    function may (DATA_BUDGET, CODE_BUDGET), naming the statement that carries the most; else None."""
    data, nodes = budget_used(units)
    if data <= DATA_BUDGET and nodes <= CODE_BUDGET:
        return None
    most = (lambda u: budget_used([u])[0]) if data > DATA_BUDGET else (lambda u: budget_used([u])[1])
    unit = max(units, key=most)
    what = (f"{data:,} bytes of data (text, numbers, names) where a graded function's code may hold "
            f"{DATA_BUDGET:,}" if data > DATA_BUDGET else
            f"{nodes:,} pieces of syntax where a graded function's code may have {CODE_BUDGET:,}")
    return (f"{unit.line(unit.node)} and the rest of this function's code carry {what}: a graded function "
            "computes its answer; it does not carry it written into the code")


# What grading does with the learner's cells

ANSWERS = ["@python"]  # what a name the checks read and OWN_WORK does not list may use (a quiz's answer)


def required(name, units):
    """The ids of the units among `units` (a name's code) that the code needs defined: those that bind `name`,
    and, to the end, those that bind a name one of them reads. The others are there because they change what
    the code reads (`LOG.append(...)`, `plt.plot(LOG)`, a call of a def that does)."""
    need, ids = {name}, set()
    while True:
        more = [u for u in units if id(u) not in ids and u.binds & need]
        if not more:
            return ids
        for u in more:
            ids.add(id(u))
            need |= u.reads


def _bound_first(unit):
    """What `unit` binds before it reads it: a def's or a class's name, an import's names, a `for` loop's and a `with`
    block's targets (read in their bodies), but what the line's head reads first (`for X in X`, `with X as X`,
    `class X(X)`, a decorator, a default: round sixty-three)."""
    node = unit.node
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return set(unit.binds)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names, head = {node.name}, node.decorator_list + (
            node.bases + [k.value for k in node.keywords] if isinstance(node, ast.ClassDef) else
            node.args.defaults + [d for d in node.args.kw_defaults if d is not None])
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        names, head = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}, [node.iter]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        names = {n.id for item in node.items if item.optional_vars is not None
                 for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}
        head = [item.context_expr for item in node.items]
    else:
        return set()
    read_first = {n.id for h in head for n in ast.walk(h) if isinstance(n, ast.Name)}
    return names & unit.binds - read_first


def _augmented(unit):
    """The globals `unit` reads through an augmented assignment (`x += 1` reads x first)."""
    return {n.target.id for n in ast.walk(unit.node) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
            } & (unit.binds | unit.changes)


def _leave_out(program, name, allowed, units, left, kept=frozenset()):
    """Adds to `left` ({unit id: why}) the units of `name`'s code (`units`) that it does not need defined and that use
    what its list (`allowed`) does not allow, those that read what only such a unit binds, and those that read what a
    unit binds that runs for another name and uses what this list does not allow: they change what the code reads and
    do not run for it. A scratch `plt.plot(LOG)` of the list an honest loop appends to, or a sweep that appends to it
    beside `torch.optim`, cost the loop its points (round fifty-six); now they only do not run (a unit in `kept`, which
    runs for another graded name, is never left out: grading_plan). True when it added any."""
    need = required(name, units)
    own_attrs = own_attributes(units)
    optional = [u for u in units if id(u) not in need]
    failing, failing_kept = [], []
    for u in optional:
        if id(u) not in left:
            try:
                fails = bool(_Check(program, allowed, own_attrs, u).run())
            except RecursionError:
                fails = True
            if fails:
                (failing_kept if id(u) in kept else failing).append(u)
    before = len(left)

    # the roots first: a def, a class or an import that only a left-out statement reads (the sweep's `MNISTNet`, a
    # plot's `plt`) is no longer part of the code once that statement is out (found again if something else reaches it)
    def read_by(u, others):
        return any(u.binds & v.reads for v in others if v is not u)
    if failing:
        roots = [u for u in failing if not read_by(u, optional)] or [u for u in failing if not read_by(u, failing)] \
            or failing
        left.update({id(u): f"with what {name}'s part does not allow" for u in roots})
    # a line that only reads what runs for another name (`HISTORY.append(count(MNISTNet()))` in a loop's log) does not
    # bring that into this code: it is left out instead (round sixty-one)
    for u in failing_kept:
        for v in optional:
            if v is not u and id(v) not in left and id(v) not in kept and u.binds & v.reads:
                left[id(v)] = (f"reading {', '.join(sorted(u.binds & v.reads))}, which uses what {name}'s part "
                               "does not allow")
    # what reads a name that no line before it binds but left-out ones does not run either, to the end: a later loop
    # that reuses the name a table's fill reads, `for scale in ...` beside `plt`, takes nothing away from the fill
    # (round fifty-nine), nor does a line that rebinds a name the kernel holds before the learner's cells run,
    # `min, max = ...` (round sixty); a line after the fill that binds the name again does not keep it, nor a line
    # that reads what such a reader binds (round sixty-one)
    order = {id(u): i for i, u in enumerate(program.units)}
    held = BUILTIN_NAMES | program.locked | program.locked_modules
    while True:
        gone_binds = set().union(set(), *(u.binds for u in program.units if id(u) in left)) - held
        more = False
        for u in optional:
            reads = u.reads | _augmented(u)
            if id(u) in left or id(u) in kept or not reads & gone_binds:
                continue
            # (a line's own binding counts only where it comes before what the line reads: `x = x.item()`, `x += 1`
            # read x first, round sixty-two; and `del x` binds nothing)
            bound = _bound_first(u).union(*(v.binds for v in units if id(v) not in left and order[id(v)] < order[id(u)]
                                            and not isinstance(v.node, ast.Delete)))
            gone = {n for n in reads & gone_binds - bound if not IPYTHON_NUMBERED.fullmatch(n)}
            if gone:
                left[id(u)] = f"reading {', '.join(sorted(gone))}, which no line that runs binds before it"
                more = True
        if not more:
            return len(left) > before


def code_of(program, lists, whole=False, left_out=None, kept=frozenset()):
    """{name: the units of its code} for each graded name of `lists` ({name: its list's entries}). A call of a
    graded function is part of the code where it runs: in the units some name's code holds, found again until no
    call adds one (with `whole`, every unit runs). A unit the code does not need and whose use its list does not
    allow is left out of it (`_leave_out`), but the units in `kept` (ids), which run all the same, and every unit with
    `whole`; `left_out`, a dict, gets {name: {the id of each of those units: why}}."""
    running = None if whole else set()
    left = {name: {} for name in lists}
    allowed = {name: Allowed(entries) for name, entries in lists.items()}
    while True:
        reach = {}
        for name in lists:
            while True:
                reach[name] = program.reached(name, running, lists, left[name])
                if whole or not _leave_out(program, name, allowed[name], reach[name], left[name], kept):
                    break
        held = {id(u) for units in reach.values() for u in units}
        if running is None or held <= running:
            if left_out is not None:
                left_out.update(left)
            return reach
        running |= held


def _check_code(program, lists, reach):
    """(violations, runs, guarded, cells_of): {name: [reasons]} for each name of `lists` whose code (`reach`) uses what
    its list does not allow; the ids of the units that run (each passed the list of a name whose code holds it,
    which is not over budget); {unit id: the attribute names guarded when it runs}; {name: the cells of its code}."""
    violations, runs, guarded, cells_of = {}, set(), {}, {}
    for name, entries in lists.items():
        allowed = Allowed(entries)
        units = reach[name]
        cells_of[name] = {u.cell for u in units}
        own_attrs = own_attributes(units)
        too_much = over_budget(units)  # (its code does not run: what passes no graded name's rule never does)
        reasons = [too_much] if too_much else []
        for unit in sorted(units, key=lambda u: name not in u.binds):  # the function's own code first
            try:
                found = _Check(program, allowed, own_attrs, unit).run()
            except RecursionError:
                found = [f"{unit.line(unit.node)} cannot be read (nested too deeply)"]
            reasons += found
            if not found and not too_much:
                runs.add(id(unit))
                # the learner's attribute names this code may read only as their own: guarded when run
                guarded.setdefault(id(unit), set()).update(own_attrs - allowed.attrs - HARMLESS_DUNDERS)
        for cell, why, source in program.unread:
            if re.search(rf"\b{re.escape(name)}\b", source):
                reasons.append(f"cell {cell} {why}")
        if reasons:
            violations[name] = list(dict.fromkeys(reasons))[:MAX_REASONS]
    return violations, runs, guarded, cells_of


def grading_plan(cells, locked, own_work, answers=(), whole=False, unguarded=None, notes=None):
    """(violations, sources) for the learner's `cells` ([(cell name, source)]), the locked cells'
    sources `locked`, `own_work` ({graded name: [entries]}) and `answers` (other names the checks
    read from the kernel, held to ANSWERS): {name: [reasons]} for each name whose code uses what its
    list does not allow, and {cell name: the source that runs when graded}, the other lines blank.
    With `whole`, every statement runs (a cell that does not parse, as written), the checked ones
    guarded all the same. `unguarded`, a dict, gets {cell name: the statements that run, as written}; `notes`, a
    dict, {name: phrases}: the statements that change what a name reads and are left out of its code."""
    program = Program(cells, locked)
    lists = dict(own_work)
    for name in answers:
        lists.setdefault(name, ANSWERS)
    # A statement left out of a name's code (`_leave_out`) that runs all the same, for another graded name whose list
    # allows it, changes what that name reads: it is never left out then, and is part of the code again, with what
    # it reaches (the callers of a def it is), checked against the list and counted in the budget (round fifty-seven
    # carried 900 bytes past mse_loss's budget through one): found again until what runs leaves out nothing.
    kept = set()
    while True:
        left = {}
        reach = code_of(program, lists, whole, left, kept)
        violations, runs, guarded, cells_of = _check_code(program, lists, reach)
        anyway = {i for ids in left.values() for i in ids} & runs
        if not anyway - kept:
            break
        kept |= anyway
    if notes is not None:
        for name in lists:
            notes[name] = [f"{u.line(u.node)} does not run when {name} is graded: it changes what {name} reads, "
                           f"{left[name][id(u)]}" for u in program.units if id(u) in left[name]]
    # an own attribute name that a library class or a locked cell's class also has is read only on an
    # object whose classes are all the learner's (what it gives there is surely theirs)
    strict = (library_attributes() | program.locked_attrs) - OWN_ALSO_LIBRARY
    sources = {}
    for cell, _ in program.cells:  # what runs is written from the checked syntax trees, never copied from the text
        lines, plain = [], []
        for u in program.units:
            if u.cell == cell and (id(u) in runs or whole):
                lines += [""] * (u.first - 1 - len(lines))  # each statement on its own line where it can
                lines += ast.unparse(_Guard(guarded.get(id(u), ()), strict).visit(
                    copy.deepcopy(u.node))).split("\n")
                plain.append(ast.unparse(u.node))
        # a comment line after the code: the kernel reads a cell of one line through IPython's prefilter too, whose
        # automagic ran `env[...] = 0`, a checked store, as the %env magic, which evaluates each `{expr}` in its
        # argument (round fifty-two); a cell of two lines or more it reads by the static transform alone
        sources[cell] = "\n".join(lines) + "\n#\n" if lines else ""
        if unguarded is not None:
            unguarded[cell] = "\n".join(plain) + "\n" if plain else ""
        if sources[cell] and not _runs_as_written(sources[cell]):
            # the kernel reads a cell through IPython, which could read this text otherwise (a line written as a
            # docstring's `>>> 0`, beside a string `'\x22\x22\x22'` written as '"""', made IPython strip the prompts
            # `...` off the lines around it: a checked read became a store, round fifty-one): it does not run, and
            # costs each graded function whose code is in it
            sources[cell] = ""
            if unguarded is not None:
                unguarded[cell] = ""
            for name in lists:
                if cell in cells_of[name]:
                    reason = f"cell {cell} would not run as it was checked (IPython reads its text otherwise)"
                    violations[name] = list(dict.fromkeys(violations.get(name, []) + [reason]))[:MAX_REASONS]
    if whole:
        sources.update({cell: source for cell, _, source in program.unread})
    return violations, sources


def _runs_as_written(source):
    """Whether the kernel, which reads a cell through IPython, reads `source` as Python does: IPython's static
    transform (`python_text`) gives the same syntax tree, in two lines or more (one line IPython also hands to its
    prefilter, whose reading depends on the kernel's state: automagic, autocall, macros)."""
    try:
        text = python_text(source)
        return len(text.splitlines()) > 1 and ast.dump(ast.parse(text)) == ast.dump(ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def notebook_plan(cells, locked, tests, whole=False, judged=(), unguarded=None, notes=None):
    """grading_plan for a notebook: its learner cells [(name, source)], its locked cells' sources and its
    test cells' sources; the lists are the locked cells' OWN_WORK, the answers what else the tests read
    and neither they nor the sources `judged` (what the grader's judge runs besides: references.py) bind."""
    own_work = own_work_lists(locked)
    answers = [n for n in names_the_checks_read(tests, list(locked) + list(judged)) if n not in own_work]
    return grading_plan(cells, locked, own_work, answers, whole, unguarded, notes)


def names_the_checks_read(tests, locked):
    """The names that the test cells (`tests`, sources) read and neither they nor the locked cells
    bind: what the judge takes from the learner's kernel (the graded functions, the answers)."""
    import builtins
    bound = Program([], list(locked) + list(tests))
    read = set()
    for source in tests:  # the global names each statement reads (not its functions' or comprehensions' own)
        tree, _ = read_cell(source)
        for node in tree.body if tree else []:
            read |= Unit(node, "test", []).reads
    return sorted(read - bound.locked - set(bound.modules) - set(dir(builtins)))


EMBEDDED_CHARS = 4096  # a string or bytes constant this long in a learner's cell is data, not code
EMBEDDED_ITEMS = 1000  # and so is a list, tuple, set or dict written out with this many items


def embedded_data(cells):
    """Where the learner's cells carry large data written into the code (a long string or bytes
    constant, an encoded blob, a long literal list): a test set's labels or images could ride there,
    for a lookup no check of the code forbids. Phrases for the instructor, one a cell."""
    found = []
    for cell, source in cells:
        tree, _ = read_cell(source)
        for node in ast.walk(tree) if tree else []:
            size = (len(node.value) if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
                    and len(node.value) >= EMBEDDED_CHARS else
                    len(node.elts) if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and len(node.elts) >= EMBEDDED_ITEMS
                    else len(node.keys) if isinstance(node, ast.Dict) and len(node.keys) >= EMBEDDED_ITEMS else 0)
            if size:
                what = "characters of text" if isinstance(node, ast.Constant) else "items written out"
                name = cell if str(cell).isdigit() else f"'{cell}'"
                found.append(f"cell {name} line {node.lineno} holds {size:,} {what}: data in the code, which a "
                             "lookup of the test set could use; look at it")
                break
    return found
