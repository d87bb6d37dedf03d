"""plot_decision_boundary: draws on the given axes, handles binary and multi-class models, leaves the model as it was."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from dlcourse.plots import plot_decision_boundary


def _points():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(50, 2, generator=g) * 2 - 1  # (50, 2)
    return x, (x[:, 0] > 0).long()


def test_binary_model_draws_boundary_on_given_axes():
    x, y = _points()
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[5.0, 0.0]]))  # boundary: the line x0 = 0
        model.bias.zero_()
    model.train()
    fig, ax = plt.subplots()
    try:
        assert plot_decision_boundary(model, x, y, ax=ax) is ax
        assert len(ax.collections) >= 3  # shaded regions, the 0.5 contour line, the points
        assert model.training  # mode restored
        assert all(p.grad is None for p in model.parameters())  # no gradients computed
        lo, hi = ax.get_xlim()
        assert lo < x[:, 0].min().item() and hi > x[:, 0].max().item()
    finally:
        plt.close(fig)


def test_multiclass_model_and_new_axes():
    x, y = _points()
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)).eval()
    ax = plot_decision_boundary(model, x.numpy(), y, steps=20)
    try:
        assert ax is not None and len(ax.collections) >= 2
        assert not model.training  # eval stays eval
    finally:
        plt.close(ax.figure)


def test_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(nn.Linear(3, 1), torch.zeros(4, 3), torch.zeros(4))
