"""A run's ``summary.json``: written by the trained model's test, completed by its baselines, read by sweeps.

A summary is *complete* when no baseline is still pending: a run killed during its baselines leaves a summary
that a sweep must not count as done.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, Optional

from meta_lightning.paths import atomic_write_json

PENDING = "baselines_pending"
State = Literal["missing", "unreadable", "incomplete", "complete"]


def read_summary(path: Path) -> Optional[dict]:
    """The summary at ``path``; None when it is missing, unreadable or not a run summary."""
    try:
        summary = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) and isinstance(summary.get("datasets"), dict) else None


def summary_state(path: Path) -> State:
    if not Path(path).is_file():
        return "missing"
    summary = read_summary(path)
    if summary is None:
        return "unreadable"
    return "incomplete" if summary.get(PENDING) else "complete"


def add_baseline(path: Optional[Path], name: str, datasets: Optional[dict]) -> None:
    """File a baseline's per-dataset results (None: it was skipped) and mark it no longer pending."""
    summary = read_summary(path) if path is not None else None
    if summary is None:
        return
    if datasets is not None:
        summary.setdefault("baselines", {})[name] = datasets
    summary[PENDING] = [b for b in summary.get(PENDING, []) if b != name]
    atomic_write_json(Path(path), summary)
