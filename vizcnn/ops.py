"""Which torch callables vizcnn recognises, under which canonical op name, with which arguments.

The tracer sees raw callables (``torch.conv2d``, ``F.relu``, ``Tensor.add``…). This catalogue
maps each to an :class:`OpSpec`: a canonical name shared by shape rules and cost formulas, and
the positional argument names so a call can be bound to a dict of named values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

Shape = tuple[int, ...]


@dataclass(frozen=True)
class OpSpec:
    """How to read a call of one torch callable.

    ``argnames`` lists positional names; a name starting with ``*`` takes the rest.
    ``inplace`` ops return their first argument; ``transparent`` ops (``contiguous``,
    ``detach``…) are not shown as nodes: their output stands for their input.
    """

    name: str
    argnames: tuple[str, ...]
    inplace: bool = False
    transparent: bool = False
    spatial_dims: int = 0


OPS: dict[Callable[..., Any], OpSpec] = {}


def _register(name: str, argnames: str, *funcs: Any, inplace: bool = False,
              transparent: bool = False, spatial_dims: int = 0) -> None:
    spec = OpSpec(name, tuple(argnames.split()), inplace, transparent, spatial_dims)
    for func in funcs:
        if func is not None:
            OPS[func] = spec


def _register_nd(name: str, argnames: str, funcs: tuple[Any, Any, Any]) -> None:
    """Register the 1-D, 2-D and 3-D variants of a pooling op, remembering which is which."""
    for dims, func in enumerate(funcs, start=1):
        _register(name, argnames, func, spatial_dims=dims)


T = torch.Tensor

# --- layers with weights -------------------------------------------------------------------
_register("conv", "input weight bias stride padding dilation groups",
          torch.conv1d, torch.conv2d, torch.conv3d)
_register("conv_transpose", "input weight bias stride padding output_padding groups dilation",
          torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d)
_register("linear", "input weight bias", F.linear)
_register("matmul", "input other", torch.matmul, T.matmul, T.__matmul__, torch.mm, T.mm,
          torch.bmm, T.bmm)
_register("addmm", "input mat1 mat2 beta alpha", torch.addmm, T.addmm)
_register("einsum", "equation *operands", torch.einsum)
# --- normalisation ------------------------------------------------------------------------
_register("batch_norm", "input running_mean running_var weight bias training momentum eps",
          F.batch_norm)
_register("instance_norm",
          "input running_mean running_var weight bias use_input_stats momentum eps",
          F.instance_norm)
_register("layer_norm", "input normalized_shape weight bias eps", F.layer_norm)
_register("group_norm", "input num_groups weight bias eps", F.group_norm)
_register("local_response_norm", "input size alpha beta k", F.local_response_norm)
# --- activations --------------------------------------------------------------------------
_register("relu", "input inplace", F.relu, torch.relu, T.relu)
_register("relu", "input", F.relu_, torch.relu_, T.relu_, inplace=True)
_register("relu6", "input inplace", F.relu6)
_register("hardtanh", "input min_val max_val inplace", F.hardtanh)
_register("leaky_relu", "input negative_slope inplace", F.leaky_relu)
_register("elu", "input alpha inplace", F.elu)
_register("gelu", "input approximate", F.gelu)
_register("silu", "input inplace", F.silu)
_register("mish", "input inplace", F.mish)
_register("hardswish", "input inplace", F.hardswish)
_register("hardsigmoid", "input inplace", F.hardsigmoid)
_register("sigmoid", "input", torch.sigmoid, T.sigmoid, F.sigmoid)
_register("sigmoid", "input", torch.sigmoid_, T.sigmoid_, inplace=True)
_register("tanh", "input", torch.tanh, T.tanh, F.tanh)
_register("softplus", "input beta threshold", F.softplus)
_register("softmax", "input dim _stacklevel dtype", F.softmax, F.log_softmax)
_register("softmax", "input dim dtype", torch.softmax, T.softmax, torch.log_softmax,
          T.log_softmax)
_register("dropout", "input p training inplace", F.dropout, F.dropout1d, F.dropout2d,
          F.dropout3d, F.alpha_dropout)
# --- pooling ------------------------------------------------------------------------------
_register_nd("max_pool", "input kernel_size stride padding dilation ceil_mode return_indices",
             (F.max_pool1d, F.max_pool2d, F.max_pool3d))
_register_nd("avg_pool", "input kernel_size stride padding ceil_mode count_include_pad "
             "divisor_override", (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d))
_register_nd("adaptive_avg_pool", "input output_size",
             (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d))
_register_nd("adaptive_max_pool", "input output_size return_indices",
             (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d))
_register("interpolate", "input size scale_factor mode align_corners recompute_scale_factor "
          "antialias", F.interpolate)
_register("pad", "input pad mode value", F.pad)
# --- elementwise arithmetic -----------------------------------------------------------------
_register("add", "input other alpha", torch.add, T.add, T.__add__, T.__radd__)
_register("add", "input other alpha", T.add_, T.__iadd__, inplace=True)
_register("sub", "input other alpha", torch.sub, T.sub, T.__sub__, T.__rsub__)
_register("sub", "input other alpha", T.sub_, T.__isub__, inplace=True)
_register("mul", "input other", torch.mul, T.mul, T.__mul__, T.__rmul__)
_register("mul", "input other", T.mul_, T.__imul__, inplace=True)
_register("div", "input other rounding_mode", torch.div, T.div, T.__truediv__)
_register("div", "input other rounding_mode", T.div_, T.__itruediv__, inplace=True)
_register("mean", "input dim keepdim dtype", torch.mean, T.mean)
_register("sum", "input dim keepdim dtype", torch.sum, T.sum)
# --- joining, splitting, reshaping (data movement) --------------------------------------------
_register("cat", "tensors dim", torch.cat, torch.concat, torch.concatenate)
_register("stack", "tensors dim", torch.stack)
_register("chunk", "input chunks dim", torch.chunk, T.chunk)
_register("split", "input split_size_or_sections dim", torch.split, T.split)
_register("view", "input *shape", T.view, T.reshape)
_register("view", "input shape", torch.reshape)
_register("flatten", "input start_dim end_dim", torch.flatten, T.flatten)
_register("permute", "input *dims", T.permute)
_register("permute", "input dims", torch.permute)
_register("transpose", "input dim0 dim1", torch.transpose, T.transpose)
_register("transpose", "input", T.t, torch.t)
_register("squeeze", "input dim", torch.squeeze, T.squeeze)
_register("unsqueeze", "input dim", torch.unsqueeze, T.unsqueeze)
_register("getitem", "input index", T.__getitem__)
_register("identity", "input *rest", T.contiguous, T.clone, torch.clone, T.detach,
          T.to, T.float, T.type_as, transparent=True)


def registrar(table: dict[str, Any], what: str) -> Callable[..., Any]:
    """A decorator factory filling ``table`` by op name; registering an op twice raises."""

    def register(*ops: str) -> Callable[[Any], Any]:
        def decorate(function: Any) -> Any:
            for op in ops:
                if op in table:
                    raise ValueError(f"two {what}s for {op!r}")
                table[op] = function
            return function

        return decorate

    return register


def bind(spec: OpSpec, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Name the arguments of one call, following ``spec.argnames``, with every tensor
    replaced by its shape (also inside lists): shape rules and cost formulas need no more."""
    bound: dict[str, Any] = {}
    names = spec.argnames
    for i, value in enumerate(args):
        if i >= len(names):
            break
        name = names[i]
        if name[0] == "*":
            bound[name[1:]] = tuple(shape_of(v) for v in args[i:])
            break
        bound[name] = shape_of(value)
    for name, value in kwargs.items():
        bound[name] = shape_of(value)
    if spec.spatial_dims:
        bound["spatial_dims"] = spec.spatial_dims
    return bound


def shape_of(value: Any) -> Any:
    """A tensor's shape as a tuple (also for lists of tensors); other values unchanged."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], torch.Tensor):
        return [tuple(v.shape) for v in value]
    return value
