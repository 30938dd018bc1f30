"""The shape-only meta kernels of the training-memory pass (vizcnn.experiments.meta_kernels):
for every op they answer, the outputs and the tensors autograd saves equal those of PyTorch's
own meta kernel, and the whole zoo's training memory is the same with and without them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext

import pytest
import torch
import torch.nn.functional as F

import vizcnn
from vizcnn.errors import VizcnnError
from vizcnn.experiments.meta_kernels import RULES, ShapeKernels
from vizcnn.experiments.training_memory import Precision, training_memory
from vizcnn.zoo.registry import list_models

aten = torch.ops.aten
HALVES = [torch.float32, torch.float16, torch.bfloat16]


def meta(*shape: int, dtype: torch.dtype = torch.float32, cl: bool = False,
         grad: bool = True) -> torch.Tensor:
    t = torch.empty(shape, dtype=dtype, device="meta")
    if cl:
        t = t.contiguous(memory_format=torch.channels_last)
    return t.requires_grad_(grad and dtype.is_floating_point)


def nonleaf(*shape: int, **kwargs: object) -> torch.Tensor:
    """A tensor that may be modified in place while autograd records (made before the run)."""
    return meta(*shape, **kwargs).clone()


def _flat(out: object) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for t in out if isinstance(t, torch.Tensor)]


def _describe(t: torch.Tensor, known: list[torch.Tensor]) -> tuple:
    """Everything the measurement can see of a tensor, and which known tensor it shares
    storage with (its index; -1 if none)."""
    storage = t.untyped_storage()
    shares = next((i for i, k in enumerate(known)
                   if k.untyped_storage()._cdata == storage._cdata), -1)
    return (tuple(t.shape), t.stride(), t.dtype, t.storage_offset(), storage.nbytes(), shares)


def _run(fn: Callable, make: Callable[[], list], with_mode: bool) -> tuple:
    """(outputs, saved tensors, answered calls) of one op, or (exception type, answered)."""
    args = make()
    saved: list[torch.Tensor] = []
    mode = ShapeKernels()
    try:
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t,
                                                      lambda t: t):
            with mode if with_mode else nullcontext():
                outs = _flat(fn(*args))
    except Exception as error:    # the same kind of failure is part of the contract
        return type(error).__name__, dict(mode.answered)
    inputs = [a for a in args if isinstance(a, torch.Tensor)]
    known = inputs + outs
    return ([_describe(o, known) for o in outs], [_describe(s, known) for s in saved],
            dict(mode.answered))


EITHER = object()    # for odd layouts: the rule may answer or not, the result must be equal


def check(fn: Callable, make: Callable[[], list], answered_by: object | None) -> None:
    """The op gives the same outputs and saved tensors with and without the mode, and the
    mode's rule for ``answered_by`` did answer (None: the call must fall through)."""
    *real, real_answered = _run(fn, make, with_mode=False)
    *fast, answered = _run(fn, make, with_mode=True)
    assert real_answered == {}
    assert fast == real
    if answered_by is EITHER:
        return
    if answered_by is None:
        assert answered == {}, answered
    else:
        assert answered.get(answered_by, 0) >= 1, answered


# --- batch norm in train mode -----------------------------------------------------------------
BN_SHAPES = [((4, 8, 5, 5), False), ((4, 8, 5, 5), True), ((2, 8, 1, 1), False),
             ((2, 8, 1, 1), True), ((3, 1, 4, 4), True), ((6, 16), False), ((2, 8, 9), False)]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape, cl", BN_SHAPES)
@pytest.mark.parametrize("affine, stats", [(True, True), (False, True), (True, False),
                                           (False, False)])
def test_train_batch_norm(dtype, shape, cl, affine, stats):
    c = shape[1]

    def make():
        w, b = (meta(c, dtype=dtype), meta(c, dtype=dtype)) if affine else (None, None)
        rm, rv = ((meta(c, dtype=dtype, grad=False), meta(c, dtype=dtype, grad=False))
                  if stats else (None, None))
        return [meta(*shape, dtype=dtype, cl=cl), w, b, rm, rv]

    check(lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5), make,
          aten.native_batch_norm.default)


