"""What a learner's first install downloads: the student edition's requirements.txt (the learner's
lock, requirements-learner.txt) on Linux x86-64, macOS on Apple silicon and Windows x86-64.

Usage: ./course run python -m bench.learner_install [--write]
As bench/install_sizes.py does for the course's lock: pip picks each pin's wheel for the target
(`pip install --dry-run --report`, reading only each wheel's metadata) and each wheel's size is the
Content-Length the index gives for it (or the file's size for a local index). Nothing is installed.
"""
import sys

from bench.install_sizes import sizes
from bench.results import recorded
from tests.test_install import LEARNER_LOCK, LOCK, TORCH_PAIR, environment, is_cuda, pins, pip_dry_run

LEARNER_TARGETS = ["linux-x86_64", "macos-arm64", "windows-x86_64"]


def download(lock, target):
    """{package: wheel size in bytes} of what `lock` installs on `target`."""
    pinned = pins(lock, environment(target))
    return sizes(pip_dry_run([f"{name}=={version}" for name, version in pinned.items()], target))


def main():
    print("| target (CPython 3.11) | packages | download | torch + torchvision | CUDA libraries | the rest "
          "| the course's whole lock |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for target in LEARNER_TARGETS:
        got, course = download(LEARNER_LOCK, target), download(LOCK, target)
        torch = sum(v for name, v in got.items() if name in TORCH_PAIR)
        cuda = sum(v for name, v in got.items() if is_cuda(name))
        total = sum(got.values())
        print(f"| {target} | {len(got)} | {total / 1e9:.2f} GB | {torch / 1e9:.2f} GB | {cuda / 1e9:.2f} GB "
              f"| {(total - torch - cuda) / 1e6:.0f} MB | {len(course)} packages, {sum(course.values()) / 1e9:.2f} GB |",
              flush=True)


if __name__ == "__main__":
    with recorded("bench/learner_install.py", "A learner's install (the student edition's requirements.txt)",
                  "--write" in sys.argv[1:]):
        main()
