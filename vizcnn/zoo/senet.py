"""SENet: residual networks whose blocks reweight their own channels.

Paper: "Squeeze-and-Excitation Networks", Jie Hu, Li Shen, Samuel Albanie, Gang Sun,
Enhua Wu, 2017 (CVPR 2018), arXiv 1709.01507. SE-ResNeXt's body is from "Aggregated Residual
Transformations for Deep Neural Networks", Saining Xie, Ross Girshick, Piotr Dollár,
Zhuowen Tu, Kaiming He, 2016 (CVPR 2017), arXiv 1611.05431.

No architecture code lives here: every model is :func:`vizcnn.zoo.resnet._resnet` with
``se=True``, i.e. torchvision's ResNet layout with an :class:`~vizcnn.zoo.layers.SEBlock`
(``squeeze`` → ``excitation`` = FC → ReLU → FC → sigmoid → scale, reduction 16) attached
as ``se`` to every bottleneck, rescaling the residual branch just before the identity add
(the paper's Fig. 3 "SE-ResNet module").

Layout defaults follow the paper (its Caffe models, which timm's ``legacy_se*`` port):
SE-ResNet puts a stage's stride on the bottleneck's first 1×1 (``stride_on="1x1"``, 3.87 G);
SE-ResNeXt puts it on the grouped 3×3 (``"3x3"``, 4.25 G). ``stride_on="3x3"`` on SE-ResNet
gives timm's ``seresnet50`` (v1.5 + SE, 4.11 G). Parameters do not depend on the stride.
"""

from __future__ import annotations

from torch import nn

from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model
from vizcnn.zoo.resnet import _TIMM_CONVENTION, _TIMM_SOURCE, Bottleneck, _resnet

# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

_PAPER = "Squeeze-and-Excitation Networks"
_AUTHORS = "Jie Hu, Li Shen, Samuel Albanie, Gang Sun, Enhua Wu"
_PAPER_SOURCE = "paper, Hu et al. SENet (arXiv 1709.01507) Table 2"
_PAPER_CONVENTION = (
    "GFLOPs = GMACs; the paper's Caffe layout (SE-ResNet: stride on the first 1x1; "
    "SE-ResNeXt: stride on the grouped 3x3); counts SE pooling/scaling (~5.5M) that a "
    "conv+linear count leaves out"
)

_IDEAS_EN = (
    "An SE block squeezes each channel of a feature map to one number (global average "
    "pooling), excites them through two FC layers (reduce by r = 16, ReLU, expand, sigmoid) "
    "and multiplies every channel by its weight: channel attention. The output keeps the "
    "input's shape, so it drops into any block; here it rescales each bottleneck's residual "
    "branch just before the shortcut is added, for about 10 % more parameters and well under "
    "1 % more compute."
)
_IDEAS_ZH = (
    "SE 模块先用全局平均池化把每个通道压缩成一个数（squeeze），再经过两个全连接层"
    "（先降到 1/16，ReLU，再升回原通道数，Sigmoid）得到每个通道的权重（excitation），"
    "最后与原特征图逐通道相乘，这就是通道注意力。输出和输入的 shape 完全一致，所以可以放进任何网络；"
    "这里放在每个瓶颈残差分支的末尾、与 shortcut 相加之前，参数只多约 10%，计算量增加远不到 1%。"
)
_IDEAS_RESNEXT_EN = (
    " The ResNeXt body splits each bottleneck's 3×3 into 32 groups of 4 channels (a grouped "
    "conv): more, thinner paths for the same cost."
)
_IDEAS_RESNEXT_ZH = (
    "ResNeXt 主干把每个瓶颈中的 3×3 卷积分成 32 组、每组 4 个通道（分组卷积），"
    "同样的计算量下路径更多、更细。"
)


