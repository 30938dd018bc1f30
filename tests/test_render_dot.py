"""The layer graph as DOT (vizcnn.render.dot) and its rendering by Graphviz (graphviz_run)."""

from __future__ import annotations

import re
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from torch import nn

import vizcnn
from vizcnn.words import human
import vizcnn.render.dot as dot_module
from densenet_like import densenet121_like
from vizcnn.graph import OpKind
from vizcnn.render import (
    KIND_COLOURS, Direction, GraphOptions, OutputFormat, legend_items, render, render_to_file,
    to_dot,
)
from vizcnn.words import Lang
from vizcnn.render.dot import (
    KEY_COLOUR, LEGEND_ID, SHORTCUT_COLOUR, collapsed, shape_text,
)

SIZE = (1, 3, 224, 224)
SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Dot:
    """The structure of DOT text written by to_dot (one statement per line)."""

    nodes: dict[str, str] = field(default_factory=dict)         # id -> attribute text
    cluster_of: dict[str, str | None] = field(default_factory=dict)  # node id -> cluster
    parent: dict[str, str | None] = field(default_factory=dict)      # cluster -> parent
    cluster_attrs: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # src, dst, attributes

    def edge(self, src: str, dst: str) -> str:
        found = [attrs for s, d, attrs in self.edges if (s, d) == (src, dst)]
        assert found, f"no edge {src} -> {dst}"
        return found[0]


_ID = r'"((?:[^"\\]|\\.)*)"'


def parse(text: str) -> Dot:
    dot, stack = Dot(), [None]
    lines = text.splitlines()
    assert lines[0].startswith("digraph ") and lines[-1] == "}"
    for line in lines[1:-1]:
        line = line.strip()
        if m := re.match(rf"subgraph {_ID} \{{", line):
            name = m.group(1).removeprefix("cluster_")
            dot.parent[name] = stack[-1]
            stack.append(name)
        elif line == "}":
            stack.pop()
        elif m := re.match(rf"{_ID} -> {_ID}(.*)", line):
            dot.edges.append((m.group(1), m.group(2), m.group(3)))
        elif m := re.match(rf"{_ID} \[(.*)\];$", line):
            dot.nodes[m.group(1)] = m.group(2)
            dot.cluster_of[m.group(1)] = stack[-1]
        elif line.startswith("label=") and stack[-1] is not None:
            dot.cluster_attrs[stack[-1]] = line
    assert stack == [None], "unbalanced braces"
    return dot


@pytest.fixture(scope="module")
def traces() -> dict[str, vizcnn.Trace]:
    names = ["resnet50", "googlenet", "se_resnet50", "shufflenet_v2_x1_0", "mobilenet_v2",
             "ghostnet"]
    return {name: vizcnn.trace(name, SIZE) for name in names}


@pytest.fixture(scope="module")
def densenet() -> vizcnn.Trace:
    return vizcnn.trace(densenet121_like(), SIZE)


def svg_root(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return root


def svg_titles(root: ET.Element, cls: str) -> list[str]:
    return [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == cls]


# --- text helpers ----------------------------------------------------------------------------
def test_human_units_and_shapes():
    assert human(1_200_000) == "1.2M"
    assert human(4_089_184_256) == "4.09G"
    assert human(25_557_032) == "25.6M"
    assert human(960) == "960"
    assert shape_text((1, 256, 28, 28)) == "256×28×28"
    assert shape_text((1, 1000)) == "1000"


def test_every_op_kind_has_a_colour_and_a_legend_entry():
    kinds = {k.value for k in OpKind}
    assert kinds | {"block"} == set(KIND_COLOURS)
    covered = {k for item in legend_items() for k in item.kinds}
    assert covered == set(KIND_COLOURS)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in KIND_COLOURS.values())
    assert [i.label for i in legend_items(["depthwise_conv", "concat"])] == [
        "depthwise conv", "add / mul / concat / split"]


# --- structure -------------------------------------------------------------------------------
def test_resnet50_depth1_boxes(traces):
    dot = parse(to_dot(traces["resnet50"], GraphOptions(depth=1)))
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        assert "Sequential" in dot.nodes[stage] and dot.cluster_of[stage] is None
    assert set(dot.parent) == {LEGEND_ID}
    assert 'label="512×28×28"' in dot.edge("layer2", "layer3")
    assert 'label="1000"' in dot.edge("fc", "output")
    layer3 = dot.nodes["layer3"]
    assert "out 1024×14×14" in layer3 and "7.1M params" in layer3 and "1.46G MACs" in layer3


