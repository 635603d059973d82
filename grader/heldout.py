"""Test sets whose labels never enter the learner's kernel.

An accuracy check gives the learner's network the test images and takes back its predictions;
the grader alone holds the labels and counts. For each held-out data set in the course's data
root (MNIST's file format: `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` in `<name>/raw/`),
each learner gets two views of it, drawn from a seed of the learner's:

- the kernel's: the training files as they are; the test images shuffled, with one pixel in a
  hundred nudged by one grey level (invisible to a network, fatal to a lookup table of the public
  test set); the test labels all zero;
- the judge's: the same images with their true labels, in the same order.

Everything else in the data root is mounted for the kernel as it is.
"""
import gzip
import os
import shutil
from pathlib import Path

import numpy

DEFAULT_DATA = "~/.cache/pytorch-loss-course/data"  # the notebooks' data root without COURSE_DATA_DIR
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def data_root():
    """The notebooks' data root, as they find it: $COURSE_DATA_DIR, else DEFAULT_DATA (the default of
    GuardedExecute.data_root)."""
    return Path(os.environ.get("COURSE_DATA_DIR") or os.path.expanduser(DEFAULT_DATA)).resolve()


def views(held_out, seed, dest, root):
    """(mounts, judge_root): read-only mounts for the learner's kernel, [(path here, path in the
    kernel)], and the data root the judge reads (None when nothing is held out), for the data
    root `root`."""
    root = Path(root)
    if not root.is_dir():
        return [], None
    mounts, judge_root = [], Path(dest) / "judge"
    held = [name for name in held_out if all(_raw(root / name / "raw", f) for f in FILES)]
    if not held:
        return [(str(root), str(root))], None
    for entry in sorted(root.iterdir()):
        if entry.name not in held:
            mounts.append((str(entry), str(root / entry.name)))
            (judge_root).mkdir(parents=True, exist_ok=True)
            os.symlink(entry, judge_root / entry.name)
    for name in held:
        raw, kernel = root / name / "raw", Path(dest) / "kernel" / name
        judge = judge_root / name / "raw"
        kernel.mkdir(parents=True)
        judge.mkdir(parents=True)
        images, labels = _read(_raw(raw, FILES[2]), 16), _read(_raw(raw, FILES[3]), 8)
        order, nudged = _shuffle_and_nudge(images, seed)
        (kernel / FILES[2]).write_bytes(nudged)
        (kernel / FILES[3]).write_bytes(labels[0] + bytes(len(labels[1])))
        os.link(kernel / FILES[2], judge / FILES[2])
        (judge / FILES[3]).write_bytes(labels[0] + numpy.frombuffer(labels[1], numpy.uint8)[order].tobytes())
        for f in FILES[:2]:
            os.symlink(_raw(raw, f), judge / f)
            mounts.append((str(_raw(raw, f)), str(raw / f)))
        for f in FILES[2:]:
            mounts.append((str(kernel / f), str(raw / f)))
    return mounts, str(judge_root)


def _raw(folder, name):
    """The uncompressed file `name` in `folder`, extracted from its .gz beside it when needed (None if neither)."""
    path = folder / name
    if path.is_file():
        return path
    packed = folder / (name + ".gz")
    if not packed.is_file():
        return None
    try:
        with gzip.open(packed) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out)
    except OSError:  # a read-only data root: the grader cannot hold this set out
        return None
    return path


def _read(path, header):
    data = Path(path).read_bytes()
    return data[:header], data[header:]


def _shuffle_and_nudge(images, seed):
    """(the new order, the file's bytes): images shuffled, 1% of pixels moved by one grey level."""
    header, body = images
    count = int.from_bytes(header[4:8], "big")
    pixels = numpy.frombuffer(body, numpy.uint8).reshape(count, -1)
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(count)
    shuffled = pixels[order].astype(numpy.int16)
    nudge = (rng.random(shuffled.shape) < 0.01) * rng.choice(numpy.array([-1, 1], numpy.int16), shuffled.shape)
    return order, header + numpy.clip(shuffled + nudge, 0, 255).astype(numpy.uint8).tobytes()
