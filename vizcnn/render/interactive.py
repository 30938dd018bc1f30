"""The interactive layer-graph viewer: its data, and the one self-contained HTML document (or
notebook cell) that shows it with no network.

The viewer (``vizcnn/render/viewer/viewer.js``) gets everything it shows from
:func:`viewer_data`: the view model of :func:`vizcnn.render.dot.view_model` (so it writes the
same DOT as :func:`~vizcnn.render.dot.to_dot` for any set of open blocks, with the JavaScript
emitter), the details of every layer (shapes, window, costs, receptive field and the worked
formula of :mod:`vizcnn.teach.formulas`), one-line summaries, search suggestions and the
Inception branches and residual shortcuts it can highlight (from
:mod:`vizcnn.views.structure`). Layout runs in the browser with Viz.js (Graphviz compiled to
WASM), each open block laid out on its own and the drawings put together (``viewer/nest.js``),
and pan/zoom with svg-pan-zoom, both vendored in ``viewer/vendor`` with their licences.
"""

from __future__ import annotations

import html
import json
import uuid
from functools import lru_cache
from pathlib import Path

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.render.dot import LAYOUT_FONT, GraphOptions, to_dot, view_model
from vizcnn.render.graphviz_run import OutputFormat, render
from vizcnn.teach.formulas import FORMULA_OPS, to_markdown, worked_formula
from vizcnn.views.collapse import open_modules
from vizcnn.views.structure import Shortcut, structure
from vizcnn.words import fmt_int, fmt_shape, human, tr
from vizcnn.words import WORDS, Lang

VIEWER_DIR = Path(__file__).parent / "viewer"
VENDOR = ("vendor/viz-global.js", "vendor/svg-pan-zoom.min.js")
SCRIPTS = ("emit.js", "nest.js", "viewer.js")   # the emitter, nested layout, the viewer
VENDOR_KEPT = {"vendor/viz-global.js": "vizcnnVizFactory"}   # what a layout worker runs
_WINDOW = (("kernel", "kernel_size"), ("stride", "stride"), ("padding", "padding"),
           ("dilation", "dilation"), ("groups", "groups"))
_WORD_KEYS = ("label_params", "label_macs", "label_flops", "label_activation_bytes")


def _shapes(shapes: tuple) -> str:
    return ", ".join(fmt_shape(s) for s in shapes) or "–"


