"""Which behaviour splits a stage needs, and running their capture once with one capturer and one report."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from meta_lightning.cache import ActivationCache
from meta_lightning.capture import ActivationCapturer
from meta_lightning.capture.capture import CaptureStats
from meta_lightning.data.activations import BehaviorActivations, CaptureSettings, behavior_activations
from meta_lightning.data.options import SplitSizes
from meta_lightning.data.source import InputModel

Plan = list[tuple[str, str, int]]
"""(behaviour, split, conversations) triples."""


def plan(stage: Optional[str], behaviors: list[str], eval_behaviors: list[str], splits: SplitSizes,
         eval_sources: Callable[[str, str], int]) -> Plan:
    """The (behaviour, split, conversations) a stage needs; ``None``: every stage. ``eval_sources(name,
    split)`` counts a held-out behaviour's sources (its test size when ``splits.eval_test`` is None)."""
    out = []
    if stage in (None, "fit"):
        out += [(b, "train", splits.train) for b in behaviors]
    if stage in (None, "fit", "validate"):
        out += [(b, "val", splits.val) for b in behaviors]
        out += [(b, "val", splits.val if splits.eval_val is None else splits.eval_val) for b in eval_behaviors]
    if stage in (None, "test", "predict"):
        out += [(b, "test", splits.test) for b in behaviors]
        out += [(b, splits.eval_test_split, splits.eval_test or eval_sources(b, splits.eval_test_split))
                for b in eval_behaviors]
    return [(b, s, n) for b, s, n in dict.fromkeys(out) if n > 0]


@dataclass
class CaptureReport:
    entries: int = 0
    captured: int = 0
    tokens: int = 0
    forwards: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.entries:
            return "capture: nothing run"
        rate = self.tokens / self.seconds if self.seconds else 0.0
        return (f"capture: {self.entries} cache entries, {self.captured} captured now; {self.tokens:,} input-model "
                f"tokens in {self.forwards} forwards, {self.seconds:.1f} s ({rate:,.0f} tokens/s)")


@dataclass
class CaptureRun:
    """The activations of a plan: from the cache, or captured now with one capturer for the whole plan."""

    model: InputModel
    settings: CaptureSettings
    cache: Optional[ActivationCache]
    seed: int
    report: CaptureReport = field(default_factory=CaptureReport)

    def activations(self, plan: Plan, behavior) -> dict[tuple[str, str], BehaviorActivations]:
        """``behavior(name)`` gives each configured behaviour."""
        model, settings = self.model, self.settings
        capturer = functools.cache(lambda: ActivationCapturer(model.loaded(), list(model.source.layers),
                                                              settings.positions, settings.batch_size,
                                                              settings.max_tokens))
        start, out = time.perf_counter(), {}
        for name, split, n in plan:
            out[(name, split)] = behavior_activations(model, behavior(name), split, n, self.seed, settings, self.cache,
                                                      capturer=capturer)
        stats = capturer().stats if capturer.cache_info().currsize else CaptureStats()  # none made: none captured
        self.report = CaptureReport(len(out), sum(a.report.captured_examples > 0 for a in out.values()), stats.tokens,
                                    stats.forwards, time.perf_counter() - start)
        return out
