"""Exercises: every check accepts its reference answer and rejects a plausible wrong one with the
hint meant for it; a blank is "not yet", never an exception; solutions and notebooks stay in step.

The table below gives each exercise (id "NN.K") its accepted answers (for six of them the reference
solution itself, read from notebooks/solutions/ with `solution()`) and its rejected ones,
each with a piece of the hint the learner must see. Notebooks run in test_notebooks.py check the
rest: 0 exercises passed as shipped, all passed with the solutions filled in.
"""

from __future__ import annotations

import ast
import copy
import math
import runpy
import string
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from dlcourse import exercises
from dlcourse.exercises import check, score, set_language, summary
from dlcourse.exercises_ko import KO

ROOT = Path(__file__).resolve().parent.parent

_SOLUTIONS = runpy.run_path(str(ROOT / "tools" / "solutions.py"))


def solution(ex_id: str, name: str):
    """`name` as defined by the reference solution of exercise `ex_id` (notebooks/solutions/),
    run with the names a notebook has imported: the table below accepts the solutions as written."""
    path = next((ROOT / "notebooks" / "solutions").glob(f"{ex_id[:2]}_*.py"))
    namespace = {"torch": torch, "nn": nn, "F": nn.functional}
    exec(compile(_SOLUTIONS["read_solutions"](path)[ex_id], str(path), "exec"), namespace)
    return namespace[name]


def passes(ex_id: str, *answer) -> bool:
    """check() as the notebook calls it (it prints one line), then whether it counted as correct."""
    check(ex_id, *answer)
    return exercises._RESULTS[ex_id] == "correct"


# id -> (list of accepted answers, list of (wrong answer, a piece of its hint)); each answer is a
# tuple of the arguments the notebook passes to check().
TABLE: dict[str, tuple[list[tuple], list[tuple[tuple, str]]]] = {}

# ---- 01 model concept ----

TABLE["01.1"] = (
    [(solution("01.1", "grads_with_bias"),)],
    [((lambda w, b, x, y: (((w * x + b - y) * x).mean(), (w * x + b - y).mean()),), "factor 2"),
     ((lambda w, b, x, y: ((2 * (w * x + b - y) * x).mean(), (2 * (w * x + b - y) * x).mean()),), "factor 1 for b"),
     ((lambda w, b, x, y: ((2 * (y - w * x - b) * x).mean(), (2 * (y - w * x - b)).mean()),), "sign is flipped"),
     ((lambda w, b, x, y: ((2 * (w * x + b - y) * x).sum(), (2 * (w * x + b - y)).sum()),), "divide the sum by N"),
     ((lambda w, b, x, y: (2 * (w * x + b - y) * x).mean(),), "the pair (dL/dw, dL/db)")],
)
TABLE["01.2"] = (
    [(lambda w, x, y, lr: w - lr * (2 * (w * x - y) * x).mean(),)],
    [((lambda w, x, y, lr: w + lr * (2 * (w * x - y) * x).mean(),), "uphill"),
     ((lambda w, x, y, lr: w - (2 * (w * x - y) * x).mean(),), "learning rate")],
)


_WithBias = solution("01.3", "ScoreModelWithBias")


class _NoBias(_WithBias):
    def forward(self, x):
        return self.w * x


class _PlainTensors(nn.Module):
    def __init__(self):
        super().__init__()
        self.w, self.b = torch.zeros(1), torch.zeros(1)

    def forward(self, x):
        return self.w * x + self.b


TABLE["01.3"] = (
    [(_WithBias,)],
    [((_NoBias,), "forgets the bias"), ((_PlainTensors,), "nn.Parameter"), ((_WithBias(),), "the class itself")],
)
TABLE["01.4"] = (
    [(lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).mean(),)],
    [((lambda p, y: (y * p.log() + (1 - y) * (1 - p).log()).mean(),), "minus in front"),
     ((lambda p, y: -(y * p.log() + (1 - y) * (1 - p).log()).sum(),), "not a sum"),
     ((lambda p, y: -(y * p.log()).mean(),), "1 - y")],
)

# ---- 02 nn.Linear and stacking ----

TABLE["02.1"] = (
    [(lambda x, W, b: x @ W.T + b,)],
    [((lambda x, W, b: x @ W.T,), "bias"), ((lambda x, W, b: x @ W + b,), "Your code raised RuntimeError")],
)
TABLE["02.2"] = (
    [(lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)),)],
    [((lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(n_in, hidden), nn.Linear(hidden, n_out)),), "nn.ReLU()"),
     ((lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(n_in, n_out), nn.ReLU()),), "parameters"),
     ((lambda n_in, hidden, n_out: [nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)],), "nn.Sequential")],
)
TABLE["02.3"] = (
    [(lambda W1, b1, W2, b2: (W2 @ W1, W2 @ b1 + b2),)],
    [((lambda W1, b1, W2, b2: (W2 @ W1, W2 @ b1),), "+ b2"),
     ((lambda W1, b1, W2, b2: ((W1.T @ W2.T), W2 @ b1 + b2),), "W2 @ W1"),
     ((lambda W1, b1, W2, b2: W2 @ W1,), "pair (W, b)")],
)

# ---- 03 MLP image classifier ----

TABLE["03.1"] = (
    [(lambda images: images.flatten(start_dim=1),), (lambda images: images.reshape(len(images), -1),)],
    [((lambda images: images.flatten(),), "keep the batch dimension"),
     ((lambda images: images.reshape(784, -1),), "expected (3, 784)")],
)


