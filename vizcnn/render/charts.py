"""Plotly figures of a trace's costs: where the compute, the parameters and the memory go.

Each function takes a trace (or sweep/compare points) and returns a
``plotly.graph_objects.Figure``; nothing is shown or written unless asked
(:func:`write_html`). Axis titles and hover text always name the quantity —
"MACs (multiply-accumulates)" is never shown as "FLOPs" — and numbers use K/M/G units.
Every function takes ``lang="en"`` or ``"zh"`` for the words drawn in the figure (see
:mod:`vizcnn.words.figures`); module paths, class names and numbers stay as they are.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vizcnn.graph import Graph
from vizcnn.words import Lang, as_lang, fmt_shape, human, tr
from vizcnn.views.breakdown import (
    Category,
    OWN_OPS,
    ROOT_ID,
    Metric,
    by_category,
    categories,
    cumulative,
    hierarchy_rows,
    layer_costs,
    merge_single_children,
)
from vizcnn.views.stages import HEAD, STEM, Stage, stages
from vizcnn.views.sweep import ComparePoint, SweepPoint

MACS, FLOPS, PARAMS, ACTIVATION_BYTES = (
    Metric.MACS, Metric.FLOPS, Metric.PARAMS, Metric.ACTIVATION_BYTES)


class HierarchyStyle(str, Enum):
    TREEMAP = "treemap"
    SUNBURST = "sunburst"


# One colour per category, the same in every chart (conv flavours in blues/greens).
CATEGORY_COLORS: dict[Category, str] = {
    Category.DENSE_CONV: "#1f5fa8",
    Category.GROUPED_CONV: "#6a3d9a",
    Category.DEPTHWISE_CONV: "#2ca02c",
    Category.POINTWISE_CONV: "#5fa8e8",
    Category.TRANSPOSED_CONV: "#17becf",
    Category.LINEAR: "#ff7f0e",
    Category.SE: "#d62728",
    Category.NORM: "#bcbd22",
    Category.ACTIVATION: "#e377c2",
    Category.POOLING: "#8c564b",
    Category.ELEMENTWISE: "#9edae5",
    Category.OTHER: "#7f7f7f",
}

_LAYOUT: dict[str, Any] = dict(
    template="plotly_white",
    font=dict(size=13),
    margin=dict(l=70, r=30, t=80, b=60),
    hoverlabel=dict(align="left"),
)


def _fmt(value: float, metric: Metric) -> str:
    return human(value, "B") if metric.is_bytes else human(value)


def _axis(metric: Metric, lang: Lang, **extra: Any) -> dict[str, Any]:
    """A value axis: the metric's full title and SI ticks (G = 10⁹, M = 10⁶)."""
    return dict(title=dict(text=metric.label(lang)), tickformat="~s", **extra)


def _value(name: str, value: str, lang: Lang) -> str:
    """``name: value`` (``name：value`` in Chinese)."""
    return tr(lang, "chart.value", name=name, value=value)


def _shown_id(row_id: str, lang: Lang) -> str:
    """A hierarchy id as shown: the "(model)" root and "(own ops)" groups in ``lang``."""
    if row_id == ROOT_ID:
        return tr(lang, "chart.model_root")
    return row_id.replace(OWN_OPS, tr(lang, "chart.own_ops"))


def _pct(value: float, total: float) -> str:
    return f"{100 * value / total:.1f}%" if total else "–"


def _layout(fig: go.Figure, title: str, **extra: Any) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01, xanchor="left"), **{**_LAYOUT, **extra})
    return fig


def _total(graph: Graph, metric: Metric) -> int:
    return sum(metric.of(n) for n in graph.nodes if n.op not in ("input", "output"))


