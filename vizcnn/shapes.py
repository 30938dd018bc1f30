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
from enum import Enum
from typing import Any, Callable

import torch

from vizcnn.errors import ShapeError

Shape = tuple[int, ...]


class NoRule(Exception):
    """This call form has no shape rule; run the op instead."""


ShapeRule = Callable[[dict[str, Any]], Any]


def fmt(shape: Shape) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


def _tuple(value: Any, n: int) -> tuple[int, ...]:
    kind = type(value)
    if kind is int:
        return (value,) * n
    if kind is tuple and len(value) == n and all(type(v) is int for v in value):
        return value   # the common form (a layer's own stride, padding…): nothing to check
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
    """``⌊(in + 2p − d(k−1) − 1)/s⌋ + 1`` (⌈⌉ in ceil mode, where a last window that would start
    in the right padding is dropped), exactly PyTorch's ``pooling_output_shape``; may be ≤ 0."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + stride - 1 if ceil_mode else span) // stride + 1
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
    out = tuple(map(_spatial_out, spatial, w[2:], stride, padding, dilation))
    if min(out) <= 0:
        raise ShapeError(
            f"the {fmt(w[2:])} kernel (stride {fmt(stride)}, padding {fmt(padding)}, dilation "
            f"{fmt(dilation)}) does not fit in the {fmt(spatial)} input: output would be "
            f"{fmt(out)}"
        )
    return (*lead[:-1], w[0], *out)


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


def norm_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if len(x) < 2:
        raise ShapeError(f"normalisation expects (N, C, …) but got shape {fmt(x)}")
    _check_channels(x, call.get("weight") or call.get("running_mean"), "normalisation")
    if "training" in call:   # batch_norm: statistics over batch and space need two values
        if call["training"] and math.prod(x) // x[1] <= 1:
            raise ShapeError(f"expected more than 1 value per channel when training, got "
                             f"input size {fmt(x)}")
    elif call.get("use_input_stats", True) and math.prod(x[2:]) <= 1:
        raise ShapeError(f"expected more than 1 spatial element when training, got input "
                         f"size {fmt(x)}")
    return x


def group_norm_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    groups = call["num_groups"]
    if len(x) < 2 or x[1] % groups:
        raise ShapeError(f"GroupNorm with {groups} groups cannot split shape {fmt(x)}")
    _check_channels(x, call.get("weight"), "GroupNorm")
    return x


def layer_norm_shape(call: dict[str, Any]) -> Shape:
    x, norm = call["input"], tuple(call["normalized_shape"])
    if tuple(x[len(x) - len(norm):]) != norm:
        raise ShapeError(f"LayerNorm over {fmt(norm)} does not match input {fmt(x)}")
    return x


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
    if any(2 * p > d * (k - 1) + 1 for p, k, d in zip(padding, kernel, dilation)):
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


def max_pool_shape(call: dict[str, Any]) -> Shape:
    if call.get("return_indices"):
        raise NoRule
    return _pool_shape(call, call["spatial_dims"])


def avg_pool_shape(call: dict[str, Any]) -> Shape:
    return _pool_shape(call, call["spatial_dims"])


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


def stack_shape(call: dict[str, Any]) -> Shape:
    shapes = call["tensors"]
    if not shapes or any(s != shapes[0] for s in shapes):
        raise ShapeError(f"cannot stack tensors of different shapes {shapes}")
    dim = _dim(call.get("dim", 0), len(shapes[0]) + 1)
    return (*shapes[0][:dim], len(shapes), *shapes[0][dim:])


def chunk_shape(call: dict[str, Any]) -> tuple[Shape, ...]:
    x, chunks = call["input"], call["chunks"]
    dim = _dim(call.get("dim", 0), len(x))
    size = -(-x[dim] // chunks)
    return _pieces(x, dim, [min(size, x[dim] - i) for i in range(0, x[dim], size)])


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


def flatten_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if not x:
        return (1,)
    start = _dim(call.get("start_dim", 0), len(x))
    end = _dim(call.get("end_dim", -1), len(x))
    return (*x[:start], math.prod(x[start:end + 1]), *x[end + 1:])


def permute_shape(call: dict[str, Any]) -> Shape:
    x, dims = call["input"], call["dims"]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if sorted(_dim(d, len(x)) for d in dims) != list(range(len(x))):
        raise ShapeError(f"permutation {dims} does not match a {len(x)}-D tensor")
    return tuple(x[_dim(d, len(x))] for d in dims)


def transpose_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    if "dim0" not in call:  # Tensor.t()
        return tuple(reversed(x))
    a, b = _dim(call["dim0"], len(x)), _dim(call["dim1"], len(x))
    out = list(x)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


def unsqueeze_shape(call: dict[str, Any]) -> Shape:
    x = call["input"]
    dim = _dim(call["dim"], len(x) + 1)
    return (*x[:dim], 1, *x[dim:])


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


def squeeze_shape(call: dict[str, Any]) -> Shape:
    x, dim = call["input"], call.get("dim")
    if dim is None:
        return tuple(s for s in x if s != 1)
    dims = {_dim(d, len(x)) for d in ((dim,) if isinstance(dim, int) else dim)}
    return tuple(s for i, s in enumerate(x) if not (i in dims and s == 1))


def unbind_shape(call: dict[str, Any]) -> tuple[Shape, ...]:
    x = call["input"]
    dim = _dim(call.get("dim", 0), len(x))
    return tuple((*x[:dim], *x[dim + 1:]) for _ in range(x[dim]))


def matmul_shape(call: dict[str, Any]) -> Shape:
    """``torch.matmul``'s rules: 1-D operands gain and lose a dimension, batches broadcast."""
    a, b = call["input"], call.get("other", call.get("mat2"))
    if not isinstance(a, tuple) or not isinstance(b, tuple) or not a or not b:
        raise NoRule
    a2, b2 = (1, *a) if len(a) == 1 else a, (*b, 1) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ShapeError(f"cannot multiply {fmt(a)} by {fmt(b)}: inner sizes {a2[-1]} and "
                         f"{b2[-2]} differ")
    batch = broadcast(a2[:-2], b2[:-2])
    out = (*batch, *((a2[-2],) if len(a) > 1 else ()), *((b2[-1],) if len(b) > 1 else ()))
    return out


