"""Shape rules: the output shape of common ops computed from input shapes, without running them.

Running elementwise ops on the meta device costs far more than the arithmetic of their shape
(BatchNorm ≈1.2 ms vs a few µs), so the tracer asks this registry first and only dispatches
ops that have no rule. Each rule takes the bound call (tensors replaced by their shapes) and
returns one shape or a tuple of shapes. A rule raises :class:`ShapeError` for an input the op
cannot accept and :class:`NoRule` for a call form it does not handle (the tracer then runs
the op for real). Tests check every rule against real meta execution on every zoo model.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from vizcnn.errors import ShapeError
from vizcnn.ops import Shape, registrar


class NoRule(Exception):
    """This call form has no shape rule; run the op instead."""


ShapeRule = Callable[[dict[str, Any]], Any]
SHAPE_RULES: dict[str, ShapeRule] = {}


shape_rule = registrar(SHAPE_RULES, "shape rule")


def fmt(shape: Shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1 and n > 1:
        return value * n
    if len(value) != n or not all(isinstance(v, int) for v in value):
        raise NoRule
    return value


def _spatial_out(size: int, kernel: int, stride: int, padding: int, dilation: int,
                 ceil_mode: bool = False) -> int:
    """``⌊(in + 2p − d(k−1) − 1)/s⌋ + 1``, with PyTorch's ceil-mode correction."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _spatial_input(x: Shape, n_spatial: int, op: str) -> tuple[Shape, Shape]:
    """Split an input into its leading (batch, channel) dims and its spatial dims."""
    if len(x) not in (n_spatial + 1, n_spatial + 2):
        raise ShapeError(
            f"{op} expects a {n_spatial + 2}-D input (N, C, {'H, W' if n_spatial == 2 else '…'})"
            f" but got a {len(x)}-D tensor of shape {fmt(x)}"
        )
    return x[:-n_spatial], x[-n_spatial:]


@shape_rule("conv")
def conv_shape(call: dict[str, Any]) -> Shape:
    x, w = call["input"], call["weight"]
    n = len(w) - 2
    lead, spatial = _spatial_input(x, n, "convolution")
    groups = call.get("groups", 1)
    if lead[-1] != w[1] * groups:
        raise ShapeError(
            f"expects {w[1] * groups} input channels but the input has {lead[-1]}"
        )
    padding = call.get("padding", 0)
    if isinstance(padding, str):
        if padding == "same":
            return (*lead[:-1], w[0], *spatial)
        padding = 0
    stride = _tuple(call.get("stride", 1), n)
    padding = _tuple(padding, n)
    dilation = _tuple(call.get("dilation", 1), n)
    out = tuple(
        _spatial_out(s, k, st, p, d)
        for s, k, st, p, d in zip(spatial, w[2:], stride, padding, dilation)
    )
    if min(out) <= 0:
        raise ShapeError(
            f"the {fmt(w[2:])} kernel (stride {fmt(stride)}, padding {fmt(padding)}, dilation "
            f"{fmt(dilation)}) does not fit in the {fmt(spatial)} input: output would be "
            f"{fmt(out)}"
        )
    return (*lead[:-1], w[0], *out)


@shape_rule("conv_transpose")
def conv_transpose_shape(call: dict[str, Any]) -> Shape:
    x, w = call["input"], call["weight"]
    n = len(w) - 2
    lead, spatial = _spatial_input(x, n, "transposed convolution")
    groups = call.get("groups", 1)
    if lead[-1] != w[0]:
        raise ShapeError(f"expects {w[0]} input channels but the input has {lead[-1]}")
    stride = _tuple(call.get("stride", 1), n)
    padding = _tuple(call.get("padding", 0), n)
    out_pad = _tuple(call.get("output_padding", 0), n)
    dilation = _tuple(call.get("dilation", 1), n)
    out = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + op + 1
        for s, k, st, p, op, d in zip(spatial, w[2:], stride, padding, out_pad, dilation)
    )
    if min(out) <= 0:
        raise ShapeError(f"output size would be {fmt(out)}")
    return (*lead[:-1], w[1] * groups, *out)


@shape_rule("linear")
def linear_shape(call: dict[str, Any]) -> Shape:
    x, w = call["input"], call["weight"]
    if not x or x[-1] != w[-1]:
        raise ShapeError(
            f"expects {w[-1]} input features but the input's last dimension is "
            f"{x[-1] if x else 'missing'} (shape {fmt(x)})"
        )
    return (*x[:-1], w[0]) if len(w) == 2 else tuple(x[:-1])


