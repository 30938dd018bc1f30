"""Data flows one way: each part of vizcnn imports only the layers below it (issue 9).

Every ``import`` in every module — module-level and the lazy ones inside functions — is
checked against this table, bottom to top. A part may import its own layer and any lower
one; ``views`` is narrower still: pure functions of the graph, it imports only the graph and
the words (and errors), never the API, the zoo or anything that builds or traces.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vizcnn"

# Bottom to top. The README's "Project layout" section states the same table.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "spec", "words"),                        # words, errors, what a trace was made of
    ("graph",),                                         # the plain-data graph
    ("views",),                                         # pure functions of a graph
    ("zoo", "ops", "shapes", "costs", "op_facts", "capture", "standin", "stock_layers"),  # the tracer
    ("api", "loader", "model_files", "onnx_import", "checkpoint", "sandbox"),  # trace(); files
    ("experiments",),                                   # anything that builds and traces again
    ("teach", "render"),                                # the lessons; DOT, charts, tables
    ("ui", "cli", "cli_costs", "__main__", "app", "__init__"),  # front ends; public names
)
NARROW: dict[str, frozenset[str]] = {"views": frozenset({"errors", "graph", "words", "views"})}

# The one import that goes up, and why: Jupyter shows an object through its own
# ``_repr_html_``, so the trace's display (a front end) is reached from the API class, lazily.
FRONT_END_HOOKS: dict[tuple[str, str], str] = {
    ("vizcnn.api", "render"): "Trace._repr_html_ draws the trace in Jupyter with the viewer",
}

LEVEL = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def _modules() -> list[tuple[str, str, Path]]:
    """(module name, the part it belongs to, file) for every vizcnn module and app.py."""
    found = [("app", "app", ROOT / "app.py")]
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        name = ".".join(("vizcnn", *rel.parts)).removesuffix(".__init__")
        found.append((name, rel.parts[0], path))
    return found


def _imports(path: Path) -> set[str]:
    """The vizcnn parts a file imports (``vizcnn.render.dot`` → ``render``)."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "vizcnn" else [
                f"vizcnn.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            bits = name.split(".")
            if bits[0] == "vizcnn":
                parts.add(bits[1] if len(bits) > 1 else "__init__")
    return parts


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
             if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts - set(LEVEL) == set(), "add the new part to LAYERS (and the README)"


@pytest.mark.parametrize("name,part,path", _modules(), ids=lambda v: str(v))
def test_imports_go_down_only(name: str, part: str, path: Path) -> None:
    allowed = NARROW.get(part)
    for imported in _imports(path) - {part}:
        if (name, imported) in FRONT_END_HOOKS:
            continue
        if allowed is not None:
            assert imported in allowed, f"{name} imports vizcnn.{imported}: views see only " \
                                        f"the graph and the words"
        assert LEVEL[imported] <= LEVEL[part], \
            f"{name} (layer {LEVEL[part]}) imports vizcnn.{imported} (layer {LEVEL[imported]})"


def test_front_end_hooks_are_still_needed() -> None:
    """An exception whose import is gone must go too, so the list only shrinks."""
    files = {name: path for name, _, path in _modules()}
    for name, imported in FRONT_END_HOOKS:
        assert imported in _imports(files[name]), (name, imported)


def test_the_core_never_imports_streamlit() -> None:
    for name, part, path in _modules():
        if part in ("ui", "app"):
            continue
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, name


def test_the_readme_states_the_table() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Project layout", 1)[1]
    for layer in LAYERS:
        for part in layer:
            if part not in ("__init__", "__main__", "app"):
                assert f"`{part}" in layout or f"{part}/" in layout or f"{part}.py" in layout, part


def test_views_and_lessons_never_build_or_trace() -> None:
    """Views and the Learn lessons are pure functions of the graphs they are given: no torch,
    no API (``vizcnn.experiments`` builds and traces the variants they compare)."""
    for name, part, path in _modules():
        if part in ("views", "teach"):
            parts = _imports(path)
            assert not parts & {"api", "zoo", "capture", "experiments", "loader"}, name
            tree = ast.parse(path.read_text())
            roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names}
            roots |= {n.module.split(".")[0] for n in ast.walk(tree)
                      if isinstance(n, ast.ImportFrom) and n.module}
            assert "torch" not in roots, name
