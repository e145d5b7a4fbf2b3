"""Input checks shared by the loop and the vectorised reference ops.

Every check raises an error that names the argument, the shape or value it
got, and what it needs, so that a wrong call explains itself.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..shapes import ConvGeometry, IntOrTuple, Padding, conv_geometry

_LAYOUTS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_WEIGHT_LAYOUTS = {1: "(C_out, C_in/groups, kL)", 2: "(C_out, C_in/groups, kH, kW)", 3: "(C_out, C_in/groups, kD, kH, kW)"}


def as_real_array(value: object, name: str) -> np.ndarray:
    """`value` as a numpy array of a real numeric dtype (integers become float64)."""
    if value is None:
        raise TypeError(f"{name} is None; it needs an array")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":  # signed or unsigned integers, floating point
        raise TypeError(
            f"{name} needs a real numeric dtype (integer or floating point), got dtype {array.dtype}; "
            f"convert it with np.asarray({name}, dtype=np.float64)"
        )
    if array.dtype.kind in "iu":
        array = array.astype(np.float64)
    return array


def check_ndim(array: np.ndarray, name: str, ndim: int, layout: str) -> None:
    """Raise ValueError unless `array` has `ndim` dimensions laid out as `layout`."""
    if array.ndim != ndim:
        hint = " (a single example needs a batch dimension: pass x[None])" if name == "x" and array.ndim == ndim - 1 else ""
        raise ValueError(f"{name} must be a {ndim}-D array {layout}, got shape {array.shape}{hint}")


def check_bias(bias: Optional[object], channels: int, name: str = "bias") -> Optional[np.ndarray]:
    """`bias` as a real array of shape (channels,), or None."""
    if bias is None:
        return None
    array = as_real_array(bias, name)
    if array.shape != (channels,):
        raise ValueError(f"{name} must have shape ({channels},), one value per output channel, got shape {array.shape}")
    return array


def prepare_conv(
    x: object,
    weight: object,
    bias: Optional[object],
    stride: IntOrTuple,
    padding: Padding,
    dilation: IntOrTuple,
    groups: int,
    spatial_dims: int,
) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], ConvGeometry]:
    """Validate a grouped convolution's arguments (torch's conv semantics).

    x: (N, C_in, *spatial), weight: (C_out, C_in / groups, *kernel), bias: (C_out,).
    Returns the arrays in one common floating dtype and the resolved geometry.
    """
    x = as_real_array(x, "x")
    weight = as_real_array(weight, "weight")
    check_ndim(x, "x", spatial_dims + 2, _LAYOUTS[spatial_dims])
    check_ndim(weight, "weight", spatial_dims + 2, _WEIGHT_LAYOUTS[spatial_dims])
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels, but x has C_in={c_in} (x shape {x.shape})")
    if c_out % groups:
        raise ValueError(
            f"groups={groups} must divide the output channels, but weight has C_out={c_out} (weight shape {weight.shape})"
        )
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"channel mismatch: x has C_in={c_in} channels, so with groups={groups} weight needs shape "
            f"({c_out}, {c_in // groups}, ...), got weight shape {weight.shape}"
        )
    bias = check_bias(bias, c_out)
    geometry = conv_geometry(x.shape[2:], weight.shape[2:], stride, padding, dilation, ndim=spatial_dims)
    dtype = np.result_type(x, weight, *(() if bias is None else (bias,)))
    return (
        x.astype(dtype, copy=False),
        weight.astype(dtype, copy=False),
        None if bias is None else bias.astype(dtype, copy=False),
        geometry,
    )


def check_depthwise_weight(
    x: object, weight: object, spatial_dims: int, name: str = "weight"
) -> tuple[np.ndarray, np.ndarray, int]:
    """Check a depthwise weight (C * multiplier, 1, *kernel) against x (N, C, *spatial).

    Returns x, weight as real arrays and the depth multiplier.
    """
    x = as_real_array(x, "x")
    weight = as_real_array(weight, name)
    check_ndim(x, "x", spatial_dims + 2, _LAYOUTS[spatial_dims])
    kernel = ", ".join("k" + d for d in "DHW"[3 - spatial_dims :]) if spatial_dims > 1 else "kL"
    check_ndim(weight, name, spatial_dims + 2, f"(C * depth_multiplier, 1, {kernel})")
    channels = x.shape[1]
    if weight.shape[1] != 1 or weight.shape[0] % channels:
        raise ValueError(
            f"a depthwise weight for x with C={channels} channels must have shape "
            f"(C * depth_multiplier, 1, {kernel}) = ({channels}*m, 1, ...), got {name} shape {weight.shape}"
        )
    return x, weight, weight.shape[0] // channels


def check_pointwise_weight(
    x: object, weight: object, spatial_dims: int, name: str = "weight", input_name: str = "x"
) -> tuple[np.ndarray, np.ndarray]:
    """Check a pointwise weight (C_out, C_in, 1, ...) against its input x (N, C_in, *spatial)."""
    x = as_real_array(x, "x")
    weight = as_real_array(weight, name)
    check_ndim(x, "x", spatial_dims + 2, _LAYOUTS[spatial_dims])
    ones = ", ".join(["1"] * spatial_dims)
    if weight.ndim != spatial_dims + 2 or weight.shape[2:] != (1,) * spatial_dims or weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"a pointwise weight for {input_name} with C_in={x.shape[1]} channels must have shape "
            f"(C_out, {x.shape[1]}, {ones}), got {name} shape {weight.shape}"
        )
    return x, weight


def check_separable_arguments(
    x: object,
    depthwise_weight: object,
    pointwise_weight: object,
    depthwise_bias: Optional[object],
    pointwise_bias: Optional[object],
    spatial_dims: int,
) -> None:
    """Check a depthwise separable call up front, so that errors name the argument at fault.

    x: (N, C_in, *spatial); depthwise_weight: (C_in * m, 1, *kernel), depthwise_bias: (C_in * m,);
    pointwise_weight: (C_out, C_in * m, 1, ...), pointwise_bias: (C_out,).
    """
    x, depthwise, _ = check_depthwise_weight(x, depthwise_weight, spatial_dims, "depthwise_weight")
    check_bias(depthwise_bias, depthwise.shape[0], "depthwise_bias")
    intermediate = np.empty((0, depthwise.shape[0]) + (1,) * spatial_dims)  # only its channel count matters
    _, pointwise = check_pointwise_weight(
        intermediate, pointwise_weight, spatial_dims, "pointwise_weight", "the depthwise output"
    )
    check_bias(pointwise_bias, pointwise.shape[0], "pointwise_bias")


def pad(x: np.ndarray, geometry: ConvGeometry, channels_last: bool = False) -> np.ndarray:
    """Zero-pad the spatial dimensions of x: (N, C, *spatial) as the geometry says.

    Returns (N, C, *padded) (x itself when there is nothing to pad), or with channels_last
    a new array (N, *padded, C) with the channels last in memory.
    """
    if not channels_last and not any(geometry.pad_before) and not any(geometry.pad_after):
        return x
    batch, channels, *spatial = x.shape
    padded = [n + before + after for n, before, after in zip(spatial, geometry.pad_before, geometry.pad_after)]
    interior = tuple(slice(before, before + n) for before, n in zip(geometry.pad_before, spatial))
    # Zeros, then the interior: faster than np.pad.
    if channels_last:
        x_padded = np.zeros((batch, *padded, channels), x.dtype)
        x_padded[(slice(None), *interior)] = np.moveaxis(x, 1, -1)
    else:
        x_padded = np.zeros((batch, channels, *padded), x.dtype)
        x_padded[(slice(None), slice(None), *interior)] = x
    return x_padded


def check_spatially_separable_weights(
    x: object, column_weight: object, row_weight: object, stride: IntOrTuple, padding: Padding, dilation: IntOrTuple
) -> None:
    """Check column (C, 1, kH, 1) and row (C, 1, 1, kW) weights against x (N, C, H, W).

    The stride, padding and dilation are checked as the user gave them, for the
    whole (kH, kW) kernel, before they are split into the two passes.
    """
    x = as_real_array(x, "x")
    check_ndim(x, "x", 4, _LAYOUTS[2])
    channels = x.shape[1]
    shapes = {}
    for name, array, layout in (("column_weight", column_weight, "(C, 1, kH, 1)"), ("row_weight", row_weight, "(C, 1, 1, kW)")):
        shape = as_real_array(array, name).shape
        expected_ones = (1, 3) if name == "column_weight" else (1, 2)
        if len(shape) != 4 or shape[0] != channels or any(shape[d] != 1 for d in expected_ones):
            raise ValueError(f"{name} for x with C={channels} channels must have shape {layout}, got shape {shape}")
        shapes[name] = shape
    kernel = (shapes["column_weight"][2], shapes["row_weight"][3])
    conv_geometry(x.shape[2:], kernel, stride, padding, dilation, ndim=2)
