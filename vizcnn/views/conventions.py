"""What the popular FLOP counters would report for a trace, and why they differ from vizcnn.

Each counter (torchinfo, thop, ptflops with its ``pytorch`` and ``aten`` backends, fvcore,
``torch.utils.flop_counter.FlopCounterMode`` and calflops) is emulated by applying that tool's
counting rules (read from its source and checked against its measured output, see
``shared/reference/PEER_COUNTING.md``) to the traced graph: nothing is run. Every
difference to vizcnn's MACs is booked to a :class:`Reason` and the op kind of the node it comes
from, so ``vizcnn MACs + Σ differences == the tool's figure`` for every tool.

What the graph cannot tell, and what is assumed (stated once, here and in the README):

* elementwise ``add``/``mul`` are written as operators (``x + y``), which ptflops and calflops
  do not patch (their ``torch.add``/``torch.mul`` hooks would count 1 per element);
* ``matmul`` is ``torch.matmul`` (calflops does not see ``@``), softmax is ``F.softmax``,
  ``interpolate`` is called with ``scale_factor`` (calflops counts ``prod(size)`` otherwise);
* a module's parameters are named ``weight``/``bias`` (torchinfo counts no others);
* a leaf module is a torch class when its class name is one of torch.nn's; a user class of the
  same name would be taken for it. The interpolation mode is read back from the node's FLOPs;
* the graph is counted in the mode it was traced in (ptflops itself switches the model to
  eval first, so for a model traced in train mode its figure is the eval graph's).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Sequence

from vizcnn.graph import Graph, Node, OpKind, Shape


class Tool(str, Enum):
    """The counters emulated, named as in ``peer_counts.csv``."""

    TORCHINFO = "torchinfo"
    THOP = "thop"
    PTFLOPS_PYTORCH = "ptflops-pytorch"
    PTFLOPS_ATEN = "ptflops-aten"
    FVCORE = "fvcore"
    FLOPCOUNTER = "flopcounter"
    CALFLOPS_MACS = "calflops-macs"
    CALFLOPS_FLOPS = "calflops-flops"


class Reason(str, Enum):
    """Why a tool's figure differs from vizcnn's MACs (conv + linear + matmul multiply-adds)."""

    BIAS = "bias"                            # conv/linear bias counted, 1 per output element
    NORM = "norm"                            # BatchNorm and other norms counted
    ACTIVATION = "activation"                # ReLU & co. counted
    POOLING = "pooling"                      # max/avg/adaptive pooling counted
    OTHER_ELEMENTWISE = "other_elementwise"  # softmax, upsampling, addmm's add
    FUNCTIONAL_MISSED = "functional_missed"  # a functional op the tool's hooks do not see
    LINEAR_ND = "linear_nd"                  # torchinfo: Linear on an N-D input = params × batch
    DOUBLE_COUNT = "double_count"            # ptflops: module hook + patched F.* both count
    SUBCLASS_MISSED = "subclass_missed"      # rule chosen by exact class: a subclass counts 0
    TWO_PER_MAC = "two_per_mac"              # the tool reports FLOPs = 2 × MACs
    PER_SAMPLE = "per_sample"                # ptflops divides its module hooks by the batch
    FORMULA = "formula"                      # another formula for the op (thop's ConvTranspose)


REASON_TEXT: dict[Reason, str] = {
    Reason.BIAS: "conv/linear bias added (1 per output element)",
    Reason.NORM: "BatchNorm / other norms counted",
    Reason.ACTIVATION: "activations counted",
    Reason.POOLING: "pooling counted",
    Reason.OTHER_ELEMENTWISE: "softmax / upsampling / addmm add counted",
    Reason.FUNCTIONAL_MISSED: "functional op not seen by the tool's hooks",
    Reason.LINEAR_ND: "Linear on an N-D input counted as params × batch",
    Reason.DOUBLE_COUNT: "counted twice (module hook + patched functional)",
    Reason.SUBCLASS_MISSED: "layer of a subclass / unknown class not counted",
    Reason.TWO_PER_MAC: "FLOPs: 2 per multiply-accumulate",
    Reason.PER_SAMPLE: "module-hook counts divided by the batch size (functionals not)",
    Reason.FORMULA: "another formula for the op (thop: the conv formula on a transposed conv)",
}

TOOL_RULES: dict[Tool, str] = {
    Tool.TORCHINFO: "leaf modules only: Conv* = params × batch × output positions (bias "
                    "included), other modules = params × batch; functional ops 0",
    Tool.THOP: "exact nn classes only: conv (no bias), Linear, BN 4/elt, avg-pool, adaptive "
               "avg-pool (kernel+1)/out elt, softmax; ReLU, max-pool, functional ops 0",
    Tool.PTFLOPS_PYTORCH: "exact nn classes (conv/linear with bias, BN 2/elt, ReLU 1/elt, "
                          "pools 1/input elt, upsample) + patched F.relu/pools/softmax/"
                          "interpolate and matmul; ReLU and pools counted twice; F.conv2d 0",
    Tool.PTFLOPS_ATEN: "aten mm/bmm/addmm/convolution, bias included; nothing elementwise",
    Tool.FVCORE: "JIT ops: conv, linear, matmul (no bias), BN 2/elt, other norms 5/elt, "
                 "adaptive avg-pool 2-D 1/input elt, upsample nearest 1 / bilinear 4 per "
                 "output elt",
    Tool.FLOPCOUNTER: "2 × MACs of conv / mm / addmm / bmm; nothing elementwise",
    Tool.CALFLOPS_MACS: "MACs of F.conv*, F.linear, torch.matmul, addmm",
    Tool.CALFLOPS_FLOPS: "2 × those MACs + conv bias, BN 2/elt, F.relu & co. 1/elt, pools and "
                         "softmax 1/input elt, interpolate 1/input elt",
}

TOOL_METRIC: dict[Tool, str] = {t: "MACs" for t in Tool}
TOOL_METRIC[Tool.FLOPCOUNTER] = "FLOPs"
TOOL_METRIC[Tool.CALFLOPS_FLOPS] = "FLOPs"

# thop prints 6 significant digits; every other tool prints an exact integer.
TOOL_SIGNIFICANT_DIGITS: dict[Tool, int | None] = {t: None for t in Tool}
TOOL_SIGNIFICANT_DIGITS[Tool.THOP] = 6

_WEIGHTED = {"conv", "conv_transpose", "linear", "matmul", "addmm", "einsum"}
_CONVS = {"conv", "conv_transpose"}
_NORMS = {"batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"}
_POOLS = {"max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool"}

# torch.nn class names (a module's ``module_type``) the tools know by exact class.
_TORCH_CONV = {"Conv1d", "Conv2d", "Conv3d"}
_TORCH_CONV_T = {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}
_TORCH_BN = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d"}
_TORCH_IN = {"InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"}
_TORCH_MAXPOOL = {f"MaxPool{d}d" for d in (1, 2, 3)} | {f"AdaptiveMaxPool{d}d" for d in (1, 2, 3)}
_TORCH_AVGPOOL = {f"AvgPool{d}d" for d in (1, 2, 3)}
_TORCH_ADAPTIVE_AVG = {f"AdaptiveAvgPool{d}d" for d in (1, 2, 3)}
_TORCH_UPSAMPLE = {"Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"}
TORCH_MODULES = (_TORCH_CONV | _TORCH_CONV_T | _TORCH_BN | _TORCH_IN | _TORCH_MAXPOOL
                 | _TORCH_AVGPOOL | _TORCH_ADAPTIVE_AVG | _TORCH_UPSAMPLE | {
                     "Linear", "LayerNorm", "GroupNorm", "LocalResponseNorm", "ReLU", "ReLU6",
                     "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Mish", "Hardswish",
                     "Hardsigmoid", "Hardtanh", "Sigmoid", "Tanh", "Softplus", "Softmax",
                     "LogSoftmax", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                     "AlphaDropout", "Identity", "Flatten", "Unflatten", "ZeroPad2d",
                     "ConstantPad2d", "ReflectionPad2d", "ChannelShuffle", "PixelShuffle"})

# The F.* function each torch module's forward calls (what a patched functional sees).
_FORWARD_CALLS = {
    **{m: "relu" for m in ("ReLU",)}, "ReLU6": "hardtanh", "Hardtanh": "hardtanh",
    "LeakyReLU": "leaky_relu", "ELU": "elu", "GELU": "gelu", "SiLU": "silu", "PReLU": "prelu",
    **{m: "max_pool" for m in _TORCH_MAXPOOL if not m.startswith("Adaptive")},
    **{m: "adaptive_max_pool" for m in _TORCH_MAXPOOL if m.startswith("Adaptive")},
    **{m: "avg_pool" for m in _TORCH_AVGPOOL},
    **{m: "adaptive_avg_pool" for m in _TORCH_ADAPTIVE_AVG},
    "Softmax": "softmax", "Upsample": "interpolate", "UpsamplingNearest2d": "interpolate",
    "UpsamplingBilinear2d": "interpolate", **{m: "batch_norm" for m in _TORCH_BN},
    "LayerNorm": "layer_norm", "GroupNorm": "group_norm", **{m: "instance_norm" for m in _TORCH_IN},
    **{m: "conv" for m in _TORCH_CONV}, **{m: "conv_transpose" for m in _TORCH_CONV_T},
    "Linear": "linear",
}


@dataclass(frozen=True)
class Difference:
    """One line of a reconciliation: ``amount`` added (or, negative, missed) by ``reason`` on
    nodes of ``kind``; ``nodes`` says on how many."""

    reason: Reason
    kind: str
    amount: int
    nodes: int


@dataclass(frozen=True)
class ToolCount:
    """What one tool would report for the trace, and the road from vizcnn's MACs to it."""

    tool: Tool
    metric: str                 # "MACs" or "FLOPs", as the tool reports it
    value: int
    params: int
    differences: tuple[Difference, ...]
    rules: str
    # (node id, the tool's count) where not 0; for ptflops before its division by the batch
    per_node: tuple[tuple[str, int], ...] = ()

    @property
    def significant_digits(self) -> int | None:
        return TOOL_SIGNIFICANT_DIGITS[self.tool]

    def by_reason(self) -> dict[Reason, int]:
        out: dict[Reason, int] = defaultdict(int)
        for d in self.differences:
            out[d.reason] += d.amount
        return dict(out)


