"""Depthwise separable convolution blocks in 1D, 2D and 3D.

A depthwise step filters each channel on its own (groups = C_in), a pointwise
step mixes channels with a 1x1 convolution. Optional normalisation and
activation sit between the steps and after, and an optional Squeeze-and-
Excitation block after either step.

backend="auto" or "triton" (2D only, with nothing between the steps) runs the two
steps as one call of dsconv_lib.gpu.separable_conv2d: on a GPU, the fused kernel
where it is faster. The default, "torch", calls the two conv modules.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

from ..gpu import BACKENDS
from ..gpu import separable_conv2d as fused_separable_conv2d
from ..shapes import IntOrTuple, to_tuple
from .squeeze_excite import SqueezeExcite


class _DepthwiseSeparableConvNd(nn.Module):
    """Shared body of the 1D/2D/3D blocks; subclasses set the convolution type and rank."""

    conv_type: type[nn.Module]
    spatial_dims: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple = 3,
        stride: IntOrTuple = 1,
        padding: Optional[IntOrTuple] = None,
        dilation: IntOrTuple = 1,
        depth_multiplier: int = 1,
        bias: bool = False,
        norm_layer: Optional[Callable[[int], nn.Module]] = None,
        activation: Optional[Callable[[], nn.Module]] = None,
        norm_act_between: bool = True,
        activation_after: bool = True,
        se_after: Optional[str] = None,
        se_reduction: int = 4,
        backend: str = "torch",
    ) -> None:
        """
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: of the depthwise step (the pointwise step is 1x1, stride 1).
        padding: of the depthwise step; None pads dilation * (k - 1) // 2, which keeps the
            size at stride 1 for odd kernels and divides it by the stride otherwise.
        depth_multiplier: m, filters per input channel; the intermediate has C_in * m channels.
        bias: a bias on the pointwise step (leave it off when a norm layer follows).
        norm_layer: e.g. nn.BatchNorm2d; built with the channel count, after each step.
        activation: e.g. nn.ReLU; built without arguments, after each step's norm.
        norm_act_between: False leaves nothing between the steps (Xception's separable conv).
        activation_after: False leaves the output linear (MobileNetV2's linear bottleneck).
        se_after: None, "depthwise" or "pointwise": where a SqueezeExcite block sits.
        se_reduction: the SE block's reduction ratio r.
        backend: "torch" calls the depthwise and pointwise modules one after the other;
            "auto" or "triton" computes both steps with dsconv_lib.gpu.separable_conv2d (the
            fused kernel on a GPU: see there). Only for 2D blocks with nothing between the
            steps (no norm/activation between them, se_after != "depthwise"). The modules'
            forward hooks (cost.profile) do not fire then.
        """
        super().__init__()
        if se_after not in (None, "depthwise", "pointwise"):
            raise ValueError(f"se_after must be None, 'depthwise' or 'pointwise', got {se_after!r}")
        if se_after is not None and se_reduction < 1:
            raise ValueError(f"se_reduction must be >= 1 (the SE block's C / r), got {se_reduction}")
        if depth_multiplier < 1:
            raise ValueError(f"depth_multiplier must be >= 1, got {depth_multiplier}")
        kernel = to_tuple(kernel_size, self.spatial_dims, "kernel_size")
        dilations = to_tuple(dilation, self.spatial_dims, "dilation")
        if padding is None:
            padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilations))
        mid_channels = in_channels * depth_multiplier
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if backend != "torch":
            between = norm_act_between and (norm_layer is not None or activation is not None)
            if self.spatial_dims != 2 or between or se_after == "depthwise":
                raise ValueError(
                    f"backend={backend!r} fuses the two steps, so it needs a 2D block with nothing between "
                    f"them; got spatial_dims={self.spatial_dims}, norm/activation between the steps: {between}, "
                    f"se_after={se_after!r}. Use backend='torch', or norm_act_between=False"
                )
        self.backend = backend

        self.depthwise = self.conv_type(
            in_channels, mid_channels, kernel, stride=stride, padding=padding,
            dilation=dilations, groups=in_channels, bias=False,
        )
        self.norm1 = norm_layer(mid_channels) if norm_layer and norm_act_between else nn.Identity()
        self.act1 = activation() if activation and norm_act_between else nn.Identity()
        self.pointwise = self.conv_type(mid_channels, out_channels, 1, bias=bias)
        self.norm2 = norm_layer(out_channels) if norm_layer else nn.Identity()
        self.act2 = activation() if activation and activation_after else nn.Identity()
        self.se_after = se_after
        se_channels = mid_channels if se_after == "depthwise" else out_channels
        self.se = SqueezeExcite(se_channels, se_reduction) if se_after else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C_in, *spatial) -> (N, C_out, *spatial_out)."""
        if self.backend == "torch":
            x = self.act1(self.norm1(self.depthwise(x)))
            if self.se_after == "depthwise":
                x = self.se(x)
            x = self.pointwise(x)
        else:
            dw, pw = self.depthwise, self.pointwise
            x = fused_separable_conv2d(x, dw.weight, pw.weight, None, pw.bias, stride=dw.stride,
                                       padding=dw.padding, dilation=dw.dilation, backend=self.backend)
        x = self.act2(self.norm2(x))
        if self.se_after == "pointwise":
            x = self.se(x)
        return x


class DepthwiseSeparableConv1d(_DepthwiseSeparableConvNd):
    """Depthwise separable 1D convolution, x: (N, C_in, L) -> (N, C_out, L_out); e.g. time series."""

    conv_type = nn.Conv1d
    spatial_dims = 1


class DepthwiseSeparableConv2d(_DepthwiseSeparableConvNd):
    """Depthwise separable 2D convolution, x: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    conv_type = nn.Conv2d
    spatial_dims = 2


class DepthwiseSeparableConv3d(_DepthwiseSeparableConvNd):
    """Depthwise separable 3D convolution, x: (N, C_in, D, H, W) -> (N, C_out, D', H', W'); video, volumes."""

    conv_type = nn.Conv3d
    spatial_dims = 3
