"""ResNet: deep networks made trainable by identity shortcuts.

Paper: "Deep Residual Learning for Image Recognition", Kaiming He, Xiangyu Zhang,
Shaoqing Ren, Jian Sun, 2015 (CVPR 2016), arXiv 1512.03385.

The module layout and names are torchvision's ``resnet.py`` name for name (``conv1``,
``bn1``, ``relu``, ``maxpool``, ``layer1``…``layer4``, ``avgpool``, ``fc``; blocks with
``conv1``/``bn1``…, one shared ``relu`` and ``downsample = Sequential(conv1x1, bn)``), so a
torchvision checkpoint loads with ``strict=True``. Three things go beyond torchvision:

* ``stride_on``: torchvision is "ResNet v1.5" (the stage's stride 2 on the bottleneck's 3×3);
  ``"1x1"`` puts it on the first 1×1 instead, the paper's original v1 (Caffe) layout whose
  cost is the paper's 3.8 / 7.6 / 11.3 G multiply-adds. Parameters are identical.
* ``se``: an :class:`~vizcnn.zoo.layers.SEBlock` on every block's residual branch, just
  before the add (Hu et al., Squeeze-and-Excitation Networks); :mod:`vizcnn.zoo.senet`
  builds SE-ResNet and SE-ResNeXt through :func:`_resnet` rather than copying this code.
* ``groups`` / ``width_per_group`` in :func:`_resnet`: ResNeXt's grouped 3×3 (cardinality).

Stem / body / head: torchvision's names stay at the top level, so instead of a registered
``features`` child (which would rename every state_dict key) the model has
:meth:`ResNet.forward_features` (stem + body) and :meth:`ResNet.forward_head` (pool + fc),
timm style, the tuples ``STEM`` / ``BODY`` / ``HEAD`` of top-level names, and a read-only
``features`` property that returns an unregistered ``nn.Sequential`` view of stem + body.
"""

from __future__ import annotations

from enum import Enum

import torch
from torch import nn

from vizcnn.zoo.layers import SEBlock
from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------