def test_resnet50_depth2_fold(traces):
    text = to_dot(traces["resnet50"], GraphOptions(depth=2))
    dot = parse(text)
    assert {"layer1", "layer2", "layer3", "layer4"} <= set(dot.parent)
    assert dot.cluster_of["layer3.0"] == "layer3"
    fold = dot.nodes["layer3.1..layer3.5"]
    assert "layer3.1–5" in fold and "×5" in fold and "peripheries=2" in fold
    assert dot.cluster_of["layer3.1..layer3.5"] == "layer3"
    assert not any(n.startswith("layer3.2") for n in dot.nodes)
    dot.edge("layer3.0", "layer3.1..layer3.5")
    dot.edge("layer3.1..layer3.5", "layer4.0")
    # key blocks: Bottleneck is the model card's residual block
    assert f'color="{KEY_COLOUR}"' in dot.nodes["layer3.0"]
    assert "★ residual · bottleneck" in dot.nodes["layer3.0"]
    plain = parse(to_dot(traces["resnet50"], GraphOptions(depth=2, highlight_key_blocks=False)))
    assert "★" not in plain.nodes["layer3.0"] and KEY_COLOUR not in plain.nodes["layer3.0"]
    unfolded = parse(to_dot(traces["resnet50"], GraphOptions(depth=2, fold_repeats=False)))
    assert {f"layer3.{i}" for i in range(6)} <= set(unfolded.nodes)


def test_googlenet_inception_branches(traces):
    dot = parse(to_dot(traces["googlenet"], GraphOptions(depth=1, expand_all=("inception3a",))))
    branches = [c for c, p in dot.parent.items() if p == "inception3a"]
    assert branches == [f"inception3a.branch{i}" for i in range(1, 5)]
    assert dot.cluster_of["inception3a/cat"] == "inception3a"
    assert "fillcolor=\"%s\"" % KIND_COLOURS["concat"] in dot.nodes["inception3a/cat"]
    assert "★ inception" in dot.cluster_attrs["inception3a"]
    assert "Inception" in dot.nodes["inception4a"] and "★ inception" in dot.nodes["inception4a"]
    for branch in ("inception3a.branch1.relu", "inception3a.branch4.1.relu"):
        dot.edge(branch, "inception3a/cat")


def test_googlenet_branches_sit_side_by_side(traces):
    """In the rendered SVG the four branch frames are disjoint columns, left to right."""
    text = to_dot(traces["googlenet"], GraphOptions(depth=1, expand_all=("inception3a",)))
    root = svg_root(render(text, OutputFormat.SVG))
    spans = {}
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title").text if g.find(f"{SVG}title") is not None else ""
        if g.get("class") == "cluster" and re.fullmatch(r"cluster_inception3a\.branch\d", title):
            shape = g.find(f"{SVG}path")
            if shape is None:
                shape = g.find(f"{SVG}polygon")
            data = shape.get("d") or shape.get("points")
            xs = [float(v) for v in re.findall(r"(-?[\d.]+),-?[\d.]+", data)]
            spans[title[-1]] = (min(xs), max(xs))
    assert sorted(spans) == ["1", "2", "3", "4"]
    ordered = [spans[k] for k in "1234"]
    for (_, right), (left, _) in zip(ordered, ordered[1:]):
        assert right <= left


def test_residual_shortcuts_are_drawn_apart(traces):
    dot = parse(to_dot(traces["resnet50"], GraphOptions(depth=1, expand_all=("layer1.0",
                                                                         "layer1.1"))))
    identity = dot.edge("layer1.0.relu#2", "layer1.1/add")
    assert "dashed" in identity and SHORTCUT_COLOUR in identity and "identity" in identity
    assert dot.parent["layer1.0.downsample"] == "layer1.0"
    assert "dashed" in dot.cluster_attrs["layer1.0.downsample"]
    assert "dashed" in dot.edge("layer1.0.downsample.1", "layer1.0/add")
    assert "dashed" in dot.edge("maxpool", "layer1.0.downsample.0")
    assert "dashed" not in dot.edge("layer1.0.bn3", "layer1.0/add")
    assert "residual shortcut" in dot.nodes[LEGEND_ID]


