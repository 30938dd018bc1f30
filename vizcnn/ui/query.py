"""The URL query string keeps the whole view, so it can be shared and a reload restores it:
``?model=googlenet&input=1x3x224x224&mode=train&o.aux_logits=False&tab=graph&depth=1
&open=inception3a``.

Every value read from a link is checked (numbers by :mod:`vizcnn.ui.inputs`, as the fields
they fill); a bad one is reported, never dropped or replaced in silence. Every change of the
view adds a browser history entry; back and forward bring those views back.
"""

from __future__ import annotations

from typing import Any, Mapping

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import vizcnn
from vizcnn.spec import ModelSource
from vizcnn.ui.inputs import Problem, choice_problem, shape_parts
from vizcnn.ui.selection import Selection, Source
from vizcnn.words import Lang
from vizcnn.words.app import TAB_KEYS

P_MODEL = "model"
P_SOURCE = "source"
P_INPUT = "input"
P_CLASSES = "classes"
P_MODE = "mode"
P_LANG = "lang"
P_TAB = "tab"
P_DEPTH = "depth"
P_OPEN = "open"
P_OPTION = "o."
MODES = ("eval", "train")
TABS = tuple(key.removeprefix("tab.") for key in TAB_KEYS)


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)


def to_params(selection: Selection, tab: str | None = None, depth: int | None = None,
              expand: tuple[str, ...] = ()) -> dict[str, str]:
    """The query parameters describing ``selection`` (which has a spec) and the view."""
    spec = selection.spec
    assert spec is not None
    params = {P_LANG: selection.lang.value, P_SOURCE: selection.source.value,
              P_MODEL: selection.model, P_INPUT: format_shape(spec.input_shape),
              P_MODE: "train" if spec.training else "eval"}
    if spec.model.source is ModelSource.ZOO:
        params[P_CLASSES] = str(spec.model.num_classes)
        for name, value in spec.model.options:
            params[P_OPTION + name] = str(value)
    if tab is not None:
        params[P_TAB] = tab
    if depth is not None:
        params[P_DEPTH] = str(depth)
    if expand:
        params[P_OPEN] = ",".join(expand)
    return params


def _choice(params: Mapping[str, str], param: str, choices: tuple[str, ...],
            problems: list[Problem]) -> str | None:
    value = params.get(param)
    if value is None:
        return None
    if value not in choices:
        problems.append(choice_problem(param, value, choices))
        return None
    return value


def read(params: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The choices in a query string and the problems with it.

    Keys found: ``lang``, ``source``, ``model`` (a zoo name, or a ``module:factory`` when
    ``source`` is user), ``options`` (name → value), ``shape`` and ``classes`` (the text
    of the fields they fill, checked there), ``mode``, ``tab``, ``depth``, ``open``."""
    found: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, param, choices in (("lang", P_LANG, tuple(x.value for x in Lang)),
                                ("source", P_SOURCE, tuple(x.value for x in Source)),
                                ("mode", P_MODE, MODES), ("tab", P_TAB, TABS)):
        value = _choice(params, param, choices, problems)
        if value is not None:
            found[key] = value
    model = params.get(P_MODEL)
    if found.get("source") == Source.USER.value:
        if model:
            found["model"] = model
    elif model is not None:
        model = _choice(params, P_MODEL, tuple(vizcnn.list_models()), problems)
        if model is not None:
            found["model"] = model
            found["options"] = _options(params, model, problems)
    if P_INPUT in params:
        parts = shape_parts(params[P_INPUT])
        if isinstance(parts, Problem):
            problems.append(parts)
        else:
            found["shape"] = parts
    if P_CLASSES in params:
        found["classes"] = params[P_CLASSES]
    depth = params.get(P_DEPTH)
    if depth is not None:
        if depth.isdigit() and int(depth) >= 1:
            found["depth"] = int(depth)
        else:
            problems.append(choice_problem(P_DEPTH, depth, ("1, 2, 3, …",)))
    if params.get(P_OPEN):
        found["open"] = [p for p in params[P_OPEN].split(",") if p]
    return found, problems


def _options(params: Mapping[str, str], model: str, problems: list[Problem]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for opt in vizcnn.model_card(model).options:
        text = params.get(P_OPTION + opt.name)
        if text is None:
            continue
        choices = opt.choices or (opt.default,)
        matches = [c for c in choices if text == str(c)]
        if matches:
            options[opt.name] = matches[0]
        else:
            problems.append(choice_problem(P_OPTION + opt.name, text, choices))
    return options


def current() -> dict[str, str]:
    """The page's query parameters (last value of each)."""
    return {k: st.query_params.get(k) for k in st.query_params}


def history_navigation() -> bool:
    """True when this run comes from the browser's back or forward button: the URL then
    holds an earlier view, which the app should show rather than overwrite."""
    return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))


def publish(params: dict[str, str]) -> None:
    """Write ``params`` to the URL when they changed (no message otherwise)."""
    if current() != params:
        st.query_params.from_dict(params)
