"""Render: DOT text for the layer graph and images via Graphviz's ``dot``."""

from __future__ import annotations

from vizcnn.render.dot import (
    KIND_COLOURS, Direction, GraphOptions, LegendItem, legend_items, to_dot,
)
from vizcnn.render.graphviz_run import OutputFormat, render, render_to_file

__all__ = [
    "KIND_COLOURS", "Direction", "GraphOptions", "LegendItem", "OutputFormat", "legend_items",
    "render", "render_to_file", "to_dot",
]
