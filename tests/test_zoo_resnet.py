"""ResNet and SENet families: sizes and costs against published figures, shapes, behaviour.

Counting is done on the meta device (no weights allocated); the MAC oracle is torch's own
``FlopCounterMode`` (conv + linear + matmul), through ``conftest.torch_conv_linear_macs``.
"""

from __future__ import annotations

import csv
import functools
import inspect

import pytest
import torch
from conftest import DATA, param_count, reference_rows, torch_conv_linear_macs
from torch import nn

import vizcnn.zoo.resnet  # noqa: F401  (registers the ResNet family)
import vizcnn.zoo.senet  # noqa: F401  (registers the SENet family)
from vizcnn.errors import VizcnnError
from vizcnn.zoo import build, list_models, model_card
from vizcnn.zoo.layers import SEBlock
from vizcnn.zoo.resnet import BasicBlock, Bottleneck, ResNet

RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
BOTTLENECK_RESNETS = ["resnet50", "resnet101", "resnet152"]
SENETS = ["se_resnet50", "se_resnet101", "se_resnext50_32x4d"]
CSV_NAME = {
    "resnet18": "ResNet-18",
    "resnet34": "ResNet-34",
    "resnet50": "ResNet-50",
    "resnet101": "ResNet-101",
    "resnet152": "ResNet-152",
    "se_resnet50": "SE-ResNet-50",
    "se_resnet101": "SE-ResNet-101",
    "se_resnext50_32x4d": "SE-ResNeXt-50 (32x4d)",
}
IMAGE = (1, 3, 224, 224)
ROWS = reference_rows()


def _row(name: str, variant: str) -> dict[str, str]:
    """The one CSV row of ``name`` whose variant column is ``variant``."""
    found = [r for r in ROWS if r["model"] == CSV_NAME[name] and r["variant"] == variant]
    assert len(found) == 1, (name, variant, len(found))
    return found[0]


def _int(value: str) -> int:
    return int(round(float(value)))


def _meta(name: str, **options: object) -> nn.Module:
    with torch.device("meta"):
        return build(name, **options)


def _macs(name: str, **options: object) -> int:
    return _cached_macs(name, tuple(sorted(options.items())))


@functools.lru_cache(maxsize=None)
def _cached_macs(name: str, options: tuple[tuple[str, object], ...]) -> int:
    """Meta-device MACs, counted once per (model, options): several tests share them."""
    return torch_conv_linear_macs(_meta(name, **dict(options)), IMAGE)


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize("name", RESNETS)
def test_resnet_params_equal_torchvision(name: str) -> None:
    expected = _int(_row(name, f"torchvision {name} IMAGENET1K_V1")["params"])
    assert param_count(_meta(name)) == expected
    # The stride's position moves no weights: v1 and v1.5 have the same parameters.
    if name in BOTTLENECK_RESNETS:
        assert param_count(_meta(name, stride_on="1x1")) == expected


@pytest.mark.parametrize(("name", "variant"), [
    ("se_resnet50", "paper/legacy layout (stride on 1x1)"),
    ("se_resnet101", "paper/legacy layout"),
    ("se_resnext50_32x4d", "stride on grouped 3x3, r=16"),
])
def test_senet_params_equal_derived(name: str, variant: str) -> None:
    assert param_count(_meta(name)) == _int(_row(name, variant)["params"])


@pytest.mark.parametrize(("name", "timm_variant"), [
    ("resnet18", "timm resnet18"),
    ("resnet50", "timm resnet50"),
    ("resnet152", "timm resnet152"),
    ("se_resnet50", "timm legacy_seresnet50 (Cadene port)"),
    ("se_resnet101", "timm legacy_seresnet101"),
    ("se_resnext50_32x4d", "timm legacy_seresnext50_32x4d"),
])
def test_params_within_timm_rounding(name: str, timm_variant: str) -> None:
    # timm prints millions to 2 decimals: half a unit of the last digit is 5,000.
    published = _int(_row(name, timm_variant)["params"])
    assert abs(param_count(_meta(name)) - published) <= 5_000


# ---------------------------------------------------------------- MACs


@pytest.mark.parametrize("name", RESNETS)
def test_resnet_macs_match_torchvision(name: str) -> None:
    macs = _macs(name)
    assert macs == _int(_row(name, "torchvision arch (v1.5)")["macs"])
    # torchvision _ops is GMACs to 3 decimals: within half a unit of the last digit.
    assert abs(macs - _int(_row(name, f"torchvision {name} IMAGENET1K_V1")["macs"])) <= 0.0005e9


