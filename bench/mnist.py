"""The lesson's MNIST recipe against the PyTorch examples' reference recipe, in one run.

Usage: ./course run python -m bench.mnist [--reference-epochs 14]

- lesson: the code cells of notebooks/03_mnist_classification.ipynb, run as they are up to
  and including its training cell (a small CNN, Adam with a one-cycle schedule, 2 epochs, batch
  128, MNIST normalized once as one tensor);
- reference: github.com/pytorch/examples mnist/main.py's recipe (two 3x3 convolutions with 32 and
  64 channels, dropout, a 128-unit hidden layer; Adadelta lr=1.0, StepLR gamma 0.7; batch 64; a
  DataLoader with per-sample ToTensor and Normalize), trained until it reaches 99.0% or for
  --reference-epochs epochs.

Prints the test accuracy after every epoch, the training wall time (evaluation not counted) to
reach 99.0% test accuracy, and the ratio. Runs on the GPU when there is one.
"""
import argparse
import sys
import time

import matplotlib
import nbformat
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from grader.course import ROOT
from tools.fill_data import data_root  # the course's one data root
from bench.results import recorded

LESSON = ROOT / "notebooks" / "03_mnist_classification.ipynb"
TARGET = 0.99


def lesson_recipe():
    """Run the lesson's code cells up to its training cell; return its per-epoch history."""
    matplotlib.use("Agg")  # the lesson's plots are drawn off-screen
    namespace = {}
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type == "code":
            if "history = fit(" in cell.source:
                # The lesson makes its choices on a validation split and touches the test set once; this
                # benchmark compares recipes by test accuracy after each epoch, as pytorch/examples does.
                namespace["validation_loader"] = namespace["test_loader"]
            exec(compile(cell.source, f"{LESSON.name} cell {cell.id}", "exec"), namespace)
            if "history = fit(" in cell.source:
                history = namespace["history"]
                return history["validation_accuracy"], history["train_seconds"]
    raise SystemExit(f"no cell of {LESSON} assigns history = fit(...): update bench/mnist.py")


class ReferenceNet(nn.Module):
    """pytorch/examples mnist/main.py's Net."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def reference_recipe(max_epochs, device):
    """pytorch/examples mnist/main.py's training, stopped once the test accuracy reaches 99%."""
    torch.manual_seed(1)  # the example's default seed
    root = data_root()
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    extra = {"num_workers": 1, "pin_memory": True} if device.type == "cuda" else {}
    train_loader = DataLoader(datasets.MNIST(root, train=True, download=True, transform=transform),
                              batch_size=64, shuffle=True, **extra)
    test_loader = DataLoader(datasets.MNIST(root, train=False, transform=transform), batch_size=1000, **extra)
    model = ReferenceNet().to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    accuracies, seconds = [], []
    elapsed = 0.0
    for epoch in range(max_epochs):
        start = time.perf_counter()
        model.train()
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            F.nll_loss(model(data), target).backward()
            optimizer.step()
        scheduler.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed += time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum((model(x.to(device)).argmax(1) == y.to(device)).sum().item() for x, y in test_loader)
        accuracies.append(correct / len(test_loader.dataset))
        seconds.append(elapsed)
        print(f"  reference epoch {epoch + 1}: {accuracies[-1]:.2%} after {elapsed:.1f} s", flush=True)
        if accuracies[-1] >= TARGET:
            break
    return accuracies, seconds


def report(name, accuracies, seconds):
    for epoch, (accuracy, elapsed) in enumerate(zip(accuracies, seconds), 1):
        print(f"{name:9s} epoch {epoch:2d}: test accuracy {accuracy:.2%}, {elapsed:7.1f} s of training")
    reached = next((elapsed for accuracy, elapsed in zip(accuracies, seconds) if accuracy >= TARGET), None)
    print(f"{name:9s} reaches {TARGET:.1%}: " + (f"after {reached:.1f} s" if reached else "never"))
    return reached


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-epochs", type=int, default=14, help="the example's default: 14")
    parser.add_argument("--write", action="store_true", help="put the numbers in bench/RESULTS.md")
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"PyTorch {torch.__version__} on {name}")
    print("lesson recipe (notebooks/03_mnist_classification.ipynb) ...", flush=True)
    lesson = report("lesson", *lesson_recipe())
    print("reference recipe (pytorch/examples mnist/main.py) ...", flush=True)
    reference = report("reference", *reference_recipe(args.reference_epochs, device))
    if lesson and reference:
        print(f"the lesson reaches {TARGET:.1%} {reference / lesson:.1f}x sooner than the reference recipe")


if __name__ == "__main__":
    with recorded("bench/mnist.py", "MNIST: the lesson's recipe against the PyTorch examples' recipe", "--write" in sys.argv[1:]):
        main()
