"""MobileNetV1 (Howard et al., 2017) and MobileNetV2 (Sandler et al., 2018)."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .layers import conv_bn_act
from .separable import DepthwiseSeparableConv2d


class MobileNetV1(nn.Module):
    """MobileNetV1: a full 3x3 convolution, then 13 depthwise separable layers.

    x: (N, in_channels, H, W) -> logits (N, num_classes), for any H, W >= 32
    (the resolution multiplier is just the input size). width_multiplier (alpha)
    scales every layer's channels: C -> max(8, int(alpha * C)).
    se_after: None (the paper's network), "depthwise" or "pointwise": every one of
    the 13 separable layers gets a SqueezeExcite block with reduction ratio
    se_reduction after that step (DepthwiseSeparableConv2d's options, which it
    passes on); the first, standard convolution never has one.
    """

    # (out_channels, stride) of the depthwise separable layers, from the paper's Table 1.
    SEPARABLE_LAYERS = (
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
        (1024, 2), (1024, 1),
    )

    def __init__(
        self,
        num_classes: int = 1000,
        width_multiplier: float = 1.0,
        in_channels: int = 3,
        se_after: Optional[str] = None,
        se_reduction: int = 4,
    ) -> None:
        super().__init__()
        if width_multiplier <= 0:
            raise ValueError(f"width_multiplier must be positive, got {width_multiplier}")

        def width(channels: int) -> int:
            return max(8, int(channels * width_multiplier))

        layers: list[nn.Module] = [conv_bn_act(in_channels, width(32), 3, stride=2)]
        channels = width(32)
        for out_channels, stride in self.SEPARABLE_LAYERS:
            layers.append(
                DepthwiseSeparableConv2d(
                    channels, width(out_channels), 3, stride=stride, norm_layer=nn.BatchNorm2d, activation=nn.ReLU,
                    se_after=se_after, se_reduction=se_reduction,
                )
            )
            channels = width(out_channels)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round `value` to the nearest multiple of `divisor`, never going below 90% of it.

    MobileNetV2's rule for scaled channel counts (hardware likes multiples of 8).
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand (1x1), filter (depthwise 3x3), project (1x1, linear).

    x: (N, C_in, H, W) -> (N, C_out, H / stride, W / stride). The expansion widens
    C_in to C_in * expand_ratio; the projection has no activation (a linear
    bottleneck); a residual connects input and output when their shapes match.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand = conv_bn_act(in_channels, hidden, 1, activation=nn.ReLU6) if expand_ratio != 1 else nn.Identity()
        self.separable = DepthwiseSeparableConv2d(
            hidden, out_channels, 3, stride=stride, norm_layer=nn.BatchNorm2d, activation=nn.ReLU6,
            activation_after=False,
        )
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.separable(self.expand(x))
        return x + y if self.use_residual else y


class MobileNetV2(nn.Module):
    """MobileNetV2: inverted residual blocks with linear bottlenecks.

    x: (N, in_channels, H, W) -> logits (N, num_classes). width_multiplier scales
    channels with make_divisible(alpha * C); the last 1x1 layer keeps 1280
    channels for alpha <= 1. expansion is the expansion factor t of every block
    after the first (the paper uses 6).
    """

    # (expansion t, out_channels c, repeats n, first stride s), from the paper's Table 2;
    # the first block's expansion is always 1.
    BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))

    def __init__(
        self, num_classes: int = 1000, width_multiplier: float = 1.0, expansion: int = 6, in_channels: int = 3
    ) -> None:
        super().__init__()
        if width_multiplier <= 0:
            raise ValueError(f"width_multiplier must be positive, got {width_multiplier}")
        channels = make_divisible(32 * width_multiplier)
        layers: list[nn.Module] = [conv_bn_act(in_channels, channels, 3, stride=2, activation=nn.ReLU6)]
        for t, c, n, s in self.BLOCKS:
            out_channels = make_divisible(c * width_multiplier)
            for i in range(n):
                ratio = t if t == 1 else expansion
                layers.append(InvertedResidual(channels, out_channels, s if i == 0 else 1, ratio))
                channels = out_channels
        last_channels = make_divisible(1280 * max(1.0, width_multiplier))
        layers.append(conv_bn_act(channels, last_channels, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))
