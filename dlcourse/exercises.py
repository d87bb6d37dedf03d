"""Exercises: the learner's answer checked in the notebook, one printed line, and the score.

A notebook's exercise cell (tagged `exercise`, first line `# Exercise NN.K: the task`) holds a
blank, `...`. The cell after it calls `check("NN.K", answer)`, which compares the answer with
PyTorch's own result and prints one line: correct, or "not yet" with a hint aimed at the usual
mistake. Three states, decided in one place (`_outcome`): "correct", "not yet" (tried, wrong) and
"not tried" (the blank is still there: the `...` itself, or a function or class with a `...`
statement left); never an exception, so Run All on an untouched notebook finishes.
`score()` gives the two numbers every notebook writes to METRICS_PATH; `summary()` checks every
exercise again on the notebook's names as they are now (`check_all`) and prints the three states.
`hint("NN.K")` prints the exercise's next hint each call, `solution("NN.K")` its reference solution
(notebooks/solutions/, packaged with dlcourse as dlcourse/solutions when installed).

A check changes nothing that follows it: its own generator, never the global one (the layers it
builds run under fork_rng), its own tensors and models, and no output but its one line.

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
_RESULTS: dict[str, str] = {}  # "NN.K" -> its state (CORRECT, NOT_YET, NOT_TRIED), for the exercises checked in this kernel
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


CORRECT, NOT_YET, NOT_TRIED = "correct", "not yet", "not tried"  # the three states of an exercise


def _is_blank(answer: Any) -> bool:
    """Whether `answer` still holds the notebook's blank: `...` itself, or a function or class with a
    statement that is just `...` (read from its source; a cell's source is known to IPython)."""
    if answer is Ellipsis:
        return True
    import ast
    import inspect
    import textwrap

    if isinstance(answer, type):  # a class: its methods (a notebook class's own source is not always found)
        return any(_is_blank(f) for f in vars(answer).values() if inspect.isfunction(f))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (TypeError, OSError, SyntaxError, IndentationError):
        return False
    return any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis
               for node in ast.walk(tree))


def _outcome(ex_id: str, answer: tuple) -> tuple[str, Text]:
    """(state, the line to print) for `answer` to exercise `ex_id`; the one place the state is decided:
    "correct", "not yet" (tried, wrong) or "not tried" (the blank is still there)."""
    checker = _CHECKS[ex_id]  # a KeyError here is the notebook author's mistake, not the learner's
    if any(a is Ellipsis for a in answer):
        return NOT_TRIED, Text("Exercise {ex_id}: not tried yet. {hint}", ex_id=ex_id, hint=Text(
            "fill in the blank: replace the `...` in the cell above, then run both cells"))
    try:
        checker(*answer)
        return CORRECT, Text("Exercise {ex_id}: correct.", ex_id=ex_id)
    except NotYet as exc:
        line = Text("Exercise {ex_id}: not yet. {hint}", ex_id=ex_id, hint=exc.hint)
    except Exception as exc:  # the learner's code raised: say what (Python's own message), never stop Run All
        line = Text("Exercise {ex_id}: not yet. Your code raised {error}: {message}",
                    ex_id=ex_id, error=type(exc).__name__, message=str(exc))
    if any(_is_blank(a) for a in answer):
        return NOT_TRIED, Text("Exercise {ex_id}: not tried yet. {hint}", ex_id=ex_id, hint=Text(
            "fill in the blank: replace the `...` in the cell above, then run both cells"))
    return NOT_YET, line


