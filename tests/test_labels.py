"""The render layer's words in two languages (vizcnn.words.figures): every key in English and
Chinese with the same fields, the seed notes' vocabulary, and one source for the English."""

from __future__ import annotations

import re
import string

import pytest

import vizcnn
from vizcnn.render.dot import _LEGEND, KIND_COLOURS, legend_items
from vizcnn.ui.selection import Lang as AppLang
from vizcnn.words import Lang, tr
from vizcnn.words.figures import LABELS
from vizcnn.views.breakdown import Category, Metric

CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


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
    assert zh["quantity.macs"] == "MACs（乘加次数）"
    assert zh["quantity.flops"].startswith("FLOPs（浮点运算次数")
    assert zh["quantity.params"] == "参数量"
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
    assert tr("en", "chart.channels", n=256) == "256 ch"
    assert tr(Lang.ZH, "chart.channels", n=256) == "256 通道"
    assert tr("中文", "chart.channels", n=256) == "256 通道"
    assert tr("en", "quantity.params") == "parameters"
    # values are not templates: Plotly's %{...} placeholders pass through untouched
    assert tr("zh", "chart.output", shape="%{customdata[2]}") == "输出 %{customdata[2]}"
    with pytest.raises(KeyError):
        tr("en", "chart.no_such_label")
    with pytest.raises(KeyError):
        tr("en", "chart.channels")          # a field left unfilled
    with pytest.raises(vizcnn.VizcnnError, match="language"):
        tr("fr", "quantity.macs")


def test_one_lang_for_every_layer() -> None:
    assert Lang is AppLang


def test_metric_and_category_english_come_from_the_labels() -> None:
    for metric in Metric:
        assert metric.title == tr("en", f"quantity.{metric.value}") == metric.label("en")
        assert CJK.search(metric.label("zh"))
    for category in Category:
        assert category.label() == category.value
        assert CJK.search(category.label(Lang.ZH)), category


def test_every_key_block_idea_of_the_zoo_has_a_label() -> None:
    ideas = {idea for name in vizcnn.list_models()
             for idea, _ in vizcnn.model_card(name).key_blocks}
    for idea in ideas:
        assert f"idea.{idea}" in LABELS, idea
        assert tr("en", f"idea.{idea}") == idea.replace("_", " ")
        assert CJK.search(tr("zh", f"idea.{idea}")), idea


def test_every_legend_row_and_colour_has_a_label() -> None:
    assert {kind for row in _LEGEND for kind in row} == set(KIND_COLOURS)
    en, zh = legend_items(), legend_items(lang="zh")
    assert [i.colour for i in en] == [i.colour for i in zh]
    assert [i.label for i in en][:3] == ["dense conv", "pointwise 1×1 conv", "depthwise conv"]
    assert all(CJK.search(i.label) for i in zh)
