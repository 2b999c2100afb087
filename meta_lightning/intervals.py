"""Confidence intervals for accuracies (shared by the activation and the weight meta-models)."""
from __future__ import annotations

import math


def wilson_interval(correct: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion; sound near 0 and 1, unlike the normal approximation.
    ``correct`` may be fractional: the sum of scores in [0, 1] (a conservative interval for their mean)."""
    if n == 0:
        return (0.0, 1.0)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))

