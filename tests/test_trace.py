"""The core engine: what a trace captures, how it counts, and that it leaves the model alone."""

from __future__ import annotations

import threading

import pytest
import torch
import torchinfo
from torch import nn

import vizcnn
from conftest import param_count, torch_conv_linear_macs


# --- hand-built models covering every MAC formula --------------------------------------------
class Attention(nn.Module):
    """Einsum attention on a 3-D input (linear on 3-D, einsum, softmax, matmul)."""

    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = torch.einsum("bqd,bkd->bqk", q, k).softmax(-1)
        return self.proj(scores @ v)


CASES = {
    "grouped": (nn.Conv2d(8, 16, 3, groups=4, padding=1), (2, 8, 12, 12)),
    "depthwise": (nn.Conv2d(8, 8, 3, groups=8, padding=1), (1, 8, 12, 12)),
    "dilated": (nn.Conv2d(4, 6, 3, dilation=2, padding=2), (1, 4, 15, 15)),
    "strided": (nn.Conv2d(3, 5, 5, stride=3, padding=1), (1, 3, 31, 29)),
    "transposed": (nn.ConvTranspose2d(6, 4, 4, stride=2, padding=1, groups=2), (1, 6, 7, 7)),
    "pointwise": (nn.Conv2d(16, 32, 1), (1, 16, 9, 9)),
    "conv1d": (nn.Conv1d(4, 8, 3), (2, 4, 20)),
    "conv3d": (nn.Conv3d(2, 4, 3, padding=1), (1, 2, 6, 6, 6)),
    "linear3d": (nn.Linear(12, 7), (2, 5, 12)),
    "attention": (Attention(), (2, 10, 16)),
}


@pytest.mark.parametrize("name", CASES)
def test_macs_equal_torch_flop_counter(name: str) -> None:
    model, size = CASES[name]
    t = vizcnn.trace(model, size)
    assert t.macs == torch_conv_linear_macs(model, size)
    assert t.macs > 0


@pytest.mark.parametrize("name", CASES)
def test_params_equal_unique_numel_and_torchinfo(name: str) -> None:
    model, size = CASES[name]
    t = vizcnn.trace(model, size)
    assert t.params == param_count(model)
    assert t.params == torchinfo.summary(model, size, verbose=0, device="cpu").total_params


@pytest.mark.parametrize("name", ["resnet50", "googlenet", "mobilenet_v3_small", "vgg11_bn"])
def test_zoo_params_match_torchinfo(name: str) -> None:
    model = vizcnn.build(name).eval()
    t = vizcnn.trace(model, (1, 3, 224, 224))
    assert t.params == torchinfo.summary(model, (1, 3, 224, 224), verbose=0,
                                         device="cpu").total_params
    assert t.buffers == sum(b.numel() for b in model.buffers())


def test_flops_are_two_macs_plus_elementwise() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4), nn.ReLU())
    t = vizcnn.trace(model, (1, 3, 10, 10))
    out = 4 * 8 * 8
    macs = out * 3 * 9
    assert t.macs == macs
    # conv 2·MACs + bias, BatchNorm 2 per element, ReLU 1 per element
    assert t.flops == 2 * macs + out + 2 * out + out


# --- what the graph records --------------------------------------------------------------
def test_resnet50_graph_nodes_and_ops() -> None:
    t = vizcnn.trace("resnet50", (1, 3, 224, 224))
    ids = [n.id for n in t.nodes]
    assert ids[0] == "input" and ids[-1] == "output"
    conv2 = t.node("layer3.4.conv2")
    assert conv2.module_type == "Conv2d" and conv2.kind == "conv"
    assert conv2.attrs["kernel_size"] == (3, 3) and conv2.attrs["in_channels"] == 256
    assert conv2.scope == ("layer3", "layer3.4")
    assert conv2.output_shapes == ((1, 256, 14, 14),)
    # The reused ReLU of a bottleneck: separate nodes, parameters counted once (none here).
    assert {"layer1.0.relu", "layer1.0.relu#1", "layer1.0.relu#2"} <= set(ids)
    adds = [n for n in t.nodes if n.op == "add"]
    assert len(adds) == 16 and all(n.kind == "add" for n in adds)
    assert t.node("/flatten").output_shapes == ((1, 2048),)
    assert t.uncounted == {}


