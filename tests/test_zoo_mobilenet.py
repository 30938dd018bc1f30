"""MobileNet V1/V2/V3: params and MACs against published_costs.csv, layout, forward, cards."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import vizcnn.zoo.mobilenet_v1  # noqa: F401
import vizcnn.zoo.mobilenet_v2  # noqa: F401
import vizcnn.zoo.mobilenet_v3  # noqa: F401
from conftest import param_count, reference_rows, torch_conv_linear_macs
from vizcnn.errors import VizcnnError
from vizcnn.zoo import build, list_models, model_card
from vizcnn.zoo.layers import make_divisible
from vizcnn.zoo.mobilenet_v3 import _LARGE, _SMALL, BneckConfig, MobileNetV3, _Row

NAMES = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
CSV_MODEL = {  # registry name -> the CSV's model label at width 1.0
    "mobilenet_v1": "MobileNetV1 1.0",
    "mobilenet_v2": "MobileNetV2 1.0",
    "mobilenet_v3_large": "MobileNetV3-Large 1.0",
    "mobilenet_v3_small": "MobileNetV3-Small 1.0",
}
V1_DERIVED = "paper Table 1 arch (conv/dw/pw + BN, fc 1024->1000)"
ROWS = reference_rows()


def row(model: str, variant: str) -> dict[str, str]:
    matches = [r for r in ROWS if r["model"] == model and r["variant"] == variant]
    assert len(matches) == 1, (model, variant)
    return matches[0]


def num(text: str) -> int:
    return int(round(float(text)))


def meta_model(name: str, **options: object) -> nn.Module:
    with torch.device("meta"):
        return build(name, **options)


def measure(model: nn.Module, size: int = 224) -> tuple[int, int]:
    return param_count(model), torch_conv_linear_macs(model, (1, 3, size, size))


def params_without_bn(model: nn.Module) -> int:
    bn = sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d)
             for p in m.parameters())
    return param_count(model) - bn


def within(value: int, reference: float, rel: float = 0.0, absolute: float = 0.0) -> bool:
    return abs(value - reference) <= max(rel * reference, absolute)


# ---------------------------------------------------------------- exact oracles

EXACT = [  # (name, width_mult, CSV model, CSV variant): derived-analytically rows, exact
    ("mobilenet_v1", 1.0, "MobileNetV1 1.0", V1_DERIVED),
    ("mobilenet_v1", 0.75, "MobileNetV1 0.75", V1_DERIVED),
    ("mobilenet_v1", 0.5, "MobileNetV1 0.5", V1_DERIVED),
    ("mobilenet_v1", 0.25, "MobileNetV1 0.25", V1_DERIVED),
    ("mobilenet_v2", 1.0, "MobileNetV2 1.0", "torchvision arch"),
    ("mobilenet_v3_large", 1.0, "MobileNetV3-Large 1.0", "torchvision arch"),
    ("mobilenet_v3_small", 1.0, "MobileNetV3-Small 1.0", "torchvision arch"),
]


@pytest.mark.parametrize("name, width, model, variant", EXACT)
def test_params_and_macs_exact_vs_derived(
    name: str, width: float, model: str, variant: str
) -> None:
    ref = row(model, variant)
    params, macs = measure(meta_model(name, width_mult=width), int(ref["input_size"]))
    assert params == num(ref["params"])
    assert macs == num(ref["macs"])


@pytest.mark.parametrize("name, width, model, variant", EXACT[:5])  # rows with the note
def test_params_without_bn_match_the_derived_note(
    name: str, width: float, model: str, variant: str
) -> None:
    note = re.search(r"without BN gamma/beta: (\d+)", row(model, variant)["notes"])
    assert note is not None
    assert params_without_bn(meta_model(name, width_mult=width)) == int(note.group(1))


TORCHVISION = [
    ("mobilenet_v2", "MobileNetV2 1.0", "torchvision mobilenet_v2 IMAGENET1K_V1/V2"),
    ("mobilenet_v3_large", "MobileNetV3-Large 1.0",
     "torchvision mobilenet_v3_large IMAGENET1K_V1/V2"),
    ("mobilenet_v3_small", "MobileNetV3-Small 1.0", "torchvision mobilenet_v3_small IMAGENET1K_V1"),
]


@pytest.mark.parametrize("name, model, variant", TORCHVISION)
def test_torchvision_num_params_and_ops(name: str, model: str, variant: str) -> None:
    ref = row(model, variant)
    params, macs = measure(meta_model(name))
    assert params == num(ref["params"])
    # _ops is printed to 3 decimals of a GMAC: allow half a unit of the last digit (0.0005 G).
    # (A flat 0.5 % would reject mobilenet_v3_small, whose 0.0565 G is rounded up to 0.057.)
    assert within(macs, num(ref["macs"]), absolute=0.0005e9)


# ---------------------------------------------------------------- published (rounded) figures

# (name, width_mult, CSV model, CSV variant, compare params without BN γ/β?)
# Papers and TF-slim: params within 3 % or within the rounding of the printed figure (half a
# unit of its last digit), MACs within 3 % (the NOTES' sanity bound; these are design-level,
# rounded figures, e.g. TF-slim's 0.75 V1 is 317M against the paper's and analytic 325M).
PUBLISHED = [
    ("mobilenet_v1", 1.0, "MobileNetV1 1.0", "paper 1.0 MobileNet-224", False),
    ("mobilenet_v1", 1.0, "MobileNetV1 1.0", "TF-slim mobilenet_v1_1.0_224", False),
    ("mobilenet_v1", 0.75, "MobileNetV1 0.75", "paper 0.75 MobileNet-224", False),
    ("mobilenet_v1", 0.75, "MobileNetV1 0.75", "TF-slim mobilenet_v1_0.75_224", False),
    ("mobilenet_v1", 0.5, "MobileNetV1 0.5", "paper 0.5 MobileNet-224", False),
    ("mobilenet_v1", 0.5, "MobileNetV1 0.5", "TF-slim mobilenet_v1_0.5_224", False),
    ("mobilenet_v1", 0.25, "MobileNetV1 0.25", "paper 0.25 MobileNet-224", False),
    ("mobilenet_v1", 0.25, "MobileNetV1 0.25", "TF-slim mobilenet_v1_0.25_224", False),
    # NOTES: TF-slim's V2 3.47M is the count without BN γ/β (3,470,760); the paper's 3.4M is
    # below even that, so it is compared with the no-BN count too (2.1 % off; 3.1 % with BN).
    ("mobilenet_v2", 1.0, "MobileNetV2 1.0", "paper", True),
    ("mobilenet_v2", 1.0, "MobileNetV2 1.0", "TF-slim mobilenet_v2_1.0_224", True),
    ("mobilenet_v3_large", 1.0, "MobileNetV3-Large 1.0", "paper", False),
    ("mobilenet_v3_large", 1.0, "MobileNetV3-Large 1.0", "TF-slim README", False),
    ("mobilenet_v3_small", 1.0, "MobileNetV3-Small 1.0",
     "paper (revision matching released arch)", False),
]


def rounding(text: str) -> float:
    """Half a unit of the last printed digit of a figure like '4.24e6' or '0.5e6'."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10 ** (int(exponent or 0) - decimals)


