"""What the grader runs inside a learner's kernel, and the data format both sides speak.

The grader never runs a test in the learner's Python process. A test calls the learner's code
through `learner_call(f, *args)`; at grading time that call travels to the kernel as JSON, this
module's `serve` runs `f` there (a learner function, or a probe from the notebook's locked helper
cells) and sends back what it returned, as JSON again. The test then compares that data with the
expected values in the grader (grader/judge.py). Whatever this code does in the kernel, and whatever
the learner does to it, only changes the data sent back; the data is then checked.

Data format (`encode`/`decode`): JSON values, plus tagged objects for what JSON lacks:
tuples, dicts, tensors (dtype, shape, base64 bytes), dtypes, devices, a learner's names
({"__learner__": name}) and anything else as an opaque {"__object__": type name}. Decoding never
unpickles or evaluates anything: only these tags, a fixed list of dtypes, and bounded depth.

This file is plain source on purpose: the grader sends its text to the kernel (`install_code`).
"""
import base64
import json

DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
MAX_DEPTH = 32


class Opaque:
    """An object the other side could not send as data (its type name only)."""

    def __init__(self, type_name):
        self.type_name = str(type_name)[:200]

    def __repr__(self):
        return f"<{self.type_name} object>"


class LearnerName:
    """A name in the learner's namespace, as sent between the two sides."""

    def __init__(self, name):
        self.name = name


def encode(value, depth=0):
    """`value` as JSON-able data (see the module's docstring)."""
    import torch
    if depth > MAX_DEPTH:
        return {"__object__": "too deeply nested"}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) is LearnerName:
        return {"__learner__": value.name}
    if isinstance(value, torch.Tensor):
        x = torch.Tensor.detach(value).cpu()  # (through the class: a fresh tensor, whatever the learner's is)
        dtype = str(x.dtype).replace("torch.", "")
        if dtype not in DTYPES:
            return {"__object__": f"tensor of dtype {dtype}"}
        data = x.float() if dtype == "bfloat16" else x
        raw = data.contiguous().numpy().tobytes()
        return {"__tensor__": {"dtype": dtype, "shape": list(x.shape), "data": base64.b64encode(raw).decode(),
                               "requires_grad": bool(value.requires_grad)}}
    if isinstance(value, torch.dtype):
        return {"__dtype__": str(value).replace("torch.", "")}
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if type(value) is list:
        return [encode(v, depth + 1) for v in value]
    if type(value) is tuple:
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, (bool, int, float, str)):  # a subclass: sent as the plain value it claims to be
        return {"__object__": type(value).__name__}
    return {"__object__": type(value).__qualname__}


def decode(data, depth=0, learner=None):
    """The value `data` (from `encode`) stands for. `learner(name)` turns a learner's name into
    an object of this side (default: LearnerName). Raises ValueError on anything else."""
    import numpy
    import torch
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, depth + 1, learner) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise ValueError("not data of the grader's format")
    (tag, body), = data.items()
    if tag == "__tuple__" and type(body) is list:
        return tuple(decode(v, depth + 1, learner) for v in body)
    if tag == "__dict__" and type(body) is dict:
        return {str(k): decode(v, depth + 1, learner) for k, v in body.items()}
    if tag == "__learner__" and type(body) is str:
        return learner(body) if learner else LearnerName(body)
    if tag == "__dtype__" and body in DTYPES:
        return getattr(torch, body)
    if tag == "__device__" and type(body) is str:
        return torch.device(body)
    if tag == "__object__":
        return Opaque(body)
    if tag == "__tensor__" and type(body) is dict:
        dtype, shape = body.get("dtype"), body.get("shape")
        if dtype not in DTYPES or type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("a tensor with an unknown dtype or shape")
        raw = base64.b64decode(body.get("data", ""), validate=True)
        numpy_dtype = "float32" if dtype == "bfloat16" else dtype
        array = numpy.frombuffer(raw, dtype=numpy_dtype)
        count = 1
        for n in shape:
            count *= n
        if array.size != count:
            raise ValueError("a tensor whose data does not fill its shape")
        tensor = torch.from_numpy(array.copy()).reshape(shape)
        return tensor.to(torch.bfloat16) if dtype == "bfloat16" else tensor
    raise ValueError(f"unknown tag {tag!r}")


KEPT = {}  # the locked cells' objects, as they were right after each locked cell ran
# The kept helpers' own globals: the locked cells' names as kept and Python's built-ins as they were
# before any learner cell ran. What a helper calls by name (`isinstance`, `getattr`, another helper) it
# finds here, whatever the learner's namespace binds to that name later.
PRIVATE = {}


