"""The one dtype policy: bfloat16 on CUDA and on CPUs measured to run it faster (AMX), else float32."""
from __future__ import annotations

import torch

from meta_lightning.errors import ConfigError

_NAMES = {
    "float32": torch.float32, "fp32": torch.float32, "32": torch.float32,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float16": torch.float16, "fp16": torch.float16, "16": torch.float16,
}


def resolve_dtype(requested: str | torch.dtype, device: str | torch.device = "cpu", field: str = "dtype") -> torch.dtype:
    """Turn a dtype name into a ``torch.dtype`` that the device runs well.

    ``auto`` means bfloat16 on CUDA; on CPU, bfloat16 where this machine runs it faster (see
    :mod:`meta_lightning.models.cpu_precision`), else float32. Half precision is refused on a CPU that runs it
    slower: without AMX, bfloat16 matmuls ran about 600x slower than float32.
    """
    from meta_lightning.models.cpu_precision import cpu_prefers_bf16

    device = torch.device(device)
    if isinstance(requested, torch.dtype):
        dtype = requested
    elif requested == "auto":
        dtype = torch.bfloat16 if device.type == "cuda" or cpu_prefers_bf16() else torch.float32
    elif str(requested).lower() in _NAMES:
        dtype = _NAMES[str(requested).lower()]
    else:
        raise ConfigError(field, f"unknown dtype {requested!r}", "Use auto, float32, bfloat16 or float16")
    if device.type == "cpu" and dtype != torch.float32 and not (dtype == torch.bfloat16 and cpu_prefers_bf16()):
        raise ConfigError(field, f"{dtype} on this CPU is far slower than float32 (no AMX)",
                          "Use dtype: auto or float32 on this CPU")
    return dtype


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