def test_batch_norm_cases_left_to_the_real_kernel():
    c = 8
    mixed = lambda: [meta(4, c, 3, 3), meta(c, dtype=torch.float16), None, None, None]  # noqa: E731
    check(lambda x, w, b, rm, rv: aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5),
          mixed, None)
    eval_mode = lambda: [meta(4, c, 3, 3), None, None, meta(c, grad=False),  # noqa: E731
                         meta(c, grad=False)]
    check(lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, False), eval_mode, None)
    one_value = lambda: [meta(1, c, 1, 1), None, None, None, None]  # noqa: E731
    check(lambda x, w, b, rm, rv: aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5),
          one_value, None)
    strided = lambda: [meta(4, c, 6, 6)[:, :, ::2], None, None, None, None]  # noqa: E731
    check(lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True), strided, None)


# --- layer norm, group norm (modern CNNs' normalisations), instance norm ---------------------
@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape, norm", [((2, 5, 5, 16), (16,)), ((2, 16, 5, 5), (16, 5, 5)),
                                         ((3, 7), (7,)), ((1, 1, 1, 8), (8,)), ((4, 6), (4, 6))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(dtype, shape, norm, affine):
    def make():
        w, b = (meta(*norm, dtype=dtype), meta(*norm, dtype=dtype)) if affine else (None, None)
        return [meta(*shape, dtype=dtype), w, b]

    check(lambda x, w, b: F.layer_norm(x, norm, w, b), make, aten.native_layer_norm.default)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape, groups", [((2, 16, 5, 5), 4), ((2, 16, 5, 5), 1),
                                           ((2, 16, 5, 5), 16), ((1, 8, 1, 1), 2),
                                           ((3, 6, 7), 3), ((4, 6), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(dtype, shape, groups, affine):
    c = shape[1]

    def make():
        w, b = (meta(c, dtype=dtype), meta(c, dtype=dtype)) if affine else (None, None)
        return [meta(*shape, dtype=dtype), w, b]

    check(lambda x, w, b: F.group_norm(x, groups, w, b), make, aten.native_group_norm.default)


def test_norm_cases_left_to_the_real_kernel():
    check(lambda x: F.layer_norm(x, (5,)), lambda: [meta(2, 16, 5, 5, cl=True)], None)
    check(lambda x: F.layer_norm(x, (16,)), lambda: [meta(2, 16, 5, 5)], None)   # (5,) ends it
    check(lambda x, w: F.layer_norm(x, (16,), w), lambda: [meta(2, 5, 16),
                                                          meta(16, dtype=torch.float16)], None)
    check(lambda x: aten.native_layer_norm(x, [5], None, None, 1e-5), lambda: [meta(2, 16)],
          None)                                               # does not end in (5,)
    # channels-last: torch's group_norm makes the input contiguous before the kernel
    check(lambda x: F.group_norm(x, 8), lambda: [meta(2, 16, 5, 5, cl=True)],
          aten.native_group_norm.default)
    check(lambda x: aten.native_group_norm(x, None, None, 2, 16, 25, 5, 1e-5),
          lambda: [meta(2, 16, 5, 5)], None)                  # 16 channels, 5 groups
    check(lambda x: aten.native_group_norm(x, None, None, 2, 16, 24, 4, 1e-5),
          lambda: [meta(2, 16, 5, 5)], None)                  # inner size is 25
    check(F.instance_norm, lambda: [meta(2, 16, 5, 5)], aten.native_batch_norm.default)


# --- elementwise ------------------------------------------------------------------------------
UNARY = [
    (torch.relu, aten.relu.default),
    (F.hardsigmoid, aten.hardsigmoid.default),
    (F.hardswish, aten.hardswish.default),
    (F.relu6, aten.hardtanh.default),
    (lambda x: F.hardtanh(x, -2.0, 3), aten.hardtanh.default),
    (lambda x: F.leaky_relu(x, 0.2), aten.leaky_relu.default),
    (F.leaky_relu, aten.leaky_relu.default),
    (F.elu, aten.elu.default),
    (F.gelu, aten.gelu.default),
    (lambda x: F.gelu(x, approximate="tanh"), aten.gelu.default),
    (F.mish, aten.mish.default),
    (F.softplus, aten.softplus.default),
    (lambda x: F.softplus(x, 2.0, 10), aten.softplus.default),
]
INPLACE = [
    (lambda x: F.hardsigmoid(x, inplace=True), aten.hardsigmoid_.default),
    (lambda x: F.hardswish(x, inplace=True), aten.hardswish_.default),
    (lambda x: F.relu6(x, inplace=True), aten.hardtanh_.default),
    (lambda x: F.leaky_relu(x, 0.1, inplace=True), aten.leaky_relu_.default),
    (lambda x: F.elu(x, inplace=True), aten.elu_.default),
    (torch.sigmoid_, aten.sigmoid_.default),
]
LAYOUTS = [((2, 8, 5, 5), False), ((2, 8, 5, 5), True), ((1, 8, 1, 1), True), ((3, 7), False),
           ((5,), False)]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape, cl", LAYOUTS)
@pytest.mark.parametrize("op, func", UNARY + INPLACE,
                         ids=[str(f) for _, f in UNARY] + [str(f) for _, f in INPLACE])
def test_unary(op, func, dtype, shape, cl):
    make = nonleaf if (op, func) in INPLACE else meta
    check(op, lambda: [make(*shape, dtype=dtype, cl=cl)], func)


def test_unary_cases_left_to_the_real_kernel():
    check(lambda x: F.hardtanh(x, 2.0, -1.0), lambda: [meta(2, 3)], None)   # min > max
    check(lambda x: aten.gelu(x, approximate="exact"), lambda: [meta(2, 3)], None)
    check(torch.relu, lambda: [torch.empty(4, 3, dtype=torch.int64, device="meta")], None)
    check(torch.relu, lambda: [meta(4, 6).t()], None)              # not laid out densely
    check(F.hardswish, lambda: [meta(4, 1).expand(4, 6)], None)
    check(lambda x: F.hardswish(x, inplace=True), lambda: [nonleaf(4, 1).expand(4, 6)], None)


BINARY_SHAPES = [((2, 8, 5, 5), (2, 8, 5, 5)), ((2, 8, 5, 5), (2, 8, 1, 1)),
                 ((2, 8, 1, 1), (2, 8, 5, 5)), ((2, 8, 5, 5), (8, 1, 1)), ((3, 7), (7,)),
                 ((1, 8, 1, 1), (1, 8, 1, 1))]
BINARY = [(torch.add, aten.add.Tensor), (lambda a, b: torch.add(a, b, alpha=2), aten.add.Tensor),
          (torch.sub, aten.sub.Tensor), (lambda a, b: torch.sub(a, b, alpha=0.5), aten.sub.Tensor),
          (torch.mul, aten.mul.Tensor), (torch.div, aten.div.Tensor)]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("a, b", BINARY_SHAPES)
@pytest.mark.parametrize("op, func", BINARY, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BINARY)])
def test_binary_contiguous(op, func, a, b, dtype):
    check(op, lambda: [meta(*a, dtype=dtype), meta(*b, dtype=dtype)], func)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("shape", [(2, 8, 5, 5), (1, 8, 1, 1), (2, 1, 5, 5), (3, 8, 1, 4)])
