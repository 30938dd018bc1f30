"""A DenseNet-121-like model: Graphviz's worst case, shared by the render tests and the bench.

Huang et al., "Densely Connected Convolutional Networks" (CVPR 2017): inside a dense block
every layer (BN-ReLU-Conv1×1-BN-ReLU-Conv3×3, growth rate 32) reads the ``torch.cat`` of all
earlier feature maps, so a block of n layers has ~n²/2 skip edges. Blocks (6, 12, 24, 16)
with transitions (BN-ReLU-Conv1×1-AvgPool) give ~430 nodes and ~970 edges once traced;
DenseNet-169's (6, 12, 32, 32) give ~590 nodes and ~1,500 edges (the viewer's speed test).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class DenseLayer(nn.Module):
    """Concatenate all earlier features, then bottleneck 1×1 (4·growth) and 3×3 (growth)."""

    def __init__(self, in_channels: int, growth: int = 32, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = torch.cat(features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class DenseBlock(nn.Module):
    """``layers`` dense layers; the output is the concatenation of the input and every layer."""

    def __init__(self, layers: int, in_channels: int, growth: int = 32) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth, growth) for i in range(layers))

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


class Transition(nn.Sequential):
    """BN-ReLU-Conv1×1 halving the channels, then 2×2 average pooling halving the size."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.BatchNorm2d(in_channels), nn.ReLU(inplace=True),
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.AvgPool2d(2, 2))


class DenseNetLike(nn.Module):
    """DenseNet-121's layout: 7×7 stem, four dense blocks with transitions, linear head."""

    def __init__(self, blocks: tuple[int, ...] = (6, 12, 24, 16), growth: int = 32,
                 num_classes: int = 1000) -> None:
        super().__init__()
        channels = 2 * growth
        stages: list[nn.Module] = [
            nn.Conv2d(3, channels, 7, 2, 3, bias=False), nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        for i, layers in enumerate(blocks):
            stages.append(DenseBlock(layers, channels, growth))
            channels += layers * growth
            if i < len(blocks) - 1:
                stages.append(Transition(channels, channels // 2))
                channels //= 2
        stages += [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def densenet121_like() -> DenseNetLike:
    """Built on the meta device: only shapes are needed for a diagram."""
    with torch.device("meta"):
        return DenseNetLike()


def densenet169_like() -> DenseNetLike:
    """DenseNet-169's blocks (6, 12, 32, 32), over 500 boxes fully expanded; meta device."""
    with torch.device("meta"):
        return DenseNetLike(blocks=(6, 12, 32, 32))