def hierarchy_figure(
    trace: Graph,
    metric: Metric = Metric.MACS,
    style: HierarchyStyle | str = HierarchyStyle.TREEMAP,
    max_depth: int | None = None,
    levels: int = 3,
    lang: Lang | str = Lang.EN,
) -> go.Figure:
    """Treemap or sunburst of ``metric`` over the module hierarchy.

    ``levels`` module levels are shown at once (click a box to zoom in); ``max_depth`` cuts
    the data itself, summing everything deeper into the module at that depth.
    """
    metric, style, lang = Metric(metric), HierarchyStyle(style), as_lang(lang)
    rows = merge_single_children(hierarchy_rows(trace, metric, max_depth))
    total = rows[0].value
    custom = [[_fmt(r.value, metric), r.type, _pct(r.value, total), _shown_id(r.id, lang)]
              for r in rows]
    own_ops = tr(lang, "chart.own_ops")
    common = dict(
        ids=[r.id for r in rows], labels=[r.label.replace(OWN_OPS, own_ops) for r in rows],
        parents=[r.parent for r in rows], values=[r.value for r in rows],
        branchvalues="total", maxdepth=levels + 1, customdata=custom,
        hovertemplate=("<b>%{customdata[3]}</b> (%{customdata[1]})<br>"
                       + _value(metric.label(lang), "%{customdata[0]}", lang) + "<br>"
                       + tr(lang, "chart.share", pct="%{customdata[2]}")
                       + "<extra></extra>"),
    )
    if style is HierarchyStyle.TREEMAP:
        chart: go.BaseTraceType = go.Treemap(
            texttemplate="<b>%{label}</b><br>%{customdata[0]} (%{customdata[2]})",
            tiling=dict(pad=2), pathbar=dict(visible=True), **common)
    else:
        chart = go.Sunburst(texttemplate="%{label}<br>%{customdata[2]}",
                            insidetextorientation="radial", **common)
    fig = go.Figure(chart)
    title = tr(lang, "chart.hierarchy_title", model=trace.model, metric=metric.label(lang),
               total=_fmt(total, metric))
    return _layout(fig, title, margin=dict(l=10, r=10, t=60, b=10), height=650)


def layer_bars(trace: Graph, metric: Metric = Metric.MACS, top: int | None = None,
               lang: Lang | str = Lang.EN) -> go.Figure:
    """``metric`` per layer, coloured by op category.

    ``top=None``: every layer with a non-zero value, in execution order. ``top=N``: the N
    largest, biggest first, as horizontal bars with their names.
    """
    metric, lang = Metric(metric), as_lang(lang)
    title_of = metric.label(lang)
    rows = [r for r in layer_costs(trace) if r[metric.value] > 0]
    total = _total(trace, metric)
    if top is not None:
        if top < 1:
            raise ValueError("top must be a positive number of layers")
        rows = sorted(rows, key=lambda r: -r[metric.value])[:top]
    fig = go.Figure()
    for category in Category:
        mine = [r for r in rows if r["category"] is category]
        if not mine:
            continue
        custom = [[r["id"], r["type"], r["output_shape"], _fmt(r[metric.value], metric),
                   _pct(r[metric.value], total)] for r in mine]
        values = [r[metric.value] for r in mine]
        bar = dict(name=category.label(lang), marker_color=CATEGORY_COLORS[category],
                   customdata=custom,
                   hovertemplate=("<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
                                  + tr(lang, "chart.output", shape="%{customdata[2]}")
                                  + "<br>" + _value(title_of, "%{customdata[3]}", lang)
                                  + tr(lang, "chart.share_paren", pct="%{customdata[4]}")
                                  + "<extra></extra>"))
        if top is None:
            fig.add_bar(x=[r["index"] for r in mine], y=values, **bar)
        else:
            fig.add_bar(y=[r["id"] for r in mine], x=values, orientation="h",
                        text=[_fmt(v, metric) for v in values], textposition="outside",
                        cliponaxis=False, **bar)
    if top is None:
        _shade_stages(fig, trace, lang)
        fig.update_layout(xaxis=dict(title=dict(text=tr(lang, "chart.layer_order"))),
                          yaxis=_axis(metric, lang,
                                      range=[0, max((r[metric.value] for r in rows),
                                                    default=0) * 1.2 or 1]),
                          bargap=0.1, height=480)
        title = tr(lang, "chart.per_layer_title", model=trace.model, metric=title_of)
    else:
        order = [r["id"] for r in rows]
        fig.update_layout(
            yaxis=dict(categoryorder="array", categoryarray=order[::-1], automargin=True,
                       title=dict(text=tr(lang, "chart.layer"))),
            xaxis=_axis(metric, lang, range=[0, max((r[metric.value] for r in rows), default=0)
                                             * 1.15 or 1]),
            height=max(380, 24 * len(rows) + 160))
        title = tr(lang, "chart.top_title", model=trace.model, n=len(rows), metric=title_of)
    return _layout(fig, title,
                   legend=dict(title=dict(text=tr(lang, "chart.op_category"))))


