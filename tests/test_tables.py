"""Table exports: CSV/JSON/Markdown round trips and the paper-style stage table."""

from __future__ import annotations

import csv
import io
import json

import pytest

import vizcnn
from vizcnn.render.tables import (
    latex_escape, paper_table, paper_table_latex, paper_table_markdown, to_csv, to_json_rows,
    to_markdown, write_table,
)
from vizcnn.views.table import COLUMNS, layer_rows


@pytest.fixture(scope="module")
def resnet50() -> vizcnn.Trace:
    return vizcnn.trace("resnet50", (1, 3, 224, 224))


def _counted(t: vizcnn.Trace) -> list[str]:
    return [n.id for n in t.nodes if n.op not in ("input", "output")]


def test_csv_round_trip(resnet50):
    rows = list(csv.DictReader(io.StringIO(to_csv(resnet50))))
    assert [r["path"] for r in rows] == _counted(resnet50)
    assert list(rows[0]) == COLUMNS
    assert sum(int(r["macs"]) for r in rows) == resnet50.macs
    assert sum(int(r["flops"]) for r in rows) == resnet50.flops
    assert sum(int(r["params"]) for r in rows) == resnet50.params
    conv1 = rows[0]
    assert (conv1["kernel"], conv1["stride"], conv1["output_shape"]) == (
        "7×7", "2×2", "1×64×112×112")
    assert conv1["receptive_field"] == "7"  # an integer, not "7.0"
    assert rows[-1]["receptive_field"] == ""  # the fc has none


def test_csv_collapsed_to_depth(resnet50):
    rows = list(csv.DictReader(io.StringIO(to_csv(resnet50, depth=1))))
    assert [r["path"] for r in rows] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool",
        "/flatten", "fc"]
    assert sum(int(r["macs"]) for r in rows) == resnet50.macs
    assert rows[4]["type"] == "Sequential" and rows[4]["output_shape"] == "1×256×56×56"


def test_json_rows_round_trip(resnet50):
    rows = json.loads(to_json_rows(resnet50))
    assert len(rows) == len(_counted(resnet50))
    assert rows == json.loads(json.dumps(layer_rows(resnet50)))
    assert sum(r["macs"] for r in rows) == resnet50.macs
    assert rows[-1]["receptive_field"] is None
    assert set(rows[0]) == set(COLUMNS)


def test_markdown_table(resnet50):
    lines = to_markdown(resnet50).splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert set(lines[1].replace("|", "").split()) == {"---", "---:"}
    body = lines[2:]
    assert len(body) == len(_counted(resnet50))
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in body]
    assert all(len(c) == len(COLUMNS) for c in cells)
    macs = COLUMNS.index("macs")
    assert sum(int(c[macs]) for c in cells) == resnet50.macs
    assert cells[0][:2] == ["conv1", "Conv2d"]


def test_paper_table_resnet50(resnet50):
    rows = paper_table(resnet50)
    assert [r["stage"] for r in rows] == ["stem", "layer1", "layer2", "layer3", "layer4",
                                          "head"]
    assert [r["output_size"] for r in rows] == [
        "112×112", "56×56", "28×28", "14×14", "7×7", "1000-d"]
    assert [r["blocks"] for r in rows[1:5]] == [
        "3×3 max pool, stride 2; Bottleneck × 3", "Bottleneck × 4", "Bottleneck × 6",
        "Bottleneck × 3"]
    assert rows[0]["blocks"] == "7×7 conv, 64, stride 2"
    assert sum(r["macs"] for r in rows) == resnet50.macs
    assert sum(r["params"] for r in rows) == resnet50.params

    md = paper_table_markdown(resnet50)
    row = "| layer1 | 56×56 | 256 | 3×3 max pool, stride 2; Bottleneck × 3 | 216K | 668M |"
    assert row in md
    assert "| **total** |" in md and "**4.09G**" in md and "**25.6M**" in md
    assert "multiply-accumulates" in md


def test_paper_table_latex(resnet50):
    tex = paper_table_latex(resnet50)
    assert r"\begin{tabular}" in tex and tex.rstrip().endswith(r"\end{tabular}")
    assert r"layer3 & 14$\times$14 & 1024 & Bottleneck $\times$ 6 & 7.1M & 1.46G \\" in tex
    assert "×" not in tex  # every × became $\times$
    t = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    assert r"mobilenet\_v2" in paper_table_latex(t)


def test_latex_escape():
    assert latex_escape(r"a_b & 50% #1 {x} ~y ^z $w \q") == (
        r"a\_b \& 50\% \#1 \{x\} \textasciitilde{}y \textasciicircum{}z \$w "
        r"\textbackslash{}q")
    assert latex_escape("3×3") == r"3$\times$3"


@pytest.mark.parametrize("suffix", [".csv", ".json", ".md", ".tex"])
def test_write_table(resnet50, tmp_path, suffix):
    path = write_table(resnet50, tmp_path / f"table{suffix}", depth=1)
    text = path.read_text(encoding="utf-8")
    expected = {".csv": to_csv(resnet50, 1), ".json": to_json_rows(resnet50, 1),
                ".md": to_markdown(resnet50, 1), ".tex": paper_table_latex(resnet50)}[suffix]
    assert text == expected


def test_write_table_unknown_suffix(resnet50, tmp_path):
    with pytest.raises(vizcnn.VizcnnError, match=r"\.csv"):
        write_table(resnet50, tmp_path / "table.xlsx")
    assert not (tmp_path / "table.xlsx").exists()