def check(ex_id: str, *answer: Any) -> None:
    """Check the learner's answer to exercise `ex_id` and print one line (nothing else shows in the notebook)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # the learner's own prints stay out of the one line
        state, line = _outcome(ex_id, answer)
    _RESULTS[ex_id] = state
    _progress.record(ex_id, state, hints=_HINTS_SHOWN.get(ex_id, 0))  # in the room only; never raises
    print(line)


def score() -> dict[str, int]:
    """{"exercises_total": exercises checked in this kernel, "exercises_passed": how many are correct}."""
    return {"exercises_total": len(_RESULTS), "exercises_passed": sum(s == CORRECT for s in _RESULTS.values())}


# The name each exercise cell defines, which its check cell passes to check(): summary() checks
# it again as it is now.
ANSWERS: dict[str, str] = {
    "01.1": "grads_with_bias", "01.2": "gradient_step", "01.3": "ScoreModelWithBias", "01.4": "bce_by_hand",
    "02.1": "linear_by_hand", "02.2": "make_mlp", "02.3": "merge_layers",
    "03.1": "flatten_images", "03.2": "train_step", "03.3": "accuracy_of", "03.4": "evaluate_loss",
    "04.1": "mlp_parameters", "04.2": "parameter_megabytes", "04.3": "mlp_multiply_adds", "04.4": "conv2d_parameters",
    "05.1": "conv2d_loops", "05.2": "conv_output_size", "05.3": "max_pool_by_hand",
    "06.1": "parse_line", "06.2": "FileDataset", "06.3": "to_logits",
    "07.1": "new_head", "07.2": "freeze_all_but_fc", "07.3": "count_trainable", "07.4": "error_rate_of",
}


def _learner_namespace(depth: int = 2) -> dict[str, Any]:
    """The notebook's names: IPython's user namespace in a kernel, else the caller's globals."""
    import sys

    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    return shell.user_ns if shell is not None else sys._getframe(depth).f_globals


def check_all(namespace: dict[str, Any] | None = None) -> dict[str, str]:
    """Check again every exercise checked in this kernel, on the answer as it is now in the notebook
    (a fresh check, as otter-grader's check_all: an answer edited after its check counts as it is now).
    Prints nothing; returns {exercise: state}. A name no longer defined keeps its last state."""
    import contextlib
    import io

    namespace = _learner_namespace() if namespace is None else namespace
    for ex_id in sorted(_RESULTS):
        name = ANSWERS.get(ex_id)
        if name is None or name not in namespace:
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            _RESULTS[ex_id], _ = _outcome(ex_id, (namespace[name],))
    return dict(sorted(_RESULTS.items()))


def summary(namespace: dict[str, Any] | None = None) -> None:
    """Check every exercise of this kernel again (check_all) and print one line: how many are correct,
    which are not yet, and which are not tried."""
    states = check_all(_learner_namespace() if namespace is None else namespace)
    result = score()
    passed, total = result["exercises_passed"], result["exercises_total"]
    _progress.record_summary(states)  # in the room only; never raises
    todo = ", ".join(ex_id for ex_id, s in states.items() if s == NOT_YET)
    blank = ", ".join(ex_id for ex_id, s in states.items() if s == NOT_TRIED)
    if todo and blank:
        line = Text("Exercises correct: {passed} of {total} (not yet: {todo}; not tried: {blank})",
                    passed=passed, total=total, todo=todo, blank=blank)
    elif todo:
        line = Text("Exercises correct: {passed} of {total} (not yet: {todo})", passed=passed, total=total, todo=todo)
    elif blank:
        line = Text("Exercises correct: {passed} of {total} (not tried: {blank})",
                    passed=passed, total=total, blank=blank)
    else:
        line = Text("Exercises correct: {passed} of {total}", passed=passed, total=total)
    print(line)


# Help in steps: hint() gives the next hint of an exercise each time, solution() its reference answer.

_HINTS_SHOWN: dict[str, int] = {}  # "NN.K" -> how many of its hints were shown in this kernel


def hint(ex_id: str) -> None:
    """Print the next hint of exercise `ex_id` (each call one more; the last one nearly the answer)."""
    if ex_id not in HINTS:
        raise ValueError(f"hint({ex_id!r}): no such exercise; the exercises are " + ", ".join(sorted(HINTS)))
    hints = HINTS[ex_id]
    shown = min(_HINTS_SHOWN.get(ex_id, 0) + 1, len(hints))
    _HINTS_SHOWN[ex_id] = shown
    line = Text("Hint {n} of {total} for {ex_id}: {hint}", n=shown, total=len(hints), ex_id=ex_id, hint=hints[shown - 1])
    if shown == len(hints):
        line = Text("{line} (the last hint; solution(\"{ex_id}\") shows the answer)", line=line, ex_id=ex_id)
    print(line)


def _solutions_folder():
    """notebooks/solutions/ in a clone; the copy packaged with dlcourse (dlcourse/solutions) where it is installed."""
    from importlib import resources
    from pathlib import Path

    clone = Path(__file__).resolve().parent.parent / "notebooks" / "solutions"
    if clone.is_dir():
        return clone
    return resources.files("dlcourse") / "solutions"


