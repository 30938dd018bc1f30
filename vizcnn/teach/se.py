"""Squeeze-and-Excitation: the shape walk through one SE block, and what SE costs.

The seed notes walk an SE block's tensor shapes line by line — (b, c, h, w) → (b, c, 1, 1)
→ (b, c) → (b, c/r) → (b, c) → (b, c, 1, 1) → (b, c, h, w) — to show that SE keeps the shape
(通道注意力 that fits anywhere). Here the walk is read from a trace for the user's input, and
the cost of SE is measured by tracing the model with and without its SE blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.teach.whatif import Delta, Totals, delta, totals_of
from vizcnn.zoo import build, model_card

SE_TYPES: tuple[str, ...] = ("SEBlock", "SqueezeExcitation", "SqueezeExcite")


@dataclass(frozen=True)
class SEStep:
    """One op of the SE block and the shape it produces, also written in the seed's letters."""

    node_id: str
    label: str                       # the op's path inside the block, e.g. "excitation.0"
    op: str
    shape: tuple[int, ...]
    symbols: tuple[str, ...]         # e.g. ("b", "c/r")


@dataclass(frozen=True)
class SEWalk:
    """The shapes through one SE block, from its input to its (same-shaped) output."""

    path: str
    module_type: str
    input_shape: tuple[int, ...]
    hidden: int                      # width of the bottleneck between the two FCs
    steps: tuple[SEStep, ...]

    @property
    def channels(self) -> int:
        return self.input_shape[1]

    @property
    def reduction(self) -> float:
        """r = c / hidden (16 in SENet)."""
        return self.channels / self.hidden

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """The input shape, then each new shape along the walk (repeats dropped): the seed's
        seven shapes for the classic SE block."""
        shapes = [self.input_shape]
        for step in self.steps:
            if step.shape != shapes[-1]:
                shapes.append(step.shape)
        return tuple(shapes)

    @property
    def input_symbols(self) -> tuple[str, ...]:
        return _symbols(self.input_shape, self.input_shape, self.hidden)

    @property
    def keeps_shape(self) -> bool:
        return bool(self.steps) and self.steps[-1].shape == self.input_shape


@dataclass(frozen=True)
class SECost:
    """A model's totals with and without SE."""

    model: str
    input_size: tuple[int, ...]
    with_se: Totals
    without_se: Totals
    blocks: int                      # SE blocks in the model
    how: str                         # "option" (se=True) or "removed" (SE → identity)

    @property
    def params_delta(self) -> Delta:
        return delta(self.without_se.params, self.with_se.params)

    @property
    def macs_delta(self) -> Delta:
        return delta(self.without_se.macs, self.with_se.macs)


def se_types(graph: Graph) -> set[str]:
    return {cls for idea, cls in graph.key_blocks if idea == "se"} or set(SE_TYPES)


def se_paths(graph: Graph) -> list[str]:
    """Module paths of the SE blocks that ran, in execution order."""
    types = se_types(graph)
    return [p for p, m in graph.modules.items() if m.type in types and m.calls > 0]


def _symbols(shape: tuple[int, ...], x: tuple[int, ...], hidden: int) -> tuple[str, ...]:
    """Name each dimension as the seed does: b, c (or c/r), h, w; other sizes as numbers."""
    spatial = {1: ("l",), 2: ("h", "w"), 3: ("d", "h", "w")}.get(len(x) - 2, ())
    names = ["b"]
    for i, d in enumerate(shape[1:], start=1):
        if i == 1:
            names.append("c" if d == x[1] else "c/r" if d == hidden else str(d))
        elif i - 2 < len(spatial) and i < len(x) and d == x[i]:
            names.append(spatial[i - 2])
        else:
            names.append(str(d))
    return tuple(names)


def se_walk(graph: Graph, path: str | None = None) -> SEWalk:
    """The shape walk through the SE block at ``path`` (default: the first one)."""
    paths = se_paths(graph)
    if not paths:
        raise VizcnnError(f"{graph.model} has no SE blocks")
    path = paths[0] if path is None else path
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced SE block {path!r} in {graph.model}")
    x = info.input_shapes[0]
    nodes = [n for n in graph.nodes if (path in n.scope or n.path == path) and n.output_shapes]
    widths = [n.output_shapes[0][1] for n in nodes if len(n.output_shapes[0]) > 1]
    hidden = min(widths) if widths else x[1]
    steps = tuple(SEStep(n.id, _relative(n.id, path), n.op, n.output_shapes[0],
                         _symbols(n.output_shapes[0], x, hidden)) for n in nodes)
    return SEWalk(path, info.type, x, hidden, steps)


def _relative(node_id: str, path: str) -> str:
    """``layer1.0.se.excitation.0`` → ``excitation.0``; ``layer1.0.se/view`` → ``view``."""
    for sep in (".", "/"):
        if node_id.startswith(path + sep):
            return node_id[len(path) + 1:]
    return node_id


def _remove_se(model: nn.Module, types: set[str]) -> int:
    """Replace every SE module by an identity (SE keeps the shape, so the model still runs)."""
    targets = [name for name, m in model.named_modules() if type(m).__name__ in types]
    for name in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, nn.Identity())
    return len(targets)


@lru_cache(maxsize=32)
def _se_cost(model_name: str, input_size: tuple[int, ...],
             options: tuple[tuple[str, Any], ...], training: bool) -> SECost:
    card = model_card(model_name)
    opts = dict(options)
    types = {cls for idea, cls in card.key_blocks if idea == "se"} or set(SE_TYPES)
    has_option = any(o.name == "se" for o in card.options)
    with torch.device("meta"):
        if has_option and not opts.get("se"):
            plain = build(model_name, **opts)
            with_se = build(model_name, **{**opts, "se": True})
            how = "option"
        else:
            with_se = build(model_name, **opts)
            plain = build(model_name, **opts)
            how = "removed"
    if how == "removed" and _remove_se(plain, types) == 0:
        raise VizcnnError(f"{model_name} has no SE blocks and no se option")
    blocks = sum(1 for m in with_se.modules() if type(m).__name__ in types)
    return SECost(model_name, input_size,
                  totals_of(trace(with_se, input_size, training=training)),
                  totals_of(trace(plain, input_size, training=training)), blocks, how)


def se_cost(model_name: str, input_size: tuple[int, ...], training: bool = False,
            **options: Any) -> SECost:
    """Totals of ``model_name`` with and without SE at ``input_size``.

    A model with an ``se`` option (ResNet) is built with ``se=True`` and without; a model
    with SE blocks (SENet, MobileNetV3, GhostNet) is traced as built and again with each SE
    block replaced by an identity, which keeps everything else — the stride layout too.
    Eval mode unless ``training``, as ``vizcnn.trace`` traces a zoo name.
    """
    return _se_cost(model_name, tuple(input_size), tuple(sorted(options.items())), training)


__all__ = ["SECost", "SEStep", "SEWalk", "SE_TYPES", "se_cost", "se_paths", "se_types",
           "se_walk"]
