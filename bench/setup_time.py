"""How long a first `./course` takes to build its environment, on a machine that has never built one:
uv (the default) against pip (COURSE_INSTALLER=pip), each into an empty cache (no environment, no
downloaded wheel), timed from the command to the environment ready (`./course run true`).

Usage: ./course run python -m bench.setup_time [--installers uv pip] [--write]
Each build downloads the whole lock (3 GB and more with PyTorch's CUDA libraries on Linux), so this
takes minutes and the disk space of two environments, removed at the end.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import recorded
from grader.course import ROOT


def build(installer, cache):
    """Seconds `./course run true` takes to build its environment in the empty `cache` with `installer`."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_CACHE_DIR", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if "venv-" not in p)
    env.update(COURSE_CACHE_DIR=str(cache), COURSE_INSTALLER=installer, PIP_CACHE_DIR=str(cache / "pip"),
               COURSE_DATA_DIR=os.environ.get("COURSE_DATA_DIR", str(cache / "data")), PYTHON=shutil.which("python3"))
    start = time.monotonic()
    done = subprocess.run([str(ROOT / "course"), "run", "true"], env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    if done.returncode != 0 or not list(cache.glob("venv-*/.complete")):
        raise SystemExit(f"{installer}: ./course failed:\n{done.stderr[-3000:]}")
    return took, "uv could not" in done.stderr or "installing with pip" in done.stderr


IMPORTS = "import torch, torchvision, nbformat"


def import_seconds(cache, bytecode):
    """Seconds a Python of the environment built in `cache` takes to import what every kernel, nbgrader and
    judge imports, with PYTHONDONTWRITEBYTECODE set: reading the bytecode `./course` compiled, or (bytecode=False)
    looking for it in an empty PYTHONPYCACHEPREFIX, so that it compiles the sources as before that step."""
    python = next(cache.glob("venv-*/bin/python"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="course-nopyc-") as empty:
        if not bytecode:
            env["PYTHONPYCACHEPREFIX"] = empty
        start = time.monotonic()
        subprocess.run([str(python), "-c", IMPORTS], env=env, check=True)
        return time.monotonic() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installers", nargs="+", default=["uv", "pip"], choices=["uv", "pip"])
    parser.add_argument("--write", action="store_true", help="record the result in bench/RESULTS.md")
    args = parser.parse_args(argv)
    lock = (ROOT / "requirements.txt").read_text()
    pins = sum(1 for line in lock.splitlines() if "==" in line and not line.startswith("#"))
    with recorded("bench/setup_time.py", "A first ./course: building the environment", args.write):
        print(f"The lock, requirements.txt: {pins} pins; Python {sys.version.split()[0]}, {os.cpu_count()} cores.\n")
        print(f"| installer | seconds, empty cache | fell back to pip | `{IMPORTS}`, with the bytecode | without |")
        print("| --- | --- | --- | --- | --- |")
        for installer in args.installers:
            with tempfile.TemporaryDirectory(prefix="course-setup-") as folder:
                took, fell_back = build(installer, Path(folder))
                with_, without = (min(import_seconds(Path(folder), b) for _ in range(3)) for b in (True, False))
            print(f"| {installer} | {took:.0f} | {'yes' if fell_back else 'no'} | {with_:.1f} s | {without:.1f} s |",
                  flush=True)


if __name__ == "__main__":
    main()