@dataclass(frozen=True)
class FigureMatch:
    """A published figure and which conventions reproduce it (within its printed rounding)."""

    figure: int
    source: str
    convention: str
    tolerance: int
    matches: tuple[str, ...]          # convention names whose MAC value is within tolerance
    nearest: str
    nearest_value: int

    @property
    def relative_gap(self) -> float:
        return (self.nearest_value - self.figure) / self.figure if self.figure else 0.0


@dataclass(frozen=True)
class Reconciliation:
    """All tools on one trace."""

    model: str
    input_shape: Shape
    macs: int
    flops: int
    params: int
    tools: tuple[ToolCount, ...]
    figures: tuple[FigureMatch, ...] = field(default=())

    def tool(self, tool: Tool | str) -> ToolCount:
        tool = Tool(tool)
        return next(t for t in self.tools if t.tool is tool)


# --- node facts the rules need ------------------------------------------------------------------
def _numel(shape: Shape) -> int:
    return math.prod(shape)


def _in(node: Node) -> int:
    return _numel(node.input_shapes[0]) if node.input_shapes else 0


def _out(node: Node) -> int:
    return sum(_numel(s) for s in node.output_shapes)


def _batch(node: Node) -> int:
    shape = node.output_shapes[0] if node.output_shapes else ()
    return shape[0] if shape else 1