@pytest.mark.parametrize("name", BOTTLENECK_RESNETS)
def test_resnet_v1_layout_matches_paper(name: str) -> None:
    v1 = _macs(name, stride_on="1x1")
    assert v1 == _int(_row(name, "original v1 (stride on 1x1, Caffe)")["macs"])
    # SENet's re-implementation prints 3 significant figures (3.86/7.58/11.30 G) of the
    # same v1 layout: 0.5 % covers that rounding and nothing else.
    baseline = _int(_row(name, "SENet re-implementation baseline")["macs"])
    assert abs(v1 - baseline) <= 0.005 * baseline
    # The ResNet paper prints 2 significant figures (3.8/7.6/11.3 G, and 3.8 looks
    # truncated from 3.86): a 3 % sanity bound, as NOTES.md suggests for paper rows.
    paper = _int(_row(name, "paper")["macs"])
    assert abs(v1 - paper) <= 0.03 * paper
    # ...which the default v1.5 layout must not pass for ResNet-50, where the stride's
    # position costs the most (4.089 vs 3.8 G): that is why the v1 variant is tested here.
    if name == "resnet50":
        assert abs(_macs(name) - paper) > 0.03 * paper


@pytest.mark.parametrize("name", ["resnet18", "resnet34"])
def test_resnet_basic_macs_near_paper(name: str) -> None:
    # Paper Table 1 gives 1.8 / 3.6 G (2 significant figures): 3 % sanity bound.
    paper = _int(_row(name, "paper")["macs"])
    assert abs(_macs(name) - paper) <= 0.03 * paper


@pytest.mark.parametrize(("name", "options", "timm_variant"), [
    ("resnet18", {}, "timm resnet18"),
    ("resnet34", {}, "timm resnet34"),
    ("resnet50", {}, "timm resnet50"),
    ("resnet101", {}, "timm resnet101"),
    ("resnet152", {}, "timm resnet152"),
    ("se_resnet50", {}, "timm legacy_seresnet50 (Cadene port)"),
    ("se_resnet50", {"stride_on": "3x3"}, "timm seresnet50 (timm ResNet v1.5 + SE)"),
    ("se_resnet101", {}, "timm legacy_seresnet101"),
    ("se_resnet101", {"stride_on": "3x3"}, "timm seresnet101 (v1.5 + SE)"),
    ("se_resnext50_32x4d", {}, "timm legacy_seresnext50_32x4d"),
])
def test_macs_near_timm(name: str, options: dict[str, object], timm_variant: str) -> None:
    # timm's profiler also counts BN etc. (~0.5 % more) and prints 2 decimals of GMACs:
    # 1 % plus half a unit of the last digit.
    published = _int(_row(name, timm_variant)["macs"])
    assert abs(_macs(name, **options) - published) <= 0.01 * published + 0.005e9


@pytest.mark.parametrize(("name", "options", "variant"), [
    ("se_resnet50", {}, "paper/legacy layout (stride on 1x1)"),
    ("se_resnet50", {"stride_on": "3x3"}, "timm seresnet50 layout (stride on 3x3)"),
    ("se_resnet101", {}, "paper/legacy layout"),
    ("se_resnext50_32x4d", {}, "stride on grouped 3x3, r=16"),
])
def test_senet_macs_equal_derived(name: str, options: dict[str, object], variant: str) -> None:
    assert _macs(name, **options) == _int(_row(name, variant)["macs"])


@pytest.mark.parametrize("name", SENETS)
def test_senet_macs_near_paper(name: str) -> None:
    # SENet Table 2 (3.87 / 7.60 / 4.25 G) also counts the SE pooling and channel scaling
    # (≈5.5M each for SE-ResNet-50, see NOTES.md) that a conv+linear count leaves out, and
    # prints 3 significant figures: 0.5 %, and the paper's figure may only be the larger.
    paper = _int(_row(name, "paper")["macs"])
    macs = _macs(name)
    assert 0 <= paper - macs <= 0.005 * paper


