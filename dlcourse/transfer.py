"""Transfer learning, as in notebook 07: torchvision's models, their output layers, their
ImageNet weights, and checkpoints (a model's weights in a file, saved atomically, loaded safely).
"""

from __future__ import annotations

import os
import pickle
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from torch import nn

from dlcourse.files import atomic_path
from dlcourse.train import _check_model

_MAIN_HEADS = ("fc", "classifier", "head", "heads")  # where torchvision's classifiers keep their output
_AUX_HEADS = ("AuxLogits.fc", "aux1.fc2", "aux2.fc2")  # inception_v3's and googlenet's side outputs


def _output_layer(name: str, module: nn.Module) -> str | None:
    # The layer that makes the class scores: the module itself, or a Sequential's last Linear /
    # Conv2d (squeezenet classifies with a 1x1 convolution).
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        return name
    if isinstance(module, nn.Sequential):
        for child_name, child in reversed(list(module.named_children())):
            found = _output_layer(f"{name}.{child_name}", child)
            if found is not None:
                return found
    return None


def head_names(model: nn.Module) -> list[str]:
    """Names of `model`'s output layers, e.g. ['fc'] or ['fc', 'AuxLogits.fc']: main first, then auxiliary."""
    names = []
    for attr in _MAIN_HEADS:
        module = getattr(model, attr, None)
        if isinstance(module, nn.Module) and (found := _output_layer(attr, module)) is not None:
            names.append(found)
            break
    if not names:
        raise ValueError(
            f"cannot find the output layer of {type(model).__name__}: none of "
            f"{', '.join(_MAIN_HEADS)} is a Linear, a Conv2d, or a Sequential ending in one"
        )
    for dotted in _AUX_HEADS:
        try:
            module = model.get_submodule(dotted)
        except AttributeError:  # no such side output, or it is None (aux_logits=False)
            continue
        if isinstance(module, nn.Linear):
            names.append(dotted)
    return names


def _new_layer(old: nn.Module, num_classes: int) -> nn.Module:
    factory = {"device": old.weight.device, "dtype": old.weight.dtype}
    if isinstance(old, nn.Linear):
        return nn.Linear(old.in_features, num_classes, bias=old.bias is not None, **factory)
    return nn.Conv2d(old.in_channels, num_classes, old.kernel_size, old.stride, old.padding,
                     bias=old.bias is not None, **factory)


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Give `model` new, freshly initialised output layers for `num_classes` classes (auxiliary ones too); return it.

    Works for every classification model in torchvision.models: fc (resnet, inception, ...),
    classifier[-1] (alexnet, vgg, efficientnet, ...), head (swin), heads.head (vit).
    """
    for dotted in head_names(model):
        parent_name, _, attr = dotted.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, _new_layer(getattr(parent, attr), num_classes))
    if isinstance(getattr(model, "num_classes", None), int):
        model.num_classes = num_classes  # squeezenet keeps it as an attribute
    return model


def freeze_backbone(model: nn.Module) -> nn.Module:
    """Stop gradients everywhere except the output layers (see `head_names`); return the model.

    BatchNorm layers still update their running statistics in train mode; frozen means their
    weights, not their statistics.
    """
    for p in model.parameters():
        p.requires_grad_(False)
    for dotted in head_names(model):
        for p in model.get_submodule(dotted).parameters():
            p.requires_grad_(True)
    return model


def _reachable(host: str, timeout: float) -> bool:
    """Whether `host`'s HTTPS port answers within `timeout` seconds."""
    # In a helper thread we stop waiting for: name lookups ignore socket timeouts and can hang
    # for long on a dead network.
    done, answered = threading.Event(), []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            answered.append(True)
        except OSError:
            pass
        finally:
            done.set()

    threading.Thread(target=probe, daemon=True).start()
    done.wait(timeout)
    return bool(answered)


def _download(url: str, file: Path, timeout: float, progress: bool) -> bool:
    """Download `url` to `file` through a temp file, keeping it only if its SHA-256 matches the name's prefix."""
    # torchvision's file names carry the start of their SHA-256 (resnet18-f37072fd.pth): a captive
    # portal's HTML page, or a download cut short, fails the check and is never kept.
    default = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # urlopen's reads: a stalled download stops, a slow one goes on
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(file), hash_prefix=torch.hub.HASH_REGEX.search(file.name).group(1),
                                       progress=progress)
        return True
    except (OSError, RuntimeError):  # no network, refused, timed out; RuntimeError: wrong hash
        return False
    finally:
        socket.setdefaulttimeout(default)


