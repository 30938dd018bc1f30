"""The Learn tab through Streamlit's AppTest: every family in both languages, no exception,
the expected headings and hand-checked numbers on the page, and live what-if sliders."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import vizcnn

from vizcnn.words import Lang, tr


def _app(model: str, lang: str, size: int, prefixes: tuple[str, ...]) -> None:
    import vizcnn
    from vizcnn.ui.learn import render_learn_tab

    trace = vizcnn.trace(model, (1, 3, size, size))
    for prefix in prefixes:
        render_learn_tab(trace, model, lang, key_prefix=prefix)


def _run(model: str, lang: str, size: int = 224,
         prefixes: tuple[str, ...] = ("learn",)) -> AppTest:
    at = AppTest.from_function(_app, args=(model, lang, size, prefixes), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page(at: AppTest) -> str:
    """All text on the page: markdown, LaTeX, captions and the tables' cells."""
    parts = [m.value for m in at.markdown] + [m.value for m in at.latex]
    parts += [c.value for c in at.caption]
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


# model → (section headings expected besides the formula and what-if, hand-checked text)
CASES: dict[str, tuple[tuple[str, ...], dict[Lang, tuple[str, ...]]]] = {
    "googlenet": (("sec_inception",), {
        # inception3a without its 1×1 reductions: 28·28·192·(64 + 128·9 + 32·9 + 32)
        Lang.EN: ("231,211,008", "inception3a.branch2"),
        Lang.ZH: ("231,211,008", "降维"),
    }),
    "resnet50": (("sec_residual", "sec_se"), {
        Lang.EN: ("hourglass", "256 → 64 → 64 → 256", "projection"),
        Lang.ZH: ("沙漏", "256 → 64 → 64 → 256", "恒等映射"),
    }),
    "se_resnet50": (("sec_residual", "sec_se"), {
        Lang.EN: ("(1, 256, 56, 56) → (1, 256, 1, 1) → (1, 256) → (1, 16) → (1, 256) → "
                  "(1, 256, 1, 1) → (1, 256, 56, 56)", "c/r = 16 (r = 16)"),
        Lang.ZH: ("(1, 256, 56, 56) → (1, 256, 1, 1) → (1, 256) → (1, 16)", "c/r = 16",
                  "通道注意力"),
    }),
    "mobilenet_v2": (("sec_residual", "sec_depthwise"), {
        # first depthwise → pointwise pair: M = 32 → N = 16, k = 3: 1/16 + 1/9 = 0.17361
        Lang.EN: ("spindle", r"\frac{1}{16} + \frac{1}{9} = 0.17361", "24 → 144 → 144 → 24"),
        Lang.ZH: ("纺锤", "深度卷积", "逐点卷积", "0.17361"),
    }),
    "shufflenet_v2_x1_0": (("sec_shuffle", "sec_depthwise"), {
        # C = 12, g = 2 (the model's groups): output j takes channel (j % 2)·6 + j // 2
        Lang.EN: ("[0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]", "116 channels in 2 groups"),
        Lang.ZH: ("[0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]", "通道混洗"),
    }),
    "ghostnet": (("sec_ghost", "sec_se", "sec_residual"), {
        # the widest Ghost module: 960 → 160 at 7×7; plain 1×1 conv = 49·960·160 MACs
        Lang.EN: ("7,526,400", "1.98×"),
        Lang.ZH: ("7,526,400", "1.98"),
    }),
    "vgg16": (("sec_vgg",), {
        Lang.EN: ("27·C²", "49·C²", "18·C²", "25·C²"),
        Lang.ZH: ("27·C²", "49·C²", "感受野"),
    }),
}


@pytest.mark.parametrize("lang", [Lang.EN, Lang.ZH])
@pytest.mark.parametrize("model", list(CASES))
def test_learn_tab_renders(model: str, lang: Lang) -> None:
    at = _run(model, lang.value)
    sections, expected = CASES[model]
    headings = [h.value for h in at.subheader]
    for key in ("sec_formula", *sections, "sec_whatif"):
        assert tr(lang, key) in headings, (key, headings)
    assert not at.error, [e.value for e in at.error]
    page = _page(at)
    for snippet in expected[lang]:
        assert snippet in page, snippet
    assert tr(lang, "check_ok") in page


