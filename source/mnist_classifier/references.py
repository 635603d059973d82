"""mnist_classifier's references, for the grader alone: never in the student copy (nbgrader_config.py's
CourseDirectory.ignore keeps this file out of release/), run by the judge after the notebook's locked
cells, in their namespace (grader/execute.py). The hidden checks compare with them."""
import torch
import torch.nn as nn


def reference_epochs(model_kind, loaders, lr, momentum, seed):
    """What run_epochs gives for the five steps of the training loop, batch by batch."""
    model = small_model(model_kind, seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for loader in loaders:
        for inputs, labels in tiny_loader(**loader):
            loss = nn.functional.cross_entropy(model(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {name: p.detach() for name, p in model.named_parameters()}