def test_a_downsample_on_the_main_path_is_not_a_shortcut():
    """DarkNet's ``stage.downsample`` is the stage's strided conv, not a residual shortcut."""
    trace = vizcnn.trace("darknet53", SIZE)
    dot = parse(to_dot(trace, GraphOptions(depth=3, expand_all=("features.stage2",))))
    assert "dashed" not in dot.cluster_attrs["features.stage2.downsample"]
    assert "dashed" not in dot.edge("features.stage2.downsample.2",
                                    "features.stage2.residual1.conv1.0")
    assert "identity" in dot.edge("features.stage2.downsample.2", "features.stage2.residual1/add")


def test_se_squeeze_path_returns_into_the_multiply(traces):
    dot = parse(to_dot(traces["se_resnet50"], GraphOptions(depth=2, expand_all=("layer2.0",))))
    assert dot.cluster_of["layer2.0.se/mul"] == "layer2.0.se"
    assert "★ se" in dot.cluster_attrs["layer2.0.se"]
    assert 'label="512×1×1"' in dot.edge("layer2.0.se/view#1", "layer2.0.se/mul")
    dot.edge("layer2.0.bn3", "layer2.0.se/mul")      # the input that gets rescaled
    dot.edge("layer2.0.se/mul", "layer2.0/add")


def test_channel_shuffle_and_ghost_concat_are_visible_ops(traces):
    dot = parse(to_dot(traces["shufflenet_v2_x1_0"], GraphOptions(depth=2,
                                                                  expand=("stage2.1",))))
    shuffle = dot.nodes["stage2.1.shuffle"]
    assert "channel shuffle" in shuffle and KIND_COLOURS["shuffle"] in shuffle
    dot.edge("stage2.1/cat", "stage2.1.shuffle")
    dot.edge("stage2.1/chunk", "stage2.1/cat")        # the untouched half
    ghost = parse(to_dot(traces["ghostnet"], GraphOptions(depth=2, expand_all=("blocks.1",))))
    assert ghost.cluster_of["blocks.1.0.ghost1/cat"] == "blocks.1.0.ghost1"
    ghost.edge("blocks.1.0.ghost1.primary_conv.2", "blocks.1.0.ghost1/cat")
    ghost.edge("blocks.1.0.ghost1.cheap_operation.2", "blocks.1.0.ghost1/cat")


def test_colours_labels_direction_and_legend(traces):
    text = to_dot(traces["mobilenet_v2"], GraphOptions(depth=None, direction=Direction.LR))
    dot = parse(text)
    assert "rankdir=LR" in text
    depthwise = dot.nodes["features.2.conv.1.0"]
    assert KIND_COLOURS["depthwise_conv"] in depthwise and "dw conv 3×3 s2" in depthwise
    assert "conv 1×1" in dot.nodes["features.2.conv.0.0"]
    assert "linear 1280 to 1000" in dot.nodes["classifier.1"]
    legend = dot.nodes[LEGEND_ID]
    assert "depthwise conv" in legend and "grouped conv" not in legend
    bare = to_dot(traces["mobilenet_v2"], GraphOptions(legend=False, show_shapes=False))
    assert "cluster_" + LEGEND_ID not in bare and "label=\"" not in bare.split("\n", 2)[2]
    assert "rankdir=TB" in bare


def test_options_validate():
    assert GraphOptions(expand=["a", "b"]).expand == ("a", "b")
    assert GraphOptions(direction="LR").direction is Direction.LR
    with pytest.raises(vizcnn.VizcnnError, match="direction"):
        GraphOptions(direction="up")


class _Odd(nn.Module):
    """A module whose child names need escaping in DOT and in HTML-like labels."""

    def __init__(self) -> None:
        super().__init__()
        self.add_module('we"ird<&>\\name', nn.Conv2d(3, 4, 3))

    def forward(self, x):
        return getattr(self, 'we"ird<&>\\name')(x)


def test_names_are_escaped():
    trace = vizcnn.trace(_Odd(), (1, 3, 8, 8))
    text = to_dot(trace, GraphOptions(depth=None))
    root = svg_root(render(text, OutputFormat.SVG))
    assert any(t.startswith('we"ird<&>') for t in svg_titles(root, "node"))
    assert 'we"ird&lt;&amp;&gt;' in text    # HTML-like label text is escaped


