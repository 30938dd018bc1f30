"""The render layer's words in two languages (vizcnn.render.labels): every key in English and
Chinese with the same fields, the seed notes' vocabulary, and one source for the English."""

from __future__ import annotations

import re

import pytest

import vizcnn
from vizcnn.render.dot import _LEGEND, KIND_COLOURS, legend_items
from vizcnn.render.labels import LABELS, Lang, fields, idea_label, label
from vizcnn.teach import Lang as TeachLang
from vizcnn.views.breakdown import Category, Metric

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_key_has_both_languages_with_the_same_fields() -> None:
    for key, entry in LABELS.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert fields(entry["en"]) == fields(entry["zh"]), key
        assert not CJK.search(entry["en"]), key


def test_every_chinese_label_is_written_in_chinese() -> None:
    """Only the bare "name：value" pattern has no Chinese word (it has the full-width colon)."""
    for key, entry in LABELS.items():
        if key == "chart.value":
            assert entry["zh"] == "{name}：{value}"
            continue
        assert CJK.search(entry["zh"]), key


def test_the_seed_notes_vocabulary() -> None:
    zh = {key: entry["zh"] for key, entry in LABELS.items()}
    assert zh["metric.macs"] == "MACs（乘加次数）"
    assert zh["metric.flops"].startswith("FLOPs（浮点运算次数")
    assert zh["metric.params"] == "参数量"
    assert "逐点卷积" in zh["category.pointwise_conv"]
    assert "深度卷积" in zh["category.depthwise_conv"]
    assert "分组卷积" in zh["category.grouped_conv"]
    assert "通道注意力" in zh["category.se"]
    assert zh["category.norm"] == "归一化" and zh["category.pooling"] == "池化"
    assert "全连接" in zh["category.linear"] and "激活" in zh["category.activation"]
    assert zh["graph.identity"] == "恒等映射" and "残差" in zh["graph.residual_shortcut"]
    assert "通道混洗" in zh["legend.reshape"] and zh["op.channel_shuffle"] == "通道混洗"
    assert "通道" in zh["chart.channels"]


def test_label_fills_fields_and_checks_key_and_language() -> None:
    assert label("chart.channels", "en", n=256) == "256 ch"
    assert label("chart.channels", Lang.ZH, n=256) == "256 通道"
    assert label("chart.channels", "中文", n=256) == "256 通道"
    assert label("metric.params") == "parameters"
    # values are not templates: Plotly's %{...} placeholders pass through untouched
    assert label("chart.output", "zh", shape="%{customdata[2]}") == "输出 %{customdata[2]}"
    with pytest.raises(KeyError):
        label("chart.no_such_label", "en")
    with pytest.raises(KeyError):
        label("chart.channels", "en")          # a field left unfilled
    with pytest.raises(vizcnn.VizcnnError, match="language"):
        label("metric.macs", "fr")


def test_lang_is_the_learn_tabs_enum() -> None:
    assert Lang is TeachLang


def test_metric_and_category_english_come_from_the_labels() -> None:
    for metric in Metric:
        assert metric.title == label(f"metric.{metric.value}", "en") == metric.label("en")
        assert CJK.search(metric.label("zh"))
    for category in Category:
        assert category.label() == category.value
        assert CJK.search(category.label(Lang.ZH)), category


def test_every_key_block_idea_of_the_zoo_has_a_label() -> None:
    ideas = {idea for name in vizcnn.list_models()
             for idea, _ in vizcnn.model_card(name).key_blocks}
    for idea in ideas:
        assert f"idea.{idea}" in LABELS, idea
        assert idea_label(idea, "en") == idea.replace("_", " ")
        assert CJK.search(idea_label(idea, "zh")), idea
    assert idea_label("brand_new_idea", "zh") == "brand new idea"


def test_every_legend_row_and_colour_has_a_label() -> None:
    assert {kind for row in _LEGEND for kind in row} == set(KIND_COLOURS)
    en, zh = legend_items(), legend_items(lang="zh")
    assert [i.colour for i in en] == [i.colour for i in zh]
    assert [i.label for i in en][:3] == ["dense conv", "pointwise 1×1 conv", "depthwise conv"]
    assert all(CJK.search(i.label) for i in zh)
