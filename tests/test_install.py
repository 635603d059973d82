"""The lock installs on every platform the course supports, and ./course builds from it anywhere.

requirements.txt is generated from requirements.in by uv (its header holds the command), one file for
every platform, with environment markers: the CUDA packages only where PyPI's PyTorch needs them
(Linux). requirements-cpu.txt is the same lock without them, for `COURSE_TORCH=cpu ./course ...` on
Linux, which takes torch and torchvision from PyTorch's CPU-only index instead.

For each target (Linux x86-64 and arm64, macOS on Apple silicon, Windows x86-64; CPython 3.11) the
packages are those the lock's markers select for that target, evaluated here with `packaging` (pip
evaluates markers for the interpreter that runs it, even with --platform). pip then finds a wheel of
every pin for that platform (`pip install --dry-run --no-deps --platform ... --report`), and the
metadata of those wheels proves the set complete: every dependency each package declares for that
target is in it, at a version it accepts. Those tests need the package index, as CI has it; they skip,
saying so, only when it cannot be reached. `python -m bench.install_sizes` prints each target's download size.

requirements-learner.txt, the learner's lock (the student edition's requirements.txt), is generated the same
way from requirements-learner.in with the course lock as constraints: the same checks, and it holds a package
for every module that the edition's notebooks and student kit import, and none of the instructor's
(`python -m bench.learner_install` prints its download size).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.txt"
CPU_LOCK = ROOT / "requirements-cpu.txt"
LEARNER_LOCK = ROOT / "requirements-learner.txt"  # the student edition's requirements.txt
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # as in ./course (COURSE_TORCH_INDEX)
PYTHON = "3.11.7"  # the CPython the course's tests run with
TORCH_PAIR = {"torch": "2.15.0", "torchvision": "0.29.2"}


def manylinux(arch):
    """The wheel tags a Linux with glibc 2.28 (torch's minimum) runs, best first: pip does not derive
    the older manylinux_2_* tags from --platform itself (it does for macOS and manylinux2014)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1)] + [f"manylinux2014_{arch}"]


# pip's platform tags and the marker values of each target
TARGETS = {
    "linux-x86_64": (manylinux("x86_64"), dict(sys_platform="linux", platform_system="Linux",
                                               platform_machine="x86_64", os_name="posix")),
    "linux-aarch64": (manylinux("aarch64"), dict(sys_platform="linux", platform_system="Linux",
                                                 platform_machine="aarch64", os_name="posix")),
    "macos-arm64": (["macosx_14_0_arm64"], dict(sys_platform="darwin", platform_system="Darwin",
                                                platform_machine="arm64", os_name="posix")),
    "windows-x86_64": (["win_amd64"], dict(sys_platform="win32", platform_system="Windows",
                                           platform_machine="AMD64", os_name="nt")),
}
LINUX = [name for name in TARGETS if name.startswith("linux")]


def is_cuda(name):
    return name.startswith(("nvidia-", "cuda-")) or name == "triton"


def environment(target, python=PYTHON):
    """The marker environment of `target` (packaging fills in the rest from this machine)."""
    return {**TARGETS[target][1], "python_version": ".".join(python.split(".")[:2]),
            "python_full_version": python, "implementation_name": "cpython",
            "implementation_version": python, "platform_python_implementation": "CPython", "extra": ""}


def requirements(path, env):
    """{canonical name: Requirement} of the lines of a requirements file whose markers hold in `env`."""
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate(env):
                out[canonicalize_name(req.name)] = req
    return out


def pins(path, env):
    """{canonical name: version} that a lock pins for `env`."""
    out = {}
    for name, req in requirements(path, env).items():
        (spec,) = req.specifier
        assert spec.operator == "==", f"{path.name}: {req} is not an exact pin"
        out[name] = spec.version
    return out


