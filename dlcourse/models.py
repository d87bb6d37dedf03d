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


class SmallCNN(nn.Module):
    """Three stride-2 conv blocks (conv 3x3, batch norm, ReLU), then one Linear layer: notebook 05's CNN."""

    def __init__(self, channels: tuple[int, int, int] = (24, 48, 96), num_classes: int = 10):
        super().__init__()
        c1, c2, c3 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),   # (B, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.BatchNorm2d(c2), nn.ReLU(),  # (B, c2, 7, 7)
            nn.Conv2d(c2, c3, 3, stride=2, padding=1), nn.BatchNorm2d(c3), nn.ReLU(),  # (B, c3, 4, 4)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c3 * 4 * 4, num_classes))  # (B, num_classes)

    def forward(self, x):
        """(B, 1, 28, 28) images -> (B, num_classes) logits."""
        return self.classifier(self.features(x))