def _stage_name(stage: Stage, lang: Lang) -> str:
    """A stage's name: module names as they are, "stem" and "head" in ``lang``."""
    if stage.name == STEM:
        return tr(lang, "chart.stage_stem")
    if stage.name == HEAD:
        return tr(lang, "chart.stage_head")
    return stage.name


def _shade_stages(fig: go.Figure, trace: Graph, lang: Lang) -> None:
    """Shade every other stage behind a chart whose x axis is the execution index."""
    index = {p.id: p.index for p in cumulative(trace)}
    for i, stage in enumerate(stages(trace)):
        xs = [index[n] for n in stage.node_ids]
        fig.add_vrect(x0=min(xs) - 0.5, x1=max(xs) + 0.5, line_width=0, layer="below",
                      fillcolor="#e8eef7" if i % 2 == 0 else "#ffffff", opacity=1.0,
                      annotation=dict(text=_stage_name(stage, lang), textangle=-90,
                                      font_size=11,
                                      font_color="#555"),
                      annotation_position="top left")


def cumulative_figure(trace: Graph, lang: Lang | str = Lang.EN) -> go.Figure:
    """Share of the total MACs and parameters reached along execution order.

    Early high-resolution layers take compute, late wide layers and the classifier take
    parameters; the two curves make that visible. Stages are shaded.
    """
    lang = as_lang(lang)
    points = cumulative(trace)
    fig = go.Figure()
    if not points:
        return _layout(fig, tr(lang, "chart.no_layers", model=trace.model))
    total_macs, total_params = points[-1].cum_macs, points[-1].cum_params
    x = [p.index for p in points]
    for name, cum, total, color, dash in (
        (MACS.label(lang), [p.cum_macs for p in points], total_macs, "#1f5fa8", "solid"),
        (PARAMS.label(lang), [p.cum_params for p in points], total_params, "#ff7f0e",
         "dash"),
    ):
        fig.add_scatter(
            x=x, y=[100 * c / total if total else 0 for c in cum], name=name, mode="lines",
            line=dict(color=color, width=2.5, dash=dash, shape="hv"),
            customdata=[[p.id, human(c)] for p, c in zip(points, cum)],
            hovertemplate=("<b>%{customdata[0]}</b><br>"
                           + tr(lang, "chart.cumulative_hover", name=name,
                                value="%{customdata[1]}", share="%{y:.1f}%")
                           + "<extra></extra>"))
    _shade_stages(fig, trace, lang)
    fig.update_layout(
        xaxis=dict(title=dict(text=tr(lang, "chart.layer_order")), showgrid=False),
        yaxis=dict(title=dict(text=tr(lang, "chart.cumulative_axis")),
                   range=[0, 105], ticksuffix="%"),
        legend=dict(orientation="h", y=-0.18), height=480)
    return _layout(fig, tr(lang, "chart.cumulative_title", model=trace.model,
                           macs=human(total_macs), params=human(total_params)))


