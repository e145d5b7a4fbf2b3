"""reference.loops.receptive_field: the window of the padded input that one output pixel sees.

Established here: for random geometries (kernel, stride, dilation, padding), the window it
slices, dotted with the kernel, is exactly the output value of torch's conv2d at (i, j); the
last output pixel's window ends inside the padded input; the doctest's example.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dsconv_lib.reference.loops import receptive_field
from dsconv_lib.shapes import conv_geometry


@pytest.mark.parametrize("kernel, stride, dilation, padding", [
    ((3, 3), (1, 1), (1, 1), (0, 0)),
    ((3, 5), (2, 1), (1, 2), (1, 2)),
    ((2, 2), (3, 2), (2, 1), (0, 1)),
    ((1, 4), (1, 3), (1, 1), (0, 2)),
])
def test_the_window_dotted_with_the_kernel_is_the_output_value(kernel, stride, dilation, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((11, 12))
    w = rng.standard_normal(kernel)
    geometry = conv_geometry(x.shape, kernel, stride, padding, dilation)
    x_padded = np.pad(x, [(p, p) for p in padding])
    expected = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None],
                        stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()
    assert expected.shape == geometry.output_size
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            rows, cols = receptive_field(i, j, geometry)
            window = x_padded[rows, cols]
            assert window.shape == kernel
            assert np.isclose(np.sum(window * w), expected[i, j], rtol=1e-12, atol=1e-12)
    last_rows, last_cols = receptive_field(expected.shape[0] - 1, expected.shape[1] - 1, geometry)
    assert last_rows.stop <= x_padded.shape[0] and last_cols.stop <= x_padded.shape[1]


def test_the_documented_example():
    assert receptive_field(1, 2, conv_geometry((9, 9), 3, stride=2, dilation=2)) == (
        slice(2, 7, 2), slice(4, 9, 2))
