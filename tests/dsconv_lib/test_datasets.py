"""dsconv_lib.datasets: the synthetic image sets of the book's experiments.

What is established here: shapes, dtypes and label ranges; the same generator state gives
the same images (and a different seed different ones); the classes are what the docstrings
say (a bar's pixels lie along its angle; a grating sits in one channel, whose energy stands
out); bad arguments raise errors that name them; importing the module does not import torch.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dsconv_lib.datasets import GRATING_ANGLES, STROKE_CLASSES, make_gratings, make_strokes


@pytest.mark.parametrize("make, channels, classes", [(make_strokes, 1, len(STROKE_CLASSES)),
                                                     (make_gratings, 4, len(GRATING_ANGLES))])
def test_shapes_dtypes_and_labels(make, channels, classes):
    images, labels = make(300, np.random.default_rng(0))
    assert images.shape == (300, channels, 16, 16) and images.dtype == np.float32
    assert labels.shape == (300,) and set(np.unique(labels)) == set(range(classes))


@pytest.mark.parametrize("make", [make_strokes, make_gratings])
def test_the_same_seed_gives_the_same_images_and_another_seed_other_ones(make):
    first, second, other = (make(50, np.random.default_rng(seed)) for seed in (3, 3, 4))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not np.array_equal(first[0], other[0])


def test_a_noiseless_horizontal_bar_lies_along_a_row_and_a_vertical_one_along_a_column():
    images, labels = make_strokes(400, np.random.default_rng(1), noise=0.0, image_size=20)
    for label, wide_axis in ((0, 1), (2, 0)):   # bar 0 degrees: spread along x; bar 90: along y
        image = images[np.flatnonzero(labels == label)[0], 0]
        rows, cols = np.nonzero(image > 0.5 * image.max())
        spread = (np.ptp(rows), np.ptp(cols))
        assert spread[wide_axis] > spread[1 - wide_axis], (label, spread)


def test_a_grating_sits_in_one_channel_which_has_the_most_energy():
    images, _ = make_gratings(200, np.random.default_rng(2), noise=0.0, channels=3, image_size=12)
    energy = (images ** 2).sum(axis=(2, 3))          # (n, channels)
    assert np.all(np.count_nonzero(energy, axis=1) == 1)


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: make_strokes(0, np.random.default_rng(0)), "n must be"),
        (lambda: make_strokes(10, 0), "rng must be a numpy Generator"),
        (lambda: make_strokes(10, np.random.default_rng(0), noise=-1), "noise must be"),
        (lambda: make_strokes(10, np.random.default_rng(0), image_size=8), "image_size must be >= 12"),
        (lambda: make_gratings(10, np.random.default_rng(0), channels=0), "channels must be"),
    ],
)
def test_bad_arguments_are_named(call, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment):
        call()


def test_importing_the_datasets_does_not_import_torch():
    code = "import sys, dsconv_lib.datasets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
