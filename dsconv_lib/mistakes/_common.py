"""Mistakes that several exercises share: a depthwise step done wrong, FLOPs counted for MACs."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from . import Mistake
from ._wrong import channels_summed, conv2d_flipped, conv2d_one_side, conv2d_stride_ignored, depthwise

CH1 = "01_standard_convolution"

# depthwise_conv2d(x (N, C, H, W), weight (C m, 1, kH, kW), stride, padding) done wrong.
DEPTHWISE_STEP = (
    Mistake("mixes channels", "summing over the input channels",
            "a depthwise step filters each channel on its own and never mixes channels", "04_depthwise_grouped",
            "What depthwise cannot do: mix channels", channels_summed),
    Mistake("flipped kernel", "the kernel flipped (a true convolution)",
            "PyTorch's convolutions are cross-correlations, the kernel is not flipped", CH1,
            "Convolution or cross-correlation?", depthwise(conv2d_flipped)),
    Mistake("padding before only", "padding on one side only (top and left)", "padding adds p zeros on each side",
            CH1, "Padding", depthwise(conv2d_one_side)),
    Mistake("windows not strided", "windows that do not move by the stride",
            "with stride s the window moves s pixels at a time", CH1, "Stride",
            depthwise(lambda *args, **kwargs: conv2d_stride_ignored(*args, **kwargs, cropped=True))),
)


def flops_for_macs(macs: Callable[..., Any]) -> Mistake:
    """FLOPs (2 per MAC) counted where MACs are asked for; `macs` is the right count, on the same arguments."""
    return Mistake("FLOPs", "counting FLOPs (2 per multiply-accumulate) instead of MACs",
                   "one MAC is one multiply and one add together", "02_counting_cost", "MACs and FLOPs",
                   lambda *args, **kwargs: 2 * macs(*args, **kwargs))


def with_arguments(right: Callable[..., Any], **replaced: Any) -> Callable[..., Any]:
    """`right` called with a case's arguments, some of them replaced: a mistake that ignores one (stride=1)."""
    def wrong(*args: Any) -> Any:
        arguments = inspect.signature(right).bind(*args).arguments
        return right(**{**arguments, **replaced})
    return wrong