def reference_solution(ex_id: str) -> str:
    """The reference solution of exercise `ex_id`: its solved cell, as in notebooks/solutions/."""
    import re

    folder = _solutions_folder()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith(ex_id[:2] + "_") and entry.name.endswith(".py"):
            parts = re.split(r"^# %% exercise (\d\d\.\d+)\s*$", entry.read_text(encoding="utf-8"), flags=re.MULTILINE)
            found = dict(zip(parts[1::2], parts[2::2]))
            if ex_id in found:
                return found[ex_id].strip("\n")
    raise ValueError(f"solution({ex_id!r}): no such exercise; the exercises are " + ", ".join(sorted(_CHECKS)))


def solution(ex_id: str) -> None:
    """Print the reference solution of exercise `ex_id` (from notebooks/solutions/)."""
    code = reference_solution(ex_id)
    print(Text("A solution to exercise {ex_id} (yours may differ and still be right):", ex_id=ex_id))
    print(code)


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
    out = _call(bce_by_hand, p, y)
    out = torch.as_tensor(out, dtype=torch.float32) if isinstance(out, (int, float)) else _tensor(out)
    if out.numel() == 1:
        out = out.reshape(())
    if torch.allclose(out, -want, atol=1e-5):
        raise NotYet("the sign: logs of probabilities are negative, so put a minus in front")
    if torch.allclose(out, want * len(p), atol=1e-4):
        raise NotYet("the loss is a mean over the examples, not a sum")
    _close(out, want, Text("compare with the formula: -mean(y * log(p) + (1 - y) * log(1 - p))"))


# -- 02 nn.Linear and stacking --