@pytest.mark.parametrize("name, width, model, variant, no_bn", PUBLISHED)
def test_paper_and_tfslim_figures(
    name: str, width: float, model: str, variant: str, no_bn: bool
) -> None:
    ref = row(model, variant)
    net = meta_model(name, width_mult=width)
    params = params_without_bn(net) if no_bn else param_count(net)
    size = int(ref["input_size"])
    macs = torch_conv_linear_macs(net, (1, 3, size, size))
    assert within(params, float(ref["params"]), rel=0.03, absolute=rounding(ref["params"]))
    assert within(macs, float(ref["macs"]), rel=0.03)


def test_v2_tfslim_params_are_the_count_without_bn() -> None:
    # TF-slim's 3.47M is the no-BN count to its printed rounding; with BN it would read 3.50M.
    ref = row("MobileNetV2 1.0", "TF-slim mobilenet_v2_1.0_224")
    net = meta_model("mobilenet_v2")
    assert within(params_without_bn(net), float(ref["params"]), absolute=rounding(ref["params"]))
    assert not within(param_count(net), float(ref["params"]), absolute=rounding(ref["params"]))


def test_v3_small_conflicting_paper_revision_is_not_this_architecture() -> None:
    # NOTES: the other paper revision / TF-slim (66M, 2.9M) is a different network; ours and
    # torchvision's are >10 % below it. If this ever passes the 3 % bound, something changed.
    ref = row("MobileNetV3-Small 1.0", "paper (other revision) / TF-slim README")
    params, macs = measure(meta_model("mobilenet_v3_small"))
    assert macs < 0.9 * float(ref["macs"]) and params < 0.9 * float(ref["params"])


