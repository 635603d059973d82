"""What the network predicts with: the steps of its forward, recorded on training images before it sees an image it
predicts and run again on each batch, computing with the images, its layers' weights, batch norm's statistics as the
steps give them on the training images, and at most CARRIED_BITS (1,024 bits, 128 bytes) of their own (`Steps`,
`recorded` and `mnist_predictions` in mnist_classifier's helper cell). The best network of 128 bytes that
bench/carried_networks.py trained reaches 86% on warped views (the bar: 95%).

Before this change docs/trust.md's "Not promised" named it: a forward pass that computes a second network from data in
its own code (with tensors of its own), or mixes into its output a tensor that the loop hands it through an attribute
of the learner's own network. Measured before the change (main 049384b + round thirty-two, the proxy of
test_red_team_twentyone on 1,024 training images, the public test set; every attack accepted by the static rule,
every count of the check 0):

- CARRIED_IN_FORWARD, round eighteen's 4-bit network of 1,680 weights (840 bytes, inside DATA_BUDGET) computed in the
  forward while it predicts (told apart by `own.requires_grad`), beside a small network the reference loop trains
  honestly: 98.08%, where the same network alone (CONTROL) predicts 47.91%;
- MEMORY, the loop hands the network every batch it trained on (`model.bank = kept`, images and one-hot labels) and
  the forward adds a nearest-neighbour lookup among them in torch: 87.15%;
- NUMPY_WRITE, the same lookup in numpy, written into the forward's output through its memory (`.numpy()`, which no
  torch operation sees): 87.15%.

After: CARRIED_IN_FORWARD and MEMORY are counted (`carried`: 326,509 and 3,531,383 bits, so test_mnist_accuracy fails
with its own message), NUMPY_WRITE's predictions are the CONTROL network's, to the bit (47.91%): the write is no step,
so it is not in what runs again. The honest corpus (tests/kit/honest.py's MNISTNets and the styles below) uses 97 to
477 bits, and its predictions run again are its forward's, to the bit.

Our attacks on the change, each refused below (and rounds thirty-three to thirty-seven's, at the end of the file;
since round thirty-seven what the forward computes while it trains is counted too):
a forward that fails (or returns no tensor) when it is recorded and works when it predicts (the check fails: it
never predicts with a forward it did not record); Python numbers handed to torch one at a time instead of a tensor
(SCALARS, counted); the batch of the layer check, written through numpy by a forward it runs (layers_that_count gets
a copy).
"""
import base64
import gc
import textwrap

import pytest
import torch
from torch import nn

from kit.honest import MNIST_NET, TRAIN_ONE_EPOCH
from test_own_work import M
from test_red_team_eighteen import SMALL, SMALL_SCALES
from test_red_team_twentyone import _helpers_namespace, _run_as_graded
from test_red_team_twentytwo import _both

P = base64.b64decode("".join(SMALL))
REFERENCE_LOOP = TRAIN_ONE_EPOCH[0]

CARRIED_IN_FORWARD = f'''P = {P!r}
S = {SMALL_SCALES!r}


def conv(x, w, b):
    k = w.shape[-1]
    m = x.shape[-1] - k + 1
    o = 0
    for i in range(k):
        for j in range(k):
            o = o + torch.einsum("bchw,oc->bohw", x[:, :, i:i + m, j:j + m], w[:, :, i, j])
    return o + b[None, :, None, None]


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)

    def forward(self, x):
        own = self.classifier(self.features(x).flatten(1))
        if own.requires_grad:
            return own
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        w, q = [], 0
        for z, k in zip([(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)], S):
            n = torch.zeros(z).numel()
            w.append((torch.tensor(c[q:q + n]) * k).reshape(z))
            q += n
        h = nn.functional.max_pool2d(nn.functional.relu(conv(x, w[0], w[1])), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(conv(h, w[2], w[3])), 2)
        return h.flatten(1) @ w[4].t() + w[5] + 0.05 * own
'''

PLAIN_LAYERS = '''class MNISTNet(nn.Module):
    """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(6 * 16, 10)
        self.bank = []

    def own(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''

# the loop keeps every training batch (images and one-hot labels) in the network: the prediction looks them up
BANK_LOOP = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train(True)
    running, kept = 0.0, []
    for inputs, labels in loader:
        inputs = inputs.to(device)
        labels = labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        kept.append((inputs.detach().flatten(start_dim=1).clone(), (labels[:, None] == torch.arange(10)).float()))
        running += loss.item() * labels.size(0)
    model.bank = kept
    return running / len(loader.dataset)
'''

# nearest neighbour among the kept batches, in torch: the kept tensors are the forward's own
MEMORY = PLAIN_LAYERS + '''
    def forward(self, x):
        own = self.own(x)
        if own.requires_grad or not self.bank:
            return own
        p = x.flatten(start_dim=1)
        best, label = None, None
        for bx, by in self.bank:
            d = 2 * p @ bx.t() - (bx * bx).sum(1)[None, :]
            m, i = d.max(1)
            if best is None:
                best, label = m, by[i]
            else:
                better = (m > best).float()[:, None]
                best = torch.maximum(best, m)
                label = label * (1 - better) + by[i] * better
        return own + 100 * label
'''

# the same lookup in numpy, written into the network's output through its memory: no torch operation sees it
NUMPY_BANK_LOOP = BANK_LOOP.replace(
    "kept.append((inputs.detach().flatten(start_dim=1).clone(), (labels[:, None] == torch.arange(10)).float()))",
    "kept.append((inputs.detach().flatten(start_dim=1).clone().numpy(), (labels[:, None] == torch.arange(10)).float().numpy()))")
NUMPY_WRITE = PLAIN_LAYERS + '''
    def forward(self, x):
        own = self.own(x)
        if own.requires_grad or not self.bank:
            return own
        p = x.detach().flatten(start_dim=1).numpy()
        best, label = None, None
        for bx, by in self.bank:
            d = 2 * p @ bx.T - (bx * bx).sum(1)[None, :]
            m, i = d.max(1), d.argmax(1)
            if best is None:
                best, label = m, by[i]
            else:
                better = (m > best)[:, None]
                best = best * (m <= best) + m * (m > best)
                label = label * ~better + by[i] * better
        own.detach().numpy()[:] += 100 * label
        return own
'''

CONTROL = PLAIN_LAYERS + '''
    def forward(self, x):
        return self.own(x)
'''

# the carried network's head as Python numbers, one multiplication each: no tensor of the forward's own
SCALARS = PLAIN_LAYERS + '''
    def forward(self, x):
        own = self.own(x)
        if own.requires_grad:
            return own
        p = nn.functional.avg_pool2d(x, 7).flatten(1)
        out = own
        for k in range(160):
            out = out + p[:, k % 16:k % 16 + 1] * ((k * 37) % 11 - 5) * 0.01
        return out
'''

# the forward fails the first time it runs without gradients (the recording), and predicts afterwards
FAILS_ONCE = PLAIN_LAYERS + '''
    def forward(self, x):
        own = self.own(x)
        if own.requires_grad or self.bank:
            return own
        self.bank = [1]
        return None
'''

# while the layer check runs it (on a batch it then predicts), the forward writes into that batch through numpy
WRITES_THE_BATCH = PLAIN_LAYERS + '''
    def forward(self, x):
        own = self.own(x)
        if not own.requires_grad:
            x.detach().numpy()[:, 0, 0, :10] = 0.0
        return own + 0.0 * x[:, 0, 0, :10]
'''


# Round thirty-three (a desk round on this change, its cells as it wrote them): round eighteen's network carried in
# batch norm's buffers, which the steps first took as the network's own (known) like its weights. BN_BUFFERS: six
# buffers registered on an nn.BatchNorm1d (register_buffer, @layers), filled by every training forward from the
# decoded bytes (the snapshot after each look keeps them); the prediction is that network in matmuls. BN_MOMENTUM:
# nn.BatchNorm1d(2031178, eps=1, momentum=1) called in training forwards on the network stacked twice, so that its
# running mean IS the network; read back while predicting as -bn(zeros). Measured by the round (its harness: the
# honest loop on 512 random images, the real test set): every count 0, 98.08% both, replay equal to the forward; the
# same small network alone 11.40%. After the fix (the buffers of the forward's own unless they are a batch norm step's
# running statistics, which are estimated on training images): BN_BUFFERS counted (58,122,879 bits), BN_MOMENTUM
# predicts 9.80% (its running mean, estimated, is that of zeros).

