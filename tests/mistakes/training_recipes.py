"""training_recipes' common mistakes (the format: tests/mistakes/__init__.py)."""
from . import mutate, reference_solution

ONE_CYCLE = reference_solution("training_recipes", "one_cycle_lr_solution")
MY_ADAMW = reference_solution("training_recipes", "my_adamw_solution")
BCE = reference_solution("training_recipes", "bce_with_logits_weighted_solution")
CE = reference_solution("training_recipes", "cross_entropy_weighted_solution")
DECAY = "            p.mul_(1 - self.lr * self.weight_decay)\n"
ONE_CYCLE_TESTS = {"test_one_cycle_lr_basic", "test_one_cycle_lr_settings", "test_one_cycle_lr_hidden"}
ADAMW_TESTS = {"test_my_adamw_basic", "test_my_adamw_hidden"}

MISTAKES = {
    "ada": ({}, set()),
    "offbyone": ({  # the warm-up ends one step late; the decay as Adam's L2 term, added to the gradient
        "one_cycle_lr_solution": mutate(ONE_CYCLE, "pct_start * total_steps - 1", "pct_start * total_steps"),
        "my_adamw_solution": mutate(MY_ADAMW, DECAY, "            p.grad.add_(p, alpha=self.weight_decay)\n"),
    }, ONE_CYCLE_TESTS | ADAMW_TESTS),
    "linear": ({  # a linear anneal; the decay not multiplied by lr
        "one_cycle_lr_solution": mutate(ONE_CYCLE, "(1 + math.cos(math.pi * pct))", "2 * (1 - pct)"),
        "my_adamw_solution": mutate(MY_ADAMW, "p.mul_(1 - self.lr * self.weight_decay)", "p.mul_(1 - self.weight_decay)"),
    }, ONE_CYCLE_TESTS | ADAMW_TESTS),
    "nofinal": ({  # no final division; the decay after the Adam step; the clamp/abs form, wrong at a logit of 0
        "one_cycle_lr_solution": mutate(ONE_CYCLE, "final = initial / final_div_factor", "final = initial"),
        "my_adamw_solution": mutate(mutate(MY_ADAMW, DECAY, ""), "            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))\n",
                                    "            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))\n" + DECAY),
        "bce_with_logits_weighted_solution": mutate(
            BCE, "F.softplus(-logits)", "((-logits).clamp(min=0) + torch.log1p(torch.exp(-logits.abs())))"),
    }, ONE_CYCLE_TESTS | ADAMW_TESTS | {"test_bce_with_logits_weighted_basic"}),
    "nmean": ({  # pos_weight on the negative term; the weighted sum divided by N
        "bce_with_logits_weighted_solution": mutate(
            BCE, "pos_weight * target * F.softplus(-logits) + (1 - target) * F.softplus(logits)",
            "target * F.softplus(-logits) + pos_weight * (1 - target) * F.softplus(logits)"),
        "cross_entropy_weighted_solution": mutate(CE, "/ row_weight.sum()", "/ len(target)"),
    }, {"test_bce_with_logits_weighted_basic", "test_bce_with_logits_weighted_hidden",
        "test_cross_entropy_weighted_basic", "test_cross_entropy_weighted_hidden"}),
}
# What the feedback must show of the tests' messages (visible tests, and hidden ones).
FEEDBACK_MESSAGES = {
    "offbyone": "Your schedule is OneCycleLR with the peak one step late",
    "linear": "Your schedule is OneCycleLR with a linear anneal",
    "nofinal": "It moves exactly like AdamW with the decay after the Adam step",
    "nmean": "the weighted sum divided by N, the number of rows",
}