@pytest.mark.parametrize("op, func", BINARY, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BINARY)])
def test_binary_channels_last(op, func, shape, dtype):
    check(op, lambda: [meta(*shape, dtype=dtype, cl=True), meta(*shape, dtype=dtype, cl=True)],
          func)
    # channels-last against a broadcast operand: the layout rules are TensorIterator's own
    # (unless channels-last strides are the contiguous ones, as for one channel)
    same = meta(*shape, cl=True).stride() == meta(*shape).stride()
    check(op, lambda: [meta(*shape, dtype=dtype, cl=True), meta(*shape[:2], 1, 1, dtype=dtype)],
          func if same else None)


def test_binary_cases_left_to_the_real_kernel():
    check(torch.mul, lambda: [meta(2, 8, 5, 5), 0.5], None)          # a wrapped number
    check(torch.add, lambda: [meta(2, 8), meta(2, 8, dtype=torch.float16)], None)
    check(torch.add, lambda: [meta(2, 8), meta(3, 8)], None)          # does not broadcast
    check(torch.mul, lambda: [meta(2, 8), torch.ones(())], None)      # a 0-dim CPU tensor
    check(torch.add, lambda: [meta(4, 6).t(), meta(6, 4)], None)


@pytest.mark.parametrize("dtype", HALVES)
def test_add_inplace(dtype):
    check(lambda x, y: x.add_(y), lambda: [nonleaf(2, 8, 5, 5, dtype=dtype),
                                          meta(2, 8, 5, 5, dtype=dtype)], aten.add_.Tensor)
    check(lambda x, y: x.add_(y, alpha=2), lambda: [nonleaf(2, 8, 5, 5, dtype=dtype),
                                                   meta(8, 1, 1, dtype=dtype)], aten.add_.Tensor)
    check(lambda x: x.add_(1), lambda: [nonleaf(2, 3, dtype=dtype)], aten.add_.Tensor)
    check(lambda x: x.add_(0.5), lambda: [nonleaf(2, 3, dtype=dtype)], aten.add_.Tensor)