def _stage_label(stage: Stage, lang: Lang) -> str:
    if stage.resolution is None and stage.channels is not None:
        size = tr(lang, "chart.features", n=stage.channels)   # the head's "1000-d"
    else:
        size = stage.size_label
    if stage.resolution:
        size += ", " + tr(lang, "chart.channels", n=stage.channels)
    name = _stage_name(stage, lang)
    return size if stage.name == stage.size_label else f"{name}<br>{size}"


def stage_figure(trace: Graph, metric: Metric = Metric.MACS, lang: Lang | str = Lang.EN
                 ) -> go.Figure:
    """``metric`` per stage (stem, 56×56, ..., head), stacked by op category."""
    metric, lang = Metric(metric), as_lang(lang)
    stage_list = stages(trace)
    cats = categories(trace)
    nodes = {n.id: n for n in trace.nodes}
    labels = [_stage_label(s, lang) for s in stage_list]
    total = _total(trace, metric)
    fig = go.Figure()
    for category in Category:
        values = [sum(metric.of(nodes[i]) for i in s.node_ids if cats[i] is category)
                  for s in stage_list]
        if not any(values):
            continue
        name = category.label(lang)
        fig.add_bar(
            x=labels, y=values, name=name, marker_color=CATEGORY_COLORS[category],
            customdata=[[_fmt(v, metric), _pct(v, total)] for v in values],
            hovertemplate=("%{x}<br>" + _value(name, "%{customdata[0]}", lang)
                           + tr(lang, "chart.share_paren", pct="%{customdata[1]}")
                           + "<extra></extra>"))
    stage_totals = [sum(metric.of(nodes[i]) for i in s.node_ids) for s in stage_list]
    fig.add_scatter(
        x=labels, y=stage_totals, mode="text", showlegend=False, hoverinfo="skip",
        text=[f"{_fmt(v, metric)}<br>{_pct(v, total)}" for v in stage_totals],
        textposition="top center")
    top = max(stage_totals, default=0)
    fig.update_layout(barmode="stack", yaxis=_axis(metric, lang, range=[0, top * 1.22 or 1]),
                      xaxis=dict(title=dict(text=tr(lang, "chart.stage_axis"))), height=500,
                      legend=dict(title=dict(text=tr(lang, "chart.op_category"))))
    return _layout(fig, tr(lang, "chart.stage_title", model=trace.model,
                           metric=metric.label(lang), total=_fmt(total, metric)))


def kind_figure(trace: Graph, metric: Metric = Metric.MACS, lang: Lang | str = Lang.EN
                ) -> go.Figure:
    """``metric`` per op category (dense / depthwise / pointwise conv, SE, linear, ...)."""
    metric, lang = Metric(metric), as_lang(lang)
    rows = sorted((c for c in by_category(trace) if c.value(metric) > 0),
                  key=lambda c: -c.value(metric))
    total = sum(c.value(metric) for c in rows)
    values = [c.value(metric) for c in rows]
    names = [c.category.label(lang) for c in rows]
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h",
        marker_color=[CATEGORY_COLORS[c.category] for c in rows],
        text=[f"{_fmt(v, metric)} ({_pct(v, total)})" for v in values],
        textposition="outside", cliponaxis=False,
        customdata=[[_fmt(c.value(metric), metric), c.layers] for c in rows],
        hovertemplate=("<b>%{y}</b><br>" + _value(metric.label(lang), "%{customdata[0]}", lang)
                       + "<br>" + tr(lang, "chart.layers_count", n="%{customdata[1]}")
                       + "<extra></extra>")))
    top = max(values, default=0)
    fig.update_layout(
        xaxis=_axis(metric, lang, range=[0, top * 1.3 or 1]),
        yaxis=dict(categoryorder="array", categoryarray=names[::-1], automargin=True),
        height=max(320, 42 * len(rows) + 160), showlegend=False)
    return _layout(fig, tr(lang, "chart.kind_title", model=trace.model,
                           metric=metric.label(lang), total=_fmt(total, metric)))