def _check_channels(x: Shape, channels: Any, what: str) -> None:
    if isinstance(channels, tuple) and len(x) >= 2 and channels and x[1] != channels[0]:
        raise ShapeError(f"{what} expects {channels[0]} channels but the input has {x[1]}")


@shape_rule("batch_norm", "instance_norm")
def norm_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if len(x) < 2:
        raise ShapeError(f"normalisation expects (N, C, …) but got shape {fmt(x)}")
    _check_channels(x, call.get("weight") or call.get("running_mean"), "normalisation")
    return x


@shape_rule("group_norm")
def group_norm_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    groups = call["num_groups"]
    if len(x) < 2 or x[1] % groups:
        raise ShapeError(f"GroupNorm with {groups} groups cannot split shape {fmt(x)}")
    _check_channels(x, call.get("weight"), "GroupNorm")
    return x


@shape_rule("layer_norm")
def layer_norm_shape(call: dict[str, Any]) -> Shape:
    x, norm = call["input"], tuple(call["normalized_shape"])
    if tuple(x[len(x) - len(norm):]) != norm:
        raise ShapeError(f"LayerNorm over {fmt(norm)} does not match input {fmt(x)}")
    return x


@shape_rule("local_response_norm", "relu", "relu6", "hardtanh", "leaky_relu", "elu", "gelu",
            "silu", "mish", "hardswish", "hardsigmoid", "sigmoid", "tanh", "softplus",
            "softmax", "dropout")
def same_shape(call: dict[str, Any]) -> Shape:
    return call["input"]


def broadcast(a: Shape, b: Shape) -> Shape:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"shapes {fmt(a)} and {fmt(b)} cannot be broadcast together")
        out.append(x if y == 1 else y)
    return tuple(reversed(out))


@shape_rule("add", "sub", "mul", "div")
def binary_shape(call: dict[str, Any]) -> Shape:
    a, b = call["input"], call.get("other", ())
    if not isinstance(a, tuple):
        raise NoRule
    return broadcast(a, b if isinstance(b, tuple) else ())


def _pool_shape(call: dict[str, Any], n: int) -> Shape:
    x = call["input"]
    lead, spatial = _spatial_input(x, n, "pooling")
    kernel = _tuple(call["kernel_size"], n)
    stride = call.get("stride")
    stride = kernel if stride is None or stride == [] or stride == () else _tuple(stride, n)
    padding = _tuple(call.get("padding", 0), n)
    dilation = _tuple(call.get("dilation", 1), n)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ShapeError(f"padding {fmt(padding)} is more than half the {fmt(kernel)} window")
    ceil = bool(call.get("ceil_mode", False))
    out = tuple(
        _spatial_out(s, k, st, p, d, ceil)
        for s, k, st, p, d in zip(spatial, kernel, stride, padding, dilation)
    )
    if min(out) <= 0:
        raise ShapeError(
            f"the {fmt(kernel)} window with stride {fmt(stride)} does not fit in the "
            f"{fmt(spatial)} input: output would be {fmt(out)}"
        )
    return (*lead, *out)


@shape_rule("max_pool")
def max_pool_shape(call: dict[str, Any]) -> Shape:
    if call.get("return_indices"):
        raise NoRule
    return _pool_shape(call, call["spatial_dims"])


@shape_rule("avg_pool")
def avg_pool_shape(call: dict[str, Any]) -> Shape:
    return _pool_shape(call, call["spatial_dims"])


@shape_rule("adaptive_avg_pool")
def adaptive_pool_shape(call: dict[str, Any]) -> Shape:
    x, n = call["input"], call["spatial_dims"]
    size = _tuple_or_none(call["output_size"], n)
    if len(x) not in (n + 1, n + 2) or min(x) <= 0:
        raise ShapeError(f"adaptive pooling to {fmt(size)} expects a {n + 2}-D input, "
                         f"got shape {fmt(x)}")
    return (*x[:-n], *(s if o is None else o for s, o in zip(x[-n:], size)))


def _tuple_or_none(value: Any, n: int) -> tuple:
    if value is None or isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    return value * n if len(value) == 1 else value


def _dim(dim: int, rank: int) -> int:
    if not -rank <= dim < max(rank, 1):
        raise ShapeError(f"dimension {dim} is out of range for a {rank}-D tensor")
    return dim % rank if rank else 0


