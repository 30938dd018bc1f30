"""The memo of ruled calls (vizcnn.op_facts) never changes a trace: its keys are exact, and
errors are never kept."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import vizcnn
from realworld_models import CASES
from vizcnn import op_facts
from vizcnn.errors import ShapeError


def _unmemoized(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call computes its facts, as before the memo."""

    class Forgetful(dict):
        def get(self, key, default=None):
            return default

    monkeypatch.setattr(op_facts, "_MEMO", Forgetful())


@pytest.mark.parametrize("name", vizcnn.list_models())
def test_zoo_traces_are_the_same_cold_warm_and_unmemoized(name: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    card = vizcnn.model_card(name)
    size = (2, card.in_channels, card.input_size, card.input_size)
    op_facts.clear()
    cold = vizcnn.trace(name, size, training=True)
    warm = vizcnn.trace(name, size, training=True)
    _unmemoized(monkeypatch)
    plain = vizcnn.trace(name, size, training=True)
    assert cold == warm == plain


@pytest.mark.parametrize("case", sorted(CASES))
def test_realworld_traces_are_the_same_warm_and_unmemoized(case: str,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    model, args, kwargs = CASES[case]()
    vizcnn.trace(model, inputs=args, kwargs=kwargs)
    warm = vizcnn.trace(model, inputs=args, kwargs=kwargs)
    _unmemoized(monkeypatch)
    assert warm == vizcnn.trace(model, inputs=args, kwargs=kwargs)


def test_keys_tell_int_float_and_bool_apart() -> None:
    x = torch.empty(2, 3, device="meta")
    keys = {op_facts.read_call(torch.add, (x, other), {})[0] for other in (1, 1.0, True)}
    assert len(keys) == 3
    strides = {op_facts.read_call(F.conv2d, (x, x, None, stride), {})[0]
               for stride in ((1, 1), [1, 1])}
    assert len(strides) == 2
    assert op_facts.read_call(F.conv2d, (x, x, None, (1.0, 1.0)), {})[0] is None


def test_keys_tell_dtypes_shapes_and_keywords_apart() -> None:
    a = torch.empty(2, 3, device="meta")
    b = torch.empty(2, 3, device="meta", dtype=torch.float16)
    c = torch.empty(3, 2, device="meta")
    keys = [op_facts.read_call(torch.add, (t,), {"other": 1})[0] for t in (a, b, c)]
    keys.append(op_facts.read_call(torch.add, (a, 1), {})[0])
    assert len(set(keys)) == 4


def test_a_warm_call_promotes_types_as_pytorch_does() -> None:
    class AddConstant(nn.Module):
        def __init__(self, constant: object) -> None:
            super().__init__()
            self.constant = constant

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.constant

    ints = torch.zeros(2, 3, dtype=torch.int64)
    for constant, dtype in ((2, torch.int64), (2.0, torch.float32), (True, torch.int64),
                            (2, torch.int64), (2.0, torch.float32)):
        out = vizcnn.trace(AddConstant(constant), inputs=(ints,))
        assert out.nodes[-1].input_shapes == ((2, 3),)
        assert [e.dtype for e in out.edges if e.dst == "output"] == [
            str(dtype).replace("torch.", "")], constant


def test_a_bad_call_fails_every_time() -> None:
    conv = nn.Conv2d(3, 8, 3)
    for _ in range(2):
        with pytest.raises(ShapeError, match="expects 3 input channels"):
            vizcnn.trace(conv, (1, 4, 8, 8))
    vizcnn.trace(conv, (1, 3, 8, 8))
    with pytest.raises(ShapeError, match="does not fit"):
        vizcnn.trace(conv, (1, 3, 2, 2))


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(op_facts, "_MAX_ENTRIES", 3)
    op_facts.clear()
    vizcnn.trace(nn.Sequential(*[nn.Linear(4 + i, 5 + i) for i in range(6)]), (1, 4))
    assert 0 < len(op_facts._MEMO) <= 3
