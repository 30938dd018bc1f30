"""The sidebar: language, model (zoo family and variant, or the user's own), the variant's
options, the input shape and the train/eval mode. Returns a frozen :class:`Selection`.

Widgets are keyed (tests find them by key) and seeded only through ``st.session_state``, so a
value restored from the URL or set by a callback never fights a widget default. Number
fields are text fields checked by :mod:`vizcnn.ui.inputs`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

import vizcnn
from vizcnn.api import zoo_spec
from vizcnn.spec import ModelSource, ModelSpec, TraceSpec
from vizcnn.ui import choices, inputs, query, upload
from vizcnn.ui.cache import user_models_allowed
from vizcnn.ui.inputs import Problem, parse_whole
from vizcnn.ui.selection import Selection, Source
from vizcnn.words import Lang
from vizcnn.words import LANG_NAMES, tab_labels, tr

K_LANG = "lang"
K_SOURCE = choices.translated("source")
K_FAMILY = "family"
K_MODEL = "model"
K_MODE = choices.translated("mode")
K_PRESET = choices.translated("preset")
K_CLASSES = inputs.CLASSES.key
K_BATCH = inputs.BATCH.key
K_CHANNELS = inputs.CHANNELS.key
K_HEIGHT = inputs.HEIGHT.key
K_WIDTH = inputs.WIDTH.key
K_SPEC = "user_spec"
K_TAB = "tab"
OPTION_PREFIX = "opt_"
KEEP = "page"  # widget values survive while hidden (e.g. the zoo widgets in "Your model")
URL_PROBLEMS = "_url_problems"  # what was wrong with the link the page was opened with
URL_VIEW = "_url_view"          # the sidebar as the link set it: a change clears the problems
URL_GRAPH = "_url_graph"        # the link's graph depth and open blocks, for the Graph tab

CUSTOM = "custom"
PRESETS: tuple[int, ...] = (32, 64, 96, 128, 160, 192, 224, 227, 256, 299, 320, 384, 416, 512)
DEFAULT_MODEL = "resnet18"
NEEDS_SE = ("se_reduction",)  # options that only matter once the "se" toggle is on


def option_key(name: str) -> str:
    return OPTION_PREFIX + name


def family_of(model: str) -> str:
    return vizcnn.model_card(model).family


def _set_preset(value: int | str) -> None:
    """Set the preset and forget its remembered value, which a callback later in the same
    rerun would otherwise send again (see :mod:`vizcnn.ui.choices`)."""
    st.session_state[K_PRESET] = value
    choices.forget(K_PRESET)


def _set_side(side: int) -> None:
    st.session_state[K_HEIGHT] = st.session_state[K_WIDTH] = str(side)


def _set_input_for(model: str) -> None:
    """A new model starts at the input size its paper uses (227 for the original AlexNet)."""
    card = vizcnn.model_card(model)
    _set_side(card.input_size)
    st.session_state[K_CHANNELS] = str(card.in_channels)
    _set_preset(card.input_size if card.input_size in PRESETS else CUSTOM)


def _on_family() -> None:
    choices.resend()
    family = st.session_state[K_FAMILY]
    st.session_state[K_MODEL] = vizcnn.list_models(family)[0]
    _set_input_for(st.session_state[K_MODEL])


def _on_model() -> None:
    choices.resend()
    _set_input_for(st.session_state[K_MODEL])


def _on_preset() -> None:
    preset = st.session_state[K_PRESET]
    if preset in PRESETS:  # never trust a label: a stale one must not crash the callback
        _set_side(int(preset))


def _match_preset() -> None:
    """The preset that names the typed sides, or "custom"."""
    h = parse_whole(st.session_state[K_HEIGHT], inputs.HEIGHT)
    w = parse_whole(st.session_state[K_WIDTH], inputs.WIDTH)
    _set_preset(h if h == w and h in PRESETS else CUSTOM)


def apply_selection(options: dict[str, Any], side: int | None = None) -> None:
    """Set option widgets (and a square input side) from code, e.g. the Learn tab's what-if.

    Call it from a widget callback: the sidebar's widgets read these values on the rerun.
    """
    for name, value in options.items():
        st.session_state[option_key(name)] = value
    if side is not None:
        _set_side(side)
        _match_preset()


def _language_changed(previous: str) -> None:
    """Keep the open tab open and every choice as it was when the labels change language."""
    state = st.session_state
    choices.resend()
    tab = state.get(K_TAB)
    old, new = tab_labels(previous), tab_labels(state[K_LANG])
    if tab in old:
        state[K_TAB] = new[old.index(tab)]


def _apply_query(found: dict[str, Any], problems: list[Problem]) -> None:
    """Set the sidebar's state from a parsed query string (see :func:`query.read`)."""
    state = st.session_state
    previous = state[K_LANG]
    if found.get("lang", previous) != previous:
        state[K_LANG] = found["lang"]
        _language_changed(previous)
    state[K_SOURCE] = found.get("source", state[K_SOURCE])
    if found.get("source") == Source.USER.value and "model" in found:
        state[K_SPEC] = found["model"]
    elif "model" in found:
        state[K_MODEL], state[K_FAMILY] = found["model"], family_of(found["model"])
        chosen = found.get("options", {})
        for opt in vizcnn.model_card(found["model"]).options:
            state[option_key(opt.name)] = chosen.get(opt.name, opt.default)
    _set_input_for(state[K_MODEL])
    if "shape" in found:  # the text of the four fields, checked there like typed text
        for field, text in zip(inputs.SHAPE_FIELDS, found["shape"]):
            state[field.key] = text
        _match_preset()
    state[K_CLASSES] = found.get("classes", state[K_CLASSES])
    state[K_MODE] = found.get("mode", state[K_MODE])
    if "tab" in found:
        state[K_TAB] = tab_labels(state[K_LANG])[query.TABS.index(found["tab"])]
    state[URL_GRAPH] = {k: found[k] for k in ("depth", "open") if k in found}
    state[URL_PROBLEMS] = tuple(problems)
    state[URL_VIEW] = None