@shape_rule("cat")
def cat_shape(call: dict[str, Any]) -> Shape:
    shapes = [s for s in call["tensors"] if s != (0,)]
    if not shapes or not isinstance(shapes[0], tuple):
        raise NoRule
    dim = _dim(call.get("dim", 0), len(shapes[0]))
    first = shapes[0]
    for s in shapes[1:]:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                       if i != dim):
            raise ShapeError(
                f"cannot concatenate {' and '.join(fmt(x) for x in shapes)} along dim {dim}: "
                "the other dimensions differ"
            )
    return (*first[:dim], sum(s[dim] for s in shapes), *first[dim + 1:])


@shape_rule("stack")
def stack_shape(call: dict[str, Any]) -> Shape:
    shapes = call["tensors"]
    if not shapes or any(s != shapes[0] for s in shapes):
        raise ShapeError(f"cannot stack tensors of different shapes {shapes}")
    dim = _dim(call.get("dim", 0), len(shapes[0]) + 1)
    return (*shapes[0][:dim], len(shapes), *shapes[0][dim:])


@shape_rule("chunk")
def chunk_shape(call: dict[str, Any]) -> tuple[Shape, ...]:
    x, chunks = call["input"], call["chunks"]
    dim = _dim(call.get("dim", 0), len(x))
    size = -(-x[dim] // chunks)
    return _pieces(x, dim, [min(size, x[dim] - i) for i in range(0, x[dim], size)])


@shape_rule("split")
def split_shape(call: dict[str, Any]) -> tuple[Shape, ...]:
    x = call["input"]
    sections = call.get("split_size_or_sections", call.get("split_size"))
    dim = _dim(call.get("dim", 0), len(x))
    if isinstance(sections, int):
        sizes = [min(sections, x[dim] - i) for i in range(0, x[dim], sections)]
    else:
        sizes = list(sections)
        if sum(sizes) != x[dim]:
            raise ShapeError(f"split sizes {sizes} do not add up to {x[dim]} (dim {dim})")
    return _pieces(x, dim, sizes)


def _pieces(x: Shape, dim: int, sizes: list[int]) -> tuple[Shape, ...]:
    return tuple((*x[:dim], s, *x[dim + 1:]) for s in sizes)


@shape_rule("view")
def view_shape(call: dict[str, Any]) -> Shape:
    x, shape = call["input"], call["shape"]
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, int) for s in shape):
        raise NoRule
    numel = math.prod(x)
    if shape.count(-1) > 1:
        raise ShapeError(f"only one dimension can be -1 in a view, got {shape}")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise ShapeError(f"cannot view {fmt(x)} ({numel} elements) as {shape}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise ShapeError(f"cannot view {fmt(x)} ({numel} elements) as {fmt(shape)} "
                         f"({known} elements)")
    return tuple(shape)


@shape_rule("flatten")
def flatten_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if not x:
        return (1,)
    start = _dim(call.get("start_dim", 0), len(x))
    end = _dim(call.get("end_dim", -1), len(x))
    return (*x[:start], math.prod(x[start:end + 1]), *x[end + 1:])


@shape_rule("permute")
def permute_shape(call: dict[str, Any]) -> Shape:
    x, dims = call["input"], call["dims"]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if sorted(_dim(d, len(x)) for d in dims) != list(range(len(x))):
        raise ShapeError(f"permutation {dims} does not match a {len(x)}-D tensor")
    return tuple(x[_dim(d, len(x))] for d in dims)


@shape_rule("transpose")
def transpose_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if "dim0" not in call:  # Tensor.t()
        return tuple(reversed(x))
    a, b = _dim(call["dim0"], len(x)), _dim(call["dim1"], len(x))
    out = list(x)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


@shape_rule("unsqueeze")
def unsqueeze_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    dim = _dim(call["dim"], len(x) + 1)
    return (*x[:dim], 1, *x[dim:])


@shape_rule("mean", "sum")
def reduce_shape(call: dict[str, Any]) -> Shape:
    x, dims = call["input"], call.get("dim")
    if dims is None or dims == ():
        return ()
    if not isinstance(dims, (int, tuple, list)) or "dtype" in call:
        raise NoRule
    dims = {_dim(d, len(x)) for d in ((dims,) if isinstance(dims, int) else dims)}
    if call.get("keepdim", False):
        return tuple(1 if i in dims else s for i, s in enumerate(x))
    return tuple(s for i, s in enumerate(x) if i not in dims)
