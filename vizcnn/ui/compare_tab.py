"""Compare tab: several architectures at one input size side by side, and a resolution sweep
of the selected model (with a progress bar) showing that compute grows with the area while
the parameters stay put."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

import pandas as pd
import streamlit as st

import vizcnn
from vizcnn.render import charts
from vizcnn.ui import cache
from vizcnn.ui.errors import guarded
from vizcnn.ui.selection import Selection, Source
from vizcnn.ui.sidebar import KEEP
from vizcnn.words import tr
from vizcnn.views.sweep import ComparePoint, SweepPoint, sweep

K_MODELS = "cmp_models"
K_SIDE = "cmp_side"
K_RANGE = "sw_range"
K_STEP = "sw_step"
K_RUN = "sw_run"
SWEEP_RESULT = "_sweep_result"

DEFAULT_MODELS = ("alexnet", "vgg16", "googlenet", "resnet50", "mobilenet_v2",
                  "shufflenet_v2_x1_0", "ghostnet")
MAX_SWEEP_POINTS = 64


def sweep_sizes(low: int, high: int, step: int) -> list[int]:
    """Square sides from ``low`` to ``high`` (inclusive) every ``step``, at most 64 of them."""
    sizes = list(range(low, high + 1, max(1, step)))
    if sizes and sizes[-1] != high:
        sizes.append(high)
    return sizes[:MAX_SWEEP_POINTS]


def points_table(points: Sequence[ComparePoint | SweepPoint], lang: str) -> pd.DataFrame:
    """The points as a table with labelled columns (MACs and FLOPs apart)."""
    rows = [asdict(p) for p in points]
    names = {"name": "col.model", "family": "col.family", "size": "col.side",
             "params": "col.params", "macs": "col.macs", "flops": "col.flops",
             "peak_activation_bytes": "col.peak_activation_bytes",
             "total_activation_bytes": "col.total_activation_bytes", "error": "col.error"}
    table = pd.DataFrame(rows).drop(columns=["input_shape"], errors="ignore")
    table["error"] = table["error"].fillna("")
    return table.rename(columns={k: tr(lang, v) for k, v in names.items()})


def show_points(points: Sequence[ComparePoint | SweepPoint], lang: str) -> None:
    """The points as a table, big numbers with thousands separators."""
    table = points_table(points, lang)
    numbers = {tr(lang, f"col.{c}") for c in ("params", "macs", "flops",
                                              "peak_activation_bytes",
                                              "total_activation_bytes")}
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(c, format="localized") for c in numbers})


def _compare_section(selection: Selection, lang: str) -> None:
    st.subheader(tr(lang, "cmp_title"))
    st.caption(tr(lang, "cmp_help"))
    models = vizcnn.list_models()
    state = st.session_state
    if K_MODELS not in state:
        defaults = list(DEFAULT_MODELS)
        if selection.source is Source.ZOO and selection.model not in defaults:
            defaults.insert(0, selection.model)
        state[K_MODELS] = defaults
    state.setdefault(K_SIDE, 224)
    left, right = st.columns([5, 1])
    names = left.multiselect(tr(lang, "cmp_models"), models, key=K_MODELS,
                             persist_state=KEEP)
    side = int(right.number_input(tr(lang, "cmp_side"), min_value=1, max_value=2048, step=1,
                                  key=K_SIDE, persist_state=KEEP))
    if not names:
        st.info(tr(lang, "cmp_pick"))
        return
    bar = st.progress(0.0, text=tr(lang, "tracing"))
    points = []
    for done, name in enumerate(names, start=1):
        points.append(cache.compare_point(name, side))
        bar.progress(done / len(names), text=f"{tr(lang, 'tracing')} {name}")
    bar.empty()
    show_points(points, lang)
    fig = charts.compare_figure(points, lang=lang)
    st.plotly_chart(fig, key="chart_compare", width="stretch", config={"displaylogo": False})
    st.download_button(tr(lang, "download_html"), data=lambda: charts.figure_html(fig),
                       file_name=f"compare_{side}.html", mime="text/html", on_click="ignore",
                       key="dl_compare", icon=":material/download:")


def _run_sweep(selection: Selection, sizes: list[int], lang: str) -> list[SweepPoint]:
    bar = st.progress(0.0, text=tr(lang, "sw_running", done=0, total=len(sizes)))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=tr(lang, "sw_running", done=done, total=total))

    batch, channels = selection.input_shape[0], selection.input_shape[1]
    model: Any = selection.model
    options = dict(selection.options)
    if selection.source is Source.USER:
        model, options = cache.user_model(selection.model), {}
    points = sweep(model, sizes, channels=channels, batch=batch, progress=progress, **options)
    bar.empty()
    return points


def _sweep_section(selection: Selection, lang: str) -> None:
    st.subheader(tr(lang, "sw_title"))
    shape = selection.input_shape
    st.caption(tr(lang, "sw_help", model=selection.title, batch=shape[0], channels=shape[1]))
    state = st.session_state
    state.setdefault(K_RANGE, (32, 512))
    state.setdefault(K_STEP, 32)
    left, right = st.columns([5, 1])
    low, high = left.slider(tr(lang, "sw_range"), min_value=8, max_value=1024, step=8,
                            key=K_RANGE, persist_state=KEEP)
    step = int(right.number_input(tr(lang, "sw_step"), min_value=1, max_value=512, step=1,
                                  key=K_STEP, persist_state=KEEP))
    sizes = sweep_sizes(int(low), int(high), step)
    request = (selection.key, tuple(sizes))
    if st.button(tr(lang, "sw_run", n=len(sizes)), key=K_RUN, type="primary"):
        state[SWEEP_RESULT] = (request, _run_sweep(selection, sizes, lang))
    result = state.get(SWEEP_RESULT)
    if result is None:
        st.info(tr(lang, "sw_not_run"))
        return
    done_request, points = result
    if done_request != request:
        st.caption(tr(lang, "sw_stale"))
    rejected = [p for p in points if not p.ok]
    if rejected:
        st.warning(tr(lang, "sw_rejected", sizes=", ".join(str(p.size) for p in rejected),
                      error=rejected[0].error))
    fig = charts.sweep_figure(points, lang=lang)
    st.plotly_chart(fig, key="chart_sweep", width="stretch", config={"displaylogo": False})
    show_points(points, lang)
    st.download_button(tr(lang, "download_html"), data=lambda: charts.figure_html(fig),
                       file_name=f"sweep_{selection.file_stem}.html", mime="text/html",
                       on_click="ignore", key="dl_sweep", icon=":material/download:")


def render_compare_tab(selection: Selection) -> None:
    """The Compare tab body (the sweep needs a model; the comparison does not)."""
    lang = selection.lang.value
    with guarded(lang):
        _compare_section(selection, lang)
    st.divider()
    if selection.model:
        with guarded(lang, selection):
            _sweep_section(selection, lang)
