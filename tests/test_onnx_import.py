"""ONNX files → traces: every zoo model exported by PyTorch gives the params, MACs and stage
shapes of its meta trace; a hand-written graph traces, draws and counts correctly."""

from __future__ import annotations

import shutil

import pytest
from torch import nn

import vizcnn
from vizcnn.onnx_import import folded_batchnorms, read_onnx
from vizcnn.render.dot import GraphOptions, to_dot
from vizcnn.render.graphviz_run import render_to_file
from vizcnn.spec import ModelSource
from vizcnn.views.collapse import collapse
from vizcnn.views.stages import stages

from onnx_fixtures import export, hand_written, input_size

# googlenet's auxiliary classifiers run in train mode only: an eval export has none of them
OPTIONS = {"googlenet": {"aux_logits": False}, "googlenet_paper": {"aux_logits": False}}
# The old exporter writes these with shapes computed at run time (chunk → Slice of computed
# bounds; LRN → Pad of computed pads; alexnet_original's LRN does not export), which ONNX
# shape inference cannot follow: they are cross-checked through the current exporter.
CURRENT_ONLY = ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                "shufflenet_v2_x2_0", "ghostnet", "alexnet_original", "googlenet_paper"]
OLD = [name for name in vizcnn.list_models() if name not in CURRENT_ONLY]


def _stage_shapes(trace) -> list:
    return [(s.resolution, s.channels) for s in stages(trace)]


def _batchnorms(name: str) -> int:
    model = vizcnn.build(name, **OPTIONS.get(name, {}))
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


@pytest.mark.parametrize("name", OLD)
def test_old_exporter_matches_the_meta_trace(name, tmp_path):
    options = OPTIONS.get(name, {})
    path = export(name, tmp_path / f"{name}.onnx", external=True, **options)
    assert not path.with_name(path.name + ".data").exists()
    got = read_onnx(path)
    want = vizcnn.trace(name, input_size(name), **options)
    assert got.params == want.params
    assert got.macs == want.macs
    # ONNX has no num_batches_tracked: one scalar buffer less per BatchNorm
    assert got.buffers == want.buffers - _batchnorms(name)
    assert _stage_shapes(got) == _stage_shapes(want)
    assert not got.uncounted
    # the hierarchy is the model's: every module path of the file is one of the trace's
    assert set(got.modules) <= set(want.modules)
    assert folded_batchnorms(got) == 0


def _folded_params(want) -> tuple[int, int]:
    """Params of the trace with every conv→BatchNorm pair merged, and how many pairs."""
    by_id = {n.id: n for n in want.nodes}
    source = {e.dst: e.src for e in want.edges}
    params, pairs = want.params, 0
    for node in want.nodes:
        conv = by_id.get(source.get(node.id, ""))
        if node.op == "batch_norm" and conv is not None and conv.op == "conv":
            pairs += 1
            params -= node.params
            params += 0 if conv.attrs["bias"] else conv.attrs["out_channels"]
    return params, pairs


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "googlenet",
                                  *CURRENT_ONLY])
def test_current_exporter_folds_batchnorm_and_says_so(name, tmp_path):
    options = OPTIONS.get(name, {})
    path = export(name, tmp_path / f"{name}.onnx", dynamo=True, **options)
    data = path.with_name(path.name + ".data")
    assert data.exists()          # the weights went to the side file ...
    data.unlink()                 # ... which vizcnn never reads
    got = vizcnn.load_onnx(path)
    want = vizcnn.trace(name, input_size(name), **options)
    params, pairs = _folded_params(want)
    assert got.macs == want.macs
    assert got.params == params
    assert folded_batchnorms(got) == pairs
    assert _stage_shapes(got) == _stage_shapes(want)
    # the current exporter records classes: blocks keep their names for stages and folds
    blocks = {m.type for p, m in want.modules.items() if p}
    assert {m.type for p, m in got.modules.items() if p} <= blocks | {"Conv2d"}


def test_old_exporter_folding_is_reported(tmp_path):
    path = export("resnet18", tmp_path / "r18.onnx", fold=True)
    got = read_onnx(path)
    want = vizcnn.trace("resnet18", input_size("resnet18"))
    params, pairs = _folded_params(want)
    assert (got.params, got.macs) == (params, want.macs)
    assert folded_batchnorms(got) == pairs == 20


def test_node_fields_look_like_a_traced_model(tmp_path):
    got = read_onnx(export("resnet18", tmp_path / "r18.onnx"))
    want = vizcnn.trace("resnet18", input_size("resnet18"))
    fields = lambda t: [(n.id, n.path, n.scope, n.op, n.kind, n.input_shapes, n.output_shapes,
                         n.params, n.macs, n.flops, n.receptive_field) for n in t.nodes]
    assert fields(got) == fields(want)
    conv = got.node("layer1.0.conv1")
    assert conv.attrs == want.node("layer1.0.conv1").attrs
    assert conv.module_type == "Conv2d"
    assert got.node("layer1.0.relu#1").call_index == 1
    assert [(e.src, e.dst, e.shape) for e in got.edges] == [
        (e.src, e.dst, e.shape) for e in want.edges]
    # depth/collapse work as on a trace: layer1 closed is one box holding its blocks' params
    box = collapse(got, depth=1).box("layer1")
    assert box.params == collapse(want, depth=1).box("layer1").params