def bmm_shape(call: dict[str, Any]) -> Shape:
    a, b = call["input"], call.get("mat2", call.get("other"))
    if len(a) != len(b) or len(a) not in (2, 3) or a[:-2] != b[:-2] or a[-1] != b[-2]:
        raise ShapeError(f"cannot multiply {fmt(a)} by {fmt(b)}")
    return (*a[:-1], b[-1])


def addmm_shape(call: dict[str, Any]) -> Shape:
    out = bmm_shape({"input": call["mat1"], "mat2": call["mat2"]})
    broadcast(call["input"], out)
    return out


def baddbmm_shape(call: dict[str, Any]) -> Shape:
    out = bmm_shape({"input": call["batch1"], "mat2": call["batch2"]})
    if len(out) != 3:
        raise ShapeError(f"baddbmm expects 3-D batches, got {fmt(call['batch1'])}")
    broadcast(call["input"], out)
    return out


def bilinear_shape(call: dict[str, Any]) -> Shape:
    a, b, w = call["input1"], call["input2"], call["weight"]
    if a[-1] != w[1] or b[-1] != w[2] or a[:-1] != b[:-1]:
        raise ShapeError(f"bilinear with weight {fmt(w)} cannot take {fmt(a)} and {fmt(b)}")
    return (*a[:-1], w[0])


def embedding_shape(call: dict[str, Any]) -> Shape:
    return (*call["input"], call["weight"][-1])


def attention_shape(call: dict[str, Any]) -> Shape:
    """``scaled_dot_product_attention``: (…, L, E) queries, (…, S, E) keys, (…, S, Ev) values
    → (…, L, Ev); key/value heads may be fewer than query heads (grouped-query attention)."""
    q, k, v = call["query"], call["key"], call["value"]
    if len(q) < 2 or q[-1] != k[-1] or k[-2] != v[-2]:
        raise ShapeError(f"attention cannot take queries {fmt(q)}, keys {fmt(k)} and values "
                         f"{fmt(v)}")
    return (*q[:-1], v[-1])