def test_add_inplace_counter_and_refusals():
    count = lambda: [torch.zeros((), dtype=torch.int64, device="meta")]  # noqa: E731
    check(lambda n: n.add_(1), count, aten.add_.Tensor)              # num_batches_tracked
    check(lambda n: n.add_(1.5), count, None)                        # int += float raises
    check(lambda x, y: x.add_(y), lambda: [nonleaf(2, 1), meta(2, 4)], None)  # grows x
    check(lambda x: x.add_(True), lambda: [torch.zeros(3, dtype=torch.bool, device="meta")],
          None)
    check(lambda x, y: x.add_(y), lambda: [nonleaf(2, 4), meta(2, 4, dtype=torch.float16)],
          None)
    check(lambda x, y: x.add_(y), lambda: [meta(4, 1, grad=False).expand(4, 6),  # overlapping
                                          meta(4, 6, grad=False)], EITHER)


# --- cat, mean, addmm, empty_like, dropout ----------------------------------------------------
@pytest.mark.parametrize("dtype", HALVES)
def test_cat(dtype):
    parts = lambda *shapes: [[meta(*s, dtype=dtype) for s in shapes]]  # noqa: E731
    check(lambda ts: torch.cat(ts, 1), lambda: parts((2, 3, 4, 4), (2, 5, 4, 4), (2, 1, 4, 4)),
          aten.cat.default)
    check(lambda ts: torch.cat(ts, -1), lambda: parts((2, 3), (2, 7)), aten.cat.default)
    check(lambda ts: torch.cat(ts), lambda: parts((2, 3), (4, 3)), aten.cat.default)
    check(lambda ts: torch.cat(ts, 1), lambda: parts((2, 3, 1, 1), (2, 5, 1, 1)),
          aten.cat.default)
    check(lambda ts: torch.cat(ts, 1), lambda: parts((2, 3, 4, 4), (3, 3, 4, 4)), None)
    check(lambda ts: torch.cat(ts, 2), lambda: parts((2, 3), (2, 3)), None)


@pytest.mark.parametrize("shape", [(1, 8, 5, 5), (2, 8, 5, 5), (1, 8, 1, 5), (1, 8, 5, 1),
                                   (1, 1, 5, 5), (1, 1, 1, 1), (2, 1, 1, 1), (3, 8, 1, 1)])
