"""Plotly figures of the cost views beyond MACs: the counter reconciliation, the roofline, the
training-memory breakdown and measured latency against MACs. Each figure's title says what
is counted and in which units, in English or Chinese."""

from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from vizcnn.words import Lang, as_lang
from vizcnn.views.conventions import REASON_TEXT, Reason, Reconciliation
from vizcnn.views.traffic import Device, LayerTraffic, roofline

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
    "reason.formula": {"en": "another formula", "zh": "不同的计算公式"},
    "roof.title": {"en": "{model} on the {device} roofline: FLOPs per byte moved (unfused "
                         "kernels, {dtype})<br>below the ridge at {ridge:.3g} FLOP/B a layer is "
                         "memory-bound (open markers); {zero} layers with 0 FLOPs move {zero_mb:.3g} "
                         "MB (not drawn)",
                   "zh": "{model} 在 {device} 的屋顶线模型上：每字节访存的浮点运算数（未融合算子，"
                         "{dtype}）<br>低于拐点 {ridge:.3g} FLOP/B 的层受内存带宽限制（空心标记）；"
                         "{zero} 个 0 FLOPs 的层搬运 {zero_mb:.3g} MB（未画出）"},
    "roof.x": {"en": "arithmetic intensity (FLOPs per byte read + written)",
               "zh": "算术强度（每读写 1 字节的 FLOPs）"},
    "roof.y": {"en": "attainable FLOP/s (min(peak, intensity × bandwidth))",
               "zh": "可达 FLOP/s（min(峰值, 强度 × 带宽)）"},
    "roof.roof": {"en": "roofline", "zh": "屋顶线"},
    "roof.memory": {"en": "memory-bound", "zh": "受内存限制"},
    "roof.compute": {"en": "compute-bound", "zh": "受计算限制"},
    "train.title": {"en": "{model}: memory of one training step, batch {batch}, {precision}, "
                          "{optimizer} — {total:.3g} GiB<br>saved activations measured on meta "
                          "with saved-tensor hooks (MiB)",
                    "zh": "{model}：一次训练迭代的内存，批大小 {batch}，{precision}，{optimizer} — "
                          "{total:.3g} GiB<br>反向传播保存的激活在 meta 设备上用 saved-tensor "
                          "钩子实测（MiB）"},
    "train.parts": {"en": "parts", "zh": "组成"},
    "train.layers": {"en": "saved activations, largest layers", "zh": "保存的激活（最大的层）"},
    "part.parameters": {"en": "parameters", "zh": "参数"},
    "part.buffers": {"en": "buffers", "zh": "缓冲区"},
    "part.gradients": {"en": "gradients", "zh": "梯度"},
    "part.optimizer state": {"en": "optimizer state", "zh": "优化器状态"},
    "part.half weight copies": {"en": "half weight copies", "zh": "半精度权重副本"},
    "part.saved activations": {"en": "saved activations", "zh": "保存的激活"},
    "lat.title": {"en": "{model}: measured CPU time per layer against its MACs (median of {runs} "
                        "run(s), {threads} threads, random weights)<br>total {total:.4g} ms; "
                        "far from the diagonal = time not explained by MACs",
                  "zh": "{model}：每层实测 CPU 时间与 MACs（{runs} 次运行的中位数，{threads} 个线程，"
                        "随机权重）<br>总计 {total:.4g} ms；偏离对角线 = 不能由 MACs 解释的时间"},
    "lat.x": {"en": "MACs (multiply-accumulates)", "zh": "MACs（乘加次数）"},
    "lat.y": {"en": "measured time (ms, median)", "zh": "实测时间（毫秒，中位数）"},
    "zoo.title": {"en": "MACs are not speed: MACs against measured CPU latency at {shape} "
                        "(threads: {threads}, median)",
                  "zh": "MACs 不等于速度：各模型的 MACs 与实测 CPU 延迟（{shape}，{threads} 个线程，"
                        "中位数）"},
    "zoo.y": {"en": "measured latency (ms)", "zh": "实测延迟（毫秒）"},
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


