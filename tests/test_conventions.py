"""The emulated counters against the measured figures of shared/reference/peer_counts.csv
(copied to tests/data/, so the checks run wherever the suite runs): 16 one-op probes and the
zoo models in torchvision's layout; and against the real thop, ptflops and fvcore where they
install with this project's torch."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import vizcnn
from vizcnn.graph import Graph
from vizcnn.views.conventions import Reason, Tool, count, reconcile, round_significant

REFERENCE = Path(__file__).parent / "data" / "peer_counts.csv"   # a copy of shared/reference/
X = (1, 3, 224, 224)

# (tool in the CSV, metric in the CSV) of each emulated tool
CSV_NAME = {Tool.CALFLOPS_MACS: ("calflops", "macs"), Tool.CALFLOPS_FLOPS: ("calflops", "flops"),
            Tool.FLOPCOUNTER: ("flopcounter", "flops")}


def _reference() -> dict[tuple[str, str, str], float]:
    with REFERENCE.open() as f:
        return {(r["tool"], r["case"], r["metric"]): float(r["value"]) for r in csv.DictReader(f)}


def _check_against_reference(graph: Graph, case: str) -> int:
    """Assert every tool's emulated figure (and params) equals the measured one, exactly, or
    to the 6 significant digits thop prints. Returns how many figures were compared."""
    ref = _reference()
    compared = 0
    for tool in Tool:
        result = count(graph, tool)
        name, metric = CSV_NAME.get(tool, (tool.value, "macs"))
        want = ref.get((name, case, metric))
        if want is None:
            continue
        digits = result.significant_digits
        assert round_significant(result.value, digits) == want, (tool, case, result.value, want)
        compared += 1
        want_params = ref.get((name, case, "params"))
        if want_params is not None and tool is not Tool.CALFLOPS_FLOPS:
            assert round_significant(result.params, digits) == want_params, (tool, case)
    return compared


# --- the one-op probes, as the reference measured them (a 1-element dummy parameter on the root
# keeps calflops from crashing; thop does not count root parameters) ---------------------------
class Probe(nn.Module):
    def __init__(self, op: nn.Module | None = None, fn=None, dummy: bool = True) -> None:
        super().__init__()
        if dummy:
            self.dummy = nn.Parameter(torch.zeros(1))
        self.op = op
        self.fn = fn

    def forward(self, x):
        return self.op(x) if self.op is not None else self.fn(self, x)


class FunctionalConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.w = nn.Parameter(torch.zeros(64, 3, 3, 3))

    def forward(self, x):
        return F.conv2d(x, self.w, padding=1)


PROBES = {
    "op_conv3x3_3to64": lambda: Probe(nn.Conv2d(3, 64, 3, padding=1)),
    "op_linear_224to1000": lambda: Probe(nn.Linear(224, 1000)),
    "op_batchnorm": lambda: Probe(nn.BatchNorm2d(3)),
    "op_relu": lambda: Probe(nn.ReLU()),
    "op_hardswish": lambda: Probe(nn.Hardswish()),
    "op_sigmoid": lambda: Probe(nn.Sigmoid()),
    "op_maxpool2": lambda: Probe(nn.MaxPool2d(2)),
    "op_adaptiveavgpool1": lambda: Probe(nn.AdaptiveAvgPool2d(1)),
    "op_add_tensor": lambda: Probe(fn=lambda m, x: x + x * 1),
    "op_mul_tensor": lambda: Probe(fn=lambda m, x: x * x),
    "op_cat": lambda: Probe(fn=lambda m, x: torch.cat([x, x], 1)),
    "op_matmul_224": lambda: Probe(fn=lambda m, x: torch.matmul(x, x)),
    "op_F.conv2d_functional": FunctionalConv,
    "op_softmax": lambda: Probe(nn.Softmax(dim=-1)),
    "op_F.interpolate_x2": lambda: Probe(fn=lambda m, x: F.interpolate(x, scale_factor=2)),
    "op_relu_noparams": lambda: Probe(nn.ReLU(), dummy=False),
}


def test_probe_cases_are_all_in_the_reference():
    cases = {case for _, case, _ in _reference() if case.startswith("op_")}
    assert cases == set(PROBES)


@pytest.mark.parametrize("case", sorted(PROBES))
def test_probe_reproduces_every_tool(case):
    with torch.device("meta"):
        model = PROBES[case]()
    graph = vizcnn.trace(model, X, training=False)   # measured in eval mode
    assert _check_against_reference(graph, case) >= 6   # calflops crashes without params


# --- the zoo in torchvision's layout ---------------------------------------------------------
ZOO = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50", "resnet152", "mobilenet_v2",
       "mobilenet_v3_large", "shufflenet_v2_x1_0"]


def torchvision_layout(graph: Graph) -> Graph:
    """The zoo's graph with the two calls torchvision makes functionally marked functional
    (module_type ""): googlenet's BasicConv2d calls ``F.relu``, mobilenet_v2's head calls
    ``F.adaptive_avg_pool2d`` (the zoo uses modules there so they show in a trace)."""
    nodes = []
    for node in graph.nodes:
        functional = (graph.model == "googlenet" and node.op == "relu"
                      and graph.modules[node.path.rsplit(".", 1)[0]].type == "BasicConv2d") or (
            graph.model == "mobilenet_v2" and node.id == "avgpool")
        nodes.append(dataclasses.replace(node, module_type="") if functional else node)
    return dataclasses.replace(graph, nodes=nodes)


@pytest.mark.parametrize("name", ZOO)
def test_zoo_model_reproduces_every_tool(name):
    options = {"aux_logits": False} if name == "googlenet" else {}  # measured without aux heads
    graph = torchvision_layout(vizcnn.trace(name, X, **options))
    assert _check_against_reference(graph, name) == 8


def test_layout_difference_is_exactly_the_functional_call():
    """The zoo's mobilenet_v2 pools with a module where torchvision calls the functional: thop
    then counts the module's (49 + 1) × 1280 and ptflops counts the pool a second time."""
    graph = vizcnn.trace("mobilenet_v2", X)
    adapted = torchvision_layout(graph)
    assert count(graph, Tool.THOP).value - count(adapted, Tool.THOP).value == 50 * 1280
    assert count(graph, Tool.PTFLOPS_PYTORCH).value - count(
        adapted, Tool.PTFLOPS_PYTORCH).value == 1280 * 7 * 7
    assert count(graph, Tool.FVCORE).value == count(adapted, Tool.FVCORE).value


