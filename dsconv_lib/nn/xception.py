"""Xception (Chollet, 2017, Figure 5) built from the course's XceptionBlock.

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

from .inception import XceptionBlock
from .separable import DepthwiseSeparableConv2d


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=0, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


def _separable_bn_relu(in_channels: int, out_channels: int) -> DepthwiseSeparableConv2d:
    return DepthwiseSeparableConv2d(
        in_channels, out_channels, 3, norm_layer=nn.BatchNorm2d, activation=nn.ReLU, norm_act_between=False
    )


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
        entry: list[nn.Module] = [_conv_bn_relu(in_channels, 32, 2), _conv_bn_relu(32, 64, 1)]
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
            _separable_bn_relu(grow, wide),
            _separable_bn_relu(wide, widest),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(widest, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.exit_flow(self.middle_flow(self.entry_flow(x)))
        return self.classifier(self.pool(x).flatten(1))
