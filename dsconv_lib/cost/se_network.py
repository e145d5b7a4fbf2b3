"""What Squeeze-and-Excitation blocks add to a whole network (Hu et al., 2018, Eq. 5).

A network is described by its stages: (N_s, C_s) = (number of blocks, channels
the SE block sees) per stage, one SE block per block. Each SE block on C channels
with reduction r holds two FC layers, C -> C/r -> C:
    weights = 2 C (C/r),    biases = C/r + C,    MACs = 2 C (C/r) per image.
Summed over the network, without biases and when r divides every C_s:
    extra params = sum_s N_s * 2 C_s^2 / r = (2 / r) * sum_s N_s C_s^2.
"""

from __future__ import annotations

from typing import Sequence

from ..shapes import positive_int
from .formulas import Cost, squeeze_excite

Stages = Sequence[tuple[int, int]]


def _checked(stages: Stages) -> list[tuple[int, int]]:
    """The stages as (N_s, C_s) pairs of ints, or a ValueError naming the stage that is not one."""
    checked = []
    for i, stage in enumerate(stages):
        if len(stage) != 2:
            raise ValueError(f"stages must be (blocks N_s, channels C_s) pairs, got stages[{i}] = {stage!r}")
        checked.append((positive_int(stage[0], f"stages[{i}] blocks N_s"), positive_int(stage[1], f"stages[{i}] channels C_s")))
    return checked


def squeeze_excite_network(stages: Stages, reduction: int, *, bias: bool = False, batch: int = 1) -> Cost:
    """The parameters and MACs of all the SE blocks of a network: the sum of cost.squeeze_excite.

    stages: (N_s, C_s) per stage. bias: count the FC biases (Hu et al.'s Eq. 5 does not).
    The hidden width is max(1, C_s // r) as in SqueezeExcite. bytes is 0: it depends on
    spatial sizes, which stages do not give.
    """
    reduction = positive_int(reduction, "reduction")
    total = Cost(0, 0, 0)
    for blocks, channels in _checked(stages):
        block = squeeze_excite(channels, reduction, 1, bias=bias, batch=batch)
        total = total + Cost(blocks * block.params, blocks * block.macs, 0)
    return total


def squeeze_excite_network_closed_form(stages: Stages, reduction: int) -> float:
    """Hu et al.'s Eq. 5: (2 / r) * sum_s N_s C_s^2, the SE weights of a network (no biases).

    Equal to squeeze_excite_network(stages, r).params when r divides every C_s (then C_s / r
    is the hidden width exactly); otherwise the count rounds each C_s / r down.
    """
    reduction = positive_int(reduction, "reduction")
    return 2 / reduction * sum(blocks * channels**2 for blocks, channels in _checked(stages))
