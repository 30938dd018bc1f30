"""Compute tab, "Beyond MACs": why the FLOP counters disagree, where the bytes go (roofline),
what a training step needs (training memory) and, opt-in, measured CPU latency. The section
opens with a toggle, so the tab's breakdown charts stay first and alone until asked.

Only widgets here: every number comes from :mod:`vizcnn.views.conventions`,
:mod:`vizcnn.views.traffic`, :mod:`vizcnn.experiments.training_memory` and
:mod:`vizcnn.experiments.profile`. The two experiments run only when a button is pressed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from vizcnn.api import Trace
from vizcnn.experiments import file_stem
from vizcnn.experiments import profile as prof
from vizcnn.experiments import training_memory as tm
from vizcnn.experiments.machine import measure_machine
from vizcnn.experiments.reconcile import conventions
from vizcnn.render import charts, cost_charts
from vizcnn.render.cost_tables import write_rows
from vizcnn.spec import TraceSpec
from vizcnn.ui import cache
from vizcnn.ui.downloads import download_row
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import KEEP
from vizcnn.words import tr
from vizcnn.views import conventions as conv
from vizcnn.views import traffic
from vizcnn.views.stages import stage_of

K_SHOW = "cost_show"
K_DEVICE = "cost_device"
K_DTYPE = "cost_dtype"
K_BATCH = "cost_batch"
K_PRECISION = "cost_precision"
K_OPTIMIZER = "cost_optimizer"
K_BUDGET = "cost_budget"
K_MEASURE = "cost_measure_machine"
K_TRAIN = "cost_train_run"
K_PROFILE = "cost_profile_run"
MACHINE = "this machine (measure)"
DTYPES = ("float32", "float16", "bfloat16", "int8")
PROFILE_TIME_LIMIT = 5.0     # seconds, the whole run
PROFILE_REPEATS = 3


# Cached by the trace's render key: its spec for a zoo model, its content for a user model
# (whose file may change); the trace itself is passed unhashed.
@st.cache_data(max_entries=32, show_spinner=False)
def _reconciliation(_trace: Trace, key: TraceSpec | str) -> conv.Reconciliation:
    return conventions(_trace)


@st.cache_data(max_entries=32, show_spinner=False)
def _training(_trace: Trace, key: TraceSpec | str, batch: int, precision: str, optimizer: str,
              budget_gib: float) -> tuple[tm.TrainingMemory, int]:
    memory = tm.training_memory(_trace, batch, precision, optimizer)
    return memory, tm.max_batch(_trace, int(budget_gib * 2 ** 30), precision, optimizer)


@st.cache_data(max_entries=16, show_spinner=False)
def _profile(_trace: Trace, key: TraceSpec | str) -> prof.Profile:
    return prof.profile(_trace, PROFILE_REPEATS, PROFILE_TIME_LIMIT, threads=1)


def _opted_in(key: str, label: str, trace_key: TraceSpec | str) -> bool:
    """True once the button was pressed for this very trace: another model (or input) needs
    its own press, so nothing runs on the CPU without being asked."""
    if st.button(label, key=key):
        st.session_state[f"{key}_for"] = trace_key
    return st.session_state.get(f"{key}_for") == trace_key


def _downloads(lang: str, stem: str, name: str, rows: list[dict[str, Any]], title: str,
               figure: Any) -> None:
    download_row(lang, [
        ("CSV", lambda: write_rows(rows, "csv"), f"{stem}_{name}.csv", "text/csv",
         f"dl_cost_{name}_csv"),
        ("JSON", lambda: write_rows(rows, "json", title), f"{stem}_{name}.json",
         "application/json", f"dl_cost_{name}_json"),
        ("Markdown", lambda: write_rows(rows, "md", title), f"{stem}_{name}.md",
         "text/markdown", f"dl_cost_{name}_md"),
        ("HTML", lambda: charts.figure_html(figure), f"{stem}_{name}.html", "text/html",
         f"dl_cost_{name}_html"),
    ])


def _counters(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "cost.counters"))
    st.caption(tr(lang, "cost.counters.help"))
    rec = _reconciliation(trace, cache.render_key(trace))
    rows = conv.reconciliation_rows(rec)
    st.dataframe(rows, hide_index=True, key="cost_counters_table")
    figure = cost_charts.conventions_figure(rec, lang)
    st.plotly_chart(figure, key="chart_cost_counters", width="stretch",
                    config={"displaylogo": False})
    if rec.figures:
        st.markdown(f"**{tr(lang, 'cost.published')}**")
        st.dataframe(conv.figure_rows(rec), hide_index=True, key="cost_published_table")
    _downloads(lang, file_stem(trace.spec), "counters", rows,
               f"{rec.model}: counters vs vizcnn MACs", figure)


def _device(lang: str) -> traffic.Device:
    names = [*traffic.DEVICE_PRESETS, MACHINE]
    st.session_state.setdefault(K_DEVICE, "NVIDIA T4")
    columns = st.columns([3, 2, 2, 2])
    name = columns[0].selectbox(tr(lang, "cost.device"), names, key=K_DEVICE,
                                persist_state=KEEP)
    if name == MACHINE:
        if columns[0].button(tr(lang, "cost.measure"), key=K_MEASURE):
            with st.spinner(tr(lang, "cost.measuring")):
                st.session_state["cost_machine"] = measure_machine(0.5)
        base = st.session_state.get("cost_machine")
        if base is None:
            base = traffic.DEVICE_PRESETS["NVIDIA T4"]
            columns[0].caption(tr(lang, "cost.not_measured"))
        else:
            columns[0].caption(base.name)
    else:
        base = traffic.DEVICE_PRESETS[name]
    slug = "machine" if name == MACHINE else name.replace(" ", "_")
    if name == MACHINE and "cost_machine" in st.session_state:
        slug += f"_{base.peak_flops:.0f}"
    peak = columns[1].number_input(tr(lang, "cost.peak"), min_value=1e-3,
                                   value=float(round(base.peak_flops / 1e12, 4)), format="%.4g",
                                   key=f"cost_peak_{slug}")
    bandwidth = columns[2].number_input(tr(lang, "cost.bandwidth"), min_value=1e-3,
                                        value=float(round(base.bandwidth / 1e9, 3)),
                                        format="%.4g", key=f"cost_bw_{slug}")
    columns[3].selectbox(tr(lang, "cost.dtype"), DTYPES, key=K_DTYPE, persist_state=KEEP)
    return traffic.Device(base.name, peak * 1e12, bandwidth * 1e9, base.note)


def _traffic(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "cost.traffic"))
    st.caption(tr(lang, "cost.traffic.help"))
    device = _device(lang)
    dtype = st.session_state.get(K_DTYPE, "float32")
    layers = traffic.layer_traffic(trace, dtype)
    points = traffic.roofline(layers, device)
    share = traffic.memory_bound_share(points)
    cols = st.columns(3)
    cols[0].metric(tr(lang, "cost.bytes"), f"{sum(r.bytes for r in layers) / 1e6:.4g} MB")
    cols[1].metric(tr(lang, "cost.ridge"), f"{device.ridge:.3g} FLOP/B")
    cols[2].metric(tr(lang, "cost.memory_bound"),
                   f"{100 * share['time']:.0f} % / {100 * share['flops']:.0f} %")
    figure = cost_charts.roofline_figure(layers, device, trace.model, dtype, lang)
    st.plotly_chart(figure, key="chart_cost_roofline", width="stretch",
                    config={"displaylogo": False})
    stage_rows = traffic.totals(layers, stage_of(trace))
    st.dataframe(stage_rows, hide_index=True, key="cost_traffic_stages")
    _downloads(lang, file_stem(trace.spec), "traffic", traffic.traffic_rows(layers, device),
               f"{trace.model}: memory traffic at {dtype} on {device.name}", figure)


def _training_memory(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "cost.training"))
    st.caption(tr(lang, "cost.training.help"))
    columns = st.columns(4)
    batch = columns[0].number_input(tr(lang, "cost.batch"), min_value=1, max_value=4096,
                                    value=32, step=1, key=K_BATCH)
    precision = columns[1].selectbox(tr(lang, "cost.precision"),
                                     [p.value for p in tm.Precision], key=K_PRECISION,
                                     persist_state=KEEP)
    optimizer = columns[2].selectbox(tr(lang, "cost.optimizer"),
                                     [o.value for o in tm.Optimizer], index=2,
                                     key=K_OPTIMIZER, persist_state=KEEP)
    budget = columns[3].number_input(tr(lang, "cost.budget"), min_value=0.01, value=16.0,
                                     key=K_BUDGET)
    key = cache.render_key(trace)
    if not _opted_in(K_TRAIN, tr(lang, "cost.train_run"), key):
        st.info(tr(lang, "cost.train_idle"))
        return
    with st.spinner(tr(lang, "cost.train_running")):
        memory, best = _training(trace, key, int(batch), precision, optimizer, float(budget))
    cols = st.columns(3)
    cols[0].metric(tr(lang, "cost.total"), f"{memory.total_bytes / 2 ** 30:.3g} GiB")
    cols[1].metric(tr(lang, "cost.activations"), f"{memory.activation_bytes / 2 ** 30:.3g} GiB")
    cols[2].metric(tr(lang, "cost.max_batch", budget=f"{budget:g}"), f"{best}")
    figure = cost_charts.training_memory_figure(memory, lang)
    st.plotly_chart(figure, key="chart_cost_training", width="stretch",
                    config={"displaylogo": False})
    _downloads(lang, file_stem(trace.spec), "training_memory",
               tm.summary_rows(memory) + tm.memory_rows(memory),
               f"{trace.model}: training memory, batch {memory.batch}", figure)


def _latency(trace: Trace, lang: str) -> None:
    st.subheader(tr(lang, "cost.latency"))
    st.caption(tr(lang, "cost.latency.help", limit=f"{PROFILE_TIME_LIMIT:g}",
                  repeats=PROFILE_REPEATS))
    key = cache.render_key(trace)
    if not _opted_in(K_PROFILE, tr(lang, "cost.profile_run"), key):
        return
    with st.spinner(tr(lang, "cost.profiling")):
        result = _profile(trace, key)
    st.metric(tr(lang, "cost.latency_total", threads=result.threads, runs=result.runs),
              f"{result.median_s * 1e3:.4g} ms")
    figure = cost_charts.latency_figure(result, lang)
    st.plotly_chart(figure, key="chart_cost_latency", width="stretch",
                    config={"displaylogo": False})
    _downloads(lang, file_stem(trace.spec), "latency", prof.profile_rows(result),
               f"{result.model}: measured CPU latency", figure)


def render_costs_panel(selection: Selection, trace: Trace) -> None:
    """The "Beyond MACs" section of the Compute tab."""
    lang = selection.lang.value
    st.header(tr(lang, "cost.title"))
    if not st.toggle(tr(lang, "cost.show"), key=K_SHOW, persist_state=KEEP):
        st.caption(tr(lang, "cost.show.help"))
        return
    _counters(trace, lang)
    _traffic(trace, lang)
    _training_memory(trace, lang)
    _latency(trace, lang)
