"""The op registry (issue 9, item 4): every op is declared once with every fact, and the
tracer takes all it knows about an op from that declaration."""

from __future__ import annotations

import inspect

import pytest
import torch

from vizcnn import costs, shapes
from vizcnn.graph import OpKind
from vizcnn.ops import OP_DEFS, OPS, RUN, UNCOUNTED, OpDef, declare
from vizcnn.shapes import Dtypes

CONV_ATTRS = {"in_channels": 8, "groups": 1, "kernel_size": (3, 3)}


@pytest.mark.parametrize("name", OP_DEFS)
def test_every_op_has_every_fact(name: str) -> None:
    op = OP_DEFS[name]
    assert op.name == name
    kind = op.kind_of(CONV_ATTRS if name == "conv" else {})
    assert isinstance(kind, OpKind)
    assert callable(op.attrs)
    assert op.shape is RUN or (callable(op.shape) and op.shape.__module__ == shapes.__name__)
    assert isinstance(op.dtypes, Dtypes)
    assert op.cost is UNCOUNTED or callable(op.cost)
    if callable(op.cost):
        # the formula's docstring is what the README table prints
        assert inspect.getdoc(op.cost), f"{name}'s cost formula has no docstring"
    assert op.window is None or callable(op.window)
    assert bool(op.parts) == (op.part_costs is not None)   # steps come with their costs
    assert any(spec.op is op for spec in OPS.values()), f"{name} has no torch callable"


def test_every_callable_reads_as_a_declared_op() -> None:
    for func, spec in OPS.items():
        assert OP_DEFS[spec.name] is spec.op, func
        assert spec.argnames, func


def test_declaring_an_op_or_a_callable_twice_raises() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare("conv", OpKind.CONV, shape=RUN, cost=UNCOUNTED, dtypes=Dtypes.ANY, forms=[])
    with pytest.raises(ValueError, match="declared as 'relu'"):
        from vizcnn.ops import calls

        declare("relu_again", OpKind.ACTIVATION, shape=RUN, cost=UNCOUNTED, dtypes=Dtypes.ANY,
                forms=[calls("input", torch.relu)])
    assert "relu_again" not in OP_DEFS   # a failed declaration registers nothing


def test_conv_kind_follows_groups_and_kernel() -> None:
    conv: OpDef = OP_DEFS["conv"]
    assert conv.kind_of({"groups": 8, "in_channels": 8, "kernel_size": (3, 3)}) is \
        OpKind.DEPTHWISE
    assert conv.kind_of({"groups": 2, "in_channels": 8, "kernel_size": (3, 3)}) is \
        OpKind.GROUPED
    assert conv.kind_of({"groups": 1, "in_channels": 8, "kernel_size": (1, 1)}) is \
        OpKind.POINTWISE
    assert conv.kind_of(CONV_ATTRS) is OpKind.CONV


def test_no_other_module_keeps_an_op_table() -> None:
    """The tables the facts used to be spread over are gone."""
    import vizcnn.capture as capture

    for module, names in ((capture, ("_KIND_OF_OP", "_ACTIVATIONS", "_ATTR_OPS")),
                          (shapes, ("SHAPE_RULES",)), (costs, ("COSTS",))):
        for table in names:
            assert not hasattr(module, table), f"{module.__name__}.{table}"
