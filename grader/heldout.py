"""Test sets whose labels never enter the learner's kernel.

An accuracy check gives the learner's network the test images and takes back its predictions;
the grader alone holds the labels and counts. For each held-out data set in the course's data
root (MNIST's file format: `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` in `<name>/raw/`),
each learner gets two views of it, drawn from a seed of the learner's:

- the kernel's: the training files as they are; the test images shuffled, each moved, turned and
  rescaled a little by its own random affine map (`warp`), so that a lookup of the public test set
  no longer finds the image it came from reliably (bench/heldout_transforms.py measures both sides);
  the test labels all zero;
- the judge's: the same images with their true labels, in the same order, and `VIEWS` beside them
  (the map's ranges), so that the judge's references know the test images are warped and ask for
  the accuracy calibrated on warped images (source/mnist_classifier/references.py).

Everything else in the data root is mounted for the kernel as it is.
"""
import gzip
import json
import os
import shutil
from pathlib import Path

import numpy

DEFAULT_DATA = "~/.cache/pytorch-loss-course/data"  # the notebooks' data root without COURSE_DATA_DIR
VIEWS = "views.json"  # beside the judge's test files: they are warped (and how much)
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def data_root():
    """The notebooks' data root, as they find it: $COURSE_DATA_DIR, else DEFAULT_DATA (the default of
    GuardedExecute.data_root)."""
    return Path(os.environ.get("COURSE_DATA_DIR") or os.path.expanduser(DEFAULT_DATA)).resolve()


def views(held_out, seed, dest, root, used=None):
    """(mounts, judge_root): read-only mounts for the learner's kernel, [(path here, path in the
    kernel)], and the data root the judge reads (None when nothing is held out), for the data
    root `root`. A held-out set that is not in `used` (the sets the notebook reads; None: all) is
    neither warped nor mounted: the kernel of a notebook that reads no MNIST does not see it."""
    root = Path(root)
    if not root.is_dir():
        return [], None
    mounts, judge_root = [], Path(dest) / "judge"
    held = [name for name in held_out if all(_raw(root / name / "raw", f) for f in FILES)]
    left_out = [name for name in held if used is not None and name not in used]
    held = [name for name in held if name not in left_out]
    if not held and not left_out:
        return [(str(root), str(root))], None
    if not held:
        return [(str(entry), str(entry)) for entry in sorted(root.iterdir()) if entry.name not in left_out], None
    for entry in sorted(root.iterdir()):
        if entry.name not in held and entry.name not in left_out:
            mounts.append((str(entry), str(root / entry.name)))
            (judge_root).mkdir(parents=True, exist_ok=True)
            os.symlink(entry, judge_root / entry.name)
    for name in held:
        raw, kernel = root / name / "raw", Path(dest) / "kernel" / name
        judge = judge_root / name / "raw"
        kernel.mkdir(parents=True)
        judge.mkdir(parents=True)
        images, labels = _read(_raw(raw, FILES[2]), 16), _read(_raw(raw, FILES[3]), 8)
        order, warped = _shuffle_and_warp(images, seed)
        (kernel / FILES[2]).write_bytes(warped)
        (kernel / FILES[3]).write_bytes(labels[0] + bytes(len(labels[1])))
        os.link(kernel / FILES[2], judge / FILES[2])
        (judge / FILES[3]).write_bytes(labels[0] + numpy.frombuffer(labels[1], numpy.uint8)[order].tobytes())
        (judge / VIEWS).write_text(json.dumps({"rotate_degrees": ROTATE, "scale": SCALE, "shift_pixels": SHIFT}))
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


# Each test image is moved, turned and rescaled by its own small random affine map (drawn from the
# learner's seed): at most ROTATE degrees, SCALE of its size, SHIFT pixels. Calibrated in
# bench/heldout_transforms.py: enough that a lookup of the public test set (nearest image, even
# over shifts) is often wrong, small enough that a network's accuracy drops by a known margin.
ROTATE, SCALE, SHIFT = 10.0, 0.08, 1.5


def warp(pixels, rng, rotate=ROTATE, scale=SCALE, shift=SHIFT):
    """uint8 images (N, 28 * 28), each through its own random affine map (bilinear, zero outside)."""
    count, side = len(pixels), int(round(len(pixels[0]) ** 0.5))
    angle = numpy.radians(rng.uniform(-rotate, rotate, count))
    zoom = rng.uniform(1 - scale, 1 + scale, count)
    move = rng.uniform(-shift, shift, (count, 2))
    centre = (side - 1) / 2
    ys, xs = numpy.mgrid[0:side, 0:side].reshape(2, -1) - centre
    out = numpy.empty((count, side * side), numpy.uint8)
    images = numpy.pad(pixels.reshape(count, side, side).astype(numpy.float32), ((0, 0), (1, 1), (1, 1)))
    for start in range(0, count, 1000):  # (in slices, to keep the memory small)
        part = slice(start, min(start + 1000, count))
        cos, sin, z = numpy.cos(angle[part])[:, None], numpy.sin(angle[part])[:, None], zoom[part][:, None]
        dx, dy = move[part, 0:1], move[part, 1:2]
        # where each output pixel comes from: the inverse map, then one pixel of padding
        sx = (cos * (xs - dx) + sin * (ys - dy)) / z + centre + 1
        sy = (-sin * (xs - dx) + cos * (ys - dy)) / z + centre + 1
        sx, sy = numpy.clip(sx, 0, side + 0.999), numpy.clip(sy, 0, side + 0.999)
        x0, y0 = numpy.floor(sx).astype(int), numpy.floor(sy).astype(int)
        fx, fy = sx - x0, sy - y0
        x1, y1 = numpy.minimum(x0 + 1, side + 1), numpy.minimum(y0 + 1, side + 1)
        img = images[part]
        rows = numpy.arange(img.shape[0])[:, None]
        value = ((1 - fy) * ((1 - fx) * img[rows, y0, x0] + fx * img[rows, y0, x1])
                 + fy * ((1 - fx) * img[rows, y1, x0] + fx * img[rows, y1, x1]))
        out[part] = numpy.clip(numpy.rint(value), 0, 255).astype(numpy.uint8)
    return out


def _shuffle_and_warp(images, seed):
    """(the new order, the file's bytes): images shuffled, each through its own small affine map."""
    header, body = images
    count = int.from_bytes(header[4:8], "big")
    pixels = numpy.frombuffer(body, numpy.uint8).reshape(count, -1)
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(count)
    return order, header + warp(pixels[order], rng).tobytes()
