"""One table of words for every layer: the same keys and fields in both languages, one
missing-key policy, one number and one shape formatter."""

from __future__ import annotations

import pytest

import vizcnn
from vizcnn.words import (
    WORDS, Lang, MissingWord, as_lang, fields, fmt_shape, has_words, human, keys, tab_labels, tr,
)
from vizcnn.words import app, figures, lessons


def test_every_key_is_in_both_languages_with_the_same_fields() -> None:
    assert set(WORDS) == set(Lang)
    assert keys(Lang.EN) == keys(Lang.ZH)
    for key in keys(Lang.EN):
        assert WORDS[Lang.EN][key].strip() and WORDS[Lang.ZH][key].strip(), key
        assert fields(Lang.EN, key) == fields(Lang.ZH, key), key


def test_the_three_tables_are_one_namespace() -> None:
    sizes = sum(len(t.EN) for t in (app, lessons, figures))
    assert len(WORDS[Lang.EN]) == sizes   # no key defined twice (the merge would also raise)


def test_a_missing_key_or_field_raises_in_every_language() -> None:
    for lang in Lang:
        with pytest.raises(MissingWord):
            tr(lang, "no.such.key")
        with pytest.raises(MissingWord):
            tr(lang, "learn_title")        # {model} not given
    assert isinstance(MissingWord("x"), vizcnn.VizcnnError) and isinstance(MissingWord("x"),
                                                                          KeyError)
    assert not has_words("no.such.key") and has_words("learn_title")
    with pytest.raises(vizcnn.VizcnnError, match="language"):
        tr("fr", "learn_title", model="m")


def test_every_zoo_option_and_idea_has_words() -> None:
    """The sidebar labels each builder option and the diagram names each key-block idea
    through the one lookup; a new option or idea without words fails here."""
    for name in vizcnn.list_models():
        card = vizcnn.model_card(name)
        for option in card.options:
            assert has_words(f"opt.{option.name}") and has_words(f"opt.{option.name}.help"), \
                (name, option.name)
        for idea, _ in card.key_blocks:
            assert has_words(f"idea.{idea}"), (name, idea)


def test_languages_and_tabs() -> None:
    assert as_lang("中文") is Lang.ZH and as_lang(" English ") is Lang.EN
    assert tab_labels("en")[0] == "Graph" and len(set(tab_labels("zh"))) == len(app.TAB_KEYS)


def test_one_number_and_one_shape_format() -> None:
    assert human(4_089_184_256) == "4.09G" and human(9_633_792, "B") == "9.63MB"
    assert human(-2_530_992, signed=True) == "−2.53M" and human(1500, signed=True) == "+1.5K"
    assert fmt_shape((1, 3, 224, 224)) == "1×3×224×224"
    assert fmt_shape((1, 256, 28, 28), batch=False) == "256×28×28"
    assert fmt_shape((1000,), batch=False) == "1000" and fmt_shape(()) == "scalar"
