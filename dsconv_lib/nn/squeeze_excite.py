"""Squeeze-and-Excitation (Hu et al., 2018): reweight channels by a gate computed from their averages."""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..cost import squeeze_excite_channels


class SqueezeExcite(nn.Module):
    """x * gate(fc2(act(fc1(mean over space of x)))), for inputs of any spatial rank.

    x: (N, C, *spatial) -> (N, C, *spatial). The bottleneck has C // reduction
    channels (at least 1): 2 * C * (C // reduction) weights, plus C // reduction + C
    biases unless bias=False (SENet's ablations drop them; Hu et al., 2018, Section 6).
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 4,
        activation: Callable[[], nn.Module] = nn.ReLU,
        gate: Callable[[], nn.Module] = nn.Sigmoid,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if reduction < 1:
            raise ValueError(f"reduction must be >= 1, got {reduction}")
        hidden = squeeze_excite_channels(channels, reduction)
        self.fc1 = nn.Linear(channels, hidden, bias=bias)
        self.activation = activation()
        self.fc2 = nn.Linear(hidden, channels, bias=bias)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        squeezed = x.flatten(2).mean(dim=-1)  # (N, C): one number per channel
        weights = self.gate(self.fc2(self.activation(self.fc1(squeezed))))  # (N, C), each in (0, 1)
        return x * weights.reshape(*weights.shape, *(1,) * (x.dim() - 2))
