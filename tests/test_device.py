import random

import numpy as np
import pytest
import torch

from dlcourse.device import ENV_DEVICE, get_device, seed_everything


def test_cpu_and_auto(monkeypatch):
    monkeypatch.delenv(ENV_DEVICE, raising=False)
    assert get_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert get_device("auto").type == expected
    assert get_device(torch.device("cpu")) == torch.device("cpu")


def test_auto_honours_environment(monkeypatch):
    monkeypatch.setenv(ENV_DEVICE, "cpu")
    assert get_device("auto") == torch.device("cpu")
    monkeypatch.setenv(ENV_DEVICE, "tpu")
    with pytest.raises(ValueError, match="DLCOURSE_DEVICE"):
        get_device("auto")


def test_explicit_name_beats_environment(monkeypatch):
    monkeypatch.setenv(ENV_DEVICE, "nonsense")
    assert get_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", "cpu0"])
def test_unknown_names_are_errors(bad):
    with pytest.raises(ValueError, match="unknown device"):
        get_device(bad)


def test_wrong_type_is_an_unknown_name():
    with pytest.raises(ValueError, match="unknown device '0'"):
        get_device(0)
    with pytest.raises(ValueError, match="unknown device 'meta'"):
        get_device(torch.device("meta"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_an_error_not_a_fallback(monkeypatch):
    with pytest.raises(RuntimeError, match="no CUDA"):
        get_device("cuda")
    monkeypatch.setenv(ENV_DEVICE, "cuda")
    with pytest.raises(RuntimeError, match="DLCOURSE_DEVICE"):
        get_device("auto")


@pytest.mark.cuda
def test_cuda_when_present():
    assert get_device("cuda").type == "cuda"
    assert get_device("cuda:0") == torch.device("cuda:0")


def test_seed_everything_repeats_all_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3)

    assert seed_everything(123) == 123
    a = draw()
    seed_everything(123)
    b = draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)
