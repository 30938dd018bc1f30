"""Cost breakdowns, sweeps and their Plotly figures: values add up to the trace totals and
every axis says whether it shows MACs or FLOPs."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.words import human
from vizcnn.render import charts
from vizcnn.render.charts import (
    MACS, FLOPS, PARAMS, ACTIVATION_BYTES, Metric, compare_figure, cumulative_figure,
    figure_html, hierarchy_figure, kind_figure, layer_bars, stage_figure, sweep_figure,
    write_html,
)
from vizcnn.views.breakdown import (
    OWN_OPS, ROOT_ID, Category, by_category, categories, cumulative, hierarchy_rows,
    layer_costs, peak_activation_bytes, se_modules, total_activation_bytes,
)
from vizcnn.experiments import compare, sweep


@pytest.fixture(scope="module")
def resnet50() -> vizcnn.Trace:
    return vizcnn.trace("resnet50", (1, 3, 224, 224))


@pytest.fixture(scope="module")
def mnv3() -> vizcnn.Trace:
    return vizcnn.trace("mobilenet_v3_large", (1, 3, 224, 224))


def _total(t: vizcnn.Trace, metric: Metric) -> int:
    return sum(metric.of(n) for n in t.nodes if n.op not in ("input", "output"))


# ---- aggregations ----------------------------------------------------------------------

def test_human_units():
    assert human(4_089_184_256) == "4.09G"
    assert human(25_557_032) == "25.6M"
    assert human(1500) == "1.5K"
    assert human(999) == "999"
    assert human(9_633_792, "B") == "9.63MB"
    assert human(0) == "0"


def test_categories_sum_to_totals(resnet50, mnv3):
    for t in (resnet50, mnv3):
        rows = by_category(t)
        for metric in Metric:
            assert sum(r.value(metric) for r in rows) == _total(t, metric)
        assert sum(r.layers for r in rows) == len(categories(t))
    kinds = {r.category: r for r in by_category(resnet50)}
    assert Category.DEPTHWISE_CONV not in kinds and Category.SE not in kinds
    assert kinds[Category.DENSE_CONV].layers == 17  # 7×7 stem + sixteen 3×3
    assert kinds[Category.LINEAR].macs == 2048 * 1000


def test_se_category_from_key_blocks():
    t = vizcnn.trace("se_resnet50", (1, 3, 224, 224))
    se = se_modules(t)
    assert len(se) == 16 and all(p.endswith(".se") for p in se)
    se_row = {r.category: r for r in by_category(t)}[Category.SE]
    inside = [n for n in t.nodes if ".se" in n.id]
    assert se_row.layers == len(inside)
    assert se_row.macs == sum(n.macs for n in inside)
    assert se_row.params == sum(n.params for n in inside)


class _Gate(nn.Module):
    """An SE block under a name no model card knows."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1, self.fc2 = nn.Conv2d(c, c // 4, 1), nn.Conv2d(c // 4, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(self.pool(x)))))


