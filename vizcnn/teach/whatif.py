"""What-if: change one knob of a zoo model and see what happens to its totals.

Width multipliers, input resolution, ShuffleNet's groups and SE's reduction ratio are the
knobs the papers turn. Each scenario is built on meta and traced, so the totals and the
deltas against the default are measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Mapping

import torch

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.zoo import build, model_card

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


@dataclass(frozen=True)
class WhatIf:
    """Two scenarios of one model and their difference."""

    model: str
    base_options: dict[str, Any]
    changed_options: dict[str, Any]
    base_input: tuple[int, ...]
    changed_input: tuple[int, ...]
    base: Totals
    changed: Totals
    deltas: dict[str, Delta] = field(default_factory=dict)


def totals_of(graph: Graph) -> Totals:
    return Totals(graph.params, graph.macs, graph.flops,
                  sum(n.activation_bytes for n in graph.nodes))


@lru_cache(maxsize=128)
def _totals(model_name: str, input_size: tuple[int, ...],
            options: tuple[tuple[str, Any], ...], training: bool) -> Totals:
    try:
        with torch.device("meta"):
            model = build(model_name, **dict(options))
    except (ValueError, TypeError) as error:
        raise VizcnnError(f"{model_name} cannot be built with {dict(options)}: {error}") from None
    return totals_of(trace(model, input_size, training=training))


def totals(model_name: str, input_size: tuple[int, ...], training: bool = False,
           **options: Any) -> Totals:
    """Traced totals of ``model_name`` built with ``options``, in eval mode unless
    ``training`` (as ``vizcnn.trace`` traces a zoo name); cached, since scenarios repeat."""
    return _totals(model_name, tuple(input_size), tuple(sorted(options.items())), training)


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


def what_if(model_name: str, input_size: tuple[int, ...], changes: Mapping[str, Any],
            resolution: int | None = None,
            base_options: Mapping[str, Any] | None = None,
            training: bool = False) -> WhatIf:
    """Totals of the default model at ``input_size`` against the model with ``changes``
    applied to its options and, if given, a square input of side ``resolution`` (both in
    eval mode unless ``training``)."""
    base_opts = default_options(model_name) if base_options is None else dict(base_options)
    unknown = set(changes) - set(default_options(model_name))
    if unknown:
        raise VizcnnError(f"{model_name} has no option {', '.join(sorted(unknown))}")
    changed_opts = {**base_opts, **changes}
    base_input = tuple(input_size)
    if resolution is not None:
        if resolution < 1:
            raise VizcnnError(f"the resolution must be positive, got {resolution}")
        changed_input = (*base_input[:-2], resolution, resolution)
    else:
        changed_input = base_input
    base = totals(model_name, base_input, training, **base_opts)
    changed = totals(model_name, changed_input, training, **changed_opts)
    deltas = {name: delta(getattr(base, name), getattr(changed, name))
              for name in ("params", "macs", "flops", "activation_bytes")}
    return WhatIf(model_name, base_opts, changed_opts, base_input, changed_input, base,
                  changed, deltas)


__all__ = ["Delta", "Knob", "KnobSpec", "RESOLUTIONS", "Totals", "WhatIf", "default_options",
           "delta", "knobs", "totals", "totals_of", "what_if"]
