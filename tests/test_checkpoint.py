"""Checkpoints are recognised by key names and shapes against the zoo built on meta."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import vizcnn
from vizcnn.checkpoint import match_shapes
from vizcnn.spec import ModelSource


def _state(name: str, **options) -> dict[str, torch.Tensor]:
    return {k: v.contiguous() for k, v in vizcnn.build(name, **options).state_dict().items()}


def test_changed_num_classes_is_recognised_from_a_pth(tmp_path):
    path = tmp_path / "r18.pth"
    torch.save({"epoch": 3, "state_dict": _state("resnet18", num_classes=10)}, path)
    match = vizcnn.match_checkpoint(path)
    assert match.fit is not None and match.fit.source is ModelSource.ZOO
    assert match.description == "resnet18, num_classes=10"
    t = vizcnn.trace(match.fit, (1, 3, 224, 224))
    assert t.node("fc").output_shapes == ((1, 10),)


def test_options_are_recognised_from_safetensors(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state("mobilenet_v2", width_mult=0.5, num_classes=7), str(path))
    match = vizcnn.match_checkpoint(path)
    assert match.description == "mobilenet_v2, width_mult=0.5, num_classes=7"


def test_shuffled_keys_fit_nothing_and_say_why():
    state = {k: tuple(v.shape) for k, v in _state("resnet18").items()}
    keys = list(state)
    shuffled = dict(zip(keys, [state[k] for k in keys[1:] + keys[:1]]))
    match = match_shapes(shuffled)
    assert match.fit is None
    assert match.nearest[0].spec.name == "resnet18"
    assert "shape mismatch" in match.explain() and "conv1.weight" in match.explain()


def test_a_checkpoint_missing_keys_fits_nothing_and_lists_them():
    state = {k: tuple(v.shape) for k, v in _state("resnet18").items()}
    del state["fc.weight"], state["fc.bias"]
    match = match_shapes(state)
    assert match.fit is None
    assert "2 missing key(s): fc.weight, fc.bias" in match.explain()


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "r18.pth"
    torch.save(_state("resnet18"), path)
    path.write_bytes(path.read_bytes()[:4000])
    with pytest.raises(vizcnn.VizcnnError, match="r18.pth is not a readable PyTorch file"):
        vizcnn.match_checkpoint(path)
