"""Exercises: the learner's answer checked in the notebook, one printed line, and the score.

A notebook's exercise cell (tagged `exercise`, first line `# Exercise NN.K: the task`) holds a
blank, `...`. The cell after it calls `check("NN.K", answer)`, which compares the answer with
PyTorch's own result and prints one line: correct, or "not yet" with a hint aimed at the usual
mistake. A blank (the `...` itself, or a function whose body is still `...` and so returns
None) is "not yet", never an exception: Run All on an untouched notebook finishes.
`score()` gives the two numbers every notebook writes to METRICS_PATH.

The checks never touch the global random generators (they use their own), so solving an
exercise does not change any result that follows it.

Languages, gettext-style: every line a learner reads is an English template with named
placeholders, `NotYet("for {sizes} you get {got:,}", sizes=sizes, got=got)` or `Text(...)`,
filled in only when printed, in the language of `set_language()` ("en" or "ko"). The Korean
templates live in `exercises_ko.py`, a plain dict keyed by the English template: a translator
reads and edits one file without the checkers' code in the way, and this module stays about
its checks. A template with no translation yet prints in English; tests/test_exercises.py
fails, naming the hint, when a template has no Korean entry or an entry lost its English.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from dlcourse import progress as _progress
from dlcourse.exercises_ko import KO

_CHECKS: dict[str, Callable[..., None]] = {}  # "NN.K" -> checker; it raises NotYet(hint) or returns
_RESULTS: dict[str, bool] = {}  # "NN.K" -> passed, for the exercises checked in this kernel
_CATALOGS: dict[str, dict[str, str]] = {"en": {}, "ko": KO}  # language -> {English template: its translation}
_language = "en"  # set by set_language(); read each time a line is printed


def set_language(lang: str) -> None:
    """Print the feedback of check() and summary() in `lang`: "en" (English, the default) or "ko" (Korean)."""
    global _language
    if lang not in _CATALOGS:
        raise ValueError(f"set_language({lang!r}): the exercise feedback exists in "
                         + " and ".join(repr(name) for name in _CATALOGS))
    _language = lang


class Text:
    """A line the learner reads: an English template with named placeholders, and their values.

    str() fills in the template's translation into the language of set_language(), or the English
    template where there is none; a value that is itself a Text is filled in the same language.
    """

    def __init__(self, template: str, **values: Any):
        self.template, self.values = template, values

    def __str__(self) -> str:
        translated = _CATALOGS[_language].get(self.template)
        if translated is not None:
            try:
                return translated.format(**self.values)
            except (KeyError, IndexError, ValueError):  # a broken translation: English rather than a crash
                pass
        return self.template.format(**self.values)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class NotYet(Exception):
    """The answer is not right yet; its Text (a template and values, or a Text given) is the hint the learner sees."""

    def __init__(self, template: str | Text, **values: Any):
        self.hint = template if isinstance(template, Text) else Text(template, **values)
        super().__init__(self.hint.template)

    def __str__(self) -> str:
        return str(self.hint)


def exercise(ex_id: str) -> Callable:
    """Register the decorated function as the checker of exercise `ex_id`."""
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _CHECKS[ex_id] = fn
        return fn
    return register


def check(ex_id: str, *answer: Any) -> None:
    """Check the learner's answer to exercise `ex_id` and print one line (nothing else shows in the notebook)."""
    checker = _CHECKS[ex_id]  # a KeyError here is the notebook author's mistake, not the learner's
    try:
        if any(a is Ellipsis for a in answer):
            raise NotYet("fill in the blank: replace the `...` in the cell above, then run both cells")
        checker(*answer)
        passed, line = True, Text("Exercise {ex_id}: correct.", ex_id=ex_id)
    except NotYet as exc:
        passed, line = False, Text("Exercise {ex_id}: not yet. {hint}", ex_id=ex_id, hint=exc.hint)
    except Exception as exc:  # the learner's code raised: say what (Python's own message), never stop Run All
        passed, line = False, Text("Exercise {ex_id}: not yet. Your code raised {error}: {message}",
                                   ex_id=ex_id, error=type(exc).__name__, message=str(exc))
    _RESULTS[ex_id] = passed
    _progress.record(ex_id, "correct" if passed else "not yet")  # in the room only; never raises
    print(line)