def _options(stride_default: str) -> tuple[ModelOption, ...]:
    return (
        ModelOption(
            "stride_on", stride_default, ("1x1", "3x3"),
            'conv carrying a stage\'s stride in the bottleneck: "1x1" = SENet\'s Caffe '
            'SE-ResNet, "3x3" = torchvision-style v1.5 (timm seresnet*) and SE-ResNeXt',
        ),
        ModelOption("se_reduction", 16, (4, 8, 16, 32), "SE reduction ratio r (hidden = C // r)"),
    )


def _timm(params: int, macs: int, name: str, layout: str) -> PublishedCost:
    return PublishedCost(
        params, macs, f"timm {name} ({_TIMM_SOURCE})", f"{_TIMM_CONVENTION}; {layout}"
    )


def _card(name: str, resnext: bool, published: tuple[PublishedCost, ...]) -> ModelCard:
    """An SENet card: everything but the variant's name and figures is shared."""
    key_blocks: tuple[tuple[str, str], ...] = (
        ("se", "SEBlock"), ("residual", "Bottleneck"), ("bottleneck", "Bottleneck"),
    )
    return ModelCard(
        name=name,
        family="SENet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2017,
        input_size=224,
        ideas_en=_IDEAS_EN + (_IDEAS_RESNEXT_EN if resnext else ""),
        ideas_zh=_IDEAS_ZH + (_IDEAS_RESNEXT_ZH if resnext else ""),
        key_blocks=key_blocks + ((("grouped_conv", "Bottleneck"),) if resnext else ()),
        published=published,
        options=_options("3x3" if resnext else "1x1"),
    )


# ----------------------------------------------------------------------------------------
# builders (blocks and model: vizcnn.zoo.resnet)
# ----------------------------------------------------------------------------------------


@register_model(_card("se_resnet50", False, (
    PublishedCost(None, 3_870_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(28_090_000, 3_880_000_000, "legacy_seresnet50 (Cadene port)", "stride on the 1x1"),
    _timm(28_090_000, 4_110_000_000, "seresnet50", 'v1.5 + SE, stride_on="3x3"'),
)))
def se_resnet50(
    num_classes: int = 1000, *, stride_on: str = "1x1", se_reduction: int = 16
) -> nn.Module:
    """SE-ResNet-50: ResNet-50 bottlenecks (3, 4, 6, 3), each with SE."""
    return _resnet(Bottleneck, (3, 4, 6, 3), num_classes,
                   stride_on=stride_on, se=True, se_reduction=se_reduction)


@register_model(_card("se_resnet101", False, (
    PublishedCost(None, 7_600_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(49_330_000, 7_610_000_000, "legacy_seresnet101", "stride on the 1x1"),
    _timm(49_330_000, 7_840_000_000, "seresnet101", 'v1.5 + SE, stride_on="3x3"'),
)))
def se_resnet101(
    num_classes: int = 1000, *, stride_on: str = "1x1", se_reduction: int = 16
) -> nn.Module:
    """SE-ResNet-101: ResNet-101 bottlenecks (3, 4, 23, 3), each with SE."""
    return _resnet(Bottleneck, (3, 4, 23, 3), num_classes,
                   stride_on=stride_on, se=True, se_reduction=se_reduction)


@register_model(_card("se_resnext50_32x4d", True, (
    PublishedCost(None, 4_250_000_000, _PAPER_SOURCE, _PAPER_CONVENTION),
    _timm(27_560_000, 4_260_000_000, "legacy_seresnext50_32x4d", "stride on the grouped 3x3"),
    _timm(27_560_000, 4_260_000_000, "seresnext50_32x4d", "stride on the grouped 3x3"),
)))
def se_resnext50_32x4d(
    num_classes: int = 1000, *, stride_on: str = "3x3", se_reduction: int = 16
) -> nn.Module:
    """SE-ResNeXt-50 (32×4d): ResNet-50 stages, 3×3 in 32 groups of 4 channels, SE."""
    return _resnet(Bottleneck, (3, 4, 6, 3), num_classes, stride_on=stride_on,
                   se=True, se_reduction=se_reduction, groups=32, width_per_group=4)
