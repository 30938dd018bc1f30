"""How PyTorch's own layers call their op, so that a trace can make the call itself.

A stock layer (exactly ``nn.Conv2d``, never a subclass) does nothing in its ``forward`` but
call one functional op with its attributes. The tracer records that call directly instead of
running the layer's ``forward`` and PyTorch's torch-function dispatch around it, which is
about a sixth of a ResNet-50 trace. Each entry gives the call exactly as the layer's own
``forward`` makes it, ``(func, args, kwargs)`` as a ``TorchFunctionMode`` receives it, or
``None`` for a form it does not cover (another padding mode, a BatchNorm that updates its
statistics, an input of the wrong rank): the layer's own ``forward`` then runs as usual.
``tests/test_stock_layers.py`` checks every entry against the call the real ``forward`` makes.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

Call = tuple[Callable[..., Any], tuple, dict]
StockCall = Callable[[Any, torch.Tensor], "Call | None"]


def _tensor(m: nn.Module, name: str) -> Any:
    """``m.<name>`` for a parameter or buffer, found where Python finds it (the instance's
    dict, then ``nn.Module.__getattr__``'s parameters and buffers) without that Python call
    (stock classes have no class attribute of these names: a test checks)."""
    state = m.__dict__
    if name in state:
        return state[name]
    for table in (state["_parameters"], state["_buffers"]):
        if name in table:
            return table[name]
    return getattr(m, name)


def _conv(func: Callable[..., Any]) -> StockCall:
    def call(m: nn.Conv2d, x: torch.Tensor) -> Call | None:
        if m.padding_mode != "zeros":
            return None   # the layer pads first, then convolves: two ops
        return func, (x, _tensor(m, "weight"), _tensor(m, "bias"), m.stride, m.padding,
                      m.dilation, m.groups), {}
    return call


def _batch_norm(ranks: tuple[int, ...]) -> StockCall:
    def call(m: nn.BatchNorm2d, x: torch.Tensor) -> Call | None:
        if x.dim() not in ranks or (m.training and m.track_running_stats):
            return None   # a wrong rank is the layer's own error; training also counts batches
        factor = 0.0 if m.momentum is None else m.momentum
        running_mean, running_var = _tensor(m, "running_mean"), _tensor(m, "running_var")
        batch_stats = m.training or (running_mean is None and running_var is None)
        return F.batch_norm, (x, running_mean, running_var), {
            "weight": _tensor(m, "weight"), "bias": _tensor(m, "bias"),
            "training": batch_stats, "momentum": factor, "eps": m.eps}
    return call


def _max_pool(func: Callable[..., Any]) -> StockCall:
    def call(m: nn.MaxPool2d, x: torch.Tensor) -> Call | None:
        if m.return_indices:
            return None   # another function (max_pool2d_with_indices)
        return func, (x, m.kernel_size), {"stride": m.stride, "padding": m.padding,
                                          "dilation": m.dilation, "ceil_mode": m.ceil_mode,
                                          "return_indices": False}
    return call


def _avg_pool(func: Callable[..., Any]) -> StockCall:
    def call(m: nn.AvgPool2d, x: torch.Tensor) -> Call:
        return func, (x, m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
                      m.divisor_override), {}
    return call


def _inplace(func: Callable[..., Any]) -> StockCall:
    def call(m: nn.ReLU, x: torch.Tensor) -> Call:
        return func, (x,), {"inplace": m.inplace}
    return call


def _hardtanh(m: nn.Hardtanh, x: torch.Tensor) -> Call:
    return F.hardtanh, (x,), {"min_val": m.min_val, "max_val": m.max_val, "inplace": m.inplace}


STOCK_CALLS: dict[type, StockCall] = {
    nn.Conv1d: _conv(F.conv1d),
    nn.Conv2d: _conv(F.conv2d),
    nn.Conv3d: _conv(F.conv3d),
    nn.Linear: lambda m, x: (F.linear, (x, _tensor(m, "weight"), _tensor(m, "bias")), {}),
    nn.BatchNorm1d: _batch_norm((2, 3)),
    nn.BatchNorm2d: _batch_norm((4,)),
    nn.BatchNorm3d: _batch_norm((5,)),
    nn.ReLU: _inplace(F.relu),
    nn.SiLU: _inplace(F.silu),
    nn.Hardswish: _inplace(F.hardswish),
    nn.Hardsigmoid: _inplace(F.hardsigmoid),
    nn.ReLU6: _hardtanh,
    nn.Hardtanh: _hardtanh,
    nn.Sigmoid: lambda m, x: (torch.sigmoid, (x,), {}),
    nn.MaxPool1d: _max_pool(F.max_pool1d),
    nn.MaxPool2d: _max_pool(F.max_pool2d),
    nn.MaxPool3d: _max_pool(F.max_pool3d),
    nn.AvgPool2d: _avg_pool(F.avg_pool2d),
    nn.AvgPool3d: _avg_pool(F.avg_pool3d),
    nn.AdaptiveAvgPool1d: lambda m, x: (F.adaptive_avg_pool1d, (x, m.output_size), {}),
    nn.AdaptiveAvgPool2d: lambda m, x: (F.adaptive_avg_pool2d, (x, m.output_size), {}),
    nn.AdaptiveAvgPool3d: lambda m, x: (F.adaptive_avg_pool3d, (x, m.output_size), {}),
    nn.Dropout: lambda m, x: (F.dropout, (x,), {"p": m.p, "training": m.training,
                                                "inplace": m.inplace}),
    nn.Flatten: lambda m, x: (torch.Tensor.flatten, (x, m.start_dim, m.end_dim), {}),
}
