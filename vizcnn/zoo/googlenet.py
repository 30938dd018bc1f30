"""GoogLeNet (Inception v1): parallel 1×1 / 3×3 / 5×5 / pool branches, cheap thanks to 1×1s.

Paper: Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir
Anguelov, Dumitru Erhan, Vincent Vanhoucke, Andrew Rabinovich, "Going Deeper with
Convolutions", 2014, arXiv:1409.4842.

Two variants share every class here and differ only in their configuration:

* ``googlenet`` is torchvision's: conv (no bias) + BatchNorm(eps=1e-3) + ReLU, a 3×3 kernel in
  the "5×5" branch (vision#906), a 2×2 ``maxpool4``, dropout 0.2, no LRN. Attribute names
  and shapes are torchvision's, so its checkpoint loads with ``strict=True``.
* ``googlenet_paper`` is the paper's Table 1 / Figure 3: conv + bias + ReLU, true 5×5
  kernels, 3×3/2 max pools, LRN in the stem, dropout 0.4, and auxiliary heads that average
  pool 5×5/3 (so in train mode they need the paper's 224×224 input).

Both build the two auxiliary classifiers by default (``aux_logits=True``, as in the paper);
they only run in train mode, where ``forward`` returns ``GoogLeNetOutputs(logits, aux_logits2,
aux_logits1)`` like torchvision. In eval mode ``forward`` returns the logits.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Protocol

import torch
from torch import Tensor, nn

from vizcnn.zoo.registry import ModelCard, ModelOption, PublishedCost, register_model

_PAPER = "Going Deeper with Convolutions"
_AUTHORS = (
    "Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir Anguelov, "
    "Dumitru Erhan, Vincent Vanhoucke, Andrew Rabinovich"
)
_MACS = "MACs = conv + linear multiply-accumulates (no bias/BN/activation/pool), eval model"


# ---------------------------------------------------------------------------------------------
# helpers


class ConvBlock(Protocol):
    """Factory for the convolution unit every branch is made of."""

    def __call__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
        padding: int = 0,
    ) -> nn.Module: ...


class GoogLeNetOutputs(NamedTuple):
    """Train-mode output, field names as torchvision's ``GoogLeNetOutputs``."""

    logits: Tensor
    aux_logits2: Tensor | None
    aux_logits1: Tensor | None


def _lrn() -> nn.LocalResponseNorm:
    """BVLC GoogLeNet's LRN (size 5, α=1e-4 averaged over the window, β=0.75)."""
    return nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0)


def _adaptive_pool_4x4() -> nn.Module:
    """torchvision's aux pooling: any input size → 4×4."""
    return nn.AdaptiveAvgPool2d((4, 4))


def _paper_aux_pool() -> nn.Module:
    """The paper's aux pooling: 5×5 average pool, stride 3 (14×14 → 4×4)."""
    return nn.AvgPool2d(5, stride=3)


def _init_weights(model: nn.Module) -> None:
    """torchvision's GoogLeNet init: truncated N(0, 0.01) weights, unit BatchNorm. Skipped on
    the ``meta`` device, where there are no values to initialise."""
    if any(p.is_meta for p in model.parameters()):
        return
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


# ---------------------------------------------------------------------------------------------
# blocks


class BasicConv2d(nn.Module):
    """torchvision's unit: conv without bias → BatchNorm(eps=0.001) → ReLU.

    The ReLU is a module here (torchvision calls ``F.relu``) so it shows up in a trace; it has
    no parameters, so the state_dict is unchanged.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(x)))


class ConvReLU(nn.Module):
    """The paper's unit (2014, before BatchNorm): conv with bias → ReLU."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.conv(x))


