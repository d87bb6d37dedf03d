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



# -- 02 nn.Linear and stacking --



# -- 03 MLP image classifier --



# -- 04 parameter explosion --



# -- 05 CNN ideas --



# -- 06 Dataset and DataLoader --



# -- 07 transfer learning --
