"""The two ways of feeding notebook 03's MLP that `make bench` times to 0.88 test accuracy.

Ours is the notebook's own: its epochs, batch size and learning rate read from its parameters
cell, whole splits held as tensors (`TensorLoader`), trained with `dlcourse.train.fit`. The
reference is the same recipe fed the way most tutorials do: a plain loop over torchvision's
per-item dataset (`ToTensor`, `Normalize` through a `DataLoader`). Both: Adam, a cosine schedule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Recipe:
    """Notebook 03's recipe and how its data is fed: "tensors" (in memory) or "per-item"."""

    name: str
    label: str
    data: str
    epochs: int
    batch_size: int
    lr: float
    target: float = 0.88


def notebook_parameters(prefix: str, defaults: dict) -> dict:
    """The parameters-cell defaults of notebooks/`prefix`_*.ipynb (`defaults` where absent)."""
    import papermill

    values = dict(defaults)
    for nb in sorted((ROOT / "notebooks").glob(f"{prefix}_*.ipynb"))[:1]:
        for name, info in papermill.inspect_notebook(str(nb)).items():
            if name in values:
                try:
                    values[name] = ast.literal_eval(info["default"])
                except (ValueError, SyntaxError):
                    pass  # not a literal: keep the default
    return values


def ours_mlp() -> Recipe:
    p = notebook_parameters("03", {"EPOCHS": 10, "BATCH_SIZE": 128, "LR": 1e-3})
    return Recipe("ours_mlp", "ours: notebook 03 MLP", "tensors", p["EPOCHS"], p["BATCH_SIZE"], p["LR"])


def plain_torchvision(ours: Recipe) -> Recipe:
    return Recipe("plain_torchvision", "plain loop, torchvision per-item", "per-item", ours.epochs, ours.batch_size, ours.lr)


def plain_epoch(model: nn.Module, loader, optimizer, device) -> None:
    """One epoch of the textbook loop: forward, loss, zero_grad, backward, step."""
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for x, y in loader:
        loss = loss_fn(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def make_run(recipe: Recipe, data: dict, device, *, train_subset: int | None = None,
             seed: int = 0) -> tuple[Callable[[int], None], Callable[[], float]]:
    """(train_epoch, accuracy) closures; accuracy on the whole in-memory test split for both
    recipes (the numbers ToTensor and Normalize give), so only the training path differs."""
    from torchvision import transforms

    from dlcourse.data import FASHION_MEAN, FASHION_STD, TensorLoader, fashion_mnist
    from dlcourse.device import seed_everything
    from dlcourse.models import MLP
    from dlcourse.train import evaluate, fit

    seed_everything(seed)
    model = MLP().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    test_loader = TensorLoader(data["x_test"].to(device), data["y_test"].to(device), 1000)
    n = train_subset or len(data["x_train"])
    if recipe.data == "tensors":
        loader = TensorLoader(data["x_train"][:n].to(device), data["y_train"][:n].to(device),
                              recipe.batch_size, shuffle=True, seed=seed)

        def train_epoch(epoch: int) -> None:
            fit(model, loader, optimizer=optimizer, scheduler=scheduler, epochs=1, device=device, progress=False)
    else:
        steps = transforms.Compose([transforms.ToTensor(), transforms.Normalize((FASHION_MEAN,), (FASHION_STD,))])
        dataset = torch.utils.data.Subset(fashion_mnist(train=True, transform=steps), range(n))
        loader = torch.utils.data.DataLoader(dataset, batch_size=recipe.batch_size, shuffle=True,
                                             generator=torch.Generator().manual_seed(seed))

        def train_epoch(epoch: int) -> None:
            plain_epoch(model, loader, optimizer, device)
            scheduler.step()

    return train_epoch, lambda: evaluate(model, test_loader, device)[1]
