"""Every tab body runs inside :func:`guarded`: an exception becomes an error box, never a
traceback, and the rest of the page keeps working."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from vizcnn import experiments
from vizcnn.errors import ShapeError, VizcnnError
from vizcnn.spec import TraceSpec
from vizcnn.ui import cache
from vizcnn.ui.selection import Selection
from vizcnn.words import tr

log = logging.getLogger("vizcnn.app")


@st.cache_data(ttl=cache.USER_MODEL_TTL, max_entries=64, show_spinner=False)
def accepted_sides(spec: TraceSpec) -> tuple[int, int | None] | None:
    """:func:`vizcnn.accepted_sides` of the selected model in the selected train/eval mode
    (GoogLeNet's paper heads, which run only in training, take a narrow band around 224),
    with the channels the model takes."""
    try:
        cache.check_allowed(spec.model)
        return experiments.accepted_sides(spec, cache.expected_channels(spec.model))
    except Exception:  # only a hint for an error message: never let it raise
        return None


def input_hint(spec: TraceSpec, lang: str) -> str:
    """What the selected model does accept: its input channels and the square sides it takes
    (in the selected train/eval mode)."""
    lines = []
    channels = cache.expected_channels(spec.model)
    if channels is not None:
        lines.append(tr(lang, "hint_channels", channels=channels))
    sides = accepted_sides(spec)
    if sides is not None:
        low, high = sides
        shape = f"{spec.input_shape[0]}×{channels or spec.input_shape[1]}×{low}×{low}"
        mode = tr(lang, "mode.train" if spec.training else "mode.eval")
        if high is None:
            lines.append(tr(lang, "hint_min_side", side=low, shape=shape))
        elif high == low:
            lines.append(tr(lang, "hint_one_side", side=low, mode=mode, shape=shape))
        else:
            lines.append(tr(lang, "hint_side_range", low=low, high=high, mode=mode,
                            shape=shape))
    return ("" if lang == "zh" else " ").join(lines)  # Chinese sentences need no space


def show_error(error: Exception, selection: Selection | None, lang: str) -> None:
    """An error box. A ShapeError (the input does not fit; it names the layer) comes with what
    input would work; any other VizcnnError is about the model itself (a user file that
    does not import, a factory that fails), where an input hint would mislead."""
    if isinstance(error, ShapeError):
        text = tr(lang, "bad_input", error=str(error))
        if selection is not None and selection.spec is not None:
            hint = input_hint(selection.spec, lang)
            if hint:
                text += "\n\n" + hint
        st.error(text, icon="⚠️")
        return
    if isinstance(error, VizcnnError):
        st.error(tr(lang, "bad_model", error=str(error)), icon="⚠️")
        return
    log.exception("unexpected error in the vizcnn app", exc_info=error)
    st.error(tr(lang, "unexpected", error=f"{type(error).__name__}: {error}"), icon="🛑")


@contextmanager
def guarded(lang: str, selection: Selection | None = None) -> Iterator[None]:
    """Run a block; turn any exception (not Streamlit's own rerun/stop) into an error box."""
    try:
        yield
    except Exception as error:  # the whole point: the app must keep working
        show_error(error, selection, lang)