def score() -> dict[str, int]:
    """{"exercises_total": exercises checked in this kernel, "exercises_passed": how many passed}."""
    return {"exercises_total": len(_RESULTS), "exercises_passed": sum(_RESULTS.values())}


def summary() -> None:
    """Print one line: how many exercises are correct, and which are not yet."""
    result = score()
    passed, total = result["exercises_passed"], result["exercises_total"]
    todo = [ex_id for ex_id, ok in sorted(_RESULTS.items()) if not ok]
    _progress.record_summary({ex_id: "correct" if ok else "not yet" for ex_id, ok in _RESULTS.items()})
    if todo:
        print(Text("Exercises correct: {passed} of {total} (not yet: {todo})",
                   passed=passed, total=total, todo=", ".join(todo)))
    else:
        print(Text("Exercises correct: {passed} of {total}", passed=passed, total=total))


# Helpers for the checkers below.

def _call(fn: Any, *args: Any) -> Any:
    """fn(*args), with a blank function (body `...`, returns None) reported as not done."""
    if not callable(fn):
        raise NotYet("expected a function, got {got}", got=type(fn).__name__)
    out = fn(*args)
    if out is None:
        raise NotYet("your function returns nothing yet: replace the `...` with code that returns the answer")
    return out


def _tensor(value: Any, name: str | Text = Text("your answer")) -> torch.Tensor:
    """`value` if it is a tensor; `name` is code as a str ("model(x)") or words as a Text."""
    if not isinstance(value, torch.Tensor):
        raise NotYet("{name} should be a tensor, got {got}", name=name, got=type(value).__name__)
    return value


def _close(got: torch.Tensor, want: torch.Tensor, hint: Text, *, atol: float = 1e-5) -> None:
    """Raise NotYet(hint) unless `got` has `want`'s shape and values (within atol)."""
    got = _tensor(got)
    if tuple(got.shape) != tuple(want.shape):
        raise NotYet("the shape is {got}, expected {want}. {hint}",
                     got=tuple(got.shape), want=tuple(want.shape), hint=hint)
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
    _close(dw.reshape(()), w.grad, Text("dL/dw is 2 * mean((w*x + b - y) * x), as in grad_by_hand"))
    _close(db.reshape(()), b.grad, Text("dL/db is 2 * mean(w*x + b - y): the chain rule gives a factor 1 for b, not x"))


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
    _close(out.reshape(()), w.detach(), Text("the new w is w - lr * grad_by_hand(w, x, y)"))


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
    _close(out, 0.5 * x + 3.0, Text("forward should return self.w * x + self.b, of shape (N,)"))


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
    _close(out, want, Text("compare with the formula: -mean(y * log(p) + (1 - y) * log(1 - p))"))


# -- 02 nn.Linear and stacking --

@exercise("02.1")
def _(linear_by_hand):
    g = _generator(21)
    x, W, b = torch.randn(4, 3, generator=g), torch.randn(2, 3, generator=g), torch.randn(2, generator=g)
    out = _call(linear_by_hand, x, W, b)
    if torch.allclose(_tensor(out), x @ W.T, atol=1e-5):
        raise NotYet("close, but the bias is missing: add b")
    _close(out, torch.nn.functional.linear(x, W, b), Text("compare with nn.Linear: x @ W.T + b"))


@exercise("02.2")
@_rng_restored
def _(make_mlp):
    model = _call(make_mlp, 3, 8, 2)
    if not isinstance(model, torch.nn.Module):
        raise NotYet("return a network (an nn.Module such as nn.Sequential), got {got}", got=type(model).__name__)
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != 3 * 8 + 8 + 8 * 2 + 2:
        raise NotYet("it has {got} parameters, expected {want}: nn.Linear(n_in, hidden), then nn.Linear(hidden, n_out)",
                     got=n_params, want=3 * 8 + 8 + 8 * 2 + 2)
    g = _generator(22)
    a, b = torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g)  # (16, 3) each
    with torch.no_grad():
        out = _tensor(model(a), Text("the network's output"))
        if tuple(out.shape) != (16, 2):
            raise NotYet("for 16 inputs the output shape is {got}, expected (16, 2)", got=tuple(out.shape))
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
    _close(W, W2 @ W1, Text("the merged weight is W2 @ W1 (in that order: the second layer acts last)"))
    if torch.allclose(_tensor(b, "b"), W2 @ b1, atol=1e-5):
        raise NotYet("close: the merged bias also needs the second layer's own bias, + b2")
    _close(b, W2 @ b1 + b2, Text("the merged bias is W2 @ b1 + b2"))


