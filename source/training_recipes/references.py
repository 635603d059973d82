"""training_recipes' references, for the grader alone: never in the student copy (nbgrader_config.py's
CourseDirectory.ignore keeps this file out of release/), run by the judge after the notebook's locked
cells, in their namespace (grader/execute.py). The visible checks name the slips that PyTorch's own
optimizers make with other settings (Adam's L2 term, a decay not multiplied by lr); when graded, a
check that fails names, with these, the slips no PyTorch setting makes."""
import torch


def replay_adamw(shapes, seed, dtype, steps, used, grad_scale, sometimes, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=1e-2, decay_after=False, decay_all=False, zero_skipped=False):
    """The parameters after each step of AdamW written by hand on toy_loss, with one of the slips below."""
    params = make_params(shapes, seed, dtype)
    b1, b2 = betas
    states = [{"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)} for p in params]
    after = []
    for t in range(steps):
        for p in params:
            p.grad = None
        toy_loss(params, used_on_step(used, sometimes, t), grad_scale, zeroed_on_step(sometimes, t)).backward()
        with torch.no_grad():
            for p, s in zip(params, states):
                if p.grad is None or (zero_skipped and not p.grad.any()):
                    if decay_all:
                        p.mul_(1 - lr * weight_decay)
                    continue
                g = p.grad
                if not decay_after:
                    p.mul_(1 - lr * weight_decay)
                s["t"] += 1
                s["m"] = b1 * s["m"] + (1 - b1) * g
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                m_hat, v_hat = s["m"] / (1 - b1 ** s["t"]), s["v"] / (1 - b2 ** s["t"])
                p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
                if decay_after:
                    p.mul_(1 - lr * weight_decay)
        after.append([p.detach().clone() for p in params])
    return after


ADAMW_SLIPS = [("decay_after", "the decay after the Adam step: torch.optim.AdamW shrinks p by (1 − lr·wd) first, "
                "then takes the Adam step"),
               ("decay_all", "the decay applied to parameters without a gradient: torch.optim.AdamW skips them "
                "(neither decayed nor moved)"),
               ("zero_skipped", "a parameter whose gradient is all 0 not stepped: a gradient of exactly 0 is a "
                "gradient (only a parameter whose .grad is None is skipped), so torch.optim.AdamW decays it, counts "
                "the step and moves it by its averages")]


def which_adamw_slip(mine, args, kwargs):
    """A sentence naming the slip that moves the parameters exactly as the learner's MyAdamW did ("" if none)."""
    shapes, seed, dtype, steps, used, grad_scale, sometimes = args
    for flag, slip in ADAMW_SLIPS:
        theirs = replay_adamw(shapes, seed, dtype, steps, used, grad_scale, sometimes, **kwargs, **{flag: True})
        if all_match(mine, theirs):
            return f" It moves exactly like AdamW with {slip}."
    return ""
