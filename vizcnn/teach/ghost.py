"""Ghost modules: half the feature maps from an ordinary conv, the rest from a cheap one.

A Ghost module makes m = ⌈n/s⌉ "intrinsic" maps with an ordinary k×k conv and derives the
other n − m as "ghosts" with a per-channel d×d conv. Against a plain conv producing the same
n maps, the paper's speed-up is r = s·c·k² / (c·k² + (s−1)·d²) ≈ s. Both sides are traced:
the Ghost module as it ran in the model, the plain conv by
:func:`vizcnn.experiments.lessons.plain_conv`, which is handed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.views.structure import structure


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
    """Modules where a conv's output is concatenated with a cheap depthwise conv of itself."""
    return list(structure(graph).ghost)


def ghost_convs(graph: Graph, path: str) -> tuple[Node, Node]:
    """The primary and the cheap conv of the Ghost module at ``path``."""
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced Ghost module {path!r} in {graph.model}")
    convs = [n for n in graph.nodes if (path in n.scope or n.path == path) and n.op == "conv"]
    if len(convs) != 2:
        raise VizcnnError(f"a Ghost module has a primary and a cheap conv; {path} has "
                          f"{len(convs)} convolutions")
    return convs[0], convs[1]


def plain_conv_args(graph: Graph, path: str) -> tuple[Node, int, tuple[int, ...]]:
    """What the plain conv replacing the module at ``path`` is built from: the primary conv,
    the module's output channels and its input shape."""
    info = graph.modules[path]
    return ghost_convs(graph, path)[0], info.output_shapes[0][1], info.input_shapes[0]


def ghost_saving(graph: Graph, path: str, plain: Graph, label: str | None = "") -> GhostSaving:
    """The Ghost module at ``path`` of ``graph`` against ``plain``, the trace of the plain
    conv with the same input and output. ``label`` names it (default: ``path``)."""
    primary, cheap = ghost_convs(graph, path)
    a, b = primary.attrs, cheap.attrs
    info = graph.modules[path]
    ratio = (a["out_channels"] + b["out_channels"]) // a["out_channels"]
    return GhostSaving(path if label == "" else label, a["in_channels"],
                       info.output_shapes[0][1], a["out_channels"], ratio,
                       a["kernel_size"][0], b["kernel_size"][0], tuple(info.input_shapes[0]),
                       primary.macs + cheap.macs, primary.params + cheap.params,
                       plain.macs, plain.params)


__all__ = ["GhostSaving", "ghost_convs", "ghost_paths", "ghost_saving", "plain_conv_args"]