def test_spec_records_the_file_and_its_digest(tmp_path):
    first = vizcnn.load_onnx(export("resnet18", tmp_path / "a.onnx"))
    other = tmp_path / "b.onnx"
    shutil.copy(export("mobilenet_v2", tmp_path / "m.onnx"), other)
    second = vizcnn.load_onnx(other)
    assert first.spec.model.source is ModelSource.ONNX
    assert first.spec.model.name == "a.onnx"
    assert first.spec.model.rebuildable is False
    assert first.spec.model.option("sha256") != second.spec.model.option("sha256")
    assert len(first.spec.model.option("sha256")) == 64
    again = vizcnn.Trace.from_json(first.to_json())
    assert again.spec == first.spec and again.params == first.params


def test_symbolic_batch_is_filled_from_the_input_size(tmp_path):
    path = hand_written(tmp_path / "hand.onnx")
    with pytest.raises(vizcnn.ShapeError, match="symbolic dims N×3×8×8"):
        read_onnx(path)
    with pytest.raises(vizcnn.ShapeError, match="fixed to N×3×8×8"):
        read_onnx(path, (2, 3, 9, 9))
    one, two = read_onnx(path, (1, 3, 8, 8)), read_onnx(path, (2, 3, 8, 8))
    assert two.macs == 2 * one.macs and two.params == one.params
    assert two.node("output").input_shapes == ((2, 10),)


def test_hand_written_graph_traces_counts_and_draws(tmp_path):
    t = read_onnx(hand_written(tmp_path / "hand.onnx"), (2, 3, 8, 8))
    assert [n.id for n in t.nodes] == ["input", "/conv", "/conv#1", "/cat", "/relu",
                                       "/adaptive_avg_pool", "/flatten", "/linear", "output"]
    assert all(n.scope == () and n.module_type == "" for n in t.nodes)
    assert list(t.modules) == [""]
    assert t.params == (4 * 3 + 4) + (4 * 3 * 9 + 4) + (10 * 8 + 10)
    conv_a = 2 * 4 * 8 * 8 * 3
    conv_b = 2 * 4 * 8 * 8 * 27
    assert t.macs == conv_a + conv_b + 2 * 10 * 8
    cat = t.node("/cat")
    assert cat.output_shapes == ((2, 8, 8, 8),) and cat.attrs == {"dim": 1}
    assert sorted(e.src for e in t.edges if e.dst == "/cat") == ["/conv", "/conv#1"]
    assert t.node("/conv#1").attrs["kernel_size"] == (3, 3)
    assert t.node("/linear").kind == "linear"
    assert t.node("/linear").attrs == {"in_features": 8, "out_features": 10, "bias": True}
    # FLOPs: 2·MACs + biases, ReLU, pooling under vizcnn's conventions
    relu = 2 * 8 * 8 * 8
    assert t.flops == (2 * (conv_a + conv_b + 160) + 2 * 4 * 64 * 2 + 2 * 10
                       + relu + relu)
    dot = to_dot(t, GraphOptions())
    assert "/cat" in dot or "cat" in dot
    render_to_file(dot, tmp_path / "hand.svg")
    svg = (tmp_path / "hand.svg").read_text()
    assert "<svg" in svg and "linear" in svg


def test_unknown_ops_are_listed_as_uncounted(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Erf", ["x"], ["e"]), helper.make_node("Relu", ["e"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 4])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "erf.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    t = read_onnx(path)
    assert t.uncounted == {"Erf": 1}
    assert t.node("/Erf").uncounted == ("Erf",)
    assert t.flops == 4


def test_attention_op_counts_two_matmuls_and_a_softmax(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 2, 4, 8])
    k = helper.make_tensor_value_info("k", TensorProto.FLOAT, [1, 2, 6, 8])
    v = helper.make_tensor_value_info("v", TensorProto.FLOAT, [1, 2, 6, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 8])
    graph = helper.make_graph([helper.make_node("Attention", ["q", "k", "v"], ["y"])], "att",
                              [q, k, v], [y])
    path = tmp_path / "att.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)]), path)
    t = read_onnx(path)
    scores = 1 * 2 * 4 * 6
    assert t.macs == scores * 8 + (1 * 2 * 4 * 8) * 6      # Q·Kᵀ, then softmax(…)·V
    assert t.flops == 2 * t.macs + 3 * scores               # softmax: 3 FLOPs per score
    assert not t.uncounted
    assert t.node("/attention").kind == "matmul"
