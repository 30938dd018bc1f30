"""How cost grows with input size: one model traced at many square sides.

Conv cost scales with the spatial area while parameters do not, which is the lesson of the
sweep chart. A sweep varies only the side of the trace it starts from: the batch, channels,
model options, classes and train/eval mode are the trace's spec. Sizes a model cannot take
(AlexNet at 16×16) are reported, not raised, so a sweep over a range always finishes.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from torch import nn

from vizcnn.api import Trace, build_spec, trace, zoo_spec
from vizcnn.errors import VizcnnError
from vizcnn.spec import TraceSpec
from vizcnn.views.sweep import SweepPoint
from vizcnn.zoo import model_card

# The app's range slider (8…1024 every 8) at its own step: 128 sides. A longer sweep is
# refused with the reason, never cut short.
MAX_SWEEP_SIDES = 128


def sides_between(low: int, high: int, step: int) -> list[int]:
    """Square sides from ``low`` to ``high`` every ``step``, both ends included (``high`` is
    added when the step does not land on it)."""
    if step < 1 or low < 1 or high < low:
        raise VizcnnError(f"a sweep needs 1 ≤ low ≤ high and a step ≥ 1, got {low}…{high} "
                          f"every {step}")
    sides = list(range(low, high + 1, step))
    if sides[-1] != high:
        sides.append(high)
    return sides


def smallest_step(low: int, high: int, limit: int = MAX_SWEEP_SIDES) -> int:
    """The smallest step for which ``low``…``high`` has at most ``limit`` sides."""
    step = max(1, math.ceil((high - low) / max(1, limit - 1)))
    while len(sides_between(low, high, step)) > limit:
        step += 1
    return step


def _start(base: Trace | TraceSpec | str | nn.Module, channels: int | None, batch: int | None,
           training: bool | None, options: dict[str, Any]
           ) -> tuple[nn.Module, int, int, bool | None]:
    """(module, channels, batch, training) the sweep traces with."""
    if isinstance(base, Trace):
        base = base.spec
    if isinstance(base, str):
        card = model_card(base)
        base = TraceSpec(zoo_spec(base, **options),
                         ((batch or 1, channels or card.in_channels, 1, 1),), bool(training))
    elif options:
        raise VizcnnError(f"options {sorted(options)} only apply to zoo names")
    if isinstance(base, TraceSpec):
        shape = base.input_shape
        if len(shape) != 4:
            raise VizcnnError(f"a sweep varies the side of a 4-d input, got {shape}")
        return build_spec(base.model), shape[1], shape[0], base.training
    if isinstance(base, nn.Module):
        return base, channels or 3, batch or 1, training
    raise VizcnnError(f"sweep takes a trace, a spec, a zoo name or an nn.Module, "
                      f"got {type(base).__name__}")


def sweep(
    base: Trace | TraceSpec | str | nn.Module,
    sides: Sequence[int],
    *,
    channels: int | None = None,
    batch: int | None = None,
    training: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[SweepPoint]:
    """Trace the model of ``base`` at each square input side in ``sides``.

    ``base`` is a trace or its spec (everything but the side is kept), a zoo name with
    ``options`` (eval mode unless ``training``), or a module. The model is built once and
    traced at every side. ``progress(done, total)`` is called after each side, for a
    progress bar. A side the model cannot take becomes a point with ``error`` set.
    More than :data:`MAX_SWEEP_SIDES` sides raise :class:`VizcnnError`.
    """
    if len(sides) > MAX_SWEEP_SIDES:
        raise VizcnnError(f"a sweep runs at most {MAX_SWEEP_SIDES} sizes, got {len(sides)}")
    module, channels, batch, training = _start(base, channels, batch, training, options)
    points: list[SweepPoint] = []
    for done, side in enumerate(sides, start=1):
        shape = (batch, channels, side, side)
        try:
            t = trace(module, shape, training=training)
        except VizcnnError as error:
            points.append(SweepPoint(side, shape, error=str(error)))
        else:
            points.append(SweepPoint.of(t, size=side, input_shape=shape))
        if progress is not None:
            progress(done, len(sides))
    return points
