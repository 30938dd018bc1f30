"""MobileNetV1: a plain stack of depthwise-separable convolutions.

Paper: "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
Andrew G. Howard, Menglong Zhu, Bo Chen, Dmitry Kalenichenko, Weijun Wang, Tobias Weyand,
Marco Andreetto, Hartwig Adam, 2017, arXiv:1704.04861.

torchvision has no MobileNetV1, so the names follow the paper's Figure 3: every block is a
``depthwise`` 3×3 conv (one filter per channel: spatial filtering) followed by a
``pointwise`` 1×1 conv (mixing channels), each with BatchNorm and ReLU. The layout is the
paper's Table 1 (with the last depthwise at stride 1, as in the reference TF-slim code: the
table's second "s2" there is a typo, the feature map stays 7×7).
"""

from __future__ import annotations

import torch
from torch import nn

from vizcnn.zoo.layers import ConvBNAct, init_weights, make_divisible
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ---------------------------------------------------------------- blocks


class DepthwiseSeparable(nn.Module):
    """Depthwise 3×3 then pointwise 1×1 (paper Fig. 3): a standard conv split in two.

    A standard k×k conv costs k²·Cin·Cout per output pixel; the split costs k²·Cin + Cin·Cout,
    about 8–9× less for 3×3 kernels, which is the whole point of MobileNet.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.depthwise = ConvBNAct(in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


# ---------------------------------------------------------------- model

# Paper Table 1, after the 3×3/s2 stem conv to 32 channels.
_BLOCKS: tuple[tuple[int, int], ...] = (
    # out channels, stride of the depthwise conv
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


class MobileNetV1(nn.Module):
    """Stem conv → 13 depthwise-separable blocks → global average pool → FC.

    ``width_mult`` is the paper's width multiplier α: every layer's channel count is scaled
    by it (rounded to a multiple of 8), cutting MACs and params roughly by α².
    """

    def __init__(
        self,
        blocks: tuple[tuple[int, int], ...] = _BLOCKS,
        stem_channels: int = 32,
        num_classes: int = 1000,
        width_mult: float = 1.0,
    ) -> None:
        super().__init__()
        channels = make_divisible(stem_channels * width_mult, 8)
        layers: list[nn.Module] = [ConvBNAct(3, channels, 3, stride=2)]
        for out_channels, stride in blocks:
            out_channels = make_divisible(out_channels * width_mult, 8)
            layers.append(DepthwiseSeparable(channels, out_channels, stride))
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)


# ---------------------------------------------------------------- builders


def _mobilenet_v1(num_classes: int, width_mult: float) -> MobileNetV1:
    if width_mult <= 0:
        raise ValueError(f"width_mult must be positive, got {width_mult}")
    return MobileNetV1(num_classes=num_classes, width_mult=width_mult)


_PAPER = "Howard et al. 2017 (arXiv 1704.04861) Table 6"
_TFSLIM = "tensorflow/models research/slim/nets/mobilenet_v1.md"
_TFSLIM_CONVENTION = "MACs; params as listed by TF-slim"

# Published figures at the narrower widths (the card's ``published`` holds α = 1.0).
_PUBLISHED_BY_WIDTH: dict[float, tuple[PublishedCost, ...]] = {
    0.75: (
        PublishedCost(2_600_000, 325_000_000, f"paper 0.75 MobileNet-224, {_PAPER}",
                      "Mult-Adds = MACs (conv+fc)"),
        PublishedCost(2_590_000, 317_000_000, f"TF-slim mobilenet_v1_0.75_224, {_TFSLIM}",
                      _TFSLIM_CONVENTION),
    ),
    0.5: (
        PublishedCost(1_300_000, 149_000_000, f"paper 0.5 MobileNet-224, {_PAPER}",
                      "Mult-Adds = MACs (conv+fc)"),
        PublishedCost(1_340_000, 150_000_000, f"TF-slim mobilenet_v1_0.5_224, {_TFSLIM}",
                      _TFSLIM_CONVENTION),
    ),
    0.25: (
        PublishedCost(500_000, 41_000_000, f"paper 0.25 MobileNet-224, {_PAPER}",
                      "Mult-Adds = MACs (conv+fc)"),
        PublishedCost(470_000, 41_000_000, f"TF-slim mobilenet_v1_0.25_224, {_TFSLIM}",
                      _TFSLIM_CONVENTION),
    ),
}


@register_model(ModelCard(
    name="mobilenet_v1",
    family="MobileNet",
    paper="MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
    authors="Andrew G. Howard, Menglong Zhu, Bo Chen, Dmitry Kalenichenko, Weijun Wang, "
            "Tobias Weyand, Marco Andreetto, Hartwig Adam",
    year=2017,
    input_size=224,
    ideas_en=(
        "Every standard convolution is split into a depthwise 3×3 conv, which filters each "
        "channel on its own, and a pointwise 1×1 conv, which mixes the channels; for 3×3 "
        "kernels this costs 8–9× fewer multiply-adds. A width multiplier α then thins every "
        "layer, trading accuracy for cost roughly as α²."
    ),
    ideas_zh=(
        "把每个标准卷积拆成两步：深度卷积（3×3，每个输入通道各用一个卷积核，只做空间上的特征提取）"
        "和逐点卷积（1×1，负责通道之间的特征组合），对 3×3 卷积来说计算量约减少 8～9 倍。"
        "宽度乘子 α 让每一层的通道数按比例变窄，计算量和参数量大约按 α² 下降。"
    ),
    key_blocks=(("depthwise", "DepthwiseSeparable"),),
    published=(
        PublishedCost(4_200_000, 569_000_000,
                      "paper 1.0 MobileNet-224, Howard et al. 2017 (arXiv 1704.04861) Table 6",
                      "Mult-Adds = MACs (conv+fc)"),
        PublishedCost(4_240_000, 569_000_000, f"TF-slim mobilenet_v1_1.0_224, {_TFSLIM}",
                      _TFSLIM_CONVENTION),
        PublishedCost(4_230_000, 580_000_000,
                      "timm mobilenetv1_100 (huggingface/pytorch-image-models "
                      "results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv)",
                      "timm param_count (M, 2 dp); infer_gmacs (GMACs, 2 dp, deepspeed/fvcore "
                      "profiler; also counts BN etc)"),
    ),
    options=(
        ModelOption("width_mult", 1.0, (1.0, 0.75, 0.5, 0.25),
                    "width multiplier α: scales every layer's channels (paper Table 6)"),
    ),
    extra={"published_by_width_mult": _PUBLISHED_BY_WIDTH},
))
def mobilenet_v1(num_classes: int = 1000, *, width_mult: float = 1.0) -> nn.Module:
    """MobileNetV1 (paper Table 1) at width multiplier ``width_mult``."""
    return _mobilenet_v1(num_classes, width_mult)
