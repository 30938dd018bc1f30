"""Checkpoints: which zoo architecture (and options) a file of weights fits.

A checkpoint is names and shapes of tensors: ``layer1.0.conv1.weight: 64×64×3×3``. The zoo
models, built on the meta device, have names and shapes too, so a checkpoint is recognised by
comparing the two — "resnet50, num_classes=10" — and then drawn like any zoo model. When
nothing fits, the nearest model's missing, unexpected and mismatched keys say why.

Reading is data-only: ``.safetensors`` through the ``safetensors`` package's header (no
tensor data is read), a state_dict ``.pth`` through ``torch.load(weights_only=True)`` on the
meta device, in the bounded child of :mod:`vizcnn.sandbox`. A pickled whole model or a
TorchScript file needs code to load and is refused with that reason.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from vizcnn.errors import VizcnnError
from vizcnn.sandbox import DEFAULT_LIMITS, Limits, run_isolated
from vizcnn.spec import ModelSource, ModelSpec, Options, describe_options

Shapes = dict[str, tuple[int, ...]]
_WRAPPERS = ("state_dict", "model_state_dict", "model", "module", "net")
_SHOWN = 8   # mismatched keys listed per kind in a message


# --- reading (runs in the child) ------------------------------------------------------------
def read_tensors(path: Path) -> dict[str, list[int]]:
    """Tensor names and shapes of a checkpoint, without reading tensor data."""
    from vizcnn.model_files import FileKind, file_kind

    kind = file_kind(path.name)
    if kind is FileKind.SAFETENSORS:
        return _read_safetensors(path)
    if kind is FileKind.STATE_DICT:
        return _read_state_dict(path)
    raise VizcnnError(f"{path.name} is not a checkpoint (.safetensors, .pth, .pt)")


def _read_safetensors(path: Path) -> dict[str, list[int]]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {key: list(f.get_slice(key).get_shape()) for key in f.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise VizcnnError(f"{path.name} is not a readable safetensors file: {error}",
                          reason="malformed") from None


def _read_state_dict(path: Path) -> dict[str, list[int]]:
    import pickle

    import torch

    from vizcnn.model_files import _torchscript

    if _torchscript(path):  # torch.load would hand a TorchScript archive to torch.jit.load
        raise VizcnnError(f"{path.name} is a TorchScript program, which vizcnn never runs",
                          reason="torchscript")
    try:
        obj = torch.load(str(path), map_location="meta", weights_only=True)
    except pickle.UnpicklingError as error:
        raise VizcnnError(_refusal(path.name, str(error)), reason="needs code") from None
    except (RuntimeError, EOFError, ValueError, OSError, KeyError, IndexError) as error:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(
            error).__name__
        raise VizcnnError(f"{path.name} is not a readable PyTorch file (truncated or "
                          f"malformed): {text}", reason="malformed") from None
    tensors = _state_dict_of(obj)
    if tensors is None:
        raise VizcnnError(f"{path.name} holds no state_dict (a dict of tensor names to "
                          f"tensors); found a {type(obj).__name__}", reason="no state_dict")
    return {k: list(v.shape) for k, v in tensors.items()}


def _refusal(name: str, message: str) -> str:
    """Why ``weights_only`` refused: a class the file needs (a pickled whole model)."""
    wanted = ""
    for line in message.splitlines():
        if "Unsupported global" in line or "GLOBAL" in line:
            wanted = line.split("GLOBAL", 1)[-1].strip(" :").split(" ")[0]
            break
    what = f" ({wanted})" if wanted else ""
    return (f"{name} holds a pickled Python object{what}, which needs code to load; vizcnn "
            f"only reads weights. Save model.state_dict() instead")


def _state_dict_of(obj: Any) -> dict[str, Any] | None:
    import torch

    if isinstance(obj, dict):
        tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) >= len(obj) / 2:
            return tensors
        for key in _WRAPPERS:
            inner = _state_dict_of(obj.get(key)) if key in obj else None
            if inner:
                return inner
    return None


def read_checkpoint(path: str | Path, *, name: str | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Shapes:
    """Names and shapes of a checkpoint's tensors, read in a bounded child process."""
    from vizcnn.model_files import FileKind, check_file

    path = Path(path)
    name = name or path.name
    if check_file(path, limits, name) is FileKind.ONNX:
        raise VizcnnError(f"{name} is an ONNX graph, not a checkpoint: use vizcnn.load_onnx",
                          reason="extension")
    raw = run_isolated("checkpoint", path, {}, limits)
    shapes = {_strip(k): tuple(v) for k, v in raw.items()}
    if not shapes:
        raise VizcnnError(f"{name} holds no tensors", reason="empty")
    return shapes


def _strip(key: str) -> str:
    """``module.layer1…`` (saved from DataParallel) → ``layer1…``."""
    return key[len("module."):] if key.startswith("module.") else key


