"""Shape-only meta kernels for the training-memory pass: the same saved tensors, faster.

Why: in torch 2.13 many meta kernels are Python decompositions that build the whole
computation out of meta ops (train-mode ``native_batch_norm`` ≈ 1.5 ms a call, ``hardswish``
≈ 1.2 ms, ``relu`` ≈ 0.3 ms, ``add`` ≈ 0.1 ms), while all the pass needs from them is the
shape, dtype and strides of their outputs.

How: ``ShapeKernels`` is a ``TorchDispatchMode``, entered by the pass with ``with`` (it acts on
the entering thread only; nothing is registered globally). A dispatch mode runs *below*
autograd: by the time it sees an aten op, autograd has already chosen what to save (the
inputs it keeps, the clone it makes of ``self`` before an in-place op), and it saves the
outputs the mode returns. For the slow ops the mode returns fresh empty meta tensors with the
shape, dtype and strides the real meta kernel gives (the tensors themselves, for in-place
ops), so the tensors autograd saves — what the saved-tensor hooks measure — are unchanged;
only the meta *computation* is skipped. A rule answers only in the plain cases it is written
and tested for (meta tensors, the same float dtype, contiguous or channels-last layouts,
valid arguments); anything else, including every call that should raise, goes to the real
kernel. What is left out: the ``copy_`` the decompositions make into existing tensors (train
batch norm's running stats, weight init's ``uniform_``/``normal_``), which on meta changes
nothing but version counters, which nothing in the pass reads.

``tests/test_meta_kernels.py`` checks every rule against the real meta kernel (outputs and
the tensors autograd saves) and the whole zoo's training memory with and without the mode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
FLOATS = (torch.float32, torch.float16, torch.bfloat16, torch.float64)
_ACCUMULATE = {torch.float16: torch.float32, torch.bfloat16: torch.float32}
_INTS = (torch.int64, torch.int32)
_FLOATS_INTS = FLOATS + _INTS
_TENSORS = (torch.Tensor, torch.nn.Parameter)
_META = torch.device("meta")
Tensor = torch.Tensor

Rule = Callable[..., object]   # returns the outputs, or None: "not mine, run the real kernel"


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def channels_last_strides(shape: Sequence[int]) -> tuple[int, ...]:
    n, c, h, w = shape
    return contiguous_strides((n, h, w, c))[0], 1, max(w, 1) * max(c, 1), max(c, 1)


def _plain(t: object) -> bool:
    """A meta tensor (not a subclass) in a float dtype, with at least one dimension."""
    return (type(t) in _TENSORS and t.is_meta
            and t.dtype in FLOATS and t.dim() > 0)


def _contiguous(t: torch.Tensor) -> bool:
    return t.stride() == contiguous_strides(t.shape)


def _dense(t: torch.Tensor) -> bool:
    """Laid out exactly as ``torch.empty`` lays out a contiguous or a channels-last tensor."""
    return _contiguous(t) or (t.dim() == 4 and t.stride() == channels_last_strides(t.shape))


def _number(value: object) -> bool:
    return type(value) in (int, float)


def _like(t: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    return torch.empty_strided(t.shape, t.stride(), dtype=dtype or t.dtype, device=_META)


def _new(shape: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
    return torch.empty(shape, dtype=dtype, device=_META)


def _broadcast(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


# --- batch norm (train mode) -----------------------------------------------------------------
def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> tuple[Tensor, Tensor, Tensor] | None:
    """(output like the input, save_mean, save_invstd), the last two of shape (C,) in the
    accumulation dtype (float32 for half inputs), as the meta decomposition returns them."""
    if not (training and _plain(input) and input.dim() >= 2 and _dense(input)):
        return None
    channels = input.shape[1]
    if input.numel() == 0 or input.numel() // channels <= 1 or not _number(momentum) \
            or not _number(eps):
        return None
    for t in (weight, bias, running_mean, running_var):
        if t is not None and not (_plain(t) and t.dtype == input.dtype and t.dim() == 1
                                  and t.shape[0] == channels):
            return None
    if (running_mean is None) != (running_var is None):
        return None
    stats = _ACCUMULATE.get(input.dtype, input.dtype)
    return _like(input), _new((channels,), stats), _new((channels,), stats)


def native_layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None,
                      bias: Tensor | None, eps: float) -> tuple[Tensor, Tensor, Tensor] | None:
    """(output, mean, rstd) of a contiguous input: mean and rstd keep the normalized dims as
    1s, in the accumulation dtype, as the meta decomposition returns them."""
    shape = tuple(input.shape)
    norm = tuple(normalized_shape)
    if not (_plain(input) and _contiguous(input) and norm and _number(eps)
            and all(type(n) is int for n in norm) and shape[len(shape) - len(norm):] == norm
            and len(norm) <= len(shape)):
        return None
    for t in (weight, bias):
        if t is not None and not (_plain(t) and t.dtype == input.dtype
                                  and tuple(t.shape) == norm):
            return None
    stats_shape = shape[:len(shape) - len(norm)] + (1,) * len(norm)
    stats = _ACCUMULATE.get(input.dtype, input.dtype)
    return _new(shape, input.dtype), _new(stats_shape, stats), _new(stats_shape, stats)


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, batch: int,
                      channels: int, inner: int, groups: int, eps: float
                      ) -> tuple[Tensor, Tensor, Tensor] | None:
    """(output, mean, rstd) of a contiguous input: mean and rstd of shape (N, groups) in the
    input's dtype, as the meta decomposition returns them."""
    if not (_plain(input) and _contiguous(input) and input.dim() >= 2 and _number(eps)
            and all(type(v) is int for v in (batch, channels, inner, groups))):
        return None
    if not (groups >= 1 and channels % groups == 0 and batch == input.shape[0]
            and channels == input.shape[1] and batch * channels * inner == input.numel() > 0):
        return None
    for t in (weight, bias):
        if t is not None and not (_plain(t) and t.dtype == input.dtype and t.dim() == 1
                                  and t.shape[0] == channels):
            return None
    return (_new(input.shape, input.dtype), _new((batch, groups), input.dtype),
            _new((batch, groups), input.dtype))


