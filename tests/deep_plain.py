"""A deep plain (VGG-style, no shortcuts) net of over 1,000 layers: the viewer's pan/zoom
measurement needs a drawing of at least 1,000 boxes, more than any zoo model has."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DeepPlainNet(nn.Module):
    """``stages`` of ``per_stage`` Conv3×3-BN-ReLU triples, each stage ending in a 2×2 max
    pool that halves the size while the channels double; a linear head."""

    def __init__(self, stages: int = 4, per_stage: int = 84, width: int = 16,
                 num_classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels_in, channels = 3, width
        for _ in range(stages):
            for _ in range(per_stage):
                layers += [nn.Conv2d(channels_in, channels, 3, padding=1, bias=False),
                           nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
                channels_in = channels
            layers.append(nn.MaxPool2d(2, 2))
            channels *= 2
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels_in, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def deep_plain_net() -> DeepPlainNet:
    """4 × 84 triples + 4 pools + head: 1,011 layers; built on the meta device."""
    with torch.device("meta"):
        return DeepPlainNet()
