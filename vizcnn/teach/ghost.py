"""Ghost modules: half the feature maps from an ordinary conv, the rest from a cheap one.

A Ghost module makes m = ⌈n/s⌉ "intrinsic" maps with an ordinary k×k conv and derives the
other n − m as "ghosts" with a per-channel d×d conv. Against a plain conv producing the same
n maps, the paper's speed-up is r = s·c·k² / (c·k² + (s−1)·d²) ≈ s. Both sides are traced:
the Ghost module as it ran in the model (or built from the zoo), the plain conv on meta.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import torch
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.zoo.ghostnet import GhostModule

GHOST_TYPES: tuple[str, ...] = ("GhostModule",)


@dataclass(frozen=True)
class GhostSaving:
    """A Ghost module against a plain conv with the same input and output (conv weights)."""

    path: str | None
    in_channels: int          # c
    out_channels: int         # n
    intrinsic: int            # m = ⌈n/s⌉, made by the primary conv
    ratio: int                # s
    kernel: int               # k of the primary conv
    dw_size: int              # d of the cheap depthwise conv
    input_shape: tuple[int, ...]
    ghost_macs: int
    ghost_params: int
    plain_macs: int
    plain_params: int

    @property
    def macs_ratio(self) -> float:
        """Plain MACs / Ghost MACs: the measured speed-up."""
        return self.plain_macs / self.ghost_macs

    @property
    def params_ratio(self) -> float:
        return self.plain_params / self.ghost_params

    @property
    def formula(self) -> Fraction:
        """The paper's r_s = s·c·k² / (c·k² + (s−1)·d²) (exact when s divides n)."""
        s, c, k2, d2 = self.ratio, self.in_channels, self.kernel ** 2, self.dw_size ** 2
        return Fraction(s * c * k2, c * k2 + (s - 1) * d2)


def ghost_paths(graph: Graph) -> list[str]:
    types = {cls for idea, cls in graph.key_blocks if idea == "ghost"} or set(GHOST_TYPES)
    return [p for p, m in graph.modules.items() if m.type in types and m.calls > 0]


def _saving(path: str | None, convs: list[Node], input_shape: tuple[int, ...],
            out_channels: int) -> GhostSaving:
    if len(convs) != 2:
        raise VizcnnError(f"a Ghost module has a primary and a cheap conv; {path or 'this'} "
                          f"has {len(convs)} convolutions")
    primary, cheap = convs
    a, b = primary.attrs, cheap.attrs
    k = a["kernel_size"][0]
    ratio = (a["out_channels"] + b["out_channels"]) // a["out_channels"]
    with torch.device("meta"):
        plain = nn.Conv2d(a["in_channels"], out_channels, a["kernel_size"], a["stride"],
                          a["padding"], bias=a["bias"])
    t_plain = trace(plain, input_shape)
    return GhostSaving(path, a["in_channels"], out_channels, a["out_channels"], ratio, k,
                       b["kernel_size"][0], tuple(input_shape),
                       sum(n.macs for n in convs), sum(n.params for n in convs),
                       t_plain.macs, t_plain.params)


def ghost_saving(graph: Graph, path: str) -> GhostSaving:
    """The saving of the Ghost module at ``path`` of ``graph``."""
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced Ghost module {path!r} in {graph.model}")
    convs = [n for n in graph.nodes if (path in n.scope or n.path == path) and n.op == "conv"]
    return _saving(path, convs, info.input_shapes[0], info.output_shapes[0][1])


def ghost_savings(graph: Graph) -> list[GhostSaving]:
    return [ghost_saving(graph, p) for p in ghost_paths(graph)]


def ghost_saving_for(in_channels: int, out_channels: int, ratio: int = 2, kernel: int = 1,
                     dw_size: int = 3, size: int = 56) -> GhostSaving:
    """A zoo :class:`GhostModule` built with these numbers, traced, against a plain conv."""
    if min(in_channels, out_channels, ratio, kernel, dw_size, size) < 1:
        raise VizcnnError("channels, ratio, kernel, dw_size and size must be positive")
    if ratio < 2:
        raise VizcnnError(f"a Ghost module needs a ratio s ≥ 2, got {ratio}")
    with torch.device("meta"):
        module = GhostModule(in_channels, out_channels, kernel, ratio, dw_size)
    t = trace(module, (1, in_channels, size, size))
    convs = [n for n in t.nodes if n.op == "conv"]
    return _saving(None, convs, (1, in_channels, size, size), out_channels)


__all__ = ["GHOST_TYPES", "GhostSaving", "ghost_paths", "ghost_saving", "ghost_saving_for",
           "ghost_savings"]
