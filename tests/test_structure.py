"""Block roles read from the traced edges (vizcnn.views.structure), and key-block marks that
follow the structure actually found rather than a class name."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.views.structure import Profile, Shortcut, structure

SIZE = (1, 3, 224, 224)


@pytest.fixture(scope="module")
def traced():
    cache: dict[str, vizcnn.Trace] = {}

    def get(name: str, size=SIZE, **options) -> vizcnn.Trace:
        key = f"{name}{sorted(options.items())}{size}"
        if key not in cache:
            cache[key] = vizcnn.trace(name, size, **options)
        return cache[key]
    return get


def _marks(dot: str) -> dict[str, str]:
    """node id -> its ★ line, for every marked node of a DOT text."""
    found = {}
    for line in dot.splitlines():
        m = re.match(r'\s*"([^"]+)" \[label=<.*★ ([^<]*)</b>', line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def test_alexnet_marks_only_its_large_kernels(traced):
    """The defect: every Conv2d got "★ large kernels", 3×3 ones too."""
    t = traced("alexnet")
    big = {n.id for n in t.nodes if n.op == "conv" and max(n.attrs["kernel_size"]) >= 5}
    assert big == {"features.0", "features.3"}
    assert structure(t).marks == {p: ("large_kernels",) for p in big}
    marks = _marks(to_dot(t, GraphOptions(depth=None)))
    assert set(marks) == big and set(marks.values()) == {"large kernels"}


def test_alexnet_original_marks_grouped_convs_only_where_groups_are(traced):
    """The defect: the ungrouped 3×3 conv3 got "★ grouped conv"."""
    t = traced("alexnet_original", (1, 3, 227, 227))
    grouped = {n.id for n in t.nodes if n.op == "conv" and n.attrs["groups"] > 1}
    ungrouped = {n.id for n in t.nodes if n.op == "conv"} - grouped
    marks = structure(t).marks
    assert {p for p, ideas in marks.items() if "grouped_conv" in ideas} == grouped
    assert not any(p in marks for p in ungrouped if max(t.node(p).attrs["kernel_size"]) < 5)
    drawn = _marks(to_dot(t, GraphOptions(depth=None)))
    for node in ungrouped:
        assert "grouped conv" not in drawn.get(node, "")


def test_mobilenet_v2_marks_follow_each_block(traced):
    """A stride-2 inverted residual has no shortcut; the t=1 block is no spindle."""
    s = structure(traced("mobilenet_v2"))
    first = s.block("features.1")
    assert first.shortcut is Shortcut.NONE and first.profile is Profile.FLAT
    assert s.marks["features.1"] == ("depthwise",)
    assert s.block("features.2").shortcut is Shortcut.NONE          # stride 2
    assert s.marks["features.2"] == ("inverted_residual", "depthwise")
    assert s.block("features.3").shortcut is Shortcut.IDENTITY
    assert s.marks["features.3"] == ("inverted_residual", "residual", "depthwise")


def test_shufflenet_v1_shortcuts_and_pairs(traced):
    s = structure(traced("shufflenet_v1", groups=8))
    kinds = {b.path: b.shortcut for b in s.residual}
    assert kinds["features.stage2.0"] is Shortcut.POOLED              # avg pool, concatenated
    assert s.block("features.stage2.0").shortcut_nodes == ("features.stage2.0.shortcut",)
    assert kinds["features.stage2.1"] is Shortcut.IDENTITY
    assert sum(k is Shortcut.POOLED for k in kinds.values()) == 3     # one per stage
    assert ("features.stage2.0.dwconv", "features.stage2.0.gconv2") in s.separable
    assert len(s.shuffles) == 16


def test_resnet_projection_is_found_on_the_edges_not_by_name(traced):
    s = structure(traced("resnet50"))
    b = s.block("layer1.0")
    assert b.shortcut is Shortcut.PROJECTION and b.profile is Profile.HOURGLASS
    assert b.shortcut_nodes == ("layer1.0.downsample.0", "layer1.0.downsample.1")
    assert b.steps == (("in", 64), ("conv1", 64), ("conv2", 64), ("conv3", 256))
    assert s.block("layer1.1").shortcut is Shortcut.IDENTITY
    assert s.block("layer1.1").identity_source == "layer1.0.relu#2"


class _Renamed(nn.Module):
    """A residual block whose projection is called ``side``: still a shortcut."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1))
        self.side = nn.Conv2d(8, 16, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.side(x)


class _NamedDownsample(nn.Module):
    """A ``downsample`` on the main path: no shortcut at all."""

    def __init__(self) -> None:
        super().__init__()
        self.downsample = nn.Conv2d(8, 8, 3, 2, 1)
        self.conv = nn.Conv2d(8, 8, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.downsample(x))


def test_user_models_shortcuts_by_edges() -> None:
    t = vizcnn.trace(nn.Sequential(_Renamed()), (1, 8, 16, 16))
    b = structure(t).block("0")
    assert b.shortcut is Shortcut.PROJECTION and b.shortcut_nodes == ("0.side",)
    dot = to_dot(t, GraphOptions(depth=None))
    side = next(line for line in dot.splitlines() if line.strip().startswith('"0.side" ->'))
    assert "dashed" in side
    plain = vizcnn.trace(nn.Sequential(_NamedDownsample()), (1, 8, 16, 16))
    assert structure(plain).residual == ()
    assert "dashed" not in to_dot(plain, GraphOptions(depth=None)).split("cluster_legend")[0]


def test_se_inception_ghost_found(traced):
    assert structure(traced("se_resnet50")).se[:2] == ("layer1.0.se", "layer1.1.se")
    g = structure(traced("googlenet"))
    first = g.inception[0]
    assert first.path == "inception3a"
    assert first.branches == tuple(f"inception3a.branch{i}" for i in range(1, 5))
    ghost = structure(traced("ghostnet"))
    assert ghost.ghost[:2] == ("blocks.0.0.ghost1", "blocks.0.0.ghost2")
    assert "blocks.3.0.se" in ghost.se
    assert structure(traced("shufflenet_v2_x1_0")).ghost == ()   # split + concat is no Ghost


def test_every_zoo_models_marks_are_ideas_of_its_card(traced):
    for name in vizcnn.list_models():
        card = vizcnn.model_card(name)
        side = card.input_size
        t = traced(name, (1, card.in_channels, side, side))
        marks = structure(t).marks
        ideas = {idea for idea, _ in card.key_blocks}
        assert {i for found in marks.values() for i in found} <= ideas, name
        if name not in ("darknet19",):       # its 3×3 convs never come two in a row
            assert marks, name


class _Residual1d(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc(x)


def test_odd_user_models_do_not_break_the_reading() -> None:
    """Vectors without a batch, residuals at the root, attention-like matmuls."""
    for model, shape in ((nn.Sequential(_Residual1d()), (8,)), (_Residual1d(), (2, 8)),
                         (nn.Sequential(_Residual1d(), _Residual1d()), (2, 3, 8))):
        t = vizcnn.trace(model, shape)
        found = structure(t)
        assert all(b.shortcut is Shortcut.IDENTITY for b in found.residual)
        to_dot(t, GraphOptions(depth=None))
    assert structure(vizcnn.trace(nn.Sequential(_Residual1d()), (8,))).block("0").steps == (
        ("in", 8),)
