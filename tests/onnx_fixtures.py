"""ONNX files made at test time: zoo models through PyTorch's exporters, and a graph written
by hand with ``onnx.helper`` (no module names, a Gemm, a Concat of branches)."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

import vizcnn


def randomized(model: nn.Module, seed: int = 0) -> nn.Module:
    """Distinct values in every tensor, so no exporter merges two equal ones."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
    return model


def input_size(name: str) -> tuple[int, int, int, int]:
    card = vizcnn.model_card(name)
    return (1, card.in_channels, card.input_size, card.input_size)


def export(name: str, path: Path, *, dynamo: bool = False, fold: bool = False,
           external: bool = False, **options) -> Path:
    """Export the zoo model ``name`` (eval mode, random weights) to ``path``.

    The old exporter folds BatchNorm into the conv unless ``fold`` is off (it is off by
    default here, so the file keeps every parameter); the current one (``dynamo``) folds.
    ``external`` (old exporter): the weights are not written; the file names them as
    external data (a ``.data`` file that does not exist), which is how the current exporter
    stores them and what vizcnn never reads. It saves writing VGG's half a gigabyte.
    """
    model = randomized(vizcnn.build(name, **options).eval())
    x = torch.randn(input_size(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(model, (x,), str(path), dynamo=True, verbose=False)
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=False, do_constant_folding=fold,
                              input_names=["image"], output_names=["logits"],
                              export_params=not external)
    if external:
        _weights_as_external_data(path)
    return path


def _weights_as_external_data(path: Path) -> None:
    """Turn the graph inputs that stand for weights into initializers whose data lives in a
    side file (never written: only the shapes matter)."""
    model = onnx.load(str(path))
    graph = model.graph
    weights = [value for value in graph.input if value.name != "image"]
    for value in weights:
        tensor = graph.initializer.add()
        tensor.name = value.name
        tensor.data_type = value.type.tensor_type.elem_type
        tensor.dims.extend(d.dim_value for d in value.type.tensor_type.shape.dim)
        tensor.data_location = TensorProto.EXTERNAL
        entry = tensor.external_data.add()
        entry.key, entry.value = "location", path.name + ".data"
        graph.input.remove(value)
    onnx.save(model, str(path))


def hand_written(path: Path) -> Path:
    """Two conv branches (1×1 and 3×3) of a symbolic-batch input, concatenated, ReLU, global
    average pool, flatten and a Gemm classifier; node names carry no module scope."""
    rng = torch.Generator().manual_seed(1)

    def init(name: str, *shape: int) -> TensorProto:
        return numpy_helper.from_array(torch.rand(shape, generator=rng).numpy(), name)

    nodes = [
        helper.make_node("Conv", ["x", "wa", "ba"], ["a"], name="branch_a",
                         kernel_shape=[1, 1]),
        helper.make_node("Conv", ["x", "wb", "bb"], ["b"], name="branch_b",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["a", "b"], ["cat"], name="join", axis=1),
        helper.make_node("Relu", ["cat"], ["r"], name="act"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "wfc", "bfc"], ["y"], name="classifier", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "hand_written",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        [init("wa", 4, 3, 1, 1), init("ba", 4), init("wb", 4, 3, 3, 3), init("bb", 4),
         init("wfc", 10, 8), init("bfc", 10)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
