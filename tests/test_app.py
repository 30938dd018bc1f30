"""The Streamlit app through AppTest: every tab, every control (found by key), the error paths
and the URL. Numbers shown are checked against the library, not against themselves."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import vizcnn
from vizcnn.render.emit import emit
from vizcnn.render.graphviz_run import render
from vizcnn.words import human
from vizcnn.words import WORDS
from vizcnn.words.app import EN, TAB_KEYS, ZH

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["tab"] = label
    return at.run()


def assert_clean(at: AppTest) -> None:
    """No exception element and no unexpected-error box on the page."""
    assert len(at.exception) == 0, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "went wrong" in e.value or "出错" in e.value]


def viewers(at: AppTest) -> list:
    """The graph viewer components on the page (not the one that carries their script)."""
    return [c for c in at.get("bidi_component")
            if c.proto.component_name == "vizcnn_graph_viewer"]


def graph_svg(at: AppTest) -> str:
    """What the graph viewer draws: its view model written as DOT for its open set by the
    emitter (the JavaScript one writes the same text, tests/test_viewer_emit.py), laid out
    by Graphviz."""
    found = viewers(at)
    assert len(found) == 1
    data = json.loads(found[0].proto.json)["viewer"]
    return render(emit(data["vm"], data["open"], data["fold"]), "svg").decode("utf-8")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def summary(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if " · Input **" in m.value or " · 输入 **" in m.value]
    assert len(lines) == 1
    return lines[0]


def chart_specs(at: AppTest) -> list[str]:
    """Each chart's title and trace types (from the Plotly JSON sent to the browser)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [spec["layout"]["title"]["text"] + " " + " ".join(d["type"] for d in spec["data"])
            for spec in specs]


# --- strings ---------------------------------------------------------------------------------
def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_label_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert set(EN) == set(ZH)
    assert {lang.value for lang in WORDS} == {"en", "zh"}
    for key in EN:
        assert EN[key].strip() and ZH[key].strip(), key
        assert _fields(EN[key]) == _fields(ZH[key]), key
    assert len({EN[k] for k in TAB_KEYS}) == len({ZH[k] for k in TAB_KEYS}) == len(TAB_KEYS)


# --- default page and tabs -------------------------------------------------------------------
def test_default_page_shows_resnet18_graph_and_totals() -> None:
    at = run_app()
    assert_clean(at)
    assert at.session_state["model"] == "resnet18"
    assert [t.label for t in at.tabs] == ["Graph", "Layers", "Compute", "Compare", "Learn"]
    svg = graph_svg(at)
    assert "<svg" in svg and "layer1" in svg
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    line = summary(at)
    assert human(t.params) in line and human(t.macs) in line and "MACs" in line
    assert {"model": "resnet18", "input": "1x3x224x224"}.items() <= _query(at).items()


