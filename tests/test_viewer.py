"""The viewer's data and documents (vizcnn.render.interactive) and the big-PNG handling of
vizcnn.render.graphviz_run; the browser side is tests/test_browser_viewer.py."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

import vizcnn
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.render.export import export_all
from vizcnn.render.graphviz_run import (
    CAIRO_LIMIT_PX, ImageTooLarge, poster_zip, render, render_poster, svg_size_pt,
)
from vizcnn.render.interactive import VENDOR, VIEWER_DIR, notebook_html, viewer_data, viewer_html
from vizcnn.teach.formulas import to_markdown, worked_formula

SIZE = (1, 3, 224, 224)


@pytest.fixture(scope="module")
def googlenet() -> vizcnn.Trace:
    return vizcnn.trace("googlenet", SIZE)


@pytest.fixture(scope="module")
def resnet152() -> vizcnn.Trace:
    return vizcnn.trace("resnet152", SIZE)


def test_layer_details_are_the_traces_numbers(googlenet):
    data = viewer_data(googlenet)
    assert set(data["details"]) == {n.id for n in googlenet.nodes}
    conv = googlenet.node("inception3a.branch2.1.conv")
    d = data["details"][conv.id]
    assert (d["params"], d["macs"], d["flops"]) == (conv.params, conv.macs, conv.flops)
    assert d["class"] == "Conv2d" and d["kernel"] == "3×3" and d["stride"] == "1×1"
    assert d["inputs"] == "1×96×28×28" and d["outputs"] == "1×128×28×28"
    assert d["receptive_field"] == conv.receptive_field
    assert f"{conv.macs:,}" in d["formula"] and "✓" in d["formula"]
    assert d["formula"] == to_markdown(worked_formula(conv), "en")
    assert data["details"]["inception3a/cat"]["formula"] is None
    assert "inception3a.branch2.1.conv · Conv2d" in d["summary"]


def test_groups_suggestions_and_first_state(googlenet):
    data = viewer_data(googlenet, GraphOptions(depth=1, expand=("inception3a",)))
    assert data["open"] == ["inception3a"] and data["fold"] is True
    branches = [g for g in data["groups"] if g["label"].startswith("inception3a · branch")]
    assert len(branches) == 4 and branches[0]["open"] == ["inception3a"]
    assert "inception3a/cat" in branches[0]["nodes"]
    assert "inception3a.branch1.conv" in branches[0]["nodes"]
    assert "inception3a · Inception" in data["suggestions"]
    assert "Conv2d" in data["suggestions"] and "conv" in data["suggestions"]
    resnet = viewer_data(vizcnn.trace("resnet18", SIZE), GraphOptions(lang="zh"))
    labels = [g["label"] for g in resnet["groups"]]
    assert "layer1.0 · 捷径（identity）" in labels and "layer2.0 · 捷径（projection）" in labels
    assert resnet["words"]["viewer.fold"] == "折叠重复块"


def test_the_offline_file_holds_everything_inline(googlenet):
    page = viewer_html(googlenet)
    assert page.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "<script src" not in page and "<link" not in page
    for name in VENDOR:   # the vendored libraries, whole, with their licences beside them
        assert (VIEWER_DIR / name).read_text(encoding="utf-8")[-2000:] in page
    assert (VIEWER_DIR / "vendor" / "LICENSE-viz-js.txt").exists()
    assert (VIEWER_DIR / "vendor" / "LICENSE-svg-pan-zoom.txt").exists()
    assert page.count("</script>") == 3   # data, libraries + viewer, mount


def test_the_notebook_cell_starts_with_the_static_svg(googlenet):
    cell = notebook_html(googlenet)
    assert cell.index('class="vzv-fallback"') < cell.index("<svg") < cell.index("<script")
    assert googlenet._repr_html_().count("vzv-fallback") == cell.count("vzv-fallback")


def test_the_package_ships_the_viewer_files():
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'vizcnn = ["render/viewer/*.js", "render/viewer/*.css", "render/viewer/vendor/*"]' in text


def test_a_png_past_cairos_limit_is_refused_and_drawn_as_a_poster(resnet152, tmp_path):
    dot = to_dot(resnet152, GraphOptions(depth=None))
    with pytest.raises(ImageTooLarge) as error:
        render(dot, "png")
    assert error.value.height_px > CAIRO_LIMIT_PX
    assert "SVG or PDF" in str(error.value) and "poster" in str(error.value)
    width_pt, height_pt = svg_size_pt(render(dot, "svg"))
    tiles = render_poster(dot, dpi=96)
    sizes = [(int.from_bytes(t[16:20], "big"), int.from_bytes(t[20:24], "big")) for t in tiles]
    assert all(h <= 8000 and w <= 8000 for w, h in sizes)
    # full resolution: the tiles add up to the whole drawing at 96 dpi (plus the margins)
    assert abs(sum(h for _, h in sizes) - height_pt * 96 / 72) < 60
    assert min(w for w, _ in sizes) >= width_pt * 96 / 72 - 2
    archive = zipfile.ZipFile(io.BytesIO(poster_zip(tiles, "resnet152")))
    assert archive.namelist()[0] == "resnet152-01.png" and len(archive.namelist()) == len(tiles)
    # a graph that fits is one PNG as before
    assert render(to_dot(resnet152, GraphOptions(depth=1)), "png")[:4] == b"\x89PNG"


def test_export_writes_the_offline_viewer_and_a_poster_when_needed(resnet152, tmp_path):
    written = export_all(resnet152, tmp_path, graph_options=GraphOptions(depth=None))
    names = {p.name for p in written}
    assert "graph.html" in names and "graph.svg" in names and "graph.pdf" in names
    assert "graph.png" not in names and "graph-poster-01.png" in names
