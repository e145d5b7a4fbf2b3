"""Tests for dsconv_lib.gpu.results: reading back the JSON that benchmarks/gpu_dsc.py writes.

No GPU is needed: every test writes a small synthetic run in the benchmark's layout to a
temporary folder. The synthetic rows are first handed to the benchmark's own table printer,
target check and dispatch-line writer, so that a change of the benchmark's layout that the
loader does not follow makes these tests fail rather than pass on a made-up format.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from dsconv_lib.gpu import results

ROOT = Path(__file__).resolve().parents[3]
DEVICE = "Synthetic GPU 80GB"


def load_benchmark_module():
    spec = importlib.util.spec_from_file_location("gpu_dsc_benchmark", ROOT / "benchmarks" / "gpu_dsc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fused_bytes(c_in, size, c_out, stride, batch, itemsize):
    """Input + depthwise weights + pointwise weights + output, once each (counted by hand)."""
    out = (size + 2 - 3) // stride + 1
    return itemsize * (batch * c_in * size * size + c_in * 9 + c_in * c_out + batch * c_out * out * out)


def synthetic_row(name, c_in, size, c_out, stride, batch, dtype, eager, fused, compile_us=None):
    """One layer as bench_layer writes it. eager / fused: {layout: microseconds}."""
    itemsize = {"float32": 4, "bfloat16": 2}[dtype]
    row = {"layer": name, "c_in": c_in, "size": size, "c_out": c_out, "stride": stride,
           "batch": batch, "dtype": dtype}
    row.update({f"eager_{layout}_us": t for layout, t in eager.items()})
    row.update({f"fused_{layout}_us": t for layout, t in fused.items()})
    if compile_us is not None:
        row["compile_channels_last_us"] = compile_us
    errors = {f"eager_{layout}": 1e-6 for layout in eager} | {f"fused_{layout}": 2e-6 for layout in fused}
    tiles = {layout: {"block_p": 64, "block_ci": 32, "block_co": 64, "num_warps": 4, "num_stages": 2}
             for layout in fused}
    minimum = fused_bytes(c_in, size, c_out, stride, batch, itemsize)
    best_eager = min(eager.values())
    row.update(errors=errors, fused_tiles=tiles, minimum_bytes=minimum, best_eager_us=best_eager, tolerance=5e-3)
    if batch == 1:
        row["kernels_per_call_eager_nchw"] = 2
        row.update({f"kernels_per_call_fused_{layout}": 1 for layout in fused})
    if fused:
        best_fused = min(fused.values())
        row.update(best_fused_us=best_fused, achieved_gb_s=minimum / best_fused / 1e3,
                   percent_of_copy=100 * minimum / best_fused / 1e3 / 3000.0,
                   speedup_vs_best_eager=best_eager / best_fused, within_tolerance=True,
                   dispatch_entries={layout: tiles[layout] for layout in fused
                                     if eager[layout] / fused[layout] >= 1.05},
                   auto_speedup_vs_best_eager=best_eager / min(
                       fused[l] if eager[l] / fused[l] >= 1.05 else eager[l] for l in eager))
    return row


def synthetic_rows():
    return [
        # eager: best 80 (channels_last); fused: best 40 (channels_last): eager / fused = 2
        synthetic_row("v1 14x512->512", 512, 14, 512, 1, 1, "float32",
                      {"nchw": 100.0, "channels_last": 80.0}, {"nchw": 60.0, "channels_last": 40.0}, 90.0),
        # the fused kernel slower: 30 / 45
        synthetic_row("v2 56x144->24", 144, 56, 24, 1, 64, "float32",
                      {"nchw": 30.0, "channels_last": 36.0}, {"nchw": 45.0, "channels_last": 50.0}),
        # no tile configuration ran: no fused times at all
        synthetic_row("v1 112x64->128 s2", 64, 112, 128, 2, 1, "bfloat16",
                      {"nchw": 12.0, "channels_last": 10.0}, {}),
    ]


def write_run(folder: Path, rows=None, name="gpu_dsc_Synthetic_GPU_80GB.json", **extra) -> Path:
    bench = load_benchmark_module()
    rows = synthetic_rows() if rows is None else rows
    data = {"benchmark": "synthetic", "device": DEVICE, "machine": {"torch": "x"},
            "settings": {"repeats": 3, "statistic": "median"}, "copy_bandwidth_gb_s": 3000.0,
            "layers": rows, "targets": bench.check_targets(rows), "dispatch_entries": bench.dispatch_lines(rows, DEVICE)}
    data.update(extra)
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def test_synthetic_rows_have_the_benchmarks_layout(capsys):
    # The benchmark's own consumers of its rows accept the synthetic ones without a KeyError.
    bench = load_benchmark_module()
    rows = synthetic_rows()
    bench.print_table(rows)
    printed = capsys.readouterr().out
    assert "v1 14x512->512" in printed and "v2 56x144->24" in printed
    targets = bench.check_targets(rows)
    assert targets["fused_layers_below_0.95"] == ["v2 56x144->24 b64 float32", "v1 112x64->128 s2 b1 bfloat16"]
    lines = bench.dispatch_lines(rows, DEVICE)
    assert len(lines) == 2 and all("TileConfig(64, 32, 64, 4, 2)" in line for line in lines)
    # minimum_bytes by hand agrees with the formula the benchmark uses
    from dsconv_lib import cost
    assert rows[0]["minimum_bytes"] == cost.separable_conv(512, 512, 3, 14, padding=1, fused=True).bytes
    assert rows[2]["minimum_bytes"] == cost.separable_conv(64, 128, 3, 112, stride=2, padding=1,
                                                            bytes_per_element=2, fused=True).bytes


def test_load_run_takes_the_best_layout_of_each_implementation(tmp_path):
    run = results.load_run(write_run(tmp_path))
    assert run.device == DEVICE
    assert run.copy_bandwidth_gb_s == 3000.0
    assert len(run.layers) == 3 and len(run.dispatch_entries) == 2
    first, slower, unfused = run.layers
    assert (first.eager_us, first.fused_us, first.compile_us) == (80.0, 40.0, 90.0)
    assert first.speedup == pytest.approx(2.0)
    assert slower.speedup == pytest.approx(30.0 / 45.0)
    assert slower.kernels_per_call_fused is None  # only counted at batch 1
    assert first.kernels_per_call_fused == 1 and first.kernels_per_call_eager == 2
    assert unfused.fused_us is None and unfused.speedup is None and unfused.fused_gb_s is None
    assert unfused.eager_us == 10.0 and unfused.dtype == "bfloat16"


def test_rates_are_counted_from_the_layer_shape(tmp_path):
    first = results.load_run(write_run(tmp_path)).layers[0]
    # 2 FLOPs per MAC, 14 * 14 pixels, 512 channels, 9 depthwise + 512 pointwise MACs each
    assert first.flops == 2 * 14 * 14 * 512 * (9 + 512)
    assert first.eager_tflop_s == pytest.approx(first.flops / 80e-6 / 1e12)
    assert first.fused_gb_s == pytest.approx(fused_bytes(512, 14, 512, 1, 1, 4) / 40e-6 / 1e9)
    strided = results.load_run(write_run(tmp_path)).layers[2]
    assert strided.flops == 2 * 56 * 56 * 64 * (9 + 128)  # stride 2: 112 -> 56


def test_find_runs_takes_only_gpu_result_files_in_order(tmp_path):
    write_run(tmp_path, name="gpu_dsc_B.json")
    write_run(tmp_path, name="gpu_dsc_A.json")
    (tmp_path / "numpy_vs_torch_cpu.json").write_text("{}")
    (tmp_path / "gpu_dsc_notes.txt").write_text("")
    assert [p.name for p in results.find_runs(tmp_path)] == ["gpu_dsc_A.json", "gpu_dsc_B.json"]
    assert [r.path.name for r in results.load_runs(tmp_path)] == ["gpu_dsc_A.json", "gpu_dsc_B.json"]
    assert results.find_runs(tmp_path / "absent") == []
    assert results.load_runs(tmp_path / "absent") == []


def test_find_runs_refuses_a_file_as_folder(tmp_path):
    path = write_run(tmp_path)
    with pytest.raises(NotADirectoryError, match="folder"):
        results.find_runs(path)


def test_default_folder_is_the_repositorys_results_folder():
    assert results.default_results_folder() == ROOT / "benchmarks" / "results"
    # whatever GPU runs the repository holds load without error
    for run in results.load_runs():
        assert run.layers


@pytest.mark.parametrize("drop", ["device", "layers"])
def test_a_run_without_a_required_key_is_refused(tmp_path, drop):
    path = write_run(tmp_path)
    data = json.loads(path.read_text())
    del data[drop]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=drop):
        results.load_run(path)


def test_a_layer_without_a_required_key_is_refused(tmp_path):
    rows = synthetic_rows()
    del rows[1]["eager_channels_last_us"]
    with pytest.raises(ValueError, match=r"layers\[1\].*eager_channels_last_us"):
        results.load_run(write_run(tmp_path, rows=rows))


@pytest.mark.parametrize("key, value", [("eager_nchw_us", -1.0), ("eager_nchw_us", "fast"), ("batch", 0),
                                        ("dtype", "int8"), ("fused_nchw_us", float("nan"))])
def test_bad_values_are_refused_with_their_name(tmp_path, key, value):
    rows = synthetic_rows()
    rows[0][key] = value
    path = tmp_path / "gpu_dsc_bad.json"
    path.write_text(json.dumps({"device": DEVICE, "layers": rows}))
    with pytest.raises(ValueError, match=key):
        results.load_run(path)


def test_not_json_and_empty_layers_are_refused(tmp_path):
    path = tmp_path / "gpu_dsc_broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        results.load_run(path)
    path.write_text(json.dumps({"device": DEVICE, "layers": []}))
    with pytest.raises(ValueError, match="non-empty"):
        results.load_run(path)


def test_format_table_names_the_device_and_every_layer(tmp_path):
    text = results.format_table(results.load_run(write_run(tmp_path)))
    assert DEVICE in text.splitlines()[0]
    lines = {line.split()[0] + " " + line.split()[1]: line for line in text.splitlines()[3:-1]}
    assert len(lines) == 3
    first = lines["v1 14x512->512"].split()
    assert first[-4:] == ["90.0", "2.00", f"{fused_bytes(512, 14, 512, 1, 1, 4) / 40e3:.0f}", "1"]
    assert lines["v1 112x64->128"].split()[-5:] == ["-", "-", "-", "-", "-"]


def test_plot_run_labels_the_device_and_the_ratio(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = results.plot_run(results.load_run(write_run(tmp_path)), dtype="float32")
    try:
        assert DEVICE in fig._suptitle.get_text()
        axes = fig.axes
        assert [ax.get_title() for ax in axes] == ["batch 1, float32", "batch 64, float32"]
        assert all("ratio" in ax.get_xlabel() for ax in axes)
        widths = [bar.get_width() for bar in axes[0].patches]
        assert widths == [pytest.approx(2.0)]
        assert [bar.get_width() for bar in axes[1].patches] == [pytest.approx(30.0 / 45.0)]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="dtype"):
        results.plot_run(results.load_run(write_run(tmp_path)), dtype="float16")
