"""The sidebar's model-file upload through AppTest: an ONNX file is traced and drawn, a
checkpoint is recognised and opened in the zoo, every bad file gets a clear message and the
app keeps working."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest
from torch import nn

import vizcnn
from vizcnn.words import human

from onnx_fixtures import export

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.session_state["source"] = "user"
    return at.run()


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.sidebar.get("file_uploader")[0].set_value((name, content, "application/octet-stream"))
    return at.run()


def _clean(at: AppTest) -> None:
    assert len(at.exception) == 0, [e.value for e in at.exception]


def _saved(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def test_onnx_upload_is_traced_and_drawn(tmp_path):
    path = export("resnet18", tmp_path / "r18.onnx", fold=True)
    at = _upload(_app(), "r18.onnx", path.read_bytes())
    _clean(at)
    text = " ".join(m.value for m in at.markdown)
    assert "r18.onnx" in text
    want = vizcnn.load_onnx(path)
    assert human(want.params) in text and human(want.macs) in text
    assert any("vizcnn-graph" in m.value and "<svg" in m.value for m in at.markdown)
    assert "200 MB" in " ".join(c.value for c in at.sidebar.get("caption"))
    captions = " ".join(c.value for c in at.caption)
    assert "never run" in captions and "folded BatchNorm into 20 convolution(s)" in captions


def test_bad_files_get_a_message_and_the_app_keeps_working(tmp_path):
    script = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), script)
    cases = {
        "empty.onnx": (b"", "is empty"),
        "notes.txt": (b"hello", "vizcnn reads .onnx"),
        "garbage.onnx": (b"\x01\x02garbage" * 50, "not a readable ONNX file"),
        "pickle.onnx": (pickle.dumps([1, 2]), "not ONNX"),
        "whole.pth": (_saved(nn.Linear(2, 2)), "needs code to load"),
        "script.pth": (script.getvalue(), "TorchScript program"),
        "cut.pth": (_saved(nn.Linear(2, 2).state_dict())[:300], "not a readable PyTorch file"),
        "cut.safetensors": (b"\x10\x00\x00\x00\x00\x00\x00\x00{", "truncated"),
    }
    at = _app()
    for name, (content, words) in cases.items():
        at = _upload(at, name, content)
        _clean(at)
        errors = [e.value for e in at.sidebar.get("alert") if "cannot be used" in str(
            getattr(e, "value", ""))] or [e.value for e in at.error]
        assert any(words in e for e in errors), (name, errors)
    at.sidebar.get("file_uploader")[0].set_value(None)
    at.session_state["source"] = "zoo"
    at = at.run()
    _clean(at)
    assert human(vizcnn.trace("resnet18", (1, 3, 224, 224)).params) in " ".join(
        m.value for m in at.markdown)


def test_checkpoint_is_recognised_and_opened_in_the_zoo():
    state = vizcnn.build("resnet18", num_classes=10).state_dict()
    at = _upload(_app(), "r18_10.pth", _saved(state))
    _clean(at)
    assert any("resnet18, num_classes=10" in s.value for s in at.success)
    at.button(key="upload_open").click()
    at = at.run()
    _clean(at)
    assert at.session_state["source"] == "zoo" and at.session_state["model"] == "resnet18"
    assert at.session_state["classes"] == "10"   # the checked text field holds what is typed
    want = vizcnn.trace("resnet18", (1, 3, 224, 224), num_classes=10)
    assert human(want.params) in " ".join(m.value for m in at.markdown)
