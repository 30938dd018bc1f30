"""Property: for every zoo model and random input shapes, valid or not, the fast trace (shape
rules) equals real meta execution, or both refuse the input with a VizcnnError naming the same
layer. A modest, seeded number of examples per model keeps it fast and reproducible."""

from __future__ import annotations

import random

import pytest

import vizcnn

EXAMPLES = 3


def _shapes(name: str) -> list[tuple[int, ...]]:
    card = vizcnn.model_card(name)
    rng = random.Random(name)
    shapes = []
    for _ in range(EXAMPLES):
        channels = card.in_channels if rng.random() < 0.8 else rng.choice((1, 2, 4))
        side = rng.choice((rng.randint(1, 64), rng.randint(64, 260)))
        shape = (rng.randint(1, 2), channels, side, rng.choice((side, rng.randint(1, 260))))
        shapes.append(shape if rng.random() < 0.9 else shape[1:])  # sometimes no batch dim
    return shapes


def _outcome(name: str, shape: tuple[int, ...], training: bool, rules: bool):
    try:
        t = vizcnn.trace(name, shape, training=training, shape_rules=rules)
    except vizcnn.VizcnnError as error:
        return "error", error.path
    return "ok", ([(n.id, n.output_shapes) for n in t.nodes], t.macs, t.flops, t.params)


@pytest.mark.parametrize("name", vizcnn.list_models())
def test_random_shapes_trace_like_real_meta_execution(name: str) -> None:
    for i, shape in enumerate(_shapes(name)):
        training = i % 2 == 1
        fast = _outcome(name, shape, training, rules=True)
        real = _outcome(name, shape, training, rules=False)
        assert fast == real, (shape, training)
        if fast[0] == "error":
            assert fast[1], f"{shape}: the error names no layer"
