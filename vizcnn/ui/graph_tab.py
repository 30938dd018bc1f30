"""Graph tab: the layer graph (Graphviz SVG inline, scrollable and zoomable), collapsed by
depth, with chosen blocks opened, repeats folded, and SVG/PNG/PDF/DOT downloads."""

from __future__ import annotations

import html
import re

import streamlit as st

from vizcnn.api import Trace
from vizcnn.experiments import file_stem
from vizcnn.render.dot import Direction, GraphOptions, legend_items
from vizcnn.ui import cache, choices
from vizcnn.ui.downloads import download_row
from vizcnn.ui.inputs import choice_problem
from vizcnn.ui.selection import Selection
from vizcnn.ui.sidebar import KEEP, URL_GRAPH
from vizcnn.words import tr

K_DEPTH = choices.translated("g_depth")  # its last label names the model's deepest depth
K_EXPAND = "g_expand"
K_FOLD = "g_fold"
K_DIRECTION = choices.translated("g_direction")
K_SHAPES = "g_shapes"
K_KEY_BLOCKS = "g_key_blocks"
K_LEGEND = "g_legend"
K_ZOOM = choices.translated("g_zoom")

FIT = "fit"
ZOOMS: tuple[object, ...] = (FIT, 25, 50, 75, 100, 125, 150, 200)
DEFAULT_DEPTH = 2

_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def max_depth(trace: Trace) -> int:
    """The depth at which every leaf layer is its own box."""
    return max((n.depth for n in trace.nodes), default=0) + 1


def openable_blocks(trace: Trace) -> list[str]:
    """Module paths that contain other modules, in execution order (what "open" can open)."""
    paths = [p for p in trace.modules if p]
    parents = {p.rsplit(".", 1)[0] for p in paths if "." in p}
    return [p for p in paths if p in parents]


