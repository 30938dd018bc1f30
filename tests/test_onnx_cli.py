"""`vizcnn trace|summary|graph|export model.onnx` work like a zoo name; `vizcnn match`."""

from __future__ import annotations

import json

import torch

import vizcnn
from vizcnn.cli import main

from onnx_fixtures import export, hand_written


def test_onnx_file_commands(tmp_path, capsys):
    path = export("resnet18", tmp_path / "r18.onnx", fold=True)
    assert main(["summary", str(path), "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "layer1" in out and "r18.onnx" in out
    assert "folded BatchNorm into 20 convolution(s)" in out
    assert main(["trace", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["spec"]["model"]["source"] == "onnx" and data["macs"] == vizcnn.trace(
        "resnet18", (1, 3, 224, 224)).macs
    assert main(["graph", str(path), "-o", str(tmp_path / "g.svg"), "--depth", "1"]) == 0
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert main(["export", str(path), "--out", str(tmp_path / "all")]) == 0
    assert (tmp_path / "all" / "trace.json").exists()


def test_symbolic_input_from_the_command_line(tmp_path, capsys):
    path = hand_written(tmp_path / "hand.onnx")
    assert main(["summary", str(path)]) == 2
    assert "give an input shape" in capsys.readouterr().err
    assert main(["summary", str(path), "--input", "4x3x8x8"]) == 0
    assert "4×10" in capsys.readouterr().out


def test_match_and_draw(tmp_path, capsys):
    path = tmp_path / "ckpt.pth"
    torch.save(vizcnn.build("resnet18", num_classes=10).state_dict(), path)
    assert main(["match", str(path), "-o", str(tmp_path / "m.svg")]) == 0
    out = capsys.readouterr().out
    assert "fits resnet18, num_classes=10" in out
    assert "<svg" in (tmp_path / "m.svg").read_text()
    torch.save(vizcnn.build("resnet18"), tmp_path / "whole.pth")
    assert main(["match", str(tmp_path / "whole.pth")]) == 2
    assert "needs code to load" in capsys.readouterr().err
