"""The architectures of the seed notes, written from their papers, behind one registry.

Each family module registers its builders when imported; the imports below are the whole
list, in the order the seed notes study them.
"""

from __future__ import annotations

# Importing a family registers its models; the order is the seed notes' order.
from vizcnn.zoo import alexnet, vgg, googlenet, resnet, darknet  # noqa: F401  # isort: skip
from vizcnn.zoo import senet, mobilenet_v1, mobilenet_v2, mobilenet_v3  # noqa: F401  # isort: skip
from vizcnn.zoo import shufflenet, ghostnet  # noqa: F401  # isort: skip
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
