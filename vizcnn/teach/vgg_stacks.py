"""VGG's stacked 3×3 convolutions against the single large kernel they replace.

The seed notes: three 3×3 convolutions can replace one 7×7, two can replace one 5×5. Both
alternatives are built as small ``nn.Sequential`` models on the meta device and traced, so
the receptive field, parameters and MACs shown side by side are measured, not typed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph


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


def _alternative(model: nn.Module, channels: int, size: int, layers: int, kernel: int,
                 bias: bool) -> Alternative:
    t = trace(model, (1, channels, size, size))
    convs = [n for n in t.nodes if n.op == "conv"]
    rf = convs[-1].receptive_field
    if rf is None:
        raise VizcnnError("the trace did not record a receptive field for the stack")
    coefficient = None if bias or t.params % (channels * channels) else (
        t.params // (channels * channels))
    relus = sum(1 for n in t.nodes if n.op == "relu")
    return Alternative(layers, kernel, rf, t.params, t.macs, relus, coefficient)


def compare_stack(channels: int, size: int, n: int = 3, bias: bool = False) -> StackComparison:
    """Trace ``n`` stacked 3×3 convs (C→C, padding 1, ReLU after each) and one
    (2n+1)×(2n+1) conv (padding n, one ReLU) on a 1×C×size×size input."""
    if channels < 1 or size < 1 or n < 1:
        raise VizcnnError(f"channels, size and n must be positive, got {channels}, {size}, {n}")
    big = 2 * n + 1
    if size + 2 * n < big:
        raise VizcnnError(f"a {size}×{size} input is too small for a {big}×{big} kernel")
    with torch.device("meta"):
        stacked = nn.Sequential(*(m for _ in range(n) for m in (
            nn.Conv2d(channels, channels, 3, padding=1, bias=bias), nn.ReLU())))
        single = nn.Sequential(nn.Conv2d(channels, channels, big, padding=n, bias=bias),
                               nn.ReLU())
    return StackComparison(
        channels, size,
        _alternative(stacked, channels, size, n, 3, bias),
        _alternative(single, channels, size, 1, big, bias),
    )


def vgg_comparisons(channels: int, size: int, bias: bool = False) -> list[StackComparison]:
    """The seed's two claims: two 3×3 vs one 5×5, three 3×3 vs one 7×7."""
    return [compare_stack(channels, size, 2, bias), compare_stack(channels, size, 3, bias)]


def find_stacks(graph: Graph, min_length: int = 2) -> list[ConvStack]:
    """Runs of stride-1 3×3 convolutions in ``graph``, broken by any other conv or pooling."""
    stacks: list[ConvStack] = []
    run: list = []

    def close() -> None:
        if len(run) >= min_length:
            window, jump = 1, 1
            for node in run:
                k, s, d = node.attrs["kernel_size"][0], node.attrs["stride"][0], \
                    node.attrs["dilation"][0]
                window += (k - 1) * d * jump
                jump *= s
            stacks.append(ConvStack(
                tuple(n.id for n in run), run[0].attrs["in_channels"],
                run[-1].attrs["out_channels"], tuple(run[0].output_shapes[0][2:]),
                window, run[-1].receptive_field))
        run.clear()

    for node in graph.nodes:
        if node.op == "conv":
            a = node.attrs
            if tuple(a["kernel_size"]) == (3, 3) and tuple(a["stride"]) == (1, 1) \
                    and a["groups"] == 1:
                run.append(node)
                continue
            close()
        elif node.kind == "pool" or node.op in ("add", "cat", "output"):
            close()
    close()
    return stacks


__all__ = ["Alternative", "ConvStack", "StackComparison", "compare_stack", "find_stacks",
           "vgg_comparisons"]