def pip_dry_run(lines, target, python=PYTHON, index=None):
    """pip's --report of installing exactly `lines` (name==version) on `target`: the wheels pip picks.

    `index` replaces every index and find-links of pip's configuration with that one index."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "req.txt").write_text("\n".join(lines) + "\n")
        env = dict(os.environ)
        args = []
        if index:
            for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"):
                env.pop(key, None)
            env["PIP_CONFIG_FILE"] = os.devnull
            args = ["--index-url", index]
        major, minor = python.split(".")[:2]
        # fast-deps: pip reads each wheel's metadata with HTTP range requests, without downloading it
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--use-feature=fast-deps", "--ignore-installed",
               "--no-deps", "--only-binary=:all:", *[f"--platform={tag}" for tag in TARGETS[target][0]],
               "--python-version", python, "--implementation", "cp", "--abi", f"cp{major}{minor}",
               "--report", str(Path(tmp) / "report.json"), "--quiet", *args, "-r", str(Path(tmp) / "req.txt")]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode:
            noise = "is ignored: it is neither a file nor a directory"
            err = "\n".join(line for line in done.stderr.splitlines() if noise not in line and "lazily" not in line)
            raise AssertionError(f"pip cannot install {len(lines)} pins on {target}, Python {python}:\n{err[-4000:]}")
        return json.loads((Path(tmp) / "report.json").read_text())["install"]


def unmet(report, env):
    """Each dependency that a wheel of `report` declares for `env` (with the extras asked of it)
    and the set does not satisfy."""
    metadata = {canonicalize_name(item["metadata"]["name"]): item["metadata"] for item in report}
    versions = {name: Version(meta["version"]) for name, meta in metadata.items()}
    problems, todo, seen = [], [(name, "") for name in metadata], set()
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        for line in metadata[name].get("requires_dist", []):
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate({**env, "extra": extra}):
                continue
            dep = canonicalize_name(req.name)
            if dep not in versions:
                problems.append(f"{name}{'[' + extra + ']' if extra else ''} needs {req}: not in the set")
            elif not req.specifier.contains(versions[dep], prereleases=True):
                problems.append(f"{name} needs {req}: the set has {versions[dep]}")
            else:
                todo += [(dep, e) for e in req.extras]
    return problems


@pytest.fixture(scope="session")
def index():
    """Skip, saying why, when pip's package index cannot be reached from here."""
    done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "torch"],
                          capture_output=True, text=True, timeout=300)
    available = next((line.split(":", 1)[1] for line in done.stdout.splitlines() if line.startswith("Available")), "")
    if TORCH_PAIR["torch"] not in [version.strip() for version in available.split(",")]:
        pytest.skip("no package index reachable: `pip index versions torch` does not list torch "
                    f"{TORCH_PAIR['torch']} (pip: {' '.join((done.stdout + done.stderr).split())[-300:]})")


@pytest.fixture(scope="session")
def cpu_index():
    """Skip, saying why, when PyTorch's CPU-only index cannot be reached from here."""
    try:
        report = pip_dry_run([f"torch=={TORCH_PAIR['torch']}"], "linux-x86_64", index=CPU_INDEX)
    except AssertionError as error:
        lines = str(error).splitlines()
        why = next((line for line in lines if "connection" in line.lower()), lines[-1]).strip()[:300]
        pytest.skip(f"PyTorch's CPU-only index {CPU_INDEX} cannot be reached or lacks torch "
                    f"{TORCH_PAIR['torch']}: the CPU-only lock is unchecked here (pip: {why})")
    assert report


# --- the lock itself, without the network -------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_lock_pins_every_direct_need_and_the_torch_pair(target):
    env = environment(target)
    pinned = pins(LOCK, env)
    for name, req in requirements(ROOT / "requirements.in", env).items():
        assert name in pinned, f"requirements.in needs {req}; the lock has no {name} for {target}: regenerate it"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"requirements.in needs {req}; the lock pins {name}=={pinned[name]}: regenerate it"
    assert {name: pinned.get(name) for name in TORCH_PAIR} == TORCH_PAIR


@pytest.mark.parametrize("target", TARGETS)
def test_cuda_packages_only_on_linux(target):
    cuda = sorted(name for name in pins(LOCK, environment(target)) if is_cuda(name))
    if target in LINUX:
        assert "nvidia-cudnn-cu13" in cuda and "triton" in cuda, cuda
    else:
        assert cuda == [], f"{target} would get CUDA packages: {cuda}"


@pytest.mark.parametrize("target", LINUX)
def test_cpu_lock_is_the_lock_without_cuda(target):
    env = environment(target)
    main = pins(LOCK, env)
    assert pins(CPU_LOCK, env) == {name: version for name, version in main.items() if not is_cuda(name)}