class StrideOn(str, Enum):
    """Which conv of a bottleneck carries a stage's stride 2."""

    CONV3X3 = "3x3"  # torchvision / "ResNet v1.5" / ResNeXt
    CONV1X1 = "1x1"  # the ResNet paper's original v1 (Caffe), SENet's SE-ResNet


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3×3 conv with padding 1 and no bias (a BatchNorm follows), as torchvision's."""
    return nn.Conv2d(
        in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1×1 conv with no bias: changes the channel count (and, with stride, the size)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


_TV_CONVENTION = (
    "torchvision num_params; _ops = GMACs of Conv2d+Linear (labelled GFLOPS), eval model, "
    "1x3x224x224"
)
_TIMM_CONVENTION = (
    "timm param_count (M, 2 dp); infer_gmacs (GMACs, 2 dp, deepspeed/fvcore profiler; also "
    "counts BN etc so ~0.5% above conv+linear MACs)"
)
_TIMM_SOURCE = (
    "huggingface/pytorch-image-models results/benchmark-infer-amp-nchw-pt291-cu128-4090.csv"
)
_PAPER_SOURCE = "paper, He et al. 2015 (arXiv 1512.03385) Table 1"
_PAPER_CONVENTION = (
    'paper "FLOPs" = multiply-adds (conv+fc); ResNet-50/101/152 figures are the original v1 '
    'layout (stride on the first 1x1, option stride_on="1x1")'
)


def _init_torchvision(model: nn.Module) -> None:
    """Torchvision's ResNet init: Kaiming-normal convs, unit BN, default ``nn.Linear``.

    (``layers.init_weights`` would instead draw the fc from N(0, 0.01); torchvision leaves
    linears at PyTorch's default, and so does this.) Skipped on the ``meta`` device, where
    there are no values (and ``normal_`` there would import ``torch._dynamo``: ≈0.7 s).
    """
    if any(p.is_meta for p in model.parameters()):
        return
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


_SE_OPTIONS = (
    ModelOption("se", False, (False, True),
                "add a Squeeze-and-Excitation block to every residual branch (SENet)"),
    ModelOption("se_reduction", 16, (4, 8, 16, 32), "SE reduction ratio r (hidden = C // r)"),
)
_STRIDE_OPTION = ModelOption(
    "stride_on", "3x3", ("3x3", "1x1"),
    'conv carrying a stage\'s stride in the bottleneck: "3x3" = torchvision v1.5, '
    '"1x1" = the paper\'s original v1 (its 3.8/7.6/11.3 G)',
)

_PAPER = "Deep Residual Learning for Image Recognition"
_AUTHORS = "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun"
_IDEAS_BASIC_EN = (
    "Each block learns a residual F(x) that is added to an identity shortcut, so the block "
    "outputs F(x) + x; a block that learns nothing passes its input through unchanged, so "
    "extra depth should not hurt and the gradient flows straight back through the shortcuts. "
    "ResNet-18/34 build each block from two 3×3 convs; a strided 1×1 conv on the shortcut "
    "matches the shapes when a stage halves the size and doubles the channels."
)
_IDEAS_BASIC_ZH = (
    "每个残差块学习的是残差 F(x)，再与恒等映射（shortcut）送来的输入相加，输出 F(x) + x。"
    "残差为 0 时这个块只做恒等映射，网络至少不会变差，梯度也能沿 shortcut 直接传回，所以能训练得很深。"
    "ResNet-18/34 的残差块由两个 3×3 卷积组成；每个 stage 开始时尺寸减半、通道翻倍，"
    "shortcut 上用步长为 2 的 1×1 卷积让形状对齐。"
)
_IDEAS_BOTTLENECK_EN = (
    "Each block learns a residual F(x) that is added to an identity shortcut (F(x) + x), so "
    "extra depth should not hurt and 50 to 152 layers still train. To keep that depth affordable "
    "the block is a bottleneck: a 1×1 conv cuts the channels to a quarter, a 3×3 conv works "
    "on the thin tensor and a 1×1 conv widens it back — an hourglass, the opposite of "
    "MobileNetV2's spindle."
)
_IDEAS_BOTTLENECK_ZH = (
    "每个残差块学习残差 F(x)，与恒等映射相加输出 F(x) + x，残差为 0 时只做恒等映射，"
    "所以 50～152 层的网络也能训练。为了让这么深的网络算得动，残差块用瓶颈结构："
    "先用 1×1 卷积把通道降到四分之一，再做 3×3 卷积，最后用 1×1 卷积升维，"
    "像一个沙漏，和 MobileNet V2 的纺锤形正好相反。"
)


def _tv(params: int, macs: int, name: str) -> PublishedCost:
    return PublishedCost(
        params, macs,
        f"torchvision {name} IMAGENET1K_V1 (pytorch/vision torchvision/models/resnet.py)",
        _TV_CONVENTION,
    )


def _timm(params: int, macs: int, name: str) -> PublishedCost:
    return PublishedCost(params, macs, f"timm {name} ({_TIMM_SOURCE})", _TIMM_CONVENTION)


def _card(name: str, basic: bool, published: tuple[PublishedCost, ...]) -> ModelCard:
    """A ResNet card: everything but the variant's name and figures is shared."""
    block = "BasicBlock" if basic else "Bottleneck"
    return ModelCard(
        name=name,
        family="ResNet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2015,
        input_size=224,
        ideas_en=_IDEAS_BASIC_EN if basic else _IDEAS_BOTTLENECK_EN,
        ideas_zh=_IDEAS_BASIC_ZH if basic else _IDEAS_BOTTLENECK_ZH,
        key_blocks=(("residual", block),) if basic
        else (("residual", block), ("bottleneck", block)),
        published=published,
        options=_SE_OPTIONS if basic else (_STRIDE_OPTION, *_SE_OPTIONS),
    )


# ----------------------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    """Two 3×3 convs plus the identity: ``relu(F(x) + x)`` (ResNet-18/34).

    If the block learns ``F = 0`` it passes its input through unchanged, so adding blocks
    cannot make the network worse — the reason very deep ResNets still train.
    """

    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        stride_on: StrideOn = StrideOn.CONV3X3,
        se_reduction: int | None = None,
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        # Both convs are 3×3, so ``stride_on`` has nothing to choose here.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = SEBlock(planes, se_reduction) if se_reduction else None
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.se is not None:
            out = self.se(out)  # rescale the residual branch's channels before the add
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1×1 reduce → 3×3 → 1×1 expand (×4), plus the identity (ResNet-50/101/152).

    The 3×3 works on a quarter of the block's channels — an hourglass — which is what makes
    50+ layers affordable. ``groups``/``base_width`` widen and group the 3×3 (ResNeXt).
    """

    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        stride_on: StrideOn = StrideOn.CONV3X3,
        se_reduction: int | None = None,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        stride_1x1, stride_3x3 = (stride, 1) if stride_on is StrideOn.CONV1X1 else (1, stride)
        self.conv1 = conv1x1(inplanes, width, stride_1x1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride_3x3, groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.se = SEBlock(planes * self.expansion, se_reduction) if se_reduction else None
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)  # rescale the residual branch's channels before the add
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


# ----------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------

# Paper Table 1, after the 7×7/2 conv and the 3×3/2 max pool; block counts come per variant.
_STAGES: tuple[tuple[str, int, int], ...] = (
    # name,   planes (3×3 width), stride of the first block
    ("layer1", 64, 1),
    ("layer2", 128, 2),
    ("layer3", 256, 2),
    ("layer4", 512, 2),
)


class ResNet(nn.Module):
    """Stem (7×7/2 conv, 3×3/2 max pool) → four residual stages → global pool → fc.

    Every stage but the first halves the size and doubles the width at its first block,
    whose shortcut becomes a strided 1×1 conv + BN (``downsample``) to match the shapes.
    """

    STEM: tuple[str, ...] = ("conv1", "bn1", "relu", "maxpool")
    BODY: tuple[str, ...] = tuple(name for name, _, _ in _STAGES)
    HEAD: tuple[str, ...] = ("avgpool", "fc")

    layer1: nn.Sequential
    layer2: nn.Sequential
    layer3: nn.Sequential
    layer4: nn.Sequential

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: tuple[int, int, int, int],
        num_classes: int = 1000,
        groups: int = 1,
        width_per_group: int = 64,
        stride_on: StrideOn = StrideOn.CONV3X3,
        se_reduction: int | None = None,
    ) -> None:
        super().__init__()
        self.inplanes = 64
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for (name, planes, stride), blocks in zip(_STAGES, layers, strict=True):
            setattr(self, name, self._make_layer(block, planes, blocks, stride, stride_on,
                                                 se_reduction))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.num_features = 512 * block.expansion
        _init_torchvision(self)

    def _make_layer(
        self,
        block: type[BasicBlock | Bottleneck],
        planes: int,
        blocks: int,
        stride: int,
        stride_on: StrideOn,
        se_reduction: int | None,
    ) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers: list[nn.Module] = []
        for i in range(blocks):
            layers.append(block(
                self.inplanes, planes,
                stride=stride if i == 0 else 1,
                downsample=downsample if i == 0 else None,
                groups=self.groups, base_width=self.base_width,
                stride_on=stride_on, se_reduction=se_reduction,
            ))
            self.inplanes = planes * block.expansion
        return nn.Sequential(*layers)

    @property
    def features(self) -> nn.Sequential:
        """Stem + body as an *unregistered* ``nn.Sequential`` view over the same modules.

        Built on each access and never assigned as a child, so state_dict keys stay
        torchvision's; ``model.features(x)`` equals :meth:`forward_features`.
        """
        return nn.Sequential(*(getattr(self, name) for name in self.STEM + self.BODY))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Stem + body: image → ``num_features`` × H/32 × W/32 feature map."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Head: global average pool → flatten → fc (or stop before fc if ``pre_logits``)."""
        x = torch.flatten(self.avgpool(x), 1)
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


