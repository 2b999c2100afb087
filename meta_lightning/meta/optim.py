"""Optimiser parameter groups of the meta-model (the schedule is in :mod:`meta_lightning.schedules`)."""
from __future__ import annotations

from typing import Optional

from torch import nn


def param_groups(model: nn.Module, projector: nn.Module, lr: float, projector_lr: Optional[float]) -> list[dict]:
    """The meta-model's trainable weights at ``lr`` and the projector's at ``projector_lr`` (None: ``lr``; a
    frozen projector has none); empty groups are left out."""
    groups = [{"params": [p for p in projector.parameters() if p.requires_grad],
               "lr": lr if projector_lr is None else projector_lr},
              {"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]
    return [g for g in groups if g["params"]]
