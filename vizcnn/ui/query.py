"""The URL query string keeps the model, its options and the input, so a view can be shared
and a reload restores it: ``?model=googlenet&input=1x3x224x224&mode=train&o.aux_logits=False``.

Only tab-independent choices go in the URL. Invalid values are ignored, never raised. Every
change of the view adds a browser history entry; back and forward bring those views back.
"""

from __future__ import annotations

from typing import Any, Mapping

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import vizcnn
from vizcnn.ui.selection import Lang, Selection, Source

P_MODEL = "model"
P_SOURCE = "source"
P_INPUT = "input"
P_CLASSES = "classes"
P_MODE = "mode"
P_LANG = "lang"
P_OPTION = "o."


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)


def parse_shape(text: str) -> tuple[int, int, int, int] | None:
    """``"1x3x224x224"`` → (1, 3, 224, 224); None for anything else."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
        return None
    shape = tuple(int(p) for p in parts)
    return shape if all(0 < d <= 4096 for d in shape) else None  # type: ignore[return-value]


def to_params(selection: Selection) -> dict[str, str]:
    """The query parameters describing ``selection``."""
    params = {P_LANG: selection.lang.value, P_SOURCE: selection.source.value,
              P_MODEL: selection.model, P_INPUT: format_shape(selection.input_shape),
              P_MODE: "train" if selection.training else "eval"}
    if selection.source is Source.ZOO:
        params[P_CLASSES] = str(selection.num_classes)
        for name, value in selection.options:
            params[P_OPTION + name] = str(value)
    return params


def read(params: Mapping[str, str]) -> dict[str, Any]:
    """The valid choices in a query string, parsed: keys ``lang``, ``source``, ``model``
    (a zoo name, or a spec when ``source`` is user), ``options`` (name → value),
    ``shape``, ``classes``, ``mode``. Anything invalid is left out."""
    found: dict[str, Any] = {}
    if params.get(P_LANG) in [x.value for x in Lang]:
        found["lang"] = params[P_LANG]
    source = params.get(P_SOURCE)
    if source in [x.value for x in Source]:
        found["source"] = source
    model = params.get(P_MODEL) or ""
    if source == Source.USER.value and model:
        found["model"] = model
    elif model in vizcnn.list_models():
        found["model"] = model
        options: dict[str, Any] = {}
        for opt in vizcnn.model_card(model).options:
            text = params.get(P_OPTION + opt.name)
            for choice in opt.choices or (opt.default,):
                if text == str(choice):
                    options[opt.name] = choice
        found["options"] = options
    shape = parse_shape(params.get(P_INPUT) or "")
    if shape is not None:
        found["shape"] = shape
    classes = params.get(P_CLASSES) or ""
    if classes.isdigit() and 1 <= int(classes) <= 100_000:
        found["classes"] = int(classes)
    if params.get(P_MODE) in ("eval", "train"):
        found["mode"] = params[P_MODE]
    return found


def current() -> dict[str, str]:
    """The page's query parameters (last value of each)."""
    return {k: st.query_params.get(k) for k in st.query_params}


def history_navigation() -> bool:
    """True when this run comes from the browser's back or forward button: the URL then
    holds an earlier view, which the app should show rather than overwrite."""
    return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))


def publish(selection: Selection) -> None:
    """Write ``selection`` to the URL when it changed (no message otherwise)."""
    wanted = to_params(selection)
    if current() != wanted:
        st.query_params.from_dict(wanted)