# ----------------------------------------------------------------------------------------
# builders
# ----------------------------------------------------------------------------------------


def _resnet(
    block: type[BasicBlock | Bottleneck],
    layers: tuple[int, int, int, int],
    num_classes: int,
    *,
    stride_on: str | StrideOn = StrideOn.CONV3X3,
    se: bool = False,
    se_reduction: int = 16,
    groups: int = 1,
    width_per_group: int = 64,
) -> ResNet:
    """The one ResNet family builder; SENet's builders call it too.

    Args:
        block: ``BasicBlock`` (ResNet-18/34) or ``Bottleneck`` (50 and deeper, ResNeXt).
        layers: blocks per stage, e.g. ``(3, 4, 6, 3)`` for ResNet-50.
        num_classes: width of the final fc.
        stride_on: ``"3x3"`` (torchvision v1.5) or ``"1x1"`` (paper v1); bottlenecks only.
        se: add an SE block to every block's residual branch.
        se_reduction: the SE bottleneck ratio ``r`` (hidden = channels // r).
        groups: 3×3 conv groups (ResNeXt cardinality).
        width_per_group: channels per group of the 3×3 at the first stage (ResNeXt's ``d``).
    """
    stride_on = StrideOn(stride_on)
    if block is BasicBlock and stride_on is not StrideOn.CONV3X3:
        raise ValueError("stride_on='1x1' needs bottleneck blocks; BasicBlock has no 1×1 conv")
    if se and se_reduction < 1:
        raise ValueError(f"se_reduction must be a positive integer, got {se_reduction}")
    return ResNet(
        block, layers, num_classes,
        groups=groups, width_per_group=width_per_group,
        stride_on=stride_on, se_reduction=se_reduction if se else None,
    )