# --- matching (runs in the parent, against zoo models built on meta) ---------------------------
@dataclass(frozen=True)
class Comparison:
    """How a checkpoint differs from one zoo model built with some options."""

    spec: ModelSpec
    missing: tuple[str, ...] = ()                 # keys the model has, the file lacks
    unexpected: tuple[str, ...] = ()              # keys the file has, the model lacks
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = ()  # key, file, model

    @property
    def fits(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.mismatched)

    def explain(self) -> str:
        """The differences, a few of each kind, for a person."""
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing key(s): {_few(self.missing)}")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected key(s): {_few(self.unexpected)}")
        if self.mismatched:
            shown = ", ".join(f"{k} {_fmt(a)} (model {_fmt(b)})"
                              for k, a, b in self.mismatched[:_SHOWN])
            more = f" and {len(self.mismatched) - _SHOWN} more" if len(
                self.mismatched) > _SHOWN else ""
            parts.append(f"{len(self.mismatched)} shape mismatch(es): {shown}{more}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Match:
    """The answer for one checkpoint: the fitting zoo model, or the nearest with reasons."""

    fit: ModelSpec | None
    nearest: tuple[Comparison, ...] = field(default_factory=tuple)
    tensors: int = 0

    @property
    def description(self) -> str:
        """``"resnet50, num_classes=10"``: the model and what differs from its defaults."""
        spec = self.fit if self.fit is not None else None
        return describe_spec(spec) if spec is not None else ""

    def explain(self) -> str:
        if self.fit is not None:
            return f"fits {self.description} ({self.tensors} tensors, every name and shape)"
        if not self.nearest:
            return "fits no zoo model: no model shares its key names"
        lines = ["fits no zoo model. Nearest:"]
        lines += [f"  {describe_spec(c.spec)}: {c.explain()}" for c in self.nearest]
        return "\n".join(lines)


def describe_spec(spec: ModelSpec) -> str:
    from vizcnn.zoo import model_card

    defaults: Options = tuple((o.name, o.default) for o in model_card(spec.name).options)
    extra = describe_options(spec.options, defaults)
    classes = f"num_classes={spec.num_classes}" if spec.num_classes not in (None, 1000) else ""
    return ", ".join(p for p in (spec.name, extra, classes) if p)


def _few(keys: tuple[str, ...]) -> str:
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) or "scalar"


@lru_cache(maxsize=256)
def zoo_shapes(name: str, options: Options = (), num_classes: int = 1000
               ) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Every parameter and buffer of a zoo model (built on meta) with its shape."""
    import torch

    from vizcnn.zoo import build

    with torch.device("meta"):
        model = build(name, num_classes=num_classes, **dict(options))
    return tuple((k, tuple(v.shape)) for k, v in model.state_dict().items())


def _optional(key: str) -> bool:
    """Keys a checkpoint may leave out without being a different model."""
    return key.endswith("num_batches_tracked")


def compare(shapes: Shapes, spec: ModelSpec) -> Comparison:
    model = dict(zoo_shapes(spec.name, spec.options, spec.num_classes or 1000))
    missing = tuple(k for k in model if k not in shapes and not _optional(k))
    unexpected = tuple(k for k in shapes if k not in model)
    mismatched = tuple((k, shapes[k], model[k]) for k in model
                       if k in shapes and shapes[k] != model[k])
    return Comparison(spec, missing, unexpected, mismatched)


def _classes(comparison: Comparison) -> int | None:
    """The class count a checkpoint implies when only the classifier's size differs."""
    found = set()
    for _, ours, theirs in comparison.mismatched:
        if len(ours) != len(theirs):
            return None
        diff = [(a, b) for a, b in zip(ours, theirs) if a != b]
        if len(diff) != 1 or diff[0][1] != 1000:
            return None
        found.add(diff[0][0])
    return found.pop() if len(found) == 1 else None


def _option_sets(name: str) -> list[Options]:
    """Every combination of a zoo model's option choices, the defaults first."""
    from vizcnn.zoo import model_card

    options = model_card(name).options
    choices = [tuple(dict.fromkeys((o.default, *o.choices))) for o in options]
    return [tuple(sorted(zip((o.name for o in options), combo)))
            for combo in itertools.product(*choices)]


def match_shapes(shapes: Shapes, candidates: int = 3) -> Match:
    """The zoo model (name, options, num_classes) whose every key and shape ``shapes`` has.

    Models are ranked by shared key names at their defaults; the ``candidates`` nearest are
    tried with every option combination and with the class count the classifier implies.
    """
    from vizcnn.zoo import list_models

    keys = set(shapes)
    ranked = []
    for name in list_models():
        model_keys = {k for k, _ in zoo_shapes(name)}
        shared = len(keys & model_keys)
        if shared:
            ranked.append((-shared / len(keys | model_keys), name))
    ranked.sort()
    nearest: list[Comparison] = []
    for _, name in ranked[:candidates]:
        best: Comparison | None = None
        for options in _option_sets(name):
            comparison = compare(shapes, ModelSpec(ModelSource.ZOO, name, options, 1000))
            if not comparison.missing and not comparison.unexpected and comparison.mismatched:
                classes = _classes(comparison)
                if classes is not None:
                    comparison = compare(shapes, ModelSpec(ModelSource.ZOO, name, options,
                                                           classes))
            if comparison.fits:
                return Match(comparison.spec, (), len(shapes))
            if best is None or comparison.differences < best.differences:
                best = comparison
        if best is not None:
            nearest.append(best)
    nearest.sort(key=lambda c: c.differences)
    return Match(None, tuple(nearest), len(shapes))


def match_checkpoint(path: str | Path, *, name: str | None = None,
                     limits: Limits = DEFAULT_LIMITS) -> Match:
    """Which zoo architecture and options a checkpoint file fits (see :func:`match_shapes`).
    ``Match.fit`` is a :class:`~vizcnn.spec.ModelSpec`: ``vizcnn.trace(match.fit, size)``
    draws it."""
    return match_shapes(read_checkpoint(path, name=name, limits=limits))


__all__ = ["Comparison", "Match", "compare", "describe_spec", "match_checkpoint",
           "match_shapes", "read_checkpoint", "read_tensors"]
