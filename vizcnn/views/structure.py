"""The roles of a model's blocks, read once from the traced edges and modules.

Residual shortcuts (identity, projection or pooled), the channel profile of a block (hourglass
or spindle), SE paths, Inception branches, channel shuffles, Ghost modules, depthwise-then-1×1
pairs and stacks of 3×3 convs are all found here from what the trace recorded — which node
feeds which, op kinds, kernel sizes — never from attribute names. The diagram (its dashed
shortcuts and ★ key-block marks), the Learn tab and the cost breakdown use this one reading.

A model card names its key blocks as (idea, module class); :attr:`Structure.marks` keeps a
mark only where the structure found here carries the idea, so AlexNet's 3×3 convs are not
"large kernels" and an ungrouped conv is not a "grouped conv".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from enum import Enum

from vizcnn.graph import Graph, Node

LEARNED_KINDS = frozenset({"conv", "pointwise_conv", "grouped_conv", "depthwise_conv",
                           "conv_transpose", "linear", "matmul", "norm"})
_CONV_KINDS = frozenset({"conv", "pointwise_conv", "grouped_conv", "depthwise_conv"})
_PASS_THROUGH = frozenset({"norm", "activation", "dropout", "other"})
_GATES = frozenset({"sigmoid", "hardsigmoid", "hard_sigmoid"})
RESIDUAL_IDEAS: tuple[str, ...] = ("residual", "bottleneck", "inverted_residual")


class Shortcut(str, Enum):
    """What a block adds (or concatenates) back onto its main branch."""

    IDENTITY = "identity"       # the block input itself (or a channel split of it)
    PROJECTION = "projection"   # the input through learned layers (strided 1×1 conv + BN)
    POOLED = "pooled"           # the input through pooling only (ShuffleNet's stride-2 unit)
    NONE = "none"               # nothing comes back: the block changes shape without one


class Profile(str, Enum):
    """The shape of the channel counts along a block's main branch."""

    HOURGLASS = "hourglass"     # narrower inside than at the ends (ResNet bottleneck)
    SPINDLE = "spindle"         # wider inside (MobileNetV2 inverted residual)
    FLAT = "flat"               # never wider or narrower than the ends (ResNet basic block)


@dataclass(frozen=True)
class ResidualBlock:
    """One block: its shortcut, as found on the edges, and its main branch's channels."""

    path: str
    module_type: str
    shortcut: Shortcut
    merge: str                           # the add/concat that joins the shortcut ("" if none)
    shortcut_nodes: tuple[str, ...]      # nodes only on the shortcut side (empty: identity)
    identity_source: str                 # the node an identity shortcut comes from
    steps: tuple[tuple[str, int], ...]   # ("in", C_in), then (layer, channels) along the branch
    profile: Profile
    projection: tuple[str, ...] = ()     # the convs of a projection shortcut

    @property
    def in_channels(self) -> int:
        return self.steps[0][1]

    @property
    def out_channels(self) -> int:
        return self.steps[-1][1]


@dataclass(frozen=True)
class Branches:
    """An Inception-style block: parallel branches from one input, concatenated."""

    path: str
    merge: str
    branches: tuple[str, ...]   # child module paths (or node ids), in the concat's order


