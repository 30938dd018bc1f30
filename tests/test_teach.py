"""The teaching computations against hand calculations (vizcnn.teach)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch
from torch import nn

import vizcnn
from vizcnn.experiments import lessons
from vizcnn.teach import (
    depthwise, formulas, ghost, residual, se, shuffle, vgg_stacks,
)
from vizcnn.experiments import what_if, whatif
from vizcnn.words import Lang, as_lang, fields, fmt_int, fmt_pct, human, keys, tr

SIZE = (1, 3, 224, 224)


@pytest.fixture(scope="module")
def traces() -> dict[str, vizcnn.Trace]:
    names = ("googlenet", "resnet50", "resnet18", "se_resnet50", "mobilenet_v2", "ghostnet",
             "vgg16", "shufflenet_v2_x1_0")
    found = {name: vizcnn.trace(name, SIZE) for name in names}
    found["alexnet_original"] = vizcnn.trace("alexnet_original", (1, 3, 227, 227))
    return found


# ------------------------------------------------------------------------------ text


def test_every_key_exists_in_both_languages_with_the_same_numbers() -> None:
    assert keys(Lang.EN) == keys(Lang.ZH)
    for key in keys(Lang.EN):
        assert fields(Lang.EN, key) == fields(Lang.ZH, key), key


def test_chinese_uses_the_seed_vocabulary() -> None:
    zh = "".join(tr(Lang.ZH, k, **{f: 1 for f in fields(Lang.ZH, k)}) for k in keys(Lang.ZH))
    for word in ("感受野", "通道注意力", "深度可分离卷积", "逐点卷积", "倒残差", "纺锤", "沙漏",
                 "通道混洗", "恒等映射", "降维", "升维"):
        assert word in zh, word


def test_language_names_and_errors() -> None:
    assert as_lang("zh") is Lang.ZH and as_lang("English") is Lang.EN and as_lang("中文") is Lang.ZH
    with pytest.raises(vizcnn.VizcnnError):
        as_lang("fr")
    with pytest.raises(vizcnn.VizcnnError):
        tr("en", "no_such_key")
    with pytest.raises(vizcnn.VizcnnError):
        tr("en", "learn_title")  # the {model} number is missing


def test_number_formats() -> None:
    assert fmt_int(105_415_200) == "105,415,200"
    assert fmt_int(1234, tex=True) == "1{,}234"
    assert fmt_int(-2500, signed=True) == "−2,500" and fmt_int(7, signed=True) == "+7"
    assert human(4_089_184_256) == "4.09G" and human(25_557_032) == "25.6M"
    assert human(-1_500_000, signed=True) == "−1.5M" and human(512) == "512"
    assert human(2_530_992, signed=True) == "+2.53M" and human(0, signed=True) == "0"
    assert fmt_pct(12.345) == "+12.3 %" and fmt_pct(-45) == "−45.0 %" and fmt_pct(None) == "n/a"
    assert fmt_pct(0.0617) == "+0.062 %" and fmt_pct(0.25) == "+0.25 %" and fmt_pct(0) == "±0.0 %"


# ------------------------------------------------------------------------------ formulas


def test_alexnet_first_conv_at_227(traces) -> None:
    wf = formulas.worked_formula_for(traces["alexnet_original"], "features.0")
    h, w = wf.axes
    # ⌊(227 − 11)/4⌋ + 1 = 55
    assert (h.numerator, h.result, w.result) == (216, 55, 55)
    assert h.steps == ("⌊(227 + 2·0 − 1·(11 − 1) − 1) / 4⌋ + 1", "⌊216 / 4⌋ + 1", "54 + 1",
                       "55")
    assert wf.macs.result == 55 * 55 * 96 * 3 * 11 * 11 == wf.macs.traced
    assert wf.params.result == 96 * 3 * 11 * 11 + 96 == wf.params.traced
    assert wf.matches
    latex = formulas.to_latex(wf)
    assert r"\frac{216}{4}" in latex[1] and "105{,}415{,}200" in latex[-1]
    assert "55" in formulas.to_markdown(wf, "zh")


def test_linear_and_adaptive_pool(traces) -> None:
    vgg = traces["vgg16"]
    fc = formulas.worked_formula_for(vgg, "classifier.0")
    assert fc.axes == () and fc.macs.result == 25088 * 4096 == fc.macs.traced
    assert fc.params.result == 25088 * 4096 + 4096
    pool = formulas.worked_formula_for(traces["resnet50"], "avgpool")
    assert [a.result for a in pool.axes] == [1, 1] and pool.macs is None
    assert pool.flops.result == 2048 * 7 * 7 == pool.flops.traced
    with pytest.raises(vizcnn.VizcnnError):
        formulas.worked_formula_for(vgg, "features.1")  # a ReLU


def test_every_layer_formula_agrees_with_the_trace(traces) -> None:
    for name in ("googlenet", "mobilenet_v2", "ghostnet", "se_resnet50", "alexnet_original"):
        t = traces[name]
        ids = formulas.formula_nodes(t)
        assert ids
        bad = [i for i in ids if not formulas.worked_formula_for(t, i).matches]
        assert bad == [], (name, bad)


def test_ceil_mode_correction_padding_same_and_dilation() -> None:
    with torch.device("meta"):
        model = nn.Sequential(
            nn.MaxPool2d(2, 2, padding=1, ceil_mode=True),   # 5 → ⌈5/2⌉ + 1 = 4, corrected to 3
            nn.Conv2d(3, 8, 3, padding="same"),
            nn.Conv2d(8, 8, 3, padding=2, dilation=2),
        )
    t = vizcnn.trace(model, (1, 3, 5, 5))
    pool = formulas.worked_formula_for(t, "0")
    assert pool.axes[0].corrected and pool.axes[0].result == 3 and pool.matches
    assert "⌈" in pool.axes[0].steps[0]
    for node_id in ("1", "2"):
        wf = formulas.worked_formula_for(t, node_id)
        assert wf.matches and wf.axes[0].result == 3


# ------------------------------------------------------------------------------ VGG


@pytest.mark.parametrize("channels", [32, 64])
def test_three_3x3_against_one_7x7_and_two_against_5x5(channels: int) -> None:
    c2 = channels * channels
    two, three = [vgg_stacks.compare_stack(*lessons.stack_variants(channels, 28, n), n)
                  for n in (2, 3)]
    assert (two.stacked.params, two.single.params) == (18 * c2, 25 * c2)
    assert (three.stacked.params, three.single.params) == (27 * c2, 49 * c2)
    assert (three.stacked.coefficient, three.single.coefficient) == (27, 49)
    assert two.stacked.receptive_field == two.single.receptive_field == 5
    assert three.stacked.receptive_field == three.single.receptive_field == 7
    assert three.stacked.macs == 27 * c2 * 28 * 28  # stride 1, same padding: params × H × W
    assert (three.stacked.relus, three.single.relus) == (3, 1)


def test_vgg16_stacks(traces) -> None:
    stacks = vgg_stacks.find_stacks(traces["vgg16"])
    assert [len(s.node_ids) for s in stacks] == [2, 2, 3, 3, 3]
    assert [s.window for s in stacks] == [5, 5, 7, 7, 7]
    assert [s.out_channels for s in stacks] == [64, 128, 256, 512, 512]


# ------------------------------------------------------------------------------ Inception


def test_inception_branches_and_reduction_saving(traces) -> None:
    from vizcnn.ui.learn import inception_blocks   # the Learn tab's composition

    blocks = inception_blocks(traces["googlenet"])
    assert len(blocks) == 9
    first = blocks[0]
    assert first.path == "inception3a" and first.out_channels == 256
    assert [b.out_channels for b in first.branches] == [64, 128, 32, 32]
    assert sum(b.share for b in first.branches) == pytest.approx(1.0)
    assert first.reductions == ("inception3a.branch2.0.conv", "inception3a.branch3.0.conv")
    # without reductions, at 28×28 from 192 channels: 1×1→64, 3×3→128, (torchvision) 3×3→32,
    # pool → 1×1→32
    assert first.macs_without == 28 * 28 * 192 * (64 + 128 * 9 + 32 * 9 + 32)
    for block in blocks:
        assert block.macs_rebuilt == block.macs
        assert block.macs_without > block.macs and block.conv_params_without > block.conv_params


# ------------------------------------------------------------------------------ residual


def test_resnet50_shortcuts_and_hourglass(traces) -> None:
    blocks = residual.residual_blocks(traces["resnet50"])
    assert len(blocks) == 16
    projections = [b.path for b in blocks if b.shortcut is residual.Shortcut.PROJECTION]
    assert projections == ["layer1.0", "layer2.0", "layer3.0", "layer4.0"]
    assert all(b.profile is residual.Profile.HOURGLASS for b in blocks)
    assert blocks[1].steps == (("in", 256), ("conv1", 64), ("conv2", 64), ("conv3", 256))
    assert blocks[0].projection == ("layer1.0.downsample.0",)


def test_inverted_residual_is_a_spindle(traces) -> None:
    blocks = {b.path: b for b in residual.residual_blocks(traces["mobilenet_v2"])}
    b3 = blocks["features.3"]
    assert b3.shortcut is residual.Shortcut.IDENTITY and b3.profile is residual.Profile.SPINDLE
    assert [c for _, c in b3.steps] == [24, 144, 144, 24]
    assert blocks["features.2"].shortcut is residual.Shortcut.NONE
    basic = residual.residual_blocks(traces["resnet18"])
    assert all(b.profile is residual.Profile.FLAT for b in basic)
    ghost_blocks = residual.residual_blocks(traces["ghostnet"])
    assert [c for _, c in ghost_blocks[1].steps] == [16, 48, 48, 24]  # ghost1, dw, ghost2


def test_profile_classification() -> None:
    assert residual.classify([("in", 256), ("a", 64), ("b", 256)]) is residual.Profile.HOURGLASS
    assert residual.classify([("in", 24), ("a", 144), ("b", 24)]) is residual.Profile.SPINDLE
    assert residual.classify([("in", 64), ("a", 64), ("b", 64)]) is residual.Profile.FLAT


# ------------------------------------------------------------------------------ SE


def test_se_shape_walk_as_in_the_seed(traces) -> None:
    walk = se.se_walk(traces["se_resnet50"])
    assert walk.path == "layer1.0.se"
    assert (walk.channels, walk.hidden, walk.reduction) == (256, 16, 16)
    assert walk.shapes == (
        (1, 256, 56, 56), (1, 256, 1, 1), (1, 256), (1, 16), (1, 256), (1, 256, 1, 1),
        (1, 256, 56, 56),
    )
    assert walk.keeps_shape
    seed = [s.symbols for s in walk.steps if s.op in ("adaptive_avg_pool", "view", "linear",
                                                       "mul")]
    assert seed == [("b", "c", "1", "1"), ("b", "c"), ("b", "c/r"), ("b", "c"),
                    ("b", "c", "1", "1"), ("b", "c", "h", "w")]


def _se_cost(t: vizcnn.Trace) -> se.SECost:
    return se.se_cost(*lessons.se_variant(t, se.se_paths(t)))


def test_cost_of_se() -> None:
    plain = vizcnn.trace("resnet50", SIZE)
    with_se = vizcnn.trace("se_resnet50", SIZE, stride_on="3x3")
    option = _se_cost(plain)
    assert option.how == "option" and option.blocks == 16
    assert (option.without_se.params, option.with_se.params) == (plain.params, with_se.params)
    # per SE block on C channels, r = 16: FC C→C/16 and C/16→C with biases
    hand = sum(n * (2 * c * (c // 16) + c // 16 + c)
               for n, c in ((3, 256), (4, 512), (6, 1024), (3, 2048)))
    assert option.params_delta.absolute == with_se.params - plain.params == hand
    assert option.params_delta.percent == pytest.approx(hand / plain.params * 100)
    removed = _se_cost(with_se)
    assert removed.how == "removed"
    assert (removed.without_se.params, removed.without_se.macs) == (plain.params, plain.macs)
    assert (removed.with_se.params, removed.with_se.macs) == (with_se.params, with_se.macs)
    with pytest.raises(vizcnn.VizcnnError):
        _se_cost(vizcnn.trace("vgg16", SIZE))


# ------------------------------------------------------------------------------ depthwise


def _ratio(t: vizcnn.Trace, dw: str | None = None) -> depthwise.SeparableRatio:
    return depthwise.separable_ratio(t, lessons.standard_conv(*depthwise.pair(t, dw)), dw)


def test_depthwise_ratio_is_exactly_one_over_n_plus_one_over_k2() -> None:
    r = _ratio(lessons.separable_pair(64, 128, kernel=3, size=56, stride=1))
    assert r.standard_macs == 56 * 56 * 128 * 64 * 9
    assert r.depthwise_macs == 56 * 56 * 64 * 9 and r.pointwise_macs == 56 * 56 * 64 * 128
    assert r.measured == Fraction(1, 128) + Fraction(1, 9) == r.formula


def test_depthwise_ratio_on_a_real_layer(traces) -> None:
    t = traces["mobilenet_v2"]
    assert len(depthwise.depthwise_pairs(t)) == 17
    r = _ratio(t, "features.3.conv.1.0")
    assert (r.in_channels, r.out_channels, r.pw_node) == (144, 24, "features.3.conv.2")
    assert r.measured == r.formula == Fraction(1, 24) + Fraction(1, 9)
    with pytest.raises(vizcnn.VizcnnError):
        _ratio(traces["vgg16"])


def test_spindle_beside_hourglass(traces) -> None:
    t = traces["mobilenet_v2"]
    spindle, hourglass = depthwise.profile_blocks(t, lessons.contrast_traces(t))
    assert (spindle.model, spindle.contrast) == ("mobilenet_v2", False)
    assert spindle.block.path == "features.3" and spindle.block.profile is residual.Profile.SPINDLE
    assert (hourglass.model, hourglass.contrast) == ("resnet50", True)
    assert hourglass.block.path == "layer1.1"
    assert hourglass.block.profile is residual.Profile.HOURGLASS
    fig = depthwise.profile_figure([spindle, hourglass], "zh")
    assert len(fig.data) == 4 and "纺锤" in fig.layout.annotations[0].text
    assert "resnet50" in fig.layout.annotations[1].text and "对比" in fig.layout.annotations[1].text


def test_resnet18_profile_shows_its_own_block_and_marks_the_others(traces) -> None:
    """The defect: the resnet18 page drew resnet50's 256→64→64→256 block with a conv3 as if
    it were resnet18's."""
    t = traces["resnet18"]
    shown = depthwise.profile_blocks(t, lessons.contrast_traces(t))
    own = [s for s in shown if not s.contrast]
    assert [s.block.path for s in own] == ["layer1.0"] and own[0].model == "resnet18"
    assert [c for _, c in own[0].block.steps] == [64, 64, 64]
    assert all(label != "conv3" for label, _ in own[0].block.steps)
    others = {s.model: s.block for s in shown if s.contrast}
    assert set(others) == {"mobilenet_v2", "resnet50"}
    titles = [a.text for a in depthwise.profile_figure(shown, "en").layout.annotations]
    assert titles[0] == "flat: layer1.0"
    assert all("another model, for contrast" in t for t in titles[1:])
    assert any("resnet50" in t and "layer1.1" in t for t in titles[1:])


