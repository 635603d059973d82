"""How strong are the held-out MNIST views (grader/heldout.py: each test image through its own small
random affine map, drawn from the learner's seed)? Two sides, for many seeds:

- a lookup of the public test set, as a learner who carries it would try: the nearest public test
  image (distance in pixels), and the same over every shift of the public images by up to 2 pixels
  either way: how often it is the very image the view was made from, and how often its label is right;
- networks trained as the accuracy check trains them (the first --nets MNISTNet styles of
  tests/kit/honest.py, the graded recipe: 2 epochs, Adam 0.003 then 0.0003, batches of 128), and the
  same stopped early (after --short batches) to have networks near the 98.5% line: their accuracy on
  the public test images and on the views. The graded threshold (source/mnist_classifier/references.py,
  GRADED_ACCURACY) must be below the views' accuracy of every network that reaches the visible 98.5%
  on the public images.

    ./course run python -m bench.heldout_transforms [--seeds 10] [--nets 3] [--short 150 300] [--lookup-images 2000] [--write]
"""
import argparse
import re
import time

import numpy
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from bench.results import recorded
from grader import heldout
from grader.course import references
from tools.fill_data import data_root

MEAN, STD = 0.1307, 0.3081  # the assignment's normalisation


def mnist(train):
    """uint8 images (N, 784) and labels (N,) of the data root's MNIST."""
    prefix = "train" if train else "t10k"
    raw = data_root() / "MNIST" / "raw"
    images = (raw / f"{prefix}-images-idx3-ubyte").read_bytes()[16:]
    labels = (raw / f"{prefix}-labels-idx1-ubyte").read_bytes()[8:]
    return numpy.frombuffer(images, numpy.uint8).reshape(-1, 784), numpy.frombuffer(labels, numpy.uint8)


def as_tensors(pixels, labels):
    x = ((torch.from_numpy(pixels.astype(numpy.float32)) / 255 - MEAN) / STD).reshape(-1, 1, 28, 28)
    return TensorDataset(x, torch.from_numpy(labels.astype(numpy.int64)))


def lookup(public, labels, views, order, shifts):
    """(how often the nearest public image, over every shift in `shifts`, is the view's own source;
    how often its label is right)."""
    pub = public.reshape(-1, 28, 28).astype(numpy.float32)
    queries = torch.from_numpy(views.astype(numpy.float32))
    best = torch.full((len(views),), float("inf"))
    found = torch.zeros(len(views), dtype=torch.long)
    for dy in shifts:
        for dx in shifts:
            moved = torch.from_numpy(numpy.roll(pub, (dy, dx), axis=(1, 2)).reshape(len(pub), -1))
            d = torch.cdist(queries, moved)
            value, index = d.min(dim=1)
            better = value < best
            best[better], found[better] = value[better], index[better]
    found = found.numpy()
    return (found == order).mean(), (labels[found] == labels[order]).mean()


def train_net(source, train, seed, batches=None):
    """The MNISTNet of `source`, trained as the accuracy check trains it (stopped after `batches`)."""
    space = {"torch": torch, "nn": nn}
    exec(source, space)
    torch.manual_seed(seed)
    net = space["MNISTNet"]()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    loss_fn = nn.CrossEntropyLoss()
    done = 0
    for _ in range(2):
        net.train()
        for x, y in DataLoader(train, batch_size=128, shuffle=True):
            if batches is not None and done == batches:
                return net.eval()
            done += 1
            optimizer.zero_grad()
            loss_fn(net(x), y).backward()
            optimizer.step()
        scheduler.step()
    return net.eval()


def accuracy(net, data):
    with torch.no_grad():
        return sum((net(x).argmax(1) == y).sum().item() for x, y in DataLoader(data, batch_size=1000)) / len(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="learner seeds (views) per network")
    parser.add_argument("--short", type=int, nargs="*", default=[150, 300], help="also train each style for only these many batches")
    parser.add_argument("--nets", type=int, default=3, help="how many MNISTNet styles of the honest corpus to train")
    parser.add_argument("--lookup-images", type=int, default=2000, help="test images the lookup is measured on")
    parser.add_argument("--write", action="store_true", help="write the result to bench/RESULTS.md")
    args = parser.parse_args()
    from tests.kit.honest import MNIST_NET
    train_pixels, train_labels = mnist(True)
    test_pixels, test_labels = mnist(False)
    train = as_tensors(train_pixels, train_labels)
    found = re.search(r"^GRADED_ACCURACY = ([0-9.]+)", references("mnist_classifier"), re.M)
    graded = float(found.group(1)) if found else None
    with recorded("bench/heldout_transforms.py", "Held-out MNIST views: a lookup against networks", args.write):
        print(f"Each view: every test image rotated by up to {heldout.ROTATE} degrees, rescaled by up to "
              f"{heldout.SCALE:.0%}, shifted by up to {heldout.SHIFT} pixels (its own random map), "
              f"{args.seeds} learner seeds.\n")
        views = []
        for seed in range(args.seeds):
            rng = numpy.random.default_rng(seed)
            order = rng.permutation(len(test_pixels))
            views.append((heldout.warp(test_pixels[order], rng), test_labels[order], order))
        n = args.lookup_images
        print(f"| lookup of the public test set ({n} images, 3 seeds) | finds the view's own source | "
              "its label is right |\n| --- | --- | --- |")
        for name, shifts in (("nearest image", [0]), ("nearest image over shifts of up to 2 px", range(-2, 3))):
            got = [lookup(test_pixels, test_labels, v[:n], o[:n], shifts) for v, _, o in views[:3]]
            print(f"| {name} | {numpy.mean([g[0] for g in got]):.1%} | {numpy.mean([g[1] for g in got]):.1%} |")
        print("\n| network (tests/kit/honest.py), training | public test images | views (min / mean / max) | seconds |\n"
              "| --- | --- | --- | --- |")
        lowest, worst_drop = 1.0, 0.0
        for k, source in enumerate(MNIST_NET[:args.nets]):
            for batches in [None, *args.short]:
                start = time.perf_counter()
                net = train_net(source, train, seed=k, batches=batches)
                clean = accuracy(net, as_tensors(test_pixels, test_labels))
                warped = [accuracy(net, as_tensors(v, t)) for v, t, _ in views]
                worst_drop = max(worst_drop, clean - min(warped))
                if clean >= 0.985:
                    lowest = min(lowest, min(warped))
                print(f"| MNIST_NET[{k}], {'2 epochs' if batches is None else f'{batches} batches'} | {clean:.2%} | "
                      f"{min(warped):.2%} / {numpy.mean(warped):.2%} / {max(warped):.2%} | "
                      f"{time.perf_counter() - start:.0f} |")
        print(f"\nLargest drop from the public images to a view: {worst_drop:.2%} (percentage points).")
        print(f"Lowest accuracy on a view of a network that passes 98.5% on the public images: {lowest:.2%}; "
              f"the graded threshold (references.py GRADED_ACCURACY): {graded:.2%}." if graded else
              f"Lowest accuracy on a view of a network that passes 98.5% on the public images: {lowest:.2%}.")


if __name__ == "__main__":
    main()
