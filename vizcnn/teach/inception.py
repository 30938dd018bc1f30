"""Inception blocks: what each branch contributes, and what the 1×1 reductions save.

For every Inception block of a trace: the branches' output channels and their share of the
block's MACs (read from the trace), and the cost of the same block without the 1×1
reductions — the 3×3 and 5×5 convolutions applied directly to the block input — measured on
both versions rebuilt from the traced layer attributes and traced by
:func:`vizcnn.experiments.lessons.branches_variant`, which are handed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.views.structure import structure
from vizcnn.words import fmt_shape


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


def inception_paths(graph: Graph) -> list[str]:
    """Module paths of the Inception blocks (three or more parallel branches concatenated)
    found in ``graph``, in execution order."""
    return [b.path for b in structure(graph).inception]


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
        k = fmt_shape(node.attrs.get("kernel_size", ()))
        if node.op == "conv":
            parts.append(k)
        elif node.op in ("max_pool", "avg_pool"):
            parts.append(f"{node.op.replace('_', ' ')} {k}")
    return " → ".join(parts)


def is_reduction(chain: list[Node], i: int) -> bool:
    """A 1×1, stride-1 conv whose output feeds a larger conv of the same branch."""
    node = chain[i]
    if node.op != "conv" or any(k != 1 for k in node.attrs["kernel_size"]) \
            or any(s != 1 for s in node.attrs["stride"]):
        return False
    later = [n for n in chain[i + 1:] if n.op == "conv"]
    return bool(later) and any(k > 1 for k in later[0].attrs["kernel_size"])


def branch_chains(graph: Graph, path: str) -> list[list[Node]]:
    """The conv and pooling nodes of each branch of the block at ``path``, in order."""
    nodes = _nodes_in(graph, path)
    chains = [[n for n in nodes if (bpath in n.scope or n.path == bpath)
               and n.op in ("conv", "max_pool", "avg_pool")]
              for bpath in _branch_paths(graph, path, nodes)]
    if not chains:
        raise VizcnnError(f"{path} has no branches to analyse")
    return chains


def reductions(chains: list[list[Node]]) -> frozenset[str]:
    """Node ids of the 1×1 reduction convs of the branches."""
    return frozenset(c[i].id for c in chains for i in range(len(c)) if is_reduction(c, i))


def inception_block(graph: Graph, path: str, rebuilt: Graph, without: Graph
                    ) -> InceptionBlock:
    """Branch shares and the reduction saving of the Inception block at ``path``: ``rebuilt``
    is the block rebuilt from :func:`branch_chains` and traced, ``without`` the same without
    its :func:`reductions`."""
    info = graph.modules.get(path)
    if info is None or not info.input_shapes:
        raise VizcnnError(f"no traced module {path!r} in {graph.model}")
    nodes = _nodes_in(graph, path)
    block_macs = sum(n.macs for n in nodes)
    x = info.input_shapes[0]
    chains = branch_chains(graph, path)
    branches = []
    for bpath, chain in zip(_branch_paths(graph, path, nodes), chains):
        bnodes = [n for n in nodes if bpath in n.scope or n.path == bpath]
        macs = sum(n.macs for n in bnodes)
        branches.append(Branch(bpath, _describe(chain), graph.modules[bpath].output_shapes[0][1],
                               macs, sum(n.params for n in bnodes),
                               macs / block_macs if block_macs else 0.0))
    order = [n.id for c in chains for n in c]
    return InceptionBlock(
        path, x[1], info.output_shapes[0][1], tuple(x[2:]), tuple(branches), block_macs,
        rebuilt.macs, rebuilt.params, without.macs, without.params,
        tuple(sorted(reductions(chains), key=order.index)))


__all__ = ["Branch", "InceptionBlock", "branch_chains", "inception_block", "inception_paths",
           "is_reduction", "reductions"]
