"""The training recipes `make bench` times to a test accuracy on Fashion-MNIST.

Ours are the notebooks' own: notebook 03's MLP and notebook 05's CNN, with the epochs, batch
size and learning rate read from each notebook's parameters cell, whole splits held as tensors
(`TensorLoader`) and trained with `dlcourse.train.fit`. Two references are written out plainly:
d2l's LeNet-5 as its CNN chapter trains it, and a plain PyTorch loop over torchvision's
per-item dataset (`ToTensor` through a `DataLoader`) with our MLP recipe.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from bench.helpers import sync

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


@dataclass
class Recipe:
    """One way to train a Fashion-MNIST classifier, and the accuracy it is timed to."""

    name: str             # key in results.json
    label: str            # what the table calls it
    target: float         # test accuracy to reach
    epochs: int           # the recipe's own number of epochs: the cap
    batch_size: int
    lr: float
    data: str             # "tensors" (whole split in memory) or "per-item" (torchvision + DataLoader)
    source: str           # where the recipe comes from
    compare_to: str | None = None  # the recipe of ours it is compared with
    num_workers: int = 0  # DataLoader workers for per-item data
    normalize: bool = True  # standardise pixels with the training set's mean and std


def notebook_parameters(prefix: str, defaults: dict) -> dict:
    """The parameters-cell defaults of notebook `prefix`_*.ipynb (the given `defaults` where absent)."""
    found = sorted(NOTEBOOKS.glob(f"{prefix}_*.ipynb"))
    values = dict(defaults)
    if not found:
        return values
    import papermill

    for name, info in papermill.inspect_notebook(str(found[0])).items():
        if name in values:
            try:
                values[name] = ast.literal_eval(info["default"])
            except (ValueError, SyntaxError):
                pass  # not a literal: keep the default
    return values


def ours_mlp() -> Recipe:
    """Notebook 03: MLP 784-256-128-10, Adam, cosine schedule over EPOCHS, tensors in memory."""
    p = notebook_parameters("03", {"EPOCHS": 10, "BATCH_SIZE": 128, "LR": 1e-3})
    return Recipe("ours_mlp", "ours: notebook 03 MLP", 0.88, p["EPOCHS"], p["BATCH_SIZE"], p["LR"],
                  "tensors", "notebooks/03 parameters cell")


def ours_cnn() -> Recipe:
    """Notebook 05: SmallCNN, Adam, cosine schedule over EPOCHS, tensors in memory."""
    p = notebook_parameters("05", {"EPOCHS": 5, "BATCH_SIZE": 128, "LR": 1e-3})
    return Recipe("ours_cnn", "ours: notebook 05 CNN", 0.91, p["EPOCHS"], p["BATCH_SIZE"], p["LR"],
                  "tensors", "notebooks/05 parameters cell")


def plain_torchvision(mlp: Recipe) -> Recipe:
    """Our MLP recipe, but fed the way most tutorials do: per-item dataset, ToTensor, DataLoader."""
    return Recipe("plain_torchvision", "plain loop, torchvision per-item", mlp.target, mlp.epochs,
                  mlp.batch_size, mlp.lr, "per-item",
                  "notebook 03's MLP recipe; FashionMNIST(transform=ToTensor+Normalize), DataLoader(num_workers=0)",
                  compare_to="ours_mlp")


def d2l_lenet_recipe(cnn: Recipe) -> Recipe:
    """d2l, chapter 'Convolutional Neural Networks (LeNet)': sigmoid LeNet-5, Xavier, SGD lr 0.9, batch 256, 10 epochs."""
    return Recipe("d2l_lenet", "d2l LeNet-5 (sigmoid, SGD 0.9)", cnn.target, 10, 256, 0.9, "per-item",
                  "d2l.ai LeNet section: train_ch6(net, lr=0.9, num_epochs=10), load_data_fashion_mnist(256) "
                  "(ToTensor, shuffle, 4 workers), xavier_uniform_ on Linear and Conv2d weights",
                  compare_to="ours_cnn", num_workers=4, normalize=False)


def d2l_lenet() -> nn.Sequential:
    """LeNet-5 exactly as d2l writes it (sigmoid, average pooling), Xavier-uniform initialised."""
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),   # (B, 6, 28, 28)
        nn.AvgPool2d(kernel_size=2, stride=2),                     # (B, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),             # (B, 16, 10, 10)
        nn.AvgPool2d(kernel_size=2, stride=2),                     # (B, 16, 5, 5)
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    return net


def build_model(recipe: Recipe) -> nn.Module:
    """A fresh model for `recipe` (seed first for repeatable weights)."""
    from dlcourse.models import MLP, SmallCNN

    if recipe.name == "d2l_lenet":
        return d2l_lenet()
    if recipe.name == "ours_cnn":
        return SmallCNN()
    return MLP()


def build_optimizer(recipe: Recipe, model: nn.Module):
    """(optimizer, scheduler): SGD for d2l, else the notebooks' Adam with a cosine schedule over the epochs."""
    if recipe.name == "d2l_lenet":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr), None
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs)


