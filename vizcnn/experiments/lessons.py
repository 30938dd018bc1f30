"""The small models the Learn tab's lessons set beside a traced model, built and traced.

Every variant is derived from the trace a lesson is given — its nodes' attributes and shapes,
and :attr:`vizcnn.Trace.spec` for the model itself — never from widget state: the standard
conv a depthwise pair replaces, an Inception block without its 1×1 reductions, the plain conv
a Ghost module replaces, the model with and without SE, the channel-shuffle groups, and the
zoo models a lesson shows for contrast. Each function returns traces (or plain numbers read
from a rebuilt model); the lessons in :mod:`vizcnn.teach` are pure functions of them, and
this is the only part of Learn that builds or traces.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Sequence

import torch
from torch import nn

from vizcnn.api import Trace, build_spec, trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.spec import ModelSource, TraceSpec
from vizcnn.zoo import model_card
from vizcnn.zoo.ghostnet import GhostModule
from vizcnn.zoo.layers import ChannelShuffle

# Zoo models whose blocks a lesson may show for contrast, by the profile they stand for:
# MobileNetV2's inverted residual (a spindle), ResNet-50's bottleneck (an hourglass).
CONTRAST_MODELS: dict[str, str] = {"spindle": "mobilenet_v2", "hourglass": "resnet50"}


class SEVariant(str, Enum):
    """How the model without (or with) SE was made."""

    OPTION = "option"     # the zoo's se option switched on
    REMOVED = "removed"   # the traced SE modules replaced by identities


def _on_meta(make) -> nn.Module:
    with torch.device("meta"):
        return make()


def _rebuildable(graph: Graph, why: str) -> TraceSpec:
    spec = graph.spec
    if spec is None or not spec.model.rebuildable:
        raise VizcnnError(f"{graph.model} was traced from a live module: {why} needs a model "
                          "that can be built again (a zoo name or a factory)")
    return spec


# ------------------------------------------------------------------------------ VGG


def stack_variants(channels: int, size: int, n: int, bias: bool = False
                   ) -> tuple[Trace, Trace]:
    """``n`` stacked 3×3 convs (C→C, padding 1, ReLU after each) and one (2n+1)×(2n+1) conv
    (padding n, one ReLU), both traced on a 1×C×size×size input."""
    if channels < 1 or size < 1 or n < 1:
        raise VizcnnError(f"channels, size and n must be positive, got {channels}, {size}, {n}")
    big = 2 * n + 1
    if size + 2 * n < big:
        raise VizcnnError(f"a {size}×{size} input is too small for a {big}×{big} kernel")
    stacked = _on_meta(lambda: nn.Sequential(*(m for _ in range(n) for m in (
        nn.Conv2d(channels, channels, 3, padding=1, bias=bias), nn.ReLU()))))
    single = _on_meta(lambda: nn.Sequential(
        nn.Conv2d(channels, channels, big, padding=n, bias=bias), nn.ReLU()))
    shape = (1, channels, size, size)
    return trace(stacked, shape), trace(single, shape)


# ------------------------------------------------------------------------------ Inception


class _Parallel(nn.Module):
    """Branches side by side, concatenated on channels: the skeleton of an Inception block."""

    def __init__(self, branches: list[nn.Sequential]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


def _layer(node: Node, in_channels: int) -> nn.Module:
    a = node.attrs
    if node.op == "conv":
        return nn.Conv2d(in_channels, a["out_channels"], a["kernel_size"], a["stride"],
                         a["padding"], a["dilation"], a["groups"], a["bias"])
    pool = nn.MaxPool2d if node.op == "max_pool" else nn.AvgPool2d
    return pool(a["kernel_size"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"])


def branches_variant(chains: Sequence[Sequence[Node]], input_shape: tuple[int, ...],
                     skip: frozenset[str] = frozenset()) -> Trace:
    """Parallel branches rebuilt from traced conv and pooling nodes (``chains``, one per
    branch), leaving out the nodes in ``skip``, concatenated and traced on ``input_shape``."""
    def make() -> _Parallel:
        branches = []
        for chain in chains:
            layers: list[nn.Module] = []
            channels = input_shape[1]
            for node in chain:
                if node.id in skip:
                    continue
                layers.append(_layer(node, channels))
                if node.op == "conv":
                    channels = node.attrs["out_channels"]
            branches.append(nn.Sequential(*layers))
        return _Parallel(branches)
    return trace(_on_meta(make), tuple(input_shape))


# ------------------------------------------------------------------------------ depthwise


def standard_conv(dw: Node, pw: Node) -> Trace:
    """The standard conv a depthwise conv ``dw`` and the 1×1 conv ``pw`` after it replace: the
    depthwise conv's kernel, stride and padding, ``pw``'s output channels, no bias, traced on
    the depthwise conv's input."""
    a = dw.attrs
    if len(a.get("kernel_size", ())) != 2:
        raise VizcnnError(f"{dw.id} is not a 2-d convolution", path=dw.path, op=dw.op)
    conv = _on_meta(lambda: nn.Conv2d(a["in_channels"], pw.attrs["out_channels"],
                                      a["kernel_size"], a["stride"], a["padding"],
                                      a["dilation"], bias=False))
    return trace(conv, dw.input_shapes[0])


