"""AlexNet: large early kernels, ReLU and dropout, and in the original, two GPU towers.

Paper: Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton, "ImageNet Classification with Deep
Convolutional Neural Networks", NIPS 2012 (no arXiv id). torchvision's ``alexnet`` is the
single-tower variant from Alex Krizhevsky, "One weird trick for parallelizing convolutional
neural networks", 2014, arXiv:1404.5997.

Two variants are registered because the published figures describe different nets:
``alexnet`` (torchvision's layout, 61.1 M params) and ``alexnet_original`` (the 2012 two-GPU
layout as grouped convolutions, the "60 million parameters" of the abstract).
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor, nn

from vizcnn.zoo.layers import init_weights
from vizcnn.zoo.registry import ModelCard, PublishedCost, register_model

_PAPER = "ImageNet Classification with Deep Convolutional Neural Networks"
_AUTHORS = "Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton"
_MACS = "MACs = conv + linear multiply-accumulates (no bias/BN/activation/pool)"


# ---------------------------------------------------------------------------------------------
# helpers


class _ConvSpec(NamedTuple):
    """One row of a feature-extractor table (see ``_SINGLE_TOWER``)."""

    out_channels: int
    kernel: int
    stride: int
    padding: int
    groups: int
    lrn: bool
    pool: bool


def _paper_lrn() -> nn.LocalResponseNorm:
    """Local response normalisation with the paper's k=2, n=5, α=1e-4, β=0.75.

    The paper divides by (k + α Σ a²)^β; PyTorch (like Caffe) uses α/n, so α is given as n·α.
    """
    size, alpha = 5, 1e-4
    return nn.LocalResponseNorm(size=size, alpha=size * alpha, beta=0.75, k=2.0)


def _make_features(table: Sequence[_ConvSpec], in_channels: int = 3) -> nn.Sequential:
    """Conv → ReLU (→ LRN) (→ overlapping 3×3/2 max pool) per row, flat as in torchvision."""
    layers: list[nn.Module] = []
    for spec in table:
        layers.append(
            nn.Conv2d(
                in_channels, spec.out_channels, spec.kernel, spec.stride, spec.padding,
                groups=spec.groups,
            )
        )
        layers.append(nn.ReLU(inplace=True))
        if spec.lrn:
            layers.append(_paper_lrn())
        if spec.pool:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
        in_channels = spec.out_channels
    return nn.Sequential(*layers)


# torchvision: 64-192-384-256-256, no groups, no LRN, padded conv1 (works from 63×63 up)
#   out  kernel stride pad groups  lrn    pool
_SINGLE_TOWER = (
    _ConvSpec(64, 11, 4, 2, 1, False, True),
    _ConvSpec(192, 5, 1, 2, 1, False, True),
    _ConvSpec(384, 3, 1, 1, 1, False, False),
    _ConvSpec(256, 3, 1, 1, 1, False, False),
    _ConvSpec(256, 3, 1, 1, 1, False, True),
)

# 2012 paper / BVLC Caffe: 96-256-384-384-256; groups=2 where a layer only sees its own
# GPU's half of the previous layer (conv2, conv4, conv5); LRN after conv1 and conv2.
#   out  kernel stride pad groups  lrn    pool
_TWO_TOWER = (
    _ConvSpec(96, 11, 4, 0, 1, True, True),
    _ConvSpec(256, 5, 1, 2, 2, True, True),
    _ConvSpec(384, 3, 1, 1, 1, False, False),
    _ConvSpec(384, 3, 1, 1, 2, False, False),
    _ConvSpec(256, 3, 1, 1, 2, False, True),
)


# ---------------------------------------------------------------------------------------------
# model


class AlexNet(nn.Module):
    """Features (5 convs) → 6×6 average pool → three fully connected layers.

    Attribute names and the classifier's index layout are torchvision's, so its checkpoint
    loads with ``strict=True``. ``dropout_first`` places dropout before each hidden FC as
    torchvision does; the paper (and Caffe) drop the FC outputs instead.
    """

    def __init__(
        self,
        features: nn.Sequential,
        num_classes: int = 1000,
        dropout: float = 0.5,
        dropout_first: bool = True,
    ) -> None:
        super().__init__()
        last = [m for m in features if isinstance(m, nn.Conv2d)][-1].out_channels
        self.features = features
        # Identity at the paper's resolution; keeps the FC input at 6×6 for other sizes.
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        fc6, fc7 = nn.Linear(last * 6 * 6, 4096), nn.Linear(4096, 4096)
        fc8 = nn.Linear(4096, num_classes)
        hidden: list[nn.Module] = []
        for fc in (fc6, fc7):
            if dropout_first:
                hidden += [nn.Dropout(dropout), fc, nn.ReLU(inplace=True)]
            else:
                hidden += [fc, nn.ReLU(inplace=True), nn.Dropout(dropout)]
        self.classifier = nn.Sequential(*hidden, fc8)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# ---------------------------------------------------------------------------------------------
# family builder


def _alexnet(table: Sequence[_ConvSpec], num_classes: int, original: bool) -> AlexNet:
    """``original``: the paper's dropout placement and the shared Kaiming init; otherwise
    torchvision's, which keeps PyTorch's default layer init."""
    model = AlexNet(_make_features(table), num_classes, dropout_first=not original)
    if original:
        init_weights(model)
    return model


# ---------------------------------------------------------------------------------------------
# public builders


@register_model(
    ModelCard(
        name="alexnet",
        family="AlexNet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2012,
        input_size=224,
        ideas_en=(
            "Five convolutions and three fully connected layers; large early kernels (11×11 "
            "with stride 4, then 5×5) shrink the image fast. ReLU instead of tanh, overlapping "
            "max pooling and dropout in the huge FC layers made a deep net trainable on "
            "ImageNet. This is torchvision's single-tower layout (64-192-384-256-256)."
        ),
        ideas_zh=(
            "5 个卷积层加 3 个全连接层，前面用大卷积核（11×11 步长 4，再 5×5）快速缩小特征图，"
            "输出尺寸按 OUT_size = (IN_size − F_size + 2P)/S + 1 计算。用 ReLU 代替 tanh、"
            "重叠最大池化、全连接层加 Dropout，使深层网络能在 ImageNet 上训练。"
            "这里是 torchvision 的单塔版本（64-192-384-256-256）。"
        ),
        key_blocks=(("large_kernels", "Conv2d"),),
        published=(
            PublishedCost(
                61100840, 714000000,
                "torchvision alexnet IMAGENET1K_V1 (num_params, _ops=0.714)",
                "_ops labelled GFLOPS but = GMACs of Conv2d+Linear, eval, 1×3×224×224", 224,
            ),
            PublishedCost(
                61100840, 714188480,
                "torchvision arch, derived analytically (not a published figure)", _MACS, 224,
            ),
        ),
        extra={"layout": "single tower, Krizhevsky 2014 'One weird trick...' arXiv:1404.5997"},
    )
)
def alexnet(num_classes: int = 1000) -> nn.Module:
    """torchvision's AlexNet (single tower, 61,100,840 params, 714 M MACs at 224)."""
    return _alexnet(_SINGLE_TOWER, num_classes, original=False)


