"""How cost grows with input size (one model, many sizes) and how models compare (many
models, one size).

Conv cost scales with the spatial area while parameters do not, which is the lesson of the
sweep chart; sizes a model cannot take (AlexNet at 16×16) are reported, not raised, so a
sweep over a range always finishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.views.breakdown import peak_activation_bytes, total_activation_bytes
from vizcnn.zoo import build, model_card


@dataclass(frozen=True, kw_only=True)
class Costs:
    """A model's totals at one input, or why it rejected that input."""

    params: int = 0
    macs: int = 0
    flops: int = 0
    peak_activation_bytes: int = 0
    total_activation_bytes: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def of(cls, t: Graph, **identity: Any) -> "Costs":
        return cls(params=t.params, macs=t.macs, flops=t.flops,
                   peak_activation_bytes=peak_activation_bytes(t),
                   total_activation_bytes=total_activation_bytes(t), **identity)


@dataclass(frozen=True)
class SweepPoint(Costs):
    """Costs at one square input side."""

    size: int
    input_shape: tuple[int, ...]


@dataclass(frozen=True)
class ComparePoint(Costs):
    """One model's totals at a common input size."""

    name: str
    family: str
    input_shape: tuple[int, ...]


def sweep(
    model: str | nn.Module,
    sizes: Sequence[int],
    channels: int = 3,
    batch: int = 1,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[SweepPoint]:
    """Trace ``model`` at each square input side in ``sizes``.

    A zoo model is built once (on meta) and traced at every size. ``progress(done, total)``
    is called after each size, for a progress bar. A size the model cannot take becomes a
    point with ``error`` set to the reason.
    """
    if isinstance(model, str):
        with torch.device("meta"):
            module = build(model, **options).eval()   # zoo names trace in eval mode
    elif isinstance(model, nn.Module):
        if options:
            raise VizcnnError(f"options {sorted(options)} only apply to zoo names")
        module = model
    else:
        raise VizcnnError(f"sweep takes a zoo name or an nn.Module, got {type(model).__name__}")
    points: list[SweepPoint] = []
    for done, size in enumerate(sizes, start=1):
        shape = (batch, channels, size, size)
        try:
            t = trace(module, shape)
        except VizcnnError as error:
            points.append(SweepPoint(size, shape, error=str(error)))
        else:
            points.append(SweepPoint.of(t, size=size, input_shape=shape))
        if progress is not None:
            progress(done, len(sizes))
    return points


def compare(names_or_traces: Sequence[str | Graph], input_size: int | Sequence[int] = 224
            ) -> list[ComparePoint]:
    """Totals of several models at one input size.

    Zoo names are traced at ``input_size`` (a square side, using the model's own input
    channels, or a full shape); traces are taken as they are. Unknown names raise
    :class:`VizcnnError`; a size a model rejects is reported in its point.
    """
    points: list[ComparePoint] = []
    for item in names_or_traces:
        if isinstance(item, Graph):
            shape = item.input_shapes[0] if item.input_shapes else ()
            points.append(ComparePoint.of(item, name=item.model, family=_family(item.model),
                                          input_shape=tuple(shape)))
            continue
        if not isinstance(item, str):
            raise VizcnnError(f"compare takes zoo names or traces, got {type(item).__name__}")
        card = model_card(item)
        if isinstance(input_size, int):
            shape = (1, card.in_channels, input_size, input_size)
        else:
            shape = tuple(input_size)
        try:
            t = trace(item, shape)
        except VizcnnError as error:
            points.append(ComparePoint(item, card.family, shape, error=str(error)))
        else:
            points.append(ComparePoint.of(t, name=item, family=card.family, input_shape=shape))
    return points


def _family(name: str) -> str:
    try:
        return model_card(name).family
    except VizcnnError:
        return ""
