"""ShuffleNet v1 and v2: cheap 1×1 convolutions made possible by shuffling channels.

Papers:

* "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices",
  Xiangyu Zhang, Xinyu Zhou, Mengxiao Lin, Jian Sun, 2017 (CVPR 2018), arXiv 1707.01083.
* "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design",
  Ningning Ma, Xiangyu Zhang, Hai-Tao Zheng, Jian Sun, 2018 (ECCV 2018), arXiv 1807.11164.

v1 follows the paper's Table 1 (module names follow its Figure 2); v2 follows torchvision's
``shufflenetv2.py`` name for name, so a torchvision checkpoint loads with ``strict=True``.
In both, the shuffle is a :class:`~vizcnn.zoo.layers.ChannelShuffle` module called
``shuffle``, so a trace shows it as its own op (it has no parameters, so torchvision's
state_dict keys are unchanged).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from vizcnn.zoo.layers import ChannelShuffle, ConvBNAct, init_weights, make_divisible
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

_MACS_CONVENTION = (
    "FLOPs = number of floating-point multiplication-adds (ShuffleNet v1 Table 1 caption); "
    "i.e. MACs"
)
_DERIVED_CONVENTION = (
    "exact conv+linear MACs (no bias/BN/act/pool/add); params incl. biases and BN gamma+beta"
)
_TV_CONVENTION = (
    "torchvision num_params; _ops = GMACs of Conv2d+Linear at 1x3x224x224 (labelled GFLOPS)"
)


# ----------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------


class ShuffleUnit(nn.Module):
    """ShuffleNet v1 unit (Figure 2 b/c): GConv 1×1 → shuffle → DWConv 3×3 → GConv 1×1.

    Grouped 1×1 convolutions cut the pointwise cost by ``groups``, but each group would then
    only ever see its own channels; the shuffle between the two grouped convolutions lets
    information cross groups. At stride 1 the shortcut is an identity added to the branch;
    at stride 2 it is a 3×3 average pool *concatenated* with the branch, which widens the
    output at almost no cost.
    """

    def __init__(
        self, in_channels: int, out_channels: int, groups: int, stride: int,
        first_grouped: bool = True,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError("a stride-1 unit adds its shortcut, so in and out must match")
        self.stride = stride
        mid = out_channels // 4
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        self.gconv1 = nn.Conv2d(
            in_channels, mid, 1, groups=groups if first_grouped else 1, bias=False
        )
        self.bn1 = nn.BatchNorm2d(mid)
        self.relu = nn.ReLU(inplace=True)
        self.shuffle = ChannelShuffle(groups)
        self.dwconv = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.gconv2 = nn.Conv2d(mid, branch_out, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(branch_out)
        self.shortcut: nn.Module = (
            nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.gconv1(x)))
        out = self.shuffle(out)
        out = self.bn2(self.dwconv(out))
        out = self.bn3(self.gconv2(out))
        if self.stride == 2:
            out = torch.cat((self.shortcut(x), out), dim=1)
        else:
            out = out + self.shortcut(x)
        return self.relu(out)


class InvertedResidual(nn.Module):
    """ShuffleNet v2 unit (Figure 3 c/d), torchvision's class and attribute names.

    At stride 1 the input is *split* in half: one half passes untouched, the other goes
    through 1×1 → DW 3×3 → 1×1 (equal widths, no grouped conv: the paper's guidelines), then
    the halves are concatenated and shuffled so the next unit mixes them. At stride 2 both
    halves see the whole input (``branch1`` is the downsampling side branch) and the output
    width doubles.
    """

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. "
                "If stride == 1 then inp should be equal to oup // 2 << 1."
            )
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, 1, 1, 0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, 1, 1, 0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3,
                                stride=stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, 1, 1, 0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )
        self.shuffle = ChannelShuffle(2)

    @staticmethod
    def depthwise_conv(
        i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False
    ) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)  # channel split
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return self.shuffle(out)


# ----------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------

# Table 1: output width of stages 2-4 of ShuffleNet 1×, per number of groups g.
# g: (stage2, stage3, stage4)
_V1_STAGE_WIDTHS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
# name,    units (the first one has stride 2)
_V1_STAGES: tuple[tuple[str, int], ...] = (
    ("stage2", 4),
    ("stage3", 8),
    ("stage4", 4),
)
# width multipliers s of "ShuffleNet s×"
_V1_SCALES: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)


class ShuffleNetV1(nn.Module):
    """ShuffleNet v1 (Table 1): conv1 + maxpool stem, three stages of units, pool + FC.

    ``features`` holds stem and body (``conv1``, ``maxpool``, ``stage2``…``stage4``);
    ``avgpool`` and ``classifier`` are the head. The first 1×1 of stage2 is not grouped
    because its 24 input channels (at 1×) are too few to split into groups (Section 3.3).
    """

    def __init__(
        self, groups: int, stem_channels: int, stage_channels: tuple[int, ...],
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.groups = groups
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv1"] = ConvBNAct(3, stem_channels, 3, stride=2)
        layers["maxpool"] = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_channels = stem_channels
        for (name, units), out_channels in zip(_V1_STAGES, stage_channels):
            stage = [ShuffleUnit(in_channels, out_channels, groups, stride=2,
                                 first_grouped=name != "stage2")]
            stage += [ShuffleUnit(out_channels, out_channels, groups, stride=1)
                      for _ in range(units - 1)]
            layers[name] = nn.Sequential(*stage)
            in_channels = out_channels
        self.features = nn.Sequential(layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(in_channels, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x)


class ShuffleNetV2(nn.Module):
    """ShuffleNet v2 (Table 5), torchvision's layout: ``conv1``, ``maxpool``, ``stage2``…
    ``stage4``, ``conv5``, global mean, ``fc``.

    Torchvision's attribute names are kept so its checkpoints load; :attr:`features` gives
    the stem + body as one (unregistered) ``Sequential`` view, and ``fc`` is the head.
    """

    def __init__(
        self, stages_repeats: tuple[int, ...], stages_out_channels: tuple[int, ...],
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        if len(stages_repeats) != 3 or len(stages_out_channels) != 5:
            raise ValueError("expected 3 stage repeats and 5 output widths")
        self._stage_out_channels = list(stages_out_channels)
        input_channels = 3
        output_channels = stages_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.stage2: nn.Sequential
        self.stage3: nn.Sequential
        self.stage4: nn.Sequential
        for name, repeats, output_channels in zip(
            ("stage2", "stage3", "stage4"), stages_repeats, stages_out_channels[1:]
        ):
            seq = [InvertedResidual(input_channels, output_channels, 2)]
            seq += [InvertedResidual(output_channels, output_channels, 1)
                    for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)
        init_weights(self)

    @property
    def features(self) -> nn.Sequential:
        """Stem + body as a view over the registered modules (adds no state_dict keys)."""
        return nn.Sequential(OrderedDict(
            (name, getattr(self, name))
            for name in ("conv1", "maxpool", "stage2", "stage3", "stage4", "conv5")
        ))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = self.maxpool(x)
        x = self.stage2(x)
        x = self.stage3(x)
        x = self.stage4(x)
        x = self.conv5(x)
        x = x.mean([2, 3])  # global pool
        return self.fc(x)


# ----------------------------------------------------------------------------------------
# family builders
# ----------------------------------------------------------------------------------------


def _v1_channels(groups: int, scale: float) -> tuple[int, tuple[int, ...]]:
    """Stem and stage output channels of ShuffleNet v1 ``scale``× with ``groups`` groups.

    The 1× widths are Table 1's. "ShuffleNet s×" scales every filter count by ``s``; where
    that breaks divisibility we round to the nearest valid width: each stage width must be
    a multiple of ``4 * groups`` (its bottleneck is a quarter of it and feeds a grouped
    1×1), and the stem a multiple of ``groups`` (stage2's first branch makes
    ``width - stem`` channels with a grouped 1×1).
    """
    stem = make_divisible(24 * scale, groups)
    stages = tuple(make_divisible(c * scale, 4 * groups) for c in _V1_STAGE_WIDTHS[groups])
    return stem, stages


def _shufflenet_v1(groups: int, scale: float, num_classes: int) -> ShuffleNetV1:
    if groups not in _V1_STAGE_WIDTHS:
        raise ValueError(f"groups must be one of {sorted(_V1_STAGE_WIDTHS)}, got {groups}")
    if scale not in _V1_SCALES:
        raise ValueError(f"scale must be one of {_V1_SCALES}, got {scale}")
    stem, stages = _v1_channels(groups, scale)
    return ShuffleNetV1(groups, stem, stages, num_classes)


def _shufflenet_v2(stages_out_channels: tuple[int, ...], num_classes: int) -> ShuffleNetV2:
    return ShuffleNetV2((4, 8, 4), stages_out_channels, num_classes)


_V2_PAPER = "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design"
_V2_AUTHORS = "Ningning Ma, Xiangyu Zhang, Hai-Tao Zheng, Jian Sun"
_V2_IDEAS_EN = (
    "Follows four measured guidelines for real speed: equal input/output widths, no grouped "
    "1×1 convolutions, few branches, few elementwise ops. Each unit splits its channels in "
    "two, transforms only one half, concatenates and shuffles, so features are reused "
    "without any addition."
)
_V2_IDEAS_ZH = (
    "ShuffleNet V2 根据实测速度提出四条设计准则：输入输出通道数相等、避免分组卷积、减少分支、"
    "减少逐元素操作。每个单元先做通道拆分（channel split），只对一半通道做 1×1 → 3×3 深度卷积 → "
    "1×1，另一半原样保留，再拼接（concat）并做通道洗牌，不需要相加也能复用特征。"
)
_V2_KEY_BLOCKS = (
    ("channel_shuffle", "ChannelShuffle"),
    ("depthwise", "InvertedResidual"),
)


def _v2_published(
    tv_name: str, params: int, ops: float, paper_params: float, paper_macs: float
) -> tuple[PublishedCost, ...]:
    """Torchvision's exact params and ``_ops`` (GMACs, 3 dp), then the paper's rounded row."""
    return (
        PublishedCost(params, int(round(ops * 1e9)),
                      f"torchvision {tv_name} IMAGENET1K_V1 (pytorch/vision "
                      "torchvision/models/shufflenetv2.py)", _TV_CONVENTION),
        PublishedCost(int(paper_params), int(paper_macs),
                      "Ma et al. 2018 (arXiv 1807.11164) Table 5; megvii-model/ShuffleNet-Series",
                      "FLOPs = multiply-adds (follows ShuffleNet v1)"),
    )


# ----------------------------------------------------------------------------------------
# public builders
# ----------------------------------------------------------------------------------------


@register_model(ModelCard(
    name="shufflenet_v1",
    family="ShuffleNet",
    paper="ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices",
    authors="Xiangyu Zhang, Xinyu Zhou, Mengxiao Lin, Jian Sun",
    year=2017,
    input_size=224,
    ideas_en=(
        "Grouped 1×1 convolutions make the pointwise layers cheap, and a channel shuffle "
        "between them lets information flow across groups. Downsampling units concatenate "
        "an average-pooled shortcut with the branch instead of adding, widening the network "
        "almost for free."
    ),
    ideas_zh=(
        "ShuffleNet 把 1×1 卷积改成分组卷积来大幅减少计算量，但分组后每组只能看到自己的通道，"
        "所以在两次分组卷积之间做通道洗牌（channel shuffle），让信息在组间流动。"
        "下采样单元的捷径分支用 3×3 平均池化，与主分支拼接（concat）而不是相加，几乎不增加计算就加宽了通道。"
    ),
    key_blocks=(
        ("channel_shuffle", "ChannelShuffle"),
        ("grouped_conv", "ShuffleUnit"),
        ("depthwise", "ShuffleUnit"),
        ("residual", "ShuffleUnit"),
    ),
    published=(
        PublishedCost(None, 137_000_000, "Zhang et al. 2017 (arXiv 1707.01083) Table 1, g=3",
                      _MACS_CONVENTION),
        PublishedCost(1_900_000, 138_000_000,
                      "megvii-model/ShuffleNet-Series ShuffleNetV1 README, g=3",
                      "FLOPs = multiply-adds"),
        PublishedCost(1_865_728, 137_460_672,
                      "derived analytically from Table 1, g=3 (not a published figure)",
                      _DERIVED_CONVENTION),
    ),
    options=(
        ModelOption("groups", 3, (1, 2, 3, 4, 8), "groups g of the 1×1 convolutions"),
        ModelOption("scale", 1.0, _V1_SCALES, "width multiplier s (ShuffleNet s×)"),
    ),
    extra={
        # Published figures of the non-default option values, keyed by option.
        "published_by_option": {
            ("groups", 8): (
                PublishedCost(None, 137_000_000,
                              "Zhang et al. 2017 (arXiv 1707.01083) Table 1, g=8",
                              _MACS_CONVENTION),
                PublishedCost(2_400_000, 138_000_000,
                              "megvii-model/ShuffleNet-Series ShuffleNetV1 README, g=8",
                              "FLOPs = multiply-adds"),
                PublishedCost(2_434_768, 138_365_952,
                              "derived analytically from Table 1, g=8 (not a published figure)",
                              _DERIVED_CONVENTION),
            ),
        },
    },
))
def shufflenet_v1(num_classes: int = 1000, groups: int = 3, scale: float = 1.0) -> nn.Module:
    """ShuffleNet v1 ``scale``× with ``groups`` groups (Table 1)."""
    return _shufflenet_v1(groups, scale, num_classes)


@register_model(ModelCard(
    name="shufflenet_v2_x0_5", family="ShuffleNet", paper=_V2_PAPER, authors=_V2_AUTHORS,
    year=2018, input_size=224, ideas_en=_V2_IDEAS_EN, ideas_zh=_V2_IDEAS_ZH,
    key_blocks=_V2_KEY_BLOCKS,
    published=_v2_published("shufflenet_v2_x0_5", 1_366_792, 0.04, 1.4e6, 41e6),
))
def shufflenet_v2_x0_5(num_classes: int = 1000) -> nn.Module:
    """ShuffleNet v2 0.5×."""
    return _shufflenet_v2((24, 48, 96, 192, 1024), num_classes)


@register_model(ModelCard(
    name="shufflenet_v2_x1_0", family="ShuffleNet", paper=_V2_PAPER, authors=_V2_AUTHORS,
    year=2018, input_size=224, ideas_en=_V2_IDEAS_EN, ideas_zh=_V2_IDEAS_ZH,
    key_blocks=_V2_KEY_BLOCKS,
    published=_v2_published("shufflenet_v2_x1_0", 2_278_604, 0.145, 2.3e6, 146e6),
))
def shufflenet_v2_x1_0(num_classes: int = 1000) -> nn.Module:
    """ShuffleNet v2 1.0×."""
    return _shufflenet_v2((24, 116, 232, 464, 1024), num_classes)


@register_model(ModelCard(
    name="shufflenet_v2_x1_5", family="ShuffleNet", paper=_V2_PAPER, authors=_V2_AUTHORS,
    year=2018, input_size=224, ideas_en=_V2_IDEAS_EN, ideas_zh=_V2_IDEAS_ZH,
    key_blocks=_V2_KEY_BLOCKS,
    published=_v2_published("shufflenet_v2_x1_5", 3_503_624, 0.296, 3.5e6, 299e6),
))
def shufflenet_v2_x1_5(num_classes: int = 1000) -> nn.Module:
    """ShuffleNet v2 1.5×."""
    return _shufflenet_v2((24, 176, 352, 704, 1024), num_classes)


@register_model(ModelCard(
    name="shufflenet_v2_x2_0", family="ShuffleNet", paper=_V2_PAPER, authors=_V2_AUTHORS,
    year=2018, input_size=224, ideas_en=_V2_IDEAS_EN, ideas_zh=_V2_IDEAS_ZH,
    key_blocks=_V2_KEY_BLOCKS,
    published=_v2_published("shufflenet_v2_x2_0", 7_393_996, 0.583, 7.4e6, 591e6),
))
def shufflenet_v2_x2_0(num_classes: int = 1000) -> nn.Module:
    """ShuffleNet v2 2.0×."""
    return _shufflenet_v2((24, 244, 488, 976, 2048), num_classes)
