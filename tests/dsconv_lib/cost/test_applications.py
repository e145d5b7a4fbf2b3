"""Chapter 11's cost models (energy, attention, FFT, (2+1)D) against independent counts.

MACs are checked against torch's own FLOP counter (torch.utils.flop_counter,
which counts the matrix products and convolutions torch actually runs) and
against cost.profile; bytes against the sizes of real tensors; the FFT count
against an FFT written out here that counts its own operations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dsconv_lib import cost, reference
from dsconv_lib.cost import attention, energy, fft, spatiotemporal
from dsconv_lib.nn import DepthwiseSeparableConv1d
from dsconv_lib.reference.fft import fft_depthwise_conv

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def torch_macs(run) -> int:
    """MACs of what `run()` does in torch, from torch's FLOP counter (2 FLOPs per MAC)."""
    with FlopCounterMode(display=False) as counter:
        with torch.no_grad():
            run()
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


# ----------------------------------------------------------------------------- energy


def test_energy_tables_hold_the_published_figures():
    # Horowitz (2014), 45 nm, 0.9 V; 32-bit memory words as Han et al. (2015, Figure 1) list them.
    published = {"float32 multiply": 3.7, "float32 add": 0.9, "int8 multiply": 0.2, "int8 add": 0.03,
                 "32-bit SRAM read (8 KB)": 5.0, "32-bit DRAM read": 640.0}
    for name, pj in published.items():
        assert energy.HOROWITZ_45NM_PJ[name] == pj
    assert energy.FLOAT32_DRAM.mac_pj == pytest.approx(3.7 + 0.9)
    assert energy.INT8_SRAM.mac_pj == pytest.approx(0.2 + 0.03)
    assert energy.FLOAT32_DRAM.memory_pj_per_byte == pytest.approx(640 / 4)
    assert energy.INT8_SRAM.memory_pj_per_byte == pytest.approx(5 / 4)


@pytest.mark.parametrize("dtype_bytes, table", [(4, energy.FLOAT32_DRAM), (4, energy.FLOAT32_SRAM), (1, energy.INT8_SRAM)])
def test_layer_energy_from_torch_counts_and_real_tensor_sizes(dtype_bytes, table):
    layer = nn.Conv1d(12, 24, 5, padding=2, bias=False)
    x = torch.randn(1, 12, 100)
    macs = torch_macs(lambda: layer(x))
    y = layer(x)
    # Every tensor read or written once, at the byte size the table assumes.
    moved = (x.numel() + layer.weight.numel() + y.numel()) * dtype_bytes
    expected_j = (macs * (table.multiply_pj + table.add_pj) + moved * table.memory_pj_per_byte) * 1e-12
    counted = energy.cost_energy(cost.conv(12, 24, 5, (100,), padding=2, bytes_per_element=dtype_bytes), table)
    assert counted.total_j == pytest.approx(expected_j, rel=1e-12)
    assert counted.compute_j == pytest.approx(macs * table.mac_pj * 1e-12)
    assert 0 < counted.memory_share < 1


def test_memory_dominates_with_dram_and_not_with_sram():
    layer = cost.pointwise_conv(64, 64, (128,))  # 64 MACs per output value: typical, not extreme
    assert energy.cost_energy(layer, energy.FLOAT32_DRAM).memory_share > 0.5
    assert energy.cost_energy(layer, energy.FLOAT32_SRAM).memory_share < 0.5


def test_energy_rejects_bad_arguments():
    with pytest.raises(ValueError, match="macs"):
        energy.inference_energy(-1, 10)
    with pytest.raises(ValueError, match="bytes_moved"):
        energy.inference_energy(1, -10)
    with pytest.raises(ValueError, match="add_pj"):
        energy.EnergyTable("bad", 1.0, -0.5, 1.0)
    with pytest.raises(ValueError, match="capacity_mah"):
        energy.battery_joules(0, 3.7)


