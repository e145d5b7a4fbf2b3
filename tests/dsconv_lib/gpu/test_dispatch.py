"""Tests for dsconv_lib.gpu.dispatch: when backend="auto" may run the fused kernel, and the table it reads.

No GPU is needed. A GPU is faked by replacing torch.cuda's device queries (name, compute
capability) and Triton's version with monkeypatch, and a CUDA tensor by a stand-in that has
what the rule reads (device, dtype, shape, layout). Established here: the capability rule
(Triton >= 3.3 compiles for 8.0 and newer, older Triton for 7.0 and newer; bfloat16 needs 8.0),
the reasons given for Triton missing or too old, that "auto" falls back to torch on a T4 even
for a layer in the table and picks the kernel on an A100 only for a layer in it, that
backend="triton" on a T4 raises an error that says why; and that the table of measured layers
is data: JSON entries that round-trip, a merge that replaces one GPU's entries, a table that is
read only when first used, and a package that ships the file.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import torch

from dsconv_lib.gpu import dispatch, separable_conv2d
from dsconv_lib.gpu import separable as gpu_separable
from dsconv_lib.gpu.dispatch import LayerKey, TileConfig

ROOT = Path(__file__).resolve().parents[3]
CUDA0 = torch.device("cuda", 0)


@pytest.fixture
def fake_gpu(monkeypatch):
    """fake_gpu(name, capability, triton): pretend torch sees that GPU and that Triton version is installed."""
    dispatch._device_name.cache_clear()

    def install(name: str, capability: tuple[int, int], triton: tuple[int, int] | None = (3, 6)) -> None:
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(dispatch, "triton_version", lambda: triton)

    yield install
    dispatch._device_name.cache_clear()


class FakeCudaTensor:
    """What dispatch.choose_backend reads of x: device, dtype, shape and layout (NCHW)."""

    def __init__(self, shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> None:
        self.device, self.dtype, self.shape = CUDA0, dtype, shape

    def is_contiguous(self, memory_format: torch.memory_format = torch.contiguous_format) -> bool:
        return memory_format == torch.contiguous_format


def layer_and_key(device_name: str) -> tuple[FakeCudaTensor, object, LayerKey]:
    x_cpu = torch.zeros(1, 32, 14, 14)
    layer = gpu_separable._check(x_cpu, torch.zeros(32, 1, 3, 3), torch.zeros(64, 32, 1, 1), None, None,
                                 1, 1, 1, "auto")
    key = LayerKey(device_name, "float32", "nchw", 1, 32, 32, 64, 14, 14, (3, 3), (1, 1))
    return FakeCudaTensor(tuple(x_cpu.shape)), layer, key


@pytest.mark.parametrize("version,capability", [((3, 0), (7, 0)), ((3, 2), (7, 0)), ((3, 3), (8, 0)),
                                                ((3, 6), (8, 0)), ((3, 9), (8, 0)), ((4, 0), (8, 0))])
def test_min_capability_follows_the_triton_version(version, capability):
    assert dispatch.min_capability(version) == capability


def test_a_t4_with_current_triton_is_refused_with_the_reason(fake_gpu):
    fake_gpu("Tesla T4", (7, 5), triton=(3, 6))
    reason = dispatch.why_not_fused(CUDA0, torch.float32)
    assert reason is not None
    assert all(part in reason for part in ("Tesla T4", "7.5", "Triton 3.6", "8.0")), reason


@pytest.mark.parametrize("name,capability", [("NVIDIA A100-SXM4-40GB", (8, 0)), ("NVIDIA H100 80GB HBM3", (9, 0)),
                                             ("NVIDIA L4", (8, 9))])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_ampere_and_newer_run_the_kernel(fake_gpu, name, capability, dtype):
    fake_gpu(name, capability, triton=(3, 6))
    assert dispatch.why_not_fused(CUDA0, dtype) is None


def test_older_triton_compiles_for_a_t4_but_not_in_bfloat16(fake_gpu):
    fake_gpu("Tesla T4", (7, 5), triton=(3, 2))
    assert dispatch.why_not_fused(CUDA0, torch.float16) is None
    reason = dispatch.why_not_fused(CUDA0, torch.bfloat16)
    assert reason is not None and "bfloat16" in reason and "8.0" in reason


@pytest.mark.parametrize("triton,expected", [(None, "Triton is not installed"),
                                             ((2, 3), "needs Triton 3.0 or newer, and Triton 2.3 is installed")])
def test_missing_or_old_triton_is_the_reason(fake_gpu, triton, expected):
    fake_gpu("NVIDIA H100 80GB HBM3", (9, 0), triton=triton)
    assert expected in dispatch.why_not_fused(CUDA0, torch.float32)


def test_unsupported_dtype_is_the_reason(fake_gpu):
    fake_gpu("NVIDIA H100 80GB HBM3", (9, 0))
    assert "not torch.float64" in dispatch.why_not_fused(CUDA0, torch.float64)


def test_auto_on_a_t4_falls_back_even_for_a_layer_in_the_table(fake_gpu, monkeypatch):
    fake_gpu("Tesla T4", (7, 5))
    x, layer, key = layer_and_key("Tesla T4")
    monkeypatch.setitem(dispatch.FUSED_FASTER, key, TileConfig(16, 16, 16))
    assert dispatch.choose_backend(x, layer) == ("torch", None)


def test_auto_on_an_a100_runs_the_kernel_only_for_a_layer_in_the_table(fake_gpu, monkeypatch):
    fake_gpu("NVIDIA A100-SXM4-40GB", (8, 0))
    x, layer, key = layer_and_key("NVIDIA A100-SXM4-40GB")
    assert dispatch.layer_key(x, layer) == key
    assert dispatch.choose_backend(x, layer) == ("torch", None)
    monkeypatch.setitem(dispatch.FUSED_FASTER, key, TileConfig(32, 16, 64))
    assert dispatch.choose_backend(x, layer) == ("triton", TileConfig(32, 16, 64))
    monkeypatch.setattr(dispatch, "triton_version", lambda: None)  # Triton uninstalled: the table does not matter
    assert dispatch.choose_backend(x, layer) == ("torch", None)


def test_backend_triton_on_a_t4_raises_an_error_that_says_why(fake_gpu, monkeypatch):
    fake_gpu("Tesla T4", (7, 5))
    real = dispatch.why_not_fused
    monkeypatch.setattr(dispatch, "why_not_fused", lambda device, dtype: real(CUDA0, dtype))  # x "is" on the T4
    x, w_dw, w_pw = torch.randn(1, 4, 5, 5), torch.randn(4, 1, 3, 3), torch.randn(6, 4, 1, 1)
    with pytest.raises(RuntimeError, match=re.escape("backend='triton' cannot run: Tesla T4 has compute "
                                                     "capability 7.5, and Triton 3.6 compiles for 8.0")):
        separable_conv2d(x, w_dw, w_pw, padding=1, backend="triton")


def test_triton_version_is_read_without_importing_triton():
    code = ("import sys; from dsconv_lib.gpu import dispatch; v = dispatch.triton_version(); "
            "print(v is None or (isinstance(v, tuple) and len(v) == 2), 'triton' in sys.modules)")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


# ----------------------------------------------------------------------------- the table as data

KEY = LayerKey("NVIDIA H100 80GB HBM3", "bfloat16", "channels_last", 64, 144, 144, 24, 56, 56, (3, 3), (1, 1))
TILES = TileConfig(128, 64, 32, 8, 3)


def test_an_entry_round_trips_through_json():
    entry = json.loads(json.dumps(dispatch.entry_to_json(KEY, TILES)))
    assert entry["tiles"] == {"block_p": 128, "block_ci": 64, "block_co": 32, "num_warps": 8, "num_stages": 3}
    assert dispatch.entry_from_json(entry, "entry") == (KEY, TILES)


@pytest.mark.parametrize("change,message", [
    (lambda e: e.pop("c_out"), r"entries\[0\] lacks the key\(s\) \['c_out'\]"),
    (lambda e: e["tiles"].update(block_p=24), "block_p must be a power of 2"),
    (lambda e: e["tiles"].update(colour=1), "colour"),
])
def test_a_malformed_entry_is_refused_with_where_it_is(tmp_path, change, message):
    entry = dispatch.entry_to_json(KEY, TILES)
    change(entry)
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"entries": [entry]}))
    with pytest.raises(ValueError, match=message):
        dispatch.read_table(path)


def test_write_table_replaces_one_gpus_entries_and_keeps_the_others(tmp_path):
    path = tmp_path / "fused_faster.json"
    other = KEY._replace(device_name="NVIDIA A100-SXM4-40GB")
    assert dispatch.write_table(path, [(KEY, TILES), (other, TILES)], replace_device=KEY.device_name) == 2
    smaller = KEY._replace(batch=1)
    assert dispatch.write_table(path, [(smaller, TileConfig(16, 64, 32))], replace_device=KEY.device_name) == 2
    assert dispatch.read_table(path) == {other: TILES, smaller: TileConfig(16, 64, 32)}


def test_the_table_is_read_when_first_used(tmp_path):
    path = tmp_path / "fused_faster.json"
    table = dispatch.MeasuredTable(path)  # no file yet: nothing is read at creation
    dispatch.write_table(path, [(KEY, TILES)], replace_device=KEY.device_name)
    assert table.get(KEY) == TILES and len(table) == 1 and list(table) == [KEY]
    path.unlink()  # read once: later uses do not go back to the file
    assert KEY in table
    del table[KEY]
    assert len(table) == 0


def test_missing_table_file_is_an_empty_table(tmp_path):
    assert dispatch.read_table(tmp_path / "absent.json") == {}


def test_the_package_ships_its_table_and_it_is_well_formed():
    assert dispatch.TABLE_FILE.name == "fused_faster.json" and dispatch.TABLE_FILE.exists()
    for key, tiles in dispatch.read_table(dispatch.TABLE_FILE).items():
        assert key.layout in ("nchw", "channels_last") and key.dtype in ("float32", "float16", "bfloat16"), key
        assert isinstance(tiles, TileConfig)
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "fused_faster.json" in package_data["dsconv_lib.gpu"]
