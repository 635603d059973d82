"""An independent red team's thirty-second round against "implement it yourself" (a desk round: it read
`mnist_predictions` as it stands after round thirty-one's fix (the oldest served batch, `chosen`, the cut that holds
only before the next step) and ran nothing but the static rule, and each loop once as graded (notebook_plan's guarded
sources, kernel_side's guards) on 600 random images, to see that it runs and writes what it says: BLANK left running
variances of 6e-10, LAYER means of 1 and variances of 2, every road the honest loop's loss to the bit). The proxies and
the judge were not run: the accuracies and counts below are what the round expects; the caller measures them.

Each test asserts that its attack is refused; a failing test is an attack that wins (the hole, or the points). Each
has a control.

What the round found about the training side: nothing. After round thirty-one the parameters' whole trajectory is
pinned: every step is Adam on the exact gradients of one looked-at forward, in training mode, at the last step's
weights, on the oldest batch served and not trained on, each batch once, 469 a call; a forward's output in training
mode is a function of its input, the parameters and the random draws of its dropout, and nothing else (torch's
BatchNorm in training mode uses the batch's statistics, never its running ones). So the loop's only levers on the
trajectory are the dropout draws (it can burn draws of the global generator, but can neither rewind nor seed it) and
the shuffle (the same). Both are choices among honest gradients, the kind round thirty-one measured as worth nothing
(it chose among K whole batches a step, with probes; a choice among masks or shuffles, blind or predicted by
emulating mt19937 and torch's CPU bernoulli, can only be weaker). Set aside after reading (no tests): see the list at
the end.

What the round attacked instead: what the network predicts WITH, besides its parameters. While it predicts, every
module is in evaluation mode, and torch's BatchNorm then uses its running statistics (`running_mean`,
`running_var`), buffers that no step writes. The check snapshots them after the loop's last call and asks that they
stay so while the network predicts ("its batch-norm statistics stay as training left them while it predicts"), but
it never asks where they came from: "training" is whatever the loop did last, and any forward in training mode
writes them (momentum 0.1: 200 forwards of anything leave 0.9 ** 200 = 7e-10 of what was there). A forward under
`torch.no_grad()` is no look (it returns before matching any batch), counts nothing, changes no weight, and leaves
the trajectory exactly as the honest loop's (training-mode BatchNorm never reads them). The forward is the plain
course CNN with `nn.BatchNorm2d` after each convolution, nothing in it of the "Not promised" kinds: no second network,
no steering of its own gradients, nothing handed to it through an attribute; the writes are made by the loop.

1. Statistics of the loop's own choosing (BLANK, LAYER; `test_batch_norm_statistics_written_after_the_steps_are_
   seen`, fails = the hole). After its steps (in each call, so the second call's write is what predicts), the loop
   runs the network in training mode under no_grad 200 times on a batch of its own making: BLANK, two blank images
   (every conv channel's running variance goes to ~0 and its mean to the conv's bias, so in evaluation mode each
   BatchNorm multiplies its channel by ~316); LAYER, the network's first BatchNorm2d itself, called directly with a
   (2, 8, 1, 1) tensor of made-up values (mean 1, variance 2 in every channel: ANY per-channel values; `model.features`
   is read as the loop's own attribute name, which the loop's own code gives by `model.features = model.features`,
   a no-op store the rule and the guard accept on the learner's own MNISTNet). Steps == batches, moved, written,
   unfed, kept and chosen 0, and the network predicts with statistics of no batch the loader gave: predictions unlike
   the honest loop's, from the same seed, the same trajectory to the bit. What the loop can set this way is one scale
   and one shift per BatchNorm channel of the network as trained (in evaluation mode a BatchNorm is the per-channel
   affine map (x - mean) / sqrt(var + eps) * weight + bias): not a network trained elsewhere, but a part of the
   predicting network that no step trained.

2. Statistics adapted to the graded views (ADAPTED; `test_statistics_adapted_to_the_views_do_not_lift_the_accuracy_on
   _views` (measurement, fails = a lift of more than half a point) and `test_statistics_adapted_to_the_views_do_not_
   pass_test_mnist_accuracy` (the judge on warped views, fails = points)). The graded views are documented
   (docs/trust.md, the notebook: each test image moved, turned and rescaled a little; grader/heldout.py: up to 10
   degrees, 8% and 1.5 pixels, bilinear, zero outside) and the loop reads the training images (`loader.dataset`, on
   @training). So after its steps the loop warps all 60,000 training images by the grader's own map (random maps from
   a sin-hash, not torch's generator, so that the trajectory stays the honest loop's to the bit) and runs them
   through the network in training mode under no_grad, chunks of 1,000: the running statistics become those of
   warped images (adaptive batch normalization, AdaBN, Li et al. 2016, here to the test distribution the grader
   builds). On the views, every feature is then normalized with the statistics of views, not of clean images; the
   bilinear resampling alone blurs every view (a systematic shift of every conv channel's variance), which is what
   AdaBN corrects best. PRECISE (the same pass on the clean training images) is the control: the statistics
   recomputed at the final weights, with no warp, so a gap between ADAPTED and PRECISE is the warp's.

3. The per-channel maps FITTED to the views (FITTED; the same two tests). Attack 2 sets each BatchNorm's
   evaluation-mode scale and shift from statistics; the loop can also TRAIN them, by an optimizer of its own that the
   check never sees: after its steps it starts from the warped images' statistics, runs 150 steps of its own Adam
   (lr 0.002) on 256 warped training images a step with their labels, through the network's parts (`model.features[i]`
   and `model.classifier` called one by one, its own tensors for the scales and shifts: no forward of the network, so
   no look, no cut, no hook; the parts' weights collect stray gradients that the next step's zero_grad clears), then
   writes them by calling each BatchNorm directly (LAYER's road) with two rows whose mean is (beta - shift) / scale and
   whose unbiased variance is (gamma / scale) ** 2 - eps. What predicts is then the network as its steps left it with
   every BatchNorm channel re-trained on augmented data by the loop's own optimizer: the kind of training (of
   BatchNorm's affine maps alone, under a distribution shift: TENT, Wang et al. 2021, does it with no labels) that
   recovers the most of a covariate shift per parameter. About 1.6 times the honest loop's time (fits the 120 s).

   Why 2 and 3 may earn points: bench/RESULTS.md measures the margin the graded bar keeps. A network at 98.0% to
   98.3% on the public images sits at 94.6% to 95.3% on the views (MNIST_NET[3] and [5]), against GRADED_ACCURACY
   95.0%, and when graded the bar is 95% on the views alone (accuracy_needed()). So a network that its honest
   training leaves a few tenths under the bar on the views passes if the written statistics lift it by that much.
   SMALL_BN_NET is the course's 1,680-weight PLAIN_NET with a BatchNorm2d after each convolution (1,700 parameters),
   meant to sit near that edge honestly; the judge test compares it with the honest loop and each road.

Chances the round gives them. 1 (the hole): certain as the round reads the code (no count reads a buffer before the
snapshot); the caller's run of `test_batch_norm_statistics_written_after_the_steps_are_seen` shows it. Points from 1
alone: about 2% (a per-channel affine on a network trained honestly is what its own BatchNorm weights already fit on
the training distribution). 2: a lift on the views of 0.3 to 1.5 points is the round's best guess (AdaBN recovers a
part of the accuracy lost to a covariate shift, and this one is partly blur); 3: somewhat more (the same maps,
trained with labels). Points (the judge test failing) for SMALL_BN_NET as written: about 15% for 2, 20% for 3: the
round could not calibrate how far under the bar that network sits honestly; the measurement test tells the caller,
and a network moved to sit just under the bar is then a win wherever the measured lift exceeds its gap. What a win
means: 4 points for a network that its loop's steps leave under the graded bar, over it by training that no step
did, on data that no batch gave.

What would close 1 to 3, as the round sees it: the running statistics are part of what training left only where
the looks left them: record the buffers (`tensors_of(net, "_buffers")`) after each looked-at forward and ask that
they be unchanged at the next forward pre-hook and at the end of training (a forward in training mode on anything but
the oldest served batch, with or without gradients, counts, like `moved`), or have the check recompute them itself
from the looked-at batches at the final weights before it predicts. An honest loop that runs a second training-mode
forward on its batch (say, for its accuracy, under no_grad) would then count; one that does it with gradients on
already gives a second forward, which is not a look.

Set aside after reading (no tests):
- Dropout masks chosen (burn k draws of the global generator before the looked-at forward): the loop cannot rewind
  or seed the generator (torch.manual_seed, Generator, get_rng_state are on no list), so a choice needs the stream
  predicted (mt19937 recovered from 624 draws of torch.randint(0, 2 ** 32 - 1), which is serial) and torch's CPU
  bernoulli emulated (one 32-bit seed a call into MKL's MCG31 stream, or per-element doubles without MKL: not
  knowable from here without running); even then it is a choice among honest gradients (round thirty-one: nothing).
- The shuffle chosen by burning draws before iter(loader) (RandomSampler draws its seed from the global generator),
  or several iterators of the loader interleaved (each batch trained in the order served, the total served within
  len(loader)): blind without emulating randperm; a choice among honest orders, weaker than round thirty-one's.
- rtol 1e-5 at the step: |p.grad - g| <= 1e-12 + 1e-5 |g| moves Adam's update by about 1e-5 of itself; a written
  1e-12 where g is 0 moves a weight by lr * 1e-4 a step (3e-4 over 938 steps at most).
- The cut's fallback: autograd's product for what the loop brings equals the look's only where brought - expected is
  in the null space of J^T: the same gradient, no steer.
- p.grad aliased with a parameter's or another gradient's storage (Adam's in-place update of one parameter then
  changes what the next reads): at the step p.grad must equal the look's while the weights equal the last step's, so
  the alias would need a gradient equal to weights. Parameters tied through shared storage (two BatchNorms' ones and
  zeros at the start, made one by `.data = `): Adam adds both updates to the shared values; nothing carried. An
  expanded (stride 0) parameter: Adam's in-place update raises.
- torch.equal(-0.0, 0.0) is True: a zero weight's sign is free, and worth nothing.
- A closure that raises inside step(): no update, nothing gained. step() called inside a closure: the inner step is
  looked at, and the outer one after the closure (`looked_at_after`), so each update has its look.
- A learner `train()` method (nn.Module.eval(net) calls it on every child): it runs after the buffers' snapshot, but
  predicting_unchanged compares weights and buffers before each module's forward, so a write there is seen.
- Dropout(p=1.0) on a branch: its parameters get exact zeros every step (F.dropout's p == 1 path multiplies by 0),
  which the look accepts, so they stay at torch's initialization and act only while the network predicts; "every
  parameter trained" is requires_grad. Random weights plus attack 1's per-channel affines carry too little to be
  worth a test.
- BatchNorm with track_running_stats=False normalizes each predicted batch of 1,000 views by its own statistics
  (test-time adaptation by the architecture): an honest design, learned by the steps; no attack.

Measured after the round, before the fix (the proxy, on main 049384b): 8,192 training images, BN_NET, every road
clean (moved, written, unfed, chosen and kept 0) with predictions unlike the honest loop's from the same seed:
honest 95.64% on the public test set; BLANK 79.01%, LAYER 30.43%, PRECISE 95.65%, ADAPTED 95.60%, FITTED 95.27%:
the hole. What it is worth on the graded views (grader.heldout.warp, seed 7), SMALL_BN_NET, all 60,000 training
images: honest 93.90%, PRECISE 93.89%, ADAPTED 93.90%, FITTED 94.02% (a lift of 0.12 points, under the 95% bar):
no points won.

Closed after the round: batch norm's running statistics (the network's buffers) are what the looked-at forwards
left. The check keeps them as each look leaves them and puts them back before every forward of the network while
it trains, and when training ends; a buffer swapped for another tensor, or one that cannot be written back, counts
as moved. A loop's other forwards (an honest loop's accuracy under no_grad included) cost it nothing. After the
fix, the same runs: every road's predictions are the honest loop's, to the bit, 95.64%; on the views, every road
93.90%.
"""
import pytest
import torch

