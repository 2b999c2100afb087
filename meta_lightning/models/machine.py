"""Where a run ran: the device and the precision its numbers came from, recorded in its summary.json.

Results differ between an fp32 CPU, a bf16 CPU and a GPU (the same seed gives 0.938 on one, 0.973 on another),
so a number read from a summary, or a sweep cell finished on another machine, must say which it is.
"""
from __future__ import annotations

import os

import torch

from meta_lightning.models.cpu_precision import cpu_description


def describe_machine(device: torch.device, precision: str, devices: int = 1) -> dict:
    """The device's name (GPU model, or CPU model and core count), the precision and how many devices ran."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        model, flags = cpu_description()
        name = f"{model or 'CPU'}, {os.cpu_count()} cores" + (", AMX" if "amx_bf16" in flags else "")
    return {"device": name, "precision": str(precision), "devices": int(devices)}


def trainer_machine(trainer) -> dict:
    """:func:`describe_machine` for a Lightning trainer."""
    return describe_machine(trainer.strategy.root_device, trainer.precision, trainer.num_devices)
