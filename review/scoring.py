"""The one place that turns criterion scores into a review's total, and checks a score's scale.

Pure functions on ``Decimal`` values: no database, no request. Every caller (review form,
juror list, progress page, ranking inputs, exports) uses :func:`weighted_total`, so a total
shown anywhere is the same number.

The aggregation rule, published with the call: the total is the weighted mean of the
criteria's scores, ``Σ wᵢ·sᵢ / Σ wᵢ`` (:func:`normalised_weights` then a sum), so it stays on
the scale the jurors score on and the applicants read (0–5 on a 0–5 grid) whatever the
weights: only their ratios matter. With all weights at 1 it is the plain mean; the call's
overall threshold is on the same scale (Horizon Europe's "10 of 15" is 3.33 here). Every
criterion of a call shares one scale and weights are positive
(``review.models.Criterion.clean``), so the mean is well defined. The ranking engine, which
sums weight × score, receives the weights as shares (:func:`normalised_weights`, in
``review.queries.ranking.ranking_data``), so its totals are the same means. A review with any
criterion unscored has no total (``None``): a partial total would be misleading.
"""

from collections import Counter
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


def normalised_weights(weights: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """Each weight divided by their sum (the shares sum to 1); empty if they sum to 0."""
    whole = sum((Decimal(weight) for weight in weights.values()), Decimal(0))
    if whole <= 0:
        return {}
    return {key: Decimal(weight) / whole for key, weight in weights.items()}


def weighted_total(
    scores: Mapping[K, Decimal | None], weights: Mapping[K, Decimal]
) -> Decimal | None:
    """Σ wᵢ·sᵢ / Σ wᵢ over the criteria in ``weights``; ``None`` if one of them is unscored.

    ``scores`` and ``weights`` are keyed the same way (criterion id or code). Scores for keys
    absent from ``weights`` are ignored (a criterion removed from the grid does not count).
    One division at the end, so that equal scores give exactly that score (4, not 3.99…).
    """
    whole = sum((Decimal(weight) for weight in weights.values()), Decimal(0))
    if whole <= 0:
        return None
    total = Decimal(0)
    for key, weight in weights.items():
        value = scores.get(key)
        if value is None:
            return None
        total += Decimal(weight) * Decimal(value)
    return total / whole


def maximum_total(weights: Mapping[K, Decimal], maxima: Mapping[K, Decimal]) -> Decimal:
    """The best possible total: every criterion at the top of its scale."""
    total = weighted_total(dict(maxima), weights)
    return total if total is not None else Decimal(0)


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
    return spread_of_counts(Counter(totals))


def spread_of_counts(counts: Mapping[Decimal, int]) -> Spread | None:
    """The spread of totals given as distinct total → how many reviews have it (what a
    ``GROUP BY`` returns); ``None`` below two totals.

    Computed in ``Decimal`` (exact up to the square root), so that equal sets of totals give
    equal figures whatever their order or grouping; the population standard deviation.
    """
    count = sum(counts.values())
    if count < 2:
        return None
    centre = _exact_mean(counts, count)
    variance = sum(((value - centre) ** 2 * n for value, n in counts.items()), Decimal(0))
    return Spread(
        count=count,
        minimum=min(value for value, n in counts.items() if n),
        maximum=max(value for value, n in counts.items() if n),
        mean=float(centre),
        std=float((variance / count).sqrt()),
    )


def _exact_mean(counts: Mapping[Decimal, int], count: int) -> Decimal:
    return sum((value * n for value, n in counts.items()), Decimal(0)) / count


def mean(values: Iterable[Decimal | float]) -> float | None:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None


def mean_of_counts(counts: Mapping[Decimal, int]) -> float | None:
    """The mean of totals given as distinct total → count (see :func:`spread_of_counts`)."""
    count = sum(counts.values())
    return float(_exact_mean(counts, count)) if count else None