def weights_dir() -> Path:
    """torch.hub's cache of pretrained weights: `torch.hub.get_dir()/checkpoints`."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def imagenet_weights_path(name: str) -> Path:
    """Where torch.hub keeps (or would keep) the file of torchvision model `name`'s ImageNet weights."""
    from torchvision.models import get_model_weights

    return weights_dir() / os.path.basename(urlparse(get_model_weights(name).DEFAULT.url).path)


def load_imagenet(name: str, *, timeout: float = 5.0, verbose: bool = True) -> nn.Module | None:
    """Return torchvision model `name` with its ImageNet weights, or None (and one printed line) when they cannot be had.

    The weights come from torch.hub's cache, else are downloaded into it (with a progress bar
    and a hash check); an unreachable network is given up on after about `timeout` seconds.
    """
    from torchvision.models import get_model, get_model_weights

    weights = get_model_weights(name).DEFAULT
    file = imagenet_weights_path(name)
    if not file.is_file() and not (_reachable(urlparse(weights.url).hostname, timeout)
                                   and _download(weights.url, file, timeout, verbose)):
        if verbose:
            print(f"The ImageNet weights for {name} are not cached and cannot be downloaded here, "
                  "so this run goes on without them.")
        return None
    try:
        return get_model(name, weights=weights)
    except Exception:  # a damaged file in the cache (an older download): say so, keep going without it
        if verbose:
            print(f"The cached ImageNet weights for {name} ({file.name} in torch.hub's cache) cannot be loaded, "
                  "so this run goes on without them; delete that file to download it again.")
        return None


# Checkpoints: a model's weights in a file, saved atomically and loaded safely.

def _plain(key: str, value):
    """`value` as torch.load(weights_only=True) reads it back: numbers, strings, lists, dicts, tensors."""
    if isinstance(value, np.generic):
        return value.item()  # np.float64(0.9) -> 0.9
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(key, v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(key, v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool, torch.Tensor)):
        return value
    raise TypeError(f"save_checkpoint(..., {key}=...) got a {type(value).__name__} ({value!r:.60}), which "
                    "load_checkpoint could not read back safely: pass numbers, strings, lists, dicts or "
                    "tensors, e.g. str(path)")


def save_checkpoint(model: nn.Module, path: str | Path, **info) -> Path:
    """Save `model`'s weights to `path` (temp file, then rename), with its class name and `info`; return the path.

    Only tensors, strings and numbers go in (NumPy numbers are converted), so `load_checkpoint`
    can read it with `torch.load(..., weights_only=True)`, which never runs code from the file.
    """
    _check_model(model)
    info = {key: _plain(key, value) for key, value in info.items()}
    payload = {"architecture": type(model).__name__, "info": info, "state_dict": model.state_dict()}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(model: nn.Module, path: str | Path) -> nn.Module:
    """Load weights saved by `save_checkpoint` (or a plain state_dict file) into `model`; return the model.

    A file that is not a checkpoint, or one made for another architecture or another number of
    classes, raises a ValueError that names the file and what does not fit.
    """
    _check_model(model)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)  # runs no code from the file
    except (pickle.UnpicklingError, RuntimeError, EOFError) as exc:
        if "global" in str(exc).lower():  # weights_only met a class: torch.save(model) pickles the model object
            why = ("holds pickled Python objects (torch.save(model) saves the model object), which can run code when "
                   "loaded: save only the weights, with save_checkpoint(model, path) or "
                   "torch.save(model.state_dict(), path)")
        else:
            why = f"is damaged or not a PyTorch file ({type(exc).__name__}): save the checkpoint again"
        raise ValueError(f"{path} {why}") from None
    state = payload.get("state_dict", payload) if isinstance(payload, dict) else None
    arch = payload.get("architecture", type(model).__name__) if isinstance(payload, dict) else None
    own = model.state_dict()
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        problem = "holds no model weights (expected a state_dict of tensors)"
    elif arch != type(model).__name__:
        problem = f"holds weights of a {arch}, not of a {type(model).__name__}: build a {arch} to load it"
    elif differ := sorted(k for k in own.keys() | state.keys()
                          if k not in own or k not in state or own[k].shape != state[k].shape):
        shapes = "; ".join(f"{k}: file {_shape(state, k)}, model {_shape(own, k)}" for k in differ[:4])
        problem = (f"does not fit this {type(model).__name__} (another number of classes, or another variant?): "
                   f"{len(differ)} tensors differ, {shapes}{' ...' if len(differ) > 4 else ''}")
    else:
        model.load_state_dict(state)
        return model
    raise ValueError(f"{path} {problem}")


def _shape(state: dict, key: str) -> str:
    return str(tuple(state[key].shape)) if key in state else "none"
