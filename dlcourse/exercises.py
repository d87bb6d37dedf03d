"""Exercises: the learner's answer checked in the notebook, one printed line, and the score.

A notebook's exercise cell (tagged `exercise`, first line `# Exercise NN.K: the task`) holds a
blank, `...`. The cell after it calls `check("NN.K", answer)`, which compares the answer with
PyTorch's own result and prints one line: correct, or "not yet" with a hint aimed at the usual
mistake. A blank (the `...` itself, or a function whose body is still `...` and so returns
None) is "not yet", never an exception: Run All on an untouched notebook finishes.
`score()` gives the two numbers every notebook writes to METRICS_PATH.

The checks never touch the global random generators (they use their own), so solving an
exercise does not change any result that follows it.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

_CHECKS: dict[str, Callable[..., None]] = {}  # "NN.K" -> checker; it raises NotYet(hint) or returns
_RESULTS: dict[str, bool] = {}  # "NN.K" -> passed, for the exercises checked in this kernel


class NotYet(Exception):
    """The answer is not right yet; the message is the hint the learner sees."""


def exercise(ex_id: str) -> Callable:
    """Register the decorated function as the checker of exercise `ex_id`."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _CHECKS[ex_id] = fn
        return fn
    return register


def check(ex_id: str, *answer: Any) -> bool:
    """Check the learner's answer to exercise `ex_id`; print one line; return whether it passed."""
    checker = _CHECKS[ex_id]  # a KeyError here is the notebook author's mistake, not the learner's
    try:
        if any(a is Ellipsis for a in answer):
            raise NotYet("fill in the blank: replace the `...` in the cell above, then run both cells")
        checker(*answer)
        passed, line = True, f"Exercise {ex_id}: correct."
    except NotYet as exc:
        passed, line = False, f"Exercise {ex_id}: not yet. {exc}"
    except Exception as exc:  # the learner's code raised: say what, never stop Run All
        passed, line = False, f"Exercise {ex_id}: not yet. Your code raised {type(exc).__name__}: {exc}"
    _RESULTS[ex_id] = passed
    print(line)
    return passed


def score() -> dict[str, int]:
    """{"exercises_total": exercises checked in this kernel, "exercises_passed": how many passed}."""
    return {"exercises_total": len(_RESULTS), "exercises_passed": sum(_RESULTS.values())}


def summary() -> dict[str, int]:
    """Print one line: how many exercises are correct, and which are not yet; return `score()`."""
    result = score()
    todo = [ex_id for ex_id, passed in sorted(_RESULTS.items()) if not passed]
    print(f"Exercises correct: {result['exercises_passed']} of {result['exercises_total']}"
          + (f" (not yet: {', '.join(todo)})" if todo else ""))
    return result


# Helpers for the checkers below.

def _call(fn: Any, *args: Any) -> Any:
    """fn(*args), with a blank function (body `...`, returns None) reported as not done."""
    if not callable(fn):
        raise NotYet(f"expected a function, got {type(fn).__name__}")
    out = fn(*args)
    if out is None:
        raise NotYet("your function returns nothing yet: replace the `...` with code that returns the answer")
    return out


def _tensor(value: Any, name: str = "your answer") -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise NotYet(f"{name} should be a tensor, got {type(value).__name__}")
    return value


def _close(got: torch.Tensor, want: torch.Tensor, hint: str, *, atol: float = 1e-5) -> None:
    """Raise NotYet(hint) unless `got` has `want`'s shape and values (within atol)."""
    got = _tensor(got)
    if tuple(got.shape) != tuple(want.shape):
        raise NotYet(f"the shape is {tuple(got.shape)}, expected {tuple(want.shape)}. {hint}")
    if not torch.allclose(got.detach().float().cpu(), want.detach().float().cpu(), atol=atol, rtol=1e-4):
        raise NotYet(hint)


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- Checkers, one section per notebook, in the order of the exercises. ----

# -- 01 model concept --

def _rng_restored(checker: Callable[..., None]) -> Callable[..., None]:
    """Run `checker` with the global random state restored after it: the layers it builds draw from it."""
    def run(*answer: Any) -> None:
        with torch.random.fork_rng(devices=[]):
            checker(*answer)
    return run

