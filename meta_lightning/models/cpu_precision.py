"""Whether this CPU runs bfloat16 faster than float32: decided per machine, never assumed.

On an Intel Xeon with AMX a bf16 matmul ran about 3.7x faster than fp32; on an AMD EPYC without it, about 600x
slower. Without the ``amx_bf16`` flag the answer is no, at once. With it, a one-off matmul micro-benchmark
settles it, and the verdict is cached per machine (CPU model and flags) in the meta_lightning cache.
"""
from __future__ import annotations

import functools
import hashlib
import json
import platform
import time
from pathlib import Path

import torch

from meta_lightning.paths import atomic_write_json, default_cache_dir


def cpu_description() -> tuple[str, set[str]]:
    """The CPU's model name and feature flags (Linux ``/proc/cpuinfo``; elsewhere empty flags)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor(), set()
    model, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and not model:
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, flags


def matmul_seconds(dtype: torch.dtype, size: int = 512, repeats: int = 5) -> float:
    a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
    a @ b  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return (time.perf_counter() - start) / repeats


@functools.lru_cache(maxsize=1)
def cpu_prefers_bf16(cache_dir: str | None = None) -> bool:
    """True when bf16 matmuls beat fp32 here by at least 1.5x (AMX CPUs); measured once per machine."""
    model, flags = cpu_description()
    if "amx_bf16" not in flags:
        return False
    key = hashlib.sha256(f"{model}|{' '.join(sorted(flags))}|{torch.__version__}".encode()).hexdigest()[:16]
    path = Path(cache_dir or default_cache_dir()) / "machine" / f"precision-{key}.json"
    try:
        return bool(json.loads(path.read_text())["bf16"])
    except (OSError, ValueError, KeyError):
        pass
    fp32, bf16 = matmul_seconds(torch.float32), matmul_seconds(torch.bfloat16)
    verdict = bf16 * 1.5 < fp32
    try:  # remembered if the cache can be written; a bad cache folder is reported where it is used
        atomic_write_json(path, {"cpu": model, "fp32_s": fp32, "bf16_s": bf16, "bf16": verdict})
    except OSError:
        pass
    return verdict
