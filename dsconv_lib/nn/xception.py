"""The Xception block and Xception (Chollet, 2017, Figure 5) built from it.

Xception takes Inception's idea to its extreme: every spatial convolution is
depthwise separable, so that cross-channel and spatial correlations are mapped
fully separately.

Entry flow: conv 3x3/2 (32), conv 3x3 (64), then three blocks of two separable
3x3 convolutions ending in a stride-2 max pool (128, 256, 728 channels), each
with a strided 1x1 convolution on its shortcut. Middle flow: eight blocks of
three separable convolutions at 728 channels with identity shortcuts. Exit flow:
a block 728 -> 1024 with a stride-2 pool, separable convolutions to 1536 and
2048 channels, global average pooling and a logistic-regression layer.

Every convolution is followed by BatchNorm and has no bias; separable
convolutions have no nonlinearity between their depthwise and pointwise steps.
The two stem convolutions use no padding (299 -> 149 -> 147), as in the Keras
implementation the paper points to.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import conv_bn_act, separable_bn_act
from .shortcut import residual_shortcut


class XceptionBlock(nn.Module):
    """An Xception block: `repeats` x (ReLU, separable 3x3, BatchNorm), plus a residual.

    x: (N, C_in, H, W) -> (N, C_out, H / stride, W / stride).
    stride 2 ends the block with a 3x3 max pool; the shortcut is then (as when
    C_in != C_out) a strided 1x1 convolution with BatchNorm, else the identity.
    grow_first: change channels in the first separable conv (entry flow) or in
    the last one (exit flow). start_with_relu=False drops the first ReLU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        repeats: int,
        stride: int = 1,
        start_with_relu: bool = True,
        grow_first: bool = True,
    ) -> None:
        super().__init__()
        if repeats < 1:
            raise ValueError(f"repeats must be >= 1, got {repeats}")
        if grow_first:
            widths = [in_channels] + [out_channels] * repeats
        else:
            widths = [in_channels] * repeats + [out_channels]
        layers: list[nn.Module] = []
        for i in range(repeats):
            if i > 0 or start_with_relu:
                layers.append(nn.ReLU())
            layers.append(separable_bn_act(widths[i], widths[i + 1], 3, activation=None))
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride=stride, padding=1))
        self.body = nn.Sequential(*layers)
        self.shortcut = residual_shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class Xception(nn.Module):
    """Xception; x: (N, in_channels, H, W) -> logits (N, num_classes), for H, W >= 71.

    middle_repeats: how many times the middle flow's block repeats (8 in the paper).
    """

    ENTRY_WIDTHS = (128, 256, 728)
    MIDDLE_WIDTH = 728
    EXIT_WIDTHS = (1024, 1536, 2048)

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, middle_repeats: int = 8) -> None:
        super().__init__()
        if middle_repeats < 0:
            raise ValueError(f"middle_repeats must be >= 0, got {middle_repeats}")
        entry: list[nn.Module] = [
            conv_bn_act(in_channels, 32, 3, stride=2, padding=0), conv_bn_act(32, 64, 3, padding=0)
        ]
        channels = 64
        for i, width in enumerate(self.ENTRY_WIDTHS):
            entry.append(XceptionBlock(channels, width, 2, stride=2, start_with_relu=i > 0))
            channels = width
        self.entry_flow = nn.Sequential(*entry)
        self.middle_flow = nn.Sequential(
            *(XceptionBlock(self.MIDDLE_WIDTH, self.MIDDLE_WIDTH, 3) for _ in range(middle_repeats))
        )
        grow, wide, widest = self.EXIT_WIDTHS
        self.exit_flow = nn.Sequential(
            XceptionBlock(self.MIDDLE_WIDTH, grow, 2, stride=2, grow_first=False),
            separable_bn_act(grow, wide, 3),
            separable_bn_act(wide, widest, 3),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widest, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.exit_flow(self.middle_flow(self.entry_flow(x)))
        return self.classifier(self.pool(x).flatten(1))
