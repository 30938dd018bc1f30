"""What-if: turn one knob of the traced model (a builder option, the input side) and see
what happens to its totals.

The baseline is the trace itself, never a rebuild from widget state; the variant is derived
from the trace's spec (every other option, the classes, the batch and the train/eval mode
kept) and traced, so both sides of every delta are measured. The knobs are the ones the
papers turn: width multipliers, input resolution, ShuffleNet's groups, SE's reduction ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Mapping

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.spec import ModelSource, TraceSpec
from vizcnn.zoo import model_card

RESOLUTIONS: tuple[int, ...] = (64, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512)


class Knob(str, Enum):
    """What a what-if slider changes."""

    RESOLUTION = "resolution"
    WIDTH = "width"          # width_mult (MobileNet), width (GhostNet), scale (ShuffleNet v1)
    GROUPS = "groups"        # ShuffleNet v1's groups g
    SE = "se"                # ResNet: add SE blocks
    SE_RATIO = "se_ratio"    # SE reduction ratio r


_OPTION_KNOBS: dict[str, Knob] = {
    "width_mult": Knob.WIDTH, "width": Knob.WIDTH, "scale": Knob.WIDTH,
    "groups": Knob.GROUPS, "se": Knob.SE, "se_reduction": Knob.SE_RATIO,
}


@dataclass(frozen=True)
class KnobSpec:
    """One slider: the builder option it sets (None for the resolution), default, choices."""

    knob: Knob
    option: str | None
    default: Any
    choices: tuple[Any, ...]


@dataclass(frozen=True)
class Totals:
    """Whole-model figures of one scenario."""

    params: int
    macs: int
    flops: int
    activation_bytes: int


@dataclass(frozen=True)
class Delta:
    """Changed − base, absolute and in percent of the base (None when the base is 0)."""

    absolute: int
    percent: float | None


def totals_of(graph: Graph) -> Totals:
    return Totals(graph.params, graph.macs, graph.flops,
                  sum(n.activation_bytes for n in graph.nodes))


def knobs(model_name: str, input_size: tuple[int, ...] | None = None) -> list[KnobSpec]:
    """The sliders that apply to ``model_name``: resolution first, then its options."""
    card = model_card(model_name)
    current = input_size[-1] if input_size else card.input_size
    sizes = tuple(sorted({*RESOLUTIONS, current, card.input_size}))
    specs = [KnobSpec(Knob.RESOLUTION, None, current, sizes)]
    for option in card.options:
        knob = _OPTION_KNOBS.get(option.name)
        if knob is not None:
            choices = tuple(sorted(option.choices)) if option.choices else (option.default,)
            specs.append(KnobSpec(knob, option.name, option.default, choices))
    return specs


def delta(base: int, changed: int) -> Delta:
    return Delta(changed - base, (changed - base) / base * 100 if base else None)


METRICS: tuple[str, ...] = ("params", "macs", "flops", "activation_bytes")


@dataclass(frozen=True)
class WhatIf:
    """The traced model and one variant of it, and their difference."""

    base_spec: TraceSpec
    changed_spec: TraceSpec
    base: Totals
    changed: Totals
    deltas: dict[str, Delta] = field(default_factory=dict)

    @property
    def base_input(self) -> tuple[int, ...]:
        return self.base_spec.input_shape

    @property
    def changed_input(self) -> tuple[int, ...]:
        return self.changed_spec.input_shape

    @property
    def changed_options(self) -> dict[str, Any]:
        """The options that differ from the trace's."""
        before = dict(self.base_spec.model.options)
        return {k: v for k, v in self.changed_spec.model.options if before.get(k) != v}


@lru_cache(maxsize=128)
def totals(spec: TraceSpec) -> Totals:
    """Traced totals of a spec; cached (the spec is the key), since scenarios repeat."""
    try:
        t = trace(spec.model, spec.input_shape, training=spec.training)
    except (ValueError, TypeError) as error:  # a builder refusing an option combination
        raise VizcnnError(f"{spec.model.name} cannot be built with "
                          f"{dict(spec.model.options)}: {error}") from None
    return totals_of(t)


def variant_spec(base: TraceSpec, changes: Mapping[str, Any],
                 resolution: int | None = None) -> TraceSpec:
    """``base`` with ``changes`` applied to its options and, if given, a square input side."""
    if base.model.source is not ModelSource.ZOO:
        raise VizcnnError(f"what-if needs a zoo model, {base.model.name} has no options")
    unknown = set(changes) - {name for name, _ in base.model.options}
    if unknown:
        raise VizcnnError(f"{base.model.name} has no option {', '.join(sorted(unknown))}")
    shape = base.input_shape
    if resolution is not None:
        if resolution < 1:
            raise VizcnnError(f"the resolution must be positive, got {resolution}")
        if len(shape) < 3:
            raise VizcnnError(f"a resolution needs a spatial input, got {shape}")
        shape = (*shape[:-2], resolution, resolution)
    return TraceSpec(base.model.with_options(**changes), (shape, *base.input_shapes[1:]),
                     base.training, base.dtype)


def what_if(base: Graph, changes: Mapping[str, Any], resolution: int | None = None) -> WhatIf:
    """``base`` (a trace: its own totals) against the variant with ``changes`` and
    ``resolution``, derived from the spec the trace recorded."""
    if base.spec is None:
        raise VizcnnError("what-if needs a trace that records its spec (vizcnn.trace does)")
    changed_spec = variant_spec(base.spec, changes, resolution)
    before = totals_of(base)
    after = before if changed_spec == base.spec else totals(changed_spec)
    deltas = {name: delta(getattr(before, name), getattr(after, name)) for name in METRICS}
    return WhatIf(base.spec, changed_spec, before, after, deltas)
