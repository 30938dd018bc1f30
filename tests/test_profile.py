"""Measured latency (vizcnn.experiments.profile): bounded, per layer, joined to the trace.
No assertion here is about speed (timings are noisy on a shared machine); they check what is
measured, the bounds and the bookkeeping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.errors import VizcnnError
from vizcnn.experiments.profile import BETWEEN, profile, profile_rows, zoo_latency, zoo_rows
from vizcnn.spec import ModelSource, ModelSpec

HERE = Path(__file__).resolve()


def tiny() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))


def _tiny_trace():
    return vizcnn.trace(ModelSpec(ModelSource.FACTORY, f"{HERE}:tiny"), (2, 3, 32, 32))


def test_layers_are_the_traced_nodes_and_add_up():
    t = _tiny_trace()
    result = profile(t, repeats=3)
    by_id = {layer.node_id: layer for layer in result.layers}
    assert set(by_id) == {n.id for n in t.nodes if n.module_type} | {BETWEEN}
    assert by_id["0"].macs == t.node("0").macs and by_id["0"].kind == "conv"
    assert sum(layer.macs for layer in result.layers) == t.macs
    assert sum(layer.median_s for layer in result.layers) == pytest.approx(
        result.median_s, rel=1e-9) or by_id[BETWEEN].median_s == 0.0
    assert 1 <= result.runs <= 3 and result.threads == 1
    rows = profile_rows(result)
    json.dumps(rows)
    assert rows[0]["layer"] == "0" and "median_ms" in rows[0]


def test_threads_are_set_for_the_run_and_restored():
    before = torch.get_num_threads()
    result = profile(_tiny_trace(), repeats=1, threads=2)
    assert result.threads == 2 and torch.get_num_threads() == before
    assert profile(_tiny_trace(), repeats=1, threads=None).threads == before


def test_the_time_limit_bounds_the_repeats():
    result = profile(_tiny_trace(), repeats=1000, time_limit=1e-6)
    assert result.runs == 1 and result.cold and result.truncated


def test_limits_and_refusals():
    t = vizcnn.trace("vgg16", (1, 3, 224, 224))
    with pytest.raises(VizcnnError, match="too big to profile"):
        profile(t, max_macs=10 ** 9)
    with pytest.raises(VizcnnError, match="live module"):
        profile(vizcnn.trace(tiny(), (1, 3, 8, 8)))
    with pytest.raises(VizcnnError, match="repeats"):
        profile(_tiny_trace(), repeats=0)
    with pytest.raises(VizcnnError, match="time limit"):
        profile(_tiny_trace(), time_limit=0)


def test_zoo_latency_rows_and_charts():
    from vizcnn.render.cost_charts import latency_figure, zoo_latency_figure

    results = zoo_latency(["shufflenet_v2_x1_0", "mobilenet_v2"], (1, 3, 64, 64), repeats=1)
    rows = zoo_rows(results)
    assert [r["model"] for r in rows] == ["shufflenet_v2_x1_0", "mobilenet_v2"]
    assert rows[0]["macs"] == vizcnn.trace("shufflenet_v2_x1_0", (1, 3, 64, 64)).macs
    zoo = zoo_latency_figure(results, lang="zh")
    assert "MACs" in zoo.layout.title.text and "延迟" in zoo.layout.yaxis.title.text
    per_layer = latency_figure(results[0])
    assert "threads" in per_layer.layout.title.text
    assert "depthwise_conv" in {d.name for d in per_layer.data}


def test_cli_profile(capsys):
    from vizcnn.cli import main

    assert main(["profile", "mobilenet_v2", "--input", "1x3x64x64", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "median of 1 run" in out and "threads" in out and BETWEEN in out
    assert main(["profile", "resnet18", "--input", "1x3x64x64", "--repeats", "1",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["runs"] == 1 and data["rows"][0]["layer"] == "conv1"
    assert main(["profile", "resnet18", "--repeats", "0"]) == 2
    assert main(["profile-zoo", "--models", "shufflenet_v2_x1_0,mobilenet_v2", "--input",
                 "1x3x64x64", "--repeats", "1", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("model,macs,median_ms") and len(lines) == 3
    assert main(["profile-zoo", "--models", "nonet"]) == 2


def test_compute_tab_profiles_only_when_asked():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(HERE.parent.parent / "app.py"), default_timeout=120)
    at.query_params["model"] = "shufflenet_v2_x1_0"
    at.run()
    at.session_state["tab"] = "Compute"
    at.run()
    at.toggle(key="cost_show").set_value(True).run()
    assert not [m for m in at.metric if m.label.startswith("Forward pass")]
    at.button(key="cost_profile_run").click().run()
    assert not at.exception
    shown = [m for m in at.metric if m.label.startswith("Forward pass")]
    assert shown and "1 thread" in shown[0].label and shown[0].value.endswith("ms")


def test_random_weights_are_real_and_bn_statistics_reset():
    from vizcnn.experiments.profile import cpu_model

    model = cpu_model(vizcnn.trace("resnet18", (1, 3, 64, 64)).spec)
    weights = model.conv1.weight
    assert weights.device.type == "cpu" and torch.isfinite(weights).all()
    bound = (3 * 7 * 7) ** -0.5
    assert weights.abs().max() <= bound and weights.std() > bound / 4
    assert torch.equal(model.bn1.running_var, torch.ones(64))
    assert torch.equal(model.bn1.running_mean, torch.zeros(64))
    assert not model.training