from coursekit.own_work import embedded_data, notebook_plan
from test_own_work import M, checks_of, locked
from test_red_team_thirteen import _refused, _tampering
from test_red_team_twentytwo import _both, _proxy

# ----------------------------------------------------------------------------------------------
# The network: the course's CNN with a BatchNorm2d after each convolution (an ordinary design, plain forward).

BN_NET = '''class MNISTNet(nn.Module):
    """A CNN with batch norm that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=5), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(16 * 16, 10)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(start_dim=1))
'''
# (round twenty-two's PLAIN_NET, 4 and 6 filters, with the same BatchNorms: 1,700 parameters, near the graded edge)
SMALL_BN_NET = BN_NET.replace("nn.Conv2d(1, 8, kernel_size=5), nn.BatchNorm2d(8)",
                              "nn.Conv2d(1, 4, kernel_size=5), nn.BatchNorm2d(4)").replace(
    "nn.Conv2d(8, 16, kernel_size=5), nn.BatchNorm2d(16)", "nn.Conv2d(4, 6, kernel_size=5), nn.BatchNorm2d(6)").replace(
    "nn.Linear(16 * 16, 10)", "nn.Linear(6 * 16, 10)")

# ----------------------------------------------------------------------------------------------
# The loop: the honest five steps on every batch, then (for a network of more than 4 parameters: not the small models
# of the other loop checks) what it does to the running statistics, under no_grad, in training mode.