@register_model(_card("resnet18", True, (
    _tv(11_689_512, 1_814_000_000, "resnet18"),
    PublishedCost(None, 1_800_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(11_690_000, 1_820_000_000, "resnet18"),
)))
def resnet18(num_classes: int = 1000, *, se: bool = False, se_reduction: int = 16) -> nn.Module:
    """ResNet-18: basic blocks (2, 2, 2, 2)."""
    return _resnet(BasicBlock, (2, 2, 2, 2), num_classes, se=se, se_reduction=se_reduction)


@register_model(_card("resnet34", True, (
    _tv(21_797_672, 3_664_000_000, "resnet34"),
    PublishedCost(None, 3_600_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(21_800_000, 3_670_000_000, "resnet34"),
)))
def resnet34(num_classes: int = 1000, *, se: bool = False, se_reduction: int = 16) -> nn.Module:
    """ResNet-34: basic blocks (3, 4, 6, 3)."""
    return _resnet(BasicBlock, (3, 4, 6, 3), num_classes, se=se, se_reduction=se_reduction)


@register_model(_card("resnet50", False, (
    _tv(25_557_032, 4_089_000_000, "resnet50"),
    PublishedCost(None, 3_800_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(25_560_000, 4_110_000_000, "resnet50"),
)))
def resnet50(
    num_classes: int = 1000, *, stride_on: str = "3x3", se: bool = False, se_reduction: int = 16
) -> nn.Module:
    """ResNet-50: bottlenecks (3, 4, 6, 3)."""
    return _resnet(Bottleneck, (3, 4, 6, 3), num_classes,
                   stride_on=stride_on, se=se, se_reduction=se_reduction)


@register_model(_card("resnet101", False, (
    _tv(44_549_160, 7_801_000_000, "resnet101"),
    PublishedCost(None, 7_600_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(44_550_000, 7_830_000_000, "resnet101"),
)))
def resnet101(
    num_classes: int = 1000, *, stride_on: str = "3x3", se: bool = False, se_reduction: int = 16
) -> nn.Module:
    """ResNet-101: bottlenecks (3, 4, 23, 3)."""
    return _resnet(Bottleneck, (3, 4, 23, 3), num_classes,
                   stride_on=stride_on, se=se, se_reduction=se_reduction)


@register_model(_card("resnet152", False, (
    _tv(60_192_808, 11_514_000_000, "resnet152"),
    PublishedCost(None, 11_300_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(60_190_000, 11_560_000_000, "resnet152"),
)))
def resnet152(
    num_classes: int = 1000, *, stride_on: str = "3x3", se: bool = False, se_reduction: int = 16
) -> nn.Module:
    """ResNet-152: bottlenecks (3, 8, 36, 3)."""
    return _resnet(Bottleneck, (3, 8, 36, 3), num_classes,
                   stride_on=stride_on, se=se, se_reduction=se_reduction)
