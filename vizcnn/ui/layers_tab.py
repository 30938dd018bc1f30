"""Layers tab: the shape table with text / op-kind / depth filters, the model's totals
(MACs and FLOPs labelled apart) and CSV / JSON / Markdown downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vizcnn.api import Trace
from vizcnn.experiments import file_stem
from vizcnn.words import human
from vizcnn.render.tables import to_csv, to_json_rows, to_markdown
from vizcnn.ui import choices
from vizcnn.ui.downloads import download_row
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import KEEP
from vizcnn.words import tr

K_FILTER = "l_filter"
K_KINDS = "l_kinds"
K_DEPTH = choices.translated("l_depth")
ALL = "all"


def render_totals(trace: Trace, lang: str) -> None:
    """Params, trainable, buffers, MACs and FLOPs as metrics, with the convention spelt out."""
    # each metric as wide as its label, wrapping onto a second row on a narrow screen (five
    # fixed columns cut "25.6M" to "2…" at 1024 px, and the Chinese labels even at 1440 px)
    with st.container(horizontal=True, gap="medium", key="totals"):
        for key, value in zip(("params", "trainable", "buffers", "macs", "flops"),
                              (trace.params, trace.trainable_params, trace.buffers,
                               trace.macs, trace.flops)):
            st.metric(tr(lang, f"total.{key}"), human(value), help=f"{value:,}",
                      width="content")
    st.caption(tr(lang, "macs_vs_flops"))
    if trace.uncounted:
        ops = ", ".join(f"{op} ×{n}" for op, n in sorted(trace.uncounted.items()))
        st.caption(tr(lang, "uncounted", ops=ops))
    if trace.device != "meta":
        st.caption(tr(lang, "cpu_fallback", reason=trace.fallback_reason or ""))


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with one type per column (Arrow, and so the browser grid, needs that)."""
    table = table.copy()
    table["groups"] = table["groups"].astype(str)
    for column in ("receptive_field", "effective_stride"):
        table[column] = table[column].astype("Int64")
    return table


def filter_rows(table: pd.DataFrame, text: str, kinds: list[str]) -> pd.DataFrame:
    """Rows whose path or type contains ``text`` (case-insensitive) and whose kind is in
    ``kinds`` (all kinds when empty)."""
    mask = pd.Series(True, index=table.index)
    if text:
        needle = text.strip().lower()
        mask &= (table["path"].str.lower().str.contains(needle, regex=False)
                 | table["type"].str.lower().str.contains(needle, regex=False))
    if kinds:
        mask &= table["kind"].isin(kinds)
    return table[mask]


TEXT_COLUMNS = ("type", "kind", "input_shape", "output_shape", "kernel", "stride", "padding",
                "groups")
NUMBER_COLUMNS = ("depth", "params", "macs", "flops", "activation_bytes", "receptive_field",
                  "effective_stride")


def column_config(lang: str) -> dict:
    """Column titles in ``lang``; big numbers with thousands separators; the path pinned."""
    config: dict = {"path": st.column_config.TextColumn(tr(lang, "col.path"), width="medium",
                                                        pinned=True)}
    for column in TEXT_COLUMNS:
        config[column] = st.column_config.TextColumn(tr(lang, f"col.{column}"))
    for column in NUMBER_COLUMNS:
        config[column] = st.column_config.NumberColumn(tr(lang, f"col.{column}"),
                                                       format="localized")
    return config


def render_layers_tab(selection: Selection, trace: Trace) -> None:
    """The Layers tab body."""
    lang = selection.lang.value
    render_totals(trace, lang)
    max_depth = max((n.depth for n in trace.nodes), default=0)
    depths = [ALL, *range(1, max_depth + 1)]
    if st.session_state.get(K_DEPTH) not in depths:
        st.session_state[K_DEPTH] = ALL
    controls = st.columns([3, 3, 2])
    text = controls[0].text_input(tr(lang, "l_filter"), key=K_FILTER, persist_state=KEEP,
                                  placeholder=tr(lang, "l_filter_placeholder"))
    depth = controls[2].selectbox(
        tr(lang, "l_depth"), depths, key=K_DEPTH, persist_state=KEEP,
        help=tr(lang, "l_depth_help"),
        format_func=lambda d: tr(lang, "l_depth_all") if d == ALL else str(d))
    depth_arg = None if depth == ALL else int(depth)
    table = display_table(trace.table(depth_arg))
    kinds = sorted(table["kind"].unique())
    st.session_state[K_KINDS] = [k for k in st.session_state.get(K_KINDS, []) if k in kinds]
    chosen = controls[1].multiselect(tr(lang, "l_kinds"), kinds, key=K_KINDS,
                                     persist_state=KEEP,
                                     placeholder=tr(lang, "l_kinds_placeholder"))
    shown = filter_rows(table, text, chosen)
    st.caption(tr(lang, "l_count", shown=len(shown), total=len(table)))
    st.dataframe(shown, hide_index=True, width="stretch", height=560,
                 column_config=column_config(lang))
    stem = file_stem(trace.spec) + ("" if depth_arg is None else f"_depth{depth_arg}")
    download_row(lang, [
        ("CSV", to_csv(trace, depth_arg), f"{stem}.csv", "text/csv", "dl_csv"),
        ("JSON", to_json_rows(trace, depth_arg), f"{stem}.json", "application/json",
         "dl_json"),
        ("Markdown", to_markdown(trace, depth_arg), f"{stem}.md", "text/markdown", "dl_md"),
    ])