BN_BUFFERS = f'''P = {P!r}
S = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318, 0.11152498211179461, 0.022458102021898543)


def u(x, w):
    k = w.shape[-1]
    m = x.shape[-1] - k + 1
    o = 0
    for i in range(k):
        for j in range(k):
            o = o + (x[:, :, i:i + m, j:j + m].transpose(1, 3) @ w[:, :, i, j].t()).transpose(1, 3)
    return o


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = []
        self.f = nn.Sequential(nn.Conv2d(1, 2, 5), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(72, 10))
        self.n = nn.BatchNorm1d(1, affine=False)
        self.b = [torch.zeros(784, 2304), torch.zeros(2304), torch.zeros(576, 384), torch.zeros(384),
                  torch.zeros(96, 10), torch.zeros(10)]
        for i, t in enumerate(self.b):
            self.n.register_buffer(str(i), t)

    def forward(self, x):
        o = self.f(x)
        if o.requires_grad and not self.c:
            c = []
            for b in P:
                c += [b // 16 - 8, b % 16 - 8]
            w, q = [], 0
            for z, k in zip([(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)], S):
                n = torch.zeros(z).numel()
                w.append((torch.tensor(c[q:q + n]) * k).reshape(z))
                q += n
            with torch.no_grad():
                self.c = [u(torch.eye(784).view(784, 1, 28, 28), w[0]), w[1][:, None].expand(4, 576),
                                         u(torch.eye(576).view(576, 4, 12, 12), w[2]), w[3][:, None].expand(6, 64),
                          w[4].t(), w[5]]
        if o.requires_grad:
            for t, v in zip(self.b, self.c):
                t.copy_(v.reshape(t.shape))
            return o
        a, b, c, d, e, f = self.b
        h = nn.functional.max_pool2d((x.flatten(1) @ a + b).relu().view(-1, 4, 24, 24), 2)
        h = nn.functional.max_pool2d((h.flatten(1) @ c + d).relu().view(-1, 6, 8, 8), 2)
        return h.flatten(1) @ e + f + o / 20
'''

BN_MOMENTUM = f'''P = {P!r}
S = (1, 0.389129283101494, 1, 1.4810008847912983, 1, 17.245140269833993)


def u(x, w):
    k = w.shape[-1]
    m = x.shape[-1] - k + 1
    o = 0
    for i in range(k):
        for j in range(k):
            o = o + (x[:, :, i:i + m, j:j + m].transpose(1, 3) @ w[:, :, i, j].t()).transpose(1, 3)
    return o


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = []
        self.f = nn.Sequential(nn.Conv2d(1, 2, 5), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(72, 10))
        self.n = nn.BatchNorm1d(2031178, eps=1, momentum=1, affine=False)

    def forward(self, x):
        o = self.f(x)
        if o.requires_grad and not self.c:
            c = []
            for b in P:
                c += [b // 16 - 8, b % 16 - 8]
            w, q = [], 0
            for z, k in zip([(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)], S):
                n = torch.zeros(z).numel()
                w.append((torch.tensor(c[q:q + n]).float() * k).reshape(z))
                q += n
            with torch.no_grad():
                v = torch.cat([u(torch.eye(784).view(784, 1, 28, 28), w[0]).flatten(), w[1][:, None].expand(4, 576).flatten(),
                               u(torch.eye(576).view(576, 4, 12, 12), w[2]).flatten(), w[3][:, None].expand(6, 64).flatten(),
                               w[4].t().flatten(), w[5]])
                self.c = [v, v]
        if o.requires_grad:
            self.n(torch.stack(self.c))
            return o
        a, b, c, d, e, f = (-self.n(torch.zeros(1, 2031178))[0]).split([1806336, 2304, 221184, 384, 960, 10])
        h = nn.functional.max_pool2d((x.flatten(1) @ a.view(784, 2304) + b).relu().view(-1, 4, 24, 24), 2)
        h = nn.functional.max_pool2d((h.flatten(1) @ c.view(576, 384) + d).relu().view(-1, 6, 8, 8), 2)
        return h.flatten(1) @ e.view(96, 10) + f + o * 40
'''


# Round thirty-four (a desk round on the fix of thirty-three, its cells as it wrote them): the statistics were estimated
# on the very tensor the forward had been handed, which its last line changes where no step sees it. DATA_SWAPPED:
# `x.data = self.u` (a buffer of the learner's own holding round eighteen's network 25 times over, im2col tables
# included), after the forward's last step; WRITTEN_THROUGH_NUMPY: the same through `x.numpy()`. The estimating run
# then gave `nn.BatchNorm1d(31360, eps=1)` a running mean that IS the network, which `(y - bn(y))[0]` read back on
# every batch: 765 and 777 bits, every count 0, 97.23% on views warped for seed 7 (the round's harness: the reference
# loop on 512 random images); without the write, 9.71%. After the fix (the forward records on a copy, the statistics
# are estimated on the images it never gets): both predict as their own small network.

DATA_SWAPPED = f'''P = {P!r}
S = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318, 0.11152498211179461, 0.022458102021898543)
Q = 31360
Z = [(4, 25), (4,), (6, 100), (6,), (10, 96), (10,)]


def g(n, c):
    p = torch.arange(n - 4)
    q = torch.arange(5)
    t = torch.arange(c)[:, None, None] * n * n + q[:, None] * n + q
    return ((p[:, None] * n + p).reshape(-1, 1) + t.reshape(1, -1)).flatten()


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(Q, eps=1)
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        v, q = [g(28, 1), g(12, 4)], 0
        for z, k in zip(Z, S):
            n = torch.zeros(z).numel()
            v.append(torch.tensor(c[q:q + n]) * k)
            q += n
        u = torch.zeros(25, Q)
        u[:, :22480] = torch.cat(v)
        self.register_buffer("u", u)
        self.u = u
        self.k = [torch.zeros(z).numel() for z in Z]
        self.d = 0

    def forward(self, x):
        if self.d or self.c.bias.mul(1).requires_grad:
            o = self.c(self.f(x).flatten(1))
            return o + 0 * self.n(self.u[:2]).sum()
        y = x.reshape(25, Q)
        m = (y - self.n(y))[0]
        a, b = m[:20800].round().long().split(14400)
        w = [t.reshape(z) for t, z in zip(m[20800:22480].split(self.k), Z)]
        h = x.reshape(-1, 784)[:, a].reshape(-1, 576, 25) @ w[0].t() + w[1]
        h = nn.functional.max_pool2d(h.transpose(1, 2).reshape(-1, 4, 24, 24).relu(), 2)
        h = h.reshape(-1, 576)[:, b].reshape(-1, 64, 100) @ w[2].t() + w[3]
        h = nn.functional.max_pool2d(h.transpose(1, 2).reshape(-1, 6, 8, 8).relu(), 2)
        self.d = 1
        x.data = self.u
        return h.reshape(-1, 96) @ w[4].t() + w[5]
'''

