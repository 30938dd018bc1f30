"""What-if: the knobs of a zoo model the papers turn (width multipliers, input resolution,
ShuffleNet's groups, SE's reduction ratio) and the totals a scenario is compared by.

Building and tracing the variants is :mod:`vizcnn.experiments.whatif`'s job; this module only
says which knobs a model has and how two totals differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from vizcnn.graph import Graph
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


def default_options(model_name: str) -> dict[str, Any]:
    return {o.name: o.default for o in model_card(model_name).options}


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


__all__ = ["Delta", "Knob", "KnobSpec", "RESOLUTIONS", "Totals", "default_options", "delta",
           "knobs", "totals_of"]