# -- 03 MLP image classifier --

@exercise("03.1")
def _(flatten_images):
    images = torch.rand(3, 1, 28, 28, generator=_generator(31))  # (B, 1, 28, 28)
    out = _tensor(_call(flatten_images, images))
    if out.dim() == 1:
        raise NotYet("keep the batch dimension: flatten from dim 1 on, to shape (B, 784)")
    _close(out, images.reshape(3, 784), Text("each row should be one image's 784 pixels, row after row: "
                                             "images.flatten(start_dim=1)"))


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
        raise NotYet("return the loss as a plain number, loss.item(), got {got}", got=type(got).__name__)
    w = models["yours"].weight.detach()
    if torch.allclose(w, models["stale"].weight.detach(), atol=1e-5):
        raise NotYet("call optimizer.zero_grad() before loss.backward(): otherwise the old gradients add up")
    if torch.allclose(w, start.weight.detach(), atol=1e-6):
        raise NotYet("the weights did not change: zero_grad, then backward, then optimizer.step()")
    _close(w, models["clean"].weight.detach(),
           Text("the order is: loss, optimizer.zero_grad(), loss.backward(), optimizer.step()"))
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
        raise NotYet("return one number, the mean loss, got {got}", got=type(out).__name__)
    if net.training or any(not torch.equal(v, state[k]) for k, v in net.state_dict().items()):
        raise NotYet("call model.eval() before the loop: in train mode some layers change as they see data")
    if isinstance(out, torch.Tensor) and out.requires_grad:
        raise NotYet("evaluate inside `with torch.no_grad():`, and return loss.item() values")
    if abs(value - batch_means) < 1e-5:
        raise NotYet("weight each batch's loss by its size, then divide by the number of examples (the last batch is smaller)")
    if abs(value - want) > 1e-5:
        raise NotYet("add up loss.item() * len(y) over the batches, then divide by the number of examples")



# -- 04 parameter explosion --

def _linear_stack(sizes: list[int]) -> torch.nn.Sequential:
    """Real nn.Linear layers of these sizes, on the meta device (shapes only, no memory)."""
    with torch.device("meta"):
        return torch.nn.Sequential(*[torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])


def _whole_number(value: Any, name: str | Text = Text("your answer")) -> int:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotYet("{name} should be a whole number (an int), got {got!r}", name=name, got=value)
    return value


_SIZES_04 = [[784, 100, 10], [256 * 256, 100, 1000], [3, 5], [10, 20, 30, 4]]


@exercise("04.1")
def _(mlp_parameters):
    for sizes in _SIZES_04:
        got = _whole_number(_call(mlp_parameters, list(sizes)))
        layers = _linear_stack(sizes)
        want = sum(p.numel() for p in layers.parameters())
        weights = sum(layer.weight.numel() for layer in layers)
        if got == weights:
            raise NotYet("for {sizes} you counted the weights only: each nn.Linear(a, b) also has b biases", sizes=sizes)
        if got == weights + sum(sizes[:-1]):
            raise NotYet("one bias per output of a layer, not per input: nn.Linear(a, b) has b biases")
        if got != want:
            raise NotYet("for {sizes} you get {got:,}, the layers hold {want:,}: "
                         "nn.Linear(a, b) has a*b weights and b biases, for each pair of neighbouring sizes",
                         sizes=sizes, got=got, want=want)


