"""Cost formulas: one small pure function per op kind, registered by canonical op name.

Conventions (stated once, here and in the README):

* **MACs** are the multiply-accumulates of convolutions (any groups, dilation, transposed),
  linear layers, matmul/bmm/addmm and einsum. This is what most CNN papers print as "FLOPs"
  and what torchvision's ``_ops`` reports.
* **FLOPs** are ``2 × MACs`` for those ops plus the elementwise work listed per formula below
  (bias, normalisation, activations, arithmetic, pooling, softmax).
* Data movement (view, reshape, permute, cat, split, slicing, padding, dropout at inference)
  costs 0. Ops with no formula here are reported as uncounted, never guessed.

Each formula receives the bound call (tensors replaced by their shapes) and the output shapes.
Its docstring is the formula as the README table shows it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from vizcnn.ops import Shape, registrar


@dataclass(frozen=True)
class Cost:
    macs: int = 0
    flops: int = 0


CostFormula = Callable[[dict[str, Any], tuple[Shape, ...]], Cost]
COSTS: dict[str, CostFormula] = {}


cost_formula = registrar(COSTS, "cost formula")


def _numel(shape: Shape) -> int:
    return math.prod(shape)


def _out(outputs: tuple[Shape, ...]) -> int:
    return sum(_numel(s) for s in outputs)


def _bias(call: dict[str, Any], outputs: tuple[Shape, ...], key: str = "bias") -> int:
    return _out(outputs) if isinstance(call.get(key), tuple) else 0


@cost_formula("conv")
def conv_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × C_in/groups × kernel area; FLOPs = 2·MACs + out elements if bias."""
    w = call["weight"]
    macs = _out(outputs) * _numel(w[1:])
    return Cost(macs, 2 * macs + _bias(call, outputs))


@cost_formula("conv_transpose")
def conv_transpose_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = input elements × C_out/groups × kernel area (each input scatters a kernel);
    FLOPs = 2·MACs + out elements if bias."""
    x, w = call["input"], call["weight"]
    macs = _numel(x) * _numel(w[1:])
    return Cost(macs, 2 * macs + _bias(call, outputs))


@cost_formula("linear")
def linear_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × in_features; FLOPs = 2·MACs + out elements if bias."""
    macs = _out(outputs) * call["weight"][-1]
    return Cost(macs, 2 * macs + _bias(call, outputs))


@cost_formula("matmul")
def matmul_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × inner dimension; FLOPs = 2·MACs."""
    a = call["input"]
    macs = _out(outputs) * a[-1]
    return Cost(macs, 2 * macs)


@cost_formula("addmm")
def addmm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """MACs = out elements × inner dimension; FLOPs = 2·MACs + out elements (the add)."""
    macs = _out(outputs) * call["mat1"][-1]
    return Cost(macs, 2 * macs + _out(outputs))


@cost_formula("einsum")
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


@cost_formula("batch_norm")
def batch_norm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """2 FLOPs per element: at inference BN folds to one multiply and one add (scale, shift)."""
    return Cost(0, 2 * _out(outputs))


@cost_formula("layer_norm", "group_norm", "instance_norm")
def norm_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """5 FLOPs per element: mean, variance, normalise (subtract, divide), then the affine."""
    return Cost(0, 5 * _out(outputs))


@cost_formula("local_response_norm")
def lrn_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """(size + 4) FLOPs per element: square, window sum, scale, power, divide."""
    return Cost(0, (call.get("size", 5) + 4) * _out(outputs))


@cost_formula("relu", "relu6", "hardtanh", "leaky_relu")
def one_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per element (a comparison or clamp)."""
    return Cost(0, _out(outputs))


@cost_formula("add", "sub", "mul", "div")
def arithmetic_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per output element (residual adds, SE channel scaling)."""
    return Cost(0, _out(outputs))


@cost_formula("hardsigmoid")
def hardsigmoid_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """3 FLOPs per element: add 3, clamp, divide by 6."""
    return Cost(0, 3 * _out(outputs))


@cost_formula("sigmoid", "tanh", "elu", "softplus", "hardswish")
def four_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """4 FLOPs per element (sigmoid: negate, exp, add, divide; hardswish: hardsigmoid + multiply)."""
    return Cost(0, 4 * _out(outputs))


@cost_formula("silu", "gelu", "mish")
def five_per_element(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """5 FLOPs per element: a sigmoid-like gate (4) and the multiply."""
    return Cost(0, 5 * _out(outputs))


@cost_formula("softmax")
def softmax_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """3 FLOPs per element: exp, sum, divide."""
    return Cost(0, 3 * _out(outputs))


def _window(call: dict[str, Any], outputs: tuple[Shape, ...]) -> int:
    kernel = call["kernel_size"]
    if isinstance(kernel, (tuple, list)):
        return _numel(kernel)
    return kernel ** max(1, len(outputs[0]) - 2)


@cost_formula("max_pool", "avg_pool")
def pool_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """kernel area FLOPs per output element (comparisons, or adds and one divide)."""
    return Cost(0, _numel(outputs[0]) * _window(call, outputs))


@cost_formula("adaptive_avg_pool", "adaptive_max_pool", "mean", "sum")
def reduce_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """1 FLOP per input element (each is added or compared once)."""
    return Cost(0, _numel(call["input"]))


@cost_formula("interpolate")
def interpolate_cost(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """nearest: 0; (bi/tri)linear and bicubic: 2 FLOPs per neighbour per output element."""
    mode = call.get("mode", "nearest")
    if mode.startswith("nearest"):
        return Cost(0, 0)
    spatial = len(outputs[0]) - 2
    neighbours = 4 ** spatial if mode == "bicubic" else 2 ** spatial
    return Cost(0, 2 * neighbours * _out(outputs))


@cost_formula("cat", "stack", "chunk", "split", "view", "flatten", "permute", "transpose",
              "squeeze", "unsqueeze", "getitem", "identity", "pad", "dropout")
def data_movement(call: dict[str, Any], outputs: tuple[Shape, ...]) -> Cost:
    """0: data movement only (dropout counts 0 too: it is the identity at inference)."""
    return Cost(0, 0)
