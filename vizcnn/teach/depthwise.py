"""Depthwise-separable convolution and the inverted residual.

The seed: a depthwise conv (深度卷积) filters each input channel with its own kernel, and a
pointwise 1×1 conv (逐点卷积) then mixes the channels — feature extraction and combination
done separately. Against a standard k×k conv with the same input and output, the cost ratio
is 1/N + 1/k² (N output channels). Here both are built from a real layer of the trace and
traced, and the measured ratio is set beside the formula. MobileNetV2's inverted residual
(倒残差) widens then narrows — a spindle (纺锤) — the opposite of ResNet's hourglass (沙漏).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.teach.residual import Profile, ResidualBlock, residual_blocks
from vizcnn.words import Lang, tr

_PASS_THROUGH = {"norm", "activation", "dropout", "other"}


@dataclass(frozen=True)
class SeparableRatio:
    """A standard conv against its depthwise-separable split, both traced."""

    dw_node: str | None
    pw_node: str | None
    in_channels: int                 # M
    out_channels: int                # N
    kernel: tuple[int, int]
    stride: tuple[int, int]
    input_shape: tuple[int, ...]
    standard_macs: int
    depthwise_macs: int
    pointwise_macs: int
    standard_params: int
    separable_params: int

    @property
    def separable_macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def measured(self) -> Fraction:
        """Separable MACs / standard MACs, exactly."""
        return Fraction(self.separable_macs, self.standard_macs)

    @property
    def formula(self) -> Fraction:
        """1/N + 1/k² (k² = k_h·k_w)."""
        return Fraction(1, self.out_channels) + Fraction(1, self.kernel[0] * self.kernel[1])


def depthwise_pairs(graph: Graph) -> list[tuple[str, str]]:
    """(depthwise conv, the pointwise conv it feeds) pairs, following norms and activations."""
    by_id = {n.id: n for n in graph.nodes}
    consumers: dict[str, list[str]] = {}
    for edge in graph.edges:
        consumers.setdefault(edge.src, []).append(edge.dst)
    pairs = []
    for node in graph.nodes:
        if node.kind != "depthwise_conv":
            continue
        current = node.id
        while True:
            nxt = consumers.get(current, [])
            if len(nxt) != 1:
                break
            follower = by_id[nxt[0]]
            if follower.kind == "pointwise_conv":
                pairs.append((node.id, follower.id))
                break
            if follower.kind not in _PASS_THROUGH:
                break
            current = follower.id
    return pairs


def _measure(in_channels: int, out_channels: int, kernel: tuple[int, int],
             stride: tuple[int, int], padding: tuple[int, int] | str,
             dilation: tuple[int, int], input_shape: tuple[int, ...],
             dw_node: str | None, pw_node: str | None) -> SeparableRatio:
    with torch.device("meta"):
        standard = nn.Conv2d(in_channels, out_channels, kernel, stride, padding, dilation,
                             bias=False)
        separable = nn.Sequential(
            nn.Conv2d(in_channels, in_channels, kernel, stride, padding, dilation,
                      groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
        )
    t_std, t_sep = trace(standard, input_shape), trace(separable, input_shape)
    dw, pw = [n for n in t_sep.nodes if n.op == "conv"]
    return SeparableRatio(dw_node, pw_node, in_channels, out_channels, kernel, stride,
                          tuple(input_shape), t_std.macs, dw.macs, pw.macs, t_std.params,
                          t_sep.params)


def separable_ratio(graph: Graph, dw_node: str | None = None) -> SeparableRatio:
    """The ratio on a real layer of ``graph``: its depthwise conv (default: the first one
    followed by a pointwise conv) and the pointwise conv after it, against one standard conv
    with the same kernel, stride, padding, input and output channels."""
    pairs = depthwise_pairs(graph)
    if dw_node is not None:
        pairs = [p for p in pairs if p[0] == dw_node]
    if not pairs:
        raise VizcnnError(f"{graph.model} has no depthwise conv followed by a pointwise conv"
                          + (f" at {dw_node}" if dw_node else ""))
    by_id: dict[str, Node] = {n.id: n for n in graph.nodes}
    dw, pw = by_id[pairs[0][0]], by_id[pairs[0][1]]
    a = dw.attrs
    if len(a["kernel_size"]) != 2:
        raise VizcnnError(f"{dw.id} is not a 2-d convolution", path=dw.path, op=dw.op)
    return _measure(a["in_channels"], pw.attrs["out_channels"], tuple(a["kernel_size"]),
                    tuple(a["stride"]), a["padding"], tuple(a["dilation"]),
                    dw.input_shapes[0], dw.id, pw.id)


def separable_ratio_for(in_channels: int, out_channels: int, kernel: int = 3, size: int = 56,
                        stride: int = 1) -> SeparableRatio:
    """The ratio for a stride-``stride``, same-padded k×k layer on a 1×M×size×size input."""
    if min(in_channels, out_channels, kernel, size, stride) < 1:
        raise VizcnnError("channels, kernel, size and stride must be positive")
    pad = (kernel - 1) // 2
    return _measure(in_channels, out_channels, (kernel, kernel), (stride, stride), (pad, pad),
                    (1, 1), (1, in_channels, size, size), None, None)


def representative(blocks: list[ResidualBlock], profile: Profile) -> ResidualBlock | None:
    """The first block with an identity shortcut and the given profile (else any with it)."""
    matching = [b for b in blocks if b.profile is profile]
    for block in matching:
        if block.shortcut.value == "identity":
            return block
    return matching[0] if matching else None


def spindle_vs_hourglass(graph: Graph, other: str = "resnet50"
                         ) -> tuple[ResidualBlock | None, ResidualBlock | None]:
    """A spindle block of ``graph`` (or of MobileNetV2) beside an hourglass block of
    ``graph`` (or of ``other``), both traced at ``graph``'s input size."""
    size = graph.input_shapes[0]
    blocks = residual_blocks(graph)
    spindle = representative(blocks, Profile.SPINDLE)
    hourglass = representative(blocks, Profile.HOURGLASS)
    if spindle is None:
        spindle = representative(list(_zoo_blocks("mobilenet_v2", size)), Profile.SPINDLE)
    if hourglass is None:
        hourglass = representative(list(_zoo_blocks(other, size)), Profile.HOURGLASS)
    return spindle, hourglass