def _step_without_zero_grad(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _zero_grad_too_late(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


_train_step = solution("03.2", "train_step")
TABLE["03.2"] = (
    [(_train_step,)],
    [((_step_without_zero_grad,), "zero_grad() before loss.backward()"),
     ((_zero_grad_too_late,), "did not change"),
     ((lambda model, x, y, optimizer, loss_fn: _train_step(model, x, y, optimizer, loss_fn) and
       loss_fn(model(x), y),), "plain number")],
)
TABLE["03.3"] = (
    [(lambda logits, y: (logits.argmax(dim=1) == y).float().mean().item(),),
     (lambda logits, y: (logits.argmax(1) == y).float().mean(),)],
    [((lambda logits, y: (logits.argmax(dim=1) == y).sum().item(),), "divide it by the number"),
     ((lambda logits, y: (logits.max(dim=1).values == y).float().mean().item(),), "argmax(dim=1)"),
     ((lambda logits, y: logits.argmax(dim=1) == y,), "one number")],
)


def _evaluate_loss_in_train_mode(model, loader, loss_fn):
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() * len(y) for x, y in loader) / sum(len(y) for _, y in loader)


def _mean_of_batch_means(model, loader, loss_fn):
    model.eval()
    with torch.no_grad():
        losses = [loss_fn(model(x), y).item() for x, y in loader]
    return sum(losses) / len(losses)


TABLE["03.4"] = (
    [(solution("03.4", "evaluate_loss"),)],
    [((_evaluate_loss_in_train_mode,), "model.eval()"), ((_mean_of_batch_means,), "the last batch is smaller")],
)


# ---- 04 parameter explosion ----

def _mlp_parameters(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def _parameter_megabytes(model):
    return sum(p.numel() * p.element_size() for p in model.parameters()) / 1e6


TABLE["04.1"] = (
    [(_mlp_parameters,)],
    [((lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])),), "biases"),
     ((lambda sizes: sum(a * b + a for a, b in zip(sizes, sizes[1:])),), "not per input"),
     ((lambda sizes: sizes[0] * sizes[1] + sizes[1],), "for each pair")],
)
TABLE["04.2"] = (
    [(_parameter_megabytes,)],
    [((lambda model: sum(p.numel() for p in model.parameters()) / 1e6,), "element_size"),
     ((lambda model: _parameter_megabytes(model) * 1e6 / 2**20,), "10**6 bytes"),
     ((lambda model: sum(p.numel() for p in model.parameters()) * 4 / 1e6,), "float64")],
)
TABLE["04.3"] = (
    [(lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])),)],
    [((_mlp_parameters,), "biases are additions"),
     ((lambda sizes: 2 * sum(a * b for a, b in zip(sizes, sizes[1:])),), "FLOPs"),
     ((lambda sizes: sizes[0] * sizes[1],), "once per image")],
)
TABLE["04.4"] = (
    [(lambda c_in, c_out, k: c_out * c_in * k * k + c_out,)],
    [((lambda c_in, c_out, k: c_out * c_in * k * k,), "biases"),
     ((lambda c_in, c_out, k: c_out * k * k + c_out,), "every input channel"),
     ((lambda c_in, c_out, k: c_out * c_in * k + c_out,), "k*k")],
)


# ---- 05 CNN ideas ----

def _conv2d_loops(x, weight, bias, flip=False, add_bias=True):
    c_out, c_in, kh, kw = weight.shape
    if flip:
        weight = weight.flip(-2, -1)
    out = torch.empty(c_out, x.shape[1] - kh + 1, x.shape[2] - kw + 1)
    for o in range(c_out):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[o, i, j] = (x[:, i:i + kh, j:j + kw] * weight[o]).sum() + (bias[o] if add_bias else 0)
    return out