def test_battery_joules_by_hand():
    # 1000 mAh = 1 A for 3600 s = 3600 C; at 3.7 V that is 13,320 J.
    assert energy.battery_joules(1000, 3.7) == pytest.approx(3600 * 3.7)


def simulate_schedule(big_j: float, small_j: float, period: int, frames: int) -> float:
    """Average energy per frame of frame-by-frame decisions: big model on frames 0, k, 2k, ..."""
    return sum(big_j if frame % period == 0 else small_j for frame in range(frames)) / frames


@pytest.mark.parametrize("period", [1, 2, 3, 7, 30])
def test_mixed_schedule_matches_a_frame_by_frame_simulation(period):
    frames = 210  # a multiple of every period above
    assert energy.mixed_schedule_energy(5.0, 0.4, period) == pytest.approx(simulate_schedule(5.0, 0.4, period, frames))


def test_shortest_period_is_the_brute_force_answer():
    rng = np.random.default_rng(0)
    for _ in range(300):
        small, big = sorted(rng.uniform(0.01, 10, 2))
        budget = rng.uniform(small * 1.001, big * 1.5)
        period = energy.shortest_period_within_budget(big, small, budget)
        fits = [k for k in range(1, 100_000) if energy.mixed_schedule_energy(big, small, k) <= budget]
        assert period == fits[0]
    with pytest.raises(ValueError, match="small model"):
        energy.shortest_period_within_budget(2.0, 1.0, 0.5)


# ----------------------------------------------------------------------------- attention


@pytest.mark.parametrize("n, d, heads, batch", [(10, 16, 1, 1), (100, 64, 4, 1), (37, 48, 3, 2), (256, 32, 8, 1)])
def test_self_attention_macs_match_torch_multihead_attention(n, d, heads, batch):
    layer = nn.MultiheadAttention(d, heads, batch_first=True)
    x = torch.randn(batch, n, d)
    # need_weights=True takes torch's explicit path (matmuls the counter sees).
    counted = torch_macs(lambda: layer(x, x, x, need_weights=True))
    formula = attention.self_attention(n, d, heads=heads, batch=batch)
    assert formula.macs == counted
    assert formula.params == sum(p.numel() for p in layer.parameters())
    assert formula.macs == batch * (4 * n * d * d + 2 * n * n * d)


def test_self_attention_parts_add_up_and_bytes_count_the_score_matrix():
    parts = attention.self_attention_parts(50, 32, heads=4, bias=False)
    total = attention.self_attention(50, 32, heads=4, bias=False)
    assert sum(p.macs for p in parts.values()) == total.macs
    assert parts["scores QK^T"].macs == parts["weighted sum AV"].macs == 50 * 50 * 32
    # Four heads write four 50 x 50 score matrices; one head writes one.
    one_head = attention.self_attention_parts(50, 32, heads=1, bias=False)
    assert parts["scores QK^T"].bytes - one_head["scores QK^T"].bytes == 3 * 50 * 50 * 4
    with pytest.raises(ValueError, match="heads"):
        attention.self_attention(10, 30, heads=4)


