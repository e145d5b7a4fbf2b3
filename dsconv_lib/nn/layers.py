"""The two small stacks the networks repeat: a convolution, BatchNorm (or a bias) and an activation,
standard or depthwise separable.

GoogLeNet's convolutions have a bias and no normalisation; MobileNet's, ResNet's
and Xception's have BatchNorm and no bias (BatchNorm's shift does a bias's job).
"""

from __future__ import annotations

from typing import Callable, Optional

from torch import nn

from .separable import DepthwiseSeparableConv2d


def conv_bn_act(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: Optional[int] = None,
    batch_norm: bool = True,
    activation: Optional[Callable[[], nn.Module]] = nn.ReLU,
) -> nn.Sequential:
    """Conv2d, then BatchNorm (batch_norm=True; the conv then has no bias) or a bias on the conv, then the activation.

    x: (N, in_channels, H, W) -> (N, out_channels, H', W'). padding=None pads kernel_size // 2
    (the size is kept at stride 1 for odd kernels). activation: built without arguments
    (nn.ReLU, nn.ReLU6), or None for none. Only the layers asked for are in the Sequential.
    """
    if padding is None:
        padding = kernel_size // 2
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_channels))
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


def separable_bn_act(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: Optional[int] = None,
    depth_multiplier: int = 1,
    batch_norm: bool = True,
    activation: Optional[Callable[[], nn.Module]] = nn.ReLU,
) -> DepthwiseSeparableConv2d:
    """The depthwise separable stand-in for conv_bn_act: nothing between the two steps (Xception's form).

    x: (N, in_channels, H, W) -> (N, out_channels, H', W'): depthwise k x k, pointwise 1x1, then
    BatchNorm (batch_norm=True) or a bias on the pointwise step, then the activation.
    """
    return DepthwiseSeparableConv2d(
        in_channels, out_channels, kernel_size, stride=stride, padding=padding, depth_multiplier=depth_multiplier,
        bias=not batch_norm, norm_layer=nn.BatchNorm2d if batch_norm else None, activation=activation,
        norm_act_between=False,
    )
