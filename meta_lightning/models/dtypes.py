"""The one dtype policy: float32 on CPU; bfloat16 (or float16) only on CUDA."""
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

    ``auto`` means float32 on CPU and bfloat16 on CUDA. Half precision on CPU is refused: on our CPUs
    bfloat16 matmuls run about 600x slower than float32.
    """
    device = torch.device(device)
    if isinstance(requested, torch.dtype):
        dtype = requested
    elif requested == "auto":
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    elif str(requested).lower() in _NAMES:
        dtype = _NAMES[str(requested).lower()]
    else:
        raise ConfigError(field, f"unknown dtype {requested!r}", "Use auto, float32, bfloat16 or float16")
    if device.type == "cpu" and dtype != torch.float32:
        raise ConfigError(field, f"{dtype} on CPU is far slower than float32", "Use dtype: auto or float32 on CPU")
    return dtype


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
