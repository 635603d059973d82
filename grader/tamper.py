"""What a learner's code does to what the checks rely on, read from its source (running nothing).

- `tampering_in_code`: a learner's cell that rebinds, deletes or patches anything of the modules
  the checks rely on, or defines an `__eq__` that says True to anything;
- `protected_modules`: those modules, derived from the assignment itself: `builtins` and every
  module that the notebook's locked and test cells import (with everything under it), so that a
  new module's `nn.LSTM` or `optim.AdamW` is protected as soon as its notebook imports torch;
- `rebinds_locked_names`: a learner's code that binds, in any form, a function, class or import
  of the locked cells (what the checks call) or one of the grader's names;
- `imports_not_installed`: a module that the learner's code imports and the grader's environment
  lacks (one the learner's code would write at run time, whose code no check reads);
Each reads the code through the student kit's coursekit/reading.py, as the own-work rule does.
"""
import ast
import importlib.util

from coursekit.reading import defined_or_imported, import_paths, import_table, parse


def protected_modules(sources):
    """`builtins` and the modules imported by `sources` (the locked and test cells): a path such as
    "torch.nn" protects everything under it."""
    found = {"builtins"}
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return tuple(sorted(found))

def _dotted(node):
    """'a.b.c' for the expression a.b.c, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def import_aliases(sources, protected):
    """{name: module path} for the imports in `sources` (plus torch/builtins under their own names)."""
    aliases = {m.split(".")[0]: m.split(".")[0] for m in protected}
    aliases["__builtins__"] = "builtins"
    aliases.update(import_table(_trees(sources)))
    return aliases


def _trees(sources):
    for source in sources:
        tree = parse(source)
        if tree is not None:
            yield tree


def _protected(path, protected):
    return path is not None and any(path == m or path.startswith(m + ".") for m in protected)


def _resolve(node, aliases):
    path = _dotted(node)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + ("." + rest if rest else "")


def tampering_in_code(source, aliases, protected, locked_names=()):
    """What `source` (a learner's cell) does to what the tests rely on: a list of short phrases."""
    tree = parse(source)
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
                if isinstance(t, ast.Attribute) and _protected(_resolve(t.value, aliases), protected):
                    found.append(f"replaces {_resolve(t, aliases)}")
                elif isinstance(t, ast.Subscript) and isinstance(t.value, (ast.Attribute, ast.Call)):
                    inner = t.value
                    if isinstance(inner, ast.Attribute) and inner.attr == "__dict__":
                        inner = inner.value
                    elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "vars" and inner.args:
                        inner = inner.args[0]
                    if _protected(_resolve(inner, aliases), protected):
                        found.append(f"rewrites the namespace of {_resolve(inner, aliases)}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args and _protected(_resolve(node.args[0], aliases), protected):
            found.append(f"calls {node.func.id} on {_resolve(node.args[0], aliases)}")
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and _protected(node.args[0].value, protected) \
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
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):  # (a name itself, not one it changes a part of)
            for target in getattr(node, "targets", None) or [node.target]:
                names += [t.id for t in _targets(target) if isinstance(t, ast.Name)]
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
    return set().union(*(defined_or_imported(tree) for tree in _trees(sources)))


def imports_not_installed(learner_cells):
    """Where the learner's code imports a module the grader's environment does not have: a module
    the learner's code writes at run time, whose code no check reads."""
    found = []
    for cell_name, source in learner_cells:
        tree = parse(source)
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
    imports, relied_on = {}, {"learner_call", "__course_grader__", "get_ipython", "__builtins__"}
    for source in locked_sources:
        tree = parse(source)
        for node in tree.body if tree else []:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.update(import_paths(node))
        relied_on |= {n.name for n in (tree.body if tree else [])
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    relied_on |= set(imports) | {"OWN_WORK"}
    found = []
    for cell_name, source in learner_cells:
        tree = parse(source)
        if tree is None:
            continue
        for name, node in _bindings(tree):
            if name not in relied_on:
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


