"""Memory traffic, arithmetic intensity and the roofline (vizcnn.views.traffic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.errors import VizcnnError
from vizcnn.views.stages import stage_of
from vizcnn.views.traffic import (DEVICE_PRESETS, Device, block_totals, layer_traffic,
                                  memory_bound_share, roofline, totals, traffic_rows)


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, padding=1)
        self.dw = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.conv(x))
        x = self.relu(self.dw(x))        # the same ReLU module twice
        return torch.flatten(x, 1)


def _by_id(trace, dtype=None):
    return {r.node_id: r for r in layer_traffic(trace, dtype)}


def test_bytes_of_a_conv_are_inputs_weights_and_outputs():
    t = vizcnn.trace(Small(), (2, 3, 8, 8))
    conv = _by_id(t)["conv"]
    assert conv.input_bytes == 2 * 3 * 8 * 8 * 4
    assert conv.weight_bytes == (64 * 3 * 9 + 64) * 4
    assert conv.output_bytes == 2 * 64 * 8 * 8 * 4
    assert conv.intensity == pytest.approx(t.node("conv").flops / conv.bytes)


def test_dtype_scales_bytes_and_views_are_free():
    t = vizcnn.trace(Small(), (1, 3, 8, 8))
    fp32, fp16 = _by_id(t), _by_id(t, "float16")
    assert fp16["conv"].bytes * 2 == fp32["conv"].bytes
    assert fp32["/flatten"].bytes == 0
    half = vizcnn.trace(Small().half(), (1, 3, 8, 8), dtype=torch.float16)
    assert _by_id(half)["conv"].bytes == fp16["conv"].bytes   # the trace's own dtype
    with pytest.raises(VizcnnError, match="unknown dtype"):
        layer_traffic(t, "complex32")


def test_a_reused_module_is_read_on_every_call():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1)

        def forward(self, x):
            return self.conv(self.conv(x))

    rows = _by_id(vizcnn.trace(Twice(), (1, 4, 5, 5)))
    assert rows["conv"].weight_bytes == rows["conv#1"].weight_bytes == (16 + 4) * 4


def test_channel_shuffle_copies_but_chunk_does_not():
    rows = _by_id(vizcnn.trace("shufflenet_v2_x1_0", (1, 3, 224, 224)))
    shuffle = rows["stage2.1.shuffle"]
    assert shuffle.kind == "shuffle" and shuffle.bytes == 2 * 116 * 28 * 28 * 4
    assert rows["stage2.2/chunk"].bytes == 0


def test_totals_partition_the_layers():
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    layers = layer_traffic(t)
    whole = sum(r.bytes for r in layers)
    for groups in (block_totals(t, layers, 1), block_totals(t, layers, 2),
                   totals(layers, stage_of(t))):
        assert sum(g["bytes"] for g in groups) == whole
        assert sum(g["flops"] for g in groups) == t.flops
    assert [g["group"] for g in totals(layers, stage_of(t))][-1] == "head"


def test_roofline_puts_depthwise_below_the_ridge_and_big_convs_above():
    t4 = DEVICE_PRESETS["NVIDIA T4"]
    points = {p.layer.node_id: p for p in roofline(layer_traffic(
        vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))), t4)}
    depthwise = [p for p in points.values() if p.layer.kind == "depthwise_conv"]
    assert depthwise and all(p.memory_bound for p in depthwise)
    resnet = roofline(layer_traffic(vizcnn.trace("resnet50", (8, 3, 224, 224))), t4)
    assert any(not p.memory_bound for p in resnet if p.layer.kind == "conv")
    for p in resnet:
        assert p.attainable <= t4.peak_flops
        assert p.time == pytest.approx(max(p.layer.flops / t4.peak_flops,
                                           p.layer.bytes / t4.bandwidth))


def test_shufflenet_lesson_memory_bound_share():
    """The lightweight nets spend more of their best-case time in memory-bound layers."""
    t4 = DEVICE_PRESETS["NVIDIA T4"]
    share = {name: memory_bound_share(roofline(layer_traffic(
        vizcnn.trace(name, (1, 3, 224, 224))), t4))["time"]
        for name in ("resnet50", "shufflenet_v2_x1_0", "mobilenet_v2")}
    assert share["shufflenet_v2_x1_0"] > share["resnet50"]
    assert share["mobilenet_v2"] > share["resnet50"]


def test_rows_and_device_validation():
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    rows = traffic_rows(layer_traffic(t), DEVICE_PRESETS["NVIDIA A100 40GB"])
    assert {r["bound"] for r in rows} <= {"memory", "compute", ""}
    json.dumps(rows)
    with pytest.raises(VizcnnError, match="positive"):
        Device("bad", 0, 1e9)


def test_machine_is_measured_with_threads_stated():
    from vizcnn.experiments.machine import measure_machine

    device = measure_machine(time_limit=0.1, matmul_size=128, copy_megabytes=8)
    assert device.peak_flops > 0 and device.bandwidth > 0
    assert f"{torch.get_num_threads()} thread" in device.name
    with pytest.raises(VizcnnError):
        measure_machine(time_limit=0)


def test_roofline_chart_labels_units_in_both_languages():
    from vizcnn.render.cost_charts import roofline_figure

    t = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    device = DEVICE_PRESETS["NVIDIA T4"]
    en = roofline_figure(layer_traffic(t), device, t.model)
    zh = roofline_figure(layer_traffic(t), device, t.model, lang="zh")
    assert "FLOPs per byte" in en.layout.xaxis.title.text and "memory-bound" in en.layout.title.text
    assert "算术强度" in zh.layout.xaxis.title.text
    assert "depthwise_conv" in {d.name for d in en.data}


def test_cli_traffic(capsys):
    from vizcnn.cli import main

    assert main(["traffic", "mobilenet_v2", "--by", "stage"]) == 0
    out = capsys.readouterr().out
    assert "memory-bound layers" in out and "7×7" in out
    assert main(["traffic", "resnet18", "--format", "json", "--dtype", "float16"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["dtype"] == "float16" and data["rows"][0]["layer"] == "conv1"
    assert main(["traffic", "resnet18", "--device", "nope"]) == 2


def test_compute_tab_shows_counters_and_roofline():
    """The app's "Beyond MACs" section (vizcnn/ui/costs_panel.py) through AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"),
                           default_timeout=120)
    at.query_params["model"] = "mobilenet_v2"
    at.run()
    at.session_state["tab"] = "Compute"
    at.run()
    assert len(at.get("plotly_chart")) == 5          # closed until asked
    at.toggle(key="cost_show").set_value(True).run()
    assert not at.exception
    trace = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    share = memory_bound_share(roofline(layer_traffic(trace), DEVICE_PRESETS["NVIDIA T4"]))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Memory-bound: time / FLOPs"] == (
        f"{100 * share['time']:.0f} % / {100 * share['flops']:.0f} %")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any("what each counter reports" in t for t in titles)
    assert any("roofline" in t for t in titles)
    at.number_input(key="cost_peak_NVIDIA_T4").set_value(16.2).run()   # edit the device
    assert {m.label: m.value for m in at.metric}["Ridge point"] == "50.6 FLOP/B"
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert "MACs 之外" in [h.value for h in at.header]
