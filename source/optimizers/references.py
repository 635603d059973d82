"""optimizers' references, for the grader alone: never in the student copy (nbgrader_config.py's
CourseDirectory.ignore keeps this file out of release/), run by the judge after the notebook's
locked cells, in their namespace (grader/execute.py). The hidden checks compare with them, and a
visible check that fails names the learner's slip with them when the notebook is graded."""
import torch


def reference_train(model, inputs, targets, loss_fn, optimizer, epochs):
    """The five steps of the training loop, as the lesson writes them."""
    history = []
    for _ in range(epochs):
        loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def replay_rule(update, shapes, seed, dtype, steps, used, grad_scale, sometimes=()):
    """The parameters after each step of a hand-written update rule on toy_loss: the reference slips below."""
    params = make_params(shapes, seed, dtype)
    states = [{} for _ in params]
    after = []
    for t in range(1, steps + 1):
        for p in params:
            p.grad = None
        toy_loss(params, used_on_step(used, sometimes, t - 1), grad_scale, zeroed_on_step(sometimes, t - 1)).backward()
        with torch.no_grad():
            for p, state in zip(params, states):
                if p.grad is not None and not (getattr(update, "zero_skipped", False) and not p.grad.any()):
                    update(p, p.grad, state, t)
                elif state and getattr(update, "none_as_zero", False):  # (as a zero_grad() that fills zeros leaves it)
                    update(p, torch.zeros_like(p), state, t)
        after.append([p.detach().clone() for p in params])
    return after


NONE_AS_ZERO = "a parameter without a gradient stepped as if its gradient were 0"


def none_as_zero(update, kept):
    """The slip of the right rule `update` applied also where a parameter has no gradient on a step (after its
    first), as if the gradient were 0: a zero_grad() that fills the gradients with zeros, or a step that reads a
    missing gradient as 0. torch.optim skips such a parameter: it and `kept` stay as they are."""
    def slip(p, g, s, t):
        update(p, g, s, t)
    slip.none_as_zero = True
    return (NONE_AS_ZERO, "skip a parameter whose .grad is None, as torch.optim does (zero_grad() sets every "
            f"gradient to None, not to zeros): the parameter and {kept} stay as they are", slip)


ZERO_SKIPPED = "a parameter whose gradient is all 0 not stepped"


def zero_skipped(update, kept):
    """The slip of the right rule `update` skipping a parameter whose gradient is exactly 0 on a step (as one
    without a gradient is skipped): torch.optim steps with it as with any other, `kept` moving on."""
    def slip(p, g, s, t):
        update(p, g, s, t)
    slip.zero_skipped = True
    return (ZERO_SKIPPED, "a gradient of exactly 0 is a gradient (only a parameter whose .grad is None is skipped): "
            f"step with it, {kept}", slip)


def sgd_slips(lr, momentum=0.0):
    """(slip, what to fix, update rule) for SGD's usual mistakes."""
    def plain(p, g, s, t):
        s["b"] = g.clone() if "b" not in s else momentum * s["b"] + g
        p -= lr * (s["b"] if momentum else g)

    def damped(p, g, s, t):
        s["b"] = g.clone() if t == 1 else momentum * s["b"] + (1 - momentum) * g
        p -= lr * s["b"]

    def nesterov(p, g, s, t):
        s["b"] = g.clone() if t == 1 else momentum * s["b"] + g
        p -= lr * (g + momentum * s["b"])

    return [("the momentum buffer damped, b = μ·b + (1 − μ)·g",
             "torch.optim.SGD adds the whole gradient, b = μ·b + g", damped),
            ("Nesterov's momentum", "step by the buffer itself, p = p − lr·b", nesterov),
            none_as_zero(plain, "its momentum buffer"),
            zero_skipped(plain, "its momentum buffer decaying")]


def adam_slips(lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas

    def rule(bias_correction=True, eps_inside=False, count_per_parameter=False, one_count=False):
        calls = [0]

        def update(p, g, s, t):
            calls[0] += 1
            s["t"] = s.get("t", 0) + 1  # this parameter's own steps, as torch counts them
            step = calls[0] if count_per_parameter else t if one_count else s["t"]
            s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
            s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
            m, v = s["m"], s["v"]
            if bias_correction:
                m, v = m / (1 - b1 ** step), v / (1 - b2 ** step)
            p -= lr * m / ((v + eps).sqrt() if eps_inside else v.sqrt() + eps)
        return update

    return [("no bias correction", "divide m by (1 − β1^t) and v by (1 − β2^t), t the step number",
             rule(bias_correction=False)),
            ("ε inside the square root", "add ε after the square root: m̂ / (√v̂ + ε)", rule(eps_inside=True)),
            ("the step count t increased once per parameter",
             "count steps, not parameters: each parameter's t goes 1, 2, 3, ... one per step()",
             rule(count_per_parameter=True)),
            ("one step count t for all parameters",
             "each parameter counts its own steps, as torch.optim.Adam does: a parameter without a gradient "
             "on a step keeps its t", rule(one_count=True)),
            none_as_zero(rule(), "its averages and step count"),
            zero_skipped(rule(), "its averages decaying and its step count going up")]


def rmsprop_slips(lr=1e-2, alpha=0.99, eps=1e-8):
    def rule(eps_inside=False, swapped=False, no_sqrt=False):
        def update(p, g, s, t):
            keep = 1 - alpha if swapped else alpha
            s["s"] = keep * s.get("s", 0) + (1 - keep) * g * g
            root = s["s"] if no_sqrt else s["s"].sqrt()
            p -= lr * g / ((s["s"] + eps).sqrt() if eps_inside else root + eps)
        return update

    return [("ε inside the square root", "add ε after the square root: g / (√s + ε)", rule(eps_inside=True)),
            ("α and 1 − α swapped", "keep α of the old average: s = α·s + (1 − α)·g²", rule(swapped=True)),
            ("no square root", "divide by √s + ε, not by s + ε", rule(no_sqrt=True)),
            none_as_zero(rule(), "its average"),
            zero_skipped(rule(), "its average decaying")]


OPTIMIZER_SLIPS = {"SGD": sgd_slips, "Adam": adam_slips, "RMSprop": rmsprop_slips}


def which_slip(torch_name, mine, steps, shapes, seed, dtype, used, grad_scale, kwargs, sometimes=()):
    """A sentence naming the usual mistake that moves the parameters exactly as the learner's optimizer did."""
    for slip, fix, update in OPTIMIZER_SLIPS[torch_name](**kwargs):
        theirs = replay_rule(update, shapes, seed, dtype, steps, used, grad_scale, sometimes)
        if all(params_match(a, b) for mine_step, their_step in zip(mine, theirs) for a, b in zip(mine_step, their_step)):
            return f" It moves exactly like {torch_name} with {slip}: {fix}."
    return ""
