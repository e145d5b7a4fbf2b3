"""The shortcut of a residual block: the identity, or a projection where the shape changes."""

from __future__ import annotations

from torch import nn


def residual_shortcut(in_channels: int, out_channels: int, stride: int = 1) -> nn.Module:
    """x: (N, C_in, H, W) -> (N, C_out, H / stride, W / stride).

    The identity when nothing changes; otherwise a strided 1x1 convolution
    (no bias) and BatchNorm, the projection of ResNet's and Xception's blocks.
    """
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_channels))
