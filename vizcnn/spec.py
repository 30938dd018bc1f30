"""What a trace was made from: the model (zoo name and options, or a user model's source) and
the input, as a frozen value.

Every :class:`vizcnn.Trace` records its :class:`TraceSpec`. Anything that needs a variant of a
trace (a sweep, a comparison, a what-if, an accepted-size search) derives it from this spec,
never from widget state, so every view shows numbers of the model that was actually traced.
The spec is plain data: hashable (a cache key) and kept by ``Trace.to_json``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

Shape = tuple[int, ...]
Options = tuple[tuple[str, Any], ...]


class ModelSource(str, Enum):
    """Where the traced model came from, and so whether it can be built again."""

    ZOO = "zoo"          # a registered architecture: rebuilt from name, options and classes
    FACTORY = "factory"  # a user's ``path/to/file.py:factory`` or ``package.module:factory``
    MODULE = "module"    # a live ``nn.Module`` handed to the API: only its class name is known
    ONNX = "onnx"        # an ONNX file, read (never run); options hold its content digest


@dataclass(frozen=True)
class ModelSpec:
    """The model of a trace. For a zoo model ``options`` holds every builder option, the
    defaults filled in, sorted by name, so two spellings of one model are one spec."""

    source: ModelSource
    name: str
    options: Options = ()
    num_classes: int | None = None

    @property
    def rebuildable(self) -> bool:
        return self.source in (ModelSource.ZOO, ModelSource.FACTORY)

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def with_options(self, **changes: Any) -> "ModelSpec":
        return replace(self, options=tuple(sorted({**dict(self.options), **changes}.items())))

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source.value, "name": self.name,
                "options": [list(item) for item in self.options],
                "num_classes": self.num_classes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelSpec":
        return cls(ModelSource(data["source"]), data["name"],
                   tuple((str(k), v) for k, v in data.get("options", ())),
                   data.get("num_classes"))


@dataclass(frozen=True)
class TraceSpec:
    """The model plus the input and mode it was traced with."""

    model: ModelSpec
    input_shapes: tuple[Shape, ...]
    training: bool
    dtype: str = "float32"

    @property
    def input_shape(self) -> Shape:
        """The first (for a CNN: the only) input shape."""
        return self.input_shapes[0] if self.input_shapes else ()

    def with_input(self, *shapes: Shape) -> "TraceSpec":
        return replace(self, input_shapes=tuple(tuple(int(d) for d in s) for s in shapes))

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.to_dict(),
                "input_shapes": [list(s) for s in self.input_shapes],
                "training": self.training, "dtype": self.dtype}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TraceSpec":
        return cls(ModelSpec.from_dict(data["model"]),
                   tuple(tuple(s) for s in data["input_shapes"]),
                   bool(data["training"]), data.get("dtype", "float32"))


def describe_options(options: Options, skip: Options = ()) -> str:
    """``"groups=8, scale=1.0"``: the options that differ from ``skip`` (e.g. the defaults)."""
    left = dict(skip)
    return ", ".join(f"{k}={v}" for k, v in options if k not in left or left[k] != v)