def test_layer_picker_shows_the_alexnet_formula() -> None:
    at = _run("alexnet_original", "en", size=227)
    at.selectbox(key="learn_layer").set_value("features.0").run()
    assert not at.exception
    latex = "\n".join(m.value for m in at.latex)
    # ⌊(227 − 11)/4⌋ + 1 = 55
    assert r"\frac{216}{4}" in latex and "54 + 1 = 55" in latex
    assert "105{,}415{,}200" in latex


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_what_if_sliders_change_the_totals() -> None:
    at = _run("mobilenet_v2", "en")
    before = _metrics(at)
    assert before[tr("en", "label_params")] == "3.5M"
    at.select_slider(key="learn_whatif_width").set_value(0.5).run()
    after = _metrics(at)
    assert after[tr("en", "label_params")] == "1.97M"  # 1,968,680 parameters at 0.5×
    at.select_slider(key="learn_whatif_resolution").set_value(160).run()
    smaller = _metrics(at)
    assert smaller[tr("en", "label_macs")] != after[tr("en", "label_macs")]
    assert [m.delta for m in at.metric if m.delta]  # the change against the default is shown
    assert not at.exception and not at.error


def test_what_if_se_toggle_and_ratio() -> None:
    at = _run("resnet50", "zh")
    label = tr("zh", "label_params")
    assert _metrics(at)[label] == "25.6M"
    at.checkbox(key="learn_whatif_se").check().run()
    assert _metrics(at)[label] == "28.1M"       # se_resnet50's 28,088,024
    at.select_slider(key="learn_whatif_se_ratio").set_value(4).run()
    assert _metrics(at)[label] == "35.6M"       # r = 4: 28,088,024 + 7,547,664
    assert not at.exception


def test_a_bad_what_if_shows_an_error_not_a_traceback() -> None:
    at = _run("alexnet_original", "en", size=227)
    at.select_slider(key="learn_whatif_resolution").set_value(64).run()
    assert not at.exception
    assert at.error and "does not fit" in at.error[0].value


def test_what_if_default_equals_the_trace() -> None:
    at = _run("googlenet", "en")
    table = at.dataframe[-1].value
    macs = table[table.iloc[:, 0] == tr("en", "label_macs")].iloc[0, 1]
    assert macs == vizcnn.trace("googlenet", (1, 3, 224, 224)).macs  # eval: no aux heads


def test_unknown_language_is_an_error_box() -> None:
    at = _run("vgg16", "fr")
    assert at.error and not at.subheader


@pytest.mark.parametrize("model", ["ghostnet", "shufflenet_v2_x1_0", "googlenet", "vgg16"])
def test_two_tabs_on_one_page_have_distinct_keys(model: str) -> None:
    at = _run(model, "en", prefixes=("a", "b"))
    at.select_slider(key="b_whatif_resolution").set_value(160).run()
    assert not at.exception
    a = at.select_slider(key="a_whatif_resolution").value
    b = at.select_slider(key="b_whatif_resolution").value
    assert (a, b) == (224, 160)


def _custom_app() -> None:
    from torch import nn

    import vizcnn
    from vizcnn.ui.learn import render_learn_tab

    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 2))
    render_learn_tab(vizcnn.trace(model, (2, 3, 33, 33)), "MyNet", "zh")


def test_a_model_outside_the_zoo_gets_the_worked_formulas() -> None:
    at = AppTest.from_function(_custom_app, default_timeout=60)
    at.run()
    assert not at.exception and not at.error
    assert [h.value for h in at.subheader] == [tr("zh", "sec_formula")]
    latex = "\n".join(m.value for m in at.latex)
    # ⌊(33 − 3)/2⌋ + 1 = 16, batch 2: MACs = 2·16·16·8·3·3·3
    assert r"\frac{30}{2}" in latex and "= 16" in latex and "110{,}592" in latex


def _app_with_options(model: str, options: dict) -> None:
    import vizcnn
    from vizcnn.ui.learn import render_learn_tab

    trace = vizcnn.trace(model, (1, 3, 224, 224), **options)
    render_learn_tab(trace, model, "en")


