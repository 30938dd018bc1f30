"""The sidebar: language, model (zoo family and variant, or the user's own), the variant's
options, the input shape and the train/eval mode. Returns a frozen :class:`Selection`.

Widgets are keyed (tests find them by key) and seeded only through ``st.session_state``, so a
value restored from the URL or set by a callback never fights a widget default.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

import vizcnn
from vizcnn.ui import query, upload
from vizcnn.ui.cache import user_models_allowed
from vizcnn.ui.selection import Lang, Selection, Source
from vizcnn.ui.strings import LANG_NAMES, tab_labels, tr

K_LANG = "lang"
K_SOURCE = "source"
K_FAMILY = "family"
K_MODEL = "model"
K_CLASSES = "classes"
K_MODE = "mode"
K_PRESET = "preset"
K_BATCH = "batch"
K_CHANNELS = "channels"
K_HEIGHT = "height"
K_WIDTH = "width"
K_SPEC = "user_spec"
K_TAB = "tab"
OPTION_PREFIX = "opt_"
KEEP = "page"  # widget values survive while hidden (e.g. the zoo widgets in "Your model")
LAST_CHOICES = "_last_choices"

CUSTOM = "custom"
PRESETS: tuple[int, ...] = (32, 64, 96, 128, 160, 192, 224, 227, 256, 299, 320, 384, 416, 512)
DEFAULT_MODEL = "resnet18"
MAX_SIDE = 4096
NEEDS_SE = ("se_reduction",)  # options that only matter once the "se" toggle is on


def option_key(name: str) -> str:
    return OPTION_PREFIX + name


def family_of(model: str) -> str:
    return vizcnn.model_card(model).family


def _set_preset(value: int | str) -> None:
    """Set the preset and forget its remembered value, which a callback later in the same
    rerun would otherwise send again (see :func:`remember_choices`)."""
    st.session_state[K_PRESET] = value
    st.session_state.get(LAST_CHOICES, {}).pop(K_PRESET, None)


def _set_input_for(model: str) -> None:
    """A new model starts at the input size its paper uses (227 for the original AlexNet)."""
    card = vizcnn.model_card(model)
    st.session_state[K_HEIGHT] = st.session_state[K_WIDTH] = card.input_size
    st.session_state[K_CHANNELS] = card.in_channels
    _set_preset(card.input_size if card.input_size in PRESETS else CUSTOM)


def remember_choices(keys: Iterable[str]) -> None:
    """Note the values of the choice widgets whose option labels depend on the language or
    the model (call at the end of every run).

    The browser keeps a radio's or selectbox's value as its option *label*. When the labels
    change (another language, or a model whose deepest depth is another number), the browser
    would send back a label that is no longer an option, and Streamlit would reset the widget
    to its first option, or hand a callback the stale label. Setting these keys again in the
    callback that changes the labels (see :func:`_resend_choices`) makes Streamlit send the
    new labels to the browser instead.
    """
    state = st.session_state
    state[LAST_CHOICES] = {key: state[key] for key in keys if key in state}


def _resend_choices() -> None:
    state = st.session_state
    for key, value in state.get(LAST_CHOICES, {}).items():
        state[key] = value


def _on_family() -> None:
    _resend_choices()
    family = st.session_state[K_FAMILY]
    st.session_state[K_MODEL] = vizcnn.list_models(family)[0]
    _set_input_for(st.session_state[K_MODEL])


def _on_model() -> None:
    _resend_choices()
    _set_input_for(st.session_state[K_MODEL])


def _on_preset() -> None:
    preset = st.session_state[K_PRESET]
    if preset in PRESETS:  # never trust a label: a stale one must not crash the callback
        st.session_state[K_HEIGHT] = st.session_state[K_WIDTH] = int(preset)


def _on_side() -> None:
    h, w = st.session_state[K_HEIGHT], st.session_state[K_WIDTH]
    _set_preset(h if h == w and h in PRESETS else CUSTOM)


def apply_selection(options: dict[str, Any], side: int | None = None) -> None:
    """Set option widgets (and a square input side) from code, e.g. the Learn tab's what-if.

    Call it from a widget callback: the sidebar's widgets read these values on the rerun.
    """
    for name, value in options.items():
        st.session_state[option_key(name)] = value
    if side is not None:
        st.session_state[K_HEIGHT] = st.session_state[K_WIDTH] = side
        _on_side()


def _language_changed(previous: str) -> None:
    """Keep the open tab open and every choice as it was when the labels change language."""
    state = st.session_state
    _resend_choices()
    tab = state.get(K_TAB)
    old, new = tab_labels(previous), tab_labels(state[K_LANG])
    if tab in old:
        state[K_TAB] = new[old.index(tab)]


def _apply_query(found: dict[str, Any]) -> None:
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
    if "shape" in found:
        state[K_BATCH], state[K_CHANNELS], state[K_HEIGHT], state[K_WIDTH] = found["shape"]
        height, width = found["shape"][2:]
        _set_preset(height if height == width and height in PRESETS else CUSTOM)
    state[K_CLASSES] = found.get("classes", state[K_CLASSES])
    state[K_MODE] = found.get("mode", state[K_MODE])


def init_state() -> None:
    """Defaults for a new session, then whatever the URL asks for: once per session, and
    again when the browser's back or forward button brings back an earlier URL."""
    state = st.session_state
    if state.get("_initialised"):
        if query.history_navigation():
            _resend_choices()
            _apply_query(query.read(query.current()))
        return
    state["_initialised"] = True
    state.setdefault(K_LANG, Lang.EN.value)
    state.setdefault(K_SOURCE, Source.ZOO.value)
    state.setdefault(K_MODEL, DEFAULT_MODEL)
    state.setdefault(K_FAMILY, family_of(DEFAULT_MODEL))
    state.setdefault(K_CLASSES, 1000)
    state.setdefault(K_MODE, "eval")
    state.setdefault(K_BATCH, 1)
    state.setdefault(K_SPEC, "")
    _apply_query(query.read(query.current()))