class Inception(nn.Module):
    """Four parallel branches concatenated on channels (paper Figure 2b).

    branch1: 1×1 · branch2: 1×1 reduce → 3×3 · branch3: 1×1 reduce → "5×5" · branch4:
    3×3/1 max pool → 1×1 projection. The 1×1 reductions are what keep the 3×3 and 5×5
    convolutions affordable. ``kernel_5x5`` is 5 in the paper and 3 in torchvision.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        conv_block: ConvBlock,
        kernel_5x5: int = 5,
    ) -> None:
        super().__init__()
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            conv_block(in_channels, ch3x3red, kernel_size=1),
            conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            conv_block(in_channels, ch5x5red, kernel_size=1),
            conv_block(ch5x5red, ch5x5, kernel_size=kernel_5x5, padding=kernel_5x5 // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1),
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate stage, a training aid (paper Section 5).

    pool to 4×4 → 1×1 conv 128 → FC 1024 → ReLU → dropout 0.7 → FC classes. torchvision
    pools adaptively to 4×4; the paper uses a 5×5/3 average pool (4×4 at 14×14 only).
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        conv_block: ConvBlock,
        pool: nn.Module,
        dropout: float = 0.7,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(p=dropout)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(self.pool(x))
        x = torch.flatten(x, 1)
        x = self.dropout(self.relu(self.fc1(x)))
        return self.fc2(x)


# ---------------------------------------------------------------------------------------------
# model

# Paper Table 1. "pool before" names the 3×3/2 max pool that precedes the module.
#  name          pool before  #1×1 #3×3red #3×3 #5×5red #5×5 pool proj
_INCEPTIONS: tuple[tuple[str, str | None, int, int, int, int, int, int], ...] = (
    ("inception3a", None, 64, 96, 128, 16, 32, 32),
    ("inception3b", None, 128, 128, 192, 32, 96, 64),
    ("inception4a", "maxpool3", 192, 96, 208, 16, 48, 64),
    ("inception4b", None, 160, 112, 224, 24, 64, 64),
    ("inception4c", None, 128, 128, 256, 24, 64, 64),
    ("inception4d", None, 112, 144, 288, 32, 64, 64),
    ("inception4e", None, 256, 160, 320, 32, 128, 128),
    ("inception5a", "maxpool4", 256, 160, 320, 32, 128, 128),
    ("inception5b", None, 384, 192, 384, 48, 128, 128),
)


class GoogLeNet(nn.Module):
    """Stem → nine Inception modules in three stages → global average pool → dropout → FC.

    torchvision keeps every stage as a flat attribute (``conv1`` … ``fc``), and so do we, so
    its checkpoint loads with ``strict=True``. Instead of a registered ``features`` child, the
    tuples ``STEM`` / ``BODY`` / ``HEAD`` / ``AUX`` name the top-level attributes of each
    part, ``features`` is an unregistered view of stem + body, and
    :meth:`forward_features` / :meth:`forward_head` split the forward pass (as in ResNet).
    """

    STEM: tuple[str, ...] = ("conv1", "maxpool1", "lrn1", "conv2", "conv3", "lrn2", "maxpool2")
    BODY: tuple[str, ...] = tuple(
        name for row in _INCEPTIONS for name in (row[1], row[0]) if name is not None
    )
    HEAD: tuple[str, ...] = ("avgpool", "dropout", "fc")
    AUX: tuple[str, ...] = ("aux1", "aux2")

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = True,
        transform_input: bool = False,
        conv_block: ConvBlock = BasicConv2d,
        kernel_5x5: int = 3,
        maxpool4_kernel: int = 2,
        aux_pool: Callable[[], nn.Module] = _adaptive_pool_4x4,
        lrn: bool = False,
        dropout: float = 0.2,
        dropout_aux: float = 0.7,
    ) -> None:
        super().__init__()
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        # stem (paper Figure 3: LocalRespNorm after the first pool and after conv3)
        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.lrn1 = _lrn() if lrn else None
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.lrn2 = _lrn() if lrn else None
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        # body: one loop over the stage table
        in_channels = 192
        for name, pool, *widths in _INCEPTIONS:
            if pool is not None:
                kernel = maxpool4_kernel if pool == "maxpool4" else 3
                setattr(self, pool, nn.MaxPool2d(kernel, stride=2, ceil_mode=True))
            block = Inception(in_channels, *widths, conv_block=conv_block, kernel_5x5=kernel_5x5)
            setattr(self, name, block)
            in_channels = block.out_channels

        if aux_logits:
            self.aux1: InceptionAux | None = InceptionAux(
                512, num_classes, conv_block, aux_pool(), dropout_aux
            )
            self.aux2: InceptionAux | None = InceptionAux(
                528, num_classes, conv_block, aux_pool(), dropout_aux
            )
        else:
            self.aux1 = None
            self.aux2 = None

        # head
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(in_channels, num_classes)

    def _transform_input(self, x: Tensor) -> Tensor:
        """Map ImageNet-normalised input to the (x − 0.5)/0.5 range ported weights expect."""
        if not self.transform_input:
            return x
        x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        return torch.cat((x_ch0, x_ch1, x_ch2), 1)

    @property
    def features(self) -> nn.Sequential:
        """Stem + body as an *unregistered* ``nn.Sequential`` over the same modules.

        Built on each access and never assigned as a child, so state_dict keys stay
        torchvision's. It skips the aux heads, so it equals :meth:`forward_features` without
        ``transform_input``.
        """
        parts = (getattr(self, name) for name in self.STEM + self.BODY)
        return nn.Sequential(*(m for m in parts if m is not None))  # lrn1/lrn2 may be None

    def _stem_and_body(self, x: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Features plus the aux logits (computed in train mode only, from 4a and 4d)."""
        x = self._transform_input(x)
        # stem
        x = self.maxpool1(self.conv1(x))
        if self.lrn1 is not None:
            x = self.lrn1(x)
        x = self.conv3(self.conv2(x))
        if self.lrn2 is not None:
            x = self.lrn2(x)
        x = self.maxpool2(x)
        # body
        x = self.inception3b(self.inception3a(x))
        x = self.inception4a(self.maxpool3(x))
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        return x, aux2, aux1

    def forward_features(self, x: Tensor) -> Tensor:
        """Stem + body: image → 1024 × H/32 × W/32 feature map."""
        return self._stem_and_body(x)[0]

    def forward_head(self, x: Tensor, pre_logits: bool = False) -> Tensor:
        """Head: global average pool → flatten → dropout → fc (or stop before fc)."""
        x = self.dropout(torch.flatten(self.avgpool(x), 1))
        return x if pre_logits else self.fc(x)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        x, aux2, aux1 = self._stem_and_body(x)
        x = self.forward_head(x)
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


