"""vizcnn: see inside convolutional networks.

``vizcnn.trace(model, input_size=(1, 3, 224, 224))`` records every layer and op with its
shapes, parameters and costs; the zoo (``vizcnn.build("resnet50")``) holds the classic CNNs.
"""

from __future__ import annotations

from vizcnn.api import Trace, trace
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.experiments import accepted_sides, min_input_size
from vizcnn.graph import Edge, Graph, ModuleInfo, Node, OpKind
from vizcnn.zoo import build, list_families, list_models, model_card

__all__ = [
    "Edge", "Graph", "accepted_sides", "ModuleInfo", "Node", "OpKind", "ShapeError", "Trace", "VizcnnError",
    "build", "list_families", "list_models", "min_input_size", "model_card", "trace",
]