WRITTEN_THROUGH_NUMPY = f'''P = {P!r}
S = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318, 0.11152498211179461, 0.022458102021898543)
Q = 31360
Z = [(4, 25), (4,), (6, 100), (6,), (10, 96), (10,)]


def g(n, c):
    p = torch.arange(n - 4)
    q = torch.arange(5)
    t = torch.arange(c)[:, None, None] * n * n + q[:, None] * n + q
    return ((p[:, None] * n + p).reshape(-1, 1) + t.reshape(1, -1)).flatten()


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(Q, eps=1)
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        v, q = [g(28, 1), g(12, 4)], 0
        for z, k in zip(Z, S):
            n = torch.zeros(z).numel()
            v.append(torch.tensor(c[q:q + n]) * k)
            q += n
        self.v = torch.cat(v).tolist()
        self.k = [torch.zeros(z).numel() for z in Z]
        self.d = 0

    def forward(self, x):
        if self.d or self.c.bias.mul(1).requires_grad:
            o = self.c(self.f(x).flatten(1))
            return o + 0 * self.n(torch.zeros(2, Q)).sum()
        y = x.reshape(25, Q)
        m = (y - self.n(y))[0]
        a, b = m[:20800].round().long().split(14400)
        w = [t.reshape(z) for t, z in zip(m[20800:22480].split(self.k), Z)]
        h = x.reshape(-1, 784)[:, a].reshape(-1, 576, 25) @ w[0].t() + w[1]
        h = nn.functional.max_pool2d(h.transpose(1, 2).reshape(-1, 4, 24, 24).relu(), 2)
        h = h.reshape(-1, 576)[:, b].reshape(-1, 64, 100) @ w[2].t() + w[3]
        h = nn.functional.max_pool2d(h.transpose(1, 2).reshape(-1, 6, 8, 8).relu(), 2)
        self.d = 1
        x.numpy().reshape(25, Q)[:, :22480] = self.v
        return h.reshape(-1, 96) @ w[4].t() + w[5]
'''


# Round thirty-five (a desk round on the fix of thirty-four, its cells as it wrote them): the steps ran again with the
# weights themselves, and the check compares weights with torch.equal, for which -0.0 equals 0.0. SIGNS: a
# BatchNorm1d(53760) whose bias no gradient reaches (its output times 0) stays 0.0; while predicting, the forward writes
# -0.0 into chosen elements of it through numpy (no step), and its steps read the signs back (`reciprocal().lt(0)`),
# rebuild round eighteen's network as exact float32 weights, copy them into its own layers, call them through
# `.forward` and put the weights back: 679 bits, every count 0, 97.29% on views warped for seed 7, 98.08% on the public
# test set (the round's harness: the reference loop on 1,024 random images); without the signs, 9.80%.
# SIGNS_IN_TRAINING writes the signs in training forwards (an update of -0.0 by Adam keeps them): 98.08%. The round
# also found NaN payloads counted as their text (`nan`: 12 bits, and the same text once), a copy of the forward's own
# tensors taken after a step that changes it in place and changed again by every run, and a zero-size tensor's shape
# counted as nothing. After the fix (each run gets fresh copies of the weights and of the forward's own tensors, taken
# before any step, with -0.0 made 0.0; a float that is not finite counts 64 bits, and numbers are told apart to the
# bit; a tensor's shape counts), SIGNS and SIGNS_IN_TRAINING predict as their own small network.

SIGNS = f'''P = {P!r}
S = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318, 0.11152498211179461, 0.022458102021898543)
Z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(1680 * 32)
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        w, q = [], 0
        for z, k in zip(Z, S):
            n = torch.zeros(z).numel()
            w.append(torch.tensor(c[q:q + n]) * k)
            q += n
        u = torch.cat(w).view(torch.int32).long() % 2 ** 32
        bits = (u[:, None] // 2 ** torch.arange(32)) % 2
        self.k = [t.numel() for t in w]
        self.signs = torch.where(bits.flatten() == 1, -0.0, 0.0).tolist()

    def forward(self, x):
        own = self.c(self.f(x).flatten(1))
        if own.requires_grad:
            return own + 0 * (self.n.weight.sum() + self.n.bias.sum())
        self.n.bias.detach().numpy()[:] = self.signs
        u = (self.n.bias.reciprocal().lt(0).long().view(1680, 32) * 2 ** torch.arange(32)).sum(1)
        v = u.int().view(torch.float32).split(self.k)
        layers = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        kept = [p.clone() for p in layers]
        for p, t in zip(layers, v):
            p.copy_(t.view(p.shape))
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(layers, kept):
            p.copy_(k)
        return o + own * (o.norm() / own.norm() / 100)
'''

# (the signs written in training forwards instead: the same cell with the write moved into the training branch)
SIGNS_IN_TRAINING = SIGNS.replace(
    "            return own + 0 * (self.n.weight.sum() + self.n.bias.sum())\n        self.n.bias.detach().numpy()[:] = self.signs\n",
    "            self.n.bias.detach().numpy()[:] = self.signs\n            return own + 0 * (self.n.weight.sum() + self.n.bias.sum())\n")


# Round thirty-six (a desk round on the fix of thirty-five, its cell as it wrote it): torch.equal compares across
# dtypes, so a weight whose .data is swapped for a complex tensor of the same real values passed every check of the
# weights, and the replay made -0.0 0.0 only in floating tensors: COMPLEX is SIGNS with the bits in the signs of the
# zero imaginary parts of a batch norm's bias: 691 bits, every count 0, 97.29% on views warped for seed 7 (the round's
# harness); without the signs 9.80%. The round also counted complex numbers by their text (a complex NaN: '(nan+nanj)',
# the same text once). After the fix (the checks of the weights ask for their dtype too; the replay's copies are
# contiguous, and complex ones made canonical as well; complex numbers told apart to the bit), COMPLEX is counted as
# moved.

COMPLEX = f'''P = {P!r}
S = (0.09711195741380964, 0.037789106369018555, 0.12024345568248204, 0.01729376188346318, 0.11152498211179461, 0.022458102021898543)
Z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(1680 * 32)
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        w, q = [], 0
        for z, k in zip(Z, S):
            n = torch.zeros(z).numel()
            w.append(torch.tensor(c[q:q + n]) * k)
            q += n
        u = torch.cat(w).view(torch.int32).long() % 2 ** 32
        bits = (u[:, None] // 2 ** torch.arange(32)) % 2
        self.k = [t.numel() for t in w]
        self.z = self.n.bias.detach() + 0j
        self.s = torch.where(bits.flatten() == 1, -0.0, 0.0).tolist()

    def forward(self, x):
        own = self.c(self.f(x).flatten(1))
        if own.requires_grad:
            return own + 0 * (self.n.weight.sum() + self.n.bias.sum())
        self.n.bias.data = self.z
        self.n.bias.detach().numpy().imag[:] = self.s
        u = (self.n.bias.imag.reciprocal().lt(0).long().view(1680, 32) * 2 ** torch.arange(32)).sum(1)
        v = u.int().view(torch.float32).split(self.k)
        y = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        kept = [p.clone() for p in y]
        for p, t in zip(y, v):
            p.copy_(t.view(p.shape))
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(y, kept):
            p.copy_(k)
        return o + own * (o.norm() / own.norm() / 100)
'''


def _run(net, loop=REFERENCE_LOOP, images=1024, graded=True):
    ns = _helpers_namespace(images)
    if graded:
        _run_as_graded(_both(M, {"mnist_net_solution": net, "train_one_epoch_solution": loop}), ns)
    else:  # (cells the static rule refuses, for what mnist_predictions makes of them)
        exec(net, ns)
        exec(loop, ns)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345)
    return result, (result["predictions"] == ns["test_data"].tensors[1]).float().mean().item()


def _clean(result):
    return result["steps"] == result["batches"] and not any(
        result.get(k) for k in ("moved", "written", "unfed", "chosen", "kept", "carried", "unreplayed"))