@exercise("04.2")
def _(parameter_megabytes):
    with torch.device("meta"):  # shapes and dtypes only: no memory, and the global random generator untouched
        models = [torch.nn.Linear(784, 100), torch.nn.Sequential(torch.nn.Linear(30, 20), torch.nn.Linear(20, 5)).double()]
    for model in models:
        got = _call(parameter_megabytes, model)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, (int, float)):
            raise NotYet("return a number of megabytes, got {got}", got=type(got).__name__)
        numel = sum(p.numel() for p in model.parameters())
        want = sum(p.numel() * p.element_size() for p in model.parameters()) / 1e6
        close = lambda a, b: abs(a - b) <= 1e-9 + 1e-6 * abs(b)  # noqa: E731
        if close(got, want):
            continue
        if close(got, numel / 1e6):
            raise NotYet("that is millions of numbers, not megabytes: multiply by each parameter's bytes, p.element_size()")
        if close(got, want * 1e6 / 2**20):
            raise NotYet("MB here means 10**6 bytes, not 2**20")
        if close(got, numel * 4 / 1e6):
            raise NotYet("this model holds float64 (8 bytes a number): use p.element_size() instead of 4")
        raise NotYet("add up p.numel() * p.element_size() over model.parameters(), then divide by 10**6")


@exercise("04.3")
def _(mlp_multiply_adds):
    from torch.utils.flop_counter import FlopCounterMode

    for sizes in _SIZES_04:
        got = _whole_number(_call(mlp_multiply_adds, list(sizes)))
        layers = _linear_stack(sizes)
        with FlopCounterMode(display=False) as counter:
            layers(torch.empty(1, sizes[0], device="meta"))
        want = counter.get_total_flops() // 2  # one multiply-add is 2 FLOPs
        if got == want + sum(sizes[1:]):
            raise NotYet("biases are additions only, not multiply-adds: count one per weight")
        if got == 2 * want:
            raise NotYet("that is FLOPs (a multiply and an add each): count multiply-adds, one per weight")
        if got != want:
            raise NotYet("for {sizes} you get {got:,}, PyTorch's FLOP counter {want:,} multiply-adds: "
                         "each weight is used once per image", sizes=sizes, got=got, want=want)


@exercise("04.4")
def _(conv2d_parameters):
    for c_in, c_out, k in [(3, 64, 5), (1, 24, 3), (48, 96, 3)]:
        got = _whole_number(_call(conv2d_parameters, c_in, c_out, k))
        with torch.device("meta"):
            want = sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k).parameters())
        if got == want:
            continue
        if got == want - c_out:
            raise NotYet("add the biases: one per filter (out_channels)")
        if got == c_out * k * k + c_out:
            raise NotYet("each filter covers every input channel: in_channels x k x k weights per filter")
        if got == c_in * c_out * k + c_out:
            raise NotYet("a k x k kernel holds k*k weights, not k")
        if got != want:
            raise NotYet("Conv2d({c_in}, {c_out}, {k}) holds {want:,}, you get {got:,}: "
                         "out_channels x in_channels x k x k weights, plus out_channels biases",
                         c_in=c_in, c_out=c_out, k=k, want=want, got=got)


# -- 05 CNN ideas --

@exercise("05.1")
def _(conv2d_loops):
    g = _generator(51)
    x, w, b = torch.randn(3, 7, 6, generator=g), torch.randn(4, 3, 3, 2, generator=g), torch.randn(4, generator=g)
    F = torch.nn.functional
    out = _tensor(_call(conv2d_loops, x, w, b))
    if tuple(out.shape) == (4, 5, 5) and torch.allclose(out.float(), F.conv2d(x[None], w.flip(-2, -1), b)[0], atol=1e-4):
        raise NotYet("PyTorch does not flip the kernel: multiply each window by the weights as they are")
    if tuple(out.shape) == (4, 5, 5) and torch.allclose(out.float(), F.conv2d(x[None], w)[0], atol=1e-4):
        raise NotYet("add the bias: bias[o] once to every output of channel o")
    if tuple(out.shape) == (4, 5, 5) and torch.allclose(out.float(), F.conv2d(x[None, :1], w[:, :1], b)[0], atol=1e-4):
        raise NotYet("sum over all input channels: the window is x[:, i:i+kh, j:j+kw]")
    _close(out, F.conv2d(x[None], w, b)[0], Text("output[o, i, j] = (window * weight[o]).sum() + bias[o], "
                                                  "the window being all input channels at rows i..i+kh-1, "
                                                  "columns j..j+kw-1"), atol=1e-4)


