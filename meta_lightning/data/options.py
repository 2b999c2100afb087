"""The datamodule's options, grouped by concern, with their choices and ranges checked in one place.

Each group is a dataclass whose attribute docstrings are what ``--help`` prints (``--data.splits.train`` and
so on). Each error names the ``data.`` field and the fix, before any model loads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Literal, Optional, Union, get_args, get_origin, get_type_hints

from meta_lightning.behaviors.base import EvalSplit, Kind
from meta_lightning.data.activations import CaptureSettings
from meta_lightning.data.questions import Vectors
from meta_lightning.errors import ConfigError

Sampling = Literal["uniform", "proportional"]
Device = Literal["auto", "cpu", "cuda"]
DEVICES = get_args(Device)
MAX_CONVERSATIONS = 1_000_000
"""Most conversations per behaviour and split: past it a run would only hang building or capturing them."""


@dataclass
class SplitSizes:
    """How many conversations each split holds, per behaviour."""

    train: int = 256
    """Conversations per training behaviour in the train split."""
    val: int = 32
    """Conversations per training behaviour in the val split."""
    test: int = 64
    """Conversations per training behaviour in the test split."""
    eval_val: Optional[int] = None
    """Conversations per held-out behaviour in the val split; None: ``val``. 0 reads none while training, so
    nothing held out is seen (or paid for) before the test."""
    eval_test: Optional[int] = None
    """Conversations per held-out behaviour in ``test``; None: one per source of ``eval_test_split`` (for lies,
    every fact told truthfully and as a lie)."""
    eval_test_split: EvalSplit = "all"
    """Split of the held-out behaviours that ``test`` reads; ``all`` uses every source, since none is trained on."""


@dataclass
class QuestionOptions:
    """How many questions are asked about each conversation (they share its activations)."""

    per_conversation: int = 2
    """Yes/No questions per conversation of the training behaviours."""
    eval_per_conversation: int = 1
    """Questions per conversation of the held-out behaviours."""
    kinds: list[Kind] = field(default_factory=lambda: ["yes_no"])
    """Kinds of question asked of every behaviour that can ask them, each kind its own data set: ``yes_no``
    and ``free_text`` (``<behaviour>:text``). A behaviour's own ``formats`` option overrides it; one that asks
    only one kind (context prediction: free text) asks that."""


@dataclass
class LoaderOptions:
    """Batches: their size, the training mix, and what the meta-model is shown."""

    batch_size: int = 16
    """Questions per training batch."""
    eval_batch_size: Optional[int] = None
    """Questions per validation/test batch (None: batch_size)."""
    num_workers: int = 0
    """DataLoader worker processes."""
    sampling: Sampling = "uniform"
    """``uniform``: each training behaviour equally often per batch (the paper); ``proportional``: by size."""
    mix: Optional[dict[str, float]] = None
    """Relative weight of each training data set in the batches (``instructions: 2``, ``context:text: 0.5``),
    on top of ``sampling``; a data set not named weighs 1, and a behaviour's name weighs all its data sets."""
    vectors: Vectors = "real"
    """``real``; ``shuffled`` (each example gets the vectors of another conversation in its batch) or ``zero``
    train and test the question-only baseline."""


GROUPS = {"splits": SplitSizes, "questions": QuestionOptions, "loader": LoaderOptions, "capture": CaptureSettings}

RANGES = {  # group.field -> (least value, the fix)
    "splits.train": (1, "Use a positive number"), "splits.val": (0, "Use 0 or more"), "splits.test": (0, "Use 0 or more"),
    "splits.eval_val": (0, "Use 0 or more, or null for val"),
    "splits.eval_test": (1, "Use a positive number, or null for every source"),
    "questions.per_conversation": (1, "Use 1 or more"), "questions.eval_per_conversation": (1, "Use 1 or more"),
    "loader.batch_size": (1, "Use 1 or more"), "loader.eval_batch_size": (1, "Use 1 or more, or null for batch_size"),
    "loader.num_workers": (0, "Use 0 or more"), "capture.batch_size": (1, "Use 1 or more"),
    "capture.max_tokens": (1, "Use 1 or more"), "capture.generate_tokens": (0, "Use 0 or more"),
}


def as_group(name: str, value: Union[dict, object, None]):
    """``value`` (a dict from YAML or a checkpoint, the dataclass, or None) as group ``name``'s dataclass."""
    cls = GROUPS[name]
    if value is None:
        return cls()
    if isinstance(value, cls):
        return cls(**asdict(value))  # a copy: the signature's default instance is shared
    if not isinstance(value, dict):
        raise ConfigError(f"data.{name}", f"expected a mapping of options, got {value!r}",
                          f"Give it as keys: {', '.join(f.name for f in fields(cls))}")
    unknown = sorted(set(value) - {f.name for f in fields(cls)})
    if unknown:
        raise ConfigError(f"data.{name}.{unknown[0]}", "unknown option", f"Use one of: {', '.join(f.name for f in fields(cls))}")
    return cls(**value)


def check_groups(groups: dict) -> None:
    """Refuse the first option outside its choices or range, naming ``data.group.field``."""
    for name, group in groups.items():
        hints = get_type_hints(type(group))
        for f in fields(group):
            value, hint = getattr(group, f.name), hints[f.name]
            args = get_args(hint)
            literal = hint if get_origin(hint) is Literal else next((a for a in args if get_origin(a) is Literal), None)
            items = value if isinstance(value, (list, tuple)) else [value]
            bad = next((v for v in items if v not in get_args(literal)), None) if literal is not None else None
            if bad is not None:
                raise ConfigError(f"data.{name}.{f.name}", f"unknown value {bad!r}",
                                  f"Use one of: {', '.join(map(str, get_args(literal)))}")
            key = f"{name}.{f.name}"
            if key in RANGES and value is not None and value < RANGES[key][0]:
                raise ConfigError(f"data.{key}", f"must be at least {RANGES[key][0]}, got {value}", RANGES[key][1])
    for name, weight in (groups["loader"].mix or {}).items():
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ConfigError(f"data.loader.mix.{name}", f"must be a weight of 0 or more, got {weight!r}", "Use e.g. 1.0")
    kinds = groups["questions"].kinds
    if not kinds or len(set(kinds)) != len(kinds):
        raise ConfigError("data.questions.kinds", f"must list each kind once, got {kinds}", "Use e.g. [yes_no, free_text]")
    splits = groups["splits"]
    for size in ("train", "val", "eval_val", "test", "eval_test"):
        value = getattr(splits, size)
        if value is not None and value > MAX_CONVERSATIONS:
            raise ConfigError(f"data.splits.{size}", f"{value:,} conversations per behaviour is more than a run "
                              f"builds (at most {MAX_CONVERSATIONS:,}; a CPU captures about 10 a second)",
                              "Use a smaller size")
