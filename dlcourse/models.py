"""Models the notebooks build and reuse, and `count_parameters`.

`MLP` is notebook 03's classifier; `SmallCNN` is notebook 05's. Each was first written out in
its notebook.
"""

from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of scalar parameters in `model` (only those with requires_grad if asked)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class MLP(nn.Sequential):
    """Flatten the image, then Linear+ReLU hidden layers, then a Linear output layer."""

    def __init__(self, in_features: int = 784, hidden: tuple[int, ...] = (256, 128), num_classes: int = 10):
        layers: list[nn.Module] = [nn.Flatten()]  # (B, 1, 28, 28) -> (B, 784)
        width = in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, num_classes))  # (B, num_classes) logits
        super().__init__(*layers)