@exercise("05.2")
def _(conv_output_size):
    for size, kernel, stride, padding in [(28, 3, 1, 0), (28, 3, 1, 1), (28, 3, 2, 1), (7, 3, 2, 1), (10, 4, 3, 0), (32, 5, 3, 2)]:
        got = _call(conv_output_size, size, kernel, stride, padding)
        with torch.device("meta"):
            layer = torch.nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
            want = layer(torch.empty(1, 1, size, size)).shape[-1]
        if isinstance(got, float) and not got.is_integer():
            raise NotYet("a window that does not fit whole is dropped: use // (floor division), not /")
        got = _whole_number(got)
        if got == (size + padding - kernel) // stride + 1 != want:
            raise NotYet("padding adds a border on both sides: 2 * padding")
        if got == (size + 2 * padding - kernel) // stride != want:
            raise NotYet("count the first window position too: + 1")
        if got != want:
            raise NotYet("size {size}, kernel {kernel}, stride {stride}, padding {padding}: nn.Conv2d gives {want}, "
                         "you get {got}; count how many times the window fits, moving by stride over the padded side",
                         size=size, kernel=kernel, stride=stride, padding=padding, want=want, got=got)


@exercise("05.3")
def _(max_pool_by_hand):
    g = _generator(53)
    F = torch.nn.functional
    for shape, size in [((7, 6), 2), ((9, 9), 3)]:
        fmap = torch.randn(*shape, generator=g)
        out = _tensor(_call(max_pool_by_hand, fmap, size))
        want = F.max_pool2d(fmap[None], size)[0]
        if tuple(out.shape) == tuple(want.shape) and torch.allclose(out.float(), F.avg_pool2d(fmap[None], size)[0], atol=1e-5):
            raise NotYet("that is average pooling: keep the largest number of each window")
        if tuple(out.shape) == (shape[0] - size + 1, shape[1] - size + 1):
            raise NotYet("the windows overlap: move the window by `size` pixels, not by 1")
        _close(out, want, Text("out[i, j] is the max of fmap[i*size:(i+1)*size, j*size:(j+1)*size]; "
                                "a {shape} map with size {size} gives {want}", shape=shape, size=size, want=tuple(want.shape)))


# -- 06 Dataset and DataLoader --

@exercise("06.1")
def _(parse_line):
    line = "Ankle boot/00042 copy.png\t9"  # a file name with a space, as photos often have
    got = _call(parse_line, line)
    if not isinstance(got, tuple) or len(got) != 2:
        raise NotYet("return a pair (path, label id), got {got!r}", got=got)
    path, label = got
    if path in ("Ankle", "Ankle boot/00042") or (isinstance(path, str) and " " not in path):
        raise NotYet("split on the TAB only, line.split('\\t'): file names may contain spaces")
    if isinstance(label, str):
        raise NotYet("turn the label id into a number: int(label)")
    if not isinstance(label, int) or isinstance(label, bool):
        raise NotYet("the label id should be an int, got {got}", got=type(label).__name__)
    if (path, label) != ("Ankle boot/00042 copy.png", 9):
        raise NotYet("for {line!r} expected ('Ankle boot/00042 copy.png', 9), got {got!r}", line=line, got=got)
    got = _call(parse_line, "T-shirt_top/00001.png\t0\n")  # a line read with its newline
    if got != ("T-shirt_top/00001.png", 0):
        raise NotYet("for 'T-shirt_top/00001.png\\t0\\n' expected ('T-shirt_top/00001.png', 0), got {got!r}", got=got)


def _png_samples(folder) -> list:
    """Three small RGB PNG files of different sizes in `folder`: [(path, label id)]."""
    import numpy as np
    from PIL import Image

    g = _generator(62)
    samples = []
    for i, (h, w) in enumerate([(20, 24), (28, 28), (9, 31)]):
        pixels = torch.randint(0, 256, (h, w, 3), generator=g, dtype=torch.uint8).numpy()
        path = folder / f"image {i}.png"
        Image.fromarray(np.ascontiguousarray(pixels)).save(path)  # (H, W, 3) uint8: RGB
        samples.append((path, i % 2))
    return samples


