"""The GPU machine's one command, benchmarks/gpu_check.sh, rehearsed end to end without a GPU.

`gpu_check.sh --rehearse` hides CUDA, turns Triton's interpreter on and runs every step that a
GPU machine runs: it describes the machine, installs dsconv_lib without dependencies into a
scratch folder, runs (a selection of) the GPU tests with that install, and runs the benchmark on
one tiny layer within a budget. Checked here: the output folder holds the log, the test log, the
benchmark's log and JSON and the dispatch table; the JSON reads back with the reader the book
uses; the table reads back with the reader backend="auto" uses; the tests ran against the
scratch install, not the checkout. With Triton installed (make test's interpreter run) the fused
kernel is timed too and its result is within tolerance; without Triton only cuDNN is timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsconv_lib.gpu import dispatch, results, triton_available

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    output = tmp_path_factory.mktemp("gpu_check")
    environment = {**os.environ, "PYTHON": sys.executable}
    environment.pop("OUT", None)
    completed = subprocess.run(
        ["bash", str(SCRIPT), "--rehearse", "--budget", "400", "--tests", "test_default_padding_is_zero", str(output)],
        capture_output=True, text=True, env=environment, timeout=600,
    )
    return output, completed


def test_the_rehearsal_succeeds_and_fills_the_output_folder(rehearsal):
    output, completed = rehearsal
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    names = {path.name for path in output.iterdir()}
    assert {"gpu_check.log", "test_gpu.log", "benchmark.log", "fused_faster.json",
            "gpu_dsc_CPU_rehearsal_Triton_interpreter.json"} <= names, names


def test_the_log_records_each_step_against_the_budget(rehearsal):
    output, _ = rehearsal
    log = (output / "gpu_check.log").read_text()
    for step in ("rehearsal: CUDA hidden", "== [", "machine", "install dsconv_lib", "test_gpu.py",
                 "benchmarks/gpu_dsc.py with a budget of", "benchmark exit status: 0"):
        assert step in log, f"{step!r} missing from the log:\n{log[-2000:]}"
    assert "CUDA available: False" in log


def test_the_tests_ran_against_the_scratch_install(rehearsal):
    output, _ = rehearsal
    log = (output / "gpu_check.log").read_text()
    origin = next(line for line in log.splitlines() if line.startswith("dsconv_lib from"))
    assert str(ROOT) not in origin and "/site/dsconv_lib/" in origin, origin
    test_log = (output / "test_gpu.log").read_text()
    assert "1 passed" in test_log and "PASSED" in test_log, test_log[-2000:]


def test_the_json_reads_back_with_the_books_reader(rehearsal):
    output, _ = rehearsal
    (run,) = results.load_runs(output)
    assert run.device == "CPU rehearsal (Triton interpreter)" and run.complete and not run.skipped
    assert run.settings["rehearsal"] is True
    assert run.copy_bandwidth_gb_s > 0 and run.matmul_tflop_s["float32"] > 0
    (layer,) = run.layers
    assert layer.batch == 1 and set(layer.eager_us) == {"nchw", "channels_last"}
    assert layer.errors["eager_nchw"] < 1e-5
    if triton_available():
        assert set(layer.fused_us) == {"nchw", "channels_last"}
        assert layer.within_tolerance is True, layer.errors
    else:
        assert layer.fused_us == {}
        assert "the fused kernel cannot run here" in (output / "benchmark.log").read_text()
    assert "targets:" in (output / "benchmark.log").read_text()


def test_the_dispatch_table_reads_back_with_autos_reader(rehearsal):
    output, _ = rehearsal
    table = dispatch.read_table(output / "fused_faster.json")
    repository = dispatch.read_table(dispatch.TABLE_FILE)
    rehearsal_entries = {key for key in table if key.device_name == "CPU rehearsal (Triton interpreter)"}
    assert set(table) - rehearsal_entries == set(repository)  # the repository's entries, merged with this run's
    (run,) = results.load_runs(output)
    assert rehearsal_entries == {key for key, _ in run.dispatch_entries()}


def test_the_script_wants_an_output_folder():
    environment = {key: value for key, value in os.environ.items() if key != "OUT"}
    completed = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=environment, timeout=60)
    assert completed.returncode == 2 and "give the output folder" in completed.stderr
