"""Honest learners of every assignment, written in many different styles, for the "implement it
yourself" check (student-kit/coursekit/own_work.py): none of them reaches a built-in it is asked to write, so the
check must never penalise one.

`HONEST[assignment][solution grade_id]` is a list of complete cell sources (no nbgrader markers),
each a correct solution that can replace that cell alone: whatever it needs (imports, helpers, a
base class of the learner's own) is defined in the same source. Every variant was checked
numerically against PyTorch (values and gradients of the losses on several shapes, dtypes and
extreme inputs; the optimizers step by step against torch.optim with parameters that get no
gradient on some steps; the training loops and evaluation against the reference solution).

`SCRATCH[assignment]` is a list of cells a learner adds to experiment: they may use the built-ins
freely (printing their own function beside PyTorch's, asserting they agree, training with
torch.optim, plotting), and they run without error after the notebook's solution cells.
"""
import textwrap


def _src(text):
    """A cell source written indented in this file: dedented, one final newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


# --------------------------------------------------------------------------------------------------
# loss_functions (its setup cell: import torch; import torch.nn as nn; import torch.nn.functional as F)
# --------------------------------------------------------------------------------------------------

MSE_LOSS = [_src('''
    def mse_loss(pred, target):
        """Mean of the squared differences between pred and target (like nn.MSELoss())."""
        return torch.mean((pred - target) ** 2)
    '''), _src('''
    def mse_loss(pred, target):
        """Mean squared error, the same as F.mse_loss(pred, target) with reduction="mean"."""
        diff = pred - target
        return diff.pow(2).mean()
    '''), _src('''
    def mse_loss(pred, target):
        # square every error, then average over ALL the elements (not only the batch dimension)
        return torch.square(pred - target).mean()
    '''), _src('''
    def mse_loss(pred, target):
        """Like nn.MSELoss(): sum of squared errors divided by the number of elements."""
        # F.mse_loss would do this in one call; the assignment wants it by hand.
        d = pred - target
        return (d * d).sum() / d.numel()
    '''), _src('''
    def mse_loss(pred, target):
        """MSE written as a loop over the elements (slow, but easy to read)."""
        squares = []
        for error in (pred - target).reshape(-1):
            squares.append(error * error)
        return torch.stack(squares).mean()
    '''), _src('''
    import math


    def mse_loss(pred, target):
        """Mean squared error over all elements, whatever the shape."""
        n = math.prod(pred.shape)
        return torch.sum(torch.pow(pred - target, 2)) / n
    '''), _src('''
    def _flat_error(a, b):
        """The element-wise error as a 1-D tensor."""
        return (a - b).flatten()


    def mse_loss(pred, target):
        """||pred - target||^2 / n, computed as a dot product (compare: nn.MSELoss())."""
        e = _flat_error(pred, target)
        return torch.einsum("i,i->", e, e) / e.numel()
    '''), _src('''
    def mse_loss(pred, target):
        """Mean squared error; `torch.dot` of the flat error with itself is the sum of squares."""
        errors = torch.flatten(pred - target)
        total = torch.dot(errors, errors)
        return total / len(errors)
    '''),
]

L1_LOSS = [_src('''
    def l1_loss(pred, target):
        """Mean absolute error (like nn.L1Loss())."""
        return torch.mean(torch.abs(pred - target))
    '''), _src('''
    def l1_loss(pred, target):
        """Sum of |pred - target| divided by the number of elements; compare F.l1_loss."""
        return (pred - target).abs().sum() / pred.numel()
    '''), _src('''
    def l1_loss(pred, target):
        diff = pred - target
        # |d| = sign(d) * d, and autograd gives sign(d) as its gradient, as nn.L1Loss does
        return (diff.sign() * diff).mean()
    '''), _src('''
    def l1_loss(pred, target):
        """|d| as the larger of d and -d."""
        d = pred - target
        return torch.maximum(d, -d).mean()
    '''), _src('''
    def l1_loss(pred, target):
        """Mean absolute error with a plain Python loop over the elements."""
        errors = (pred - target).flatten()
        total = sum(abs(e) for e in errors)
        return total / errors.numel()
    '''), _src('''
    def l1_loss(pred, target):
        """The L1 norm of the error, divided by the number of elements."""
        return torch.linalg.vector_norm(pred - target, ord=1) / pred.numel()
    '''), _src('''
    def l1_loss(pred, target):
        """|d| = relu(d) + relu(-d)."""
        d = pred - target
        return (F.relu(d) + F.relu(-d)).mean()
    '''), _src('''
    def _absolute_errors(pred, target):
        return torch.where(pred > target, pred - target, target - pred)


    def l1_loss(pred, target):
        """Mean absolute error, like nn.L1Loss() (reduction='mean')."""
        return _absolute_errors(pred, target).mean()
    '''),
]

HUBER_LOSS = [_src('''
    def huber_loss(pred, target, delta=1.0):
        """Huber loss: quadratic for |error| < delta, linear beyond (like nn.HuberLoss(delta=delta))."""
        abs_err = torch.abs(pred - target)
        quadratic = 0.5 * abs_err ** 2
        linear = delta * (abs_err - 0.5 * delta)
        return torch.where(abs_err < delta, quadratic, linear).mean()
    '''), _src('''
    def huber_loss(pred, target, delta=1.0):
        """Huber with a clamp: q = min(|e|, delta), loss = q * (|e| - q / 2)."""
        a = (pred - target).abs()
        q = torch.clamp(a, max=delta)
        return (q * (a - 0.5 * q)).mean()
    '''), _src('''
    def huber_loss(pred, target, delta=1.0):
        """0.5 * q^2 + delta * (|e| - q) with q = min(|e|, delta); NOT SmoothL1Loss unless delta = 1."""
        a = (pred - target).abs()
        q = a.clamp(max=delta)
        return (0.5 * q ** 2 + delta * F.relu(a - delta)).mean()
    '''), _src('''
    def huber_loss(pred, target, delta=1.0):
        e = pred - target
        small = (e.abs() < delta).to(e.dtype)  # 1.0 where the error is small, else 0.0
        big = 1 - small
        loss = small * 0.5 * e ** 2 + big * delta * (e.abs() - 0.5 * delta)
        return loss.mean()
    '''), _src('''
    def huber_loss(pred, target, delta=1.0):
        """Huber loss element by element, with an if for each error."""
        terms = []
        for e in (pred - target).reshape(-1):
            if e.abs() < delta:
                terms.append(0.5 * e * e)
            else:
                terms.append(delta * (e.abs() - 0.5 * delta))
        return torch.stack(terms).mean()
    '''), _src('''
    def _smooth_l1(x, beta):
        """SmoothL1 of the errors x, by hand: 0.5 x^2 / beta inside beta, |x| - beta / 2 outside."""
        ax = x.abs()
        return torch.where(ax < beta, 0.5 * x * x / beta, ax - 0.5 * beta)


    def huber_loss(pred, target, delta=1.0):
        """Huber(delta) = delta * SmoothL1(beta=delta): compare nn.HuberLoss and nn.SmoothL1Loss."""
        return (delta * _smooth_l1(pred - target, delta)).mean()
    '''), _src('''
    def huber_loss(pred, target, delta=1.0):
        err = pred - target
        inside = err.abs() <= delta  # at |e| == delta both pieces give delta^2 / 2
        per_element = torch.where(inside, 0.5 * err.pow(2), delta * err.abs() - 0.5 * delta ** 2)
        return per_element.sum() / err.numel()
    '''),
]

BINARY_CROSS_ENTROPY = [_src('''
    def binary_cross_entropy(probs, target):
        """Binary cross-entropy of probabilities against targets in [0, 1] (like nn.BCELoss())."""
        log_p = torch.clamp(torch.log(probs), min=-100)
        log_1mp = torch.clamp(torch.log(1 - probs), min=-100)
        return torch.mean(-(target * log_p + (1 - target) * log_1mp))
    '''), _src('''
    def _clamped_log(x):
        """log(x), but never below -100, as F.binary_cross_entropy clamps it."""
        return torch.log(x).clamp_min(-100.0)


    def binary_cross_entropy(probs, target):
        loss = -(target * _clamped_log(probs) + (1 - target) * _clamped_log(1 - probs))
        return loss.mean()
    '''), _src('''
    def binary_cross_entropy(probs, target):
        floor = torch.full_like(probs, -100.0)
        log_p = torch.maximum(torch.log(probs), floor)
        log_q = torch.maximum(torch.log1p(-probs), floor)
        return -(target * log_p + (1 - target) * log_q).mean()
    '''), _src('''
    LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps each log at -100


    def binary_cross_entropy(probs, target):
        """Mean of -(y log p + (1 - y) log(1 - p)), each log clamped at LOG_FLOOR."""
        log_p = torch.log(probs).clamp(min=LOG_FLOOR)
        log_not_p = torch.log(1.0 - probs).clamp(min=LOG_FLOOR)
        total = -(target * log_p + (1.0 - target) * log_not_p).sum()
        return total / probs.numel()
    '''), _src('''
    def binary_cross_entropy(probs, target):
        """BCE element by element (a loop over the flattened tensors)."""
        terms = []
        for p, y in zip(probs.reshape(-1), target.reshape(-1)):
            log_p = torch.log(p).clamp(min=-100)
            log_q = torch.log(1 - p).clamp(min=-100)
            terms.append(-(y * log_p + (1 - y) * log_q))
        return torch.stack(terms).mean()
    '''), _src('''
    def binary_cross_entropy(probs, target):
        """-(y log p + (1 - y) log(1 - p)) = -lerp(log(1 - p), log(p), y)."""
        log_p = torch.log(probs).clamp(min=-100)
        log_q = torch.log(1 - probs).clamp(min=-100)
        return -torch.lerp(log_q, log_p, target).mean()
    '''), _src('''
    def binary_cross_entropy(probs, target):
        # log(0) is -inf: replace everything below -100 by -100, like nn.BCELoss does
        log_p = torch.log(probs)
        log_p = torch.where(log_p < -100, torch.full_like(log_p, -100.0), log_p)
        log_q = torch.log(1 - probs)
        log_q = torch.where(log_q < -100, torch.full_like(log_q, -100.0), log_q)
        return (-target * log_p - (1 - target) * log_q).mean()
    '''),
]

BINARY_CROSS_ENTROPY_WITH_LOGITS = [_src('''
    def binary_cross_entropy_with_logits(logits, target):
        """Stable BCE from logits: log(1 + e^x) - x*y, with log(1 + e^x) = x + log(1 + e^-x) for x > 0."""
        x = logits
        positive = x > 0
        never_large = torch.where(positive, -x, x)  # <= 0, so exp() cannot overflow
        log1pexp = torch.where(positive, x, torch.zeros_like(x)) + torch.log1p(torch.exp(never_large))
        return (log1pexp - x * target).mean()
    '''), _src('''
    def binary_cross_entropy_with_logits(logits, target):
        """(1 - y) * x + softplus(-x), softplus computed stably by PyTorch."""
        return ((1 - target) * logits + F.softplus(-logits)).mean()
    '''), _src('''
    def binary_cross_entropy_with_logits(logits, target):
        """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)), with the stable log-sigmoid."""
        return -(target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).mean()
    '''), _src('''
    def binary_cross_entropy_with_logits(logits, target):
        """softplus(x) - x*y, where softplus(x) = log(1 + e^x) = logaddexp(0, x) never overflows."""
        softplus = torch.logaddexp(torch.zeros_like(logits), logits)
        return (softplus - logits * target).mean()
    '''), _src('''
    def _log1pexp(z):
        """log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))."""
        return torch.maximum(z, torch.zeros_like(z)) + torch.log1p(torch.exp(-z.abs()))


    def binary_cross_entropy_with_logits(logits, target):
        # -log sigmoid(x) = log(1 + e^-x) and -log(1 - sigmoid(x)) = log(1 + e^x)
        return (target * _log1pexp(-logits) + (1 - target) * _log1pexp(logits)).mean()
    '''), _src('''
    def binary_cross_entropy_with_logits(logits, target):
        """BCE on logits; torch.nn.functional.softplus(x) = log(1 + e^x), stable for large |x|."""
        loss = torch.nn.functional.softplus(logits) - target * logits
        return loss.sum() / loss.numel()
    '''), _src('''
    def log_sigmoid(z):
        """log(sigmoid(z)) = -log(1 + e^-z) = -softplus(-z)."""
        return -F.softplus(-z)


    def binary_cross_entropy_with_logits(logits, target):
        """Written like BCELoss on sigmoid(logits), but with log-sigmoid so nothing overflows."""
        return torch.mean(-(target * log_sigmoid(logits) + (1 - target) * log_sigmoid(-logits)))
    '''),
]

CROSS_ENTROPY = [_src('''
    def cross_entropy(logits, target):
        """Mean cross-entropy of (N, C) logits against N int64 class indices (like nn.CrossEntropyLoss())."""
        lse = torch.logsumexp(logits, dim=1)
        true_logit = logits.gather(dim=1, index=target.view(-1, 1)).squeeze(1)
        return torch.mean(lse - true_logit)
    '''), _src('''
    def cross_entropy(logits, target):
        """-log softmax(z)[y], averaged over rows; F.log_softmax is stable."""
        log_probs = F.log_softmax(logits, dim=1)
        rows = torch.arange(logits.shape[0])
        return -log_probs[rows, target].mean()
    '''), _src('''
    def cross_entropy(logits, target):
        """The log-sum-exp trick by hand: subtract each row's max before exponentiating."""
        row_max = logits.max(dim=1, keepdim=True).values
        shifted = logits - row_max
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        one_hot = F.one_hot(target, num_classes=logits.shape[1])
        return -(one_hot * log_probs).sum(dim=1).mean()
    '''), _src('''
    def cross_entropy(logits, target):
        """One row at a time: logsumexp(row) - row[y]."""
        losses = []
        for row, y in zip(logits, target):
            losses.append(torch.logsumexp(row, dim=0) - row[y])
        return torch.stack(losses).mean()
    '''), _src('''
    def _logsumexp_rows(z):
        """log(sum(exp(z))) of each row, with the max taken out first (no overflow)."""
        m = z.max(dim=1).values.detach()
        return m + torch.log(torch.exp(z - m[:, None]).sum(dim=1))


    def cross_entropy(logits, target):
        # a boolean mask picks each row's true logit (one True per row, in row order)
        mask = torch.zeros_like(logits, dtype=torch.bool)
        mask[torch.arange(len(target)), target] = True
        true_logits = logits[mask]
        return (_logsumexp_rows(logits) - true_logits).mean()
    '''), _src('''
    def cross_entropy(logits, target):
        """Like nn.CrossEntropyLoss() / F.cross_entropy: log-softmax, then the true class's entry."""
        log_p = torch.nn.functional.log_softmax(logits, dim=-1)
        picked = torch.take_along_dim(log_p, target.unsqueeze(-1), dim=-1)
        return -picked.mean()
    '''), _src('''
    def cross_entropy(logits, target):
        n, num_classes = logits.shape
        onehot = F.one_hot(target, num_classes).to(logits.dtype)
        true_logit = (logits * onehot).sum(dim=1)
        return (logits.logsumexp(dim=1) - true_logit).sum() / n
    '''),
]

MULTI_MARGIN_LOSS = [_src('''
    def multi_margin_loss(scores, target, margin=1.0):
        """Multi-class hinge loss of (N, C) scores against N int64 classes (like nn.MultiMarginLoss(margin))."""
        n, c = scores.shape
        true_score = scores.gather(1, target.unsqueeze(1))
        hinge = torch.clamp(margin - true_score + scores, min=0)
        hinge = hinge.scatter(1, target.unsqueeze(1), 0.0)  # the sum skips i == y
        return (hinge.sum(dim=1) / c).mean()
    '''), _src('''
    def multi_margin_loss(scores, target, margin=1.0):
        """Row by row: sum over i != y of max(0, margin - x[y] + x[i]), divided by C."""
        num_classes = scores.shape[1]
        row_losses = []
        for x, y in zip(scores, target):
            terms = (margin - x[y] + x).clamp(min=0)
            others = torch.cat([terms[:y], terms[y + 1:]])
            row_losses.append(others.sum() / num_classes)
        return torch.stack(row_losses).mean()
    '''), _src('''
    def multi_margin_loss(scores, target, margin=1.0):
        C = scores.size(1)
        true = scores[torch.arange(scores.size(0)), target].unsqueeze(1)
        hinge = F.relu(margin - true + scores)
        not_true = 1 - F.one_hot(target, C)
        return ((hinge * not_true).sum(dim=1) / C).mean()
    '''), _src('''
    def multi_margin_loss(scores, target, margin=1.0):
        """Hinge over the wrong classes; a boolean mask built with arange keeps i != y."""
        n, c = scores.shape
        classes = torch.arange(c)
        wrong = classes.unsqueeze(0) != target.unsqueeze(1)  # (N, C), False at the true class
        true_score = scores[torch.arange(n), target].view(n, 1)
        hinge = torch.maximum(margin - true_score + scores, torch.zeros_like(scores))
        hinge = torch.where(wrong, hinge, torch.zeros_like(hinge))
        return hinge.sum() / (n * c)
    '''), _src('''
    def multi_margin_loss(scores, target, margin=1.0):
        # At i == y the term is max(0, margin - x_y + x_y) = margin, so sum over all i and take it off.
        num_classes = scores.shape[-1]
        true_score = torch.gather(scores, 1, target[:, None])
        all_terms = (margin - true_score + scores).clamp(min=0).sum(dim=1)
        return ((all_terms - margin) / num_classes).mean()
    '''), _src('''
    def _hinge(z):
        return z.clamp(min=0)


    def multi_margin_loss(scores, target, margin=1.0):
        """Like nn.MultiMarginLoss(margin=margin), with p=1 and no weights."""
        n, c = scores.shape
        is_true = F.one_hot(target, num_classes=c).bool()
        true_score = scores.masked_select(is_true).unsqueeze(1)
        losses = _hinge(margin - true_score + scores).masked_fill(is_true, 0.0)
        return losses.sum(dim=1).div(c).mean()
    '''), _src('''
    def multi_margin_loss(scores, target, margin=1.0):
        """Two nested Python loops, as the formula reads."""
        n, c = scores.shape
        total = 0.0
        for row in range(n):
            y = target[row]
            for i in range(c):
                if i != y:
                    total = total + torch.clamp(margin - scores[row, y] + scores[row, i], min=0)
        return total / (n * c)
    '''),
]

# --------------------------------------------------------------------------------------------------
# optimizers (its setup cell: import torch; import torch.nn as nn)
# --------------------------------------------------------------------------------------------------

TRAIN = [_src('''
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        """Full-batch training for `epochs` steps; returns each epoch's loss before its update, as floats."""
        history = []
        for epoch in range(epochs):
            optimizer.zero_grad()
            predictions = model(inputs)
            loss = loss_fn(predictions, targets)
            history.append(loss.item())
            loss.backward()
            optimizer.step()
        return history
    '''), _src('''
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        losses = []
        for _ in range(epochs):
            outputs = model.forward(inputs)  # 1. forward pass (the method itself)
            loss = loss_fn(outputs, targets)  # 2. loss
            optimizer.zero_grad()             # 3. clear old gradients
            loss.backward()                   # 4. backpropagate
            optimizer.step()                  # 5. update (like torch.optim.SGD.step)
            losses += [float(loss)]
        return losses
    '''), _src('''
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        """The five steps, with a helper for one step; a list comprehension collects the losses."""
        def _one_step():
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss.detach().item()

        model.train()
        return [_one_step() for _ in range(epochs)]
    '''), _src('''
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        epoch = 0
        recorded = []
        while epoch < epochs:
            loss = loss_fn(model(inputs), targets)
            recorded.append(loss.tolist())  # a 0-dim tensor's tolist() is a Python float
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch += 1
        return recorded
    '''), _src('''
    def _loss_value(loss):
        """A loss tensor as a plain Python float."""
        return float(loss.detach().cpu().numpy())


    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        """Full-batch gradient descent; the value recorded each epoch is the loss before its step."""
        losses = [0.0] * epochs
        for i in range(epochs):
            loss = loss_fn(model(inputs), targets)
            losses[i] = _loss_value(loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return losses
    '''), _src('''
    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        model.train(True)
        log = []
        for epoch in range(1, epochs + 1):
            optimizer.zero_grad()
            loss = loss_fn(input=model(inputs), target=targets)
            loss.backward()
            log.append(loss.item())
            optimizer.step()
        return log
    '''), _src('''
    from collections import defaultdict


    def train(model, inputs, targets, loss_fn, optimizer, epochs):
        """Keeps a small history dict; returns history["loss"]."""
        history = defaultdict(list)
        for epoch in range(epochs):
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["loss"].append(loss.item())
            history["epoch"].append(epoch)
        return list(history["loss"])
    '''),
]

MY_SGD = [_src('''
    class MySGD:
        """SGD with optional momentum, updating like torch.optim.SGD(params, lr=lr, momentum=momentum)."""

        def __init__(self, params, lr, momentum=0.0):
            self.params = list(params)  # params may be a generator, as model.parameters() is
            self.lr = lr
            self.momentum = momentum
            self.state = {}  # parameter -> its momentum buffer

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                if p.grad is None:
                    continue
                d_p = p.grad
                if self.momentum:
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = d_p.clone()
                    else:
                        state["momentum_buffer"].mul_(self.momentum).add_(d_p)
                    d_p = state["momentum_buffer"]
                p.add_(d_p, alpha=-self.lr)
    '''), _src('''
    class MySGD:
        def __init__(self, params, lr, momentum=0.0):
            self.params = [p for p in params]
            self.lr, self.momentum = lr, momentum
            self.buffers = [None for _ in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for i, p in enumerate(self.params):
                    g = p.grad
                    if g is None:
                        continue  # no gradient this step: leave it (and its buffer) alone
                    if self.momentum != 0.0:
                        if self.buffers[i] is None:
                            self.buffers[i] = g.clone()
                        else:
                            self.buffers[i] = self.momentum * self.buffers[i] + g
                        g = self.buffers[i]
                    p.copy_(p - self.lr * g)
    '''), _src('''
    class _MyOptimizer:
        """What my three optimizers share: the parameter list, the hyperparameters, zero_grad."""

        def __init__(self, params, **hyper):
            self.params = list(params)
            self.hyper = hyper
            self.state = [dict() for _ in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def with_grads(self):
            """(parameter, its gradient, its state) for every parameter that has a gradient."""
            return [(p, p.grad, s) for p, s in zip(self.params, self.state) if p.grad is not None]


    class MySGD(_MyOptimizer):
        """Like torch.optim.SGD(params, lr, momentum)."""

        def __init__(self, params, lr, momentum=0.0):
            super().__init__(params, lr=lr, momentum=momentum)

        @torch.no_grad()
        def step(self):
            lr, mu = self.hyper["lr"], self.hyper["momentum"]
            for p, g, s in self.with_grads():
                if mu > 0:
                    s["buf"] = g.detach().clone() if "buf" not in s else s["buf"].mul_(mu).add_(g)
                    g = s["buf"]
                p.sub_(lr * g)
    '''), _src('''
    class MySGD:
        """Plain SGD, with momentum if asked for; updates p.data directly."""

        def __init__(self, params, lr, momentum=0.0):
            self.params = list(params)
            self.lr = lr
            self.momentum = momentum
            self.velocity = [None] * len(self.params)

        def zero_grad(self):
            for param in self.params:
                if param.grad is not None:
                    param.grad = None

        def step(self):
            for k, param in enumerate(self.params):
                if param.grad is None:
                    continue
                grad = param.grad.data
                if self.momentum == 0:
                    param.data = param.data - self.lr * grad
                    continue
                if self.velocity[k] is None:
                    self.velocity[k] = grad.clone()
                else:
                    self.velocity[k] = self.momentum * self.velocity[k] + grad
                param.data = param.data - self.lr * self.velocity[k]
    '''), _src('''
    from collections import defaultdict


    class MySGD:
        def __init__(self, params, lr, momentum=0.0):
            self.params = list(params)
            self.lr = lr
            self.momentum = momentum
            self.buffer = defaultdict(lambda: None)  # keyed by parameter

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                if p.grad is None:
                    continue
                buf = self.buffer[p]
                buf = p.grad.clone() if buf is None else buf * self.momentum + p.grad
                self.buffer[p] = buf
                # with momentum 0 the buffer is just the gradient: plain SGD
                p -= self.lr * buf
    '''), _src('''
    class MySGD:
        """SGD with momentum; the velocity starts at zero, so the first step's buffer is g itself."""

        def __init__(self, params, lr, momentum=0.0):
            self.params = list(params)
            self.lr = lr
            self.momentum = momentum
            self.velocities = [torch.zeros_like(p) for p in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p, v in zip(self.params, self.velocities):
                if p.grad is not None:
                    v.mul_(self.momentum).add_(p.grad)  # b = mu * b + g (b = g on the first step)
                    p.add_(v, alpha=-self.lr)
    '''), _src('''
    class MySGD:
        """Keeps torch.optim's layout: param_groups and a per-parameter state dict."""

        def __init__(self, params, lr, momentum=0.0):
            self.param_groups = [{"params": list(params), "lr": lr, "momentum": momentum}]
            self.state = {}

        def zero_grad(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None

        def step(self):
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        step_dir = p.grad
                        if group["momentum"] != 0:
                            if p not in self.state:
                                self.state[p] = torch.clone(p.grad).detach()
                            else:
                                self.state[p].mul_(group["momentum"]).add_(p.grad)
                            step_dir = self.state[p]
                        p.add_(-group["lr"] * step_dir)
    '''),
]

MY_SGD.append(_src('''
    from collections.abc import Iterable


    class MySGD:
        """Typed as linters ask (annotations are notes: the rule does not read them, grading does not run them)."""

        def __init__(self, params: Iterable[nn.Parameter], lr: float, momentum: float = 0.0) -> None:
            self.params: list[nn.Parameter] = list(params)
            self.lr, self.momentum = lr, momentum
            self.velocity: dict[nn.Parameter, torch.Tensor] = {}

        def zero_grad(self) -> None:
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self) -> None:
            for p in self.params:
                if p.grad is None:
                    continue
                update: torch.Tensor = p.grad
                if self.momentum:
                    if p in self.velocity:
                        self.velocity[p].mul_(self.momentum).add_(update)
                    else:
                        self.velocity[p] = update.clone()
                    update = self.velocity[p]
                p.add_(update, alpha=-self.lr)
'''))

MY_ADAM = [_src('''
    import math


    class MyAdam:
        """Adam, updating like torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr, self.betas, self.eps = lr, betas, eps
            self.state = {}

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            beta1, beta2 = self.betas
            for p in self.params:
                if p.grad is None:
                    continue
                g = p.grad
                st = self.state.setdefault(p, {"step": 0, "exp_avg": torch.zeros_like(p),
                                               "exp_avg_sq": torch.zeros_like(p)})
                st["step"] += 1
                st["exp_avg"].lerp_(g, 1 - beta1)
                st["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                bias_correction1 = 1 - beta1 ** st["step"]
                bias_correction2 = 1 - beta2 ** st["step"]
                denom = (st["exp_avg_sq"].sqrt() / math.sqrt(bias_correction2)).add_(self.eps)
                p.addcdiv_(st["exp_avg"], denom, value=-self.lr / bias_correction1)
    '''), _src('''
    class MyAdam:
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr = lr
            self.beta1, self.beta2 = betas
            self.eps = eps
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]
            self.t = [0 for _ in self.params]  # each parameter counts its own steps

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for i, p in enumerate(self.params):
                    if p.grad is None:
                        continue
                    g = p.grad
                    self.t[i] += 1
                    self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
                    self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g ** 2
                    m_hat = self.m[i] / (1 - self.beta1 ** self.t[i])
                    v_hat = self.v[i] / (1 - self.beta2 ** self.t[i])
                    p.copy_(p - self.lr * m_hat / (torch.sqrt(v_hat) + self.eps))
    '''), _src('''
    from collections import defaultdict


    class _Base:
        """My own optimizer base class: a parameter list, per-parameter state, zero_grad."""

        def __init__(self, params, defaults):
            self.params = list(params)
            self.defaults = dict(defaults)
            self.state = defaultdict(dict)

        def zero_grad(self):
            for p in self.params:
                p.grad = None


    class MyAdam(_Base):
        """Like torch.optim.Adam."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

        @torch.no_grad()
        def step(self):
            lr, (b1, b2), eps = self.defaults["lr"], self.defaults["betas"], self.defaults["eps"]
            for p in self.params:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:
                    s["t"], s["m"], s["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                s["t"] += 1
                s["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                s["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat = s["m"] / (1 - b1 ** s["t"])
                v_hat = s["v"] / (1 - b2 ** s["t"])
                p.addcdiv_(m_hat, v_hat.sqrt().add(eps), value=-lr)
    '''), _src('''
    class MyAdam:
        """Adam on p.data; the state is keyed by id(p)."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr, self.betas, self.eps = lr, betas, eps
            self.steps, self.first, self.second = {}, {}, {}

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            b1, b2 = self.betas
            for p in self.params:
                if p.grad is None:
                    continue
                key = id(p)
                g = p.grad.data
                t = self.steps.get(key, 0) + 1
                m = b1 * self.first.get(key, torch.zeros_like(g)) + (1 - b1) * g
                v = b2 * self.second.get(key, torch.zeros_like(g)) + (1 - b2) * g * g
                self.steps[key], self.first[key], self.second[key] = t, m, v
                m_hat = m / (1 - b1 ** t)
                v_hat = v / (1 - b2 ** t)
                p.data = p.data - self.lr * m_hat / (v_hat.sqrt() + self.eps)
    '''), _src('''
    class _AdamSlot:
        """One parameter's Adam state."""

        def __init__(self, like):
            self.t = 0
            self.m = torch.zeros_like(like)
            self.v = torch.zeros_like(like)


    class MyAdam:
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr = lr
            self.betas = betas
            self.eps = eps
            self.slots = [_AdamSlot(p) for p in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            beta1, beta2 = self.betas
            for p, slot in zip(self.params, self.slots):
                if p.grad is None:
                    continue
                slot.t += 1
                slot.m = beta1 * slot.m + (1 - beta1) * p.grad
                slot.v = beta2 * slot.v + (1 - beta2) * torch.square(p.grad)
                m_hat = slot.m / (1 - beta1 ** slot.t)
                v_hat = slot.v / (1 - beta2 ** slot.t)
                p -= self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)  # eps OUTSIDE the sqrt
    '''), _src('''
    import math


    class MyAdam:
        """Adam with a torch.optim-like layout (param_groups, state), written by hand."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.param_groups = [dict(params=list(params), lr=lr, betas=betas, eps=eps)]
            self.state = {}

        def zero_grad(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None

        def step(self):
            with torch.no_grad():
                for group in self.param_groups:
                    beta1, beta2 = group["betas"]
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        if p not in self.state:
                            self.state[p] = {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
                        st = self.state[p]
                        st["step"] += 1
                        st["m"].mul_(beta1).add_((1 - beta1) * p.grad)
                        st["v"].mul_(beta2).add_((1 - beta2) * p.grad * p.grad)
                        step_size = group["lr"] / (1 - beta1 ** st["step"])
                        denom = st["v"].sqrt() / math.sqrt(1 - beta2 ** st["step"]) + group["eps"]
                        p.sub_(step_size * st["m"] / denom)
    '''), _src('''
    class MyAdam:
        """Adam with lists of buffers and pow/sqrt written out."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr = lr
            self.b1, self.b2 = betas[0], betas[1]
            self.eps = eps
            n = len(self.params)
            self.exp_avg = [torch.zeros_like(p) for p in self.params]
            self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
            self.counts = [0] * n

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for idx in range(len(self.params)):
                p = self.params[idx]
                grad = p.grad
                if grad is None:
                    continue
                self.counts[idx] = self.counts[idx] + 1
                t = self.counts[idx]
                self.exp_avg[idx].mul_(self.b1).add_(grad * (1 - self.b1))
                self.exp_avg_sq[idx].mul_(self.b2).add_(torch.pow(grad, 2) * (1 - self.b2))
                corrected_m = self.exp_avg[idx] / (1 - pow(self.b1, t))
                corrected_v = self.exp_avg_sq[idx] / (1 - pow(self.b2, t))
                p.add_(-self.lr * corrected_m / (corrected_v.sqrt() + self.eps))
    '''),
]

MY_RMSPROP = [_src('''
    class MyRMSprop:
        """RMSprop, updating like torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps)."""

        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.params = list(params)
            self.lr, self.alpha, self.eps = lr, alpha, eps
            self.state = {}

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                if p.grad is None:
                    continue
                square_avg = self.state.setdefault(p, torch.zeros_like(p))
                square_avg.mul_(self.alpha).addcmul_(p.grad, p.grad, value=1 - self.alpha)
                avg = square_avg.sqrt().add_(self.eps)
                p.addcdiv_(p.grad, avg, value=-self.lr)
    '''), _src('''
    class MyRMSprop:
        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.params = list(params)
            self.lr = lr
            self.alpha = alpha
            self.eps = eps
            self.s = [torch.zeros_like(p) for p in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for i, p in enumerate(self.params):
                    if p.grad is None:
                        continue
                    g = p.grad
                    self.s[i] = self.alpha * self.s[i] + (1 - self.alpha) * g ** 2
                    p.copy_(p - self.lr * g / (torch.sqrt(self.s[i]) + self.eps))
    '''), _src('''
    class _OptimizerBase:
        """Shared by my optimizers: the parameters, one state dict each, and zero_grad."""

        def __init__(self, params):
            self.params = list(params)
            self.states = [{} for _ in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None


    class MyRMSprop(_OptimizerBase):
        """Like torch.optim.RMSprop (no momentum, not centered)."""

        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            super().__init__(params)
            self.lr, self.alpha, self.eps = lr, alpha, eps

        @torch.no_grad()
        def step(self):
            for p, state in zip(self.params, self.states):
                if p.grad is None:
                    continue
                if "square_avg" not in state:
                    state["square_avg"] = torch.zeros_like(p)
                sq = state["square_avg"]
                sq.mul_(self.alpha).add_(p.grad.square(), alpha=1 - self.alpha)
                p.sub_(self.lr * p.grad / (sq.sqrt() + self.eps))
    '''), _src('''
    class MyRMSprop:
        """RMSprop on p.data; the running average starts at zero (no bias correction)."""

        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.params = list(params)
            self.lr, self.alpha, self.eps = lr, alpha, eps
            self.avg = {}

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            for p in self.params:
                if p.grad is None:
                    continue
                g = p.grad.data
                s = self.alpha * self.avg.get(p, torch.zeros_like(g)) + (1 - self.alpha) * g * g
                self.avg[p] = s
                p.data = p.data - self.lr * g / (s.sqrt() + self.eps)
    '''), _src('''
    from collections import defaultdict


    class MyRMSprop:
        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.params = list(params)
            self.lr = lr
            self.alpha = alpha
            self.eps = eps
            self.state = defaultdict(dict)

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            for p in self.params:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["square_avg"] = torch.zeros_like(p)
                # s = alpha * s + (1 - alpha) * g^2, the same as lerp towards g^2 by 1 - alpha
                state["square_avg"].lerp_(grad * grad, 1 - self.alpha)
                p -= self.lr * grad / (state["square_avg"].sqrt() + self.eps)
    '''), _src('''
    class MyRMSprop:
        """RMSprop with torch.optim's layout: param_groups and state."""

        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.param_groups = [{"params": list(params), "lr": lr, "alpha": alpha, "eps": eps}]
            self.state = {}

        def zero_grad(self):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None

        def step(self):
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        sq = self.state.get(p)
                        if sq is None:
                            sq = self.state[p] = torch.zeros_like(p)
                        sq.mul_(group["alpha"]).addcmul_(p.grad, p.grad, value=1 - group["alpha"])
                        p.addcdiv_(p.grad, sq.sqrt().add_(group["eps"]), value=-group["lr"])
    '''), _src('''
    class MyRMSprop:
        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
            self.params = list(params)
            self.hparams = {"lr": lr, "alpha": alpha, "eps": eps}
            self.mean_square = [torch.zeros_like(p) for p in self.params]

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            lr, alpha, eps = self.hparams["lr"], self.hparams["alpha"], self.hparams["eps"]
            for p, ms in zip(self.params, self.mean_square):
                if p.grad is None:
                    continue  # like torch.optim, a parameter without a gradient is skipped
                ms.mul_(alpha)
                ms.add_((1 - alpha) * torch.pow(p.grad, 2))
                p.add_(-lr * p.grad / (torch.sqrt(ms) + eps))
    '''),
]

# --------------------------------------------------------------------------------------------------
# mnist_classifier (its setup cell imports torch, torch.nn as nn, DataLoader, Subset, TensorDataset)
# --------------------------------------------------------------------------------------------------

MNIST_NET = [_src('''
    class MNISTNet(nn.Module):
        """A CNN that maps images of shape (N, 1, 28, 28) to logits of shape (N, 10)."""

        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(1, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 12 x 12
                nn.Conv2d(16, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 4 x 4
                nn.Flatten(),
                nn.Linear(32 * 4 * 4, 10),  # logits: no softmax, nn.CrossEntropyLoss does it
            )

        def forward(self, x):
            return self.net(x)
    '''), _src('''
    import torch.nn.functional as F


    class MNISTNet(nn.Module):
        def __init__(self):
            super(MNISTNet, self).__init__()
            self.conv1 = nn.Conv2d(1, 16, 5)
            self.conv2 = nn.Conv2d(16, 32, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(32 * 4 * 4, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(x.size(0), -1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)
    '''), _src('''
    class MNISTNet(nn.Module):
        """Padded 3x3 convolutions keep the size, each pooling halves it: 28 -> 14 -> 7."""

        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
            self.pool1 = nn.MaxPool2d(kernel_size=2)
            self.pool2 = nn.MaxPool2d(kernel_size=2)
            self.out = nn.Linear(32 * 7 * 7, 10)

        def forward(self, x):
            x = self.pool1(torch.relu(self.conv1(x)))
            x = self.pool2(torch.relu(self.conv2(x)))
            return self.out(torch.flatten(x, 1))
    '''), _src('''
    def _conv_block(in_channels, out_channels):
        """Convolution, ReLU, then 2x2 max pooling."""
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size=3),
                             nn.ReLU(inplace=True),
                             nn.MaxPool2d(2))


    class MNISTNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([_conv_block(1, 16), _conv_block(16, 32)])  # 28 -> 13 -> 5
            self.head = nn.Linear(32 * 5 * 5, 10)

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.head(x.flatten(start_dim=1))
    '''), _src('''
    class MNISTNet(nn.Module):
        """Two conv + pool stages, then a small MLP with dropout (off in eval mode)."""

        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Linear(512, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, 10),
            )

        def forward(self, x):
            x = self.features(x)
            x = x.reshape(-1, 32 * 4 * 4)
            return self.classifier(x)
    '''), _src('''
    class MNISTNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 5)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 32, 5)
            self.bn2 = nn.BatchNorm2d(32)
            self.pool = nn.MaxPool2d(2)
            self.relu = nn.ReLU()
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(32 * 4 * 4, 10)
            self.register_buffer("pixel_mean", torch.tensor(0.1307))  # (MNIST's mean, kept with the weights)

        def forward(self, x):
            x = x - self.pixel_mean
            x = self.pool(self.relu(self.bn1(self.conv1(x))))
            x = self.pool(self.relu(self.bn2(self.conv2(x))))
            return self.fc(self.flatten(x))  # raw scores (logits), no softmax
    '''), _src('''
    import torch.nn.functional as F


    class MNISTNet(nn.Module):
        """conv(5x5, c1) -> pool -> conv(5x5, c2) -> pool -> linear(10)."""

        def __init__(self, channels=(16, 32)):
            super().__init__()
            c1, c2 = channels
            self.c1 = nn.Conv2d(1, c1, 5)
            self.p1 = nn.MaxPool2d(2)
            self.c2 = nn.Conv2d(c1, c2, 5)
            self.p2 = nn.MaxPool2d(2)
            self.fc = nn.Linear(c2 * 16, 10)

        def forward(self, images):
            h = self.p1(F.relu(self.c1(images)))
            h = self.p2(F.relu(self.c2(h)))
            h = h.view(h.shape[0], -1)
            return self.fc(F.dropout(h, 0.25, self.training))  # (dropout while it trains only)
    '''),
]

TRAIN_ONE_EPOCH = [_src('''
    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        """One pass over `loader`, updating the model; returns the mean training loss over its samples."""
        model.train(True)
        running = 0.0
        for inputs, labels in loader:
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * labels.size(0)
        return running / len(loader.dataset)
    '''), _src('''
    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        model.train()
        total = torch.zeros((), dtype=torch.float64)  # a float64 tensor sum, .item() at the end
        count = 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach().cpu().double() * x.shape[0]
            count += x.shape[0]
        return (total / count).item()
    '''), _src('''
    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        """Keeps a running mean, weighted by batch size, updated after each batch."""
        model.train()
        mean_loss, seen = 0.0, 0
        for batch_idx, (images, targets) in enumerate(loader):
            images, targets = images.to(device), targets.to(device)
            loss = loss_fn(model(images), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = len(targets)
            seen += n
            mean_loss += (loss.item() - mean_loss) * n / seen
        return mean_loss
    '''), _src('''
    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        model.train()
        per_batch = []  # (mean loss of the batch, its number of samples)
        for batch in loader:
            inputs, labels = [t.to(device) for t in batch]
            predictions = model(inputs)
            loss = loss_fn(predictions, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            per_batch.append((loss.item(), inputs.size(0)))
        total = sum(value * size for value, size in per_batch)
        return total / sum(size for _, size in per_batch)
    '''), _src('''
    import math


    def _move(batch, device):
        """Send every tensor of a batch to the device."""
        return tuple(t.to(device) for t in batch)


    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        """The five steps of the training loop for every batch; the mean loss over the samples."""
        model.train()
        weighted = []
        n_samples = 0
        for batch in loader:
            x, y = _move(batch, device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            weighted.append(loss.item() * len(y))
            n_samples += len(y)
        return math.fsum(weighted) / n_samples
    '''), _src('''
    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        model.train()
        loss_sum = 0.0
        sample_count = 0
        for data, target in loader:
            data = data.to(device)
            target = target.to(device)
            output = model(data)
            batch_loss = loss_fn(output, target)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            batch_size = data.size(0)
            loss_sum += float(batch_loss) * batch_size  # loss_fn gives the batch MEAN: weight it
            sample_count += batch_size
        return float(loss_sum / sample_count)
    '''), _src('''
    from collections import defaultdict


    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        """One epoch; also keeps some statistics in a dict, returns the mean loss over samples."""
        stats = defaultdict(float)
        model.train()
        for inputs, labels in loader:
            inputs, labels = inputs.to(device=device), labels.to(device=device)
            logits = model(inputs)
            loss = loss_fn(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats["loss"] += loss.item() * labels.numel()
            stats["samples"] += labels.numel()
            stats["batches"] += 1
        return stats["loss"] / stats["samples"]
    '''),
_src('''
    HISTORY = []  # every batch's loss and size, for a plot of the training curve (round fifty-three)


    def train_one_epoch(model, loader, loss_fn, optimizer, device):
        model.train()
        start = len(HISTORY)
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            HISTORY.append((loss.item(), len(labels)))
        mine = HISTORY[start:]
        return sum(value * size for value, size in mine) / sum(size for _, size in mine)
    '''),
]

EVALUATE = [_src('''
    def evaluate(model, loader, device):
        """The model's accuracy over all samples of `loader`, a Python float in [0, 1]."""
        model.eval()
        correct, total = 0, 0
        with torch.inference_mode():
            for inputs, labels in loader:
                inputs, labels = inputs.to(device), labels.to(device)
                predictions = model(inputs).argmax(dim=1)
                correct += (predictions == labels).sum().item()
                total += labels.size(0)
        return correct / total
    '''), _src('''
    @torch.no_grad()
    def evaluate(model, loader, device):
        model.eval()
        correct = 0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            correct += (model(x).argmax(1) == y).float().sum().item()
        return correct / len(loader.dataset)
    '''), _src('''
    def evaluate(model, loader, device):
        """Accuracy, as in the PyTorch tutorials: torch.max over the classes, then .eq()."""
        model.eval()
        correct = 0
        total = 0
        with torch.no_grad():
            for images, labels in loader:
                images = images.to(device)
                labels = labels.to(device)
                outputs = model(images)
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += predicted.eq(labels).sum().item()
        return correct / total
    '''), _src('''
    def evaluate(model, loader, device):
        model.eval()
        all_preds, all_labels = [], []
        with torch.no_grad():
            for inputs, labels in loader:
                logits = model(inputs.to(device))
                all_preds.append(logits.argmax(dim=-1).cpu())
                all_labels.append(labels.to(device).cpu())
        preds, labels = torch.cat(all_preds), torch.cat(all_labels)
        return (preds == labels).float().mean().item()
    '''), _src('''
    def evaluate(model, loader, device):
        """Counts right predictions over the whole loader, then divides once."""
        model.train(False)
        n_correct = torch.zeros((), dtype=torch.long)
        n_seen = 0
        with torch.set_grad_enabled(False):
            for batch in loader:
                x, y = (t.to(device) for t in batch)
                n_correct += (torch.argmax(model(x), dim=1) == y).sum().cpu()
                n_seen += len(y)
        return float(n_correct) / n_seen
    '''), _src('''
    def _batch_correct(model, x, y):
        """How many samples of the batch the model gets right."""
        return int((model(x).argmax(dim=1) == y).sum())


    def evaluate(model, loader, device):
        model.eval()
        with torch.no_grad():
            results = [(_batch_correct(model, x.to(device), y.to(device)), len(y)) for x, y in loader]
        correct = sum(c for c, _ in results)
        total = sum(n for _, n in results)
        return float(correct) / total
    '''), _src('''
    def evaluate(model, loader, device):
        was_training = model.training
        model.eval()
        hits = 0
        with torch.no_grad():
            for inputs, targets in loader:
                inputs = inputs.to(device, non_blocking=True)
                targets = targets.to(device, non_blocking=True)
                hits += model(inputs).argmax(dim=1).eq(targets).sum().item()
        accuracy = hits / len(loader.dataset)
        # leave it in eval mode: the caller calls model.train() again (train_one_epoch does)
        return float(accuracy)
    '''),
]

# --------------------------------------------------------------------------------------------------
# training_recipes (its setup cell: import math; import torch; import torch.nn as nn; import torch.nn.functional as F)
# --------------------------------------------------------------------------------------------------

ONE_CYCLE_LR = [_src('''
    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        """The cosine in torch's default float32 (a few parts in 1e8 of the range off near the end)."""
        initial = max_lr / div_factor
        final = initial / final_div_factor
        peak = pct_start * total_steps - 1
        if step <= peak:
            start, end, pct = initial, max_lr, step / peak
        else:
            start, end, pct = max_lr, final, (step - peak) / (total_steps - 1 - peak)
        return float(end + (start - end) / 2 * (1 + torch.cos(torch.tensor(math.pi * pct))))
    '''), _src('''
    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        initial = max_lr / div_factor
        final = initial / final_div_factor
        peak = pct_start * total_steps - 1
        if step <= peak:
            start, end, pct = initial, max_lr, step / peak
        else:
            start, end, pct = max_lr, final, (step - peak) / (total_steps - 1 - peak)
        return end + (start - end) / 2 * (1 + math.cos(math.pi * pct))
    '''), _src('''
    def _cosine(start, end, pct):
        """From start (pct 0) to end (pct 1) along half a cosine."""
        return end + (start - end) * (math.cos(math.pi * pct) + 1) / 2


    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        low = max_lr / div_factor
        phases = [(float(pct_start * total_steps) - 1, low, max_lr),
                  (total_steps - 1, max_lr, low / final_div_factor)]
        begin = 0
        for i, (end_step, start_lr, end_lr) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                return _cosine(start_lr, end_lr, (step - begin) / (end_step - begin))
            begin = end_step
    '''), _src('''
    import math as m


    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        """Warm up along a cosine to max_lr, then anneal along a cosine to initial / final_div_factor."""
        lr_0 = max_lr / div_factor
        lr_min = lr_0 / final_div_factor
        warm = pct_start * total_steps - 1
        if step > warm:
            frac = (step - warm) / (total_steps - 1 - warm)
            return lr_min + 0.5 * (max_lr - lr_min) * (1 + m.cos(m.pi * frac))
        frac = step / warm
        return max_lr + 0.5 * (lr_0 - max_lr) * (1 + m.cos(m.pi * frac))
    '''), _src('''
    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        # with tensors, in float64: torch.cos instead of math.cos
        initial = max_lr / div_factor
        final = initial / final_div_factor
        s1 = pct_start * total_steps - 1
        warming = step <= s1
        start = initial if warming else max_lr
        end = max_lr if warming else final
        pct = torch.tensor(step / s1 if warming else (step - s1) / (total_steps - 1 - s1), dtype=torch.float64)
        return float(end + (start - end) * 0.5 * (1 + torch.cos(torch.pi * pct)))
    '''), _src('''
    def one_cycle_lr(step, total_steps, max_lr, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        initial_lr = max_lr / div_factor
        min_lr = initial_lr / final_div_factor
        end_of_warm_up = pct_start * total_steps - 1
        end_of_anneal = total_steps - 1

        def anneal(start, end, pct):
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

        if step <= end_of_warm_up:
            return anneal(initial_lr, max_lr, step / end_of_warm_up)
        return anneal(max_lr, min_lr, (step - end_of_warm_up) / (end_of_anneal - end_of_warm_up))
    '''),
]

ONE_CYCLE_LR.append(_src('''
    from __future__ import annotations


    def one_cycle_lr(step: int, total_steps: int, max_lr: float, pct_start: float = 0.3,
                     div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:
        start_lr: float = max_lr / div_factor
        end_lr: float = start_lr / final_div_factor
        s1 = pct_start * total_steps - 1
        if step <= s1:
            lo, hi, pct = max_lr, start_lr, step / s1
        else:
            lo, hi, pct = end_lr, max_lr, (step - s1) / (total_steps - 1 - s1)
        return lo + (hi - lo) * (1 + math.cos(math.pi * pct)) / 2
'''))

MY_ADAMW = [_src('''
    class MyAdamW:
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            self.params = list(params)
            self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]
            self.t = [0] * len(self.params)

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        @torch.no_grad()
        def step(self):
            beta1, beta2 = self.betas
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                p.mul_(1 - self.lr * self.weight_decay)
                self.t[i] += 1
                self.m[i].mul_(beta1).add_(p.grad, alpha=1 - beta1)
                self.v[i].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                m_hat = self.m[i] / (1 - beta1 ** self.t[i])
                v_hat = self.v[i] / (1 - beta2 ** self.t[i])
                p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))
    '''), _src('''
    class MyAdamW:
        """One state dict per parameter, created on its first step (as torch.optim does)."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            self.params = [p for p in params]
            self.lr = lr
            self.beta1, self.beta2 = betas
            self.eps = eps
            self.wd = weight_decay
            self.state = {}

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def step(self):
            with torch.no_grad():
                for p in self.params:
                    if p.grad is None:
                        continue
                    if id(p) not in self.state:
                        self.state[id(p)] = {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
                    s = self.state[id(p)]
                    g = p.grad
                    p -= self.lr * self.wd * p
                    s["t"] += 1
                    s["m"] = self.beta1 * s["m"] + (1 - self.beta1) * g
                    s["v"] = self.beta2 * s["v"] + (1 - self.beta2) * g * g
                    m_hat = s["m"] / (1 - self.beta1 ** s["t"])
                    v_hat = s["v"] / (1 - self.beta2 ** s["t"])
                    p -= self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)
    '''), _src('''
    class MyAdam:
        """Adam, as written in the assignment optimizers."""

        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
            self.params = list(params)
            self.lr, self.betas, self.eps = lr, betas, eps
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]
            self.t = [0] * len(self.params)

        def zero_grad(self):
            for p in self.params:
                p.grad = None

        def decay(self, p):
            pass

        @torch.no_grad()
        def step(self):
            beta1, beta2 = self.betas
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                self.decay(p)
                self.t[i] += 1
                self.m[i] = beta1 * self.m[i] + (1 - beta1) * p.grad
                self.v[i] = beta2 * self.v[i] + (1 - beta2) * p.grad ** 2
                m_hat = self.m[i] / (1 - beta1 ** self.t[i])
                v_hat = self.v[i] / (1 - beta2 ** self.t[i])
                p.add_(-self.lr * m_hat / (v_hat.sqrt() + self.eps))


    class MyAdamW(MyAdam):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            super().__init__(params, lr, betas, eps)
            self.weight_decay = weight_decay

        def decay(self, p):
            p.mul_(1 - self.lr * self.weight_decay)
    '''), _src('''
    class MyAdamW:
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            self.groups = [{"param": p, "step": 0, "exp_avg": None, "exp_avg_sq": None} for p in params]
            self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

        def zero_grad(self):
            for g in self.groups:
                g["param"].grad = None

        @torch.no_grad()
        def step(self):
            b1, b2 = self.betas
            for group in self.groups:
                p = group["param"]
                if p.grad is None:
                    continue
                if group["exp_avg"] is None:
                    group["exp_avg"], group["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
                p.mul_(1 - self.lr * self.weight_decay)
                group["step"] += 1
                group["exp_avg"].lerp_(p.grad, 1 - b1)
                group["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                bias1 = 1 - b1 ** group["step"]
                bias2_sqrt = math.sqrt(1 - b2 ** group["step"])
                denom = group["exp_avg_sq"].sqrt() / bias2_sqrt + self.eps
                p.addcdiv_(group["exp_avg"], denom, value=-self.lr / bias1)
    '''), _src('''
    class MyAdamW:
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            self.params = list(params)
            self.lr = lr
            self.b1, self.b2 = betas
            self.eps = eps
            self.wd = weight_decay
            self.steps = {}
            self.first = {}
            self.second = {}

        def zero_grad(self):
            for p in self.params:
                if p.grad is not None:
                    p.grad = None

        def step(self):
            for k, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad.detach()
                t = self.steps.get(k, 0) + 1
                self.steps[k] = t
                m = self.b1 * self.first.get(k, torch.zeros_like(g)) + (1 - self.b1) * g
                v = self.b2 * self.second.get(k, torch.zeros_like(g)) + (1 - self.b2) * g * g
                self.first[k], self.second[k] = m, v
                update = (m / (1 - self.b1 ** t)) / ((v / (1 - self.b2 ** t)).sqrt() + self.eps)
                p.data = p.data * (1 - self.lr * self.wd) - self.lr * update
    '''),
]

BCE_WITH_LOGITS_WEIGHTED = [_src('''
    def bce_with_logits_weighted(logits, target, pos_weight):
        return (pos_weight * target * F.softplus(-logits) + (1 - target) * F.softplus(logits)).mean()
    '''), _src('''
    def bce_with_logits_weighted(logits, target, pos_weight):
        """-(w·y·log σ(x) + (1 − y)·log σ(−x)), with the stable log-sigmoid."""
        return -(pos_weight * target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).mean()
    '''), _src('''
    def bce_with_logits_weighted(logits, target, pos_weight):
        """PyTorch's own rearrangement: (1 − y)·x + (1 + (w − 1)·y)·softplus(−x)."""
        log_weight = 1 + (pos_weight - 1) * target
        return ((1 - target) * logits + log_weight * F.softplus(-logits)).mean()
    '''), _src('''
    def softplus(z):
        """log(1 + e^z) = logaddexp(0, z): no overflow, and its gradient sigmoid(z) is right at 0."""
        return torch.logaddexp(torch.zeros_like(z), z)


    def bce_with_logits_weighted(logits, target, pos_weight):
        positives = pos_weight * target * softplus(-logits)
        negatives = (1 - target) * softplus(logits)
        total = positives + negatives
        return total.sum() / total.numel()
    '''), _src('''
    def bce_with_logits_weighted(logits, target, pos_weight):
        # softplus(x) - x*y is the unweighted loss; the positives' part y*softplus(-x) is weighted w
        # instead of 1, so add (w - 1)*y*softplus(-x)
        plain = torch.nn.functional.softplus(logits) - logits * target
        extra = (pos_weight - 1) * target * torch.nn.functional.softplus(-logits)
        return torch.mean(plain + extra)
    '''),
]

CROSS_ENTROPY_WEIGHTED = [_src('''
    def cross_entropy_weighted(logits, target, weight):
        row_loss = torch.logsumexp(logits, dim=1) - logits.gather(1, target.unsqueeze(1)).squeeze(1)
        row_weight = weight[target]
        return (row_weight * row_loss).sum() / row_weight.sum()
    '''), _src('''
    def cross_entropy_weighted(logits, target, weight):
        log_probs = F.log_softmax(logits, dim=1)
        picked = log_probs[torch.arange(len(target)), target]
        w = weight[target]
        return -(w * picked).sum() / w.sum()
    '''), _src('''
    def cross_entropy_weighted(logits, target, weight):
        """With a one-hot mask: the weights of the true classes, and their log-probabilities."""
        mask = F.one_hot(target, num_classes=logits.shape[1]).to(logits.dtype)
        w = mask @ weight
        nll = -(mask * F.log_softmax(logits, dim=1)).sum(dim=1)
        return torch.dot(w, nll) / w.sum()
    '''), _src('''
    def cross_entropy_weighted(logits, target, weight):
        top = logits.max(dim=1, keepdim=True).values.detach()  # the log-sum-exp trick by hand
        shifted = logits - top
        log_norm = torch.log(torch.exp(shifted).sum(dim=1))
        true = shifted.gather(1, target.view(-1, 1)).view(-1)
        weights = weight.index_select(0, target)
        return torch.sum(weights * (log_norm - true)) / torch.sum(weights)
    '''), _src('''
    def cross_entropy_weighted(logits, target, weight):
        total, norm = 0.0, 0.0
        for row, label in zip(logits, target):
            w = weight[label]
            total = total + w * (torch.logsumexp(row, dim=0) - row[label])
            norm = norm + w
        return total / norm
    '''),
]

CROSS_ENTROPY_WEIGHTED.append(_src('''
    def cross_entropy_weighted(logits, target, weight):
        """The class weights picked with torch.take, the true logits as flat indices too."""
        n, c = logits.shape
        picked = torch.take(logits, torch.arange(n) * c + target)
        w = torch.take(weight, target)
        return (w * (torch.logsumexp(logits, dim=1) - picked)).sum() / w.sum()
'''))

HONEST = {
    "loss_functions": {
        "mse_loss_solution": MSE_LOSS,
        "l1_loss_solution": L1_LOSS,
        "huber_loss_solution": HUBER_LOSS,
        "binary_cross_entropy_solution": BINARY_CROSS_ENTROPY,
        "binary_cross_entropy_with_logits_solution": BINARY_CROSS_ENTROPY_WITH_LOGITS,
        "cross_entropy_solution": CROSS_ENTROPY,
        "multi_margin_loss_solution": MULTI_MARGIN_LOSS,
    },
    "optimizers": {
        "train_solution": TRAIN,
        "my_sgd_solution": MY_SGD,
        "my_adam_solution": MY_ADAM,
        "my_rmsprop_solution": MY_RMSPROP,
    },
    "mnist_classifier": {
        "mnist_net_solution": MNIST_NET,
        "train_one_epoch_solution": TRAIN_ONE_EPOCH,
        "evaluate_solution": EVALUATE,
    },
    "training_recipes": {
        "one_cycle_lr_solution": ONE_CYCLE_LR,
        "my_adamw_solution": MY_ADAMW,
        "bce_with_logits_weighted_solution": BCE_WITH_LOGITS_WEIGHTED,
        "cross_entropy_weighted_solution": CROSS_ENTROPY_WEIGHTED,
    },
}

# --------------------------------------------------------------------------------------------------
# Scratch cells: a learner's experiments in an extra cell, run after every solution cell.
# --------------------------------------------------------------------------------------------------

SCRATCH = {
    "loss_functions": [_src('''
        # my losses next to PyTorch's, by eye
        a, b = torch.randn(4, 3), torch.randn(4, 3)
        print(mse_loss(a, b), F.mse_loss(a, b))
        print(l1_loss(a, b), F.l1_loss(a, b), nn.L1Loss()(a, b))
        print(huber_loss(a, b, delta=0.5), F.huber_loss(a, b, delta=0.5))
        p, y = torch.rand(5), torch.randint(0, 2, (5,)).float()
        print(binary_cross_entropy(p, y), F.binary_cross_entropy(p, y))
        print(binary_cross_entropy_with_logits(a, b.sigmoid()), F.binary_cross_entropy_with_logits(a, b.sigmoid()))
        labels = torch.tensor([0, 2, 1, 1])
        print(cross_entropy(a, labels), F.cross_entropy(a, labels), nn.CrossEntropyLoss()(a, labels))
        print(multi_margin_loss(a, labels), F.multi_margin_loss(a, labels), nn.MultiMarginLoss(margin=2.0)(a, labels))
        '''), _src('''
        # do they really agree? assert_close against the built-ins on a bigger batch
        logits = torch.randn(16, 5) * 10
        classes = torch.randint(0, 5, (16,))
        torch.testing.assert_close(cross_entropy(logits, classes), F.cross_entropy(logits, classes))
        torch.testing.assert_close(multi_margin_loss(logits, classes, margin=0.5),
                                   nn.MultiMarginLoss(margin=0.5)(logits, classes))
        soft = torch.rand(16, 5)
        torch.testing.assert_close(binary_cross_entropy_with_logits(logits, soft),
                                   nn.BCEWithLogitsLoss()(logits, soft))
        torch.testing.assert_close(binary_cross_entropy(torch.sigmoid(logits), soft),
                                   F.binary_cross_entropy(torch.sigmoid(logits), soft), atol=1e-4, rtol=1e-4)

        builtin_values = []
        for delta in [0.25, 0.5, 1.0, 2.0]:
            builtin_values.append(nn.HuberLoss(delta=delta)(logits, soft).item())
            torch.testing.assert_close(huber_loss(logits, soft, delta=delta), F.huber_loss(logits, soft, delta=delta))
        print("all agree:", builtin_values)
        '''), _src('''
        %matplotlib inline
        import matplotlib.pyplot as plt

        # the three regression losses as functions of the error e (target 0)
        errors = torch.linspace(-3, 3, 121)
        zero = torch.zeros(1)
        curves = {
            "MSE": [mse_loss(e.view(1), zero).item() for e in errors],
            "L1": [l1_loss(e.view(1), zero).item() for e in errors],
            "Huber (delta=1)": [huber_loss(e.view(1), zero).item() for e in errors],
            "nn.SmoothL1Loss(beta=2)": [nn.SmoothL1Loss(beta=2.0)(e.view(1), zero).item() for e in errors],
        }
        fig, ax = plt.subplots()
        for name, values in curves.items():
            ax.plot(errors.numpy(), values, label=name)
        ax.set_xlabel("error")
        ax.legend()
        plt.close(fig)
                '''), _src('''
        # my losses used the way a result is used: backward, item, a helper that compares with the built-in
        a = torch.randn(4, 3, requires_grad=True)
        b = torch.randn(4, 3)
        mse_loss(a, b).backward()
        print(a.grad.norm(), l1_loss(a, b).item(), huber_loss(a, b).detach().numpy())
        TARGETS = {"zeros": torch.zeros(4, 3), "ones": torch.ones(4, 3)}


        def compare(name):
            mine, theirs = mse_loss(a, TARGETS[name]), F.mse_loss(a, TARGETS[name])
            return torch.allclose(mine, theirs)


        print({name: compare(name) for name in list(TARGETS)})
        '''),
    ],
    "optimizers": [_src('''
        # my train() with PyTorch's own optimizer, for comparison
        x, y = regression_data()
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        losses = train(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.05), 200)
        print(f"first loss {losses[0]:.4f}, last {losses[-1]:.6f}, w = {model.weight.item():.3f}")
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        adam_losses = train(model, x, y, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.05), 200)
        print("Adam:", adam_losses[::50])
        '''), _src('''
        # MySGD against torch.optim.SGD by hand on a tiny model, step by step
        torch.manual_seed(1)
        mine = nn.Linear(2, 1)
        theirs = nn.Linear(2, 1)
        theirs.load_state_dict(mine.state_dict())
        opt_mine = MySGD(mine.parameters(), lr=0.1, momentum=0.9)
        opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
        data, target = torch.randn(8, 2), torch.randn(8, 1)
        for step in range(5):
            for model, opt in [(mine, opt_mine), (theirs, opt_theirs)]:
                opt.zero_grad()
                nn.functional.mse_loss(model(data), target).backward()
                opt.step()
            print(step, mine.weight.data.tolist(), theirs.weight.data.tolist())
        torch.testing.assert_close(mine.weight, theirs.weight)

        # and MyAdam / MyRMSprop against theirs on one tensor
        for mine_class, torch_class in [(MyAdam, torch.optim.Adam), (MyRMSprop, torch.optim.RMSprop)]:
            a = torch.tensor([1.0, -2.0], requires_grad=True)
            b = a.detach().clone().requires_grad_()
            oa, ob = mine_class([a], lr=0.1), torch_class([b], lr=0.1)
            for _ in range(10):
                for p, o in [(a, oa), (b, ob)]:
                    o.zero_grad()
                    (p ** 2).sum().backward()
                    o.step()
            print(mine_class.__name__, a.tolist(), b.tolist())
        '''), _src('''
        %matplotlib inline
        import matplotlib.pyplot as plt

        x, y = regression_data()
        histories = {}
        for name, make in [("MyAdam", lambda p: MyAdam(p, lr=0.05)),
                           ("torch.optim.Adam", lambda p: torch.optim.Adam(p, lr=0.05)),
                           ("MyRMSprop", lambda p: MyRMSprop(p, lr=0.01)),
                           ("torch.optim.RMSprop", lambda p: torch.optim.RMSprop(p, lr=0.01))]:
            torch.manual_seed(0)
            model = nn.Linear(1, 1)
            histories[name] = train(model, x, y, nn.MSELoss(), make(model.parameters()), 300)
        plt.figure(figsize=(6, 4))
        for name, losses in histories.items():
            plt.plot(losses, label=name)
        plt.yscale("log")
        plt.legend()
        plt.close()
                '''), _src('''
        # my optimizers against torch's, step by step, in a helper of my own
        def side_by_side(mine_class, torch_class, steps=5, **settings):
            w1 = torch.tensor([1.0, -2.0], requires_grad=True)
            w2 = w1.detach().clone().requires_grad_()
            mine, theirs = mine_class([w1], **settings), torch_class([w2], **settings)
            for _ in range(steps):
                for w, opt in ((w1, mine), (w2, theirs)):
                    opt.zero_grad()
                    (w ** 2).sum().backward()
                    opt.step()
            mine.params[0].grad = None
            return torch.allclose(w1, w2)


        for mine_class, torch_class in [(MySGD, torch.optim.SGD), (MyAdam, torch.optim.Adam)]:
            print(mine_class.__name__, side_by_side(mine_class, torch_class, lr=0.1))
        '''),
    ],
    "mnist_classifier": [_src('''
        %matplotlib inline
        import matplotlib.pyplot as plt

        # a look at the first training images and what an untrained net says about them
        images, labels = train_data[:8]
        net = MNISTNet()
        print("output shape:", net(images).shape, "parameters:", sum(p.numel() for p in net.parameters()))
        print("loss before training:", nn.functional.cross_entropy(net(images), labels).item())
        fig, axes = plt.subplots(1, 8, figsize=(8, 1.5))
        for ax, image, label in zip(axes, images, labels):
            ax.imshow(image[0], cmap="gray")
            ax.set_title(int(label))
            ax.axis("off")
        plt.close(fig)
        '''), _src('''
        # a quick run on a small subset with plain SGD, before the real thing
        torch.manual_seed(0)
        small_train = DataLoader(Subset(train_data, range(1024)), batch_size=64, shuffle=True)
        small_test = DataLoader(Subset(test_data, range(500)), batch_size=250)
        net = MNISTNet().to(device)
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        for epoch in range(2):
            mean_loss = train_one_epoch(net, small_train, nn.CrossEntropyLoss(), opt, device)
            print(f"epoch {epoch}: loss {mean_loss:.3f}, test accuracy {evaluate(net, small_test, device):.2%}")
        '''), _src('''
        # does my evaluate agree with a one-line accuracy, and my train_one_epoch with a loop using F?
        import torch.nn.functional as F

        torch.manual_seed(2)
        net = MNISTNet()
        subset = Subset(test_data, range(300))
        x = torch.stack([subset[i][0] for i in range(len(subset))])
        y = torch.stack([subset[i][1] for i in range(len(subset))])
        net.eval()  # dropout and batch norm behave as evaluate will have them
        with torch.no_grad():
            expected = (net(x).argmax(1) == y).float().mean().item()
        got = evaluate(net, DataLoader(subset, batch_size=64), torch.device("cpu"))
        print(got, expected)
        assert abs(got - expected) < 1e-6

        batch_losses = []
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        for xb, yb in DataLoader(subset, batch_size=100):
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_losses.append(loss.item())
        print(batch_losses)
                '''), _src('''
        # my network, moved and changed the way a notebook does
        net = MNISTNet().to(torch.device("cpu"))
        net.eval()
        probe = MNISTNet()
        probe.train()
        with torch.no_grad():
            for p in probe.parameters():
                p.zero_()
        print(sum(p.numel() for p in net.parameters()), probe(torch.zeros(2, 1, 28, 28)).shape)
        '''),
    ],
    "training_recipes": [_src('''
        # my schedule beside OneCycleLR's, by eye, and MyAdamW against torch.optim.AdamW on one tensor
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=20)
        for step in range(20):
            print(step, one_cycle_lr(step, 20, 0.1), opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        a = torch.tensor([1.0, -2.0], requires_grad=True)
        b = a.detach().clone().requires_grad_()
        mine, theirs = MyAdamW([a], lr=0.1, weight_decay=0.5), torch.optim.AdamW([b], lr=0.1, weight_decay=0.5)
        for _ in range(10):
            for x, o in [(a, mine), (b, theirs)]:
                o.zero_grad()
                (x ** 2).sum().backward()
                o.step()
        torch.testing.assert_close(a, b)
        '''), _src('''
        # the weighted losses against PyTorch's
        logits, target = torch.randn(8, 3), torch.randint(0, 3, (8,))
        weight = torch.tensor([1.0, 2.0, 5.0])
        print(cross_entropy_weighted(logits, target, weight), F.cross_entropy(logits, target, weight=weight),
              nn.CrossEntropyLoss(weight=weight)(logits, target))
        y = torch.randint(0, 2, (8, 3)).float()
        print(bce_with_logits_weighted(logits, y, weight), nn.BCEWithLogitsLoss(pos_weight=weight)(logits, y))
        '''),
    ],
}
