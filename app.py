"""vizcnn's Streamlit app: ``streamlit run app.py``.

This file only sets the page and the navigation; the sidebar, the tabs and the cached traces
live in :mod:`vizcnn.ui`, and everything they show comes from the library. Every tab is
``render(selection, trace)`` and shows the trace it is given.
"""

from __future__ import annotations

import streamlit as st

from vizcnn.api import Trace
from vizcnn.spec import ModelSource
from vizcnn.ui import cache, choices, graph_tab
from vizcnn.ui.compare_tab import render_compare_tab
from vizcnn.ui.compute_tab import render_compute_tab
from vizcnn.ui.errors import guarded
from vizcnn.ui.graph_tab import render_graph_tab
from vizcnn.ui.header import render_header, render_summary
from vizcnn.ui.inputs import show_problems
from vizcnn.ui.layers_tab import render_layers_tab
from vizcnn.ui.learn import render_learn_tab
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import K_TAB, publish_view, render_sidebar
from vizcnn.words import tab_labels, tr

st.set_page_config(page_title="vizcnn", page_icon="🧠", layout="wide")


def load_trace(selection: Selection) -> Trace | None:
    """The selection's trace (cached under its spec), or None after showing why not."""
    lang = selection.lang.value
    if selection.problems:
        show_problems(selection.problems, lang)
        return None
    if selection.spec is None:
        return None
    with guarded(lang, selection), st.spinner(tr(lang, "tracing")):
        return cache.trace_for(selection.spec)
    return None


def render_learn(selection: Selection, trace: Trace) -> None:
    model = trace.spec.model
    name = model.name if model.source is ModelSource.ZOO else model.name.rpartition(":")[2]
    render_learn_tab(trace, name, selection.lang.value, key_prefix="learn")


PAGES = (render_graph_tab, render_layers_tab, render_compute_tab, render_compare_tab,
         render_learn)


def main() -> None:
    selection = render_sidebar()
    lang = selection.lang.value
    trace = load_trace(selection) if render_header(selection) else None
    if trace is not None:
        render_summary(selection, trace)
    tabs = st.tabs(tab_labels(lang), key=K_TAB, on_change="rerun")
    for tab, render in zip(tabs, PAGES):
        if not tab.open:  # only the open tab runs: switching is a rerun
            continue
        with tab, guarded(lang, selection):
            if trace is None:
                st.info(tr(lang, "no_trace"))
            else:
                render(selection, trace)
    publish_view(selection, *graph_tab.url_view())
    choices.remember()


with guarded(st.session_state.get("lang", "en")):
    main()
