"""Graph tab: the layer graph in the interactive viewer (click to open and close blocks, pan,
zoom, search, details; see :mod:`vizcnn.ui.graph_viewer`), collapsed by depth, with chosen
blocks opened, repeats folded, and SVG/PNG/PDF/DOT and offline-viewer downloads. The depth
slider, the block picker and the fold toggle follow the viewer's clicks, and the URL follows
them."""

from __future__ import annotations

import html

import streamlit as st

from vizcnn.api import Trace
from vizcnn.experiments import file_stem
from vizcnn.render.dot import Direction, GraphOptions, legend_items
from vizcnn.render.graphviz_run import png_fits, poster_zip, render_poster, svg_size_pt
from vizcnn.render.interactive import viewer_html
from vizcnn.ui import cache, choices
from vizcnn.ui.downloads import download_row
from vizcnn.ui.graph_viewer import graph_viewer, viewer_state
from vizcnn.views.collapse import depth_and_expand, open_modules
from vizcnn.ui.inputs import choice_problem, show_problems
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
K_VIEWER = "g_viewer"

DEFAULT_DEPTH = 2
PNG_DPI = 144


def max_depth(trace: Trace) -> int:
    """The depth at which every leaf layer is its own box."""
    return max((n.depth for n in trace.nodes), default=0) + 1


def openable_blocks(trace: Trace) -> list[str]:
    """Modules with something traced inside, in execution order (what "open" can open)."""
    return open_modules(trace, None)


def _legend_html(trace: Trace, lang: str) -> str:
    kinds = {n.kind for n in trace.nodes} | {"block"}
    chips = "".join(
        f'<span style="display:inline-block; margin:2px 6px 2px 0; padding:1px 8px; '
        f'border:1px solid #888; border-radius:4px; background:{item.colour}; '
        f'font-size:0.8rem; color:#111">'
        f'{html.escape(item.label)}</span>'
        for item in legend_items(kinds, lang))
    return f'<div style="line-height:1.9">{chips}</div>'


LINK_PROBLEMS = "_graph_link_problems"   # (refused link values, the view they came with)


def _apply_link(depths: list[int], blocks: list[str], lang: str) -> None:
    """Take the link's depth and open blocks once, checked against this trace. A value the
    trace does not have is refused: it is remembered with the view of that moment, and the
    tab shows the problem instead of a graph until the person picks another view."""
    state = st.session_state
    pending = state.pop(URL_GRAPH, None) or {}
    problems = []
    if "depth" in pending:
        if pending["depth"] in depths:
            state[K_DEPTH] = pending["depth"]
        else:
            problems.append(choice_problem("depth", str(pending["depth"]),
                                           (f"1–{depths[-1]}",)))
    if "open" in pending:
        unknown = [p for p in pending["open"] if p not in blocks]
        state[K_EXPAND] = [p for p in pending["open"] if p in blocks]
        if unknown:
            problems.append(choice_problem("open", ",".join(unknown),
                                           (tr(lang, "g_expand_choices"),)))
    if problems:
        state[LINK_PROBLEMS] = (tuple(problems), None)


def _link_problems(trace: Trace, options: GraphOptions) -> tuple:
    """The link's refused values while the model and view are still the ones the link left."""
    state = st.session_state
    problems, view = state.get(LINK_PROBLEMS, ((), None))
    if not problems:
        return ()
    if view is None:
        state[LINK_PROBLEMS] = (problems, (trace.spec, options))
    elif view != (trace.spec, options):   # the person chose a model or view of their own
        state.pop(LINK_PROBLEMS)
        return ()
    return problems


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
    return depths, blocks


def _follow_viewer(trace: Trace, last: int) -> None:
    """A click in the viewer changed the open set or folding: the controls take it over."""
    got = viewer_state(K_VIEWER)
    if got is None:
        return
    opened, fold = got
    state = st.session_state
    depth = None if state.get(K_DEPTH) == last else state.get(K_DEPTH)
    depth, expand = depth_and_expand(trace, opened, depth)
    state[K_DEPTH] = last if depth is None else depth
    choices.forget(K_DEPTH)
    state[K_EXPAND] = expand
    state[K_FOLD] = fold