def _short_error(error: str | None, limit: int = 170) -> str:
    line = (error or "").splitlines()[0] if error else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _rejected_note(items: Sequence[tuple[str, str | None]], lang: Lang) -> str:
    bad = [_value(name, _short_error(error), lang) for name, error in items if error]
    return "<br>".join([tr(lang, "chart.rejected")] + bad) if bad else ""


def compare_figure(points: Sequence[ComparePoint], lang: Lang | str = Lang.EN) -> go.Figure:
    """Several models at one input size: params vs MACs scatter (log–log, labelled), and bars
    of MACs and of parameters per model."""
    lang = as_lang(lang)
    ok = [p for p in points if p.ok]
    fig = make_subplots(
        rows=2, cols=2, specs=[[{"colspan": 2}, None], [{}, {}]], row_heights=[0.6, 0.4],
        vertical_spacing=0.14, horizontal_spacing=0.1,
        subplot_titles=(tr(lang, "chart.params_vs_macs"), MACS.label(lang),
                        PARAMS.label(lang)))
    names = [p.name for p in ok]
    fig.add_scatter(
        x=[p.params for p in ok], y=[p.macs for p in ok], mode="markers+text", text=names,
        textposition="top center", marker=dict(size=12, color="#1f5fa8"), showlegend=False,
        customdata=[[p.family, human(p.params), human(p.macs), human(p.flops),
                     human(p.peak_activation_bytes, "B")] for p in ok],
        hovertemplate=("<b>%{text}</b> %{customdata[0]}<br>" + "<br>".join(
            _value(name, f"%{{customdata[{i}]}}", lang) for i, name in enumerate(
                (PARAMS.label(lang), MACS.label(lang), tr(lang, "chart.flops_short"),
                 tr(lang, "chart.peak_activations")), start=1)) + "<extra></extra>"),
        row=1, col=1)
    for col, metric, color in ((1, MACS, "#1f5fa8"), (2, PARAMS, "#ff7f0e")):
        values = [metric.of(p) for p in ok]  # type: ignore[arg-type]
        fig.add_bar(x=names, y=values, marker_color=color, showlegend=False,
                    text=[human(v) for v in values], textposition="outside", cliponaxis=False,
                    hovertemplate=("<b>%{x}</b><br>" + _value(metric.label(lang), "%{text}", lang)
                                   + "<extra></extra>"),
                    row=2, col=col)
        fig.update_yaxes(title_text=metric.label(lang), tickformat="~s", row=2, col=col,
                         range=[0, max(values, default=0) * 1.25 or 1])
    log = dict(type="log", tickformat="~s", dtick=1, minor=dict(showgrid=True))
    fig.update_xaxes(title_text=tr(lang, "chart.params_log"), row=1, col=1, **log)
    fig.update_yaxes(title_text=tr(lang, "chart.macs_log"), row=1, col=1, **log)
    fig.update_xaxes(tickangle=-30, row=2)
    note = _rejected_note([(p.name, p.error) for p in points], lang)
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=-0.22,
                           showarrow=False, align="left", font=dict(color="#a00", size=11))
    shape = ok[0].input_shape if ok else (points[0].input_shape if points else ())
    size = fmt_shape(shape)
    return _layout(fig, tr(lang, "chart.compare_title", size=size), height=760,
                   margin=dict(l=80, r=30, t=90, b=140 if note else 90))


