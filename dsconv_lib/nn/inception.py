"""Inception (GoogLeNet) and Xception blocks.

Inception runs 1x1, 3x3 and 5x5 convolutions and a pooling side by side and
concatenates them (Szegedy et al., 2015). Xception (Chollet, 2017) takes the
idea to its extreme: every spatial convolution is depthwise separable, so that
cross-channel and spatial correlations are mapped fully separately.
"""

from __future__ import annotations

import torch
from torch import nn

from .separable import DepthwiseSeparableConv2d
from .shortcut import residual_shortcut


def _conv_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """A GoogLeNet convolution: k x k, 'same' padding, bias, ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True),
        nn.ReLU(),
    )


def _separable_relu(in_channels: int, out_channels: int, kernel_size: int) -> DepthwiseSeparableConv2d:
    """The depthwise separable stand-in for _conv_relu: depthwise, pointwise (bias), ReLU."""
    return DepthwiseSeparableConv2d(
        in_channels, out_channels, kernel_size, bias=True, activation=nn.ReLU, norm_act_between=False
    )


class InceptionBlock(nn.Module):
    """A GoogLeNet Inception module; x: (N, C_in, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).

    Branches: 1x1 | 1x1 reduce -> 3x3 | 1x1 reduce -> 5x5 | 3x3 max pool -> 1x1 projection.
    separable=True makes the 3x3 and 5x5 convolutions depthwise separable.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3_reduce: int,
        ch3x3: int,
        ch5x5_reduce: int,
        ch5x5: int,
        pool_proj: int,
        separable: bool = False,
    ) -> None:
        super().__init__()
        spatial = _separable_relu if separable else _conv_relu
        self.branch1x1 = _conv_relu(in_channels, ch1x1, 1)
        self.branch3x3 = nn.Sequential(_conv_relu(in_channels, ch3x3_reduce, 1), spatial(ch3x3_reduce, ch3x3, 3))
        self.branch5x5 = nn.Sequential(_conv_relu(in_channels, ch5x5_reduce, 1), spatial(ch5x5_reduce, ch5x5, 5))
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), _conv_relu(in_channels, pool_proj, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = (self.branch1x1, self.branch3x3, self.branch5x5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)


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
            layers.append(
                DepthwiseSeparableConv2d(widths[i], widths[i + 1], 3, norm_layer=nn.BatchNorm2d, norm_act_between=False)
            )
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride=stride, padding=1))
        self.body = nn.Sequential(*layers)
        self.shortcut = residual_shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)
