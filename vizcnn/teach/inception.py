"""Inception blocks: what each branch contributes, and what the 1×1 reductions save.

For every Inception block of a trace: the branches' output channels and their share of the
block's MACs (read from the trace), and the cost of the same block without the 1×1
reductions — the 3×3 and 5×5 convolutions applied directly to the block input — measured by
rebuilding both versions from the traced layer attributes and tracing them on meta.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vizcnn.api import trace
from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node

INCEPTION_TYPES: tuple[str, ...] = ("Inception",)


@dataclass(frozen=True)
class Branch:
    """One parallel branch of an Inception block."""

    path: str
    layers: str              # e.g. "1×1 → 3×3" or "max pool 3×3 → 1×1"
    out_channels: int
    macs: int
    params: int
    share: float             # of the block's MACs


@dataclass(frozen=True)
class InceptionBlock:
    """One Inception block: its branches and the saving of its 1×1 reductions."""

    path: str
    in_channels: int
    out_channels: int
    size: tuple[int, ...]
    branches: tuple[Branch, ...]
    macs: int                       # the whole block, from the trace
    macs_rebuilt: int               # the block rebuilt from its traced attributes (== macs)
    conv_params: int                # conv weights (+ biases) of the block, rebuilt and traced
    macs_without: int               # the block with every 1×1 reduction removed
    conv_params_without: int
    reductions: tuple[str, ...]     # node ids of the reduction convs

    @property
    def macs_factor(self) -> float:
        """How many times more MACs the block would need without its reductions."""
        return self.macs_without / self.macs

    @property
    def params_factor(self) -> float:
        return self.conv_params_without / self.conv_params


def _block_types(graph: Graph) -> set[str]:
    types = {cls for idea, cls in graph.key_blocks if idea == "inception"}
    return types or set(INCEPTION_TYPES)


def inception_paths(graph: Graph) -> list[str]:
    """Module paths of the Inception blocks that ran in ``graph``, in execution order."""
    types = _block_types(graph)
    return [p for p, m in graph.modules.items() if m.type in types and m.calls > 0]


def _nodes_in(graph: Graph, path: str) -> list[Node]:
    return [n for n in graph.nodes if path in n.scope or n.path == path]


def _branch_paths(graph: Graph, block: str, nodes: list[Node]) -> list[str]:
    """Direct children of ``block`` that hold nodes, in the order they first ran."""
    depth = block.count(".") + 1
    seen: dict[str, None] = {}
    for node in nodes:
        for scope in (*node.scope, node.path):
            if scope.startswith(block + ".") and scope.count(".") == depth:
                seen.setdefault(scope)
                break
    return list(seen)


def _describe(nodes: list[Node]) -> str:
    parts = []
    for node in nodes:
        k = "×".join(str(v) for v in node.attrs.get("kernel_size", ()))
        if node.op == "conv":
            parts.append(k)
        elif node.op in ("max_pool", "avg_pool"):
            parts.append(f"{node.op.replace('_', ' ')} {k}")
    return " → ".join(parts)


def _is_reduction(chain: list[Node], i: int) -> bool:
    """A 1×1, stride-1 conv whose output feeds a larger conv of the same branch."""
    node = chain[i]
    if node.op != "conv" or any(k != 1 for k in node.attrs["kernel_size"]) \
            or any(s != 1 for s in node.attrs["stride"]):
        return False
    later = [n for n in chain[i + 1:] if n.op == "conv"]
    return bool(later) and any(k > 1 for k in later[0].attrs["kernel_size"])


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


def _rebuild(chains: list[list[Node]], in_channels: int, drop_reductions: bool
             ) -> _Parallel:
    branches = []
    for chain in chains:
        layers: list[nn.Module] = []
        channels = in_channels
        for i, node in enumerate(chain):
            if drop_reductions and _is_reduction(chain, i):
                continue
            layers.append(_layer(node, channels))
            if node.op == "conv":
                channels = node.attrs["out_channels"]
        branches.append(nn.Sequential(*layers))
    return _Parallel(branches)


def inception_block(graph: Graph, path: str) -> InceptionBlock:
    """Branch shares and the reduction saving of the Inception block at ``path``."""
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced module {path!r} in {graph.model}")
    nodes = _nodes_in(graph, path)
    block_macs = sum(n.macs for n in nodes)
    x = info.input_shapes[0]
    branches, chains = [], []
    for bpath in _branch_paths(graph, path, nodes):
        bnodes = [n for n in nodes if bpath in n.scope or n.path == bpath]
        chain = [n for n in bnodes if n.op in ("conv", "max_pool", "avg_pool")]
        chains.append(chain)
        out = graph.modules[bpath].output_shapes[0][1]
        macs = sum(n.macs for n in bnodes)
        branches.append(Branch(bpath, _describe(chain), out, macs,
                               sum(n.params for n in bnodes),
                               macs / block_macs if block_macs else 0.0))
    if not chains:
        raise VizcnnError(f"{path} has no branches to analyse")
    reductions = tuple(c[i].id for c in chains for i in range(len(c)) if _is_reduction(c, i))
    with torch.device("meta"):
        with_red = _rebuild(chains, x[1], drop_reductions=False)
        without = _rebuild(chains, x[1], drop_reductions=True)
    t_with, t_without = trace(with_red, x), trace(without, x)
    return InceptionBlock(
        path, x[1], info.output_shapes[0][1], tuple(x[2:]), tuple(branches), block_macs,
        t_with.macs, t_with.params, t_without.macs, t_without.params, reductions)


def inception_blocks(graph: Graph) -> list[InceptionBlock]:
    """:func:`inception_block` for every Inception block of ``graph``."""
    return [inception_block(graph, p) for p in inception_paths(graph)]


__all__ = ["Branch", "INCEPTION_TYPES", "InceptionBlock", "inception_block",
           "inception_blocks", "inception_paths"]
