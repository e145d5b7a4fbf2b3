"""dsconv_lib.training.train_and_test: the training loop of the book's experiments.

What is established here, on a tiny set and network: the result is a TrainingResult with one
mean loss per epoch; the loss falls and the test accuracy is well above chance; two runs from
the same seeds give identical results, another batch-order seed a different one; the model is
left in eval mode; bad arguments raise errors that name them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dsconv_lib.datasets import GRATING_ANGLES, make_gratings
from dsconv_lib.training import TrainingResult, train_and_test

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (*make_gratings(400, rng, noise=0.3, channels=2, image_size=12),
            *make_gratings(200, rng, noise=0.3, channels=2, image_size=12))


def _network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, len(GRATING_ANGLES)))


def test_training_lowers_the_loss_and_beats_chance(data):
    model = _network()
    result = train_and_test(model, *data, epochs=6, batch_size=32, lr=0.02)
    assert isinstance(result, TrainingResult)
    assert len(result.epoch_losses) == 6
    assert result.epoch_losses[-1] < 0.8 * result.epoch_losses[0]
    assert result.test_accuracy > 2 / len(GRATING_ANGLES)      # chance is 1 / 4
    assert not model.training


def test_the_same_seeds_give_the_same_result_and_another_order_a_different_one(data):
    first = train_and_test(_network(), *data, epochs=2, seed=5)
    again = train_and_test(_network(), *data, epochs=2, seed=5)
    other = train_and_test(_network(), *data, epochs=2, seed=6)
    assert first == again
    assert other.epoch_losses != first.epoch_losses


@pytest.mark.parametrize(
    "change, fragment",
    [
        (dict(epochs=0), "epochs must be"),
        (dict(batch_size=0), "batch_size must be"),
        (dict(lr=0.0), "lr must be > 0"),
    ],
)
def test_bad_settings_are_named(data, change, fragment):
    with pytest.raises(ValueError, match=fragment):
        train_and_test(_network(), *data, **change)


def test_images_and_labels_of_different_lengths_are_named(data):
    x_train, y_train, x_test, y_test = data
    with pytest.raises(ValueError, match=r"x_train, y_train .*\(400, 2, 12, 12\) and \(399,\)"):
        train_and_test(_network(), x_train, y_train[:-1], x_test, y_test)
    with pytest.raises(ValueError, match="x_test, y_test"):
        train_and_test(_network(), x_train, y_train, x_test, y_test[:, None])
