"""The training loop and evaluation: `train_one_epoch`, `fit`, `evaluate`, `predict`, `confusion_matrix`.

`train_one_epoch` is the function notebook 03 builds, with each batch moved to the device;
`fit` runs it for `epochs`, evaluates on a validation loader and keeps a history. Multi-class
models give (B, C) scores for int64 labels (CrossEntropyLoss, the default); a binary "is it X?"
model gives one logit per sample, shape (B,), for float 0/1 labels (BCEWithLogitsLoss).

The checks catch classroom mistakes where they enter (the arguments, and the first batch, where
the model's output meets the labels) and say how to fix them; PyTorch's own errors do the rest.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Callable, Iterable

import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm  # a bar in Jupyter (with ipywidgets) or a terminal; TQDM_DISABLE=1 turns it off

from dlcourse.device import get_device

_TQDM_OFF = os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes")


def _check_model(model) -> None:
    if isinstance(model, type):
        problem = f"model is the class {model.__name__}, not a model: create one first, e.g. model = {model.__name__}()"
    elif not isinstance(model, nn.Module):
        problem = f"model must be an nn.Module, got {type(model).__name__} {model!r:.80}"
    else:
        return
    raise TypeError(problem)


def _check_model_on(model: nn.Module, device: torch.device) -> None:
    where = next(model.parameters(), None)
    # "cuda" without an index means any GPU
    if where is not None and (where.device.type != device.type or device.index not in (None, where.device.index)):
        raise ValueError(f"the model is on {where.device} but device={str(device)!r}: move it first with model.to({str(device)!r})")


def _check_loader(loader, name: str, reused: bool = False) -> None:
    """What learners pass where a loader of (x, y) batches belongs, caught before any work is done."""
    if isinstance(loader, torch.Tensor):
        problem = (f"{name} must yield (x, y) batches, got a Tensor of shape {tuple(loader.shape)}: "
                   "wrap the tensors, e.g. TensorLoader(x, y, batch_size=64)")
    elif isinstance(loader, Dataset):
        problem = (f"{name} is a Dataset ({type(loader).__name__}), which gives one sample at a time: "
                   "wrap it in a DataLoader, e.g. DataLoader(dataset, batch_size=64)")
    elif reused and isinstance(loader, Iterator):
        problem = (f"{name} is a one-shot {type(loader).__name__}: it is used up after one pass, so the second "
                   "epoch would see nothing; pass a DataLoader or a list of batches")
    elif hasattr(loader, "__len__") and len(loader) == 0:
        raise ValueError(f"{name} is empty (len({name}) == 0): there is nothing to train or evaluate on")
    else:
        return
    raise TypeError(problem)


def _batches(loader: Iterable, name: str):
    """Yield `loader`'s batches; the first must be an (x, y) pair of tensors."""
    for i, batch in enumerate(loader):
        if i == 0 and not (isinstance(batch, (tuple, list)) and len(batch) == 2
                           and all(isinstance(t, torch.Tensor) for t in batch)):
            got = (f"a dict with keys {list(batch)}" if isinstance(batch, dict)
                   else f"a {type(batch).__name__} of {len(batch)}" if isinstance(batch, (tuple, list))
                   else f"a {type(batch).__name__}")
            raise TypeError(f"{name} must yield (x, y) pairs of tensors, got {got}: make the Dataset's "
                            "__getitem__ return (image, label), or pass a loader that yields those two")
        yield batch


