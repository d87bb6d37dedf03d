"""Figures for the notebooks. Each takes data and `ax=None`, draws, and returns the axes; none saves files."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _image_array(img) -> np.ndarray:
    # (C, H, W) or (H, W) tensor/array -> (H, W) or (H, W, C) for imshow
    arr = img.detach().cpu().numpy() if isinstance(img, torch.Tensor) else np.asarray(img)
    if arr.ndim == 3 and arr.shape[0] in (1, 3):
        arr = arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0))
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        shape = tuple(img.shape) if hasattr(img, "shape") else arr.shape
        raise ValueError(f"img must be one image, (H, W), (1, H, W), (3, H, W) or (H, W, 3), got shape {shape}"
                         + (": for a batch use show_images, or pick one with img[0]" if len(shape) == 4 else ""))
    if arr.ndim == 3 and arr.dtype != np.uint8:
        lo, hi = arr.min(), arr.max()
        arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)  # RGB must sit in [0, 1]
    return arr


def show_image(img, ax=None, title: str | None = None, cmap: str = "gray"):
    """Show one image (tensor C x H x W, H x W, or array) on `ax`; return the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(_image_array(img), cmap=cmap)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=8)
    return ax


def show_images(images, labels: Sequence | None = None, *, ncols: int = 8, class_names=None, axes=None):
    """Show a grid of images with optional labels (indices into `class_names`, or strings)."""
    n = len(images)
    if labels is not None and len(labels) != n:
        raise ValueError(f"labels must have one entry per image: got {len(labels)} labels for {n} images")
    if axes is None:
        nrows = (n + ncols - 1) // ncols
        _, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    flat = np.asarray(axes).reshape(-1)
    for i, ax in enumerate(flat):
        if i >= n:
            ax.set_axis_off()
            continue
        title = None
        if labels is not None:
            lab = labels[i]
            lab = lab.item() if isinstance(lab, torch.Tensor) else lab
            title = class_names[int(lab)] if class_names is not None else str(lab)
        show_image(images[i], ax=ax, title=title)
    return axes


def plot_history(history: dict, ax=None):
    """Plot loss (left axis) and accuracy (right axis) per epoch from `fit`'s history; return the axes."""
    missing = [k for k in ("train_loss", "train_acc") if k not in history] if isinstance(history, dict) else None
    if missing or missing is None:
        got = f"it lacks {missing} (it has {list(history)})" if missing else f"got a {type(history).__name__}"
        raise ValueError(f"history must be the dict fit returns, with 'train_loss' and 'train_acc' lists; {got}: "
                         "pass it as it came, e.g. plot_history(history)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], "o-", label="train loss")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], "s-", label="val loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, history["train_acc"], "o--", color="tab:green", label="train acc")
    if history.get("val_acc"):
        ax2.plot(epochs, history["val_acc"], "s--", color="tab:red", label="val acc")
    ax2.set_ylabel("accuracy")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize=8)
    return ax


def plot_confusion_matrix(matrix, class_names: Sequence[str] | None = None, ax=None):
    """Draw a confusion matrix (rows: true, columns: predicted) with counts, or fractions; return the axes."""
    m = matrix.cpu().numpy() if isinstance(matrix, torch.Tensor) else np.asarray(matrix)  # (K, K)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(m, cmap="Blues")
    k = m.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=90, fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    counts = np.array_equal(m, np.round(m))  # a row-normalised matrix holds fractions: show them, not int()'s 0s
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{m[i, j]:.0f}" if counts else f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if m[i, j] > m.max() / 2 else "black")
    return ax


def show_misclassified(images, preds, targets, class_names=None, *, n: int = 16, ncols: int = 8, axes=None):
    """Show up to `n` images whose prediction differs from the label, titled 'pred (true)'."""
    wrong = (torch.as_tensor(preds) != torch.as_tensor(targets)).nonzero().flatten()[:n]
    if len(wrong) == 0:
        raise ValueError("no misclassified images to show")
    name = (lambda i: class_names[int(i)]) if class_names is not None else str
    titles = [f"{name(preds[i])}\n({name(targets[i])})" for i in wrong.tolist()]
    return show_images([images[i] for i in wrong.tolist()], titles, ncols=ncols, axes=axes)


def plot_decision_boundary(model, x, y, ax=None, device="cpu", *, steps: int = 200, margin: float = 0.25):
    """Colour the plane by `model`'s prediction, scatter the 2-D points `x` coloured by label `y`; return the axes.

    `model` maps (N, 2) points to one logit each, (N, 1) or (N,), or to (N, C) class scores. It runs
    on `device` in eval mode without gradients, and its mode is restored afterwards.
    """
    x = torch.as_tensor(x).detach().cpu().float()  # (N, 2)
    y = torch.as_tensor(y).detach().cpu().reshape(-1)  # (N,)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must hold 2-D points, shape (N, 2), got {tuple(x.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    lo, hi = x.min(dim=0).values - margin, x.max(dim=0).values + margin
    gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], steps), torch.linspace(lo[1], hi[1], steps), indexing="xy")
    grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (steps * steps, 2)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(grid.to(device)).float().cpu()
    finally:
        model.train(was_training)
    gx, gy = gx.numpy(), gy.numpy()
    if out.ndim == 1 or out.shape[1] == 1:
        # binary: shade by the probability of class 1 and draw the 0.5 line between the classes
        prob = torch.sigmoid(out.reshape(-1)).reshape(steps, steps).numpy()
        ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.4)
        if prob.min() < 0.5 < prob.max():
            ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1)
        cmap, vmin, vmax = "RdBu_r", 0, 1
    else:
        k = out.shape[1]
        cls = out.argmax(dim=1).reshape(steps, steps).numpy()
        ax.contourf(gx, gy, cls, levels=np.arange(k + 1) - 0.5, cmap="tab10", vmin=-0.5, vmax=9.5, alpha=0.3)
        cmap, vmin, vmax = "tab10", -0.5, 9.5
    ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), c=y.numpy(), cmap=cmap, vmin=vmin, vmax=vmax, s=8, edgecolors="none")
    ax.set_xlim(float(lo[0]), float(hi[0]))
    ax.set_ylim(float(lo[1]), float(hi[1]))
    ax.set_aspect("equal")
    return ax