@pytest.mark.parametrize("reduction", [16, 8])
def test_se_adds_exactly_its_fc_layers(reduction: int) -> None:
    # Each SE block on C channels adds two FCs, C -> C//r -> C: 2*C*(C//r) MACs at 1×1, and
    # those weights plus C//r + C biases. Checked against the plain ResNet-50 v1.
    plain = _meta("resnet50", stride_on="1x1")
    se = _meta("resnet50", stride_on="1x1", se=True, se_reduction=reduction)
    widths = [256] * 3 + [512] * 4 + [1024] * 6 + [2048] * 3
    fc_macs = sum(2 * c * (c // reduction) for c in widths)
    assert torch_conv_linear_macs(se, IMAGE) - torch_conv_linear_macs(plain, IMAGE) == fc_macs
    assert param_count(se) - param_count(plain) == sum(
        2 * c * (c // reduction) + c // reduction + c for c in widths
    )


# ---------------------------------------------------------------- shapes and layout


def _output_shapes(model: nn.Module, size: tuple[int, ...], paths: list[str]) -> dict:
    """Output shape of each module path (the first call, for the reused ``relu``)."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    modules = dict(model.named_modules())
    for path in paths:
        def hook(_m: nn.Module, _i: object, out: torch.Tensor, path: str = path) -> None:
            shapes.setdefault(path, tuple(out.shape))
        handles.append(modules[path].register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(torch.empty(size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return shapes


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(d) for d in text.split("x"))


def test_resnet50_stage_shapes_match_oracle() -> None:
    with open(DATA / "shapes.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["model"] == "resnet50"]
    model = _meta("resnet50")
    modules = dict(model.named_modules())
    expected = {}
    for r in rows:
        path = r["module"].split(" ")[0]
        if path in modules:
            expected[path] = _shape(r["output_shape"])
    assert {"conv1", "maxpool", "layer1", "layer2", "layer2.0.conv1", "layer3", "layer4",
            "avgpool", "fc"} <= set(expected)
    assert _output_shapes(model, IMAGE, list(expected)) == expected
    # The "flatten" row: the head's input to fc.
    flat = next(r for r in rows if r["module"].startswith("flatten"))
    with torch.no_grad():
        pooled = model.forward_head(model.forward_features(torch.empty(IMAGE, device="meta")),
                                    pre_logits=True)
    assert tuple(pooled.shape) == _shape(flat["output_shape"])


def test_resnet50_v1_moves_the_stride_to_the_first_1x1() -> None:
    paths = ["layer2.0.conv1", "layer2.0.conv2", "layer2", "layer3", "layer4", "fc"]
    v15 = _output_shapes(_meta("resnet50"), IMAGE, paths)
    v1 = _output_shapes(_meta("resnet50", stride_on="1x1"), IMAGE, paths)
    assert v15["layer2.0.conv1"] == (1, 128, 56, 56)
    assert v1["layer2.0.conv1"] == (1, 128, 28, 28)  # the shapes.csv note on original v1
    assert v1["layer2.0.conv2"] == v15["layer2.0.conv2"] == (1, 128, 28, 28)
    assert {k: v for k, v in v1.items() if "." not in k} == {
        k: v for k, v in v15.items() if "." not in k
    }


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_se_keeps_every_block_output_shape(name: str) -> None:
    plain = _meta(name)
    se = _meta(name, se=True)
    block_paths = [p for p, m in plain.named_modules() if isinstance(m, (BasicBlock, Bottleneck))]
    se_paths = [p for p, m in se.named_modules() if isinstance(m, SEBlock)]
    assert se_paths == [f"{p}.se" for p in block_paths]  # one SE per block, inside it
    assert not any(isinstance(m, SEBlock) for m in plain.modules())
    plain_shapes = _output_shapes(plain, IMAGE, block_paths)
    assert len(plain_shapes) == len(block_paths)
    assert _output_shapes(se, IMAGE, block_paths) == plain_shapes
    # And each SE block itself gives back exactly the shape it was given.
    seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    handles = [se.get_submodule(p).register_forward_hook(
        lambda _m, i, o: seen.append((tuple(i[0].shape), tuple(o.shape)))) for p in se_paths]
    try:
        with torch.no_grad():
            se(torch.empty(IMAGE, device="meta"))
    finally:
        for h in handles:
            h.remove()
    assert len(seen) == len(se_paths)
    assert all(i == o for i, o in seen)


def test_se_rescales_the_residual_branch_before_the_add() -> None:
    # Drive the excitation to ~0 (sigmoid(-100)): the residual branch is switched off,
    # so an identity-shortcut block must reduce to relu(x). SE after the add would give 0.
    torch.manual_seed(0)
    block = build("resnet18", se=True).layer1[0].eval()
    assert block.downsample is None
    with torch.no_grad():
        block.se.excitation[2].weight.zero_()
        block.se.excitation[2].bias.fill_(-100.0)
        x = torch.randn(2, 64, 8, 8)
        torch.testing.assert_close(block(x.clone()), torch.relu(x))


def _torchvision_keys(layers: tuple[int, ...], bottleneck: bool) -> set[str]:
    """The state_dict keys of torchvision's ResNet, spelled out from its layout."""
    bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    keys = {"conv1.weight", "fc.weight", "fc.bias", *(f"bn1.{s}" for s in bn)}
    convs = (1, 2, 3) if bottleneck else (1, 2)
    for stage, blocks in enumerate(layers, start=1):
        for b in range(blocks):
            pre = f"layer{stage}.{b}"
            for c in convs:
                keys.add(f"{pre}.conv{c}.weight")
                keys.update(f"{pre}.bn{c}.{s}" for s in bn)
            if b == 0 and (bottleneck or stage > 1):
                keys.add(f"{pre}.downsample.0.weight")
                keys.update(f"{pre}.downsample.1.{s}" for s in bn)
    return keys


@pytest.mark.parametrize(("name", "layers", "bottleneck"), [
    ("resnet18", (2, 2, 2, 2), False),
    ("resnet34", (3, 4, 6, 3), False),
    ("resnet50", (3, 4, 6, 3), True),
    ("resnet101", (3, 4, 23, 3), True),
    ("resnet152", (3, 8, 36, 3), True),
])
def test_state_dict_keys_are_torchvision(name: str, layers: tuple[int, ...],
                                         bottleneck: bool) -> None:
    model = _meta(name)
    sd = model.state_dict()
    assert set(sd) == _torchvision_keys(layers, bottleneck)
    # Top-level children in torchvision's order; the `features` view adds no child.
    assert [n for n, _ in model.named_children()] == [*ResNet.STEM, *ResNet.BODY, *ResNet.HEAD]
    if bottleneck:
        assert sd["layer2.0.conv2.weight"].shape == (128, 128, 3, 3)
        assert sd["layer1.0.downsample.0.weight"].shape == (256, 64, 1, 1)
        assert sd["fc.weight"].shape == (1000, 2048)
    else:
        assert sd["layer2.0.downsample.0.weight"].shape == (128, 64, 1, 1)
        assert sd["fc.weight"].shape == (1000, 512)


def test_se_state_dict_adds_only_se_keys() -> None:
    plain = set(_meta("resnet50").state_dict())
    extra = set(_meta("resnet50", se=True).state_dict()) - plain
    assert plain <= set(_meta("resnet50", se=True).state_dict())
    assert len(extra) == 16 * 4
    assert all(k.split(".")[2:4] == ["se", "excitation"] for k in extra)


def test_one_relu_module_per_block_and_grouped_3x3() -> None:
    model = _meta("se_resnext50_32x4d")
    block = model.layer1[0]
    assert sum(isinstance(m, nn.ReLU) for m in block.children()) == 1
    assert block.conv2.groups == 32 and block.conv2.in_channels == 128
    assert block.conv3.out_channels == 256
    # SE-ResNeXt keeps the stride on the grouped 3×3, SE-ResNet on the first 1×1.
    assert model.layer2[0].conv2.stride == (2, 2) and model.layer2[0].conv1.stride == (1, 1)
    se50 = _meta("se_resnet50")
    assert se50.layer2[0].conv1.stride == (2, 2) and se50.layer2[0].conv2.stride == (1, 1)


# ---------------------------------------------------------------- real CPU forwards


def test_resnet_cpu_forward_and_train_step() -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    model = build("resnet50", num_classes=10, stride_on="1x1").eval()
    with torch.no_grad():
        out = model(x)
        torch.testing.assert_close(model.features(x), model.forward_features(x))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    assert model.forward_features(x).shape == (2, 2048, 2, 2)

    # Train mode: BN uses batch statistics and updates its running stats; gradients reach
    # the stem, the SE excitation and the fc.
    model = build("resnet18", num_classes=10, se=True).train()
    before = model.layer1[0].bn1.running_mean.clone()
    loss = nn.functional.cross_entropy(model(x), torch.tensor([1, 7]))
    loss.backward()
    assert torch.isfinite(loss)
    assert not torch.equal(model.layer1[0].bn1.running_mean, before)
    for p in (model.conv1.weight, model.layer4[1].se.excitation[0].weight, model.fc.weight):
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_senet_cpu_forward() -> None:
    # SE-ResNeXt exercises the grouped 3×3 on top of SE; the SE-ResNet path (SE + stride on
    # the 1×1) is covered by the ResNet test above.
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    model = build("se_resnext50_32x4d", num_classes=10).eval()
    with torch.no_grad():
        out = model(x)
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_cpu_build_has_torchvision_init() -> None:
    torch.manual_seed(0)
    model = build("resnet18")
    # Kaiming normal, fan_out, ReLU gain: std = sqrt(2 / (64 * 7 * 7)).
    std = model.conv1.weight.std().item()
    assert abs(std - (2 / (64 * 49)) ** 0.5) < 0.05 * std
    assert torch.equal(model.bn1.weight, torch.ones(64))
    assert torch.equal(model.bn1.bias, torch.zeros(64))


def test_meta_build_allocates_nothing() -> None:
    model = _meta("resnet152", se=True)
    assert all(p.device.type == "meta" for p in model.parameters())
    assert all(b.device.type == "meta" for b in model.buffers())


# ---------------------------------------------------------------- options and cards


def test_options_are_validated() -> None:
    with pytest.raises(VizcnnError):
        build("resnet18", stride_on="1x1")  # basic blocks have no 1×1 to stride
    with pytest.raises(VizcnnError):
        build("se_resnet50", se=False)  # SENet models are always SE
    with pytest.raises(ValueError):
        _meta("resnet50", stride_on="5x5")
    with pytest.raises(ValueError):
        _meta("resnet50", se=True, se_reduction=0)


def test_family_lists() -> None:
    assert list_models("ResNet") == RESNETS
    assert list_models("SENet") == SENETS


_IDEAS = {"large_kernels", "stacked_3x3", "inception", "aux_classifier", "residual",
          "bottleneck", "se", "depthwise", "inverted_residual", "channel_shuffle", "ghost",
          "grouped_conv"}


@pytest.mark.parametrize("name", RESNETS + SENETS)
def test_card(name: str) -> None:
    card = model_card(name)
    assert card.family == ("SENet" if name.startswith("se_") else "ResNet")
    assert card.paper and card.authors and card.input_size == 224
    assert card.year == (2017 if card.family == "SENet" else 2015)
    assert len(card.ideas_en.split()) > 20
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in card.ideas_zh) > 30

    # Every published figure is transcribed from a CSV row of this model, and the card
    # carries a paper row and a timm row (and a torchvision one where torchvision has it).
    rows = [r for r in ROWS if r["model"] == CSV_NAME[name]]
    for pub in card.published:
        assert pub.input_size == 224 and pub.source and pub.convention
        matches = [
            r for r in rows
            if (pub.params is None) == (r["params"] == "")
            and (pub.params is None or pub.params == _int(r["params"]))
            and pub.macs == _int(r["macs"])
            and r["variant"].split(" (")[0] in pub.source
        ]
        assert matches, (name, pub)
    kinds = {pub.source.split(" ")[0].rstrip(",") for pub in card.published}
    assert {"paper", "timm"} <= kinds
    if card.family == "ResNet":
        assert "torchvision" in kinds

    # Key blocks name real ideas and classes that occur in the built model.
    classes = {type(m).__name__ for m in _meta(name).modules()}
    assert card.key_blocks
    for idea, cls in card.key_blocks:
        assert idea in _IDEAS and cls in classes, (idea, cls)

    # Every builder keyword is a declared option with the same default, and vice versa.
    family_module = vizcnn.zoo.senet if card.family == "SENet" else vizcnn.zoo.resnet
    builder = getattr(family_module, name)
    params = inspect.signature(builder).parameters
    declared = {opt.name: opt for opt in card.options}
    assert set(params) - {"num_classes"} == set(declared)
    for opt in card.options:
        assert params[opt.name].default == opt.default
        assert opt.default in opt.choices and opt.help
        build_kwargs = {opt.name: opt.choices[-1]}
        assert param_count(_meta(name, **build_kwargs)) > 0