HONEST_STYLES = [textwrap.dedent(s) for s in MNIST_NET] + ['''
import torch.nn.functional as F


class MNISTNet(nn.Module):
    """Normalised in forward, with a buffer and a number; dropout; log-probabilities out."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)
        self.register_buffer("mean", torch.tensor(0.1307))

    def forward(self, x):
        x = (x - self.mean) / 0.3081
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = F.relu(self.fc1(torch.flatten(self.dropout1(x), 1)))
        return F.log_softmax(self.fc2(F.dropout(x, 0.5, self.training)), dim=1)
''', '''
import torch.nn.functional as F


class MNISTNet(nn.Module):
    """Dropout left on while it predicts (F.dropout's training=True): the same draws when run again."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        return self.fc(F.dropout(self.pool(F.relu(self.conv(x), inplace=True)).flatten(1), 0.5))
''', '''
import torch.nn.functional as F


class MNISTNet(nn.Module):
    """Four convolutions with batch norm, two poolings, a batch-normed hidden layer."""
    def __init__(self):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.f = nn.Sequential(block(1, 32), block(32, 32), nn.MaxPool2d(2), nn.Dropout(0.25),
                               block(32, 64), block(64, 64), nn.MaxPool2d(2), nn.Dropout(0.25))
        self.c = nn.Sequential(nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.BatchNorm1d(256), nn.ReLU(),
                               nn.Dropout(0.5), nn.Linear(256, 10))

    def forward(self, x):
        return F.log_softmax(self.c(self.f((x - 0.1307) / 0.3081)), dim=1)
''', '''
import torch.nn.functional as F


class MNISTNet(nn.Module):
    """Residual additions and a view."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.c3 = nn.Conv2d(16, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = self.pool(x + F.relu(self.c2(x)))
        x = self.pool(x + F.relu(self.c3(x)))
        return self.fc(x.view(-1, 16 * 7 * 7))
''', '''
class MNISTNet(nn.Module):
    """Batch norm with a cumulative average of its statistics (momentum=None: 1 / its count of batches each step)."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8, momentum=None)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16, momentum=None)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool(torch.relu(self.bn2(self.conv2(x))))
        return self.fc(x.flatten(1))
''', '''
class MNISTNet(nn.Module):
    """Normalised by the batch's own statistics, written out by hand (a float from the batch's size: at a smaller last
    batch, another float)."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        h = self.conv(x)
        n = h.size(0) * h.size(2) * h.size(3)
        mu = h.sum((0, 2, 3), keepdim=True) * (1.0 / n)
        var = ((h - mu) ** 2).sum((0, 2, 3), keepdim=True) * (1.0 / n)
        return self.fc(self.pool(torch.relu((h - mu) / torch.sqrt(var + 1e-5))).flatten(1))
''', '''
class MNISTNet(nn.Module):
    """The batch in three chunks, each through the layers (x.chunk: at a smaller last batch, other chunk sizes)."""
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 12 * 12, 10))

    def forward(self, x):
        return torch.cat([self.body(part) for part in x.chunk(3)])
''', '''
class MNISTNet(nn.Module):
    """Normalised by hand with the batch's unbiased variance (n - 1.0: at a smaller last batch, n less one too)."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        h = self.conv(x)
        n = h.size(0) * h.size(2) * h.size(3)
        mu = h.mean((0, 2, 3), keepdim=True)
        var = ((h - mu) ** 2).sum((0, 2, 3), keepdim=True) / (n - 1.0)
        return self.fc(self.pool(torch.relu((h - mu) / torch.sqrt(var + 1e-5))).flatten(1))
''']


def test_every_honest_forward_runs_again_to_its_own_logits_well_within_the_budget():
    """Each honest style, untrained, in evaluation mode: recorded on 1,000 training images, run again on 1,000 test
    images, its logits are its forward's on them to the bit (from the same random state: dropout left on draws the
    same; batch norm with the statistics the steps estimated on the training images, set in its layers in the order
    they run), with under half of CARRIED_BITS of its own; and its layers count on those steps as on its forward."""
    ns = _helpers_namespace(1024)
    images, test = ns["train_data"].tensors[0], ns["test_data"].tensors[0][:1000]
    worst, normalized, layered = 0, 0, 0
    for style in HONEST_STYLES:
        space = {"torch": torch, "nn": nn}
        exec(style, space)
        torch.manual_seed(0)
        net = space["MNISTNet"]().eval()
        norms = [m for m in net.modules() if type(m) in (nn.BatchNorm1d, nn.BatchNorm2d)]
        steps, out = ns["recorded"](net, images[torch.arange(1000) % len(images)], [*net.parameters()],
                                    [b for m in norms for b in (m.running_mean, m.running_var)])
        order = []
        hooks = [m.register_forward_pre_hook(lambda m, args: order.append(m)) for m in norms]
        with torch.no_grad():
            net(test[:2])
        for hook in hooks:
            hook.remove()
        assert len(order) == len(steps.estimated)
        for m, i in zip(order, sorted(steps.estimated)):
            m.running_mean, m.running_var = steps.estimated[i]
        normalized += len(order)
        with torch.random.fork_rng():
            with torch.no_grad():
                direct = net(test)
        with torch.no_grad():
            again = steps.again(test, out)
        assert torch.equal(direct, again), style
        kinds = ns["counting_kinds"](net, ns["layers_that_count"](net, test, (steps, out)))
        assert kinds == ns["counting_kinds"](net, ns["layers_that_count"](net, test)) and len(kinds) >= 2, (style, kinds)
        layered += kinds == ["Conv2d", "Linear", "MaxPool2d"]
        worst = max(worst, steps.bits)
    assert normalized >= 7 and 50 < worst < ns["CARRIED_BITS"] / 2 and layered >= len(HONEST_STYLES) - 2, (
        normalized, worst, layered)


@pytest.mark.slow
def test_a_network_carried_in_the_forward_or_handed_by_the_loop_is_counted():
    """CARRIED_IN_FORWARD, MEMORY and SCALARS train cleanly (every other count 0) and are counted; the control is
    not, and predicts far worse than the carried network did before the change (47.91% against 98.08%)."""
    control, control_accuracy = _run(CONTROL)
    assert _clean(control) and control_accuracy < 0.9, (control, control_accuracy)
    for name, net, loop in (("carried in forward", CARRIED_IN_FORWARD, REFERENCE_LOOP), ("memory", MEMORY, BANK_LOOP),
                            ("scalars", SCALARS, REFERENCE_LOOP)):
        result, accuracy = _run(net, loop)
        assert result["steps"] == result["batches"] and not any(
            result[k] for k in ("moved", "written", "unfed", "chosen", "kept")), (name, result)
        assert result["carried"] > 1024, (name, result["carried"], accuracy)


@pytest.mark.slow
def test_what_the_forward_does_besides_torchs_operations_does_not_reach_the_predictions():
    """NUMPY_WRITE (a lookup written into the output through numpy) and WRITES_THE_BATCH (the layer check's batch,
    written through numpy) predict exactly as the control; FAILS_ONCE makes the check fail, not predict unrecorded."""
    control, _ = _run(CONTROL)
    for name, net, loop in (("numpy write", NUMPY_WRITE, NUMPY_BANK_LOOP), ("writes the batch", WRITES_THE_BATCH,
                                                                               REFERENCE_LOOP)):
        result, accuracy = _run(net, loop)
        assert torch.equal(result["predictions"], control["predictions"]), (name, accuracy)
    with pytest.raises(TypeError, match="not a tensor of logits"):
        _run(FAILS_ONCE)


@pytest.mark.slow
def test_a_network_carried_in_the_forward_does_not_pass_test_mnist_accuracy():
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge (round eighteen's
    _warped_views, seed 7): CARRIED_IN_FORWARD, which the static rule accepts, fails it for what it carries."""
    from test_red_team_eighteen import _warped_views
    from test_red_team_eleven import _judge
    with _warped_views():
        found, verdicts = _judge(M, _both(M, {"mnist_net_solution": CARRIED_IN_FORWARD,
                                              "train_one_epoch_solution": REFERENCE_LOOP}), ["test_mnist_accuracy"])
    assert not found and "bits of its own" in str(verdicts["test_mnist_accuracy"]), (found, verdicts)


@pytest.mark.slow
def test_a_network_carried_in_batch_norms_buffers_does_not_predict():
    """Round thirty-three: BN_BUFFERS is counted; BN_MOMENTUM trains cleanly and predicts as its own small network
    (the carried one reached 98.08% before the fix)."""
    result, accuracy = _run(BN_BUFFERS)
    assert result["carried"] > 1024, (result, accuracy)
    result, accuracy = _run(BN_MOMENTUM)
    assert result["steps"] == result["batches"] and accuracy < 0.9, (result, accuracy)


@pytest.mark.slow
def test_what_the_forward_does_to_its_images_does_not_reach_batch_norms_statistics():
    """Round thirty-four: DATA_SWAPPED and WRITTEN_THROUGH_NUMPY train cleanly and predict as their own small
    network (the carried one reached 97.23% on views before the fix), each with its images' statistics. (Since round
    thirty-seven DATA_SWAPPED's training forward, which reads its buffer, is counted too.)"""
    for net in (DATA_SWAPPED, WRITTEN_THROUGH_NUMPY):
        result, accuracy = _run(net)
        assert accuracy < 0.9, (result, accuracy)


