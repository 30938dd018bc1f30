"""Residual blocks as :mod:`vizcnn.views.structure` reads them off the graph.

The seed: a residual block outputs F(x) + x, so with F = 0 it is an identity mapping
(恒等映射). Which input of the block's add (or concat) is the shortcut, and whether it is the
block input itself, passes through pooling (ShuffleNet's stride-2 unit) or through a learned
projection, is decided from the traced edges, not from attribute names. The profile is the
channel count along the main branch: ResNet's bottleneck narrows then widens (an hourglass,
沙漏); MobileNetV2's inverted residual widens then narrows (a spindle, 纺锤).
"""

from __future__ import annotations

from vizcnn.graph import Graph
from vizcnn.views.structure import (
    RESIDUAL_IDEAS, Profile, ResidualBlock, Shortcut, classify, structure,
)


def residual_blocks(graph: Graph) -> list[ResidualBlock]:
    """Every block with a shortcut, and the model card's residual blocks without one."""
    return list(structure(graph).residual)


def shortcut_counts(blocks: list[ResidualBlock]) -> dict[Shortcut, int]:
    return {kind: sum(1 for b in blocks if b.shortcut is kind) for kind in Shortcut}


__all__ = ["Profile", "RESIDUAL_IDEAS", "ResidualBlock", "Shortcut", "classify",
           "residual_blocks", "shortcut_counts"]
