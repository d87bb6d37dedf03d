"""Tests for transfer learning helpers in dlcourse.transfer: head_names, replace_head, freeze_backbone, load_imagenet.

Every classification model torchvision ships is checked. Building the big ones for real is slow
(vit_h_14, regnet_y_128gf: hundreds of millions of weights), so models are built with their
parameters on the meta device: shapes without numbers, no memory, no initialisation cost.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import socket
import threading
import time
import warnings
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

from dlcourse.models import count_parameters
from dlcourse.transfer import _download, freeze_backbone, head_names, load_imagenet, replace_head

ALL_MODELS = torchvision.models.list_models(module=torchvision.models)


def _family(name: str) -> str:
    # torchvision keeps each family in its own module: resnet (also resnext, wide_resnet), vgg, ...
    return torchvision.models.get_model_builder(name).__module__.rsplit(".", 1)[-1]


def _num_params(name: str) -> int:
    return torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]


# the smallest member of every family
FAMILIES = {}
for _name in sorted(ALL_MODELS, key=_num_params):
    FAMILIES.setdefault(_family(_name), _name)


@contextlib.contextmanager
def params_on_meta():
    """Inside this block every new nn.Parameter lives on the meta device (regnet cannot be built
    under `with torch.device("meta")`, as it computes its widths with tensors)."""
    original = nn.Module.register_parameter

    def register(self, name, param):
        if param is not None:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        original(self, name, param)

    nn.Module.register_parameter = register
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # googlenet/inception init_weights notice
            yield
    finally:
        nn.Module.register_parameter = original


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_every_model_is_in_a_family():
    assert len(ALL_MODELS) >= 80
    assert {"alexnet", "vgg", "resnet", "inception", "googlenet", "squeezenet", "vision_transformer",
            "swin_transformer", "regnet", "efficientnet", "convnext", "maxvit"} <= set(FAMILIES)


@pytest.mark.parametrize("name", sorted(FAMILIES.values()))
def test_replace_head_matches_building_with_num_classes(name):
    with params_on_meta():
        model = torchvision.models.get_model(name, weights=None)
        reference = torchvision.models.get_model(name, weights=None, num_classes=7)
    assert replace_head(model, 7) is model
    assert _shapes(model) == _shapes(reference)  # same layers, and the same head shapes as torchvision's own


@pytest.mark.parametrize("name", ALL_MODELS)
def test_replace_head_every_model(name):
    with params_on_meta():
        model = torchvision.models.get_model(name, weights=None)
    heads = head_names(model)
    replace_head(model, 7)
    for dotted in heads:
        layer = model.get_submodule(dotted)
        assert (layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels) == 7
    # no layer still produces ImageNet's 1000 classes
    for sub in model.modules():
        assert getattr(sub, "out_features", None) != 1000 and getattr(sub, "out_channels", None) != 1000


@pytest.mark.parametrize("name, expected", [
    ("alexnet", ["classifier.6"]),
    ("vgg11", ["classifier.6"]),
    ("resnet18", ["fc"]),
    ("inception_v3", ["fc", "AuxLogits.fc"]),
    ("googlenet", ["fc", "aux1.fc2", "aux2.fc2"]),
    ("squeezenet1_1", ["classifier.1"]),
    ("densenet121", ["classifier"]),
    ("mobilenet_v3_small", ["classifier.3"]),
    ("convnext_tiny", ["classifier.2"]),
    ("swin_t", ["head"]),
    ("vit_b_32", ["heads.head"]),
])
def test_head_names(name, expected):
    with params_on_meta():
        model = torchvision.models.get_model(name, weights=None)
    assert head_names(model) == expected


def test_head_names_without_aux_heads():
    with params_on_meta():
        model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False)
    assert head_names(model) == ["fc"]


@pytest.mark.parametrize("name, size", [("alexnet", 224), ("vgg11", 224), ("resnet18", 64), ("squeezenet1_1", 64),
                                        ("inception_v3", 299), ("googlenet", 224), ("vit_b_32", 224)])
def test_forward_gives_new_number_of_classes(name, size):
    # all on the meta device: the forward pass computes shapes only
    with torch.device("meta"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = replace_head(torchvision.models.get_model(name, weights=None), 3)
        out = model.train()(torch.empty(2, 3, size, size))
    outputs = [out] if isinstance(out, torch.Tensor) else [o for o in out if o is not None]
    assert len(outputs) == len(head_names(model))
    assert all(tuple(o.shape) == (2, 3) for o in outputs)


def test_replace_head_keeps_device_dtype_and_rejects_bad_input():
    model = torchvision.models.resnet18(weights=None).double()
    replace_head(model, 4)
    assert model.fc.weight.dtype == torch.float64 and model.fc.out_features == 4
    with pytest.raises(ValueError, match="cannot find the output layer of Sequential"):
        replace_head(nn.Sequential(nn.ReLU()), 3)


def test_freeze_backbone_trains_only_the_head():
    torch.manual_seed(0)
    model = freeze_backbone(replace_head(torchvision.models.resnet18(weights=None), 3))
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    assert count_parameters(model, trainable_only=True) == 512 * 3 + 3
    conv, fc = model.conv1.weight.clone(), model.fc.weight.clone()
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    loss = nn.functional.cross_entropy(model(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    opt.step()
    assert torch.equal(model.conv1.weight, conv) and model.conv1.weight.grad is None
    assert not torch.equal(model.fc.weight, fc)


def test_freeze_backbone_keeps_aux_heads_trainable():
    with params_on_meta():
        model = freeze_backbone(replace_head(torchvision.models.googlenet(weights=None), 3))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {f"{h}.{w}" for h in ("fc", "aux1.fc2", "aux2.fc2") for w in ("weight", "bias")}


# load_imagenet: never touches the real network here

@pytest.fixture
def hub_dir(tmp_path):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub.set_dir(old)


def _cached_file(name: str):
    url = torchvision.models.get_model_weights(name).DEFAULT.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def _no_network(*args, **kwargs):
    raise AssertionError("the network must not be used")


def test_load_imagenet_uses_the_cache(hub_dir, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", _no_network)
    path = _cached_file("resnet18")
    path.parent.mkdir(parents=True)
    state = torchvision.models.resnet18(weights=None).state_dict()
    torch.save(state, path)
    model = load_imagenet("resnet18")
    assert model.fc.out_features == 1000
    torch.testing.assert_close(model.conv1.weight, state["conv1.weight"])


def test_load_imagenet_gives_up_quickly_on_a_dead_network(hub_dir, monkeypatch, capsys):
    def hang(*args, **kwargs):  # a name lookup that hangs, as on a dead network
        time.sleep(30)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    monkeypatch.setattr(torch.hub, "download_url_to_file", _no_network)
    start = time.perf_counter()
    assert load_imagenet("resnet18", timeout=0.5) is None
    assert time.perf_counter() - start < 20  # the lookup hangs for 30 s: giving up must come well before
    out = capsys.readouterr().out
    # one plain sentence: no exception text, no path of this machine
    assert out == ("The ImageNet weights for resnet18 are not cached and cannot be downloaded here, "
                   "so this run goes on without them.\n")
    assert not hub_dir.exists() or not any(hub_dir.rglob("*.pth"))


@pytest.fixture
def web(tmp_path):
    """A real HTTP server on this machine serving the files in tmp_path / "web"."""
    root = tmp_path / "web"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_keeps_only_a_file_whose_hash_matches_its_name(web, tmp_path):
    root, url = web
    weights = b"weights " * 1000
    good = f"net-{hashlib.sha256(weights).hexdigest()[:8]}.pth"
    (root / good).write_bytes(weights)
    assert _download(f"{url}/{good}", tmp_path / "hub" / good, timeout=5, progress=False)
    assert (tmp_path / "hub" / good).read_bytes() == weights
    # a captive portal answers every address with its own HTML page: never cached as weights
    portal = "resnet18-f37072fd.pth"
    (root / portal).write_text("<html><body>Please log in to the Wi-Fi</body></html>")
    assert not _download(f"{url}/{portal}", tmp_path / "hub" / portal, timeout=5, progress=False)
    assert sorted(p.name for p in (tmp_path / "hub").iterdir()) == [good]  # no file, no .partial left
    assert not _download(f"{url}/missing-0123abcd.pth", tmp_path / "hub" / "missing-0123abcd.pth", 5, False)


def test_load_imagenet_damaged_cache(hub_dir, capsys):
    path = _cached_file("resnet18")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    assert load_imagenet("resnet18") is None
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "cannot be loaded" in out and str(hub_dir) not in out
