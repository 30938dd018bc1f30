"""Worked formulas for one layer: the output-size and cost formulas with the layer's numbers.

The seed notes start from ``OUT = (IN − F + 2P)/S + 1``; a student checks it by hand on real
layers. Every number here is read from a traced node (its attributes and input shape) and the
results are compared with what the trace measured, so the page can show "= traced ✓".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vizcnn.errors import VizcnnError
from vizcnn.graph import Graph, Node
from vizcnn.words import Lang, fmt_int, fmt_shape, tr

FORMULA_OPS: tuple[str, ...] = (
    "conv", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "linear",
)
_AXES: dict[int, tuple[str, ...]] = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}

OUT_SIZE_TEX = (
    r"\text{out} = \left\lfloor \frac{\text{in} + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1"
)
OUT_SIZE_CEIL_TEX = (
    r"\text{out} = \left\lceil \frac{\text{in} + 2p - d\,(k-1) - 1}{s} \right\rceil + 1"
)


@dataclass(frozen=True)
class Factor:
    """One factor of a product formula: its symbol (plain and LaTeX) and its value."""

    symbol: str
    tex: str
    value: int


@dataclass(frozen=True)
class Product:
    """``result = ∏ factors + Σ addends`` (MACs, parameters or FLOPs of one layer).

    ``traced`` is the trace's own figure for the same quantity (None when the trace does not
    attribute it to this node, e.g. the parameters of a reused module).
    """

    name: str                       # "macs", "params" or "flops"
    factors: tuple[Factor, ...]
    addends: tuple[Factor, ...]
    result: int
    traced: int | None

    @property
    def matches(self) -> bool:
        return self.traced is None or self.traced == self.result

    @property
    def steps(self) -> tuple[str, ...]:
        """Symbols, then numbers, then the result."""
        symbols = "·".join(f.symbol for f in self.factors)
        numbers = "·".join(str(f.value) for f in self.factors)
        for add in self.addends:
            symbols += f" + {add.symbol}"
            numbers += f" + {add.value}"
        return symbols, numbers, fmt_int(self.result)

    def latex(self, label: str = "") -> str:
        """An ``aligned`` block: symbols, then numbers, then the result, one per line (a
        single line of a deep layer's numbers would run off the page)."""
        symbols = r" \cdot ".join(f.tex for f in self.factors)
        numbers = r" \cdot ".join(str(f.value) for f in self.factors)
        for add in self.addends:
            symbols += f" + {add.tex}"
            numbers += f" + {add.value}"
        return (rf"\begin{{aligned}} {label} &= {symbols} \\ &= {numbers} \\ "
                rf"&= {fmt_int(self.result, tex=True)} \end{{aligned}}")


@dataclass(frozen=True)
class AxisFormula:
    """The output size along one spatial axis, worked out step by step."""

    axis: str
    size_in: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    ceil_mode: bool
    adaptive: bool
    numerator: int          # in + 2p − d(k−1) − 1 (0 for adaptive pools)
    corrected: bool         # ceil mode: the last window would start in the right padding
    result: int
    traced: int

    @property
    def matches(self) -> bool:
        return self.result == self.traced

    @property
    def steps(self) -> tuple[str, ...]:
        """The formula with numbers, each rewrite a step, ending with the result."""
        if self.adaptive:
            return (f"{self.axis}_out = output_size = {self.result}",)
        lo, hi = ("⌈", "⌉") if self.ceil_mode else ("⌊", "⌋")
        quotient = -(-self.numerator // self.stride) if self.ceil_mode else (
            self.numerator // self.stride)
        steps = [
            f"{lo}({self.size_in} + 2·{self.padding} − {self.dilation}·({self.kernel} − 1)"
            f" − 1) / {self.stride}{hi} + 1",
            f"{lo}{self.numerator} / {self.stride}{hi} + 1",
            f"{quotient} + 1",
        ]
        if self.corrected:
            steps.append(f"{quotient + 1} − 1")
        steps.append(str(self.result))
        return tuple(steps)

    def latex(self) -> str:
        if self.adaptive:
            return rf"{self.axis}_{{\text{{out}}}} = \text{{output\_size}} = {self.result}"
        lo, hi = (r"\left\lceil", r"\right\rceil") if self.ceil_mode else (
            r"\left\lfloor", r"\right\rfloor")
        quotient = -(-self.numerator // self.stride) if self.ceil_mode else (
            self.numerator // self.stride)
        parts = [
            rf"{lo} \frac{{{self.size_in} + 2 \cdot {self.padding} - {self.dilation}"
            rf" \cdot ({self.kernel} - 1) - 1}}{{{self.stride}}} {hi} + 1",
            rf"{lo} \frac{{{self.numerator}}}{{{self.stride}}} {hi} + 1",
            f"{quotient} + 1",
        ]
        if self.corrected:
            parts.append(f"{quotient + 1} - 1")
        parts.append(str(self.result))
        return rf"{self.axis}_{{\text{{out}}}} = " + " = ".join(parts)


@dataclass(frozen=True)
class WorkedFormula:
    """Everything a student needs to recompute one layer by hand."""

    node_id: str
    op: str
    kind: str
    module_type: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    axes: tuple[AxisFormula, ...]
    macs: Product | None
    flops: Product | None     # pools only: they have no MACs
    params: Product | None

    @property
    def matches(self) -> bool:
        """Every worked result equals the trace's own figure."""
        parts = [*self.axes, *(p for p in (self.macs, self.flops, self.params) if p)]
        return all(p.matches for p in parts)


def formula_nodes(graph: Graph) -> list[str]:
    """Ids of the nodes :func:`worked_formula` can explain (conv, pooling, linear)."""
    return [n.id for n in graph.nodes if n.op in FORMULA_OPS and n.attrs and n.input_shapes]


def worked_formula_for(graph: Graph, node_id: str) -> WorkedFormula:
    """:func:`worked_formula` of the node ``node_id`` of ``graph``."""
    for node in graph.nodes:
        if node.id == node_id:
            return worked_formula(node)
    raise VizcnnError(f"no layer {node_id!r} in the trace of {graph.model}")


def worked_formula(node: Node) -> WorkedFormula:
    """Fill the layer's numbers into its output-size, MAC and parameter formulas."""
    if node.op not in FORMULA_OPS or not node.input_shapes or not node.output_shapes:
        raise VizcnnError(
            f"{node.id} is a {node.op} op; worked formulas exist for conv, pooling and linear "
            "layers", path=node.path, op=node.op)
    x, y = node.input_shapes[0], node.output_shapes[0]
    if node.op == "linear":
        return WorkedFormula(node.id, node.op, node.kind, node.module_type, x, y, (),
                             _linear_macs(node, y), None, _linear_params(node))
    axes = _axes(node, x, y)
    if node.op == "conv":
        return WorkedFormula(node.id, node.op, node.kind, node.module_type, x, y, axes,
                             _conv_macs(node, y), None, _conv_params(node))
    return WorkedFormula(node.id, node.op, node.kind, node.module_type, x, y, axes,
                         None, _pool_flops(node, x, y), None)


# ------------------------------------------------------------------------ output sizes


def _axes(node: Node, x: tuple[int, ...], y: tuple[int, ...]) -> tuple[AxisFormula, ...]:
    n = len(x) - 2
    if n not in _AXES or len(y) != len(x):
        raise VizcnnError(f"{node.id}: expected a batched 1-3 d input, got shape {x}",
                          path=node.path, op=node.op)
    attrs = node.attrs
    if node.op.startswith("adaptive"):
        return tuple(
            AxisFormula(axis, x[2 + i], 0, 0, 0, 1, False, True, 0, False, y[2 + i], y[2 + i])
            for i, axis in enumerate(_AXES[n]))
    padding = attrs.get("padding", (0,) * n)
    dilation = attrs.get("dilation", (1,) * n)
    ceil_mode = bool(attrs.get("ceil_mode", False))
    result = []
    for i, axis in enumerate(_AXES[n]):
        k, s, d = attrs["kernel_size"][i], attrs["stride"][i], dilation[i]
        p = _padding(padding, i, k, d, node)
        size = x[2 + i]
        numerator = size + 2 * p - d * (k - 1) - 1
        out, corrected = _out_size(size, numerator, s, p, ceil_mode)
        result.append(AxisFormula(axis, size, k, s, p, d, ceil_mode, False, numerator,
                                  corrected, out, y[2 + i]))
    return tuple(result)


def _padding(padding: object, i: int, kernel: int, dilation: int, node: Node) -> int:
    """Symmetric padding per side; ``"same"`` pads d(k−1)/2 each side (PyTorch: stride 1)."""
    if padding == "valid":
        return 0
    if padding == "same":
        total = dilation * (kernel - 1)
        if total % 2:
            raise VizcnnError(
                f"{node.id}: padding='same' with an even window pads unevenly; the symmetric "
                "formula does not apply", path=node.path, op=node.op)
        return total // 2
    return int(padding[i])  # type: ignore[index]


def _out_size(size: int, numerator: int, stride: int, padding: int,
              ceil_mode: bool) -> tuple[int, bool]:
    """PyTorch's rule, including the ceil-mode correction (a window may not start in the
    right padding)."""
    if numerator < 0:
        return 0, False
    if not ceil_mode:
        return numerator // stride + 1, False
    out = -(-numerator // stride) + 1
    if (out - 1) * stride >= size + padding:
        return out - 1, True
    return out, False


# ------------------------------------------------------------------------ costs


def _spatial_factors(y: tuple[int, ...]) -> tuple[Factor, ...]:
    names = _AXES.get(len(y) - 2, ())
    return tuple(Factor(f"{a}_out", rf"{a}_{{\text{{out}}}}", v) for a, v in zip(names, y[2:]))


def _kernel_factors(kernel: tuple[int, ...]) -> tuple[Factor, ...]:
    names = {1: ("k",), 2: ("k_h", "k_w"), 3: ("k_d", "k_h", "k_w")}[len(kernel)]
    return tuple(Factor(n, n, k) for n, k in zip(names, kernel))


def _conv_macs(node: Node, y: tuple[int, ...]) -> Product:
    a = node.attrs
    cin_g = a["in_channels"] // a["groups"]
    factors = (
        Factor("N", "N", y[0]), *_spatial_factors(y),
        Factor("C_out", r"C_{\text{out}}", a["out_channels"]),
        Factor("C_in/g", r"C_{\text{in}}/g", cin_g),
        *_kernel_factors(a["kernel_size"]),
    )
    return Product("macs", factors, (), math.prod(f.value for f in factors), node.macs)


def _conv_params(node: Node) -> Product:
    a = node.attrs
    factors = (
        Factor("C_out", r"C_{\text{out}}", a["out_channels"]),
        Factor("C_in/g", r"C_{\text{in}}/g", a["in_channels"] // a["groups"]),
        *_kernel_factors(a["kernel_size"]),
    )
    bias = (Factor("C_out", r"C_{\text{out}}", a["out_channels"]),) if a.get("bias") else ()
    result = math.prod(f.value for f in factors) + sum(b.value for b in bias)
    return Product("params", factors, bias, result,
                   None if node.shared_params else node.params)


def _linear_macs(node: Node, y: tuple[int, ...]) -> Product:
    a = node.attrs
    rows = math.prod(y[:-1])
    factors = (
        Factor("N", "N", rows),
        Factor("in", r"\text{in}", a["in_features"]),
        Factor("out", r"\text{out}", a["out_features"]),
    )
    return Product("macs", factors, (), math.prod(f.value for f in factors), node.macs)


def _linear_params(node: Node) -> Product:
    a = node.attrs
    factors = (Factor("in", r"\text{in}", a["in_features"]),
               Factor("out", r"\text{out}", a["out_features"]))
    bias = (Factor("out", r"\text{out}", a["out_features"]),) if a.get("bias") else ()
    result = a["in_features"] * a["out_features"] + sum(b.value for b in bias)
    return Product("params", factors, bias, result,
                   None if node.shared_params else node.params)


def _pool_flops(node: Node, x: tuple[int, ...], y: tuple[int, ...]) -> Product:
    """Pooling has no MACs; its FLOPs are one per window element per output (adaptive:
    one per input element), the convention of :mod:`vizcnn.costs`."""
    if node.op.startswith("adaptive"):
        factors = (Factor("N", "N", x[0]), Factor("C", "C", x[1]),
                   *(Factor(f"{a}_in", rf"{a}_{{\text{{in}}}}", v)
                     for a, v in zip(_AXES[len(x) - 2], x[2:])))
    else:
        factors = (Factor("N", "N", y[0]), Factor("C", "C", y[1]), *_spatial_factors(y),
                   *_kernel_factors(node.attrs["kernel_size"]))
    return Product("flops", factors, (), math.prod(f.value for f in factors), node.flops)


# ------------------------------------------------------------------------ renderings



def _heading(wf: WorkedFormula, lang: Lang | str) -> str:
    return tr(lang, "formula_layer", node=wf.node_id, type=wf.module_type or wf.op,
              input=fmt_shape(wf.input_shape), output=fmt_shape(wf.output_shape))


def to_latex(wf: WorkedFormula) -> list[str]:
    """One LaTeX display line per formula: the general form, then each axis, then costs."""
    lines: list[str] = []
    if wf.axes and not wf.axes[0].adaptive:
        lines.append(OUT_SIZE_CEIL_TEX if wf.axes[0].ceil_mode else OUT_SIZE_TEX)
    lines += [axis.latex() for axis in wf.axes]
    for product, label in ((wf.params, r"\text{params}"), (wf.macs, r"\text{MACs}"),
                           (wf.flops, r"\text{FLOPs}")):
        if product is not None:
            lines.append(product.latex(label))
    return lines


def to_markdown(wf: WorkedFormula, lang: Lang | str) -> str:
    """The same derivation as Markdown text (for the CLI, notebooks and exports)."""
    lines = [f"**{_heading(wf, lang)}**", ""]
    if wf.axes and not wf.axes[0].adaptive:
        rule = tr(lang, "formula_ceil" if wf.axes[0].ceil_mode else "formula_floor")
        lines += [f"{tr(lang, 'formula_out_size')} `{rule}`", ""]
    for axis in wf.axes:
        lines.append(f"- {axis.axis}: " + " = ".join(axis.steps) + _check(axis.matches, lang))
        if axis.corrected:
            lines.append("  " + tr(lang, "formula_ceil_corrected",
                                   start=(axis.result) * axis.stride,
                                   limit=axis.size_in + axis.padding))
    for product in (wf.params, wf.macs, wf.flops):
        if product is not None:
            label = tr(lang, f"label_{product.name}")
            lines.append(f"- {label} = " + " = ".join(product.steps)
                         + _check(product.matches, lang))
    if wf.flops is not None:
        lines += ["", tr(lang, "formula_pool_no_macs")]
    return "\n".join(lines)


def _check(ok: bool, lang: Lang | str) -> str:
    return " " + tr(lang, "check_ok" if ok else "check_mismatch")


__all__ = [
    "AxisFormula", "FORMULA_OPS", "Factor", "OUT_SIZE_CEIL_TEX", "OUT_SIZE_TEX", "Product",
    "WorkedFormula", "formula_nodes", "to_latex", "to_markdown", "worked_formula",
    "worked_formula_for",
]
