"""vizcnn's Streamlit app: ``streamlit run app.py``.

This file only sets the page and the navigation; the sidebar, the tabs and the cached traces
live in :mod:`vizcnn.ui`, and everything they show comes from the library.
"""

from __future__ import annotations

import streamlit as st

from vizcnn.api import Trace
from vizcnn.ui import cache, compute_tab, graph_tab, layers_tab
from vizcnn.ui.compare_tab import render_compare_tab
from vizcnn.ui.compute_tab import render_compute_tab
from vizcnn.ui.errors import guarded
from vizcnn.ui.graph_tab import render_graph_tab
from vizcnn.ui.header import render_header, render_summary
from vizcnn.ui.layers_tab import render_layers_tab
from vizcnn.ui.learn import render_learn_tab
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import (
    K_MODE,
    K_PRESET,
    K_SOURCE,
    K_TAB,
    remember_choices,
    render_sidebar,
)
from vizcnn.words import tab_labels, tr

st.set_page_config(page_title="vizcnn", page_icon="🧠", layout="wide")

# Choice widgets whose option labels change with the language (or, for the graph depth, with
# the model). A new widget of that kind must be listed here, or a language switch resets it.
TRANSLATED_CHOICES: tuple[str, ...] = (
    K_SOURCE, K_MODE, K_PRESET,
    graph_tab.K_DEPTH, graph_tab.K_DIRECTION, graph_tab.K_ZOOM,
    layers_tab.K_DEPTH,
    compute_tab.K_METRIC, compute_tab.K_STYLE, compute_tab.K_TOP,
)


def load_trace(selection: Selection) -> Trace | None:
    """The selection's trace (cached), or None after showing why it failed."""
    lang = selection.lang.value
    with guarded(lang, selection), st.spinner(tr(lang, "tracing")):
        return cache.trace_for(selection.key)
    return None


def render_learn(selection: Selection, trace: Trace) -> None:
    render_learn_tab(trace, selection.title, selection.lang.value, key_prefix="learn",
                     options=dict(selection.options))


def main() -> None:
    selection = render_sidebar()
    lang = selection.lang.value
    trace = load_trace(selection) if render_header(selection) else None
    if trace is not None:
        render_summary(selection, trace)
    pages = (
        (render_graph_tab, True),
        (render_layers_tab, True),
        (lambda s, _t: render_compute_tab(s), True),
        (lambda s, _t: render_compare_tab(s), False),
        (render_learn, True),
    )
    tabs = st.tabs(tab_labels(lang), key=K_TAB, on_change="rerun")
    for tab, (render, needs_trace) in zip(tabs, pages):
        if not tab.open:  # only the open tab runs: switching is a rerun
            continue
        with tab, guarded(lang, selection):
            if needs_trace and trace is None:
                st.info(tr(lang, "no_trace"))
            else:
                render(selection, trace)
    remember_choices(TRANSLATED_CHOICES)


with guarded(st.session_state.get("lang", "en")):
    main()
