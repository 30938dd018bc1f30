"""Every tab body runs inside :func:`guarded`: an exception becomes an error box, never a
traceback, and the rest of the page keeps working."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from vizcnn.errors import VizcnnError
from vizcnn.ui import cache
from vizcnn.ui.selection import Selection
from vizcnn.ui.strings import tr

log = logging.getLogger("vizcnn.app")


def input_hint(selection: Selection) -> str:
    """What the selected model does accept: its input channels and smallest square side."""
    lang = selection.lang.value
    lines = []
    channels = cache.expected_channels(selection.key)
    if channels is not None:
        lines.append(tr(lang, "hint_channels", channels=channels))
    side = cache.min_side_for(selection.key)
    if side is not None:
        batch = selection.input_shape[0]
        shape = f"{batch}×{channels or selection.input_shape[1]}×{side}×{side}"
        lines.append(tr(lang, "hint_min_side", side=side, shape=shape))
    return " ".join(lines)


def show_error(error: Exception, selection: Selection | None, lang: str) -> None:
    """An error box: the VizcnnError text (it names the layer) plus what input would work."""
    if isinstance(error, VizcnnError):
        text = tr(lang, "bad_input", error=str(error))
        if selection is not None and selection.model:
            hint = input_hint(selection)
            if hint:
                text += "\n\n" + hint
        st.error(text, icon="⚠️")
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