@exercise("01.1")
def _(grads_with_bias):
    g = _generator(11)
    x, y = torch.rand(5, generator=g) * 4, torch.rand(5, generator=g) * 4  # (5,), (5,)
    w, b = torch.tensor(0.7, requires_grad=True), torch.tensor(-0.3, requires_grad=True)
    ((w * x + b - y) ** 2).mean().backward()  # autograd's dL/dw and dL/db, the reference
    out = _call(grads_with_bias, w.detach(), b.detach(), x, y)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise NotYet("return two numbers, the pair (dL/dw, dL/db)")
    dw, db = (torch.as_tensor(v, dtype=torch.float32) for v in out)
    if torch.allclose(dw, w.grad / 2, atol=1e-5) and torch.allclose(db, b.grad / 2, atol=1e-5):
        raise NotYet("close: the derivative of a square brings down a factor 2")
    if torch.allclose(dw, -w.grad, atol=1e-5):
        raise NotYet("the sign is flipped: the gap is (w * x + b - y), prediction minus truth")
    if torch.allclose(dw, w.grad * len(x), atol=1e-4):
        raise NotYet("the loss is a mean: divide the sum by N (or use .mean())")
    _close(dw.reshape(()), w.grad, "dL/dw is 2 * mean((w*x + b - y) * x), as in grad_by_hand")
    _close(db.reshape(()), b.grad, "dL/db is 2 * mean(w*x + b - y): the chain rule gives a factor 1 for b, not x")


@exercise("01.2")
def _(gradient_step):
    g = _generator(12)
    x, y = torch.rand(4, generator=g) * 2, torch.rand(4, generator=g) * 2
    w = torch.nn.Parameter(torch.tensor(0.25))
    opt = torch.optim.SGD([w], lr=0.1)
    ((w * x - y) ** 2).mean().backward()
    grad = w.grad.detach().clone()
    opt.step()  # torch's own SGD step: the reference
    out = torch.as_tensor(_call(gradient_step, torch.tensor(0.25), x, y, 0.1), dtype=torch.float32)
    if torch.allclose(out.reshape(()), 0.25 + 0.1 * grad, atol=1e-5):
        raise NotYet("you stepped uphill: subtract lr * gradient, do not add it")
    if torch.allclose(out.reshape(()), 0.25 - grad, atol=1e-5):
        raise NotYet("multiply the gradient by the learning rate lr before subtracting it")
    _close(out.reshape(()), w.detach(), "the new w is w - lr * grad_by_hand(w, x, y)")


@exercise("01.3")
@_rng_restored
def _(model_class):
    if not (isinstance(model_class, type) and issubclass(model_class, torch.nn.Module)):
        raise NotYet("give the class itself (not an instance), a subclass of nn.Module")
    model = model_class()
    if not all(isinstance(getattr(model, n, None), torch.nn.Parameter) for n in ("w", "b")):
        raise NotYet("declare self.w and self.b in __init__, each wrapped in nn.Parameter so PyTorch trains them")
    x = torch.rand(6, generator=_generator(13)) * 10  # (6,)
    with torch.no_grad():
        start = _tensor(_call(model, x), "model(x)")
        if not torch.allclose(start, torch.zeros(6)):
            raise NotYet("start both w and b at 0, with torch.zeros(1)")
        model.w.fill_(0.5)
        model.b.fill_(3.0)
        out = _call(model, x)
    if torch.allclose(_tensor(out, "model(x)"), 0.5 * x, atol=1e-5):
        raise NotYet("forward forgets the bias: return self.w * x + self.b")
    _close(out, 0.5 * x + 3.0, "forward should return self.w * x + self.b, of shape (N,)")


@exercise("01.4")
def _(bce_by_hand):
    g = _generator(14)
    p = torch.rand(8, generator=g) * 0.98 + 0.01  # (8,) probabilities in (0.01, 0.99)
    y = (torch.rand(8, generator=g) > 0.5).float()  # (8,) labels 0 or 1
    want = torch.nn.functional.binary_cross_entropy(p, y)
    out = _tensor(_call(bce_by_hand, p, y))
    if torch.allclose(out, -want, atol=1e-5):
        raise NotYet("the sign: logs of probabilities are negative, so put a minus in front")
    if torch.allclose(out, want * len(p), atol=1e-4):
        raise NotYet("the loss is a mean over the examples, not a sum")
    _close(out, want, "compare with the formula: -mean(y * log(p) + (1 - y) * log(1 - p))")