def sweep_figure(points: Sequence[SweepPoint], lang: Lang | str = Lang.EN) -> go.Figure:
    """MACs, parameters and activation memory against the input side (rejected sizes noted).

    Conv compute and activations grow with the area (side²); parameters stay flat.
    """
    lang = as_lang(lang)
    ok = [p for p in points if p.ok]
    macs, params = MACS.label(lang), PARAMS.label(lang)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=(macs, params, tr(lang, "chart.activation_memory")))
    sizes = [p.size for p in ok]
    side = tr(lang, "chart.input_side", side="%{x}")

    def hover(name: str) -> str:
        return f"{side}<br>{_value(name, '%{text}', lang)}<extra></extra>"

    fig.add_scatter(x=sizes, y=[p.macs for p in ok], name=macs, mode="lines+markers",
                    showlegend=False,
                    line_color="#1f5fa8", text=[human(p.macs) for p in ok],
                    hovertemplate=hover(macs), row=1, col=1)
    fig.add_scatter(x=sizes, y=[p.params for p in ok], name=params,
                    mode="lines+markers", line_color="#ff7f0e", showlegend=False,
                    text=[human(p.params) for p in ok], hovertemplate=hover(params),
                    row=2, col=1)
    for key, attr, color, dash in (
        ("chart.peak_live", "peak_activation_bytes", "#2ca02c", "solid"),
        ("chart.all_outputs", "total_activation_bytes", "#9467bd", "dash"),
    ):
        name = tr(lang, key)
        values = [getattr(p, attr) for p in ok]
        fig.add_scatter(x=sizes, y=values, name=name, mode="lines+markers", line_color=color,
                        line_dash=dash, text=[human(v, "B") for v in values],
                        hovertemplate=hover(name), row=3, col=1)
    bad = [p for p in points if not p.ok]
    if bad:
        fig.add_scatter(x=[p.size for p in bad], y=[0] * len(bad), mode="markers",
                        name=tr(lang, "chart.rejected_size"),
                        marker=dict(symbol="x", size=11, color="#c00"), cliponaxis=False,
                        text=[_short_error(p.error) for p in bad],
                        hovertemplate=(tr(lang, "chart.rejected_hover", side="%{x}")
                                       + "<br>%{text}<extra></extra>"),
                        row=1, col=1)
    fig.update_yaxes(title_text="MACs", tickformat="~s", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text=params, tickformat="~s", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text=tr(lang, "chart.bytes"), tickformat="~s", rangemode="tozero",
                     row=3, col=1)
    fig.update_xaxes(title_text=tr(lang, "chart.input_side_axis"), row=3, col=1)
    note = _rejected_note([(str(p.size), p.error) for p in points], lang)
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=-0.16,
                           showarrow=False, align="left", font=dict(color="#a00", size=11))
    shape = points[0].input_shape if points else ()
    what = (tr(lang, "chart.sweep_shape", batch=shape[0], channels=shape[1])
            if len(shape) == 4 else "")
    return _layout(fig, tr(lang, "chart.sweep_title", shape=what), height=820,
                   legend=dict(x=0.01, y=0.30, yanchor="top", bgcolor="rgba(255,255,255,0.8)"),
                   margin=dict(l=80, r=30, t=110, b=150 if note else 70))


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page with plotly.js inline (works offline, no CDN). The div id is
    fixed so the same figure always gives the same bytes."""
    return fig.to_html(include_plotlyjs=True, full_html=True, include_mathjax=False,
                       div_id="vizcnn-figure",
                       config={"displaylogo": False, "responsive": True})


def write_html(fig: go.Figure, path: str | Path) -> Path:
    """Write :func:`figure_html` to ``path`` and return the path."""
    path = Path(path)
    path.write_text(figure_html(fig), encoding="utf-8")
    return path


__all__ = [
    "ACTIVATION_BYTES", "CATEGORY_COLORS", "FLOPS", "HierarchyStyle", "Lang", "MACS", "Metric",
    "PARAMS", "compare_figure", "cumulative_figure", "figure_html", "hierarchy_figure",
    "human", "kind_figure", "layer_bars", "stage_figure", "sweep_figure", "write_html",
]
