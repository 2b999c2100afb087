"""Optimisation both sides share: AdamW with linear warmup, then cosine or linear decay to zero, or constant."""
from __future__ import annotations

import math
from typing import Callable, Literal, get_args

Schedule = Literal["cosine", "linear", "constant"]
SCHEDULES = get_args(Schedule)


def lr_factor(schedule: str, warmup_steps: int, total: int) -> Callable[[int], float]:
    """Linear warmup, then ``cosine`` or ``linear`` decay to zero at ``total`` steps, or ``constant``."""
    total = max(1, total)
    warmup = min(warmup_steps, total - 1) if total > 1 else 0

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress)) if schedule == "cosine" else 1.0 - progress

    return factor


def adamw_with_schedule(params, lr: float, weight_decay: float, schedule: str, warmup_steps: int, total: int) -> dict:
    """AdamW over ``params`` (tensors or groups) with ``lr_factor``'s schedule stepped every batch: what
    ``configure_optimizers`` returns on both sides."""
    import torch

    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(schedule, warmup_steps, total))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
