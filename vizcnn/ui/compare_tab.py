"""Compare tab: several architectures at one input size side by side, and a resolution sweep
of the traced model (with a progress bar) showing that compute grows with the area while
the parameters stay put. Both start from the trace on screen: its model keeps its options,
and every row shares its batch and train/eval mode."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

import vizcnn
from vizcnn.api import Trace
from vizcnn.experiments import (
    MAX_SWEEP_SIDES, compare_spec, file_stem, model_label, point_of, sides_between,
    smallest_step, sweep,
)
from vizcnn.render import charts
from vizcnn.spec import ModelSource, ModelSpec
from vizcnn.ui import cache, inputs
from vizcnn.ui.errors import guarded
from vizcnn.ui.inputs import Problem
from vizcnn.ui.latency import render_latency_lesson
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import KEEP
from vizcnn.words import tr
from vizcnn.views.sweep import ComparePoint, SweepPoint

K_MODELS = "cmp_models"
K_SIDE = inputs.CMP_SIDE.key
K_RANGE = "sw_range"
K_STEP = inputs.SW_STEP.key
K_RUN = "sw_run"
SWEEP_RESULT = "_sweep_result"

DEFAULT_MODELS = ("alexnet", "vgg16", "googlenet", "resnet50", "mobilenet_v2",
                  "shufflenet_v2_x1_0", "ghostnet")
NUMBERS = ("params", "macs", "flops", "peak_activation_bytes", "total_activation_bytes")


def _shape(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def points_table(points: Sequence[ComparePoint | SweepPoint], lang: str) -> pd.DataFrame:
    """The points as a table: what each row is first (model or side), then the figures
    (MACs and FLOPs apart), then why a row was rejected — a rejected row has no figures."""
    rows = []
    for p in points:
        first = ({"col.model": p.name, "col.family": p.family}
                 if isinstance(p, ComparePoint) else {"col.side": p.size})
        rows.append({**first, "col.input": _shape(p.input_shape),
                     **{f"col.{n}": getattr(p, n) for n in NUMBERS},
                     "col.error": p.error or ""})
    table = pd.DataFrame(rows)
    for name in NUMBERS:
        table[f"col.{name}"] = table[f"col.{name}"].astype("Int64")  # empty, not 0
    return table.rename(columns={c: tr(lang, c) for c in table.columns})


def show_points(points: Sequence[ComparePoint | SweepPoint], lang: str) -> None:
    """The points as a table, big numbers with thousands separators."""
    table = points_table(points, lang)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        tr(lang, f"col.{c}"): st.column_config.NumberColumn(tr(lang, f"col.{c}"),
                                                            format="localized")
        for c in NUMBERS})


def _row_models(names: Sequence[str], traced: ModelSpec) -> list[ModelSpec | str]:
    """The rows: a zoo name the trace is of stands for the traced model (its options and
    classes); a user model on screen comes first."""
    rows: list[ModelSpec | str] = [traced if name == traced.name else name for name in names]
    if traced.source is not ModelSource.ZOO:
        rows.insert(0, traced)
    return rows


def compare_points(trace: Trace, names: Sequence[str], side: int) -> list[ComparePoint]:
    """One point per row at ``side``, in the trace's batch and mode; the row of the traced
    model at the trace's own input is the trace itself."""
    traced, shape, training = trace.spec.model, trace.spec.input_shape, trace.spec.training
    points = []
    for model in _row_models(names, traced):
        # the traced model takes the trace's channels; a zoo name its card's
        size = (shape[0], shape[1], side, side) if model == traced else side
        spec = compare_spec(model, size, batch=shape[0], training=training)
        points.append(point_of(trace) if spec == trace.spec else cache.compare_point(spec))
    return points