def _paper_width_setting(
    rows: tuple[_Row, ...], width_mult: float
) -> tuple[BneckConfig, ...]:
    """The paper's/TF-slim's width rule: expanded = ratio × the *scaled* input channels."""
    out = []
    for in_c, k, exp, out_c, se, act, s in rows:
        scaled_in = make_divisible(in_c * width_mult, 8)
        out.append(BneckConfig(scaled_in, k, make_divisible(scaled_in * exp / in_c, 8),
                               make_divisible(out_c * width_mult, 8), se, act == "HS", s))
    return tuple(out)


@pytest.mark.parametrize("name, rows, head, model", [
    ("mobilenet_v3_large", _LARGE, 1280, "MobileNetV3-Large 0.75"),
    ("mobilenet_v3_small", _SMALL, 1024, "MobileNetV3-Small 0.75"),
])
def test_v3_width_075_paper_figures(
    name: str, rows: tuple[_Row, ...], head: int, model: str
) -> None:
    # Known reason for the difference (see mobilenet_v3's docstring): the paper's 0.75 models
    # derive expanded widths from the scaled input and keep the head at 1280/1024, where
    # torchvision's width_mult (our builder's) scales both. Test the variant that matches the
    # paper, built from the same classes, at the paper's rounding / 3 % bound...
    ref = row(model, "paper")
    with torch.device("meta"):
        paper_variant = MobileNetV3(_paper_width_setting(rows, 0.75), head)
    params, macs = measure(paper_variant)
    assert within(params, float(ref["params"]), rel=0.03, absolute=rounding(ref["params"]))
    assert within(macs, float(ref["macs"]), rel=0.03)
    # ...and confirm the torchvision-rule builder is the smaller net, by more than 3 %.
    tv_params, tv_macs = measure(meta_model(name, width_mult=0.75))
    assert tv_params < 0.97 * params and tv_macs < 0.97 * macs


# timm: params to their printed 2 decimals (M). timm's infer_gmacs comes from a profiler that
# also counts BN, activations and SE scaling; in depthwise-heavy nets those are several % of the
# conv+linear work (2 % for V1, 3 % V2, 6 % V3), not the ~0.5 % of ResNet. So the MAC check is
# one-sided: timm ≥ ours and at most 8 % above, each side widened by timm's rounding (0.005 G).
@pytest.mark.parametrize("name", NAMES)
def test_timm_figures(name: str) -> None:
    [ref] = [r for r in ROWS if r["model"] == CSV_MODEL[name] and r["variant"].startswith("timm")]
    params, macs = measure(meta_model(name))
    assert within(params, float(ref["params"]), absolute=0.005e6)
    timm_macs = float(ref["macs"])
    assert macs - 0.005e9 <= timm_macs <= 1.08 * macs + 0.005e9


# ---------------------------------------------------------------- layout