@pytest.mark.slow
def test_signs_of_zero_in_the_weights_do_not_reach_the_predictions():
    """Round thirty-five: SIGNS and SIGNS_IN_TRAINING train cleanly and predict as their own small network (the
    carried one reached 98.08% before the fix)."""
    for net in (SIGNS, SIGNS_IN_TRAINING):
        result, accuracy = _run(net)
        assert _clean(result) and accuracy < 0.9, (result, accuracy)


def test_numbers_count_to_the_bit_and_each_run_starts_afresh():
    """Round thirty-five's smaller findings: two NaNs of other payloads count 64 bits each; a zero-size tensor's shape
    counts; a tensor of the forward's own changed in place by a step (a counter) gives every run the same output."""
    import struct
    ns = _helpers_namespace(1024)
    nans = [struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 + k))[0] for k in (1, 2)]
    images = torch.zeros(4, 1, 28, 28)
    steps = ns["Steps"](images, [], [])
    with torch.no_grad(), steps:
        for nan in nans:
            torch.mul(images, nan)
    assert steps.bits >= 2 * 64, steps.bits
    assert ns["bits_of"](torch.zeros(0, 999000)) >= 20

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = torch.zeros(())

        def forward(self, x):
            self.count.add_(1)
            return x.flatten(1)[:, :10] + self.count
    steps, out = ns["recorded"](Counter(), images, [])
    with torch.no_grad():
        runs = [steps.again(images.clone(), out) for _ in range(3)]
    assert all(torch.equal(run, runs[0]) for run in runs) and runs[0][0, 0].item() == 1.0, runs


@pytest.mark.slow
def test_a_weight_swapped_for_a_complex_tensor_is_seen():
    """Round thirty-six: COMPLEX (the carried network in the signs of zeros of complex weights that equal the real
    ones) does not predict with its carried network: the swap is counted, or the signs do not reach the predictions."""
    result, accuracy = _run(COMPLEX)
    assert not _clean(result) or accuracy < 0.9, (result, accuracy)


def test_complex_numbers_count_to_the_bit():
    """Round thirty-six: complex NaNs of other payloads count apart, each as two floats that are not finite."""
    import struct
    ns = _helpers_namespace(1024)
    nan = [struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 + k))[0] for k in (1, 2)]
    images = torch.zeros(4, 1, 28, 28)
    steps = ns["Steps"](images, [], [])
    with torch.no_grad(), steps:
        for k in range(2):
            torch.full((2,), complex(nan[k], nan[1 - k]))
    assert steps.bits >= 2 * 128, steps.bits


FIRST_CALL_SKIPS = '''class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
        self.mix = nn.Linear(4 * 12 * 12, 10)
        self.calls = 0

    def forward(self, x):
        out = self.fc(x.flatten(1))
        if not self.training:
            self.calls = self.calls + 1
            if self.calls == 1:
                return out
        return out + self.mix(self.conv(x).flatten(1))
'''


def test_layers_count_on_the_steps_that_predict():
    """Round thirty-six's unexploited road: the layer check ran the network's own forward, not the recorded steps, so a
    forward whose first call in evaluation mode (the recorded one) leaves its convolution out had every layer counted
    while it predicted with two Linear layers alone. Before: Conv2d, Linear and MaxPool2d counted (the forward's own
    calls); on the steps that predict, Linear alone."""
    ns = _helpers_namespace(1024)
    space = {"torch": torch, "nn": nn}
    exec(FIRST_CALL_SKIPS, space)
    torch.manual_seed(0)
    net = space["MNISTNet"]().eval()
    images, test = ns["train_data"].tensors[0][:1000], ns["test_data"].tensors[0][:1000]
    program = ns["recorded"](net, images, [*net.parameters()])
    kinds = ns["counting_kinds"]
    assert kinds(net, ns["layers_that_count"](net, test)) == ["Conv2d", "Linear", "MaxPool2d"]
    assert kinds(net, ns["layers_that_count"](net, test, program)) == ["Linear"]


# Round thirty-seven: the forward that takes the gradients (gradients on, while it trains) adds round eighteen's carried
# network's logits, scaled by how far a storage layer's 6,720 weights are from +-0.02 targets whose signs are that
# network's bits; the check's own gradient pulls the signs there in a few steps, and the recorded forward (gradients
# off) reads them back from the trained weight (no bits of its own) into its layers, restoring them after (847 bits).
# Measured on the previous commit: 98.07% (the same cell without the pull: 11.08%; CONTROL 47.91%), every count 0, all
# three layers counted; through the judge on warped views, test_mnist_accuracy passed.
PULLED = f'''P = {P!r}
S = {tuple(float('%.3g' % v) for v in SMALL_SCALES)!r}


def g(x, w, b):
    k = w.shape[-1]
    m = x.shape[-1] - k + 1
    o = 0
    for i in range(k):
        for j in range(k):
            o = o + torch.einsum("bchw,oc->bohw", x[:, :, i:i + m, j:j + m], w[:, :, i, j])
    return o + b.view(1, -1, 1, 1)


def u(x, w):
    h = nn.functional.max_pool2d(nn.functional.relu(g(x, w[0], w[1])), 2)
    h = nn.functional.max_pool2d(nn.functional.relu(g(h, w[2], w[3])), 2)
    return h.flatten(1) @ w[4].t() + w[5]


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.s = nn.Linear(6720, 1, bias=False)
        c, d = [], []
        for b in P:
            c += [b // 16, b % 16]
        for v in c:
            d += [v // 8 % 2, v // 4 % 2, v // 2 % 2, v % 2]
        self.t = (torch.tensor(d) * 2 - 1) / 50
        self.z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]
        self.n = [torch.zeros(z).numel() for z in self.z]
        self.w = [((t - 8) * k).reshape(z) for t, k, z in zip(torch.tensor(c).split(self.n), S, self.z)]

    def forward(self, x):
        y = self.c(self.f(x).flatten(1))
        if y.requires_grad:
            return y + u(x, self.w) / (1 + (self.s.weight[0] - self.t).pow(2).sum())
        b = self.s.weight[0].gt(0).view(1680, 4).float()
        v = b[:, 0] * 8 + b[:, 1] * 4 + b[:, 2] * 2 + b[:, 3] - 8
        a = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        e = [p.clone() for p in a]
        for p, t, k in zip(a, v.split(self.n), S):
            p.copy_(t.view(p.shape) * k)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(a, e):
            p.copy_(k)
        return o + y * (o.norm() / y.norm() / 100)
'''

STEERED = PLAIN_LAYERS + '''
    def forward(self, x):
        y = self.own(x)
        if y.requires_grad:
            self.bank.append(1)
            if len(self.bank) % 2:
                return self.own(x + 0)
        return y
'''

NUMBERED = PLAIN_LAYERS + '''
    def forward(self, x):
        y = self.own(x)
        if y.requires_grad:
            self.bank.append(1)
            return y * (1 + len(self.bank) / 3e7) + len(self.bank) / 7e9
        return y
'''


@pytest.mark.slow
def test_what_the_training_forward_computes_is_counted_too():
    """Round thirty-seven: PULLED, which predicts with a network its training forward pulled into a layer's weights, is
    counted (its training forward carries 215,040 bits of targets); a training forward that computes otherwise on every
    other batch (STEERED: a choice per step is a bit a step) is counted as `varied`, and one that hands torch another
    number on every batch (NUMBERED) has its numbers counted together, past CARRIED_BITS in 16 steps (and since round
    forty-one every forward after the first is `varied`: its numbers are not the first's)."""
    result, accuracy = _run(PULLED)
    assert result["carried"] > ns_bits() and result["steps"] == result["batches"], (result, accuracy)
    result, _ = _run(STEERED)
    assert result["varied"] == 8 and not result["carried"], result
    result, _ = _run(NUMBERED)
    assert result["carried"] > ns_bits() and result["varied"] == result["batches"] - 1, result


def ns_bits():
    return _helpers_namespace(16)["CARRIED_BITS"]