def _has_bias(node: Node) -> bool:
    return bool(node.attrs.get("bias", False))


def _bias_elements(node: Node) -> int:
    return _out(node) if _has_bias(node) and node.op in ("conv", "conv_transpose", "linear") else 0


def _interpolate_mode(node: Node) -> str:
    """The interpolation mode read back from vizcnn's own FLOPs (see costs.interpolate_cost):
    0 per output element is nearest, 2·2^d linear, 2·4^d bicubic."""
    out = _out(node)
    if not out or not node.flops:
        return "nearest"
    per = node.flops // out
    spatial = max(1, len(node.output_shapes[0]) - 2)
    if per == 2 * 4 ** spatial:
        return "bicubic"
    return {1: "linear", 2: "bilinear", 3: "trilinear"}.get(spatial, "linear")


def _category(node: Node) -> Reason:
    if node.op in _NORMS or node.kind == OpKind.NORM.value:
        return Reason.NORM
    if node.kind == OpKind.ACTIVATION.value:
        return Reason.ACTIVATION
    if node.op in _POOLS or node.kind == OpKind.POOL.value:
        return Reason.POOLING
    return Reason.OTHER_ELEMENTWISE


def _is_torch_module(node: Node) -> bool:
    return node.module_type in TORCH_MODULES