def per_item_dataset(*, normalize: bool, train_subset: int | None = None):
    """torchvision's FashionMNIST training split: one PIL image decoded and converted per sample
    (ToTensor, and Normalize with the training set's mean and std when `normalize`)."""
    from torchvision import transforms

    from dlcourse.data import FASHION_MEAN, FASHION_STD, fashion_mnist

    steps = [transforms.ToTensor()]
    if normalize:
        steps.append(transforms.Normalize((FASHION_MEAN,), (FASHION_STD,)))
    dataset = fashion_mnist(train=True, transform=transforms.Compose(steps))
    return torch.utils.data.Subset(dataset, range(train_subset)) if train_subset else dataset


def per_item_loader(recipe: Recipe, train_subset: int | None, seed: int = 0):
    """per_item_dataset through a DataLoader, the way most tutorials feed a model."""
    dataset = per_item_dataset(normalize=recipe.normalize, train_subset=train_subset)
    # d2l asks for 4 workers whatever the machine; torch warns when that exceeds the cores.
    warnings.filterwarnings("ignore", message="This DataLoader will create", category=UserWarning)
    return torch.utils.data.DataLoader(
        dataset, batch_size=recipe.batch_size, shuffle=True, num_workers=recipe.num_workers,
        generator=torch.Generator().manual_seed(seed), persistent_workers=recipe.num_workers > 0)


def plain_epoch(model: nn.Module, loader, optimizer, device) -> None:
    """One epoch of the textbook loop: forward, loss, zero_grad, backward, step."""
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def make_run(recipe: Recipe, data: dict, device: torch.device, *, train_subset: int | None = None,
             seed: int = 0) -> tuple[Callable[[int], None], Callable[[], float]]:
    """(train_epoch, evaluate) closures for `recipe` on `data` (tensors from load_fashion_mnist).

    `data` holds x_train, y_train, x_test, y_test (standardised) and x_test_raw (pixels in
    [0, 1]). Evaluation always uses the full in-memory test split (the same numbers ToTensor
    and Normalize give, up to float rounding), so only the training path differs.
    """
    from dlcourse.data import TensorLoader
    from dlcourse.device import seed_everything
    from dlcourse.train import evaluate, fit

    seed_everything(seed)
    model = build_model(recipe).to(device)
    optimizer, scheduler = build_optimizer(recipe, model)
    x_test = data["x_test"] if recipe.normalize else data["x_test_raw"]
    test_loader = TensorLoader(x_test.to(device), data["y_test"].to(device), 1000)

    if recipe.data == "tensors":
        n = train_subset or len(data["x_train"])
        train_loader = TensorLoader(data["x_train"][:n].to(device), data["y_train"][:n].to(device),
                                    recipe.batch_size, shuffle=True, seed=seed)

        def train_epoch(epoch: int) -> None:
            fit(model, train_loader, optimizer=optimizer, scheduler=scheduler, epochs=1,
                device=device, progress=False)
            sync(device)
    else:
        train_loader = per_item_loader(recipe, train_subset, seed)

        def train_epoch(epoch: int) -> None:
            plain_epoch(model, train_loader, optimizer, device)
            if scheduler is not None:
                scheduler.step()
            sync(device)

    def accuracy() -> float:
        return evaluate(model, test_loader, device)[1]

    return train_epoch, accuracy
