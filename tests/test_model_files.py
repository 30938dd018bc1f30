"""Bad model files each get a clear VizcnnError before or while they are read, and the read
runs in a child process bounded in time and memory."""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.model_files import check_file, load_onnx
from vizcnn.sandbox import MB, Limits

from onnx_fixtures import hand_written


@pytest.fixture
def good(tmp_path):
    return hand_written(tmp_path / "hand.onnx")


def test_a_good_file_reads_in_the_child(good):
    t = load_onnx(good, (1, 3, 8, 8))
    assert t.params == 16 + 112 + 90


@pytest.mark.parametrize("case, content, name, reason, words", [
    ("empty", b"", "m.onnx", "empty", "is empty"),
    ("wrong extension", b"hello", "m.txt", "extension", "vizcnn reads .onnx"),
    ("pickle as onnx", pickle.dumps({"a": 1}), "m.onnx", "not onnx", "not ONNX"),
    ("malformed", b"\x01\x02garbage" * 40, "m.onnx", None, "not a readable ONNX file"),
    ("not a torch file", b"just text", "m.pth", "malformed", "not a file written by torch"),
    ("bad safetensors", b"\xff" * 8 + b"{}", "m.safetensors", "malformed", "not a safetensors"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path, case, content, name, reason, words):
    path = tmp_path / name
    path.write_bytes(content)
    reader = load_onnx if name.endswith((".onnx", ".txt")) else vizcnn.match_checkpoint
    with pytest.raises(vizcnn.VizcnnError, match=words) as error:
        reader(path)
    if reason:
        assert error.value.reason == reason


def test_truncated_onnx_is_refused(good, tmp_path):
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(vizcnn.VizcnnError, match="cut.onnx"):
        load_onnx(cut, (1, 3, 8, 8))


def test_huge_files_are_refused_before_reading(tmp_path, good):
    huge = tmp_path / "huge.onnx"
    with open(huge, "wb") as f:     # sparse: 300 MB on paper, nothing on disk
        f.truncate(300 * MB)
    with pytest.raises(vizcnn.VizcnnError, match="over the 200 MB limit"):
        load_onnx(huge)
    with pytest.raises(vizcnn.VizcnnError, match=r"is 1,\d{3} bytes: over the 1,000 bytes limit"):
        check_file(good, Limits(max_bytes=1000))


def test_torchscript_is_refused_as_code(tmp_path):
    script = torch.jit.script(nn.Sequential(nn.Linear(2, 2)))
    for name in ("model.pth", "model.onnx"):
        torch.jit.save(script, str(tmp_path / name))
        with pytest.raises(vizcnn.VizcnnError, match="TorchScript program") as error:
            (vizcnn.match_checkpoint if name.endswith("pth") else load_onnx)(tmp_path / name)
        assert error.value.reason == "torchscript"


def test_a_pickled_whole_model_is_refused_as_needing_code(tmp_path):
    path = tmp_path / "whole.pth"
    torch.save(nn.Linear(2, 2), path)
    with pytest.raises(vizcnn.VizcnnError, match=r"pickled Python object .*Linear.*state_dict"):
        vizcnn.match_checkpoint(path)


def test_time_and_memory_bounds_stop_the_child(good):
    with pytest.raises(vizcnn.VizcnnError, match="time limit"):
        load_onnx(good, (1, 3, 8, 8), limits=Limits(seconds=0.05))
    with pytest.raises(vizcnn.VizcnnError, match="memory limit"):
        load_onnx(good, (1, 3, 8, 8), limits=Limits(memory_bytes=1))
