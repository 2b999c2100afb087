"""A run's ``summary.json`` as one typed record: written by a test, completed by its baselines, read by sweeps.

Both sides write the same record; only ``metric`` (accuracy, exact match) and ``details`` differ. A summary is
*complete* when no baseline is still pending: a run killed during its baselines leaves a summary that a sweep
must not count as done.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal, Optional

from meta_lightning.intervals import wilson_interval
from meta_lightning.paths import atomic_write_text

PENDING = "baselines_pending"
State = Literal["missing", "unreadable", "incomplete", "complete"]


def scored(metric: str, hits: int, n: int, held_out: bool, **extra) -> dict:
    """One dataset's entry: ``metric`` = hits / n with its 95 % interval (``metric_ci95``), whether the data
    set was held out of training, and what else the side reports (``extra``)."""
    return {metric: hits / n if n else float("nan"), f"{metric}_ci95": list(wilson_interval(hits, n)),
            "held_out": held_out, **extra}


@dataclass
class Summary:
    """What a run measured on its test sets, beside its baselines."""

    kind: str
    """The side that wrote it: ``activations`` or ``weights``."""
    metric: str
    """The headline metric, a key of every dataset entry: ``accuracy`` or ``exact_match``."""
    datasets: dict[str, dict]
    """Test set -> its entry (``scored``): the metric, its interval, ``held_out``, and the side's other numbers."""
    baselines: dict[str, dict[str, dict]] = field(default_factory=dict)
    """Baseline -> test set -> entry, in the order the baselines ran (the table's order)."""
    baselines_pending: list[str] = field(default_factory=list)
    """Baselines still to file their results: the summary is incomplete until this is empty."""
    validation: dict[str, float] = field(default_factory=dict)
    """Training data set -> the metric at the last validation (sweeps tabulate trained sets by it)."""
    log_dir: str = ""
    """The run folder (TensorBoard logs, checkpoints, this file)."""
    details: dict = field(default_factory=dict)
    """Side-specific facts, stored at the top level of the JSON (models, behaviours, seed, step, ...)."""

    @property
    def complete(self) -> bool:
        return not self.baselines_pending

    def to_json(self) -> dict:
        plain = asdict(self)
        return {**plain.pop("details"), **plain}

    @classmethod
    def from_json(cls, data) -> Optional["Summary"]:
        """The record in ``data`` (a parsed summary.json), or None where it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("datasets"), dict):
            return None
        names = {f.name for f in fields(cls)} - {"details"}
        known = {k: v for k, v in data.items() if k in names}
        known.setdefault("kind", "activations")
        known.setdefault("metric", "accuracy")
        entries = list(known["datasets"].values()) + [e for b in (known.get("baselines") or {}).values() for e in b.values()]
        if not all(isinstance(e, dict) and "held_out" in e for e in entries):
            return None
        return cls(**known, details={k: v for k, v in data.items() if k not in names})


def write_summary(path: Path, summary: Summary) -> None:
    """Keys in the record's order, not sorted: the baselines' order is the table's."""
    atomic_write_text(Path(path), json.dumps(summary.to_json(), indent=2) + "\n")


def read_summary(path: Path) -> Optional[Summary]:
    """The summary at ``path``; None when it is missing, unreadable or not a run summary."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return Summary.from_json(data)


def summary_state(path: Path) -> State:
    if not Path(path).is_file():
        return "missing"
    summary = read_summary(path)
    if summary is None:
        return "unreadable"
    return "complete" if summary.complete else "incomplete"


def add_baseline(path: Optional[Path], name: str, datasets: Optional[dict]) -> None:
    """File a baseline's per-dataset results (None: it was skipped) and mark it no longer pending."""
    summary = read_summary(path) if path is not None else None
    if summary is None:
        return
    if datasets is not None:
        summary.baselines[name] = datasets
    summary.baselines_pending = [b for b in summary.baselines_pending if b != name]
    write_summary(Path(path), summary)
