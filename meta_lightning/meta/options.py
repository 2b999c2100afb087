"""The meta-model's option choices and ranges, checked in one place.

The CLI's parser already refuses a value outside a ``Literal``; this check also covers Python callers and the
numeric ranges a type cannot express. Each error names the ``model.`` field and the fix.
"""
from __future__ import annotations

from typing import Literal, get_args

from meta_lightning.errors import ConfigError
from meta_lightning.meta.inject import MODES
from meta_lightning.meta.optim import SCHEDULES
from meta_lightning.meta.projector import KINDS

AnswerFormat = Literal["yes_no", "name_then_answer"]
ProjectorInit = Literal["random", "closed_form"]
Vectors = Literal["real", "shuffled", "zero"]
ANSWER_FORMATS, PROJECTOR_INITS, VECTORS = get_args(AnswerFormat), get_args(ProjectorInit), get_args(Vectors)

CHOICES = {"injection": MODES, "projector": KINDS, "schedule": SCHEDULES, "answer_format": ANSWER_FORMATS,
           "projector_init": PROJECTOR_INITS, "vectors": VECTORS}

RANGES = {  # field -> (what a valid value satisfies, the fix)
    "lr": (lambda v: v > 0, "Use a positive learning rate"),
    "projector_lr": (lambda v: v is None or v >= 0, "Use 0 (frozen) or more"),
    "weight_decay": (lambda v: v >= 0, "Use 0 or more"),
    "warmup_steps": (lambda v: v >= 0, "Use 0 or more"),
    "lora_rank": (lambda v: v >= 1, "Use 1 or more"),
    "max_name_tokens": (lambda v: v >= 1, "Use 1 or more"),
    "ridge": (lambda v: v > 0, "Use a positive penalty, e.g. 0.01"),
    "vector_noise": (lambda v: v >= 0, "Use 0 (none) or more"),
    "inject_layer": (lambda v: v >= 0, "Use a block index from 0"),
    "samples_to_log": (lambda v: v >= 0, "Use 0 or more"),
}


def check_options(options: dict) -> None:
    """Refuse the first option of ``options`` (MetaModel's keyword arguments) outside its choices or range."""
    for field, allowed in CHOICES.items():
        if field in options and options[field] not in allowed:
            raise ConfigError(f"model.{field}", f"unknown value {options[field]!r}", f"Use one of: {', '.join(allowed)}")
    for field, (valid, fix) in RANGES.items():
        if field in options and not valid(options[field]):
            raise ConfigError(f"model.{field}", f"{options[field]!r} is out of range", fix)
