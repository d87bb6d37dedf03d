import torch
from torch import nn

from dlcourse.models import MLP, count_parameters


def test_count_parameters_matches_formula():
    assert count_parameters(nn.Linear(784, 100)) == 784 * 100 + 100
    m = MLP()
    assert count_parameters(m) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    m[1].weight.requires_grad_(False)
    assert count_parameters(m, trainable_only=True) == count_parameters(m) - 784 * 256


def test_mlp_shapes():
    assert MLP()(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert MLP(in_features=12, hidden=(), num_classes=3)(torch.zeros(2, 12)).shape == (2, 3)