def init_state() -> None:
    """Defaults for a new session, then whatever the URL asks for: once per session, and
    again when the browser's back or forward button brings back an earlier URL."""
    state = st.session_state
    if state.get("_initialised"):
        if query.history_navigation():
            choices.resend()
            _apply_query(*query.read(query.current()))
        return
    state["_initialised"] = True
    state.setdefault(K_LANG, Lang.EN.value)
    state.setdefault(K_SOURCE, Source.ZOO.value)
    state.setdefault(K_MODEL, DEFAULT_MODEL)
    state.setdefault(K_FAMILY, family_of(DEFAULT_MODEL))
    state.setdefault(K_CLASSES, "1000")
    state.setdefault(K_MODE, "eval")
    state.setdefault(K_BATCH, "1")
    state.setdefault(K_SPEC, "")
    _apply_query(*query.read(query.current()))


def _sanitise(key: str, allowed: list, default: Any) -> None:
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = default


def _zoo_controls(lang: str) -> tuple[str, tuple[tuple[str, Any], ...], int | Problem]:
    families = vizcnn.list_families()
    _sanitise(K_FAMILY, families, families[0])
    st.selectbox(tr(lang, "family"), families, key=K_FAMILY, persist_state=KEEP,
                 on_change=_on_family)
    variants = vizcnn.list_models(st.session_state[K_FAMILY])
    _sanitise(K_MODEL, variants, variants[0])
    model = st.selectbox(tr(lang, "variant"), variants, key=K_MODEL, persist_state=KEEP,
                         on_change=_on_model)
    card = vizcnn.model_card(model)
    options: list[tuple[str, Any]] = []
    for opt in card.options:
        key = option_key(opt.name)
        label = tr(lang, f"opt.{opt.name}")
        help_text = tr(lang, f"opt.{opt.name}.help") or None
        if set(opt.choices) == {True, False}:
            _sanitise(key, [True, False], opt.default)
            value = st.toggle(label, key=key, persist_state=KEEP, help=help_text)
        else:
            option_choices = list(opt.choices) or [opt.default]
            _sanitise(key, option_choices, opt.default)
            # the SE ratio means nothing while a ResNet has no SE blocks: say so, greyed out
            idle = opt.name in NEEDS_SE and dict(options).get("se") is False
            value = st.selectbox(label, option_choices, key=key, persist_state=KEEP,
                                 help=tr(lang, "opt.needs_se") if idle else help_text,
                                 disabled=idle)
        options.append((opt.name, value))
    classes = inputs.number_field(inputs.CLASSES, lang, persist_state=KEEP)
    return model, tuple(sorted(options)), classes


