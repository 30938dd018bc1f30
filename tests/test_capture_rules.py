"""The shape and dtype rules added for real-world models agree with real meta execution."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import vizcnn


class Calls(nn.Module):
    """Every rule's call forms, with outputs of each kept so the output node shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 5, num_layers=2, bidirectional=True)
        self.gru = nn.GRU(6, 4, batch_first=True)
        self.rnn = nn.RNN(6, 3, nonlinearity="relu")
        self.mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=4, add_bias_kv=True)
        self.emb = nn.Embedding(10, 3)

    def forward(self, x: torch.Tensor, seq: torch.Tensor, idx: torch.Tensor) -> list:
        out = [x[:, 0], x[..., 1:3], x[None], x[1], x[::2, None, ..., -1], x[:, -2:]]
        out += [F.interpolate(x, scale_factor=1.5), F.interpolate(x, size=(3, 7),
                                                                  mode="bilinear")]
        a, b = torch.ones(4, 5, device=x.device), torch.ones(5, 3, device=x.device)
        out += [a @ b, torch.matmul(a[0], b), torch.matmul(x, x.transpose(-1, -2)),
                torch.matmul(x.flatten(0, 1), torch.ones(6, device=x.device)),
                torch.bmm(x[0], x[0].transpose(1, 2)), torch.addmm(b[0], a, b),
                torch.baddbmm(x[0, :, :1, :1], x[0], x[0].transpose(1, 2))]
        out += [F.pad(x, (1, 2)), F.pad(x, (0, 1, 2, 3)), x[:, :1].squeeze(1), x.squeeze(),
                *torch.unbind(x, 1)]
        q = x.view(2, 3, 5, 6)
        out += [F.scaled_dot_product_attention(q, q, q),
                F.scaled_dot_product_attention(q, q[:, :1], q[:, :1], enable_gqa=True)]
        grid = torch.zeros(2, 4, 5, 2, device=x.device)
        out += [F.grid_sample(x, grid, align_corners=False)]
        out += [*self.lstm(seq)[1], self.lstm(seq[:, 0])[0], *self.gru(seq.transpose(0, 1)),
                *self.rnn(seq, torch.zeros(1, seq.shape[1], 3, device=x.device))]
        out += [*self.mha(seq[:, :, :1].expand(-1, -1, 8), seq, seq[..., :4]),
                self.mha(seq[:, :, :1].expand(-1, -1, 8), seq, seq[..., :4],
                         average_attn_weights=False)[1],
                self.mha(seq[0, :, :1].expand(-1, 8), seq[0], seq[0, :, :4],
                         need_weights=False)[0]]
        out += [self.emb(idx), (idx + 1) / 2, idx // 2, idx * 1.5]
        return out


@pytest.mark.parametrize("training", [False, True])
def test_rules_equal_real_meta_execution(training: bool) -> None:
    inputs = (torch.zeros(2, 3, 5, 6), torch.zeros(7, 2, 6), torch.zeros(2, 4, dtype=torch.long))
    fast = vizcnn.trace(Calls(), inputs=inputs, training=training)
    real = vizcnn.trace(Calls(), inputs=inputs, training=training, shape_rules=False)
    assert fast.device == real.device == "meta"
    assert [(n.id, n.output_shapes) for n in fast.nodes] == [
        (n.id, n.output_shapes) for n in real.nodes]
    assert [(e.src, e.dst, e.shape, e.dtype) for e in fast.edges] == [
        (e.src, e.dst, e.shape, e.dtype) for e in real.edges]
    assert (fast.macs, fast.flops, fast.params) == (real.macs, real.flops, real.params)
    with torch.no_grad():
        shapes = [tuple(t.shape) for t in Calls().train(training)(*inputs)]
    assert fast.node("output").input_shapes == tuple(shapes)