@exercise("06.2")
def _(dataset_class):
    import tempfile

    import numpy as np
    from PIL import Image

    if not isinstance(dataset_class, type):
        raise NotYet("pass the class itself (FileDataset), not {got}", got=type(dataset_class).__name__)
    with tempfile.TemporaryDirectory() as tmp:
        from pathlib import Path

        samples = _png_samples(Path(tmp))
        size = (12, 16)  # (H, W): not square, so W and H cannot be mixed up unseen
        ds = dataset_class(samples, size=size)
        if len(ds) != len(samples):
            raise NotYet("len(ds) is {got} for {want} samples: __len__ returns len(self.samples)", got=len(ds), want=len(samples))
        for index, (path, label) in enumerate(samples):
            got = ds[index]
            if got is None:
                raise NotYet("__getitem__ returns nothing yet: replace the `...` with code that returns (image, label)")
            if not isinstance(got, tuple) or len(got) != 2:
                raise NotYet("__getitem__ should return a pair (image, label), got {got}", got=type(got).__name__)
            x, y = _tensor(got[0], Text("the image")), _tensor(got[1], Text("the label"))
            if x.dim() == 3 and x.shape[-1] == 3:
                raise NotYet("convert the image to one gray channel first: .convert('L')")
            if tuple(x.shape) == size:
                raise NotYet("add the channel dimension: the image should be (1, H, W), e.g. .unsqueeze(0)")
            if tuple(x.shape) == (1, size[1], size[0]):
                raise NotYet("PIL sizes are (W, H): resize with image.resize((W, H)), i.e. (self.size[1], self.size[0])")
            if tuple(x.shape) != (1, *size):
                raise NotYet("the image should have shape {want}, got {got}", want=(1, *size), got=tuple(x.shape))
            if not x.is_floating_point():
                raise NotYet("make the image a float tensor: .float()")
            if x.max() > 1.0:
                raise NotYet("scale the pixels to [0, 1]: divide by 255")
            gray = Image.open(path).convert("L")
            # any of PIL's usual filters is fine; compare with each
            wants = [torch.from_numpy(np.array(gray.resize((size[1], size[0]), f))).float().div(255).unsqueeze(0)
                     for f in (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.NEAREST,
                               Image.Resampling.LANCZOS, Image.Resampling.BOX)]
            if not any(torch.allclose(x.float(), w, atol=1.5 / 255) for w in wants):
                raise NotYet("sample {index} has other pixels than its file: open self.samples[index]'s path", index=index)
            if not y.is_floating_point():
                raise NotYet("turn the label into a float, torch.tensor(label, dtype=torch.float32): "
                             "BCEWithLogitsLoss wants float targets")
            if y.shape != () or float(y) != float(label):
                raise NotYet("the label of sample {index} should be the number {label}, got {got!r}", index=index, label=label, got=y)


@exercise("06.3")
def _(to_logits):
    g = _generator(63)
    for batch in (5, 1):  # a last batch of one image is common
        output = torch.randn(batch, 1, generator=g)
        got = _tensor(_call(to_logits, output))
        if got.shape == () and batch == 1:
            raise NotYet("squeeze(1), not squeeze(): a batch of one image must stay shape (1,), not ()")
        _close(got, output[:, 0], Text("drop the size-1 dimension at position 1: output.squeeze(1)"))
        labels = torch.zeros(batch)
        torch.nn.functional.binary_cross_entropy_with_logits(got, labels)  # the loss must accept it


# -- 07 transfer learning --

def _meta_resnet(name: str = "resnet18"):
    """A torchvision ResNet with shapes but no numbers (meta device): quick to build."""
    import torchvision

    with torch.device("meta"):
        return torchvision.models.get_model(name, weights=None)


