"""Torch building blocks of the course, one class per block, explicit constructor arguments."""

from .googlenet import GoogLeNet
from .inception import InceptionBlock
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
    "make_divisible",
]
