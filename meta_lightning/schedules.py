"""Learning-rate schedules: linear warmup, then cosine or linear decay to zero, or constant."""
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
