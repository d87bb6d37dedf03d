import pytest
import torch
from torch import nn

from dlcourse.data import TensorLoader, load_fashion_mnist
from dlcourse.device import seed_everything
from dlcourse.models import MLP
from dlcourse.train import confusion_matrix, evaluate, fit, predict


@pytest.fixture(scope="module")
def small_fashion(fashion_root):
    x, y = load_fashion_mnist(train=True)
    xt, yt = load_fashion_mnist(train=False)
    return x[:3000], y[:3000], xt[:1000], yt[:1000]


def test_fit_learns_real_data(small_fashion):
    x, y, xt, yt = small_fashion
    seed_everything(0)
    model = MLP(hidden=(64,))
    before = evaluate(model, TensorLoader(xt, yt, 500), "cpu")
    history = fit(model, TensorLoader(x, y, 64, shuffle=True), TensorLoader(xt, yt, 500),
                  epochs=3, device="cpu", progress=False)
    assert set(history) == {"train_loss", "train_acc", "val_loss", "val_acc", "seconds"}
    assert all(len(v) == 3 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    loss, acc = evaluate(model, TensorLoader(xt, yt, 500), "cpu")
    assert loss < before[0] and acc > 0.7 > before[1]
    assert acc == pytest.approx(history["val_acc"][-1])


def test_fit_matches_a_hand_written_loop(small_fashion):
    x, y, _, _ = small_fashion
    x, y = x[:512], y[:512]
    seed_everything(1)
    ref = MLP(hidden=(32,))
    ours = MLP(hidden=(32,))
    ours.load_state_dict(ref.state_dict())
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for xb, yb in TensorLoader(x, y, 128):
        loss = nn.functional.cross_entropy(ref(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    fit(ours, TensorLoader(x, y, 128), optimizer=torch.optim.SGD(ours.parameters(), lr=0.1),
        epochs=1, device="cpu", progress=False)
    for a, b in zip(ref.parameters(), ours.parameters()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("binary", [False, True])
def test_fit_history_equals_evaluate_when_nothing_is_learned(small_fashion, binary):
    """With lr=0 the model never changes, so fit's train_loss/train_acc (gathered per batch,
    summed at the epoch's end, last batch smaller) must equal evaluate() over the same batches."""
    x, y, _, _ = small_fashion
    x, y = x[:1000], y[:1000]  # 1000 = 7 x 128 + 104: a short last batch weighs less
    seed_everything(2)
    if binary:
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 1), nn.Flatten(0))  # (B,) logits
        y, loss_fn = (y >= 5).float(), nn.BCEWithLogitsLoss()
    else:
        model, loss_fn = MLP(hidden=(32,)), nn.CrossEntropyLoss()
    history = fit(model, TensorLoader(x, y, 128), optimizer=torch.optim.SGD(model.parameters(), lr=0.0),
                  loss_fn=loss_fn, epochs=2, device="cpu", progress=False)
    loss, acc = evaluate(model, TensorLoader(x, y, 128), "cpu", loss_fn=loss_fn)
    assert history["train_loss"] == pytest.approx([loss, loss], rel=1e-5)
    assert history["train_acc"] == pytest.approx([acc, acc], abs=1e-9)
    assert 0.05 < acc < 0.8  # an untrained model: neither all right nor all wrong


def test_fit_binary_with_float_labels():
    seed_everything(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).float()  # linearly separable, float labels
    model = nn.Sequential(nn.Linear(2, 1), nn.Flatten(0))  # (B, 2) -> (B,) logits
    history = fit(model, TensorLoader(x, y, 50, shuffle=True), epochs=20, lr=0.05,
                  loss_fn=nn.BCEWithLogitsLoss(), device="cpu", progress=False)
    assert history["train_acc"][-1] > 0.95
    _, acc = evaluate(model, TensorLoader(x, y, 100), "cpu", loss_fn=nn.BCEWithLogitsLoss())
    assert acc > 0.95


def test_scheduler_is_stepped_per_epoch():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loader = TensorLoader(torch.randn(8, 2), torch.randint(0, 2, (8,)), 4)
    fit(model, loader, optimizer=opt, scheduler=sched, epochs=3, device="cpu", progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.125)
    with pytest.raises(ValueError, match="scheduler"):
        fit(model, loader, scheduler=sched, epochs=1, device="cpu", progress=False)


def test_one_cycle_is_stepped_per_batch_and_checked_first():
    model = nn.Linear(2, 2)
    loader = TensorLoader(torch.randn(8, 2), torch.randint(0, 2, (8,)), 4)  # 2 batches an epoch
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3 * len(loader))
    fit(model, loader, optimizer=opt, scheduler=sched, epochs=3, device="cpu", progress=False)
    assert sched.last_epoch == 6  # one step per batch: PyTorch would raise on a seventh
    short = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)  # counted in epochs
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"total_steps=3.*6 steps.*epochs \* len\(train_loader\)"):
        fit(model, loader, optimizer=opt, scheduler=short, epochs=3, device="cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # caught before training


def test_evaluate_restores_mode_and_needs_no_grad():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    loader = TensorLoader(torch.randn(10, 3), torch.randint(0, 2, (10,)), 4)
    model.train()
    evaluate(model, loader, "cpu")
    assert model.training
    model.eval()
    predict(model, loader, "cpu")
    assert not model.training


def test_progress_prints_one_line_per_epoch(capsys):
    loader = TensorLoader(torch.randn(8, 2), torch.randint(0, 2, (8,)), 4)
    fit(nn.Linear(2, 2), loader, epochs=2, device="cpu")
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2


def test_empty_loader_is_a_clear_error():
    empty = TensorLoader(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="train_loader is empty"):
        fit(nn.Linear(2, 2), empty, device="cpu")
    with pytest.raises(ValueError, match="loader is empty"):
        evaluate(nn.Linear(2, 2), empty, "cpu")


def test_predict_and_confusion_matrix():
    y = torch.tensor([0, 1, 1])
    cm = confusion_matrix(torch.tensor([0, 1, 0]), y, 2)
    assert cm.tolist() == [[1, 0], [1, 1]]
    model = nn.Linear(2, 3)
    loader = TensorLoader(torch.randn(7, 2), torch.randint(0, 3, (7,)), 3)
    preds, targets = predict(model, loader, "cpu")
    assert preds.shape == targets.shape == (7,)


@pytest.mark.cuda
def test_fit_on_cuda(small_fashion):
    x, y, xt, yt = small_fashion
    model = MLP(hidden=(64,))
    history = fit(model, TensorLoader(x.cuda(), y.cuda(), 64, shuffle=True), epochs=2, device="cuda", progress=False)
    assert next(model.parameters()).is_cuda
    assert history["train_loss"][-1] < history["train_loss"][0]
    _, acc = evaluate(model, TensorLoader(xt, yt, 500), "cuda")  # CPU batches are moved for you
    assert acc > 0.6


def test_shape_and_dtype_mistakes_are_named():
    loader = TensorLoader(torch.randn(8, 5), torch.randint(0, 2, (8,)), 4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\)"):
        fit(nn.Linear(3, 2), loader, device="cpu", progress=False)  # PyTorch's own error says it
    float_labels = TensorLoader(torch.randn(8, 3), torch.rand(8), 4)
    with pytest.raises(ValueError, match=r"labels must be class indices 0..3 \(int64\) .* got torch.float32 labels"):
        fit(nn.Linear(3, 4), float_labels, device="cpu", progress=False)


@pytest.mark.cuda
def test_model_on_another_device_is_named():
    loader = TensorLoader(torch.randn(8, 3), torch.randint(0, 2, (8,)), 4)
    with pytest.raises(ValueError, match="model is on cpu"):
        evaluate(nn.Linear(3, 2), loader, "cuda")
