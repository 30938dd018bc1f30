"""GhostNet: half of the feature maps made by a cheap depthwise convolution.

Paper: "GhostNet: More Features from Cheap Operations", Kai Han, Yunhe Wang, Qi Tian,
Jianyuan Guo, Chunjing Xu, Chang Xu, 2020 (CVPR 2020), arXiv 1911.11907.

Written after the official PyTorch code (huawei-noah/Efficient-AI-Backbones,
``ghostnet_pytorch/ghostnet.py``) with its module names, so its checkpoint's keys match:
``conv_stem``/``bn1``/``act1``, ``blocks``, ``global_pool``/``conv_head``/``act2``/
``classifier``, and inside a block ``ghost1``, ``conv_dw``/``bn_dw``, ``se``, ``ghost2``,
``shortcut``. Two visible-op changes with no parameters: the SE gate is an
``nn.Hardsigmoid`` module (the official ``hard_sigmoid`` is ``relu6(x + 3) / 6``, the same
function) and dropout before the classifier is an ``nn.Dropout`` module.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from vizcnn.zoo.layers import init_weights, make_divisible
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

_PAPER_CONVENTION = 'FLOPs = MAdds (official README: "142M Flops (or say MAdds)")'
_TIMM_CONVENTION = (
    "timm param_count (M, 2 dp); infer_gmacs (GMACs, 2 dp, profiler also counts BN etc., "
    "so ~0.5% above conv+linear MACs)"
)
_PAPER_SOURCE = "Han et al. 2020 (arXiv 1911.11907) Table 7"
_TIMM_SOURCE = (
    "huggingface/pytorch-image-models results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv"
)


def _published(width: float) -> tuple[PublishedCost, ...]:
    """The paper's and timm's figures for GhostNet ``width``× (published_costs.csv)."""
    paper_params, paper_macs, timm_name, timm_params, timm_gmacs = _PUBLISHED[width]
    return (
        PublishedCost(int(paper_params), int(paper_macs), f"{_PAPER_SOURCE}, {width}×",
                      _PAPER_CONVENTION),
        PublishedCost(int(round(timm_params)), int(round(timm_gmacs * 1e9)),
                      f"timm {timm_name} ({_TIMM_SOURCE})", _TIMM_CONVENTION),
    )


# width: (paper params, paper MACs, timm name, timm params, timm GMACs)
_PUBLISHED: dict[float, tuple[float, float, str, float, float]] = {
    0.5: (2.6e6, 42e6, "ghostnet_050", 2.59e6, 0.05),
    1.0: (5.2e6, 141e6, "ghostnet_100", 5.18e6, 0.15),
    1.3: (7.3e6, 226e6, "ghostnet_130", 7.36e6, 0.24),
}


# ----------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------


class SqueezeExcite(nn.Module):
    """The official GhostNet SE: avg pool → 1×1 reduce → ReLU → 1×1 expand → hard sigmoid.

    Unlike the classic SE (reduction 16, sigmoid) it squeezes to a quarter of the channels,
    rounded to a multiple of 4, and gates with the cheaper hard sigmoid (as MobileNetV3).
    """

    def __init__(self, in_chs: int, se_ratio: float = 0.25, divisor: int = 4) -> None:
        super().__init__()
        reduced_chs = make_divisible(in_chs * se_ratio, divisor)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_reduce = nn.Conv2d(in_chs, reduced_chs, 1, bias=True)
        self.act1 = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(reduced_chs, in_chs, 1, bias=True)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_se = self.avg_pool(x)
        x_se = self.act1(self.conv_reduce(x_se))
        x_se = self.conv_expand(x_se)
        return x * self.gate(x_se)


class ConvBnAct(nn.Module):
    """Conv → BN → ReLU with the official names (``conv``, ``bn1``, ``act1``)."""

    def __init__(self, in_chs: int, out_chs: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2,
                              bias=False)
        self.bn1 = nn.BatchNorm2d(out_chs)
        self.act1 = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act1(self.bn1(self.conv(x)))


class GhostModule(nn.Module):
    """Ghost module (Figure 2b): a few "intrinsic" maps from an ordinary 1×1 conv, the rest
    as "ghosts" of them from a cheap depthwise 3×3, concatenated.

    Feature maps of a trained CNN contain many near-copies of each other; producing half of
    them with a per-channel 3×3 instead of a full convolution halves the cost (ratio s = 2).
    The concat is sliced back to ``oup`` channels when ``oup`` is odd.
    """

    def __init__(
        self, inp: int, oup: int, kernel_size: int = 1, ratio: int = 2, dw_size: int = 3,
        stride: int = 1, relu: bool = True,
    ) -> None:
        super().__init__()
        self.oup = oup
        init_channels = math.ceil(oup / ratio)
        new_channels = init_channels * (ratio - 1)
        self.primary_conv = nn.Sequential(
            nn.Conv2d(inp, init_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(init_channels),
            nn.ReLU(inplace=True) if relu else nn.Sequential(),
        )
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(init_channels, new_channels, dw_size, 1, dw_size // 2,
                      groups=init_channels, bias=False),
            nn.BatchNorm2d(new_channels),
            nn.ReLU(inplace=True) if relu else nn.Sequential(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.primary_conv(x)
        x2 = self.cheap_operation(x1)
        out = torch.cat([x1, x2], dim=1)
        return out[:, : self.oup, :, :]


class GhostBottleneck(nn.Module):
    """Ghost bottleneck (Figure 3): ghost module (expand) → [DW stride 2] → [SE] → ghost
    module (project, no ReLU) + shortcut.

    Shaped like MobileNetV2's inverted residual with both 1×1 convs replaced by ghost
    modules. When the shape changes, the shortcut is a depthwise 3×3 + 1×1 conv.
    """

    def __init__(
        self, in_chs: int, mid_chs: int, out_chs: int, dw_kernel_size: int = 3,
        stride: int = 1, se_ratio: float = 0.0,
    ) -> None:
        super().__init__()
        self.stride = stride
        self.ghost1 = GhostModule(in_chs, mid_chs, relu=True)
        if stride > 1:
            self.conv_dw = nn.Conv2d(mid_chs, mid_chs, dw_kernel_size, stride=stride,
                                     padding=(dw_kernel_size - 1) // 2, groups=mid_chs,
                                     bias=False)
            self.bn_dw = nn.BatchNorm2d(mid_chs)
        self.se = SqueezeExcite(mid_chs, se_ratio=se_ratio) if se_ratio > 0 else None
        self.ghost2 = GhostModule(mid_chs, out_chs, relu=False)
        if in_chs == out_chs and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_chs, in_chs, dw_kernel_size, stride=stride,
                          padding=(dw_kernel_size - 1) // 2, groups=in_chs, bias=False),
                nn.BatchNorm2d(in_chs),
                nn.Conv2d(in_chs, out_chs, 1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(out_chs),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = self.ghost1(x)
        if self.stride > 1:
            x = self.bn_dw(self.conv_dw(x))
        if self.se is not None:
            x = self.se(x)
        x = self.ghost2(x)
        return x + self.shortcut(residual)


# ----------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------

# Table 1 as the official ``cfgs``: one inner list per entry of ``blocks``.
# k: depthwise kernel, t: expansion (#exp) channels, c: output channels,
# SE: squeeze ratio (0 = no SE), s: stride of the first block.
_CFGS: tuple[tuple[tuple[int, int, int, float, int], ...], ...] = (
    #  k,   t,   c,   SE,  s
    # stage1
    ((3, 16, 16, 0, 1),),
    # stage2
    ((3, 48, 24, 0, 2),),
    ((3, 72, 24, 0, 1),),
    # stage3
    ((5, 72, 40, 0.25, 2),),
    ((5, 120, 40, 0.25, 1),),
    # stage4
    ((3, 240, 80, 0, 2),),
    ((3, 200, 80, 0, 1),
     (3, 184, 80, 0, 1),
     (3, 184, 80, 0, 1),
     (3, 480, 112, 0.25, 1),
     (3, 672, 112, 0.25, 1)),
    # stage5
    ((5, 672, 160, 0.25, 2),),
    ((5, 960, 160, 0, 1),
     (5, 960, 160, 0.25, 1),
     (5, 960, 160, 0, 1),
     (5, 960, 160, 0.25, 1)),
)
_WIDTHS: tuple[float, ...] = (0.5, 1.0, 1.3)


class GhostNet(nn.Module):
    """GhostNet (Table 1): stem conv, ghost bottlenecks, 1×1 conv, pool, 1×1 conv head, FC.

    Attribute names are the official ones; :attr:`features` gives the stem + body
    (``conv_stem``…``blocks``) as an unregistered ``Sequential`` view, and the head is
    ``global_pool``, ``conv_head``, ``act2``, ``dropout``, ``classifier``.
    """

    def __init__(
        self, cfgs: tuple, num_classes: int = 1000, width: float = 1.0, dropout: float = 0.2,
    ) -> None:
        super().__init__()
        output_channel = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(3, output_channel, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(output_channel)
        self.act1 = nn.ReLU(inplace=True)
        input_channel = output_channel
        stages: list[nn.Module] = []
        exp_size = 0
        for cfg in cfgs:
            layers = []
            for k, exp_size, c, se_ratio, s in cfg:
                output_channel = make_divisible(c * width, 4)
                hidden_channel = make_divisible(exp_size * width, 4)
                layers.append(GhostBottleneck(input_channel, hidden_channel, output_channel,
                                              k, s, se_ratio=se_ratio))
                input_channel = output_channel
            stages.append(nn.Sequential(*layers))
        output_channel = make_divisible(exp_size * width, 4)
        stages.append(nn.Sequential(ConvBnAct(input_channel, output_channel, 1)))
        input_channel = output_channel
        self.blocks = nn.Sequential(*stages)

        output_channel = 1280
        self.global_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.conv_head = nn.Conv2d(input_channel, output_channel, 1, 1, 0, bias=True)
        self.act2 = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(output_channel, num_classes)
        init_weights(self)

    @property
    def features(self) -> nn.Sequential:
        """Stem + body as a view over the registered modules (adds no state_dict keys)."""
        return nn.Sequential(OrderedDict(
            (name, getattr(self, name)) for name in ("conv_stem", "bn1", "act1", "blocks")
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv_stem(x)))
        x = self.blocks(x)
        x = self.global_pool(x)
        x = self.act2(self.conv_head(x))
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        return self.classifier(x)


# ----------------------------------------------------------------------------------------
# family builder
# ----------------------------------------------------------------------------------------


def _ghostnet(width: float, num_classes: int) -> GhostNet:
    if width not in _WIDTHS:
        raise ValueError(f"width must be one of {_WIDTHS}, got {width}")
    return GhostNet(_CFGS, num_classes=num_classes, width=width)


# ----------------------------------------------------------------------------------------
# public builder
# ----------------------------------------------------------------------------------------


@register_model(ModelCard(
    name="ghostnet",
    family="GhostNet",
    paper="GhostNet: More Features from Cheap Operations",
    authors="Kai Han, Yunhe Wang, Qi Tian, Jianyuan Guo, Chunjing Xu, Chang Xu",
    year=2020,
    input_size=224,
    ideas_en=(
        "Many feature maps of a trained CNN are near-copies (ghosts) of others, so a Ghost "
        "module computes only half of them with an ordinary 1×1 convolution and derives the "
        "other half with a cheap depthwise 3×3, then concatenates. Ghost bottlenecks stack "
        "two such modules like MobileNetV2's inverted residual, with SE in some blocks."
    ),
    ideas_zh=(
        "训练好的卷积网络中很多特征图彼此相似，像是彼此的“幻影”（ghost）。Ghost 模块只用普通 1×1 "
        "卷积生成一半特征图，另一半由这些特征图经过廉价的 3×3 深度卷积得到，再拼接在一起，"
        "计算量约减半。Ghost 瓶颈块用两个 Ghost 模块先升维再降维，结构类似 MobileNet V2 的倒残差，"
        "部分块中加入 SE 通道注意力。"
    ),
    key_blocks=(
        ("ghost", "GhostModule"),
        ("inverted_residual", "GhostBottleneck"),
        ("residual", "GhostBottleneck"),
        ("depthwise", "GhostModule"),
        ("se", "SqueezeExcite"),
    ),
    published=_published(1.0),
    options=(
        ModelOption("width", 1.0, _WIDTHS, "width multiplier of every layer but the head"),
    ),
    extra={
        # Published figures of the non-default option values, keyed by option.
        "published_by_option": {("width", w): _published(w) for w in (0.5, 1.3)},
    },
))
def ghostnet(num_classes: int = 1000, width: float = 1.0) -> nn.Module:
    """GhostNet ``width``× (Table 1 scaled; 1.0× is the paper's main model)."""
    return _ghostnet(width, num_classes)