@dataclass(frozen=True)
class Structure:
    """Everything this module reads off one graph; see :func:`structure`."""

    residual: tuple[ResidualBlock, ...]
    inception: tuple[Branches, ...]
    se: tuple[str, ...]                       # SE module paths (pool → … → gate → multiply)
    shuffles: tuple[str, ...]                 # channel-shuffle node ids
    ghost: tuple[str, ...]                    # Ghost module paths (conv, cheap depthwise, concat)
    separable: tuple[tuple[str, str], ...]    # (depthwise conv, the 1×1 conv it feeds)
    stacks: tuple[tuple[str, ...], ...]       # runs of two or more stride-1 3×3 convs
    marks: dict[str, tuple[str, ...]] = field(default_factory=dict)  # place -> confirmed ideas

    def block(self, path: str) -> ResidualBlock | None:
        return next((b for b in self.residual if b.path == path), None)

    @property
    def ideas(self) -> frozenset[str]:
        """The key-block ideas this structure shows by itself (for a model without a card)."""
        found = {"residual"} if any(b.shortcut is not Shortcut.NONE for b in self.residual) \
            else set()
        found |= {"bottleneck" for b in self.residual
                  if b.shortcut is not Shortcut.NONE and b.profile is Profile.HOURGLASS}
        found |= {"inverted_residual" for b in self.residual if b.profile is Profile.SPINDLE}
        for idea, present in (("inception", self.inception), ("se", self.se),
                              ("depthwise", self.separable), ("channel_shuffle", self.shuffles),
                              ("ghost", self.ghost), ("stacked_3x3", self.stacks)):
            if present:
                found.add(idea)
        return frozenset(found)

    @property
    def shortcut_nodes(self) -> frozenset[str]:
        """Nodes that lie only on a projection or pooled shortcut."""
        return frozenset(n for b in self.residual for n in b.shortcut_nodes)


# ------------------------------------------------------------------------------ the graph


class _Edges:
    """Who feeds whom, in trace order."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.by_id: dict[str, Node] = {n.id: n for n in graph.nodes}
        self.order = {n.id: i for i, n in enumerate(graph.nodes)}
        self.sources: dict[str, list[str]] = defaultdict(list)
        self.consumers: dict[str, list[str]] = defaultdict(list)
        for edge in graph.edges:
            self.sources[edge.dst].append(edge.src)
            self.consumers[edge.src].append(edge.dst)

    def ancestors(self, node_id: str, within: str | None = None) -> set[str]:
        """``node_id`` and everything upstream of it (only inside module ``within``)."""
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            current = stack.pop()
            if current in seen or (within is not None and not _inside(self.by_id[current],
                                                                      within)):
                continue
            seen.add(current)
            stack.extend(self.sources.get(current, ()))
        return seen

    def next_real(self, node_id: str) -> Node | None:
        """The first node after ``node_id`` that is not a norm/activation, along a chain."""
        current = node_id
        while True:
            after = self.consumers.get(current, [])
            if len(after) != 1:
                return None
            node = self.by_id[after[0]]
            if node.kind not in _PASS_THROUGH:
                return node
            current = node.id


def _inside(node: Node, path: str) -> bool:
    return bool(path) and (node.path == path or node.path.startswith(path + "."))


def _kernel(node: Node) -> tuple[int, ...]:
    return tuple(node.attrs.get("kernel_size", ()) or ())


def _is_1x1(node: Node) -> bool:
    return node.kind in ("pointwise_conv", "grouped_conv") and all(k == 1 for k in _kernel(node))


# ------------------------------------------------------------------------------ residual


def _side_kind(nodes: set[str], edges: _Edges) -> Shortcut:
    kinds = {edges.by_id[n].kind for n in nodes}
    if kinds & LEARNED_KINDS:
        return Shortcut.PROJECTION
    if "pool" in kinds:
        return Shortcut.POOLED
    return Shortcut.IDENTITY


def _merge_shortcut(merge: Node, edges: _Edges) -> tuple[Shortcut, str, tuple[str, ...], str
                                                        ] | None:
    """(shortcut, main operand, shortcut-only nodes, identity source) of a two-operand add or
    concat that joins a block's input back onto its branch; None for any other merge."""
    block = merge.path
    operands = edges.sources.get(merge.id, [])
    if len(operands) != 2 or not block:
        return None
    sides = [edges.ancestors(s, block) if _inside(edges.by_id[s], block) else set()
             for s in operands]
    for i in (0, 1):                     # one operand computed from the other
        if operands[i] in sides[1 - i]:
            if edges.by_id[operands[i]].kind != "split":
                return None              # a Ghost module's concat, not a shortcut
            sides[i] = set()             # one half of a channel split: the identity half
    only = [sides[0] - sides[1], sides[1] - sides[0]]
    kinds = [_side_kind(o, edges) for o in only]
    learned = [k is Shortcut.PROJECTION for k in kinds]
    if all(learned):
        if merge.op != "add":
            return None                  # two learned branches concatenated: no shortcut
        main = 0 if len(only[0]) >= len(only[1]) else 1
    elif any(learned):
        main = learned.index(True)
    else:
        return None
    short = 1 - main
    kind = kinds[short]
    nodes = tuple(sorted(only[short], key=edges.order.__getitem__))
    source = operands[short] if kind is Shortcut.IDENTITY else ""
    return kind, operands[main], nodes if kind is not Shortcut.IDENTITY else (), source


