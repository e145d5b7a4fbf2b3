"""Torch building blocks of the course, one class per block, explicit constructor arguments.

`conv_bn_act` and `separable_bn_act` are the small stacks the networks repeat (a convolution,
BatchNorm, an activation), for building a variant of a network in a page or an exercise.
"""

from .googlenet import GoogLeNet
from .inception import InceptionBlock
from .layers import conv_bn_act, separable_bn_act
from .mobilenet import InvertedResidual, MobileNetV1, MobileNetV2, make_divisible
from .resnet import Bottleneck, ResNet50
from .separable import DepthwiseSeparableConv1d, DepthwiseSeparableConv2d, DepthwiseSeparableConv3d
from .squeeze_excite import SqueezeExcite
from .xception import Xception, XceptionBlock

__all__ = [
    "Bottleneck",
    "DepthwiseSeparableConv1d",
    "DepthwiseSeparableConv2d",
    "DepthwiseSeparableConv3d",
    "GoogLeNet",
    "InceptionBlock",
    "InvertedResidual",
    "MobileNetV1",
    "MobileNetV2",
    "ResNet50",
    "SqueezeExcite",
    "Xception",
    "XceptionBlock",
    "conv_bn_act",
    "make_divisible",
    "separable_bn_act",
]