def test_cat_of_views_and_odd_shapes(shape):
    """ShuffleNet's channel split: cat of a channel-half view (contiguous, not canonically)
    with a new tensor, or with a channels-last one; shapes where layouts are ambiguous."""
    def parts():
        half = meta(shape[0], 2 * shape[1], *shape[2:]).chunk(2, dim=1)[0]
        return [half, meta(*shape), meta(*shape, cl=True)]

    # a channel half of one sample is contiguous (not canonically): the rule must see that
    plain = shape[0] == 1 and shape[1] > 1 and shape[3] > 1
    check(lambda a, b, c: torch.cat([a, b], 1), parts, aten.cat.default)   # b is canonical
    check(lambda a, b, c: torch.cat([a, c], 1), parts, aten.cat.default if plain else EITHER)
    check(lambda a, b, c: torch.cat([a, a], 0), parts, aten.cat.default if plain else EITHER)
    check(lambda a, b, c: torch.cat([c, c], 0), parts, EITHER)


def test_cat_cases_left_to_the_real_kernel():
    check(lambda a, b: torch.cat([a, b], 1), lambda: [meta(2, 3, 4, 4, cl=True),
                                                     meta(2, 3, 4, 4, cl=True)], None)
    check(lambda a, b: torch.cat([a, b]), lambda: [meta(2, 3), meta(2, 3, dtype=torch.float16)],
          None)
    check(lambda a, b: torch.cat([a, b]), lambda: [meta(2, 3), meta(0)], None)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("dims, keepdim", [((2, 3), False), ((2, 3), True), ((-1,), False),
                                           ((0, 2), True), ((1,), False)])
def test_mean(dtype, dims, keepdim):
    check(lambda x: x.mean(dims, keepdim=keepdim), lambda: [meta(2, 8, 5, 5, dtype=dtype)],
          aten.mean.dim)


def test_mean_cases_left_to_the_real_kernel():
    check(lambda x: x.mean((2, 3), keepdim=True), lambda: [meta(2, 8, 5, 5, cl=True)], None)
    check(lambda x: x.mean((2, 2)), lambda: [meta(2, 8, 5, 5)], None)
    check(lambda x: x.mean((1,), dtype=torch.float64), lambda: [meta(2, 8)], None)
    check(lambda x: F.adaptive_avg_pool2d(x, 1), lambda: [meta(2, 8, 5, 5)], aten.mean.dim)


@pytest.mark.parametrize("dtype", HALVES)
def test_addmm(dtype):
    check(F.linear, lambda: [meta(4, 16, dtype=dtype), meta(10, 16, dtype=dtype),
                             meta(10, dtype=dtype)], aten.addmm.default)
    check(lambda b, m1, m2: torch.addmm(b, m1, m2, beta=0.5, alpha=2),
          lambda: [meta(4, 10, dtype=dtype), meta(16, 4, dtype=dtype).t(),
                   meta(16, 10, dtype=dtype)], aten.addmm.default)
    check(torch.addmm, lambda: [meta(1, 10, dtype=dtype), meta(4, 16, dtype=dtype),
                                meta(16, 10, dtype=dtype)], aten.addmm.default)
    check(torch.addmm, lambda: [meta(3, 10, dtype=dtype), meta(4, 16, dtype=dtype),
                                meta(16, 10, dtype=dtype)], None)      # bias of the wrong size
    check(torch.addmm, lambda: [meta(10, dtype=dtype), meta(4, 15, dtype=dtype),
                                meta(16, 10, dtype=dtype)], None)      # inner sizes differ


def test_empty_like_and_dropout():
    check(torch.empty_like, lambda: [meta(2, 8, 5, 5, cl=True)], aten.empty_like.default)
    check(lambda x: torch.empty_like(x, dtype=torch.float16), lambda: [meta(2, 3)], None)
    check(lambda x: F.dropout(x, 0.3, True), lambda: [meta(4, 32)], aten.mul.Tensor)


