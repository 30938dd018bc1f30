"""The command line, run as a user runs it (a subprocess) and in-process for the fast cases."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import vizcnn
from vizcnn.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vizcnn.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_summary_resnet50_from_the_shell() -> None:
    result = run_cli("summary", "resnet50")
    assert result.returncode == 0, result.stderr
    assert "layer4.2.conv3" in result.stdout
    assert "25,557,032" in result.stdout and "4,089,184,256" in result.stdout
    assert "MACs" in result.stdout and "FLOPs" in result.stdout


@pytest.mark.parametrize("name", ["googlenet", "mobilenet_v2", "shufflenet_v2_x1_0",
                                  "se_resnet50", "darknet53", "ghostnet", "vgg16", "alexnet"])
def test_summary_of_each_family(name: str, capsys) -> None:
    assert main(["summary", name, "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{vizcnn.trace(name, _paper_size(name)).params:,}" in out


def _paper_size(name: str) -> tuple[int, int, int, int]:
    side = vizcnn.model_card(name).input_size
    return (1, 3, side, side)


def test_csv_json_md_formats(capsys) -> None:
    assert main(["summary", "resnet18", "--format", "csv", "--input", "1x3x64x64"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert sum(int(r["macs"]) for r in rows) == vizcnn.trace("resnet18", (1, 3, 64, 64)).macs
    assert main(["summary", "resnet18", "--format", "json", "--depth", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == "conv1"
    assert main(["summary", "resnet18", "--format", "md"]) == 0
    assert "| layer1.0.conv1 " in capsys.readouterr().out.replace("|layer1", "| layer1")


def test_trace_json_round_trips(capsys) -> None:
    assert main(["trace", "mobilenet_v3_small", "--input", "1x3x96x96", "--train"]) == 0
    trace = vizcnn.Trace.from_json(capsys.readouterr().out)
    assert trace.training and trace.params == 2_542_856


def test_options_and_min_size(capsys) -> None:
    assert main(["summary", "mobilenet_v2", "--option", "width_mult=0.5", "--depth", "1"]) == 0
    half = capsys.readouterr().out
    assert f"{vizcnn.trace('mobilenet_v2', (1, 3, 224, 224), width_mult=0.5).params:,}" in half
    assert main(["min-size", "alexnet"]) == 0
    assert capsys.readouterr().out.strip() == "63"


def test_user_model_from_file(tmp_path: Path, capsys) -> None:
    source = tmp_path / "tiny.py"
    source.write_text(
        "from torch import nn\n"
        "def small():\n"
        "    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())\n"
    )
    assert main(["summary", f"{source}:small", "--input", "1x1x8x8"]) == 0
    assert "Conv2d" in capsys.readouterr().out


@pytest.mark.parametrize("args,needle", [
    (["summary", "nonexistent_net"], "unknown model"),
    (["summary", "alexnet", "--input", "1x3x16x16"], "features."),
    (["summary", "resnet18", "--input", "1x3xbig"], "not a shape"),
    (["summary", "resnet18", "--option", "width_mult=2"], "no option"),
    (["summary", "no/such/file.py:make"], "does not exist"),
])
def test_errors_print_one_line_and_exit_2(args, needle) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vizcnn: error:") and needle in lines[0]


def test_list_names_every_model(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in vizcnn.list_models())


def test_graph_command_writes_every_format(tmp_path: Path) -> None:
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"),
                          (".dot", b"digraph")):
        out = tmp_path / f"g{suffix}"
        assert main(["graph", "googlenet", "-o", str(out), "--depth", "1",
                     "--expand", "inception3a"]) == 0
        assert out.read_bytes().lstrip()[:len(magic)] == magic
    assert "inception3a.branch4" in (tmp_path / "g.dot").read_text()


def test_export_writes_every_view(tmp_path: Path, capsys) -> None:
    assert main(["export", "resnet18", "--out", str(tmp_path), "--input", "1x3x64x64"]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {"graph.svg", "graph.png", "graph.pdf", "graph.dot", "layers.csv", "layers.json",
            "layers.md", "table1.md", "table1.tex", "trace.json",
            "chart_hierarchy.html"} <= names
    assert "BasicBlock × 2" in (tmp_path / "table1.md").read_text()
    again = vizcnn.Trace.from_json((tmp_path / "trace.json").read_text())
    assert again.params == 11_689_512


def test_chinese_labels_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "g.dot"
    assert main(["graph", "resnet18", "-o", str(out), "--depth", "1", "--lang", "zh"]) == 0
    assert "参数" in out.read_text()


# --- issue 9: python -m vizcnn, --version, unknown --expand paths, the terminal's width ----


def test_python_dash_m_vizcnn_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "vizcnn", "summary", "resnet18",
                             "--depth", "1"], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "11,689,512" in result.stdout


def test_version(capsys) -> None:
    import tomllib

    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"vizcnn {expected}"


def test_an_unknown_expand_path_is_an_error_with_close_matches(tmp_path: Path, capsys) -> None:
    out = tmp_path / "g.dot"
    assert main(["graph", "googlenet", "-o", str(out), "--depth", "1",
                 "--expand", "inception3x"]) == 2
    err = capsys.readouterr().err
    assert "'inception3x'" in err and "inception3a" in err and "googlenet" in err
    assert not out.exists()
    assert main(["graph", "resnet18", "-o", str(out), "--expand", "zzzz"]) == 2
    assert "'zzzz' is not a module of resnet18" in capsys.readouterr().err


@pytest.mark.parametrize("columns", [200, 100, 80, 60])
def test_summary_fits_the_terminal(columns: int, monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["summary", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "25,557,032" in out and "4,089,184,256" in out      # the totals always survive
    rows = [line for line in out.splitlines() if line.startswith("layer4.2.conv3")]
    assert rows and "1.05M" in rows[0]                          # its params, not cut off
    if columns < 120:
        assert "left out to fit" in out


def test_summary_keeps_every_column_when_there_is_room(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["summary", "resnet18", "--input", "1x3x64x64"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["layer", "type", "input", "output", "kernel", "stride", "params", "MACs",
                      "FLOPs", "activations", "RF"]


# --- issue 11: the interactive viewer as one offline file, big PNGs as posters -------------------
def test_graph_to_html_writes_the_offline_viewer(tmp_path: Path, capsys) -> None:
    out = tmp_path / "googlenet.html"
    assert main(["graph", "googlenet", "-o", str(out), "--depth", "1",
                 "--expand", "inception3a"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "vizcnnViewer.mount" in page and '"open":["inception3a"]' in page
    assert "interactive viewer" in capsys.readouterr().out


def test_a_png_too_tall_for_cairo_becomes_a_poster(tmp_path: Path, capsys) -> None:
    out = tmp_path / "resnet152.png"
    assert main(["graph", "resnet152", "-o", str(out)]) == 0   # every layer: 41,000 px tall
    said = capsys.readouterr().out
    assert "32,767 px limit" in said and "poster" in said
    tiles = sorted(tmp_path.glob("resnet152-*.png"))
    assert len(tiles) >= 5 and not out.exists()
    assert all(t.read_bytes()[:4] == b"\x89PNG" for t in tiles)