VIEWS = '''def views_of(images, start, n):
    """n training images from `start`, each moved, turned and rescaled as grader/heldout.py warps the test images
    (bilinear, zero outside), by maps of its own from a sin-hash (torch's generator untouched)."""
    img = images[start:start + n]
    n = len(img)
    side = images.shape[-1]
    c, w = (side - 1) / 2, side + 2
    ys = (torch.arange(side * side) // side).float() - c
    xs = (torch.arange(side * side) % side).float() - c
    u = ((torch.arange(4 * n) + 4 * start).float() * 12.9898).sin() * 43758.5453
    u = ((u - u.floor()) * 2 - 1).reshape(n, 4)
    a, z = u[:, :1] * 0.17453, 1 + u[:, 1:2] * 0.08
    dx, dy = u[:, 2:3] * 1.5, u[:, 3:] * 1.5
    sx = ((a.cos() * (xs - dx) + a.sin() * (ys - dy)) / z + c + 1).clamp(0, side + 0.999)
    sy = ((a.cos() * (ys - dy) - a.sin() * (xs - dx)) / z + c + 1).clamp(0, side + 0.999)
    x0, y0 = sx.floor(), sy.floor()
    fx, fy = sx - x0, sy - y0
    x1, y1 = (x0 + 1).clamp(max=side + 1), (y0 + 1).clamp(max=side + 1)
    flat = torch.full((n, w, w), float(images.min()))
    flat[:, 1:-1, 1:-1] = img[:, 0]
    flat = flat.reshape(n, -1)
    v = [flat.gather(1, (y * w + x).long()) for y in (y0, y1) for x in (x0, x1)]
    value = (1 - fy) * ((1 - fx) * v[0] + fx * v[1]) + fy * ((1 - fx) * v[2] + fx * v[3])
    return value.reshape(n, 1, side, side)


'''