# --- against the package index --------------------------------------------------------------------

@pytest.fixture(scope="session")
def resolved(index):
    """{(target, lock): pip's report of installing every pin of `lock` on `target`, or the error}: every
    pair resolved at once (pip spends most of its time waiting on the index)."""
    from concurrent.futures import ThreadPoolExecutor

    def resolve(target, lock):
        try:
            return pip_dry_run([f"{name}=={version}" for name, version in pins(lock, environment(target)).items()],
                               target)
        except AssertionError as error:
            return error
    pairs = [(target, lock) for target in TARGETS for lock in (LOCK, LEARNER_LOCK)]
    with ThreadPoolExecutor(len(pairs)) as pool:
        return dict(zip(pairs, pool.map(lambda pair: resolve(*pair), pairs)))


@pytest.mark.slow  # pip resolves the lock against the index
@pytest.mark.parametrize("lock", [LOCK, LEARNER_LOCK], ids=["course", "learner"])
@pytest.mark.parametrize("target", TARGETS)
def test_lock_installs(resolved, target, lock):
    """The course's lock, and the learner's (the student edition's requirements.txt)."""
    env = environment(target)
    pinned = pins(lock, env)
    report = resolved[target, lock]
    if isinstance(report, AssertionError):
        raise report
    assert {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in report} == pinned
    assert unmet(report, env) == []


@pytest.mark.slow  # pip resolves the lock against the indexes
@pytest.mark.parametrize("target", LINUX)
def test_cpu_lock_installs_with_pytorchs_cpu_builds(index, cpu_index, target):
    """What ./course does with COURSE_TORCH=cpu: torch and torchvision from PyTorch's CPU-only index
    (no dependencies), then the CPU-only lock, which the torch installed first satisfies."""
    env = environment(target)
    pinned = pins(CPU_LOCK, env)
    torch = pip_dry_run([f"{name}=={version}" for name, version in TORCH_PAIR.items()], target, index=CPU_INDEX)
    rest = pip_dry_run([f"{n}=={v}" for n, v in pinned.items() if n not in TORCH_PAIR], target)
    assert all(i["download_info"]["url"].startswith(CPU_INDEX.split("/whl")[0]) for i in torch)
    assert unmet(torch + rest, env) == []


# --- ./course, without the network ----------------------------------------------------------------

def in_course_env():
    """The environment these tests run in, when it is the one ./course built (else skip)."""
    venv = Path(sys.prefix)
    if not (venv / ".complete").exists() or not venv.name.startswith("venv-"):
        pytest.skip(f"the tests do not run in an environment built by ./course ({venv})")
    return venv


