"""Small hand-written look-alikes of the patterns real models use (torchvision and timm are not
available here): each reproduces one way a model broke vizcnn in issue 10.

``CASES`` maps a name to a factory returning ``(model, args, kwargs)`` with real input values.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn


class AnchorDetector(nn.Module):
    """torchvision's detection pattern: the anchor generator caches tensors in a plain
    attribute moved to the input's device, and the head keeps only the positive scores
    (``nonzero``: needs real values, so the trace falls back to the CPU)."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU())
        self.score = nn.Conv2d(8, 3, 1)
        self.cell_anchors = [torch.tensor([[-8.0, -8.0, 8.0, 8.0], [-16.0, -16.0, 16.0, 16.0],
                                           [-4.0, -8.0, 4.0, 8.0]])]

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        self.cell_anchors = [a.to(device=images.device) for a in self.cell_anchors]
        scores = self.score(self.backbone(images))
        keep = torch.nonzero(scores.flatten(1) > 0)
        anchors = self.cell_anchors[0].repeat(scores.shape[-1] * scores.shape[-2], 1)
        return [anchors[keep[:, 1] % anchors.shape[0]], scores]


class FrozenBNNet(nn.Module):
    """A model trained with a frozen BatchNorm: the root in train mode, one BN in eval."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.conv(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


def frozen_bn() -> nn.Module:
    model = FrozenBNNet().train()
    model.bn.eval()
    for p in model.bn.parameters():
        p.requires_grad_(False)
    return model


class EncoderBlock(nn.Module):
    """A ViT encoder block: pre-norm ``nn.MultiheadAttention`` and an MLP, both residual."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class TinyViT(nn.Module):
    """torchvision's ViT layout: conv patch embedding, class token, position embedding."""

    def __init__(self, dim: int = 32, heads: int = 4, depth: int = 2, classes: int = 10) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(3, dim, 8, stride=8)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.randn(1, 17, dim) * 0.02)
        self.layers = nn.Sequential(*[EncoderBlock(dim, heads) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.layers(x + self.pos_embedding)
        return self.head(self.ln(x)[:, 0])


class WeightsAttention(nn.Module):
    """``nn.MultiheadAttention`` returning its averaged weights (the bmm/baddbmm path)."""

    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 2, kdim=8, vdim=12)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> tuple:
        return self.attn(q, k, v)


class TransformerClassifier(nn.Module):
    """``nn.TransformerEncoder`` over token embeddings, mean-pooled into a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(100, 32)
        layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(32, 5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(tokens)).mean(1))


class RecurrentClassifier(nn.Module):
    """Embedding → a 2-layer bidirectional LSTM or GRU (or a plain RNN) → the last step."""

    def __init__(self, cell: type[nn.RNNBase], **options: Any) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.rnn = cell(16, 24, batch_first=True, **options)
        out = 24 * (2 if options.get("bidirectional") else 1)
        self.fc = nn.Linear(options.get("proj_size") or out, 3) if not options.get(
            "bidirectional") else nn.Linear(out, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        return self.fc(out[:, -1])


class TiedLanguageModel(nn.Module):
    """A decoder head tied to the token embedding (``head.weight is embed.weight``)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(40, 16)
        self.body = nn.Linear(16, 16)
        self.head = nn.Linear(16, 40, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.body(self.embed(tokens))))


class TwoNames(nn.Module):
    """One module registered under two names and called through both."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 3, 3, padding=1)
        self.again = self.stem
        self.fc = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.again(self.stem(x)).mean((2, 3)))


class WithScripted(nn.Module):
    """A ``torch.jit.script`` submodule between ordinary layers."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.block = torch.jit.script(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()))
        self.fc = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.block(self.conv(x)).mean((2, 3)))


class Refiner(nn.Module):
    """RAFT-like: refine a state a data-dependent number of times (``int(steps)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.update = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        for _ in range(int(steps)):
            x = torch.tanh(self.update(x))
        return x


class PythonSteps(nn.Module):
    """The same loop over a plain Python int argument (no fallback needed)."""

    def __init__(self) -> None:
        super().__init__()
        self.update = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor, steps: int = 3) -> torch.Tensor:
        for _ in range(steps):
            x = torch.tanh(self.update(x))
        return x


class CoordsNet(nn.Module):
    """CoordConv / swin's relative-coords pattern: a grid from ``arange`` (made inside the
    model, no device given), concatenated to the features and fed to a conv."""

    def __init__(self) -> None:
        super().__init__()
        self.coords = nn.Conv2d(2, 4, 1)
        self.conv = nn.Conv2d(3 + 4, 8, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        ys, xs = torch.meshgrid(torch.arange(h) / h, torch.arange(w) / w, indexing="ij")
        grid = torch.stack([ys, xs]).unsqueeze(0).to(x.device)
        grid = self.coords(grid * 2 - 1).expand(x.shape[0], -1, -1, -1)
        return self.conv(torch.cat([x, grid], dim=1))


@dataclass
class Features:
    """A dataclass a submodule returns (and the model outputs)."""

    maps: torch.Tensor
    pooled: torch.Tensor
    extra: torch.Tensor | None = None


class ReturnsNone(nn.Module):
    def forward(self, x: torch.Tensor) -> None:
        return None


class ReturnsInt(nn.Module):
    def forward(self, x: torch.Tensor) -> int:
        return int(x.shape[1])


class ReturnsFeatures(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, x: torch.Tensor) -> Features:
        maps = self.conv(x)
        return Features(maps, maps.mean((2, 3)))


Pair = namedtuple("Pair", "logits aux")


class OddOutputs(nn.Module):
    """Submodules returning None, an int and a dataclass; a dataclass model output holding a
    namedtuple-free tensor and None; a keyword argument that is a float (``scale=2.0``)."""

    def __init__(self) -> None:
        super().__init__()
        self.nothing = ReturnsNone()
        self.count = ReturnsInt()
        self.features = ReturnsFeatures()
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor, scale: float = 1.0, flag: bool = True,
                extra: Any = None) -> Features:
        assert self.nothing(x) is None
        channels = self.count(x)
        feats = self.features(F.interpolate(x, scale_factor=scale, mode="bilinear"))
        logits = self.fc(feats.pooled) * (channels if flag else 1)
        return Features(feats.maps, logits, None if extra is None else extra["bias"] + logits)


class NestedIO(nn.Module):
    """Nested inputs (a dict holding a list and a namedtuple) and a nested output."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 2)

    def forward(self, batch: dict) -> dict:
        first, second = batch["pair"]
        h = self.a(first) + self.a(second) + batch["list"][0]
        return {"out": Pair(self.b(h), [h, None]), "n": 3}


