"""The held-out test sets (grader/heldout.py): the kernel's view has warped images and no labels; the
judge's has the same images with their true labels, and says they are warped."""
import json
import re

import nbformat
import numpy

from conftest import ROOT
from grader import heldout
from grader.course import references


def _idx(path, magic, dims, body):
    path.write_bytes(magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + body.tobytes())


def _mnist(root, count=40):
    """A data root with a small MNIST of random digits-like images (blobs), and its labels."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = numpy.random.default_rng(0)
    images = numpy.zeros((count, 28, 28), numpy.uint8)
    for i in range(count):  # a bright block somewhere in the middle: something for the warp to move
        y, x = rng.integers(6, 16, 2)
        images[i, y:y + 8, x:x + 6] = rng.integers(100, 256)
    labels = rng.integers(0, 10, count).astype(numpy.uint8)
    for prefix in ("train", "t10k"):
        _idx(raw / f"{prefix}-images-idx3-ubyte", 2051, (count, 28, 28), images)
        _idx(raw / f"{prefix}-labels-idx1-ubyte", 2049, (count,), labels)
    return images.reshape(count, -1), labels


def test_the_kernel_sees_warped_images_without_labels_and_the_judge_their_labels(tmp_path):
    images, labels = _mnist(tmp_path / "data")
    mounts, judge_root = heldout.views(["MNIST"], 7, tmp_path / "views", tmp_path / "data")
    seen = {dest.rsplit("/", 1)[-1]: src for src, dest in mounts}
    kernel_images = numpy.frombuffer(open(seen["t10k-images-idx3-ubyte"], "rb").read()[16:], numpy.uint8).reshape(40, -1)
    kernel_labels = numpy.frombuffer(open(seen["t10k-labels-idx1-ubyte"], "rb").read()[8:], numpy.uint8)
    assert not kernel_labels.any(), "the kernel's test labels must all be zero"
    public = {img.tobytes() for img in images}
    assert not any(img.tobytes() in public for img in kernel_images), "a warped image equals a public one"
    raw = tmp_path / "views" / "judge" / "MNIST" / "raw"
    judge_labels = numpy.frombuffer((raw / "t10k-labels-idx1-ubyte").read_bytes()[8:], numpy.uint8)
    order = numpy.random.default_rng(7).permutation(40)
    assert (judge_labels == labels[order]).all(), "the judge's labels must follow the shuffled images"
    # a small warp of the same image, not noise: about as much ink as its source (rescaled by at most 8%)
    ink, source_ink = kernel_images.sum(1).astype(float), images[order].sum(1).astype(float)
    assert (abs(ink / source_ink - 1) < 0.25).all()
    assert json.loads((raw / heldout.VIEWS).read_text())["rotate_degrees"] == heldout.ROTATE
    assert not any(heldout.VIEWS in src for src, _ in mounts), "the kernel must not see the judge's files"
    assert str(judge_root) == str(tmp_path / "views" / "judge")


def test_each_learner_seed_gives_its_own_warp_and_no_warp_is_the_image():
    images, _ = _mnist_in_memory()
    first = heldout.warp(images, numpy.random.default_rng(1))
    assert (first == heldout.warp(images, numpy.random.default_rng(1))).all()
    assert (first != heldout.warp(images, numpy.random.default_rng(2))).any()
    assert (heldout.warp(images, numpy.random.default_rng(1), rotate=0, scale=0, shift=0) == images).all()


def _mnist_in_memory(count=12):
    rng = numpy.random.default_rng(3)
    images = numpy.zeros((count, 28, 28), numpy.uint8)
    images[:, 8:20, 10:16] = rng.integers(50, 256, (count, 1, 1))
    return images.reshape(count, -1), None


def test_the_assignment_quotes_the_graded_threshold_the_judge_uses():
    needed = float(re.search(r"^GRADED_ACCURACY = ([0-9.]+)", references("mnist_classifier"), re.M).group(1))
    text = "\n".join(c.source for c in nbformat.read(ROOT / "source" / "mnist_classifier" / "mnist_classifier.ipynb",
                                                     as_version=4).cells if c.cell_type == "markdown")
    assert f"({needed:.1%})" in text, f"the assignment should say that grading asks for {needed:.1%}"


def test_a_notebook_that_reads_no_held_out_set_gets_no_view_and_no_mount(tmp_path):
    """A held-out set that the notebook's locked cells do not read (loss_functions reads no MNIST) is neither
    warped (no time spent on it) nor mounted: its kernel sees the rest of the data root only."""
    _mnist(tmp_path / "data")
    (tmp_path / "data" / "other").mkdir()
    mounts, judge_root = heldout.views(["MNIST"], 7, tmp_path / "views", tmp_path / "data", used=[])
    assert mounts == [(str(tmp_path / "data" / "other"), str(tmp_path / "data" / "other"))] and judge_root is None
    assert not (tmp_path / "views").exists()
    mounts, judge_root = heldout.views(["MNIST"], 7, tmp_path / "views", tmp_path / "data", used=["MNIST"])
    assert judge_root and any(dest.endswith("t10k-images-idx3-ubyte") for _, dest in mounts)