def _user_controls(lang: str) -> str:
    if not user_models_allowed():
        st.info(tr(lang, "user_disabled_short"))
        return ""
    spec = st.text_input(tr(lang, "user_spec"), key=K_SPEC, persist_state=KEEP,
                         placeholder="my_models.py:build", help=tr(lang, "user_spec_help"))
    return spec.strip()


def _input_controls(lang: str) -> list[int | Problem]:
    st.subheader(tr(lang, "input"))
    _sanitise(K_PRESET, [CUSTOM, *PRESETS], CUSTOM)
    st.selectbox(tr(lang, "preset"), [CUSTOM, *PRESETS], key=K_PRESET, persist_state=KEEP,
                 on_change=_on_preset,
                 format_func=lambda p: tr(lang, "custom") if p == CUSTOM else f"{p} × {p}")
    left, right = st.columns(2)
    return [inputs.number_field(field, lang, column, persist_state=KEEP,
                                on_change=_match_preset if field in (inputs.HEIGHT,
                                                                     inputs.WIDTH) else None)
            for field, column in zip(inputs.SHAPE_FIELDS, (left, right, left, right))]


def _url_problems(view: tuple) -> tuple[Problem, ...]:
    """The link's problems, until the person changes anything in the sidebar."""
    state = st.session_state
    if state.get(URL_VIEW) is None:
        state[URL_VIEW] = view
    elif state[URL_VIEW] != view:
        state[URL_PROBLEMS] = ()
    return tuple(state.get(URL_PROBLEMS, ()))


def render_sidebar() -> Selection:
    """Draw the sidebar and return what it selects."""
    init_state()
    with st.sidebar:
        lang = st.session_state[K_LANG]
        st.radio(tr(lang, "language"), [lang_.value for lang_ in Lang], key=K_LANG,
                 persist_state=KEEP, format_func=LANG_NAMES.__getitem__, horizontal=True,
                 on_change=_language_changed, args=(lang,))
        lang = st.session_state[K_LANG]
        st.header(tr(lang, "model"))
        source = Source(st.segmented_control(
            tr(lang, "source"), [s.value for s in Source], key=K_SOURCE, persist_state=KEEP,
            required=True, format_func=lambda s: tr(lang, f"source.{s}")))
        if source is Source.ZOO:
            model, options, classes = _zoo_controls(lang)
        else:
            model = upload.render_upload(lang) or _user_controls(lang)
            options, classes = (), 1000
        mode = st.radio(tr(lang, "mode"), ["eval", "train"], key=K_MODE, persist_state=KEEP,
                        horizontal=True, format_func=lambda m: tr(lang, f"mode.{m}"),
                        help=tr(lang, "mode_help"))
        shape = _input_controls(lang)
    values = [classes, *shape]
    problems = _url_problems((lang, source, model, options, mode, *values)) + tuple(
        v for v in values if isinstance(v, Problem))
    spec: TraceSpec | None = None
    if not problems and model:
        if source is Source.ZOO:
            model_spec = zoo_spec(model, classes, **dict(options))
        elif upload.is_upload(model):   # a file: read, never run
            model_spec = upload.model_spec(model)
        else:
            model_spec = ModelSpec(ModelSource.FACTORY, model)
        spec = TraceSpec(model_spec, (tuple(shape),), mode == "train")  # type: ignore[arg-type]
    return Selection(lang=Lang(lang), source=source, model=model, spec=spec,
                     problems=problems)


def publish_view(selection: Selection, depth: int | None, expand: tuple[str, ...]) -> None:
    """Write the selection, the open tab and the graph's depth and open blocks to the URL;
    a link with problems stays as it is (so the person sees what it asked for)."""
    state = st.session_state
    if selection.spec is None or state.get(URL_PROBLEMS):
        return
    labels = tab_labels(selection.lang.value)
    tab = query.TABS[labels.index(state[K_TAB])] if state.get(K_TAB) in labels else None
    query.publish(query.to_params(selection, tab, depth, expand))
