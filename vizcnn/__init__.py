"""vizcnn: see inside convolutional networks.

``vizcnn.trace(model, input_size=(1, 3, 224, 224))`` records every layer and op with its
shapes, parameters and costs; the zoo (``vizcnn.build("resnet50")``) holds the classic CNNs.

Names are imported on first use, so ``import vizcnn.errors`` (or ``vizcnn list``) does not
import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_HOME = {
    "Trace": "vizcnn.api", "trace": "vizcnn.api",
    "accepted_sides": "vizcnn.experiments", "min_input_size": "vizcnn.experiments",
    "ShapeError": "vizcnn.errors", "VizcnnError": "vizcnn.errors",
    "Edge": "vizcnn.graph", "Graph": "vizcnn.graph", "ModuleInfo": "vizcnn.graph",
    "Node": "vizcnn.graph", "OpKind": "vizcnn.graph",
    "build": "vizcnn.zoo", "list_families": "vizcnn.zoo", "list_models": "vizcnn.zoo",
    "model_card": "vizcnn.zoo",
    "conventions": "vizcnn.experiments.reconcile",
    "load_onnx": "vizcnn.model_files",
    "match_checkpoint": "vizcnn.checkpoint", "read_checkpoint": "vizcnn.checkpoint",
}

__all__ = sorted(_HOME)

if TYPE_CHECKING:
    from vizcnn.api import Trace, trace  # noqa: F401
    from vizcnn.experiments import accepted_sides, min_input_size  # noqa: F401
    from vizcnn.errors import ShapeError, VizcnnError  # noqa: F401
    from vizcnn.graph import Edge, Graph, ModuleInfo, Node, OpKind  # noqa: F401
    from vizcnn.checkpoint import match_checkpoint, read_checkpoint  # noqa: F401
    from vizcnn.experiments.reconcile import conventions  # noqa: F401
    from vizcnn.model_files import load_onnx  # noqa: F401
    from vizcnn.zoo import build, list_families, list_models, model_card  # noqa: F401


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:   # a subpackage used as an attribute: ``vizcnn.zoo.registry``
        try:
            return import_module(f"vizcnn.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'vizcnn' has no attribute {name!r}") from None
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
