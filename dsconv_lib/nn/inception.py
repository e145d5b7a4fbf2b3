"""The Inception block (GoogLeNet).

Inception runs 1x1, 3x3 and 5x5 convolutions and a pooling side by side and
concatenates them (Szegedy et al., 2015). Its extreme form, the Xception block,
lives in `xception.py`.
"""

from __future__ import annotations

import warnings

import torch
from torch import nn

from .layers import conv_bn_act, separable_bn_act


def _conv_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    """A GoogLeNet convolution, standard: k x k, 'same' padding, bias, ReLU."""
    return conv_bn_act(in_channels, out_channels, kernel_size, batch_norm=False)


def _separable_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    """A GoogLeNet convolution, depthwise separable: depthwise, pointwise (bias), ReLU."""
    return separable_bn_act(in_channels, out_channels, kernel_size, batch_norm=False)


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


def __getattr__(name: str) -> object:
    """`from dsconv_lib.nn.inception import XceptionBlock`: deprecated, it lives in dsconv_lib.nn.xception."""
    if name == "XceptionBlock":
        warnings.warn(
            "dsconv_lib.nn.inception.XceptionBlock moved to dsconv_lib.nn.xception.XceptionBlock "
            "(or import it from dsconv_lib.nn); the old place goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        from .xception import XceptionBlock

        return XceptionBlock
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
