"""Names of a spec for people and for files: ``shufflenet_v1 (groups=8)`` and
``shufflenet_v1_groups8_1x3x224x224``, so two variants of one model never share a name."""

from __future__ import annotations

from vizcnn.spec import ModelSource, ModelSpec, TraceSpec, describe_options
from vizcnn.zoo import model_card

DEFAULT_CLASSES = 1000


def changed_options(spec: ModelSpec) -> str:
    """The options (and class count) that differ from the zoo defaults: ``"groups=8"``."""
    if spec.source is not ModelSource.ZOO:
        return ""
    defaults = tuple((o.name, o.default) for o in model_card(spec.name).options)
    parts = [describe_options(spec.options, defaults)]
    if spec.num_classes not in (None, DEFAULT_CLASSES):
        parts.append(f"classes={spec.num_classes}")
    return ", ".join(p for p in parts if p)


def model_label(spec: ModelSpec) -> str:
    """``shufflenet_v1 (groups=8)``; a user model by its ``file:factory``."""
    changed = changed_options(spec)
    return f"{spec.name} ({changed})" if changed else spec.name


def file_stem(spec: TraceSpec) -> str:
    """A file-name-safe stem naming the model, its changed options, the input and the mode:
    ``shufflenet_v1_groups8_1x3x224x224`` (``_train`` in train mode)."""
    name = spec.model.name
    if spec.model.source is not ModelSource.ZOO:
        name = name.rpartition(":")[2] or "model"
    changed = changed_options(spec.model).replace(", ", "_").replace("=", "")
    parts = [name, changed, "x".join(str(d) for d in spec.input_shape)]
    if spec.training:
        parts.append("train")
    text = "_".join(p for p in parts if p)
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
