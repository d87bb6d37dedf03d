"""save_checkpoint / load_checkpoint: atomic writes, weights_only loads, clear errors for the wrong file."""

from __future__ import annotations

import pickle

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
    with pytest.raises(ValueError, match=r"r18.pt does not fit this ResNet \(the output layer differs: the file "
                                         r"was made for 5 classes\): fc.weight: file \(5, 512\), model \(10, 512\)"):
        load_checkpoint(torchvision.models.resnet18(num_classes=10), path)


def test_other_architecture(tmp_path):
    path = save_checkpoint(torchvision.models.resnet18(num_classes=5), tmp_path / "r18.pt")
    with pytest.raises(ValueError, match="holds weights of a ResNet, not of a SmallCNN: build a ResNet to load it"):
        load_checkpoint(SmallCNN(), path)
    with pytest.raises(ValueError, match=r"does not fit this ResNet \(the file has 122 tensors, the model 218"):
        load_checkpoint(torchvision.models.resnet34(num_classes=5), path)


def test_damaged_or_foreign_files(tmp_path):
    good = save_checkpoint(SmallCNN(), tmp_path / "good.pt")
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:500])  # a copy cut short
    with pytest.raises(ValueError, match=r"cut.pt is not a readable checkpoint .*delete it and save it again"):
        load_checkpoint(SmallCNN(), cut)
    evil = tmp_path / "code.pt"
    evil.write_bytes(pickle.dumps(print))  # a pickle that would call code: weights_only refuses it
    with pytest.raises(ValueError, match="code.pt is not a readable checkpoint"):
        load_checkpoint(SmallCNN(), evil)
    numbers = tmp_path / "numbers.pt"
    torch.save({"lr": 0.1}, numbers)
    with pytest.raises(ValueError, match="numbers.pt holds no model weights"):
        load_checkpoint(SmallCNN(), numbers)
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*missing.pt"):
        load_checkpoint(SmallCNN(), tmp_path / "missing.pt")


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