def graph_options_from_controls(trace: Trace, lang: str) -> GraphOptions:
    """Draw the graph controls; return the chosen options."""
    depths, blocks = _sanitise_state(trace, lang)
    last = depths[-1]
    top = st.columns([3, 2, 5, 2], vertical_alignment="bottom")
    depth = top[0].select_slider(
        tr(lang, "g_depth"), depths, key=K_DEPTH, persist_state=KEEP,
        help=tr(lang, "g_depth_help"),
        format_func=lambda d: tr(lang, "g_depth_all", depth=d) if d == last else str(d))
    direction = top[1].radio(tr(lang, "g_direction"), [d.value for d in Direction],
                             key=K_DIRECTION, persist_state=KEEP, horizontal=True,
                             format_func=lambda d: tr(lang, f"g_direction.{d}"))
    types = {p: trace.modules[p].type for p in blocks if p in trace.modules}
    expand = top[2].multiselect(tr(lang, "g_expand"), blocks, key=K_EXPAND, persist_state=KEEP,
                                help=tr(lang, "g_expand_help"),
                                placeholder=tr(lang, "g_expand_placeholder"),
                                format_func=lambda p: f"{p} · {types.get(p, '')}")
    toggles = top[3].popover(tr(lang, "g_drawing"), width="stretch")
    fold = toggles.toggle(tr(lang, "g_fold"), key=K_FOLD, persist_state=KEEP,
                             help=tr(lang, "g_fold_help"))
    shapes = toggles.toggle(tr(lang, "g_shapes"), key=K_SHAPES, persist_state=KEEP)
    key_blocks = toggles.toggle(tr(lang, "g_key_blocks"), key=K_KEY_BLOCKS,
                                   persist_state=KEEP, help=tr(lang, "g_key_blocks_help"))
    legend = toggles.toggle(tr(lang, "g_legend"), key=K_LEGEND, persist_state=KEEP)
    options = GraphOptions(depth=None if depth == last else int(depth), expand=tuple(expand),
                           fold_repeats=bool(fold), direction=Direction(direction),
                           highlight_key_blocks=bool(key_blocks), show_shapes=bool(shapes),
                           legend=bool(legend), lang=lang)
    return options


def render_graph_tab(selection: Selection, trace: Trace) -> None:
    """The Graph tab body: controls, the viewer, then the downloads (drawn by Graphviz on
    the server while the browser already lays out the viewer)."""
    lang = selection.lang.value
    options = graph_options_from_controls(trace, lang)
    problems = _link_problems(trace, options)
    if problems:
        show_problems(problems, lang)
        return
    last = max_depth(trace)
    graph_viewer(trace, options, widget_key=K_VIEWER,
                 on_change=lambda: _follow_viewer(trace, last))
    st.caption(tr(lang, "g_caption"))
    st.html(_legend_html(trace, lang))
    stem = file_stem(trace.spec)
    svg = cache.graph_bytes(trace, options, "svg")
    if png_fits(*svg_size_pt(svg), PNG_DPI):
        png = ("PNG", lambda: cache.graph_bytes(trace, options, "png"), f"{stem}.png",
               "image/png", "dl_png")
    else:   # past cairo's limit: full-resolution tiles rather than a shrunk picture
        st.caption(tr(lang, "g_png_poster_help"))
        png = (tr(lang, "g_png_poster"),
               lambda: poster_zip(render_poster(cache.dot_for(trace, options), PNG_DPI), stem),
               f"{stem}-poster.zip", "application/zip", "dl_png")
    download_row(lang, [
        ("SVG", svg, f"{stem}.svg", "image/svg+xml", "dl_svg"),
        png,
        ("PDF", lambda: cache.graph_bytes(trace, options, "pdf"), f"{stem}.pdf",
         "application/pdf", "dl_pdf"),
        ("DOT", cache.dot_for(trace, options), f"{stem}.dot", "text/vnd.graphviz", "dl_dot"),
        ("HTML", lambda: viewer_html(trace, options), f"{stem}.html", "text/html", "dl_html"),
    ])