def roofline_figure(rows: Sequence[LayerTraffic], device: Device, model: str = "",
                    dtype: str = "float32", lang: Lang | str = Lang.EN) -> go.Figure:
    """Log-log roofline of ``device`` with one marker per layer at its intensity, coloured by
    op kind, sized by FLOPs, open markers for memory-bound layers."""
    points = roofline(list(rows), device)
    fig = go.Figure()
    lows = [p.layer.intensity for p in points if p.layer.intensity > 0]
    x_min = min(lows + [device.ridge]) / 4
    x_max = max(lows + [device.ridge]) * 4
    fig.add_scatter(x=[x_min, device.ridge, x_max],
                    y=[x_min * device.bandwidth, device.peak_flops, device.peak_flops],
                    mode="lines", line={"color": "black"}, name=word("roof.roof", lang),
                    hoverinfo="skip")
    biggest = max((p.layer.flops for p in points), default=1) or 1
    for kind in dict.fromkeys(p.layer.kind for p in points):
        group = [p for p in points if p.layer.kind == kind and p.layer.intensity > 0]
        if not group:
            continue
        fig.add_scatter(
            x=[p.layer.intensity for p in group], y=[p.attainable for p in group],
            mode="markers", name=kind,
            marker={"size": [6 + 18 * (p.layer.flops / biggest) ** 0.5 for p in group],
                    "symbol": ["circle-open" if p.memory_bound else "circle" for p in group],
                    "line": {"width": 2}},
            text=[p.layer.node_id for p in group],
            customdata=[[p.layer.flops, p.layer.bytes, word(
                "roof.memory" if p.memory_bound else "roof.compute", lang), p.time * 1e6]
                for p in group],
            hovertemplate="%{text}<br>%{x:.3g} FLOP/B · %{customdata[0]:,} FLOPs · "
                          "%{customdata[1]:,} B<br>%{customdata[2]} · best %{customdata[3]:.3g}"
                          " µs<extra>" + kind + "</extra>")
    fig.update_xaxes(type="log", title=word("roof.x", lang))
    fig.update_yaxes(type="log", title=word("roof.y", lang))
    zero = [p for p in points if p.layer.intensity == 0]
    fig.update_layout(title=word("roof.title", lang, model=model, device=device.name,
                                 dtype=dtype, ridge=device.ridge, zero=len(zero),
                                 zero_mb=sum(p.layer.bytes for p in zero) / 1e6),
                      height=560, legend={"orientation": "h", "y": -0.2}, margin={"t": 90})
    return fig


def training_memory_figure(memory: Any, lang: Lang | str = Lang.EN, top: int = 20) -> go.Figure:
    """Left: the step's memory by part (one stacked bar); right: the ``top`` layers by
    activations saved for backward. ``memory`` is a
    :class:`vizcnn.experiments.training_memory.TrainingMemory`."""
    from plotly.subplots import make_subplots

    mib = 2 ** 20
    fig = make_subplots(rows=1, cols=2, column_widths=[0.25, 0.75],
                        subplot_titles=(word("train.parts", lang), word("train.layers", lang)))
    for name, value in memory.parts().items():
        if value:
            fig.add_bar(x=[word("train.parts", lang)], y=[value / mib],
                        name=word(f"part.{name}", lang), row=1, col=1,
                        hovertemplate="%{y:.4g} MiB<extra>" + name + "</extra>")
    layers = sorted(memory.layers, key=lambda layer: -layer.bytes)[:top]
    fig.add_bar(x=[layer.path for layer in layers], y=[layer.bytes / mib for layer in layers],
                text=[layer.module_type for layer in layers], showlegend=False, row=1, col=2,
                marker_color="#636efa",
                hovertemplate="%{x} (%{text})<br>%{y:.4g} MiB<extra></extra>")
    fig.update_layout(barmode="stack", height=520, margin={"t": 100},
                      title=word("train.title", lang, model=memory.model, batch=memory.batch,
                                 precision=memory.precision.value,
                                 optimizer=memory.optimizer.value,
                                 total=memory.total_bytes / 2 ** 30))
    fig.update_yaxes(title_text="MiB", row=1, col=1)
    return fig


def latency_figure(result: Any, lang: Lang | str = Lang.EN) -> go.Figure:
    """Per-layer measured time against MACs (log-log), coloured by op kind; ``result`` is a
    :class:`vizcnn.experiments.profile.Profile`. Layers with 0 MACs sit on the left edge."""
    fig = go.Figure()
    layers = [layer for layer in result.layers if layer.kind]
    floor = max(1, min((layer.macs for layer in layers if layer.macs), default=1) // 10)
    for kind in dict.fromkeys(layer.kind for layer in layers):
        group = [layer for layer in layers if layer.kind == kind]
        fig.add_scatter(x=[max(layer.macs, floor) for layer in group],
                        y=[layer.median_s * 1e3 for layer in group], mode="markers",
                        name=kind, text=[layer.node_id for layer in group],
                        customdata=[layer.macs for layer in group],
                        hovertemplate="%{text}<br>%{customdata:,} MACs · %{y:.3g} ms"
                                      "<extra>" + kind + "</extra>")
    fig.update_xaxes(type="log", title=word("lat.x", lang))
    fig.update_yaxes(type="log", title=word("lat.y", lang))
    fig.update_layout(title=word("lat.title", lang, model=result.model, runs=result.runs,
                                 threads=result.threads, total=result.median_s * 1e3),
                      height=540, margin={"t": 90}, legend={"orientation": "h", "y": -0.2})
    return fig


def zoo_latency_figure(results: Sequence[Any], lang: Lang | str = Lang.EN) -> go.Figure:
    """One marker per model: MACs against measured latency (the ShuffleNet V2 lesson)."""
    fig = go.Figure()
    fig.add_scatter(x=[r.macs for r in results], y=[r.median_s * 1e3 for r in results],
                    mode="markers+text", text=[r.model for r in results],
                    textposition="top center", showlegend=False,
                    hovertemplate="%{text}<br>%{x:,} MACs · %{y:.4g} ms<extra></extra>")
    shape = "×".join(map(str, results[0].input_shape)) if results else ""
    threads = results[0].threads if results else 0
    fig.update_xaxes(type="log", title=word("lat.x", lang))
    fig.update_yaxes(type="log", title=word("zoo.y", lang))
    fig.update_layout(title=word("zoo.title", lang, shape=shape, threads=threads), height=520)
    return fig