def _max_pool(fmap, size=2, stride=None, reduce=torch.amax):
    stride = stride or size
    out = torch.empty((fmap.shape[0] - size) // stride + 1, (fmap.shape[1] - size) // stride + 1)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = reduce(fmap[i * stride:i * stride + size, j * stride:j * stride + size])
    return out


TABLE["05.1"] = (
    [(_conv2d_loops,)],
    [((lambda x, w, b: _conv2d_loops(x, w, b, flip=True),), "does not flip"),
     ((lambda x, w, b: _conv2d_loops(x, w, b, add_bias=False),), "add the bias"),
     ((lambda x, w, b: _conv2d_loops(x[:1], w[:, :1], b),), "all input channels"),
     ((lambda x, w, b: _conv2d_loops(x, w, b)[:, :-1],), "the shape is")],
)
TABLE["05.2"] = (
    [(lambda size, kernel, stride=1, padding=0: (size + 2 * padding - kernel) // stride + 1,)],
    [((lambda size, kernel, stride=1, padding=0: (size + 2 * padding - kernel) / stride + 1,), "floor division"),
     ((lambda size, kernel, stride=1, padding=0: (size + padding - kernel) // stride + 1,), "both sides"),
     ((lambda size, kernel, stride=1, padding=0: (size + 2 * padding - kernel) // stride,), "+ 1"),
     ((lambda size, kernel, stride=1, padding=0: (size - kernel) // stride + 1,), "nn.Conv2d gives")],
)
TABLE["05.3"] = (
    [(_max_pool,)],
    [((lambda fmap, size=2: _max_pool(fmap, size, reduce=torch.mean),), "average pooling"),
     ((lambda fmap, size=2: _max_pool(fmap, size, stride=1),), "overlap"),
     ((lambda fmap, size=2: _max_pool(fmap, size, reduce=torch.amin),), "the max of")],
)


# ---- 06 Dataset and DataLoader ----

def _parse_tab(line):
    path, label = line.rstrip("\n").split("\t")
    return path, int(label)


def _parse_spaces(line):
    parts = line.split()
    return parts[0], int(parts[-1])


def _file_dataset(float_label=True, scale=True, channel=True, swap=False, gray=True):
    """A Dataset class like the notebook's answer to 06.2, with one of the usual mistakes switched on."""
    import numpy as np
    from PIL import Image

    class FileDataset(torch.utils.data.Dataset):
        def __init__(self, samples, size=(28, 28)):
            self.samples, self.size = samples, size

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, index):
            path, label = self.samples[index]
            image = Image.open(path)
            image = image.convert("L") if gray else image.convert("RGB")
            image = image.resize(self.size if swap else (self.size[1], self.size[0]))
            x = torch.from_numpy(np.array(image)).float()
            x = x.div(255) if scale else x
            x = x.unsqueeze(0) if channel and gray else x
            return x, torch.tensor(label, dtype=torch.float32 if float_label else torch.long)

    return FileDataset


TABLE["06.1"] = (
    [(_parse_tab,)],
    [((_parse_spaces,), "TAB"), ((lambda line: tuple(line.rstrip("\n").split("\t")),), "int(label)")],
)
TABLE["06.2"] = (
    [(_file_dataset(),)],
    [((_file_dataset(float_label=False),), "float"), ((_file_dataset(scale=False),), "255"),
     ((_file_dataset(channel=False),), "channel"), ((_file_dataset(swap=True),), "(W, H)"),
     ((_file_dataset(gray=False),), "gray"), ((_file_dataset()(_ := []),), "the class itself")],
)
TABLE["06.3"] = (
    [(lambda out: out.squeeze(1),)],
    [((lambda out: out.squeeze(),), "squeeze(1)"), ((lambda out: out.T,), "squeeze(1)")],
)


# ---- 07 transfer learning ----

def _freeze_everything(model):
    for p in model.parameters():
        p.requires_grad = False
    return model


_new_head = solution("07.1", "new_head")
TABLE["07.1"] = (
    [(_new_head,)],
    [((lambda m, n: setattr(m, "fc", torch.nn.Linear(m.fc.in_features, 5)) or m,), "num_classes"),
     ((lambda m, n: setattr(m, "fc", torch.nn.Linear(512, n)) or m,), "model.fc.in_features"),
     ((lambda m, n: copy.deepcopy(_new_head(m, n)),), "return it")],
)
TABLE["07.2"] = (
    [(solution("07.2", "freeze_all_but_fc"),)],
    [((_freeze_everything,), "keep model.fc trainable"), ((lambda m: m.eval(),), "nothing was frozen")],
)
TABLE["07.3"] = (
    [(lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad),)],
    [((lambda m: sum(p.numel() for p in m.parameters()),), "requires_grad"),
     ((lambda m: sum(1 for p in m.parameters() if p.requires_grad),), "numel")],
)
TABLE["07.4"] = (
    [(lambda logits, y: (logits.argmax(dim=1) != y).float().mean().item(),)],
    [((lambda logits, y: (logits.argmax(dim=1) == y).float().mean().item(),), "accuracy"),
     ((lambda logits, y: (logits.argmax(dim=1) != y).sum().item(),), "number of mistakes"),
     ((lambda logits, y: (logits.argmax(dim=0) != y).float().mean(),), "must match the size")],
)


# More right answers learners write (other idioms: reshape/view/flatten, loops or one vectorised
# line, a float or a 0-d tensor, nn.functional or modules), and more of the usual mistakes: at least
# three of each per exercise, the table above included. SHOWN holds, per exercise, the mistake of
# copying a number or output the notebook shows (the checks use inputs the learner has not seen).
F = nn.functional


def _grads_autograd(w, b, x, y):
    w, b = w.clone().requires_grad_(), b.clone().requires_grad_()
    return torch.autograd.grad(((w * x + b - y) ** 2).mean(), [w, b])


def _loop_bce(p, y):
    total = 0.0
    for pi, yi in zip(p.tolist(), y.tolist()):
        total -= yi * math.log(pi) + (1 - yi) * math.log(1 - pi)
    return total / len(p)


class _WithBias0d(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.0))
        self.b = nn.Parameter(torch.tensor(0.0))

    def forward(self, x):
        return x * self.w + self.b


class _WithBiasZerosLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.b = nn.Parameter(torch.zeros_like(self.w))

    def forward(self, x):
        return torch.addcmul(self.b, self.w, x)


class _WithBiasRandom(_WithBias):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(1))


class _WithBiasLinearForm(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.add(torch.mul(self.w, x), self.b)


def _freeze_loop_fc(model):
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.fc.parameters():
        p.requires_grad_(True)
    return model


def _file_dataset_pil_to_tensor():
    from PIL import Image
    from torchvision.transforms import functional as TF

    class FileDataset(torch.utils.data.Dataset):
        def __init__(self, samples, size=(28, 28)):
            self.samples, self.size = samples, size

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, index):
            path, label = self.samples[index]
            with Image.open(path) as image:
                small = image.convert("L").resize(self.size[::-1], Image.Resampling.BICUBIC)
            return TF.pil_to_tensor(small).float() / 255.0, torch.as_tensor(label, dtype=torch.float)

    return FileDataset


class _Mlp(nn.Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(n_in, hidden), nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def _step_zero_grad_first(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss)


def _step_model_zero_grad(model, x, y, optimizer, loss_fn):
    model.zero_grad()
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_twice(model, x, y, optimizer, loss_fn):
    _train_step(model, x, y, optimizer, loss_fn)
    return _train_step(model, x, y, optimizer, loss_fn)


def _accuracy_loop(logits, y):
    right = 0
    for row, label in zip(logits, y):
        right += int(row.argmax() == label)
    return right / len(y)


def _evaluate_loss_dataset(model, loader, loss_fn):
    model.eval()
    with torch.no_grad():
        total = sum(loss_fn(model(x), y).item() * x.shape[0] for x, y in loader)
    return total / len(loader.dataset)


def _evaluate_loss_restores_train(model, loader, loss_fn):
    model.eval()
    losses, counts = [], []
    with torch.inference_mode():
        for x, y in loader:
            losses.append(F.cross_entropy(model(x), y, reduction="sum"))
            counts.append(len(y))
    model.train()
    return (torch.stack(losses).sum() / sum(counts)).item()


def _evaluate_loss_no_no_grad(model, loader, loss_fn):
    model.eval()
    total = 0
    for x, y in loader:
        total = total + loss_fn(model(x), y) * len(y)
    return total / len(loader.dataset)


def _conv_unfold(x, weight, bias):
    c_out, c_in, kh, kw = weight.shape
    h, w = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    cols = F.unfold(x[None], (kh, kw))[0]  # (C_in*kh*kw, h*w)
    return (weight.reshape(c_out, -1) @ cols + bias[:, None]).reshape(c_out, h, w)


def _conv_einsum(x, weight, bias):
    c_out, c_in, kh, kw = weight.shape
    windows = x.unfold(1, kh, 1).unfold(2, kw, 1)  # (C_in, h, w, kh, kw)
    return torch.einsum("chwij,ocij->ohw", windows, weight) + bias.view(-1, 1, 1)


def _conv_stack(x, weight, bias):
    c_out, _, kh, kw = weight.shape
    rows = []
    for o in range(c_out):
        rows.append(torch.stack([torch.stack([(x[:, i:i + kh, j:j + kw] * weight[o]).sum() + bias[o]
                                              for j in range(x.shape[2] - kw + 1)])
                                 for i in range(x.shape[1] - kh + 1)]))
    return torch.stack(rows)


def _pool_reshape(fmap, size=2):
    h, w = fmap.shape[0] // size, fmap.shape[1] // size
    return fmap[:h * size, :w * size].reshape(h, size, w, size).amax(dim=(1, 3))


def _pool_unfold(fmap, size=2):
    return fmap.unfold(0, size, size).unfold(1, size, size).amax(dim=(-2, -1))


def _pool_ceil(fmap, size=2):
    return F.max_pool2d(fmap[None], size, ceil_mode=True)[0]


def _file_dataset_torchvision():
    from PIL import Image
    from torchvision.transforms import functional as TF

    class FileDataset(torch.utils.data.Dataset):
        def __init__(self, samples, size=(28, 28)):
            self.samples, self.size = samples, size

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, index):
            path, label = self.samples[index]
            image = TF.resize(Image.open(path).convert("L"), list(self.size))
            return TF.to_tensor(image), torch.tensor(float(label))

    return FileDataset


def _file_dataset_read_image():
    from torchvision.io import ImageReadMode, read_image
    from torchvision.transforms import functional as TF

    class FileDataset(torch.utils.data.Dataset):
        def __init__(self, samples, size=(28, 28)):
            self.samples, self.size = samples, size

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, index):
            path, label = self.samples[index]
            x = read_image(str(path), ImageReadMode.GRAY).float() / 255
            return TF.resize(x, list(self.size), antialias=True), torch.tensor(label).float()

    return FileDataset


def _file_dataset_first_file():
    base = _file_dataset()

    class FileDataset(base):
        def __getitem__(self, index):
            return super().__getitem__(0)

    return FileDataset


def _freeze_named(model):
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("fc.")
    return model


def _freeze_modules(model):
    model.requires_grad_(False)
    model.fc.requires_grad_(True)


def _freeze_except_weight(model):
    _freeze_everything(model)
    model.fc.weight.requires_grad = True
    return model


def _freeze_fc_only(model):
    for p in model.fc.parameters():
        p.requires_grad = False
    return model


def _head_sequential(m, n):
    m.fc = nn.Sequential(nn.Linear(m.fc.in_features, n))
    return m


def _head_no_bias(m, n):
    m.fc = nn.Linear(m.fc.in_features, n, bias=False)
    return m


def _head_named(m, n):
    in_features = m.fc.in_features
    setattr(m, "fc", nn.Linear(in_features=in_features, out_features=n))
    return m


def _parse_rsplit(line):
    path, label = line.rsplit("\t", 1)
    return path, int(label.strip())


def _parse_partition(line):
    path, _, label = line.strip("\n").partition("\t")
    return (path, int(label))


class _PrintsTheNotebooksPrediction(_WithBias):
    def forward(self, x):
        return torch.full_like(x, 66.0)  # "midterm 70 -> predicted final 66.0"


def _const(value):
    """An answer that returns what the notebook showed, whatever it is given."""
    return lambda *args: value


MORE = {
    "01.1": ([(lambda w, b, x, y: (torch.mean(2 * x * (w * x + b - y)), torch.mean(2 * (w * x + b - y))),),
              (lambda w, b, x, y: tuple(float(v) for v in ((2 * (w * x + b - y) * x).mean(), (2 * (w * x + b - y)).mean())),),
              (lambda w, b, x, y: [2 * ((w * x + b - y) * x).sum() / len(x), 2 * (w * x + b - y).sum() / len(x)],),
              (_grads_autograd,), (lambda w, b, x, y: (2 * ((w * x + b - y) @ x) / x.numel(), 2 * (w * x + b - y).mean()),)],
             [((lambda w, b, x, y: ((2 * (w * x - y) * x).mean(), (2 * (w * x - y)).mean()),), "dL/dw is")]),
    "01.2": ([(lambda w, x, y, lr: w - lr * 2 * ((w * x - y) * x).mean(),),
              (lambda w, x, y, lr: float(w) - lr * float((2 * (w * x - y) * x).mean()),),
              (lambda w, x, y, lr: w - lr * torch.mean(2 * x * (x * w - y)),)],
             [((lambda w, x, y, lr: w - lr * (2 * (w * x - y)).mean(),), "the new w"),
              ((lambda w, x, y, lr: w - lr * (2 * (w * x - y) * x).sum(),), "the new w")]),
    "01.3": ([(_WithBias0d,), (_WithBiasZerosLike,), (_WithBiasLinearForm,)],
             [((_WithBiasRandom,), "start both w and b at 0")]),
    "01.4": ([(lambda p, y: F.binary_cross_entropy(p, y),), (lambda p, y: nn.BCELoss()(p, y),), (_loop_bce,),
              (lambda p, y: -torch.where(y == 1, p, 1 - p).log().mean(),)],
             [((lambda p, y: -(y * p.log10() + (1 - y) * (1 - p).log10()).mean(),), "compare with the formula")]),
    "02.1": ([(lambda x, W, b: F.linear(x, W, b),), (lambda x, W, b: torch.matmul(x, W.t()) + b,),
              (lambda x, W, b: (W @ x.T).T + b,), (lambda x, W, b: torch.einsum("bi,oi->bo", x, W) + b,),
              (lambda x, W, b: torch.stack([W @ row + b for row in x]),)],
             [((lambda x, W, b: x @ W.T - b,), "x @ W.T + b")]),
    "02.2": ([(lambda n_in, hidden, n_out: _Mlp(n_in, hidden, n_out),),
              (lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out)),),
              (lambda n_in, hidden, n_out: nn.Sequential(*[nn.Linear(n_in, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_out)]),)],
             [((lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out), nn.ReLU()),),
               "no ReLU after the last layer"),
              ((lambda n_in, hidden, n_out: nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)) if n_in == 2 else
                nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)),), "parameters")]),
    "02.3": ([(lambda W1, b1, W2, b2: (torch.mm(W2, W1), torch.mv(W2, b1) + b2),),
              (lambda W1, b1, W2, b2: [W2 @ W1, b2 + (W2 @ b1[:, None])[:, 0]],),
              (lambda W1, b1, W2, b2: (F.linear(W1.T, W2).T, F.linear(b1, W2, b2)),)],
             [((lambda W1, b1, W2, b2: (W2 @ W1, b1 + b2 if len(b1) == len(b2) else W2 @ b1 + b2 + 1),), "W2 @ b1 + b2")]),
    "03.1": ([(lambda images: images.view(images.size(0), -1),), (lambda images: images.reshape(-1, 784),),
              (lambda images: torch.flatten(images, 1),), (lambda images: nn.Flatten()(images),),
              (lambda images: images.view(images.shape[0], 28 * 28),)],
             [((lambda images: images.squeeze(),), "expected"), ((lambda images: images.reshape(4, 784),), "Your code raised")]),
    "03.2": ([(_step_zero_grad_first,), (_step_model_zero_grad,),
              (lambda model, x, y, optimizer, loss_fn: _train_step(model, x, y, optimizer, loss_fn) + 0.0,)],
             [((_step_twice,), "the order is"),
              ((lambda model, x, y, optimizer, loss_fn: loss_fn(model(x), y).item(),), "did not change")]),
    "03.3": ([(lambda logits, y: (logits.argmax(1) == y).sum().item() / len(y),), (_accuracy_loop,),
              (lambda logits, y: logits.softmax(dim=1).argmax(dim=1).eq(y).double().mean(),),
              (lambda logits, y: torch.mean((torch.max(logits, 1).indices == y).float()).item(),)],
             [((lambda logits, y: (logits.argmax(dim=0)[:len(y)] == y[:logits.shape[1]]).float().mean().item(),), "argmax(dim=1)")]),
    "03.4": ([(_evaluate_loss_dataset,), (_evaluate_loss_restores_train,),
              (lambda model, loader, loss_fn: solution("03.4", "evaluate_loss")(model, loader, loss_fn) * 1.0,)],
             [((_evaluate_loss_no_no_grad,), "torch.no_grad()"),
              ((lambda model, loader, loss_fn: model.eval() and 0 or
                sum(loss_fn(model(x), y).item() * len(y) for x, y in loader) / 64,), "divide by the number")]),
    "04.1": ([(lambda sizes: sum(nn.Linear(a, b, device="meta").weight.numel() + b for a, b in zip(sizes, sizes[1:])),),
              (lambda sizes: sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1)),),
              (lambda sizes: float(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))),),
              (lambda sizes: torch.tensor([(a + 1) * b for a, b in zip(sizes, sizes[1:])]).sum(),)],
             [((lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:3])),), "for [10, 20, 30, 4]")]),
    "04.2": ([(lambda model: sum(p.nelement() * p.element_size() for p in model.parameters()) * 1e-6,),
              (lambda model: torch.tensor(sum(p.numel() * p.element_size() for p in model.parameters()) / 10**6),),
              (lambda model: sum(p.numel() * torch.finfo(p.dtype).bits // 8 for p in model.parameters()) / 1_000_000,)],
             [((lambda model: sum(p.numel() * p.element_size() for p in model.parameters()) / 1e3,), "add up")]),
    "04.3": ([(lambda sizes: sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)),),
              (lambda sizes: int(torch.tensor(sizes[:-1]) @ torch.tensor(sizes[1:])),),
              (lambda sizes: float(sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))),)],
             [((lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])) + len(sizes),), "PyTorch's FLOP counter")]),
    "04.4": ([(lambda c_in, c_out, k: (c_in * k * k + 1) * c_out,),
              (lambda c_in, c_out, k: c_out * c_in * k ** 2 + c_out,),
              (lambda c_in, c_out, k: sum(p.numel() for p in nn.Conv2d(c_in, c_out, k, device="meta").parameters()),)],
             [((lambda c_in, c_out, k: c_in * c_out * k * k + c_in,), "holds")]),
    "05.1": ([(_conv_unfold,), (_conv_einsum,), (_conv_stack,),
              (lambda x, w, b: F.conv2d(x.unsqueeze(0), w, b).squeeze(0),)],
             [((lambda x, w, b: F.conv2d(x[None], w, b),), "the shape is")]),
    "05.2": ([(lambda size, kernel, stride=1, padding=0: math.floor((size + 2 * padding - kernel) / stride) + 1,),
              (lambda size, kernel, stride=1, padding=0: int((size - kernel + 2 * padding) / stride + 1),),
              (lambda size, kernel, stride=1, padding=0: len(range(0, size + 2 * padding - kernel + 1, stride)),)],
             [((lambda size, kernel, stride=1, padding=0: (size + 2 * padding - kernel + 1) // stride,), "padding")]),
    "05.3": ([(_pool_reshape,), (_pool_unfold,), (lambda fmap, size=2: F.max_pool2d(fmap[None], size)[0],),
              (lambda fmap, size=2: nn.MaxPool2d(size)(fmap.unsqueeze(0)).squeeze(0),)],
             [((_pool_ceil,), "the shape is"), ((lambda fmap, size=2: F.max_pool2d(fmap[None], size),), "the shape is")]),
    "06.1": ([(_parse_rsplit,), (_parse_partition,), (lambda line: (lambda p, l: (p, int(l)))(*line.strip().split("\t")),)],
             [((lambda line: (line.split("\t")[0], line.split("\t")[1]),), "int(label)"),
              ((lambda line: (line.split("\t")[0], float(line.split("\t")[1])),), "should be an int")]),
    "06.2": ([(_file_dataset_torchvision(),), (_file_dataset_read_image(),), (_file_dataset_pil_to_tensor(),)],
             [((_file_dataset_first_file(),), "other pixels")]),
    "06.3": ([(lambda out: out.view(-1),), (lambda out: out.reshape(len(out)),), (lambda out: out[..., 0],)],
             [((lambda out: out.squeeze(0),), "the shape is"), ((lambda out: out.sum(),), "squeeze(1)")]),
    "07.1": ([(_head_named,), (lambda m, n: setattr(m, "fc", nn.Linear(m.fc.weight.shape[1], n)) or m,),
              (lambda m, n: m.__setattr__("fc", nn.Linear(m.fc.in_features, n, bias=True)) or m,)],
             [((_head_sequential,), "should be an nn.Linear"), ((_head_no_bias,), "keep the bias")]),
    "07.2": ([(_freeze_named,), (_freeze_modules,), (_freeze_loop_fc,)],
             [((_freeze_except_weight,), "bias is frozen"), ((_freeze_fc_only,), "only fc.weight and fc.bias")]),
    "07.3": ([(lambda m: sum(p.numel() for _, p in m.named_parameters() if p.requires_grad),),
              (lambda m: torch.tensor([p.numel() for p in m.parameters() if p.requires_grad]).sum(),),
              (lambda m: sum(math.prod(p.shape) for p in filter(lambda p: p.requires_grad, m.parameters())),)],
             [((lambda m: sum(p.numel() for p in m.fc.parameters()),), "fc alone")]),
    "07.4": ([(lambda logits, labels: (logits.argmax(1) != labels).sum().item() / len(labels),),
              (lambda logits, labels: 1.0 - (logits.argmax(dim=1) == labels).float().mean().item(),),
              (lambda logits, labels: sum(int(r.argmax() != t) for r, t in zip(logits, labels)) / len(labels),)],
             [((lambda logits, labels: (logits.argmin(dim=1) != labels).float().mean().item(),), "argmax(dim=1)")]),
}

# The number or output the notebook shows, copied as the answer.
SHOWN = {
    "01.1": (_const((-9150.0, -150.0)), "dL/dw is"),
    "01.2": (_const(0.9433), "the new w"),
    "01.3": (_PrintsTheNotebooksPrediction, "start both w and b at 0"),
    "01.4": (_const(torch.tensor(0.0198)), "compare with the formula"),
    "02.1": (_const(torch.zeros(4, 2)), "x @ W.T + b"),
    "02.2": (_const(nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))), "parameters"),
    "02.3": (_const((torch.zeros(3, 2), torch.zeros(3))), "the merged weight"),
    "03.1": (_const(torch.zeros(4, 784)), "the shape is"),
    "03.2": (_const(0.4928), "the weights did not change"),
    "03.3": (_const(0.8946), "argmax(dim=1)"),
    "03.4": (_const(0.2821), "add up loss.item()"),
    "04.1": (_const(79510), "you get 79,510"),
    "04.2": (_const(0.32), "add up"),
    "04.3": (_const(79400), "PyTorch's FLOP counter"),
    "04.4": (_const(640), "holds"),
    "05.1": (_const(torch.zeros(4, 5, 5)), "output[o, i, j]"),
    "05.2": (_const(26), "nn.Conv2d gives"),
    "05.3": (_const(torch.tensor([[5.0, 2.0], [2.0, 8.0]])), "the shape is"),
    "06.1": (_const(("T-shirt_top/00001.png", 0)), "TAB"),
    "06.2": (_file_dataset_first_file(), "other pixels"),  # every index gives the first sample, the one printed
    "06.3": (_const(torch.zeros(64)), "the shape is"),
    "07.1": (lambda m, n: setattr(m, "fc", nn.Linear(512, 5)) or m, "num_classes"),
    "07.2": (lambda m: [p.requires_grad_(p.numel() in (512 * 5, 5)) for p in m.parameters()] and m, "keep model.fc trainable"),
    "07.3": (_const(2565), "expected"),
    "07.4": (_const(0.259), "the predicted class"),
}


def test_each_exercise_tries_three_other_right_answers_and_three_usual_mistakes():
    for ex_id, (accepted, rejected) in TABLE.items():
        more_ok, more_wrong = MORE[ex_id]
        assert len(accepted) + len(more_ok) >= 4, f"{ex_id}: the reference and at least 3 other right answers"
        assert len(rejected) + len(more_wrong) + 1 >= 3, f"{ex_id}: at least 3 usual mistakes, SHOWN's copy among them"
        assert ex_id in SHOWN


@pytest.mark.parametrize("ex_id", sorted(MORE))
def test_other_right_answers_pass_and_more_mistakes_get_their_hint(ex_id, capsys):
    more_ok, more_wrong = MORE[ex_id]
    for answer in more_ok:
        assert passes(ex_id, *answer), capsys.readouterr().out
    capsys.readouterr()
    for answer, hint in more_wrong:
        assert not passes(ex_id, *answer), capsys.readouterr().out
        line = capsys.readouterr().out
        assert line.count("\n") == 1 and ": not yet." in line and hint in line, line


@pytest.mark.parametrize("ex_id", sorted(SHOWN))
def test_a_number_copied_from_the_notebook_is_not_yet(ex_id, capsys):
    answer, hint = SHOWN[ex_id]
    assert not passes(ex_id, answer)
    line = capsys.readouterr().out
    assert ": not yet." in line and (hint is None or hint in line), line


def test_every_checker_has_a_row_in_the_table():
    assert sorted(TABLE) == sorted(exercises._CHECKS)


@pytest.mark.parametrize("ex_id", sorted(TABLE))
def test_reference_answers_pass_and_wrong_ones_get_their_hint(ex_id, capsys):
    accepted, rejected = TABLE[ex_id]
    assert accepted and rejected, f"{ex_id} needs at least one accepted and one rejected answer"
    for answer in accepted:
        assert passes(ex_id, *answer), capsys.readouterr().out
    capsys.readouterr()  # drop the accepted answers' "correct." lines before reading the hints
    for answer, hint in rejected:
        assert not passes(ex_id, *answer)
        line = capsys.readouterr().out
        assert line.count("\n") == 1 and "not yet" in line and hint in line, line


@pytest.mark.parametrize("ex_id", sorted(TABLE))
def test_a_blank_is_not_yet_and_never_an_exception(ex_id, capsys):
    accepted, _ = TABLE[ex_id]
    blank = tuple(... for _ in accepted[0])
    assert not passes(ex_id, *blank)
    assert exercises._RESULTS[ex_id] == "not tried"
    assert "not tried yet. fill in the blank" in capsys.readouterr().out


def test_a_function_left_blank_and_one_that_raises_are_not_yet(capsys):
    @exercises.exercise("00.1")
    def _(fn):
        exercises._close(exercises._call(fn, torch.ones(2)), torch.ones(2), exercises.Text("return x"))

    def blank(x):
        ...

    def no_return(x):
        x + 1

    def broken(x):
        return x @ torch.ones(3)

    try:
        assert not passes("00.1", blank)
        assert exercises._RESULTS["00.1"] == "not tried"
        assert "not tried yet. fill in the blank" in capsys.readouterr().out
        assert not passes("00.1", no_return)
        assert exercises._RESULTS["00.1"] == "not yet"
        assert "returns nothing yet" in capsys.readouterr().out
        assert not passes("00.1", broken)
        assert "Your code raised RuntimeError" in capsys.readouterr().out
        assert passes("00.1", lambda x: x)
        assert score()["exercises_passed"] >= 1
    finally:
        del exercises._CHECKS["00.1"], exercises._RESULTS["00.1"]


def test_checks_leave_the_global_random_generator_alone():
    torch.manual_seed(0)
    want = torch.rand(3)
    torch.manual_seed(0)
    for ex_id, (accepted, rejected) in TABLE.items():
        check(ex_id, *accepted[0])
        for answer, _ in rejected:
            check(ex_id, *answer)
    assert torch.equal(torch.rand(3), want)


def test_solutions_are_in_step_with_the_notebooks():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "solutions.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_out_of_step_names_the_line():
    out_of_step = runpy.run_path(str(ROOT / "tools" / "solutions.py"))["out_of_step"]
    exercise = "# Exercise 01.1: add\ndef add(a, b):\n    ...  # return the sum\n"
    assert out_of_step(exercise, "# Exercise 01.1: add\ndef add(a, b):\n    return a + b\n") == []
    changed = out_of_step(exercise, "# Exercise 01.1: add two numbers\ndef add(a, b):\n    return a + b\n")
    assert changed and "exercise line 1" in changed[0]


# ---- The feedback in Korean: set_language("ko") and the catalog dlcourse/exercises_ko.py ----

EXERCISES_PY = ROOT / "dlcourse" / "exercises.py"


def templates(source: str) -> dict[str, int]:
    """Every template a learner may read, the literal first argument of NotYet(...) or Text(...) -> its line."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("NotYet", "Text") and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.setdefault(arg.value, node.lineno)
        else:  # a Text passed on (`NotYet(hint)`) is fine; an f-string or "..." + x cannot be translated
            assert isinstance(arg, ast.Name), (
                f"exercises.py line {node.lineno}: {node.func.id}() needs a plain string template with "
                f"named placeholders and their values as keywords, not {ast.unparse(arg)[:60]}")
    return found


def placeholders(template: str) -> list[tuple[str, str | None, str]]:
    """The {name!conversion:spec} fields of a template, sorted: the same set must appear in its translation."""
    return sorted((name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None)


def catalog_problems(source: str, catalog: dict[str, str]) -> list[str]:
    """What keeps `catalog` from translating every template of `source` exactly, one line each."""
    english = templates(source)
    problems = [f"exercises.py line {line}: no Korean for {template!r}"
                for template, line in english.items() if template not in catalog]
    problems += [f"exercises.py line {line}: the Korean of {template!r} has placeholders "
                 f"{placeholders(catalog[template])}, the English {placeholders(template)}"
                 for template, line in english.items()
                 if template in catalog and placeholders(catalog[template]) != placeholders(template)]
    problems += [f"exercises_ko.py: {template!r} is no longer in exercises.py (its English changed?)"
                 for template in catalog if template not in english]
    return problems


def test_every_template_has_a_korean_entry_with_the_same_placeholders_and_none_is_stale():
    source = EXERCISES_PY.read_text(encoding="utf-8")
    assert len(templates(source)) > 100  # the checks' hints and the lines of check() and summary()
    problems = catalog_problems(source, KO)
    assert not problems, "dlcourse/exercises_ko.py is out of step:\n" + "\n".join(problems)


def test_a_changed_english_hint_without_its_translation_is_named():
    source = EXERCISES_PY.read_text(encoding="utf-8")
    old, new = "close, but the bias is missing: add b", "close, but the bias b is missing: add it"
    assert source.count(f'"{old}"') == 1
    problems = catalog_problems(source.replace(f'"{old}"', f'"{new}"'), KO)
    assert len(problems) == 2, problems
    assert f"no Korean for {new!r}" in problems[0] and f"{old!r} is no longer in exercises.py" in problems[1]
    broken = dict(KO, **{"the merged bias is W2 @ b1 + b2": "합친 편향은 {b1}입니다."})
    assert catalog_problems(source, broken) == [
        f"exercises.py line {templates(source)['the merged bias is W2 @ b1 + b2']}: the Korean of "
        "'the merged bias is W2 @ b1 + b2' has placeholders [('b1', None, '')], the English []"]


@pytest.fixture
def korean():
    """The feedback in Korean for one test, English again after it (whatever the test did)."""
    set_language("ko")
    yield
    set_language("en")


# (exercise, answer, the whole line a Korean learner sees): right, blank, a wrong answer with its
# hint, a hint with values (numbers keep their digits and commas), a hint inside the shape
# message, and Python's own error message, which stays as Python wrote it.
KOREAN_LINES = [
    ("03.1", lambda images: images.flatten(start_dim=1), "연습 문제 03.1: 정답입니다."),
    ("03.1", ..., "연습 문제 03.1: 아직 풀지 않았습니다. 빈칸을 채워 보세요. 위 셀의 `...` 자리에 코드를 쓴 다음, "
                  "두 셀을 다시 실행하세요."),
    ("02.1", lambda x, W, b: x @ W.T, "연습 문제 02.1: 아직 정답이 아닙니다. 거의 맞았지만 편향이 빠졌습니다. b를 더하세요."),
    ("04.1", lambda sizes: sizes[0] * sizes[1] + sizes[1],
     "연습 문제 04.1: 아직 정답이 아닙니다. [784, 100, 10]에서 답은 78,500개인데, 실제 층의 파라미터는 79,510개입니다. "
     "이웃한 두 크기 a, b마다 nn.Linear(a, b)에 가중치 a*b개와 편향 b개가 있습니다."),
    ("03.1", lambda images: images.reshape(784, -1),
     "연습 문제 03.1: 아직 정답이 아닙니다. 결과의 모양(shape)이 (784, 3)입니다. (3, 784) 모양이어야 합니다. "
     "각 행에는 이미지 한 장의 픽셀 784개가 윗줄부터 차례로 들어가야 합니다. images.flatten(start_dim=1)을 써 보세요."),
    ("07.4", lambda logits, y: (logits.argmax(dim=1) == y).float().mean().item(),
     "연습 문제 07.4: 아직 정답이 아닙니다. 그 값은 정확도입니다. 오차율은 틀린 비율, 즉 1 - 정확도입니다."),
    ("02.1", lambda x, W, b: x @ W + b,
     "연습 문제 02.1: 아직 정답이 아닙니다. 작성한 코드를 실행하다가 RuntimeError 예외가 발생했습니다. "
     "mat1 and mat2 shapes cannot be multiplied (4x3 and 2x3)"),
]


@pytest.mark.parametrize("ex_id, answer, line", KOREAN_LINES)
def test_check_prints_korean(korean, ex_id, answer, line, capsys):
    check(ex_id, answer)
    assert capsys.readouterr().out == line + "\n"


def test_summary_prints_korean(korean, monkeypatch, capsys):
    monkeypatch.setattr(exercises, "_RESULTS", {})  # this kernel's results only: two checks below
    check("03.1", lambda images: images.flatten(start_dim=1))
    summary()
    assert capsys.readouterr().out.splitlines()[-1] == "연습 문제 1개 중 1개를 맞혔습니다."
    check("02.1", ...)
    summary()
    assert capsys.readouterr().out.splitlines()[-1] == "연습 문제 2개 중 1개를 맞혔습니다. 아직 풀지 않은 문제: 02.1"


def test_a_name_in_a_hint_is_translated_too(korean):
    with pytest.raises(exercises.NotYet) as caught:
        exercises._tensor([1, 2], exercises.Text("the image"))
    assert str(caught.value) == "이미지의 타입이 list입니다. 텐서여야 합니다."


def test_a_missing_or_broken_translation_prints_english(korean, monkeypatch, capsys):
    monkeypatch.delitem(KO, "close, but the bias is missing: add b")
    monkeypatch.setitem(KO, "Exercise {ex_id}: correct.", "연습 문제 {exercise}: 정답입니다.")  # a misspelt placeholder
    check("02.1", lambda x, W, b: x @ W.T)
    check("02.1", lambda x, W, b: x @ W.T + b)
    assert capsys.readouterr().out.splitlines() == [
        "연습 문제 02.1: 아직 정답이 아닙니다. close, but the bias is missing: add b", "Exercise 02.1: correct."]


def test_english_again_after_korean(capsys):
    set_language("ko")
    try:
        set_language("en")
        check("02.1", lambda x, W, b: x @ W.T)
    finally:
        set_language("en")
    assert capsys.readouterr().out == "Exercise 02.1: not yet. close, but the bias is missing: add b\n"


def test_an_unknown_language_is_refused_by_name(capsys):
    with pytest.raises(ValueError, match=r"'fr'.*'en' and 'ko'"):
        set_language("fr")
    check("02.1", lambda x, W, b: x @ W.T)  # the language in force is unchanged: English
    assert capsys.readouterr().out.startswith("Exercise 02.1: not yet.")


# ---- Three states, checking again, help in steps, and a check that changes nothing after it ----

def test_the_state_is_decided_in_one_place():
    def blank(images):
        ...  # (B, 1, 28, 28) -> (B, 784)

    assert exercises._outcome("03.1", (...,))[0] == "not tried"
    assert exercises._outcome("03.1", (blank,))[0] == "not tried"
    assert exercises._outcome("03.1", (lambda images: images.flatten(),))[0] == "not yet"
    assert exercises._outcome("03.1", (lambda images: images.flatten(1),))[0] == "correct"
    # a solved answer that uses `...` as an index is judged on what it returns
    assert exercises._outcome("06.3", (lambda out: out[..., 0],))[0] == "correct"


def test_summary_checks_again_on_the_answers_as_they_are_now(monkeypatch, capsys):
    monkeypatch.setattr(exercises, "_RESULTS", {})
    namespace = {"flatten_images": lambda images: images.flatten(), "linear_by_hand": ...}
    check("03.1", namespace["flatten_images"])
    check("02.1", namespace["linear_by_hand"])
    check("04.1", lambda sizes: 0)  # checked, then its name removed from the notebook: keeps its state
    capsys.readouterr()
    summary(namespace)
    assert capsys.readouterr().out == "Exercises correct: 0 of 3 (not yet: 03.1, 04.1; not tried: 02.1)\n"
    namespace["flatten_images"] = lambda images: images.reshape(len(images), -1)  # the learner fixed it later
    namespace["linear_by_hand"] = lambda x, W, b: x @ W.T + b
    summary(namespace)
    assert capsys.readouterr().out == "Exercises correct: 2 of 3 (not yet: 04.1)\n"
    assert exercises.check_all(namespace) == {"02.1": "correct", "03.1": "correct", "04.1": "not yet"}
    assert capsys.readouterr().out == ""


def test_every_check_cell_passes_the_name_summary_checks_again():
    import json
    import re

    found = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            m = re.fullmatch(r'check\("(\d\d\.\d+)", (\w+)\)', "".join(cell["source"]).strip())
            if cell["cell_type"] == "code" and m:
                found[m.group(1)] = m.group(2)
    assert found == exercises.ANSWERS


def test_hint_gives_the_next_hint_each_call_then_stays_on_the_last(monkeypatch, capsys):
    monkeypatch.setattr(exercises, "_HINTS_SHOWN", {})
    assert sorted(exercises.HINTS) == sorted(exercises._CHECKS)
    assert all(2 <= len(h) <= 3 for h in exercises.HINTS.values())
    hints = exercises.HINTS["03.2"]
    for n in range(1, len(hints) + 2):
        exercises.hint("03.2")
        line = capsys.readouterr().out
        shown = min(n, len(hints))
        assert line.startswith(f"Hint {shown} of {len(hints)} for 03.2: {hints[shown - 1]}"), line
        assert line.count("\n") == 1 and (('solution("03.2")' in line) == (shown == len(hints)))
    assert "zero_grad" in str(hints[-1]) and "loss.item()" in str(hints[-1])  # the last one nearly the answer
    with pytest.raises(ValueError, match="no such exercise"):
        exercises.hint("99.1")


def test_hint_in_korean(korean, monkeypatch, capsys):
    monkeypatch.setattr(exercises, "_HINTS_SHOWN", {})
    exercises.hint("06.3")
    assert capsys.readouterr().out == ("연습 문제 06.3의 힌트 1/3: 모델의 출력은 (B, 1)인데, "
                                       "BCEWithLogitsLoss는 라벨과 같은 (B,) 모양을 원합니다.\n")


@pytest.mark.parametrize("ex_id", sorted(exercises.ANSWERS))
def test_solution_prints_the_reference_solution(ex_id, capsys):
    exercises.solution(ex_id)
    out = capsys.readouterr().out
    path = next((ROOT / "notebooks" / "solutions").glob(f"{ex_id[:2]}_*.py"))
    assert out == (f"A solution to exercise {ex_id} (yours may differ and still be right):\n"
                   + _SOLUTIONS["read_solutions"](path)[ex_id] + "\n")
    assert f"# Exercise {ex_id}:" in out and exercises.ANSWERS[ex_id] in out


def test_solution_is_found_where_dlcourse_is_installed_without_the_clone(tmp_path):
    """As on Colab: the package alone (here copied, with the solutions the wheel packages as
    dlcourse/solutions, see pyproject.toml), no notebooks/ beside it."""
    import shutil

    shutil.copytree(ROOT / "dlcourse", tmp_path / "dlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks" / "solutions", tmp_path / "dlcourse" / "solutions")
    run = subprocess.run([sys.executable, "-c", "import dlcourse.exercises as e; print(e._solutions_folder()); "
                          "e.set_language('ko'); e.solution('05.2')"],
                         cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert str(tmp_path / "dlcourse" / "solutions") in run.stdout
    assert "연습 문제 05.2의 모범 답안입니다" in run.stdout and "def conv_output_size" in run.stdout


def test_the_wheel_packages_the_solutions():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"dlcourse.solutions" = "notebooks/solutions"' in text and '"dlcourse.solutions" = ["*.py"]' in text


def _snapshot(value):
    """What of an answer's arguments a check could change: tensors' values, modules' states, requires_grad."""
    if isinstance(value, torch.Tensor):
        if value.is_meta:  # shapes only
            return ("meta", tuple(value.shape), value.requires_grad)
        return ("tensor", value.detach().clone(), value.requires_grad)
    if isinstance(value, nn.Module):
        return ("module", {k: _snapshot(v) for k, v in value.state_dict().items()}, value.training,
                [p.requires_grad for p in value.parameters()])
    if isinstance(value, torch.utils.data.DataLoader):
        return ("other", repr([[t.tolist() for t in batch] for batch in value]))
    return ("other", repr(value))


def _same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "tensor":
        return torch.equal(a[1], b[1]) and a[2] == b[2]
    if a[0] == "module":
        return a[1].keys() == b[1].keys() and all(_same(a[1][k], b[1][k]) for k in a[1]) and a[2:] == b[2:]
    return a == b


@pytest.mark.parametrize("ex_id", sorted(TABLE))
def test_a_check_changes_nothing_after_it(ex_id, capsys):
    """No global random state used, one line printed, and what one answer does to the inputs it is
    given (a mistake may change them in place) never reaches the next: each answer's first call gets
    the same inputs, made fresh by the check from its own generator."""
    answers = TABLE[ex_id][0] + MORE[ex_id][0] + [a for a, _ in TABLE[ex_id][1] + MORE[ex_id][1]]
    firsts = []

    def spy(answer):
        fn = answer[0]
        if not callable(fn) or isinstance(fn, type):
            return answer
        calls = []

        def wrapped(*args):
            if not calls:
                firsts.append([_snapshot(a) for a in args])
            calls.append(1)
            return fn(*args)
        return (wrapped,)

    torch.manual_seed(123)
    want = torch.rand(4)
    torch.manual_seed(123)
    for answer in answers:
        check(ex_id, *spy(answer))
        assert capsys.readouterr().out.count("\n") == 1
    assert torch.equal(torch.rand(4), want), f"{ex_id}: a check used the global random generator"
    for later in firsts[1:]:
        assert len(later) == len(firsts[0]) and all(_same(a, b) for a, b in zip(firsts[0], later)), ex_id


def test_a_learners_print_does_not_add_a_line(capsys):
    def noisy(images):
        print("debugging", images.shape)
        return images.flatten(1)

    check("03.1", noisy)
    assert capsys.readouterr().out == "Exercise 03.1: correct.\n"


def test_every_check_is_quick_enough_to_report():
    """Each check's time, for the report (printed with -s; never asserted: tests don't time)."""
    import time

    for ex_id in sorted(TABLE):
        answer = TABLE[ex_id][0][0]
        start = time.perf_counter()
        exercises._outcome(ex_id, answer)
        print(f"check {ex_id}: {time.perf_counter() - start:.3f} s")
