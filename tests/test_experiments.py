"""Experiments derive their variants from the trace's spec: sweeps, comparisons and accepted
sizes keep every option, the classes, the batch and the mode of the trace they start from."""

from __future__ import annotations

import pytest
from torch import nn

import vizcnn
from vizcnn.experiments import (
    MAX_SWEEP_SIDES, accepted_sides, compare, compare_spec, expected_channels, file_stem,
    model_label, sides_between, smallest_step, sweep,
)
from vizcnn.api import zoo_spec


def test_sweep_of_a_trace_keeps_its_options_classes_batch_and_mode():
    t = vizcnn.trace("shufflenet_v1", (2, 3, 224, 224), groups=8, num_classes=10,
                     training=True)
    points = sweep(t, [160, 224])
    at_224 = points[1]
    assert (at_224.params, at_224.macs, at_224.flops) == (t.params, t.macs, t.flops)
    assert at_224.input_shape == (2, 3, 224, 224)
    small = vizcnn.trace("shufflenet_v1", (2, 3, 160, 160), groups=8, num_classes=10,
                         training=True)
    assert points[0].macs == small.macs


def test_sweep_runs_exactly_the_range_asked_or_refuses():
    sides = sides_between(8, 1024, 8)
    assert sides[0] == 8 and sides[-1] == 1024 and len(sides) == MAX_SWEEP_SIDES
    assert sides_between(32, 100, 32) == [32, 64, 96, 100]
    assert smallest_step(8, 1024) == 8 and len(sides_between(8, 1024, 7)) > MAX_SWEEP_SIDES
    with pytest.raises(vizcnn.VizcnnError, match="at most 128"):
        sweep("resnet18", sides_between(8, 1024, 1))
    with pytest.raises(vizcnn.VizcnnError):
        sides_between(64, 32, 8)


def test_compare_uses_the_spec_it_is_given_and_names_its_options():
    g8 = zoo_spec("shufflenet_v1", groups=8)
    points = compare([g8, "shufflenet_v1"], 224)
    assert [p.name for p in points] == ["shufflenet_v1 (groups=8)", "shufflenet_v1"]
    assert points[0].params == vizcnn.trace("shufflenet_v1", (1, 3, 224, 224), groups=8).params
    assert points[0].params != points[1].params
    t = vizcnn.trace("shufflenet_v1", (1, 3, 224, 224), groups=8)
    assert compare([t])[0].name == "shufflenet_v1 (groups=8)"


def test_compare_of_a_rejected_model_has_a_reason_and_no_figures():
    bad, good = compare(["alexnet", "resnet18"], 16)
    assert bad.error and (bad.params, bad.macs, bad.flops) == (None, None, None)
    assert good.ok and good.params == vizcnn.trace("resnet18", (1, 3, 16, 16)).params


def test_compare_spec_uses_the_models_own_channels_and_the_batch_and_mode():
    spec = compare_spec("resnet18", 64, batch=2, training=True)
    assert spec.input_shape == (2, 3, 64, 64) and spec.training


def test_accepted_sides_of_a_trace_use_its_mode_and_options():
    train = vizcnn.trace("googlenet_paper", (1, 3, 224, 224), training=True)
    assert accepted_sides(train) == (223, 270)
    assert accepted_sides(train.spec) == (223, 270)
    # ceil-mode pools let a 31-pixel input through, as real meta execution does (issue 10)
    assert accepted_sides(vizcnn.trace("googlenet_paper", (1, 3, 224, 224))) == (31, None)
    assert vizcnn.accepted_sides is accepted_sides  # still exported from the package root
    assert expected_channels(zoo_spec("resnet18")) == 3


def test_names_and_file_stems_name_the_options():
    g3 = vizcnn.trace("shufflenet_v1", (1, 3, 224, 224))
    g8 = vizcnn.trace("shufflenet_v1", (1, 3, 224, 224), groups=8)
    assert file_stem(g3.spec) == "shufflenet_v1_1x3x224x224"
    assert file_stem(g8.spec) == "shufflenet_v1_groups8_1x3x224x224"
    ten = vizcnn.trace("resnet18", (1, 3, 64, 64), num_classes=10, training=True)
    assert file_stem(ten.spec) == "resnet18_classes10_1x3x64x64_train"
    assert model_label(ten.spec.model) == "resnet18 (classes=10)"
    user = vizcnn.trace(nn.Conv2d(3, 4, 3), (1, 3, 8, 8))
    assert model_label(user.spec.model) == "Conv2d"