def test_dense_fan_out_runs_down_a_bus(densenet):
    """Each arrow of the collapsed graph is drawn, directly or through bus junctions."""
    options = GraphOptions(depth=None)
    dot = parse(to_dot(densenet, options))
    cg = collapsed(densenet, options)
    junctions = {n for n in dot.nodes if "::bus" in n}
    assert junctions and all("shape=point" in dot.nodes[j] for j in junctions)
    out: dict[str, list[str]] = {}
    for src, dst, _ in dot.edges:
        out.setdefault(src, []).append(dst)
    for arrow in cg.arrows:
        frontier, reached = [arrow.src], set()
        while frontier:
            for nxt in out.get(frontier.pop(), ()):
                if nxt == arrow.dst:
                    reached.add(nxt)
                elif nxt in junctions and nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
        assert arrow.dst in reached, (arrow.src, arrow.dst)
    # the first layer's output feeds the 5 later layers and the block's concat via one bus
    assert out["features.4.layers.0.conv2"] == ["features.4.layers.0.conv2::bus0"]
    assert len([j for j in junctions if j.startswith("features.4.layers.0.conv2::")]) == 6


# --- rendering -------------------------------------------------------------------------------
def test_every_zoo_model_renders_to_svg():
    for name in vizcnn.list_models():
        trace = vizcnn.trace(name, SIZE)
        options = GraphOptions(depth=2)
        root = svg_root(render(to_dot(trace, options), OutputFormat.SVG))
        titles = set(svg_titles(root, "node"))
        boxes = {b.id for b in collapsed(trace, options).boxes}
        assert boxes <= titles, (name, boxes - titles)


def test_full_depth_renders_of_the_largest_graphs(densenet):
    for trace in (vizcnn.trace("resnet152", SIZE), densenet):
        root = svg_root(render(to_dot(trace, GraphOptions(depth=None)), "svg", timeout=20.0))
        assert len(svg_titles(root, "node")) > 430


def test_render_formats_and_files(tmp_path: Path, traces):
    text = to_dot(traces["resnet50"], GraphOptions(depth=1))
    assert render(text, "png", dpi=50).startswith(b"\x89PNG")
    assert render(text, OutputFormat.DOT) == text.encode()
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"),
                          (".dot", b"digraph")):
        path = render_to_file(text, tmp_path / f"graph{suffix}")
        assert path.read_bytes().startswith(magic)
    with pytest.raises(vizcnn.VizcnnError, match="suffix"):
        render_to_file(text, tmp_path / "graph.jpeg")
    with pytest.raises(vizcnn.VizcnnError, match="format"):
        render(text, "gif")


def test_render_errors_are_vizcnn_errors(monkeypatch):
    with pytest.raises(vizcnn.VizcnnError, match="Graphviz failed"):
        render("digraph { a -> ", "svg")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(vizcnn.VizcnnError, match="(?i)install Debian's graphviz"):
        render("digraph { a -> b }", "svg")


def test_a_slow_layout_is_stopped(densenet, monkeypatch):
    """Without its speed measures the dense graph takes dot minutes: the bound stops it."""
    monkeypatch.setattr(dot_module, "BUS_MIN_RANKS", 10**9)
    monkeypatch.setattr(dot_module, "LABEL_LIMIT", 10**12)
    monkeypatch.setattr(dot_module, "layout_attrs", lambda virtual_nodes: {})
    text = to_dot(densenet, GraphOptions(depth=None))
    start = time.monotonic()
    with pytest.raises(vizcnn.VizcnnError, match="longer than 1 s"):
        render(text, "svg", timeout=1.0)
    assert time.monotonic() - start < 15   # killed, not waited for


# --- Chinese ---------------------------------------------------------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")


def _drawn_words(text: str) -> set[str]:
    """English words in the labels and tooltips of DOT text (HTML tags removed)."""
    words: set[str] = set()
    for m in re.finditer(r'(?:label|xlabel|tooltip)=(<.*?>|"(?:[^"\\]|\\.)*")[,;\]]', text):
        words |= set(re.findall(r"[A-Za-z][A-Za-z_\d]{2,}", re.sub(r"<[^>]*>", " ", m.group(1))))
    return words