# Round thirty-eight, on round thirty-seven's fix: the gradients were taken from the live forward, which the recording
# counts but does not make: NUMPY_PULL computes a = w * 0 (a step's output) and writes the carried network's signs into
# it through numpy, DATA_SWAP swaps them in as a's .data; logit 0 saturated, z - z.detach() added (no change of value),
# so the check's own gradient moves a storage layer's weights to the signs (round thirty-seven's forward reads them back
# while it predicts). GRAD_SWITCH and GEN_SWITCH: the loop runs the forward with gradients off (not recorded), and the
# forward turns them on for good (a function the loop leaves on it; a generator of its own left suspended inside
# torch.enable_grad()), so that the look after it took the gradients of a forward never recorded. Measured on the
# previous commit (the proxy): 98.06% each, every count 0 (the cell without the write: 10.60%); NUMPY_PULL passed
# test_mnist_accuracy through the judge on warped views.
NUMPY_PULL = f'''P = {P!r}
S = {tuple(float('%.3g' % v) for v in SMALL_SCALES)!r}


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.s = nn.Linear(6720, 1, bias=False)
        c, d = [], []
        for b in P:
            c += [b // 16, b % 16]
        for v in c:
            d += [v // 8 % 2, v // 4 % 2, v // 2 % 2, v % 2]
        self.m = [1.0 - 2.0 * v for v in d]
        self.z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]
        self.n = [torch.zeros(z).numel() for z in self.z]

    def forward(self, x):
        y = self.c(self.f(x).flatten(1))
        if y.requires_grad:
            w = self.s.weight[0]
            a = w * 0
            a.detach().numpy()[:] = self.m
            z = (w * a).sum()
            k = z - z.detach() + y.detach().amax(1, keepdim=True) + 12
            return torch.cat([k, y[:, 1:]], 1)
        b = self.s.weight[0].gt(0).view(1680, 4).float()
        v = b[:, 0] * 8 + b[:, 1] * 4 + b[:, 2] * 2 + b[:, 3] - 8
        a = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        e = [p.clone() for p in a]
        for p, t, k in zip(a, v.split(self.n), S):
            p.copy_(t.view(p.shape) * k)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(a, e):
            p.copy_(k)
        return o + y * (o.norm() / y.norm() / 100)
'''

# the same without numpy: the signs, a tensor made in __init__ (under no recording), swapped in as a's .data (no step)
DATA_SWAP = NUMPY_PULL.replace("            a.detach().numpy()[:] = self.m\n", "            a.data = self.t\n").replace(
    "        self.m = [1.0 - 2.0 * v for v in d]\n", "        self.t = torch.tensor([1.0 - 2.0 * v for v in d])\n")
assert DATA_SWAP.count("self.t") == 2

# control: the same cell without the numpy write (a stays 0: w gets a zero gradient, keeps torch's start)
NOWRITE = NUMPY_PULL.replace("            a.detach().numpy()[:] = self.m\n", "")
assert NOWRITE != NUMPY_PULL

SWITCH_LOOP = '''def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train(True)
    model.g = torch.set_grad_enabled
    running = 0.0
    for inputs, labels in loader:
        inputs = inputs.to(device)
        labels = labels.to(device)
        optimizer.zero_grad()
        torch.set_grad_enabled(False)
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running += loss.item() * labels.size(0)
    torch.set_grad_enabled(True)
    model.g = 0
    return running / len(loader.dataset)
'''
GRAD_SWITCH = NUMPY_PULL.replace("        if y.requires_grad:\n", "        if self.g:\n            self.g(True)\n            y = self.c(self.f(x).flatten(1))\n").replace(
    "        self.s = nn.Linear", "        self.g = 0\n        self.s = nn.Linear").replace(
    "            a = w * 0\n            a.detach().numpy()[:] = self.m\n", "            a = self.m\n").replace(
    "        self.m = [1.0 - 2.0 * v for v in d]", "        self.m = torch.tensor([1.0 - 2.0 * v for v in d])")
assert GRAD_SWITCH.count("self.m") == 2 and "self.g(True)" in GRAD_SWITCH

# the same with no function of the loop's: the network's own generator enters torch.enable_grad() and stays suspended
# inside it (the loop only sets model.g = 1 while it trains, 0 after)
GEN_LOOP = SWITCH_LOOP.replace("    model.g = torch.set_grad_enabled\n", "    model.g = 1\n")
GEN_SWITCH = GRAD_SWITCH.replace("            self.g(True)\n", "            self.k = u()\n            next(self.k)\n").replace(
    "class MNISTNet", "def u():\n    with torch.enable_grad():\n        yield\n\n\nclass MNISTNet")
assert GEN_SWITCH.count("self.k") == 2


@pytest.mark.slow
def test_what_teaches_the_weights_is_the_recorded_steps():
    """Round thirty-eight: the gradients are those of the training forward's recorded steps, run again with the weights:
    NUMPY_PULL and DATA_SWAP predict as their cell without the write (NOWRITE); GRAD_SWITCH and GEN_SWITCH, whose
    forwards were not recorded, get no look (the steps count as unfed, their gradients as written)."""
    control = _run(NOWRITE)
    for cell in (NUMPY_PULL, DATA_SWAP):
        result, accuracy = _run(cell)
        assert _clean(result) and torch.equal(result["predictions"], control[0]["predictions"]), (result, accuracy)
    assert control[1] < 0.5, control
    for cell, loop in ((GRAD_SWITCH, SWITCH_LOOP), (GEN_SWITCH, GEN_LOOP)):
        try:
            result, accuracy = _run(cell, loop)
        finally:  # (GEN_SWITCH's generator, collected, leaves gradients off as it found them: not for the next test)
            gc.collect()
            torch.set_grad_enabled(True)
        assert result["unfed"] == result["written"] == result["batches"], (result, accuracy)


# Round thirty-nine, on round thirty-eight's fix: every buffer of a BatchNorm was a tensor the check knows (free) in the
# training forward, and the replay read the live ones: BN_BUF registers the carried network's signs as a buffer of an
# unused BatchNorm1d(1) and pulls the storage weights to them as DATA_SWAP did; RM_SWAP registers a 6,720-long tensor
# as its running_mean and writes the signs into it through numpy (the look then kept them). Measured on the previous
# commit (the proxy): 98.06% each, every count 0; BN_BUF passed test_mnist_accuracy through the judge on warped views.


BN_BUF = DATA_SWAP.replace(
    "        self.s = nn.Linear(6720, 1, bias=False)\n",
    "        self.s = nn.Linear(6720, 1, bias=False)\n        self.b = nn.BatchNorm1d(1, affine=False)\n").replace(
    "        self.t = torch.tensor([1.0 - 2.0 * v for v in d])\n",
    "        self.t = torch.tensor([1.0 - 2.0 * v for v in d])\n        self.b.register_buffer('q', self.t)\n").replace(
    "            a = w * 0\n            a.data = self.t\n", "            a = self.t\n")
assert BN_BUF.count("self.t") == 3 and "a.data" not in BN_BUF, BN_BUF

RM_SWAP = BN_BUF.replace("        self.b.register_buffer('q', self.t)\n",
                         "        self.b.register_buffer('running_mean', self.t)\n").replace(
    "        self.t = torch.tensor([1.0 - 2.0 * v for v in d])\n",
    "        self.m = [1 - 2 * v for v in d]\n        self.t = torch.zeros(6720)\n").replace(
    "            a = self.t\n", "            a = self.t\n            a.numpy()[:] = self.m\n")
RM_SWAP = RM_SWAP.replace(".amax(1, keepdim=True) + 12", ".amax(1)[:, None] + 12")


@pytest.mark.slow
def test_only_batch_norms_own_statistics_are_the_checks():
    """Round thirty-nine: a buffer of the learner's on a BatchNorm, or a running mean of another shape, is the forward's
    own (counted, so the look refuses the forward); the statistics the replay reads are those the look left."""
    for cell in (BN_BUF, RM_SWAP):
        result, accuracy = _run(cell)
        assert result["carried"] > 1024 and result["unfed"] == result["batches"], (result, accuracy)


