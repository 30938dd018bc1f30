"""The calls vizcnn makes for PyTorch's stock layers are exactly the ones their forward makes,
and traces that make them are identical to traces that run every forward."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import vizcnn
from realworld_models import CASES
from vizcnn import capture
from vizcnn.ops import OPS
from vizcnn.stock_layers import STOCK_CALLS


class _FirstCall(TorchFunctionMode):
    """Records the first torch call that has an op declaration (what the tracer records)."""

    def __init__(self) -> None:
        super().__init__()
        self.call = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.call is None and func in OPS:
            self.call = (func, args, kwargs or {})
        return func(*args, **(kwargs or {}))


def _layers() -> list[tuple[nn.Module, tuple[int, ...]]]:
    """Every stock class, in its common and its unusual configurations."""
    return [
        (nn.Conv1d(4, 6, 3, stride=2, padding=1, bias=False), (2, 4, 9)),
        (nn.Conv2d(4, 8, 3, padding=1, groups=2), (1, 4, 7, 7)),
        (nn.Conv2d(4, 8, (1, 3), stride=(2, 1), dilation=2), (1, 4, 9, 9)),
        (nn.Conv2d(4, 4, 3, padding="same"), (1, 4, 6, 6)),
        (nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"), (1, 4, 6, 6)),
        (nn.Conv3d(2, 3, 3), (1, 2, 5, 5, 5)),
        (nn.Linear(5, 3), (2, 7, 5)),
        (nn.Linear(5, 3, bias=False), (2, 5)),
        (nn.BatchNorm1d(4).eval(), (3, 4)),
        (nn.BatchNorm1d(4).eval(), (3, 4, 5)),
        (nn.BatchNorm2d(4).eval(), (2, 4, 3, 3)),
        (nn.BatchNorm2d(4, affine=False, momentum=None).eval(), (2, 4, 3, 3)),
        (nn.BatchNorm2d(4, track_running_stats=False), (2, 4, 3, 3)),
        (nn.BatchNorm2d(4).train(), (2, 4, 3, 3)),
        (nn.BatchNorm2d(4).eval(), (4, 3, 3)),
        (nn.BatchNorm3d(2).eval(), (1, 2, 3, 3, 3)),
        (nn.ReLU(), (2, 3)), (nn.ReLU(inplace=True), (2, 3)),
        (nn.SiLU(), (2, 3)), (nn.Hardswish(inplace=True), (2, 3)), (nn.Hardsigmoid(), (2, 3)),
        (nn.ReLU6(inplace=True), (2, 3)), (nn.Hardtanh(-2.0, 3.0), (2, 3)),
        (nn.Sigmoid(), (2, 3)),
        (nn.MaxPool1d(3, 2, 1), (1, 2, 9)),
        (nn.MaxPool2d(3, 2, ceil_mode=True), (1, 2, 9, 9)),
        (nn.MaxPool2d(2, return_indices=True), (1, 2, 8, 8)),
        (nn.MaxPool3d(2, dilation=1), (1, 1, 4, 4, 4)),
        (nn.AvgPool2d(3, 1, 1, count_include_pad=False), (1, 2, 5, 5)),
        (nn.AvgPool3d(2, divisor_override=3), (1, 1, 4, 4, 4)),
        (nn.AdaptiveAvgPool1d(2), (1, 3, 7)),
        (nn.AdaptiveAvgPool2d((1, None)), (1, 3, 5, 6)),
        (nn.AdaptiveAvgPool3d(1), (1, 3, 2, 2, 2)),
        (nn.Dropout(0.3), (2, 3)), (nn.Dropout(0.2, inplace=True).eval(), (2, 3)),
        (nn.Flatten(), (2, 3, 4)), (nn.Flatten(0, 1), (2, 3, 4)),
    ]


def test_every_stock_class_is_covered_here() -> None:
    assert {type(layer) for layer, _ in _layers()} == set(STOCK_CALLS)


@pytest.mark.parametrize("layer,shape", _layers(), ids=lambda v: repr(v)[:60])
def test_stock_call_is_the_call_the_forward_makes(layer: nn.Module, shape) -> None:
    x = torch.zeros(shape)
    probe, own = _FirstCall(), x.clone()
    with probe:
        try:
            layer(own)
        except ValueError:   # BatchNorm2d given 3-D: the layer's own error, before any op
            assert probe.call is None
    made = STOCK_CALLS[type(layer)](layer, x)
    if made is None:   # a form the table leaves to the layer's own forward: say why it must
        assert (isinstance(layer, nn.Conv2d) and layer.padding_mode != "zeros") or (
            isinstance(layer, nn.BatchNorm2d) and (layer.training or x.dim() != 4)) or (
            isinstance(layer, nn.MaxPool2d) and layer.return_indices)
        return
    func, args, kwargs = probe.call
    assert made[0] is func
    # the same arguments in the same places, each tensor the same object (the input: its copy)
    same = {id(own): "input", id(x): "input"}

    def named(value):
        return same.get(id(value), id(value)) if isinstance(value, torch.Tensor) else value

    assert [named(a) for a in made[1]] == [named(a) for a in args]
    assert {k: named(v) for k, v in made[2].items()} == {k: named(v) for k, v in kwargs.items()}


def _trace_both(model: nn.Module, **kw) -> tuple[vizcnn.Trace, vizcnn.Trace]:
    direct = vizcnn.trace(model, **kw)
    saved = dict(capture.STOCK_CALLS)
    capture.STOCK_CALLS.clear()   # every layer runs its own forward
    try:
        plain = vizcnn.trace(model, **kw)
    finally:
        capture.STOCK_CALLS.update(saved)
    return direct, plain


@pytest.mark.parametrize("name", vizcnn.list_models())
@pytest.mark.parametrize("training", [False, True])
def test_zoo_traces_are_the_same_with_and_without_stock_calls(name: str, training: bool) -> None:
    card = vizcnn.model_card(name)
    direct, plain = _trace_both(_meta(name), training=training,
                                input_size=(2, card.in_channels, card.input_size,
                                            card.input_size))
    assert direct == plain


@pytest.mark.parametrize("case", sorted(CASES))
def test_realworld_traces_are_the_same_with_and_without_stock_calls(case: str) -> None:
    model, args, kwargs = CASES[case]()
    direct, plain = _trace_both(model, inputs=args, kwargs=kwargs)
    assert direct == plain


def _meta(name: str) -> nn.Module:
    with torch.device("meta"):
        return vizcnn.build(name)


def test_stock_classes_have_no_class_attribute_for_the_tensors_they_read() -> None:
    """What ``stock_layers._tensor`` relies on to read ``m.weight`` without ``getattr``."""
    for cls in STOCK_CALLS:
        for name in ("weight", "bias", "running_mean", "running_var"):
            assert not hasattr(cls, name), (cls, name)


def test_tensors_are_read_where_python_finds_them() -> None:
    from vizcnn.stock_layers import _tensor

    conv = torch.nn.utils.weight_norm(nn.Conv2d(2, 3, 3))   # weight: a plain attribute
    conv(torch.zeros(1, 2, 5, 5))
    bn = nn.BatchNorm2d(3)
    for module, name in ((conv, "weight"), (conv, "bias"), (bn, "running_mean"),
                         (bn, "weight")):
        assert _tensor(module, name) is getattr(module, name)
    with pytest.raises(AttributeError):
        _tensor(bn, "no_such_tensor")