# ---------------------------------------------------------------------------------------------
# family builder


def _googlenet(
    num_classes: int, aux_logits: bool, transform_input: bool, paper: bool
) -> GoogLeNet:
    if paper:
        model = GoogLeNet(
            num_classes, aux_logits, transform_input, conv_block=ConvReLU, kernel_5x5=5,
            maxpool4_kernel=3, aux_pool=_paper_aux_pool, lrn=True,
            dropout=0.4,
        )
    else:
        model = GoogLeNet(num_classes, aux_logits, transform_input)
    _init_weights(model)
    return model


_OPTIONS = (
    ModelOption(
        "aux_logits", True, (True, False),
        "build the two auxiliary classifiers (they run in train mode only)",
    ),
    ModelOption(
        "transform_input", False, (False, True),
        "re-normalise ImageNet-normalised input as torchvision's ported weights expect",
    ),
)

_IDEAS_EN = (
    "Each Inception module runs 1×1, 3×3, 5×5 convolutions and a 3×3 max pool side by side "
    "and concatenates them, so one layer mixes several receptive-field sizes. 1×1 "
    "convolutions (a fully connected layer across channels) shrink the channels before the "
    "3×3 and 5×5, which keeps 22 layers at about 1.5 G multiply-adds. Two auxiliary "
    "classifiers on 4a and 4d add gradient during training and are dropped at inference."
)
_IDEAS_ZH = (
    "Inception 模块把 1×1、3×3、5×5 卷积和 3×3 最大池化并行计算后在通道维拼接，"
    "融合不同尺度的特征信息。1×1 卷积（可看作通道维度的全连接）先降维再做 3×3 和 5×5，"
    "大大降低了计算量，22 层网络只需约 15 亿次乘加。4a 和 4d 后面各接一个辅助分类器，"
    "只在训练时辅助回传梯度，推理时不用。"
)


