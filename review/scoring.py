"""The one place that turns criterion scores into a review's total, and checks a score's scale.

Pure functions on ``Decimal`` values: no database, no request. Every caller (review form,
juror list, progress page, ranking inputs, exports) uses :func:`weighted_total`, so a total
shown anywhere is the same number.

The aggregation rule, published with the call: the total is the sum over the call's criteria
of ``weight × score``. With all weights at 1 it is the plain sum, directly comparable with
the call's overall threshold (e.g. 10 of 15). A review with any criterion unscored has no
total (``None``): a partial total would be misleading.
"""

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Scale:
    minimum: Decimal
    maximum: Decimal
    step: Decimal

    def levels(self) -> list[Decimal]:
        """Every admissible score, from the minimum to the maximum."""
        if self.step <= 0:
            return [self.minimum, self.maximum]
        count = int((self.maximum - self.minimum) / self.step)
        values = [self.minimum + i * self.step for i in range(count + 1)]
        if values[-1] != self.maximum:
            values.append(self.maximum)
        return values


def parse_score(raw: object) -> Decimal | None:
    """A score typed by a user (``"3,5"`` or ``"3.5"``), or ``None`` when blank or not a number."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return raw
    text = str(raw).strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def is_on_scale(value: Decimal, *, scale: Scale) -> bool:
    """Within ``[minimum, maximum]`` and a whole number of steps above the minimum."""
    if value < scale.minimum or value > scale.maximum:
        return False
    if scale.step <= 0:
        return True
    return (value - scale.minimum) % scale.step == 0 or value == scale.maximum


def weighted_total(
    scores: Mapping[K, Decimal | None], weights: Mapping[K, Decimal]
) -> Decimal | None:
    """Σ weight × score over the criteria in ``weights``; ``None`` if one of them is unscored.

    ``scores`` and ``weights`` are keyed the same way (criterion id or code). Scores for keys
    absent from ``weights`` are ignored (a criterion removed from the grid does not count).
    """
    if not weights:
        return None
    total = Decimal(0)
    for key, weight in weights.items():
        value = scores.get(key)
        if value is None:
            return None
        total += Decimal(weight) * Decimal(value)
    return total


def maximum_total(weights: Mapping[K, Decimal], maxima: Mapping[K, Decimal]) -> Decimal:
    """The best possible total: every criterion at the top of its scale."""
    return sum((Decimal(weights[key]) * Decimal(maxima[key]) for key in weights), Decimal(0))


@dataclass(frozen=True)
class Spread:
    """How far the jurors of one bid disagree on its total."""

    count: int
    minimum: Decimal
    maximum: Decimal
    mean: float
    std: float  # population standard deviation

    @property
    def range(self) -> Decimal:
        return self.maximum - self.minimum


def spread(totals: Sequence[Decimal]) -> Spread | None:
    """The spread of the reviews' totals on a bid; ``None`` below two totals."""
    if len(totals) < 2:
        return None
    values = [float(t) for t in totals]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return Spread(count=len(totals), minimum=min(totals), maximum=max(totals), mean=mean, std=std)


def mean(values: Iterable[Decimal | float]) -> float | None:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None
