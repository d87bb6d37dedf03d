"""Learners' mistakes at the package's public functions: each gives one clear error naming the
argument and the value (see the table in tests/README.md). Checks tested elsewhere are not repeated:
test_train.py (shapes, dtypes, empty loaders), test_device.py (device names),
test_imagefiles.py (list and labels files), test_data.py (TensorLoader lengths, batch_size)."""

from __future__ import annotations

import json
import re

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlcourse.data import TensorLoader
from dlcourse.files import write_metrics
from dlcourse.models import MLP
from dlcourse.plots import plot_history, show_image, show_images
from dlcourse.train import confusion_matrix, evaluate, fit, predict


@pytest.fixture
def loader():
    return TensorLoader(torch.randn(8, 3), torch.randint(0, 2, (8,)), 4)


# train: what is passed as the model and as the loader

def test_model_class_instead_of_model(loader):
    with pytest.raises(TypeError, match=r"model is the class MLP, not a model: .*model = MLP\(\)"):
        fit(MLP, loader, device="cpu", progress=False)
    for helper in (evaluate, predict):
        with pytest.raises(TypeError, match="model is the class MLP"):
            helper(MLP, loader, "cpu")
    with pytest.raises(TypeError, match="model must be an nn.Module, got str 'mlp'"):
        evaluate("mlp", loader, "cpu")


def test_dataset_or_tensor_instead_of_loader():
    ds = TensorDataset(torch.randn(8, 3), torch.randint(0, 2, (8,)))
    with pytest.raises(TypeError, match=r"train_loader is a Dataset \(TensorDataset\).*DataLoader\(dataset"):
        fit(nn.Linear(3, 2), ds, device="cpu", progress=False)
    with pytest.raises(TypeError, match=r"val_loader is a Dataset"):
        fit(nn.Linear(3, 2), DataLoader(ds, batch_size=4), ds, device="cpu", progress=False)
    with pytest.raises(TypeError, match=r"loader must yield \(x, y\) batches, got a Tensor of shape \(8, 3\)"):
        evaluate(nn.Linear(3, 2), torch.randn(8, 3), "cpu")


def test_model_on_another_device_without_a_gpu(loader):
    # the meta device stands in for a GPU: the same check, on any machine
    model = nn.Linear(3, 2, device="meta")
    with pytest.raises(ValueError, match=r"the model is on meta but device='cpu': move it first with model.to\('cpu'\)"):
        evaluate(model, loader, "cpu")
    with pytest.raises(ValueError, match="the model is on meta"):
        predict(model, loader, "cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda0", "CPU:x"])
def test_unknown_device_name_in_train_helpers(loader, bad):
    with pytest.raises(ValueError, match=f"unknown device {bad!r}"):
        fit(nn.Linear(3, 2), loader, device=bad, progress=False)
    with pytest.raises(ValueError, match=f"unknown device {bad!r}"):
        evaluate(nn.Linear(3, 2), loader, bad)


def test_device_meta_is_refused_before_the_weights_move(loader):
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="unknown device 'meta'"):
        fit(model, loader, device=torch.device("meta"), progress=False)
    assert model.weight.device.type == "cpu" and torch.isfinite(model.weight).all()  # nothing lost


def test_optimizer_made_for_another_model(loader):
    old = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(old.parameters(), lr=0.1)
    model = nn.Linear(3, 2)  # a re-run cell made a new model; the optimizer still holds the old one's weights
    with pytest.raises(ValueError, match=r"the optimizer holds none of this model's parameters.*"
                                         r"optimizer = torch.optim.Adam\(model.parameters\(\)"):
        fit(model, loader, optimizer=optimizer, device="cpu", progress=False)


def test_one_output_model_with_cross_entropy():
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,)).float()
    for model in (nn.Linear(3, 1), nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))):
        with pytest.raises(ValueError, match=r"one output per sample.*loss_fn=nn.BCEWithLogitsLoss\(\)"):
            fit(model, TensorLoader(x, y, 4), device="cpu", progress=False)


def test_one_logit_model_must_give_b_not_b1():
    # (B, 1) outputs against (B,) labels: a learner's own loop fails here too, so fit teaches the rule
    loader = TensorLoader(torch.randn(8, 3), torch.randint(0, 2, (8,)).float(), 4)
    with pytest.raises(ValueError, match=r"output has shape \(4, 1\) but the labels \(4,\).*\.squeeze\(1\)"):
        fit(nn.Linear(3, 1), loader, loss_fn=nn.BCEWithLogitsLoss(), device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"output has shape \(4, 1\)"):
        evaluate(nn.Linear(3, 1), loader, "cpu", loss_fn=nn.BCEWithLogitsLoss())


