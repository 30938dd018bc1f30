"""Choice widgets whose option labels change with the language or the model, registered
where each is defined, so a language switch keeps every one of them as it was.

The browser keeps a radio's or selectbox's value as its option *label*. When the labels
change (another language, or a model whose deepest depth is another number), the browser
would send back a label that is no longer an option, and Streamlit would reset the widget to
its first option, or hand a callback the stale label. Setting these keys again in the
callback that changes the labels makes Streamlit send the new labels instead.
"""

from __future__ import annotations

import streamlit as st

_REGISTERED: list[str] = []
LAST_CHOICES = "_last_choices"


def translated(key: str) -> str:
    """Register a choice widget's key (at import of the module that draws it); returns it."""
    if key not in _REGISTERED:
        _REGISTERED.append(key)
    return key


def remember() -> None:
    """Note the registered widgets' values (call at the end of every run)."""
    state = st.session_state
    state[LAST_CHOICES] = {key: state[key] for key in _REGISTERED if key in state}


def resend() -> None:
    """Set the remembered values again (from a callback that changes the labels)."""
    state = st.session_state
    for key, value in state.get(LAST_CHOICES, {}).items():
        state[key] = value


def forget(key: str) -> None:
    """Drop one remembered value that a callback has just set on purpose."""
    st.session_state.get(LAST_CHOICES, {}).pop(key, None)