def test_receptive_field_and_effective_stride() -> None:
    t = vizcnn.trace("vgg16", (1, 3, 224, 224))
    first = t.node("features.0")
    assert (first.receptive_field, first.effective_stride) == (3, 1)
    assert t.node("features.2").receptive_field == 5  # two stacked 3×3 = one 5×5
    assert t.node("features.4").effective_stride == 2  # after the first max-pool
    assert t.node("features.30").receptive_field == 212  # VGG-16's last pool (conv5_3 + pool)


def test_module_reuse_counts_params_once() -> None:
    class Reuse(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.conv(self.conv(x))

    t = vizcnn.trace(Reuse(), (1, 4, 8, 8))
    first, second = t.node("conv"), t.node("conv#1")
    assert first.params == 4 * 4 * 9 + 4 and second.params == 0 and second.shared_params
    assert t.params == first.params
    assert first.macs == second.macs > 0


def test_multiple_keyword_inputs_dict_outputs_control_flow_inplace() -> None:
    class Multi(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(6, 6)
            self.b = nn.Linear(6, 3)

        def forward(self, x, y, scale=None):
            h = self.a(x)
            if h.shape[0] > 1:  # Python control flow on a shape
                h = h * 2
            h += y  # in-place
            return {"out": self.b(h), "extra": [h.relu(), scale * 2]}

    t = vizcnn.trace(Multi(), inputs=(torch.zeros(2, 6), torch.zeros(2, 6)),
                     kwargs={"scale": torch.ones(2, 6)})
    ids = [n.id for n in t.nodes]
    assert ids[:3] == ["input.0", "input.1", "input.scale"]
    assert "/add" in ids and "/mul" in ids and "/relu" in ids
    output = t.node("output")
    assert output.input_shapes == ((2, 3), (2, 6), (2, 6))
    assert {(e.src, e.dst) for e in t.edges} >= {("input.1", "/add"), ("b", "output")}


def test_train_mode_shows_googlenet_aux_heads() -> None:
    eval_trace = vizcnn.trace("googlenet", (1, 3, 224, 224))
    train_trace = vizcnn.trace("googlenet", (1, 3, 224, 224), training=True)
    assert not any(n.id.startswith("aux") for n in eval_trace.nodes)
    assert any(n.id.startswith("aux1.") for n in train_trace.nodes)
    assert eval_trace.macs == 1_498_376_192  # torchvision _ops 1.498
    assert train_trace.macs > eval_trace.macs
    assert train_trace.params == eval_trace.params == 13_004_888


def test_unknown_ops_are_listed_not_guessed() -> None:
    class Odd(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 1) + 1

    t = vizcnn.trace(Odd(), (2, 5))
    assert t.uncounted == {"cumsum": 1}
    assert t.node("/cumsum").uncounted == ("cumsum",)


def test_table_depth_collapses_and_keeps_totals() -> None:
    t = vizcnn.trace("resnet50", (1, 3, 224, 224))
    full, top = t.table(), t.table(depth=1)
    assert len(full) == len(t.nodes) - 2
    assert list(top["path"][:5]) == ["conv1", "bn1", "relu", "maxpool", "layer1"]
    assert top.loc[top["path"] == "layer3", "output_shape"].item() == "1×1024×14×14"
    for column in ("params", "macs", "flops"):
        assert full[column].sum() == top[column].sum() == getattr(t, column)


def test_json_round_trip_is_lossless() -> None:
    t = vizcnn.trace("shufflenet_v2_x0_5", (1, 3, 224, 224))
    again = vizcnn.Trace.from_json(t.to_json())
    assert again == t and isinstance(again, vizcnn.Trace)


# --- shape rules agree with real meta execution ------------------------------------------------
@pytest.mark.parametrize("name", vizcnn.list_models())
def test_shape_rules_equal_real_meta_execution(name: str) -> None:
    card = vizcnn.model_card(name)
    size = (1, card.in_channels, card.input_size, card.input_size)
    for training in (False, True):
        fast = vizcnn.trace(name, size, training=training)
        real = vizcnn.trace(name, size, training=training, shape_rules=False)
        assert [(n.id, n.output_shapes) for n in fast.nodes] == [
            (n.id, n.output_shapes) for n in real.nodes]
        assert (fast.macs, fast.flops, fast.params) == (real.macs, real.flops, real.params)


# --- the user's model is left alone -----------------------------------------------------------
def _snapshot(model: nn.Module) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def _hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


@pytest.mark.parametrize("size", [(2, 3, 64, 64), (2, 3, 8, 8)])  # the second one fails
def test_cpu_model_left_exactly_as_it_was(size) -> None:
    model = vizcnn.build("resnet18", num_classes=10)
    model.train()
    before = _snapshot(model)
    params_before = [p for p in model.parameters()]
    try:
        vizcnn.trace(model, size[:1] + (1,) + size[2:])  # wrong channels: fails
    except vizcnn.ShapeError:
        pass
    t = vizcnn.trace(model, size)
    assert t.device == "meta"
    assert model.training
    assert _hook_count(model) == 0
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert [p for p in model.parameters()] == params_before
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_meta_built_model_is_traced_directly() -> None:
    with torch.device("meta"):
        model = vizcnn.build("mobilenet_v2")
    t = vizcnn.trace(model, (1, 3, 224, 224), training=False)
    assert t.params == 3_504_872 and t.device == "meta"
    assert not t.training  # the mode it was traced in
    assert model.training  # flag restored


def test_data_dependent_model_falls_back_to_cpu() -> None:
    class DataDependent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            keep = int((y > 0).sum().item()) + 1
            return y[:, :keep]

    model = DataDependent()
    before = _snapshot(model)
    t = vizcnn.trace(model, (3, 4))
    assert t.device == "cpu" and t.fallback_reason
    assert t.params == 20 and t.node("fc").macs == 3 * 4 * 4
    assert all(torch.equal(before[k], model.state_dict()[k]) for k in before)


def test_concurrent_traces_in_threads_agree() -> None:
    model = vizcnn.build("resnet18")
    results: list = [None] * 4
    errors: list = []

    def work(i: int) -> None:
        try:
            results[i] = vizcnn.trace("mobilenet_v3_small" if i % 2 else model, (1, 3, 96, 96))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert results[0] == results[2] and results[1] == results[3]
    assert results[0].params == param_count(model)


def test_zoo_traces_share_one_build_and_never_change_it() -> None:
    """A zoo name is built once per spec; traces in train and eval mode, in several threads,
    run stand-ins of that build and leave it exactly as it was."""
    from vizcnn.api import shared_zoo_build, zoo_spec

    spec = zoo_spec("googlenet")
    first = vizcnn.trace(spec, (1, 3, 224, 224))
    prototype = shared_zoo_build(spec)
    assert not any(m.training for m in prototype.modules())   # the eval build
    flags = [m.training for m in prototype.modules()]
    tensors = [id(t) for t in (*prototype.parameters(), *prototype.buffers())]
    results: list = [None] * 4

    def work(i: int) -> None:
        results[i] = vizcnn.trace(spec, (1, 3, 224, 224), training=bool(i % 2))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert shared_zoo_build(spec) is prototype
    assert all(m.training for m in shared_zoo_build(spec, True).modules())
    assert [m.training for m in prototype.modules()] == flags
    assert [id(t) for t in (*prototype.parameters(), *prototype.buffers())] == tensors
    assert not any("forward" in m.__dict__ or m._forward_hooks or m._forward_pre_hooks
                   for m in prototype.modules())
    assert results[0] == results[2] == first and results[1] == results[3]
    assert results[1].training and "aux1" in {n.scope[0] for n in results[1].nodes if n.scope}


# --- bad input ----------------------------------------------------------------------------------
def test_too_small_input_names_layer_and_shape() -> None:
    with pytest.raises(vizcnn.ShapeError) as info:
        vizcnn.trace("alexnet", (1, 3, 32, 32))
    message = str(info.value)
    assert "features.12" in message and "MaxPool2d" in message and "1×256×1×1" in message
    assert info.value.path == "features.12"


@pytest.mark.parametrize("size,needle", [
    ((1, 1, 224, 224), "expects 3 input channels but the input has 1"),
    ((3, 224, 224), "bn1"),
    ((1, 3, 0, 224), "positive integer"),
    ((1, 3, 22.5, 224), "positive integer"),
    ((1, 3, -4, 224), "positive integer"),
])
def test_bad_inputs_raise_one_clear_error(size, needle) -> None:
    with pytest.raises(vizcnn.VizcnnError, match=needle):
        vizcnn.trace("resnet18", size)


def test_linear_feature_mismatch_is_named() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 2))
    with pytest.raises(vizcnn.ShapeError, match=r"1 \(Linear, linear\).*expects 10 input"):
        vizcnn.trace(model, (1, 3, 2, 2))