# --- convolution ------------------------------------------------------------------------------
CONVS = [  # input shape, weight shape, stride, padding, dilation, groups
    ((2, 3, 16, 16), (8, 3, 3, 3), 1, 1, 1, 1),
    ((2, 3, 17, 15), (8, 3, 7, 7), 2, 3, 1, 1),
    ((1, 8, 9, 9), (8, 1, 3, 3), 2, 1, 1, 8),          # depthwise
    ((2, 8, 9, 9), (12, 2, 3, 3), 1, 2, 2, 4),         # grouped, dilated
    ((2, 8, 9, 9), (16, 8, 1, 1), 1, 0, 1, 1),
    ((2, 4, 5, 7), (6, 4, 3, 1), (2, 1), (1, 0), 1, 1),
]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("cl", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("x, w, stride, padding, dilation, groups", CONVS)
def test_conv2d(x, w, stride, padding, dilation, groups, bias, cl, dtype):
    def make():
        return [meta(*x, dtype=dtype, cl=cl), meta(*w, dtype=dtype, cl=cl),
                meta(w[0], dtype=dtype) if bias else None]

    check(lambda i, k, b: F.conv2d(i, k, b, stride, padding, dilation, groups), make,
          aten.convolution.default)


def test_conv1d_and_padding_same():
    check(lambda i, k: F.conv1d(i, k, None, 2, 1), lambda: [meta(2, 4, 11), meta(6, 4, 3)],
          aten.convolution.default)
    check(lambda i, k: F.conv2d(i, k, padding="same"), lambda: [meta(2, 4, 8, 8),
                                                                meta(6, 4, 3, 3)],
          aten.convolution.default)


def test_conv_cases_left_to_the_real_kernel():
    check(lambda i, k: F.conv2d(i, k), lambda: [meta(2, 3, 2, 2), meta(8, 3, 3, 3)], None)
    check(lambda i, k: F.conv2d(i, k), lambda: [meta(2, 4, 8, 8), meta(8, 3, 3, 3)], None)
    check(lambda i, k: F.conv2d(i, k, groups=2), lambda: [meta(2, 4, 8, 8), meta(3, 2, 3, 3)],
          None)                                         # out channels not a multiple of groups
    check(lambda i, k: F.conv_transpose2d(i, k, stride=2), lambda: [meta(2, 4, 8, 8),
                                                                    meta(4, 6, 3, 3)], None)
    check(lambda i, k: F.conv2d(i, k), lambda: [meta(2, 4, 8, 8),
                                                meta(6, 4, 3, 3, dtype=torch.float16)], None)
    check(lambda i, k: F.conv2d(i, k), lambda: [meta(2, 4, 8, 8), meta(0, 4, 3, 3)], None)
    check(lambda i, k: F.conv2d(i, k), lambda: [meta(2, 4, 8, 0), meta(6, 4, 3, 1)], None)


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("x, size, scale, align", [
    ((2, 8, 5, 5), None, 2, False), ((2, 8, 5, 5), None, 2, True), ((1, 8, 7, 9), (14, 3), None,
                                                                  False),
    ((2, 8, 5, 5), (1, 1), None, False), ((1, 1, 1, 1), None, 3, False),
    ((2, 8, 6, 6), None, 0.5, False), ((2, 3, 4, 5), (7, 1), None, True)])
def test_upsample_bilinear(x, size, scale, align, dtype):
    check(lambda i: F.interpolate(i, size=size, scale_factor=scale, mode="bilinear",
                                  align_corners=align),
          lambda: [meta(*x, dtype=dtype)], aten.upsample_bilinear2d.default)


def test_upsample_cases_left_to_the_real_kernel():
    check(lambda i: F.interpolate(i, scale_factor=2, mode="bilinear"),
          lambda: [meta(2, 8, 5, 5, cl=True)], None)
    check(lambda i: F.interpolate(i, scale_factor=2, mode="bilinear"),
          lambda: [meta(2, 8, 10, 5)[:, :, ::2]], None)


POOLS = [  # input shape, kernel, stride, padding, dilation, ceil_mode
    ((2, 8, 16, 16), 3, 2, 1, 1, False), ((1, 8, 112, 112), 3, 2, 1, 1, False),
    ((2, 8, 28, 28), 3, 2, 0, 1, True), ((2, 8, 14, 14), 3, 1, 1, 1, True),
    ((2, 8, 7, 9), 2, None, 0, 1, False), ((2, 8, 7, 9), 2, None, 0, 1, True),
    ((2, 8, 10, 11), (3, 2), (2, 1), (1, 0), (2, 1), True), ((1, 1, 3, 3), 3, 3, 1, 1, True),
    ((2, 3, 5, 5), 5, 1, 2, 1, False),
    ((2, 8, 5, 5), 2, 2, 1, 1, True)]        # ceil mode: the last window would start in padding


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("x, kernel, stride, padding, dilation, ceil", POOLS)
def test_max_pool2d(x, kernel, stride, padding, dilation, ceil, dtype):
    check(lambda i: F.max_pool2d(i, kernel, stride, padding, dilation, ceil),
          lambda: [meta(*x, dtype=dtype)], aten.max_pool2d_with_indices.default)


def test_max_pool_cases_left_to_the_real_kernel():
    pool = lambda k, s, p, d=1: lambda i: F.max_pool2d(i, k, s, p, d)  # noqa: E731
    check(pool(3, 2, 2), lambda: [meta(2, 8, 9, 9)], None)          # padding over half
    check(pool(5, 1, 0), lambda: [meta(2, 8, 3, 3)], None)          # input too small
    check(pool(3, 2, 1), lambda: [meta(2, 8, 9, 9, cl=True)], None)
    check(pool(3, 2, 1), lambda: [meta(8, 9, 9)], None)             # unbatched
    check(pool(3, 2, 1), lambda: [meta(2, 8, 18, 9)[:, :, ::2]], None)


# --- weight init while a stand-in is built ---------------------------------------------------
def param(*shape: int, dtype: torch.dtype = torch.float32) -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.empty(shape, dtype=dtype, device="meta"))


