"""Issue 9 in the app: every view shows the trace it was given, named with its options, and
a value the page cannot take is refused where it is seen, with the accepted range.

Each test here failed before the fix it is named after."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

import vizcnn
from test_app import assert_clean, graph_svg, open_tab, run_app, summary, viewers, _query
from vizcnn.words import human

G8 = {"model": "shufflenet_v1", "o.groups": "8"}


@pytest.fixture
def offered(monkeypatch) -> dict[str, str]:
    """The file name of every download button drawn, by key."""
    names: dict[str, str] = {}
    original = DeltaGenerator.download_button

    def record(self, label, data, file_name=None, *args, **kwargs):
        names[kwargs.get("key")] = file_name
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    monkeypatch.setattr(st, "download_button", lambda *a, **kw: record(st._main, *a, **kw))
    return names


def compare_rows(at: AppTest) -> dict[str, dict]:
    table = at.dataframe[0].value
    return {row["model"]: row for row in table.to_dict("records")}


# --- Compare -------------------------------------------------------------------------------
def test_compare_shows_the_chosen_model_with_its_options_not_the_defaults() -> None:
    at = run_app(**G8)
    open_tab(at, "Compare")
    at.multiselect(key="cmp_models").set_value(["shufflenet_v1", "alexnet"]).run()
    assert_clean(at)
    g8 = vizcnn.trace("shufflenet_v1", (1, 3, 224, 224), groups=8)
    rows = compare_rows(at)
    assert rows["shufflenet_v1 (groups=8)"]["params"] == g8.params == 2_434_768
    assert 1_865_728 not in {r["params"] for r in rows.values()}  # the groups-3 figure
    assert human(g8.params) in summary(at)


def test_compare_row_of_the_chosen_model_keeps_its_batch_and_mode() -> None:
    at = run_app(model="googlenet", mode="train", input="2x3x224x224")
    open_tab(at, "Compare")
    at.multiselect(key="cmp_models").set_value(["googlenet", "resnet18"]).run()
    rows = compare_rows(at)
    train = vizcnn.trace("googlenet", (2, 3, 224, 224), training=True)
    assert rows["googlenet"]["MACs"] == train.macs
    assert rows["resnet18"]["MACs"] == vizcnn.trace("resnet18", (2, 3, 224, 224)).macs


def test_compare_table_names_the_model_first_and_a_rejected_model_has_no_figures() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.multiselect(key="cmp_models").set_value(["alexnet", "resnet18"]).run()
    at.text_input(key="cmp_side").input("32").run()
    table = at.dataframe[0].value
    assert list(table.columns)[0] == "model"
    alexnet = table.iloc[0]
    assert alexnet["rejected because"] and "features" in alexnet["rejected because"]
    for column in ("params", "MACs", "FLOPs"):
        assert alexnet[column] is None or str(alexnet[column]) == "<NA>"  # not 0
    assert table.iloc[1]["params"] == vizcnn.trace("resnet18", (1, 3, 32, 32)).params


# --- file names -----------------------------------------------------------------------------
def test_download_names_name_the_options(offered) -> None:
    names: dict[str, dict[str, str]] = {}
    for groups in ("3", "8"):
        offered.clear()
        at = run_app(model="shufflenet_v1", **{"o.groups": groups})
        for tab in ("Layers", "Compute", "Compare"):
            open_tab(at, tab)
        assert_clean(at)
        names[groups] = dict(offered)
    assert names["3"]["dl_svg"] == "shufflenet_v1_1x3x224x224.svg"
    assert names["8"]["dl_svg"] == "shufflenet_v1_groups8_1x3x224x224.svg"
    assert names["8"]["dl_csv"] == "shufflenet_v1_groups8_1x3x224x224.csv"
    assert names["8"]["dl_chart_kinds"] == "shufflenet_v1_groups8_1x3x224x224_kinds.html"
    for key in names["3"]:
        assert names["3"][key] != names["8"][key], key


# --- URL --------------------------------------------------------------------------------------
def test_url_keeps_the_tab_depth_and_open_blocks_and_restores_them() -> None:
    at = run_app(model="googlenet")
    at.select_slider(key="g_depth").set_value(1).run()
    at.multiselect(key="g_expand").select("inception4a").run()
    query = _query(at)
    assert (query["tab"], query["depth"], query["open"]) == ("graph", "1", "inception4a")
    open_tab(at, "Layers")
    assert _query(at)["tab"] == "layers"
    again = run_app(**{**_query(at), "tab": "graph"})
    assert_clean(again)
    assert again.session_state["g_depth"] == 1
    assert again.session_state["g_expand"] == ["inception4a"]
    assert "inception4a.branch3" in graph_svg(again) and "inception4b.branch3" not in graph_svg(
        again)
    layers = run_app(model="googlenet", tab="layers", lang="zh")
    assert layers.session_state["tab"] == "各层" and len(layers.dataframe) == 1


def test_url_depth_or_block_the_model_does_not_have_is_refused_and_nothing_drawn() -> None:
    at = run_app(model="alexnet", depth="9", open="features,no.such.block")
    assert_clean(at)
    refused = " ".join(e.value for e in at.error)
    assert "depth=9" in refused and "1–" in refused
    assert "no.such.block" in refused
    assert any("Nothing is shown" in i.value for i in at.info)
    assert viewers(at) == []          # no graph at a depth the link did not ask for
    assert at.session_state["g_expand"] == ["features"]
    at.session_state["g_depth"] = 1   # the person picks a view of their own: it is drawn
    at.run()
    assert_clean(at)
    assert not at.error and len(viewers(at)) == 1


# --- number fields and link values ------------------------------------------------------------
@pytest.mark.parametrize(("typed", "why"), [
    ("abc", "not a whole number"), ("", "is empty"), ("1e3", "not a whole number"),
    ("3.7", "not a whole number"), ("0", "outside the accepted range"),
    ("-5", "outside the accepted range"), ("8192", "outside the accepted range"),
])
def test_a_bad_side_is_refused_with_its_range_and_nothing_is_shown(typed: str, why: str) -> None:
    at = run_app(model="resnet18")
    assert graph_svg(at)
    at.text_input(key="height").input(typed).run()
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and why in errors[0] and "Height" in errors[0]
    assert "1 to 4,096" in errors[0]
    assert any("Nothing is shown" in i.value for i in at.info)
    assert not at.get("bidi_component")  # no stale graph
    assert not [m for m in at.markdown if " · Input **" in m.value]  # no stale totals
    for tab in ("Layers", "Compare"):
        open_tab(at, tab)
        assert not at.dataframe and not at.metric


def test_every_number_field_is_checked(monkeypatch) -> None:
    at = run_app(model="resnet18")
    for key, bad, accepted in (("batch", "2.5", "1 to 1,024"), ("channels", "x", "1 to 64"),
                               ("classes", "1e3", "1 to 100,000"),
                               ("width", "99999", "1 to 4,096")):
        at.text_input(key=key).input(bad).run()
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and accepted in errors[0], (key, errors)
        at.text_input(key=key).input({"batch": "1", "channels": "3", "classes": "1000",
                                      "width": "224"}[key]).run()
        assert not at.error
    open_tab(at, "Compare")
    at.text_input(key="cmp_side").input("4.5").run()
    assert any("Input side" in e.value and "1 to 2,048" in e.value for e in at.error)
    assert not at.get("plotly_chart")
    at.text_input(key="cmp_side").input("224").run()
    at.text_input(key="sw_step").input("0").run()
    assert any("Step" in e.value and "1 to 512" in e.value for e in at.error)
    assert "sw_run" not in [b.key for b in at.button]


def test_an_out_of_range_input_in_the_link_is_refused_not_replaced() -> None:
    at = run_app(model="resnet18", input="1x3x8192x224")
    assert_clean(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "8192" in errors[0] and "1 to 4,096" in errors[0]
    assert at.session_state["height"] == "8192"  # the field shows what the link asked
    assert not at.get("bidi_component")
    assert _query(at)["input"] == "1x3x8192x224"


# --- sweep ------------------------------------------------------------------------------------
def test_the_sweep_runs_exactly_the_range_asked() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.slider(key="sw_range").set_value((8, 1024)).run()
    at.text_input(key="sw_step").input("8").run()
    at.button(key="sw_run").click().run()
    assert_clean(at)
    sides = list(at.dataframe[-1].value["input side"])
    assert sides == list(range(8, 1025, 8)) and sides[-1] == 1024


def test_a_sweep_too_long_says_why_and_runs_nothing() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.slider(key="sw_range").set_value((8, 1024)).run()
    at.text_input(key="sw_step").input("1").run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "1017 sizes" in errors[0] and "at most 128" in errors[0]
    assert "step of 8" in errors[0]
    assert "sw_run" not in [b.key for b in at.button]


def test_a_sweep_of_other_settings_is_not_shown() -> None:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.slider(key="sw_range").set_value((32, 96)).run()
    at.button(key="sw_run").click().run()
    assert len(at.get("plotly_chart")) == 2
    at.toggle(key="opt_se").set_value(True).run()
    assert len(at.get("plotly_chart")) == 1  # the comparison only: the sweep was of resnet18
    assert any("settings changed" in i.value for i in at.info)


# --- Learn and the header -----------------------------------------------------------------------
def test_what_if_baseline_and_header_are_the_trace_with_its_options() -> None:
    at = run_app(model="shufflenet_v1", input="1x3x160x160", classes="10", **{"o.groups": "8"})
    open_tab(at, "Learn")
    assert_clean(at)
    t = vizcnn.trace("shufflenet_v1", (1, 3, 160, 160), groups=8, num_classes=10)
    assert "**shufflenet_v1 (groups=8, classes=10)**" in summary(at)
    assert whatif_baseline(at) == [t.params, t.macs, t.flops]


def whatif_baseline(at: AppTest) -> list[int]:
    """The what-if table's "now" column: params, MACs, FLOPs (the last table of Learn)."""
    return [int(v) for v in at.dataframe[-1].value.iloc[:3, 1]]


def test_a_user_model_is_the_first_compare_row_and_its_sweep_keeps_its_channels(
        monkeypatch, tmp_path) -> None:
    path = tmp_path / "gray.py"
    path.write_text("from torch import nn\n\ndef build():\n"
                    "    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten())\n")
    monkeypatch.setenv("VIZCNN_ALLOW_USER_MODELS", "1")
    at = run_app(source="user", model=f"{path}:build", input="1x1x32x32", tab="compare")
    at.multiselect(key="cmp_models").set_value(["resnet18"]).run()
    at.text_input(key="cmp_side").input("32").run()
    assert_clean(at)
    first = at.dataframe[0].value.iloc[0]
    assert first["model"] == f"{path}:build" and first["input"] == "1×1×32×32"
    assert first["params"] == 8 * 1 * 9 + 8
    at.slider(key="sw_range").set_value((16, 32)).run()
    at.text_input(key="sw_step").input("16").run()
    at.button(key="sw_run").click().run()
    assert list(at.dataframe[-1].value["input"]) == ["1×1×16×16", "1×1×32×32"]
