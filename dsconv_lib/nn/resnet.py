"""ResNet-50 (He et al., 2016) from bottleneck blocks, with optional Squeeze-and-Excitation (Hu et al., 2018).

The layout is torchvision's ("ResNet v1.5": the stride of a downsampling block sits
on its 3x3 convolution), which has 25,557,032 parameters with BatchNorm and the
classifier's bias. With se_reduction=r every bottleneck gets a SqueezeExcite block
on its residual branch, after the last BatchNorm and before the addition of the
shortcut, as in SE-ResNet (Hu et al., 2018, Fig. 3 and Table 1).
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .layers import conv_bn_act
from .shortcut import residual_shortcut
from .squeeze_excite import SqueezeExcite


class Bottleneck(nn.Module):
    """1x1 (C_in -> w), 3x3 (w -> w, stride), 1x1 (w -> 4w), each with BatchNorm; ReLU after the sum.

    x: (N, C_in, H, W) -> (N, 4 * width, H / stride, W / stride). The shortcut is the identity
    when the shapes match, else a strided 1x1 convolution with BatchNorm. se_reduction: None for
    a plain block, r for a SqueezeExcite(4 * width, r) before the addition; se_bias: whether its
    two FC layers have biases.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        se_reduction: Optional[int] = None,
        se_bias: bool = True,
    ) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.se = SqueezeExcite(out_channels, se_reduction, bias=se_bias) if se_reduction else nn.Identity()
        self.shortcut = residual_shortcut(in_channels, out_channels, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.se(self.bn3(self.conv3(y)))  # SE rescales the residual branch, before the sum
        return self.relu(y + self.shortcut(x))


class ResNet50(nn.Module):
    """ResNet-50: a 7x7 stem, four stages of 3, 4, 6, 3 bottlenecks, global pooling, a linear classifier.

    x: (N, in_channels, H, W) -> logits (N, num_classes). se_reduction=r gives SE-ResNet-50
    (an SE block in each of the 16 bottlenecks); se_bias=False leaves out the SE biases.
    """

    # (bottleneck width, output channels C_s, blocks N_s, stride of the first block) per stage.
    STAGES = ((64, 256, 3, 1), (128, 512, 4, 2), (256, 1024, 6, 2), (512, 2048, 3, 2))

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        se_reduction: Optional[int] = None,
        se_bias: bool = True,
    ) -> None:
        super().__init__()
        if se_reduction is not None and se_reduction < 1:
            raise ValueError(f"se_reduction must be None or >= 1, got {se_reduction}")
        self.stem = nn.Sequential(*conv_bn_act(in_channels, 64, 7, stride=2), nn.MaxPool2d(3, stride=2, padding=1))
        stages: list[nn.Module] = []
        channels = 64
        for width, out_channels, blocks, stride in self.STAGES:
            layers = []
            for i in range(blocks):
                layers.append(Bottleneck(channels, width, stride if i == 0 else 1, se_reduction, se_bias))
                channels = out_channels
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    @classmethod
    def stage_blocks_and_channels(cls) -> tuple[tuple[int, int], ...]:
        """(N_s, C_s) per stage: the numbers in Hu et al.'s Eq. 5."""
        return tuple((blocks, out_channels) for _, out_channels, blocks, _ in cls.STAGES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.stages(self.stem(x))).flatten(1))
