"""How accurate can a network be that fits in the bits the MNIST accuracy check lets a forward compute with of its
own (CARRIED_BITS in mnist_classifier's helper cell: 1,024 bits, 128 bytes)? An attacker would train one elsewhere,
as well as they can, and carry it: here small CNNs with few channels, their weights quantized to 1 to 4 bits
(a float scale of 4 bytes a layer, no biases), trained as an attacker would: Adam with a cosine schedule, each
batch drawn from the training images and three copies warped as grader/heldout.py warps (other seeds than the
views'), then quantization-aware training (straight-through rounding, a learned scale a layer). Accuracy of the
quantized network on the public test images and on views warped for learner seeds 0, 1 and 2; the graded bar is
references.py's GRADED_ACCURACY.

    ./course run python -m bench.carried_networks [--archs A128 B128 A256] [--float-epochs 8] [--qat-epochs 8] [--write]
"""
import argparse
import math
import re
import time

import numpy
import torch
import torch.nn as nn
import torch.nn.functional as F

from bench.heldout_transforms import mnist
from bench.results import recorded
from grader import heldout
from grader.course import references

# a layer: ("conv", in, out, kernel, bits), ("pool", size), ("fc", in, out, bits)
ARCHS = {
    "A128": [("conv", 1, 2, 5, 2), ("pool", 2), ("conv", 2, 3, 5, 2), ("pool", 2), ("fc", 48, 10, 1)],
    "B128": [("conv", 1, 2, 5, 2), ("pool", 2), ("conv", 2, 4, 5, 2), ("pool", 4), ("fc", 16, 10, 2)],
    "C128": [("conv", 1, 2, 5, 4), ("pool", 2), ("conv", 2, 3, 5, 2), ("pool", 4), ("fc", 12, 10, 3)],
    "A256": [("conv", 1, 2, 5, 4), ("pool", 2), ("conv", 2, 4, 5, 2), ("pool", 2), ("fc", 64, 10, 2)],
    "D256": [("conv", 1, 3, 5, 2), ("pool", 2), ("conv", 3, 5, 5, 2), ("pool", 2), ("fc", 80, 10, 1)],
}


def quantized(w, scale, bits):
    """w on 2**bits levels (k + 0.5) * scale, k in [-2**(bits-1), 2**(bits-1) - 1] (1 bit: sign * scale); the
    gradient passes the rounding, and the clamp up to twice the range."""
    half = 2 ** (bits - 1)
    x = torch.clamp(w / scale, -2 * half, 2 * half)
    k = x + (torch.clamp(torch.floor(x), -half, half - 1) - x).detach()
    return (k + 0.5) * scale


class Layer(nn.Module):
    def __init__(self, kind, shape, bits):
        super().__init__()
        self.kind, self.bits, self.quant = kind, bits, False
        self.weight = nn.Parameter(torch.empty(shape))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.log_scale = nn.Parameter(torch.zeros(()))

    def start_quantizing(self):
        """The scale with the least squared error on the float weights, learned from there."""
        w = self.weight.detach()
        scales = [float(w.abs().max()) * f / 2 ** (self.bits - 1) for f in numpy.linspace(0.05, 2.0, 200)]
        best = min(scales, key=lambda s: float(((quantized(w, torch.tensor(s), self.bits) - w) ** 2).sum()))
        self.log_scale.data.fill_(math.log(best))
        self.quant = True

    def forward(self, x):
        w = quantized(self.weight, self.log_scale.exp(), self.bits) if self.quant else self.weight
        return F.conv2d(x, w) if self.kind == "conv" else F.linear(x.flatten(1), w)


