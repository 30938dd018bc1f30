"""What a call with a shape rule computes: a pure function of its bound call, memoized.

A ruled op's output shapes, output dtype, cost, attributes and receptive-field window depend
only on the bound call (tensors replaced by their shapes, :func:`vizcnn.ops.bind`), the
dtypes of its tensors and torch's default dtype — never on tensor values or identities. A
network repeats a handful of layer configurations many times (ResNet-50's 53 convolutions
have 23 distinct calls), and a sweep, a compare or an app rerun traces the same layers again,
so the facts are computed once per distinct call and looked up after that.

The key is read from the call's raw arguments, so a call seen before needs neither binding
nor rules. It is exact: a tensor by its shape and dtype, an int, a str or ``None`` as it is,
a float or a bool tagged with its type (``1 == 1.0 == True`` in Python, but PyTorch treats
them differently), a tuple or list by its kind and items (ints and tensors only). A call with
anything else (a dtype argument, a slice, a nested structure) is computed every time. Errors
(a :class:`~vizcnn.errors.ShapeError`, :class:`~vizcnn.shapes.NoRule`) are never stored, so
a bad call fails the same way each time.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch.nn import Parameter

from vizcnn.costs import Cost
from vizcnn.errors import ShapeError
from vizcnn.ops import UNCOUNTED, OpSpec
from vizcnn.shapes import Shape, fmt, output_dtype

_MAX_ENTRIES = 10_000   # distinct calls kept (≈1 KB each); past it the memo starts again


class OpFacts(NamedTuple):
    """Everything a trace records of one ruled call, except its tensors."""

    shapes: Any                      # the rule's result: a shape, or a tuple of them (None: none)
    out_shapes: tuple[Shape, ...]    # the shapes of the outputs that exist
    dtype: torch.dtype
    inplace: bool                    # the output is the call's first argument
    cost: Cost | None                # None: uncounted
    attrs: dict[str, Any]            # shared by every call with this key: copy before changing
    window: tuple[int, int, int] | None
    kind: str                        # the OpKind value (conv: by kernel size and groups)


_MEMO: dict[tuple, OpFacts] = {}
_INT = frozenset({int})


def read_call(func: Any, args: tuple, kwargs: dict
              ) -> tuple[tuple | None, list[torch.Tensor], OpFacts | None]:
    """One call of the torch callable ``func`` (which names its op), read from its raw
    arguments: its exact key (``None`` where a value is not of a kind it can key), its tensors
    (also inside lists and tuples, in order), and its facts if the call was seen before.

    The key is flat: a tensor is two items (its ``torch.Size``, its dtype), a float or a bool
    two (its type, its value), any other value one (a tuple or list as one tuple that starts
    with its type); the counts of positional and keyword arguments and the keywords' names
    lead it. A bare type item is always a tag, so no two calls share a key."""
    tensors: list[torch.Tensor] = []
    key: list[Any] = [func, torch.get_default_dtype(), len(args), len(kwargs), *kwargs]
    add = key.append
    keyable = True
    for value in (*args, *kwargs.values()) if kwargs else args:
        kind = type(value)
        if kind is torch.Tensor or kind is Parameter:
            tensors.append(value)
            add(value.shape)
            add(value.dtype)
        elif kind is int or kind is str or value is None:
            add(value)
        elif kind is float or kind is bool:
            add(kind)   # the type, then the value: 1, 1.0 and True are told apart
            add(value)
        elif kind is tuple and _INT.issuperset(map(type, value)):
            add((kind, value))   # a stride, a padding, a size
        elif kind is tuple or kind is list:
            part: list[Any] = [kind]
            for item in value:
                if type(item) is int:
                    part.append(item)
                elif isinstance(item, torch.Tensor):
                    tensors.append(item)
                    part.append((item.shape, item.dtype))
                else:
                    keyable = False
            add(tuple(part))
        elif isinstance(value, torch.Tensor):
            tensors.append(value)
            add(value.shape)
            add(value.dtype)
        else:
            keyable = False
    if not keyable:
        return None, tensors, None
    frozen = tuple(key)
    return frozen, tensors, _MEMO.get(frozen)


def facts(spec: OpSpec, call: dict[str, Any], tensors: list[torch.Tensor], args: tuple,
          key: tuple | None) -> OpFacts:
    """The facts of one call of an op that has a shape rule, kept under ``key`` (unless it is
    ``None``). Raises what the rule raises: :class:`~vizcnn.shapes.NoRule` (run the op
    instead) or a ``ShapeError``."""
    found = _compute(spec, call, tensors, args)
    if key is not None:
        if len(_MEMO) >= _MAX_ENTRIES:
            _MEMO.clear()
        _MEMO[key] = found
    return found


def _compute(spec: OpSpec, call: dict[str, Any], tensors: list[torch.Tensor], args: tuple
             ) -> OpFacts:
    op = spec.op
    shapes = op.shape(call)  # type: ignore[operator]
    dtype = output_dtype(op.dtypes, tensors, call, args)
    inplace = spec.inplace or call.get("inplace") is True
    if inplace and isinstance(shapes, tuple) and shapes != call["input"]:
        raise ShapeError(f"in-place result {fmt(shapes)} cannot be written into "
                         f"{fmt(call['input'])}")
    if inplace:
        out_shapes: tuple[Shape, ...] = (call["input"],)
    elif shapes and not isinstance(shapes[0], int):
        out_shapes = tuple(s for s in shapes if s is not None)
    else:
        out_shapes = (shapes,)
    cost = None if op.cost is UNCOUNTED else op.cost(call, out_shapes)  # type: ignore
    attrs = op.attrs(call)
    window = op.window(attrs, call["input"], out_shapes[0]) if (
        op.window is not None and out_shapes and isinstance(call.get("input"), tuple)) else None
    return OpFacts(shapes, out_shapes, dtype, inplace, cost, attrs, window,
                   op.kind_of(attrs).value)


def clear() -> None:
    """Forget every memoized call (tests use it to compare cold and warm traces)."""
    _MEMO.clear()