@register_model(
    ModelCard(
        name="alexnet_original",
        family="AlexNet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2012,
        input_size=227,
        ideas_en=(
            "The 2012 net as it was trained on two GPUs: conv2, conv4 and conv5 only see the "
            "half of the channels on their own GPU, which is exactly a grouped convolution "
            "with groups=2, and why it has fewer parameters than the single-tower version. "
            "Local response normalisation follows conv1 and conv2; the input is 227×227 "
            "(the paper's '224' leaves conv1's arithmetic fractional)."
        ),
        ideas_zh=(
            "2012 年论文中在两块 GPU 上训练的原始结构：conv2、conv4、conv5 只连接本 GPU 上的"
            "一半通道，相当于 groups=2 的分组卷积，所以参数比单塔版本少。前两个卷积后接局部"
            "响应归一化（LRN）。输入为 227×227：按 (227 − 11)/4 + 1 = 55 正好整除，"
            "论文写的 224 则除不尽。"
        ),
        key_blocks=(("large_kernels", "Conv2d"), ("grouped_conv", "Conv2d")),
        published=(
            PublishedCost(
                60965224, 724406816,
                "original grouped BVLC Caffe layout, derived analytically (not published)",
                _MACS, 227,
            ),
            PublishedCost(
                60000000, None,
                "Krizhevsky et al. NIPS 2012 abstract ('60 million parameters')",
                "params rounded to millions; no FLOP count given", 227,
            ),
            PublishedCost(
                60000000, 720000000,
                "as cited in MobileNetV1 Table 9 (Howard et al. 2017, arXiv:1704.04861)",
                "Mult-Adds = MACs", 224,
            ),
        ),
        extra={"layout": "two GPU towers as groups=2 in conv2/4/5, LRN as in the paper"},
    )
)
def alexnet_original(num_classes: int = 1000) -> nn.Module:
    """The 2012 grouped two-GPU AlexNet (60,965,224 params, 724.4 M MACs at 227)."""
    return _alexnet(_TWO_TOWER, num_classes, original=True)
