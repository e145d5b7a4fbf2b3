"""Cost formulas: parameters, MACs and bytes moved, for every layer the course uses.

Conventions, stated once and used everywhere in the course:

- One MAC is one multiply-accumulate, a * b + c. One MAC is two FLOPs:
  FLOPs = 2 x MACs. The MobileNet papers' "Mult-Adds" are MACs.
- MACs count the multiply-adds of convolutions and linear layers. Adding a
  bias, activations, pooling and SE's channel rescale are elementwise work and
  are not counted (as in the papers). BatchNorm, when a convention counts it,
  is one MAC per element (at inference it is y = a * x + b).
- Bytes are the minimum traffic to and from memory: every input, weight and
  output tensor read or written exactly once, `bytes_per_element` bytes each
  (4 for float32). A block's bytes are the sum over its layers, run one after
  another; `separable_conv(..., fused=True)` keeps the intermediate on chip.

Sizes: `input_size` is the spatial size of the input, (H, W) for 2D, (L,) for
1D, (D, H, W) for 3D; the layer has as many spatial dimensions as the tuple. An
int is a square 2D image, H = W (the `shapes.Size` rule). `batch` multiplies
MACs and activation bytes, not parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..shapes import IntOrTuple, Padding, Size, axis_pass_arguments, conv_geometry, positive_int, spatial_size, to_tuple


@dataclass(frozen=True)
class Cost:
    """What a layer or block costs: parameters, MACs and minimum bytes moved."""

    params: int
    macs: int
    bytes: int

    @property
    def flops(self) -> int:
        """Floating-point operations: 2 per MAC (one multiply, one add)."""
        return 2 * self.macs

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per byte moved: what decides whether memory or compute limits speed."""
        return self.flops / self.bytes

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.params + other.params, self.macs + other.macs, self.bytes + other.bytes)


