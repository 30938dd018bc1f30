"""Cost formulas: one small pure function per op kind, registered by canonical op name.

Conventions (stated once, here and in the README):

* **MACs** are the multiply-accumulates of convolutions (any groups, dilation, transposed),
  linear layers, matmul/bmm/addmm and einsum. This is what most CNN papers print as "FLOPs"
  and what torchvision's ``_ops`` reports.
* **FLOPs** are ``2 × MACs`` for those ops plus the elementwise work listed per formula below
  (bias, normalisation, activations, arithmetic, pooling, softmax).
* Data movement (view, reshape, permute, cat, split, slicing, padding, dropout at inference)
  and lookups (embedding) cost 0. Ops with no formula are reported as uncounted, never guessed.

Each formula receives the bound call (tensors replaced by their shapes) and the output shapes.
Its docstring is the formula as the README table shows it; :mod:`vizcnn.ops` says which op
uses which formula.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Cost:
    macs: int = 0
    flops: int = 0


CostFormula = Callable[[dict[str, Any], tuple[Shape, ...]], Cost]


def _numel(shape: Shape) -> int:
    return math.prod(shape)


def _out(outputs: tuple[Shape, ...]) -> int:
    return sum(_numel(s) for s in outputs)


def _bias(call: dict[str, Any], outputs: tuple[Shape, ...], key: str = "bias") -> int:
    return _out(outputs) if isinstance(call.get(key), tuple) else 0


def conv_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × C_in/groups × kernel area; FLOPs = 2·MACs + out elements if bias."""
    w = call["weight"]
    macs = _out(outputs) * _numel(w[1:])
    return Cost(macs, 2 * macs + _bias(call, outputs))


def conv_transpose_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = input elements × C_out/groups × kernel area (each input scatters a kernel);
    FLOPs = 2·MACs + out elements if bias."""
    x, w = call["input"], call["weight"]
    macs = _numel(x) * _numel(w[1:])
    return Cost(macs, 2 * macs + _bias(call, outputs))


def linear_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × in_features; FLOPs = 2·MACs + out elements if bias."""
    macs = _out(outputs) * call["weight"][-1]
    return Cost(macs, 2 * macs + _bias(call, outputs))


def matmul_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × inner dimension; FLOPs = 2·MACs."""
    a = call["input"]
    macs = _out(outputs) * a[-1]
    return Cost(macs, 2 * macs)


def addmm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × inner dimension; FLOPs = 2·MACs + out elements (the add)."""
    macs = _out(outputs) * call["mat1"][-1]
    return Cost(macs, 2 * macs + _out(outputs))


def einsum_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """Two operands: MACs = product of the sizes of every index (and broadcast) dimension;
    FLOPs = 2·MACs. Other forms: 1 FLOP per input element."""
    operands = call["operands"]
    if len(operands) == 1 and isinstance(operands[0], list):
        operands = operands[0]
    equation = re.sub(r"\s", "", call["equation"])
    inputs, _, output = equation.partition("->")
    if len(operands) != 2:
        return Cost(0, sum(_numel(s) for s in operands))
    sizes: dict[str, int] = {}
    for letters, shape in zip(inputs.split(","), operands):
        letters = letters.replace("...", "")
        for letter, size in zip(letters, shape[len(shape) - len(letters):]):
            sizes[letter] = size
    out_letters = output.replace("...", "")
    broadcast = _out(outputs) // max(1, _numel([sizes[c] for c in out_letters if c in sizes]))
    macs = broadcast * _numel(sizes.values())
    return Cost(macs, 2 * macs)


def batch_norm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """2 FLOPs per element: at inference BN folds to one multiply and one add (scale, shift)."""
    return Cost(0, 2 * _out(outputs))


def norm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """5 FLOPs per element: mean, variance, normalise (subtract, divide), then the affine."""
    return Cost(0, 5 * _out(outputs))


def lrn_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """(size + 4) FLOPs per element: square, window sum, scale, power, divide."""
    return Cost(0, (call.get("size", 5) + 4) * _out(outputs))


def one_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per element (a comparison or clamp)."""
    return Cost(0, _out(outputs))


def arithmetic_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per output element (residual adds, SE channel scaling)."""
    return Cost(0, _out(outputs))


def hardsigmoid_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """3 FLOPs per element: add 3, clamp, divide by 6."""
    return Cost(0, 3 * _out(outputs))


def four_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """4 FLOPs per element (sigmoid: negate, exp, add, divide; hardswish: hardsigmoid + multiply)."""
    return Cost(0, 4 * _out(outputs))


def five_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """5 FLOPs per element: a sigmoid-like gate (4) and the multiply."""
    return Cost(0, 5 * _out(outputs))


def softmax_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """3 FLOPs per element: exp, sum, divide."""
    return Cost(0, 3 * _out(outputs))


def _window(call: dict[str, Any], outputs: tuple[Shape, ...]) -> int:
    kernel = call["kernel_size"]
    if isinstance(kernel, (tuple, list)):
        return _numel(kernel)
    return kernel ** max(1, len(outputs[0]) - 2)


def pool_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """kernel area FLOPs per output element (comparisons, or adds and one divide)."""
    return Cost(0, _numel(outputs[0]) * _window(call, outputs))


