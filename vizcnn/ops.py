"""Every op vizcnn recognises, declared once with all its facts.

One :func:`declare` per op names: the torch callables that are this op (with their positional
argument names), its kind (for colours, legend and cost categories), the attributes a person
wants to see, its shape rule (or :data:`RUN`: execute it on meta), its dtype rule and its cost
formula (or :data:`UNCOUNTED`). Adding an op is one declaration here; the functions it names
live in :mod:`vizcnn.shapes` and :mod:`vizcnn.costs` (reuse one, or add a small one there).
``tests/test_capture_registry.py`` proves every op has every fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

import torch
import torch.nn.functional as F

from vizcnn import costs as C
from vizcnn import shapes as S
from vizcnn.graph import OpKind
from vizcnn.shapes import Dtypes, Shape


class Marker(str, Enum):
    """An explicit 'no such fact' (never a silent default)."""

    RUN = "run on meta"          # no shape rule: the op is executed on the meta device
    UNCOUNTED = "uncounted"      # no cost formula: listed in ``Trace.uncounted``


RUN = Marker.RUN
UNCOUNTED = Marker.UNCOUNTED
KindRule = Callable[[dict[str, Any]], OpKind]
AttrRule = Callable[[dict[str, Any]], dict[str, Any]]
# (kernel, stride, dilation) along the height axis, for the receptive field
WindowRule = Callable[[dict[str, Any], Shape, Shape], "tuple[int, int, int] | None"]


@dataclass(frozen=True)
class Part:
    """One visible step of an op the graph shows in steps (attention: projections, scores,
    output projection), with the call arguments whose parameters it uses."""

    name: str
    kind: OpKind
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpDef:
    """All facts about one op (see the module docstring). ``parts`` and ``part_costs``: an op
    drawn as a chain of steps, each with its share of the cost (they sum to ``cost``)."""

    name: str
    kind: OpKind | KindRule
    attrs: AttrRule
    shape: S.ShapeRule | Marker
    dtypes: Dtypes
    cost: C.CostFormula | Marker
    window: WindowRule | None = None
    transparent: bool = False    # contiguous, detach…: not a node, its output is its input
    parts: tuple[Part, ...] = ()
    part_costs: Callable[[dict[str, Any], tuple[Shape, ...]], dict[str, C.Cost]] | None = None

    def kind_of(self, attrs: dict[str, Any]) -> OpKind:
        return self.kind if isinstance(self.kind, OpKind) else self.kind(attrs)


@dataclass(frozen=True)
class OpSpec:
    """How to read one call of one torch callable: which op, and its positional names
    (a name starting with ``*`` takes the rest). ``inplace`` ops return their first argument."""

    op: OpDef
    argnames: tuple[str, ...]
    inplace: bool = False
    spatial_dims: int = 0
    fixed: int = 0    # how many leading positional arguments have a name of their own

    def __post_init__(self) -> None:
        rest = [i for i, n in enumerate(self.argnames) if n[0] == "*"]
        object.__setattr__(self, "fixed", rest[0] if rest else len(self.argnames))

    @property
    def name(self) -> str:
        return self.op.name


@dataclass(frozen=True)
class Calls:
    """Callables sharing one argument list."""

    argnames: str
    funcs: tuple[Any, ...]
    inplace: bool = False
    spatial_dims: int = 0


def calls(argnames: str, *funcs: Any, inplace: bool = False, spatial_dims: int = 0) -> Calls:
    return Calls(argnames, funcs, inplace, spatial_dims)


OPS: dict[Callable[..., Any], OpSpec] = {}      # torch callable -> how to read its call
OP_DEFS: dict[str, OpDef] = {}                  # op name -> its facts


def declare(name: str, kind: OpKind | KindRule, *, shape: S.ShapeRule | Marker,
            cost: C.CostFormula | Marker, dtypes: Dtypes, forms: list[Calls],
            attrs: AttrRule | None = None, window: WindowRule | None = None,
            transparent: bool = False, parts: tuple[Part, ...] = (),
            part_costs: Callable[..., dict[str, C.Cost]] | None = None) -> OpDef:
    """Register one op with every fact; declaring a name or a callable twice raises (and
    registers nothing)."""
    if name in OP_DEFS:
        raise ValueError(f"op {name!r} is declared twice")
    op = OpDef(name, kind, attrs or no_attrs, shape, dtypes, cost, window, transparent, parts,
               part_costs)
    specs: dict[Callable[..., Any], OpSpec] = {}
    for form in forms:
        spec = OpSpec(op, tuple(form.argnames.split()), form.inplace, form.spatial_dims)
        for func in form.funcs:
            if func is None or func in specs:   # aliases: F.tanh is torch.tanh
                continue
            if func in OPS:
                raise ValueError(f"{func} is declared as {OPS[func].name!r} and {name!r}")
            specs[func] = spec
    OP_DEFS[name] = op
    OPS.update(specs)
    return op


# --- attributes and kinds ------------------------------------------------------------------------
def no_attrs(call: dict[str, Any]) -> dict[str, Any]:
    """No attribute worth showing."""
    return {}


def _spatial(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value) if value is not None else ()
    return value * n if len(value) == 1 else value


def conv_attrs(call: dict[str, Any], transposed: bool = False) -> dict[str, Any]:
    w = call["weight"]
    n = len(w) - 2
    groups = call.get("groups", 1)
    cin, cout = (w[0], w[1] * groups) if transposed else (w[1] * groups, w[0])
    padding = call.get("padding", 0)
    return {
        "in_channels": cin, "out_channels": cout, "kernel_size": tuple(w[2:]),
        "stride": _spatial(call.get("stride", 1), n),
        "padding": padding if isinstance(padding, str) else _spatial(padding, n),
        "dilation": _spatial(call.get("dilation", 1), n), "groups": groups,
        "bias": isinstance(call.get("bias"), tuple),
    }


def conv_kind(attrs: dict[str, Any]) -> OpKind:
    """By groups and kernel: depthwise, grouped, 1×1 pointwise or dense."""
    groups, cin = attrs.get("groups", 1), attrs.get("in_channels", 0)
    if groups > 1 and groups == cin:
        return OpKind.DEPTHWISE
    if groups > 1:
        return OpKind.GROUPED
    kernel = attrs.get("kernel_size", ())
    return OpKind.POINTWISE if all(k == 1 for k in kernel) else OpKind.CONV


def linear_attrs(call: dict[str, Any]) -> dict[str, Any]:
    w = call["weight"]
    return {"in_features": w[-1], "out_features": w[0] if len(w) == 2 else 1,
            "bias": isinstance(call.get("bias"), tuple)}


def bilinear_attrs(call: dict[str, Any]) -> dict[str, Any]:
    w = call["weight"]
    return {"in1_features": w[1], "in2_features": w[2], "out_features": w[0],
            "bias": isinstance(call.get("bias"), tuple)}


def pool_attrs(call: dict[str, Any]) -> dict[str, Any]:
    kernel, n = call["kernel_size"], call["spatial_dims"]
    stride = call.get("stride") or kernel
    attrs = {"kernel_size": _spatial(kernel, n), "stride": _spatial(stride, n),
             "padding": _spatial(call.get("padding", 0), n),
             "ceil_mode": bool(call.get("ceil_mode", False))}
    if "return_indices" in call or "dilation" in call:   # max pooling
        attrs["dilation"] = _spatial(call.get("dilation", 1), n)
    return attrs


def adaptive_attrs(call: dict[str, Any]) -> dict[str, Any]:
    size = call["output_size"]
    return {"output_size": size if isinstance(size, int) or size is None else tuple(size)}


def dim_attrs(call: dict[str, Any]) -> dict[str, Any]:
    return {k: call[k] for k in ("dim", "chunks") if k in call and isinstance(call[k], int)}


def attention_attrs(call: dict[str, Any]) -> dict[str, Any]:
    return {"num_heads": call["num_heads"], "embed_dim": call["embed_dim_to_check"]}


def recurrent_attrs(call: dict[str, Any]) -> dict[str, Any]:
    hx = call["hx"]
    state = hx if isinstance(hx, tuple) and hx and isinstance(hx[0], int) else hx[-1]
    return {"hidden_size": state[-1], "num_layers": call["num_layers"],
            "bidirectional": bool(call["bidirectional"])}


def embedding_attrs(call: dict[str, Any]) -> dict[str, Any]:
    w = call["weight"]
    return {"num_embeddings": w[0], "embedding_dim": w[1]}


def kernel_window(attrs: dict[str, Any], x: Shape, out: Shape) -> tuple[int, int, int] | None:
    return attrs["kernel_size"][0], attrs["stride"][0], attrs.get("dilation", (1,))[0]


def adaptive_window(attrs: dict[str, Any], x: Shape, out: Shape
                    ) -> tuple[int, int, int] | None:
    if len(x) < 3:
        return None
    size_in, size_out = x[-2 if len(x) > 3 else -1], out[-2 if len(out) > 3 else -1]
    return -(-size_in // size_out), max(1, size_in // size_out), 1


T = torch.Tensor
VF = torch._C._VariableFunctions
K = OpKind
ACT = K.ACTIVATION

# --- layers with weights ---------------------------------------------------------------------
declare("conv", conv_kind, attrs=conv_attrs, window=kernel_window, shape=S.conv_shape,
        dtypes=Dtypes.SAME, cost=C.conv_cost,
        forms=[calls("input weight bias stride padding dilation groups",
                     torch.conv1d, torch.conv2d, torch.conv3d)])
declare("conv_transpose", K.CONV_TRANSPOSE, attrs=lambda c: conv_attrs(c, transposed=True),
        shape=S.conv_transpose_shape, dtypes=Dtypes.SAME, cost=C.conv_transpose_cost,
        forms=[calls("input weight bias stride padding output_padding groups dilation",
                     torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d)])
declare("linear", K.LINEAR, attrs=linear_attrs, shape=S.linear_shape, dtypes=Dtypes.SAME,
        cost=C.linear_cost, forms=[calls("input weight bias", F.linear)])
declare("bilinear", K.LINEAR, attrs=bilinear_attrs, shape=S.bilinear_shape,
        dtypes=Dtypes.SAME, cost=C.bilinear_cost,
        forms=[calls("input1 input2 weight bias", F.bilinear, torch.bilinear)])
declare("matmul", K.MATMUL, shape=S.matmul_shape, dtypes=Dtypes.SAME, cost=C.matmul_cost,
        forms=[calls("input other", torch.matmul, T.matmul, T.__matmul__)])
declare("bmm", K.MATMUL, shape=S.bmm_shape, dtypes=Dtypes.SAME, cost=C.matmul_cost,
        forms=[calls("input mat2", torch.mm, T.mm, torch.bmm, T.bmm)])
declare("addmm", K.MATMUL, shape=S.addmm_shape, dtypes=Dtypes.SAME, cost=C.addmm_cost,
        forms=[calls("input mat1 mat2 beta alpha", torch.addmm, T.addmm)])
declare("baddbmm", K.MATMUL, shape=S.baddbmm_shape, dtypes=Dtypes.SAME, cost=C.baddbmm_cost,
        forms=[calls("input batch1 batch2 beta alpha", torch.baddbmm, T.baddbmm)])
declare("einsum", K.MATMUL, shape=RUN, dtypes=Dtypes.ANY, cost=C.einsum_cost,
        forms=[calls("equation *operands", torch.einsum)])
declare("scaled_dot_product_attention", K.MATMUL, shape=S.attention_shape,
        dtypes=Dtypes.SAME, cost=C.attention_cost,
        forms=[calls("query key value attn_mask dropout_p is_causal scale enable_gqa",
                     F.scaled_dot_product_attention)])
declare("multi_head_attention", K.MATMUL, attrs=attention_attrs,
        shape=S.multi_head_attention_shape, dtypes=Dtypes.SAME,
        cost=C.multi_head_attention_cost, part_costs=C.multi_head_attention_parts,
        parts=(Part("in_proj", K.LINEAR, ("in_proj_weight", "in_proj_bias", "q_proj_weight",
                                          "k_proj_weight", "v_proj_weight", "bias_k", "bias_v")),
               Part("attention", K.MATMUL),
               Part("out_proj", K.LINEAR, ("out_proj_weight", "out_proj_bias"))),
        forms=[calls("query key value embed_dim_to_check num_heads in_proj_weight in_proj_bias "
                     "bias_k bias_v add_zero_attn dropout_p out_proj_weight out_proj_bias "
                     "training key_padding_mask need_weights attn_mask "
                     "use_separate_proj_weight q_proj_weight k_proj_weight v_proj_weight "
                     "static_k static_v average_attn_weights is_causal",
                     F.multi_head_attention_forward)])
RECURRENT = frozenset({"lstm", "gru", "rnn_tanh", "rnn_relu"})
_RNN_ARGS = "input hx params has_biases num_layers dropout train bidirectional batch_first"
_PACKED_ARGS = "input batch_sizes hx params has_biases num_layers dropout train bidirectional"
for _name, _cost in (("lstm", C.lstm_cost), ("gru", C.gru_cost), ("rnn_tanh", C.rnn_tanh_cost),
                     ("rnn_relu", C.rnn_relu_cost)):
    # one callable, two call forms (padded, packed): told apart by the second argument
    declare(_name, K.LINEAR, attrs=recurrent_attrs, shape=S.recurrent_shape,
            dtypes=Dtypes.SAME, cost=_cost, forms=[calls(_RNN_ARGS, getattr(VF, _name))])
declare("embedding", K.OTHER, attrs=embedding_attrs, shape=S.embedding_shape,
        dtypes=Dtypes.LOOKUP, cost=C.lookup,
        forms=[calls("input weight padding_idx max_norm norm_type scale_grad_by_freq sparse",
                     F.embedding)])
# --- normalisation ---------------------------------------------------------------------------
declare("batch_norm", K.NORM, shape=S.norm_shape, dtypes=Dtypes.NORM, cost=C.batch_norm_cost,
        forms=[calls("input running_mean running_var weight bias training momentum eps",
                     F.batch_norm)])
declare("instance_norm", K.NORM, shape=S.norm_shape, dtypes=Dtypes.NORM, cost=C.norm_cost,
        forms=[calls("input running_mean running_var weight bias use_input_stats momentum eps",
                     F.instance_norm)])
declare("layer_norm", K.NORM, shape=S.layer_norm_shape, dtypes=Dtypes.NORM, cost=C.norm_cost,
        forms=[calls("input normalized_shape weight bias eps", F.layer_norm)])
declare("group_norm", K.NORM, shape=S.group_norm_shape, dtypes=Dtypes.NORM, cost=C.norm_cost,
        forms=[calls("input num_groups weight bias eps", F.group_norm)])
declare("local_response_norm", K.NORM, shape=S.same_shape, dtypes=Dtypes.FLOAT,
        cost=C.lrn_cost, forms=[calls("input size alpha beta k", F.local_response_norm)])
# --- activations -----------------------------------------------------------------------------
declare("relu", ACT, shape=S.same_shape, dtypes=Dtypes.ANY, cost=C.one_per_element,
        forms=[calls("input inplace", F.relu, torch.relu, T.relu),
               calls("input", F.relu_, torch.relu_, T.relu_, inplace=True)])
# the activations called one way: (name, argument names, dtypes, cost, callable)
for _name, _args, _dtypes, _cost, _func in (
        ("relu6", "input inplace", Dtypes.ANY, C.one_per_element, F.relu6),
        ("hardtanh", "input min_val max_val inplace", Dtypes.ANY, C.one_per_element, F.hardtanh),
        ("leaky_relu", "input negative_slope inplace", Dtypes.FLOAT, C.one_per_element,
         F.leaky_relu),
        ("elu", "input alpha inplace", Dtypes.FLOAT, C.four_per_element, F.elu),
        ("gelu", "input approximate", Dtypes.FLOAT, C.five_per_element, F.gelu),
        ("silu", "input inplace", Dtypes.FLOAT, C.five_per_element, F.silu),
        ("mish", "input inplace", Dtypes.FLOAT, C.five_per_element, F.mish),
        ("hardswish", "input inplace", Dtypes.FLOAT, C.four_per_element, F.hardswish),
        ("hardsigmoid", "input inplace", Dtypes.FLOAT, C.hardsigmoid_cost, F.hardsigmoid),
        ("softplus", "input beta threshold", Dtypes.FLOAT, C.four_per_element, F.softplus)):
    declare(_name, ACT, shape=S.same_shape, dtypes=_dtypes, cost=_cost,
            forms=[calls(_args, _func)])
declare("sigmoid", ACT, shape=S.same_shape, dtypes=Dtypes.TO_FLOAT, cost=C.four_per_element,
        forms=[calls("input", torch.sigmoid, T.sigmoid, F.sigmoid),
               calls("input", torch.sigmoid_, T.sigmoid_, inplace=True)])
declare("tanh", ACT, shape=S.same_shape, dtypes=Dtypes.TO_FLOAT, cost=C.four_per_element,
        forms=[calls("input", torch.tanh, T.tanh, F.tanh)])
declare("softmax", ACT, attrs=dim_attrs, shape=S.same_shape, dtypes=Dtypes.FLOAT,
        cost=C.softmax_cost,
        forms=[calls("input dim _stacklevel dtype", F.softmax, F.log_softmax),
               calls("input dim dtype", torch.softmax, T.softmax, torch.log_softmax,
                     T.log_softmax)])
declare("dropout", K.DROPOUT, shape=S.same_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input p training inplace", F.dropout, F.dropout1d, F.dropout2d,
                     F.dropout3d, F.alpha_dropout)])
# --- pooling and resampling ------------------------------------------------------------------
declare("max_pool", K.POOL, attrs=pool_attrs, window=kernel_window, shape=S.max_pool_shape,
        dtypes=Dtypes.ANY, cost=C.pool_cost,
        forms=[calls("input kernel_size stride padding dilation ceil_mode return_indices", f,
                     spatial_dims=n)
               for n, f in enumerate((F.max_pool1d, F.max_pool2d, F.max_pool3d), start=1)])
declare("avg_pool", K.POOL, attrs=pool_attrs, window=kernel_window, shape=S.avg_pool_shape,
        dtypes=Dtypes.ANY, cost=C.pool_cost,
        forms=[calls("input kernel_size stride padding ceil_mode count_include_pad "
                     "divisor_override", f, spatial_dims=n)
               for n, f in enumerate((F.avg_pool1d, F.avg_pool2d, F.avg_pool3d), start=1)])
declare("adaptive_avg_pool", K.POOL, attrs=adaptive_attrs, window=adaptive_window,
        shape=S.adaptive_pool_shape, dtypes=Dtypes.FLOAT, cost=C.reduce_cost,
        forms=[calls("input output_size", f, spatial_dims=n) for n, f in enumerate(
            (F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d), start=1)])
declare("adaptive_max_pool", K.POOL, attrs=adaptive_attrs, window=adaptive_window,
        shape=RUN, dtypes=Dtypes.ANY, cost=C.reduce_cost,
        forms=[calls("input output_size return_indices", f, spatial_dims=n) for n, f in enumerate(
            (F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d), start=1)])
declare("interpolate", K.OTHER, shape=S.interpolate_shape, dtypes=Dtypes.ANY,
        cost=C.interpolate_cost,
        forms=[calls("input size scale_factor mode align_corners recompute_scale_factor "
                     "antialias", F.interpolate)])
declare("grid_sample", K.OTHER, shape=S.grid_sample_shape, dtypes=Dtypes.SAME,
        cost=C.grid_sample_cost,
        forms=[calls("input grid mode padding_mode align_corners", F.grid_sample)])
declare("pad", K.OTHER, shape=S.pad_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input pad mode value", F.pad)])
# --- elementwise arithmetic and reductions ------------------------------------------------------
declare("add", K.ADD, shape=S.binary_shape, dtypes=Dtypes.PROMOTE, cost=C.arithmetic_cost,
        forms=[calls("input other alpha", torch.add, T.add, T.__add__, T.__radd__),
               calls("input other alpha", T.add_, T.__iadd__, inplace=True)])
declare("sub", K.ADD, shape=S.binary_shape, dtypes=Dtypes.PROMOTE, cost=C.arithmetic_cost,
        forms=[calls("input other alpha", torch.sub, T.sub, T.__sub__, T.__rsub__),
               calls("input other alpha", T.sub_, T.__isub__, inplace=True)])
declare("mul", K.MUL, shape=S.binary_shape, dtypes=Dtypes.PROMOTE, cost=C.arithmetic_cost,
        forms=[calls("input other", torch.mul, T.mul, T.__mul__, T.__rmul__),
               calls("input other", T.mul_, T.__imul__, inplace=True)])
declare("div", K.MUL, shape=S.binary_shape, dtypes=Dtypes.DIVIDE, cost=C.arithmetic_cost,
        forms=[calls("input other rounding_mode", torch.div, T.div, T.__truediv__),
               calls("input other rounding_mode", T.div_, T.__itruediv__, inplace=True)])
declare("compare", K.OTHER, shape=RUN, dtypes=Dtypes.ANY, cost=C.arithmetic_cost,
        forms=[calls("input *rest", torch.eq, torch.ne, torch.gt, torch.lt, torch.ge, torch.le,
                     T.eq, T.ne, T.gt, T.lt, T.ge, T.le, T.__eq__, T.__ne__, T.__gt__, T.__lt__,
                     T.__ge__, T.__le__, torch.maximum, torch.minimum, T.maximum, T.minimum,
                     torch.logical_and, torch.logical_or, torch.logical_not, torch.isnan,
                     torch.isfinite)])
declare("reduce", K.OTHER, shape=RUN, dtypes=Dtypes.ANY, cost=C.reduce_cost,
        forms=[calls("input *rest", torch.amax, torch.amin, T.amax, T.amin, torch.max,
                     torch.min, T.max, T.min, torch.argmax, torch.argmin, T.argmax, T.argmin,
                     torch.topk, T.topk, torch.logsumexp, T.logsumexp, torch.var, T.var,
                     torch.std, T.std, torch.norm, T.norm, F.normalize, torch.prod, T.prod,
                     torch.all, torch.any, T.all, T.any)])
declare("mean", K.POOL, shape=S.reduce_shape, dtypes=Dtypes.FLOAT, cost=C.reduce_cost,
        forms=[calls("input dim keepdim dtype", torch.mean, T.mean)])
declare("sum", K.OTHER, shape=S.reduce_shape, dtypes=Dtypes.ANY, cost=C.reduce_cost,
        forms=[calls("input dim keepdim dtype", torch.sum, T.sum)])
# --- joining, splitting, reshaping (data movement) ----------------------------------------------
declare("cat", K.CONCAT, attrs=dim_attrs, shape=S.cat_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement, forms=[calls("tensors dim", torch.cat, torch.concat,
                                           torch.concatenate)])
declare("stack", K.CONCAT, attrs=dim_attrs, shape=S.stack_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement, forms=[calls("tensors dim", torch.stack)])
declare("chunk", K.SPLIT, attrs=dim_attrs, shape=S.chunk_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement, forms=[calls("input chunks dim", torch.chunk, T.chunk)])
declare("split", K.SPLIT, attrs=dim_attrs, shape=S.split_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement,
        forms=[calls("input split_size_or_sections dim", torch.split, T.split)])
declare("unbind", K.SPLIT, attrs=dim_attrs, shape=S.unbind_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement, forms=[calls("input dim", torch.unbind, T.unbind)])
declare("getitem", K.SPLIT, shape=S.getitem_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input index", T.__getitem__)])
declare("view", K.RESHAPE, shape=S.view_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input *shape", T.view, T.reshape), calls("input shape", torch.reshape)])
declare("flatten", K.RESHAPE, shape=S.flatten_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input start_dim end_dim", torch.flatten, T.flatten)])
declare("permute", K.RESHAPE, shape=S.permute_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input *dims", T.permute), calls("input dims", torch.permute)])
declare("transpose", K.RESHAPE, shape=S.transpose_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement,
        forms=[calls("input dim0 dim1", torch.transpose, T.transpose),
               calls("input", T.t, torch.t)])
declare("squeeze", K.RESHAPE, shape=S.squeeze_shape, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input dim", torch.squeeze, T.squeeze)])
declare("unsqueeze", K.RESHAPE, shape=S.unsqueeze_shape, dtypes=Dtypes.ANY,
        cost=C.data_movement, forms=[calls("input dim", torch.unsqueeze, T.unsqueeze)])
declare("expand", K.RESHAPE, shape=RUN, dtypes=Dtypes.ANY, cost=C.data_movement,
        forms=[calls("input *sizes", T.expand, T.expand_as, T.repeat, T.tile, torch.tile,
                     T.unflatten, torch.unflatten, T.movedim, torch.movedim, T.flip, torch.flip,
                     T.roll, torch.roll, T.narrow, torch.narrow, T.select, torch.select,
                     T.index_select, torch.index_select, T.gather, torch.gather,
                     torch.meshgrid, T.masked_fill, torch.masked_fill, torch.where,
                     F.pixel_shuffle, F.pixel_unshuffle, F.unfold, F.fold,
                     F.channel_shuffle, T.unfold, F.one_hot)])
declare("elementwise", K.OTHER, shape=RUN, dtypes=Dtypes.ANY, cost=C.arithmetic_cost,
        forms=[calls("input *rest", torch.clamp, T.clamp, T.clamp_min, T.clamp_max,
                     torch.pow, T.pow, T.__pow__, torch.exp, T.exp, torch.sqrt, T.sqrt,
                     torch.rsqrt, T.rsqrt, torch.neg, T.neg, T.__neg__, torch.abs, T.abs,
                     torch.log, T.log, torch.cos, torch.sin, T.cos, T.sin, torch.floor,
                     torch.ceil, T.floor, T.ceil, torch.round, T.round)])
declare("identity", K.OTHER, shape=RUN, dtypes=Dtypes.ANY, cost=C.data_movement,
        transparent=True,
        forms=[calls("input *rest", T.contiguous, T.clone, torch.clone, T.detach, T.to, T.float,
                     T.type_as, T.half, T.double, T.long, T.int, T.bool, T.bfloat16, T.type)])
# --- tensors made inside the model (no input from the graph) ------------------------------------
declare("create", K.OTHER, shape=RUN, dtypes=Dtypes.ANY, cost=C.creation,
        forms=[calls("*args", torch.arange, torch.zeros, torch.ones, torch.full, torch.empty,
                     torch.linspace, torch.eye, torch.tensor, torch.as_tensor, torch.rand,
                     torch.randn, torch.randint, torch.zeros_like, torch.ones_like,
                     torch.full_like, torch.empty_like, torch.rand_like, torch.randn_like,
                     T.new_zeros, T.new_ones, T.new_full, T.new_empty, T.new_tensor)])

# Factories: without a device argument they would make CPU tensors in a meta trace.
FACTORIES = frozenset(f for f, spec in OPS.items() if spec.name == "create" and f not in (
    torch.zeros_like, torch.ones_like, torch.full_like, torch.empty_like, torch.rand_like,
    torch.randn_like, T.new_zeros, T.new_ones, T.new_full, T.new_empty, T.new_tensor))


SCALARS = frozenset({int, float, bool, str, type(None)})   # values that hold no tensor


def bind(spec: OpSpec, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Name the arguments of one call, following ``spec.argnames``, with every tensor
    replaced by its shape (also inside lists): shape rules and cost formulas need no more."""
    names, fixed = spec.argnames, spec.fixed
    bound = dict(zip(names[:fixed], map(shape_of, args)))
    if len(args) > fixed and fixed < len(names):
        bound[names[fixed][1:]] = tuple(map(shape_of, args[fixed:]))
    for name, value in kwargs.items():
        bound[name] = shape_of(value)
    if spec.spatial_dims:
        bound["spatial_dims"] = spec.spatial_dims
    if spec.name in RECURRENT and len(args) > 3 and isinstance(args[3], (list, tuple)):
        # the packed form: (data, batch_sizes, hx, params, …)
        bound = {"input": shape_of(args[0]), "batch_sizes": shape_of(args[1]),
                 **dict(zip(_PACKED_ARGS.split()[2:], (shape_of(a) for a in args[2:])))}
    return bound


def shape_of(value: Any) -> Any:
    """A tensor's shape as a tuple (also for lists of tensors); other values unchanged."""
    if type(value) in SCALARS:
        return value
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], torch.Tensor):
        return [tuple(v.shape) for v in value]
    return value