def _query(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_every_tab_renders_without_errors() -> None:
    at = run_app(model="googlenet")
    open_tab(at, "Layers")
    assert_clean(at)
    assert len(at.dataframe) == 1 and len(at.metric) == 5
    assert not at.get("plotly_chart")
    open_tab(at, "Compute")
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 5
    assert len(viewers(at)) == 0  # lazy tabs
    open_tab(at, "Compare")
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 1  # the comparison; the sweep waits for its button
    open_tab(at, "Learn")
    assert_clean(at)
    assert any("googlenet" in h.value for h in at.header)


# --- sidebar: model ----------------------------------------------------------------------------
def test_family_and_variant_choose_the_model_and_show_its_card() -> None:
    at = run_app()
    at.selectbox(key="family").select("GoogLeNet").run()
    assert at.session_state["model"] == "googlenet"
    assert _query(at)["model"] == "googlenet"
    card = " ".join([m.value for m in at.markdown] + [e.label for e in at.expander])
    assert "Going Deeper with Convolutions" in card and "2014" in card
    at.selectbox(key="model").select("googlenet_paper").run()
    assert_clean(at)
    assert _query(at)["model"] == "googlenet_paper"
    at.selectbox(key="family").select("AlexNet").run()
    at.selectbox(key="model").select("alexnet_original").run()
    assert_clean(at)
    # a new model starts at its paper's input size
    assert (at.session_state["height"], at.session_state["width"]) == ("227", "227")
    assert "1×3×227×227" in summary(at)


@pytest.mark.parametrize(("model", "key", "value", "options"), [
    ("mobilenet_v2", "opt_width_mult", 0.5, {"width_mult": 0.5}),
    ("shufflenet_v1", "opt_groups", 8, {"groups": 8}),
    ("resnet50", "opt_stride_on", "1x1", {"stride_on": "1x1"}),
])
def test_variant_options_change_the_trace(model: str, key: str, value: object,
                                          options: dict) -> None:
    at = run_app(model=model)
    at.selectbox(key=key).select(value).run()
    assert_clean(at)
    expected = vizcnn.trace(model, (1, 3, 224, 224), **options)
    default = vizcnn.trace(model, (1, 3, 224, 224))
    assert (expected.params, expected.macs) != (default.params, default.macs)
    line = summary(at)
    assert human(expected.params) in line and human(expected.macs) in line
    assert _query(at)[f"o.{next(iter(options))}"] == str(value)


def test_se_toggle_adds_squeeze_excitation_blocks() -> None:
    at = run_app(model="resnet18")
    at.toggle(key="opt_se").set_value(True).run()
    assert_clean(at)
    expected = vizcnn.trace("resnet18", (1, 3, 224, 224), se=True)
    assert human(expected.params) in summary(at)
    open_tab(at, "Layers")
    at.text_input(key="l_filter").input("excitation").run()
    assert len(at.dataframe[0].value) > 0


def test_se_ratio_is_greyed_out_until_se_is_switched_on() -> None:
    at = run_app(model="resnet50")
    ratio = at.selectbox(key="opt_se_reduction")
    assert ratio.disabled and "only matters" in ratio.help.lower()
    at.toggle(key="opt_se").set_value(True).run()
    assert not at.selectbox(key="opt_se_reduction").disabled
    at.selectbox(key="opt_se_reduction").select(4).run()
    assert human(vizcnn.trace("resnet50", (1, 3, 224, 224), se=True, se_reduction=4).params) \
        in summary(at)
    assert not run_app(model="se_resnet50").selectbox(key="opt_se_reduction").disabled


def test_number_of_classes_changes_the_classifier() -> None:
    at = run_app(model="resnet18")
    at.text_input(key="classes").input("10").run()
    assert_clean(at)
    expected = vizcnn.trace("resnet18", (1, 3, 224, 224), num_classes=10)
    assert human(expected.params) in summary(at)
    assert _query(at)["classes"] == "10"


def test_train_mode_runs_googlenets_auxiliary_heads() -> None:
    at = run_app(model="googlenet")
    open_tab(at, "Layers")
    at.text_input(key="l_filter").input("aux").run()
    assert len(at.dataframe[0].value) == 0
    at.radio(key="mode").set_value("train").run()
    assert_clean(at)
    assert len(at.dataframe[0].value) > 0
    assert _query(at)["mode"] == "train"


# --- sidebar: input ----------------------------------------------------------------------------
def test_presets_and_input_fields_set_the_input_shape() -> None:
    at = run_app(model="resnet18")
    at.selectbox(key="preset").select(32).run()
    assert (at.session_state["height"], at.session_state["width"]) == ("32", "32")
    assert "1×3×32×32" in summary(at)
    at.selectbox(key="preset").select(299).run()
    assert "1×3×299×299" in summary(at)
    at.text_input(key="height").input("100").run()
    assert at.session_state["preset"] == "custom"
    at.text_input(key="batch").input("2").run()
    assert "2×3×100×299" in summary(at)
    assert _query(at)["input"] == "2x3x100x299"
    assert_clean(at)


# --- errors ------------------------------------------------------------------------------------
def test_alexnet_at_16_names_the_layer_and_the_smallest_input() -> None:
    at = run_app(model="alexnet", input="1x3x16x16")
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert "features" in errors[0] and "63×63" in errors[0]
    assert vizcnn.min_input_size("alexnet") == 63
    for tab in ("Layers", "Compute", "Learn"):
        open_tab(at, tab)
        assert_clean(at)
        assert at.info  # "nothing to show yet", not a crash
    # and the app keeps working once the input is fixed
    at.selectbox(key="preset").select(224).run()
    assert not at.error
    assert_clean(at)


def test_one_channel_input_to_resnet18_says_it_needs_three() -> None:
    at = run_app(model="resnet18")
    at.text_input(key="channels").input("1").run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert "conv1" in errors[0] and "3 input channels" in errors[0]
    assert "3-channel" in errors[0]


def test_error_hint_follows_the_train_mode_of_googlenets_paper_heads() -> None:
    # eval: the auxiliary heads do not run, anything from 31×31 up is fine (ceil-mode pooling
    # as PyTorch computes it; real meta execution agrees, tests/test_trace.py)
    at = run_app(model="googlenet_paper", input="1x3x30x30")
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "maxpool4" in errors[0] and "31×31" in errors[0]
    # train: the paper's heads (5×5 pool, then a 2048-input linear layer) fix the size
    at = run_app(model="googlenet_paper", input="1x3x96x96", mode="train", lang="zh")
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "aux1.fc1" in errors[0]
    assert "223×223 到 270×270" in errors[0] and "训练" in errors[0]
    for side in (223, 270):
        vizcnn.trace("googlenet_paper", (1, 3, side, side), training=True)
    for side in (222, 271):
        with pytest.raises(vizcnn.VizcnnError):
            vizcnn.trace("googlenet_paper", (1, 3, side, side), training=True)
    at.radio(key="mode").set_value("eval").run()
    assert not at.error  # 96×96 is fine without the heads
    assert_clean(at)


def test_an_unexpected_exception_becomes_an_error_box(monkeypatch) -> None:
    from vizcnn.ui import graph_tab

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(graph_tab, "graph_viewer", broken)
    at = run_app(model="resnet18")
    assert len(at.exception) == 0
    assert any("RuntimeError: boom" in e.value for e in at.error)
    open_tab(at, "Layers")  # the other tabs are unaffected
    assert not at.error and len(at.dataframe) == 1


def test_choices_survive_switching_tabs_and_source() -> None:
    at = run_app(model="googlenet")
    at.select_slider(key="g_depth").set_value(1).run()
    at.multiselect(key="g_expand").select("inception4a").run()
    open_tab(at, "Layers")  # the graph controls are not drawn here
    at.segmented_control(key="source").set_value("user").run()  # nor the zoo controls here
    at.segmented_control(key="source").set_value("zoo").run()
    assert at.session_state["model"] == "googlenet"
    open_tab(at, "Graph")
    assert at.session_state["g_depth"] == 1
    assert "inception4a.branch3" in graph_svg(at)


# --- URL -------------------------------------------------------------------------------------
def test_query_params_restore_model_options_input_mode_and_language() -> None:
    at = run_app(model="mobilenet_v2", input="2x3x160x160", **{"o.width_mult": "0.5"},
                 mode="train", classes="10", lang="zh")
    assert_clean(at)
    state = at.session_state
    assert (state["family"], state["model"], state["opt_width_mult"]) == (
        "MobileNet", "mobilenet_v2", 0.5)
    assert (state["batch"], state["channels"], state["height"], state["width"]) == (
        "2", "3", "160", "160")
    assert (state["mode"], state["classes"], state["lang"]) == ("train", "10", "zh")
    expected = vizcnn.trace("mobilenet_v2", (2, 3, 160, 160), width_mult=0.5, num_classes=10,
                            training=True)
    assert human(expected.macs) in summary(at)
    assert [t.label for t in at.tabs][0] == ZH["tab.graph"]
    assert _query(at)["model"] == "mobilenet_v2" and _query(at)["o.width_mult"] == "0.5"


def test_back_and_forward_buttons_bring_back_the_view_in_the_url(monkeypatch) -> None:
    from vizcnn.ui import query

    at = run_app(model="resnet18")
    open_tab(at, "Layers")
    at.selectbox(key="family").select("MobileNet").run()
    at.selectbox(key="model").select("mobilenet_v2").run()
    at.selectbox(key="opt_width_mult").select(0.5).run()
    assert _query(at)["model"] == "mobilenet_v2"
    # an ordinary rerun keeps the session's view even if the URL says otherwise ...
    at.query_params.clear()
    at.query_params.update(model="resnet18", input="1x3x224x224", lang="zh", mode="train")
    at.run()
    assert at.session_state["model"] == "mobilenet_v2"
    # ... but a rerun from the back button shows the URL's view, in its language
    at.query_params.clear()
    at.query_params.update(model="googlenet", input="1x3x160x160", lang="zh", mode="train",
                           **{"o.aux_logits": "False"})
    monkeypatch.setattr(query, "history_navigation", lambda: True)
    at.run()
    assert_clean(at)
    state = at.session_state
    assert (state["family"], state["model"], state["opt_aux_logits"]) == (
        "GoogLeNet", "googlenet", False)
    assert (state["height"], state["preset"], state["mode"], state["lang"]) == (
        "160", 160, "train", "zh")
    assert state["tab"] == ZH["tab.layers"]
    expected = vizcnn.trace("googlenet", (1, 3, 160, 160), aux_logits=False, training=True)
    assert human(expected.macs) in summary(at)


def test_invalid_query_params_are_reported_and_nothing_is_shown() -> None:
    at = run_app(model="no_such_net", input="big", mode="fast", lang="fr", classes="-3")
    assert_clean(at)
    errors = " ".join(e.value for e in at.error)
    for wrong in ("model=no_such_net", "input=big", "mode=fast", "lang=fr"):
        assert wrong in errors
    assert "eval, train" in errors and "1x3x224x224" in errors
    assert "-3" in errors and "1 to 100,000" in errors  # the classes field, as typed
    assert any("Nothing is shown" in i.value for i in at.info)
    assert not viewers(at)
    assert not [m for m in at.markdown if " · Input **" in m.value]  # no totals either
    assert _query(at)["model"] == "no_such_net"  # the link is left as it was
    # fixing the classes field and picking a model leaves the link behind
    at.text_input(key="classes").input("1000").run()
    at.selectbox(key="model").select("resnet34").run()
    assert_clean(at)
    assert not at.error
    assert human(vizcnn.trace("resnet34", (1, 3, 224, 224)).params) in summary(at)
    assert _query(at)["model"] == "resnet34" and _query(at)["input"] == "1x3x224x224"


# --- language ----------------------------------------------------------------------------------
def test_language_switch_translates_labels_and_keeps_the_open_tab() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Layers")
    at.radio(key="lang").set_value("zh").run()
    assert_clean(at)
    assert [t.label for t in at.tabs] == [ZH[k] for k in TAB_KEYS]
    assert at.session_state["tab"] == ZH["tab.layers"]
    assert at.selectbox(key="family").label == ZH["family"]
    assert ZH["total.macs"] in metrics(at)
    assert at.text_input(key="l_filter").label == ZH["l_filter"]
    at.radio(key="lang").set_value("en").run()
    assert at.session_state["tab"] == "Layers"
    assert "MACs (multiply-accumulates)" in metrics(at)


# --- graph tab ---------------------------------------------------------------------------------
def test_depth_and_expand_open_one_inception_block_branch_by_branch() -> None:
    at = run_app(model="googlenet")
    at.select_slider(key="g_depth").set_value(1).run()
    svg = graph_svg(at)
    assert "inception3a" in svg and "branch1" not in svg
    at.multiselect(key="g_expand").select("inception3a").run()
    assert_clean(at)
    svg = graph_svg(at)
    for branch in ("branch1", "branch2", "branch3", "branch4"):
        assert f"inception3a.{branch}" in svg
    assert "inception3b.branch1" not in svg
    # a deeper depth opens every block
    at.multiselect(key="g_expand").unselect("inception3a").run()
    at.select_slider(key="g_depth").set_value(2).run()
    assert "inception3b.branch1" in graph_svg(at)


def test_fold_direction_and_toggles_change_the_drawing() -> None:
    at = run_app(model="resnet50")
    folded = graph_svg(at)
    assert ">layer3.1–5</text>" in folded and ">×5</text>" in folded  # drawn once, ×5
    at.toggle(key="g_fold").set_value(False).run()
    unfolded = graph_svg(at)
    assert ">layer3.5</text>" in unfolded and ">×5</text>" not in unfolded

    def size(svg: str) -> tuple[float, float]:
        match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        assert match
        return float(match.group(1)), float(match.group(2))

    at.select_slider(key="g_depth").set_value(1).run()
    width, height = size(graph_svg(at))
    assert height > width
    at.radio(key="g_direction").set_value("LR").run()
    width, height = size(graph_svg(at))
    assert width > height
    at.toggle(key="g_legend").set_value(True).run()
    assert "legend" in graph_svg(at)
    edge_label = re.compile(r">\d+×\d+×\d+</text>")  # shapes on arrows (boxes say "out …")
    assert edge_label.search(graph_svg(at))
    at.toggle(key="g_shapes").set_value(False).run()
    assert not edge_label.search(graph_svg(at))
    at.toggle(key="g_key_blocks").set_value(False).run()
    assert "★" not in graph_svg(at)
    assert_clean(at)
    assert {b.key for b in at.download_button} >= {"dl_svg", "dl_png", "dl_pdf", "dl_dot"}


# --- layers tab --------------------------------------------------------------------------------
def test_layer_filters_and_totals() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Layers")
    t = vizcnn.trace("resnet18", (1, 3, 224, 224))
    shown = metrics(at)
    assert shown["Parameters"] == human(t.params)
    assert shown["MACs (multiply-accumulates)"] == human(t.macs)
    assert shown["FLOPs (2 × MACs + elementwise)"] == human(t.flops)
    assert shown["Buffers (BN statistics)"] == human(t.buffers)
    full = at.dataframe[0].value
    assert len(full) == len(t.table())
    at.text_input(key="l_filter").input("layer3").run()
    rows = at.dataframe[0].value
    assert 0 < len(rows) < len(full) and rows["path"].str.contains("layer3").all()
    at.text_input(key="l_filter").input("").run()
    at.multiselect(key="l_kinds").select("pool").run()
    rows = at.dataframe[0].value
    assert set(rows["kind"]) == {"pool"} and len(rows) == 2
    at.multiselect(key="l_kinds").unselect("pool").run()
    at.selectbox(key="l_depth").select(1).run()
    rows = at.dataframe[0].value
    assert list(rows["path"]) == list(t.table(1)["path"])
    assert_clean(at)
    assert {b.key for b in at.download_button} >= {"dl_csv", "dl_json", "dl_md"}


# --- compute tab -------------------------------------------------------------------------------
def test_compute_controls_label_macs_and_flops() -> None:
    at = run_app(model="mobilenet_v2")
    open_tab(at, "Compute")
    specs = chart_specs(at)
    assert len(specs) == 5 and "MACs (multiply-accumulates)" in specs[0]
    at.radio(key="c_metric").set_value("flops").run()
    specs = chart_specs(at)
    assert "FLOPs (2 × MACs + elementwise)" in specs[0]
    at.radio(key="c_style").set_value("sunburst").run()
    assert "sunburst" in chart_specs(at)[0]
    at.selectbox(key="c_top").select(10).run()
    assert "the 10 layers with most" in chart_specs(at)[1]
    assert_clean(at)


def test_chinese_draws_the_charts_and_the_graph_in_chinese() -> None:
    at = run_app(model="mobilenet_v2")
    open_tab(at, "Compute")
    at.radio(key="lang").set_value("zh").run()
    assert_clean(at)
    assert at.session_state["tab"] == ZH["tab.compute"]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [spec["layout"]["title"]["text"] for spec in specs]
    assert len(titles) == 5
    assert titles[0].startswith("mobilenet_v2：各模块的MACs（乘加次数），合计 ")
    assert titles[1] == "mobilenet_v2：每层的MACs（乘加次数）"
    assert "沿深度累计" in titles[2] and "各阶段" in titles[3] and "各操作类别" in titles[4]
    layers = specs[1]["layout"]
    assert layers["xaxis"]["title"]["text"] == "层（按执行顺序）"
    assert layers["yaxis"]["title"]["text"] == "MACs（乘加次数）"
    assert {d["name"] for d in specs[1]["data"]} >= {"深度卷积（逐通道）", "逐点卷积（1×1）"}
    at.radio(key="c_metric").set_value("flops").run()
    assert "FLOPs（浮点运算次数" in json.loads(at.get("plotly_chart")[0].proto.spec)[
        "layout"]["title"]["text"]
    # the graph (cached per GraphOptions, which carry the language)
    open_tab(at, ZH["tab.graph"])
    svg = graph_svg(at)
    assert "参数量" in svg and "乘加次数" in svg and "输出 " in svg
    at.radio(key="lang").set_value("en").run()
    assert_clean(at)
    svg = graph_svg(at)
    assert " params · " in svg and "MACs (multiply" in svg and "参数量" not in svg
    open_tab(at, "Compute")
    assert "mobilenet_v2: FLOPs (2 × MACs + elementwise) by module" in chart_specs(at)[0]


def test_chinese_comparison_chart() -> None:
    at = run_app(model="resnet18", lang="zh")
    open_tab(at, ZH["tab.compare"])
    at.multiselect(key="cmp_models").set_value(["alexnet", "resnet18"]).run()
    assert_clean(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "输入 1×3×224×224 时的模型对比"
    assert spec["layout"]["xaxis"]["title"]["text"] == "参数量（对数坐标）"


# --- compare tab -------------------------------------------------------------------------------
def test_compare_several_models_at_one_size() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.multiselect(key="cmp_models").set_value(["alexnet", "resnet18"]).run()
    at.text_input(key="cmp_side").input("32").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["model"]) == ["alexnet", "resnet18"]
    assert table["rejected because"].iloc[0]  # AlexNet cannot take 32×32
    assert not table["rejected because"].iloc[1]
    assert table["MACs"].iloc[1] == vizcnn.trace("resnet18", (1, 3, 32, 32)).macs


def test_resolution_sweep_runs_on_the_button() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.slider(key="sw_range").set_value((32, 96)).run()
    at.text_input(key="sw_step").input("32").run()
    assert len(at.get("plotly_chart")) == 1
    at.button(key="sw_run").click().run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2
    table = at.dataframe[-1].value
    assert list(table["input side"]) == [32, 64, 96]
    assert list(table["MACs"]) == [vizcnn.trace("resnet18", (1, 3, s, s)).macs
                                   for s in (32, 64, 96)]


# --- your model --------------------------------------------------------------------------------
MODEL_FILE = '''
from torch import nn

def build():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(8, 4))

NOT_A_MODEL = 3

def broken():
    return "not a module"
'''


def test_user_model_page_explains_how_to_enable_it(monkeypatch) -> None:
    monkeypatch.delenv("VIZCNN_ALLOW_USER_MODELS", raising=False)
    at = run_app()
    at.segmented_control(key="source").set_value("user").run()
    assert_clean(at)
    assert any("opts in" in w.value for w in at.warning)
    assert any("VIZCNN_ALLOW_USER_MODELS=1" in c.value for c in at.code)
    assert "user_spec" not in [t.key for t in at.text_input]


def test_user_model_is_imported_when_the_operator_opts_in(monkeypatch, tmp_path) -> None:
    path = tmp_path / "my_models.py"
    path.write_text(MODEL_FILE)
    monkeypatch.setenv("VIZCNN_ALLOW_USER_MODELS", "1")
    at = run_app()
    at.segmented_control(key="source").set_value("user").run()
    assert any("module:factory" in i.value for i in at.info)
    at.text_input(key="user_spec").input(f"{path}:build").run()
    assert_clean(at)
    assert not at.error
    assert "conv 3×3" in graph_svg(at)  # the user's Conv2d(3, 8, 3) is drawn
    assert _query(at)["source"] == "user"
    for tab in ("Layers", "Compute", "Compare", "Learn"):
        open_tab(at, tab)
        assert_clean(at)
    at.text_input(key="user_spec").input(f"{path}:broken").run()
    assert any("not an nn.Module" in e.value for e in at.error)
    at.text_input(key="user_spec").input(f"{path}:missing").run()
    assert any("no attribute" in e.value for e in at.error)
    assert len(at.exception) == 0


FIXED_SIZE_FILE = '''
from torch import nn

def lenet():  # a classifier of fixed width: 32×32 (or 33×33) inputs only
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(6 * 14 * 14, 10))

def exact():  # no pool to round down: 28×28 only
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 28 * 28, 10))
'''


def test_user_model_errors_say_what_went_wrong(monkeypatch, tmp_path) -> None:
    path = tmp_path / "fixed.py"
    path.write_text(FIXED_SIZE_FILE)
    monkeypatch.setenv("VIZCNN_ALLOW_USER_MODELS", "1")
    at = run_app()
    at.segmented_control(key="source").set_value("user").run()
    # a file that does not exist is not "an input that does not fit"
    at.text_input(key="user_spec").input(f"{tmp_path / 'missing.py'}:build").run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "does not exist" in errors[0]
    assert "could not be loaded" in errors[0] and "does not fit" not in errors[0]
    # a fixed-size classifier: the hint finds the sizes it takes (32 and 33: the 2×2 pool
    # floors 29 to 14), with its one channel, where no bigger size works
    at.text_input(key="user_spec").input(f"{path}:lenet").run()
    at.text_input(key="channels").input("1").run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "does not fit" in errors[0] and "(Linear, linear)" in errors[0]
    assert "1-channel" in errors[0] and "from 32×32 to 33×33 only" in errors[0]
    at.selectbox(key="preset").select(32).run()
    assert not at.error
    assert_clean(at)
    at.text_input(key="user_spec").input(f"{path}:exact").run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "the only square input it accepts is 28×28" in errors[0]


def test_user_model_opt_in_through_a_secret(monkeypatch) -> None:
    monkeypatch.delenv("VIZCNN_ALLOW_USER_MODELS", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["allow_user_models"] = True
    at.run()
    at.segmented_control(key="source").set_value("user").run()
    assert "user_spec" in [t.key for t in at.text_input]


def test_learn_what_if_can_be_shown_in_every_tab() -> None:
    at = run_app(model="mobilenet_v2")
    open_tab(at, "Learn")
    at.select_slider(key="learn_whatif_width").set_value(0.5).run()
    at.select_slider(key="learn_whatif_resolution").set_value(160).run()
    at.button(key="learn_whatif_apply").click().run()
    assert_clean(at)
    assert at.session_state["opt_width_mult"] == 0.5
    assert (at.session_state["height"], at.session_state["width"]) == ("160", "160")
    half = vizcnn.trace("mobilenet_v2", (1, 3, 160, 160), width_mult=0.5)
    assert human(half.macs) in summary(at)
