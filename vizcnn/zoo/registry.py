"""One registry for the zoo: each builder is registered together with its model card.

Listing goes through :func:`list_models`, building through :func:`build`, and cards through
:func:`model_card`. Registering the same name twice raises, so a typo cannot silently
shadow a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from torch import nn

from vizcnn.errors import VizcnnError


@dataclass(frozen=True)
class PublishedCost:
    """A published parameter/compute figure, with where it comes from and what it counts."""

    params: int | None
    macs: int | None
    source: str
    convention: str
    input_size: int = 224


@dataclass(frozen=True)
class ModelOption:
    """A builder keyword a front end can offer (e.g. a width multiplier)."""

    name: str
    default: object
    choices: tuple = ()
    help: str = ""


@dataclass(frozen=True)
class ModelCard:
    """What a person should know about a model before looking inside it."""

    name: str
    family: str
    paper: str
    authors: str
    year: int
    input_size: int
    ideas_en: str
    ideas_zh: str
    # (idea, module class name) pairs: which block classes carry the model's key idea,
    # e.g. ("inception", "Inception"). Views use them to highlight blocks.
    key_blocks: tuple[tuple[str, str], ...] = ()
    published: tuple[PublishedCost, ...] = ()
    options: tuple[ModelOption, ...] = ()
    in_channels: int = 3
    extra: dict = field(default_factory=dict)

    @property
    def ideas(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(idea for idea, _ in self.key_blocks))


Builder = Callable[..., nn.Module]

_REGISTRY: dict[str, tuple[Builder, ModelCard]] = {}


def register_model(card: ModelCard) -> Callable[[Builder], Builder]:
    """Decorator: register ``builder`` under ``card.name``."""

    def decorate(builder: Builder) -> Builder:
        if card.name in _REGISTRY:
            raise ValueError(f"model {card.name!r} is registered twice")
        _REGISTRY[card.name] = (builder, card)
        return builder

    return decorate


def _entry(name: str) -> tuple[Builder, ModelCard]:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise VizcnnError(f"unknown model {name!r}; known models: {known}") from None


def list_models(family: str | None = None) -> list[str]:
    """Names of the registered models, in registration order, optionally of one family."""
    return [n for n, (_, card) in _REGISTRY.items() if family is None or card.family == family]


def list_families() -> list[str]:
    """Family names in registration order."""
    return list(dict.fromkeys(card.family for _, card in _REGISTRY.values()))


def model_card(name: str) -> ModelCard:
    return _entry(name)[1]


def build(name: str, num_classes: int = 1000, **options: object) -> nn.Module:
    """Build a registered model. Use ``with torch.device("meta"):`` for a weightless one."""
    builder, card = _entry(name)
    allowed = {opt.name for opt in card.options}
    unknown = set(options) - allowed
    if unknown:
        raise VizcnnError(
            f"{name} has no option {', '.join(sorted(unknown))}; "
            f"its options are: {', '.join(sorted(allowed)) or 'none'}"
        )
    return builder(num_classes=num_classes, **options)