@exercise("02.1")
def _(linear_by_hand):
    g = _generator(21)
    for batch, n_in, n_out in ((4, 3, 2), (1, 5, 5)):  # a batch of one, a square W: no shape gives the answer away
        x, W, b = torch.randn(batch, n_in, generator=g), torch.randn(n_out, n_in, generator=g), torch.randn(n_out, generator=g)
        out = _call(linear_by_hand, x, W, b)
        if torch.allclose(_tensor(out).float(), x @ W.T, atol=1e-5):
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
    if (out >= 0).all():
        raise NotYet("the network's outputs are never negative: no ReLU after the last layer, the scores come from nn.Linear")


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
    g = _generator(31)
    for batch in (3, 1):  # a last batch of one image too
        images = torch.rand(batch, 1, 28, 28, generator=g)  # (B, 1, 28, 28)
        out = _tensor(_call(flatten_images, images.clone()))
        if out.dim() == 1:
            raise NotYet("keep the batch dimension: flatten from dim 1 on, to shape (B, 784)")
        _close(out, images.reshape(batch, 784), Text("each row should be one image's 784 pixels, row after row: "
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
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.requires_grad:
        got = got.item()
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
    for n, classes, right in ((20, 10, 7), (9, 3, 4)):
        logits, y = torch.randn(n, classes, generator=g), torch.randint(0, classes, (n,), generator=g)  # (N, C), (N,)
        y[:right] = logits[:right].argmax(1)  # make some of them right
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
    data = torch.utils.data.TensorDataset(torch.randn(12, 4, generator=g), torch.randint(0, 3, (12,), generator=g))
    loader = torch.utils.data.DataLoader(data, batch_size=5, generator=_generator(35))  # batches of 5, 5 and 2
    batches = list(loader)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.eval()
    with torch.no_grad():
        want = sum(loss_fn(net(x), y).item() * len(y) for x, y in batches) / 12
        batch_means = sum(loss_fn(net(x), y).item() for x, y in batches) / len(batches)
    net.train()  # as a model is after training: the learner's loop must switch it
    out = _call(evaluate_loss, net, loader, loss_fn)
    value = out.item() if isinstance(out, torch.Tensor) and out.numel() == 1 else out
    if not isinstance(value, (int, float)):
        raise NotYet("return one number, the mean loss, got {got}", got=type(out).__name__)
    if any(not torch.equal(v, state[k]) for k, v in net.state_dict().items()):
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
    for x_shape, w_shape in (((3, 7, 6), (4, 3, 3, 2)), ((2, 5, 8), (3, 2, 3, 3))):
        x, w, b = torch.randn(*x_shape, generator=g), torch.randn(*w_shape, generator=g), torch.randn(w_shape[0], generator=g)
        _conv2d_one(conv2d_loops, x, w, b)


def _conv2d_one(conv2d_loops, x, w, b):
    F = torch.nn.functional
    shape = tuple(F.conv2d(x[None], w, b)[0].shape)
    out = _tensor(_call(conv2d_loops, x.clone(), w.clone(), b.clone()))
    if tuple(out.shape) == shape and torch.allclose(out.float(), F.conv2d(x[None], w.flip(-2, -1), b)[0], atol=1e-4):
        raise NotYet("PyTorch does not flip the kernel: multiply each window by the weights as they are")
    if tuple(out.shape) == shape and torch.allclose(out.float(), F.conv2d(x[None], w)[0], atol=1e-4):
        raise NotYet("add the bias: bias[o] once to every output of channel o")
    if tuple(out.shape) == shape and torch.allclose(out.float(), F.conv2d(x[None, :1], w[:, :1], b)[0], atol=1e-4):
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
            if not any((x.float() - w).abs().mean() < 0.02 for w in wants):  # another file differs by ~0.3
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
    model = _resnet_with_head(3)  # not the notebook's 5 classes: a rule that copies its shapes fails here
    if not callable(freeze_all_but_fc):
        raise NotYet("expected a function, got {got}", got=type(freeze_all_but_fc).__name__)
    freeze_all_but_fc(model)  # it changes the model in place: what it returns does not matter
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
    model = _resnet_with_head(7)  # not the notebook's 5 classes: its printed 2,565 is not the answer
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
    if got == sum(p.numel() for p in model.fc.parameters()):
        raise NotYet("that counts fc alone: go over all of model.parameters() and keep those with requires_grad")
    if got != want:
        raise NotYet("expected {want:,} trainable numbers here, got {got!r}: sum p.numel() where p.requires_grad",
                     want=want, got=got)


@exercise("07.4")
def _(error_rate_of):
    g = _generator(74)
    for n, classes in ((40, 5), (9, 3)):
        logits, labels = torch.randn(n, classes, generator=g), torch.randint(0, classes, (n,), generator=g)
        _error_rate_one(error_rate_of, logits, labels)


def _error_rate_one(error_rate_of, logits, labels):
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


# ---- The hints of every exercise, in order: hint("NN.K") shows the next one (the last nearly the answer). ----

HINTS: dict[str, list[Text]] = {
    "01.1": [Text("write the loss for one pair (w, b) and take its derivative in w, then in b; the chain rule "
                  "brings down a factor 2 from the square"),
             Text("with e = w * x + b - y, dL/dw = mean(2 * e * x) and dL/db = mean(2 * e)"),
             Text("e = w * x + b - y; return (2 * e * x).mean(), (2 * e).mean()")],
    "01.2": [Text("gradient descent moves w against its gradient, a step of size lr"),
             Text("return w - lr * grad_by_hand(w, x, y)")],
    "01.3": [Text("in __init__, self.w and self.b are each an nn.Parameter, so PyTorch knows to train them"),
             Text("self.w = nn.Parameter(torch.zeros(1)) and the same for self.b; forward returns the line"),
             Text("forward(self, x) returns self.w * x + self.b")],
    "01.4": [Text("each example adds -log of the probability given to its true label: p where y is 1, 1 - p where y is 0"),
             Text("-(y * log(p) + (1 - y) * log(1 - p)), then the mean over the examples"),
             Text("return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()")],
    "02.1": [Text("nn.Linear multiplies each row of x by the weight matrix, then adds the bias"),
             Text("W has shape (out, in): transpose it to multiply (B, in) by it"),
             Text("return x @ W.T + b")],
    "02.2": [Text("nn.Sequential takes the layers in the order the data goes through them"),
             Text("three layers: nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)"),
             Text("return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))")],
    "02.3": [Text("write out W2 (W1 x + b1) + b2 and group what multiplies x and what does not"),
             Text("the weight is W2 @ W1; the bias is what W2 makes of b1, plus b2"),
             Text("return W2 @ W1, W2 @ b1 + b2")],
    "03.1": [Text("keep dimension 0 (the batch) and merge all the others into one"),
             Text("images.flatten(start_dim=1), or images.reshape(len(images), -1)")],
    "03.2": [Text("four steps in order: the loss, clear the old gradients, backward, the optimizer's step"),
             Text("optimizer.zero_grad() before loss.backward(): gradients add up otherwise"),
             Text("loss = loss_fn(model(x), y); optimizer.zero_grad(); loss.backward(); optimizer.step(); return loss.item()")],
    "03.3": [Text("the predicted class of each row is the index of its largest logit"),
             Text("compare logits.argmax(dim=1) with y, then take the mean of the matches as floats"),
             Text("return (logits.argmax(dim=1) == y).float().mean().item()")],
    "03.4": [Text("model.eval() first and torch.no_grad() around the loop, as in the evaluation above"),
             Text("batches may differ in size: add loss.item() * len(y) and count the images, then divide"),
             Text("total += loss_fn(model(x), y).item() * len(y); count += len(y); after the loop return total / count")],
    "04.1": [Text("nn.Linear(a, b) holds a weight matrix (b, a) and b biases"),
             Text("for each pair of neighbouring sizes a, b add a * b + b"),
             Text("return sum(a * b + b for a, b in zip(sizes, sizes[1:]))")],
    "04.2": [Text("bytes = numbers x bytes per number; p.element_size() gives the bytes of one number of p"),
             Text("return sum(p.numel() * p.element_size() for p in model.parameters()) / 10**6")],
    "04.3": [Text("each weight is used once per image, in one multiply and one add: one multiply-add"),
             Text("return sum(a * b for a, b in zip(sizes, sizes[1:])): the biases are additions only")],
    "04.4": [Text("each of the out_channels filters covers all in_channels, with k x k weights each, and has one bias"),
             Text("return out_channels * in_channels * kernel_size * kernel_size + out_channels")],
    "05.1": [Text("the output has one channel per filter; each output pixel is one window times one filter, summed"),
             Text("loop over o, i, j: out[o, i, j] = (x[:, i:i+kh, j:j+kw] * weight[o]).sum() + bias[o]"),
             Text("out = torch.empty(C_out, H - kh + 1, W - kw + 1), fill it with the three loops above, return out")],
    "05.2": [Text("padding adds `padding` pixels on both sides; then count the window positions, one every `stride`"),
             Text("return (size + 2 * padding - kernel) // stride + 1")],
    "05.3": [Text("the windows do not overlap: window (i, j) starts at row i * size, column j * size"),
             Text("out[i, j] = fmap[i*size:(i+1)*size, j*size:(j+1)*size].max(), for i < H // size and j < W // size"),
             Text("out = torch.empty(H // size, W // size), fill it with the two loops above, return out")],
    "06.1": [Text("a line holds the path, a TAB, and the label id; paths may contain spaces"),
             Text("path, label = line.rstrip('\\n').split('\\t')"),
             Text("return path, int(label)")],
    "06.2": [Text("open self.samples[index]'s path with PIL, gray and resized; then a float tensor (1, H, W) in [0, 1]"),
             Text("Image.open(path).convert('L').resize((W, H)): PIL sizes are (width, height)"),
             Text("x = torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0); "
                  "return x, torch.tensor(label, dtype=torch.float32)")],
    "06.3": [Text("the model gives (B, 1); BCEWithLogitsLoss wants (B,), the labels' shape"),
             Text("remove dimension 1 only: a batch of one image must stay (1,)"),
             Text("return output.squeeze(1)")],
    "07.1": [Text("the old model.fc tells you how many inputs the new layer needs: model.fc.in_features"),
             Text("model.fc = nn.Linear(model.fc.in_features, num_classes); then return model")],
    "07.2": [Text("every parameter has requires_grad; model.named_parameters() gives each one's name too"),
             Text("set p.requires_grad = False for every name that does not start with 'fc.'"),
             Text("for name, p in model.named_parameters(): p.requires_grad = name.startswith('fc.'); then return model")],
    "07.3": [Text("go over model.parameters() and keep the ones with p.requires_grad"),
             Text("return sum(p.numel() for p in model.parameters() if p.requires_grad)")],
    "07.4": [Text("the predicted class is logits.argmax(dim=1); a mistake is where it differs from labels"),
             Text("return (logits.argmax(dim=1) != labels).float().mean().item()")],
}