@lru_cache(maxsize=16)
def _zoo_blocks(name: str, size: tuple[int, ...]) -> tuple[ResidualBlock, ...]:
    return tuple(residual_blocks(trace(name, size)))


def profile_figure(blocks: list[ResidualBlock], lang: Lang | str = Lang.EN) -> go.Figure:
    """Each block's channels drawn as a band of width C around 0 along its steps, so an
    hourglass looks like one (沙漏) and a spindle like one (纺锤)."""
    if not blocks:
        raise VizcnnError("no residual blocks to draw")
    titles = [tr(lang, "profile_title", profile=tr(lang, f"profile_{b.profile.value}"),
                   block=b.path) for b in blocks]
    fig = make_subplots(rows=1, cols=len(blocks), subplot_titles=titles)
    colours = {Profile.SPINDLE: "#00CC96", Profile.HOURGLASS: "#636EFA", Profile.FLAT: "#AAAAAA"}
    for col, block in enumerate(blocks, start=1):
        xs = list(range(len(block.steps)))
        half = [c / 2 for _, c in block.steps]
        colour = colours[block.profile]
        fig.add_trace(go.Scatter(x=xs, y=[-h for h in half], mode="lines",
                                 line={"color": colour}, showlegend=False, hoverinfo="skip"),
                      row=1, col=col)
        fig.add_trace(go.Scatter(
            x=xs, y=half, mode="lines+markers+text", fill="tonexty", line={"color": colour},
            text=[str(c) for _, c in block.steps], textposition="top center",
            customdata=[label for label, _ in block.steps], showlegend=False,
            hovertemplate="%{customdata}: %{text}<extra></extra>"), row=1, col=col)
        fig.update_xaxes(tickmode="array", tickvals=xs, range=[-0.4, len(xs) - 0.6],
                         ticktext=[label for label, _ in block.steps], showgrid=False,
                         row=1, col=col)
        top = max(half) * 1.3
        fig.update_yaxes(range=[-top, top], title_text=tr(lang, "profile_axis"),
                         showticklabels=False, showgrid=False, zeroline=False, row=1, col=col)
    fig.update_layout(height=360, margin={"l": 40, "r": 20, "t": 60, "b": 40},
                      plot_bgcolor="white")
    return fig


__all__ = ["SeparableRatio", "depthwise_pairs", "profile_figure", "representative",
           "separable_ratio", "separable_ratio_for", "spindle_vs_hourglass"]