def multi_head_attention_shape(call: dict[str, Any]) -> tuple[Any, ...]:
    """``F.multi_head_attention_forward``: (L, N, E) → (L, N, E) and the attention weights
    (N, L, S) averaged over heads, (N, H, L, S) per head, or ``None``."""
    q, k = call["query"], call["key"]
    embed, heads = call["embed_dim_to_check"], call["num_heads"]
    if q[-1] != embed or embed % heads or len(q) not in (2, 3) or len(k) != len(q):
        raise ShapeError(f"multi-head attention over {embed} features in {heads} heads "
                         f"cannot take a {fmt(q)} query")
    source = k[0] + (1 if isinstance(call.get("bias_k"), tuple) else 0) + (
        1 if call.get("add_zero_attn") else 0)
    batch = q[1:2] if len(q) == 3 else ()
    if not call.get("need_weights", True):
        return q, None
    heads_dim = () if call.get("average_attn_weights", True) else (heads,)
    return q, (*batch, *heads_dim, q[0], source)


def recurrent_shape(call: dict[str, Any]) -> tuple[Shape, ...]:
    """``_VF.lstm`` / ``gru`` / ``rnn_*`` with a padded input: (T, N, D·H_out) (or batch first,
    or unbatched) and the final states, which have the shapes of the initial ones."""
    x, hx = call["input"], call["hx"]
    states = [hx] if isinstance(hx, tuple) and hx and isinstance(hx[0], int) else list(hx)
    weights = call["params"]
    if "batch_sizes" in call or not isinstance(x, tuple) or not weights:
        raise NoRule
    if x[-1] != weights[0][-1]:
        raise ShapeError(f"expects {weights[0][-1]} input features but the input's last "
                         f"dimension is {x[-1]} (shape {fmt(x)})")
    directions = 2 if call["bidirectional"] else 1
    return ((*x[:-1], directions * states[0][-1]), *(tuple(s) for s in states))


def grid_sample_shape(call: dict[str, Any]) -> Shape:
    x, grid = call["input"], call["grid"]
    if len(x) not in (4, 5) or len(grid) != len(x) or grid[0] != x[0] or grid[-1] != len(x) - 2:
        raise ShapeError(f"grid_sample cannot sample a {fmt(x)} input at a {fmt(grid)} grid")
    return (*x[:2], *grid[1:-1])


