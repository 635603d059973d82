"""Fill the course's data root with MNIST from an offline mirror, once per machine.

The notebooks read MNIST from one data root, $COURSE_DATA_DIR (default
~/.cache/pytorch-loss-course/data), through torchvision with download=True. On a machine
with no internet, copy the four original MNIST files there first; this script does it
from the mirror at $COURSE_MNIST_MIRROR (default: ../shared/data/MNIST/raw beside the
repository), checking the MD5 sums torchvision checks, then lets torchvision extract them.
Nothing happens when the data root is already complete or there is no mirror.
"""
import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def data_root():
    default = Path.home() / ".cache" / "pytorch-loss-course" / "data"
    return Path(os.environ.get("COURSE_DATA_DIR", default)).expanduser()


def mirror():
    return Path(os.environ.get("COURSE_MNIST_MIRROR", ROOT.parent / "shared" / "data" / "MNIST" / "raw"))


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def extracted(raw):
    return all((raw / name[: -len(".gz")]).exists() for name in MD5)


def fill(root, source):
    """Copy the mirror's files into root/MNIST/raw and extract them; return a one-line report."""
    raw = root / "MNIST" / "raw"
    if extracted(raw):
        return f"MNIST ready in {raw}"
    if not source.is_dir():
        return f"no MNIST mirror at {source}: notebooks will download MNIST into {raw}"
    raw.mkdir(parents=True, exist_ok=True)
    for name, want in MD5.items():
        src, dst = source / name, raw / name
        if not src.exists():
            sys.exit(f"fill_data: the mirror {source} lacks {name}")
        if md5(src) != want:
            sys.exit(f"fill_data: {src} has MD5 {md5(src)}, expected {want}: the mirror is damaged")
        if not dst.exists() or md5(dst) != want:
            tmp = dst.with_suffix(".part")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
    from torchvision import datasets  # torchvision verifies the MD5s again and extracts

    for train in (True, False):
        datasets.MNIST(root, train=train, download=True)
    return f"MNIST copied from {source} and extracted in {raw}"


if __name__ == "__main__":
    print("fill_data:", fill(data_root(), mirror()))