# --- elementwise -----------------------------------------------------------------------------
def _unary(*scalar_names: str) -> Rule:
    """A functional unary op: output like a dense float input, scalar arguments numbers."""
    def rule(x: Tensor, *scalars: float, **kwargs: object) -> Tensor | None:
        if len(scalars) > len(scalar_names) or kwargs or not (_plain(x) and _dense(x)) \
                or not all(_number(s) for s in scalars):
            return None
        return _like(x)
    return rule


def _unary_inplace(*scalar_names: str) -> Rule:
    """The in-place form: the input itself (autograd has cloned it if it needs the original)."""
    def rule(x: Tensor, *scalars: float, **kwargs: object) -> Tensor | None:
        if len(scalars) > len(scalar_names) or kwargs or not (_plain(x) and _dense(x)) \
                or not all(_number(s) for s in scalars):
            return None
        return x
    return rule


def _hardtanh(inplace: bool) -> Rule:
    def rule(x: Tensor, min_val: float = -1, max_val: float = 1) -> Tensor | None:
        if not (_plain(x) and _dense(x) and _number(min_val) and _number(max_val)
                and min_val <= max_val):
            return None
        return x if inplace else _like(x)
    return rule


def _gelu(x: Tensor, *, approximate: str = "none") -> Tensor | None:
    if not (_plain(x) and _dense(x) and approximate in ("none", "tanh")):
        return None
    return _like(x)


def _binary(a: Tensor, b: object, *, alpha: object = 1) -> Tensor | None:
    """add/sub/mul/div of two float meta tensors of one dtype: contiguous inputs broadcast to
    a contiguous output; two channels-last inputs of one shape give a channels-last one."""
    if not (_plain(a) and _plain(b) and a.dtype == b.dtype and _number(alpha)):
        return None
    if _contiguous(a) and _contiguous(b):
        shape = _broadcast(a.shape, b.shape)
        return None if shape is None else _new(shape, a.dtype)
    if a.shape == b.shape and a.stride() == b.stride() and _dense(a):
        return _like(a)
    return None