@pytest.mark.parametrize("separable", [False, True])
def test_sequence_conv_matches_torch(separable):
    n, d, k = 120, 32, 7
    x = torch.randn(1, d, n)
    if separable:
        layer = DepthwiseSeparableConv1d(d, d, k)
    else:
        layer = nn.Conv1d(d, d, k, padding=k // 2, bias=False)
    formula = attention.sequence_conv(n, d, k, separable=separable)
    assert formula.macs == torch_macs(lambda: layer(x))
    assert formula.params == sum(p.numel() for p in layer.parameters())
    assert layer(x).shape == (1, d, n)


def test_crossover_lengths_separate_cheaper_from_dearer():
    for d in (16, 64, 256):
        for k in (5, 9, 31):
            crossover = attention.attention_conv_crossover(d, k)
            if crossover is None:
                assert k <= 4
                continue
            below, above = max(1, math.floor(crossover) - 1), math.ceil(crossover) + 1
            conv_cost = lambda n: attention.sequence_conv(n, d, k).macs  # noqa: E731
            attention_cost = lambda n: attention.self_attention(n, d, bias=False).macs  # noqa: E731
            assert attention_cost(below) < conv_cost(below)
            assert attention_cost(above) > conv_cost(above)
        # Against a separable convolution with k < 3d attention is dearer at every length.
        assert attention.attention_conv_crossover(d, 9, separable=True) is None
        for n in (1, 2, 10, 1000):
            assert attention.attention_to_conv_ratio(n, d, 9, separable=True) > 1


def test_quadratic_terms_equal_the_projections_at_twice_the_width():
    d = 48
    n = attention.quadratic_share_length(d)
    parts = attention.self_attention_parts(n, d, bias=False)
    quadratic = parts["scores QK^T"].macs + parts["weighted sum AV"].macs
    linear = parts["qkv projections"].macs + parts["output projection"].macs
    assert quadratic == linear


# ----------------------------------------------------------------------------- FFT


class CountingFFT:
    """A recursive radix-2 FFT that counts its real multiplies and adds."""

    def __init__(self) -> None:
        self.flops = 0

    def __call__(self, x: list) -> list:
        n = len(x)
        if n == 1:
            return list(x)
        even, odd = self(x[0::2]), self(x[1::2])
        out = [0j] * n
        for j in range(n // 2):
            twiddled = np.exp(-2j * np.pi * j / n) * odd[j]  # one complex multiply: 4 mul + 2 add
            out[j], out[j + n // 2] = even[j] + twiddled, even[j] - twiddled  # two complex adds: 4 add
            self.flops += 6 + 4
        return out


@pytest.mark.parametrize("points", [2, 8, 64, 512])
def test_fft_flops_count_the_butterflies_of_a_radix2_fft(points):
    signal = np.random.default_rng(points).standard_normal(points)
    counting = CountingFFT()
    spectrum = counting(list(signal.astype(complex)))
    assert np.allclose(spectrum, np.fft.fft(signal))
    assert counting.flops == fft.fft_flops(points, real_input=False)
    # A real FFT of N points costs a complex FFT of N/2 points plus O(N): the model's half
    # lies between that and the complex FFT of N points.
    half = CountingFFT()
    half(list(signal[: points // 2].astype(complex)))
    assert half.flops <= fft.fft_flops(points) <= counting.flops


@pytest.mark.parametrize("shape, kernel, padding", [((1, 3, 50), (3, 1, 7), 3), ((2, 4, 17, 23), (4, 1, 5, 3), (2, 1)),
                                                    ((1, 2, 6, 7, 8), (2, 1, 3, 3, 3), 1), ((1, 1, 40), (1, 1, 40), 0), ((1, 2, 9), (2, 1, 3), 4)])
def test_fft_depthwise_conv_equals_direct_convolution(shape, kernel, padding):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(shape), rng.standard_normal(kernel)
    direct = {3: reference.conv1d, 4: reference.conv2d, 5: reference.conv3d}[len(shape)]
    expected = direct(x, w, padding=padding, groups=shape[1])
    result = fft_depthwise_conv(x, w, padding=padding)
    assert result.shape == expected.shape
    assert np.allclose(result, expected, atol=1e-10)
    if len(shape) == 3:
        torch_result = F.conv1d(torch.from_numpy(x), torch.from_numpy(w), padding=padding, groups=shape[1]).numpy()
        assert np.allclose(result, torch_result, atol=1e-10)
    with pytest.raises(ValueError, match="weight"):
        fft_depthwise_conv(x, np.concatenate([w, w]))  # 2C filters for C channels


def test_direct_conv_flops_match_torch():
    layer = nn.Conv2d(6, 6, 5, padding=2, groups=6, bias=False)
    x = torch.randn(2, 6, 20, 30)
    assert fft.direct_conv_flops((20, 30), 5, channels=6, batch=2) == 2 * torch_macs(lambda: layer(x))
    with pytest.raises(ValueError, match="odd"):
        fft.direct_conv_flops(20, 4)


def test_fft_conv_flops_are_the_sum_of_their_transforms():
    # 1D, n = 100, k = 29: N = 128, 65 stored frequencies.
    n_fft = fft.fft_size(100, 29)
    assert n_fft == (128,)
    per_transform = 2.5 * 128 * 7
    assert fft.fft_conv_flops(100, 29) == pytest.approx(3 * per_transform + 6 * 65)
    assert fft.fft_conv_flops(100, 29, kernel_transformed=True) == pytest.approx(2 * per_transform + 6 * 65)
    # The kernel is transformed once per channel, whatever the batch.
    assert fft.fft_conv_flops(100, 29, channels=3, batch=5) == pytest.approx(3 * (5 * (2 * per_transform + 6 * 65) + per_transform))


def test_a_3x3_kernel_never_gains_from_the_fft():
    for size in (4, 7, 14, 28, 56, 112, 224, 1024):
        assert fft.fft_conv_flops((size, size), 3, kernel_transformed=True) > fft.direct_conv_flops((size, size), 3)
    crossover = fft.fft_crossover_kernel((56, 56))
    assert crossover > 3
    assert fft.fft_conv_flops((56, 56), crossover, kernel_transformed=True) < fft.direct_conv_flops((56, 56), crossover)
    below = crossover - 2
    assert fft.fft_conv_flops((56, 56), below, kernel_transformed=True) >= fft.direct_conv_flops((56, 56), below)


# ----------------------------------------------------------------------------- (2+1)D


@pytest.mark.parametrize("c_in, c_out, kernel, size, stride, padding",
                         [(8, 16, 3, (4, 12, 12), 1, 1), (6, 10, (3, 5, 5), (5, 9, 11), (1, 2, 2), (1, 2, 2)),
                          (3, 64, (3, 7, 7), (8, 16, 16), (1, 2, 2), (1, 3, 3))])
def test_r2plus1d_matches_the_torch_modules(c_in, c_out, kernel, size, stride, padding):
    t, kh, kw = (kernel,) * 3 if isinstance(kernel, int) else kernel
    st, sh, sw = (stride,) * 3 if isinstance(stride, int) else stride
    pt, ph, pw = (padding,) * 3 if isinstance(padding, int) else padding
    mid = spatiotemporal.r2plus1d_mid_channels(c_in, c_out, kernel)
    factorised = nn.Sequential(
        nn.Conv3d(c_in, mid, (1, kh, kw), stride=(1, sh, sw), padding=(0, ph, pw), bias=False),
        nn.Conv3d(mid, c_out, (t, 1, 1), stride=(st, 1, 1), padding=(pt, 0, 0), bias=False),
    )
    full = nn.Conv3d(c_in, c_out, (t, kh, kw), stride=stride, padding=padding, bias=False)
    x = torch.randn(1, c_in, *size)
    formula = spatiotemporal.r2plus1d_conv(c_in, c_out, kernel, size, stride=stride, padding=padding)
    assert formula.macs == torch_macs(lambda: factorised(x))
    assert formula.params == sum(p.numel() for p in factorised.parameters())
    assert factorised(x).shape == full(x).shape
    # Tran et al.'s M: no more parameters than the full kernel, and one more channel would exceed it.
    full_params = sum(p.numel() for p in full.parameters())
    assert formula.params <= full_params < formula.params + (kh * kw * c_in + t * c_out)


def test_r2plus1d_rejects_bad_arguments():
    with pytest.raises(ValueError, match="c_in"):
        spatiotemporal.r2plus1d_mid_channels(0, 4, 3)
    with pytest.raises(ValueError, match="input_size"):
        spatiotemporal.r2plus1d_conv(4, 4, 3, (8, 8))
