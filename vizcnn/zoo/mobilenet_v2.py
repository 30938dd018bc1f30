"""MobileNetV2: inverted residuals with linear bottlenecks.

Paper: "MobileNetV2: Inverted Residuals and Linear Bottlenecks", Mark Sandler, Andrew Howard,
Menglong Zhu, Andrey Zhmoginov, Liang-Chieh Chen, 2018, arXiv:1801.04381.

The module layout and names are torchvision's (``features.N.conv`` …, ``classifier`` =
Dropout + Linear), so a torchvision checkpoint loads with ``strict=True``. The one addition is
a parameter-free ``avgpool`` module (torchvision calls the functional pool) so the head shows
up as its own layer.
"""

from __future__ import annotations

import torch
from torch import nn

from vizcnn.zoo.layers import ConvBNAct, init_weights, make_divisible
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ---------------------------------------------------------------- blocks


class InvertedResidual(nn.Module):
    """Expand 1×1 → depthwise 3×3 → project 1×1 (linear), plus identity when shapes match.

    The opposite of ResNet's bottleneck: ResNet narrows then widens (an hourglass), this one
    widens by ``expand_ratio`` then narrows (a spindle), so the cheap depthwise conv works on
    many channels while the residual stream stays thin. The projection has no activation,
    because ReLU on a low-dimensional tensor destroys information (the "linear bottleneck").
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2, got {stride}")
        hidden = int(round(in_channels * expand_ratio))
        self.stride = stride
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_channels, hidden, 1, activation=nn.ReLU6))  # expand
        layers += [
            ConvBNAct(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6),  # depthwise
            nn.Conv2d(hidden, out_channels, 1, bias=False),  # project (linear)
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


# ---------------------------------------------------------------- model

# Paper Table 2, after the 3×3/s2 stem conv to 32 channels.
_SETTING: tuple[tuple[int, int, int, int], ...] = (
    # t (expansion), c (out channels), n (repeats), s (stride of the first)
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class MobileNetV2(nn.Module):
    """Stem conv → 17 inverted residuals → 1×1 conv to 1280 → pool → Dropout + Linear.

    ``width_mult`` scales every channel count (multiples of 8); the last conv never shrinks
    below 1280, as in the paper, because the classifier needs the width.
    """

    def __init__(
        self,
        setting: tuple[tuple[int, int, int, int], ...] = _SETTING,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        stem_channels: int = 32,
        last_channels: int = 1280,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        channels = make_divisible(stem_channels * width_mult, 8)
        self.last_channel = make_divisible(last_channels * max(1.0, width_mult), 8)
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, stride=2, activation=nn.ReLU6)]
        for t, c, n, s in setting:
            out_channels = make_divisible(c * width_mult, 8)
            for i in range(n):
                layers.append(InvertedResidual(channels, out_channels, s if i == 0 else 1, t))
                channels = out_channels
        layers.append(ConvBNAct(channels, self.last_channel, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(self.last_channel, num_classes),
        )
        init_weights(self)  # the same as torchvision's init for this model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)


# ---------------------------------------------------------------- builders


def _mobilenet_v2(num_classes: int, width_mult: float) -> MobileNetV2:
    if width_mult <= 0:
        raise ValueError(f"width_mult must be positive, got {width_mult}")
    return MobileNetV2(num_classes=num_classes, width_mult=width_mult)


@register_model(ModelCard(
    name="mobilenet_v2",
    family="MobileNet",
    paper="MobileNetV2: Inverted Residuals and Linear Bottlenecks",
    authors="Mark Sandler, Andrew Howard, Menglong Zhu, Andrey Zhmoginov, Liang-Chieh Chen",
    year=2018,
    input_size=224,
    ideas_en=(
        "The inverted residual widens a thin input with a 1×1 conv, filters it with a cheap "
        "depthwise 3×3, then projects it back down with a linear 1×1 (no ReLU, so the "
        "low-dimensional features are not destroyed). It is a spindle where ResNet's bottleneck "
        "is an hourglass, and the identity shortcut joins the thin ends."
    ),
    ideas_zh=(
        "倒残差结构先用 1×1 卷积升维，再用深度卷积（3×3）提取特征，最后用 1×1 卷积降维，"
        "降维之后不接 ReLU（线性瓶颈），以免低维特征被破坏。ResNet 的残差结构先降维再升维，"
        "像沙漏；MobileNet V2 先升维再降维，像纺锤，输入和输出两端较细，用恒等映射相加。"
    ),
    key_blocks=(
        ("inverted_residual", "InvertedResidual"),
        ("residual", "InvertedResidual"),
        ("depthwise", "InvertedResidual"),
    ),
    published=(
        PublishedCost(3_504_872, 301_000_000,
                      "torchvision mobilenet_v2 IMAGENET1K_V1/V2 (pytorch/vision "
                      "torchvision/models/mobilenetv2.py)",
                      "torchvision num_params; _ops = GMACs of Conv2d+Linear (labelled GFLOPS), "
                      "eval model, 1x3x224x224"),
        PublishedCost(3_400_000, 300_000_000,
                      "paper, Sandler et al. 2018 (arXiv 1801.04381) Table 4",
                      "MAdds = MACs"),
        PublishedCost(3_500_000, 310_000_000,
                      "timm mobilenetv2_100 (huggingface/pytorch-image-models "
                      "results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv)",
                      "timm param_count (M, 2 dp); infer_gmacs (GMACs, 2 dp, deepspeed/fvcore "
                      "profiler; also counts BN etc)"),
    ),
    options=(
        ModelOption("width_mult", 1.0, (1.4, 1.3, 1.0, 0.75, 0.5, 0.35),
                    "width multiplier: scales every layer's channels (multiples of 8)"),
    ),
))
def mobilenet_v2(num_classes: int = 1000, *, width_mult: float = 1.0) -> nn.Module:
    """MobileNetV2 (paper Table 2, torchvision layout) at width multiplier ``width_mult``."""
    return _mobilenet_v2(num_classes, width_mult)