def svg_for_page(svg: bytes, zoom: object) -> str:
    """Graphviz SVG ready to inline: no XML prolog, scaled by ``zoom`` percent (or fitted to
    the page width), inside a box that scrolls rather than shrinking big graphs."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg"):]
    match = _SIZE.search(text)
    if match:
        width, height = float(match.group(1)), float(match.group(2))
        if zoom == FIT:  # shrink a wide graph to the page, never enlarge a narrow one
            size = f'width="{width:.0f}pt" style="max-width:100%; height:auto"'
        else:
            scale = float(zoom) / 100  # type: ignore[arg-type]
            size = f'width="{width * scale:.0f}pt" height="{height * scale:.0f}pt"'
        text = text[:match.start()] + f"<svg {size}" + text[match.end():]
    return ('<div class="vizcnn-graph" style="overflow:auto; max-height:78vh; '
            'border:1px solid #d0d7de; border-radius:6px; background:#fff; padding:4px">'
            f"{text}</div>")


def _legend_html(trace: Trace, lang: str) -> str:
    kinds = {n.kind for n in trace.nodes} | {"block"}
    chips = "".join(
        f'<span style="display:inline-block; margin:2px 6px 2px 0; padding:1px 8px; '
        f'border:1px solid #888; border-radius:4px; background:{item.colour}; '
        f'font-size:0.8rem; color:#111">'
        f'{html.escape(item.label)}</span>'
        for item in legend_items(kinds, lang))
    return f'<div style="line-height:1.9">{chips}</div>'


def _apply_link(depths: list[int], blocks: list[str], lang: str) -> None:
    """Take the link's depth and open blocks once, checked against this trace; a value the
    trace does not have is reported (and the control keeps its own value)."""
    state = st.session_state
    pending = state.pop(URL_GRAPH, None) or {}
    if "depth" in pending:
        if pending["depth"] in depths:
            state[K_DEPTH] = pending["depth"]
        else:
            st.warning(choice_problem("depth", str(pending["depth"]),
                                      (f"1–{depths[-1]}",)).text(lang), icon="⚠️")
    if "open" in pending:
        unknown = [p for p in pending["open"] if p not in blocks]
        state[K_EXPAND] = [p for p in pending["open"] if p in blocks]
        if unknown:
            st.warning(choice_problem("open", ",".join(unknown),
                                      (tr(lang, "g_expand_choices"),)).text(lang), icon="⚠️")


def url_view() -> tuple[int | None, tuple[str, ...]]:
    """The graph's depth and open blocks for the URL (the link's until the tab is drawn)."""
    state = st.session_state
    pending = state.get(URL_GRAPH) or {}
    return (state.get(K_DEPTH, pending.get("depth")),
            tuple(state.get(K_EXPAND, pending.get("open", ()))))


def _sanitise_state(trace: Trace, lang: str) -> tuple[list[int], list[str]]:
    depths = list(range(1, max_depth(trace) + 1))
    blocks = openable_blocks(trace)
    _apply_link(depths, blocks, lang)
    state = st.session_state
    if state.get(K_DEPTH) not in depths:
        state[K_DEPTH] = min(DEFAULT_DEPTH, depths[-1])
    state[K_EXPAND] = [p for p in state.get(K_EXPAND, []) if p in blocks]
    for key, default in ((K_FOLD, True), (K_SHAPES, True), (K_KEY_BLOCKS, True),
                         (K_LEGEND, False)):
        state.setdefault(key, default)
    state.setdefault(K_DIRECTION, Direction.TB.value)
    state.setdefault(K_ZOOM, 100)
    return depths, blocks


def graph_options_from_controls(trace: Trace, lang: str) -> tuple[GraphOptions, object]:
    """Draw the graph controls; return the chosen options and zoom."""
    depths, blocks = _sanitise_state(trace, lang)
    last = depths[-1]
    top = st.columns([3, 2, 3])
    depth = top[0].select_slider(
        tr(lang, "g_depth"), depths, key=K_DEPTH, persist_state=KEEP,
        help=tr(lang, "g_depth_help"),
        format_func=lambda d: tr(lang, "g_depth_all", depth=d) if d == last else str(d))
    direction = top[1].radio(tr(lang, "g_direction"), [d.value for d in Direction],
                             key=K_DIRECTION, persist_state=KEEP, horizontal=True,
                             format_func=lambda d: tr(lang, f"g_direction.{d}"))
    zoom = top[2].select_slider(tr(lang, "g_zoom"), list(ZOOMS), key=K_ZOOM,
                                persist_state=KEEP,
                                format_func=lambda z: tr(lang, "g_fit") if z == FIT
                                else f"{z}%")
    types = {p: trace.modules[p].type for p in blocks}
    expand = st.multiselect(tr(lang, "g_expand"), blocks, key=K_EXPAND, persist_state=KEEP,
                            help=tr(lang, "g_expand_help"),
                            placeholder=tr(lang, "g_expand_placeholder"),
                            format_func=lambda p: f"{p} · {types[p]}")
    toggles = st.columns(4)
    fold = toggles[0].toggle(tr(lang, "g_fold"), key=K_FOLD, persist_state=KEEP,
                             help=tr(lang, "g_fold_help"))
    shapes = toggles[1].toggle(tr(lang, "g_shapes"), key=K_SHAPES, persist_state=KEEP)
    key_blocks = toggles[2].toggle(tr(lang, "g_key_blocks"), key=K_KEY_BLOCKS,
                                   persist_state=KEEP, help=tr(lang, "g_key_blocks_help"))
    legend = toggles[3].toggle(tr(lang, "g_legend"), key=K_LEGEND, persist_state=KEEP)
    options = GraphOptions(depth=None if depth == last else int(depth), expand=tuple(expand),
                           fold_repeats=bool(fold), direction=Direction(direction),
                           highlight_key_blocks=bool(key_blocks), show_shapes=bool(shapes),
                           legend=bool(legend), lang=lang)
    return options, zoom


def render_graph_tab(selection: Selection, trace: Trace) -> None:
    """The Graph tab body."""
    lang = selection.lang.value
    options, zoom = graph_options_from_controls(trace, lang)
    with st.spinner(tr(lang, "rendering")):
        svg = cache.graph_bytes(trace, options, "svg")
    st.html(_legend_html(trace, lang))
    st.markdown(svg_for_page(svg, zoom), unsafe_allow_html=True)
    st.caption(tr(lang, "g_caption"))
    stem = file_stem(trace.spec)
    download_row(lang, [
        ("SVG", svg, f"{stem}.svg", "image/svg+xml", "dl_svg"),
        ("PNG", lambda: cache.graph_bytes(trace, options, "png"), f"{stem}.png", "image/png",
         "dl_png"),
        ("PDF", lambda: cache.graph_bytes(trace, options, "pdf"), f"{stem}.pdf",
         "application/pdf", "dl_pdf"),
        ("DOT", cache.dot_for(trace, options), f"{stem}.dot", "text/vnd.graphviz", "dl_dot"),
    ])