def separable_pair(in_channels: int, out_channels: int, kernel: int = 3, size: int = 56,
                   stride: int = 1) -> Trace:
    """A same-padded k×k depthwise conv and a 1×1 conv, traced on a 1×M×size×size input."""
    if min(in_channels, out_channels, kernel, size, stride) < 1:
        raise VizcnnError("channels, kernel, size and stride must be positive")
    pad = (kernel - 1) // 2
    pair = _on_meta(lambda: nn.Sequential(
        nn.Conv2d(in_channels, in_channels, kernel, stride, pad, groups=in_channels,
                  bias=False),
        nn.Conv2d(in_channels, out_channels, 1, bias=False)))
    return trace(pair, (1, in_channels, size, size))


@lru_cache(maxsize=16)
def _zoo_trace(name: str, size: tuple[int, ...]) -> Trace:
    return trace(name, size)


def contrast_traces(graph: Graph) -> dict[str, Trace]:
    """The :data:`CONTRAST_MODELS` other than the traced model itself, by profile, each traced
    at its paper's input size in eval mode (a block's channel profile does not depend on the
    input size, and the traced model's input may not fit the other model)."""
    found = {}
    for profile, name in CONTRAST_MODELS.items():
        if name != graph.model:
            card = model_card(name)
            found[profile] = _zoo_trace(name, (1, card.in_channels, card.input_size,
                                               card.input_size))
    return found


# ------------------------------------------------------------------------------ Ghost


def plain_conv(primary: Node, out_channels: int, input_shape: tuple[int, ...]) -> Trace:
    """The plain conv a Ghost module replaces: its primary conv's kernel, stride, padding and
    bias, producing all ``out_channels`` maps, traced on the module's input."""
    a = primary.attrs
    conv = _on_meta(lambda: nn.Conv2d(a["in_channels"], out_channels, a["kernel_size"],
                                      a["stride"], a["padding"], bias=a["bias"]))
    return trace(conv, tuple(input_shape))


def ghost_module(in_channels: int, out_channels: int, ratio: int, kernel: int = 1,
                 dw_size: int = 3, size: int = 56) -> Trace:
    """A zoo :class:`GhostModule` with these numbers (as module ``0``), traced."""
    if min(in_channels, out_channels, ratio, kernel, dw_size, size) < 1:
        raise VizcnnError("channels, ratio, kernel, dw_size and size must be positive")
    if ratio < 2:
        raise VizcnnError(f"a Ghost module needs a ratio s ≥ 2, got {ratio}")
    module = _on_meta(lambda: nn.Sequential(GhostModule(in_channels, out_channels, kernel,
                                                        ratio, dw_size)))
    return trace(module, (1, in_channels, size, size))


# ------------------------------------------------------------------------------ SE


def _replace(model: nn.Module, paths: Sequence[str]) -> None:
    for name in paths:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, nn.Identity())


def se_variant(graph: Trace, se_paths: Sequence[str]) -> tuple[Trace, Trace, SEVariant]:
    """(with SE, without SE, how) for the traced model, rebuilt from its spec at its input
    and mode. A model whose trace has SE modules (``se_paths``, found on its edges) is built
    again with each of them replaced by an identity — SE keeps the shape, so everything
    else, the stride layout too, stays; a zoo model without SE but with an ``se`` option
    (ResNet) is built again with ``se=True``. One of the two is ``graph`` itself."""
    spec = _rebuildable(graph, "the cost of SE")
    shape, training = spec.input_shape, spec.training
    if se_paths:
        plain = build_spec(spec.model)
        _replace(plain, se_paths)
        return graph, trace(plain, shape, training=training), SEVariant.REMOVED
    if spec.model.source is ModelSource.ZOO and any(
            o.name == "se" for o in model_card(spec.model.name).options):
        with_se = build_spec(spec.model.with_options(se=True))
        return trace(with_se, shape, training=training), graph, SEVariant.OPTION
    raise VizcnnError(f"{graph.model} has no SE blocks and no se option")


# ------------------------------------------------------------------------------ shuffle


def shuffle_permutation(channels: int, groups: int) -> list[int]:
    """Run the zoo's ``ChannelShuffle(groups)`` on a 1×C×1×1 tensor holding 0…C−1 (on the
    CPU: one number per channel) and read it back."""
    if channels < 1 or groups < 1:
        raise VizcnnError(f"channels and groups must be positive, got {channels}, {groups}")
    if channels % groups:
        raise VizcnnError(f"{channels} channels cannot be split into {groups} equal groups")
    x = torch.arange(channels, dtype=torch.float32, device="cpu").view(1, channels, 1, 1)
    with torch.no_grad():
        y = ChannelShuffle(groups)(x)
    return [int(v) for v in y.flatten().tolist()]


def shuffle_groups(graph: Trace) -> list[int]:
    """``groups`` of each channel shuffle of the traced model, in module order. The trace
    records a shuffle's shapes but not its group count, so the model is built again from
    the trace's spec (a zoo model on meta) and its ChannelShuffle modules are read."""
    spec = _rebuildable(graph, "reading the shuffle groups")
    return [m.groups for m in build_spec(spec.model).modules() if isinstance(m, ChannelShuffle)]


__all__ = ["CONTRAST_MODELS", "SEVariant", "branches_variant", "contrast_traces",
           "ghost_module", "plain_conv", "se_variant", "separable_pair", "shuffle_groups",
           "shuffle_permutation", "stack_variants", "standard_conv"]
