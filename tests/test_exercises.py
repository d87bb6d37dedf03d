"""Exercises: every check accepts its reference answer and rejects a plausible wrong one with the
hint meant for it; a blank is "not yet", never an exception; solutions and notebooks stay in step.

The table below gives each exercise (id "NN.K") its accepted answers and its rejected ones, each
with a piece of the hint the learner must see. Notebooks run in test_notebooks.py check the rest:
0 exercises passed as shipped, all passed in build/solutions/.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from dlcourse import exercises
from dlcourse.exercises import check, score

ROOT = Path(__file__).resolve().parent.parent

# id -> (list of accepted answers, list of (wrong answer, a piece of its hint)); each answer is a
# tuple of the arguments the notebook passes to check().
TABLE: dict[str, tuple[list[tuple], list[tuple[tuple, str]]]] = {}

# ---- 01 model concept ----

def _grads_with_bias(w, b, x, y):
    gap = w * x + b - y  # (N,)
    return (2 * gap * x).mean(), (2 * gap).mean()


TABLE["01.1"] = (
    [(_grads_with_bias,)],
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


class _WithBias(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.w * x + self.b


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


def _train_step(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


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


def _evaluate_loss(model, loader, loss_fn):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            total += loss_fn(model(x), y).item() * len(y)
            count += len(y)
    return total / count


def _evaluate_loss_in_train_mode(model, loader, loss_fn):
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() * len(y) for x, y in loader) / sum(len(y) for _, y in loader)


def _mean_of_batch_means(model, loader, loss_fn):
    model.eval()
    with torch.no_grad():
        losses = [loss_fn(model(x), y).item() for x, y in loader]
    return sum(losses) / len(losses)


TABLE["03.4"] = (
    [(_evaluate_loss,)],
    [((_evaluate_loss_in_train_mode,), "model.eval()"), ((_mean_of_batch_means,), "the last batch is smaller")],
)


# ---- 04 parameter explosion ----



# ---- 05 CNN ideas ----



# ---- 06 Dataset and DataLoader ----



# ---- 07 transfer learning ----



def test_every_checker_has_a_row_in_the_table():
    assert sorted(TABLE) == sorted(exercises._CHECKS)


@pytest.mark.parametrize("ex_id", sorted(TABLE))
def test_reference_answers_pass_and_wrong_ones_get_their_hint(ex_id, capsys):
    accepted, rejected = TABLE[ex_id]
    assert accepted and rejected, f"{ex_id} needs at least one accepted and one rejected answer"
    for answer in accepted:
        assert check(ex_id, *answer), capsys.readouterr().out
    capsys.readouterr()  # drop the accepted answers' "correct." lines before reading the hints
    for answer, hint in rejected:
        assert not check(ex_id, *answer)
        line = capsys.readouterr().out
        assert line.count("\n") == 1 and "not yet" in line and hint in line, line


@pytest.mark.parametrize("ex_id", sorted(TABLE))
def test_a_blank_is_not_yet_and_never_an_exception(ex_id, capsys):
    accepted, _ = TABLE[ex_id]
    blank = tuple(... for _ in accepted[0])
    assert not check(ex_id, *blank)
    assert "fill in the blank" in capsys.readouterr().out


def test_a_function_left_blank_and_one_that_raises_are_not_yet(capsys):
    @exercises.exercise("00.1")
    def _(fn):
        exercises._close(exercises._call(fn, torch.ones(2)), torch.ones(2), "return x")

    def blank(x):
        ...

    def broken(x):
        return x @ torch.ones(3)

    try:
        assert not check("00.1", blank)
        assert "returns nothing yet" in capsys.readouterr().out
        assert not check("00.1", broken)
        assert "Your code raised RuntimeError" in capsys.readouterr().out
        assert check("00.1", lambda x: x)
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
