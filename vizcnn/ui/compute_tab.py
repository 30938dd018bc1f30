"""Compute tab: the Plotly cost breakdowns — by module (treemap/sunburst), per layer,
cumulative along depth, by stage and by op kind — each downloadable as standalone HTML."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from vizcnn.api import Trace
from vizcnn.experiments import file_stem
from vizcnn.render import charts
from vizcnn.render.charts import HierarchyStyle, Metric
from vizcnn.spec import TraceSpec
from vizcnn.ui import cache, choices
from vizcnn.ui.costs_panel import render_costs_panel
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import KEEP
from vizcnn.words import tr

K_METRIC = choices.translated("c_metric")
K_STYLE = choices.translated("c_style")
K_TOP = choices.translated("c_top")
TOPS: tuple[int, ...] = (0, 10, 20, 40)   # 0: every layer in execution order
CHARTS: tuple[str, ...] = ("hierarchy", "layers", "cumulative", "stages", "kinds")


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(_trace: Trace, key: TraceSpec | str, chart: str, metric: str, style: str, top: int,
            lang: str) -> go.Figure:
    trace = _trace
    if chart == "hierarchy":
        return charts.hierarchy_figure(trace, Metric(metric), HierarchyStyle(style), lang=lang)
    if chart == "layers":
        return charts.layer_bars(trace, Metric(metric), top or None, lang=lang)
    if chart == "cumulative":
        return charts.cumulative_figure(trace, lang=lang)
    if chart == "stages":
        return charts.stage_figure(trace, Metric(metric), lang=lang)
    if chart == "kinds":
        return charts.kind_figure(trace, Metric(metric), lang=lang)
    raise ValueError(f"unknown chart {chart!r}")


def figure_for(trace: Trace, chart: str, metric: str, style: str, top: int,
               lang: str = "en") -> go.Figure:
    """One chart of ``trace``, its words in ``lang`` (cached under the trace's spec:
    switching metric or language back is instant)."""
    return _figure(trace, cache.render_key(trace), chart, metric, style, top, lang)


def _html_of(fig: go.Figure) -> Any:
    return lambda: charts.figure_html(fig)


def render_compute_tab(selection: Selection, trace: Trace) -> None:
    """The Compute tab body."""
    lang = selection.lang.value
    state = st.session_state
    state.setdefault(K_METRIC, Metric.MACS.value)
    state.setdefault(K_STYLE, HierarchyStyle.TREEMAP.value)
    state.setdefault(K_TOP, 0)
    controls = st.columns([4, 2, 2])
    metric = controls[0].radio(tr(lang, "c_metric"), [m.value for m in Metric], key=K_METRIC,
                               persist_state=KEEP, horizontal=True,
                               format_func=lambda m: tr(lang, f"metric.{m}"))
    style = controls[1].radio(tr(lang, "c_style"), [s.value for s in HierarchyStyle],
                              key=K_STYLE, persist_state=KEEP, horizontal=True,
                              format_func=lambda s: tr(lang, f"style.{s}"))
    top = controls[2].selectbox(tr(lang, "c_top"), list(TOPS), key=K_TOP,
                                persist_state=KEEP,
                                format_func=lambda n: tr(lang, "c_top_all") if n == 0
                                else tr(lang, "c_top_n", n=n))
    st.info(tr(lang, "macs_vs_flops"), icon="ℹ️")
    for chart in CHARTS:
        st.subheader(tr(lang, f"chart.{chart}"))
        st.caption(tr(lang, f"chart.{chart}.help"))
        with st.spinner(tr(lang, "drawing")):
            fig = figure_for(trace, chart, metric, style, int(top), lang)
        st.plotly_chart(fig, key=f"chart_{chart}", width="stretch",
                        config={"displaylogo": False})
        st.download_button(
            tr(lang, "download_html"), data=_html_of(fig), on_click="ignore",
            file_name=f"{file_stem(trace.spec)}_{chart}.html", mime="text/html",
            key=f"dl_chart_{chart}", icon=":material/download:")
    render_costs_panel(selection, trace)
