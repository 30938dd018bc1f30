"""How models compare: several models traced at one input size.

A model in a comparison is a zoo name (its default options), a :class:`ModelSpec` (e.g. the
spec of the trace on screen, with its own options) or a trace taken as it is. Every point is
named with the options it was built with, so ``shufflenet_v1`` and ``shufflenet_v1
(groups=8)`` are never confused.
"""

from __future__ import annotations

from typing import Sequence

from vizcnn.api import trace, zoo_spec
from vizcnn.errors import VizcnnError
from vizcnn.experiments.naming import model_label
from vizcnn.experiments.sizes import expected_channels
from vizcnn.graph import Graph
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.views.sweep import ComparePoint
from vizcnn.zoo import model_card


def family_of(spec: ModelSpec) -> str:
    return model_card(spec.name).family if spec.source is ModelSource.ZOO else ""


def compare_spec(model: str | ModelSpec, input_size: int | Sequence[int] = 224, *,
                 batch: int = 1, training: bool = False) -> TraceSpec:
    """The trace spec of one comparison row: a square side uses the model's own input
    channels; a full shape is taken as it is. Unknown zoo names raise."""
    spec = zoo_spec(model) if isinstance(model, str) else model
    if isinstance(input_size, int):
        channels = expected_channels(spec) or 3
        shape: tuple[int, ...] = (batch, channels, input_size, input_size)
    else:
        shape = tuple(input_size)
    return TraceSpec(spec, (shape,), training)


def point_of(graph: Graph) -> ComparePoint:
    """A trace's own totals as a comparison point, named by its spec when it has one."""
    spec = graph.spec
    name = model_label(spec.model) if spec is not None else graph.model
    family = family_of(spec.model) if spec is not None else ""
    shape = graph.input_shapes[0] if graph.input_shapes else ()
    return ComparePoint.of(graph, name=name, family=family, input_shape=tuple(shape))


def compare_point(spec: TraceSpec) -> ComparePoint:
    """Trace one row; an input the model rejects is reported in the point, not raised."""
    name, family = model_label(spec.model), family_of(spec.model)
    try:
        t = trace(spec.model, spec.input_shape, training=spec.training)
    except VizcnnError as error:
        return ComparePoint(name, family, spec.input_shape, error=str(error))
    return ComparePoint.of(t, name=name, family=family, input_shape=spec.input_shape)


def compare(models: Sequence[str | ModelSpec | Graph], input_size: int | Sequence[int] = 224,
            *, batch: int = 1, training: bool = False) -> list[ComparePoint]:
    """Totals of several models at one input size (see :func:`compare_spec`); traces are
    taken as they are. Unknown names raise :class:`VizcnnError`."""
    points: list[ComparePoint] = []
    for item in models:
        if isinstance(item, Graph):
            points.append(point_of(item))
        elif isinstance(item, (str, ModelSpec)):
            points.append(compare_point(compare_spec(item, input_size, batch=batch,
                                                     training=training)))
        else:
            raise VizcnnError(f"compare takes zoo names, model specs or traces, "
                              f"got {type(item).__name__}")
    return points