def pad_shape(call: dict[str, Any]) -> Shape:
    x, pad = call["input"], call["pad"]
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > len(x) or not all(
            isinstance(p, int) for p in pad):
        raise NoRule
    out = list(x)
    for i in range(len(pad) // 2):
        out[-1 - i] += pad[2 * i] + pad[2 * i + 1]
    if min(out, default=1) < 0:
        raise ShapeError(f"padding {tuple(pad)} makes {fmt(x)} negative")
    return tuple(out)


# --- dtypes: as strict as PyTorch on the CPU, outputs following type promotion ---------------
class Dtypes(str, Enum):
    """Which input dtypes an op accepts and which dtype it returns."""

    ANY = "any"               # any dtype; the output has the first tensor's dtype
    FLOAT = "float"           # a floating-point input (softmax, GELU, adaptive average pool)
    TO_FLOAT = "to_float"     # integers become the default float dtype (sigmoid, tanh)
    SAME = "same"             # every tensor (masks aside) has one dtype: input = weights
    NORM = "norm"             # a floating input; half/bfloat16 inputs may use float32 params
    PROMOTE = "promote"       # arithmetic: PyTorch's type promotion
    DIVIDE = "divide"         # promotion, and true division of integers gives a float
    LOOKUP = "lookup"         # integer indices into a table: the table's dtype


def _name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def output_dtype(rule: Dtypes, tensors: list[torch.Tensor], call: dict[str, Any],
                 args: tuple) -> torch.dtype:
    """The output dtype of one call, or a :class:`ShapeError` for a dtype PyTorch rejects."""
    first = tensors[0].dtype
    if rule is Dtypes.ANY:
        return first
    if rule in (Dtypes.PROMOTE, Dtypes.DIVIDE):
        other = args[1] if len(args) > 1 else call.get("other", 0)
        dtype = torch.result_type(args[0] if args else tensors[0], other)
        if rule is Dtypes.DIVIDE and call.get("rounding_mode") is None and not (
                dtype.is_floating_point or dtype.is_complex):
            return torch.get_default_dtype()
        return dtype
    if rule is Dtypes.LOOKUP:
        if first.is_floating_point:
            raise ShapeError(f"expects integer indices but got a {_name(first)} tensor")
        return tensors[1].dtype if len(tensors) > 1 else first
    if rule is Dtypes.TO_FLOAT:
        return first if first.is_floating_point or first.is_complex else \
            torch.get_default_dtype()
    if rule is Dtypes.SAME:
        for tensor in tensors[1:]:
            if tensor.dtype != first and tensor.dtype != torch.bool:
                raise ShapeError(f"the input is {_name(first)} but the layer's weights are "
                                 f"{_name(tensor.dtype)}: they must be the same type")
        return first
    if not first.is_floating_point:
        raise ShapeError(f"expects a floating-point input but got {_name(first)}")
    if rule is Dtypes.NORM:
        for tensor in tensors[1:]:
            if tensor.dtype != first and not (tensor.dtype == torch.float32 and first in (
                    torch.float16, torch.bfloat16)):
                raise ShapeError(f"the input is {_name(first)} but the layer's parameters are "
                                 f"{_name(tensor.dtype)}: they must be the same type")
    return first


def interpolate_shape(call: dict[str, Any]) -> Shape:
    """``F.interpolate``: a given ``size``, or ⌊in × scale⌋ per spatial dimension."""
    x = call["input"]
    n = len(x) - 2
    if n < 1 or call.get("recompute_scale_factor") or call.get("antialias"):
        raise NoRule
    size, scale = call.get("size"), call.get("scale_factor")
    if size is not None:
        out = _tuple(size, n)
    elif scale is not None:
        scales = (scale,) * n if isinstance(scale, (int, float)) else tuple(scale)
        if len(scales) != n:
            raise NoRule
        out = tuple(int(math.floor(s * f)) for s, f in zip(x[2:], scales))
    else:
        raise ShapeError("interpolate needs a size or a scale factor")
    if min(out) <= 0:
        raise ShapeError(f"interpolating {fmt(x)} would give {fmt(out)}")
    return (*x[:2], *out)


def getitem_shape(call: dict[str, Any]) -> Shape:
    """Basic indexing (``x[:, 0]``, ``x[..., 1:3]``, ``x[None]``): ints, slices, ``None`` and
    ``...``; indexing with tensors or lists runs on meta."""
    x, index = call["input"], call["index"]
    items = index if isinstance(index, tuple) else (index,)
    if not all(i is None or i is Ellipsis or isinstance(i, slice) or (
            isinstance(i, int) and not isinstance(i, bool)) for i in items):
        raise NoRule
    if any(isinstance(i, slice) and not all(v is None or isinstance(v, int) for v in (
            i.start, i.stop, i.step)) for i in items):
        raise NoRule
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    if used > len(x):
        raise ShapeError(f"too many indices ({used}) for a {len(x)}-D tensor")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = (*items[:at], *(slice(None),) * (len(x) - used), *items[at + 1:])
    else:
        items = (*items, *(slice(None),) * (len(x) - used))
    out: list[int] = []
    dim = 0
    for item in items:
        if item is None:
            out.append(1)
            continue
        size = x[dim]
        if isinstance(item, int):
            if not -size <= item < size:
                raise ShapeError(f"index {item} is out of bounds for dimension {dim} of size "
                                 f"{size}")
        else:
            if item.step is not None and item.step <= 0:
                raise NoRule
            out.append(len(range(*item.indices(size))))
        dim += 1
    return tuple(out)