def test_whatif_starts_from_the_traced_options() -> None:
    at = AppTest.from_function(_app_with_options, args=("mobilenet_v2", {"width_mult": 0.5}),
                               default_timeout=60)
    at.run()
    assert not at.exception
    assert at.select_slider(key="learn_whatif_width").value == 0.5
    half = vizcnn.trace("mobilenet_v2", (1, 3, 224, 224), width_mult=0.5)
    now = at.dataframe[-1].value.iloc[0]
    assert now["Now"] == half.params and now["Changed"] == half.params
    at.select_slider(key="learn_whatif_width").set_value(1.0).run()
    changed = at.dataframe[-1].value.iloc[0]
    assert changed["Now"] == half.params and changed["Changed"] == 3_504_872


# --- issue 9: each lesson shows the picked model's own block, every number from its trace ---


def _run_with(model: str, options: dict) -> AppTest:
    at = AppTest.from_function(_app_with_options, args=(model, options), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _chart_titles(at: AppTest) -> list[str]:
    """The subplot titles of every Plotly chart on the page."""
    import json

    figures = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return [a["text"] for f in figures for a in f.get("layout", {}).get("annotations", [])
            if "text" in a]


def test_resnet18_page_shows_its_own_block_and_marks_contrasts() -> None:
    at = _run_with("resnet18", {})
    page = _page(at)
    table = next(f.value for f in at.dataframe if "Shortcut" in f.value.columns)
    assert list(table["Block"])[:2] == ["layer1.0", "layer1.1"]   # resnet18's own blocks
    assert set(table["Channels"]) == {"64 → 64 → 64", "64 → 128 → 128", "128 → 256 → 256",
                                      "128 → 128 → 128", "256 → 512 → 512", "256 → 256 → 256",
                                      "512 → 512 → 512"}
    titles = _chart_titles(at)
    assert titles[0] == "flat: layer1.0"
    assert "hourglass: resnet50 · layer1.1<br>(another model, for contrast)" in titles[1:]
    assert "spindle: mobilenet_v2 · features.3<br>(another model, for contrast)" in titles[1:]
    assert "resnet18 has no hourglass block" in page


def test_shufflenet_v1_groups_8_page() -> None:
    at = _run_with("shufflenet_v1", {"groups": 8})
    page = _page(at)
    headings = [h.value for h in at.subheader]
    assert tr("en", "sec_depthwise") in headings
    assert tr("en", "depthwise_none") not in page
    assert "features.stage2.0.dwconv → features.stage2.0.gconv2" in \
        at.selectbox(key="learn_dw_layer").options
    assert "3 with an average-pooled shortcut" in page and "0 without a shortcut" in page
    assert at.select_slider(key="learn_shuffle_groups").value == 8
    channels = at.select_slider(key="learn_shuffle_channels_g8").value
    assert channels == 16
    perm = [int(p) for p in page.split("takes input channel: [")[1].split("]")[0].split(", ")]
    assert perm != sorted(perm)             # the channels really move
    assert "first mixes 96 channels in 8 groups" in page


def _user_residual_app() -> None:
    import torch
    from torch import nn

    import vizcnn
    from vizcnn.ui.learn import render_learn_tab

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(8, 4, 1), nn.Conv2d(4, 8, 3, padding=1)
            self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv2(torch.relu(self.conv1(x)))
            return x + y * torch.sigmoid(self.fc(self.pool(y)))

    render_learn_tab(vizcnn.trace(nn.Sequential(Block(), Block()), (1, 8, 16, 16)), "Mine", "en")


def test_a_user_model_gets_the_lessons_its_structure_shows() -> None:
    """Without a model card the sections follow the structure found on the edges."""
    at = AppTest.from_function(_user_residual_app, default_timeout=60)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    headings = [h.value for h in at.subheader]
    assert tr("en", "sec_residual") in headings and tr("en", "sec_se") in headings
    page = _page(at)
    assert "2 residual blocks: 2 with an identity shortcut" in page
    assert "8 → 4 → 8" in page                        # its own hourglass
    assert any("live module" in i.value for i in at.info)   # SE cost needs a rebuild
