"""Channel shuffle (通道混洗): which input channel lands where.

A grouped 1×1 conv only mixes channels inside each group; ShuffleNet reorders the channels
between grouped convs so the next conv's groups each see every previous group. The
permutation is what the zoo's own ChannelShuffle does to ``arange(C)``
(:func:`vizcnn.experiments.lessons.shuffle_permutation` runs it), drawn as lines from input
to output channel, coloured by the input group.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.views.structure import structure
from vizcnn.words import Lang, tr

# Plotly's qualitative "Plotly" palette: distinct hues for up to ten groups.
GROUP_COLOURS: tuple[str, ...] = (
    "#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A", "#19D3F3", "#FF6692", "#B6E880",
    "#FF97FF", "#FECB52",
)


@dataclass(frozen=True)
class ShuffleMap:
    """The shuffle of ``channels`` channels in ``groups`` groups.

    ``permutation[j]`` is the input channel that ends up at output position ``j``.
    """

    channels: int
    groups: int
    permutation: tuple[int, ...]

    @property
    def group_of(self) -> tuple[int, ...]:
        """Input group of each input channel."""
        per_group = self.channels // self.groups
        return tuple(c // per_group for c in range(self.channels))


def shuffle_map(channels: int, groups: int, permutation: list[int] | tuple[int, ...]
                ) -> ShuffleMap:
    """The shuffle of ``channels`` in ``groups``; ``permutation`` is what the shuffle layer
    did to the channel indices (it must be a permutation of 0…C−1)."""
    if channels < 1 or groups < 1 or channels % groups:
        raise VizcnnError(f"{channels} channels cannot be split into {groups} equal groups")
    if sorted(permutation) != list(range(channels)):
        raise VizcnnError(f"{list(permutation)} is not a permutation of {channels} channels")
    return ShuffleMap(channels, groups, tuple(permutation))


def shuffle_layers(graph: Graph) -> list[tuple[str, int]]:
    """(node id, channels) of every channel shuffle in ``graph``."""
    by_id = {n.id: n for n in graph.nodes}
    return [(i, by_id[i].input_shapes[0][1]) for i in structure(graph).shuffles
            if by_id[i].input_shapes and len(by_id[i].input_shapes[0]) > 1]


def lesson_channels(groups: int, limit: int = 48) -> tuple[tuple[int, ...], int]:
    """Channel counts to draw a shuffle of ``groups`` with, and the default: at least two
    channels per group (with one the shuffle is the identity and nothing moves), at most
    ``limit`` lines, about a dozen by default."""
    choices = tuple(groups * i for i in range(2, max(2, limit // groups) + 1))
    return choices, min(choices, key=lambda c: abs(c - 12))


def shuffle_figure(smap: ShuffleMap, lang: Lang | str = Lang.EN) -> go.Figure:
    """Input channels on the left, output positions on the right, one line per channel
    coloured by its input group."""
    fig = go.Figure()
    group_of = smap.group_of
    c = smap.channels
    for g in range(smap.groups):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for out_pos, src in enumerate(smap.permutation):
            if group_of[src] == g:
                xs += [0, 1, None]
                ys += [c - 1 - src, c - 1 - out_pos, None]
        colour = GROUP_COLOURS[g % len(GROUP_COLOURS)]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": 2},
                                 name=tr(lang, "shuffle_group", group=g + 1),
                                 hoverinfo="skip"))
        members = [ch for ch in range(c) if group_of[ch] == g]
        outs = [j for j, src in enumerate(smap.permutation) if group_of[src] == g]
        fig.add_trace(go.Scatter(
            x=[0] * len(members) + [1] * len(outs),
            y=[c - 1 - ch for ch in members] + [c - 1 - j for j in outs],
            mode="markers+text" if c <= 48 else "markers",
            text=[str(ch) for ch in members] + [str(smap.permutation[j]) for j in outs],
            textposition=["middle left"] * len(members) + ["middle right"] * len(outs),
            marker={"color": colour, "size": 9}, showlegend=False,
            hovertemplate="%{text}<extra></extra>"))
    fig.update_layout(
        title=tr(lang, "shuffle_title", channels=c, groups=smap.groups),
        xaxis={"tickmode": "array", "tickvals": [0, 1], "range": [-0.25, 1.25],
               "ticktext": [tr(lang, "shuffle_input"), tr(lang, "shuffle_output")],
               "showgrid": False, "zeroline": False},
        yaxis={"visible": False},
        height=max(320, 22 * c + 150), margin={"l": 20, "r": 20, "t": 90, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
    )
    return fig


__all__ = ["GROUP_COLOURS", "ShuffleMap", "lesson_channels", "shuffle_figure",
           "shuffle_layers", "shuffle_map"]
