"""Small statistics for the benchmark: medians, percentiles, spreads."""

from __future__ import annotations

import statistics


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summarize(repetitions: list[float]) -> tuple[float, list[float]]:
    """(median, [min, max]) of one figure's repetitions."""
    return statistics.median(repetitions), [min(repetitions), max(repetitions)]


def rounded(value: float) -> float:
    if value != value:  # NaN
        return value
    if abs(value) >= 100:
        return round(value)
    if abs(value) >= 1:
        return round(value, 2)
    return round(value, 4)