def classify(steps: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> Profile:
    """Spindle if an inner step is wider than both ends, hourglass if every inner step is
    narrower than the wider end, flat otherwise."""
    if len(steps) < 3:
        return Profile.FLAT
    ends = max(steps[0][1], steps[-1][1])
    inner = max(c for _, c in steps[1:-1])
    if inner > ends:
        return Profile.SPINDLE
    if inner < ends:
        return Profile.HOURGLASS
    return Profile.FLAT


def _profile(graph: Graph, path: str, edges: _Edges, target: str) -> tuple[tuple[str, int], ...]:
    """Channels along the spine: convs and concats that every path from the block input to
    ``target`` goes through. A conv followed on the spine by a concat is part of that concat
    (a Ghost module's intrinsic half), so the concat's width stands for it."""
    nodes = [n for n in graph.nodes if _inside(n, path)]
    inside = {n.id for n in nodes}
    into: dict[str, int] = {}
    for n in nodes:
        into[n.id] = sum(into.get(s, 0) if s in inside else 1 for s in edges.sources[n.id])
    out_of: dict[str, int] = defaultdict(int)
    out_of[target] = 1
    for n in reversed(nodes):
        if n.id != target:
            out_of[n.id] = sum(out_of[c] for c in edges.consumers[n.id] if c in inside)
    total = into.get(target, 0)
    spine = [n for n in nodes if total and into[n.id] * out_of[n.id] == total
             and n.op in ("conv", "cat") and n.output_shapes]
    kept = [n for i, n in enumerate(spine)
            if not (n.op == "conv" and i + 1 < len(spine) and spine[i + 1].op == "cat")]
    steps = [("in", _channels(graph.modules[path].input_shapes[0]))]
    for n in kept:
        label = n.id[len(path) + 1:] if n.id.startswith(path) else n.id
        steps.append((label or n.id, _channels(n.output_shapes[0])))
    return tuple(steps)


def _channels(shape: tuple[int, ...]) -> int:
    """Dimension 1 (channels) of a batched tensor; the only one of a vector."""
    return shape[1] if len(shape) > 1 else (shape[0] if shape else 0)


def _residual_blocks(graph: Graph, edges: _Edges, also: set[str]) -> list[ResidualBlock]:
    """Blocks with a shortcut merge, plus the modules of classes in ``also`` (a model card's
    residual blocks) that have none — their shortcut is NONE."""
    found: dict[str, ResidualBlock] = {}
    for node in graph.nodes:
        if node.op not in ("add", "cat") or node.path in found:
            continue
        read = _merge_shortcut(node, edges)
        info = graph.modules.get(node.path)
        if read is None or info is None or not info.input_shapes:
            continue
        kind, main, nodes, source = read
        steps = _profile(graph, node.path, edges, main)
        convs = tuple(n for n in nodes if edges.by_id[n].op == "conv")
        found[node.path] = ResidualBlock(node.path, info.type, kind, node.id, nodes, source,
                                         steps, classify(steps), convs)
    for path, info in graph.modules.items():
        if info.type in also and info.calls and path not in found and info.input_shapes:
            last = [n for n in graph.nodes if _inside(n, path)]
            if last:
                steps = _profile(graph, path, edges, last[-1].id)
                found[path] = ResidualBlock(path, info.type, Shortcut.NONE, "", (), "", steps,
                                            classify(steps))
    order = {p: i for i, p in enumerate(graph.modules)}
    return sorted(found.values(), key=lambda b: order[b.path])


# ------------------------------------------------------------------------------ the others


def _branches(graph: Graph, edges: _Edges) -> list[Branches]:
    """Concats of three or more parallel branches, each with learned layers, from one input."""
    found = []
    for node in graph.nodes:
        operands = edges.sources.get(node.id, [])
        block = node.path
        if node.op != "cat" or len(operands) < 3 or not block:
            continue
        sides = [edges.ancestors(s, block) for s in operands]
        disjoint = all(not (a & b) for i, a in enumerate(sides) for b in sides[i + 1:])
        learned = all({edges.by_id[n].kind for n in side} & LEARNED_KINDS for side in sides)
        if not (disjoint and learned):
            continue
        depth = block.count(".") + 1
        names = []
        for s in operands:
            path = edges.by_id[s].path
            parts = path.split(".")
            names.append(".".join(parts[:depth + 1]) if path.startswith(block + ".") else s)
        found.append(Branches(block, node.id, tuple(names)))
    return found


def _se_paths(graph: Graph, edges: _Edges) -> list[str]:
    """Modules holding a squeeze-and-excitation path: x → global pool → … → gate, multiplied
    back onto x (the gate has one value per channel)."""
    found: dict[str, None] = {}
    for node in graph.nodes:
        operands = edges.sources.get(node.id, [])
        if node.op != "mul" or len(operands) != 2 or not node.path:
            continue
        for x, gate in (operands, operands[::-1]):
            up, below = edges.ancestors(gate, node.path), edges.ancestors(x, node.path)
            if gate in below:
                continue                 # x is computed from the gate, not the other way
            chain = up - below
            pooled = any(edges.by_id[n].kind == "pool" and _global(edges.by_id[n])
                         and x in edges.sources.get(n, ()) for n in chain)
            if pooled and {edges.by_id[n].op for n in chain} & _GATES:
                found.setdefault(node.path)
                break
    return list(found)


def _global(node: Node) -> bool:
    shape = node.output_shapes[0] if node.output_shapes else ()
    return len(shape) > 2 and all(d == 1 for d in shape[2:])


def _ghost_paths(graph: Graph, edges: _Edges) -> list[str]:
    """Modules where a conv's output is concatenated with a cheap depthwise conv of itself."""
    found: dict[str, None] = {}
    for node in graph.nodes:
        operands = edges.sources.get(node.id, [])
        if node.op != "cat" or len(operands) != 2:
            continue
        a, b = operands
        for primary, cheap in ((a, b), (b, a)):
            up = edges.ancestors(cheap, node.path)
            own = up - edges.ancestors(primary, node.path)
            if primary in up and edges.by_id[primary].kind in _CONV_KINDS | _PASS_THROUGH \
                    and any(edges.by_id[n].kind == "depthwise_conv" for n in own):
                found.setdefault(node.path)
                break
    return list(found)


def _separable(graph: Graph, edges: _Edges) -> list[tuple[str, str]]:
    """(depthwise conv, the 1×1 conv — pointwise or grouped — that it feeds)."""
    pairs = []
    for node in graph.nodes:
        if node.kind == "depthwise_conv":
            after = edges.next_real(node.id)
            if after is not None and _is_1x1(after):
                pairs.append((node.id, after.id))
    return pairs


def _stacks(graph: Graph) -> list[tuple[str, ...]]:
    """Runs of stride-1, ungrouped 3×3 convs, broken by any other conv, pooling or merge."""
    stacks: list[tuple[str, ...]] = []
    run: list[str] = []
    for node in graph.nodes:
        if node.op == "conv":
            a = node.attrs
            if _kernel(node) == (3, 3) and tuple(a.get("stride", ())) == (1, 1) \
                    and a.get("groups", 1) == 1:
                run.append(node.id)
                continue
        elif node.kind != "pool" and node.op not in ("add", "cat", "output"):
            continue
        if len(run) >= 2:
            stacks.append(tuple(run))
        run = []
    if len(run) >= 2:
        stacks.append(tuple(run))
    return stacks


# ------------------------------------------------------------------------------ marks


def _marks(graph: Graph, s: Structure, edges: _Edges) -> dict[str, tuple[str, ...]]:
    """The card's (idea, class) pairs kept where this structure carries the idea. A place is
    a module path, or the node id of a leaf-module call."""
    stacked = {n for run in s.stacks for n in run}
    blocks = {b.path: b for b in s.residual}
    inception = {b.path for b in s.inception}
    outputs = {e.src for e in graph.edges if edges.by_id[e.dst].op == "output"}
    leaf_calls = {n.id for n in graph.nodes if n.module_type}
    leaf_paths = {n.path for n in graph.nodes if n.module_type}

    def nodes_of(place: str) -> list[Node]:
        if place in leaf_calls:
            return [edges.by_id[place]]
        return [n for n in graph.nodes if _inside(n, place)]

    def within(paths, place: str) -> bool:
        return any(p == place or p.startswith(place + ".") for p in paths)

    def carries(idea: str, place: str) -> bool:
        nodes = nodes_of(place)
        kinds = {n.kind for n in nodes}
        block = blocks.get(place)
        if idea == "residual":
            return block is not None and block.shortcut is not Shortcut.NONE
        if idea == "bottleneck":
            return block is not None and block.profile is Profile.HOURGLASS
        if idea == "inverted_residual":
            return block is not None and block.profile is Profile.SPINDLE
        if idea == "depthwise":
            return "depthwise_conv" in kinds
        if idea == "grouped_conv":
            return "grouped_conv" in kinds
        if idea == "large_kernels":
            return any(n.kind in _CONV_KINDS and max(_kernel(n), default=0) >= 5 for n in nodes)
        if idea == "stacked_3x3":
            return any(n.id in stacked for n in nodes)
        if idea == "se":
            return within(s.se, place)
        if idea == "channel_shuffle":
            return "shuffle" in kinds
        if idea == "ghost":
            return within(s.ghost, place)
        if idea == "inception":
            return place in inception
        if idea == "aux_classifier":
            return any(n.id in outputs for n in nodes)
        return False

    by_class: dict[str, list[str]] = defaultdict(list)
    for idea, cls in graph.key_blocks:
        by_class[cls].append(idea)
    places = {p: m.type for p, m in graph.modules.items()
              if p and m.type in by_class and m.calls and p not in leaf_paths}
    places.update({n.id: n.module_type for n in graph.nodes if n.module_type in by_class})
    marks = {}
    for place, cls in places.items():
        kept = tuple(idea for idea in by_class[cls] if carries(idea, place))
        if kept:
            marks[place] = kept
    return marks


def structure(graph: Graph) -> Structure:
    """Read the block roles of ``graph`` from its edges and modules."""
    edges = _Edges(graph)
    residual_classes = {cls for idea, cls in graph.key_blocks if idea in RESIDUAL_IDEAS}
    found = Structure(
        residual=tuple(_residual_blocks(graph, edges, residual_classes)),
        inception=tuple(_branches(graph, edges)),
        se=tuple(_se_paths(graph, edges)),
        shuffles=tuple(n.id for n in graph.nodes if n.kind == "shuffle"),
        ghost=tuple(_ghost_paths(graph, edges)),
        separable=tuple(_separable(graph, edges)),
        stacks=tuple(_stacks(graph)),
    )
    return replace(found, marks=_marks(graph, found, edges))


__all__ = ["Branches", "LEARNED_KINDS", "Profile", "RESIDUAL_IDEAS", "ResidualBlock",
           "Shortcut", "Structure", "classify", "structure"]
