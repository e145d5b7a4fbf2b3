"""Tests for dsconv_lib.gpu.results: the one layout of a recorded GPU run, written and read back.

No GPU is needed: every test builds a small synthetic run from `LayerRow`s, the records that
benchmarks/gpu_dsc.py fills and writes with `write_run`, and reads it back with the functions the
book uses. Established here: a run round-trips through JSON unchanged; the comparisons (best
layout of each implementation, the speed-up, GB/s on the minimum bytes, what "auto" runs, the
targets, the dispatch entries) are recomputed from the raw times as the docstrings say; runs are
found only in the folder given; malformed files are refused with a message naming the key; the
table and the figure name the device.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsconv_lib import cost
from dsconv_lib.gpu import dispatch, results
from dsconv_lib.gpu.dispatch import LayerKey, TileConfig
from dsconv_lib.gpu.results import GpuRun, LayerRow

DEVICE = "Synthetic GPU 80GB"
TILES = TileConfig(64, 32, 64)


def fused_bytes(c_in, size, c_out, stride, batch, itemsize):
    """Input + depthwise weights + pointwise weights + output, once each (counted by hand)."""
    out = (size + 2 - 3) // stride + 1
    return itemsize * (batch * c_in * size * size + c_in * 9 + c_in * c_out + batch * c_out * out * out)


def row(name, c_in, size, c_out, stride, batch, dtype, eager, fused, compile_us=None):
    """One layer as the benchmark records it. eager / fused: {layout: microseconds}."""
    return LayerRow(
        layer=name, c_in=c_in, size=size, c_out=c_out, stride=stride, batch=batch, dtype=dtype,
        eager_us=eager, fused_us=fused, fused_tiles={layout: TILES for layout in fused}, compile_us=compile_us,
        errors={f"eager_{layout}": 1e-6 for layout in eager} | {f"fused_{layout}": 2e-6 for layout in fused},
        tolerance=5e-3, kernels_per_call=({"eager_nchw": 2} | {f"fused_{layout}": 1 for layout in fused})
        if batch == 1 else {},
    )


def synthetic_run(**changes) -> GpuRun:
    layers = (
        # eager: best 80 (channels_last); fused: best 40 (channels_last): eager / fused = 2; both layouts win
        row("v1 14x512->512", 512, 14, 512, 1, 1, "float32", {"nchw": 100.0, "channels_last": 80.0},
            {"nchw": 60.0, "channels_last": 40.0}, 90.0),
        # the fused kernel slower in both layouts: 300 / 450; 135 MB in 450 us: 10% of the copy bandwidth
        row("v2 56x144->24", 144, 56, 24, 1, 64, "float32", {"nchw": 300.0, "channels_last": 360.0},
            {"nchw": 450.0, "channels_last": 500.0}),
        # no tile configuration ran: no fused times at all
        row("v1 112x64->128 s2", 64, 112, 128, 2, 1, "bfloat16", {"nchw": 12.0, "channels_last": 10.0}, {}),
    )
    fields = dict(device=DEVICE, layers=layers, copy_bandwidth_gb_s=3000.0, matmul_tflop_s={"float32": 50.0},
                  machine={"torch": "x"}, settings={"repeats": 3, "dispatch_margin": 1.05})
    fields.update(changes)
    return GpuRun(**fields)


def test_a_run_round_trips_through_its_json(tmp_path):
    run = synthetic_run(complete=False, skipped=("v1 7x1024->1024 b64 bfloat16",))
    path = results.write_run(run, tmp_path / "sub" / results.result_file_name(DEVICE))
    assert path.name == "gpu_dsc_Synthetic_GPU_80GB.json"
    loaded = results.load_run(path)
    assert loaded == GpuRun(**{**vars(run), "path": path})
    data = json.loads(path.read_text())
    assert data["format"] == results.FORMAT and data["complete"] is False
    assert data["targets"] == run.targets()  # written for a reader's eyes, recomputed on load
    assert [dispatch.entry_from_json(e, "e") for e in data["dispatch_entries"]] == run.dispatch_entries()


def test_best_layout_of_each_implementation():
    first, slower, unfused = synthetic_run().layers
    assert (first.best_eager_us, first.best_fused_us, first.compile_us) == (80.0, 40.0, 90.0)
    assert first.speedup == pytest.approx(2.0)
    assert slower.speedup == pytest.approx(30.0 / 45.0)
    assert slower.kernels_per_call_fused is None  # only counted at batch 1
    assert first.kernels_per_call_fused == 1
    assert unfused.best_fused_us is None and unfused.speedup is None and unfused.fused_gb_s is None
    assert unfused.best_eager_us == 10.0 and unfused.within_tolerance is None
    assert first.within_tolerance is True


def test_rates_are_counted_from_the_layer_shape():
    run = synthetic_run()
    first, _, strided = run.layers
    assert first.block_cost(fused=False).flops == 2 * 14 * 14 * 512 * (9 + 512)
    assert strided.block_cost(fused=False).flops == 2 * 56 * 56 * 64 * (9 + 128)  # stride 2: 112 -> 56
    assert first.block_cost(fused=True).bytes == fused_bytes(512, 14, 512, 1, 1, 4)
    assert first.block_cost(fused=True) == cost.separable_conv(512, 512, 3, 14, padding=1, fused=True)
    assert strided.block_cost(fused=True).bytes == fused_bytes(64, 112, 128, 2, 1, 2)
    assert first.fused_gb_s == pytest.approx(fused_bytes(512, 14, 512, 1, 1, 4) / 40e-6 / 1e9)
    assert run.percent_of_copy(first) == pytest.approx(100 * first.fused_gb_s / 3000.0)


def test_auto_runs_the_kernel_only_where_it_won_in_that_layout():
    first, slower, unfused = synthetic_run().layers
    assert first.winning_layouts(1.05) == ["nchw", "channels_last"]
    assert first.auto_us(1.05) == 40.0
    assert first.winning_layouts(1.7) == ["channels_last"]  # 100 / 60 < 1.7 <= 80 / 40
    assert slower.winning_layouts(1.05) == [] and slower.auto_us(1.05) == 300.0
    assert unfused.auto_us(1.05) == 10.0


def test_dispatch_entries_are_the_winning_layouts_with_their_tiles():
    entries = synthetic_run().dispatch_entries()
    keys = [LayerKey(DEVICE, "float32", layout, 1, 512, 512, 512, 14, 14, (3, 3), (1, 1))
            for layout in ("nchw", "channels_last")]
    assert entries == [(key, TILES) for key in keys]


def test_targets_are_judged_on_the_rows_they_name():
    targets = synthetic_run().targets()
    assert targets["v2_batch64_speedup_ge_1.3"] is False
    assert targets["v2_batch64_percent_of_copy_ge_75"] is False
    assert synthetic_run().percent_of_copy(synthetic_run().layers[1]) == pytest.approx(
        100 * fused_bytes(144, 56, 24, 1, 64, 4) / 450e-6 / 1e9 / 3000)
    assert targets["auto_ge_0.95_on_every_layer"] is True
    assert targets["batch1_one_kernel_per_fused_call"] is True
    assert targets["fused_within_tolerance"] is True
    assert targets["fused_slower_than_0.95x"] == ["v2 56x144->24 b64 float32"]
    empty = synthetic_run(layers=synthetic_run().layers[:1]).targets()
    assert empty["v2_batch64_speedup_ge_1.3"] is None  # no V2 layer at batch 64 to judge


def test_find_runs_takes_only_gpu_result_files_in_order(tmp_path):
    results.write_run(synthetic_run(), tmp_path / "gpu_dsc_B.json")
    results.write_run(synthetic_run(device="A"), tmp_path / "gpu_dsc_A.json")
    (tmp_path / "numpy_vs_torch_cpu.json").write_text("{}")
    (tmp_path / "gpu_dsc_notes.txt").write_text("")
    assert [p.name for p in results.find_runs(tmp_path)] == ["gpu_dsc_A.json", "gpu_dsc_B.json"]
    assert [r.device for r in results.load_runs(tmp_path)] == ["A", DEVICE]
    assert results.find_runs(tmp_path / "absent") == []
    assert results.load_runs(tmp_path / "absent") == []


def test_find_runs_refuses_a_file_as_folder(tmp_path):
    path = results.write_run(synthetic_run(), tmp_path / "gpu_dsc_x.json")
    with pytest.raises(NotADirectoryError, match="folder"):
        results.find_runs(path)


def test_the_repositorys_recorded_runs_load():
    for run in results.load_runs(Path(__file__).resolve().parents[3] / "benchmarks" / "results"):
        assert run.layers and run.device


def edited(tmp_path, edit) -> Path:
    path = results.write_run(synthetic_run(), tmp_path / "gpu_dsc_bad.json")
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit,message", [
    (lambda d: d.pop("device"), "device"),
    (lambda d: d.pop("layers"), "layers"),
    (lambda d: d.update(format=1), "'format' must be 2"),
    (lambda d: d["layers"][1].pop("eager_us"), r"layers\[1\].*eager_us"),
    (lambda d: d["layers"][0]["eager_us"].pop("nchw"), "both layouts"),
    (lambda d: d["layers"][0]["eager_us"].update(nchw=-1.0), "nchw"),
    (lambda d: d["layers"][0]["fused_us"].update(nchw="fast"), "nchw"),
    (lambda d: d["layers"][0]["fused_us"].update(nhwc=3.0), "fused_us"),
    (lambda d: d["layers"][0].update(batch=0), "batch"),
    (lambda d: d["layers"][0].update(dtype="int8"), "dtype"),
    (lambda d: d["layers"][0]["errors"].update(fused_nchw=float("nan")), "fused_nchw"),
    (lambda d: d["layers"][0]["fused_tiles"]["nchw"].update(block_p=24), "fused_tiles"),
    (lambda d: d.update(copy_bandwidth_gb_s=0), "copy_bandwidth_gb_s"),
])
def test_a_malformed_run_is_refused_naming_the_key(tmp_path, edit, message):
    with pytest.raises(ValueError, match=message):
        results.load_run(edited(tmp_path, edit))


def test_not_json_is_refused(tmp_path):
    path = tmp_path / "gpu_dsc_broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        results.load_run(path)


def test_format_table_names_the_device_and_every_layer(tmp_path):
    run = results.load_run(results.write_run(synthetic_run(complete=False, skipped=("x",)),
                                              tmp_path / "gpu_dsc_s.json"))
    lines = results.format_table(run).splitlines()
    assert DEVICE in lines[0] and "gpu_dsc_s.json" in lines[0] and "1 measurement(s) skipped" in lines[0]
    assert lines[1].split()[:3] == ["layer", "N", "dtype"]
    body = {" ".join(line.split()[:2]): line.split() for line in lines[3:6]}
    gb_s = f"{fused_bytes(512, 14, 512, 1, 1, 4) / 40e3:.0f}"
    assert body["v1 14x512->512"][-8:] == ["80.0", "40.0", "90.0", "2.00", "2.00", gb_s,
                                           f"{100 * float(gb_s) / 3000:.0f}", "1"]
    assert body["v1 112x64->128"][-7:] == ["-", "-", "-", "1.00", "-", "-", "-"]


def test_plot_run_labels_the_device_and_the_ratio():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = results.plot_run(synthetic_run(), dtype="float32")
    try:
        assert DEVICE in fig._suptitle.get_text()
        axes = fig.axes
        assert [ax.get_title() for ax in axes] == ["batch 1, float32", "batch 64, float32"]
        assert all("ratio" in ax.get_xlabel() for ax in axes)
        assert [bar.get_width() for bar in axes[0].patches] == [pytest.approx(2.0)]
        assert [bar.get_width() for bar in axes[1].patches] == [pytest.approx(30.0 / 45.0)]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="dtype"):
        results.plot_run(synthetic_run(), dtype="float16")


@pytest.mark.parametrize("call", ["find_runs", "load_runs"])
def test_no_folder_is_deprecated_and_falls_back_to_the_checkout(call):
    with pytest.warns(DeprecationWarning, match=rf"results.{call}\(\) without a folder is deprecated: pass the folder"):
        found = getattr(results, call)()
    checkout = Path(__file__).resolve().parents[3] / "benchmarks" / "results"
    assert found == getattr(results, call)(checkout)


@pytest.mark.parametrize("old,new", [("LayerResult", LayerRow), ("BENCHMARK_KERNEL", 3)])
def test_renamed_names_work_with_a_warning_naming_the_new_one(old, new):
    with pytest.warns(DeprecationWarning, match=f"results.{old} is deprecated: use results."):
        assert getattr(results, old) == new


def test_default_results_folder_is_deprecated():
    with pytest.warns(DeprecationWarning, match="pass the folder to load_runs"):
        default = results.default_results_folder
    assert default() == Path(__file__).resolve().parents[3] / "benchmarks" / "results"
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        results.nonsense
