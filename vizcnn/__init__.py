"""vizcnn: see inside convolutional networks."""

from __future__ import annotations

from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.zoo import build, list_families, list_models, model_card

__all__ = ["ShapeError", "VizcnnError", "build", "list_families", "list_models", "model_card"]
