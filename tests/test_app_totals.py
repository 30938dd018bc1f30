"""Property check: for every zoo model and a grid of its options, every total the app shows
(header, Layers, Compute, the Compare row, Learn's what-if baseline) is the trace's, and the
header, the Compare row and every export file name name the options it was traced with."""

from __future__ import annotations

from typing import Any

import pytest
import vizcnn
from test_app import assert_clean, chart_specs, open_tab, run_app, summary
from test_app_spec import compare_rows, offered, whatif_baseline  # noqa: F401 (a fixture)
from vizcnn.experiments import file_stem, model_label
from vizcnn.ui.compute_tab import CHARTS
from vizcnn.ui.sidebar import NEEDS_SE
from vizcnn.words import human


def option_grid(name: str) -> list[dict[str, Any]]:
    """The defaults, then each option's other values one at a time; the SE ratio of a ResNet
    with the SE toggle on, where it matters (every combination takes four minutes)."""
    options = vizcnn.model_card(name).options
    has_toggle = any(o.name == "se" for o in options)
    grid: list[dict[str, Any]] = [{}]
    for opt in options:
        on = {"se": True} if opt.name in NEEDS_SE and has_toggle else {}
        grid += [{**on, opt.name: v} for v in opt.choices if v != opt.default]
    return grid


def check_config(name: str, options: dict[str, Any], files: dict[str, str]) -> None:
    card = vizcnn.model_card(name)
    side = card.input_size
    shape = (1, card.in_channels, side, side)
    t = vizcnn.trace(name, shape, **options)
    label, stem = model_label(t.spec.model), file_stem(t.spec)
    for key, value in options.items():
        assert f"{key}={value}" in label and f"{key}{value}" in stem, (label, stem)
    files.clear()
    at = run_app(model=name, tab="layers", input="x".join(map(str, shape)),
                 **{f"o.{k}": str(v) for k, v in options.items()})
    assert_clean(at)
    line = summary(at)
    assert f"**{label}**" in line, line
    for value in (t.params, t.macs, t.flops):
        assert f"**{human(value)}**" in line, (line, value)
    exact = {m.label: m.proto.help for m in at.metric}
    assert exact["Parameters"] == f"{t.params:,}" and exact["Trainable"] == f"{t.trainable_params:,}"
    assert exact["Buffers (BN statistics)"] == f"{t.buffers:,}"
    assert exact["MACs (multiply-accumulates)"] == f"{t.macs:,}"
    assert exact["FLOPs (2 × MACs + elementwise)"] == f"{t.flops:,}"
    open_tab(at, "Compute")
    assert human(t.macs) in chart_specs(at)[0]  # the hierarchy chart's total
    at.session_state["cmp_models"], at.session_state["cmp_side"] = [name], str(side)
    open_tab(at, "Compare")
    row = compare_rows(at)[label]
    assert (row["params"], row["MACs"], row["FLOPs"]) == (t.params, t.macs, t.flops)
    open_tab(at, "Learn")
    assert_clean(at)
    assert whatif_baseline(at) == [t.params, t.macs, t.flops]
    expected = {"dl_csv": f"{stem}.csv", "dl_json": f"{stem}.json", "dl_md": f"{stem}.md",
                "dl_compare": f"compare_{side}_{stem}.html",
                **{f"dl_chart_{chart}": f"{stem}_{chart}.html" for chart in CHARTS}}
    assert {k: files.get(k) for k in expected} == expected


@pytest.mark.parametrize("name", vizcnn.list_models())
def test_every_total_shown_is_the_traces_and_names_its_options(name: str, offered) -> None:
    for options in option_grid(name):
        check_config(name, options, offered)


def test_graph_downloads_are_named_by_the_spec(offered) -> None:
    at = run_app(model="mobilenet_v2", **{"o.width_mult": "0.5"}, classes="10")
    assert_clean(at)
    stem = "mobilenet_v2_width_mult0.5_classes10_1x3x224x224"
    assert {k: offered[k] for k in ("dl_svg", "dl_png", "dl_pdf", "dl_dot")} == {
        "dl_svg": f"{stem}.svg", "dl_png": f"{stem}.png", "dl_pdf": f"{stem}.pdf",
        "dl_dot": f"{stem}.dot"}
