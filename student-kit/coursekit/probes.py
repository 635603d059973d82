"""Probes of a training loop's process, shared by the assignments that check one: a loss function and an
optimizer that record what the learner's loop did with them (which loss each step followed, and whether
its gradients were that loss's alone). They return data; the checks decide. What they record is kept
in attributes whose names start with `_`, which a learner's graded code may not name (own-work rule):
the loop under check cannot write the record the check reads.
"""
import torch


class RecordedLoss:
    """A loss function that records each value it gives, and the gradient that value alone gives `params`."""

    def __init__(self, loss_fn, params):
        if hasattr(self, "_values"):  # set up once: a loop under check may not point it at other parameters
            raise RuntimeError("a RecordedLoss is set up once")
        self._loss_fn, self._params, self._values, self._grads = loss_fn, list(params), [], []

    def __call__(self, *args, **kwargs):
        loss = self._loss_fn(*args, **kwargs)
        if loss.requires_grad:  # (a loss computed under torch.no_grad() has no gradient to record)
            grads = torch.autograd.grad(loss, self._params, retain_graph=True, allow_unused=True)
            self._values.append(loss.item())
            self._grads.append([None if g is None else g.detach().clone() for g in grads])
        return loss


class RecordedOptimizer:
    """An optimizer that records, at each step(), whether the gradients are those of the last loss alone,
    and, given `model_loss` (the loss the loop should follow, computed afresh from the model as it is),
    whether they are that loss's gradients: a loop whose loss is cut off from the model steps nothing."""

    def __init__(self, optimizer, loss, model_loss=None):
        if hasattr(self, "_steps"):  # set up once, like RecordedLoss
            raise RuntimeError("a RecordedOptimizer is set up once")
        self._optimizer, self._loss, self._steps, self._closed = optimizer, loss, [], False
        self._model_loss = model_loss

    def close(self):
        """No step, zero_grad or attribute of the inner optimizer after this: the run under check is
        over (a loop that kept this probe cannot step its optimizer in another check's run)."""
        self._closed = True

    def _open(self):
        if self._closed:
            raise RuntimeError("this optimizer belongs to a run that is over")

    @property
    def steps(self):
        """What each step() saw: the last loss recorded and whether the gradients were its alone."""
        return [dict(step) for step in self._steps]

    def zero_grad(self, *args, **kwargs):
        self._open()
        return self._optimizer.zero_grad(*args, **kwargs)

    def step(self, closure=None):
        """Records, then steps the inner optimizer. A closure (torch's `step(closure)`: it computes the step's
        loss) runs first, here, and the record is taken after it: nothing it does escapes the record."""
        self._open()
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        last = self._loss._grads[-1] if self._loss._grads else None
        fresh = last is not None and all(
            (g is None) == (p.grad is None) and (g is None or torch.allclose(p.grad, g, rtol=1e-5, atol=1e-7))
            for p, g in zip(self._loss._params, last))
        step = {"loss": self._loss._values[-1] if self._loss._values else None, "fresh_gradients": fresh}
        if self._model_loss is not None:
            with torch.enable_grad():
                want = torch.autograd.grad(self._model_loss(), self._loss._params, allow_unused=True)
            step["model_gradients"] = all(g is not None and p.grad is not None and
                                          torch.allclose(p.grad, g, rtol=1e-5, atol=1e-7)
                                          for p, g in zip(self._loss._params, want))
        self._steps.append(step)
        self._optimizer.step()
        return loss

    def __getattr__(self, name):
        if name.startswith("_"):  # (before __init__ has set them: never the inner optimizer's)
            raise AttributeError(name)
        self._open()
        return getattr(self._optimizer, name)
