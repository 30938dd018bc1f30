"""MobileNetV3 (Large and Small): inverted residuals with SE and hard-swish, found by NAS.

Paper: "Searching for MobileNetV3", Andrew Howard, Mark Sandler, Grace Chu, Liang-Chieh Chen,
Bo Chen, Mingxing Tan, Weijun Wang, Yukun Zhu, Ruoming Pang, Vijay Vasudevan, Quoc V. Le,
Hartwig Adam, 2019, arXiv:1905.02244.

The module layout and names are torchvision's (``features.N.block`` …, ``avgpool``,
``classifier``), so a torchvision checkpoint loads with ``strict=True``. torchvision's V3 block
keeps its layers in ``block`` with a ConvBNAct projection, where V2's keeps them in ``conv``
with a bare conv + BN, so the two families keep separate ``InvertedResidual`` classes rather
than bend one class to both parameter layouts.

``width_mult`` follows torchvision: it scales every row's in/expanded/out channels and the
classifier's hidden width. The paper's (and TF-slim's, timm's) 0.75 models differ: their
expanded width is the row's expansion ratio times the *scaled* input, and the 1280/1024 head
is not scaled, which is why they publish 4.0M/155M (Large) and 2.0M/44M (Small) where this
builder gives 3.38M/140M and 1.65M/39M.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from vizcnn.zoo.layers import ConvBNAct, SqueezeExcitation, init_weights, make_divisible
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ---------------------------------------------------------------- helpers

# One bneck row: in, kernel, expanded, out, SE, activation ("RE"/"HS"), stride.
_Row = tuple[int, int, int, int, bool, str, int]


@dataclass(frozen=True)
class BneckConfig:
    """One row of the paper's Table 1/2, with channels already scaled by the width multiplier."""

    in_channels: int
    kernel: int
    expanded_channels: int
    out_channels: int
    use_se: bool
    use_hs: bool  # hard-swish ("HS") rather than ReLU ("RE")
    stride: int

    @classmethod
    def from_row(cls, row: _Row, width_mult: float) -> BneckConfig:
        in_c, k, exp, out, se, act, s = row
        return cls(_scale(in_c, width_mult), k, _scale(exp, width_mult),
                   _scale(out, width_mult), se, act == "HS", s)


def _scale(channels: int, width_mult: float) -> int:
    return make_divisible(channels * width_mult, 8)


