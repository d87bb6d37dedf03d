"""save_checkpoint / load_checkpoint: atomic writes, weights_only loads, clear errors for the wrong file."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torchvision

from dlcourse.models import SmallCNN
from dlcourse.transfer import load_checkpoint, save_checkpoint


def test_round_trip_is_exact(tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=5)
    path = save_checkpoint(model, tmp_path / "sub" / "r18.pt", classes=[0, 1, 2, 3, 4], epochs=1)
    assert [p.name for p in path.parent.iterdir()] == ["r18.pt"]  # no temp file left
    other = load_checkpoint(torchvision.models.resnet18(num_classes=5), path)
    for (k, a), (_, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert torch.equal(a, b), k
    payload = torch.load(path, weights_only=True)  # only tensors, strings and numbers inside
    assert payload["architecture"] == "ResNet" and payload["info"] == {"classes": [0, 1, 2, 3, 4], "epochs": 1}


def test_plain_state_dict_loads(tmp_path):
    model = SmallCNN()
    torch.save(model.state_dict(), tmp_path / "plain.pt")
    loaded = load_checkpoint(SmallCNN(), tmp_path / "plain.pt")
    assert torch.equal(loaded.classifier[1].weight, model.classifier[1].weight)


def test_other_number_of_classes(tmp_path):
    path = save_checkpoint(torchvision.models.resnet18(num_classes=5), tmp_path / "r18.pt")
    with pytest.raises(ValueError, match=r"r18.pt does not fit this ResNet \(another number of classes, or another "
                                         r"variant\?\): 2 tensors differ, fc.bias: file \(5,\), model \(10,\); "
                                         r"fc.weight: file \(5, 512\), model \(10, 512\)$"):
        load_checkpoint(torchvision.models.resnet18(num_classes=10), path)


def test_other_architecture(tmp_path):
    path = save_checkpoint(torchvision.models.resnet18(num_classes=5), tmp_path / "r18.pt")
    with pytest.raises(ValueError, match="holds weights of a ResNet, not of a SmallCNN: build a ResNet to load it"):
        load_checkpoint(SmallCNN(), path)
    with pytest.raises(ValueError, match=r"does not fit this ResNet .*: 96 tensors differ, layer1.2.bn1.bias: file none, "
                                         r"model \(64,\);.* \.\.\.$"):
        load_checkpoint(torchvision.models.resnet34(num_classes=5), path)


def test_damaged_or_foreign_files(tmp_path):
    good = save_checkpoint(SmallCNN(), tmp_path / "good.pt")
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:500])  # a copy cut short
    with pytest.raises(ValueError, match=r"cut.pt is damaged or not a PyTorch file \(\w+\): save the checkpoint again"):
        load_checkpoint(SmallCNN(), cut)
    text = tmp_path / "text.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="text.pt is damaged or not a PyTorch file"):
        load_checkpoint(SmallCNN(), text)
    evil = tmp_path / "code.pt"
    evil.write_bytes(pickle.dumps(print, protocol=2))  # a pickle that would call code: weights_only refuses it
    with pytest.raises(ValueError, match="code.pt holds pickled Python objects"):
        load_checkpoint(SmallCNN(), evil)
    numbers = tmp_path / "numbers.pt"
    torch.save({"lr": 0.1}, numbers)
    with pytest.raises(ValueError, match="numbers.pt holds no model weights"):
        load_checkpoint(SmallCNN(), numbers)
    with pytest.raises(FileNotFoundError, match="missing.pt"):  # Python's own error says it
        load_checkpoint(SmallCNN(), tmp_path / "missing.pt")


def test_a_whole_pickled_model_is_explained_not_loaded(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(SmallCNN(), path)  # the model object, not its weights
    with pytest.raises(ValueError, match=r"model.pt holds pickled Python objects \(torch.save\(model\) saves the model "
                                         r"object\).*save_checkpoint\(model, path\) or torch.save\(model.state_dict\(\), path\)"):
        load_checkpoint(SmallCNN(), path)


def test_what_the_loader_cannot_read_is_converted_or_refused_at_save_time(tmp_path):
    model = SmallCNN()
    path = save_checkpoint(model, tmp_path / "m.pt", acc=np.float64(0.9), epochs=np.int64(3),
                           per_class=np.array([0.5, 1.0]), history={"loss": [np.float32(0.25)]}, classes=(0, 1))
    load_checkpoint(SmallCNN(), path)  # loads: what went in is plain
    info = torch.load(path, weights_only=True)["info"]
    assert info["acc"] == 0.9 and type(info["acc"]) is float and info["epochs"] == 3 and type(info["epochs"]) is int
    assert torch.equal(info["per_class"], torch.tensor([0.5, 1.0], dtype=torch.float64))
    assert info["history"] == {"loss": [0.25]} and info["classes"] == (0, 1)
    with pytest.raises(TypeError, match=r"save_checkpoint\(\.\.\., where=\.\.\.\) got a PosixPath .*e.g. str\(path\)"):
        save_checkpoint(model, tmp_path / "p.pt", where=tmp_path)
    assert not (tmp_path / "p.pt").exists()


def test_a_class_instead_of_a_model(tmp_path):
    for helper in (save_checkpoint, load_checkpoint):
        with pytest.raises(TypeError, match=r"model is the class SmallCNN, not a model: .*model = SmallCNN\(\)"):
            helper(SmallCNN, tmp_path / "m.pt")


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_checkpoint(SmallCNN(), tmp_path / "cnn.pt")
    before = path.read_bytes()

    def save_half_then_fail(obj, f, *args, **kwargs):
        open(f, "wb").write(b"PK half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(SmallCNN(), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cnn.pt"]
