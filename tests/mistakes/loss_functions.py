"""loss_functions' common mistakes (the format: tests/mistakes/__init__.py)."""
MISTAKES = {
    "ada": ({}, set()),
    "sumsquares": ({
        "mse_loss_solution": "def mse_loss(pred, target):\n    return ((pred - target) ** 2).sum()\n",
        "huber_loss_solution": (  # SmoothL1's formula: equal to Huber only for delta = 1
            "def huber_loss(pred, target, delta=1.0):\n    e = (pred - target).abs()\n"
            "    return torch.where(e < delta, 0.5 * e ** 2 / delta, e - 0.5 * delta).mean()\n"),
        "question_loss_purpose_answer": 'answer_loss_purpose = "a"\n',
    }, {"test_mse_loss_basic", "test_mse_loss_shapes", "test_huber_loss_delta", "test_huber_loss_hidden",
        "test_question_loss_purpose"}),
    "naive": ({
        "binary_cross_entropy_with_logits_solution": (
            "def binary_cross_entropy_with_logits(logits, target):\n    p = torch.sigmoid(logits)\n"
            "    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()\n"),
        "cross_entropy_solution": (
            "def cross_entropy(logits, target):\n    p = torch.softmax(logits, dim=1)\n"
            "    return -torch.log(p[torch.arange(len(target)), target]).mean()\n"),
        "multi_margin_loss_solution": (  # divides by C - 1 instead of C
            "def multi_margin_loss(scores, target, margin=1.0):\n"
            "    true = scores.gather(1, target.unsqueeze(1))\n"
            "    hinge = (margin - true + scores).clamp(min=0).scatter(1, target.unsqueeze(1), 0.0)\n"
            "    return (hinge.sum(dim=1) / (scores.shape[1] - 1)).mean()\n"),
    }, {"test_binary_cross_entropy_with_logits_basic", "test_binary_cross_entropy_with_logits_soft_targets",
        "test_binary_cross_entropy_with_logits_hidden", "test_cross_entropy_basic", "test_cross_entropy_hidden",
        "test_multi_margin_loss_basic", "test_multi_margin_loss_margin", "test_multi_margin_loss_hidden"}),
    "builtins": ({
        "l1_loss_solution": "def l1_loss(pred, target):\n    return F.l1_loss(pred, target)\n",
        "binary_cross_entropy_solution": (  # clamps probabilities instead of logs
            "def binary_cross_entropy(probs, target):\n    p = probs.clamp(1e-7, 1 - 1e-7)\n"
            "    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()\n"),
    }, {"test_l1_loss_basic", "test_l1_loss_shapes", "test_binary_cross_entropy_basic",
        "test_binary_cross_entropy_hidden"}),
    "kinkatzero": ({  # the max/abs form: right values, but autograd's gradient at a logit of exactly 0 is wrong
        "binary_cross_entropy_with_logits_solution": (
            "def binary_cross_entropy_with_logits(logits, target):\n"
            "    return (logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean()\n"),
    }, {"test_binary_cross_entropy_with_logits_basic"}),
    "detached": ({  # right value, but cut off from autograd
        "mse_loss_solution": "def mse_loss(pred, target):\n    return torch.tensor(((pred - target) ** 2).mean().item())\n",
    }, {"test_mse_loss_basic", "test_mse_loss_shapes"}),
    "scratchpatch": ({  # a wrong answer, and beside it scratch code that would zero every ** if it ran (it does
        # not, when graded: only the answer's statement runs, so the losses keep their points)
        "question_loss_purpose_answer": (
            'answer_loss_purpose = "a"\n\nT = torch.Tensor\nT.__pow__ = lambda self, exponent: self * 0\n'),
    }, {"test_question_loss_purpose"}),
}
# What the feedback must show of the tests' messages (visible tests, and hidden ones).
FEEDBACK_MESSAGES = {
    "sumsquares": "Square each difference, then take the mean",
    "naive": None,  # not checked: its failing tests are checked by their scores alone
    "builtins": "PyTorch's built-in losses",
    "kinkatzero": "At a logit of exactly 0 the gradient is",
    "detached": "cut off from autograd",
    "scratchpatch": None,  # checked by its scores: the losses keep every point, as the patch never ran
}
# The slips the class report must name (grader/report.py), each with every learner who makes it.
SLIPS = {
    "then take the mean (not the sum)": {"sumsquares"},
    "SmoothL1 divides by delta instead": {"sumsquares"},
    "The question: a loss function measures how wrong the predictions are": {"sumsquares", "scratchpatch"},
    "sigmoid rounds to 0 or 1": {"naive"},
    "underflows to 0 and log(0) is -inf": {"naive"},
    "divide by the number of classes C": {"naive"},
    "At a logit of exactly 0 the gradient is": {"kinkatzero"},
    "cut off from autograd": {"detached"},
    "At p = 0 or 1, log gives -inf": {"builtins"},
}