class _Plain(nn.Module):
    """Same in/out shape, a multiply and a pool — but a full-resolution conv: not SE."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv, self.pool = nn.Conv2d(c, c, 3, padding=1), nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.conv(x) * self.pool(x)


def test_se_category_from_structure():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), _Gate(16), _Plain(16))
    t = vizcnn.trace(model, (1, 3, 16, 16))
    assert se_modules(t) == {"1"}
    cats = categories(t)
    assert {cats[i] for i in cats if i.startswith("1")} == {Category.SE}
    assert cats["2.conv"] is Category.DENSE_CONV


@pytest.mark.parametrize("metric", list(Metric))
@pytest.mark.parametrize("max_depth", [None, 1, 2])
def test_hierarchy_parents_sum_children(resnet50, metric, max_depth):
    rows = hierarchy_rows(resnet50, metric, max_depth)
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids))
    by_id = {r.id: r for r in rows}
    assert by_id[ROOT_ID].value == _total(resnet50, metric)
    children: dict[str, int] = {}
    for r in rows:
        if r.parent:
            assert r.parent in by_id
            children[r.parent] = children.get(r.parent, 0) + r.value
    for parent, total in children.items():
        assert by_id[parent].value == total, parent
    assert all(r.value > 0 for r in rows)
    if max_depth == 1:
        assert {r.id for r in rows if r.parent == ROOT_ID} <= {
            "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
            "avgpool", "fc", f"/{OWN_OPS}"}


def test_hierarchy_own_ops(resnet50):
    rows = {r.id: r for r in hierarchy_rows(resnet50, ACTIVATION_BYTES)}
    own = rows[f"layer1.0/{OWN_OPS}"]
    assert own.parent == "layer1.0" and own.label == OWN_OPS
    assert rows["layer1.0/add"].parent == own.id
    assert own.value == resnet50.node("layer1.0/add").activation_bytes
    assert rows["layer1.0.conv1"].parent == "layer1.0"
    assert rows["layer1.0"].label == "layer1.0" and rows["layer1"].label == "layer1"
    # with MACs the adds weigh nothing and the own-ops boxes disappear
    assert not any(OWN_OPS in r.id for r in hierarchy_rows(resnet50, MACS))


def test_cumulative_and_activation_totals(resnet50):
    points = cumulative(resnet50)
    assert points[-1].cum_macs == resnet50.macs
    assert points[-1].cum_params == resnet50.params
    assert points[-1].cum_flops == resnet50.flops
    assert all(a.cum_macs <= b.cum_macs for a, b in zip(points, points[1:]))
    rows = layer_costs(resnet50)
    assert [r["id"] for r in rows] == [p.id for p in points]
    assert rows[0]["category"] is Category.DENSE_CONV


def test_peak_and_total_activation_bytes():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
    t = vizcnn.trace(model, (1, 3, 8, 8))
    x, y = 3 * 64 * 4, 8 * 64 * 4
    assert total_activation_bytes(t) == x + 2 * y
    # the conv output and the ReLU output are alive together while the ReLU runs
    assert peak_activation_bytes(t) == 2 * y


# ---- figures ---------------------------------------------------------------------------

@pytest.mark.parametrize("style,kind", [("treemap", "treemap"), ("sunburst", "sunburst")])
def test_hierarchy_figure(resnet50, style, kind):
    fig = hierarchy_figure(resnet50, MACS, style)
    (data,) = fig.data
    assert data.type == kind and data.branchvalues == "total"
    values = dict(zip(data.ids, data.values))
    assert values[ROOT_ID] == resnet50.macs
    assert {"layer1", "layer4", "conv2"} <= set(data.labels)
    assert "MACs (multiply-accumulates)" in data.hovertemplate
    title = fig.layout.title.text
    assert "MACs (multiply-accumulates)" in title and "4.09G" in title
    params = hierarchy_figure(resnet50, PARAMS, style).data[0]
    assert dict(zip(params.ids, params.values))[ROOT_ID] == resnet50.params


def test_layer_bars_all_and_top(resnet50):
    fig = layer_bars(resnet50, MACS)
    assert all(d.type == "bar" for d in fig.data)
    assert sum(sum(d.y) for d in fig.data) == resnet50.macs
    assert {d.name for d in fig.data} == {
        Category.DENSE_CONV.value, Category.POINTWISE_CONV.value, Category.LINEAR.value}
    assert fig.layout.yaxis.title.text == "MACs (multiply-accumulates)"
    top = layer_bars(resnet50, FLOPS, top=5)
    bars = [(y, x) for d in top.data for y, x in zip(d.y, d.x)]
    assert len(bars) == 5
    largest = sorted((n.flops for n in resnet50.nodes), reverse=True)[:5]
    assert sorted((x for _, x in bars), reverse=True) == largest
    assert top.layout.xaxis.title.text.startswith("FLOPs")
    assert "MACs" in top.layout.xaxis.title.text  # "FLOPs (2 × MACs + elementwise)"
    with pytest.raises(ValueError):
        layer_bars(resnet50, MACS, top=0)


def test_cumulative_figure(resnet50):
    fig = cumulative_figure(resnet50)
    macs, params = fig.data
    assert macs.name == "MACs (multiply-accumulates)" and params.name == "parameters"
    assert macs.y[-1] == pytest.approx(100) and params.y[-1] == pytest.approx(100)
    assert macs.customdata[-1][1] == human(resnet50.macs)
    assert "%" in fig.layout.yaxis.title.text
    stage_names = {a.text for a in fig.layout.annotations}
    assert {"stem", "layer1", "layer4", "head"} <= stage_names


def test_stage_figure(resnet50):
    fig = stage_figure(resnet50, MACS)
    bars = [d for d in fig.data if d.type == "bar"]
    assert sum(sum(d.y) for d in bars) == resnet50.macs
    assert bars[0].x[1] == "layer1<br>56×56, 256 ch"
    assert fig.layout.yaxis.title.text == "MACs (multiply-accumulates)"
    assert fig.layout.barmode == "stack"
    flops = stage_figure(resnet50, FLOPS)
    assert sum(sum(d.y) for d in flops.data if d.type == "bar") == resnet50.flops


def test_kind_figure(mnv3):
    fig = kind_figure(mnv3, MACS)
    (bar,) = fig.data
    assert sum(bar.x) == mnv3.macs
    assert {"SE (squeeze-excitation)", "depthwise conv", "pointwise conv (1×1)"} <= set(bar.y)
    assert list(bar.x) == sorted(bar.x, reverse=True)
    assert fig.layout.xaxis.title.text == "MACs (multiply-accumulates)"
    acts = kind_figure(mnv3, ACTIVATION_BYTES)
    assert sum(acts.data[0].x) == _total(mnv3, ACTIVATION_BYTES)
    assert "bytes" in acts.layout.xaxis.title.text


# ---- sweeps and comparisons ------------------------------------------------------------

def test_sweep_reports_rejected_sizes_and_progress():
    calls: list[tuple[int, int]] = []
    points = sweep("alexnet", [16, 64, 128],
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert [p.size for p in points] == [16, 64, 128]
    bad, small, big = points
    assert not bad.ok and "features.5" in bad.error and bad.macs is None
    assert small.ok and big.ok and small.params == big.params
    assert small.macs < big.macs and small.peak_activation_bytes < big.peak_activation_bytes
    assert big.macs == vizcnn.trace("alexnet", (1, 3, 128, 128)).macs
    assert big.input_shape == (1, 3, 128, 128)

    fig = sweep_figure(points)
    assert list(fig.data[0].x) == [64, 128] and list(fig.data[0].y) == [small.macs, big.macs]
    rejected = [d for d in fig.data if d.name == "rejected size"]
    assert list(rejected[0].x) == [16]
    note = fig.layout.annotations[-1].text
    assert "rejected" in note and "16:" in note
    assert fig.layout.yaxis.title.text == "MACs"
    assert any(a.text == "MACs (multiply-accumulates)" for a in fig.layout.annotations)


def test_sweep_user_module_and_bad_options():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    points = sweep(model, [8, 2], channels=1, batch=2)
    assert points[0].ok and points[0].macs == 2 * 4 * 9 * 36
    assert not points[1].ok
    with pytest.raises(vizcnn.VizcnnError):
        sweep(model, [8], width_mult=2)


def test_compare_three_models(resnet50):
    points = compare(["mobilenet_v2", "vgg11", resnet50], 224)
    assert [p.name for p in points] == ["mobilenet_v2", "vgg11", "resnet50"]
    assert points[2].macs == resnet50.macs and points[2].family == "ResNet"
    mnv2 = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    assert (points[0].params, points[0].macs) == (mnv2.params, mnv2.macs)
    fig = compare_figure(points)
    scatter = fig.data[0]
    assert scatter.type == "scatter" and list(scatter.text) == [p.name for p in points]
    assert list(scatter.x) == [p.params for p in points]
    assert list(scatter.y) == [p.macs for p in points]
    assert [d.type for d in fig.data[1:]] == ["bar", "bar"]
    assert list(fig.data[1].y) == [p.macs for p in points]
    assert "MACs (multiply-accumulates" in fig.layout.yaxis.title.text
    assert fig.layout.xaxis.type == "log"
    assert "1×3×224×224" in fig.layout.title.text
    with pytest.raises(vizcnn.VizcnnError):
        compare(["no_such_net"], 224)


def test_compare_reports_rejected_model():
    points = compare(["alexnet", "resnet18"], 16)
    assert not points[0].ok and points[1].ok
    fig = compare_figure(points)
    assert list(fig.data[0].text) == ["resnet18"]
    assert "alexnet:" in fig.layout.annotations[-1].text


# ---- HTML ------------------------------------------------------------------------------

def test_figure_html_is_standalone(resnet50, tmp_path):
    fig = kind_figure(resnet50)
    html = figure_html(fig)
    assert "<html>" in html and html.rstrip().endswith("</html>")
    # nothing loaded from the network: no external scripts, plotly.js itself is inline
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert re.search(r"plotly\.js v\d+\.\d+", html) and len(html) > 1_000_000
    assert "Plotly.newPlot" in html
    path = write_html(fig, tmp_path / "kinds.html")
    assert path.read_text(encoding="utf-8") == html


def test_metric_strings():
    assert Metric("macs") is MACS and charts.Metric is Metric
    assert MACS.title == "MACs (multiply-accumulates)"
    assert FLOPS.title.startswith("FLOPs") and "2 × MACs" in FLOPS.title


# ---- Chinese ---------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def _drawn_words(fig) -> list[str]:
    """The words a figure draws from templates: titles, axis and legend titles, annotations,
    trace names, hover and text templates, category names of the axes and treemap labels."""
    layout, out = fig.layout, []
    out.append(layout.title.text or "")
    for key in layout:
        if key.startswith(("xaxis", "yaxis")) and layout[key].title.text:
            out.append(layout[key].title.text)
    out.append(layout.legend.title.text or "")
    out += [a.text for a in layout.annotations]
    for data in fig.data:
        out += [getattr(data, a, None) or "" for a in ("name", "hovertemplate", "texttemplate")]
        for axis in ("x", "y"):
            values = getattr(data, axis, None)
            if values is not None and len(values) and isinstance(values[0], str):
                out += list(values)
        if data.type in ("treemap", "sunburst"):
            out += [label for label in data.labels if "(" in label or "（" in label]
    return out


def _english_words(fig, names: set[str]) -> set[str]:
    """English words left in a figure, less code names (modules, models) and MACs/FLOPs."""
    words: set[str] = set()
    for text in _drawn_words(fig):
        text = re.sub(r"%\{[^}]*\}|<[^>]*>", " ", text)
        words |= set(re.findall(r"[A-Za-z][A-Za-z_\d]{2,}", text))
    return words - names - {"MACs", "FLOPs"}


def _code_names(t: vizcnn.Trace) -> set[str]:
    return {t.model} | {part for n in t.nodes for part in re.split(r"[./#]", n.id)}


@pytest.mark.parametrize("metric", list(Metric))
def test_chinese_charts_leave_no_english_words(resnet50, mnv3, metric):
    for t in (resnet50, mnv3):
        names = _code_names(t)
        for fig in (hierarchy_figure(t, metric, lang="zh"),
                    hierarchy_figure(t, metric, "sunburst", lang="zh"),
                    layer_bars(t, metric, lang="zh"), layer_bars(t, metric, 8, lang="zh"),
                    stage_figure(t, metric, lang="zh"), kind_figure(t, metric, lang="zh")):
            assert _english_words(fig, names) == set(), fig.layout.title.text
            assert CJK.search(fig.layout.title.text)
    assert _english_words(cumulative_figure(resnet50, lang="zh"), _code_names(resnet50)) == set()


def test_chinese_titles_axes_legends_and_categories(resnet50, mnv3):
    fig = hierarchy_figure(resnet50, MACS, lang="zh")
    assert fig.layout.title.text == "resnet50：各模块的MACs（乘加次数），合计 4.09G"
    assert "MACs（乘加次数）：%{customdata[0]}" in fig.data[0].hovertemplate
    assert "占模型 %{customdata[2]}" in fig.data[0].hovertemplate
    # ids stay the code's; what is shown of "(model)" / "(own ops)" is translated
    acts = hierarchy_figure(resnet50, ACTIVATION_BYTES, lang="zh").data[0]
    assert ROOT_ID in acts.ids and "（模块自身的运算）" in acts.labels
    assert OWN_OPS not in acts.labels
    assert dict(zip(acts.ids, (c[3] for c in acts.customdata)))[ROOT_ID] == "（整个模型）"

    bars = layer_bars(resnet50, MACS, lang="zh")
    assert {d.name for d in bars.data} == {"普通卷积", "逐点卷积（1×1）", "全连接 / 矩阵乘"}
    assert bars.layout.yaxis.title.text == "MACs（乘加次数）"
    assert bars.layout.xaxis.title.text == "层（按执行顺序）"
    assert bars.layout.legend.title.text == "操作类别"
    assert sum(sum(d.y) for d in bars.data) == resnet50.macs      # same numbers
    top = layer_bars(resnet50, FLOPS, top=5, lang="zh")
    assert top.layout.title.text.endswith("最多的 5 层")
    assert top.layout.xaxis.title.text.startswith("FLOPs（浮点运算次数")

    cum = cumulative_figure(resnet50, lang="zh")
    assert [d.name for d in cum.data] == ["MACs（乘加次数）", "参数量"]
    assert {"起始层", "layer1", "分类头"} <= {a.text for a in cum.layout.annotations}
    assert cum.layout.yaxis.title.text == "累计占模型总量的比例（%）"

    stage = stage_figure(resnet50, MACS, lang="zh")
    bars_ = [d for d in stage.data if d.type == "bar"]
    assert bars_[0].x[1] == "layer1<br>56×56, 256 通道"
    assert bars_[0].x[-1] == "分类头<br>1000 维"
    assert stage.layout.xaxis.title.text == "阶段（输出尺寸）"

    kinds = kind_figure(mnv3, MACS, lang="zh")
    assert {"SE（通道注意力）", "深度卷积（逐通道）", "逐点卷积（1×1）"} <= set(kinds.data[0].y)
    assert "层<extra>" in kinds.data[0].hovertemplate


def test_chinese_compare_and_sweep():
    points = compare(["alexnet", "resnet18"], 32)
    fig = compare_figure(points, lang="zh")
    assert fig.layout.title.text == "输入 1×3×32×32 时的模型对比"
    assert fig.layout.xaxis.title.text == "参数量（对数坐标）"
    assert fig.layout.yaxis.title.text == "MACs（乘加次数，对数坐标）"
    titles = {a.text for a in fig.layout.annotations}
    assert {"参数量与 MACs（乘加次数）", "MACs（乘加次数）", "参数量"} <= titles
    assert any(a.text.startswith("不接受该输入 —<br>alexnet：") for a in fig.layout.annotations)
    assert "FLOPs（浮点运算次数）：%{customdata[3]}" in fig.data[0].hovertemplate

    sweep_fig = sweep_figure(sweep("alexnet", [16, 64]), lang="zh")
    assert sweep_fig.layout.title.text == "计算开销随输入尺寸的变化（1×3×边长×边长）"
    assert sweep_fig.layout.xaxis3.title.text == "输入边长（像素，正方形输入）"
    assert [sweep_fig.layout[f"yaxis{i}"].title.text for i in ("", 2, 3)] == [
        "MACs", "参数量", "字节"]
    names = {d.name for d in sweep_fig.data}
    assert {"同时存活的激活峰值（推理）", "全部层输出（训练时保留）", "不接受的尺寸"} <= names
    assert sweep_fig.data[0].hovertemplate.startswith("输入 %{x}×%{x}<br>MACs（乘加次数）：")


def test_language_values():
    t = vizcnn.trace(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), (1, 3, 8, 8))
    def title(lang: object) -> str:
        return kind_figure(t, lang=lang).layout.title.text

    assert title("中文") == title("zh") != title("en") == title(charts.Lang.EN)
    assert kind_figure(t).layout.title.text == title("en")
    with pytest.raises(vizcnn.VizcnnError, match="language"):
        kind_figure(t, lang="fr")
