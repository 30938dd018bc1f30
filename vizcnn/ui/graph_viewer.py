"""The interactive graph viewer in the app: the viewer of :mod:`vizcnn.render.interactive`
mounted with ``st.components.v2`` (inline JS/CSS, no build step, nothing fetched).

A click in the viewer opens or closes a block there at once (the JavaScript emitter and
Graphviz-in-WASM redraw it without a rerun), then sends the open set and the fold switch back
with ``setStateValue``; the callback writes them into the depth slider, the block picker and
the fold toggle, so those widgets, and the URL made from them, follow the clicks. When the
app's own state equals what the viewer shows, nothing is redrawn; a run that started before
the latest click (its ``ack`` is older than the click's number) leaves the viewer as the click
drew it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable

import streamlit as st

from vizcnn.api import Trace
from vizcnn.render.dot import GraphOptions
from vizcnn.render.interactive import viewer_css, viewer_data, viewer_script
from vizcnn.spec import TraceSpec
from vizcnn.ui import cache

COMPONENT = "vizcnn_graph_viewer"
HEIGHT = "fill"   # the stage reaches the window's bottom edge (viewer.js fillWindow)

# The viewer's script (1.3 MB: Graphviz in WASM) is a component of its own whose message never
# changes, so Streamlit sends it to a page once and a reference to it on every later run (a
# message of the same hash the browser holds); the viewer component, sent again whenever its
# data changes, stays small and waits for the script.
_SCRIPT_JS = """
const SCRIPT = %s;
if (!window.vizcnnViewer) {
  const tag = document.createElement("script");
  tag.textContent = SCRIPT;
  document.head.appendChild(tag);
}
export default function () {}
"""

_JS = """
function loaded() {
  if (window.vizcnnViewer) return Promise.resolve();
  return new Promise((resolve) => {
    const wait = () => (window.vizcnnViewer ? resolve() : setTimeout(wait, 15));
    wait();
  });
}
function show(component) {
  const { data, parentElement, setStateValue } = component;
  const host = parentElement;
  host.__vizcnnSend = setStateValue;   // the latest run's: an earlier one may be stale
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const live = host.__vizcnn;
  if (live && live.key === data.key) {
    // a run that started before the latest click has not seen it: keep what the click drew
    if (data.ack < (host.__vizcnnRev || 0)) return;
    const v = live.viewer;
    if (same(v.openList(), data.viewer.open) && v.fold === data.viewer.fold) return;
    v.open = new Set(data.viewer.open);
    v.fold = data.viewer.fold;
    v.foldBox.checked = v.fold;
    v.draw(null);   // the app changed the view (depth, picker): show it fitted
    return;
  }
  if (live) live.box.remove();
  const box = document.createElement("div");
  box.className = "vzv-host";
  host.appendChild(box);
  const viewer = window.vizcnnViewer.mount(box, data.viewer, {
    height: data.height,
    onState: (state) => {
      host.__vizcnnRev = (host.__vizcnnRev || 0) + 1;
      host.__vizcnnSend("view", { ...state, rev: host.__vizcnnRev });
    },
  });
  host.__vizcnn = { key: data.key, viewer, box };
}
export default function (component) {
  if (!component.data) return;
  const host = component.parentElement;
  host.__vizcnnLatest = component;   // a later run's data wins over one still waiting
  loaded().then(() => { if (host.__vizcnnLatest === component) show(component); });
}
"""


@st.cache_resource(show_spinner=False)
def _script_component():
    """Registered once per process: the viewer's script and styles, as one unchanging text."""
    return st.components.v2.component(COMPONENT + "_script", css=viewer_css(),
                                      js=_SCRIPT_JS % json.dumps(viewer_script()),
                                      isolate_styles=False)


@st.cache_resource(show_spinner=False)
def _component():
    return st.components.v2.component(COMPONENT, js=_JS, isolate_styles=False)


@st.cache_data(max_entries=32, show_spinner=False)
def _data(_trace: Trace, key: TraceSpec | str, options: GraphOptions) -> dict:
    return viewer_data(_trace, options)


def _view_key(key: TraceSpec | str, options: GraphOptions) -> str:
    """What the viewer's drawing depends on besides the open set and folding."""
    text = repr((key, options.direction, options.highlight_key_blocks, options.show_shapes,
                 options.legend, options.lang))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def graph_viewer(trace: Trace, options: GraphOptions, *, widget_key: str,
                 on_change: Callable[[], None]) -> None:
    """Mount the viewer of ``trace`` drawn as ``options`` say; ``on_change`` runs when a
    click changed the open set or the fold switch (read them with :func:`viewer_state`)."""
    key = cache.render_key(trace)
    data = _data(trace, key, options)
    sent = (st.session_state.get(widget_key) or {}).get("view") or {}
    with st.container(gap=None):
        _script_component()(key=widget_key + "_script")
        _component()(
            key=widget_key,
            data={"key": _view_key(key, options), "viewer": data, "height": HEIGHT,
                  "ack": int(sent.get("rev", 0))},   # the last click this run has seen
            default={"view": {"open": data["open"], "fold": data["fold"]}},
            on_view_change=on_change)


def viewer_state(widget_key: str) -> tuple[list[str], bool] | None:
    """The open set and fold switch the viewer last sent, if it sent any."""
    state = st.session_state.get(widget_key)
    view = state.get("view") if state is not None else None
    if not view:
        return None
    return list(view["open"]), bool(view["fold"])


__all__ = ["graph_viewer", "viewer_state"]