def conv(
    c_in: int,
    c_out: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A standard or grouped convolution (1D, 2D or 3D, from the length of input_size).

    Each output value is a dot product over C_in / groups channels and the kernel:
        params = C_out * (C_in / groups) * prod(k)        (+ C_out with bias)
        MACs   = batch * C_out * prod(out) * (C_in / groups) * prod(k)
    """
    size = spatial_size(input_size)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide c_in={c_in} and c_out={c_out}")
    geometry = conv_geometry(size, kernel_size, stride, padding, dilation, ndim=len(size))
    taps = math.prod(geometry.kernel_size)
    weights = c_out * (c_in // groups) * taps
    params = weights + (c_out if bias else 0)
    outputs = batch * c_out * math.prod(geometry.output_size)
    macs = outputs * (c_in // groups) * taps
    inputs = batch * c_in * math.prod(size)
    return Cost(params, macs, (inputs + params + outputs) * bytes_per_element)


def depthwise_conv(
    channels: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    depth_multiplier: int = 1,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A depthwise convolution: groups = C, m filters per channel.

        params = C * m * prod(k),   MACs = batch * C * m * prod(out) * prod(k)
    """
    return conv(
        channels, channels * depth_multiplier, kernel_size, input_size,
        stride=stride, padding=padding, dilation=dilation, groups=channels,
        bias=bias, batch=batch, bytes_per_element=bytes_per_element,
    )


def pointwise_conv(
    c_in: int,
    c_out: int,
    input_size: Size,
    *,
    stride: IntOrTuple = 1,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A pointwise (1x1) convolution: a (C_out, C_in) matrix at every pixel.

        params = C_in * C_out,   MACs = batch * prod(out) * C_in * C_out
    """
    return conv(c_in, c_out, 1, input_size, stride=stride, bias=bias, batch=batch, bytes_per_element=bytes_per_element)


def _output_size(input_size: Size, kernel_size: IntOrTuple, *, stride: IntOrTuple = 1,
                 padding: Padding = 0, dilation: IntOrTuple = 1) -> tuple[int, ...]:
    """Spatial output size of a convolution on `input_size` (see dsconv_lib.shapes)."""
    size = spatial_size(input_size)
    return conv_geometry(size, kernel_size, stride, padding, dilation, ndim=len(size)).output_size


def separable_conv(
    c_in: int,
    c_out: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    depth_multiplier: int = 1,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
    fused: bool = False,
) -> Cost:
    """A depthwise separable convolution: depthwise (k, stride), then pointwise C_in*m -> C_out.

    `bias` is the pointwise step's bias (a depthwise bias before a linear pointwise
    step is redundant). With fused=True the intermediate (N, C_in*m, *out) tensor
    never goes to memory, so its write and read are not counted.
    """
    size = spatial_size(input_size)
    mid = c_in * depth_multiplier
    depthwise = depthwise_conv(
        c_in, kernel_size, size, depth_multiplier=depth_multiplier, stride=stride, padding=padding,
        dilation=dilation, batch=batch, bytes_per_element=bytes_per_element,
    )
    out_size = _output_size(size, kernel_size, stride=stride, padding=padding, dilation=dilation)
    pointwise = pointwise_conv(mid, c_out, out_size, bias=bias, batch=batch, bytes_per_element=bytes_per_element)
    total = depthwise + pointwise
    if fused:
        intermediate = batch * mid * math.prod(out_size) * bytes_per_element
        total = Cost(total.params, total.macs, total.bytes - 2 * intermediate)
    return total


def spatially_separable_conv(
    channels: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A channel-wise spatially separable convolution: one 1D pass per spatial axis.

    In 2D a (kH, kW) kernel becomes a (kH, 1) column pass then a (1, kW) row pass:
    kH + kW weights per channel instead of kH * kW (2k against k^2; in 3D, 3k
    against k^3). The passes run one after another, so bytes include the
    intermediate tensors; `bias` is added once, after the last pass.
    """
    size = spatial_size(input_size)
    kernel = to_tuple(kernel_size, len(size), "kernel_size")
    total = Cost(0, 0, 0)
    for axis, arguments in enumerate(axis_pass_arguments(stride, padding, dilation, ndim=len(size))):
        axis_kernel = tuple(k if d == axis else 1 for d, k in enumerate(kernel))
        last = axis == len(size) - 1
        total = total + depthwise_conv(
            channels, axis_kernel, size, bias=bias and last, batch=batch, bytes_per_element=bytes_per_element,
            **arguments,  # type: ignore[arg-type]
        )
        size = _output_size(size, axis_kernel, **arguments)  # type: ignore[arg-type]
    return total


def linear(in_features: int, out_features: int, *, bias: bool = True, batch: int = 1, bytes_per_element: int = 4) -> Cost:
    """A fully connected layer: params = in * out (+ out), MACs = batch * in * out."""
    params = in_features * out_features + (out_features if bias else 0)
    macs = batch * in_features * out_features
    return Cost(params, macs, (batch * in_features + params + batch * out_features) * bytes_per_element)


def batchnorm(channels: int, input_size: Size, *, batch: int = 1, bytes_per_element: int = 4) -> Cost:
    """BatchNorm at inference: y = a * x + b per channel; 2C parameters, one MAC per element."""
    elements = batch * channels * math.prod(spatial_size(input_size))
    return Cost(2 * channels, elements, (2 * elements + 2 * channels) * bytes_per_element)


def pool(channels: int, input_size: Size, kernel_size: IntOrTuple, *, stride: IntOrTuple = 1,
         padding: Padding = 0, batch: int = 1, bytes_per_element: int = 4) -> Cost:
    """Max or average pooling: no parameters, no MACs, but it reads and writes a tensor."""
    size = spatial_size(input_size)
    out = _output_size(size, kernel_size, stride=stride, padding=padding)
    elements = batch * channels * (math.prod(size) + math.prod(out))
    return Cost(0, 0, elements * bytes_per_element)


def squeeze_excite_channels(channels: int, reduction: int) -> int:
    """Width of the SE bottleneck: C / r, at least 1."""
    return max(1, channels // reduction)


def squeeze_excite(
    channels: int,
    reduction: int,
    input_size: Size,
    *,
    bias: bool = True,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A Squeeze-and-Excitation block: global pool, FC C -> C/r, FC C/r -> C, rescale.

        params = 2 * C * (C/r)  (+ C/r + C biases),   MACs = batch * 2 * C * (C/r)
    The pooling and the rescale touch every element but are not MACs (see the
    module docstring); bytes count reading x and writing the rescaled output.
    """
    hidden = squeeze_excite_channels(channels, reduction)
    squeeze = linear(channels, hidden, bias=bias, batch=batch, bytes_per_element=bytes_per_element)
    excite = linear(hidden, channels, bias=bias, batch=batch, bytes_per_element=bytes_per_element)
    elements = batch * channels * math.prod(spatial_size(input_size))
    return Cost(
        squeeze.params + excite.params,
        squeeze.macs + excite.macs,
        (2 * elements + squeeze.params + excite.params) * bytes_per_element,
    )


def inverted_residual(
    c_in: int,
    c_out: int,
    expand_ratio: int,
    input_size: Size,
    *,
    kernel_size: IntOrTuple = 3,
    stride: IntOrTuple = 1,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """MobileNetV2's inverted residual block (Sandler et al., 2018), without BatchNorm and biases.

    A 1x1 expansion C_in -> t C_in (absent when t = 1), a k x k depthwise
    convolution with `stride` and padding k // 2, and a linear 1x1 projection
    t C_in -> C_out. With an (H, W) input and an (H', W') output:
        params = t C_in^2 [t > 1] + t C_in k^2 + t C_in C_out
        MACs   = H W t C_in^2 [t > 1] + H' W' t C_in (k^2 + C_out)
    The residual addition is elementwise work, not a MAC.
    """
    expand_ratio = positive_int(expand_ratio, "expand_ratio")
    size = spatial_size(input_size)
    kernel = to_tuple(kernel_size, len(size), "kernel_size")
    hidden = c_in * expand_ratio
    common = {"batch": batch, "bytes_per_element": bytes_per_element}
    total = Cost(0, 0, 0)
    if expand_ratio > 1:
        total = total + pointwise_conv(c_in, hidden, size, **common)
    return total + separable_conv(
        hidden, c_out, kernel, size, stride=stride, padding=tuple(k // 2 for k in kernel), **common
    )


def inception_block(
    c_in: int,
    ch1x1: int,
    ch3x3_reduce: int,
    ch3x3: int,
    ch5x5_reduce: int,
    ch5x5: int,
    pool_proj: int,
    input_size: Size,
    *,
    separable: bool = False,
    bias: bool = True,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A GoogLeNet Inception block: four branches, concatenated.

    1x1 | 1x1 reduce -> 3x3 | 1x1 reduce -> 5x5 | 3x3 max pool -> 1x1 projection.
    With separable=True the 3x3 and 5x5 convolutions are depthwise separable
    (bias on the pointwise step). Output channels: ch1x1 + ch3x3 + ch5x5 + pool_proj.
    """
    common = {"bias": bias, "batch": batch, "bytes_per_element": bytes_per_element}

    def spatial_conv(c_from: int, c_to: int, k: int) -> Cost:
        if separable:
            return separable_conv(c_from, c_to, k, input_size, padding=k // 2, **common)
        return conv(c_from, c_to, k, input_size, padding=k // 2, **common)

    return (
        pointwise_conv(c_in, ch1x1, input_size, **common)
        + pointwise_conv(c_in, ch3x3_reduce, input_size, **common)
        + spatial_conv(ch3x3_reduce, ch3x3, 3)
        + pointwise_conv(c_in, ch5x5_reduce, input_size, **common)
        + spatial_conv(ch5x5_reduce, ch5x5, 5)
        + pool(c_in, input_size, 3, stride=1, padding=1, batch=batch, bytes_per_element=bytes_per_element)
        + pointwise_conv(c_in, pool_proj, input_size, **common)
    )


def separable_to_standard_ratio(
    c_in: int,
    c_out: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    depth_multiplier: int = 1,
    **conv_arguments: object,
) -> float:
    """MACs of a depthwise separable convolution over those of the standard one it replaces.

    Same c_in, c_out, kernel, stride, padding and dilation (passed on as keywords);
    depth_multiplier belongs to the separable one.
    """
    separable = separable_conv(
        c_in, c_out, kernel_size, input_size, depth_multiplier=depth_multiplier, **conv_arguments  # type: ignore[arg-type]
    )
    standard = conv(c_in, c_out, kernel_size, input_size, **conv_arguments)  # type: ignore[arg-type]
    return separable.macs / standard.macs


def separable_ratio_closed_form(c_out: int, kernel_size: IntOrTuple, depth_multiplier: int = 1) -> float:
    """The DSC/standard cost ratio in closed form: m * (1/C_out + 1/(kH * kW)).

    With P output pixels, the standard convolution costs P * C_in * C_out * kH * kW
    MACs; the separable one P * C_in * m * kH * kW (depthwise) + P * C_in * m * C_out
    (pointwise). Dividing, P and C_in cancel:
        (C_in m kH kW + C_in m C_out) / (C_in C_out kH kW) = m * (1/C_out + 1/(kH kW)),
    which is 1/C_out + 1/k^2 for the usual m = 1 and a k x k kernel. The same ratio
    holds for parameters (without biases). An int kernel_size is square.
    """
    kernel = spatial_size(kernel_size, name="kernel_size")
    return depth_multiplier * (1 / c_out + 1 / math.prod(kernel))