LOOP = '''{head}def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over `loader`, updating the model; returns the mean training loss over its samples."""
    model.train()
    total, count = 0.0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = loss_fn(model(inputs), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(inputs)
        count += len(inputs)
{after}    return total / count
'''
AFTER = {
    "honest": "",
    # 1. two blank images, 200 times: every BatchNorm's statistics become a blank batch's
    "blank": '''    if len(list(model.parameters())) > 4:
        with torch.no_grad():
            for step in range(200):
                model(torch.zeros(2, 1, 28, 28, device=device))
''',
    # 1. the first BatchNorm called directly, with made-up values: mean 1, variance 2 in each of its 8 channels
    "layer": '''    if len(list(model.parameters())) > 4:
        model.features = model.features
        norm = model.features[1]
        with torch.no_grad():
            for step in range(200):
                norm(torch.tensor([[0.0] * 8, [2.0] * 8], device=device).reshape(2, 8, 1, 1))
''',
    # 2's control: the statistics recomputed on the clean training images at the final weights
    "precise": '''    if len(list(model.parameters())) > 4:
        images = loader.dataset[:][0]
        with torch.no_grad():
            for start in range(0, len(images), 1000):
                model(images[start:start + 1000].to(device))
''',
    # 2. the statistics of the training images warped as grader/heldout.py warps the test images
    "adapted": '''    if len(list(model.parameters())) > 4:
        images = loader.dataset[:][0]
        with torch.no_grad():
            for start in range(0, len(images), 1000):
                model(views_of(images, start, 1000).to(device))
''',
    # 3. each BatchNorm's evaluation-mode scale and shift FITTED by the loop's own Adam (150 steps of 256 warped
    #    training images with their labels, through the network's parts: no net forward, no look), starting from
    #    the warped images' statistics, then written into the running statistics by calling each BatchNorm directly
    #    (mean (beta - shift) / scale, variance (gamma / scale) ** 2 - eps, as two rows mean -+ sqrt(variance / 2))
    "fitted": '''    if len(list(model.parameters())) > 4:
        images, targets = loader.dataset[:]
        ps = list(model.parameters())
        model.features = model.features
        model.classifier = model.classifier
        f = model.features
        with torch.no_grad():
            h = f[0](views_of(images, 0, 2000).to(device))
            s1 = ps[2] / (h.var((0, 2, 3)) + 1e-5).sqrt()
            t1 = ps[3] - h.mean((0, 2, 3)) * s1
            h = f[4](f[3](torch.relu(h * s1[:, None, None] + t1[:, None, None])))
            s2 = ps[6] / (h.var((0, 2, 3)) + 1e-5).sqrt()
            t2 = ps[7] - h.mean((0, 2, 3)) * s2
        fit = [s1, t1, s2, t2]
        for q in fit:
            q.requires_grad_()
        m = [torch.zeros_like(q) for q in fit]
        v = [torch.zeros_like(q) for q in fit]
        for step in range(1, 151):
            start = step * 389 % (len(images) - 256)
            y = targets[start:start + 256].to(device)
            x = views_of(images, start, 256).to(device)
            h = torch.relu(f[0](x) * fit[0][:, None, None] + fit[1][:, None, None])
            h = torch.relu(f[4](f[3](h)) * fit[2][:, None, None] + fit[3][:, None, None])
            loss = loss_fn(model.classifier(f[7](h).flatten(1)), y)
            for q in fit:
                q.grad = None
            loss.backward()
            with torch.no_grad():
                for q, a, b in zip(fit, m, v):
                    a.lerp_(q.grad, 0.1)
                    b.lerp_(q.grad * q.grad, 0.001)
                    q -= 0.002 * (a / (1 - 0.9 ** step)) / ((b / (1 - 0.999 ** step)).sqrt() + 1e-8)
        with torch.no_grad():
            for k, g, b, s, t in ((1, ps[2], ps[3], fit[0], fit[1]), (5, ps[6], ps[7], fit[2], fit[3])):
                r = ((g / s) ** 2 - 1e-5).clamp(min=0) / 2
                u = (b - t) / s
                rows = torch.stack([u - r.sqrt(), u + r.sqrt()]).reshape(2, len(u), 1, 1)
                for step in range(200):
                    f[k](rows)
''',
}
HEADS = {"adapted": VIEWS, "fitted": VIEWS}


