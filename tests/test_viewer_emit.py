"""The JavaScript DOT emitter (vizcnn/render/viewer/emit.js) writes the same text as the Python
one (vizcnn/render/emit.py) for every zoo model at several open sets, folded and not: the
offline viewer opens and closes blocks without Python, so the two must never drift. And the
emitter groups a trace into the same boxes, frames and arrows as
:func:`vizcnn.views.collapse.collapse` (what the other views and ``dot.collapsed`` read), which
keeps its own copy of that logic below the render layer."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import vizcnn
from densenet_like import densenet121_like
from vizcnn.render.dot import GraphOptions, shape_text, view_model
from vizcnn.render.emit import drawn, emit
from vizcnn.views.collapse import collapse, open_modules
from vizcnn.zoo import list_models, model_card

EMIT_JS = Path(vizcnn.__file__).parent / "render" / "viewer" / "emit.js"
NODE = shutil.which("node")


def _openable(trace: vizcnn.Trace) -> list[str]:
    scopes = {p for n in trace.nodes for p in n.scope}
    return [p for p in trace.modules if p in scopes]


def _views(trace: vizcnn.Trace) -> list[tuple[int | None, list[str]]]:
    """(depth, expand): default depth, one block opened one level (and then its first
    child), all open, depth 1."""
    default = open_modules(trace, 2)
    closed = [p for p in _openable(trace) if p not in default]
    views: list[tuple[int | None, list[str]]] = [(2, []), (None, []), (1, [])]
    if closed:
        views += [(2, [closed[0]]), (2, [closed[len(closed) // 2]])]
        inner = [p for p in _openable(trace) if p.startswith(closed[0] + ".")]
        if inner:
            views.append((2, [inner[0]]))
    return views


def _cases(trace: vizcnn.Trace) -> list[tuple[list[str], bool]]:
    """Each view's open set, with fold on and off."""
    return [(open_modules(trace, depth, expand), fold) for depth, expand in _views(trace)
            for fold in (True, False)]


def _traces() -> dict[str, vizcnn.Trace]:
    traces = {}
    for name in list_models():
        size = model_card(name).input_size
        traces[name] = vizcnn.trace(name, (1, 3, size, size))
    traces["densenet_like"] = vizcnn.trace(densenet121_like(), (1, 3, 224, 224))
    return traces


def _run_js(models: list[dict], cases: list[tuple[int, list[str], bool]], tmp: Path) -> list[str]:
    data = tmp / "cases.json"
    data.write_text(json.dumps({"models": models, "cases": cases}), encoding="utf-8")
    script = ("const emit = require(process.argv[1]);"
              "const d = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));"
              "process.stdout.write(JSON.stringify(d.cases.map(([m, o, f]) =>"
              " emit.emit(d.models[m], o, f))));")
    done = subprocess.run([NODE, "-e", script, str(EMIT_JS), str(data)], capture_output=True,
                          timeout=300, check=True)
    return json.loads(done.stdout)


def test_javascript_emitter_writes_the_same_dot_as_python(tmp_path: Path) -> None:
    assert NODE is not None, "node is needed (Debian's nodejs; `make test` installs it)"
    models: list[dict] = []
    cases: list[tuple[int, list[str], bool]] = []
    names: list[str] = []
    for name, trace in _traces().items():
        option_sets = [GraphOptions()]
        if name in ("resnet50", "googlenet", "mobilenet_v2"):
            option_sets += [GraphOptions(lang="zh", direction="LR"),
                            GraphOptions(legend=False, show_shapes=False,
                                         highlight_key_blocks=False)]
        for options in option_sets:
            models.append(view_model(trace, options))
            for opened, fold in _cases(trace):
                cases.append((len(models) - 1, opened, fold))
                names.append(f"{name} {options.lang.value} open={len(opened)} fold={fold}")
    expected = [emit(models[m], opened, fold) for m, opened, fold in cases]
    got = _run_js(models, cases, tmp_path)
    assert len(got) == len(expected) > 300
    for name, want, have in zip(names, expected, got):
        assert have == want, name
    # the cases cover folds, buses and frames, so the comparison is not of trivial text
    joined = "".join(expected)
    assert "peripheries=2" in joined and "::bus" in joined and "subgraph \"cluster_" in joined


def test_python_emitter_is_what_to_dot_writes() -> None:
    trace = vizcnn.trace("resnet50", (1, 3, 224, 224))
    options = GraphOptions(depth=2, expand=("layer2.1",))
    assert vizcnn.render.to_dot(trace, options) == emit(
        view_model(trace, options), open_modules(trace, 2, ["layer2.1"]), True)


def test_the_view_model_is_plain_json() -> None:
    trace = vizcnn.trace("googlenet", (1, 3, 224, 224))
    vm = view_model(trace)
    assert json.loads(json.dumps(vm)) == vm
    assert set(vm["modules"]) == {p for n in trace.nodes for p in n.scope}
    assert len(vm["nodes"]) == len(trace.nodes) and len(vm["edges"]) == len(trace.edges)


def test_the_emitter_groups_a_trace_as_collapse_does() -> None:
    """Boxes (order, kind, frame, members, modules, repeat), frames, each node's box and the
    arrows with their shapes: the same from both, on every zoo model and view."""
    checked = 0
    for name, trace in _traces().items():
        vm = view_model(trace)
        ids = [n["id"] for n in vm["nodes"]]
        for depth, expand in _views(trace):
            opened = open_modules(trace, depth, expand)
            for fold in (True, False):
                view = f"{name} depth={depth} expand={expand} fold={fold}"
                boxes, clusters, box_of, arrows = drawn(vm, opened, fold)
                grouped = collapse(trace, depth, expand, fold)
                assert [(b.id, b.kind.value, b.cluster, list(b.members), list(b.modules),
                         b.repeat) for b in grouped.boxes] == [
                    (b["id"], b["kind"], b["cluster"], [ids[i] for i in b["members"]],
                     b["modules"], b["repeat"]) for b in boxes], view
                assert {p: c.parent for p, c in grouped.clusters.items()} == {
                    p: c["parent"] for p, c in clusters.items()}, view
                assert grouped.box_of == dict(zip(ids, box_of)), view
                assert [(a.src, a.dst, [shape_text(s) for s in a.shapes])
                        for a in grouped.arrows] == [
                    (a["src"], a["dst"], [vm["shapes"][s] for s in a["shapes"]])
                    for a in arrows], view
                checked += 1
    assert checked > 300
