"""The training loop and evaluation, written out as in notebook 03: `fit`, `evaluate`, `predict`.

`fit` works for multi-class models (integer labels, CrossEntropyLoss) and for binary "is it X?"
models (one logit per sample, float labels, BCEWithLogitsLoss).
"""

from __future__ import annotations

import time
import warnings
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import Dataset

from dlcourse.device import get_device


def _as_device(device) -> torch.device:
    return device if isinstance(device, torch.device) else get_device(device)


def _check_model(model, name: str = "model") -> None:
    if isinstance(model, type) and issubclass(model, nn.Module):
        raise TypeError(f"{name} is the class {model.__name__}, not a model: create one first, "
                        f"e.g. {name} = {model.__name__}()")
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be an nn.Module, got {type(model).__name__} {model!r:.80}")


def _check_loader(loader, name: str) -> None:
    if isinstance(loader, torch.Tensor):
        raise TypeError(f"{name} must yield (x, y) batches, got a Tensor of shape {tuple(loader.shape)}: "
                        f"wrap the tensors, e.g. TensorLoader(x, y, batch_size=64)")
    if isinstance(loader, Dataset):
        raise TypeError(f"{name} is a Dataset ({type(loader).__name__}), which gives one sample at a time: "
                        f"wrap it in a DataLoader, e.g. DataLoader(dataset, batch_size=64)")
    try:
        n = len(loader)
    except TypeError:
        return  # an iterable without len(): nothing to check ahead of time
    if n == 0:
        raise ValueError(f"{name} is empty (len({name}) == 0): there is nothing to train or evaluate on")


def _model_device(model: nn.Module) -> torch.device | None:
    param = next(model.parameters(), None)
    return None if param is None else param.device


def _matches(where: torch.device, device: torch.device) -> bool:
    """Whether a tensor on `where` is on the requested `device` ("cuda" without an index: any GPU)."""
    return where.type == device.type and (device.index is None or where.index == device.index)


def _all_on(model: nn.Module, device: torch.device) -> bool:
    """Whether every parameter and buffer of `model` is already on `device` (then .to() is a no-op)."""
    return all(_matches(t.device, device) for t in (*model.parameters(), *model.buffers()))


def _check_model_on(model: nn.Module, device: torch.device) -> None:
    where = _model_device(model)
    if where is not None and not _matches(where, device):
        raise ValueError(
            f"the model is on {where} but device={str(device)!r}: move it first with model.to({str(device)!r})"
        )


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """model(x), with the batch's shape and dtype named when it fails."""
    try:
        return model(x)
    except RuntimeError as exc:
        raise ValueError(
            f"model(x) failed for a batch x of shape {tuple(x.shape)} and dtype {x.dtype}: {exc}"
        ) from exc


def _forward(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable):
    """model(x) and the loss, with the shapes and dtypes named when either fails."""
    logits = _logits(model, x)
    try:
        loss = loss_fn(_loss_input(logits, y), y)
    except (RuntimeError, ValueError) as exc:
        raise ValueError(
            f"{type(loss_fn).__name__} failed for model output of shape {tuple(logits.shape)} "
            f"and labels of shape {tuple(y.shape)}, dtype {y.dtype} (multi-class models want int64 "
            f"class indices; a one-logit binary model wants float 0/1 labels): {exc}"
        ) from exc
    return logits, loss


def _predictions(logits: torch.Tensor) -> torch.Tensor:
    # (B, C) -> class index; (B,) or (B, 1) binary logits -> 0/1
    if logits.dim() == 1 or logits.shape[-1] == 1:
        return (logits.reshape(-1) > 0).long()
    return logits.argmax(dim=1)