def _sanitise(key: str, allowed: list, default: Any) -> None:
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = default


def _zoo_controls(lang: str) -> tuple[str, tuple[tuple[str, Any], ...], int]:
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
        label = tr(lang, f"opt.{opt.name}", default=opt.name)
        help_text = tr(lang, f"opt.{opt.name}.help", default=opt.help) or None
        if set(opt.choices) == {True, False}:
            _sanitise(key, [True, False], opt.default)
            value = st.toggle(label, key=key, persist_state=KEEP, help=help_text)
        else:
            choices = list(opt.choices) or [opt.default]
            _sanitise(key, choices, opt.default)
            # the SE ratio means nothing while a ResNet has no SE blocks: say so, greyed out
            idle = opt.name in NEEDS_SE and dict(options).get("se") is False
            value = st.selectbox(label, choices, key=key, persist_state=KEEP,
                                 help=tr(lang, "opt.needs_se") if idle else help_text,
                                 disabled=idle)
        options.append((opt.name, value))
    classes = int(st.number_input(tr(lang, "classes"), min_value=1, max_value=100_000, step=1,
                                  key=K_CLASSES, persist_state=KEEP))
    return model, tuple(sorted(options)), classes


def _user_controls(lang: str) -> str:
    if not user_models_allowed():
        st.info(tr(lang, "user_disabled_short"))
        return ""
    spec = st.text_input(tr(lang, "user_spec"), key=K_SPEC, persist_state=KEEP,
                         placeholder="my_models.py:build", help=tr(lang, "user_spec_help"))
    return spec.strip()


def _input_controls(lang: str) -> tuple[int, int, int, int]:
    st.subheader(tr(lang, "input"))
    _sanitise(K_PRESET, [CUSTOM, *PRESETS], CUSTOM)
    st.selectbox(tr(lang, "preset"), [CUSTOM, *PRESETS], key=K_PRESET, persist_state=KEEP,
                 on_change=_on_preset,
                 format_func=lambda p: tr(lang, "custom") if p == CUSTOM else f"{p} × {p}")
    left, right = st.columns(2)
    batch = left.number_input(tr(lang, "batch"), min_value=1, max_value=1024, step=1,
                              key=K_BATCH, persist_state=KEEP)
    channels = right.number_input(tr(lang, "channels"), min_value=1, max_value=64, step=1,
                                  key=K_CHANNELS, persist_state=KEEP)
    height = left.number_input(tr(lang, "height"), min_value=1, max_value=MAX_SIDE, step=1,
                               key=K_HEIGHT, persist_state=KEEP, on_change=_on_side)
    width = right.number_input(tr(lang, "width"), min_value=1, max_value=MAX_SIDE, step=1,
                               key=K_WIDTH, persist_state=KEEP, on_change=_on_side)
    return int(batch), int(channels), int(height), int(width)


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
    selection = Selection(lang=Lang(lang), source=source, model=model, options=options,
                          input_shape=shape, num_classes=classes, training=mode == "train")
    query.publish(selection)
    return selection