def test_chinese_graph_words(traces):
    trace = traces["resnet50"]
    options = GraphOptions(depth=1, expand_all=("layer1.0", "layer1.1"), lang="zh")
    text = to_dot(trace, options)
    dot = parse(text)
    title = f"resnet50 · 参数量 {human(trace.params)} · MACs（乘加次数）{human(trace.macs)}"
    assert f'label="{title}"' in text.splitlines()[1]
    layer2 = dot.nodes["layer2"]
    assert "输出 512×28×28" in layer2 and "参数量 " in layer2 and " · MACs " in layer2
    assert "★ 残差 · 瓶颈结构" in dot.cluster_attrs["layer1.0"]
    assert "输入：" in layer2 and "FLOPs（浮点运算次数）：" in layer2          # the tooltip
    assert "恒等映射" in dot.edge("layer1.0.relu#2", "layer1.1/add")
    legend = dot.nodes[LEGEND_ID]
    for word in ("普通卷积", "归一化", "池化", "残差捷径", "关键模块（模型卡片）"):
        assert word in legend
    assert "图例" in text
    assert "Noto Sans CJK SC" in text and "Noto Sans CJK SC" not in to_dot(trace)
    # nothing English left but names from the code (modules, classes, ops) and MACs/FLOPs
    code = {trace.model} | {m.type for m in trace.modules.values()}
    code |= {p for n in trace.nodes for p in re.split(r"[./#]", n.id)}
    assert _drawn_words(text) - code - {"MACs", "FLOPs"} == set()


def test_chinese_op_words(traces):
    mnv2 = parse(to_dot(traces["mobilenet_v2"], GraphOptions(depth=None, lang="zh")))
    assert "深度卷积 3×3 步长2" in mnv2.nodes["features.2.conv.1.0"]
    assert "卷积 1×1" in mnv2.nodes["features.2.conv.0.0"]
    assert "全连接 1280→1000" in mnv2.nodes["classifier.1"]
    assert "批归一化" in mnv2.nodes["features.2.conv.0.1"]
    shuffle = parse(to_dot(traces["shufflenet_v2_x1_0"],
                           GraphOptions(depth=2, expand=("stage2.1",), lang="zh")))
    assert "通道混洗" in shuffle.nodes["stage2.1.shuffle"]
    v1 = to_dot(vizcnn.trace("shufflenet_v1", SIZE), GraphOptions(depth=None, lang="zh"))
    assert set(re.findall(r"分组卷积 \d[^<]*", v1)) == {"分组卷积 1×1 3组"}   # g=3 pointwise
    assert "★ 分组卷积 · 深度可分离卷积 · 残差" in v1
    folded = parse(to_dot(traces["resnet50"], GraphOptions(depth=2, lang="zh")))
    assert "5 ×（参数量 " in folded.nodes["layer3.1..layer3.5"]
    pooled = parse(to_dot(traces["resnet50"], GraphOptions(depth=1, lang="zh")))
    assert "最大池化 3×3 步长2" in pooled.nodes["maxpool"]
    assert "自适应平均池化→1×1" in pooled.nodes["avgpool"]


def test_the_language_changes_words_only(traces):
    for name in ("googlenet", "se_resnet50"):
        en = parse(to_dot(traces[name], GraphOptions(depth=2)))
        zh = parse(to_dot(traces[name], GraphOptions(depth=2, lang="zh")))
        assert list(en.nodes) == list(zh.nodes) and en.parent == zh.parent
        assert [(s, d) for s, d, _ in en.edges] == [(s, d) for s, d, _ in zh.edges]
        assert not CJK.search(to_dot(traces[name], GraphOptions(depth=2)))


def test_language_option_is_part_of_the_options_value():
    zh = GraphOptions(lang="zh")
    assert zh.lang is Lang.ZH and GraphOptions().lang is Lang.EN
    assert zh == GraphOptions(lang=Lang.ZH) and hash(zh) == hash(GraphOptions(lang="中文"))
    assert zh != GraphOptions() and len({zh, GraphOptions()}) == 2
    with pytest.raises(vizcnn.VizcnnError, match="language"):
        GraphOptions(lang="fr")


def test_chinese_renders_with_a_cjk_font(traces):
    """PNG and PDF glyphs come from fontconfig: without a CJK font they are empty boxes."""
    found = subprocess.run(["fc-match", "-f", "%{family}", "Noto Sans CJK SC"],
                           capture_output=True, text=True, check=True).stdout
    assert "Noto Sans CJK SC" in found, "install Debian's fonts-noto-cjk"
    text = to_dot(traces["resnet50"], GraphOptions(depth=1, legend=True, lang="zh"))
    svg = render(text, OutputFormat.SVG).decode("utf-8")
    assert "参数量" in svg and "图例" in svg and "Noto Sans CJK SC" in svg
    assert render(text, "png", dpi=50).startswith(b"\x89PNG")