def _compare_section(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "cmp_title"))
    mode = tr(lang, "mode.train" if trace.spec.training else "mode.eval")
    st.caption(tr(lang, "cmp_setting", batch=trace.spec.input_shape[0], mode=mode,
                  model=model_label(trace.spec.model)))
    state = st.session_state
    traced = trace.spec.model
    if K_MODELS not in state:
        defaults = list(DEFAULT_MODELS)
        if traced.source is ModelSource.ZOO and traced.name not in defaults:
            defaults.insert(0, traced.name)
        state[K_MODELS] = defaults
    state.setdefault(K_SIDE, "224")
    left, right = st.columns([5, 1])
    names = left.multiselect(tr(lang, "cmp_models"), vizcnn.list_models(), key=K_MODELS,
                             persist_state=KEEP)
    side = inputs.number_field(inputs.CMP_SIDE, lang, right, persist_state=KEEP)
    if isinstance(side, Problem):
        st.error(side.text(lang), icon="⚠️")
        st.info(tr(lang, "cmp_shows_nothing"))
        return
    if not names and traced.source is ModelSource.ZOO:
        st.info(tr(lang, "cmp_pick"))
        return
    with st.spinner(tr(lang, "tracing")):
        points = compare_points(trace, names, side)
    show_points(points, lang)
    fig = charts.compare_figure(points, lang=lang)
    st.plotly_chart(fig, key="chart_compare", width="stretch", config={"displaylogo": False})
    st.download_button(tr(lang, "download_html"), data=lambda: charts.figure_html(fig),
                       file_name=f"compare_{side}_{file_stem(trace.spec)}.html",
                       mime="text/html", on_click="ignore", key="dl_compare",
                       icon=":material/download:")
    render_latency_lesson(lang, names, key="cmp_latency")   # the compared zoo models


def _run_sweep(trace: Trace, sides: list[int], lang: str) -> list[SweepPoint]:
    bar = st.progress(0.0, text=tr(lang, "sw_running", done=0, total=len(sides)))

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=tr(lang, "sw_running", done=done, total=total))

    points = sweep(trace, sides, progress=progress)
    bar.empty()
    return points


def _sweep_section(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "sw_title"))
    shape = trace.spec.input_shape
    st.caption(tr(lang, "sw_help", model=model_label(trace.spec.model), batch=shape[0],
                  channels=shape[1]))
    state = st.session_state
    state.setdefault(K_RANGE, (32, 512))
    state.setdefault(K_STEP, "32")
    left, right = st.columns([5, 1])
    low, high = left.slider(tr(lang, "sw_range"), min_value=8, max_value=1024, step=8,
                            key=K_RANGE, persist_state=KEEP)
    step = inputs.number_field(inputs.SW_STEP, lang, right, persist_state=KEEP)
    if isinstance(step, Problem):
        st.error(step.text(lang), icon="⚠️")
        st.info(tr(lang, "sw_shows_nothing"))
        return
    sides = sides_between(int(low), int(high), step)
    if len(sides) > MAX_SWEEP_SIDES:
        st.error(tr(lang, "sw_too_many", low=low, high=high, step=step, n=len(sides),
                    limit=MAX_SWEEP_SIDES, smallest=smallest_step(int(low), int(high))),
                 icon="⚠️")
        st.info(tr(lang, "sw_shows_nothing"))
        return
    request = (trace.spec, tuple(sides))
    if st.button(tr(lang, "sw_run", n=len(sides)), key=K_RUN, type="primary"):
        state[SWEEP_RESULT] = (request, _run_sweep(trace, sides, lang))
    result = state.get(SWEEP_RESULT)
    if result is None:
        st.info(tr(lang, "sw_not_run"))
        return
    done_request, points = result
    if done_request != request:  # never show the sweep of other settings
        st.info(tr(lang, "sw_changed"))
        return
    rejected = [p for p in points if not p.ok]
    if rejected:
        st.warning(tr(lang, "sw_rejected", sizes=", ".join(str(p.size) for p in rejected),
                      error=rejected[0].error))
    fig = charts.sweep_figure(points, lang=lang)
    st.plotly_chart(fig, key="chart_sweep", width="stretch", config={"displaylogo": False})
    show_points(points, lang)
    st.download_button(tr(lang, "download_html"), data=lambda: charts.figure_html(fig),
                       file_name=f"sweep_{low}-{high}-{step}_{file_stem(trace.spec)}.html",
                       mime="text/html", on_click="ignore", key="dl_sweep",
                       icon=":material/download:")


def render_compare_tab(selection: Selection, trace: Trace) -> None:
    """The Compare tab body."""
    lang = selection.lang.value
    with guarded(lang):
        _compare_section(trace, lang)
    st.divider()
    with guarded(lang, selection):
        _sweep_section(trace, lang)