def _is_functional(node: Node) -> bool:
    return node.module_type == ""


class _Ctx:
    """Per-trace facts: a module's own parameter count for every call of it."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def module_params(self, node: Node) -> int:
        info = self.graph.modules.get(node.path)
        return info.params if info is not None else node.params

    def affine(self, node: Node) -> bool:
        return self.module_params(node) > 0 if not _is_functional(node) else True


Delta = list[tuple[Reason, int]]   # (reason, amount) relative to node.macs
Rule = Callable[[Node, _Ctx], Delta]


def _missed(node: Node, reason: Reason) -> Delta:
    return [(reason, -node.macs)] if node.macs else []


# --- the tools --------------------------------------------------------------------------------
def _torchinfo(node: Node, ctx: _Ctx) -> Delta:
    """LayerInfo.calculate_macs on leaf modules: params × batch (× output positions if the
    class name contains "Conv"); summary totals only leaf layers, so functional ops are 0."""
    if _is_functional(node):
        return _missed(node, Reason.FUNCTIONAL_MISSED)
    params = ctx.module_params(node)
    shape = node.output_shapes[0] if node.output_shapes else (1,)
    if "Conv" in node.module_type:
        count = params * _numel(shape[:1] + shape[2:])
    else:
        count = shape[0] * params
    if node.op in _CONVS and "Conv" in node.module_type:
        return [(Reason.BIAS, count - node.macs)] if count != node.macs else []
    if node.op == "linear":
        if len(node.input_shapes[0]) > 2:
            return [(Reason.LINEAR_ND, count - node.macs)]
        return [(Reason.BIAS, count - node.macs)] if count != node.macs else []
    if node.macs:   # a MAC-bearing leaf whose class the "Conv" name rule misses
        return [(Reason.SUBCLASS_MISSED, count - node.macs)]
    return [(_category(node), count)] if count else []


def _thop(node: Node, ctx: _Ctx) -> Delta:
    """thop's register_hooks: rules by exact class; unregistered classes and functional ops 0."""
    mt = node.module_type
    if _is_functional(node):
        return _missed(node, Reason.FUNCTIONAL_MISSED)
    if mt not in TORCH_MODULES:
        return _missed(node, Reason.SUBCLASS_MISSED)
    if mt in _TORCH_CONV:
        return []       # output elements × C_in/groups × kernel area, no bias: vizcnn MACs
    if mt in _TORCH_CONV_T:   # the same formula, which for a transposed conv is not its MACs
        inp = node.input_shapes[0]
        groups = node.attrs.get("groups", 1)
        kernel = math.prod(node.attrs.get("kernel_size", (1,)))
        return [(Reason.FORMULA, _out(node) * (inp[1] // groups) * kernel - node.macs)]
    if mt == "Linear":
        return []       # in_features × output elements, no bias
    if mt in _TORCH_BN | _TORCH_IN | {"LayerNorm"}:
        return [(Reason.NORM, (4 if ctx.affine(node) else 2) * _in(node))]
    if mt in _TORCH_AVGPOOL:
        return [(Reason.POOLING, _out(node))]
    if mt in _TORCH_ADAPTIVE_AVG:
        inp, out = node.input_shapes[0], node.output_shapes[0]
        kernel = math.prod(i / o for i, o in zip(inp[2:], out[2:]))
        return [(Reason.POOLING, int((kernel + 1) * _out(node)))]
    if mt == "Softmax":
        dim = node.attrs.get("dim", -1)
        features = node.input_shapes[0][dim]
        rows = _in(node) // features
        return [(Reason.OTHER_ELEMENTWISE, rows * (3 * features - 1))]
    if mt == "PReLU":
        return [(Reason.ACTIVATION, _in(node))]
    if mt in _TORCH_UPSAMPLE:
        mode = _interpolate_mode(node)
        factor = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259}.get(mode, 0)
        return [(Reason.OTHER_ELEMENTWISE, factor * _out(node))]
    return _missed(node, Reason.SUBCLASS_MISSED)


_PTFLOPS_PATCHED = {"relu", "prelu", "elu", "relu6", "gelu", "silu", "softmax", "interpolate",
                    "matmul", "addmm"} | _POOLS


def _ptflops_functional(op: str, node: Node) -> int | None:
    """What ptflops' patched ``F.*`` / tensor ops add for one call (None: not patched)."""
    if op not in _PTFLOPS_PATCHED:
        return None
    if op == "interpolate":
        return _out(node)
    if op == "matmul":
        return node.macs
    if op == "addmm":
        return node.macs + _out(node)
    return _in(node)


def _ptflops_module(node: Node, ctx: _Ctx) -> tuple[int, Reason] | None:
    """ptflops' MODULES_MAPPING hook of an exact torch class (None: no hook)."""
    mt = node.module_type
    if mt in _TORCH_CONV | _TORCH_CONV_T:
        return node.macs + _bias_elements(node), Reason.BIAS
    if mt == "Linear":
        return node.macs + _bias_elements(node), Reason.BIAS
    if mt in {"ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU"}:
        return _out(node), Reason.ACTIVATION
    if mt in _TORCH_MAXPOOL | _TORCH_AVGPOOL | _TORCH_ADAPTIVE_AVG:
        return _in(node), Reason.POOLING
    if mt in _TORCH_BN | _TORCH_IN | {"GroupNorm", "LayerNorm"}:
        # ×2 only when the module has an ``affine`` attribute set: LayerNorm's is named
        # ``elementwise_affine``, so ptflops counts it 1 per element
        affine = ctx.affine(node) and mt != "LayerNorm"
        return (2 if affine else 1) * _in(node), Reason.NORM
    if mt == "Upsample":
        return _out(node) // _batch(node), Reason.OTHER_ELEMENTWISE
    return None


def _ptflops_pytorch(node: Node, ctx: _Ctx) -> Delta:
    """Module hooks by exact class plus the patched functionals; a hooked module whose
    forward calls a patched ``F.*`` is counted by both."""
    if _is_functional(node):
        extra = _ptflops_functional(node.op, node)
        if extra is None:
            return _missed(node, Reason.FUNCTIONAL_MISSED)
        return _booked(node, extra)
    hooked = _ptflops_module(node, ctx) if _is_torch_module(node) else None
    called = _FORWARD_CALLS.get(node.module_type, node.op)
    functional = _ptflops_functional(called, node)
    if hooked is None:
        if functional is None:
            return _missed(node, Reason.SUBCLASS_MISSED)
        return _booked(node, functional)
    count, reason = hooked
    delta: Delta = []
    if count != node.macs:
        delta.append((reason if node.macs else _category(node), count - node.macs))
    if functional:
        delta.append((Reason.DOUBLE_COUNT, functional))
    return delta


def _booked(node: Node, count: int) -> Delta:
    """``count`` for a node, booked against its MACs: the excess is the node's category."""
    if count == node.macs:
        return []
    if node.macs:
        return [(Reason.OTHER_ELEMENTWISE if node.op == "addmm" else Reason.BIAS,
                 count - node.macs)]
    return [(_category(node), count)]


def _ptflops_aten(node: Node, ctx: _Ctx) -> Delta:
    """aten.mm / bmm / addmm / convolution under a dispatch mode; bias of conv and linear
    (through addmm) counted, everything elementwise 0."""
    if node.op in ("conv", "conv_transpose", "linear"):
        bias = _bias_elements(node)
        return [(Reason.BIAS, bias)] if bias else []
    if node.op == "addmm":
        return [(Reason.OTHER_ELEMENTWISE, _out(node))]
    return []


def _ptflops_hooked_total(graph: Graph) -> int:
    """The sum of ptflops' module hooks, which ptflops divides by its batch counter."""
    ctx = _Ctx(graph)
    return sum(hooked[0] for node in graph.nodes if _is_torch_module(node)
               for hooked in [_ptflops_module(node, ctx)] if hooked is not None)


def _norm_estimate(op: str, node: Node, ctx: _Ctx) -> Delta:
    """fvcore's and calflops' shared norm estimate, per input element: BatchNorm at inference
    2 (1 without affine), in training 5 (4); layer/group/instance norm 5 (4); LRN none."""
    if op == "local_response_norm":
        return []
    affine = ctx.affine(node)
    if op == "batch_norm" and not ctx.graph.training:
        return [(Reason.NORM, (2 if affine else 1) * _in(node))]
    return [(Reason.NORM, (5 if affine else 4) * _in(node))]


def _fvcore(node: Node, ctx: _Ctx) -> Delta:
    """fvcore's default JIT handles (conv, linear, matmul, einsum without bias; norms;
    adaptive avg-pool 2-D; nearest/bilinear upsampling); everything else unsupported."""
    op = node.op
    if op in _WEIGHTED:
        return []
    if op in _NORMS:
        return _norm_estimate(op, node, ctx)
    if op == "adaptive_avg_pool" and len(node.input_shapes[0]) == 4:
        return [(Reason.POOLING, _in(node))]
    if op == "interpolate" and len(node.output_shapes[0]) == 4:
        factor = {"nearest": 1, "bilinear": 4}.get(_interpolate_mode(node), 0)
        return [(Reason.OTHER_ELEMENTWISE, factor * _out(node))] if factor else []
    return []


def _flopcounter(node: Node, ctx: _Ctx) -> Delta:
    """FlopCounterMode: 2 × MACs of convolution and the mm family; nothing else."""
    return [(Reason.TWO_PER_MAC, node.macs)] if node.op in _WEIGHTED and node.macs else []


_CALFLOPS_ACTIVATIONS = {"relu", "prelu", "elu", "leaky_relu", "relu6", "silu", "gelu"}


def _calflops_called(node: Node) -> str:
    return node.op if _is_functional(node) or not _is_torch_module(node) else _FORWARD_CALLS.get(
        node.module_type, node.op)


def _calflops_macs(node: Node, ctx: _Ctx) -> Delta:
    """calflops' patched F.conv*, F.linear, torch.matmul and torch.addmm report MACs."""
    if node.op == "einsum":
        return _missed(node, Reason.FUNCTIONAL_MISSED)
    return []


def _calflops_flops(node: Node, ctx: _Ctx) -> Delta:
    """calflops' FLOPs: 2 per MAC, conv bias, and 1 per input element for activations,
    pools, softmax and interpolate (scale-factor form); BN 2 (training 5) per element."""
    op = _calflops_called(node)
    if node.op == "einsum":
        return _missed(node, Reason.FUNCTIONAL_MISSED)
    if node.op in _WEIGHTED:
        delta: Delta = [(Reason.TWO_PER_MAC, node.macs)] if node.macs else []
        bias = _bias_elements(node) if node.op in _CONVS else 0
        if node.op == "addmm":
            bias = _out(node)
        return delta + ([(Reason.BIAS if node.op in _CONVS else Reason.OTHER_ELEMENTWISE,
                          bias)] if bias else [])
    if op in _CALFLOPS_ACTIVATIONS or op in _POOLS or op in ("softmax", "interpolate"):
        return [(_category(node), _in(node))]
    if op in _NORMS:
        return _norm_estimate(op, node, ctx)
    return []


_RULES: dict[Tool, Rule] = {
    Tool.TORCHINFO: _torchinfo, Tool.THOP: _thop, Tool.PTFLOPS_PYTORCH: _ptflops_pytorch,
    Tool.PTFLOPS_ATEN: _ptflops_aten, Tool.FVCORE: _fvcore, Tool.FLOPCOUNTER: _flopcounter,
    Tool.CALFLOPS_MACS: _calflops_macs, Tool.CALFLOPS_FLOPS: _calflops_flops,
}


def _thop_params(graph: Graph) -> int:
    """thop sums ``parameters()`` of the modules it has a rule for, once per module that ran."""
    return sum(n.params for n in graph.nodes if _thop_registered(n.module_type))


def _thop_registered(module_type: str) -> bool:
    return module_type in (_TORCH_CONV | _TORCH_CONV_T | _TORCH_BN | _TORCH_IN | _TORCH_MAXPOOL
                           | _TORCH_AVGPOOL | _TORCH_ADAPTIVE_AVG | _TORCH_UPSAMPLE | {
                               "LayerNorm", "PReLU", "Softmax", "ReLU", "ReLU6", "LeakyReLU",
                               "Linear", "Dropout", "ZeroPad2d", "PixelShuffle"})


def _params(tool: Tool, graph: Graph) -> int:
    if tool is Tool.THOP:
        return _thop_params(graph)
    if tool in (Tool.PTFLOPS_PYTORCH, Tool.PTFLOPS_ATEN):
        return graph.trainable_params   # get_model_parameters_number: requires_grad only
    return graph.params


def count(graph: Graph, tool: Tool | str) -> ToolCount:
    """What ``tool`` would report for ``graph``, with the differences to vizcnn's MACs."""
    tool = Tool(tool)
    rule = _RULES[tool]
    ctx = _Ctx(graph)
    totals: dict[tuple[Reason, str], list[int]] = defaultdict(lambda: [0, 0])
    per_node: list[tuple[str, int]] = []
    for node in graph.nodes:
        if node.op in ("input", "output"):
            continue
        delta = rule(node, ctx)
        for reason, amount in delta:
            if amount:
                cell = totals[(reason, node.kind)]
                cell[0] += amount
                cell[1] += 1
        value = node.macs + sum(a for _, a in delta)
        if value:
            per_node.append((node.id, value))
    batch = graph.input_shapes[0][0] if graph.input_shapes and graph.input_shapes[0] else 1
    if tool is Tool.PTFLOPS_PYTORCH and batch > 1:
        hooked = _ptflops_hooked_total(graph)
        totals[(Reason.PER_SAMPLE, "all")] = [int(hooked / batch) - hooked, 1]
    differences = tuple(Difference(r, k, a, n) for (r, k), (a, n) in sorted(
        totals.items(), key=lambda item: (list(Reason).index(item[0][0]), item[0][1])) if a)
    value = graph.macs + sum(d.amount for d in differences)
    return ToolCount(tool, TOOL_METRIC[tool], value, _params(tool, graph), differences,
                     TOOL_RULES[tool], tuple(per_node))


def round_significant(value: int, digits: int | None) -> int:
    """``value`` as a tool printing ``digits`` significant digits shows it (None: exact)."""
    if digits is None or value == 0:
        return value
    return int(float(f"{value:.{digits - 1}e}"))


# --- published figures ------------------------------------------------------------------------
def _tolerance(figure: int) -> int:
    """One unit of the last printed digit: 4 089 000 000 was printed as 4.089 G, so within
    1 M (papers truncate as often as they round: ResNet-50 v1's 3.858 G is printed 3.8 G)."""
    unit = 1
    while figure and figure % (unit * 10) == 0:
        unit *= 10
    return unit if unit > 1 else 0


def mac_conventions(rec_tools: Iterable[ToolCount], macs: int) -> dict[str, int]:
    """Every convention as a MAC count: FLOPs-reporting tools halved."""
    values = {"vizcnn MACs": macs}
    for t in rec_tools:
        values[t.tool.value + (" / 2" if t.metric == "FLOPs" else "")] = (
            t.value // 2 if t.metric == "FLOPs" else t.value)
    return values


def match_figures(values: dict[str, int], published: Sequence[Any],
                  input_side: int | None) -> tuple[FigureMatch, ...]:
    """For each published MAC figure at the trace's input side, the conventions that
    reproduce it within its rounding, and the nearest one."""
    out = []
    for fig in published:
        macs = getattr(fig, "macs", None)
        if not macs or (input_side is not None and getattr(fig, "input_size", input_side)
                        != input_side):
            continue
        tol = _tolerance(macs)
        matches = tuple(name for name, v in values.items() if abs(v - macs) < max(tol, 1))
        nearest = min(values, key=lambda name: abs(values[name] - macs))
        out.append(FigureMatch(macs, fig.source, fig.convention, tol, matches, nearest,
                               values[nearest]))
    return tuple(out)


def reconcile(graph: Graph, published: Sequence[Any] = ()) -> Reconciliation:
    """Every tool on ``graph``; ``published`` figures (objects with ``macs``, ``source``,
    ``convention``, ``input_size``, e.g. a zoo card's) are matched to the conventions."""
    tools = tuple(count(graph, t) for t in Tool)
    shape = graph.input_shapes[0] if graph.input_shapes else ()
    side = shape[-1] if len(shape) >= 3 and (shape[0] == 1) else None
    figures = match_figures(mac_conventions(tools, graph.macs), published, side) if side else ()
    return Reconciliation(graph.model, shape, graph.macs, graph.flops, graph.params, tools,
                          figures)


def reconciliation_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """One row per tool: its figure, metric, params, gap to vizcnn MACs and each reason."""
    rows = []
    for t in rec.tools:
        by_reason = t.by_reason()
        row: dict[str, Any] = {"tool": t.tool.value, "metric": t.metric, "value": t.value,
                               "params": t.params, "vs_vizcnn_macs": t.value - rec.macs}
        row.update({r.value: by_reason.get(r, 0) for r in Reason})
        rows.append(row)
    return rows


def difference_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """One row per (tool, reason, op kind) with the amount and the node count."""
    return [{"tool": t.tool.value, "reason": d.reason.value, "kind": d.kind,
             "amount": d.amount, "nodes": d.nodes}
            for t in rec.tools for d in t.differences]


def figure_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """One row per published MAC figure: who reproduces it, the nearest, then the source."""
    return [{"figure_macs": f.figure, "reproduced_by": ", ".join(f.matches) or "none",
             "nearest": f.nearest, "nearest_value": f.nearest_value,
             "gap_percent": round(100 * f.relative_gap, 2), "source": f.source,
             "convention": f.convention} for f in rec.figures]