# Spot checks of torchvision's state_dict keys and shapes (so its checkpoints would load).
TORCHVISION_KEYS = {
    "mobilenet_v2": {
        "features.0.0.weight": (32, 3, 3, 3),
        "features.1.conv.0.0.weight": (32, 1, 3, 3),
        "features.1.conv.1.weight": (16, 32, 1, 1),
        "features.1.conv.2.running_mean": (16,),
        "features.2.conv.0.0.weight": (96, 16, 1, 1),
        "features.2.conv.1.0.weight": (96, 1, 3, 3),
        "features.2.conv.2.weight": (24, 96, 1, 1),
        "features.17.conv.2.weight": (320, 960, 1, 1),
        "features.18.0.weight": (1280, 320, 1, 1),
        "classifier.1.weight": (1000, 1280),
    },
    "mobilenet_v3_large": {
        "features.0.0.weight": (16, 3, 3, 3),
        "features.1.block.0.0.weight": (16, 1, 3, 3),
        "features.1.block.1.0.weight": (16, 16, 1, 1),
        "features.4.block.2.fc1.weight": (24, 72, 1, 1),
        "features.4.block.2.fc2.bias": (72,),
        "features.4.block.3.1.weight": (40,),
        "features.15.block.1.0.weight": (960, 1, 5, 5),
        "features.16.0.weight": (960, 160, 1, 1),
        "classifier.0.weight": (1280, 960),
        "classifier.3.weight": (1000, 1280),
    },
    "mobilenet_v3_small": {
        "features.1.block.0.0.weight": (16, 1, 3, 3),
        "features.1.block.1.fc1.weight": (8, 16, 1, 1),
        "features.1.block.2.0.weight": (16, 16, 1, 1),
        "features.11.block.2.fc1.weight": (144, 576, 1, 1),
        "features.12.0.weight": (576, 96, 1, 1),
        "classifier.0.weight": (1024, 576),
        "classifier.3.weight": (1000, 1024),
    },
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_KEYS))
def test_torchvision_state_dict_layout(name: str) -> None:
    state = meta_model(name).state_dict()
    for key, shape in TORCHVISION_KEYS[name].items():
        assert tuple(state[key].shape) == shape, key
    last = {"mobilenet_v2": 18, "mobilenet_v3_large": 16, "mobilenet_v3_small": 12}[name]
    assert f"features.{last}.0.weight" in state and not any(
        k.startswith(f"features.{last + 1}.") for k in state)


def test_v1_blocks_are_named_after_the_paper() -> None:
    net = meta_model("mobilenet_v1")
    blocks = [m for m in net.features if type(m).__name__ == "DepthwiseSeparable"]
    assert len(blocks) == 13
    assert blocks[0].depthwise[0].groups == 32 and blocks[0].pointwise[0].kernel_size == (1, 1)
    assert [b.depthwise[0].stride[0] for b in blocks].count(2) == 4
    assert isinstance(net.classifier, nn.Linear) and net.classifier.in_features == 1024


def test_inverted_residual_is_a_spindle_with_identity_when_shapes_match() -> None:
    net = meta_model("mobilenet_v2")
    block = net.features[3]  # 24 -> 144 -> 24, stride 1
    assert block.use_res_connect
    assert block.conv[0][0].out_channels == 6 * block.conv[0][0].in_channels
    assert block.conv[-2].out_channels == block.conv[0][0].in_channels
    assert not isinstance(block.conv[-1], (nn.ReLU, nn.ReLU6))  # linear bottleneck
    assert not net.features[2].use_res_connect  # 16 -> 24, stride 2


@pytest.mark.parametrize("name, index", [("mobilenet_v2", 3), ("mobilenet_v3_large", 3)])
def test_identity_shortcut_is_added(name: str, index: int) -> None:
    # Zero the projection's BN: the residual branch outputs 0, so the block is the identity.
    block = build(name).features[index].eval()
    assert block.use_res_connect
    last_bn = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)][-1]
    nn.init.zeros_(last_bn.weight)
    nn.init.zeros_(last_bn.bias)
    x = torch.randn(1, last_bn.num_features, 8, 8)
    with torch.no_grad():
        assert torch.equal(block(x), x)


