"""Collapse / expand / fold of a traced graph into diagram boxes (vizcnn.views.collapse)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.views.collapse import (
    BoxKind, CollapsedGraph, collapse, depth_and_expand, open_modules,
)

SIZE = (1, 3, 224, 224)


@pytest.fixture(scope="module")
def resnet50() -> vizcnn.Trace:
    return vizcnn.trace("resnet50", SIZE)


@pytest.fixture(scope="module")
def googlenet() -> vizcnn.Trace:
    return vizcnn.trace("googlenet", SIZE)


def _arrows(cg: CollapsedGraph) -> set[tuple[str, str]]:
    return {(a.src, a.dst) for a in cg.arrows}


def _check_invariants(trace: vizcnn.Trace, cg: CollapsedGraph) -> None:
    """Every node is shown by exactly one box, costs add up, arrows join visible boxes."""
    members = [m for box in cg.boxes for m in box.members]
    assert sorted(members) == sorted(n.id for n in trace.nodes)
    assert set(cg.box_of) == {n.id for n in trace.nodes}
    assert sum(box.macs for box in cg.boxes) == trace.macs
    assert sum(box.flops for box in cg.boxes) == trace.flops
    ids = {box.id for box in cg.boxes}
    assert len(ids) == len(cg.boxes)
    for arrow in cg.arrows:
        assert arrow.src in ids and arrow.dst in ids and arrow.src != arrow.dst
        assert arrow.shapes and arrow.count >= 1
    for box in cg.boxes:
        assert box.cluster is None or box.cluster in cg.clusters
    # every tensor edge between different boxes is carried by an arrow
    expected = {(cg.box_of[e.src], cg.box_of[e.dst]) for e in trace.edges}
    assert _arrows(cg) == {pair for pair in expected if pair[0] != pair[1]}


def test_resnet50_depth1_has_one_box_per_stage(resnet50):
    cg = collapse(resnet50, depth=1)
    _check_invariants(resnet50, cg)
    blocks = [b.id for b in cg.boxes if b.kind is BoxKind.BLOCK]
    assert blocks == ["layer1", "layer2", "layer3", "layer4"]
    assert not cg.clusters
    assert ("maxpool", "layer1") in _arrows(cg)
    assert ("layer3", "layer4") in _arrows(cg)
    layer3 = cg.box("layer3")
    assert layer3.type == "Sequential"
    assert layer3.output_shapes == ((1, 1024, 14, 14),)
    assert layer3.params == resnet50.modules["layer3"].params
    stem = [b.id for b in cg.boxes if b.kind is BoxKind.NODE]
    assert stem == ["input", "conv1", "bn1", "relu", "maxpool", "avgpool", "/flatten", "fc",
                    "output"]


def test_resnet50_depth2_folds_identical_blocks(resnet50):
    cg = collapse(resnet50, depth=2)
    _check_invariants(resnet50, cg)
    assert list(cg.clusters) == ["layer1", "layer2", "layer3", "layer4"]
    layer3 = [b for b in cg.boxes if b.cluster == "layer3"]
    assert [b.id for b in layer3] == ["layer3.0", "layer3.1..layer3.5"]
    first, fold = layer3
    assert first.kind is BoxKind.BLOCK and first.type == "Bottleneck"
    assert fold.kind is BoxKind.FOLD and fold.repeat == 5 and fold.name == "layer3.1–5"
    assert fold.modules == tuple(f"layer3.{i}" for i in range(1, 6))
    assert fold.params == sum(resnet50.modules[f"layer3.{i}"].params for i in range(1, 6))
    assert all(resnet50.node(m).scope[1] in fold.modules for m in fold.members)
    assert {("layer3.0", fold.id), (fold.id, "layer4.0")} <= _arrows(cg)
    # the first block of each stage changes shape and stays separate
    assert [b.repeat for b in cg.boxes if b.kind is BoxKind.FOLD] == [2, 3, 5, 2]


def test_fold_can_be_turned_off(resnet50):
    cg = collapse(resnet50, depth=2, fold_repeats=False)
    _check_invariants(resnet50, cg)
    assert [b.id for b in cg.boxes if b.cluster == "layer3"] == [
        f"layer3.{i}" for i in range(6)]
    assert all(b.kind is not BoxKind.FOLD for b in cg.boxes)


def test_expand_opens_a_block_and_its_ancestors(resnet50):
    cg = collapse(resnet50, depth=1, expand=["layer2.1"])
    _check_invariants(resnet50, cg)
    assert set(cg.clusters) == {"layer2", "layer2.1"}
    assert cg.clusters["layer2.1"].parent == "layer2"
    inside = [b.id for b in cg.boxes if b.cluster == "layer2.1"]
    assert inside[0] == "layer2.1.conv1" and "layer2.1/add" in inside
    # the open block breaks the run: layer2.2 and layer2.3 still fold, layer2.0 stays
    siblings = [b.id for b in cg.boxes if b.cluster == "layer2"]
    assert siblings == ["layer2.0", "layer2.2..layer2.3"]
    assert ("layer2.0", "layer2.1.conv1") in _arrows(cg)
    assert ("layer2.0", "layer2.1/add") in _arrows(cg)   # the identity shortcut
    assert cg.box("layer1").kind is BoxKind.BLOCK


def test_expand_opens_one_level(googlenet):
    """Opening a block (a click in the viewer) shows its children as boxes, not every layer."""
    cg = collapse(googlenet, depth=1, expand=["inception3a"])
    _check_invariants(googlenet, cg)
    assert {p for p in cg.clusters if p.startswith("inception3a")} == {"inception3a"}
    assert [b.id for b in cg.boxes if b.cluster == "inception3a"] == [
        "inception3a.branch1", "inception3a.branch2", "inception3a.branch3",
        "inception3a.branch4", "inception3a/cat"]
    assert cg.box("inception3a.branch2").kind is BoxKind.BLOCK
    # a second click opens the next level
    deeper = collapse(googlenet, depth=1, expand=["inception3a.branch2"])
    assert {"inception3a", "inception3a.branch2"} <= set(deeper.clusters)
    assert deeper.box("inception3a.branch2.0").kind is BoxKind.BLOCK
    assert open_modules(googlenet, 1, ["inception3a.branch2"]) == [
        "inception3a", "inception3a.branch2"]


def test_expand_all_opens_everything_inside(googlenet):
    cg = collapse(googlenet, depth=1, expand_all=["inception3a"])
    _check_invariants(googlenet, cg)
    assert {p for p in cg.clusters if p.startswith("inception3a")} == {
        "inception3a", "inception3a.branch1", "inception3a.branch2", "inception3a.branch2.0",
        "inception3a.branch2.1", "inception3a.branch3", "inception3a.branch3.0",
        "inception3a.branch3.1", "inception3a.branch4", "inception3a.branch4.1"}
    assert cg.box("inception3a/cat").cluster == "inception3a"
    assert cg.box("inception3b").kind is BoxKind.BLOCK
    into_cat = {a.src for a in cg.arrows if a.dst == "inception3a/cat"}
    assert into_cat == {"inception3a.branch1.relu", "inception3a.branch2.1.relu",
                        "inception3a.branch3.1.relu", "inception3a.branch4.1.relu"}


def test_full_depth_shows_every_node(resnet50):
    cg = collapse(resnet50, depth=None)
    _check_invariants(resnet50, cg)
    assert len(cg.boxes) == len(resnet50.nodes)
    assert all(b.kind is BoxKind.NODE for b in cg.boxes)
    assert "layer1.0.downsample" in cg.clusters
    assert cg.clusters["layer1.0.downsample"].parent == "layer1.0"


class _Block(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x))


class _Tap(nn.Module):
    """Four identical chained blocks; the output of the second is also read at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(_Block(8) for _ in range(4))
        self.head = nn.Conv2d(8, 8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        taps = []
        for block in self.blocks:
            x = block(x)
            taps.append(x)
        return self.head(x) + taps[1]


class _Parallel(nn.Module):
    """Two identical blocks side by side on the same input: not a repeat, never folded."""

    def __init__(self) -> None:
        super().__init__()
        self.left, self.right = _Block(8), _Block(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.left(x) + self.right(x)


def test_fold_keeps_edges_that_leave_the_run():
    trace = vizcnn.trace(_Tap(), (1, 8, 16, 16))
    cg = collapse(trace, depth=1)
    _check_invariants(trace, cg)
    fold = cg.box("blocks.0..blocks.3")
    assert fold.repeat == 4
    assert (fold.id, "head") in _arrows(cg)
    assert (fold.id, "/add") in _arrows(cg)    # the tap from blocks.1 survives the fold
    assert [b.id for b in collapse(trace, depth=1, fold_repeats=False).boxes
            if b.kind is BoxKind.BLOCK] == [f"blocks.{i}" for i in range(4)]


def test_parallel_identical_blocks_do_not_fold():
    trace = vizcnn.trace(_Parallel(), (1, 8, 16, 16))
    cg = collapse(trace, depth=1)
    _check_invariants(trace, cg)
    assert [b.id for b in cg.boxes if b.kind is BoxKind.BLOCK] == ["left", "right"]


def test_every_zoo_model_collapses_consistently():
    for name in vizcnn.list_models():
        trace = vizcnn.trace(name, SIZE)
        for depth in (1, 2):
            _check_invariants(trace, collapse(trace, depth=depth))


def test_bad_options_raise_vizcnn_error(resnet50):
    with pytest.raises(vizcnn.VizcnnError, match="depth"):
        collapse(resnet50, depth=-1)
    with pytest.raises(vizcnn.VizcnnError, match="layer9"):
        collapse(resnet50, depth=1, expand=["layer9"])
    # expanding a leaf module is harmless: it is already a single box
    assert collapse(resnet50, depth=1, expand=["conv1"]).box("conv1").kind is BoxKind.NODE


def test_the_chinese_drawing_collapses_the_same_way(googlenet):
    """The language is a word choice of the drawing: boxes, names and arrows do not change."""
    from vizcnn.render.dot import GraphOptions, collapsed

    for depth, expand in ((1, ("inception3a",)), (2, ()), (None, ())):
        en = collapsed(googlenet, GraphOptions(depth=depth, expand=expand))
        zh = collapsed(googlenet, GraphOptions(depth=depth, expand=expand, lang="zh"))
        assert [(b.id, b.name, b.type, b.macs) for b in en.boxes] == [
            (b.id, b.name, b.type, b.macs) for b in zh.boxes]
        assert _arrows(en) == _arrows(zh) and list(en.clusters) == list(zh.clusters)


def test_depth_and_expand_give_back_any_open_set(googlenet, resnet50):
    """What the viewer's clicks leave open is written back as depth + open blocks, and
    open_modules turns those into the same open set."""
    for trace in (googlenet, resnet50):
        every = open_modules(trace, None)
        for opened in (open_modules(trace, 2), open_modules(trace, 2, [every[-1]]),
                       every, [], open_modules(trace, 2)[1:], every[:3]):
            opened = [p for p in every if p in opened and all(
                a in opened for a in every if p.startswith(a + "."))]
            for depth in (1, 2, None):
                d, expand = depth_and_expand(trace, opened, depth)
                assert open_modules(trace, d, expand) == opened
    assert depth_and_expand(resnet50, open_modules(resnet50, 2, ["layer3.2"]), 2) == (
        2, ["layer3.2"])
