"""Download buttons in a row. Heavy files (PNG, PDF, chart HTML with plotly.js inline) are
produced only when clicked: Streamlit calls a zero-argument function then."""

from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

from vizcnn.words import tr

Data = str | bytes | Callable[[], str | bytes]


def download_row(lang: str, items: Sequence[tuple[str, Data, str, str, str]]) -> None:
    """One button per (label, data, file name, mime, key)."""
    columns = st.columns(len(items) + 1)
    columns[0].markdown(f"**{tr(lang, 'download')}**")
    for column, (label, data, file_name, mime, key) in zip(columns[1:], items):
        column.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                               on_click="ignore", icon=":material/download:")
