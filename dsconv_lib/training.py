"""Train a small classifier and measure its test accuracy: the loop of the book's experiments.

Adam with a one-cycle learning-rate schedule, cross-entropy, mini-batches in an
order drawn from `seed`; then the accuracy on the test set, in one batch. The
model's initial weights are the caller's (seed torch before building it), so a
run is reproducible from two seeds. Meant for the small networks and synthetic
sets of `dsconv_lib.datasets`, on a CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class TrainingResult:
    """What one training run gave.

    test_accuracy: the fraction of test images whose largest logit is the right class, in [0, 1].
    epoch_losses: the mean training cross-entropy of each epoch (over its images), in order.
    """

    test_accuracy: float
    epoch_losses: tuple[float, ...]


def _check_data(name: str, images: np.ndarray, labels: np.ndarray) -> None:
    if np.ndim(images) < 2 or np.ndim(labels) != 1 or len(images) != len(labels) or len(labels) == 0:
        raise ValueError(
            f"x_{name}, y_{name} must be images (n, C, ...) and labels (n,) with the same n >= 1, "
            f"got shapes {np.shape(images)} and {np.shape(labels)}"
        )


def train_and_test(
    model: nn.Module,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int = 8,
    batch_size: int = 64,
    lr: float = 0.01,
    seed: int = 0,
) -> TrainingResult:
    """Train `model` in place on (x_train, y_train), then test it on (x_test, y_test).

    x_train: (n_train, C, H, W) float32; y_train: (n_train,) integer classes; the same for
    the test set. model: (N, C, H, W) -> logits (N, classes). Each of `epochs` epochs visits
    the training images once, in batches of `batch_size`, in an order drawn from `seed`;
    the learning rate rises to `lr` and falls again over the run (OneCycleLR). The model
    is left in eval mode.
    """
    _check_data("train", x_train, y_train)
    _check_data("test", x_test, y_test)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0 (the peak learning rate), got {lr}")
    xs, ys = torch.as_tensor(x_train), torch.as_tensor(y_train)
    n_train = len(ys)
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(n_train / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps)
    epoch_losses = []
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n_train, generator=generator)
        summed_loss = 0.0
        for start in range(0, n_train, batch_size):
            batch = order[start:start + batch_size]
            loss = F.cross_entropy(model(xs[batch]), ys[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            summed_loss += loss.item() * len(batch)
        epoch_losses.append(summed_loss / n_train)
    model.eval()
    with torch.no_grad():
        predicted = model(torch.as_tensor(x_test)).argmax(1).numpy()
    return TrainingResult(float((predicted == np.asarray(y_test)).mean()), tuple(epoch_losses))