def _loss_input(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # A binary model's (B, 1) output meets (B,) float labels: drop the trailing 1.
    if logits.dim() == 2 and logits.shape[1] == 1 and y.dim() == 1:
        return logits.squeeze(1)
    return logits


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of samples whose predicted class equals the label."""
    if len(logits) != y.numel():
        raise ValueError(f"logits of shape {tuple(logits.shape)} and labels y of shape {tuple(y.shape)} "
                         "must hold the same number of samples")
    return (_predictions(logits) == y.reshape(-1).long()).float().mean().item()


def evaluate(
    model: nn.Module, loader: Iterable, device="auto", *, loss_fn: Callable | None = None
) -> tuple[float, float]:
    """Return (mean loss, accuracy) of `model` over `loader`; no gradients, mode restored."""
    _check_model(model)
    _check_loader(loader, "loader")
    device = _as_device(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    _check_model_on(model, device)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits, loss = _forward(model, x, y, loss_fn)
                total_loss += loss.item() * len(y)
                correct += (_predictions(logits) == y.reshape(-1).long()).sum().item()
                count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("loader yielded no samples")
    return total_loss / count, correct / count


def predict(model: nn.Module, loader: Iterable, device="auto") -> tuple[torch.Tensor, torch.Tensor]:
    """Return (predicted labels, true labels) over `loader`, both on the CPU."""
    _check_model(model)
    _check_loader(loader, "loader")
    device = _as_device(device)
    _check_model_on(model, device)
    was_training = model.training
    model.eval()
    preds, targets = [], []
    try:
        with torch.no_grad():
            for x, y in loader:
                preds.append(_predictions(_logits(model, x.to(device))).cpu())
                targets.append(y.reshape(-1).long().cpu())
    finally:
        model.train(was_training)
    return torch.cat(preds), torch.cat(targets)


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Return a (num_classes, num_classes) count matrix: rows are true labels, columns predictions."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    preds, targets = torch.as_tensor(preds).reshape(-1), torch.as_tensor(targets).reshape(-1)
    if len(preds) != len(targets):
        raise ValueError(f"preds and targets must have the same length, got {len(preds)} and {len(targets)}")
    for name, t in (("preds", preds), ("targets", targets)):
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name} must be class indices 0..{num_classes - 1} (num_classes={num_classes}), "
                             f"got values from {t.min().item()} to {t.max().item()}")
    idx = targets.long() * num_classes + preds.long()
    return torch.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int = 1,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler=None,
    loss_fn: Callable | None = None,
    device="auto",
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train `model` for `epochs`; return a history dict of per-epoch lists.

    Keys: train_loss, train_acc, seconds, and val_loss, val_acc when `val_loader` is given.
    The optimizer defaults to Adam(lr), the loss to CrossEntropyLoss; a learning-rate
    `scheduler`, if given, is stepped once at the end of every epoch.
    """
    from tqdm import TqdmWarning

    with warnings.catch_warnings():
        # Without ipywidgets, tqdm.auto warns "IProgress not found" (on import and on use) and
        # falls back to a text bar: fine.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm  # honours TQDM_DISABLE=1

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    _check_model(model)
    _check_loader(train_loader, "train_loader")
    if val_loader is not None:
        _check_loader(val_loader, "val_loader")
    device = _as_device(device)
    if not _all_on(model, device):
        model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("scheduler must wrap the optimizer passed to fit (pass both, or neither)")
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "seconds": []}
    if val_loader is not None:
        history.update(val_loss=[], val_acc=[])

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        # The history's figures are gathered per batch as tensors on the device (no sync, one small
        # op per batch) and summed once at the end of the epoch.
        losses, sizes, predicted, labels = [], [], [], []
        batches = train_loader
        if progress:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TqdmWarning)
                batches = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False, disable=None)
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            logits, loss = _forward(model, x, y, loss_fn)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            sizes.append(len(y))
            predicted.append(_predictions(logits.detach()))
            labels.append(y)
        if not sizes:
            raise ValueError("train_loader yielded no samples")
        count = sum(sizes)
        with torch.no_grad():
            weights = torch.tensor(sizes, dtype=torch.float32, device=device)
            history["train_loss"].append((torch.stack(losses).float() @ weights).item() / count)
            correct = (torch.cat(predicted) == torch.cat([t.reshape(-1) for t in labels]).long()).sum()
            history["train_acc"].append(correct.item() / count)
        if scheduler is not None:
            scheduler.step()
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device, loss_fn=loss_fn)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
        history["seconds"].append(time.perf_counter() - start)
        if progress:
            line = f"epoch {epoch}/{epochs}: train loss {history['train_loss'][-1]:.4f}, acc {history['train_acc'][-1]:.4f}"
            if val_loader is not None:
                line += f"; val loss {history['val_loss'][-1]:.4f}, acc {history['val_acc'][-1]:.4f}"
            print(line + f" ({history['seconds'][-1]:.1f} s)")
    return history