@pytest.mark.parametrize("dtype", HALVES)
def test_init_ops(dtype):
    check(torch.nn.init.kaiming_uniform_, lambda: [param(8, 4, 3, 3, dtype=dtype)],
          aten.uniform_.default)
    check(lambda w: torch.nn.init.uniform_(w, -0.5, 0.5), lambda: [param(10, 3, dtype=dtype)],
          aten.uniform_.default)
    check(lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_out"),
          lambda: [param(8, 4, 3, 3, dtype=dtype)], aten.normal_.default)
    check(lambda w: torch.nn.init.normal_(w, 0, 0.01), lambda: [param(10, 3, dtype=dtype)],
          aten.normal_.default)


def test_init_cases_left_to_the_real_kernel():
    with torch.no_grad():
        check(lambda w: w.uniform_(1.0, -1.0), lambda: [param(4, 3)], None)
        check(lambda w: w.normal_(0.0, -1.0), lambda: [param(4, 3)], None)
        check(lambda w: w.uniform_(generator=torch.Generator()), lambda: [param(4, 3)], None)


@pytest.mark.parametrize("name", list_models())
def test_stand_in_built_under_the_mode_is_the_same_model(name):
    from vizcnn.api import build_spec
    from vizcnn.experiments.training_memory import stand_in
    from vizcnn.spec import ModelSource, ModelSpec, TraceSpec

    spec = ModelSpec(ModelSource.ZOO, name)
    with torch.device("meta"):
        plain = build_spec(spec).to("meta")
    fast = stand_in(TraceSpec(spec, (), True))

    def layout(model: torch.nn.Module) -> list[tuple]:
        return ([(n, type(m).__name__) for n, m in model.named_modules()]
                + [(n, t.shape, t.dtype, t.requires_grad, t.is_meta)
                   for n, t in (*model.named_parameters(), *model.named_buffers())])

    assert layout(fast) == layout(plain)