def test_shufflenet_has_depthwise_pairs_and_pooled_shortcuts() -> None:
    """The defects: no depthwise-then-pointwise pair found in ShuffleNet (its 1×1 after the
    depthwise conv is grouped), and its downsampling shortcuts listed as "none"."""
    t = vizcnn.trace("shufflenet_v1", SIZE, groups=8)
    pairs = depthwise.depthwise_pairs(t)
    assert len(pairs) == 16 and pairs[0] == ("features.stage2.0.dwconv",
                                             "features.stage2.0.gconv2")
    r = _ratio(t, pairs[1][0])
    assert r.pw_groups == 8 and r.measured == r.formula == (
        Fraction(1, r.out_channels) + Fraction(1, 8 * 9))
    counts = residual.shortcut_counts(residual.residual_blocks(t))
    assert counts[residual.Shortcut.POOLED] == 3 and counts[residual.Shortcut.NONE] == 0
    assert counts[residual.Shortcut.IDENTITY] == 13


# ------------------------------------------------------------------------------ shuffle, ghost


def test_shuffle_permutation() -> None:
    assert lessons.shuffle_permutation(6, 3) == [0, 2, 4, 1, 3, 5]
    c, g = 24, 4
    assert lessons.shuffle_permutation(c, g) == [(j % g) * (c // g) + j // g for j in range(c)]
    assert lessons.shuffle_permutation(5, 1) == [0, 1, 2, 3, 4]
    with pytest.raises(vizcnn.VizcnnError):
        lessons.shuffle_permutation(7, 3)
    with pytest.raises(vizcnn.VizcnnError):
        shuffle.shuffle_map(6, 3, [0, 1, 2, 3, 4, 4])
    smap = shuffle.shuffle_map(6, 3, lessons.shuffle_permutation(6, 3))
    assert smap.group_of == (0, 0, 1, 1, 2, 2)
    fig = shuffle.shuffle_figure(smap, "en")
    assert len(fig.data) == 6  # lines and markers per group


def test_shuffle_layers_of_shufflenet(traces) -> None:
    layers = shuffle.shuffle_layers(traces["shufflenet_v2_x1_0"])
    assert len(layers) == 16 and layers[0][1] == 116
    assert set(lessons.shuffle_groups(traces["shufflenet_v2_x1_0"])) == {2}
    assert set(lessons.shuffle_groups(vizcnn.trace("shufflenet_v1", SIZE, groups=8))) == {8}


@pytest.mark.parametrize("groups", [2, 3, 4, 8])
def test_the_shuffle_lesson_always_moves_channels(groups: int) -> None:
    """The defect: at groups 8 the lesson drew 8 channels, one per group, so the shuffle was
    the identity and nothing moved."""
    choices, default = shuffle.lesson_channels(groups)
    assert default in choices and all(c % groups == 0 and c // groups >= 2 for c in choices)
    for channels in choices:
        perm = lessons.shuffle_permutation(channels, groups)
        assert perm != sorted(perm)


def _ghost_for(c: int, n: int, ratio: int, size: int) -> ghost.GhostSaving:
    module = lessons.ghost_module(c, n, ratio, size=size)
    return ghost.ghost_saving(module, "0", lessons.plain_conv(*ghost.plain_conv_args(module, "0")))


def test_ghost_module_saves_about_s() -> None:
    g = _ghost_for(960, 160, ratio=2, size=7)
    assert g.plain_macs == 7 * 7 * 160 * 960
    assert g.ghost_macs == 7 * 7 * 80 * 960 + 7 * 7 * 80 * 9
    assert g.macs_ratio == pytest.approx(2, abs=0.03)
    assert Fraction(g.plain_macs, g.ghost_macs) == g.formula  # s divides n: exact
    assert _ghost_for(512, 512, ratio=4, size=14).macs_ratio == pytest.approx(
        4, rel=0.06)


def test_ghost_modules_of_ghostnet(traces) -> None:
    t = traces["ghostnet"]
    savings = [ghost.ghost_saving(t, p, lessons.plain_conv(*ghost.plain_conv_args(t, p)))
               for p in ghost.ghost_paths(t)]
    assert len(savings) == 32
    for g in savings:
        assert g.ratio == 2 and 1 < g.macs_ratio < 2
        assert Fraction(g.plain_macs, g.ghost_macs) == g.formula


# ------------------------------------------------------------------------------ what-if


def test_what_if_width_and_resolution(traces) -> None:
    base = traces["mobilenet_v2"]
    w = what_if(base, {"width_mult": 0.5}, resolution=160)
    assert (w.base.params, w.base.macs) == (base.params, base.macs)
    changed = vizcnn.trace("mobilenet_v2", (1, 3, 160, 160), width_mult=0.5)
    assert (w.changed.params, w.changed.macs) == (changed.params, changed.macs)
    assert w.changed_spec == changed.spec and w.changed_options == {"width_mult": 0.5}
    assert w.deltas["macs"].absolute == changed.macs - base.macs
    assert w.deltas["macs"].percent == pytest.approx((changed.macs / base.macs - 1) * 100)
    same = what_if(traces["vgg16"], {})
    assert all(d.absolute == 0 for d in same.deltas.values())


def test_what_if_traces_in_the_mode_of_the_trace(traces) -> None:
    # GoogLeNet's auxiliary heads run in train mode only, so the two modes differ
    eval_mode = what_if(traces["googlenet"], {"transform_input": True})
    train = vizcnn.trace("googlenet", SIZE, training=True)
    train_mode = what_if(train, {"transform_input": True})
    assert eval_mode.base.macs == traces["googlenet"].macs
    assert train_mode.base.macs == train.macs
    assert train_mode.changed.macs == vizcnn.trace("googlenet", SIZE, training=True,
                                                   transform_input=True).macs
    assert train_mode.changed.macs > eval_mode.changed.macs


def test_what_if_starts_from_the_traced_options_not_the_defaults() -> None:
    g8 = vizcnn.trace("shufflenet_v1", SIZE, groups=8, num_classes=10)
    half = what_if(g8, {"scale": 0.5})
    expected = vizcnn.trace("shufflenet_v1", SIZE, groups=8, scale=0.5, num_classes=10)
    assert (half.base.params, half.changed.params) == (g8.params, expected.params)
    assert half.changed_spec.model.option("groups") == 8


def test_what_if_groups_and_se_ratio(traces) -> None:
    g8 = what_if(vizcnn.trace("shufflenet_v1", SIZE), {"groups": 8})
    assert g8.changed.params == vizcnn.trace("shufflenet_v1", SIZE, groups=8).params
    r4 = what_if(traces["se_resnet50"], {"se_reduction": 4})
    assert r4.deltas["params"].absolute > 0  # a wider SE bottleneck has more weights


def test_what_if_knobs_and_errors(traces) -> None:
    kinds = lambda name: [k.knob for k in whatif.knobs(name, SIZE)]  # noqa: E731
    assert kinds("vgg16") == [whatif.Knob.RESOLUTION]
    assert kinds("shufflenet_v1") == [whatif.Knob.RESOLUTION, whatif.Knob.GROUPS,
                                      whatif.Knob.WIDTH]
    assert kinds("resnet50") == [whatif.Knob.RESOLUTION, whatif.Knob.SE, whatif.Knob.SE_RATIO]
    with pytest.raises(vizcnn.VizcnnError):
        what_if(traces["ghostnet"], {"width": 0.7})
    with pytest.raises(vizcnn.VizcnnError):
        what_if(traces["vgg16"], {"width_mult": 0.5})
    with pytest.raises(vizcnn.VizcnnError):
        what_if(traces["vgg16"], {}, resolution=16)  # too small for five 2×2 pools
    with pytest.raises(vizcnn.VizcnnError, match="zoo model"):
        what_if(vizcnn.trace(nn.Conv2d(3, 4, 3), (1, 3, 8, 8)), {})
