"""mnist_classifier's references, for the grader alone: never in the student copy (nbgrader_config.py's
CourseDirectory.ignore keeps this file out of release/), run by the judge after the notebook's locked
cells, in their namespace (grader/execute.py). The hidden checks compare with them."""
import torch
import torch.nn as nn

# When graded, the test images are warped for each learner (grader/heldout.py writes views.json beside
# the judge's copy): a network that reaches the visible 98.5% on the public test images reaches this
# on warped ones (calibrated by bench/heldout_transforms.py, with a margin).
GRADED_ACCURACY = 0.95


def accuracy_needed():
    """The test accuracy the accuracy check asks for: on warped test images when graded, else 98.5%."""
    return GRADED_ACCURACY if (DATA_DIR / "MNIST" / "raw" / "views.json").is_file() else 0.985


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