def _use_tf_batchnorm(model: nn.Module) -> None:
    """BatchNorm eps=1e-3, momentum=0.01: the TF reference values torchvision's weights use."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eps, m.momentum = 1e-3, 0.01


# ---------------------------------------------------------------- blocks


class InvertedResidual(nn.Module):
    """MobileNetV2's spindle (expand 1×1 → depthwise k×k → linear project 1×1) plus SE.

    The SE sits after the depthwise conv, on the wide tensor, and squeezes to a quarter of it
    (rounded to 8); its gate is a hard-sigmoid, cheap on phones. The expand conv is skipped
    when the block does not widen (expanded == in channels).
    """

    def __init__(self, cnf: BneckConfig) -> None:
        super().__init__()
        if cnf.stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2, got {cnf.stride}")
        self.use_res_connect = cnf.stride == 1 and cnf.in_channels == cnf.out_channels
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        exp = cnf.expanded_channels
        layers: list[nn.Module] = []
        if exp != cnf.in_channels:
            layers.append(ConvBNAct(cnf.in_channels, exp, 1, activation=act))  # expand
        layers.append(ConvBNAct(exp, exp, cnf.kernel, cnf.stride, groups=exp, activation=act))
        if cnf.use_se:
            layers.append(SqueezeExcitation(exp, make_divisible(exp // 4, 8),
                                            scale_activation=nn.Hardsigmoid))
        layers.append(ConvBNAct(exp, cnf.out_channels, 1, activation=None))  # project (linear)
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.block(x)
        if self.use_res_connect:
            result = result + x
        return result


# ---------------------------------------------------------------- model

# Paper Table 1 (Large) and Table 2 (Small): the bneck rows after the 3×3/s2 stem conv.
_LARGE: tuple[_Row, ...] = (
    # in, kernel, expanded, out, SE, activation, stride
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2),
    (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
)
_SMALL: tuple[_Row, ...] = (
    # in, kernel, expanded, out, SE, activation, stride
    (16, 3, 16, 16, True, "RE", 2),
    (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1),
    (48, 5, 144, 48, True, "HS", 1),
    (48, 5, 288, 96, True, "HS", 2),
    (96, 5, 576, 96, True, "HS", 1),
    (96, 5, 576, 96, True, "HS", 1),
)


class MobileNetV3(nn.Module):
    """Stem conv (hard-swish) → bnecks → 1×1 conv to 6× → pool → Linear, HS, Dropout, Linear.

    The "efficient last stage" of the paper: pooling happens before the wide 1×1 layer
    (here the classifier's first Linear), which is where most of V2's head cost went.
    """

    def __init__(
        self,
        setting: tuple[BneckConfig, ...],
        last_channel: int,
        num_classes: int = 1000,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        first = setting[0].in_channels
        layers: list[nn.Module] = [ConvBNAct(3, first, 3, stride=2, activation=nn.Hardswish)]
        layers += [InvertedResidual(cnf) for cnf in setting]
        last_in = setting[-1].out_channels
        layers.append(ConvBNAct(last_in, 6 * last_in, 1, activation=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * last_in, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        _use_tf_batchnorm(self)
        init_weights(self)  # the same as torchvision's init for this model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)


# ---------------------------------------------------------------- builders


def _mobilenet_v3(rows: tuple[_Row, ...], last_channel: int, num_classes: int,
                  width_mult: float) -> MobileNetV3:
    if width_mult <= 0:
        raise ValueError(f"width_mult must be positive, got {width_mult}")
    setting = tuple(BneckConfig.from_row(row, width_mult) for row in rows)
    return MobileNetV3(setting, _scale(last_channel, width_mult), num_classes)


_PAPER_V3 = "Searching for MobileNetV3"
_AUTHORS_V3 = ("Andrew Howard, Mark Sandler, Grace Chu, Liang-Chieh Chen, Bo Chen, Mingxing Tan, "
               "Weijun Wang, Yukun Zhu, Ruoming Pang, Vijay Vasudevan, Quoc V. Le, Hartwig Adam")
_IDEAS_EN = (
    "MobileNetV2's inverted residual gains a squeeze-and-excitation gate after the depthwise "
    "conv and the hard-swish activation in the deeper half; the block sequence and widths were "
    "found by hardware-aware architecture search (NAS + NetAdapt). The head pools first and "
    "only then applies the wide layer, which removes most of V2's last-stage cost."
)
_IDEAS_ZH = (
    "在 MobileNet V2 的倒残差结构（纺锤形）里，深度卷积之后加入 SE 通道注意力（形状不变，只给每个通道"
    "乘一个权重），网络后半部分把 ReLU 换成计算便宜的 h-swish；每个模块的配置由面向硬件的网络结构搜索"
    "（NAS + NetAdapt）得到。分类头先做全局平均池化再接宽的全连接层，省掉了 V2 最后阶段的大部分计算量。"
)
_KEY_BLOCKS = (
    ("inverted_residual", "InvertedResidual"),
    ("residual", "InvertedResidual"),
    ("depthwise", "InvertedResidual"),
    ("se", "SqueezeExcitation"),
)
_TIMM_SOURCE = ("(huggingface/pytorch-image-models "
                "results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv)")
_TIMM_CONVENTION = ("timm param_count (M, 2 dp); infer_gmacs (GMACs, 2 dp, deepspeed/fvcore "
                    "profiler; also counts BN etc)")
_TV_CONVENTION = ("torchvision num_params; _ops = GMACs of Conv2d+Linear (labelled GFLOPS), "
                  "eval model, 1x3x224x224")
_WIDTH_OPTION = ModelOption("width_mult", 1.0, (1.0, 0.75, 0.5, 0.35),
                            "width multiplier, torchvision's rule: scales every layer's channels "
                            "and the head (multiples of 8)")


@register_model(ModelCard(
    name="mobilenet_v3_large",
    family="MobileNet",
    paper=_PAPER_V3,
    authors=_AUTHORS_V3,
    year=2019,
    input_size=224,
    ideas_en=_IDEAS_EN,
    ideas_zh=_IDEAS_ZH,
    key_blocks=_KEY_BLOCKS,
    published=(
        PublishedCost(5_483_032, 217_000_000,
                      "torchvision mobilenet_v3_large IMAGENET1K_V1/V2 (pytorch/vision "
                      "torchvision/models/mobilenetv3.py)", _TV_CONVENTION),
        PublishedCost(5_400_000, 219_000_000,
                      "paper, Howard et al. 2019 (arXiv 1905.02244) Table 3", "MAdds = MACs"),
        PublishedCost(5_480_000, 230_000_000, f"timm mobilenetv3_large_100 {_TIMM_SOURCE}",
                      _TIMM_CONVENTION),
    ),
    options=(_WIDTH_OPTION,),
))
def mobilenet_v3_large(num_classes: int = 1000, *, width_mult: float = 1.0) -> nn.Module:
    """MobileNetV3-Large (paper Table 1, torchvision layout)."""
    return _mobilenet_v3(_LARGE, 1280, num_classes, width_mult)


@register_model(ModelCard(
    name="mobilenet_v3_small",
    family="MobileNet",
    paper=_PAPER_V3,
    authors=_AUTHORS_V3,
    year=2019,
    input_size=224,
    ideas_en=_IDEAS_EN,
    ideas_zh=_IDEAS_ZH,
    key_blocks=_KEY_BLOCKS,
    published=(
        PublishedCost(2_542_856, 57_000_000,
                      "torchvision mobilenet_v3_small IMAGENET1K_V1 (pytorch/vision "
                      "torchvision/models/mobilenetv3.py)", _TV_CONVENTION),
        PublishedCost(2_500_000, 56_000_000,
                      "paper (revision matching the released architecture), Howard et al. 2019 "
                      "(arXiv 1905.02244) Table 3", "MAdds = MACs"),
        PublishedCost(2_540_000, 60_000_000, f"timm mobilenetv3_small_100 {_TIMM_SOURCE}",
                      _TIMM_CONVENTION),
    ),
    options=(_WIDTH_OPTION,),
))
def mobilenet_v3_small(num_classes: int = 1000, *, width_mult: float = 1.0) -> nn.Module:
    """MobileNetV3-Small (paper Table 2, torchvision layout)."""
    return _mobilenet_v3(_SMALL, 1024, num_classes, width_mult)
