"""The top of the page: the model card of a zoo model (year, paper, key idea, published cost)
or the "Your model" instructions, and a one-line summary of the trace; short, so that the
graph is on the first screen."""

from __future__ import annotations

import streamlit as st

import vizcnn
from vizcnn.api import Trace
from vizcnn.experiments import model_label
from vizcnn.words import fmt_shape, human
from vizcnn.ui.cache import user_models_allowed
from vizcnn.ui.selection import Selection, Source
from vizcnn.words import tr
from vizcnn.ui.upload import file_notes, is_upload, model_spec

EXAMPLE_FILE = '''# my_models.py
from torch import nn

def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10),
    )
'''


def _short_authors(authors: str) -> str:
    names = [a.strip() for a in authors.replace(" and ", ", ").split(",") if a.strip()]
    return names[0] + " et al." if len(names) > 2 else " & ".join(names)


def render_model_card(selection: Selection) -> None:
    """Year, paper, authors, key idea and the published figures of the selected zoo model, in
    an expander whose title is the paper: the graph below stays on the first screen."""
    lang = selection.lang.value
    card = vizcnn.model_card(selection.model)
    title = (f"**{card.name}** · {card.family} · {card.year} — *{card.paper}* "
             f"({_short_authors(card.authors)})")
    with st.container(key="model_card"), st.expander(title):
        ideas = card.ideas_zh if lang == "zh" else card.ideas_en
        st.markdown(f"**{tr(lang, 'key_idea')}** {ideas}")
        if card.published:
            lines = [f"**{tr(lang, 'published_title', n=len(card.published))}**"]
            for cost in card.published:
                parts = []
                if cost.params is not None:
                    parts.append(f"{human(cost.params)} {tr(lang, 'params_word')}")
                if cost.macs is not None:
                    parts.append(f"{human(cost.macs)} MACs")
                if parts:
                    lines.append("- " + tr(lang, "published", figures=" · ".join(parts),
                                           size=cost.input_size, source=cost.source))
            st.markdown("\n".join(lines))


def render_user_intro(selection: Selection) -> bool:
    """Explain the "Your model" mode; True when a spec is given and the mode is enabled."""
    lang = selection.lang.value
    if is_upload(selection.model):  # a model file: data, allowed on every server
        st.markdown(f"### {tr(lang, 'upload_title')}: `{model_spec(selection.model).name}`")
        return True
    if not user_models_allowed():
        st.warning(tr(lang, "user_disabled"), icon="🔒")
        st.code("VIZCNN_ALLOW_USER_MODELS=1 streamlit run app.py", language="bash")
        st.caption(tr(lang, "user_secret"))
        st.code("allow_user_models = true", language="toml")
        return False
    if not selection.model:
        st.info(tr(lang, "user_intro"), icon="🧩")
        st.code(EXAMPLE_FILE, language="python")
        return False
    st.markdown(f"### {tr(lang, 'user_title')}: `{selection.model}`")
    return True


def render_summary(selection: Selection, trace: Trace) -> None:
    """One line, all of it the trace's: the model with its options, input, params, MACs and
    FLOPs (both named), train/eval."""
    lang = selection.lang.value
    mode = tr(lang, "mode.train" if trace.training else "mode.eval")
    st.markdown(tr(lang, "summary", model=model_label(trace.spec.model),
                   shape=fmt_shape(trace.spec.input_shape), params=human(trace.params),
                   macs=human(trace.macs), flops=human(trace.flops), mode=mode,
                   layers=sum(1 for n in trace.nodes if n.op not in ("input", "output"))))
    for note in file_notes(trace, lang):  # an ONNX file: read, never run; folded BatchNorm
        st.caption(note)


# Streamlit's first 6 rem above the page and 5 rem on each side are mostly empty: 3.5 rem clear
# its top bar, and 2.5 rem a side leave the graph's toolbar one line at 1280 px.
_COMPACT_TOP = ("<style>[data-testid='stMainBlockContainer'] { padding-top: 3.5rem;"
                " padding-left: 2.5rem; padding-right: 2.5rem; }</style>")


def render_header(selection: Selection) -> bool:
    """Title (what vizcnn does in its tooltip) and card; False when there is nothing to trace
    yet (user mode without a spec). Kept short so the graph shows on the first screen."""
    lang = selection.lang.value
    st.html(_COMPACT_TOP)
    st.markdown(f"#### {tr(lang, 'title')}", help=tr(lang, "subtitle"))
    if selection.source is Source.USER:
        return render_user_intro(selection)
    render_model_card(selection)
    return True