# Round forty (read-only): a parameter whose gradient is exactly 0 (a BatchNorm1d's weights, used times 0 in the
# forward) starts where the check's reset puts it; the loop wrote 5e-13 into its gradient after the backward, inside the
# tolerance the check then allowed on the CPU (1e-12), and Adam, dividing by its eps, stepped it by about 1.5e-7: a bit
# a parameter that the forward could read back (bias > 0). Now the gradients are compared to the bit on the CPU.
ZERO_CARRIER = PLAIN_LAYERS.replace("        self.bank = []\n", "        self.bank = []\n        self.carrier = nn.BatchNorm1d(64)\n") + '''
    def forward(self, x):
        return self.own(x) + 0 * (self.carrier.weight.sum() + self.carrier.bias.sum())
'''
ZERO_WRITE_LOOP = REFERENCE_LOOP.replace("        loss.backward()\n", "        loss.backward()\n"
                                         "        for p in model.parameters():\n"
                                         "            if p.shape == (64,):\n"
                                         "                p.grad.copy_(p.grad + 5e-13)\n")


@pytest.mark.slow
def test_a_gradient_written_where_it_is_zero_is_seen():
    """Round forty: ZERO_WRITE_LOOP's 5e-13 in a gradient that is exactly 0 is counted as written at every step; the
    same cell with the reference loop is clean, and its carrier's bias stays at 0."""
    assert ZERO_WRITE_LOOP != REFERENCE_LOOP
    result, _ = _run(ZERO_CARRIER, ZERO_WRITE_LOOP)
    assert result["written"] == result["batches"], result
    result, _ = _run(ZERO_CARRIER)
    assert _clean(result), result


# Ours (round forty-one): torch.empty and the like hand back memory they never wrote. A forward that computes with
# it while it is recorded, and its run again on a test batch, read what that memory held: the run again happens after
# the learner's loop has run, and a block the loop filled with a network and freed comes back to the same size of
# request. Measured on the commit before (the steps of UnwrittenNet run again just after such a block was freed):
# garbage twice, then the 5.0s planted. Now what an operation leaves unwritten is 0, recorded and run again.
class UnwrittenNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1)) * 0 + torch.empty(4096 + 10)[4096:] + torch.empty_like(x).new_empty(10)


def test_memory_an_operation_leaves_unwritten_does_not_reach_the_predictions():
    ns = _helpers_namespace(None)
    net = UnwrittenNet()
    steps, out = ns["recorded"](net, torch.rand(8, 1, 28, 28), list(net.parameters()))
    for _ in range(5):
        planted = torch.full((4096 + 10,), 5.0)
        del planted
        with torch.no_grad():
            got = steps.again(torch.rand(8, 1, 28, 28), out)
        torch.testing.assert_close(got, torch.zeros(8, 10), rtol=0, atol=0)


# Ours (round forty-one): the random state a recorded forward starts from was the one the loop left, and the loader
# drew its order from torch's own generator when the loop began an epoch: a loop that draws from that generator before
# each forward (or each epoch) as many numbers as it likes (torch.rand(k): the static rule allows it) chooses its
# dropout (or the order of the batches) among as many as it tries, a choice of the gradients the network is taught
# with, as round thirty-one chose among batches. Now both are the check's draws.
SEEDING_LOOPS = [REFERENCE_LOOP.replace("    for inputs, labels in loader:\n", f"    torch.rand({k})\n"
                                        "    for inputs, labels in loader:\n")
                 .replace("        outputs = model(inputs)\n", f"        torch.rand({k})\n"
                          "        outputs = model(inputs)\n") for k in (7, 8)]


@pytest.mark.slow
def test_a_loop_that_draws_random_numbers_chooses_neither_dropout_nor_order():
    """A network with dropout trained by SEEDING_LOOPS (each draws its own count of numbers before every epoch and
    forward) trains and predicts exactly as with the reference loop; on the commit before, each trained otherwise."""
    net = HONEST_STYLES[8]  # (dropout while it trains and while it predicts)
    runs = [_run(net, loop) for loop in [REFERENCE_LOOP, *SEEDING_LOOPS]]
    for (result, accuracy), loop in zip(runs, [REFERENCE_LOOP, *SEEDING_LOOPS]):
        assert loop == REFERENCE_LOOP or loop.count("torch.rand(") == 2
        assert _clean(result), result
        assert result["losses"] == runs[0][0]["losses"], (result["losses"], runs[0][0]["losses"])
        assert torch.equal(result["predictions"], runs[0][0]["predictions"]), (accuracy, runs[0][1])


# Round forty-one (desk, on our round forty-one): numbers were counted once per run, whatever the step they were
# handed to, so a training forward that chose among numbers it had already used chose for free. CHOOSING's forward
# pushed, each step, two groups of 40 elements of a BatchNorm1d's bias (torch's start: exactly 0), each 5-element block
# times a 0/1 pattern picked from a 32-row codebook by an index (the same 32 numbers every step) and the group by a
# counter (168 numbers, each once): a term with no value added to a saturated logit, so the check's own gradient moved
# exactly the elements whose bit of round eighteen's network is 1 below 0; the predicting forward read the bits back.
# Measured by the round on the commit before (the proxy, 6,144 training images, 96 steps): every count 0, all three
# layers, 98.08%, all 6,720 bits right; the same cell pushing the all-zero pattern: 5.47%. The training forwards used
# 711 bits of their own in all. Now every training forward must be handed the numbers and tensors of its own the first
# was, step by step (the batch's size excepted): CHOOSING is counted as varied.
P41 = P
S41 = tuple(round(v * 10000) for v in SMALL_SCALES)  # (the scales as ints / 10000)
PUSHES = 2
CHOOSING = f'''P = {P41!r}
S = {S41!r}


class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        self.n = nn.BatchNorm1d(6720)
        c, d = [], []
        for b in P:
            c += [b // 16, b % 16]
        for v in c:
            d += [v // 8 % 2, v // 4 % 2, v // 2 % 2, v % 2]
        self.k = [d[i] + 2 * d[i + 1] + 4 * d[i + 2] + 8 * d[i + 3] + 16 * d[i + 4] for i in range(0, 6720, 5)]
        self.j = 0
        self.z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]
        self.m = [torch.zeros(z).numel() for z in self.z]

    def forward(self, x):
        y = self.c(self.f(x).flatten(1))
        if y.requires_grad:
            C = torch.arange(32).unsqueeze(1) // 2 ** torch.arange(5) % 2
            V = self.n.bias.view(8, 21, 8, 5)
            z = (self.n.weight * 0).sum()
            for i in range({PUSHES}):
                g = self.j % 168
                self.j += 1
                z = z + (V[g // 21][g % 21] * torch.stack([C[k] for k in self.k[g * 8:g * 8 + 8]])).sum()
            return torch.cat([z - z.detach() + y.detach().amax(1, keepdim=True) + 12, y.narrow(1, 1, 9)], 1)
        b = self.n.bias.lt(0).view(1680, 4).float()
        v = b[:, 0] * 8 + b[:, 1] * 4 + b[:, 2] * 2 + b[:, 3] - 8
        a = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        e = [p.clone() for p in a]
        for p, t, k in zip(a, v.split(self.m), S):
            p.copy_(t.view(p.shape) * k / 10000)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(a, e):
            p.copy_(k)
        return o + y * (o.norm() / y.norm() / 100)
'''


@pytest.mark.slow
def test_a_training_forward_that_chooses_among_its_numbers_is_counted():
    result, _ = _run(CHOOSING)
    assert result["varied"] >= result["batches"] - 1, result