def test_every_rule_is_tested_here():
    source = open(__file__, encoding="utf-8").read()
    for func in RULES:
        name = str(func).removeprefix("aten.")
        assert f"aten.{name}" in source, f"no test names {func}"


# --- the mode is the entering thread's only ---------------------------------------------------
def test_the_mode_does_not_reach_other_threads():
    inside, done = threading.Event(), threading.Event()
    mode = ShapeKernels()

    def hold() -> None:
        with mode:
            inside.set()
            done.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(30)
        torch.relu(meta(2, 8))              # this thread: the real kernel, not the mode
        assert mode.answered == {}
    finally:
        done.set()
        thread.join()
    with mode:
        torch.relu(meta(2, 8))
    assert mode.answered == {aten.relu.default: 1}


# --- the whole zoo: the same training memory with and without the mode -------------------------
TRAIN_SIDE = {"googlenet_paper": 224}    # its aux heads' linear layers need 224 in train mode


@pytest.mark.parametrize("name", list_models())
def test_zoo_training_memory_is_unchanged(name):
    side = TRAIN_SIDE.get(name, 96)
    trace = vizcnn.trace(name, (2, 3, side, side))
    fast = training_memory(trace, 2, optimizer="adam")
    plain = training_memory(trace, 2, optimizer="adam", shape_kernels=False)
    assert fast == plain                   # totals and every layer's bytes and tensor count
    assert fast.activation_bytes > 0


class ChannelsLastLayerNorm(torch.nn.Module):
    """ConvNeXt's LayerNorm over channels: permute to NHWC, normalise, permute back."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = torch.nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def modern_cnn() -> torch.nn.Module:
    """The ops of newer CNNs the zoo does not have: group and layer norm, Mish, Softplus,
    bilinear upsampling, SiLU, PReLU."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.Mish(),
        nn.Conv2d(16, 16, 3, stride=2, padding=1), ChannelsLastLayerNorm(16), nn.Softplus(),
        nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(16, 8, 1), nn.SiLU(),
        nn.PReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


@pytest.mark.parametrize("precision", list(Precision))
def test_a_factory_with_newer_ops_is_unchanged(precision):
    from pathlib import Path

    from vizcnn.spec import ModelSource, ModelSpec

    spec = ModelSpec(ModelSource.FACTORY, f"{Path(__file__).resolve()}:modern_cnn")
    trace = vizcnn.trace(spec, (2, 3, 32, 32))
    fast = training_memory(trace, 4, precision)
    assert fast == training_memory(trace, 4, precision, shape_kernels=False)
    saving = {layer.module_type for layer in fast.layers}      # bilinear upsampling saves none
    assert {"GroupNorm", "LayerNorm", "Mish", "Softplus", "PReLU"} <= saving


@pytest.mark.parametrize("name, precision", [
    ("resnet18", Precision.FP16_MIXED), ("mobilenet_v3_large", Precision.FP16_MIXED),
    ("ghostnet", Precision.BF16_MIXED), ("shufflenet_v2_x1_0", Precision.BF16_MIXED),
    ("googlenet", Precision.FP16_MIXED), ("se_resnet50", Precision.BF16_MIXED)])
def test_zoo_mixed_precision_is_unchanged(name, precision):
    trace = vizcnn.trace(name, (2, 3, 96, 96))
    fast = training_memory(trace, 3, precision)
    assert fast == training_memory(trace, 3, precision, shape_kernels=False)
    assert fast.weight_copy_bytes > 0


def test_a_failing_pass_fails_the_same_way():
    trace = vizcnn.trace("googlenet_paper", (2, 3, 96, 96))
    messages = []
    for shape_kernels in (True, False):
        with pytest.raises(VizcnnError) as error:
            training_memory(trace, 2, shape_kernels=shape_kernels)
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "reduction dim" in messages[0]
    # the cached stand-in measures correctly after a pass that failed half-way
    good = vizcnn.trace("googlenet_paper", (2, 3, 224, 224))
    assert training_memory(good, 2) == training_memory(good, 2, shape_kernels=False)
