"""optimizers' common mistakes (the format: tests/mistakes/__init__.py)."""
from . import mutate, reference_solution

MY_SGD = reference_solution("optimizers", "my_sgd_solution")
MY_ADAM = reference_solution("optimizers", "my_adam_solution")
MY_RMSPROP = reference_solution("optimizers", "my_rmsprop_solution")

ZERO_FILL = "            if p.grad is not None:\n                p.grad.zero_()"

MISTAKES = {
    "ada": ({}, set()),
    "lateloss": ({
        "train_solution": (  # records the loss after the update, not before
            "def train(model, inputs, targets, loss_fn, optimizer, epochs):\n    losses = []\n"
            "    for _ in range(epochs):\n        optimizer.zero_grad()\n"
            "        loss_fn(model(inputs), targets).backward()\n        optimizer.step()\n"
            "        losses.append(loss_fn(model(inputs), targets).item())\n    return losses\n"),
        "my_adam_solution": mutate(MY_ADAM, "v_hat.sqrt() + self.eps", "(v_hat + self.eps).sqrt()"),
        "my_rmsprop_solution": mutate(MY_RMSPROP, "            if p.grad is None:\n                continue\n", ""),
    }, {"test_train_basic", "test_train_reaches_the_line", "test_my_adam_basic", "test_my_adam_hidden",
        "test_my_rmsprop_basic", "test_my_rmsprop_hidden"}),
    "generator": ({
        "my_sgd_solution": mutate(MY_SGD, "self.params = list(params)", "self.params = params"),
        "my_adam_solution": mutate(mutate(MY_ADAM, " / (1 - beta1 ** self.t[i])", ""), " / (1 - beta2 ** self.t[i])", ""),
    }, {"test_my_sgd_basic", "test_my_sgd_hidden", "test_my_adam_basic", "test_my_adam_hidden",
        "test_my_optimizers_in_my_train"}),
    "onecounter": ({  # Adam's step count t kept once for all parameters, not per parameter
        "my_adam_solution": mutate(mutate(MY_ADAM, "            self.t[i] += 1\n", ""), "beta1, beta2 = self.betas\n",
                                   "beta1, beta2 = self.betas\n        self.t = [self.t[0] + 1] * len(self.params)\n"),
        "question_adaptive_optimizer_answer": 'answer_adaptive_optimizer = "a"\n',  # plain SGD adapts nothing
    }, {"test_my_adam_basic", "test_my_adam_hidden", "test_question_adaptive_optimizer"}),
    "zerofill": ({  # zero_grad() fills the gradients with zeros (torch's old set_to_none=False), so a parameter left
        # out of a step's loss still steps (red team forty-four: full marks for both before their checks had such a one)
        "my_sgd_solution": mutate(MY_SGD, "            p.grad = None", ZERO_FILL),
        "my_rmsprop_solution": mutate(MY_RMSPROP, "            p.grad = None", ZERO_FILL),
    }, {"test_my_sgd_basic", "test_my_sgd_hidden", "test_my_rmsprop_basic", "test_my_rmsprop_hidden"}),
}
# What the feedback must show of the tests' messages (visible tests, and hidden ones).
FEEDBACK_MESSAGES = {
    "lateloss": "record the loss before optimizer.step()",
    "generator": "MyAdam(): after step 1, parameter 0 of shape (3,) differs",
    "onecounter": "It moves exactly like Adam with one step count t for all parameters",
    "zerofill": "It moves exactly like SGD with a parameter without a gradient stepped as if its gradient were 0",
}
# The slips the class report must name (grader/report.py), each with every learner who makes it.
SLIPS = {
    "Adam with ε inside the square root": {"lateloss"},
    "Adam with one step count t for all parameters": {"onecounter"},
    "SGD with a parameter without a gradient stepped as if its gradient were 0": {"zerofill"},
    "RMSprop with a parameter without a gradient stepped as if its gradient were 0": {"zerofill"},
}
