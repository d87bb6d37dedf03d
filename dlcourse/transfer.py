"""Transfer learning, as in notebook 07: torchvision's models, their output layers, their
ImageNet weights, and checkpoints (a model's weights in a file, saved atomically, loaded safely).
"""

from __future__ import annotations

from torch import nn

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
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
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


def imagenet_weights_path(name: str):
    """Where torch.hub keeps the file of torchvision model `name`'s default ImageNet weights."""
    import os
    from pathlib import Path
    from urllib.parse import urlparse

    import torch
    from torchvision.models import get_model_weights

    url = get_model_weights(name).DEFAULT.url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _reachable(url: str, timeout: float) -> str | None:
    # Resolve and connect in a helper thread we stop waiting for after `timeout` seconds: name
    # lookups ignore socket timeouts and can hang for long on a dead network. None means OK.
    import socket
    import threading
    from urllib.parse import urlparse

    parts = urlparse(url)
    result = ["no answer within the time limit"]

    def probe():
        try:
            socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout).close()
            result[0] = None
        except OSError as exc:
            result[0] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0]


def load_imagenet(name: str, *, timeout: float = 5.0, verbose: bool = True) -> nn.Module | None:
    """Return torchvision model `name` with its ImageNet weights, or None (and one printed line) when they cannot be had.

    The weights come from torch.hub's cache, else are downloaded into it; an unreachable
    network is given up on after about `timeout` seconds.
    """
    import shutil
    import urllib.request

    from torchvision.models import get_model, get_model_weights

    from dlcourse.files import atomic_path

    weights = get_model_weights(name).DEFAULT
    path = imagenet_weights_path(name)
    if not path.is_file():
        problem = _reachable(weights.url, timeout)
        if problem is None:
            try:  # per-read timeout: a slow but live download goes on, a stalled one stops
                with urllib.request.urlopen(weights.url, timeout=timeout) as response, atomic_path(path) as tmp:
                    with open(tmp, "wb") as f:
                        shutil.copyfileobj(response, f)
            except OSError as exc:
                problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            if verbose:
                print(f"ImageNet weights for {name} are not cached ({path}) and cannot be downloaded "
                      f"({problem}); continuing without them.")
            return None
    try:
        return get_model(name, weights=weights)
    except Exception as exc:  # a damaged cached file: say so, keep going without it
        if verbose:
            print(f"ImageNet weights for {name} in {path} cannot be loaded ({type(exc).__name__}: {exc}); "
                  "continuing without them.")
        return None


# Checkpoints: a model's weights in a file, saved atomically and loaded safely.

def save_checkpoint(model: nn.Module, path, **info) -> "Path":
    """Save `model`'s weights to `path` (temp file, then rename), with its class name and `info`; return the path.

    Only tensors, strings and numbers go in, so `load_checkpoint` can read it with
    `torch.load(..., weights_only=True)`, which never runs code from the file.
    """
    from pathlib import Path

    import torch

    from dlcourse.files import atomic_path

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    payload = {"architecture": type(model).__name__, "info": dict(info), "state_dict": model.state_dict()}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def load_checkpoint(model: nn.Module, path) -> nn.Module:
    """Load weights saved by `save_checkpoint` (or a plain state_dict file) into `model`; return the model.

    A file that is not a checkpoint, or one made for another architecture or another number of
    classes, raises a ValueError that names the file and what does not match.
    """
    from pathlib import Path

    import torch

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    import warnings

    try:
        with warnings.catch_warnings():  # a foreign pickle also warns about its protocol: the error below says more
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated, not a torch file, or pickled objects weights_only refuses
        raise ValueError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {str(exc)[:200]}); "
                         "delete it and save it again") from None
    if isinstance(payload, dict) and "state_dict" in payload:
        state, arch = payload["state_dict"], payload.get("architecture")
    else:
        state, arch = payload, None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} holds no model weights (expected a state_dict of tensors)")
    if arch is not None and arch != type(model).__name__:
        raise ValueError(f"{path} holds weights of a {arch}, not of a {type(model).__name__}: "
                         f"build a {arch} to load it")
    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(f"{path} does not fit this {type(model).__name__} (the file has {len(state)} "
                         f"tensors, the model {len(own)}: another variant or size?): "
                         f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}, "
                         f"unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
    wrong = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in own.items() if state[k].shape != v.shape]
    if wrong:
        shapes = "; ".join(f"{k}: file {a}, model {b}" for k, a, b in wrong[:4])
        hint = ""
        if (heads := _head_shapes(model)) and all(k.rsplit(".", 1)[0] in heads for k, _, _ in wrong):
            hint = f" (the output layer differs: the file was made for {wrong[0][1][0]} classes)"
        raise ValueError(f"{path} does not fit this {type(model).__name__}{hint}: {shapes}")
    model.load_state_dict(state)
    return model


def _head_shapes(model: nn.Module) -> set[str]:
    try:
        return set(head_names(model))
    except ValueError:
        return set()
