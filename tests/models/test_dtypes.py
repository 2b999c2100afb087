import json

import pytest
import torch

import meta_lightning.models.cpu_precision as cpu_precision
from meta_lightning.errors import ConfigError
from meta_lightning.models.dtypes import resolve_dtype


@pytest.fixture
def cpu(monkeypatch):
    """Pretend to be a CPU with the given flags and matmul speeds; the per-machine verdict starts uncached."""
    cpu_precision.cpu_prefers_bf16.cache_clear()
    timings = {}

    def use(flags: set[str], fp32_s: float = 1.0, bf16_s: float = 1.0):
        monkeypatch.setattr(cpu_precision, "cpu_description", lambda: ("Test CPU", set(flags)))
        timings.update({torch.float32: fp32_s, torch.bfloat16: bf16_s, "calls": 0})

        def seconds(dtype, **_):
            timings["calls"] += 1
            return timings[dtype]
        monkeypatch.setattr(cpu_precision, "matmul_seconds", seconds)
        cpu_precision.cpu_prefers_bf16.cache_clear()
        return timings

    yield use
    cpu_precision.cpu_prefers_bf16.cache_clear()


def test_policy_without_amx(cpu):
    timings = cpu({"avx2", "avx512f"})
    assert resolve_dtype("auto", "cpu") == torch.float32
    assert resolve_dtype("auto", "cuda") == torch.bfloat16
    assert resolve_dtype("bf16", "cuda") == torch.bfloat16
    assert resolve_dtype("float32", "cuda") == torch.float32
    assert timings["calls"] == 0  # no AMX flag: decided without a benchmark


def test_amx_cpu_that_measures_bf16_faster_gets_bf16_and_the_verdict_is_cached(cpu, tmp_path, monkeypatch):
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path))
    timings = cpu({"amx_bf16", "amx_tile"}, fp32_s=1.0, bf16_s=0.27)
    assert resolve_dtype("auto", "cpu") == torch.bfloat16
    assert resolve_dtype("bf16", "cpu") == torch.bfloat16
    saved = json.loads(next((tmp_path / "machine").glob("precision-*.json")).read_text())
    assert saved["bf16"] is True and saved["cpu"] == "Test CPU"
    cpu_precision.cpu_prefers_bf16.cache_clear()  # a new process reads the file instead of measuring again
    calls = timings["calls"]
    assert cpu_precision.cpu_prefers_bf16() is True and timings["calls"] == calls


def test_amx_flag_alone_is_not_enough_when_bf16_measures_slower(cpu, tmp_path, monkeypatch):
    monkeypatch.setenv("META_LIGHTNING_CACHE", str(tmp_path))
    cpu({"amx_bf16"}, fp32_s=1.0, bf16_s=2.0)
    assert resolve_dtype("auto", "cpu") == torch.float32


@pytest.mark.parametrize("name", ["bf16", "float16"])
def test_half_precision_on_a_cpu_without_amx_is_refused(cpu, name):
    cpu(set())
    with pytest.raises(ConfigError, match="meta_model.dtype: .* on this CPU is far slower than float32"):
        resolve_dtype(name, "cpu", field="meta_model.dtype")


def test_unknown_dtype():
    with pytest.raises(ConfigError, match="dtype: unknown dtype 'int3'"):
        resolve_dtype("int3")
