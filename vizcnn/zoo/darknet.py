"""DarkNet: the YOLO backbones, Darknet-19 (YOLO9000) and Darknet-53 (YOLOv3).

Papers: Joseph Redmon, Ali Farhadi, "YOLO9000: Better, Faster, Stronger", 2016,
arXiv:1612.08242 (Darknet-19, Table 6); Joseph Redmon, Ali Farhadi, "YOLOv3: An Incremental
Improvement", 2018, arXiv:1804.02767 (Darknet-53, Table 1).

Every "Convolutional" layer of the papers is conv (no bias) → BatchNorm → LeakyReLU(0.1),
here the shared :class:`~vizcnn.zoo.layers.ConvBNAct`. Both are classification networks as
the papers benchmark them on ImageNet: Darknet-19 ends in a 1×1 conv to the classes and a
global average pool; Darknet-53 in a global average pool and a fully connected layer.
The papers count "operations" as 2 × multiply-adds; the cards store MACs.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial
from typing import Sequence

from torch import Tensor, nn

from vizcnn.zoo.layers import ConvBNAct, init_weights
from vizcnn.zoo.registry import ModelCard, PublishedCost, register_model

_YOLO9000 = "YOLO9000: Better, Faster, Stronger"
_YOLOV3 = "YOLOv3: An Incremental Improvement"
_AUTHORS = "Joseph Redmon, Ali Farhadi"
_MACS = "MACs = conv + linear multiply-accumulates (no bias/BN/activation/pool/add)"
_OPS = "Darknet 'operations' = 2 × MACs; halved here"


# ---------------------------------------------------------------------------------------------
# helpers


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> ConvBNAct:
    """The papers' "Convolutional" layer: conv (same padding) → BN → LeakyReLU(0.1)."""
    return ConvBNAct(
        in_channels, out_channels, kernel_size, stride, activation=partial(nn.LeakyReLU, 0.1)
    )


# ---------------------------------------------------------------------------------------------
# blocks and the stage loops that stack them


