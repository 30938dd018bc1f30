"""Plotly figures of the cost views beyond MACs: the counter reconciliation, the roofline, the
training-memory breakdown and measured latency against MACs. Each figure's title says what
is counted and in which units, in English or Chinese."""

from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from vizcnn.words import Lang, tr
from vizcnn.views.conventions import REASON_TEXT, Reason, Reconciliation
from vizcnn.views.traffic import Device, LayerTraffic, roofline

def conventions_figure(rec: Reconciliation, lang: Lang | str = Lang.EN) -> go.Figure:
    """One stacked bar per tool: vizcnn's MACs, then each reason's amount (negative when the
    tool misses work), ending at the tool's figure."""
    tools = [t.tool.value for t in rec.tools]
    fig = go.Figure()
    fig.add_bar(name=tr(lang, "conv.base"), x=tools, y=[rec.macs] * len(tools),
                hovertemplate="%{y:,}<extra>vizcnn MACs</extra>")
    for reason in Reason:
        amounts = [t.by_reason().get(reason, 0) for t in rec.tools]
        if any(amounts):
            fig.add_bar(name=tr(lang, f"reason.{reason.value}"), x=tools, y=amounts,
                        hovertemplate="%{y:+,}<extra>" + REASON_TEXT[reason] + "</extra>")
    fig.add_scatter(x=tools, y=[t.value for t in rec.tools], mode="markers+text",
                    text=[f"{t.value / 1e9:.4g} G {t.metric}" for t in rec.tools],
                    textposition="top center", marker={"symbol": "line-ew-open", "size": 28},
                    name=tr(lang, "conv.axis"), hovertemplate="%{y:,}<extra>tool figure</extra>")
    fig.update_layout(barmode="relative", title=tr(lang, "conv.title", model=rec.model),
                      yaxis_title=tr(lang, "conv.axis"), legend={"orientation": "h", "y": -0.2},
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
                    mode="lines", line={"color": "black"}, name=tr(lang, "roof.roof"),
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
            customdata=[[p.layer.flops, p.layer.bytes, tr(
                lang, "roof.memory" if p.memory_bound else "roof.compute"), p.time * 1e6]
                for p in group],
            hovertemplate="%{text}<br>%{x:.3g} FLOP/B · %{customdata[0]:,} FLOPs · "
                          "%{customdata[1]:,} B<br>%{customdata[2]} · best %{customdata[3]:.3g}"
                          " µs<extra>" + kind + "</extra>")
    fig.update_xaxes(type="log", title=tr(lang, "roof.x"))
    fig.update_yaxes(type="log", title=tr(lang, "roof.y"))
    zero = [p for p in points if p.layer.intensity == 0]
    fig.update_layout(title=tr(lang, "roof.title", model=model, device=device.name,
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
                        subplot_titles=(tr(lang, "train.parts"), tr(lang, "train.layers")))
    for name, value in memory.parts().items():
        if value:
            fig.add_bar(x=[tr(lang, "train.parts")], y=[value / mib],
                        name=tr(lang, f"part.{name}"), row=1, col=1,
                        hovertemplate="%{y:.4g} MiB<extra>" + name + "</extra>")
    layers = sorted(memory.layers, key=lambda layer: -layer.bytes)[:top]
    fig.add_bar(x=[layer.path for layer in layers], y=[layer.bytes / mib for layer in layers],
                text=[layer.module_type for layer in layers], showlegend=False, row=1, col=2,
                marker_color="#636efa",
                hovertemplate="%{x} (%{text})<br>%{y:.4g} MiB<extra></extra>")
    fig.update_layout(barmode="stack", height=520, margin={"t": 100},
                      title=tr(lang, "train.title", model=memory.model, batch=memory.batch,
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
    fig.update_xaxes(type="log", title=tr(lang, "lat.x"))
    fig.update_yaxes(type="log", title=tr(lang, "lat.y"))
    fig.update_layout(title=tr(lang, "lat.title", model=result.model, runs=result.runs,
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
    fig.update_xaxes(type="log", title=tr(lang, "lat.x"))
    fig.update_yaxes(type="log", title=tr(lang, "zoo.y"))
    fig.update_layout(title=tr(lang, "zoo.title", shape=shape, threads=threads), height=520)
    return fig
