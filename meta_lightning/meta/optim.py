"""Optimiser parameter groups and the learning-rate schedule of the meta-model."""
from __future__ import annotations

import math
from typing import Callable, Literal, Optional, get_args

from torch import nn

Schedule = Literal["cosine", "linear", "constant"]
SCHEDULES = get_args(Schedule)


def param_groups(model: nn.Module, projector: nn.Module, lr: float, projector_lr: Optional[float]) -> list[dict]:
    """The meta-model's trainable weights at ``lr`` and the projector's at ``projector_lr`` (None: ``lr``; a
    frozen projector has none); empty groups are left out."""
    groups = [{"params": [p for p in projector.parameters() if p.requires_grad],
               "lr": lr if projector_lr is None else projector_lr},
              {"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]
    return [g for g in groups if g["params"]]


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