# ---------------------------------------------------------------------------------------------
# public builders


@register_model(
    ModelCard(
        name="googlenet",
        family="GoogLeNet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2014,
        input_size=224,
        ideas_en=_IDEAS_EN + (
            " This is torchvision's version: conv + BatchNorm, and 3×3 kernels in the "
            "'5×5' branch."
        ),
        ideas_zh=_IDEAS_ZH + (
            "这里是 torchvision 的版本：卷积后接 BatchNorm，“5×5”分支实际用 3×3 卷积核。"
        ),
        key_blocks=(("inception", "Inception"), ("aux_classifier", "InceptionAux")),
        published=(
            PublishedCost(
                6624904, 1498000000,
                "torchvision googlenet IMAGENET1K_V1, aux removed (num_params, _ops=1.498)",
                "_ops labelled GFLOPS but = GMACs of Conv2d+Linear, eval, 1×3×224×224", 224,
            ),
            PublishedCost(
                6624904, 1498376192,
                "torchvision arch, aux_logits=False, derived analytically (not published)",
                _MACS, 224,
            ),
            PublishedCost(
                13004888, 1498376192,
                "torchvision arch, aux_logits=True, derived analytically (not published)",
                _MACS + "; train-mode MACs with aux heads = 1506748416", 224,
            ),
            PublishedCost(
                6800000, 1500000000, "Szegedy et al. 2014, Section 1 text + Table 1",
                "multiply-adds (a design budget); params = sum of Table 1, no aux", 224,
            ),
            PublishedCost(
                6800000, 1550000000, "as cited in MobileNetV1 Table 8 (arXiv:1704.04861)",
                "Mult-Adds = MACs", 224,
            ),
        ),
        options=_OPTIONS,
    )
)
def googlenet(
    num_classes: int = 1000, aux_logits: bool = True, transform_input: bool = False
) -> nn.Module:
    """torchvision's GoogLeNet (6,624,904 params without aux, 1.498 G MACs)."""
    return _googlenet(num_classes, aux_logits, transform_input, paper=False)


@register_model(
    ModelCard(
        name="googlenet_paper",
        family="GoogLeNet",
        paper=_PAPER,
        authors=_AUTHORS,
        year=2014,
        input_size=224,
        ideas_en=_IDEAS_EN + (
            " This is the paper's layout: true 5×5 kernels, conv biases, no BatchNorm, LRN "
            "in the stem."
        ),
        ideas_zh=_IDEAS_ZH + (
            "这里是论文原版：真正的 5×5 卷积核，卷积带偏置，没有 BatchNorm，主干前部用 LRN。"
        ),
        key_blocks=(("inception", "Inception"), ("aux_classifier", "InceptionAux")),
        published=(
            PublishedCost(
                6998552, 1582671872,
                "paper layout (5×5, conv bias, no BN, no aux), derived analytically "
                "(not published)",
                _MACS + "; params with the two aux heads = 13378280", 224,
            ),
            PublishedCost(
                6800000, 1500000000, "Szegedy et al. 2014, Section 1 text + Table 1",
                "multiply-adds (a design budget); params = sum of Table 1, no aux", 224,
            ),
            PublishedCost(
                6800000, 1550000000, "as cited in MobileNetV1 Table 8 (arXiv:1704.04861)",
                "Mult-Adds = MACs", 224,
            ),
        ),
        options=_OPTIONS,
    )
)
def googlenet_paper(
    num_classes: int = 1000, aux_logits: bool = True, transform_input: bool = False
) -> nn.Module:
    """The paper's GoogLeNet (6,998,552 params without aux, 1.583 G MACs)."""
    return _googlenet(num_classes, aux_logits, transform_input, paper=True)
