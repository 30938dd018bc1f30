"""Every number the page accepts, validated in one place: the sidebar's input fields, the
Compare tab's fields and the values of a shared link.

A number field is a text field parsed here, so what the person typed reaches the check as
typed (a number widget would turn letters, ``1e3`` or ``3.7`` into some number on its own).
A bad value becomes a :class:`Problem`: shown in the main area with the accepted range,
while the page shows nothing else for it — never a stale result, never a silent stand-in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import streamlit as st

from vizcnn.words import tr


class Reason(str, Enum):
    """Why a value was refused (each is one message in :mod:`vizcnn.words.app`)."""

    EMPTY = "empty"            # nothing typed
    NOT_WHOLE = "not_whole"    # letters, 1e3, 3.7
    RANGE = "range"            # a whole number outside the field's range
    URL_CHOICE = "url_choice"  # a link's value that is not one of the accepted choices
    URL_SHAPE = "url_shape"    # a link's input= that is not four numbers


LINK_REASONS = (Reason.URL_CHOICE, Reason.URL_SHAPE)


@dataclass(frozen=True)
class Problem:
    """One refused value: which field (a label key) or link parameter, what was given, and
    what would be accepted."""

    reason: Reason
    field: str
    value: str
    accepted: str | tuple[int, int] = ""  # a field's (low, high), or a link's choices

    def text(self, lang: str) -> str:
        name = self.field if self.reason in LINK_REASONS else tr(lang, self.field)
        accepted = self.accepted
        if isinstance(accepted, tuple):
            accepted = tr(lang, "between", low=f"{accepted[0]:,}", high=f"{accepted[1]:,}")
        return tr(lang, f"bad.{self.reason.value}", field=name, value=self.value,
                  accepted=accepted)


@dataclass(frozen=True)
class NumberField:
    """A whole-number field: its widget key, label key and inclusive range."""

    key: str
    label: str
    low: int
    high: int

    @property
    def accepted(self) -> tuple[int, int]:
        return self.low, self.high


MAX_SIDE = 4096
BATCH = NumberField("batch", "batch", 1, 1024)
CHANNELS = NumberField("channels", "channels", 1, 64)
HEIGHT = NumberField("height", "height", 1, MAX_SIDE)
WIDTH = NumberField("width", "width", 1, MAX_SIDE)
CLASSES = NumberField("classes", "classes", 1, 100_000)
CMP_SIDE = NumberField("cmp_side", "cmp_side", 1, 2048)
SW_STEP = NumberField("sw_step", "sw_step", 1, 512)
SHAPE_FIELDS: tuple[NumberField, ...] = (BATCH, CHANNELS, HEIGHT, WIDTH)

_WHOLE = re.compile(r"[+-]?\d+")


def parse_whole(text: Any, field: NumberField) -> int | Problem:
    """``text`` as a whole number in the field's range, or the problem with it."""
    raw = str(text).strip()
    if not raw:
        return Problem(Reason.EMPTY, field.label, raw, field.accepted)
    if not _WHOLE.fullmatch(raw):
        return Problem(Reason.NOT_WHOLE, field.label, raw, field.accepted)
    value = int(raw)
    if not field.low <= value <= field.high:
        return Problem(Reason.RANGE, field.label, raw, field.accepted)
    return value


def choice_problem(param: str, value: str, choices: Sequence[Any]) -> Problem:
    """A link parameter whose value is not one of ``choices``."""
    return Problem(Reason.URL_CHOICE, param, value, ", ".join(str(c) for c in choices))


def shape_parts(text: str) -> tuple[str, ...] | Problem:
    """A link's ``input=`` (``1x3x224x224``) as its four parts, each checked later as the
    field it fills; a value that is not four parts is a problem."""
    parts = tuple(p.strip() for p in text.lower().replace("×", "x").split("x"))
    if len(parts) != len(SHAPE_FIELDS):
        return Problem(Reason.URL_SHAPE, "input", text)
    return parts


def number_field(field: NumberField, lang: str, container: Any = st, **widget: Any
                 ) -> int | Problem:
    """Draw ``field`` as a text field and return its value checked (session state holds the
    text as typed)."""
    text = container.text_input(tr(lang, field.label), key=field.key,
                                help=tr(lang, "whole_number", low=f"{field.low:,}",
                                        high=f"{field.high:,}"),
                                **widget)
    return parse_whole(text, field)


def show_problems(problems: Sequence[Problem], lang: str) -> None:
    """Each problem as an error box, then what the page does about them: nothing."""
    for problem in problems:
        st.error(problem.text(lang), icon="⚠️")
    text = tr(lang, "shows_nothing")
    if any(p.reason in LINK_REASONS for p in problems):
        text += (" " if lang == "en" else "") + tr(lang, "url_leave")
    st.info(text, icon=":material/pause_circle:")
