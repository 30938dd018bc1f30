"""The architectures of the seed notes, written from their papers, behind one registry.

Each family module registers its builders when imported; the imports below are the whole
list, in the order the seed notes study them.
"""

from __future__ import annotations

from vizcnn.zoo.registry import (
    ModelCard,
    ModelOption,
    PublishedCost,
    build,
    list_families,
    list_models,
    model_card,
    register_model,
)

__all__ = [
    "ModelCard",
    "ModelOption",
    "PublishedCost",
    "build",
    "list_families",
    "list_models",
    "model_card",
    "register_model",
]
