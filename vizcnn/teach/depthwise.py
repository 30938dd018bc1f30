"""Depthwise-separable convolution and the inverted residual.

The seed: a depthwise conv (深度卷积) filters each input channel with its own kernel, and a
pointwise 1×1 conv (逐点卷积) then mixes the channels — feature extraction and combination
done separately. Against a standard k×k conv with the same input and output, the cost ratio
is 1/N + 1/k² (N output channels; 1/N + 1/(g·k²) when the 1×1 conv is grouped, as in
ShuffleNet). The depthwise and 1×1 costs are the model's own layers, read from its trace;
the standard conv they replace is traced by :mod:`vizcnn.experiments.lessons` and handed in.
MobileNetV2's inverted residual (倒残差) widens then narrows — a spindle (纺锤) — the opposite
of ResNet's hourglass (沙漏).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.views.structure import Profile, ResidualBlock, Shortcut, structure
from vizcnn.words import Lang, tr


@dataclass(frozen=True)
class SeparableRatio:
    """A depthwise conv and the 1×1 conv after it against the standard conv they replace."""

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
    pw_groups: int = 1               # g of the 1×1 conv (ShuffleNet's is grouped)

    @property
    def separable_macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def measured(self) -> Fraction:
        """Separable MACs / standard MACs, exactly."""
        return Fraction(self.separable_macs, self.standard_macs)

    @property
    def formula(self) -> Fraction:
        """1/N + 1/(g·k²) (k² = k_h·k_w; g = 1 for a pointwise conv)."""
        return Fraction(1, self.out_channels) + Fraction(
            1, self.pw_groups * self.kernel[0] * self.kernel[1])


@dataclass(frozen=True)
class ShownBlock:
    """A block drawn in the profile chart: the picked model's own, or another's for contrast."""

    model: str
    block: ResidualBlock
    contrast: bool


def depthwise_pairs(graph: Graph) -> list[tuple[str, str]]:
    """(depthwise conv, the 1×1 conv — pointwise or grouped — it feeds), from the structure."""
    return list(structure(graph).separable)


def pair(graph: Graph, dw_node: str | None = None) -> tuple[Node, Node]:
    """The nodes of one depthwise pair of ``graph`` (default: the first)."""
    pairs = depthwise_pairs(graph)
    if dw_node is not None:
        pairs = [p for p in pairs if p[0] == dw_node]
    if not pairs:
        raise VizcnnError(f"{graph.model} has no depthwise conv followed by a 1×1 conv"
                          + (f" at {dw_node}" if dw_node else ""))
    by_id: dict[str, Node] = {n.id: n for n in graph.nodes}
    return by_id[pairs[0][0]], by_id[pairs[0][1]]


def separable_ratio(graph: Graph, standard: Graph, dw_node: str | None = None
                    ) -> SeparableRatio:
    """The pair at ``dw_node`` of ``graph`` (its MACs and weights from the trace) against
    ``standard``, the trace of one standard conv with the same kernel, stride, padding, input
    and output channels (see :func:`vizcnn.experiments.lessons.standard_conv`)."""
    dw, pw = pair(graph, dw_node)
    a = dw.attrs
    if len(a["kernel_size"]) != 2:
        raise VizcnnError(f"{dw.id} is not a 2-d convolution", path=dw.path, op=dw.op)
    weights = sum(n.params for n in standard.nodes if n.op == "conv")
    return SeparableRatio(dw.id, pw.id, a["in_channels"], pw.attrs["out_channels"],
                          tuple(a["kernel_size"]), tuple(a["stride"]), dw.input_shapes[0],
                          standard.macs, dw.macs, pw.macs, weights,
                          _weights(dw) + _weights(pw), pw.attrs.get("groups", 1))


def _weights(conv: Node) -> int:
    """Conv weights without the bias, as the standard conv is built (bias-free)."""
    a = conv.attrs
    k = 1
    for d in a["kernel_size"]:
        k *= d
    return a["in_channels"] // a["groups"] * a["out_channels"] * k


def representative(blocks, profile: Profile) -> ResidualBlock | None:
    """The first block with an identity shortcut and the given profile (else any with it)."""
    matching = [b for b in blocks if b.profile is profile]
    for block in matching:
        if block.shortcut is Shortcut.IDENTITY:
            return block
    return matching[0] if matching else None


def profile_blocks(graph: Graph, contrasts: Mapping[str, Graph]) -> list[ShownBlock]:
    """A spindle and an hourglass to set side by side: the traced model's own where it has
    them (its own flat block when it has neither), and for a missing profile the first such
    block of ``contrasts[profile]`` (another model's trace), marked as a contrast."""
    own = structure(graph).residual
    shown = [ShownBlock(graph.model, b, False) for b in
             (representative(own, Profile.SPINDLE), representative(own, Profile.HOURGLASS))
             if b is not None]
    if not shown:
        flat = representative(own, Profile.FLAT)
        shown += [ShownBlock(graph.model, flat, False)] if flat is not None else []
    have = {s.block.profile for s in shown}
    for profile in (Profile.SPINDLE, Profile.HOURGLASS):
        other = contrasts.get(profile.value)
        if profile in have or other is None:
            continue
        block = representative(structure(other).residual, profile)
        if block is not None:
            shown.append(ShownBlock(other.model, block, True))
    return shown


def profile_figure(shown: list[ShownBlock], lang: Lang | str = Lang.EN) -> go.Figure:
    """Each block's channels drawn as a band of width C around 0 along its steps, so an
    hourglass looks like one (沙漏) and a spindle like one (纺锤). A block of another model
    says so in its title."""
    if not shown:
        raise VizcnnError("no residual blocks to draw")
    titles = [tr(lang, "profile_title_contrast", model=s.model, block=s.block.path,
                 profile=tr(lang, f"profile_{s.block.profile.value}"))
              + "<br>" + tr(lang, "profile_contrast_tag") if s.contrast else
              tr(lang, "profile_title", block=s.block.path,
                 profile=tr(lang, f"profile_{s.block.profile.value}")) for s in shown]
    fig = make_subplots(rows=1, cols=len(shown), subplot_titles=titles)
    colours = {Profile.SPINDLE: "#00CC96", Profile.HOURGLASS: "#636EFA", Profile.FLAT: "#AAAAAA"}
    for col, item in enumerate(shown, start=1):
        block = item.block
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
    fig.update_annotations(font_size=12)
    fig.update_layout(height=380, margin={"l": 40, "r": 20, "t": 80, "b": 40},
                      plot_bgcolor="white")
    return fig


__all__ = ["SeparableRatio", "ShownBlock", "depthwise_pairs", "pair", "profile_blocks",
           "profile_figure", "representative", "separable_ratio"]