def _window_value(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return "×".join(str(v) for v in value)
    return str(value)


def _formula(node: Node, lang: Lang) -> str | None:
    if node.op not in FORMULA_OPS or not node.attrs or not node.input_shapes:
        return None
    try:
        return to_markdown(worked_formula(node), lang)
    except VizcnnError:
        return None   # a layer the teaching formulas do not cover (e.g. 3-d pooling)


def _details(node: Node, lang: Lang) -> dict:
    d = {
        "id": node.id, "path": node.path or "–", "class": node.module_type or node.op,
        "op": node.op, "kind": node.kind,
        "inputs": _shapes(node.input_shapes), "outputs": _shapes(node.output_shapes),
        "params": node.params, "macs": node.macs, "flops": node.flops,
        "params_text": fmt_int(node.params), "macs_text": fmt_int(node.macs),
        "flops_text": fmt_int(node.flops),
        "activation_text": f"{fmt_int(node.activation_bytes)} ({human(node.activation_bytes, 'B')})",
        "receptive_field": node.receptive_field,
        "summary": tr(lang, "viewer.summary", head=node.id, type=node.module_type or node.op,
                      ins=_shapes(node.input_shapes), outs=_shapes(node.output_shapes),
                      params=human(node.params), macs=human(node.macs)),
        "formula": _formula(node, lang),
    }
    for key, attr in _WINDOW:
        if attr in node.attrs:
            d[key] = _window_value(node.attrs[attr])
    return d


def _groups(trace: Graph, lang: Lang) -> list[dict]:
    """What the viewer can highlight: each Inception branch, each residual shortcut."""
    found = structure(trace)
    groups = []
    for block in found.inception:
        for n, branch in enumerate(block.branches, start=1):
            nodes = [x.id for x in trace.nodes if branch in x.scope or x.id == branch]
            if nodes:
                groups.append({"label": tr(lang, "viewer.branch", block=block.path, n=n),
                               "nodes": nodes + [block.merge], "open": [block.path]})
    for res in found.residual:
        if res.shortcut is Shortcut.NONE or not res.merge:
            continue
        nodes = list(res.shortcut_nodes) or [res.identity_source]
        groups.append({"label": tr(lang, "viewer.shortcut", block=res.path,
                                   kind=res.shortcut.value),
                       "nodes": [n for n in nodes if n] + [res.merge], "open": [res.path]})
    return groups


def viewer_data(trace: Graph, options: GraphOptions | None = None) -> dict:
    """Everything the viewer shows for ``trace``, as JSON-able data; ``options`` give the
    words and marks (the view model) and the first state (depth, open blocks, folding)."""
    options = options or GraphOptions()
    lang = options.lang
    modules = {}
    for path in dict.fromkeys(p for n in trace.nodes for p in n.scope):
        info = trace.modules.get(path)
        macs = sum(n.macs for n in trace.nodes if path in n.scope)
        modules[path] = tr(lang, "viewer.summary", head=path, type=info.type if info else "",
                           ins=_shapes(info.input_shapes) if info else "–",
                           outs=_shapes(info.output_shapes) if info else "–",
                           params=human(info.params if info else 0), macs=human(macs))
    details = {n.id: _details(n, lang) for n in trace.nodes}
    suggestions = list(details) + [f"{p} · {trace.modules[p].type}" if p in trace.modules
                                   else p for p in modules]
    suggestions += sorted({d["class"] for d in details.values()} | {n.op for n in trace.nodes})
    words = {k: v for k, v in WORDS[lang].items() if k.startswith("viewer.")}
    words.update({k: WORDS[lang][k] for k in _WORD_KEYS})
    return {
        "model": trace.model,
        "vm": view_model(trace, options, font=LAYOUT_FONT),
        "open": open_modules(trace, options.depth, options.expand, options.expand_all),
        "fold": options.fold_repeats,
        "details": details,
        "blocks": modules,
        "suggestions": list(dict.fromkeys(suggestions)),
        "groups": _groups(trace, lang),
        "words": words,
    }


def _wrapped(source: str, kept_as: str | None = None) -> str:
    """A vendored UMD script run so that it sets its browser global even where an AMD loader
    (Jupyter's RequireJS) or CommonJS names are about; with ``kept_as`` the wrapping function
    is also kept under that global name (the viewer starts its layout workers from its text)."""
    factory = f"(function (define, module, exports) {{\n{source}\n}})"
    if kept_as:
        return f"window.{kept_as} = {factory};\nwindow.{kept_as}.call(window);\n"
    return f"{factory}.call(window);\n"


@lru_cache(maxsize=1)
def viewer_script() -> str:
    """The viewer's JavaScript: vendored libraries, the emitter and the viewer, in one text."""
    parts = [_wrapped((VIEWER_DIR / name).read_text(encoding="utf-8"), VENDOR_KEPT.get(name))
             for name in VENDOR]
    parts += [(VIEWER_DIR / name).read_text(encoding="utf-8") for name in SCRIPTS]
    return "\n".join(parts)


@lru_cache(maxsize=1)
def viewer_css() -> str:
    return (VIEWER_DIR / "viewer.css").read_text(encoding="utf-8")


def _json_script(data: dict, element_id: str) -> str:
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _inline_script(source: str) -> str:
    return "<script>" + source.replace("</script", "<\\/script") + "</script>"


def viewer_html(trace: Graph, options: GraphOptions | None = None) -> str:
    """The viewer as one self-contained HTML document: scripts, WASM and data inline, nothing
    fetched from the network (the offline file of the download button and the CLI)."""
    options = options or GraphOptions()
    title = html.escape(f"{trace.model} · vizcnn")
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{title}</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<style>html,body{{margin:0;padding:0}} body{{padding:6px}}\n{viewer_css()}</style>"
        "</head><body>"
        '<div id="vizcnn-viewer"></div>'
        + _json_script(viewer_data(trace, options), "vizcnn-data")
        + _inline_script(viewer_script())
        + _inline_script(
            "vizcnnViewer.mount(document.getElementById('vizcnn-viewer'), "
            "JSON.parse(document.getElementById('vizcnn-data').textContent), "
            "{height: 'calc(100vh - 90px)'});")
        + "</body></html>\n")


def _static_svg(trace: Graph, options: GraphOptions) -> str:
    try:
        svg = render(to_dot(trace, options), OutputFormat.SVG).decode("utf-8")
    except VizcnnError as error:   # no Graphviz here: say so instead of the picture
        return f"<p>{html.escape(str(error))}</p>"
    return svg[svg.index("<svg"):]


def notebook_html(trace: Graph, options: GraphOptions | None = None) -> str:
    """A notebook cell's HTML: the static SVG first (what shows where scripts are blocked),
    replaced by the viewer when the scripts run."""
    options = options or GraphOptions()
    fallback_svg = _static_svg(trace, options)
    ident = "vizcnn-" + uuid.uuid4().hex[:12]
    note = html.escape(tr(options.lang, "viewer.no_script"))
    return (
        f'<div id="{ident}"><style>{viewer_css()}</style>'
        f'<div class="vzv-fallback"><p style="color:#57606a;font-size:12px">{note}</p>'
        f"{fallback_svg}</div>"
        + _json_script(viewer_data(trace, options), ident + "-data")
        + _inline_script(
            viewer_script()
            + f"\n(function () {{ var box = document.getElementById('{ident}');"
            "  var fallback = box.querySelector('.vzv-fallback'); fallback.remove();"
            f"  vizcnnViewer.mount(box, JSON.parse(document.getElementById('{ident}-data')"
            ".textContent), {height: '640px'}); })();")
        + "</div>")


__all__ = ["notebook_html", "viewer_data", "viewer_html", "viewer_script"]
