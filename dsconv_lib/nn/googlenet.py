"""GoogLeNet (Szegedy et al., 2015) built from the course's InceptionBlock.

The network of the paper's Table 1, without the two auxiliary classifiers
(the table does not count them) and without local response normalisation
(it has no parameters and no multiply-accumulates):

    conv 7x7/2 -> max pool 3x3/2 -> conv 1x1 (64) -> conv 3x3 (192) -> max pool 3x3/2
    -> inception 3a, 3b -> max pool -> 4a ... 4e -> max pool -> 5a, 5b
    -> global average pool -> dropout -> linear 1024 -> num_classes

On a 224x224 image the feature maps are 112, 56, 28, 14 and 7 pixels wide.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import conv_bn_act, separable_bn_act
from .inception import InceptionBlock


class GoogLeNet(nn.Module):
    """GoogLeNet; x: (N, in_channels, H, W) -> logits (N, num_classes), for H, W >= 32.

    separable: make the 3x3 and 5x5 convolutions of every Inception block
        depthwise separable (InceptionBlock(separable=True)).
    separable_stem: make the first 7x7/2 convolution depthwise separable with
        depth multiplier `stem_depth_multiplier` (3 -> 3m channels, then 1x1 to 64),
        the form whose cost matches the first row of the paper's Table 1; False
        (default) is the standard 7x7 convolution of the paper's figure.
    Every convolution has a bias and is followed by a ReLU, as in the paper.
    """

    # Table 1 of Szegedy et al. (2015): name, then the widths InceptionBlock takes after
    # the input channels: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
    INCEPTION_LAYERS = (
        ("3a", (64, 96, 128, 16, 32, 32)),
        ("3b", (128, 128, 192, 32, 96, 64)),
        ("4a", (192, 96, 208, 16, 48, 64)),
        ("4b", (160, 112, 224, 24, 64, 64)),
        ("4c", (128, 128, 256, 24, 64, 64)),
        ("4d", (112, 144, 288, 32, 64, 64)),
        ("4e", (256, 160, 320, 32, 128, 128)),
        ("5a", (256, 160, 320, 32, 128, 128)),
        ("5b", (384, 192, 384, 48, 128, 128)),
    )
    # A stride-2 max pool comes before these blocks.
    POOL_BEFORE = ("4a", "5a")

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        separable: bool = False,
        separable_stem: bool = False,
        stem_depth_multiplier: int = 8,
        dropout: float = 0.4,
    ) -> None:
        super().__init__()
        if separable_stem:
            stem: nn.Module = separable_bn_act(
                in_channels, 64, 7, stride=2, depth_multiplier=stem_depth_multiplier, batch_norm=False
            )
        else:
            stem = conv_bn_act(in_channels, 64, 7, stride=2, batch_norm=False)
        self.stem = nn.Sequential(
            stem,
            nn.MaxPool2d(3, stride=2, padding=1),
            conv_bn_act(64, 64, 1, batch_norm=False),  # the 3x3 row's "#3x3 reduce"
            conv_bn_act(64, 192, 3, batch_norm=False),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        blocks: dict[str, nn.Module] = {}
        channels = 192
        for name, widths in self.INCEPTION_LAYERS:
            if name in self.POOL_BEFORE:
                blocks[f"pool{name[0]}"] = nn.MaxPool2d(3, stride=2, padding=1)
            blocks[name] = InceptionBlock(channels, *widths, separable=separable)
            channels = widths[0] + widths[2] + widths[4] + widths[5]
        self.inception = nn.Sequential()
        for name, block in blocks.items():
            self.inception.add_module(name, block)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inception(self.stem(x))
        return self.classifier(self.dropout(self.pool(x).flatten(1)))
