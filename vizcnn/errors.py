"""The one error type vizcnn raises for bad input, so front ends can show it cleanly."""

from __future__ import annotations


class VizcnnError(Exception):
    """Bad input or a model that cannot be traced; the message is meant for a person.

    ``path``, ``op`` and ``input_shapes`` name the layer that failed when one is known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        op: str | None = None,
        input_shapes: tuple[tuple[int, ...], ...] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.op = op
        self.input_shapes = input_shapes
        self.reason = reason


class ShapeError(VizcnnError):
    """An input shape the model cannot accept (too small, wrong channels, wrong rank)."""
