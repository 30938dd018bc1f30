"""The stand-in a trace runs: its meta twins are the model's tensors' shapes and nothing more."""

from __future__ import annotations

import torch
from torch import nn

from vizcnn.standin import MetaTwins, stand_in


def test_twins_of_equal_tensors_are_separate_tensors() -> None:
    model = nn.BatchNorm2d(4)   # weight, bias, running mean and variance: all of shape (4,)
    model.bias.requires_grad_(False)
    copy = stand_in(model, MetaTwins())
    twins = [copy.weight, copy.bias, copy.running_mean, copy.running_var]
    assert len({id(t) for t in twins}) == 4
    assert all(t.is_meta and t.shape == (4,) for t in twins)
    assert isinstance(copy.weight, nn.Parameter) and copy.weight.requires_grad
    assert isinstance(copy.bias, nn.Parameter) and not copy.bias.requires_grad
    assert not isinstance(copy.running_mean, nn.Parameter)
    copy.running_mean.unsqueeze_(0)   # a forward may change a tensor's sizes in place
    assert copy.running_var.shape == (4,) and copy.weight.shape == (4,)
    assert model.running_mean.shape == (4,) and not model.running_mean.is_meta


def test_twins_keep_strides_dtypes_and_ties() -> None:
    model = nn.Module()
    model.a = nn.Linear(3, 5, bias=False)
    model.b = nn.Linear(3, 5, bias=False)
    model.b.weight = model.a.weight   # tied
    model.register_buffer("t", torch.zeros(5, 3).t())            # not contiguous
    model.register_buffer("h", torch.zeros(3, 5, dtype=torch.float16))
    copy = stand_in(model, MetaTwins())
    assert copy.b.weight is copy.a.weight
    assert copy.t.stride() == model.t.stride() and copy.h.dtype == torch.float16
    assert copy.t is not copy.h
