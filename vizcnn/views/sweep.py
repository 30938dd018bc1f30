"""The points of a resolution sweep (one model, many sizes) and of a comparison (many models,
one size): a trace's totals, or why the input was rejected.

Plain data computed from a graph; :mod:`vizcnn.experiments` builds and traces the models,
:mod:`vizcnn.render.charts` draws the points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vizcnn.graph import Graph
from vizcnn.views.breakdown import peak_activation_bytes, total_activation_bytes


@dataclass(frozen=True, kw_only=True)
class Costs:
    """A model's totals at one input, or why it rejected that input (the totals are then
    ``None``: a rejected model has no figures, not zero ones)."""

    params: int | None = None
    macs: int | None = None
    flops: int | None = None
    peak_activation_bytes: int | None = None
    total_activation_bytes: int | None = None
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
    """One model's totals at a common input size. ``name`` names the model with the options
    it was built with (``shufflenet_v1 (groups=8)``)."""

    name: str
    family: str
    input_shape: tuple[int, ...]
