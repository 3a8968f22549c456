"""Figures of the exports, in plain Python (no Django: import-linter contract).

Numbers in, numbers out: the jury report's histograms (consensus totals, each criterion's
scores) and its summaries (count, minimum, median, mean, maximum of a list of numbers). The
report's query gathers the values; the PDF draws what this module computes.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    count: int
    minimum: float | None
    median: float | None
    mean: float | None
    maximum: float | None


def summarise(values: Sequence[float]) -> Summary:
    """Count, minimum, median, mean (rounded to 2 places) and maximum; ``None`` when empty."""
    if not values:
        return Summary(count=0, minimum=None, median=None, mean=None, maximum=None)
    return Summary(
        count=len(values),
        minimum=float(min(values)),
        median=float(statistics.median(values)),
        mean=round(statistics.fmean(values), 2),
        maximum=float(max(values)),
    )


@dataclass(frozen=True)
class Histogram:
    edges: tuple[float, ...]  # len(counts) + 1 bin edges, from ``low`` to ``high``
    counts: tuple[int, ...]

    @property
    def tallest(self) -> int:
        return max(self.counts, default=0)


def histogram(values: Sequence[float], *, low: float, high: float, width: float) -> Histogram:
    """Counts of ``values`` in bins ``[low, low + width)``, … the last bin closed at ``high``.

    A value outside ``[low, high]`` is counted in the nearest end bin (a panel adjustment can
    not leave the scale, but a total is only as bounded as its weights).
    """
    if width <= 0 or high <= low:
        raise ValueError("histogram: width > 0 and high > low are required")
    bins = max(1, math.ceil((high - low) / width - 1e-9))
    edges = tuple(round(low + index * width, 6) for index in range(bins + 1))
    counts = [0] * bins
    for value in values:
        index = math.floor((value - low) / width + 1e-9)
        counts[min(max(index, 0), bins - 1)] += 1
    return Histogram(edges=edges, counts=tuple(counts))


def loads(counts: Sequence[int]) -> Summary:
    """Assignments per juror (jurors with none included as zeros)."""
    return summarise([float(count) for count in counts])
