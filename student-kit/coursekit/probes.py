"""Probes of a training loop's process, shared by the assignments that check one: a loss function and an
optimizer that record what the learner's loop did with them (which loss each step followed, and whether
its gradients were that loss's alone). They return data; the checks decide.
"""
import torch


class RecordedLoss:
    """A loss function that records each value it gives, and the gradient that value alone gives `params`."""

    def __init__(self, loss_fn, params):
        self.loss_fn, self.params, self.values, self.grads = loss_fn, list(params), [], []

    def __call__(self, *args, **kwargs):
        loss = self.loss_fn(*args, **kwargs)
        if loss.requires_grad:  # (a loss computed under torch.no_grad() has no gradient to record)
            grads = torch.autograd.grad(loss, self.params, retain_graph=True, allow_unused=True)
            self.values.append(loss.item())
            self.grads.append([None if g is None else g.detach().clone() for g in grads])
        return loss


class RecordedOptimizer:
    """An optimizer that records, at each step(), whether the gradients are those of the last loss alone."""

    def __init__(self, optimizer, loss):
        self.optimizer, self.loss, self.steps = optimizer, loss, []

    def zero_grad(self, *args, **kwargs):
        return self.optimizer.zero_grad(*args, **kwargs)

    def step(self, *args, **kwargs):
        last = self.loss.grads[-1] if self.loss.grads else None
        fresh = last is not None and all(
            (g is None) == (p.grad is None) and (g is None or torch.allclose(p.grad, g, rtol=1e-5, atol=1e-7))
            for p, g in zip(self.loss.params, last))
        self.steps.append({"loss": self.loss.values[-1] if self.loss.values else None, "fresh_gradients": fresh})
        return self.optimizer.step(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)
