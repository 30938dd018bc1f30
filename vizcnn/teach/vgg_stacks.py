"""VGG's stacked 3×3 convolutions against the single large kernel they replace.

The seed notes: three 3×3 convolutions can replace one 7×7, two can replace one 5×5. Both
alternatives are small ``nn.Sequential`` models traced on the meta device by
:func:`vizcnn.experiments.lessons.stack_variants` and handed in, so the receptive field,
parameters and MACs shown side by side are measured, not typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph
from vizcnn.views.structure import structure


@dataclass(frozen=True)
class Alternative:
    """One way to cover a (2n+1)×(2n+1) window: its traced costs."""

    layers: int               # convolutions
    kernel: int
    receptive_field: int      # in input pixels, from the trace
    params: int
    macs: int
    relus: int                # non-linearities between input and output
    coefficient: int | None   # params / C², when there is no bias (27 for three 3×3)


@dataclass(frozen=True)
class StackComparison:
    """``n`` stacked 3×3 convolutions vs one (2n+1)×(2n+1), at ``channels`` and ``size``."""

    channels: int
    size: int
    stacked: Alternative
    single: Alternative

    @property
    def params_ratio(self) -> float:
        return self.stacked.params / self.single.params

    @property
    def macs_ratio(self) -> float:
        return self.stacked.macs / self.single.macs


@dataclass(frozen=True)
class ConvStack:
    """A run of stride-1 3×3 convolutions in a traced model (no pooling in between)."""

    node_ids: tuple[str, ...]
    in_channels: int
    out_channels: int
    size: tuple[int, ...]          # spatial size the stack works at
    window: int                    # receptive field of the stack in its own input pixels
    receptive_field: int | None    # receptive field in image pixels after the stack


def alternative(t: Graph, layers: int, kernel: int, bias: bool) -> Alternative:
    """One alternative's figures, read from its trace."""
    convs = [n for n in t.nodes if n.op == "conv"]
    rf = convs[-1].receptive_field
    if rf is None:
        raise VizcnnError("the trace did not record a receptive field for the stack")
    channels = convs[0].attrs["in_channels"]
    coefficient = None if bias or t.params % (channels * channels) else (
        t.params // (channels * channels))
    relus = sum(1 for n in t.nodes if n.op == "relu")
    return Alternative(layers, kernel, rf, t.params, t.macs, relus, coefficient)


def compare_stack(stacked: Graph, single: Graph, n: int, bias: bool = False
                  ) -> StackComparison:
    """``n`` stacked 3×3 convs against one (2n+1)×(2n+1), from their two traces."""
    shape = stacked.input_shapes[0]
    return StackComparison(shape[1], shape[-1], alternative(stacked, n, 3, bias),
                           alternative(single, 1, 2 * n + 1, bias))


def find_stacks(graph: Graph, min_length: int = 2) -> list[ConvStack]:
    """Runs of stride-1 3×3 convolutions in ``graph``, broken by any other conv or pooling
    (as :mod:`vizcnn.views.structure` finds them)."""
    by_id = {n.id: n for n in graph.nodes}
    stacks = []
    for ids in structure(graph).stacks:
        if len(ids) < min_length:
            continue
        run = [by_id[i] for i in ids]
        window, jump = 1, 1
        for node in run:
            k, s, d = node.attrs["kernel_size"][0], node.attrs["stride"][0], \
                node.attrs["dilation"][0]
            window += (k - 1) * d * jump
            jump *= s
        stacks.append(ConvStack(ids, run[0].attrs["in_channels"], run[-1].attrs["out_channels"],
                                tuple(run[0].output_shapes[0][2:]), window,
                                run[-1].receptive_field))
    return stacks


__all__ = ["Alternative", "ConvStack", "StackComparison", "alternative", "compare_stack",
           "find_stacks"]
