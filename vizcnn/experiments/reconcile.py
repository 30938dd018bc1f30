"""``vizcnn.conventions(...)``: the counter reconciliation of a trace, with the published
figures of a zoo model's card matched to the conventions that reproduce them.

The counting itself is :mod:`vizcnn.views.conventions` (a pure function of the graph); this
module only finds the trace and the card.
"""

from __future__ import annotations

from typing import Any

from vizcnn.graph import Graph
from vizcnn.spec import ModelSource
from vizcnn.views.conventions import Reconciliation, reconcile
from vizcnn.zoo import model_card


def published_figures(graph: Graph) -> tuple:
    """The published figures of the zoo model a graph was traced from (none for others)."""
    spec = graph.spec
    if spec is None or spec.model.source is not ModelSource.ZOO:
        return ()
    return model_card(spec.model.name).published


def conventions(model: Any, input_size: Any = (1, 3, 224, 224), **options: Any
                ) -> Reconciliation:
    """What torchinfo, thop, ptflops, fvcore, FlopCounterMode and calflops would report, and
    why each differs from vizcnn's MACs. ``model`` is a trace or anything :func:`vizcnn.trace`
    takes (a zoo name, a module, a spec)."""
    if isinstance(model, Graph):
        graph = model
    else:
        from vizcnn.api import trace

        graph = trace(model, input_size, **options)
    return reconcile(graph, published_figures(graph))
