"""SmallCNN (notebook 05's CNN): shapes, size next to the MLP, and that it learns on real data."""

from __future__ import annotations

import torch
from torch import nn

from dlcourse.models import MLP, SmallCNN, count_parameters


def test_output_shape():
    model = SmallCNN()
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert model.features(torch.zeros(2, 1, 28, 28)).shape == (2, 96, 4, 4)  # 28 -> 14 -> 7 -> 4
    assert SmallCNN(channels=(4, 8, 8), num_classes=5)(torch.zeros(2, 1, 28, 28)).shape == (2, 5)


def test_fewer_parameters_than_the_mlp():
    assert count_parameters(SmallCNN()) < count_parameters(MLP())


def test_eval_output_does_not_depend_on_the_batch():
    # batch norm uses running statistics in eval mode: one image scores the same alone or in a batch
    torch.manual_seed(0)
    model = SmallCNN().eval()
    x = torch.randn(8, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(model(x[:1]), model(x)[:1], rtol=1e-4, atol=1e-5)


def test_a_few_steps_lower_the_loss_on_a_real_batch(fashion_root):
    from dlcourse.data import load_fashion_mnist

    torch.manual_seed(0)
    x, y = load_fashion_mnist(train=False, root=fashion_root)
    x, y = x[:128], y[:128]
    model = SmallCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(15):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