def add_inplace(x: Tensor, other: object, *, alpha: object = 1) -> Tensor | None:
    """``x += other`` (residual sums, BN's ``num_batches_tracked += 1``): ``x`` itself, as the
    meta kernel returns it once its checks pass (no int += float, no bool, ``other``
    broadcastable to ``x``); a number, a 0-dim tensor or a meta tensor of ``x``'s dtype."""
    if type(x) not in _TENSORS or not x.is_meta or x.dtype not in _FLOATS_INTS:
        return None
    floating = x.dtype in FLOATS
    if not (type(alpha) is int or (floating and type(alpha) is float)):
        return None
    if isinstance(other, torch.Tensor):
        if type(other) not in _TENSORS:
            return None
        if other.dim() == 0 and other.dtype in (torch.int64, torch.float64):
            if other.dtype == torch.float64 and not floating:
                return None
        elif not (other.is_meta and other.dtype == x.dtype
                  and _broadcast(x.shape, other.shape) == tuple(x.shape)):
            return None
    elif not (type(other) is int or (floating and type(other) is float)):
        return None
    return x


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Sequence[int],
                padding: Sequence[int], dilation: Sequence[int], transposed: bool,
                output_padding: Sequence[int], groups: int) -> Tensor | None:
    """A (not transposed) convolution: the meta kernel's contiguous output of the usual size,
    once the checks it makes hold (channels match the groups, the kernel fits, output > 0)."""
    if transposed or not (_plain(input) and _plain(weight) and input.dtype == weight.dtype):
        return None
    spatial = input.dim() - 2
    if spatial < 1 or weight.dim() != input.dim() or type(groups) is not int or groups < 1:
        return None
    batch, channels, out_channels = input.shape[0], input.shape[1], weight.shape[0]
    if batch < 1 or channels < 1 or out_channels < 1 or weight.shape[1] * groups != channels \
            or out_channels % groups or min(input.shape[2:]) < 1 or min(weight.shape[2:]) < 1:
        return None
    if bias is not None and not (_plain(bias) and bias.dtype == input.dtype and bias.dim() == 1
                                 and bias.shape[0] == out_channels):
        return None
    params = []
    for values, least in ((stride, 1), (padding, 0), (dilation, 1)):
        values = list(values)
        if len(values) == 1:
            values *= spatial
        if len(values) != spatial or not all(type(v) is int and v >= least for v in values):
            return None
        params.append(values)
    shape = [batch, out_channels]
    for size, kernel, s, p, d in zip(input.shape[2:], weight.shape[2:], *params):
        span = d * (kernel - 1) + 1
        if size + 2 * p < span:
            return None
        shape.append((size + 2 * p - span) // s + 1)
    return _new(shape, input.dtype)


def upsample_bilinear2d(x: Tensor, output_size: Sequence[int], align_corners: bool,
                        scales_h: float | None = None, scales_w: float | None = None
                        ) -> Tensor | None:
    """Bilinear resizing of a contiguous 4-D tensor to ``output_size``: contiguous (its meta
    decomposition gathers and blends four shifted copies, ≈ 5 ms at 64×28×28)."""
    if not (_plain(x) and x.dim() == 4 and _contiguous(x) and x.numel() > 0
            and type(align_corners) is bool and len(output_size) == 2
            and all(type(v) is int and v >= 1 for v in output_size)
            and all(v is None or _number(v) for v in (scales_h, scales_w))):
        return None
    return _new((*x.shape[:2], *output_size), x.dtype)


def _pair(values: Sequence[int], least: int) -> tuple[int, int] | None:
    """A pooling argument given as one or two ints, each at least ``least``."""
    if len(values) not in (1, 2) or not all(type(v) is int and v >= least for v in values):
        return None
    return values[0], values[-1]


def max_pool2d_with_indices(x: Tensor, kernel_size: Sequence[int], stride: Sequence[int] = (),
                            padding: Sequence[int] = (0,), dilation: Sequence[int] = (1,),
                            ceil_mode: bool = False) -> tuple[Tensor, Tensor] | None:
    """Max pooling of a contiguous 4-D float tensor: (output, int64 indices), contiguous, of
    the pooled size, once the meta kernel's checks hold (padding at most half the kernel)."""
    if not (_plain(x) and x.dim() == 4 and _contiguous(x) and x.numel() > 0
            and type(ceil_mode) is bool):
        return None
    kernel, pad, dil = _pair(kernel_size, 1), _pair(padding, 0), _pair(dilation, 1)
    step = kernel if len(stride) == 0 else _pair(stride, 1)
    if None in (kernel, pad, dil, step):
        return None
    shape = [x.shape[0], x.shape[1]]
    for size, k, p, d, s in zip(x.shape[2:], kernel, pad, dil, step):
        span = d * (k - 1) + 1
        if p > span // 2:
            return None
        out = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        if out < 1:
            return None
        shape.append(out)
    return _new(shape, x.dtype), _new(shape, torch.int64)


# --- weight init while a stand-in is built (nothing to fill on meta) ---------------------------
def uniform_(x: Tensor, low: float = 0, high: float = 1, generator: object = None
             ) -> Tensor | None:
    if generator is not None or not (_plain(x) and _number(low) and _number(high)
                                     and low <= high):
        return None
    return x


def normal_(x: Tensor, mean: float = 0, std: float = 1, *, generator: object = None
            ) -> Tensor | None:
    if generator is not None or not (_plain(x) and _number(mean) and _number(std) and std >= 0):
        return None
    return x


# --- others ----------------------------------------------------------------------------------
def _suggests_contiguous(t: torch.Tensor) -> bool:
    """Surely laid out as contiguous by ``suggest_memory_format`` (which only considers
    channels-last for 4-D and 5-D tensors): not 4-D/5-D, canonically contiguous, or a
    contiguous 4-D tensor with more than one channel and column (a channel-split view)."""
    rank = t.dim()
    if rank not in (4, 5) or _contiguous(t):
        return True
    return rank == 4 and t.is_contiguous() and t.shape[1] > 1 and t.shape[3] > 1


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor | None:
    """Float tensors of one dtype and rank, equal but for ``dim``: the meta kernel clones the
    result to contiguous as soon as one input suggests the contiguous format."""
    if not tensors or not all(_plain(t) and t.numel() > 0 for t in tensors):
        return None
    first = tensors[0]
    rank, dtype = first.dim(), first.dtype
    if type(dim) is not int or not -rank <= dim < rank:
        return None
    dim %= rank
    if any(t.dtype != dtype or t.dim() != rank for t in tensors):
        return None
    rest = [s for i, s in enumerate(first.shape) if i != dim]
    if any([s for i, s in enumerate(t.shape) if i != dim] != rest for t in tensors):
        return None
    if not any(_suggests_contiguous(t) for t in tensors):
        return None
    shape = list(first.shape)
    shape[dim] = sum(t.shape[dim] for t in tensors)
    return _new(shape, dtype)


def mean_dim(x: Tensor, dim: Sequence[int] | None, keepdim: bool = False, *,
             dtype: torch.dtype | None = None) -> Tensor | None:
    """The mean over listed dims of a contiguous float tensor: contiguous, reduced shape."""
    if dtype is not None or not (_plain(x) and _contiguous(x)) or type(keepdim) is not bool \
            or not isinstance(dim, (list, tuple)) or not dim or x.numel() == 0:
        return None
    rank = x.dim()
    if not all(type(d) is int and -rank <= d < rank for d in dim):
        return None
    reduced = {d % rank for d in dim}
    if len(reduced) != len(dim):
        return None
    shape = [1 if i in reduced else s for i, s in enumerate(x.shape)
             if keepdim or i not in reduced]
    return _new(shape, x.dtype)


def addmm(bias: Tensor, mat1: Tensor, mat2: Tensor, *, beta: object = 1, alpha: object = 1
          ) -> Tensor | None:
    """``bias + mat1 @ mat2`` (a Linear on 2-D input): a contiguous (n, m) output."""
    if not all(_plain(t) for t in (bias, mat1, mat2)) or not _number(beta) \
            or not _number(alpha) or mat1.dim() != 2 or mat2.dim() != 2:
        return None
    if not bias.dtype == mat1.dtype == mat2.dtype or mat1.shape[1] != mat2.shape[0]:
        return None
    shape = (mat1.shape[0], mat2.shape[1])
    if bias.dim() > 2 or _broadcast(bias.shape, shape) != shape:
        return None
    return _new(shape, mat1.dtype)


def empty_like(x: Tensor, *, dtype: object = None, layout: object = None, device: object = None,
               pin_memory: object = None, memory_format: object = None) -> Tensor | None:
    """A new tensor laid out like a dense ``x`` (dropout's mask)."""
    if any(v is not None for v in (dtype, layout, device)) or pin_memory not in (None, False) \
            or memory_format not in (None, torch.preserve_format) or not (_plain(x) and _dense(x)):
        return None
    return _like(x)


RULES: dict[object, Rule] = {
    aten.native_batch_norm.default: native_batch_norm,
    aten.relu.default: _unary(),
    aten.hardsigmoid.default: _unary(),
    aten.hardsigmoid_.default: _unary_inplace(),
    aten.hardswish.default: _unary(),
    aten.hardswish_.default: _unary_inplace(),
    aten.sigmoid_.default: _unary_inplace(),
    aten.leaky_relu.default: _unary("negative_slope"),
    aten.leaky_relu_.default: _unary_inplace("negative_slope"),
    aten.elu.default: _unary("alpha", "scale", "input_scale"),
    aten.elu_.default: _unary_inplace("alpha", "scale", "input_scale"),
    aten.hardtanh.default: _hardtanh(inplace=False),
    aten.hardtanh_.default: _hardtanh(inplace=True),
    aten.gelu.default: _gelu,
    aten.mish.default: _unary(),
    aten.softplus.default: _unary("beta", "threshold"),
    aten.native_layer_norm.default: native_layer_norm,
    aten.native_group_norm.default: native_group_norm,
    aten.upsample_bilinear2d.default: upsample_bilinear2d,
    aten.add.Tensor: _binary,
    aten.sub.Tensor: _binary,
    aten.mul.Tensor: _binary,
    aten.div.Tensor: _binary,
    aten.add_.Tensor: add_inplace,
    aten.convolution.default: convolution,
    aten.cat.default: cat,
    aten.mean.dim: mean_dim,
    aten.addmm.default: addmm,
    aten.max_pool2d_with_indices.default: max_pool2d_with_indices,
    aten.empty_like.default: empty_like,
    aten.uniform_.default: uniform_,
    aten.normal_.default: normal_,
}


# OpOverload hashes in Python (≈ 1 µs, on every op of the pass): look rules up by the
# overload objects' ids instead (torch keeps one object per overload; RULES keeps them alive)
_RULES_BY_ID = {id(op): (op, rule) for op, rule in RULES.items()}


class ShapeKernels(TorchDispatchMode):
    """Answer the slow meta ops from their shape rules (``RULES``); run the rest as usual.
    ``answered`` counts the calls each rule answered (what fell through is not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self._answered: dict[int, int] = {}

    @property
    def answered(self) -> dict[object, int]:
        return {_RULES_BY_ID[key][0]: n for key, n in self._answered.items()}

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch wraps a mode's __torch_dispatch__ in ``torch._dynamo.disable`` unless this says
        # False; the wrapper imports torch._dynamo on the first call (≈ 1–3 s here) and adds
        # a frame to every op. The pass never runs under torch.compile, so it is not needed.
        return False

    @classmethod
    def ignore_compile_internals(cls) -> bool:
        # do not flag "a dispatch mode is active" to torch.compile (that flag is process-wide)
        return True

    def __torch_dispatch__(self, func: torch._ops.OpOverload, types: object,
                           args: tuple = (), kwargs: dict | None = None) -> object:
        kwargs = kwargs or {}
        key = id(func)
        entry = _RULES_BY_ID.get(key)
        if entry is not None:
            out = entry[1](*args, **kwargs)
            if out is not None:
                self._answered[key] = self._answered.get(key, 0) + 1
                return out
        return func(*args, **kwargs)


__all__ = ["RULES", "ShapeKernels"]