def pinned(value, ns, depth=0):
    """`value`, a locked cell's object, made to find its globals in PRIVATE, not in the learner's
    namespace `ns`: a function is copied onto PRIVATE; a class's methods (and properties, static and
    class methods) are, in place; so are functions that such a function holds in its closure (a
    decorator's wrapped function)."""
    import types
    if depth > 4:
        return value
    if type(value) is types.FunctionType:
        for cell in value.__closure__ or ():
            try:
                inner = cell.cell_contents
            except ValueError:  # (an empty cell)
                continue
            if type(inner) is types.FunctionType and inner is not value:
                cell.cell_contents = pinned(inner, ns, depth + 1)
        if value.__globals__ is not ns:
            return value
        copy = types.FunctionType(value.__code__, PRIVATE, value.__name__, value.__defaults__, value.__closure__)
        copy.__kwdefaults__, copy.__qualname__, copy.__doc__ = value.__kwdefaults__, value.__qualname__, value.__doc__
        copy.__module__, copy.__annotations__ = value.__module__, value.__annotations__
        copy.__dict__.update(value.__dict__)
        return copy
    if isinstance(value, type) and getattr(value, "__module__", None) == "__main__":
        for key, member in list(vars(value).items()):
            if type(member) is types.FunctionType:
                setattr(value, key, pinned(member, ns, depth + 1))
            elif type(member) in (staticmethod, classmethod):
                setattr(value, key, type(member)(pinned(member.__func__, ns, depth + 1)))
            elif type(member) is property:
                setattr(value, key, property(*(pinned(f, ns, depth + 1) if f else None
                                               for f in (member.fget, member.fset, member.fdel)), member.__doc__))
    return value


def serve(request):
    """Answer one request of the grader (a JSON string) in the kernel; returns a JSON string.

    {"op": "resolve", "names": [...]}: for each name, whether the learner's namespace has it and
    whether it is callable (then it stays there) or a value (then it is sent as data).
    {"op": "call", "name": n, "args": [...], "kwargs": {...}}: the result of n(*args, **kwargs), n
    a locked cell's helper as it was kept, or the learner's function.
    {"op": "keep", "names": [...]}: keep these objects of the locked cell that just ran."""
    ns = get_ipython().user_ns  # noqa: F821 (IPython's)
    try:
        req = json.loads(request)
        if req["op"] == "keep":
            if "__builtins__" not in PRIVATE:
                import builtins
                PRIVATE["__builtins__"] = dict(vars(builtins))
            for name in req["names"]:
                if name in ns:
                    KEPT[name] = PRIVATE[name] = pinned(ns[name], ns)
            return json.dumps({"ok": None})
        if req["op"] == "resolve":
            answer = {}
            for name in req["names"]:
                if name not in ns:
                    answer[name] = {"kind": "missing"}
                elif callable(ns[name]):
                    answer[name] = {"kind": "callable"}
                else:
                    answer[name] = {"kind": "value", "value": encode(ns[name])}
            return json.dumps({"ok": answer})
        look_up = lambda name: KEPT[name] if name in KEPT else ns[name]  # noqa: E731
        args = decode(req["args"], learner=look_up)
        kwargs = decode(req["kwargs"], learner=look_up)
        return json.dumps({"ok": encode(look_up(req["name"])(*args, **kwargs))})
    except BaseException as e:  # the learner's error, a KeyboardInterrupt at the time limit, ...
        return json.dumps({"error": [type(e).__name__, str(e)[:2000]]})


