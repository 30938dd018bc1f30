"""Every word vizcnn shows, in English and Chinese, and how numbers and shapes are written.

The bottom floor of the package (it imports only :mod:`vizcnn.errors`), so every layer above
uses the same :class:`Lang`, the same lookup and the same formatters:

* :func:`tr` — the one lookup. A key missing from the table raises :class:`MissingWord`
  (a typo fails loudly instead of drawing the key); both languages have the same keys and
  the same ``str.format`` fields, which the tests check.
* :func:`human` — the one short number form (``4.09G``, ``25.6M``, ``9.63MB``);
  :func:`fmt_int` writes a count in full (``105,415,200``) and :func:`fmt_pct` a change.
* :func:`fmt_shape` — the one shape form (``1×3×224×224``).

The tables live in three files by where the words appear: :mod:`~vizcnn.words.app` (the
app's widgets), :mod:`~vizcnn.words.lessons` (the Learn tab's explanations) and
:mod:`~vizcnn.words.figures` (words drawn inside charts and diagrams). They form one
namespace: a key defined twice raises at import.
"""

from __future__ import annotations

import string
from enum import Enum
from typing import Iterable

from vizcnn.errors import VizcnnError
from vizcnn.words import app, figures, lessons


class Lang(str, Enum):
    """The two languages of vizcnn."""

    EN = "en"
    ZH = "zh"


LANG_NAMES: dict[str, str] = {"en": "English", "zh": "中文"}

_ALIASES: dict[str, Lang] = {
    "en": Lang.EN, "english": Lang.EN, "en-us": Lang.EN, "en-gb": Lang.EN,
    "zh": Lang.ZH, "中文": Lang.ZH, "chinese": Lang.ZH, "zh-cn": Lang.ZH, "zh-hans": Lang.ZH,
}


class MissingWord(VizcnnError, KeyError):
    """A key that is not in the word table, or a template field that was not given."""


def as_lang(lang: Lang | str) -> Lang:
    """``Lang`` from a value such as ``"en"``, ``"zh"``, ``"English"`` or ``"中文"``."""
    if isinstance(lang, Lang):
        return lang
    found = _ALIASES.get(str(lang).strip().lower())
    if found is None:
        raise VizcnnError(f"unknown language {lang!r}; use 'en' or 'zh'")
    return found


def _merge(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in (app, lessons, figures):
        part: dict[str, str] = getattr(table, lang.upper())
        twice = merged.keys() & part.keys()
        if twice:
            raise VizcnnError(f"words defined twice: {', '.join(sorted(twice))}")
        merged.update(part)
    return merged


WORDS: dict[Lang, dict[str, str]] = {lang: _merge(lang.value) for lang in Lang}


def tr(lang: Lang | str, key: str, **values: object) -> str:
    """The words ``key`` in ``lang`` with ``values`` filled into its ``{fields}``."""
    table = WORDS[as_lang(lang)]
    try:
        template = table[key]
    except KeyError:
        raise MissingWord(f"no words for {key!r}") from None
    try:
        return template.format(**values)
    except KeyError as missing:
        raise MissingWord(f"words {key!r} need the value {missing}") from None


def has_words(key: str) -> bool:
    """Whether ``key`` is in the table (both languages have the same keys)."""
    return key in WORDS[Lang.EN]


def keys(lang: Lang | str) -> set[str]:
    return set(WORDS[as_lang(lang)])


def fields(lang: Lang | str, key: str) -> set[str]:
    """The ``str.format`` fields of one template (the tests compare the two languages)."""
    return {name for _, name, _, _ in string.Formatter().parse(WORDS[as_lang(lang)][key])
            if name}


def tab_labels(lang: Lang | str) -> list[str]:
    """The app's tab titles in ``lang``, in page order."""
    return [tr(lang, key) for key in app.TAB_KEYS]


# ------------------------------------------------------------------------------ numbers


def human(value: float, unit: str = "", signed: bool = False) -> str:
    """Three significant digits with a K/M/G/T prefix (powers of 1000) and an optional unit;
    ``signed`` writes ``+2.53M`` / ``−2.53M``."""
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else (
        "-" if value < 0 else "")
    size = abs(value)
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if size >= scale:
            return f"{sign}{size / scale:.3g}{prefix}{unit}"
    text = str(int(size)) if size == int(size) else f"{size:.3g}"
    return f"{sign}{text}{unit}"


def fmt_int(value: int, tex: bool = False, signed: bool = False) -> str:
    """``105,415,200`` (``105{,}415{,}200`` in LaTeX, where a bare comma adds space);
    ``signed`` writes ``+2,530,992`` / ``−2,530,992``."""
    s = f"{value:+,}" if signed else f"{value:,}"
    s = s.replace("-", "−")
    return s.replace(",", "{,}") if tex else s


def fmt_pct(percent: float | None) -> str:
    """``+12.3 %``, ``−45.0 %``, ``+0.062 %``; ``n/a`` when there is no base to compare with."""
    if percent is None:
        return "n/a"
    sign = "+" if percent > 0 else ("−" if percent < 0 else "±")
    size = abs(percent)
    digits = 1 if size >= 1 or size == 0 else 2 if size >= 0.1 else 3  # SE adds ~0.06 %
    return f"{sign}{size:.{digits}f} %"


# ------------------------------------------------------------------------------ shapes


def fmt_shape(shape: Iterable[int], batch: bool = True) -> str:
    """``1×3×224×224``; without ``batch`` the first dimension of a tensor of rank > 1 is left
    out (``256×28×28`` on a diagram's edge); ``scalar`` for an empty shape."""
    dims = tuple(shape)
    if not batch and len(dims) > 1:
        dims = dims[1:]
    return "×".join(str(d) for d in dims) or "scalar"


__all__ = ["LANG_NAMES", "Lang", "MissingWord", "WORDS", "as_lang", "fields", "fmt_int",
           "fmt_pct", "fmt_shape", "has_words", "human", "keys", "tab_labels", "tr"]
