"""Confidence intervals for accuracies (shared by the activation and the weight meta-models)."""
from __future__ import annotations

import math


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion; sound near 0 and 1, unlike the normal approximation."""
    if n == 0:
        return (0.0, 1.0)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values, z: float = 1.96) -> tuple[float, float]:
    """95 % normal interval of the mean of scores in [0, 1] (token F1, ROUGE-L), clipped to [0, 1]."""
    n = len(values)
    if n == 0:
        return (0.0, 1.0)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    half = z * math.sqrt(var / n)
    return (max(0.0, mean - half), min(1.0, mean + half))