def own_work_guards():
    """(GUARD, GUARD_CLASS) of coursekit/own_work.py, as the learner's graded code calls them: an
    attribute name of the learner's own (one their part's list does not allow) is read only on an
    instance of a class their code defined, on such a class, or on an object their code set that
    attribute on. Anything else is refused with an AttributeError that says so. The learner's code
    cannot name these (double-underscore names), and they keep Python's own type, id, getattr,
    setattr and delattr from before the learner's code ran."""
    import types
    classes, stored = {}, {}  # id -> the class; id -> (the object, names set on it), kept alive: ids stay theirs
    kind_of, identity, get, put, remove, proxy_kind, isa, has = type, id, getattr, setattr, delattr, super, isinstance, hasattr
    # library classes a class of the learner's may build on: what these give an instance is the learner's
    # (nn.Module: the layers and tensors their code assigns; Optimizer: the parameters their code hands it)
    import torch
    bases = {identity(object), identity(torch.nn.Module), identity(torch.optim.Optimizer)}
    shared = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    settable = (torch.Tensor, torch.nn.Module)  # not the learner's, but theirs to set on (p.grad = None)

    # a class's own MRO and namespace, as type keeps them (what a metaclass says of them is not asked)
    mro_of, dict_of = type.__dict__["__mro__"].__get__, type.__dict__["__dict__"].__get__

    def own_class(cls):  # innermost decorator of each learner class statement: the class it just made
        if kind_of(cls) is not type:  # (a metaclass can make a class statement give any object)
            raise TypeError(f"own work: class {get(cls, '__name__', '?')!s:.40} is made by a metaclass "
                            f"({kind_of(cls).__name__}); write classes that build on your classes, nn.Module or "
                            "Optimizer")
        classes[identity(cls)] = cls
        return cls

    def built_on(kind, allowed):  # a class of the learner's whose classes above it are theirs or `allowed`
        return identity(kind) in classes and all(identity(k) in classes or identity(k) in allowed
                                                 for k in mro_of(kind))

    def defined_by_them(kind, name):  # where the name is looked up first in the class's MRO: a class of theirs
        for k in mro_of(kind):
            if name in dict_of(k):
                return identity(k) in classes
        return False

    def mine(obj, name, strict=False):
        if kind_of(obj) is proxy_kind:  # super(): theirs where the class it reads the name on is (the first past
            this, chain = get(obj, "__thisclass__"), mro_of(get(obj, "__self_class__"))  # the one it names: round
            past = [i for i, k in enumerate(chain) if k is this]  # forty-six read nn.Module's own methods so)
            for k in chain[past[0] + 1:] if past else ():
                if name in dict_of(k):
                    return identity(k) in classes
            return False
        held = stored.get(identity(obj))
        if held is not None and held[0] is obj and name in held[1]:
            return True
        kind = obj if identity(obj) in classes else kind_of(obj)
        if strict:  # a name library classes have too: only where no library class can give it
            return built_on(kind, {identity(object)}) or (built_on(kind, bases) and defined_by_them(kind, name))
        return built_on(kind, bases)

    def refuse(obj, name):
        raise AttributeError(f"own work: .{name} was read on a {kind_of(obj).__name__}, which is not an object of "
                             f"yours: your own attribute names are read on your own objects (self, an instance of "
                             f"your class) or on an object you set .{name} on")

    def hides_library(obj, name):  # an attribute set on obj would hide a library class's method (p.detach = ...)
        if identity(obj) in classes:  # (a class of theirs: what it gives is theirs)
            return False
        for k in mro_of(kind_of(obj)):
            found = dict_of(k)
            if name in found:  # a data descriptor (.data, .grad) is set through, not hidden
                return identity(k) not in classes and not has(kind_of(found[name]), "__set__")
        return False

    def changes_shared(obj, name):
        if isa(obj, shared) and identity(obj) not in classes:  # a library class, module or function: every
            raise AttributeError(f"own work: .{name} may not be set on {obj!r:.80}, which is not yours "
                                 "(code of another part could read it there)")  # part of the notebook shares it

    class Own:
        """obj's attribute `name`, read, set or deleted as the learner's code may: `listed`, a name their
        part's list allows (only a set or delete comes here: not on what every part shares); else one of
        their own names (only on their objects, or on what they set it on)."""
        __slots__ = ("obj", "strict", "listed")

        def __init__(self, obj, strict=False, listed=False):
            self.obj, self.strict, self.listed = obj, strict, listed

        def __getitem__(self, name):
            if not self.listed and not mine(self.obj, name, self.strict):
                refuse(self.obj, name)
            return get(self.obj, name)

        def get(self, name, default):
            return self[name] if mine(self.obj, name, self.strict) else default

        def __setitem__(self, name, value):
            obj = self.obj
            changes_shared(obj, name)
            if not (identity(obj) in classes or built_on(kind_of(obj), bases) or isa(obj, settable)):
                # (a typing alias passes a set on to the library class it stands for: every part shares it)
                raise AttributeError(f"own work: .{name} may not be set on a {kind_of(obj).__name__}, which is not "
                                     "yours: set attributes on your objects, tensors and modules")
            if hides_library(obj, name):  # the checks call a library object's methods: no instance hides one
                raise AttributeError(f"own work: .{name} may not be set on a {kind_of(obj).__name__}: it would hide "
                                     f"the .{name} that {kind_of(obj).__name__} has from torch or Python")
            if not self.listed:
                if not mine(obj, name, self.strict) and has(obj, name):  # (a probe's record, a library's state)
                    raise AttributeError(f"own work: .{name} may not be set on a {kind_of(obj).__name__}, which is "
                                         f"not yours and has a .{name} of its own: set your names on your objects")
                stored.setdefault(identity(obj), (obj, set()))[1].add(name)
            put(obj, name, value)

        set = __setitem__

        def has(self, name):
            return mine(self.obj, name, self.strict) and has(self.obj, name)

        def __delitem__(self, name):
            changes_shared(self.obj, name)
            if not self.listed and not mine(self.obj, name, self.strict):
                refuse(self.obj, name)
            remove(self.obj, name)
            held = stored.get(identity(self.obj))
            if held is not None:  # what is left is no longer what their code set
                held[1].discard(name)

        delete = __delitem__

    return Own, own_class


def install_guards(ns):
    """Put the own-work guards in the learner's namespace `ns` (before any of their code runs)."""
    ns["__own__"], ns["__own_class__"] = own_work_guards()


def install_code():
    """Code that defines `serve` (and this module) in a kernel, out of the learner's namespace but one name."""
    with open(__file__) as f:
        source = f.read()
    return ("def __course_grader_install(source):\n"
            "    import types\n"
            "    module = types.ModuleType('course_grader')\n"
            "    module.get_ipython = get_ipython\n"
            "    exec(compile(source, 'course_grader', 'exec'), module.__dict__)\n"
            "    get_ipython().user_ns['__course_grader__'] = module.serve\n"
            "    get_ipython().automagic = False\n"  # (no cell the kernel runs is one line: the reader adds one)
            "    get_ipython().autocall = 0\n"
            "    module.install_guards(get_ipython().user_ns)\n"
            f"__course_grader_install({source!r})\n"
            "del __course_grader_install\n")