def reduce_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per input element (each is added or compared once)."""
    return Cost(0, _numel(call["input"]))


def interpolate_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """nearest: 0; (bi/tri)linear and bicubic: 2 FLOPs per neighbour per output element."""
    mode = call.get("mode", "nearest")
    if mode.startswith("nearest"):
        return Cost(0, 0)
    spatial = len(outputs[0]) - 2
    neighbours = 4 ** spatial if mode == "bicubic" else 2 ** spatial
    return Cost(0, 2 * neighbours * _out(outputs))


def data_movement(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """0: data movement only (dropout counts 0 too: it is the identity at inference)."""
    return Cost(0, 0)


def baddbmm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × inner dimension; FLOPs = 2·MACs + out elements (the add)."""
    macs = _out(outputs) * call["batch1"][-1]
    return Cost(macs, 2 * macs + _out(outputs))


def bilinear_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × in1_features × in2_features (x₁ᵀ·W_k·x₂ for every output k);
    FLOPs = 2·MACs + out elements if bias."""
    w = call["weight"]
    macs = _out(outputs) * w[1] * w[2]
    return Cost(macs, 2 * macs + _bias(call, outputs))


def attention_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = queries × keys × (E + Ev) per head (Q·Kᵀ, then the weights times V);
    FLOPs = 2·MACs + 4 per score (scale, softmax's exp, sum and divide)."""
    q, k, v = call["query"], call["key"], call["value"]
    scores = _numel(q[:-1]) * k[-2]
    macs = scores * (q[-1] + v[-1])
    return Cost(macs, 2 * macs + 4 * scores)


def multi_head_attention_parts(call: dict[str, Any], outputs: tuple[Shape, ...]
                               ) -> dict[str, Cost]:
    """The three parts of :func:`multi_head_attention_cost`: input projections, attention,
    output projection."""
    q, k, v = call["query"], call["key"], call["value"]
    embed, heads = call["embed_dim_to_check"], call["num_heads"]
    batch = q[1] if len(q) == 3 else 1
    source = k[0] + (1 if isinstance(call.get("bias_k"), tuple) else 0) + (
        1 if call.get("add_zero_attn") else 0)
    queries, keys = q[0] * batch, k[0] * batch
    projections = queries * embed * embed + keys * k[-1] * embed + keys * v[-1] * embed
    in_bias = (queries + 2 * keys) * embed if isinstance(call.get("in_proj_bias"), tuple) else 0
    scores = queries * heads * source
    attention = 2 * scores * (embed // heads)
    out = queries * embed * embed
    out_bias = queries * embed if isinstance(call.get("out_proj_bias"), tuple) else 0
    return {"in_proj": Cost(projections, 2 * projections + in_bias),
            "attention": Cost(attention, 2 * attention + 4 * scores),
            "out_proj": Cost(out, 2 * out + out_bias)}


def multi_head_attention_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """The Q, K, V and output projections (linear MACs) plus scaled dot-product attention
    per head: MACs = L·E·E + S·E_k·E + S·E_v·E + 2·H·L·S·(E/H) + L·E·E, per batch element;
    FLOPs = 2·MACs + the projections' biases + 4 per score."""
    parts = multi_head_attention_parts(call, outputs).values()
    return Cost(sum(p.macs for p in parts), sum(p.flops for p in parts))


def _recurrent(call: dict[str, Any], outputs: tuple[Shape, ...], gate_flops: int) -> Cost:
    weights = call["params"]
    steps = _numel(call["input"][:-1])   # time × batch (packed: the rows of the packed data)
    macs = steps * sum(_numel(w) for w in weights if len(w) == 2)
    biases = steps * sum(_numel(w) for w in weights if len(w) == 1)
    state = outputs[-1]                   # (layers × directions, [batch,] hidden)
    elementwise = steps * state[0] * state[-1] * gate_flops
    return Cost(macs, 2 * macs + biases + elementwise)


def lstm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = time steps × batch × the elements of every weight matrix (W_ih, W_hh, W_hr of
    every layer and direction); FLOPs = 2·MACs + bias adds + 24 per hidden unit and step
    (three sigmoids, one tanh gate and the cell's tanh, three multiplies, one add)."""
    return _recurrent(call, outputs, 24)


def gru_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs as for LSTM (W_ih, W_hh); FLOPs = 2·MACs + bias adds + 17 per hidden unit and step
    (two sigmoids, one tanh, three multiplies, two adds)."""
    return _recurrent(call, outputs, 17)


def rnn_tanh_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs as for LSTM (W_ih, W_hh); FLOPs = 2·MACs + bias adds + 5 per hidden unit and step
    (the add and the tanh)."""
    return _recurrent(call, outputs, 5)


def rnn_relu_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs as for LSTM (W_ih, W_hh); FLOPs = 2·MACs + bias adds + 2 per hidden unit and step
    (the add and the ReLU)."""
    return _recurrent(call, outputs, 2)


def grid_sample_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """bilinear: 2 FLOPs per neighbour (4 in 2-D, 8 in 3-D) per output element; nearest: 0."""
    if call.get("mode", "bilinear") == "nearest":
        return Cost(0, 0)
    return Cost(0, 2 * 2 ** (len(outputs[0]) - 2) * _out(outputs))


def lookup(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """0: an embedding is a table lookup, no arithmetic (its parameters are counted)."""
    return Cost(0, 0)


def creation(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """0: creating a tensor (``arange``, ``zeros``, ``full``…) does no arithmetic."""
    return Cost(0, 0)