# -- 02 nn.Linear and stacking --

@exercise("02.1")
def _(linear_by_hand):
    g = _generator(21)
    x, W, b = torch.randn(4, 3, generator=g), torch.randn(2, 3, generator=g), torch.randn(2, generator=g)
    out = _call(linear_by_hand, x, W, b)
    if torch.allclose(_tensor(out), x @ W.T, atol=1e-5):
        raise NotYet("close, but the bias is missing: add b")
    _close(out, torch.nn.functional.linear(x, W, b), "compare with nn.Linear: x @ W.T + b")


@exercise("02.2")
@_rng_restored
def _(make_mlp):
    model = _call(make_mlp, 3, 8, 2)
    if not isinstance(model, torch.nn.Module):
        raise NotYet(f"return a network (an nn.Module such as nn.Sequential), got {type(model).__name__}")
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != 3 * 8 + 8 + 8 * 2 + 2:
        raise NotYet(f"it has {n_params} parameters, expected {3 * 8 + 8 + 8 * 2 + 2}: "
                     "nn.Linear(n_in, hidden), then nn.Linear(hidden, n_out)")
    g = _generator(22)
    a, b = torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g)  # (16, 3) each
    with torch.no_grad():
        out = _tensor(model(a), "the network's output")
        if tuple(out.shape) != (16, 2):
            raise NotYet(f"for 16 inputs the output shape is {tuple(out.shape)}, expected (16, 2)")
        # a linear (affine) f has f(a + b) - f(a) - f(b) + f(0) = 0 for every a and b
        gap = (model(a + b) - model(a) - model(b) + model(torch.zeros(16, 3))).abs().max()
    if gap < 1e-4:
        raise NotYet("your stack is still linear: put an nn.ReLU() between the two layers")


@exercise("02.3")
def _(merge_layers):
    g = _generator(23)
    W1, b1 = torch.randn(5, 2, generator=g), torch.randn(5, generator=g)  # (5, 2), (5,)
    W2, b2 = torch.randn(3, 5, generator=g), torch.randn(3, generator=g)  # (3, 5), (3,)
    out = _call(merge_layers, W1, b1, W2, b2)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise NotYet("return a pair (W, b): the weight and the bias of the merged layer")
    W, b = out
    _close(W, W2 @ W1, "the merged weight is W2 @ W1 (in that order: the second layer acts last)")
    if torch.allclose(_tensor(b, "b"), W2 @ b1, atol=1e-5):
        raise NotYet("close: the merged bias also needs the second layer's own bias, + b2")
    _close(b, W2 @ b1 + b2, "the merged bias is W2 @ b1 + b2")


# -- 03 MLP image classifier --

@exercise("03.1")
def _(flatten_images):
    images = torch.rand(3, 1, 28, 28, generator=_generator(31))  # (B, 1, 28, 28)
    out = _tensor(_call(flatten_images, images))
    if out.dim() == 1:
        raise NotYet("keep the batch dimension: flatten from dim 1 on, to shape (B, 784)")
    _close(out, images.reshape(3, 784), "each row should be one image's 784 pixels, row after row: "
           "images.flatten(start_dim=1)")


