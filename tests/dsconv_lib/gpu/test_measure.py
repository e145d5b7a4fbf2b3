"""Tests for dsconv_lib.gpu.measure, on the CPU: the layer shapes' costs, and the timers' arithmetic.

The CUDA-event path needs a GPU (benchmarks/gpu_check.sh runs it); here the perf_counter path
is checked with calls of known duration, and the rates with the FLOPs and bytes they count.
"""

from __future__ import annotations

import time

import pytest
import torch

from dsconv_lib import cost
from dsconv_lib.gpu import measure
from dsconv_lib.gpu.measure import MOBILENET_LAYERS, BenchLayer

CPU = torch.device("cpu")


def test_layer_costs_count_each_step_by_hand():
    layer = BenchLayer("v1 112x64->128 s2", 64, 112, 128, 2)
    assert layer.output_size == 56
    costs = layer.costs(batch=2, bytes_per_element=2)
    assert costs["depthwise"].macs == 2 * 64 * 56 * 56 * 9
    assert costs["pointwise"].macs == 2 * 56 * 56 * 64 * 128
    assert costs["DSC unfused"].macs == costs["depthwise"].macs + costs["pointwise"].macs
    intermediate = 2 * 64 * 56 * 56
    assert costs["DSC unfused"].bytes - costs["DSC fused"].bytes == 2 * 2 * intermediate
    assert costs["DSC fused"] == cost.separable_conv(64, 128, 3, 112, stride=2, padding=1, batch=2,
                                                     bytes_per_element=2, fused=True)


def test_the_mobilenet_layers_put_the_targets_first():
    names = [layer.name for layer in MOBILENET_LAYERS]
    assert names[:3] == ["v2 56x144->24", "v2 14x576->96", "v2 7x960->160"] and len(set(names)) == len(names) == 9


def test_median_time_on_the_cpu_takes_the_median_call():
    sleeps = iter([0.0, 0.02, 0.001, 0.002, 0.003])  # one warm-up call, then 0.02, 0.001, 0.002, 0.003
    seconds = measure.median_time(lambda: time.sleep(next(sleeps)), CPU, repeats=4, warmup=1)
    assert 0.002 <= seconds < 0.015


def test_rates_are_positive_and_count_what_they_say(monkeypatch):
    monkeypatch.setattr(measure, "median_time", lambda run, device, repeats=20, warmup=3, flush=None: (run(), 0.5)[1])
    assert measure.copy_bandwidth(CPU, nbytes=1000, repeats=1) == pytest.approx(2 * 1000 / 0.5)
    assert measure.matmul_rate(CPU, torch.float32, n=64, repeats=1) == pytest.approx(2 * 64**3 / 0.5)
