"""mnist_classifier's common mistakes (the format: tests/mistakes/__init__.py)."""
from . import mutate, reference_solution

MNIST_NET = reference_solution("mnist_classifier", "mnist_net_solution")
TRAIN_ONE_EPOCH = reference_solution("mnist_classifier", "train_one_epoch_solution")
EVALUATE = reference_solution("mnist_classifier", "evaluate_solution")

MISTAKES = {
    "ada": ({}, set()),
    "batchmean": ({  # averages the batches' means: wrong when the last batch is smaller
        "train_one_epoch_solution": mutate(mutate(TRAIN_ONE_EPOCH, "loss.item() * len(inputs)", "loss.item()"),
                                           "samples += len(inputs)", "samples += 1"),
        "evaluate_solution": mutate(mutate(EVALUATE, ".sum().item()", ".float().mean().item()"),
                                    "correct / len(loader.dataset)", "correct / len(loader)"),
    }, {"test_train_one_epoch_mean_over_samples", "test_evaluate_accuracy"}),
    "forgetful": ({  # no model.train() / model.eval(), no torch.no_grad(), batches left where they are
        "train_one_epoch_solution": mutate(mutate(TRAIN_ONE_EPOCH, "    model.train()\n", ""),
                                           "inputs, labels = inputs.to(device), labels.to(device)", "pass"),
        "evaluate_solution": mutate(mutate(mutate(EVALUATE, "    model.eval()\n", ""), "with torch.no_grad():", "if True:"),
                                    "inputs, labels = inputs.to(device), labels.to(device)", "pass"),
    }, {"test_train_one_epoch_mode_and_device", "test_evaluate_mode_and_no_grad", "test_evaluate_hidden"}),
    "nozerograd": ({
        "train_one_epoch_solution": mutate(TRAIN_ONE_EPOCH, "        optimizer.zero_grad()\n", ""),
    }, {"test_train_one_epoch_learns", "test_train_one_epoch_matches_reference", "test_mnist_accuracy"}),
    "logsoftmax": ({  # log-probabilities out: trains as well (CrossEntropyLoss applies log-softmax again), but not logits
        "mnist_net_solution": mutate(MNIST_NET, ".flatten(start_dim=1))", ".flatten(start_dim=1)).log_softmax(dim=1)"),
    }, {"test_mnist_net_returns_logits"}),
    "flatsize": ({  # in_features computed as if the convolutions were padded
        "mnist_net_solution": mutate(MNIST_NET, "nn.Linear(32 * 4 * 4, 10)", "nn.Linear(32 * 7 * 7, 10)"),
    }, {"test_mnist_net_output_shape", "test_mnist_net_returns_logits", "test_mnist_net_layers", "test_mnist_net_hidden",
        "test_mnist_accuracy"}),  # (a network that does not run shows no layer that changes its output)
}
# What the feedback must show of the tests' messages (visible tests, and hidden ones).
FEEDBACK_MESSAGES = {
    "forgetful": "call model.train() first",
    "logsoftmax": "remove the log_softmax at the end",
    "flatsize": "check the in_features of your Linear layer",
    "batchmean": "weight each batch's loss by its number of samples",  # a hidden test's message
    "nozerograd": None,  # not checked: its failing tests are checked by their scores alone
}
