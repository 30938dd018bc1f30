"""What the person picked in the sidebar, as a frozen value: the spec to trace (the cache
key of every trace) or the problems that stop it from being traced."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from vizcnn.spec import TraceSpec
from vizcnn.ui.inputs import Problem
from vizcnn.words import Lang


class Source(str, Enum):
    """Where the model comes from."""

    ZOO = "zoo"
    USER = "user"


@dataclass(frozen=True)
class Selection:
    """The model and input chosen in the sidebar.

    Attributes:
        lang: label language.
        source: zoo model or the user's own ``module:factory``.
        model: zoo name, or the ``module:factory`` of a user model ("" if none given): what
            the header's card or instructions are about.
        spec: what to trace; ``None`` when a value is refused (see ``problems``) or there is
            nothing to trace yet (a user model without a ``module:factory``).
        problems: refused values, each shown with its accepted range.
    """

    lang: Lang
    source: Source
    model: str
    spec: TraceSpec | None
    problems: tuple[Problem, ...] = ()
