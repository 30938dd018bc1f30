"""Which inputs a model accepts: the square sides (a binary search over traces) and its input
channels. Used for the hint that follows an input a model rejects."""

from __future__ import annotations

from typing import Any

from torch import nn

from vizcnn.api import Trace, build_spec, trace, zoo_spec
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.zoo import model_card

# Square sides to try when the largest is rejected: a network with a fixed-size classifier
# (LeNet on 28×28, the paper GoogLeNet's aux heads around 224) takes a narrow band only.
COMMON_SIDES = (28, 32, 64, 96, 128, 160, 192, 224, 227, 256, 299, 320, 384, 512)

Model = Trace | TraceSpec | ModelSpec | nn.Module | str


def first_conv_channels(model: nn.Module) -> int | None:
    for module in model.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            return int(module.in_channels)
    return None


def expected_channels(spec: ModelSpec) -> int | None:
    """Input channels the model takes: the zoo card's, or a rebuildable model's first conv."""
    if spec.source is ModelSource.ZOO:
        return model_card(spec.name).in_channels
    return first_conv_channels(build_spec(spec))


def _resolve(model: Model, channels: int | None, batch: int | None, training: bool | None,
             max_size: int, options: dict[str, Any]) -> tuple[nn.Module, int, int, bool | None,
                                                              int]:
    """(module, channels, batch, training, preferred side) of what ``accepted_sides`` got."""
    if isinstance(model, Trace):
        model = model.spec
    if isinstance(model, str):
        model = zoo_spec(model, **options)
    elif options:
        raise VizcnnError(f"options {sorted(options)} only apply to zoo names")
    if isinstance(model, TraceSpec):
        shape = model.input_shape
        batch = batch or (shape[0] if shape else None)
        training = model.training if training is None else training
        channels = channels or expected_channels(model.model) or (
            shape[1] if len(shape) > 1 else None)
        model = model.model
    preferred = max_size
    if isinstance(model, ModelSpec):
        if model.source is ModelSource.ZOO:
            card = model_card(model.name)
            channels, preferred = channels or card.in_channels, card.input_size
            training = bool(training)  # a zoo model is traced for inference unless asked
        model = build_spec(model)
    if not isinstance(model, nn.Module):
        raise VizcnnError(f"accepted_sides takes a trace, a spec, a zoo name or an nn.Module, "
                          f"got {type(model).__name__}")
    return model, channels or first_conv_channels(model) or 3, batch or 1, training, preferred


def accepted_sides(model: Model, channels: int | None = None, batch: int | None = None,
                   max_size: int = 4096, training: bool | None = None, **options: Any
                   ) -> tuple[int, int | None] | None:
    """The smallest and largest square input side the model accepts (largest ``None``: every
    side up to ``max_size``), or ``None`` when no side tried works.

    ``model`` is a trace or its spec (the batch, train/eval mode and model options are the
    spec's; the channels the model's own), a zoo name with ``options``, or a module.
    Binary searches over traces, assuming the accepted sides form one range, as pools,
    strides and fixed-size classifiers make them. ``training`` as in :func:`vizcnn.trace`.
    """
    module, channels, batch, training, preferred = _resolve(model, channels, batch, training,
                                                            max_size, options)

    def accepts(side: int) -> bool:
        try:
            trace(module, (batch, channels, side, side), training=training)
            return True
        except ShapeError:
            return False

    takes_max = accepts(max_size)
    anchor = max_size if takes_max else next(
        (side for side in (preferred, *COMMON_SIDES) if side < max_size and accepts(side)), None)
    if anchor is None:
        return None
    low, high = 1, anchor  # the smallest accepted side is in [1, anchor]
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if accepts(mid) else (mid + 1, high)
    if takes_max:
        return low, None
    smallest, low, high = low, anchor, max_size  # the largest is in [anchor, max_size)
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if accepts(mid) else (low, mid - 1)
    return smallest, low


def min_input_size(model: Model, channels: int | None = None, batch: int | None = None,
                   max_size: int = 4096, training: bool | None = None, **options: Any) -> int:
    """The smallest square input side the model accepts; see :func:`accepted_sides`."""
    sides = accepted_sides(model, channels, batch, max_size, training, **options)
    if sides is None:
        raise VizcnnError(f"{_name(model)} accepts no square input side tried "
                          f"(up to {max_size})")
    return sides[0]


def _name(model: Model) -> str:
    if isinstance(model, Trace):
        model = model.spec
    if isinstance(model, TraceSpec):
        model = model.model
    if isinstance(model, ModelSpec):
        return model.name
    return model if isinstance(model, str) else type(model).__name__
