"""A trace records what it was made from, and that record is enough to make it again."""

from __future__ import annotations

import pytest
from torch import nn

import vizcnn
from vizcnn.api import build_spec, zoo_spec
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec, describe_options


def test_zoo_trace_records_every_option_with_defaults_filled():
    t = vizcnn.trace("shufflenet_v1", (1, 3, 224, 224), groups=8)
    assert t.spec.model == ModelSpec(ModelSource.ZOO, "shufflenet_v1",
                                     (("groups", 8), ("scale", 1.0)), 1000)
    assert t.spec.input_shapes == ((1, 3, 224, 224),)
    assert t.spec.training is False and t.spec.dtype == "float32"


def test_two_spellings_of_one_model_are_one_spec():
    assert zoo_spec("shufflenet_v1") == zoo_spec("shufflenet_v1", groups=3)
    assert zoo_spec("shufflenet_v1") != zoo_spec("shufflenet_v1", groups=8)
    assert hash(zoo_spec("resnet50", num_classes=10)) == hash(zoo_spec("resnet50", 10))


def test_spec_survives_json_and_rebuilds_the_same_trace():
    t = vizcnn.trace("shufflenet_v1", (1, 3, 160, 160), groups=8, num_classes=10)
    back = vizcnn.Trace.from_json(t.to_json())
    assert back.spec == t.spec
    again = vizcnn.trace(back.spec.model, back.spec.input_shape, training=back.spec.training)
    assert (again.params, again.macs, again.spec) == (t.params, t.macs, t.spec)


def test_a_live_module_is_recorded_but_cannot_be_rebuilt():
    t = vizcnn.trace(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 3, 8, 8))
    assert t.spec.model == ModelSpec(ModelSource.MODULE, "Sequential")
    assert not t.spec.model.rebuildable
    with pytest.raises(vizcnn.VizcnnError, match="live module"):
        build_spec(t.spec.model)


def test_unknown_option_and_bad_classes_are_refused():
    with pytest.raises(vizcnn.VizcnnError, match="no option colour"):
        zoo_spec("resnet18", colour=1)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(vizcnn.VizcnnError, match="num_classes"):
            zoo_spec("resnet18", num_classes=bad)


def test_describe_options_names_only_what_differs():
    spec = zoo_spec("shufflenet_v1", groups=8)
    assert describe_options(spec.options, zoo_spec("shufflenet_v1").options) == "groups=8"
    assert describe_options(spec.options) == "groups=8, scale=1.0"


def test_with_input_and_with_options_make_new_specs():
    spec = TraceSpec(zoo_spec("resnet18"), ((1, 3, 224, 224),), False)
    assert spec.with_input((2, 3, 64, 64)).input_shape == (2, 3, 64, 64)
    assert spec.model.with_options(se=True).option("se") is True
    assert spec.model.option("se") is False
