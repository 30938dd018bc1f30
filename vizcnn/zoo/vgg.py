"""VGG: depth from stacks of 3×3 convolutions, configurations A, B, D and E.

Paper: Karen Simonyan, Andrew Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", 2014, arXiv:1409.1556. The ``_bn`` variants (BatchNorm after every
convolution) are torchvision's; BatchNorm came after the paper.

The layout is torchvision's (``features`` as one flat Sequential, ``avgpool`` to 7×7,
``classifier``), so its checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from vizcnn.zoo.layers import init_weights
from vizcnn.zoo.registry import ModelCard, PublishedCost, register_model

_PAPER = "Very Deep Convolutional Networks for Large-Scale Image Recognition"
_AUTHORS = "Karen Simonyan, Andrew Zisserman"
_MACS = "MACs = conv + linear multiply-accumulates (no bias/BN/activation/pool)"
_OPS = "_ops labelled GFLOPS but = GMACs of Conv2d+Linear, eval, 1×3×224×224"
_TIMM = "timm infer_gmacs (profiler, also counts BN etc., ~0.5 % above conv+linear); params in M"

_IDEAS_EN = (
    "Only 3×3 convolutions, stacked two to four deep between 2×2 max pools, with the channels "
    "doubling (64→512) each time the resolution halves. Two stacked 3×3 layers see a 5×5 "
    "window and three see 7×7, with fewer weights (3·9C² vs 49C²) and more ReLUs in between. "
    "Most parameters sit in the first fully connected layer (25088→4096)."
)
_IDEAS_ZH = (
    "全部使用 3×3 卷积，两个 2×2 最大池化之间堆叠 2～4 个；分辨率减半时通道数翻倍（64→512）。"
    "用 2 个 3×3 卷积代替 1 个 5×5、3 个代替 1 个 7×7：感受野相同，但参数更少"
    "（3×9C² 对 49C²），中间还多了几次 ReLU 非线性。大部分参数集中在第一个全连接层"
    "（25088→4096）。"
)
_BN_EN = " This variant adds BatchNorm after every convolution (torchvision; not in the paper)."
_BN_ZH = "此版本在每个卷积后加 BatchNorm（torchvision 的做法，论文中没有）。"


# ---------------------------------------------------------------------------------------------
# helpers

# Paper Table 1, one list per column: 3×3 conv output widths in order, "M" = 2×2/2 max pool.
_CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG-11
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG-13
    "D": [  # VGG-16
        64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
    ],
    "E": [  # VGG-19
        64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
        512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
    ],
}


def make_layers(cfg: Sequence[int | str], batch_norm: bool = False) -> nn.Sequential:
    """torchvision's ``make_layers``: conv 3×3/1 pad 1 (→ BN) → ReLU, or a max pool."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        out_channels = int(v)
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(nn.ReLU(inplace=True))
        in_channels = out_channels
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------------------------------
# model


class VGG(nn.Module):
    """features → 7×7 average pool (identity at 224) → FC 4096 → FC 4096 → FC classes."""

    def __init__(
        self, features: nn.Sequential, num_classes: int = 1000, dropout: float = 0.5
    ) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# ---------------------------------------------------------------------------------------------
# family builder


def _vgg(cfg: str, batch_norm: bool, num_classes: int) -> VGG:
    model = VGG(make_layers(_CFGS[cfg], batch_norm), num_classes)
    init_weights(model)  # the same Kaiming / N(0, 0.01) init torchvision's VGG uses
    return model


def _card(
    name: str, depth: int, bn: bool, published: tuple[PublishedCost, ...]
) -> ModelCard:
    return ModelCard(
        name=name,
        family="VGG",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2014,
        input_size=224,
        ideas_en=_IDEAS_EN + (_BN_EN if bn else ""),
        ideas_zh=_IDEAS_ZH + (_BN_ZH if bn else ""),
        key_blocks=(("stacked_3x3", "Conv2d"),),
        published=published,
        extra={"config": {11: "A", 13: "B", 16: "D", 19: "E"}[depth], "batch_norm": bn},
    )


def _tv(params: int, gmacs: str, exact: int, variant: str) -> tuple[PublishedCost, ...]:
    """torchvision's published row and the analytic row for the same architecture."""
    return (
        PublishedCost(
            params, int(round(float(gmacs) * 1e9)),
            f"torchvision {variant} IMAGENET1K_V1 (num_params, _ops={gmacs})", _OPS, 224,
        ),
        PublishedCost(
            params, exact, "torchvision arch, derived analytically (not a published figure)",
            _MACS, 224,
        ),
    )


