"""Small synthetic image sets for the book's training experiments: made with numpy from a seed, never downloaded.

Both sets are about orientation, which is what a convolution's spatial filters
(in a depthwise separable layer: the depthwise step's) have to detect.

- make_strokes: thin bars at 0, 45, 90 or 135 degrees, a plus or a cross; one channel (chapter 6).
- make_gratings: a patch of stripes at one of four orientations (GRATING_ANGLES), hidden in one of
  several noisy channels (chapter 8: can a network learn which channel to look at?).

Each returns float32 images (n, C, image_size, image_size) and integer labels (n,), and draws
its random numbers from the generator it is given, in a fixed order: the same
generator state gives the same images.
"""

from __future__ import annotations

import numpy as np

# Class name -> the angles (degrees, anticlockwise on screen) of the bars drawn on top of each other.
STROKE_CLASSES: dict[str, tuple[int, ...]] = {
    "bar 0°": (0,), "bar 45°": (45,), "bar 90°": (90,), "bar 135°": (135,),
    "plus": (0, 90), "cross": (45, 135),
}
# Label k of make_gratings -> the orientation of its stripes, in degrees.
GRATING_ANGLES: tuple[int, ...] = (0, 45, 90, 135)


def _check_arguments(n: int, rng: np.random.Generator, noise: float, image_size: int, min_size: int) -> None:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int (the number of images), got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (the standard deviation of the added noise), got {noise}")
    if image_size < min_size:
        raise ValueError(f"image_size must be >= {min_size} pixels (the side of a square image), got {image_size}")


def make_strokes(
    n: int, rng: np.random.Generator, noise: float = 0.4, image_size: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """n grey images of the six classes of STROKE_CLASSES (labels in its order).

    Returns images (n, 1, image_size, image_size) float32 and labels (n,).

    Every stroke has a random centre, half-length (3 to 6 pixels), contrast (0.6 to
    1.2) and angle jitter (up to 12 degrees); Gaussian noise of standard deviation
    `noise` is added to every pixel.
    """
    _check_arguments(n, rng, noise, image_size, min_size=12)
    rows, cols = np.mgrid[0:image_size, 0:image_size].astype(float)
    labels = rng.integers(0, len(STROKE_CLASSES), n)
    centre = rng.uniform(5, image_size - 6, (n, 2))  # (column, row) of the stroke's centre
    half_length = rng.uniform(3, 6, n)
    jitter = rng.uniform(-12, 12, n)  # degrees
    images = np.zeros((n, image_size, image_size))
    for label, angles in enumerate(STROKE_CLASSES.values()):
        chosen = labels == label
        dx = cols[None] - centre[chosen, 0, None, None]
        dy = rows[None] - centre[chosen, 1, None, None]
        for angle in angles:
            theta = np.deg2rad(angle + jitter[chosen])[:, None, None]
            along = dx * np.cos(theta) - dy * np.sin(theta)  # angles counted anticlockwise on screen
            across = dx * np.sin(theta) + dy * np.cos(theta)
            stroke = np.exp(-0.5 * (across / 0.7) ** 2) * (np.abs(along) <= half_length[chosen, None, None])
            images[chosen] = np.maximum(images[chosen], stroke)
    images = images * rng.uniform(0.6, 1.2, (n, 1, 1)) + noise * rng.standard_normal(images.shape)
    return images[:, None].astype(np.float32), labels


def make_gratings(
    n: int, rng: np.random.Generator, noise: float = 0.6, image_size: int = 16, channels: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """n images of stripes: class k is stripes at GRATING_ANGLES[k] degrees.

    Returns images (n, channels, image_size, image_size) float32 and labels (n,).

    Each image is Gaussian noise of standard deviation `noise` in every channel, plus,
    in one random channel, a Gaussian-windowed patch (width 3 pixels) of stripes with
    a period of 4 pixels, a random phase, centre and angle jitter (up to 10 degrees).
    """
    _check_arguments(n, rng, noise, image_size, min_size=9)
    if channels < 1:
        raise ValueError(f"channels must be >= 1, got {channels}")
    rows, cols = np.mgrid[0:image_size, 0:image_size].astype(float)
    labels = rng.integers(0, len(GRATING_ANGLES), n)
    carrier = rng.integers(0, channels, n)  # the channel that holds the patch
    theta = np.deg2rad(np.asarray(GRATING_ANGLES)[labels] + rng.uniform(-10, 10, n))[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    centre_x, centre_y = (rng.uniform(4, image_size - 4, n)[:, None, None] for _ in range(2))
    stripes = np.cos(2 * np.pi / 4 * (cols * np.cos(theta) + rows * np.sin(theta)) + phase)  # period 4 pixels
    window = np.exp(-((cols - centre_x) ** 2 + (rows - centre_y) ** 2) / (2 * 3.0**2))
    images = noise * rng.standard_normal((n, channels, image_size, image_size))
    images[np.arange(n), carrier] += 1.5 * stripes * window
    return images.astype(np.float32), labels
