"""MACs are not speed (issue 13): measured latency beside MACs in Compare and in Learn's
ShuffleNet and MobileNet notes, run only when asked, bounded in count."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

import vizcnn
from test_app import assert_clean, open_tab, run_app
from vizcnn.ui.latency import LIGHTWEIGHT, MAX_MODELS


def _compare(models: list[str]) -> AppTest:
    at = run_app(model="resnet18")
    open_tab(at, "Compare")
    at.session_state["cmp_models"] = models
    return at.run()


def _latency_tables(at: AppTest) -> list:
    return [d for d in at.dataframe if "median_ms" in d.value.columns]


def test_compare_measures_the_compared_models_only_when_asked() -> None:
    at = _compare(["shufflenet_v2_x0_5", "mobilenet_v3_small"])
    assert_clean(at)
    assert not _latency_tables(at)
    at.button(key="cmp_latency").click().run()
    assert_clean(at)
    [table] = _latency_tables(at)
    rows = {r["model"]: r for r in table.value.to_dict("records")}
    assert set(rows) == {"shufflenet_v2_x0_5", "mobilenet_v3_small"}
    for name, row in rows.items():   # the MACs beside each time are the trace's
        assert row["macs"] == vizcnn.trace(name, (1, 3, 224, 224)).macs
        assert row["median_ms"] > 0 and row["threads"] == 1


def test_too_many_models_are_refused_with_the_reason() -> None:
    at = _compare(vizcnn.list_models()[:MAX_MODELS + 1])
    assert_clean(at)
    assert any(f"at most {MAX_MODELS}" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "cmp_latency"]


def _learn(model: str) -> AppTest:
    at = run_app(model=model)
    open_tab(at, "Learn")
    return at


def test_learn_offers_it_in_the_shufflenet_and_mobilenet_notes() -> None:
    for model, key in (("shufflenet_v2_x1_0", "learn_shuffle_latency"),
                       ("mobilenet_v2", "learn_dw_latency")):
        at = _learn(model)
        assert_clean(at)
        assert [b for b in at.button if b.key == key], model
        assert any(all(name in c.value for name in LIGHTWEIGHT) for c in at.caption), model