@pytest.mark.slow  # runs ./course
def test_course_without_flock_and_sha256sum(tmp_path):
    """As on macOS: no flock, no sha256sum. ./course finds the same environment (shasum makes the
    same key) and serialises installers with a directory, which a dead installer does not keep."""
    venv = in_course_env()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = ["bash", "cat", "cut", "dirname", "grep", "id", "mkdir", "perl", "rm", "rmdir", "sed", "shasum",
             "sleep", "touch", "uname"]
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed here")
        (bin_dir / tool).symlink_to(shutil.which(tool))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / venv.name).symlink_to(venv)  # only this environment: a different key would build one, and fail
    dead = subprocess.Popen(["true"])
    dead.wait()
    (cache / ".install.lock.d").mkdir()  # left by an installer that died
    (cache / ".install.lock.d" / "pid").write_text(f"{dead.pid}\n")
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", str(tmp_path)), "PYTHON": sys.executable,
           "COURSE_CACHE_DIR": str(cache), "COURSE_DATA_DIR": os.environ.get("COURSE_DATA_DIR", str(tmp_path)),
           "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}
    done = subprocess.run([str(ROOT / "course"), "run", "python", "-c", "import os; print(os.environ['VIRTUAL_ENV'])"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == str(cache / venv.name)
    assert not (cache / ".install.lock.d").exists(), "the install lock was not released"
    assert "building the environment" not in done.stderr


@pytest.mark.slow  # runs ./course, which runs pip
def test_course_cpu_says_when_pytorchs_index_cannot_be_reached(tmp_path):
    """COURSE_TORCH=cpu with PyTorch's CPU-only index out of reach: a clear message, a failed exit,
    and no environment marked complete (the next run builds it again)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("COURSE_TORCH=cpu is for Linux")
    unreachable = "http://127.0.0.1:9/whl/cpu"
    env = {**os.environ, "COURSE_TORCH": "cpu", "COURSE_TORCH_INDEX": unreachable,
           "COURSE_CACHE_DIR": str(tmp_path), "PIP_RETRIES": "0", "PYTHON": sys.executable}
    done = subprocess.run([str(ROOT / "course"), "run", "true"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode != 0
    assert f"could not install PyTorch's CPU-only build from {unreachable}" in done.stderr, done.stderr
    assert list(tmp_path.glob("venv-*")) and not list(tmp_path.glob("venv-*/.complete"))
    env.pop("COURSE_TORCH")
    env["COURSE_TORCH"] = "gpu"
    done = subprocess.run([str(ROOT / "course"), "run", "true"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "COURSE_TORCH" in done.stderr, done.stderr


# --- the learner's lock: the student edition's requirements.txt ------------------------------------

LEARNER_IN = ROOT / "requirements-learner.in"
INSTRUCTOR_ONLY = {"nbgrader", "dask", "distributed", "psycopg2", "psycopg2-binary", "canvasapi", "pytest", "nbval"}
COLAB_ONLY = {"google"}  # the student kit's `from google.colab import ...`, tried only in Colab


def imported_modules():
    """{top-level module: [files]} that the edition's notebooks (the lessons, the student copies) and
    its student kit import, the standard library and the kit itself left out."""
    import ast
    import nbformat
    sources = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "release").glob("*/*.ipynb")):
        code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        sources[path] = "\n".join(line for cell in code for line in cell.splitlines()
                                  if not line.lstrip().startswith(("%", "!")))  # IPython's magics and shell lines
    for path in sorted((ROOT / "student-kit" / "coursekit").glob("*.py")):
        sources[path] = path.read_text()
    found = {}
    for path, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in COLAB_ONLY | {"coursekit"}:
                    found.setdefault(top, []).append(path.relative_to(ROOT).as_posix())
    return found


def test_learner_lock_is_generated_from_its_in_file_with_the_course_locks_versions():
    header = LEARNER_LOCK.read_text().splitlines()[:2]
    assert header[1].split() == ["#", "uv", "pip", "compile", "requirements-learner.in", "--universal", "--python-version",
                                 "3.11", "-c", "requirements.txt", "-o", "requirements-learner.txt"], header


@pytest.mark.parametrize("target", TARGETS)
def test_learner_lock_pins_every_direct_need_at_the_course_locks_versions(target):
    env = environment(target)
    pinned, course = pins(LEARNER_LOCK, env), pins(LOCK, env)
    for name, req in requirements(LEARNER_IN, env).items():
        assert name in pinned, f"requirements-learner.in needs {req}; its lock has no {name} for {target}: regenerate it"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"requirements-learner.in needs {req}; its lock pins {name}=={pinned[name]}: regenerate it"
    assert {name: pinned.get(name) for name in TORCH_PAIR} == TORCH_PAIR
    differ = {name: (version, course.get(name)) for name, version in pinned.items() if course.get(name) != version}
    assert not differ, f"the learner's lock and the course's differ (learner, course): {differ}; regenerate it"


@pytest.mark.parametrize("target", TARGETS)
def test_learner_lock_has_what_the_edition_imports_and_nothing_of_the_instructors(target):
    from importlib.metadata import packages_distributions
    pinned = pins(LEARNER_LOCK, environment(target))
    imported = imported_modules()
    assert {"torch", "torchvision", "matplotlib", "tqdm", "ipywidgets", "IPython"} <= set(imported), sorted(imported)
    dists = packages_distributions()
    for module, files in imported.items():
        assert module in dists, f"{module} (imported by {files[0]}) is not installed in the course's environment"
        assert any(canonicalize_name(d) in pinned for d in dists[module]), \
            f"{files[0]} imports {module}; requirements-learner.txt has no {dists[module]} for {target}"
    assert {"jupyterlab", "ipykernel"} <= set(pinned), "a learner runs the notebooks in JupyterLab"
    assert not INSTRUCTOR_ONLY & set(pinned), f"the learner's lock has the instructor's {INSTRUCTOR_ONLY & set(pinned)}"