def _check_first_batch(logits: torch.Tensor, y: torch.Tensor, loss_fn: Callable) -> None:
    """The model's output meets the labels: the mistakes a loss would train through, or explain badly."""
    lo, hi = (y.min().item(), y.max().item()) if y.numel() else (0, 0)
    if y.dim() != 1:
        problem = (f"labels y have shape {tuple(y.shape)}, but the loss wants one label per sample, shape ({len(y)},): "
                   "for one-hot labels use y.argmax(1), for (B, 1) labels y.squeeze(1)")
    elif isinstance(loss_fn, nn.CrossEntropyLoss) and (logits.dim() == 1 or logits.shape[1] == 1):
        problem = (f"the model gives one output per sample, shape {tuple(logits.shape)}, but CrossEntropyLoss needs "
                   "one score per class: for a yes/no model use loss_fn=nn.BCEWithLogitsLoss() and float 0/1 labels")
    elif logits.shape[:1] != y.shape or logits.dim() > 2 or logits.shape[1:] == (1,):
        # a loss compares a one-logit model's output with its labels element by element: (B,) with (B,)
        problem = (f"the model's output has shape {tuple(logits.shape)} but the labels {tuple(y.shape)}: a multi-class "
                   f"model gives ({len(y)}, C) scores, a one-logit model ({len(y)},) like its labels"
                   + (": end its forward with .squeeze(1), or add nn.Flatten(0)" if logits.shape[1:] == (1,) else ""))
    elif isinstance(loss_fn, nn.CrossEntropyLoss) and (y.is_floating_point() or lo < 0 or hi >= logits.shape[1]):
        problem = (f"labels must be class indices 0..{logits.shape[1] - 1} (int64) for a model with {logits.shape[1]} "
                   f"outputs, got {y.dtype} labels from {lo} to {hi}: check num_classes, or use y.long()")
    elif isinstance(loss_fn, nn.BCEWithLogitsLoss) and (not y.is_floating_point() or lo < 0 or hi > 1):
        problem = f"BCEWithLogitsLoss wants float labels in 0..1, got {y.dtype} labels from {lo} to {hi}: use y.float()"
    else:
        return
    raise ValueError(problem)


def _predictions(logits: torch.Tensor) -> torch.Tensor:
    # (B, C) scores -> class index; (B,) binary logits -> 0/1
    return logits.argmax(dim=1) if logits.dim() == 2 else (logits > 0).long()


def train_one_epoch(
    model: nn.Module, loader: Iterable, optimizer, loss_fn: Callable, device="cpu", scheduler=None
) -> tuple[float, float]:
    """Notebook 03's `train_one_epoch`, with each batch moved to `device`: return (mean loss, accuracy).

    A `scheduler`, if given, is stepped after every batch (as OneCycleLR wants).
    """
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)                            # (B, C), or (B,) for a one-logit model
        if count == 0:
            _check_first_batch(logits, y, loss_fn)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        # kept as tensors: .item() after every batch would make the CPU wait for the GPU
        total_loss += loss.detach() * len(y)
        correct += (_predictions(logits) == y).sum()
        count += len(y)
    return float(total_loss) / count, int(correct) / count