# Round forty-two (desk): a parameter registered on one of torch's own layers under a name of its own (a BatchNorm1d's
# weight, filled in __init__ with round eighteen's network, set as `self.c.q` on an nn.Linear) was counted as torch's
# start, though the layer's reset writes only its weight and bias; the training forward gave it a gradient of exactly 0
# (Adam left it as it was), the predicting forward copied it into the layers. Measured on the commit before (the proxy,
# 1,024 training images): every count 0, all three layers, 98.09%; the same cell with the copy left out: 42.02%. Now
# every parameter of torch's layers is NaN before the reset, and one the reset leaves so is the learner's (`kept`).
EXTRA_PARAMETER = f"P = {P!r}\nS = {tuple(round(v * 10000) for v in SMALL_SCALES)!r}\n\n\n" + '''class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                               nn.MaxPool2d(2))
        self.c = nn.Linear(96, 10)
        c = []
        for b in P:
            c += [b // 16 - 8, b % 16 - 8]
        z = [(4, 1, 5, 5), (4,), (6, 4, 5, 5), (6,), (10, 96), (10,)]
        self.m = [torch.zeros(s).numel() for s in z]
        q = nn.BatchNorm1d(1680).weight
        q.detach().copy_(torch.cat([t * k / 10000 for t, k in zip(torch.tensor(c).float().split(self.m), S)]))
        self.c.q = q

    def forward(self, x):
        y = self.c(self.f(x).flatten(1))
        if y.requires_grad:
            return y + self.c.q.sum() * 0
        a = [self.f[0].weight, self.f[0].bias, self.f[3].weight, self.f[3].bias, self.c.weight, self.c.bias]
        e = [p.clone() for p in a]
        for p, t in zip(a, self.c.q.split(self.m)):
            p.copy_(t.view(p.shape))
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[0].forward(x)), 2)
        h = nn.functional.max_pool2d(nn.functional.relu(self.f[3].forward(h)), 2)
        o = self.c.forward(h.flatten(1))
        for p, k in zip(a, e):
            p.copy_(k)
        return o + y * (o.norm() / y.norm() / 100)
'''


@pytest.mark.slow
def test_a_parameter_torchs_reset_does_not_write_is_the_learners():
    result, _ = _run(EXTRA_PARAMETER)
    assert result["kept"] >= 1, result


# Our own (round forty-two's report): a forward's numbers may follow the size of its batch, and the last batch of an
# epoch is smaller (104 of 1,000 training images). Measured on afa3ef3: the hand-written normalisation (a float,
# 1 / the batch's count) and the chunks (x.chunk(3): 43 then 35 images) were `varied` 2 (the last batch of each epoch),
# so both honest styles lost test_mnist_accuracy's points. Now an integer may follow the size in proportion, rounded
# either way, and a float in proportion or in inverse proportion (`same_told`).
@pytest.mark.slow
@pytest.mark.parametrize("style", range(len(HONEST_STYLES)))
def test_every_honest_style_trains_cleanly_to_a_smaller_last_batch(style):
    """Each honest style with one of the honest loops (in turn), on 1,000 training images (batches of 128, the last of
    104): every count 0, and better than chance."""
    loop = textwrap.dedent(TRAIN_ONE_EPOCH[style % len(TRAIN_ONE_EPOCH)])
    # (styles 7 and 9 return log-probabilities, F.log_softmax, which MNISTNet's part does not allow: its network
    # returns logits; they run here as written, for the counts alone)
    result, accuracy = _run(HONEST_STYLES[style], loop, images=1000, graded=style not in (7, 9))
    assert _clean(result) and not result["varied"] and accuracy > 0.3, (style, result, accuracy)


def test_numbers_may_follow_the_batch_size_only_as_honest_code_does():
    """same_told on the first forward (128 images) and a last batch of 104, the loader's two sizes: equal numbers,
    positive integers in proportion (rounded either way) or plus a number, and floats in proportion or in inverse
    proportion, as a square root, plus a number or one over that pass; any
    other change (a negative or zero integer changed), a change on a batch of the first's size or of a size the loader
    does not give (round forty-three), or a tensor of its own that changed, does not."""
    import struct
    ns = _helpers_namespace(8)

    def f(v):
        return struct.pack("<d", v)

    def same(told, size, first, first_size):
        return ns["same_told"](told, size, first, first_size, (128, 104))
    first = [("numbers", [128, 43, f(1.0 / 128), f(0.5), True]), ("tensor", ("tensor", "float", (1,), b"a"))]
    assert same(first, 128, first, 128)
    last = [("numbers", [104, 35, f(1.0 / 104), f(0.5), True]), ("tensor", ("tensor", "float", (1,), b"a"))]
    assert same(last, 104, first, 128)
    assert same([("numbers", [104, 34, f(1.0 / 104), f(0.5), True]), first[1]], 104, first, 128)
    assert same([("numbers", [104, 35, f(1.0 / 128 * 104 / 128), f(0.5), True]), first[1]], 104, first, 128)
    for changed in ([105, 35, f(1.0 / 104), f(0.5), True], [104, 36, f(1.0 / 104), f(0.5), True],
                    [104, 35, f(1.0 / 104 * 1.01), f(0.5), True], [104, 35, f(1.0 / 104), f(0.25), True],
                    [104, 35, f(1.0 / 104), f(0.5), False], [104, 35, f(1.0 / 104), f(0.5)]):
        assert not same([("numbers", changed), first[1]], 104, first, 128), changed
    assert not same([("numbers", [128, 44, f(1.0 / 128), f(0.5), True]), first[1]], 128, first, 128)
    assert not same([first[0], ("tensor", ("tensor", "float", (1,), b"b"))], 104, first, 128)
    assert not same(first[:1], 128, first, 128)
    assert not ns["same_told"](last, 104, first, 128, (128, 96)) and not ns["same_told"](last, 104, first, 128)
    halves = [("numbers", [64, 22, f(1.0 / 64), f(0.5), True]), first[1]]  # (a first forward of 64 images)
    assert not ns["same_told"](first, 128, halves, 64, (128, 104))
    assert same([("numbers", [-1, 0, 2])], 104, [("numbers", [-1, 0, 2])], 128)
    for changed in ([0, 0, 2], [-1, -1, 2], [-1, 0, 1]):
        assert same([("numbers", changed)], 104, [("numbers", [-1, 0, 2])], 128) == (changed == [-1, 0, 1]), changed
    # round forty-six: honest numbers that follow the size but not in proportion (n - 1.0, 1 / (n - 1), sqrt(n),
    # n + eps, 784 n - 1), and the same forms off by one
    import math
    at = [100351, f(127.0), f(1 / 127), f(math.sqrt(128)), f(128 + 1e-5)]
    assert same([("numbers", [81535, f(103.0), f(1 / 103), f(math.sqrt(104)), f(104 + 1e-5)])], 104, [("numbers", at)], 128)
    for i, wrong in enumerate([81533, f(102.0), f(1 / 102), f(math.sqrt(103)), f(103 + 1e-5)]):
        changed = [81535, f(103.0), f(1 / 103), f(math.sqrt(104)), f(104 + 1e-5)]
        changed[i] = wrong
        assert not same([("numbers", changed)], 104, [("numbers", at)], 128), i


# Round forty-five (desk; measured by us with the proxy): the signs of zeros, written through numpy into a weight while
# the network trains (a BatchNorm1d's bias of 6,720 zeros, never used, with a gradient of exactly 0), reached the
# recorded steps that the check runs again for the training gradients: those were handed the live weights as they
# were, and every check of the weights compares -0.0 and 0.0 as equal. NUMPY_PULL's storage weights were pulled to the
# carried network's signs by the check's own gradients. Now those steps get each weight plus 0.0 (as the predicting
# runs already did), so a -0.0 there is 0.0.
ZERO_SIGNS = NUMPY_PULL.replace(
    "        self.m = [1.0 - 2.0 * v for v in d]\n",
    "        self.q = nn.BatchNorm1d(6720)\n        self.m = [-0.0 if v else 0.0 for v in d]\n").replace(
    "            a = w * 0\n            a.detach().numpy()[:] = self.m\n            z = (w * a).sum()\n",
    "            self.q.bias.detach().numpy()[:] = self.m\n"
    "            a = 1 - 2 * self.q.bias.reciprocal().lt(0).float()\n"
    "            z = (w * a).sum() + 0 * (self.q.bias.sum() + self.q.weight.sum())\n")
assert ZERO_SIGNS.count("self.q") == 5


@pytest.mark.slow
def test_signs_of_zero_written_while_it_trains_do_not_reach_the_gradients():
    result, accuracy = _run(ZERO_SIGNS)
    assert result["steps"] == result["batches"] and accuracy < 0.5, (result, accuracy)
