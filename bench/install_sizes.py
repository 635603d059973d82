"""What a first install downloads on each platform: the sum of the sizes of the wheels pip picks from the lock.

Usage: ./course run python -m bench.install_sizes
pip resolves the lock for each target as tests/test_install.py does (`pip install --dry-run --report`, reading
only each wheel's metadata); each wheel's size is the Content-Length the index's server gives for it (or the
file's size for a local index). The CPU-only Linux install (COURSE_TORCH=cpu) takes torch and torchvision
from PyTorch's CPU-only index: measured when that index can be reached, else said so.
"""
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.results import recorded
from tests.test_install import (CPU_INDEX, CPU_LOCK, LINUX, LOCK, TARGETS, TORCH_PAIR, environment, is_cuda, pins,
                                pip_dry_run)


def size(url):
    if url.startswith("file://"):
        return Path(urllib.request.url2pathname(url[len("file://"):])).stat().st_size
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60) as response:
        return int(response.headers["Content-Length"])


def sizes(report):
    """{package name: size in bytes of the wheel pip picked}."""
    urls = [item["download_info"]["url"] for item in report]
    with ThreadPoolExecutor(16) as pool:
        return dict(zip((item["metadata"]["name"].lower() for item in report), pool.map(size, urls)))


def row(label, report):
    got = sizes(report)
    torch = sum(v for name, v in got.items() if name in TORCH_PAIR)
    cuda = sum(v for name, v in got.items() if is_cuda(name))
    total = sum(got.values())
    print(f"| {label} | {len(got)} | {total / 1e9:.2f} GB | {torch / 1e9:.2f} GB | {cuda / 1e9:.2f} GB "
          f"| {(total - torch - cuda) / 1e9:.2f} GB |", flush=True)


def main():
    print("| target (CPython 3.11) | packages | download | torch + torchvision | CUDA libraries | the rest |")
    print("| --- | --- | --- | --- | --- | --- |")
    for target in TARGETS:
        pinned = pins(LOCK, environment(target))
        row(target, pip_dry_run([f"{name}=={version}" for name, version in pinned.items()], target))
    for target in LINUX:
        pinned = pins(CPU_LOCK, environment(target))
        try:
            torch = pip_dry_run([f"{name}=={version}" for name, version in TORCH_PAIR.items()], target,
                                index=CPU_INDEX)
        except AssertionError as error:
            print(f"| {target}, COURSE_TORCH=cpu | not measured: {CPU_INDEX} cannot be reached from here "
                  f"({str(error).splitlines()[-1][:120]}) | | | | |")
            continue
        rest = pip_dry_run([f"{name}=={version}" for name, version in pinned.items() if name not in TORCH_PAIR],
                           target)
        row(f"{target}, COURSE_TORCH=cpu", torch + rest)


if __name__ == "__main__":
    with recorded("bench/install_sizes.py", "Install downloads", "--write" in sys.argv[1:]):
        main()
