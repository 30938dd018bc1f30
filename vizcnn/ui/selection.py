"""What the person picked in the sidebar, as a frozen (hashable) value.

Every cached function is keyed by :attr:`Selection.key`, a tuple of plain values, so
switching back to an earlier model or input is a cache hit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from vizcnn.words import Lang


class Source(str, Enum):
    """Where the model comes from."""

    ZOO = "zoo"
    USER = "user"


TraceKey = tuple[str, str, tuple[tuple[str, Any], ...], tuple[int, ...], int, bool]


@dataclass(frozen=True)
class Selection:
    """The model, its options and the input, as chosen in the sidebar.

    Attributes:
        lang: label language.
        source: zoo model or the user's own ``module:factory``.
        model: zoo name, or the ``module:factory`` spec of a user model ("" if none given).
        options: the zoo builder's keyword options as sorted (name, value) pairs.
        input_shape: (batch, channels, height, width).
        num_classes: classifier outputs of a zoo model.
        training: trace in train mode (GoogLeNet's auxiliary heads run) or eval mode.
    """

    lang: Lang
    source: Source
    model: str
    options: tuple[tuple[str, Any], ...]
    input_shape: tuple[int, int, int, int]
    num_classes: int
    training: bool

    @property
    def key(self) -> TraceKey:
        """Everything a trace depends on (not the language), for caches."""
        return (self.source.value, self.model, self.options, self.input_shape,
                self.num_classes, self.training)

    @property
    def title(self) -> str:
        """A short name for headings and file names."""
        if self.source is Source.ZOO:
            return self.model
        return self.model.rpartition(":")[2] or "model"

    @property
    def file_stem(self) -> str:
        """A file-name-safe stem: ``resnet50_1x3x224x224``."""
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.title)
        return f"{safe}_{'x'.join(str(d) for d in self.input_shape)}"