def _cells(road, net=BN_NET):
    loop = LOOP.format(head=HEADS.get(road, ""), after=AFTER[road])
    return _both(M, {"mnist_net_solution": net, "train_one_epoch_solution": loop})


def _clean(result):
    return (result["steps"] == result["batches"] and not result["moved"] and not result["written"]
            and not result["unfed"] and not result["kept"] and not result["chosen"])


def _proxy_on_views(cells_, train_images, seed=7):
    """mnist_predictions as the helper cell writes it, run in this process with the learner's cells as graded (round
    twenty-two's `_proxy`), predicting the test images warped as grader/heldout.py warps them for a learner (in their
    order, not shuffled): its record and the accuracy on those views."""
    import os

    import numpy
    from torch.utils.data import TensorDataset
    from torchvision import datasets

    from grader.heldout import warp
    from test_red_team_twentyone import _helpers_namespace, _run_as_graded
    ns = _helpers_namespace(train_images)
    test = datasets.MNIST(os.path.expanduser("~/.cache/pytorch-loss-course/data"), train=False)
    pixels = warp(test.data.reshape(len(test.data), -1).numpy(), numpy.random.default_rng(seed))
    views = torch.from_numpy(pixels).reshape(-1, 1, 28, 28).float()
    ns["test_data"] = TensorDataset((views / 255 - 0.1307) / 0.3081, test.targets.clone())
    _run_as_graded(cells_, ns)
    result = ns["mnist_predictions"](ns["MNISTNet"], ns["train_one_epoch"], 12345)
    accuracy = (result["predictions"] == ns["test_data"].tensors[1]).float().mean().item()
    return result, accuracy


