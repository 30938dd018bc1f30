"""Plotly figures of the cost views beyond MACs: the counter reconciliation, the roofline, the
training-memory breakdown and measured latency against MACs. Each figure's title says what
is counted and in which units, in English or Chinese."""

from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from vizcnn.teach.text import Lang, as_lang
from vizcnn.views.conventions import REASON_TEXT, Reason, Reconciliation

WORDS: dict[str, dict[str, str]] = {
    "conv.title": {"en": "{model}: what each counter reports, from vizcnn's MACs reason by "
                         "reason (MACs = multiply-accumulates; FLOPs tools = 2 per MAC)",
                   "zh": "{model}：各计数工具的结果，从 vizcnn 的 MACs 出发逐项解释差异"
                         "（MACs = 乘加次数；报告 FLOPs 的工具按每次乘加 2 次计）"},
    "conv.base": {"en": "vizcnn MACs (conv + linear + matmul)",
                  "zh": "vizcnn MACs（卷积 + 全连接 + 矩阵乘）"},
    "conv.axis": {"en": "count as the tool reports it", "zh": "工具报告的数值"},
    "reason.bias": {"en": "bias", "zh": "偏置"},
    "reason.norm": {"en": "BatchNorm / norms", "zh": "BN / 归一化"},
    "reason.activation": {"en": "activations", "zh": "激活函数"},
    "reason.pooling": {"en": "pooling", "zh": "池化"},
    "reason.other_elementwise": {"en": "softmax / upsample", "zh": "softmax / 上采样"},
    "reason.functional_missed": {"en": "functional op missed", "zh": "漏计的函数式算子"},
    "reason.linear_nd": {"en": "Linear on N-D input", "zh": "多维输入的全连接"},
    "reason.double_count": {"en": "counted twice", "zh": "重复计数"},
    "reason.subclass_missed": {"en": "subclass missed", "zh": "漏计的子类"},
    "reason.two_per_mac": {"en": "2 FLOPs per MAC", "zh": "每次乘加计 2 FLOPs"},
    "reason.per_sample": {"en": "divided by batch", "zh": "按批大小平均"},
}


def word(key: str, lang: Lang | str = Lang.EN, **fields: Any) -> str:
    return WORDS[key][as_lang(lang).value].format(**fields)


def conventions_figure(rec: Reconciliation, lang: Lang | str = Lang.EN) -> go.Figure:
    """One stacked bar per tool: vizcnn's MACs, then each reason's amount (negative when the
    tool misses work), ending at the tool's figure."""
    tools = [t.tool.value for t in rec.tools]
    fig = go.Figure()
    fig.add_bar(name=word("conv.base", lang), x=tools, y=[rec.macs] * len(tools),
                hovertemplate="%{y:,}<extra>vizcnn MACs</extra>")
    for reason in Reason:
        amounts = [t.by_reason().get(reason, 0) for t in rec.tools]
        if any(amounts):
            fig.add_bar(name=word(f"reason.{reason.value}", lang), x=tools, y=amounts,
                        hovertemplate="%{y:+,}<extra>" + REASON_TEXT[reason] + "</extra>")
    fig.add_scatter(x=tools, y=[t.value for t in rec.tools], mode="markers+text",
                    text=[f"{t.value / 1e9:.4g} G {t.metric}" for t in rec.tools],
                    textposition="top center", marker={"symbol": "line-ew-open", "size": 28},
                    name=word("conv.axis", lang), hovertemplate="%{y:,}<extra>tool figure</extra>")
    fig.update_layout(barmode="relative", title=word("conv.title", lang, model=rec.model),
                      yaxis_title=word("conv.axis", lang), legend={"orientation": "h", "y": -0.2},
                      height=520, margin={"t": 80})
    return fig
