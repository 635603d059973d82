"""Reading a notebook cell's code, running nothing: the one parse (IPython's syntax turned into
Python first, as the kernel does), the imports and the names a cell binds. Every rule that reads
code uses these: the own-work rule (own_work.py), the grader's tampering checks (grader/tamper.py)
and the judge (grader/judge.py)."""
import ast
import functools

__all__ = ["python_text", "read_cell", "parse", "import_paths", "import_table", "module_level_names",
           "bound_anywhere", "defined_or_imported", "captures"]

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_OWN_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def python_text(source):
    """A cell's source with IPython's syntax (`%magic`, `!shell`, `x?`) turned into Python, as the kernel runs it."""
    if type(source) is str:  # (every rule reads the same cells again: IPython's transform is most of a read)
        return _python_text(source)
    return _transformed(source)


@functools.lru_cache(maxsize=512)
def _python_text(source):
    return _transformed(source)


def _transformed(source):
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython could not read it: the kernel could not either
        return source


def read_cell(source):
    """(tree, None) for a cell's source, IPython's syntax turned into Python first, or (None, why)."""
    try:
        return ast.parse(python_text(source)), None
    except SyntaxError as e:
        return None, f"does not parse ({e.msg}, line {e.lineno})"
    except (RecursionError, MemoryError, ValueError):
        return None, "cannot be read (nested too deeply)"


def parse(source):
    """A cell's syntax tree, or None when it does not parse."""
    return read_cell(source)[0]


def import_paths(node):
    """{bound name: module path or dotted name} for an import statement (`import a.b` binds `a`,
    `import a.b as c` binds `c` to `a.b`, `from a import b` binds `b` to `a.b`; relative imports and
    `*` bind nothing this can name)."""
    found = {}
    for a in node.names:
        if isinstance(node, ast.Import):
            found[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and not node.level and a.name != "*":
            found[a.asname or a.name] = f"{node.module}.{a.name}"
    return found


def import_table(trees, top_level=False):
    """{name: module path} for the imports of `trees`, anywhere in them (or at their top level
    only), in order: a later import of a name wins."""
    table = {}
    for tree in trees:
        for node in tree.body if top_level else ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                table.update(import_paths(node))
    return table


def captures(pattern):
    if isinstance(pattern, (ast.MatchAs, ast.MatchStar)) and pattern.name:
        return [pattern.name]
    if isinstance(pattern, ast.MatchMapping) and pattern.rest:
        return [pattern.rest]
    return []


def module_level_names(tree):
    """The names a cell binds at its top level (under `if`, `for`, `try`, ... too): assignments,
    loop and with targets, imports, defs, classes and match captures; not the names of the
    functions and classes it defines, which are theirs."""
    names, stack = set(), list(tree.body)
    while stack:
        n = stack.pop()
        if isinstance(n, _SCOPES):
            names.add(n.name)
            stack.extend(n.decorator_list)
            continue
        if isinstance(n, _OWN_SCOPES):
            continue
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= set(import_paths(n))
        names |= set(captures(n))  # (not `except E as e`: Python unbinds e when the handler ends)
        stack.extend(ast.iter_child_nodes(n))
    return names


def bound_anywhere(tree):
    """Every name `tree` binds, at any depth (assignments, defs, classes, imports): what a cell
    may define for itself."""
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            names.add(n.id)
        elif isinstance(n, _SCOPES):
            names.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in n.names}
    return names


def defined_or_imported(tree):
    """The names a cell's top-level defs, classes and imports bind (what the checks call of it)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, _SCOPES):
            names.add(node.name)
    return names