class Functional(nn.Module):
    """bilinear, baddbmm, unbind and scaled dot-product attention, called functionally."""

    def __init__(self) -> None:
        super().__init__()
        self.bil = nn.Bilinear(8, 6, 5)
        self.q = nn.Linear(8, 8)
        self.bias = nn.Parameter(torch.zeros(1, 4, 4))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        b = self.bil(x[:, 0], y[:, 0])
        q = self.q(x)
        scores = torch.baddbmm(self.bias, q, q.transpose(1, 2))
        heads = q.view(2, 4, 2, 4).transpose(1, 2)
        att = F.scaled_dot_product_attention(heads, heads, heads)
        parts = torch.unbind(att, dim=1)
        return b.sum() + scores.softmax(-1).sum() + sum(p.sum() for p in parts)


class Hooked(nn.Module):
    """A model carrying the user's own forward hook (it must stay, and stay unrun)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.seen: list[tuple[int, ...]] = []
        self.conv.register_forward_hook(lambda m, i, o: self.seen.append(tuple(o.shape)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def _tokens(*shape: int, high: int = 40) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(0))


def _image(*shape: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(0))


Case = Callable[[], "tuple[nn.Module, tuple, dict]"]
CASES: dict[str, Case] = {
    "anchor_detector": lambda: (AnchorDetector().eval(), (_image(1, 3, 16, 16),), {}),
    "frozen_bn": lambda: (frozen_bn(), (_image(2, 3, 8, 8),), {}),
    "tiny_vit": lambda: (TinyViT().eval(), (_image(2, 3, 32, 32),), {}),
    "attention_weights": lambda: (WeightsAttention().eval(),
                                  (_image(5, 2, 16), _image(7, 2, 8), _image(7, 2, 12)), {}),
    "transformer_encoder": lambda: (TransformerClassifier().eval(), (_tokens(2, 9, high=100),),
                                    {}),
    "lstm": lambda: (RecurrentClassifier(nn.LSTM, num_layers=2, bidirectional=True).eval(),
                     (_tokens(3, 7, high=50),), {}),
    "lstm_proj": lambda: (RecurrentClassifier(nn.LSTM, proj_size=10).eval(),
                          (_tokens(2, 5, high=50),), {}),
    "gru": lambda: (RecurrentClassifier(nn.GRU, num_layers=2, bidirectional=True).eval(),
                    (_tokens(3, 7, high=50),), {}),
    "rnn": lambda: (RecurrentClassifier(nn.RNN).eval(), (_tokens(2, 6, high=50),), {}),
    "tied_embedding": lambda: (TiedLanguageModel().eval(), (_tokens(2, 6),), {}),
    "one_module_two_names": lambda: (TwoNames().eval(), (_image(1, 3, 8, 8),), {}),
    "scripted_submodule": lambda: (WithScripted().eval(), (_image(1, 3, 8, 8),), {}),
    "data_dependent_loop": lambda: (Refiner().eval(), (_image(2, 8), torch.tensor(4)), {}),
    "python_int_loop": lambda: (PythonSteps().eval(), (_image(2, 8), 5), {}),
    "coords_grid": lambda: (CoordsNet().eval(), (_image(1, 3, 6, 5),), {}),
    "odd_outputs": lambda: (OddOutputs().eval(), (_image(2, 3, 6, 6),),
                            {"scale": 2.0, "flag": True, "extra": {"bias": _image(2, 3)}}),
    "nested_io": lambda: (NestedIO().eval(), ({"pair": Pair(_image(2, 4), _image(2, 4)),
                                               "list": [_image(2, 4), 7]},), {}),
    "functional": lambda: (Functional().eval(), (_image(2, 4, 8), _image(2, 4, 6)), {}),
    "hooked": lambda: (Hooked().eval(), (_image(1, 3, 6, 6),), {}),
}
