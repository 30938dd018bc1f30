"""MACs are not speed: measured CPU latency of a few zoo models beside their MACs, the lesson
ShuffleNet V2 was designed from. Shown in the Compare tab (for the compared models) and in
Learn's ShuffleNet and MobileNet notes (for the lightweight nets). It runs real models, so
it runs only when its button is pressed, for that set of models, bounded in count and time."""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from vizcnn.errors import VizcnnError
from vizcnn.experiments import profile as prof
from vizcnn.render import cost_charts
from vizcnn.ui.costs_panel import opted_in
from vizcnn.words import tr

LIGHTWEIGHT: tuple[str, ...] = ("shufflenet_v1", "shufflenet_v2_x1_0", "mobilenet_v2",
                                "mobilenet_v3_large", "ghostnet")
MAX_MODELS = 8
SECONDS_PER_MODEL = 2.0
REPEATS = 3
SIDE = 224


@st.cache_data(max_entries=8, show_spinner=False)
def _measured(names: tuple[str, ...]) -> list[prof.Profile]:
    return prof.zoo_latency(names, (1, 3, SIDE, SIDE), REPEATS, SECONDS_PER_MODEL, threads=1)


def render_latency_lesson(lang: str, names: Sequence[str], key: str) -> None:
    """MACs against measured latency of ``names`` (zoo models), after a button press."""
    names = tuple(dict.fromkeys(names))
    st.markdown(f"**{tr(lang, 'lat_lesson.title')}**")
    if len(names) < 2:
        st.info(tr(lang, "lat_lesson.too_few"))
        return
    if len(names) > MAX_MODELS:   # never a silent cut: say why nothing runs
        st.info(tr(lang, "lat_lesson.too_many", limit=MAX_MODELS, n=len(names)))
        return
    st.caption(tr(lang, "lat_lesson.help", models=", ".join(names), repeats=REPEATS,
                  seconds=f"{SECONDS_PER_MODEL:g}", side=SIDE))
    if not opted_in(key, tr(lang, "lat_lesson.run"), names):
        return
    try:
        with st.spinner(tr(lang, "lat_lesson.running", n=len(names))):
            results = _measured(names)
    except VizcnnError as error:
        st.error(str(error), icon="⚠️")
        return
    st.plotly_chart(cost_charts.zoo_latency_figure(results, lang), key=f"{key}_chart",
                    width="stretch", config={"displaylogo": False})
    st.dataframe(prof.zoo_rows(results), hide_index=True, key=f"{key}_table")
    st.caption(tr(lang, "lat_lesson.read"))