@exercise("03.2")
@_rng_restored
def _(train_step):
    g = _generator(32)
    x, y = torch.randn(6, 4, generator=g), torch.randint(0, 3, (6,), generator=g)  # (6, 4), (6,)
    start = torch.nn.Linear(4, 3)
    with torch.no_grad():
        start.weight.copy_(torch.randn(3, 4, generator=g))
        start.bias.copy_(torch.randn(3, generator=g))
    loss_fn = torch.nn.CrossEntropyLoss()
    models = {}
    for name in ("yours", "clean", "stale"):  # three copies; "stale" keeps old gradients
        m = torch.nn.Linear(4, 3)
        m.load_state_dict(start.state_dict())
        for p in m.parameters():  # gradients left over from an earlier step
            p.grad = torch.ones_like(p)
        models[name] = m
    ref = torch.optim.SGD(models["clean"].parameters(), lr=0.1)
    ref.zero_grad()
    want_loss = loss_fn(models["clean"](x), y)
    want_loss.backward()
    ref.step()
    loss_fn(models["stale"](x), y).backward()
    torch.optim.SGD(models["stale"].parameters(), lr=0.1).step()
    got = _call(train_step, models["yours"], x, y, torch.optim.SGD(models["yours"].parameters(), lr=0.1), loss_fn)
    if not isinstance(got, float):
        raise NotYet(f"return the loss as a plain number, loss.item(), got {type(got).__name__}")
    w = models["yours"].weight.detach()
    if torch.allclose(w, models["stale"].weight.detach(), atol=1e-5):
        raise NotYet("call optimizer.zero_grad() before loss.backward(): otherwise the old gradients add up")
    if torch.allclose(w, start.weight.detach(), atol=1e-6):
        raise NotYet("the weights did not change: zero_grad, then backward, then optimizer.step()")
    _close(w, models["clean"].weight.detach(), "the order is: loss, optimizer.zero_grad(), loss.backward(), optimizer.step()")
    if abs(got - want_loss.item()) > 1e-4:
        raise NotYet("return the loss computed before the step, loss.item()")


@exercise("03.3")
def _(accuracy_of):
    g = _generator(33)
    logits, y = torch.randn(20, 10, generator=g), torch.randint(0, 10, (20,), generator=g)  # (20, 10), (20,)
    y[:7] = logits[:7].argmax(1)  # make some of them right
    want = (logits.argmax(1) == y).float().mean().item()
    out = _call(accuracy_of, logits, y)
    value = float(out) if isinstance(out, (int, float)) or (isinstance(out, torch.Tensor) and out.numel() == 1) else None
    if value is None:
        raise NotYet("return one number, the fraction of correct predictions")
    if abs(value - want * len(y)) < 1e-4 and want > 0:
        raise NotYet("that is the number of correct predictions: divide it by the number of examples")
    if abs(value - want) > 1e-5:
        raise NotYet("the prediction is the class with the largest logit, logits.argmax(dim=1); compare it with y")


class _StatefulNet(torch.nn.Module):
    """A tiny network with BatchNorm: its output differs in train() and eval() mode."""

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)
        self.norm = torch.nn.BatchNorm1d(3)
        with torch.no_grad():
            self.linear.weight.copy_(torch.randn(3, 4, generator=generator))
            self.linear.bias.copy_(torch.randn(3, generator=generator))
            self.norm.running_mean.copy_(torch.randn(3, generator=generator))
            self.norm.running_var.fill_(4.0)

    def forward(self, x):
        return self.norm(self.linear(x))  # (B, 4) -> (B, 3)


@exercise("03.4")
@_rng_restored
def _(evaluate_loss):
    g = _generator(34)
    net = _StatefulNet(g)
    batches = [(torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)) for n in (5, 5, 2)]
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.eval()
    with torch.no_grad():
        want = sum(loss_fn(net(x), y).item() * len(y) for x, y in batches) / 12
        batch_means = sum(loss_fn(net(x), y).item() for x, y in batches) / len(batches)
    net.train()  # as a model is after training: the learner's loop must switch it
    out = _call(evaluate_loss, net, batches, loss_fn)
    value = out.item() if isinstance(out, torch.Tensor) and out.numel() == 1 else out
    if not isinstance(value, (int, float)):
        raise NotYet(f"return one number, the mean loss, got {type(out).__name__}")
    if net.training or any(not torch.equal(v, state[k]) for k, v in net.state_dict().items()):
        raise NotYet("call model.eval() before the loop: in train mode some layers change as they see data")
    if isinstance(out, torch.Tensor) and out.requires_grad:
        raise NotYet("evaluate inside `with torch.no_grad():`, and return loss.item() values")
    if abs(value - batch_means) < 1e-5:
        raise NotYet("weight each batch's loss by its size, then divide by the number of examples (the last batch is smaller)")
    if abs(value - want) > 1e-5:
        raise NotYet("add up loss.item() * len(y) over the batches, then divide by the number of examples")



# -- 04 parameter explosion --



# -- 05 CNN ideas --



# -- 06 Dataset and DataLoader --



# -- 07 transfer learning --
