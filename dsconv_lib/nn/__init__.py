"""Torch building blocks of the course, one class per block, explicit constructor arguments."""

from .inception import InceptionBlock, XceptionBlock
from .mobilenet import InvertedResidual, MobileNetV1, MobileNetV2, make_divisible
from .separable import DepthwiseSeparableConv1d, DepthwiseSeparableConv2d, DepthwiseSeparableConv3d
from .squeeze_excite import SqueezeExcite

__all__ = [
    "DepthwiseSeparableConv1d",
    "DepthwiseSeparableConv2d",
    "DepthwiseSeparableConv3d",
    "InceptionBlock",
    "InvertedResidual",
    "MobileNetV1",
    "MobileNetV2",
    "SqueezeExcite",
    "XceptionBlock",
    "make_divisible",
]