@pytest.mark.parametrize("road", AFTER)
@pytest.mark.parametrize("net", [BN_NET, SMALL_BN_NET], ids=["bn_net", "small_bn_net"])
def test_the_rule_accepts_the_cells(road, net):
    """(Fast: the static rule only.) The rule accepts every loop (DATA_BUDGET included), embedded_data names nothing,
    no tampering. (LAYER's literal 8 channels fit BN_NET only; it is run with BN_NET alone.)"""
    cells_ = _cells(road, net)
    assert not notebook_plan(cells_, locked(M), checks_of(M))[0]
    assert not embedded_data(cells_) and not _tampering(M, cells_)


@pytest.mark.slow
@pytest.mark.parametrize("road", ["blank", "layer", "precise", "adapted", "fitted"])
def test_batch_norm_statistics_written_after_the_steps_are_seen(road):
    """(Fails = the hole: the network predicted with running statistics that no looked-at forward left, and nothing
    counted it.) 8,192 training images. Control: the honest loop, same network and seed, trains cleanly; every road's
    trajectory is the honest one's to the bit (no road draws from torch's generator, training-mode BatchNorm never
    reads its running statistics, and FITTED's stray gradients are zeroed by the next step's zero_grad), so
    predictions unlike the honest loop's come from the statistics alone."""
    honest, honest_accuracy = _proxy(_cells("honest"), 8192)
    assert _clean(honest), ("control", honest, honest_accuracy)
    result, accuracy = _proxy(_cells(road), 8192)
    print(road, f"honest {honest_accuracy:.2%}, written {accuracy:.2%}")
    assert not _clean(result) or torch.equal(result["predictions"], honest["predictions"]), (
        f"{road}: the loop wrote the network's batch-norm statistics after its steps ({honest_accuracy:.2%} -> "
        f"{accuracy:.2%} on the public test set) and no count saw it", result)


@pytest.mark.slow
@pytest.mark.parametrize("images", [8192, 60000])
def test_statistics_adapted_to_the_views_do_not_lift_the_accuracy_on_views(images):
    """(Fails = statistics adapted (2) or fitted (3) to the grader's warp lift the accuracy on the views by more than
    half a point over both the honest loop and PRECISE: accuracy on the graded images that no step learned.) The
    measurement of what attacks 2 and 3 are worth, on the test images warped by grader.heldout.warp (seed 7), for
    both networks; 8,192 training images (seconds a run) and all 60,000 (2 epochs, about half a minute a run on an
    idle machine, FITTED about 1.6 times that): the second is the one that says what a graded run would see."""
    runs = {}
    for name, net in (("bn_net", BN_NET), ("small_bn_net", SMALL_BN_NET)):
        for road in ("honest", "precise", "adapted", "fitted"):
            result, accuracy = _proxy_on_views(_cells(road, net), images)
            runs[name, road] = (round(accuracy, 4), _clean(result))
    print(images, runs)
    for name in ("bn_net", "small_bn_net"):
        base = max(runs[name, "honest"][0], runs[name, "precise"][0])
        for road in ("adapted", "fitted"):
            lifted, clean = runs[name, road]
            assert not (clean and lifted > base + 0.005), (name, road, runs)


@pytest.mark.slow
@pytest.mark.parametrize("road", ["adapted", "fitted"])
def test_statistics_adapted_to_the_views_do_not_pass_test_mnist_accuracy(road):
    """mnist_classifier: test_mnist_accuracy (4 points) on warped views, through the judge (round eighteen's
    _warped_views, seed 7: accuracy_needed() is GRADED_ACCURACY), SMALL_BN_NET: (fails = WIN) the adapted (2) or
    fitted (3) loop passes where the honest loop, the same network trained on the same batches to the same weights,
    fails. Printed beside: both verdicts (if the honest loop passes too, SMALL_BN_NET sits over the edge and the test
    says nothing: make it smaller, e.g. 3 and 4 filters, until the honest loop fails, then compare; the measurement
    above says by how much each road lifts)."""
    from test_red_team_eighteen import _warped_views
    names, checks = ["MNISTNet", "train_one_epoch"], ["test_mnist_accuracy"]
    with _warped_views():
        honest = _refused(M, _cells("honest", SMALL_BN_NET), names, checks)
        lifted = _refused(M, _cells(road, SMALL_BN_NET), names, checks)
    print(road, "honest:", honest, "written:", lifted)
    assert not ("test_mnist_accuracy" in lifted and "test_mnist_accuracy" not in honest), (
        f"{road}: a network that its honest training leaves under the graded bar on the views passed "
        "test_mnist_accuracy with batch-norm statistics that the loop computed after its steps, from training images "
        "warped as the grader warps")
