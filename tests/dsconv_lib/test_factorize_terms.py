"""factorize.low_rank_approximation's separable terms (columns, rows), which chapter 3 filters with.

Established here: there are `rank` terms of the documented shapes; their outer products sum to
the approximation; each term is sqrt(s_j) u_j, sqrt(s_j) v_j, so the first term is the rank-1
factorisation of spatial_factors up to sign; filtering with the terms, one separable pass each,
equals filtering with the approximated kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from dsconv_lib import factorize, reference


@pytest.mark.parametrize("shape, rank", [((3, 3), 1), ((3, 3), 2), ((5, 7), 3), ((7, 7), 7)])
def test_the_terms_sum_to_the_approximation(shape, rank):
    kernel = np.random.default_rng(sum(shape) + rank).standard_normal(shape)
    best = factorize.low_rank_approximation(kernel, rank)
    assert best.columns.shape == (rank, shape[0]) and best.rows.shape == (rank, shape[1])
    summed = sum(np.outer(c, r) for c, r in zip(best.columns, best.rows))
    np.testing.assert_allclose(summed, best.kernel, rtol=1e-12, atol=1e-12)
    s = np.linalg.svd(kernel, compute_uv=False)
    np.testing.assert_allclose(np.linalg.norm(best.columns, axis=1) ** 2, s[:rank], rtol=1e-12)
    one = factorize.spatial_factors(kernel)
    assert np.allclose(np.outer(best.columns[0], best.rows[0]), np.outer(one.column, one.row), atol=1e-12)


def test_filtering_with_the_terms_equals_filtering_with_the_approximation():
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal((1, 1, 10, 10)), rng.standard_normal((5, 5))
    best = factorize.low_rank_approximation(kernel, 2)
    passes = sum(reference.spatially_separable_conv2d(x, c.reshape(1, 1, -1, 1), r.reshape(1, 1, 1, -1), padding=2)
                 for c, r in zip(best.columns, best.rows))
    full = reference.depthwise_conv2d(x, best.kernel.reshape(1, 1, 5, 5), padding=2)
    np.testing.assert_allclose(passes, full, rtol=1e-10, atol=1e-12)
