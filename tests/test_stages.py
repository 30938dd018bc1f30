"""Stage grouping: the main path split by spatial resolution, as papers draw it."""

from __future__ import annotations

import pytest
from torch import nn

import vizcnn
from vizcnn.views.stages import HEAD, STEM, BlockRun, stage_of, stage_rows, stages


def _counted(t: vizcnn.Trace) -> list[str]:
    return [n.id for n in t.nodes if n.op not in ("input", "output")]


def _assert_partition(t: vizcnn.Trace, result) -> None:
    """Every counted node in exactly one stage, in execution order; totals add up."""
    ids = [i for s in result for i in s.node_ids]
    assert sorted(ids) == sorted(_counted(t))
    assert sum(s.macs for s in result) == t.macs
    assert sum(s.flops for s in result) == t.flops
    assert sum(s.params for s in result) == sum(n.params for n in t.nodes)
    assert sum(s.activation_bytes for s in result) == sum(
        n.activation_bytes for n in t.nodes if n.op not in ("input", "output"))
    assert [s.index for s in result] == list(range(len(result)))


@pytest.fixture(scope="module")
def resnet50() -> vizcnn.Trace:
    return vizcnn.trace("resnet50", (1, 3, 224, 224))


def test_resnet50_stages(resnet50):
    result = stages(resnet50)
    _assert_partition(resnet50, result)
    assert [s.name for s in result] == [STEM, "layer1", "layer2", "layer3", "layer4", HEAD]
    assert [s.resolution for s in result] == [(112, 112), (56, 56), (28, 28), (14, 14),
                                              (7, 7), None]
    assert [s.channels for s in result] == [64, 256, 512, 1024, 2048, 1000]
    assert sum(s.params for s in result) == resnet50.params
    # conv2_x .. conv5_x of the paper: [1×1, 3×3, 1×1] bottlenecks × 3, 4, 6, 3
    bottlenecks = [[b.count for b in s.blocks if b.type == "Bottleneck"] for s in result[1:5]]
    assert bottlenecks == [[3], [4], [6], [3]]
    assert result[1].blocks[0] == BlockRun("MaxPool2d", 1, "3×3 max pool, stride 2")
    assert result[0].blocks == (BlockRun("Conv2d", 1, "7×7 conv, 64, stride 2"),)
    assert [b.text for b in result[-1].blocks] == ["global avg pool", "fc, 1000"]
    assert result[0].node_ids == ("conv1", "bn1", "relu")
    assert result[1].node_ids[0] == "maxpool"
    assert set(result[-1].node_ids) == {"avgpool", "/flatten", "fc"}
    # the compute share of each stage is the trace's
    assert result[3].macs == sum(n.macs for n in resnet50.nodes if n.id.startswith("layer3."))


def test_resnet50_small_input_keeps_last_stage_out_of_head():
    """At 32×32 layer4 works at 1×1: it is still a stage; the head starts at the pool."""
    t = vizcnn.trace("resnet50", (1, 3, 32, 32))
    result = stages(t)
    _assert_partition(t, result)
    assert [s.name for s in result][-2:] == ["layer4", HEAD]
    assert result[-2].resolution == (1, 1)
    assert result[-1].node_ids[0] == "avgpool"


def test_vgg16_flat_sequential():
    t = vizcnn.trace("vgg16", (1, 3, 224, 224))
    result = stages(t)
    _assert_partition(t, result)
    assert [s.resolution for s in result] == [
        (224, 224), (112, 112), (56, 56), (28, 28), (14, 14), (7, 7), None]
    # no downsampling before the first convs: not a "stem", just its size
    assert [s.name for s in result] == [
        "224×224", "112×112", "56×56", "28×28", "14×14", "7×7", HEAD]
    assert [s.channels for s in result] == [64, 128, 256, 512, 512, 512, 1000]
    convs = [sum(b.count for b in s.blocks if b.type == "Conv2d") for s in result]
    assert convs == [2, 2, 3, 3, 3, 0, 0]
    assert result[1].blocks[-1].text == "3×3 conv, 128 × 2"
    head = result[-1]
    assert [n for n in head.node_ids if n.startswith("classifier.")] == [
        f"classifier.{i}" for i in range(7)]
    assert head.macs == 4096 * 25088 + 4096 * 4096 + 1000 * 4096


def test_mobilenet_v2_inverted_residual_counts():
    t = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224))
    result = stages(t)
    _assert_partition(t, result)
    assert [s.resolution for s in result] == [(112, 112), (56, 56), (28, 28), (14, 14),
                                              (7, 7), None]
    assert [s.channels for s in result] == [16, 24, 32, 96, 1280, 1000]
    # paper Table 2: bottleneck n = 1 | 2 | 3 | 4 + 3 | 3 + 1 (the stride-2 block opens a stage)
    blocks = [sum(b.count for b in s.blocks if b.type == "InvertedResidual") for s in result]
    assert blocks == [1, 2, 3, 7, 4, 0]
    assert result[0].name == STEM


def test_user_sequential_with_stem_at_input_size():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )
    t = vizcnn.trace(model, (2, 3, 32, 32))
    result = stages(t)
    _assert_partition(t, result)
    assert [(s.name, s.resolution, s.channels) for s in result] == [
        ("32×32", (32, 32), 8), ("16×16", (16, 16), 16), (HEAD, None, 10)]
    assert result[-1].node_ids == ("5", "6", "7")
    assert result[-1].size_label == "10-d"
    assert result[0].size_label == "32×32"


def test_auxiliary_classifier_stays_in_its_stage():
    t = vizcnn.trace("googlenet", (1, 3, 224, 224), training=True)
    result = stages(t)
    _assert_partition(t, result)
    aux = {n.id for n in t.nodes if n.id.startswith("aux")}
    assert aux
    owner = {i: s.name for s in result for i in s.node_ids}
    assert {owner[i] for i in aux} == {"14×14"}
    assert result[-1].name == HEAD and not aux & set(result[-1].node_ids)
    # the aux classifiers sit between inception blocks, as in the paper's figure
    assert [b.text for b in result[3].blocks] == [
        "3×3 max pool, stride 2", "Inception", "InceptionAux", "Inception × 3", "InceptionAux",
        "Inception"]


@pytest.mark.parametrize("name", ["shufflenet_v2_x1_0", "ghostnet", "darknet19"])
def test_other_families_partition(name):
    t = vizcnn.trace(name, (1, 3, 224, 224))
    result = stages(t)
    _assert_partition(t, result)
    assert result[-1].name == HEAD
    resolutions = [s.resolution for s in result[:-1]]
    assert resolutions[-1] == (7, 7)
    sides = [r[0] for r in resolutions]
    assert sides == sorted(sides, reverse=True)  # resolution only goes down


def test_stage_rows_and_lookup(resnet50):
    rows = stage_rows(resnet50)
    assert [r["stage"] for r in rows] == [s.name for s in stages(resnet50)]
    assert rows[1]["blocks"] == "3×3 max pool, stride 2; Bottleneck × 3"
    assert rows[1]["output_size"] == "56×56"
    lookup = stage_of(resnet50)
    assert lookup["layer3.4.conv2"] == "layer3" and lookup["fc"] == HEAD