def test_v3_uses_hardswish_hardsigmoid_se_and_tf_batchnorm() -> None:
    net = meta_model("mobilenet_v3_large")
    se = [m for m in net.modules() if type(m).__name__ == "SqueezeExcitation"]
    assert len(se) == 8 and all(isinstance(m.scale_activation, nn.Hardsigmoid) for m in se)
    assert isinstance(net.features[0][2], nn.Hardswish)
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.eps == 1e-3 and m.momentum == 0.01 for m in bns)


# ---------------------------------------------------------------- width multiplier


@pytest.mark.parametrize("name", NAMES)
def test_width_mult_scales_params_and_keeps_channels_divisible_by_8(name: str) -> None:
    [option] = [o for o in model_card(name).options if o.name == "width_mult"]
    counts = []
    for width in sorted(option.choices):
        net = meta_model(name, width_mult=width)
        counts.append(param_count(net))
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                assert m.out_channels % 8 == 0 and (m.in_channels == 3 or m.in_channels % 8 == 0)
            elif isinstance(m, nn.Linear):
                assert m.in_features % 8 == 0
    assert counts == sorted(counts) and len(set(counts)) == len(counts)


def test_builders_reject_unknown_options_and_bad_widths() -> None:
    with pytest.raises(VizcnnError):
        build("mobilenet_v2", depth_mult=1.0)
    with pytest.raises(ValueError):
        meta_model("mobilenet_v3_small", width_mult=0.0)


def test_meta_build_is_fast() -> None:
    import time

    meta_model("mobilenet_v3_large")  # warm up lazy torch initialisation
    start = time.perf_counter()
    for name in NAMES:
        meta_model(name)
    assert time.perf_counter() - start < 1.0  # ~0.1 s measured for all four


# ---------------------------------------------------------------- real forward on CPU


@pytest.fixture
def one_thread():
    """Tiny tensors gain nothing from intra-op threads, and on a busy shared machine the
    spinning OpenMP workers made these forwards 50× slower; restore the setting after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("name", NAMES)
def test_cpu_forward_and_train_mode(name: str, one_thread: None) -> None:
    torch.manual_seed(0)
    net = build(name, num_classes=10)
    x = torch.randn(2, 3, 64, 64)
    net.eval()
    with torch.no_grad():
        out = net(x)
        again = net(x)
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    assert torch.equal(out, again)  # eval is deterministic (dropout off, BN running stats)
    net.train()
    loss = net(x).logsumexp(1).mean()
    loss.backward()
    assert all(p.grad is not None for p in net.parameters())
    if name != "mobilenet_v1":  # V2/V3 heads have dropout, active in train mode only
        with torch.no_grad():
            assert not torch.equal(net(x), net(x))


# ---------------------------------------------------------------- cards


def test_family_lists_all_four() -> None:
    assert sorted(list_models("MobileNet")) == sorted(NAMES)


def _matches_a_csv_row(cost, model: str) -> bool:
    return any(
        r["model"] == model and num(r["params"]) == cost.params and num(r["macs"]) == cost.macs
        and int(r["input_size"]) == cost.input_size and "derived" not in r["source"]
        for r in ROWS
    )


@pytest.mark.parametrize("name", NAMES)
def test_card(name: str) -> None:
    card = model_card(name)
    assert card.family == "MobileNet" and card.input_size == 224 and card.paper and card.authors
    assert len(card.published) >= 3
    assert all(_matches_a_csv_row(c, CSV_MODEL[name]) for c in card.published)
    for width, costs in card.extra.get("published_by_width_mult", {}).items():
        model = CSV_MODEL[name].replace("1.0", str(width))
        assert costs and all(_matches_a_csv_row(c, model) for c in costs)
    assert len(card.ideas_en) > 80
    assert len(re.findall(r"[\u4e00-\u9fff]", card.ideas_zh)) > 40  # written in Chinese
    assert [o.name for o in card.options] == ["width_mult"]
    classes = {type(m).__name__ for m in meta_model(name).modules()}
    assert card.key_blocks and all(cls in classes for _, cls in card.key_blocks)
    allowed = {"depthwise", "inverted_residual", "residual", "se"}
    assert set(card.ideas) <= allowed and "depthwise" in card.ideas