@pytest.mark.parametrize("labels, match", [
    (torch.tensor([0, 1, 2, 3] * 2), r"class indices 0..2 \(int64\) for a model with 3 outputs, got torch.int64 labels from 0 to 3"),
    (torch.tensor([0, 1, -1, 2] * 2), r"labels from -1 to 2: check num_classes"),
    (nn.functional.one_hot(torch.tensor([0, 1, 2, 1] * 2), 3).float(), r"labels y have shape \(4, 3\).*y.argmax\(1\)"),
])
def test_labels_that_do_not_fit_the_model(labels, match):
    with pytest.raises(ValueError, match=match):
        fit(nn.Linear(3, 3), TensorLoader(torch.randn(8, 3), labels, 4), device="cpu", progress=False)


def test_binary_labels_outside_0_1():
    loader = TensorLoader(torch.randn(8, 3), torch.tensor([0.0, 1.0, 2.0, 1.0] * 2), 4)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))
    with pytest.raises(ValueError, match=r"float labels in 0..1, got torch.float32 labels from 0.0 to 2.0"):
        fit(model, loader, loss_fn=nn.BCEWithLogitsLoss(), device="cpu", progress=False)


@pytest.mark.parametrize("batches, got", [
    ([{"image": torch.randn(4, 3), "label": torch.zeros(4, dtype=torch.long)}], r"a dict with keys \['image', 'label'\]"),
    ([(torch.randn(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(4))], "a tuple of 3"),
])
def test_loader_that_does_not_yield_pairs(batches, got):
    with pytest.raises(TypeError, match=r"train_loader must yield \(x, y\) pairs of tensors, got " + got
                       + r".*__getitem__ return \(image, label\)"):
        fit(nn.Linear(3, 2), batches, device="cpu", progress=False)


def test_one_shot_generator_as_a_loader(loader):
    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"val_loader is a one-shot generator: .*second epoch would see nothing"):
        fit(model, loader, (b for b in loader), device="cpu", progress=False)
    with pytest.raises(TypeError, match="train_loader is a one-shot generator"):
        fit(model, (b for b in loader), epochs=2, device="cpu", progress=False)
    history = fit(model, (b for b in loader), epochs=1, device="cpu", progress=False)  # one pass is fine
    assert len(history["train_loss"]) == 1


def test_confusion_matrix_checks():
    p, t = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])
    assert confusion_matrix(p, t, 3).sum() == 3
    with pytest.raises(ValueError, match=r"preds must be class indices 0..1 \(num_classes=2\), got values from 0 to 2"):
        confusion_matrix(p, t, 2)
    with pytest.raises(ValueError, match=r"targets must be class indices 0..2 \(num_classes=3\), got values from -1"):
        confusion_matrix(p, torch.tensor([0, -1, 1]), 3)


# files: metrics and paths

def test_write_metrics_names_the_value_json_cannot_hold(tmp_path):
    path = tmp_path / "m.json"
    with pytest.raises(TypeError, match=r"metrics\['test_accuracy'\] is a Tensor, .*float\(\.\.\.\)"):
        write_metrics({"test_accuracy": torch.tensor(0.9), "n": 3}, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_write_metrics_arguments_swapped(tmp_path):
    with pytest.raises(TypeError, match=r"metrics must be a dict of names to numbers, got str"):
        write_metrics(str(tmp_path / "m.json"), {"a": 1})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [0.5, float("-inf")]])
def test_write_metrics_refuses_nan_and_infinity(tmp_path, value):
    path = tmp_path / "m.json"
    write_metrics({"ok": 1}, path)
    with pytest.raises(ValueError, match=r"metrics\['loss'\] is .*JSON has no NaN or infinity: did training diverge"):
        write_metrics({"loss": value, "n": 3}, path)
    assert json.loads(path.read_text()) == {"ok": 1}  # the old file stays, valid JSON


def test_write_to_a_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match=f"path {str(tmp_path)!r} is a folder"):
        write_metrics({"a": 1}, tmp_path)
    assert list(tmp_path.iterdir()) == []
    write_metrics({"a": 1}, tmp_path / "new" / "m.json")  # missing folders are created
    assert json.loads((tmp_path / "new" / "m.json").read_text()) == {"a": 1}


