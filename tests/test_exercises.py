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

from dlcourse import exercises
from dlcourse.exercises import check, score

ROOT = Path(__file__).resolve().parent.parent

# id -> (list of accepted answers, list of (wrong answer, a piece of its hint)); each answer is a
# tuple of the arguments the notebook passes to check().
TABLE: dict[str, tuple[list[tuple], list[tuple[tuple, str]]]] = {}

# ---- 01 model concept ----



# ---- 02 nn.Linear and stacking ----



# ---- 03 MLP image classifier ----



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