# --- the breakdown -----------------------------------------------------------------------------
def test_differences_add_up_and_name_their_reasons():
    graph = vizcnn.trace("resnet50", X)
    rec = reconcile(graph)
    for tool in rec.tools:
        assert rec.macs + sum(d.amount for d in tool.differences) == tool.value
        assert sum(v for _, v in tool.per_node) == tool.value
    info = rec.tool(Tool.TORCHINFO).by_reason()
    assert info[Reason.BIAS] == 1000            # the fc bias; resnet convs have none
    assert info[Reason.NORM] == sum(n.params for n in graph.nodes if n.op == "batch_norm")  # 2C
    ptf = rec.tool(Tool.PTFLOPS_PYTORCH).by_reason()
    relu = sum(n.output_shapes[0][1] * n.output_shapes[0][2] * n.output_shapes[0][3]
               for n in graph.nodes if n.op == "relu")
    assert ptf[Reason.ACTIVATION] == relu
    assert ptf[Reason.DOUBLE_COUNT] == relu + 64 * 112 * 112 + 2048 * 7 * 7  # + max/avg pool
    assert rec.tool(Tool.FLOPCOUNTER).value == 2 * rec.macs
    assert rec.tool(Tool.CALFLOPS_MACS).value == rec.macs


class MixedNet(nn.Module):
    """Every reason at once: conv bias, BN, ReLU module and F.relu, pools, a Conv2d subclass,
    a functional conv, a Linear on an N-D input, softmax, upsampling."""

    class MyConv(nn.Conv2d):
        pass

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.sub = MixedNet.MyConv(8, 8, 3, padding=1, bias=False)
        self.w = nn.Parameter(torch.randn(8, 8, 1, 1) * 0.1)
        self.up = nn.Upsample(scale_factor=2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.token = nn.Linear(16, 10)
        self.fc = nn.Linear(8, 5)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        x = self.pool(self.relu(self.bn(self.conv(x))))
        x = F.relu(self.sub(x))
        x = F.conv2d(x, self.w)
        t = self.token(self.up(x))                 # Linear on a 4-D input
        x = self.gap(x).flatten(1)
        return self.softmax(self.fc(x)), t


def test_every_reason_has_its_node_kind():
    graph = vizcnn.trace(MixedNet(), (2, 3, 16, 16))
    reasons = {(d.reason, d.kind) for t in reconcile(graph).tools for d in t.differences}
    assert (Reason.LINEAR_ND, "linear") in {(r, k) for r, k in reasons}
    assert (Reason.SUBCLASS_MISSED, "conv") in reasons
    assert (Reason.FUNCTIONAL_MISSED, "pointwise_conv") in reasons
    assert (Reason.DOUBLE_COUNT, "pool") in reasons
    assert (Reason.BIAS, "conv") in reasons
    assert (Reason.TWO_PER_MAC, "conv") in reasons
    mobile = {(d.reason, d.kind) for t in reconcile(vizcnn.trace(MobileBlockNet(), (
        2, 3, 16, 16))).tools for d in t.differences}
    assert (Reason.FORMULA, "conv_transpose") in mobile
    assert (Reason.PER_SAMPLE, "all") in mobile          # ptflops at batch 2


def test_published_figures_are_matched_to_conventions():
    rec = vizcnn.conventions("resnet50")
    by_source = {f.source: f for f in rec.figures}
    tv = next(f for s, f in by_source.items() if s.startswith("torchvision"))
    assert "vizcnn MACs" in tv.matches and "calflops-macs" in tv.matches
    timm = next(f for s, f in by_source.items() if s.startswith("timm"))
    assert "fvcore" in timm.matches           # timm's infer_gmacs comes from fvcore
    paper = next(f for s, f in by_source.items() if s.startswith("paper"))
    assert paper.matches == ()                # the paper's 3.8 G is the v1 layout
    v1 = vizcnn.conventions(vizcnn.trace("resnet50", X, stride_on="1x1"))
    assert "vizcnn MACs" in next(f for f in v1.figures if f.source.startswith("paper")).matches


# --- the real tools, on models of our own -----------------------------------------------------
class MobileBlockNet(nn.Module):
    """The mobile-net patterns: depthwise conv, ReLU6, Hardswish, an SE block (adaptive pool,
    1×1 convs with bias, Sigmoid, ``x * s``), a residual ``+``, avg-pool, LayerNorm and
    GroupNorm, and a transposed conv."""

    def __init__(self) -> None:
        super().__init__()
        self.expand = nn.Conv2d(3, 16, 1)
        self.act = nn.ReLU6()
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.gn = nn.GroupNorm(4, 16)
        self.hs = nn.Hardswish()
        self.se_pool = nn.AdaptiveAvgPool2d(1)
        self.se_fc1 = nn.Conv2d(16, 4, 1)
        self.se_fc2 = nn.Conv2d(4, 16, 1)
        self.gate = nn.Sigmoid()
        self.pool = nn.AvgPool2d(2)
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.ln = nn.LayerNorm(16)

    def forward(self, x):
        y = self.act(self.expand(x))
        y = self.hs(self.gn(self.dw(y)))
        s = self.gate(self.se_fc2(self.act(self.se_fc1(self.se_pool(y)))))
        y = y * s + y
        return self.ln(self.up(self.pool(y)))


REAL_MODELS = {"mixed": MixedNet, "mobile": MobileBlockNet}


def _real(name: str) -> nn.Module:
    torch.manual_seed(0)
    return REAL_MODELS[name]().eval()


@pytest.mark.parametrize("name", sorted(REAL_MODELS))
def test_real_thop_agrees(name):
    thop = pytest.importorskip("thop")
    model = _real(name)
    macs, params = thop.profile(model, inputs=(torch.randn(2, 3, 16, 16),), verbose=False)
    graph = vizcnn.trace(_real(name), (2, 3, 16, 16))
    emulated = count(graph, Tool.THOP)
    assert int(macs) == emulated.value and int(params) == emulated.params


@pytest.mark.parametrize("name", sorted(REAL_MODELS))
def test_real_ptflops_agrees_with_both_backends(name):
    ptflops = pytest.importorskip("ptflops")
    graph = vizcnn.trace(_real(name), (2, 3, 16, 16))
    for backend, tool in (("pytorch", Tool.PTFLOPS_PYTORCH), ("aten", Tool.PTFLOPS_ATEN)):
        macs, params = ptflops.get_model_complexity_info(
            _real(name), (3, 16, 16), as_strings=False, print_per_layer_stat=False,
            backend=backend, input_constructor=lambda _: torch.randn(2, 3, 16, 16))
        assert (macs, params) == (count(graph, tool).value, count(graph, tool).params), backend


@pytest.mark.parametrize("name", sorted(REAL_MODELS))
def test_real_fvcore_agrees(name):
    fvcore = pytest.importorskip("fvcore.nn")
    analysis = fvcore.FlopCountAnalysis(_real(name), (torch.randn(2, 3, 16, 16),))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    graph = vizcnn.trace(_real(name), (2, 3, 16, 16))
    assert analysis.total() == count(graph, Tool.FVCORE).value


@pytest.mark.parametrize("name", sorted(REAL_MODELS))
def test_real_flop_counter_mode_agrees(name):
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as mode:
        _real(name)(torch.randn(2, 3, 16, 16))
    graph = vizcnn.trace(_real(name), (2, 3, 16, 16))
    assert mode.get_total_flops() == count(graph, Tool.FLOPCOUNTER).value


def test_rows_serialise():
    rec = vizcnn.conventions("mobilenet_v2")
    from vizcnn.views.conventions import difference_rows, figure_rows, reconciliation_rows

    assert len(reconciliation_rows(rec)) == len(Tool)
    json.dumps([reconciliation_rows(rec), difference_rows(rec), figure_rows(rec)])


def test_cli_conventions(capsys):
    from vizcnn.cli import main

    assert main(["conventions", "resnet18"]) == 0
    text = capsys.readouterr().out
    assert "ptflops-pytorch" in text and "counted twice" in text and "reproduced by" in text
    assert main(["conventions", "resnet18", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["vizcnn_macs"] == vizcnn.trace("resnet18", X).macs
    assert {row["tool"] for row in data["tools"]} == {t.value for t in Tool}
    assert main(["conventions", "no_such_model"]) == 2


def test_conventions_chart_has_a_bar_per_reason():
    from vizcnn.render.cost_charts import conventions_figure

    fig = conventions_figure(vizcnn.conventions("resnet50"), lang="zh")
    names = {trace.name for trace in fig.data}
    assert "重复计数" in names and "偏置" in names
    assert "MACs" in fig.layout.title.text