@exercise("07.1")
def _(new_head):
    for name, num_classes in (("resnet18", 7), ("resnet50", 3)):
        model = _meta_resnet(name)
        old, in_features = model.fc, model.fc.in_features
        kept = {n: id(p) for n, p in model.named_parameters() if not n.startswith("fc.")}
        with torch.random.fork_rng(devices=[]):  # the new layer's random weights leave later cells alone
            got = _call(new_head, model, num_classes)
        if got is not model:
            raise NotYet("change the model you were given and return it: model.fc = ...; return model")
        if model.fc is old:
            raise NotYet("put a new layer in place: model.fc = nn.Linear(...)")
        if not isinstance(model.fc, torch.nn.Linear):
            raise NotYet("model.fc should be an nn.Linear, got {got}", got=type(model.fc).__name__)
        if model.fc.out_features != num_classes:
            raise NotYet("the new layer has {got} outputs for num_classes={num_classes}: "
                         "use num_classes, not a fixed number",
                         got=model.fc.out_features, num_classes=num_classes)
        if model.fc.in_features != in_features:
            raise NotYet("{name}'s fc takes {want} inputs, the new one {got}: take them from model.fc.in_features",
                         name=name, want=in_features, got=model.fc.in_features)
        if model.fc.bias is None:
            raise NotYet("keep the bias: nn.Linear(in_features, num_classes)")
        if {n: id(p) for n, p in model.named_parameters() if not n.startswith("fc.")} != kept:
            raise NotYet("change only model.fc: the backbone keeps what it learned")


def _resnet_with_head(num_classes: int = 5):
    model = _meta_resnet()
    model.fc = torch.nn.Linear(model.fc.in_features, num_classes, device="meta")
    return model


@exercise("07.2")
def _(freeze_all_but_fc):
    model = _resnet_with_head()
    _call(freeze_all_but_fc, model)
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    if not trainable:
        raise NotYet("keep model.fc trainable: freeze only the parameters outside it")
    if trainable == sorted(n for n, _ in model.named_parameters()):
        raise NotYet("nothing was frozen: set p.requires_grad = False for every parameter outside model.fc")
    if trainable == ["fc.weight"]:
        raise NotYet("fc's bias is frozen too: keep all of model.fc's parameters trainable")
    if trainable != ["fc.bias", "fc.weight"]:
        raise NotYet("only fc.weight and fc.bias should stay trainable, got {got}{more}",
                     got=trainable[:4], more=" ..." if len(trainable) > 4 else "")


@exercise("07.3")
def _(count_trainable):
    model = _resnet_with_head(5)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.layer4[1].parameters():  # the last block trainable too: fine-tuning a little more
        p.requires_grad_(True)
    for p in model.fc.parameters():
        p.requires_grad_(True)
    want = sum(p.numel() for p in model.parameters() if p.requires_grad)
    got = _call(count_trainable, model)
    if isinstance(got, torch.Tensor):
        got = got.item()
    if got == sum(p.numel() for p in model.parameters()):
        raise NotYet("that counts every parameter: count only those with p.requires_grad")
    if got == sum(1 for p in model.parameters() if p.requires_grad):
        raise NotYet("that counts tensors: add up the numbers in each one, p.numel()")
    if got == 512 * 5 + 5:
        raise NotYet("that counts fc alone: go over all of model.parameters() and keep those with requires_grad")
    if got != want:
        raise NotYet("expected {want:,} trainable numbers here, got {got!r}: sum p.numel() where p.requires_grad",
                     want=want, got=got)


@exercise("07.4")
def _(error_rate_of):
    g = _generator(74)
    logits, labels = torch.randn(40, 5, generator=g), torch.randint(0, 5, (40,), generator=g)
    wrong = (logits.argmax(dim=1) != labels).float().mean().item()
    got = _call(error_rate_of, logits, labels)
    if isinstance(got, torch.Tensor):
        if got.numel() != 1:
            raise NotYet("return one number, got a tensor of shape {shape}: use argmax(dim=1)", shape=tuple(got.shape))
        got = got.item()
    if not isinstance(got, (int, float)):
        raise NotYet("return a number, got {got}", got=type(got).__name__)
    if abs(got - (1 - wrong)) < 1e-6 and abs(wrong - 0.5) > 1e-6:
        raise NotYet("that is the accuracy: the error rate is the fraction that is wrong, 1 - accuracy")
    if abs(got - wrong * len(labels)) < 1e-6:
        raise NotYet("that is the number of mistakes: divide by the number of images")
    if abs(got - wrong) > 1e-6:
        raise NotYet("the predicted class is logits.argmax(dim=1); compare it with labels and take the mean of != ")