class Net(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.layers = nn.ModuleList(Layer("conv", (s[2], s[1], s[3], s[3]), s[4]) if s[0] == "conv" else
                                    Layer("fc", (s[2], s[1]), s[3]) for s in spec if s[0] != "pool")
        self.temperature = nn.Parameter(torch.zeros(()))  # (does not change the argmax: not carried)

    def forward(self, x):
        layers = iter(self.layers)
        for i, s in enumerate(self.spec):
            if s[0] == "pool":
                x = F.max_pool2d(x, s[1])
            else:
                x = next(layers)(x)
                x = F.relu(x) if i < len(self.spec) - 1 else x
        return x * self.temperature.exp()

    def size(self):
        """Weights, and bytes carried: their bits packed, and a 4-byte scale a layer."""
        return (sum(m.weight.numel() for m in self.layers),
                sum(math.ceil(m.weight.numel() * m.bits / 8) + 4 for m in self.layers))


def tensor(pixels):
    return torch.from_numpy(numpy.array(pixels, dtype=numpy.float32)).view(-1, 1, 28, 28) / 255


@torch.no_grad()
def accuracy(net, pixels, labels):
    net.eval()
    predicted = torch.cat([net(tensor(pixels[i:i + 2000])).argmax(1) for i in range(0, len(pixels), 2000)])
    return float((predicted == torch.as_tensor(labels.astype(numpy.int64))).float().mean())


def train(spec, train_pixels, train_labels, float_epochs, qat_epochs):
    torch.manual_seed(0)
    pools = [train_pixels] + [heldout.warp(train_pixels, numpy.random.default_rng(1000 + k)) for k in range(3)]
    labels = torch.as_tensor(train_labels.astype(numpy.int64))
    net = Net(spec)
    draw = torch.Generator().manual_seed(0)
    for epoch in range(float_epochs + qat_epochs):
        if epoch in (0, float_epochs):
            if epoch:
                for layer in net.layers:
                    layer.start_quantizing()
            optimizer = torch.optim.Adam(net.parameters(), lr=3e-3 if epoch == 0 else 1e-3)
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, (float_epochs if epoch == 0 else qat_epochs) * 469)
        net.train()
        order = torch.randperm(len(labels), generator=draw)
        source = torch.randint(0, len(pools), (len(labels),), generator=draw).numpy()
        for i in range(0, len(labels), 128):
            idx = order[i:i + 128].numpy()
            batch = numpy.stack([pools[s][j] for s, j in zip(source[i:i + 128], idx)])
            loss = F.cross_entropy(net(tensor(batch)), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", nargs="+", default=["A128", "B128", "A256"], choices=sorted(ARCHS))
    parser.add_argument("--float-epochs", type=int, default=8)
    parser.add_argument("--qat-epochs", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="make this its section of bench/RESULTS.md")
    args = parser.parse_args()
    train_pixels, train_labels = mnist(True)
    test_pixels, test_labels = mnist(False)
    views = []
    for seed in range(3):
        rng = numpy.random.default_rng(seed)
        order = rng.permutation(len(test_pixels))
        views.append((heldout.warp(test_pixels[order], rng), test_labels[order]))
    found = re.search(r"^GRADED_ACCURACY = ([0-9.]+)", references("mnist_classifier"), re.M)
    with recorded("bench/carried_networks.py", "Networks small enough to carry in a forward", args.write):
        print(f"{args.float_epochs} epochs in floats, then {args.qat_epochs} quantized; views of learner seeds 0, 1, 2; "
              f"the graded bar {float(found.group(1)):.2%}.\n")
        print("| network | weights | bytes | public test images | views (mean) | seconds |\n| --- | --- | --- | --- | --- | --- |")
        for name in args.archs:
            start = time.perf_counter()
            net = train(ARCHS[name], train_pixels, train_labels, args.float_epochs, args.qat_epochs)
            weights, size = net.size()
            warped = numpy.mean([accuracy(net, v, t) for v, t in views])
            print(f"| {name}: {ARCHS[name]} | {weights} | {size} | {accuracy(net, test_pixels, test_labels):.2%} | "
                  f"{warped:.2%} | {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