def evaluate(
    model: nn.Module, loader: Iterable, device="auto", *, loss_fn: Callable | None = None
) -> tuple[float, float]:
    """Return (mean loss, accuracy) of `model` over `loader`; no gradients, mode restored."""
    _check_model(model)
    _check_loader(loader, "loader")
    device = get_device(device)
    _check_model_on(model, device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.inference_mode():  # no_grad, and no version counters either
            for x, y in _batches(loader, "loader"):
                x, y = x.to(device), y.to(device)
                logits = model(x)
                if count == 0:
                    _check_first_batch(logits, y, loss_fn)
                total_loss += loss_fn(logits, y).item() * len(y)
                correct += (_predictions(logits) == y).sum().item()
                count += len(y)
    finally:
        model.train(was_training)
    return total_loss / count, correct / count


def predict(model: nn.Module, loader: Iterable, device="auto") -> tuple[torch.Tensor, torch.Tensor]:
    """Return (predicted labels, true labels) over `loader`, both on the CPU."""
    _check_model(model)
    _check_loader(loader, "loader")
    device = get_device(device)
    _check_model_on(model, device)
    was_training = model.training
    model.eval()
    preds, targets = [], []
    try:
        with torch.no_grad():  # not inference_mode: the predictions may go on into ordinary code
            for x, y in _batches(loader, "loader"):
                preds.append(_predictions(model(x.to(device))).cpu())
                targets.append(y.long().cpu())
    finally:
        model.train(was_training)
    return torch.cat(preds), torch.cat(targets)


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Return a (num_classes, num_classes) count matrix: rows are true labels, columns predictions."""
    preds, targets = torch.as_tensor(preds).reshape(-1).long(), torch.as_tensor(targets).reshape(-1).long()
    for name, t in (("preds", preds), ("targets", targets)):
        if len(t) and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"{name} must be class indices 0..{num_classes - 1} (num_classes={num_classes}), "
                             f"got values from {t.min().item()} to {t.max().item()}")
    return torch.bincount(targets * num_classes + preds, minlength=num_classes**2).reshape(num_classes, num_classes)


# The schedulers PyTorch's documentation says to step after every batch, not every epoch.
PER_BATCH_SCHEDULERS = (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR)


def _check_optimizer(model: nn.Module, optimizer, scheduler, steps: int | None = None) -> None:
    own = {id(p) for p in model.parameters()}
    if not any(id(p) in own for group in optimizer.param_groups for p in group["params"]):
        problem = ("the optimizer holds none of this model's parameters, so training would change nothing: it was "
                   "made for another model (did a re-run cell make a new one?); make it after the model, e.g. "
                   "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)")
    elif scheduler is not None and scheduler.optimizer is not optimizer:
        problem = "scheduler must wrap the optimizer passed to fit (pass both, or neither)"
    elif isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) and steps is not None and scheduler.total_steps < steps:
        problem = (f"the OneCycleLR schedule has total_steps={scheduler.total_steps}, but fit takes {steps} steps (one per "
                   "batch): make it with total_steps=epochs * len(train_loader)")
    else:
        return
    raise ValueError(problem)


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
    """Train `model` for `epochs` with `train_one_epoch`; return a history dict of per-epoch lists.

    Keys: train_loss, train_acc, seconds, and val_loss, val_acc when `val_loader` is given.
    The optimizer defaults to Adam(lr), the loss to CrossEntropyLoss; a learning-rate
    `scheduler`, if given, is stepped once at the end of every epoch, or after every batch for
    OneCycleLR and CyclicLR (PyTorch's documentation says to step those per batch).
    """
    _check_model(model)
    _check_loader(train_loader, "train_loader", reused=epochs > 1)
    if val_loader is not None:
        _check_loader(val_loader, "val_loader", reused=True)
    device = get_device(device)
    model.to(device)  # the optimizer keeps working: .to() moves the parameters' data, not the parameters
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    per_batch = isinstance(scheduler, PER_BATCH_SCHEDULERS)
    steps = epochs * len(train_loader) if per_batch and hasattr(train_loader, "__len__") else None
    _check_optimizer(model, optimizer, scheduler, steps)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "seconds": []}
    if val_loader is not None:
        history.update(val_loss=[], val_acc=[])

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        batches = _batches(train_loader, "train_loader")
        if progress:
            # disable= from the variable: tqdm.auto's Jupyter bar would ignore TQDM_DISABLE=1
            batches = tqdm(batches, desc=f"epoch {epoch}/{epochs}", leave=False, disable=_TQDM_OFF,
                           total=len(train_loader) if hasattr(train_loader, "__len__") else None)
        train_loss, train_acc = train_one_epoch(model, batches, optimizer, loss_fn, device,
                                                scheduler if per_batch else None)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        if scheduler is not None and not per_batch:
            scheduler.step()
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, device, loss_fn=loss_fn)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
        history["seconds"].append(time.perf_counter() - start)
        if progress:
            line = f"epoch {epoch}/{epochs}: train loss {train_loss:.4f}, acc {train_acc:.4f}"
            if val_loader is not None:
                line += f"; val loss {history['val_loss'][-1]:.4f}, acc {history['val_acc'][-1]:.4f}"
            print(line + f" ({history['seconds'][-1]:.1f} s)")
    return history