class Residual(nn.Module):
    """Darknet-53's residual unit (YOLOv3 Table 1): 1×1 halves, 3×3 restores, add the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv(channels, channels // 2, 1)
        self.conv2 = _conv(channels // 2, channels, 3)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.conv1(x))


def _plain_stages(stages: Sequence[tuple[int, int]]) -> nn.Sequential:
    """Darknet-19 body: per stage a 2×2/2 max pool (not before the first), then 3×3 convs
    at the stage width alternating with 1×1 convs at half width (VGG with 1×1 bottlenecks)."""
    body: OrderedDict[str, nn.Module] = OrderedDict()
    in_channels = 3
    for i, (width, convs) in enumerate(stages, start=1):
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        if i > 1:
            layers["pool"] = nn.MaxPool2d(2, 2)
        for j in range(convs):
            out_channels, kernel = (width, 3) if j % 2 == 0 else (width // 2, 1)
            layers[f"conv{j + 1}"] = _conv(in_channels, out_channels, kernel)
            in_channels = out_channels
        body[f"stage{i}"] = nn.Sequential(layers)
    return nn.Sequential(body)


def _residual_stages(stem_width: int, stages: Sequence[tuple[int, int]]) -> nn.Sequential:
    """Darknet-53 body: a 3×3 stem, then per stage a 3×3/2 conv that doubles the width and
    halves the resolution, followed by residual units."""
    body: OrderedDict[str, nn.Module] = OrderedDict(stem=_conv(3, stem_width, 3))
    in_channels = stem_width
    for i, (width, blocks) in enumerate(stages, start=1):
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            downsample=_conv(in_channels, width, 3, stride=2)
        )
        for j in range(blocks):
            layers[f"residual{j + 1}"] = Residual(width)
        body[f"stage{i}"] = nn.Sequential(layers)
        in_channels = width
    return nn.Sequential(body)


# Darknet-19 (YOLO9000 Table 6); each stage after the first opens with a 2×2/2 max pool.
#  width, convs (3×3 at width alternating with 1×1 at width/2)
_DARKNET19 = ((32, 1), (64, 1), (128, 3), (256, 3), (512, 5), (1024, 5))

# Darknet-53 (YOLOv3 Table 1) after a 32-wide 3×3 stem; each stage opens with a 3×3/2 conv.
#  width, residual units
_DARKNET53 = ((64, 1), (128, 2), (256, 8), (512, 8), (1024, 4))


# ---------------------------------------------------------------------------------------------
# model


class DarkNet(nn.Module):
    """``features`` (stem + stages) → ``classifier`` (head), both given by the builder."""

    def __init__(self, features: nn.Sequential, classifier: nn.Sequential) -> None:
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


# ---------------------------------------------------------------------------------------------
# family builder


def _darknet(features: nn.Sequential, conv_head: bool, num_classes: int) -> DarkNet:
    """``conv_head``: Darknet-19's 1×1 conv (linear, with bias) then global average pool;
    otherwise Darknet-53's global average pool then FC."""
    width = [m for m in features.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
    if conv_head:
        head = OrderedDict(
            conv=nn.Conv2d(width, num_classes, 1),
            avgpool=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(1),
        )
    else:
        head = OrderedDict(
            avgpool=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(1),
            fc=nn.Linear(width, num_classes),
        )
    model = DarkNet(features, nn.Sequential(head))
    init_weights(model)
    return model


# ---------------------------------------------------------------------------------------------
# public builders


@register_model(
    ModelCard(
        name="darknet19",
        family="DarkNet",
        paper=_YOLO9000,
        authors=_AUTHORS,
        year=2016,
        input_size=224,
        ideas_en=(
            "19 convolutional layers and 5 max pools: mostly 3×3 convolutions like VGG, with "
            "1×1 convolutions between them that halve the channels and keep the cost down, "
            "BatchNorm after every convolution, and no fully connected layers: a 1×1 "
            "convolution to the classes and a global average pool end the network. It was "
            "YOLO9000's backbone, 5.58 billion operations at 224×224."
        ),
        ideas_zh=(
            "19 个卷积层和 5 个最大池化层：像 VGG 一样以 3×3 卷积为主，中间插入 1×1 卷积把"
            "通道数减半以降低计算量；每个卷积后都有 BatchNorm，激活函数为 LeakyReLU(0.1)；"
            "没有全连接层，最后用 1×1 卷积输出类别数再做全局平均池化。它是 YOLO9000 的主干网络。"
        ),
        key_blocks=(("stacked_3x3", "ConvBNAct"),),
        published=(
            PublishedCost(
                20842376, 2790989824,
                "YOLO9000 Table 6 architecture, derived analytically (not published)",
                _MACS, 224,
            ),
            PublishedCost(
                None, 2790000000, "YOLO9000 paper Sec 3 + Table 6 ('5.58 billion operations')",
                _OPS, 224,
            ),
            PublishedCost(
                20842376, 3645374464,
                "YOLO9000 Table 6 architecture, derived analytically (not published)",
                _MACS, 256,
            ),
            PublishedCost(
                None, 3645000000, "YOLOv3 paper Table 2 ('7.29 Bn Ops' at 256×256)", _OPS, 256,
            ),
        ),
    )
)
def darknet19(num_classes: int = 1000) -> nn.Module:
    """Darknet-19 classifier (20,842,376 params; 2.79 G MACs at 224, 3.65 G at 256)."""
    return _darknet(_plain_stages(_DARKNET19), conv_head=True, num_classes=num_classes)


@register_model(
    ModelCard(
        name="darknet53",
        family="DarkNet",
        paper=_YOLOV3,
        authors=_AUTHORS,
        year=2018,
        input_size=256,
        ideas_en=(
            "53 convolutional layers: strided 3×3 convolutions downsample (no pooling), and "
            "between them residual units (1×1 conv halves the channels, 3×3 conv restores "
            "them, the input is added back) borrowed from ResNet. LeakyReLU(0.1) and "
            "BatchNorm throughout. YOLOv3's backbone: about ResNet-152's accuracy at twice "
            "its speed, 18.7 billion operations at 256×256."
        ),
        ideas_zh=(
            "53 个卷积层：用步长为 2 的 3×3 卷积下采样（不用池化），其间堆叠借鉴 ResNet 的"
            "残差单元：1×1 卷积把通道数减半，3×3 卷积再恢复，然后与输入相加（恒等映射）。"
            "全部使用 BatchNorm 和 LeakyReLU(0.1)。它是 YOLOv3 的主干网络，在 256×256 输入下"
            "精度接近 ResNet-152，速度约为其两倍。"
        ),
        key_blocks=(("residual", "Residual"), ("bottleneck", "Residual")),
        published=(
            PublishedCost(
                41609928, 9285115904,
                "YOLOv3 Table 1 backbone + GAP + fc1000, derived analytically (not published)",
                _MACS, 256,
            ),
            PublishedCost(
                None, 9350000000, "YOLOv3 paper Table 2 ('18.7 Bn Ops' at 256×256)",
                _OPS + "; Darknet also counts BN and shortcut ops", 256,
            ),
            PublishedCost(
                41610000, 9310000000,
                "timm darknet53 (results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv)",
                "timm infer_gmacs (profiler, also counts BN etc.); params in M, 2 dp", 256,
            ),
            PublishedCost(
                41609928, 7109156864,
                "YOLOv3 Table 1 backbone + GAP + fc1000 at 224, derived analytically "
                "(for comparison with 224-based counters only)",
                _MACS, 224,
            ),
        ),
    )
)
def darknet53(num_classes: int = 1000) -> nn.Module:
    """Darknet-53 classifier (41,609,928 params; 9.285 G MACs at 256)."""
    return _darknet(_residual_stages(32, _DARKNET53), conv_head=False, num_classes=num_classes)
