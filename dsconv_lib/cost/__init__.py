"""The cost model: the one home of every cost formula in the course.

One MAC is one multiply-accumulate; FLOPs = 2 x MACs. See `formulas` for the
counting conventions, `roofline_model` for the memory/compute model and
`profiling` for counting a whole torch model layer by layer (`profile`), in the
papers' convention with `profile(model, input_size, **PAPER_CONVENTION)`. Sizes
follow `dsconv_lib.shapes.Size`: an int is that size in every spatial dimension.
"""

from .formulas import (
    Cost,
    batchnorm,
    conv,
    depthwise_conv,
    inception_block,
    inverted_residual,
    linear,
    pointwise_conv,
    pool,
    separable_conv,
    separable_ratio_closed_form,
    separable_to_standard_ratio,
    spatially_separable_conv,
    squeeze_excite,
    squeeze_excite_channels,
)
from . import profiling, roofline_model
from . import _renamed
from .profiling import PAPER_CONVENTION, KindTotal, LayerCost, Profile, profile
from .roofline_model import RooflinePoint, attainable_flops_per_s, draw_roofline, ridge_point, roofline
from . import attention, energy, fft, spatiotemporal  # applications (chapter 11): cost.energy.inference_energy, ...
from .se_network import squeeze_excite_network, squeeze_excite_network_closed_form

_renamed.keep_old_path(f"{__name__}.profile", profiling)  # deprecated module paths, for one release
_renamed.keep_old_path(f"{__name__}.roofline", roofline_model)

__all__ = [
    "Cost",
    "KindTotal",
    "PAPER_CONVENTION",
    "LayerCost",
    "Profile",
    "RooflinePoint",
    "attainable_flops_per_s",
    "draw_roofline",
    "batchnorm",
    "conv",
    "depthwise_conv",
    "inception_block",
    "inverted_residual",
    "linear",
    "pointwise_conv",
    "pool",
    "profile",
    "ridge_point",
    "roofline",
    "separable_conv",
    "separable_ratio_closed_form",
    "separable_to_standard_ratio",
    "spatially_separable_conv",
    "squeeze_excite",
    "squeeze_excite_channels",
    "squeeze_excite_network",
    "squeeze_excite_network_closed_form",
]