def _timm(mparams: float, gmacs: float, variant: str) -> PublishedCost:
    return PublishedCost(
        int(round(mparams * 1e6)), int(round(gmacs * 1e9)),
        f"timm {variant} (results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv)", _TIMM, 224,
    )


def _paper(mparams: int, column: str) -> PublishedCost:
    return PublishedCost(
        mparams * 1_000_000, None, f"Simonyan & Zisserman 2014, Table 2, config {column}",
        "params in millions, rounded; no FLOP count given", 224,
    )


# ---------------------------------------------------------------------------------------------
# public builders


@register_model(_card("vgg11", 11, False, (
    *_tv(132863336, "7.609", 7609090048, "vgg11"), _timm(132.86, 7.61, "vgg11"),
    _paper(133, "A"),
)))
def vgg11(num_classes: int = 1000) -> nn.Module:
    """VGG-11 (configuration A)."""
    return _vgg("A", False, num_classes)


@register_model(_card("vgg11_bn", 11, True, (
    *_tv(132868840, "7.609", 7609090048, "vgg11_bn"), _timm(132.87, 7.62, "vgg11_bn"),
)))
def vgg11_bn(num_classes: int = 1000) -> nn.Module:
    """VGG-11 (configuration A) with BatchNorm."""
    return _vgg("A", True, num_classes)


@register_model(_card("vgg13", 13, False, (
    *_tv(133047848, "11.308", 11308466176, "vgg13"), _timm(133.05, 11.31, "vgg13"),
    _paper(133, "B"),
)))
def vgg13(num_classes: int = 1000) -> nn.Module:
    """VGG-13 (configuration B)."""
    return _vgg("B", False, num_classes)


@register_model(_card("vgg13_bn", 13, True, (
    *_tv(133053736, "11.308", 11308466176, "vgg13_bn"), _timm(133.05, 11.33, "vgg13_bn"),
)))
def vgg13_bn(num_classes: int = 1000) -> nn.Module:
    """VGG-13 (configuration B) with BatchNorm."""
    return _vgg("B", True, num_classes)


@register_model(_card("vgg16", 16, False, (
    *_tv(138357544, "15.47", 15470264320, "vgg16"), _timm(138.36, 15.47, "vgg16"),
    _paper(138, "D"),
    PublishedCost(
        None, 15_300_000_000, "as cited in the ResNet paper (He et al. 2015, Sec 3.3)",
        "multiply-adds of the conv layers only (FC layers not counted)", 224,
    ),
    PublishedCost(
        None, 15_350_000_000, "as cited in YOLO9000 ('30.69 billion operations')",
        "2 × MACs of the conv layers only, halved here", 224,
    ),
)))
def vgg16(num_classes: int = 1000) -> nn.Module:
    """VGG-16 (configuration D)."""
    return _vgg("D", False, num_classes)


@register_model(_card("vgg16_bn", 16, True, (
    *_tv(138365992, "15.47", 15470264320, "vgg16_bn"), _timm(138.37, 15.5, "vgg16_bn"),
    PublishedCost(
        None, 15_470_000_000, "as cited in SENet Table 2 (Hu et al., arXiv:1709.01507)",
        "GFLOPs = GMACs incl. FC", 224,
    ),
)))
def vgg16_bn(num_classes: int = 1000) -> nn.Module:
    """VGG-16 (configuration D) with BatchNorm."""
    return _vgg("D", True, num_classes)


@register_model(_card("vgg19", 19, False, (
    *_tv(143667240, "19.632", 19632062464, "vgg19"), _timm(143.67, 19.63, "vgg19"),
    _paper(144, "E"),
    PublishedCost(
        None, 19_600_000_000, "as cited in the ResNet paper (He et al. 2015, Table 1)",
        "multiply-adds incl. FC", 224,
    ),
)))
def vgg19(num_classes: int = 1000) -> nn.Module:
    """VGG-19 (configuration E)."""
    return _vgg("E", False, num_classes)


@register_model(_card("vgg19_bn", 19, True, (
    *_tv(143678248, "19.632", 19632062464, "vgg19_bn"), _timm(143.68, 19.66, "vgg19_bn"),
)))
def vgg19_bn(num_classes: int = 1000) -> nn.Module:
    """VGG-19 (configuration E) with BatchNorm."""
    return _vgg("E", True, num_classes)