# plots

def test_show_image_with_a_batch_names_the_shape():
    with pytest.raises(ValueError, match=r"got shape \(4, 1, 28, 28\): for a batch use show_images"):
        show_image(torch.zeros(4, 1, 28, 28))
    with pytest.raises(ValueError, match=r"got shape \(5, 28, 28\)"):
        show_image(torch.zeros(5, 28, 28))
    show_image(torch.zeros(28, 28, 3))  # (H, W, 3) arrays are images too


def test_show_images_labels_must_match():
    with pytest.raises(ValueError, match="got 3 labels for 2 images"):
        show_images(torch.zeros(2, 1, 8, 8), [0, 1, 2])


def test_plot_history_needs_fits_history():
    with pytest.raises(ValueError, match=r"it lacks \['train_acc'\] \(it has \['train_loss', 'loss'\]\)"):
        plot_history({"train_loss": [1.0], "loss": [1.0]})
    h = {"train_loss": [1.0], "train_acc": [0.5]}
    for wrong, got in (([h, h], "list"), ((h,), "tuple"), (h["train_loss"], "list"), (None, "NoneType")):
        with pytest.raises(ValueError, match=f"history must be the dict fit returns.*; got a {got}: "
                                             r"pass it as it came, e.g. plot_history\(history\)"):
            plot_history(wrong)


# your own image files: arguments checked before any file is read

def test_list_file_dataset_arguments(tmp_path):
    from dlcourse.imagefiles import ListFileDataset

    files = (tmp_path / "data.list", tmp_path / "labels.json")
    with pytest.raises(ValueError, match=r"size must be \(height, width\) in pixels, e.g. \(28, 28\), got 28"):
        ListFileDataset(*files, 28)
    with pytest.raises(ValueError, match=r"got \(28, 0\)"):
        ListFileDataset(*files, (28, 0))
    with pytest.raises(ValueError, match=r"mode must be one of \('L', 'LA', 'RGB', 'RGBA'\) .*got 'I;16'"):
        ListFileDataset(*files, (28, 28), mode="I;16")


def test_export_arguments(tmp_path):
    from dlcourse.imagefiles import export_fashion_mnist_pngs

    for classes in ([0, 12], ["Sandal"], [-1]):
        with pytest.raises(ValueError, match=r"classes must be Fashion-MNIST class indices 0..9, got " + re.escape(repr(classes))):
            export_fashion_mnist_pngs(tmp_path, classes=classes)
    with pytest.raises(ValueError, match="per_class must be a positive int, got 0"):
        export_fashion_mnist_pngs(tmp_path, per_class=0)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        export_fashion_mnist_pngs(tmp_path, split="val")
    assert list(tmp_path.iterdir()) == []


# data: the data root, the split, the loader's tensors

def test_data_root_that_is_a_file(tmp_path, monkeypatch):
    from dlcourse.data import data_root, ensure_fashion_mnist

    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    monkeypatch.setenv("DLCOURSE_DATA", str(a_file))
    with pytest.raises(OSError, match=re.escape(f"cannot use {a_file} as the data root (DLCOURSE_DATA='{a_file}')")
                       + ".*set DLCOURSE_DATA to a folder you can write to"):
        data_root()
    with pytest.raises(OSError, match=re.escape(f"cannot use {a_file / 'sub'} as the data root")):
        ensure_fashion_mnist(a_file / "sub", download=False)


@pytest.mark.parametrize("train", ["test", 0, None])
def test_split_must_be_true_or_false(train):
    from dlcourse.data import fashion_mnist, load_fashion_mnist

    for get in (fashion_mnist, load_fashion_mnist):
        with pytest.raises(ValueError, match=re.escape(f"train must be True (training split) or False (test split), got {train!r}")):
            get(train=train)


def test_tensor_loader_needs_tensors():
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got list: make one with torch.as_tensor\(x\)"):
        TensorLoader([[0.0], [1.0]], torch.zeros(2))
    with pytest.raises(TypeError, match="y must be a torch.Tensor, got ndarray"):
        TensorLoader(torch.zeros(2, 1), torch.zeros(2).numpy())
    with pytest.raises(ValueError, match="batch_size must be a positive int, got True"):
        TensorLoader(torch.zeros(2, 1), torch.zeros(2), True)