def test_min_input_size() -> None:
    assert vizcnn.min_input_size("alexnet") == 63  # torchvision's documented min_size
    vizcnn.trace("alexnet", (1, 3, 63, 63))
    with pytest.raises(vizcnn.ShapeError):
        vizcnn.trace("alexnet", (1, 3, 62, 62))
    assert vizcnn.min_input_size(nn.Sequential(nn.Conv2d(1, 2, 5), nn.MaxPool2d(2))) == 6
    # The paper GoogLeNet's aux heads (a fixed 5×5/3 pool feeding a fixed linear layer) run
    # in train mode only, where they accept a narrow band of sides around 224.
    # Ceil-mode pooling as PyTorch computes it (issue 10: the rules said 47 and 31); real meta
    # execution agrees on both sides of each bound.
    assert vizcnn.min_input_size("googlenet_paper") == 31
    assert vizcnn.accepted_sides("googlenet_paper") == (31, None)
    assert vizcnn.min_input_size("googlenet") == 15
    for name, side in (("googlenet_paper", 31), ("googlenet", 15)):
        vizcnn.trace(name, (1, 3, side, side), shape_rules=False)
        with pytest.raises(vizcnn.ShapeError):
            vizcnn.trace(name, (1, 3, side - 1, side - 1), shape_rules=False)
    low, high = vizcnn.accepted_sides("googlenet_paper", training=True)
    assert low <= 224 <= high < 300
    vizcnn.trace("googlenet_paper", (1, 3, low, low), training=True)
    for side in (low - 1, high + 1):
        with pytest.raises(vizcnn.ShapeError):
            vizcnn.trace("googlenet_paper", (1, 3, side, side), training=True)
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5), nn.Flatten(), nn.Linear(6 * 24 * 24, 10))
    assert vizcnn.accepted_sides(lenet) == (28, 28)
    with pytest.raises(vizcnn.VizcnnError, match="accepts no square input"):
        vizcnn.min_input_size(nn.Sequential(nn.Flatten(), nn.Linear(7, 2)))


def test_a_trace_leaves_the_cyclic_collector_as_it_found_it() -> None:
    import gc

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    assert gc.isenabled()
    vizcnn.trace(model, (1, 3, 8, 8))
    assert gc.isenabled()
    gc.disable()
    try:
        vizcnn.trace(model, (1, 3, 8, 8))
        assert not gc.isenabled()
        with pytest.raises(vizcnn.VizcnnError):
            vizcnn.trace(model, (1, 5, 8, 8))
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(vizcnn.VizcnnError):
        vizcnn.trace(model, (1, 5, 8, 8))
    assert gc.isenabled()
