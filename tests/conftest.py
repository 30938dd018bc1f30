"""Shared test helpers."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

DATA = Path(__file__).parent / "data"


def reference_rows() -> list[dict[str, str]]:
    """Rows of the published-costs reference (a copy of shared/reference/published_costs.csv)."""
    with open(DATA / "published_costs.csv", newline="") as f:
        return list(csv.DictReader(f))


def torch_conv_linear_macs(model: nn.Module, input_size: tuple[int, ...]) -> int:
    """Conv + linear + matmul MACs by torch's own FlopCounterMode (it counts 2 per MAC).

    An oracle independent of vizcnn's engine: runs the model on the meta device.
    """
    if next(model.parameters()).device.type != "meta":
        model = copy.deepcopy(model).to("meta")  # never change the caller's model
    x = torch.empty(input_size, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    return counter.get_total_flops() // 2


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


@pytest.fixture
def meta_device():
    with torch.device("meta"):
        yield
